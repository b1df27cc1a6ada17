# Bad input to the distributional families and fits gets a clear error that
# names the function and the argument; never a crash, a hang or a silent fit.

din <- data.frame(
  y = c(1.2, 2.3, 3.1, 4.8, 5.2, 6.9, 6.1, 8.4),
  x = c(1, 2, 3, 4, 5, 6, 7, 8),
  f = factor(c("a", "b", "a", "b", "a", "b", "a", "b")),
  k = c(0, 2, 1, 3, 5, 4, 6, 9),
  b = c(0, 1, 0, 1, 1, 0, 1, 1)
)

# A pattern matching text that contains every one of the given patterns, in
# any order (use with perl = TRUE).
all_of <- function(...) paste0("(?s)^", paste0("(?=.*(?:", c(...), "))", collapse = ""))

test_that("student_t(df = ) must be a single positive number (or NULL)", {
  expect_error(student_t(df = -1), "student_t: 'df'.*positive")
  expect_error(student_t(df = 0), "student_t: 'df'.*positive")
  expect_error(student_t(df = -Inf), "student_t: 'df'")
  expect_error(student_t(df = "a"), "student_t: 'df'.*(numeric|number)")
  expect_error(student_t(df = TRUE), "student_t: 'df'")
  expect_error(student_t(df = c(1, 2)), "student_t: 'df'.*(single|length|one)")
  expect_error(student_t(df = numeric()), "student_t: 'df'")
  expect_error(student_t(df = NA), "student_t: 'df'")
  expect_error(student_t(df = NA_real_), "student_t: 'df'")
  expect_error(student_t(df = NaN), "student_t: 'df'")
  # valid values
  expect_null(student_t()$df)
  expect_equal(student_t(df = 4)$df, 4)
  expect_equal(student_t(df = 0.5)$df, 0.5)
  expect_s3_class(student_t(df = 4), "family")
  expect_identical(student_t()$family, "student_t")
  expect_identical(laplace()$family, "laplace")
})

test_that("unknown links of laplace and student_t are errors listing the available links", {
  expect_error(laplace(link = "logit"), "laplace:.*link.*(identity|log)")
  expect_error(laplace(link = "inverse"), "laplace:.*identity")
  expect_error(student_t(link = "probit"), "student_t:.*link.*(identity|log)")
  # laplace() documents the identity link only (the spec lists "log" too)
  expect_error(laplace(link = "log"), "laplace:.*link.*identity")
  expect_identical(student_t(link = "log")$link, "log")
})

test_that("a sigma formula with a variable not in data is an error naming the variable", {
  expect_error(gradglm(y ~ x, data = din, family = gaussian(), sigma = ~ nosuchvar),
               "gradglm:.*(sigma|'sigma').*nosuchvar|gradglm:.*nosuchvar")
  expect_error(gradglm(y ~ x, data = din, family = laplace(), sigma = ~ x + nosuchvar),
               "gradglm:.*nosuchvar")
})

test_that("sigma must be a one-sided formula", {
  expect_error(gradglm(y ~ x, data = din, family = gaussian(), sigma = y ~ x),
               "gradglm: 'sigma'.*one-sided")
  expect_error(gradglm(y ~ x, data = din, family = student_t(), sigma = "x"),
               "gradglm: 'sigma'.*formula")
  expect_error(gradglm(y ~ x, data = din, family = student_t(), sigma = 1),
               "gradglm: 'sigma'.*formula")
  expect_error(gradglm(y ~ x, data = din, family = gaussian(), sigma = din$x),
               "gradglm: 'sigma'.*formula")
})

test_that("sigma with a family without a scale (binomial, poisson) is an error", {
  expect_error(gradglm(b ~ x, data = din, family = binomial(), sigma = ~ x),
               all_of("^gradglm:", "'sigma'", "binomial"), perl = TRUE)
  expect_error(gradglm(k ~ x, data = din, family = poisson(), sigma = ~ x),
               all_of("^gradglm:", "'sigma'", "poisson"), perl = TRUE)
  expect_error(gradglm(k ~ x, data = din, family = "poisson", sigma = ~ 1),
               all_of("^gradglm:", "'sigma'", "poisson"), perl = TRUE)
  X <- cbind("(Intercept)" = 1, x = din$x)
  expect_error(gradglm_fit(X, din$k, family = poisson(), x_sigma = X),
               all_of("^gradglm_fit:", "'x_sigma'|'sigma'", "poisson"), perl = TRUE)
})

test_that("optimizer = \"exact\" is an error for the distributional fits", {
  expect_error(gradglm(y ~ x, data = din, family = laplace(), optimizer = "exact"),
               "gradglm:.*optimizer.*exact")
  expect_error(gradglm(y ~ x, data = din, family = student_t(), optimizer = "exact"),
               "gradglm:.*optimizer.*exact")
  expect_error(gradglm(y ~ x, data = din, family = gaussian(), sigma = ~ x, optimizer = "exact"),
               "gradglm:.*optimizer.*exact")
  # an unknown optimizer is an error too
  expect_error(gradglm(y ~ x, data = din, family = laplace(), optimizer = "lbfgsb"),
               "gradglm: unknown optimizer 'lbfgsb'")
})

