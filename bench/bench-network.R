# Feedforward networks (model = mlp()) against nnet, in the same process.
#
#   R_LIBS=/tmp/lib Rscript bench/bench-network.R [quick]
#
# 1. Speed, n = 1e5, p = 20, one hidden layer of 32 sigmoid units, logistic
#    output: one full-batch loss + gradient of gradglm (the engine's pass,
#    timed in C++ over 20 passes, on 1 and 2 threads) against one BFGS
#    iteration of nnet (nnet(maxit = 20) / 20; nnet's iteration costs about
#    one loss + gradient), and one Adam epoch (batch size 128, from the
#    trace's times, on 2 threads and on 1: a batch's rows are shared between
#    the threads) against one full-batch pass. Where the time goes: the
#    pass's matrix products (GEMMs: 4 n p u + 6 n u flops) in GFLOP/s, and
#    the share of the activation (the pass with the identity activation).
# 2. The same architecture and weight decay as nnet on MASS::Boston
#    (regression, 5 hidden units, decay 0.01, 400 training rows) and
#    MASS::Pima.tr / Pima.te (classification, 5 hidden units, decay 0.01):
#    nnet (maxit 5000, tight reltol) against gradglm's L-BFGS, 20 random
#    starts each (5 with "quick"), on the same standardised inputs: the best
#    and the median of the starts' final objectives. Networks have many local
#    optima; which package's best of a few starts is lower is luck, so the
#    medians say more about the optimizers. Held-out losses: of each
#    package's best start, and the median over its starts.
#    gradglm fits nnet's objective (sum of losses + decay * every weight and
#    bias squared) with mlp(decay_biases = TRUE) and lambda = 2 decay / n
#    (binomial) or decay / n (Gaussian, whose loss is half the squared
#    error): its objective is nnet's divided by n, and both solutions are
#    scored by nnet's.
#    Held-out losses: mean squared error (Boston) and mean binomial deviance
#    (Pima.te). Then the same over 10 random splits of each data set (5
#    starts per package and split, each package's best by training
#    objective): one split says little when the best optima differ by a few
#    percent.
# 3. Memory, n = 1e6, p = 50, mlp(c(64, 64)): peak resident memory of one
#    Adam epoch of gradglm_fit() on the matrix (VmHWM after clear_refs)
#    against the size of X.

suppressPackageStartupMessages({
  library(gradglm)
  library(nnet)
})
source("bench/helper-network.R")  # (from_nnet, to_nnet, nnet_objective, split_inputs)
quick <- "quick" %in% commandArgs(trailingOnly = TRUE)

cat("## 1. Speed: n = 1e5, p = 20, 32 hidden sigmoid units, logistic output\n\n")
set.seed(1)
n <- 1e5
p <- 20
X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, sprintf("x%02d", seq_len(p))))
y <- rbinom(n, 1, plogis(sin(X[, 1]) + X[, 2] * X[, 3] - 0.5 * X[, 4]))
d <- data.frame(y = y, X)
fit <- gradglm(y ~ ., data = d, family = binomial(), model = mlp(32, activation = "sigmoid"),
               optimizer = opt_adam(max_epochs = 4, batch_size = 128, learning_rate = 0.001))
pass2 <- gradglm:::network_objective(fit, reps = 20, threads = 2)$seconds
pass1 <- gradglm:::network_objective(fit, reps = 20, threads = 1)$seconds
fit_id <- gradglm(y ~ ., data = d, family = binomial(), model = mlp(32, activation = "identity"),
                  optimizer = opt_adam(max_epochs = 1, batch_size = 128, learning_rate = 0.001))
pass1_id <- gradglm:::network_objective(fit_id, reps = 20, threads = 1)$seconds
epoch <- median(diff(fit$trace$time)[-1])
old_threads <- options(gradglm.threads = 1L)
fit1 <- gradglm(y ~ ., data = d, family = binomial(), model = mlp(32, activation = "sigmoid"),
                optimizer = opt_adam(max_epochs = 4, batch_size = 128, learning_rate = 0.001))
options(old_threads)
epoch1 <- median(diff(fit1$trace$time)[-1])
Xs <- scale(X)
it <- if (quick) 5L else 20L
t_nnet <- system.time(nnet(Xs, y, size = 32, entropy = TRUE, maxit = it, trace = FALSE, MaxNWts = 1e5))[[3]] / it
flops <- 4 * n * p * 32 + 6 * n * 32
cat("| measure | seconds | ratio |\n|---|---|---|\n")
cat(sprintf("| gradglm full-batch loss + gradient, 2 threads | %.4f | |\n", pass2))
cat(sprintf("| gradglm full-batch loss + gradient, 1 thread | %.4f | |\n", pass1))
cat(sprintf("| nnet BFGS iteration | %.4f | nnet / gradglm (2 threads): %.1fx, (1 thread): %.1fx |\n", t_nnet,
            t_nnet / pass2, t_nnet / pass1))
