#' @include family.R
NULL

# Categorical responses as rows of the family registry: multinomial (softmax)
# regression of an unordered factor and ordinal (cumulative-link) regression
# of an ordered factor. Both are models of kind "likelihood".

#' Families for categorical responses: multinomial and ordinal regression
#'
#' * `multinomial()`: a factor (or character) response with `L >= 2` classes,
#'   or a matrix of counts with one column per class. The log-odds of each
#'   class against the first (the baseline, as [nnet::multinom()] takes it)
#'   is a linear model of its own, all sharing one design:
#'   `log(P(y = k) / P(y = 1)) = x b_k`, `k = 2, ..., L`, so the
#'   probabilities are the softmax of `(0, x b_2, ..., x b_L)`. Empty classes
#'   are dropped with a warning; a single class is an error.
#' * `ordinal()`: an ordered factor with `L >= 2` levels and the
#'   cumulative-link model of [MASS::polr()]:
#'   `P(y <= k) = F(zeta_k - x b)`, `k = 1, ..., L - 1`, with cut-points
#'   `zeta_1 < ... < zeta_{L-1}` and no intercept in `x b` (the cut-points
#'   take its place). `F` is the logistic distribution function (`"logit"`),
#'   the normal (`"probit"`), the Gumbel-type `1 - exp(-exp(x))`
#'   (`"cloglog"`), `exp(-exp(-x))` (`"loglog"`) or the Cauchy (`"cauchit"`).
#'
#' Both are fitted from chunked sources and partitions too ([gradglm_source()],
#' [gradglm_partitions()]), where the response keeps every class of the
#' source's rows in every chunk. An ordinal response is there a column whose
#' levels the source orders: given in order by `gradglm_source(levels = )`,
#' or an ordered factor in every chunk. A class without an observation of
#' positive weight (after `subset`) is an error there, not dropped.
#'
#' Coefficients are named `"<class>:<term>"` for the multinomial (all terms of
#' the second class, then the third, ...) and as the terms for the ordinal
#' model, followed by the cut-points `"<level k>|<level k+1>"`; `coef(fit,
#' matrix = TRUE)` gives a multinomial's coefficients as the `(L - 1) x p`
#' matrix of [nnet::multinom()]. `predict()` offers `type = "link"`,
#' `"probs"` and `"class"`.
#'
#' @param link The link: `"logit"` for `multinomial()`; for `ordinal()` one of
#'   `"logit"`, `"probit"`, `"cloglog"`, `"loglog"`, `"cauchit"`.
#' @return A family object (class `"family"`) for [gradglm()].
#' @seealso [gradglm()], `vignette("several-outputs", package = "gradglm")`.
#' @examples
#' # glass fragments of six types from three oxides (MASS::fgl)
#' fit <- gradglm(type ~ Na + Mg + Al, data = MASS::fgl, family = multinomial())
#' coef(fit, matrix = TRUE)
#' head(predict(fit, type = "probs"))
#' table(observed = MASS::fgl$type, predicted = predict(fit, type = "class"))
#'
#' house <- gradglm(Sat ~ Infl + Type + Cont, data = MASS::housing, weights = Freq,
#'                  family = ordinal())
#' summary(house)
#' @export
multinomial <- function(link = "logit") {
  make_family("multinomial", link, "logit")
}

#' @rdname multinomial
#' @export
ordinal <- function(link = "logit") {
  make_family("ordinal", link, names(ordinal_link_codes))
}

ordinal_link_codes <- c(logit = 1L, probit = 2L, cloglog = 3L, loglog = 4L, cauchit = 5L)

# the quantile function of an ordinal link's latent distribution
ordinal_quantile <- function(link, p) {
  switch(link, logit = stats::qlogis(p), probit = stats::qnorm(p), cloglog = log(-log1p(-p)),
         loglog = -log(-log(p)), cauchit = stats::qcauchy(p))
}

# its distribution function
ordinal_cdf <- function(link, q) {
  switch(link, logit = stats::plogis(q), probit = stats::pnorm(q), cloglog = -expm1(-exp(q)),
         loglog = exp(-exp(-q)), cauchit = stats::pcauchy(q))
}

