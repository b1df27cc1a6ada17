# Fits from data read in chunks: gradglm(formula, data = gradglm_source(...)).
# The model is the one gradglm() builds in memory; its objective is a sum over
# chunks (src/chunked_objective.h), so exact optimizers need only passes over
# the rows. The fitted object is the one class, without the parts that are a
# vector per row (residuals, fitted values: see source_rows_message()).

# A model over a chunked source, as the engine's chunked objective reads it:
# open() starts a pass, next_spec() returns the model spec of the next chunk
# (the designs, response, weights and offsets of its rows, built from the
# terms and factor levels of the whole data) or NULL after the last, close()
# ends a pass early. `weights`, `offset` and `subset` are expressions (or a
# column's name for weights), evaluated in each chunk as model.frame() does
# in memory. set_null(TRUE) turns it into the null model (intercepts only);
# collect(sums, at_end) adds each chunk of the next pass to chunk_sums()
# `sums`, and calls at_end() (when given) at the end of that pass.
source_model <- function(source, formula, family = stats::gaussian(), weights = NULL, sigma = NULL,
                         offset = NULL, subset = NULL, na_fun = stats::na.omit, contrasts = NULL,
                         env = parent.frame(), schema = NULL, fun = "gradglm", first_chunk = NULL) {
  fam <- resolve_family(family, fun)
  vars <- model_variables(formula, sigma, weights, offset, subset)
  source <- source_for_columns(source, vars)  # (a table: only the model's columns are read)
  reads <- 0L  # the passes that read the source
  rows_read <- 0  # the rows read from the source, over all passes
  table_rows <- 0  # the rows of the source (counted by the first pass)
  it <- NULL
  pending <- NULL  # the read of the first chunk, which the first pass goes on with
  close <- function() {
    if (!is.null(it)) it$close()
    if (!is.null(pending)) pending$close()
    pending <<- NULL
  }
  # the first chunk tells whether the first pass over all rows is needed: only
  # for factor, character or logical columns (their levels)
  # (given with the schema: the first chunk, read before)
  chunk1 <- if (!is.null(schema)) first_chunk
  scanned_rows <- NA  # the rows of this fit's own scan of the source (its first pass), if it made one
  built <- FALSE
  on.exit(if (!built) close(), add = TRUE)  # (an error below leaves nothing open)
  if (is.null(schema)) {
    peek <- source_open(source, "1st", fun)
    chunk1 <- tryCatch(peek$next_chunk(), error = function(e) {
      peek$close()
      stop(e)
    })
    if (is.null(chunk1)) abort(fun, "the source returned no rows")
    schema <- first_chunk_schema(chunk1, source, vars)
    if (is.null(schema)) {
      peek$close()
      # (the levels of the rows the model frames keep: as model.frame() drops
      # the levels that the subset or the na.action leave unused)
      schema <- scan_source(source, scan_columns(chunk1, vars),
                            frame_rows_of(formula, sigma, weights, offset, subset, na_fun, env), fun)
      scanned_rows <- schema$n
      reads <- 1L
      rows_read <- schema$n
    } else {
      pending <- peek
    }
  }
  if (is.character(weights)) {
    if (length(weights) != 1L || !weights %in% schema$columns) {
      abort(fun, "'weights' of a chunked source must be an expression in its columns or name one of them")
    }
    weights <- as.name(weights)
  }
  proto <- schema_frame(schema)
  mt <- tryCatch(stats::terms(formula, data = proto), error = function(e) model_frame_error(e, fun))
  # (an ordinal model's cut-points take the intercept's place, as in memory)
  mt <- assume_intercept(mt, fam, fun)
  # the model's variables come from the source's columns (not from the formula's environment)
  # (an ordered response: a column whose levels the source orders, see source_ordered_response())
  ordered_y <- if (isTRUE(fam$row$ordered_response)) source_ordered_response(formula, schema, fam$family, fun)
  check_chunkwise_terms(mt, fun)
  if (!is.null(sigma)) check_chunkwise_terms(stats::terms(sigma, data = proto), fun)
  absent <- setdiff(c(all.vars(mt), if (!is.null(sigma)) all.vars(sigma)), schema$columns)
  if (length(absent)) abort(fun, "the formula uses ", quote_some(absent), ", not among the source's columns")
  # a factor predictor needs two levels among the source's rows, as in memory (check_factor_levels())
  response <- if (attr(mt, "response") > 0L) all.vars(formula[[2L]]) else character(0)
  for (v in setdiff(intersect(c(all.vars(mt), if (!is.null(sigma)) all.vars(sigma)), names(schema$levels)),
                    response)) {
    if (length(schema$levels[[v]]) < 2L) {
      abort(fun, "factor '", v, "' has a single level (", quote_some(schema$levels[[v]]),
            ") among the source's rows; a factor needs at least two levels")
    }
  }
  if (!is.null(sigma) && fam$row$sigma == "no") {
    abort(fun, "family '", fam$family$family, "' has no scale parameter: a 'sigma' model is for ",
          paste(sigma_families(), collapse = ", "))
  }
  # one frame for both models (as gradglm() builds it), each model's terms taken from it
  frame_terms <- if (is.null(sigma)) mt else joint_formula(mt, sigma)
  mt_sigma <- if (!is.null(sigma)) stats::terms(sigma, data = proto)
  intercept <- attr(mt, "intercept") > 0L
  evaluate <- function(expr, fr, what, k) {
    tryCatch(eval(expr, fr, env), error = function(e) {
      abort(fun, "evaluating '", what, "' in chunk ", k, " failed: ", conditionMessage(e))
    })
  }
  parts_of <- function(chunk, k) {
    fr <- source_frame(chunk, schema, k, fun)
    if (!is.null(ordered_y)) class(fr[[ordered_y]]) <- c("ordered", "factor")
    # (the na.action runs only when something is missing: na.omit copies the frame)
    mf <- chunk_frame(frame_terms, fr, weights, offset, subset, function(expr, what) evaluate(expr, fr, what, k),
                      fun, k)
    mf <- tryCatch(apply_na_action(mf, na_fun),
                   error = function(e) abort(fun, "the model frame of chunk ", k, ": ", conditionMessage(e)))
    if (!nrow(mf)) return(NULL)
    mt_all <- attr(mf, "terms")
    # (the checks of gradglm()'s model matrices: missing, infinite and overflowing values)
    X <- check_design(design_from_frame(if (is.null(sigma)) mt_all else terms_from_joint(mt, mt_all), mf, contrasts),
                      fun, what = paste0("the model matrix (chunk ", k, ")"))
    Z <- if (!is.null(sigma)) {
      check_design(design_from_frame(terms_from_joint(mt_sigma, mt_all), mf,
                                     contrasts[names(contrasts) %in% all.vars(sigma)]),
                   fun, what = paste0("the sigma model matrix (chunk ", k, ")"))
    } else if (fam$row$sigma == "always") {
      intercept_design(nrow(mf))
    }
    y <- stats::model.response(mf, "any")
    if (is.matrix(y)) rownames(y) <- NULL else names(y) <- NULL  # (row names are no use here)
    w <- check_weights(stats::model.weights(mf), nrow(mf), fun, all_zero = TRUE)
    # a class response keeps every class of the whole data, also those absent from this chunk
    # (an invalid response is named with its chunk)
    resp <- tryCatch(if (isTRUE(fam$row$keeps_classes)) {
      fam$row$response(y, fam$family, w, fun, keep_empty = TRUE)
    } else {
      fam$row$response(y, fam$family, w, fun)
    }, error = function(e) {
      pass_on_time_limit(e)
      abort(fun, bare_message(e, fun), " (chunk ", k, ")")
    })
    model <- fam$row$model(fam$family, resp, X, Z, fun)
    list(resp = resp, model = model, offset = stats::model.offset(mf), n = nrow(mf), k = k,
         contrasts = X$contrasts, sigma_contrasts = Z$contrasts)
  }
  null <- FALSE
  keep <- NULL  # the columns of each block kept (after aliased ones are dropped)
  design_of <- function(parts, i) {
    d <- parts$model$blocks[[i]]$design
    if (is.null(keep) || is.null(d) || length(keep[[i]]) == design_ncol(d)) return(engine_design(d))
    design_matrix(d)[, keep[[i]], drop = FALSE]
  }
  # the model of each chunk's parts; set_family() replaces it for later passes
  remodel <- NULL
  spec_of <- function(parts) {
    model <- if (is.null(remodel)) parts$model else remodel(parts)
    designs <- lapply(seq_along(model$blocks), function(i) {
      # the null model: intercepts only; without an intercept the mean is the offset's (a zero column)
      if (!null) design_of(parts, i) else if (i == 1L && !intercept) matrix(0, parts$n, 1L)
    })
    model_spec(model, parts$resp, parts$offset, designs)
  }
  passes <- 0L
  collector <- NULL
  collected <- NULL  # (called at the end of the pass that collects)
  # The cache: the parts of the chunks of the first pass, the last ones that
  # fit in `source$cache` megabytes in memory and those before them in a
  # file in `source$cache_dir` (disk_cache()), so that later passes read
  # none of them from the source. Without the file (cache_dir NULL, or when
  # writing it fails) later passes read the chunks before those in memory.
  budget <- if (is.null(source$cache)) 0 else source$cache * 2^20
  cache <- list()
  cache_bytes <- numeric(0)  # (in memory; 0 for those on disk)
  on_disk <- logical(0)
  disk <- NULL
  disk_dir <- source$cache_dir
  if (identical(disk_dir, "")) disk_dir <- tempdir()
  # the cached chunk i written to the disk cache; FALSE when that fails: the
  # chunks on disk are then forgotten, and the cache keeps the last chunks
  to_disk <- function(i) {
    # (the failure is reported after the tryCatch: a warning given in its
    # error handler would be caught by its own warning handler)
    why <- tryCatch({
      if (is.null(disk)) disk <<- disk_cache(disk_dir)
      cache[[i]] <<- disk$put(cache[[i]], cache[[i]]$n)
      NULL
    }, error = function(e) {
      pass_on_time_limit(e)
      e
    }, warning = identity)
    if (is.null(why)) {
      on_disk[i] <<- TRUE
      cache_bytes[i] <<- 0
      return(TRUE)
    }
    warn(fun, "writing chunks to the disk cache in ", disk_dir, " failed (", conditionMessage(why), "): ",
         "the chunks that do not fit in the memory cache are read from the source again on every pass")
    disk_dir <<- NULL
    drop_disk()
    FALSE
  }
  drop_disk <- function() {
    if (any(on_disk)) dropped_upto <<- max(dropped_upto, vapply(cache[on_disk], function(p) as.numeric(p$k), 0))
    if (!is.null(disk)) disk$remove()
    disk <<- NULL
    cache <<- cache[!on_disk]
    cache_bytes <<- cache_bytes[!on_disk]
    on_disk <<- on_disk[!on_disk]
  }
  cache_from <- Inf   # the source's index of the first cached chunk
  dropped_upto <- 0   # the last chunk dropped from the cache (those after it are cached, or empty)
  filling <- FALSE    # this pass fills the cache
  served <- 0L        # cached chunks served in this pass
  gc_room <- 0        # the bytes R's collector was told to make room for (gc_make_room())
  tick <- function(k) NULL  # the progress bar's, see set_progress()
  # the next chunk read from the source (its parts), or NULL at the end of
  # those not cached
  first_rows <- integer(0)  # the rows of each chunk in the first pass (a source that changes is an error)
  first_end <- NA           # the index at which the first pass ended (empty chunks count in it)
  source_changed <- function(what) {
    abort(fun, "the source changed during the fit (pass ", passes, "): ", what, "; a chunked fit reads the ",
          "same rows on every pass, so the data must not change while it runs")
  }
  read_parts <- function() {
    # (a chunk whose rows the subset or the na.action removes entirely is passed over)
    repeat {
      if (!filling && it$index() >= cache_from - 1) return(NULL)
      chunk <- it$next_chunk()
      if (is.null(chunk) && passes == 1L) {
        first_end <<- it$index()
        if (!is.na(scanned_rows) && table_rows != scanned_rows) {
          source_changed(paste0("it has ", table_rows, " rows, where the scan of its columns read ", scanned_rows))
        }
      } else if (is.null(chunk) && !identical(it$index(), first_end)) {
        source_changed(paste0("it ended after ", it$index(), " chunks, where the first pass read ", first_end))
      }
      if (is.null(chunk)) {
        if (filling) {
          filling <<- FALSE
          # (chunks whose rows the subset or na.action removes are cached as nothing)
          cache_from <<- dropped_upto + 1
        }
        return(NULL)
      }
      tick(it$index())
      rows_read <<- rows_read + nrow(chunk)
      if (passes == 1L) {
        table_rows <<- table_rows + nrow(chunk)
        first_rows[it$index()] <<- nrow(chunk)
      } else if (!is.na(first_end) && it$index() > first_end) {
        source_changed(paste0("it has more chunks than the ", first_end, " of the first pass"))
      } else if (!identical(first_rows[it$index()], nrow(chunk))) {
        source_changed(paste0("its chunk ", it$index(), " has ", nrow(chunk), " rows, where the first pass read ",
                              first_rows[it$index()]))
      }
      parts <- parts_of(chunk, it$index())
      if (is.null(parts)) next
      if (filling) {
        spec <- spec_of(parts)
        size <- sum(vapply(c(spec$designs, list(spec$y, spec$weights), spec$offsets),
                           function(v) as.numeric(utils::object.size(v)), 0))
        cache[[length(cache) + 1L]] <<- parts
        cache_bytes[length(cache)] <<- size
        on_disk[length(cache)] <<- FALSE
        # (R's collector told ahead that the cache will grow: room for twice
        # what it holds with the next chunk to be read, up to its budget and
        # a chunk, once that passes 16 MB, so that it does not collect at
        # every fifth's growth of the heap)
        held <- sum(cache_bytes) + size
        if (held > max(gc_room, 2^24) && gc_room < budget + size) {
          gc_room <<- min(budget + size, max(2 * held, 2^25))
          gc_make_room(gc_room)
        }
        # the first chunks in memory go to the disk cache, or are dropped
        # (the cache keeps the last chunks)
        while (sum(cache_bytes) > budget) {
          if (!is.null(disk_dir) && to_disk(which(!on_disk)[1L])) next
          dropped_upto <<- max(dropped_upto, as.numeric(cache[[1L]]$k))
          cache[[1L]] <<- NULL
          cache_bytes <<- cache_bytes[-1L]
          on_disk <<- on_disk[-1L]
        }
      }
      return(parts)
    }
  }
  served_from_cache <- function(j) {
    force(j)
    served <<- served + 1L
    tick(cache[[j]]$k)
    if (!on_disk[j]) return(cache[[j]])
    tryCatch(disk$get(cache[[j]]), error = function(e) {
      pass_on_time_limit(e)
      abort(fun, "reading chunk ", cache[[j]]$k, " from the disk cache (pass ", passes, ") failed: ",
            conditionMessage(e))
    })
  }
  # an epoch's order (see open()): 0 for the next chunk read from the
  # source, j for the cached chunk j; NULL for a pass in the source's order
  order <- NULL
  next_parts <- function() {
    if (!is.null(order)) {
      while (length(order)) {
        j <- order[1L]
        order <<- order[-1L]
        if (j > 0L) return(served_from_cache(j))
        parts <- read_parts()
        if (!is.null(parts)) return(parts)
      }
      return(NULL)
    }
    was_filling <- filling  # (the end of the first pass ends the filling)
    parts <- read_parts()
    if (!is.null(parts) || was_filling) return(parts)
    if (served >= length(cache)) return(NULL)
    served_from_cache(served + 1L)
  }
  # A pass: in the source's order, or (`shuffle`, an epoch of sgd / adam
  # after the first pass) in a random order as far as the source allows: the
  # chunks read from the source come in its order, each at a random place
  # among the cached chunks, which come in a random order.
  open <- function(shuffle = FALSE) {
    close()
    passes <<- passes + 1L
    filling <<- passes == 1L && budget > 0
    served <<- 0L
    order <<- NULL
    if (shuffle && !filling && is.finite(cache_from)) {
      tokens <- c(rep(0L, cache_from - 1), sample.int(length(cache)))
      order <<- tokens[sample.int(length(tokens))]
    }
    if (!filling && cache_from <= 1) {
      it <<- list(next_chunk = function() NULL, close = function() NULL, index = function() 0L)
    } else if (!is.null(pending)) {
      # the first pass goes on from the read of the first chunk
      reads <<- reads + 1L
      first_read <- pending
      pending <<- NULL
      served_first <- FALSE
      it <<- list(next_chunk = function() {
        if (served_first) return(first_read$next_chunk())
        served_first <<- TRUE
        chunk1
      }, close = first_read$close, index = first_read$index)
    } else {
      reads <<- reads + 1L
      it <<- source_open(source, nth(reads), fun)
    }
    invisible(NULL)
  }
  next_spec <- function() {
    parts <- next_parts()
    if (is.null(parts)) {
      end <- collected
      collector <<- NULL
      collected <<- NULL
      if (!is.null(end)) end()
      return(NULL)
    }
    if (!is.null(collector)) collector(parts)
    spec_of(parts)
  }
  each_parts <- function(f) {
    open()
    on.exit(close(), add = TRUE)
    while (!is.null(parts <- next_parts())) f(parts)
    invisible(NULL)
  }
  # the parts of the first chunk with rows (from the first chunk read
  # above; a pass that stops at the first chunk with rows when the
  # subset or na.action empties that one)
  first_memo <- NULL
  first_parts <- function() {
    if (!is.null(first_memo)) return(first_memo)
    parts <- if (!is.null(chunk1)) parts_of(chunk1, 1L)
    if (!is.null(parts)) return(first_memo <<- parts)
    if (!is.null(pending)) pending$close()  # (one query at a time)
    pending <<- NULL
    pk <- source_open(source, "first", fun)
    on.exit(pk$close(), add = TRUE)
    while (!is.null(chunk <- pk$next_chunk())) {
      rows_read <<- rows_read + nrow(chunk)
      parts <- parts_of(chunk, pk$index())
      if (!is.null(parts)) return(first_memo <<- parts)
    }
    abort(fun, "no observations are left after 'subset' and 'na.action' (missing values?)")
  }
  built <- TRUE
  # a chunk's model matrix of block i (the mean's by default), without the aliased columns
  dense <- function(parts, i = 1L) {
    X <- design_matrix(parts$model$blocks[[i]]$design)
    if (is.null(keep)) X else X[, keep[[i]], drop = FALSE]
  }
  list(schema = schema, terms = mt, sigma_terms = mt_sigma, family = fam$family, row = fam$row,
       intercept = intercept, open = open, close = close, next_spec = next_spec,
       # the fit by passes, and one pass at theta
       run = function(start, ctl, name, cov) {
         if (!name %in% c("sgd", "adam")) return(fit_chunked(open, next_spec, start, ctl, name, cov))
         fit_chunked(open, next_spec, start, ctl, name, cov, first = spec_of(first_parts()),
                     open_epoch = function() open(shuffle = TRUE))
       },
       pass_at = function(theta, curvature, threads = 1L) chunked_pass(open, next_spec, theta, curvature, threads),
       binomial_aic = function(coef, any_trials) binomial_aic_pass(each_parts, dense, fam$family, coef, any_trials),
       fitted_sums = function(coef, info) fitted_sums_pass(each_parts, dense, fam$family, fam$row, coef, info),
       edge_sums = function(coef) edge_sums_pass(each_parts, dense, fam$family, fam$row, coef),
       set_keep = function(value) keep <<- value,
       # later passes with another family of the same row (the negative
       # binomial at its estimated theta: the GLM at that theta)
       set_family = function(family) {
         fam <<- resolve_family(family, fun)
         remodel <<- function(parts) {
           fam$row$model(fam$family, parts$resp, parts$model$blocks[[1L]]$design, NULL, fun)
         }
       },
       first_parts = first_parts,
       spec_of = spec_of,
       # the sums of the next pass (chunk_sums())
       collect = function(sums, at_end = NULL) {
         collector <<- sums$add
         collected <<- at_end
       },
       set_null = function(value) null <<- value,
       set_progress = function(f) tick <<- function(k) f(sprintf("pass %d, chunk %d", passes, k)),
       passes = function() passes,
       # the reads of the source: the rows read over the rows of the source
       reads = function() rows_read / table_rows,
       cached = function() length(cache),
       # the rows read from the source, and its rows (NA before a pass)
       rows_read = function() rows_read,
       table_rows = function() if (passes >= 1L && !filling) table_rows else NA_real_,
       # every chunk is in the cache: later passes read nothing from the source
       complete = function() passes >= 1L && !filling && cache_from <= 1,
       # the disk cache's file closed until it is read again
       suspend = function() if (!is.null(disk)) disk$suspend(),
       # the chunks kept on disk and the bytes written there
       on_disk = function() c(chunks = sum(on_disk), bytes = if (is.null(disk)) 0 else disk$bytes()),
       # the end of the fit: the cache is given up (its file deleted)
       release = function() {
         close()
         drop_disk()
         cache <<- list()
         cache_bytes <<- numeric(0)
         on_disk <<- logical(0)
       })
}

