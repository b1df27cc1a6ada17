# The negative binomial: the likelihood row by row (theta fixed: a GLM row;
# theta estimated: two predictors per row), fits against MASS::glm.nb
# polished to its optimum (nb_polish() in helper-negbin.R: joint Newton steps
# on beta and log theta until the gradient vanishes) and against
# glm(family = MASS::negative.binomial(theta)), every optimizer, the methods
# and bad input.

nb_sim <- function(n = 500, seed = 11) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), g = factor(sample(c("a", "b", "c"), n, TRUE)),
                  e = runif(n, 0.5, 2), w = sample(1:4, n, TRUE))
  mu <- exp(0.5 + 0.4 * d$x1 - 0.6 * d$x2 + 0.3 * (d$g == "b") + log(d$e))
  d$y <- rnbinom(n, size = 2, mu = mu)
  d
}

# ---------------------------------------------------------------------------
# the likelihood

test_that("theta fixed: the hand-written log link equals the composition and half the deviance", {
  y <- rep(c(0, 1, 3, 10, 250), each = 5)
  eta <- rep(c(-3, -0.2, 0.7, 2.5, 6), 5)
  for (theta in c(0.3, 2, 1e4)) {
    h <- gradglm:::family_eval(8L, 5L, y, eta, theta = theta)
    cmp <- gradglm:::family_eval(8L, 5L, y, eta, composed = TRUE, theta = theta)
    for (nm in c("loss", "grad", "weight", "hess")) {
      expect_close(h[[nm]], cmp[[nm]], 1e-10, floor = 1e-10, label = paste(nm, "theta", theta))
    }
    mu <- exp(eta)
    half_dev <- stats::dnbinom(y, size = theta, mu = y, log = TRUE) - stats::dnbinom(y, size = theta, mu = mu, log = TRUE)
    expect_close(h$loss, half_dev, 1e-9, floor = 1e-9, label = paste("loss vs dnbinom, theta", theta))
    expect_close(h$weight, mu / (1 + mu / theta), 1e-12, label = "Fisher weight mu.eta^2 / V")
  }
  # the other links, composed, against the family object's functions
  fam <- negative_binomial(theta = 1.7, link = "sqrt")
  eta <- c(0.5, 1, 2, 4)
  yy <- c(0, 2, 3, 20)
  s <- gradglm:::family_eval(8L, 6L, yy, eta, theta = 1.7)
  expect_close(2 * s$loss, fam$dev.resids(yy, fam$linkinv(eta), 1), 1e-12, label = "sqrt link deviance")
  expect_close(s$weight, fam$mu.eta(eta)^2 / fam$variance(fam$linkinv(eta)), 1e-12, label = "sqrt link weight")
})

nb_spec <- function(X, y, w, off, link) {
  list(designs = list(X, NULL), block_design = c(0L, 1L), block_m = c(1L, 1L), y = as.numeric(y),
       weights = as.numeric(w), offsets = list(off),
       likelihood = list(type = "negative_binomial", link = gradglm:::link_codes[[link]]))
}

