# Optimizer choice. Strings name the methods; "auto" picks the fastest route
# to the exact maximum-likelihood estimate. The spec constructors opt_*()
# carry settings of their own, which override those of gradglm_control().

optimizers <- c("auto", "exact", "newton", "gd", "lbfgs", "sgd", "adam")
schedules <- c(constant = 1L, inverse = 2L, exponential = 3L, step = 4L, cosine = 5L, plateau = 6L)

#' Optimizer specifications
#'
#' Each optimizer of [gradglm()] can be named by a string (`optimizer =
#' "lbfgs"`) or given as a specification with settings of its own, made by
#' these functions; the strings are shorthands for the specifications with
#' their defaults. Settings given here override the same settings of
#' [gradglm_control()].
#'
#' * `opt_newton()`: Newton's method with the exact curvature (Fisher
#'   scoring where that is indefinite) and step-halving. `tol` is the relative
#'   change in the deviance, as [stats::glm.control()]'s `epsilon`.
#' * `opt_gd()`: full-batch gradient descent on standardised columns, with a
#'   learning-rate schedule and Armijo backtracking (the step never exceeds
#'   the scheduled rate, nor twice the last accepted step). `tol` is the
#'   gradient norm below which it stops (the derivative-based stopping rule);
#'   for the Gaussian, Gamma and inverse Gaussian families (whose dispersion
#'   is free) the gradient is measured, for this rule and the trace, in the
#'   units of sgd's steps (divided by the square root of the dispersion
#'   times the mean Fisher weight at the start: for a Gaussian model with the
#'   identity link, by the standard deviation of the response), so that the
#'   rule does not depend on the units of the response.
#' * `opt_lbfgs()`: limited-memory BFGS on standardised columns with a line
#'   search that satisfies the strong Wolfe conditions; for large problems its
#'   first inverse Hessian comes from a fit to a sample of rows. `tol` is the
#'   gradient norm, as for `opt_gd()`; when it is not given here, L-BFGS uses
#'   the smaller of `control$tol` and 1e-10 (it converges superlinearly, so the
#'   last digits cost few iterations).
#'
#' * `opt_sgd()`: minibatch stochastic gradient descent, with momentum
#'   (heavy ball) or Nesterov momentum.
#' * `opt_adam()`: Adam, with per-coefficient step sizes from running means
#'   of the gradient (`beta1`) and of its square (`beta2`).
#'
#' Schedules of the learning rate at iteration `t` (`rate` =
#' `learning_rate`):
#' `"constant"`: `rate`; `"inverse"` (the default of gd): `rate / (1 + decay * t)`;
#' `"exponential"`: `rate * exp(-decay * t)`; `"step"`: `rate` halved every
#' `1 / decay` iterations; `"cosine"`: `rate * (1 + cos(pi * t / max_iter)) / 2`.
#' For sgd and adam, `t` counts epochs (`t = epoch - 1`, `max_iter` is
#' `max_epochs`), and one more schedule is offered, their default:
#' `"plateau"`, which halves the rate whenever the training loss has not
#' improved for half the `patience`, at most 10 times.
#'
#' @section Minibatch optimizers:
#' `"sgd"` and `"adam"` work on the same standardised coefficients as gd,
#' further measured in units in which the loss has about unit curvature (one
#' over the square root of the mean Fisher weight at the start; for a
#' Gaussian model the loss is also divided by the variance of the response),
#' so that one learning rate suits most models. They start where gd starts
#' (slopes at zero, the intercept at the link of the mean response).
#'
#' Each epoch visits the rows once, in an order drawn from R's random number
#' generator, so `set.seed()` makes a fit reproducible. When the design is
#' larger than about 4 MB the rows are shuffled in runs of up to 16
#' consecutive rows (at most half the batch): a batch then reads the design
#' in a few contiguous pieces and is never copied (a run that would overfill
#' a batch is split, so that every batch but an epoch's last has
#' `batch_size` rows). Each batch's gradient is scaled to estimate the mean
#' gradient over the training rows.
#'
#' The trace has one row per epoch (row 0: the start): `loss` is the mean
#' over the epoch's batches (as deep-learning libraries report it) and
#' `grad_norm` the norm of their mean gradient (each batch weighted by its
#' share of the rows), `step` the distance the coefficients moved in the
#' epoch, `learning_rate` the epoch's rate and, with `validation > 0`,
#' `val_loss` the loss on the held-out rows at the end of the epoch.
#'
#' A fit stops when the epoch's gradient norm falls below `tol`; when the
#' monitored loss (the validation loss with `validation > 0`, otherwise the
#' training loss) has not improved for `patience` epochs (the plateau
#' schedule halves the rate at most 10 times, each halving restarting the
#' count when there is no validation share); or after `max_epochs` (with a
#' warning). With a validation share
#' the coefficients of the epoch with the lowest validation loss are kept
#' (`fit$best_epoch`); the validation rows are not used for training. A
#' step after which a batch's loss is not finite (for example a mean leaving
#' the domain of an identity link) is undone, and the rate halved for the rest
#' of the fit (the trace's `learning_rate` shows it). A learning rate under
#' which the loss stays non-finite after that undo (or needs more than 30 such
#' halvings), is above its starting value in 10 epochs, or ends above it is an
#' error that suggests a smaller rate.
#'
#' @param learning_rate Initial learning rate, positive; for `opt_gd()`,
#'   `NULL` takes `control`'s (1 by default, see [gradglm_control()]).
#' @param decay Decay of the learning rate, non-negative; its meaning depends
#'   on the schedule. For `opt_gd()`, `NULL` takes `control`'s (1e-3 by
#'   default).
#' @param schedule One of `"constant"`, `"inverse"`, `"exponential"`,
#'   `"step"`, `"cosine"`; for sgd and adam also `"plateau"` (their default).
#' @param batch_size Rows per minibatch, a positive whole number no larger
#'   than the number of observations; `NULL` (the default) takes 32, or all
#'   rows when there are fewer.
#' @param momentum Momentum of sgd, in `[0, 1)`; 0 is plain SGD.
#' @param nesterov Logical: Nesterov's momentum (the gradient taken at the
#'   point the momentum leads to) instead of the heavy ball.
#' @param beta1,beta2 Adam's decay rates of the running means of the
#'   gradient and of its square, each in `[0, 1)`.
#' @param epsilon Adam's small positive constant added to the root mean
#'   square of the gradient.
#' @param max_epochs Maximum number of epochs (passes over the data), a
#'   positive whole number; `NULL` takes 100, or as many as make 200,000
#'   minibatch steps when epochs are short.
#' @param validation Share of the rows held out to compute a validation loss
#'   after each epoch, in `[0, 1)`; 0 (the default) holds out none. The rows
#'   are drawn at random (R's generator).
#' @param patience Epochs without improvement of the monitored loss before
#'   stopping, a positive whole number; `NULL` takes 10, or as many epochs as
#'   make 500 minibatch steps when epochs are short.
#' @param memory Number of correction pairs L-BFGS keeps, a positive whole
#'   number.
#' @param tol,max_iter Convergence tolerance and iteration limit; `NULL`
#'   takes them from `control` (see [gradglm_control()]). For sgd and adam
#'   `tol` is the epoch's mean gradient norm and the limit is `max_epochs`.
#' @return An object of class `"gradglm_optimizer"`: a list with the
#'   optimizer's `name` and its `settings`.
#' @seealso [gradglm()], [gradglm_control()]
#' @examples
#' fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(),
#'                optimizer = opt_lbfgs(memory = 5))
#' fit$iter
#' fit_gd <- gradglm(am ~ wt, data = mtcars, family = binomial(),
#'                   optimizer = opt_gd(learning_rate = 2, schedule = "cosine",
#'                                      max_iter = 3000))
#' tail(fit_gd$trace, 3)
#'
#' # minibatch optimizers: reproducible with set.seed()
#' set.seed(1)
#' fit_adam <- gradglm(breaks ~ wool + tension, data = warpbreaks,
#'                     family = poisson(), optimizer = "adam")
#' fit_adam$iter   # epochs
#' set.seed(1)
#' fit_sgd <- gradglm(breaks ~ wool + tension, data = warpbreaks,
#'                    family = poisson(),
#'                    optimizer = opt_sgd(batch_size = 8, nesterov = TRUE,
#'                                        validation = 0.2, patience = 50))
#' fit_sgd$best_epoch
#' @name optimizer-specs
NULL

