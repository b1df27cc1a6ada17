#' @include family.R family-glm.R
NULL

# glm's families of a positive response as rows of the registry: Gamma()
# (variance mu^2) and inverse.gaussian() (variance mu^3). Each is one
# distribution in the engine (src/family.cpp) with its links; the dispersion
# is free, estimated by Pearson's statistic as glm does (summary's t tests,
# anova's F test), and counted in the likelihood (logLik's df, the AIC).

# A numeric response that must be positive (`positive`) or non-negative;
# the error names the family and counts the values outside.
signed_response <- function(positive) {
  function(y, family, weights, fun) {
    glm_numeric_response(y, family, weights, fun, check = function(y, r) {
      bad <- if (positive) y <= 0 else y < 0
      if (any(bad)) {
        abort(fun, "the response must be ", if (positive) "positive" else "non-negative", " for family ",
              family$family, "; found ", sum(bad), if (positive) " zero or negative" else " negative",
              " value(s) (the smallest is ", format(r[1L], digits = 4L), ")")
      }
    })
  }
}

# the log-likelihood of each row as glm's AIC counts it: the dispersion is
# the mean deviance per unit of prior weight, dev / sum(w)
gamma_eval_loglik <- function(y, trials, mu, wt, fit) {
  disp <- fit$deviance / sum(fit$prior.weights)
  wt * stats::dgamma(y, shape = 1 / disp, scale = mu * disp, log = TRUE)
}

inverse_gaussian_eval_loglik <- function(y, trials, mu, wt, fit) {
  disp <- fit$deviance / sum(fit$prior.weights)
  wt * (-0.5 * log(2 * pi * disp * y^3) - (y - mu)^2 / (2 * disp * y * mu^2))
}

register_family(new_family_row(
  "Gamma", c("inverse", "identity", "log"), "Gamma", ns = "stats",
  free_dispersion = TRUE, scale_in_likelihood = TRUE, chunked = FALSE,
  dist = function(family) dist_codes[["gamma"]],
  response = signed_response(positive = TRUE),
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = stats_aic,
  eval_loglik = gamma_eval_loglik
))

register_family(new_family_row(
  "inverse.gaussian", c("1/mu^2", "inverse", "identity", "log"), "inverse.gaussian", ns = "stats",
  free_dispersion = TRUE, scale_in_likelihood = TRUE, chunked = FALSE,
  dist = function(family) dist_codes[["inverse_gaussian"]],
  response = signed_response(positive = TRUE),
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = stats_aic,
  eval_loglik = inverse_gaussian_eval_loglik
))
