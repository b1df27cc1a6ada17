#' The structure of a GLM fit's design: its QR decomposition, aliases and
#' the coefficients of every factor level
#'
#' `qr()` gives the QR decomposition of the weighted design matrix at the
#' solution, `sqrt(w) * X` over the rows of positive weight, with `w` the
#' working weights, the decomposition glm's fit keeps as its `qr` component
#' (R's pivoting QR at glm's tolerance, `1e-11`, so that linearly dependent
#' columns come last, as glm orders them). `alias()` reports the aliased
#' coefficients as [stats::alias()] reports them for a glm fit: each as the
#' linear combination of the estimable ones that its column equals
#' (`Complete`), and with `partial = TRUE` the correlations of the estimable
#' coefficients (`Partial`, above the diagonal, from the unscaled covariance
#' matrix). `dummy.coef()` spreads the coefficients over every level of
#' every factor term, the baseline levels' as 0, as [stats::dummy.coef()]
#' does for lm and glm fits. `kappa()` estimates the condition number of
#' that weighted design from its QR decomposition's triangular factor, as
#' [base::kappa()] does for a glm fit (`exact = TRUE` for the exact 2-norm
#' condition number of the triangular factor). `effects()` gives the
#' orthogonal effects, as glm's fit keeps them: the working response at the
#' solution, weighted as the design, multiplied by the transpose of that QR
#' decomposition's orthogonal factor (named by the estimable coefficients,
#' then unnamed; one for each row of positive weight).
#'
#' They exist for GLM fits made by [gradglm()] with a formula from data in
#' memory (`qr()` and `alias()` also for penalised ones, whose design it is;
#' `dummy.coef()` for any GLM fit with a formula); other fits give an error
#' that says so.
#'
#' @param x,object A `"gradglm"` fit.
#' @param complete,partial For `alias()`: report the complete aliases, the
#'   partial ones (the correlations of the estimable coefficients).
#' @param use.na For `dummy.coef()`: give aliased coefficients as `NA`
#'   (`TRUE`) or as 0 (`FALSE`, the default), as [stats::dummy.coef()].
#' @param z For `kappa()`: a `"gradglm"` fit.
#' @param ... Not used; for `kappa()`, passed on to [base::kappa.qr()]
#'   (`exact`, `norm`).
#' @param set.sign For `effects()`: give the first effects (one for each
#'   estimable coefficient) the signs of their coefficients, as
#'   [stats::effects()] does for lm fits.
#' @return `qr()`: an object of class `"qr"`. `kappa()`: a number.
#'   `effects()`: a named numeric vector. `alias()`: a list of class
#'   `"listof"` with `Model` and, where there are any, `Complete` and
#'   `Partial`, printed as [stats::alias()] prints it. `dummy.coef()`: an
#'   object of class `"dummy_coef"` (a list with one numeric vector per term).
#' @examples
#' fit <- gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson())
#' dummy.coef(fit)
#' # a column that is the sum of two others is aliased
#' d <- transform(mtcars, both = wt + hp)
#' alias(gradglm(mpg ~ wt + hp + both, data = d))
#' @name gradglm-structure
NULL

# the fit's weighted design, or an error that names the function
.structure_design <- function(x, fun) {
  check_gradglm(x, fun, "x")
  if (!is_glm_fit(x) || is_network_fit(x) || is_source_fit(x) || is.null(x$weights) ||
      (is.null(x$terms) && !is.matrix(x$x))) {
    abort(fun, "the decomposition of the weighted design is computed for GLM fits from data in memory; ",
          "this fit is ", describe_fit_kind(x))
  }
  X <- model.matrix.gradglm(x)
  w <- x$weights
  keep <- !is.na(w) & w > 0
  X[keep, , drop = FALSE] * sqrt(w[keep])
}

# its QR decomposition, at glm.fit's tolerance at its default epsilon:
# min(1e-7, epsilon / 1000); the columns' names are those of `qr`
.structure_qr <- function(x, fun) qr(.structure_design(x, fun), tol = 1e-11)

#' @rdname gradglm-structure
#' @export
qr.gradglm <- function(x, ...) .structure_qr(x, "qr.gradglm")

