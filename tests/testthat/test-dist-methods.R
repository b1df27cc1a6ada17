# Methods for distributional fits (kind "likelihood", one class "gradglm"):
# print, summary, vcov, confint, logLik and friends, residuals, predict (with
# standard errors checked against a numerical delta method), plot and the
# likelihood-ratio anova.

# ---------------------------------------------------------------------------
# Fits shared by the tests below.

fits_dm <- local({
  d_off <- within(mtcars, {
    am_f <- factor(am, labels = c("auto", "manual"))
    base <- 0.05 * hp
  })
  list(
    laplace = gradglm(dist ~ speed, data = cars, family = laplace()),
    hetero = gradglm(dist ~ speed, sigma = ~ speed, data = cars),
    gauss1 = gradglm(dist ~ speed, sigma = ~ 1, data = cars),
    classical = gradglm(dist ~ speed, data = cars),
    t4 = gradglm(dist ~ speed, data = cars, family = student_t(df = 4)),
    t_est = gradglm(dist ~ speed, data = cars, family = student_t()),
    t_het = gradglm(dist ~ speed, sigma = ~ speed, data = cars,
                    family = student_t()),
    # an offset() term, a factor in the sigma model and a log link
    offset = gradglm(mpg ~ wt + offset(base), sigma = ~ am_f, data = d_off,
                     family = student_t(df = 5)),
    loglink = gradglm(dist ~ speed, sigma = ~ speed, data = cars,
                      family = student_t(df = 5, link = "log")),
    d_off = d_off
  )
})
dm_dist <- fits_dm[c("laplace", "hetero", "gauss1", "t4", "t_est", "t_het",
                     "offset", "loglink")]

with_null_device_dm <- function(code) {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  force(code)
}

# Numerical Jacobian (central differences) of f(theta) at theta.
jacobian_dm <- function(f, theta, h = 1e-6) {
  cols <- lapply(seq_along(theta), function(j) {
    hj <- h * max(1, abs(theta[j]))
    e <- replace(numeric(length(theta)), j, hj)
    (f(theta + e) - f(theta - e)) / (2 * hj)
  })
  do.call(cbind, cols)
}

# Standard errors of predict(fit, newdata, type) by a numerical delta method:
# perturb the (non-aliased) coefficients, re-predict, J V J'.
numeric_se_dm <- function(fit, newdata, type) {
  ok <- !is.na(fit$coefficients)
  theta <- fit$coefficients[ok]
  f <- function(th) {
    g <- fit
    g$coefficients[ok] <- th
    unname(predict(g, newdata = newdata, type = type))
  }
  J <- jacobian_dm(f, unname(theta))
  V <- vcov(fit, complete = FALSE)
  sqrt(diag(J %*% V %*% t(J)))
}

# ---------------------------------------------------------------------------

test_that("fits have the distributional class and the parts the methods use", {
  for (nm in names(dm_dist)) {
    fit <- dm_dist[[nm]]
    expect_s3_class(fit, "gradglm", exact = TRUE)
    expect_identical(fit$kind, "likelihood")
    expect_true(all(c("sigma", "blocks", "loglik", "npar", "cov.unscaled") %in%
                      names(fit)), label = nm)
  }
  expect_identical(fits_dm$classical$kind, "glm")
})

test_that("print shows the parts of the model and returns its input invisibly", {
  fit <- fits_dm$laplace
  capture.output(vis <- withVisible(print(fit)))
  expect_false(vis$visible)
  expect_identical(vis$value, fit)
  out <- capture.output(print(fit))
  expect_true(any(grepl("^Family: laplace \\(link: identity\\)$", out)))
  expect_true(any(out == "Location coefficients:"))
  expect_true(any(out == "Sigma model coefficients (log scale, sigma ~ 1):"))
  expect_true(any(grepl("On the natural scale: sigma = ", out, fixed = TRUE)))
  # the printed scale is exp of the sigma intercept
  line <- grep("On the natural scale", out, value = TRUE)
  shown <- as.numeric(sub(".*sigma = ([0-9.]+).*", "\\1", line))
  expect_equal(shown, exp(unname(coef(fit)["sigma:(Intercept)"])),
               tolerance = 1e-3)
  expect_true(any(grepl("^Log-likelihood: .*\\(df = 3\\).*AIC: ", out)))
  # (with two more digits than the coefficients: the print said -1740 for polr's -1739.57)
  ll <- as.numeric(logLik(fit))
  expect_true(any(grepl(paste0("^Log-likelihood: ", format(signif(ll, 6))), out, fixed = FALSE)))
  expect_true(any(grepl("^Optimizer: newton, [0-9]+ iterations? \\(converged\\)$",
                        out)))
  expect_false(any(grepl("log(df)", out, fixed = TRUE)))

  # heteroskedastic: no natural-scale line, the sigma formula in the heading
  out <- capture.output(print(fits_dm$hetero))
  expect_true(any(out == "Sigma model coefficients (log scale, sigma ~ speed):"))
  expect_false(any(grepl("natural scale", out)))
  expect_true(any(grepl("^Family: gaussian", out)))

  # Student-t: df fixed or estimated
  expect_output(print(fits_dm$t4), "df = 4 (fixed)", fixed = TRUE)
  out <- capture.output(print(fits_dm$t_est))
  expect_true(any(grepl("df estimated (", out, fixed = TRUE)))
  expect_true(any(out == "Degrees of freedom (log scale):"))
  expect_true(any(grepl("log(df)", out, fixed = TRUE)))
  expect_true(any(grepl("sigma = .*, df = ", out)))
})

