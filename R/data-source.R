# Data sources read in chunks: a DBI query, CSV files, or a function that
# returns the next chunk. A source is a small description (no rows); each
# pass over it opens, reads chunk by chunk and closes again, so that the rows
# never sit in memory together. The first pass (source_scan()) learns the
# columns, their types, the levels of every factor and the row count; every
# later pass converts its chunks to that schema (source_frame()), so that
# model frames and model matrices built per chunk match those of the whole
# data.

#' Data read in chunks: a database query, CSV files, or a function
#'
#' Describes data that are read chunk by chunk instead of being held in
#' memory together: the rows of an SQL query on a DBI connection (for
#' example an SQLite file through RSQLite), a set of CSV files, or a
#' function that returns one chunk per call. The object holds no rows; each
#' pass over the data opens the source, reads it chunk by chunk and closes
#' it.
#'
#' A function source follows the convention of `biglm::bigglm()`:
#' `x(reset = TRUE)` starts again from the first chunk (its value is
#' ignored), and `x(reset = FALSE)` returns the next chunk as a data frame,
#' or `NULL` after the last one.
#'
#' Only the columns a model uses need be numeric, logical, character or
#' factor; the others (dates, binary objects) are left alone, unless the
#' formula takes every column (`y ~ .`).
#'
#' @param x A DBI connection (with `query`), a dplyr table of a database
#'   (with dbplyr: its query is run, selecting the model's columns), a
#'   character vector of CSV file paths,
#'   or a function `function(reset = FALSE)` as described below.
#' @param query For a DBI connection: an SQL query, or the name of a table
#'   (all of its rows; a fit reads only the columns its model uses, so that
#'   a wide table costs what its used columns cost). A query is run as
#'   written: select the model's columns in it.
#' @param chunk_size Rows per chunk for a query or CSV files (a function
#'   decides its own chunks).
#' @param cache Megabytes of model matrices that a fit keeps in memory
#'   between its passes (default 256): the chunks of the first pass that fit
#'   in it (the last ones) are not read again. The process needs about twice
#'   this much memory beyond its chunks (R frees the chunks' garbage in
#'   rounds). 0 keeps no chunk, in memory or on disk: every pass reads the
#'   source again. The epochs of `optimizer = "sgd"` or `"adam"` visit the
#'   cached chunks in a random order, with the chunks read again at random
#'   places among them.
#' @param levels Optionally, the levels of factor (or character) columns, a
#'   named list of character vectors in the order of their levels. When
#'   every factor column of a model has its levels here, a fit needs no first
#'   pass over the rows to learn them (a level not listed is an error that
#'   names it and its chunk). The response of [ordinal()] needs its levels
#'   in order, from the lowest to the highest: given here (text in a table
#'   or a file has no order), or as an ordered factor in every chunk.
#' @param cache_dir A directory where a fit keeps, in a temporary file, the
#'   chunks that do not fit in `cache` (default [tempdir()]): later passes
#'   read their model matrices from that file instead of reading the source
#'   again, which is many times faster than a database query or parsing CSV.
#'   The file takes about as much space as the model's numbers (8 bytes per
#'   value: a 2e7 x 20 design takes 3.4 GB) and is deleted when the fit
#'   ends, also on an error or an interrupt. If writing it fails (for
#'   example a full disk), the fit warns and reads those chunks from the
#'   source again. `NULL`: no file, the chunks beyond `cache` are read again
#'   on every pass.
#' @param ... For CSV files: arguments passed to [utils::read.csv()] (for
#'   example `sep`, `dec`, `na.strings`, and `fileEncoding`, the encoding the
#'   files are read in), except `header`, `nrows` and `skip`. A chunk is
#'   `chunk_size` records, whose quoted fields may hold line breaks. A
#'   file's chunks are read in the column classes of its first 1,000
#'   records (numbers as numbers, several times faster than guessing each
#'   column in each chunk; not when the file puts its numbers in quotes);
#'   a first chunk whose columns change type further on is read again with
#'   its classes guessed, and its classes serve the later chunks. Not when
#'   `colClasses` or `numerals` is given. A later chunk with a number in
#'   quotes in a numeric column is read again (from the file's start), that
#'   column as text converted to numbers from there on: a number in quotes
#'   is that number, as [utils::read.csv()] of the whole file reads it. Text
#'   in a column that is numeric in the file's first chunk is an error that
#'   names the column and its row (read.csv() of the whole file would read
#'   the column as text): give the column's type in `colClasses` (as in
#'   `colClasses = c(id = "character")`). A column of `TRUE` and `FALSE` in
#'   some chunks (also written `T`, `true`, ...) and text in others is text,
#'   its `TRUE` and `FALSE` levels as written, as read.csv() of the whole
#'   file reads it. A file whose header is one field
#'   short (row names written by `write.table()`) has its first column taken
#'   for row names, as `read.csv()` does, in every chunk; `row.names` may
#'   give the number of such a column in a file with a full header.
#' @section SQLite files:
#' A query on an RSQLite connection to a database file is read by the
#' package's own reader where gradglm was built with SQLite's library
#' (found by its configure script; Debian's libsqlite3-dev): it opens the
#' file read-only on a connection of its own, runs the same query, and puts
#' the values straight into the chunk's columns, about three times as fast as
#' `DBI::dbFetch()`, whose work on each value is most of a chunked fit's
#' time. The chunks are those DBI gives, with integer columns as doubles (as
#' a fit reads every numeric column). Where the reader would not see what the
#' connection sees, the query is read through DBI: a database in memory or a
#' temporary one, an open transaction, attached databases, temporary tables
#' or views, RSQLite's extended types, two result columns of one name, or a
#' query the reader cannot prepare (a function of an extension loaded on the
#' connection). `options(gradglm.sqlite_reader = FALSE)` reads every query
#' through DBI.
#' @section Optimizers:
#' A fit from a source runs Newton's method by default (one pass per
#' iteration), or `"lbfgs"` and `"gd"` (one pass per step). `"sgd"` and
#' `"adam"` train by epochs, one pass each: the chunks come in a random order
#' as far as the source allows (the cached ones in any order, those read
#' again in the source's order), the rows of each chunk are shuffled, and a
#' chunk's last rows share a minibatch with the next chunk's first ones. They
#' start where they start in memory (for a GLM the intercept at the link of
#' the first chunk's mean response) and work on coefficients standardised by
#' the first chunk's columns. A `validation` share is refused (held-out rows
#' would have to stay in memory): hold out rows in the query instead.
#' @return An object of class `"gradglm_source"`.
#' @seealso [source_scan()] for the pass that learns the columns and levels.
#' @examples
#' chunks <- split(mtcars, rep(1:4, length.out = nrow(mtcars)))
#' i <- 0
#' next_chunk <- function(reset = FALSE) {
#'   if (reset) {
#'     i <<- 0
#'     return(NULL)
#'   }
#'   i <<- i + 1
#'   if (i > length(chunks)) NULL else chunks[[i]]
#' }
#' src <- gradglm_source(next_chunk)
#' src
#' source_scan(src)$n
#'
#' csv <- tempfile(fileext = ".csv")
#' write.csv(mtcars, csv, row.names = FALSE)
#' source_scan(gradglm_source(csv, chunk_size = 10))$n
#' unlink(csv)
#' @export
gradglm_source <- function(x, query = NULL, chunk_size = 100000, cache = 256, levels = NULL, cache_dir = tempdir(),
                           ...) {
  fun <- "gradglm_source"
  if (!is.numeric(chunk_size) || length(chunk_size) != 1L || is.na(chunk_size) || chunk_size < 1 ||
      chunk_size != round(chunk_size)) {
    abort(fun, "'chunk_size' must be one whole number of at least 1")
  }
  chunk_size <- as.integer(min(chunk_size, .Machine$integer.max))
  if (!is.numeric(cache) || length(cache) != 1L || is.na(cache) || cache < 0) {
    abort(fun, "'cache' must be one number of megabytes, 0 or more")
  }
  if (!is.null(cache_dir) && (!is.character(cache_dir) || length(cache_dir) != 1L || is.na(cache_dir) ||
                              !dir.exists(cache_dir))) {
    abort(fun, "'cache_dir' must be NULL or the path of an existing directory",
          if (is.character(cache_dir) && length(cache_dir) == 1L && !is.na(cache_dir)) paste0(" (not ", cache_dir, ")"))
  }
  if (!is.null(levels) && (!is.list(levels) || is.null(names(levels)) || any(!nzchar(names(levels))) ||
                           !all(vapply(levels, function(l) is.character(l) && !anyNA(l) && !anyDuplicated(l), NA)))) {
    abort(fun, "'levels' must be a named list of character vectors (the levels of factor columns, in order)")
  }
  src <- new_source(x, query, chunk_size, fun, ...)
  src$cache <- as.numeric(cache)
  # (the default is the R session's temporary directory at the time of the
  # fit: a source saved and loaded in another session finds its own)
  src$cache_dir <- if (missing(cache_dir)) "" else if (!is.null(cache_dir)) normalizePath(cache_dir)
  src$levels <- levels
  src
}

