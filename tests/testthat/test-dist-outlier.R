# A gross outlier beside a sigma model. Least squares puts the start's
# location and scale where the outlier pulls them (a scale of about 4e9 here),
# so the other rows' scale falls far below the start's while it finds their
# residuals: no unbounded likelihood (the location fits none of them exactly),
# and the fit goes on to the maximum, where the sigma model gives the outlier
# its own large scale.
outlier_data <- function() {
  set.seed(1)
  n <- 200
  x <- rnorm(n)
  z <- runif(n)
  y <- 1 + 2 * x + exp(0.5 * z) * rnorm(n)
  y[5] <- 1e12
  data.frame(y, x, z)
}

test_that("a Gaussian sigma model beside a gross outlier reaches the maximum, with no false 'unbounded'", {
  d <- outlier_data()
  X <- cbind(1, d$x)
  Z <- cbind(1, d$z)
  nll <- function(th) -sum(stats::dnorm(d$y, X %*% th[1:2], exp(Z %*% th[3:4]), log = TRUE))
  grad <- function(th) {
    s <- exp(drop(Z %*% th[3:4]))
    r <- d$y - drop(X %*% th[1:2])
    c(-crossprod(X, r / s^2), crossprod(Z, 1 - (r / s)^2))
  }
  # the reference: BFGS from the true coefficients, then Newton steps on the
  # analytic gradient (its Jacobian by central differences)
  ref <- stats::optim(c(1, 2, 0, 0.5), nll, grad, method = "BFGS",
                      control = list(maxit = 1e4, reltol = 1e-15))$par
  for (k in 1:5) {
    H <- sapply(1:4, function(j) {
      e <- replace(numeric(4), j, 1e-6 * max(1, abs(ref[j])))
      (grad(ref + e) - grad(ref - e)) / (2 * e[j])
    })
    ref <- ref - solve((H + t(H)) / 2, grad(ref))
  }
  expect_lt(max(abs(grad(ref))), 1e-6)
  for (opt in c("auto", "newton", "lbfgs")) {
    fit <- expect_silent(gradglm(y ~ x, sigma = ~ z, data = d, optimizer = opt))
    expect_true(fit$converged, label = opt)
    expect_equal(unname(coef(fit)), ref, tolerance = 1e-6, label = opt)
    expect_gte(as.numeric(logLik(fit)), -nll(ref) - 1e-7)
    expect_lt(max(abs(grad(unname(coef(fit))))), 1e-3)
  }
  # a start whose scale is as far above the maximum's (e^20 and more): the
  # other rows' scales fall more than 14 units below it, and none of them is
  # fitted exactly
  fit <- expect_silent(gradglm(y ~ x, sigma = ~ z, data = d, start = c(1, 2, 20, 5)))
  expect_true(fit$converged)
  expect_equal(unname(coef(fit)), ref, tolerance = 1e-6)
})

test_that("Newton from a start where the outlier's Fisher step is far out of reach still descends", {
  # at sigma = 1 the outlier's squared residual is 1e24: the Fisher scoring
  # direction (its scale curvature 2, the exact one 2e24) asks for a step of
  # about 1e22, beyond any number of halvings
  d <- outlier_data()
  fit <- suppressWarnings(gradglm(y ~ x, sigma = ~ z, data = d, optimizer = "newton", start = c(1, 2, 0, 0),
                                  control = gradglm_control(max_iter = 200)))
  ref <- gradglm(y ~ x, sigma = ~ z, data = d)
  expect_true(fit$converged)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-9)
})

test_that("a Laplace sigma model beside a gross outlier: the exact location step's certificate holds", {
  d <- outlier_data()
  fit <- expect_silent(gradglm(y ~ x, sigma = ~ z, data = d, family = laplace()))
  expect_true(fit$converged)
  b <- unname(coef(fit))
  X <- cbind(1, d$x)
  Z <- cbind(1, d$z)
  nll <- function(th) {
    s <- drop(Z %*% th[3:4])
    sum(log(2) + s + abs(d$y - drop(X %*% th[1:2])) / exp(s))
  }
  expect_equal(-nll(b), as.numeric(logLik(fit)), tolerance = 1e-10)
  # no better point nearby: Nelder-Mead restarted from the fit, and from a
  # spread of starts around it
  for (k in 0:4) {
    st <- b + if (k == 0) 0 else c(0.1, 0.1, 0.1, 0.5) * stats::rnorm(4)
    o <- stats::optim(st, nll, control = list(maxit = 2e4, reltol = 1e-15))
    expect_gte(-nll(b), -o$value - 1e-7)
  }
  # the scale's score at the fit: sum (1 - |z_i|) (1, z_i) = 0
  s <- exp(drop(Z %*% b[3:4]))
  zr <- abs(d$y - drop(X %*% b[1:2])) / s
  expect_lt(max(abs(crossprod(Z, 1 - zr))), 1e-6)
})