# A class response: a factor (or character) with its empty levels dropped
# (with a warning), as codes 0 .. L - 1 for the engine, or a matrix of counts
# as proportions with the totals moved into the weights.
class_response <- function(y, family, weights, fun, ordered = FALSE, keep_empty = FALSE) {
  nm <- if (is.matrix(y)) rownames(y) else names(y)
  if (is.matrix(y) && !ordered) {
    if (!is.numeric(y) || ncol(y) < 2L) {
      abort(fun, "a matrix response for multinomial must hold counts, one numeric column per class")
    }
    check_finite_response(y, fun)
    if (any(y < 0)) abort(fun, "the counts of a multinomial response must be >= 0 (found ", sum(y < 0), " negative)")
    lev <- colnames(y)
    if (is.null(lev)) lev <- as.character(seq_len(ncol(y)))
    total <- rowSums(y)
    prop <- y / ifelse(total > 0, total, 1)
    dimnames(prop) <- list(nm, lev)
    return(list(y = prop, engine_y = unname(prop), weights = weights * total, trials = total,
                levels = lev, counts = TRUE))
  }
  if (ordered && !is.ordered(y)) {
    abort(fun, "the response of ordinal() must be an ordered factor, not ",
          if (is.factor(y)) "an unordered factor" else class(y)[1L], "; use ordered() on it first")
  }
  if (is.character(y)) y <- factor(y)
  if (is.logical(y)) y <- factor(y, levels = c(FALSE, TRUE))
  if (!is.factor(y)) {
    abort(fun, "the response of ", family$family, "() must be a factor (or character)",
          if (!ordered) " or a matrix of counts" else "", ", not ", class(y)[1L])
  }
  if (anyNA(y)) abort(fun, "the response contains missing values")
  # (a chunk of a larger data set keeps the classes of the whole data)
  used <- if (keep_empty) levels(y) else levels(y)[tabulate(as.integer(y)[weights > 0], nlevels(y)) > 0L]
  if (length(used) < 2L) {
    abort(fun, "the response has a single class (", quote_some(used), "); ", family$family,
          "() needs at least two")
  }
  if (length(used) < nlevels(y)) {
    warn(fun, "class(es) ", quote_some(setdiff(levels(y), used)), " of the response are empty (no ",
         "observation with non-zero weight) and are dropped")
    y <- factor(y, levels = used, ordered = is.ordered(y))
    # (rows of zero weight whose class is dropped: the engine takes them as the
    # first class, weightless; their residuals are NA, see .cat_residuals())
    unmodelled <- which(is.na(y))
    if (length(unmodelled)) y <- factor(ifelse(is.na(y), used[1L], as.character(y)), levels = used, ordered = is.ordered(y))
  } else {
    unmodelled <- integer(0)
  }
  if (nlevels(y) < 2L) {
    abort(fun, "the response has a single class (", quote_some(levels(y)), "); ", family$family,
          "() needs at least two")
  }
  names(y) <- nm
  list(y = y, engine_y = as.numeric(as.integer(y) - 1L), weights = weights,
       trials = unit_weights(length(y)), levels = levels(y), counts = FALSE,
       unmodelled = if (length(unmodelled)) unmodelled)
}

register_family(new_family_row(
  "multinomial", "logit", "multinomial", kind = "likelihood", keeps_classes = TRUE,
  response = function(y, family, weights, fun, keep_empty = FALSE) {
    class_response(y, family, weights, fun, keep_empty = keep_empty)
  },
  model = function(family, resp, x, x_sigma, fun) multinomial_model(family, resp, x, fun),
  # penalised: glmnet's symmetric form, one predictor per class
  penalty_model = function(family, resp, x, x_sigma, fun) multinomial_model(family, resp, x, fun, symmetric = TRUE)
))

