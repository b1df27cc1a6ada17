#' @include cv.R methods-path.R
NULL

# Cross-validation of a regularization path: the path on all rows gives the
# lambdas; each fold's path is fitted at those lambdas on its training rows
# and every lambda is evaluated on the held-out rows (for a GLM family from
# one design of the held-out rows and one matrix product for all lambdas).

.cv_path_run <- function(spec, nfolds, foldid, measure, parallel, fun) {
  full <- .cv_full_fit(spec, fun)
  used <- full$.cv_rows
  full$.cv_rows <- NULL
  lambda <- full$path$lambda
  measures <- .eval_measures(.path_point(full, j = 1L), measure, fun)
  select_by <- if (is.null(measure)) "mean_deviance" else measure[1L]
  folds <- .cv_folds(nfolds, foldid, nrow(spec$data), used, .cv_strata(full), fun)
  data_used <- spec$data[used, , drop = FALSE]
  .cv_check_row_exprs(spec, data_used[folds$id != 1L, , drop = FALSE], fun)
  spec_k <- spec
  pen <- spec$values$penalty
  pen$lambda <- lambda
  spec_k$values$penalty <- pen
  res <- .cv_map_folds(folds$nfolds, data_used, folds$id, list(spec_k), list(measures), .cv_path_score,
                       parallel, fun)
  per_fold <- lapply(res, function(r) r[[1L]]$value)
  warnings <- character()
  for (k in seq_len(folds$nfolds)) {
    w <- res[[k]][[1L]]$warnings
    if (length(w)) warnings <- c(warnings, stats::setNames(w, rep(paste("fold", k), length(w))))
  }
  if (length(warnings)) .cv_warn(warnings, fun)
  # mean and standard error over the folds, per lambda and measure
  L <- length(lambda)
  cvm <- cvsd <- matrix(NA_real_, L, length(measures), dimnames = list(NULL, measures))
  for (m in measures) {
    vals <- vapply(per_fold, function(v) v[, m], numeric(L))
    vals <- matrix(vals, L)
    ms <- t(apply(vals, 1L, .cv_mean_se))
    cvm[, m] <- ms[, 1L]
    cvsd[, m] <- ms[, 2L]
  }
  best <- if (select_by == "auc") which.max(cvm[, select_by]) else which.min(cvm[, select_by])
  bound <- cvm[best, select_by] + (if (select_by == "auc") -1 else 1) * cvsd[best, select_by]
  ok <- if (select_by == "auc") cvm[, select_by] >= bound else cvm[, select_by] <= bound
  one_se <- min(which(ok & seq_len(L) <= best))
  foldid_all <- rep(NA_integer_, nrow(spec$data))
  foldid_all[used] <- folds$id
  list(fit = full, lambda = lambda, cvm = cvm, cvsd = cvsd, measures = measures, select_by = select_by,
       index = c(min = best, `1se` = one_se), lambda_min = lambda[best], lambda_1se = lambda[one_se],
       nzero = full$path$df, foldid = foldid_all, nfolds = folds$nfolds, stratified = folds$stratified,
       folds = lapply(per_fold, function(v) v))
}

# one fold: the path on the training rows at the full data's lambdas, each
# lambda evaluated on the held-out rows; a matrix lambdas x measures
.cv_path_score <- function(spec, train, test, k, measures, fun) {
  fit <- tryCatch(.cv_fit(spec, train, full = FALSE), error = function(e) {
    abort(fun, "fold ", k, ": the model could not be fitted to the training rows: ", conditionMessage(e))
  })
  L <- length(fit$path$lambda)
  out <- matrix(NA_real_, L, length(measures), dimnames = list(NULL, measures))
  fail <- function(e) {
    abort(fun, "fold ", k, ": the model could not be evaluated on the held-out rows: ",
          sub("^[a-z_.]+: ", "", conditionMessage(e)))
  }
  if (is_glm_fit(fit)) {
    pt <- .path_point(fit, j = 1L)
    d <- tryCatch(.eval_new_data(pt, test, NULL, fun), error = fail)
    X <- .pred_new_design(fit, test, stats::na.pass)
    if (d$n_dropped == 0L && nrow(X$x) == length(d$cw)) {
      eta <- as.matrix(X$x) %*% fit$path$beta + X$offset
      keep <- d$cw > 0
      d <- .eval_subset(d, keep)
      for (j in seq_len(L)) {
        mu <- fit$family$linkinv(eta[keep, j])
        if (d$outcome == "binary") d$p <- mu else d$mu <- mu
        out[j, ] <- .eval_values(.path_point(fit, j = j), d, measures)$values
      }
      return(out)
    }
  }
  for (j in seq_len(L)) {
    ev <- tryCatch(evaluate(.path_point(fit, j = j), test, measure = measures), error = fail)
    out[j, ] <- ev$measures
  }
  out
}

