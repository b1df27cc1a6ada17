# Gamma, inverse.gaussian, the quasi-families and binomial's cauchit and log
# links against glm(..., control = glm.control(epsilon = 1e-12)):
# coefficients (1e-6 relative), standard errors, dispersion, deviance, AIC
# (NA for the quasi-families), logLik (see expect_matches_glm() in
# helper-glm.R), residuals of every type, predict(se.fit = TRUE) and
# anova(test = "F") (1e-5).

tol <- 1e-5

costs_log <- cost_data(link = "log")
costs_inv <- cost_data(link = "inverse")
new_costs <- data.frame(age = c(0.1, 1, 1.9), region = c("west", "north", "south"), exposure = c(0.6, 1, 1.8),
                        w = 1)

test_that("Gamma(log) with weights and an offset matches glm", {
  p <- check_family_case(quote(glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log,
                                   family = Gamma(link = "log"))), new_costs, "Gamma(log)")
  # the offset as a formula term gives the same fit
  f2 <- gradglm(cost ~ age + region + offset(log(exposure)), weights = w, data = costs_log,
                family = Gamma(link = "log"))
  expect_equal(coef(f2), coef(p$gradglm), tolerance = 1e-10)
  # summary's t tests on the residual degrees of freedom, as glm's
  expect_identical(colnames(summary(p$gradglm)$coefficients)[3:4], c("t value", "Pr(>|t|)"))
  # nested models: the F test with the larger model's Pearson dispersion
  small <- gradglm(cost ~ age, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"))
  small_r <- glm(cost ~ age, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"),
                 control = glm_tight)
  expect_equal(anova_table(anova(small, p$gradglm, test = "F")),
               anova_table(anova(small_r, p$glm, test = "F")), tolerance = tol)
})

test_that("Gamma(inverse) and Gamma(identity) with weights and an offset match glm", {
  check_family_case(quote(glm(cost ~ age + region, offset = 0.1 * exposure, weights = w, data = costs_inv,
                              family = Gamma)), new_costs, "Gamma(inverse)")
  check_family_case(quote(glm(cost ~ age + region, weights = w, data = costs_inv,
                              family = Gamma(link = "identity"))), new_costs, "Gamma(identity)")
})

test_that("inverse.gaussian with each of its links matches glm", {
  ig <- invgauss_data()
  nd <- data.frame(x = c(0.05, 0.5, 0.95), g = c("b", "a", "b"))
  check_family_case(quote(glm(y ~ x + g, data = ig, family = inverse.gaussian)), nd, "inverse.gaussian(1/mu^2)")
  for (link in c("inverse", "log", "identity")) {
    fam <- inverse.gaussian(link = link)
    check_family_case(bquote(glm(y ~ x + g, data = ig, family = .(fam))), nd,
                      paste0("inverse.gaussian(", link, ")"), optimizers = c("newton", "lbfgs"))
  }
})

test_that("quasipoisson on InsectSprays matches glm; AIC and logLik are NA", {
  nd <- data.frame(spray = c("A", "C", "F"))
  p <- check_family_case(quote(glm(count ~ spray, data = InsectSprays, family = quasipoisson)), nd,
                         "quasipoisson")
  o <- p$gradglm
  expect_true(is.na(o$aic))
  expect_true(is.na(AIC(o)))
  expect_true(is.na(logLik(o)))
  expect_identical(attr(logLik(o), "df"), attr(logLik(p$glm), "df"))
  # the estimates are the Poisson's; the standard errors those scaled by the Pearson dispersion
  pois <- gradglm(count ~ spray, data = InsectSprays, family = poisson)
  expect_equal(coef(o), coef(pois), tolerance = 1e-10)
  expect_equal(sqrt(diag(vcov(o))), sqrt(diag(vcov(pois)) * o$dispersion), tolerance = 1e-10)
  for (link in c("sqrt", "identity")) {
    fam <- quasipoisson(link = link)
    check_family_case(bquote(glm(count ~ spray, data = InsectSprays, family = .(fam))), nd,
                      paste0("quasipoisson(", link, ")"), optimizers = "newton")
  }
})

