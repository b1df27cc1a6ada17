# predict.gradglm against predict.glm on the same models.

tight <- glm.control(epsilon = 1e-12, maxit = 100)

# Compare predict() of a gradglm fit and a glm fit in every mode.
expect_predict_matches <- function(gfit, rfit, newdata = NULL, tol = 1e-5,
                                   ...) {
  for (type in c("link", "response")) {
    if (is.null(newdata)) {
      got <- predict(gfit, type = type, ...)
      want <- predict(rfit, type = type, ...)
    } else {
      got <- predict(gfit, newdata = newdata, type = type, ...)
      want <- predict(rfit, newdata = newdata, type = type, ...)
    }
    expect_equal(got, want, tolerance = tol)

    if (is.null(newdata)) {
      got <- predict(gfit, type = type, se.fit = TRUE, ...)
      want <- predict(rfit, type = type, se.fit = TRUE, ...)
    } else {
      got <- predict(gfit, newdata = newdata, type = type, se.fit = TRUE, ...)
      want <- predict(rfit, newdata = newdata, type = type, se.fit = TRUE, ...)
    }
    expect_named(got, c("fit", "se.fit", "residual.scale"))
    expect_equal(got$fit, want$fit, tolerance = tol)
    expect_equal(got$se.fit, want$se.fit, tolerance = tol)
    expect_equal(got$residual.scale, want$residual.scale, tolerance = tol)
  }
}

test_that("predict without newdata returns the fitted scale values", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
  expect_identical(predict(fit), fit$linear.predictors)
  expect_identical(predict(fit, type = "response"), fit$fitted.values)
  expect_error(predict(fit, type = "sigma"), "'type' must be one of")
})

test_that("Poisson with factors matches predict.glm, with and without newdata", {
  fit <- gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson())
  ref <- glm(breaks ~ wool * tension, data = warpbreaks, family = poisson(),
             control = tight)
  expect_predict_matches(fit, ref)
  nd <- data.frame(wool = c("B", "A", "B"), tension = c("L", "M", "H"))
  expect_predict_matches(fit, ref, newdata = nd)
  # factor columns with fewer levels than in fitting
  nd2 <- data.frame(wool = factor("B"), tension = factor(c("H", "H")))
  expect_predict_matches(fit, ref, newdata = nd2)
})

test_that("Gaussian with poly(), factor() and a dispersion matches predict.glm", {
  f <- mpg ~ poly(hp, 2) + factor(cyl) + wt
  fit <- gradglm(f, data = mtcars)
  ref <- glm(f, data = mtcars, control = tight)
  expect_predict_matches(fit, ref)
  nd <- data.frame(hp = c(90, 150, 250), cyl = c(4, 6, 8), wt = c(2.2, 3, 4))
  rownames(nd) <- c("a", "b", "c")
  expect_predict_matches(fit, ref, newdata = nd)
  expect_named(predict(fit, newdata = nd), c("a", "b", "c"))
  # a user-supplied dispersion
  got <- predict(fit, newdata = nd, se.fit = TRUE, dispersion = 2)
  want <- predict(ref, newdata = nd, se.fit = TRUE, dispersion = 2)
  expect_equal(got, want, tolerance = 1e-5)
  # prior weights and the log link
  fw <- gradglm(mpg ~ wt + hp, data = mtcars, weights = disp / 100,
                family = gaussian(link = "log"))
  rw <- glm(mpg ~ wt + hp, data = mtcars, weights = disp / 100,
            family = gaussian(link = "log"), control = tight)
  expect_predict_matches(fw, rw, newdata = nd)
})

test_that("binomial with cbind() response and ordered factors matches", {
  f <- cbind(ncases, ncontrols) ~ agegp + alcgp
  fit <- gradglm(f, data = esoph, family = binomial())
  ref <- glm(f, data = esoph, family = binomial(), control = tight)
  expect_predict_matches(fit, ref)
  expect_predict_matches(fit, ref, newdata = esoph[c(1, 20, 50, 88), ])
})

test_that("binomial probit with poly() matches on new data", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  f <- low ~ poly(age, 2) + lwt + factor(race)
  fit <- gradglm(f, data = bw, family = binomial(link = "probit"))
  ref <- glm(f, data = bw, family = binomial(link = "probit"), control = tight)
  expect_predict_matches(fit, ref)
  nd <- data.frame(age = c(16, 25, 40), lwt = c(100, 130, 200),
                   race = c(1, 3, 2))
  expect_predict_matches(fit, ref, newdata = nd)
})

