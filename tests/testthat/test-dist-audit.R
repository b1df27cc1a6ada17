# Findings of an audit of the distributional fits against likelihoods written
# out in R (each test failed on the code before its fix).

test_that("a constant positive response with a sigma model is an unbounded likelihood, not a converged fit", {
  # Gamma and inverse Gaussian (log link): the GLM start fits y exactly, its
  # residuals at the rounding put the start's log(sigma) near -36, and the fit
  # stayed there, 'converged' with a gradient norm of 4.5e15 and a
  # log-likelihood of 1981 that only the density's lost digits bounded.
  d <- data.frame(x = seq(-1, 1, length.out = 30), z = rep(c(-1, 0, 1), 10), y = 5)
  for (fam in list(Gamma("log"), inverse.gaussian("log"))) {
    for (s in list(~ 1, ~ z)) {
      expect_warning(f <- gradglm(y ~ x, data = d, family = fam, sigma = s), "likelihood is unbounded",
                     label = paste(fam$family, deparse(s)))
      expect_false(f$converged)
    }
  }
  # a response varying by 1e-12 of its size has its scale estimated as usual
  set.seed(11)
  d$y <- 5 * (1 + 1e-12 * rnorm(30))
  f <- expect_silent(gradglm(y ~ x, data = d, family = Gamma("log"), sigma = ~ 1))
  expect_true(f$converged)
  r <- d$y / fitted(f) - 1
  # the Gamma's ML sigma at a coefficient of variation this small is the rms of y / mu - 1
  expect_equal(unname(exp(coef(f)[3])), sqrt(mean(r^2)), tolerance = 1e-3)
})

test_that("a sigma formula with '.' is an error naming 'sigma'", {
  # before: R's "'.' in formula and no 'data' argument" from terms.formula()
  d <- data.frame(x = 1:20, z = rep(1:4, 5), y = c(1:20) + rep(c(-1, 1), 10))
  expect_error(gradglm(y ~ x, data = d, family = student_t(df = 4), sigma = ~ .),
               "^gradglm: 'sigma' cannot use '\\.'")
  expect_error(gradglm(y ~ x, data = d, family = gaussian(), sigma = ~ . - y),
               "^gradglm: 'sigma' cannot use '\\.'")
})
