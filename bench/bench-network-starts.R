# Networks against nnet over random splits: how gradglm's training reaches
# its optimum decides "within 1% of nnet's best of 5 starts", and the optimum
# decides the held-out loss (issue 11's last point).
#
#   R_LIBS=/tmp/lib Rscript bench/bench-network-starts.R [splits]   # from the package root
#
# The set-up of bench-network.R's split study (5 sigmoid units, decay 0.01,
# nnet's objective on inputs standardised alike, 5 starts per package and
# split, each package's best start by training objective; MASS::Boston with
# 400 training rows, Pima.tr + Pima.te with 200), repeated for three ways of
# training gradglm's network from each random start:
#
#   lbfgs       L-BFGS to convergence at the target decay (bench-network.R's)
#   continued   L-BFGS along 7 decays from 100 times the target down to it,
#               each fit started at the last one's weights
#   adam+lbfgs  300 Adam epochs (batch size 32), then L-BFGS
#
# For each: in how many splits gradglm's best training objective is within
# 1% of nnet's best or lower, in how many the median of its 5 starts is, in
# how many its held-out loss is no worse than nnet's, and the median held-out
# losses. nnet's fits are the same in every row (same seeds).

suppressPackageStartupMessages({
  library(gradglm)
  library(nnet)
})
source("bench/helper-network.R")  # (to_nnet, nnet_objective, split_inputs)
args <- commandArgs(trailingOnly = TRUE)
splits <- if (length(args) && !is.na(suppressWarnings(as.integer(args[1])))) as.integer(args[1]) else 10L
h <- 5
decay <- 0.01
starts <- 5L

train_ours <- function(strategy, dtr, fam, lambda) {
  mod <- mlp(h, activation = "sigmoid", decay_biases = TRUE)
  opt <- opt_lbfgs(tol = 1e-10, max_iter = 20000)
  fit <- function(lam, optimizer, start = NULL) {
    suppressWarnings(gradglm(y ~ ., data = dtr, family = fam, model = mod, penalty = ridge(lambda = lam),
                             optimizer = optimizer, start = start))
  }
  switch(strategy,
    lbfgs = fit(lambda, opt),
    continued = {
      f <- NULL
      for (lam in lambda * 10^seq(2, 0, length.out = 7)) f <- fit(lam, opt, f)
      f
    },
    "adam+lbfgs" = fit(lambda, opt, fit(lambda, opt_adam(learning_rate = 0.01, batch_size = 32, max_epochs = 300))))
}

study <- function(name, data, form, family, ntrain) {
  strategies <- c("lbfgs", "continued", "adam+lbfgs")
  res <- list()
  for (r in seq_len(splits)) {
    set.seed(100 + r)
    idx <- sample(nrow(data), ntrain)
    train <- data[idx, ]
    test <- data[-idx, ]
    # (Xtr, Xte, ytr, yte, entropy, Str, Ste, n and lambda: see split_inputs())
    list2env(split_inputs(train, test, form, family, decay), environment())
    held <- function(pred) if (entropy) -2 * mean(ifelse(yte == 1, log(pred), log(1 - pred))) else mean((yte - pred)^2)
    set.seed(10)
    nn <- lapply(seq_len(starts), function(i) nnet(Str, ytr, size = h, decay = decay, linout = !entropy,
                                                   entropy = entropy, maxit = 5000, reltol = 1e-12, abstol = 0,
                                                   trace = FALSE))
    nn_val <- vapply(nn, `[[`, 0, "value")
    nn_held <- held(drop(predict(nn[[which.min(nn_val)]], Ste)))
    dtr <- data.frame(y = ytr, Xtr)
    dte <- data.frame(y = yte, Xte)
    fam <- if (entropy) binomial() else gaussian()
    for (s in strategies) {
      set.seed(20)
      t0 <- proc.time()[[3]]
      ours <- lapply(seq_len(starts), function(i) train_ours(s, dtr, fam, lambda))
      secs <- proc.time()[[3]] - t0
      val <- vapply(ours, function(f) nnet_objective(to_nnet(coef(f), ncol(Xtr), h), Str, ytr, h, decay, entropy), 0)
      res[[length(res) + 1L]] <- data.frame(strategy = s, split = r, nn_best = min(nn_val), best = min(val),
                                            median = stats::median(val), held = held(predict(ours[[which.min(val)]], dte, type = "response")),
                                            nn_held = nn_held, seconds = secs)
    }
  }
  res <- do.call(rbind, res)
  for (s in strategies) {
    z <- res[res$strategy == s, ]
    cat(sprintf("| %s | %s | %d of %d | %d of %d | %d of %d | %.4g / %.4g | %.1f |\n", name, s,
                sum(z$best <= 1.01 * z$nn_best), nrow(z), sum(z$median <= 1.01 * z$nn_best), nrow(z),
                sum(z$held <= z$nn_held), nrow(z), stats::median(z$held), stats::median(z$nn_held), sum(z$seconds)))
  }
}

cat("# gradglm's network training against nnet's best of", starts, "starts, over", splits, "random splits\n\n")
cat("| data | gradglm's training | best within 1% of nnet's best | median of starts within 1% of nnet's best |",
    "held-out no worse | held-out median: gradglm / nnet | gradglm seconds |\n|---|---|--:|--:|--:|--:|--:|\n")
study("Boston (400 training rows, MSE)", MASS::Boston, medv ~ ., "gaussian", 400L)
study("Pima (200 training rows, deviance)", rbind(MASS::Pima.tr, MASS::Pima.te), type ~ ., "binomial", 200L)
