#' @include evaluate.R
NULL

# Cross-validation: cv_gradglm() fits one model on K - 1 folds and evaluates
# it with evaluate() on the held-out fold, K times; cv_compare() does the
# same for several models on the same folds. Both run through .cv_run() on
# model "specs": the arguments of a gradglm() call, as values, except the
# `weights`, `subset` and `offset` expressions, which stay expressions so that
# each fold evaluates them in its own rows (as the model frame and
# evaluate() do).
#
# The loop over folds is written so that it can later run along a penalty
# path (one evaluation per fold and lambda): a spec is refitted per fold by
# .cv_fit() and scored by .cv_score(), which returns rows of the per-fold
# table.

#' Cross-validate a gradglm model
#'
#' Splits the rows of `data` into `nfolds` folds, fits the model by
#' [gradglm()] on all folds but one and evaluates it with [evaluate()] on the
#' held-out fold, for each fold in turn; then reports the mean over the folds
#' of each measure with its standard error, and the fit on all rows.
#'
#' The folds are drawn with R's random number generator (call [set.seed()]
#' first for reproducible folds): the rows are shuffled and dealt to the
#' folds in turn, so that fold sizes differ by at most one. For categorical
#' responses (a binomial 0/1 response, multinomial and ordinal factors) the
#' rows are dealt class by class (stratified), so that every class with at
#' least `nfolds` rows is present in every fold. `foldid` gives the folds
#' instead.
#'
#' The rows cross-validated are those the fit on all rows uses: after
#' `subset` and the `na.action` (rows with missing values are dropped). The
#' `weights` and `offset` arguments must be variables of `data` (or
#' expressions of them), since each fold evaluates them in its own rows; the
#' held-out evaluation takes its weights from the held-out rows.
#'
#' Each measure is averaged over the folds (each fold's value is a mean per
#' observation, see [evaluate()]); its standard error is the standard
#' deviation over the folds divided by the square root of their number. A
#' measure that cannot be computed in a fold (the AUC of a fold with a single
#' class) is left out of its mean and standard error, and the `folds` column
#' of the summary says how many folds count. An infinite value (a held-out
#' row the model gives probability 0) counts: the mean is then infinite.
#'
#' @param formula,data,family The model, as for [gradglm()]; `data` must be
#'   a data frame.
#' @param ... Further arguments of [gradglm()] (`weights`, `subset`,
#'   `offset`, `sigma`, `optimizer`, `control`, control settings), named.
#' @param nfolds Number of folds, a whole number from 3 to the number of
#'   observations (`nfolds = n` is leave-one-out). Ignored when `foldid` is
#'   given.
#' @param foldid Optionally, the fold of each row of `data` (any values:
#'   each distinct value is a fold; at least two folds), or of each row the
#'   model uses. The `foldid` of a result can be reused to cross-validate
#'   another model on the same folds (or see [cv_compare()]).
#' @param measure `NULL` (every measure that applies to the model) or the
#'   measures to compute, as in [evaluate()]: `"nll"`, `"mean_deviance"`,
#'   `"mse"`, `"mae"`, `"class"`, `"auc"`, `"brier"`. `"nll"` and
#'   `"mean_deviance"` are always computed.
#' @param penalty `NULL`, or a penalty made by [lasso()], [ridge()] or
#'   [elastic_net()]. With a path (`lambda = NULL` or several lambdas), the
#'   path fitted to all rows gives the lambdas; each fold's path is fitted at
#'   those lambdas and every lambda is evaluated on the held-out fold. The
#'   result (class `"gradglm_cv_path"`) then has `lambda`, `cvm` and `cvsd`
#'   (mean and standard error over the folds of each measure, one row per
#'   lambda), `lambda_min` (the lambda with the best mean of the first
#'   `measure`, by default the mean deviance; the largest AUC for `"auc"`),
#'   `lambda_1se` (the largest lambda whose mean is within one standard error
#'   of the best), `nzero`, `fit` (the path on all rows) and `foldid`;
#'   `plot()` draws the CV curve with its error bars and both lambdas, and
#'   `coef()` and `predict()` take `s = "lambda_1se"` (the default),
#'   `"lambda_min"` or a number. With one lambda, the penalised model is
#'   cross-validated as any other.
#' @param parallel `FALSE` (the default) fits the folds one after another in
#'   this session. `TRUE` fits them on the workers of the
#'   [future](https://future.futureverse.org) framework (packages future and
#'   future.apply), as chosen by [future::plan()]: for example
#'   `future::plan("multisession", workers = 4)` for background R sessions
#'   on this machine, or a cluster plan across machines. Each worker receives
#'   the rows the model uses once and returns each fold's held-out measures.
#'   With more than one worker, each fold's fit runs its passes over the data
#'   on one thread (the workers share the cores). Every fold has its own
#'   random-number stream (`future.seed = TRUE`), so fits by stochastic
#'   optimizers are reproducible after [set.seed()] but differ from those of
#'   `parallel = FALSE`; folds, and fits by deterministic optimizers, are the
#'   same either way. Functions and objects the formula refers to must be
#'   available to the workers (variables of `data` always are).
#' @return An object of class `"gradglm_cv"`, a list with
#' * `folds`: a data frame with one row per fold: `fold`, `nobs` (held-out
#'   rows with non-zero weight) and the measures;
#' * `summary`: a data frame with one row per measure: `measure`, `mean`,
#'   `se` and `folds` (the folds that count);
#' * `foldid`: the fold of each row of `data` (`NA` for rows the model does
#'   not use);
#' * `nfolds`, `stratified`, `measures` (the names of the measures);
#' * `fit`: the model fitted to all rows;
#' * `call`: the matched call.
#' @seealso [evaluate()], [cv_compare()].
#' @examples
#' set.seed(1)
#' cv <- cv_gradglm(low ~ age + lwt + smoke, data = MASS::birthwt,
#'                  family = binomial(), nfolds = 5)
#' cv
#' cv$folds
#'
#' # the same folds for another model
#' cv2 <- cv_gradglm(low ~ age + lwt + smoke + ht, data = MASS::birthwt,
#'                   family = binomial(), foldid = cv$foldid)
#' rbind(cv$summary[1, ], cv2$summary[1, ])
#' @export
cv_gradglm <- function(formula, data, family = gaussian(), ..., nfolds = 10, foldid = NULL,
                       measure = NULL, penalty = NULL, parallel = FALSE) {
  fun <- "cv_gradglm"
  mc <- match.call()
  if (missing(formula)) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  formula_expr <- substitute(formula)  # (the call the fits show)
  formula <- model_formula(formula, fun, parent.frame())
  if (missing(data)) {
    abort(fun, "'data' is missing: cross-validation splits the rows of a data frame")
  }
  .cv_check_data(data, fun)
  .cv_check_settings(nfolds, foldid, measure, fun)
  .cv_check_parallel(parallel, fun)
  dots <- as.list(substitute(list(...)))[-1L]
  spec <- .cv_dots_spec(dots, function(i) ...elt(i), fun)
  spec$values <- c(list(formula = formula, family = family), spec$values)
  spec$env <- parent.frame()
  spec$data <- data
  shown <- c(list(quote(gradglm), formula = formula_expr, data = substitute(data)),
             if (!missing(family)) list(family = substitute(family)), dots,
             if (!is.null(penalty)) list(penalty = substitute(penalty)))
  if (!is.null(penalty)) {
    penalty <- as_penalty(penalty, fun)
    spec$values$penalty <- penalty
    if (length(penalty$lambda) != 1L) {
      run <- .cv_path_run(spec, nfolds, foldid, measure, parallel, fun)
      run$fit$call <- as.call(shown)
      return(.cv_path_object(run, mc))
    }
  }
  run <- .cv_run(list(model = spec), nfolds, foldid, measure, parallel, fun)

  fit <- run$fits[[1L]]
  fit$call <- as.call(shown)
  folds <- run$folds
  folds$model <- NULL
  structure(list(folds = folds, summary = .cv_summary(folds, run$measures[[1L]]),
                 foldid = run$foldid, nfolds = run$nfolds, stratified = run$stratified,
                 measures = run$measures[[1L]], fit = fit, call = mc),
            class = "gradglm_cv")
}