test_that("quasibinomial on esoph matches glm", {
  nd <- esoph[c(3, 40, 77), ]
  check_family_case(quote(glm(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, data = esoph,
                              family = quasibinomial)), nd, "quasibinomial")
  # non-integer successes are no warning for a quasi-family (fit_pair() fails on any warning)
  es <- transform(esoph, prop = ncases / (ncases + ncontrols), n = ncases + ncontrols)
  es$n_half <- es$n / 2
  check_family_case(quote(glm(prop ~ agegp + alcgp, weights = n_half, data = es,
                              family = quasibinomial(link = "probit"))), es[1:3, ], "quasibinomial(probit)",
                    optimizers = "newton")
})

test_that("binomial with the cauchit and log links matches glm", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  bw$race <- factor(bw$race)
  nd <- bw[c(5, 50, 150), ]
  check_family_case(quote(glm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = bw,
                              family = binomial(link = "cauchit"))), nd, "birthwt cauchit")
  check_family_case(quote(glm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph,
                              family = binomial(link = "cauchit"))), esoph[1:3, ], "esoph cauchit",
                    optimizers = "newton")
  # the log link (relative risks), where every fitted probability stays below 1
  check_family_case(quote(glm(cbind(ncases, ncontrols) ~ agegp, data = esoph, family = binomial(link = "log"))),
                    esoph[c(1, 30, 88), ], "esoph log")
  check_family_case(quote(glm(cbind(ncases, ncontrols) ~ alcgp, data = esoph,
                              family = quasibinomial(link = "log"))), esoph[c(1, 30, 88), ],
                    "esoph quasibinomial(log)", optimizers = "newton")
})

test_that("quasi(link = \"log\", variance = \"mu^2\") matches glm and Gamma(log)'s estimates", {
  p <- check_family_case(quote(glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log,
                                   family = quasi(link = "log", variance = "mu^2"))), new_costs, "quasi(log, mu^2)")
  o <- p$gradglm
  expect_true(is.na(o$aic))
  gam <- gradglm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"))
  expect_equal(coef(o), coef(gam), tolerance = 1e-10)
  expect_equal(o$dispersion, gam$dispersion, tolerance = 1e-10)
})

test_that("quasi() with each of glm's variance functions matches glm", {
  ig <- invgauss_data()
  # proportions inside (0, 1) (esoph's have zeros in whole age groups: no finite MLE)
  withr::local_seed(3)
  pr <- data.frame(x = runif(80), g = factor(sample(c("a", "b"), 80, TRUE)))
  pr$prop <- rbeta(80, 20 * plogis(-1 + 2 * pr$x), 20 * (1 - plogis(-1 + 2 * pr$x)))
  cases <- list(
    list(quote(glm(mpg ~ wt + hp, data = mtcars, family = quasi(link = "log", variance = "constant"))), mtcars[1:3, ]),
    list(quote(glm(mpg ~ wt + hp, data = mtcars, family = quasi)), mtcars[1:3, ]),
    list(quote(glm(prop ~ x + g, data = pr, family = quasi(link = "logit", variance = "mu(1-mu)"))), pr[1:3, ]),
    list(quote(glm(count ~ spray, data = InsectSprays, family = quasi(link = "log", variance = "mu"))),
         InsectSprays[c(1, 30, 70), ]),
    list(quote(glm(cost ~ age + region, data = costs_inv, family = quasi(link = "inverse", variance = "mu^2"))),
         new_costs),
    list(quote(glm(y ~ x + g, data = ig, family = quasi(link = "1/mu^2", variance = "mu^3"))), ig[1:3, ])
  )
  for (cs in cases) check_family_case(cs[[1]], cs[[2]], deparse1(cs[[1]]$family), optimizers = "newton")
})

# ---------------------------------------------------------------------------
# Every optimizer reaches the estimates.

# gd with its defaults: glm's coefficients within 1e-4 (relative, floor 1e-3)
# and its deviance within 1e-7, as test-optimizer.R asks of the other families.
# sgd and adam with their defaults: within 0.25 standard errors of Newton's
# coefficients and 1e-3 per observation in the quasi-log-likelihood,
# (D - D_newton) / (2 phi n) -- the log-likelihood gap of test-stochastic.R
# for a known dispersion (phi = 1).
optimizer_cases <- list(
  "Gamma(log)" = quote(glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log,
                           family = Gamma(link = "log"))),
  "Gamma(inverse)" = quote(glm(cost ~ age + region, offset = 0.1 * exposure, weights = w, data = costs_inv,
                               family = Gamma)),
  "inverse.gaussian" = quote(glm(y ~ x + g, data = invgauss_data(), family = inverse.gaussian)),
  "quasipoisson" = quote(glm(count ~ spray, data = InsectSprays, family = quasipoisson)),
  "quasibinomial" = quote(glm(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, data = esoph,
                              family = quasibinomial)),
  "birthwt cauchit" = quote(glm(low ~ age + lwt + smoke + ht, data = MASS::birthwt,
                                family = binomial(link = "cauchit"))),
  "esoph log" = quote(glm(cbind(ncases, ncontrols) ~ agegp, data = esoph, family = binomial(link = "log"))),
  "quasi(log, mu^2)" = quote(glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log,
                                 family = quasi(link = "log", variance = "mu^2")))
)

