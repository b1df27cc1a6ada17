# Optimizer specifications (opt_newton(), opt_gd(), opt_lbfgs()), the
# learning-rate schedules of gradient descent and L-BFGS on every kind of model.

test_that("opt_*() build validated specifications; strings are their shorthands", {
  s <- opt_lbfgs(memory = 5)
  expect_s3_class(s, "gradglm_optimizer")
  expect_identical(s$name, "lbfgs")
  expect_identical(s$settings$memory, 5L)
  expect_output(print(s), "lbfgs (memory = 5)", fixed = TRUE)
  expect_identical(opt_gd(schedule = "cosine")$settings$schedule, "cosine")
  expect_identical(opt_newton()$name, "newton")
  fit_s <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = opt_lbfgs())
  fit_c <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "lbfgs")
  expect_identical(coef(fit_s), coef(fit_c))
  expect_identical(fit_s$optimizer, "lbfgs")
})

test_that("invalid optimizer settings get clear errors", {
  expect_error(opt_gd(learning_rate = -1), "opt_gd: 'learning_rate' must be a single positive number")
  expect_error(opt_gd(learning_rate = "a"), "opt_gd: 'learning_rate'")
  expect_error(opt_gd(decay = -0.1), "opt_gd: 'decay' must be a single number >= 0")
  expect_error(opt_gd(schedule = "linear"), "opt_gd: 'schedule' must be one of \"constant\"")
  expect_error(opt_lbfgs(memory = 0), "opt_lbfgs: 'memory' must be a whole number between 1 and 1000")
  expect_error(opt_lbfgs(memory = 2.5), "opt_lbfgs: 'memory'")
  expect_error(opt_newton(tol = 0), "opt_newton: 'tol' must be a single positive number")
  expect_error(opt_newton(max_iter = 1.5), "opt_newton: 'max_iter' must be a positive whole number")
  expect_error(gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = list(name = "gd")),
               "gradglm: 'optimizer' must be one of")
  expect_error(gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "bfgs"),
               "unknown optimizer 'bfgs'")
  expect_error(gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = opt_gd(max_iter = 0)),
               "opt_gd: 'max_iter'")
})

test_that("a spec's settings override control's", {
  fit <- suppressWarnings(gradglm(am ~ wt, data = mtcars, family = binomial(),
                                  optimizer = opt_gd(max_iter = 7),
                                  control = gradglm_control(max_iter = 5000)))
  expect_identical(fit$iter, 7L)
  fit2 <- suppressWarnings(gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd",
                                   control = gradglm_control(max_iter = 9)))
  expect_identical(fit2$iter, 9L)
})

test_that("every schedule follows its formula and reaches the optimum", {
  ref <- glm(am ~ wt, data = mtcars, family = binomial(), control = glm.control(epsilon = 1e-14))
  rate <- function(schedule, t, lr = 1, decay = 0.01, max_iter = 100) {
    switch(schedule, constant = lr, inverse = lr / (1 + decay * t), exponential = lr * exp(-decay * t),
           step = lr * 0.5^floor(decay * t), cosine = lr * (1 + cos(pi * pmin(1, t / max_iter))) / 2)
  }
  for (sch in c("constant", "inverse", "exponential", "step", "cosine")) {
    fit <- gradglm(am ~ wt, data = mtcars, family = binomial(),
                   optimizer = opt_gd(schedule = sch, decay = 1e-3, learning_rate = 2, max_iter = 20000))
    expect_true(fit$converged, label = sch)
    expect_close(coef(fit), coef(ref), 1e-5, label = paste("schedule", sch))
    # no accepted step exceeds the scheduled rate
    tr <- fit$trace[!is.na(fit$trace$step) & fit$trace$step > 0, ]
    sched <- rate(sch, tr$iter, lr = 2, decay = 1e-3, max_iter = 20000)
    expect_true(all(tr$step <= sched * (1 + 1e-12)), label = paste("steps within schedule", sch))
  }
  # a constant and a decaying schedule take different paths
  a <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = opt_gd(schedule = "constant"))
  b <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = opt_gd(schedule = "exponential",
                                                                                decay = 0.001))
  expect_false(identical(a$trace$step, b$trace$step))
})

test_that("the trace records elapsed time, non-decreasing", {
  fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "lbfgs")
  expect_true(is.numeric(fit$trace$time))
  expect_true(all(diff(fit$trace$time) >= 0))
  expect_true(all(fit$trace$time >= 0))
})

test_that("lbfgs fits distributional models like newton, with weights and offsets", {
  set.seed(5)
  n <- 300
  d <- data.frame(x = runif(n, -1, 1), w = rep(1:3, length.out = n), o = rnorm(n, 0, 0.1))
  d$y <- 1 + d$o + 2 * d$x + exp(0.3 * d$x) * rt(n, 5)
  for (fam in list(gaussian(), student_t(df = 5), student_t(), laplace())) {
    a <- gradglm(y ~ x + offset(o), data = d, weights = w, family = fam, sigma = ~ x, optimizer = "lbfgs")
    b <- gradglm(y ~ x + offset(o), data = d, weights = w, family = fam, sigma = ~ x)
    expect_true(a$converged, label = fam$family)
    expect_close(coef(a), coef(b), 1e-6, abs_tol = 1e-8, label = paste("lbfgs vs newton", fam$family))
    expect_close(a$loglik, b$loglik, 1e-9, label = paste("logLik", fam$family))
  }
})

test_that("lbfgs with a large n starts from a subsample fit and matches glm", {
  set.seed(9)
  n <- 250000
  X <- cbind(1, matrix(rnorm(n * 3), n, 3))
  y <- rbinom(n, 1, plogis(drop(X %*% c(-0.5, 1, -0.5, 0.25))))
  fit <- gradglm_fit(X, y, family = binomial(), optimizer = "lbfgs")
  ref <- glm.fit(X, y, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_true(fit$converged)
  expect_close(coef(fit), coef(ref), 1e-6)
  expect_lt(fit$iter, 20L)
})

test_that("a learning rate decayed to nothing is not reported as convergence", {
  fit <- suppressWarnings(gradglm(vs ~ mpg, data = mtcars, family = binomial(),
                                  optimizer = opt_gd(decay = 0.01, schedule = "exponential")))
  expect_false(fit$converged)
  expect_match(fit$message, "decayed to about 0")
  expect_warning(gradglm(vs ~ mpg, data = mtcars, family = binomial(),
                         optimizer = opt_gd(decay = 0.01, schedule = "exponential")),
                 "did not converge")
  # the fit keeps the spec's settings and the optimizer's message
  ok <- gradglm(vs ~ mpg, data = mtcars, family = binomial(), optimizer = opt_gd(schedule = "constant"))
  expect_identical(ok$optimizer_settings$schedule, "constant")
  expect_true(is.character(ok$message))
})
