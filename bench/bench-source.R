# Chunked fits from a database: gradglm over a gradglm_source() against
# biglm::bigglm on the same DBI connection, and against reading the whole
# table once and fitting in memory, in the same process. Installs DBI,
# RSQLite and biglm if they are missing; prints markdown tables.
#
#   R_LIBS=/tmp/lib Rscript bench/bench-source.R [quick]
#
# 1. Data: n = 2e6 rows (2e5 with "quick"), p = 20 standard normal
#    predictors x1..x20 and a binary y from a logistic model with modest
#    coefficients (seeded), appended to the table "d" of an SQLite file in
#    tempdir() 1e5 rows at a time (only one chunk is ever in memory). The
#    file is removed at the end.
# 2. Exact logistic regression y ~ x1 + ... + x20 over chunks of 1e5 rows:
#    gradglm(data = gradglm_source(con, "d", chunk_size = 1e5)) (Newton,
#    default tol) against bigglm(formula, data = con, tablename = "d",
#    chunksize = 1e5) (IRLS over chunks, one pass per iteration). Elapsed
#    seconds of system.time(), one run each; passes over the data and
#    iterations; the largest |coefficient difference| of each from a polished
#    reference (glm.fit on the in-memory data, epsilon = 1e-12), so that both
#    are seen to reach the same answer. Target: bigglm time / gradglm time >= 5.
#    The stopping rules differ: gradglm (as glm) stops when the last step
#    changed the deviance by less than tol * (|deviance| + 0.1); bigglm stops
#    when the last step moved every coefficient by less than `tolerance`
#    standard errors (max |b_old - b_new| / se(b_new) < tolerance; its
#    argument is `tolerance`, default 1e-7, not `epsilon`, which bigglm
#    swallows silently through `...`). Near the solution a Newton step d
#    changes the deviance by about d' I d (I: Fisher information), and by
#    Cauchy-Schwarz every d_j^2 / se_j^2 <= d' I d, so
#        tolerance = sqrt(tol * (deviance + 0.1))
#    (the deviance of the reference) lets bigglm stop at the first step
#    where gradglm's rule would: never later (bigglm is not made to do extra
#    passes). The coefficient differences show the accuracy each reached.
#    gradglm reads an SQLite file with its own reader where it was built
#    with SQLite's library (see ?gradglm_source), bigglm through DBI; the
#    gradglm fit is also timed reading through DBI (option
#    gradglm.sqlite_reader = FALSE), as bigglm reads.
#    Each fit is timed twice (the shorter time counts), gradglm's with the
#    default cache (256 MB in memory, the rest of the chunks in a file in
#    tempdir()), with cache = 1024 (all in memory) and with cache_dir =
#    NULL (the chunks beyond 256 MB read again on every pass).
# 3. Against one read: DBI::dbGetQuery(con, "SELECT * FROM d") and the
#    in-memory gradglm(y ~ ., data = df, family = binomial()), timed apart.
#    The issue's target, "the chunked fit time <= the time to read the table
#    once with DBI::dbGetQuery + the in-memory fit, times 1.5 per pass
#    needed", read two ways (ratio <= 1 meets it):
#      (A) chunked / (1.5 * passes * (read + in-memory fit))
#      (B) chunked / (1.5 * passes * read + in-memory fit)
#    and the chunked fit's time per pass against one dbGetQuery read and
#    against one read of the table in chunks of 1e5 (dbSendQuery + dbFetch,
#    no model: what a pass costs before any arithmetic). The summary also
#    gives bigglm's time / (gradglm's passes x that read): the largest ratio
#    to bigglm that gradglm's number of passes allows when reading dominates.
# 4. Partitioned fits: the table split into two SQLite files (alternate
#    rows), fitted over gradglm_partitions() of the two (each worker opens
#    its file) on a future multisession plan of 2 workers, against the whole
#    table as one partition on the same plan (one worker process reads every
#    row; a multisession plan of 1 worker runs in this R process, whose memory
#    the fits above have already touched: also timed);
#    and the table of sections 1-3 itself as two partitions, the ranges
#    rowid <= n/2 and rowid > n/2 (each worker opens the same file), on 2
#    workers, against bigglm's time of section 2.
#    Each worker reads its partition on the first two passes (the schema,
#    then the model matrices, which it keeps) and from its cache after that;
#    the table gives the reads of the data.
#
# gradglm runs its passes on getOption("gradglm.threads", 2) threads; bigglm
# and the reads run on one. The SQLite file has just been written, so every
# read comes from the operating system's file cache.

