# Newton's method where its exact (observed) curvature is not a plain
# weighted cross-product with positive weights.

test_that("gaussian(log) converges where the observed curvature has negative terms", {
  # on cars some observations have y > 2 mu, so their curvature mu (2 mu - y) is negative
  fit <- gradglm(dist ~ speed, data = cars, family = gaussian(link = "log"))
  ref <- glm(dist ~ speed, data = cars, family = gaussian(link = "log"),
             control = glm.control(epsilon = 1e-14, maxit = 100))
  expect_true(fit$converged)
  expect_lt(fit$iter, 20)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-7)
  expect_equal(unname(sqrt(diag(vcov(fit)))), unname(sqrt(diag(vcov(ref)))), tolerance = 1e-5)
  # every accepted Newton step was a full or nearly full one
  expect_true(all(fit$trace$step[-nrow(fit$trace)] >= 0.25))
})

test_that("an indefinite curvature far from the optimum falls back to Fisher scoring", {
  fit <- gradglm(dist ~ speed, data = cars, family = gaussian(link = "log"),
                 start = c(4, -0.05))
  ref <- glm(dist ~ speed, data = cars, family = gaussian(link = "log"),
             control = glm.control(epsilon = 1e-14, maxit = 100))
  expect_true(fit$converged)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-7)
})