new_source <- function(x, query, chunk_size, fun, ...) {
  if (inherits(x, "tbl_lazy")) {
    # a dplyr table of a database: its connection and its SQL
    if (!requireNamespace("dbplyr", quietly = TRUE)) abort(fun, "a dplyr table needs the dbplyr package")
    if (!is.null(query)) abort(fun, "'query' is given by the dplyr table itself")
    src <- new_source(dbplyr::remote_con(x), as.character(dbplyr::sql_render(x)), chunk_size, fun)
    src$lazy <- x  # (narrowed to a model's columns by source_for_columns())
    return(src)
  }
  if (is.function(x)) {
    if (!is.null(query)) abort(fun, "'query' is for a DBI connection, not for a function")
    if (!"reset" %in% names(formals(x)) && !"..." %in% names(formals(x))) {
      abort(fun, "a function source takes an argument 'reset' (x(reset = TRUE) starts again from the ",
            "first chunk; x() returns the next chunk, or NULL after the last)")
    }
    return(structure(list(kind = "function", fun = x), class = "gradglm_source"))
  }
  if (is.character(x)) {
    if (!is.null(query)) abort(fun, "'query' is for a DBI connection, not for CSV files")
    if (!length(x) || anyNA(x)) abort(fun, "'x' must name at least one CSV file, without NA")
    missing <- x[!file.exists(x)]
    if (length(missing)) abort(fun, "file(s) not found: ", quote_some(missing))
    args <- list(...)
    # (read.csv() passes its arguments on to read.table(): a misspelt one would fail every chunk)
    if (length(args) && (is.null(names(args)) || any(!nzchar(names(args))))) {
      abort(fun, "the arguments in '...' go to read.csv() and must be named, as in sep = \";\"")
    }
    unknown <- setdiff(names(args), names(formals(utils::read.table)))
    if (length(unknown)) {
      abort(fun, "unknown argument(s) ", quote_some(unknown), " for read.csv()",
            if ("chunksize" %in% tolower(unknown)) " (the chunks' size is 'chunk_size')")
    }
    bad <- intersect(names(args), c("header", "nrows", "skip", "file"))
    if (length(bad)) abort(fun, "the CSV reader sets ", quote_some(bad), " itself")
    rn <- args$row.names
    if ("row.names" %in% names(args) &&
        (!is.numeric(rn) || length(rn) != 1L || is.na(rn) || rn < 1 || rn != round(rn))) {
      abort(fun, "'row.names' of the CSV reader must be the number of the files' column of row names ",
            "(a header one field short is found without it)")
    }
    return(structure(list(kind = "csv", files = normalizePath(x), chunk_size = chunk_size, read_args = args),
                     class = "gradglm_source"))
  }
  if (inherits(x, "DBIConnection")) {
    if (!requireNamespace("DBI", quietly = TRUE)) abort(fun, "a database source needs the DBI package")
    if (!is.character(query) || length(query) != 1L || is.na(query) || !nzchar(query)) {
      abort(fun, "'query' must be one SQL query or table name")
    }
    table <- NULL
    # (a name without spaces is a table's; so is one with spaces that names a table)
    named <- !grepl("\\s", trimws(query)) ||
      isTRUE(tryCatch(DBI::dbExistsTable(x, query), error = function(e) FALSE))
    if (named) {
      if (!DBI::dbExistsTable(x, query)) abort(fun, "'query': no table ", dQuote(query, FALSE), " in the database")
      table <- query
      query <- paste("SELECT * FROM", DBI::dbQuoteIdentifier(x, query))
    }
    return(structure(list(kind = "dbi", con = x, query = query, table = table, chunk_size = chunk_size),
                     class = "gradglm_source"))
  }
  abort(fun, "'x' must be a DBI connection (with 'query'), a character vector of CSV files or a function, ",
        "not ", class(x)[1L])
}

