# A design given as a list of columns instead of one dense model matrix.
#
# model.matrix() copies every column of the data into a fresh n x p matrix. At n = 1e6 and
# p = 50 that is 400 MB of freshly touched memory, which costs more than the fit. The C++
# engine accepts the design as a list of column blocks, so a numeric variable used as-is can
# be handed over without a copy; only transformed terms (factor codings, interactions,
# integer variables) need new memory.
#
# design_from_frame() reproduces the rules of stats::model.matrix() (its R preprocessing in
# model.matrix.default() and the column building of modelmatrix() in R's src/library/stats/
# src/model.c) and builds each term's columns itself. Whatever it does not recognise (an
# unusual factor class, a contrast that is not a plain matrix, a term naming the response, a
# contrasts.arg that is not a named list, or any error) makes it fall back to model.matrix()
# for the whole design, so the result is always the one model.matrix() gives (and its errors
# and warnings are model.matrix()'s own).
#
# The object (class "gradglm_design") is a list:
#   columns    blocks of design columns, in model.matrix() column order, each
#              NULL (the intercept, a column of ones, not materialised), a double vector of
#              length n (one column) or a double matrix n x m (m columns). A main effect is
#              one element (a factor: an n x m matrix); an interaction gives one vector per
#              column. A plain double variable of `mf` (no dim; no class but "AsIs" or
#              "numeric") that is a main effect is the very object stored in `mf` (shared,
#              not copied); so is a double matrix variable such as poly(x, 2) or cbind(a, b).
#              Numeric variables of other types or classes (integer, Date, ...) are converted
#              to plain doubles, as model.matrix() uses them.
#              After a fallback, the only element is model.matrix()'s whole matrix.
#   names      column names, as colnames(model.matrix(...))
#   assign     attr(model.matrix(...), "assign")
#   contrasts  attr(model.matrix(...), "contrasts"), NULL when there is none
#   intercept  TRUE when the first column is the intercept
#   nrow, ncol n and p
#   rownames   the row names of `mf` in its internal (possibly compact) form, used only by
#              as.matrix()
#   fallback   NULL when the columns were built here, otherwise why model.matrix() was used

#' Build a design (list of columns) from a terms object and a model frame
#'
#' @param mt terms object, `mf` a model frame made by `stats::model.frame()` and
#'   `contrasts.arg` as for `stats::model.matrix()`.
#' @return an object of class `"gradglm_design"` (see the comment at the top of the file).
#' @noRd
design_from_frame <- function(mt, mf, contrasts.arg = NULL) {
  res <- tryCatch(design_fast(mt, mf, contrasts.arg), error = function(e) {
    pass_on_time_limit(e)
    paste("error:", conditionMessage(e))
  })
  if (is.character(res)) res <- design_fallback(mt, mf, contrasts.arg, res)
  res
}

# R's time limits (setTimeLimit(), which reach compiled code through the same
# checks as Ctrl-C) arrive as errors, and R lifts a limit once it has fired:
# a handler that turns errors into a fallback passes this one on, or the
# computation would run on with no limit at all.
pass_on_time_limit <- function(e) {
  limits <- c("reached elapsed time limit", "reached CPU time limit",
              "reached session elapsed time limit", "reached session CPU time limit")
  if (any(endsWith(conditionMessage(e), c(limits, gettext(limits, domain = "R"))))) stop(e)
  invisible(FALSE)
}

# The whole design from model.matrix(), as a single matrix element.
design_fallback <- function(mt, mf, contrasts.arg, reason) {
  mm <- stats::model.matrix(mt, mf, contrasts.arg = contrasts.arg)
  assign <- attr(mm, "assign")
  nm <- colnames(mm)
  if (is.null(nm)) nm <- character(ncol(mm))
  design_new(columns = list(mm), names = nm, assign = assign,
             contrasts = attr(mm, "contrasts"),
             intercept = length(assign) > 0L && assign[1L] == 0L,
             nrow = nrow(mm), rownames = rownames(mm), fallback = reason)
}