test_that("offsets in the formula and in the offset argument are used", {
  skip_if_not_installed("MASS")
  ins <- MASS::Insurance
  nd <- ins[c(3, 17, 40, 64), ]

  f1 <- Claims ~ District + Group + Age + offset(log(Holders))
  fit1 <- gradglm(f1, data = ins, family = poisson())
  ref1 <- glm(f1, data = ins, family = poisson(), control = tight)
  expect_predict_matches(fit1, ref1)
  expect_predict_matches(fit1, ref1, newdata = nd)

  f2 <- Claims ~ District + Group + Age
  fit2 <- gradglm(f2, data = ins, family = poisson(), offset = log(Holders))
  ref2 <- glm(f2, data = ins, family = poisson(), offset = log(Holders),
              control = tight)
  expect_predict_matches(fit2, ref2)
  expect_predict_matches(fit2, ref2, newdata = nd)
  # the offset argument is evaluated in newdata: doubling the exposure
  # doubles the predicted mean
  nd2 <- transform(nd, Holders = 2 * Holders)
  expect_equal(predict(fit2, nd2, type = "response"),
               2 * predict(fit2, nd, type = "response"), tolerance = 1e-10)

  # both at once: half the log exposure in each place adds up to fit1
  f3 <- Claims ~ District + Group + Age + offset(log(Holders) / 2)
  fit3 <- gradglm(f3, data = ins, family = poisson(),
                  offset = log(Holders) / 2)
  ref3 <- glm(f3, data = ins, family = poisson(), offset = log(Holders) / 2,
              control = tight)
  expect_predict_matches(fit3, ref3)
  expect_predict_matches(fit3, ref3, newdata = nd)
  expect_equal(predict(fit3, nd), predict(fit1, nd), tolerance = 1e-6)
})

test_that("na.exclude pads the fitted predictions and the standard errors", {
  d <- mtcars
  d$hp[c(3, 10)] <- NA
  d$wt[20] <- NA
  f <- mpg ~ hp + wt
  fit <- gradglm(f, data = d, na.action = na.exclude)
  ref <- glm(f, data = d, na.action = na.exclude, control = tight)
  expect_length(predict(fit), nrow(d))
  expect_true(all(is.na(predict(fit)[c(3, 10, 20)])))
  expect_predict_matches(fit, ref)

  # na.omit fits are not padded
  fit_o <- gradglm(f, data = d, na.action = na.omit)
  expect_length(predict(fit_o), nrow(d) - 3L)
})

test_that("missing values in newdata follow predict()'s na.action", {
  fit <- gradglm(mpg ~ hp + factor(am), data = mtcars)
  ref <- glm(mpg ~ hp + factor(am), data = mtcars, control = tight)
  nd <- data.frame(hp = c(100, NA, 200, 150), am = c(0, 1, NA, 1))
  # the default, na.pass, predicts NA as predict.glm does
  expect_predict_matches(fit, ref, newdata = nd)
  p <- predict(fit, nd)
  expect_true(all(is.na(p[2:3])))
  expect_length(p, 4L)
  # na.omit drops the rows, as predict.glm does
  expect_predict_matches(fit, ref, newdata = nd, na.action = na.omit)
  p_omit <- predict(fit, nd, na.action = na.omit)
  expect_named(p_omit, c("1", "4"))
  expect_equal(p_omit, p[c(1, 4)])
  # na.exclude pads with NA (predict.glm drops the rows here)
  p_excl <- predict(fit, nd, na.action = na.exclude, se.fit = TRUE)
  want <- predict(ref, nd, na.action = na.exclude, se.fit = TRUE)
  expect_length(p_excl$fit, 4L)
  expect_length(p_excl$se.fit, 4L)
  expect_equal(p_excl$fit[c(1, 4)], want$fit, tolerance = 1e-5)
  expect_equal(p_excl$se.fit[c(1, 4)], want$se.fit, tolerance = 1e-5)
  expect_true(all(is.na(p_excl$se.fit[2:3])))
})

test_that("aliased coefficients are dropped consistently", {
  d <- mtcars
  d$wt2 <- 2 * d$wt
  f <- mpg ~ wt + hp + wt2
  fit <- gradglm(f, data = d)
  ref <- glm(f, data = d, control = tight)
  expect_true(is.na(coef(fit)[["wt2"]]))
  expect_predict_matches(fit, ref)
  nd <- data.frame(wt = c(2, 3), hp = c(100, 200), wt2 = c(4, 6))
  # (new rows of a rank-deficient fit warn, as predict.lm's; fitted rows do not)
  expect_warning(got <- predict(fit, nd, se.fit = TRUE),
                 "prediction from a rank-deficient fit may be misleading: the aliased coefficient\\(s\\) 'wt2'")
  expect_warning(predict(fit, nd, type = "terms"), "rank-deficient")
  expect_silent(predict(fit))
  expect_silent(predict(gradglm(f, data = d, penalty = ridge(0.1)), nd))
  want <- suppressWarnings(predict(ref, nd, se.fit = TRUE))
  expect_equal(got$fit, want$fit, tolerance = 1e-5)
  expect_equal(got$se.fit, want$se.fit, tolerance = 1e-5)
})

