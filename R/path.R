#' @include penalty.R
NULL

# Penalised fits as the one fitted class: a path (a coefficient matrix over
# lambda) or a single penalised fit (with `penalty`), and the relaxed refit.

# The fit of a path: the engine's coefficient matrix over lambda and, per
# lambda, the number of non-zero coefficients (glmnet's df), the deviance and
# the fraction of the null deviance explained (GLM families) or the
# log-likelihood (the others), the objective and the KKT check.
path_core <- function(res, ctx, cn, penalty, pen) {
  beta <- res$coefficients
  L <- ncol(beta)
  dimnames(beta) <- list(cn, paste0("s", seq_len(L) - 1L))
  wsum <- res$wsum
  glm <- identical(ctx$model$kind, "glm")
  deviance_loss <- penalty_saturated(ctx$model)
  dev <- 2 * wsum * res$loss
  null_dev <- if (glm && ctx$intercept && !ctx$offset_given && NCOL(ctx$resp$y) == 1L) {
    y <- ctx$resp$y
    w <- ctx$resp$weights
    sum(ctx$family$dev.resids(y, sum(w * y) / sum(w), w))
  } else {
    2 * wsum * res$null_loss
  }
  if (deviance_loss && !(null_dev > 0) && (is.null(pen$lambda) || length(pen$lambda) > 1L)) {
    # (glmnet refuses these too: its path would explain -Inf of nothing)
    abort(ctx$fun, "the model without predictors fits the response exactly (null deviance 0: every response ",
          "is the same), so a regularization path has nothing to explain")
  }
  if (!all(res$converged)) {
    warn(ctx$fun, "coordinate descent did not converge at lambda = ", format(res$lambda[!res$converged][1L]),
         " (", res$message, "); see tol and max_sweeps of the penalty")
  }
  path <- list(lambda = res$lambda, beta = beta, df = penalty_df(beta, pen),
               dev.ratio = if (deviance_loss) 1 - dev / null_dev else NULL,
               deviance = if (deviance_loss) dev else NULL, loglik = if (!glm) -wsum * res$loss else NULL,
               null.deviance = if (deviance_loss) null_dev else NULL, objective = res$objective, kkt = res$kkt,
               sweeps = as.integer(res$sweeps), converged = as.logical(res$converged),
               lambda_max = res$lambda_max, alpha = pen$alpha, factor = stats::setNames(pen$factor, cn),
               var = stats::setNames(pen$var, cn),
               scale = stats::setNames(res$scale, cn), ridge_scale = pen$ridge_scale)
  aliased <- stats::setNames(rep(FALSE, length(cn)), cn)
  list(coefficients = beta[, L], aliased = aliased, path = path, penalty = penalty, family = ctx$family,
       y = ctx$resp$y, prior.weights = ctx$resp$weights, offset = if (ctx$offset_given) ctx$offset,
       nobs = ctx$n_ok, intercept = ctx$intercept, kind = ctx$model$kind,
       lik_type = if (is.null(ctx$model$lik_type)) ctx$model$likelihood$type else ctx$model$lik_type,
       blocks = describe_blocks(ctx$model$blocks), optimizer = "cd", iter = sum(res$sweeps),
       converged = all(res$converged), control = ctx$engine_control,
       df_fixed = if (!is.null(ctx$model$df_fixed) && !is.na(ctx$model$df_fixed)) ctx$model$df_fixed,
       lev = ctx$resp$levels)
}

# what a single penalised fit keeps of its penalty
penalised_fit_info <- function(res, penalty, pen) {
  pf <- res$penalty_fit
  list(spec = penalty, lambda = pf$lambda, alpha = pen$alpha, objective = pf$objective, kkt = pf$kkt,
       df = penalty_df(res$coefficients, pen), lambda_max = pf$lambda_max, relaxed = FALSE)
}

# relax = TRUE: the coefficients selected at lambda refitted without
# penalty; the others are 0 and reported as not estimated (aliased).
relaxed_core <- function(res, ctx, cn, penalty, args, pen) {
  fun <- ctx$fun
  blocks <- ctx$model$blocks
  first <- blocks[[1L]]
  pen_blocks <- if (is.null(penalty$blocks)) first$name else penalty$blocks
  if (!identical(pen_blocks, first$name) || first$m != 1L || is.null(first$design)) {
    abort(fun, "'relax = TRUE' is for a penalty on the first block of a model with one predictor per row ",
          "(not a multinomial, several responses or a penalised sigma model)")
  }
  p <- design_ncol(args$x)
  selected <- res$coefficients[seq_len(p)] != 0
  icpt <- seq_len(p) == design_intercept(args$x)
  selected[icpt] <- TRUE
  x <- args$x
  for (j in rev(which(!selected))) x <- design_drop_column(x, j)
  refit <- fit_core(x, args$y, args$weights, args$offset, args$family, "auto", args$control, NULL,
                    args$x_sigma, intercept = ctx$intercept, fun = fun)
  # back to the full layout: the unselected coefficients are 0, not estimated
  full <- stats::setNames(numeric(length(cn)), cn)
  full[names(refit$coefficients)] <- refit$coefficients
  aliased <- stats::setNames(rep(TRUE, length(cn)), cn)
  aliased[names(refit$aliased)] <- refit$aliased
  refit$coefficients <- full
  refit$aliased <- aliased
  refit$blocks <- describe_blocks(blocks)
  refit$penalty <- c(penalised_fit_info(res, penalty, pen),
                     list(selected = cn[seq_len(p)][selected & !icpt]))
  refit$penalty$relaxed <- TRUE
  refit
}

is_path_fit <- function(x) !is.null(x$path)

# comparisons by refitting sub-models (anova, drop1, add1, step) do not
# apply to a penalised fit (a relaxed one is an ordinary fit of its support)
stop_if_penalised <- function(x, fun) {
  stop_if_path(x, fun)
  if (!is.null(x$penalty) && !isTRUE(x$penalty$relaxed)) {
    abort(fun, "a penalised fit cannot be compared by refitting sub-models without its penalty; ",
          "choose lambda by cv_gradglm(), or compare relaxed fits (relax = TRUE)")
  }
  invisible(TRUE)
}

# methods that need a single fit say so for a path
# a fit from a chunked source keeps no vector per row
is_source_fit <- function(x) !is.null(x$source)

stop_if_source <- function(x, fun, what) {
  if (is_source_fit(x)) abort(fun, source_rows_message(what))
  invisible(TRUE)
}

stop_if_path <- function(x, fun) {
  if (is_path_fit(x)) {
    abort(fun, "this is a regularization path over ", length(x$path$lambda), " lambdas; it needs a single fit: ",
          "refit with one lambda (e.g. penalty = ", x$penalty$name, "(lambda = ",
          format(signif(x$path$lambda[ceiling(length(x$path$lambda) / 2)], 3)), ")), ",
          "or use coef(fit, lambda = ) and predict(fit, newdata, lambda = )")
  }
  invisible(TRUE)
}
