# Data in partitions, each read by a worker of the future framework: every
# pass sends the coefficients to the workers, each passes over its own rows
# (as a chunked source, src/chunked_objective.h) and returns its sums (loss,
# gradient, curvature, the rows' weight); the engine's PartitionedObjective
# adds them up. The rows stay where they are read.

#' Data in partitions, each read on a worker
#'
#' Describes data split into partitions that are read where they live: each
#' partition is a set of CSV files, a [gradglm_source()] of CSV files or of a
#' function, or a function without arguments that returns a
#' [gradglm_source()] when it is called on the worker (the way to give a
#' database: the function opens the connection there, and the connection is
#' closed after each task). `gradglm(formula, data = gradglm_partitions(...))`
#' then fits the model by passes: each pass sends the coefficients to the
#' workers, every worker passes over its partition's rows in chunks and
#' returns the sums of the loss, its gradient and curvature, and the sums are
#' added. The workers are those of the `future` framework: the plan set with
#' [future::plan()] (`multisession` on this machine, `cluster` on machines
#' reached over SSH, `future.batchtools` on a scheduler).
#'
#' The first pass learns the columns and factor levels of every partition;
#' the partitions must have the same columns. The second builds each
#' partition's model matrices on its worker, which keeps them for the rest of
#' the fit as a [gradglm_source()] keeps its chunks (the source's `cache`
#' megabytes in memory, default 256 per partition, the rest in a temporary
#' file in its `cache_dir`, by default the worker's [tempdir()]), so later
#' passes read nothing from the partitions. The partitions go to the workers
#' in fixed groups (with w workers, partitions 1, w + 1, 2w + 1, ... to the
#' first worker, one future per worker), which the future framework's
#' multisession and cluster plans keep from pass to pass; where a plan starts
#' a new process for each future (multicore, batchtools) or a partition's
#' cache cannot hold it whole (`cache_dir = NULL`), the partition is read
#' again on every pass. What the workers keep is dropped at the end of the
#' fit (or, when the fit was interrupted, at the next partitioned fit). When
#' the model's columns are numeric in a partition's first chunk, the first
#' pass reads only that chunk there. The time of a pass is that of the
#' slowest worker; `fit$source$reads` gives the rows read over the rows of
#' the partitions. `weights`, `offset` and `subset` of [gradglm()] are
#' evaluated in the partition's columns on the worker.
#'
#' A function partition travels to its worker with its environment, as every
#' R function does: make it where that environment is small (at the top
#' level, or in a small function as in the vignette), not inside a function
#' whose variables hold large data, which would be sent on every pass.
#'
#' @param ... The partitions, optionally named (the names are used in
#'   messages): character vectors of CSV files, [gradglm_source()]s of CSV
#'   files or functions, or functions without arguments returning a
#'   [gradglm_source()]; or one list of them (as `lapply()` makes it).
#' @param chunk_size Rows per chunk for partitions given as CSV files.
#' @return An object of class `"gradglm_partitions"`.
#' @seealso [gradglm_source()], and the vignette "Data beyond memory".
#' @examples
#' \donttest{
#' if (requireNamespace("future", quietly = TRUE)) {
#'   files <- vapply(1:2, function(i) tempfile(fileext = ".csv"), "")
#'   write.csv(mtcars[1:16, ], files[1], row.names = FALSE)
#'   write.csv(mtcars[17:32, ], files[2], row.names = FALSE)
#'   old <- future::plan(future::sequential)
#'   parts <- gradglm_partitions(a = files[1], b = files[2])
#'   fit <- gradglm(am ~ wt, data = parts, family = binomial())
#'   future::plan(old)
#'   coef(fit)
#'   unlink(files)
#' }
#' }
#' @export
gradglm_partitions <- function(..., chunk_size = 100000) {
  fun <- "gradglm_partitions"
  parts <- list(...)
  # (one list of partitions, as lapply() over files or queries makes it)
  if (length(parts) == 1L && is.list(parts[[1L]]) && !inherits(parts[[1L]], "gradglm_source") &&
      is.null(names(parts))) {
    parts <- parts[[1L]]
  }
  if (!length(parts)) abort(fun, "give at least one partition")
  nm <- names(parts)
  if (is.null(nm)) nm <- rep("", length(parts))
  nm[!nzchar(nm)] <- paste("partition", which(!nzchar(nm)))
  parts <- lapply(seq_along(parts), function(i) {
    p <- parts[[i]]
    if (is.character(p)) return(gradglm_source(p, chunk_size = chunk_size))
    if (inherits(p, "gradglm_source")) {
      if (p$kind == "dbi") {
        abort(fun, "partition '", nm[i], "' holds a database connection, which cannot travel to a worker: give ",
              "a function that opens it there, such as function() gradglm_source(DBI::dbConnect(...), \"query\")")
      }
      return(p)
    }
    if (is.function(p) && !length(formals(p))) return(p)
    abort(fun, "partition '", nm[i], "' must be CSV files, a gradglm_source() or a function without ",
          "arguments that returns one")
  })
  if (!requireNamespace("future", quietly = TRUE)) abort(fun, "partitions need the 'future' package")
  structure(list(parts = stats::setNames(parts, nm)), class = "gradglm_partitions")
}