#' Compare models by cross-validation on the same folds
#'
#' Cross-validates several models, as [cv_gradglm()] does one, on the
#' **same** folds: every model is fitted on the same training rows and
#' evaluated on the same held-out rows, so that their differences are not
#' those of the folds. Returns one row per model with the mean held-out
#' negative log-likelihood, deviance and the measures that apply, each with
#' its standard error over the folds.
#'
#' Each model is either a list of the arguments of [gradglm()], such as
#' `list(formula = low ~ ., family = binomial())`, or a model fitted by
#' [gradglm()], which is refitted on each fold through its call (its
#' arguments evaluated where `cv_compare()` is called, its `data` replaced by
#' the fold's rows). In a list, `weights` and `offset` name variables of
#' `data`: as a string (`weights = "w"`), a one-sided formula (`~ w`) or a
#' quoted expression (`quote(log(n))`).
#'
#' All models must be fitted to the same data frame (the `data` of each
#' list or call, else `data`) and use the same rows of it. The folds are
#' drawn once (stratified by the first model's classes when its response is
#' categorical), or given by `foldid`.
#'
#' @param ... The models, named (the names label the rows): lists of
#'   arguments of [gradglm()] or fitted gradglm models.
#' @param nfolds,foldid,measure,parallel As for [cv_gradglm()]; every
#'   measure asked for must apply to every model.
#' @param data The data frame of the models whose list or call has none.
#' @return An object of class `"gradglm_cv_comparison"`, a list with
#' * `table`: one row per model (in the order given): `model`, then for
#'   each measure its mean over the folds and its standard error
#'   (`<measure>_se`); `NA` where a measure does not apply to a model;
#' * `folds`: the per-fold values of every model (`model`, `fold`, `nobs`
#'   and the measures);
#' * `foldid`, `nfolds`, `stratified`, `measures` (per model);
#' * `fits`: the models fitted to all rows;
#' * `call`: the matched call.
#'
#' `print()` shows the table with the standard errors in parentheses and
#' names the model with the lowest mean negative log-likelihood; `plot()`
#' draws each model's mean of one measure with bars of plus and minus one
#' standard error ([plot.gradglm_cv_comparison()]).
#' @seealso [cv_gradglm()], [evaluate()].
#' @examples
#' set.seed(2)
#' cmp <- cv_compare(
#'   logit = list(formula = low ~ age + lwt + smoke, family = binomial()),
#'   probit = list(formula = low ~ age + lwt + smoke, family = binomial(link = "probit")),
#'   smaller = list(formula = low ~ lwt + smoke, family = binomial()),
#'   data = MASS::birthwt, nfolds = 5)
#' cmp
#' plot(cmp, measure = "auc")
#' @export
cv_compare <- function(..., nfolds = 10, foldid = NULL, measure = NULL, data = NULL,
                       parallel = FALSE) {
  fun <- "cv_compare"
  mc <- match.call()
  models <- list(...)
  if (!length(models)) {
    abort(fun, "no models: give them as named lists of gradglm() arguments or fitted models")
  }
  exprs <- as.list(substitute(list(...)))[-1L]
  labels <- .cv_labels(names(models), exprs)
  if (!is.null(data)) .cv_check_data(data, fun)
  .cv_check_settings(nfolds, foldid, measure, fun)
  .cv_check_parallel(parallel, fun)
  env <- parent.frame()
  specs <- lapply(seq_along(models), function(i) {
    .cv_model_spec(models[[i]], labels[i], data, env, fun)
  })
  names(specs) <- labels
  d1 <- specs[[1L]]$data
  for (s in specs[-1L]) {
    if (!identical(s$data, d1)) {
      abort(fun, "the models are fitted to different data (model '", s$label, "' and model '",
            labels[1L], "'); cross-validation on the same folds needs one data frame")
    }
  }
  # (held-out likelihoods of different responses do not compare)
  resp <- vapply(specs, function(s) {
    f <- s$values$formula
    if (inherits(f, "formula") && length(f) == 3L) paste(deparse(f[[2L]], width.cutoff = 500L), collapse = " ") else NA_character_
  }, "")
  if (length(unique(resp[!is.na(resp)])) > 1L) {
    abort(fun, "the models have different responses (", quote_some(unique(resp[!is.na(resp)])),
          "); their held-out measures are not comparable")
  }
  run <- .cv_run(specs, nfolds, foldid, measure, parallel, fun)
  for (i in seq_along(models)) {
    shown <- .cv_shown_call(models[[i]], exprs[[i]], if (!is.null(data)) substitute(data))
    if (!is.null(shown)) run$fits[[i]]$call <- shown
  }
  all_m <- intersect(names(.eval_labels), unique(unlist(run$measures)))
  tab <- data.frame(model = labels, stringsAsFactors = FALSE)
  for (m in all_m) {
    s <- lapply(labels, function(l) {
      v <- run$folds[[m]][run$folds$model == l]
      if (is.null(v) || !m %in% run$measures[[l]]) return(c(NA_real_, NA_real_))
      .cv_mean_se(v)
    })
    tab[[m]] <- vapply(s, `[`, 0, 1L)
    tab[[paste0(m, "_se")]] <- vapply(s, `[`, 0, 2L)
  }
  structure(list(table = tab, folds = run$folds, foldid = run$foldid, nfolds = run$nfolds,
                 stratified = run$stratified, measures = run$measures, fits = run$fits, call = mc),
            class = "gradglm_cv_comparison")
}