# The column of the response of a family whose response is an ordered
# factor (a registry row's ordered_response: ordinal()) over a chunked
# source: each chunk's frame gives it as an ordered factor in the order of
# the source's levels (the schema's `order`: the source's `levels`, or
# ordered factors in every chunk). Else an error that says how to give the
# order: a column of text has its levels sorted, which is no order.
source_ordered_response <- function(formula, schema, family, fun) {
  lhs <- formula[[2L]]
  what <- paste0("the response of ", family$family, "() must be an ordered factor")
  if (!is.name(lhs)) {
    abort(fun, what, "; from a chunked source, a column of the source whose levels it orders, not '",
          paste(deparse(lhs), collapse = " "), "' (give the levels in order with gradglm_source(levels = ))")
  }
  v <- as.character(lhs)
  if (!v %in% schema$columns) return(NULL)  # (said with the formula's other absent columns)
  how <- paste0("gradglm_source(levels = list(", v, " = c(...))), from the lowest level to the highest")
  if (!v %in% names(schema$levels)) {
    abort(fun, what, ", not ", schema$types[[v]], " (column '", v, "'); over a chunked source, ",
          "a column of text or factors, the order of its levels given by ", how)
  }
  if (is.null(schema$order[[v]])) {
    abort(fun, what, ": column '", v, "' of the source has the levels ", quote_some(schema$levels[[v]]),
          " but no order of them; give it by ", how, " (for partitions, the same in each), or in chunks where '", v,
          "' is an ordered factor")
  }
  v
}

