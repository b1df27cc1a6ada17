#' @include path.R
NULL

# Methods of a regularization path: print (as glmnet prints), coefficients
# and predictions at any lambda (linear interpolation between the fitted
# ones, as glmnet), and the plot of the coefficients along the path.

.path_print <- function(x, digits) {
  if (!is.null(x$call)) cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  p <- x$path
  fam <- x$family
  what <- penalty_title(x$penalty, p$alpha)
  cat("\nFamily: ", fam$family, " (link: ", fam$link, ")   Penalty: ", what,
      if (x$penalty$standardize) " on standardized columns" else "", "\n", sep = "")
  cat("Regularization path: ", length(p$lambda), " lambdas, ", x$iter, " coordinate-descent sweeps\n\n", sep = "")
  tab <- data.frame(Df = p$df, check.names = FALSE)
  if (!is.null(p$dev.ratio)) {
    tab[["%Dev"]] <- round(100 * p$dev.ratio, 2)
  } else {
    tab[["logLik"]] <- signif(p$loglik, digits + 2L)
  }
  tab$Lambda <- signif(p$lambda, digits + 1L)
  rownames(tab) <- seq_len(nrow(tab))
  print(tab)
  invisible(x)
}

# coefficients at the lambdas s: a matrix, one column per value
.path_coef_at <- function(path, s) {
  lam <- path$lambda
  B <- path$beta
  L <- length(lam)
  out <- vapply(s, function(v) {
    if (v >= lam[1L]) return(B[, 1L])
    if (v <= lam[L]) return(B[, L])
    i <- max(which(lam >= v))
    f <- (v - lam[i + 1L]) / (lam[i] - lam[i + 1L])
    f * B[, i] + (1 - f) * B[, i + 1L]
  }, numeric(nrow(B)))
  out <- matrix(out, nrow(B), dimnames = list(rownames(B), paste0("lambda=", format(signif(s, 4)))))
  out
}

.path_check_lambda <- function(lambda, fun) {
  if (!is.numeric(lambda) || !length(lambda) || anyNA(lambda) || any(lambda < 0) || any(!is.finite(lambda))) {
    abort(fun, "'lambda' must be non-negative numbers")
  }
  invisible(TRUE)
}

# the path seen as a single fit at one lambda s (or at its j-th lambda):
# its coefficients and, for a GLM family, its deviance (for predictions and
# held-out evaluation; the Gaussian scale is the ML one, deviance / nobs)
.path_point <- function(x, s, j = NULL) {
  p <- x$path
  at <- function(v) {
    if (is.null(v)) return(NULL)
    if (!is.null(j)) return(v[j])
    if (length(v) == 1L) return(v)
    stats::approx(p$lambda, v, xout = s, rule = 2, ties = "ordered")$y
  }
  x$coefficients <- if (is.null(j)) .path_coef_at(p, s)[, 1L] else p$beta[, j]
  x$deviance <- at(p$deviance)
  x$loglik <- at(p$loglik)
  # a Student-t's degrees of freedom: fixed, or estimated as log(df)
  if ("log(df)" %in% names(x$coefficients)) {
    x$df <- exp(x$coefficients[["log(df)"]])
  } else if (!is.null(x$df_fixed)) {
    x$df <- x$df_fixed
  }
  x$path <- NULL
  x$from_path <- TRUE  # (for check_gradglm(): a point on a path has the path's parts, not a fit's)
  x
}

