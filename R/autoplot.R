# ggplot2 versions of the base plots: autoplot() methods for fits, optimizer
# comparisons and cross-validations. ggplot2 is only suggested, so the
# methods are registered for ggplot2::autoplot when ggplot2 is loaded (see
# .register_autoplot(), called by .onLoad()). Each method draws from the same
# data as plot(), taken from the helpers that plot() uses (.plot_loss_data()
# and the like), and returns one ggplot without printing it.

#' ggplot2 versions of the plots of gradglm objects
#'
#' `autoplot()` methods that return, as a [ggplot2::ggplot()] object, the
#' plots that [plot()][plot.gradglm()] draws with base graphics: the training
#' curve (with the validation curve of a minibatch fit), the residual and
#' normal Q-Q plots, the fitted mean curve (with its +-2 sigma band for a
#' sigma model), the coefficients along a regularization path, the folds of
#' a cross-validation, the curve of a cross-validated path, a cross-validated
#' comparison of models and the
#' training curves of compared optimizers. They need the ggplot2 package,
#' which gradglm only suggests: call them as `ggplot2::autoplot(x)` (or
#' `autoplot(x)` after `library(ggplot2)`); `plot()` needs nothing beyond
#' base R.
#'
#' Each call returns one plot, chosen by `which` (a single value; for several
#' plots call `autoplot()` once per plot, e.g. with [lapply()]). Left at
#' `NULL`, `which` is the first plot that `plot()` draws by default: the
#' training curve (`"loss"`) when the fit kept its trace, otherwise the first
#' other plot that applies (`"path"` for a regularization path). The choices
#' and their numbers are those of [plot.gradglm()]; a plot that does not apply
#' to the model is an error, with the message of `plot()`.
#'
#' The plots mirror the base ones, with these differences of form:
#'
#' * `"loss"`: the loss (and validation loss) and the gradient norm are two
#'   panels, one above the other, rather than two y axes. The y axes are on a
#'   log10 scale when every loss and validation loss is positive (the base
#'   plot's left axis); a gradient norm of zero, which a log axis cannot show,
#'   is then left out. With a linear loss axis, a positive gradient norm is
#'   shown as its log10, as the panel's label says. Early stopping's best
#'   epoch is a dotted vertical line (and a circle on the validation curve),
#'   named in the subtitle.
#' * `"confusion"` (multinomial and ordinal fits) is a grid of tiles shaded
#'   by the weighted count of each observed and predicted class, rather than
#'   a mosaic plot.
#' * `"path"`: with `label = TRUE` the curves are labelled with their
#'   coefficients' names (those not zero at the smallest lambda), as in the
#'   base plot, and the colour legend is left out; with `label = FALSE` the
#'   legend names them.
#'
#' @param object A fitted [gradglm()] model (`"gradglm"`), a comparison of
#'   optimizers ([compare_optimizers()]), a cross-validated path
#'   ([cv_gradglm()] with a penalty) or a cross-validated comparison of models
#'   ([cv_compare()]).
#' @param which The plot, by name or number. For a fit: `"loss"`,
#'   `"residuals"`, `"qq"` or `"fit"` for a GLM; `"loss"`, `"fit"`,
#'   `"residuals"` or `"qq"` for a distributional (sigma) model; `"loss"`,
#'   `"probs"` or `"confusion"` for a multinomial or ordinal model; `"loss"`
#'   or `"residuals"` for several responses; `"loss"`, `"network"` or
#'   `"effect"` for a network; `"path"` for a regularization path; `"loss"`
#'   for a fit from a chunked source. For a comparison of optimizers:
#'   `"iterations"` (the default) or `"time"`, the x axis.
#' @param residual_type,against For the plots of a GLM's residuals: the
#'   residuals (`"deviance"` or `"pearson"`, also of the `"qq"` and
#'   `"scale"` plots) and the x axis of the `"residuals"` plot (`"fitted"`
#'   values or the `"link"`), as in [plot.gradglm()].
#' @param xvar,label For a path: the x axis (`"lambda"`, `"norm"` or
#'   `"dev"`) and whether to label the curves, as in [plot.gradglm()].
#' @param predictor For the `"probs"` plot of a multinomial or ordinal fit:
#'   the numeric predictor of the x axis (by default the first).
#' @param term For the `"effect"` plot of a network: the variable.
#' @param log For a comparison of optimizers: the distance to the best loss on
#'   a log scale (`TRUE`) or the loss on a linear scale (`FALSE`), as in
#'   [plot.gradglm_comparison()].
#' @param measure For a cross-validation: the measure to plot (by default the
#'   one that chose lambda for a path, `"nll"` for a comparison of models).
#' @param ... Not used: an argument given here is an error (set titles and
#'   other details by adding [ggplot2::labs()] and the like to the result).
#'
#' @return A ggplot object (not printed: print it, or add layers to it).
#' @seealso [plot.gradglm()], [plot.gradglm_comparison()],
#'   [gradglm_cv_comparison-methods], [cv_gradglm()].
#' @usage
#' \method{autoplot}{gradglm}(object, which = NULL,
#'   residual_type = c("deviance", "pearson"), against = c("fitted", "link"),
#'   xvar = c("lambda", "norm", "dev"), label = TRUE, predictor = NULL,
#'   term = NULL, ...)
#'
#' \method{autoplot}{gradglm_comparison}(object, which = "iterations",
#'   log = TRUE, ...)
#'
#' \method{autoplot}{gradglm_cv}(object, measure = "nll", ...)
#'
#' \method{autoplot}{gradglm_cv_path}(object, measure = object$select_by, ...)
#'
#' \method{autoplot}{gradglm_cv_comparison}(object, measure = "nll", ...)
#' @examples
#' if (requireNamespace("ggplot2", quietly = TRUE)) {
#'   fit <- gradglm(dist ~ speed, data = cars, optimizer = "gd")
#'   print(ggplot2::autoplot(fit))              # the training curve
#'   print(ggplot2::autoplot(fit, which = "residuals"))
#'   # a ggplot: add to it, then print it
#'   p <- ggplot2::autoplot(fit, which = "fit") +
#'     ggplot2::labs(title = "Stopping distance")
#'   print(p)
#'
#'   # a sigma model: the fitted mean with its +-2 sigma band
#'   het <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
#'   print(ggplot2::autoplot(het, which = "fit"))
#'
#'   # the training and validation curves of a minibatch fit
#'   set.seed(1)
#'   fit_sgd <- gradglm(am ~ wt, data = mtcars, family = binomial(),
#'                      optimizer = opt_sgd(validation = 0.2, patience = 20))
#'   print(ggplot2::autoplot(fit_sgd))
#'
#'   # a lasso path and its cross-validation
#'   path <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars,
#'                   penalty = lasso())
#'   print(ggplot2::autoplot(path))
#'   set.seed(2)
#'   cv <- cv_gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars,
#'                    penalty = lasso(), nfolds = 5)
#'   print(ggplot2::autoplot(cv))
#'
#'   cmp <- compare_optimizers(am ~ wt + hp, data = mtcars,
#'                             family = binomial(),
#'                             optimizers = c("newton", "gd"), max_iter = 2000)
#'   print(ggplot2::autoplot(cmp))
#'   print(ggplot2::autoplot(cmp, which = "time"))
#' }
#' @name autoplot.gradglm
#' @aliases autoplot.gradglm_comparison autoplot.gradglm_cv autoplot.gradglm_cv_path autoplot.gradglm_cv_comparison
NULL

