# Input checks shared by the user-facing functions. Every message names the
# function and the argument, as in "gradglm: 'weights' must be >= 0".

abort <- function(fun, ...) stop(paste0(fun, ": ", ...), call. = FALSE)
warn <- function(fun, ...) warning(paste0(fun, ": ", ...), call. = FALSE)

# one finite number
is_num <- function(v) is.numeric(v) && length(v) == 1L && !is.na(v) && is.finite(v)

# a count setting (iterations, epochs, lambdas, units ...): one whole number,
# at least 1 and within R's integer range, so that as.integer() keeps it
is_count <- function(v) is_num(v) && v >= 1 && v == round(v) && v <= .Machine$integer.max

# the error for a setting that is not is_count(); 'label' is the argument as the
# message names it ("'max_iter'"), 'unit' what it counts (" of epochs")
check_count <- function(v, label, fun, null_ok = FALSE, unit = "") {
  if ((null_ok && is.null(v)) || is_count(v)) return(invisible(TRUE))
  abort(fun, label, " must be a positive whole number", unit, " (at most ", .Machine$integer.max, ")",
        if (null_ok) " or NULL")
}

# The formula argument: a formula, or one string read as one in `env` (the
# caller's frame), as glm() reads gradglm("y ~ x").
model_formula <- function(formula, fun, env) {
  if (is.character(formula) && length(formula) == 1L && !is.na(formula)) {
    text <- formula
    formula <- tryCatch(stats::as.formula(text, env = env),
                        error = function(e) abort(fun, "'formula' \"", text, "\" is not a model formula: ",
                                                  conditionMessage(e)))
  }
  if (!inherits(formula, "formula")) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  formula
}

# first few elements of a character vector, quoted, for messages
quote_some <- function(x, max = 5L) {
  x <- unique(as.character(x))
  s <- paste0("'", utils::head(x, max), "'", collapse = ", ")
  if (length(x) > max) s <- paste0(s, ", ...")
  s
}

# as.numeric(x); a plain vector's copy is written to fresh memory asked for as
# huge pages (double_values(), src/checks.cpp), as are filled_vector()'s
as_double <- function(x) {
  if (!is.object(x) && (is.double(x) || is.integer(x) || is.logical(x))) double_values(x) else as.numeric(x)
}

# a response's values as doubles: plain integers or logicals as a double
# vector that reads them, without a copy (integer_view(), src/deferred.cpp:
# the binomial and poisson kernels read the integers; whatever asks for the
# vector's memory gets its doubles, written once), anything else as_double()
response_doubles <- function(y) {
  if (!is.object(y) && (is.integer(y) || is.logical(y))) integer_view(y) else as_double(y)
}

check_weights <- function(w, n, fun = "gradglm", all_zero = FALSE) {
  if (is.null(w)) return(unit_weights(n))
  if (!is.numeric(w) && !is.logical(w)) {
    abort(fun, "'weights' must be a numeric vector, not ", class(w)[1L])
  }
  w <- as.numeric(w)
  if (length(w) != n) {
    abort(fun, "'weights' has length ", length(w), " but there are ", n, " observations")
  }
  s <- value_summary(w)  # (one pass)
  if (s[["na"]] > 0) abort(fun, "'weights' contains missing values")
  if (s[["infinite"]] > 0) abort(fun, "'weights' contains infinite values")
  if (s[["negative"]] > 0) abort(fun, "'weights' must be >= 0 (found ", s[["negative"]], " negative)")
  if (s[["positive"]] == 0) {
    if (all_zero) return(w)
    abort(fun, "'weights' are all zero: there is nothing to fit")
  }
  rng <- c(s[["min_positive"]], s[["max_positive"]])
  if (rng[2L] > 1e150 || rng[1L] < 1e-150) {
    abort(fun, "'weights' range from ", format(rng[1L], digits = 3), " to ", format(rng[2L], digits = 3),
          ": weights beyond 1e-150 .. 1e150 overflow or underflow in the fit; rescale them")
  }
  w
}

