#' Control the fitting of a gradglm model
#'
#' Settings shared by the optimizers of [gradglm()] and [gradglm_fit()]. Each
#' value is checked, so a mistake is reported when the settings are made.
#'
#' @param tol Convergence tolerance, positive. For `"newton"`: the relative
#'   change in the deviance between iterations, `|dev - dev_old| / (|dev| + 0.1)`,
#'   as [stats::glm.control()]'s `epsilon`. For `"gd"`: the Euclidean norm of
#'   the gradient of the mean loss with respect to the standardised
#'   coefficients (the derivative-based stopping rule); gradient descent and
#'   L-BFGS also stop when no step can lower the loss at machine precision:
#'   converged if the gradient's norm is below `sqrt(tol)` (as Newton's
#'   step-halving judges it), else not (with a warning: the loss is flat along
#'   a badly scaled gradient, as for a response in very large or small units
#'   with a non-log link, where `"newton"` reaches the optimum).
#' @param max_iter Maximum number of iterations, a positive whole number, or
#'   `NULL` for the optimizer's default (50 for `"newton"`, 1000 for
#'   `"lbfgs"`, 10000 for `"gd"`; for `"sgd"` and `"adam"` the epoch limit,
#'   when their `max_epochs` is `NULL`). As glm's `maxit`, it counts the
#'   scoring step of glm's start that `"newton"` and `"lbfgs"` take on a GLM
#'   (`fit$iter` counts it too).
#' @param learning_rate Initial learning rate of gradient descent, positive
#'   (sgd and adam take theirs from [opt_sgd()] and [opt_adam()]).
#' @param decay Decay of the learning rate, non-negative: at iteration `t` the
#'   scheduled rate is `learning_rate / (1 + decay * t)`. Backtracking halves
#'   the step further whenever it would not decrease the loss enough (Armijo).
#' @param trace Logical: record the optimizer's trace (loss, gradient norm and
#'   step per iteration) in the fitted object.
#' @param verbose Logical: show a progress bar (the cli package) with the
#'   iteration or epoch, the current loss and an estimated time to the limit
#'   while fitting; cli shows it once a fit has run for about two seconds
#'   (option `cli.progress_show_after`).
#' @param rank_tol Tolerance of the rank detection: a column whose part
#'   orthogonal to the earlier kept columns has a norm below `rank_tol` times
#'   its own is aliased (its coefficient is `NA`), as in [stats::lm.fit()];
#'   a GLM with more coefficients than observations keeps as many as the
#'   design's rank, as [stats::glm()] does. (glm's own QR tolerance is
#'   `min(1e-7, epsilon / 1000)`, 1e-11 with its default `epsilon`: a column
#'   within about 1e-9 of the span of the others is aliased here and kept
#'   there; give `rank_tol = 1e-11` for glm's decision.)
#' @param ... `epsilon` and `maxit`, [stats::glm.control()]'s names, are
#'   taken for `tol` and `max_iter` (so that glm code runs as written); other
#'   settings are an error. A list made by [stats::glm.control()] can be given
#'   as `control` to [gradglm()]: its `epsilon` and `maxit` are taken so, and
#'   its `trace` (glm's printing of the iterations) for `verbose`.
#' @return A list of class `"gradglm_control"`.
#' @section Threads:
#' The passes over the data (the loss, its gradient and curvature over all
#' rows, the checks of a design's values, the rank checks) run on
#' `getOption("gradglm.threads", 2)` threads when the package is built with
#' OpenMP and the data have 20,000 rows or more; under `R CMD check`'s core
#' limit (`_R_CHECK_LIMIT_CORES_`) on at most 2. The minibatch optimizers
#' (`"sgd"`, `"adam"`) share a batch's rows between the threads when the batch
#' is large enough to pay for it (for a linear model on 50 columns, a batch of
#' about 1,000 rows; for a network, smaller ones). Each thread sums its own
#' rows, so fits on different numbers of threads differ by rounding only at
#' an optimum; a fit stopped before it (a network's at its iteration limit,
#' whose path through a non-convex loss the rounding can change) can differ
#' more, as it can between two starts.
#' `options(gradglm.threads = 1)` runs everything on the calling thread; a
#' value other than one whole number of 1 or more is an error. A process
#' forked from the R session (the workers of [parallel::mclapply()] or of
#' future's `multicore` plan) fits on one thread, as OpenMP's threads do not
#' survive a fork; those workers already share the cores.
#' @seealso [gradglm()]
#' @examples
#' gradglm_control(tol = 1e-10)
#' gradglm_control(epsilon = 1e-10, maxit = 100)  # glm.control()'s names
#' fit <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd",
#'                control = gradglm_control(learning_rate = 2, max_iter = 5000))
#' fit$iter
#' @export
gradglm_control <- function(tol = 1e-8, max_iter = NULL, learning_rate = 1, decay = 1e-3,
                            trace = TRUE, verbose = FALSE, rank_tol = 1e-7, ...) {
  fun <- "gradglm_control"
  extra <- list(...)
  # (glm.control()'s names for the same settings)
  given <- names(match.call())
  # (a bad value is named as the user gave it)
  label <- c(tol = "'tol'", max_iter = "'max_iter'")
  for (alias in intersect(names(extra), names(glm_aliases))) {
    own <- glm_aliases[[alias]]
    if (own %in% given) abort(fun, "give '", own, "' or glm's '", alias, "', not both")
    assign(own, extra[[alias]])
    label[[own]] <- paste0("glm's '", alias, "' ('", own, "')")
    extra[[alias]] <- NULL
  }
  if (length(extra)) {
    nm <- names(extra)
    abort(fun, "unknown setting(s) ", quote_some(if (is.null(nm)) "<unnamed>" else nm),
          "; the settings are tol, max_iter, learning_rate, decay, trace, verbose, rank_tol")
  }
  if (!is_num(tol) || tol <= 0) abort(fun, label[["tol"]], " must be a single positive number")
  check_count(max_iter, label[["max_iter"]], fun, null_ok = TRUE)
  check_rate_decay(learning_rate, decay, fun)
  if (!is.logical(trace) || length(trace) != 1L || is.na(trace)) abort(fun, "'trace' must be TRUE or FALSE")
  if (!is.logical(verbose) || length(verbose) != 1L || is.na(verbose)) {
    abort(fun, "'verbose' must be TRUE or FALSE")
  }
  if (!is_num(rank_tol) || rank_tol <= 0 || rank_tol >= 1) {
    abort(fun, "'rank_tol' must be a single number in (0, 1)")
  }
  structure(list(tol = tol, max_iter = if (is.null(max_iter)) NULL else as.integer(max_iter),
                 learning_rate = learning_rate, decay = decay, trace = trace, verbose = verbose,
                 rank_tol = rank_tol),
            class = "gradglm_control")
}

