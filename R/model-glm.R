#' @include family.R
NULL

# Generalized linear models: one mean per row, mu = linkinv(X b + offset),
# and glm's summaries of the fit (working residuals and weights, deviance,
# null deviance, AIC, dispersion).

glm_model <- function(family, resp, x, fun) {
  row <- family_row(family)
  list(kind = "glm",
       likelihood = c(list(type = "glm", dist = row$dist(family)), engine_link(family, fun),
                      row$lik_params(family)),
       blocks = list(model_block("mu", x, "mu", family$link, "Coefficients")),
       closed_form = row$closed_form(family),
       start = glm_start, finish = glm_finish)
}

# Newton and L-BFGS start from glm's own start (computed by the engine);
# gradient descent starts where a student would: every slope at zero and the
# intercept at the link of the mean response.
glm_start <- function(ctx) {
  if (ctx$optimizer %in% c("newton", "lbfgs")) {
    ctx$row$check_start(ctx$family, ctx$resp$y, ctx$fun)
    return(NULL)
  }
  if (ctx$optimizer == "exact") return(NULL)
  gd_start(ctx$x, ctx$resp$y, ctx$resp$weights, ctx_offset(ctx), ctx$family)
}

# The coefficients of a GLM (`likelihood`) fitted by Newton's method from
# glm's own start (the engine's), for the start of a larger model; NULL when
# that fit fails. `offset` may be NULL.
glm_fit_coefficients <- function(x, y, weights, offset, likelihood, control) {
  ctrl <- utils::modifyList(control, list(max_iter = 100L, trace = FALSE, verbose = FALSE))
  r <- tryCatch(suppressWarnings(fit_model(list(
    designs = list(engine_design(x)), block_design = 0L, block_m = 1L, y = y, weights = weights,
    offsets = list(offset), likelihood = likelihood, optimizer = "newton", start = NULL, control = ctrl))),
    error = function(e) {
      pass_on_time_limit(e)
      NULL
    })
  if (is.null(r) || !is.finite(r$loss) || !all(is.finite(r$coefficients[!r$aliased]))) return(NULL)
  b <- r$coefficients
  b[r$aliased] <- 0
  b
}

gd_start <- function(x, y, weights, offset, family) {
  b <- numeric(design_ncol(x))
  icpt <- design_intercept(x)
  if (icpt > 0L) {
    ybar <- family_row(family)$mean_range(sum(weights * y) / sum(weights))
    if (family$link == "log") ybar <- max(ybar, 1e-4)
    b[icpt] <- family$linkfun(ybar) - sum(weights * offset) / sum(weights)
  }
  b
}

