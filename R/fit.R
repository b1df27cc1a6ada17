#' Fit a gradglm model from a design matrix
#'
#' The matrix interface of [gradglm()], as [stats::glm.fit()] is to
#' [stats::glm()]: no formula, no data frame, no missing values.
#'
#' @param x Numeric design matrix, one row per observation (include a column
#'   of ones for an intercept).
#' @param y Response: a numeric vector; for `binomial()` also logical, a
#'   two-level factor or a two-column matrix `cbind(successes, failures)`.
#' @param weights Prior weights, non-negative, or `NULL` for ones.
#' @param offset A known part of the linear predictor, or `NULL`.
#' @param family A family: a name (`"binomial"`), a function (`binomial`) or a
#'   family object (`binomial(link = "probit")`). Available: `gaussian`
#'   (identity, log), `binomial` (logit, probit, cloglog), `poisson` (log,
#'   identity, sqrt), and with an estimated scale [laplace()] (identity) and
#'   [student_t()] (identity, log).
#' @param optimizer `"auto"` (the default: `"exact"` for a Gaussian model with
#'   the identity link, `"newton"` otherwise), `"exact"` (closed form by QR),
#'   `"newton"` (Newton / Fisher scoring with step-halving), `"lbfgs"`
#'   (limited-memory BFGS with a Wolfe line search), `"gd"` (gradient
#'   descent with a decaying learning rate and backtracking), `"sgd"`
#'   (minibatch stochastic gradient descent with momentum) or `"adam"`
#'   (Adam on minibatches); or a specification with settings, made by
#'   [opt_newton()], [opt_lbfgs()], [opt_gd()], [opt_sgd()] or [opt_adam()].
#'   The minibatch optimizers draw from R's random number generator: use
#'   `set.seed()` for a reproducible fit.
#' @param control Settings made by [gradglm_control()].
#' @param start Starting coefficients, one per column of `x`, or `NULL`. For a
#'   distributional fit: the location coefficients, then the sigma-model
#'   coefficients (log scale), then `log(df)` when the df is estimated.
#' @param x_sigma Design matrix of the model for log(sigma), one row per
#'   observation (for example a column of ones for a constant scale), or
#'   `NULL`: a constant scale for `laplace()` and `student_t()`, the classical
#'   fit for `gaussian()`. See the `sigma` argument of [gradglm()].
#' @return A fitted model of class `"gradglm"`; see [gradglm()] for its parts.
#' @seealso [gradglm()] for the formula interface.
#' @examples
#' X <- cbind("(Intercept)" = 1, wt = mtcars$wt, hp = mtcars$hp)
#' fit <- gradglm_fit(X, mtcars$am, family = binomial())
#' coef(fit)
#' @export
gradglm_fit <- function(x, y, weights = NULL, offset = NULL, family = gaussian(),
                        optimizer = "auto", control = gradglm_control(), start = NULL,
                        x_sigma = NULL) {
  fun <- "gradglm_fit"
  x <- check_design(x, fun)
  intercept <- intercept_column(x) > 0L
  fam <- resolve_family(family, fun)
  if (!is.null(x_sigma) || is_scale_only_family(fam$family)) {
    z <- if (is.null(x_sigma)) {
      matrix(1, nrow(x), 1L, dimnames = list(NULL, "(Intercept)"))
    } else {
      check_design(x_sigma, fun, what = "'x_sigma'")
    }
    fit <- fit_dist_core(x, z, y, weights, offset, family, optimizer, control, start, intercept, fun)
    fit$method <- "gradglm_fit"
    return(new_gradglm(fit))
  }
  fit <- fit_core(x, y, weights, offset, family, optimizer, control, start, intercept, fun)
  fit$method <- "gradglm_fit"
  new_gradglm(fit)
}

