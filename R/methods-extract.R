# Extractor methods for fitted "gradglm" objects: coef, vcov, confint,
# logLik, nobs, deviance, df.residual, fitted, residuals, weights,
# model.frame, model.matrix, formula, family and terms. AIC() and BIC() work
# through logLik(); update() works through stats' default method because the
# call is stored.

#' Extract information from a fitted gradglm model
#'
#' Standard accessor methods for models fitted by [gradglm()] (and, where the
#' information exists, by [gradglm_fit()]). They return the same values as
#' the corresponding methods for [stats::glm()] fits:
#'
#' * `coef()`: the estimated coefficients, `NA` for aliased ones; with
#'   `matrix = TRUE`, a multinomial's as the `(L - 1) x p` matrix of
#'   [nnet::multinom()] (one row per non-baseline class) and a multi-response
#'   model's as the `p x R` matrix of [stats::lm()] (one column per response).
#' * `vcov()`: the estimated covariance matrix of the coefficients,
#'   `dispersion * (X'WX)^{-1}`; with `complete = TRUE` aliased
#'   coefficients get rows and columns of `NA`.
#' * `confint()`: confidence intervals. For a GLM fitted from data in memory
#'   (not penalised) they are profile-likelihood intervals, as `confint()`
#'   gives them for glm fits (MASS's `confint.glm()`; in stats from R 4.4):
#'   the coefficient's values where the signed root of the deviance's rise,
#'   `sign(b - estimate) * sqrt((D(b) - D) / dispersion)`, with the other
#'   coefficients refitted, equals the normal quantiles. The limits are found
#'   by root finding on refits (not interpolated on a grid), and are `NA`
#'   where the deviance stays below the cutoff within 64 standard errors (a
#'   flat likelihood, as under separation). A negative binomial is profiled at
#'   its estimated theta, as MASS profiles glm.nb fits. The intervals of one
#'   coefficient come as a vector (the two limits), as glm's profile
#'   intervals come. A fit of another likelihood with one location model
#'   (`ordinal()`, as MASS's `confint()` of a polr fit; the location-scale
#'   families) has profile intervals for its location coefficients: where
#'   `sign(b - estimate) * sqrt(2 * (logLik - logLik(b)))`, every other
#'   parameter refitted, equals the normal quantiles; its other parameters
#'   (cut-points, the scale model, an estimated `df`) have Wald intervals,
#'   and so has every parameter of such a fit that did not converge (with a
#'   warning: an unbounded likelihood has no maximum to profile from). A
#'   refit there that reaches a higher likelihood than the fit's (these
#'   likelihoods can have several maxima) is an error that says so.
#'   Otherwise (multinomial and network fits, fits from a chunked source --
#'   a GLM's with a message, where glm's would be profile intervals --
#'   penalised fits, [gradglm_fit()] fits that keep no design matrix) and with
#'   `method = "wald"`: Wald intervals, `estimate +/- z * se` with normal
#'   quantiles (as [stats::confint.default()]); for several Gaussian
#'   responses, t quantiles on the residual degrees of freedom (as lm's
#'   intervals, and the t tests of the fit's `summary()`).
#' * `logLik()`: the maximised log-likelihood, with attributes `df` (number
#'   of estimated parameters, counting the Gaussian scale) and `nobs` (as
#'   `nobs()`: glm's counts the rows of zero prior weight too, and so its
#'   [stats::BIC()] does); [stats::AIC()] and [stats::BIC()] use it.
#' * `nobs()`: observations with non-zero prior weight.
#' * `deviance()`, `df.residual()`: the residual deviance and its degrees
#'   of freedom.
#' * `fitted()`: the fitted means, padded with `NA` for rows dropped by
#'   `na.action = na.exclude`.
#' * `residuals()`: deviance, Pearson, working or response residuals (as
#'   [stats::residuals.glm()]), padded likewise.
#' * `weights()`: prior or working weights.
#' * `model.frame()`, `model.matrix()`: the data and the design matrix,
#'   rebuilt from the stored call, terms and contrasts when they were not
#'   kept in the fit.
#' * `sigma()`: the residual standard deviation as [stats::sigma()] gives it
#'   for glm fits (`sqrt(deviance / df.residual)`), one per response for
#'   several Gaussian responses, and the scale of a distributional model (one
#'   value when it is constant, else the fitted scale of each observation).
#' * `formula()`, `family()`, `terms()`: the model's formula, family
#'   object and terms; `variable.names()` and `case.names()`: the names of
#'   the coefficients (without aliased ones) and of the rows (without those
#'   of zero weight), as for glm fits.
#'
#' [stats::update()] refits the model with a changed formula or arguments,
#' e.g. `update(fit, . ~ . - x)`, through the stored call.
#'
#' @param object,x,formula A fitted model of class `"gradglm"`.
#' @param matrix For `coef()`: `TRUE` for the coefficients of a model whose
#'   coefficients form a matrix (multinomial, several responses) as that matrix.
#' @param complete For `coef()`: if `FALSE`, aliased (`NA`) coefficients are
#'   dropped. For `vcov()`: if `TRUE` (the default), aliased coefficients
#'   get rows and columns of `NA`, as for [stats::vcov()] on glm fits.
#' @param lambda For `coef()` of a regularization path: the lambdas at which
#'   to give the coefficients (linear interpolation between the fitted ones);
#'   `NULL` gives the whole matrix, one column per lambda of the path.
#' @param parm The coefficients for which intervals are wanted: a vector of
#'   names or positions. All coefficients if missing.
#' @param level The confidence level.
#' @param method For `confint()`: `"profile"` or `"wald"`; by default
#'   `"profile"` where the fit has profile intervals (see above), `"wald"` otherwise.
#' @param type For `residuals()` of a GLM: one of `"deviance"` (default),
#'   `"pearson"`, `"working"`, `"response"` or, for a GLM fitted with a
#'   formula, `"partial"` (the working residuals plus
#'   `predict(type = "terms")`, a column per term, as glm's). A
#'   distributional fit (a sigma model, [student_t()], [laplace()]) takes
#'   `"response"` (default, `y - mu`), `"pearson"` (`(y - mu) / sigma`, over
#'   the fitted scale, which is the standard deviation for the Gaussian only:
#'   the Laplace's is `sqrt(2) * sigma`, the Student-t's
#'   `sigma * sqrt(df / (df - 2))`; prior weights do not enter) and
#'   `"quantile"` (`qnorm()` of the fitted distribution function at `y`:
#'   standard normal when the model holds, for a continuous response); a
#'   multinomial or ordinal fit `"response"`, `"pearson"` and `"deviance"`;
#'   several responses `"response"` and `"pearson"`. For `weights()`: `"prior"`
#'   (default) or `"working"`.
#' @param ... For `model.frame()`: `data`, `subset` or `na.action` to
#'   rebuild the frame with. Otherwise not used.
#' @return See the list above.
#' @seealso [summary.gradglm()], [anova.gradglm()], [gradglm()].
#' @examples
#' fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp,
#'                data = esoph, family = binomial())
#' coef(fit)
#' vcov(fit)[1:3, 1:3]
#' confint(fit, parm = c("alcgp.L", "alcgp.Q"), level = 0.9)
#' logLik(fit)
#' c(AIC = AIC(fit), BIC = BIC(fit), n = nobs(fit))
#' deviance(fit); df.residual(fit)
#' head(fitted(fit))
#' head(residuals(fit, type = "pearson"))
#' head(model.matrix(fit), 3)
#' formula(fit); family(fit)
#'
#' # Missing values kept in place with na.exclude
#' aq <- gradglm(Ozone ~ Temp + Wind, data = airquality,
#'               family = poisson(), na.action = na.exclude)
#' length(residuals(aq)) == nrow(airquality)
#'
#' # Refit without a term
#' fit2 <- update(fit, . ~ . - alcgp)
#' deviance(fit2)
#' @name gradglm-extract
#' @importFrom stats coef vcov confint logLik nobs deviance df.residual fitted
#' @importFrom stats residuals weights model.frame model.matrix formula family
#' @importFrom stats terms sigma
NULL

