# gradglm() against glm(..., control = glm.control(epsilon = 1e-12, maxit = 100))
# on datasets shipped with R and its recommended packages: coefficients
# (1e-6 relative), standard errors, deviance, null deviance, AIC, logLik,
# degrees of freedom and fitted values (1e-5); see expect_matches_glm() in
# helper-glm.R.

# Fit `call` (a quoted glm() call) with glm and with gradglm under each
# optimizer, and compare.
check_case <- function(call, optimizers = c("auto", "newton", "lbfgs"), label = deparse1(call),
                       env = parent.frame()) {
  fits <- list()
  for (opt in optimizers) {
    p <- fit_pair(call, optimizer = opt, env = env)
    expect_matches_glm(p$gradglm, p$glm, label = sprintf("%s [%s]", label, opt), ref = p$glm_ref)
    fits[[opt]] <- p
  }
  invisible(fits)
}

birthwt_data <- function() {
  bw <- MASS::birthwt
  bw$race <- factor(bw$race, labels = c("white", "black", "other"))
  bw$low_lgl <- bw$low == 1
  bw$low_fac <- factor(bw$low, labels = c("normal", "low"))
  bw
}

esoph2 <- within(esoph, {
  trials <- ncases + ncontrols
  prop <- ncases / trials
})

test_that("gaussian identity (auto, exact, newton) matches glm", {
  fits <- check_case(quote(glm(mpg ~ wt + hp + factor(cyl), data = mtcars, family = gaussian)),
                     optimizers = c("auto", "exact", "newton", "lbfgs"))
  expect_identical(fits$auto$gradglm$optimizer, "exact")
  expect_identical(fits$newton$gradglm$optimizer, "newton")
  check_case(quote(glm(len ~ supp * dose, data = ToothGrowth, family = gaussian())),
             optimizers = c("auto", "exact", "newton"))
})

test_that("gaussian log matches glm", {
  check_case(quote(glm(mpg ~ wt + hp, data = mtcars, family = gaussian(link = "log"))))
  check_case(quote(glm(len ~ supp + dose, data = ToothGrowth, family = gaussian(link = "log"))))
})

test_that("binomial logit, probit and cloglog match glm (MASS::birthwt, esoph)", {
  skip_if_not_installed("MASS")
  bw <- birthwt_data()
  for (link in c("logit", "probit", "cloglog")) {
    fam <- binomial(link = link)
    check_case(bquote(glm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = bw, family = .(fam))),
               label = paste("birthwt", link))
    check_case(bquote(glm(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, data = esoph,
                          family = .(fam))), label = paste("esoph", link))
  }
})

test_that("poisson log, identity and sqrt match glm (warpbreaks, InsectSprays)", {
  check_case(quote(glm(breaks ~ wool * tension, data = warpbreaks, family = poisson)))
  for (link in c("log", "identity", "sqrt")) {
    fam <- poisson(link = link)
    check_case(bquote(glm(count ~ spray, data = InsectSprays, family = .(fam))),
               label = paste("InsectSprays", link))
    check_case(bquote(glm(breaks ~ wool + tension, data = warpbreaks, family = .(fam))),
               label = paste("warpbreaks", link))
  }
})

test_that("prior weights match glm", {
  mt <- mtcars
  mt$w <- mt$disp / 100
  check_case(quote(glm(mpg ~ wt + hp, data = mt, weights = w)), c("auto", "exact", "newton"))
  check_case(quote(glm(mpg ~ wt + hp, data = mt, weights = w, family = gaussian(link = "log"))))
  check_case(quote(glm(carb ~ wt + hp, data = mt, weights = w, family = poisson)))
  # zero weights drop rows, as glm (df and nobs count only positive weights)
  mt$w0 <- rep(c(1, 0, 2, 1), 8)
  fits <- check_case(quote(glm(mpg ~ wt + hp, data = mt, weights = w0)), c("exact", "newton"))
  expect_equal(fits$exact$gradglm$nobs, 24L)
  fits <- check_case(quote(glm(am ~ wt, data = mt, weights = w0, family = binomial)))
  expect_equal(fits$auto$gradglm$df.residual, 22L)
})

