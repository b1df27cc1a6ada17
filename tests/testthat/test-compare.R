# compare_optimizers(): one row per optimizer with the loss each reached,
# fits that agree with gradglm() run on their own, failed fits kept as rows,
# warnings recorded instead of shown, print and plot, and clear errors.

# Run `code` with a throw-away pdf device open.
with_pdf_null <- function(code) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  force(code)
}

# a trace without its timing column, which differs from run to run
untimed <- function(tr) tr[setdiff(names(tr), "time")]

# A Gaussian model on which every optimizer (including gd) converges quickly,
# and a logistic one on which "exact" does not apply.
gauss <- function(...) {
  compare_optimizers(mpg ~ wt + hp + qsec, data = mtcars, ...)
}
logit <- function(...) {
  compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(), ...)
}

test_that("the table has one row per optimizer, named, with the documented columns", {
  cmp <- gauss(optimizers = c("exact", "newton", "gd", "lbfgs"))
  expect_s3_class(cmp, "gradglm_comparison")
  expect_named(cmp, c("table", "fits", "traces", "reps", "call"))
  tab <- cmp$table
  expect_s3_class(tab, "data.frame")
  expect_named(tab, c("optimizer", "loss", "loss_gap", "iterations", "time",
                      "converged", "message"))
  expect_identical(tab$optimizer, c("exact", "newton", "gd", "lbfgs"))
  expect_named(cmp$fits, tab$optimizer)
  expect_named(cmp$traces, tab$optimizer)
  expect_type(tab$iterations, "integer")
  expect_type(tab$converged, "logical")
  expect_true(all(tab$converged))
  expect_identical(tab$message, rep("", 4L))
  expect_true(all(is.finite(tab$time) & tab$time >= 0))
  # each fit used its own optimizer
  expect_identical(unname(vapply(cmp$fits, function(f) f$optimizer, "")),
                   c("exact", "newton", "gd", "lbfgs"))
})

test_that("loss is the fit's final training loss; loss_gap is >= 0 and 0 for the best", {
  cmp <- gauss(optimizers = c("exact", "newton", "gd", "lbfgs"))
  tab <- cmp$table
  for (i in seq_len(nrow(tab))) {
    tr <- cmp$fits[[i]]$trace
    expect_identical(cmp$traces[[i]], tr)
    expect_identical(tab$loss[i], tr$loss[nrow(tr)])
    expect_identical(tab$iterations[i], as.integer(cmp$fits[[i]]$iter))
    expect_identical(tab$converged[i], cmp$fits[[i]]$converged)
  }
  expect_true(all(tab$loss_gap >= 0))
  expect_identical(min(tab$loss_gap), 0)
  expect_identical(tab$loss_gap, tab$loss - min(tab$loss))
  # all four reach the least-squares optimum: twice the loss times n is the RSS
  rss <- sum(stats::residuals(stats::lm(mpg ~ wt + hp + qsec, data = mtcars))^2)
  expect_equal(tab$loss, rep(rss / (2 * nrow(mtcars)), 4L), tolerance = 1e-8)
  expect_lt(max(tab$loss_gap), 1e-8)
})

test_that("rows agree with gradglm() fitted on its own with the same optimizer", {
  cmp <- logit(optimizers = c("newton", "gd", "lbfgs"), max_iter = 300)
  for (o in c("newton", "gd", "lbfgs")) {
    alone <- suppressWarnings(gradglm(am ~ wt + hp, data = mtcars, family = binomial(),
                                      optimizer = o, max_iter = 300))
    fit <- cmp$fits[[o]]
    expect_equal(coef(fit), coef(alone), tolerance = 1e-12, info = o)
    expect_equal(untimed(fit$trace), untimed(alone$trace), info = o)
    row <- cmp$table[cmp$table$optimizer == o, ]
    expect_identical(row$loss, alone$trace$loss[nrow(alone$trace)], info = o)
    expect_identical(row$iterations, as.integer(alone$iter), info = o)
    expect_identical(row$converged, alone$converged, info = o)
  }
  # newton and lbfgs reach glm's answer; gd, stopped at 300 iterations, does not
  ref <- stats::glm(am ~ wt + hp, data = mtcars, family = binomial(),
                    control = stats::glm.control(epsilon = 1e-12, maxit = 100))
  expect_equal(coef(cmp$fits$newton), coef(ref), tolerance = 1e-6)
  expect_equal(coef(cmp$fits$lbfgs), coef(ref), tolerance = 1e-6)
  expect_gt(cmp$table$loss_gap[cmp$table$optimizer == "gd"], 1e-10)
  expect_false(cmp$table$converged[cmp$table$optimizer == "gd"])
})

