#' @include family.R family-glm.R family-scale.R model-categorical.R
NULL

# evaluate(): how well a fitted model predicts data, from its own likelihood
# (the mean negative log-likelihood per observation and the deviance) and the
# measures that apply to its response (squared and absolute errors,
# misclassification, AUC, Brier score). cv_gradglm() and cv_compare()
# (R/cv.R) call it on every held-out fold.

# What evaluate() asks the family registry (R/family.R): `outcome`, the kind
# of response ("numeric", "binary"; categorical models are told apart by their
# lik_type), and for a GLM family `eval_loglik(y, trials, mu, wt, fit)`, the
# log-likelihood of each row as family$aic() counts it (with the fit's own
# scale for the Gaussian); for a location-scale family
# `eval_log_density(z, df)`, the log-density of the standardised residual
# z = (y - location) / sigma.

# the measures evaluate() knows, and what they mean (for print())
.eval_labels <- c(
  nll = "mean negative log-likelihood per observation",
  mean_deviance = "deviance per observation",
  mse = "mean squared error",
  mae = "mean absolute error",
  class = "misclassification rate",
  auc = "area under the ROC curve",
  brier = "Brier score"
)

# "numeric", "binary" or "classes": which measures apply to a fit
.eval_outcome <- function(fit) {
  if (fit$lik_type %in% c("multinomial", "ordinal")) return("classes")
  if (!is_glm_fit(fit)) return("numeric")
  out <- family_row(fit$family)$outcome
  if (is.null(out)) "numeric" else out
}

.eval_applicable <- function(outcome) {
  c("nll", "mean_deviance", switch(outcome, numeric = c("mse", "mae"),
                                   binary = c("class", "auc", "brier"),
                                   classes = c("class", "brier")))
}

# Check `measure` (NULL: every measure that applies to the fit) and return
# the measures to compute: always nll and mean_deviance, then the chosen ones.
# `label` names the model in messages (cv_compare()).
.eval_measures <- function(fit, measure, fun, label = NULL) {
  ok <- .eval_applicable(.eval_outcome(fit))
  if (is.null(measure)) return(ok)
  .eval_check_measure_names(measure, fun)
  bad <- setdiff(measure, ok)
  if (length(bad)) {
    what <- if (is.null(label)) "the model" else paste0("model '", label, "'")
    abort(fun, "'measure' ", quote_some(bad), " does not apply to ", what, " (",
          .eval_family_text(fit), "): 'auc' is for binomial models, 'class' and 'brier' for ",
          "binomial, multinomial and ordinal models, 'mse' and 'mae' for numeric responses; ",
          "available here: ", quote_some(ok, 10L))
  }
  unique(c("nll", "mean_deviance", measure))
}

.eval_check_measure_names <- function(measure, fun) {
  if (!is.character(measure) || !length(measure) || anyNA(measure)) {
    abort(fun, "'measure' must be NULL (every measure that applies) or a character vector of ",
          "measure names: ", quote_some(names(.eval_labels), 10L))
  }
  unknown <- setdiff(measure, names(.eval_labels))
  if (length(unknown)) {
    abort(fun, "unknown 'measure' ", quote_some(unknown), "; known measures: ",
          quote_some(names(.eval_labels), 10L))
  }
  invisible(TRUE)
}

.eval_family_text <- function(fit, sep = ", link ") {
  sig <- if (!is.null(fit$blocks$sigma)) .lik_sigma_label(fit)
  paste0(fit$family$family, sep, fit$family$link, if (!is.null(sig)) paste0(", sigma ", sig))
}

