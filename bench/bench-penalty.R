# Regularization paths: gradglm against glmnet on the same data, in the same
# process, as ratios (glmnet time / gradglm time: above 1 means gradglm is
# faster). Installs glmnet if it is missing; prints a markdown table.
#
#   R_LIBS=/tmp/lib Rscript bench/bench-penalty.R [quick]
#
# Cases: a default lasso path of 100 lambdas (both packages stop a GLM path
# early by the same rule) for gaussian and binomial at n = 1e5, p = 200 and
# binomial at n = 1e6, p = 50; 10-fold cross-validation of the gaussian path
# at n = 1e5, p = 200 (cv_gradglm against cv.glmnet, the same folds), one
# after the other and on two workers (cv_gradglm(parallel = TRUE) with
# future's multisession plan; cv.glmnet(parallel = TRUE) with doParallel's
# two-process cluster; the workers' start-up is not timed). Data:
# standard normal predictors with pairwise correlation 0.3, 20 non-zero
# coefficients; seeded. Both packages get the design as a numeric matrix
# (gradglm_fit and glmnet; gradglm() with a formula adds the cost of
# building the model frame). Timings are elapsed seconds of system.time(),
# the median of `reps` runs. Each fit's solution is checked against the
# other's: the largest |difference| of coefficients relative to max(1, |b|)
# over the lambdas both fitted, and gradglm's largest KKT violation.

for (pkg in c("glmnet", "future.apply", "doParallel")) {
  if (!requireNamespace(pkg, quietly = TRUE)) install.packages(pkg, repos = getOption("repos"))
}
suppressPackageStartupMessages({
  library(gradglm)
  library(glmnet)
})
quick <- "quick" %in% commandArgs(trailingOnly = TRUE)
reps <- if (quick) 1L else 3L

make_data <- function(n, p, family, seed = 1) {
  set.seed(seed)
  rho <- 0.3
  x <- sqrt(1 - rho) * matrix(rnorm(n * p), n, p) + sqrt(rho) * rnorm(n)
  colnames(x) <- sprintf("x%03d", seq_len(p))
  b <- c(rnorm(20, sd = 0.5), numeric(p - 20))
  eta <- drop(x %*% b)
  y <- switch(family, gaussian = eta + rnorm(n), binomial = rbinom(n, 1, plogis(eta)))
  list(x = x, y = y)
}

time_median <- function(f, reps) {
  out <- NULL
  t <- vapply(seq_len(reps), function(i) {
    gc()
    system.time(out <<- f())[["elapsed"]]
  }, numeric(1))
  list(time = stats::median(t), value = out)
}

compare_paths <- function(fit, g) {
  B <- coef(fit)
  G <- as.matrix(rbind(g$a0, as.matrix(g$beta)))
  k <- min(ncol(B), ncol(G))
  lam_ok <- max(abs(fit$path$lambda[seq_len(k)] - g$lambda[seq_len(k)]) / g$lambda[seq_len(k)])
  c(coef = max(abs(B[, seq_len(k)] - G[, seq_len(k)]) / pmax(1, abs(G[, seq_len(k)]))), lambda = lam_ok,
    kkt = max(fit$path$kkt), n_ours = ncol(B), n_glmnet = ncol(G))
}

rows <- list()
add_row <- function(task, t_ours, t_glmnet, cmp) {
  rows[[length(rows) + 1L]] <<- data.frame(
    task = task, gradglm_s = round(t_ours, 3), glmnet_s = round(t_glmnet, 3),
    ratio = round(t_glmnet / t_ours, 2), lambdas = paste0(cmp[["n_ours"]], "/", cmp[["n_glmnet"]]),
    max_rel_coef_diff = signif(cmp[["coef"]], 2), max_kkt = signif(cmp[["kkt"]], 2))
}

path_case <- function(n, p, family) {
  d <- make_data(n, p, family)
  X1 <- cbind("(Intercept)" = 1, d$x)
  fam <- switch(family, gaussian = gaussian(), binomial = binomial())
  ours <- time_median(function() gradglm_fit(X1, d$y, family = fam, penalty = lasso()), reps)
  theirs <- time_median(function() glmnet(d$x, d$y, family = family), reps)
  add_row(sprintf("%s lasso path, n = %g, p = %d", family, n, p), ours$time, theirs$time,
          compare_paths(ours$value, theirs$value))
}

path_case(1e5, 200, "gaussian")
path_case(1e5, 200, "binomial")
if (!quick) path_case(1e6, 50, "binomial")

# 10-fold cross-validation on the same folds
d <- make_data(1e5, 200, "gaussian")
df <- data.frame(y = d$y, d$x)
set.seed(2)
folds <- sample(rep_len(1:10, nrow(df)))
ours <- time_median(function() cv_gradglm(y ~ ., data = df, penalty = lasso(), foldid = folds), 1L)
theirs <- time_median(function() cv.glmnet(d$x, d$y, foldid = folds), 1L)
cmp <- c(coef = max(abs(coef(ours$value, s = "lambda_min") - as.numeric(coef(theirs$value, s = "lambda.min"))) /
                      pmax(1, abs(as.numeric(coef(theirs$value, s = "lambda.min"))))),
         kkt = NA, n_ours = length(ours$value$lambda), n_glmnet = length(theirs$value$lambda))
add_row("gaussian 10-fold CV (formula), n = 1e5, p = 200", ours$time, theirs$time, cmp)

future::plan("multisession", workers = 2)
cl <- parallel::makePSOCKcluster(2)
doParallel::registerDoParallel(cl)
invisible(future.apply::future_lapply(1:2, function(i) requireNamespace("gradglm", quietly = TRUE)))
invisible(parallel::clusterEvalQ(cl, requireNamespace("glmnet")))
ours_p <- time_median(function() cv_gradglm(y ~ ., data = df, penalty = lasso(), foldid = folds,
                                            parallel = TRUE), 1L)
theirs_p <- time_median(function() cv.glmnet(d$x, d$y, foldid = folds, parallel = TRUE), 1L)
cmp_p <- cmp
cmp_p["coef"] <- max(abs(coef(ours_p$value, s = "lambda_min") - coef(ours$value, s = "lambda_min")))
add_row("... the same CV on 2 workers (coef diff: vs one after the other)", ours_p$time, theirs_p$time,
        cmp_p)
parallel::stopCluster(cl)
future::plan("sequential")

tab <- do.call(rbind, rows)
cat("\n| task | gradglm (s) | glmnet (s) | glmnet / gradglm | lambdas (ours/glmnet) | max rel. coef diff | max KKT |\n")
cat("|---|---|---|---|---|---|---|\n")
for (i in seq_len(nrow(tab))) {
  r <- tab[i, ]
  cat(sprintf("| %s | %.3f | %.3f | %.2f | %s | %.2g | %.2g |\n", r$task, r$gradglm_s, r$glmnet_s, r$ratio,
              r$lambdas, r$max_rel_coef_diff, r$max_kkt))
}
