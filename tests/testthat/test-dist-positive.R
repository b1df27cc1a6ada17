# Gamma() and inverse.gaussian() with a sigma model: the dispersion as a
# parameter of the likelihood (sigma = sqrt(dispersion), log(sigma) linear in
# the sigma model's terms), fitted jointly with the mean by maximum
# likelihood. The likelihood row by row, then fits against glm (a constant
# sigma: glm's coefficients; MASS::gamma.shape's shape; for the inverse
# Gaussian, glm's own log-likelihood, whose dispersion deviance / n is the
# maximum-likelihood one) and against optim polished on the log-likelihood.

pos_ll <- function(dist, y, mu, sigma) {
  if (dist == 6L) return(dgamma(y, shape = 1 / sigma^2, scale = mu * sigma^2, log = TRUE))
  -0.5 * log(2 * pi * sigma^2 * y^3) - (y - mu)^2 / (2 * sigma^2 * mu^2 * y)
}

pos_data <- function(n = 400, seed = 1, link = "log") {
  set.seed(seed)
  d <- data.frame(x = runif(n), z = runif(n), w = runif(n, 0.5, 2))
  mu <- make.link(link)$linkinv(if (link == "log") 1 + d$x else if (link == "inverse") 0.4 + 0.3 * d$x else 2 + d$x)
  sg <- exp(-1 + 1.5 * d$z)
  d$y <- rgamma(n, shape = 1 / sg^2, scale = mu * sg^2)
  d
}

test_that("the engine's Gamma and inverse Gaussian with log(sigma): loss, gradient, curvature", {
  set.seed(4)
  n <- 120
  X <- cbind(1, rnorm(n))
  Z <- cbind(1, runif(n))
  w <- runif(n, 0.5, 2)
  cases <- list(c(6L, "log"), c(6L, "inverse"), c(6L, "identity"), c(7L, "log"), c(7L, "1/mu^2"), c(7L, "identity"))
  for (cs in cases) {
    dist <- as.integer(cs[1])
    link <- cs[2]
    lk <- make.link(link)
    b <- switch(link, log = c(0.5, 0.3), inverse = c(0.5, 0.05), "1/mu^2" = c(0.5, 0.05), identity = c(2, 0.3))
    g <- c(-0.7, 0.4)
    mu <- lk$linkinv(drop(X %*% b))
    y <- rgamma(n, shape = 2, scale = mu / 2)
    off <- rnorm(n, sd = 0.01)
    spec <- list(designs = list(X, Z), block_design = c(0L, 1L), block_m = c(1L, 1L), y = y, weights = w,
                 offsets = list(off),
                 likelihood = list(type = "location_scale", dist = dist, link = gradglm:::link_codes[[link]],
                                   df = NA_real_))
    th <- c(b, g) * 1.05
    ev <- function(t, curv = "none") gradglm:::model_eval(spec, t, curv)
    lab <- paste(dist, link)
    o <- ev(th, "observed")
    mu <- lk$linkinv(drop(X %*% th[1:2]) + off)
    sg <- exp(drop(Z %*% th[3:4]))
    expect_close(o$loss, -sum(w * pos_ll(dist, y, mu, sg)) / sum(w), 1e-12, label = paste(lab, "loss"))
    fd <- as.vector(num_deriv(function(t) ev(t)$loss, th, h = 1e-6))
    expect_close(o$gradient, fd, 1e-6, floor = 1e-3 * max(abs(fd)), label = paste(lab, "gradient"))
    fc <- num_deriv(function(t) ev(t)$gradient, th, h = 1e-6)
    expect_lt(max(abs(o$curvature - fc)), 1e-6 * max(abs(fc)))
    # expected information: mean and log(sigma) orthogonal; for log(sigma)
    # 4 nu^2 (trigamma(nu) - 1 / nu) per row (Gamma, nu = 1 / sigma^2) or 2
    f <- ev(th, "fisher")$curvature
    expect_true(all(f[1:2, 3:4] == 0))
    nu <- 1 / sg^2
    iss <- if (dist == 6L) 4 * nu^2 * (trigamma(nu) - 1 / nu) else rep(2, n)
    expect_close(f[3:4, 3:4], crossprod(Z, w * iss * Z) / sum(w), 1e-10, label = paste(lab, "Fisher, sigma"))
    me <- lk$mu.eta(drop(X %*% th[1:2]) + off)
    iee <- me^2 / (sg^2 * mu^(if (dist == 6L) 2 else 3))
    expect_close(f[1:2, 1:2], crossprod(X, w * iee * X) / sum(w), 1e-10, label = paste(lab, "Fisher, mean"))
  }
})