# The source of a table (or a dplyr table) read for a model that uses the
# columns `vars` ("." for all): the query selects only those (in the table's
# order), so that the other columns are neither fetched nor checked. A query
# of the user's and other kinds of source are read whole.
source_for_columns <- function(source, vars) {
  if (!identical(source$kind, "dbi") || (is.null(source$table) && is.null(source$lazy)) || "." %in% vars) {
    return(source)
  }
  fields <- tryCatch(if (is.null(source$lazy)) DBI::dbListFields(source$con, source$table) else colnames(source$lazy),
                     error = function(e) NULL)
  cols <- fields[fields %in% vars]
  if (!length(cols) || length(cols) == length(fields)) return(source)
  source$query <- if (is.null(source$lazy)) {
    paste("SELECT", paste(DBI::dbQuoteIdentifier(source$con, cols), collapse = ", "), "FROM",
          DBI::dbQuoteIdentifier(source$con, source$table))
  } else {
    as.character(dbplyr::sql_render(dplyr::select(source$lazy, dplyr::all_of(cols))))
  }
  source
}

#' @export
print.gradglm_source <- function(x, ...) {
  cat("<gradglm_source> ")
  switch(x$kind,
         "function" = cat("chunks from a function\n"),
         csv = cat(length(x$files), " CSV file(s), chunks of ", x$chunk_size, " rows: ",
                   paste(basename(utils::head(x$files, 3L)), collapse = ", "),
                   if (length(x$files) > 3L) ", ...", "\n", sep = ""),
         dbi = cat("the query ", dQuote(x$query, FALSE), " in chunks of ", x$chunk_size, " rows\n", sep = ""))
  invisible(x)
}

# file(path, open = open), or an error whose message says why the file could
# not be opened. R's file() warns (with the reason) before it fails; a
# handler that leaves file() at that warning (tryCatch(warning = ), or
# options(warn = 2)) would leave a half-made connection in R's table, whose
# identity R lets the garbage collector free: a later getConnection() of it
# (future does that for every future) reads freed memory and can crash R.
# So the warning is kept and muffled, and file() goes on to clean up and fail.
open_file <- function(path, open, encoding = getOption("encoding")) {
  why <- NULL
  withCallingHandlers(
    tryCatch(file(path, open = open, encoding = encoding), error = function(e) {
      stop(if (is.null(why)) conditionMessage(e) else why, call. = FALSE)
    }),
    warning = function(w) {
      why <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    })
}

