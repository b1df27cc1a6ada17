#' @include family.R
NULL

# Location-scale (distributional) models: the location and log(sigma) each
# have a linear model and, for the Student-t with estimated degrees of
# freedom, log(df) is an intercept-only block, all fitted jointly by maximum
# likelihood. Used by laplace(), student_t() and gaussian() with a sigma model.

locscale_model <- function(family, resp, x, z, fun) {
  row <- family_row(family)
  ls <- row$location_scale
  estimate_df <- isTRUE(ls$has_df) && is.null(family$df)
  if (design_ncol(z) == 0L) abort(fun, "the sigma model has no coefficients; use sigma = ~ 1 for a constant scale")
  blocks <- list(
    model_block("location", x, "mu", family$link, "Location coefficients", summary_title = "Location model coefficients"),
    model_block("sigma", z, "sigma", "log", "Sigma model coefficients", prefix = "sigma:"))
  if (estimate_df) {
    blocks$log_df <- model_block("log_df", NULL, "df", "log", "Degrees of freedom (log scale)",
                                  coef_names = "log(df)")
  }
  df_fixed <- if (isTRUE(ls$has_df) && !estimate_df) family$df else NA_real_
  list(kind = "likelihood",
       likelihood = list(type = "location_scale", dist = ls$dist, link = engine_link(family, fun, glm = FALSE)$link,
                         df = df_fixed),
       blocks = unname(blocks), closed_form = FALSE, estimate_df = estimate_df, df_fixed = df_fixed,
       start = function(ctx) dist_start(design_matrix(x), design_matrix(z), resp$y, resp$weights, ctx_offset(ctx),
                                        family, estimate_df, fun),
       check_control = function(engine_control, fun) {
         if (isTRUE(ls$no_validation) && engine_control$validation > 0) {
           abort(fun, "'validation' is not available for ", family$family, "(): its fit ends with an exact ",
                 "solution on all rows; use validation = 0")
         }
       },
       check_result = function(res, ctx, start) locscale_check(res, ctx, start, x, z),
       finish = locscale_finish)
}

