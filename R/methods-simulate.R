# simulate() for GLM fits: responses drawn from the fitted distribution of
# each row, as stats::simulate() draws them for glm fits.

#' Simulate responses from a fitted model
#'
#' Draws `nsim` response vectors from the distribution a fit assigns to
#' each row. For a GLM (its fitted mean, prior weight and dispersion) the draws are those
#' [stats::simulate()] draws them for a `glm()` fit, with the same calls to
#' R's random number generator where glm has them (gaussian, binomial,
#' poisson), so that the same seed gives the same draws:
#'
#' * gaussian: `mu + N(0, dispersion / weights)`, the dispersion being
#'   `deviance / df.residual`;
#' * binomial: counts out of the prior weights (the trials), as proportions
#'   (or a two-column matrix for a `cbind()` response, a factor for a factor
#'   response); the weights must be whole numbers;
#' * poisson: counts (prior weights are ignored with a warning, as by glm);
#' * Gamma: shape `alpha * weights` at the maximum-likelihood `alpha` given
#'   the fitted means (as glm's, from `MASS::gamma.shape()`);
#' * inverse.gaussian: shape `weights / dispersion` (glm's needs the
#'   SuppDists package; this one draws by the transformation of Michael,
#'   Schucany and Haas (1976));
#' * negative binomial: `rnbinom(size = theta, mu)`.
#'
#' A distributional model draws at each row's fitted location and scale
#' (gaussian, Student-t at its degrees of freedom, Laplace, Gamma, inverse
#' Gaussian and negative binomial with a sigma model), a multinomial or
#' ordinal model draws each row's class from its fitted probabilities (a
#' factor); their prior weights count rows in the likelihood and are ignored
#' with a warning. A network (`model = mlp()`) draws in the same way at its
#' fitted outputs. Quasi-families have no distribution to draw from; several
#' responses and fits from a chunked source are refused with the reason.
#'
#' @param object A `"gradglm"` fit.
#' @param nsim The number of response vectors.
#' @param seed `NULL`, or an integer for [set.seed()] (the generator's state
#'   is restored afterwards), as in [stats::simulate()].
#' @param ... Not used.
#' @return A data frame with columns `sim_1`, ..., `sim_<nsim>` and a row per
#'   fitted row (padded with `NA` under `na.action = na.exclude`), with the
#'   generator's state as the attribute `"seed"`.
#' @examples
#' fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
#' sims <- simulate(fit, nsim = 3, seed = 1)
#' head(sims)
#' # a parametric bootstrap of the wool coefficient
#' boot <- vapply(sims, function(y) coef(update(fit, y ~ .,
#'   data = cbind(warpbreaks, y = y)))[["woolB"]], 0)
#' @importFrom stats simulate
#' @export
simulate.gradglm <- function(object, nsim = 1, seed = NULL, ...) {
  fun <- "simulate.gradglm"
  check_gradglm(object, fun)
  stop_if_path(object, fun)
  stop_if_source(object, fun, "simulated responses")
  check_count(nsim, "'nsim'", fun)
  if (!is.null(seed) && (!is.numeric(seed) || length(seed) != 1L || !is.finite(seed))) {
    abort(fun, "'seed' must be NULL or a single number (for set.seed())")
  }
  # the generator's state, as stats::simulate() keeps it
  if (!exists(".Random.seed", envir = globalenv(), inherits = FALSE)) stats::runif(1)
  if (is.null(seed)) {
    rng_state <- get(".Random.seed", envir = globalenv())
  } else {
    saved <- get(".Random.seed", envir = globalenv())
    set.seed(seed)
    rng_state <- structure(seed, kind = as.list(RNGkind()))
    on.exit(assign(".Random.seed", saved, envir = globalenv()))
  }
  if (!is_glm_fit(object)) return(simulate_likelihood(object, nsim, rng_state, fun))
  ftd <- as.vector(object$fitted.values)
  nm <- names(object$fitted.values)
  if (is.null(nm)) nm <- as.character(seq_along(ftd))
  n <- length(ftd)
  wts <- object$prior.weights
  if (is.null(wts)) wts <- rep.int(1, n)
  # (each GLM row of the family registry draws its own: its `simulate`)
  draw <- family_row(object$family)$simulate
  if (is.null(draw)) {
    fam <- object$family$family
    abort(fun, "family '", fam, "' has no distribution to draw from",
          if (startsWith(fam, "quasi")) " (a quasi-family defines only the mean and variance)")
  }
  draws <- draw(object, ftd, wts, nsim, fun)
  simulated_frame(object, draws, n, nsim, nm, rng_state)
}

# the draws (a vector of n * nsim, or a list of nsim) as simulate()'s data
# frame, padded for na.exclude, with the generator's state
simulated_frame <- function(object, draws, n, nsim, nm, rng_state) {
  out <- if (is.list(draws)) {
    lapply(draws, function(v) stats::naresid(object$na.action, v))
  } else {
    lapply(seq_len(nsim), function(i) stats::naresid(object$na.action, draws[(i - 1L) * n + seq_len(n)]))
  }
  rows <- stats::naresid(object$na.action, stats::setNames(seq_len(n), nm))
  rn <- if (!is.null(names(rows))) names(rows) else nm
  out <- structure(out, names = paste0("sim_", seq_len(nsim)), row.names = rn, class = "data.frame")
  attr(out, "seed") <- rng_state
  out
}