new_optimizer_spec <- function(name, settings) {
  settings <- settings[!vapply(settings, is.null, logical(1))]
  structure(list(name = name, settings = settings), class = "gradglm_optimizer")
}

check_common_settings <- function(tol, max_iter, fun) {
  if (!is.null(tol) && (!is_num(tol) || tol <= 0)) abort(fun, "'tol' must be a single positive number")
  check_count(max_iter, "'max_iter'", fun, null_ok = TRUE)
  invisible(TRUE)
}

#' @rdname optimizer-specs
#' @export
opt_newton <- function(tol = NULL, max_iter = NULL) {
  check_common_settings(tol, max_iter, "opt_newton")
  new_optimizer_spec("newton", list(tol = tol, max_iter = if (!is.null(max_iter)) as.integer(max_iter)))
}

#' @rdname optimizer-specs
#' @export
opt_gd <- function(learning_rate = NULL, decay = NULL, schedule = "inverse", tol = NULL, max_iter = NULL) {
  fun <- "opt_gd"
  check_rate_decay(learning_rate, decay, fun)
  check_schedule(schedule, fun, setdiff(names(schedules), "plateau"))
  check_common_settings(tol, max_iter, fun)
  new_optimizer_spec("gd", list(learning_rate = learning_rate, decay = decay, schedule = schedule,
                                tol = tol, max_iter = if (!is.null(max_iter)) as.integer(max_iter)))
}

