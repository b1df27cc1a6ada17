# The mean loss and its analytic gradient (gradglm:::loss_grad_eval) against
# the deviance from stats' closures and against central finite differences.
#
# loss(beta) = sum(w * dev.resids(y, mu, 1)) / (2 * sum(w)),  mu = linkinv(X beta + offset)

lge <- function(x, y, w, off, family, link, beta) {
  gradglm:::loss_grad_eval(x, as.numeric(y), as.numeric(w), as.numeric(off),
                           dist_code[[family]], link_code[[link]], as.numeric(beta))
}

# A small design with an intercept, a numeric column, a dummy and a wide
# column, unequal weights (some zero) and an offset; the response suits the
# family and beta keeps eta inside the link's valid range.
make_problem <- function(family, link, n = 60L, seed = 1L) {
  set.seed(seed)
  x <- cbind(1, x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), x3 = runif(n, 0, 10))
  w <- round(runif(n, 0, 3), 1)
  w[c(3, 17)] <- 0
  off <- runif(n, -0.2, 0.2)
  # the positive families: eta > 0 for the inverse and 1/mu^2 links, mu > 0 for the identity
  positive <- switch(link, log = c(0.5, 0.3, -0.2, 0.04), identity = c(4, 0.5, 1, 0.3), c(1, 0.1, 0.3, 0.05))
  beta <- switch(family,
    gaussian = if (link == "log") c(0.3, 0.2, -0.3, 0.05) else c(1, 2, -1, 0.5),
    binomial = if (link == "log") c(-1.5, 0.2, -0.3, 0.04) else c(-0.4, 0.7, -0.5, 0.06),
    poisson = switch(link, log = c(0.5, 0.3, -0.2, 0.04), identity = c(4, 0.5, 1, 0.3),
                     sqrt = c(2, 0.2, 0.5, 0.1)),
    Gamma = positive, inverse.gaussian = positive
  )
  if (family == "poisson" && link != "log") off <- abs(off)
  eta <- drop(x %*% beta) + off
  mu <- stats_family(family, link)$linkinv(eta)
  y <- switch(family,
    gaussian = mu + rnorm(n, sd = 0.5),
    binomial = rbinom(n, 10, mu) / 10,
    poisson = rpois(n, mu),
    Gamma = rgamma(n, shape = 5, scale = mu / 5),
    inverse.gaussian = rinvgauss_msh(n, mu, 10)
  )
  # evaluate the loss away from the truth so that the gradient is not ~0
  list(x = x, y = y, w = w, off = off, beta = beta * c(1.1, 0.8, 1.2, 0.9))
}

# Central differences with a Richardson step: error O(h^4).
num_grad <- function(f, beta) {
  vapply(seq_along(beta), function(j) {
    h <- 1e-4 * max(1, abs(beta[j]))
    e <- replace(numeric(length(beta)), j, 1)
    d1 <- (f(beta + h * e) - f(beta - h * e)) / (2 * h)
    d2 <- (f(beta + 2 * h * e) - f(beta - 2 * h * e)) / (4 * h)
    (4 * d1 - d2) / 3
  }, 0)
}

test_that("the loss is sum(w * dev.resids) / (2 * sum(w)) for every family and link", {
  for (fl in all_family_links) {
    pr <- make_problem(fl[1], fl[2])
    fam <- stats_family(fl[1], fl[2])
    mu <- fam$linkinv(drop(pr$x %*% pr$beta) + pr$off)
    want <- sum(fam$dev.resids(pr$y, mu, pr$w)) / (2 * sum(pr$w))
    got <- lge(pr$x, pr$y, pr$w, pr$off, fl[1], fl[2], pr$beta)
    expect_close(got$loss, want, 1e-10, label = paste("loss", paste(fl, collapse = "/")))
    expect_length(got$gradient, ncol(pr$x))
  }
})

test_that("the gradient is X'(w * -(y - mu) mu.eta / V) / sum(w) (stats' closures)", {
  for (fl in all_family_links) {
    pr <- make_problem(fl[1], fl[2], seed = 2L)
    fam <- stats_family(fl[1], fl[2])
    eta <- drop(pr$x %*% pr$beta) + pr$off
    mu <- fam$linkinv(eta)
    r <- -pr$w * (pr$y - mu) * fam$mu.eta(eta) / fam$variance(mu)
    want <- drop(crossprod(pr$x, r)) / sum(pr$w)
    got <- lge(pr$x, pr$y, pr$w, pr$off, fl[1], fl[2], pr$beta)
    expect_close(got$gradient, want, 1e-9, floor = 1e-6,
                 label = paste("gradient", paste(fl, collapse = "/")))
  }
})