test_that("vcov is the joint covariance, symmetric, named as the coefficients", {
  for (nm in names(dm_dist)) {
    fit <- dm_dist[[nm]]
    v <- vcov(fit)
    cf <- coef(fit)
    expect_identical(dimnames(v), list(names(cf), names(cf)), label = nm)
    expect_equal(v, t(v), tolerance = 1e-12, label = nm)
    cu <- fit$cov.unscaled
    expect_equal(v, cu[rownames(v), colnames(v)], tolerance = 1e-14, label = nm)
    expect_true(all(diag(v) > 0), label = nm)
    # positive definite
    expect_true(all(eigen(v, symmetric = TRUE, only.values = TRUE)$values > 0))
  }
  # location first, then sigma:, then log(df)
  expect_identical(names(coef(fits_dm$t_het)),
                   c("(Intercept)", "speed", "sigma:(Intercept)", "sigma:speed",
                     "log(df)"))
})

test_that("vcov(complete = TRUE) pads aliased parameters with NA", {
  d <- transform(cars, speed2 = 2 * speed)
  fit <- suppressWarnings(gradglm(dist ~ speed + speed2, sigma = ~ speed,
                                  data = d, family = laplace()))
  expect_true(is.na(coef(fit)[["speed2"]]))
  v <- vcov(fit)
  expect_identical(rownames(v), names(coef(fit)))
  expect_true(all(is.na(v["speed2", ])))
  expect_true(all(is.na(v[, "speed2"])))
  v0 <- vcov(fit, complete = FALSE)
  expect_false("speed2" %in% rownames(v0))
  expect_false(anyNA(v0))
  expect_equal(v0, v[rownames(v0), colnames(v0)])
  # summary marks the aliased row; confint gives NA for it
  s <- summary(fit)
  expect_true(all(is.na(s$location["speed2", ])))
  expect_output(print(s), "1 not defined because of singularities", fixed = TRUE)
  expect_true(all(is.na(confint(fit)["speed2", ])))
  expect_equal(attr(logLik(fit), "df"), 4)
})

test_that("summary gives one table per part from the joint covariance", {
  fit <- fits_dm$t_het
  s <- summary(fit)
  expect_s3_class(s, "summary.gradglm")
  v <- vcov(fit)
  se <- sqrt(diag(v))
  cf <- coef(fit)
  expect_identical(colnames(s$location),
                   c("Estimate", "Std. Error", "z value", "Pr(>|z|)"))
  expect_equal(unname(s$location[, "Estimate"]), unname(cf[1:2]))
  expect_equal(unname(s$location[, "Std. Error"]), unname(se[1:2]))
  expect_equal(unname(s$location[, "z value"]), unname(cf[1:2] / se[1:2]))
  expect_equal(unname(s$location[, "Pr(>|z|)"]),
               unname(2 * pnorm(-abs(cf[1:2] / se[1:2]))))
  expect_identical(rownames(s$sigma), c("(Intercept)", "speed"))
  expect_equal(unname(s$sigma[, "Std. Error"]), unname(se[3:4]))
  expect_identical(rownames(s$log_df), "log(df)")
  expect_equal(s$log_df[1, "Estimate"], cf[["log(df)"]])
  expect_equal(s$log_df[1, "Std. Error"], se[["log(df)"]])
  # coef(summary) is the table of all parameters
  expect_identical(rownames(coef(s)), names(cf))
  # heteroskedastic: only df on the natural scale
  expect_identical(rownames(s$natural), "df")
  expect_equal(s$natural["df", "Estimate"], exp(cf[["log(df)"]]))
  expect_equal(s$natural["df", "Std. Error"],
               exp(cf[["log(df)"]]) * se[["log(df)"]])

  out <- capture.output(print(s))
  expect_true(any(out == "Location model coefficients:"))
  expect_true(any(out == "Sigma model coefficients (log scale, sigma ~ speed):"))
  expect_true(any(out == "Degrees of freedom (log scale):"))
  expect_true(any(grepl("natural scale (delta-method", out, fixed = TRUE)))
  expect_true(any(grepl("^Log-likelihood: .* on 5 parameters", out)))
  expect_true(any(grepl("^Number of observations: 50", out)))
  expect_true(any(grepl("^Optimizer: newton", out)))
  expect_true(any(grepl("z value", out, fixed = TRUE)))
  expect_false(any(grepl("t value", out, fixed = TRUE)))
  capture.output(vis <- withVisible(print(s)))
  expect_false(vis$visible)
  expect_identical(vis$value, s)
})