#' @rdname gradglm-extract
#' @export
coef.gradglm <- function(object, complete = TRUE, matrix = FALSE, lambda = NULL, ...) {
  check_gradglm(object, "coef.gradglm")
  if (is_path_fit(object)) {
    # (glmnet's name for the lambdas: left in `...`, it would give every lambda's coefficients)
    if ("s" %in% names(list(...))) abort("coef.gradglm", "the lambdas of a regularization path are given as 'lambda', not 's'")
    if (is.null(lambda)) return(object$path$beta)
    .path_check_lambda(lambda, "coef.gradglm")
    out <- .path_coef_at(object$path, lambda)
    return(if (length(lambda) == 1L) out[, 1L] else out)
  }
  if (!is.null(lambda)) abort("coef.gradglm", "'lambda' is for a regularization path (a fit with a penalty and no single lambda)")
  cf <- object$coefficients
  if (isTRUE(matrix)) {
    b <- Find(function(b) isTRUE(b$split), object$blocks)
    if (is.null(b)) {
      abort("coef.gradglm", "'matrix = TRUE' is for models whose coefficients form a matrix ",
            "(a multinomial's classes, several responses)")
    }
    m <- .lik_coef_matrix(object, b)
    return(if (identical(b$matrix_layout, "columns_by_outputs")) t(m) else m)
  }
  if (complete) cf else cf[!is.na(cf)]
}

