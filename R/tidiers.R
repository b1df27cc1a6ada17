# Tidiers for the broom framework: tidy(), glance() and augment() of a gradglm
# fit. The generics come from the lightweight 'generics' package and are
# re-exported, as broom asks of packages that keep their own tidiers. The
# numbers are those of the package's own methods (coef, vcov, confint,
# summary, predict, residuals); the influence measures of augment() for a
# GLM fit are those of stats::influence() on the same glm.

#' @importFrom generics tidy
#' @export
generics::tidy

#' @importFrom generics glance
#' @export
generics::glance

#' @importFrom generics augment
#' @export
generics::augment

#' Tidy a gradglm fit: coefficient tables, one-row summaries, augmented data
#'
#' Methods for the [generics::tidy()], [generics::glance()] and
#' [generics::augment()] generics of the broom framework (re-exported by
#' gradglm, so broom itself is not needed). They return tibbles when the
#' tibble package is installed, data frames otherwise. For a GLM fit the
#' columns and numbers are those of broom's tidiers of the same [stats::glm()]
#' fit.
#'
#' @section tidy():
#' One row per coefficient, with columns `term`, `estimate`, `std.error`,
#' `statistic` and `p.value` (and `conf.low`, `conf.high` with `conf.int =
#' TRUE`), from [coef()][coef.gradglm], [summary()][summary.gradglm] (t
#' statistics where summary gives them, for a Gaussian GLM and several Gaussian
#' responses; z statistics otherwise) and [confint()][coef.gradglm]
#' (profile-likelihood limits for a GLM fitted in memory, as broom gives them
#' for glm, and for the location coefficients of ordinal and location-scale
#' fits; Wald limits otherwise, or with `conf.method = "wald"`). Aliased coefficients, and those a penalised fit did not select,
#' have `NA` standard errors, statistics and limits. A fit with several
#' parameter blocks gets a column saying which block each row belongs to,
#' `term` then naming the coefficient within its block:
#'
#' * a distributional fit (a `sigma` model, [laplace()], [student_t()]):
#'   `component`, the block: `"location"`, `"sigma"` (the model of
#'   `log(sigma)`, whose terms are those of the `sigma` formula) and `"log_df"`
#'   (the term `"log(df)"`), as broom names the blocks of betareg fits;
#' * a [multinomial()] fit: `y.level`, the class whose log-odds against the
#'   baseline the row belongs to (first column, as in broom's
#'   `tidy.multinom()`);
#' * an [ordinal()] fit: `coef.type`, `"coefficient"` for the location terms
#'   and `"scale"` for the cut-points (last column, as broom's `tidy.polr()`
#'   labels them);
#' * several responses, `cbind(y1, y2) ~ x`: `response` (as broom's
#'   `tidy.mlm()`), and `component` too when they have a scale model.
#'
#' `exponentiate = TRUE` takes `exp()` of `estimate`, `conf.low` and
#' `conf.high` (odds ratios of a logit model, rate ratios of a log-linear
#' one); standard errors and tests stay on the scale of the coefficients.
#'
#' For a regularization path (a penalty with no single `lambda`) `tidy()`
#' follows broom's `tidy.glmnet()`: one row per coefficient and step of the
#' path, with columns `term`, `step`, `estimate`, `lambda` and `dev.ratio` (the
#' fraction of the null deviance explained; `logLik` instead for families
#' without a deviance), the block columns above where they apply, and
#' coefficients that are zero at a step left out unless `return_zeros = TRUE`.
#' A path has no standard errors: `conf.int = TRUE` is an error there.
#'
#' A network (`model = mlp()`) has no coefficient table: its weights are not
#' identified (the hidden units can be permuted) and have no standard errors,
#' so `tidy()` stops and says so; [coef()][coef.gradglm] gives the weights,
#' and `glance()` and `augment()` work.
#'
#' @section glance():
#' One row with columns `null.deviance`, `df.null`, `logLik`, `AIC`, `BIC`,
#' `deviance`, `df.residual` and `nobs` (those of broom's `glance.glm()`, in
#' its order), then `optimizer`, `iterations` and `converged`. A value the fit
#' does not have is `NA` of the column's type; a regularization path has no
#' single log-likelihood, deviance or residual degrees of freedom (its
#' `deviance` and `logLik` are per lambda, in `tidy()` and `fit$path`), and its
#' `iterations` are the coordinate-descent sweeps of the whole path.
#'
#' @section augment():
#' The data with columns added: `.fitted` (the predictions of `type.predict`),
#' `.se.fit` with `se_fit = TRUE`, and `.resid` (the residuals of
#' `type.residuals`). Without `newdata` the data are `data`, by default the
#' fit's model frame, and a GLM fit by maximum likelihood (not a network, not
#' a penalised fit) also gets the influence measures of broom's
#' `augment.glm()`, computed as [stats::influence()] computes them for the same
#' glm: `.hat` (leverage), `.sigma` (the residual scale with the row left
#' out), `.cooksd` (Cook's distance) and `.std.resid` (the standardised
#' deviance residual, or Pearson with `type.residuals = "pearson"`). `data`
#' must have the rows of the fit, or all the rows it was given when
#' `na.action` dropped some (`na.exclude`: the dropped rows get `NA`; other
#' actions: they are left out). Row names that are not 1, 2, ... become a
#' first column `.rownames`, as in broom.
#'
#' With `newdata` the rows are those of `newdata` (missing predictors give
#' `NA`), with `.fitted`, `.se.fit` with `se_fit = TRUE` and, when the response
#' is among its columns, `.resid` (for a GLM or distributional fit; the fit's
#' `weights` expression is evaluated in `newdata` when it can be, else the
#' weights are 1). broom's `augment.glm()` gives no `.resid` for new data.
#'
#' `type.predict` is a type of [predict()][predict.gradglm]: `"link"` (the
#' default, as broom's `augment.glm()`) or `"response"`, for a distributional
#' fit also `"sigma"`, for a multinomial or ordinal fit also `"probs"` and
#' `"class"` (the default there, as broom's `augment.polr()`). `type.residuals`
#' is a type of [residuals()][coef.gradglm]: `"deviance"` (the default),
#' `"pearson"`, `"working"` or `"response"` for a GLM; a fit with other
#' residuals (distributional: `"response"`, `"pearson"`, `"quantile"`)
#' uses its first one by default. Predictions or residuals with one column per
#' class or response come as columns `.fitted_<name>`, `.se.fit_<name>`,
#' `.resid_<name>`.
#'
#' A fit from a chunked [gradglm_source()] keeps no row-level values:
#' `augment()` needs `newdata` there. A regularization path has no single
#' fitted value per row: refit with one `lambda`.
#'
#' @param x A fit of class `"gradglm"`, made by [gradglm()] or
#'   [gradglm_fit()].
#' @param conf.int Add confidence limits `conf.low` and `conf.high`?
#' @param conf.level The confidence level of the limits.
#' @param exponentiate Report `exp()` of the estimates and limits?
#' @param conf.method The limits' method, `"profile"` or `"wald"`, as
#'   [confint()][coef.gradglm]'s `method` (by default its default).
#' @param return_zeros For a regularization path: keep the rows of
#'   coefficients that are zero at a step?
#' @param data For `augment()`: the data to add the columns to, with the rows
#'   of the fit (by default its model frame).
#' @param newdata For `augment()`: new data to predict; `data` is then not
#'   used.
#' @param type.predict,type.residuals For `augment()`: the type of the
#'   predictions and of the residuals (see the section).
#' @param se_fit For `augment()`: add the standard errors of the predictions,
#'   `.se.fit`? (Not for a network, whose weights have none.)
#' @param ... Not used.
#' @return A tibble (with the tibble package; a data frame otherwise):
#'   `tidy()` one row per coefficient (per coefficient and step for a path),
#'   `glance()` one row, `augment()` one row per row of the data.
#' @seealso [summary.gradglm()], [confint()][coef.gradglm],
#'   [predict.gradglm()], [residuals()][coef.gradglm].
#' @examples
#' fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial())
#' tidy(fit)
#' tidy(fit, conf.int = TRUE, exponentiate = TRUE)  # odds ratios
#' glance(fit)
#' head(augment(fit, type.predict = "response"))
#' augment(fit, newdata = data.frame(wt = c(2.5, 3.5), hp = c(110, 180)), se_fit = TRUE)
#'
#' # a distributional fit: one block per parameter
#' tidy(gradglm(dist ~ speed, data = cars, family = student_t(), sigma = ~ speed))
#'
#' # a regularization path, as broom tidies a glmnet path
#' path <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso())
#' head(tidy(path))
#' @name gradglm-tidiers
NULL