autoplot.gradglm <- function(object, which = NULL, residual_type = c("deviance", "pearson"),
                             against = c("fitted", "link"), xvar = c("lambda", "norm", "dev"),
                             label = TRUE, predictor = NULL, term = NULL, ...) {
  check_gradglm(object, "autoplot.gradglm")
  fun <- "autoplot.gradglm"
  .gg_need(fun)
  .gg_no_dots(list(...), fun)
  x <- object
  if (is_path_fit(x)) {
    if (!is.null(which) && !identical(which, "path") && !identical(which, 1) && !identical(which, 1L)) {
      abort(fun, "a regularization path has one plot: which = \"path\"")
    }
    if (!is.logical(label) || length(label) != 1L || is.na(label)) abort(fun, "'label' must be TRUE or FALSE")
    return(.gg_path(x, .pick_arg(xvar, .plot_xvar, "xvar", fun), label, fun))
  }
  if (identical(which, "path")) abort(fun, "which = \"path\" is for a regularization path")
  if (is_source_fit(x)) {
    which <- if (is.null(which)) "loss" else .plot_which(which, .plot_choices, fun, several = FALSE)
    # residuals need the rows; the training curve does not
    if (which != "loss") abort(fun, source_rows_message("residuals"))
    return(.gg_loss(x, .plot_loss_ylab[[if (is_glm_fit(x)) "glm" else "likelihood"]], fun))
  }
  if (is_network_fit(x)) {
    which <- if (is.null(which)) "loss" else .plot_which(which, .net_plot_choices, fun, several = FALSE)
    return(switch(which,
      loss = .gg_loss(x, .plot_loss_ylab[["glm"]], fun),
      network = .gg_network(.net_diagram_data(x, fun)),
      effect = .gg_effect(.net_effect_data(x, term, fun = fun))))
  }
  if (is.character(which) && any(c("network", "effect") %in% which)) {
    abort(fun, "which = \"network\" and \"effect\" are for networks (model = mlp())")
  }
  if (is_glm_fit(x)) {
    residual_type <- .pick_arg(residual_type, .plot_residual_types, "residual_type", fun)
    against <- .pick_arg(against, .plot_against, "against", fun)
    which <- if (is.null(which)) {
      if (.plot_has_trace(x)) "loss" else "residuals"
    } else {
      .plot_which(which, .plot_choices, fun, several = FALSE)
    }
    return(switch(which,
      loss = .gg_loss(x, .plot_loss_ylab[["glm"]], fun),
      residuals = .gg_residuals(.plot_residuals_data(x, residual_type, against)),
      qq = .gg_qq(.plot_qq_data(x, fun, residual_type)),
      fit = .gg_fit(.plot_fit_data(x, fun)),
      scale = .gg_scale(.plot_scale_data(x, fun, residual_type)),
      leverage = .gg_leverage(.plot_leverage_data(x, fun))))
  }
  lik <- x$lik_type
  if (identical(lik, "location_scale")) {
    which <- if (is.null(which)) {
      if (.plot_has_trace(x)) "loss" else if (!is.null(.ls_plot_predictor(x))) "fit" else "residuals"
    } else {
      .plot_which(which, .ls_plot_choices, fun, several = FALSE)
    }
    return(switch(which,
      loss = .gg_loss(x, .plot_loss_ylab[["likelihood"]], fun),
      fit = .gg_ls_fit(.ls_plot_fit_data(x, fun)),
      residuals = .gg_residuals(.ls_plot_residuals_data(x), bands = c(-2, 2)),
      qq = .gg_qq(.ls_plot_qq_data(x, fun))))
  }
  if (lik %in% c("multinomial", "ordinal")) {
    which <- if (is.null(which)) {
      if (.plot_has_trace(x)) "loss" else if (!is.null(.cat_numeric_predictor(x, predictor, fun))) "probs" else
        "confusion"
    } else {
      .plot_which(which, .cat_plot_choices, fun, several = FALSE)
    }
    return(switch(which,
      loss = .gg_loss(x, .plot_loss_ylab[["likelihood"]], fun),
      probs = .gg_probs(.cat_plot_probs_data(x, predictor, fun)),
      confusion = .gg_confusion(.cat_confusion_table(x))))
  }
  # several responses (multi_gaussian, multi_location_scale)
  which <- if (is.null(which)) {
    if (.plot_has_trace(x)) "loss" else "residuals"
  } else {
    .plot_which(which, .mg_plot_choices, fun, several = FALSE)
  }
  switch(which,
    loss = .gg_loss(x, .plot_loss_ylab[["likelihood"]], fun),
    residuals = .gg_mg_residuals(.mg_plot_residuals_data(x)))
}

