# The progress bar of verbose fits (src/progress.cpp, drawn by cli).
# gradglm:::progress_demo(total, enabled, seconds_per_step) runs the bar on
# its own: `total` epochs with a loss of 1 / epoch and a validation loss of
# 0.5 on every other epoch.
#
# testthat turns off cli's dynamic output, so each redraw arrives as one
# message line; cli's timer fires rarely in a non-dynamic session, but a run
# that outlives cli.progress_show_after always gets its final state drawn.

with_options <- function(opts, code) {
  old <- options(opts)
  on.exit(options(old), add = TRUE)
  force(code)
}

# the message lines the bar writes while `code` runs
progress_lines <- function(code, show_after = 0, ...) {
  opts <- list(cli.progress_show_after = show_after, cli.dynamic = FALSE,
               cli.progress_handlers_only = "cli", ...)
  msgs <- with_options(opts, capture_messages(code))
  sub("\n$", "", msgs)
}

test_that("a disabled bar prints nothing, even with no show_after delay", {
  with_options(list(cli.progress_show_after = 0, cli.dynamic = FALSE), {
    expect_silent(res <- gradglm:::progress_demo(20, FALSE, 0.001))
  })
  expect_identical(res, 20L)
  expect_identical(progress_lines(gradglm:::progress_demo(20, FALSE, 0.001)),
                   character())
})

test_that("an enabled bar shows the epoch count, the losses and an ETA", {
  lines <- progress_lines(res <- gradglm:::progress_demo(20, TRUE, 0.005))
  expect_identical(res, 20L)
  expect_gt(length(lines), 0)
  # every line: "epoch  7/20 | loss 0.14286 | ETA  1s <bar>"
  expect_true(all(grepl("^epoch +[0-9]+/20 [|] loss [0-9.e+-]+( val 0[.]5)? +[|] ETA ",
                        lines)), info = paste(lines, collapse = "\n"))
  # the last line is the final state, with the validation loss of epoch 20
  expect_match(lines[length(lines)], "^epoch 20/20 [|] loss 0[.]05 val 0[.]5 +[|] ETA +0s")
})

test_that("the count is padded to the width of the total", {
  lines <- progress_lines(gradglm:::progress_demo(100, TRUE, 0.001))
  expect_match(lines[length(lines)], "^epoch 100/100 [|] loss 0[.]01 val 0[.]5")
  first <- lines[1]
  if (length(lines) > 1 && !grepl("^epoch 100/", first)) {
    expect_match(first, "^epoch +[0-9]+/100", info = first)
    expect_identical(regexpr("/", first), regexpr("/", lines[length(lines)]))
  }
})

test_that("a fit shorter than cli's show_after delay shows no bar", {
  expect_identical(progress_lines(gradglm:::progress_demo(10, TRUE, 0.001),
                                  show_after = 60),
                   character())
})

test_that("the bar stays out of documents rendered by knitr", {
  expect_identical(progress_lines(gradglm:::progress_demo(10, TRUE, 0.001),
                                  knitr.in.progress = TRUE),
                   character())
})

test_that("finished bars are ended in cli", {
  clienv <- asNamespace("cli")[["clienv"]]
  skip_if(is.null(clienv) || !is.environment(clienv), "cli internals changed")
  before <- length(clienv$progress)
  progress_lines(gradglm:::progress_demo(5, TRUE, 0.001))
  progress_lines(gradglm:::progress_demo(5, FALSE, 0.001))
  expect_identical(length(clienv$progress), before)
})

test_that("an error inside cli drops the bar but not the fit", {
  cli_ns <- asNamespace("cli")
  suppressMessages(trace("progress_c_update", quote(stop("cli is broken")),
                         where = cli_ns, print = FALSE))
  on.exit(suppressMessages(untrace("progress_c_update", where = cli_ns)), add = TRUE)
  expect_no_error(lines <- progress_lines(res <- gradglm:::progress_demo(20, TRUE, 0.001)))
  expect_identical(res, 20L)
  expect_identical(lines, character())
})

# These two need verbose wired into the optimizers (src/fit.cpp).
test_that("verbose = TRUE shows the bar on a gradient-descent fit", {
  lines <- progress_lines(
    fit <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd",
                   control = gradglm_control(verbose = TRUE, max_iter = 20000,
                                             tol = 1e-14))
  )
  expect_s3_class(fit, "gradglm")
  expect_gt(length(lines), 0)
  expect_true(any(grepl("loss [0-9.e+-]+", lines)), info = paste(lines, collapse = "\n"))
  expect_true(any(grepl("ETA", lines)), info = paste(lines, collapse = "\n"))
})

test_that("verbose = FALSE fits print nothing", {
  lines <- progress_lines(
    gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd",
            control = gradglm_control(verbose = FALSE, max_iter = 20000, tol = 1e-14))
  )
  expect_identical(lines, character())
})

test_that("a fit by passes over chunks shows the pass and the chunk, and nothing unless asked", {
  set.seed(3)
  d <- data.frame(x = rnorm(3000))
  d$y <- rbinom(3000, 1, plogis(d$x))
  csv <- tempfile(fileext = ".csv")
  on.exit(unlink(csv), add = TRUE)
  utils::write.csv(d, csv, row.names = FALSE)
  src <- gradglm_source(csv, chunk_size = 1000, cache = 0)
  lines <- progress_lines(fit <- gradglm(y ~ x, data = src, family = binomial(), verbose = TRUE))
  expect_gt(length(lines), 0)
  expect_true(all(grepl("^Fitting by passes over the data: pass [0-9]+, chunk [1-3] [|]", lines)),
              info = paste(lines, collapse = "\n"))
  expect_true(any(grepl(paste0("pass ", fit$source$passes, ", chunk"), lines)))
  expect_identical(progress_lines(gradglm(y ~ x, data = src, family = binomial())), character())
})
