#' Leverages, residuals and influence of the rows of a GLM fit
#'
#' The regression diagnostics of a generalized linear model fitted by
#' maximum likelihood, computed as [stats::hatvalues()],
#' [stats::rstandard()], [stats::rstudent()],
#' [stats::cooks.distance()], [stats::dfbeta()], [stats::dfbetas()] and
#' [stats::influence()] (as [stats::lm.influence()]) compute them for the
#' same `glm()` fit: the leverages are the diagonal of
#' the hat matrix of the working weights at the solution, and Cook's
#' distances and the standardised residuals use the fit's dispersion;
#' `rstudent()` gives glm's approximate studentized deletion residuals and
#' `dfbeta()` glm's approximate change of the coefficients when a row is
#' left out (the least-squares formula on the weighted design with the
#' deviance residuals; `dfbetas()` scaled by the row-deleted residual scale
#' and the coefficients' unscaled standard errors). Rows
#' of zero prior weight are left out, as glm leaves them out; with
#' `na.action = na.exclude` the rows left out for missing values are `NA`
#' (their leverage 0, as glm's).
#'
#' They exist for unpenalised GLM families (gaussian, binomial, poisson,
#' every link) fitted from data in memory; other fits (distributional,
#' multinomial, ordinal, networks, penalised fits, chunked sources) give an
#' error that says so.
#'
#' [stats::influence.measures()], [stats::covratio()] and, by default,
#' [stats::dffits()] read the QR decomposition that a glm fit keeps as its
#' `qr` component. A gradglm fit does not keep one (it would be a copy of
#' the weighted design, as large as the data), so they stop with stats'
#' message about a missing `qr` component. `dffits(fit, infl = influence(fit))`
#' gives glm's values, and [qr()][qr.gradglm()] computes the decomposition
#' when it is wanted.
#'
#' @param model A `"gradglm"` fit.
#' @param type For `rstandard()`: standardised `"deviance"` (the default, as
#'   glm's) or `"pearson"` residuals.
#' @param do.coef For `influence()`: compute the coefficients' changes
#'   (`coefficients`)?
#' @param dispersion For `cooks.distance()`: the dispersion by which the
#'   distances are scaled; `NULL` (the default) takes the fit's, as
#'   [summary()][summary.gradglm()] gives it.
#' @param ... Not used.
#' @return A numeric vector with one value per row of the data with positive
#'   weight (named as the rows); for `dfbeta()` and `dfbetas()` a matrix
#'   with a row per such row and a column per coefficient (aliased ones left
#'   out); for `influence()` the list of [stats::lm.influence()] for glm:
#'   `hat`, `coefficients`, `sigma`, `dev.res` and `pear.res`.
#' @examples
#' fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph, family = binomial())
#' head(hatvalues(fit))
#' head(rstandard(fit))
#' which.max(cooks.distance(fit))
#' head(rstudent(fit))
#' head(dfbetas(fit)[, 1:3])
#' head(dffits(fit, infl = influence(fit)))
#' @name gradglm-influence
NULL

# the measures of a fit, or an error naming the function
influence_or_stop <- function(model, fun, coefficients = FALSE) {
  infl <- .influence_measures(model, "deviance", coefficients)
  if (is.null(infl)) {
    abort(fun, "leverages and influence measures are computed for unpenalised GLM fits from data in memory; ",
          "this fit is ", describe_fit_kind(model))
  }
  infl
}

describe_fit_kind <- function(model) {
  if (is_source_fit(model)) return("from a chunked source (its rows are not kept)")
  if (is_network_fit(model)) return("a network")
  if (!is.null(model$penalty)) return("penalised")
  if (!is_glm_fit(model)) {
    if (isTRUE(startsWith(as.character(model$lik_type)[1L], "multi_"))) return("a model of several responses, not a GLM")
    return(paste0("a ", family(model)$family, " model, not a GLM"))
  }
  if (is.null(model$terms) && !is.matrix(model$x)) {
    return("from gradglm_fit(), which keeps no design matrix (fit it with gradglm() and a formula)")
  }
  "without the working weights of its rows"
}

