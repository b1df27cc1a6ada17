# The one constructor of fitted models: checks the parts every method relies
# on and sets the one class, "gradglm". What kind of model a fit is, the
# methods learn from its `kind` ("glm": one mean with glm's deviance-based
# inference; "likelihood": several parameter blocks with Wald and
# likelihood-ratio inference), whether it has a `network` (then its
# coefficients are the network's weights) and its `blocks` (one per parameter block:
# name, parameter, link, title, outputs, coefficient positions and, for a fit
# from a formula, terms, xlevels and contrasts).
new_gradglm <- function(x) {
  if (!is.null(x$path)) {
    # a regularization path: coefficients over lambda, none of one fit's summaries
    missing <- setdiff(gradglm_parts(x), names(x))
    if (length(missing)) stop("new_gradglm: missing part(s) ", quote_some(missing), call. = FALSE)
    stopifnot(is.matrix(x$path$beta), length(x$path$lambda) == ncol(x$path$beta),
              nrow(x$path$beta) == length(x$coefficients))
    return(structure(x, class = "gradglm"))
  }
  missing <- setdiff(gradglm_parts(x), names(x))
  if (length(missing)) stop("new_gradglm: missing part(s) ", quote_some(missing), call. = FALSE)
  stopifnot(is.numeric(x$coefficients), inherits(x$family, "family"),
            x$optimizer %in% c("exact", "newton", "gd", "lbfgs", "sgd", "adam", "cd"),
            x$kind %in% c("glm", "likelihood"))
  if (!is.null(x$network)) {
    # a network: its weights, by layer; the blocks say which parameters it predicts
    stopifnot(length(x$coefficients) == x$network$n_weights,
              all(vapply(x$blocks, function(b) length(b$coef) == 0L, TRUE)))
  } else {
    at <- unlist(lapply(x$blocks, `[[`, "coef"), use.names = FALSE)
    stopifnot(identical(at, seq_along(x$coefficients)) || identical(sort(at), seq_along(x$coefficients)))
  }
  structure(x, class = "gradglm")
}

# the parts every fit has (and every method may rely on): a regularization
# path's, or one fit's
gradglm_parts <- function(x) {
  if (!is.null(x[["path"]])) {
    return(c("coefficients", "aliased", "path", "penalty", "family", "kind", "blocks", "nobs"))
  }
  c("coefficients", "aliased", "residuals", "fitted.values", "rank", "family",
    "linear.predictors", "deviance", "aic", "null.deviance", "iter", "weights",
    "prior.weights", "df.residual", "df.null", "converged", "loglik", "npar",
    "cov.unscaled", "dispersion", "optimizer", "trace", "control", "nobs", "kind", "blocks")
}

# The check every method makes of the fit it is given, so that a fit edited by
# hand (or damaged) stops with an error that says what is wrong, before any
# computation fails on it with an internal message (or gives a wrong answer).
# Cheap: the parts, the coefficients' type and their number against the
# model's parameters (its blocks' positions, a network's weights, a path's rows).
check_gradglm <- function(object, fun, arg = "object") {
  bad <- function(...) abort(fun, "'", arg, "' is not a valid gradglm fit: ", ...)
  if (!is.list(object)) bad("it is ", if (is.null(object)) "NULL" else paste("of type", typeof(object)), ", not a list")
  # the parts the constructor requires (but the trace, which the methods
  # can do without) and the model type; a point on a path, which the path's
  # methods make, has the parts of the path without `path` itself
  parts <- c("coefficients", "aliased", "family", "kind", "blocks", "lik_type")
  if (!isTRUE(object[["from_path"]])) parts <- union(parts, setdiff(gradglm_parts(object), "trace"))
  missing <- setdiff(parts, names(object))
  if (length(missing)) {
    bad("it has no ", quote_some(missing), " component", if (length(missing) > 1L) "s",
        " (was it edited by hand?)")
  }
  cf <- object$coefficients
  if (is.null(cf)) bad("its coefficients are NULL")
  if (!is.numeric(cf) || is.object(cf) || !is.null(dim(cf))) {
    bad("its coefficients must be a numeric vector, not ",
        if (is.object(cf)) paste(class(cf), collapse = "/") else if (!is.null(dim(cf))) "a matrix" else typeof(cf))
  }
  if (!inherits(object$family, "family")) bad("its 'family' is not a family object")
  if (!is.character(object$kind) || length(object$kind) != 1L || !object$kind %in% c("glm", "likelihood")) {
    bad("its 'kind' must be \"glm\" or \"likelihood\"")
  }
  if (!is.character(object$lik_type) || length(object$lik_type) != 1L || is.na(object$lik_type)) {
    bad("its 'lik_type' (the model type) must be one string")
  }
  blocks <- object$blocks
  if (!is.list(blocks) || !length(blocks) ||
      !all(vapply(blocks, function(b) is.list(b) && is.numeric(b$coef), NA))) {
    bad("its 'blocks' (the model's parameter blocks) are damaged")
  }
  if (!is.null(object[["network"]])) {
    p <- object[["network"]]$n_weights
    if (!is.numeric(p) || length(p) != 1L) bad("its 'network' has no number of weights")
    what <- " weights"
  } else {
    p <- length(unlist(lapply(blocks, `[[`, "coef"), use.names = FALSE))
    what <- " parameters"
  }
  if (length(cf) != p) {
    bad("its coefficients have length ", length(cf), ", the model has ", p, what)
  }
  if (length(object$aliased) != p) {
    bad("its 'aliased' has length ", length(object$aliased), ", the model has ", p, what)
  }
  if (!is.null(object[["path"]])) {
    beta <- object[["path"]]$beta
    if (!is.matrix(beta) || !is.numeric(beta) || nrow(beta) != p || ncol(beta) != length(object[["path"]]$lambda)) {
      bad("its path's coefficients must be a numeric matrix with one row per parameter (", p,
          ") and one column per lambda (", length(object[["path"]]$lambda), ")")
    }
  }
  invisible(object)
}

# the block of a fit that sets `parameter` ("mu", "sigma", "df", ...), or NULL
fit_block <- function(x, parameter) {
  for (b in x$blocks) if (identical(b$parameter, parameter)) return(b)
  NULL
}

# TRUE for a fit with glm's inference (one mean, a deviance and a dispersion)
is_glm_fit <- function(x) identical(x$kind, "glm")
