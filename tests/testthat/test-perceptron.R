# Rosenblatt's perceptron: convergence within Novikoff's bound, XOR, the
# averaged rule against a direct implementation, predictions and errors.

test_that("on separable data the perceptron converges within (R / gamma)^2 mistakes", {
  set.seed(1)
  u <- c(3, 4) / 5  # a unit separating direction through the origin
  X <- matrix(runif(400, -1, 1), ncol = 2)
  m <- drop(X %*% u)
  keep <- abs(m) > 0.1  # margin gamma >= 0.1
  d <- data.frame(x1 = X[keep, 1], x2 = X[keep, 2], y = as.numeric(m[keep] > 0))
  gamma <- min(abs(drop(as.matrix(d[, 1:2]) %*% u)))
  R <- max(sqrt(d$x1^2 + d$x2^2))
  p <- perceptron(y ~ x1 + x2 - 1, data = d, max_epochs = 1000)
  expect_true(p$converged)
  expect_equal(tail(p$mistakes, 1), 0)
  expect_lte(sum(p$mistakes), (R / gamma)^2)
  expect_true(all(predict(p, d) == factor(d$y, levels = c(0, 1))))
  expect_output(print(p), "Converged: no mistake in epoch")
  # the learning rate only scales the coefficients from a zero start
  p2 <- perceptron(y ~ x1 + x2 - 1, data = d, max_epochs = 1000, learning_rate = 0.1)
  expect_equal(coef(p2), 0.1 * coef(p), tolerance = 1e-12)
})

test_that("on XOR it reports that it has not converged", {
  xor <- data.frame(a = c(0, 0, 1, 1), b = c(0, 1, 0, 1), y = c(FALSE, TRUE, TRUE, FALSE))
  p <- perceptron(y ~ a + b, data = xor, max_epochs = 25)
  expect_false(p$converged)
  expect_equal(p$epochs, 25)
  expect_true(all(p$mistakes > 0))
  expect_output(print(p), "Did NOT converge in 25 epochs")
})

test_that("the (averaged) rule equals a direct implementation in R", {
  set.seed(2)
  d <- data.frame(x1 = rnorm(30), x2 = rnorm(30))
  d$y <- factor(ifelse(d$x1 + 0.5 * d$x2 + rnorm(30, sd = 0.7) > 0, "yes", "no"))
  direct <- function(X, y, rate, epochs, averaged) {
    b <- numeric(ncol(X))
    s <- numeric(ncol(X))
    for (e in seq_len(epochs)) {
      for (i in seq_len(nrow(X))) {
        if (y[i] * sum(X[i, ] * b) <= 0) b <- b + rate * y[i] * X[i, ]
        s <- s + b
      }
    }
    if (averaged) s / (epochs * nrow(X)) else b
  }
  X <- cbind(1, d$x1, d$x2)
  y <- ifelse(d$y == "yes", 1, -1)
  for (avg in c(FALSE, TRUE)) {
    p <- perceptron(y ~ x1 + x2, data = d, max_epochs = 7, averaged = avg, learning_rate = 0.5)
    expect_false(p$converged)  # not separable: all 7 epochs run
    ref <- direct(X, y, 0.5, 7, avg)
    expect_equal(unname(coef(p)), ref, tolerance = 1e-12)
    expect_equal(unname(predict(p, d, type = "score")), drop(X %*% ref), tolerance = 1e-12)
    expect_equal(as.character(predict(p, d)), ifelse(drop(X %*% ref) > 0, "yes", "no"))
  }
})

test_that("shuffled epochs are reproducible and plots draw", {
  d <- data.frame(x1 = c(-2, -1, 1, 2, -1.5, 1.5), x2 = c(1, -1, 1, -1, 0, 0), y = c(0, 0, 1, 1, 0, 1))
  set.seed(3)
  a <- perceptron(y ~ x1 + x2, data = d, shuffle = TRUE)
  set.seed(3)
  b <- perceptron(y ~ x1 + x2, data = d, shuffle = TRUE)
  expect_identical(coef(a), coef(b))
  expect_true(a$converged)
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(a))
  expect_invisible(plot(a, which = "boundary"))
  expect_error(plot(perceptron(y ~ x1, data = d), which = "boundary"), "needs a model with two numeric predictors")
})

test_that("bad perceptron input: clear errors", {
  expect_error(perceptron(Species ~ Petal.Length, data = iris), "perceptron: the response must have two classes; it has 3")
  d <- data.frame(x = 1:4, y = c(0, 1, 0, 2))
  expect_error(perceptron(y ~ x, data = d), "the response must have two classes: a two-level factor")
  d$y <- c(0, 1, 0, 1)
  expect_error(perceptron(y ~ x, data = d, learning_rate = -1), "'learning_rate' must be a positive number")
  expect_error(perceptron(y ~ x, data = d, max_epochs = 0), "'max_epochs' must be a positive whole number")
  expect_error(perceptron(y ~ x, data = d, averaged = NA), "'averaged' must be TRUE or FALSE")
  expect_error(perceptron(1, data = d), "'formula' must be a model formula")
  expect_error(perceptron("y ~ ", data = d), "perceptron: 'formula' \"y ~ \" is not a model formula")
  expect_error(perceptron(y ~ z, data = d), "could not build the model frame")
  expect_error(perceptron(y ~ x, data = d[0, ]), "perceptron: there are no observations")
  # one class only, however it is coded (before: numbers and logicals "converged")
  expect_error(perceptron(y ~ x, data = transform(d, y = 1)), "perceptron: the response has one class only \\('1'\\)")
  expect_error(perceptron(y ~ x, data = transform(d, y = TRUE)), "the response has one class only \\('TRUE'\\)")
})

test_that("a perceptron pads its predictions under na.exclude and says it has no likelihood", {
  d <- data.frame(x = c(-2, -1, NA, 1, 2), y = c(0, 0, 1, 1, 1))
  p <- perceptron(y ~ x, data = d, na.action = na.exclude)
  expect_identical(as.character(predict(p)), c("0", "0", NA, "1", "1"))
  expect_true(is.na(predict(p, type = "score")[3]))
  expect_identical(nobs(p), 4L)
  expect_error(logLik(p), "logLik.gradglm_perceptron: a perceptron has no likelihood")
  # (na.omit, the default, leaves the row out)
  expect_length(predict(perceptron(y ~ x, data = d)), 4L)
})

test_that("rows whose columns are all 0 cannot be classified: the fit says so and has not converged", {
  d <- data.frame(x = c(-2, -1, 1, 2, 0), z = c(1, -1, 2, 1, 0), y = c(0, 0, 1, 1, 1))
  # (before: converged = TRUE with 0 mistakes, and row 5 misclassified at score 0)
  expect_warning(p <- perceptron(y ~ 0 + x + z, data = d),
                 paste0("perceptron: 1 row \\('5'\\) has every column 0, so its score x'b is 0 whatever the ",
                        "coefficients: a mistake that Rosenblatt's rule cannot correct"))
  expect_false(p$converged)
  expect_identical(tail(p$mistakes, 1), 1)
  expect_identical(unname(predict(p, type = "score")[5]), 0)
  # with an intercept no row is 0
  expect_true(perceptron(y ~ x + z, data = d)$converged)
  # every row 0: an error, not a "converged" fit at zero coefficients
  expect_error(perceptron(y ~ 0 + w, data = transform(d, w = 0)),
               "perceptron: every row of the model matrix is 0, so the score x'b is 0 whatever the coefficients")
})