# the names of the columns a model uses ("." for all of them)
model_variables <- function(formula, sigma = NULL, weights = NULL, offset = NULL, subset = NULL) {
  c(all.vars(formula), if (!is.null(sigma)) all.vars(sigma), all.vars(weights), all.vars(offset),
    all.vars(subset), if (is.character(weights)) weights)
}

# the columns of a chunk that the first pass scans for a model that uses
# `vars` ("." for all): those it uses (the others may be of any type)
scan_columns <- function(chunk1, vars) if ("." %in% vars) NULL else intersect(names(chunk1), vars)

# The rows of a chunk, as read, that a model frame keeps: those of the
# subset, less those the na.action drops, the columns blank in the whole
# chunk taken as missing (but the column `except`). All rows where they
# cannot be found this way (the chunk's model frame then reports the problem).
frame_rows <- function(chunk, formula, sigma, weights, offset, subset, na_fun, env, except = NULL) {
  n <- nrow(chunk)
  all_rows <- rep(TRUE, n)
  if (is.character(weights) && length(weights) == 1L) weights <- as.name(weights)  # (a column's name)
  blank <- names(chunk)[vapply(chunk, blank_text, NA)]
  for (b in setdiff(blank, except)) chunk[[b]] <- rep(NA, n)
  plain <- function(f) is.null(f) || all(vapply(as.list(attr(stats::terms(f, data = chunk), "variables"))[-1L], is.name, NA))
  # (no subset, nothing missing and no transformed variable: every row)
  if (is.null(subset) && !length(blank) && !anyNA(chunk) && is.null(weights) && is.null(offset) &&
      isTRUE(tryCatch(plain(formula) && plain(sigma), error = function(e) FALSE))) {
    return(all_rows)
  }
  tryCatch({
    chunk <- as.data.frame(chunk)
    rownames(chunk) <- NULL  # (the row names of the frame left are the rows' numbers)
    mt <- stats::terms(formula, data = chunk)
    left <- na_fun(chunk_frame(if (is.null(sigma)) mt else joint_formula(mt, sigma), chunk, weights, offset,
                               subset, function(expr, what) eval(expr, chunk, env), "frame_rows", 1L))
    out <- rep(FALSE, n)
    out[as.integer(rownames(left))] <- TRUE
    out
  }, error = function(e) all_rows)
}