#' @export
print.gradglm_partitions <- function(x, ...) {
  cat("<gradglm_partitions> ", length(x$parts), " partitions: ", paste(names(x$parts), collapse = ", "), "\n",
      sep = "")
  invisible(x)
}

# What a worker keeps between the tasks of one fit: the model of each
# partition it has passed over whole (source_model(), whose cache then holds
# every chunk's model matrices, in memory and in a file of the worker's
# tempdir()), so that later passes read nothing from the partition. It keeps
# one fit's partitions: the first task of another fit (another token) drops
# them, as does the release at the end of the fit.
partition_store <- new.env(parent = emptyenv())

# drops what the worker keeps of the fit `token` (of every fit for NULL)
partition_release <- function(token = NULL) {
  if (is.null(token) || identical(partition_store$token, token)) {
    for (e in as.list(partition_store$models)) try(e$m$release(), silent = TRUE)
    partition_store$models <- NULL
    partition_store$chunks <- NULL
    partition_store$token <- NULL
  }
  invisible(NULL)
}

# a fit's token, unique to the process and the call
partition_token <- local({
  count <- 0
  function() {
    count <<- count + 1
    paste(Sys.info()[["nodename"]], Sys.getpid(), format(Sys.time(), "%Y%m%d%H%M%OS6"), count, sep = ":")
  }
})

