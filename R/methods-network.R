#' @include model-network.R
NULL

# Methods of fitted networks (model = mlp()): print, summary and predict.
# The other methods of the one class work from the fit's likelihood parts
# (logLik, AIC, deviance, residuals, fitted) or refuse a network (vcov,
# confint, anova: the weights are not identified).

# "2 inputs -> 16 tanh -> 16 tanh -> mu": the layers of a network
.net_architecture <- function(net) {
  hidden <- if (length(net$units)) paste0(net$units, " ", names(mlp_activations)[match(net$activation, mlp_activations)])
  outs <- net$output_names[net$connected]
  biases <- net$output_names[!net$connected & net$bias]
  paste0(length(net$input_names), " input", if (length(net$input_names) != 1L) "s",
         paste0(" -> ", c(hidden, paste(outs, collapse = ", ")), collapse = ""),
         if (length(biases)) paste0("  (constant: ", paste(biases, collapse = ", "), ")"))
}

.net_print <- function(x, digits) {
  net <- x$network
  if (!is.null(x$call)) cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  fam <- x$family
  cat("\nFamily: ", fam$family, " (link: ", fam$link, ")\n", sep = "")
  cat("Network: ", .net_architecture(net), "\n", sep = "")
  cat("  ", net$n_weights, " weights and biases", if (net$dropout > 0) paste0("; dropout ", format(net$dropout)),
      if (net$decay > 0) paste0("; weight decay ", format(net$decay)), "\n", sep = "")
  cat("\nMean training loss: ", format(signif(-x$loglik / sum(x$prior.weights), digits)),
      " per unit weight (negative log-likelihood)\n", sep = "")
  cat("Log-likelihood: ", format(signif(x$loglik, digits)), " (df = ", x$npar, ")   AIC: ",
      format(signif(x$aic, digits)), "\n", sep = "")
  cat("  (df and AIC count every weight and bias of the network)\n")
  if (!is.null(x$na.action) && length(x$na.action)) cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  cat(.methods_fit_line(x), if (length(x$message) && nzchar(x$message)) paste0(": ", x$message), "\n", sep = "")
  cat("\n")
  invisible(x)
}

# the types of predict() for a network's likelihood
.net_predict_types <- function(object) {
  switch(object$lik_type,
    glm = c("link", "response", if (identical(family_row(object$family)$outcome, "binary")) "class"),
    location_scale = c("link", "response", "sigma"),
    multinomial = c("link", "probs", "class"),
    ordinal = c("link", "probs", "class"))
}

.net_predict <- function(object, newdata, type, se.fit, na.action, ...) {
  fun <- "predict.gradglm"
  if (!isFALSE(se.fit)) abort(fun, "'se.fit' is not available for a network: its weights have no standard errors")
  types <- .net_predict_types(object)
  type <- if (is.null(type)) types[1L] else .pick_type(type, types, fun, aliases = predict_aliases)
  net <- object$network
  if (is.null(newdata)) {
    eta <- .net_fitted_eta(object)
    na_act <- object$na.action
  } else {
    design <- .pred_new_design(object, newdata, na.action, ...)
    n <- design_nrow(design$x)
    net$inputs <- engine_design(design$x)
    off <- design$offset
    eta <- network_eta(net, as.double(object$coefficients),
                       list(if (!is.null(off) && (anyNA(off) || any(off != 0))) as.double(rep_len(off, n))), n)
    rownames(eta) <- design_row_names_of(design$x, n)
    na_act <- design$na.action
  }
  out <- .net_from_eta(object, eta, type)
  stats::napredict(na_act, out)
}

# the fitted rows' predictors as an n x K matrix
.net_fitted_eta <- function(object) {
  switch(object$lik_type,
    glm = matrix(object$linear.predictors, ncol = 1L, dimnames = list(names(object$linear.predictors), NULL)),
    location_scale = cbind(object$linear.predictors, object$sigma.linear.predictors),
    multinomial = object$linear.predictors,
    ordinal = cbind(object$linear.predictors, matrix(object$zeta, length(object$linear.predictors),
                                                     length(object$zeta), byrow = TRUE)))
}

