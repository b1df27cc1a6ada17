#' Penalties: ridge, lasso, the elastic net and the group lasso
#'
#' Specifications of a penalty for the `penalty` argument of [gradglm()] and
#' [gradglm_fit()]. The fit minimises glmnet's objective,
#' \deqn{\frac{1}{\sum_i w_i}\sum_i w_i \ell_i(\beta) + \lambda \sum_j f_j
#'   \left[\frac{1-\alpha}{2}\beta_j^2 + \alpha|\beta_j|\right],}{
#'   (1 / sum w) sum w_i loss_i + lambda sum_j f_j [(1 - alpha) / 2 b_j^2 + alpha |b_j|],}
#' where \eqn{\ell_i} is the loss of row i (half its deviance for a GLM family:
#' for `gaussian()`, half the squared residual, glmnet's scaling), the
#' coefficients are those of standardised columns when `standardize = TRUE`
#' (reported on the original scale), and \eqn{f_j} are the penalty factors.
#' `group_lasso()` penalises each term's coefficients as a group, so that
#' they enter or leave the model together: a factor's dummies, a `poly()`
#' basis, and, for a model with several outputs (the classes of a
#' multinomial, several responses), the term's coefficients across all of
#' them. Its penalty replaces \eqn{\alpha\sum_j|\beta_j|}{alpha sum_j |b_j|}
#' by \eqn{\alpha\sum_g \sqrt{p_g}\,\|\beta_g\|_2}{alpha sum_g sqrt(p_g) ||b_g||}
#' (on standardised columns; \eqn{p_g}{p_g} the number of design columns of
#' the group); a group is updated by a majorised block step. A term of a
#' [gradglm_fit()] design matrix without an `"assign"` attribute is a column.
#'
#' For a Gaussian model with the identity link the ridge part is scaled by
#' \eqn{1/\mathrm{sd}(y)}{1 / sd(y)}, as glmnet does, so that the two give the
#' same coefficients at the same lambda.
#'
#' It is solved by coordinate descent on Newton's quadratic approximation of
#' the loss with step-halving (for a Gaussian model with the identity link, on
#' the exact quadratic, whose curvature is built once), with warm starts along
#' the path of lambdas, the sequential strong rule and a check of the KKT
#' conditions at each lambda. Every likelihood with a curvature can be
#' penalised: GLM families, the distributional families ([student_t()],
#' [laplace()], `sigma =` models), [multinomial()] and [ordinal()]. A
#' penalised multinomial takes glmnet's symmetric form (a coefficient vector
#' per class, intercepts and unpenalised columns reported summing to zero
#' over the classes).
#'
#' One lambda of a lasso, ridge or elastic net can also be fitted by the
#' first-order optimizers of [gradglm()]: `optimizer = "gd"` is proximal
#' gradient descent (a soft-thresholding step after each gradient step, with
#' backtracking on the penalised objective), `"sgd"` and `"adam"` take a
#' proximal step after each update (Adam's in its per-coordinate metric), on
#' the same standardised coordinates as their unpenalised fits. Coordinate
#' descent (`"auto"`) is the fast and exact route; the minibatch ones give
#' approximate zeros. A fit's `penalty$kkt` reports its largest violation of
#' the KKT conditions.
#'
#' With `lambda = NULL` the fit is a path: `nlambda` values from the smallest
#' lambda that sets every penalised coefficient to zero down to
#' `lambda_min_ratio` times it, on a log scale. A GLM or multinomial path
#' ends early by glmnet's rules: once the fraction of the null deviance (of
#' the intercept and offset alone) explained passes 0.999, or grows by less
#' than 1e-5 from one lambda to the next (Gaussian: 1e-5 of itself; Poisson:
#' 1e-4 of itself over the last four lambdas). The fitted object
#' then holds a coefficient matrix over lambda and, in `fit$path$df`, the
#' number of variables with a non-zero coefficient at each (glmnet's `df`:
#' unpenalised ones count, a multinomial's once for all classes): see
#' [coef()][coef.gradglm],
#' [predict()][predict.gradglm] and `plot(fit, which = "path")`. With one
#' lambda it is a single fit with the usual methods: its `summary()` gives
#' standard errors of the non-zero coefficients (the sandwich
#' \eqn{(H + P)^{-1} H (H + P)^{-1}} with P the ridge part's curvature), which
#' ignore that the support was selected; `relax = TRUE` refits the selected
#' coefficients without penalty, with ordinary inference.
#'
#' @param lambda `NULL` for a path, one non-negative number for a single
#'   fit, or a decreasing vector of values for a path at those values.
#' @param alpha The elastic-net mixing, in \[0, 1\]: 1 is the lasso, 0 ridge.
#' @param nlambda Number of lambdas of a default path.
#' @param lambda_min_ratio The smallest lambda of a default path as a
#'   fraction of the largest; `NULL` means 1e-4, or 0.01 when there are fewer
#'   observations than penalised coefficients (glmnet's defaults).
#' @param penalty_factor Non-negative factors, 0 for an unpenalised term: a
#'   named vector (names are terms of the formula, or columns of the design;
#'   terms not named get 1) or an unnamed one with one value per term (per
#'   column for [gradglm_fit()]). Factors are rescaled to sum to the number of
#'   penalised columns, as glmnet does.
#' @param standardize Penalise the coefficients of columns scaled to weighted
#'   variance 1, as glmnet does (also without an intercept, where glmnet too
#'   takes the centred variance; a constant column of a model without an
#'   intercept, which glmnet leaves out, is scaled by its root mean square).
#' @param blocks Names of the parameter blocks to penalise; `NULL` penalises
#'   the first (the mean, the location, or the classes of a multinomial). The
#'   intercepts are never penalised. For a distributional model
#'   `c("location", "sigma")` penalises the sigma model as well.
#' @param relax With one `lambda`: refit the coefficients it selects without
#'   penalty.
#' @param tol Convergence tolerance of coordinate descent: the largest
#'   curvature-weighted squared change of a coefficient in a sweep, relative
#'   to the null deviance (glmnet's `thresh`).
#' @param max_sweeps Limit on the coordinate-descent sweeps of the whole fit.
#' @return A specification of class `"gradglm_penalty"`.
#' @seealso [gradglm()], [cv_gradglm()] to choose lambda.
#' @examples
#' fit <- gradglm(mpg ~ ., data = mtcars, penalty = lasso())
#' fit
#' coef(fit, lambda = 0.5)
#' plot(fit, which = "path")
#'
#' # one lambda: a single fit with summary()
#' summary(gradglm(am ~ ., data = mtcars, family = binomial(), penalty = ridge(lambda = 0.05)))
#' @name penalties
NULL

