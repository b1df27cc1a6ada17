# Model selection without penalties: drop1(), add1() and extractAIC() for
# fitted "gradglm" objects, and through them stats::step().
#
# GLM fits (kind "glm") give the tables of stats' methods for glm fits: the
# sub-models are refitted with gradglm_fit() on columns of the design matrix
# (its "assign" attribute maps columns to terms) by an exact optimizer, and
# the AIC, likelihood-ratio and F columns are computed from their deviances
# with the dispersion as glm does. Fits with several parameter blocks (kind
# "likelihood") change the terms of their first (location) block: each
# sub-model is refitted from the stored call, and the table holds -2 logLik,
# AIC = -2 logLik + k * npar and likelihood-ratio tests.

#' Add or drop single terms, and stepwise selection by AIC
#'
#' `drop1()` refits the model without each term of `scope` in turn, and
#' `add1()` with each term of `scope` added in turn; both tabulate the change
#' in the number of parameters, the fit and the AIC of every such model.
#' `extractAIC()` gives the equivalent degrees of freedom and the AIC of a
#' fit. With these methods [stats::step()] selects gradglm models by AIC
#' (`k = 2`), BIC (`k = log(n)`) or any other penalty `k` per parameter,
#' backwards, forwards or both (`scope = list(lower = , upper = )`).
#'
#' For a generalized linear model (a `gaussian()`, `binomial()` or
#' `poisson()` fit without a `sigma` model) the tables are those of
#' [stats::drop1()] and [stats::add1()] for a [stats::glm()] fit: `Df`,
#' `Deviance` (the residual deviance of each model), `AIC` and, with
#' `test = "Chisq"` (or `"LRT"`), the likelihood-ratio statistic (`"LRT"`, or
#' `"scaled dev."` when the dispersion is not 1) with its p-value, or with
#' `test = "F"` the F statistic and its p-value (meant for the families whose
#' dispersion is estimated; for binomial and Poisson a warning is given).
#' The sub-models are fitted by [gradglm_fit()] on columns of the design
#' matrix, by the fit's own optimizer when it is an exact one (`"exact"`,
#' `"newton"`, `"lbfgs"`) and by `"auto"` otherwise. `add1()` builds the
#' design of the model with all the terms of `scope`, on the rows that have
#' none of their variables missing (with a warning if that loses rows, as
#' `add1()` for glm fits does).
#'
#' For a model with several parameter blocks (a distributional fit, with a
#' `sigma` model or by [laplace()] or [student_t()]; a [multinomial()] or
#' [ordinal()] fit; several responses) the terms are those of the location
#' (first) model; a `sigma` model is kept as it is. Each sub-model is
#' refitted from the stored call (as [stats::update()] does, evaluated in
#' the environment of the model's formula), and the table holds `Df` (the
#' change in the number of parameters), `-2 logLik`, `AIC`
#' (`-2 logLik + k * npar`, so that `k = 2` gives [stats::AIC()]) and, with
#' `test = "Chisq"`, the likelihood-ratio statistic `LRT` (twice the
#' difference of the log-likelihoods) and its chi-squared p-value. A model
#' left with no location coefficient at all (dropping the only term of a
#' model without intercept) cannot be fitted: its row is `NA`, with a
#' warning. The F test and `scale` do not apply to such fits.
#'
#' `extractAIC()` returns `c(edf, AIC)`: for a GLM, the number of estimated
#' coefficients and `fit$aic + (k - 2) * edf` (the AIC of [stats::glm()],
#' which counts the scale of gaussian, Gamma and inverse.gaussian fits and is
#' `NA` for a quasi-family); for other fits, the number of
#' parameters and `-2 logLik + k * npar`. With rows of zero prior weight
#' this differs from glm's, whose `edf` counts those rows too (the rows of
#' the fit less its residual degrees of freedom): its `k != 2` criteria are
#' then shifted by `(k - 2)` per such row, and the `Resid. Df` of
#' [stats::step()]'s path (observations of non-zero weight less `edf`) is
#' short by that many; here they are the fit's residual degrees of freedom.
#'
#' `step()` itself refits each model it moves to from the stored call, in the
#' frame it is called from, with the fit's own optimizer: start it from a
#' fit by an exact optimizer (the default `"auto"`), as the gradient-based
#' ones (`"gd"`, `"sgd"`, `"adam"`) give approximate log-likelihoods.
#'
#' @param object,fit A model fitted by [gradglm()] (with a formula).
#' @param scope For `drop1()`: the terms that may be dropped, as a formula
#'   (`~ x1 + x2`) or character vector; by default every term whose removal
#'   respects marginality ([stats::drop.scope()]). For `add1()`: the terms
#'   that may be added, as a formula (`~ . + x3 + x4`) or character vector.
#' @param scale For GLMs, a dispersion to use in place of the estimated
#'   one (`0`, the default, estimates it as [summary.gradglm()] does); the
#'   AIC then becomes a Mallows' Cp type criterion, as for glm fits. Not
#'   used by other fits.
#' @param test `"none"`, `"Chisq"` (or its synonym `"LRT"`) for
#'   likelihood-ratio tests, `"F"` or `"Rao"` (GLMs only). `"Rao"` gives
#'   score tests as glm's tables: the weighted sum of squares of the smaller
#'   model's working residuals explained by the larger model's columns, over
#'   the dispersion. (glm's `add1()` puts the model's offset in that
#'   regression; this one does not, as `drop1()` and `anova()` do not.)
#' @param k The penalty per parameter: `2` for AIC, `log(nobs(fit))` for BIC.
#' @param trace If greater than 1, print each term as it is tried.
#' @param ... Not used.
#' @return `drop1()` and `add1()`: an object of class
#'   `c("anova", "data.frame")`, one row for the model itself (`<none>`) and
#'   one per term. `extractAIC()`: a numeric vector `c(edf, AIC)`.
#' @seealso [stats::step()], [anova.gradglm()], [logLik.gradglm()][gradglm-extract].
#' @examples
#' fit <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars)
#' drop1(fit, test = "F")
#' add1(gradglm(mpg ~ wt, data = mtcars), ~ . + hp + qsec, test = "Chisq")
#' extractAIC(fit)
#'
#' # stepwise selection by AIC, then by BIC
#' best <- step(fit, trace = 0)
#' formula(best)
#' formula(step(fit, k = log(nrow(mtcars)), trace = 0))
#'
#' # a Student-t regression: likelihood-ratio tests and AIC
#' tfit <- gradglm(stack.loss ~ ., data = stackloss, family = student_t(df = 4))
#' drop1(tfit, test = "Chisq")
#' @name gradglm-select
#' @importFrom stats drop1 add1 extractAIC step
NULL