#' @rdname gradglm-extract
#' @export
vcov.gradglm <- function(object, complete = TRUE, ...) {
  check_gradglm(object, "vcov.gradglm")
  stop_if_path(object, "vcov.gradglm")
  stop_if_network(object, "vcov.gradglm", "a covariance matrix")
  if (!is_glm_fit(object)) {
    # the joint inverse information: no dispersion
    v <- .methods_cov_unscaled(object)
    return(if (complete) .pad_aliased(v, .methods_aliased(object)) else v)
  }
  s <- summary.gradglm(object, ...)
  v <- s$cov.scaled
  if (!complete) {
    return(v)
  }
  .pad_aliased(v, s$aliased)
}

# a covariance matrix of the estimated coefficients with rows and columns of
# NA added for the aliased ones, as vcov(complete = TRUE) reports them
.pad_aliased <- function(v, aliased) {
  if (!any(aliased)) {
    return(v)
  }
  nm <- names(aliased)
  full <- matrix(NA_real_, length(aliased), length(aliased),
                 dimnames = list(nm, nm))
  full[!aliased, !aliased] <- v
  full
}

#' @rdname gradglm-extract
#' @export
confint.gradglm <- function(object, parm, level = 0.95, method = NULL, ...) {
  check_gradglm(object, "confint.gradglm")
  stop_if_path(object, "confint.gradglm")
  stop_if_network(object, "confint.gradglm", "a confidence interval")
  fun <- "confint.gradglm"
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    abort(fun, "'level' must be a single number between 0 and 1")
  }
  cf <- coef.gradglm(object)
  pnames <- names(cf)
  parm <- if (missing(parm)) pnames else .coef_selection(parm, pnames, "parm", "parameter", fun)
  se <- sqrt(diag(vcov.gradglm(object, complete = TRUE)))
  names(se) <- pnames
  # (a GLM's every coefficient; another likelihood's location coefficients,
  # its other parameters by Wald)
  profiled <- .profilable(object, pnames)
  can_profile <- length(profiled) > 0L
  method_given <- !is.null(method)
  if (is.null(method)) {
    # (by default also Wald where the design cannot be rebuilt: a gradglm_fit() fit that keeps no matrix)
    method <- if (can_profile && (is.matrix(object$x) || !is.null(object$terms))) "profile" else "wald"
  } else if (!is.character(method) || length(method) != 1L || !method %in% c("profile", "wald")) {
    abort(fun, "'method' must be \"profile\" or \"wald\"")
  } else if (method == "profile" && !can_profile) {
    abort(fun, "profile-likelihood intervals are for GLM fits and the location coefficients of other ",
          "likelihoods, from data in memory without a penalty; this fit takes method = \"wald\"")
  }
  if (method == "profile" && !is_glm_fit(object) && !isTRUE(object$converged)) {
    # (a likelihood without a maximum, such as an unbounded one, has no profile to follow)
    why <- paste0("the fit did not converge", if (length(object$message) && nzchar(object$message[1L]))
      paste0(" (", object$message[1L], ")"), ": profile intervals need the likelihood's maximum")
    if (!method_given) {
      warn(fun, why, "; these are Wald intervals")
      method <- "wald"
    } else {
      abort(fun, why, "; take Wald intervals (method = \"wald\")")
    }
  }
  if (!method_given && method == "wald" && is_source_fit(object) && is_glm_fit(object) && is.null(object$penalty)) {
    # (where glm's confint() would profile, say that these are not profile intervals)
    message("Wald intervals: a fit from a chunked source is not profiled (say method = \"wald\" to ",
            "choose them without this message)")
  }
  # (several Gaussian responses: t quantiles, as lm's intervals and the fit's summary())
  if (method == "wald") return(.wald_confint(cf, se, parm, level, object$t_df))
  ci <- .wald_confint(cf, se, parm, level, object$t_df)
  on_profile <- intersect(parm, profiled)
  if (length(on_profile)) ci[on_profile, ] <- .profile_confint(object, cf, se, on_profile, level, fun)
  # (one coefficient's limits as a vector, as glm's profile intervals)
  drop(ci)
}

