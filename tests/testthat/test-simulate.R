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

test_that("distributional models draw at each row's location and scale, multinomial and ordinal ones classes", {
  set.seed(1)
  n <- 400
  x <- runif(n)
  d <- data.frame(x = x, yn = rnorm(n, 1 + x, exp(0.2 + x)), yt = 1 + x + exp(0.1 + 0.5 * x) * rt(n, 5),
                  yg = rgamma(n, shape = 4, scale = exp(1 + x) / 4),
                  yi = gradglm:::rinvgauss(n, exp(0.5 + 0.3 * x), 5), yc = rnbinom(n, size = 2, mu = exp(1 + x)),
                  yl = 1 + x + 0.7 * (rexp(n) - rexp(n)))
  # the draws' mean and standard deviation in each row against the fitted
  # mean and the family's standard deviation at the fitted scale
  moments <- function(fit, sdv) {
    s <- as.matrix(simulate(fit, 400, seed = 2))
    c(mean(rowMeans(s) / fitted(fit)), mean(apply(s, 1L, stats::sd) / sdv))
  }
  family_sd <- function(fit) {
    gradglm:::family_row(fit$family)$location_scale$sd(fitted(fit), predict(fit, type = "sigma"))
  }
  fits <- list(gaussian = gradglm(yn ~ x, sigma = ~ x, data = d),
               gamma = gradglm(yg ~ x, sigma = ~ x, data = d, family = Gamma(link = "log")),
               inverse_gaussian = gradglm(yi ~ x, sigma = ~ 1, data = d, family = inverse.gaussian(link = "log")),
               negative_binomial = gradglm(yc ~ x, sigma = ~ x, data = d, family = negative_binomial()))
  for (nm in names(fits)) {
    sdv <- if (nm == "gaussian") predict(fits[[nm]], type = "sigma") else family_sd(fits[[nm]])
    expect_equal(moments(fits[[nm]], sdv), c(1, 1), tolerance = 0.02, label = nm)
  }
  ft <- gradglm(yt ~ x, sigma = ~ x, data = d, family = student_t())
  expect_equal(moments(ft, predict(ft, type = "sigma") * sqrt(ft$df / (ft$df - 2))), c(1, 1), tolerance = 0.03)
  fl <- gradglm(yl ~ x, data = d, family = laplace())
  expect_equal(moments(fl, predict(fl, type = "sigma") * sqrt(2)), c(1, 1), tolerance = 0.02)
  # classes: each row's frequencies over the draws against its fitted probabilities
  m <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  s <- simulate(m, 2000, seed = 1)
  expect_true(is.factor(s$sim_1))
  expect_identical(levels(s$sim_1), levels(iris$Species))
  freq <- t(vapply(seq_len(nrow(iris)), function(i) {
    as.vector(table(factor(vapply(s, function(col) as.character(col[i]), ""), levels = levels(iris$Species)))) / 2000
  }, numeric(3)))
  p <- predict(m, type = "probs")
  expect_lt(max(abs(freq - p) / sqrt(p * (1 - p) / 2000 + 1e-12)), 5)  # (5 standard errors over 450 cells)
  o <- gradglm(Sat ~ Infl, data = MASS::housing, weights = Freq, family = ordinal())
  expect_warning(so <- simulate(o, 2, seed = 1), "prior weights are ignored")
  expect_identical(levels(so$sim_1), levels(MASS::housing$Sat))
})

test_that("simulate() refuses what has no distribution, and bad nsim", {
  d <- data.frame(x = 1:20, y = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4))
  expect_error(simulate(gradglm(y ~ x, data = d, family = quasipoisson())),
               "family 'quasipoisson' has no distribution to draw from")
  expect_error(simulate(gradglm(cbind(y, x) ~ 1, data = d, family = student_t())), "models of one response")
  fit <- gradglm(y ~ x, data = d, family = poisson())
  expect_error(simulate(fit, nsim = 0), "'nsim' must be a positive whole number")
  expect_error(simulate(fit, nsim = 1.5), "'nsim'")
  # (beyond R's integer range: one clear error, not a failed allocation)
  expect_error(simulate(fit, nsim = 3e9), "'nsim' must be a positive whole number \\(at most 2147483647\\)")
  expect_error(simulate(fit, seed = "a"), "'seed' must be NULL or a single number")
  expect_warning(simulate(gradglm(y ~ x, data = d, family = poisson(), weights = rep(2, 20))), "prior weights are ignored")
  half <- suppressWarnings(gradglm(I(y / 10) ~ x, data = d, family = binomial(), weights = rep(2.5, 20)))
  expect_error(simulate(half), "whole-number prior weights")
})