# frame_rows() of a model, as scan_source() calls it: rows(chunk, k, except)
frame_rows_of <- function(formula, sigma, weights, offset, subset, na_fun, env) {
  function(chunk, k, except = NULL) frame_rows(chunk, formula, sigma, weights, offset, subset, na_fun, env, except)
}

# A chunk's model frame before its na.action: the variables of `terms` in
# the chunk `fr`, its weights and offset, and the rows of its subset (those
# where the subset is NA left out). `evaluate(expr, what)` evaluates the
# weights, offset and subset in the chunk (of number `k`).
chunk_frame <- function(terms, fr, weights, offset, subset, evaluate, fun, k) {
  args <- list(formula = terms, data = fr, na.action = stats::na.pass, drop.unused.levels = FALSE)
  if (!is.null(weights)) args$weights <- evaluate(weights, "weights")
  if (!is.null(offset)) args$offset <- evaluate(offset, "offset")
  if (!is.null(subset)) {
    keep <- evaluate(subset, "subset")
    if (!is.logical(keep) || length(keep) != nrow(fr)) {
      abort(fun, "'subset' must be a logical condition on the rows (chunk ", k, ")")
    }
    args$subset <- keep & !is.na(keep)
  }
  tryCatch(do.call(stats::model.frame, args),
           error = function(e) abort(fun, "the model frame of chunk ", k, ": ", conditionMessage(e)))
}

# The schema from a source's first chunk alone, when the model's columns
# (`vars`) are numeric there, or factors whose levels the source gives: no
# first pass over every row is needed for their levels. A later chunk where
# a numeric one is not, or with another level, is an error. NULL when the
# levels need that pass. (all_columns: the chunk's columns, to compare
# partitions; order: as source_scan()'s, the given levels)
first_chunk_schema <- function(chunk1, source, vars) {
  used <- if ("." %in% vars) names(chunk1) else intersect(vars, names(chunk1))
  types <- vapply(chunk1, column_type, "")
  given <- names(source$levels)  # (factor columns whose levels the user gave)
  if (any(is.na(types[used])) || any(types[used] == "logical") ||
      any(types[used] == "factor" & !used %in% given)) {
    return(NULL)
  }
  factors <- used[types[used] == "factor"]
  structure(list(n = NA_real_, chunks = NA_integer_, columns = used, types = types[used],
                 levels = source$levels[factors], order = source$levels[factors], given = TRUE,
                 ordered_columns = factors[vapply(chunk1[factors], is.ordered, NA)], all_columns = names(chunk1)),
            class = "gradglm_schema")
}

# Terms whose columns depend on the whole data (orthogonal polynomials,
# splines, centring) would be computed from each chunk alone: refused, with
# the chunk-wise form where there is one.
check_chunkwise_terms <- function(mt, fun) {
  whole_data <- c("poly", "scale", "ns", "bs", "splines::ns", "splines::bs", "stats::poly", "factor", "as.factor",
                  "ordered", "as.ordered")
  walk <- function(e) {
    if (!is.call(e)) return(invisible(NULL))
    name <- paste(deparse(e[[1L]]), collapse = "")
    if (name %in% whole_data && !(name %in% c("poly", "stats::poly") && isTRUE(as.list(e)$raw))) {
      abort(fun, "'", paste(deparse(e), collapse = " "), "' computes its columns from the whole data, but a ",
            "chunked source builds them chunk by chunk: use ", if (grepl("poly", name)) "poly(..., raw = TRUE) or ",
            "terms such as I(x^2), or compute the columns in the query (a factor: a character column)")
    }
    for (a in as.list(e)[-1L]) walk(a)
    invisible(NULL)
  }
  for (v in as.list(attr(mt, "variables"))[-1L]) walk(v)
  invisible(TRUE)
}

# the levels of the factor columns among a model's variables, as
# .getXlevels() records them from a model frame
source_xlevels <- function(mt, schema) {
  vars <- vapply(as.list(attr(mt, "variables"))[-1L], function(v) paste(deparse(v), collapse = " "), "")
  if (attr(mt, "response") > 0L) vars <- vars[-attr(mt, "response")]
  vars <- intersect(vars, names(schema$levels))
  if (!length(vars)) return(NULL)
  schema$levels[vars]
}

# "1st", "2nd", ... (the passes named in errors)
nth <- function(i) {
  suffix <- if (i %% 100L %in% 11:13) "th" else switch(as.character(i %% 10L), "1" = "st", "2" = "nd", "3" = "rd", "th")
  paste0(i, suffix)
}

# What a fit needs from the rows beyond the loss, gradient and curvature:
# sums collected during the first pass of the optimizer (the rows, those with
# positive weight, the response's weighted sums, and the constants that turn
# the deviance into the AIC or the loss into the log-likelihood).
chunk_sums <- function(family, row, model) {
  kind <- model$kind
  classes <- isTRUE(row$keeps_classes)  # (multinomial, ordinal: the classes' weights)
  s <- list(rows = 0, n_ok = 0, sum_w = 0, sum_wy = 0, sum_wyy = 0, sum_wo = 0, sum_logw = 0, aic_const = 0,
            sat = 0, class_totals = 0, binomial_simple = TRUE, any_trials = FALSE, sum_wylogy = 0,
            mean_y = 0, ss_y = 0)
  add <- function(parts) {
    resp <- parts$resp
    w <- resp$weights
    s$rows <<- s$rows + parts$n
    if (!classes) {
      # (n_ok, sum(w), sum(w y), sum(w y^2), sum(w offset), and the sum of
      # squares about the chunk's mean, in one pass: response_sums())
      r <- response_sums(as.double(resp$y), as.double(w), if (!is.null(parts$offset)) as.double(parts$offset))
      wk <- r[[2L]]
      s$n_ok <<- s$n_ok + r[[1L]]
      if (!is.null(parts$offset)) s$sum_wo <<- s$sum_wo + r[[5L]]
      if (wk > 0) {
        # the weighted mean and sum of squares about it, merged chunk by chunk (stable)
        mk <- r[[3L]] / wk
        delta <- mk - s$mean_y
        s$ss_y <<- s$ss_y + r[[6L]] + delta^2 * s$sum_w * wk / (s$sum_w + wk)
        s$mean_y <<- s$mean_y + delta * wk / (s$sum_w + wk)
      }
      s$sum_wy <<- s$sum_wy + r[[3L]]
      s$sum_wyy <<- s$sum_wyy + r[[4L]]
    } else {
      wk <- sum(w)
      s$n_ok <<- s$n_ok + sum(w > 0)
      if (!is.null(parts$offset)) s$sum_wo <<- s$sum_wo + sum(w * parts$offset)
    }
    s$sum_w <<- s$sum_w + wk
    if (kind == "glm") {
      s <<- row$chunk_add(s, resp, family, row)
    } else if (classes) {
      Y <- class_indicators(resp)
      if (isTRUE(resp$counts)) s$sat <<- s$sat + sum(w * rowSums(ifelse(Y > 0, Y * log(Y), 0)))
      s$class_totals <<- s$class_totals + colSums(w * Y)
    }
  }
  # the sums of another set of rows (a partition's)
  merge <- function(other) {
    W <- s$sum_w
    Wo <- other$sum_w
    if (Wo > 0) {  # (the means and sums of squares about them merge as the chunks' do)
      delta <- other$mean_y - s$mean_y
      s$ss_y <<- s$ss_y + other$ss_y + delta^2 * W * Wo / (W + Wo)
      s$mean_y <<- s$mean_y + delta * Wo / (W + Wo)
    }
    for (v in setdiff(names(s), c("mean_y", "ss_y"))) {
      s[[v]] <<- switch(v, binomial_simple = s[[v]] && other[[v]], any_trials = s[[v]] || other[[v]],
                        s[[v]] + other[[v]])
    }
  }
  # (the count of rows an integer, as in memory: nobs() and the residual
  # degrees of freedom are glm's integers)
  get <- function() {
    out <- s
    if (out$n_ok <= .Machine$integer.max) out$n_ok <- as.integer(out$n_ok)
    out
  }
  list(add = add, merge = merge, get = get)
}

