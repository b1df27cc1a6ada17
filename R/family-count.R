#' @include family.R family-glm.R
NULL

# The negative binomial as a row of the registry. With theta given it is a
# GLM row (one mean per row; the engine's Family with that theta, as
# MASS::negative.binomial(theta)). With theta estimated the engine fits two
# predictors per row, the mean and log(theta), the second an intercept-only
# block (src/negbin.h), jointly by maximum likelihood; the fit is then
# presented as MASS::glm.nb presents it: a GLM at the estimated theta (its
# deviance, residuals, dispersion 1), with `theta` and `SE.theta` beside the
# coefficients of the mean.

#' The negative binomial family
#'
#' A family for overdispersed counts: `y` has mean `mu` and variance
#' `mu + mu^2 / theta` (the "NB2" parametrisation of `MASS::glm.nb()`; the
#' Poisson is the limit of large `theta`). For use with [gradglm()].
#'
#' With `theta` given, the family is a generalized linear model with a known
#' dispersion, fitted as `glm(family = MASS::negative.binomial(theta))` fits
#' it (and `MASS::negative.binomial(theta)` itself is accepted as the family).
#' Its standard errors use dispersion 1, as for the Poisson (`summary()` of
#' that `glm()` fit would instead estimate a dispersion by Pearson's
#' statistic, since it does not know the family).
#'
#' With `theta = NULL` (the default), theta is estimated jointly with the
#' coefficients by maximum likelihood, as by `MASS::glm.nb()`: every optimizer
#' of [gradglm()] fits the two together, log(theta) being a parameter of
#' its own. The fitted object is then the GLM at the estimated theta, as
#' glm.nb reports it: its `family` is `negative_binomial(theta = <estimate>)`,
#' `coef()` and `vcov()` are the mean's (the inverse expected information,
#' which does not involve theta), and `fit$theta`, `fit$SE.theta` (from the
#' observed information of theta) and `fit$twologlik` hold the rest. The
#' log-likelihood, AIC and BIC count theta as a parameter; `anova()` of
#' several such fits gives likelihood-ratio tests. Tests that refit a model
#' (`anova()` of one model by terms, `drop1()`, `add1()`) hold theta at its
#' estimate, as MASS does for glm.nb fits. Data read in chunks
#' ([gradglm_source()], [gradglm_partitions()]) are fitted the same way, by
#' passes over the rows, with theta estimated or fixed.
#'
#' A `sigma` formula in [gradglm()] lets theta depend on covariates (a
#' distributional negative binomial regression): `sigma = 1 / sqrt(theta)`,
#' the coefficient of variation of the gamma distribution that mixes the
#' Poisson means (`Var(y) = mu + sigma^2 mu^2`; the Poisson is `sigma = 0`),
#' and log(sigma) is linear in the formula's terms, fitted jointly with the
#' mean by maximum likelihood. Such a fit is reported as the other models
#' with a sigma model are (location and sigma coefficients, their joint
#' covariance from the observed information; residuals of types response,
#' Pearson and quantile, the latter the mid-distribution ones of counts).
#'
#' @param theta `NULL` to estimate theta by maximum likelihood, or a single
#'   positive number to hold it fixed.
#' @param link The link of the mean: `"log"` (the default), `"sqrt"` or
#'   `"identity"`.
#' @return A family object (class `"family"`) with the functions of a glm
#'   family (`variance`, `dev.resids`, `aic`, ...) and `theta`.
#' @seealso [gradglm()], `MASS::glm.nb()`.
#' @examples
#' fit <- gradglm(Days ~ Sex / (Age + Eth * Lrn), data = MASS::quine,
#'                family = negative_binomial())
#' fit$theta
#' fit$SE.theta
#' summary(fit)
#' # theta held fixed
#' gradglm(Days ~ Eth + Lrn, data = MASS::quine, family = negative_binomial(theta = 1.5))
#' # theta by ethnic group: sigma = 1 / sqrt(theta)
#' gradglm(Days ~ Eth + Lrn, data = MASS::quine, family = negative_binomial(), sigma = ~ Eth)
#' @export
negative_binomial <- function(theta = NULL, link = "log") {
  fun <- "negative_binomial"
  if (!is.null(theta)) {
    if (!is.numeric(theta) || length(theta) != 1L || is.na(theta)) {
      abort(fun, "'theta' must be NULL (to estimate it) or a single positive number")
    }
    if (!(theta > 0) || !is.finite(theta)) {
      abort(fun, "'theta' must be positive and finite; it is ", format(theta),
            " (the limit of an infinite theta is poisson())")
    }
  }
  links <- c("log", "sqrt", "identity")
  if (!is.character(link) || length(link) != 1L || is.na(link) || !link %in% links) {
    abort(fun, "link ", if (is.character(link) && length(link) == 1L) paste0("'", link, "' "),
          "is not available for family 'negative_binomial'; available links: ", paste(links, collapse = ", "))
  }
  lk <- stats::make.link(link)
  th <- if (is.null(theta)) NA_real_ else as.numeric(theta)
  variance <- function(mu) mu + mu^2 / th
  dev.resids <- function(y, mu, wt) {
    2 * wt * (ifelse(y > 0, y * log(y / mu), 0) - (y + th) * log1p((y - mu) / (mu + th)))
  }
  aic <- function(y, n, mu, wt, dev) -2 * sum(wt * stats::dnbinom(y, size = th, mu = mu, log = TRUE))
  initialize <- expression({
    if (any(y < 0)) stop("negative values are not allowed for the negative binomial family")
    n <- rep(1, nobs)
    mustart <- y + (y == 0) / 6
  })
  structure(list(family = "negative_binomial", link = link, linkfun = lk$linkfun, linkinv = lk$linkinv,
                 variance = variance, dev.resids = dev.resids, aic = aic, mu.eta = lk$mu.eta,
                 initialize = initialize, validmu = function(mu) all(is.finite(mu)) && all(mu > 0),
                 valideta = lk$valideta, theta = theta),
            class = "family")
}