# The models with a likelihood of their own: a location-scale model draws at
# each row's location and scale (its family's draw()), a multinomial or
# ordinal model draws each row's class from its fitted probabilities. Prior
# weights count rows in the likelihood; the draws are one per row.
simulate_likelihood <- function(object, nsim, rng_state, fun) {
  unpad <- function(v) if (inherits(object$na.action, "exclude")) v[-object$na.action] else v
  type <- object$lik_type
  # (a matrix of counts: its totals are in the prior weights, so the check comes first)
  if (type %in% c("multinomial", "ordinal") && !is.factor(object$y)) {
    abort(fun, "classes are simulated for a factor response, not for a multinomial fit to a matrix of counts")
  }
  wts <- object$prior.weights
  if (!is.null(wts) && any(wts != 1)) warn(fun, "prior weights are ignored: one response is drawn per row")
  if (type %in% c("multinomial", "ordinal")) {
    P <- predict.gradglm(object, type = "probs")
    if (inherits(object$na.action, "exclude")) P <- P[-object$na.action, , drop = FALSE]
    n <- nrow(P)
    cum <- t(apply(P, 1L, cumsum))
    lev <- levels(object$y)
    # (an ordinal model's draws are ordered, as its response must be)
    ordered <- is.ordered(object$y)
    draws <- lapply(seq_len(nsim), function(i) {
      k <- pmin(rowSums(cum < stats::runif(n)) + 1L, length(lev))
      factor(lev[k], levels = lev, ordered = ordered)
    })
    return(simulated_frame(object, draws, n, nsim, rownames(P), rng_state))
  }
  if (NCOL(object$fitted.values) > 1L) abort(fun, "responses are simulated for models of one response")
  draw <- if (identical(type, "location_scale")) family_row(object$family)$location_scale$draw
  if (is.null(draw)) abort(fun, "responses are not simulated from a ", object$family$family, " model")
  mu <- as.vector(object$fitted.values)
  nm <- names(object$fitted.values)
  sigma <- unpad(as.vector(predict.gradglm(object, type = "sigma")))
  n <- length(mu)
  df <- if (is.null(object$df)) NA_real_ else object$df
  draws <- draw(n * nsim, rep(mu, nsim), rep(sigma, nsim), df)
  simulated_frame(object, draws, n, nsim, nm, rng_state)
}

# binomial draws as glm's: whole-number trials (the prior weights), returned
# as the response was given (proportions, a two-column count matrix, a factor)
simulate_binomial <- function(object, ftd, wts, n, nsim, fun) {
  if (any(wts %% 1 != 0)) {
    abort(fun, "binomial responses are simulated for whole-number prior weights (the trials)")
  }
  y <- if (!is.null(object$model)) stats::model.response(object$model)
  if (is.factor(y)) {
    yy <- factor(1 + stats::rbinom(n * nsim, size = 1, prob = ftd), levels = 1:2, labels = levels(y)[1:2])
    return(split(yy, rep(seq_len(nsim), each = n)))
  }
  if (is.matrix(y) && ncol(y) == 2L) {
    return(lapply(seq_len(nsim), function(i) {
      k <- stats::rbinom(n, size = wts, prob = ftd)
      m <- cbind(k, wts - k)
      colnames(m) <- colnames(y)
      m
    }))
  }
  stats::rbinom(n * nsim, size = wts, prob = ftd) / wts
}

# The maximum-likelihood shape of a Gamma fit given its fitted means: the
# root of sum w (log(alpha w) - digamma(alpha w) + log(y / mu) - y / mu + 1) = 0
# (the rows of zero weight left out)
gamma_ml_shape <- function(y, mu, w) {
  ok <- w > 0
  y <- y[ok]
  mu <- mu[ok]
  w <- w[ok]
  score <- function(la) {
    a <- exp(la) * w
    sum(w * (log(a) - digamma(a) + log(y / mu) - y / mu + 1))
  }
  # (the score falls from +Inf to below 0 as alpha grows, unless the fit is exact)
  hi <- 0
  while (score(hi) > 0 && hi < 50) hi <- hi + 5
  exp(stats::uniroot(score, c(-30, hi), tol = 1e-12)$root)
}

# inverse Gaussian draws with means mu and shapes lambda (Michael, Schucany
# and Haas 1976): a root of the chi-square transformation, chosen with the
# right probability
rinvgauss <- function(n, mu, lambda) {
  mu <- rep_len(mu, n)
  lambda <- rep_len(lambda, n)
  v <- stats::rnorm(n)^2
  x <- mu + mu^2 * v / (2 * lambda) - mu / (2 * lambda) * sqrt(4 * mu * lambda * v + mu^2 * v^2)
  ifelse(stats::runif(n) <= mu / (mu + x), x, mu^2 / x)
}