test_that("theta estimated: loss, gradient and curvature of the engine's pass", {
  d <- nb_sim(200)
  X <- model.matrix(~ x1 + x2 + g, d)
  for (link in c("log", "sqrt", "identity")) {
    b <- switch(link, log = c(0.4, 0.3, -0.5, 0.2, 0.1), sqrt = c(1.3, 0.2, -0.3, 0.1, 0.1),
                identity = c(2, 0.4, -0.6, 0.3, 0.2))
    off <- if (link == "log") log(d$e) else 0.1 * d$e
    th <- c(b, log(1.7))
    spec <- nb_spec(X, d$y, d$w, off, link)
    ev <- function(t, curv = "none") gradglm:::model_eval(spec, unname(t), curv)
    obs <- ev(th, "observed")
    # the weighted mean negative log-likelihood
    mu <- make.link(link)$linkinv(drop(X %*% b) + off)
    ll <- sum(d$w * dnbinom(d$y, size = 1.7, mu = mu, log = TRUE))
    expect_close(obs$loss, -ll / sum(d$w), 1e-12, label = paste(link, "loss"))
    fd <- as.vector(num_deriv(function(t) ev(t)$loss, th))
    expect_close(obs$gradient, fd, 1e-6, floor = 1e-3 * max(abs(fd)), label = paste(link, "gradient vs differences"))
    # the analytic derivatives of the reference (in beta and log theta)
    ref <- nb_derivs(b, 1.7, X, d$y, d$w, off, link)
    expect_close(obs$gradient, -ref$grad / sum(d$w), 1e-10, floor = 1e-6, label = paste(link, "gradient vs reference"))
    expect_close(obs$curvature, -ref$hess / sum(d$w), 1e-9, floor = 1e-6, label = paste(link, "curvature vs reference"))
    fdc <- num_deriv(function(t) ev(t)$gradient, th)
    expect_lt(max(abs(obs$curvature - fdc)), 1e-6 * max(abs(obs$curvature)))
    # "fisher": the expected information for beta, nothing between beta and
    # theta, the observed information for log theta (glm.nb's standard errors)
    fis <- ev(th, "fisher")
    p <- ncol(X)
    V <- fis$curvature
    lk <- make.link(link)
    eta <- drop(X %*% b) + off
    W <- d$w * lk$mu.eta(eta)^2 / (mu + mu^2 / 1.7)
    expect_close(V[1:p, 1:p], crossprod(X, W * X) / sum(d$w), 1e-10, label = paste(link, "expected information"))
    expect_true(all(V[1:p, p + 1] == 0))
    expect_close(V[p + 1, p + 1], obs$curvature[p + 1, p + 1], 1e-14, label = paste(link, "theta information"))
  }
})

# ---------------------------------------------------------------------------
# theta estimated, against MASS::glm.nb polished to its optimum

# the fit, glm.nb's and the polished optimum; checks coefficients, theta and
# their standard errors (1e-5 relative), the log-likelihood and what glm.nb reports
check_glm_nb <- function(fit, formula, data, weights = NULL, offset = NULL, link = "log", label) {
  mf <- model.frame(formula, data)
  X <- model.matrix(formula, data)
  y <- model.response(mf)
  ref <- nb_polish(X, y, w = weights, offset = offset, link = link)
  expect_lt(max(abs(ref$grad)), 1e-8)
  expect_true(fit$converged)
  expect_identical(names(coef(fit)), colnames(X))
  expect_close(coef(fit), ref$beta, 1e-6, floor = 1e-3, label = paste(label, "coefficients"))
  expect_close(fit$theta, ref$theta, 1e-6, label = paste(label, "theta"))
  expect_close(sqrt(diag(vcov(fit))), ref$se_beta, 1e-5, label = paste(label, "standard errors"))
  expect_close(fit$SE.theta, ref$se_theta, 1e-5, label = paste(label, "SE of theta"))
  expect_close(as.numeric(logLik(fit)), ref$loglik, 1e-10, label = paste(label, "log-likelihood"))
  expect_gte(as.numeric(logLik(fit)), ref$loglik - 1e-9 * abs(ref$loglik))
  expect_identical(attr(logLik(fit), "df"), ncol(X) + 1L)
  # what glm.nb reports, at its own (slightly less converged) estimate
  m <- ref$glmnb
  expect_close(coef(fit), coef(m), 1e-6, floor = 1e-3, label = paste(label, "coefficients vs glm.nb"))
  expect_close(fit$theta, m$theta, 1e-6, label = paste(label, "theta vs glm.nb"))
  expect_close(fit$twologlik, m$twologlik, 1e-9, label = paste(label, "twologlik"))
  expect_close(AIC(fit), AIC(m), 1e-9, label = paste(label, "AIC"))
  expect_close(BIC(fit), BIC(m), 1e-9, label = paste(label, "BIC"))
  expect_close(deviance(fit), deviance(m), 1e-6, label = paste(label, "deviance"))
  # the null deviance at the estimated theta, as glm.nb computes it (its fit
  # here, of y ~ X - 1, has no intercept term)
  ww <- if (is.null(weights)) rep(1, length(y)) else weights
  null <- glm(y ~ 1, weights = ww, offset = offset, family = MASS::negative.binomial(fit$theta, link = link),
              control = glm.control(epsilon = 1e-12, maxit = 100))
  expect_close(fit$null.deviance, deviance(null), 1e-6, label = paste(label, "null deviance"))
  expect_identical(fit$df.residual, m$df.residual)
  for (type in c("deviance", "pearson", "working", "response")) {
    rr <- residuals(m, type = type)
    expect_close(residuals(fit, type = type), rr, 1e-5, abs_tol = 1e-5 * median(abs(rr)),
                 label = paste(label, type, "residuals"))
  }
  for (type in c("link", "response")) {
    a <- predict(fit, type = type, se.fit = TRUE)
    b <- predict(m, type = type, se.fit = TRUE)
    expect_close(a$fit, b$fit, 1e-6, label = paste(label, type, "predictions"))
    expect_close(a$se.fit, b$se.fit, 1e-5, label = paste(label, type, "prediction SEs"))
  }
  invisible(ref)
}

