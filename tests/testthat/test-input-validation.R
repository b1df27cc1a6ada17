# Bad input gets a clear error (or warning) that names the function and the
# argument; never a crash or a hang. Messages are locked by snapshots (which
# testthat runs only off CRAN); the expect_error() regexps run everywhere.

d <- data.frame(
  y = c(1.2, 2.3, 3.1, 4.8, 5.2, 6.9),
  x = c(1, 2, 3, 4, 5, 6),
  f = factor(c("a", "b", "a", "b", "a", "b")),
  w = c(1, 2, 1, 2, 1, 2),
  o = rep(0.1, 6),
  b = c(0, 1, 0, 1, 1, 0),
  k = c(0, 2, 1, 3, 5, 4)
)
X <- cbind("(Intercept)" = 1, x = d$x)

test_that("Inf in y, x, weights or offset is an error naming it", {
  expect_error(gradglm(y ~ x, data = transform(d, y = replace(y, 2, Inf))), "gradglm:.*response.*infinite")
  expect_error(gradglm(k ~ x, data = transform(d, k = replace(k, 2, Inf)), family = poisson),
               "gradglm:.*response.*infinite")
  expect_error(gradglm(b ~ x, data = transform(d, b = replace(b, 2, -Inf)), family = binomial),
               "gradglm:.*infinite")
  expect_error(gradglm(y ~ x, data = transform(d, x = replace(x, 2, Inf))), "gradglm:.*infinite.*'x'")
  expect_error(gradglm(y ~ x, data = transform(d, w = replace(w, 2, Inf)), weights = w),
               "gradglm: 'weights'.*infinite")
  expect_error(gradglm(y ~ x, data = transform(d, o = replace(o, 2, Inf)), offset = o),
               "gradglm: 'offset'.*infinite")
  expect_error(gradglm(y ~ x + offset(o), data = transform(d, o = replace(o, 2, -Inf))),
               "gradglm: 'offset'.*infinite")
  expect_error(gradglm_fit(X, replace(d$y, 1, Inf)), "gradglm_fit:.*response.*infinite")
  expect_error(gradglm_fit(cbind(1, replace(d$x, 1, -Inf)), d$y), "gradglm_fit: 'x'.*infinite")
  expect_error(gradglm_fit(X, d$y, weights = replace(d$w, 1, Inf)), "gradglm_fit: 'weights'.*infinite")
  expect_error(gradglm_fit(X, d$y, offset = replace(d$o, 1, Inf)), "gradglm_fit: 'offset'.*infinite")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = transform(d, y = replace(y, 2, Inf)))
    gradglm(y ~ x, data = transform(d, x = replace(x, 2, Inf)))
    gradglm(y ~ x, data = transform(d, w = replace(w, 2, Inf)), weights = w)
    gradglm(y ~ x, data = transform(d, o = replace(o, 2, Inf)), offset = o)
  })
})

test_that("NA and NaN go through na.action, as in glm", {
  dn <- transform(d, y = replace(y, 2, NA), x = replace(x, 4, NaN))
  # na.omit drops the rows
  fit <- gradglm(y ~ x, data = dn, na.action = na.omit)
  ref <- glm(y ~ x, data = dn, na.action = na.omit)
  expect_equal(fit$df.residual, ref$df.residual)
  expect_equal(unname(fit$coefficients), unname(coef(ref)), tolerance = 1e-8)
  # ... and so does the default (options("na.action"))
  fit <- gradglm(y ~ x, data = dn)
  expect_equal(fit$nobs, 4L)
  # NA in weights or offset too
  fit <- gradglm(y ~ x, data = transform(d, w = replace(w, 3, NA)), weights = w)
  expect_equal(fit$nobs, 5L)
  fit <- gradglm(y ~ x + offset(o), data = transform(d, o = replace(o, 3, NA)))
  expect_equal(fit$nobs, 5L)
  # na.fail errors
  expect_error(gradglm(y ~ x, data = dn, na.action = na.fail), "gradglm:.*missing values.*na.fail")
  expect_error(gradglm(y ~ x, data = d, weights = replace(w, 1, NA), na.action = "na.fail"),
               "gradglm:.*missing")
  # the matrix interface has no na.action: missing values are an error
  expect_error(gradglm_fit(cbind(1, replace(d$x, 1, NA)), d$y), "gradglm_fit: 'x'.*missing")
  expect_error(gradglm_fit(X, replace(d$y, 1, NA)), "gradglm_fit:.*response.*missing")
  expect_error(gradglm_fit(X, d$y, weights = replace(d$w, 1, NA)), "gradglm_fit: 'weights'.*missing")
  expect_error(gradglm_fit(X, d$y, offset = replace(d$o, 1, NaN)), "gradglm_fit: 'offset'.*missing")
  expect_snapshot(error = TRUE, gradglm(y ~ x, data = dn, na.action = na.fail))
})

