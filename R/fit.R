#' Fit a gradglm model from a design matrix
#'
#' The matrix interface of [gradglm()], as [stats::glm.fit()] is to
#' [stats::glm()]: no formula, no data frame, no missing values.
#'
#' @param x Numeric design matrix, one row per observation (include a column
#'   of ones for an intercept).
#' @param y Response: a numeric vector; for `binomial()` and `quasibinomial()`
#'   also logical, a two-level factor or a two-column matrix
#'   `cbind(successes, failures)`; positive for `Gamma()` and
#'   `inverse.gaussian()`.
#' @param weights Prior weights, non-negative, or `NULL` for ones.
#' @param offset A known part of the linear predictor, or `NULL`.
#' @param family A family: a name (`"binomial"`), a function (`binomial`) or a
#'   family object (`binomial(link = "probit")`). Available, with
#'   their links (the first is the default): `gaussian` (identity, log),
#'   `binomial` (logit, probit, cloglog, cauchit, log), `poisson` (log,
#'   identity, sqrt), `Gamma` (inverse, identity, log), `inverse.gaussian`
#'   (1/mu^2, inverse, identity, log), the quasi-families `quasibinomial`
#'   (logit, probit, cloglog, cauchit, log), `quasipoisson` (log, identity,
#'   sqrt) and `quasi` (identity, logit, probit, cloglog, cauchit, log, sqrt,
#'   inverse, 1/mu^2; `variance` one of glm's "constant", "mu(1-mu)", "mu",
#'   "mu^2", "mu^3"), with an estimated scale [laplace()] (identity) and
#'   [student_t()] (identity, log), and for categorical responses
#'   [multinomial()] and [ordinal()] (logit, probit, cloglog, loglog, cauchit).
#'   Several numeric responses, `cbind(y1, y2) ~ x`, are fitted by `gaussian()`
#'   and `student_t()`, one linear model each. The dispersion of `gaussian`,
#'   `Gamma`, `inverse.gaussian` and the quasi-families is estimated as glm
#'   does (Pearson's statistic; t tests in [summary()][summary.gradglm], F
#'   tests in [anova()][anova.gradglm]); a quasi-family has no likelihood, so
#'   its AIC and log-likelihood are `NA`. A link is given by name or as a
#'   [stats::make.link()] object of one of these links; links of one's own
#'   (such as [stats::power()]) are not available.
#' @param optimizer `"auto"` (the default: `"exact"` for a Gaussian model with
#'   the identity link; for [multinomial()] with many coefficients `"lbfgs"`,
#'   see below; `"newton"` otherwise), `"exact"` (closed form by QR),
#'   `"newton"` (Newton / Fisher scoring with step-halving), `"lbfgs"`
#'   (limited-memory BFGS with a Wolfe line search), `"gd"` (gradient
#'   descent with a decaying learning rate and backtracking), `"sgd"`
#'   (minibatch stochastic gradient descent with momentum) or `"adam"`
#'   (Adam on minibatches); or a specification with settings, made by
#'   [opt_newton()], [opt_lbfgs()], [opt_gd()], [opt_sgd()] or [opt_adam()].
#'   The minibatch optimizers draw from R's random number generator: use
#'   `set.seed()` for a reproducible fit.
#'
#'   For a multinomial model of `L = K + 1` classes on `p` columns (`d = pK`
#'   coefficients) and `n` rows, `"auto"` weighs the costs of the two exact
#'   routes: Newton's method, about 5 iterations of a curvature pass (`n p^2
#'   K (K + 1) / 4` multiply-adds) and a `d^3 / 3` factorisation, against
#'   L-BFGS, about `6 sqrt(d)` iterations costing about `7 n d` each
#'   (measured). It takes `"lbfgs"` where that is the smaller: for `n` well
#'   above `d`, from about `d = 500` with 3 classes, 720 with 5 and 910 with
#'   10 (1.2 to 1.4 times faster than Newton's there, single-threaded, and
#'   more as `d` grows). That fit ends with one Newton step from the
#'   curvature its standard errors are computed from, which brings the
#'   coefficients and log-likelihood to Newton's accuracy; should L-BFGS not
#'   converge, Newton's method continues from where it stopped.
#'   `fit$optimizer` records the route taken.
#' @param control Settings made by [gradglm_control()].
#' @param start Starting coefficients, one per column of `x`, or `NULL`. For a
#'   distributional fit: the location coefficients, then the sigma-model
#'   coefficients (log scale), then `log(df)` when the df is estimated.
#' @param x_sigma Design matrix of the model for log(sigma), one row per
#'   observation (for example a column of ones for a constant scale), or
#'   `NULL`: a constant scale for `laplace()` and `student_t()`, the classical
#'   fit for `gaussian()`. See the `sigma` argument of [gradglm()].
#' @param penalty `NULL`, or a penalty made by [lasso()], [ridge()],
#'   [elastic_net()] or [group_lasso()]: a regularization path, or a single
#'   penalised fit; see [penalties]. Its `penalty_factor` has one value per
#'   column (or is named by column).
#' @param model The predictor: [linear()] (the default) or a feedforward
#'   network made by [mlp()], whose inputs are the columns of `x` other than
#'   an intercept column.
#' @return A fitted model of class `"gradglm"`; see [gradglm()] for its parts.
#' @seealso [gradglm()] for the formula interface.
#' @examples
#' X <- cbind("(Intercept)" = 1, wt = mtcars$wt, hp = mtcars$hp)
#' fit <- gradglm_fit(X, mtcars$am, family = binomial())
#' coef(fit)
#' @export
gradglm_fit <- function(x, y, weights = NULL, offset = NULL, family = gaussian(),
                        optimizer = "auto", control = gradglm_control(), start = NULL,
                        x_sigma = NULL, penalty = NULL, model = linear()) {
  fun <- "gradglm_fit"
  # (x's values are checked by fit_core(), during the fit's first pass where it can)
  x <- check_design(x, fun, values = FALSE, empty_ok = TRUE)
  if (!is.null(x_sigma)) x_sigma <- check_design(x_sigma, fun, what = "'x_sigma'")
  fit <- fit_core(x, y, weights, offset, family, optimizer, control, start, x_sigma,
                  intercept = design_intercept(x) > 0L, fun = fun, penalty = penalty,
                  network = as_network(model, fun), x_values = "'x'")
  fit$method <- "gradglm_fit"
  new_gradglm(fit)
}