test_that("theta estimated: equals MASS::glm.nb on quine (log link)", {
  skip_if_not_installed("MASS")
  quine <- MASS::quine
  fml <- Days ~ Sex / (Age + Eth * Lrn)
  fit <- gradglm(fml, data = quine, family = negative_binomial())
  check_glm_nb(fit, fml, quine, label = "quine")
  expect_identical(fit$family$family, "negative_binomial")
  expect_true(isTRUE(fit$family$theta_estimated))
  expect_equal(fit$family$theta, fit$theta)
  s <- summary(fit)
  expect_identical(s$dispersion, 1)
  expect_identical(colnames(s$coefficients)[3], "z value")
  expect_output(print(s), "Theta: 1.59[0-9]* \\(estimated; std. error 0.2128")
  expect_output(print(fit), "Theta: 1.598 \\(estimated")
})

test_that("theta estimated: weights, offset and a factor on simulated data; sqrt and identity links", {
  skip_if_not_installed("MASS")
  d <- nb_sim()
  fit <- gradglm(y ~ x1 + x2 + g, offset = log(e), weights = w, data = d, family = negative_binomial())
  check_glm_nb(fit, y ~ x1 + x2 + g, d, weights = d$w, offset = log(d$e), label = "simulated")
  quine <- MASS::quine
  fml <- Days ~ Sex + Age + Eth + Lrn
  fs <- gradglm(fml, data = quine, family = negative_binomial(link = "sqrt"))
  check_glm_nb(fs, fml, quine, link = "sqrt", label = "quine sqrt")
  # identity: glm.nb finds no start here; the polished optimum from ours
  fi <- gradglm(fml, data = quine, family = negative_binomial(link = "identity"))
  X <- model.matrix(fml, quine)
  ref <- nb_polish(X, quine$Days, link = "identity", start = list(beta = coef(fi) * 0.98, theta = 1))
  expect_lt(max(abs(ref$grad)), 1e-8)
  expect_close(coef(fi), ref$beta, 1e-6, floor = 1e-3, label = "identity coefficients")
  expect_close(fi$theta, ref$theta, 1e-6, label = "identity theta")
  expect_close(sqrt(diag(vcov(fi))), ref$se_beta, 1e-5, label = "identity SEs")
  expect_close(fi$SE.theta, ref$se_theta, 1e-5, label = "identity SE of theta")
})

test_that("theta estimated: every optimizer reaches the estimates", {
  skip_if_not_installed("MASS")
  quine <- MASS::quine
  fml <- Days ~ Sex + Age + Eth + Lrn
  ref <- gradglm(fml, data = quine, family = negative_binomial())
  se <- sqrt(diag(vcov(ref)))
  fl <- gradglm(fml, data = quine, family = negative_binomial(), optimizer = "lbfgs")
  expect_close(coef(fl), coef(ref), 1e-6, floor = 1e-3, label = "lbfgs coefficients")
  expect_close(fl$theta, ref$theta, 1e-6, label = "lbfgs theta")
  fg <- gradglm(fml, data = quine, family = negative_binomial(), optimizer = "gd")
  expect_true(fg$converged)
  expect_close(coef(fg), coef(ref), 1e-4, floor = 1e-3, label = "gd coefficients")
  expect_close(fg$theta, ref$theta, 1e-4, label = "gd theta")
  # sgd and adam: within 0.25 standard errors and 1e-3 per row in the log-likelihood
  for (opt in c("sgd", "adam")) {
    set.seed(1)
    fo <- gradglm(fml, data = quine, family = negative_binomial(), optimizer = opt)
    expect_true(fo$converged)
    expect_lt(max(abs(coef(fo) - coef(ref)) / se), 0.25)
    expect_lt(abs(log(fo$theta / ref$theta)) / (ref$SE.theta / ref$theta), 0.25)
    expect_lt((as.numeric(logLik(ref)) - as.numeric(logLik(fo))) / nobs(ref), 1e-3)
  }
})

