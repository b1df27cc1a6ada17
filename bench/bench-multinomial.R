# Multinomial regression: gradglm's exact Newton fit against nnet::multinom and
# glmnet (lambda = 0), and one multinomial loss + gradient pass against R's
# matrix products. Installs nothing; prints markdown tables.
#
#   R_LIBS=/tmp/lib-mn Rscript bench/bench-multinomial.R
#
# Data: n = 1e5 rows, p = 20 standard normal predictors (pairwise correlation
# 0.3) plus an intercept, L = 5 classes drawn from a softmax model; seeded.
# Every solution's log-likelihood is computed here, in R, the same way: from
# its coefficients, as sum(log P[i, y_i]) with P the softmax of the linear
# predictors (gradglm and nnet: baseline class 1; glmnet: one predictor per
# class). Timings are elapsed seconds of system.time() in this one process;
# the fast methods are the median of 3 runs. gradglm runs its passes over the
# data with 2 threads by default (option gradglm.threads); the 1-thread fit is
# reported too. nnet and glmnet are single-threaded; R's BLAS is as installed.

suppressPackageStartupMessages({
  library(gradglm)
  library(nnet)
  library(glmnet)
})

# ---------------------------------------------------------------------------
# data

set.seed(20240611)
n <- 1e5L
p <- 20L
L <- 5L
rho <- 0.3
Z <- matrix(rnorm(n * p), n, p)
x <- sqrt(1 - rho) * Z + sqrt(rho) * rnorm(n)
colnames(x) <- sprintf("x%02d", seq_len(p))
X <- cbind("(Intercept)" = 1, x)
B_true <- rbind(seq(-0.4, 0.4, length.out = L - 1L),
                matrix(rnorm(p * (L - 1L), sd = 0.25), p, L - 1L))
eta_true <- cbind(0, X %*% B_true)
P_true <- exp(eta_true - apply(eta_true, 1L, max))
P_true <- P_true / rowSums(P_true)
cls <- paste0("c", seq_len(L))
u <- runif(n)
y_int <- 1L + rowSums(u > t(apply(P_true, 1L, cumsum))[, seq_len(L - 1L), drop = FALSE])
y <- factor(cls[y_int], levels = cls)
rm(Z, eta_true, P_true, u)

# ---------------------------------------------------------------------------
# helpers

# the log-likelihood of full linear predictors (n x L, one column per class)
loglik_eta <- function(eta) {
  m <- apply(eta, 1L, max)
  lse <- m + log(rowSums(exp(eta - m)))
  sum(eta[cbind(seq_len(n), y_int)] - lse)
}

# of a baseline-category coefficient matrix (L - 1) x (p + 1), as coef(multinom)
loglik_baseline <- function(Bm) loglik_eta(cbind(0, X %*% t(Bm)))

# elapsed seconds of each of `reps` evaluations; the value of the last one
time_it <- function(expr_fun, reps) {
  t <- numeric(reps)
  val <- NULL
  for (r in seq_len(reps)) {
    gc(FALSE)
    t[r] <- system.time(val <- expr_fun())[["elapsed"]]
  }
  list(time = stats::median(t), all = t, value = val)
}

fmt <- function(v, digits = 3) formatC(v, digits = digits, format = "g")

# ---------------------------------------------------------------------------
# fits

cat("# Multinomial fits: n = ", format(n, big.mark = ","), ", p = ", p,
    " predictors + intercept, L = ", L, " classes\n\n", sep = "")
cat("R ", R.version$major, ".", R.version$minor, "; gradglm ", format(packageVersion("gradglm")),
    ", nnet ", format(packageVersion("nnet")), ", glmnet ", format(packageVersion("glmnet")),
    "; BLAS: ", basename(extSoftVersion()[["BLAS"]]), "; ", parallel::detectCores(), " cores\n\n",
    sep = "")

res <- list()

# gradglm: exact Newton (the default optimizer for this family)
options(gradglm.threads = 2L)
g2 <- time_it(function() gradglm_fit(X, y, family = multinomial(), optimizer = "newton"), 3L)
fit <- g2$value
stopifnot(fit$converged)
res$gradglm <- list(label = "gradglm_fit, Newton (2 threads)", time = g2$time,
                    loglik = loglik_baseline(coef(fit, matrix = TRUE)),
                    note = paste0(fit$iter, " iterations; runs: ",
                                  paste(sprintf("%.2f", g2$all), collapse = ", ")))