test_that("gradient descent reaches glm's coefficients with default settings", {
  skip_if_not_installed("MASS")
  for (label in names(optimizer_cases)) {
    p <- fit_pair(optimizer_cases[[label]], optimizer = "gd")
    o <- p$gradglm
    lab <- paste(label, "[gd]")
    expect(isTRUE(o$converged), paste(lab, ": did not converge"))
    expect_close(o$coefficients, coef(p$glm_ref), 1e-4, floor = 1e-3, label = paste(lab, "coefficients"))
    expect_close(o$deviance, deviance(p$glm), 1e-7, label = paste(lab, "deviance"))
    expect_close(o$dispersion, summary(p$glm)$dispersion, 1e-4, label = paste(lab, "dispersion"))
  }
})

test_that("sgd and adam with their defaults reach Newton's fit", {
  skip_if_not_installed("MASS")
  for (label in names(optimizer_cases)) {
    call <- optimizer_cases[[label]]
    call[[1L]] <- quote(gradglm::gradglm)
    ncall <- call
    ncall$optimizer <- "newton"
    ref <- eval(ncall)
    for (opt in c("sgd", "adam")) {
      ocall <- call
      ocall$optimizer <- opt
      set.seed(1)
      warns <- character()
      fit <- withCallingHandlers(eval(ocall), warning = function(w) {
        warns <<- c(warns, conditionMessage(w))
        invokeRestart("muffleWarning")
      })
      lab <- paste0(label, " (", opt, ")")
      expect(length(warns) == 0L, sprintf("%s warned: %s", lab, paste(warns, collapse = "; ")))
      expect(isTRUE(fit$converged), sprintf("%s did not converge: %s", lab, fit$message))
      gap <- (fit$deviance - ref$deviance) / (2 * ref$dispersion * nobs(ref))
      expect(is.finite(gap) && gap < 1e-3, sprintf("%s: quasi-log-likelihood gap %.3g >= 1e-3", lab, gap))
      dev <- max(abs(coef(fit) - coef(ref)) / sqrt(diag(vcov(ref))))
      expect(is.finite(dev) && dev < 0.25, sprintf("%s: coefficients %.3g SEs from Newton's", lab, dev))
    }
  }
})

# ---------------------------------------------------------------------------
# Bad input: clear errors naming the function.

test_that("a Gamma or inverse.gaussian response with zeros or negatives is an error", {
  d <- data.frame(x = 1:6, y = c(1.2, 0, 3.1, 2.2, 0.7, 1.9))
  expect_error(gradglm(y ~ x, data = d, family = Gamma), "gradglm: the response must be positive for family Gamma; found 1 zero")
  d$y[2] <- -1
  expect_error(gradglm(y ~ x, data = d, family = inverse.gaussian()),
               "gradglm: the response must be positive for family inverse.gaussian; found 1 zero or negative")
  expect_error(gradglm_fit(cbind(1, d$x), d$y, family = Gamma(link = "log")), "gradglm_fit: the response must be positive")
  expect_error(gradglm(y ~ x, data = d, family = quasi(link = "log", variance = "mu^2")),
               "gradglm: the response must be positive for family quasi")
  expect_error(gradglm(y ~ x, data = d, family = quasipoisson), "gradglm: the response must be non-negative")
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, family = Gamma)
    gradglm(y ~ x, data = d, family = quasipoisson)
  })
})

