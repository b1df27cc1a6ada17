# A fit in a process forked from the session, after a fit on two threads in
# the session: OpenMP's thread pool does not survive fork(), and a parallel
# region in the child waited forever (the child hung in libgomp).

test_that("a forked child fits on one thread instead of hanging", {
  skip_on_os("windows")  # (no fork() there; mcparallel() needs it)
  old <- options(gradglm.threads = 2L)
  on.exit(options(old))
  set.seed(3)
  n <- 60000
  X <- matrix(rnorm(n * 5), n)
  d <- as.data.frame(X)
  d$y <- rbinom(n, 1, plogis(X %*% c(1, -1, 0.5, 0, 0)))
  f <- gradglm(y ~ ., data = d, family = binomial())  # (two threads here: the pool exists)
  job <- parallel::mcparallel({
    c(gradglm:::engine_threads(), coef(gradglm(y ~ ., data = d, family = binomial())))
  })
  res <- parallel::mccollect(job, wait = FALSE, timeout = 60)
  if (is.null(res)) {
    # (still running after a minute: the hang; stop the child, fail the test)
    tools::pskill(job$pid)
    parallel::mccollect(job, wait = TRUE)
  }
  expect_false(is.null(res), label = "the forked fit finished within 60 s")
  got <- res[[1]]
  expect_identical(got[[1]], 1)  # (one thread in the child)
  expect_equal(unname(got[-1]), unname(coef(f)), tolerance = 1e-10)
  expect_identical(gradglm:::engine_threads(), 2L)  # (the session keeps its threads)
})

test_that("a forked child computes a fit's deferred outputs on one thread instead of hanging", {
  skip_on_os("windows")
  old <- options(gradglm.threads = 2L)
  on.exit(options(old))
  set.seed(4)
  n <- 60000
  X <- cbind(1, rnorm(n))
  y <- rbinom(n, 1, plogis(X[, 2]))
  f <- gradglm_fit(X, y, family = binomial())  # (two threads here: the pool exists)
  invisible(f$weights + 0)  # (one output computed on two threads in the session)
  expect_true(gradglm:::is_deferred(f$fitted.values))
  job <- parallel::mcparallel(sum(f$fitted.values + 0))
  res <- parallel::mccollect(job, wait = FALSE, timeout = 60)
  if (is.null(res)) {
    tools::pskill(job$pid)
    parallel::mccollect(job, wait = TRUE)
  }
  expect_false(is.null(res), label = "the forked child computed the fitted means within 60 s")
  expect_equal(res[[1]], sum(plogis(f$linear.predictors)), tolerance = 1e-12)
  expect_true(gradglm:::is_deferred(f$fitted.values))  # (the child's copy was computed, not the session's)
})