# the serial path (also taken by every fit with n < 20,000 rows); once when slow
options(gradglm.threads = 1L)
g1_fun <- function() gradglm_fit(X, y, family = multinomial(), optimizer = "newton")
g1 <- time_it(g1_fun, 1L)
if (g1$time < 20) g1 <- time_it(g1_fun, 3L)
res$gradglm1 <- list(label = "gradglm_fit, Newton (1 thread)", time = g1$time,
                     loglik = loglik_baseline(coef(g1$value, matrix = TRUE)),
                     note = paste0(g1$value$iter, " iterations; runs: ",
                                   paste(sprintf("%.2f", g1$all), collapse = ", ")))
options(gradglm.threads = 2L)

# nnet::multinom to convergence (once: it is the slow one)
df <- data.frame(y = y, x)
mm <- time_it(function() {
  multinom(y ~ ., data = df, MaxNWts = 10000L, maxit = 10000L, reltol = 1e-10, trace = FALSE)
}, 1L)
res$nnet <- list(label = "nnet::multinom (reltol 1e-10)", time = mm$time,
                 loglik = loglik_baseline(coef(mm$value)),
                 note = paste0("convergence code ", mm$value$convergence))

# glmnet, unpenalised, tight convergence (glmnet 5.x: thresh through control)
gn_fun <- function() {
  glmnet(x, y, family = "multinomial", lambda = 0,
         control = list(thresh = 1e-12, maxit = 1e7))
}
gn_first <- time_it(gn_fun, 1L)
gn <- if (gn_first$time < 20) time_it(gn_fun, 3L) else gn_first
gfit <- gn$value
eta_gn <- sapply(coef(gfit), function(b) as.vector(X %*% as.vector(b)))
res$glmnet <- list(label = "glmnet, lambda = 0 (thresh 1e-12)", time = gn$time,
                   loglik = loglik_eta(eta_gn),
                   note = paste0(gfit$npasses, " passes; runs: ",
                                 paste(sprintf("%.2f", gn$all), collapse = ", ")))

# ---------------------------------------------------------------------------
# table

base <- res$gradglm
cat("| method | time (s) | time / gradglm | logLik at its solution | logLik - gradglm's |",
    "notes |\n")
cat("|---|---:|---:|---:|---:|---|\n")
for (r in res) {
  cat(sprintf("| %s | %.3f | %.2f | %.6f | %s | %s |\n", r$label, r$time, r$time / base$time,
              r$loglik, fmt(r$loglik - base$loglik), r$note))
}
cat("\n")

# "equal" log-likelihood: within 1e-6 (absolute, on a sum over 1e5 rows)
ll_tol <- 1e-6
targets <- c(
  "gradglm >= 10x faster than nnet::multinom" = res$nnet$time / base$time >= 10,
  "gradglm faster than glmnet" = base$time < res$glmnet$time,
  "gradglm logLik >= multinom's - 1e-6" = base$loglik >= res$nnet$loglik - ll_tol,
  "gradglm logLik >= glmnet's - 1e-6" = base$loglik >= res$glmnet$loglik - ll_tol
)
cat("| target | measured | status |\n|---|---|---|\n")
measured <- c(sprintf("%.1fx", res$nnet$time / base$time),
              sprintf("%.3f s vs %.3f s (%.1fx)", base$time, res$glmnet$time,
                      res$glmnet$time / base$time),
              fmt(base$loglik - res$nnet$loglik), fmt(base$loglik - res$glmnet$loglik))
for (i in seq_along(targets)) {
  cat(sprintf("| %s | %s | %s |\n", names(targets)[i], measured[i],
              if (targets[i]) "met" else "NOT met"))
}
cat("\n")

# ---------------------------------------------------------------------------
# one loss + gradient pass against R's two matrix products

spec <- list(designs = list(X), block_design = 0L, block_m = L - 1L,
             y = as.numeric(y_int - 1L), weights = rep(1, n), offsets = list(),
             likelihood = list(type = "multinomial", classes = L))
theta <- as.vector(t(coef(fit, matrix = TRUE))) * 0.9
Bm <- matrix(theta, p + 1L)
Rm <- matrix(rnorm(n * (L - 1L)), n, L - 1L)
inner <- 10L
per_call <- function(f) {
  time_it(function() for (i in seq_len(inner)) f(), 5L)$time / inner
}
t_r <- per_call(function() {
  E <- X %*% Bm
  crossprod(X, Rm)
})
t_e1 <- per_call(function() gradglm:::model_eval(spec, theta, "none", threads = 1L))
t_e2 <- per_call(function() gradglm:::model_eval(spec, theta, "none", threads = 2L))
e1 <- gradglm:::model_eval(spec, theta, "none", threads = 1L)
e2 <- gradglm:::model_eval(spec, theta, "none", threads = 2L)
stopifnot(abs(e1$loss - e2$loss) <= 1e-12 * abs(e1$loss),
          max(abs(e1$gradient - e2$gradient)) <= 1e-12 * max(1, abs(e1$gradient)))

