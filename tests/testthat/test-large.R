# The routes taken only by large problems: the semi-normal equations with
# refinement (Gaussian, n >= 50000), the QR fallback when they are
# ill-conditioned, and Newton started from a row sample (n >= 200000).

test_that("large Gaussian fits agree with lm.fit on both the Gram and the QR route", {
  set.seed(11)
  n <- 60000
  X <- cbind(1, matrix(rnorm(n * 4), n), rbinom(n, 1, 0.01))
  y <- drop(X %*% c(1, -2, 0.5, 0, 3, 1) + rnorm(n))
  fit <- gradglm_fit(X, y)
  ref <- lm.fit(X, y)
  expect_equal(unname(coef(fit)), unname(ref$coefficients), tolerance = 1e-10)
  expect_equal(unname(sqrt(diag(fit$cov.unscaled))),
               unname(sqrt(diag(chol2inv(qr.R(ref$qr))))), tolerance = 1e-8)

  # a nearly collinear pair is left to the QR, which still matches lm.fit
  X2 <- X
  X2[, 3] <- X2[, 2] + 1e-6 * rnorm(n)
  fit2 <- gradglm_fit(X2, y)
  ref2 <- lm.fit(X2, y)
  expect_equal(unname(coef(fit2)), unname(ref2$coefficients), tolerance = 1e-6)

  # an exactly collinear column is aliased, as lm.fit does
  X3 <- cbind(X, X[, 2] + X[, 3])
  fit3 <- gradglm_fit(X3, y)
  expect_true(is.na(coef(fit3)[7]))
  expect_equal(unname(coef(fit3)[1:6]), unname(ref$coefficients), tolerance = 1e-10)
})

test_that("wide Gaussian designs take the semi-normal equations or blocked QR folds, and agree with lm.fit", {
  # (a factor of 400 levels on 1,500 rows: the semi-normal equations since
  # p >= 200 and n >= 2 p, whose refinement settles at the rounding of its
  # residuals; before, a 2,000-level factor went to a QR folding 256 rows at
  # a time, 51 s where lm.fit takes 55 s and the fit now 6 s)
  set.seed(12)
  n <- 1500
  d <- data.frame(g = factor(sample(400, n, TRUE)), x = rnorm(n))
  d$y <- rnorm(n) + as.integer(d$g) / 100 + d$x
  X <- model.matrix(~ g + x, d)
  fit <- gradglm(y ~ g + x, data = d)
  ref <- lm.fit(X, d$y)
  expect_equal(unname(coef(fit)), unname(ref$coefficients), tolerance = 1e-10)
  expect_equal(unname(sqrt(diag(fit$cov.unscaled))), unname(sqrt(diag(chol2inv(qr.R(ref$qr))))),
               tolerance = 1e-10)
  # an aliased column sends it to the QR, in blocks of 2 (p + 1) rows: lm.fit's aliasing and coefficients
  d$x2 <- 3 * d$x
  X2 <- model.matrix(~ g + x + x2, d)
  fit2 <- gradglm(y ~ g + x + x2, data = d)
  ref2 <- lm.fit(X2, d$y)
  expect_identical(unname(is.na(coef(fit2))), unname(is.na(ref2$coefficients)))
  expect_equal(unname(coef(fit2)), unname(ref2$coefficients), tolerance = 1e-10)
  expect_equal(deviance(fit2), sum(ref2$residuals^2), tolerance = 1e-12)
})