#' Evaluate a fitted model on held-out data
#'
#' Computes how well a model fitted by [gradglm()] predicts new data: the
#' held-out log-likelihood of the model's own density (as the mean negative
#' log-likelihood per observation), the deviance, and the measures that
#' apply to its response. [cv_gradglm()] and [cv_compare()] call it on every
#' held-out fold.
#'
#' The log-likelihood is that of the fitted model at `newdata`:
#' * GLM families as `family$aic()` counts it (and as [stats::logLik()] of a
#'   glm): binomial `dbinom()` with the trials of a `cbind(successes,
#'   failures)` response (with the weights as trials for a proportion),
#'   Poisson `dpois()` times the weights; the Gaussian `dnorm()` with the
#'   **fit's** maximum-likelihood standard deviation
#'   `sqrt(deviance(fit) / nobs(fit))` (divided by the square root of the
#'   weight), held fixed: the scale is not re-estimated on `newdata`.
#' * Distributional fits (`sigma = ~`, [laplace()], [student_t()], several
#'   responses) from the location and sigma predicted at `newdata`: Gaussian,
#'   Laplace `exp(-|y - mu| / sigma) / (2 sigma)` or Student-t with the fit's
#'   df; several Gaussian responses without a sigma model use each
#'   response's maximum-likelihood variance, as their `logLik()` does.
#' * [multinomial()] and [ordinal()] fits: the log of the predicted
#'   probability of the observed class (for a matrix of counts, the counts
#'   times the log-probabilities, without the multinomial coefficient).
#'
#' Weighted rows count with their weights (rows of zero weight are left
#' out). The weights are found as the fit found them: when the fit used
#' `weights = w`, `w` is evaluated in `newdata`, as [stats::glm()] evaluates
#' it in `data`.
#'
#' Measures (`measure`, all that apply when `NULL`; `"nll"` and
#' `"mean_deviance"` are always given):
#' * `"nll"`: minus the log-likelihood divided by the sum of the case weights
#'   (the number of observations without weights; for `cbind(successes,
#'   failures)` and count-matrix responses the trials count as the case
#'   weights, as they do in the fit's loss). A Gaussian GLM's weights are
#'   the precisions of its rows (each row counted once in its
#'   log-likelihood, as glm's), so its nll is divided by the number of rows;
#'   weights all equal leave every family's nll as without weights;
#' * `"mean_deviance"`: the deviance divided by the same sum. The deviance is
#'   the sum of `family$dev.resids()` on `newdata` for a GLM family (for the
#'   Gaussian, the weighted residual sum of squares) and minus twice the
#'   log-likelihood for the other models;
#' * `"mse"`, `"mae"`: the weighted mean squared and absolute error of the
#'   fitted mean (location) for numeric responses (Gaussian, Poisson,
#'   Laplace, Student-t, several responses: averaged over the responses);
#' * `"class"`: the misclassification rate: a binomial model predicts a
#'   success when its probability is above 0.5, a multinomial or ordinal
#'   model the most probable class;
#' * `"auc"` (binomial only): the area under the ROC curve, in its
#'   Mann-Whitney form: the probability that a success has a higher
#'   predicted probability than a failure, ties counted half, each pair
#'   weighted by the product of the weights (the successes and failures of a
#'   `cbind()` response are the trials);
#' * `"brier"`: the Brier score. For a binomial model the mean of
#'   `(p - y)^2`, `p` the predicted probability of a success and `y` the
#'   outcome (0 or 1): half the squared distance between the probability
#'   vector `(1 - p, p)` and the one-hot outcome; for multinomial and
#'   ordinal models likewise the mean of half the squared distance,
#'   `sum_k (p_k - y_k)^2 / 2`, between the vector of class probabilities and
#'   the one-hot outcome (so that a model of two classes has the binomial's
#'   score, as yardstick's `brier_class()`; Brier's original multiclass
#'   score is twice this).
#'
#' Rows of `newdata` with a missing response, predictor or weight are
#' dropped (and counted in `n_dropped`).
#'
#' Without `newdata` the fit is evaluated on its own training data (its
#' stored response, fitted values and weights). This is optimistic: the
#' model was chosen to fit those rows; use held-out data or [cv_gradglm()]
#' to judge how it predicts new data. For glm families with unit weights,
#' `evaluate(fit)$nll` is `-logLik(fit) / nobs(fit)` and
#' `evaluate(fit)$deviance` is `deviance(fit)`.
#'
#' @param fit A model fitted by [gradglm()] (a model fitted by
#'   [gradglm_fit()] can be evaluated on its training data only).
#' @param newdata A data frame holding the response and the predictors (and
#'   the weights' and offset's variables) of the rows to evaluate; if
#'   omitted, the training data (optimistic).
#' @param measure `NULL` (every measure that applies to the model) or some
#'   of `"nll"`, `"mean_deviance"`, `"mse"`, `"mae"`, `"class"`, `"auc"`,
#'   `"brier"`; asking for one that does not apply is an error.
#' @param ... Not used; an error when given.
#' @param weights Optionally, the prior weights of the rows of `newdata`,
#'   instead of the fit's own `weights` expression evaluated in `newdata`.
#' @return An object of class `"gradglm_evaluation"`: a list with
#'   `measures` (a named vector of the measures), `loglik` (the held-out
#'   log-likelihood), `deviance`, `nll`, `nobs` (rows with non-zero weight),
#'   `sum_weights` (the sum of the case weights), `n_dropped`, `training`
#'   (`TRUE` without `newdata`), `outcome`, `family`, `formula`, and for
#'   binomial, multinomial and ordinal models `probabilities` (the predicted
#'   probabilities, the observed outcome shares and the case weights, for
#'   the calibration plot). `print()` shows a small table; `plot()` draws a
#'   calibration plot ([plot.gradglm_evaluation()]).
#' @seealso [cv_gradglm()], [cv_compare()], [plot.gradglm_evaluation()].
#' @examples
#' bw <- MASS::birthwt
#' train <- bw[seq(1, nrow(bw), by = 2), ]
#' test <- bw[seq(2, nrow(bw), by = 2), ]
#' fit <- gradglm(low ~ age + lwt + smoke, data = train, family = binomial())
#' evaluate(fit, test)
#' evaluate(fit, test, measure = "auc")$measures
#' evaluate(fit)  # on the training data: optimistic
#' @export
evaluate <- function(fit, newdata, measure = NULL, ..., weights = NULL) {
  fun <- "evaluate"
  if (!inherits(fit, "gradglm")) {
    abort(fun, "'fit' must be a model fitted by gradglm(), not an object of class ", class(fit)[1L])
  }
  check_gradglm(fit, fun, "fit")
  if (...length()) {
    nm <- names(list(...))
    abort(fun, "unknown argument(s) ", if (is.null(nm)) "(unnamed)" else quote_some(nm[nzchar(nm)]),
          "; evaluate() takes 'fit', 'newdata', 'measure' and 'weights'")
  }
  stop_if_path(fit, fun)
  measures <- .eval_measures(fit, measure, fun)
  training <- missing(newdata) || is.null(newdata)
  if (training && !is.null(weights)) {
    abort(fun, "'weights' are those of the rows of 'newdata'; without 'newdata' the fit's own ",
          "weights are used")
  }
  d <- if (training) .eval_training_data(fit, fun) else .eval_new_data(fit, newdata, weights, fun)
  keep <- d$cw > 0
  if (!any(keep)) abort(fun, "no rows with non-zero weight (and no missing values) to evaluate")
  d <- .eval_subset(d, keep)
  v <- .eval_values(fit, d, measures)
  ll <- v$loglik
  dev <- v$deviance
  sw <- sum(d$cw)
  vals <- v$values
  probs <- .eval_probabilities(d)
  if (!is.null(probs) && d$outcome == "classes") probs$classes <- fit$lev
  structure(list(measures = vals[measures], loglik = ll, deviance = dev, nll = vals[["nll"]],
                 nobs = sum(keep), sum_weights = sw, n_dropped = d$n_dropped, training = training,
                 outcome = d$outcome, family = fit$family, lik_type = fit$lik_type,
                 model = .eval_family_text(fit, " model, link "),
                 formula = if (!is.null(fit$terms)) stats::formula(fit$terms),
                 probabilities = probs),
            class = "gradglm_evaluation")
}