# predictions of a type from the predictors (n x K)
.net_from_eta <- function(object, eta, type) {
  rn <- rownames(eta)
  fam <- object$family
  lev <- object$lev
  named <- function(v) stats::setNames(as.vector(v), rn)
  switch(object$lik_type,
    glm = switch(type, link = named(eta[, 1L]), response = named(fam$linkinv(eta[, 1L])),
                 class = named(as.integer(fam$linkinv(eta[, 1L]) > 0.5))),
    location_scale = switch(type, link = named(eta[, 1L]), response = named(fam$linkinv(eta[, 1L])),
                            sigma = named(exp(eta[, 2L]))),
    {
      P <- if (object$lik_type == "multinomial") {
        softmax_probs(eta, length(lev))
      } else {
        # (the cut-points are outputs of their own, the same on every row)
        ordinal_probs(fam$link, eta[, 1L], if (nrow(eta)) eta[1L, -1L] else rep(0, length(lev) - 1L))
      }
      dimnames(P) <- list(rn, lev)
      switch(type,
        link = if (object$lik_type == "multinomial") {
          structure(eta, dimnames = list(rn, if (ncol(eta) == length(lev)) lev else lev[-1L]))
        } else {
          named(eta[, 1L])
        },
        probs = P,
        class = stats::setNames(factor(lev[max.col(P, ties.method = "first")], levels = lev), rn))
    })
}

design_row_names_of <- function(x, n) {
  rn <- if (inherits(x, "gradglm_design")) design_row_names(x$rownames) else rownames(x)
  if (is.null(rn)) as.character(seq_len(n)) else rn
}

# plot() of a network: the training curve ("loss"), a diagram of the layers
# ("network") and a partial-dependence curve of one input variable ("effect")
.net_plot_choices <- c("loss", "network", "effect")

.net_plot <- function(x, which, explicit, ask, term = NULL, ...) {
  which <- if (!explicit) c("loss", if (.net_small(x$network)) "network") else
    .plot_which(which, .net_plot_choices)
  if (is.null(ask)) ask <- prod(graphics::par("mfcol")) < length(which) && grDevices::dev.interactive()
  .plot_pages(which, ask, function(w) {
    switch(w,
      loss = .plot_loss(x, ...),
      network = .net_plot_diagram(x, ...),
      effect = .net_plot_effect(x, term, ...))
  })
  invisible(x)
}

.net_small <- function(net) max(c(length(net$input_names), net$units, length(net$connected))) <= 40L

# The layers as columns of nodes (inputs, hidden layers, outputs) joined by
# their weights, for plot() and autoplot(): `edges` (from x0, y0 to x1, y1,
# with the weight and the line width, 0.3 to 4 by |weight| relative to the
# largest of its layer), `nodes` (x, y, layer), the input and output names
# with their positions, the title and the note on the colours.
.net_diagram_data <- function(x, fun = "plot.gradglm") {
  net <- x$network
  if (!.net_small(net)) {
    abort(fun, "which = \"network\" draws networks of at most 40 units per layer")
  }
  w <- x$coefficients
  sizes <- c(length(net$input_names), net$units, sum(net$connected))
  L <- length(sizes)
  ypos <- function(k) if (k == 1L) 0.5 else seq(0.05, 0.95, length.out = k)
  edges <- vector("list", L - 1L)
  at <- 0L
  for (l in seq_len(L - 1L)) {
    nin <- sizes[l]
    nout <- sizes[l + 1L]
    W <- matrix(w[at + seq_len(nin * nout)], nout, nin)
    at <- at + nin * nout + if (l < L - 1L) nout else 0L
    # one row per weight, inputs i outer and outputs j inner
    i <- rep(seq_len(nin), each = nout)
    j <- rep(seq_len(nout), times = nin)
    wt <- W[cbind(j, i)]
    edges[[l]] <- data.frame(layer = l, x0 = l - 1, y0 = ypos(nin)[i], x1 = l, y1 = ypos(nout)[j],
                             weight = wt, lwd = 0.3 + 3.7 * abs(wt) / max(abs(W), 1e-300))
  }
  nodes <- do.call(rbind, lapply(seq_len(L), function(l) {
    data.frame(layer = l, x = rep(l - 1, sizes[l]), y = ypos(sizes[l]))
  }))
  list(edges = do.call(rbind, edges), nodes = nodes, layers = L,
       inputs = data.frame(x = -0.05, y = ypos(sizes[1L]), label = net$input_names),
       outputs = data.frame(x = L - 1 + 0.05, y = ypos(sizes[L]), label = net$output_names[net$connected]),
       main = paste0("Network: ", .net_architecture(net)),
       sub = "line width: |weight|; blue positive, red negative",
       col = c(positive = "#0072B2B0", negative = "#D55E00B0"))
}

