# Data beyond memory: peak resident memory of a logistic fit on an SQLite
# table read in chunks (gradglm_source() + gradglm(data = <source>)), against
# the size of the table's numeric content. Installs DBI and RSQLite if they
# are missing; prints a markdown table.
#
#   R_LIBS=/tmp/lib Rscript bench/bench-source-memory.R [quick] [create]
#
# Goal: a logistic fit of a 2e7 x 20 SQLite table completes with the R
# process's peak resident memory <= 1 GB (1024 MB) while the table's numeric
# content is >= 3 GB (2e7 x 21 doubles, y included: 3.36 GB).
#
# 1. The database: table "d" with y (0/1) and x1..x20 (standard normal), n =
#    2e7 rows (2e6 with "quick"), y from a logistic model with known
#    coefficients (seeded). Written by appending chunks of 2.5e5 rows inside
#    one transaction, so that creating it needs little memory. The file is
#    GRADGLM_BENCH_DB if set (kept afterwards, and reused when it already
#    holds a complete table of n rows), else file.path(tempdir(),
#    "big.sqlite") (removed afterwards). With "create" the script only
#    creates the database and exits (set GRADGLM_BENCH_DB then), e.g.
#      GRADGLM_BENCH_DB=/tmp/gradglm-bench/big.sqlite \
#        R_LIBS=/tmp/lib Rscript bench/bench-source-memory.R create
# 2. The fit, gradglm(y ~ ., data = gradglm_source(con, "d", chunk_size =
#    1e5), family = binomial()), in a fresh Rscript process, so that nothing
#    the parent holds counts: peak resident memory (VmHWM, after writing 5 to
#    /proc/self/clear_refs just before the fit), the resident memory right
#    after loading the package (baseline), elapsed seconds, passes over the
#    data, iterations, convergence and the largest |coefficient - true
#    coefficient| (a sanity check: about 1e-3 at n = 2e7). An error of the
#    fit is printed and reported, not fatal.
# 3. The reader alone, in the same way in a fresh process: one pass of
#    DBI::dbSendQuery("SELECT * FROM d") + dbFetch(n = 1e5) until done, no
#    fit: what reading chunks costs by itself; and the package's own reader
#    of SQLite files (which the fit uses where gradglm was built with
#    SQLite's library, see ?gradglm_source) alone, likewise.

for (pkg in c("DBI", "RSQLite")) {
  if (!requireNamespace(pkg, quietly = TRUE)) install.packages(pkg, repos = getOption("repos"))
}
args <- commandArgs(trailingOnly = TRUE)
quick <- "quick" %in% args
create_only <- "create" %in% args

n <- if (quick) 2e6 else 2e7
p <- 20L
write_chunk <- 2.5e5
read_chunk <- 1e5
limit_mb <- 1024
beta_true <- c(-0.5, seq(0.5, -0.5, length.out = p))  # intercept, x1..x20
names(beta_true) <- c("(Intercept)", paste0("x", seq_len(p)))

db_env <- Sys.getenv("GRADGLM_BENCH_DB")
db_given <- nzchar(db_env)
db <- if (db_given) db_env else file.path(tempdir(), "big.sqlite")
if (create_only && !db_given) {
  stop("'create' keeps the database for later runs: set GRADGLM_BENCH_DB to its path")
}
mb <- function(bytes) bytes / 2^20

cat(sprintf("## Data beyond memory: logistic fit of an SQLite table, n = %.0f, p = %d%s\n\n",
            n, p, if (quick) " (quick)" else ""))

# --- 1. the database ---------------------------------------------------------

# the number of rows of a complete table "d" in the file, NA if there is none
# (no file, or a creation that did not finish: the table "meta" is written in
# the same transaction as the rows, last)
complete_rows <- function(db) {
  if (!file.exists(db)) return(NA_real_)
  con <- DBI::dbConnect(RSQLite::SQLite(), db)
  on.exit(DBI::dbDisconnect(con))
  if (!DBI::dbExistsTable(con, "meta") || !DBI::dbExistsTable(con, "d")) return(NA_real_)
  meta <- DBI::dbReadTable(con, "meta")
  last <- DBI::dbGetQuery(con, "SELECT MAX(rowid) AS m FROM d")$m
  if (!identical(as.numeric(meta$n), as.numeric(last))) return(NA_real_)
  as.numeric(meta$n)
}