# the offset of a fit's rows (its context, ctx in fit_core()): zeros where
# none was given
ctx_offset <- function(ctx) if (is.null(ctx$offset)) filled_vector(ctx$n, 0) else ctx$offset

# an offset of the wrong length (a matrix: one column per output) is an error
offset_length_check <- function(offset, n, fun) {
  if (NCOL(offset) > 1L && NROW(offset) == n) {
    abort(fun, "'offset' is a matrix with ", NCOL(offset), " columns; an offset is one vector, added to ",
          "the linear predictor of every response or class")
  }
  if (length(offset) != n) {
    abort(fun, "'offset' has length ", length(offset), " but there are ", n, " observations")
  }
}

# (NULL stays NULL: a fit without an offset allocates no vector of zeros;
# ctx_offset() makes one where a start needs it)
check_offset <- function(offset, n, fun = "gradglm") {
  if (is.null(offset)) return(NULL)
  if (!is.numeric(offset)) abort(fun, "'offset' must be numeric, not ", class(offset)[1L])
  offset_length_check(offset, n, fun)
  offset <- as.numeric(offset)
  s <- value_summary(offset)  # (one pass)
  if (s[["na"]] > 0) abort(fun, "'offset' contains missing values")
  if (s[["infinite"]] > 0) abort(fun, "'offset' contains infinite values")
  big <- if (n) max(-s[["min"]], s[["max"]]) else 0
  if (big > overflow_limit(n)) {
    abort(fun, "'offset' has values as large as ", format(big, digits = 3),
          ": the residuals' squares would overflow a double; rescale the model first")
  }
  offset
}

# A design's shape and type, then (with `values`) its values: no missing,
# infinite, overflowing or underflowing ones. A fit that reads every value in
# its first pass anyway checks them later (values = FALSE here, then
# check_design_values() with the ranges that pass took: see fit_core()).
# `empty_ok`: a design of no columns is a model with nothing to estimate (glm's
# y ~ 0 + offset(.)), fitted as glm.fit() fits it.
check_design <- function(x, fun = "gradglm", what = "'x'", values = TRUE, empty_ok = FALSE) {
  if (inherits(x, "gradglm_design")) {
    if (x$nrow == 0L) abort(fun, what, " has no rows: there are no observations to fit")
    if (x$ncol == 0L && !empty_ok) abort(fun, what, " has no columns: the model has no coefficients")
    if (values) check_design_values(x, fun, what)
    return(x)
  }
  if (is.data.frame(x) || !is.matrix(x) || !(is.numeric(x) || is.logical(x))) {
    abort(fun, what, " must be a numeric matrix (use model.matrix() to build one from a data frame)")
  }
  if (nrow(x) == 0L) abort(fun, what, " has no rows: there are no observations to fit")
  if (ncol(x) == 0L && !empty_ok) abort(fun, what, " has no columns: the model has no coefficients")
  if (!is.double(x)) storage.mode(x) <- "double"
  if (values) check_design_values(x, fun, what)
  x
}

# The values of a checked design (a double matrix or a gradglm_design):
# errors that name the columns with missing, infinite, overflowing or
# underflowing values. `rng`: the columns' ranges as column_ranges() gives
# them, when a pass of the fit has taken them (else they are taken here).
check_design_values <- function(x, fun, what, rng = NULL) {
  if (inherits(x, "gradglm_design")) return(check_column_design(x, fun, what, rng))
  if (is.null(rng)) rng <- column_ranges(x, engine_threads())
  if (!all(rng[1L, ] == 1)) {
    cols <- function(test) {
      bad <- vapply(seq_len(ncol(x)), function(j) any(test(x[, j])), NA)
      if (!is.null(colnames(x))) quote_some(colnames(x)[bad]) else paste(which(bad), collapse = ", ")
    }
    if (anyNA(x)) abort(fun, what, " contains missing values in column(s) ", cols(is.na),
                        "; remove or impute them first")
    abort(fun, what, " contains infinite values in column(s) ", cols(is.infinite))
  }
  check_column_scale(rng, design_names(x), fun, what, nrow(x))
  invisible(x)
}

