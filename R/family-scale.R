#' @include family.R
NULL

# Families with a location and an estimated scale (distributional
# regression): laplace() and student_t(), rows of the family registry; the
# location-scale model they share (with gaussian() given a sigma model) is
# in R/model-scale.R.

#' Laplace and Student-t families for robust regression
#'
#' Families with a location modelled by the linear predictor and a scale
#' estimated by maximum likelihood, for use with [gradglm()] (which also
#' takes a model for the scale, `sigma = ~ x`).
#'
#' * `laplace()`: density `exp(-|y - mu| / b) / (2 b)`, whose
#'   maximum-likelihood location is a (weighted) median regression: the
#'   absolute loss. Its scale `sigma` is `b` (the standard deviation is
#'   `sqrt(2) b`). Only the identity link is available for the location.
#' * `student_t()`: `y = mu + sigma * t_df`, heavier tails than the Gaussian
#'   for small `df`, approaching it as `df` grows. `df` is fixed when given
#'   and estimated (on the log scale) when `NULL`. The standard deviation is
#'   `sigma * sqrt(df / (df - 2))` for `df > 2`.
#'
#' The Gaussian family with an estimated `sigma` in the same sense is
#' `gaussian()` with a `sigma` formula in [gradglm()] (`sigma = ~ 1` for a
#' constant scale).
#'
#' @param link The link of the location: `"identity"` (and for `student_t()`
#'   also `"log"`).
#' @param df Degrees of freedom of the Student-t: a single positive number,
#'   or `NULL` to estimate them.
#' @return A family object (class `"family"`) for [gradglm()].
#' @seealso [gradglm()] and its `sigma` argument; `vignette("robust-regression")`.
#' @examples
#' fit_l <- gradglm(stack.loss ~ ., data = stackloss, family = laplace())
#' fit_t <- gradglm(stack.loss ~ ., data = stackloss, family = student_t(df = 4))
#' AIC(fit_l, fit_t)
#' @export
laplace <- function(link = "identity") {
  make_family("laplace", link, "identity")
}

#' @rdname laplace
#' @export
student_t <- function(df = NULL, link = "identity") {
  if (!is.null(df)) {
    if (!is.numeric(df) || length(df) != 1L || is.na(df)) {
      abort("student_t", "'df' must be NULL (to estimate it) or a single positive number")
    }
    if (!(df > 0)) abort("student_t", "'df' must be positive; it is ", df)
    if (!is.finite(df)) abort("student_t", "'df' must be finite; for infinite df use gaussian()")
  }
  make_family("student_t", link, c("identity", "log"), list(df = df))
}

# The Laplace null model (a constant location and scale) in closed form: the
# location a weighted median of y - offset, the scale b the weighted mean
# absolute deviation from it, and the log-likelihood -W (log(2 b) + 1), W the
# total weight. NA when every residual is 0 (the likelihood is unbounded).
laplace_null_loglik <- function(y, weights, offset) {
  ok <- weights > 0
  r <- (y - offset)[ok]
  w <- weights[ok]
  o <- order(r)
  W <- sum(w)
  m <- r[o][which(cumsum(w[o]) >= W / 2)[1L]]
  b <- sum(w * abs(r - m)) / W
  if (!is.finite(b) || !(b > 0)) return(NA_real_)
  -W * (log(2 * b) + 1)
}

register_family(new_family_row(
  "laplace", "identity", "laplace", kind = "likelihood", sigma = "always", chunked = FALSE,
  chunked_reason = "is fitted exactly by a simplex over rows held in memory",
  response = function(y, family, weights, fun) glm_numeric_response(y, family, weights, fun),
  model = function(family, resp, x, x_sigma, fun) locscale_model(family, resp, x, x_sigma, fun),
  location_scale = list(dist = dist_codes[["laplace"]], log_scale_floor = -680,
                        no_validation = TRUE, heavy_tails = TRUE, start_tol = 1e-4,
                        log_tail = function(z, df) log(0.5) + z,
                        # (a standard Laplace variable: the difference of two standard exponentials)
                        draw = function(n, mu, sigma, df) mu + sigma * (stats::rexp(n) - stats::rexp(n)),
                        null_loglik = laplace_null_loglik),
  eval_log_density = function(z, df) log(0.5) - abs(z)
))

register_family(new_family_row(
  "student_t", c("identity", "log"), "student_t", kind = "likelihood", sigma = "always",
  response = function(y, family, weights, fun) {
    if (is.matrix(y) && ncol(y) > 1L) return(multi_response(y, family, weights, fun))
    glm_numeric_response(y, family, weights, fun)
  },
  model = function(family, resp, x, x_sigma, fun) {
    if (!is.null(resp$responses)) return(multi_locscale_model(family, resp, x, x_sigma, fun))
    locscale_model(family, resp, x, x_sigma, fun)
  },
  location_scale = list(dist = dist_codes[["student_t"]], log_scale_floor = -680, has_df = TRUE,
                        heavy_tails = TRUE,
                        log_tail = function(z, df) stats::pt(z, df = df, log.p = TRUE),
                        draw = function(n, mu, sigma, df) mu + sigma * stats::rt(n, df)),
  eval_log_density = function(z, df) stats::dt(z, df = df, log = TRUE)
))

# the families that take a sigma model
sigma_families <- function() {
  nm <- available_families()
  nm[vapply(nm, function(f) get(f, envir = .registry)$sigma != "no", NA)]
}