test_that("the analytic gradient matches central finite differences, with weights and offsets", {
  for (fl in all_family_links) {
    for (seed in 1:2) {
      pr <- make_problem(fl[1], fl[2], seed = seed)
      f <- function(b) lge(pr$x, pr$y, pr$w, pr$off, fl[1], fl[2], b)$loss
      got <- lge(pr$x, pr$y, pr$w, pr$off, fl[1], fl[2], pr$beta)$gradient
      fd <- num_grad(f, pr$beta)
      expect_close(got, fd, 1e-6, floor = 1e-4,
                   label = sprintf("gradient vs finite differences, %s/%s, seed %d", fl[1], fl[2], seed))
      # the gradient is not trivially zero (the test has teeth)
      expect_gt(sqrt(sum(got^2)), 1e-3)
    }
  }
})

test_that("the offset enters eta: shifting the offset is shifting the intercept", {
  for (fl in all_family_links) {
    pr <- make_problem(fl[1], fl[2], seed = 3L)
    a <- lge(pr$x, pr$y, pr$w, pr$off + 0.05, fl[1], fl[2], pr$beta)
    b <- lge(pr$x, pr$y, pr$w, pr$off, fl[1], fl[2], pr$beta + c(0.05, 0, 0, 0))
    expect_equal(a$loss, b$loss, tolerance = 1e-12)
    expect_equal(a$gradient, b$gradient, tolerance = 1e-10)
  }
})

test_that("rows with zero weight do not count (even where their loss would be infinite)", {
  pr <- make_problem("poisson", "identity", seed = 4L)
  keep <- pr$w > 0
  full <- lge(pr$x, pr$y, pr$w, pr$off, "poisson", "identity", pr$beta)
  sub <- lge(pr$x[keep, ], pr$y[keep], pr$w[keep], pr$off[keep], "poisson", "identity", pr$beta)
  expect_equal(full$loss, sub$loss, tolerance = 1e-12)
  expect_equal(full$gradient, sub$gradient, tolerance = 1e-12)
  # a zero-weight row with mu = eta < 0 is ignored
  off <- pr$off
  off[!keep] <- -1e3
  bad <- lge(pr$x, pr$y, pr$w, off, "poisson", "identity", pr$beta)
  expect_equal(bad$loss, full$loss, tolerance = 1e-12)
  expect_true(all(is.finite(bad$gradient)))
  # ... but with positive weight the loss is +Inf, not NaN
  off[!keep] <- 0
  off[1] <- -1e3
  worse <- lge(pr$x, pr$y, pr$w, off, "poisson", "identity", pr$beta)
  expect_identical(worse$loss, Inf)
})

test_that("extreme linear predictors give finite losses and gradients", {
  pr <- make_problem("binomial", "logit", seed = 5L)
  for (link in c("logit", "probit", "cloglog")) {
    for (scale in c(100, -100, 1000)) {
      beta <- pr$beta * scale  # |eta| up to ~1e3 and beyond
      got <- lge(pr$x, pr$y, pr$w, pr$off, "binomial", link, beta)
      expect_true(is.finite(got$loss))
      expect_true(all(is.finite(got$gradient)))
    }
  }
  pr <- make_problem("poisson", "log", seed = 5L)
  for (scale in c(-100, 20)) {
    got <- lge(pr$x, pr$y, pr$w, pr$off, "poisson", "log", pr$beta * scale)
    expect_true(is.finite(got$loss))
    expect_true(all(is.finite(got$gradient)))
  }
})

test_that("loss_grad_eval rejects non-conforming input", {
  pr <- make_problem("gaussian", "identity")
  expect_error(lge(pr$x, pr$y[-1], pr$w, pr$off, "gaussian", "identity", pr$beta), "conform")
  expect_error(lge(pr$x, pr$y, pr$w, pr$off, "gaussian", "identity", pr$beta[-1]), "conform")
})
