# plot() for gradglm fits: the training curve, residuals against fitted values,
# a normal Q-Q plot, for a single numeric predictor the fitted mean curve, and
# glm's scale-location and residuals-against-leverage plots.

.plot_choices <- c("loss", "residuals", "qq", "fit", "scale", "leverage")
# the choices of plot()'s and autoplot()'s other arguments (the first is the default)
.plot_residual_types <- c("deviance", "pearson")
.plot_against <- c("fitted", "link")
.plot_xvar <- c("lambda", "norm", "dev")

#' Diagnostic plots for a gradglm fit
#'
#' Draws, with base graphics, one or more plots of a fitted [gradglm()] model:
#' its training curve, residuals, a normal Q-Q plot, the fitted mean curve,
#' and for GLMs the scale-location and residuals-against-leverage plots that
#' `plot()` draws for glm fits.
#'
#' The plots, chosen with `which`:
#'
#' * `"loss"`: the training curve. The loss (half the deviance per unit of
#'   prior weight) and the Euclidean norm of its gradient against the
#'   iteration, on two y axes (left: loss, right: gradient norm), each on a
#'   log scale when all its values are positive. For the minibatch optimizers
#'   `"sgd"` and `"adam"` the x axis is the epoch and the title gives the
#'   number of epochs. When the fit held out a validation set, so that the
#'   trace has a validation loss (a column whose name starts with `"val"`),
#'   that curve is drawn in another colour and line type on the same left
#'   axis as the training loss (its range covers both curves; log scale when
#'   both are positive), and the legend names "training loss", "validation
#'   loss" and "gradient norm". When early stopping kept the parameters of an
#'   earlier epoch (`best_epoch` of the fit), that epoch is marked by a
#'   dotted vertical line and a circle on the validation curve, labelled
#'   "best epoch" in the legend. For the `"exact"` optimizer the trace has a
#'   single row, shown as one point, and the title says "closed form".
#' * `"residuals"`: deviance (or Pearson) residuals against the fitted values
#'   (or the linear predictor), with a zero line and a [stats::lowess()]
#'   smooth.
#' * `"qq"`: a normal Q-Q plot of the standardized deviance (or Pearson)
#'   residuals (the residuals divided by `sqrt(dispersion * (1 - h))`, `h`
#'   the leverages), with [stats::qqline()].
#' * `"fit"`: for a model with a single numeric predictor only, the data (the
#'   response, or the observed proportion for a binomial model) against the
#'   predictor, with the fitted mean curve evaluated on a grid by
#'   [predict.gradglm()] with `type = "response"`.
#' * `"scale"`: the scale-location plot, the square root of the absolute
#'   standardized deviance (or Pearson) residuals against the linear
#'   predictor, with a [stats::lowess()] smooth (glm's third plot, which
#'   shows the Pearson ones).
#' * `"leverage"`: the standardized Pearson residuals against the leverages,
#'   with a lowess smooth and the contours where Cook's distance is 0.5 and
#'   1 (as glm's fifth plot); the three rows of largest Cook's distance are
#'   labelled. When every leverage is the same (a balanced design), the
#'   residuals are drawn against the combinations of the factors' levels
#'   instead, as glm's `plot()` draws them (nothing, with a message, when
#'   the model has no factors).
#'
#' The smooths are [stats::lowess()]'s without its robustness iterations
#' (`iter = 0`), as glm's `plot()` draws them for glm fits.
#'
#' When `which` is left at its default, all plots that apply to the model are
#' drawn: `"loss"` is skipped when the fit kept no trace, `"fit"` when the
#' model does not have a single numeric predictor, and `"scale"` and
#' `"leverage"` when the leverages cannot be computed (a [gradglm_fit()] fit
#' that keeps no design matrix). Asking for one of them explicitly in such a
#' case is an error.
#'
#' @param x A fitted object of class `"gradglm"`.
#' @param which Which plots to draw: one or more of `"loss"`, `"residuals"`,
#'   `"qq"`, `"fit"`, `"scale"` and `"leverage"` (or their numbers, 1 to 6).
#'   A distributional fit offers
#'   `"loss"`, `"fit"` (the fitted location with a +-2 sigma band),
#'   `"residuals"` (standardised by the fitted scale) and `"qq"` (quantile
#'   residuals); a multinomial or ordinal fit `"loss"`, `"probs"` (the fitted
#'   class probabilities against a numeric predictor, the first of the model
#'   or the one named by `predictor = "name"`) and `"confusion"` (observed
#'   against predicted classes); several responses `"loss"` and
#'   `"residuals"`. A regularization path (a fit with a penalty and no single
#'   lambda) has `"path"`: its coefficients against log lambda (or, with
#'   `xvar = "norm"`, their L1 norm; `xvar = "dev"`, the deviance explained),
#'   labelled, with the number of non-zero coefficients on top. A network
#'   (`model = mlp()`) has `"loss"`, `"network"` (a diagram of its layers,
#'   for networks of at most 40 units per layer: line width by the size of
#'   each weight, blue positive, red negative) and `"effect"` (the partial
#'   dependence on one variable of the formula, named by `term = "name"`: the
#'   mean prediction over the fitted rows with that variable set to each
#'   value of a grid over its range; class probabilities for a multinomial
#'   or ordinal network).
#' @param ask Logical: ask before each new page? The default asks when
#'   several plots are drawn on an interactive device that shows one at a time.
#' @param residual_type The residuals of the `"residuals"`, `"qq"` and
#'   `"scale"` plots: `"deviance"` (the default) or `"pearson"`. R's `plot()`
#'   of a glm fit shows the Pearson ones, against the linear predictor:
#'   `residual_type = "pearson", against = "link"` draws the same points.
#' @param against The x axis of the `"residuals"` plot: `"fitted"` values (the
#'   default) or the `"link"` (the linear predictor).
#' @param id.n,labels.id,cex.id As for glm's `plot()`: the number of
#'   points labelled in the `"residuals"`, `"qq"` and `"scale"` plots (those
#'   of largest absolute residual) and in the `"leverage"` plot (those of
#'   largest Cook's distance), 3 by default, 0 for none; their labels, one
#'   per row of the data (as many as `residuals(x)` has; by default the row
#'   names); and their size.
#' @param add.smooth Draw the [stats::lowess()] smooth of the
#'   `"residuals"`, `"scale"` and `"leverage"` plots? As glm's `plot()`, by
#'   default `getOption("add.smooth")`.
#' @param caption,sub.caption Titles of a GLM's plots, as glm's `plot()`
#'   takes them: `caption` a character vector or list whose `k`-th element
#'   (not `NA`) replaces the title of plot `k` (in the numbering above: 1
#'   `"loss"` to 6 `"leverage"`), and `sub.caption` a subtitle drawn under
#'   each plot (none by default; glm's default is the call).
#' @param ... Further graphical parameters passed to the main plotting call of
#'   each plot (for example `main`, `col`, `pch`, `cex`).
#'
#' @return `x`, invisibly.
#' @seealso [gradglm()], [predict.gradglm()], [graphics::plot()]; [autoplot.gradglm()]
#'   for ggplot2 versions of these plots.
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
plot.gradglm <- function(x, which = c("loss", "residuals", "qq", "fit", "scale", "leverage"),
                         ask = prod(par("mfcol")) < length(which) &&
                           dev.interactive(),
                         residual_type = c("deviance", "pearson"),
                         against = c("fitted", "link"), id.n = 3, labels.id = NULL, cex.id = 0.75,
                         add.smooth = getOption("add.smooth"), caption = NULL, sub.caption = NULL, ...) {
  check_gradglm(x, "plot.gradglm", "x")
  if (!missing(ask) && (!is.logical(ask) || length(ask) != 1L || is.na(ask))) {
    abort("plot.gradglm", "'ask' must be TRUE or FALSE")
  }
  explicit <- !missing(which)
  if (explicit && !is.null(which) && !is.atomic(which)) {
    abort("plot.gradglm", "'which' must name plots or number them, not a ", class(which)[1L])
  }
  if (is_path_fit(x)) {
    if (explicit && !identical(which, "path") && !identical(which, 1) && !identical(which, 1L)) {
      abort("plot.gradglm", "a regularization path has one plot: which = \"path\"")
    }
    return(.plot_path(x, ...))
  }
  if (identical(which, "path")) abort("plot.gradglm", "which = \"path\" is for a regularization path")
  if (is_source_fit(x)) {
    # residuals need the rows; the training curve does not
    if (explicit && !identical(which, "loss")) abort("plot.gradglm", source_rows_message("residuals"))
    # a distributional or multinomial fit's loss is its negative log-likelihood
    if (is_glm_fit(x)) .plot_loss(x, ...) else .ls_plot_loss(x, ...)
    return(invisible(x))
  }
  if (is_network_fit(x)) return(.net_plot(x, which, explicit, if (missing(ask)) NULL else ask, ...))
  if (any(c("network", "effect") %in% which)) {
    abort("plot.gradglm", "which = \"network\" and \"effect\" are for networks (model = mlp())")
  }
  if (!is_glm_fit(x)) {
    plot_fun <- type_methods(x)$plot
    if (!explicit) which <- NULL
    return(plot_fun(x, which = which, explicit = explicit, ask = if (missing(ask)) NULL else ask, ...))
  }
  which <- .plot_which(which)
  residual_type <- .pick_arg(residual_type, .plot_residual_types, "residual_type", "plot.gradglm")
  against <- .pick_arg(against, .plot_against, "against", "plot.gradglm")
  if (!explicit) {
    # the defaults: everything that applies to this model
    if (!.plot_has_trace(x)) which <- setdiff(which, "loss")
    if (is.null(.plot_single_predictor(x))) which <- setdiff(which, "fit")
    if (is.null(.plot_leverage(x))) which <- setdiff(which, c("scale", "leverage"))
    if (!any(!is.na(x$coefficients))) which <- setdiff(which, "leverage")  # (every leverage 0)
  }
  id <- .plot_id_args(x, id.n, labels.id, cex.id)
  if (is.null(add.smooth)) add.smooth <- TRUE
  if (!is.logical(add.smooth) || length(add.smooth) != 1L || is.na(add.smooth)) {
    abort("plot.gradglm", "'add.smooth' must be TRUE or FALSE")
  }
  if (!is.null(caption) && !is.character(caption) && !is.list(caption)) {
    abort("plot.gradglm", "'caption' must be a character vector or a list of titles, one per plot number")
  }
  if (!is.null(sub.caption) && (!is.character(sub.caption) || length(sub.caption) != 1L)) {
    abort("plot.gradglm", "'sub.caption' must be a single character string")
  }
  .plot_pages(which, ask, function(w) {
    k <- match(w, .plot_choices)
    args <- list(...)
    if (length(caption) >= k && !is.null(caption[[k]]) && !all(is.na(caption[[k]])) && is.null(args$main)) {
      args$main <- caption[[k]]
    }
    draw <- function(f, ...) do.call(f, c(list(x, ...), args))
    switch(w,
      loss = draw(.plot_loss),
      residuals = draw(.plot_residuals, residual_type, against, id = id, add.smooth = add.smooth),
      qq = draw(.plot_qq, residual_type, id = id),
      fit = draw(.plot_fit),
      scale = draw(.plot_scale, residual_type, id = id, add.smooth = add.smooth),
      leverage = draw(.plot_leverage_plot, id = id, add.smooth = add.smooth)
    )
    if (!is.null(sub.caption)) graphics::title(sub = sub.caption)
  })
  invisible(x)
}