test_that("designs with fewer than twice as many rows as columns take one QR of their rows, as lm does", {
  # (two factors' interaction on few rows, p > n: before, the rows were
  # folded into a (p + 1) x (p + 1) triangle, about p^3 operations, 14 s for
  # 120 rows and 4,895 columns in the fuzz run of 2026-12-06)
  set.seed(31)
  n <- 90
  d <- data.frame(f = factor(sample(30, n, TRUE)), g = factor(sample(30, n, TRUE)), x = rnorm(n),
                  w = runif(n, 0.5, 2))
  d$y1 <- rnorm(n) + d$x
  d$y2 <- rnorm(n) - d$x
  fit <- gradglm(y1 ~ f * g + x, data = d, weights = w)
  ref <- lm(y1 ~ f * g + x, data = d, weights = w)
  expect_gt(length(coef(ref)), n)
  expect_identical(unname(is.na(coef(fit))), unname(is.na(coef(ref))))
  expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-8)
  expect_equal(unname(fitted(fit)), unname(fitted(ref)), tolerance = 1e-8)
  expect_equal(fit$df.residual, ref$df.residual)
  # several responses share the one QR
  fit2 <- gradglm(cbind(y1, y2) ~ f * g + x, data = d, weights = w)
  ref2 <- lm(cbind(y1, y2) ~ f * g + x, data = d, weights = w)
  expect_equal(unname(as.matrix(fitted(fit2))), unname(fitted(ref2)), tolerance = 1e-8)
  # and a narrower design of between p and 2 p rows, with an aliased column
  X <- cbind(1, matrix(rnorm(n * 59), n))
  X[, 7] <- X[, 2] - X[, 3]
  fit3 <- gradglm_fit(X, d$y1, weights = d$w)
  ref3 <- lm.wfit(X, d$y1, d$w)
  expect_identical(unname(is.na(coef(fit3))), unname(is.na(ref3$coefficients)))
  expect_equal(unname(coef(fit3)), unname(ref3$coefficients), tolerance = 1e-10)
  expect_equal(unname(sqrt(diag(fit3$cov.unscaled))),
               unname(sqrt(diag(chol2inv(qr.R(ref3$qr)[1:59, 1:59])))), tolerance = 1e-8)
})