autoplot.gradglm_comparison <- function(object, which = "iterations", log = TRUE, ...) {
  fun <- "autoplot.gradglm_comparison"
  .gg_need(fun)
  .gg_no_dots(list(...), fun)
  which <- .cmp_plot_which(which, fun, several = FALSE)
  d <- .cmp_plot_data(object, log, fun)
  series <- d$series
  style <- .cmp_style(length(series), list())
  labels <- vapply(series, function(s) s$label, "")
  type <- vapply(series, .cmp_series_type, "")
  long <- do.call(rbind, lapply(seq_along(series), function(i) {
    s <- series[[i]]
    data.frame(optimizer = s$label, x = if (which == "time") s$time else s$iter, y = s$y,
               type = type[i], size = if (s$single) 2.5 else 1.2, stringsAsFactors = FALSE)
  }))
  long$optimizer <- factor(long$optimizer, levels = labels)
  labs <- .cmp_panel_labels(series, which)
  named <- function(v) stats::setNames(v, labels)
  p <- ggplot2::ggplot(long, .gg_aes(x = "x", y = "y", colour = "optimizer", linetype = "optimizer",
                                     shape = "optimizer")) +
    ggplot2::geom_line(data = long[long$type != "p", , drop = FALSE], linewidth = 0.6) +
    ggplot2::geom_point(data = long[long$type != "l", , drop = FALSE], .gg_aes(size = "size")) +
    ggplot2::scale_size_identity() +
    ggplot2::scale_colour_manual(values = named(style$col), name = NULL) +
    ggplot2::scale_linetype_manual(values = named(style$lty), name = NULL) +
    ggplot2::scale_shape_manual(values = named(style$pch), name = NULL) +
    ggplot2::labs(x = labs$xlab, y = d$ylab, title = labs$main)
  if (which == "time") p <- p + ggplot2::expand_limits(x = 0)
  if (isTRUE(log)) p <- p + ggplot2::scale_y_log10()
  p
}