#' @rdname gradglm-select
#' @export
drop1.gradglm <- function(object, scope, scale = 0, test = c("none", "Chisq", "LRT", "F", "Rao"),
                          k = 2, trace = FALSE, ...) {
  check_gradglm(object, "drop1.gradglm")
  stop_if_penalised(object, "drop1.gradglm")
  stop_if_network(object, "drop1.gradglm", "dropping terms")
  fun <- "drop1.gradglm"
  .select_check_fit(object, fun)
  test <- .select_test(test, missing(test), object, fun)
  .select_check_args(object, scale, k, fun)
  labels <- attr(stats::terms(object), "term.labels")
  if (missing(scope) || is.null(scope)) {
    scope <- stats::drop.scope(object)
  } else {
    if (!is.character(scope)) scope <- .select_scope_labels(object, scope, fun)
    unknown <- setdiff(scope, labels)
    if (length(unknown)) {
      abort(fun, "'scope' names term(s) ", quote_some(unknown), " that are not in the model; ",
            "its terms are ", if (length(labels)) quote_some(labels, 10L) else "none")
    }
  }
  if (is_glm_fit(object)) {
    if (is_source_fit(object)) return(.select_source_glm(object, scope, "drop", scale, test, k, trace))
    return(.select_drop_glm(object, scope, scale, test, k, trace))
  }
  .select_lik_table(object, scope, "drop", test, k, trace)  # (refits by the call: from a source too)
}