# One pass over a source as an iterator: list(next_chunk = function() the
# next chunk (a data frame with rows) or NULL at the end, close = function(),
# index = function() the number of the chunk last read). Errors name the
# chunk and the pass; close() releases the file or result set and may be
# called more than once.
source_open <- function(src, pass, fun = "gradglm") {
  k <- 0L
  closed <- FALSE
  fail <- function(e, where = "") {
    abort(fun, "reading chunk ", k, where, " of the ", pass, " pass failed: ", conditionMessage(e))
  }
  checked <- function(chunk) {
    if (!is.null(chunk) && !is.data.frame(chunk)) {
      abort(fun, "chunk ", k, " of the ", pass, " pass is a ", class(chunk)[1L], ", not a data frame")
    }
    chunk
  }
  switch(src$kind,
    "function" = {
      tryCatch(src$fun(reset = TRUE), error = function(e) {
        abort(fun, "restarting the function source for the ", pass, " pass failed: ", conditionMessage(e))
      })
      next_chunk <- function() {
        repeat {
          if (closed) return(NULL)
          k <<- k + 1L
          chunk <- checked(tryCatch(src$fun(reset = FALSE), error = fail))
          if (is.null(chunk)) {
            k <<- k - 1L
            closed <<- TRUE
            return(NULL)
          }
          if (nrow(chunk)) return(chunk)
        }
      }
      close <- function() closed <<- TRUE
    },
    csv = {
      file_i <- 0L
      con <- NULL
      header <- NULL
      classes <- NULL  # (the file's column classes: from its first records, or its first chunk)
      row_col <- NULL  # (the position of the file's column of row names, if it has one)
      done_file <- TRUE
      file_k <- 0L  # (the chunks of the current file read so far)
      where <- ""  # (" (file name)", for the messages about the current file)
      encoding <- if (is.null(src$read_args$fileEncoding)) getOption("encoding") else src$read_args$fileEncoding
      close <- function() {
        if (!is.null(con)) try(base::close(con), silent = TRUE)
        con <<- NULL
        closed <<- TRUE
      }
      # A later chunk whose reading failed in the file's numeric columns
      # (scan() reads no field in quotes as a number: a writer may quote some
      # fields, or every field from some row on), read again: the file opened
      # again and its chunks before this one skipped (read as they were, their
      # fields not kept), then this chunk read with those columns as text,
      # converted as read.csv() converts them (a number in quotes is that
      # number). A column that is not numeric is an error that names it and
      # its row; the columns of the field that failed are read as text (and
      # converted) in the file's later chunks.
      reread <- function(e) {
        base::close(con)
        con <<- NULL
        con <<- tryCatch(open_file(src$files[file_i], "r", encoding), error = function(e) fail(e, where))
        num <- which(classes %in% "numeric")
        skip <- rep("NULL", length(classes))
        for (i in seq_len(file_k - 1L)) {
          tryCatch(read_csv_chunk(con, if (i > 1L) header, src$chunk_size, src$read_args, skip, row_col),
                   error = function(e) fail(e, where))
        }
        text <- classes
        text[num] <- NA_character_
        chunk <- tryCatch(read_csv_chunk(con, header, src$chunk_size, src$read_args, text, row_col),
                          error = function(e) fail(e, where))
        if (is.null(chunk)) fail(e, where)
        dec <- if (is.null(src$read_args$dec)) "." else src$read_args$dec
        for (j in num) {
          x <- chunk[[j]]
          if ((is.numeric(x) && !is.object(x)) || (is.logical(x) && all(is.na(x))) || blank_text(x)) next
          i <- first_non_number(as.character(x), dec)
          fail(simpleError(paste0(
            "column ", sQuote(names(chunk)[j], FALSE), " is numeric in the file's first chunk but has the value ",
            dQuote(x[i], FALSE), " in its row ", (file_k - 1) * src$chunk_size + i, " (after the header)",
            csv_type_hint(src, names(chunk)[j]))), where)
        }
        # (the columns that hold the field that failed, where the message
        # names it: text from here on; else all the numeric ones)
        field <- sub("^.*got '(.*)'.*$", "\\1", conditionMessage(e))
        quotes <- strsplit(if (is.null(src$read_args$quote)) "\"" else src$read_args$quote, "")[[1L]]
        if (nchar(field) >= 2L && substr(field, 1L, 1L) %in% quotes) field <- substr(field, 2L, nchar(field) - 1L)
        value <- suppressWarnings(utils::type.convert(field, as.is = TRUE, dec = dec))
        hit <- if (is.numeric(value) && !is.na(value)) {
          num[vapply(num, function(j) any(chunk[[j]] == value, na.rm = TRUE), NA)]
        }
        classes[if (length(hit)) hit else num] <<- NA_character_
        chunk
      }
      next_chunk <- function() {
        repeat {
          if (closed) return(NULL)
          if (done_file) {
            if (!is.null(con)) base::close(con)
            con <<- NULL
            file_i <<- file_i + 1L
            if (file_i > length(src$files)) {
              close()
              return(NULL)
            }
            where <<- paste0(" (file ", basename(src$files[file_i]), ")")
            # (a file that cannot be opened fails its first chunk)
            con <<- tryCatch(open_file(src$files[file_i], "r", encoding), error = function(e) {
              k <<- k + 1L
              fail(e, where)
            })
            header <<- NULL
            file_k <<- 0L
            probe <- csv_probe_classes(src$files[file_i], src$read_args, encoding, min(src$chunk_size, 1000L),
                                       src$text_columns)
            classes <<- probe$classes
            row_col <<- probe$row_col
            done_file <<- FALSE
          }
          k <<- k + 1L
          file_k <<- file_k + 1L
          # the first chunk in the classes of the file's first records; one
          # with a column whose type changes further on is read again, its
          # classes guessed (as the later chunks are read in the first's)
          first_typed <- is.null(header) && !is.null(classes)
          if (first_typed) {
            chunk <- tryCatch(read_csv_chunk(con, NULL, src$chunk_size, src$read_args, classes, row_col),
                              error = identity)
            if (inherits(chunk, "error")) {
              base::close(con)
              con <<- NULL
              con <<- tryCatch(open_file(src$files[file_i], "r", encoding), error = function(e) fail(e, where))
              classes <<- NULL
              first_typed <- FALSE
            }
          }
          if (!first_typed) {
            chunk <- tryCatch(read_csv_chunk(con, header, src$chunk_size, src$read_args, classes, row_col),
                              error = function(e) {
                                if (is.null(header) || !any(classes %in% "numeric")) fail(e, where)
                                reread(e)
                              })
          }
          if (is.null(chunk) || nrow(chunk) < src$chunk_size) done_file <<- TRUE
          if (is.null(chunk) || !nrow(chunk)) {
            k <<- k - 1L
            next
          }
          if (is.null(header) && is.null(classes)) {
            row_col <<- csv_row_names_column(chunk, src$read_args)
            classes <<- csv_classes(chunk, src$read_args,
                                    csv_first_record_quoted(src$files[file_i], src$read_args, encoding), row_col)
          }
          header <<- names(chunk)
          return(chunk)
        }
      }
    },
    dbi = if (!is.null(reader <- {
      check_dbi_connection(src, fun)
      sqlite_native_open(src)
    })) {
      # (an SQLite file: read by the package's reader, see sqlite_native_open())
      close <- function() {
        if (!closed) sqlite_reader_close(reader)
        closed <<- TRUE
      }
      warned <- FALSE
      next_chunk <- function() {
        if (closed) return(NULL)
        k <<- k + 1L
        cols <- tryCatch(sqlite_reader_fetch(reader, src$chunk_size), error = fail)
        conv <- attr(cols, "converted")
        attr(cols, "converted") <- NULL
        n <- length(cols[[1L]])
        if (!n) {
          k <<- k - 1L
          close()
          return(NULL)
        }
        if (length(conv) && !warned) {
          warned <<- TRUE
          warning(fun, ": column(s) ", quote_some(attr(reader, "columns")[conv]), " of the query mix numbers and text ",
                  "(chunk ", k, "): read as the column's first values, as DBI::dbFetch() reads them",
                  call. = FALSE)
        }
        structure(stats::setNames(cols, attr(reader, "columns")), class = "data.frame", row.names = c(NA_integer_, -n))
      }
    } else {
      res <- tryCatch(DBI::dbSendQuery(src$con, src$query), error = function(e) {
        abort(fun, "the query of the ", pass, " pass failed: ", conditionMessage(e))
      })
      close <- function() {
        if (!closed) try(DBI::dbClearResult(res), silent = TRUE)
        closed <<- TRUE
      }
      next_chunk <- function() {
        if (closed) return(NULL)
        if (k > 0L && DBI::dbHasCompleted(res)) {
          close()
          return(NULL)
        }
        k <<- k + 1L
        chunk <- tryCatch(DBI::dbFetch(res, n = src$chunk_size), error = fail)
        if (!nrow(chunk)) {
          k <<- k - 1L
          close()
          return(NULL)
        }
        chunk
      }
    })
  list(next_chunk = next_chunk, close = close, index = function() k)
}

