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

test_that("anova() does not compare a weighted classical fit's precision weights with a sigma model's frequency weights", {
  # before: anova(classical, sigma ~ z) gave an LR statistic of -304 between
  # two likelihoods of different models (glm's Var(y) = sigma^2 / w against
  # each row's log-likelihood times w)
  set.seed(13)
  n <- 100
  d <- data.frame(x = rnorm(n), z = rnorm(n), w = rep(1:4, n / 4))
  d$y <- 1 + d$x + rnorm(n) / sqrt(d$w)
  g_classical <- gradglm(y ~ x, data = d, weights = w)
  g_const <- gradglm(y ~ x, data = d, weights = w, sigma = ~ 1)
  g_z <- gradglm(y ~ x, data = d, weights = w, sigma = ~ z)
  # the two fits of a constant scale: glm's mean, different likelihoods
  expect_equal(coef(g_const)[1:2], coef(g_classical), tolerance = 1e-8)
  r <- d$y - fitted(g_classical)
  expect_equal(as.numeric(logLik(g_const)),
               sum(d$w * dnorm(r, 0, sqrt(sum(d$w * r^2) / sum(d$w)), log = TRUE)), tolerance = 1e-10)
  expect_equal(as.numeric(logLik(g_classical)),
               sum(dnorm(r, 0, sqrt(sum(d$w * r^2) / n / d$w), log = TRUE)), tolerance = 1e-10)
  expect_error(anova(g_classical, g_z), "^anova.gradglm: model\\(s\\) 1 .*precisions.*frequencies.*sigma = ~ 1")
  for (fam in list(Gamma("log"), inverse.gaussian("log"))) {
    d$yp <- exp(1 + 0.3 * d$x) * rgamma(n, 20 * d$w, 20 * d$w)
    expect_error(anova(gradglm(yp ~ x, data = d, family = fam, weights = w),
                       gradglm(yp ~ x, data = d, family = fam, weights = w, sigma = ~ z)), "precisions")
  }
  # the distributional fits compare with each other; weights of 0 and 1 take part as before
  a <- anova(g_const, g_z)
  expect_equal(a[2, "LR stat"], 2 * (as.numeric(logLik(g_z)) - as.numeric(logLik(g_const))), tolerance = 1e-12)
  d$w01 <- rep(c(0, 1), n / 2)
  a <- anova(gradglm(y ~ x, data = d, weights = w01), gradglm(y ~ x, data = d, weights = w01, sigma = ~ z))
  expect_true(is.finite(a[2, "Pr(>Chi)"]))
})

test_that("a Gamma sigma model keeps the digits of rows with y far below mu (the score is zero at the fit)", {
  # one response of 1e10 among values near 2 puts y / mu at 1e-13 for some
  # rows; t - log1p(t), t = (y - mu) / mu, kept 3 digits of log(y / mu) there,
  # and the fit stopped 9e-4 standard errors from the score's root
  # (sigma:z 0.022053 for 0.022083), reported as converged
  set.seed(14)
  n <- 120
  d <- data.frame(x = rnorm(n), z = rnorm(n))
  d$w <- rep(c(0, 1, 3), n / 3)
  d$off <- log(runif(n, 1, 3))
  d$u <- 1 + d$x + 0.7 * (rexp(n) - rexp(n))
  d$k <- rnbinom(n, size = 2, mu = exp(0.5 + 0.3 * d$x + d$off))
  d$y <- rgamma(n, 2, 1)
  d$y[1] <- 1e10
  f <- gradglm(y ~ x, data = d, family = Gamma("log"), sigma = ~ z)
  expect_true(f$converged)
  b <- coef(f)
  X <- cbind(1, d$x)
  Z <- cbind(1, d$z)
  mu <- exp(drop(X %*% b[1:2]))
  nu <- exp(-2 * drop(Z %*% b[3:4]))
  r <- d$y / mu
  expect_lt(min(r), 1e-12)
  # the scores of the Gamma log-likelihood in (log mu, log sigma), written from R's log()
  score <- c(colSums(X * nu * (r - 1)),
             colSums(Z * 2 * nu * (log(nu) - digamma(nu) - (r - 1 - log(r)))))
  se <- sqrt(diag(vcov(f)))
  # a score of U leaves the coefficient about U * se^2 from its root: in standard errors, U * se
  expect_lt(max(abs(score * se)), 1e-5)
})