create_db <- function(db, n) {
  if (file.exists(db)) unlink(db)
  con <- DBI::dbConnect(RSQLite::SQLite(), db)
  on.exit(DBI::dbDisconnect(con))
  DBI::dbExecute(con, "PRAGMA synchronous = OFF")
  set.seed(20240)
  chunks <- ceiling(n / write_chunk)
  t0 <- proc.time()[[3]]
  DBI::dbWithTransaction(con, {
    for (k in seq_len(chunks)) {
      m <- min(write_chunk, n - (k - 1) * write_chunk)
      X <- matrix(rnorm(m * p), m, p, dimnames = list(NULL, paste0("x", seq_len(p))))
      y <- rbinom(m, 1L, plogis(beta_true[1] + drop(X %*% beta_true[-1])))
      DBI::dbWriteTable(con, "d", data.frame(y = as.integer(y), X), append = TRUE)
      if (k %% max(1L, chunks %/% 10L) == 0L || k == chunks) {
        cat(sprintf("  written %.0f of %.0f rows (%.0f%%), %.0f s\n", min(k * write_chunk, n), n,
                    100 * min(k * write_chunk, n) / n, proc.time()[[3]] - t0))
        flush(stdout())
      }
    }
    DBI::dbWriteTable(con, "meta", data.frame(n = n, seed = 20240, p = p), overwrite = TRUE)
  })
  proc.time()[[3]] - t0
}

have <- complete_rows(db)
if (!is.na(have) && have == n) {
  cat(sprintf("Reusing %s (%.0f rows).\n", db, have))
} else if (!is.na(have)) {
  stop(sprintf("%s holds a complete table of %.0f rows, not %.0f: remove it or set GRADGLM_BENCH_DB to another path",
               db, have, n))
} else {
  dir.create(dirname(db), showWarnings = FALSE, recursive = TRUE)
  cat(sprintf("Creating %s: %.0f rows in chunks of %.0f\n", db, n, write_chunk))
  flush(stdout())
  secs <- create_db(db, n)
  cat(sprintf("Created in %.0f s.\n", secs))
}
cat(sprintf("File size: %.0f MB; numeric content (n x 21 doubles): %.0f MB = %.2f GB.\n\n",
            mb(file.size(db)), mb(n * 21 * 8), n * 21 * 8 / 1e9))
flush(stdout())
if (create_only) quit(save = "no")

# --- 2. and 3. the fit and the reader, each in a fresh process ---------------

# Runs `body` in a fresh Rscript process after a common head (loads gradglm,
# records the baseline, opens the connection, defines the reporting helpers,
# resets the peak and starts the clock t0; the body reports its elapsed time);
# returns the child's "RESULT key value" lines as a named character vector and
# echoes its other output.
run_child <- function(body) {
  head <- c(
    sprintf("db <- %s", deparse(db)),
    sprintf("read_chunk <- %s", deparse(read_chunk)),
    sprintf("beta_true <- %s", paste(deparse(beta_true), collapse = "")),
    '
    suppressPackageStartupMessages(library(gradglm))
    status_mb <- function(field) {
      line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
      as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\\\1", line)) / 1024
    }
    report <- function(key, value) cat("RESULT", key, format(value, digits = 6), "\\n")
    invisible(gc())
    report("baseline_mb", status_mb("VmRSS"))
    con <- DBI::dbConnect(RSQLite::SQLite(), db)
    invisible(gc())
    report("before_mb", status_mb("VmRSS"))
    writeLines("5", "/proc/self/clear_refs")  # the peak (VmHWM) starts again from here
    t0 <- proc.time()[[3]]
    ')
  tail <- '
    report("peak_mb", status_mb("VmHWM"))
    DBI::dbDisconnect(con)
    '
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(c(head, body, tail), script)
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), shQuote(script), stdout = TRUE, stderr = TRUE))
  res <- grepl("^RESULT ", out)
  other <- out[!res]
  if (length(other)) cat(paste0("    ", other), sep = "\n")
  kv <- strsplit(trimws(sub("^RESULT ", "", out[res])), " ", fixed = TRUE)
  stats::setNames(vapply(kv, function(x) paste(x[-1], collapse = " "), ""), vapply(kv, `[`, "", 1L))
}

fit_body <- '
  src <- gradglm_source(con, "d", chunk_size = read_chunk)
  fit <- tryCatch(gradglm(y ~ ., data = src, family = binomial()), error = function(e) e)
  report("elapsed_s", proc.time()[[3]] - t0)
  if (inherits(fit, "error")) {
    cat("gradglm(data = <source>) failed:", conditionMessage(fit), "\\n")
    report("error", "yes")
  } else {
    b <- coef(fit)
    num <- function(x) if (is.null(x)) NA else x
    report("passes", num(fit$source$passes))
    report("iter", num(fit$iter))
    report("converged", num(fit$converged))
    report("coef_diff", if (all(names(beta_true) %in% names(b))) max(abs(b[names(beta_true)] - beta_true)) else NA)
  }
