# plot.gradglm draws every panel without error and returns its input invisibly.

# Run `code` with a throw-away pdf device open; return the value of `code`.
with_null_device <- function(code) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  force(code)
}

test_that("each 'which' draws and returns the fit invisibly", {
  fit <- gradglm(dist ~ speed, data = cars, family = poisson())
  for (w in c("loss", "residuals", "qq", "fit", "scale", "leverage")) {
    with_null_device({
      expect_invisible(out <- plot(fit, which = w))
      expect_identical(out, fit)
    })
  }
  with_null_device({
    expect_invisible(plot(fit))
    expect_invisible(plot(fit, which = 1:6))
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

test_that("several responses fitted with na.exclude draw their residuals", {
  dm <- mtcars
  dm$wt[3] <- NA
  fit <- gradglm(cbind(mpg, qsec) ~ wt, data = dm, na.action = na.exclude)
  d <- gradglm:::.mg_plot_residuals_data(fit)
  # fitted values and residuals padded alike, NA in the excluded row
  expect_identical(dim(d$x), dim(d$y))
  expect_true(all(is.na(d$x[3, ])) && all(is.na(d$y[3, ])))
  with_null_device(expect_invisible(plot(fit, which = "residuals")))
})

test_that("'fit' errors for models without a single numeric predictor", {
  fit2 <- gradglm(mpg ~ wt + hp, data = mtcars)
  with_null_device({
    expect_error(plot(fit2, which = "fit"),
                 "plot.gradglm: 'which = \"fit\"' needs a model fitted by gradglm() with a single numeric predictor",
                 fixed = TRUE)
    # (the plots it names are those that apply: before, "scale" and "leverage" were left out)
    expect_error(plot(fit2, which = "fit"), "\"residuals\", \"qq\", \"scale\", \"leverage\" for this model",
                 fixed = TRUE)
    expect_error(plot(fit2, which = function(x) x), "'which' must name plots or number them, not a function")
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

test_that("the scale-location and leverage plots show glm's standardized residuals and Cook's distances", {
  d <- transform(warpbreaks, w = rep(c(0, 1, 2), length.out = nrow(warpbreaks)))
  fit <- gradglm(breaks ~ wool + tension, data = d, family = quasipoisson(), weights = w,
                 control = gradglm_control(tol = 1e-12))
  ref <- glm(breaks ~ wool + tension, data = d, family = quasipoisson(), weights = w,
             control = glm.control(epsilon = 1e-14))
  keep <- d$w > 0  # (glm's rstandard() and hatvalues() leave out the rows of zero weight)
  s <- gradglm:::.plot_scale_data(fit)
  # (glm's summary() warns that the rows of zero weight do not count in its dispersion)
  expect_equal(unname(s$y), unname(sqrt(abs(suppressWarnings(rstandard(ref))))), tolerance = 1e-7)
  expect_equal(unname(s$x), unname(ref$linear.predictors[keep]), tolerance = 1e-7)
  # residual_type = "pearson": the points of R's plot() of the glm fit (its third and second plots;
  # before, these two plots drew deviance residuals whatever residual_type said)
  sp <- gradglm:::.plot_scale_data(fit, residual_type = "pearson")
  rp <- suppressWarnings(rstandard(ref, type = "pearson"))
  expect_equal(unname(sp$y), unname(sqrt(abs(rp))), tolerance = 1e-7)
  expect_identical(sp$ylab, "sqrt(|Std. Pearson residuals|)")
  qp <- gradglm:::.plot_qq_data(fit, residual_type = "pearson")
  expect_equal(unname(sort(qp$y)), sort(unname(rp)), tolerance = 1e-7)
  expect_identical(qp$ylab, "Std. Pearson residuals")
  l <- gradglm:::.plot_leverage_data(fit)
  expect_equal(unname(l$x), unname(hatvalues(ref)), tolerance = 1e-7)
  expect_equal(unname(l$y), unname(suppressWarnings(rstandard(ref, type = "pearson"))), tolerance = 1e-7)
  # the labelled rows: the three of largest Cook's distance
  expect_identical(l$labels$label, names(sort(suppressWarnings(cooks.distance(ref)), decreasing = TRUE))[1:3])
  # the contours: Cook's distance equal to their level along them
  p <- sum(!is.na(coef(fit)))
  on <- l$contours[l$contours$level == 1, ]
  expect_equal(on$y^2 * on$x / (p * (1 - on$x)), rep(1, nrow(on)), tolerance = 1e-10)
  with_null_device({
    expect_invisible(plot(fit, which = c("scale", "leverage")))
    expect_invisible(plot(fit, which = 5:6, main = "custom", col = "blue"))
  })
  # a fit without a design matrix: left out of the defaults, an error when asked for
  bare <- gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg)
  with_null_device({
    expect_invisible(plot(bare))
    expect_error(plot(bare, which = "leverage"), "'which = \"leverage\"' needs the leverages")
  })
})

test_that("an invalid 'which' errors and lists the choices", {
  fit <- gradglm(dist ~ speed, data = cars)
  msg <- "plot.gradglm: 'which' must be one or more of \"loss\", \"residuals\", \"qq\", \"fit\", \"scale\", \"leverage\""
  with_null_device({
    expect_error(plot(fit, which = "cooks"), msg, fixed = TRUE)
    expect_error(plot(fit, which = 7), msg, fixed = TRUE)
    expect_error(plot(fit, which = character()), msg, fixed = TRUE)
    expect_error(plot(fit, which = NA), msg, fixed = TRUE)
    expect_error(plot(fit, residual_type = "working"), "plot.gradglm: 'residual_type' must be one of 'deviance', 'pearson', not 'working'")
  })
})

# A real binomial fit whose trace is replaced by that of a minibatch optimizer
# with a held-out validation set (30 epochs, best epoch 12).
fake_epoch_fit <- function(val = TRUE, optimizer = "adam") {
  fit <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd")
  e <- 1:30
  tr <- data.frame(iter = e,
                   loss = 0.6 * exp(-e / 6) + 0.02,
                   grad_norm = 1 / e,
                   step = rep(0.01, 30),
                   time = e * 0.001,
                   learning_rate = 0.01 / sqrt(e))
  # validation: above the training loss, lowest at epoch 12, rising after it
  if (val) tr$val_loss <- 0.25 + 0.002 * (e - 12)^2
  fit$optimizer <- optimizer
  fit$trace <- tr
  fit$best_epoch <- if (val) 12L
  fit
}

# TRUE when the y range of `usr` (log10 units when `log`) covers `v`.
covers <- function(usr, v, log) {
  v <- v[is.finite(v)]
  r <- range(if (log) log10(v) else v)
  usr[3L] <= r[1L] + 1e-12 && usr[4L] >= r[2L] - 1e-12
}

test_that("'loss' draws the validation curve of an epoch fit on the loss axis", {
  fit <- fake_epoch_fit()
  tr <- fit$trace
  both <- c(tr$loss, tr$val_loss)
  # the validation loss reaches above the training loss: the range must
  # cover it, or its curve is clipped
  expect_gt(max(tr$val_loss), max(tr$loss))
  expect_lt(min(tr$loss), min(tr$val_loss))
  with_null_device({
    expect_invisible(out <- plot(fit, which = "loss"))
    expect_identical(out, fit)
    info <- gradglm:::.plot_loss(fit)
  })
  expect_true(info$log)
  expect_true(covers(info$usr, both, log = TRUE))
  expect_false(covers(info$usr, c(both, 10 * max(both)), log = TRUE))
  expect_identical(info$val, "val_loss")
  expect_identical(info$best, 12L)
  expect_identical(info$xlab, "epoch")
  expect_identical(info$legend[1:3],
                   c("training loss", "validation loss", "gradient norm"))
  expect_match(info$legend[4L], "best epoch", fixed = TRUE)
  expect_match(info$legend[4L], "12", fixed = TRUE)
  expect_identical(gradglm:::.plot_loss_title(fit),
                   "Training curve (adam, 30 epochs)")

  # without a gradient norm the last axis drawn is the loss axis itself
  fit$trace$grad_norm <- NA_real_
  with_null_device({
    plot(fit, which = "loss")
    usr <- graphics::par("usr")
    expect_true(graphics::par("ylog"))
  })
  expect_true(covers(usr, both, log = TRUE))
})

test_that("'loss' copes with NA validation losses and a missing validation", {
  fit <- fake_epoch_fit()
  fit$trace$val_loss[c(1, 5, 30)] <- NA
  fit$trace$val_loss[7] <- NaN
  with_null_device(expect_no_error(info <- gradglm:::.plot_loss(fit)))
  expect_true(info$log)
  expect_true(covers(info$usr, c(fit$trace$loss, fit$trace$val_loss), TRUE))
  # the best epoch's validation loss itself missing: still drawn
  fit$trace$val_loss[12] <- NA
  with_null_device(expect_no_error(plot(fit, which = "loss")))
  # a validation column of NAs only counts as none
  fit$trace$val_loss <- NA_real_
  with_null_device(expect_no_error(info <- gradglm:::.plot_loss(fit)))
  expect_null(info$val)
  expect_identical(info$legend[1:2], c("loss", "gradient norm"))

  # an sgd fit without validation: the training curve alone, by epoch
  fit2 <- fake_epoch_fit(val = FALSE, optimizer = "sgd")
  expect_false(any(startsWith(names(fit2$trace), "val")))
  with_null_device({
    expect_invisible(plot(fit2, which = "loss"))
    info2 <- gradglm:::.plot_loss(fit2)
  })
  expect_null(info2$val)
  expect_null(info2$best)
  expect_identical(info2$xlab, "epoch")
  expect_identical(info2$legend, c("loss", "gradient norm"))
  expect_true(covers(info2$usr, fit2$trace$loss, log = TRUE))
  expect_identical(gradglm:::.plot_loss_title(fit2),
                   "Training curve (sgd, 30 epochs)")
  # a best epoch without a validation curve is still marked
  fit2$best_epoch <- 20L
  with_null_device(info3 <- gradglm:::.plot_loss(fit2))
  expect_match(info3$legend[3L], "best epoch", fixed = TRUE)
  # any column named "val..." is the validation curve
  fit3 <- fake_epoch_fit()
  names(fit3$trace)[names(fit3$trace) == "val_loss"] <- "validation"
  with_null_device(info4 <- gradglm:::.plot_loss(fit3))
  expect_identical(info4$val, "validation")
})

test_that("'loss' uses a linear axis when a loss is not positive", {
  fit <- fake_epoch_fit()
  fit$trace$loss <- fit$trace$loss - 0.3      # partly negative
  both <- c(fit$trace$loss, fit$trace$val_loss)
  expect_lt(min(both), 0)
  with_null_device(info <- gradglm:::.plot_loss(fit))
  expect_false(info$log)
  expect_true(covers(info$usr, both, log = FALSE))
  # a non-positive validation loss alone also forces the linear axis
  fit <- fake_epoch_fit()
  fit$trace$val_loss[3] <- 0
  with_null_device(info <- gradglm:::.plot_loss(fit))
  expect_false(info$log)
  expect_true(covers(info$usr, c(fit$trace$loss, fit$trace$val_loss), FALSE))
  # and the training loss alone, without validation
  fit2 <- fake_epoch_fit(val = FALSE)
  fit2$trace$loss[4] <- -1
  fit2$trace$grad_norm <- NA_real_
  with_null_device({
    plot(fit2, which = "loss")
    expect_false(graphics::par("ylog"))
    expect_true(covers(graphics::par("usr"), fit2$trace$loss, log = FALSE))
  })
})

test_that("other optimizers keep the iteration axis and their legend", {
  fit <- gradglm(dist ~ speed, data = cars, optimizer = "gd")
  with_null_device(info <- gradglm:::.plot_loss(fit))
  expect_identical(info$xlab, "iteration")
  expect_null(info$val)
  expect_null(info$best)
  expect_identical(info$legend, c("loss", "gradient norm"))
  expect_match(gradglm:::.plot_loss_title(fit), "iteration", fixed = TRUE)
  expect_no_match(gradglm:::.plot_loss_title(fit), "epoch", fixed = TRUE)
})

test_that("distributional fits draw the validation curve too", {
  fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars, optimizer = "gd")
  expect_identical(fit$kind, "likelihood")
  e <- 1:25
  fit$optimizer <- "adam"
  # a negative log-likelihood per observation can be negative: linear axis
  fit$trace <- data.frame(iter = e, loss = 4 * exp(-e / 5) - 0.5,
                          grad_norm = 2 / e, step = 0.01, time = e / 100,
                          learning_rate = 0.01,
                          val_loss = 4 * exp(-e / 5) - 0.2 + 0.01 * e)
  fit$best_epoch <- 18L
  with_null_device({
    expect_invisible(out <- plot(fit, which = "loss"))
    expect_identical(out, fit)
    info <- gradglm:::.ls_plot_loss(fit)
  })
  expect_false(info$log)
  expect_identical(info$xlab, "epoch")
  expect_true(covers(info$usr, c(fit$trace$loss, fit$trace$val_loss), FALSE))
  expect_identical(info$legend[1:2], c("training loss", "validation loss"))
})

# Records the calls of graphics::text() and graphics::lines() made while `code`
# runs on a null device: for text() its labels and cex, for lines() its count.
record_drawing <- function(code) {
  rec <- new.env()
  rec$text <- list()
  rec$lines <- 0L
  suppressMessages({
    # (the tracers run in the frame of the traced function: `rec` is put into them)
    trace("text", bquote({
      a <- list(...)
      lab <- if (!is.null(a$labels)) a$labels else if (length(a) > 1L) a[[2L]] else a[[1L]]
      assign("text", c(get("text", .(rec)), list(list(labels = as.character(lab), cex = a$cex))), envir = .(rec))
    }), print = FALSE, where = asNamespace("graphics"))
    trace("lines", bquote(assign("lines", get("lines", .(rec)) + 1L, envir = .(rec))), print = FALSE,
          where = asNamespace("graphics"))
  })
  on.exit(suppressMessages({
    untrace("text", where = asNamespace("graphics"))
    untrace("lines", where = asNamespace("graphics"))
  }), add = TRUE)
  with_null_device(force(code))
  rec
}

test_that("id.n, labels.id and cex.id label the rows glm's plot() labels", {
  d <- transform(warpbreaks, w = rep(c(0, 1, 2), length.out = nrow(warpbreaks)))
  d$breaks[5] <- NA
  fit <- gradglm(breaks ~ wool + tension, data = d, family = poisson(), weights = w, na.action = na.exclude)
  ref <- glm(breaks ~ wool + tension, data = d, family = poisson(), weights = w, na.action = na.exclude)
  # the last text() call of each plot: its labels (before, id.n was passed on to
  # plot() as a graphical parameter, with warnings, and the leverage plot
  # labelled 3 rows, the others none)
  last_labels <- function(code) {
    r <- expect_silent(record_drawing(code))
    r$text[[length(r$text)]]$labels
  }
  # gradglm's "leverage" (6) is glm's plot 5, "residuals" with Pearson residuals
  # against the link (2) its plot 1, "qq" (3) its plot 2, "scale" (5) its plot 3
  pairs <- list(c(6, 5), c(2, 1), c(3, 2), c(5, 3))
  for (p in pairs) {
    got <- last_labels(plot(fit, which = p[1], id.n = 5, residual_type = "pearson", against = "link"))
    want <- last_labels(plot(ref, which = p[2], id.n = 5))
    expect_identical(got, want)
    expect_length(got, 5L)
  }
  labs <- paste0("row", seq_len(nrow(d)))
  expect_identical(last_labels(plot(fit, which = 6, labels.id = labs)),
                   last_labels(plot(ref, which = 5, labels.id = labs)))
  r <- record_drawing(plot(fit, which = 6, cex.id = 1.5))
  expect_identical(r$text[[length(r$text)]]$cex, 1.5)
  # id.n = 0: no row labelled (the leverage plot's only text: its contour levels and legend)
  r <- record_drawing(plot(fit, which = c(2, 3, 5), id.n = 0))
  expect_length(r$text, 0L)
  with_null_device({
    expect_error(plot(fit, id.n = -1), "plot.gradglm: 'id.n' must be a whole number from 0 to 35")
    expect_error(plot(fit, id.n = 2.5), "'id.n' must be a whole number")
    expect_error(plot(fit, labels.id = 1:3), "plot.gradglm: 'labels.id' must have one label per row of the data \\(54\\)")
    expect_error(plot(fit, cex.id = 0), "plot.gradglm: 'cex.id' must be a single positive number")
  })
})

test_that("add.smooth = FALSE leaves out the smooths; caption and sub.caption set the titles", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
  # the residuals and scale plots draw one line each, their smooth; the leverage plot
  # its smooth and the four Cook's distance contours
  expect_identical(record_drawing(plot(fit, which = c(2, 5, 6)))$lines, 7L)
  # (before, add.smooth was passed to plot() as a graphical parameter, with a warning, and the smooths drawn)
  expect_silent(r <- record_drawing(plot(fit, which = c(2, 5, 6), add.smooth = FALSE)))
  expect_identical(r$lines, 4L)
  seen <- new.env()
  seen$titles <- character()
  seen$mains <- character()
  # (plot.default() draws its title with title() too)
  suppressMessages(trace("title", bquote({
    if (!is.null(sub)) assign("titles", c(get("titles", .(seen)), paste("sub:", sub)), envir = .(seen))
    if (!is.null(main)) assign("mains", c(get("mains", .(seen)), main), envir = .(seen))
  }), print = FALSE, where = asNamespace("graphics")))
  on.exit(suppressMessages(untrace("title", where = asNamespace("graphics"))), add = TRUE)
  with_null_device({
    expect_silent(plot(fit, which = 2:3, caption = list(NA, "My residuals", "My Q-Q"), sub.caption = "the call"))
    expect_identical(seen$titles, c("sub: the call", "sub: the call"))
    expect_error(plot(fit, add.smooth = NA), "plot.gradglm: 'add.smooth' must be TRUE or FALSE")
    # (before: "x" ignored, the plots drawn; glm's plot() stops too)
    for (a in list("x", NA, c(TRUE, FALSE))) {
      expect_error(plot(fit, ask = a), "plot.gradglm: 'ask' must be TRUE or FALSE")
    }
    expect_error(plot(fit, caption = 3), "plot.gradglm: 'caption' must be a character vector or a list")
    expect_error(plot(fit, sub.caption = c("a", "b")), "plot.gradglm: 'sub.caption' must be a single character string")
  })
  # the caption replaces the plot's title
  seen$mains <- character()
  with_null_device(plot(fit, which = c(2, 5), caption = list(NA, "My residuals", NA, NA, "My scale")))
  expect_identical(seen$mains, c("My residuals", "My scale"))
})

test_that("a regularization path's one plot is also which = 1", {
  fit <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso())
  # (before, plot() refused which = 1 that autoplot() takes)
  with_null_device(expect_invisible(plot(fit, which = 1)))
  with_null_device(expect_error(plot(fit, which = 2), "a regularization path has one plot"))
})

test_that("the plot of a cross-validation says that a fit's plot arguments do not apply", {
  cv <- cv_gradglm(dist ~ speed, data = cars, nfolds = 4)
  cvp <- cv_gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso(), nfolds = 4)
  cmp <- cv_compare(a = list(formula = dist ~ speed), b = list(formula = dist ~ 1), data = cars, nfolds = 4)
  # (before: warnings that "which" is not a graphical parameter, then "invalid 'which' argument";
  # xvar was ignored with warnings)
  with_null_device({
    expect_error(plot(cv, which = 2), "plot.gradglm_cv: 'which' does not apply: a cross-validation has one plot")
    expect_error(plot(cvp, xvar = "norm"), "plot.gradglm_cv: 'xvar' does not apply")
    expect_error(plot(cmp, which = 1), "plot.gradglm_cv_comparison: 'which' does not apply")
    expect_invisible(plot(cv, main = "folds"))
    expect_invisible(plot(cvp))
    expect_invisible(plot(cmp))
  })
})

test_that("every leverage the same: the residuals against the factors' level combinations, as glm's plot()", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks)
  ref <- glm(breaks ~ wool + tension, data = warpbreaks)
  d <- gradglm:::.plot_leverage_data(fit)
  expect_true(d$constant)
  expect_identical(d$xlab, "Factor level combinations")
  # plot.lm()'s numbering: the first factor varies slowest
  codes <- data.matrix(model.frame(ref)[c("wool", "tension")]) - 1
  expect_equal(d$x, unname(drop(codes %*% c(3, 1))))
  expect_equal(unname(d$y), unname(rstandard(ref, type = "pearson")))
  expect_identical(d$levels$labels, c("A", "B"))
  expect_equal(d$levels$bands, c(-0.5, 2.5, 5.5))
  expect_identical(d$labels$label, names(sort(cooks.distance(ref), decreasing = TRUE))[1:3])
  expect_equal(d$labels$x, d$x[match(d$labels$label, names(fitted(fit)))])
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_silent(plot(fit, which = "leverage"))
  expect_silent(print(ggplot2::autoplot(fit, which = "leverage")))
  # no factors: no plot, and a message says why (glm's plot() likewise)
  expect_message(plot(gradglm(breaks ~ 1, data = warpbreaks), which = "leverage"),
                 "the leverages are all 0.0185.* no factors")
  # unequal leverages: the plot against them
  expect_false(gradglm:::.plot_leverage_data(gradglm(breaks ~ wool + tension, data = warpbreaks[-1, ]))$constant)
})

test_that("the smooths are lowess without robustness iterations, as glm's plot() draws them", {
  fit <- gradglm(dist ~ speed, data = cars)
  ref <- glm(dist ~ speed, data = cars)
  d <- gradglm:::.plot_leverage_data(fit)
  expect_equal(d$smooth, stats::lowess(hatvalues(ref), rstandard(ref, type = "pearson"), iter = 0))
})