#' @rdname gradglm-tidiers
#' @export
tidy.gradglm <- function(x, conf.int = FALSE, conf.level = 0.95, exponentiate = FALSE,
                         return_zeros = FALSE, conf.method = NULL, ...) {
  check_gradglm(x, "tidy.gradglm", "x")
  fun <- "tidy.gradglm"
  .tidy_check_flag(conf.int, "conf.int", fun)
  .tidy_check_flag(exponentiate, "exponentiate", fun)
  .tidy_check_flag(return_zeros, "return_zeros", fun)
  if (conf.int && (!is.numeric(conf.level) || length(conf.level) != 1L || is.na(conf.level) ||
                   conf.level <= 0 || conf.level >= 1)) {
    abort(fun, "'conf.level' must be a single number between 0 and 1")
  }
  if (is_network_fit(x)) {
    abort(fun, "a network (model = mlp()) has no coefficient table: its weights are not identified ",
          "(the hidden units can be permuted) and have no standard errors; coef() gives the weights, ",
          "glance() and augment() work")
  }
  if (is_path_fit(x)) {
    if (conf.int) {
      abort(fun, "'conf.int' is not available along a regularization path (it has no standard errors); ",
            "refit with one lambda for confidence intervals")
    }
    return(.tidy_path(x, return_zeros, exponentiate))
  }
  cf <- coef.gradglm(x)
  nm <- names(cf)
  tab <- summary.gradglm(x)$coefficients
  i <- match(rownames(tab), nm)
  filled <- function(col) {
    v <- rep(NA_real_, length(nm))
    v[i] <- tab[, col]
    v
  }
  ret <- list(term = NULL, estimate = unname(as.numeric(cf)), std.error = filled(2L),
              statistic = filled(3L), p.value = filled(4L))
  if (conf.int) {
    ci <- confint.gradglm(x, level = conf.level, method = conf.method)
    if (!is.matrix(ci)) ci <- matrix(ci, 1L, dimnames = list(nm, names(ci)))  # (one coefficient)
    ret$conf.low <- unname(ci[nm, 1L])
    ret$conf.high <- unname(ci[nm, 2L])
  }
  if (exponentiate) {
    for (col in intersect(c("estimate", "conf.low", "conf.high"), names(ret))) ret[[col]] <- exp(ret[[col]])
  }
  lab <- .tidy_coef_labels(x)
  ret$term <- lab$term
  .tidy_frame(c(lab$before, ret, lab$after))
}