test_that("summary of a constant-scale fit shows sigma with a delta-method SE", {
  for (nm in c("laplace", "gauss1", "t4", "t_est")) {
    fit <- dm_dist[[nm]]
    s <- summary(fit)
    g <- coef(fit)[["sigma:(Intercept)"]]
    se_g <- sqrt(vcov(fit)["sigma:(Intercept)", "sigma:(Intercept)"])
    expect_equal(s$natural["sigma", "Estimate"], exp(g), label = nm)
    expect_equal(s$natural["sigma", "Std. Error"], exp(g) * se_g, label = nm)
    expect_equal(unname(fit$sigma), rep(exp(g), 50), tolerance = 1e-10)
    expect_output(print(s), "On the natural scale (delta-method standard errors)",
                  fixed = TRUE)
  }
  expect_identical(rownames(summary(fits_dm$t_est)$natural), c("sigma", "df"))
  expect_null(summary(fits_dm$t4)$log_df)
  expect_output(print(summary(fits_dm$t4)), "fixed at 4", fixed = TRUE)
  expect_null(summary(fits_dm$hetero)$natural)

  # the Gaussian sigma ~ 1 fit: the ML scale sqrt(RSS / n) and the
  # classical standard error of log(sigma), 1 / sqrt(2 n)
  fit <- fits_dm$gauss1
  rss <- sum(residuals(fit)^2)
  expect_equal(summary(fit)$natural["sigma", "Estimate"], sqrt(rss / 50),
               tolerance = 1e-6)
  expect_equal(summary(fit)$sigma[1, "Std. Error"], 1 / sqrt(2 * 50),
               tolerance = 1e-5)
})

test_that("summary(correlation = TRUE) computes and prints the correlations", {
  fit <- fits_dm$hetero
  s <- summary(fit, correlation = TRUE)
  v <- vcov(fit)
  expect_equal(s$correlation, cov2cor(v))
  expect_equal(unname(diag(s$correlation)), rep(1, 4))
  expect_output(print(s), "Correlation of Coefficients:", fixed = TRUE)
  expect_null(summary(fit)$correlation)
  expect_false(any(grepl("Correlation", capture.output(print(summary(fit))))))
})

test_that("confint gives profile intervals for the location, Wald intervals for the other parameters", {
  fit <- fits_dm$t_het
  cf <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  ci <- confint(fit)
  expect_identical(rownames(ci), names(cf))
  expect_identical(colnames(ci), c("2.5 %", "97.5 %"))
  other <- !names(cf) %in% fit$blocks$location$coef_names
  expect_equal(ci[other, 1], cf[other] - qnorm(0.975) * se[other])
  expect_equal(ci[other, 2], cf[other] + qnorm(0.975) * se[other])
  wald <- confint(fit, method = "wald")
  expect_equal(wald[, 1], cf - qnorm(0.975) * se)
  expect_equal(wald[, 2], cf + qnorm(0.975) * se)
  # (the location's profile limits lie near the Wald ones, not on them)
  expect_equal(ci[!other, ], wald[!other, ], tolerance = 0.2)
  expect_false(isTRUE(all.equal(ci[!other, ], wald[!other, ], tolerance = 1e-6)))
  ci90 <- confint(fit, level = 0.9)
  expect_equal(unname(ci90[other, 2]), unname(cf[other] + qnorm(0.95) * se[other]))
  expect_identical(confint(fit, parm = c("sigma:speed", "log(df)")),
                   ci[c("sigma:speed", "log(df)"), ])
  expect_identical(confint(fit, parm = c(4, 5)), ci[c(4, 5), ])
  expect_error(confint(fit, parm = "nope"), "unknown parameter")
  expect_error(confint(fit, parm = 9), "between 1 and 5")
  expect_error(confint(fit, level = 2), "'level'")
})

