# Location-scale families for distributional regression. Their codes extend
# the enum of src/family.h and are mirrored in `enum class ScaleDist` of
# src/scale_family.h: gaussian = 1, laplace = 4, student_t = 5.

scale_dist_codes <- c(gaussian = 1L, laplace = 4L, student_t = 5L)

# a family object in stats' format for a location model with an estimated scale
scale_family <- function(name, link, links, extra = list()) {
  fun <- name
  if (!is.character(link) || length(link) != 1L || is.na(link)) {
    abort(fun, "'link' must be a single string; available links: ", paste(links, collapse = ", "))
  }
  if (!link %in% links) {
    abort(fun, "link '", link, "' is not available for family '", name, "'; available links: ",
          paste(links, collapse = ", "))
  }
  lk <- stats::make.link(link)
  fam <- list(family = name, link = link, linkfun = lk$linkfun, linkinv = lk$linkinv,
              mu.eta = lk$mu.eta, valideta = lk$valideta,
              variance = function(mu) rep.int(1, length(mu)),
              validmu = function(mu) all(is.finite(mu)))
  structure(c(fam, extra), class = "family")
}

#' Laplace and Student-t families for robust regression
#'
#' Families with a location modelled by the linear predictor and a scale
#' estimated by maximum likelihood, for use with [gradglm()] (which also
#' takes a model for the scale, `sigma = ~ x`).
#'
#' * `laplace()`: density `exp(-|y - mu| / b) / (2 b)`, whose
#'   maximum-likelihood location is a (weighted) median regression: the
#'   absolute loss. Its scale `sigma` is `b` (the standard deviation is
#'   `sqrt(2) b`). Only the identity link is available for the location.
#' * `student_t()`: `y = mu + sigma * t_df`, heavier tails than the Gaussian
#'   for small `df`, approaching it as `df` grows. `df` is fixed when given
#'   and estimated (on the log scale) when `NULL`. The standard deviation is
#'   `sigma * sqrt(df / (df - 2))` for `df > 2`.
#'
#' The Gaussian family with an estimated `sigma` in the same sense is
#' `gaussian()` with a `sigma` formula in [gradglm()] (`sigma = ~ 1` for a
#' constant scale).
#'
#' @param link The link of the location: `"identity"` (and for `student_t()`
#'   also `"log"`).
#' @param df Degrees of freedom of the Student-t: a single positive number,
#'   or `NULL` to estimate them.
#' @return A family object (class `"family"`) for [gradglm()].
#' @seealso [gradglm()] and its `sigma` argument; `vignette("robust-regression")`.
#' @examples
#' fit_l <- gradglm(stack.loss ~ ., data = stackloss, family = laplace())
#' fit_t <- gradglm(stack.loss ~ ., data = stackloss, family = student_t(df = 4))
#' AIC(fit_l, fit_t)
#' @export
laplace <- function(link = "identity") {
  scale_family("laplace", link, "identity")
}

#' @rdname laplace
#' @export
student_t <- function(df = NULL, link = "identity") {
  if (!is.null(df)) {
    if (!is.numeric(df) || length(df) != 1L || is.na(df)) {
      abort("student_t", "'df' must be NULL (to estimate it) or a single positive number")
    }
    if (!(df > 0)) abort("student_t", "'df' must be positive; it is ", df)
    if (!is.finite(df)) abort("student_t", "'df' must be finite; for infinite df use gaussian()")
  }
  scale_family("student_t", link, c("identity", "log"), list(df = df))
}

# TRUE for the families that only exist as distributional models
is_scale_only_family <- function(family) family$family %in% c("laplace", "student_t")