test_that("a response outside the family's support is an error", {
  expect_error(gradglm(y ~ x, data = d, family = binomial), "gradglm:.*binomial.*\\[0, 1\\]")
  expect_error(gradglm(I(b - 0.5) ~ x, data = d, family = binomial), "gradglm:.*binomial.*\\[0, 1\\]")
  # a factor of more levels is read as glm reads it, the first level failure, with a warning
  # (before: an error)
  d3 <- transform(d, f3 = factor(k %% 3))
  expect_warning(f3 <- gradglm(f3 ~ x, data = d3, family = binomial),
                 "factor of 3 levels: the first, '0', is failure and the other 2 success")
  expect_equal(coef(f3), coef(glm(f3 ~ x, data = d3, family = binomial)), tolerance = 1e-7)
  expect_error(gradglm(cbind(k - 2, 5 - k) ~ x, data = d, family = binomial), "gradglm:.*cbind.*>= 0")
  expect_error(gradglm(cbind(k, k, k) ~ x, data = d, family = binomial), "gradglm:.*2 numeric columns")
  expect_error(gradglm(as.character(b) ~ x, data = d, family = binomial), "gradglm:.*response.*character")
  expect_error(gradglm(I(k - 1) ~ x, data = d, family = poisson), "gradglm:.*poisson.*negative")
  expect_error(gradglm(f ~ x, data = d, family = poisson), "gradglm:.*response.*numeric")
  expect_error(gradglm(f ~ x, data = d), "gradglm:.*response.*numeric")
  expect_error(gradglm_fit(X, d$y, family = binomial()), "gradglm_fit:.*binomial.*\\[0, 1\\]")
  expect_error(gradglm_fit(X, -d$k, family = poisson()), "gradglm_fit:.*poisson.*negative")
  # a two-level factor, logical and 0/1 are fine
  expect_s3_class(gradglm(factor(b) ~ x, data = d, family = binomial), "gradglm")
  expect_s3_class(gradglm(b == 1 ~ x, data = d, family = binomial), "gradglm")
  # non-integer successes warn, as glm does
  expect_warning(gradglm(b ~ x, data = transform(d, b = c(0.5, 1, 0, 0.5, 1, 0)), weights = rep(3, 6),
                         family = binomial), "gradglm:.*non-integer")
  # and non-integer counts of cbind(successes, failures), as glm's "non-integer counts" (before: no warning)
  expect_warning(gradglm(cbind(k + 0.5, 3) ~ x, data = d, family = binomial), "gradglm: non-integer counts")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, family = binomial)
    gradglm(I(k - 1) ~ x, data = d, family = poisson)
  })
})

test_that("the one-pass sums of the checks equal R's formulas", {
  # how far w * y is from whole numbers: halves, whole and huge values, negatives, NA and Inf
  w <- c(1, 3, 2, 1, 0.1, 1e300, 1, 1, 1, 7, 1)
  y <- c(0.5, 0.5, 0.75, 2^53 + 2, 1, 1, NA, Inf, -0.2, 1 / 3, 4.5e15 + 0.5)
  ok <- is.finite(w * y)
  expect_equal(gradglm:::max_nonwhole(w, y), max(abs(w * y - round(w * y))[ok]))
  expect_equal(gradglm:::max_nonwhole(w[c(2, 5, 9)], y[c(2, 5, 9)]), 0.5)
  expect_equal(gradglm:::max_nonwhole(c(1, 2, 4), c(0, 1, 0.25)), 0)
  set.seed(3)
  w <- runif(1003) * 10; y <- rbinom(1003, 1, 0.4) / sample(1:3, 1003, TRUE)
  expect_equal(gradglm:::max_nonwhole(w, y), max(abs(w * y - round(w * y))))
  # sum(w * y) in long double as R's sum(), for every remainder of the four sums side by side
  for (k in 1001:1004) expect_equal(gradglm:::weighted_total(w[1:k], y[1:k]), sum(w[1:k] * y[1:k]), tolerance = 1e-15)
  expect_identical(gradglm:::weighted_total(numeric(0), numeric(0)), 0)
})

test_that("bad weights: negative, non-numeric, wrong length, all zero", {
  expect_error(gradglm(y ~ x, data = d, weights = -w), "gradglm: 'weights'.*>= 0")
  expect_error(gradglm(y ~ x, data = d, weights = as.character(w)), "gradglm: 'weights'.*numeric")
  expect_error(gradglm(y ~ x, data = d, weights = c(1, 2)), "gradglm: 'weights'")
  expect_error(gradglm(y ~ x, data = d, weights = 0 * w), "gradglm: 'weights'.*zero")
  expect_error(gradglm_fit(X, d$y, weights = -d$w), "gradglm_fit: 'weights'.*>= 0")
  expect_error(gradglm_fit(X, d$y, weights = letters[1:6]), "gradglm_fit: 'weights'.*numeric")
  expect_error(gradglm_fit(X, d$y, weights = 1:3), "gradglm_fit: 'weights'.*length 3")
  expect_error(gradglm_fit(X, d$y, weights = rep(0, 6)), "gradglm_fit: 'weights'.*zero")
  # binomial with zero trials everywhere
  expect_error(gradglm(cbind(0 * k, 0 * k) ~ x, data = d, family = binomial), "gradglm:.*zero")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, weights = -w)
    gradglm(y ~ x, data = d, weights = as.character(w))
    gradglm(y ~ x, data = d, weights = c(1, 2))
    gradglm(y ~ x, data = d, weights = 0 * w)
    gradglm_fit(X, d$y, weights = 1:3)
  })
})

