#' @include family.R family-glm.R family-positive.R
NULL

# glm's quasi-families as rows of the registry: quasibinomial(),
# quasipoisson() and quasi(link, variance). A quasi-family has the
# estimating equations and the deviance of the distribution whose variance
# function it shares (binomial, Poisson, and for quasi() the Gaussian,
# binomial, Poisson, Gamma or inverse Gaussian), so the engine fits that
# likelihood: the estimates are glm's. Its dispersion is free (Pearson's
# estimate scales the standard errors; t and F tests) and it has no
# likelihood: AIC and logLik are NA, as glm's.

# quasi()'s variance functions and the engine's distribution with each
quasi_variances <- c(constant = "gaussian", "mu(1-mu)" = "binomial", mu = "poisson", "mu^2" = "gamma",
                     "mu^3" = "inverse_gaussian")

quasi_aic <- function(family, y, trials, mu, weights, dev) NA_real_

quasi_eval_loglik <- function(y, trials, mu, wt, fit) rep(NA_real_, length(y))

# quasi(variance = ) is one of glm's variance functions, not a list of one's own
quasi_variance <- function(family, fun) {
  v <- family$varfun
  if (!is.character(v) || length(v) != 1L || is.na(v) || !v %in% names(quasi_variances)) {
    abort(fun, "quasi(variance = ) must be one of ", paste0("\"", names(quasi_variances), "\"", collapse = ", "),
          "; a variance given as a list of functions is not available")
  }
  v
}

# quasi()'s response, by its variance: in [0, 1] for mu(1-mu), non-negative
# for mu, positive for mu^2 and mu^3 (whose quasi-likelihoods have no
# saturated value at zero), any number for a constant variance
quasi_response <- function(y, family, weights, fun) {
  v <- quasi_variance(family, fun)
  if (v == "mu(1-mu)") {
    return(glm_numeric_response(y, family, weights, fun, check = function(y, r) {
      if (r[1L] < 0 || r[2L] > 1) {
        abort(fun, "the response must lie in [0, 1] for quasi(variance = \"mu(1-mu)\"); found ",
              sum(y < 0 | y > 1), " value(s) outside")
      }
    }))
  }
  if (v == "constant") return(glm_numeric_response(y, family, weights, fun))
  signed_response(positive = v != "mu")(y, family, weights, fun)
}

register_family(new_family_row(
  "quasibinomial", c("logit", "probit", "cloglog", "cauchit", "log"), "quasibinomial", ns = "stats", own_links = TRUE,
  whole_line_links = c("logit", "probit", "cloglog", "cauchit"),
  free_dispersion = TRUE, fitted_pass = TRUE,
  dist = function(family) dist_codes[["binomial"]],
  response = function(y, family, weights, fun) binomial_response(y, family, weights, fun, whole = FALSE),
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = quasi_aic,
  mean_range = function(ybar) min(max(ybar, 1e-4), 1 - 1e-4),
  boundary = "fitted probabilities numerically 0 or 1 occurred (the classes may be separated)",
  response_label = "Proportion",
  clamp_y = function(y) pmin(pmax(y, 0), 1),
  outcome = "binary",
  eval_loglik = quasi_eval_loglik
))

register_family(new_family_row(
  "quasipoisson", c("log", "identity", "sqrt"), "quasipoisson", ns = "stats", whole_line_links = "log",
  free_dispersion = TRUE, fitted_pass = TRUE, power_links = TRUE, own_links = TRUE,
  dist = function(family) dist_codes[["poisson"]],
  response = signed_response(positive = FALSE),
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = quasi_aic,
  mean_range = function(ybar) max(ybar, 1e-4),
  boundary = "fitted rates numerically 0 occurred",
  clamp_y = function(y) pmax(y, 0),
  eval_loglik = quasi_eval_loglik
))

register_family(new_family_row(
  "quasi", c("identity", "logit", "probit", "cloglog", "cauchit", "log", "sqrt", "inverse", "1/mu^2"),
  "quasi", ns = "stats",
  free_dispersion = TRUE, fitted_pass = TRUE, power_links = TRUE, own_links = TRUE,
  dist = function(family) dist_codes[[quasi_variances[[quasi_variance(family, "gradglm")]]]],
  check_family = function(family, fun) invisible(quasi_variance(family, fun)),
  response = quasi_response,
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = quasi_aic,
  eval_loglik = quasi_eval_loglik
))