# The one fitting path of gradglm() and gradglm_fit(): checks, the family's
# model (its parameter blocks and likelihood), a start, the C++ engine, and
# the family's summaries of the fit. Errors name `fun`. `x_values`: NULL when
# x's values have been checked, else what to call x in the errors of their
# check: a GLM takes the ranges of its columns in the engine's first pass
# over all rows (no read of x of its own) and checks them after the fit, or
# before R sees anything of it when the engine fails; other models check
# them here, first.
fit_core <- function(x, y, weights, offset, family, optimizer, control, start, x_sigma, intercept, fun,
                     penalty = NULL, term_labels = NULL, network = NULL, x_values = NULL) {
  fam <- resolve_family(family, fun)
  scan_x <- !is.null(x_values) && identical(fam$row$kind, "glm") && is.null(x_sigma) && is.null(penalty) &&
    is.null(network)
  if (!is.null(x_values) && !scan_x) check_design_values(x, fun, x_values)
  penalty <- as_penalty(penalty, fun)
  family <- fam$family
  row <- fam$row
  if (!is.null(x_sigma) && row$sigma == "no") {
    abort(fun, "family '", family$family, "' has no scale parameter: a 'sigma' model ('x_sigma' for ",
          "gradglm_fit()) is for ", paste(sigma_families(), collapse = ", "))
  }
  control <- as_control(control, fun)
  spec <- as_optimizer_spec(optimizer, fun)
  n <- design_nrow(x)
  if (NROW(y) != n) abort(fun, "'y' has ", NROW(y), " observations but 'x' has ", n, " rows")
  if (!is.null(x_sigma) && design_nrow(x_sigma) != n) {
    abort(fun, "'x_sigma' has ", design_nrow(x_sigma), " rows but 'x' has ", n)
  }
  weights <- check_weights(weights, n, fun)
  offset_given <- !is.null(offset)
  offset <- check_offset(offset, n, fun)
  resp <- row$response(y, family, weights, fun)
  n_ok <- count_positive(resp$weights)
  if (!(n_ok > 0)) abort(fun, "every observation has zero weight (or zero trials)")
  if (is.null(x_sigma) && row$sigma == "always") x_sigma <- intercept_design(n)
  model <- if (!is.null(penalty) && !is.null(row$penalty_model)) row$penalty_model(family, resp, x, x_sigma, fun) else
    row$model(family, resp, x, x_sigma, fun)
  if (!is.null(network)) {
    ctx <- list(family = family, row = row, resp = resp, offset = offset, offset_given = offset_given,
                x = x, x_sigma = x_sigma, intercept = intercept, n = n, n_ok = n_ok, fun = fun,
                model = model)
    nc <- network_core(network, model, ctx, spec, control, penalty, offset_given, y, weights, fun, start)
    fit <- fit_common(nc$fit, nc$res, model, resp, family, control, nc$spec, nc$spec$name,
                      offset_given, offset, intercept, ctx$n_ok, nc$fit$coefficients, nc$fit$aliased, NULL,
                      fun = fun)
    # the blocks say which parameters the network predicts; its weights are not theirs
    fit$blocks <- lapply(fit$blocks, function(b) utils::modifyList(b, list(coef = integer(0),
                                                                          coef_names = character(0))))
    return(fit)
  }
  if (!is.null(penalty)) {
    if (spec$name %in% c("gd", "sgd", "adam")) {
      # one lambda by a proximal first-order optimizer
      if (length(penalty$lambda) != 1L || identical(penalty$name, "group_lasso") || penalty$relax) {
        abort(fun, "the '", spec$name, "' optimizer fits one lambda of a lasso, ridge or elastic net ",
              "(without relax); a path, a group lasso and a relaxed fit use coordinate descent: ",
              "optimizer = \"auto\"")
      }
    } else if (spec$name != "auto" && spec$name != "newton") {
      abort(fun, "a penalised fit is solved by coordinate descent on Newton's quadratic approximation ",
            "(optimizer = \"auto\") or, for one lambda, by \"gd\", \"sgd\" or \"adam\" with proximal steps; ",
            "the '", spec$name, "' optimizer does not take a penalty")
    } else {
      spec <- as_optimizer_spec("newton", fun)
    }
  }
  optimizer <- resolve_optimizer(spec, model, family, fun, n)
  if (optimizer %in% c("gd", "sgd", "adam") && model$kind == "glm" && identical(family$family, "gaussian")) {
    # (a response of 1e-200: a loss of 1e-400 is 0, and the optimizer stops
    # where it started, called converged)
    top <- max(abs(if (is.null(resp$range)) range(resp$y) else resp$range))
    if (top > 0 && top < sqrt(.Machine$double.xmin)) {
      abort(fun, "the response is at most ", format(signif(top, 3)), " in size: its squares, and the loss the '",
            optimizer, "' optimizer follows, underflow a double; rescale it first (multiply by a power of 10), ",
            "or use the exact fit (optimizer = \"auto\")")
    }
  }
  # (L-BFGS in Newton's place finishes with a Newton step: see fit.cpp's remaining_step())
  auto_lbfgs <- spec$name == "auto" && optimizer == "lbfgs"
  cn <- unlist(lapply(model$blocks, `[[`, "coef_names"), use.names = FALSE)
  npar <- length(cn)
  # (a GLM with more coefficients than observations is fitted as glm fits it,
  # and several Gaussian responses' closed form as lm fits them: the columns
  # beyond the design's rank are aliased)
  if (npar > n_ok && is.null(penalty) && model$kind != "glm" && !isTRUE(model$closed_form)) {
    abort(fun, "the model has more parameters (", npar, ") than observations with non-zero weight (",
          n_ok, ")")
  }
  start <- check_start(start, npar, cn, fun)
  if (!is.null(start) && model$kind == "glm") check_start_means(start, model$blocks[[1L]]$design, offset, family, fun)
  ctx <- list(family = family, row = row, resp = resp, offset = offset, offset_given = offset_given,
              x = x, x_sigma = x_sigma, intercept = intercept, n = n, n_ok = n_ok, fun = fun,
              optimizer = optimizer, model = model)
  engine_control <- engine_control_list(control, spec, optimizer, n)
  check_batch_size(engine_control, optimizer, n, fun)
  if (!is.null(model$check_control)) model$check_control(engine_control, fun)
  engine_control$subsample_min <- 200000L
  engine_control$newton_finish <- auto_lbfgs
  ctx$engine_control <- engine_control
  if (is.null(start)) start <- model$start(ctx)
  pen <- if (!is.null(penalty)) penalty_engine(penalty, model, resp, if (offset_given) offset, term_labels, fun)
  if (scan_x && !(model$kind == "glm" && length(model$blocks) == 1L && identical(model$blocks[[1L]]$design, x))) {
    check_design_values(x, fun, x_values)  # (the engine reads another design)
    scan_x <- FALSE
  }
  res <- tryCatch(run_engine(model, resp, if (offset_given) offset, optimizer, start, engine_control, pen,
                             check_columns = scan_x),
                  error = function(e) {
                    if (scan_x) check_design_values(x, fun, x_values)  # (bad values explain a failure first)
                    msg <- conditionMessage(e)
                    # (a link of one's own decides by its own functions where eta is valid)
                    if (grepl("no valid set of coefficients", msg, fixed = TRUE) && is_own_link(family, row)) {
                      msg <- paste0(msg, " (the link of one's own, '", family$link, "', finds no valid start: ",
                                    "see its valideta() and linkinv())")
                    }
                    abort(fun, msg)
                  })
  if (scan_x) check_design_values(x, fun, x_values, rng = res$column_ranges)
  if (auto_lbfgs && !isTRUE(res$diverged) && is.null(pen) &&
      (!isTRUE(res$converged) || isTRUE(remaining_step_size(res) > 1e-6))) {
    # L-BFGS in Newton's place that did not converge (an ill-conditioned
    # curvature, separated classes), or whose Newton step at the end left a
    # step of more than 1e-6 of the coefficients' size (nearly collinear
    # columns, along which L-BFGS stops far out and one step from there
    # does not reach the optimum): Newton's method from where it stopped
    optimizer <- "newton"
    b <- res$coefficients
    b[!is.finite(b)] <- 0
    engine_control <- engine_control_list(control, as_optimizer_spec("newton", fun), "newton", n)
    engine_control$subsample_min <- 200000L
    res <- tryCatch(run_engine(model, resp, if (offset_given) offset, "newton", b, engine_control, NULL),
                    error = function(e) abort(fun, conditionMessage(e)))
  }
  if (!is.null(model$gauge)) res <- centre_gauge(res, model$gauge)
  if (!is.null(pen) && length(pen$free_columns)) {
    xm <- design_matrix(x)
    for (j in names(pen$free_columns)) res <- centre_gauge(res, pen$free_columns[[j]], xm[, as.integer(j)])
  }
  if (!is.null(model$check_result) && is.null(pen)) res <- model$check_result(res, ctx, start)
  if (!is.null(pen) && !pen$single) return(path_core(res, ctx, cn, penalty, pen))
  if (!is.null(pen) && penalty$relax) {
    return(relaxed_core(res, ctx, cn, penalty, list(x = x, y = y, weights = weights, offset = offset,
                                                    family = family, control = control, x_sigma = x_sigma), pen))
  }
  check_rate(res, optimizer, engine_control$learning_rate, fun)
  res <- check_remaining_step(res, resp$weights)
  if (!is.finite(res$loss)) abort_no_valid_start(res, optimizer, model, fun)
  if (isTRUE(res$diverged)) {
    warn(fun, res$message)
  } else if (!res$converged && !is.null(pen) && optimizer == "newton") {
    warn(fun, "coordinate descent did not converge at lambda = ", format(pen$lambda), " (", res$message,
         "); see tol and max_sweeps of the penalty")
  } else if (!res$converged) {
    warn_not_converged(res, optimizer, fun)
  }
  warn_best_at_start(res, fun)

  coef <- stats::setNames(res$coefficients, cn)
  aliased <- stats::setNames(res$aliased, cn)
  cov <- res$cov
  dimnames(cov) <- list(cn[!aliased], cn[!aliased])
  fit <- model$finish(res, ctx, coef, aliased)
  if (!is.null(pen)) {
    fit$penalty <- penalised_fit_info(res, penalty, pen)
    if (optimizer == "newton") optimizer <- "cd"
    warn_penalised_minibatch(fit$penalty, optimizer, fun)
  }
  fit_common(fit, res, model, resp, family, control, spec, optimizer, offset_given, offset, intercept, n_ok,
             coef, aliased, cov, fun = fun)
}

