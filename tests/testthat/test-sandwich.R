# sandwich's robust covariance matrices of GLM fits against the same
# estimators on glm fits (sandwich's estfun() and bread() for glm)

test_that("vcovHC(), vcovCL() and sandwich() of GLM fits equal glm's", {
  skip_if_not_installed("sandwich")
  set.seed(8)
  n <- 300
  d <- data.frame(x = rnorm(n), g = factor(sample(letters[1:3], n, TRUE)), id = rep(1:60, each = 5),
                  t = runif(n, 1, 2))
  d$y <- rpois(n, d$t * exp(0.2 + 0.4 * d$x))
  d$b <- rbinom(n, 1, plogis(0.3 * d$x))
  d$u <- rgamma(n, 2, 2 / exp(0.3 * d$x))
  d$k <- rbinom(n, 6, plogis(-0.2 + 0.5 * d$x))
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  cases <- list(poisson_offset = list(y ~ x + g + offset(log(t)), poisson()),
                logistic = list(b ~ x * g, binomial()),
                trials = list(cbind(k, 6 - k) ~ x, binomial()),
                gamma = list(u ~ x + g, Gamma(link = "log")),
                quasi = list(y ~ x, quasipoisson()),
                gaussian = list(u ~ x + g, gaussian()))
  for (nm in names(cases)) {
    fit <- gradglm(cases[[nm]][[1]], data = d, family = cases[[nm]][[2]], control = ctl)
    ref <- glm(cases[[nm]][[1]], data = d, family = cases[[nm]][[2]], control = gctl)
    expect_equal(sandwich::estfun(fit), sandwich::estfun(ref), tolerance = 1e-7, label = nm)
    expect_equal(sandwich::bread(fit), sandwich::bread(ref), tolerance = 1e-7, label = nm)
    for (type in c("HC0", "HC1", "HC3")) {
      expect_equal(sandwich::vcovHC(fit, type = type), sandwich::vcovHC(ref, type = type), tolerance = 1e-7,
                   label = paste(nm, type))
    }
    expect_equal(sandwich::vcovCL(fit, cluster = ~ id), sandwich::vcovCL(ref, cluster = ~ id), tolerance = 1e-7,
                 label = nm)
    expect_equal(sandwich::sandwich(fit), sandwich::sandwich(ref), tolerance = 1e-7, label = nm)
  }
  # the negative binomial at its estimated theta, as glm.nb()
  d$v <- stats::rnbinom(n, size = 2, mu = exp(1 + 0.4 * d$x))
  fit <- gradglm(v ~ x + g, data = d, family = negative_binomial(), control = ctl)
  ref <- MASS::glm.nb(v ~ x + g, data = d, control = gctl)
  expect_equal(sandwich::vcovHC(fit, type = "HC0"), sandwich::vcovHC(ref, type = "HC0"), tolerance = 1e-6)
  # an aliased column is left out, as glm's (glm at its default epsilon,
  # whose QR tolerance, epsilon / 1000, finds the alias)
  d$x2 <- 2 * d$x
  fit <- gradglm(y ~ x + x2 + g, data = d, family = poisson(), control = ctl)
  ref <- glm(y ~ x + x2 + g, data = d, family = poisson())
  expect_identical(colnames(sandwich::estfun(fit)), colnames(sandwich::estfun(ref)))
  expect_equal(sandwich::vcovHC(fit), sandwich::vcovHC(ref), tolerance = 1e-6)
  # through lmtest: z tests, as for glm fits, or t tests with df given
  skip_if_not_installed("lmtest")
  fit <- gradglm(y ~ x + g, data = d, family = poisson(), control = ctl)
  ref <- glm(y ~ x + g, data = d, family = poisson(), control = gctl)
  expect_equal(unclass(lmtest::coeftest(fit, vcov = sandwich::vcovHC)), unclass(lmtest::coeftest(ref, vcov = sandwich::vcovHC)),
               tolerance = 1e-7, ignore_attr = TRUE)
  expect_equal(unclass(lmtest::coeftest(fit, df = 20)), unclass(lmtest::coeftest(ref, df = 20)),
               tolerance = 1e-7, ignore_attr = TRUE)
  # coefci(): z intervals, as for glm fits; waldtest(): an F test by default
  expect_equal(lmtest::coefci(fit), lmtest::coefci(ref), tolerance = 1e-7)
  expect_equal(lmtest::coefci(fit, "x", level = 0.9, vcov. = sandwich::vcovHC),
               lmtest::coefci(ref, "x", level = 0.9, vcov. = sandwich::vcovHC), tolerance = 1e-7)
  small <- update(fit, . ~ x)
  w1 <- lmtest::waldtest(fit, small)
  w2 <- lmtest::waldtest(ref, update(ref, . ~ x))
  expect_identical(names(w1), names(w2))
  expect_equal(w1$F, w2$F, tolerance = 1e-7)
  expect_equal(lmtest::waldtest(fit, small, test = "Chisq")$Chisq,
               lmtest::waldtest(ref, update(ref, . ~ x), test = "Chisq")$Chisq, tolerance = 1e-7)
})