test_that("unknown links and variances are errors listing what is available", {
  d <- data.frame(x = 1:6, y = c(1.2, 0.5, 3.1, 2.2, 0.7, 1.9))
  # a link stats' family accepts but gradglm does not offer for it: a named link of another family
  d$b <- c(0, 1, 1, 0, 1, 0)
  expect_error(gradglm(y ~ x, data = d, family = gaussian(link = make.link("logit"))),
               "gradglm: link 'logit' is not available for family 'gaussian'; available links: identity, log")
  # stats' Gamma() takes any of make.link()'s names; gradglm offers glm's three
  expect_error(gradglm(y ~ x, data = d, family = Gamma(link = "logit")),
               "gradglm: link 'logit' is not available for family 'Gamma'; available links: inverse, identity, log")
  expect_error(gradglm_fit(cbind(1, d$x), d$y, family = inverse.gaussian(link = "sqrt")),
               "gradglm_fit: link 'sqrt' is not available for family 'inverse.gaussian'; available links: 1/mu\\^2, inverse")
  # a link the family call itself rejects: its error, as gradglm's
  expect_error(gradglm(y ~ x, data = d, family = Gamma(link = "foo")), "gradglm: 'family': .*foo.*link not recognised")
  # quasi()'s variance must be one of glm's functions
  own <- quasi(variance = "mu")
  own$varfun <- "mu^1.5"
  expect_error(gradglm(y ~ x, data = d, family = own), "gradglm: quasi\\(variance = \\) must be one of \"constant\"")
  expect_error(gradglm(y ~ x, data = d, family = "Gamma"), NA)
  expect_snapshot(error = TRUE, {
    gradglm(y ~ x, data = d, family = gaussian(link = make.link("logit")))
    gradglm(y ~ x, data = d, family = own)
  })
})

test_that("binomial(link = \"log\"): fitted probabilities must stay below 1", {
  # glm's default start steps outside the range here, and so does gradglm's
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  expect_error(glm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log")), "valid")
  expect_error(gradglm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log")),
               "gradglm: no valid set of coefficients has been found from the default start: please supply 'start'")
  # a start inside the range: the fit's step-halving keeps every probability below 1
  fit <- gradglm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log"),
                 start = c(-1, 0, 0, 0, 0))
  # glm halves its steps too ("step size truncated: out of bounds"); its
  # solution polished as fit_pair() does
  ref <- suppressWarnings(glm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log"),
                              start = c(-1, 0, 0, 0, 0), control = glm_tight))
  ref <- glm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log"), start = coef(ref),
             control = glm.control(epsilon = 1e-16, maxit = 50))
  expect_true(all(fitted(fit) < 1))
  expect_close(coef(fit), coef(ref), 1e-6, label = "birthwt log from a start")
  expect_close(deviance(fit), deviance(ref), 1e-10, label = "birthwt log deviance")
  # a start outside it is an error, as glm's
  expect_error(gradglm(low ~ smoke + ht + ui + lwt, data = bw, family = binomial(link = "log"),
                       start = c(1, 0, 0, 0, 0)), "gradglm: .*start")
})

test_that("the new families from a chunked source are glm's fits (dispersion, AIC)", {
  src <- function_source(costs_log, 100)
  a <- gradglm(cost ~ age + region, data = src, family = Gamma(link = "log"), weights = w, offset = log(exposure))
  r <- glm(cost ~ age + region, data = costs_log, family = Gamma(link = "log"), weights = w,
           offset = log(exposure), control = glm_tight)
  expect_close(coef(a), coef(r), 1e-6, label = "coefficients")
  expect_close(summary(a)$dispersion, summary(r)$dispersion, 1e-6, label = "dispersion")
  expect_close(AIC(a), AIC(r), 1e-8, label = "AIC")
  expect_close(sqrt(diag(vcov(a))), sqrt(diag(vcov(r))), 1e-5, label = "standard errors")
})

test_that("a link object is taken by its name; one of its own under a known name is refused", {
  d <- data.frame(x = 1:8, y = c(1.2, 0.5, 3.1, 2.2, 0.7, 1.9, 2.6, 1.1))
  a <- gradglm(y ~ x, data = d, family = Gamma(link = make.link("log")))
  b <- gradglm(y ~ x, data = d, family = Gamma(link = "log"))
  expect_identical(coef(a), coef(b))
  own <- make.link("log")
  own$linkinv <- function(eta) exp(eta) + 1  # not the log link
  expect_error(gradglm(y ~ x, data = d, family = Gamma(link = own)),
               "gradglm: the family's link is named 'log' but its linkinv\\(\\) or mu.eta\\(\\) is not make.link")
})