# The parts every fitted model has, added to the family's own (`fit`); and
# whether it converged: the optimizer's word, unless the fit is degenerate
# (fit_converged())
fit_common <- function(fit, res, model, resp, family, control, spec, optimizer, offset_given, offset, intercept,
                       n_ok, coef, aliased, cov, fun = "gradglm") {
  res[c("converged", "message")] <- fit_converged(fit, res, n_ok, aliased, fun)
  # (a fit at a boundary, separated classes, has said why its curvature is
  # singular: no second warning of it)
  at_boundary <- isTRUE(res$n_boundary > 0) || isTRUE(fit$.at_boundary)
  fit$.at_boundary <- NULL
  cov <- finite_cov(cov, fit$df.residual, fun = "gradglm", quiet = at_boundary)
  # (least squares by QR, the exact route, is as accurate as lm's)
  # (a fit stopped at an unbounded likelihood has said so already)
  # (nor a fit at a boundary)
  # (nor a penalised fit: the penalty determines what the data leave open)
  if (!identical(optimizer, "exact") && is.null(fit$penalty) && !isTRUE(res$diverged) && !at_boundary &&
      !clearly_conditioned(cov)) {
    # ("auto"'s L-BFGS ends with a Newton step: not first-order)
    first_order <- optimizer %in% c("gd", "lbfgs", "sgd", "adam") && !identical(spec$name, "auto")
    warn_ill_conditioned(cov, fun = "gradglm", first_order = first_order)
  }
  common <- list(
    coefficients = coef, aliased = aliased, family = family, iter = res$iter,
    y = resp$y, converged = res$converged, boundary = FALSE, cov.unscaled = cov,
    cov_kind = res$cov_kind, optimizer = optimizer, trace = res$trace, control = control,
    optimizer_settings = spec$settings, message = res$message, best_epoch = res$best_epoch,
    offset = if (offset_given) offset else NULL, nobs = n_ok, intercept = intercept,
    kind = model$kind, lik_type = if (is.null(model$lik_type)) model$likelihood$type else model$lik_type,
    blocks = describe_blocks(model$blocks),
    prior.weights = resp$weights)
  c(fit, common[setdiff(names(common), names(fit))])
}

