# Methods for distributional fits, class c("gradglm_dist", "gradglm"): a
# location model, a linear model of log(sigma) and, for the Student-t with
# estimated degrees of freedom, log(df), all fitted jointly by maximum
# likelihood. Inference is Wald (joint inverse information) and
# likelihood-ratio; nothing here uses a dispersion.

# ---------------------------------------------------------------------------
# print()

#' Print a fitted distributional gradglm model
#'
#' Shows a compact overview of a distributional model fitted by [gradglm()]
#' (a Laplace or Student-t likelihood, or any likelihood with a model for
#' the scale given as `sigma = ~ ...`): the call, the family and link (and
#' for the Student-t whether `df` was fixed or estimated), the location
#' coefficients, the coefficients of the model of `log(sigma)`, `log(df)`
#' when it was estimated, and for a model with a constant scale (`sigma ~ 1`)
#' the scale itself (and `df`) on its natural scale. It ends with the
#' maximised log-likelihood, its number of parameters, the AIC and how the
#' fit was obtained. Use [summary()][summary.gradglm_dist] for standard
#' errors and tests.
#'
#' @param x A fitted model of class `"gradglm_dist"`.
#' @param digits Number of significant digits used for the numbers shown.
#' @param ... Not used; present for compatibility with the generic.
#' @return `x`, invisibly.
#' @seealso [summary.gradglm_dist()], [gradglm()], [print.gradglm()] for
#'   classical fits.
#' @examples
#' fit <- gradglm(dist ~ speed, data = cars, family = laplace())
#' fit
#' gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#' @export
print.gradglm_dist <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  if (!is.null(x$call)) {
    cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  cat("\n", .dist_family_line(x, digits), "\n", sep = "")

  pt <- .dist_parts(x)
  cf <- x$coefficients
  .dist_print_coefs("Location coefficients", cf[pt$location], digits)
  .dist_print_coefs(.dist_sigma_title(.dist_sigma_label(x)),
                    .dist_strip_sigma(cf[pt$sigma]), digits)
  if (length(pt$df)) {
    .dist_print_coefs("Degrees of freedom (log scale)", cf[pt$df], digits)
  }
  nat <- .dist_natural_values(x)
  if (length(nat)) {
    cat("\nOn the natural scale: ",
        paste0(names(nat), " = ",
               vapply(nat, function(v) format(signif(v, digits)), ""),
               collapse = ", "),
        "\n", sep = "")
  }

  ll <- logLik.gradglm_dist(x)
  cat("\nLog-likelihood: ", format(signif(as.numeric(ll), digits)),
      " (df = ", attr(ll, "df"), ")\tAIC: ",
      format(signif(-2 * as.numeric(ll) + 2 * attr(ll, "df"), digits)),
      "\n", sep = "")
  cat("Observations: ", nobs.gradglm_dist(x), "; residual degrees of freedom: ",
      df.residual.gradglm_dist(x), "\n", sep = "")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat(.methods_fit_line(x), "\n", sep = "")
  .dist_print_message(x)
  cat("\n")
  invisible(x)
}

# ---------------------------------------------------------------------------
# summary()

#' Summarise a fitted distributional gradglm model
#'
#' Wald inference for every parameter of a distributional model fitted by
#' [gradglm()]: the location coefficients, the coefficients of the model of
#' `log(sigma)` and, for a Student-t likelihood with estimated degrees of
#' freedom, `log(df)`. Standard errors come from the joint covariance matrix
#' of all parameters ([vcov()][vcov.gradglm_dist]), the inverse of the
#' observed information at the maximum (the expected information for the
#' Laplace, whose observed information is singular). Each table has
#' `Estimate`, `Std. Error`, `z value` and `Pr(>|z|)`, the statistic compared
#' with the standard normal distribution; for `log(df)` the test is of
#' `df = 1`.
#'
#' For a model with a constant scale (`sigma ~ 1`), and whenever `df` is
#' estimated, the scale and `df` are also shown on their natural scale, with
#' delta-method standard errors: `se(sigma) = sigma * se(log sigma)` and
#' `se(df) = df * se(log df)`.
#'
#' @param object A fitted model of class `"gradglm_dist"`.
#' @param correlation If `TRUE`, the correlation matrix of the estimated
#'   parameters is computed and printed.
#' @param ... Not used; present for compatibility with the generic. For
#'   `print()`, passed on to [stats::printCoefmat()].
#' @return An object of class `"summary.gradglm_dist"`, a list with
#'   components `call`, `family`, `df` (the Student-t degrees of freedom, or
#'   `NULL`), `df_estimated`, `sigma_label` (the sigma model as text),
#'   `coefficients` (the table of all identified parameters, named as
#'   [coef()][gradglm-extract] names them), `location`, `sigma` and
#'   `log_df` (the tables of each part, aliased coefficients as rows of
#'   `NA`, the sigma model's rows without their `"sigma:"` prefix; `log_df`
#'   is `NULL` when `df` is not estimated), `natural` (a matrix with
#'   `Estimate` and `Std. Error` of `sigma` and `df` on their natural scale,
#'   or `NULL`), `aliased`, `cov.unscaled`, `loglik`, `npar`, `aic`, `nobs`,
#'   `df.residual`, `na.action`, `optimizer`, `iter`, `converged`, `message`
#'   and, when `correlation = TRUE`, `correlation`.
#' @seealso [print.gradglm_dist()], [vcov.gradglm_dist()],
#'   [confint.gradglm_dist()], [summary.gradglm()] for classical fits.
#' @examples
#' fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#' s <- summary(fit)
#' s
#' s$sigma            # the table of the sigma model
#'
#' # a constant scale is also reported on its natural scale
#' summary(gradglm(dist ~ speed, data = cars, family = student_t(df = 4)))
#' @export
summary.gradglm_dist <- function(object, correlation = FALSE, ...) {
  pt <- .dist_parts(object)
  cf <- object$coefficients
  aliased <- .methods_aliased(object)
  V <- vcov.gradglm_dist(object, complete = FALSE)
  est <- cf[!aliased]
  dv <- diag(V)
  se <- ifelse(is.finite(dv) & dv >= 0, sqrt(pmax(dv, 0)), NaN)
  stat <- est / se
  cn <- c("Estimate", "Std. Error", "z value", "Pr(>|z|)")
  tab <- cbind(est, se, stat, 2 * stats::pnorm(-abs(stat)))
  dimnames(tab) <- list(names(est), cn)

  # the table of one part, aliased rows put back as NA
  part <- function(idx) {
    nm <- names(cf)[idx]
    out <- matrix(NA_real_, length(idx), 4L, dimnames = list(nm, cn))
    ok <- nm[!aliased[idx]]
    out[ok, ] <- tab[ok, , drop = FALSE]
    out
  }
  sig <- part(pt$sigma)
  rownames(sig) <- .dist_strip_sigma(rownames(sig))

  ans <- list(
    call = object$call,
    family = object$family,
    df = object$df,
    df_estimated = isTRUE(object$df_estimated),
    sigma_label = .dist_sigma_label(object),
    coefficients = tab,
    location = part(pt$location),
    sigma = sig,
    log_df = if (length(pt$df)) part(pt$df) else NULL,
    natural = .dist_natural_table(object, V),
    aliased = aliased,
    cov.unscaled = V,
    loglik = as.numeric(logLik.gradglm_dist(object)),
    npar = attr(logLik.gradglm_dist(object), "df"),
    aic = .dist_aic(object),
    nobs = nobs.gradglm_dist(object),
    df.residual = df.residual.gradglm_dist(object),
    na.action = object$na.action,
    optimizer = object$optimizer,
    iter = object$iter,
    converged = object$converged,
    message = object$message
  )
  if (isTRUE(correlation)) {
    sd <- sqrt(diag(V))
    ans$correlation <- V / outer(sd, sd)
  }
  class(ans) <- "summary.gradglm_dist"
  ans
}

