# Where an exact fit's time goes, and how close it is to what the machine allows.
#
#   Rscript bench/bench-profile.R          # n = 1e6 x 50 and 1e5 x 500 (about five minutes)
#   Rscript bench/bench-profile.R quick    # n = 2e5 x 50 and 2e4 x 200 (a smoke run)
#
# 1. The machine: seconds to read 400 MB once (memory bandwidth: a sum with independent partial
#    sums in vector registers, so that the additions never wait for each other) and to evaluate
#    2e7 logistic rows with the pass's own kernel (loss and gradient, a block in cache: no memory
#    traffic), on one thread and on two.
# 2. Logistic, Poisson and Gaussian fits of a simulated n x (p + 1) design against their peers in
#    the same run: glm.fit (once; it takes tens of seconds), fastglm(method = 2) (Eigen's LLT of
#    X'WX each iteration), RcppEigen::fastLmPure(method = 2), lm.fit; the median of `reps` calls.
#    gradglm_fit is also timed on one thread (options(gradglm.threads = 1)). Agreement: the
#    largest |difference| of coefficients relative to max(1, |b|), against glm.fit's.
# 3. The first call in a fresh R session against the repeated call (a child Rscript that loads
#    the package, simulates the same data, fits once, then three more times; seven sessions,
#    whose median ratio is the target's: one session varies by 0.1-0.2); the same after
#    96 MB of fresh memory has been written and given back before the first call (which
#    separates what fresh memory costs on the machine from the rest of a first call); and
#    what 64 MB of fresh memory costs in a new session, the first time and once more.
# 4. One loss + gradient pass (gradglm:::model_eval) on one and two threads (the median of five
#    timings of ten passes each), each against the time to read X once at the bandwidth section 1
#    measured on as many threads.
# 5. The engine's own profile of each fit (gradglm:::engine_profile()): seconds, calls and page faults of
#    its phases (nested phases each count their own time: "fit" holds everything else; a pass
#    over the row sample that starts a large fit is counted apart), and the time spent in R
#    around the engine (the call's total minus the engine's "fit").
# 6. The targets of issue 16, met or not, with the numbers.
#
# Peers missing from the library are installed from the repository R is configured with.

for (pkg in c("fastglm", "RcppEigen")) {
  if (!requireNamespace(pkg, quietly = TRUE)) install.packages(pkg, repos = getOption("repos"))
}
suppressPackageStartupMessages(library(gradglm))

quick <- "quick" %in% commandArgs(trailingOnly = TRUE)
n <- if (quick) 2e5 else 1e6
p <- 50L
nw <- if (quick) 2e4 else 1e5
pw <- if (quick) 200L else 500L
reps <- if (quick) 2L else 5L

med_time <- function(f, times = reps) {
  f()  # once untimed: the repeated call
  stats::median(vapply(seq_len(times), function(i) system.time(f())[[3]], 0))
}
once_time <- function(f) system.time(f())[[3]]
agree <- function(b, ref) max(abs(b - ref) / pmax(1, abs(ref)))

sim_code <- "sim <- function(n, p, seed) {
  set.seed(seed)
  X <- cbind(1, matrix(rnorm(n * p), n, p))
  b <- c(0.2, rnorm(p, sd = 1 / sqrt(p)))
  eta <- drop(X %*% b)
  list(X = X, yb = rbinom(n, 1, plogis(eta)), yp = rpois(n, exp(0.5 * eta)), yg = eta + rnorm(n))
}"
eval(parse(text = sim_code))

cat("# gradglm: the exact fits against the machine and their peers\n\n")
cat(sprintf("n = %g x %d (plus an intercept) and a wide design n = %g x %d; %d repetitions (median); %s\n\n",
            n, p, nw, pw, reps, R.version.string))

# ---- 1. the machine -----------------------------------------------------------------------