test_that("predict works for the exact and gradient-descent optimizers", {
  nd <- data.frame(speed = c(5, 15, 25))
  ref <- glm(dist ~ speed, data = cars, control = tight)
  fe <- gradglm(dist ~ speed, data = cars, optimizer = "exact")
  expect_predict_matches(fe, ref, newdata = nd)
  fg <- gradglm(dist ~ speed, data = cars, optimizer = "gd")
  expect_equal(predict(fg, nd), predict(ref, nd), tolerance = 1e-4)
})

test_that("model = FALSE fits still give standard errors without newdata", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks,
                 family = poisson(), model = FALSE)
  ref <- glm(breaks ~ wool + tension, data = warpbreaks, family = poisson(),
             control = tight)
  expect_predict_matches(fit, ref)
})

test_that("gradglm_fit() fits predict from a numeric matrix", {
  X <- model.matrix(~ wt + hp, data = mtcars)
  y <- mtcars$am
  fit <- gradglm_fit(X, y, family = binomial())
  ref <- glm(am ~ wt + hp, data = mtcars, family = binomial(), control = tight)
  nd <- data.frame(wt = c(2, 3, 4), hp = c(100, 150, 250))
  Xn <- model.matrix(~ wt + hp, data = nd)
  for (type in c("link", "response")) {
    got <- predict(fit, newdata = Xn, type = type, se.fit = TRUE)
    want <- predict(ref, newdata = nd, type = type, se.fit = TRUE)
    expect_equal(unname(got$fit), unname(want$fit), tolerance = 1e-5)
    expect_equal(unname(got$se.fit), unname(want$se.fit), tolerance = 1e-5)
  }
  # columns are matched by name when the names are there
  expect_equal(predict(fit, Xn[, c(3, 1, 2)]), predict(fit, Xn))
  # an offset for the new rows goes through `...`
  expect_equal(predict(fit, Xn, offset = 1), predict(fit, Xn) + 1)
  # without newdata: the stored values
  expect_equal(unname(predict(fit, type = "response")),
               unname(fitted(ref)), tolerance = 1e-5)
})

test_that("predict gives clear errors for bad newdata", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
  expect_error(predict(fit, newdata = data.frame(wool = "A")),
               "predict.gradglm: 'newdata' is missing variable(s) 'tension'",
               fixed = TRUE)
  expect_error(predict(fit, newdata = data.frame(x = 1)),
               "missing variable(s) 'wool', 'tension'", fixed = TRUE)
  expect_error(
    predict(fit, newdata = data.frame(wool = c("A", "C", "D"),
                                      tension = "L")),
    "predict.gradglm: 'newdata' has level(s) 'C', 'D' of factor 'wool' not seen in fitting",
    fixed = TRUE)
  # (a named list of variables is taken as predict.lm takes it; an unnamed one is an error)
  expect_identical(predict(fit, newdata = list(wool = c("A", "B"), tension = c("L", "H"))),
                   predict(fit, newdata = data.frame(wool = c("A", "B"), tension = c("L", "H"))))
  expect_error(predict(fit, newdata = list("A", "L")),
               "predict.gradglm: 'newdata' given as a list must name each of its variables",
               fixed = TRUE)
  expect_error(predict(fit, newdata = matrix(1, 2, 2)),
               "'newdata' must be a data frame", fixed = TRUE)
  expect_error(predict(fit, se.fit = NA), "'se.fit' must be TRUE or FALSE",
               fixed = TRUE)
  expect_error(predict(fit, se.fit = TRUE, dispersion = -1),
               "'dispersion' must be a single non-negative number",
               fixed = TRUE)

  # new levels of a factor() made in the formula are named too
  fit2 <- gradglm(mpg ~ factor(cyl) + wt, data = mtcars)
  expect_error(predict(fit2, data.frame(cyl = 5, wt = 3)),
               "level(s) '5' of factor 'factor(cyl)' not seen in fitting",
               fixed = TRUE)

  # variables used by the offset argument must be in newdata
  skip_if_not_installed("MASS")
  fit3 <- gradglm(Claims ~ District, data = MASS::Insurance,
                  family = poisson(), offset = log(Holders))
  expect_error(predict(fit3, data.frame(District = "1")),
               "missing variable(s) 'Holders'", fixed = TRUE)
})