# the rows of a regularization path: every coefficient at every step, as
# broom's tidy.glmnet() (coefficient by coefficient, steps in order)
.tidy_path <- function(x, return_zeros, exponentiate) {
  p <- x$path
  B <- p$beta
  L <- ncol(B)
  k <- nrow(B)
  lab <- .tidy_coef_labels(x)
  row <- rep(seq_len(k), each = L)
  step <- rep(seq_len(L), times = k)
  est <- as.vector(t(B))
  ret <- list(term = lab$term[row], step = as.numeric(step), estimate = est, lambda = p$lambda[step])
  if (!is.null(p$dev.ratio)) {
    ret$dev.ratio <- p$dev.ratio[step]
  } else if (!is.null(p$loglik)) {
    ret$logLik <- p$loglik[step]
  }
  out <- c(lapply(lab$before, `[`, row), ret, lapply(lab$after, `[`, row))
  if (!return_zeros) out <- lapply(out, `[`, est != 0)
  if (exponentiate) out$estimate <- exp(out$estimate)
  .tidy_frame(out)
}

# Each coefficient's term within its block and the columns that say which
# block (and which class or response) it belongs to: `before` the term
# (component, y.level, response) or `after` the statistics (coef.type).
.tidy_coef_labels <- function(x) {
  nm <- names(x$coefficients)
  if (is_path_fit(x)) nm <- rownames(x$path$beta)
  term <- nm
  output <- rep(NA_character_, length(nm))
  block <- rep(NA_character_, length(nm))
  for (b in x$blocks) {
    idx <- b$coef
    if (!length(idx) || max(idx) > length(nm)) next
    block[idx] <- b$name
    if (isTRUE(b$split) && length(idx) == length(b$outputs) * length(b$columns)) {
      output[idx] <- rep(b$outputs, each = length(b$columns))
      term[idx] <- rep(b$columns, times = length(b$outputs))
    } else if (length(b$outputs) == length(idx) && identical(x$lik_type, "multi_location_scale")) {
      # one constant per response, named "log(df):<response>"
      suffix <- paste0(":", b$outputs)
      ends <- endsWith(nm[idx], suffix)
      output[idx] <- b$outputs
      term[idx] <- ifelse(ends, substr(nm[idx], 1L, nchar(nm[idx]) - nchar(suffix)), nm[idx])
    } else {
      term[idx] <- .lik_strip(nm[idx], b)
    }
  }
  lik_type <- if (is.null(x$lik_type)) "glm" else x$lik_type
  cols <- switch(lik_type,
    location_scale = list(before = list(component = block)),
    multinomial = list(before = list(y.level = output)),
    ordinal = list(after = list(coef.type = ifelse(block %in% "cutpoints", "scale", "coefficient"))),
    multi_gaussian = list(before = list(response = output)),
    multi_location_scale = list(before = list(response = output, component = block)),
    list())
  # whatever the blocks, the (block, term) pairs name the coefficients once
  key <- do.call(paste, c(unname(c(cols$before, cols$after)), list(term, sep = "\r")))
  if (anyNA(unlist(c(cols$before, cols$after))) || anyDuplicated(key)) {
    return(list(term = nm))
  }
  c(list(term = term), cols)
}

