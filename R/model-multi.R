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
  if (!is.numeric(y)) abort(fun, "several responses (cbind(y1, y2)) must be numeric, not ", class(y)[1L])
  check_finite_response(y, fun)
  rn <- colnames(y)
  if (is.null(rn)) rn <- paste0("Y", seq_len(ncol(y)))
  storage.mode(y) <- "double"
  colnames(y) <- rn
  list(y = y, engine_y = unname(y), trials = rep.int(1, nrow(y)), weights = weights, responses = rn)
}

multi_gaussian_model <- function(family, resp, x, fun) {
  rn <- resp$responses
  R <- length(rn)
  blk <- model_block("responses", x, "mu", family$link, "Coefficients", outputs = rn, split = TRUE,
                     output_titles = paste0("Response ", rn))
  blk$matrix_layout <- "columns_by_outputs"
  list(kind = "likelihood",
       likelihood = list(type = "glm", dist = dist_codes[["gaussian"]], link = link_codes[[family$link]],
                         responses = R),
       blocks = list(blk), closed_form = family$link == "identity", offset_predictors = R,
       lik_type = "multi_gaussian",
       start = function(ctx) {
         b <- matrix(0, design_ncol(x), R)
         icpt <- design_intercept(x)
         if (icpt > 0L) {
           for (r in seq_len(R)) {
             ybar <- sum(resp$weights * resp$y[, r]) / sum(resp$weights)
             if (family$link == "log") ybar <- log(max(ybar, 1e-4))
             b[icpt, r] <- ybar - sum(resp$weights * ctx$offset) / sum(resp$weights)
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

.mg_plot <- function(x, which, explicit, ask, ...) {
  choices <- c("loss", "residuals")
  if (is.null(which)) which <- if (.plot_has_trace(x)) choices else "residuals"
  idx <- if (is.numeric(which)) which else pmatch(which, choices, duplicates.ok = TRUE)
  if (!length(idx) || anyNA(idx) || any(!idx %in% 1:2)) {
    abort("plot.gradglm", "'which' must be one or more of \"loss\", \"residuals\" (or 1 to 2)")
  }
  for (w in unique(choices[idx])) {
    if (w == "loss") {
      .ls_plot_loss(x, ...)
    } else {
      r <- .mg_residuals(x, "pearson")
      .plot_call(graphics::matplot, list(x = x$fitted.values, y = r, pch = 19, cex = 0.6,
                                         xlab = "Fitted values", ylab = "Pearson residuals",
                                         main = "Pearson residuals vs fitted values, by response"),
                 list(...))
      graphics::abline(h = 0, lty = 3, col = "gray40")
    }
  }
  invisible(x)
}