test_that("sandwich estimators say which fits they are for", {
  skip_if_not_installed("sandwich")
  sfit <- gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))
  expect_error(sandwich::estfun(sfit), "estfun.gradglm: sandwich estimators are computed for unpenalised GLM fits")
  expect_error(sandwich::bread(sfit), "bread.gradglm: .*a student_t model")
})

test_that("vcovBS() and vcovJK() refit the rows of the fit, as for glm fits", {
  skip_if_not_installed("sandwich")
  # (before: sandwich's default method refitted through update(fit, subset =
  # <positions among the fit's rows>), which numbered the rows of the data, so
  # a fit that left rows out by na.action or subset was resampled over the
  # wrong rows: vcovJK()'s variances 0.078, 0.161, ... where glm's are 0.093,
  # 0.259, ..., without a word)
  set.seed(11)
  n <- 120
  d <- data.frame(x = rnorm(n), g = factor(sample(letters[1:3], n, TRUE)), id = rep(1:30, each = 4),
                  t = runif(n, 1, 3), m = sample(4:9, n, TRUE))
  d$b <- rbinom(n, 1, plogis(0.4 + 0.8 * d$x))
  d$k <- rbinom(n, d$m, plogis(-0.3 + 0.5 * d$x))
  d$y <- rpois(n, d$t * exp(0.2 + 0.3 * d$x))
  d$x[c(5, 17, 40)] <- NA
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  fit <- gradglm(b ~ g + x, data = d, family = binomial(), control = ctl)
  ref <- glm(b ~ g + x, data = d, family = binomial(), control = gctl)
  expect_equal(sandwich::vcovJK(fit, cluster = ~ id), sandwich::vcovJK(ref, cluster = ~ id), tolerance = 1e-7)
  set.seed(3)
  boot <- sandwich::vcovBS(fit, cluster = ~ id, R = 40)
  set.seed(3)
  expect_equal(boot, sandwich::vcovBS(ref, cluster = ~ id, R = 40), tolerance = 1e-7)
  # a subset, trials with prior weights and na.exclude, an offset; the
  # response rebuilt when the fit did not keep it (y = FALSE)
  fit <- gradglm(b ~ g + x, data = d, family = binomial(), subset = id > 4, control = ctl)
  ref <- glm(b ~ g + x, data = d, family = binomial(), subset = id > 4, control = gctl)
  expect_equal(sandwich::vcovJK(fit), sandwich::vcovJK(ref), tolerance = 1e-7)
  fit <- gradglm(cbind(k, m - k) ~ g * x, data = d, family = binomial(), weights = t, na.action = na.exclude,
                 control = ctl, y = FALSE)
  ref <- glm(cbind(k, m - k) ~ g * x, data = d, family = binomial(), weights = t, na.action = na.exclude,
             control = gctl)
  expect_equal(suppressWarnings(sandwich::vcovJK(fit, cluster = ~ id, center = "estimate")),
               suppressWarnings(sandwich::vcovJK(ref, cluster = ~ id, center = "estimate")), tolerance = 1e-7)
  fit <- gradglm(y ~ g + x + offset(log(t)), data = d, family = poisson(), control = ctl)
  ref <- glm(y ~ g + x + offset(log(t)), data = d, family = poisson(), control = gctl)
  set.seed(4)
  boot <- sandwich::vcovBS(fit, cluster = ~ id, R = 30, type = "fractional")
  set.seed(4)
  expect_equal(boot, sandwich::vcovBS(ref, cluster = ~ id, R = 30, type = "fractional"), tolerance = 1e-7)
  # other fits are refused, as by estfun() and bread() (before: sandwich's
  # default method, which failed with "object '.vcovBSenv' not found", and
  # resampled the wrong rows of a fit that left rows out)
  st <- gradglm(y ~ g + x, data = d, family = student_t(df = 5))
  expect_error(sandwich::vcovJK(st), "computed for unpenalised GLM fits from data in memory; this fit is")
  expect_error(sandwich::vcovBS(gradglm(y ~ g, data = d, family = student_t(df = 5)), R = 5),
               "unpenalised GLM fits")
  expect_error(sandwich::vcovBS(gradglm(y ~ g + x, data = d, family = poisson(), penalty = ridge(lambda = 0.1)),
                                R = 5), "unpenalised GLM fits")
})