for (pkg in c("DBI", "RSQLite", "biglm", "future")) {
  if (!requireNamespace(pkg, quietly = TRUE)) install.packages(pkg, repos = getOption("repos"))
}
suppressPackageStartupMessages({
  library(gradglm)
  library(DBI)
  library(biglm)
})
quick <- "quick" %in% commandArgs(trailingOnly = TRUE)

n <- if (quick) 2e5 else 2e6
p <- 20L
chunk <- 1e5
or_na <- function(x) if (is.null(x) || !length(x)) NA else x
max_abs_diff <- function(a, b) max(abs(unname(as.numeric(a)) - unname(as.numeric(b[names(a)]))))
fmt_t <- function(t) if (is.na(t)) "n/a" else if (t >= 10) sprintf("%.1f", t) else sprintf("%.2f", t)
fmt_e <- function(x) if (is.na(x)) "n/a" else formatC(x, format = "e", digits = 1)
fmt_r <- function(x) if (is.na(x)) "n/a" else sprintf("%.2f", x)
yn <- function(ok) if (is.na(ok)) "n/a" else if (ok) "yes" else "**no**"
progress <- function(what, t) cat(sprintf("  %-58s %8.2f s\n", what, t))
# the shortest of `reps` runs of an expression (its value assigned in the
# caller as the expression says); the chunked fits and bigglm are timed alike
reps <- 2L
best_of <- function(expr) {
  e <- substitute(expr)
  env <- parent.frame()
  min(vapply(seq_len(reps), function(i) system.time(eval(e, env))[["elapsed"]], 0))
}