# one value per row of positive prior weight (as stats::lm.influence() keeps
# them), named as the fitted values, padded for na.exclude
influence_rows <- function(model, v) {
  force(v)  # (first: its error says which fits have no measures, before the names are looked for)
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
  type <- if (missing(type)) "deviance" else .pick_type(type, c("deviance", "pearson"), "rstandard.gradglm")
  infl <- influence_or_stop(model, "rstandard")
  std <- if (type == "deviance") infl$.std.resid else .influence_measures(model, "pearson")$.std.resid
  influence_rows(model, std)
}

#' @rdname gradglm-influence
#' @importFrom stats cooks.distance
#' @export
cooks.distance.gradglm <- function(model, dispersion = NULL, ...) {
  check_gradglm(model, "cooks.distance.gradglm", "model")
  d <- influence_or_stop(model, "cooks.distance")$.cooksd
  if (!is.null(dispersion)) {
    if (!is.numeric(dispersion) || length(dispersion) != 1L || is.na(dispersion) || !(dispersion > 0) ||
        !is.finite(dispersion)) {
      abort("cooks.distance.gradglm", "'dispersion' must be a single positive number")
    }
    # (the distances are inversely proportional to the dispersion)
    d <- d * .methods_dispersion(model) / dispersion
  }
  influence_rows(model, d)
}

# a matrix with one row per row of the data, kept and padded as influence_rows() keeps vectors
influence_matrix_rows <- function(model, m) {
  force(m)
  rownames(m) <- rownames(as.matrix(model$fitted.values))[seq_len(nrow(m))]
  pw <- model$prior.weights
  if (!is.null(pw) && length(pw) == nrow(m)) m <- m[pw != 0, , drop = FALSE]
  if (inherits(model$na.action, "exclude")) stats::naresid(model$na.action, m) else m
}

#' @rdname gradglm-influence
#' @importFrom stats influence
#' @export
influence.gradglm <- function(model, do.coef = TRUE, ...) {
  check_gradglm(model, "influence.gradglm", "model")
  infl <- influence_or_stop(model, "influence", coefficients = isTRUE(do.coef))
  # (rows left out for missing values, as lm.influence() gives them: no
  # leverage, no change of the coefficients, the whole fit's residual scale)
  out <- list(hat = influence_rows(model, infl$.hat))
  out$hat[is.na(out$hat)] <- 0
  if (isTRUE(do.coef)) out$coefficients <- dfbeta.gradglm(model)
  out$sigma <- influence_rows(model, infl$.sigma)
  out$sigma[is.na(out$sigma)] <- sqrt(model$deviance / model$df.residual)
  out$dev.res <- influence_rows(model, infl$.dev.res)
  out$pear.res <- influence_rows(model, infl$.pear.res)
  out
}

#' @rdname gradglm-influence
#' @importFrom stats rstudent
#' @export
rstudent.gradglm <- function(model, ...) {
  check_gradglm(model, "rstudent.gradglm", "model")
  infl <- influence_or_stop(model, "rstudent")
  h <- infl$.hat
  r <- infl$.dev.res
  r <- sign(r) * sqrt(r^2 + h * infl$.pear.res^2 / (1 - h))
  r[is.infinite(r)] <- NaN
  # (glm's rule: binomial and poisson residuals are not scaled by the row-deleted
  # residual scale, all others are, the negative binomial's too, as for glm.nb())
  if (!model$family$family %in% c("binomial", "poisson")) r <- r / infl$.sigma
  influence_rows(model, r)
}

#' @rdname gradglm-influence
#' @importFrom stats dfbeta
#' @export
dfbeta.gradglm <- function(model, ...) {
  check_gradglm(model, "dfbeta.gradglm", "model")
  m <- influence_matrix_rows(model, influence_or_stop(model, "dfbeta", coefficients = TRUE)$.coefficients)
  m[is.na(m)] <- 0  # (rows left out for missing values change nothing)
  m
}

#' @rdname gradglm-influence
#' @importFrom stats dfbetas
#' @export
dfbetas.gradglm <- function(model, ...) {
  check_gradglm(model, "dfbetas.gradglm", "model")
  infl <- influence_or_stop(model, "dfbetas", coefficients = TRUE)
  m <- influence_matrix_rows(model, infl$.coefficients / outer(infl$.sigma, sqrt(diag(infl$.xtwx_inv))))
  m[is.na(m)] <- 0
  m
}