test_that("bad offsets: wrong length, non-numeric", {
  expect_error(gradglm(y ~ x, data = d, offset = 1:2), "gradglm: 'offset'")
  expect_error(gradglm_fit(X, d$y, offset = 1:2), "gradglm_fit: 'offset'.*length 2")
  expect_error(gradglm_fit(X, d$y, offset = letters[1:6]), "gradglm_fit: 'offset'.*numeric")
})

test_that("zero rows, too many parameters, one-level factors, no response", {
  expect_error(gradglm(y ~ x, data = transform(d, x = NA)), "gradglm:.*no observations")
  expect_error(gradglm(y ~ x, data = d, subset = x > 100), "gradglm:.*no observations")
  # a GLM with more coefficients than observations is fitted as glm fits it
  # (the columns beyond the design's rank aliased, tests in test-fit-vs-glm);
  # a distributional model is refused
  expect_identical(is.na(coef(gradglm(y ~ poly(x, 3) + f, data = d[1:4, ]))),
                   is.na(coef(glm(y ~ poly(x, 3) + f, data = d[1:4, ]))))
  expect_error(gradglm(y ~ x + f, sigma = ~ x, data = d[1:4, ], family = student_t(df = 4)),
               "gradglm:.*more parameters \\(5\\).*\\(4\\)")
  expect_error(gradglm(y ~ x + f, data = transform(d, f = factor("a"))), "gradglm:.*'f'.*single level")
  expect_error(gradglm(y ~ x + f, data = d, subset = f == "a"), "gradglm:.*'f'.*single level")
  expect_error(gradglm(y ~ x + g, data = transform(d, g = "z")), "gradglm:.*'g'.*single level")
  expect_error(gradglm(~ x, data = d), "gradglm: 'formula'.*response")
  # (a string is read as a formula, as glm() reads it)
  expect_equal(coef(gradglm("y ~ x", data = d)), coef(gradglm(y ~ x, data = d)))
  # (in the caller's environment, not in model.frame()'s frame, which the fit would keep alive)
  expect_identical(environment(formula(gradglm("y ~ x", data = d))), environment())
  expect_error(gradglm("y ~ ~", data = d), "gradglm: 'formula' \"y ~ ~\" is not a model formula")
  expect_error(gradglm(c("y ~ x", "y ~ 1"), data = d), "gradglm: 'formula' must be a model formula")
  expect_error(gradglm(data = d), "gradglm: 'formula'")
  expect_error(gradglm(y ~ zz, data = d), "gradglm:.*'zz'")
  expect_error(gradglm_fit(matrix(0, 0, 2), numeric()), "gradglm_fit: 'x'.*no rows")
  expect_error(gradglm_fit(X, d$y[-1]), "gradglm_fit: 'y'.*5.*6")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, subset = x > 100)
    gradglm(y ~ x + f, data = transform(d, f = factor("a")))
    gradglm(~ x, data = d)
  })
})

test_that("unknown families and links the family does not offer", {
  expect_error(gradglm(y ~ x, data = d, family = "gamma"),
               "gradglm:.*'gamma'.*gaussian, binomial, poisson, Gamma, inverse.gaussian, quasibinomial")
  expect_error(gradglm(y ~ x, data = d, family = "tweedie"), "gradglm:.*'tweedie'.*quasipoisson, quasi,")
  fam <- poisson()
  fam$family <- "zip"
  expect_error(gradglm(k ~ x, data = d, family = fam), "gradglm: family 'zip' is not available; available families")
  expect_error(gradglm(y ~ x, data = d, family = gaussian(link = "cloglog")),
               "gradglm:.*'cloglog'.*'gaussian'.*identity, log, inverse")
  expect_error(gradglm(b ~ x, data = d, family = binomial(link = "identity")),
               "gradglm:.*'identity'.*'binomial'.*logit, probit, cloglog, cauchit, log")
  expect_error(gradglm(k ~ x, data = d, family = quasipoisson(link = "inverse")),
               "gradglm:.*'inverse'.*'quasipoisson'.*log, identity, sqrt")
  expect_error(gradglm(y ~ x, data = d, family = 3), "gradglm: 'family'")
  expect_error(gradglm_fit(X, d$y, family = "tweedie"), "gradglm_fit:.*'tweedie'")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, family = "gamma")
    gradglm(y ~ x, data = d, family = gaussian(link = "cloglog"))
    gradglm(b ~ x, data = d, family = binomial(link = "identity"))
  })
})

