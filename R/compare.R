# compare_optimizers(): the same model fitted by several optimizers, side by
# side -- a table of what each reached and at what cost, and their training
# curves against iterations and against time.

# optimizer names gradglm knows of (some may not be available in this build:
# those, like any name gradglm() rejects, become error rows)
.cmp_known <- c("auto", "exact", "newton", "gd", "lbfgs", "sgd", "adam")

#' Compare optimizers on the same model
#'
#' Fits one model with each of several optimizers, through [gradglm()], and
#' collects the training loss each reached, its distance to the best loss, the
#' iterations, the elapsed time and whether the fit converged. `print()` shows
#' them as a table; `plot()` draws the training curves side by side, against
#' iterations and against time.
#'
#' Each optimizer gives one fit,
#' `gradglm(formula, data = data, family = family, optimizer = <optimizer>, ...)`,
#' evaluated where `compare_optimizers()` was called (so `weights`, `subset`
#' and `offset` are found in `data` as with [gradglm()] itself; `formula`,
#' `data`, `family` and the other arguments are evaluated once), and timed
#' with [system.time()] (elapsed seconds; with `reps > 1` the fit is repeated
#' and the median time reported).
#'
#' A fit that fails does not stop the comparison: it becomes a row with `NA`
#' results and the error message in `message` (for example an optimizer that
#' does not apply to the family, such as `"exact"` for a logistic model).
#' Warnings of a fit (for example that it did not converge) are caught and
#' recorded in `message` instead of being shown.
#'
#' @param formula A model formula, as for [gradglm()].
#' @param data A data frame (or list or environment) holding the variables.
#' @param family A family, as for [gradglm()]: a name, a function or a family
#'   object.
#' @param optimizers The optimizers to compare: a character vector of names
#'   (`"exact"`, `"newton"`, `"gd"`, `"lbfgs"`, ...; see [gradglm()]), or a
#'   list whose elements are names or optimizer specifications (objects of
#'   class `"gradglm_optimizer"` made by [opt_gd()], [opt_lbfgs()],
#'   [opt_newton()], [opt_sgd()] or [opt_adam()], such as
#'   `opt_gd(learning_rate = 0.5)`). The minibatch optimizers draw from R's
#'   random number generator: call `set.seed()` first for a reproducible
#'   comparison. Their iterations are epochs. The
#'   names of the vector or list, when given, label the rows; otherwise each
#'   row is labelled by its optimizer's name, made unique when it repeats
#'   (`"gd"`, `"gd.2"`, ...).
#' @param ... Further arguments of [gradglm()], the same for every fit:
#'   `weights`, `subset`, `offset`, `sigma`, `control`, or control settings
#'   such as `max_iter = 500`.
#' @param reps Number of times each fit is run for timing, a positive whole
#'   number; the median elapsed time is reported and the last fit kept.
#'
#' @return An object of class `"gradglm_comparison"`, a list with
#' * `table`: a data frame with one row per optimizer and the columns
#'   `optimizer` (the row label), `loss` (the final training loss at the
#'   returned coefficients, from the fit's deviance or log-likelihood: the
#'   mean negative log-likelihood that every optimizer minimises), `loss_gap` (`loss` minus the smallest loss
#'   reached by any of the fits, so 0 for the best), `iterations` (the fit's
#'   `iter`), `time` (elapsed seconds), `converged` (`FALSE` for a failed fit)
#'   and `message` (the error, or the warnings joined by `"; "`, or `""`);
#' * `fits`: the fitted models, a list named by the row labels (`NULL` for a
#'   fit that failed);
#' * `traces`: their `trace` data frames, named likewise;
#' * `reps`: the number of timed runs of each fit;
#' * `call`: the matched call.
#'
#' @seealso [gradglm()], [plot.gradglm_comparison()] and, for one fit's
#'   training curve, [plot.gradglm()] with `which = "loss"`.
#' @examples
#' # a logistic regression by Newton's method, gradient descent and L-BFGS
#' cmp <- compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(),
#'                           max_iter = 2000)
#' cmp
#' cmp$table$loss_gap
#' plot(cmp)
#'
#' # settings through spec objects, rows labelled by the list's names; the
#' # "exact" optimizer does not apply to this family and becomes an error row
#' compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(),
#'                    optimizers = list(lbfgs = "lbfgs",
#'                                      gd_slow = opt_gd(learning_rate = 0.5),
#'                                      exact = "exact"),
#'                    max_iter = 500)
#' @export
compare_optimizers <- function(formula, data, family = gaussian(),
                               optimizers = c("newton", "gd", "lbfgs", "adam"), ...,
                               reps = 1) {
  fun <- "compare_optimizers"
  mc <- match.call(expand.dots = TRUE)
  if (missing(formula)) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  formula_expr <- substitute(formula)  # (the call the fits show)
  formula <- model_formula(formula, fun, parent.frame())
  if (length(formula) != 3L) {
    abort(fun, "'formula' has no response: write it as response ~ terms")
  }
  resolve_family(family, fun)  # a bad family is one clear error, not one per row
  check_count(reps, "'reps'", fun)
  reps <- as.integer(reps)
  # the expressions of `...` as the caller wrote them (match.call() would give
  # ..1, ..2 for arguments forwarded by a wrapper's own `...`)
  dots <- as.list(substitute(list(...)))[-1L]
  dot_names <- names(dots)
  if (length(dots) && (is.null(dot_names) || any(!nzchar(dot_names)))) {
    abort(fun, "the arguments in '...' are passed to gradglm() and must be named, ",
          "as in weights = w")
  }
  # the names gradglm() will give them (it matches partially)
  gg_args <- setdiff(names(formals(gradglm)), "...")
  full <- gg_args[pmatch(dot_names, gg_args, duplicates.ok = TRUE)]
  full[is.na(full)] <- dot_names[is.na(full)]
  if ("optimizer" %in% full) {
    abort(fun, "give the optimizers to compare in 'optimizers', not 'optimizer'")
  }
  # (a misspelt argument would fail every fit, one by one: say so at once)
  known <- c(gg_args, setdiff(names(formals(gradglm_control)), "..."), names(glm_aliases), "method", "singular.ok",
             "etastart", "mustart")
  unknown <- full[!full %in% known]
  if (length(unknown)) {
    abort(fun, "unknown argument(s) ", quote_some(unknown), " in '...', which go to gradglm() (the optimizers ",
          "to compare are 'optimizers')")
  }
  opts <- .cmp_optimizers(optimizers, fun)
  labels <- opts$labels
  specs <- opts$specs
  exprs <- .cmp_optimizer_exprs(substitute(optimizers), specs)

  # One call of gradglm() per optimizer, evaluated in a child of the calling
  # environment. Arguments are evaluated once, here, and bound in it (so that
  # the timing covers the fit only), except weights, subset and offset: these
  # stay expressions that the model frame evaluates in `data`, as when
  # gradglm() is called directly, unless only the caller can evaluate them.
  # The stored call of each fit shows the user's own expressions.
  env <- new.env(parent = parent.frame())
  env$.cmp_formula <- formula
  env$.cmp_family <- family
  args <- list(formula = quote(.cmp_formula))
  if (!missing(data)) {
    env$.cmp_data <- data
    args$data <- quote(.cmp_data)
  }
  args$family <- quote(.cmp_family)
  args$optimizer <- quote(.cmp_optimizer)
  for (i in seq_along(dots)) {
    if (full[i] %in% c("weights", "subset", "offset")) {
      # found in `data` or the formula's environment, as the model frame
      # looks for it: keep the expression; otherwise (an argument forwarded
      # from a function of the user's) pass the caller's value itself
      found <- .cmp_evaluates(dots[[i]], if (missing(data)) NULL else data, formula)
      if (!found) {
        val <- tryCatch(list(...elt(i)), error = function(e) NULL)
        if (!is.null(val)) {
          args[dot_names[i]] <- val
          next
        }
      }
      args[dot_names[i]] <- list(dots[[i]])
    } else {
      sym <- paste0(".cmp_dot", i)
      assign(sym, ...elt(i), envir = env)
      args[[dot_names[i]]] <- as.name(sym)
    }
  }
  fcall <- as.call(c(list(gradglm), args))
  # the call each fit keeps
  shown <- list(quote(gradglm), formula = formula_expr)
  if (!missing(data)) shown$data <- substitute(data)
  if (!missing(family)) shown$family <- substitute(family)
  shown <- c(shown, dots)

  k <- length(specs)
  fits <- stats::setNames(vector("list", k), labels)
  res <- vector("list", k)
  for (i in seq_len(k)) {
    env$.cmp_optimizer <- specs[[i]]
    r <- .cmp_run(fcall, env, reps)
    if (!is.null(r$fit)) {
      shown$optimizer <- exprs[[i]]
      r$fit$call <- as.call(shown)
      fits[i] <- list(r$fit)
    }
    res[[i]] <- r
  }

  loss <- vapply(seq_len(k), function(i) {
    if (is.null(fits[[i]])) NA_real_ else .cmp_final_loss(fits[[i]])
  }, numeric(1))
  best <- if (any(is.finite(loss))) min(loss[is.finite(loss)]) else NA_real_
  table <- data.frame(
    optimizer = labels,
    loss = loss,
    loss_gap = loss - best,
    iterations = vapply(seq_len(k), function(i) {
      it <- fits[[i]]$iter
      if (is.null(it)) NA_integer_ else as.integer(it)
    }, integer(1)),
    time = vapply(res, function(r) r$time, numeric(1)),
    converged = vapply(seq_len(k), function(i) isTRUE(fits[[i]]$converged), logical(1)),
    message = vapply(res, function(r) r$message, character(1)),
    stringsAsFactors = FALSE
  )
  traces <- lapply(fits, function(f) if (!is.null(f)) f$trace)
  names(traces) <- labels

  failed <- vapply(fits, is.null, logical(1))
  if (all(failed)) {
    warn(fun, "every fit failed; the first error: ", table$message[1L])
  }
  structure(list(table = table, fits = fits, traces = traces, reps = reps, call = mc),
            class = "gradglm_comparison")
}

