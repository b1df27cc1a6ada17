# predict() for gradglm fits: rebuilds the design for new data from the stored
# terms, xlevels and contrasts, adds offsets, and gives standard errors of the
# linear predictor (and, by the delta method, of the mean).

#' Predictions from a gradglm fit
#'
#' Obtains predictions, and optionally their standard errors, from a model
#' fitted by [gradglm()] or [gradglm_fit()]. The results agree with
#' [stats::predict.glm()] for the same model.
#'
#' Without `newdata` the stored linear predictors (`type = "link"`) or fitted
#' means (`type = "response"`) are returned, padded with `NA` where the fit
#' used `na.action = na.exclude`.
#'
#' With `newdata` the design matrix is rebuilt from the stored `terms` (without
#' the response), the factor levels seen in fitting (`xlevels`) and the
#' `contrasts`; data-dependent bases such as `poly()` and `ns()` are evaluated
#' as in fitting. Offsets are included both from `offset()` terms in the
#' formula and from the `offset` argument of the original call, which is
#' evaluated in `newdata`. Aliased (`NA`) coefficients are left out, as
#' [stats::predict.glm()] does; predictions from a rank-deficient fit may
#' therefore be misleading outside the span of the fitted design.
#'
#' For a model fitted by [gradglm_fit()] (which has no terms), `newdata` must be
#' a numeric matrix with the columns of the fit's design: it is matched by
#' column name when its names include all coefficient names, and by position
#' otherwise. An offset for the new rows can then be given as `offset = ` in
#' `...` (a number or a vector with one value per row); without it the offset
#' is zero.
#'
#' @param object A fitted object of class `"gradglm"`.
#' @param newdata Optionally, a data frame (or a named list of variables of
#'   equal length) in which to look for the variables
#'   of the model (for a [gradglm_fit()] fit, a numeric matrix), or data read
#'   in chunks, a [gradglm_source()], predicted chunk by chunk (see
#'   `output`). If omitted, the fitted linear predictors or means are
#'   returned.
#' @param type The scale of the predictions: `"link"` (the linear predictor,
#'   the default) or `"response"` (the mean, the inverse link of the linear
#'   predictor); for a GLM fitted with a formula also `"terms"`, the matrix of
#'   each term's contribution to the linear predictor, centred at the fitted
#'   design's column means when the model has an intercept (their sum is the
#'   attribute `"constant"`), as [stats::predict.glm()] gives it (and as
#'   [stats::termplot()] uses it). A distributional fit also takes `"sigma"` (its fitted scale,
#'   with delta-method standard errors), a multinomial or ordinal fit
#'   `"probs"` (the matrix of class probabilities; `"response"` gives them
#'   too) and `"class"` (the most
#'   probable class, a factor); their `"link"` is the matrix of the classes'
#'   linear predictors (multinomial) or the location (ordinal). With several
#'   responses, each type gives one column per response.
#' @param terms For `type = "terms"`: the labels of the terms wanted (all by
#'   default).
#' @param se.fit Logical: return standard errors as well?
#' @param dispersion The dispersion used for the standard errors. If `NULL`
#'   (the default) the fit's dispersion is used: 1 for the binomial and
#'   Poisson families, the Pearson estimate for the others (gaussian, Gamma,
#'   inverse.gaussian, the quasi-families), as in
#'   [stats::summary.glm()].
#' @param na.action A function saying what to do with missing values in
#'   `newdata`. The default, [stats::na.pass()], predicts `NA`;
#'   [stats::na.omit()] drops the rows; [stats::na.exclude()] drops them
#'   from the computation and pads the result with `NA` (where
#'   [stats::predict.glm()] drops them). Predictions from a
#'   [gradglm_source()] have one row per row of the source (`NA` where a
#'   variable is missing), so that they line up with it: another
#'   `na.action` is an error.
#' @param lambda For a regularization path: the lambdas at which to predict
#'   (default: every lambda of the path; values between them interpolate the
#'   coefficients linearly, as glmnet). A path of a GLM family also takes
#'   `type = "class"` (binomial: 1 where the linear predictor is positive).
#' @param output,table,keep For `newdata` from a [gradglm_source()]: where the
#'   predictions go. `NULL` (the default) returns them, as for a data frame;
#'   a file name writes them as a CSV file; a DBI connection writes them to
#'   its table `table` (appended to it if it exists). Columns: `fit` (or one
#'   per class for `type = "probs"`; `se.fit` with `se.fit = TRUE`), after
#'   the source's columns named in `keep` (an identifier, to join them
#'   back). The output is written only when every chunk has been predicted:
#'   a failing chunk leaves no file, table rows or temporary files behind. A
#'   source of no rows (a CSV file's header alone) has no predictions, as
#'   [stats::predict.glm()] of a data frame of no rows: a file of the
#'   columns' header alone, a table of no rows, or predictions of length 0.
#' @param ... For a [gradglm_fit()] fit with matrix `newdata`: `offset`, the
#'   offset for the new rows. Otherwise unused.
#'
#' @return For `newdata` from a source with an `output`, the `output`
#'   (invisibly). If `se.fit = FALSE`, a named numeric vector of predictions. If
#'   `se.fit = TRUE`, a list with components `fit` (the predictions),
#'   `se.fit` (their standard errors on the scale of `type`) and
#'   `residual.scale` (the square root of the dispersion used), as
#'   [stats::predict.glm()] returns.
#'
#' @seealso [gradglm()], [stats::predict.glm()]
#' @examples
#' fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
#' head(predict(fit))
#' head(predict(fit, type = "response"))
#'
#' nd <- data.frame(wool = c("A", "B"), tension = c("L", "H"))
#' predict(fit, newdata = nd, type = "response", se.fit = TRUE)
#'
#' # a polynomial basis is rebuilt from the fitted terms
#' fit2 <- gradglm(mpg ~ poly(hp, 2) + wt, data = mtcars)
#' predict(fit2, newdata = data.frame(hp = c(100, 200), wt = c(2.5, 3.5)))
#' @importFrom stats na.pass predict
#' @export
predict.gradglm <- function(object, newdata = NULL,
                            type = c("link", "response", "terms", "sigma", "probs", "class"),
                            se.fit = FALSE, dispersion = NULL,
                            na.action = na.pass, lambda = NULL, output = NULL, table = NULL, keep = NULL,
                            terms = NULL, ...) {
  check_gradglm(object, "predict.gradglm")
  if (!(is.logical(se.fit) && length(se.fit) == 1L && !is.na(se.fit))) {
    # (glmnet's name for the lambdas, `s`, is matched to se.fit by R)
    abort("predict.gradglm", "'se.fit' must be TRUE or FALSE",
          if (is_path_fit(object) && is.numeric(se.fit)) {
            " (an argument 's', glmnet's name for the lambdas, is taken for 'se.fit': give them as 'lambda')"
          })
  }
  if (!is.function(na.action) && !(is.character(na.action) && length(na.action) == 1L && !is.na(na.action))) {
    abort("predict.gradglm", "'na.action' must be a function such as na.pass or na.omit, or its name")
  }
  if (inherits(newdata, "gradglm_source")) {
    # (one prediction per row of the source, NA where a variable is missing,
    # so that they line up with the source's rows)
    if (!missing(na.action) && !identical(na.action, stats::na.pass)) {
      abort("predict.gradglm", "'na.action' does not apply to 'newdata' from a gradglm_source(): its ",
            "predictions have one row per row of the source, NA where a variable is missing")
    }
    return(predict_source(object, newdata, if (missing(type)) NULL else type, se.fit, dispersion, output, table,
                          keep, terms = terms, lambda = lambda, ...))
  }
  if (!is.null(output) || !is.null(table) || !is.null(keep)) {
    abort("predict.gradglm", "'output', 'table' and 'keep' are for 'newdata' from a gradglm_source()")
  }
  newdata <- .newdata_frame(newdata)
  if (is_path_fit(object)) {
    if (!isFALSE(se.fit)) abort("predict.gradglm", "'se.fit' is not available along a regularization path")
    return(.path_predict(object, newdata, lambda, if (missing(type)) NULL else type, ...))
  }
  if (!is.null(lambda)) abort("predict.gradglm", "'lambda' is for a regularization path")
  if (is.null(newdata)) stop_if_source(object, "predict.gradglm", "linear predictors")
  if (is_network_fit(object)) {
    return(.net_predict(object, newdata, if (missing(type)) NULL else type, se.fit, na.action, ...))
  }
  if (!is_glm_fit(object)) {
    m <- type_methods(object)
    type <- if (missing(type)) m$predict_types[1L] else .pick_type(type, m$predict_types, aliases = predict_aliases)
    if (!is.null(dispersion)) {
      abort("predict.gradglm", "'dispersion' does not apply to a model whose scale is a parameter ",
            "of the likelihood")
    }
    return(m$predict(object, newdata = newdata, type = type, se.fit = se.fit, na.action = na.action, ...))
  }
  type <- if (missing(type)) "link" else .pick_type(type, c("link", "response", "terms"))
  if (!is.null(dispersion) &&
      (!is.numeric(dispersion) || length(dispersion) != 1L ||
       !is.finite(dispersion) || dispersion < 0)) {
    stop("predict.gradglm: 'dispersion' must be a single non-negative number",
         call. = FALSE)
  }
  fam <- object$family
  coefs <- object$coefficients
  # penalised fits: only the selected coefficients (the others are 0) have a covariance
  keep <- !is.na(coefs) & !(if (is.null(object$aliased)) FALSE else object$aliased)
  if (type == "terms") return(.pred_terms(object, newdata, se.fit, dispersion, na.action, terms, keep, ...))

  if (is.null(newdata)) {
    # the fitted values, padded for na.exclude
    eta <- object$linear.predictors
    na_act <- object$na.action
    if (!se.fit) {
      out <- if (type == "link") eta else object$fitted.values
      return(stats::napredict(na_act, out))
    }
    X <- .pred_fitted_design(object)
  } else {
    design <- .pred_new_design(object, newdata, na.action, ...)
    X <- design$x
    na_act <- design$na.action
    .pred_warn_aliased(object)
    eta <- drop(X[, keep, drop = FALSE] %*% coefs[keep]) + design$offset
    names(eta) <- rownames(X)
    if (!se.fit) {
      out <- if (type == "link") eta else fam$linkinv(eta)
      names(out) <- rownames(X)
      return(stats::napredict(na_act, out))
    }
  }

  # standard errors of the linear predictor: sqrt(diag(X V X') * dispersion)
  if (is.null(dispersion)) dispersion <- .pred_dispersion(object)
  V <- object$cov.unscaled
  Xk <- X[, keep, drop = FALSE]
  if (!is.null(rownames(V)) && !is.null(colnames(Xk))) {
    V <- V[colnames(Xk), colnames(Xk), drop = FALSE]
  }
  se <- sqrt(pmax(rowSums((Xk %*% V) * Xk), 0) * dispersion)
  fit <- eta
  if (type == "response") {
    fit <- fam$linkinv(eta)
    se <- se * abs(fam$mu.eta(eta))
  }
  names(fit) <- names(se) <- names(eta)
  list(fit = stats::napredict(na_act, fit),
       se.fit = stats::napredict(na_act, se),
       residual.scale = sqrt(dispersion))
}

