# Benchmark of building the design: stats::model.matrix() (one dense n x p matrix) against
# gradglm:::design_from_frame() (a list of columns sharing the frame's numeric vectors).
#
#   Rscript bench/bench-design.R [n] [reps]
#
# n rows (default 1e6), reps = repetitions of each call (default 5). Two cases:
#   numeric:  y ~ .  on 50 double columns x1..x50    (the design has 51 columns)
#   mixed:    y ~ . + f1:x1  on 10 double columns and two factors f1, f2 with 5 levels
# Both functions get the same terms object and model frame; model.frame() is not timed.
#
# Each (case, function) pair runs in its own R process, so that neither inherits memory the
# other freed: a call that needs new memory pays for touching fresh pages, as it would in a
# fresh session. Reported: the first call's time and the median over `reps` calls; the growth
# of the process's peak resident set during the first call ("peak RSS": the peak is reset by
# writing 5 to /proc/self/clear_refs just before it; Linux only), which counts every page the
# call touched; and the growth of R's heap (gc()'s "max used" over what was in use before the
# call), which includes garbage not yet collected. A last process per case checks that
# as.matrix() of the design is identical() to model.matrix() and counts the design elements
# that are the frame's own vectors.

args <- commandArgs(trailingOnly = TRUE)

# ---- one measurement (run in a child process) -----------------------------------------------

status_kb <- function(field) {
  s <- tryCatch(readLines("/proc/self/status"), error = function(e) character())
  line <- grep(paste0("^", field, ":"), s, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", line))
}
reset_peak_rss <- function() {
  tryCatch({
    cat("5", file = "/proc/self/clear_refs")
    TRUE
  }, error = function(e) FALSE)
}
heap_bytes <- function(g, col) sum(g[, col] * c(56, 8))  # Ncells are 56 bytes, Vcells 8

# The data and formula of a case, generated column by column (no large temporaries).
make_case <- function(case, n) {
  set.seed(20240611)
  cols <- function(k) {
    stats::setNames(lapply(seq_len(k), function(j) stats::rnorm(n)), paste0("x", seq_len(k)))
  }
  if (case == "numeric") {
    df <- as.data.frame(c(cols(50L), list(y = stats::rnorm(n))))
    return(list(data = df, formula = y ~ .))
  }
  df <- as.data.frame(c(cols(10L), list(
    f1 = factor(sample(letters[1:5], n, replace = TRUE)),
    f2 = factor(sample(LETTERS[1:5], n, replace = TRUE)),
    y = stats::rnorm(n))))
  list(data = df, formula = y ~ . + f1:x1)
}

measure_one <- function(case, fn, n, reps) {
  suppressPackageStartupMessages(library(gradglm))
  cs <- make_case(case, n)
  mf <- stats::model.frame(cs$formula, cs$data)
  mt <- attr(mf, "terms")
  rm(cs)
  build <- switch(fn,
                  model.matrix = function() stats::model.matrix(mt, mf),
                  design = function() gradglm:::design_from_frame(mt, mf))
  invisible(gc())
  rss0 <- status_kb("VmRSS")
  can_reset <- reset_peak_rss()
  g0 <- gc(reset = TRUE)
  t0 <- proc.time()[["elapsed"]]
  value <- build()
  t1 <- proc.time()[["elapsed"]]
  g1 <- gc()
  hwm <- status_kb("VmHWM")
  p <- if (is.matrix(value)) ncol(value) else value$ncol
  rm(value)
  times <- t1 - t0
  for (i in seq_len(reps - 1L)) {
    invisible(gc())
    times[i + 1L] <- system.time(build(), gcFirst = FALSE)[["elapsed"]]
  }
  rss <- if (can_reset && is.finite(rss0) && is.finite(hwm)) (hwm - rss0) * 1024 else NA
  cat(sprintf("RESULT %d %.4f %.4f %.0f %.0f %s\n", p, times[1L], stats::median(times), rss,
              heap_bytes(g1, "max used") - heap_bytes(g0, "used"),
              paste(sprintf("%.4f", times), collapse = ",")))
}

verify_one <- function(case, n) {
  suppressPackageStartupMessages(library(gradglm))
  cs <- make_case(case, n)
  mf <- stats::model.frame(cs$formula, cs$data)
  rm(cs)
  mt <- attr(mf, "terms")
  d <- gradglm:::design_from_frame(mt, mf)
  address <- function(x) .Internal(address(x))
  frame_addresses <- lapply(mf, address)
  shared <- sum(vapply(d$columns, function(el) {
    !is.null(el) && any(vapply(frame_addresses, identical, NA, address(el)))
  }, NA))
  same <- identical(as.matrix(d), stats::model.matrix(mt, mf))
  cat(sprintf("VERIFY %d %d %s %s\n", shared, length(d$columns), same, is.null(d$fallback)))
}

if (length(args) && args[[1L]] == "--one") {
  measure_one(args[[2L]], args[[3L]], as.integer(args[[4L]]), as.integer(args[[5L]]))
  quit(save = "no")
}
if (length(args) && args[[1L]] == "--verify") {
  verify_one(args[[2L]], as.integer(args[[3L]]))
  quit(save = "no")
}

# ---- driver ---------------------------------------------------------------------------------

n <- if (length(args) >= 1) as.numeric(args[[1]]) else 1e6
reps <- if (length(args) >= 2) as.integer(args[[2]]) else 5L
stopifnot(is.finite(n), n >= 10, reps >= 1)
n <- as.integer(n)
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L])
rscript <- file.path(R.home("bin"), "Rscript")