test_that("large logistic fits started from a row sample agree with glm.fit", {
  set.seed(12)
  n <- 200000
  X <- cbind(1, matrix(rnorm(n * 5), n))
  y <- rbinom(n, 1, plogis(drop(X %*% c(-0.5, 1, -1, 0.5, 0.25, 0))))
  fit <- gradglm_fit(X, y, family = binomial())
  ref <- glm.fit(X, y, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_true(fit$converged)
  expect_equal(unname(coef(fit)), unname(ref$coefficients), tolerance = 1e-8)
  se_ref <- sqrt(diag(chol2inv(qr.R(ref$qr))))
  expect_equal(unname(sqrt(diag(fit$cov.unscaled))), se_ref, tolerance = 1e-6)
  expect_equal(fit$deviance, ref$deviance, tolerance = 1e-10)

  # a column that is a copy of another is aliased on this route too
  X2 <- cbind(X, X[, 2])
  fit2 <- gradglm_fit(X2, y, family = binomial())
  expect_true(is.na(coef(fit2)[7]))
  expect_equal(unname(coef(fit2)[1:6]), unname(ref$coefficients), tolerance = 1e-8)

  # prior weights (a fifth of them zero) enter the sample's rank check and the fit
  w <- rep(c(0, 1, 2, 1, 3, 1, 0, 1, 2, 1), length.out = n)
  fit3 <- gradglm_fit(X2, y, weights = w, family = binomial())
  ref3 <- glm.fit(X, y, weights = w, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_identical(unname(is.na(coef(fit3))), rep(c(FALSE, TRUE), c(6, 1)))
  expect_equal(unname(coef(fit3)[1:6]), unname(ref3$coefficients), tolerance = 1e-8)

  # an offset: the sample's passes read it, as its rows, where it lies
  off <- rnorm(n, sd = 0.3)
  gradglm:::engine_profile(TRUE, TRUE)
  fit4 <- gradglm_fit(X, y, offset = off, family = binomial())
  pr <- gradglm:::engine_profile(FALSE)
  expect_true("sample pass: curvature" %in% pr$phase)
  ref4 <- glm.fit(X, y, offset = off, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_equal(unname(coef(fit4)), unname(ref4$coefficients), tolerance = 1e-8)
  # (glm()'s null deviance with an offset: the intercept-only model refitted with it)
  null4 <- glm.fit(rep(1, n), y, offset = off, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_equal(fit4$null.deviance, null4$deviance, tolerance = 1e-8)
  expect_equal(unname(fitted(fit4)), unname(ref4$fitted.values), tolerance = 1e-8)
})

test_that("the large vectors of a collected fit are reused by the next one, with fresh values", {
  cache <- gradglm:::mapped_cache(release = TRUE)
  skip_if_not(cache$can_map, "no anonymous mappings on this system")
  expect_identical(c(cache$count, cache$bytes), c(0, 0))
  set.seed(21)
  n <- 6e5  # (4.8 MB a vector: mapped on its own)
  X <- cbind(1, rnorm(n))
  y1 <- rbinom(n, 1, plogis(X[, 2]))
  y2 <- rpois(n, exp(0.5 - X[, 2] / 2))
  fit <- gradglm_fit(X, y1, family = binomial())
  ref1 <- glm.fit(X, y1, family = binomial())
  # (the deferred outputs computed: each a vector of its own)
  invisible(fit$fitted.values + fit$weights + fit$residuals)
  rm(fit)
  invisible(gc())
  kept <- gradglm:::mapped_cache()
  # (the predictors; the fitted means, working weights and residuals. The
  # integer response and the unit weights are read without vectors of their own)
  expect_gte(kept$count, 4)
  expect_gt(kept$bytes, 4 * 8 * n)
  # the next fit of the same size takes them, and writes every value of its own
  fit2 <- gradglm_fit(X, y2, family = poisson())
  after <- gradglm:::mapped_cache()
  expect_gte(after$hits - kept$hits, 1)
  expect_true(gradglm:::view_lazy(fit2$y))
  expect_true(gradglm:::unit_weights_lazy(fit2$prior.weights))
  invisible(fit2$fitted.values + fit2$weights + fit2$residuals)
  expect_gte(gradglm:::mapped_cache()$hits - kept$hits, 4)
  ref2 <- glm.fit(X, y2, family = poisson(), control = glm.control(epsilon = 1e-12))
  expect_equal(unname(fitted(fit2)), unname(ref2$fitted.values), tolerance = 1e-8)
  expect_equal(unname(fit2$linear.predictors), unname(ref2$linear.predictors), tolerance = 1e-8)
  expect_equal(unname(fit2$weights), unname(ref2$weights), tolerance = 1e-8)
  expect_equal(unname(fit2$residuals), unname(ref2$residuals), tolerance = 1e-7)
  expect_identical(fit2$y, as.double(y2))
  expect_false(isTRUE(all.equal(fitted(fit2), ref1$fitted.values)))
  # what is kept is given back on request (and when the package is unloaded)
  rm(fit2)
  invisible(gc())
  expect_gt(gradglm:::mapped_cache()$count, 0)
  expect_identical(gradglm:::mapped_cache(release = TRUE)$count, 0)
})

test_that("a long fit can be interrupted (R's interrupt checks are serviced)", {
  set.seed(13)
  n <- 2e5
  X <- cbind(1, matrix(rnorm(n * 10), n))
  y <- rbinom(n, 1, 0.5)
  slow_fit <- function() {
    # a time limit is delivered through the same checks as Ctrl-C
    setTimeLimit(elapsed = 1, transient = TRUE)
    on.exit(setTimeLimit())
    gradglm_fit(X, y, family = binomial(), optimizer = "gd",
                control = gradglm_control(tol = 1e-300, max_iter = 1e6, decay = 0,
                                          learning_rate = 1e-7))
  }
  started <- proc.time()[["elapsed"]]
  out <- tryCatch(slow_fit(), interrupt = function(e) "interrupted",
                  error = function(e) conditionMessage(e))
  expect_true(identical(out, "interrupted") || grepl("time limit", out))
  # stopped soon after the limit instead of running its million iterations
  expect_lt(proc.time()[["elapsed"]] - started, test_seconds(30))
})

test_that("minibatch fits can be interrupted too, with the progress bar on", {
  set.seed(14)
  n <- 2e5
  X <- cbind(1, matrix(rnorm(n * 10), n))
  y <- rbinom(n, 1, 0.5)
  slow_fit <- function(opt) {
    setTimeLimit(elapsed = 1, transient = TRUE)
    on.exit(setTimeLimit())
    suppressMessages(gradglm_fit(X, y, family = binomial(), optimizer = opt,
                                 control = gradglm_control(verbose = TRUE)))
  }
  for (opt in list(opt_sgd(learning_rate = 1e-7, schedule = "constant", max_epochs = 1e6, patience = 1e6,
                           tol = 1e-300),
                   opt_adam(learning_rate = 1e-9, schedule = "constant", max_epochs = 1e6, patience = 1e6,
                            tol = 1e-300))) {
    started <- proc.time()[["elapsed"]]
    out <- tryCatch(slow_fit(opt), interrupt = function(e) "interrupted",
                    error = function(e) conditionMessage(e))
    expect_true(identical(out, "interrupted") || grepl("time limit", out), label = opt$name)
    expect_lt(proc.time()[["elapsed"]] - started, test_seconds(30))
  }
  # the package still fits afterwards
  expect_true(gradglm(am ~ wt, data = mtcars, family = binomial())$converged)
})