# predict(type = "terms") of a GLM: each term's columns of the design (centred
# at the fitted design's column means when there is an intercept) times its
# coefficients, one column per term (those named in `terms`, else all), with
# the centring's total as the attribute "constant"; with se.fit, the
# standard errors of each column from the covariance of the term's
# coefficients.
.pred_terms <- function(object, newdata, se.fit, dispersion, na.action, terms, keep, ...) {
  fun <- "predict.gradglm"
  if (is.null(object$terms)) {
    abort(fun, "type = \"terms\" needs the model's terms: fit it with gradglm() and a formula")
  }
  if (!is.null(object$penalty) && !isTRUE(object$penalty$relaxed)) {
    abort(fun, "type = \"terms\" is for unpenalised fits")
  }
  if (is_source_fit(object)) {
    abort(fun, "type = \"terms\" centres each term at the column means of the fit's design, which a fit ",
          "from a chunked source does not keep")
  }
  fitted_x <- .pred_fitted_design(object)
  if (is.null(newdata)) {
    X <- fitted_x
    na_act <- object$na.action
  } else {
    .pred_warn_aliased(object)
    design <- .pred_new_design(object, newdata, na.action, ...)
    X <- design$x
    na_act <- design$na.action
  }
  asgn <- attr(fitted_x, "assign")
  labels <- attr(object$terms, "term.labels")
  if (is.null(terms)) terms <- labels
  unknown <- setdiff(terms, labels)
  if (length(unknown)) {
    abort(fun, "'terms' names term(s) ", quote_some(unknown), " not in the model; its terms are ",
          if (length(labels)) quote_some(labels, 10L) else "none")
  }
  beta <- object$coefficients
  beta[!keep] <- 0
  intercept <- attr(object$terms, "intercept") > 0L
  avx <- colMeans(fitted_x)
  if (intercept) X <- sweep(X, 2L, avx, check.margin = FALSE)
  constant <- if (intercept) sum(avx[keep] * beta[keep]) else 0
  cols <- lapply(match(terms, labels), function(t) which(asgn == t & keep))
  fit <- vapply(cols, function(j) drop(X[, j, drop = FALSE] %*% beta[j]), numeric(nrow(X)))
  fit <- matrix(fit, nrow(X), length(terms), dimnames = list(rownames(X), terms))
  attr(fit, "constant") <- constant
  if (!se.fit) return(stats::napredict(na_act, fit))
  if (is.null(dispersion)) dispersion <- .pred_dispersion(object)
  V <- object$cov.unscaled
  kn <- names(beta)[keep]
  se <- vapply(cols, function(j) {
    if (!length(j)) return(numeric(nrow(X)))
    nm <- names(beta)[j]
    Vj <- V[match(nm, kn), match(nm, kn), drop = FALSE]
    Xj <- X[, j, drop = FALSE]
    sqrt(pmax(rowSums((Xj %*% Vj) * Xj), 0) * dispersion)
  }, numeric(nrow(X)))
  se <- matrix(se, nrow(X), length(terms), dimnames = list(rownames(X), terms))
  list(fit = stats::napredict(na_act, fit), se.fit = stats::napredict(na_act, se),
       residual.scale = sqrt(dispersion))
}