# MASS::negative.binomial(theta, link): its theta lives in its functions'
# environment (as .Theta), its name says "Negative Binomial(<theta>)"
adopt_mass_negbin <- function(family) {
  name <- family$family
  if (!is.character(name) || length(name) != 1L || !startsWith(name, "Negative Binomial(")) return(NULL)
  theta <- tryCatch(get(".Theta", envir = environment(family$variance), inherits = FALSE),
                    error = function(e) NULL)
  if (!is.numeric(theta) || length(theta) != 1L) return(NULL)
  negative_binomial(theta = theta, link = family$link)
}

# counts: non-negative whole numbers
count_response <- function(y, family, weights, fun) {
  glm_numeric_response(y, family, weights, fun, check = function(y, r) {
    if (r[1L] < 0) {
      abort(fun, "a negative binomial response must be counts (non-negative whole numbers); found ",
            sum(y < 0), " negative value(s)")
    }
    frac <- abs(y - round(y)) > 1e-7 * pmax(1, abs(y))
    if (any(frac)) {
      abort(fun, "a negative binomial response must be counts (non-negative whole numbers); found ",
            sum(frac), " value(s) that are not whole numbers (the first is ", format(y[which(frac)[1L]]), ")")
    }
  })
}

# theta estimated: the mean's block and log(theta), an intercept-only block
negbin_model <- function(family, resp, x, fun) {
  list(kind = "glm", lik_type = "glm",
       likelihood = list(type = "negative_binomial", link = engine_link(family, fun, glm = FALSE)$link),
       blocks = list(model_block("mu", x, "mu", family$link, "Coefficients"),
                     model_block("theta", NULL, "theta", "log", "Theta (log scale)", coef_names = "log(theta)")),
       closed_form = FALSE, start = negbin_start, finish = negbin_finish)
}

