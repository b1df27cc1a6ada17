# The curvature's cross-product kernel (AVX2 where the processor has it, else
# Eigen's products) against R's crossprod(), over sizes that leave every
# remainder of its tiles (3 x 4 columns) and of its row vectors (4 rows), and
# of the packed panels of wide matrices (8 x 6 tiles, 96 rows).

# The kernel against crossprod() for one size: in full (B with `extra` more
# columns than A), and the lower triangle of X' diag(c) X with weights of both
# signs, leaving the entries above the diagonal untouched.
expect_cross_products <- function(len, pa, extra) {
  A <- matrix(rnorm(len * pa), len, pa)
  B <- matrix(rnorm(len * (pa + extra)), len, pa + extra)
  H0 <- matrix(rnorm((pa + extra) * pa), pa + extra, pa)
  r <- gradglm:::cross_product_eval(A, B, H0, FALSE)
  expect_equal(r$H, H0 + crossprod(B, A), tolerance = 1e-13, label = paste("full", len, pa))
  X <- matrix(rnorm(len * pa), len, pa)
  cw <- rnorm(len)
  S0 <- matrix(rnorm(pa * pa), pa, pa)
  l <- gradglm:::cross_product_eval(cw * X, X, S0, TRUE)$H
  want <- S0 + crossprod(X, cw * X)
  low <- lower.tri(want, diag = TRUE)
  expect_equal(l[low], want[low], tolerance = 1e-13, label = paste("lower", len, pa))
  expect_identical(l[!low], S0[!low])
}

test_that("the cross-product kernel adds B'A (in full, or its lower triangle) exactly as crossprod()", {
  set.seed(42)
  for (len in c(1L, 3L, 4L, 5L, 17L, 64L, 259L, 700L)) {
    for (pa in c(1L, 2L, 3L, 4L, 5L, 7L, 13L)) expect_cross_products(len, pa, 2L)
  }
})

test_that("wide matrices (packed panels, 256 columns or more) add B'A as crossprod() does", {
  set.seed(43)
  for (pa in c(256L, 263L, 301L)) {
    for (len in c(16L, 17L, 95L, 97L, 193L, 300L)) expect_cross_products(len, pa, 5L)
  }
})

test_that("the kernel is named and wide designs (several row panels) add up", {
  set.seed(7)
  X <- matrix(rnorm(1500 * 120), 1500, 120)
  cw <- runif(1500)
  r <- gradglm:::cross_product_eval(cw * X, X, matrix(0, 120, 120), TRUE)
  expect_type(r$simd, "logical")
  want <- crossprod(X, cw * X)
  low <- lower.tri(want, diag = TRUE)
  expect_equal(r$H[low], want[low], tolerance = 1e-13)
})

test_that("a wide design's rank check by the start's Gram matrix: aliased columns found as glm finds them", {
  skip_on_cran()
  set.seed(11)
  n <- 30000L
  p <- 200L  # a QR of all rows would cost about 2.4e9 operations: the check waits for the start
  X <- cbind(1, matrix(rnorm(n * (p - 1L)), n, p - 1L))
  y <- rbinom(n, 1, plogis(drop(X[, 1:5] %*% c(0.2, 0.5, -0.5, 0.3, 0.1))))
  ref <- glm.fit(X, y, family = binomial())
  ours <- gradglm_fit(X, y, family = binomial())
  expect_equal(unname(coef(ours)), unname(ref$coefficients), tolerance = 1e-8)
  # a column that is a combination of two others: aliased, as glm.fit says
  Xa <- cbind(X, X[, 3] - 2 * X[, 7])
  ref_a <- glm.fit(Xa, y, family = binomial())
  ours_a <- gradglm_fit(Xa, y, family = binomial())
  expect_identical(is.na(unname(coef(ours_a))), is.na(unname(ref_a$coefficients)))
  expect_true(is.na(coef(ours_a)[p + 1L]))
  expect_equal(unname(coef(ours_a)), unname(ref_a$coefficients), tolerance = 1e-8)
  expect_equal(ours_a$rank, ref_a$rank)
})