# Can `expr` be evaluated as the model frame evaluates weights, subset and
# offset: in `data`, then in the formula's environment?
.cmp_evaluates <- function(expr, data, formula) {
  enclos <- environment(formula)
  if (is.null(enclos)) enclos <- parent.frame()
  where <- if (is.null(data)) enclos else data
  ok <- tryCatch({
    if (is.environment(where)) eval(expr, where) else eval(expr, where, enclos)
    TRUE
  }, error = function(e) FALSE)
  ok
}

# Check `optimizers` and return the row labels and, per row, what is passed
# to gradglm(optimizer = ): a name or a spec object.
.cmp_optimizers <- function(optimizers, fun) {
  if (inherits(optimizers, "gradglm_optimizer")) optimizers <- list(optimizers)
  if (is.null(optimizers) || length(optimizers) == 0L) {
    abort(fun, "'optimizers' is empty: give at least one optimizer, such as ",
          "c(\"newton\", \"gd\")")
  }
  what <- "an optimizer name (a string) or a spec made by opt_gd(), opt_lbfgs() or opt_newton()"
  if (is.character(optimizers)) {
    bad <- is.na(optimizers) | !nzchar(optimizers)
    if (any(bad)) {
      abort(fun, "'optimizers' contains an empty or missing name (element ",
            paste(which(bad), collapse = ", "), "); known optimizers: ",
            paste0("\"", .cmp_known, "\"", collapse = ", "))
    }
    specs <- as.list(unname(optimizers))
    opt_names <- unname(optimizers)
  } else if (is.list(optimizers)) {
    specs <- unname(optimizers)
    opt_names <- character(length(specs))
    for (i in seq_along(specs)) {
      e <- specs[[i]]
      if (inherits(e, "gradglm_optimizer")) {
        nm <- e$name
        if (!is.character(nm) || length(nm) != 1L || is.na(nm) || !nzchar(nm)) {
          abort(fun, "'optimizers' element ", i, " is a \"gradglm_optimizer\" without ",
                "a name ($name)")
        }
      } else if (is.character(e) && length(e) == 1L && !is.na(e) && nzchar(e)) {
        nm <- e
      } else {
        abort(fun, "'optimizers' element ", i, " must be ", what, ", not ",
              if (is.character(e)) paste0("a character vector of length ", length(e))
              else class(e)[1L])
      }
      opt_names[i] <- nm
    }
  } else {
    abort(fun, "'optimizers' must be a character vector of optimizer names or a list ",
          "whose elements are each ", what, "; it is ", class(optimizers)[1L])
  }
  labels <- opt_names
  given <- names(optimizers)
  if (!is.null(given)) {
    use <- !is.na(given) & nzchar(given)
    labels[use] <- given[use]
  }
  list(labels = .cmp_unique(labels), specs = specs)
}