test_that("offset() in the formula and the offset argument match glm and each other", {
  skip_if_not_installed("MASS")
  ins <- MASS::Insurance
  a <- check_case(quote(glm(Claims ~ District + Group + Age + offset(log(Holders)), data = ins,
                            family = poisson)))
  b <- check_case(quote(glm(Claims ~ District + Group + Age, offset = log(Holders), data = ins,
                            family = poisson)))
  expect_equal(a$auto$gradglm$coefficients, b$auto$gradglm$coefficients, tolerance = 1e-10)
  expect_equal(a$auto$gradglm$null.deviance, b$auto$gradglm$null.deviance, tolerance = 1e-10)
  # the offset is part of the linear predictor
  expect_equal(unname(a$auto$gradglm$linear.predictors), unname(a$auto$glm$linear.predictors),
               tolerance = 1e-6)
  # both at once add up; gaussian with an offset (the null deviance refits the intercept)
  check_case(quote(glm(Claims ~ District + Age + offset(log(Holders) / 2), offset = log(Holders) / 2,
                       data = ins, family = poisson)))
  check_case(quote(glm(mpg ~ hp, offset = 2 * wt, data = mtcars)), c("auto", "exact", "newton"))
  check_case(quote(glm(cbind(ncases, ncontrols) ~ agegp + alcgp + offset(rep(0.1, 88)),
                       data = esoph, family = binomial)))
})

test_that("subset matches glm", {
  check_case(quote(glm(mpg ~ wt + hp, data = mtcars, subset = cyl != 6)), c("exact", "newton"))
  check_case(quote(glm(breaks ~ tension, data = warpbreaks, subset = wool == "A", family = poisson)))
  fit <- gradglm(mpg ~ wt, data = mtcars, subset = 1:20)
  expect_equal(fit$df.residual, 18L)
})

test_that("factors, character columns, interactions, poly() and I() match glm", {
  tg <- ToothGrowth
  tg$supp_chr <- as.character(tg$supp)
  tg$dose_f <- factor(tg$dose)
  fits <- check_case(quote(glm(len ~ supp_chr * dose_f, data = tg)), c("exact", "newton"))
  expect_identical(names(fits$exact$gradglm$coefficients)[2], "supp_chrVC")
  tg$len_int <- round(tg$len)
  check_case(quote(glm(len_int ~ supp_chr + dose, data = tg, family = poisson(link = "sqrt"))))
  check_case(quote(glm(mpg ~ poly(hp, 2) + wt, data = mtcars)), c("exact", "newton"))
  check_case(quote(glm(mpg ~ wt + I(wt^2) + I(hp / 100), data = mtcars, family = gaussian(link = "log"))))
  check_case(quote(glm(breaks ~ tension + tension:wool, data = warpbreaks, family = poisson)))
  # an ordered factor takes polynomial contrasts, as in glm
  check_case(quote(glm(cbind(ncases, ncontrols) ~ agegp + tobgp * alcgp, data = esoph,
                       family = binomial)))
  skip_if_not_installed("MASS")
  bw <- birthwt_data()
  check_case(quote(glm(low ~ poly(age, 2) + lwt * smoke + race, data = bw, family = binomial)))
})

test_that("models without an intercept match glm", {
  check_case(quote(glm(mpg ~ 0 + factor(cyl) + wt, data = mtcars)), c("exact", "newton"))
  check_case(quote(glm(mpg ~ wt + hp - 1, data = mtcars)), c("exact", "newton"))
  check_case(quote(glm(breaks ~ 0 + tension + wool, data = warpbreaks, family = poisson)))
  # no intercept and no factor: the null model is mu = linkinv(0)
  check_case(quote(glm(am ~ 0 + wt + hp, data = mtcars, family = binomial)))
  check_case(quote(glm(count ~ 0 + spray, data = InsectSprays, family = poisson(link = "identity"))))
})