test_that("drop1() of a quasi-family leaves out the AIC column, as glm's", {
  q <- gradglm(count ~ spray, data = InsectSprays, family = quasipoisson)
  r <- glm(count ~ spray, data = InsectSprays, family = quasipoisson, control = glm_tight)
  a <- drop1(q, test = "F")
  b <- drop1(r, test = "F")
  expect_identical(names(a), names(b))
  expect_equal(unname(as.matrix(a)), unname(as.matrix(b)), tolerance = tol)
  g <- gradglm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"))
  gr <- glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"),
            control = glm_tight)
  expect_equal(unname(as.matrix(drop1(g, test = "F"))), unname(as.matrix(drop1(gr, test = "F"))), tolerance = tol)
})

test_that("evaluate() counts glm's log-likelihood for Gamma and inverse.gaussian; a quasi-family has none", {
  g <- gradglm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"))
  gr <- glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"),
            control = glm_tight)
  expect_close(evaluate(g, costs_log)$loglik, as.numeric(logLik(gr)), 1e-8, label = "Gamma log-likelihood")
  ig <- invgauss_data()
  i <- gradglm(y ~ x + g, data = ig, family = inverse.gaussian)
  ir <- glm(y ~ x + g, data = ig, family = inverse.gaussian, control = glm_tight)
  expect_close(evaluate(i, ig)$loglik, as.numeric(logLik(ir)), 1e-8, label = "inverse.gaussian log-likelihood")
  q <- gradglm(count ~ spray, data = InsectSprays, family = quasipoisson)
  e <- evaluate(q, InsectSprays)
  expect_true(is.na(e$loglik))
  expect_close(e$deviance, deviance(q), 1e-10, label = "quasipoisson held-out deviance")
})

test_that("influence measures equal glm's for Gamma and quasipoisson fits", {
  g <- gradglm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"))
  gr <- glm(cost ~ age + region, offset = log(exposure), weights = w, data = costs_log, family = Gamma(link = "log"),
            control = glm_tight)
  q <- gradglm(count ~ spray, data = InsectSprays, family = quasipoisson)
  qr <- glm(count ~ spray, data = InsectSprays, family = quasipoisson, control = glm_tight)
  for (p in list(list(g, gr, "Gamma"), list(q, qr, "quasipoisson"))) {
    expect_equal(hatvalues(p[[1]]), hatvalues(p[[2]]), tolerance = tol, label = paste(p[[3]], "hatvalues"))
    expect_equal(rstandard(p[[1]]), rstandard(p[[2]]), tolerance = tol, label = paste(p[[3]], "rstandard"))
    expect_equal(cooks.distance(p[[1]]), cooks.distance(p[[2]]), tolerance = tol, label = paste(p[[3]], "cooks"))
  }
})

test_that("gaussian(link = \"inverse\") matches glm; its start needs a response without zeros", {
  check_family_case(quote(glm(mpg ~ wt + hp, data = mtcars, weights = rep(1:2, 16),
                              family = gaussian(link = "inverse"))),
                    data.frame(wt = c(2, 3.5), hp = c(100, 200)), "gaussian(inverse)")
  d <- data.frame(x = 1:6, y = c(0, 1, 2, 3, 4, 6))
  expect_error(gradglm(y ~ x, data = d, family = gaussian(link = "inverse")),
               "gradglm: gaussian\\(link = \"inverse\"\\) needs a response without zeros")
  expect_error(gradglm(y ~ x, data = d, family = gaussian(link = "inverse"), sigma = ~ 1),
               "sigma model takes gaussian\\(\\)'s identity and log links")
})

