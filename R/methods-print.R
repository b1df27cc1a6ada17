# print() for fitted "gradglm" objects.

#' Print a fitted gradglm model
#'
#' Shows a compact overview of a model fitted by [gradglm()] or
#' [gradglm_fit()]: the call, the family and link, the estimated coefficients
#' (`NA` for coefficients that are not identified), the null and residual
#' degrees of freedom, the null and residual deviances, the AIC, and how the
#' fit was obtained (optimizer, number of iterations and whether it
#' converged). Use [summary()][summary.gradglm] for standard errors and tests.
#'
#' A model with several parameter blocks (a location model with a model of
#' `log(sigma)` and, for the Student-t with estimated degrees of freedom,
#' `log(df)`; the classes of a multinomial model; the location and cut-points
#' of an ordinal model) shows one set of coefficients per block, with its
#' title (the sigma model's names its formula), the constant log-linked
#' parameters (a scale with `sigma ~ 1`, an estimated df) on their natural
#' scale, then the maximised log-likelihood with its number of parameters, the
#' AIC and the observations.
#'
#' @param x A fitted model of class `"gradglm"`.
#' @param digits Number of significant digits used for the numbers shown.
#' @param ... Not used; present for compatibility with the generic.
#' @return `x`, invisibly.
#' @seealso [summary.gradglm()], [gradglm()].
#' @examples
#' fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial())
#' fit
#' print(fit, digits = 6)
#' @export
print.gradglm <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  check_gradglm(x, "print.gradglm", "x")
  if (is_path_fit(x)) return(.path_print(x, digits))
  if (is_network_fit(x)) return(.net_print(x, digits))
  if (!is_glm_fit(x)) return(.lik_print(x, digits, ...))
  if (!is.null(x$call)) {
    cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  fam <- x$family
  if (!is.null(fam)) {
    cat("\nFamily: ", fam$family, " (link: ", fam$link, ")\n", sep = "")
  }
  .methods_theta_line(x, digits)

  coefs <- x$coefficients
  if (length(coefs)) {
    cat("\nCoefficients")
    if (is.character(x$contrasts) && length(x$contrasts)) {
      cat("  [contrasts: ",
          paste(names(x$contrasts), x$contrasts, sep = "=", collapse = ", "),
          "]", sep = "")
    }
    cat(":\n")
    print.default(format(coefs, digits = digits), print.gap = 2L,
                  quote = FALSE)
  } else {
    cat("\nNo coefficients\n")
  }

  # (glm's lines, word for word)
  cat("\nDegrees of Freedom:", x$df.null, "Total (i.e. Null); ", x$df.residual, "Residual\n")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat("Null Deviance:\t   ", format(signif(x$null.deviance, digits)),
      "\nResidual Deviance:", format(signif(x$deviance, digits)), "\tAIC:",
      format(signif(x$aic, digits)))
  cat("\n")
  cat(.methods_fit_line(x), "\n", sep = "")
  .methods_penalty_line(x$penalty)
  cat("\n")
  invisible(x)
}

# A single penalised fit's penalty, under the optimizer's line of print()
.methods_penalty_line <- function(pen) {
  if (is.null(pen)) return(invisible(NULL))
  what <- paste0(penalty_title(pen$spec, pen$alpha), " at lambda = ", format(signif(pen$lambda, 4)))
  cat(if (isTRUE(pen$relaxed)) paste0("Relaxed: the coefficients the ", what, " selects, refitted without it")
      else paste0("Penalty: ", what, " (estimates shrunken)"), "\n", sep = "")
  invisible(NULL)
}

# One line describing how the fit was obtained, shared by print() and
# print.summary(): "Optimizer: newton, 5 iterations (converged)".
.methods_fit_line <- function(x) {
  opt <- if (is.null(x$optimizer)) "unknown" else x$optimizer
  iter <- x$iter
  unit <- if (identical(opt, "cd")) " sweep" else if (opt %in% c("sgd", "adam")) " epoch" else " iteration"
  if (identical(opt, "cd")) opt <- "coordinate descent"
  it_txt <- if (is.null(iter)) {
    ""
  } else {
    paste0(", ", iter, unit, if (identical(as.integer(iter), 1L)) "" else "s")
  }
  conv <- x$converged
  conv_txt <- if (is.null(conv) || is.na(conv)) {
    ""
  } else if (isTRUE(conv)) {
    " (converged)"
  } else {
    " (did NOT converge)"
  }
  paste0("Optimizer: ", opt, it_txt, conv_txt)
}

# a family with a theta (the negative binomial's): its value, and whether it
# was estimated (with its standard error) or fixed
.methods_theta_line <- function(x, digits) {
  th <- x$family$theta
  if (is.null(th)) return(invisible())
  if (isTRUE(x$family$theta_estimated)) {
    cat("Theta: ", format(signif(th, digits)), " (estimated; std. error ", format(signif(x$SE.theta, digits)),
        ")\n", sep = "")
  } else {
    cat("Theta: ", format(signif(th, digits)), " (fixed)\n", sep = "")
  }
  invisible()
}