# The checked id.n, cex.id and the labels of the fitted rows (labels.id given
# per row of the data, as residuals(x), or the row names), as glm's plot()
# takes them.
.plot_id_args <- function(x, id.n, labels.id, cex.id, fun = "plot.gradglm") {
  n_used <- sum(.plot_prior_weights(x) > 0)
  if (!is.numeric(id.n) || length(id.n) != 1L || is.na(id.n) || id.n != round(id.n) || id.n < 0 || id.n > n_used) {
    abort(fun, "'id.n' must be a whole number from 0 to ", n_used, " (the rows of positive weight)")
  }
  if (!is.numeric(cex.id) || length(cex.id) != 1L || !is.finite(cex.id) || cex.id <= 0) {
    abort(fun, "'cex.id' must be a single positive number")
  }
  n <- length(x$fitted.values)
  na <- x$na.action
  n_data <- if (inherits(na, "exclude")) n + length(na) else n
  if (is.null(labels.id)) {
    labels <- rownames(as.matrix(x$fitted.values))
    if (is.null(labels)) labels <- as.character(seq_len(n))
  } else {
    if (!is.atomic(labels.id) || !length(labels.id) %in% c(n, n_data)) {
      abort(fun, "'labels.id' must have one label per row of the data (", n_data, ")")
    }
    labels <- as.character(labels.id)
    if (length(labels) != n) labels <- labels[-na]
  }
  list(n = as.integer(id.n), labels = labels, cex = cex.id)
}

