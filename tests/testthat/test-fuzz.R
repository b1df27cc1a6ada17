# Fuzzing: generated odd inputs (helper-fuzz.R) end in a checked fit or a
# clear error from the package, never in R's internal messages, a hang or a
# silent NaN. tools/fuzz.R runs many more seeds and saves each failure.

test_that("3,000 generated odd inputs give fits or clear errors", {
  skip_on_cran()
  seeds <- 1:3000
  kinds <- character(0)
  out <- vapply(seeds, function(s) {
    case <- fuzz_case(s)
    kinds <<- union(kinds, case$kinds)
    out <- fuzz_run(case, seconds = 10)
    # (a busy machine can stretch a case past its limit: a hang repeats)
    if (identical(out, "time limit")) out <- fuzz_run(case, seconds = 30)
    out
  }, "")
  bad <- !out %in% c("fit", "error")
  expect(!any(bad), paste0("cases that went wrong (seed: outcome):\n",
                           paste0(seeds[bad], ": ", out[bad], collapse = "\n")))
  # the generator reaches fits as well as errors
  expect_gt(sum(out == "fit"), 300)
  expect_gt(sum(out == "error"), 300)
  # and covers many kinds of odd input (columns, responses, formulas, weights,
  # arguments, new data, families, optimizers, row counts)
  expect_gte(length(kinds), 100)
  for (group in c("column", "response", "formula", "weights", "argument", "newdata", "rows"))
    expect_gte(sum(startsWith(kinds, paste0(group, ":"))), 4, label = group)
})

test_that("seeds that once went wrong give fits or clear errors", {
  # 7512229: y ~ .^2 on 120 rows with two factors of ~120 used levels, about
  # 14,600 columns: the rank check had waited for a 14,600 x 14,600 Gram
  # matrix (minutes, 5 GB, not interruptible); a design with at least as
  # many columns as rows now takes its QR first
  for (s in c(7512229)) {
    case <- fuzz_case(s)
    expect_identical(fuzz_run(case, seconds = 30), "fit", label = paste("seed", s))
    fit <- suppressWarnings(do.call(gradglm, case$args))
    expect_gt(length(coef(fit)), 10000L)
    expect_lte(fit$rank, nrow(case$args$data))
  }
})

test_that("the fuzzing checks catch what they are meant to catch", {
  expect_true(fuzz_clear_error("gradglm: 'weights' must be non-negative"))
  expect_false(fuzz_clear_error("subscript out of bounds"))
  expect_false(fuzz_clear_error("missing value where TRUE/FALSE needed"))
  expect_false(fuzz_clear_error("NA/NaN/Inf in 'y'"))
  # a case that cannot fit reports itself, and so does a time limit
  case <- list(args = list(formula = y ~ x, data = data.frame(x = 1:3, y = c(1, 2, 3)),
                           family = stats::gaussian()), newdata = data.frame(x = 1))
  expect_equal(fuzz_run(case), "fit")
  case$args$data$y <- c("a", "b", "c")
  expect_equal(fuzz_run(case), "error")
})