local({
  path <- tempfile("gradglm-bench-", fileext = ".sqlite")
  con <- dbConnect(RSQLite::SQLite(), path)
  on.exit({
    dbDisconnect(con)
    unlink(path)
  })

  # ---- 1. data -------------------------------------------------------------------------
  cat(sprintf("## 1. Data: n = %s, p = %d, table \"d\" of an SQLite file, written in chunks of %s rows\n\n",
              format(n, big.mark = ",", scientific = FALSE), p, format(chunk, big.mark = ",", scientific = FALSE)))
  set.seed(20241202)
  beta <- c(-0.5, round(stats::rnorm(p, sd = 0.3), 2))  # intercept, x1..x20
  xnames <- paste0("x", seq_len(p))
  t_write <- system.time({
    left <- n
    while (left > 0) {
      m <- min(chunk, left)
      x <- matrix(stats::rnorm(m * p), m, p, dimnames = list(NULL, xnames))
      y <- stats::rbinom(m, 1L, stats::plogis(beta[1] + drop(x %*% beta[-1])))
      dbWriteTable(con, "d", data.frame(y = y, x), append = TRUE)
      left <- left - m
    }
    rm(x, y)
  })[["elapsed"]]
  rows <- dbGetQuery(con, "SELECT COUNT(*) AS n FROM d")$n
  stopifnot(rows == n)
  cat(sprintf("%s rows written in %.1f s; file %.0f MB. True coefficients: %s\n",
              format(rows, big.mark = ","), t_write, file.size(path) / 2^20, paste(beta, collapse = ", ")))
  cat(sprintf("%s; gradglm %s, biglm %s, RSQLite %s (SQLite %s); gradglm threads: %d; %d cores\n\n",
              R.version.string, utils::packageVersion("gradglm"), utils::packageVersion("biglm"),
              utils::packageVersion("RSQLite"), RSQLite::rsqliteVersion()[[2]],
              as.integer(getOption("gradglm.threads", 2L)), parallel::detectCores()))

  # ---- one read + the in-memory fit (section 3), and the reference ------------------------
  cat("Timing (elapsed seconds):\n")
  t_read <- system.time(df <- dbGetQuery(con, "SELECT * FROM d"))[["elapsed"]]
  progress("DBI::dbGetQuery(con, \"SELECT * FROM d\")", t_read)
  t_mem <- system.time(fit_mem <- gradglm(y ~ ., data = df, family = binomial()))[["elapsed"]]
  progress("in-memory gradglm(y ~ ., data = df, binomial())", t_mem)
  # the reference: glm.fit to epsilon = 1e-12 (not timed)
  X <- cbind("(Intercept)" = 1, as.matrix(df[xnames]))
  ref <- stats::glm.fit(X, df$y, family = binomial(), start = unname(coef(fit_mem)[colnames(X)]),
                        control = stats::glm.control(epsilon = 1e-12, maxit = 50))
  b_ref <- ref$coefficients
  dev_ref <- ref$deviance
  d_mem <- max_abs_diff(coef(fit_mem), b_ref)
  rm(df, X)
  invisible(gc())
  # one pass of reading in chunks, without a model
  t_chunks <- system.time({
    res <- dbSendQuery(con, "SELECT * FROM d")
    got <- 0
    while (!dbHasCompleted(res)) got <- got + nrow(dbFetch(res, n = chunk))
    dbClearResult(res)
  })[["elapsed"]]
  stopifnot(got == n)
  progress(sprintf("one read in chunks of %g rows (dbSendQuery + dbFetch)", chunk), t_chunks)

  # ---- 2a. gradglm over the chunks ------------------------------------------------------------
  tol_g <- gradglm_control()$tol  # the default tol of gradglm()'s Newton
  src <- gradglm_source(con, "d", chunk_size = chunk)
  # (an error is reported, and the peers are still measured)
  t <- best_of(fit <- tryCatch(gradglm(y ~ ., data = src, family = binomial()), error = identity))
  gg <- if (inherits(fit, "error")) {
    list(time = NA_real_, passes = NA_real_, reads = NA_real_, iter = NA_real_, converged = NA, diff = NA_real_,
         error = conditionMessage(fit))
  } else {
    list(time = t, passes = as.numeric(or_na(fit$source$passes)), reads = as.numeric(or_na(fit$source$reads)), iter = as.numeric(or_na(fit$iter)),
         converged = as.logical(or_na(fit$converged)), diff = max_abs_diff(coef(fit), b_ref), error = NULL)
  }
  if (is.null(gg$error)) {
    progress(sprintf("gradglm(data = gradglm_source(con, \"d\", %g)) [%g passes, %.2f reads of the table]", chunk, gg$passes, gg$reads), gg$time)
  } else {
    cat("  gradglm(data = gradglm_source(...)) FAILED:", gg$error, "\n")
  }
  # the same with a memory cache that holds the whole model matrix (the
  # default, 256 MB, holds part of it, the rest goes to the disk cache),
  # and with the memory cache alone (cache_dir = NULL: the chunks beyond it
  # are read again)
  t_cached <- best_of(fit_cached <- gradglm(y ~ ., data = gradglm_source(con, "d", chunk_size = chunk, cache = 1024),
                                            family = binomial()))
  progress(sprintf("  the same with cache = 1024 (MB) [%.2f reads]", fit_cached$source$reads), t_cached)
  t_memonly <- best_of(fit_memonly <- gradglm(y ~ ., data = gradglm_source(con, "d", chunk_size = chunk, cache_dir = NULL),
                                              family = binomial()))
  progress(sprintf("  the same with cache_dir = NULL [%.2f reads]", fit_memonly$source$reads), t_memonly)
  # the same read through DBI (dbFetch(), as bigglm reads), as where gradglm
  # is built without SQLite's library
  own_reader <- gradglm:::sqlite_reader_available() && isTRUE(getOption("gradglm.sqlite_reader", TRUE))
  old_opt <- options(gradglm.sqlite_reader = FALSE)
  t_dbi <- best_of(fit_dbi <- gradglm(y ~ ., data = src, family = binomial()))
  options(old_opt)
  progress("  the same read through DBI (options(gradglm.sqlite_reader = FALSE))", t_dbi)

  # ---- 2b. biglm::bigglm on the same connection ---------------------------------------------
  # bigglm's DBI method adds every variable named in its `...` to the SELECT,
  # so the tolerance goes in as a number (bquote), not as a variable's name;
  # and it needs the variables written out (no `y ~ .`).
  tol_b <- sqrt(tol_g * (dev_ref + 0.1))
  f_big <- stats::reformulate(xnames, response = "y")
  t_big <- best_of(big <- eval(bquote(
    bigglm(f_big, data = con, family = binomial(), tablename = "d", chunksize = .(chunk), maxit = 30,
           tolerance = .(tol_b)))))
  progress(sprintf("biglm::bigglm(data = con, chunksize = %g) [%d passes]", chunk, big$iterations), t_big)
  d_big <- max_abs_diff(coef(big), b_ref)
  cat("\n")

  cat("## 2. Chunked exact logistic regression: gradglm against biglm::bigglm\n\n")
  cat(sprintf("Stopping rules: gradglm tol = %g (relative deviance change); bigglm tolerance = sqrt(tol * (deviance + 0.1)) = %.3g standard errors (deviance of the reference %.6g). Reference: glm.fit on the in-memory data, epsilon = 1e-12.\n\n",
              tol_g, tol_b, dev_ref))
  cat("| fit | time (s) | passes | iterations | converged | max abs coef diff vs reference | x gradglm |\n")
  cat("|---|--:|--:|--:|:-:|--:|--:|\n")
  cat(sprintf("| gradglm over `gradglm_source()` | %s | %s | %s | %s | %s | %s |\n",
              fmt_t(gg$time), format(gg$passes), format(gg$iter), format(gg$converged), fmt_e(gg$diff),
              if (is.na(gg$time)) "n/a" else "1.00"))
  cat(sprintf("| gradglm over `gradglm_source(cache = 1024)` | %s | %s | %s | %s | %s | %s |\n",
              fmt_t(t_cached), format(fit_cached$source$passes), format(fit_cached$iter),
              format(fit_cached$converged), fmt_e(max_abs_diff(coef(fit_cached), b_ref)), fmt_r(t_cached / gg$time)))
  cat(sprintf("| gradglm over `gradglm_source(cache_dir = NULL)` | %s | %s | %s | %s | %s | %s |\n",
              fmt_t(t_memonly), format(fit_memonly$source$passes), format(fit_memonly$iter),
              format(fit_memonly$converged), fmt_e(max_abs_diff(coef(fit_memonly), b_ref)), fmt_r(t_memonly / gg$time)))
  cat(sprintf("| gradglm over `gradglm_source()` read through DBI (`dbFetch()`) | %s | %s | %s | %s | %s | %s |\n",
              fmt_t(t_dbi), format(fit_dbi$source$passes), format(fit_dbi$iter),
              format(fit_dbi$converged), fmt_e(max_abs_diff(coef(fit_dbi), b_ref)), fmt_r(t_dbi / gg$time)))
  cat(sprintf("| `biglm::bigglm()` on the connection | %s | %d | %d | %s | %s | %s |\n",
              fmt_t(t_big), big$iterations, big$iterations, format(big$converged), fmt_e(d_big),
              fmt_r(t_big / gg$time)))
  cat(sprintf("| (in-memory gradglm, after dbGetQuery) | %s | | %s | %s | %s | |\n",
              fmt_t(t_mem), format(fit_mem$iter), format(fit_mem$converged), fmt_e(d_mem)))
  if (!is.null(gg$error)) cat("\ngradglm over the source failed:", gg$error, "\n")

  cat("\n## 3. Against one read of the table and the in-memory fit\n\n")
  # (the passes that read the table; the others use the chunks cached in memory)
  allowed_a <- 1.5 * gg$reads * (t_read + t_mem)
  allowed_b <- 1.5 * gg$reads * t_read + t_mem
  per_pass <- gg$time / gg$passes
  cat("| measure | seconds | ratio |\n|---|--:|--:|\n")
  cat(sprintf("| read: `dbGetQuery(con, \"SELECT * FROM d\")` | %s | |\n", fmt_t(t_read)))
  cat(sprintf("| in-memory fit: `gradglm(y ~ ., data = df)` | %s | |\n", fmt_t(t_mem)))
  cat(sprintf("| one read in chunks of %g (dbSendQuery + dbFetch) | %s | / read: %s |\n",
              chunk, fmt_t(t_chunks), fmt_r(t_chunks / t_read)))
  cat(sprintf("| chunked fit (%s passes) | %s | / (read + fit): %s |\n", format(gg$passes), fmt_t(gg$time),
              fmt_r(gg$time / (t_read + t_mem))))
  cat(sprintf("| chunked fit per pass | %s | / read: %s; / read in chunks: %s |\n", fmt_t(per_pass),
              fmt_r(per_pass / t_read), fmt_r(per_pass / t_chunks)))
  cat(sprintf("| (A) allowed = 1.5 x passes x (read + fit) | %s | chunked / allowed: %s |\n",
              fmt_t(allowed_a), fmt_r(gg$time / allowed_a)))
  cat(sprintf("| (B) allowed = 1.5 x passes x read + fit | %s | chunked / allowed: %s |\n",
              fmt_t(allowed_b), fmt_r(gg$time / allowed_b)))

  # ---- 4. Partitioned fits ---------------------------------------------------------------
  # The table split into two SQLite files, one partition each; each worker
  # opens its file (a function partition) and reads it in chunks, keeping
  # its model matrices after the second pass. Two worker processes against
  # one (the whole table as one partition).
  cat("\n## 4. Partitioned fits: 2 workers against 1\n\n")
  halves <- c(tempfile(fileext = ".sqlite"), tempfile(fileext = ".sqlite"))
  on.exit(unlink(halves), add = TRUE)
  for (h in 1:2) {
    con_h <- dbConnect(RSQLite::SQLite(), halves[h])
    res <- dbSendQuery(con, sprintf("SELECT * FROM d WHERE rowid %% 2 = %d", h - 1L))
    while (!dbHasCompleted(res)) dbWriteTable(con_h, "d", dbFetch(res, n = chunk), append = TRUE)
    dbClearResult(res)
    dbDisconnect(con_h)
  }
  recipe <- function(path) {
    force(path)
    function() gradglm::gradglm_source(DBI::dbConnect(RSQLite::SQLite(), path), "d", chunk_size = 1e5)
  }
  # (a function partition travels to its worker with its environment: made
  # here, that would be this block's, with the fits above in it)
  environment(recipe) <- globalenv()
  parts <- gradglm_partitions(first = recipe(halves[1]), second = recipe(halves[2]))
  # the table itself (the file of sections 1-3) as two ranges of its rowid,
  # each worker with its own connection to the file
  ranges <- function(path, query) {
    force(path)
    force(query)
    function() gradglm::gradglm_source(DBI::dbConnect(RSQLite::SQLite(), path), query, chunk_size = 1e5)
  }
  environment(ranges) <- globalenv()
  mid <- n %/% 2
  same <- gradglm_partitions(low = ranges(path, sprintf("SELECT * FROM d WHERE rowid <= %d", mid)),
                             high = ranges(path, sprintf("SELECT * FROM d WHERE rowid > %d", mid)))
  # (future's multisession plan with 1 worker would run in this R process,
  # whose memory the fits above have already touched, and its cluster plan
  # costs about 0.3 s a future on this machine: the baseline is the whole
  # table as one partition on the same plan of 2 workers, where one worker
  # process reads every row, against the two halves on two)
  whole <- gradglm_partitions(all = ranges(path, "SELECT * FROM d"))
  time_plan <- function(workers, parts) {
    old <- future::plan(future::multisession, workers = workers)
    on.exit(future::plan(old))
    invisible(gradglm(y ~ x1, data = parts, family = binomial()))  # (starts the workers)
    t <- system.time(f <- gradglm(y ~ ., data = parts, family = binomial()))[["elapsed"]]
    list(time = t, fit = f)
  }
  one <- time_plan(2L, whole)
  in_process <- time_plan(1L, parts)
  two <- time_plan(2L, parts)
  two_same <- time_plan(2L, same)
  cat("| plan | time (s) | passes | reads of the data | max abs coef diff vs the single source's fit |\n|---|--:|--:|--:|--:|\n")
  for (r in list(list("the table as one partition: 1 worker process reads every row", one),
                 list("multisession with 1 worker (the partitions in this R process)", in_process),
                 list("the two files on 2 worker processes", two),
                 list("2 worker processes, the table of sections 1-3 as two rowid ranges", two_same))) {
    cat(sprintf("| %s | %s | %d | %.2f | %s |\n", r[[1]], fmt_t(r[[2]]$time), r[[2]]$fit$source$passes,
                r[[2]]$fit$source$reads,
                fmt_e(if (is.null(gg$error)) max_abs_diff(coef(r[[2]]$fit), coef(fit)) else NA_real_)))
  }
  cat(sprintf("\n1 worker / 2 workers: %s (2 workers faster: %s)\n", fmt_r(one$time / two$time),
              yn(two$time < one$time)))
  cat(sprintf("bigglm time / 2 workers on the table's two rowid ranges: %s (%s s / %s s)\n",
              fmt_r(t_big / two_same$time), fmt_t(t_big), fmt_t(two_same$time)))

  cat("\n## Summary\n\n")
  cat(sprintf("n = %s, p = %d, chunks of %g rows; times in elapsed seconds, measured in this run.\n\n",
              format(n, big.mark = ",", scientific = FALSE), p, chunk))
  cat("| target | measured | met |\n|---|--:|:-:|\n")
  cat(sprintf("| bigglm time / gradglm chunked time >= 5 | %s (%s s / %s s) | %s |\n",
              fmt_r(t_big / gg$time), fmt_t(t_big), fmt_t(gg$time), yn(t_big / gg$time >= 5)))
  cat(sprintf("| bigglm time / gradglm over the same table as two rowid ranges on 2 workers >= 5 | %s (%s s / %s s) | %s |\n",
              fmt_r(t_big / two_same$time), fmt_t(t_big), fmt_t(two_same$time), yn(t_big / two_same$time >= 5)))
  cat(sprintf("| both reach the reference (max abs coef diff <= 1e-6): gradglm / bigglm | %s / %s | %s / %s |\n",
              fmt_e(gg$diff), fmt_e(d_big), yn(gg$diff <= 1e-6), yn(d_big <= 1e-6)))
  cat(sprintf("| (A) chunked <= 1.5 x passes x (read + in-memory fit) | %s | %s |\n",
              fmt_r(gg$time / allowed_a), yn(gg$time <= allowed_a)))
  cat(sprintf("| (B) chunked <= 1.5 x passes x read + in-memory fit | %s | %s |\n",
              fmt_r(gg$time / allowed_b), yn(gg$time <= allowed_b)))
  cat(sprintf("| chunked time per pass / one dbGetQuery read | %s | |\n", fmt_r(per_pass / t_read)))
  cat(sprintf("| (bound) bigglm time / (gradglm's reads of the table x one read in chunks): the ratio if reading cost all the time | %s | |\n",
              fmt_r(t_big / (gg$reads * t_chunks))))
  cat(sprintf("| bigglm time / gradglm time, with cache_dir = NULL (memory cache only) and cache = 1024 | %s, %s | |\n",
              fmt_r(t_big / t_memonly), fmt_r(t_big / t_cached)))
  cat(sprintf("| bigglm time / gradglm time read through DBI (`dbFetch()`, as bigglm reads) | %s (%s s) | %s |\n",
              fmt_r(t_big / t_dbi), fmt_t(t_dbi), yn(t_big / t_dbi >= 5)))
  cat(sprintf("\nThe chunked fits above read the table with %s.\n",
              if (own_reader) "gradglm's own SQLite reader" else "DBI (gradglm built without SQLite's library)"))
  cat(sprintf("\npasses: gradglm %s (%s Newton iterations), bigglm %d\n", format(gg$passes), format(gg$iter),
              big$iterations))
  if (!is.null(gg$error)) cat("gradglm over the source failed:", gg$error, "\n")
})