test_that("logLik, AIC, BIC, nobs, deviance and df.residual agree", {
  for (nm in names(dm_dist)) {
    fit <- dm_dist[[nm]]
    ll <- logLik(fit)
    k <- sum(!is.na(coef(fit)))
    n <- length(fit$fitted.values)
    expect_s3_class(ll, "logLik")
    expect_equal(as.numeric(ll), fit$loglik, label = nm)
    expect_equal(attr(ll, "df"), k, label = nm)
    expect_equal(attr(ll, "nobs"), n, label = nm)
    expect_equal(nobs(fit), n)
    expect_equal(AIC(fit), -2 * fit$loglik + 2 * k)
    expect_equal(AIC(fit), fit$aic)
    expect_equal(BIC(fit), -2 * fit$loglik + log(n) * k)
    expect_equal(deviance(fit), -2 * fit$loglik)
    expect_equal(df.residual(fit), n - k)
  }
  expect_equal(attr(logLik(fits_dm$t_est), "df"), 4)
  expect_equal(attr(logLik(fits_dm$t4), "df"), 3)
  # the classical Gaussian fit and sigma ~ 1 reach the same likelihood
  expect_equal(as.numeric(logLik(fits_dm$gauss1)),
               as.numeric(logLik(fits_dm$classical)), tolerance = 1e-8)
  expect_equal(attr(logLik(fits_dm$gauss1), "df"),
               attr(logLik(fits_dm$classical), "df"))
})

test_that("coef and fitted are inherited and correct", {
  fit <- fits_dm$hetero
  expect_identical(coef(fit), fit$coefficients)
  expect_identical(fitted(fit), fit$fitted.values)
  X <- model.matrix(~ speed, cars)
  expect_equal(unname(fitted(fit)), unname(drop(X %*% coef(fit)[1:2])))
})

test_that("response, pearson and quantile residuals", {
  fit <- fits_dm$hetero
  r <- residuals(fit)
  expect_equal(unname(r), cars$dist - unname(fitted(fit)))
  expect_identical(names(r), names(fitted(fit)))
  rp <- residuals(fit, type = "pearson")
  expect_equal(rp, r / fit$sigma)
  # Gaussian: qnorm(pnorm(z)) = z
  expect_equal(residuals(fit, type = "quantile"), rp, tolerance = 1e-10)
  expect_error(residuals(fit, type = "deviance"), "'type' must be one of 'response', 'pearson', 'quantile' for this fit")

  # Laplace: F from its formula
  fit <- fits_dm$laplace
  z <- residuals(fit, type = "pearson")
  F <- ifelse(z < 0, 0.5 * exp(z), 1 - 0.5 * exp(-z))
  expect_equal(residuals(fit, type = "quantile"), qnorm(F), tolerance = 1e-10)
  expect_equal(z, residuals(fit) / fit$sigma)

  # Student-t: pt((y - mu) / sigma, df)
  for (fit in list(fits_dm$t4, fits_dm$t_est, fits_dm$t_het)) {
    z <- (cars$dist - fitted(fit)) / fit$sigma
    expect_equal(residuals(fit, type = "quantile"), qnorm(pt(z, fit$df)),
                 tolerance = 1e-10)
  }

  # extreme observations stay finite (tail probabilities on the log scale)
  obj <- list(fitted.values = c(0, 0, 0), sigma = c(1, 1, 1),
              family = list(family = "laplace"))
  q <- gradglm:::.ls_quantile_resid(obj, c(-80, 0, 80))
  expect_true(all(is.finite(q)))
  expect_equal(q, c(qnorm(log(0.5) - 80, log.p = TRUE), 0,
                    -qnorm(log(0.5) - 80, log.p = TRUE)))
  obj <- list(fitted.values = c(0, 0), sigma = c(2, 2), df = 3,
              family = list(family = "student_t"))
  q <- gradglm:::.ls_quantile_resid(obj, c(-1e8, 1e8))
  expect_true(all(is.finite(q)))
  expect_equal(q[1], -q[2])
})

