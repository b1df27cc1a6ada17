#' @include family.R
NULL

# glm's families as rows of the registry: gaussian, binomial and poisson
# (Gamma and inverse.gaussian are in R/family-positive.R, the quasi-families
# in R/family-quasi.R).
# Without a sigma model each is a generalized linear model (one mean per
# row, a deviance, glm's inference); gaussian() with a sigma model is a
# location-scale model (R/family-scale.R).

# The response as a GLM uses it, following glm's conventions: y as a numeric
# vector, the trials per row (binomial's `n` for the AIC; NULL for one trial
# each, so that a fit allocates no vector of ones: unit_trials() makes it
# where it is read) and the prior weights times the trials for a
# cbind(successes, failures) response.
glm_numeric_response <- function(y, family, weights, fun, check = NULL) {
  if (is.matrix(y) && ncol(y) != 1L) {
    abort(fun, "the response must be a vector for family ", family$family,
          " (several responses, cbind(y1, y2), are for gaussian() and student_t())")
  }
  nm <- if (is.matrix(y)) rownames(y) else names(y)
  if (!is.numeric(y) && !is.logical(y)) {
    abort(fun, "the response must be numeric for family ", family$family, ", not ", class(y)[1L])
  }
  y <- response_doubles(y)
  r <- check_finite_response(y, fun)
  if (!is.null(check)) check(y, r)
  if (max(abs(r)) > overflow_limit(length(y))) {
    abort(fun, "the response has values as large as ", format(max(abs(r)), digits = 3),
          ": their squares overflow a double; rescale it first (divide by a power of 10)")
  }
  names(y) <- nm
  # (its range: fit_core()'s check for a first-order fit reads it)
  list(y = y, trials = NULL, weights = weights, range = r)
}

binomial_response <- function(y, family, weights, fun, whole = TRUE) {
  nm <- if (is.matrix(y)) rownames(y) else names(y)
  n <- NROW(y)
  # (a one-column matrix is a vector of proportions or 0/1, as for glm)
  if (is.matrix(y) && ncol(y) == 1L) y <- as.vector(y)
  trials <- NULL
  if (is.matrix(y)) {
    if (ncol(y) != 2L || !is.numeric(y)) {
      abort(fun, "a matrix response for binomial must be cbind(successes, failures) with 2 numeric columns")
    }
    check_finite_response(y, fun)
    if (any(y < 0)) abort(fun, "cbind(successes, failures) must be >= 0")
    if (whole && any(abs(y - round(y)) > 1e-3)) {
      warn(fun, "non-integer counts in a binomial fit (cbind(successes, failures) has values that are not whole numbers)")
    }
    trials <- y[, 1L] + y[, 2L]
    y <- ifelse(trials == 0, 0, y[, 1L] / trials)
    weights <- weights * trials
  } else if (is.factor(y)) {
    if (nlevels(y) > 2L) {
      # glm's reading: the first level is failure, every other one success
      warn(fun, "the binomial response is a factor of ", nlevels(y), " levels: the first, '", levels(y)[1L],
           "', is failure and the other ", nlevels(y) - 1L, " success (as glm reads it); ",
           "for a probability of each class use family = multinomial()")
    }
    y <- as.numeric(y != levels(y)[1L])
  } else if (is.logical(y)) {
    y <- response_doubles(y)
  } else if (is.character(y)) {
    abort(fun, "the response is character; use a factor or 0/1 values")
  } else if (is.numeric(y)) {
    y <- response_doubles(y)
    r <- check_finite_response(y, fun)
    if (r[1L] < 0 || r[2L] > 1) {
      abort(fun, "a binomial response must lie in [0, 1] (or be logical, a two-level factor ",
            "or cbind(successes, failures)); found ", sum(y < 0 | y > 1), " value(s) outside")
    }
    if (whole && max_nonwhole(weights, y) > 1e-3) {
      warn(fun, "non-integer #successes in a binomial fit (y * weights is not a whole number)")
    }
  } else {
    abort(fun, "a binomial response must be numeric, logical, a factor or a two-column matrix")
  }
  names(y) <- nm
  list(y = y, trials = trials, weights = weights)
}

# glm's AIC, family$aic(...), with a shortcut for 0/1 data with unit weights,
# where the saturated log-likelihood is zero and -2 log-likelihood is the deviance
binomial_aic <- function(family, y, trials, mu, weights, dev) {
  if (all(weights == 1) && (is.null(trials) || all(trials == 1)) && all(y == 0 | y == 1)) return(dev)
  family$aic(y, unit_trials(trials, length(y)), mu, weights, dev)
}

# the trials of a response's rows: NULL (one each) as a vector of ones
unit_trials <- function(trials, n) if (is.null(trials)) unit_weights(n) else trials

stats_aic <- function(family, y, trials, mu, weights, dev) family$aic(y, unit_trials(trials, length(y)), mu, weights, dev)