test_that("theta estimated: likelihood-ratio tests as MASS's anova of glm.nb fits", {
  skip_if_not_installed("MASS")
  quine <- MASS::quine
  f0 <- gradglm(Days ~ Eth, data = quine, family = negative_binomial())
  f1 <- gradglm(Days ~ Eth + Lrn + Age, data = quine, family = negative_binomial())
  m0 <- MASS::glm.nb(Days ~ Eth, data = quine, control = glm.control(epsilon = 1e-12, maxit = 100))
  m1 <- MASS::glm.nb(Days ~ Eth + Lrn + Age, data = quine, control = glm.control(epsilon = 1e-12, maxit = 100))
  a <- anova(f0, f1)
  b <- anova(m0, m1)
  expect_close(a$theta, b$theta, 1e-6, label = "theta column")
  expect_close(a[["LR stat."]][2], b[["LR stat."]][2], 1e-6, label = "LR statistic")
  expect_close(a[["Pr(>Chi)"]][2], b[["Pr(Chi)"]][2], 1e-5, label = "p-value")
  expect_close(a[["-2 logLik"]], -b[[4L]], 1e-9, label = "-2 logLik")  # (glm.nb's column "   2 x log-lik.")
  expect_error(anova(f0, f1, test = "F"), "does not apply.*Chisq")
  # a fixed theta against an estimated one: the difference of the likelihoods' degrees of
  # freedom (5 and 8 parameters: 3), said in the heading (before: 2, "estimated in each model")
  g0 <- gradglm(Days ~ Eth + Age, data = quine, family = negative_binomial(theta = 1.3))
  g1 <- gradglm(Days ~ Eth + Sex + Age + Lrn, data = quine, family = negative_binomial())
  a <- anova(g0, g1)
  expect_identical(a$Df[2], 3)
  lr <- 2 * (as.numeric(logLik(g1)) - as.numeric(logLik(g0)))
  expect_equal(a[["LR stat."]][2], lr, tolerance = 1e-10)
  expect_equal(a[["Pr(>Chi)"]][2], pchisq(lr, 3, lower.tail = FALSE), tolerance = 1e-10)
  expect_match(attr(a, "heading")[1], "theta estimated in model 2, fixed in model 1")
  # one model by terms: theta held at its estimate, said in a warning
  expect_warning(anova(f1), "hold theta at this model's estimate")
})

test_that("theta estimated: counts without overdispersion warn that poisson() fits the same", {
  # binomial counts: less variance than the mean, theta runs to infinity
  set.seed(3)
  d <- data.frame(x = rnorm(300))
  d$y <- rbinom(300, 20, plogis(-1.5 + 0.3 * d$x))
  expect_warning(f <- gradglm(y ~ x, data = d, family = negative_binomial()), "no overdispersion.*poisson")
  p <- suppressWarnings(gradglm(y ~ x, data = d, family = poisson()))
  expect_close(coef(f), coef(p), 1e-4, label = "the Poisson limit")
})

test_that("theta estimated: a network predicts the mean, theta is a constant", {
  set.seed(2)
  d <- data.frame(x = rnorm(400))
  d$y <- rnbinom(400, size = 1.5, mu = exp(1 + sin(2 * d$x)))
  set.seed(5)
  net <- suppressWarnings(gradglm(y ~ x, data = d, family = negative_binomial(), model = mlp(8),
                                  optimizer = opt_adam(max_epochs = 200)))
  expect_true(is.finite(net$theta) && net$theta > 0.5 && net$theta < 5)
  expect_true(all(is.finite(predict(net, newdata = data.frame(x = c(-1, 0, 1)), type = "response"))))
})

# ---------------------------------------------------------------------------
# a sigma model: sigma = 1 / sqrt(theta), log(sigma) linear in its terms