# One task on a worker: the partition's source is made there (a function
# partition opens its connection, closed at the end), and the model built
# from the shared schema, or taken from what the worker keeps. Tasks: "scan"
# (the first pass: the schema), "first" (the first chunk's parts, for the
# start), "pass" (a pass at theta: chunked_pass()'s sums, and the
# chunk_sums() when `collect`), "aic" (the binomial AIC at theta), "fitted"
# (the sums at the fitted means) and "edge" (a location-scale row's edge sums
# at theta). Returns list(value, read, rows): the rows read from the
# partition's source, and its rows (NA where the task does not know them).
partition_task <- function(part, key, task, spec, theta = NULL, curvature = "none", null = FALSE, collect = FALSE,
                           any_trials = FALSE, info = NULL) {
  if (task == "release") return(list(value = partition_release(spec$token), read = 0, rows = NA_real_))
  if (!identical(partition_store$token, spec$token)) {
    partition_release()
    partition_store$token <- spec$token
    partition_store$models <- list()
    partition_store$chunks <- list()
  }
  kept <- if (!task %in% c("scan", "first")) partition_store$models[[key]]
  if (!is.null(kept)) {
    m <- kept$m
    if (!identical(kept$family_set, spec$family_set)) m$set_family(spec$family)
    before <- m$rows_read()
  } else {
    src <- if (is.function(part)) part() else part
    if (!inherits(src, "gradglm_source")) stop("the partition's function did not return a gradglm_source()")
    if (is.function(part) && identical(src$kind, "dbi")) on.exit(DBI::dbDisconnect(src$con), add = TRUE)
    if (task == "scan") {
      out <- partition_scan(source_for_columns(src, spec$vars), spec)
      partition_store$chunks[[key]] <- out$chunk1  # (for the task "first" that follows)
      out$chunk1 <- NULL
      return(out)
    }
    chunk1 <- if (task == "first") partition_store$chunks[[key]]
    m <- source_model(src, spec$formula, spec$family, weights = spec$weights, sigma = spec$sigma,
                      offset = spec$offset, subset = spec$subset, na_fun = spec$na_fun,
                      contrasts = spec$contrasts, env = globalenv(), schema = spec$schema, fun = spec$fun,
                      first_chunk = chunk1)
    before <- 0
  }
  # (at the end, before the connection is closed: a model whose cache holds
  # the whole partition is kept, its file closed; one that failed or that
  # would read the partition again is given up)
  done <- FALSE
  on.exit({
    m$close()
    if (task == "first") {
      m$release()
      partition_store$chunks[[key]] <- NULL
    } else if (done && m$complete()) {
      m$suspend()
      partition_store$models[[key]] <- list(m = m, family_set = spec$family_set)
    } else {
      m$release()
      partition_store$models[[key]] <- NULL
    }
  }, add = TRUE, after = FALSE)
  if (!is.null(spec$keep)) m$set_keep(spec$keep)  # (the columns left after aliased ones are dropped)
  if (task == "first") {
    # (a partition may have no rows left after the subset and na.action)
    value <- tryCatch(m$first_parts(), error = function(e) {
      if (grepl("no observations are left", conditionMessage(e))) NULL else stop(e)
    })
    return(list(value = value, read = m$rows_read(), rows = NA_real_))
  }
  value <- switch(task,
    aic = m$binomial_aic(theta, any_trials),
    fitted = m$fitted_sums(theta, info),
    edge = m$edge_sums(theta),
    pass = {
      m$set_null(null)
      sums <- NULL
      if (collect) {
        fam <- resolve_family(spec$family, spec$fun)
        sums <- chunk_sums(fam$family, fam$row, spec$model)
        m$collect(sums)
      }
      r <- tryCatch(m$pass_at(theta, curvature), error = function(e) {
        # a partition whose rows the subset or na.action removes entirely adds nothing
        if (grepl("no observation with positive weight", conditionMessage(e))) NULL else stop(e)
      })
      if (is.null(r)) r <- list(empty = TRUE)
      r$sums <- if (collect) sums$get()
      r
    })
  done <- TRUE
  list(value = value, read = m$rows_read() - before, rows = m$table_rows())
}

# The first pass on a partition: the schema from its first chunk when the
# model's columns (`spec$vars`) are numeric there (first_chunk_schema()),
# else from a pass over every row (for the factor levels of the rows that
# the model frames keep, as a single source's first pass); and the first chunk.
partition_scan <- function(src, spec) {
  vars <- spec$vars
  it <- source_open(src, "1st", "gradglm")
  chunk1 <- tryCatch(it$next_chunk(), finally = it$close())
  if (is.null(chunk1)) stop("the source returned no rows")
  schema <- first_chunk_schema(chunk1, src, vars)
  if (!is.null(schema)) return(list(value = schema, read = nrow(chunk1), rows = NA_real_, chunk1 = chunk1))
  rows <- frame_rows_of(spec$formula, spec$sigma, spec$weights, spec$offset, spec$subset, spec$na_fun, globalenv())
  schema <- scan_source(src, scan_columns(chunk1, vars), rows, "gradglm")
  schema$all_columns <- names(chunk1)  # (to compare the partitions' columns)
  list(value = schema, read = nrow(chunk1) + schema$n, rows = schema$n, chunk1 = chunk1)
}

# The tasks of one future: the partitions `keys` of a group, in turn; a
# failing one stops the group and is returned as its error.
partition_group <- function(parts, keys, task, args) {
  out <- vector("list", length(parts))
  for (i in seq_along(parts)) {
    out[[i]] <- tryCatch(do.call(partition_task, c(list(parts[[i]], keys[i], task), args)),
                         error = function(e) structure(list(message = conditionMessage(e)),
                                                       class = "gradglm_partition_error"))
    if (inherits(out[[i]], "gradglm_partition_error")) break
  }
  out
}