child <- function(...) {
  out <- system2(rscript, c(shQuote(script), ...), stdout = TRUE)
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) stop("child process failed: ", paste(out, collapse = "\n"))
  out
}
parse_line <- function(out, tag) {
  line <- grep(paste0("^", tag, " "), out, value = TRUE)
  if (length(line) != 1L) stop("no ", tag, " line in: ", paste(out, collapse = "\n"))
  strsplit(line, " ", fixed = TRUE)[[1L]][-1L]
}
mb <- function(bytes) sprintf("%.1f MB", bytes / 2^20)

cat(sprintf("design benchmark: n = %s, reps = %d, R %s\n", format(n, big.mark = ","), reps,
            getRversion()))
rows <- list()
for (case in c("numeric", "mixed")) {
  for (fn in c("model.matrix", "design")) {
    r <- parse_line(child("--one", case, fn, n, reps), "RESULT")
    f <- as.numeric(r[1:5])
    rows[[length(rows) + 1L]] <- data.frame(case = case, fn = fn, p = f[1L], first = f[2L],
                                            median = f[3L], rss = f[4L], heap = f[5L])
    cat(sprintf("  %-8s %-13s first %7.3f s  median %7.3f s  peak RSS %s  R heap %s  (%s)\n",
                case, fn, f[2L], f[3L], mb(f[4L]), mb(f[5L]), r[6L]))
  }
  v <- parse_line(child("--verify", case, n), "VERIFY")
  cat(sprintf("  %-8s check: identical to model.matrix(): %s; fast path: %s; %s of %s elements",
              case, v[3L], v[4L], v[1L], v[2L]), "are the frame's own vectors\n")
}
res <- do.call(rbind, rows)

cat("\n| case | p | function | first call (s) | median (s) | peak RSS growth | R heap growth |\n")
cat("|---|---:|---|---:|---:|---:|---:|\n")
for (i in seq_len(nrow(res))) {
  fn <- if (res$fn[i] == "design") "`design_from_frame()`" else "`model.matrix()`"
  cat(sprintf("| %s | %d | %s | %.3f | %.3f | %s | %s |\n", res$case[i], res$p[i], fn,
              res$first[i], res$median[i], mb(res$rss[i]), mb(res$heap[i])))
}
