# profile() of a GLM fit in memory (and of another likelihood's location
# coefficients): the profile of each coefficient's deviance on a grid, in the
# layout of glm's profile objects (a data frame per coefficient: z or tau,
# the signed root of the deviance's rise, and par.vals, every coefficient's
# value along the profile), with plot() and confint() methods.

#' Profile the deviance of a GLM fit, or another likelihood's location coefficients
#'
#' For each coefficient, holds it at values on a grid around its estimate,
#' refits the others, and records the signed root of the deviance's rise
#' over the dispersion, `sign(b - estimate) * sqrt((D(b) - D) /
#' dispersion)`, with every coefficient's value at that point, as `profile()`
#' gives it for glm fits (MASS's `profile.glm()`; in stats from R 4.4): named
#' `z` where the dispersion is fixed (binomial, Poisson), `tau` where it is
#' estimated. The grid runs from the estimate in steps of `del` standard
#' errors each way until the root passes `zmax`, `sqrt(qchisq(1 - alpha, 1))`
#' for a fixed dispersion and `sqrt(qf(1 - alpha, 1, df))` for an estimated
#' one (`df` its residual degrees of freedom), or until `maxsteps` points
#' each way, the estimate's included. A refit that does not converge from the
#' last point's coefficients is approached from that point in smaller steps
#' (as for an inverse Gaussian, whose linear predictor must stay positive).
#' A straight line of the root against the coefficient means a
#' quadratic log-likelihood, where Wald intervals are right; a bent one shows
#' how far they are off. [confint.gradglm()] finds the interval limits by
#' root finding on the same refits, not on this grid.
#'
#' A fit of another likelihood with one location model (`ordinal()`, as
#' MASS's `profile()` of a polr fit; the location-scale families) is
#' profiled in its location coefficients, every other parameter (the
#' cut-points, the scale model, an estimated `df`) refitted at each point:
#' the root is `z`, `sign(b - estimate) * sqrt(2 * (logLik - logLik(b)))`,
#' with the chi-squared cutoff.
#'
#' For fits from data in memory without a penalty (the coefficients
#' [confint.gradglm()] profiles).
#'
#' @param fitted A fitted `"gradglm"` model.
#' @param which The coefficients to profile: names or positions (default all
#'   that are estimated).
#' @param alpha The grid goes as far as the cutoff of a two-sided interval of
#'   level `1 - alpha`.
#' @param maxsteps The most points each way, the estimate's included (at
#'   most `maxsteps - 1` steps), as glm's profile.
#' @param del The step, in standard errors.
#' @param ... Not used.
#' @return An object of class `c("profile.gradglm", "profile.glm",
#'   "profile")`: a list with one data frame per coefficient, with columns
#'   `z` or `tau` and `par.vals` (a matrix, one column per coefficient),
#'   ordered by the coefficient's value; attributes `original.fit` (the fit)
#'   and `summary` (its summary). `plot()` draws the root against each coefficient
#'   (an interpolating spline through the points); `confint()` reads the
#'   limits off that spline (as MASS's method does), whereas
#'   [confint.gradglm()] on the fit solves for them.
#' @seealso [confint.gradglm()]
#' @examples
#' fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph,
#'                family = binomial())
#' pr <- profile(fit, which = c("alcgp.L", "alcgp.Q"))
#' head(pr[["alcgp.L"]]$z)
#' plot(pr)
#' confint(pr)
#' @importFrom stats profile
#' @export
profile.gradglm <- function(fitted, which = NULL, alpha = 0.01, maxsteps = 10, del = zmax / 5, ...) {
  fun <- "profile.gradglm"
  check_gradglm(fitted, fun, "fitted")
  stop_if_path(fitted, fun)
  stop_if_network(fitted, fun, "a profile")
  if (!length(fitted$coefficients)) abort(fun, "the fit has no coefficients to profile")
  profiled <- .profilable(fitted, names(fitted$coefficients))
  if (!length(profiled)) {
    abort(fun, "the profile is for GLM fits and the location coefficients of other likelihoods, ",
          "from data in memory without a penalty")
  }
  if (!is_glm_fit(fitted) && !isTRUE(fitted$converged)) {
    abort(fun, "the fit did not converge: a profile needs the likelihood's maximum")
  }
  if (!is.numeric(alpha) || length(alpha) != 1L || is.na(alpha) || alpha <= 0 || alpha >= 1) {
    abort(fun, "'alpha' must be a single number between 0 and 1")
  }
  # (another likelihood's every parameter is estimated: its root is z)
  fixed <- !is_glm_fit(fitted) || .methods_fixed_dispersion(fitted$family)
  zmax <- if (fixed) sqrt(stats::qchisq(1 - alpha, 1)) else sqrt(stats::qf(1 - alpha, 1, fitted$df.residual))
  root_name <- if (fixed) "z" else "tau"
  check_count(maxsteps, "'maxsteps'", fun)
  if (!is.numeric(del) || length(del) != 1L || !is.finite(del) || del <= 0) {
    abort(fun, "'del' must be one positive number (the step, in standard errors)")
  }
  cf <- coef.gradglm(fitted)
  pnames <- names(cf)
  se <- sqrt(diag(vcov.gradglm(fitted, complete = TRUE)))
  names(se) <- pnames
  estimated <- intersect(pnames[!is.na(cf) & is.finite(se) & se > 0], profiled)
  which <- if (is.null(which)) estimated else .coef_selection(which, pnames, "which", "coefficient", fun)
  skipped <- setdiff(which, estimated)
  if (length(skipped)) {
    warn(fun, "no profile of ", quote_some(skipped), " (aliased, without a standard error, or not a ",
         "location coefficient)")
  }
  which <- intersect(which, estimated)
  at <- .profiler(fitted, cf, fun)
  out <- lapply(stats::setNames(which, which), function(pm) {
    j <- match(pm, pnames)
    others <- setdiff(seq_along(cf)[!is.na(cf)], j)
    taus <- 0
    vals <- list(cf)
    for (side in c(-1, 1)) {
      start <- NULL
      last_b <- cf[[j]]
      for (k in seq_len(maxsteps - 1L)) {
        b <- cf[[j]] + side * k * del * se[[j]]
        pt <- at(j, b, start)
        if (is.null(pt)) pt <- .profile_walk(at, j, last_b, b, start)
        if (is.null(pt)) break  # (no refit converged: the profile ends here)
        start <- pt$others
        last_b <- b
        v <- cf
        v[j] <- b
        v[others] <- pt$others
        taus <- c(taus, pt$z)
        vals <- c(vals, list(v))
        if (abs(pt$z) >= zmax) break  # (as glm's: on while |z| < zmax)
      }
    }
    ord <- order(vapply(vals, function(v) v[[j]], 0))
    par_vals <- do.call(rbind, vals[ord])
    dimnames(par_vals) <- list(NULL, pnames)
    frame <- stats::setNames(data.frame(taus[ord]), root_name)
    frame$par.vals <- par_vals
    frame
  })
  structure(out, original.fit = fitted, summary = summary(fitted), class = c("profile.gradglm", "profile.glm", "profile"))
}