# Labels the id$n points of largest absolute `score` at (xv, yv), the rows
# `rows` of the fit, left or right of the point as glm's plot() places them.
.plot_label_points <- function(xv, yv, score, rows, id) {
  k <- min(id$n, length(xv))
  if (k == 0L) return(invisible(NULL))
  top <- order(abs(score), decreasing = TRUE)[seq_len(k)]
  usr <- graphics::par("usr")
  graphics::text(xv[top], yv[top], id$labels[rows[top]], cex = id$cex, xpd = TRUE,
                 pos = c(4L, 2L)[(xv[top] > mean(usr[1:2])) + 1L], offset = 0.25)
  invisible(NULL)
}

# Draws the plots `which`, each by draw(w), asking before each new page when
# `ask` (and there is more than one).
.plot_pages <- function(which, ask, draw) {
  if (isTRUE(ask) && length(which) > 1L) {
    old_ask <- grDevices::devAskNewPage(TRUE)
    on.exit(grDevices::devAskNewPage(old_ask), add = TRUE)
  }
  for (w in which) draw(w)
  invisible(NULL)
}

# Validate `which`: names of `choices` (partially matched) or their numbers;
# with `several = FALSE` (autoplot(), one plot per call) a single one.
.plot_which <- function(which, choices = .plot_choices, fun = "plot.gradglm", several = TRUE) {
  bad <- function() {
    abort(fun, "'which' must be ", if (several) "one or more of " else "one of ",
          paste0("\"", choices, "\"", collapse = ", "),
          " (or ", if (length(choices) == 1L) "1" else paste("1 to", length(choices)), ")")
  }
  if (length(which) == 0L || anyNA(which) || (!several && length(which) != 1L)) bad()
  if (is.numeric(which)) {
    if (any(which != round(which)) || any(which < 1 | which > length(choices))) bad()
    return(unique(choices[which]))
  }
  if (!is.character(which)) bad()
  idx <- pmatch(which, choices, duplicates.ok = TRUE)
  if (anyNA(idx)) bad()
  unique(choices[idx])
}