# Unbounded likelihoods the optimizer's own check (a scale falling 14 units of
# log below its start) does not see:
# * a fit stopped at its iteration limit (gradient descent crawls) while the
#   scale of some rows has fallen far (5 units of log, 150-fold) below its
#   start, their residuals far below that scale (mean square under 1e-3 of
#   it), and the location model can fit them exactly (fitted_exactly()): sigma
#   runs to 0 for them (not for counts, family rows marked `discrete`);
# * a Student-t of fixed df with a constant scale: k rows on one hyperplane of
#   the location model, fitted exactly, give the likelihood k log(1 / sigma)
#   against (n - k) df log(sigma) for the others, unbounded as sigma -> 0 when
#   their weight exceeds df / (1 + df) of the total. A local maximum elsewhere
#   can look converged; such hyperplanes are searched for (hyperplane_search()).
# Either marks the fit as stopped at an unbounded likelihood, with its reason.
locscale_check <- function(res, ctx, start, x, z) {
  if (isTRUE(res$diverged) || !is.matrix(res$linear.predictors) || !all(is.finite(res$coefficients[!res$aliased]))) {
    return(res)
  }
  family <- ctx$family
  ls_row <- family_row(family)$location_scale
  y <- ctx$resp$y
  w <- ctx$resp$weights
  ok <- w > 0
  eta <- res$linear.predictors
  mu <- suppressWarnings(family$linkinv(eta[, 1L]))
  # (a row fitted exactly has no residual, whatever its scale: a scale that
  # has underflowed to 0 would make it 0 / 0)
  r <- y - mu
  zres <- r / ls_sd(family, mu, exp(eta[, 2L]))
  zres[r == 0] <- 0
  # (the engine's likelihoods are exact for a scale down to the row's floor,
  # exp(-680), about 1e-295, where it caps exp() (src/links.h), or exp(-340):
  # below, a loss that falls without bound as the scale does would look like
  # a maximum)
  floor_s <- if (is.null(ls_row$log_scale_floor)) -Inf else ls_row$log_scale_floor
  low_s <- ok & eta[, 2L] < floor_s
  if (any(low_s)) {
    res$converged <- FALSE
    res$diverged <- TRUE
    res$message <- paste0(
      "the fitted scale of ", sum(low_s), " observation(s) fell below exp(", floor_s, "), about ",
      format(signif(exp(floor_s), 2)), ", beyond which the likelihood is not computed exactly in doubles; ",
      "rescale the response (its residuals are of the order of ", format(signif(stats::median(abs(r[ok])), 2)),
      ") and refit")
    return(res)
  }
  if (!res$converged && length(start) == length(res$coefficients) && !isTRUE(ls_row$discrete)) {
    zm <- design_matrix(z)
    g0 <- start[design_ncol(x) + seq_len(ncol(zm))]
    g0[is.na(g0)] <- 0
    drop_by <- drop(zm %*% g0) - eta[, 2L]
    low <- ok & is.finite(drop_by) & drop_by > 5
    if (any(low) && isTRUE(sum(w[low] * zres[low]^2) / sum(w[low]) < 1e-3) &&
        fitted_exactly(design_matrix(x), y, ctx_offset(ctx), family, low)) {
      res$diverged <- TRUE
      res$message <- paste0(
        "the likelihood is unbounded: the location model fits ", sum(low), " observation(s) exactly, and ",
        "their fitted scale was still falling (", format(signif(exp(max(drop_by[low])), 2), big.mark = ","),
        "-fold below its start) when the optimizer stopped (", res$message, "): sigma runs to 0 for them; ",
        "simplify the sigma model")
      return(res)
    }
  }
  df <- family$df
  if (!is.null(df) && isTRUE(family_row(family)$location_scale$has_df) && identical(family$link, "identity") &&
      ncol(design_matrix(z)) == 1L) {
    xm <- design_matrix(x)[, !res$aliased[seq_len(design_ncol(x))], drop = FALSE]
    hit <- hyperplane_search(xm[ok, , drop = FALSE], (y - ctx_offset(ctx))[ok], w[ok], df / (1 + df))
    if (!is.null(hit)) {
      res$converged <- FALSE
      res$diverged <- TRUE
      W <- sum(w[ok])
      what <- if (all(w[ok] == 1)) {
        paste0(hit$count, " of the ", sum(ok), " observations lie")
      } else {
        paste0(hit$count, " observations (weight ", format(signif(hit$weight, 3)), " of ", format(signif(W, 3)),
               ") lie")
      }
      res$message <- paste0(
        "the likelihood is unbounded: ", what, " on one hyperplane of the location model, and with df = ",
        format(signif(df, 3)), " more than ", format(signif(W * df / (1 + df), 3)),
        if (all(w[ok] == 1)) " (n df / (1 + df))" else " (the total weight times df / (1 + df))",
        " fitted exactly let sigma run to 0 with the likelihood growing without bound; the estimates are a ",
        "local maximum (estimating df or a larger df avoids this)")
    }
  }
  res
}

# Whether the location model can fit the rows `rows` exactly: least squares
# of their linked response on the location design leaves residuals at the
# rounding level (1e-9 of their size)
fitted_exactly <- function(x, y, offset, family, rows) {
  target <- suppressWarnings(family$linkfun(y[rows])) - offset[rows]
  if (!all(is.finite(target))) return(FALSE)
  xr <- x[rows, , drop = FALSE]
  b <- stats::lm.fit(xr, target)$coefficients
  b[is.na(b)] <- 0
  f <- drop(xr %*% b)
  all(abs(target - f) <= 1e-9 * (abs(target) + abs(f)) + 1e-300)
}