test_that("power links, stats::power(lambda), match glm", {
  skip_if_not_installed("MASS")
  # the link itself: mu = eta^(1 / lambda) and its derivatives against central differences
  # (stats::power() gives the log link for lambda <= 0 and the identity for 1)
  for (lambda in c(1 / 3, 0.5, 2, 1.5)) {
    eta <- c(0.3, 0.8, 1.7, 4)
    h <- gradglm:::family_eval(1L, 10L, rep(0, 4), eta, composed = TRUE, power = lambda)
    lk <- stats::power(lambda)
    expect_close(h$mu, lk$linkinv(eta), 1e-13, label = paste("linkinv", lambda))
    expect_close(h$mu_eta, lk$mu.eta(eta), 1e-12, label = paste("mu.eta", lambda))
    # the Gaussian's observed curvature (mu - y) mu'' + mu'^2 at y = 0 checks mu''
    d2 <- (lk$mu.eta(eta + 1e-6) - lk$mu.eta(eta - 1e-6)) / 2e-6
    expect_close(h$hess, lk$linkinv(eta) * d2 + lk$mu.eta(eta)^2, 1e-7, abs_tol = 1e-7 * max(lk$mu.eta(eta)^2),
                 label = paste("curvature", lambda))
  }
  cl <- data.frame(u = c(5, 10, 15, 20, 30, 40, 60, 80, 100), lot1 = c(118, 58, 42, 35, 27, 25, 21, 19, 18))
  check_family_case(quote(glm(lot1 ~ log(u), data = cl, family = Gamma(link = power(1 / 3)))),
                    data.frame(u = c(7, 50)), "Gamma(power(1/3))", optimizers = c("newton", "lbfgs"))
  check_family_case(quote(glm(breaks ~ wool + tension, data = warpbreaks, family = poisson(link = power(0.25)))),
                    warpbreaks[1:4, ], "poisson(power(1/4))", optimizers = "newton")
  check_family_case(quote(glm(breaks ~ wool + tension, data = warpbreaks,
                              family = quasi(link = power(1 / 3), variance = "mu"))),
                    warpbreaks[1:4, ], "quasi(power(1/3), mu)", optimizers = "newton")
  # where they are not offered: the error names them
  expect_error(gradglm(lot1 ~ log(u), data = cl, family = Gamma(link = power(1 / 3)), sigma = ~ 1),
               "power link mu\\^0.333 is available for a generalized linear model")
  mine <- structure(list(linkfun = function(mu) log(mu) + 1, linkinv = function(eta) exp(eta - 1),
                         mu.eta = function(eta) exp(eta - 1), valideta = function(eta) TRUE, name = "mine"),
                    class = "link-glm")
  expect_error(gradglm(lot1 ~ log(u), data = cl, family = negative_binomial(theta = 2, link = mine)),
               "negative_binomial")
  # a power link whose functions are not stats::power(lambda)'s is a link of
  # one's own, and its mu.eta must be its linkinv's derivative
  fake <- stats::power(1 / 3)
  fake$linkinv <- function(eta) eta^2
  expect_error(gradglm(lot1 ~ log(u), data = cl, family = Gamma(link = fake)),
               "the link's mu.eta\\(\\) is not the derivative of its linkinv\\(\\)")
})

test_that("binomial AIC computed in the engine's summary pass equals glm's for trials, weights and proportions", {
  set.seed(5)
  n <- 3000
  x <- rnorm(n)
  tr <- sample(1:40, n, TRUE)
  tr[1:5] <- c(1, 2, 1000, 5000, 1)
  k <- rbinom(n, tr, plogis(0.3 + x))
  k[6:8] <- tr[6:8]  # every trial a success
  k[9:10] <- 0
  same <- function(a, g) {
    expect_equal(AIC(a), AIC(g), tolerance = 1e-12)
    expect_equal(as.numeric(logLik(a)), as.numeric(logLik(g)), tolerance = 1e-12)
  }
  d <- data.frame(k, tr, x)
  same(gradglm(cbind(k, tr - k) ~ x, family = binomial, data = d),
       glm(cbind(k, tr - k) ~ x, family = binomial, data = d))
  same(gradglm(k / tr ~ x, family = binomial, weights = tr, data = d),
       glm(k / tr ~ x, family = binomial, weights = tr, data = d))
  same(gradglm(cbind(k, tr - k) ~ x, family = binomial("probit"), offset = rep(0.1, n), data = d),
       glm(cbind(k, tr - k) ~ x, family = binomial("probit"), offset = rep(0.1, n), data = d))
  y <- rbinom(n, 1, plogis(x))
  w <- sample(0:3, n, TRUE)  # (zero weights drop out of the sum)
  same(gradglm(y ~ x, family = binomial, weights = w), glm(y ~ x, family = binomial, weights = w))
  w2 <- runif(n, 0.2, 3)  # (non-integer successes: glm rounds them)
  same(suppressWarnings(gradglm(y ~ x, family = binomial, weights = w2)),
       suppressWarnings(glm(y ~ x, family = binomial, weights = w2)))
  # R's own formula is not called for these fits
  calls <- 0
  suppressMessages(trace("binomial_aic", quote(calls <<- calls + 1), print = FALSE, where = asNamespace("gradglm")))
  on.exit(suppressMessages(untrace("binomial_aic", where = asNamespace("gradglm"))), add = TRUE)
  gradglm(cbind(k, tr - k) ~ x, family = binomial, data = d)
  expect_equal(calls, 0)
})