.net_plot_diagram <- function(x, ...) {
  d <- .net_diagram_data(x)
  e <- d$edges
  graphics::plot.new()
  graphics::plot.window(xlim = c(-0.15, d$layers - 1 + 0.15), ylim = c(0, 1))
  graphics::segments(e$x0, e$y0, e$x1, e$y1, lwd = e$lwd,
                     col = ifelse(e$weight >= 0, d$col[["positive"]], d$col[["negative"]]))
  graphics::points(d$nodes$x, d$nodes$y, pch = 21, bg = "white", cex = 1.6)
  graphics::text(d$inputs$x, d$inputs$y, d$inputs$label, pos = 2, cex = 0.7, xpd = TRUE)
  graphics::text(d$outputs$x, d$outputs$y, d$outputs$label, pos = 4, cex = 0.7, xpd = TRUE)
  graphics::title(main = d$main, cex.main = 0.9, sub = d$sub, cex.sub = 0.75)
  invisible(NULL)
}

# Partial dependence of the prediction on one variable of the data, for
# plot() and autoplot(): the mean prediction over the rows with the variable
# set to each value of a grid (50 values over its range, or its levels).
# Returns the grid, the means `pd` (a row per output: one, or one per class),
# the variable's values (for a rug), the class labels and the axis labels.
.net_effect_data <- function(x, term, n_grid = 50L, fun = "plot.gradglm") {
  mf <- x$model
  if (is.null(mf)) abort(fun, "which = \"effect\" needs the model frame (fit with model = TRUE)")
  vars <- all.vars(stats::delete.response(x$terms))
  if (is.null(term)) {
    if (length(vars) != 1L) abort(fun, "which = \"effect\" needs 'term': one of ", paste(vars, collapse = ", "))
    term <- vars
  }
  if (!is.character(term) || length(term) != 1L || !term %in% vars) {
    abort(fun, "'term' must name one variable of the formula: ", paste(vars, collapse = ", "))
  }
  data <- as.data.frame(mf)
  v <- data[[term]]
  grid <- if (is.numeric(v)) seq(min(v), max(v), length.out = n_grid) else unique(v)
  type <- if (x$lik_type %in% c("multinomial", "ordinal")) "probs" else "response"
  pd <- vapply(seq_along(grid), function(i) {
    data[[term]] <- rep(grid[i], nrow(data))
    p <- predict(x, newdata = data, type = type)
    if (is.matrix(p)) colMeans(p) else mean(p)
  }, numeric(if (type == "probs") length(x$lev) else 1L))
  pd <- matrix(pd, ncol = length(grid))
  list(grid = grid, pd = pd, values = v, term = term,
       labels = if (nrow(pd) > 1L) x$lev,
       xlab = term, ylab = if (type == "probs") "Mean probability" else "Mean prediction",
       main = paste("Partial dependence on", term))
}

