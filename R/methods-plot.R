# plot() for gradglm fits: the training curve, residuals against fitted values,
# a normal Q-Q plot and, for a single numeric predictor, the fitted mean curve.

.plot_choices <- c("loss", "residuals", "qq", "fit")

#' Diagnostic plots for a gradglm fit
#'
#' Draws, with base graphics, one or more plots of a fitted [gradglm()] model:
#' its training curve, residuals, a normal Q-Q plot and the fitted mean curve.
#'
#' The plots, chosen with `which`:
#'
#' * `"loss"`: the training curve. The loss (half the deviance per unit of
#'   prior weight) and the Euclidean norm of its gradient against the
#'   iteration, on two y axes (left: loss, right: gradient norm), each on a
#'   log scale when all its values are positive. For the `"exact"` optimizer
#'   the trace has a single row, shown as one point, and the title says
#'   "closed form".
#' * `"residuals"`: deviance (or Pearson) residuals against the fitted values
#'   (or the linear predictor), with a zero line and a [stats::lowess()]
#'   smooth.
#' * `"qq"`: a normal Q-Q plot of the standardized deviance residuals
#'   (deviance residuals divided by `sqrt(dispersion * (1 - h))`, `h` the
#'   leverages), with [stats::qqline()].
#' * `"fit"`: for a model with a single numeric predictor only, the data (the
#'   response, or the observed proportion for a binomial model) against the
#'   predictor, with the fitted mean curve evaluated on a grid by
#'   [predict.gradglm()] with `type = "response"`.
#'
#' When `which` is left at its default, all plots that apply to the model are
#' drawn: `"loss"` is skipped when the fit kept no trace and `"fit"` when the
#' model does not have a single numeric predictor. Asking for one of them
#' explicitly in such a case is an error.
#'
#' @param x A fitted object of class `"gradglm"`.
#' @param which Which plots to draw: one or more of `"loss"`, `"residuals"`,
#'   `"qq"` and `"fit"` (or their numbers, 1 to 4).
#' @param ask Logical: ask before each new page? The default asks when
#'   several plots are drawn on an interactive device that shows one at a time.
#' @param residual_type The residuals of the `"residuals"` plot: `"deviance"`
#'   (the default) or `"pearson"`.
#' @param against The x axis of the `"residuals"` plot: `"fitted"` values (the
#'   default) or the `"link"` (the linear predictor).
#' @param ... Further graphical parameters passed to the main plotting call of
#'   each plot (for example `main`, `col`, `pch`, `cex`).
#'
#' @return `x`, invisibly.
#' @seealso [gradglm()], [predict.gradglm()], [graphics::plot()]
#' @examples
#' fit <- gradglm(dist ~ speed, data = cars)
#' plot(fit, which = "fit")
#'
#' # the training curve of gradient descent
#' fit_gd <- gradglm(dist ~ speed, data = cars, optimizer = "gd")
#' plot(fit_gd, which = "loss")
#'
#' pfit <- gradglm(breaks ~ wool + tension, data = warpbreaks,
#'                 family = poisson())
#' op <- par(mfrow = c(2, 2))
#' plot(pfit)
#' par(op)
#' @importFrom graphics par
#' @importFrom grDevices dev.interactive
#' @export
plot.gradglm <- function(x, which = c("loss", "residuals", "qq", "fit"),
                         ask = prod(par("mfcol")) < length(which) &&
                           dev.interactive(),
                         residual_type = c("deviance", "pearson"),
                         against = c("fitted", "link"), ...) {
  explicit <- !missing(which)
  which <- .plot_which(which)
  residual_type <- match.arg(residual_type)
  against <- match.arg(against)
  if (!explicit) {
    # the defaults: everything that applies to this model
    if (!.plot_has_trace(x)) which <- setdiff(which, "loss")
    if (is.null(.plot_single_predictor(x))) which <- setdiff(which, "fit")
  }
  if (isTRUE(ask) && length(which) > 1L) {
    old_ask <- grDevices::devAskNewPage(TRUE)
    on.exit(grDevices::devAskNewPage(old_ask), add = TRUE)
  }
  for (w in which) {
    switch(w,
      loss = .plot_loss(x, ...),
      residuals = .plot_residuals(x, residual_type, against, ...),
      qq = .plot_qq(x, ...),
      fit = .plot_fit(x, ...)
    )
  }
  invisible(x)
}