# the measures of a fit on the data d (rows of non-zero weight)
.eval_values <- function(fit, d, measures) {
  bad <- if (identical(d$outcome, "binary")) which(d$p < 0 | d$p > 1) else integer(0)
  if (length(bad)) {
    # (a link that does not keep probabilities in [0, 1], such as the log:
    # the binomial log-likelihood of such a row does not exist)
    warn("evaluate", "the predicted probabilities of ", length(bad), " row(s) lie outside [0, 1] (",
         paste(format(range(d$p[bad]), digits = 4L, trim = TRUE), collapse = " to "), "): their log-likelihood and ",
         "deviance are taken as -Inf and Inf")
    ll <- -Inf
    dev <- Inf
  } else {
    ll <- .eval_loglik(fit, d)
    dev <- .eval_deviance(fit, d, ll)
  }
  sw <- sum(d$cw)
  # (a GLM family whose weights are precisions, the Gaussian, counts each row
  # once in its log-likelihood, as glm's: its nll is per row)
  count <- if (is_glm_fit(fit) && isTRUE(family_row(fit$family)$precision_weights)) NROW(d$y) else sw
  vals <- c(nll = -ll / count, mean_deviance = dev / sw)
  extra <- setdiff(measures, names(vals))
  if (length(extra)) vals <- c(vals, .eval_scores(d, extra))
  list(values = vals[measures], loglik = ll, deviance = dev)
}