#' @rdname penalties
#' @export
lasso <- function(lambda = NULL, nlambda = 100L, lambda_min_ratio = NULL, penalty_factor = NULL,
                  standardize = TRUE, blocks = NULL, relax = FALSE, tol = 1e-7, max_sweeps = 1e5) {
  new_penalty("lasso", 1, lambda, nlambda, lambda_min_ratio, penalty_factor, standardize, blocks, relax,
              tol, max_sweeps, "lasso")
}

#' @rdname penalties
#' @export
ridge <- function(lambda = NULL, nlambda = 100L, lambda_min_ratio = NULL, penalty_factor = NULL,
                  standardize = TRUE, blocks = NULL, relax = FALSE, tol = 1e-7, max_sweeps = 1e5) {
  new_penalty("ridge", 0, lambda, nlambda, lambda_min_ratio, penalty_factor, standardize, blocks, relax,
              tol, max_sweeps, "ridge")
}

#' @rdname penalties
#' @export
group_lasso <- function(lambda = NULL, alpha = 1, nlambda = 100L, lambda_min_ratio = NULL, penalty_factor = NULL,
                        standardize = TRUE, blocks = NULL, relax = FALSE, tol = 1e-7, max_sweeps = 1e5) {
  new_penalty("group_lasso", alpha, lambda, nlambda, lambda_min_ratio, penalty_factor, standardize, blocks,
              relax, tol, max_sweeps, "group_lasso")
}