test_that("each fit's call is a gradglm() call that reproduces it", {
  cmp <- gauss(optimizers = c("newton", "gd"))
  cl <- cmp$fits$gd$call
  expect_identical(cl[[1L]], quote(gradglm))
  expect_identical(cl$optimizer, "gd")
  expect_identical(cl$data, quote(mtcars))
  expect_null(cl$optimizers)
  expect_equal(coef(eval(cl)), coef(cmp$fits$gd))
  expect_identical(cmp$call[[1L]], quote(compare_optimizers))
})

test_that("a spec object is fitted with its settings and labelled by its name", {
  spec <- opt_gd(learning_rate = 0.5)
  cmp <- logit(optimizers = list("newton", spec, slow = opt_gd(learning_rate = 0.1)),
               max_iter = 200)
  expect_identical(cmp$table$optimizer, c("newton", "gd", "slow"))
  alone <- suppressWarnings(gradglm(am ~ wt + hp, data = mtcars, family = binomial(),
                                    optimizer = spec, max_iter = 200))
  expect_equal(coef(cmp$fits$gd), coef(alone), tolerance = 1e-12)
  expect_identical(cmp$table$loss[2L], alone$trace$loss[nrow(alone$trace)])
  # the settings matter: a smaller rate gets less far in the same iterations
  expect_gt(cmp$table$loss[3L], cmp$table$loss[2L])
  # the fit's call shows the user's expression for the spec
  expect_identical(cmp$fits$slow$call$optimizer, quote(opt_gd(learning_rate = 0.1)))
  # a single spec need not be wrapped in a list
  one <- logit(optimizers = opt_lbfgs(memory = 3))
  expect_identical(one$table$optimizer, "lbfgs")
  expect_true(one$table$converged)
})

test_that("labels: list names label rows, repeated names are made unique", {
  cmp <- gauss(optimizers = c("gd", "newton", "gd", "gd"))
  expect_identical(cmp$table$optimizer, c("gd", "newton", "gd.2", "gd.3"))
  expect_identical(cmp$table$loss[1L], cmp$table$loss[3L])
  named <- gauss(optimizers = list(closed = "exact", "newton", "newton"))
  expect_identical(named$table$optimizer, c("closed", "newton", "newton.2"))
  expect_identical(named$fits$closed$optimizer, "exact")
  chr <- gauss(optimizers = c(a = "newton", b = "lbfgs"))
  expect_identical(chr$table$optimizer, c("a", "b"))
})

test_that("a fit that fails is a row with its error; the others go on", {
  cmp <- logit(optimizers = c("newton", "exact", "nonsense", "lbfgs"))
  tab <- cmp$table
  expect_identical(tab$optimizer, c("newton", "exact", "nonsense", "lbfgs"))
  failed <- c(FALSE, TRUE, TRUE, FALSE)
  expect_identical(is.na(tab$loss), failed)
  expect_identical(is.na(tab$loss_gap), failed)
  expect_identical(is.na(tab$iterations), failed)
  expect_identical(is.na(tab$time), failed)
  expect_identical(tab$converged, !failed)
  expect_match(tab$message[2L], "\"exact\" is the closed form of gaussian", fixed = TRUE)
  expect_match(tab$message[3L], "unknown optimizer 'nonsense'", fixed = TRUE)
  expect_null(cmp$fits$exact)
  expect_null(cmp$traces$nonsense)
  expect_named(cmp$fits, tab$optimizer)
  # the successful rows are unaffected; the best of them has gap 0
  expect_identical(min(tab$loss_gap, na.rm = TRUE), 0)
  expect_true(all(tab$converged[!failed]))
})

test_that("every fit failing gives a warning with the first error", {
  expect_warning(
    cmp <- logit(optimizers = c("exact", "nonsense")),
    "compare_optimizers: every fit failed; the first error: .*closed form"
  )
  expect_true(all(is.na(cmp$table$loss)))
})

test_that("warnings of a fit are recorded, not shown", {
  expect_no_warning(cmp <- logit(optimizers = c("newton", "gd"), max_iter = 20))
  tab <- cmp$table
  expect_false(tab$converged[2L])
  expect_match(tab$message[2L], "gradglm: the gd optimizer did not converge in 20 iterations",
               fixed = TRUE)
  expect_identical(tab$message[1L], "")
  expect_identical(tab$iterations[2L], 20L)
  expect_false(is.null(cmp$fits$gd))
})