#' @rdname gradglm-tidiers
#' @export
glance.gradglm <- function(x, ...) {
  check_gradglm(x, "glance.gradglm", "x")
  path <- is_path_fit(x)
  num <- function(v) if (length(v) == 1L && !is.na(v)) as.numeric(v) else NA_real_
  # counts as integers, as broom gives them (kept as numbers if not whole)
  count <- function(v) {
    if (length(v) != 1L || is.na(v)) return(NA_integer_)
    if (v == round(v) && abs(v) < .Machine$integer.max) as.integer(v) else as.numeric(v)
  }
  ll <- if (!path) logLik.gradglm(x)
  opt <- x$optimizer
  .tidy_frame(list(
    null.deviance = num(if (path) x$path$null.deviance else x$null.deviance),
    df.null = count(x$df.null),
    logLik = num(if (!path) as.numeric(ll)),
    AIC = num(if (!path) stats::AIC(ll)),
    BIC = num(if (!path) stats::BIC(ll)),
    deviance = num(if (!path) x$deviance),
    df.residual = count(if (!path) x$df.residual),
    nobs = count(nobs.gradglm(x)),
    optimizer = if (is.character(opt) && length(opt) == 1L) opt else NA_character_,
    iterations = count(x$iter),
    converged = if (length(x$converged) == 1L) as.logical(x$converged) else NA
  ))
}