# ---------------------------------------------------------------------------
# The data evaluated: a list with the outcome type and, per row,
#   numeric: y and mu (vectors, or matrices with one column per response),
#            sigma (the same shape, or NULL for a GLM), df;
#   binary:  y (the share of successes), trials, p;
#   classes: Y (n x L shares of the classes), P (n x L probabilities);
# and cw, the case weights (prior weights times trials, as the fit's
# prior.weights), and n_dropped.

.eval_subset <- function(d, keep) {
  for (nm in c("y", "mu", "sigma", "trials", "p", "Y", "P", "cw")) {
    v <- d[[nm]]
    if (is.null(v)) next
    d[[nm]] <- if (is.matrix(v)) v[keep, , drop = FALSE] else v[keep]
  }
  d
}

# the training data, from what the fit stored
.eval_training_data <- function(fit, fun) {
  outcome <- .eval_outcome(fit)
  y <- fit$y
  if (is.null(y)) {
    abort(fun, "the fit did not keep its response (y = FALSE); pass the training data as 'newdata'")
  }
  cw <- as.vector(fit$prior.weights)
  d <- list(outcome = outcome, cw = cw, n_dropped = 0L)
  if (outcome == "classes") {
    d$P <- unname(as.matrix(fit$fitted.values))
    d$Y <- if (is.matrix(y)) unname(y) else .eval_one_hot(y, fit$lev)
    return(d)
  }
  if (outcome == "binary") {
    d$y <- as.vector(y)
    d$p <- as.vector(fit$fitted.values)
    d$trials <- .eval_training_trials(fit, length(d$y))
    return(d)
  }
  d$y <- if (is.matrix(y)) unname(y) else as.vector(y)
  d$mu <- if (is.matrix(y)) unname(as.matrix(fit$fitted.values)) else as.vector(fit$fitted.values)
  d$sigma <- .eval_sigma(fit, fit$sigma, d$mu)
  d$df <- fit$df
  d
}

# the trials of a binomial fit's rows: those of a cbind(successes, failures)
# response in its model frame, else 1
.eval_training_trials <- function(fit, n) {
  mf <- fit$model
  if (is.null(mf) && !is.null(fit$terms)) {
    mf <- tryCatch(stats::model.frame(fit), error = function(e) NULL)
  }
  yr <- if (!is.null(mf)) stats::model.response(mf)
  if (is.matrix(yr) && ncol(yr) == 2L && nrow(yr) == n) return(as.vector(yr[, 1L] + yr[, 2L]))
  rep.int(1, n)
}

# the scale of each row (each response): the predicted sigma of a
# distributional fit; for several Gaussian responses without a sigma model,
# each response's maximum-likelihood sigma (its weighted RSS / nobs)
.eval_sigma <- function(fit, sigma, mu) {
  if (identical(fit$lik_type, "multi_gaussian")) {
    s <- sqrt(colSums(fit$prior.weights * fit$residuals^2) / fit$nobs)
    return(matrix(s, nrow(mu), length(s), byrow = TRUE))
  }
  if (is.null(sigma)) return(NULL)
  if (is.matrix(mu)) unname(as.matrix(sigma)) else as.vector(sigma)
}

.eval_one_hot <- function(y, lev) {
  idx <- match(as.character(y), lev)
  Y <- matrix(0, length(idx), length(lev))
  Y[cbind(seq_along(idx), idx)] <- 1
  Y
}

