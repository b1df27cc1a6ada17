#' @include family.R
NULL

# Several Gaussian responses, cbind(y1, y2) ~ x: one linear model per
# response, all sharing one design (one matrix product per pass), fitted as
# independent likelihoods. Without a sigma model the coefficients are those of
# lm()'s "mlm" and each response has its own residual variance, as
# summary.mlm reports them; with a sigma model (or student_t()) each response
# has its own scale model. No correlation between the responses is modelled:
# the coefficients of different responses have covariance 0 here, where
# vcov() of an "mlm" estimates one from the residual correlation.

multi_response <- function(y, family, weights, fun) {
  if (!is.numeric(y)) abort(fun, "several responses (cbind(y1, y2)) must be numeric, not ", typeof(y))
  r <- check_finite_response(y, fun)
  if (max(abs(r)) > overflow_limit(nrow(y))) {
    abort(fun, "the responses have values as large as ", format(max(abs(r)), digits = 3),
          ": their squares overflow a double; rescale them first (divide by a power of 10)")
  }
  rn <- colnames(y)
  if (is.null(rn)) rn <- paste0("Y", seq_len(ncol(y)))
  storage.mode(y) <- "double"
  colnames(y) <- rn
  list(y = y, engine_y = unname(y), trials = unit_weights(nrow(y)), weights = weights, responses = rn)
}

multi_gaussian_model <- function(family, resp, x, fun) {
  rn <- resp$responses
  R <- length(rn)
  blk <- model_block("responses", x, "mu", family$link, "Coefficients", outputs = rn, split = TRUE,
                     output_titles = paste0("Response ", rn))
  blk$matrix_layout <- "columns_by_outputs"
  list(kind = "likelihood",
       likelihood = list(type = "glm", dist = dist_codes[["gaussian"]],
                         link = engine_link(family, fun, glm = FALSE)$link, responses = R),
       blocks = list(blk), closed_form = family$link == "identity", offset_predictors = R,
       lik_type = "multi_gaussian",
       start = function(ctx) {
         b <- matrix(0, design_ncol(x), R)
         icpt <- design_intercept(x)
         if (icpt > 0L) {
           for (r in seq_len(R)) {
             ybar <- sum(resp$weights * resp$y[, r]) / sum(resp$weights)
             if (family$link == "log") ybar <- log(max(ybar, 1e-4))
             b[icpt, r] <- ybar - sum(resp$weights * ctx_offset(ctx)) / sum(resp$weights)
           }
         }
         as.vector(b)
       },
       finish = multi_gaussian_finish)
}

multi_gaussian_finish <- function(res, ctx, coef, aliased) {
  y <- ctx$resp$y
  w <- ctx$resp$weights
  R <- ncol(y)
  eta <- res$linear.predictors
  dimnames(eta) <- dimnames(y)
  mu <- ctx$family$linkinv(eta)
  dim(mu) <- dim(eta)
  dimnames(mu) <- dimnames(y)
  ok <- w > 0
  rank_r <- sum(!aliased) / R
  rss <- colSums(w * (y - mu)^2)
  df_r <- ctx$n_ok - rank_r
  disp <- if (df_r > 0) rss / df_r else rep(NaN, R)
  # the profile log-likelihood of each response (its variance at the ML
  # estimate rss / n), as logLik() of lm() gives it
  n <- ctx$n_ok
  loglik <- sum(0.5 * (sum(log(w[ok])) - n * (log(2 * pi) + 1 - log(n) + log(rss))))
  npar <- sum(!aliased) + R
  # the covariance: each response's block of (X' W X)^-1 times its dispersion
  cov <- res$cov
  per <- nrow(cov) / R
  for (r in seq_len(R)) {
    idx <- (r - 1L) * per + seq_len(per)
    cov[idx, ] <- cov[idx, ] * sqrt(disp[r])
    cov[, idx] <- cov[, idx] * sqrt(disp[r])
  }
  dimnames(cov) <- list(names(coef)[!aliased], names(coef)[!aliased])
  list(fitted.values = mu, linear.predictors = eta, residuals = y - mu, rank = sum(!aliased),
       deviance = -2 * loglik, aic = -2 * loglik + 2 * npar, null.deviance = NA_real_, weights = w,
       df.residual = df_r, df.null = ctx$n_ok - 1L, loglik = loglik, npar = npar,
       dispersion = stats::setNames(disp, colnames(y)), cov.unscaled = cov, t_df = df_r,
       responses = colnames(y))
}