# checks shared by opt_sgd() and opt_adam()
check_stochastic_settings <- function(learning_rate, decay, schedule, batch_size, max_epochs, validation,
                                      patience, tol, fun) {
  check_rate_decay(learning_rate, decay, fun)
  check_schedule(schedule, fun)
  check_count(batch_size, "'batch_size'", fun, null_ok = TRUE)
  check_count(max_epochs, "'max_epochs'", fun, null_ok = TRUE)
  if (!is_num(validation) || validation < 0 || validation >= 1) {
    abort(fun, "'validation' must be a single number in [0, 1): the share of rows held out")
  }
  check_count(patience, "'patience'", fun, null_ok = TRUE, unit = " of epochs")
  check_common_settings(tol, NULL, fun)
}

# the learning rate and its decay (gd, sgd, adam)
check_rate_decay <- function(learning_rate, decay, fun) {
  if (!is.null(learning_rate) && (!is_num(learning_rate) || learning_rate <= 0)) {
    abort(fun, "'learning_rate' must be a single positive number")
  }
  if (!is.null(decay) && (!is_num(decay) || decay < 0)) abort(fun, "'decay' must be a single number >= 0")
  invisible(TRUE)
}

check_schedule <- function(schedule, fun, choices = names(schedules)) {
  if (!is.character(schedule) || length(schedule) != 1L || is.na(schedule) || !schedule %in% choices) {
    abort(fun, "'schedule' must be one of ", paste0("\"", choices, "\"", collapse = ", "))
  }
  invisible(TRUE)
}

# a number in [0, 1) (momentum, beta1, beta2)
check_unit_interval <- function(v, name, fun) {
  if (!is.numeric(v) || length(v) != 1L || is.na(v) || v < 0 || v >= 1) {
    abort(fun, "'", name, "' must be a single number in [0, 1)")
  }
  invisible(TRUE)
}

#' @rdname optimizer-specs
#' @export
opt_sgd <- function(learning_rate = 0.01, batch_size = NULL, momentum = 0.9, nesterov = FALSE,
                    schedule = "plateau", max_epochs = NULL, validation = 0, patience = NULL,
                    decay = 0.01, tol = NULL) {
  fun <- "opt_sgd"
  check_stochastic_settings(learning_rate, decay, schedule, batch_size, max_epochs, validation, patience,
                            tol, fun)
  check_unit_interval(momentum, "momentum", fun)
  if (!is.logical(nesterov) || length(nesterov) != 1L || is.na(nesterov)) {
    abort(fun, "'nesterov' must be TRUE or FALSE")
  }
  if (nesterov && momentum == 0) abort(fun, "'nesterov = TRUE' needs a 'momentum' above 0")
  new_optimizer_spec("sgd", list(learning_rate = learning_rate,
                                 batch_size = if (!is.null(batch_size)) as.integer(batch_size),
                                 momentum = momentum, nesterov = nesterov, schedule = schedule,
                                 max_epochs = if (!is.null(max_epochs)) as.integer(max_epochs),
                                 validation = validation, patience = if (!is.null(patience)) as.integer(patience),
                                 decay = decay, tol = tol))
}