.net_plot_effect <- function(x, term, n_grid = 50L, ...) {
  d <- .net_effect_data(x, term, n_grid)
  grid <- d$grid
  pd <- d$pd
  cols <- grDevices::hcl.colors(max(2L, nrow(pd)), "Dark 3")[seq_len(nrow(pd))]
  gx <- if (is.numeric(grid)) grid else seq_along(grid)
  graphics::matplot(gx, t(pd), type = if (is.numeric(grid)) "l" else "b", lty = 1, pch = 19,
                    col = cols, xlab = d$xlab,
                    ylab = d$ylab, main = d$main, xaxt = if (is.numeric(grid)) "s" else "n",
                    ...)
  if (!is.numeric(grid)) graphics::axis(1, at = gx, labels = as.character(grid))
  if (is.numeric(d$values)) graphics::rug(d$values, col = "grey60")
  if (!is.null(d$labels)) {
    graphics::legend("topright", legend = d$labels, col = cols, lty = 1, bty = "n", cex = 0.8)
  }
  invisible(NULL)
}

# summary() of a network: what its print says, with the residuals, the
# deviances, the training's course, each layer's weights and the inputs'
# standardisation. No standard errors: the weights are not identified.
.net_summary <- function(object) {
  net <- object$network
  coef <- unname(object$coefficients)
  # (the weights in their order: each hidden layer's units x the layer
  # before it, by column, then its biases; then the connected outputs x the
  # last layer, then the outputs' biases; see network_weight_names())
  at <- 0L
  take <- function(k) {
    v <- coef[at + seq_len(k)]
    at <<- at + k
    v
  }
  prev <- net$input_names
  prev_name <- "inputs"
  weights <- list()
  rows <- list()
  for (l in seq_along(net$units)) {
    here <- paste0("h", l, ".", seq_len(net$units[l]))
    w <- matrix(take(net$units[l] * length(prev)), net$units[l], length(prev), dimnames = list(here, prev))
    b <- take(net$units[l])
    weights[[paste0("h", l)]] <- cbind(w, `(bias)` = b)
    rows[[l]] <- list(paste0(prev_name, " -> h", l), w, b)
    prev <- here
    prev_name <- paste0("h", l)
  }
  oc <- net$output_names[net$connected]
  w <- matrix(take(length(oc) * length(prev)), length(oc), length(prev), dimnames = list(oc, prev))
  bias <- stats::setNames(rep(NA_real_, length(net$output_names)), net$output_names)
  bias[net$bias] <- take(sum(net$bias))
  weights$output <- cbind(rbind(w, matrix(NA_real_, sum(!net$connected), length(prev),
                                          dimnames = list(net$output_names[!net$connected], prev)))[
    net$output_names, , drop = FALSE], `(bias)` = bias)
  rows[[length(rows) + 1L]] <- list(paste0(prev_name, " -> output"), w, bias[net$bias])
  stopifnot(at == length(coef))
  tab <- data.frame(vapply(rows, `[[`, "", 1L), vapply(rows, function(r) length(r[[2L]]), 0L),
                    vapply(rows, function(r) length(r[[3L]]), 0L),
                    vapply(rows, function(r) if (length(r[[2L]])) sqrt(mean(r[[2L]]^2)) else NA_real_, 0),
                    vapply(rows, function(r) if (length(r[[2L]])) max(abs(r[[2L]])) else NA_real_, 0))
  names(tab) <- c("layer", "weights", "biases", "rms weight", "max |weight|")
  inputs <- data.frame(center = net$center, scale = net$scale, row.names = net$input_names)
  res_type <- switch(object$lik_type, glm = "deviance", location_scale = "pearson", NULL)
  res <- if (!is.null(res_type)) stats::residuals(object, type = res_type)
  tr <- object$trace
  n <- stats::nobs(object)
  glm_kind <- identical(object$lik_type, "glm")
  ans <- list(call = object$call, family = object$family, architecture = .net_architecture(net),
              n_weights = net$n_weights, dropout = net$dropout, decay = net$decay,
              residuals = res, residual_type = res_type,
              deviance = if (glm_kind) object$deviance, null.deviance = if (glm_kind) object$null.deviance,
              df.null = object$df.null, df.residual = object$df.residual, loglik = object$loglik,
              npar = object$npar, nobs = n,
              aic = object$aic, bic = stats::BIC(object),
              fit_line = .methods_fit_line(object), message = object$message,
              loss_start = if (length(tr$loss)) tr$loss[1L], loss_end = net$objective,
              val_loss = tr$val_loss, best_epoch = object$best_epoch,
              layers = tab, weights = weights, inputs = inputs,
              output_scale = net$output_scale, output_names = net$output_names)
  class(ans) <- "summary.gradglm_network"
  ans
}