# ---------------------------------------------------------------------------
# checks

.cv_check_data <- function(data, fun) {
  if (!is.data.frame(data)) {
    abort(fun, "'data' must be a data frame (its rows are split into folds), not ", class(data)[1L])
  }
  invisible(TRUE)
}

# nfolds (when there is no foldid), the type of foldid, and the names of the
# measures, before anything is fitted
.cv_check_settings <- function(nfolds, foldid, measure, fun) {
  if (is.null(foldid)) {
    if (!is.numeric(nfolds) || length(nfolds) != 1L || !is.finite(nfolds) ||
        nfolds != round(nfolds)) {
      abort(fun, "'nfolds' must be a single whole number (at least 3)")
    }
    if (nfolds < 3) {
      abort(fun, "'nfolds' must be at least 3 (it is ", nfolds, "); for other splits give 'foldid'")
    }
  } else if (!is.atomic(foldid) || !is.null(dim(foldid)) || !length(foldid)) {
    abort(fun, "'foldid' must be a vector giving the fold of each row of 'data'")
  }
  if (!is.null(measure)) .eval_check_measure_names(measure, fun)
  invisible(TRUE)
}

# parallel: TRUE or FALSE; TRUE needs future.apply
.cv_check_parallel <- function(parallel, fun) {
  if (!is.logical(parallel) || length(parallel) != 1L || is.na(parallel)) {
    abort(fun, "'parallel' must be TRUE or FALSE")
  }
  if (parallel && !(requireNamespace("future.apply", quietly = TRUE) &&
                    requireNamespace("future", quietly = TRUE))) {
    abort(fun, "'parallel = TRUE' runs the folds through the future framework: ",
          "install the packages future and future.apply, and choose the workers with future::plan()")
  }
  invisible(TRUE)
}