# Validate `which`: names (partially matched) or numbers 1-4.
.plot_which <- function(which) {
  choices <- .plot_choices
  bad <- function() {
    stop("plot.gradglm: 'which' must be one or more of ",
         paste0("\"", choices, "\"", collapse = ", "), call. = FALSE)
  }
  if (length(which) == 0L || anyNA(which)) bad()
  if (is.numeric(which)) {
    if (any(which != round(which)) || any(which < 1 | which > length(choices))) {
      bad()
    }
    return(unique(choices[which]))
  }
  if (!is.character(which)) bad()
  idx <- pmatch(which, choices, duplicates.ok = TRUE)
  if (anyNA(idx)) bad()
  unique(choices[idx])
}

# Merge default plotting arguments with the user's (the user's win).
.plot_call <- function(fun, defaults, dots) {
  args <- defaults
  nms <- names(dots)
  if (is.null(nms)) nms <- character(length(dots))
  dots <- dots[nzchar(nms)]
  args[names(dots)] <- dots
  do.call(fun, args)
}

.plot_has_trace <- function(x) {
  tr <- x$trace
  is.data.frame(tr) && nrow(tr) > 0L && all(c("iter", "loss") %in% names(tr))
}

# y on a log axis only when every finite value is positive.
.plot_log_ok <- function(v) {
  v <- v[is.finite(v)]
  length(v) > 0L && all(v > 0)
}

.plot_loss_title <- function(x) {
  opt <- if (!is.null(x$optimizer)) x$optimizer else "unknown"
  if (identical(opt, "exact")) return("Training curve (closed form)")
  n <- if (is.numeric(x$iter) && length(x$iter) == 1L) x$iter else
    max(x$trace$iter)
  paste0("Training curve (", opt, ", ", n, " iteration", if (n != 1L) "s", ")")
}

.plot_loss <- function(x, ...) {
  if (!.plot_has_trace(x)) {
    stop("plot.gradglm: 'which = \"loss\"' needs the training trace, which ",
         "this fit did not keep; refit with gradglm_control(trace = TRUE)",
         call. = FALSE)
  }
  tr <- x$trace
  iter <- tr$iter
  loss <- tr$loss
  gnorm <- if (!is.null(tr$grad_norm)) tr$grad_norm else rep(NA_real_, nrow(tr))
  opt <- if (!is.null(x$optimizer)) x$optimizer else "unknown"
  closed <- identical(opt, "exact") || nrow(tr) == 1L
  main <- .plot_loss_title(x)
  col_loss <- "black"
  col_grad <- "firebrick"
  type <- if (closed) "p" else if (nrow(tr) > 50L) "l" else "o"
  loss_log <- .plot_log_ok(loss)
  grad_log <- .plot_log_ok(gnorm)

  old_mar <- graphics::par("mar")
  on.exit(graphics::par(mar = old_mar), add = TRUE)
  graphics::par(mar = pmax(old_mar, c(0, 0, 0, 4.1)))

  xlim <- range(iter, finite = TRUE)
  if (diff(xlim) == 0) xlim <- xlim + c(-1, 1)
  dots <- list(...)
  .plot_call(graphics::plot, list(
    x = iter, y = loss, type = type, pch = 19, cex = if (closed) 1.5 else 0.5,
    col = col_loss, log = if (loss_log) "y" else "", xlim = xlim,
    xlab = "iteration", ylab = "loss (deviance / 2 per unit weight)",
    main = main), dots)

  has_grad <- any(is.finite(gnorm))
  if (has_grad) {
    graphics::par(new = TRUE)
    gy <- gnorm
    ylim <- range(gy[is.finite(gy) & (!grad_log | gy > 0)])
    if (diff(ylim) == 0) {
      ylim <- if (grad_log) ylim * c(0.5, 2) else ylim + c(-1, 1)
    }
    graphics::plot(iter, gy, type = type, pch = 17,
                   cex = if (closed) 1.5 else 0.5, col = col_grad,
                   lty = 2, log = if (grad_log) "y" else "", xlim = xlim,
                   ylim = ylim, axes = FALSE, xlab = "", ylab = "")
    graphics::axis(4, col.axis = col_grad, col = col_grad)
    graphics::mtext("gradient norm", side = 4, line = 2.5, col = col_grad,
                    cex = graphics::par("cex.lab") * graphics::par("cex"))
    leg <- list("topright", legend = c("loss", "gradient norm"),
                col = c(col_loss, col_grad), bty = "n")
    if (type != "l") leg$pch <- c(19, 17)
    if (!closed) leg$lty <- c(1, 2)
    do.call(graphics::legend, leg)
  }
  invisible(NULL)
}

