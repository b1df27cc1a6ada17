# A model with nothing to estimate, y ~ 0 (with or without an offset), is
# fitted as glm() fits it: the likelihood at the offset, no coefficients, no
# iteration. (It is the null hypothesis of a test of a fully specified rate.)

empty_data <- function() {
  set.seed(11)
  d <- data.frame(t = runif(60, 1, 3), x = rnorm(60))
  d$y <- rpois(60, 2 * d$t)
  d$yg <- rnorm(60, 1)
  d$yb <- rbinom(60, 1, 0.4)
  d$ym <- factor(sample(c("a", "b", "c"), 60, TRUE))
  d
}

test_that("y ~ 0 + offset() is glm's empty model: deviance, likelihood, residuals, no iteration", {
  d <- empty_data()
  for (case in list(list(y ~ 0 + offset(log(t)), poisson()), list(yg ~ 0, gaussian()),
                    list(yg ~ 0 + offset(x), gaussian()), list(yb ~ 0, binomial()),
                    list(y ~ 0 + offset(log(t)), quasipoisson()))) {
    f <- gradglm(case[[1]], data = d, family = case[[2]])
    g <- glm(case[[1]], data = d, family = case[[2]])
    label <- paste(deparse(case[[1]]), case[[2]]$family)
    expect_length(coef(f), 0L)
    expect_identical(f$iter, 0L, label = label)
    expect_true(f$converged)
    expect_equal(deviance(f), deviance(g), tolerance = 1e-12, label = label)
    expect_equal(f$null.deviance, g$null.deviance, tolerance = 1e-12, label = label)
    expect_equal(df.residual(f), df.residual(g))
    expect_equal(unname(fitted(f)), unname(fitted(g)), tolerance = 1e-12)
    expect_equal(unname(residuals(f, "pearson")), unname(residuals(g, "pearson")), tolerance = 1e-12)
    expect_equal(unname(rstandard(f)), unname(rstandard(g)), tolerance = 1e-12)
    expect_equal(unname(hatvalues(f)), rep(0, nrow(d)))
    expect_equal(summary(f)$dispersion, summary(g)$dispersion, tolerance = 1e-12, label = label)
    if (case[[2]]$family != "quasipoisson") {
      expect_equal(as.numeric(logLik(f)), as.numeric(logLik(g)), tolerance = 1e-12, label = label)
      expect_equal(attr(logLik(f), "df"), attr(logLik(g), "df"), label = label)
      expect_equal(AIC(f), AIC(g), tolerance = 1e-12)
    }
    expect_identical(dim(vcov(f)), c(0L, 0L))
    expect_equal(unname(predict(f, newdata = d[1:5, ], type = "response")),
                 unname(predict(g, newdata = d[1:5, ], type = "response")), tolerance = 1e-12)
    expect_output(print(f), "No coefficients")
    expect_output(print(summary(f)), "No coefficients")
  }
  # (every optimizer: nothing to do, the same likelihood)
  for (o in c("lbfgs", "gd", "sgd", "adam")) {
    f <- gradglm(y ~ 0 + offset(log(t)), data = d, family = poisson(), optimizer = o)
    expect_equal(deviance(f), deviance(glm(y ~ 0 + offset(log(t)), data = d, family = poisson())),
                 tolerance = 1e-12, label = o)
    expect_true(f$converged)
  }
  # the matrix interface, as glm.fit() with a design of no columns
  f <- gradglm_fit(matrix(0, nrow(d), 0), d$y, family = poisson(), offset = log(d$t))
  g <- glm.fit(matrix(0, nrow(d), 0), d$y, family = poisson(), offset = log(d$t))
  expect_equal(f$deviance, g$deviance, tolerance = 1e-12)
  expect_identical(f$iter, 0L)
})

test_that("an empty model is the null hypothesis of anova(), drop1() and add1(), as for glm", {
  d <- empty_data()
  f0 <- gradglm(y ~ 0 + offset(log(t)), data = d, family = poisson())
  f1 <- gradglm(y ~ offset(log(t)), data = d, family = poisson())
  g0 <- glm(y ~ 0 + offset(log(t)), data = d, family = poisson())
  g1 <- glm(y ~ offset(log(t)), data = d, family = poisson())
  a <- anova(f0, f1, test = "Chisq")
  b <- anova(g0, g1, test = "Chisq")
  expect_equal(a[["Deviance"]], b[["Deviance"]], tolerance = 1e-10)
  expect_equal(a[["Pr(>Chi)"]], b[["Pr(>Chi)"]], tolerance = 1e-10)
  fx <- gradglm(y ~ x - 1 + offset(log(t)), data = d, family = poisson())
  gx <- glm(y ~ x - 1 + offset(log(t)), data = d, family = poisson())
  expect_equal(drop1(fx, test = "Chisq")[["LRT"]], drop1(gx, test = "Chisq")[["LRT"]], tolerance = 1e-8)
  expect_equal(add1(f0, ~ . + x, test = "Chisq")[["AIC"]], add1(g0, ~ . + x, test = "Chisq")[["AIC"]],
               tolerance = 1e-8)
})

test_that("what an empty model cannot give is said", {
  d <- empty_data()
  f0 <- gradglm(y ~ 0 + offset(log(t)), data = d, family = poisson())
  expect_error(profile(f0), "profile.gradglm: the fit has no coefficients to profile")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_error(plot(f0, which = "leverage"), "plot.gradglm: the fit has no coefficients: every leverage is 0")
  expect_silent(plot(f0))  # (the plots that apply)
  expect_error(gradglm(y ~ 0, data = d, penalty = lasso()), "the penalty has nothing to act on")
  expect_error(gradglm(y ~ 0, data = d, model = mlp(3)), "a network needs inputs")
  # (a multinomial of no coefficients: every class equally likely)
  fm <- gradglm(ym ~ 0, data = d, family = multinomial())
  expect_equal(as.numeric(logLik(fm)), -nrow(d) * log(3), tolerance = 1e-12)
  expect_output(print(fm), "Coefficients:\n\\(none\\)")
  # (a location-scale model without location coefficients still has its scale)
  fs <- gradglm(yg ~ 0, data = d, family = student_t())
  expect_length(fs$coefficients, 2L)
  expect_true(fs$converged)
})