test_that("a wide design's Newton fit takes chord steps with the start's curvature and ends where glm.fit does", {
  skip_on_cran()
  set.seed(12)
  n <- 40000L
  p <- 210L  # n / 4 >= 40 p: the start from a quarter of the rows
  X <- cbind(1, matrix(rnorm(n * (p - 1L)), n, p - 1L))
  y <- rbinom(n, 1, plogis(drop(X[, 1:6] %*% c(0.3, 0.8, -0.8, 0.5, 0.4, -0.3))))
  ref <- glm.fit(X, y, family = binomial(), control = glm.control(epsilon = 1e-12, maxit = 50))
  gradglm:::engine_profile(TRUE, TRUE)
  on.exit(gradglm:::engine_profile(FALSE, TRUE))
  ours <- gradglm_fit(X, y, family = binomial())
  pr <- gradglm:::engine_profile(FALSE)
  calls <- function(phase) sum(pr$calls[pr$phase == phase])
  # the start's curvature, then loss + gradient passes (chord steps corrected by BFGS updates)
  # to the optimum, and one pass with the curvature there (for the standard errors) where exact
  # Newton takes four or five
  expect_gte(calls("pass: loss, gradient"), 2)
  expect_equal(calls("pass: loss, gradient, curvature"), 1)
  expect_equal(calls("start: scoring step on a row sample"), 1)
  expect_equal(calls("start: scoring step on all rows"), 0)
  expect_true(ours$converged)
  # (glm.fit's default, epsilon 1e-8, also ends 3e-9 from this reference)
  expect_equal(unname(coef(ours)), unname(ref$coefficients), tolerance = 1e-8)
  # the mean loss's gradient at the returned coefficients (measured 6e-10)
  expect_lt(max(abs(crossprod(X, fitted(ours) - y))) / n, 1e-8)
  se_ref <- sqrt(diag(summary.glm(structure(c(ref, list(call = NULL)), class = c("glm", "lm")))$cov.unscaled))
  expect_equal(unname(sqrt(diag(vcov(ours)))), unname(se_ref), tolerance = 1e-8)
  expect_equal(deviance(ours), ref$deviance, tolerance = 1e-12)
})

test_that("a wide design whose row sample misses a column starts from all rows and ends where glm.fit does", {
  skip_on_cran()
  set.seed(14)
  n <- 40000L
  p <- 210L
  X <- cbind(1, matrix(rnorm(n * (p - 1L)), n, p - 1L))
  # a dummy column with its 1s between the sample's first two runs of rows (rows 1-256 and
  # 1047-1302 of the evenly spaced runs): all 0 in the sample, whose Gram matrix is singular
  X[, 7] <- 0
  X[600:640, 7] <- 1
  y <- rbinom(n, 1, plogis(drop(X[, 1:7] %*% c(0.3, 0.8, -0.8, 0.5, 0.4, -0.3, 1))))
  ref <- glm.fit(X, y, family = binomial(), control = glm.control(epsilon = 1e-12, maxit = 50))
  gradglm:::engine_profile(TRUE, TRUE)
  on.exit(gradglm:::engine_profile(FALSE, TRUE))
  ours <- gradglm_fit(X, y, family = binomial())
  pr <- gradglm:::engine_profile(FALSE)
  expect_equal(sum(pr$calls[pr$phase == "start: scoring step on all rows"]), 1)
  expect_true(ours$converged)
  expect_equal(unname(coef(ours)), unname(ref$coefficients), tolerance = 1e-8)
  expect_equal(deviance(ours), ref$deviance, tolerance = 1e-12)
})

test_that("the engine's profile records the phases of a fit", {
  X <- cbind(1, matrix(rnorm(2000), 1000, 2))
  y <- rbinom(1000, 1, 0.4)
  gradglm:::engine_profile(TRUE, TRUE)
  on.exit(gradglm:::engine_profile(FALSE, TRUE))
  gradglm_fit(X, y, family = binomial())
  pr <- gradglm:::engine_profile(FALSE)
  expect_true(all(c("fit", "optimizer", "covariance", "outputs") %in% pr$phase))
  expect_true(all(pr$seconds >= 0) && all(pr$calls >= 1L))
  expect_gte(pr$seconds[pr$phase == "fit"], pr$seconds[pr$phase == "optimizer"])
  # switched off, nothing more is recorded
  gradglm_fit(X, y, family = binomial())
  expect_identical(gradglm:::engine_profile(NA)$calls, pr$calls)
})