test_that("the sigma form's pass: log(theta) = -2 log(sigma), derivatives by the chain rule", {
  d <- nb_sim(200)
  X <- model.matrix(~ x1 + g, d)
  Z <- cbind(1, d$x2)
  b <- c(0.4, 0.3, 0.2, 0.1)
  g <- c(-0.4, 0.5)
  for (link in c("log", "sqrt")) {
    bb <- if (link == "sqrt") c(1.3, 0.2, 0.1, 0.1) else b
    spec <- list(designs = list(X, Z), block_design = c(0L, 1L), block_m = c(1L, 1L), y = as.numeric(d$y),
                 weights = as.numeric(d$w), offsets = list(),
                 likelihood = list(type = "location_scale", dist = 8L, link = gradglm:::link_codes[[link]], df = NA_real_))
    th <- c(bb, g)
    ev <- function(t, curv = "none") gradglm:::model_eval(spec, t, curv)
    o <- ev(th, "observed")
    mu <- make.link(link)$linkinv(drop(X %*% bb))
    sg <- exp(drop(Z %*% g))
    expect_close(o$loss, -sum(d$w * dnbinom(d$y, size = 1 / sg^2, mu = mu, log = TRUE)) / sum(d$w), 1e-12,
                 label = paste(link, "loss"))
    fd <- as.vector(num_deriv(function(t) ev(t)$loss, th))
    expect_close(o$gradient, fd, 1e-6, floor = 1e-3 * max(abs(fd)), label = paste(link, "gradient"))
    fc <- num_deriv(function(t) ev(t)$gradient, th)
    expect_lt(max(abs(o$curvature - fc)), 1e-6 * max(abs(fc)))
  }
})

test_that("a sigma model: the maximum of the likelihood; sigma = ~ 1 is the estimated-theta fit", {
  set.seed(3)
  n <- 600
  d <- data.frame(x = runif(n), z = runif(n))
  d$y <- rnbinom(n, size = exp(2 - 3 * d$z), mu = exp(1 + d$x))
  f <- gradglm(y ~ x, data = d, family = negative_binomial(), sigma = ~ z)
  expect_true(f$converged)
  nll <- function(p) -sum(dnbinom(d$y, size = exp(-2 * (p[3] + p[4] * d$z)), mu = exp(p[1] + p[2] * d$x), log = TRUE))
  o <- optim(unname(coef(f)) * 0.95, nll, method = "BFGS", control = list(reltol = 1e-15, maxit = 3000))
  expect_gte(as.numeric(logLik(f)), -o$value - 1e-9 * o$value)
  expect_close(coef(f), o$par, 1e-5, floor = 1e-2, label = "coefficients vs optim")
  H <- optimHess(unname(coef(f)), nll)
  expect_close(sqrt(diag(vcov(f))), sqrt(diag(solve(H))), 1e-5, label = "standard errors")
  expect_close(evaluate(f, newdata = d)$loglik, as.numeric(logLik(f)), 1e-10, label = "evaluate()")
  # mid-distribution quantile residuals and Pearson residuals with sd = sqrt(mu + sigma^2 mu^2)
  mu <- fitted(f)
  size <- 1 / f$sigma^2
  expect_close(residuals(f, type = "quantile"),
               qnorm(pnbinom(d$y - 1, size = size, mu = mu) + dnbinom(d$y, size = size, mu = mu) / 2), 1e-8,
               label = "quantile residuals")
  expect_close(residuals(f, type = "pearson"), (d$y - mu) / sqrt(mu + mu^2 / size), 1e-12, label = "pearson")
  for (opt in c("lbfgs", "gd")) {
    fo <- gradglm(y ~ x, data = d, family = negative_binomial(), sigma = ~ z, optimizer = opt)
    expect_close(coef(fo), coef(f), 1e-5, floor = 1e-2, label = opt)
  }
  # a constant sigma: theta = 1 / sigma^2 of the glm.nb-style fit, the same likelihood
  f1 <- gradglm(y ~ x, data = d, family = negative_binomial(), sigma = ~ 1)
  f0 <- gradglm(y ~ x, data = d, family = negative_binomial())
  expect_close(exp(-2 * coef(f1)[[3]]), f0$theta, 1e-7, label = "theta")
  expect_close(coef(f1)[1:2], coef(f0), 1e-7, label = "coefficients")
  expect_close(as.numeric(logLik(f1)), as.numeric(logLik(f0)), 1e-11, label = "log-likelihood")
  expect_error(gradglm(y ~ x, data = d, family = negative_binomial(2), sigma = ~ z),
               "sigma model estimates theta .* without 'theta'")
})