# A class model over a chunked source has every class of the source's rows
# (or of its `levels`) in every chunk (class_response()'s keep_empty); one
# without an observation of positive weight among the rows fitted (after
# the subset and na.action) would leave coefficients running off to
# infinity, and cannot be dropped as in memory once the chunks are built:
# an error, from the first pass's class totals (chunk_sums()).
check_source_classes <- function(s, resp, fun) {
  if (isTRUE(resp$counts)) return(invisible(TRUE))  # (a matrix of counts: as in memory)
  empty <- resp$levels[s$class_totals == 0]
  if (length(empty)) {
    abort(fun, "class(es) ", quote_some(empty), " of the response have no observation with non-zero weight ",
          "(after 'subset' and 'na.action'); a fit from a chunked source keeps every class of the source's rows ",
          "and 'levels', and cannot drop them as a fit in memory does: leave them out of the source")
  }
  invisible(TRUE)
}

# whether a chunked source fits a family (a registry row's `chunked`: TRUE,
# FALSE, or a function of the family object)
row_chunked <- function(row, family) {
  if (is.function(row$chunked)) isTRUE(row$chunked(family)) else isTRUE(row$chunked)
}

chunked_families <- function() {
  nm <- available_families()
  nm[vapply(nm, function(f) !isFALSE(get(f, envir = .registry)$chunked), NA)]
}

# the families that chunked sources fit, and why the others are not
check_source_family <- function(fam, model, fun) {
  name <- fam$family$family
  if (isTRUE(model$likelihood$symmetric == 1L) || !is.null(model$gauge) ||
      identical(model$likelihood$type, "multi_gaussian") || identical(model$likelihood$type, "multi_locscale")) {
    abort(fun, "this model is not yet fitted from a chunked source; it fits gaussian, binomial, poisson, ",
          "student_t (with a sigma model) and multinomial models")
  }
  invisible(TRUE)
}

# gradglm(data = <gradglm_source>): the whole fit by passes over the chunks
source_fit <- function(formula, source, family, weights, subset, offset, na_fun, start, optimizer, control,
                       contrasts, sigma, env, fun = "gradglm") {
  fam <- resolve_family(family, fun)
  if (!is.null(fam$row$chunked_reason)) {
    abort(fun, fam$family$family, "() ", fam$row$chunked_reason, "; a chunked source fits ",
          paste(chunked_families(), collapse = ", "))
  }
  if (!row_chunked(fam$row, fam$family)) {
    abort(fun, "family '", fam$family$family, "' ", if (!is.null(fam$row$chunked_note)) fam$row$chunked_note,
          "is not yet fitted from a chunked source; a chunked source fits ",
          paste(chunked_families(), collapse = ", "), " (fit this one from a data frame)")
  }
  spec <- as_optimizer_spec(optimizer, fun)
  name <- spec$name
  if (name %in% c("auto", "exact")) name <- "newton"
  partitioned <- inherits(source, "gradglm_partitions")
  stochastic <- name %in% c("sgd", "adam")
  if (partitioned && stochastic) {
    abort(fun, "partitions are fitted by passes over the rows: optimizer \"auto\" (Newton), \"newton\", ",
          "\"lbfgs\" or \"gd\"; minibatch optimizers (\"", name, "\") update the coefficients after every ",
          "batch, so the workers would take turns instead of working together (a gradglm_source() of the same ",
          "data fits by sgd and adam)")
  }
  m <- if (partitioned) {
    partition_model(source, formula, fam$family, weights = weights, sigma = sigma, offset = offset,
                    subset = subset, na_fun = na_fun, contrasts = contrasts, fun = fun)
  } else {
    source_model(source, formula, fam$family, weights = weights, sigma = sigma, offset = offset,
                 subset = subset, na_fun = na_fun, contrasts = contrasts, env = env, fun = fun)
  }
  on.exit(if (is.null(m$release)) m$close() else m$release(), add = TRUE)
  first <- m$first_parts()
  model <- first$model
  check_source_family(fam, model, fun)
  cn <- unlist(lapply(model$blocks, `[[`, "coef_names"), use.names = FALSE)
  npar <- length(cn)
  start <- check_start(start, npar, cn, fun)
  starts <- if (!is.null(start)) list(start = start) else chunk_start(first, fam, control, m$intercept, fun, name)
  ctl <- engine_control_list(control, spec, name, NA)
  if (stochastic && isTRUE(ctl$validation > 0)) {
    abort(fun, "'validation' holds out rows in memory; over a chunked source sgd and adam train on every row ",
          "(validation = 0): hold out rows in the query instead and compare the fits with predict()")
  }
  sums <- chunk_sums(fam$family, fam$row, model)
  # (a class model: every class of the source observed, checked at the end of the first pass)
  m$collect(sums, at_end = if (isTRUE(fam$row$keeps_classes)) function() check_source_classes(sums$get(), first$resp, fun))
  progress <- source_progress(isTRUE(control$verbose) || interactive())
  on.exit(progress$done(), add = TRUE)
  m$set_progress(progress$tick)
  cov_curvature <- if (model$kind == "glm") "fisher" else "observed"
  res <- run_chunked(m, starts$start, ctl, name, cov_curvature, fun)
  if (!res$converged && !isTRUE(res$diverged) && !is.null(starts$retry)) {
    # the first chunk misled the start: again from the family's safe one
    res <- run_chunked(m, starts$retry, ctl, name, cov_curvature, fun)
  }
  check_rate(res, name, ctl$learning_rate, fun)  # (a rate that blew the fit up says so first)
  # (as in memory: no curvature to report, no standard errors)
  if (!is.finite(res$loss)) abort_no_valid_start(res, name, model, fun)
  s <- sums$get()
  if (s$n_ok < npar && model$kind != "glm") {
    abort(fun, "the model has more coefficients (", npar, ") than observations with non-zero weight (", s$n_ok, ")")
  }
  # columns linearly dependent on earlier ones are aliased (NA), as in glm:
  # the model is fitted again without them
  aliased <- logical(npar)
  ord <- seq_len(npar)
  if (isTRUE(model$constant_in_rank)) {
    # (the other parameters first: they act as the intercept, as an ordinal's
    # cut-points, with which a constant location column is then aliased)
    loc <- describe_blocks(model$blocks)[[1L]]$coef
    ord <- c(setdiff(ord, loc), loc)
  }
  aliased[ord] <- aliased_in_order(res$curvature[ord, ord, drop = FALSE])
  if (identical(model$likelihood$type, "negative_binomial") && (aliased[npar] || s$sum_wy == 0)) {
    abort(fun, "theta cannot be estimated: the likelihood does not change with it",
          if (s$sum_wy == 0) " (every response is 0)", "; fix it with negative_binomial(theta = ) or fit poisson()")
  }
  if (any(aliased)) {
    # a column is dropped when any output's coefficient of it is aliased (a
    # block's coefficients run over its columns within each output)
    blocks <- describe_blocks(model$blocks)
    keep <- lapply(blocks, function(b) {
      p <- length(b$columns)
      which(!apply(matrix(aliased[b$coef], nrow = p), 1L, any))
    })
    for (i in seq_along(blocks)) {
      b <- blocks[[i]]
      p <- length(b$columns)
      aliased[b$coef] <- rep(!seq_len(p) %in% keep[[i]], times = length(b$coef) / p)
    }
    m$set_keep(keep)
    res <- run_chunked(m, res$coefficients[!aliased], ctl, name, cov_curvature, fun)
  }
  # (said of the fit without the aliased columns, whose curvature is not singular)
  if (isTRUE(res$diverged)) warn(fun, res$message)
  else if (!res$converged) {
    warn_not_converged(list(message = res$message, stop = res$stop, iter = res$iterations), name, fun)
  }
  # (fitted means at 0 or 1, as in memory; the rows that would certify a
  # separation are not at hand)
  if (!is.null(fam$row$boundary) && isTRUE(res$n_boundary > 0)) warn(fun, fam$row$boundary)
  coef <- stats::setNames(rep(NA_real_, npar), cn)
  coef[!aliased] <- res$coefficients
  cov <- chol2inv(chol(res$curvature)) / res$weight_sum
  dimnames(cov) <- list(cn[!aliased], cn[!aliased])
  # (nearly collinear columns, as raw polynomials, are said as in memory)
  if (!identical(name, "exact") && !isTRUE(res$diverged)) warn_ill_conditioned(cov, fun)
  nb <- NULL
  if (identical(model$likelihood$type, "negative_binomial")) {
    # The negative binomial with theta estimated, presented as in memory (and
    # as glm.nb presents it): the GLM at the estimated theta, whose deviance,
    # null deviance and AIC come from passes of that GLM, with theta and its
    # standard error beside the coefficients of the mean
    k <- length(res$coefficients)  # (log theta: the last coefficient, never aliased)
    nb <- list(theta = exp(res$coefficients[[k]]), se = exp(res$coefficients[[k]]) * sqrt(cov[k, k]))
    family_nb <- negative_binomial(theta = nb$theta, link = fam$family$link)
    family_nb$theta_estimated <- TRUE
    m$set_family(family_nb)
    fam <- resolve_family(family_nb, fun)
    model <- fam$row$model(fam$family, first$resp, first$model$blocks[[1L]]$design, NULL, fun)
    res$coefficients <- res$coefficients[-k]
    res$loss <- loss_by_pass(m, res$coefficients, ctl, fun)
    cov <- cov[-k, -k, drop = FALSE]
    coef <- coef[-npar]
    aliased <- aliased[-npar]
    cn <- cn[-npar]
    npar <- npar - 1L
  }
  fit <- source_finish(res, s, m, fam, model, first, aliased, coef, ctl, fun)
  if (!is.null(nb)) {
    # theta is a parameter of the likelihood (AIC, logLik's df), as in glm.nb
    fit$aic <- fit$aic + 2
    fit$npar <- fit$npar + 1L
    fit$loglik <- fit$npar - fit$aic / 2
    fit$theta <- nb$theta
    fit$SE.theta <- nb$se
    fit$twologlik <- 2 * fit$loglik
  }
  # the parts every fit has; none of those with one entry per row
  fit <- c(fit, list(residuals = NULL, fitted.values = NULL, linear.predictors = NULL, weights = NULL,
                     source = list(source = source, schema = m$schema, rows = s$rows, chunks = res$chunks,
                                   passes = m$passes(), reads = m$reads(), cached_chunks = m$cached(),
                                   disk_cache = if (!is.null(m$on_disk)) m$on_disk(),
                                   partitions = if (is.null(m$partitions)) 1L else m$partitions,
                                   gradient = res$gradient)))
  fit <- fit_common(fit, list(iter = res$iterations, converged = res$converged, cov_kind = res$cov_kind,
                              trace = res$trace, message = res$message),
                    model, list(y = NULL, weights = NULL), fam$family, control, spec, name, FALSE, NULL,
                    m$intercept, s$n_ok, coef, stats::setNames(aliased, cn), cov, fun = fun)
  fit$terms <- m$terms
  fit$xlevels <- source_xlevels(m$terms, m$schema)
  fit$contrasts <- first$contrasts
  first_block <- names(fit$blocks)[1L]
  fit$blocks[[first_block]][c("terms", "xlevels", "contrasts")] <- list(m$terms, fit$xlevels, fit$contrasts)
  if (!is.null(m$sigma_terms)) {
    fit$sigma_formula <- stats::formula(m$sigma_terms)
    fit$sigma_terms <- m$sigma_terms
    fit$sigma_xlevels <- source_xlevels(m$sigma_terms, m$schema)
    fit$sigma_contrasts <- first$sigma_contrasts
    fit$blocks$sigma[c("terms", "xlevels", "contrasts", "formula")] <-
      list(m$sigma_terms, fit$sigma_xlevels, fit$sigma_contrasts, fit$sigma_formula)
  }
  fit$method <- "gradglm"
  fit
}