.cv_path_object <- function(run, mc) {
  structure(c(run, list(call = mc)), class = c("gradglm_cv_path", "gradglm_cv"))
}

#' @export
print.gradglm_cv_path <- function(x, digits = 4L, ...) {
  fit <- x$fit
  cat("\n", x$nfolds, "-fold cross-validation of a ", x$fit$penalty$name, " path",
      if (x$stratified) " (stratified by class)", ": ",
      paste(deparse(stats::formula(fit), width.cutoff = 500L), collapse = " "), " (",
      .eval_family_text(fit), ")\n", sep = "")
  m <- x$select_by
  cat(length(x$lambda), " lambdas; chosen by ", .eval_labels[[m]], " (", m, ")\n\n", sep = "")
  i <- x$index
  tab <- data.frame(Lambda = signif(x$lambda[i], digits), Index = i, Measure = signif(x$cvm[i, m], digits),
                    SE = signif(x$cvsd[i, m], digits), Nonzero = x$nzero[i], row.names = c("min", "1se"))
  print(tab)
  cat("\n")
  invisible(x)
}

# What the plot of a cross-validated path shows, for plot() and autoplot():
# the mean `m` and standard error `se` (0 where it is missing) of `measure`
# over the folds at each log lambda `h`, the log of lambda_min and
# lambda_1se, the number of non-zero coefficients with the positions of
# those shown on the top axis, and the labels.
.cv_path_plot_data <- function(x, measure, fun = "plot.gradglm_cv") {
  if (!is.character(measure) || length(measure) != 1L || !measure %in% x$measures) {
    abort(fun, "'measure' must be one of the measures of the cross-validation: ", quote_some(x$measures, 10L))
  }
  h <- log(x$lambda)
  se <- x$cvsd[, measure]
  at <- pretty(seq_along(h))
  list(h = h, m = x$cvm[, measure], se = ifelse(is.na(se), 0, se),
       vlines = log(c(x$lambda_min, x$lambda_1se)), nzero = x$nzero, at = at[at >= 1 & at <= length(h)],
       xlab = "log(lambda)", ylab = .eval_labels[[measure]],
       main = paste0(x$nfolds, "-fold cross-validation: mean \u00b1 1 SE"))
}

#' @export
plot.gradglm_cv_path <- function(x, measure = x$select_by, ...) {
  .plot_cv_dots(list(...), "plot.gradglm_cv")
  d <- .cv_path_plot_data(x, measure)
  h <- d$h
  m <- d$m
  se0 <- d$se
  .plot_call(graphics::plot, list(x = h, y = m, ylim = range(c(m - se0, m + se0), na.rm = TRUE), pch = 19,
                                  col = "firebrick", cex = 0.6, xlab = d$xlab, ylab = d$ylab, main = d$main),
             list(...))
  ok <- se0 > 0
  if (any(ok)) {
    graphics::arrows(h[ok], (m - se0)[ok], h[ok], (m + se0)[ok], angle = 90, code = 3L, length = 0.02,
                     col = "grey50")
  }
  graphics::abline(v = d$vlines, lty = 3)
  graphics::axis(3, at = h[d$at], labels = d$nzero[d$at], tick = FALSE, cex.axis = 0.8, line = -0.5)
  invisible(x)
}

# lambda named by s: "lambda_1se", "lambda_min" or a number
.cv_path_lambda <- function(x, s, fun) {
  if (is.character(s)) {
    s <- .pick_type(s, c("lambda_1se", "lambda_min"), fun, arg = "s")
    return(x[[s]])
  }
  .path_check_lambda(s, fun)
  s
}

#' @export
coef.gradglm_cv_path <- function(object, s = c("lambda_1se", "lambda_min"), ...) {
  coef(object$fit, lambda = .cv_path_lambda(object, s, "coef.gradglm_cv"))
}

#' @export
predict.gradglm_cv_path <- function(object, newdata = NULL, s = c("lambda_1se", "lambda_min"), ...) {
  stats::predict(object$fit, newdata = newdata, lambda = .cv_path_lambda(object, s, "predict.gradglm_cv"), ...)
}