# labels of cv_compare()'s models: their names, else the symbols they were
# given as, else model1, model2, ...
.cv_labels <- function(nm, exprs) {
  k <- length(exprs)
  if (is.null(nm)) nm <- character(k)
  out <- vapply(seq_len(k), function(i) {
    if (nzchar(nm[i])) return(nm[i])
    if (is.name(exprs[[i]])) return(as.character(exprs[[i]]))
    paste0("model", i)
  }, "")
  make.unique(out, sep = ".")
}

# ---------------------------------------------------------------------------
# model specs: list(label, values (arguments of gradglm() as values), exprs
# (weights, subset, offset as expressions), env (where the call is
# evaluated), data)

.cv_row_args <- c("weights", "subset", "offset")

# the `...` of cv_gradglm(): weights, subset and offset as expressions, the
# other arguments as values (`value(i)` evaluates the i-th)
.cv_dots_spec <- function(dots, value, fun) {
  nm <- names(dots)
  if (length(dots) && (is.null(nm) || any(!nzchar(nm)))) {
    abort(fun, "the arguments in '...' are passed to gradglm() and must be named, ",
          "as in weights = w")
  }
  full <- .cv_full_names(nm)
  values <- list()
  exprs <- list()
  own <- setdiff(names(formals(cv_gradglm)), c("...", names(formals(gradglm))))
  for (i in seq_along(dots)) {
    if (full[i] %in% c("formula", "data", "family")) {
      abort(fun, "'", full[i], "' is an argument of ", fun, "() itself; give it once")
    }
    # (a misspelt argument of cv_gradglm()'s own would reach gradglm() as an
    # unknown setting: "folds" for nfolds)
    near <- own[utils::adist(full[i], own, ignore.case = TRUE) <= 2]
    if (!full[i] %in% names(formals(gradglm)) && length(near)) {
      abort(fun, "unknown argument '", full[i], "': did you mean '", near[1L], "'?")
    }
    if (full[i] %in% .cv_row_args) {
      exprs[[full[i]]] <- dots[[i]]
    } else {
      values[full[i]] <- list(value(i))
    }
  }
  list(label = "model", values = values, exprs = exprs)
}

# argument names as gradglm() matches them (partially)
.cv_full_names <- function(nm) {
  gg <- setdiff(names(formals(gradglm)), "...")
  full <- gg[pmatch(nm, gg, duplicates.ok = TRUE)]
  full[is.na(full)] <- nm[is.na(full)]
  full
}

# one model of cv_compare(): a fitted model or a list of arguments
.cv_model_spec <- function(x, label, data, env, fun) {
  if (inherits(x, "gradglm")) return(.cv_fit_spec(x, label, data, env, fun))
  if (!is.list(x) || is.data.frame(x)) {
    abort(fun, "model '", label, "' must be a list of gradglm() arguments or a fitted gradglm ",
          "model, not ", class(x)[1L])
  }
  nm <- names(x)
  if (length(x) && (is.null(nm) || any(!nzchar(nm)))) {
    abort(fun, "the arguments of model '", label, "' must be named, as in list(formula = y ~ x)")
  }
  names(x) <- .cv_full_names(nm)
  if (!inherits(x$formula, "formula")) {
    abort(fun, "model '", label, "' needs a 'formula' (a model formula such as y ~ x)")
  }
  spec <- list(label = label, values = x[setdiff(names(x), c("data", .cv_row_args))],
               exprs = list(), env = env, data = if (!is.null(x$data)) x$data else data)
  for (a in intersect(.cv_row_args, names(x))) {
    v <- x[[a]]
    if (is.character(v) && length(v) == 1L) v <- as.name(v)
    if (inherits(v, "formula") && length(v) == 2L) v <- v[[2L]]
    if (a != "subset" && !is.language(v)) {
      abort(fun, "'", a, "' of model '", label, "' must name a variable of 'data' (\"w\", ~ w or ",
            "quote(w)): each fold evaluates it in its own rows")
    }
    if (is.language(v)) spec$exprs[[a]] <- v else spec$values[a] <- list(v)
  }
  .cv_spec_data(spec, fun)
}

# a fitted model as a spec: the arguments of its call, evaluated where
# cv_compare() was called (else in its formula's environment), except the
# row-wise expressions
.cv_fit_spec <- function(x, label, data, env, fun) {
  cl <- x$call
  if (is.null(cl) || is.null(x$terms) || identical(x$method, "gradglm_fit")) {
    abort(fun, "model '", label, "' was not fitted by gradglm() with a formula; give its ",
          "arguments as a list instead")
  }
  args <- as.list(cl)[-1L]
  names(args) <- .cv_full_names(names(args))
  f_env <- environment(x$terms)
  value <- function(e) {
    tryCatch(eval(e, env), error = function(err) {
      if (is.null(f_env)) stop(err)
      eval(e, f_env)
    })
  }
  spec <- list(label = label, values = list(), exprs = list(), env = env, data = data)
  for (a in names(args)) {
    e <- args[[a]]
    if (a %in% .cv_row_args) {
      spec$exprs[[a]] <- e
      next
    }
    v <- tryCatch(value(e), error = function(err) {
      abort(fun, "could not evaluate the argument '", a, "' of the call of model '", label, "': ",
            conditionMessage(err))
    })
    if (a == "data") spec$data <- v else spec$values[a] <- list(v)
  }
  .cv_spec_data(spec, fun)
}