# The progress of a fit by passes (the cli package): the pass and the chunk
# (or the pass, over partitions); cli shows it once the fit has run for its
# show_after delay (2 s).
source_progress <- function(enabled) {
  if (!enabled) return(list(tick = function(status) NULL, done = function() NULL))
  e <- new.env()
  e$status <- "starting"
  id <- cli::cli_progress_bar(format = "Fitting by passes over the data: {status} | {cli::pb_elapsed}",
                              total = NA, clear = TRUE, .auto_close = FALSE, .envir = e)
  list(tick = function(status) {
    e$status <- status
    cli::cli_progress_update(id = id, .envir = e)
  }, done = function() {
    # the final state drawn (cli's timer may not have fired in a quiet terminal)
    if (e$status != "starting") cli::cli_progress_update(id = id, force = TRUE, .envir = e)
    cli::cli_progress_done(id = id, .envir = e)
  })
}

# Newton (or L-BFGS, gd) over the chunks; errors from a chunk keep their
# message, and the source is closed on an error and on an interrupt
run_chunked <- function(m, start, ctl, name, cov_curvature, fun) {
  tryCatch(m$run(start, ctl, name, cov_curvature), error = function(e) abort(fun, bare_message(e, fun)))
}

# the loss at theta by one pass over the chunks (errors as run_chunked()'s)
loss_by_pass <- function(m, theta, ctl, fun) {
  tryCatch(m$pass_at(theta, "none", ctl$threads)$value, error = function(e) abort(fun, bare_message(e, fun)))
}

# an error's message without the "fun: " that abort() put before it (for an
# error passed on with more said)
bare_message <- function(e, fun) sub(paste0("^", fun, ": "), "", conditionMessage(e))

# The start of a fit over chunks: the in-memory fit of the first chunk when it
# converges to finite coefficients away from a boundary (a few Newton steps
# from there reach the whole data's optimum), with `retry` the safe start
# for when it does not lead to convergence (zero coefficients for a GLM, the
# family's own start on the first chunk otherwise); else that safe start.
# sgd and adam start where they start in memory (for a GLM every slope at
# zero and the intercept at the link of the first chunk's mean response).
chunk_start <- function(first, fam, control, intercept, fun, optimizer = "newton") {
  model <- first$model
  resp <- first$resp
  ctl <- engine_control_list(control, as_optimizer_spec("newton", fun), "newton", first$n)
  ctl$trace <- FALSE
  ctl$verbose <- FALSE
  x <- model$blocks[[1L]]$design
  ctx <- list(family = fam$family, row = fam$row, resp = resp, offset = first$offset, offset_given = !is.null(first$offset),
              x = x, x_sigma = if (length(model$blocks) > 1L) model$blocks[[2L]]$design, intercept = intercept,
              n = first$n, n_ok = sum(resp$weights > 0), fun = fun, optimizer = "gd", model = model,
              engine_control = ctl)
  npar <- sum(vapply(model$blocks, function(b) length(b$coef_names), 1L))
  if (optimizer %in% c("sgd", "adam")) {
    ctx$optimizer <- optimizer
    return(list(start = model$start(ctx)))
  }
  # (a GLM starts from glm's start, computed by the engine; the others, the
  # negative binomial with its theta among them, from the model's)
  plain_glm <- model$kind == "glm" && identical(model$likelihood$type, "glm")
  safe <- if (plain_glm) numeric(npar) else model$start(ctx)
  res <- tryCatch(suppressWarnings(run_engine(model, resp, first$offset, "newton",
                                              if (plain_glm) NULL else safe, ctl)),
                  error = function(e) {
                    pass_on_time_limit(e)
                    NULL
                  })
  b <- if (!is.null(res)) as.vector(res$coefficients)
  # (a chunk whose classes are separated, or fitted at a boundary, says little of the whole;
  # nor does one without a class of the whole data, whose coefficients run off to infinity)
  absent <- isTRUE(fam$row$keeps_classes) && any(colSums(resp$weights * class_indicators(resp)) == 0)
  if (is.null(b) || !isTRUE(res$converged) || length(b) != npar || isTRUE(res$n_boundary > 0) || absent) {
    return(list(start = safe))
  }
  b[is.na(b)] <- 0  # (columns aliased in the first chunk)
  if (!all(is.finite(b))) list(start = safe) else list(start = b, retry = safe)
}

