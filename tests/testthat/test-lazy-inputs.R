# A fit's unit prior weights and its integer response cost no memory of their
# own (src/deferred.h): the unit weights are a vector of ones read from one
# shared region, the integer response a double vector that reads the
# integers. Whatever R does with them, they behave as the plain vectors
# rep(1, n) and as.double(y); the fits are those of the plain vectors.

test_that("unit weights are ones, read without their memory, and behave as rep(1, n)", {
  n <- 70000
  w <- gradglm:::unit_weights(n)
  expect_true(is.double(w))
  expect_identical(length(w), as.integer(n))
  expect_true(gradglm:::unit_weights_lazy(w))
  # elements, regions and sum() read it as it is
  expect_identical(w[[n]], 1)
  expect_identical(w[c(1, 5, n)], c(1, 1, 1))
  expect_identical(sum(w), n)
  expect_false(anyNA(w))
  expect_true(gradglm:::unit_weights_lazy(w))
  # serialized, it is plain ones (readRDS() needs no gradglm)
  expect_identical(unserialize(serialize(gradglm:::unit_weights(n), NULL)), rep(1, n))
  # a changed copy is a vector of its own; the original is unchanged
  w2 <- w
  w2[3] <- 5
  expect_identical(w2[1:4], c(1, 1, 5, 1))
  expect_identical(sum(w2), n + 4)
  expect_identical(w[3], 1)
  expect_true(gradglm:::unit_weights_lazy(w))
  # arithmetic asks for its memory: then an ordinary vector
  expect_identical(w * 2, rep(2, n))
  expect_false(gradglm:::unit_weights_lazy(w))
  expect_identical(w, rep(1, n))
  # a vector changed in place (no other reference) keeps the change
  f <- function() {
    v <- gradglm:::unit_weights(10)
    v[2] <- 7
    v
  }
  expect_identical(f(), c(1, 7, rep(1, 8)))
  expect_identical(gradglm:::unit_weights(0), numeric(0))
  # vectors longer than the shared region so far, after shorter ones
  big <- gradglm:::unit_weights(3e6)
  expect_identical(sum(big[c(1, 2e6, 3e6)]), 3)
  expect_identical(gradglm:::weighted_total(big, rep(2, 3e6)), 6e6)
  expect_identical(gradglm:::count_positive(big), 3000000L)
})

test_that("an integer view reads its integers as doubles, NA kept, and behaves as as.double()", {
  set.seed(5)
  y <- rpois(1000, 3)
  y[7] <- NA
  v <- gradglm:::integer_view(y)
  expect_true(is.double(v))
  expect_true(gradglm:::view_lazy(v))
  expect_identical(v[[7]], NA_real_)
  expect_identical(v[1:10], as.double(y[1:10]))
  expect_identical(sum(v, na.rm = TRUE), as.double(sum(y, na.rm = TRUE)))
  expect_identical(unname(gradglm:::value_summary(v)), unname(gradglm:::value_summary(as.double(y))))
  expect_true(gradglm:::view_lazy(v))
  expect_identical(unserialize(serialize(gradglm:::integer_view(y), NULL)), as.double(y))
  # a change to the integers after the view was made does not reach it
  y[1] <- 1000L
  expect_false(identical(v[[1]], 1000))
  # a changed copy; then its memory
  v2 <- v
  v2[1] <- -1
  expect_identical(v2[[1]], -1)
  expect_true(gradglm:::view_lazy(v))
  expect_identical(v + 0, as.double(replace(y, 1, v[[1]])))
  expect_false(gradglm:::view_lazy(v))
  lv <- gradglm:::integer_view(c(TRUE, FALSE, NA))
  expect_identical(lv[], c(1, 0, NA))
  expect_error(gradglm:::integer_view(factor("a")), "plain integer or logical")
  expect_error(gradglm:::integer_view(1.5), "plain integer or logical")
})