.cv_spec_data <- function(spec, fun) {
  if (is.null(spec$data)) {
    abort(fun, "model '", spec$label, "' has no data: give it in its list or call, or as 'data'")
  }
  if (!is.data.frame(spec$data)) {
    abort(fun, "the data of model '", spec$label, "' must be a data frame, not ",
          class(spec$data)[1L])
  }
  # (a path has no one prediction per row to score: found before any fit)
  pen <- spec$values$penalty
  if (!is.null(pen)) {
    pen <- as_penalty(pen, fun)
    if (!is.null(pen) && length(pen$lambda) != 1L) {
      abort(fun, "model '", spec$label, "' is a regularization path (a penalty without one 'lambda'); ",
            "cv_compare() compares single fits: give its penalty one lambda, or choose one by cv_gradglm()")
    }
  }
  spec
}

# the call a model of cv_compare() shows when fitted to all rows: a fitted
# model's own call, or the list written as a call of gradglm() (with the
# shared data), or NULL
.cv_shown_call <- function(model, expr, data_expr) {
  if (inherits(model, "gradglm")) return(model$call)
  if (!is.call(expr) || !identical(expr[[1L]], quote(list))) return(NULL)
  expr[[1L]] <- quote(gradglm)
  if (is.null(expr$data) && !is.null(data_expr)) expr$data <- data_expr
  expr
}

# ---------------------------------------------------------------------------
# the run: fits on all rows, folds, fits and evaluations per fold

.cv_run <- function(specs, nfolds, foldid, measure, parallel, fun) {
  data <- specs[[1L]]$data
  fits <- lapply(specs, .cv_full_fit, fun = fun)
  used <- .cv_used_rows(fits, fun)
  for (i in seq_along(fits)) fits[[i]]$.cv_rows <- NULL
  measures <- lapply(specs, function(s) {
    .eval_measures(fits[[s$label]], measure, fun, if (length(specs) > 1L) s$label)
  })
  folds <- .cv_folds(nfolds, foldid, nrow(data), used, .cv_strata(fits[[1L]]), fun)
  data_used <- data[used, , drop = FALSE]
  for (s in specs) .cv_check_row_exprs(s, data_used[folds$id != 1L, , drop = FALSE], fun)

  res <- .cv_map_folds(folds$nfolds, data_used, folds$id, specs, measures, .cv_score, parallel, fun)
  warnings <- character()
  rows <- list()
  for (k in seq_len(folds$nfolds)) {
    for (i in seq_along(specs)) {
      r <- res[[k]][[i]]
      rows[[length(rows) + 1L]] <- r$value
      if (length(r$warnings)) {
        where <- paste0(if (length(specs) > 1L) paste0("model '", specs[[i]]$label, "' "), "fold ", k)
        warnings <- c(warnings, stats::setNames(r$warnings, rep(where, length(r$warnings))))
      }
    }
  }
  if (length(warnings)) .cv_warn(warnings, fun)
  foldid_all <- rep(NA_integer_, nrow(data))
  foldid_all[used] <- folds$id
  list(fits = fits, folds = .cv_bind_rows(rows), foldid = foldid_all, nfolds = folds$nfolds,
       stratified = folds$stratified, measures = measures)
}

# a gradglm() call of a spec on `data`, evaluated in a child of the spec's
# environment: values bound to names, row-wise expressions as they are
.cv_fit <- function(spec, data, full) {
  env <- new.env(parent = spec$env)
  env$.cv_data <- data
  args <- list()
  for (a in names(spec$values)) {
    sym <- paste0(".cv_arg_", a)
    assign(sym, spec$values[[a]], envir = env)
    args[[a]] <- as.name(sym)
  }
  args$data <- quote(.cv_data)
  exprs <- spec$exprs
  if (!full) exprs$subset <- NULL  # the rows are those of the fit on all rows already
  args[names(exprs)] <- exprs
  if (full) args$model <- TRUE
  eval(as.call(c(list(quote(gradglm)), args)), env)
}

.cv_full_fit <- function(spec, fun) {
  fit <- tryCatch(.cv_fit(spec, spec$data, full = TRUE), error = function(e) {
    abort(fun, "model '", spec$label, "' could not be fitted to all rows of its data: ",
          conditionMessage(e))
  })
  rows <- match(rownames(fit$model), rownames(spec$data))
  if (anyNA(rows)) abort(fun, "could not match the rows of model '", spec$label, "' to its data")
  fit$.cv_rows <- rows
  if (isFALSE(spec$values$model)) fit$model <- NULL
  fit
}

# the rows of data the models use (the same for all)
.cv_used_rows <- function(fits, fun) {
  used <- fits[[1L]]$.cv_rows
  for (f in fits) {
    if (!identical(f$.cv_rows, used)) {
      abort(fun, "the models use different rows of the data (", length(used), " and ",
            length(f$.cv_rows), "): missing values in different variables, or different ",
            "'subset's; give them the same rows (e.g. drop the incomplete rows first)")
    }
  }
  used
}

# classes to stratify by: a categorical response (a factor, or binomial 0/1)
.cv_strata <- function(fit) {
  y <- fit$y
  if (is.null(y) || is.matrix(y)) return(NULL)
  out <- .eval_outcome(fit)
  if (out == "classes" && is.factor(y)) return(as.integer(y))
  if (out == "binary" && all(y == 0 | y == 1)) return(as.integer(y))
  NULL
}