# The coefficients among `pnames` that confint() profiles: every one of a GLM,
# the location coefficients of another likelihood with one location model
# (ordinal, the location-scale families), for fits from data in memory
# without a penalty; none otherwise.
.profilable <- function(object, pnames) {
  if (is_source_fit(object) || !is.null(object$penalty) || is_network_fit(object)) return(character(0))
  if (is_glm_fit(object)) return(pnames)
  loc <- object$blocks$location
  if (!identical(object$kind, "likelihood") || is.null(loc) || isTRUE(loc$split) || !identical(loc$m, 1L)) {
    return(character(0))
  }
  pnames[loc$coef]
}

# The names among `pnames` that `sel` (the argument `arg`) picks: names, or
# positions; anything else is an error naming the argument
.coef_selection <- function(sel, pnames, arg, what, fun) {
  if (is.numeric(sel)) {
    if (anyNA(sel) || any(sel < 1) || any(sel > length(pnames)) || any(sel != round(sel))) {
      abort(fun, "'", arg, "' positions must be whole numbers between 1 and ", length(pnames))
    }
    return(pnames[sel])
  }
  if (!is.character(sel)) abort(fun, "'", arg, "' must be ", what, " names or positions")
  unknown <- setdiff(sel, pnames)
  if (length(unknown)) {
    abort(fun, "'", arg, "' names unknown ", what, "(s) ", quote_some(unknown), "; available: ",
          quote_some(pnames, max = 10L))
  }
  sel
}

# Profile-likelihood intervals of a GLM's coefficients (see confint.gradglm()):
# for each limit, the root of z(b) - q, where z(b) is the signed root of the
# deviance's rise over the dispersion with coefficient j held at b (through
# the offset) and the others refitted, q the normal quantile. The root is
# bracketed from the Wald limit outwards (doubling the distance, up to 64
# standard errors) and found by uniroot() on the refits, each started at the
# last one's coefficients.
.profile_confint <- function(object, cf, se, parm, level, fun) {
  frame <- .confint_matrix(parm, level)
  probs <- frame$probs
  ci <- frame$ci
  labels <- colnames(ci)
  at <- .profiler(object, cf, fun)
  for (pm in parm) {
    j <- match(pm, names(cf))
    if (is.na(cf[[j]]) || !is.finite(se[[j]]) || !(se[[j]] > 0)) next
    for (side in 1:2) {
      q <- stats::qnorm(probs[side])
      # (the refits' last coefficients and their point: each starts where the one before ended)
      start <- NULL
      last_b <- cf[[j]]
      # (at most 60 refits for a limit: where they keep failing, as on a
      # likelihood without a maximum, the limit is NA after that)
      left <- 60L
      at_b <- function(j, b, start) {
        if (left <= 0L) return(NULL)
        left <<- left - 1L
        at(j, b, start)
      }
      z_at <- function(b) {
        pt <- at_b(j, b, start)
        if (is.null(pt)) pt <- .profile_walk(at_b, j, last_b, b, start)
        if (is.null(pt)) return(NA_real_)
        start <<- pt$others
        last_b <<- b
        pt$z
      }
      inner <- cf[[j]]
      f_inner <- -q
      found <- FALSE
      for (k in 0:6) {
        outer <- cf[[j]] + 2^k * q * se[[j]]
        f_outer <- z_at(outer) - q
        if (is.na(f_outer)) break
        if (sign(f_outer) != sign(f_inner)) {
          found <- TRUE
          break
        }
        inner <- outer
        f_inner <- f_outer
      }
      if (!found && is.na(f_outer)) {
        # no refit at `outer` (beyond the family's valid region, as an inverse
        # Gaussian's intercept below 0): the limit may lie before that edge;
        # bisect between the last point refitted and `outer` for a crossing
        bad <- outer
        for (k in 1:30) {
          mid <- (inner + bad) / 2
          f_mid <- z_at(mid) - q
          if (is.na(f_mid)) {
            bad <- mid
          } else if (sign(f_mid) != sign(f_inner)) {
            outer <- mid
            f_outer <- f_mid
            found <- TRUE
            break
          } else {
            inner <- mid
            f_inner <- f_mid
          }
        }
      }
      r <- if (found) {
        # (a refit inside the bracket that fails ends the search: that limit is NA)
        no_refit <- structure(class = c("gradglm_no_refit", "error", "condition"),
                              list(message = "no refit", call = NULL))
        tryCatch(stats::uniroot(function(b) {
          z <- z_at(b)
          if (is.na(z)) stop(no_refit)
          z - q
        }, sort(c(inner, outer)),
                                f.lower = if (inner < outer) f_inner else f_outer,
                                f.upper = if (inner < outer) f_outer else f_inner, tol = 1e-9 * se[[j]])$root,
                 error = function(e) if (startsWith(conditionMessage(e), fun)) stop(e) else NA_real_)
      }
      if (is.null(r) || is.na(r)) {
        warn(fun, "the profile of '", pm, "' ", if (found || is.na(f_outer)) "could not be followed (a refit did not converge)" else
               "stays below the cutoff within 64 standard errors", " towards its ", labels[side], " limit (a flat ",
             "likelihood, e.g. separation): that limit is NA")
        next
      }
      ci[pm, side] <- r
    }
  }
  ci
}