test_that("arguments in ... reach gradglm(): weights, subset, sigma, control", {
  d <- transform(mtcars, w = rep(1:4, 8))
  cmp <- compare_optimizers(mpg ~ wt + hp, data = d, optimizers = c("newton", "lbfgs"),
                            weights = w, subset = cyl > 4)
  alone <- gradglm(mpg ~ wt + hp, data = d, weights = w, subset = cyl > 4)
  expect_equal(coef(cmp$fits$newton), coef(alone), tolerance = 1e-8)
  expect_equal(coef(cmp$fits$lbfgs), coef(alone), tolerance = 1e-6)
  expect_identical(nobs(cmp$fits$newton), sum(d$cyl > 4))

  dist <- compare_optimizers(dist ~ speed, data = cars, optimizers = c("newton", "gd"),
                             sigma = ~speed)
  expect_identical(dist$fits$newton$kind, "likelihood")
  expect_equal(dist$table$loss[1L], -as.numeric(logLik(dist$fits$newton)) / nrow(cars),
               tolerance = 1e-10)

  # weights that only the caller sees (forwarded through a wrapper's ...)
  v <- rep(c(1, 3), 16)
  fwd <- logit(optimizers = "newton", weights = v)
  expect_equal(coef(fwd$fits$newton),
               coef(gradglm(am ~ wt + hp, data = mtcars, family = binomial(), weights = v)),
               tolerance = 1e-10)
  expect_identical(fwd$fits$newton$call$weights, quote(v))

  capped <- logit(optimizers = "gd", control = gradglm_control(max_iter = 7))
  expect_identical(capped$table$iterations, 7L)
})

test_that("without a trace the loss comes from the deviance (or the log-likelihood)", {
  w <- rep(1:2, 16)
  kept <- logit(optimizers = c("newton", "lbfgs"), weights = w)
  none <- logit(optimizers = c("newton", "lbfgs"), weights = w, trace = FALSE)
  expect_identical(nrow(none$traces$newton), 0L)
  expect_equal(none$table$loss, kept$table$loss, tolerance = 1e-12)
  expect_equal(none$table$loss[1L], deviance(none$fits$newton) / (2 * sum(w)),
               tolerance = 1e-12)
  d_kept <- compare_optimizers(dist ~ speed, data = cars, optimizers = "newton",
                               sigma = ~speed)
  d_none <- compare_optimizers(dist ~ speed, data = cars, optimizers = "newton",
                               sigma = ~speed, trace = FALSE)
  expect_equal(d_none$table$loss, d_kept$table$loss, tolerance = 1e-12)
  # nothing to draw without traces
  expect_error(with_pdf_null(plot(none)), "there is nothing to draw", fixed = TRUE)
})

test_that("reps > 1 times every fit and keeps one fit", {
  cmp <- gauss(optimizers = c("newton", "lbfgs"), reps = 3)
  expect_identical(cmp$reps, 3L)
  expect_true(all(is.finite(cmp$table$time) & cmp$table$time >= 0))
  expect_s3_class(cmp$fits$lbfgs, "gradglm")
  expect_output(print(cmp), "median of 3 runs", fixed = TRUE)
})

test_that("print shows the table with every optimizer and returns x invisibly", {
  cmp <- logit(optimizers = c("newton", "gd", "lbfgs", "exact"), max_iter = 50)
  out <- capture.output(res <- withVisible(print(cmp)))
  expect_false(res$visible)
  expect_identical(res$value, cmp)
  txt <- paste(out, collapse = "\n")
  for (o in c("newton", "gd", "lbfgs", "exact")) {
    expect_match(txt, paste0("\n ", o, " "), fixed = TRUE)
  }
  expect_match(txt, "am ~ wt + hp", fixed = TRUE)
  expect_match(txt, "optimizer +loss +loss_gap +iterations +time +converged")
  # loss gaps in scientific notation, the best one exactly 0
  expect_match(txt, "0.00e+00", fixed = TRUE)
  expect_match(txt, "failed", fixed = TRUE)
  expect_match(txt, "did not converge in 50 iterations", fixed = TRUE)
  expect_match(txt, "exact (error):", fixed = TRUE)
})