'
reader_body <- '
  rs <- DBI::dbSendQuery(con, "SELECT * FROM d")
  rows <- 0
  while (!DBI::dbHasCompleted(rs)) {
    chunk <- DBI::dbFetch(rs, n = read_chunk)
    rows <- rows + nrow(chunk)
  }
  DBI::dbClearResult(rs)
  report("elapsed_s", proc.time()[[3]] - t0)
  report("rows", rows)
'

# the package's own reader of SQLite files (see ?gradglm_source), which the
# fit uses where gradglm was built with SQLite's library
own_reader_body <- '
  it <- gradglm:::source_open(gradglm_source(con, "d", chunk_size = read_chunk), "1st")
  rows <- 0
  while (!is.null(chunk <- it$next_chunk())) rows <- rows + nrow(chunk)
  it$close()
  report("elapsed_s", proc.time()[[3]] - t0)
  report("rows", rows)
  report("own", gradglm:::sqlite_reader_available() && isTRUE(getOption("gradglm.sqlite_reader", TRUE)))
'

cat("Reader alone (fresh process) ...\n")
flush(stdout())
reader <- run_child(reader_body)
cat("The package's reader alone (fresh process) ...\n")
flush(stdout())
own_reader <- run_child(own_reader_body)
cat("Fit (fresh process) ...\n")
flush(stdout())
fit <- run_child(fit_body)

get <- function(r, key) if (key %in% names(r)) r[[key]] else "NA"
num <- function(r, key) suppressWarnings(as.numeric(get(r, key)))
fmt <- function(x, f) if (is.na(x)) "NA" else sprintf(f, x)
cat(sprintf("\nThe package's own SQLite reader alone: %s s for %s rows, peak %s MB (%s).\n",
            fmt(num(own_reader, "elapsed_s"), "%.1f"), get(own_reader, "rows"), fmt(num(own_reader, "peak_mb"), "%.0f"),
            if (identical(get(own_reader, "own"), "TRUE")) "the fit reads the table with it" else
              "not built: the fit reads the table through DBI"))
cat("\n| measure | reader alone (dbFetch loop) | gradglm fit |\n|---|---|---|\n")
cat(sprintf("| elapsed, s | %s | %s |\n", fmt(num(reader, "elapsed_s"), "%.1f"), fmt(num(fit, "elapsed_s"), "%.1f")))
cat(sprintf("| peak resident (VmHWM), MB | %s | %s |\n", fmt(num(reader, "peak_mb"), "%.0f"),
            fmt(num(fit, "peak_mb"), "%.0f")))
cat(sprintf("| resident after loading gradglm (baseline), MB | %s | %s |\n", fmt(num(reader, "baseline_mb"), "%.0f"),
            fmt(num(fit, "baseline_mb"), "%.0f")))
cat(sprintf("| resident after connecting, MB | %s | %s |\n", fmt(num(reader, "before_mb"), "%.0f"),
            fmt(num(fit, "before_mb"), "%.0f")))
cat(sprintf("| peak - baseline, MB | %s | %s |\n", fmt(num(reader, "peak_mb") - num(reader, "baseline_mb"), "%.0f"),
            fmt(num(fit, "peak_mb") - num(fit, "baseline_mb"), "%.0f")))
cat(sprintf("| rows read | %s | |\n", fmt(num(reader, "rows"), "%.0f")))
cat(sprintf("| passes / iterations / converged | | %s / %s / %s |\n", get(fit, "passes"), get(fit, "iter"),
            get(fit, "converged")))
cat(sprintf("| max abs(coef - true) | | %s |\n", fmt(num(fit, "coef_diff"), "%.2g")))

fit_ok <- !"error" %in% names(fit) && !is.na(num(fit, "peak_mb"))
cat(sprintf("\nNumeric content %.2f GB (>= 3 GB: %s); fit %s; peak <= %d MB: %s\n",
            n * 21 * 8 / 1e9, if (n * 21 * 8 >= 3e9) "yes" else "no",
            if (fit_ok) "completed" else "FAILED", limit_mb,
            if (fit_ok && num(fit, "peak_mb") <= limit_mb) "yes" else "no"))

if (!db_given) unlink(db)