# "gd", "gd" -> "gd", "gd.2"; anything still repeated is left to make.unique()
.cmp_unique <- function(x) {
  out <- x
  for (i in seq_along(x)) {
    k <- sum(x[seq_len(i)] == x[i])
    if (k > 1L) out[i] <- paste0(x[i], ".", k)
  }
  if (anyDuplicated(out)) out <- make.unique(out, sep = ".")
  out
}

# The expression shown as `optimizer = ` in each fit's call: a name as a
# string; a spec by the user's own expression when `optimizers` was written
# out as list(...) or c(...), otherwise by its value.
.cmp_optimizer_exprs <- function(expr, specs) {
  k <- length(specs)
  literal <- is.call(expr) && (identical(expr[[1L]], quote(list)) ||
                                 identical(expr[[1L]], quote(c))) &&
    length(expr) - 1L == k
  lapply(seq_len(k), function(i) {
    s <- specs[[i]]
    if (is.character(s)) return(s)
    if (literal) return(expr[[i + 1L]])
    s
  })
}

# Run one fit `reps` times: its elapsed time (median), the last fit, and the
# error or the warnings as one message. An error stops the repetitions.
.cmp_run <- function(fcall, env, reps) {
  warnings <- character()
  times <- numeric()
  fit <- NULL
  for (r in seq_len(reps)) {
    err <- NULL
    tm <- system.time(
      fit_r <- tryCatch(
        withCallingHandlers(
          eval(fcall, env),
          warning = function(w) {
            warnings <<- c(warnings, conditionMessage(w))
            invokeRestart("muffleWarning")
          }
        ),
        error = function(e) {
          pass_on_time_limit(e)
          err <<- conditionMessage(e)
          NULL
        }
      )
    )
    if (!is.null(err)) {
      return(list(fit = NULL, time = NA_real_, message = err))
    }
    fit <- fit_r
    times <- c(times, tm[["elapsed"]])
  }
  list(fit = fit, time = stats::median(times),
       message = paste(unique(warnings), collapse = "; "))
}