# Rows of (x, y) lying on one hyperplane y = x b (to 1e-9 of their size) whose
# weight exceeds `share` of the total: the hyperplanes through p rows of up to
# 500 subsets (fewer for large data) drawn by a fixed Park-Miller generator, so
# that R's random numbers are not touched and the answer is reproducible.
# NULL when none is found (which does not prove there is none).
hyperplane_search <- function(x, y, w, share) {
  n <- nrow(x)
  p <- ncol(x)
  if (p == 0L || n <= p) return(NULL)
  need <- share * sum(w)
  m <- min(500, floor(2e7 / (n * p)))
  # the chance that p rows drawn from a set of that share all lie in it
  if (m < 1 || m * share^p < 1) return(NULL)
  # (the draws and their planes in the engine, R's loop over them having
  # cost more than the fit it checks: 0.1 s at 1e4 x 11)
  hyperplane_scan(x, as.double(y), as.double(w), need, as.integer(m))
}

# Starting values: weighted least squares for the location (on the log scale
# of y for a log link; a positive family's GLM fit), then log|residual|
# regressed on the sigma design (E log|e| = log(sigma) - 0.635 for a
# Gaussian e; the residual divided by the sd at sigma = 1), and df = 10.
dist_start <- function(x, z, y, weights, offset, family, estimate_df, fun) {
  # (y without its row names: each vector made from it below is then one
  # copy, not two, which on 2e5 rows is 2 ms and as much fresh memory)
  y <- as.double(y)
  ok <- weights > 0
  ls <- family_row(family)$location_scale
  eta <- NULL  # (the start's location predictor, where it is at hand)
  if (!is.null(ls$start_location)) {
    b <- ls$start_location(x, y, weights, offset, family, fun)
  } else if (family$link == "log") {
    if (!any(y[ok] > 0)) {
      abort(fun, "link = \"log\" needs some positive responses for its default start; supply 'start'")
    }
    ly <- log(pmax(y, min(y[ok & y > 0]) / 2))
    b <- wls_coefficients(x, ly - offset, weights)
  } else {
    yo <- y - offset
    b <- wls_coefficients(x, yo, weights)
    if (isTRUE(ls$heavy_tails)) {
      b <- robust_start(x, yo, weights, b, if (is.null(ls$start_tol)) 1e-6 else ls$start_tol)
    } else {
      eta <- drop(x %*% replace(b, is.na(b), 0)) + offset
      if (gross_outlier(y - eta, weights)) {
        # (least squares dragged by a gross outlier would give every row the
        # outlier's scale as its start, a start so far above the other rows'
        # scales at the maximum that their fall there looks like sigma
        # running to 0; a start only, so a loose tolerance)
        b <- robust_start(x, yo, weights, b, 1e-4)
        eta <- NULL
      }
    }
  }
  b[is.na(b)] <- 0
  if (is.null(eta)) eta <- drop(x %*% b) + offset
  mu <- suppressWarnings(family$linkinv(eta))  # (1/mu^2's sqrt of a negative eta: NaN)
  r <- suppressWarnings((y - mu) / ls_sd(family, mu, 1))
  # (residuals whose squares underflow, as a response of 1e-200 gives: the
  # start's scale would be that of the floors below, hundreds of units of log
  # from the maximum's, and the likelihood's curvature in the location,
  # 1 / sigma^2, overflows)
  ar <- abs(r[ok & is.finite(r)])
  size <- if (length(ar)) stats::median(ar) else 1
  if (!isTRUE(size > 0)) size <- if (length(ar)) max(ar) else 1
  if (isTRUE(size > 0) && size < sqrt(.Machine$double.xmin)) {
    abort(fun, "the response's residuals at the start are of the order of ", format(signif(size, 3)),
          " (their median absolute value): their squares underflow a double; rescale the response first ",
          "(multiply it by a power of 10)")
  }
  r2 <- r^2
  # (a start whose mean is invalid for some rows, or overflows, leaves their
  # squares at the largest finite one; the engine then judges the start)
  fin <- ok & is.finite(r2)
  r2[!is.finite(r2)] <- if (any(fin)) max(r2[fin]) else 1
  # (a floor for log(r^2) from the median square: a mean would be set by the
  # largest residuals of heavy-tailed data)
  eps <- 1e-4 * stats::median(r2[ok])
  if (!isTRUE(eps > 0)) eps <- 1e-4 * sum(weights * r2) / sum(weights)
  if (!isTRUE(eps > 0)) eps <- 1e-8 * (1 + sum(weights * y^2) / sum(weights))
  if (!isTRUE(eps > 0) || !is.finite(eps)) eps <- 1
  # (and not below the rounding level of y on the scale of its sd, 1e-8 of
  # its size: residuals all at the rounding, a response the location model
  # fits exactly, would put the start's scale there (log sigma about -36 for a
  # constant Gamma response), where its fall to 0 (an unbounded likelihood)
  # stays within the optimizer's check of 14 units below the start and, the
  # density losing its digits, a large gradient looks converged)
  size2 <- suppressWarnings((y / ls_sd(family, mu, 1))^2)
  size2 <- size2[ok & is.finite(size2)]
  if (length(size2)) eps <- max(eps, 1e-16 * stats::median(size2))
  g <- wls_coefficients(z, 0.5 * log(r2 + eps) + 0.635, weights)
  g[is.na(g)] <- 0
  c(unname(b), unname(g), if (estimate_df) log(10))
}