# The start: the Poisson fit with the same link (Newton and L-BFGS; as
# glm.nb starts), or gradient descent's start (every slope 0), then theta
# by the moments at those means, n / sum w (y / mu - 1)^2
negbin_start <- function(ctx) {
  y <- ctx$resp$y
  w <- ctx$resp$weights
  off <- ctx_offset(ctx)
  family <- ctx$family
  b <- NULL
  if (ctx$optimizer %in% c("newton", "lbfgs")) {
    pois <- c(list(type = "glm", dist = dist_codes[["poisson"]]), engine_link(family, ctx$fun))
    b <- glm_fit_coefficients(ctx$x, y, w, if (ctx$offset_given) off, pois, ctx$engine_control)
  }
  if (is.null(b)) b <- gd_start(ctx$x, y, w, off, family)
  mu <- family$linkinv(drop(design_matrix(ctx$x) %*% b) + off)
  ok <- w > 0 & is.finite(mu) & mu > 0
  theta <- sum(ok) / sum(w[ok] * (y[ok] / mu[ok] - 1)^2)
  if (!is.finite(theta) || !(theta > 0)) theta <- 1
  c(b, log(min(max(theta, 1e-3), 1e6)))
}

negbin_finish <- function(res, ctx, coef, aliased) {
  k <- length(coef)
  # (log theta is the second predictor, the same in every row; a network's
  # last weight is not it)
  theta <- exp(res$linear.predictors[1L, 2L])
  family <- negative_binomial(theta = theta, link = ctx$family$link)
  family$theta_estimated <- TRUE
  y <- ctx$resp$y
  w <- ctx$resp$weights
  # (every count 0: the means go to 0 and the likelihood says nothing of theta)
  if (!any(y[w > 0] > 0)) {
    abort(ctx$fun, "every count (of positive weight) is 0, so theta cannot be estimated; ",
          "give it as negative_binomial(theta = ), or fit poisson()")
  }
  eta <- res$linear.predictors[, 1L]
  mu <- family$linkinv(eta)
  me <- family$mu.eta(eta)
  at <- list(linear.predictors = eta, fitted.values = mu, residuals = (y - mu) / me,
             weights = w * me^2 / family$variance(mu), deviance = sum(family$dev.resids(y, mu, w)),
             n_boundary = 0L)
  fixed <- ctx
  fixed$family <- family
  fixed$model <- glm_model(family, ctx$resp, ctx$x, ctx$fun)
  out <- glm_finish(at, fixed, coef[-k], aliased[-k])
  # theta is a parameter of the likelihood (AIC, logLik's df), as in glm.nb
  out$aic <- out$aic + 2
  out$npar <- out$npar + 1L
  out$loglik <- out$npar - out$aic / 2
  out$theta <- theta
  out$SE.theta <- NA_real_
  out$twologlik <- 2 * out$loglik
  out$family <- family
  V <- res$cov
  j <- if (is.matrix(V)) nrow(V) else 0L
  if (j > 0L) {  # a linear model (a network has no covariance)
    keep <- names(coef)[-k][!aliased[-k]]
    if (is.finite(V[j, j]) && V[j, j] >= 0) out$SE.theta <- theta * sqrt(V[j, j])
    out$coefficients <- coef[-k]
    out$aliased <- aliased[-k]
    out$cov.unscaled <- matrix(V[-j, -j], j - 1L, j - 1L, dimnames = list(keep, keep))
    out$blocks <- describe_blocks(ctx$model$blocks[1L])
  }
  used <- w > 0
  if (any(used) && theta > 1e3 * max(mu[used])) warn(ctx$fun, negbin_large_theta(theta, max(mu[used])))
  out
}

negbin_large_theta <- function(theta, max_mu) {
  paste0("theta is estimated as ", format(signif(theta, 3)), ", large beside the fitted means (at most ",
         format(signif(max_mu, 3)), "): the counts show no overdispersion, and poisson() fits practically the ",
         "same model")
}