# the folds of the rows used: given by foldid, or drawn
.cv_folds <- function(nfolds, foldid, n_data, used, strata, fun) {
  n <- length(used)
  if (!is.null(foldid)) {
    if (length(foldid) == n_data) {
      foldid <- foldid[used]
    } else if (length(foldid) != n) {
      abort(fun, "'foldid' has length ", length(foldid), " but 'data' has ", n_data, " rows",
            if (n < n_data) paste0(" (", n, " of them used by the model)"))
    }
    if (anyNA(foldid)) abort(fun, "'foldid' has missing values for rows the model uses")
    ids <- sort(unique(foldid))
    if (length(ids) < 2L) {
      abort(fun, "'foldid' puts every row in a single fold; it must define at least 2 folds")
    }
    return(list(id = match(foldid, ids), nfolds = length(ids), stratified = FALSE))
  }
  if (nfolds > n) {
    abort(fun, "'nfolds' (", nfolds, ") is larger than the number of observations (", n, ")")
  }
  list(id = .cv_draw_folds(n, as.integer(nfolds), strata), nfolds = as.integer(nfolds),
       stratified = !is.null(strata))
}

# Shuffle the rows, group them by class (in shuffled order within each
# class) and deal them to the folds in turn: fold sizes differ by at most
# one, and a class with at least k rows reaches every fold.
.cv_draw_folds <- function(n, k, strata = NULL) {
  perm <- sample.int(n)
  ord <- if (is.null(strata)) perm else perm[order(strata[perm], method = "radix")]
  labels <- sample.int(k)
  id <- integer(n)
  id[ord] <- labels[rep_len(seq_len(k), n)]
  id
}

# weights and offset must be variables of data: evaluated in a fold's rows,
# they must give one value per row
.cv_check_row_exprs <- function(spec, rows, fun) {
  for (a in intersect(c("weights", "offset"), names(spec$exprs))) {
    e <- spec$exprs[[a]]
    v <- tryCatch(eval(e, rows, spec$env), error = function(err) NULL)
    if (!is.null(v) && NROW(v) != nrow(rows)) {
      abort(fun, "'", a, "' (", paste(deparse(e, width.cutoff = 500L), collapse = " "),
            ") must be a variable of 'data' or an expression of its variables: each fold ",
            "evaluates it in its own rows, where it gave ", NROW(v), " values for ", nrow(rows),
            " rows")
    }
  }
  invisible(TRUE)
}

# fit a spec on the training rows of fold k and evaluate it on the held-out
# rows: one row of the per-fold table
.cv_score <- function(spec, train, test, k, measures, fun) {
  fit <- tryCatch(.cv_fit(spec, train, full = FALSE), error = function(e) {
    abort(fun, "fold ", k, ": ", .cv_what(spec), "could not be fitted to the training rows: ",
          conditionMessage(e))
  })
  ev <- tryCatch(evaluate(fit, test, measure = measures), error = function(e) {
    abort(fun, "fold ", k, ": ", .cv_what(spec), "could not be evaluated on the held-out rows: ",
          sub("^evaluate: ", "", conditionMessage(e)))
  })
  data.frame(model = spec$label, fold = k, nobs = ev$nobs, as.list(ev$measures),
             stringsAsFactors = FALSE)
}

# The work of fold k: for each spec, `score(spec, train, test, k, measures,
# fun)` (.cv_score() or .cv_path_score()) on the fold's training and
# held-out rows, with the warnings it raised.
.cv_fold_run <- function(k, data_used, id, specs, measures, score, fun) {
  train <- data_used[id != k, , drop = FALSE]
  test <- data_used[id == k, , drop = FALSE]
  lapply(seq_along(specs), function(i) {
    .cv_catch_warnings(score(specs[[i]], train, test, k, measures[[i]], fun))
  })
}

# .cv_fold_run() for every fold, in this session or, with parallel = TRUE,
# on the workers of the future framework's plan (future.apply), one
# random-number stream per fold. The rows and specs go to the workers as
# arguments (each worker receives them once), the specs without their data.
# With more than one worker, each fold's fit runs its C++ passes on one
# thread (the workers share the cores; and a forked worker must not use an
# OpenMP thread pool it inherited).
.cv_map_folds <- function(nfolds, data_used, id, specs, measures, score, parallel, fun) {
  specs <- lapply(specs, function(s) {
    s$data <- NULL
    s
  })
  if (!parallel) {
    return(lapply(seq_len(nfolds), .cv_fold_run, data_used = data_used, id = id, specs = specs,
                  measures = measures, score = score, fun = fun))
  }
  future.apply::future_lapply(seq_len(nfolds), .cv_in_worker, one_thread = future::nbrOfWorkers() > 1,
                              data_used = data_used, id = id, specs = specs, measures = measures,
                              score = score, fun = fun, future.seed = TRUE, future.packages = "gradglm")
}

.cv_in_worker <- function(k, one_thread, ...) {
  if (one_thread) {
    old <- options(gradglm.threads = 1L)
    on.exit(options(old))
  }
  .cv_fold_run(k, ...)
}