# A refit at b that does not converge from the last point's coefficients
# (`start`, refitted at `from`) is approached from there in steps: the point
# halfway, then b from it, each halved again when it fails (at most 32 steps
# in all). A far point can leave the last coefficients outside the family's
# valid region (an inverse Gaussian's positive linear predictor) where a
# nearer one does not. NULL when no walk reaches b.
.profile_walk <- function(at, j, from, b, start, budget = new.env()) {
  if (is.null(budget$left)) budget$left <- 32L
  if (budget$left <= 0L) return(NULL)
  budget$left <- budget$left - 1L
  mid <- (from + b) / 2
  if (mid == from || mid == b) return(NULL)
  half <- at(j, mid, start)
  if (is.null(half)) half <- .profile_walk(at, j, from, mid, start, budget)
  if (is.null(half)) return(NULL)
  pt <- at(j, b, half$others)
  if (is.null(pt)) pt <- .profile_walk(at, j, mid, b, half$others, budget)
  pt
}

# the design matrix the profile's refits take, or an error that names `fun`
.profile_design <- function(object, fun) {
  tryCatch(stats::model.matrix(object), error = function(e) {
    abort(fun, "the profile refits the model on its design matrix, which cannot be ",
          "rebuilt (", bare_message(e, "model.matrix.gradglm"), "); use Wald intervals (confint(method = \"wald\"))")
  })
}

# The profile of a GLM fit in memory: a function at(j, b, start) that holds
# coefficient j at b (through the offset), refits the others (from `start`,
# their values at the last point, else from the estimates; from glm's start
# when that refit does not converge) and returns list(z, others): z the
# signed root of the deviance's rise over the dispersion, others the refitted
# coefficients of the kept columns but j; NULL when no refit converges.
.profiler <- function(object, cf, fun) {
  if (!is_glm_fit(object)) return(.lik_profiler(object, cf, fun))
  X <- .profile_design(object, fun)
  y <- .select_response(object)
  w <- object$prior.weights
  off <- if (is.null(object$offset)) numeric(NROW(X)) else object$offset
  # (the refits hold an estimated theta at its estimate)
  held <- object
  if (isTRUE(held$family$theta_estimated)) held$family$theta_estimated <- FALSE
  disp <- .methods_dispersion(object)
  dev0 <- object$deviance
  kept <- which(!is.na(cf))
  ctl <- .methods_refit_control(object)
  ctl$tol <- min(ctl$tol, 1e-10)
  function(j, b, start = NULL) {
    others <- setdiff(kept, j)
    others_names <- colnames(X)[others]
    if (is.null(start)) start <- cf[others]
    o <- off + X[, j] * b
    refit <- function(from) tryCatch(suppressWarnings(.select_glm_refit(
      held, X[, others, drop = FALSE], y, w, o, start = from, control = ctl)), error = function(e) NULL)
    sub <- refit(start)
    if (is.null(sub) || !isTRUE(sub$converged)) sub <- refit(NULL)
    if (is.null(sub) || !isTRUE(sub$converged)) return(NULL)
    rise <- (sub$deviance - dev0) / disp
    if (rise < -1e-3) {
      abort(fun, "profiling '", names(cf)[j], "' found a fit better than the fitted one (deviance ",
            format(sub$deviance, digits = 10), " < ", format(dev0, digits = 10), "): the fit had not converged")
    }
    list(z = sign(b - cf[[j]]) * sqrt(max(rise, 0)),
         others = if (length(others)) sub$coefficients[others_names] else numeric(0))
  }
}