# ---------------------------------------------------------------------------
# theta fixed, against glm(family = MASS::negative.binomial(theta))

# glm's fit polished: Fisher scoring with a non-canonical link converges
# linearly, and at epsilon = 1e-12 it can stop 1e-7 short of the optimum;
# restarted from there at epsilon = 1e-16 it reaches it (its deviance may
# then jitter at the rounding level, which glm reports as non-convergence)
polish_glm <- function(r, env = parent.frame()) {
  cl <- getCall(r)
  cl$start <- unname(coef(r))
  cl$control <- glm.control(epsilon = 1e-16, maxit = 50)
  withCallingHandlers(eval(cl, env),
                      warning = function(w) {
                        if (grepl("did not converge", conditionMessage(w))) invokeRestart("muffleWarning")
                      })
}

test_that("theta fixed: equals glm(family = MASS::negative.binomial(theta)), with dispersion 1", {
  skip_if_not_installed("MASS")
  d <- nb_sim()
  for (link in c("log", "sqrt")) {
    d$off <- if (link == "log") log(d$e) else 0.1 * d$e
    nd <- d[1:7, ]
    r <- polish_glm(glm(y ~ x1 + x2 + g, offset = off, weights = w, data = d,
                        family = MASS::negative.binomial(1.8, link = link),
                        control = glm.control(epsilon = 1e-12, maxit = 100)))
    # ours, and MASS's family object as the family
    for (fam in list(negative_binomial(1.8, link = link), MASS::negative.binomial(1.8, link = link))) {
      o <- gradglm(y ~ x1 + x2 + g, offset = off, weights = w, data = d, family = fam)
      lab <- paste("fixed theta,", link)
      expect_identical(o$family$family, "negative_binomial")
      expect_close(coef(o), coef(r), 1e-6, floor = 1e-3, label = paste(lab, "coefficients"))
      sr <- summary(r, dispersion = 1)
      expect_close(summary(o)$coefficients, sr$coefficients, 1e-5, label = paste(lab, "summary table"))
      expect_close(deviance(o), deviance(r), 1e-8, label = paste(lab, "deviance"))
      expect_close(o$null.deviance, r$null.deviance, 1e-6, label = paste(lab, "null deviance"))
      expect_close(AIC(o), AIC(r), 1e-9, label = paste(lab, "AIC"))
      expect_close(as.numeric(logLik(o)), as.numeric(logLik(r)), 1e-9, label = paste(lab, "logLik"))
      for (type in c("deviance", "pearson", "working", "response")) {
        # (relative to the residuals' size: one near 0 has no relative accuracy)
        rr <- residuals(r, type = type)
        expect_close(residuals(o, type = type), rr, 1e-5, abs_tol = 1e-5 * median(abs(rr)),
                     label = paste(lab, type, "residuals"))
      }
      for (type in c("link", "response")) {
        a <- predict(o, newdata = nd, type = type, se.fit = TRUE)
        b <- predict(r, newdata = nd, type = type, se.fit = TRUE, dispersion = 1)
        expect_close(a$fit, b$fit, 1e-6, label = paste(lab, type, "predictions"))
        expect_close(a$se.fit, b$se.fit, 1e-5, label = paste(lab, type, "prediction SEs"))
      }
      at <- anova(o, test = "Chisq")
      bt <- anova(r, test = "Chisq", dispersion = 1)
      expect_close(at[["Deviance"]][-1], bt[["Deviance"]][-1], 1e-5, label = paste(lab, "anova deviances"))
      expect_close(at[["Pr(>Chi)"]][-1], bt[["Pr(>Chi)"]][-1], 1e-5, label = paste(lab, "anova p-values"))
    }
  }
  expect_output(print(gradglm(y ~ x1, data = d, family = negative_binomial(2))), "Theta: 2 \\(fixed\\)")
})