design_new <- function(columns, names, assign, contrasts, intercept, nrow, rownames,
                       fallback = NULL) {
  structure(list(columns = columns, names = names, assign = assign, contrasts = contrasts,
                 intercept = intercept, nrow = nrow, ncol = length(names),
                 rownames = rownames, fallback = fallback),
            class = "gradglm_design")
}

# Number of design columns held by each element of `columns`.
design_ncol_elements <- function(x) {
  vapply(x$columns, function(el) if (is.null(el)) 1L else NCOL(el), 1L)
}

# The fast path. Returns the design, or a character string saying why model.matrix() must
# build it instead. Follows model.matrix.default() step by step: match the variables to the
# frame, code character/logical/factor variables and set their contrasts, then build each
# term as modelmatrix() does.
design_fast <- function(mt, mf, contrasts.arg) {
  if (!inherits(mt, "terms") || !is.data.frame(mf)) return("not a terms object and frame")
  # model.matrix() rebuilds the frame when it has no terms attribute
  if (is.null(attr(mf, "terms"))) return("the frame has no terms attribute")
  vnames <- vapply(as.list(attr(mt, "variables"))[-1L], design_deparse, "")
  idx <- match(vnames, names(mf))
  if (anyNA(idx)) return("frame and formula do not match")
  data <- lapply(idx, function(i) .subset2(mf, i))
  n <- .row_names_info(mf, 2L)
  if (n == 0L) return("no rows")
  factors <- attr(mt, "factors")
  nterms <- if (length(factors)) ncol(factors) else 0L
  # modelmatrix() takes the variables by position and their labels from the factors matrix
  if (nterms && !(is.integer(factors) && nrow(factors) == length(vnames) &&
                  is.character(rownames(factors)))) {
    return("unexpected factors attribute")
  }
  intercept <- isTRUE(as.logical(attr(mt, "intercept")))
  response <- if (isTRUE(as.logical(attr(mt, "response")))) 1L else 0L
  # a term holding the response is dropped by model.matrix() with a warning
  if (response && nterms && any(factors[1L, ] != 0L)) return("the response is in a term")

  facs <- design_factor_vars(data, response, n)
  if (is.character(facs)) return(facs)
  facs <- design_set_contrasts(facs, vnames, contrasts.arg)
  if (is.character(facs)) return(facs)
  is_f <- !vapply(facs, is.null, NA)
  contr <- if (any(is_f)) {
    stats::setNames(lapply(facs[is_f], function(f) attr(f$proxy, "contrasts")), vnames[is_f])
  }

  columns <- if (intercept) list(NULL) else list()
  names <- if (intercept) "(Intercept)" else character()
  assign <- if (intercept) 0L else integer()
  if (nterms) {
    nlevs <- vapply(facs, function(f) if (is.null(f)) 0L else f$nlevs, 1L)
    codes <- design_codes(factors, intercept, response, nlevs)
    parts <- design_parts(data, facs, codes, rownames(factors), n)
    if (is.character(parts)) return(parts)
    for (j in seq_len(nterms)) {
      term <- design_term(parts, codes[, j], n)
      if (is.character(term)) return(term)
      columns <- c(columns, term$values)
      names <- c(names, term$names)
      assign <- c(assign, rep.int(j, length(term$names)))
    }
  }
  # modelmatrix() truncates (with a warning) names longer than its 4096-byte buffer
  if (any(nchar(names, type = "bytes") > 4000L)) return("very long column names")
  # model.matrix() ignores contrasts for variables not in the model, with a warning each
  for (nn in attr(facs, "absent")) {
    warning(gettextf("variable '%s' is absent, its contrast will be ignored", nn),
            call. = FALSE, domain = NA)
  }
  design_new(columns = columns, names = names, assign = assign, contrasts = contr,
             intercept = intercept, nrow = n, rownames = .row_names_info(mf, 0L))
}