test_that("residuals are padded for na.exclude", {
  aq <- airquality
  fit <- gradglm(Ozone ~ Temp, sigma = ~ Wind, data = aq, family = laplace(),
                 na.action = na.exclude)
  miss <- is.na(aq$Ozone)
  for (type in c("response", "pearson", "quantile")) {
    r <- residuals(fit, type = type)
    expect_length(r, nrow(aq))
    expect_identical(unname(is.na(r)), miss, label = type)
  }
  expect_length(predict(fit, type = "sigma"), nrow(aq))
  expect_identical(unname(is.na(predict(fit, type = "sigma"))), miss)
  ps <- predict(fit, type = "sigma", se.fit = TRUE)
  expect_length(ps$se.fit, nrow(aq))
  expect_equal(unname(ps$fit[!miss]), unname(fit$sigma))
  # the sigma model's design rebuilt for se.fit: the same as for newdata
  nd <- aq[!miss, ]
  expect_equal(unname(ps$se.fit[!miss]),
               unname(predict(fit, nd, type = "sigma", se.fit = TRUE)$se.fit))
})

test_that("predict without newdata returns the fitted parts", {
  for (nm in names(dm_dist)) {
    fit <- dm_dist[[nm]]
    expect_equal(predict(fit), fit$linear.predictors, label = nm)
    expect_equal(predict(fit, type = "response"), fit$fitted.values, label = nm)
    expect_equal(predict(fit, type = "sigma"), fit$sigma, label = nm)
    expect_equal(unname(log(fit$sigma)), unname(fit$sigma.linear.predictors))
  }
  expect_error(predict(fits_dm$hetero, type = "variance"), "'type' must be one of")
})

test_that("predict on new data rebuilds both designs", {
  fit <- fits_dm$hetero
  nd <- data.frame(speed = c(4, 12.5, 30))
  X <- cbind(1, nd$speed)
  cf <- coef(fit)
  expect_equal(unname(predict(fit, nd)), drop(X %*% cf[1:2]))
  expect_equal(unname(predict(fit, nd, type = "response")), drop(X %*% cf[1:2]))
  expect_equal(unname(predict(fit, nd, type = "sigma")),
               exp(drop(X %*% cf[c("sigma:(Intercept)", "sigma:speed")])))
  expect_identical(names(predict(fit, nd, type = "sigma")), c("1", "2", "3"))
  # the original data give the fitted values back
  expect_equal(predict(fit, cars, type = "sigma"), fit$sigma)

  # a factor in the sigma model, an offset() term in the location model
  fit <- fits_dm$offset
  d <- fits_dm$d_off
  expect_equal(predict(fit, d), fit$linear.predictors)
  expect_equal(predict(fit, d, type = "sigma"), fit$sigma)
  nd <- data.frame(wt = c(2, 3), base = c(1, 10),
                   am_f = factor(c("manual", "auto"), levels = c("auto", "manual")))
  cf <- coef(fit)
  expect_equal(unname(predict(fit, nd)),
               cf[["(Intercept)"]] + cf[["wt"]] * nd$wt + nd$base)
  expect_equal(unname(predict(fit, nd, type = "sigma")),
               exp(cf[["sigma:(Intercept)"]] + cf[["sigma:am_fmanual"]] * c(1, 0)))
  # only the variables of the part asked for are needed
  expect_length(predict(fit, nd["am_f"], type = "sigma"), 2L)
  expect_error(predict(fit, nd["wt"], type = "sigma"), "am_f")
  nd_bad <- nd
  nd_bad$am_f <- c("manual", "semi")
  expect_error(predict(fit, nd_bad, type = "sigma"), "'semi'")

  # log link: response = exp(link)
  fit <- fits_dm$loglink
  nd <- data.frame(speed = c(5, 20))
  expect_equal(predict(fit, nd, type = "response"), exp(predict(fit, nd)))
})

test_that("predict handles missing values in newdata", {
  fit <- fits_dm$hetero
  nd <- data.frame(speed = c(5, NA, 20))
  p <- predict(fit, nd, type = "sigma")
  expect_length(p, 3L)
  expect_true(is.na(p[2]))
  p <- predict(fit, nd, type = "sigma", na.action = na.omit)
  expect_identical(names(p), c("1", "3"))
  p <- predict(fit, nd, type = "response", se.fit = TRUE, na.action = na.exclude)
  expect_length(p$se.fit, 3L)
  expect_true(is.na(p$se.fit[2]) && is.na(p$fit[2]))
  expect_true(all(is.finite(p$se.fit[-2])))
})