# The package's own reader of a query on an RSQLite connection to a database
# file (src/sqlite_reader.cpp: about three times as fast as dbFetch(), whose
# per-value work is most of a chunked fit's time), or NULL where the query is
# read through DBI: the package built without SQLite's library, option
# gradglm.sqlite_reader = FALSE, a database in memory or a temporary one,
# RSQLite's extended types (dates and times), an open transaction (whose
# changes only its own connection sees), attached databases or temporary
# tables and views (likewise), a result with two columns of one name, or a
# query that the reader cannot prepare (an extension's function, say). The
# reader opens the file read-only with its own connection and runs the same
# query, so it reads what a new connection to the file would read.
sqlite_native_open <- function(src) {
  con <- src$con
  if (!isTRUE(getOption("gradglm.sqlite_reader", TRUE)) || !sqlite_reader_available() ||
      !inherits(con, "SQLiteConnection") || !isS4(con)) {
    return(NULL)
  }
  path <- tryCatch(con@dbname, error = function(e) "")
  if (!is.character(path) || length(path) != 1L || !nzchar(path) || path == ":memory:" ||
      startsWith(path, "file:") || !file.exists(path) || isTRUE(tryCatch(con@extended_types, error = function(e) TRUE))) {
    return(NULL)
  }
  plain <- tryCatch({
    dbs <- DBI::dbGetQuery(con, "PRAGMA database_list")
    temp <- DBI::dbGetQuery(con, "SELECT count(*) AS n FROM temp.sqlite_master")
    !RSQLite::sqliteIsTransacting(con) && all(dbs$name %in% c("main", "temp")) && temp$n[1L] == 0
  }, error = function(e) FALSE)
  if (!isTRUE(plain)) return(NULL)
  reader <- tryCatch(sqlite_reader_open(normalizePath(path), src$query), error = function(e) NULL)
  if (is.null(reader) || anyDuplicated(attr(reader, "columns"))) {
    if (!is.null(reader)) sqlite_reader_close(reader)
    return(NULL)
  }
  reader
}

# Calls f(chunk, k) for each chunk k = 1, 2, ... of one pass; the source is
# closed at the end, on an error and on an interrupt. Returns the number of
# chunks read.
source_each <- function(src, f, pass, fun = "gradglm") {
  it <- source_open(src, pass, fun)
  on.exit(it$close(), add = TRUE)
  while (!is.null(chunk <- it$next_chunk())) f(chunk, it$index())
  it$index()
}

# the next chunk of an open CSV connection: the first (header = NULL) reads
# the column names from the file; NULL at the end of the file.
# read.csv() reads from where the connection is, whole records: a quoted
# field may hold line breaks, so that a chunk is not a number of lines.
# `row_col`: the position of the file's column of row names, or NULL (read
# as text and dropped; `classes` and `header` are of the other columns).
read_csv_chunk <- function(con, header, chunk_size, args, classes = NULL, row_col = NULL) {
  args$file <- con
  if (!is.null(classes)) {
    args$colClasses <- if (is.null(row_col)) classes else append(classes, "character", after = row_col - 1L)
  }
  # (the columns whose class is guessed are read as text and converted by
  # csv_convert(): a column blank in the whole chunk stays blank, not NA)
  guessed <- if (!is.null(classes)) which(is.na(classes)) else integer(0)
  if (length(guessed)) {
    classes[guessed] <- "character"
    args$colClasses <- if (is.null(row_col)) classes else append(classes, "character", after = row_col - 1L)
  }
  args$nrows <- chunk_size
  args$header <- is.null(header)
  if (!is.null(header)) {
    # (then the end of the file gives no rows)
    if (is.null(row_col)) {
      args$col.names <- header
    } else {
      args$col.names <- append(header, ".row.names", after = row_col - 1L)
      args$row.names <- row_col
    }
  }
  if (is.null(args$check.names)) args$check.names <- TRUE
  args$fileEncoding <- NULL  # (the connection was opened in it)
  chunk <- tryCatch(withCallingHandlers(do.call(utils::read.csv, args), warning = function(w) {
    # (a chunk that starts at a last line without its newline: read.csv()
    # of the whole file would not warn)
    if (grepl("incomplete final line", conditionMessage(w), fixed = TRUE)) invokeRestart("muffleWarning")
  }), error = function(e) {
    # an empty file: no lines for the header
    if (is.null(header) && !length(readLines(con, n = 1L))) return(NULL)
    if (!is.null(classes) && grepl("expected 'a real'", conditionMessage(e), fixed = TRUE)) {
      stop(conditionMessage(e), ", in a column that is numeric in the file's first chunk", call. = FALSE)
    }
    stop(e)
  })
  if (is.null(chunk) || !nrow(chunk)) return(NULL)
  for (j in guessed) chunk[[j]] <- csv_convert(chunk[[j]], args)
  chunk
}

# A column read as text converted as read.csv() converts it
# (type.convert()), except that a column whose fields are all blank (or
# missing) stays text: whether a blank is a level or a missing value is
# decided by the column's type over the whole file (source_scan()), as
# read.csv() of the whole file decides it. A column read as TRUE and FALSE
# that was written otherwise (T, true, ...) keeps its text as the attribute
# "csv_text": where the column is text in another chunk, read.csv() of the
# whole file reads these as the levels they are written as, its blanks as
# the level "" (blanks of a column that is logical throughout are missing
# values, as read.csv() reads them).
csv_convert <- function(x, args) {
  if (all(is.na(x) | x == "") && any(!is.na(x))) return(x)
  y <- utils::type.convert(x, as.is = !isTRUE(args$stringsAsFactors),
                           dec = if (is.null(args$dec)) "." else args$dec, na.strings = character(0))
  if (is.logical(y) && !all(x[!is.na(x)] %in% c("TRUE", "FALSE"))) attr(y, "csv_text") <- x
  y
}