#' @rdname gradglm-select
#' @export
add1.gradglm <- function(object, scope, scale = 0, test = c("none", "Chisq", "LRT", "F", "Rao"),
                         k = 2, trace = FALSE, ...) {
  check_gradglm(object, "add1.gradglm")
  stop_if_penalised(object, "add1.gradglm")
  stop_if_network(object, "add1.gradglm", "adding terms")
  fun <- "add1.gradglm"
  .select_check_fit(object, fun)
  test <- .select_test(test, missing(test), object, fun)
  .select_check_args(object, scale, k, fun)
  if (missing(scope) || is.null(scope)) {
    abort(fun, "'scope' is missing: give the terms that may be added, e.g. ~ . + x3 + x4")
  }
  if (!is.character(scope)) {
    upper <- tryCatch(stats::update.formula(object, scope),
                      error = function(e) abort(fun, "'scope' is not a valid formula: ",
                                                conditionMessage(e)))
    scope <- stats::add.scope(object, upper)
  }
  if (!length(scope)) abort(fun, "there are no terms in 'scope' to add to the model")
  if (anyNA(scope) || !all(nzchar(scope))) {
    abort(fun, "'scope' contains empty or missing term labels")
  }
  if (is_glm_fit(object)) {
    if (is_source_fit(object)) return(.select_source_glm(object, scope, "add", scale, test, k, trace))
    return(.select_add_glm(object, scope, scale, test, k, trace))
  }
  .select_lik_table(object, scope, "add", test, k, trace)
}

#' @rdname gradglm-select
#' @export
extractAIC.gradglm <- function(fit, scale = 0, k = 2, ...) {
  check_gradglm(fit, "extractAIC.gradglm", "fit")
  stop_if_path(fit, "extractAIC.gradglm")
  if (!is_num(k) || k < 0) {
    abort("extractAIC.gradglm", "'k' must be a single number >= 0 (2 for AIC, log(n) for BIC)")
  }
  if (is_glm_fit(fit)) {
    edf <- if (!is.null(fit$rank)) fit$rank else sum(!is.na(fit$coefficients))
    return(c(edf, fit$aic + (k - 2) * edf))
  }
  ll <- logLik.gradglm(fit)
  npar <- attr(ll, "df")
  c(npar, -2 * as.numeric(ll) + k * npar)
}

# ---------------------------------------------------------------------------
# Argument checks

.select_check_fit <- function(object, fun) {
  if (is.null(object$terms) || is.null(object$call)) {
    abort(fun, "the model must come from gradglm() with a formula (it needs the model's terms ",
          "and call); fits of gradglm_fit() cannot be refitted term by term")
  }
  invisible(TRUE)
}

# "none", "Chisq", "Rao" or "F"; the F and score tests only for GLM fits
.select_test <- function(test, default, object, fun) {
  ok <- c("none", "Chisq", "LRT", "F", "Rao")
  if (default || is.null(test) || isFALSE(test) || identical(test, ok)) return("none")
  if (!is.character(test) || length(test) != 1L || is.na(test) ||
      !tolower(test) %in% tolower(ok)) {
    abort(fun, "'test' must be one of \"none\", \"Chisq\", \"LRT\", \"Rao\" or \"F\"")
  }
  test <- ok[tolower(ok) == tolower(test)]
  if (test == "LRT") test <- "Chisq"
  if (test == "Rao" && !is_glm_fit(object)) {
    abort(fun, "the score (Rao) test is for generalized linear models; a ", object$family$family,
          " model with several parameter blocks is tested by likelihood ratio: use test = \"Chisq\"")
  }
  if (test == "F" && !is_glm_fit(object)) {
    abort(fun, "the F test does not apply to a ", object$family$family, " model with several ",
          "parameter blocks (its inference is by likelihood ratio); use test = \"Chisq\"")
  }
  test
}

.select_check_args <- function(object, scale, k, fun) {
  if (!is.numeric(scale) || length(scale) != 1L || is.na(scale) || scale < 0 || !is.finite(scale)) {
    abort(fun, "'scale' must be a single number >= 0 (0: the estimated dispersion)")
  }
  if (scale > 0 && !is_glm_fit(object)) {
    abort(fun, "'scale' applies to generalized linear models only; a ", object$family$family,
          " model with several parameter blocks has no dispersion to fix")
  }
  if (!is.numeric(k) || length(k) != 1L || is.na(k) || !is.finite(k) || k < 0) {
    abort(fun, "'k' must be a single number >= 0 (2 for AIC, log(n) for BIC)")
  }
  invisible(TRUE)
}