big <- rep(1, 5e7)
m1 <- gradglm:::machine_speed(big, 1L)
m2 <- gradglm:::machine_speed(big, 2L)
rm(big)
cat("## The machine\n\n| measure | 1 thread | 2 threads | 2 threads / 1 |\n|---|--:|--:|--:|\n")
cat(sprintf("| read 400 MB (a vectorised sum): GB/s | %.1f | %.1f | %.2f |\n", 0.4 / m1[["read"]],
            0.4 / m2[["read"]], m1[["read"]] / m2[["read"]]))
cat(sprintf("| 2e7 logistic rows (the pass's kernel): seconds | %.3f | %.3f | %.2f |\n\n", m1[["compute"]],
            m2[["compute"]], m1[["compute"]] / m2[["compute"]]))
cat("Simd kernels (AVX2 + FMA) in use:", gradglm:::cross_product_eval(diag(1), diag(1), diag(1), TRUE)$simd, "\n\n")

# ---- 2. fits against peers ----------------------------------------------------------------

d <- sim(n, p, 1)
X <- d$X
profiles <- list()
profiled <- function(label, f) {
  f()
  gradglm:::engine_profile(TRUE, TRUE)
  total <- system.time(fit <- f())[[3]]
  pr <- gradglm:::engine_profile(FALSE)
  profiles[[label]] <<- list(phases = pr, total = total)
  fit
}
rows <- list()
add_row <- function(task, ours, ours1, peer, peer_time, acc) {
  rows[[length(rows) + 1L]] <<- data.frame(task = task, gradglm = ours, one_thread = ours1, peer = peer,
                                            peer_time = peer_time, ratio = peer_time / ours, agreement = acc)
}
one_thread <- function(f) {
  old <- options(gradglm.threads = 1L)
  on.exit(options(old))
  med_time(f)
}

# logistic
fit_b <- function() gradglm_fit(X, d$yb, family = binomial())
t_b <- med_time(fit_b)
t_b1 <- one_thread(fit_b)
fb <- profiled(sprintf("logistic %g x %d", n, p), fit_b)
t_glm_b <- once_time(function() g_b <<- glm.fit(X, d$yb, family = binomial()))
t_fg_b <- med_time(function() fastglm::fastglm(X, d$yb, family = binomial(), method = 2L))
add_row("logistic", t_b, t_b1, "glm.fit", t_glm_b, agree(coef(fb), g_b$coefficients))
add_row("logistic", t_b, t_b1, "fastglm(method = 2)", t_fg_b,
        agree(coef(fb), fastglm::fastglm(X, d$yb, family = binomial(), method = 2L)$coefficients))

# poisson
fit_p <- function() gradglm_fit(X, d$yp, family = poisson())
t_p <- med_time(fit_p)
t_p1 <- one_thread(fit_p)
fp <- profiled(sprintf("poisson %g x %d", n, p), fit_p)
t_glm_p <- once_time(function() g_p <<- glm.fit(X, d$yp, family = poisson()))
t_fg_p <- med_time(function() fastglm::fastglm(X, d$yp, family = poisson(), method = 2L))
add_row("poisson", t_p, t_p1, "glm.fit", t_glm_p, agree(coef(fp), g_p$coefficients))
add_row("poisson", t_p, t_p1, "fastglm(method = 2)", t_fg_p,
        agree(coef(fp), fastglm::fastglm(X, d$yp, family = poisson(), method = 2L)$coefficients))

# gaussian
fit_g <- function() gradglm_fit(X, d$yg)
t_g <- med_time(fit_g)
t_g1 <- one_thread(fit_g)
fg <- profiled(sprintf("gaussian %g x %d", n, p), fit_g)
t_lm <- med_time(function() lm.fit(X, d$yg), if (quick) reps else 1L)
t_fl <- med_time(function() RcppEigen::fastLmPure(X, d$yg, method = 2L))
ref_g <- lm.fit(X, d$yg)$coefficients
add_row("gaussian", t_g, t_g1, "lm.fit", t_lm, agree(coef(fg), ref_g))
add_row("gaussian", t_g, t_g1, "RcppEigen::fastLmPure(method = 2)", t_fl,
        agree(coef(fg), RcppEigen::fastLmPure(X, d$yg, method = 2L)$coefficients))

