# summary() for fitted "gradglm" objects and its print method, plus the small
# internal helpers (dispersion, unscaled covariance) that vcov() and anova()
# share with it.

#' Summarise a fitted gradglm model
#'
#' Computes the usual inferential summary of a generalised linear model:
#' standard errors from the inverse Fisher information at the estimate, Wald
#' statistics and their p-values. For families whose dispersion is fixed
#' (binomial and Poisson) the statistics are z values compared with the normal
#' distribution; when the dispersion is estimated (gaussian, Gamma,
#' inverse.gaussian, quasibinomial, quasipoisson, quasi) they are t values
#' compared with a t distribution on the residual degrees of freedom. The
#' numbers are those that [stats::summary.glm()] gives for the same model,
#' with one difference in the last digits: the standard errors and the
#' dispersion are those of the final estimate's working weights, where glm's
#' are those of its last iteration's (so that they agree with glm's to its
#' convergence tolerance, and exactly with a glm fit run to a tighter one).
#'
#' A model with several parameter blocks (`fit$kind == "likelihood"`: a
#' distributional, multinomial, ordinal or multi-response fit) gets one table
#' per block -- the location, the model of `log(sigma)` (named by its
#' formula), `log(df)`; one per class of a multinomial; the coefficients and
#' the cut-points of an ordinal model; one per response -- with standard
#' errors from the joint covariance matrix (the inverse observed information,
#' the expected one for the Laplace and for GLM families), z values (t values
#' for several Gaussian responses, whose dispersions are estimated), and the
#' constant log-linked parameters (a scale with `sigma ~ 1`, an estimated df)
#' on their natural scale with delta-method standard errors. The object then
#' also holds `tables` (the tables with their titles), one element per block
#' named as the block (`location`, `sigma`, `log_df`, ...), `natural`,
#' `loglik`, `npar` and `aic`; `dispersion` does not apply.
#'
#' @param object A fitted model of class `"gradglm"`.
#' @param dispersion The dispersion parameter to use for standard errors. If
#'   `NULL` (the default) it is 1 for binomial and Poisson families and, for
#'   the families whose dispersion is estimated (gaussian, Gamma,
#'   inverse.gaussian and the quasi-families), the Pearson chi-squared
#'   statistic divided by the residual degrees of freedom.
#' @param correlation If `TRUE`, the correlation matrix of the estimated
#'   coefficients is computed and printed.
#' @param symbolic.cor If `TRUE`, the correlations are printed in symbolic
#'   form (see [stats::symnum()]), as [stats::summary.glm()] prints them.
#' @param ... Not used; present for compatibility with the generic.
#' @return An object of class `"summary.gradglm"`, a list with components
#'   `call`, `terms`, `family`, `deviance`, `aic`, `contrasts`, `df.residual`,
#'   `null.deviance`, `df.null`, `iter`, `converged`, `optimizer`,
#'   `deviance.resid`, `coefficients` (a matrix with columns `Estimate`,
#'   `Std. Error`, `t value` or `z value` and `Pr(>|t|)` or `Pr(>|z|)`, one row
#'   per identified coefficient), `aliased` (named logical), `dispersion`,
#'   `df` (rank, residual degrees of freedom, number of coefficients),
#'   `cov.unscaled`, `cov.scaled`, `na.action`, `nobs` and, when
#'   `correlation = TRUE`, `correlation`.
#'
#'   For a network (`model = mlp()`), whose weights have no standard errors,
#'   an object of class `"summary.gradglm_network"`: the architecture, the
#'   residuals' quantiles (deviance residuals, or residuals standardised by
#'   sigma), a table of each layer's number of weights and biases, their root
#'   mean square and largest absolute value, `weights` (one matrix per layer,
#'   a row per unit or output and a column per input of the layer plus
#'   `(bias)`), `inputs` (the centre and scale of each standardised input),
#'   the training's course (objective at the start and end, the kept epoch's
#'   validation loss), deviances, log-likelihood, AIC and BIC.
#' @seealso [print.gradglm()], [vcov.gradglm()], [confint.gradglm()].
#' @examples
#' fit <- gradglm(breaks ~ wool + tension, data = warpbreaks,
#'                family = poisson())
#' s <- summary(fit)
#' s
#' coef(s)            # the coefficient table as a matrix
#' s$dispersion
#'
#' # Gaussian fits report t values on the residual degrees of freedom
#' summary(gradglm(mpg ~ wt + factor(cyl), data = mtcars), correlation = TRUE)
#' @export
summary.gradglm <- function(object, dispersion = NULL, correlation = FALSE, symbolic.cor = FALSE, ...) {
  check_gradglm(object, "summary.gradglm")
  for (a in c("correlation", "symbolic.cor")) {
    v <- get(a)
    if (!is.logical(v) || length(v) != 1L || is.na(v)) abort("summary.gradglm", "'", a, "' must be TRUE or FALSE")
  }
  stop_if_path(object, "summary.gradglm")
  if (is_network_fit(object)) {
    if (!is.null(dispersion) || correlation) {
      abort("summary.gradglm", "'", if (!is.null(dispersion)) "dispersion" else "correlation", "' is for ",
            "standard errors, which a network's weights do not have (the hidden units can be permuted)")
    }
    return(.net_summary(object))
  }
  if (!is_glm_fit(object)) {
    if (!is.null(dispersion)) {
      stop("summary.gradglm: 'dispersion' does not apply to a model whose scale is a parameter of ",
           "the likelihood", call. = FALSE)
    }
    ans <- .lik_summary(object, correlation)
    ans$penalty <- object$penalty
    return(ans)
  }
  fam <- object$family
  est.disp <- is.null(dispersion) && !.methods_fixed_dispersion(fam)
  if (is.null(dispersion)) {
    dispersion <- .methods_dispersion(object)
  } else {
    if (!is.numeric(dispersion) || length(dispersion) != 1L ||
        is.na(dispersion) || dispersion <= 0) {
      stop("summary.gradglm: 'dispersion' must be a single positive number",
           call. = FALSE)
    }
  }
  df.r <- object$df.residual

  aliased <- .methods_aliased(object)
  coefs <- object$coefficients
  est <- coefs[!aliased]
  cov.unscaled <- .methods_cov_unscaled(object)
  cov.scaled <- cov.unscaled * dispersion

  if (length(est)) {
    se <- sqrt(diag(cov.scaled))
    if (est.disp && df.r == 0) se[] <- NaN
    stat <- est / se
    if (est.disp) {
      pval <- 2 * stats::pt(-abs(stat), df = df.r)
      cn <- c("Estimate", "Std. Error", "t value", "Pr(>|t|)")
    } else {
      pval <- 2 * stats::pnorm(-abs(stat))
      cn <- c("Estimate", "Std. Error", "z value", "Pr(>|z|)")
    }
    coef.table <- cbind(est, se, stat, pval)
    dimnames(coef.table) <- list(names(est), cn)
  } else {
    cn <- if (est.disp) {
      c("Estimate", "Std. Error", "t value", "Pr(>|t|)")
    } else {
      c("Estimate", "Std. Error", "z value", "Pr(>|z|)")
    }
    coef.table <- matrix(numeric(0), 0L, 4L, dimnames = list(NULL, cn))
  }

  ans <- list(
    call = object$call,
    kind = object$kind,
    terms = object$terms,
    family = fam,
    deviance = object$deviance,
    aic = object$aic,
    contrasts = object$contrasts,
    df.residual = df.r,
    null.deviance = object$null.deviance,
    df.null = object$df.null,
    iter = object$iter,
    converged = object$converged,
    optimizer = object$optimizer,
    deviance.resid = if (!is_source_fit(object)) stats::residuals(object, type = "deviance"),
    coefficients = coef.table,
    aliased = aliased,
    dispersion = dispersion,
    df = c(length(est), df.r, length(aliased)),
    cov.unscaled = cov.unscaled,
    cov.scaled = cov.scaled,
    na.action = object$na.action,
    nobs = stats::nobs(object),
    penalty = object$penalty,
    theta = object$theta,
    SE.theta = object$SE.theta,
    twologlik = object$twologlik
  )
  if (isTRUE(correlation)) {
    sd <- sqrt(diag(cov.unscaled))
    ans$correlation <- cov.unscaled / outer(sd, sd)
    ans$symbolic.cor <- isTRUE(symbolic.cor)
  }
  class(ans) <- "summary.gradglm"
  ans
}