# the term labels of a scope given as a formula
.select_scope_labels <- function(object, scope, fun) {
  if (!inherits(scope, "formula")) {
    abort(fun, "'scope' must be a formula such as ~ x1 + x2 or a character vector of term labels")
  }
  tt <- tryCatch(stats::terms(stats::update.formula(object, scope)),
                 error = function(e) {
                   abort(fun, "'scope' is not a valid formula: ", conditionMessage(e))
                 })
  attr(tt, "term.labels")
}

# ---------------------------------------------------------------------------
# GLM fits: refits on columns of the design matrix

.select_drop_glm <- function(object, scope, scale, test, k, trace) {
  X <- .select_design(object, "drop1.gradglm")
  asgn <- attr(X, "assign")
  if (is.null(asgn)) {
    abort("drop1.gradglm", "the design matrix has no 'assign' attribute, so its columns cannot be ",
          "matched to terms")
  }
  labels <- attr(stats::terms(object), "term.labels")
  y <- .select_response(object)
  wts <- object$prior.weights
  rank <- numeric(length(scope))
  dev <- numeric(length(scope))
  score <- rep(NA_real_, length(scope) + 1L)
  for (i in seq_along(scope)) {
    if (trace > 1) cat("trying - ", scope[i], "\n", sep = "")
    keep <- asgn != match(scope[i], labels)
    sub <- .select_glm_refit(object, X[, keep, drop = FALSE], y, wts, object$offset)
    rank[i] <- sub$rank
    dev[i] <- sub$deviance
    # (the score of the term at the model without it, as glm's drop1())
    if (test == "Rao") score[i + 1L] <- .rao_score(sub$residuals, sub$weights, X, TRUE)
  }
  rank <- c(object$rank, rank)
  dev <- c(object$deviance, dev)
  n <- nrow(X)
  aod <- .select_glm_aod(object, c("<none>", scope), rank, dev, n, scale, k, "drop")
  aod <- .select_glm_tests(aod, object, rank, dev, n, scale, test, "drop", score)
  .select_finish(aod, object, "Single term deletions", scale)
}

.select_add_glm <- function(object, scope, scale, test, k, trace) {
  fun <- "add1.gradglm"
  old_labels <- attr(stats::terms(object), "term.labels")
  frame <- .select_add_frame(object, scope, fun)
  X <- frame$x
  asgn <- attr(X, "assign")
  labels <- attr(frame$terms, "term.labels")
  sorted <- .select_sort_labels(labels)
  old <- asgn %in% match(.select_sort_labels(old_labels), sorted)
  if (attr(object$terms, "intercept") > 0L) old <- old | asgn == 0L
  fit_cols <- function(cols) .select_glm_refit(object, X[, cols, drop = FALSE], frame$y,
                                                frame$weights, frame$offset)
  base <- fit_cols(old)
  rank <- c(base$rank, numeric(length(scope)))
  dev <- c(base$deviance, numeric(length(scope)))
  score <- rep(NA_real_, length(scope) + 1L)
  for (i in seq_along(scope)) {
    if (trace > 1) cat("trying + ", scope[i], "\n", sep = "")
    new <- asgn %in% match(.select_sort_labels(scope[i]), sorted)
    sub <- fit_cols(old | new)
    rank[i + 1L] <- sub$rank
    dev[i + 1L] <- sub$deviance
    # (the score of the term at the model without it, as glm's add1(); without
    # the offset in the regression of the working residuals, which add1.glm() puts there)
    if (test == "Rao") score[i + 1L] <- .rao_score(base$residuals, base$weights, X[, old | new, drop = FALSE], TRUE)
  }
  n <- nrow(X)
  aod <- .select_glm_aod(object, c("<none>", scope), rank, dev, n, scale, k, "add")
  aod <- .select_glm_tests(aod, object, rank, dev, n, scale, test, "add", score)
  .select_finish(aod, object, "Single term additions", scale)
}