# The final training loss at the returned coefficients, from the deviance
# (twice the loss times the sum of the prior weights) or, for a
# distributional fit, the log-likelihood. (The last trace row of sgd / adam is
# a mean over the epoch's batches, not the loss at the final coefficients.)
.cmp_final_loss <- function(fit) {
  sw <- sum(fit$prior.weights)
  if (!is_glm_fit(fit)) -fit$loglik / sw else fit$deviance / (2 * sw)
}

#' Print a comparison of optimizers
#'
#' Shows the table of a [compare_optimizers()] result: for each optimizer the
#' final training loss, its gap to the best loss (in scientific notation), the
#' iterations, the elapsed time and whether the fit converged (`"failed"` for a
#' fit that stopped with an error); errors and warnings follow in full below
#' the table.
#'
#' @param x An object of class `"gradglm_comparison"`.
#' @param digits Significant digits of the loss and the time.
#' @param ... Not used; present for compatibility with the generic.
#' @return `x`, invisibly.
#' @seealso [compare_optimizers()]
#' @examples
#' cmp <- compare_optimizers(dist ~ speed, data = cars,
#'                           optimizers = c("exact", "newton", "gd"))
#' print(cmp, digits = 6)
#' @export
print.gradglm_comparison <- function(x, digits = 4L, ...) {
  tab <- x$table
  ok <- !vapply(x$fits, is.null, logical(1))
  cat("\nComparison of optimizers")
  first <- if (any(ok)) x$fits[[which(ok)[1L]]]
  if (!is.null(first)) {
    cat(": ", paste(deparse(first$formula, width.cutoff = 500L), collapse = " "),
        ", ", first$family$family, " (link: ", first$family$link, ")", sep = "")
  }
  reps <- if (is.null(x$reps)) 1L else x$reps
  cat("\nTime: elapsed seconds", if (reps > 1L) paste0(", median of ", reps, " runs"),
      "; loss_gap: loss minus the best loss\n\n", sep = "")
  num <- function(v, f) ifelse(is.na(v), "-", f(v))
  failed <- !ok
  lab <- formatC(tab$optimizer, width = -max(nchar(c(tab$optimizer, "optimizer"))))
  out <- data.frame(
    optimizer = lab,
    loss = num(tab$loss, function(v) format(signif(v, digits), digits = digits)),
    loss_gap = num(tab$loss_gap, function(v) formatC(v, format = "e", digits = 2L)),
    iterations = num(tab$iterations, function(v) format(v)),
    time = num(tab$time, function(v) format(signif(v, digits), digits = digits)),
    converged = ifelse(failed, "failed", ifelse(tab$converged, "yes", "no")),
    stringsAsFactors = FALSE
  )
  print.data.frame(out, row.names = FALSE, right = TRUE)
  # errors and warnings in full, below the table
  has_msg <- nzchar(tab$message)
  if (any(has_msg)) {
    cat("\nMessages:\n")
    width <- max(40L, getOption("width") - 4L)
    for (i in which(has_msg)) {
      txt <- strwrap(paste0(tab$optimizer[i], if (failed[i]) " (error): " else ": ",
                            sub("^gradglm: ", "", tab$message[i])), width = width,
                     exdent = 4L)
      cat(paste0("  ", txt, collapse = "\n"), "\n", sep = "")
    }
  }
  cat("\n")
  invisible(x)
}

