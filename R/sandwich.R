#' Robust (sandwich) covariance matrices of GLM fits
#'
#' For generalized linear models fitted by [gradglm()], the sandwich
#' package's estimators work as they work on glm fits:
#' `sandwich::vcovHC(fit)` (heteroskedasticity-consistent, types `"HC0"` to
#' `"HC4m"`), `sandwich::vcovCL(fit, cluster = ~ id)` (cluster-robust),
#' `sandwich::sandwich(fit)`, and through them `lmtest::coeftest(fit, vcov =
#' sandwich::vcovHC)` (z tests, as lmtest tests glm fits; give `df` for t
#' tests), `lmtest::coefci()` (z intervals likewise) and `lmtest::waldtest()`
#' (an F test by default, as for glm fits). gradglm gives sandwich the two parts it needs, as
#' sandwich defines them for glm fits:
#'
#' * `estfun()`: each row's contribution to the score, the working residual
#'   times the working weight times the row of the design matrix, over the
#'   dispersion (1 for the binomial, Poisson and negative binomial families;
#'   otherwise the weighted mean of the squared working residuals);
#' * `bread()`: the inverse of the Fisher information per observation, the
#'   unscaled covariance matrix `(X'WX)^-1` times the number of observations
#'   with positive weight times the same dispersion.
#'
#' The dispersion cancels in the sandwich. Aliased coefficients are left out,
#' as `coef(fit)` gives them `NA`. The methods are registered when the
#' sandwich package is loaded. They exist for unpenalised GLM fits from data
#' in memory; other fits give an error that says so.
#'
#' `sandwich::vcovBS()` (the bootstrap) and `sandwich::vcovJK()` (the
#' jackknife) refit such a fit as they refit glm fits, with sandwich's
#' method for glm: on rows of its design matrix, response, prior weights and
#' offset, here by [gradglm_fit()]. (sandwich's default method refits
#' through `update(fit, subset = )`, which numbers the rows of the data
#' given, so it drew the wrong rows of a fit that left some out through
#' `subset` or `na.action`.) Other fits are refused, as by the other
#' methods (sandwich's default method fails on them, and would resample the
#' wrong rows of a fit that left rows out).
#'
#' `sandwich::vcovCL()` with `type = "HC2"` or `"HC3"` gives glm's numbers,
#' with sandwich's warning that these types are "only applicable to
#' (generalized) linear regression models": sandwich gives it for every
#' class but `"lm"` and `"glm"`.
#'
#' @param x A `"gradglm"` fit.
#' @param ... Not used.
#' @return `estfun()`: a matrix with one row per row of the data and one
#'   column per estimable coefficient. `bread()`: a square matrix.
#' @examples
#' if (requireNamespace("sandwich", quietly = TRUE)) {
#'   fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
#'   sqrt(diag(sandwich::vcovHC(fit, type = "HC0")))  # robust standard errors
#' }
#' @name gradglm-sandwich
#' @usage
#' \method{estfun}{gradglm}(x, ...)
#'
#' \method{bread}{gradglm}(x, ...)
#'
#' \method{vcovBS}{gradglm}(x, ...)
#'
#' \method{coeftest}{gradglm}(x, vcov. = NULL, df = Inf, ...)
#'
#' \method{coefci}{gradglm}(x, parm = NULL, level = 0.95, vcov. = NULL, df = Inf, ...)
#'
#' \method{waldtest}{gradglm}(object, ..., test = c("F", "Chisq"))
NULL

# an unpenalised GLM fit from data in memory, with its design matrix at hand
.sandwich_applies <- function(x) {
  is_glm_fit(x) && !is_network_fit(x) && !is_source_fit(x) && is.null(x$penalty) && !is.null(x$weights) &&
    (!is.null(x$terms) || is.matrix(x$x))
}

# the parts shared by estfun() and bread(): the working weights times the
# working residuals, and the dispersion sandwich uses for glm fits
.sandwich_parts <- function(x, fun) {
  check_gradglm(x, fun, "x")
  if (!.sandwich_applies(x)) {
    abort(fun, "sandwich estimators are computed for unpenalised GLM fits from data in memory; this fit is ",
          describe_fit_kind(x))
  }
  w <- as.vector(weights.gradglm(x, type = "working"))
  wres <- as.vector(residuals.gradglm(x, type = "working")) * w
  dispersion <- if (.methods_fixed_dispersion(x$family)) 1 else sum(wres^2, na.rm = TRUE) / sum(w, na.rm = TRUE)
  list(wres = wres, dispersion = dispersion)
}