register_family(new_family_row(
  "gaussian", c("identity", "log", "inverse"), "gaussian", ns = "stats", power_links = TRUE, own_links = TRUE,
  simulate = function(object, ftd, wts, nsim, fun) {
    ftd + stats::rnorm(length(ftd) * nsim, sd = sqrt(object$deviance / object$df.residual / wts))
  },
  chunk_add = chunk_add_gaussian, chunk_aic = chunk_aic_gaussian, chunk_null_deviance = chunk_null_gaussian,
  free_dispersion = TRUE, scale_in_likelihood = TRUE, profile_scale = TRUE, sigma = "optional",
  closed_form = function(family) family$link == "identity",
  response = function(y, family, weights, fun) {
    if (is.matrix(y) && ncol(y) > 1L) return(multi_response(y, family, weights, fun))
    glm_numeric_response(y, family, weights, fun)
  },
  model = function(family, resp, x, x_sigma, fun) {
    if (!is.null(x_sigma)) {
      if (family$link == "inverse") {
        abort(fun, "a sigma model takes gaussian()'s identity and log links, not the inverse link")
      }
      if (!is.null(resp$responses)) return(multi_locscale_model(family, resp, x, x_sigma, fun))
      return(locscale_model(family, resp, x, x_sigma, fun))
    }
    if (!is.null(resp$responses)) return(multi_gaussian_model(family, resp, x, fun))
    glm_model(family, resp, x, fun)
  },
  check_start = function(family, y, fun) {
    if (family$link == "log" && any(y <= 0)) {
      abort(fun, "gaussian(link = \"log\") needs a positive response for its default start; supply 'start'")
    }
    if (family$link == "inverse" && any(y == 0)) {
      abort(fun, "gaussian(link = \"inverse\") needs a response without zeros for its default start ",
            "(1 / y); supply 'start'")
    }
    invisible(TRUE)
  },
  aic = stats_aic,
  mean_range = function(ybar) ybar,
  location_scale = list(dist = dist_codes[["gaussian"]], log_scale_floor = -680,
                        log_tail = function(z, df) stats::pnorm(z, log.p = TRUE),
                        draw = function(n, mu, sigma, df) stats::rnorm(n, mu, sigma)),
  # evaluate(): the fit's maximum-likelihood sigma, sqrt(deviance / nobs), held fixed,
  # as logLik() of a glm uses it; a weight is the precision of its row (the
  # row's sd is sigma / sqrt(w)), which counts once
  precision_weights = TRUE,
  eval_loglik = function(y, trials, mu, wt, fit) {
    s <- sqrt(fit$deviance / fit$nobs)
    stats::dnorm(y, mu, s / sqrt(wt), log = TRUE)
  },
  eval_log_density = function(z, df) stats::dnorm(z, log = TRUE)
))

register_family(new_family_row(
  "binomial", c("logit", "probit", "cloglog", "cauchit", "log"), "binomial", ns = "stats", own_links = TRUE,
  whole_line_links = c("logit", "probit", "cloglog", "cauchit"),
  simulate = function(object, ftd, wts, nsim, fun) simulate_binomial(object, ftd, wts, length(ftd), nsim, fun),
  chunk_add = chunk_add_binomial, chunk_aic = chunk_aic_binomial, chunk_null_deviance = chunk_null_binomial,
  response = binomial_response,
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = binomial_aic,
  mean_range = function(ybar) min(max(ybar, 1e-4), 1 - 1e-4),
  boundary = "fitted probabilities numerically 0 or 1 occurred (the classes may be separated)",
  # a certificate that no finite maximum exists (separated_along()): the rows
  # fitted numerically at 0 or 1 may move, the 1s up and the 0s down, the
  # others not at all
  separated = function(y, mu, used, along) {
    along(used & pmin(mu, 1 - mu) < 1e-6, function(lp, rows, tol) {
      yy <- y[rows]
      all(lp[yy == 1] >= -tol) && all(lp[yy == 0] <= tol) && all(abs(lp[yy > 0 & yy < 1]) <= tol)
    })
  },
  separation = paste("fitted probabilities numerically 0 or 1 occurred: the classes are separated",
                     "(a linear combination of the predictors puts the 1s on one side and the 0s on",
                     "the other), so the maximum-likelihood estimate does not exist; the coefficients",
                     "grow without bound, and their values and standard errors mean nothing"),
  response_label = "Proportion",
  clamp_y = function(y) pmin(pmax(y, 0), 1),
  outcome = "binary",
  # evaluate(): binomial()$aic's terms, with the trials of cbind(successes, failures),
  # else the weights
  eval_loglik = function(y, trials, mu, wt, fit) {
    m <- if (any(trials > 1)) trials else wt
    ifelse(m > 0, wt / m, 0) * stats::dbinom(round(m * y), round(m), mu, log = TRUE)
  }
))

register_family(new_family_row(
  "poisson", c("log", "identity", "sqrt"), "poisson", ns = "stats", power_links = TRUE, own_links = TRUE,
  whole_line_links = "log",
  simulate = function(object, ftd, wts, nsim, fun) {
    if (any(wts != 1)) warn(fun, "prior weights are ignored: the counts are drawn at the fitted means")
    stats::rpois(length(ftd) * nsim, ftd)
  },
  chunk_null_deviance = chunk_null_poisson,
  response = function(y, family, weights, fun) {
    glm_numeric_response(y, family, weights, fun, check = function(y, r) {
      if (r[1L] < 0) {
        abort(fun, "a poisson response must be non-negative counts; found ", sum(y < 0), " negative value(s)")
      }
    })
  },
  model = function(family, resp, x, x_sigma, fun) glm_model(family, resp, x, fun),
  aic = stats_aic,
  mean_range = function(ybar) max(ybar, 1e-4),
  boundary = "fitted rates numerically 0 occurred",
  # the deviance from mu, as y log(1 + (y - mu) / mu) - (y - mu): the engine's
  # loss, mu - y eta + y log y - y, cancels to about eps * y * |eta| per row,
  # which counts of 1e9 (or weights of 1e12) make visible
  deviance = function(y, mu, weights) {
    d <- y - mu
    2 * sum(weights * ifelse(y > 0, y * log1p(d / mu) - d, mu))
  },
  clamp_y = function(y) pmax(y, 0),
  eval_loglik = function(y, trials, mu, wt, fit) wt * stats::dpois(y, mu, log = TRUE)
))
