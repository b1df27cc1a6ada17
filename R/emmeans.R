#' Estimated marginal means of GLM fits (emmeans)
#'
#' The emmeans package's `emmeans()`, `contrast()`, `pairs()` and
#' `emtrends()` work on GLM fits made by [gradglm()] with a formula as they
#' work on glm fits: gradglm gives emmeans the data of the fit (the call's
#' `data`, through the model's terms) and the basis of its predictions (the
#' model matrix of the reference grid, the coefficients and their
#' covariance matrix, the link for `type = "response"`). The degrees of
#' freedom are emmeans' for glm fits: the residual ones for the gaussian and
#' Gamma families, infinite (z) otherwise. emmeans' `vcov.` argument (a
#' covariance matrix, or a function of the fit such as `sandwich::vcovHC`)
#' replaces the fit's covariance matrix, as for glm fits. The methods are registered when
#' emmeans is loaded. They exist for unpenalised GLM fits from data in memory
#' with a formula; other fits give an error that says so.
#'
#' @param object A `"gradglm"` fit.
#' @param trms,xlev,grid The terms, factor levels and reference grid that
#'   emmeans gives.
#' @param ... Passed on by emmeans.
#' @return `recover_data()`: the data of the fit, as emmeans needs it.
#'   `emm_basis()`: the list emmeans needs (`X`, `bhat`, `nbasis`, `V`,
#'   `dffun`, `dfargs`, `misc`).
#' @examples
#' if (requireNamespace("emmeans", quietly = TRUE)) {
#'   fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
#'   emmeans::emmeans(fit, ~ tension, type = "response")
#' }
#' @name gradglm-emmeans
#' @usage
#' \method{recover_data}{gradglm}(object, ...)
#'
#' \method{emm_basis}{gradglm}(object, trms, xlev, grid, ...)
NULL

.emmeans_check <- function(object, fun) {
  check_gradglm(object, fun, "object")
  if (!is_glm_fit(object) || is_network_fit(object) || is_source_fit(object) || !is.null(object$penalty) ||
      is.null(object$terms) || is.null(object$call)) {
    abort(fun, "estimated marginal means are computed for unpenalised GLM fits from data in memory made by ",
          "gradglm() with a formula; this fit is ", describe_fit_kind(object))
  }
  invisible(TRUE)
}

#' @rdname gradglm-emmeans
recover_data.gradglm <- function(object, ...) {
  .emmeans_check(object, "recover_data.gradglm")
  # (emmeans' method for a call: the data the call names, with the model's variables)
  emmeans::recover_data(object$call, stats::delete.response(stats::terms(object)), object$na.action,
                        frame = object$model, pwts = weights.gradglm(object), ...)
}

#' @rdname gradglm-emmeans
emm_basis.gradglm <- function(object, trms, xlev, grid, ...) {
  .emmeans_check(object, "emm_basis.gradglm")
  bhat <- object$coefficients
  frame <- suppressWarnings(stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev))
  X <- stats::model.matrix(trms, frame, contrasts.arg = object$contrasts)[, names(bhat), drop = FALSE]
  aliased <- is.na(bhat)
  # (the combinations of the coefficients that the data do not determine, when some are aliased)
  nbasis <- if (any(aliased)) estimability::nonest.basis(qr.gradglm(object)) else estimability::all.estble
  df <- if (object$family$family %in% c("gaussian", "Gamma")) object$df.residual else Inf
  # (emmeans' `vcov.`, a matrix or a function of the fit such as sandwich::vcovHC, as for glm fits)
  V <- if (!"vcov." %in% names(list(...))) vcov.gradglm(object, complete = FALSE) else emmeans::.my.vcov(object, ...)
  misc <- emmeans::.std.link.labels(object$family, list())
  # (emmeans reads "binomial" in the family's name as probabilities)
  if (identical(object$family$family, "negative_binomial") && !is.null(misc$inv.lbl)) misc$inv.lbl <- "response"
  list(X = X, bhat = as.numeric(bhat), nbasis = nbasis, V = V,
       dffun = function(k, dfargs) dfargs$df, dfargs = list(df = df), misc = misc)
}

# The methods for emmeans' generics; called by .onLoad().
.register_emmeans <- function() {
  .register_s3_method("emmeans", "recover_data", "gradglm", recover_data.gradglm)
  .register_s3_method("emmeans", "emm_basis", "gradglm", emm_basis.gradglm)
  invisible(NULL)
}