# new data: the response (through the family's own checks), the weights and
# the predictions; rows with anything missing are dropped
.eval_new_data <- function(fit, newdata, weights, fun) {
  if (is.null(fit$terms)) {
    abort(fun, "a model fitted by gradglm_fit() has no formula to find its response in 'newdata'; ",
          "evaluate it on its training data with evaluate(fit)")
  }
  if (!is.data.frame(newdata)) {
    abort(fun, "'newdata' must be a data frame, not ", class(newdata)[1L])
  }
  if (nrow(newdata) == 0L) abort(fun, "'newdata' has no rows")
  outcome <- .eval_outcome(fit)
  pred <- .eval_predict(fit, newdata, outcome, fun)
  y <- .eval_response(fit, newdata, fun)
  w <- .eval_weights(fit, newdata, weights, fun)
  missing_row <- function(v) if (is.matrix(v)) rowSums(is.na(v)) > 0 else is.na(v)
  bad <- missing_row(y) | is.na(w) | Reduce(`|`, lapply(pred, missing_row))
  if (all(bad)) abort(fun, "every row of 'newdata' has a missing response, predictor or weight")
  sub <- function(v) if (is.matrix(v)) v[!bad, , drop = FALSE] else v[!bad]
  y <- sub(y)
  w <- w[!bad]
  pred <- lapply(pred, sub)
  d <- list(outcome = outcome, n_dropped = sum(bad))
  if (outcome == "classes") {
    r <- .eval_class_response(fit, y, w, fun)
    return(c(d, list(Y = r$Y, cw = r$cw, P = unname(pred$P))))
  }
  if (outcome == "binary" && is.factor(y)) y <- .eval_binary_factor(fit, y, fun)
  resp <- family_row(fit$family)$response(y, fit$family, w, fun)
  d$cw <- as.vector(resp$weights)
  if (outcome == "binary") {
    return(c(d, list(y = as.vector(resp$y), trials = as.vector(unit_trials(resp$trials, NROW(resp$y))),
                     p = as.vector(pred$mu))))
  }
  d$y <- if (is.matrix(resp$y)) unname(resp$y) else as.vector(resp$y)
  d$mu <- if (is.matrix(pred$mu)) unname(pred$mu) else as.vector(pred$mu)
  d$sigma <- .eval_sigma(fit, pred$sigma, d$mu)
  d$df <- fit$df
  d
}

# predictions at newdata: the mean or location (and sigma), or the class
# probabilities
.eval_predict <- function(fit, newdata, outcome, fun) {
  pr <- function(type) {
    tryCatch(stats::predict(fit, newdata = newdata, type = type),
             error = function(e) abort(fun, "could not predict for 'newdata': ",
                                       sub("^predict[.]gradglm: ", "", conditionMessage(e))))
  }
  if (outcome == "classes") return(list(P = as.matrix(pr("probs"))))
  out <- list(mu = pr("response"))
  if (!is.null(fit$blocks$sigma)) out$sigma <- pr("sigma")
  out
}

# a two-level factor response in newdata with the levels of the fit's
# response (its first level is failure), whatever levels newdata has
.eval_binary_factor <- function(fit, y, fun) {
  mf <- fit$model
  if (is.null(mf)) mf <- tryCatch(stats::model.frame(fit), error = function(e) NULL)
  yr <- if (!is.null(mf)) stats::model.response(mf)
  if (!is.factor(yr)) return(y)
  lev <- levels(yr)
  bad <- !as.character(y) %in% lev
  if (any(bad)) {
    abort(fun, "'newdata' has response level(s) ", quote_some(as.character(y)[bad]),
          " that the fit does not know (its levels: ", quote_some(lev), ")")
  }
  factor(as.character(y), levels = lev)
}

# the response in newdata: the left-hand side of the formula, evaluated there
.eval_response <- function(fit, newdata, fun) {
  tt <- fit$terms
  expr <- attr(tt, "variables")[[attr(tt, "response") + 1L]]
  env <- environment(tt)
  if (is.null(env)) env <- globalenv()
  txt <- paste(deparse(expr, width.cutoff = 500L), collapse = " ")
  y <- tryCatch(eval(expr, newdata, env), error = function(e) {
    abort(fun, "could not find the response '", txt, "' in 'newdata': ", conditionMessage(e))
  })
  if (NROW(y) != nrow(newdata)) {
    abort(fun, "the response '", txt, "' has ", NROW(y), " values but 'newdata' has ",
          nrow(newdata), " rows")
  }
  y
}

