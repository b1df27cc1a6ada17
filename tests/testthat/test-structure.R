# qr(), alias(), dummy.coef() and effects() of GLM fits against glm's

test_that("qr() is the decomposition of the weighted design glm keeps, with its pivoting", {
  d <- transform(mtcars, both = wt + hp, cyl = factor(cyl))
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  d$w <- rep(c(0, 1, 2, 3), 8)
  d$y <- round(d$mpg)  # (counts for the Poisson)
  for (fam in list(gaussian(), poisson(), Gamma(link = "log"))) {
    f <- gradglm(y ~ wt + hp + both + cyl, data = d, family = fam, weights = w, control = ctl)
    # (glm's QR tolerance is min(1e-7, epsilon / 1000): at its default
    # epsilon 1e-11, as here; its weights those of its last iteration)
    g <- glm(y ~ wt + hp + both + cyl, data = d, family = fam, weights = w)
    a <- qr(f)
    b <- qr(g)
    expect_s3_class(a, "qr")
    expect_identical(a$rank, b$rank)
    expect_identical(a$pivot, b$pivot)
    expect_identical(nrow(a$qr), sum(d$w > 0))
    # the decomposition at the solution: glm's working weights polished
    gp <- glm(y ~ wt + hp + cyl, data = d, family = fam, weights = w, control = gctl)
    keep <- d$w > 0
    ref <- qr(model.matrix(y ~ wt + hp + both + cyl, d)[keep, ] * sqrt(gp$weights[keep]), tol = 1e-11)
    expect_equal(abs(qr.R(a)), abs(qr.R(ref)), tolerance = 1e-7, label = fam$family)
    # alias(): the aliased column as a combination of the others, as glm's
    expect_equal(unclass(alias(f)$Complete), unclass(alias(g)$Complete), tolerance = 1e-8, label = fam$family)
    expect_identical(dimnames(alias(f)$Complete), list("both", c("(Intercept)", "wt", "hp", "cyl6", "cyl8")))
  }
  # a fit without aliases has no Complete part; partial gives the correlations
  f <- gradglm(mpg ~ wt + hp, data = d)
  g <- glm(mpg ~ wt + hp, data = d)
  expect_null(alias(f)$Complete)
  expect_equal(alias(f, partial = TRUE)$Partial, alias(g, partial = TRUE)$Partial, tolerance = 1e-8)
  expect_output(print(alias(gradglm(mpg ~ wt + hp + both, data = d))), "Complete")
})

test_that("kappa() is the condition number glm's fit reports, from the same QR", {
  d <- transform(mtcars, cyl = factor(cyl))
  for (fam in list(gaussian(), poisson(), Gamma(link = "log"))) {
    d$y <- round(d$mpg)
    f <- gradglm(y ~ wt + hp + cyl, data = d, family = fam, control = gradglm_control(tol = 1e-12))
    g <- glm(y ~ wt + hp + cyl, data = d, family = fam, control = glm.control(epsilon = 1e-14, maxit = 100))
    expect_equal(kappa(f), kappa(g), tolerance = 1e-6, label = fam$family)
    expect_equal(kappa(f, exact = TRUE), kappa(g, exact = TRUE), tolerance = 1e-6, label = fam$family)
    # (the design's scale shows: hp in hundreds makes it worse conditioned)
    f100 <- update(f, . ~ . - hp + I(hp * 100))
    expect_gt(kappa(f100), 10 * kappa(f))
  }
  sfit <- gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))
  expect_error(kappa(sfit), "qr.gradglm: .*GLM fits from data in memory")
})

test_that("dummy.coef() spreads the coefficients over the levels as glm's", {
  f <- gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson(), control = gradglm_control(tol = 1e-12))
  g <- glm(breaks ~ wool * tension, data = warpbreaks, family = poisson(), control = glm.control(epsilon = 1e-14))
  a <- dummy.coef(f)
  b <- dummy.coef(g)
  expect_s3_class(a, "dummy_coef")
  expect_identical(names(a), names(b))
  for (nm in names(b)) expect_equal(a[[nm]], b[[nm]], tolerance = 1e-8, label = nm)
  # aliased coefficients: NA with use.na = TRUE
  d <- transform(mtcars, cyl = factor(cyl), gear = factor(gear), both = wt * 2)
  f <- gradglm(mpg ~ cyl + gear + wt + both, data = d)
  g <- glm(mpg ~ cyl + gear + wt + both, data = d)
  expect_equal(unlist(dummy.coef(f, use.na = TRUE)), unlist(dummy.coef(g, use.na = TRUE)), tolerance = 1e-8)
})