# Runs task() on every partition and returns their values, with the rows
# read from each partition's source as attribute "read" and its rows (NA
# where the task does not know them) as attribute "rows". The partitions go
# to the workers in fixed groups, one future per worker, partition i in group
# (i - 1) %% workers: a pass starts when every worker is free, and the future
# framework gives a new future the first free worker, so each worker gets the
# same partitions on every pass and serves them from what it keeps (a plan
# that gives no such order makes them read again). A failing partition (or
# worker) is named in the error, after every group has returned.
partition_map <- function(parts, fun, task, ...) {
  args <- list(...)
  workers <- suppressWarnings(future::nbrOfWorkers())
  workers <- if (is.finite(workers) && workers >= 1) min(as.integer(workers), length(parts)) else length(parts)
  groups <- split(seq_along(parts), (seq_along(parts) - 1L) %% workers)
  futures <- lapply(groups, function(g) {
    globals <- list(partition_group = partition_group, parts = unname(parts[g]), keys = as.character(g),
                    task = task, args = args)
    future::future(quote(partition_group(parts, keys, task, args)), substitute = FALSE, globals = globals,
                   packages = "gradglm", seed = NULL)
  })
  outs <- lapply(futures, function(f) tryCatch(future::value(f), error = function(e) e))
  values <- vector("list", length(parts))
  read <- numeric(length(parts))
  rows <- rep(NA_real_, length(parts))
  for (j in seq_along(groups)[order(vapply(groups, `[`, 1L, 1L))]) {
    g <- groups[[j]]
    o <- outs[[j]]
    if (inherits(o, "error")) {
      abort(fun, if (length(g) == 1L) "partition " else "one of the partitions ", quote_some(names(parts)[g]),
            " failed", if (inherits(o, "FutureError")) if (length(g) == 1L) " (its worker)" else " (their worker)",
            ": ", bare_message(o, fun))
    }
    for (i in seq_along(o)) {
      if (inherits(o[[i]], "gradglm_partition_error")) {
        abort(fun, "partition '", names(parts)[g[i]], "' failed: ", sub(paste0("^", fun, ": "), "", o[[i]]$message))
      }
      values[g[i]] <- list(o[[i]]$value)
      read[g[i]] <- o[[i]]$read
      rows[g[i]] <- o[[i]]$rows
    }
  }
  structure(values, read = read, rows = rows)
}

