#' Leverages, standardised residuals and Cook's distances of a GLM fit
#'
#' The regression diagnostics of [stats::influence.measures()] for a
#' generalized linear model fitted by maximum likelihood, computed as
#' [stats::hatvalues()], [stats::rstandard()] and [stats::cooks.distance()]
#' compute them for the same `glm()` fit: the leverages are the diagonal of
#' the hat matrix of the working weights at the solution, and Cook's
#' distances and the standardised residuals use the fit's dispersion. Rows
#' of zero prior weight are left out, as glm leaves them out; with
#' `na.action = na.exclude` the rows left out for missing values are `NA`
#' (their leverage 0, as glm's).
#'
#' They exist for unpenalised GLM families (gaussian, binomial, poisson,
#' every link) fitted from data in memory; other fits (distributional,
#' multinomial, ordinal, networks, penalised fits, chunked sources) give an
#' error that says so.
#'
#' @param model A `"gradglm"` fit.
#' @param type For `rstandard()`: standardised `"deviance"` (the default, as
#'   glm's) or `"pearson"` residuals.
#' @param ... Not used.
#' @return A numeric vector with one value per row of the data with positive
#'   weight (named as the rows).
#' @examples
#' fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph, family = binomial())
#' head(hatvalues(fit))
#' head(rstandard(fit))
#' which.max(cooks.distance(fit))
#' @name gradglm-influence
NULL

# the measures of a fit, or an error naming the function
influence_or_stop <- function(model, fun) {
  infl <- .influence_measures(model, "deviance")
  if (is.null(infl)) {
    abort(fun, "leverages and Cook's distances are computed for unpenalised GLM fits (gaussian, binomial, ",
          "poisson) from data in memory; this fit is ", describe_fit_kind(model))
  }
  infl
}

describe_fit_kind <- function(model) {
  if (is_source_fit(model)) return("from a chunked source (its rows are not kept)")
  if (is_network_fit(model)) return("a network")
  if (!is.null(model$penalty)) return("penalised")
  if (!is_glm_fit(model)) return(paste0("a ", family(model)$family, " model, not a GLM"))
  "without the working weights of its rows"
}

# one value per row of positive prior weight (as stats::lm.influence() keeps
# them), named as the fitted values, padded for na.exclude
influence_rows <- function(model, v) {
  names(v) <- rownames(as.matrix(model$fitted.values))[seq_along(v)]
  pw <- model$prior.weights
  if (!is.null(pw) && length(pw) == length(v)) v <- v[pw != 0]
  if (inherits(model$na.action, "exclude")) stats::naresid(model$na.action, v) else v
}

#' @rdname gradglm-influence
#' @importFrom stats hatvalues
#' @export
hatvalues.gradglm <- function(model, ...) {
  check_gradglm(model, "hatvalues.gradglm", "model")
  h <- influence_rows(model, influence_or_stop(model, "hatvalues")$.hat)
  h[is.na(h)] <- 0  # (rows left out for missing values, as stats::lm.influence() gives them)
  h
}

#' @rdname gradglm-influence
#' @importFrom stats rstandard
#' @export
rstandard.gradglm <- function(model, type = c("deviance", "pearson"), ...) {
  check_gradglm(model, "rstandard.gradglm", "model")
  type <- match.arg(type)
  infl <- influence_or_stop(model, "rstandard")
  std <- if (type == "deviance") infl$.std.resid else .influence_measures(model, "pearson")$.std.resid
  influence_rows(model, std)
}

#' @rdname gradglm-influence
#' @importFrom stats cooks.distance
#' @export
cooks.distance.gradglm <- function(model, ...) {
  check_gradglm(model, "cooks.distance.gradglm", "model")
  influence_rows(model, influence_or_stop(model, "cooks.distance")$.cooksd)
}
