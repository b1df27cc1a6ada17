# Cost of one epoch of the minibatch optimizers against one full-batch pass.
#
#   Rscript bench/bench-sgd.R [n] [p] [reps]
#
# n rows (default 1e6) and p numeric predictors (default 50; p + 1 columns with the
# intercept) of a simulated logistic regression (seeded). It times:
#   - one full-batch loss + gradient at the true coefficients, gradglm:::loss_grad_eval()
#     (one thread, the same fused C++ pass the optimizers use), median of `reps` calls;
#   - one epoch of opt_sgd() and of opt_adam() at their default batch size (32) and at
#     batch sizes 128 and 1024: the time between consecutive epoch rows of the fit's
#     trace (the trace's clock runs inside the optimizer, so the set-up, the final
#     full-data loss and the standard errors are not counted), median over 3 epochs,
#     on the default two threads (a batch's runs are shared between them when the
#     batch is large enough to pay for it: here the batches of 1024 rows) and on one.
# The epoch reads X in place: batches are lists of runs of consecutive rows, and no
# batch copies its rows. The issue-4 target is an epoch at most 2x the full pass.
# For comparison the full pass is also timed on the default 2 threads (an epoch is
# sequential by nature: each minibatch step needs the previous one).

suppressPackageStartupMessages(library(gradglm))

args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(if (length(args) >= 1) as.numeric(args[[1]]) else 1e6)
p <- if (length(args) >= 2) as.integer(args[[2]]) else 50L
reps <- if (length(args) >= 3) as.integer(args[[3]]) else 5L

set.seed(42)
X <- cbind(1, matrix(rnorm(n * p), n, p))
beta <- c(-0.5, rnorm(p, sd = 2 / sqrt(p)))
y <- rbinom(n, 1, plogis(drop(X %*% beta)))
w <- rep(1, n)
off <- numeric(n)

full_pass <- function(threads) {
  times <- replicate(reps, system.time(gradglm:::loss_grad_eval(X, y, w, off, 2L, 2L, beta, threads))[["elapsed"]])
  median(times)
}
pass1 <- full_pass(1L)

epoch_time <- function(spec, threads = 2L) {
  old <- options(gradglm.threads = threads)
  on.exit(options(old))
  set.seed(1)
  fit <- suppressWarnings(gradglm_fit(X, y, family = binomial(), optimizer = spec))
  tr <- fit$trace
  stopifnot(nrow(tr) >= 4)
  list(epoch = median(diff(tr$time[1:4])), loss = tail(tr$loss, 1))
}

rows <- list()
for (opt in c("sgd", "adam")) {
  for (b in c(32L, 128L, 1024L)) {
    spec <- if (opt == "sgd") opt_sgd(batch_size = b, max_epochs = 3) else opt_adam(batch_size = b, max_epochs = 3)
    e <- epoch_time(spec)
    e1 <- epoch_time(spec, threads = 1L)
    rows[[length(rows) + 1L]] <- data.frame(optimizer = opt, batch_size = b, epoch_s = e$epoch,
                                            epoch_1 = e1$epoch, ratio_to_pass = e$epoch / pass1,
                                            loss_after_3 = e$loss)
  }
}
res <- do.call(rbind, rows)

cat(sprintf("\n## One epoch of minibatch SGD / Adam, n = %d, p = %d (logistic)\n\n", n, p))
cat(sprintf("One full-batch loss + gradient (one thread): %.3f s (median of %d)\n\n", pass1, reps))
cat("| optimizer | batch size | epoch (s) | epoch on one thread (s) | epoch / full pass | training loss after 3 epochs |\n")
cat("|---|--:|--:|--:|--:|--:|\n")
for (i in seq_len(nrow(res))) {
  cat(sprintf("| %s | %d | %.3f | %.3f | %.2f | %.5f |\n", res$optimizer[i], res$batch_size[i], res$epoch_s[i],
              res$epoch_1[i], res$ratio_to_pass[i], res$loss_after_3[i]))
}
cat("\nIssue-4 target: one epoch at the default batch size <= 2x one full pass:\n")
for (opt in c("sgd", "adam")) {
  r <- res$ratio_to_pass[res$optimizer == opt & res$batch_size == 32L]
  cat(sprintf("  %s: %.2f x -> %s\n", opt, r, if (r <= 2) "met" else "NOT met"))
}
# The floor under an epoch: its reads alone. X b for every run of 16 rows (an epoch's
# runs at the default batch size), in a shuffled order and in order, with the minibatch
# kernel and nothing else, on one thread; and X b over blocks of 1024 rows, as a full
# pass reads X.
nruns <- ceiling(n / 16)
floor_shuffled <- gradglm:::runs_product_time(X, 16L, sample.int(nruns) - 1L)[["seconds"]]
floor_ordered <- gradglm:::runs_product_time(X, 16L, seq_len(nruns) - 1L)[["seconds"]]
floor_blocks <- gradglm:::runs_product_time(X, 1024L, seq_len(ceiling(n / 1024)) - 1L)[["seconds"]]
cat(sprintf(paste0("\nThe reads alone (X b, one thread): runs of 16 rows shuffled %.3f s (%.2f x the full pass), ",
                   "in order %.3f s, blocks of 1024 rows %.3f s\n"),
            floor_shuffled, floor_shuffled / pass1, floor_ordered, floor_blocks))
pass2 <- full_pass(2L)
cat(sprintf("\n(the same full pass on 2 threads: %.3f s; the default-batch SGD epoch is %.2f x that)\n",
            pass2, res$epoch_s[res$optimizer == "sgd" & res$batch_size == 32L] / pass2))