# The response as used in the fit (binomial: proportion), recovered from the
# working residuals when the fit did not keep y.
.plot_response <- function(x) {
  if (!is.null(x$y)) return(x$y)
  eta <- x$linear.predictors
  x$fitted.values + x$residuals * x$family$mu.eta(eta)
}

.plot_prior_weights <- function(x) {
  w <- x$prior.weights
  if (is.null(w)) w <- rep(1, length(x$fitted.values))
  w
}

.plot_dev_resid <- function(x) {
  y <- .plot_response(x)
  mu <- x$fitted.values
  wt <- .plot_prior_weights(x)
  d <- x$family$dev.resids(y, mu, wt)
  sign(y - mu) * sqrt(pmax(d, 0))
}

.plot_pearson_resid <- function(x) {
  y <- .plot_response(x)
  mu <- x$fitted.values
  wt <- .plot_prior_weights(x)
  (y - mu) * sqrt(wt) / sqrt(x$family$variance(mu))
}

.plot_residuals <- function(x, residual_type, against, ...) {
  r <- if (residual_type == "deviance") .plot_dev_resid(x) else
    .plot_pearson_resid(x)
  xv <- if (against == "fitted") x$fitted.values else x$linear.predictors
  ok <- .plot_prior_weights(x) > 0 & is.finite(r) & is.finite(xv)
  r <- r[ok]
  xv <- xv[ok]
  rlab <- if (residual_type == "deviance") "Deviance residuals" else
    "Pearson residuals"
  xlab <- if (against == "fitted") "Fitted values" else "Linear predictor"
  .plot_call(graphics::plot, list(
    x = xv, y = r, xlab = xlab, ylab = rlab,
    main = paste(rlab, "vs", tolower(xlab))), list(...))
  graphics::abline(h = 0, lty = 3, col = "gray40")
  if (length(unique(xv)) >= 10L) {
    graphics::lines(stats::lowess(xv, r), col = "firebrick")
  }
  invisible(NULL)
}

# Leverages h = w x' (X'WX)^{-1} x, or NULL when the design is not available.
.plot_leverage <- function(x) {
  X <- tryCatch(.pred_fitted_design(x), error = function(e) NULL)
  V <- x$cov.unscaled
  if (is.null(X) || is.null(V)) return(NULL)
  keep <- !is.na(x$coefficients)
  Xk <- X[, keep, drop = FALSE]
  if (ncol(Xk) != ncol(V)) return(NULL)
  w <- x$weights
  if (is.null(w) || length(w) != nrow(Xk)) return(NULL)
  w * rowSums((Xk %*% V) * Xk)
}