#' @rdname summary.gradglm_dist
#' @param x An object of class `"summary.gradglm_dist"`.
#' @param digits Number of significant digits used for printing.
#' @param signif.stars If `TRUE`, significance stars are printed next to the
#'   p-values (see [stats::printCoefmat()]).
#' @export
print.summary.gradglm_dist <- function(x, digits = max(3L, getOption("digits") - 3L),
                                       signif.stars = getOption("show.signif.stars"),
                                       ...) {
  if (!is.null(x$call)) {
    cat("\nCall:\n", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  cat("\n", .dist_family_line(x, digits), "\n", sep = "")

  tables <- list(x$location, x$sigma, x$log_df)
  titles <- c("Location model coefficients",
              .dist_sigma_title(x$sigma_label),
              "Degrees of freedom (log scale)")
  shown <- which(!vapply(tables, is.null, logical(1)))
  any_stars <- isTRUE(signif.stars) &&
    any(x$coefficients[, 4L] < 0.1, na.rm = TRUE)
  for (i in shown) {
    tab <- tables[[i]]
    n_alias <- sum(is.na(tab[, 1L]))
    cat("\n", titles[i], if (n_alias) {
      paste0(" (", n_alias, " not defined because of singularities)")
    }, ":\n", sep = "")
    if (nrow(tab)) {
      stats::printCoefmat(tab, digits = digits, signif.stars = signif.stars,
                          signif.legend = FALSE, na.print = "NA", ...)
    } else {
      cat("(none)\n")
    }
  }
  if (any_stars) {
    # one legend for all the tables, as printCoefmat() would print it
    leg <- attr(stats::symnum(0.5, corr = FALSE, na = FALSE,
                              cutpoints = c(0, 0.001, 0.01, 0.05, 0.1, 1),
                              symbols = c("***", "**", "*", ".", " ")),
                "legend")
    cat("---\nSignif. codes:  ", leg, "\n", sep = "")
  }

  nat <- x$natural
  if (!is.null(nat)) {
    cat("\nOn the natural scale (delta-method standard errors):\n")
    print.default(format(nat, digits = digits), quote = FALSE, right = TRUE,
                  print.gap = 2L)
  }
  if (identical(x$family$family, "student_t") && !isTRUE(x$df_estimated) &&
      !is.null(x$df)) {
    cat("\n(Degrees of freedom of the t distribution fixed at ",
        format(x$df), ")\n", sep = "")
  }

  cat("\nLog-likelihood: ", format(signif(x$loglik, digits + 2L)), " on ",
      x$npar, " parameters,  AIC: ",
      format(x$aic, digits = max(4L, digits + 1L)), "\n", sep = "")
  cat("Number of observations: ", x$nobs, ";  residual degrees of freedom: ",
      x$df.residual, "\n", sep = "")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat(.methods_fit_line(x), "\n", sep = "")
  .dist_print_message(x)

  corr <- x$correlation
  if (!is.null(corr)) {
    p <- NCOL(corr)
    if (p > 1L) {
      cat("\nCorrelation of Coefficients:\n")
      out <- format(round(corr, 2L), nsmall = 2L, digits = digits)
      out[upper.tri(out, diag = TRUE)] <- ""
      print(out[-1L, -p, drop = FALSE], quote = FALSE)
    }
  }
  cat("\n")
  invisible(x)
}

# ---------------------------------------------------------------------------
# Extractors

#' Extract information from a fitted distributional gradglm model
#'
#' Accessor methods for distributional models fitted by [gradglm()] (class
#' `"gradglm_dist"`). Their parameters are, in this order, the location
#' coefficients (named as the columns of the model matrix), the coefficients
#' of the model of `log(sigma)` (named `"sigma:"` followed by the column
#' name, e.g. `"sigma:(Intercept)"`) and, for a Student-t likelihood with
#' estimated degrees of freedom, `"log(df)"`. [coef()][gradglm-extract]
#' returns them all, `NA` for aliased ones; [fitted()][gradglm-extract]
#' returns the fitted location means.
#'
#' * `vcov()`: the joint covariance matrix of all parameters, the inverse of
#'   the observed information at the maximum (the expected information for
#'   the Laplace). With `complete = TRUE` aliased parameters get rows and
#'   columns of `NA`.
#' * `confint()`: Wald intervals `estimate +/- z * se` for any parameters
#'   (those of the sigma model and `log(df)` are on the log scale;
#'   exponentiate the limits for the natural scale).
#' * `logLik()`: the maximised log-likelihood, with attributes `df` (the
#'   number of estimated parameters: location, sigma model and `log(df)` when
#'   estimated) and `nobs`; [stats::AIC()] and [stats::BIC()] use it.
#' * `nobs()`: observations with non-zero prior weight.
#' * `deviance()`: `-2 * logLik`; `df.residual()`: `nobs - df`.
#' * `residuals()`: `"response"` residuals `y - mu`; `"pearson"` residuals
#'   `(y - mu) / sigma_i`, standardised by each observation's fitted scale
#'   parameter (for the Laplace and the Student-t the scale, not the standard
#'   deviation); `"quantile"` residuals `qnorm(F(y))` with `F` the fitted
#'   distribution function (randomised quantile residuals without the
#'   randomisation, which a continuous response does not need), standard
#'   normal when the model is right. They are computed from the tail
#'   probabilities on the log scale, so they stay finite for extreme
#'   observations. Rows dropped by `na.action = na.exclude` are padded with
#'   `NA`.
#'
#' @param object A fitted model of class `"gradglm_dist"`.
#' @param complete For `vcov()`: if `TRUE` (the default), aliased parameters
#'   get rows and columns of `NA`; if `FALSE` they are left out.
#' @param parm The parameters for which intervals are wanted: a vector of
#'   names (as in `coef()`) or positions. All parameters if missing.
#' @param level The confidence level.
#' @param type For `residuals()`: `"response"` (the default), `"pearson"` or
#'   `"quantile"`.
#' @param ... Not used.
#' @return See the list above.
#' @seealso [summary.gradglm_dist()], [predict.gradglm_dist()],
#'   [anova.gradglm_dist()].
#' @examples
#' fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars,
#'                family = student_t(df = 4))
#' coef(fit)
#' vcov(fit)
#' confint(fit, parm = c("speed", "sigma:speed"))
#' exp(confint(fit, parm = "sigma:(Intercept)"))   # on the natural scale
#' logLik(fit)
#' c(AIC = AIC(fit), BIC = BIC(fit), n = nobs(fit))
#' head(residuals(fit, type = "quantile"))
#' @name gradglm_dist-extract
NULL

#' @rdname gradglm_dist-extract
#' @export
vcov.gradglm_dist <- function(object, complete = TRUE, ...) {
  aliased <- .methods_aliased(object)
  if (is.null(object$cov.unscaled)) {
    abort("vcov.gradglm_dist", "the fitted object has no 'cov.unscaled'")
  }
  v <- .methods_cov_unscaled(object)
  if (!complete) {
    return(v)
  }
  .pad_aliased(v, aliased)
}

#' @rdname gradglm_dist-extract
#' @export
confint.gradglm_dist <- function(object, parm, level = 0.95, ...) {
  fun <- "confint.gradglm_dist"
  if (!is.numeric(level) || length(level) != 1L || is.na(level) ||
      level <= 0 || level >= 1) {
    abort(fun, "'level' must be a single number between 0 and 1")
  }
  cf <- object$coefficients
  pnames <- names(cf)
  if (missing(parm)) {
    parm <- pnames
  } else if (is.numeric(parm)) {
    if (anyNA(parm) || any(parm < 1) || any(parm > length(cf)) ||
        any(parm != round(parm))) {
      abort(fun, "'parm' positions must be whole numbers between 1 and ",
            length(cf))
    }
    parm <- pnames[parm]
  } else if (is.character(parm)) {
    unknown <- setdiff(parm, pnames)
    if (length(unknown)) {
      abort(fun, "'parm' names unknown parameter(s) ", quote_some(unknown),
            "; available: ", quote_some(pnames, max = 10L))
    }
  } else {
    abort(fun, "'parm' must be parameter names or positions")
  }
  se <- sqrt(diag(vcov.gradglm_dist(object, complete = TRUE)))
  names(se) <- pnames
  .wald_confint(cf, se, parm, level)
}

#' @rdname gradglm_dist-extract
#' @export
logLik.gradglm_dist <- function(object, ...) {
  if (...length()) {
    warn("logLik.gradglm_dist", "extra arguments are ignored; use AIC() or ",
         "anova() to compare several models")
  }
  df <- object$npar
  if (is.null(df)) df <- sum(!.methods_aliased(object))
  val <- object$loglik
  if (is.null(val)) val <- -object$deviance / 2
  structure(as.numeric(val), nobs = nobs.gradglm_dist(object), df = df,
            class = "logLik")
}

#' @rdname gradglm_dist-extract
#' @export
nobs.gradglm_dist <- function(object, ...) {
  if (!is.null(object$nobs)) {
    return(object$nobs)
  }
  w <- object$prior.weights
  if (!is.null(w)) sum(w != 0) else length(object$fitted.values)
}

#' @rdname gradglm_dist-extract
#' @export
deviance.gradglm_dist <- function(object, ...) {
  -2 * as.numeric(logLik.gradglm_dist(object))
}

#' @rdname gradglm_dist-extract
#' @export
df.residual.gradglm_dist <- function(object, ...) {
  ll <- logLik.gradglm_dist(object)
  attr(ll, "nobs") - attr(ll, "df")
}

#' @rdname gradglm_dist-extract
#' @export
residuals.gradglm_dist <- function(object,
                                   type = c("response", "pearson", "quantile"),
                                   ...) {
  type <- match.arg(type)
  mu <- object$fitted.values
  y <- .dist_response(object)
  res <- switch(type,
    response = y - mu,
    pearson = (y - mu) / object$sigma,
    quantile = .dist_quantile_resid(object, y)
  )
  res <- as.vector(res)
  names(res) <- names(mu)
  stats::naresid(object$na.action, res)
}

# ---------------------------------------------------------------------------
# predict()

#' Predictions from a distributional gradglm fit
#'
#' Predicts the location (on the link or the response scale) or the scale
#' `sigma` of a distributional model fitted by [gradglm()], optionally with
#' standard errors.
#'
#' Without `newdata` the fitted values are returned (padded with `NA` where
#' the fit used `na.action = na.exclude`). With `newdata` the location design
#' is rebuilt from the stored `terms`, `xlevels` and `contrasts`, with offsets
#' from `offset()` terms and from the `offset` argument of the call, exactly
#' as [predict.gradglm()] does; the design of the sigma model is rebuilt from
#' `sigma_terms`, `sigma_xlevels` and `sigma_contrasts`. Only the variables of
#' the part asked for are needed in `newdata`, and `na.action` acts on those.
#'
#' Standard errors use the delta method with the joint covariance matrix
#' [vcov()][vcov.gradglm_dist]: for `"link"` `sqrt(diag(X V X'))` with `V` the
#' block of the location coefficients, for `"response"` that times
#' `|d mu / d eta|`, and for `"sigma"` `sigma * sqrt(diag(Z V Z'))` with `V`
#' the block of the sigma model. Aliased coefficients are left out.
#'
#' For a model fitted by [gradglm_fit()] (no terms), `newdata` is a numeric
#' matrix with the columns of the location design, as for
#' [predict.gradglm()], and `...` may hold `offset` (for the location) and
#' `x_sigma`, the matrix of the sigma model for the new rows (not needed when
#' the sigma model has only a constant).
#'
#' @param object A fitted object of class `"gradglm_dist"`.
#' @param newdata Optionally, a data frame in which to look for the variables
#'   of the model. If omitted, the fitted values are returned.
#' @param type `"link"` (the location linear predictor, the default),
#'   `"response"` (the location mean) or `"sigma"` (the scale parameter,
#'   `exp(Z g)`).
#' @param se.fit Logical: return standard errors as well?
#' @param na.action A function saying what to do with missing values in
#'   `newdata`: [stats::na.pass()] (the default) predicts `NA`,
#'   [stats::na.omit()] drops the rows and [stats::na.exclude()] pads the
#'   result with `NA`.
#' @param ... For a [gradglm_fit()] fit with matrix `newdata`: `offset` and
#'   `x_sigma` for the new rows. Otherwise unused.
#' @return If `se.fit = FALSE`, a named numeric vector. If `se.fit = TRUE`, a
#'   list with components `fit`, `se.fit` (on the scale of `type`) and
#'   `residual.scale` (always 1: the scale is part of the model), as
#'   [stats::predict.glm()] returns.
#' @seealso [gradglm()], [predict.gradglm()].
#' @examples
#' fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#' nd <- data.frame(speed = c(5, 15, 25))
#' predict(fit, nd, type = "response")
#' predict(fit, nd, type = "sigma", se.fit = TRUE)
#' @export
predict.gradglm_dist <- function(object, newdata = NULL,
                                 type = c("link", "response", "sigma"),
                                 se.fit = FALSE, na.action = na.pass, ...) {
  fun <- "predict.gradglm_dist"
  type <- match.arg(type)
  if (!is.logical(se.fit) || length(se.fit) != 1L || is.na(se.fit)) {
    abort(fun, "'se.fit' must be TRUE or FALSE")
  }
  pt <- .dist_parts(object)
  cf <- object$coefficients
  idx <- if (type == "sigma") pt$sigma else pt$location
  b <- cf[idx]
  keep <- !is.na(b)

  if (is.null(newdata)) {
    na_act <- object$na.action
    if (!se.fit) {
      out <- switch(type,
        link = object$linear.predictors,
        response = object$fitted.values,
        sigma = object$sigma
      )
      return(stats::napredict(na_act, out))
    }
    if (type == "sigma") {
      X <- .dist_sigma_fitted_design(object)
      lp <- object$sigma.linear.predictors
    } else {
      X <- .pred_fitted_design(.dist_location_object(object))
      lp <- object$linear.predictors
    }
    rn <- names(object$fitted.values)
  } else {
    design <- if (type == "sigma") {
      .dist_sigma_new_design(object, newdata, na.action, ...)
    } else {
      dots <- list(...)
      dots$x_sigma <- NULL
      do.call(.pred_new_design, c(list(.dist_location_object(object),
                                       newdata, na.action), dots))
    }
    X <- design$x
    na_act <- design$na.action
    lp <- drop(X[, keep, drop = FALSE] %*% b[keep]) + design$offset
    rn <- rownames(X)
  }

  fit <- switch(type,
    link = lp,
    response = object$family$linkinv(lp),
    sigma = exp(lp)
  )
  fit <- as.vector(fit)
  names(fit) <- rn
  if (!se.fit) {
    return(stats::napredict(na_act, fit))
  }

  V <- vcov.gradglm_dist(object, complete = FALSE)
  nm <- names(b)[keep]
  Vb <- V[nm, nm, drop = FALSE]
  Xk <- X[, keep, drop = FALSE]
  se <- sqrt(pmax(rowSums((Xk %*% Vb) * Xk), 0))
  se <- switch(type,
    link = se,
    response = se * abs(object$family$mu.eta(lp)),
    sigma = se * fit
  )
  se <- as.vector(se)
  names(se) <- rn
  list(fit = stats::napredict(na_act, fit),
       se.fit = stats::napredict(na_act, se),
       residual.scale = 1)
}

# ---------------------------------------------------------------------------
# plot()

#' Plots for a distributional gradglm fit
#'
#' Draws, with base graphics, one or more plots of a distributional model
#' fitted by [gradglm()]:
#'
#' * `"loss"`: the training curve (loss and gradient norm against the
#'   iteration), as [plot.gradglm()] draws it.
#' * `"fit"`: for a location model with a single numeric predictor (and a
#'   sigma model that uses no other variable), the data, the fitted mean and
#'   the band `mean +/- 2 sigma` (for the Laplace and the Student-t: the
#'   location +/- 2 scale parameters, not 2 standard deviations), which widens and narrows with the predictor
#'   when sigma is modelled.
#' * `"residuals"`: Pearson residuals, `(y - mu) / sigma_i` (standardised by
#'   each observation's fitted scale), against the fitted means, with a zero
#'   line, lines at +/- 2 and a [stats::lowess()] smooth.
#' * `"qq"`: a normal Q-Q plot of the quantile residuals
#'   ([residuals()][gradglm_dist-extract] with `type = "quantile"`), with the
#'   identity line: they are standard normal when the model is right,
#'   whatever its family.
#'
#' When `which` is left at its default, the plots that apply are drawn
#' (`"loss"` is skipped without a trace, `"fit"` without a single numeric
#' predictor); asking for one of them explicitly in such a case is an error.
#'
#' @param x A fitted object of class `"gradglm_dist"`.
#' @param which Which plots: one or more of `"loss"`, `"fit"`, `"residuals"`
#'   and `"qq"` (partial names allowed), or their numbers 1 to 4.
#' @param ask Logical: ask before each new page? The default asks when
#'   several plots are drawn on an interactive device that shows one at a
#'   time.
#' @param ... Further graphical parameters passed to the main plotting call
#'   of each plot (for example `main`, `col`, `pch`).
#' @return `x`, invisibly.
#' @seealso [plot.gradglm()], [predict.gradglm_dist()].
#' @examples
#' fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#' plot(fit, which = "fit")
#' op <- par(mfrow = c(1, 2))
#' plot(fit, which = c("residuals", "qq"))
#' par(op)
#' @export
plot.gradglm_dist <- function(x, which = c("loss", "fit", "residuals", "qq"),
                              ask = prod(par("mfcol")) < length(which) &&
                                dev.interactive(), ...) {
  explicit <- !missing(which)
  which <- .dist_plot_which(which)
  if (!explicit) {
    if (!.plot_has_trace(x)) which <- setdiff(which, "loss")
    if (is.null(.dist_plot_predictor(x))) which <- setdiff(which, "fit")
  }
  if (isTRUE(ask) && length(which) > 1L) {
    old_ask <- grDevices::devAskNewPage(TRUE)
    on.exit(grDevices::devAskNewPage(old_ask), add = TRUE)
  }
  for (w in which) {
    switch(w,
      loss = .dist_plot_loss(x, ...),
      fit = .dist_plot_fit(x, ...),
      residuals = .dist_plot_residuals(x, ...),
      qq = .dist_plot_qq(x, ...)
    )
  }
  invisible(x)
}

# ---------------------------------------------------------------------------
# anova(): likelihood-ratio tests

#' Likelihood-ratio tests between distributional gradglm fits
#'
#' Compares two or more models fitted to the same observations, at least one
#' of them distributional (class `"gradglm_dist"`; the others may be
#' classical Gaussian [gradglm()] fits, whose log-likelihood counts the
#' estimated scale), by likelihood-ratio tests, in the order given. Each row
#' after the first shows the change in the number of parameters (`Df`) and
#' the likelihood-ratio statistic, twice the change in log-likelihood
#' (`LR stat`), from the row above, with its chi-squared p-value. A typical
#' use is a homoskedastic fit against one with a model for sigma.
#'
#' The test is valid for nested models only, which the caller must ensure:
#' the function checks that the models have the same number of observations
#' and the same response. When the families (or links) differ the models are
#' not nested, and no p-value is given. `anova.gradglm()` hands any
#' comparison that involves a distributional fit to this function.
#'
#' Term-by-term (sequential) tables of a single model are available for
#' classical fits only; for a distributional fit give two or more models.
#'
#' @param object,... Fitted models: `"gradglm_dist"` fits and classical
#'   `"gradglm"` fits of the Gaussian family.
#' @param test `"Chisq"` (or its synonym `"LRT"`, the default) for the
#'   chi-squared test, or `"none"` (or `NULL`/`FALSE`) for none.
#' @return An object of class `c("anova", "data.frame")` with columns
#'   `Resid. Df` (observations minus parameters), `-2 logLik`, `Df`,
#'   `LR stat` and, when a test is asked for, `Pr(>Chi)`.
#' @seealso [logLik.gradglm_dist()][gradglm_dist-extract],
#'   [anova.gradglm()].
#' @examples
#' fit0 <- gradglm(dist ~ speed, data = cars)                 # classical
#' fit1 <- gradglm(dist ~ speed, sigma = ~ 1, data = cars)
#' fit2 <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#' anova(fit1, fit2)
#' anova(fit0, fit2)
#' @export
anova.gradglm_dist <- function(object, ..., test = "Chisq") {
  fun <- "anova.gradglm_dist"
  dots <- list(...)
  fits <- c(list(object), dots)
  is_fit <- vapply(fits, inherits, logical(1), what = "gradglm")
  if (!all(is_fit)) {
    abort(fun, "every model must be a gradglm fit (argument(s) ",
          paste(which(!is_fit), collapse = ", "), " are not)")
  }
  if (length(fits) < 2L) {
    abort(fun, "term-by-term tables are available for classical fits only; ",
          "to test a distributional fit, compare it with another model, ",
          "e.g. anova(fit_sigma_1, fit_sigma_x)")
  }
  test <- .methods_anova_test(test)
  if (test == "F") {
    abort(fun, "the F test does not apply to distributional fits; ",
          "use test = \"Chisq\" (likelihood-ratio test)")
  }
  .dist_anova_lrt(fits, test)
}

# ---------------------------------------------------------------------------
# Internal helpers

# Indices of the location, sigma and log(df) parameters in the coefficients.
.dist_parts <- function(object) {
  p <- object$parts
  if (is.null(p)) {
    nm <- names(object$coefficients)
    sig <- which(startsWith(nm, "sigma:"))
    df <- which(nm == "log(df)")
    p <- list(location = setdiff(seq_along(nm), c(sig, df)), sigma = sig,
              df = df)
  }
  list(location = as.integer(p$location), sigma = as.integer(p$sigma),
       df = as.integer(p$df))
}

.dist_strip_sigma <- function(x) {
  if (is.character(x)) return(sub("^sigma:", "", x))
  names(x) <- sub("^sigma:", "", names(x))
  x
}

# The fit seen as a classical location model: for predict.gradglm's helpers.
.dist_location_object <- function(object) {
  pt <- .dist_parts(object)
  object$coefficients <- object$coefficients[pt$location]
  object$x_sigma <- NULL
  class(object) <- "gradglm"
  object
}

# "Family: student_t (link: identity), df = 4 (fixed)"
.dist_family_line <- function(x, digits) {
  fam <- x$family
  s <- paste0("Family: ", fam$family, " (link: ", fam$link, ")")
  if (identical(fam$family, "student_t") && !is.null(x$df)) {
    s <- paste0(s, ", df ", if (isTRUE(x$df_estimated)) {
      paste0("estimated (", format(signif(x$df, digits)), ")")
    } else {
      paste0("= ", format(x$df), " (fixed)")
    })
  }
  s
}

# The sigma model as text: "~ speed", or "~ 1".
.dist_sigma_label <- function(x) {
  f <- x$sigma_formula
  if (is.null(f) && !is.null(x$sigma_terms)) f <- stats::formula(x$sigma_terms)
  if (!is.null(f)) {
    rhs <- f[[length(f)]]
    return(paste("~", paste(deparse(rhs, width.cutoff = 500L), collapse = " ")))
  }
  if (.dist_constant_sigma(x)) "~ 1" else "(design matrix)"
}

# "Sigma model coefficients (log scale, sigma ~ speed)"
.dist_sigma_title <- function(label) {
  if (startsWith(label, "~")) {
    paste0("Sigma model coefficients (log scale, sigma ", label, ")")
  } else {
    "Sigma model coefficients (log scale)"
  }
}

# Is the sigma model a constant (sigma ~ 1)?
.dist_constant_sigma <- function(x) {
  pt <- .dist_parts(x)
  if (length(pt$sigma) != 1L || is.na(x$coefficients[pt$sigma])) return(FALSE)
  st <- x$sigma_terms
  if (!is.null(st)) {
    return(length(attr(st, "term.labels")) == 0L && attr(st, "intercept") == 1L)
  }
  identical(names(x$coefficients)[pt$sigma], "sigma:(Intercept)")
}

# Named estimates of sigma (constant scale) and df (estimated) on the natural
# scale, for print().
.dist_natural_values <- function(x) {
  pt <- .dist_parts(x)
  cf <- x$coefficients
  out <- numeric(0)
  if (.dist_constant_sigma(x)) out["sigma"] <- exp(cf[[pt$sigma]])
  if (length(pt$df) && !is.na(cf[[pt$df]])) out["df"] <- exp(cf[[pt$df]])
  out
}

# The same with delta-method standard errors, for summary().
.dist_natural_table <- function(x, V) {
  est <- .dist_natural_values(x)
  if (!length(est)) return(NULL)
  pt <- .dist_parts(x)
  nm <- names(x$coefficients)
  log_nm <- c(sigma = nm[pt$sigma][1L], df = nm[pt$df][1L])[names(est)]
  se <- est * sqrt(diag(V)[log_nm])
  out <- cbind(est, se)
  dimnames(out) <- list(names(est), c("Estimate", "Std. Error"))
  out
}

.dist_aic <- function(x) {
  ll <- logLik.gradglm_dist(x)
  -2 * as.numeric(ll) + 2 * attr(ll, "df")
}

.dist_print_coefs <- function(title, coefs, digits) {
  cat("\n", title, ":\n", sep = "")
  if (length(coefs)) {
    print.default(format(coefs, digits = digits), print.gap = 2L,
                  quote = FALSE)
  } else {
    cat("(none)\n")
  }
}

# The optimizer's message when the fit did not converge.
.dist_print_message <- function(x) {
  msg <- x$message
  if (!isTRUE(x$converged) && is.character(msg) && length(msg) == 1L &&
      nzchar(msg)) {
    cat("Note: ", msg, "\n", sep = "")
  }
}

# The response of the fit (recovered from the response residuals if y = FALSE).
.dist_response <- function(object) {
  y <- object$y
  if (is.null(y)) y <- object$fitted.values + object$residuals
  as.vector(y)
}

# qnorm(F(y)) with F the fitted distribution function, from the log of the
# tail probability beyond |z| so that extreme observations stay finite.
.dist_quantile_resid <- function(object, y) {
  z <- (y - object$fitted.values) / object$sigma
  fam <- object$family$family
  a <- -abs(z)
  log_tail <- switch(fam,
    gaussian = stats::pnorm(a, log.p = TRUE),
    laplace = log(0.5) + a,
    student_t = stats::pt(a, df = object$df, log.p = TRUE),
    abort("residuals.gradglm_dist", "quantile residuals are not available ",
          "for the '", fam, "' family")
  )
  q <- stats::qnorm(log_tail, log.p = TRUE)  # <= 0
  ifelse(z > 0, -q, q)
}

# Sigma design of the fitted rows.
.dist_sigma_fitted_design <- function(object) {
  fun <- "predict.gradglm_dist"
  if (is.matrix(object$x_sigma)) return(object$x_sigma)
  pt <- .dist_parts(object)
  cn <- .dist_strip_sigma(names(object$coefficients)[pt$sigma])
  n <- length(object$fitted.values)
  rn <- names(object$fitted.values)
  if (.dist_constant_sigma(object)) {
    return(matrix(1, n, 1L, dimnames = list(rn, cn)))
  }
  st <- object$sigma_terms
  if (is.null(st)) {
    abort(fun, "'se.fit = TRUE' without 'newdata' needs the matrix of the ",
          "sigma model, which this fit did not keep; pass 'newdata' (and ",
          "'x_sigma')")
  }
  env <- environment(st)
  if (is.null(env)) env <- globalenv()
  mf <- object$model
  m <- NULL
  if (!is.null(mf)) {
    # the fit's own frame holds the variables of both models, named as
    # model.frame() names them
    vars <- vapply(as.list(attr(st, "variables"))[-1L], function(v) {
      paste(deparse(v, width.cutoff = 500L), collapse = " ")
    }, "")
    if (all(vars %in% names(mf))) {
      m <- mf
    } else if (all(all.vars(st) %in% names(mf))) {
      m <- tryCatch(stats::model.frame(st, data = mf, na.action = stats::na.pass,
                                       xlev = object$sigma_xlevels),
                    error = function(e) NULL)
    }
  }
  if (is.null(m)) {
    # rebuild from the call, then keep the rows of the fit
    cl <- object$call
    args <- list(formula = st, data = cl$data, subset = cl$subset,
                 na.action = quote(stats::na.pass),
                 xlev = object$sigma_xlevels)
    args <- args[!vapply(args, is.null, logical(1))]
    m <- tryCatch(eval(as.call(c(list(quote(stats::model.frame)), args)), env),
                  error = function(e) {
                    abort(fun, "could not rebuild the data of the sigma model ",
                          "(", conditionMessage(e), "); refit with x = TRUE")
                  })
    if (nrow(m) != n) {
      idx <- match(rn, row.names(m))
      if (is.null(rn) || anyNA(idx)) {
        abort(fun, "could not match the rows of the sigma model to the fit; ",
              "refit with x = TRUE")
      }
      m <- m[idx, , drop = FALSE]
    }
  }
  Z <- stats::model.matrix(st, m, contrasts.arg = object$sigma_contrasts)
  Z <- .dist_match_sigma_columns(Z, cn)
  rownames(Z) <- rn
  Z
}

# Sigma design (and offset, na.action) for new data.
.dist_sigma_new_design <- function(object, newdata, na.action, ...) {
  fun <- "predict.gradglm_dist"
  pt <- .dist_parts(object)
  cn <- .dist_strip_sigma(names(object$coefficients)[pt$sigma])
  st <- object$sigma_terms
  if (is.null(st)) {
    return(.dist_sigma_matrix_design(object, newdata, cn, ...))
  }
  if (!is.data.frame(newdata)) {
    abort(fun, "'newdata' must be a data frame, not ", .pred_describe(newdata))
  }
  env <- environment(st)
  if (is.null(env)) env <- globalenv()
  vars <- all.vars(st)
  missing_vars <- setdiff(vars, names(newdata))
  missing_vars <- missing_vars[!vapply(missing_vars, .pred_is_constant,
                                       logical(1), env = env)]
  if (length(missing_vars)) {
    abort(fun, "'newdata' is missing variable(s) ", quote_some(missing_vars),
          " of the sigma model")
  }
  xlev <- object$sigma_xlevels
  if (length(xlev)) {
    m0 <- stats::model.frame(st, newdata, na.action = stats::na.pass)
    for (nm in names(xlev)) {
      v <- m0[[nm]]
      if (is.null(v)) next
      new_lev <- setdiff(unique(as.character(v[!is.na(v)])), xlev[[nm]])
      if (length(new_lev)) {
        abort(fun, "'newdata' has level(s) ", quote_some(new_lev),
              " of factor '", nm, "' not seen in fitting the sigma model ",
              "(levels: ", quote_some(xlev[[nm]], max = 20L), ")")
      }
    }
  }
  m <- stats::model.frame(st, newdata, na.action = na.action, xlev = xlev)
  Z <- stats::model.matrix(st, m, contrasts.arg = object$sigma_contrasts)
  Z <- .dist_match_sigma_columns(Z, cn)
  off <- stats::model.offset(m)
  if (is.null(off)) off <- rep(0, nrow(Z))
  list(x = Z, offset = as.vector(off), na.action = attr(m, "na.action"))
}

.dist_match_sigma_columns <- function(Z, cn) {
  if (identical(colnames(Z), cn)) return(Z)
  if (all(cn %in% colnames(Z))) return(Z[, cn, drop = FALSE])
  abort("predict.gradglm_dist", "the sigma design built from the data does ",
        "not match the fitted sigma coefficients (",
        paste(setdiff(cn, colnames(Z)), collapse = ", "), ")")
}

# Sigma design for a gradglm_fit() fit: 'x_sigma' given in '...', or a
# column of ones for a constant sigma model.
.dist_sigma_matrix_design <- function(object, newdata, cn, ...) {
  fun <- "predict.gradglm_dist"
  n <- NROW(newdata)
  rn <- if (!is.null(rownames(newdata))) rownames(newdata) else
    as.character(seq_len(n))
  xs <- list(...)$x_sigma
  if (is.null(xs)) {
    if (!.dist_constant_sigma(object)) {
      abort(fun, "this fit came from gradglm_fit() with a sigma model; ",
            "give the sigma model's matrix for the new rows as 'x_sigma'")
    }
    return(list(x = matrix(1, n, 1L, dimnames = list(rn, cn)),
                offset = rep(0, n), na.action = NULL))
  }
  if (is.data.frame(xs)) xs <- as.matrix(xs)
  if (!is.numeric(xs)) xs <- as.matrix(xs)
  if (!is.matrix(xs) || !is.numeric(xs) || nrow(xs) != n) {
    abort(fun, "'x_sigma' must be a numeric matrix with one row per row of ",
          "'newdata' (", n, ")")
  }
  if (!is.null(colnames(xs)) && all(cn %in% colnames(xs))) {
    xs <- xs[, cn, drop = FALSE]
  } else if (ncol(xs) == length(cn)) {
    colnames(xs) <- cn
  } else {
    abort(fun, "'x_sigma' has ", ncol(xs), " column(s) but the sigma model ",
          "was fitted with ", length(cn))
  }
  rownames(xs) <- rn
  list(x = xs, offset = rep(0, n), na.action = NULL)
}

# --- plot helpers

.dist_plot_choices <- c("loss", "fit", "residuals", "qq")

.dist_plot_which <- function(which) {
  choices <- .dist_plot_choices
  bad <- function() {
    abort("plot.gradglm_dist", "'which' must be one or more of ",
          paste0("\"", choices, "\"", collapse = ", "), " (or 1 to 4)")
  }
  if (length(which) == 0L || anyNA(which)) bad()
  if (is.numeric(which)) {
    if (any(which != round(which)) || any(which < 1 | which > length(choices))) {
      bad()
    }
    return(unique(choices[which]))
  }
  if (!is.character(which)) bad()
  idx <- pmatch(which, choices, duplicates.ok = TRUE)
  if (anyNA(idx)) bad()
  unique(choices[idx])
}

.dist_plot_loss <- function(x, ...) {
  if (!.plot_has_trace(x)) {
    abort("plot.gradglm_dist", "'which = \"loss\"' needs the training trace, ",
          "which this fit did not keep; refit with ",
          "gradglm_control(trace = TRUE)")
  }
  dots <- list(...)
  if (is.null(dots$ylab)) dots$ylab <- "loss (negative log-likelihood)"
  do.call(.plot_loss, c(list(x), dots))
}

# The single numeric predictor of the location model, if the sigma model
# uses no other variable; NULL otherwise.
.dist_plot_predictor <- function(x) {
  v <- .plot_single_predictor(x)
  if (is.null(v)) return(NULL)
  st <- x$sigma_terms
  if (is.null(st)) {
    if (!.dist_constant_sigma(x)) return(NULL)
  } else {
    if (length(x$sigma_xlevels)) return(NULL)
    if (length(setdiff(all.vars(st), v))) return(NULL)
  }
  v
}

.dist_plot_fit <- function(x, ...) {
  v <- .dist_plot_predictor(x)
  xv <- if (!is.null(v)) .plot_raw_predictor(x, v)
  if (is.null(v) || is.null(xv) || !is.numeric(xv) || !is.null(dim(xv))) {
    abort("plot.gradglm_dist", "'which = \"fit\"' needs a model fitted by ",
          "gradglm() with a single numeric predictor, and a sigma model that ",
          "uses no other variable; use 'which' = \"loss\", \"residuals\" or ",
          "\"qq\" for this model")
  }
  y <- .dist_response(x)
  resp <- attr(x$terms, "response")
  ylab <- if (resp > 0L) {
    deparse(attr(x$terms, "variables")[[resp + 1L]])[1L]
  } else {
    "Response"
  }
  ok <- is.finite(xv) & is.finite(y)
  rng <- range(xv[ok])
  grid <- seq(rng[1L], rng[2L], length.out = 200L)
  nd <- stats::setNames(data.frame(grid), v)
  mu <- predict.gradglm_dist(x, newdata = nd, type = "response")
  sg <- predict.gradglm_dist(x, newdata = nd, type = "sigma")
  lo <- mu - 2 * sg
  hi <- mu + 2 * sg
  fin <- c(y[ok], lo, hi, mu)
  .plot_call(graphics::plot, list(
    x = xv[ok], y = y[ok], xlab = v, ylab = ylab,
    ylim = range(fin[is.finite(fin)]),
    main = paste0("Fitted location and scale (", x$family$family, ", sigma ",
                  .dist_sigma_label(x), ")")),
    list(...))
  okb <- is.finite(lo) & is.finite(hi)
  graphics::polygon(c(grid[okb], rev(grid[okb])), c(lo[okb], rev(hi[okb])),
                    col = grDevices::adjustcolor("firebrick", alpha.f = 0.15),
                    border = NA)
  graphics::lines(grid, lo, col = "firebrick", lty = 2)
  graphics::lines(grid, hi, col = "firebrick", lty = 2)
  graphics::lines(grid, mu, col = "firebrick", lwd = 2)
  # the Gaussian's location is its mean and its scale its sd; for the Laplace
  # and the Student-t the band is +- 2 scale parameters, not 2 sd
  labels <- if (x$family$family == "gaussian") {
    c("fitted mean", "mean \u00b1 2 sigma")
  } else {
    c("fitted location", "location \u00b1 2 scale")
  }
  graphics::legend("topleft", bty = "n", legend = labels,
                   col = "firebrick", lty = c(1, 2), lwd = c(2, 1))
  invisible(NULL)
}

.dist_plot_ok <- function(x) {
  w <- x$prior.weights
  if (is.null(w)) rep(TRUE, length(x$fitted.values)) else w > 0
}

.dist_plot_residuals <- function(x, ...) {
  mu <- x$fitted.values
  r <- (.dist_response(x) - mu) / x$sigma
  ok <- .dist_plot_ok(x) & is.finite(r) & is.finite(mu)
  r <- r[ok]
  mu <- mu[ok]
  .plot_call(graphics::plot, list(
    x = mu, y = r, xlab = "Fitted values",
    ylab = "Pearson residuals, (y - mu) / sigma",
    main = "Standardised residuals vs fitted values"), list(...))
  graphics::abline(h = 0, lty = 3, col = "gray40")
  graphics::abline(h = c(-2, 2), lty = 2, col = "gray70")
  if (length(unique(mu)) >= 10L) {
    graphics::lines(stats::lowess(mu, r), col = "firebrick")
  }
  invisible(NULL)
}

.dist_plot_qq <- function(x, ...) {
  y <- .dist_response(x)
  rq <- .dist_quantile_resid(x, y)
  rq <- rq[.dist_plot_ok(x) & is.finite(rq)]
  if (!length(rq)) {
    abort("plot.gradglm_dist", "no finite residuals to draw for ",
          "'which = \"qq\"'")
  }
  .plot_call(stats::qqnorm, list(y = rq, ylab = "Quantile residuals",
                                 main = paste0("Normal Q-Q plot (",
                                               x$family$family, ")")),
             list(...))
  graphics::abline(0, 1, lty = 3, col = "gray40")
  invisible(NULL)
}

# --- anova helpers

.dist_anova_lrt <- function(fits, test) {
  fun <- "anova.gradglm_dist"
  k <- length(fits)
  is_dist <- vapply(fits, inherits, logical(1), what = "gradglm_dist")
  fam <- vapply(fits, function(f) f$family$family, character(1))
  bad <- !is_dist & fam != "gaussian"
  if (any(bad)) {
    abort(fun, "classical fits can be compared with distributional fits only ",
          "for the gaussian family (model(s) ", paste(which(bad), collapse = ", "),
          " are ", quote_some(fam[bad]), ")")
  }
  n <- vapply(fits, function(f) as.numeric(stats::nobs(f)), numeric(1))
  if (any(n != n[1L])) {
    abort(fun, "the models were not all fitted to the same number of ",
          "observations (", paste(n, collapse = ", "), ")")
  }
  resp <- vapply(fits, .methods_response_label, character(1))
  if (!anyNA(resp) && length(unique(resp)) > 1L) {
    abort(fun, "the models have different responses (",
          paste(unique(resp), collapse = ", "), ")")
  }
  lls <- lapply(fits, stats::logLik)
  ll <- vapply(lls, as.numeric, numeric(1))
  np <- vapply(lls, function(l) as.numeric(attr(l, "df")), numeric(1))
  resdf <- n - np
  m2ll <- -2 * ll
  dfs <- c(NA, -diff(resdf))
  lr <- c(NA, -diff(m2ll))
  tab <- data.frame(resdf, m2ll, dfs, lr, check.names = FALSE)
  names(tab) <- c("Resid. Df", "-2 logLik", "Df", "LR stat")
  row.names(tab) <- seq_len(k)

  fam_id <- vapply(fits, function(f) .methods_describe_family(f$family),
                   character(1))
  same_family <- length(unique(fam_id)) == 1L
  note <- NULL
  if (test == "Chisq") {
    stat <- lr * sign(dfs)
    stat[dfs %in% 0] <- NA
    stat[!is.na(stat) & stat < 0] <- NA
    p <- stats::pchisq(stat, abs(dfs), lower.tail = FALSE)
    if (!same_family) {
      p[] <- NA
      note <- paste0("\nThe models have different families (",
                     paste(unique(fam_id), collapse = " / "),
                     "): they are not nested, so no p-values are given.\n")
    }
    tab[["Pr(>Chi)"]] <- p
  }

  labels <- vapply(seq_len(k), function(i) {
    paste0("Model ", i, ": ", .dist_model_label(fits[[i]], is_dist[i]))
  }, character(1))
  heading <- c("Likelihood ratio test\n",
               paste0(paste(labels, collapse = "\n"), "\n", note))
  structure(tab, heading = heading, class = c("anova", "data.frame"))
}

# "dist ~ speed, sigma ~ speed (laplace)"
.dist_model_label <- function(f, is_dist) {
  lab <- if (!is.null(f$terms) || !is.null(f$formula)) {
    paste(deparse(stats::formula(f), width.cutoff = 500L), collapse = " ")
  } else {
    paste0("<gradglm_fit with ", sum(!is.na(f$coefficients)), " parameters>")
  }
  fam <- f$family$family
  if (is_dist) {
    sig <- .dist_sigma_label(f)
    sig <- if (startsWith(sig, "~")) paste0("sigma ", sig) else "sigma: design matrix"
    if (identical(fam, "student_t") && !is.null(f$df)) {
      fam <- paste0(fam, if (isTRUE(f$df_estimated)) ", df estimated" else
        paste0(", df = ", format(f$df)))
    }
    paste0(lab, ", ", sig, " (", fam, ")")
  } else {
    paste0(lab, " (", fam, ", classical fit)")
  }
}
