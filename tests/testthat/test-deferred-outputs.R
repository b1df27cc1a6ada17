# A GLM fit's fitted means, working weights and working residuals are
# deferred (src/deferred.h): computed from the predictors when read. Whichever
# way they are read (one element, a region, the whole vector), they are the
# values glm reports, and copies, names and serialization behave as for any
# vector.

deferred_cases <- function() {
  set.seed(71)
  n <- 400
  x1 <- rnorm(n)
  x2 <- runif(n)
  X <- cbind(1, x1, x2)
  eta <- 0.3 + 0.8 * x1 - 0.5 * x2
  w <- rep(c(1, 2, 3, 0), length.out = n)
  trials <- rep(c(1, 3, 7, 12), length.out = n)
  # `lazy`: the fit's summaries (deviance, AIC, dispersion) are computed in
  # C++ from the deferred vectors (binomial, poisson with counts, gaussian);
  # some other families' are R's functions of the fitted means, which compute
  # that vector
  cases <- list(
    list(y = rbinom(n, 1, plogis(eta)), family = binomial(), w = w, lazy = TRUE),
    list(y = rbinom(n, trials, pnorm(eta)) / trials, family = binomial("probit"), w = trials, lazy = TRUE),
    list(y = rbinom(n, 1, plogis(eta)), family = binomial("cloglog"), w = NULL, lazy = TRUE),
    list(y = rpois(n, exp(eta)), family = poisson(), w = w, lazy = TRUE),
    list(y = rpois(n, exp(eta)) + 1, family = poisson("sqrt"), w = NULL, lazy = TRUE),
    list(y = rgamma(n, 2, 2 / exp(eta)), family = Gamma("log"), w = w, lazy = FALSE),
    list(y = rgamma(n, 2, 2 * (2 + eta)), family = Gamma(), w = NULL, lazy = FALSE),
    list(y = exp(eta) * (1 + 0.05 * rnorm(n)), family = gaussian("log"), w = w, lazy = TRUE),
    list(y = eta + rnorm(n), family = gaussian(), w = w, lazy = TRUE),
    list(y = rpois(n, exp(eta)), family = quasipoisson(), w = NULL, lazy = FALSE),
    list(y = abs(rnorm(n, 3 + eta, 0.2)), family = inverse.gaussian("log"), w = NULL, lazy = FALSE)
  )
  lapply(cases, function(cs) c(cs, list(X = X)))
}

test_that("deferred GLM outputs equal glm's, read by element, by region or whole", {
  for (cs in deferred_cases()) {
    what <- paste(cs$family$family, cs$family$link)
    f <- gradglm_fit(cs$X, cs$y, weights = cs$w, family = cs$family)
    g <- suppressWarnings(glm.fit(cs$X, cs$y, weights = if (is.null(cs$w)) rep(1, length(cs$y)) else cs$w,
                                  family = cs$family, control = glm.control(epsilon = 1e-12, maxit = 100)))
    for (nm in c("fitted.values", "weights", "residuals")) {
      v <- f[[nm]]
      # (the fit computed none of them: glm_finish reads them without their vectors)
      lazy <- gradglm:::is_deferred(v)
      if (cs$lazy || nm != "fitted.values") expect_true(lazy, info = paste(what, nm))
      n <- length(v)
      expect_identical(n, length(cs$y), info = what)
      by_elt <- vapply(seq_len(n), function(i) v[[i]], 0)
      by_region <- v[seq_len(n)]
      expect_identical(gradglm:::is_deferred(v), lazy, info = paste(what, nm, "after elements and a region"))
      whole <- v + 0
      expect_false(gradglm:::is_deferred(v), info = paste(what, nm, "after its memory was asked for"))
      expect_identical(by_elt, whole, info = paste(what, nm))
      expect_identical(by_region, whole, info = paste(what, nm))
      expect_identical(v[], whole, info = paste(what, nm))
      ok <- g$prior.weights > 0 | nm == "fitted.values"
      expect_equal(unname(whole[ok]), unname(g[[nm]][ok]), tolerance = 1e-6, info = paste(what, nm))
    }
    # the values from their definitions, at the fit's own predictors
    eta <- f$linear.predictors
    mu <- cs$family$linkinv(eta)
    expect_equal(unname(f$fitted.values), mu, tolerance = 1e-14, info = what)
    expect_equal(unname(f$residuals), (cs$y - mu) / cs$family$mu.eta(eta), tolerance = 1e-12, info = what)
    pw <- f$prior.weights
    expect_equal(unname(f$weights), ifelse(pw == 0, 0, pw * cs$family$mu.eta(eta)^2 / cs$family$variance(mu)),
                 tolerance = 1e-12, info = what)
    expect_equal(f$deviance, g$deviance, tolerance = 1e-8, info = what)
    expect_equal(f$aic, g$aic, tolerance = 1e-8, info = what)
  }
})