# The profile of another likelihood's location coefficient, as .profiler()'s:
# at(j, b, start) refits the model with coefficient j held at b (through the
# offset) and every other parameter free (the other location coefficients,
# the cut-points or the scale model, an estimated df), and returns z, the
# signed root of twice the log-likelihood's fall, and the refit's parameters
# (the next refit's start); NULL when no refit converges.
.lik_profiler <- function(object, cf, fun) {
  X <- .profile_design(object, fun)
  y <- object$y
  if (is.null(y)) y <- stats::model.response(model.frame.gradglm(object), "any")
  w <- object$prior.weights
  off <- if (is.null(object$offset)) numeric(NROW(X)) else object$offset
  loc <- object$blocks$location
  sig <- object$blocks$sigma
  Z <- if (!is.null(sig) && !.lik_constant_block(object, sig)) .ls_sigma_fitted_design(object)
  ll0 <- object$loglik
  ctl <- .methods_refit_control(object)
  ctl$tol <- min(ctl$tol, 1e-10)
  opt <- .methods_refit_optimizer(object)
  # the design's columns of the location coefficients (an ordinal design's
  # intercept column stays: the cut-points absorb it); aliased ones are left out
  col_of <- stats::setNames(loc$columns, loc$coef)
  dropped <- col_of[as.character(loc$coef[is.na(cf[loc$coef])])]
  rest <- setdiff(which(!is.na(cf)), loc$coef)
  function(j, b, start = NULL) {
    keep <- setdiff(colnames(X), c(dropped, col_of[[as.character(j)]]))
    if (is.null(start)) start <- cf[c(setdiff(loc$coef[!is.na(cf[loc$coef])], j), rest)]
    o <- off + X[, col_of[[as.character(j)]]] * b
    # (through the one fitting path; a location model left without columns,
    # as an intercept held fixed, fits the other parameters alone)
    refit <- function(from) tryCatch(suppressWarnings(fit_core(
      X[, keep, drop = FALSE], y, w, o, object$family, opt, ctl, from, x_sigma = Z,
      intercept = "(Intercept)" %in% keep, fun = fun, x_values = NULL)), error = function(e) NULL)
    sub <- refit(unname(start))
    if (is.null(sub) || !isTRUE(sub$converged)) sub <- refit(NULL)
    if (is.null(sub) || !isTRUE(sub$converged)) return(NULL)
    rise <- 2 * (ll0 - sub$loglik)
    if (rise < -1e-3) {
      # (these likelihoods can have several maxima, unlike a GLM's)
      abort(fun, "profiling '", names(cf)[j], "' found a fit better than the fitted one (log-likelihood ",
            format(sub$loglik, digits = 10), " > ", format(ll0, digits = 10), ", with '", names(cf)[j], "' held at ",
            format(b, digits = 6), "): the fit is at a local maximum of the likelihood, not its highest; refit ",
            "from other starting values ('start'), or take Wald intervals (method = \"wald\")")
    }
    list(z = sign(b - cf[[j]]) * sqrt(max(rise, 0)), others = sub$coefficients)
  }
}

# Wald intervals, estimate +- z * se, for the parameters named in `parm`,
# labelled with their percentages as confint.default() labels them
.wald_confint <- function(cf, se, parm, level, t_df = NULL) {
  ci <- .confint_matrix(parm, level)
  q <- if (is.null(t_df)) stats::qnorm(ci$probs) else stats::qt(ci$probs, t_df)
  ci$ci[] <- cf[parm] + se[parm] %o% q
  ci$ci
}

# The two tails' probabilities at `level`, and an interval matrix of NA for
# `parm` with them as its columns' percentages (as confint.default() labels them)
.confint_matrix <- function(parm, level) {
  tail <- (1 - level) / 2
  probs <- c(tail, 1 - tail)
  labels <- paste(format(100 * probs, trim = TRUE, scientific = FALSE, digits = 3L), "%")
  list(probs = probs, ci = matrix(NA_real_, length(parm), 2L, dimnames = list(parm, labels)))
}

#' @rdname gradglm-extract
#' @export
logLik.gradglm <- function(object, ...) {
  check_gradglm(object, "logLik.gradglm")
  stop_if_path(object, "logLik.gradglm")
  if (...length()) {
    warn("logLik.gradglm", "extra arguments are ignored; use AIC() or anova() to compare several models")
  }
  df <- object$npar
  if (is.null(df)) df <- sum(!.methods_aliased(object)) + as.integer(!.methods_fixed_dispersion(object$family))
  structure(as.numeric(object$loglik), nobs = nobs.gradglm(object), df = df, class = "logLik")
}