glm_finish <- function(res, ctx, coef, aliased) {
  family <- ctx$family
  row <- ctx$row
  y <- ctx$resp$y
  weights <- ctx$resp$weights
  n <- ctx$n
  n_ok <- ctx$n_ok
  eta <- res$linear.predictors
  mu <- res$fitted.values
  residuals <- res$residuals
  working <- res$weights
  rn <- names(y)
  if (!is.null(rn)) {  # (names<- with NULL would still copy each vector)
    names(eta) <- names(mu) <- names(residuals) <- names(working) <- rn
  }
  rank <- sum(!aliased)
  offset <- ctx$offset
  intercept <- ctx$intercept
  offset_used <- ctx$offset_given && any(offset != 0)
  # the deviance, null deviance and -2 log-likelihood of gaussian, binomial
  # and poisson fits in one threaded pass (glm_sums(): stats' formulas)
  code <- match(family$family, c("gaussian", "binomial", "poisson"))
  sums <- NULL
  # the null model's mean (glm's wtdmu) where it is not refitted
  wtdmu <- if (intercept && !offset_used) weighted_total(weights, y, engine_threads()) / sum(weights)
  if (!is.na(code) && is.null(dim(y)) && is.numeric(mu) && length(mu) == length(y)) {
    null_mu <- if (is.null(wtdmu)) NA_real_ else wtdmu
    # (the deviance itself only where the registry computes its own: poisson's)
    sums <- glm_sums(y, mu, weights, if (code == 2L) as.double(ctx$resp$trials) else numeric(0), code, null_mu,
                     engine_threads(), deviance = !is.null(row$deviance))
  }
  dev <- if (is.null(row$deviance)) res$deviance else if (!is.null(sums)) sums[["deviance"]] else
    row$deviance(y, mu, weights)

  # null deviance: intercept-only model (refitted when there is an offset), as glm
  if (intercept && offset_used) {
    null_res <- fit_model(list(
      designs = list(NULL), block_design = 0L, block_m = 1L, y = y, weights = weights,
      offsets = list(offset), likelihood = ctx$model$likelihood,
      optimizer = if (ctx$optimizer == "exact") "exact" else "newton",
      start = gd_start(matrix(1, n, 1L), y, weights, offset, family),
      control = utils::modifyList(ctx$engine_control, list(max_iter = 100L, trace = FALSE, verbose = FALSE))))
    null_dev <- null_res$deviance
  } else if (!is.null(sums) && !is.na(sums[["null_deviance"]])) {
    null_dev <- sums[["null_deviance"]]
  } else {
    null_dev <- sum(family$dev.resids(y, if (intercept) wtdmu else family$linkinv(ctx_offset(ctx)), weights))
  }
  # (binomial 0/1 responses of unit weight: the deviance itself)
  m2ll <- if (is.null(sums)) NULL else if (code == 2L && sums[["binary"]] == 1) dev else
    if (!is.na(sums[["minus2loglik"]])) sums[["minus2loglik"]]
  aic <- (if (is.null(m2ll)) row$aic(family, y, ctx$resp$trials, mu, weights, dev) else m2ll) + 2 * rank
  df_residual <- n_ok - rank
  dispersion <- if (!row$free_dispersion) {
    1
  } else if (df_residual > 0) {
    pearson_sum(working, residuals, weights, engine_threads()) / df_residual
  } else {
    NaN
  }
  if (!is.null(row$boundary) && res$n_boundary > 0L) {
    along <- function(extreme, ok) separated_along(ctx$x, coef, aliased, weights > 0, extreme, ok)
    # (a network's weights are not linear directions: its separation is not certified)
    sep <- !isTRUE(ctx$network) && !is.null(row$separated) && isTRUE(row$separated(y, mu, weights > 0, along))
    warn(ctx$fun, if (sep) row$separation else row$boundary)
  }
  # glm's logLik() counts the dispersion of a likelihood (gaussian, Gamma,
  # inverse.gaussian), not a quasi-family's (whose AIC and logLik are NA)
  npar <- rank + as.integer(row$scale_in_likelihood)
  list(residuals = residuals, fitted.values = mu, rank = rank, linear.predictors = eta,
       deviance = dev, aic = aic, null.deviance = null_dev, weights = working,
       df.residual = df_residual, df.null = n_ok - as.integer(intercept),
       loglik = npar - aic / 2, npar = npar, dispersion = dispersion)
}

# Separation, certified: a direction d of the coefficients along which the
# likelihood never decreases and for some rows increases, so that it has no
# finite maximum. Only the `extreme` rows (fitted at the edge of their range)
# may move along d: d is the part of the fitted coefficients (p x K) that the
# other used rows do not determine (X_F d = 0, by a QR of their rows), and
# ok(lp, rows, tol) checks the directions lp = X d of the extreme rows. TRUE
# only when d is verified: noise in d fails the check, so the answer errs
# towards FALSE.
separated_along <- function(x, coef, aliased, used, extreme, ok) {
  if (is.null(x) || !any(extreme) || design_ncol(x) == 0L) return(FALSE)  # (no design: a chunked fit)
  xm <- design_matrix(x)
  p <- ncol(xm)
  keep <- rowSums(matrix(aliased, p)) == 0
  xm <- xm[, keep, drop = FALSE]
  B <- matrix(coef, p)[keep, , drop = FALSE]
  free <- used & !extreme
  if (any(free)) {
    xf <- xm[free, , drop = FALSE]
    C <- qr.coef(qr(xf), xf %*% B)
    C[is.na(C)] <- 0
    B <- B - C
  }
  lp <- xm[used, , drop = FALSE] %*% B
  scale <- max(abs(lp))
  if (!is.finite(scale) || scale == 0) return(FALSE)
  tol <- 1e-8 * scale
  on_free <- free[used]
  all(abs(lp[on_free, ]) <= tol) && ok(lp[!on_free, , drop = FALSE], which(used & extreme), tol)
}