.path_predict <- function(object, newdata, lambda, type, ...) {
  fun <- "predict.gradglm"
  if (is.null(lambda)) lambda <- object$path$lambda
  .path_check_lambda(lambda, fun)
  if (!is_glm_fit(object)) {
    if (length(lambda) != 1L) abort(fun, "give one 'lambda' for the predictions of this model")
    if (is.null(newdata)) abort(fun, "give 'newdata' for the predictions of a path of this model")
    m <- type_methods(object)
    type <- if (is.null(type)) m$predict_types[1L] else .pick_type(type, m$predict_types, fun, aliases = predict_aliases)
    return(m$predict(.path_point(object, lambda), newdata = newdata, type = type, se.fit = FALSE, ...))
  }
  type <- if (is.null(type)) "link" else .pick_type(type, c("link", "response", "class"), fun)
  if (type == "class" && !identical(family_row(object$family)$outcome, "binary")) {
    abort(fun, "type = \"class\" is for binomial and quasibinomial fits")
  }
  if (is.null(newdata)) {
    X <- .pred_fitted_design(object)
    off <- if (is.null(object$offset)) 0 else object$offset
    na_act <- object$na.action
  } else {
    design <- .pred_new_design(object, newdata, stats::na.pass, ...)
    X <- design$x
    off <- design$offset
    na_act <- design$na.action
  }
  B <- .path_coef_at(object$path, lambda)
  eta <- as.matrix(X) %*% B + off
  out <- switch(type, link = eta, response = object$family$linkinv(eta),
                class = ifelse(eta > 0, 1, 0))
  dim(out) <- dim(eta)
  dimnames(out) <- list(rownames(X), colnames(B))
  if (ncol(out) == 1L) out <- stats::setNames(out[, 1L], rownames(X))
  stats::napredict(na_act, out)
}

# What the path plot shows, for plot() and autoplot(): the penalised
# coefficients `B` (a row per coefficient, a column per lambda) against `h`
# (log lambda, the L1 norm or the deviance explained), the number of
# non-zero coefficients at each lambda, the positions (indices of `h`) of
# those counts on the top axis and the x label.
.plot_path_data <- function(x, xvar = c("lambda", "norm", "dev"), fun = "plot.gradglm") {
  xvar <- .pick_arg(xvar, .plot_xvar, "xvar", fun)
  p <- x$path
  # the coefficients df counts: those of the penalised blocks but the
  # intercepts, unpenalised ones (factor 0) too, as glmnet plots them
  keep <- p$var > 0
  B <- p$beta[keep, , drop = FALSE]
  h <- switch(xvar,
    lambda = log(p$lambda),
    norm = colSums(abs(B)),
    dev = {
      if (is.null(p$dev.ratio)) abort(fun, "xvar = \"dev\" is for GLM families")
      p$dev.ratio
    })
  at <- pretty(seq_along(h), 6L)
  at <- at[at >= 1 & at <= length(h)]
  list(h = h, B = B, df = p$df, at = at, xvar = xvar,
       xlab = switch(xvar, lambda = "log(lambda)", norm = "L1 norm", dev = "Fraction of deviance explained"),
       ylab = "Coefficients", top = "non-zero coefficients",
       col = grDevices::hcl.colors(max(2L, nrow(B)), "Dark 3")[seq_len(nrow(B))])
}

#' Plot the coefficients along a regularization path
#'
#' @param x A path fitted by [gradglm()] with a penalty and `lambda = NULL`.
#' @param xvar What goes along the horizontal axis: `"lambda"` (log lambda),
#'   `"norm"` (the L1 norm of the penalised coefficients) or `"dev"` (the
#'   fraction of deviance explained, GLM families).
#' @param label Label each curve with its coefficient's name.
#' @param ... Graphical parameters for [graphics::matplot()].
#' @noRd
.plot_path <- function(x, xvar = c("lambda", "norm", "dev"), label = TRUE, ...) {
  d <- .plot_path_data(x, xvar)
  h <- d$h
  B <- d$B
  at <- d$at
  graphics::matplot(h, t(B), type = "l", lty = 1, xlab = d$xlab, ylab = d$ylab,
                    col = d$col, ...)
  graphics::abline(h = 0, col = "grey70", lty = 3)
  graphics::axis(3, at = h[at], labels = d$df[at], cex.axis = 0.8, tick = FALSE, line = -0.5)
  graphics::mtext(d$top, side = 3, line = 1.3, cex = 0.8)
  if (label) {
    last <- B[, ncol(B)]
    lab <- last != 0
    if (any(lab)) {
      graphics::text(h[length(h)], last[lab], rownames(B)[lab], pos = if (d$xvar == "lambda") 2 else 4,
                     cex = 0.7, xpd = TRUE)
    }
  }
  invisible(x)
}