#' @rdname optimizer-specs
#' @export
opt_adam <- function(learning_rate = 0.01, beta1 = 0.9, beta2 = 0.999, batch_size = NULL,
                     schedule = "plateau", max_epochs = NULL, validation = 0, patience = NULL,
                     decay = 0.01, epsilon = 1e-8, tol = NULL) {
  fun <- "opt_adam"
  check_stochastic_settings(learning_rate, decay, schedule, batch_size, max_epochs, validation, patience,
                            tol, fun)
  check_unit_interval(beta1, "beta1", fun)
  check_unit_interval(beta2, "beta2", fun)
  if (!is.numeric(epsilon) || length(epsilon) != 1L || is.na(epsilon) || !is.finite(epsilon) || epsilon <= 0) {
    abort(fun, "'epsilon' must be a single positive number")
  }
  new_optimizer_spec("adam", list(learning_rate = learning_rate, beta1 = beta1, beta2 = beta2,
                                  batch_size = if (!is.null(batch_size)) as.integer(batch_size),
                                  schedule = schedule,
                                  max_epochs = if (!is.null(max_epochs)) as.integer(max_epochs),
                                  validation = validation, patience = if (!is.null(patience)) as.integer(patience),
                                  decay = decay, epsilon = epsilon, tol = tol))
}

#' @rdname optimizer-specs
#' @export
opt_lbfgs <- function(memory = 10, tol = NULL, max_iter = NULL) {
  fun <- "opt_lbfgs"
  if (!is.numeric(memory) || length(memory) != 1L || is.na(memory) || memory < 1 ||
      memory > 1000 || memory != round(memory)) {
    abort(fun, "'memory' must be a whole number between 1 and 1000")
  }
  check_common_settings(tol, max_iter, fun)
  new_optimizer_spec("lbfgs", list(memory = as.integer(memory), tol = tol,
                                   max_iter = if (!is.null(max_iter)) as.integer(max_iter)))
}

#' @export
print.gradglm_optimizer <- function(x, ...) {
  s <- x$settings
  txt <- if (length(s)) paste(names(s), vapply(s, format, ""), sep = " = ", collapse = ", ") else "defaults"
  cat("gradglm optimizer: ", x$name, " (", txt, ")\n", sep = "")
  invisible(x)
}

# optimizer given as a string or a spec: its name and the settings it brings
as_optimizer_spec <- function(optimizer, fun = "gradglm") {
  if (inherits(optimizer, "gradglm_optimizer")) return(optimizer)
  if (!is.character(optimizer) || length(optimizer) != 1L || is.na(optimizer)) {
    abort(fun, "'optimizer' must be one of ", paste0("\"", optimizers, "\"", collapse = ", "),
          " or a specification such as opt_lbfgs()")
  }
  new_optimizer_spec(optimizer, list())
}

# the optimizer's name, "auto" resolved: the closed form where the model has
# one; L-BFGS where the model's curvature costs more than L-BFGS's
# iterations (auto_prefers_lbfgs(), for n rows); Newton's method otherwise
resolve_optimizer <- function(optimizer, model, family, fun = "gradglm", n = NA) {
  optimizer <- as_optimizer_spec(optimizer, fun)$name
  if (!optimizer %in% optimizers) {
    abort(fun, "unknown optimizer '", optimizer, "'; choose one of ",
          paste0("\"", optimizers, "\"", collapse = ", "))
  }
  if (optimizer == "auto") {
    optimizer <- if (isTRUE(model$closed_form)) "exact" else if (auto_prefers_lbfgs(model, n)) "lbfgs" else "newton"
  }
  if (optimizer == "exact" && !isTRUE(model$closed_form)) {
    what <- if (model$kind == "glm") "" else " (a model with an estimated scale or several parameters)"
    abort(fun, "optimizer = \"exact\" is the closed form of gaussian(link = \"identity\") without a ",
          "sigma model; family ", family$family, "(link = \"", family$link, "\")", what, " has none: ",
          "use \"newton\", \"lbfgs\" or \"gd\"")
  }
  optimizer
}

