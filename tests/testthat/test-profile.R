# profile() of a GLM fit: z (or tau), the signed root of the deviance's rise over
# the dispersion, against refits by glm.fit() with the coefficient in the offset,
# and against glm's own profile (MASS's profile.glm()).

ref_tau <- function(X, y, w, j, b, family, dev0, disp, b0) {
  s <- glm.fit(X[, -j, drop = FALSE], y, weights = w, offset = X[, j] * b, family = family,
               control = glm.control(epsilon = 1e-14, maxit = 100))
  sign(b - b0) * sqrt(max(s$deviance - dev0, 0) / disp)
}

test_that("profile() gives glm's z on a grid of each coefficient, with the others refitted", {
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
    expect_identical(names(p), c("z", "par.vals"))  # (a fixed dispersion: z, as glm's)
    expect_false(is.unsorted(p$z))
    # (the estimate itself, z 0, with every coefficient at its estimate)
    mid <- which(p$z == 0)
    expect_length(mid, 1L)
    expect_equal(p$par.vals[mid, ], coef(fit))
    # the grid: steps of zmax / 5 standard errors, until |z| passes zmax (at most 10 points each way)
    se <- sqrt(diag(vcov(fit)))[[pm]]
    expect_equal(diff(b), rep(zmax / 5 * se, length(b) - 1L), tolerance = 1e-10)
    expect_gt(min(p$z), -Inf)
    expect_true(abs(p$z[1]) > zmax || mid == 10L)
    expect_true(abs(p$z[length(b)]) > zmax || length(b) - mid == 9L)
    ref <- vapply(b, function(bb) ref_tau(X, y, NULL, j, bb, binomial(), g$deviance, 1, coef(g)[[j]]), 0)
    expect_equal(p$z, ref, tolerance = 1e-6)
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

test_that("profile() is glm's: the same grid, roots, names and cutoffs (MASS's profile.glm())", {
  # polished glm fits, whose profile's refits take the same tight control
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  ctl <- gradglm_control(tol = 1e-12)
  # (glm's profile method: MASS's, in stats from R 4.4)
  glm_profile <- if (exists("profile.glm", envir = asNamespace("stats"), inherits = FALSE)) {
    get("profile.glm", envir = asNamespace("stats"))
  } else {
    get("profile.glm", envir = asNamespace("MASS"))
  }
  set.seed(4)
  d <- data.frame(x = rnorm(150), z = runif(150))
  d$cnt <- rpois(150, 3 * exp(0.3 * d$x))
  d$y <- 1 + 0.5 * d$x + rnorm(150)
  cases <- list(
    list(cbind(ncases, ncontrols) ~ agegp + alcgp, esoph, binomial(), c("alcgp.L", "alcgp.Q")),
    # (a Gaussian's tau is a straight line: its default grid's fifth point is at zmax
    # itself, where rounding decides whether the grid goes on; hence another step)
    list(y ~ x + z, d, gaussian(), NULL, 0.3),
    list(cnt ~ x, d, quasipoisson(), NULL),
    # (an inverse Gaussian's linear predictor must stay positive: the refits
    # reach the lower ends of the profiles only in smaller steps)
    list(I(cnt + 1) ~ x, d, inverse.gaussian(), NULL))
  for (cs in cases) {
    fit <- gradglm(cs[[1]], data = cs[[2]], family = cs[[3]], control = ctl)
    g <- glm(cs[[1]], data = cs[[2]], family = cs[[3]], control = gctl)
    which <- if (is.null(cs[[4]])) names(coef(g)) else cs[[4]]
    del <- if (length(cs) > 4L) cs[[5]] else NULL
    ours <- if (is.null(del)) profile(fit, which = which) else profile(fit, which = which, del = del)
    ref <- if (is.null(del)) glm_profile(g, which = match(which, names(coef(g)))) else
      glm_profile(g, which = match(which, names(coef(g))), del = del)
    for (pm in which) {
      expect_identical(names(ours[[pm]]), names(ref[[pm]]), label = paste(cs[[3]]$family, pm))
      expect_equal(ours[[pm]]$par.vals, ref[[pm]]$par.vals, tolerance = 1e-7, label = paste(cs[[3]]$family, pm))
      expect_equal(ours[[pm]][[1]], ref[[pm]][[1]], tolerance = 1e-6, label = paste(cs[[3]]$family, pm))
    }
    # the intervals: the fit's solved limits and glm's interpolated ones
    expect_equal(suppressMessages(confint(fit)), suppressMessages(confint(g)), tolerance = 1e-4,
                 label = cs[[3]]$family)
  }
  # the inverse Gaussian's lower limits, solved, are the roots of the refits' deviance
  fit <- gradglm(I(cnt + 1) ~ x, data = d, family = inverse.gaussian(), control = ctl)
  g <- glm(I(cnt + 1) ~ x, data = d, family = inverse.gaussian(), control = gctl)
  ci <- expect_silent(confint(fit))
  X <- model.matrix(g)
  disp <- summary(g)$dispersion
  for (j in 1:2) {
    # (glm.fit()'s refit, started from the fit's linear predictor, which is valid)
    tau_at <- function(b) {
      s <- glm.fit(X[, -j, drop = FALSE], d$cnt + 1, offset = X[, j] * b, family = inverse.gaussian(),
                   etastart = g$linear.predictors, control = gctl)
      sign(b - coef(g)[[j]]) * sqrt((s$deviance - g$deviance) / disp)
    }
    expect_equal(tau_at(ci[j, 1]), qnorm(0.025), tolerance = 1e-6)
    expect_equal(tau_at(ci[j, 2]), qnorm(0.975), tolerance = 1e-6)
  }
  # an intercept alone whose Wald interval reaches below 0, where no inverse
  # Gaussian mean exists: the profile's limit lies before that edge (glm's
  # profile stops there with an error)
  y <- c(2.9235355, 0.2687448, 0.5801575, 2.2134108, 1.0648652, 2.8838404, 0.8356088, 0.2882322)
  f0 <- gradglm(y ~ 1, family = inverse.gaussian(), control = ctl)
  expect_lt(coef(f0) - qnorm(0.975) * sqrt(vcov(f0)[1, 1]), 0)
  ci0 <- expect_silent(confint(f0))
  fam <- inverse.gaussian()
  z0 <- function(b) sign(b - coef(f0)) * sqrt((sum(fam$dev.resids(y, fam$linkinv(b), rep(1, 8))) - deviance(f0)) /
                                                summary(f0)$dispersion)
  expect_equal(c(z0(ci0[1]), z0(ci0[2])), qnorm(c(0.025, 0.975)), tolerance = 1e-7, ignore_attr = TRUE)
})

test_that("profile() of a Gaussian fit divides the deviance's rise by the dispersion; bad arguments are errors", {
  set.seed(4)
  d <- data.frame(x = rnorm(40), z = runif(40))
  d$y <- 1 + 0.5 * d$x + rnorm(40)
  fit <- gradglm(y ~ x + z, data = d)
  g <- glm(y ~ x + z, data = d)
  pr <- profile(fit, which = "x", maxsteps = 4, del = 0.5)
  p <- pr$x
  expect_identical(names(p), c("tau", "par.vals"))  # (an estimated dispersion: tau, as glm's)
  expect_equal(nrow(p), 7L)  # (maxsteps = 4: four points each way, the estimate's included)
  X <- model.matrix(g)
  disp <- summary(g)$dispersion
  ref <- vapply(p$par.vals[, "x"], function(b) ref_tau(X, d$y, NULL, 2L, b, gaussian(), g$deviance, disp,
                                                       coef(g)[["x"]]), 0)
  expect_equal(p$tau, ref, tolerance = 1e-6)
  # (a Gaussian profile is a straight line: tau = (b - estimate) / se)
  expect_equal(p$tau, (p$par.vals[, "x"] - coef(g)[["x"]]) / sqrt(diag(vcov(g)))[["x"]], tolerance = 1e-6)
  expect_error(profile(fit, alpha = 2), "'alpha' must be a single number between 0 and 1")
  expect_error(profile(fit, maxsteps = 0), "'maxsteps' must be a positive whole number")
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

test_that("an ordinal fit's location coefficients have polr's profile and profile intervals", {
  house <- MASS::housing
  ctl <- gradglm_control(tol = 1e-12)
  fit <- gradglm(Sat ~ Infl + Cont, weights = Freq, data = house, family = ordinal(), control = ctl)
  m <- MASS::polr(Sat ~ Infl + Cont, weights = Freq, data = house, Hess = TRUE, control = list(reltol = 1e-14))
  pr <- profile(fit)
  pm <- profile(m)
  expect_identical(names(pr), names(pm))
  for (pm_name in names(pm)) {
    expect_identical(names(pr[[pm_name]]), c("z", "par.vals"))
    expect_equal(pr[[pm_name]]$par.vals[, names(coef(m))], pm[[pm_name]]$par.vals, tolerance = 1e-6)
    expect_equal(pr[[pm_name]]$z, pm[[pm_name]]$z, tolerance = 1e-6)
  }
  # the solved limits: polr's refit with the coefficient in the offset is
  # qnorm below the maximum there (polr's own limits are read off a spline)
  ci <- confint(fit)
  cm <- suppressMessages(confint(m))
  expect_equal(ci[names(coef(m)), ], cm, tolerance = 1e-5)
  X <- model.matrix(~ Infl + Cont, house)[, -1]
  for (j in seq_len(ncol(X))) {
    for (side in 1:2) {
      b <- ci[colnames(X)[j], side]
      dd <- data.frame(Sat = house$Sat, Freq = house$Freq, X[, -j, drop = FALSE], o = X[, j] * b)
      refit <- MASS::polr(Sat ~ . - Freq - o + offset(o), weights = Freq, data = dd,
                          control = list(reltol = 1e-15, maxit = 2000))
      expect_equal(refit$deviance - m$deviance, qnorm(0.975)^2, tolerance = 1e-6)
    }
  }
  # the cut-points keep their Wald intervals
  expect_equal(ci[c("Low|Medium", "Medium|High"), ], confint(fit, method = "wald")[c("Low|Medium", "Medium|High"), ])
  # a single coefficient: the refits are of the cut-points alone
  f1 <- gradglm(Sat ~ Cont, weights = Freq, data = house, family = ordinal(), control = ctl)
  m1 <- MASS::polr(Sat ~ Cont, weights = Freq, data = house, Hess = TRUE, control = list(reltol = 1e-14))
  expect_equal(confint(f1)["ContHigh", ], suppressMessages(confint(m1)), tolerance = 1e-5, ignore_attr = TRUE)
})

test_that("location-scale fits: profile limits where twice the log-likelihood falls by qnorm^2", {
  # Laplace, y ~ x: with the slope held at b, the intercept is the median of
  # y - b x and the scale the mean absolute deviation from it, in closed form
  set.seed(11)
  d <- data.frame(x = rnorm(60))
  d$y <- 1 + 0.5 * d$x + rexp(60) - rexp(60)
  fit <- gradglm(y ~ x, data = d, family = laplace())
  ll_at <- function(b) {
    r <- d$y - b * d$x
    s <- mean(abs(r - median(r)))
    -length(r) * (log(2 * s) + 1)
  }
  ci <- confint(fit)
  for (side in 1:2) expect_equal(2 * (logLik(fit)[1] - ll_at(ci["x", side])), qnorm(0.975)^2, tolerance = 1e-6)
  expect_equal(ci["sigma:(Intercept)", ], confint(fit, method = "wald")["sigma:(Intercept)", ])
  # Student-t with 4 df, y ~ x and a scale model: the profile's refits against optim()
  d$y <- 1 + 0.5 * d$x + exp(0.3 * d$x) * rt(60, 4)
  fit <- gradglm(y ~ x, sigma = ~ x, data = d, family = student_t(df = 4), control = gradglm_control(tol = 1e-12))
  nll <- function(th, b) {
    s <- exp(th[2] + th[3] * d$x)
    -sum(dt((d$y - th[1] - b * d$x) / s, 4, log = TRUE) - log(s))
  }
  best_at <- function(b) {
    cf <- coef(fit)
    o <- stats::optim(cf[c(1, 3, 4)], nll, b = b, method = "BFGS", control = list(reltol = 1e-15, maxit = 1000))
    # (polished by Newton steps on a numerical Hessian)
    th <- o$par
    for (k in 1:3) {
      g <- stats::optimHess(th, nll, b = b)
      gr <- vapply(1:3, function(i) {
        e <- replace(numeric(3), i, 1e-6)
        (nll(th + e, b) - nll(th - e, b)) / 2e-6
      }, 0)
      th <- th - solve(g, gr)
    }
    -nll(th, b)
  }
  ci <- confint(fit, parm = "x")
  expect_equal(-nll(coef(fit)[c(1, 3, 4)], coef(fit)[["x"]]), logLik(fit)[1], tolerance = 1e-10)
  for (side in 1:2) expect_equal(2 * (logLik(fit)[1] - best_at(ci[side])), qnorm(0.975)^2, tolerance = 1e-5)
  # an intercept alone: its refits fit the scale alone
  f0 <- gradglm(y ~ 1, data = d, family = student_t(df = 4), control = gradglm_control(tol = 1e-12))
  ci0 <- confint(f0, parm = "(Intercept)")
  nll0 <- function(ls, a) -sum(dt((d$y - a) / exp(ls), 4, log = TRUE) - ls)
  for (side in 1:2) {
    ll <- -stats::optimize(nll0, c(-5, 5), a = ci0[side], tol = 1e-12)$objective
    expect_equal(2 * (logLik(f0)[1] - ll), qnorm(0.975)^2, tolerance = 1e-6)
  }
  # a fit that stopped short has no maximum to profile from: Wald, said
  short <- suppressWarnings(gradglm(y ~ x, sigma = ~ x, data = d, family = student_t(),
                                    control = gradglm_control(maxit = 1)))
  expect_false(short$converged)
  expect_warning(ci_short <- confint(short), "the fit did not converge.*these are Wald intervals")
  expect_equal(ci_short, confint(short, method = "wald"))
  expect_error(confint(short, method = "profile"), "profile intervals need the likelihood's maximum")
  expect_error(profile(short), "profile.gradglm: the fit did not converge")
  # profile() of the location, z named as glm's for a fixed dispersion
  pr <- profile(fit)
  expect_identical(names(pr), c("(Intercept)", "x"))
  expect_identical(names(pr$x), c("z", "par.vals"))
  expect_warning(profile(fit, which = c("x", "sigma:x")), "no profile of 'sigma:x'.*not a location coefficient")
})