test_that("theta fixed: every optimizer reaches glm's fit", {
  skip_if_not_installed("MASS")
  quine <- MASS::quine
  r <- polish_glm(glm(Days ~ Sex + Age + Eth + Lrn, data = quine, family = MASS::negative.binomial(1.3),
                      control = glm.control(epsilon = 1e-12, maxit = 100)))
  for (opt in c("newton", "lbfgs", "gd")) {
    o <- gradglm(Days ~ Sex + Age + Eth + Lrn, data = quine, family = negative_binomial(1.3), optimizer = opt)
    expect_close(coef(o), coef(r), if (opt == "gd") 1e-4 else 1e-6, floor = 1e-3, label = paste(opt, "coefficients"))
  }
  set.seed(1)
  o <- gradglm(Days ~ Sex + Age + Eth + Lrn, data = quine, family = negative_binomial(1.3), optimizer = "adam")
  expect_lt(max(abs(coef(o) - coef(r)) / sqrt(diag(vcov(r)) / summary(r)$dispersion)), 0.25)
})

# ---------------------------------------------------------------------------
# bad input

test_that("negative_binomial(): bad theta, link and responses give clear errors", {
  expect_error(negative_binomial(theta = -1), "'theta' must be positive")
  expect_error(negative_binomial(theta = Inf), "'theta' must be positive and finite.*poisson")
  expect_error(negative_binomial(theta = c(1, 2)), "'theta' must be NULL .* or a single positive number")
  expect_error(negative_binomial(theta = "a"), "'theta' must be NULL")
  expect_error(negative_binomial(link = "logit"), "available links: log, sqrt, identity")
  d <- data.frame(x = 1:10, y = c(0, 1, 2, 3, 1, 0, 5, 2, 1, 4))
  expect_error(gradglm(y + 0.5 ~ x, data = d, family = negative_binomial()),
               "must be counts .* 10 value\\(s\\) that are not whole numbers")
  expect_error(gradglm(I(y - 2) ~ x, data = d, family = negative_binomial()), "must be counts .* negative value")
  expect_error(gradglm(factor(y > 1) ~ x, data = d, family = negative_binomial()), "must be numeric")
  expect_error(gradglm(y ~ x, data = d, family = negative_binomial(), penalty = lasso(0.1)),
               "penalised negative binomial model needs a fixed theta")
  expect_error(gradglm(y ~ x, data = d, family = "negative_binomial", optimizer = "exact"), "no(ne| closed)")
  # every count 0: no theta (before: theta 0.928 "large beside the fitted means", SE 0)
  expect_error(gradglm(y ~ x, data = data.frame(y = 0, x = seq(-1, 1, length.out = 20)), family = negative_binomial()),
               "every count \\(of positive weight\\) is 0, so theta cannot be estimated")
})

test_that("a sigma model on counts without overdispersion says so (sigma runs to 0)", {
  set.seed(1)
  n <- 300
  x <- runif(n)
  y <- rbinom(n, 10, 0.3 + 0.2 * x)  # underdispersed
  expect_warning(fit <- gradglm(y ~ x, family = negative_binomial(), sigma = ~ 1),
                 "theta = 1 / sigma\\^2 is estimated as [0-9.e+]+ or more for 300 of the 300 observations.*poisson\\(\\)")
  expect_lt(coef(fit)[["sigma:(Intercept)"]], -8)
  # overdispersed counts: no such warning
  y2 <- rnbinom(n, size = 2, mu = exp(1 + x))
  expect_no_warning(gradglm(y2 ~ x, family = negative_binomial(), sigma = ~ x))
})

test_that("a classical negative binomial fit is compared with a sigma model by its likelihood", {
  set.seed(42)
  n <- 200
  d <- data.frame(x = runif(n, 0, 3), z = rnorm(n))
  d$y <- rnbinom(n, size = exp(1 - 0.5 * d$z), mu = exp(1 + 0.4 * d$x))
  f0 <- gradglm(y ~ x, data = d, family = negative_binomial())
  f1 <- gradglm(y ~ x, sigma = ~ z, data = d, family = negative_binomial())
  a <- anova(f0, f1)
  b <- anova(update(f0, sigma = ~ 1), f1)
  lr <- 2 * (as.numeric(logLik(f1)) - as.numeric(logLik(f0)))
  expect_equal(a[2L, "LR stat"], lr, tolerance = 1e-6)
  expect_equal(a[2L, "LR stat"], b[2L, "LR stat"], tolerance = 1e-5)
  expect_equal(a[2L, "Df"], 1)
  # a quasi-family has no likelihood to compare
  q <- gradglm(y ~ x, data = d, family = quasipoisson())
  expect_error(anova(q, f1), "only when they have a log-likelihood; model\\(s\\) 1 are 'quasipoisson'")
})