test_that("invalid control values and unknown settings", {
  expect_error(gradglm_control(tol = -1), "gradglm_control: 'tol'")
  expect_error(gradglm_control(tol = 0), "gradglm_control: 'tol'")
  expect_error(gradglm_control(tol = NA), "gradglm_control: 'tol'")
  expect_error(gradglm_control(tol = c(1e-8, 1e-6)), "gradglm_control: 'tol'")
  expect_error(gradglm_control(max_iter = 0), "gradglm_control: 'max_iter'")
  expect_error(gradglm_control(max_iter = 2.5), "gradglm_control: 'max_iter'")
  expect_error(gradglm_control(max_iter = -3), "gradglm_control: 'max_iter'")
  expect_error(gradglm_control(learning_rate = 0), "gradglm_control: 'learning_rate'")
  expect_error(gradglm_control(learning_rate = Inf), "gradglm_control: 'learning_rate'")
  expect_error(gradglm_control(learning_rate = "1"), "gradglm_control: 'learning_rate'")
  expect_error(gradglm_control(decay = -1), "gradglm_control: 'decay'")
  expect_error(gradglm_control(trace = "yes"), "gradglm_control: 'trace'")
  expect_error(gradglm_control(verbose = NA), "gradglm_control: 'verbose'")
  expect_error(gradglm_control(maxiter = 10), "gradglm_control: unknown setting.*'maxiter'")
  # through gradglm(): ..., a plain list, or something else
  expect_error(gradglm(y ~ x, data = d, maxiter = 10), "unknown setting.*'maxiter'")
  # other packages' network arguments point to model = mlp() (before: "unknown setting(s) 'hidden'")
  expect_error(gradglm(y ~ x, data = d, hidden = 8), "gradglm: 'hidden' is not an argument of gradglm\\(\\): .*model = mlp\\(8\\)")
  expect_error(gradglm(y ~ x, data = d, size = 3, decay = 0.1), "'size' is not an argument")
  expect_error(gradglm(y ~ x, data = d, max_iter = 0), "'max_iter'")
  expect_error(gradglm(y ~ x, data = d, control = list(tol = -1)), "'tol'")
  expect_error(gradglm(y ~ x, data = d, control = "fast"), "gradglm: 'control'")
  expect_error(gradglm(y ~ x, data = d, control = list(epsilon = -1, maxit = 25, trace = FALSE)), "'tol'")
  # valid values pass
  ctl <- gradglm_control(tol = 1e-10, max_iter = 5, learning_rate = 0.5, decay = 0)
  expect_s3_class(ctl, "gradglm_control")
  expect_equal(ctl$max_iter, 5L)
  expect_snapshot(error = TRUE, {
    gradglm_control(tol = -1)
    gradglm_control(max_iter = 0)
    gradglm_control(learning_rate = 0)
    gradglm_control(maxiter = 10)
  })
})

test_that("start of the wrong length or type; optimizer names", {
  expect_error(gradglm(y ~ x, data = d, start = c(1, 2, 3)),
               "gradglm: 'start' has length 3.*2 coefficients")
  expect_error(gradglm(y ~ x, data = d, start = 1, optimizer = "gd"), "gradglm: 'start' has length 1")
  expect_error(gradglm(y ~ x, data = d, start = c("a", "b")), "gradglm: 'start'.*numeric")
  expect_error(gradglm(y ~ x, data = d, start = c(NA, 1), optimizer = "newton"), "gradglm: 'start'.*finite")
  expect_error(gradglm_fit(X, d$y, start = 1:3), "gradglm_fit: 'start' has length 3")
  expect_error(gradglm(y ~ x, data = d, optimizer = "rmsprop"), "gradglm:.*optimizer.*'rmsprop'")
  expect_error(gradglm(y ~ x, data = d, optimizer = 1), "gradglm: 'optimizer'")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, start = c(1, 2, 3))
    gradglm(y ~ x, data = d, optimizer = "rmsprop")
  })
})

test_that("gradglm_fit needs a numeric matrix", {
  expect_error(gradglm_fit(d[, c("x", "w")], d$y), "gradglm_fit: 'x'.*numeric matrix")
  expect_error(gradglm_fit(as.matrix(d), d$y), "gradglm_fit: 'x'.*numeric matrix")
  expect_error(gradglm_fit(d$x, d$y), "gradglm_fit: 'x'.*numeric matrix")
  expect_error(gradglm_fit(list(1, 2), d$y), "gradglm_fit: 'x'")
  expect_snapshot(error = TRUE, gradglm_fit(d[, c("x", "w")], d$y))
})

test_that("hard but valid problems give an answer or a clear message, never a crash", {
  # poisson identity with a zero count: mu must stay positive
  fit <- gradglm(k ~ x, data = d, family = poisson("identity"))
  expect_true(all(fit$fitted.values > 0))
  # gaussian log needs a positive response for its default start
  expect_error(gradglm(I(y - 3) ~ x, data = d, family = gaussian("log")), "gradglm:.*'start'")
  # a constant response in a binomial: the MLE is at infinity; as glm, a
  # finite fit with every probability ~1
  fit <- gradglm(rep(1, 6) ~ x, data = d, family = binomial)
  expect_true(all(is.finite(fit$coefficients)))
  expect_true(all(fit$fitted.values > 1 - 1e-8))
  expect_lt(fit$deviance, 1e-8)
  # a single observation with an intercept-only model: glm's exact fit,
  # converged, logLik Inf, as glm's
  fit <- expect_silent(gradglm(y ~ 1, data = d[1, ]))
  expect_equal(unname(fit$coefficients), d$y[1])
  expect_identical(fit$converged, glm(y ~ 1, data = d[1, ])$converged)
  expect_identical(as.numeric(logLik(fit)), as.numeric(logLik(glm(y ~ 1, data = d[1, ]))))
  # huge and tiny scales
  dd <- transform(d, x = x * 1e150, y = y * 1e-150)
  fit <- gradglm(y ~ x, data = dd)
  expect_true(all(is.finite(fit$coefficients)))
  expect_equal(unname(fit$coefficients), unname(coef(lm(y ~ x, data = dd))), tolerance = 1e-8)
})