#' Plot the training curves of compared optimizers
#'
#' Draws, with base graphics, the training curve of every fit of a
#' [compare_optimizers()] result in one panel, one line per optimizer (a
#' single point for an optimizer whose trace has one row, such as
#' `"exact"`), with a legend. Failed fits are left out.
#'
#' With `log = TRUE` the y axis shows, on a log scale, the loss minus the
#' smallest loss reached less a small margin (`1e-10` times the larger of 1
#' and the absolute smallest loss, so that the best fit's final point can be
#' drawn): the distance to the best loss, as convergence plots usually show
#' it. With `log = FALSE` it shows the loss itself, on a linear scale.
#'
#' The x axis, chosen with `which`:
#' * `"iterations"`: the iteration number of the trace;
#' * `"time"`: elapsed seconds. A trace with a `time` column (cumulative
#'   seconds) is drawn against it; otherwise the fit's measured time is spread
#'   evenly over the rows of its trace, which the axis label says
#'   ("spread evenly").
#'
#' Both are drawn by default, side by side when the device shows one plot at
#' a time.
#'
#' @param x An object of class `"gradglm_comparison"`.
#' @param which `"iterations"`, `"time"` or both (partial names, or the
#'   numbers 1 and 2).
#' @param log Logical: the distance to the best loss on a log scale (`TRUE`)
#'   or the loss on a linear scale (`FALSE`)?
#' @param ... Graphical parameters passed to the plotting call of each panel
#'   (for example `main`, `xlim`, `ylim`); `col`, `lty`, `lwd` and `pch` set
#'   the optimizers' lines and points (recycled).
#' @return `x`, invisibly.
#' @seealso [compare_optimizers()], [plot.gradglm()]; [autoplot.gradglm()] for a
#'   ggplot2 version.
#' @examples
#' cmp <- compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(),
#'                           optimizers = c("newton", "gd"), max_iter = 2000)
#' plot(cmp)
#' plot(cmp, which = "iterations", log = FALSE, main = "Training loss")
#' @export
plot.gradglm_comparison <- function(x, which = c("iterations", "time"), log = TRUE, ...) {
  fun <- "plot.gradglm_comparison"
  which <- .cmp_plot_which(which, fun)
  d <- .cmp_plot_data(x, log, fun)
  series <- d$series
  ylab <- d$ylab

  dots <- list(...)
  style <- .cmp_style(length(series), dots)
  dots[c("col", "lty", "lwd", "pch")] <- NULL

  if (length(which) > 1L && prod(graphics::par("mfrow")) == 1L) {
    old <- graphics::par(mfrow = c(1L, length(which)))
    on.exit(graphics::par(old), add = TRUE)
  }
  for (j in seq_along(which)) {
    .cmp_panel(series, which[j], log, ylab, style, dots, legend = j == 1L)
  }
  invisible(x)
}