.plot_qq <- function(x, ...) {
  rd <- .plot_dev_resid(x)
  disp <- .pred_dispersion(x)
  h <- .plot_leverage(x)
  if (is.null(h)) {
    rs <- rd / sqrt(disp)
    ylab <- "Scaled deviance residuals"
  } else {
    h[h >= 1 - 1e-10] <- NA
    rs <- rd / sqrt(disp * (1 - h))
    ylab <- "Std. deviance residuals"
  }
  ok <- .plot_prior_weights(x) > 0 & is.finite(rs)
  rs <- rs[ok]
  if (!length(rs)) {
    stop("plot.gradglm: no finite residuals to draw for 'which = \"qq\"'",
         call. = FALSE)
  }
  .plot_call(stats::qqnorm, list(y = rs, ylab = ylab,
                                 main = "Normal Q-Q plot"), list(...))
  stats::qqline(rs, lty = 3, col = "gray40")
  invisible(NULL)
}

# The name of the single numeric predictor, or NULL if the model has not got one.
.plot_single_predictor <- function(x) {
  Terms <- x$terms
  if (is.null(Terms)) return(NULL)
  rhs <- stats::delete.response(Terms)
  vars <- all.vars(rhs)
  if (length(vars) != 1L) return(NULL)
  if (length(x$xlevels)) return(NULL)
  cls <- attr(Terms, "dataClasses")
  resp <- attr(Terms, "response")
  if (!is.null(cls)) {
    if (resp > 0L) cls <- cls[-resp]
    if (any(cls %in% c("factor", "ordered", "character", "logical"))) {
      return(NULL)
    }
  }
  vars
}

# The raw values of predictor `v` for the rows used in the fit.
.plot_raw_predictor <- function(x, v) {
  mf <- x$model
  if (!is.null(mf) && v %in% names(mf)) return(mf[[v]])
  env <- environment(x$terms)
  if (is.null(env)) env <- globalenv()
  data <- if (!is.null(x$call$data)) {
    tryCatch(eval(x$call$data, env), error = function(e) NULL)
  }
  full <- tryCatch(eval(as.name(v), data, env), error = function(e) NULL)
  if (is.null(full)) return(NULL)
  rn <- if (is.data.frame(data)) row.names(data) else
    as.character(seq_along(full))
  ids <- names(x$fitted.values)
  idx <- match(ids, rn)
  if (is.null(ids) || anyNA(idx)) {
    if (length(full) == length(x$fitted.values)) return(full)
    return(NULL)
  }
  full[idx]
}

.plot_fit <- function(x, ...) {
  v <- .plot_single_predictor(x)
  xv <- if (!is.null(v)) .plot_raw_predictor(x, v)
  if (is.null(v) || is.null(xv) || !is.numeric(xv) || !is.null(dim(xv))) {
    stop("plot.gradglm: 'which = \"fit\"' needs a model fitted by gradglm() ",
         "with a single numeric predictor on the right-hand side; use ",
         "'which' = \"loss\", \"residuals\" or \"qq\" for this model",
         call. = FALSE)
  }
  y <- .plot_response(x)
  fam <- x$family$family
  ylab <- if (fam == "binomial") "Proportion" else {
    resp <- attr(x$terms, "response")
    if (resp > 0L) deparse(attr(x$terms, "variables")[[resp + 1L]])[1L] else
      "Response"
  }
  ok <- is.finite(xv) & is.finite(y)
  rng <- range(xv[ok])
  grid <- seq(rng[1L], rng[2L], length.out = 200L)
  nd <- stats::setNames(data.frame(grid), v)
  mu <- stats::predict(x, newdata = nd, type = "response")
  .plot_call(graphics::plot, list(
    x = xv[ok], y = y[ok], xlab = v, ylab = ylab,
    ylim = range(c(y[ok], mu[is.finite(mu)])),
    main = paste0("Fitted mean (", fam, ", ", x$family$link, " link)")),
    list(...))
  graphics::lines(grid, mu, col = "firebrick", lwd = 2)
  invisible(NULL)
}