cat(sprintf("| gradglm Adam epoch, batch 128 | %.4f | epoch / full-batch pass (2 threads): %.2f, (1 thread): %.2f |\n",
            epoch, epoch / pass2, epoch / pass1))
cat(sprintf("| gradglm Adam epoch, batch 128, 1 thread | %.4f | epoch on 1 thread / on 2: %.2f |\n",
            epoch1, epoch1 / epoch))
cat(sprintf("\nGEMM flops of one pass: %.3g; 1 thread: %.2f GFLOP/s. The identity activation's pass: %.4f s, so the sigmoid takes %.0f%% of the 1-thread pass.\n\n",
            flops, flops / pass1 / 1e9, pass1_id, 100 * (pass1 - pass1_id) / pass1))

cat("## 2. Against nnet: same architecture and weight decay\n\n")
starts <- if (quick) 5L else 20L
# both packages from `starts` starts each on one split: nnet's objective at
# every solution, held-out losses, and the "same objective" check
fit_both <- function(train, test, form, family, h = 5, decay = 0.01, starts) {
  # (Xtr, Xte, ytr, yte, entropy, Str, Ste, n and lambda: see split_inputs())
  list2env(split_inputs(train, test, form, family, decay), environment())
  set.seed(10)
  nn <- lapply(seq_len(starts), function(i) nnet(Str, ytr, size = h, decay = decay, linout = !entropy, entropy = entropy,
                                     maxit = 5000, reltol = 1e-12, abstol = 0, trace = FALSE))
  best_nn <- nn[[which.min(vapply(nn, `[[`, 0, "value"))]]
  dtr <- data.frame(y = ytr, Xtr)
  dte <- data.frame(y = yte, Xte)
  fam <- if (entropy) binomial() else gaussian()
  set.seed(20)
  ours <- lapply(seq_len(starts), function(i) suppressWarnings(
    gradglm(y ~ ., data = dtr, family = fam, model = mlp(h, activation = "sigmoid", decay_biases = TRUE),
            penalty = ridge(lambda = lambda), optimizer = opt_lbfgs(tol = 1e-10, max_iter = 20000))))
  obj_ours <- function(theta, f) gradglm:::network_objective(f, theta)$value
  vals <- vapply(ours, function(f) f$network$objective, 0)
  best <- ours[[which.min(vals)]]
  th_nn <- from_nnet(best_nn$wts, ncol(Xtr), h)
  held <- function(pred) if (entropy) -2 * mean(ifelse(yte == 1, log(pred), log(1 - pred))) else mean((yte - pred)^2)
  nn_at <- function(f) nnet_objective(to_nnet(coef(f), ncol(Xtr), h), Str, ytr, h, decay, entropy)
  list(nn_all = vapply(nn, `[[`, 0, "value"), ours_all = vapply(ours, nn_at, 0),
       ho_ours = vapply(ours, function(f) held(predict(f, dte, type = "response")), 0),
       ho_nn = vapply(nn, function(m) held(drop(predict(m, Ste))), 0),
       same = abs((if (entropy) 1 else 2) * n * obj_ours(th_nn, best) - best_nn$value) / best_nn$value)
}
compare <- function(name, train, test, form, family, h = 5, decay = 0.01) {
  r <- fit_both(train, test, form, family, h, decay, starts)
  b_ours <- which.min(r$ours_all)
  b_nn <- which.min(r$nn_all)
  cat(sprintf("| %s | %.6g / %.6g | %.6g (%+.2f%%) / %.6g (%+.2f%%) | %.3g | %.4g / %.4g | %.4g / %.4g |\n",
              name, min(r$nn_all), stats::median(r$nn_all), min(r$ours_all), 100 * (min(r$ours_all) / min(r$nn_all) - 1),
              stats::median(r$ours_all), 100 * (stats::median(r$ours_all) / stats::median(r$nn_all) - 1),
              r$same, r$ho_ours[b_ours], stats::median(r$ho_ours), r$ho_nn[b_nn], stats::median(r$ho_nn)))
}
# held-out losses of each package's best start (by training objective) over
# `reps` random splits of the same rows: one split decides little when the
# two best optima differ by a few percent
split_study <- function(name, data, form, family, ntrain, reps = 10, h = 5, decay = 0.01) {
  ho <- matrix(NA_real_, reps, 2, dimnames = list(NULL, c("gradglm", "nnet")))
  tr <- matrix(NA_real_, reps, 2, dimnames = list(NULL, c("gradglm", "nnet")))
  for (r in seq_len(reps)) {
    set.seed(100 + r)
    idx <- sample(nrow(data), ntrain)
    z <- fit_both(data[idx, ], data[-idx, ], form, family, h, decay, 5L)
    ho[r, ] <- c(z$ho_ours[which.min(z$ours_all)], z$ho_nn[which.min(z$nn_all)])
    tr[r, ] <- c(min(z$ours_all), min(z$nn_all))
  }
  cat(sprintf("| %s | %d | %.4g / %.4g | %.4g / %.4g | %d / %d | %d of %d | %d of %d |\n", name, reps,
              stats::median(ho[, 1]), stats::median(ho[, 2]), mean(ho[, 1]), mean(ho[, 2]),
              sum(!is.finite(ho[, 1])), sum(!is.finite(ho[, 2])),
              sum(tr[, 1] <= tr[, 2] * 1.01), reps, sum(ho[, 1] <= ho[, 2]), reps))
}
cat("nnet's objective at the solutions of", starts, "starts each: best / median (percent: relative to nnet's); 'same objective' is |gradglm's objective x n (x 2 for the Gaussian) - nnet's| / nnet's at nnet's best solution; held-out losses of each package's best start / median over its starts.\n\n")
cat("| data | nnet: best / median | gradglm: best / median | same objective | held-out: gradglm best / median | held-out: nnet best / median |\n|---|---|---|---|---|---|\n")
set.seed(5)
idx <- sample(nrow(MASS::Boston), 400)
compare("Boston, medv ~ . (Gaussian)", MASS::Boston[idx, ], MASS::Boston[-idx, ], medv ~ ., "gaussian")
compare("Pima.tr / Pima.te, type ~ . (binomial)", MASS::Pima.tr, MASS::Pima.te, type ~ ., "binomial")

