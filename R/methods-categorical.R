# Methods' pieces for categorical fits (multinomial and ordinal): residuals,
# predictions of the linear predictors, the class probabilities and the
# most probable class, and plots of the probabilities and of the confusion of
# observed and predicted classes. Called by the generic methods through
# type_methods() (R/methods-likelihood.R).

multinomial_methods <- function() {
  list(residual_types = c("response", "pearson", "deviance"), residuals = .cat_residuals,
       predict_types = c("link", "probs", "class"), predict = .cat_predict, plot = .cat_plot)
}

ordinal_methods <- multinomial_methods

# The design of one block for new data (or, with newdata = NULL, for the rows
# of the fit), its columns matched to the block's coefficients.
.block_design <- function(object, b, newdata, na.action, ...) {
  obj <- object
  obj$coefficients <- stats::setNames(numeric(length(b$columns)), b$columns)
  if (!is.null(b$terms)) {
    obj$terms <- b$terms
    obj$xlevels <- b$xlevels
    obj$contrasts <- b$contrasts
  }
  if (is.null(newdata)) {
    X <- .pred_fitted_design(obj)
    X <- X[, b$columns, drop = FALSE]
    off <- if (is.null(object$offset)) 0 else object$offset
    mf <- object$model
    if (!is.null(mf) && !is.null(stats::model.offset(mf))) off <- stats::model.offset(mf)
    return(list(x = X, offset = rep_len(as.vector(off), nrow(X)), na.action = object$na.action))
  }
  .pred_new_design(obj, newdata, na.action, ...)
}

# eta of the block's outputs (n x m) from its design, and its standard errors
.block_eta <- function(object, b, design, se.fit) {
  X <- design$x
  if (!length(b$coef)) {  # (no columns: an ordinal model of the cut-points alone, y ~ 1)
    eta <- matrix(0, nrow(X), 1L) + if (is.null(design$offset)) 0 else design$offset
    return(list(eta = eta, se = if (se.fit) matrix(0, nrow(X), 1L)))
  }
  B <- matrix(object$coefficients[b$coef], nrow = length(b$columns))
  keep <- !is.na(B[, 1L])
  eta <- X[, keep, drop = FALSE] %*% B[keep, , drop = FALSE] + design$offset
  se <- NULL
  if (se.fit) {
    V <- vcov.gradglm(object, complete = TRUE)
    se <- vapply(seq_len(ncol(B)), function(k) {
      idx <- b$coef[(k - 1L) * nrow(B) + which(keep)]
      Vk <- V[idx, idx, drop = FALSE]
      Xk <- X[, keep, drop = FALSE]
      sqrt(pmax(rowSums((Xk %*% Vk) * Xk), 0))
    }, numeric(nrow(X)))
    se <- matrix(se, nrow(X))
  }
  list(eta = eta, se = se)
}

# class probabilities (n x L) from the predictors of a categorical fit
.cat_probs <- function(object, eta) {
  if (identical(object$lik_type, "multinomial")) return(softmax_probs(eta, length(object$lev)))
  ordinal_probs(object$family$link, eta, object$coefficients[object$blocks$cutpoints$coef])
}

.cat_predict <- function(object, newdata = NULL, type = c("link", "probs", "class"), se.fit = FALSE,
                         na.action = stats::na.pass, ...) {
  type <- match.arg(type)
  b <- object$blocks[[1L]]
  lev <- object$lev
  if (is.null(newdata) && !se.fit) {
    eta <- object$linear.predictors
    P <- object$fitted.values
    na_act <- object$na.action
    rn <- rownames(P)
  } else {
    design <- .block_design(object, b, newdata, na.action, ...)
    be <- .block_eta(object, b, design, se.fit)
    eta <- be$eta
    rn <- rownames(design$x)
    if (identical(object$lik_type, "multinomial")) {
      dimnames(eta) <- list(rn, b$outputs)
    } else {
      eta <- stats::setNames(as.vector(eta), rn)
    }
    P <- .cat_probs(object, eta)
    dimnames(P) <- list(rn, lev)
    na_act <- design$na.action
  }
  out <- switch(type,
    link = eta,
    probs = P,
    class = factor(lev[max.col(P, ties.method = "first")], levels = lev)
  )
  if (type == "class") names(out) <- rn
  pad <- function(v) stats::napredict(na_act, v)
  if (!se.fit) return(pad(out))
  if (type != "link") {
    abort("predict.gradglm", "'se.fit' is available for type = \"link\" only")
  }
  se <- be$se
  if (is.matrix(eta)) dimnames(se) <- dimnames(eta) else se <- stats::setNames(as.vector(se), rn)
  list(fit = pad(out), se.fit = pad(se), residual.scale = 1)
}

