# The one constructor of fitted models: checks the parts every method relies
# on and sets the class.
new_gradglm <- function(x) {
  required <- c("coefficients", "aliased", "residuals", "fitted.values", "rank", "family",
                "linear.predictors", "deviance", "aic", "null.deviance", "iter", "weights",
                "prior.weights", "df.residual", "df.null", "converged", "loglik",
                "cov.unscaled", "dispersion", "optimizer", "trace", "control", "nobs")
  missing <- setdiff(required, names(x))
  if (length(missing)) stop("new_gradglm: missing part(s) ", quote_some(missing), call. = FALSE)
  stopifnot(is.numeric(x$coefficients), inherits(x$family, "family"),
            x$optimizer %in% c("exact", "newton", "gd", "lbfgs", "sgd", "adam"))
  cls <- if (isTRUE(x$distributional)) c("gradglm_dist", "gradglm") else "gradglm"
  x$distributional <- NULL
  structure(x, class = cls)
}