#' @rdname gradglm-sandwich
estfun.gradglm <- function(x, ...) {
  parts <- .sandwich_parts(x, "estfun.gradglm")
  X <- stats::naresid(x$na.action, model.matrix.gradglm(x))
  aliased <- is.na(x$coefficients)
  if (any(aliased)) X <- X[, !aliased, drop = FALSE]
  out <- parts$wres * X / parts$dispersion
  attr(out, "assign") <- NULL
  attr(out, "contrasts") <- NULL
  out
}

#' @rdname gradglm-sandwich
bread.gradglm <- function(x, ...) {
  parts <- .sandwich_parts(x, "bread.gradglm")
  s <- summary.gradglm(x)
  # (the observations with positive weight: the rank plus the residual degrees of freedom)
  s$cov.unscaled * (x$rank + x$df.residual) * parts$dispersion
}

#' @rdname gradglm-sandwich
vcovBS.gradglm <- function(x, ...) {
  check_gradglm(x, "vcovBS.gradglm", "x")
  if (!.sandwich_applies(x)) {
    # (sandwich's default method refits by update(x, subset = j), j numbering
    # the rows the fit used, in an environment of its own that the refit
    # does not see: it fails, and would resample the wrong rows of a fit
    # that left rows out)
    abort("vcovBS.gradglm", "the bootstrap and jackknife covariances are computed for unpenalised GLM fits from ",
          "data in memory; this fit is ", describe_fit_kind(x))
  }
  # sandwich's method for glm fits refits on rows j of the response, prior
  # weights, offset and design matrix by calling the fit's `method` with
  # glm.fit()'s arguments; here that refit is gradglm_fit()
  proxy <- x
  proxy$y <- .select_response(x)  # (recovered when the fit did not keep it)
  optimizer <- .methods_refit_optimizer(x)
  control <- .methods_refit_control(x)
  proxy$method <- function(x, y, weights = NULL, offset = NULL, family, start = NULL, ...) {
    if (!is.null(start)) start[is.na(start)] <- 0
    list(coefficients = gradglm_fit(x, y, weights = weights, offset = offset, family = family,
                                    optimizer = optimizer, control = control, start = start)$coefficients)
  }
  utils::getS3method("vcovBS", "glm", envir = asNamespace("sandwich"))(proxy, ...)
}

#' @rdname gradglm-sandwich
#' @param vcov.,df For `lmtest::coeftest()`: the covariance matrix (or a
#'   function computing it, such as `sandwich::vcovHC`) and the degrees of
#'   freedom of the tests: `Inf` (z tests) by default, as lmtest tests glm
#'   fits.
coeftest.gradglm <- function(x, vcov. = NULL, df = Inf, ...) {
  utils::getS3method("coeftest", "default", envir = asNamespace("lmtest"))(x, vcov. = vcov., df = df, ...)
}

#' @rdname gradglm-sandwich
#' @param parm,level For `lmtest::coefci()`: the coefficients and the
#'   confidence level of its Wald intervals (normal quantiles by default, as
#'   lmtest gives for glm fits).
coefci.gradglm <- function(x, parm = NULL, level = 0.95, vcov. = NULL, df = Inf, ...) {
  utils::getS3method("coefci", "default", envir = asNamespace("lmtest"))(x, parm = parm, level = level,
                                                                         vcov. = vcov., df = df, ...)
}

#' @rdname gradglm-sandwich
#' @param object,test For `lmtest::waldtest()`: the fit (then the models to
#'   compare with it) and the test, F by default as lmtest gives for glm fits.
waldtest.gradglm <- function(object, ..., test = c("F", "Chisq")) {
  test <- match.arg(test)
  utils::getS3method("waldtest", "default", envir = asNamespace("lmtest"))(object, ..., test = test)
}

# The methods for sandwich's generics and lmtest's coeftest(); called by .onLoad().
.register_sandwich <- function() {
  .register_s3_method("sandwich", "estfun", "gradglm", estfun.gradglm)
  .register_s3_method("sandwich", "bread", "gradglm", bread.gradglm)
  .register_s3_method("sandwich", "vcovBS", "gradglm", vcovBS.gradglm)
  .register_s3_method("lmtest", "coeftest", "gradglm", coeftest.gradglm)
  .register_s3_method("lmtest", "coefci", "gradglm", coefci.gradglm)
  .register_s3_method("lmtest", "waldtest", "gradglm", waldtest.gradglm)
  invisible(NULL)
}