# A GLM fitted from a chunked source: each model with a term dropped or added
# fitted from the source again (its stored call), the table as in memory.
# The score test needs the rows' working residuals, which such a fit does
# not keep.
.select_source_glm <- function(object, scope, direction, scale, test, k, trace) {
  fun <- if (direction == "drop") "drop1.gradglm" else "add1.gradglm"
  if (test == "Rao") {
    abort(fun, "the score (Rao) test needs the rows' working residuals, which a fit from a chunked source ",
          "does not keep; use test = \"Chisq\" or \"F\"")
  }
  sign <- if (direction == "drop") "-" else "+"
  rank <- c(object$rank, rep(NA_real_, length(scope)))
  dev <- c(object$deviance, rep(NA_real_, length(scope)))
  n0 <- nobs.gradglm(object)
  for (i in seq_along(scope)) {
    if (trace > 1) cat("trying ", sign, " ", scope[i], "\n", sep = "")
    sub <- .select_refit_same_rows(object, scope[i], sign, fun, n0)
    if (is.null(sub)) next
    rank[i + 1L] <- sub$rank
    dev[i + 1L] <- sub$deviance
  }
  n <- object$source$rows
  aod <- .select_glm_aod(object, c("<none>", scope), rank, dev, n, scale, k, direction)
  aod <- .select_glm_tests(aod, object, rank, dev, n, scale, test, direction)
  .select_finish(aod, object, if (direction == "drop") "Single term deletions" else "Single term additions", scale)
}

# The model without the terms `drop`, fitted again by its stored call (from
# its chunked source)
.select_source_refit <- function(object, drop, fun) {
  change <- eval(str2lang(paste("~ . -", paste(drop, collapse = " - "))))
  .select_eval_call(object, stats::update.formula(stats::formula(object), change), drop[1L], "-", fun)
}

# term labels with the variables of each interaction sorted ("b:a" -> "a:b")
.select_sort_labels <- function(labels) {
  vapply(strsplit(labels, ":", fixed = TRUE), function(v) paste(sort(v), collapse = ":"), "")
}

# The model frame and design matrix of the model with every term of `scope`
# added, with its response, weights and offset.
.select_add_frame <- function(object, scope, fun) {
  add_rhs <- tryCatch(str2lang(paste("~ . +", paste(scope, collapse = " + "))),
                      error = function(e) abort(fun, "'scope' holds term(s) that are not valid R ",
                                                "expressions: ", quote_some(scope)))
  new_terms <- stats::terms(stats::update.formula(object, eval(add_rhs)))
  fake <- structure(list(call = object$call, terms = new_terms), class = "gradglm")
  mf <- tryCatch(.model_frame_gradglm(fake),
                 error = function(e) abort(fun, "could not build the model with the term(s) ",
                                           quote_some(scope), " of 'scope': ", conditionMessage(e)))
  x <- stats::model.matrix(new_terms, mf, contrasts.arg = object$contrasts)
  n_old <- length(object$fitted.values)
  n_new <- nrow(mf)
  if (n_new < n_old) {
    warn(fun, "using the ", n_new, "/", n_old, " rows from a combined fit (the variables of ",
         "'scope' have missing values)")
  }
  out <- list(x = x, terms = new_terms, y = stats::model.response(mf, "any"),
              weights = stats::model.weights(mf),
              offset = stats::model.offset(mf))
  if (n_new == n_old) {
    # the same rows: the model's columns must give the fit (the frame is
    # built from the data as they are now), and its response be the fit's
    cols <- match(names(object$coefficients), colnames(x))
    if (!anyNA(cols)) .select_check_design(object, x, out$offset, fun, cols)
    y_old <- object$y
    if (is.numeric(out$y) && !is.matrix(out$y) && is.numeric(y_old) && length(y_old) == n_new &&
        any(!(abs(out$y - y_old) <= 1e-10 * (1 + abs(y_old))), na.rm = TRUE)) {
      abort(fun, "the model's data have changed since it was fitted: the response rebuilt from its call ",
            "is not the fit's; refit the model with ", .select_data_label(object), " as they are now")
    }
  }
  out
}

