#' @include family.R family-glm.R
NULL

# glm's families of a positive response as rows of the registry: Gamma()
# (variance mu^2) and inverse.gaussian() (variance mu^3). Each is one
# distribution in the engine (src/family.cpp) with its links; the dispersion
# is free, estimated by Pearson's statistic as glm does (summary's t tests,
# anova's F test), and counted in the likelihood (logLik's df, the AIC).
# With a `sigma` model the dispersion is a parameter of the likelihood
# instead, fitted jointly with the mean by maximum likelihood: sigma is the
# square root of the dispersion (the Gamma's coefficient of variation; its
# shape is 1 / sigma^2), log(sigma) linear in the sigma model's terms, as
# for gaussian() (src/location_scale.cpp; the location-scale methods of
# R/model-scale.R and R/methods-location-scale.R, with the distribution's
# own sd, distribution function and density).

# A numeric response that must be positive (`positive`) or non-negative;
# the error names the family and counts the values outside.
# With `power`, the variance function mu^power: a response whose largest
# value puts it below the smallest double (1e-300 squared) is an error too.
signed_response <- function(positive, power = NULL) {
  function(y, family, weights, fun) {
    glm_numeric_response(y, family, weights, fun, check = function(y, r) {
      bad <- if (positive) y <= 0 else y < 0
      if (any(bad)) {
        abort(fun, "the response must be ", if (positive) "positive" else "non-negative", " for family ",
              family$family, "; found ", sum(bad), if (positive) " zero or negative" else " negative",
              " value(s) (the smallest is ", format(r[1L], digits = 4L), ")")
      }
      if (!is.null(power) && r[2L] > 0 && r[2L]^power < 1e-290) {
        abort(fun, "the response is at most ", format(r[2L], digits = 3L), ": its variance function mu^", power,
              " underflows a double; rescale it first (multiply by a power of 10)")
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

# the start of the mean of a sigma model: the GLM fit of the family (its
# estimates do not depend on a constant dispersion; or of the distribution
# `dist` with the family's link), else every slope at 0
glm_location_start <- function(x, y, weights, offset, family, fun, dist = family_row(family)$dist(family)) {
  ctrl <- engine_control_list(gradglm_control(trace = FALSE), as_optimizer_spec("newton", fun), "newton", length(y))
  lik <- c(list(type = "glm", dist = dist), engine_link(family, fun))
  b <- glm_fit_coefficients(x, y, weights, offset, lik, ctrl)
  if (is.null(b)) gd_start(x, y, weights, offset, family) else b
}

# Var y = sigma^2 mu^power: the positive families' location-scale pieces
positive_location_scale <- function(dist, power, log_cdf, log_density, draw) {
  # (their losses have 1 / sigma^2 in them: exact down to a log scale of -340)
  list(dist = dist_codes[[dist]], log_scale_floor = -340, sd = function(mu, sigma) sigma * mu^(power / 2),
       start_location = glm_location_start, log_cdf = log_cdf, log_density = log_density, draw = draw)
}

gamma_log_cdf <- function(y, mu, sigma, df, lower) {
  stats::pgamma(y, shape = 1 / sigma^2, scale = mu * sigma^2, lower.tail = lower, log.p = TRUE)
}

gamma_log_density <- function(y, mu, sigma, df) stats::dgamma(y, shape = 1 / sigma^2, scale = mu * sigma^2, log = TRUE)

# the inverse Gaussian's distribution function (lambda = 1 / sigma^2):
# F(y) = Phi(a (y / mu - 1)) + exp(2 lambda / mu) Phi(-a (y / mu + 1)),
# a = sqrt(lambda / y), summed (or, for the upper tail, differenced) on the
# log scale
inverse_gaussian_log_cdf <- function(y, mu, sigma, df, lower) {
  lambda <- 1 / sigma^2
  a <- sqrt(lambda / y)
  l2 <- 2 * lambda / mu + stats::pnorm(-a * (y / mu + 1), log.p = TRUE)
  if (lower) {
    l1 <- stats::pnorm(a * (y / mu - 1), log.p = TRUE)
    m <- pmax(l1, l2)
    m + log(exp(l1 - m) + exp(l2 - m))
  } else {
    l1 <- stats::pnorm(a * (y / mu - 1), lower.tail = FALSE, log.p = TRUE)
    l1 + log1p(-pmin(exp(l2 - l1), 1))
  }
}

inverse_gaussian_log_density <- function(y, mu, sigma, df) {
  -0.5 * log(2 * pi * sigma^2 * y^3) - (y - mu)^2 / (2 * sigma^2 * mu^2 * y)
}

positive_model <- function(family, resp, x, x_sigma, fun) {
  if (!is.null(x_sigma)) return(locscale_model(family, resp, x, x_sigma, fun))
  glm_model(family, resp, x, fun)
}

register_family(new_family_row(
  "Gamma", c("inverse", "identity", "log"), "Gamma", ns = "stats", whole_line_links = "log",
  simulate = function(object, ftd, wts, nsim, fun) {
    alpha <- gamma_ml_shape(.select_response(object), ftd, wts)
    stats::rgamma(length(ftd) * nsim, shape = alpha * wts, rate = alpha * wts / ftd)
  },
  free_dispersion = TRUE, scale_in_likelihood = TRUE, fitted_pass = TRUE, sigma = "optional",
  power_links = TRUE, own_links = TRUE,
  dist = function(family) dist_codes[["gamma"]],
  response = signed_response(positive = TRUE, power = 2),
  model = positive_model,
  aic = stats_aic,
  eval_loglik = gamma_eval_loglik,
  location_scale = positive_location_scale("gamma", 2, gamma_log_cdf, gamma_log_density,
                                           function(n, mu, sigma, df) stats::rgamma(n, shape = 1 / sigma^2,
                                                                                    scale = mu * sigma^2))
))

register_family(new_family_row(
  "inverse.gaussian", c("1/mu^2", "inverse", "identity", "log"), "inverse.gaussian", ns = "stats",
  whole_line_links = "log",
  simulate = function(object, ftd, wts, nsim, fun) rinvgauss(length(ftd) * nsim, ftd, wts / .methods_dispersion(object)),
  free_dispersion = TRUE, scale_in_likelihood = TRUE, fitted_pass = TRUE, sigma = "optional",
  power_links = TRUE, own_links = TRUE,
  dist = function(family) dist_codes[["inverse_gaussian"]],
  response = signed_response(positive = TRUE, power = 3),
  model = positive_model,
  aic = stats_aic,
  eval_loglik = inverse_gaussian_eval_loglik,
  location_scale = positive_location_scale("inverse_gaussian", 3, inverse_gaussian_log_cdf,
                                           inverse_gaussian_log_density,
                                           function(n, mu, sigma, df) rinvgauss(n, mu, 1 / sigma^2))
))
