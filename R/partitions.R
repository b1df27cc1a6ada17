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
#' closed after each pass). `gradglm(formula, data = gradglm_partitions(...))`
#' then fits the model by passes: each pass sends the coefficients to the
#' workers, every worker passes over its partition's rows in chunks and
#' returns the sums of the loss, its gradient and curvature, and the sums are
#' added. The workers are those of the `future` framework: the plan set with
#' [future::plan()] (`multisession` on this machine, `cluster` on machines
#' reached over SSH, `future.batchtools` on a scheduler).
#'
#' Each pass reads every partition again (the workers keep no state between
#' passes), so the time of a pass is that of the slowest partition. The
#' first pass learns the columns and factor levels of every partition; the
#' partitions must have the same columns. `weights`, `offset` and `subset` of
#' [gradglm()] are evaluated in the partition's columns on the worker.
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
    if (is.character(p)) return(gradglm_source(p, chunk_size = chunk_size, cache = 0))
    if (inherits(p, "gradglm_source")) {
      if (p$kind == "dbi") {
        abort(fun, "partition '", nm[i], "' holds a database connection, which cannot travel to a worker: give ",
              "a function that opens it there, such as function() gradglm_source(DBI::dbConnect(...), \"query\")")
      }
      p$cache <- 0
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

# One task on a worker: the partition's source is made there (a function
# partition opens its connection, closed at the end), and the model built
# from the shared schema. Tasks: "scan" (the first pass: the schema),
# "first" (the first chunk's parts, for the start), "pass" (a pass at theta:
# chunked_pass()'s sums, and the chunk_sums() when `collect`), "aic" (the
# binomial AIC at theta), "fitted" (the sums at the fitted means) and "edge"
# (a location-scale row's edge sums at theta).
partition_task <- function(part, task, spec, theta = NULL, curvature = "none", null = FALSE, collect = FALSE,
                           any_trials = FALSE, info = NULL) {
  src <- if (is.function(part)) part() else part
  if (!inherits(src, "gradglm_source")) stop("the partition's function did not return a gradglm_source()")
  if (is.function(part) && identical(src$kind, "dbi")) on.exit(DBI::dbDisconnect(src$con), add = TRUE)
  src$cache <- 0
  if (task == "scan") return(source_scan(src))
  m <- source_model(src, spec$formula, spec$family, weights = spec$weights, sigma = spec$sigma,
                    offset = spec$offset, subset = spec$subset, na_fun = spec$na_fun,
                    contrasts = spec$contrasts, env = globalenv(), schema = spec$schema, fun = spec$fun)
  on.exit(m$close(), add = TRUE, after = FALSE)  # (before the connection is closed)
  if (!is.null(spec$keep)) m$set_keep(spec$keep)  # (the columns left after aliased ones are dropped)
  if (task == "first") {
    # (a partition may have no rows left after the subset and na.action)
    return(tryCatch(m$first_parts(), error = function(e) {
      if (grepl("no observations are left", conditionMessage(e))) NULL else stop(e)
    }))
  }
  if (task == "aic") return(m$binomial_aic(theta, any_trials))
  if (task == "fitted") return(m$fitted_sums(theta, info))
  if (task == "edge") return(m$edge_sums(theta))
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
  if (is.null(r)) return(list(empty = TRUE, sums = if (collect) sums$get()))
  r$sums <- if (collect) sums$get()
  r
}

# Runs task() on every partition, one future each, and returns their values;
# a failing partition (or worker) is named in the error.
partition_map <- function(parts, fun, task, ...) {
  args <- list(...)
  futures <- lapply(seq_along(parts), function(i) {
    globals <- c(list(partition_task = partition_task, part = parts[[i]], task = task), args)
    call <- as.call(c(list(quote(partition_task), quote(part), quote(task)),
                      stats::setNames(lapply(names(args), as.name), names(args))))
    future::future(call, substitute = FALSE, globals = globals, packages = "gradglm", seed = NULL)
  })
  lapply(seq_along(futures), function(i) {
    tryCatch(future::value(futures[[i]]), error = function(e) {
      abort(fun, "partition '", names(parts)[i], "' failed", if (inherits(e, "FutureError")) " (its worker)",
            ": ", bare_message(e, fun))
    })
  })
}

# the schemas of the partitions as one: the same columns, types that agree,
# and every level that occurs in any of them
merge_schemas <- function(schemas, fun) {
  first <- schemas[[1L]]
  for (i in seq_along(schemas)[-1L]) {
    s <- schemas[[i]]
    if (!setequal(s$columns, first$columns)) {
      abort(fun, "the partitions have different columns: '", names(schemas)[1L], "' has ",
            quote_some(setdiff(first$columns, s$columns)), " that '", names(schemas)[i], "' lacks",
            if (length(extra <- setdiff(s$columns, first$columns))) paste0(" and lacks ", quote_some(extra)))
    }
    for (v in first$columns) {
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
    first$n <- first$n + s$n
    first$chunks <- first$chunks + s$chunks
  }
  # a character column's levels sorted (as factor() sorts them), whichever
  # partition saw them first; a factor's in the order of its levels
  for (v in names(first$levels)) {
    sorted <- all(vapply(schemas, function(s) is.null(s$levels[[v]]) || identical(s$levels[[v]], sort(s$levels[[v]])), NA))
    if (sorted) first$levels[[v]] <- sort(first$levels[[v]])
  }
  first
}

# The model over partitions, with the interface of source_model() that
# source_fit() uses: the fit, a pass at theta, the null model, the sums of
# the first pass, the binomial AIC, the first chunk's parts.
partition_model <- function(partitions, formula, family, weights, sigma, offset, subset, na_fun, contrasts, fun) {
  fam <- resolve_family(family, fun)
  parts <- partitions$parts
  schemas <- stats::setNames(partition_map(parts, fun, "scan"), names(parts))
  schema <- merge_schemas(schemas, fun)
  # (the formulas travel to the workers without their environments: the
  # variables are the partitions' columns)
  environment(formula) <- globalenv()
  if (!is.null(sigma)) environment(sigma) <- globalenv()
  spec <- list(formula = formula, family = fam$family, weights = weights, sigma = sigma, offset = offset,
               subset = subset, na_fun = na_fun, contrasts = contrasts, schema = schema, fun = fun)
  # the terms, from the shared schema (also checks the formula's variables)
  proto <- source_model(gradglm_source(function(reset = FALSE) if (!reset) NULL), formula, fam$family,
                        sigma = sigma, schema = schema, fun = fun)
  passes <- 1L
  null <- FALSE
  sums <- NULL
  tick <- function(status) NULL
  pass <- function(theta, curvature) {
    passes <<- passes + 1L
    tick(sprintf("pass %d on %d partitions", passes, length(parts)))
    collect <- !is.null(sums)
    rs <- partition_map(parts, fun, "pass", spec = spec, theta = theta, curvature = curvature, null = null,
                        collect = collect)
    if (collect) {
      for (r in rs) sums$merge(r$sums)
      sums <<- NULL
    }
    rs <- Filter(function(r) !isTRUE(r$empty), rs)
    if (!length(rs)) stop("the partitions hold no observation with positive weight")
    w <- vapply(rs, function(r) r$weight_sum, 0)
    add <- function(name) Reduce(`+`, Map(function(r, wi) wi * r[[name]], rs, w)) / sum(w)
    list(value = add("value"), gradient = if (curvature != "none") add("gradient") else numeric(0),
         hessian = if (curvature %in% c("observed", "fisher")) add("hessian") else matrix(0, 0, 0),
         weight_sum = sum(w), rows = sum(vapply(rs, function(r) r$rows, 0)),
         chunks = sum(vapply(rs, function(r) r$chunks, 0)),
         fisher_differs = any(vapply(rs, function(r) isTRUE(r$fisher_differs), NA)))
  }
  first <- NULL
  list(schema = schema, terms = proto$terms, sigma_terms = proto$sigma_terms, intercept = proto$intercept,
       close = function() invisible(NULL),
       first_parts = function() {
         for (p in partition_map(parts, fun, "first", spec = spec)) if (!is.null(p)) return(first <<- p)
         abort(fun, "no observations are left after 'subset' and 'na.action' (missing values?)")
       },
       collect = function(s) {
         sums <<- s
         spec$model <<- list(kind = first$model$kind, likelihood = list(type = first$model$likelihood$type))
       },
       set_null = function(value) null <<- value,
       set_family = function(family) spec$family <<- family,
       set_keep = function(value) spec$keep <<- value,
       set_progress = function(f) tick <<- f,
       run = function(start, ctl, name, cov) fit_partitioned(pass, start, ctl, name, cov),
       pass_at = function(theta, curvature, threads = 1L) pass(theta, curvature),
       binomial_aic = function(coef, any_trials) {
         passes <<- passes + 1L
         sum(unlist(partition_map(parts, fun, "aic", spec = spec, theta = coef, any_trials = any_trials)))
       },
       fitted_sums = function(coef, info) {
         passes <<- passes + 1L
         Reduce(add_fitted_sums, partition_map(parts, fun, "fitted", spec = spec, theta = coef, info = info))
       },
       edge_sums = function(coef) {
         passes <<- passes + 1L
         edge <- fam$row$location_scale$edge
         Reduce(edge$add, Filter(Negate(is.null), partition_map(parts, fun, "edge", spec = spec, theta = coef)))
       },
       passes = function() passes, reads = function() passes, cached = function() 0L,
       partitions = length(parts))
}
