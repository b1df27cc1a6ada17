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
    missing <- setdiff(c("coefficients", "aliased", "path", "penalty", "family", "kind", "blocks", "nobs"), names(x))
    if (length(missing)) stop("new_gradglm: missing part(s) ", quote_some(missing), call. = FALSE)
    stopifnot(is.matrix(x$path$beta), length(x$path$lambda) == ncol(x$path$beta),
              nrow(x$path$beta) == length(x$coefficients))
    return(structure(x, class = "gradglm"))
  }
  required <- c("coefficients", "aliased", "residuals", "fitted.values", "rank", "family",
                "linear.predictors", "deviance", "aic", "null.deviance", "iter", "weights",
                "prior.weights", "df.residual", "df.null", "converged", "loglik", "npar",
                "cov.unscaled", "dispersion", "optimizer", "trace", "control", "nobs", "kind", "blocks")
  missing <- setdiff(required, names(x))
  if (length(missing)) stop("new_gradglm: missing part(s) ", quote_some(missing), call. = FALSE)
  stopifnot(is.numeric(x$coefficients), inherits(x$family, "family"),
            x$optimizer %in% c("exact", "newton", "gd", "lbfgs", "sgd", "adam", "cd"),
            x$kind %in% c("glm", "likelihood"))
  if (!is.null(x$network)) {
    # a network: its weights, by layer; the blocks say which parameters it predicts
    stopifnot(length(x$coefficients) == x$network$n_weights,
              all(vapply(x$blocks, function(b) length(b$coef) == 0L, TRUE)))
  } else {
    stopifnot(identical(sort(unlist(lapply(x$blocks, `[[`, "coef"), use.names = FALSE)),
                        seq_along(x$coefficients)))
  }
  structure(x, class = "gradglm")
}

# the block of a fit that sets `parameter` ("mu", "sigma", "df", ...), or NULL
fit_block <- function(x, parameter) {
  for (b in x$blocks) if (identical(b$parameter, parameter)) return(b)
  NULL
}

# TRUE for a fit with glm's inference (one mean, a deviance and a dispersion)
is_glm_fit <- function(x) identical(x$kind, "glm")