#' @rdname gradglm-extract
#' @export
nobs.gradglm <- function(object, ...) {
  check_gradglm(object, "nobs.gradglm")
  if (!is.null(object$nobs)) {
    return(object$nobs)
  }
  w <- object$prior.weights
  if (!is.null(w)) sum(w != 0) else length(object$residuals)
}

#' @rdname gradglm-extract
#' @export
deviance.gradglm <- function(object, ...) {
  check_gradglm(object, "deviance.gradglm")
  if (is_path_fit(object)) return(object$path$deviance)
  object$deviance
}

#' @rdname gradglm-extract
#' @export
df.residual.gradglm <- function(object, ...) {
  check_gradglm(object, "df.residual.gradglm")
  stop_if_path(object, "df.residual.gradglm")
  object$df.residual
}

#' @rdname gradglm-extract
#' @export
fitted.gradglm <- function(object, ...) {
  check_gradglm(object, "fitted.gradglm")
  stop_if_path(object, "fitted.gradglm")
  stop_if_source(object, "fitted.gradglm", "fitted values")
  stats::napredict(object$na.action, object$fitted.values)
}

#' @rdname gradglm-extract
#' @export
residuals.gradglm <- function(object, type = c("deviance", "pearson", "working", "response", "partial",
                                               "quantile"), ...) {
  check_gradglm(object, "residuals.gradglm")
  stop_if_path(object, "residuals.gradglm")
  stop_if_source(object, "residuals.gradglm", "residuals")
  if (!is_glm_fit(object)) {
    types <- type_methods(object)$residual_types
    type <- if (missing(type)) types[1L] else .pick_type(type, types, "residuals.gradglm")
    return(type_methods(object)$residuals(object, type))
  }
  type <- if (missing(type)) "deviance" else
    .pick_type(type, c("deviance", "pearson", "working", "response", "partial"), "residuals.gradglm")
  if (type == "partial") {
    # the working residuals plus each term's contribution (as glm's, for termplot())
    return(residuals.gradglm(object, "working") + predict.gradglm(object, type = "terms"))
  }
  mu <- object$fitted.values
  r <- object$residuals
  wts <- object$prior.weights
  if (is.null(wts)) wts <- rep.int(1, length(mu))
  fam <- object$family
  y <- object$y
  if (is.null(y) && type != "working") {
    # y = FALSE at fit time: recover y from the working residuals, kept
    # inside the family's support
    y <- mu + r * fam$mu.eta(object$linear.predictors)
    clamp <- family_row(fam)$clamp_y
    if (!is.null(clamp)) y <- clamp(y)
  }
  res <- switch(type,
    working = r,
    response = y - mu,
    pearson = (y - mu) * sqrt(wts) / sqrt(fam$variance(mu)),
    deviance = {
      if (object$df.residual > 0) {
        d <- sqrt(pmax(fam$dev.resids(y, mu, wts), 0))
        ifelse(y > mu, d, -d)
      } else {
        rep.int(0, length(mu))
      }
    }
  )
  res <- as.vector(res)
  names(res) <- names(mu)
  stats::naresid(object$na.action, res)
}

#' @rdname gradglm-extract
#' @export
weights.gradglm <- function(object, type = c("prior", "working"), ...) {
  check_gradglm(object, "weights.gradglm")
  type <- match.arg(type)
  stop_if_source(object, "weights.gradglm", "weights")
  w <- if (type == "prior") object$prior.weights else object$weights
  if (is.null(w)) return(NULL)
  if (is.null(names(w))) names(w) <- names(object$fitted.values)
  stats::naresid(object$na.action, w)
}

#' @rdname gradglm-extract
#' @export
model.frame.gradglm <- function(formula, ...) {
  check_gradglm(formula, "model.frame.gradglm", "formula")
  .model_frame_gradglm(formula, ...)
}