register_family(new_family_row(
  "ordinal", names(ordinal_link_codes), "ordinal", kind = "likelihood", keeps_classes = TRUE,
  needs_intercept = TRUE, ordered_response = TRUE,
  response = function(y, family, weights, fun, keep_empty = FALSE) {
    class_response(y, family, weights, fun, ordered = TRUE, keep_empty = keep_empty)
  },
  model = function(family, resp, x, x_sigma, fun) ordinal_model(family, resp, x, fun)
))

# ---------------------------------------------------------------------------
# multinomial

# The symmetric form (penalised fits) has one predictor per class, glmnet's
# parametrisation: the penalty identifies it, and its intercepts are reported
# summing to zero (`gauge`: their positions).
multinomial_model <- function(family, resp, x, fun, symmetric = FALSE) {
  lev <- resp$levels
  L <- length(lev)
  out <- if (symmetric) lev else lev[-1L]
  titles <- if (symmetric) paste0("Class '", lev, "'") else
    paste0("Class '", lev[-1L], "' (log-odds against '", lev[1L], "')")
  p <- design_ncol(x)
  icpt <- design_intercept(x)
  list(kind = "likelihood",
       likelihood = list(type = "multinomial", classes = L, columns = if (resp$counts) L else 1L,
                         symmetric = as.integer(symmetric)),
       blocks = list(model_block("classes", x, "eta", "logit", "Coefficients", outputs = out, split = TRUE,
                                 output_titles = titles)),
       closed_form = FALSE, offset_predictors = length(out),
       # (multiply-adds per row of a pass with the curvature: a weighted Gram
       # matrix of the p columns for each pair of the K predictors; for "auto")
       curvature_cost = p^2 * length(out) * (length(out) + 1) / 4,
       gauge = if (symmetric && icpt > 0L) (seq_len(L) - 1L) * p + icpt,
       start = function(ctx) {
         # the log-odds of the observed class shares in the intercepts (symmetric:
         # their logs, centred)
         b <- matrix(0, p, length(out))
         if (icpt > 0L) {
           # (a chunk of a source may lack a class: its share is 0)
           share <- colSums(resp$weights * class_indicators(resp))
           share <- pmax(as.numeric(share), 0.5) / sum(share)
           b[icpt, ] <- if (symmetric) log(share) - mean(log(share)) else log(share[-1L] / share[1L])
         }
         as.vector(b)
       },
       finish = multinomial_finish, chunk_finish = class_chunk_finish)
}

multinomial_finish <- function(res, ctx, coef, aliased) {
  resp <- ctx$resp
  lev <- resp$levels
  eta <- res$linear.predictors
  rn <- if (is.matrix(resp$y)) rownames(resp$y) else names(resp$y)
  P <- softmax_probs(eta, length(lev))
  dimnames(P) <- list(rn, lev)
  colnames(eta) <- if (ncol(eta) == length(lev)) lev else lev[-1L]
  rownames(eta) <- rn
  Y <- class_indicators(resp)
  w <- resp$weights
  npar <- sum(!aliased)
  # the multinomial log-likelihood without its combinatorial constant, as
  # nnet::multinom reports it: the engine's loss is taken relative to the
  # saturated model of proportions
  sat <- if (resp$counts) sum(w * rowSums(ifelse(Y > 0, Y * log(Y), 0))) else 0
  loglik <- res$loglik + sat
  own <- rowSums(Y * P)  # (each row's probability of its own class, or classes' shares)
  at_boundary <- any(w > 0 & own > 1 - 1e-10 & own < 1) ||
    any(w > 0 & P < 1e-12 & Y == 0 & row_max(P) > 1 - 1e-10)
  if (at_boundary) {
    # certified when a direction of the coefficients raises every extreme row's
    # own class(es) to the top and moves no other row (separated_along())
    # (a network's weights are not linear directions: its separation is not certified)
    sep <- !isTRUE(ctx$network) &&
      separated_along(ctx$x, coef, aliased, w > 0, rowSums(P < 1e-6) > 0, function(lp, rows, tol) {
        if (ncol(lp) < length(lev)) lp <- cbind(0, lp)
        Yr <- Y[rows, , drop = FALSE] > 0
        all(lp[Yr] >= (row_max(lp) - tol)[row(lp)[Yr]])
      })
    warn(ctx$fun, if (sep) {
      paste("fitted probabilities numerically 0 or 1 occurred: the classes are separated (a linear",
            "combination of the predictors ranks each observation's own class highest), so the",
            "maximum-likelihood estimate does not exist; the coefficients grow without bound, and",
            "their values and standard errors mean nothing")
    } else {
      "fitted probabilities numerically 0 or 1 occurred (some classes may be separated)"
    })
  }
  null_ll <- class_null_loglik(colSums(w * Y))
  # (.at_boundary: fit_common() then leaves out its warning of a nearly
  # singular curvature, which separation explains)
  list(fitted.values = P, linear.predictors = eta, residuals = Y - P, rank = npar, .at_boundary = at_boundary,
       deviance = -2 * loglik, aic = -2 * loglik + 2 * npar,
       null.deviance = if (ctx$intercept && !ctx$offset_given) -2 * null_ll else NA_real_,
       weights = w, df.residual = ctx$n_ok - npar, df.null = ctx$n_ok - (length(lev) - 1L),
       loglik = loglik, npar = npar, dispersion = 1, lev = lev, unmodelled = ctx$resp$unmodelled)
}