# the schemas of the partitions as one: the same columns, types that agree,
# and every level that occurs in any of them
merge_schemas <- function(schemas, fun) {
  # (a schema from the first chunk alone has the model's columns, and the
  # chunk's columns in all_columns)
  all_columns <- function(s) if (is.null(s$all_columns)) s$columns else s$all_columns
  first <- schemas[[1L]]
  ref <- all_columns(first)
  for (i in seq_along(schemas)[-1L]) {
    s <- schemas[[i]]
    only_first <- setdiff(ref, all_columns(s))
    only_this <- setdiff(all_columns(s), ref)
    if (length(only_first) || length(only_this)) {
      a <- names(schemas)[1L]
      b <- names(schemas)[i]
      abort(fun, "the partitions have different columns: ",
            paste(c(if (length(only_first)) paste0("'", a, "' has ", quote_some(only_first), " that '", b, "' lacks"),
                    if (length(only_this)) paste0("'", b, "' has ", quote_some(only_this), " that '", a, "' lacks")),
                  collapse = "; "))
    }
    for (v in intersect(first$columns, s$columns)) {
      a <- first$types[[v]]
      b <- s$types[[v]]
      if (a != b) {
        if (a == "logical") first$types[[v]] <- b else if (b != "logical") {
          abort(fun, "column '", v, "' is ", a, " in partition '", names(schemas)[1L], "' but ", b,
                " in partition '", names(schemas)[i], "'")
        }
      }
    }
    for (v in names(s$levels)) first$levels[[v]] <- union(first$levels[[v]], s$levels[[v]])
    for (v in names(s$unused)) first$unused[[v]] <- union(first$unused[[v]], s$unused[[v]])
    # (the columns of every schema: with one from the first chunk alone, the model's)
    first$columns <- intersect(first$columns, s$columns)
    first$given <- isTRUE(first$given) || isTRUE(s$given)
    first$n <- first$n + s$n
    first$chunks <- first$chunks + s$chunks
  }
  # a character column's levels sorted (as factor() sorts them), whichever
  # partition saw them first; a factor's in the order of its levels; those
  # of a column whose levels every partition orders alike (source_scan()'s
  # `order`) in that order, which they keep (else they have none)
  first$order <- list()
  first$ordered_columns <- character(0)  # (ordered factors where every partition that has them has them so)
  for (v in names(first$levels)) {
    has <- Filter(function(s) !is.null(s$levels[[v]]), schemas)
    if (length(has) && all(vapply(has, function(s) v %in% s$ordered_columns, NA))) first$ordered_columns <- c(first$ordered_columns, v)
    orders <- lapply(has, function(s) s$order[[v]])
    if (!any(vapply(orders, is.null, NA)) && all(vapply(orders, identical, NA, orders[[1L]]))) {
      first$order[[v]] <- orders[[1L]]
      first$levels[[v]] <- intersect(orders[[1L]], first$levels[[v]])
      next
    }
    sorted <- all(vapply(schemas, function(s) is.null(s$levels[[v]]) || identical(s$levels[[v]], sort(s$levels[[v]])), NA))
    if (sorted) first$levels[[v]] <- sort(first$levels[[v]])
  }
  # (values only in rows the model frames drop, in every partition that has them)
  for (v in names(first$unused)) first$unused[[v]] <- setdiff(first$unused[[v]], first$levels[[v]])
  first$unused <- Filter(length, first$unused)
  if (!length(first$unused)) first$unused <- NULL
  first$types <- first$types[first$columns]
  first$levels <- first$levels[intersect(names(first$levels), first$columns)]
  first$order <- first$order[intersect(names(first$order), first$columns)]
  first
}