#' @rdname penalties
#' @export
elastic_net <- function(alpha = 0.5, lambda = NULL, nlambda = 100L, lambda_min_ratio = NULL,
                        penalty_factor = NULL, standardize = TRUE, blocks = NULL, relax = FALSE,
                        tol = 1e-7, max_sweeps = 1e5) {
  new_penalty("elastic_net", alpha, lambda, nlambda, lambda_min_ratio, penalty_factor, standardize, blocks,
              relax, tol, max_sweeps, "elastic_net")
}

new_penalty <- function(name, alpha, lambda, nlambda, lambda_min_ratio, penalty_factor, standardize, blocks,
                        relax, tol, max_sweeps, fun) {
  if (!is.numeric(alpha) || length(alpha) != 1L || is.na(alpha) || alpha < 0 || alpha > 1) {
    abort(fun, "'alpha' must be a single number in [0, 1]")
  }
  if (!is.null(lambda)) {
    if (!is.numeric(lambda) || !length(lambda) || anyNA(lambda) || any(!is.finite(lambda))) {
      abort(fun, "'lambda' must be NULL or finite numbers")
    }
    if (any(lambda < 0)) abort(fun, "'lambda' must be non-negative")
    if (length(lambda) > 1L && any(diff(lambda) >= 0)) abort(fun, "'lambda' must be decreasing")
  }
  check_count(nlambda, "'nlambda'", fun)
  if (!is.null(lambda_min_ratio) &&
      (!is.numeric(lambda_min_ratio) || length(lambda_min_ratio) != 1L || is.na(lambda_min_ratio) ||
       lambda_min_ratio <= 0 || lambda_min_ratio >= 1)) {
    abort(fun, "'lambda_min_ratio' must be a single number in (0, 1)")
  }
  if (!is.null(penalty_factor) &&
      (!is.numeric(penalty_factor) || !length(penalty_factor) || anyNA(penalty_factor) ||
       any(!is.finite(penalty_factor)))) {
    abort(fun, "'penalty_factor' must be finite numbers")
  }
  if (!is.null(penalty_factor) && any(penalty_factor < 0)) abort(fun, "'penalty_factor' must be non-negative")
  if (!is.logical(standardize) || length(standardize) != 1L || is.na(standardize)) {
    abort(fun, "'standardize' must be TRUE or FALSE")
  }
  if (!is.null(blocks) && (!is.character(blocks) || !length(blocks) || anyNA(blocks))) {
    abort(fun, "'blocks' must be NULL or names of parameter blocks")
  }
  if (!is.logical(relax) || length(relax) != 1L || is.na(relax)) abort(fun, "'relax' must be TRUE or FALSE")
  if (relax && length(lambda) != 1L) abort(fun, "'relax = TRUE' needs a single 'lambda'")
  if (!is.numeric(tol) || length(tol) != 1L || is.na(tol) || tol <= 0 || tol >= 1) {
    abort(fun, "'tol' must be a single number in (0, 1)")
  }
  if (!is.numeric(max_sweeps) || length(max_sweeps) != 1L || is.na(max_sweeps) || max_sweeps < 1 ||
      max_sweeps > .Machine$integer.max) {
    abort(fun, "'max_sweeps' must be a positive number (at most ", .Machine$integer.max, ")")
  }
  structure(list(name = name, alpha = as.numeric(alpha), lambda = if (!is.null(lambda)) as.numeric(lambda),
                 nlambda = as.integer(nlambda), lambda_min_ratio = lambda_min_ratio,
                 penalty_factor = penalty_factor, standardize = standardize, blocks = blocks, relax = relax,
                 tol = tol, max_sweeps = max_sweeps),
            class = "gradglm_penalty")
}

#' @export
print.gradglm_penalty <- function(x, ...) {
  what <- penalty_title(x)
  at <- if (is.null(x$lambda)) {
    paste0("a path of up to ", x$nlambda, " lambdas")
  } else if (length(x$lambda) == 1L) {
    paste0("lambda = ", format(x$lambda))
  } else {
    paste0("a path at ", length(x$lambda), " given lambdas")
  }
  cat("Penalty: ", what, ", ", at, if (x$standardize) ", standardized columns" else "",
      if (x$relax) ", relaxed" else "", "\n", sep = "")
  invisible(x)
}