# How model.matrix() names a variable: deparse, backticks only inside calls.
design_deparse <- function(x) {
  if (is.symbol(x)) return(as.character(x))  # (what deparse() gives for a name)
  paste(deparse(x, width.cutoff = 500L, backtick = !is.symbol(x) && is.language(x)),
        collapse = " ")
}

# The variables model.matrix() treats as factors (factors, characters, logicals; not the
# response), each as list(codes, nlevs, proxy): `codes` indexes the levels (NA for missing),
# `proxy` is a zero-length factor with the variable's levels, class and "contrasts" attribute,
# on which the contrasts are set and evaluated exactly as model.matrix() does on the data
# (contrasts depend only on the levels and that attribute), without touching n values.
# NULL for the other variables; a string when a variable is not understood.
design_factor_vars <- function(data, response, n) {
  out <- vector("list", length(data))
  for (i in seq_along(data)) {
    if (i == response) next
    x <- data[[i]]
    if (!(is.character(x) || is.factor(x) || is.logical(x))) next
    if (!is.null(dim(x)) || length(x) != n) return("a factor-like variable of unusual shape")
    if (is.character(x)) x <- factor(x)
    if (is.logical(x)) {
      if (is.object(x) && !identical(oldClass(x), "AsIs")) return("an unusual logical class")
      codes <- as.integer(x) + 1L
      proxy <- factor(logical(), levels = c(FALSE, TRUE))
    } else {
      cl <- oldClass(x)
      if (!(identical(cl, "factor") || identical(cl, c("ordered", "factor"))) ||
          typeof(x) != "integer") {
        return("an unusual factor class")
      }
      codes <- x
      proxy <- structure(integer(), levels = levels(x), class = cl)
      attr(proxy, "contrasts") <- attr(x, "contrasts")
    }
    out[i] <- list(list(codes = codes, nlevs = length(levels(proxy)), proxy = proxy))
  }
  out
}

# Sets the contrasts as model.matrix.default() does: the default from options("contrasts")
# where the variable has none, then `contrasts.arg` in its order.
design_set_contrasts <- function(facs, vnames, contrasts.arg) {
  funs <- as.character(getOption("contrasts"))
  for (i in which(!vapply(facs, is.null, NA))) {
    p <- facs[[i]]$proxy
    if (is.null(attr(p, "contrasts"))) stats::contrasts(p) <- funs[1L + is.ordered(p)]
    facs[[i]]$proxy <- p
  }
  if (is.null(contrasts.arg)) return(facs)
  # model.matrix() warns about (or rejects) these; let it do so
  if (!is.list(contrasts.arg)) return("contrasts.arg is not a list")
  if (is.null(names(contrasts.arg))) return("contrasts.arg has no names")
  absent <- character()
  for (nn in names(contrasts.arg)) {
    i <- match(nn, vnames)
    if (is.na(i)) {
      absent <- c(absent, nn)
      next
    }
    if (is.null(facs[[i]])) return("contrasts.arg names a variable that is not a factor")
    p <- facs[[i]]$proxy
    ca <- contrasts.arg[[nn]]
    if (is.matrix(ca)) stats::contrasts(p, ncol(ca)) <- ca else stats::contrasts(p) <- ca
    facs[[i]]$proxy <- p
  }
  attr(facs, "absent") <- absent
  facs
}

# The factor pattern matrix with modelmatrix()'s no-intercept rule: the first factor (in
# variable order) of the first term (in term order) that has one is coded by indicators for
# all its levels (code 2) instead of contrasts.
design_codes <- function(factors, intercept, response, nlevs) {
  codes <- factors
  if (intercept) return(codes)
  rows <- seq_len(nrow(codes))
  if (response) rows <- rows[-1L]
  for (j in seq_len(ncol(codes))) {
    hit <- rows[nlevs[rows] > 1L & codes[rows, j] > 0L]
    if (length(hit)) {
      codes[hit[1L], j] <- 2L
      break
    }
  }
  codes
}

