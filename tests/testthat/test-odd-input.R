# Odd data, as a new user might give it: each class of input must give a fit
# or a clear error from gradglm (prefixed "gradglm:" and naming the problem),
# never a crash or one of R's internal messages. The first three cases are
# the crashes reported with the issue that introduced the one engine.

# the outcome of a call: "fit", or the error message
outcome <- function(expr) {
  tryCatch(suppressWarnings({
    force(expr)
    "fit"
  }), error = function(e) conditionMessage(e))
}

expect_fit_or_gradglm_error <- function(out, label) {
  expect(identical(out, "fit") || grepl("^gradglm(_fit)?: ", out),
         sprintf("%s: neither a fit nor a gradglm error: %s", label, out))
}

test_that("the reported crashes become clear errors or fits", {
  set.seed(1)
  expect_error(gradglm(y ~ x1 - 1, data = data.frame(x1 = rnorm(20) * 1e300, y = rnorm(20)),
                       family = laplace()),
               "gradglm: the model matrix has column\\(s\\) 'x1' with values as large as .*rescale")
  # a constant response and aliased columns: a fit (with the unbounded-likelihood
  # warning where the scale collapses) or a clear error
  out <- outcome(gradglm(y ~ I(x1^2) + x1, data = data.frame(x1 = rep(3, 100), y = 1),
                         family = student_t(), optimizer = "lbfgs"))
  expect_fit_or_gradglm_error(out, "constant response")
  expect_error(gradglm(y ~ x + offset(x1), data = data.frame(x1 = letters[1:5], x = 1:5, y = 1:5 / 2)),
               "gradglm: the offset term 'offset\\(x1\\)' must be numeric, not character")
  expect_error(gradglm(y ~ x, offset = x1, data = data.frame(x1 = letters[1:5], x = 1:5, y = 1:5 / 2)),
               "gradglm: 'offset' must be numeric")
})

test_that("huge and tiny columns, responses and weights give clear errors in every family", {
  set.seed(2)
  d <- data.frame(x = rnorm(30), big = rnorm(30) * 1e300, tiny = rnorm(30) * 1e-300,
                  y = rnorm(30), yb = rnorm(30) * 1e300, k = rpois(30, 3), b = rbinom(30, 1, 0.5))
  fams <- list(gaussian = gaussian(), laplace = laplace(), student_t = student_t(), poisson = poisson(),
               binomial = binomial())
  resp <- c(gaussian = "y", laplace = "y", student_t = "y", poisson = "k", binomial = "b")
  for (nm in names(fams)) {
    for (opt in c("auto", "lbfgs", "gd")) {
      f <- stats::as.formula(paste(resp[[nm]], "~ x + big"))
      expect_error(gradglm(f, data = d, family = fams[[nm]], optimizer = opt),
                   "gradglm: the model matrix has column\\(s\\) 'big' with values as large as", info = nm)
      f <- stats::as.formula(paste(resp[[nm]], "~ tiny"))
      expect_error(gradglm(f, data = d, family = fams[[nm]], optimizer = opt),
                   "gradglm: the model matrix has column\\(s\\) 'tiny' with values no larger than", info = nm)
      f <- stats::as.formula(paste(resp[[nm]], "~ x"))
      expect_error(gradglm(f, data = d, family = fams[[nm]], optimizer = opt,
                           weights = rep(c(1e300, 1), 15)),
                   "gradglm: 'weights' range from 1 to 1e\\+300", info = nm)
    }
  }
  for (fam in list(gaussian(), laplace(), student_t())) {
    expect_error(gradglm(yb ~ x, data = d, family = fam), "gradglm: the response has values as large as")
  }
  expect_error(gradglm(cbind(y, yb) ~ x, data = d), "gradglm: the responses have values as large as")
  expect_error(gradglm_fit(cbind(1, d$big), d$y), "gradglm_fit: 'x' has column\\(s\\) 'X2'")
})

test_that("constant responses, aliased and constant columns: a fit or a clear error, every optimizer", {
  d <- data.frame(x1 = rep(3, 40), x2 = rnorm(40), y = 1, k = 2, b = 1)
  fams <- list(gaussian(), laplace(), student_t(), student_t(df = 3), poisson(), binomial())
  resp <- c("y", "y", "y", "y", "k", "b")
  for (i in seq_along(fams)) {
    for (opt in c("newton", "lbfgs", "gd", "sgd", "adam")) {
      for (rhs in c("I(x1^2) + x1", "x2 + I(2 * x2)", "x1 - 1")) {
        f <- stats::as.formula(paste(resp[i], "~", rhs))
        set.seed(3)
        out <- outcome(gradglm(f, data = d, family = fams[[i]], optimizer = opt, max_iter = 200))
        expect_fit_or_gradglm_error(out, paste(fams[[i]]$family, opt, rhs))
      }
    }
  }
  # a sigma model of a constant response: the likelihood is unbounded
  expect_warning(gradglm(y ~ x2, sigma = ~ x2, data = d), "gradglm: the likelihood is unbounded")
})