# The one rule on convergence after the optimizer's own stopping rule, for
# every fit that reaches fit_common() (linear or network, every optimizer, in
# memory or over a chunked source): a fit is not converged when
# - its deviance is not finite (glm.fit stops on a non-finite deviance), or
#   a network's log-likelihood is +Inf or NaN: an exact fit of a family with
#   a free scale (one row, or as many weights as rows) has a scale estimate
#   of 0 and a likelihood without a maximum (+Inf; NaN with zero weights).
#   A linear model's exact fit (one row; a constant response; as many
#   coefficients as rows) is what glm reports as converged, its deviance 0
#   and its log-likelihood +Inf or NaN (glm's Gaussian AIC counts log(0)):
#   the coefficients are exact, and the fit keeps its optimizer's word. (A
#   log-likelihood of -Inf beside a finite deviance is glm's Gaussian AIC
#   with zero prior weights, whose log(0) it counts: glm's value, not a
#   failed fit.)
# - a network ends with every unit of a hidden layer constant over the rows
#   (ReLUs whose input is <= 0 for every row, or zero weights): it predicts
#   the same for every row, and the gradient in the weights before that
#   layer is zero, so no optimizer moves it away from the model without
#   inputs. (Inputs that are themselves constant, one row among them, leave
#   no better fit: said, but not a failure.)
# Each is a warning that says what happened and what to try. Returns
# list(converged, message): the fit's message says why it has not converged.
fit_converged <- function(fit, res, n_ok, aliased, fun) {
  kept <- list(res$converged, res$message)
  ll <- fit$loglik
  dev <- fit$deviance
  bad_dev <- length(dev) == 1L && (is.infinite(dev) || is.nan(dev))
  net <- fit$network
  # (a linear model's exact fit keeps glm's word: converged, its deviance 0)
  bad_ll <- !is.null(net) && length(ll) == 1L && (identical(as.numeric(ll), Inf) || is.nan(ll))
  if (bad_ll || bad_dev) {
    what <- paste0("its ", if (bad_ll) "log-likelihood" else "deviance", " is ", format(if (bad_ll) ll else dev),
                   " at the estimates")
    exact <- isTRUE(dev == 0) || identical(as.numeric(ll), Inf) || identical(as.numeric(dev), -Inf)
    npar <- sum(!aliased)
    warn(fun, "the fit has not converged: ", what,
         if (exact) {
           paste0(": the fitted values reproduce every response exactly (", n_ok, " observation",
                  if (n_ok != 1) "s", " with non-zero weight for ", npar, " parameter", if (npar != 1) "s",
                  "), so the scale's estimate is 0 and the likelihood has no maximum; fit more observations ",
                  "or fewer parameters", if (!is.null(net)) " (a smaller network)")
         } else {
           paste0(", so they maximise nothing (fitted means at or beyond the edge of the family's range?); ",
                  "check the response, offset and link, or supply 'start'")
         })
    return(list(FALSE, what))
  }
  cu <- res$constant_units
  if (is.null(net) || is.null(cu)) return(kept)
  if (isTRUE(res$constant_inputs == length(net$input_names))) {
    warn(fun, "the network's inputs (", quote_some(net$input_names), ") are constant over the ", n_ok,
         " observation", if (n_ok != 1) "s", " with non-zero weight, so its output (before any offset) is the same ",
         "for every row: it can only fit the model without inputs")
    return(kept)
  }
  full <- which(cu == net$units)
  if (!length(full)) return(kept)
  relu <- identical(net$activation, mlp_activations[["relu"]])
  warn(fun, "the fit has not converged: every unit of hidden layer ", full[1L], " gives the same value for every ",
       "row", if (relu) " (dead ReLUs: their input is <= 0 for every row)" else "",
       ", so the network's output (before any offset) is the same for every row and the gradient of the loss in ",
       "the weights before that layer is zero: it stopped at the model without inputs, not at a fitted network; ",
       "try another start (set.seed(), or 'start' without zero weights), a smaller learning rate",
       if (relu) ", or activation = \"gelu\" or \"softplus\", whose units do not die" else "")
  list(FALSE, paste0("every unit of hidden layer ", full[1L], " gives the same value for every row",
                     if (relu) " (dead ReLUs)" else ""))
}