# the model frame of a fit, or of a fit's call with other terms (add1's)
.model_frame_gradglm <- function(object, ...) {
  dots <- list(...)
  rebuild_args <- dots[names(dots) %in% c("data", "subset", "na.action")]
  if (!length(rebuild_args)) stop_if_source(object, "model.frame.gradglm", "model frame")
  if (!is.null(object$model) && length(rebuild_args) == 0L) {
    return(object$model)
  }
  cl <- object$call
  if (is.null(cl) || is.null(object$terms)) {
    stop("model.frame.gradglm: the model has no stored call and terms ",
         "(was it fitted with gradglm_fit()?)", call. = FALSE)
  }
  # Keep only the arguments that define the model frame.
  keep <- c("data", "subset", "weights", "na.action", "offset")
  mf_call <- cl[c(1L, match(keep, names(cl), 0L))]
  mf_call[[1L]] <- quote(stats::model.frame)
  mf_call$formula <- object$terms
  # a sigma model's variables are in the frame too, as gradglm() built it
  if (!is.null(object$sigma_formula)) {
    mf_call$formula <- joint_formula(object$terms, object$sigma_formula)
  }
  mf_call$drop.unused.levels <- TRUE
  for (nm in names(rebuild_args)) mf_call[[nm]] <- rebuild_args[[nm]]
  env <- environment(object$terms)
  if (is.null(env)) env <- parent.frame()
  eval(mf_call, env)
}

#' @rdname gradglm-extract
#' @export
model.matrix.gradglm <- function(object, ...) {
  check_gradglm(object, "model.matrix.gradglm")
  stop_if_source(object, "model.matrix.gradglm", "model matrix")
  if (is.matrix(object$x)) {
    return(object$x)
  }
  if (is.null(object$terms)) {
    stop("model.matrix.gradglm: the model has neither a stored design ",
         "matrix nor terms; fit it with gradglm_fit() on a matrix you keep, ",
         "or with gradglm(..., x = TRUE)", call. = FALSE)
  }
  mf <- model.frame.gradglm(object)
  stats::model.matrix(stats::terms(object), data = mf,
                      contrasts.arg = object$contrasts)
}

#' @rdname gradglm-extract
#' @param full For `variable.names()`: all coefficients, aliased ones too;
#'   for `case.names()`: every row, those of zero weight too.
#' @importFrom stats variable.names case.names
#' @export
variable.names.gradglm <- function(object, full = FALSE, ...) {
  check_gradglm(object, "variable.names.gradglm")
  cf <- coef.gradglm(object)
  if (isTRUE(full)) names(cf) else names(cf)[!.methods_aliased(object)]
}

#' @rdname gradglm-extract
#' @export
case.names.gradglm <- function(object, full = FALSE, ...) {
  check_gradglm(object, "case.names.gradglm")
  stop_if_source(object, "case.names.gradglm", "row names")
  nm <- rownames(as.matrix(object$fitted.values))
  if (is.null(nm)) nm <- as.character(seq_len(NROW(object$fitted.values)))
  w <- object$prior.weights
  if (isTRUE(full) || is.null(w)) nm else nm[w != 0]
}

#' @rdname gradglm-extract
#' @export
formula.gradglm <- function(x, ...) {
  check_gradglm(x, "formula.gradglm", "x")
  if (!is.null(x$terms)) {
    f <- stats::formula(x$terms)
    env <- if (!is.null(x$formula)) environment(x$formula) else NULL
    if (is.null(env)) env <- environment(x$terms)
    environment(f) <- env
    return(f)
  }
  if (!is.null(x$formula)) {
    return(x$formula)
  }
  stop("formula.gradglm: the model has no formula ",
       "(was it fitted with gradglm_fit()?)", call. = FALSE)
}

#' @rdname gradglm-extract
#' @export
sigma.gradglm <- function(object, ...) {
  check_gradglm(object, "sigma.gradglm")
  stop_if_path(object, "sigma.gradglm")
  switch(object$lik_type,
    glm = sqrt(object$deviance / object$df.residual),
    multi_gaussian = sqrt(object$dispersion),
    location_scale = if (.lik_constant_block(object, object$blocks$sigma)) {
      exp(object$coefficients[[object$blocks$sigma$coef]])
    } else {
      stats::napredict(object$na.action, object$sigma)
    },
    abort("sigma.gradglm", "a ", object$family$family, " model has no scale parameter"))
}

#' @rdname gradglm-extract
#' @export
family.gradglm <- function(object, ...) {
  check_gradglm(object, "family.gradglm")
  object$family
}

#' @rdname gradglm-extract
#' @export
terms.gradglm <- function(x, ...) {
  check_gradglm(x, "terms.gradglm", "x")
  tt <- x$terms
  if (is.null(tt)) {
    stop("terms.gradglm: the model has no terms ",
         "(was it fitted with gradglm_fit()?)", call. = FALSE)
  }
  tt
}