# The model over partitions, with the interface of source_model() that
# source_fit() uses: the fit, a pass at theta, the null model, the sums of
# the first pass, the binomial AIC, the first chunk's parts.
partition_model <- function(partitions, formula, family, weights, sigma, offset, subset, na_fun, contrasts, fun) {
  fam <- resolve_family(family, fun)
  parts <- partitions$parts
  # (the rows read from each partition, and its rows once known)
  read <- numeric(length(parts))
  rows <- rep(NA_real_, length(parts))
  count <- function(out) {
    read <<- read + attr(out, "read")
    known <- !is.na(attr(out, "rows"))
    rows[known] <<- attr(out, "rows")[known]
    out
  }
  vars <- model_variables(formula, sigma, weights, offset, subset)
  token <- partition_token()
  # (the formulas travel to the workers without their environments: the
  # variables are the partitions' columns)
  environment(formula) <- globalenv()
  if (!is.null(sigma)) environment(sigma) <- globalenv()
  # (the first pass counts the levels of the rows that the model frames keep)
  scan_spec <- list(vars = vars, token = token, formula = formula, sigma = sigma, weights = weights,
                    offset = offset, subset = subset, na_fun = na_fun)
  schemas <- stats::setNames(count(partition_map(parts, fun, "scan", spec = scan_spec)), names(parts))
  schema <- merge_schemas(schemas, fun)
  # (token: what the workers keep of this fit; family_set: a count of the
  # family's changes, after which the kept models take the new one)
  spec <- list(formula = formula, family = fam$family, weights = weights, sigma = sigma, offset = offset,
               subset = subset, na_fun = na_fun, contrasts = contrasts, schema = schema, fun = fun,
               token = token, family_set = 0L)
  # the terms, from the shared schema (also checks the formula's variables)
  proto <- source_model(gradglm_source(function(reset = FALSE) if (!reset) NULL), formula, fam$family,
                        sigma = sigma, schema = schema, fun = fun)
  passes <- 1L
  null <- FALSE
  # (TRUE while a map waits for the workers: an interrupt leaves it so)
  mapping <- FALSE
  # a task on every partition, counting the rows read from the sources
  map <- function(task, ...) {
    mapping <<- TRUE
    out <- tryCatch(partition_map(parts, fun, task, ...), error = function(e) {
      mapping <<- FALSE  # (every group has returned)
      stop(e)
    })
    mapping <<- FALSE
    count(out)
  }
  sums <- NULL
  collected <- NULL  # (called after the pass that collects)
  tick <- function(status) NULL
  pass <- function(theta, curvature) {
    passes <<- passes + 1L
    tick(sprintf("pass %d on %d partitions", passes, length(parts)))
    collect <- !is.null(sums)
    rs <- map("pass", spec = spec, theta = theta, curvature = curvature, null = null, collect = collect)
    if (collect) {
      for (r in rs) sums$merge(r$sums)
      sums <<- NULL
      end <- collected
      collected <<- NULL
      if (!is.null(end)) end()
    }
    rs <- Filter(function(r) !isTRUE(r$empty), rs)
    if (!length(rs)) stop("the partitions hold no observation with positive weight")
    w <- vapply(rs, function(r) r$weight_sum, 0)
    add <- function(name) Reduce(`+`, Map(function(r, wi) wi * r[[name]], rs, w)) / sum(w)
    list(value = add("value"), gradient = if (curvature != "none") add("gradient") else numeric(0),
         hessian = if (curvature %in% c("observed", "fisher")) add("hessian") else matrix(0, 0, 0),
         weight_sum = sum(w), rows = sum(vapply(rs, function(r) r$rows, 0)),
         chunks = sum(vapply(rs, function(r) r$chunks, 0)),
         fisher_differs = any(vapply(rs, function(r) isTRUE(r$fisher_differs), NA)),
         n_boundary = sum(vapply(rs, function(r) if (is.null(r$n_boundary)) 0 else r$n_boundary, 0)))
  }
  first <- NULL
  list(schema = schema, terms = proto$terms, sigma_terms = proto$sigma_terms, intercept = proto$intercept,
       close = function() invisible(NULL),
       # the end of the fit: the workers drop what they keep of it (here at
       # once; on other workers by a task each, unless the fit stopped
       # while they were busy: they then drop it at the next partitioned fit
       # or when they end)
       release = function() {
         partition_release(spec$token)
         if (!mapping && !inherits(future::plan("next"), "sequential")) {
           try(partition_map(parts, fun, "release", spec = list(token = spec$token)), silent = TRUE)
         }
       },
       first_parts = function() {
         for (p in map("first", spec = spec)) if (!is.null(p)) return(first <<- p)
         abort(fun, "no observations are left after 'subset' and 'na.action' (missing values?)")
       },
       collect = function(s, at_end = NULL) {
         sums <<- s
         collected <<- at_end
         spec$model <<- list(kind = first$model$kind, likelihood = list(type = first$model$likelihood$type))
       },
       set_null = function(value) null <<- value,
       set_family = function(family) {
         spec$family <<- family
         spec$family_set <<- spec$family_set + 1L
       },
       set_keep = function(value) spec$keep <<- value,
       set_progress = function(f) tick <<- f,
       run = function(start, ctl, name, cov) fit_partitioned(pass, start, ctl, name, cov),
       pass_at = function(theta, curvature, threads = 1L) pass(theta, curvature),
       binomial_aic = function(coef, any_trials) {
         passes <<- passes + 1L
         sum(unlist(map("aic", spec = spec, theta = coef, any_trials = any_trials)))
       },
       fitted_sums = function(coef, info) {
         passes <<- passes + 1L
         Reduce(add_fitted_sums, map("fitted", spec = spec, theta = coef, info = info))
       },
       edge_sums = function(coef) {
         passes <<- passes + 1L
         edge <- fam$row$location_scale$edge
         Reduce(edge$add, Filter(Negate(is.null), map("edge", spec = spec, theta = coef)))
       },
       # the reads of the data: the rows read over the partitions' rows
       passes = function() passes, reads = function() sum(read) / sum(rows), cached = function() 0L,
       partitions = length(parts))
}