# the prior weights of newdata: given, or the fit's `weights` expression
# evaluated in newdata (as glm evaluates it in data), or ones
.eval_weights <- function(fit, newdata, weights, fun) {
  n <- nrow(newdata)
  what <- "'weights'"
  if (is.null(weights)) {
    expr <- fit$call$weights
    if (is.null(expr)) return(rep.int(1, n))
    txt <- paste(deparse(expr, width.cutoff = 500L), collapse = " ")
    what <- paste0("the fit's weights '", txt, "'")
    env <- if (!is.null(fit$terms)) environment(fit$terms)
    if (is.null(env)) env <- globalenv()
    weights <- tryCatch(eval(expr, newdata, env), error = function(e) {
      abort(fun, "could not evaluate ", what, " in 'newdata': ", conditionMessage(e),
            "; give them as 'weights'")
    })
  }
  if (!is.numeric(weights) && !is.logical(weights)) {
    abort(fun, what, " must be numeric, not ", class(weights)[1L])
  }
  if (length(weights) != n) {
    abort(fun, what, " give ", length(weights), " values but 'newdata' has ", n, " rows",
          " (weights must be a variable of 'newdata', or be given as 'weights')")
  }
  weights <- as.numeric(weights)
  if (any(weights < 0, na.rm = TRUE) || any(is.infinite(weights))) {
    abort(fun, what, " must be finite and >= 0")
  }
  weights
}

# a categorical response in newdata as shares of the fit's classes: a
# factor (classes matched by their labels) or a matrix of counts
.eval_class_response <- function(fit, y, w, fun) {
  lev <- fit$lev
  if (is.matrix(y)) {
    if (!is.numeric(y) || ncol(y) != length(lev) || any(y < 0)) {
      abort(fun, "the response in 'newdata' must hold non-negative counts of the ", length(lev),
            " classes of the fit (", quote_some(lev), ")")
    }
    total <- rowSums(y)
    return(list(Y = unname(y / ifelse(total > 0, total, 1)), cw = w * total))
  }
  if (!is.factor(y) && !is.character(y) && !is.logical(y)) {
    abort(fun, "the response in 'newdata' must be a factor (or character), not ", class(y)[1L])
  }
  idx <- match(as.character(y), lev)
  if (anyNA(idx)) {
    abort(fun, "'newdata' has response class(es) ", quote_some(as.character(y)[is.na(idx)]),
          " that the fit does not know (its classes: ", quote_some(lev, 20L), ")")
  }
  list(Y = .eval_one_hot(y, lev), cw = w)
}

# ---------------------------------------------------------------------------
# log-likelihood, deviance and the other measures

.eval_loglik <- function(fit, d) {
  if (d$outcome == "classes") {
    return(sum(d$cw * rowSums(ifelse(d$Y > 0, d$Y * log(d$P), 0))))
  }
  row <- family_row(fit$family)
  if (is_glm_fit(fit)) {
    mu <- if (d$outcome == "binary") d$p else d$mu
    return(sum(row$eval_loglik(d$y, d$trials, mu, d$cw, fit)))
  }
  # location-scale, one or several responses: weights times log-densities
  # (a family that is not location-scale has its own)
  if (!is.null(row$location_scale$log_density)) {
    return(sum(d$cw * row$location_scale$log_density(d$y, d$mu, d$sigma, d$df)))
  }
  z <- (d$y - d$mu) / d$sigma
  dens <- row$eval_log_density
  ld <- if (is.matrix(z) && length(d$df) > 1L) {
    vapply(seq_len(ncol(z)), function(r) dens(z[, r], d$df[r]), numeric(nrow(z)))
  } else {
    dens(z, d$df)
  }
  sum(d$cw * (ld - log(d$sigma)))
}

.eval_deviance <- function(fit, d, ll) {
  if (!is_glm_fit(fit)) return(-2 * ll)
  mu <- if (d$outcome == "binary") d$p else d$mu
  sum(fit$family$dev.resids(d$y, mu, d$cw))
}