autoplot.gradglm_cv_path <- function(object, measure = object$select_by, ...) {
  fun <- "autoplot.gradglm_cv"
  .gg_need(fun)
  .gg_no_dots(list(...), fun)
  d <- .cv_path_plot_data(object, measure, fun)
  cv <- data.frame(h = d$h, m = d$m, se = d$se, lower = d$m - d$se, upper = d$m + d$se)
  cv <- cv[is.finite(cv$m), , drop = FALSE]
  bars <- cv[cv$se > 0, , drop = FALSE]
  width <- 0.01 * diff(range(d$h))
  top <- !duplicated(d$h[d$at])
  ggplot2::ggplot(cv, .gg_aes(x = "h", y = "m")) +
    ggplot2::geom_vline(xintercept = d$vlines, linetype = "dotted") +
    ggplot2::geom_errorbar(data = bars, .gg_aes(x = "h", ymin = "lower", ymax = "upper"),
                           inherit.aes = FALSE, colour = "grey50", width = width) +
    ggplot2::geom_point(colour = "firebrick", size = 1.5) +
    ggplot2::scale_x_continuous(sec.axis = ggplot2::sec_axis(~ ., breaks = d$h[d$at][top],
                                                             labels = d$nzero[d$at][top],
                                                             name = "non-zero coefficients")) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

autoplot.gradglm_cv <- function(object, measure = "nll", ...) {
  fun <- "autoplot.gradglm_cv"
  .gg_need(fun)
  .gg_no_dots(list(...), fun)
  d <- .cv_plot_data(object, measure, fun)
  folds <- data.frame(fold = d$fold, value = d$value)
  p <- ggplot2::ggplot(folds, .gg_aes(x = "fold", y = "value")) +
    ggplot2::geom_point(size = 2) +
    ggplot2::geom_hline(yintercept = d$mean)
  if (is.finite(d$se) && d$se > 0) {
    p <- p + ggplot2::geom_hline(yintercept = d$mean + c(-1, 1) * d$se, linetype = "dashed")
  }
  p + ggplot2::scale_x_continuous(breaks = d$fold) + ggplot2::labs(x = "fold", y = d$ylab, title = d$main)
}

autoplot.gradglm_cv_comparison <- function(object, measure = "nll", ...) {
  fun <- "autoplot.gradglm_cv_comparison"
  .gg_need(fun)
  .gg_no_dots(list(...), fun)
  d <- .cv_comparison_plot_data(object, measure, fun)
  cv <- data.frame(model = factor(d$model, levels = unique(d$model)), m = d$m, se = d$se,
                   lower = d$m - d$se, upper = d$m + d$se)
  cv <- cv[is.finite(cv$m), , drop = FALSE]
  bars <- cv[cv$se > 0, , drop = FALSE]
  ggplot2::ggplot(cv, .gg_aes(x = "model", y = "m")) +
    ggplot2::geom_errorbar(data = bars, .gg_aes(x = "model", ymin = "lower", ymax = "upper"),
                           inherit.aes = FALSE, width = 0.15) +
    ggplot2::geom_point(size = 2) +
    ggplot2::scale_x_discrete(drop = FALSE) +
    ggplot2::labs(x = NULL, y = d$ylab, title = d$main)
}

# ---------------------------------------------------------------------------
# the plots

# The training curve: the loss (with the validation loss) in one panel and
# the gradient norm in another below it, drawn as the base plot draws them
# (points for a closed-form fit, lines beyond 50 rows, both otherwise).
.gg_loss <- function(x, ylab, fun) {
  d <- .plot_loss_data(x, fun)
  st <- .plot_loss_style
  has_val <- !is.null(d$val)
  has_grad <- any(is.finite(d$gnorm))
  grad_lab <- d$labels[["grad"]]
  gnorm <- d$gnorm
  if (has_grad) {
    if (d$loss_log) {
      # a log axis cannot show a gradient norm of zero
      gnorm[is.finite(gnorm) & gnorm <= 0] <- NA
    } else if (d$grad_log) {
      gnorm <- log10(gnorm)
      grad_lab <- paste0("log10(", grad_lab, ")")
    }
  }
  parts <- c("loss", if (has_val) "val", if (has_grad) "grad")
  curves <- unname(d$labels[parts])
  # the panels' labels stand for y axis titles: wrapped to fit their height
  panels <- vapply(c(ylab, grad_lab), function(s) paste(strwrap(s, 24L), collapse = "\n"), "",
                   USE.NAMES = FALSE)
  piece <- function(value, part, panel) {
    data.frame(iter = d$iter, value = value, curve = d$labels[[part]], panel = panel,
               stringsAsFactors = FALSE)
  }
  long <- rbind(piece(d$loss, "loss", panels[1L]),
                if (has_val) piece(d$val, "val", panels[1L]),
                if (has_grad) piece(gnorm, "grad", panels[2L]))
  long$curve <- factor(long$curve, levels = curves)
  long$panel <- factor(long$panel, levels = panels[seq_len(1L + has_grad)])
  named <- function(v) stats::setNames(unname(v[parts]), curves)
  # the base line types by name (lty 0 to 6)
  lty <- stats::setNames(c("blank", "solid", "dashed", "dotted", "dotdash", "longdash", "twodash")[st$lty + 1L],
                         names(st$lty))
  aes_all <- .gg_aes(x = "iter", y = "value", colour = "curve", linetype = "curve", shape = "curve")
  p <- ggplot2::ggplot(long, aes_all)
  if (d$type != "p") p <- p + ggplot2::geom_line(na.rm = TRUE)
  if (d$type != "l") p <- p + ggplot2::geom_point(na.rm = TRUE, size = if (d$closed) 2.5 else 1)
  p <- p +
    ggplot2::scale_colour_manual(values = named(st$col), name = NULL) +
    ggplot2::scale_linetype_manual(values = named(lty), name = NULL) +
    ggplot2::scale_shape_manual(values = named(st$pch), name = NULL) +
    ggplot2::labs(x = d$xlab, y = if (has_grad) NULL else ylab, title = d$main)
  if (!is.null(d$best)) {
    p <- p + ggplot2::geom_vline(xintercept = d$best, linetype = "dotted", colour = st$col[["best"]]) +
      ggplot2::labs(subtitle = paste0("best epoch (", format(d$best), "): dotted line"))
    at <- if (has_val) which(d$iter == d$best & is.finite(d$val)) else integer()
    if (length(at)) {
      mark <- data.frame(iter = d$best, value = d$val[at[1L]],
                         panel = factor(panels[1L], levels = levels(long$panel)))
      p <- p + ggplot2::geom_point(data = mark, .gg_aes(x = "iter", y = "value"), inherit.aes = FALSE,
                                   shape = st$pch[["best"]], size = 4, stroke = 1, colour = st$col[["best"]])
    }
  }
  if (has_grad) {
    p <- p + ggplot2::facet_grid(panel ~ ., scales = "free_y", switch = "y") +
      ggplot2::theme(strip.placement = "outside", strip.background = ggplot2::element_blank())
  }
  if (d$loss_log) p <- p + ggplot2::scale_y_log10()
  # as in the base plot, the loss alone gets no legend
  if (length(curves) == 1L) p <- p + ggplot2::theme(legend.position = "none")
  p
}

# Residuals against fitted values (or the linear predictor), with a dotted
# zero line, dashed lines at `bands` and the lowess smooth.
.gg_residuals <- function(d, bands = NULL) {
  pts <- data.frame(x = d$x, y = d$y)
  p <- ggplot2::ggplot(pts, .gg_aes(x = "x", y = "y")) +
    ggplot2::geom_hline(yintercept = 0, linetype = "dotted", colour = "gray40")
  if (length(bands)) {
    p <- p + ggplot2::geom_hline(yintercept = bands, linetype = "dashed", colour = "gray70")
  }
  p <- p + ggplot2::geom_point()
  if (!is.null(d$smooth)) {
    p <- p + ggplot2::geom_path(data = data.frame(x = d$smooth$x, y = d$smooth$y), colour = "firebrick")
  }
  p + ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

.gg_qq <- function(d) {
  ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) +
    ggplot2::geom_abline(intercept = d$line[["intercept"]], slope = d$line[["slope"]],
                         linetype = "dotted", colour = "gray40") +
    ggplot2::geom_point() +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

# The scale-location plot: points and their smooth.
.gg_scale <- function(d) {
  p <- ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) + ggplot2::geom_point()
  if (!is.null(d$smooth)) {
    p <- p + ggplot2::geom_path(data = data.frame(x = d$smooth$x, y = d$smooth$y), colour = "firebrick")
  }
  p + ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

# Residuals against leverage, with Cook's distance contours (dashed) and the
# rows of largest Cook's distance labelled.
.gg_leverage <- function(d) {
  yr <- range(d$y, 0)
  if (isTRUE(d$constant) && !is.null(d$levels)) {
    # (every leverage the same: against the factors' level combinations, as plot())
    lev <- d$levels
    return(ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) +
      ggplot2::geom_vline(xintercept = lev$bands, linetype = "dashed", colour = "gray") +
      ggplot2::geom_hline(yintercept = 0, linetype = "dotted", colour = "gray40") +
      ggplot2::geom_point() +
      ggplot2::geom_text(data = d$labels, .gg_aes(x = "x", y = "y", label = "label"), hjust = -0.2, size = 3) +
      ggplot2::scale_x_continuous(breaks = lev$at, labels = lev$labels) +
      ggplot2::coord_cartesian(xlim = lev$xlim, ylim = yr + c(-0.08, 0.08) * diff(yr)) +
      ggplot2::labs(x = paste0(d$xlab, " (", lev$first, ")"), y = d$ylab, title = d$main))
  }
  contours <- d$contours
  contours$group <- paste(contours$level, contours$side)
  p <- ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) +
    ggplot2::geom_hline(yintercept = 0, linetype = "dotted", colour = "gray40") +
    ggplot2::geom_path(data = contours,
                       .gg_aes(x = "x", y = "y", group = "group"), linetype = "dashed", colour = "gray50") +
    ggplot2::geom_point()
  if (!is.null(d$smooth)) {
    p <- p + ggplot2::geom_path(data = data.frame(x = d$smooth$x, y = d$smooth$y), colour = "firebrick")
  }
  p + ggplot2::geom_text(data = d$labels, .gg_aes(x = "x", y = "y", label = "label"), hjust = -0.2, size = 3) +
    ggplot2::coord_cartesian(ylim = yr + c(-0.08, 0.08) * diff(yr)) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main, caption = "dashed: Cook's distance 0.5 and 1")
}