# The optimizers solve with the curvature itself (X'WX for a GLM), whose
# condition number is the square of the design's: nearly collinear columns (a
# raw polynomial of high degree) leave its solution with few correct digits,
# and an iterative fit stops early without noticing. Measured on the
# covariance with its columns scaled (the curvature's inverse, as badly
# conditioned), and said in words; skipped for very wide designs, where it
# would cost more than the fit.
warn_ill_conditioned <- function(cov, fun, limit = 1e12, first_order = FALSE) {
  if (is.null(cov) || !is.matrix(cov) || nrow(cov) < 2L || nrow(cov) > 1000L || anyNA(cov)) return(invisible())
  d <- sqrt(diag(cov))
  if (!all(is.finite(d) & d > 0)) return(invisible())
  # (the 2-norm condition number of a symmetric matrix from its eigenvalues, a third of the
  # time of its singular values; a matrix not positive definite in doubles counts as 1 / eps)
  ev <- tryCatch(eigen(cov / outer(d, d), symmetric = TRUE, only.values = TRUE)$values,
                 error = function(e) NA_real_)
  kappa <- max(ev) / max(min(ev), max(ev) * .Machine$double.eps)
  if (is.finite(kappa) && kappa > limit) {
    warn(fun, "the curvature at the estimates is nearly singular (condition number ",
         format(signif(kappa, 2)), " with its columns scaled): the design's columns are nearly collinear, ",
         "so the estimates and standard errors may be inaccurate (a raw polynomial? orthogonal ",
         "polynomials or centred, scaled columns avoid this)",
         if (first_order) paste0("; a first-order optimizer stops short of the optimum along such columns ",
                                 "(the deviance and fitted values too): optimizer = \"newton\" reaches it"))
  }
  invisible(kappa)
}