# Weighted least squares for the starts: lm.wfit()'s coefficients (NA for an
# aliased column) by the engine's closed form, on its threads (at 5e5 x 11,
# 0.08 s against lm.wfit()'s 0.45 s; a heavy-tailed start takes up to 21), the
# coefficients alone (no n-vectors of outputs)
wls_coefficients <- function(x, y, w) {
  if (ncol(x) == 0L) return(numeric(0))
  if (ncol(x) == 1L && design_intercept(x) == 1L) {
    # an intercept alone (a constant scale's start, a null model's): the
    # weighted mean of the rows of positive weight, without the engine
    ok <- w > 0
    W <- sum(w[ok])
    return(stats::setNames(if (W > 0) sum(w[ok] * y[ok]) / W else NA_real_, colnames(x)))
  }
  ctl <- engine_control_list(gradglm_control(), as_optimizer_spec("auto", "gradglm"), "exact", nrow(x))
  r <- fit_model(list(designs = list(engine_design(x)), block_design = 0L, block_m = 1L, y = as.double(y),
                      weights = as.double(w), offsets = list(),
                      likelihood = list(type = "glm", dist = dist_codes[["gaussian"]], link = link_codes[["identity"]]),
                      optimizer = "exact", start = NULL, control = ctl, coefficients_only = TRUE))
  b <- r$coefficients
  b[r$aliased] <- NA
  stats::setNames(b, colnames(x))
}

# Whether least squares' residuals `r` hold a gross outlier: one more than 50
# times their median size, where the largest of n normal residuals is under 8
# times it up to n = 1e9
gross_outlier <- function(r, weights) {
  r <- abs(r[weights > 0])
  m <- stats::median(r)
  isTRUE(m > 0) && max(r) > 50 * m
}

# the response's standard deviation at location mu and scale sigma: sigma,
# or the row's own (sigma mu for the Gamma)
ls_sd <- function(family, mu, sigma) {
  f <- family_row(family)$location_scale$sd
  if (is.null(f)) sigma else f(mu, sigma)
}