cat("## One loss + gradient pass (n x ", p + 1L, " design, ", L - 1L,
    " predictors; median of 5 x ", inner, " calls)\n\n", sep = "")
cat("| computation | ms per call | ratio to R's X %*% B + crossprod(X, R) | target <= 1.5x |\n")
cat("|---|---:|---:|---|\n")
cat(sprintf("| R: X %%*%% B + crossprod(X, R) | %.2f | 1.00 | |\n", 1e3 * t_r))
for (th in list(list("model_eval, 1 thread", t_e1), list("model_eval, 2 threads", t_e2))) {
  cat(sprintf("| %s | %.2f | %.2f | %s |\n", th[[1]], 1e3 * th[[2]], th[[2]] / t_r,
              if (th[[2]] / t_r <= 1.5) "met" else "NOT met"))
}
cat("\n")

# ---------------------------------------------------------------------------
# optimizer = "auto": Newton's method against L-BFGS over a grid, one thread.
# n = 1e4 rows by default; GRADGLM_BENCH_GRID=full adds n = 1e3 and 1e5 (about
# 15 minutes: the largest cell alone takes 5). p predictors (pairwise
# correlation 0.3) plus an intercept, L classes, d = (p + 1)(L - 1)
# coefficients; cells with d > n / 2 are left out. Each route's time (median
# of 3 runs below 1 s, else 1), its coefficients' largest distance from a
# Newton fit polished to a relative change of 1e-16, in standard errors, the
# norm of the mean loss's gradient, and what "auto" chose.

grid_n <- if (identical(Sys.getenv("GRADGLM_BENCH_GRID"), "full")) c(1e3, 1e4, 1e5) else 1e4
options(gradglm.threads = 1L)
grid_data <- function(n, p, L) {
  set.seed(1)
  x <- sqrt(1 - rho) * matrix(rnorm(n * p), n, p) + sqrt(rho) * rnorm(n)
  X <- cbind(1, x)
  B <- rbind(seq(-0.4, 0.4, length.out = L - 1L), matrix(rnorm(p * (L - 1L), sd = 0.5 / sqrt(p)), p, L - 1L))
  eta <- cbind(0, X %*% B)
  P <- exp(eta - apply(eta, 1L, max))
  P <- P / rowSums(P)
  yi <- 1L + rowSums(runif(n) > t(apply(P, 1L, cumsum))[, seq_len(L - 1L), drop = FALSE])
  list(X = X, yi = yi, y = factor(yi, levels = seq_len(L)))
}
grad_norm <- function(g, theta, L) {
  s <- list(designs = list(g$X), block_design = 0L, block_m = L - 1L, y = as.numeric(g$yi - 1L),
            weights = rep(1, nrow(g$X)), offsets = list(), likelihood = list(type = "multinomial", classes = L))
  sqrt(sum(gradglm:::model_eval(s, unname(theta), "none")$gradient^2))
}
cat("## optimizer = \"auto\": Newton against L-BFGS (1 thread)\n\n")
cat("| n | p | L | d | Newton (s) | L-BFGS (s) | Newton / L-BFGS | iterations | coef error / SE",
    "(Newton, L-BFGS, auto) | gradient (Newton, L-BFGS, auto) | auto |\n")
cat("|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|\n")
for (gn in grid_n) for (L in c(3L, 5L, 10L)) for (p in c(5L, 20L, 50L, 100L, 200L)) {
  d <- (p + 1L) * (L - 1L)
  if (d > gn / 2) next
  g <- grid_data(gn, p, L)
  fit_with <- function(opt) gradglm_fit(g$X, g$y, family = multinomial(), optimizer = opt)
  tn <- time_it(function() fit_with("newton"), 1L)
  reps <- if (tn$time < 1) 3L else 1L
  if (reps > 1L) tn <- time_it(function() fit_with("newton"), reps)
  tl <- time_it(function() fit_with("lbfgs"), reps)
  auto <- fit_with("auto")
  ref <- gradglm_fit(g$X, g$y, family = multinomial(), optimizer = opt_newton(tol = 1e-16, max_iter = 100),
                     start = coef(tn$value))
  se <- sqrt(diag(vcov(ref)))
  fits <- list(tn$value, tl$value, auto)
  err <- vapply(fits, function(f) max(abs(coef(f) - coef(ref)) / se), 1)
  gr <- vapply(fits, function(f) grad_norm(g, coef(f), L), 1)
  cat(sprintf("| %g | %d | %d | %d | %.3f | %.3f | %.2f | %d, %d | %s | %s | %s |\n", gn, p, L, d, tn$time,
              tl$time, tn$time / tl$time, tn$value$iter, tl$value$iter, paste(fmt(err, 2), collapse = ", "),
              paste(fmt(gr, 2), collapse = ", "), auto$optimizer))
}
cat("\n")