test_that("glm_sums: deviance, null deviance and -2 log-likelihood as stats' families give them", {
  set.seed(3)
  n <- 3000
  mu <- exp(rnorm(n, 3, 3))
  y <- rpois(n, mu)
  y[1:5] <- c(1023, 1024, 1025, 2e6, 1e9)  # Stirling's error by the table and by its series
  mu[1:5] <- y[1:5] * c(1.1, 1.1, 1.1, 1.1, 1.00001)
  w <- runif(n, 0.5, 2)
  s <- gradglm:::glm_sums(y, mu, w, numeric(0), 3L, mean(y), 2L)
  # (the deviance without the cancellation of dev.resids' y log(y / mu) - (y - mu) at y = 1e9)
  d <- y - mu
  expect_equal(s[["deviance"]], 2 * sum(w * ifelse(y > 0, y * log1p(d / mu) - d, mu)), tolerance = 1e-13)
  expect_equal(s[["deviance"]], sum(poisson()$dev.resids(y, mu, w)), tolerance = 1e-10)
  expect_equal(s[["null_deviance"]], sum(poisson()$dev.resids(y, mean(y), w)), tolerance = 1e-12)
  expect_equal(s[["minus2loglik"]], poisson()$aic(y, 1, mu, w, 0), tolerance = 1e-12)
  expect_true(is.na(gradglm:::glm_sums(y + 0.5, mu, w, numeric(0), 3L, NA, 1L)[["minus2loglik"]]))
  yb <- rbinom(n, 1, 0.3)
  pb <- plogis(rnorm(n))
  b <- gradglm:::glm_sums(yb, pb, rep(1, n), rep(1, n), 2L, 0.3, 1L)
  expect_equal(b[["deviance"]], sum(binomial()$dev.resids(yb, pb, rep(1, n))), tolerance = 1e-12)
  expect_equal(b[["null_deviance"]], sum(binomial()$dev.resids(yb, 0.3, rep(1, n))), tolerance = 1e-12)
  expect_equal(b[["minus2loglik"]], b[["deviance"]])
  expect_identical(b[["binary"]], 1)
  # without the deviance (the fit has its own): the same null deviance and shortcut
  b0 <- gradglm:::glm_sums(yb, pb, rep(1, n), rep(1, n), 2L, 0.3, 1L, deviance = FALSE)
  expect_true(is.na(b0[["deviance"]]))
  expect_equal(b0[["null_deviance"]], b[["null_deviance"]], tolerance = 1e-14)
  expect_identical(b0[["binary"]], 1)
  # weights other than 1 (non-integer ones too: stats rounds the successes) and trials: stats'
  # binomial()$aic, whose trials are the weights unless some row has more than one trial
  expect_equal(gradglm:::glm_sums(yb, pb, w, rep(1, n), 2L, 0.3, 1L)[["minus2loglik"]],
               binomial()$aic(yb, rep(1, n), pb, w, 0), tolerance = 1e-12)
  expect_identical(gradglm:::glm_sums(yb, pb, w, rep(1, n), 2L, 0.3, 1L)[["binary"]], 0)
  # no trials (a response of one trial per row, as the fit passes it): as trials of 1 each
  for (ww in list(rep(1, n), w)) {
    expect_identical(gradglm:::glm_sums(yb, pb, ww, numeric(0), 2L, 0.3, 1L),
                     gradglm:::glm_sums(yb, pb, ww, rep(1, n), 2L, 0.3, 1L))
  }
  expect_error(gradglm:::glm_sums(yb, pb, w, rep(1, 3), 2L, 0.3, 1L), "same length")
  tr <- sample(1:30, n, TRUE)
  tr[1:4] <- c(1023, 1024, 5000, 2e6)  # (Stirling's errors by the table and by the series)
  k <- rbinom(n, tr, pb)
  k[5:6] <- c(0, tr[6])
  wt <- tr * runif(n, 0.5, 2)
  expect_equal(gradglm:::glm_sums(k / tr, pb, wt, tr, 2L, NA, 2L)[["minus2loglik"]],
               binomial()$aic(k / tr, tr, pb, wt, 0), tolerance = 1e-12)
  # beyond 1e15 trials R's formula decides
  expect_true(is.na(gradglm:::glm_sums(k / tr, pb, wt, replace(tr, 1, 2e15), 2L, NA, 1L)[["minus2loglik"]]))
  g <- gradglm:::glm_sums(mu, y, w, numeric(0), 1L, 2, 1L)
  expect_equal(g[["null_deviance"]], sum(w * (mu - 2)^2), tolerance = 1e-12)
  expect_error(gradglm:::glm_sums(y, mu[-1], w, numeric(0), 3L, NA, 1L), "same length")
})