# The data with the fitted mean curve.
.gg_fit <- function(d) {
  ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) +
    ggplot2::geom_point() +
    ggplot2::geom_line(data = data.frame(x = d$grid, y = d$mu), colour = "firebrick", linewidth = 1,
                       na.rm = TRUE) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

# The data with the fitted location and its +-2 sigma band.
.gg_ls_fit <- function(d) {
  okb <- is.finite(d$lo) & is.finite(d$hi)
  band <- data.frame(x = d$grid[okb], lo = d$lo[okb], hi = d$hi[okb])
  curves <- rbind(
    data.frame(x = d$grid, y = d$mu, part = d$labels[1L], group = "mu", stringsAsFactors = FALSE),
    data.frame(x = d$grid, y = d$lo, part = d$labels[2L], group = "lo", stringsAsFactors = FALSE),
    data.frame(x = d$grid, y = d$hi, part = d$labels[2L], group = "hi", stringsAsFactors = FALSE))
  curves$part <- factor(curves$part, levels = d$labels)
  ggplot2::ggplot(data.frame(x = d$x, y = d$y), .gg_aes(x = "x", y = "y")) +
    ggplot2::geom_ribbon(data = band, .gg_aes(x = "x", ymin = "lo", ymax = "hi"), inherit.aes = FALSE,
                         fill = "firebrick", alpha = 0.15) +
    ggplot2::geom_point() +
    ggplot2::geom_line(data = curves, .gg_aes(x = "x", y = "y", linetype = "part", linewidth = "part",
                                              group = "group"),
                       colour = "firebrick", na.rm = TRUE) +
    ggplot2::scale_linetype_manual(values = stats::setNames(c("solid", "dashed"), d$labels), name = NULL) +
    ggplot2::scale_linewidth_manual(values = stats::setNames(c(1, 0.5), d$labels), name = NULL) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

# The coefficients along the path, with the number of non-zero ones on top.
.gg_path <- function(x, xvar, label, fun) {
  d <- .plot_path_data(x, xvar, fun)
  B <- d$B
  coefs <- rownames(B)
  L <- length(d$h)
  long <- data.frame(h = rep(d$h, each = nrow(B)), value = as.vector(B),
                     coefficient = factor(rep(coefs, times = L), levels = coefs))
  top <- !duplicated(d$h[d$at])
  left <- d$xvar == "lambda"
  p <- ggplot2::ggplot(long, .gg_aes(x = "h", y = "value", colour = "coefficient")) +
    ggplot2::geom_hline(yintercept = 0, colour = "grey70", linetype = "dotted") +
    ggplot2::geom_line() +
    ggplot2::scale_colour_manual(values = stats::setNames(d$col, coefs), name = NULL) +
    ggplot2::labs(x = d$xlab, y = d$ylab)
  expand <- c(0.05, 0.05)
  if (label) {
    last <- B[, L]
    lab <- last != 0
    if (any(lab)) {
      ends <- data.frame(h = unname(d$h[L]), value = unname(last[lab]), coefficient = factor(coefs[lab], levels = coefs),
                         label = coefs[lab])
      # the names beside the curves' ends, outside the range of the path
      nudge <- 0.01 * diff(range(d$h)) * (if (left) -1 else 1)
      p <- p + ggplot2::geom_text(data = ends, .gg_aes(label = "label"), hjust = if (left) 1 else 0,
                                  nudge_x = nudge, size = 3, show.legend = FALSE)
      expand[if (left) 1L else 2L] <- 0.15
    }
    p <- p + ggplot2::theme(legend.position = "none")
  }
  p + ggplot2::scale_x_continuous(expand = ggplot2::expansion(mult = expand),
                                  sec.axis = ggplot2::sec_axis(~ ., breaks = d$h[d$at][top],
                                                               labels = d$df[d$at][top], name = d$top))
}

# The fitted probabilities of each class against a numeric predictor.
.gg_probs <- function(d) {
  lev <- d$levels
  long <- data.frame(x = rep(d$x, times = length(lev)), probability = as.vector(d$P),
                     class = factor(rep(lev, each = length(d$x)), levels = lev))
  ggplot2::ggplot(long, .gg_aes(x = "x", y = "probability", colour = "class")) +
    ggplot2::geom_point(size = 1) +
    ggplot2::scale_colour_manual(values = stats::setNames(grDevices::hcl.colors(length(lev), "Dark 3"), lev),
                                 name = NULL) +
    ggplot2::scale_y_continuous(limits = c(0, 1)) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
}

# Observed against predicted classes: tiles shaded by the weighted count.
.gg_confusion <- function(tab) {
  lev <- rownames(tab)
  long <- data.frame(observed = factor(rep(lev, times = ncol(tab)), levels = rev(lev)),
                     predicted = factor(rep(colnames(tab), each = nrow(tab)), levels = colnames(tab)),
                     count = as.vector(tab))
  long$text <- format(signif(long$count, 3L), trim = TRUE)
  ggplot2::ggplot(long, .gg_aes(x = "predicted", y = "observed", fill = "count")) +
    ggplot2::geom_tile(colour = "white") +
    ggplot2::geom_text(.gg_aes(label = "text")) +
    ggplot2::scale_fill_gradient(low = "grey95", high = "steelblue", name = "count") +
    ggplot2::labs(x = "predicted", y = "observed", title = .cat_plot_confusion_title)
}

# Pearson residuals against fitted values, one colour per response.
.gg_mg_residuals <- function(d) {
  resp <- colnames(d$x)
  if (is.null(resp)) resp <- paste0("response ", seq_len(ncol(d$x)))
  long <- data.frame(x = as.vector(d$x), y = as.vector(d$y),
                     response = factor(rep(resp, each = nrow(d$x)), levels = resp))
  long <- long[is.finite(long$x) & is.finite(long$y), , drop = FALSE]
  ggplot2::ggplot(long, .gg_aes(x = "x", y = "y", colour = "response")) +
    ggplot2::geom_hline(yintercept = 0, linetype = "dotted", colour = "gray40") +
    ggplot2::geom_point(size = 1) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main, colour = NULL)
}

