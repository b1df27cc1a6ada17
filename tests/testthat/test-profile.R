# profile() of a GLM fit: tau, the signed root of the deviance's rise over the
# dispersion, against refits by glm.fit() with the coefficient in the offset.

ref_tau <- function(X, y, w, j, b, family, dev0, disp, b0) {
  s <- glm.fit(X[, -j, drop = FALSE], y, weights = w, offset = X[, j] * b, family = family,
               control = glm.control(epsilon = 1e-14, maxit = 100))
  sign(b - b0) * sqrt(max(s$deviance - dev0, 0) / disp)
}

test_that("profile() gives glm's tau on a grid of each coefficient, with the others refitted", {
  fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph, family = binomial())
  g <- glm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph, family = binomial())
  pr <- profile(fit, which = c("alcgp.L", "alcgp.Q"))
  expect_s3_class(pr, c("profile.gradglm", "profile.glm", "profile"))
  expect_identical(names(pr), c("alcgp.L", "alcgp.Q"))
  X <- model.matrix(g)
  y <- cbind(esoph$ncases, esoph$ncontrols)
  zmax <- sqrt(qchisq(0.99, 1))
  for (pm in names(pr)) {
    p <- pr[[pm]]
    j <- match(pm, colnames(X))
    b <- p$par.vals[, pm]
    expect_false(is.unsorted(b))
    expect_false(is.unsorted(p$tau))
    # (the estimate itself, tau 0, with every coefficient at its estimate)
    mid <- which(p$tau == 0)
    expect_length(mid, 1L)
    expect_equal(p$par.vals[mid, ], coef(fit))
    # the grid: steps of zmax / 5 standard errors, until |tau| passes zmax
    se <- sqrt(diag(vcov(fit)))[[pm]]
    expect_equal(diff(b), rep(zmax / 5 * se, length(b) - 1L), tolerance = 1e-10)
    expect_gt(min(p$tau), -Inf)
    expect_true(abs(p$tau[1]) > zmax || mid == 11L)
    expect_true(abs(p$tau[length(b)]) > zmax || length(b) - mid == 10L)
    ref <- vapply(b, function(bb) ref_tau(X, y, NULL, j, bb, binomial(), g$deviance, 1, coef(g)[[j]]), 0)
    expect_equal(p$tau, ref, tolerance = 1e-6)
    # (the other coefficients along the profile are the refits')
    k <- length(b)
    s <- glm.fit(X[, -j], y, offset = X[, j] * b[k], family = binomial(), control = glm.control(epsilon = 1e-14))
    expect_equal(unname(p$par.vals[k, -j]), unname(coef(s)), tolerance = 1e-7)
  }
  # confint() of the profile interpolates what confint() of the fit solves for
  expect_equal(confint(pr), confint(fit, parm = c("alcgp.L", "alcgp.Q")), tolerance = 1e-4)
  expect_equal(confint(pr, "alcgp.L", level = 0.9), confint(fit, "alcgp.L", level = 0.9), tolerance = 1e-4)
  expect_error(confint(pr, parm = "zz"), "'parm' names unknown coefficient\\(s\\) 'zz'")
  expect_error(confint(fit, parm = "zz"), "'parm' names unknown parameter\\(s\\) 'zz'")
  expect_error(confint(fit, parm = 0), "'parm' positions must be whole numbers between 1 and 9")
  expect_error(profile(fit, which = list(1)), "'which' must be coefficient names or positions")
  pdf(NULL)
  on.exit(dev.off(), add = TRUE)
  expect_silent(plot(pr))
})

test_that("profile() of a Gaussian fit divides the deviance's rise by the dispersion; bad arguments are errors", {
  set.seed(4)
  d <- data.frame(x = rnorm(40), z = runif(40))
  d$y <- 1 + 0.5 * d$x + rnorm(40)
  fit <- gradglm(y ~ x + z, data = d)
  g <- glm(y ~ x + z, data = d)
  pr <- profile(fit, which = "x", maxsteps = 4, del = 0.5)
  p <- pr$x
  expect_equal(nrow(p), 9L)
  X <- model.matrix(g)
  disp <- summary(g)$dispersion
  ref <- vapply(p$par.vals[, "x"], function(b) ref_tau(X, d$y, NULL, 2L, b, gaussian(), g$deviance, disp,
                                                       coef(g)[["x"]]), 0)
  expect_equal(p$tau, ref, tolerance = 1e-6)
  # (a Gaussian profile is a straight line: tau = (b - estimate) / se)
  expect_equal(p$tau, (p$par.vals[, "x"] - coef(g)[["x"]]) / sqrt(diag(vcov(g)))[["x"]], tolerance = 1e-6)
  expect_error(profile(fit, alpha = 2), "'alpha' must be a single number between 0 and 1")
  expect_error(profile(fit, maxsteps = 0), "'maxsteps' must be one whole number")
  expect_error(profile(fit, del = -1), "'del' must be one positive number")
  expect_error(profile(fit, which = "w"), "'which' names unknown coefficient\\(s\\) 'w'")
  expect_error(profile(fit, which = 7), "'which' positions must be whole numbers between 1 and 3")
  expect_error(profile(gradglm(y ~ x, data = d, penalty = ridge(0.1))), "without a penalty")
  # (an aliased coefficient has no profile, and is said)
  d$x2 <- 2 * d$x
  fa <- gradglm(y ~ x + x2, data = d)
  expect_identical(names(profile(fa)), c("(Intercept)", "x"))
  expect_warning(pa <- profile(fa, which = c("x", "x2")), "no profile of 'x2' \\(aliased")
  expect_identical(names(pa), "x")
})