test_that("the logistic block (vector registers where available) gives the loss and its derivatives to rounding", {
  set.seed(5)
  n <- 4003  # (not a multiple of 4: the last rows one at a time)
  eta <- c(rnorm(n - 8, sd = 4), 0, -0, 36, -36, 700, -700, 745, -800)
  y <- rbinom(n, 1, 0.4)
  y[1:50] <- runif(50)  # fractional responses (proportions): their saturated part
  w <- runif(n, 0.5, 2)
  w[51:60] <- 0
  X <- matrix(1, n, 1)
  spec <- list(designs = list(X), block_design = 0L, block_m = 1L, y = y, weights = w, offsets = list(eta),
               likelihood = list(type = "glm", dist = 2L, link = 2L))
  ev <- gradglm:::model_eval(spec, 0, "observed")
  mu <- plogis(eta)
  # the unit loss: -y log(mu) - (1 - y) log(1 - mu) + y log y + (1 - y) log(1 - y), on the log scale
  lmu <- plogis(eta, log.p = TRUE)
  l1mu <- plogis(eta, lower.tail = FALSE, log.p = TRUE)
  sat <- ifelse(y > 0 & y < 1, y * log(y) + (1 - y) * log(1 - y), 0)
  loss <- sum(w * (-y * lmu - (1 - y) * l1mu + sat)) / sum(w)
  expect_equal(ev$loss, loss, tolerance = 1e-14)
  expect_equal(ev$gradient, sum(w * (mu - y)) / sum(w), tolerance = 1e-13)
  expect_equal(drop(ev$curvature), sum(w * mu * (1 - mu)) / sum(w), tolerance = 1e-13)
  # a non-finite eta: the row-by-row code, which says so with an infinite loss or not
  spec$offsets <- list(replace(eta, 7, Inf))
  expect_false(is.na(gradglm:::model_eval(spec, 0, "none")$loss))
})

test_that("the Poisson-log block (vector registers where available) gives each row's loss and derivatives to rounding", {
  set.seed(6)
  n <- 403  # (not a multiple of 4: the last rows one at a time)
  eta <- rnorm(n, 1, 2)
  y <- rpois(n, exp(eta))
  # large counts beside their means (the loss's form that keeps its digits), d just inside and
  # outside the series' range (|d| = 1e-2), a mean far below its count, fractional responses,
  # predictors at the ends of the kernel's range (-708 and just below the cap 680)
  y[1:6] <- c(1e9, 1e9, 2e6, 50, 50, 1e12)
  eta[1:6] <- log(y[1:6]) + c(1e-7, -3e-3, 0.5, 0.0099999, -0.0100001, -40)
  y[7:20] <- runif(14, 0.1, 3)
  eta[21:24] <- c(-708, 679, -708, 679)
  y[21:24] <- c(0, 3, 2, 0)
  w <- runif(n, 0.5, 2)
  w[51:60] <- 0
  # the row-by-row code's values (Family::poisson_log_unit), and its loss as written in R
  row_code <- function(y) gradglm:::family_eval(3L, 5L, y, eta)
  unit_loss <- function(y) {
    d <- eta - log(y)
    excess <- ifelse(abs(d) < 1e-2, d^2 * (1 / 2 + d / 6 + d^2 / 24 + d^3 / 120 + d^4 / 720 + d^5 / 5040),
                     expm1(d) - d)
    ifelse(y > 0, y * excess, exp(eta))
  }
  expect_equal(row_code(y)$loss, unit_loss(y), tolerance = 1e-14)
  # X the identity: the gradient and the curvature's diagonal are the rows' values
  spec <- list(designs = list(diag(n)), block_design = 0L, block_m = 1L, y = y, weights = w,
               offsets = list(eta), likelihood = list(type = "glm", dist = 3L, link = 5L))
  # The kernel's log(y) may differ from the standard library's in its last place, which moves
  # d = eta - log(y) by that much: a row's loss y (e^d - 1 - d) by y |e^d - 1| and its gradient
  # y (e^d - 1) by y e^d times it. Each row's values are held to that and to 1e-14 otherwise.
  check <- function(spec) {
    y <- spec$y
    u <- row_code(y)
    W <- sum(spec$weights)
    d <- eta - log(y)
    ulp_d <- 2 * .Machine$double.eps * pmax(1, abs(log(y)))
    loss_tol <- 1e-14 * abs(u$loss) + ifelse(y > 0, y * abs(expm1(d)) * ulp_d, 0)
    grad_tol <- 1e-14 * abs(u$grad) + ifelse(y > 0, y * exp(d) * ulp_d, 0)
    ev <- gradglm:::model_eval(spec, rep(0, n), "observed")
    expect_lte(abs(ev$loss - sum(spec$weights * u$loss) / W), sum(spec$weights * loss_tol) / W)
    expect_true(all(abs(drop(ev$gradient) - spec$weights * u$grad / W) <= spec$weights * grad_tol / W))
    # (the curvature mu = e^eta needs no log: measured within 3e-16)
    expect_lt(max(abs(diag(ev$curvature) - spec$weights * u$hess / W) / (spec$weights * u$hess / W), na.rm = TRUE),
              1e-15)
    # each of some rows' loss alone (weight 1 there, 0 elsewhere)
    for (i in c(1:30, 51, 100, 200, 401:403)) {
      one <- replace(numeric(n), i, 1)
      expect_lte(abs(gradglm:::model_eval(modifyList(spec, list(weights = one)), rep(0, n))$loss - u$loss[i]),
                 loss_tol[i], label = paste("row", i))
    }
  }
  check(spec)
  # a count below the kernel's range (1e-12) in the first block: the row-by-row code for it
  y[3] <- 1e-13
  check(modifyList(spec, list(y = y)))
})