# The dispersion the standard errors use: the stored one, else summary.glm's rule.
.pred_dispersion <- function(object) {
  if (!is.null(object$dispersion)) return(object$dispersion)
  if (.methods_fixed_dispersion(object$family)) return(1)
  w <- object$weights
  r <- object$residuals
  ok <- w > 0
  if (object$df.residual > 0) {
    sum(w[ok] * r[ok]^2) / object$df.residual
  } else {
    NaN
  }
}

# The design matrix of the fitted rows (for se.fit without newdata).
.pred_fitted_design <- function(object) {
  if (is.matrix(object$x)) return(object$x)
  if (is.null(object$terms)) {
    stop("predict.gradglm: 'se.fit = TRUE' without 'newdata' needs the model ",
         "matrix, which a gradglm_fit() fit does not keep; pass the design ",
         "matrix as 'newdata'", call. = FALSE)
  }
  mf <- object$model
  if (is.null(mf)) mf <- .pred_refit_frame(object)
  stats::model.matrix(object$terms, mf, contrasts.arg = object$contrasts)
}

# Rebuild the fitting model frame from the call (when the fit has model = FALSE).
.pred_refit_frame <- function(object) {
  cl <- object$call
  keep_args <- c("formula", "data", "subset", "weights", "na.action", "offset")
  args <- as.list(cl)[-1L]
  args <- args[names(args) %in% keep_args]
  args$formula <- object$terms
  env <- environment(object$terms)
  if (is.null(env)) env <- parent.frame()
  mf_call <- as.call(c(list(quote(stats::model.frame)), args,
                       list(drop.unused.levels = TRUE)))
  eval(mf_call, env)
}