# "auto" between Newton's method and L-BFGS, for a model that states what a
# pass with its curvature costs (`curvature_cost`, multiply-adds per row; the
# multinomial's: a weighted Gram matrix of its p columns for each pair of its
# K predictors, p^2 K (K + 1) / 4, for d = pK coefficients). Both routes end
# with one such pass (the covariance's; L-BFGS takes a Newton step from it,
# see remaining_step() in fit.cpp). Before it, Newton's method takes about 5
# iterations, each a curvature pass over the n rows and a factorisation of
# the d x d curvature (d^3 / 3); L-BFGS about 6 sqrt(d) iterations (22 at d =
# 12, 260 at d = 1809 in bench/bench-multinomial.R), each costing about 7d
# of the curvature's multiply-adds per row (measured, single-threaded: its two
# or three passes of the loss and gradient, 2d each, run at a lower rate
# than the Gram matrices). L-BFGS is chosen where it costs less: for n well
# above d, from d = 1130 (K / (K + 1))^2, about 500 with 3 classes, 720 with
# 5 and 910 with 10; sooner when the factorisation counts (n near d).
auto_prefers_lbfgs <- function(model, n) {
  curv <- model$curvature_cost
  if (is.null(curv) || !is.finite(n)) return(FALSE)
  d <- sum(vapply(model$blocks, function(b) length(b$coef_names), 1L))
  newton <- 5 * (n * curv + d^3 / 3)
  lbfgs <- 6 * sqrt(d) * 7 * d * n
  lbfgs < newton
}

default_max_iter <- function(optimizer, n = NA) {
  switch(optimizer, newton = 50L, gd = 10000L, lbfgs = 1000L,
         sgd = , adam = default_max_epochs(n, 32L), 1L)
}

# sgd / adam: 100 epochs, or enough for 200,000 minibatch steps when an epoch
# has fewer than 2000 batches (small data: epochs are cheap)
default_max_epochs <- function(n, batch_size) {
  if (is.na(n)) return(100L)
  as.integer(max(100, ceiling(2e5 / ceiling(n / batch_size))))
}

stochastic_defaults <- function(optimizer) {
  if (optimizer == "adam") opt_adam()$settings else opt_sgd()$settings
}

# The control list the C++ engine reads: gradglm_control()'s values, with the
# optimizer spec's settings in their place
engine_control_list <- function(control, spec, optimizer, n = NA) {
  s <- spec$settings
  stochastic <- optimizer %in% c("sgd", "adam")
  # a string "sgd" / "adam" stands for the spec with its defaults
  if (stochastic) {
    s <- utils::modifyList(stochastic_defaults(optimizer), s)
    # by default batches of 32 rows, or all of them when there are fewer
    if (is.null(s$batch_size)) s$batch_size <- as.integer(if (is.na(n)) 32L else max(1L, min(32L, n)))
    # by default 10 epochs, or 500 minibatch steps when epochs are short
    if (is.null(s$patience)) {
      s$patience <- as.integer(if (is.na(n)) 10L else max(10, ceiling(500 / ceiling(n / s$batch_size))))
    }
  }
  pick <- function(name) if (!is.null(s[[name]])) s[[name]] else control[[name]]
  max_iter <- if (stochastic) s$max_epochs else pick("max_iter")
  if (stochastic && is.null(max_iter)) max_iter <- control$max_iter
  if (is.null(max_iter)) {
    max_iter <- if (stochastic) default_max_epochs(n, s$batch_size) else default_max_iter(optimizer)
  }
  tol <- pick("tol")
  # L-BFGS converges superlinearly: a smaller gradient costs few iterations and
  # brings it to Newton's accuracy
  if (optimizer == "lbfgs" && is.null(s$tol)) tol <- min(tol, 1e-10)
  list(tol = tol, max_iter = as.integer(max_iter), learning_rate = pick("learning_rate"),
       decay = pick("decay"), trace = control$trace, verbose = control$verbose,
       rank_tol = control$rank_tol, threads = engine_threads(),
       schedule = schedules[[if (is.null(s$schedule)) "inverse" else s$schedule]],
       memory = if (is.null(s$memory)) 10L else s$memory,
       batch_size = if (stochastic) s$batch_size else 32L,
       momentum = if (!is.null(s$momentum)) s$momentum else 0,
       nesterov = isTRUE(s$nesterov),
       beta1 = if (!is.null(s$beta1)) s$beta1 else 0.9,
       beta2 = if (!is.null(s$beta2)) s$beta2 else 0.999,
       epsilon = if (!is.null(s$epsilon)) s$epsilon else 1e-8,
       validation = if (stochastic) s$validation else 0,
       patience = if (stochastic) s$patience else 10L)
}