# The design matrix of a GLM fit, checked against the fit. A fit without its
# model frame (model = FALSE) rebuilds it from the call, that is from the
# data as they are now: if they changed since the fit, the design no longer
# has the fit's rows or gives its linear predictors, and tables of refits on
# it would pair the fit's response with other data (silently, when the rows
# are as many).
.select_design <- function(object, fun) {
  X <- tryCatch(stats::model.matrix(object), error = function(e) {
    abort(fun, "the design matrix cannot be rebuilt (", bare_message(e, "model.matrix.gradglm"), ")")
  })
  .select_check_design(object, X, NULL, fun)
  X
}

# Does the design X (columns `cols` of it the model's, NULL: all) with the
# offset give the fit's linear predictors? An error naming the call's data
# when not.
.select_check_design <- function(object, X, offset, fun, cols = NULL) {
  eta <- object$linear.predictors
  cf <- object$coefficients
  if (!is.null(cols)) X <- X[, cols, drop = FALSE]
  if (is.null(eta) || is.matrix(cf) || ncol(X) != length(cf)) return(invisible(TRUE))
  what <- .select_data_label(object)
  if (nrow(X) != NROW(eta)) {
    abort(fun, "the model's data have changed since it was fitted: the design rebuilt from its call has ",
          nrow(X), " rows, the fit ", NROW(eta), "; refit the model with ", what, " as they are now")
  }
  ok <- !is.na(cf)
  Xo <- X[, ok, drop = FALSE]
  lp <- drop(Xo %*% cf[ok])
  if (is.null(offset)) offset <- object$offset
  if (length(offset)) lp <- lp + offset
  # (to rounding: the products' sizes bound the error of their sum)
  size <- 1 + drop(abs(Xo) %*% abs(cf[ok])) + abs(eta)
  if (any(!(abs(lp - eta) <= 1e-7 * size), na.rm = TRUE)) {
    abort(fun, "the model's data have changed since it was fitted: the design rebuilt from its call ",
          "no longer gives the fit's linear predictors; refit the model with ", what, " as they are now")
  }
  invisible(TRUE)
}

# "'data' (cars2)", the call's data argument, for the errors above
.select_data_label <- function(object) {
  data_arg <- object$call$data
  if (is.null(data_arg)) return("its variables")
  paste0("'data' (", paste(deparse(data_arg, width.cutoff = 60L), collapse = " "), ")")
}

# the response as the fit holds it (the proportion for binomial fits)
.select_response <- function(object) {
  y <- object$y
  if (is.null(y)) {
    y <- object$fitted.values + object$residuals * object$family$mu.eta(object$linear.predictors)
    clamp <- family_row(object$family)$clamp_y
    if (!is.null(clamp)) y <- clamp(y)
  }
  y
}

# rank and deviance of a GLM on the columns X (and whether its fit
# converged, with its coefficients); a design without columns is the model
# eta = offset. `start` and `control` are those of the refit.
.select_glm_refit <- function(object, X, y, weights, offset, start = NULL,
                              control = .methods_refit_control(object)) {
  if (ncol(X) == 0L) {
    fam <- object$family
    if (is.null(weights)) weights <- rep.int(1, NROW(y))
    if (is.matrix(y)) {
      trials <- rowSums(y)
      weights <- weights * trials
      y <- ifelse(trials > 0, y[, 1L] / pmax(trials, 1), 0)
    }
    eta <- if (is.null(offset)) rep.int(0, NROW(y)) else offset
    mu <- fam$linkinv(eta)
    me <- fam$mu.eta(eta)
    # (the working residuals and weights at the offset, for score tests; an
    # offset outside the family's valid linear predictors is no fit)
    dev <- sum(fam$dev.resids(as.numeric(y), mu, weights))
    return(list(rank = 0, deviance = dev, converged = is.finite(dev), coefficients = numeric(0),
                residuals = (as.numeric(y) - mu) / me, weights = weights * me^2 / fam$variance(mu)))
  }
  sub <- gradglm_fit(X, y, weights = weights, offset = offset, family = object$family,
                     optimizer = .methods_refit_optimizer(object), control = control, start = start)
  list(rank = sub$rank, deviance = sub$deviance, converged = sub$converged, coefficients = sub$coefficients,
       residuals = sub$residuals, weights = sub$weights)
}