test_that("every binomial response form matches glm and gives the same fit", {
  skip_if_not_installed("MASS")
  bw <- birthwt_data()
  f01 <- check_case(quote(glm(low ~ age + lwt + smoke, data = bw, family = binomial)))
  flg <- check_case(quote(glm(low_lgl ~ age + lwt + smoke, data = bw, family = binomial)))
  ffc <- check_case(quote(glm(low_fac ~ age + lwt + smoke, data = bw, family = binomial)))
  expect_equal(flg$auto$gradglm$coefficients, f01$auto$gradglm$coefficients, tolerance = 1e-12)
  expect_equal(ffc$auto$gradglm$coefficients, f01$auto$gradglm$coefficients, tolerance = 1e-12)
  expect_equal(unname(ffc$auto$gradglm$y), bw$low)

  fcb <- check_case(quote(glm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph2,
                              family = binomial)))
  fpr <- check_case(quote(glm(prop ~ agegp + alcgp, weights = trials, data = esoph2,
                              family = binomial)))
  expect_equal(fpr$auto$gradglm$coefficients, fcb$auto$gradglm$coefficients, tolerance = 1e-10)
  expect_equal(fpr$auto$gradglm$deviance, fcb$auto$gradglm$deviance, tolerance = 1e-10)
  # as glm: the prior weights of a cbind() response are the trials, y the proportion
  expect_equal(unname(fcb$auto$gradglm$prior.weights), esoph2$trials)
  expect_equal(unname(fcb$auto$gradglm$y), esoph2$prop)
  # probit and cloglog on the proportion form
  check_case(quote(glm(prop ~ agegp + tobgp, weights = trials, data = esoph2,
                       family = binomial(link = "probit"))))
})

test_that("na.exclude and na.omit match glm", {
  aq <- airquality
  fits <- check_case(quote(glm(Ozone ~ Solar.R + Wind + Temp, data = aq, na.action = na.exclude)),
                     c("exact", "newton"))
  o <- fits$exact$gradglm
  r <- fits$exact$glm
  expect_equal(o$df.residual, r$df.residual)
  expect_s3_class(o$na.action, "exclude")
  expect_identical(unname(o$na.action), unname(r$na.action))
  # padded to the data's rows, NA where a row was excluded
  expect_length(fitted(o), nrow(aq))
  expect_equal(unname(fitted(o)), unname(fitted(r)), tolerance = 1e-8)
  expect_identical(which(is.na(residuals(o))), which(is.na(residuals(r))))

  fits <- check_case(quote(glm(Ozone ~ Solar.R + Wind, data = aq, na.action = na.omit,
                               family = poisson)))
  expect_s3_class(fits$auto$gradglm$na.action, "omit")
  expect_length(fits$auto$gradglm$fitted.values, sum(complete.cases(aq[, c("Ozone", "Solar.R", "Wind")])))
  check_case(quote(glm(Ozone > 60 ~ Temp + Wind, data = aq, na.action = na.exclude, family = binomial)))
})

# NIST's Longley data (R's longley in NIST's units: whole numbers, exact in
# binary) and its certified coefficients
nist_longley <- with(longley, data.frame(y = round(Employed * 1000), x1 = GNP.deflator, x2 = round(GNP * 1000),
                                         x3 = round(Unemployed * 10), x4 = round(Armed.Forces * 10),
                                         x5 = round(Population * 1000), x6 = Year))
nist_longley_coef <- c(-3482258.63459582, 15.0618722713733, -0.358191792925910E-01, -2.02022980381683,
                       -1.03322686717359, -0.511041056535807E-01, 1829.15146461355)

test_that("Longley: the closed form gives the NIST certified values to >= 10 digits", {
  L <- nist_longley
  certified <- nist_longley_coef
  certified_sd <- c(890420.383607373, 84.9149257747669, 0.334910077722432E-01, 0.488399681651699,
                    0.214274163161675, 0.226073200069370, 455.478499142212)
  for (opt in c("auto", "exact")) {
    fit <- gradglm(y ~ ., data = L, optimizer = opt)
    expect_identical(fit$optimizer, "exact")
    expect_close(fit$coefficients, certified, 1e-10, label = paste("Longley coefficients", opt))
    expect_close(sqrt(fit$dispersion), 304.854073561965, 1e-10, label = "Longley residual sd")
    expect_close(sqrt(fit$deviance / fit$df.residual), 304.854073561965, 1e-10,
                 label = "Longley residual sd from the deviance")
    expect_close(gradglm_se(fit), certified_sd, 1e-9, label = "Longley standard errors")
  }
  # the matrix interface too
  X <- cbind("(Intercept)" = 1, as.matrix(L[, -1]))
  fit <- gradglm_fit(X, L$y)
  expect_close(fit$coefficients, certified, 1e-10, label = "Longley coefficients, gradglm_fit")
})