test_that("a GLM's values of x are checked in its first pass over all rows, as before the fit", {
  skip_on_cran()
  set.seed(3)
  n <- 250000  # (a row-sample start: the bad row lies outside the sample's first rows)
  X <- cbind("(Intercept)" = 1, a = rnorm(n), b = rnorm(n), c = runif(n))
  y <- rbinom(n, 1, plogis(0.3 * X[, "a"]))
  at <- n - 11
  # the ranges the engine's pass takes equal those of column_ranges(), the check of its own
  box <- new.env()
  suppressMessages(trace("check_design_values", where = asNamespace("gradglm"), print = FALSE,
                         tracer = bquote(if (!is.null(rng)) assign("seen", rng, envir = .(box)))))
  on.exit(suppressMessages(untrace("check_design_values", where = asNamespace("gradglm"))), add = TRUE)
  for (opt in c("newton", "lbfgs")) {
    box$seen <- NULL
    fit <- gradglm_fit(X, y, family = binomial(), optimizer = opt)
    expect_identical(box$seen, gradglm:::column_ranges(X))
  }
  box$seen <- NULL
  fit <- gradglm_fit(X, X[, "a"] + rnorm(n))  # (the closed form)
  expect_identical(box$seen, gradglm:::column_ranges(X))
  d <- data.frame(y = y, a = X[, "a"], f = factor(rep(c("u", "v", "w"), length.out = n)))
  box$seen <- NULL
  fit <- gradglm(y ~ a + f, data = d, family = binomial())
  expect_equal(dim(box$seen), c(2L, 4L))
  expect_equal(box$seen[2L, ], c(1, max(abs(d$a)), 1, 1))
  # the errors are those of the check before the fit, whichever optimizer
  bad <- list(list(v = NA, msg = "'x' contains missing values in column\\(s\\) 'b'"),
              list(v = -Inf, msg = "'x' contains infinite values in column\\(s\\) 'b'"),
              list(v = 1e300, msg = "'b' with values as large as 1e\\+300: their squares overflow"))
  for (b in bad) {
    Xb <- X
    Xb[at, "b"] <- b$v
    for (opt in c("newton", "lbfgs", "gd", "sgd")) {
      expect_error(suppressWarnings(gradglm_fit(Xb, y, family = binomial(), optimizer = opt)), b$msg)
    }
    expect_error(gradglm_fit(Xb, X[, "a"]), b$msg)
    expect_error(gradglm_fit(Xb, rpois(n, 2), family = poisson()), b$msg)
  }
  Xt <- X
  Xt[, "c"] <- Xt[, "c"] * 1e-160
  expect_error(gradglm_fit(Xt, y, family = binomial()), "'c' with values no larger than .*: their squares underflow")
  # a formula's model matrix
  d$a[at] <- Inf
  expect_error(gradglm(y ~ a + f, data = d, family = binomial()),
               "the model matrix contains infinite values in column\\(s\\) 'a'")
})

test_that("value_summary() gives in one pass what R's own functions give", {
  ref <- function(x) {
    fin <- x[is.finite(x)]
    fp <- fin[fin > 0]
    c(na = sum(is.na(x)), infinite = sum(is.infinite(x)), negative = sum(x < 0, na.rm = TRUE),
      positive = sum(x > 0, na.rm = TRUE), min = suppressWarnings(min(fin)), max = suppressWarnings(max(fin)),
      min_positive = suppressWarnings(min(fp)), max_positive = suppressWarnings(max(fp)))
  }
  set.seed(3)
  for (len in 0:9) {
    for (rep in 1:20) {
      x <- sample(c(-2.5, -1, 0, -0, 1e-300, 0.5, 1, 7, 1e300, NA, NaN, Inf, -Inf), len, replace = TRUE)
      expect_identical(gradglm:::value_summary(x), ref(x), info = paste(x, collapse = " "))
    }
  }
  x <- c(rbinom(1e4, 1, 0.5), 3)
  expect_identical(gradglm:::value_summary(as.numeric(x)), ref(as.numeric(x)))
  # the checks that use it keep their messages
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), weights = c(1, NaN, 1, 1)),
               "'weights' contains missing values")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), weights = c(1, -Inf, 1, 1)),
               "'weights' contains infinite values")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), weights = c(1, -1, -2, 1)),
               "'weights' must be >= 0 \\(found 2 negative\\)")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), weights = c(0, 0, 0, 0)),
               "'weights' are all zero")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), weights = c(1, 1e-200, 1, 1)),
               "'weights' range from 1e-200 to 1")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), offset = c(0, NA, 0, 0)),
               "'offset' contains missing values")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), offset = c(0, Inf, 0, 0)),
               "'offset' contains infinite values")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, 0, 1), family = binomial(), offset = c(0, -1e160, 0, 0)),
               "'offset' has values as large as 1e\\+160")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, NaN, 1), family = binomial()), "the response contains missing")
  expect_error(gradglm_fit(cbind(1, 1:4), c(0, 1, -Inf, 1)), "the response contains infinite")
})