test_that("se.fit matches a numerical delta method for every type", {
  cases <- list(
    list(fits_dm$hetero, data.frame(speed = c(4, 15, 25))),
    list(fits_dm$t_het, data.frame(speed = c(4, 15, 25))),
    list(fits_dm$laplace, data.frame(speed = c(4, 15, 25))),
    list(fits_dm$loglink, data.frame(speed = c(4, 15, 25))),
    list(fits_dm$offset,
         data.frame(wt = c(2, 3, 4), base = c(1, 10, 3),
                    am_f = factor(c("manual", "auto", "auto"),
                                  levels = c("auto", "manual"))))
  )
  for (cs in cases) {
    fit <- cs[[1]]
    nd <- cs[[2]]
    for (type in c("link", "response", "sigma")) {
      p <- predict(fit, nd, type = type, se.fit = TRUE)
      expect_named(p, c("fit", "se.fit", "residual.scale"))
      expect_equal(p$residual.scale, 1)
      expect_equal(p$fit, predict(fit, nd, type = type))
      expect_equal(unname(p$se.fit), numeric_se_dm(fit, nd, type),
                   tolerance = 1e-6, label = paste(fit$family$family, type))
    }
    # the closed forms of the brief
    pl <- predict(fit, nd, type = "link", se.fit = TRUE)
    pr <- predict(fit, nd, type = "response", se.fit = TRUE)
    expect_equal(pr$se.fit, pl$se.fit * abs(fit$family$mu.eta(pl$fit)))
  }
  # without newdata: the same as with the original data
  fit <- fits_dm$hetero
  for (type in c("link", "response", "sigma")) {
    expect_equal(predict(fit, type = type, se.fit = TRUE),
                 predict(fit, cars, type = type, se.fit = TRUE), label = type)
  }
  fit <- fits_dm$offset
  expect_equal(predict(fit, type = "sigma", se.fit = TRUE)$se.fit,
               predict(fit, fits_dm$d_off, type = "sigma", se.fit = TRUE)$se.fit)
  # a constant scale: se of sigma = sigma * se(log sigma), the same everywhere
  fit <- fits_dm$laplace
  ps <- predict(fit, type = "sigma", se.fit = TRUE)
  expect_equal(unname(ps$se.fit),
               rep(summary(fit)$natural["sigma", "Std. Error"], 50))
})

test_that("predict works for gradglm_fit() fits with matrix designs", {
  X <- model.matrix(~ speed, cars)
  Z <- model.matrix(~ speed, cars)
  fit <- gradglm_fit(X, cars$dist, family = gaussian(), x_sigma = Z)
  expect_identical(fit$kind, "likelihood")
  cf <- coef(fit)
  nd <- X[1:3, ]
  expect_equal(unname(predict(fit, nd)), unname(drop(nd %*% cf[1:2])))
  expect_equal(unname(predict(fit, nd, type = "sigma", x_sigma = Z[1:3, ])),
               unname(fit$sigma[1:3]))
  expect_error(predict(fit, nd, type = "sigma"), "x_sigma")
  p <- predict(fit, nd, type = "sigma", x_sigma = Z[1:3, ], se.fit = TRUE)
  expect_true(all(p$se.fit > 0))

  fit <- gradglm_fit(X, cars$dist, family = laplace())
  expect_equal(unname(predict(fit, nd, type = "sigma")),
               rep(unname(fit$sigma[1]), 3))
})

test_that("plot draws every panel on a non-interactive device", {
  for (nm in c("hetero", "laplace", "t_est", "loglink")) {
    fit <- dm_dist[[nm]]
    for (w in c("loss", "fit", "residuals", "qq")) {
      with_null_device_dm({
        expect_invisible(out <- plot(fit, which = w))
        expect_identical(out, fit)
      })
    }
    with_null_device_dm({
      expect_invisible(plot(fit))
      expect_invisible(plot(fit, which = 1:4))
      expect_invisible(plot(fit, which = c("res", "qq"), main = "custom",
                            col = "blue"))
    })
  }
  # no single numeric predictor: "fit" is skipped by default, an error if asked
  fit <- fits_dm$offset
  with_null_device_dm({
    expect_invisible(plot(fit))
    expect_error(plot(fit, which = "fit"), "single numeric predictor")
    expect_error(plot(fit, which = "nope"), "'which'")
    expect_error(plot(fit, which = 5), "'which'")
  })
})