# TRUE when the covariance with its columns scaled (unit diagonal) is surely
# below warn_ill_conditioned()'s limit, by Gershgorin's discs: its
# eigenvalues lie within r = max_i sum_{j != i} |c_ij| of 1, so its
# condition number is at most (1 + r) / (1 - r). Saves the eigenvalues of
# the common, well-conditioned fit; FALSE when the bound says nothing.
clearly_conditioned <- function(cov, limit = 1e12) {
  if (is.null(cov) || !is.matrix(cov) || nrow(cov) < 2L || anyNA(cov)) return(FALSE)
  d <- sqrt(cov[seq.int(1L, length(cov), by = nrow(cov) + 1L)])
  if (!all(is.finite(d) & d > 0)) return(FALSE)
  p <- nrow(cov)
  r <- max(.rowSums(abs(cov / tcrossprod(d)), p, p)) - 1
  isTRUE(r < 1 && (1 + r) / (1 - r) < limit / 2)
}

# A covariance whose curvature could not be inverted at the solution (a
# parameter run off to a boundary: log(df) of a Student-t whose data are
# normal, a scale collapsing) has NaN (or negative) variances: they become NA, with a warning
# naming the parameters, instead of NaN standard errors given silently. A
# saturated fit of a family with a free dispersion (no residual degrees of
# freedom) has NaN ones, as glm's, and says so in its summary.
finite_cov <- function(cov, df_residual, fun, quiet = FALSE) {
  if (is.null(cov) || !is.matrix(cov) || !length(cov)) return(cov)
  v <- diag(cov)
  bad <- !is.finite(v) | v < 0
  if (!any(bad) || isTRUE(df_residual <= 0)) return(cov)
  cov[bad, ] <- NA_real_
  cov[, bad] <- NA_real_
  cov[!is.finite(cov)] <- NA_real_
  if (quiet) return(cov)
  warn(fun, "no standard errors for ", quote_some(rownames(cov)[bad]),
       ": the curvature is singular there at the solution (a parameter at a boundary of its range?)")
  cov
}