test_that("Longley: the QR's refinement in extended precision gives 13 digits in any order of rows, weighted or not", {
  # (the QR alone gave 11.2-13.0 digits, as the order of its rounding fell)
  L <- nist_longley
  certified <- nist_longley_coef
  X <- cbind("(Intercept)" = 1, as.matrix(L[, -1]))
  digits <- function(b) min(-log10(abs(b - certified) / abs(certified)))
  expect_gt(digits(coef(gradglm_fit(X, L$y))), 13)
  expect_gt(digits(coef(gradglm_fit(X[16:1, ], L$y[16:1]))), 13)
  expect_gt(digits(coef(gradglm_fit(X[rep(1:16, 2), ], rep(L$y, 2)))), 13)
  expect_gt(digits(coef(gradglm_fit(X, L$y, weights = rep(3, 16)))), 13)
  # two responses, one of them Longley's: each column refined
  two <- gradglm(cbind(y, y2 = 2 * y) ~ ., data = L)
  b <- coef(two)
  expect_identical(length(b), 14L)
  expect_gt(digits(b[1:7]), 13)
  expect_gt(digits(b[8:14] / 2), 13)
})

# glm(control = glm.control(epsilon = 1e-12)) does not detect aliasing: its
# QR tolerance is min(1e-7, epsilon / 1000) = 1e-15, and it reports huge
# coefficients for collinear columns. So the aliased columns are taken from
# glm at its default control (tolerance 1e-7, as lm and gradglm), and the
# values from glm(epsilon = 1e-12) refitted without those columns.
check_rank_deficient <- function(call, optimizers = c("auto", "newton"), label = deparse1(call),
                                 env = parent.frame()) {
  r_def <- eval(call, env)
  aliased <- is.na(coef(r_def))
  expect(any(aliased), paste(label, ": the design is not rank deficient"))
  Xk <- model.matrix(r_def)[, !aliased, drop = FALSE]
  fam <- r_def$family
  yy <- r_def$y
  ww <- r_def$prior.weights
  off <- if (is.null(r_def$offset)) rep(0, length(yy)) else r_def$offset
  r_tight <- glm(yy ~ 0 + Xk, weights = ww, offset = off, family = fam, control = glm_tight)
  fits <- list()
  for (opt in optimizers) {
    ocall <- call
    ocall[[1L]] <- quote(gradglm::gradglm)
    ocall$optimizer <- opt
    o <- eval(ocall, env)
    lab <- sprintf("%s [%s]", label, opt)
    expect(identical(unname(is.na(o$coefficients)), unname(aliased)),
           sprintf("%s: NA coefficients %s, glm has %s", lab,
                   paste(names(which(is.na(o$coefficients))), collapse = ","),
                   paste(names(which(aliased)), collapse = ",")))
    expect_identical(names(o$coefficients), names(coef(r_def)))
    expect_identical(unname(o$aliased), unname(aliased))
    expect_close(o$coefficients[!aliased], coef(r_tight), 1e-6, floor = 1e-8,
                 label = paste(lab, "coefficients"))
    expect_close(gradglm_se(o)[!aliased], glm_se(r_tight), 1e-5, label = paste(lab, "standard errors"))
    expect_close(o$deviance, deviance(r_tight), 1e-5, label = paste(lab, "deviance"))
    expect_close(o$aic, r_tight$aic, 1e-5, label = paste(lab, "aic"))
    expect_close(o$loglik, as.numeric(logLik(r_tight)), 1e-5, label = paste(lab, "loglik"))
    expect_close(o$null.deviance, r_def$null.deviance, 1e-5, label = paste(lab, "null.deviance"))
    expect_identical(as.numeric(o$rank), as.numeric(r_def$rank))
    expect_identical(as.numeric(o$df.residual), as.numeric(r_def$df.residual))
    expect_equal(dim(o$cov.unscaled), c(o$rank, o$rank))
    expect_identical(rownames(o$cov.unscaled), names(coef(r_def))[!aliased])
    fits[[opt]] <- o
  }
  invisible(fits)
}