#' @rdname gradglm-tidiers
#' @export
augment.gradglm <- function(x, data = NULL, newdata = NULL, type.predict = "link",
                            type.residuals = "deviance", se_fit = FALSE, ...) {
  check_gradglm(x, "augment.gradglm", "x")
  fun <- "augment.gradglm"
  .tidy_check_flag(se_fit, "se_fit", fun)
  stop_if_path(x, fun)
  if (se_fit && is_network_fit(x)) {
    abort(fun, "'se_fit' is not available for a network (model = mlp()): its weights have no standard errors")
  }
  ptypes <- .augment_predict_types(x)
  # a categorical fit's default is its predicted class, as broom's augment.polr()
  type.predict <- if (missing(type.predict) && isTRUE(x$lik_type %in% c("multinomial", "ordinal"))) {
    "class"
  } else {
    .tidy_choice(type.predict, ptypes, "type.predict", fun)
  }
  rtypes <- .augment_residual_types(x)
  type.residuals <- if (missing(type.residuals) && !"deviance" %in% rtypes) {
    rtypes[1L]
  } else {
    .tidy_choice(type.residuals, rtypes, "type.residuals", fun)
  }
  if (!is.null(newdata)) {
    return(.augment_newdata(x, newdata, type.predict, type.residuals, se_fit, fun))
  }
  if (is_source_fit(x)) {
    abort(fun, "the fit was made from a chunked source and keeps no fitted values or residuals (one per ",
          "row); give 'newdata', e.g. augment(fit, newdata = d) with rows read from the source")
  }
  if (is.null(data)) {
    data <- tryCatch(model.frame.gradglm(x), error = function(e) {
      abort(fun, "the fit has no model frame to augment (fitted by gradglm_fit()?); give the data as 'data'")
    })
  }
  data <- .augment_check_frame(data, "data", fun)
  n <- NROW(x$fitted.values)
  naa <- x$na.action
  exclude <- inherits(naa, "exclude")
  padded <- FALSE
  if (nrow(data) != n) {
    if (length(naa) && nrow(data) == n + length(naa)) {
      if (exclude) padded <- TRUE else data <- data[-naa, , drop = FALSE]
    } else {
      abort(fun, "'data' has ", nrow(data), " rows but the fit has ", n,
            if (length(naa)) paste0(" (", n + length(naa), " before its na.action)"),
            "; give the data the model was fitted to")
    }
  }
  # the package's row values are padded for na.exclude: keep the fit's rows
  # unless the data have the dropped ones too
  rows <- function(v) {
    if (!exclude || padded || is.null(v)) return(v)
    if (is.matrix(v)) v[-naa, , drop = FALSE] else v[-naa]
  }
  pad <- function(v) if (padded) stats::naresid(naa, v) else v
  data <- .augment_rownames(data)
  pr <- .augment_predict(x, NULL, type.predict, se_fit, fun)
  cols <- list()
  cols <- .augment_add(cols, ".fitted", rows(pr$fit))
  if (se_fit) cols <- .augment_add(cols, ".se.fit", rows(pr$se.fit))
  cols <- .augment_add(cols, ".resid", rows(residuals.gradglm(x, type = type.residuals)))
  infl <- .influence_measures(x, type.residuals)
  if (!is.null(infl)) {
    for (nm in c(".hat", ".sigma", ".cooksd", ".std.resid")) cols[[nm]] <- pad(infl[[nm]])
  }
  .augment_bind(data, cols)
}

# predictions on the fit's rows (newdata NULL) or on newdata, as a list of
# `fit` and `se.fit`; predict()'s errors re-worded for augment()
.augment_predict <- function(x, newdata, type, se_fit, fun) {
  out <- tryCatch(
    if (is.null(newdata)) {
      predict.gradglm(x, type = type, se.fit = se_fit)
    } else {
      predict.gradglm(x, newdata = newdata, type = type, se.fit = se_fit, na.action = stats::na.pass)
    },
    error = function(e) {
      msg <- sub("^predict[.]gradglm: ", "", conditionMessage(e))
      abort(fun, "could not predict", if (!is.null(newdata)) " for 'newdata'", ": ",
            gsub("'se.fit'", "'se_fit'", msg, fixed = TRUE))
    })
  if (se_fit) out[c("fit", "se.fit")] else list(fit = out)
}