# `newdata` given as a named list of variables (as predict.lm takes it): the
# data frame of them, each kept as it is (a matrix stays one variable)
.newdata_frame <- function(newdata, fun = "predict.gradglm") {
  if (!is.list(newdata) || is.data.frame(newdata) || is.object(newdata)) return(newdata)
  if (length(newdata) == 0L || is.null(names(newdata)) || any(names(newdata) == "")) {
    abort(fun, "'newdata' given as a list must name each of its variables")
  }
  n <- vapply(newdata, NROW, 0L)
  if (any(n != n[1L])) {
    abort(fun, "'newdata' is a list whose variables have different lengths (",
          paste0(names(n), ": ", n, collapse = ", "), ")")
  }
  structure(newdata, class = "data.frame", row.names = .set_row_names(n[1L]))
}

# The type asked for (of a prediction or of residuals), among the fit's
# `allowed` types, or an error that lists them; `aliases` names other words
# for allowed types (predict_aliases)
# predict()'s "response" is the class probabilities of a fit whose types
# have "probs" (as glmnet's multinomial predictions)
predict_aliases <- c(response = "probs")

.pick_type <- function(type, allowed, fun = "predict.gradglm", aliases = NULL, arg = "type") {
  if (!is.character(type) || length(type) == 0L || is.na(type[1L])) {
    abort(fun, "'", arg, "' must be one of ", quote_some(allowed, Inf))
  }
  # (another name of an allowed type: predict()'s "response" of a model
  # whose response is a set of class probabilities)
  alias <- aliases[type[1L]]
  if (!type[1L] %in% allowed && length(alias) && !is.na(alias) && alias %in% allowed) return(unname(alias))
  hit <- pmatch(type[1L], allowed)
  if (is.na(hit)) {
    abort(fun, "'", arg, "' must be one of ", quote_some(allowed, Inf), if (arg == "type") " for this fit",
          ", not '", type[1L], "'")
  }
  allowed[hit]
}

