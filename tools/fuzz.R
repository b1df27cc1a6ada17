# Fuzzing gradglm() with generated odd inputs, many more than the test suite's
# 3,000 (tests/testthat/test-fuzz.R). Each case is drawn from its seed by
# tests/testthat/helper-fuzz.R; it must end in a checked fit or a clear error
# from the package (a message that names a function), within a time limit.
# Every other outcome is saved as a reproducible case:
#   <out>/case-<seed>.rds   list(seed, outcome, args, newdata)
# and listed at the end. Re-run one with
#   case <- readRDS("case-123.rds"); do.call(gradglm::gradglm, case$args)
#
# Usage (from the repository, the package installed):
#   Rscript tools/fuzz.R [cases = 100000] [first seed = 1] [out = fuzz-failures]
args <- commandArgs(trailingOnly = TRUE)
n_cases <- if (length(args) >= 1L) as.integer(args[1L]) else 100000L
first <- if (length(args) >= 2L) as.integer(args[2L]) else 1L
out_dir <- if (length(args) >= 3L) args[3L] else "fuzz-failures"
suppressPackageStartupMessages(library(gradglm))
source(file.path("tests", "testthat", "helper-fuzz.R"))
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
t0 <- Sys.time()
counts <- c(fit = 0, error = 0, failure = 0)
failures <- character(0)
kinds <- character(0)
for (seed in seq.int(first, length.out = n_cases)) {
  case <- fuzz_case(seed)
  kinds <- union(kinds, case$kinds)
  outcome <- fuzz_run(case, seconds = 10)
  # a busy machine can stretch a case past its limit: a hang must repeat with a
  # limit three times as long
  if (identical(outcome, "time limit")) outcome <- fuzz_run(case, seconds = 30)
  if (outcome %in% c("fit", "error")) {
    counts[outcome] <- counts[outcome] + 1
  } else {
    counts["failure"] <- counts["failure"] + 1
    failures <- c(failures, sprintf("%d: %s", seed, outcome))
    saveRDS(c(case, outcome = outcome), file.path(out_dir, sprintf("case-%d.rds", seed)))
  }
  if (seed %% 10000L == 0L) {
    message(sprintf("%d cases, %d failures, %.0f s", seed - first + 1L, counts[["failure"]],
                    as.numeric(difftime(Sys.time(), t0, units = "secs"))))
  }
}
cat(sprintf("%d cases in %.0f s: %d fits, %d clear errors, %d failures\n", n_cases,
            as.numeric(difftime(Sys.time(), t0, units = "secs")), counts[["fit"]], counts[["error"]],
            counts[["failure"]]))
cat(sprintf("%d kinds of input covered:\n", length(kinds)))
groups <- sub(":.*", "", kinds)
for (g in unique(groups)) {
  cat(sprintf("  %s (%d): %s\n", g, sum(groups == g),
              paste(sub("^[^:]*:", "", kinds[groups == g]), collapse = ", ")))
}
if (length(failures)) {
  cat("failures (saved in ", out_dir, "):\n", paste(failures, collapse = "\n"), "\n", sep = "")
  quit(status = 1)
}