test_that("the portable code (GRADGLM_NO_SIMD) fits as the vector kernels do", {
  skip_on_cran()
  code <- c(
    "suppressPackageStartupMessages(library(gradglm))",
    "set.seed(9); n <- 5000; X <- cbind(1, matrix(rnorm(n * 30), n, 30))",
    "y <- rbinom(n, 1, plogis(drop(X[, 1:4] %*% c(0.3, 1, -1, 0.5))))",
    "f <- gradglm_fit(X, y, family = binomial())",
    "yp <- rpois(n, exp(drop(X[, 1:4] %*% c(1, 0.5, -0.5, 0.25))))",
    "fp <- gradglm_fit(X, yp, family = poisson())",
    "# (the closed form with weights: its Gram matrix, right-hand sides and refinement, for one response and two)",
    "yg <- drop(X[, 1:4] %*% c(1, 2, -1, 0.5)) + rnorm(n); w <- runif(n)",
    "fg <- gradglm_fit(X, yg, weights = w); fm <- gradglm_fit(X, cbind(yg, yg + rnorm(n)), weights = w)",
    "# (a data frame's columns read where they lie: the column-pointer kernels)",
    "d <- data.frame(y = y, yg = yg, X[, -1]); fd <- gradglm(y ~ . - yg, data = d, family = binomial())",
    "fdg <- gradglm(yg ~ . - y, data = d, weights = w)",
    "# (the columns' ranges: every remainder of the vector loop, a NaN, an Inf, signed zeros)",
    "Z <- matrix(rnorm(13 * 9), 13, 9); Z[3, 2] <- NaN; Z[13, 3] <- -Inf; Z[, 4] <- -0; Z[12, 5] <- -7",
    "rz <- unlist(lapply(5:13, function(m) gradglm:::column_ranges(Z[seq_len(m), , drop = FALSE])))",
    "cat(gradglm:::cross_product_eval(diag(1), diag(1), diag(1), TRUE)$simd, format(c(rz, coef(f), sqrt(diag(vcov(f))), deviance(f), coef(fp), sqrt(diag(vcov(fp))), deviance(fp), coef(fg), sqrt(diag(vcov(fg))), coef(fm), sqrt(diag(vcov(fm))), coef(fd), sqrt(diag(vcov(fd))), coef(fdg), sqrt(diag(vcov(fdg)))), digits = 17), '\\n')")
  script <- tempfile(fileext = ".R")
  writeLines(code, script)
  run <- function(env) {
    out <- system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE,
                   env = c(paste0("R_LIBS=", paste(.libPaths(), collapse = ":")), env))
    strsplit(trimws(utils::tail(out, 1)), " +")[[1]]
  }
  plain <- run("GRADGLM_NO_SIMD=1")
  fast <- run(character(0))
  expect_identical(plain[1], "FALSE")
  expect_equal(as.numeric(plain[-1]), as.numeric(fast[-1]), tolerance = 1e-10)
})