.cat_residuals <- function(object, type = c("response", "pearson", "deviance")) {
  type <- match.arg(type)
  P <- object$fitted.values
  Y <- P + object$residuals
  w <- object$prior.weights
  res <- switch(type,
    response = Y - P,
    pearson = (Y - P) * sqrt(w) / sqrt(P * (1 - P)),
    deviance = {
      d <- 2 * rowSums(ifelse(Y > 0, Y * log(Y / P), 0))
      stats::setNames(sqrt(pmax(w * d, 0)), rownames(P))
    })
  # (rows of zero weight whose class the fit dropped: no residual against the kept classes)
  if (length(object$unmodelled)) {
    if (is.matrix(res)) res[object$unmodelled, ] <- NA else res[object$unmodelled] <- NA
  }
  stats::naresid(object$na.action, res)
}

# plot(): "loss", "probs" (fitted class probabilities against a numeric
# predictor, the first of the model unless `predictor` names one) and
# "confusion" (observed against predicted classes)
.cat_plot_choices <- c("loss", "probs", "confusion")

.cat_plot <- function(x, which, explicit, ask, ...) {
  choices <- .cat_plot_choices
  if (is.null(which)) which <- choices
  which <- .plot_which(which, choices)
  dots <- list(...)
  predictor <- dots$predictor
  dots$predictor <- NULL
  if (!explicit) {
    if (!.plot_has_trace(x)) which <- setdiff(which, "loss")
    if (is.null(.cat_numeric_predictor(x, predictor))) which <- setdiff(which, "probs")
  }
  if (is.null(ask)) ask <- prod(graphics::par("mfcol")) < length(which) && grDevices::dev.interactive()
  .plot_pages(which, ask, function(w) {
    switch(w,
      loss = do.call(.ls_plot_loss, c(list(x), dots)),
      probs = do.call(.cat_plot_probs, c(list(x, predictor), dots)),
      confusion = do.call(.cat_plot_confusion, c(list(x), dots)))
  })
  invisible(x)
}

# the values of a numeric predictor of the model for its rows, with its name
.cat_numeric_predictor <- function(x, predictor = NULL, fun = "plot.gradglm") {
  mf <- x$model
  if (is.null(mf) || is.null(x$terms)) return(NULL)
  vars <- all.vars(stats::delete.response(x$terms))
  num <- vars[vapply(vars, function(v) is.numeric(mf[[v]]) && is.null(dim(mf[[v]])), NA)]
  if (!is.null(predictor)) {
    if (!predictor %in% num) {
      abort(fun, "'predictor' must name a numeric variable of the model (",
            quote_some(num), ")")
    }
    num <- predictor
  }
  if (!length(num)) return(NULL)
  list(name = num[1L], values = mf[[num[1L]]])
}

# What the class-probability plot shows, for plot() and autoplot(): the
# predictor's values `x` in increasing order, the fitted probabilities `P`
# (a column per class) in the same order and the labels.
.cat_plot_probs_data <- function(x, predictor = NULL, fun = "plot.gradglm") {
  v <- .cat_numeric_predictor(x, predictor, fun)
  if (is.null(v)) {
    abort(fun, "'which = \"probs\"' needs a model fitted by gradglm() with a numeric predictor ",
          "(and its model frame, model = TRUE)")
  }
  P <- x$fitted.values
  ord <- order(v$values)
  list(x = v$values[ord], P = P[ord, , drop = FALSE], levels = colnames(P), xlab = v$name,
       ylab = "fitted probability",
       main = paste0("Fitted class probabilities (", x$family$family, ")"))
}

.cat_plot_probs <- function(x, predictor = NULL, ...) {
  d <- .cat_plot_probs_data(x, predictor)
  cols <- grDevices::hcl.colors(length(d$levels), "Dark 3")
  .plot_call(graphics::matplot, list(
    x = d$x, y = d$P, type = "p", pch = 19, cex = 0.6, col = cols,
    xlab = d$xlab, ylab = d$ylab, ylim = c(0, 1), main = d$main), list(...))
  graphics::legend("topright", legend = d$levels, col = cols, pch = 19, bty = "n")
  invisible(NULL)
}

# The observed classes (weighted) against the most probable ones: a matrix
# with dimnames `observed` and `predicted`.
.cat_confusion_table <- function(x) {
  P <- x$fitted.values
  lev <- colnames(P)
  Y <- P + x$residuals
  w <- x$prior.weights
  tab <- matrix(0, length(lev), length(lev), dimnames = list(observed = lev, predicted = lev))
  pred <- max.col(P, ties.method = "first")
  for (k in seq_along(lev)) tab[, k] <- colSums((w * Y)[pred == k, , drop = FALSE])
  tab
}

.cat_plot_confusion_title <- "Observed and predicted classes"

.cat_plot_confusion <- function(x, ...) {
  tab <- .cat_confusion_table(x)
  .plot_call(graphics::mosaicplot, list(x = tab, main = .cat_plot_confusion_title,
                                        color = grDevices::hcl.colors(nrow(tab), "Dark 3"), las = 1),
             list(...))
  invisible(tab)
}