# ---------------------------------------------------------------------------
# methods' pieces

multi_gaussian_methods <- function() {
  list(residual_types = c("response", "pearson"), residuals = .mg_residuals,
       predict_types = c("link", "response"), predict = .mg_predict, plot = .mg_plot)
}

.mg_residuals <- function(object, type = c("response", "pearson")) {
  type <- match.arg(type)
  r <- object$residuals
  if (type == "pearson") r <- sweep(r * sqrt(object$prior.weights), 2L, sqrt(object$dispersion), "/")
  stats::naresid(object$na.action, r)
}

.mg_predict <- function(object, newdata = NULL, type = c("link", "response"), se.fit = FALSE,
                        na.action = stats::na.pass, ...) {
  type <- match.arg(type)
  b <- object$blocks[[1L]]
  if (is.null(newdata) && !se.fit) {
    out <- if (type == "link") object$linear.predictors else object$fitted.values
    return(stats::napredict(object$na.action, out))
  }
  design <- .block_design(object, b, newdata, na.action, ...)
  be <- .block_eta(object, b, design, se.fit)
  eta <- be$eta
  dimnames(eta) <- list(rownames(design$x), b$outputs)
  fit <- if (type == "link") eta else object$family$linkinv(eta)
  dim(fit) <- dim(eta)
  dimnames(fit) <- dimnames(eta)
  pad <- function(v) stats::napredict(design$na.action, v)
  if (!se.fit) return(pad(fit))
  se <- be$se
  if (type == "response") se <- se * abs(object$family$mu.eta(eta))
  dimnames(se) <- dimnames(eta)
  list(fit = pad(fit), se.fit = pad(se), residual.scale = sqrt(object$dispersion))
}

# What the residual plot of several responses shows, for plot() and
# autoplot(): the Pearson residuals `y` against the fitted values `x` (both
# a column per response) and the labels.
.mg_plot_residuals_data <- function(x) {
  # the residuals are padded with NA rows for the rows na.exclude left out:
  # so are the fitted values
  list(x = stats::naresid(x$na.action, x$fitted.values), y = .mg_residuals(x, "pearson"),
       xlab = "Fitted values", ylab = "Pearson residuals",
       main = "Pearson residuals vs fitted values, by response")
}

.mg_plot_choices <- c("loss", "residuals")

.mg_plot <- function(x, which, explicit, ask, ...) {
  choices <- .mg_plot_choices
  if (is.null(which)) which <- if (.plot_has_trace(x)) choices else "residuals"
  which <- .plot_which(which, choices)
  if (is.null(ask)) ask <- prod(graphics::par("mfcol")) < length(which) && grDevices::dev.interactive()
  .plot_pages(which, ask, function(w) {
    if (w == "loss") {
      .ls_plot_loss(x, ...)
    } else {
      d <- .mg_plot_residuals_data(x)
      .plot_call(graphics::matplot, list(x = d$x, y = d$y, pch = 19, cex = 0.6,
                                         xlab = d$xlab, ylab = d$ylab, main = d$main),
                 list(...))
      graphics::abline(h = 0, lty = 3, col = "gray40")
    }
  })
  invisible(x)
}

# ---------------------------------------------------------------------------
# several responses, each with its own scale model (gaussian() with a sigma
# model, student_t()): a location block and a log(sigma) block with one
# output per response (and, for a Student-t with estimated df, one df each)