test_that("rank-deficient designs give NA coefficients where glm does", {
  mt <- mtcars
  mt$wt2 <- 2 * mt$wt
  mt$wtp <- mt$wt + mt$hp / 100
  check_rank_deficient(quote(glm(mpg ~ wt + wt2 + hp, data = mt)), c("auto", "exact", "newton"))
  check_rank_deficient(quote(glm(mpg ~ wt + hp + wtp + qsec, data = mt)), c("exact", "newton"))
  check_rank_deficient(quote(glm(carb ~ wt + hp + wtp, data = mt, family = poisson)))
  # an empty cell of an interaction: no car has 8 cylinders and 4 gears
  check_rank_deficient(quote(glm(mpg ~ factor(cyl) * factor(gear), data = mt)), c("exact", "newton"))
  check_rank_deficient(quote(glm(carb ~ factor(cyl) * factor(gear), data = mt, family = poisson)))
  # nested factors without their main effect
  check_rank_deficient(quote(glm(breaks ~ wool:tension, data = warpbreaks, family = poisson)))
  check_rank_deficient(quote(glm(cbind(ncases, ncontrols) ~ agegp + tobgp:alcgp, data = esoph,
                                 family = binomial)))
  # gradient descent drops the same columns
  fit <- gradglm(mpg ~ wt + wt2 + hp, data = mt, optimizer = "gd")
  expect_identical(unname(is.na(fit$coefficients)), c(FALSE, FALSE, TRUE, FALSE))
  skip_if_not_installed("MASS")
  bw <- birthwt_data()
  bw$age2 <- 2 * bw$age
  for (link in c("logit", "probit", "cloglog")) {
    check_rank_deficient(bquote(glm(low ~ age + lwt + age2 + smoke, data = bw,
                                    family = binomial(link = .(link)))))
  }
})

test_that("more coefficients than observations: the columns beyond the rank are aliased where glm aliases them", {
  # glm's rule: a column is aliased when it depends on the kept columns before
  # it, and is then set aside (an early dependent column does not take a
  # later independent one with it); once the kept columns reach the rank,
  # the rest are aliased
  set.seed(61)
  for (r in 1:24) {
    n <- 4 + r %% 7
    p <- n + (r %% 5) - 1
    X <- matrix(rnorm(n * p), n)
    colnames(X) <- paste0("v", seq_len(p))
    if (r %% 3 == 0) X[, 2] <- 2 * X[, 1]
    if (r %% 4 == 0) X[, 3] <- 1  # (a copy of the intercept)
    dd <- data.frame(X, yg = rnorm(n), yp = stats::rpois(n, 3) + 1, yb = stats::rbinom(n, 1, 0.5))
    for (m in list(list("yg", gaussian()), list("yp", poisson()), list("yb", binomial()))) {
      fml <- stats::reformulate(colnames(X), m[[1]])
      g <- suppressWarnings(glm(fml, data = dd, family = m[[2]]))
      f <- suppressWarnings(gradglm(fml, data = dd, family = m[[2]]))
      lab <- paste(m[[2]]$family, "n =", n, "p =", p + 1, "case", r)
      expect_identical(is.na(coef(f)), is.na(coef(g)), label = lab)
      expect_identical(c(f$rank, df.residual(f)), c(g$rank, df.residual(g)), label = lab)
      # (a saturated binomial fit runs its fitted probabilities to 0 and 1)
      if (m[[2]]$family != "binomial") expect_equal(fitted(f), fitted(g), tolerance = 1e-6, label = lab)
    }
  }
  # the matrix interface, and zero weights leaving fewer rows than columns
  X6 <- cbind(1, matrix(seq_len(36) %% 7, 6, 6))
  y6 <- c(1.2, 2.3, 3.1, 4.8, 5.2, 6.9)
  expect_identical(unname(is.na(coef(gradglm_fit(X6, y6)))), is.na(coef(glm.fit(X6, y6))))
  w <- c(1, 0, 1, 0, 1, 0)
  expect_identical(is.na(coef(gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars[1:6, ], weights = w))),
                   is.na(coef(glm(mpg ~ wt + hp + qsec + drat, data = mtcars[1:6, ], weights = w))))
})