test_that("the fit panel draws the mean +- 2 sigma band", {
  fit <- fits_dm$hetero
  path <- tempfile(fileext = ".png")
  on.exit(unlink(path), add = TRUE)
  grDevices::png(path)
  plot(fit, which = "fit")
  grDevices::dev.off()
  expect_gt(file.size(path), 0)
  # the band it draws widens with speed: sigma grows with it
  s <- predict(fit, data.frame(speed = c(4, 25)), type = "sigma")
  expect_gt(s[[2]], s[[1]])
})

test_that("anova gives likelihood-ratio tests in the order given", {
  f1 <- fits_dm$gauss1
  f2 <- fits_dm$hetero
  a <- anova(f1, f2)
  expect_s3_class(a, "anova")
  expect_identical(names(a),
                   c("Resid. Df", "-2 logLik", "Df", "LR stat", "Pr(>Chi)"))
  expect_equal(a[["Resid. Df"]], c(50 - 3, 50 - 4))
  expect_equal(a[["-2 logLik"]], -2 * c(f1$loglik, f2$loglik))
  expect_equal(a[["Df"]][2], 1)
  lr <- 2 * (as.numeric(logLik(f2)) - as.numeric(logLik(f1)))
  expect_equal(a[["LR stat"]][2], lr)
  expect_gt(lr, 0)
  expect_equal(a[["Pr(>Chi)"]][2], pchisq(lr, 1, lower.tail = FALSE))
  expect_true(is.na(a[["Pr(>Chi)"]][1]))
  expect_output(print(a), "Likelihood ratio test", fixed = TRUE)
  expect_output(print(a), "sigma ~ speed", fixed = TRUE)

  # reversed order: signs flip, the same p-value
  b <- anova(f2, f1)
  expect_equal(b[["LR stat"]][2], -lr)
  expect_equal(b[["Df"]][2], -1)
  expect_equal(b[["Pr(>Chi)"]][2], a[["Pr(>Chi)"]][2])

  # a classical Gaussian fit first goes through anova.gradglm's hook
  f0 <- fits_dm$classical
  c1 <- anova(f0, f2)
  expect_identical(names(c1), names(a))
  expect_equal(c1[["LR stat"]][2],
               2 * (as.numeric(logLik(f2)) - as.numeric(logLik(f0))))
  for (col in c("-2 logLik", "Df", "LR stat", "Pr(>Chi)")) {
    expect_equal(c1[[col]], a[[col]], tolerance = 1e-6, label = col)
  }
  expect_output(print(c1), "classical fit", fixed = TRUE)
  # the classical and the sigma ~ 1 fits are the same model
  c0 <- anova(f0, f1)
  expect_equal(c0[["Df"]][2], 0)
  expect_equal(c0[["LR stat"]][2], 0, tolerance = 1e-6)
  expect_true(is.na(c0[["Pr(>Chi)"]][2]))

  # three models; df estimated against fixed
  t3 <- anova(fits_dm$t4, fits_dm$t_est, fits_dm$t_het)
  expect_equal(nrow(t3), 3L)
  expect_equal(t3[["Df"]], c(NA, 1, 1))
  expect_equal(t3[["LR stat"]][3],
               2 * (fits_dm$t_het$loglik - fits_dm$t_est$loglik))
  expect_null(anova(f1, f2, test = "none")[["Pr(>Chi)"]])
})

test_that("anova refuses what it cannot compare", {
  f2 <- fits_dm$hetero
  fsub <- gradglm(dist ~ speed, data = cars[-1, ], family = laplace())
  expect_error(anova(f2, fsub), "same number of observations")
  expect_error(anova(fits_dm$classical, fsub), "same number of observations")
  expect_error(anova(f2, test = "F"), "the F test does not apply to distributional fits")
  expect_error(anova(f2, fits_dm$gauss1, test = "F"), "F test")
  expect_error(anova(f2, lm(dist ~ speed, cars)), "gradglm fit")
  pois <- gradglm(dist ~ speed, data = cars, family = poisson())
  # (a Poisson fit has a likelihood, but another family: no p-value)
  expect_true(all(is.na(anova(pois, f2)[["Pr(>Chi)"]])))
  expect_error(anova(gradglm(dist ~ speed, data = cars, family = quasipoisson()), f2), "quasi-family")
  other <- gradglm(speed ~ dist, data = cars, family = laplace())
  expect_error(anova(f2, other), "different responses")
  # different families are not nested: statistics without p-values
  a <- anova(fits_dm$laplace, f2)
  expect_true(all(is.na(a[["Pr(>Chi)"]])))
  expect_output(print(a), "not nested", fixed = TRUE)
  # classical anova is unchanged (an F test with the estimated dispersion, glm's default since R 4.4)
  expect_identical(names(anova(fits_dm$classical, gradglm(dist ~ 1, data = cars))),
                   c("Resid. Df", "Resid. Dev", "Df", "Deviance", "F", "Pr(>F)"))
})