#' @rdname summary.gradglm
#' @param x An object of class `"summary.gradglm"`.
#' @param digits Number of significant digits used for printing.
#' @param signif.stars If `TRUE`, significance stars are printed next to the
#'   p-values (see [stats::printCoefmat()]).
#' @param show.residuals If `TRUE`, the quartiles of the deviance residuals
#'   (all of them for fewer than six residual degrees of freedom) are printed
#'   after the call, as `print.summary.glm()` prints them (by default since R
#'   4.3.0, only when asked).
#' @export
print.summary.gradglm <- function(x, digits = max(3L, getOption("digits") - 3L),
                                  signif.stars = getOption("show.signif.stars"),
                                  show.residuals = FALSE, ...) {
  if (identical(x$kind, "likelihood")) {
    .lik_print_summary(x, digits, signif.stars, ...)
    .methods_penalty_note(x$penalty, x$aliased)
    return(invisible(x))
  }
  if (!is.null(x$call)) {
    cat("\nCall:\n", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  if (isTRUE(show.residuals) && length(x$deviance.resid)) {
    r <- x$deviance.resid
    if (x$df.residual > 5) r <- stats::setNames(stats::quantile(r, na.rm = TRUE), c("Min", "1Q", "Median", "3Q", "Max"))
    cat("\nDeviance Residuals: \n")
    print.default(zapsmall(r, digits + 1L), digits = digits, na.print = "", print.gap = 2L)
  }
  if (!is.null(x$family)) {
    cat("\nFamily: ", x$family$family, " (link: ", x$family$link, ")\n",
        sep = "")
  }

  aliased <- x$aliased
  if (length(aliased) == 0L) {
    cat("\nNo coefficients\n")
  } else {
    n_alias <- sum(aliased)
    if (n_alias > 0L && !is.null(x$penalty)) {
      cat("\nCoefficients: (", n_alias, " set to 0 at this lambda: not selected)\n", sep = "")
      full <- matrix(NA_real_, length(aliased), ncol(x$coefficients),
                     dimnames = list(names(aliased), colnames(x$coefficients)))
      full[!aliased, ] <- x$coefficients
      full[aliased, 1L] <- 0
      coefs <- full
    } else if (n_alias > 0L) {
      cat("\nCoefficients: (", n_alias, " not defined because of singularities)\n",
          sep = "")
      # Put the aliased coefficients back, in their place, as rows of NA.
      full <- matrix(NA_real_, length(aliased), ncol(x$coefficients),
                     dimnames = list(names(aliased), colnames(x$coefficients)))
      full[!aliased, ] <- x$coefficients
      coefs <- full
    } else {
      cat("\nCoefficients:\n")
      coefs <- x$coefficients
    }
    stats::printCoefmat(coefs, digits = digits, signif.stars = signif.stars,
                        na.print = "NA", ...)
  }

  fam_name <- if (is.null(x$family)) "this" else x$family$family
  cat("\n(Dispersion parameter for ", fam_name, " family taken to be ",
      format(x$dispersion), ")\n\n", sep = "")
  # (glm's lines: the two deviances formatted together)
  dev_tab <- cbind(paste(format(c("Null", "Residual"), justify = "right"), "deviance:"),
                   format(c(x$null.deviance, x$deviance), digits = max(5L, digits + 1L)), " on",
                   format(c(x$df.null, x$df.residual)), " degrees of freedom\n")
  cat(apply(dev_tab, 1L, paste, collapse = " "), sep = "")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat("AIC: ", format(x$aic, digits = max(4L, digits + 1L)), "\n\n", sep = "")
  if (!is.null(x$family$theta)) {
    .methods_theta_line(x, digits + 2L)
    if (!is.null(x$twologlik)) {
      cat("2 x log-likelihood: ", format(x$twologlik, digits = max(4L, digits + 2L)), "\n", sep = "")
    }
    cat("\n")
  }
  cat(.methods_fit_line(x), "\n", sep = "")
  .methods_penalty_note(x$penalty, x$aliased)

  .methods_print_correlation(x$correlation, digits, isTRUE(x$symbolic.cor))
  cat("\n")
  invisible(x)
}

# ---------------------------------------------------------------------------
# Internal helpers shared by summary(), vcov(), confint() and anova().

# TRUE for the families whose dispersion is 1 by definition.
.methods_fixed_dispersion <- function(family) {
  !is.null(family) && !isTRUE(family_row(family)$free_dispersion)
}

# The lower triangle of a correlation matrix, as summary.glm prints it.
.methods_print_correlation <- function(corr, digits, symbolic = FALSE) {
  if (is.null(corr) || NCOL(corr) <= 1L) return(invisible(NULL))
  p <- NCOL(corr)
  cat("\nCorrelation of Coefficients:\n")
  if (symbolic) {
    print(stats::symnum(corr, abbr.colnames = NULL))
    return(invisible(NULL))
  }
  shown <- format(round(corr, 2L), nsmall = 2L, digits = digits)
  shown[upper.tri(shown, diag = TRUE)] <- ""
  print(shown[-1L, -p, drop = FALSE], quote = FALSE)
  invisible(NULL)
}

# The dispersion summary.glm would use by default.
.methods_dispersion <- function(object) {
  if (.methods_fixed_dispersion(object$family)) {
    return(1)
  }
  if (!is.null(object$dispersion)) {
    return(object$dispersion)
  }
  df.r <- object$df.residual
  if (df.r <= 0) {
    return(NaN)
  }
  w <- object$weights
  r <- object$residuals
  if (is.null(w) || is.null(r)) {
    stop("gradglm: the fitted object has neither 'dispersion' nor working ",
         "'weights' and 'residuals'", call. = FALSE)
  }
  keep <- w > 0
  sum((w * r^2)[keep]) / df.r
}

# Named logical: TRUE where a coefficient is not identified (NA).
.methods_aliased <- function(object) {
  al <- object$aliased
  if (is.null(al)) {
    al <- is.na(object$coefficients)
  }
  al <- as.logical(al)
  names(al) <- names(object$coefficients)
  al
}

# (X'WX)^{-1} over the identified coefficients, in coefficient order.
.methods_cov_unscaled <- function(object) {
  aliased <- .methods_aliased(object)
  nm <- names(object$coefficients)[!aliased]
  cu <- object$cov.unscaled
  if (is.null(cu)) {
    cu <- .methods_compute_cov_unscaled(object, aliased)
  }
  cu <- as.matrix(cu)
  if (!is.null(nm) && !anyDuplicated(nm) && !is.null(rownames(cu)) &&
      setequal(rownames(cu), nm) && setequal(colnames(cu), nm)) {
    cu <- cu[nm, nm, drop = FALSE]
  } else if (!is.null(nm) && nrow(cu) == length(nm)) {
    dimnames(cu) <- list(nm, nm)
  }
  cu
}

# Fallback when the fit did not store cov.unscaled: rebuild it from the
# design and the working weights at the solution.
.methods_compute_cov_unscaled <- function(object, aliased) {
  X <- stats::model.matrix(object)
  X <- X[, !aliased, drop = FALSE]
  w <- object$weights
  if (is.null(w)) {
    stop("gradglm: the fitted object has no working 'weights'", call. = FALSE)
  }
  if (ncol(X) == 0L) {
    return(matrix(numeric(0), 0L, 0L))
  }
  q <- qr(X * sqrt(w))
  inv <- chol2inv(qr.R(q))
  ord <- order(q$pivot)
  inv <- inv[ord, ord, drop = FALSE]
  dimnames(inv) <- list(colnames(X), colnames(X))
  inv
}

# A single penalised fit says what its inference is.
.methods_penalty_note <- function(pen, aliased) {
  if (is.null(pen)) return(invisible(NULL))
  what <- penalty_title(pen$spec, pen$alpha)
  if (isTRUE(pen$relaxed)) {
    cat("Relaxed ", what, ": the ", length(pen$selected), " coefficients selected at lambda = ",
        format(signif(pen$lambda, 4)), " refitted without penalty;\n", sep = "")
  } else {
    cat("Penalised fit (", what, ", lambda = ", format(signif(pen$lambda, 4)), "): estimates are shrunken;\n",
        sep = "")
  }
  cat("standard errors and tests ignore that the coefficients were selected.\n")
  invisible(NULL)
}