test_that("glm's own arguments run as written: glm.control(), epsilon and maxit, method, singular.ok", {
  d <- within(mtcars, cyl <- factor(cyl))
  base <- gradglm(am ~ wt + hp, data = d, family = binomial())
  # glm.control()'s list, and its names as gradglm_control()'s
  a <- gradglm(am ~ wt + hp, data = d, family = binomial(), control = glm.control(epsilon = 1e-12, maxit = 40))
  expect_identical(a$control$tol, 1e-12)
  expect_identical(a$control$max_iter, 40L)
  expect_false(a$control$verbose)  # (glm's trace: printing, off)
  expect_true(a$control$trace)  # (gradglm's trace: the record, kept)
  expect_equal(coef(a), coef(glm(am ~ wt + hp, data = d, family = binomial(), control = glm.control(epsilon = 1e-12))),
               tolerance = 1e-9)
  expect_warning(b <- gradglm(am ~ wt + hp, data = d, family = binomial(), maxit = 3), "did not converge in 3 iterations")
  expect_identical(b$control$max_iter, 3L)
  # (glm's maxit counts its start, one scoring step, among its iterations: so does max_iter)
  expect_identical(b$iter, suppressWarnings(glm(am ~ wt + hp, data = d, family = binomial(), maxit = 3))$iter)
  expect_identical(gradglm(am ~ wt, data = d, family = binomial(), epsilon = 1e-11)$control$tol, 1e-11)
  expect_identical(gradglm_control(epsilon = 1e-9, maxit = 7)[c("tol", "max_iter")], list(tol = 1e-9, max_iter = 7L))
  expect_identical(gradglm(am ~ wt, data = d, family = binomial(), control = list(maxit = 9, trace = TRUE))$control$verbose,
                   TRUE)
  expect_error(gradglm_control(tol = 1e-9, epsilon = 1e-9), "give 'tol' or glm's 'epsilon', not both")
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), epsilon = 1e-9, tol = 1e-8),
               "gradglm: give 'tol' or glm's 'epsilon', not both")
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), control = list(maxit = 5, max_iter = 6)),
               "give 'max_iter' or glm's 'maxit', not both")
  expect_error(gradglm_control(maxit = 0), "glm's 'maxit' \\('max_iter'\\) must be a positive whole number")
  expect_error(gradglm_control(max_iter = 0), "gradglm_control: 'max_iter' must be a positive whole number")
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), epsilon = 0),
               "glm's 'epsilon' \\('tol'\\) must be a single positive number")
  # maxit = 1: glm's one iteration, its scoring start (on all rows, also where
  # the fit would start from a sample of them)
  for (n in c(32L, 3e5L)) {
    set.seed(3)
    dd <- if (n == 32L) d else data.frame(am = rbinom(n, 1, 0.4), wt = rnorm(n), hp = rexp(n))
    one <- suppressWarnings(gradglm(am ~ wt + hp, data = dd, family = binomial(), maxit = 1))
    ref <- suppressWarnings(glm(am ~ wt + hp, data = dd, family = binomial(), maxit = 1))
    expect_identical(one$iter, 1L)
    expect_false(one$converged)
    expect_equal(coef(one), coef(ref), tolerance = 1e-10)
  }
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), maxiter = 3), "unknown setting\\(s\\) 'maxiter'")
  # method: "glm.fit" is accepted, "model.frame" returns glm's model frame
  expect_equal(coef(gradglm(am ~ wt + hp, data = d, family = binomial(), method = "glm.fit")), coef(base))
  expect_equal(coef(gradglm(am ~ wt + hp, data = d, family = binomial(), method = glm.fit)), coef(base))
  mf <- gradglm(am ~ wt + log(hp), data = d, family = binomial(), subset = cyl != "4", method = "model.frame")
  expect_equal(mf, glm(am ~ wt + log(hp), data = d, family = binomial(), subset = cyl != "4", method = "model.frame"),
               ignore_attr = "terms")
  expect_s3_class(mf, "data.frame")
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), method = "brglmFit"),
               "'method' \\(glm's\\) must be \"glm.fit\"")
  # singular.ok = FALSE: an aliased coefficient is an error, as in glm
  expect_error(glm(mpg ~ wt + I(2 * wt), data = d, singular.ok = FALSE), "singular fit encountered")
  expect_error(gradglm(mpg ~ wt + I(2 * wt), data = d, singular.ok = FALSE), "singular fit encountered: 'I\\(2 \\* wt\\)'")
  expect_no_error(gradglm(mpg ~ wt + I(2 * wt), data = d, singular.ok = TRUE))
  expect_error(gradglm(mpg ~ wt, data = d, singular.ok = NA), "'singular.ok' must be TRUE or FALSE")
  # etastart and mustart: a clear refusal (they may name columns: not evaluated)
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), mustart = ifelse(am == 1, 0.9, 0.1)),
               "'etastart' and 'mustart' are not taken.*give 'start'")
  expect_error(gradglm(am ~ wt, data = d, family = binomial(), etastart = rep(0, 32)), "not taken")
})