# match.arg() with an error that names the argument and the function: the
# default (all the choices) is the first
.pick_arg <- function(value, choices, arg, fun) {
  if (identical(value, choices)) return(choices[1L])
  .pick_type(value, choices, fun, arg = arg)
}

# Design matrix (and offset, na.action) for new data.
.pred_new_design <- function(object, newdata, na.action, ...) {
  if (is.null(object$terms)) {
    return(.pred_matrix_design(object, newdata, ...))
  }
  if (!is.data.frame(newdata)) {
    stop("predict.gradglm: 'newdata' must be a data frame, not ",
         .pred_describe(newdata), call. = FALSE)
  }
  Terms <- stats::delete.response(object$terms)
  env <- environment(Terms)
  if (is.null(env)) env <- globalenv()
  off_expr <- object$call$offset

  # every variable the predictors (and the offset argument) use must be there;
  # objects beside the formula that are not data (a constant k, the knots of
  # ns(x, knots = kn), the levels of factor(a, levels = lv)) are taken from there
  vars <- unique(c(all.vars(Terms), all.vars(off_expr)))
  missing_vars <- setdiff(vars, names(newdata))
  missing_vars <- missing_vars[!vapply(missing_vars, .pred_is_constant,
                                       logical(1), env = env, rows = .pred_fit_rows(object))]
  if (length(missing_vars)) {
    stop("predict.gradglm: 'newdata' is missing variable(s) ",
         paste0("'", missing_vars, "'", collapse = ", "), call. = FALSE)
  }

  # an offset given as an argument is evaluated in 'newdata' (as glm does), so
  # it must give one value per row there
  if (!is.null(off_expr)) {
    off_val <- .pred_eval_frame(eval(off_expr, newdata, env))
    if (length(off_val) != nrow(newdata)) {
      stop("predict.gradglm: the fit's 'offset' argument gives ", length(off_val), " value(s) for ",
           nrow(newdata), " row(s) of 'newdata'; give the offset as a variable of 'newdata' ",
           "(or as offset() in the formula)", call. = FALSE)
    }
  }

  # factor levels not seen in fitting, named with their variable
  xlev <- object$xlevels
  if (length(xlev)) {
    m0 <- .pred_eval_frame(stats::model.frame(Terms, newdata, na.action = stats::na.pass))
    for (nm in names(xlev)) {
      v <- m0[[nm]]
      if (is.null(v)) next
      vals <- unique(as.character(v[!is.na(v)]))
      new_lev <- setdiff(vals, xlev[[nm]])
      if (length(new_lev)) {
        stop("predict.gradglm: 'newdata' has level(s) ",
             paste0("'", new_lev, "'", collapse = ", "),
             " of factor '", nm, "' not seen in fitting (levels: ",
             paste0("'", xlev[[nm]], "'", collapse = ", "), ")",
             call. = FALSE)
      }
    }
  }

  mf_args <- list(Terms, data = newdata, na.action = na.action, xlev = xlev)
  if (!is.null(off_expr)) mf_args$offset <- off_expr
  m <- .pred_eval_frame(eval(as.call(c(list(quote(stats::model.frame)), mf_args)), env))
  # each variable of the same type as in fitting (a number given as text, say)
  classes <- attr(Terms, "dataClasses")
  if (!is.null(classes)) {
    .pred_eval_frame(stats::.checkMFClasses(classes, m))
  }
  X <- .pred_eval_frame(stats::model.matrix(Terms, m, contrasts.arg = object$contrasts))
  coef_names <- .pred_columns(object)
  if (!identical(colnames(X), coef_names)) {
    if (all(coef_names %in% colnames(X))) {
      X <- X[, coef_names, drop = FALSE]
    } else {
      stop("predict.gradglm: the design built from 'newdata' does not match ",
           "the fitted coefficients (", paste(setdiff(coef_names, colnames(X)),
           collapse = ", "), ")", call. = FALSE)
    }
  }
  off <- stats::model.offset(m)
  if (is.null(off)) off <- rep(0, nrow(X))
  list(x = X, offset = as.vector(off), na.action = attr(m, "na.action"))
}