# coefficients along which the likelihood is flat (a symmetric multinomial's
# intercepts) reported summing to zero; the linear predictors move with them
centre_gauge <- function(res, gauge, column = NULL) {
  if (is.matrix(res$coefficients)) {
    res$coefficients[gauge, ] <- sweep(res$coefficients[gauge, , drop = FALSE], 2L,
                                       colMeans(res$coefficients[gauge, , drop = FALSE]))
    return(res)
  }
  m <- mean(res$coefficients[gauge])
  res$coefficients[gauge] <- res$coefficients[gauge] - m
  # (the gauge of a design column, `column`, shifts every class's linear
  # predictor by m times the column)
  shift <- if (is.null(column)) m else m * column
  if (!is.null(res$linear.predictors)) res$linear.predictors <- res$linear.predictors - shift
  res
}

# The engine's model specification from the family's model: one design per
# block (NULL for an intercept-only block), the response, weights, offset
# (of the first predictor) and the likelihood's codes.
run_engine <- function(model, resp, offset, optimizer, start, control, penalty = NULL, network = NULL,
                       check_columns = FALSE) {
  fit_model(c(model_spec(model, resp, offset),
              list(optimizer = optimizer, start = start, control = control, penalty = penalty, network = network,
                   check_columns = check_columns)))
}

# The model's data as the engine reads it (the designs default to the
# blocks' own; a chunked fit passes its null model's or those without
# aliased columns)
model_spec <- function(model, resp, offset, designs = lapply(model$blocks, function(b) engine_design(b$design))) {
  list(designs = designs, block_design = seq_along(model$blocks) - 1L,
       block_m = vapply(model$blocks, function(b) as.integer(b$m), 1L),
       y = if (is.null(resp$engine_y)) resp$y else resp$engine_y, weights = resp$weights,
       offsets = rep(list(offset), if (is.null(model$offset_predictors)) 1L else model$offset_predictors),
       likelihood = model$likelihood, constant_in_rank = isTRUE(model$constant_in_rank))
}

# The blocks as the fitted object keeps them: everything but the designs,
# with the positions of their coefficients.
describe_blocks <- function(blocks) {
  end <- cumsum(vapply(blocks, function(b) length(b$coef_names), 1L))
  out <- lapply(seq_along(blocks), function(i) {
    b <- blocks[[i]]
    b$design <- NULL
    b$coef <- seq.int(end[i] - length(b$coef_names) + 1L, length.out = length(b$coef_names))
    b
  })
  stats::setNames(out, vapply(blocks, `[[`, "", "name"))
}

# sgd / adam: a batch cannot be larger than the data
check_batch_size <- function(engine_control, optimizer, n, fun) {
  if (optimizer %in% c("sgd", "adam") && engine_control$batch_size > n) {
    abort(fun, "'batch_size' (", engine_control$batch_size, ") is larger than the number of observations (",
          n, ")")
  }
  invisible(TRUE)
}

# a learning rate that made the loss blow up is an error, with advice
check_rate <- function(res, optimizer, rate, fun) {
  if (isTRUE(res$rate_too_large)) {
    abort(fun, "the learning rate ", format(rate), " is too large: ", res$message,
          "; lower it, e.g. optimizer = opt_", optimizer, "(learning_rate = ", format(signif(rate / 10, 2)), ")")
  }
  invisible(TRUE)
}

# early stopping that kept the start: say so
warn_best_at_start <- function(res, fun) {
  if (identical(as.integer(res$best_epoch), 0L)) {
    warn(fun, "the validation loss never fell below its value at the start, so the starting values ",
         "are returned (best epoch 0); try a smaller learning rate, a larger patience or validation = 0")
  }
  invisible(TRUE)
}