test_that("the fit's fresh n-vectors (filled_vector, as_double) equal rep.int() and as.numeric()", {
  for (n in c(0, 1, 7, 3e6)) {
    expect_identical(gradglm:::filled_vector(n, 1), rep.int(1, n))
    expect_identical(gradglm:::filled_vector(n, 0), rep.int(0, n))
  }
  expect_identical(gradglm:::filled_vector(5, NA_real_), rep.int(NA_real_, 5))
  expect_error(gradglm:::filled_vector(-1, 1), "bad length")
  big <- rep_len(c(0L, 1L, NA_integer_, -3L, .Machine$integer.max), 3e6)
  expect_identical(gradglm:::as_double(big), as.numeric(big))
  lg <- c(TRUE, NA, FALSE)
  expect_identical(gradglm:::as_double(lg), as.numeric(lg))
  named <- c(a = 1.5, b = NA, c = Inf)
  expect_identical(gradglm:::as_double(named), as.numeric(named))  # (names dropped, as as.numeric does)
  m <- matrix(c(1L, 0L, 1L), 3, 1)
  expect_identical(gradglm:::as_double(m), as.numeric(m))
  plain <- c(0.25, 1, NaN)
  expect_identical(gradglm:::as_double(plain), plain)
  # classed objects go to as.numeric() itself
  f <- factor(c("u", "v", "u"))
  expect_identical(gradglm:::as_double(f), as.numeric(f))
  d <- as.difftime(c(1, 2), units = "hours")
  expect_identical(gradglm:::as_double(d), as.numeric(d))
  expect_error(gradglm:::double_values("a"), "plain logical, integer or double")
})

test_that("vectors on huge pages of their own behave as R's vectors: copied, modified, saved, collected", {
  # (from 4 MB on, filled_vector(), as_double() and the fit's outputs are
  # mapped on their own through R's custom allocators: src/huge_pages.h)
  rss <- function() {
    st <- tryCatch(readLines("/proc/self/status"), error = function(e) character(0), warning = function(w) character(0))
    line <- grep("^VmRSS:", st, value = TRUE)
    if (length(line)) as.numeric(gsub("[^0-9]", "", line)) / 1024 else NA_real_  # MB
  }
  gradglm:::mapped_cache(release = TRUE)
  gc()
  before <- rss()
  vs <- lapply(1:40, function(i) gradglm:::filled_vector(1e6, i))  # 320 MB
  expect_identical(vapply(vs, function(v) v[1e6] + v[1], 0), 2 * (1:40))
  w <- vs[[3]]
  w[1] <- -1  # (a copy on modification, as for any vector)
  expect_identical(c(vs[[3]][1], w[1]), c(3, -1))
  f <- tempfile(fileext = ".rds")
  saveRDS(vs[[5]], f)
  expect_identical(readRDS(f), rep.int(5, 1e6))
  unlink(f)
  y <- gradglm:::as_double(rep_len(0:1, 1e6))
  expect_identical(sum(y), 5e5)
  held <- rss()
  rm(vs, w, y)
  gc()
  kept <- gradglm:::mapped_cache()
  after <- rss()
  # what R collects is kept for reuse up to 1 GB and 32 mappings (here 32
  # of the 41), and the rest goes back to the system ...
  expect_identical(kept$count, 32)
  expect_lte(kept$bytes, 2^30)
  gradglm:::mapped_cache(release = TRUE)
  released <- rss()
  if (!is.na(before)) {
    expect_gt(held - before, 250)
    expect_lt(after - before, kept$bytes / 2^20 + 60)
    # ... and the kept memory too, on request (or when the package is unloaded)
    expect_lt(released - before, 60)
  }
})

test_that("options(gradglm.threads) other than one whole number of 1 or more is a clear error", {
  old <- options(gradglm.threads = NULL)
  on.exit(options(old))
  d <- data.frame(x = 1:10, y = c(1, 3, 2, 5, 4, 6, 8, 7, 9, 10))
  for (bad in list("four", 0, -1, 1.5, NA, c(1, 2), TRUE)) {
    options(gradglm.threads = bad)
    expect_error(gradglm(y ~ x, data = d), "options\\(gradglm.threads = \\) must be one whole number",
                 info = paste(format(bad), collapse = " "))
  }
  options(gradglm.threads = 1)
  expect_equal(coef(gradglm(y ~ x, data = d)), coef(lm(y ~ x, data = d)), tolerance = 1e-10)
  options(gradglm.threads = 2L)
  expect_equal(coef(gradglm(y ~ x, data = d, family = poisson())),
               coef(glm(y ~ x, data = d, family = poisson())), tolerance = 1e-8)
})

test_that("vectors of the package's allocator are collected safely after its library is unloaded", {
  skip_on_cran()
  skip_if_not(identical(.Platform$OS.type, "unix") && file.exists("/proc/self/status"), "Linux only")
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(c(
    "suppressPackageStartupMessages(library(gradglm))",
    "set.seed(1); X <- cbind(1, matrix(rnorm(3e5 * 3), 3e5)); y <- rbinom(3e5, 1, 0.4)",
    "fit <- gradglm_fit(X, y, family = binomial()); v <- gradglm:::filled_vector(1e6, 2)",
    "dll <- getLoadedDLLs()[['gradglm']][['path']]",
    "unloadNamespace('gradglm'); dyn.unload(dll)",
    "rm(fit, v); invisible(gc()); x <- rnorm(1e7); rm(x); invisible(gc())",
    "cat('collected\\n')"), script)
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE,
                                  env = paste0("R_LIBS=", paste(.libPaths(), collapse = ":"))))
  expect_identical(attr(out, "status"), NULL)  # (exit status 0)
  expect_true("collected" %in% out)
})