# The summaries of a class model fitted from a chunked source (a model's
# chunk_finish, called by source_finish()) from its log-likelihood, the
# class totals of the first pass (chunk_sums()) and the coefficients: the
# null model (intercepts alone, the classes' shares; NA without intercepts
# or with an offset) takes no pass.
class_chunk_finish <- function(loglik, s, intercept, offset_given, coef, npar, lev) {
  null_ll <- class_null_loglik(s$class_totals)
  list(rank = npar, deviance = -2 * loglik, aic = -2 * loglik + 2 * npar,
       null.deviance = if (intercept && !offset_given) -2 * null_ll else NA_real_,
       df.residual = s$n_ok - npar, df.null = s$n_ok - (length(lev) - 1L), loglik = loglik,
       npar = npar, dispersion = 1, lev = lev)
}

# The log-likelihood of the null model of a class response (each class's
# share of the weight, the same for every row) from the classes' weights:
# sum_k W_k log(W_k / W), which is sum_i w_i sum_k y_ik log(share_k) summed
# by class (no n x L product)
class_null_loglik <- function(totals) {
  sum(ifelse(totals > 0, totals * log(totals / sum(totals)), 0))
}

# each row's largest value (apply(m, 1, max) in one pass of C: max.col();
# at 5e5 x 3, 0.01 s against 0.5 s)
row_max <- function(m) {
  if (!nrow(m)) return(numeric(0))
  m[cbind(seq_len(nrow(m)), max.col(m, ties.method = "first"))]
}

# softmax of (0, eta_1, ..., eta_K) by rows (of eta_1, ..., eta_L when eta
# has a column per class), after subtracting the largest
softmax_probs <- function(eta, L = NCOL(eta) + 1L) {
  eta <- as.matrix(eta)
  if (ncol(eta) < L) eta <- cbind(matrix(0, nrow(eta), 1L), eta)
  m <- row_max(eta)
  e <- exp(eta - m)
  e / rowSums(e)
}

# the response as an n x L matrix of class shares (indicators for a factor)
class_indicators <- function(resp) {
  if (is.matrix(resp$y)) return(unname(resp$y))
  Y <- matrix(0, length(resp$y), length(resp$levels))
  Y[cbind(seq_along(resp$y), as.integer(resp$y))] <- 1
  Y
}

# ---------------------------------------------------------------------------
# ordinal