#' @export
print.summary.gradglm_network <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  if (!is.null(x$call)) cat("\nCall:\n", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat("\nFamily: ", x$family$family, " (link: ", x$family$link, ")\n", sep = "")
  cat("Network: ", x$architecture, "\n", sep = "")
  cat("  ", x$n_weights, " weights and biases", if (x$dropout > 0) paste0("; dropout ", format(x$dropout)),
      if (x$decay > 0) paste0("; weight decay ", format(x$decay)), "\n", sep = "")
  if (length(x$residuals)) {
    cat("\n", if (x$residual_type == "deviance") "Deviance residuals" else "Residuals (standardised by sigma)",
        ":\n", sep = "")
    q <- stats::quantile(x$residuals, na.rm = TRUE)
    names(q) <- c("Min", "1Q", "Median", "3Q", "Max")
    print(q, digits = digits)
  }
  cat("\nLayers (the weights of standardised inputs and of the units before them):\n")
  print(x$layers, digits = digits, row.names = FALSE)
  cat("\nInputs, standardised inside the network as (x - center) / scale:\n")
  print(x$inputs, digits = digits)
  if (!is.null(x$output_scale) && any(x$output_scale != 1)) {
    cat("Trained in units of the response's sd (the weights above are the outputs' own): ",
        paste(x$output_names[x$output_scale != 1], format(signif(x$output_scale[x$output_scale != 1], digits)),
              sep = " ", collapse = ", "), "\n", sep = "")
  }
  cat("\n", x$fit_line, if (length(x$message) && nzchar(x$message)) paste0(": ", x$message), "\n", sep = "")
  if (!is.null(x$loss_start)) {
    cat("Objective (mean loss", if (x$decay > 0) " plus weight decay", "): ", format(signif(x$loss_start, digits)),
        " at the start, ", format(signif(x$loss_end, digits)), " at the end\n", sep = "")
  }
  if (length(x$val_loss) && !is.null(x$best_epoch)) {
    cat("Validation loss: ", format(signif(x$val_loss[x$best_epoch + 1L], digits)), " at the kept epoch ",
        x$best_epoch, "\n", sep = "")
  }
  if (!is.null(x$deviance)) {
    cat("\nNull deviance: ", format(signif(x$null.deviance, digits + 2L)), " on ", x$df.null,
        " degrees of freedom\nResidual deviance: ", format(signif(x$deviance, digits + 2L)),
        if (isTRUE(x$df.residual > 0)) {
          paste0(" on ", x$df.residual, " degrees of freedom (counting every weight and bias)")
        }, "\n", sep = "")
  }
  cat("Log-likelihood: ", format(signif(x$loglik, digits)), " (df = ", x$npar, ")   AIC: ",
      format(signif(x$aic, digits)), "   BIC: ", format(signif(x$bic, digits)), "\n", sep = "")
  cat("\nNo standard errors: a network's weights are not identified (its hidden units can be permuted);\n",
      "compare networks on held-out data (evaluate(), cv_compare()) or by AIC.\n\n", sep = "")
  invisible(x)
}