.cmp_plot_which <- function(which, fun, several = TRUE) {
  choices <- c("iterations", "time")
  bad <- function() {
    abort(fun, "'which' must be ", if (several) "one or both of " else "one of ",
          paste0("\"", choices, "\"", collapse = ", "))
  }
  if (length(which) == 0L || anyNA(which) || (!several && length(which) != 1L)) bad()
  if (is.numeric(which)) {
    if (any(which != round(which)) || any(which < 1 | which > 2)) bad()
    return(unique(choices[which]))
  }
  if (!is.character(which)) bad()
  idx <- pmatch(which, choices, duplicates.ok = TRUE)
  if (anyNA(idx)) bad()
  unique(choices[idx])
}

# What the plot of a comparison shows, for plot() and autoplot(): the
# series of .cmp_series(), each with its y values `y` (the distance to the
# best loss, less a small margin, with `log`; the loss itself otherwise), and
# the y label. Errors, naming `fun`, for a bad `log` and when no fit has a
# trace.
.cmp_plot_data <- function(x, log, fun) {
  if (!is.logical(log) || length(log) != 1L || is.na(log)) {
    abort(fun, "'log' must be TRUE or FALSE")
  }
  series <- .cmp_series(x)
  if (!length(series)) {
    abort(fun, "there is nothing to draw: no fit succeeded with a training trace ",
          "(fit with control = gradglm_control(trace = TRUE))")
  }
  all_loss <- unlist(lapply(series, function(s) s$loss))
  best <- min(all_loss)
  margin <- 1e-10 * max(1, abs(best))
  for (i in seq_along(series)) {
    series[[i]]$y <- if (log) series[[i]]$loss - (best - margin) else series[[i]]$loss
  }
  ylab <- if (log) {
    paste0("loss - (min loss - ", format(signif(margin, 2L)), ")")
  } else {
    "loss (mean negative log-likelihood)"
  }
  list(series = series, ylab = ylab)
}

# The x label and the title of the panel `which` ("iterations" or "time").
.cmp_panel_labels <- function(series, which) {
  xlab <- if (which == "iterations") {
    "iteration"
  } else {
    spread <- vapply(series, function(s) s$spread, logical(1))
    if (all(spread)) "time (s, spread evenly)" else if (any(spread)) {
      "time (s; some spread evenly)"
    } else {
      "time (s)"
    }
  }
  list(xlab = xlab, main = if (which == "iterations") "Loss against iterations" else "Loss against time")
}