# Heavy-tailed likelihoods start from a fit that outliers do not drag: least
# squares reweighted a few times by Cauchy weights 1 / (1 + (r / s)^2), s the
# residuals' scaled median absolute value. (Least squares alone can put the
# start's scale many orders of magnitude above the maximum's, Student-t data
# with df = 0.1 having values of 1e11 among values of 10, which both slows the
# fit and looks like a scale collapsing to 0.) It stops when the coefficients
# move by less than `tol` of their size (the reweighting converges linearly,
# at about half the distance a step). The Student-t's many local maxima need
# the tight default (a start at 1e-4 led one test's fit to a lower maximum);
# the Laplace's exact finish takes 1e-4 (its family row's start_tol).
robust_start <- function(x, y, weights, b, tol = 1e-6) {
  if (!length(b)) return(b)  # (no location coefficients: nothing to start)
  # (the steps run in the engine, each step's least squares
  # wls_coefficients()'s to the rounding, without R's work between them: at
  # 1e4 x 11, 0.6 ms a step against 2.5 for the loop in R)
  out <- robust_reweight(engine_design(x), as.double(unname(y)), as.double(unname(weights)), as.double(b), tol,
                         ncol(x) == 1L && design_intercept(x) == 1L, gradglm_control()$rank_tol,
                         engine_threads())
  stats::setNames(out, names(b))
}

locscale_finish <- function(res, ctx, coef, aliased) {
  model <- ctx$model
  family <- ctx$family
  y <- ctx$resp$y
  weights <- ctx$resp$weights
  n <- ctx$n
  rn <- names(y)
  eta <- res$linear.predictors
  mu <- stats::setNames(family$linkinv(eta[, 1L]), rn)
  log_sigma <- stats::setNames(eta[, 2L], rn)
  # a scale at the edge of its range, said as the family says it (the negative
  # binomial's sigma running to 0: no overdispersion)
  edge <- family_row(family)$location_scale$edge
  msg <- if (!is.null(edge)) edge$message(edge$sums(mu, exp(log_sigma), weights > 0))
  if (!is.null(msg)) warn(ctx$fun, msg)
  npar <- sum(!aliased)
  loglik <- res$loglik
  est <- model$estimate_df
  df <- if (est) exp(eta[1L, 3L]) else if (!is.na(model$df_fixed)) model$df_fixed else NULL

  # the null model: constant location (plus offset) and constant scale
  null_dev <- NA_real_
  null_loglik <- family_row(family)$location_scale$null_loglik
  if (ctx$intercept && !is.null(null_loglik)) {
    null_dev <- -2 * null_loglik(y, weights, ctx_offset(ctx))
  } else if (ctx$intercept) {
    one <- matrix(1, n, 1L)
    ctrl0 <- utils::modifyList(ctx$engine_control, list(max_iter = max(ctx$engine_control$max_iter, 100L),
                                                        trace = FALSE, verbose = FALSE))
    s0 <- dist_start(one, one, y, weights, ctx_offset(ctx), family, est, ctx$fun)
    null_res <- tryCatch(suppressWarnings(fit_model(list(
      designs = c(list(NULL, NULL), if (est) list(NULL)), block_design = c(0L, 1L, if (est) 2L),
      block_m = rep(1L, 2L + est), y = y, weights = weights,
      offsets = list(if (ctx$offset_given) ctx$offset), likelihood = model$likelihood,
      optimizer = "newton", start = s0, control = ctrl0))),
      error = function(e) {
        pass_on_time_limit(e)
        NULL
      })
    if (!is.null(null_res)) null_dev <- -2 * null_res$loglik
  }
  loc <- model$blocks[[1L]]$coef_names
  list(residuals = stats::setNames(y - mu, rn), fitted.values = mu,
       linear.predictors = stats::setNames(eta[, 1L], rn), sigma = exp(log_sigma),
       sigma.linear.predictors = log_sigma, df = df, df_estimated = est,
       rank = sum(!aliased[loc]), deviance = -2 * loglik, aic = -2 * loglik + 2 * npar,
       null.deviance = null_dev, weights = weights, df.residual = ctx$n_ok - npar,
       df.null = ctx$n_ok - 2L - as.integer(est), loglik = loglik, npar = npar, dispersion = 1)
}