.augment_newdata <- function(x, newdata, type.predict, type.residuals, se_fit, fun) {
  df <- .augment_rownames(.augment_check_frame(newdata, "newdata", fun))
  pr <- .augment_predict(x, newdata, type.predict, se_fit, fun)
  cols <- .augment_add(list(), ".fitted", pr$fit)
  if (se_fit) cols <- .augment_add(cols, ".se.fit", pr$se.fit)
  if (.augment_has_response(x, newdata)) {
    cols <- .augment_add(cols, ".resid", .augment_new_residuals(x, newdata, type.residuals, fun))
  }
  .augment_bind(df, cols)
}

# Is the response of the fit (all its variables) among the columns of newdata?
.augment_has_response <- function(x, newdata) {
  tt <- x$terms
  if (is.null(tt) || !attr(tt, "response")) return(FALSE)
  expr <- attr(tt, "variables")[[attr(tt, "response") + 1L]]
  vars <- all.vars(expr)
  length(vars) > 0L && all(vars %in% names(newdata))
}

# residuals of the rows of newdata, of the types residuals() gives for the
# fit's own rows: a GLM's from its family (prior weights from the fit's
# weights expression when it can be evaluated in newdata, else 1), a
# distributional fit's from its location and scale. NULL for other fits.
.augment_new_residuals <- function(x, newdata, type, fun) {
  lik <- if (is.null(x$lik_type)) "glm" else x$lik_type
  if (!lik %in% c("glm", "location_scale")) return(NULL)
  n <- nrow(newdata)
  y <- .eval_response(x, newdata, fun)
  mu <- as.vector(.augment_predict(x, newdata, "response", FALSE, fun)$fit)
  missing_y <- if (is.matrix(y)) rowSums(is.na(y)) > 0 else is.na(y)
  ok <- !missing_y & !is.na(mu)
  out <- rep(NA_real_, n)
  if (!any(ok)) return(out)
  sub <- function(v) if (is.matrix(v)) v[ok, , drop = FALSE] else v[ok]
  fam <- x$family
  if (lik == "location_scale") {
    y <- as.numeric(sub(y))
    sig <- as.vector(.augment_predict(x, newdata, "sigma", FALSE, fun)$fit)[ok]
    m <- mu[ok]
    out[ok] <- switch(type,
      response = y - m,
      pearson = (y - m) / sig,
      quantile = {
        at <- x
        at$fitted.values <- m
        at$sigma <- sig
        .ls_quantile_resid(at, y)
      })
    return(out)
  }
  w <- tryCatch(.eval_weights(x, newdata, NULL, fun), error = function(e) rep.int(1, n))
  w[is.na(w)] <- 1
  y <- sub(y)
  if (is.factor(y) && identical(family_row(fam)$outcome, "binary")) y <- .eval_binary_factor(x, y, fun)
  resp <- family_row(fam)$response(y, fam, w[ok], fun)
  yv <- as.vector(resp$y)
  wt <- as.vector(resp$weights)
  m <- mu[ok]
  out[ok] <- switch(type,
    response = yv - m,
    pearson = (yv - m) * sqrt(wt) / sqrt(fam$variance(m)),
    working = {
      eta <- as.vector(.augment_predict(x, newdata, "link", FALSE, fun)$fit)[ok]
      (yv - m) / fam$mu.eta(eta)
    },
    deviance = {
      d <- sqrt(pmax(fam$dev.resids(yv, m, wt), 0))
      ifelse(yv > m, d, -d)
    })
  out
}