# the formula path: a data frame of the same columns
df <- data.frame(y = d$yb, X[, -1])
fit_f <- function() gradglm(y ~ ., data = df, family = binomial())
t_f <- med_time(fit_f)
ff <- profiled(sprintf("logistic formula %g x %d", n, p), fit_f)
t_glm_f <- once_time(function() glm(y ~ ., data = df, family = binomial()))
add_row("logistic, formula", t_f, NA, "glm", t_glm_f, agree(coef(ff), g_b$coefficients))
rm(df)

# the wide design
dw <- sim(nw, pw, 2)
Xw <- dw$X
fit_w <- function() gradglm_fit(Xw, dw$yb, family = binomial())
t_w <- med_time(fit_w)
t_w1 <- one_thread(fit_w)
fw <- profiled(sprintf("logistic %g x %d", nw, pw), fit_w)
t_fg_w <- med_time(function() fastglm::fastglm(Xw, dw$yb, family = binomial(), method = 2L))
t_glm_w <- once_time(function() g_w <<- glm.fit(Xw, dw$yb, family = binomial()))
add_row(sprintf("logistic %g x %d", nw, pw), t_w, t_w1, "fastglm(method = 2)", t_fg_w,
        agree(coef(fw), g_w$coefficients))
add_row(sprintf("logistic %g x %d", nw, pw), t_w, t_w1, "glm.fit", t_glm_w, agree(coef(fw), g_w$coefficients))

tab <- do.call(rbind, rows)
cat("## Fits (seconds; ratio = peer / gradglm; agreement = largest coefficient difference relative to max(1, |b|), against glm.fit's or the peer's)\n\n")
cat("| task | gradglm | gradglm, 1 thread | peer | peer | ratio | agreement |\n|---|--:|--:|---|--:|--:|--:|\n")
for (i in seq_len(nrow(tab))) {
  r <- tab[i, ]
  cat(sprintf("| %s | %.3f | %s | %s | %.3f | %.1f | %.1e |\n", r$task, r$gradglm,
              if (is.na(r$one_thread)) "" else sprintf("%.3f", r$one_thread), r$peer, r$peer_time, r$ratio,
              r$agreement))
}

# Longley: the Gaussian closed form's accuracy (NIST StRD certified values, in R's units)
cert <- c(-3482258.63459582 / 1000, 15.0618722713733 / 1000, -0.358191792925910E-01, -2.02022980381683 / 100,
          -1.03322686717359 / 100, -0.511041056535807E-01, 1829.15146461355 / 1000)
lx <- cbind(1, as.matrix(longley[, 1:6]))
digits <- min(pmin(-log10(abs(coef(gradglm_fit(lx, longley$Employed)) - cert) / abs(cert)), 15))
cat(sprintf("\nLongley (NIST StRD): gradglm_fit's least correct coefficient has %.1f digits.\n\n", digits))

# ---- 3. the first call in a fresh session -------------------------------------------------

child <- tempfile(fileext = ".R")
writeLines(c("suppressPackageStartupMessages(library(gradglm))", sim_code,
             sprintf("d <- sim(%g, %d, 1)", n, p),
             "if ('warm' %in% commandArgs(TRUE)) {",
             "  # (96 MB of fresh memory written and given back first, as the first call's own is)",
             "  v <- lapply(1:12, function(i) gradglm:::filled_vector(1e6, 1)); rm(v); invisible(gc())",
             "}",
             "t1 <- system.time(gradglm_fit(d$X, d$yb, family = binomial()))[[3]]",
             "t2 <- median(replicate(3, system.time(gradglm_fit(d$X, d$yb, family = binomial()))[[3]]))",
             "cat(t1, t2, '\\n')"), child)