# The rows whose theta = 1 / sigma^2 is far above their fitted mean, as sums
# that add over chunks and partitions: how many (of the rows used), the
# smallest such theta and the largest such mean
negbin_edge_sums <- function(mu, sigma, used) {
  theta <- 1 / sigma^2
  big <- used & is.finite(mu) & theta > 1e3 * mu
  c(big = sum(big), used = sum(used), min_theta = min(theta[big], Inf), max_mu = max(mu[big], -Inf))
}
add_negbin_edge_sums <- function(a, b) {
  c(big = a[["big"]] + b[["big"]], used = a[["used"]] + b[["used"]],
    min_theta = min(a[["min_theta"]], b[["min_theta"]]), max_mu = max(a[["max_mu"]], b[["max_mu"]]))
}
negbin_edge_message <- function(s) {
  if (s[["big"]] == 0) return(NULL)
  paste0("theta = 1 / sigma^2 is estimated as ", format(signif(s[["min_theta"]], 3)), " or more for ", s[["big"]],
         " of the ", s[["used"]], " observations, large beside their fitted means (at most ",
         format(signif(s[["max_mu"]], 3)), "): those counts show no overdispersion (sigma runs to 0), and ",
         "poisson() fits them practically the same")
}

# With a sigma model: a location-scale row (sigma = 1 / sqrt(theta), the
# coefficient of variation of the gamma that mixes the Poisson means; Var y =
# mu + sigma^2 mu^2). Its quantile residuals are the mid-distribution ones,
# qnorm(F(y - 1) + f(y) / 2), as befits counts.
negbin_location_scale <- list(
  dist = dist_codes[["negative_binomial"]], discrete = TRUE,
  sd = function(mu, sigma) sqrt(mu + (sigma * mu)^2),
  start_location = function(x, y, weights, offset, family, fun) {  # (the Poisson fit, as glm.nb starts)
    glm_location_start(x, y, weights, offset, family, fun, dist = dist_codes[["poisson"]])
  },
  log_cdf = function(y, mu, sigma, df, lower) {
    size <- 1 / sigma^2
    half <- stats::dnbinom(y, size = size, mu = mu) / 2
    if (lower) log(stats::pnbinom(y - 1, size = size, mu = mu) + half) else
      log(stats::pnbinom(y, size = size, mu = mu, lower.tail = FALSE) + half)
  },
  log_density = function(y, mu, sigma, df) stats::dnbinom(y, size = 1 / sigma^2, mu = mu, log = TRUE),
  draw = function(n, mu, sigma, df) stats::rnbinom(n, size = 1 / sigma^2, mu = mu),
  # theta = 1 / sigma^2 far above the means (as negbin_finish() says it without a sigma model)
  edge = list(sums = negbin_edge_sums, add = add_negbin_edge_sums, message = negbin_edge_message))

negbin_row_model <- function(family, resp, x, x_sigma, fun) {
  if (!is.null(x_sigma)) {
    if (!is.null(family$theta)) {
      abort(fun, "a sigma model estimates theta (sigma = 1 / sqrt(theta)): use negative_binomial() without 'theta'")
    }
    return(locscale_model(family, resp, x, x_sigma, fun))
  }
  if (is.null(family$theta)) negbin_model(family, resp, x, fun) else glm_model(family, resp, x, fun)
}

register_family(new_family_row(
  "negative_binomial", c("log", "sqrt", "identity"), "negative_binomial", fitted_pass = TRUE,
  simulate = function(object, ftd, wts, nsim, fun) {
    if (any(wts != 1)) warn(fun, "prior weights are ignored: the counts are drawn at the fitted means")
    stats::rnbinom(length(ftd) * nsim, size = object$family$theta, mu = ftd)
  },
  response = count_response, sigma = "optional", location_scale = negbin_location_scale,
  model = negbin_row_model,
  penalty_model = function(family, resp, x, x_sigma, fun) {
    if (is.null(family$theta)) {
      abort(fun, "a penalised negative binomial model needs a fixed theta: negative_binomial(theta = ...)")
    }
    glm_model(family, resp, x, fun)
  },
  lik_params = function(family) list(theta = family$theta),
  adopt = adopt_mass_negbin,
  aic = stats_aic,
  mean_range = function(ybar) max(ybar, 1e-4),
  boundary = "fitted means numerically 0 occurred",
  clamp_y = function(y) pmax(y, 0),
  eval_loglik = function(y, trials, mu, wt, fit) wt * stats::dnbinom(y, size = fit$family$theta, mu = mu, log = TRUE)
))