# glm's summaries of a fit over chunks (deviance, null deviance, AIC,
# dispersion, log-likelihood) from the loss at the solution and the sums of
# the first pass; the null model by passes too (coef: the coefficients by
# name, NA where aliased)
source_finish <- function(res, s, m, fam, model, first, aliased, coef, ctl, fun) {
  npar <- sum(!aliased)
  family <- fam$family
  wsum <- res$weight_sum
  null_ctl <- utils::modifyList(ctl, list(max_iter = max(ctl$max_iter, 100L), trace = FALSE, verbose = FALSE))
  null_fit <- function(start, offset_given) {
    # the null model: a pass at its solution when it is known, else Newton by passes
    m$set_null(TRUE)
    on.exit(m$set_null(FALSE), add = TRUE)
    if (!offset_given) return(loss_by_pass(m, start, ctl, fun))
    run_chunked(m, start, null_ctl, "newton", "none", fun)$loss
  }
  offset_given <- s$sum_wo != 0 || !is.null(first$offset)
  if (model$kind == "glm") {
    dev <- 2 * res$loss * wsum
    rank <- npar
    ybar <- s$sum_wy / s$sum_w
    start0 <- if (m$intercept) family$linkfun(fam$row$mean_range(ybar)) - s$sum_wo / s$sum_w else 0
    # (without an offset no pass for the families whose sums give the
    # deviance at the weighted mean; one pass there for the others)
    null_dev <- if (m$intercept && !offset_given) fam$row$chunk_null_deviance(s)
    if (is.null(null_dev)) null_dev <- 2 * null_fit(start0, offset_given && m$intercept) * wsum
    fitted <- if (isTRUE(fam$row$fitted_pass)) {
      m$fitted_sums(res$coefficients, list(deviance = dev, prior.weights = s$sum_w, family = family))
    }
    if (isTRUE(family$theta_estimated) && !is.null(fitted) && family$theta > 1e3 * fitted[["max_mu"]]) {
      warn(fun, negbin_large_theta(family$theta, fitted[["max_mu"]]))
    }
    aic <- fam$row$chunk_aic(dev, s, m, res, fitted, fam$row) + 2 * rank
    df_residual <- s$n_ok - rank
    free <- isTRUE(fam$row$free_dispersion)
    # glm's Pearson estimate (for the Gaussian the deviance is Pearson's statistic)
    dispersion <- if (!free) 1 else if (df_residual > 0) {
      (if (!is.null(fitted)) fitted[["pearson"]] else dev) / df_residual
    } else {
      NaN
    }
    npar_all <- rank + as.integer(fam$row$scale_in_likelihood)
    return(list(rank = rank, deviance = dev, aic = aic, null.deviance = null_dev, df.residual = df_residual,
                df.null = s$n_ok - as.integer(m$intercept), loglik = npar_all - aic / 2, npar = npar_all,
                dispersion = dispersion))
  }
  loglik <- -res$loss * wsum + s$sat
  if (!is.null(model$chunk_finish)) {
    # (a class model: its null model from the class totals, no pass)
    return(model$chunk_finish(loglik, s, m$intercept, offset_given, coef, npar, first$resp$levels))
  }
  # a location-scale model: its null model has a constant location and scale
  est <- isTRUE(model$estimate_df)
  null_dev <- NA_real_
  if (m$intercept) {
    ybar <- s$sum_wy / s$sum_w
    sd0 <- sqrt(max(s$sum_wyy / s$sum_w - ybar^2, 1e-12))
    # (the location at the mean response, and the scale whose standard
    # deviation there is the response's: sigma itself, or the row's own, as
    # sigma mu for the Gamma)
    mu0 <- if (family$link %in% c("identity", "logit", "probit", "cloglog")) ybar else max(ybar, 1e-8)
    start0 <- c(family$linkfun(mu0) - s$sum_wo / s$sum_w, log(sd0) - log(ls_sd(family, mu0, 1)),
                if (est) log(10))
    null_dev <- tryCatch(2 * wsum * suppressWarnings(null_fit(start0, TRUE)), error = function(e) {
      pass_on_time_limit(e)
      NA_real_
    })
  }
  # a scale at the edge of its range (the negative binomial's sigma running
  # to 0), as in memory: by a pass at the fit
  edge <- fam$row$location_scale$edge
  if (!is.null(edge)) {
    msg <- edge$message(m$edge_sums(res$coefficients))
    if (!is.null(msg)) warn(fun, msg)
  }
  loc <- model$blocks[[1L]]$coef_names
  df <- if (est) exp(res$coefficients[length(res$coefficients)]) else if (!is.na(model$df_fixed)) model$df_fixed else NULL
  list(rank = sum(!aliased[seq_along(loc)]), deviance = -2 * loglik, aic = -2 * loglik + 2 * npar, null.deviance = null_dev,
       df.residual = s$n_ok - npar, df.null = s$n_ok - 2L - as.integer(est), loglik = loglik, npar = npar,
       dispersion = 1, df = df, df_estimated = est, sigma = NULL)
}

# glm's null deviance (the deviance at the weighted mean response) from the
# sums of the first pass: Gaussian, the sum of squares about the mean;
# Poisson 2 (sum w y log y - S log ybar) and binomial 2 (sum w (y log y +
# (1 - y) log(1 - y)) - S log ybar - (W - S) log(1 - ybar)), S = sum w y.

# The coefficients whose curvature column is linearly dependent on the
# earlier ones' (for a GLM, X'WX: the columns of X that glm's pivoting QR
# would alias), in order; `tol` on the scale of the squared column norms.
# The part of column j not explained by the kept ones, H_jj - h' H_kk^-1 h,
# comes from the Cholesky factor of the kept columns' H_kk, grown by one row
# and column per kept column: r = H_jj - |R^-T h|^2. No system is solved
# (a kept set can be too ill-conditioned for solve(), whose check of the
# condition number is stricter than `tol`), and p columns cost p^3 / 3.
aliased_in_order <- function(H, tol = 1e-10) {
  p <- ncol(H)
  out <- logical(p)
  kept <- integer(0)
  R <- matrix(0, p, p)  # (its leading k x k block: the factor of the k kept columns)
  d <- diag(H)
  for (j in seq_len(p)) {
    r <- d[j]
    k <- length(kept)
    z <- NULL
    if (k && r > 0) {
      z <- backsolve(R, H[kept, j], k = k, transpose = TRUE)
      r <- r - sum(z^2)
    }
    if (!(r > tol * d[j]) || !(d[j] > 0)) {
      out[j] <- TRUE
    } else {
      if (k) R[seq_len(k), k + 1L] <- z
      R[k + 1L, k + 1L] <- sqrt(r)
      kept <- c(kept, j)
    }
  }
  out
}

# The binomial AIC of glm at the solution, by a pass: minus twice the
# log-likelihood of the rounded counts, each row's counted (weights / m) times,
# m the trials when any row has more than one, else the weights
binomial_aic_pass <- function(each_parts, design, family, coef, any_trials) {
  total <- 0
  each_parts(function(parts) {
    resp <- parts$resp
    eta <- drop(design(parts) %*% coef)
    if (!is.null(parts$offset)) eta <- eta + parts$offset
    mu <- family$linkinv(eta)
    k <- if (any_trials && !is.null(resp$trials)) resp$trials else resp$weights
    total <<- total - 2 * sum(ifelse(k > 0, resp$weights / k, 0) *
                                stats::dbinom(round(k * resp$y), round(k), mu, log = TRUE))
  })
  total
}

# Sums over the rows at the fitted means, by a pass, for the GLM rows whose
# AIC or dispersion need them (`fitted_pass` in the registry): minus twice
# the log-likelihood (the row's eval_loglik(), given in `info` what it reads
# of the fit: the deviance, the weight sum, the family) and Pearson's
# statistic, sum w (y - mu)^2 / V(mu) over rows of positive weight
fitted_sums_pass <- function(each_parts, design, family, row, coef, info) {
  total <- c(m2ll = 0, pearson = 0, max_mu = -Inf)  # (as add_fitted_sums() adds them)
  each_parts(function(parts) {
    resp <- parts$resp
    eta <- drop(design(parts) %*% coef)
    if (!is.null(parts$offset)) eta <- eta + parts$offset
    mu <- family$linkinv(eta)
    w <- resp$weights
    ok <- w > 0
    ll <- if (is.null(row$eval_loglik)) NA_real_ else sum(row$eval_loglik(resp$y, unit_trials(resp$trials, NROW(resp$y)), mu, w, info)[ok])
    total <<- add_fitted_sums(total, c(m2ll = -2 * ll, pearson = sum((w * (resp$y - mu)^2 / family$variance(mu))[ok]),
                                       max_mu = max(mu[ok], -Inf)))
  })
  total
}

# The sums of a location-scale row's edge (its registry entry `edge`) over
# the rows at coef (location coefficients, then those of log sigma), by a pass
edge_sums_pass <- function(each_parts, design, family, row, coef) {
  edge <- row$location_scale$edge
  total <- NULL
  each_parts(function(parts) {
    X <- design(parts, 1L)
    Z <- design(parts, 2L)
    eta <- drop(X %*% coef[seq_len(ncol(X))])
    if (!is.null(parts$offset)) eta <- eta + parts$offset
    sigma <- exp(drop(Z %*% coef[ncol(X) + seq_len(ncol(Z))]))
    s <- edge$sums(family$linkinv(eta), sigma, parts$resp$weights > 0)
    total <<- if (is.null(total)) s else edge$add(total, s)
  })
  total
}