#' @rdname gradglm-structure
#' @importFrom stats effects
#' @export
effects.gradglm <- function(object, set.sign = FALSE, ...) {
  fun <- "effects.gradglm"
  if (!is.logical(set.sign) || length(set.sign) != 1L || is.na(set.sign)) {
    abort(fun, "'set.sign' must be TRUE or FALSE")
  }
  decomp <- .structure_qr(object, fun)
  if (!is.null(object$penalty)) {
    abort(fun, "the effects are those of an unpenalised fit's least squares step; this fit is penalised")
  }
  # the working response of the last iteration at the solution,
  # z = eta - offset + (y - mu) / (d mu / d eta), weighted as the design
  w <- object$weights
  keep <- !is.na(w) & w > 0
  off <- if (is.null(object$offset)) 0 else object$offset
  z <- (object$linear.predictors - off + object$residuals)[keep]
  eff <- drop(qr.qty(decomp, z * sqrt(w[keep])))
  r <- decomp$rank
  names(eff) <- c(colnames(decomp$qr)[seq_len(r)], rep.int("", length(eff) - r))
  if (set.sign) {
    # (as effects.lm: the first effects take the signs of their coefficients)
    b <- object$coefficients[names(eff)[seq_len(r)]]
    eff[seq_len(r)] <- sign(b) * abs(eff[seq_len(r)])
  }
  eff
}

#' @rdname gradglm-structure
#' @export
kappa.gradglm <- function(z, ...) {
  # (as base's kappa.lm: the condition number of the QR's triangular factor)
  kappa.qr(qr.gradglm(z), ...)
}

#' @rdname gradglm-structure
#' @importFrom stats alias
#' @export
alias.gradglm <- function(object, complete = TRUE, partial = FALSE, ...) {
  fun <- "alias.gradglm"
  for (arg in c("complete", "partial")) {
    v <- get(arg)
    if (!is.logical(v) || length(v) != 1L || is.na(v)) abort(fun, "'", arg, "' must be TRUE or FALSE")
  }
  decomp <- .structure_qr(object, fun)
  out <- list(Model = stats::formula(object))
  attributes(out$Model) <- NULL
  p <- ncol(decomp$qr)
  r <- decomp$rank
  # (the columns in the decomposition's pivoted order: the estimable ones first)
  cn <- colnames(decomp$qr)
  est <- cn[seq_len(r)]
  if (complete && r < p) {
    # each aliased column as the combination of the estimable ones: the
    # solve of R11 b = R12, zeroed below 1e-6 and shown as fractions (as
    # alias() shows glm's)
    R <- qr.R(decomp)
    b <- backsolve(R[seq_len(r), seq_len(r), drop = FALSE], R[seq_len(r), -seq_len(r), drop = FALSE])
    b <- t(matrix(b, r, dimnames = list(est, cn[-seq_len(r)])))
    b[abs(b) < 1e-6] <- 0
    out$Complete <- if (requireNamespace("MASS", quietly = TRUE)) MASS::fractions(b) else b
  }
  if (partial) {
    # the correlations of the estimable coefficients, above the diagonal
    v <- chol2inv(qr.R(decomp)[seq_len(r), seq_len(r), drop = FALSE])
    s <- sqrt(diag(v))
    cc <- v / outer(s, s)
    dimnames(cc) <- list(est, est)
    cc[row(cc) >= col(cc)] <- 0
    cc[abs(cc) < 1e-6] <- 0
    if (any(cc != 0)) out$Partial <- cc
  }
  class(out) <- "listof"
  out
}

#' @rdname gradglm-structure
#' @importFrom stats dummy.coef
#' @export
dummy.coef.gradglm <- function(object, use.na = FALSE, ...) {
  fun <- "dummy.coef.gradglm"
  check_gradglm(object, fun)
  if (!is_glm_fit(object) || is_network_fit(object) || is.null(object$terms)) {
    abort(fun, "the coefficients of every factor level are given for GLM fits made by gradglm() with a formula; ",
          "this fit is ", describe_fit_kind(object))
  }
  # lm's method reads the terms, contrasts, factor levels and coefficients,
  # which a GLM fit keeps as glm's does
  utils::getS3method("dummy.coef", "lm")(object, use.na = use.na, ...)
}