# Df, Deviance and AIC of glm's tables. `rank` and `dev` hold the model
# itself first, then one entry per term.
.select_glm_aod <- function(object, rows, rank, dev, n, scale, k, direction) {
  loglik <- .select_glm_loglik(object, dev, n, scale)
  aic <- loglik + k * rank
  aic <- aic + (extractAIC.gradglm(object, k = k)[2L] - aic[1L])
  dfs <- if (direction == "drop") rank[1L] - rank else rank - rank[1L]
  dfs[1L] <- NA
  aod <- data.frame(Df = dfs, Deviance = dev, AIC = aic, row.names = rows, check.names = FALSE)
  # a quasi-family has no AIC: glm's tables leave the column out
  if (all(is.na(aic))) aod$AIC <- NULL
  aod
}

# minus twice the log-likelihood up to a constant, as glm's tables use it:
# profiled over the scale for the Gaussian family, else scaled deviance
.select_glm_loglik <- function(object, dev, n, scale) {
  if (isTRUE(family_row(object$family)$profile_scale)) {
    if (scale > 0) dev / scale - n else n * log(dev / n)
  } else {
    dev / .select_dispersion(object, scale)
  }
}

.select_dispersion <- function(object, scale) {
  if (scale > 0) scale else .methods_dispersion(object)
}

.select_glm_tests <- function(aod, object, rank, dev, n, scale, test, direction, score = NULL) {
  fun <- if (direction == "drop") "drop1.gradglm" else "add1.gradglm"
  if (test == "Rao") {
    # the score statistics over the dispersion, as glm's tables give them
    disp <- .select_dispersion(object, scale)
    stat <- pmax(0, score) / disp
    aod[[if (disp == 1) "Rao score" else "scaled Rao sc."]] <- stat
    aod[["Pr(>Chi)"]] <- .select_pchisq(stat, aod$Df)
  } else if (test == "Chisq") {
    loglik <- .select_glm_loglik(object, dev, n, scale)
    stat <- if (direction == "drop") loglik - loglik[1L] else loglik[1L] - loglik
    stat <- pmax(0, stat)
    stat[1L] <- NA
    lrt <- if (.select_dispersion(object, scale) == 1) "LRT" else "scaled dev."
    aod[[lrt]] <- stat
    aod[["Pr(>Chi)"]] <- .select_pchisq(stat, aod$Df)
  } else if (test == "F") {
    if (.methods_fixed_dispersion(object$family)) {
      warn(fun, "the F test assumes a quasi-", object$family$family, " model (an estimated ",
           "dispersion); the '", object$family$family, "' family's is known: use test = \"Chisq\"")
    }
    rdf <- object$df.residual
    dfs <- aod$Df
    if (direction == "drop") {
      fval <- (pmax(0, dev - dev[1L]) / dfs) / (dev[1L] / rdf)
      df2 <- rep.int(rdf, length(dfs))
    } else {
      fval <- pmax(0, (dev[1L] - dev) / dfs) / (dev / (rdf - dfs))
      df2 <- rdf - dfs
    }
    fval[is.na(dfs) | dfs < 1e-4] <- NA
    ok <- !is.na(fval)
    p <- fval
    p[ok] <- stats::pf(fval[ok], dfs[ok], df2[ok], lower.tail = FALSE)
    aod[["F value"]] <- fval
    aod[["Pr(>F)"]] <- p
  }
  aod
}

# chi-squared p-values; none for no change in parameters
.select_pchisq <- function(stat, df) {
  df[!is.na(df) & df <= 0] <- NA
  ok <- !is.na(stat) & !is.na(df)
  p <- rep(NA_real_, length(stat))
  p[ok] <- stats::pchisq(stat[ok], df[ok], lower.tail = FALSE)
  p
}

.select_finish <- function(aod, object, title, scale, model = NULL) {
  if (is.null(model)) {
    model <- paste(deparse(stats::formula(object), width.cutoff = 500L), collapse = " ")
  }
  heading <- c(title, "\nModel:", model, if (scale > 0) paste("\nscale: ", format(scale), "\n"))
  structure(aod, heading = heading, class = c("anova", "data.frame"))
}

# ---------------------------------------------------------------------------
# Fits with several parameter blocks: refits of the stored call