# a control given as a plain list (as glm allows) goes through the checks;
# glm.control()'s list (epsilon, maxit, trace) is taken in its own sense
as_control <- function(control, fun = "gradglm") {
  if (inherits(control, "gradglm_control")) return(control)
  if (is.list(control)) return(do.call(gradglm_control, glm_control_names(control, fun)))
  abort(fun, "'control' must be made by gradglm_control() (or stats::glm.control())")
}

# glm.control()'s names of gradglm_control()'s settings
glm_aliases <- c(epsilon = "tol", maxit = "max_iter")

# glm.control()'s settings for gradglm_control(): epsilon and maxit go as
# they are (gradglm_control() takes them as tol and max_iter, and names them
# so in its errors), and beside them trace (glm's printing of the
# iterations) is verbose
glm_control_names <- function(l, fun) {
  nm <- names(l)
  aliases <- intersect(nm, names(glm_aliases))
  if (!length(aliases)) return(l)
  for (alias in aliases) {
    own <- glm_aliases[[alias]]
    if (own %in% nm) abort(fun, "give '", own, "' or glm's '", alias, "', not both")
  }
  if (!"verbose" %in% nm) nm[nm == "trace"] <- "verbose"
  names(l) <- nm
  l
}

#' @export
print.gradglm_control <- function(x, ...) {
  cat("gradglm control settings\n")
  v <- vapply(unclass(x), function(e) if (is.null(e)) "default" else format(e), "")
  print(noquote(v))
  invisible(x)
}

# Threads for the C++ passes over the data: option "gradglm.threads" (default
# 2), never more than 2 under R CMD check's core limit.
engine_threads <- function() {
  v <- getOption("gradglm.threads", 2L)
  if (!is_count(v)) {
    shown <- if (is.null(v)) "NULL" else paste(utils::head(format(v), 3L), collapse = ", ")
    stop("gradglm: options(gradglm.threads = ) must be one whole number of threads, 1 or more; it is ",
         if (is.character(v)) paste0('"', shown, '"') else shown, call. = FALSE)
  }
  n <- as.integer(v)
  if (nzchar(Sys.getenv("_R_CHECK_LIMIT_CORES_"))) n <- min(n, 2L)
  # A forked child (mclapply(), future's multicore) inherits the parent's
  # OpenMP thread pool, which does not survive fork(): a parallel region in
  # the child waits forever for threads that are not there. It runs on its
  # own thread.
  if (!identical(Sys.getpid(), .gradglm_state$pid)) n <- 1L
  n
}