.cv_what <- function(spec) if (identical(spec$label, "model")) "the model " else
  paste0("model '", spec$label, "' ")

.cv_catch_warnings <- function(expr) {
  msgs <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = msgs)
}

# one warning for all the folds: each distinct message once, with where it
# arose (named by `names(msgs)`)
.cv_warn <- function(msgs, fun) {
  u <- unique(unname(msgs))
  text <- vapply(u, function(m) {
    where <- unique(names(msgs)[msgs == m])
    paste0(sub("^[A-Za-z_.0-9]+: ", "", m), " [", paste(where, collapse = ", "), "]")
  }, "")
  more <- length(text) - 5L
  warn(fun, "warnings in the fits on the folds: ", paste(utils::head(text, 5L), collapse = "; "),
       if (more > 0L) paste0("; and ", more, " more"))
}

# rows with different measures (cv_compare()) into one table, NA where a
# measure was not computed
.cv_bind_rows <- function(rows) {
  cols <- unique(unlist(lapply(rows, names)))
  rows <- lapply(rows, function(r) {
    r[setdiff(cols, names(r))] <- NA_real_
    r[cols]
  })
  out <- do.call(rbind, rows)
  rownames(out) <- NULL
  out
}

# the folds whose value counts: all but those where the measure could not be
# computed (NA); an infinite or NaN value counts (a fold the model predicts
# infinitely badly, or with probabilities outside [0, 1])
.cv_counted <- function(v) !is.na(v) | is.nan(v)

.cv_mean_se <- function(v) {
  v <- v[.cv_counted(v)]
  k <- length(v)
  c(if (k) mean(v) else NA_real_, if (k > 1L) stats::sd(v) / sqrt(k) else NA_real_)
}

.cv_summary <- function(folds, measures) {
  s <- lapply(measures, function(m) .cv_mean_se(folds[[m]]))
  data.frame(measure = measures, mean = vapply(s, `[`, 0, 1L), se = vapply(s, `[`, 0, 2L),
             folds = vapply(measures, function(m) sum(.cv_counted(folds[[m]])), 1L),
             stringsAsFactors = FALSE, row.names = NULL)
}

# ---------------------------------------------------------------------------
# print() and plot()

#' Print or plot a cross-validation
#'
#' `print()` shows the mean over the folds of each measure of a
#' [cv_gradglm()] result, with its standard error (the standard deviation
#' over the folds divided by the square root of their number). `plot()` draws
#' each fold's held-out value of one measure, with the mean (solid line) and
#' plus and minus one standard error (dashed lines).
#'
#' @param x An object of class `"gradglm_cv"`.
#' @param digits Significant digits.
#' @param measure The measure to plot, one of those of the cross-validation
#'   (`x$measures`; by default the negative log-likelihood per observation).
#' @param ... `print()`: not used; `plot()`: graphical parameters for
#'   [graphics::plot()].
#' @return `x`, invisibly.
#' @seealso [cv_gradglm()]
#' @examples
#' set.seed(1)
#' cv <- cv_gradglm(dist ~ speed, data = cars, nfolds = 5)
#' print(cv, digits = 3)
#' plot(cv)
#' @export
print.gradglm_cv <- function(x, digits = 4L, ...) {
  fit <- x$fit
  cat("\n", x$nfolds, "-fold cross-validation", if (x$stratified) " (stratified by class)",
      ": ", paste(deparse(stats::formula(fit), width.cutoff = 500L), collapse = " "), " (",
      .eval_family_text(fit), ")\n", sep = "")
  sizes <- range(x$folds$nobs)
  cat(nobs(fit), " observations; held-out folds of ",
      if (sizes[1L] == sizes[2L]) sizes[1L] else paste(sizes, collapse = " to "),
      " observations\n\n", sep = "")
  s <- x$summary
  fmt <- function(v) ifelse(is.na(v), "-", format(signif(v, digits)))
  tab <- data.frame(measure = s$measure, mean = fmt(s$mean), se = fmt(s$se),
                    meaning = .eval_labels[s$measure], stringsAsFactors = FALSE)
  names(tab)[4L] <- ""
  print.data.frame(tab, row.names = FALSE, right = FALSE)
  if (any(s$folds < x$nfolds)) {
    cat("\n(", paste0(s$measure[s$folds < x$nfolds], ": ", s$folds[s$folds < x$nfolds],
                      " folds", collapse = ", "), " could be computed)\n", sep = "")
  }
  cat("\nPer-fold values in $folds; the fit on all rows in $fit.\n\n")
  invisible(x)
}

#' @rdname print.gradglm_cv
#' @export
plot.gradglm_cv <- function(x, measure = "nll", ...) {
  .plot_cv_dots(list(...), "plot.gradglm_cv")
  d <- .cv_plot_data(x, measure)
  rng <- range(c(d$value, d$mean - d$se, d$mean + d$se), na.rm = TRUE)
  .plot_call(graphics::plot, list(x = d$fold, y = d$value, ylim = rng, pch = 19, xaxt = "n", xlab = "fold",
                                  ylab = d$ylab, main = d$main),
             list(...))
  graphics::axis(1L, at = d$fold)
  graphics::abline(h = d$mean)
  if (is.finite(d$se) && d$se > 0) graphics::abline(h = d$mean + c(-1, 1) * d$se, lty = 2L)
  invisible(x)
}