test_that("a row sample's start that is no valid start on all rows gives way to glm's start", {
  skip_on_cran()
  set.seed(4)
  n <- 200000  # large enough for a row-sample start
  x <- runif(n)
  idx <- 301:320  # rows between two sampled runs, where the sample's log-binomial fit has mu > 1
  x[idx] <- 3
  y <- rbinom(n, 1, exp(-1.5 + 0.8 * pmin(x, 1)))
  y[idx] <- 0
  gradglm:::engine_profile(TRUE, TRUE)
  on.exit(gradglm:::engine_profile(FALSE, TRUE))
  # glm's start fails here as glm's own does, with its message
  expect_error(gradglm_fit(cbind(1, x), y, family = binomial(link = "log")),
               "no valid set of coefficients has been found from the default start")
  expect_error(glm.fit(cbind(1, x), y, family = binomial(link = "log")), "no valid set of coefficients")
  pr <- gradglm:::engine_profile(FALSE)
  expect_true(all(c("row sample: drawn", "start", "start: scoring step on all rows") %in% pr$phase))
  # with a valid start the same data fit, and every fitted mean is a probability
  f <- suppressWarnings(gradglm_fit(cbind(1, x), y, family = binomial(link = "log"), start = c(-1.5, 0.1)))
  expect_true(all(is.finite(coef(f))) && max(fitted(f)) <= 1)
})

test_that("a design of separate columns (a data frame's variables) fits as its model matrix does", {
  set.seed(12)
  n <- 3000
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), x3 = rnorm(n), f = gl(3, 1, n, labels = c("a", "b", "c")))
  eta <- with(d, 0.3 + 0.5 * x1 - x2 + 0.2 * x3 + c(0, 0.4, -0.3)[f])
  d$yb <- rbinom(n, 1, plogis(eta))
  d$yp <- rpois(n, exp(eta))
  d$yg <- eta + rnorm(n)
  w <- runif(n, 0.5, 2)
  same <- function(a, b) {
    expect_equal(unname(coef(a)), unname(coef(b)), tolerance = 1e-10)
    expect_equal(unname(vcov(a)), unname(vcov(b)), tolerance = 1e-10)
  }
  X <- model.matrix(~ x1 + x2 + x3 + f + x1:f, d)
  # the intercept's column of ones, numeric variables read where they lie, a factor's block
  same(gradglm(yb ~ x1 + x2 + x3 + f + x1:f, data = d, family = binomial), gradglm_fit(X, d$yb, family = binomial()))
  same(gradglm(yp ~ x1 + x2 + x3 + f + x1:f, data = d, family = poisson), gradglm_fit(X, d$yp, family = poisson()))
  # the closed form, with weights
  same(gradglm(yg ~ x1 + x2 + x3 + f + x1:f, data = d, weights = w), gradglm_fit(X, d$yg, weights = w))
  # a multinomial fit (several predictors of one design) and a sigma model (two designs)
  d$k <- factor(cut(eta + rnorm(n), 3, labels = FALSE))
  same(gradglm(k ~ x1 + x2 + f, data = d, family = multinomial()),
       gradglm_fit(model.matrix(~ x1 + x2 + f, d), d$k, family = multinomial()))
  same(gradglm(yg ~ x1 + f, sigma = ~ x2, data = d),
       gradglm_fit(model.matrix(~ x1 + f, d), d$yg, x_sigma = model.matrix(~ x2, d)))
  # 260 columns: the packed panels of a wide curvature read the columns where they lie
  W <- as.data.frame(matrix(rnorm(n * 260), n, 260))
  W$y <- rbinom(n, 1, plogis(0.5 * W$V1 - 0.5 * W$V2))
  same(gradglm(y ~ ., data = W, family = binomial), gradglm_fit(model.matrix(y ~ ., W), W$y, family = binomial()))
})