# "lasso", "elastic net (alpha = 0.5)", ...
penalty_title <- function(x, alpha = x$alpha) {
  switch(x$name, lasso = "lasso", ridge = "ridge",
         elastic_net = paste0("elastic net (alpha = ", format(alpha), ")"),
         group_lasso = if (alpha < 1) paste0("group lasso (alpha = ", format(alpha), ")") else "group lasso")
}

as_penalty <- function(penalty, fun) {
  if (is.null(penalty) || inherits(penalty, "gradglm_penalty")) return(penalty)
  if (is.character(penalty) && length(penalty) == 1L &&
      penalty %in% c("lasso", "ridge", "elastic_net", "group_lasso")) {
    return(match.fun(penalty)())
  }
  abort(fun, "'penalty' must be NULL or a specification made by lasso(), ridge(), elastic_net() or ",
        "group_lasso()")
}

# The engine's penalty: per-coefficient factors (0 outside the penalised
# blocks and for intercepts, rescaled as glmnet does), standardising scales,
# the ridge part's scale and the lambda settings.
penalty_engine <- function(penalty, model, resp, offset, term_labels, fun) {
  blocks <- model$blocks
  names_b <- vapply(blocks, `[[`, "", "name")
  pen_blocks <- if (is.null(penalty$blocks)) names_b[1L] else penalty$blocks
  bad <- setdiff(pen_blocks, names_b)
  if (length(bad)) {
    abort(fun, "'blocks' names no parameter block of this model: ", quote_some(bad), " (it has ",
          quote_some(names_b), ")")
  }
  w <- resp$weights
  factor <- numeric(0)
  group <- integer(0)  # group_lasso(): a term's coefficients, across a block's outputs
  next_group <- 0L
  var <- integer(0)  # their variable (a block's design column, across its outputs), 0 for the others
  next_var <- 0L
  for (b in blocks) {
    d <- b$design
    cn <- if (is.null(d)) "(Intercept)" else design_names(d)
    icpt <- if (is.null(d)) TRUE else seq_along(cn) == design_intercept(d)
    on <- b$name %in% pen_blocks
    f <- if (on) {
      penalty_apply_factors(penalty$penalty_factor, cn, icpt, design_assign(d), term_labels, fun)
    } else {
      numeric(length(cn))
    }
    factor <- c(factor, rep(f, b$m))
    vid <- ifelse(on & !icpt, next_var + seq_along(cn), 0L)
    next_var <- next_var + length(cn)
    var <- c(var, rep(as.integer(vid), b$m))
    asg <- design_assign(d)
    term <- if (length(asg) == length(cn)) asg else seq_along(cn)
    gid <- ifelse(on & !icpt, next_group + match(term, unique(term)), 0L)
    next_group <- max(c(next_group, gid))
    group <- c(group, rep(as.integer(gid), b$m))
  }
  pos <- var > 0L  # (the non-intercept coefficients of the penalised blocks)
  if (!any(pos)) {
    abort(fun, "the penalty has nothing to act on: the penalised block(s) ", quote_some(pen_blocks),
          " have only an intercept")
  }
  if (!any(factor > 0)) abort(fun, "the penalty applies to no coefficient: every 'penalty_factor' is 0")
  factor[pos] <- factor[pos] * sum(pos) / sum(factor[pos])
  ridge_scale <- 1
  if (identical(model$likelihood$type, "glm") && model$likelihood$dist == dist_codes[["gaussian"]] &&
      model$likelihood$link == link_codes[["identity"]] && NCOL(resp$y) == 1L) {
    y <- resp$y - if (is.null(offset)) 0 else offset
    d1 <- blocks[[1L]]$design
    m <- if (is.null(d1) || design_intercept(d1) > 0L) sum(w * y) / sum(w) else 0
    sdy <- sqrt(sum(w * (y - m)^2) / sum(w))
    if (sdy > 0) ridge_scale <- 1 / sdy
  }
  free <- penalty_free_columns(model, factor)
  ratio <- penalty$lambda_min_ratio
  if (is.null(ratio)) ratio <- if (sum(w > 0) > sum(pos)) 1e-4 else 1e-2
  list(alpha = penalty$alpha, lambda = penalty$lambda, nlambda = penalty$nlambda, lambda_min_ratio = ratio,
       factor = factor, var = var, standardize = penalty$standardize, ridge_scale = ridge_scale, tol = penalty$tol,
       max_sweeps = as.numeric(penalty$max_sweeps), single = length(penalty$lambda) == 1L,
       saturated = penalty_saturated(model), stop_rule = penalty_stop_rule(model), group = if (identical(penalty$name, "group_lasso")) group,
       gauge = c(model$gauge, unlist(free)), gauge_group = rep(seq_len(length(free) + 1L), c(length(model$gauge), lengths(free))),
       free_columns = free)
}