# The network's diagram: weights as segments (width by |weight|, colour by
# sign), units as circles, the inputs and outputs named.
.gg_network <- function(d) {
  e <- d$edges
  e$sign <- factor(ifelse(e$weight >= 0, "positive", "negative"), levels = c("positive", "negative"))
  # the base plot's line widths, in ggplot2's units
  e$linewidth <- e$lwd / ggplot2::.pt
  ggplot2::ggplot() +
    ggplot2::geom_segment(data = e, .gg_aes(x = "x0", y = "y0", xend = "x1", yend = "y1",
                                            colour = "sign", linewidth = "linewidth")) +
    ggplot2::geom_point(data = d$nodes, .gg_aes(x = "x", y = "y"), shape = 21, fill = "white", size = 4) +
    ggplot2::geom_text(data = d$inputs, .gg_aes(x = "x", y = "y", label = "label"), hjust = 1, size = 3) +
    ggplot2::geom_text(data = d$outputs, .gg_aes(x = "x", y = "y", label = "label"), hjust = 0, size = 3) +
    ggplot2::scale_colour_manual(values = d$col, name = "weight", drop = FALSE) +
    ggplot2::scale_linewidth_identity() +
    ggplot2::scale_x_continuous(expand = ggplot2::expansion(mult = 0.25)) +
    ggplot2::labs(title = d$main, caption = d$sub) +
    ggplot2::theme_void()
}

