# Optimizer choice. Strings name the methods; "auto" picks the fastest route
# to the exact maximum-likelihood estimate. The spec constructors opt_*()
# carry settings of their own, which override those of gradglm_control().

optimizers <- c("auto", "exact", "newton", "gd", "lbfgs")
schedules <- c(constant = 1L, inverse = 2L, exponential = 3L, step = 4L, cosine = 5L)

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
#'   gradient norm below which it stops (the derivative-based stopping rule).
#' * `opt_lbfgs()`: limited-memory BFGS on standardised columns with a line
#'   search that satisfies the strong Wolfe conditions; for large problems its
#'   first inverse Hessian comes from a fit to a sample of rows. `tol` is the
#'   gradient norm, as for `opt_gd()`; when it is not given here, L-BFGS uses
#'   the smaller of `control$tol` and 1e-10 (it converges superlinearly, so the
#'   last digits cost few iterations).
#'
#' Schedules of the learning rate at iteration `t` (`rate` =
#' `learning_rate`):
#' `"constant"`: `rate`; `"inverse"` (the default): `rate / (1 + decay * t)`;
#' `"exponential"`: `rate * exp(-decay * t)`; `"step"`: `rate` halved every
#' `1 / decay` iterations; `"cosine"`: `rate * (1 + cos(pi * t / max_iter)) / 2`.
#'
#' @param learning_rate Initial learning rate, positive.
#' @param decay Decay of the learning rate, non-negative; its meaning depends
#'   on the schedule.
#' @param schedule One of `"constant"`, `"inverse"`, `"exponential"`,
#'   `"step"`, `"cosine"`.
#' @param memory Number of correction pairs L-BFGS keeps, a positive whole
#'   number.
#' @param tol,max_iter Convergence tolerance and iteration limit; `NULL`
#'   takes them from `control` (see [gradglm_control()]).
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
#' @name optimizer-specs
NULL

new_optimizer_spec <- function(name, settings) {
  settings <- settings[!vapply(settings, is.null, logical(1))]
  structure(list(name = name, settings = settings), class = "gradglm_optimizer")
}

check_common_settings <- function(tol, max_iter, fun) {
  is_num <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && is.finite(v)
  if (!is.null(tol) && (!is_num(tol) || tol <= 0)) abort(fun, "'tol' must be a single positive number")
  if (!is.null(max_iter) && (!is_num(max_iter) || max_iter < 1 || max_iter != round(max_iter))) {
    abort(fun, "'max_iter' must be a positive whole number or NULL")
  }
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
opt_gd <- function(learning_rate = 1, decay = 1e-3, schedule = "inverse", tol = NULL, max_iter = NULL) {
  fun <- "opt_gd"
  is_num <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && is.finite(v)
  if (!is_num(learning_rate) || learning_rate <= 0) {
    abort(fun, "'learning_rate' must be a single positive number")
  }
  if (!is_num(decay) || decay < 0) abort(fun, "'decay' must be a single number >= 0")
  if (!is.character(schedule) || length(schedule) != 1L || is.na(schedule) ||
      !schedule %in% names(schedules)) {
    abort(fun, "'schedule' must be one of ", paste0("\"", names(schedules), "\"", collapse = ", "))
  }
  check_common_settings(tol, max_iter, fun)
  new_optimizer_spec("gd", list(learning_rate = learning_rate, decay = decay, schedule = schedule,
                                tol = tol, max_iter = if (!is.null(max_iter)) as.integer(max_iter)))
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

resolve_optimizer <- function(optimizer, fam, fun = "gradglm") {
  optimizer <- as_optimizer_spec(optimizer, fun)$name
  if (!optimizer %in% optimizers) {
    abort(fun, "unknown optimizer '", optimizer, "'; choose one of ",
          paste0("\"", optimizers, "\"", collapse = ", "))
  }
  closed_form <- fam$family$family == "gaussian" && fam$family$link == "identity"
  if (optimizer == "auto") optimizer <- if (closed_form) "exact" else "newton"
  if (optimizer == "exact" && !closed_form) {
    abort(fun, "optimizer = \"exact\" is the closed form of gaussian(link = \"identity\"); ",
          "family ", fam$family$family, "(link = \"", fam$family$link, "\") has none: ",
          "use \"newton\", \"lbfgs\" or \"gd\"")
  }
  optimizer
}

default_max_iter <- function(optimizer) {
  switch(optimizer, newton = 50L, gd = 10000L, lbfgs = 1000L, 1L)
}

# The control list the C++ engine reads: gradglm_control()'s values, with the
# optimizer spec's settings in their place
engine_control_list <- function(control, spec, optimizer) {
  s <- spec$settings
  pick <- function(name) if (!is.null(s[[name]])) s[[name]] else control[[name]]
  max_iter <- pick("max_iter")
  if (is.null(max_iter)) max_iter <- default_max_iter(optimizer)
  tol <- pick("tol")
  # L-BFGS converges superlinearly: a smaller gradient costs few iterations and
  # brings it to Newton's accuracy
  if (optimizer == "lbfgs" && is.null(s$tol)) tol <- min(tol, 1e-10)
  list(tol = tol, max_iter = as.integer(max_iter), learning_rate = pick("learning_rate"),
       decay = pick("decay"), trace = control$trace, verbose = control$verbose,
       rank_tol = control$rank_tol, threads = engine_threads(),
       schedule = schedules[[if (is.null(s$schedule)) "inverse" else s$schedule]],
       memory = if (is.null(s$memory)) 10L else s$memory)
}