.eval_scores <- function(d, measures) {
  sw <- sum(d$cw)
  out <- numeric(0)
  if (d$outcome == "numeric") {
    r <- d$y - d$mu
    R <- NCOL(r)
    if ("mse" %in% measures) out["mse"] <- sum(d$cw * r^2) / (sw * R)
    if ("mae" %in% measures) out["mae"] <- sum(d$cw * abs(r)) / (sw * R)
    return(out)
  }
  if (d$outcome == "binary") {
    # each row: cw * y successes and cw * (1 - y) failures, all with probability p
    pos <- d$cw * d$y
    neg <- d$cw * (1 - d$y)
    p <- d$p
    if ("class" %in% measures) out["class"] <- sum(pos * (p <= 0.5) + neg * (p > 0.5)) / sw
    if ("auc" %in% measures) out["auc"] <- .eval_auc(p, pos, neg)
    if ("brier" %in% measures) out["brier"] <- sum(pos * (1 - p)^2 + neg * p^2) / sw
    return(out)
  }
  P <- d$P
  Y <- d$Y
  if ("class" %in% measures) {
    pred <- max.col(P, ties.method = "first")
    out["class"] <- sum(d$cw * (1 - Y[cbind(seq_len(nrow(Y)), pred)])) / sw
  }
  # mean over the observations of sum_k (p_k - 1[class k])^2 / 2 (shares for counts)
  if ("brier" %in% measures) {
    out["brier"] <- sum(d$cw * (rowSums(P^2) - 2 * rowSums(P * Y) + 1)) / (2 * sw)
  }
  out
}

# The weighted Mann-Whitney AUC: the share of (success, failure) pairs, each
# weighted by the product of their weights, whose success has the higher
# probability, ties counted half. Computed by sorting the distinct
# probabilities: O(n log n).
.eval_auc <- function(p, pos, neg) {
  tp <- sum(pos)
  tn <- sum(neg)
  if (!(tp > 0) || !(tn > 0)) return(NA_real_)
  pos_g <- rowsum(pos, p, reorder = TRUE)[, 1L]
  neg_g <- rowsum(neg, p, reorder = TRUE)[, 1L]
  below <- cumsum(neg_g) - neg_g
  sum(pos_g * (below + 0.5 * neg_g)) / (tp * tn)
}

# what the calibration plot needs: probabilities (a column per class; one
# column, of successes, for a binomial model), observed shares, case weights
.eval_probabilities <- function(d) {
  if (d$outcome == "binary") {
    return(list(prob = matrix(d$p, ncol = 1L), observed = matrix(d$y, ncol = 1L),
                weights = d$cw, classes = NULL))
  }
  if (d$outcome == "classes") {
    return(list(prob = d$P, observed = d$Y, weights = d$cw, classes = NULL))
  }
  NULL
}

# ---------------------------------------------------------------------------
# print() and plot()

#' Print and plot a held-out evaluation
#'
#' `print()` shows the measures of an [evaluate()] result as a small table,
#' with the held-out log-likelihood and deviance. `plot()` draws a
#' calibration plot: the predicted probabilities are binned (equal widths
#' on \[0, 1\]) and, in each bin, the (weighted) observed frequency of the
#' outcome is drawn against the mean predicted probability, with the
#' diagonal of perfect calibration. A binomial model gives one curve (the
#' probability of a success); multinomial and ordinal models one curve per
#' class. Models without class probabilities (numeric responses) have no
#' calibration plot: an error says so.
#'
#' @param x An object of class `"gradglm_evaluation"`, from [evaluate()].
#' @param digits Significant digits of the values.
#' @param bins Number of equal-width bins of the predicted probabilities.
#' @param ... For `plot()`, graphical arguments passed to [graphics::plot()]
#'   (such as `main`, `xlab`, `col` for the classes); ignored by `print()`.
#' @return `print()`: `x`, invisibly. `plot()`: invisibly, a data frame of
#'   the points drawn (`class`, `bin`, `predicted`, `observed`, `weight`).
#' @seealso [evaluate()]
#' @examples
#' fit <- gradglm(type ~ Na + Mg + Al, data = MASS::fgl, family = multinomial())
#' ev <- evaluate(fit)
#' ev
#' plot(ev, bins = 5)
#' @name gradglm_evaluation-methods
NULL