# How a series is drawn: a point alone, lines, or lines with points.
.cmp_series_type <- function(s) if (s$single) "p" else if (length(s$y) > 50L) "l" else "o"

# One series per fit with a trace: label, iterations, loss, time (and whether
# the time was spread evenly), finite losses only.
.cmp_series <- function(x) {
  out <- list()
  tab <- x$table
  for (i in seq_len(nrow(tab))) {
    tr <- x$traces[[i]]
    if (!is.data.frame(tr) || nrow(tr) == 0L || !"loss" %in% names(tr)) next
    n <- nrow(tr)
    iter <- if ("iter" %in% names(tr)) tr$iter else seq_len(n) - 1L
    measured <- "time" %in% names(tr) && all(is.finite(tr$time))
    time <- if (measured) {
      tr$time
    } else {
      total <- tab$time[i]
      if (!is.finite(total)) total <- 0
      if (n == 1L) total else total * (seq_len(n) - 1) / (n - 1)
    }
    ok <- is.finite(tr$loss)
    if (!any(ok)) next
    out[[length(out) + 1L]] <- list(label = tab$optimizer[i], iter = iter[ok],
                                    loss = tr$loss[ok], time = time[ok],
                                    spread = !measured, single = sum(ok) == 1L)
  }
  out
}

# Colours (Okabe-Ito), line types and symbols of the series; the user's
# col / lty / lwd / pch, recycled, take precedence.
.cmp_style <- function(k, dots) {
  # Okabe-Ito, with its pale yellow moved towards the end
  pal <- grDevices::palette.colors(NULL, "Okabe-Ito")[c(1:4, 6:8, 5, 9)]
  rec <- function(v) rep_len(v, k)
  list(
    col = rec(if (!is.null(dots$col)) dots$col else unname(pal)),
    lty = rec(if (!is.null(dots$lty)) dots$lty else c(1, 2, 4, 5, 6)),
    lwd = rec(if (!is.null(dots$lwd)) dots$lwd else 1.5),
    pch = rec(if (!is.null(dots$pch)) dots$pch else c(19, 17, 15, 18, 8, 4, 3))
  )
}

.cmp_panel <- function(series, which, log, ylab, style, dots, legend) {
  xs <- lapply(series, function(s) if (which == "time") s$time else s$iter)
  ys <- lapply(series, function(s) s$y)
  xlim <- range(unlist(xs))
  if (which == "time") xlim[1L] <- 0
  if (diff(xlim) == 0) xlim <- xlim + if (which == "time") c(0, 1e-3) else c(-1, 1)
  ylim <- range(unlist(ys))
  if (diff(ylim) == 0) ylim <- if (log) ylim * c(0.5, 2) else ylim + c(-1, 1)
  labs <- .cmp_panel_labels(series, which)
  .plot_call(graphics::plot, list(
    x = xlim, y = ylim, type = "n", log = if (log) "y" else "", xlim = xlim, ylim = ylim,
    xlab = labs$xlab, ylab = ylab, main = labs$main), dots)
  type <- character(length(series))
  for (i in seq_along(series)) {
    s <- series[[i]]
    type[i] <- .cmp_series_type(s)
    graphics::lines(xs[[i]], ys[[i]], type = type[i], col = style$col[i],
                    lty = style$lty[i], lwd = style$lwd[i], pch = style$pch[i],
                    cex = if (s$single) 1.3 else 0.6)
  }
  if (legend) {
    graphics::legend("topright", legend = vapply(series, function(s) s$label, ""),
                     col = style$col, lty = ifelse(type == "p", NA, style$lty),
                     lwd = style$lwd, pch = ifelse(type == "l", NA, style$pch),
                     bty = "n", cex = 0.8)
  }
  invisible(NULL)
}