# Evaluates the model's variables from 'newdata': R's own messages (a number
# given as text reaching log(), a factor of one level) come back naming the
# argument.
.pred_eval_frame <- function(expr) {
  tryCatch(expr, error = function(e) {
    pass_on_time_limit(e)
    stop("predict.gradglm: the model's variables could not be built from 'newdata': ",
         conditionMessage(e), call. = FALSE)
  })
}

# the design's columns: the coefficients' names, or a network's design columns
.pred_columns <- function(object) {
  if (is_network_fit(object)) object$network$design_names else names(object$coefficients)
}

# Is `name` a single number found from the formula's environment?
# New rows of a fit with aliased coefficients (not a penalised fit's
# unselected ones) are predicted with those taken as 0, which holds only where
# the new rows keep the fit's linear dependence: predict.lm()'s warning.
.pred_warn_aliased <- function(object) {
  al <- object$aliased
  if (!is.null(object$penalty) || is.null(al) || !any(al)) return(invisible(FALSE))
  warn("predict.gradglm", "prediction from a rank-deficient fit may be misleading: ",
       "the aliased coefficient(s) ", quote_some(names(object$coefficients)[al]), " are taken as 0")
  invisible(TRUE)
}

# Is the formula's variable `name`, missing from newdata, an object beside the
# formula that is not data: a single number, or any value whose length is not
# a number of the fit's rows (`rows`)? A variable of the fit's length is its
# data (gradglm(y ~ x) with x in the workspace), which newdata must give: R's
# model.frame() would take the fitted rows' values instead, glm's silent
# mistake.
.pred_is_constant <- function(name, env, rows = integer()) {
  if (!exists(name, envir = env)) return(FALSE)
  val <- get(name, envir = env)
  if (is.numeric(val) && length(val) == 1L) return(TRUE)
  (is.atomic(val) || is.list(val)) && !NROW(val) %in% rows
}

# The numbers of rows the fit's data had: with and without those its
# na.action took out.
.pred_fit_rows <- function(object) {
  n <- c(length(object$prior.weights), length(object$fitted.values), NROW(object$model))
  n <- n[n > 0L]
  unique(c(n, n + length(object$na.action)))
}

# Design for a gradglm_fit() fit: a numeric matrix with the fit's columns.
.pred_matrix_design <- function(object, newdata, ...) {
  coef_names <- .pred_columns(object)
  p <- length(coef_names)
  if (is.data.frame(newdata) &&
      all(vapply(newdata, is.numeric, logical(1)))) {
    newdata <- as.matrix(newdata)
  }
  if (!is.matrix(newdata) || !is.numeric(newdata)) {
    stop("predict.gradglm: 'newdata' must be a numeric matrix with the ",
         p, " column(s) of the design for a model fitted by gradglm_fit(), not ",
         .pred_describe(newdata), call. = FALSE)
  }
  cn <- colnames(newdata)
  if (!is.null(cn) && !is.null(coef_names) && all(coef_names %in% cn)) {
    X <- newdata[, coef_names, drop = FALSE]
  } else if (ncol(newdata) == p) {
    X <- newdata
    colnames(X) <- coef_names
  } else {
    stop("predict.gradglm: 'newdata' has ", ncol(newdata),
         " column(s) but the model was fitted with ", p, call. = FALSE)
  }
  if (is.null(rownames(X))) rownames(X) <- as.character(seq_len(nrow(X)))
  off <- list(...)$offset
  if (is.null(off)) {
    off <- rep(0, nrow(X))
  } else if (!is.numeric(off) || !(length(off) %in% c(1L, nrow(X)))) {
    stop("predict.gradglm: 'offset' must be numeric of length 1 or ",
         nrow(X), " (the rows of 'newdata')", call. = FALSE)
  } else {
    off <- rep_len(as.vector(off), nrow(X))
  }
  list(x = X, offset = off, na.action = NULL)
}

.pred_describe <- function(x) {
  if (is.matrix(x)) return(paste0("a ", typeof(x), " matrix"))
  paste0("an object of class '", class(x)[1L], "'")
}
