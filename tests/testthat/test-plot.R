# plot.gradglm draws every panel without error and returns its input invisibly.

# Run `code` with a throw-away pdf device open; return the value of `code`.
with_null_device <- function(code) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  force(code)
}

test_that("each 'which' draws and returns the fit invisibly", {
  fit <- gradglm(dist ~ speed, data = cars, family = poisson())
  for (w in c("loss", "residuals", "qq", "fit")) {
    with_null_device({
      expect_invisible(out <- plot(fit, which = w))
      expect_identical(out, fit)
    })
  }
  with_null_device({
    expect_invisible(plot(fit))
    expect_invisible(plot(fit, which = 1:4))
    expect_invisible(plot(fit, which = c("res", "qq")))
    expect_invisible(plot(fit, which = "residuals", residual_type = "pearson",
                          against = "link", main = "custom", col = "blue"))
  })
})

test_that("plots draw for every family and optimizer", {
  fits <- list(
    gradglm(dist ~ speed, data = cars, optimizer = "exact"),
    gradglm(dist ~ speed, data = cars, optimizer = "gd"),
    gradglm(dist ~ speed, data = cars, optimizer = "newton"),
    gradglm(cbind(dead, 20 - dead) ~ ldose,
            data = data.frame(ldose = 0:5, dead = c(1, 4, 9, 13, 18, 20)),
            family = binomial()),
    gradglm(count ~ log(x), family = poisson(),
            data = data.frame(x = 1:12, count = InsectSprays$count[1:12])),
    gradglm(am ~ wt, data = mtcars, family = binomial(link = "probit")),
    gradglm(mpg ~ poly(hp, 2), data = mtcars, family = gaussian(link = "log"))
  )
  for (fit in fits) {
    with_null_device({
      expect_invisible(plot(fit, which = c("loss", "residuals", "qq", "fit")))
    })
  }
})

test_that("the exact optimizer's one-row trace is shown as closed form", {
  fit <- gradglm(dist ~ speed, data = cars, optimizer = "exact")
  expect_equal(nrow(fit$trace), 1L)
  path <- tempfile(fileext = ".png")
  on.exit(unlink(path), add = TRUE)
  grDevices::png(path)
  expect_invisible(plot(fit, which = "loss"))
  grDevices::dev.off()
  expect_true(file.exists(path))
  expect_gt(file.size(path), 0)
  expect_match(gradglm:::.plot_loss_title(fit), "closed form", fixed = TRUE)
})

test_that("the training curve of gradient descent goes down", {
  fit <- gradglm(dist ~ speed, data = cars, optimizer = "gd")
  tr <- fit$trace
  expect_gt(nrow(tr), 1L)
  expect_lt(tr$loss[nrow(tr)], tr$loss[1L])
  path <- tempfile(fileext = ".png")
  on.exit(unlink(path), add = TRUE)
  grDevices::png(path)
  expect_invisible(plot(fit, which = "loss"))
  grDevices::dev.off()
  expect_gt(file.size(path), 0)
  expect_no_match(gradglm:::.plot_loss_title(fit), "closed form", fixed = TRUE)
  expect_match(gradglm:::.plot_loss_title(fit), "gd", fixed = TRUE)
})

test_that("plots work for na.exclude fits and fits without y or model", {
  d <- mtcars
  d$hp[c(2, 7)] <- NA
  fit <- gradglm(mpg ~ hp, data = d, na.action = na.exclude)
  with_null_device(expect_invisible(plot(fit)))
  fit2 <- gradglm(mpg ~ log(hp), data = mtcars, model = FALSE)
  with_null_device(expect_invisible(plot(fit2, which = 1:4)))
  # without the response the plots recover it from the working residuals
  fit3 <- gradglm(breaks ~ wool + tension, data = warpbreaks,
                  family = poisson())
  y3 <- fit3$y
  fit3$y <- NULL
  expect_equal(unname(gradglm:::.plot_response(fit3)), unname(y3),
               tolerance = 1e-8)
  with_null_device(expect_invisible(plot(fit3, which = 2:3)))
})

test_that("'fit' errors for models without a single numeric predictor", {
  fit2 <- gradglm(mpg ~ wt + hp, data = mtcars)
  with_null_device({
    expect_error(plot(fit2, which = "fit"),
                 "plot.gradglm: 'which = \"fit\"' needs a model fitted by gradglm() with a single numeric predictor",
                 fixed = TRUE)
    # by default the "fit" panel is skipped for such a model
    expect_invisible(plot(fit2))
  })
  fitf <- gradglm(breaks ~ tension, data = warpbreaks, family = poisson())
  with_null_device(expect_error(plot(fitf, which = "fit"), "'which = \"fit\"'",
                                fixed = TRUE))
  fitc <- gradglm(mpg ~ factor(cyl), data = mtcars)
  with_null_device(expect_error(plot(fitc, which = "fit"), "single numeric"))
  fitm <- gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg)
  with_null_device({
    expect_error(plot(fitm, which = "fit"), "single numeric")
    expect_invisible(plot(fitm, which = c("loss", "residuals", "qq")))
  })
})

test_that("an invalid 'which' errors and lists the choices", {
  fit <- gradglm(dist ~ speed, data = cars)
  msg <- "plot.gradglm: 'which' must be one or more of \"loss\", \"residuals\", \"qq\", \"fit\""
  with_null_device({
    expect_error(plot(fit, which = "cooks"), msg, fixed = TRUE)
    expect_error(plot(fit, which = 5), msg, fixed = TRUE)
    expect_error(plot(fit, which = character()), msg, fixed = TRUE)
    expect_error(plot(fit, which = NA), msg, fixed = TRUE)
    expect_error(plot(fit, residual_type = "working"), "should be one of")
  })
})