# the position of the first value of `x` (text) that is not a number
# (decimal mark `dec`), blanks and NA aside; else of its first value
first_non_number <- function(x, dec = NULL) {
  u <- unique(x[!is.na(x) & nzchar(trimws(x))])
  number <- vapply(u, function(s) {
    is.numeric(utils::type.convert(s, as.is = TRUE, dec = if (is.null(dec)) "." else dec, na.strings = character(0)))
  }, NA)
  match(c(u[!number], x)[1L], x)
}

# what a message about a column `v` of mixed types says to do
csv_type_hint <- function(source, v) {
  if (!identical(source$kind, "csv")) return(": give it one type in every chunk")
  paste0(" (read.csv() of the whole file reads the column as text): correct the file, or give the column's type, ",
         "as in gradglm_source(..., colClasses = c(", if (make.names(v) == v) v else paste0("`", v, "`"),
         " = \"character\"))")
}

# the text of a logical column of a chunk, as levels: as written in a CSV
# file (csv_convert()), else as.character()
logical_text <- function(x) if (is.null(attr(x, "csv_text"))) as.character(x) else attr(x, "csv_text")

# a text column whose every value is blank or missing (its type is that of
# the column's other chunks)
blank_text <- function(x) is.character(x) && all(is.na(x) | x == "")

# The classes in which a CSV file's later chunks are read, from its first
# chunk: "numeric" for its numeric columns whose first value is not in
# quotes (scan() does not read a quoted number as a number; `quoted` says
# which fields of the file's first record are, or is NULL when that is not
# known), "character" for its character columns (a code that looks like a
# number in a later chunk stays a level), NA (guessed in each chunk) for the
# others. Without classes read.csv() reads every field as text, which R
# stores in its cache of strings before it converts it: most of the time it
# takes to read numbers (3 to 8 times as long). NULL (every chunk guessed)
# when the user gave colClasses or numerals.
csv_classes <- function(chunk, args, quoted, row_col = NULL) {
  if (csv_user_typed(args)) return(NULL)
  if (!is.null(row_col) && length(quoted) == length(chunk) + 1L) quoted <- quoted[-row_col]
  known <- length(quoted) == length(chunk)
  unname(vapply(seq_along(chunk), function(j) {
    x <- chunk[[j]]
    if (is.numeric(x) && !is.object(x)) {
      if (known && !quoted[j]) "numeric" else NA_character_
    } else if (is.character(x)) "character" else NA_character_
  }, ""))
}

# whether the user's read.csv() arguments decide the columns' types
csv_user_typed <- function(args) any(c("colClasses", "numerals") %in% names(args))

# The position of the column of row names of a CSV file whose first chunk
# is `chunk`, or NULL: read.csv() takes the first column for row names when
# the header is one field short (as write.table() writes a data frame's row
# names), or the column the user's `row.names` says. Later chunks, read
# without the header, must drop it too.
csv_row_names_column <- function(chunk, args) {
  if (.row_names_info(chunk) < 0L) return(NULL)  # (automatic row names: none in the file)
  if (is.numeric(args$row.names)) as.integer(args$row.names) else 1L
}

# csv_classes() of a CSV file's first `n` records, read apart, and the
# position of its column of row names (csv_row_names_column()): a list;
# classes NULL for the user's classes or a file that cannot be read so.
# The columns named in `text` are read as text (predict() of a fit whose
# factor they are: predict_source()).
csv_probe_classes <- function(path, args, encoding, n, text = NULL) {
  if (csv_user_typed(args)) return(list())  # (before reading the file for nothing)
  con <- tryCatch(open_file(path, "r", encoding), error = function(e) NULL)
  if (is.null(con)) return(list())
  probe <- tryCatch(read_csv_chunk(con, NULL, n, args), error = function(e) NULL, finally = close(con))
  if (is.null(probe)) return(list())
  row_col <- csv_row_names_column(probe, args)
  classes <- csv_classes(probe, args, csv_first_record_quoted(path, args, encoding), row_col)
  if (!is.null(classes)) classes[names(probe) %in% text] <- "character"
  list(classes = classes, row_col = row_col)
}

# Which fields of a CSV file's first record after its header are in quotes
# (a logical vector), or NULL when the file's first lines do not tell: its
# first 20 lines, read apart, parsed as read.csv() parses them (sep and
# quote of the user's arguments; a quote doubled inside quotes is one).
csv_first_record_quoted <- function(path, args, encoding) {
  sep <- if (is.null(args$sep)) "," else args$sep
  quote <- if (is.null(args$quote)) "\"" else args$quote
  if (!is.character(sep) || length(sep) != 1L || nchar(sep) != 1L || !is.character(quote) || length(quote) != 1L) {
    return(NULL)
  }
  con <- tryCatch(open_file(path, "r", encoding), error = function(e) NULL)
  if (is.null(con)) return(NULL)
  lines <- tryCatch(readLines(con, n = 20L, warn = FALSE), error = function(e) NULL, finally = close(con))
  # (the first two lines, unless a quoted field runs over more)
  two <- csv_quoted_fields(lines[seq_len(min(2L, length(lines)))], sep, quote)
  if (!is.null(two) || length(lines) <= 2L) two else csv_quoted_fields(lines, sep, quote)
}

# csv_first_record_quoted() of the lines `lines` (each ends a record unless
# it ends inside quotes)
csv_quoted_fields <- function(lines, sep, quote) {
  chars <- strsplit(paste0(paste(lines, collapse = "\n"), "\n"), "")[[1L]]
  quotes <- strsplit(quote, "")[[1L]]
  record <- 1L
  fields <- logical(0)  # (of the second record)
  in_quote <- ""
  start <- TRUE  # (at the start of a field)
  this <- FALSE  # (the current field began with a quote)
  i <- 1L
  while (i <= length(chars)) {
    ch <- chars[i]
    if (nzchar(in_quote)) {
      if (ch == in_quote) {
        if (i < length(chars) && chars[i + 1L] == in_quote) i <- i + 1L else in_quote <- ""
      }
    } else if (ch == sep || ch == "\n") {
      if (record == 2L) fields <- c(fields, this)
      if (ch == "\n") {
        if (record == 2L) return(fields)
        record <- record + 1L
      }
      start <- TRUE
      this <- FALSE
    } else if (start && ch %in% quotes) {
      in_quote <- ch
      this <- TRUE
      start <- FALSE
    } else if (!ch %in% c(" ", "\t", "\r")) {
      start <- FALSE
    }
    i <- i + 1L
  }
  NULL  # (the lines end before the second record does)
}