test_that("gradglm_fit() fits reject newdata of the wrong shape", {
  X <- cbind(1, mtcars$wt)
  fit <- gradglm_fit(X, mtcars$mpg)
  expect_error(predict(fit, newdata = cbind(1, 2, 3)),
               "predict.gradglm: 'newdata' has 3 column(s) but the model was fitted with 2",
               fixed = TRUE)
  expect_error(predict(fit, newdata = data.frame(a = "x", b = "y")),
               "'newdata' must be a numeric matrix with the 2 column(s)",
               fixed = TRUE)
  expect_error(predict(fit, se.fit = TRUE),
               "'se.fit = TRUE' without 'newdata' needs the model matrix",
               fixed = TRUE)
  expect_error(predict(fit, cbind(1, 1:3), offset = 1:2),
               "'offset' must be numeric of length 1 or 3", fixed = TRUE)
  expect_equal(unname(predict(fit, cbind(1, 3))),
               unname(sum(coef(fit) * c(1, 3))))
})

test_that("predict(type = \"terms\") and residuals(type = \"partial\") equal glm's, and termplot() draws", {
  set.seed(4)
  d <- data.frame(y = rpois(150, 3), x = rnorm(150), g = factor(sample(letters[1:3], 150, TRUE)), z = runif(150),
                  w = rep(0:2, 50))
  d$x[7] <- NA
  for (fo in list(y ~ x + g + poly(z, 2), y ~ 0 + g + x, y ~ x * g)) {
    lab <- deparse(fo)
    fit <- gradglm(fo, data = d, family = poisson(), weights = w, na.action = na.exclude,
                   control = gradglm_control(tol = 1e-12))
    ref <- glm(fo, data = d, family = poisson(), weights = w, na.action = na.exclude,
               control = glm.control(epsilon = 1e-14))
    expect_equal(predict(fit, type = "terms"), predict(ref, type = "terms"), tolerance = 1e-7, label = lab)
    expect_equal(predict(fit, d[1:9, ], type = "terms"), predict(ref, d[1:9, ], type = "terms"), tolerance = 1e-7,
                 label = lab)
    a <- predict(fit, d[1:9, ], type = "terms", se.fit = TRUE)
    b <- predict(ref, d[1:9, ], type = "terms", se.fit = TRUE)
    expect_equal(a[c("fit", "se.fit", "residual.scale")], b[c("fit", "se.fit", "residual.scale")], tolerance = 1e-7,
                 label = lab)
    expect_equal(predict(fit, type = "terms", terms = "x"), predict(ref, type = "terms", terms = "x"),
                 tolerance = 1e-7, label = lab)
    expect_equal(residuals(fit, "partial"), residuals(ref, "partial"), tolerance = 1e-7, label = lab)
  }
  pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  fit <- gradglm(y ~ x + g + poly(z, 2), data = d, family = poisson(), na.action = na.exclude)
  expect_silent(termplot(fit, partial.resid = TRUE, se = TRUE))
  expect_error(predict(fit, type = "terms", terms = "nope"), "'terms' names term\\(s\\) 'nope'")
  expect_error(predict(gradglm_fit(cbind(1, d$z), d$y, family = poisson()), type = "terms"), "needs the model's terms")
})

test_that("predict() takes objects beside the formula that are not data (knots, breaks, levels), as glm does", {
  # (each of these was refused as "'newdata' is missing variable(s) 'kn'")
  kn <- c(15, 20)
  br <- c(0, 10, 20, 30)
  lv <- "B"
  nd <- data.frame(speed = c(10, 22, 5))
  for (f in list(dist ~ splines::ns(speed, knots = kn), dist ~ cut(speed, breaks = br))) {
    expect_equal(unname(predict(gradglm(f, data = cars), nd)), unname(predict(glm(f, data = cars), nd)),
                 tolerance = 1e-10)
  }
  f <- breaks ~ relevel(wool, ref = lv) + tension
  expect_equal(unname(predict(gradglm(f, data = warpbreaks, family = poisson()), warpbreaks[c(1, 40), ])),
               unname(predict(glm(f, data = warpbreaks, family = poisson()), warpbreaks[c(1, 40), ])),
               tolerance = 1e-8)
  # a data vector beside the formula (a fit without 'data') must still come from newdata:
  # glm would predict the fitted rows' values instead
  x <- cars$speed
  y <- cars$dist
  fit <- gradglm(y ~ x)
  expect_error(predict(fit, data.frame(z = 1:3)), "'newdata' is missing variable\\(s\\) 'x'")
  # (also with rows left out for missing values: the vector has the data's length)
  x[3] <- NA
  fit <- gradglm(y ~ x)
  expect_error(predict(fit, data.frame(z = 1:3)), "'newdata' is missing variable\\(s\\) 'x'")
})