# Columns whose values are so large (or so small) that their products
# overflow (or underflow) a double cannot be fitted as they are.
check_column_scale <- function(rng, names, fun, what, n) {
  big <- rng[2L, ] > overflow_limit(n)
  if (any(big)) {
    abort(fun, what, " has column(s) ", quote_some(names[big]), " with values as large as ",
          format(max(rng[2L, big]), digits = 3), ": their squares overflow a double; rescale them first ",
          "(divide by a power of 10)")
  }
  tiny <- rng[2L, ] > 0 & rng[2L, ] < 1e-152
  if (any(tiny)) {
    abort(fun, what, " has column(s) ", quote_some(names[tiny]), " with values no larger than ",
          format(max(rng[2L, tiny]), digits = 3), ": their squares underflow a double; rescale them first ",
          "(multiply by a power of 10)")
  }
  invisible(TRUE)
}

# the values of a design given as columns (built by gradglm() from the model frame)
check_column_design <- function(x, fun, what, rng = NULL) {
  # (all columns at once on the fit's threads where they are doubles, else one element at a time)
  if (is.null(rng)) rng <- column_list_ranges(x$columns, x$nrow, engine_threads())
  if (is.null(rng)) {
    ranges <- lapply(x$columns, function(col) if (is.null(col)) matrix(1, 2L, 1L) else column_ranges(col))
    rng <- do.call(cbind, ranges)
  }
  # (every column finite: no element to name)
  if (!isTRUE(all(rng[1L, ] == 1))) {
    widths <- vapply(x$columns, design_element_ncol, 1L)
    ends <- cumsum(widths)
    bad <- vapply(seq_along(x$columns), function(k) {
      !all(rng[1L, seq.int(ends[k] - widths[k] + 1L, length.out = widths[k])] == 1)
    }, NA)
  } else {
    bad <- FALSE
  }
  if (any(bad)) {
    idx <- unlist(lapply(which(bad), function(k) {
      col <- x$columns[[k]]
      first <- sum(vapply(x$columns[seq_len(k - 1L)], design_element_ncol, 1L))
      first + seq_len(design_element_ncol(col))
    }))
    missing <- any(vapply(x$columns[bad], anyNA, NA))
    abort(fun, what, if (missing) " contains missing values" else " contains infinite values",
          " in column(s) ", quote_some(x$names[idx]))
  }
  check_column_scale(rng, x$names, fun, what, x$nrow)
  invisible(x)
}

design_element_ncol <- function(col) if (is.null(col)) 1L else NCOL(col)

# the largest magnitude whose squares, summed over n rows, stay finite (with
# a margin of 10)
overflow_limit <- function(n) sqrt(.Machine$double.xmax / (10 * max(1, n)))

# names of the design's columns (X1, X2, ... when it has none; Xj for a
# column j named "" or NA, as cbind(1, x) names its first: the methods find
# coefficients by name); kept apart from x so that naming never copies a
# large matrix
design_names <- function(x) {
  if (inherits(x, "gradglm_design")) return(x$names)
  cn <- colnames(x)
  if (is.null(cn)) return(sprintf("X%d", seq_len(ncol(x))))  # character(0) for no column
  blank <- is.na(cn) | cn == ""
  cn[blank] <- sprintf("X%d", which(blank))
  cn
}

design_nrow <- function(x) if (inherits(x, "gradglm_design")) x$nrow else nrow(x)
design_ncol <- function(x) if (inherits(x, "gradglm_design")) x$ncol else ncol(x)

# position (1-based) of the intercept's column of ones, or 0
design_intercept <- function(x) {
  if (inherits(x, "gradglm_design")) return(if (isTRUE(x$intercept)) 1L else 0L)
  intercept_column(x)
}