# Partial dependence: the mean prediction (or class probabilities) over a
# grid of one variable, with a rug of its values when it is numeric.
.gg_effect <- function(d) {
  grid <- d$grid
  pd <- d$pd
  outputs <- if (!is.null(d$labels)) d$labels else "mean"
  numeric_grid <- is.numeric(grid)
  gx <- if (numeric_grid) grid else factor(as.character(grid), levels = unique(as.character(grid)))
  long <- data.frame(x = rep(gx, each = nrow(pd)), y = as.vector(pd),
                     output = factor(rep(outputs, times = length(grid)), levels = outputs))
  cols <- stats::setNames(grDevices::hcl.colors(max(2L, nrow(pd)), "Dark 3")[seq_len(nrow(pd))], outputs)
  p <- ggplot2::ggplot(long, .gg_aes(x = "x", y = "y", colour = "output", group = "output")) +
    ggplot2::geom_line()
  if (!numeric_grid) p <- p + ggplot2::geom_point()
  if (numeric_grid && is.numeric(d$values)) {
    p <- p + ggplot2::geom_rug(data = data.frame(x = d$values), .gg_aes(x = "x"), inherit.aes = FALSE,
                               colour = "grey60", sides = "b")
  }
  p <- p + ggplot2::scale_colour_manual(values = cols, name = NULL) +
    ggplot2::labs(x = d$xlab, y = d$ylab, title = d$main)
  if (is.null(d$labels)) p <- p + ggplot2::theme(legend.position = "none")
  p
}

