# emmeans on GLM fits against emmeans on the same glm fits

test_that("emmeans(), contrasts and emtrends() of GLM fits equal glm's", {
  skip_if_not_installed("emmeans")
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  same <- function(a, b, label) {
    a <- as.data.frame(summary(a))
    b <- as.data.frame(summary(b))
    expect_identical(names(a), names(b), label = label)
    for (col in names(b)) {
      if (is.numeric(b[[col]])) expect_equal(a[[col]], b[[col]], tolerance = 1e-6, label = paste(label, col))
      else expect_identical(as.character(a[[col]]), as.character(b[[col]]), label = paste(label, col))
    }
  }
  # Poisson (z), on the link and response scales, with pairwise contrasts
  fit <- gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson(), control = ctl)
  ref <- glm(breaks ~ wool * tension, data = warpbreaks, family = poisson(), control = gctl)
  same(emmeans::emmeans(fit, ~ tension), emmeans::emmeans(ref, ~ tension), "poisson link")
  same(emmeans::emmeans(fit, ~ tension | wool, type = "response"),
       emmeans::emmeans(ref, ~ tension | wool, type = "response"), "poisson response")
  same(pairs(emmeans::emmeans(fit, ~ tension)), pairs(emmeans::emmeans(ref, ~ tension)), "poisson pairs")
  # logistic with a numeric covariate, and its trend
  d <- transform(mtcars, cyl = factor(cyl))
  fit <- gradglm(am ~ cyl + hp, data = d, family = binomial(), control = ctl)
  ref <- glm(am ~ cyl + hp, data = d, family = binomial(), control = gctl)
  same(emmeans::emmeans(fit, ~ cyl, type = "response"), emmeans::emmeans(ref, ~ cyl, type = "response"), "logistic")
  # (the trend and its standard error; its confidence limits, near 0, are
  # differences of these and lose relative digits to cancellation)
  a <- as.data.frame(summary(emmeans::emtrends(fit, ~ cyl, var = "hp")))
  b <- as.data.frame(summary(emmeans::emtrends(ref, ~ cyl, var = "hp")))
  expect_equal(a[c("hp.trend", "SE", "df")], b[c("hp.trend", "SE", "df")], tolerance = 1e-6)
  # Gamma (t, the residual degrees of freedom), weights, and an aliased column
  d$w <- rep(1:4, 8)
  d$hp2 <- 2 * d$hp
  fit <- gradglm(mpg ~ cyl + hp + hp2, data = d, family = Gamma(link = "log"), weights = w)
  ref <- glm(mpg ~ cyl + hp + hp2, data = d, family = Gamma(link = "log"), weights = w)
  same(emmeans::emmeans(fit, ~ cyl), emmeans::emmeans(ref, ~ cyl), "gamma aliased")
})

test_that("emmeans takes vcov. as for glm fits, and labels negative binomial means as responses", {
  skip_if_not_installed("emmeans")
  skip_if_not_installed("sandwich")
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(), control = ctl)
  ref <- glm(breaks ~ wool + tension, data = warpbreaks, family = poisson(), control = gctl)
  a <- as.data.frame(summary(emmeans::emmeans(fit, ~ tension, vcov. = sandwich::vcovHC)))
  b <- as.data.frame(summary(emmeans::emmeans(ref, ~ tension, vcov. = sandwich::vcovHC)))
  plain <- as.data.frame(summary(emmeans::emmeans(fit, ~ tension)))
  expect_equal(a$SE, b$SE, tolerance = 1e-6)
  expect_gt(min(a$SE / plain$SE), 1.5)  # (the robust errors are not the model's)
  a <- as.data.frame(summary(emmeans::emmeans(fit, ~ tension, vcov. = sandwich::vcovHC(fit, type = "HC0"))))
  b <- as.data.frame(summary(emmeans::emmeans(ref, ~ tension, vcov. = sandwich::vcovHC(ref, type = "HC0"))))
  expect_equal(a$SE, b$SE, tolerance = 1e-6)
  nb <- gradglm(Days ~ Sex + Age, data = MASS::quine, family = negative_binomial())
  ref <- MASS::glm.nb(Days ~ Sex + Age, data = MASS::quine)
  a <- as.data.frame(summary(emmeans::emmeans(nb, ~ Sex, type = "response")))
  b <- as.data.frame(summary(emmeans::emmeans(ref, ~ Sex, type = "response")))
  expect_identical(names(a), names(b))
  expect_equal(a$response, b$response, tolerance = 1e-5)
})

test_that("emmeans says which fits it is for", {
  skip_if_not_installed("emmeans")
  sfit <- gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))
  # (emmeans prints the error of recover_data() and then stops with its own)
  msg <- utils::capture.output(err <- tryCatch(emmeans::emmeans(sfit, ~ 1), error = identity), type = "message")
  expect_s3_class(err, "error")
  expect_match(paste(msg, collapse = " "),
               "recover_data.gradglm: estimated marginal means are computed for unpenalised GLM fits")
})