#' @rdname profile.gradglm
#' @param x,object A `"profile.gradglm"` object.
#' @param parm For `confint()`: the coefficients (names or positions among
#'   the profiled ones' fit); all profiled ones if missing.
#' @param level The confidence level.
#' @export
plot.profile.gradglm <- function(x, ...) {
  if (!length(x)) return(invisible(x))
  nr <- ceiling(sqrt(length(x)))
  old <- graphics::par(mfrow = c(nr, nr))
  on.exit(graphics::par(old))
  for (pm in names(x)) {
    tau <- x[[pm]][[1L]]  # (z or tau)
    b <- x[[pm]]$par.vals[, pm]
    graphics::plot(b, tau, xlab = pm, ylab = names(x[[pm]])[1L], type = "p", pch = 20, ...)
    graphics::abline(h = 0, v = attr(x, "original.fit")$coefficients[[pm]], col = "grey", lty = 3)
    if (length(b) > 1L) graphics::lines(stats::spline(b, tau))
  }
  invisible(x)
}

#' @rdname profile.gradglm
#' @export
confint.profile.gradglm <- function(object, parm, level = 0.95, ...) {
  fun <- "confint.profile.gradglm"
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    abort(fun, "'level' must be a single number between 0 and 1")
  }
  pnames <- names(attr(object, "original.fit")$coefficients)
  parm <- if (missing(parm)) names(object) else .coef_selection(parm, pnames, "parm", "coefficient", fun)
  frame <- .confint_matrix(parm, level)
  for (pm in parm) {
    pro <- object[[pm]]
    if (is.null(pro) || nrow(pro) < 2L) next
    sp <- stats::spline(pro$par.vals[, pm], pro[[1L]])
    # (the limits where the interpolated tau crosses the normal quantiles)
    frame$ci[pm, ] <- stats::approx(sp$y, sp$x, xout = stats::qnorm(frame$probs))$y
  }
  drop(frame$ci)
}