test_that("counts beyond the integer range, an overflowing start and a learning rate far too large are clear errors", {
  set.seed(1)
  d <- data.frame(x1 = rnorm(50), x2 = runif(50))
  d$yc <- rpois(50, 2)
  d$y <- d$x1 + rnorm(50)
  d$yb <- as.integer(d$y > 0)
  # (before: NA by coercion, then 0 iterations, all-zero coefficients or R internal errors)
  expect_error(gradglm_control(max_iter = 3e9), "'max_iter' must be a positive whole number \\(at most 2147483647\\)")
  expect_error(opt_lbfgs(max_iter = 3e9), "opt_lbfgs: 'max_iter' must be a positive whole number \\(at most")
  expect_error(perceptron(yb ~ x1, data = d, max_epochs = 3e9), "'max_epochs' must be a positive whole number \\(at most")
  expect_error(lasso(nlambda = Inf), "'nlambda' must be a positive whole number")
  expect_error(lasso(0.1, max_sweeps = Inf), "'max_sweeps' must be a positive number \\(at most")
  expect_error(mlp(3e9), "'units' must be a vector of positive whole numbers")
  expect_error(mlp(matrix(1:4, 2)), "'units' must be a vector of positive whole numbers")
  expect_error(mlp(3, init = "x"), "mlp: 'init' must be one of 'auto', 'he', 'glorot', not 'x'")
  # a start whose means overflow (before: deviance -Inf, "converged"), as glm's "cannot find valid starting values"
  expect_error(gradglm(yc ~ x1, data = d, family = poisson(), start = c(800, 0)),
               "'start' gives means that are not finite for the poisson family \\(50 of 50 rows\\)")
  # gd at a learning rate no 60 halvings bring down (before: the start returned, "converged")
  expect_error(gradglm(y ~ x1 + x2, data = d, optimizer = opt_gd(learning_rate = 1e50)),
               "the learning rate 1e\\+50 is too large: no step of the learning rate halved 60 times lowers the loss")
  # a perceptron's weights that overflow (before: -Inf and NaN coefficients)
  expect_error(perceptron(yb ~ x1 + x2, data = d, learning_rate = 1e308), "the weights overflowed a double")
  f <- gradglm(y ~ x1 + x2, data = d, optimizer = opt_gd(learning_rate = 10))
  expect_true(f$converged)
})

test_that("more odd arguments are clear errors: settings, misspelt names, a family function that gives no family", {
  fit <- gradglm(mpg ~ wt, data = mtcars)
  # (before: accepted and ignored, or R internal messages)
  expect_error(summary(fit, correlation = "abc"), "summary.gradglm: 'correlation' must be TRUE or FALSE")
  expect_error(predict(fit, newdata = mtcars[1:3, ], na.action = 3),
               "'na.action' must be a function such as na.pass or na.omit, or its name")
  expect_error(gradglm(mpg ~ wt, data = mtcars, family = function(x) x),
               "'family' is a function that gave no family when called without arguments")
  expect_error(compare_optimizers(mpg ~ wt, data = mtcars, optimisers = "gd"),
               "unknown argument\\(s\\) 'optimisers' in '...', which go to gradglm\\(\\)")
  expect_error(compare_optimizers(mpg ~ wt, data = mtcars, reps = 1e308), "'reps' must be a positive whole number")
  expect_error(profile(gradglm(am ~ wt, data = mtcars, family = binomial()), maxsteps = Inf),
               "'maxsteps' must be a positive whole number \\(at most")
  csv <- tempfile(fileext = ".csv")
  on.exit(unlink(csv), add = TRUE)
  utils::write.csv(mtcars, csv, row.names = FALSE)
  # (before: accepted, and every chunk failed in the fit)
  expect_error(gradglm_source(csv, chunksize = 10), "unknown argument\\(s\\) 'chunksize' for read.csv\\(\\) \\(the chunks' size is 'chunk_size'\\)")
  expect_s3_class(gradglm_source(csv, sep = ",", na.strings = "NA"), "gradglm_source")
})

test_that("a first-order optimizer refuses a Gaussian response whose squares underflow", {
  set.seed(5)
  d <- data.frame(x = runif(30))
  d$y <- (1 + d$x + rnorm(30)) * 1e-200
  # (its loss is 0 everywhere: adam stopped where it started and called it converged)
  for (opt in c("gd", "sgd", "adam")) {
    expect_error(gradglm(y ~ x, data = d, optimizer = opt),
                 paste0("gradglm: the response is at most .*e-200 in size: .*'", opt, "' optimizer"), info = opt)
  }
  # the exact fit is glm's
  f <- gradglm(y ~ x, data = d)
  expect_equal(unname(coef(f)), unname(coef(glm(y ~ x, data = d))), tolerance = 1e-10)
  expect_s3_class(suppressWarnings(gradglm(y ~ x, data = transform(d, y = y * 1e100), optimizer = "adam",
                                           control = gradglm_control(max_iter = 5))), "gradglm")
})