test_that("effects() are glm's orthogonal effects, with its names, rows and aliasing", {
  d <- transform(mtcars, both = wt + hp, cyl = factor(cyl), w = rep(c(0, 1, 2, 3), 8), off = log(disp) / 10)
  d$wt[3] <- NA
  # least squares: glm's effects are exact; an aliased column, zero weights and na.exclude
  f <- gradglm(mpg ~ wt + hp + both + cyl, data = d, weights = w, na.action = na.exclude)
  g <- glm(mpg ~ wt + hp + both + cyl, data = d, weights = w, na.action = na.exclude)
  expect_identical(names(effects(f)), names(effects(g)))
  expect_identical(length(effects(f)), sum(d$w > 0 & !is.na(d$wt)))
  expect_equal(effects(f), effects(g), tolerance = 1e-10)
  # as lm's, with the signs of the coefficients
  lf <- lm(mpg ~ wt + hp + cyl, data = d)
  expect_equal(effects(gradglm(mpg ~ wt + hp + cyl, data = d), set.sign = TRUE),
               unclass(effects(lf, set.sign = TRUE)), tolerance = 1e-10, ignore_attr = TRUE)
  # a Poisson fit with an offset and a binomial fit: the working response at the
  # solution (glm's, polished), weighted, times the QR's Q'
  d$y <- round(d$mpg)
  d$b <- as.numeric(d$mpg > 20)
  for (case in list(list(fam = poisson(), fo = y ~ wt + hp + cyl + offset(off)), list(fam = binomial(), fo = am ~ hp))) {
    f <- gradglm(case$fo, data = d, family = case$fam, weights = w, control = gradglm_control(tol = 1e-12))
    gp <- glm(case$fo, data = d, family = case$fam, weights = w, control = glm.control(epsilon = 1e-14, maxit = 100))
    keep <- !is.na(gp$weights) & gp$weights > 0
    off <- model.offset(model.frame(gp))
    z <- (gp$linear.predictors - (if (is.null(off)) 0 else off) + gp$residuals)[keep]
    sw <- sqrt(gp$weights[keep])
    ref <- unname(drop(qr.qty(qr(model.matrix(gp)[keep, ] * sw, tol = 1e-11), z * sw)))
    expect_equal(unname(effects(f)), ref, tolerance = 1e-7, label = case$fam$family)
    expect_identical(names(effects(f)), names(effects(glm(case$fo, data = d, family = case$fam, weights = w))))
  }
  expect_error(effects(f, set.sign = NA), "effects.gradglm: 'set.sign' must be TRUE or FALSE")
  expect_error(effects(gradglm(mpg ~ wt, data = d, penalty = ridge(0.1))), "effects.gradglm: .*this fit is penalised")
  expect_error(effects(gradglm(mpg ~ wt, sigma = ~ hp, data = d, family = student_t(df = 4))),
               "effects.gradglm: .*GLM fits from data in memory")
})

test_that("qr(), alias() and dummy.coef() say which fits they are for", {
  sfit <- gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))
  expect_error(qr(sfit), "qr.gradglm: .*GLM fits from data in memory; this fit is a student_t model")
  expect_error(alias(sfit), "alias.gradglm: .*GLM fits")
  expect_error(dummy.coef(sfit), "dummy.coef.gradglm: .*GLM fits made by gradglm\\(\\) with a formula")
  expect_error(alias(gradglm(mpg ~ wt, data = mtcars), partial = "yes"), "alias.gradglm: 'partial' must be TRUE or FALSE")
  bare <- gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg)
  expect_error(qr(bare), "qr.gradglm: .*keeps no design matrix")
})