# The influence measures of a GLM fit by maximum likelihood, as
# stats::influence(), rstandard() and cooks.distance() give them for the same
# glm (rows of zero prior weight: no leverage and no influence, the fit's
# residual scale); NULL for the fits they do not apply to.
.influence_measures <- function(x, type.residuals, coefficients = FALSE) {
  if (!is_glm_fit(x) || is_network_fit(x) || is_source_fit(x)) return(NULL)
  if (!is.null(x$penalty) && !isTRUE(x$penalty$relaxed)) return(NULL)
  if (is.null(x$weights) || NCOL(x$fitted.values) != 1L) return(NULL)
  X <- tryCatch(model.matrix.gradglm(x), error = function(e) NULL)
  if (is.null(X)) return(NULL)
  aliased <- .methods_aliased(x)
  X <- X[, !aliased, drop = FALSE]
  w <- as.vector(x$weights)  # working weights
  n <- length(w)
  if (nrow(X) != n) return(NULL)
  pw <- x$prior.weights
  if (is.null(pw)) pw <- rep.int(1, n)
  used <- pw != 0
  unpad <- function(v) {
    v <- as.vector(v)
    if (inherits(x$na.action, "exclude")) v[-x$na.action] else v
  }
  dev_res <- unpad(residuals.gradglm(x, type = "deviance"))
  pear_res <- unpad(residuals.gradglm(x, type = "pearson"))
  disp <- .methods_dispersion(x)
  p <- ncol(X)
  hat <- numeric(n)
  q <- NULL
  ch <- NULL
  if (p > 0L) {
    A <- X * sqrt(w)
    # The leverages h = diag(A (A'A)^-1 A') from the Cholesky factor of the
    # scaled A'A where it is clearly positive definite (its pivots bound
    # cond(A)^2 eps below 1e-9): n p^2 / 2 operations on the cross-product,
    # where the QR and its explicit Q (stats' qr.Q()) took over half of
    # hatvalues()'s 1.9 s at n = 1e6, p = 10 (glm's: 0.34 s). Else the QR, as
    # glm's.
    # (the engine's own test, full_rank_cholesky(): pivots above 1e-3)
    ch <- full_rank_cholesky(crossprod(A), 1e-3)
    if (!is.null(ch)) {
      Z <- backsolve(ch$R, t(A) * ch$s, transpose = TRUE)
      hat <- colSums(Z^2)
    } else {
      q <- qr(A)
      Q <- qr.Q(q)[, seq_len(q$rank), drop = FALSE]
      hat <- rowSums(Q^2)
      p <- q$rank
    }
  }
  hat[!used] <- 0
  hat[hat > 1 - 10 * .Machine$double.eps] <- 1
  # the residual scale with each row left out, from the deviance residuals
  e <- dev_res[used]
  e[abs(e) < 100 * .Machine$double.eps * stats::median(abs(e))] <- 0
  m <- sum(used)
  s2 <- sum(e^2)
  h <- hat[used]
  sig <- numeric(n)
  left <- s2 - e^2 / (1 - h)
  left[h >= 1] <- s2
  sig[used] <- sqrt(left / (m - p - 1))
  sig[!used] <- sqrt(s2 / (m - p))
  nan_inf <- function(v) {
    v[is.infinite(v)] <- NaN
    v
  }
  res <- if (identical(type.residuals, "pearson")) pear_res else dev_res
  cooks <- nan_inf((pear_res / (1 - hat))^2 * hat / (disp * p))
  std <- nan_inf(res / sqrt(disp * (1 - hat)))
  cooks[!used] <- 0
  std[!used] <- NA_real_
  out <- list(.hat = hat, .sigma = sig, .cooksd = cooks, .std.resid = std, .dev.res = dev_res, .pear.res = pear_res)
  if (coefficients) {
    # the change of the coefficients when a row is left out, as
    # stats::lm.influence() gives it for glm: the least-squares formula on
    # the weighted design with the deviance residuals,
    # (X'WX)^-1 x_i sqrt(w_i) d_i / (1 - h_i)
    xtwx_inv <- if (!is.null(ch)) {
      chol2inv(ch$R) * outer(ch$s, ch$s)
    } else if (!is.null(q)) {
      chol2inv(qr.R(q))[order(q$pivot), order(q$pivot), drop = FALSE]
    } else {
      matrix(0, 0, 0)
    }
    step <- ifelse(hat < 1, sqrt(w) * dev_res / (1 - hat), 0)
    step[!used] <- 0
    out$.coefficients <- (X * step) %*% xtwx_inv
    dimnames(out$.coefficients) <- list(NULL, colnames(X))
    out$.xtwx_inv <- xtwx_inv
  }
  out
}