# What the plot of a cross-validation shows, for plot() and autoplot(): each
# fold's value of `measure`, their mean and its standard error, the labels
.cv_plot_data <- function(x, measure, fun = "plot.gradglm_cv") {
  ms <- intersect(x$measures, names(x$folds))
  if (!is.character(measure) || length(measure) != 1L || !measure %in% ms) {
    abort(fun, "'measure' must be one of the measures of the cross-validation: ", quote_some(ms, 10L))
  }
  s <- x$summary[x$summary$measure == measure, , drop = FALSE]
  list(fold = x$folds$fold, value = x$folds[[measure]], mean = s$mean, se = s$se,
       ylab = .eval_labels[[measure]],
       main = paste0(x$nfolds, "-fold cross-validation: each fold, the mean \u00b1 1 SE"))
}

#' Print and plot a cross-validated comparison of models
#'
#' `print()` shows, for each model of a [cv_compare()] result, the mean of
#' each measure over the folds with its standard error in parentheses, and
#' names the model with the lowest mean negative log-likelihood. `plot()`
#' draws each model's mean of one measure with bars of plus and minus one
#' standard error.
#'
#' @param x An object of class `"gradglm_cv_comparison"`.
#' @param digits Significant digits.
#' @param measure The measure to plot: `"nll"` (the default) or another
#'   measure of the comparison.
#' @param ... For `plot()`, graphical arguments passed to [graphics::plot()];
#'   ignored by `print()`.
#' @return `x`, invisibly.
#' @seealso [cv_compare()]
#' @examples
#' set.seed(3)
#' cmp <- cv_compare(line = list(formula = dist ~ speed),
#'                   quadratic = list(formula = dist ~ poly(speed, 2)),
#'                   data = cars, nfolds = 5)
#' print(cmp, digits = 3)
#' plot(cmp, measure = "mse")
#' @name gradglm_cv_comparison-methods
NULL

#' @rdname gradglm_cv_comparison-methods
#' @export
print.gradglm_cv_comparison <- function(x, digits = 4L, ...) {
  tab <- x$table
  cat("\n", x$nfolds, "-fold cross-validation of ", nrow(tab), " model", if (nrow(tab) > 1L) "s",
      " on the same folds", if (x$stratified) " (stratified by class)", "; ",
      sum(!is.na(x$foldid)), " observations\n", sep = "")
  cat("Mean over the held-out folds (standard error):\n\n")
  ms <- intersect(names(.eval_labels), names(tab))
  out <- data.frame(model = tab$model, stringsAsFactors = FALSE)
  for (m in ms) {
    v <- tab[[m]]
    se <- tab[[paste0(m, "_se")]]
    out[[m]] <- ifelse(is.na(v), "-", paste0(format(signif(v, digits)), " (",
                                             ifelse(is.na(se), "-", format(signif(se, 2L))), ")"))
  }
  print.data.frame(out, row.names = FALSE, right = FALSE)
  if (nrow(tab) > 1L && any(is.finite(tab$nll))) {
    cat("\nLowest mean negative log-likelihood: ", tab$model[which.min(tab$nll)], "\n", sep = "")
  }
  cat("\n")
  invisible(x)
}

#' @rdname gradglm_cv_comparison-methods
#' @export
plot.gradglm_cv_comparison <- function(x, measure = "nll", ...) {
  .plot_cv_dots(list(...), "plot.gradglm_cv_comparison")
  d <- .cv_comparison_plot_data(x, measure)
  m <- d$m
  se0 <- d$se
  k <- length(m)
  rng <- range(c(m - se0, m + se0), na.rm = TRUE)
  .plot_call(graphics::plot, list(x = seq_len(k), y = m, xlim = c(0.5, k + 0.5), ylim = rng,
                                  pch = 19, xaxt = "n", xlab = "", ylab = d$ylab,
                                  main = d$main),
             list(...))
  graphics::axis(1L, at = seq_len(k), labels = d$model)
  ok <- !is.na(m) & se0 > 0
  if (any(ok)) {
    graphics::arrows(which(ok), (m - se0)[ok], which(ok), (m + se0)[ok], angle = 90, code = 3L,
                     length = 0.05)
  }
  invisible(x)
}

# What the plot of a comparison shows, for plot() and autoplot(): each
# model's mean `m` of `measure` over the folds and its standard error `se`
# (0 where it is missing), in the order of the comparison, and the labels.
.cv_comparison_plot_data <- function(x, measure, fun = "plot.gradglm_cv_comparison") {
  tab <- x$table
  ms <- intersect(names(.eval_labels), names(tab))
  if (!is.character(measure) || length(measure) != 1L || !measure %in% ms) {
    abort(fun, "'measure' must be one of the measures of the comparison: ", quote_some(ms, 10L))
  }
  se <- tab[[paste0(measure, "_se")]]
  list(model = tab$model, m = tab[[measure]], se = ifelse(is.na(se), 0, se),
       ylab = .eval_labels[[measure]],
       main = paste0(x$nfolds, "-fold cross-validation: mean \u00b1 1 SE"))
}