run_child <- function(script, args = character(0)) {
  out <- system2(file.path(R.home("bin"), "Rscript"), c(script, args), stdout = TRUE,
                 env = paste0("R_LIBS=", paste(.libPaths(), collapse = ":")))
  as.numeric(strsplit(trimws(utils::tail(out, 1)), " +")[[1]])
}
fresh <- do.call(rbind, lapply(1:7, function(i) run_child(child)))
warm <- do.call(rbind, lapply(1:3, function(i) run_child(child, "warm")))
# what fresh memory costs on this machine: 64 MB written the first time in a
# new R session, and again after it was given back
mem_child <- tempfile(fileext = ".R")
writeLines(c("suppressPackageStartupMessages(library(gradglm))",
             "a <- system.time(v <- gradglm:::filled_vector(8e6, 1))[[3]]; rm(v); invisible(gc())",
             "b <- system.time(v <- gradglm:::filled_vector(8e6, 1))[[3]]",
             "cat(a, b, '\\n')"), mem_child)
fresh_mem <- do.call(rbind, lapply(1:3, function(i) run_child(mem_child)))
cat("## The first call in a fresh R session (logistic: seven fresh sessions; three after fresh memory)\n\n")
cat("| session | first call | repeated call (median of 3) | first / repeated | ",
    "first call after 96 MB of fresh memory was written and given back | repeated | first / repeated |\n",
    "|---|--:|--:|--:|--:|--:|--:|\n", sep = "")
for (i in seq_len(nrow(fresh))) {
  after <- if (i <= nrow(warm)) sprintf("%.3f | %.3f | %.2f", warm[i, 1], warm[i, 2], warm[i, 1] / warm[i, 2]) else " | | "
  cat(sprintf("| %d | %.3f | %.3f | %.2f | %s |\n", i, fresh[i, 1], fresh[i, 2], fresh[i, 1] / fresh[i, 2], after))
}
cat(sprintf("| median | | | %.2f | | | %.2f |\n", stats::median(fresh[, 1] / fresh[, 2]), stats::median(warm[, 1] / warm[, 2])))
cat(sprintf(paste0("\nFresh memory on this machine: 64 MB written on huge pages the first time in a new R session ",
                   "takes %s ms (%.2f ms a MB, median), and %s ms once it has been given back and is written again. ",
                   "The first call writes about 8 MB of new vectors, the predictors (the integer response and ",
                   "the unit weights are read without vectors of their own, and the fitted means, working weights ",
                   "and residuals are computed when they are read); the later calls reuse memory that the earlier ",
                   "ones gave back.\n\n"),
            paste(sprintf("%.1f", 1e3 * fresh_mem[, 1]), collapse = ", "), 1e3 * stats::median(fresh_mem[, 1]) / 64,
            paste(sprintf("%.1f", 1e3 * fresh_mem[, 2]), collapse = ", ")))

# ---- 4. one pass on one and two threads ---------------------------------------------------

spec <- list(designs = list(X), block_design = 0L, block_m = 1L, y = as.numeric(d$yb), weights = rep(1, n),
             offsets = list(), likelihood = list(type = "glm", dist = 2L, link = 2L))
b0 <- coef(fb)
# (ten passes a timing: one pass takes 20-100 ms, which system.time() reads to the millisecond,
# and a single pass moved by a third between runs)
pass_time <- function(curv, threads) {
  med_time(function() for (k in 1:10) gradglm:::model_eval(spec, b0, curv, threads)) / 10
}
pt <- sapply(c("none", "observed"), function(cv) sapply(1:2, function(th) pass_time(cv, th)))
cat("\n## One pass over the logistic rows (seconds)\n\n",
    "| pass | 1 thread | 2 threads | 2 threads / 1 | pass / X read at the bandwidth, 1 thread | the same, 2 threads |\n",
    "|---|--:|--:|--:|--:|--:|\n", sep = "")