test_that("separation gives a warning and a finite result", {
  d <- data.frame(x = c(1:10), y = c(0, 0, 0, 0, 0, 1, 1, 1, 1, 1))
  for (opt in c("auto", "newton", "gd")) {
    expect_warning(fit <- gradglm(y ~ x, data = d, family = binomial, optimizer = opt),
                   "gradglm")
    expect_true(all(is.finite(fit$coefficients)))
    expect_true(all(is.finite(fit$fitted.values)))
    expect_true(all(is.finite(fit$trace$loss)))
    # exact routes go to (numerically) zero deviance; gd stops on its gradient
    if (opt != "gd") expect_lt(fit$deviance, 1e-3)
    # the fit separates the classes
    expect_identical(unname(fit$fitted.values > 0.5), d$y == 1)
  }
  # quasi-complete separation in a real dataset
  expect_warning(fit <- gradglm(vs ~ mpg + hp + wt, data = mtcars, family = binomial(link = "probit")),
                 "gradglm")
  expect_true(all(is.finite(fit$coefficients)))
})

test_that("family given as a string, a function or an object gives the same fit", {
  a <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = "poisson")
  b <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson)
  d <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(link = "log"))
  expect_equal(a$coefficients, b$coefficients, tolerance = 1e-12)
  expect_equal(a$coefficients, d$coefficients, tolerance = 1e-12)
  expect_identical(a$family$family, "poisson")
  expect_identical(a$family$link, "log")
  expect_s3_class(a$family, "family")
})

test_that("gradglm_fit matches glm", {
  skip_if_not_installed("MASS")
  bw <- birthwt_data()
  X <- model.matrix(~ age + lwt + race + smoke, bw)
  for (link in c("logit", "probit", "cloglog")) {
    p <- fit_pair(bquote(glm(low ~ age + lwt + race + smoke, data = bw, family = binomial(link = .(link)))))
    o <- gradglm_fit(X, bw$low, family = binomial(link = link))
    expect_matches_glm(o, p$glm, ref = p$glm_ref, label = paste("gradglm_fit", link))
    expect_identical(names(o$coefficients), colnames(X))
    expect_null(o$call)
  }
  w <- bw$lwt / 100
  off <- rep(0.3, nrow(X))
  p <- fit_pair(quote(glm(ptl ~ age + lwt + race + smoke, data = bw, weights = w, offset = off,
                          family = poisson)))
  o <- gradglm_fit(X, bw$ptl, weights = w, offset = off, family = poisson())
  expect_matches_glm(o, p$glm, ref = p$glm_ref, label = "gradglm_fit poisson")
  expect_identical(o$method, "gradglm_fit")
  # glm.fit itself agrees
  r <- glm.fit(X, bw$ptl, weights = w, offset = off, family = poisson(), control = glm_tight)
  expect_close(o$deviance, r$deviance, 1e-8, label = "deviance vs glm.fit")
})

test_that("a binomial response given as a one-column matrix is fitted as glm fits it", {
  X <- cbind(1, x = c(0.3, 1.1, 0.2, 2.5, 1.9, 0.4, 3.1, 2.2, 0.8, 1.5))
  y <- c(0, 0, 1, 1, 0, 0, 1, 1, 1, 0)
  ym <- matrix(y, ncol = 1, dimnames = list(letters[1:10], NULL))
  ref <- glm.fit(X, ym, family = binomial())
  fit <- gradglm_fit(X, ym, family = binomial())
  expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-8)
  expect_identical(names(fitted(fit)), letters[1:10])
  expect_equal(deviance(fit), ref$deviance, tolerance = 1e-10)
  d <- data.frame(y = y, x = X[, 2])
  f2 <- gradglm(cbind(y) ~ x, data = d, family = binomial())
  g2 <- glm(cbind(y) ~ x, data = d, family = binomial())
  expect_equal(coef(f2), coef(g2), tolerance = 1e-8)
  expect_equal(deviance(f2), deviance(g2), tolerance = 1e-10)
  # proportions with weights, as a one-column matrix too
  w <- c(3, 5, 2, 4, 4, 6, 2, 3, 5, 4)
  pm <- matrix(c(1, 2, 1, 3, 1, 2, 2, 2, 4, 1) / w, ncol = 1)
  expect_equal(unname(coef(gradglm_fit(X, pm, weights = w, family = binomial()))),
               unname(coef(glm.fit(X, pm, weights = w, family = binomial()))), tolerance = 1e-8)
  # two columns are still (successes, failures); three are an error
  expect_error(gradglm_fit(X, cbind(y, y, y), family = binomial()), "2 numeric columns")
})