.select_lik_table <- function(object, scope, direction, test, k, trace) {
  fun <- if (direction == "drop") "drop1.gradglm" else "add1.gradglm"
  sign <- if (direction == "drop") "-" else "+"
  n0 <- nobs.gradglm(object)
  ll0 <- logLik.gradglm(object)
  m2ll <- c(-2 * as.numeric(ll0), rep(NA_real_, length(scope)))
  npar <- c(attr(ll0, "df"), rep(NA_real_, length(scope)))
  for (i in seq_along(scope)) {
    if (trace > 1) cat("trying ", sign, " ", scope[i], "\n", sep = "")
    sub <- .select_refit_same_rows(object, scope[i], sign, fun, n0)
    if (is.null(sub)) next
    ll <- logLik.gradglm(sub)
    m2ll[i + 1L] <- -2 * as.numeric(ll)
    npar[i + 1L] <- attr(ll, "df")
  }
  dfs <- if (direction == "drop") npar[1L] - npar else npar - npar[1L]
  dfs[1L] <- NA
  aod <- data.frame(Df = dfs, m2ll, AIC = m2ll + k * npar, row.names = c("<none>", scope),
                    check.names = FALSE)
  names(aod)[2L] <- "-2 logLik"
  if (test == "Chisq") {
    stat <- if (direction == "drop") m2ll - m2ll[1L] else m2ll[1L] - m2ll
    stat[1L] <- NA
    aod[["LRT"]] <- stat
    aod[["Pr(>Chi)"]] <- .select_pchisq(pmax(stat, 0), dfs)
  }
  title <- if (direction == "drop") "Single term deletions" else "Single term additions"
  .select_finish(aod, object, paste(title, "(likelihood-ratio)"), 0,
                 model = .lik_model_label(object, TRUE))
}

# .select_lik_refit(), which must use the model's `n0` observations
.select_refit_same_rows <- function(object, term, sign, fun, n0) {
  sub <- .select_lik_refit(object, term, sign, fun)
  if (!is.null(sub) && nobs.gradglm(sub) != n0) {
    abort(fun, "the number of observations in use changed (", n0, " to ", nobs.gradglm(sub), ") ",
          if (sign == "-") "without" else "with", " the term '", term, "': remove the rows with missing values first")
  }
  sub
}

# The model refitted with one term of the location model dropped or added
# (`sign` "-" or "+"), from the stored call, evaluated where the formula was
# made. A location model left with neither terms nor intercept is fitted
# with the intercept, which is right when the model has no place for it (an
# ordinal model's cut-points take it): its location block then has no
# coefficient. Otherwise it cannot be fitted: NULL, with a warning.
.select_lik_refit <- function(object, term, sign, fun) {
  old <- stats::formula(object)
  change <- tryCatch(eval(str2lang(paste("~ . ", sign, term))),
                     error = function(e) abort(fun, "'", term, "' is not a valid term: ",
                                               conditionMessage(e)))
  new <- stats::update.formula(old, change)
  tt <- stats::terms(new)
  empty <- !length(attr(tt, "term.labels")) && attr(tt, "intercept") == 0L
  if (empty) new <- stats::update.formula(new, ~ . + 1)
  sub <- .select_eval_call(object, new, term, sign, fun)
  if (empty && length(sub$blocks[[1L]]$coef) > 0L) {
    warn(fun, "the model without '", term, "' has no location coefficient and cannot be fitted; ",
         "its row is NA")
    return(NULL)
  }
  sub
}

# The stored call with a new formula, evaluated in the formula's
# environment; the same optimizer when it is an exact one, else "auto".
.select_eval_call <- function(object, formula, term, sign, fun) {
  cl <- object$call
  cl$formula <- formula
  opt <- .methods_refit_optimizer(object)
  if (!identical(opt, object$optimizer)) {
    cl$optimizer <- opt
    cl$control <- .methods_refit_control(object)
  }
  env <- environment(formula)
  if (is.null(env)) env <- parent.frame()
  what <- if (sign == "-") "without" else "with"
  tryCatch(eval(cl, env), error = function(e) {
    abort(fun, "could not refit the model ", what, " the term '", term, "': ", conditionMessage(e))
  })
}
