# Benchmark of gradglm's core against the usual R routes to the same estimates.
#
#   Rscript bench/bench-core.R [n] [p] [reps]
#
# n rows (default 1e6), p numeric predictors (default 50; the model matrix has p + 1 columns
# with the intercept), reps = repetitions of the fast calls (default 5; the median is reported).
# The slow peers (glm.fit, glm, glmnet, lm.fit) run once when n >= 2e5 and `reps` times
# otherwise. The default run takes a few minutes on 2 cores; `Rscript bench/bench-core.R 1e5`
# is a quick smoke run.
#
# It times, on simulated data (seeded):
#   logistic, matrix:      glm.fit(X, y, binomial())  |  glmnet(lambda = 0)  |  gradglm_fit(X, y, binomial())
#                          (gradglm also on one thread: options(gradglm.threads = 1), and with
#                          optimizer = "lbfgs")
#   logistic, data frame:  glm(y ~ ., binomial(), df) |  gradglm(y ~ ., df, binomial())
#   Gaussian, matrix:      lm.fit(X, y)               |  gradglm_fit(X, y)
#   one loss + gradient:   X %*% b and crossprod(X, r) in R  |  gradglm:::loss_grad_eval()
# and prints markdown tables of times, ratios, coefficient agreement and peak memory, and the
# performance targets of issue 2 with whether they are met.
#
# Memory: "RSS" is the growth of the process's peak resident set during the call (Linux: the
# peak is reset through /proc/self/clear_refs before each call), so it sees memory allocated by
# C/C++ code as well as by R. "R heap" is the growth of R's own vector heap (gc()'s "max used"),
# which misses C++ allocations. Both are given as multiples of the size of X.

suppressPackageStartupMessages({
  library(gradglm)
  have_glmnet <- requireNamespace("glmnet", quietly = TRUE)
})

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1) as.numeric(args[[1]]) else 1e6
p <- if (length(args) >= 2) as.integer(args[[2]]) else 50L
reps <- if (length(args) >= 3) as.integer(args[[3]]) else 5L
stopifnot(is.finite(n), n > p + 1, p >= 1, reps >= 1)
n <- as.integer(n)
slow_reps <- if (n >= 2e5) 1L else reps

# ---- measuring ---------------------------------------------------------------------------