test_that("Gamma with sigma = ~ 1: glm's coefficients and the maximum-likelihood shape", {
  skip_if_not_installed("MASS")
  cl <- data.frame(u = c(5, 10, 15, 20, 30, 40, 60, 80, 100), lot1 = c(118, 58, 42, 35, 27, 25, 21, 19, 18))
  g <- glm(lot1 ~ log(u), data = cl, family = Gamma, control = glm.control(epsilon = 1e-12, maxit = 100))
  f <- gradglm(lot1 ~ log(u), data = cl, family = Gamma, sigma = ~ 1)
  expect_identical(f$kind, "likelihood")
  expect_close(coef(f)[1:2], coef(g), 1e-8, label = "coefficients")
  # the shape's score at glm's means, solved to the last digit
  mu <- fitted(g)
  score <- function(nu) sum(log(nu) - digamma(nu) + log(cl$lot1 / mu) - cl$lot1 / mu + 1)
  nu <- uniroot(score, c(1, 1e5), tol = 1e-14)$root
  expect_close(exp(-2 * coef(f)[[3]]), nu, 1e-8, label = "shape")
  expect_close(exp(-2 * coef(f)[[3]]), MASS::gamma.shape(g, it.lim = 100, eps.max = 1e-10)$alpha, 1e-6,
               label = "shape vs MASS::gamma.shape")
  expect_equal(sigma(f), 1 / sqrt(nu), tolerance = 1e-8)
  ll <- sum(dgamma(cl$lot1, shape = nu, scale = mu / nu, log = TRUE))
  expect_close(as.numeric(logLik(f)), ll, 1e-10, label = "log-likelihood")
  # glm's AIC takes the dispersion deviance / n, not the maximum-likelihood one
  expect_gt(as.numeric(logLik(f)), as.numeric(logLik(g)))
  expect_identical(attr(logLik(f), "df"), 3L)
})

test_that("inverse.gaussian with sigma = ~ 1 is glm's maximum-likelihood fit, with glm's log-likelihood", {
  d <- pos_data()
  for (link in c("1/mu^2", "log")) {
    f <- gradglm(y ~ x, data = d, weights = w, family = inverse.gaussian(link = link), sigma = ~ 1)
    g <- glm(y ~ x, data = d, weights = w, family = inverse.gaussian(link = link), start = coef(f)[1:2],
             control = glm.control(epsilon = 1e-14, maxit = 100))
    expect_close(coef(f)[1:2], coef(g), 1e-8, label = paste(link, "coefficients"))
    expect_close(sigma(f)^2, deviance(g) / sum(d$w), 1e-8, label = paste(link, "dispersion deviance / n"))
    expect_close(as.numeric(logLik(f)), as.numeric(logLik(g)), 1e-10, label = paste(link, "log-likelihood"))
    expect_equal(attr(logLik(f), "df"), attr(logLik(g), "df"))
  }
})