ordinal_model <- function(family, resp, x, fun) {
  lev <- resp$levels
  L <- length(lev)
  icpt <- design_intercept(x)
  if (icpt > 0L) {
    x <- design_drop_column(x, icpt)
  } else if (design_ncol(x) > 0L) {
    # without an intercept column, columns that add up to a constant (a factor
    # with all its levels) would be aliased with the cut-points
    xm <- design_matrix(x)
    if (qr(cbind(1, xm))$rank <= ncol(xm)) {
      abort(fun, "columns of the design add up to a constant, which the cut-points already are ",
            "(a factor coded with all its levels?); give the design an intercept column or drop a column")
    }
  }
  cuts <- paste(lev[-L], lev[-1L], sep = "|")
  blocks <- list(
    model_block("location", x, "eta", family$link, "Coefficients"),
    model_block("cutpoints", NULL, "zeta", "identity", "Intercepts (cut-points)", outputs = cuts,
                coef_names = cuts))
  list(kind = "likelihood",
       likelihood = list(type = "ordinal", classes = L, link = ordinal_link_codes[[family$link]]),
       # (the cut-points act as an intercept: a column that is constant, or
       # that adds up to one with earlier columns, is aliased with them)
       constant_in_rank = TRUE,
       blocks = blocks, closed_form = FALSE,
       start = function(ctx) {
         share <- colSums(resp$weights * class_indicators(resp))  # (0 for a class a chunk lacks)
         cum <- cumsum(pmax(share, 0.5))
         c(numeric(design_ncol(x)), ordinal_quantile(family$link, cum[-L] / cum[L]) +
             sum(resp$weights * ctx_offset(ctx)) / sum(resp$weights))
       },
       finish = ordinal_finish,
       chunk_finish = function(loglik, s, intercept, offset_given, coef, npar, lev) {
         # (the null model, the cut-points alone, needs no intercept column)
         out <- class_chunk_finish(loglik, s, TRUE, offset_given, coef, npar, lev)
         out$zeta <- coef[cuts]
         out
       })
}

# class probabilities of a cumulative model from the location of each row and
# the L - 1 cut-points (an n x L matrix, also for n = 0)
ordinal_probs <- function(link, loc, zeta) {
  n <- length(loc)
  cum <- matrix(ordinal_cdf(link, outer(-as.vector(loc), zeta, `+`)), n, length(zeta))
  cbind(cum, rep(1, n)) - cbind(rep(0, n), cum)
}

ordinal_finish <- function(res, ctx, coef, aliased) {
  resp <- ctx$resp
  lev <- resp$levels
  L <- length(lev)
  eta <- res$linear.predictors
  rn <- names(resp$y)
  loc <- eta[, 1L]
  zeta <- if (nrow(eta)) eta[1L, -1L] else rep(0, L - 1L)
  P <- ordinal_probs(ctx$family$link, loc, zeta)
  dimnames(P) <- list(rn, lev)
  names(loc) <- rn
  w <- resp$weights
  npar <- sum(!aliased)
  Y <- class_indicators(resp)
  # separation, only where certified: far-out rows of a strong predictor have
  # probabilities numerically 0 or 1 at a finite maximum too (a network's
  # weights are not linear directions: its separation is not certified)
  at_boundary <- !isTRUE(ctx$network) &&
    ordinal_separated(ctx$model$blocks[[1L]]$design, coef, aliased, ctx$family$link, resp$y, w > 0, loc, zeta)
  if (at_boundary) {
    warn(ctx$fun, paste(
      "fitted probabilities numerically 0 or 1 occurred: the classes are separated (a linear",
      "combination of the predictors, with the cut-points, puts observations of some classes",
      "entirely beyond the others), so the maximum-likelihood estimate does not exist; the",
      "coefficients or cut-points grow without bound, and their values and standard errors",
      "mean nothing"))
  }
  null_ll <- class_null_loglik(colSums(w * Y))
  # (.at_boundary: fit_common() then leaves out its warning of a nearly
  # singular curvature, which separation explains)
  list(fitted.values = P, linear.predictors = loc, zeta = stats::setNames(zeta, ctx$model$blocks[[2L]]$coef_names),
       residuals = Y - P, rank = npar, .at_boundary = at_boundary, deviance = -2 * res$loglik, aic = -2 * res$loglik + 2 * npar,
       null.deviance = if (!ctx$offset_given) -2 * null_ll else NA_real_,
       weights = w, df.residual = ctx$n_ok - npar, df.null = ctx$n_ok - (L - 1L),
       loglik = res$loglik, npar = npar, dispersion = 1, lev = lev, unmodelled = resp$unmodelled)
}

