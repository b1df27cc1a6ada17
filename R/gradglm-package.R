#' gradglm: likelihood-based models fitted by exact, Newton and gradient methods
#'
#' gradglm fits generalized linear models by maximum likelihood behind a
#' formula interface modelled on [stats::glm()]. A C++ core computes the
#' loss (negative log-likelihood), its gradient and its curvature from the
#' linear predictor, and fits them in closed form, by Newton's method or by
#' gradient descent. Start with [gradglm()] and `vignette("getting-started",
#' package = "gradglm")`.
#'
#' @keywords internal
#' @useDynLib gradglm, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom cli cli_progress_bar
#' @importFrom stats gaussian binomial poisson coef vcov confint logLik nobs deviance
#'   df.residual fitted residuals model.frame model.matrix formula family terms update
#'   anova predict
"_PACKAGE"