# Everything a term needs to know about each variable it uses, as list(m, labels, value) for
# numeric variables (`value` a double vector or n x m matrix) and list(m, labels, codes, cm)
# for factors (`cm` the contrast (code 1) or indicator (code 2) matrix, unnamed), indexed by
# variable and code: parts[[i]][[code]]. NULL for unused variables/codes.
design_parts <- function(data, facs, codes, vnames, n) {
  parts <- vector("list", length(data))
  for (i in seq_along(data)) {
    used <- codes[i, ]
    if (!any(used != 0L)) next
    if (is.null(facs[[i]])) {
      p <- design_numeric_part(data[[i]], vnames[i], n)
      if (is.character(p)) return(p)
      parts[[i]] <- list(p, p)
    } else {
      parts[[i]] <- list(NULL, NULL)
      for (code in 1:2) {
        if (!any(used == code)) next
        p <- design_factor_part(facs[[i]], code == 1L, vnames[i])
        if (is.character(p)) return(p)
        parts[[i]][[code]] <- p
      }
    }
  }
  parts
}

# Classes of double data handed to the engine as they are (shared with the frame): no
# arithmetic or subsetting methods that would make them misbehave as plain numbers.
design_share_classes <- c("AsIs", "numeric", "matrix", "array", "poly", "basis", "ns", "bs")

# A numeric variable: a vector (one column, named like the variable) or an n x m matrix
# (columns named variable + column name, or variable + 1..m). modelmatrix() uses the raw
# values (coerced to double) whatever the class, so other classes are copied without it.
design_numeric_part <- function(x, name, n) {
  if (!(is.double(x) || is.integer(x)) || is.factor(x)) return("a variable of unusual type")
  d <- dim(x)
  share <- is.double(x) && all(oldClass(x) %in% design_share_classes)
  if (is.null(d)) {
    if (length(x) != n) return("a variable of the wrong length")
    value <- if (share) x else as.double(unclass(x))
    return(list(m = 1L, labels = name, value = value))
  }
  if (length(d) != 2L || d[1L] != n) return("an array variable")
  m <- d[2L]
  if (m == 0L) return("a variable with no columns")
  value <- if (share) x else array(as.double(unclass(x)), d)
  cn <- dimnames(x)[[2L]]
  labels <- if (m == 1L) name else paste0(name, if (is.null(cn)) seq_len(m) else cn)
  list(m = m, labels = labels, value = value)
}

# A factor coded by its contrasts (`contrasts` TRUE) or by indicators of all its levels.
design_factor_part <- function(f, contrasts, name) {
  cm <- design_contrasts(f$proxy, contrasts)
  if (!is.matrix(cm) || !(is.numeric(cm) || is.logical(cm)) || is.object(cm) ||
      nrow(cm) < f$nlevs) {
    return("a contrast that is not a plain matrix")
  }
  m <- ncol(cm)
  if (m == 0L) return("a contrast with no columns")
  cn <- dimnames(cm)[[2L]]
  labels <- paste0(name, if (is.null(cn)) seq_len(m) else cn)
  cm <- matrix(as.double(cm), nrow(cm), m)
  list(m = m, labels = labels, codes = f$codes, cm = cm)
}

# contrasts(x, contrasts) evaluated as modelmatrix() does it, from a frame whose parent is the
# stats namespace, so a contrast given by name is found where model.matrix() finds it.
design_contrasts <- function(proxy, contrasts) {
  env <- new.env(parent = asNamespace("stats"))
  eval(call("contrasts", proxy, contrasts), env)
}