test_that("the benchmarks' machine measure reads every value and runs the logistic kernel", {
  x <- rep(0.5, 10003)  # (a length that leaves a remainder after the vector loop)
  m <- gradglm:::machine_speed(x, 1L, evals = 4096, reps = 1L)
  expect_named(m, c("read", "compute", "check"))
  expect_true(all(is.finite(m)) && m[["read"]] >= 0 && m[["compute"]] >= 0)
  # check = the sum of x plus four blocks of the kernel's losses and a gradient each
  eta <- (0:1023 %% 64) / 8 - 4
  y <- as.numeric(0:1023 %% 3 == 0)
  loss <- sum(log1p(exp(-abs(eta))) + ifelse(eta > 0, (1 - y) * eta, -y * eta))
  g <- plogis(eta) - y
  expect_equal(m[["check"]], sum(x) + 4 * loss + sum(g[1:4]), tolerance = 1e-12)
  m2 <- gradglm:::machine_speed(x, 2L, evals = 4096, reps = 1L)
  expect_equal(m2[["check"]], m[["check"]], tolerance = 1e-12)
})

test_that("the starts' weighted least squares and row maxima equal lm.wfit() and apply(m, 1, max)", {
  wls <- gradglm:::wls_coefficients
  set.seed(21)
  for (n in c(5, 40, 30000)) {
    X <- cbind(1, matrix(rnorm(n * 3), n))
    y <- drop(X %*% c(1, -2, 0.5, 3)) + rnorm(n)
    w <- runif(n)
    w[seq_len(n %/% 5)] <- 0
    expect_equal(unname(wls(X, y, w)), unname(lm.wfit(X, y, w)$coefficients), tolerance = 1e-10, info = n)
    # an aliased column is NA, as lm.wfit() has it
    X2 <- cbind(X, X[, 2] - X[, 3])
    expect_identical(unname(is.na(wls(X2, y, w))), unname(is.na(lm.wfit(X2, y, w)$coefficients)))
    expect_equal(unname(wls(X2, y, w)[1:4]), unname(lm.wfit(X2, y, w)$coefficients[1:4]), tolerance = 1e-10)
  }
  expect_identical(gradglm:::wls_coefficients(matrix(0, 3, 0), 1:3, rep(1, 3)), numeric(0))
  # the reweighting's scale: median(|r|) over the rows of positive weight, by selection
  am <- gradglm:::abs_median
  for (n in c(1, 2, 5, 6, 1001, 30000)) {
    r <- round(rnorm(n), 1)  # (ties)
    w <- rep(c(1, 0, 2), length.out = n)
    expect_identical(am(r, w), stats::median(abs(r[w > 0])), info = n)
    expect_identical(am(r, rep(1, n)), stats::median(abs(r)), info = n)
  }
  expect_identical(am(c(1, NA, 3), c(1, 1, 1)), NA_real_)
  expect_identical(am(c(1, NA, 3), c(1, 0, 1)), 2)
  expect_identical(am(c(-Inf, 1, 2), c(1, 1, 1)), 2)
  expect_identical(am(1:3 + 0, c(0, 0, 0)), NA_real_)
  expect_error(am(1:3 + 0, c(1, 1)), "differ in length")
  # an intercept alone is the weighted mean (no engine call), as lm.wfit() has it
  for (n in c(1, 7, 30000)) {
    y <- rnorm(n, 5)
    w <- runif(n)
    w[seq_len(n %/% 3)] <- 0
    one <- matrix(1, n, 1, dimnames = list(NULL, "(Intercept)"))
    b <- wls(one, y, w)
    expect_identical(names(b), "(Intercept)")
    expect_equal(unname(b), unname(lm.wfit(one, y, w)$coefficients), tolerance = 1e-12, info = n)
  }
  rm <- gradglm:::row_max
  for (m in list(matrix(rnorm(15), 5), matrix(c(1, 1, -Inf, 2, Inf, 3), 3), matrix(c(5, 5, 5, 5), 2),
                 matrix(-1e300, 2, 2), matrix(1:6 + 0.5, 6, 1), matrix(rnorm(3e4), 1e4))) {
    expect_identical(rm(m), apply(m, 1L, max))
  }
  expect_identical(rm(matrix(0, 0, 3)), numeric(0))
})