# The plot of a cross-validation is one plot of one measure: the arguments
# that choose among the plots of a fit are an error naming them (before they
# reached graphics::plot(), which warned that they are not graphical
# parameters and stopped with "invalid 'which' argument").
.plot_cv_dots <- function(dots, fun) {
  bad <- intersect(names(dots), c("which", "xvar", "residual_type", "against"))
  if (length(bad)) {
    abort(fun, "'", bad[1L], "' does not apply: a cross-validation has one plot, of the measure named by ",
          "'measure'; the plots of the fit on all rows are those of plot(x$fit)")
  }
  invisible(NULL)
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

# Optimizers whose trace counts epochs (full passes over the data) rather
# than iterations.
.plot_epoch_optimizers <- c("sgd", "adam")

.plot_is_epoch_fit <- function(x) {
  is.character(x$optimizer) && length(x$optimizer) == 1L &&
    x$optimizer %in% .plot_epoch_optimizers
}

.plot_loss_title <- function(x) {
  opt <- if (!is.null(x$optimizer)) x$optimizer else "unknown"
  if (identical(opt, "exact")) return("Training curve (closed form)")
  if (.plot_is_epoch_fit(x)) {
    # the trace has one row per epoch, numbered by `iter`
    n <- max(x$trace$iter, na.rm = TRUE)
    return(paste0("Training curve (", opt, ", ", n, " epoch",
                  if (n != 1L) "s", ")"))
  }
  n <- if (is.numeric(x$iter) && length(x$iter) == 1L) x$iter else
    max(x$trace$iter)
  paste0("Training curve (", opt, ", ", n, " iteration", if (n != 1L) "s", ")")
}

# The validation curve of the trace: the first numeric column whose name
# starts with "val" and that has a finite value, or NULL.
.plot_val_column <- function(tr) {
  for (nm in grep("^val", names(tr), value = TRUE)) {
    v <- tr[[nm]]
    if (is.numeric(v) && any(is.finite(v))) return(nm)
  }
  NULL
}

# The epoch whose parameters were kept by early stopping, or NULL.
.plot_best_epoch <- function(x) {
  b <- x$best_epoch
  if (is.numeric(b) && length(b) == 1L && is.finite(b)) b else NULL
}

# The y labels of the training curve: GLMs (and networks, and fits from a
# chunked source) report half the deviance per unit weight, the other models
# their negative log-likelihood.
.plot_loss_ylab <- c(glm = "loss (deviance / 2 per unit weight)",
                     likelihood = "loss (negative log-likelihood)")

# The colours, line types and symbols of the training curve's parts, shared
# by plot() and autoplot().
.plot_loss_style <- list(
  col = c(loss = "black", val = "dodgerblue3", grad = "firebrick", best = "darkgreen"),
  lty = c(loss = 1, val = 4, grad = 2, best = 3),
  pch = c(loss = 19, val = 15, grad = 17, best = 1)
)

# What the training curve shows, for plot() and autoplot(): the trace's
# iterations, losses, gradient norms and validation losses (NULL without a
# validation column, whose name is `val_name`), the best epoch (or NULL),
# whether the trace is a single closed-form row, how it is drawn (`type`:
# points, lines or both), the title, the x label, the names of the curves and
# whether the loss axis (training and validation together) and the gradient
# axis can be logarithmic. Errors, naming `fun`, when the fit kept no trace.
.plot_loss_data <- function(x, fun = "plot.gradglm") {
  if (!.plot_has_trace(x)) {
    abort(fun, "'which = \"loss\"' needs the training trace, which ",
          "this fit did not keep; refit with gradglm_control(trace = TRUE)")
  }
  tr <- x$trace
  gnorm <- if (!is.null(tr$grad_norm)) tr$grad_norm else rep(NA_real_, nrow(tr))
  val_name <- .plot_val_column(tr)
  val <- if (!is.null(val_name)) tr[[val_name]]
  opt <- if (!is.null(x$optimizer)) x$optimizer else "unknown"
  closed <- identical(opt, "exact") || nrow(tr) == 1L
  list(iter = tr$iter, loss = tr$loss, gnorm = gnorm, val_name = val_name, val = val,
       best = .plot_best_epoch(x), closed = closed,
       type = if (closed) "p" else if (nrow(tr) > 50L) "l" else "o",
       main = .plot_loss_title(x),
       xlab = if (.plot_is_epoch_fit(x)) "epoch" else "iteration",
       labels = c(loss = if (!is.null(val)) "training loss" else "loss",
                  val = "validation loss", grad = "gradient norm"),
       loss_log = .plot_log_ok(c(tr$loss, val)), grad_log = .plot_log_ok(gnorm))
}

# The training curve: the loss (and the validation loss, when the trace has
# one) on the left axis, the gradient norm on the right axis. Returns,
# invisibly, what it drew on the loss axis: its `usr` coordinates, whether the
# axis is logarithmic, the x axis label, the name of the validation column (or
# NULL), the best epoch (or NULL) and the legend text (NULL without legend).
.plot_loss <- function(x, ...) {
  d <- .plot_loss_data(x)
  iter <- d$iter
  loss <- d$loss
  gnorm <- d$gnorm
  val <- d$val
  has_val <- !is.null(val)
  best <- d$best
  closed <- d$closed
  st <- .plot_loss_style
  type <- d$type
  cex_pt <- if (closed) 1.5 else 0.5
  # training and validation loss share the left axis
  loss_log <- d$loss_log
  grad_log <- d$grad_log

  old_mar <- graphics::par("mar")
  on.exit(graphics::par(mar = old_mar), add = TRUE)
  graphics::par(mar = pmax(old_mar, c(0, 0, 0, 4.1)))

  xlim <- range(iter, finite = TRUE)
  if (diff(xlim) == 0) xlim <- xlim + c(-1, 1)
  dots <- list(...)
  defaults <- list(
    x = iter, y = loss, type = type, pch = st$pch[["loss"]], cex = cex_pt,
    col = st$col[["loss"]], log = if (loss_log) "y" else "", xlim = xlim,
    xlab = d$xlab, ylab = .plot_loss_ylab[["glm"]], main = d$main)
  if (has_val) {
    defaults$ylim <- .plot_range(c(loss, val), loss_log)
  }
  .plot_call(graphics::plot, defaults, dots)
  usr <- graphics::par("usr")

  if (has_val) {
    graphics::lines(iter, val, type = type, pch = st$pch[["val"]], cex = cex_pt,
                    col = st$col[["val"]], lty = st$lty[["val"]])
  }
  if (!is.null(best)) {
    graphics::abline(v = best, lty = st$lty[["best"]], col = st$col[["best"]])
    if (has_val) {
      at <- which(iter == best & is.finite(val))
      if (length(at)) {
        graphics::points(best, val[at[1L]], pch = st$pch[["best"]], cex = 1.8,
                         lwd = 2, col = st$col[["best"]])
      }
    }
  }

  has_grad <- any(is.finite(gnorm))
  if (has_grad) {
    graphics::par(new = TRUE)
    gy <- gnorm
    ylim <- range(gy[is.finite(gy) & (!grad_log | gy > 0)])
    if (diff(ylim) == 0) {
      ylim <- if (grad_log) ylim * c(0.5, 2) else ylim + c(-1, 1)
    }
    graphics::plot(iter, gy, type = type, pch = st$pch[["grad"]], cex = cex_pt,
                   col = st$col[["grad"]], lty = st$lty[["grad"]],
                   log = if (grad_log) "y" else "", xlim = xlim,
                   ylim = ylim, axes = FALSE, xlab = "", ylab = "")
    graphics::axis(4, col.axis = st$col[["grad"]], col = st$col[["grad"]])
    graphics::mtext(d$labels[["grad"]], side = 4, line = 2.5, col = st$col[["grad"]],
                    cex = graphics::par("cex.lab") * graphics::par("cex"))
  }

  # the legend: curves first, then the best-epoch marker
  parts <- c("loss", if (has_val) "val", if (has_grad) "grad")
  leg_text <- unname(d$labels[parts])
  leg_col <- unname(st$col[parts])
  leg_pch <- unname(st$pch[parts])
  leg_lty <- unname(st$lty[parts])
  if (type == "l") leg_pch[] <- NA
  if (closed) leg_lty[] <- NA
  if (!is.null(best)) {
    leg_text <- c(leg_text, paste0("best epoch (", format(best), ")"))
    leg_col <- c(leg_col, st$col[["best"]])
    leg_pch <- c(leg_pch, if (has_val) st$pch[["best"]] else NA)
    leg_lty <- c(leg_lty, st$lty[["best"]])
  }
  # as before, a fit with the loss alone gets no legend
  if (length(leg_text) == 1L) leg_text <- NULL
  if (length(leg_text)) {
    leg <- list("topright", legend = leg_text, col = leg_col, bty = "n")
    if (!all(is.na(leg_pch))) leg$pch <- leg_pch
    if (!all(is.na(leg_lty))) leg$lty <- leg_lty
    do.call(graphics::legend, leg)
  }
  invisible(list(usr = usr, log = loss_log, xlab = defaults$xlab,
                 val = d$val_name, best = best, legend = leg_text))
}

# The y range of the finite values of `v` (positive ones on a log axis),
# widened when it is a single value.
.plot_range <- function(v, log) {
  v <- v[is.finite(v) & (!log | v > 0)]
  r <- range(v)
  if (diff(r) == 0) r <- if (log) r * c(0.5, 2) else r + c(-1, 1)
  r
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

# What the residual plot shows, for plot() and autoplot(): the residuals `y`
# (deviance or Pearson) against `x` (the fitted values or the linear
# predictor) for the rows with positive weight and finite values, the lowess
# smooth (as plot.lm() draws it, for any x values but a single one) and the labels.
.plot_residuals_data <- function(x, residual_type, against) {
  r <- if (residual_type == "deviance") .plot_dev_resid(x) else
    .plot_pearson_resid(x)
  xv <- if (against == "fitted") x$fitted.values else x$linear.predictors
  ok <- .plot_prior_weights(x) > 0 & is.finite(r) & is.finite(xv)
  r <- r[ok]
  xv <- xv[ok]
  ylab <- if (residual_type == "deviance") "Deviance residuals" else
    "Pearson residuals"
  xlab <- if (against == "fitted") "Fitted values" else "Linear predictor"
  list(x = xv, y = r, row = which(ok),
       smooth = .plot_smooth(xv, r),
       xlab = xlab, ylab = ylab, main = paste(ylab, "vs", tolower(xlab)))
}

.plot_residuals <- function(x, residual_type, against, ..., id = list(n = 0L), add.smooth = TRUE) {
  d <- .plot_residuals_data(x, residual_type, against)
  .plot_call(graphics::plot, list(
    x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab, main = d$main), list(...))
  graphics::abline(h = 0, lty = 3, col = "gray40")
  if (add.smooth && !is.null(d$smooth)) graphics::lines(d$smooth, col = "firebrick")
  .plot_label_points(d$x, d$y, d$y, d$row, id)
  invisible(NULL)
}

# The smooth of y against x that glm's plot() draws: lowess without
# robustness iterations (plot.lm's iter.smooth for glm fits); NULL for fewer
# than two distinct x
.plot_smooth <- function(x, y) if (length(unique(x)) >= 2L) stats::lowess(x, y, iter = 0L)

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

# The line of a normal Q-Q plot through the quartiles of `y` (as
# stats::qqline() draws it): its intercept and slope.
.plot_qq_line <- function(y) {
  q <- stats::quantile(y, c(0.25, 0.75), names = FALSE, type = 7)
  z <- stats::qnorm(c(0.25, 0.75))
  slope <- diff(q) / diff(z)
  c(intercept = q[1L] - slope * z[1L], slope = slope)
}

# What the normal Q-Q plot shows, for plot() and autoplot(): the
# standardized deviance (or Pearson) residuals `y` against their normal
# quantiles `x`, the line through their quartiles and the labels.
.plot_qq_data <- function(x, fun = "plot.gradglm", residual_type = "deviance") {
  rd <- if (residual_type == "deviance") .plot_dev_resid(x) else .plot_pearson_resid(x)
  kind <- if (residual_type == "deviance") "deviance" else "Pearson"
  disp <- .pred_dispersion(x)
  h <- .plot_leverage(x)
  if (is.null(h)) {
    rs <- rd / sqrt(disp)
    ylab <- paste("Scaled", kind, "residuals")
  } else {
    h[h >= 1 - 1e-10] <- NA
    rs <- rd / sqrt(disp * (1 - h))
    ylab <- paste("Std.", kind, "residuals")
  }
  ok <- .plot_prior_weights(x) > 0 & is.finite(rs)
  rs <- rs[ok]
  row <- which(ok)
  if (!length(rs)) {
    abort(fun, "no finite residuals to draw for 'which = \"qq\"'")
  }
  q <- stats::qqnorm(rs, plot.it = FALSE)
  list(x = q$x, y = q$y, row = row, line = .plot_qq_line(rs),
       xlab = "Theoretical Quantiles", ylab = ylab, main = "Normal Q-Q plot")
}

.plot_qq <- function(x, residual_type = "deviance", ..., id = list(n = 0L)) {
  d <- .plot_qq_data(x, residual_type = residual_type)
  .plot_call(stats::qqnorm, list(y = d$y, ylab = d$ylab, main = d$main),
             list(...))
  graphics::abline(d$line[["intercept"]], d$line[["slope"]], lty = 3, col = "gray40")
  .plot_label_points(d$x, d$y, d$y, d$row, id)
  invisible(NULL)
}

# The rows of positive weight with their leverages (below 1) and standardized
# deviance and Pearson residuals, for the scale-location and leverage plots;
# an error naming `fun` without the leverages.
.plot_std_rows <- function(x, what, fun) {
  h <- .plot_leverage(x)
  if (is.null(h)) {
    abort(fun, "'which = \"", what, "\"' needs the leverages, from the design matrix, which this fit does not ",
          "keep (fit it with gradglm() and a formula)")
  }
  disp <- .pred_dispersion(x)
  ok <- .plot_prior_weights(x) > 0 & is.finite(h) & h < 1 - 1e-10
  dev <- .plot_dev_resid(x)[ok] / sqrt(disp * (1 - h[ok]))
  pear <- .plot_pearson_resid(x)[ok] / sqrt(disp * (1 - h[ok]))
  eta <- x$linear.predictors[ok]
  names_all <- rownames(as.matrix(x$fitted.values))
  if (is.null(names_all)) names_all <- as.character(seq_along(h))
  keep <- is.finite(dev) & is.finite(pear) & is.finite(eta)
  list(h = h[ok][keep], dev = dev[keep], pear = pear[keep], eta = eta[keep], names = names_all[ok][keep],
       row = which(ok)[keep],
       p = sum(!is.na(x$coefficients)))
}

# What the scale-location plot shows, for plot() and autoplot()
.plot_scale_data <- function(x, fun = "plot.gradglm", residual_type = "deviance") {
  r <- .plot_std_rows(x, "scale", fun)
  y <- sqrt(abs(if (residual_type == "deviance") r$dev else r$pear))
  list(x = r$eta, y = y, row = r$row, std = if (residual_type == "deviance") r$dev else r$pear, smooth = .plot_smooth(r$eta, y),
       xlab = "Linear predictor",
       ylab = paste0("sqrt(|Std. ", if (residual_type == "deviance") "deviance" else "Pearson", " residuals|)"),
       main = "Scale-location")
}

.plot_scale <- function(x, residual_type = "deviance", ..., id = list(n = 0L), add.smooth = TRUE) {
  d <- .plot_scale_data(x, residual_type = residual_type)
  .plot_call(graphics::plot, list(x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab, main = d$main,
                                  ylim = c(0, max(d$y))), list(...))
  if (add.smooth && !is.null(d$smooth)) graphics::lines(d$smooth, col = "firebrick")
  .plot_label_points(d$x, d$y, d$std, d$row, id)
  invisible(NULL)
}

# What the leverage plot shows, for plot() and autoplot(): the standardized
# Pearson residuals against the leverages, the lowess smooth, Cook's
# distance contours (levels 0.5 and 1: the residual r where
# r^2 h / (p (1 - h)) equals the level) and the three rows of largest Cook's
# distance.
.plot_leverage_data <- function(x, fun = "plot.gradglm", id.n = 3L) {
  r <- .plot_std_rows(x, "leverage", fun)
  if (r$p == 0L) abort(fun, "the fit has no coefficients: every leverage is 0, and there is no plot against them")
  cook <- r$pear^2 * r$h / (r$p * (1 - r$h))
  grid <- seq(max(min(r$h), 1e-3 * max(r$h)), max(r$h), length.out = 101L)
  contours <- do.call(rbind, lapply(c(0.5, 1), function(level) {
    y <- sqrt(level * r$p * (1 - grid) / grid)
    rbind(data.frame(level = level, side = "+", x = grid, y = y), data.frame(level = level, side = "-", x = grid, y = -y))
  }))
  top <- utils::head(order(cook, decreasing = TRUE), id.n)
  out <- list(x = r$h, y = r$pear, row = r$row, cook = cook,
              smooth = .plot_smooth(r$h, r$pear),
              contours = contours, labels = data.frame(x = r$h[top], y = r$pear[top], label = r$names[top]),
              xlab = "Leverage", ylab = "Std. Pearson residuals", main = "Residuals vs leverage", constant = FALSE)
  h_range <- range(r$h)
  if (all(h_range == 0) || diff(h_range) < 1e-10 * mean(r$h)) out <- .plot_factor_levels(x, out, top)
  out
}

# Every leverage the same (a balanced design): as glm's plot(), the residuals
# against the combinations of the factors' levels (numbered with the first
# factor varying slowest, a band for each of its levels); where there are no
# factors, `levels` is NULL (plot() draws nothing, as glm's; autoplot() the
# residuals at the one leverage)
.plot_factor_levels <- function(x, d, top) {
  d$constant <- TRUE
  d$levels <- NULL
  xlev <- x$xlevels
  mf <- if (length(xlev)) tryCatch(stats::model.frame(x), error = function(e) NULL)
  if (is.null(mf) || !all(names(xlev) %in% names(mf)) || nrow(mf) < max(d$row)) return(d)
  d$main <- "Constant leverage: residuals vs factor levels"
  d$contours <- d$contours[0L, ]
  nlev <- unname(lengths(xlev))
  ff <- if (length(nlev) == 1L) 1 else rev(cumprod(c(1, nlev[length(nlev):2L])))
  codes <- vapply(names(xlev), function(v) as.numeric(factor(mf[[v]][d$row], levels = xlev[[v]])),
                  numeric(length(d$row)))
  d$x <- drop((matrix(codes, length(d$row)) - 1) %*% ff)
  d$smooth <- .plot_smooth(d$x, d$y)
  d$labels$x <- d$x[top]
  d$xlab <- "Factor level combinations"
  d$levels <- list(first = names(xlev)[1L], labels = xlev[[1L]], at = ff[1L] * (seq_len(nlev[1L]) - 1 / 2) - 1 / 2,
                   bands = ff[1L] * (0:nlev[1L]) - 1 / 2, xlim = c(-1 / 2, sum((nlev - 1) * ff) + 1 / 2))
  d
}

.plot_leverage_plot <- function(x, ..., id = list(n = 3L, cex = 0.75), add.smooth = TRUE) {
  d <- .plot_leverage_data(x, id.n = id$n)
  if (!is.null(id$labels)) d$labels$label <- id$labels[d$row[utils::head(order(d$cook, decreasing = TRUE), id$n)]]
  yr <- range(d$y, 0)
  if (d$constant) return(.plot_factor_levels_plot(d, yr, ..., id = id, add.smooth = add.smooth))
  .plot_call(graphics::plot, list(x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab, main = d$main,
                                  xlim = c(0, max(d$x)), ylim = yr + c(-0.08, 0.08) * diff(yr)), list(...))
  graphics::abline(h = 0, v = 0, lty = 3, col = "gray40")
  if (add.smooth && !is.null(d$smooth)) graphics::lines(d$smooth, col = "firebrick")
  for (part in split(d$contours, interaction(d$contours$level, d$contours$side, drop = TRUE))) {
    graphics::lines(part$x, part$y, lty = 2, col = "gray50")
  }
  usr <- graphics::par("usr")
  for (level in c(0.5, 1)) {
    end <- d$contours[d$contours$level == level & d$contours$side == "+", ]
    end <- end[nrow(end), ]
    if (end$y < usr[4L]) graphics::text(end$x, end$y, format(level), adj = c(1.1, -0.3), col = "gray50", cex = 0.8)
  }
  graphics::legend("bottomleft", legend = "Cook's distance", lty = 2, col = "gray50", bty = "n", cex = 0.8)
  if (nrow(d$labels)) graphics::text(d$labels$x, d$labels$y, d$labels$label, pos = 4, cex = id$cex)
  invisible(NULL)
}

.plot_factor_levels_plot <- function(d, yr, ..., id, add.smooth) {
  if (is.null(d$levels)) {
    message("the leverages are all ", format(d$x[1L]), " and there are no factors to plot the residuals against; ",
            "no leverage plot")
    graphics::frame()
    return(invisible(NULL))
  }
  lev <- d$levels
  .plot_call(graphics::plot, list(x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab, main = d$main, xaxt = "n",
                                  xlim = lev$xlim, ylim = yr + c(-0.08, 0.08) * diff(yr)), list(...))
  graphics::axis(1, at = lev$at, labels = lev$labels)
  graphics::mtext(paste(lev$first, ":"), side = 1, line = 0.25, adj = -0.05)
  graphics::abline(v = lev$bands, col = "gray", lty = "F4")
  graphics::abline(h = 0, lty = 3, col = "gray40")
  if (add.smooth && !is.null(d$smooth)) graphics::lines(d$smooth, col = "firebrick")
  if (nrow(d$labels)) graphics::text(d$labels$x, d$labels$y, d$labels$label, pos = 4, cex = id$cex)
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

# What the fitted-mean plot shows, for plot() and autoplot(): the data
# (`x`, `y`: the predictor and the response, finite rows), the fitted mean
# curve on a grid of 200 values of the predictor (`grid`, `mu`) and the
# labels. Errors, naming `fun`, for a model without a single numeric
# predictor.
.plot_fit_data <- function(x, fun = "plot.gradglm") {
  v <- .plot_single_predictor(x)
  xv <- if (!is.null(v)) .plot_raw_predictor(x, v)
  if (is.null(v) || is.null(xv) || !is.numeric(xv) || !is.null(dim(xv))) {
    avail <- c(if (.plot_has_trace(x)) "loss", "residuals", "qq",
               if (!is.null(.plot_leverage(x))) c("scale", "leverage"))
    abort(fun, "'which = \"fit\"' needs a model fitted by gradglm() ",
          "with a single numeric predictor on the right-hand side; use ",
          "'which' = ", paste0("\"", avail, "\"", collapse = ", "), " for this model")
  }
  y <- .plot_response(x)
  fam <- x$family$family
  label <- family_row(x$family)$response_label
  ylab <- if (!is.null(label)) label else {
    resp <- attr(x$terms, "response")
    if (resp > 0L) deparse(attr(x$terms, "variables")[[resp + 1L]])[1L] else
      "Response"
  }
  ok <- is.finite(xv) & is.finite(y)
  rng <- range(xv[ok])
  grid <- seq(rng[1L], rng[2L], length.out = 200L)
  nd <- stats::setNames(data.frame(grid), v)
  mu <- stats::predict(x, newdata = nd, type = "response")
  list(x = xv[ok], y = y[ok], grid = grid, mu = as.vector(mu), xlab = v, ylab = ylab,
       main = paste0("Fitted mean (", fam, ", ", x$family$link, " link)"))
}

.plot_fit <- function(x, ...) {
  d <- .plot_fit_data(x)
  .plot_call(graphics::plot, list(
    x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab,
    ylim = range(c(d$y, d$mu[is.finite(d$mu)])), main = d$main),
    list(...))
  graphics::lines(d$grid, d$mu, col = "firebrick", lwd = 2)
  invisible(NULL)
}
