# Distributional regression: the location and log(scale) each have a linear
# model, fitted jointly by maximum likelihood (src/fit_dist.cpp). Shared by
# gradglm() (with a `sigma` formula, or a laplace() / student_t() family) and
# gradglm_fit() (with `x_sigma`).

# Optimizers of distributional fits: no closed form exists.
resolve_dist_optimizer <- function(optimizer, fun) {
  optimizer <- as_optimizer_spec(optimizer, fun)$name
  if (!optimizer %in% optimizers) {
    abort(fun, "unknown optimizer '", optimizer, "'; choose one of ",
          paste0("\"", optimizers, "\"", collapse = ", "))
  }
  if (optimizer == "exact") {
    abort(fun, "optimizer = \"exact\" is the closed form of gaussian(link = \"identity\") without a ",
          "sigma model; a model with an estimated scale is fitted by \"newton\", \"lbfgs\" or \"gd\"")
  }
  if (optimizer == "auto") "newton" else optimizer
}

# the family of a distributional fit: gaussian (identity, log), laplace, student_t
check_dist_family <- function(fam, fun) {
  name <- fam$family$family
  if (!name %in% names(scale_dist_codes)) {
    abort(fun, "family '", name, "' has no scale parameter: a 'sigma' model is for gaussian(), ",
          "laplace() and student_t()")
  }
  fam$dist <- scale_dist_codes[[name]]
  fam
}

# Starting values: weighted least squares for the location (on the log scale
# of y for a log link), then log|residual| regressed on the sigma design
# (E log|e| = log(sigma) - 0.635 for a Gaussian e), and df = 10.
dist_start <- function(x, z, y, weights, offset, family, estimate_df, fun) {
  ok <- weights > 0
  if (family$link == "log") {
    if (!any(y[ok] > 0)) {
      abort(fun, "link = \"log\" needs some positive responses for its default start; supply 'start'")
    }
    ly <- log(pmax(y, min(y[ok & y > 0]) / 2))
    b <- stats::lm.wfit(x, ly - offset, weights)$coefficients
  } else {
    b <- stats::lm.wfit(x, y - offset, weights)$coefficients
  }
  b[is.na(b)] <- 0
  mu <- family$linkinv(drop(x %*% b) + offset)
  r2 <- (y - mu)^2
  eps <- 1e-4 * sum(weights * r2) / sum(weights)
  if (!(eps > 0)) eps <- 1e-8 * (1 + sum(weights * y^2) / sum(weights))
  g <- stats::lm.wfit(z, 0.5 * log(r2 + eps) + 0.635, weights)$coefficients
  g[is.na(g)] <- 0
  c(unname(b), unname(g), if (estimate_df) log(10))
}