# The reweighting of the heavy-tailed starts and the hyperplane search, as
# loops in R (the package's own code before they moved to the engine).
ref_robust_start <- function(x, y, w, b, tol) {
  for (it in 1:20) {
    b0 <- b
    b0[is.na(b0)] <- 0
    r <- y - as.vector(x %*% b0)
    s <- 1.4826 * stats::median(abs(r[w > 0]))
    if (!is.finite(s) || !(s > 0)) break
    b <- lm.wfit(x, y, w / (1 + (r / s)^2))$coefficients
    b[is.na(b)] <- 0
    if (!all(is.finite(b))) return(b0)
    if (max(abs(b - b0)) <= tol * (max(abs(b0)) + s)) break
  }
  b
}
ref_hyperplane_search <- function(x, y, w, share) {
  n <- nrow(x)
  p <- ncol(x)
  need <- share * sum(w)
  m <- min(500, floor(2e7 / (n * p)))
  if (p == 0L || n <= p || m < 1 || m * share^p < 1) return(NULL)
  state <- 12345
  for (k in seq_len(m)) {
    idx <- integer(0)
    while (length(idx) < p) {
      state <- (16807 * state) %% 2147483647
      idx <- unique(c(idx, 1L + as.integer(floor(state / 2147483647 * n))))
    }
    b <- tryCatch(solve(x[idx, , drop = FALSE], y[idx]), error = function(e) NULL)
    if (is.null(b) || !all(is.finite(b))) next
    f <- drop(x %*% b)
    on <- abs(y - f) <= 1e-9 * (abs(y) + abs(f))
    if (sum(w[on]) > need) return(list(count = sum(on), weight = sum(w[on])))
  }
  NULL
}

test_that("the heavy-tailed start's reweighting and the hyperplane search equal their loops in R", {
  rs <- gradglm:::robust_start
  set.seed(8)
  for (n in c(12, 60, 3000)) {
    X <- cbind(1, matrix(rnorm(n * 2), n), rbinom(n, 1, 0.3))
    y <- drop(X %*% c(1, 2, -1, 0.5)) + rt(n, 1)
    w <- rep(c(1, 0, 2.5), length.out = n)
    b <- gradglm:::wls_coefficients(X, y, w)
    for (tol in c(1e-6, 1e-4)) {
      expect_equal(unname(rs(X, y, w, b, tol)), unname(ref_robust_start(X, y, w, b, tol)), tolerance = 1e-10,
                   info = paste(n, tol))
    }
    # an aliased column: 0 in the start, as the loop has it
    X2 <- cbind(X, X[, 2] + X[, 3])
    b2 <- gradglm:::wls_coefficients(X2, y, w)
    expect_true(is.na(b2[5]))
    expect_equal(unname(rs(X2, y, w, b2)), unname(ref_robust_start(X2, y, w, b2, 1e-6)), tolerance = 1e-10)
    # an intercept alone: the weighted mean at each step
    one <- matrix(1, n, 1, dimnames = list(NULL, "(Intercept)"))
    expect_equal(unname(rs(one, y, w, c("(Intercept)" = mean(y)))), unname(ref_robust_start(one, y, w, mean(y), 1e-6)),
                 tolerance = 1e-12)
  }
  # no positive scale (a response the start fits exactly): the start as given, names and NA kept
  X <- cbind(1, 1:10, 2 * (1:10))
  expect_identical(rs(X, 3 + 2 * (1:10), rep(1, 10), c(a = 3, b = 2, c = NA)), c(a = 3, b = 2, c = NA))

  hs <- gradglm:::hyperplane_search
  set.seed(9)
  for (trial in 1:24) {
    n <- c(20, 60, 400, 2000)[trial %% 4 + 1]
    p <- trial %% 3 + 2
    # continuous or 0/1 columns (whose subsets are often singular)
    x <- cbind(1, matrix(if (trial %% 2) round(rnorm(n * (p - 1)), 1) else rbinom(n * (p - 1), 1, 0.5), n))
    y <- round(rnorm(n), 1)
    on <- sample(n, floor(runif(1, 0.4, 1) * n))
    y[on] <- drop(x[on, , drop = FALSE] %*% seq_len(p))
    w <- if (trial %% 3) rep(1, n) else runif(n, 0.5, 2)
    for (share in c(0.9, 0.6, 0.3)) {
      got <- hs(x, y, w, share)
      expect_identical(got[c("count", "weight")], ref_hyperplane_search(x, y, w, share)[c("count", "weight")],
                       info = paste(trial, share))
    }
  }
})