# A full-batch first-order fit (gd, L-BFGS) stops on the gradient of the
# weight-averaged loss. When the weights span many orders of magnitude (here
# more than 8), the rows of small weight barely move that gradient, and the
# fit can stop short of the optimum in the directions they determine: the
# engine returns the Newton step left at the estimates, and a step larger
# than 1e-6 of a coefficient's size (or of its standard error's, for one near
# 0) marks the fit as not converged, saying why.
check_remaining_step <- function(res, weights) {
  if (is.null(res$newton_step) || !isTRUE(res$converged)) return(res)
  s <- value_summary(as.numeric(weights))  # (the finite positive weights' range, in one pass)
  span <- if (is.finite(s[["max_positive"]])) s[["max_positive"]] / s[["min_positive"]] else 1
  if (!(span > 1e8)) return(res)
  rel <- remaining_step_size(res)
  if (!is.finite(rel) || rel <= 1e-6) return(res)
  res$converged <- FALSE
  res$message <- paste0("it stopped where a Newton step would still move the coefficients by ",
                        format(signif(rel, 2)), " of their size: its rule is on the gradient of the ",
                        "weight-averaged loss, which the rows of small weight barely move when the weights ",
                        "span ", format(signif(span, 2)), " to 1; optimizer = \"newton\" reaches the optimum")
  res
}

# The Newton step left at a first-order fit's estimates (the engine's
# `newton_step`) relative to the coefficients' size, or to their standard
# error's for one near 0: its largest such ratio; NA without a step.
remaining_step_size <- function(res) {
  if (is.null(res$newton_step)) return(NA_real_)
  s <- res$newton_step[!res$aliased]
  if (!length(s)) return(0)
  b <- res$coefficients[!res$aliased]
  se <- sqrt(pmax(diag(as.matrix(res$cov)), 0))
  r <- abs(s) / pmax(abs(b), se)
  r <- r[!is.na(r)]
  if (length(r)) max(r) else 0
}

# A minibatch optimizer's penalised fit ends by its own rule (epochs, early
# stopping), not at the penalised optimum: a KKT violation above a tenth of
# lambda (coefficients well away from the optimum's, zeros that are not) is
# said, not left to be found in penalty$kkt.
warn_penalised_minibatch <- function(info, optimizer, fun) {
  if (!optimizer %in% c("sgd", "adam")) return(invisible(FALSE))
  kkt <- info$kkt
  lambda <- info$lambda
  if (!is.finite(kkt) || !is.finite(lambda) || lambda <= 0 || kkt <= 0.1 * lambda) return(invisible(FALSE))
  warn(fun, "the ", optimizer, " fit stopped away from the penalised optimum: its largest violation of the KKT ",
       "conditions is ", format(signif(kkt, 3)), " (", format(signif(kkt / lambda, 2)), " times lambda); ",
       "minibatch steps give approximate solutions, and optimizer = \"auto\" (coordinate descent) the exact one")
  invisible(TRUE)
}

# (`network`: Newton's exact steps are not there to recommend)
warn_not_converged <- function(res, optimizer, fun, network = FALSE) {
  unit <- if (optimizer %in% c("sgd", "adam")) " epochs" else " iterations"
  hint <- if (optimizer %in% c("sgd", "adam")) {
    paste0("; see optimizer = opt_", optimizer, "(max_epochs = , learning_rate = )")
  } else if (isTRUE(res$stop %in% c("flat", "kink"))) {
    # (more iterations would not help: no step lowers the loss, which is flat
    # to machine precision or, for a ReLU network, kinked)
    if (identical(res$stop, "kink")) {
      "; optimizer = \"adam\", or a smooth activation (\"softplus\", \"gelu\", \"tanh\"), may get further"
    } else if (network) {
      "; optimizer = \"adam\" or another start may get further"
    } else {
      "; optimizer = \"newton\" reaches the optimum"
    }
  } else {
    "; see control = gradglm_control(max_iter = , tol = )"
  }
  warn(fun, "the ", optimizer, " optimizer did not converge in ", res$iter, unit,
       if (nzchar(res$message)) paste0(" (", res$message, ")") else "", hint)
}

# a fit whose loss is not finite where the optimizer ended (in memory, or
# over a chunked source): the start found no valid coefficients
abort_no_valid_start <- function(res, optimizer, model, fun) {
  abort(fun, "the ", optimizer, " optimizer could not find valid ",
        if (model$kind == "glm") "coefficients" else "parameters", " (",
        if (nzchar(res$message)) res$message else "non-finite loss", "); supply 'start'")
}
