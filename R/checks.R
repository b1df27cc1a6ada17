# Input checks shared by the user-facing functions. Every message names the
# function and the argument, as in "gradglm: 'weights' must be >= 0".

abort <- function(fun, ...) stop(paste0(fun, ": ", ...), call. = FALSE)
warn <- function(fun, ...) warning(paste0(fun, ": ", ...), call. = FALSE)

# first few elements of a character vector, quoted, for messages
quote_some <- function(x, max = 5L) {
  x <- unique(as.character(x))
  s <- paste0("'", utils::head(x, max), "'", collapse = ", ")
  if (length(x) > max) s <- paste0(s, ", ...")
  s
}

check_weights <- function(w, n, fun = "gradglm") {
  if (is.null(w)) return(rep.int(1, n))
  if (!is.numeric(w) && !is.logical(w)) {
    abort(fun, "'weights' must be a numeric vector, not ", class(w)[1L])
  }
  w <- as.numeric(w)
  if (length(w) != n) {
    abort(fun, "'weights' has length ", length(w), " but there are ", n, " observations")
  }
  if (anyNA(w)) abort(fun, "'weights' contains missing values")
  if (any(is.infinite(w))) abort(fun, "'weights' contains infinite values")
  if (any(w < 0)) abort(fun, "'weights' must be >= 0 (found ", sum(w < 0), " negative)")
  if (!any(w > 0)) abort(fun, "'weights' are all zero: there is nothing to fit")
  w
}

check_offset <- function(offset, n, fun = "gradglm") {
  if (is.null(offset)) return(rep.int(0, n))
  if (!is.numeric(offset)) abort(fun, "'offset' must be numeric, not ", class(offset)[1L])
  offset <- as.numeric(offset)
  if (length(offset) != n) {
    abort(fun, "'offset' has length ", length(offset), " but there are ", n, " observations")
  }
  if (anyNA(offset)) abort(fun, "'offset' contains missing values")
  if (any(is.infinite(offset))) abort(fun, "'offset' contains infinite values")
  offset
}

check_design <- function(x, fun = "gradglm", what = "'x'") {
  if (is.data.frame(x) || !is.matrix(x) || !(is.numeric(x) || is.logical(x))) {
    abort(fun, what, " must be a numeric matrix (use model.matrix() to build one from a data frame)")
  }
  if (nrow(x) == 0L) abort(fun, what, " has no rows: there are no observations to fit")
  if (ncol(x) == 0L) abort(fun, what, " has no columns: the model has no coefficients")
  if (!is.double(x)) storage.mode(x) <- "double"
  if (!all_finite(x)) {
    cols <- function(test) {
      bad <- vapply(seq_len(ncol(x)), function(j) any(test(x[, j])), NA)
      if (!is.null(colnames(x))) quote_some(colnames(x)[bad]) else paste(which(bad), collapse = ", ")
    }
    if (anyNA(x)) abort(fun, what, " contains missing values in column(s) ", cols(is.na),
                        "; remove or impute them first")
    abort(fun, what, " contains infinite values in column(s) ", cols(is.infinite))
  }
  x
}

# names of the design's columns (X1, X2, ... when it has none); kept apart
# from x so that naming never copies a large matrix
design_names <- function(x) {
  cn <- colnames(x)
  if (is.null(cn)) cn <- paste0("X", seq_len(ncol(x)))
  cn
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

# The response as the fit uses it, following glm's conventions:
#  binomial: 0/1, logical, a two-level factor (first level = failure),
#            proportions (with weights = trials) or cbind(successes, failures);
#  poisson:  non-negative counts; gaussian: any finite numbers.
# Returns y (numeric), the trials per row (binomial's `n` for aic) and a
# multiplier for the prior weights.
prepare_response <- function(y, family, weights, fun = "gradglm") {
  fam <- family$family
  nm <- if (is.matrix(y)) rownames(y) else names(y)
  n <- NROW(y)
  trials <- rep.int(1, n)
  if (fam == "binomial") {
    if (is.matrix(y)) {
      if (ncol(y) != 2L || !is.numeric(y)) {
        abort(fun, "a matrix response for binomial must be cbind(successes, failures) with 2 numeric columns")
      }
      check_finite_response(y, fun)
      if (any(y < 0)) abort(fun, "cbind(successes, failures) must be >= 0")
      trials <- y[, 1L] + y[, 2L]
      y <- ifelse(trials == 0, 0, y[, 1L] / trials)
      weights <- weights * trials
    } else if (is.factor(y)) {
      if (nlevels(y) > 2L) {
        abort(fun, "a factor response for binomial must have 2 levels; it has ", nlevels(y),
              " (", quote_some(levels(y)), ")")
      }
      y <- as.numeric(y != levels(y)[1L])
    } else if (is.logical(y)) {
      y <- as.numeric(y)
    } else if (is.numeric(y)) {
      y <- as.numeric(y)
      r <- check_finite_response(y, fun)
      if (r[1L] < 0 || r[2L] > 1) {
        abort(fun, "a binomial response must lie in [0, 1] (or be logical, a two-level factor ",
              "or cbind(successes, failures)); found ", sum(y < 0 | y > 1), " value(s) outside")
      }
      if (max_nonwhole(weights, y) > 1e-3) {
        warn(fun, "non-integer #successes in a binomial fit (y * weights is not a whole number)")
      }
    } else {
      abort(fun, "a binomial response must be numeric, logical, a factor or a two-column matrix")
    }
  } else {
    if (is.matrix(y) && ncol(y) != 1L) abort(fun, "the response must be a vector for family ", fam)
    if (!is.numeric(y) && !is.logical(y)) {
      abort(fun, "the response must be numeric for family ", fam, ", not ", class(y)[1L])
    }
    y <- as.numeric(y)
    r <- check_finite_response(y, fun)
    if (fam == "poisson" && r[1L] < 0) {
      abort(fun, "a poisson response must be non-negative counts; found ", sum(y < 0), " negative value(s)")
    }
  }
  names(y) <- nm
  list(y = y, trials = trials, weights = weights)
}

# range of a numeric response, after checking it has no NA and no Inf
check_finite_response <- function(y, fun) {
  r <- c(min(y), max(y))
  if (anyNA(r)) abort(fun, "the response contains missing values")
  if (any(is.infinite(r))) abort(fun, "the response contains infinite values")
  r
}