# two sets of rows' sums at the fitted means as one (the largest mean of both)
add_fitted_sums <- function(a, b) {
  sums <- c("m2ll", "pearson")
  c(a[sums] + b[sums], max_mu = max(a[["max_mu"]], b[["max_mu"]]))
}

# A chunk of `newdata` from a source with its columns in the types the
# fit's variables had (`classes`: the terms' "dataClasses"): a chunk's columns are
# typed by its own values, so that a text column reads as numbers, or TRUE
# and FALSE, in a chunk that holds only those, and a numeric column as text
# in a chunk of blanks, where read.csv() of the whole file reads one type.
# A factor's numbers become text, its TRUE and FALSE their text as written
# (logical_text()); a chunk of blanks is missing values of a numeric or
# logical variable.
predict_chunk_types <- function(chunk, classes) {
  for (v in intersect(names(chunk), names(classes))) {
    x <- chunk[[v]]
    cls <- classes[[v]]
    if (cls %in% c("factor", "ordered", "character")) {
      if (is.logical(x)) chunk[[v]] <- logical_text(x)
      else if (is.numeric(x) && !is.object(x)) chunk[[v]] <- as.character(x)
    } else if (cls %in% c("numeric", "logical") && (blank_text(x) || (is.logical(x) && all(is.na(x))))) {
      chunk[[v]] <- if (cls == "numeric") rep(NA_real_, length(x)) else rep(NA, length(x))
    }
  }
  chunk
}

# predict() on a source: chunk by chunk into a temporary CSV file, which
# becomes the output file or is copied into the table (in one transaction),
# or into memory when the predictions are returned; nothing is left behind
# when a chunk fails.
predict_source <- function(object, newdata, type, se.fit, dispersion, output, table, keep, ...) {
  fun <- "predict.gradglm"
  to_db <- inherits(output, "DBIConnection")
  if (!is.null(output) && !to_db && !(is.character(output) && length(output) == 1L && !is.na(output))) {
    abort(fun, "'output' must be a file name or a DBI connection")
  }
  if (to_db && !(is.character(table) && length(table) == 1L && !is.na(table) && nzchar(table))) {
    abort(fun, "'table' must name the table of the DBI connection 'output'")
  }
  if (!to_db && !is.null(table)) abort(fun, "'table' is for a DBI connection 'output'")
  if (!is.null(keep) && !is.character(keep)) abort(fun, "'keep' must name columns of the source")
  # (a CSV file's columns that are the fit's factors are read as text, as
  # read.csv() of the whole file reads a column of codes with a word among them)
  data_classes <- c(attr(object$terms, "dataClasses"), attr(object$sigma_terms, "dataClasses"))
  newdata$text_columns <- names(data_classes)[data_classes %in% c("factor", "ordered", "character")]
  tmp <- tempfile("gradglm-predict-", fileext = ".csv")
  on.exit(unlink(tmp), add = TRUE)
  rows <- 0
  parts <- list()  # (the predictions, when they are returned)
  classes <- NULL  # (for a table: the file's predictions are read back in their classes)
  source_each(newdata, function(chunk, k) {
    absent <- setdiff(keep, names(chunk))
    if (length(absent)) abort(fun, "'keep': column(s) ", quote_some(absent), " not in chunk ", k)
    args <- list(object, newdata = predict_chunk_types(chunk, data_classes), se.fit = se.fit, dispersion = dispersion,
                 ...)
    if (!is.null(type)) args$type <- type
    p <- tryCatch(do.call(stats::predict, args),
                  error = function(e) abort(fun, "predicting chunk ", k, " failed: ",
                                            sub("^predict.gradglm: ", "", conditionMessage(e))))
    out <- prediction_columns(p)
    if (to_db && is.null(classes)) {
      # (write.table() puts no number in quotes; the kept columns are
      # guessed, as their type may change from chunk to chunk)
      classes <<- c(rep(NA_character_, length(keep)), csv_classes(out, list(), logical(length(out))))
    }
    if (length(keep)) out <- cbind(chunk[keep], out)
    if (is.null(output)) {
      parts[[length(parts) + 1L]] <<- out  # (returned: kept in memory, with every digit)
    } else {
      utils::write.table(out, tmp, sep = ",", row.names = FALSE, col.names = rows == 0, append = rows > 0,
                         qmethod = "double")
    }
    rows <<- rows + nrow(out)
  }, "prediction", fun)
  if (!rows) {
    # a source of no rows (a CSV file's header alone): no predictions, as
    # predict.glm() of a data frame of no rows gives none; the columns are
    # those of every other output (a file of their header alone, an empty
    # table)
    out <- source_no_predictions(object, newdata, keep, type, se.fit, dispersion, fun, ...)
    if (is.null(output)) {
      parts <- list(out)
    } else {
      utils::write.table(out, tmp, sep = ",", row.names = FALSE, qmethod = "double")
    }
  }
  if (is.null(output)) {
    res <- do.call(rbind, parts)
    rownames(res) <- NULL
    if (ncol(res) == 1L) return(res[[1L]])
    if (identical(names(res)[(ncol(res) - 1L):ncol(res)], c("fit", "se.fit")) && !length(keep)) {
      return(list(fit = res$fit, se.fit = res$se.fit))
    }
    return(res)
  }
  if (!to_db) {
    if (!file.copy(tmp, output, overwrite = TRUE)) abort(fun, "could not write the file ", output)
    return(invisible(output))
  }
  # into the table, in chunks, in one transaction
  DBI::dbWithTransaction(output, {
    if (!rows) DBI::dbWriteTable(output, table, out, append = TRUE)  # (its columns, no rows)
    con <- open_file(tmp, "r")
    on.exit(close(con), add = TRUE)
    header <- NULL
    repeat {
      part <- read_csv_chunk(con, header, 100000L, list(), classes)
      if (is.null(part)) break
      header <- names(part)
      DBI::dbWriteTable(output, table, part, append = TRUE)
    }
  })
  invisible(output)
}

# the columns of a prediction `p` that predict_source() writes (a data frame)
prediction_columns <- function(p) {
  if (is.list(p) && !is.data.frame(p)) {
    data.frame(fit = unname(p$fit), se.fit = unname(p$se.fit))
  } else if (is.matrix(p)) {
    stats::setNames(as.data.frame(unname(p)), colnames(p))
  } else {
    data.frame(fit = if (is.factor(p)) as.character(p) else unname(p))
  }
}

# predict_source()'s output for a source of no rows: its columns without
# rows, those of the prediction of no rows of the fit's own data (the
# schema's columns for a fit from a source, else the fit's rows), after the
# `keep` columns (logical, as read.csv() reads a column without values; a
# CSV file's header must name them)
source_no_predictions <- function(object, newdata, keep, type, se.fit, dispersion, fun, ...) {
  if (length(keep) && identical(newdata$kind, "csv")) {
    header <- tryCatch(names(do.call(utils::read.csv, c(list(newdata$files[1L]), newdata$read_args))),
                       error = function(e) character(0))
    absent <- setdiff(keep, header)
    if (length(absent)) abort(fun, "'keep': column(s) ", quote_some(absent), " not in the source")
  }
  args <- list(object, se.fit = se.fit, dispersion = dispersion, ...)
  if (!is.null(type)) args$type <- type
  schema <- object$source$schema
  if (!is.null(schema)) args$newdata <- schema_frame(schema)
  p <- tryCatch(do.call(stats::predict, args), error = function(e) {
    abort(fun, "'newdata': the source returned no rows, and a prediction of no rows failed: ",
          sub("^predict.gradglm: ", "", conditionMessage(e)))
  })
  out <- prediction_columns(p)[0L, , drop = FALSE]
  if (length(keep)) {
    out <- cbind(as.data.frame(stats::setNames(rep(list(logical(0)), length(keep)), keep), optional = TRUE), out)
  }
  out
}

# what the methods say where a fit from a chunked source has no row vectors
source_rows_message <- function(what) {
  paste0("the fit was made from a chunked source and keeps no ", what,
         " (one per row); give 'newdata' to predict()")
}
