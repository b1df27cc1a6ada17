# The curvature's cross-product kernel (AVX2 where the processor has it, else
# Eigen's products) against R's crossprod(), over sizes that leave every
# remainder of its tiles (3 x 4 columns) and of its row vectors (4 rows).

test_that("the cross-product kernel adds B'A (in full, or its lower triangle) exactly as crossprod()", {
  set.seed(42)
  for (len in c(1L, 3L, 4L, 5L, 17L, 64L, 259L, 700L)) {
    for (pa in c(1L, 2L, 3L, 4L, 5L, 7L, 13L)) {
      A <- matrix(rnorm(len * pa), len, pa)
      B <- matrix(rnorm(len * (pa + 2L)), len, pa + 2L)
      H0 <- matrix(rnorm((pa + 2L) * pa), pa + 2L, pa)
      r <- gradglm:::cross_product_eval(A, B, H0, FALSE)
      expect_equal(r$H, H0 + crossprod(B, A), tolerance = 1e-13, label = paste("full", len, pa))
      # the lower triangle: A = diag(c) X and B = X, with weights of both signs
      X <- matrix(rnorm(len * pa), len, pa)
      cw <- rnorm(len)
      S0 <- matrix(rnorm(pa * pa), pa, pa)
      l <- gradglm:::cross_product_eval(cw * X, X, S0, TRUE)$H
      want <- S0 + crossprod(X, cw * X)
      low <- lower.tri(want, diag = TRUE)
      expect_equal(l[low], want[low], tolerance = 1e-13, label = paste("lower", len, pa))
      expect_identical(l[!low], S0[!low])  # above the diagonal: untouched
    }
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