test_that("a distributional Gamma regression: the maximum of the likelihood, its standard errors", {
  for (link in c("log", "inverse")) {
    d <- pos_data(link = link)
    f <- gradglm(y ~ x, data = d, weights = w, family = Gamma(link = link), sigma = ~ z)
    expect_true(f$converged)
    lk <- make.link(link)
    nll <- function(p) {
      mu <- lk$linkinv(p[1] + p[2] * d$x)
      if (any(mu <= 0)) return(1e100)  # (outside the inverse link's valid region)
      -sum(d$w * pos_ll(6L, d$y, mu, exp(p[3] + p[4] * d$z)))
    }
    o <- optim(unname(coef(f)) * 0.95, nll, method = "BFGS", control = list(reltol = 1e-15, maxit = 2000))
    # no better optimum near ours: ours at least as high as optim's, and close
    expect_gte(as.numeric(logLik(f)), -o$value - 1e-9 * o$value)
    expect_close(coef(f), o$par, 1e-4, floor = 1e-2, label = paste(link, "coefficients vs optim"))
    H <- optimHess(unname(coef(f)), nll)
    expect_close(sqrt(diag(vcov(f))), sqrt(diag(solve(H))), 1e-5, label = paste(link, "standard errors"))
    # the other optimizers
    for (opt in c("lbfgs", "gd")) {
      fo <- gradglm(y ~ x, data = d, weights = w, family = Gamma(link = link), sigma = ~ z, optimizer = opt)
      expect_close(coef(fo), coef(f), 1e-5, floor = 1e-2, label = paste(link, opt))
    }
    set.seed(1)
    fa <- gradglm(y ~ x, data = d, weights = w, family = Gamma(link = link), sigma = ~ z, optimizer = "adam")
    expect_lt(max(abs(coef(fa) - coef(f)) / sqrt(diag(vcov(f)))), 0.25)
  }
})

test_that("methods of a Gamma or inverse Gaussian sigma model use the distribution's own sd, cdf and density", {
  d <- pos_data()
  f <- gradglm(y ~ x, data = d, family = Gamma(link = "log"), sigma = ~ z)
  mu <- fitted(f)
  sg <- f$sigma
  expect_close(residuals(f, type = "pearson"), (d$y - mu) / (sg * mu), 1e-12, label = "pearson")
  expect_close(residuals(f, type = "quantile"),
               qnorm(pgamma(d$y, shape = 1 / sg^2, scale = mu * sg^2)), 1e-8, label = "quantile")
  expect_close(evaluate(f, newdata = d)$loglik, as.numeric(logLik(f)), 1e-10, label = "evaluate() log-likelihood")
  p <- predict(f, newdata = data.frame(x = 0.5, z = c(0, 1)), type = "sigma", se.fit = TRUE)
  expect_close(p$fit, exp(coef(f)[3] + coef(f)[4] * c(0, 1)), 1e-12, label = "predicted sigma")
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(plot(f, which = "residuals"))
  fx <- gradglm(y ~ x, data = d, family = Gamma(link = "log"), sigma = ~ x)
  fd <- gradglm:::.ls_plot_fit_data(fx)
  expect_identical(fd$labels[2], "mean \u00b1 2 sd")
  expect_close(fd$hi - fd$mu, 2 * fd$mu * predict(fx, newdata = data.frame(x = fd$grid), type = "sigma"), 1e-10,
               label = "band: 2 sd = 2 sigma mu")
  # the inverse Gaussian's distribution function, both tails, against the density's integral
  ls <- gradglm:::family_row(inverse.gaussian())$location_scale
  for (yv in c(0.05, 0.7, 1.3, 6)) {
    p_lo <- integrate(function(t) exp(ls$log_density(t, 1.2, 0.8, NULL)), 0, yv, rel.tol = 1e-12)$value
    expect_close(exp(ls$log_cdf(yv, 1.2, 0.8, NULL, TRUE)), p_lo, 1e-8, label = paste("IG cdf at", yv))
    p_up <- integrate(function(t) exp(ls$log_density(t, 1.2, 0.8, NULL)), yv, Inf, rel.tol = 1e-12)$value
    expect_close(exp(ls$log_cdf(yv, 1.2, 0.8, NULL, FALSE)), p_up, 1e-7, label = paste("IG upper tail at", yv))
  }
})

test_that("positive families with a sigma model: bad input", {
  d <- data.frame(x = 1:8, y = c(0, 1, 2, 3, 1, 2, 5, 2))
  expect_error(gradglm(y ~ x, data = d, family = Gamma, sigma = ~ 1), "must be positive for family Gamma")
  expect_error(gradglm(y ~ x, data = d, family = binomial, sigma = ~ 1), "has no scale parameter.*Gamma")
  expect_error(gradglm(y ~ x, data = transform(d, y = y + 1), family = Gamma, sigma = ~ x, optimizer = "exact"),
               "exact")
})