test_that("anova() of one distributional, multinomial or multi-response fit adds its terms in turn", {
  # (before: an error, "a term-by-term table is for GLM fits")
  set.seed(11)
  d <- data.frame(x = rnorm(120), z = rnorm(120), g = gl(3, 40), o = runif(120))
  d$y <- 1 + d$x + 0.3 * (d$g == "2") + rt(120, 4) * exp(0.3 * d$z)
  d$y2 <- d$y + d$z + rnorm(120)
  d$k <- factor(cut(d$y, 3, labels = FALSE) + 0 * d$o)
  same_as_fits <- function(full, smaller) {
    a <- anova(full)
    b <- do.call(anova, c(smaller, list(full)))
    expect_identical(row.names(a), c("NULL", attr(terms(full), "term.labels")))
    expect_equal(a[["-2 logLik"]], b[["-2 logLik"]], tolerance = 1e-7)
    expect_equal(a[["Df"]], b[["Df"]])
    expect_equal(a[["LR stat"]], b[["LR stat"]], tolerance = 1e-6)
    expect_equal(a[["Pr(>Chi)"]], b[["Pr(>Chi)"]], tolerance = 1e-6)
    expect_equal(a[["Resid. Df"]], b[["Resid. Df"]])
    a
  }
  # Student-t with df estimated in every refit, and a sigma model kept in every row
  ft <- gradglm(y ~ x + g + z, sigma = ~ z, data = d, family = student_t())
  a <- same_as_fits(ft, list(gradglm(y ~ 1, sigma = ~ z, data = d, family = student_t()),
                             gradglm(y ~ x, sigma = ~ z, data = d, family = student_t()),
                             gradglm(y ~ x + g, sigma = ~ z, data = d, family = student_t())))
  expect_equal(a$Df, c(NA, 1, 2, 1))
  expect_output(print(a), "Terms added sequentially (first to last); the sigma model ~ z in every row", fixed = TRUE)
  expect_lt(a[["Pr(>Chi)"]][2], 1e-6)
  # an offset stays in every model; Laplace
  fl <- gradglm(y ~ x + z + offset(o), data = d, family = laplace())
  same_as_fits(fl, list(gradglm(y ~ offset(o), data = d, family = laplace()),
                        gradglm(y ~ x + offset(o), data = d, family = laplace())))
  # several responses; multinomial; test = "none" drops the p-values
  fm <- gradglm(cbind(y, y2) ~ x + z, data = d)
  same_as_fits(fm, list(gradglm(cbind(y, y2) ~ 1, data = d), gradglm(cbind(y, y2) ~ x, data = d)))
  fk <- gradglm(k ~ x + z, data = d, family = multinomial())
  same_as_fits(fk, list(gradglm(k ~ 1, data = d, family = multinomial()),
                        gradglm(k ~ x, data = d, family = multinomial())))
  expect_null(anova(fk, test = "none")[["Pr(>Chi)"]])
  expect_error(anova(fk, test = "Rao"), "the Rao test does not apply")
  # a term whose variable has missing values would change the rows: a clear error
  d$z[3] <- NA
  fna <- gradglm(y ~ x + z, data = d, family = laplace())
  expect_error(anova(fna),
               "the number of observations in use changed \\(119 to 120\\) without the term\\(s\\) 'x', 'z'")
  # gradglm_fit() keeps no formula: compare fits instead
  X <- cbind(1, d$x)
  expect_error(anova(gradglm_fit(X, d$y, family = laplace())), "needs gradglm\\(\\)'s formula and call")
})

test_that("predict rebuilds data-dependent bases (poly) of both models as fitted", {
  fit <- gradglm(dist ~ poly(speed, 2), sigma = ~ poly(speed, 2), data = cars)
  rows <- c(1, 10, 25, 50)
  expect_equal(predict(fit, cars[rows, ]), fit$linear.predictors[rows])
  expect_equal(predict(fit, cars[rows, ], type = "sigma"), fit$sigma[rows])
  p <- predict(fit, cars[rows, ], type = "sigma", se.fit = TRUE)
  expect_equal(p$se.fit, predict(fit, type = "sigma", se.fit = TRUE)$se.fit[rows])
})