test_that("fits to an integer or logical response and unit weights are those to the doubles", {
  set.seed(31)
  n <- 9000  # (more than two of the engine's blocks of 4,096 rows)
  X <- cbind(1, rnorm(n), runif(n))
  eta <- 0.2 + 0.7 * X[, 2] - 0.4 * X[, 3]
  yb <- rbinom(n, 1, plogis(eta))
  yp <- rpois(n, exp(eta))
  w <- rep(c(1, 2, 0, 3), length.out = n)
  off <- rnorm(n, sd = 0.1)
  old <- options(gradglm.threads = 1)
  on.exit(options(old), add = TRUE)
  for (threads in c(1, 2)) {
    options(gradglm.threads = threads)
    cases <- list(
      list(y = yb, family = binomial()),
      list(y = yb == 1L, family = binomial("probit")),
      list(y = yp, family = poisson()),
      list(y = yp, family = poisson(), w = w),
      list(y = yp, family = poisson(), offset = off),
      list(y = yb, family = binomial(), optimizer = "lbfgs"),
      list(y = yb, family = binomial(), penalty = "ridge"),
      list(y = yp, family = quasipoisson()),
      list(y = yp, family = gaussian())
    )
    for (cs in cases) {
      what <- paste(cs$family$family, cs$family$link, threads, "threads", if (!is.null(cs$w)) "weights",
                    if (!is.null(cs$offset)) "offset", cs$optimizer, cs$penalty)
      fit_to <- function(y) {
        args <- list(X, y, family = cs$family, weights = cs$w, offset = cs$offset)
        if (!is.null(cs$optimizer)) args$optimizer <- cs$optimizer
        if (!is.null(cs$penalty)) args$penalty <- cs$penalty
        do.call(gradglm_fit, args)
      }
      fi <- fit_to(cs$y)
      fd <- fit_to(as.double(cs$y))
      expect_identical(coef(fi), coef(fd), info = what)
      if (is.null(cs$penalty)) {
        for (nm in c("deviance", "null.deviance", "aic", "df.residual")) {
          expect_identical(fi[[nm]], fd[[nm]], info = paste(what, nm))
        }
        expect_identical(fi$fitted.values[], fd$fitted.values[], info = what)
        expect_identical(fi$residuals[], fd$residuals[], info = what)
        expect_identical(fi$weights[], fd$weights[], info = what)
        expect_identical(vcov(fi), vcov(fd), info = what)
        expect_identical(fi$y[], as.double(cs$y), info = what)
        expect_identical(fi$prior.weights[], if (is.null(cs$w)) rep(1, n) else cs$w, info = what)
      }
    }
  }
  # the default binomial and poisson fits leave both vectors unwritten
  f <- gradglm_fit(X, yb, family = binomial())
  expect_true(gradglm:::view_lazy(f$y))
  expect_true(gradglm:::unit_weights_lazy(f$prior.weights))
  g <- glm.fit(X, yb, family = binomial())
  expect_equal(unname(coef(f)), unname(g$coefficients), tolerance = 1e-10)
  expect_equal(f$aic, g$aic, tolerance = 1e-10)
  # the formula route, and the methods that read them
  d <- data.frame(y = yp, x1 = X[, 2], x2 = X[, 3])
  m <- gradglm(y ~ x1 + x2, data = d, family = poisson())
  r <- glm(y ~ x1 + x2, data = d, family = poisson())
  expect_equal(coef(m), coef(r), tolerance = 1e-10)
  expect_equal(residuals(m, "deviance"), residuals(r, "deviance"), tolerance = 1e-8)
  expect_equal(logLik(m), logLik(r), tolerance = 1e-10)
  expect_equal(predict(m, d[1:5, ], type = "response"), predict(r, d[1:5, ], type = "response"), tolerance = 1e-8)
  # missing values in an integer response are an error, as in a double one
  expect_error(gradglm_fit(X, replace(yp, 3, NA), family = poisson()), "missing values")
  expect_error(gradglm_fit(X, replace(yb, 3, 2L), family = binomial()), "must lie in \\[0, 1\\]")
})

test_that("unit vectors and integer views are safe under gctorture", {
  gctorture(TRUE)
  w <- gradglm:::unit_weights(50)
  v <- gradglm:::integer_view(c(3L, NA, 5L))
  w2 <- w
  w2[2] <- 4
  a <- w + 0
  b <- v + 0
  s <- sum(v[c(1, 3)])
  gctorture(FALSE)
  expect_identical(a, rep(1, 50))
  expect_identical(w2[1:3], c(1, 4, 1))
  expect_identical(b, c(3, NA, 5))
  expect_identical(s, 8)
})