test_that("x_sigma of gradglm_fit must conform to x", {
  X <- cbind("(Intercept)" = 1, x = din$x)
  expect_error(gradglm_fit(X, din$y, family = laplace(), x_sigma = X[-1, ]),
               "gradglm_fit: 'x_sigma'.*(rows|observations)")
  expect_error(gradglm_fit(X, din$y, family = laplace(), x_sigma = cbind(1, c(NA, din$x[-1]))),
               "gradglm_fit: 'x_sigma'.*(missing|NA)")
  expect_error(gradglm_fit(X, din$y, family = laplace(), x_sigma = "a"),
               "gradglm_fit: 'x_sigma'.*matrix")
})

test_that("the response of a scale family must be finite", {
  expect_error(gradglm(y ~ x, data = transform(din, y = replace(y, 2, Inf)), family = student_t()),
               "gradglm:.*response.*infinite")
})

test_that("string and function forms of the new families work like the objects", {
  f1 <- gradglm(y ~ x, data = din, family = laplace())
  f2 <- gradglm(y ~ x, data = din, family = "laplace")
  f3 <- gradglm(y ~ x, data = din, family = laplace)
  expect_equal(f1$coefficients, f2$coefficients)
  expect_equal(f1$coefficients, f3$coefficients)
  expect_error(gradglm(y ~ x, data = din, family = "laplase"), "gradglm:.*laplace")
})

test_that("a scale model's fit follows the response's units, down to residuals whose squares underflow", {
  set.seed(71)
  d <- data.frame(x = runif(40))
  d$y <- 1 + d$x + rnorm(40) * exp(-1 + d$x)
  for (fam in list(laplace(), student_t(df = 4), gaussian())) {
    f1 <- gradglm(y ~ x, data = d, family = fam, sigma = ~ x)
    for (s in c(1e-100, 1e-140, 1e120)) {
      fs <- gradglm(y ~ x, data = transform(d, y = y * s), family = fam, sigma = ~ x)
      expect_true(fs$converged, info = paste(fam$family, s))
      # location coefficients times s, the log scale's intercept plus log(s)
      expect_equal(coef(fs) / c(s, s, 1, 1) - c(0, 0, log(s), 0), coef(f1), tolerance = 1e-6,
                   info = paste(fam$family, s))
    }
    # (residuals of 1e-200: their squares, and the curvature 1 / sigma^2, leave the doubles)
    expect_error(gradglm(y ~ x, data = transform(d, y = y * 1e-200), family = fam, sigma = ~ x),
                 "gradglm: the response's residuals at the start are of the order of .*e-20.*rescale the response")
  }
  # fuzz seed 7,782,505: a Laplace response of about 1e-300, lbfgs; it stopped
  # at "missing value where TRUE/FALSE needed"
  d5 <- data.frame(y = c(9.68e-301, 6.00e-301, 8.92e-301, 8.05e-301, -2.20e-301), x1 = 1)
  expect_error(gradglm(y ~ exp(x1), data = d5, family = laplace(), weights = c(2.2, 0.59, 2.0, 2.3, 0.66),
                       sigma = ~ x1, optimizer = "lbfgs"),
               "gradglm: the response's residuals .*rescale the response")
})

test_that("a fitted log scale below the engine's exact range marks a scale model diverged", {
  # (each row says where its likelihood stops being exact in doubles: -680,
  # where the engine caps exp(), or -340 where the loss has 1 / sigma^2)
  floor_of <- function(f) gradglm:::family_row(f)$location_scale$log_scale_floor
  expect_identical(floor_of(gaussian()), -680)
  expect_identical(floor_of(laplace()), -680)
  expect_identical(floor_of(student_t()), -680)
  expect_identical(floor_of(Gamma("log")), -340)
  expect_identical(floor_of(inverse.gaussian("log")), -340)
  expect_null(floor_of(negative_binomial()))
  res_at <- function(log_sigma) {
    list(diverged = FALSE, converged = TRUE, message = "", coefficients = c(0, 0), aliased = c(FALSE, FALSE),
         linear.predictors = cbind(rep(1, 4), c(0, 0, 0, log_sigma)))
  }
  check <- function(res, family) {
    gradglm:::locscale_check(res, list(family = family, resp = list(y = c(2, 3, 4, 1), weights = rep(1, 4))),
                             start = NULL, x = NULL, z = NULL)
  }
  out <- check(res_at(-700), laplace())
  expect_true(out$diverged)
  expect_false(out$converged)
  expect_match(out$message, "fitted scale of 1 observation\\(s\\) fell below exp\\(-680\\)")
  out <- check(res_at(-400), Gamma("log"))
  expect_true(out$diverged)
  expect_match(out$message, "fell below exp\\(-340\\).*rescale the response")
  # (a row of weight 0 does not count)
  res <- res_at(-700)
  out <- gradglm:::locscale_check(res, list(family = laplace(), resp = list(y = c(2, 3, 4, 1),
                                                                            weights = c(1, 1, 1, 0))),
                                  start = NULL, x = NULL, z = NULL)
  expect_false(isTRUE(out$diverged))
})