#' The first pass over a chunked source: columns, types, levels and rows
#'
#' Reads every chunk of a [gradglm_source()] once and returns what a model
#' needs to build the same model frame from any chunk as from the whole
#' data: the number of rows, each column's type, and the levels of every
#' factor or character column: those that occur in any chunk (unused levels
#' are dropped, as [stats::model.frame()] drops them for [stats::glm()]), in
#' the order of the source's `levels` where it gives them (a level not
#' listed there is an error), else a factor's in the order of its levels, a
#' character column's sorted as [factor()] sorts them.
#'
#' @param source A [gradglm_source()].
#' @param columns The columns to scan (default: all).
#' @return A list with `n` (rows), `chunks`, `columns` (names), `types`
#'   (`"numeric"`, `"logical"` or `"factor"`, one per column), `levels` (a
#'   named list for the factor columns) and `order` (for the factor columns
#'   whose levels have an order, given in the source's `levels` or as
#'   ordered factors in every chunk, those levels in their order: a named
#'   list, for the response of [ordinal()]) and `ordered_columns` (the factor
#'   columns that are ordered factors in every chunk: ordered in every
#'   chunk's model frame, with their polynomial contrasts, as in memory);
#'   `"gradglm_schema"` is its class.
#' @export
source_scan <- function(source, columns = NULL) {
  fun <- "source_scan"
  if (!inherits(source, "gradglm_source")) abort(fun, "'source' must be a gradglm_source()")
  scan_source(source, columns, NULL, fun)
}

# source_scan(); `rows(chunk, k, except)` (or NULL: all), the rows of a
# chunk whose levels count (those a model frame keeps after its subset and
# na.action, a column blank in the whole chunk taken as missing unless it is
# `except`)
scan_source <- function(source, columns, rows, fun) {
  n <- 0
  cols <- NULL
  types <- NULL
  levels <- list()
  blanks <- list()    # the columns with a chunk of blanks only
  unused <- list()    # per factor column: values only in rows the model frames drop
  declared <- list()  # the declared levels of factor columns, in their order
  ordered <- list()   # per factor column: whether every chunk has it as an ordered factor
  truth <- list()     # per logical column: the first chunk with TRUE or FALSE
  truth_levels <- list()  # and their levels, as written, for a column that is text in another chunk
  truth_unused <- list()  # (as `unused`)
  given <- source$levels  # (the user's levels: their order, and no others)
  chunks <- source_each(source, function(chunk, k) {
    if (is.null(cols)) {
      cols <<- if (is.null(columns)) names(chunk) else columns
      missing <- setdiff(cols, names(chunk))
      if (length(missing)) abort(fun, "column(s) ", quote_some(missing), " not in the data (chunk 1)")
    } else {
      missing <- setdiff(cols, names(chunk))
      if (length(missing)) abort(fun, "chunk ", k, " lacks the column(s) ", quote_some(missing))
    }
    kept <- if (!is.null(rows)) rows(chunk, k)
    for (v in cols) {
      x <- chunk[[v]]
      if (blank_text(x)) {
        # (a column blank in the whole chunk: typed by the other chunks; its
        # blanks are a level where a kept row has one)
        if (any(!is.na(x) & (if (is.null(rows)) TRUE else rows(chunk, k, except = v)))) {
          blanks[[v]] <<- TRUE
        } else if (any(!is.na(x))) {
          unused[[v]] <<- union(unused[[v]], "")
        }
        next
      }
      type <- column_type(x)
      if (is.na(type)) {
        abort(fun, "column ", sQuote(v, FALSE), " is a ", class(x)[1L], " (chunk ", k, "); columns must be ",
              "numeric, logical, character or factor")
      }
      old <- if (is.null(types)) NA_character_ else types[v]
      if (is.na(old) || (old == "logical" && type == "factor") ||
          (old == "logical" && type != "logical" && is.null(truth[[v]]))) {
        # (a column that is all NA in a chunk reads as logical there; one of
        # TRUE and FALSE in some chunks and text in others is text, its
        # logical chunks' values levels as written: as read.csv() of the
        # whole file, or rbind() of the chunks, reads it)
        types[v] <<- type
      } else if (old == "logical" && type != "logical") {
        # (TRUE and FALSE in an earlier chunk, numbers in this one)
        abort(fun, "column ", sQuote(v, FALSE), " is logical (TRUE/FALSE) in chunk ", truth[[v]], " but ", type,
              " in chunk ", k, csv_type_hint(source, v))
      } else if (old == "numeric" && type == "factor") {
        # (a CSV file's numeric column: read as text in its chunks after one
        # with a number in quotes, or where its first record has one)
        text <- as.character(x)
        abort(fun, "column ", sQuote(v, FALSE), " is numeric in earlier chunks but has the value ",
              dQuote(text[first_non_number(text, source$read_args$dec)], FALSE), " in chunk ", k,
              csv_type_hint(source, v))
      } else if (old != type && !(type == "logical" && (all(is.na(x)) || old == "factor"))) {
        abort(fun, "column ", sQuote(v, FALSE), " is ", old, " in earlier chunks but ", type, " in chunk ", k)
      }
      if (type == "logical" && !all(is.na(x))) {
        # (its values as levels, should the column be text in another chunk)
        if (is.null(truth[[v]])) truth[[v]] <<- k
        text <- logical_text(x)
        all_seen <- unique(text[!is.na(text)])
        seen <- if (is.null(kept)) all_seen else unique(text[!is.na(text) & kept])
        truth_levels[[v]] <<- union(truth_levels[[v]], seen)
        truth_unused[[v]] <<- union(truth_unused[[v]], setdiff(all_seen, seen))
      }
      if (type == "factor") {
        # the levels that occur (as model.frame() drops unused ones); a
        # factor's in the order of its levels, a character column's sorted
        all_seen <- unique(as.character(x[!is.na(x)]))
        seen <- if (is.null(kept)) all_seen else unique(as.character(x[!is.na(x) & kept]))
        unused[[v]] <<- union(unused[[v]], setdiff(all_seen, seen))
        if (!is.null(given[[v]]) && length(new <- setdiff(seen, given[[v]]))) {
          abort(fun, "column ", sQuote(v, FALSE), " has the level(s) ", quote_some(new), " in chunk ", k,
                " that are not among its 'levels'")
        }
        levels[[v]] <<- union(levels[[v]], seen)
        if (is.factor(x)) declared[[v]] <<- union(declared[[v]], levels(x))
        ordered[[v]] <<- !isFALSE(ordered[[v]]) && is.ordered(x)
      }
    }
    n <<- n + nrow(chunk)
  }, "first", fun)
  if (!chunks) abort(fun, "the source returned no rows")
  for (v in cols[!cols %in% names(types)]) types[v] <- "logical"  # (blank throughout: NA, as read.csv() reads it)
  for (v in names(blanks)) {
    # a blank is a level of a text column, else a missing value (as read.csv() of the whole file takes it)
    if (identical(types[[v]], "factor")) levels[[v]] <- union(levels[[v]], "")
  }
  for (v in names(truth_levels)[types[names(truth_levels)] == "factor"]) {
    # (a text column with TRUE and FALSE in some chunks: those are levels)
    if (!is.null(given[[v]]) && length(new <- setdiff(truth_levels[[v]], given[[v]]))) {
      abort(fun, "column ", sQuote(v, FALSE), " has the level(s) ", quote_some(new), " in chunk ", truth[[v]],
            " or later that are not among its 'levels'")
    }
    levels[[v]] <- union(levels[[v]], truth_levels[[v]])
    unused[[v]] <- union(unused[[v]], truth_unused[[v]])
    ordered[[v]] <- FALSE
  }
  order <- list()
  for (v in names(levels)) {
    known <- if (!is.null(given[[v]])) given[[v]] else declared[[v]]
    levels[[v]] <- if (is.null(known)) sort(levels[[v]]) else intersect(known, levels[[v]])
    if (!is.null(given[[v]]) || isTRUE(ordered[[v]])) order[[v]] <- known
  }
  # (the columns that are ordered factors in every chunk: ordered factors in
  # every chunk's frame, with their polynomial contrasts, as in memory)
  ordered_columns <- names(Filter(isTRUE, ordered))
  for (v in names(unused)) unused[[v]] <- setdiff(unused[[v]], levels[[v]])
  unused <- Filter(length, unused)
  structure(list(n = n, chunks = chunks, columns = cols, types = types[cols], levels = levels, order = order,
                 ordered_columns = ordered_columns, unused = if (length(unused)) unused),
            class = "gradglm_schema")
}