.augment_predict_types <- function(x) {
  if (is_network_fit(x)) return(.net_predict_types(x))
  if (is_glm_fit(x)) return(c("link", "response"))
  type_methods(x)$predict_types
}

.augment_residual_types <- function(x) {
  if (is_glm_fit(x)) return(c("deviance", "pearson", "working", "response"))
  type_methods(x)$residual_types
}

# data or newdata as a data frame
.augment_check_frame <- function(d, arg, fun) {
  if (is.matrix(d)) {
    if (is.null(colnames(d))) abort(fun, "'", arg, "' is a matrix without column names; give a data frame")
    d <- as.data.frame(d, stringsAsFactors = FALSE)
  }
  if (!is.data.frame(d)) abort(fun, "'", arg, "' must be a data frame, not ", class(d)[1L])
  d
}

# row names other than 1, 2, ..., n as a first column `.rownames` (as broom's
# augment() keeps them; a tibble has none)
.augment_rownames <- function(d) {
  rn <- rownames(d)
  named <- !inherits(d, "tbl_df") && nrow(d) > 0L && any(rn != as.character(seq_len(nrow(d))))
  if (named && !".rownames" %in% names(d)) {
    # (matrix columns, such as a cbind() response, stay whole)
    d <- structure(c(list(.rownames = rn), as.list(d)), class = "data.frame",
                   row.names = .set_row_names(nrow(d)))
  }
  d
}

# a column, or one column per class or response of a matrix (".fitted_<name>")
.augment_add <- function(cols, name, v) {
  if (is.null(v)) return(cols)
  if (is.matrix(v) && ncol(v) == 1L) v <- v[, 1L]
  if (is.matrix(v)) {
    cn <- colnames(v)
    if (is.null(cn)) cn <- seq_len(ncol(v))
    for (j in seq_len(ncol(v))) cols[[paste0(name, "_", cn[j])]] <- unname(v[, j])
  } else {
    cols[[name]] <- if (is.factor(v)) unname(v) else unname(as.vector(v))
  }
  cols
}

.augment_bind <- function(data, cols) {
  rownames(data) <- NULL
  for (nm in names(cols)) data[[nm]] <- cols[[nm]]
  .tidy_frame(data)
}

# a tibble with the tibble package, a data frame otherwise
.tidy_frame <- function(cols) {
  df <- if (is.data.frame(cols)) cols else {
    structure(cols, class = "data.frame", row.names = .set_row_names(length(cols[[1L]])))
  }
  attr(df, "terms") <- NULL
  if (requireNamespace("tibble", quietly = TRUE)) tibble::as_tibble(df) else df
}

.tidy_check_flag <- function(v, arg, fun) {
  if (!is.logical(v) || length(v) != 1L || is.na(v)) abort(fun, "'", arg, "' must be TRUE or FALSE")
  invisible(TRUE)
}

# one of the allowed values (partial matching, as match.arg), named in the error
.tidy_choice <- function(v, allowed, arg, fun) {
  if (!is.character(v) || length(v) != 1L || is.na(v)) {
    abort(fun, "'", arg, "' must be one of ", quote_some(allowed, 10L))
  }
  i <- pmatch(v, allowed)
  if (is.na(i)) abort(fun, "'", arg, "' must be one of ", quote_some(allowed, 10L), " for this fit, not '", v, "'")
  allowed[i]
}