# what the engine reads: a double matrix, a list of columns, or NULL (an
# intercept-only block)
engine_design <- function(x) {
  if (is.null(x)) return(NULL)
  if (inherits(x, "gradglm_design")) return(x$columns)
  x
}

# a column of ones, for a constant scale
intercept_design <- function(n) matrix(1, n, 1L, dimnames = list(NULL, "(Intercept)"))

# the design as a dense matrix (for R-side computations on small data)
design_matrix <- function(x) if (inherits(x, "gradglm_design")) as.matrix(x) else x

# A GLM's start must give finite means (as glm.fit() checks its start): the
# engine keeps an overflowing mean finite, and an optimizer could stop there
# as if at a minimum. (A mean outside the family's range gives a loss that
# is not finite, which the engine reports.)
check_start_means <- function(start, x, offset, family, fun) {
  if (is.null(x) || !is.function(family$linkinv)) return(invisible(TRUE))
  eta <- design_times(x, start[seq_len(design_ncol(x))])
  if (length(offset)) eta <- eta + offset
  mu <- suppressWarnings(family$linkinv(eta))
  if (!all(is.finite(mu))) {
    abort(fun, "'start' gives means that are not finite for the ", family$family, " family (",
          sum(!is.finite(mu)), " of ", length(mu), " rows); supply other starting values")
  }
  invisible(TRUE)
}

check_start <- function(start, p, names, fun = "gradglm") {
  if (is.null(start)) return(NULL)
  if (!is.numeric(start)) abort(fun, "'start' must be a numeric vector")
  if (length(start) != p) {
    abort(fun, "'start' has length ", length(start), " but the model has ", p,
          " coefficients (", quote_some(names, 8L), ")")
  }
  if (!all(is.finite(start))) abort(fun, "'start' must contain only finite values")
  as.numeric(start)
}

# range of a numeric response, after checking it has no NA and no Inf
check_finite_response <- function(y, fun) {
  if (!is.double(y) || !length(y)) {
    r <- c(min(y), max(y))
    if (anyNA(r)) abort(fun, "the response contains missing values")
    if (any(is.infinite(r))) abort(fun, "the response contains infinite values")
    return(r)
  }
  s <- value_summary(y)  # (one pass)
  if (s[["na"]] > 0) abort(fun, "the response contains missing values")
  if (s[["infinite"]] > 0) abort(fun, "the response contains infinite values")
  c(s[["min"]], s[["max"]])
}

# the design without column j (an ordinal model's intercept)
design_drop_column <- function(x, j) {
  if (!inherits(x, "gradglm_design")) {
    out <- x[, -j, drop = FALSE]
    attr(out, "assign") <- attr(x, "assign")[-j]
    return(out)
  }
  # the column's element: the intercept is an element of its own
  k <- 0L
  for (e in seq_along(x$columns)) {
    w <- design_element_ncol(x$columns[[e]])
    if (j <= k + w) break
    k <- k + w
  }
  if (design_element_ncol(x$columns[[e]]) != 1L) {
    # a column inside a block of several (a dense fallback design, a factor's
    # columns): drop it from the design as a matrix
    m <- as.matrix(x)
    out <- design_from_matrix(structure(m[, -j, drop = FALSE], assign = x$assign[-j],
                                        contrasts = x$contrasts))
    out$intercept <- isTRUE(x$intercept) && j != 1L
    return(out)
  }
  x$columns <- x$columns[-e]
  x$names <- x$names[-j]
  x$assign <- x$assign[-j]
  x$ncol <- x$ncol - 1L
  if (j == 1L) x$intercept <- FALSE
  x
}

# a dense matrix seen as a column design (one element)
design_from_matrix <- function(m) {
  design_new(columns = list(unname(m)), names = colnames(m), assign = attr(m, "assign"),
             contrasts = attr(m, "contrasts"), intercept = FALSE, nrow = nrow(m), rownames = rownames(m),
             fallback = "dense")
}