# A symmetric multinomial's flat directions besides its intercepts': an
# unpenalised column (factor 0) shifted by the same amount in every class
# changes neither the likelihood nor the penalty. A list, per such column, of
# its positions in the coefficients (one per class), named by the column's
# index in the design; they are reported summing to zero, as the intercepts.
penalty_free_columns <- function(model, factor) {
  if (!isTRUE(model$likelihood$symmetric == 1L)) return(list())
  b <- model$blocks[[1L]]
  p <- design_ncol(b$design)
  icpt <- design_intercept(b$design)
  cols <- which(factor[seq_len(p)] == 0 & seq_len(p) != icpt)
  stats::setNames(lapply(cols, function(j) (seq_len(b$m) - 1L) * p + j), cols)
}

# The number of non-zero coefficients at each column of `beta` (a vector is
# one column), glmnet's df: variables of the penalised blocks (not the
# intercepts) with a non-zero coefficient, whatever their penalty factor
# (an unpenalised one counts), a variable of several outputs (the classes of
# a multinomial) counted once.
penalty_df <- function(beta, pen) {
  beta <- as.matrix(beta)
  as.integer(apply(beta != 0, 2L, function(nz) length(unique(pen$var[nz & pen$var > 0L]))))
}

# glmnet's early end of a default path, by the family: 0 when the deviance
# explained grows by less than 1e-5 of itself (Gaussian), 2 when it grew by
# less than 1e-4 of itself over the last four lambdas (Poisson), 1 when it
# grows by less than 1e-5 (the others)
penalty_stop_rule <- function(model) {
  if (!identical(model$kind, "glm")) return(1L)
  if (model$likelihood$dist == dist_codes[["gaussian"]]) return(0L)
  if (model$likelihood$dist == dist_codes[["poisson"]]) return(2L)
  1L
}

# the "assign" of a design (term of each column), NULL for a plain matrix
design_assign <- function(d) {
  if (is.null(d)) return(0L)
  if (inherits(d, "gradglm_design")) d$assign else attr(d, "assign")
}

# Per-column factors from the user's penalty_factor: per term (named by term
# label or column name, or unnamed with one value per term / column), 0 for
# intercepts.
penalty_apply_factors <- function(pf, cn, intercept, assign, term_labels, fun) {
  f <- rep(1, length(cn))
  if (!is.null(pf)) {
    terms_of_cols <- if (!is.null(term_labels) && length(assign) == length(cn)) {
      c("(Intercept)", term_labels)[assign + 1L]
    } else {
      cn
    }
    units <- if (!is.null(term_labels) && length(assign) == length(cn)) term_labels else cn[!intercept]
    if (is.null(names(pf))) {
      if (length(pf) != length(units)) {
        abort(fun, "'penalty_factor' has ", length(pf), " values but the model has ", length(units),
              if (identical(units, cn[!intercept])) " penalised columns" else " terms", " (",
              quote_some(units), ")")
      }
      names(pf) <- units
    }
    bad <- setdiff(names(pf), c(units, cn))
    if (length(bad)) {
      abort(fun, "'penalty_factor' names no term or column of the model: ", quote_some(bad))
    }
    for (nm in names(pf)) {
      hit <- if (nm %in% cn) cn == nm else terms_of_cols == nm
      f[hit] <- pf[[nm]]
    }
  }
  f[intercept] <- 0
  f
}

# the loss is a deviance (0 for a saturated model): GLM families and the
# multinomial with one class per row; their paths report the deviance explained and end early as
# glmnet's do
penalty_saturated <- function(model) {
  identical(model$kind, "glm") ||
    (identical(model$likelihood$type, "multinomial") && identical(as.integer(model$likelihood$columns), 1L))
}