# (X read once at the bandwidth of section 1 on one and on two threads)
xread <- 8 * length(X) / 1e9 / (0.4 / c(m1[["read"]], m2[["read"]]))
for (j in 1:2) {
  cat(sprintf("| %s | %.4f | %.4f | %.2f | %.2f | %.2f |\n", c("loss + gradient", "loss + gradient + curvature")[j],
              pt[1, j], pt[2, j], pt[1, j] / pt[2, j], pt[1, j] / xread[1], pt[2, j] / xread[2]))
}
cat(sprintf(paste0("\nX (%.0f MB) is read at the bandwidth in %.4f s on one thread and %.4f s on two (%.2f x): a ",
                   "loss + gradient pass that takes about that long is bound by memory, and two threads can speed ",
                   "it up no more than the bandwidth grows.\n\n"),
            8 * length(X) / 1e6, xread[1], xread[2], xread[1] / xread[2]))

# ---- 5. the engine's profile --------------------------------------------------------------

cat("## The engine's profile of each fit (seconds, calls, the process's minor page faults)\n\n")
for (lab in names(profiles)) {
  pr <- profiles[[lab]]$phases
  tot <- profiles[[lab]]$total
  eng <- sum(pr$seconds[pr$phase == "fit"])
  cat(sprintf("### %s: %.3f s in all, %.3f s in the engine, %.3f s in R around it\n\n", lab, tot, eng, tot - eng))
  cat("| phase | seconds | calls | page faults |\n|---|--:|--:|--:|\n")
  for (i in seq_len(nrow(pr))) {
    cat(sprintf("| %s | %.4f | %d | %.0f |\n", pr$phase[i], pr$seconds[i], pr$calls[i], pr$faults[i]))
  }
  cat("\n")
}

# ---- 6. the targets -----------------------------------------------------------------------

ratio <- function(task, peer) with(tab, ratio[task == !!task & peer == !!peer])
`!!` <- function(x) x
get_ratio <- function(tk, pr) tab$ratio[tab$task == tk & tab$peer == pr]
first_ratio <- stats::median(fresh[, 1] / fresh[, 2])
targets <- data.frame(
  target = c("logistic: first call / repeated <= 1.15", "logistic: >= 35x glm.fit", "logistic: >= 6x fastglm(method = 2)",
             "poisson: >= 5x fastglm(method = 2)", "gaussian: no slower than fastLmPure(method = 2) (ratio >= 1)",
             "gaussian: Longley >= 13 digits", "two threads >= 1.7x one: logistic fit",
             "two threads >= 1.7x one: loss + gradient pass",
             "(the machine: reading memory on two threads / one, for the two lines above)",
             sprintf("logistic %g x %d: >= 5x fastglm(method = 2)", nw, pw)),
  value = c(first_ratio, get_ratio("logistic", "glm.fit"), get_ratio("logistic", "fastglm(method = 2)"),
            get_ratio("poisson", "fastglm(method = 2)"), get_ratio("gaussian", "RcppEigen::fastLmPure(method = 2)"),
            digits, t_b1 / t_b, pt[1, 1] / pt[2, 1], m1[["read"]] / m2[["read"]],
            get_ratio(sprintf("logistic %g x %d", nw, pw), "fastglm(method = 2)")),
  goal = c(1.15, 35, 6, 5, 1, 13, 1.7, 1.7, NA, 5),
  upper = c(TRUE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, NA, FALSE))
cat("## Targets (issue 16)\n\n| target | measured | met |\n|---|--:|---|\n")
for (i in seq_len(nrow(targets))) {
  t <- targets[i, ]
  met <- if (is.na(t$goal)) "" else if (if (t$upper) t$value <= t$goal else t$value >= t$goal) "yes" else "no"
  cat(sprintf("| %s | %.2f | %s |\n", t$target, t$value, met))
}