multi_locscale_model <- function(family, resp, x, z, fun) {
  row <- family_row(family)
  ls <- row$location_scale
  rn <- resp$responses
  R <- length(rn)
  estimate_df <- isTRUE(ls$has_df) && is.null(family$df)
  loc <- model_block("location", x, "mu", family$link, "Location coefficients", outputs = rn, split = TRUE,
                     output_titles = paste0("Response ", rn, ": location"))
  sig <- model_block("sigma", z, "sigma", "log", "Sigma model coefficients", prefix = "sigma:", outputs = rn,
                     split = TRUE, output_titles = paste0("Response ", rn, ": log(sigma)"))
  loc$matrix_layout <- sig$matrix_layout <- "columns_by_outputs"
  blocks <- list(loc, sig)
  if (estimate_df) {
    blocks[[3L]] <- model_block("log_df", NULL, "df", "log", "Degrees of freedom (log scale)", outputs = rn,
                                coef_names = paste0("log(df):", rn))
  }
  df_fixed <- if (isTRUE(ls$has_df) && !estimate_df) family$df else NA_real_
  list(kind = "likelihood", lik_type = "multi_location_scale",
       likelihood = list(type = "location_scale", dist = ls$dist, link = engine_link(family, fun, glm = FALSE)$link,
                         df = df_fixed, responses = R),
       blocks = blocks, closed_form = FALSE, offset_predictors = R, estimate_df = estimate_df,
       start = function(ctx) {
         # each response's own start, arranged block by block
         per <- lapply(seq_len(R), function(r) {
           dist_start(design_matrix(x), design_matrix(z), resp$y[, r], resp$weights, ctx_offset(ctx), family,
                      estimate_df, fun)
         })
         p <- design_ncol(x)
         q <- design_ncol(z)
         c(unlist(lapply(per, `[`, seq_len(p))), unlist(lapply(per, `[`, p + seq_len(q))),
           if (estimate_df) vapply(per, `[[`, 0, p + q + 1L))
       },
       finish = multi_locscale_finish)
}

multi_locscale_finish <- function(res, ctx, coef, aliased) {
  y <- ctx$resp$y
  R <- ncol(y)
  eta <- res$linear.predictors
  loc <- eta[, seq_len(R), drop = FALSE]
  dimnames(loc) <- dimnames(y)
  mu <- ctx$family$linkinv(loc)
  dim(mu) <- dim(loc)
  dimnames(mu) <- dimnames(y)
  sigma <- exp(eta[, R + seq_len(R), drop = FALSE])
  dimnames(sigma) <- dimnames(y)
  npar <- sum(!aliased)
  df <- if (ctx$model$estimate_df) stats::setNames(exp(eta[1L, 2L * R + seq_len(R)]), colnames(y)) else
    if (!is.na(ctx$model$likelihood$df)) ctx$model$likelihood$df else NULL
  list(fitted.values = mu, linear.predictors = loc, residuals = y - mu, sigma = sigma, df = df,
       df_estimated = ctx$model$estimate_df, rank = npar, deviance = -2 * res$loglik,
       aic = -2 * res$loglik + 2 * npar, null.deviance = NA_real_, weights = ctx$resp$weights,
       df.residual = ctx$n_ok - npar, df.null = ctx$n_ok - 2L * R, loglik = res$loglik, npar = npar,
       dispersion = 1, responses = colnames(y))
}

multi_locscale_methods <- function() {
  list(residual_types = c("response", "pearson"),
       residuals = function(object, type = c("response", "pearson")) {
         type <- match.arg(type)
         r <- object$residuals
         if (type == "pearson") r <- r / object$sigma
         stats::naresid(object$na.action, r)
       },
       predict_types = c("link", "response", "sigma"), predict = .mls_predict, plot = .mg_plot)
}

# predictions of every response's location (link or response scale) or scale
.mls_predict <- function(object, newdata = NULL, type = c("link", "response", "sigma"), se.fit = FALSE,
                         na.action = stats::na.pass, ...) {
  type <- match.arg(type)
  if (is.null(newdata) && !se.fit) {
    out <- switch(type, link = object$linear.predictors, response = object$fitted.values, sigma = object$sigma)
    return(stats::napredict(object$na.action, out))
  }
  b <- if (type == "sigma") object$blocks$sigma else object$blocks$location
  design <- .block_design(object, b, newdata, na.action, ...)
  if (type == "sigma") design$offset <- 0
  be <- .block_eta(object, b, design, se.fit)
  eta <- be$eta
  dimnames(eta) <- list(rownames(design$x), b$outputs)
  fit <- switch(type, link = eta, response = object$family$linkinv(eta), sigma = exp(eta))
  dim(fit) <- dim(eta)
  dimnames(fit) <- dimnames(eta)
  pad <- function(v) stats::napredict(design$na.action, v)
  if (!se.fit) return(pad(fit))
  se <- switch(type, link = be$se, response = be$se * abs(object$family$mu.eta(eta)), sigma = be$se * fit)
  dimnames(se) <- dimnames(eta)
  list(fit = pad(fit), se.fit = pad(se), residual.scale = 1)
}