# Separation of an ordinal fit, certified as separated_along() certifies it
# for the other models: a used row of class k has its location x b between
# the cut-points zeta_{k-1} and zeta_k, through the functions zeta_j - x b of
# the parameters (one per cut-point that bounds its class). A function fitted
# at the edge (its F within 1e-6 of 1 at the upper cut-point, of 0 at the
# lower) may move only the way that raises its row's probability; the others
# must not move. d is the part of the fitted parameters that the functions
# off the edge do not determine; TRUE only when d is verified (noise fails).
ordinal_separated <- function(x, coef, aliased, link, y, used, loc, zeta) {
  L <- length(zeta) + 1L
  if (is.null(x) || L < 2L) return(FALSE)  # (no design: a chunked fit)
  k <- as.integer(y)
  up <- which(used & k < L)
  lo <- which(used & k > 1L)
  i <- c(up, lo)
  j <- c(k[up], k[lo] - 1L)
  upper <- rep(c(TRUE, FALSE), c(length(up), length(lo)))
  cdf <- ordinal_cdf(link, zeta[j] - loc[i])
  edge <- (upper & cdf > 1 - 1e-6) | (!upper & cdf < 1e-6)
  if (!any(edge)) return(FALSE)
  p <- design_ncol(x)
  keep <- !aliased[seq_len(p)]
  xm <- design_matrix(x)
  if (!all(keep)) xm <- xm[, keep, drop = FALSE]
  # each used row's functions zeta_j - x_i b at parameters (b, zeta)
  functions <- function(b, z) z[j] - as.vector(xm %*% b)[i]
  # Complete separation: the fitted parameters themselves (without the
  # offset) put every used row strictly between its class's cut-points, so
  # that moving along them raises every row's probability, without bound.
  # (A fit stopped short, as a cloglog fit's slow Newton steps stop at the
  # iteration limit, can leave rows near a cut-point off the edge below.)
  lp <- functions(coef[seq_len(p)][keep], zeta)
  if (all(lp[upper] > 0) && all(lp[!upper] < 0)) return(TRUE)
  # The functions' matrix A (a row (-x_i, e_j) per function) is never formed:
  # its Gram matrix over the functions off the edge, G = A_F' A_F, comes from
  # M (M[i, j] = 1 when row i's function at cut j is off the edge; a row has
  # at most one function per cut), in the design's own size. Its null space,
  # with G scaled to a unit diagonal, holds the directions that leave every
  # function off the edge unchanged; d is the parameters' part in it.
  M <- matrix(0, nrow(xm), L - 1L)
  M[cbind(i[!edge], j[!edge])] <- 1
  # (as.matrix(): a sparse design's products are small and dense)
  XtM <- as.matrix(crossprod(xm, M))
  XtX <- as.matrix(crossprod(xm * sqrt(rowSums(M))))
  G <- rbind(cbind(XtX, -XtM), cbind(-t(XtM), diag(colSums(M), L - 1L)))
  s <- sqrt(diag(G))
  s <- ifelse(s > 0, 1 / s, 1)
  e <- eigen(G * outer(s, s), symmetric = TRUE)
  V <- e$vectors[, e$values <= 1e-12 * max(e$values[1L], 1), drop = FALSE]
  nb <- ncol(xm)
  d <- s * drop(V %*% crossprod(V, c(coef[seq_len(p)][keep], zeta) / s))
  lp <- functions(d[seq_len(nb)], d[nb + seq_len(L - 1L)])
  scale <- max(abs(lp))
  if (!is.finite(scale) || scale == 0) return(FALSE)
  tol <- 1e-8 * scale
  all(abs(lp[!edge]) <= tol) && all(lp[edge & upper] >= -tol) && all(lp[edge & !upper] <= tol)
}