status_kb <- function(field) {
  s <- tryCatch(readLines("/proc/self/status"), error = function(e) character())
  line <- grep(paste0("^", field, ":"), s, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(gsub("[^0-9]", "", line))
}
reset_peak_rss <- function() {
  tryCatch({ cat("5", file = "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
}
heap_bytes <- function(g) sum(g[, "max used"] * c(56, 8))  # Ncells are 56 bytes, Vcells 8
heap_now <- function(g) sum(g[, "used"] * c(56, 8))

# Runs `expr` `times` times; returns the median elapsed time, the first result, and the peak
# memory growth (bytes) during the first run.
measure <- function(expr, times) {
  expr <- substitute(expr)
  env <- parent.frame()
  invisible(gc())
  rss0 <- status_kb("VmRSS")
  can_reset <- reset_peak_rss()
  g0 <- gc(reset = TRUE)
  t0 <- proc.time()[["elapsed"]]
  value <- eval(expr, env)
  t1 <- proc.time()[["elapsed"]]
  g1 <- gc()
  hwm <- status_kb("VmHWM")
  rss_extra <- if (can_reset && is.finite(rss0) && is.finite(hwm)) (hwm - rss0) * 1024 else NA_real_
  heap_extra <- heap_bytes(g1) - heap_now(g0)
  times_all <- t1 - t0
  if (times > 1) for (i in 2:times) {
    invisible(gc())
    times_all[i] <- system.time(eval(expr, env), gcFirst = FALSE)[["elapsed"]]
  }
  list(time = stats::median(times_all), reps = times, value = value,
       rss = rss_extra, heap = heap_extra)
}

max_abs_diff <- function(a, b) max(abs(unname(as.numeric(a)) - unname(as.numeric(b))))

# ---- data ---------------------------------------------------------------------------------

set.seed(20241126)
cat(sprintf("gradglm benchmark: n = %s, p = %d (+ intercept), reps = %d (slow peers: %d)\n",
            format(n, big.mark = ","), p, reps, slow_reps))
X <- cbind("(Intercept)" = 1, matrix(stats::rnorm(n * p), n, p,
                                     dimnames = list(NULL, paste0("x", seq_len(p)))))
beta_true <- c(-0.5, stats::rnorm(p, sd = 1.2 / sqrt(p)))
eta_true <- drop(X %*% beta_true)
y <- stats::rbinom(n, 1, stats::plogis(eta_true))
y_gauss <- eta_true + stats::rnorm(n)
size_x <- as.numeric(utils::object.size(X))
cat(sprintf("size of X: %.0f MB\n", size_x / 2^20))

rows <- list()
add_row <- function(task, impl, m, coef_diff = NA_real_, ref = NA_character_) {
  rows[[length(rows) + 1L]] <<- data.frame(
    task = task, implementation = impl, time = m$time, reps = m$reps,
    coef_diff = coef_diff, ref = ref, rss = m$rss / size_x, heap = m$heap / size_x,
    stringsAsFactors = FALSE)
}
progress <- function(what, m) cat(sprintf("  %-44s %8.3f s\n", what, m$time))

# ---- logistic regression, matrix interface -----------------------------------------------

cat("logistic regression, matrix interface\n")
m_glmfit <- measure(stats::glm.fit(X, y, family = stats::binomial()), slow_reps)
progress("glm.fit", m_glmfit)
# A tight reference for coefficient agreement: restart glm.fit from its own solution with a
# 1e-12 tolerance (one or two more IRLS steps). Not timed.
ref_fit <- stats::glm.fit(X, y, family = stats::binomial(), start = m_glmfit$value$coefficients,
                          control = stats::glm.control(epsilon = 1e-12, maxit = 50))
b_ref <- ref_fit$coefficients
add_row("logistic, matrix", "`glm.fit()`", m_glmfit,
        max_abs_diff(m_glmfit$value$coefficients, b_ref), "glm.fit, tol 1e-12")

if (have_glmnet) {
  # glmnet standardises internally and fits its own (unpenalised) intercept, so it gets X
  # without the intercept column. lambda = 0: the unpenalised maximum likelihood fit.
  # The convergence threshold moved from `thresh =` to `control = list(thresh =)` in newer
  # glmnet releases; pass it whichever way the installed version takes it. 1e-7 is glmnet's
  # default, 1e-12 asks for glm-level accuracy.
  glmnet_bin <- function(x, y, thresh) {
    if ("control" %in% names(formals(glmnet::glmnet))) {
      glmnet::glmnet(x, y, family = "binomial", lambda = 0, control = list(thresh = thresh))
    } else {
      glmnet::glmnet(x, y, family = "binomial", lambda = 0, thresh = thresh)
    }
  }
  X_noint <- X[, -1, drop = FALSE]
  invisible(glmnet_bin(X_noint[1:1000, ], y[1:1000], 1e-7))  # warm-up: first-call overheads
  for (thresh in c(1e-7, 1e-12)) {
    m_glmnet <- measure(glmnet_bin(X_noint, y, thresh), slow_reps)
    progress(sprintf("glmnet(lambda = 0, thresh = %g)", thresh), m_glmnet)
    add_row("logistic, matrix", sprintf("`glmnet(lambda = 0, thresh = %g)`", thresh), m_glmnet,
            max_abs_diff(as.matrix(stats::coef(m_glmnet$value))[, 1], b_ref), "glm.fit, tol 1e-12")
    assign(paste0("m_glmnet_", if (thresh > 1e-10) "default" else "tight"), m_glmnet)
  }
  rm(X_noint)
}

invisible(gradglm_fit(X[1:1000, ], y[1:1000], family = stats::binomial()))  # warm-up
m_gg <- measure(gradglm_fit(X, y, family = stats::binomial()), reps)
progress(sprintf("gradglm_fit (optimizer \"%s\")", m_gg$value$optimizer), m_gg)
add_row("logistic, matrix", sprintf("`gradglm_fit()` (%s)", m_gg$value$optimizer), m_gg,
        max_abs_diff(m_gg$value$coefficients, b_ref), "glm.fit, tol 1e-12")
# gradglm runs its passes over X on getOption("gradglm.threads", 2) threads; the peers run on
# one (R's reference BLAS is single-threaded), so show gradglm on one thread as well.
old_opt <- options(gradglm.threads = 1L)
m_gg1 <- measure(gradglm_fit(X, y, family = stats::binomial()), reps)
options(old_opt)
progress("gradglm_fit, 1 thread", m_gg1)
add_row("logistic, matrix", sprintf("`gradglm_fit()` (%s, 1 thread)", m_gg1$value$optimizer), m_gg1,
        max_abs_diff(m_gg1$value$coefficients, b_ref), "glm.fit, tol 1e-12")

# L-BFGS (issue 4): on the same problem, from the same subsample start as Newton
m_lb <- measure(gradglm_fit(X, y, family = stats::binomial(), optimizer = "lbfgs"), reps)
progress("gradglm_fit (optimizer \"lbfgs\")", m_lb)
add_row("logistic, matrix", "`gradglm_fit()` (lbfgs)", m_lb,
        max_abs_diff(m_lb$value$coefficients, b_ref), "glm.fit, tol 1e-12")

# ---- logistic regression, formula interface ----------------------------------------------

cat("logistic regression, formula interface\n")
df <- data.frame(y = y, X[, -1, drop = FALSE])
m_glm <- measure(stats::glm(y ~ ., family = stats::binomial(), data = df), slow_reps)
progress("glm", m_glm)
add_row("logistic, data frame", "`glm()`", m_glm,
        max_abs_diff(stats::coef(m_glm$value), b_ref), "glm.fit, tol 1e-12")
m_ggf <- measure(gradglm(y ~ ., data = df, family = stats::binomial()), reps)
progress("gradglm", m_ggf)
add_row("logistic, data frame", "`gradglm()`", m_ggf,
        max_abs_diff(stats::coef(m_ggf$value), b_ref), "glm.fit, tol 1e-12")
rm(df)

# ---- Gaussian, matrix interface ----------------------------------------------------------

cat("Gaussian (identity link), matrix interface\n")
m_lm <- measure(stats::lm.fit(X, y_gauss), slow_reps)
progress("lm.fit", m_lm)
add_row("Gaussian, matrix", "`lm.fit()`", m_lm, 0, "lm.fit")
m_ggg <- measure(gradglm_fit(X, y_gauss), reps)
progress(sprintf("gradglm_fit (optimizer \"%s\")", m_ggg$value$optimizer), m_ggg)
add_row("Gaussian, matrix", sprintf("`gradglm_fit()` (%s)", m_ggg$value$optimizer), m_ggg,
        max_abs_diff(m_ggg$value$coefficients, m_lm$value$coefficients), "lm.fit")
old_opt <- options(gradglm.threads = 1L)
m_ggg1 <- measure(gradglm_fit(X, y_gauss), reps)
options(old_opt)
progress("gradglm_fit, 1 thread", m_ggg1)
add_row("Gaussian, matrix", sprintf("`gradglm_fit()` (%s, 1 thread)", m_ggg1$value$optimizer), m_ggg1,
        max_abs_diff(m_ggg1$value$coefficients, m_lm$value$coefficients), "lm.fit")

# ---- one loss + gradient evaluation ------------------------------------------------------

cat("one loss + gradient evaluation (logistic)\n")
b0 <- b_ref
r <- y - stats::plogis(drop(X %*% b0))
lg_reps <- max(reps, 10L)
m_r <- measure({
  eta <- X %*% b0
  crossprod(X, r)
}, lg_reps)
progress("R: X %*% b + crossprod(X, r)", m_r)
add_row("loss + gradient", "R: `X %*% b` + `crossprod(X, r)`", m_r)
lge <- tryCatch(get("loss_grad_eval", envir = asNamespace("gradglm")), error = function(e) NULL)
m_lg <- NULL
if (!is.null(lge)) {
  w1 <- rep(1, n)
  off0 <- rep(0, n)
  m_lg <- measure(lge(X, y, w1, off0, 2L, 2L, b0), lg_reps)  # 2, 2 = binomial, logit (src/family.h)
  progress("gradglm:::loss_grad_eval", m_lg)
  # Check the evaluation against R: the gradient of the mean loss is -X'(y - mu) / n.
  g_r <- -drop(crossprod(X, r)) / n
  add_row("loss + gradient", "`gradglm:::loss_grad_eval()`", m_lg,
          max_abs_diff(m_lg$value$gradient, g_r), "gradient in R")
} else {
  cat("  gradglm:::loss_grad_eval not found: skipped\n")
}

# ---- report ------------------------------------------------------------------------------

res <- do.call(rbind, rows)
gradglm_time <- c("logistic, matrix" = m_gg$time, "logistic, data frame" = m_ggf$time,
                  "Gaussian, matrix" = m_ggg$time,
                  "loss + gradient" = if (is.null(m_lg)) NA_real_ else m_lg$time)
fmt_time <- function(t) ifelse(t >= 10, sprintf("%.1f", t), ifelse(t >= 0.1, sprintf("%.2f", t), sprintf("%.3f", t)))
fmt_num <- function(x) ifelse(is.na(x), "", formatC(x, format = "e", digits = 1))
fmt_mult <- function(x) ifelse(is.na(x), "n/a", sprintf("%.2f", pmax(x, 0)))

blas <- tryCatch(basename(extSoftVersion()[["BLAS"]]), error = function(e) "")
if (!nzchar(blas)) blas <- tryCatch(basename(sessionInfo()$BLAS), error = function(e) "?")
cat("\n")
cat(sprintf("n = %s, p = %d (+ intercept), X is %.0f MB; %s; BLAS: %s; %d cores.\n",
            format(n, big.mark = ","), p, size_x / 2^20, R.version.string, blas,
            parallel::detectCores()))
cat("Times are medians over the reps shown (elapsed seconds). \"x gradglm\" = this time / gradglm's time\n")
cat("for the same task. Memory = peak growth during the call, in multiples of the size of X.\n\n")
cat("| task | implementation | time (s) | reps | x gradglm | max abs diff | vs | peak RSS (x X) | peak R heap (x X) |\n")
cat("|---|---|--:|--:|--:|--:|---|--:|--:|\n")
for (i in seq_len(nrow(res))) {
  ratio <- res$time[i] / gradglm_time[[res$task[i]]]
  cat(sprintf("| %s | %s | %s | %d | %s | %s | %s | %s | %s |\n",
              res$task[i], res$implementation[i], fmt_time(res$time[i]), res$reps[i],
              if (is.na(ratio)) "" else sprintf("%.2f", ratio),
              fmt_num(res$coef_diff[i]), ifelse(is.na(res$ref[i]), "", res$ref[i]),
              fmt_mult(res$rss[i]), fmt_mult(res$heap[i])))
}

# Targets of issue 2 (written for n = 1e6, p = 50). The peak memory of a call is at least the
# larger of its two measures: RSS misses memory that R reuses from earlier, freed allocations,
# and R's heap misses what C++ allocates.
gg_peak <- max(m_gg$rss, m_gg$heap, na.rm = TRUE)
yn <- function(ok) if (is.na(ok)) "n/a" else if (ok) "yes" else "**no**"
targets <- list(
  list("`gradglm_fit()` time <= 1/12 of `glm.fit()`",
       sprintf("1/%.1f", m_glmfit$time / m_gg$time), m_gg$time <= m_glmfit$time / 12),
  list("`gradglm_fit()` faster than `glmnet(lambda = 0)` (default thresh)",
       if (have_glmnet) sprintf("%.2fx glmnet's time", m_gg$time / m_glmnet_default$time) else "n/a",
       if (have_glmnet) m_gg$time < m_glmnet_default$time else NA),
  list("`gradglm_fit()` coefficients within 1e-6 of glm",
       fmt_num(max_abs_diff(m_gg$value$coefficients, b_ref)),
       max_abs_diff(m_gg$value$coefficients, b_ref) <= 1e-6),
  list("`gradglm()` time <= 1/6 of `glm()`",
       sprintf("1/%.1f", m_glm$time / m_ggf$time), m_ggf$time <= m_glm$time / 6),
  list("loss + gradient <= 1.5x `X %*% b` + `crossprod(X, r)`",
       if (is.null(m_lg)) "n/a" else sprintf("%.2fx", m_lg$time / m_r$time),
       if (is.null(m_lg)) NA else m_lg$time <= 1.5 * m_r$time),
  list("`gradglm_fit()` peak memory <= one extra copy of X",
       sprintf("%s x X", fmt_mult(gg_peak / size_x)),
       if (is.na(gg_peak)) NA else gg_peak <= 1.05 * size_x),
  list("Gaussian `gradglm_fit()` time <= 1/3 of `lm.fit()`",
       sprintf("1/%.1f", m_lm$time / m_ggg$time), m_ggg$time <= m_lm$time / 3)
)
cat("\n| target (issue 2) | measured | met |\n|---|--:|:-:|\n")
for (t in targets) cat(sprintf("| %s | %s | %s |\n", t[[1]], t[[2]], yn(t[[3]])))
lb_diff <- max_abs_diff(m_lb$value$coefficients, b_ref)
cat("\n| target (issue 4) | measured | met |\n|---|--:|:-:|\n")
cat(sprintf("| `\"lbfgs\"` reaches glm's coefficients (1e-6) at least 8x faster than `glm.fit()` | 1/%.1f, %s | %s |\n",
            m_glmfit$time / m_lb$time, fmt_num(lb_diff),
            yn(m_lb$time <= m_glmfit$time / 8 && lb_diff <= 1e-6)))
cat(sprintf("lbfgs iterations: %d (converged: %s)\n", m_lb$value$iter, m_lb$value$converged))
cat(sprintf("\ngradglm_fit iterations: logistic %d (converged: %s), Gaussian %d\n",
            m_gg$value$iter, m_gg$value$converged, m_ggg$value$iter))