# The shared path of gradglm() and gradglm_fit(): checks, the C++ engine,
# and glm's summaries of the fit.
fit_core <- function(x, y, weights, offset, family, optimizer, control, start, intercept, fun) {
  fam <- resolve_family(family, fun)
  family <- fam$family
  control <- as_control(control, fun)
  spec <- as_optimizer_spec(optimizer, fun)
  optimizer <- resolve_optimizer(spec, fam, fun)
  n <- nrow(x)
  if (NROW(y) != n) abort(fun, "'y' has ", NROW(y), " observations but 'x' has ", n, " rows")
  weights <- check_weights(weights, n, fun)
  offset_given <- !is.null(offset)
  offset <- check_offset(offset, n, fun)
  resp <- prepare_response(y, family, weights, fun)
  y <- resp$y
  weights <- resp$weights
  if (!any(weights > 0)) abort(fun, "every observation has zero weight (or zero trials)")
  n_ok <- sum(weights > 0)
  p <- ncol(x)
  if (p > n_ok) {
    abort(fun, "the model has more coefficients (", p, ") than observations with non-zero weight (",
          n_ok, ")")
  }
  cn <- design_names(x)
  start <- check_start(start, p, cn, fun)
  if (optimizer %in% c("newton", "lbfgs") && is.null(start)) check_default_start(family, y, fun)
  if (optimizer %in% c("gd", "sgd", "adam") && is.null(start)) start <- gd_start(x, y, weights, offset, family)

  engine_control <- engine_control_list(control, spec, optimizer, n)
  check_batch_size(engine_control, optimizer, n, fun)
  engine_control$subsample_min <- 200000L
  res <- tryCatch(
    fit_engine(x, y, weights, offset, fam$dist, fam$link, optimizer, start, engine_control),
    error = function(e) abort(fun, conditionMessage(e))
  )
  check_rate(res, optimizer, engine_control$learning_rate, fun)
  if (!is.finite(res$loss)) {
    abort(fun, "the ", optimizer, " optimizer could not find valid coefficients (",
          if (nzchar(res$message)) res$message else "non-finite loss", "); supply 'start'")
  }
  coef <- stats::setNames(res$coefficients, cn)
  aliased <- stats::setNames(res$aliased, cn)
  eta <- res$linear.predictors
  mu <- res$fitted.values
  rn <- names(y)
  names(eta) <- names(mu) <- rn
  residuals <- stats::setNames((y - mu) / res$mu.eta, rn)
  working <- stats::setNames(res$weights, rn)
  dev <- res$deviance
  rank <- sum(!aliased)

  # null deviance: intercept-only model (refitted when there is an offset), as glm
  if (intercept && offset_given && any(offset != 0)) {
    x1 <- matrix(1, n, 1L)
    null_res <- fit_engine(x1, y, weights, offset, fam$dist, fam$link,
                           if (optimizer == "exact") "exact" else "newton",
                           gd_start(x1, y, weights, offset, family),
                           utils::modifyList(engine_control, list(max_iter = 100L, trace = FALSE,
                                                                  verbose = FALSE)))
    null_dev <- null_res$deviance
  } else {
    wtdmu <- if (intercept) sum(weights * y) / sum(weights) else family$linkinv(offset)
    null_dev <- sum(family$dev.resids(y, wtdmu, weights))
  }
  aic <- family_aic(family, y, resp$trials, mu, weights, dev) + 2 * rank
  df_residual <- n_ok - rank
  dispersion <- if (family$family %in% c("binomial", "poisson")) {
    1
  } else if (df_residual > 0) {
    sum((working * residuals^2)[weights > 0]) / df_residual
  } else {
    NaN
  }
  cov <- res$cov.unscaled
  dimnames(cov) <- list(cn[!aliased], cn[!aliased])

  if (!res$converged) warn_not_converged(res, optimizer, fun)
  warn_best_at_start(res, fun)
  if (family$family == "binomial" && res$n_boundary > 0L) {
    warn(fun, "fitted probabilities numerically 0 or 1 occurred (the classes may be separated)")
  }
  if (family$family == "poisson" && res$n_boundary > 0L) {
    warn(fun, "fitted rates numerically 0 occurred")
  }

  list(coefficients = coef, aliased = aliased, residuals = residuals, fitted.values = mu,
       rank = rank, family = family, linear.predictors = eta, deviance = dev, aic = aic,
       null.deviance = null_dev, iter = res$iter, weights = working, prior.weights = weights,
       df.residual = df_residual, df.null = n_ok - as.integer(intercept), y = y,
       converged = res$converged, boundary = FALSE,
       loglik = loglik_from_aic(aic, rank, family),
       cov.unscaled = cov, dispersion = dispersion, optimizer = optimizer,
       trace = res$trace, control = control, optimizer_settings = spec$settings,
       message = res$message, best_epoch = res$best_epoch,
       offset = if (offset_given) offset else NULL,
       nobs = n_ok, intercept = intercept)
}

# sgd / adam: a batch cannot be larger than the data
check_batch_size <- function(engine_control, optimizer, n, fun) {
  if (optimizer %in% c("sgd", "adam") && engine_control$batch_size > n) {
    abort(fun, "'batch_size' (", engine_control$batch_size, ") is larger than the number of observations (",
          n, ")")
  }
  invisible(TRUE)
}

# a learning rate that made the loss blow up is an error, with advice
check_rate <- function(res, optimizer, rate, fun) {
  if (isTRUE(res$rate_too_large)) {
    abort(fun, "the learning rate ", format(rate), " is too large: ", res$message,
          "; lower it, e.g. optimizer = opt_", optimizer, "(learning_rate = ", format(signif(rate / 10, 2)), ")")
  }
  invisible(TRUE)
}

# early stopping that kept the start: say so
warn_best_at_start <- function(res, fun) {
  if (identical(as.integer(res$best_epoch), 0L)) {
    warn(fun, "the validation loss never fell below its value at the start, so the starting values ",
         "are returned (best epoch 0); try a smaller learning rate, a larger patience or validation = 0")
  }
  invisible(TRUE)
}

warn_not_converged <- function(res, optimizer, fun) {
  unit <- if (optimizer %in% c("sgd", "adam")) " epochs" else " iterations"
  hint <- if (optimizer %in% c("sgd", "adam")) {
    paste0("; see optimizer = opt_", optimizer, "(max_epochs = , learning_rate = )")
  } else {
    "; see control = gradglm_control(max_iter = , tol = )"
  }
  warn(fun, "the ", optimizer, " optimizer did not converge in ", res$iter, unit,
       if (nzchar(res$message)) paste0(" (", res$message, ")") else "", hint)
}

# logLik as glm reports it: the Gaussian counts its scale parameter
loglik_from_aic <- function(aic, rank, family) {
  k <- rank + as.integer(family$family == "gaussian")
  k - aic / 2
}

# Gradient descent starts where a student would: every slope at zero and the
# intercept at the link of the mean response.
gd_start <- function(x, y, weights, offset, family) {
  b <- numeric(ncol(x))
  icpt <- intercept_column(x)
  if (icpt > 0L) {
    ybar <- sum(weights * y) / sum(weights)
    if (family$family == "binomial") ybar <- min(max(ybar, 1e-4), 1 - 1e-4)
    if (family$family == "poisson" || family$link == "log") ybar <- max(ybar, 1e-4)
    b[icpt] <- family$linkfun(ybar) - sum(weights * offset) / sum(weights)
  }
  b
}