#' @rdname gradglm_evaluation-methods
#' @export
print.gradglm_evaluation <- function(x, digits = 4L, ...) {
  what <- if (x$training) "Evaluation on the training data (optimistic)" else "Held-out evaluation"
  cat("\n", what, ": ", x$model, "\n", sep = "")
  if (!is.null(x$formula)) {
    cat("  ", paste(deparse(x$formula, width.cutoff = 500L), collapse = " "), "\n", sep = "")
  }
  notes <- c(if (abs(x$sum_weights - x$nobs) > 1e-8 * x$nobs) {
    paste0("case weights sum to ", format(signif(x$sum_weights, digits + 2L)))
  }, if (x$n_dropped > 0L) paste0(x$n_dropped, " row(s) with missing values dropped"))
  cat("  ", x$nobs, " observation", if (x$nobs != 1L) "s",
      if (length(notes)) paste0(" (", paste(notes, collapse = "; "), ")"), "\n\n", sep = "")
  m <- x$measures
  lab <- .eval_labels[names(m)]
  if ("class" %in% names(m) && identical(x$outcome, "binary")) {
    lab["class"] <- paste0(lab["class"], " (threshold 0.5)")
  }
  tab <- data.frame(measure = names(m),
                    value = vapply(m, function(v) format(signif(v, digits)), ""),
                    meaning = lab, stringsAsFactors = FALSE)
  names(tab) <- c("measure", "value", "")
  print.data.frame(tab, row.names = FALSE, right = FALSE)
  cat("\nLog-likelihood: ", format(signif(x$loglik, digits + 2L)), ";  deviance: ",
      format(signif(x$deviance, digits + 2L)), "\n\n", sep = "")
  invisible(x)
}

#' @rdname gradglm_evaluation-methods
#' @export
plot.gradglm_evaluation <- function(x, bins = 10, ...) {
  fun <- "plot.gradglm_evaluation"
  pr <- x$probabilities
  if (is.null(pr)) {
    abort(fun, "a calibration plot needs predicted class probabilities, which a ", x$family$family,
          " model of a numeric response does not give; it is drawn for binomial, multinomial and ",
          "ordinal models")
  }
  if (!is.numeric(bins) || length(bins) != 1L || !is.finite(bins) || bins < 1 ||
      bins != round(bins)) {
    abort(fun, "'bins' must be a positive whole number")
  }
  pts <- .eval_calibration(pr, as.integer(bins))
  k <- ncol(pr$prob)
  classes <- if (k == 1L) "success" else pr$classes
  dots <- list(...)
  col <- if (!is.null(dots$col)) rep_len(dots$col, k) else
    if (k == 1L) "firebrick" else grDevices::hcl.colors(k, "Dark 3")
  dots$col <- NULL
  main <- paste0("Calibration", if (x$training) " (training data)" else " (held-out data)")
  .plot_call(graphics::plot, list(x = c(0, 1), y = c(0, 1), type = "n", main = main,
                                  xlab = "Predicted probability (bin mean)",
                                  ylab = "Observed frequency", xlim = c(0, 1), ylim = c(0, 1)),
             dots)
  graphics::abline(0, 1, lty = 2, col = "gray50")
  for (j in seq_len(k)) {
    pj <- pts[pts$class == classes[j], , drop = FALSE]
    graphics::lines(pj$predicted, pj$observed, type = "b", pch = 19, col = col[j])
  }
  if (k > 1L) {
    graphics::legend("topleft", legend = classes, col = col, lty = 1, pch = 19, bty = "n",
                     title = "class")
  }
  invisible(pts)
}

# the points of the calibration plot: per class and non-empty bin, the
# weighted means of the predicted probability and of the observed outcome
.eval_calibration <- function(pr, bins) {
  k <- ncol(pr$prob)
  classes <- if (k == 1L) "success" else pr$classes
  breaks <- seq(0, 1, length.out = bins + 1L)
  out <- lapply(seq_len(k), function(j) {
    p <- pr$prob[, j]
    b <- findInterval(p, breaks, rightmost.closed = TRUE, all.inside = TRUE)
    w <- pr$weights
    sw <- tapply(w, b, sum)
    data.frame(class = classes[j], bin = as.integer(names(sw)),
               predicted = as.vector(tapply(w * p, b, sum) / sw),
               observed = as.vector(tapply(w * pr$observed[, j], b, sum) / sw),
               weight = as.vector(sw), stringsAsFactors = FALSE)
  })
  do.call(rbind, out)
}