# ---------------------------------------------------------------------------
# helpers

# An aesthetic mapping from column names given as strings, e.g.
# .gg_aes(x = "iter", y = "value"): the columns of the plot's data.
.gg_aes <- function(...) {
  cols <- list(...)
  do.call(ggplot2::aes, lapply(cols, as.name))
}

.gg_need <- function(fun) {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    abort(fun, "needs the ggplot2 package, which is not installed; install it, or draw with plot()")
  }
  invisible(TRUE)
}

# autoplot() takes no graphical parameters: a misspelt or base-graphics
# argument is an error rather than silently ignored.
.gg_no_dots <- function(dots, fun) {
  if (!length(dots)) return(invisible(TRUE))
  nms <- names(dots)
  if (is.null(nms)) nms <- character(length(dots))
  shown <- ifelse(nzchar(nms), paste0("'", nms, "'"), "an unnamed argument")
  abort(fun, "unused argument", if (length(dots) > 1L) "s", ": ", paste(shown, collapse = ", "),
        " (change titles and other details by adding ggplot2::labs() and the like to the result)")
}

# ---------------------------------------------------------------------------
# registration with ggplot2

# Registers `method` as the S3 method of `generic`, a generic of the
# package `pkg` that gradglm only suggests, for `class`: at once when `pkg`
# is loaded, and again each time it is loaded later (a hook on its onLoad
# event), so that the method is found whichever package is loaded first.
.register_s3_method <- function(pkg, generic, class, method) {
  # the hook runs later: fix the arguments now (a loop's variable changes)
  force(pkg)
  force(generic)
  force(class)
  force(method)
  register <- function(...) {
    registerS3method(generic, class, method, envir = asNamespace(pkg))
  }
  if (isNamespaceLoaded(pkg)) register()
  setHook(packageEvent(pkg, "onLoad"), register)
  invisible(NULL)
}

# The autoplot() methods for ggplot2's generic; called by .onLoad().
.register_autoplot <- function() {
  methods <- list(gradglm = autoplot.gradglm, gradglm_comparison = autoplot.gradglm_comparison,
                  gradglm_cv = autoplot.gradglm_cv, gradglm_cv_path = autoplot.gradglm_cv_path,
                  gradglm_cv_comparison = autoplot.gradglm_cv_comparison)
  for (cls in names(methods)) .register_s3_method("ggplot2", "autoplot", cls, methods[[cls]])
  invisible(NULL)
}