# One term: its elements of `columns` and its column names. A single numeric variable is
# passed on as it is (one element); a single factor is one row-indexing of its contrast matrix
# (one n x m matrix). An interaction gives one vector per column, each the row-wise product
# of its variables' columns, the first variable varying fastest: built column by column, it
# needs no n x k block to be filled in and no temporaries beyond a column or two.
design_term <- function(parts, codes_j, n) {
  vars <- which(codes_j != 0L)
  tparts <- lapply(vars, function(i) parts[[i]][[codes_j[i]]])
  k <- prod(vapply(tparts, function(p) as.double(p$m), 1))
  if (k > .Machine$integer.max) return("a term with too many columns")
  labels <- NULL
  for (p in tparts) {
    labels <- if (is.null(labels)) p$labels else {
      paste(rep.int(labels, p$m), rep(p$labels, each = length(labels)), sep = ":")
    }
  }
  if (length(tparts) == 1L) {
    p <- tparts[[1L]]
    value <- if (is.null(p$codes)) p$value else p$cm[p$codes, , drop = FALSE]
    return(list(values = list(value), names = labels))
  }
  values <- lapply(seq_len(k) - 1L, function(index) {
    col <- design_term_column(tparts, index)
    attributes(col) <- NULL  # a fresh product: drop names or classes it carried over
    col
  })
  list(values = values, names = labels)
}

# Column `index` (0-based) of an interaction: variable t's column is digit t of `index` in the
# mixed radix of the variables' column counts. The product is accumulated as in modelmatrix()'s
# loops: new variable (left) times what came before, two vectors of length n, so that when
# both values are missing the result is NA or NaN just as there. (R's recycling arithmetic,
# vector times matrix, may keep the other operand's NaN payload, so it is not used.)
design_term_column <- function(tparts, index) {
  acc <- NULL
  for (p in tparts) {
    s <- index %% p$m + 1L
    index <- index %/% p$m
    v <- if (!is.null(p$codes)) {
      p$cm[p$codes, s]
    } else if (is.matrix(p$value)) {
      p$value[, s]
    } else {
      p$value
    }
    acc <- if (is.null(acc)) v else v * acc
  }
  acc
}

# Row names as model.matrix() gives them, from the frame's internal row.names attribute.
design_row_names <- function(rn) {
  if (is.integer(rn) && length(rn) == 2L && is.na(rn[1L])) rn <- seq_len(abs(rn[2L]))
  as.character(rn)
}

# The design times a coefficient vector, column by column (no dense copy)
design_times <- function(x, b) {
  if (!inherits(x, "gradglm_design")) return(drop(x %*% b))
  if (!is.null(x$fallback)) return(drop(x$columns[[1L]] %*% b))
  eta <- numeric(x$nrow)
  j <- 0L
  for (el in x$columns) {
    k <- if (is.null(el)) 1L else NCOL(el)
    bj <- b[j + seq_len(k)]
    if (is.null(el)) {
      eta <- eta + bj
    } else if (is.matrix(el)) {
      eta <- eta + drop(el %*% bj)
    } else {
      eta <- eta + el * bj
    }
    j <- j + k
  }
  eta
}

#' The design as the dense matrix model.matrix() would give
#'
#' Values, dimnames and the "assign" and "contrasts" attributes are those of
#' `stats::model.matrix(mt, mf, contrasts.arg)`.
#' @param x a `"gradglm_design"`.
#' @param ... unused.
#' @exportS3Method base::as.matrix
#' @noRd
as.matrix.gradglm_design <- function(x, ...) {
  if (!is.null(x$fallback)) return(x$columns[[1L]])
  n <- x$nrow
  out <- matrix(0, n, x$ncol)
  j <- 0L
  for (el in x$columns) {
    if (is.null(el)) {
      out[, j + 1L] <- 1
      j <- j + 1L
    } else if (is.matrix(el)) {
      k <- ncol(el)
      out[, j + seq_len(k)] <- el
      j <- j + k
    } else {
      out[, j + 1L] <- el
      j <- j + 1L
    }
  }
  dimnames(out) <- list(design_row_names(x$rownames), x$names)
  attr(out, "assign") <- x$assign
  if (!is.null(x$contrasts)) attr(out, "contrasts") <- x$contrasts
  out
}