test_that("the dispersion and sums read from deferred outputs are those of the computed vectors", {
  for (cs in deferred_cases()) {
    what <- paste(cs$family$family, cs$family$link)
    f <- gradglm_fit(cs$X, cs$y, weights = cs$w, family = cs$family)
    pw <- f$prior.weights
    expect_true(gradglm:::is_deferred(f$weights), info = what)
    s_deferred <- gradglm:::pearson_sum(f$weights, f$residuals, pw, 2L)
    s_r <- sum((f$weights * f$residuals^2)[pw > 0])
    expect_false(gradglm:::is_deferred(f$weights))
    expect_equal(s_deferred, s_r, tolerance = 1e-14, info = what)
    if (!cs$family$family %in% c("binomial", "poisson")) {
      expect_equal(summary(f)$dispersion, s_r / f$df.residual, tolerance = 1e-14, info = what)
    }
    f2 <- gradglm_fit(cs$X, cs$y, weights = cs$w, family = cs$family)
    expect_true(gradglm:::is_deferred(f2$residuals), info = what)
    expect_equal(sum(f2$residuals), sum(f$residuals + 0), tolerance = 1e-14, info = what)
    expect_true(gradglm:::is_deferred(f2$residuals), info = paste(what, "after sum()"))
  }
  expect_error(gradglm:::pearson_sum(1:3, c(1, 2, 3), c(1, 1, 1)), "must be double vectors of one length")
  expect_error(gradglm:::pearson_sum(c(1, 2), c(1, 2, 3), c(1, 1, 1)), "must be double vectors of one length")
})

test_that("deferred outputs copy, take names and serialize as ordinary vectors", {
  set.seed(72)
  n <- 300
  d <- data.frame(x = rnorm(n), g = factor(sample(letters[1:3], n, TRUE)))
  d$y <- rbinom(n, 1, plogis(d$x))
  rownames(d) <- paste0("r", seq_len(n))
  f <- gradglm(y ~ x + g, data = d, family = binomial())
  g <- glm(y ~ x + g, data = d, family = binomial(), control = glm.control(epsilon = 1e-12))
  expect_identical(names(f$fitted.values), rownames(d))
  expect_identical(names(f$residuals), rownames(d))
  expect_true(gradglm:::is_deferred(f$fitted.values))
  expect_equal(fitted(f), fitted(g), tolerance = 1e-8)
  expect_equal(residuals(f, "working"), residuals(g, "working"), tolerance = 1e-6)
  # (glm's working weights are those of its last iteration's start)
  expect_equal(weights(f, "working"), weights(g, "working"), tolerance = 1e-6)
  # a copy changed leaves the fit's own vector as it was
  f0 <- gradglm(y ~ x + g, data = d, family = binomial())
  before <- f0$fitted.values[1:5]
  f1 <- f0
  f1$fitted.values[2] <- -1
  expect_identical(f1$fitted.values[2], c(r2 = -1))
  expect_identical(f0$fitted.values[1:5], before)
  expect_true(gradglm:::is_deferred(f0$fitted.values))
  v <- f0$weights
  v[] <- 0
  expect_true(all(v == 0))
  expect_true(all(f0$weights[f0$prior.weights > 0] > 0))
  # serialization writes the values
  f2 <- gradglm(y ~ x + g, data = d, family = binomial())
  back <- unserialize(serialize(f2, NULL))
  expect_false(gradglm:::is_deferred(back$fitted.values))
  expect_identical(back$fitted.values, f2$fitted.values + 0)
  expect_identical(back$residuals, f2$residuals[])
  tmp <- tempfile(fileext = ".rds")
  on.exit(unlink(tmp))
  saveRDS(f2, tmp)
  expect_identical(readRDS(tmp)$weights, f2$weights * 1)
  expect_equal(predict(readRDS(tmp), newdata = d[1:4, ], type = "response"), fitted(g)[1:4], tolerance = 1e-8)
  # the predictors they are computed from are not changed by changing the fit's copy
  f3 <- gradglm(y ~ x + g, data = d, family = binomial())
  mu <- f3$fitted.values
  f3$linear.predictors[] <- 0
  expect_equal(mu, fitted(g), tolerance = 1e-8)
})

test_that("a link of one's own writes its outputs at once, as before", {
  eps <- .Machine$double.eps
  # (the logit link under a name of its own)
  lk <- structure(list(linkfun = qlogis, linkinv = function(eta) pmin(pmax(plogis(eta), eps), 1 - eps),
                       mu.eta = function(eta) pmax(dlogis(eta), eps), valideta = function(eta) TRUE,
                       name = "own logit"), class = "link-glm")
  own <- binomial(lk)
  set.seed(73)
  X <- cbind(1, rnorm(200))
  y <- rbinom(200, 1, plogis(X[, 2]))
  f <- suppressWarnings(gradglm_fit(X, y, family = own))
  expect_false(gradglm:::is_deferred(f$fitted.values))
  expect_equal(unname(f$fitted.values), unname(fitted(glm(y ~ X[, 2], family = binomial()))), tolerance = 1e-8)
})

test_that("deferred outputs survive a collection while they are computed", {
  set.seed(74)
  X <- cbind(1, rnorm(100))
  y <- rpois(100, exp(0.2 + 0.3 * X[, 2]))
  f <- gradglm_fit(X, y, family = poisson())
  ref <- exp(f$linear.predictors)
  v <- f$fitted.values
  gctorture(TRUE)
  whole <- v + 0
  gctorture(FALSE)
  expect_equal(whole, ref, tolerance = 1e-14)
  rm(f)
  invisible(gc())
  expect_identical(v[], whole)
})