cat("\nOver random splits (best of 5 starts each, chosen by training objective): held-out loss median and mean (gradglm / nnet); splits where a package's best start predicts a held-out row's class with probability 0 (an infinite deviance); splits where gradglm's training objective is within 1% of nnet's or lower; splits where its held-out loss is no worse.\n\n")
cat("| data | splits | held-out median | held-out mean | infinite held-out | training within 1% | held-out no worse |\n|---|--:|---|---|--:|--:|--:|\n")
split_study("Boston, 400 training rows (Gaussian)", MASS::Boston, medv ~ ., "gaussian", 400L)
split_study("Pima (tr + te), 200 training rows (binomial)", rbind(MASS::Pima.tr, MASS::Pima.te), type ~ ., "binomial", 200L)

if (!quick) {
  cat("\n## 3. Memory: n = 1e6, p = 50, mlp(c(64, 64)), one Adam epoch\n\n")
  # in a fresh R process, so that what the sections above left in this one
  # does not count
  code <- '
  suppressPackageStartupMessages(library(gradglm))
  set.seed(3)
  n <- 1e6
  p <- 50
  X <- matrix(rnorm(n * p), n, p)
  y <- rbinom(n, 1, plogis(X[, 1] - X[, 2]))
  invisible(gc())
  status <- function(field) as.numeric(sub("kB", "", strsplit(grep(field, readLines("/proc/self/status"),
                                                                    value = TRUE), ":\\\\s+")[[1]][2])) * 1024
  writeLines("5", "/proc/self/clear_refs")
  before <- status("VmRSS")
  t <- system.time(f <- suppressWarnings(gradglm_fit(X, y, family = binomial(), model = mlp(c(64, 64)),
                                                     optimizer = opt_adam(max_epochs = 1, batch_size = 128))))[[3]]
  peak <- status("VmHWM")
  cat(sprintf("X: %.0f MB; resident before the fit %.0f MB (R, the package, X and y), peak during it %.0f MB: growth %.0f MB = %.2f x X; epoch and set-up %.1f s\\n",
              object.size(X) / 2^20, before / 2^20, peak / 2^20, (peak - before) / 2^20,
              (peak - before) / as.numeric(object.size(X)), t))
  cat(sprintf("peak / X = %.2f (the peak includes R itself and X)\\n", peak / as.numeric(object.size(X))))
  '
  invisible(system2(file.path(R.home("bin"), "Rscript"), c("-e", shQuote(code))))
}