fit_dist_core <- function(x, z, y, weights, offset, family, optimizer, control, start, intercept, fun) {
  fam <- check_dist_family(resolve_family(family, fun), fun)
  family <- fam$family
  control <- as_control(control, fun)
  spec <- as_optimizer_spec(optimizer, fun)
  optimizer <- resolve_dist_optimizer(spec, fun)
  n <- nrow(x)
  if (NROW(y) != n) abort(fun, "'y' has ", NROW(y), " observations but 'x' has ", n, " rows")
  if (nrow(z) != n) abort(fun, "'x_sigma' has ", nrow(z), " rows but 'x' has ", n)
  if (ncol(z) == 0L) abort(fun, "the sigma model has no coefficients; use sigma = ~ 1 for a constant scale")
  weights <- check_weights(weights, n, fun)
  offset_given <- !is.null(offset)
  offset <- check_offset(offset, n, fun)
  resp <- prepare_response(y, family, weights, fun)
  y <- resp$y
  if (!any(weights > 0)) abort(fun, "every observation has zero weight")
  n_ok <- sum(weights > 0)
  estimate_df <- family$family == "student_t" && is.null(family$df)
  p <- ncol(x)
  q <- ncol(z)
  npar_all <- p + q + estimate_df
  if (npar_all > n_ok) {
    abort(fun, "the model has more parameters (", npar_all, ") than observations with non-zero weight (",
          n_ok, ")")
  }
  cn <- c(design_names(x), paste0("sigma:", design_names(z)), if (estimate_df) "log(df)")
  start <- check_start(start, npar_all, cn, fun)
  if (is.null(start)) start <- dist_start(x, z, y, weights, offset, family, estimate_df, fun)
  engine_control <- engine_control_list(control, spec, optimizer, n)
  check_batch_size(engine_control, optimizer, n, fun)
  if (family$family == "laplace" && engine_control$validation > 0) {
    abort(fun, "'validation' is not available for laplace(): its fit ends with an exact solution ",
          "on all rows; use validation = 0")
  }
  max_iter <- engine_control$max_iter
  df_fixed <- if (family$family == "student_t" && !estimate_df) family$df else NA_real_
  engine <- function(x, z, start, ctrl) {
    tryCatch(
      fit_dist_engine(x, z, y, weights, offset, fam$dist, fam$link, df_fixed, optimizer, start, ctrl),
      error = function(e) abort(fun, conditionMessage(e))
    )
  }
  res <- engine(x, z, start, engine_control)
  check_rate(res, optimizer, engine_control$learning_rate, fun)
  if (!is.finite(res$loss)) {
    abort(fun, "the ", optimizer, " optimizer could not find valid parameters (",
          if (nzchar(res$message)) res$message else "non-finite loss", "); supply 'start'")
  }
  if (isTRUE(res$diverged)) {
    warn(fun, res$message)
  } else if (!res$converged) {
    warn_not_converged(res, optimizer, fun)
  }
  warn_best_at_start(res, fun)

  coef <- stats::setNames(res$coefficients, cn)
  aliased <- stats::setNames(res$aliased, cn)
  parts <- list(location = seq_len(p), sigma = p + seq_len(q),
                df = if (estimate_df) p + q + 1L else integer(0))
  rn <- names(y)
  mu <- stats::setNames(res$fitted.values, rn)
  eta <- stats::setNames(res$linear.predictors, rn)
  log_sigma <- stats::setNames(res$log_sigma, rn)
  npar <- sum(!aliased)
  loglik <- res$loglik
  cov <- res$cov
  dimnames(cov) <- list(cn[!aliased], cn[!aliased])

  # the null model: constant location (plus offset) and constant scale
  null_dev <- NA_real_
  if (intercept) {
    one <- matrix(1, n, 1L)
    ctrl0 <- utils::modifyList(engine_control, list(max_iter = max(max_iter, 100L), trace = FALSE,
                                                    verbose = FALSE))
    s0 <- dist_start(one, one, y, weights, offset, family, estimate_df, fun)
    null_res <- tryCatch(suppressWarnings(
      fit_dist_engine(one, one, y, weights, offset, fam$dist, fam$link, df_fixed,
                      "newton", s0, ctrl0)),
      error = function(e) NULL)
    if (!is.null(null_res)) null_dev <- -2 * null_res$loglik
  }

  list(coefficients = coef, aliased = aliased, parts = parts,
       residuals = stats::setNames(y - mu, rn), fitted.values = mu,
       linear.predictors = eta, sigma = exp(log_sigma), sigma.linear.predictors = log_sigma,
       df = if (family$family == "student_t") res$df else NULL, df_estimated = estimate_df,
       rank = sum(!aliased[parts$location]), family = family,
       deviance = -2 * loglik, aic = -2 * loglik + 2 * npar, null.deviance = null_dev,
       iter = res$iter, weights = weights, prior.weights = weights,
       df.residual = n_ok - npar, df.null = n_ok - 2L - as.integer(estimate_df), y = y,
       converged = res$converged, boundary = FALSE, loglik = loglik, npar = npar,
       cov.unscaled = cov, cov_kind = res$cov_kind, dispersion = 1, optimizer = optimizer,
       trace = res$trace, control = control, optimizer_settings = spec$settings,
       offset = if (offset_given) offset else NULL,
       nobs = n_ok, intercept = intercept, message = res$message, best_epoch = res$best_epoch,
       distributional = TRUE)
}