test_that("plot draws both panels or one, on pdf(NULL), and returns x invisibly", {
  cmp <- logit(optimizers = c("newton", "gd", "lbfgs", "exact"), max_iter = 100)
  ex <- gauss(optimizers = c("exact", "newton", "gd"))
  with_pdf_null({
    expect_invisible(out <- plot(cmp))
    expect_identical(out, cmp)
    # the two panels sit side by side, and the layout is restored afterwards
    expect_identical(graphics::par("mfrow"), c(1L, 1L))
    expect_invisible(plot(cmp, which = "time"))
    expect_invisible(plot(cmp, which = "it", log = FALSE, main = "custom"))
    expect_invisible(plot(cmp, which = 2, col = "red", lwd = 2))
    # the exact optimizer's one-row trace is drawn as a point
    expect_identical(nrow(ex$traces$exact), 1L)
    expect_invisible(plot(ex))
    expect_invisible(plot(ex, which = "time", log = FALSE))
  })
  expect_error(with_pdf_null(plot(cmp, which = "loss")),
               "plot.gradglm_comparison: 'which' must be one or both of", fixed = TRUE)
  expect_error(with_pdf_null(plot(cmp, log = "y")),
               "plot.gradglm_comparison: 'log' must be TRUE or FALSE", fixed = TRUE)
})

test_that("plot uses the trace's time column, or spreads the time evenly", {
  cmp <- logit(optimizers = c("newton", "gd"), max_iter = 100)
  s <- gradglm:::.cmp_series(cmp)
  expect_identical(vapply(s, function(e) e$label, ""), c("newton", "gd"))
  # with a time column: the trace's own cumulative seconds
  expect_true("time" %in% names(cmp$traces$gd))
  expect_identical(s[[2L]]$time, cmp$traces$gd$time)
  expect_false(s[[2L]]$spread)
  # without one: the measured total, spread evenly over the rows
  cmp$traces$gd$time <- NULL
  s <- gradglm:::.cmp_series(cmp)
  n <- nrow(cmp$traces$gd)
  expect_true(s[[2L]]$spread)
  expect_equal(s[[2L]]$time, cmp$table$time[2L] * (seq_len(n) - 1) / (n - 1))
  with_pdf_null(expect_invisible(plot(cmp)))
  # failed fits are left out; nothing to draw is an error
  bad <- suppressWarnings(logit(optimizers = "exact"))
  expect_error(with_pdf_null(plot(bad)), "plot.gradglm_comparison: there is nothing to draw",
               fixed = TRUE)
})

test_that("bad arguments give errors that name the argument", {
  expect_error(compare_optimizers(list(1), data = mtcars),
               "compare_optimizers: 'formula' must be a model formula", fixed = TRUE)
  expect_error(compare_optimizers(data = mtcars),
               "compare_optimizers: 'formula' must be a model formula", fixed = TRUE)
  expect_error(compare_optimizers(~ wt, data = mtcars),
               "compare_optimizers: 'formula' has no response", fixed = TRUE)
  expect_error(gauss(optimizers = character()),
               "compare_optimizers: 'optimizers' is empty", fixed = TRUE)
  expect_error(gauss(optimizers = list()),
               "compare_optimizers: 'optimizers' is empty", fixed = TRUE)
  expect_error(gauss(optimizers = NULL),
               "compare_optimizers: 'optimizers' is empty", fixed = TRUE)
  expect_error(gauss(optimizers = 1:2),
               "compare_optimizers: 'optimizers' must be a character vector", fixed = TRUE)
  expect_error(gauss(optimizers = list("gd", 3)),
               "compare_optimizers: 'optimizers' element 2 must be an optimizer name", fixed = TRUE)
  expect_error(gauss(optimizers = list("gd", c("newton", "gd"))),
               "'optimizers' element 2 must be an optimizer name", fixed = TRUE)
  expect_error(gauss(optimizers = c("gd", NA)),
               "compare_optimizers: 'optimizers' contains an empty or missing name (element 2)",
               fixed = TRUE)
  expect_error(gauss(optimizers = "gd", reps = 0),
               "compare_optimizers: 'reps' must be a positive whole number", fixed = TRUE)
  for (r in list(1.5, "2", c(1, 2), NA, Inf)) {
    expect_error(gauss(optimizers = "gd", reps = r),
                 "compare_optimizers: 'reps' must be a positive whole number", fixed = TRUE)
  }
  expect_error(gauss(optimizers = "gd", family = "nonsense"),
               "compare_optimizers: unknown family 'nonsense'", fixed = TRUE)
  expect_error(gauss(optimizers = "gd", optimizer = "newton"),
               "compare_optimizers: give the optimizers to compare in 'optimizers'", fixed = TRUE)
})