column_type <- function(x) {
  if (is.factor(x) || is.character(x)) return("factor")
  if (is.logical(x)) return("logical")
  if (is.numeric(x) && !is.object(x)) return("numeric")
  NA_character_
}

# A chunk converted to the schema of the first pass: its columns with the
# types and factor levels of the whole data (a level the first pass did not
# see is an error that names it, its column and the chunk).
source_frame <- function(chunk, schema, k, fun = "gradglm") {
  out <- chunk[schema$columns]
  for (v in schema$columns) {
    x <- out[[v]]
    type <- schema$types[[v]]
    if (type != "factor" && blank_text(x)) out[[v]] <- x <- rep(NA, length(x))
    if (type == "factor") {
      x <- if (is.factor(x)) as.character(x) else x
      # (TRUE and FALSE of a column that is text in other chunks: levels, as written)
      if (is.logical(x)) x <- logical_text(x)
      # (a value only in rows that the model frame drops is not a level: NA)
      new <- setdiff(unique(x[!is.na(x)]), c(schema$levels[[v]], schema$unused[[v]]))
      if (length(new)) {
        abort(fun, "column ", sQuote(v, FALSE), " has the level(s) ", quote_some(new), " in chunk ", k,
              if (isTRUE(schema$given)) " that are not among its 'levels'" else " that the first pass did not see")
      }
      out[[v]] <- factor(x, levels = schema$levels[[v]], ordered = v %in% schema$ordered_columns)
    } else if (type == "numeric") {
      if (!is.numeric(x) && !(is.logical(x) && all(is.na(x)))) {
        abort(fun, "column ", sQuote(v, FALSE), " is not numeric in chunk ", k)
      }
      out[[v]] <- as.double(x)
    } else if (!is.logical(x)) {
      abort(fun, "column ", sQuote(v, FALSE), " is not logical in chunk ", k)
    } else if (!is.null(attr(x, "csv_text"))) {
      attr(out[[v]], "csv_text") <- NULL
    }
  }
  out
}

# a data frame without rows with the schema's columns and types (for terms()
# to expand "." and know the factors)
schema_frame <- function(schema) {
  cols <- lapply(schema$columns, function(v) {
    switch(schema$types[[v]], numeric = numeric(0), logical = logical(0),
           factor = factor(character(0), levels = schema$levels[[v]], ordered = v %in% schema$ordered_columns))
  })
  structure(stats::setNames(cols, schema$columns), class = "data.frame", row.names = integer(0))
}

# A database source's connection must still be open: a fit saved with
# saveRDS() and read back in another session keeps a connection object whose
# link to the database is gone (its queries failed with "bad_weak_ptr").
check_dbi_connection <- function(src, fun) {
  ok <- tryCatch(isTRUE(DBI::dbIsValid(src$con)), error = function(e) FALSE)
  if (!ok) {
    abort(fun, "the source's database connection is no longer valid (closed, or the fit was saved and read ",
          "back in another session): connect again and give gradglm_source() the new connection")
  }
  invisible(TRUE)
}
