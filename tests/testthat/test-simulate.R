# simulate(): draws from a GLM fit's distribution, as simulate() of glm draws them

test_that("simulate() of GLM fits gives glm's draws for the same seed", {
  set.seed(4)
  d <- data.frame(y = rpois(150, 3), x = rnorm(150), g = factor(sample(letters[1:3], 150, TRUE)),
                  k = rbinom(150, 4, 0.4), u = rgamma(150, 3, 1), b = factor(sample(c("no", "yes"), 150, TRUE)))
  cases <- list(list(y ~ x + g, poisson()), list(cbind(k, 4 - k) ~ x, binomial()), list(b ~ x, binomial()),
                list(u ~ x + g, gaussian()), list(u ~ x, Gamma("log")))
  for (cs in cases) {
    lab <- paste(deparse(cs[[1]]), cs[[2]]$family)
    fit <- gradglm(cs[[1]], data = d, family = cs[[2]], control = gradglm_control(tol = 1e-12))
    ref <- glm(cs[[1]], data = d, family = cs[[2]], control = glm.control(epsilon = 1e-14))
    # (the Gamma's shape: its maximum-likelihood value given the fitted means, as MASS::gamma.shape())
    expect_equal(simulate(fit, 3, seed = 11), simulate(ref, 3, seed = 11), tolerance = 1e-6, label = lab)
  }
  fit <- gradglm(u ~ x, data = d, family = Gamma("log"))
  expect_equal(gradglm:::gamma_ml_shape(d$u, fitted(fit), rep(1, 150)),
               MASS::gamma.shape(glm(u ~ x, data = d, family = Gamma("log")))$alpha, tolerance = 1e-6)
  # the generator's state is restored after a seed, and kept as glm keeps it
  fit <- gradglm(y ~ x, data = d, family = poisson())
  set.seed(1)
  s <- simulate(fit, 2, seed = 5)
  after <- runif(1)
  set.seed(1)
  expect_identical(runif(1), after)
  expect_identical(attr(s, "seed"), attr(simulate(glm(y ~ x, data = d, family = poisson()), 2, seed = 5), "seed"))
  expect_identical(names(s), c("sim_1", "sim_2"))
  # na.exclude: the rows left out are NA
  d$x[7] <- NA
  s <- simulate(gradglm(y ~ x, data = d, family = poisson(), na.action = na.exclude), 2, seed = 1)
  expect_identical(dim(s), c(150L, 2L))
  expect_true(all(is.na(s[7, ])))
  expect_false(anyNA(s[-7, ]))
})

test_that("inverse Gaussian and negative binomial draws follow their distributions", {
  # Kolmogorov-Smirnov against the inverse Gaussian's distribution function
  set.seed(2)
  mu <- 2
  lambda <- 3
  x <- gradglm:::rinvgauss(20000, mu, lambda)
  cdf <- function(q) stats::pnorm(sqrt(lambda / q) * (q / mu - 1)) +
    exp(2 * lambda / mu) * stats::pnorm(-sqrt(lambda / q) * (q / mu + 1))
  expect_gt(stats::ks.test(x, cdf)$p.value, 0.01)
  set.seed(3)
  n <- 400
  d <- data.frame(x = runif(n))
  d$y <- stats::rnbinom(n, size = 2, mu = exp(1 + d$x))
  d$z <- gradglm:::rinvgauss(n, exp(0.5 + 0.5 * d$x), 4)
  fit <- gradglm(y ~ x, data = d, family = negative_binomial())
  s <- simulate(fit, 200, seed = 1)
  expect_equal(mean(as.matrix(s)), mean(fitted(fit)), tolerance = 0.02)
  fi <- gradglm(z ~ x, data = d, family = inverse.gaussian(link = "log"))
  si <- as.matrix(simulate(fi, 200, seed = 1))
  expect_equal(mean(si / fitted(fi)), 1, tolerance = 0.01)
})

test_that("simulate() refuses what has no distribution, and bad nsim", {
  d <- data.frame(x = 1:20, y = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4))
  expect_error(simulate(gradglm(y ~ x, data = d, family = quasipoisson())),
               "family 'quasipoisson' has no distribution to draw from")
  expect_error(simulate(gradglm(y ~ x, data = d, family = student_t())), "this fit is a student_t model, not a GLM")
  fit <- gradglm(y ~ x, data = d, family = poisson())
  expect_error(simulate(fit, nsim = 0), "'nsim' must be a positive whole number")
  expect_error(simulate(fit, nsim = 1.5), "'nsim'")
  expect_warning(simulate(gradglm(y ~ x, data = d, family = poisson(), weights = rep(2, 20))), "prior weights are ignored")
  half <- suppressWarnings(gradglm(I(y / 10) ~ x, data = d, family = binomial(), weights = rep(2.5, 20)))
  expect_error(simulate(half), "whole-number prior weights")
})
