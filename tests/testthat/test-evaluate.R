# evaluate(): held-out log-likelihoods and measures against hand computations
# from the fitted coefficients, for every model type.

bw <- MASS::birthwt
bw$race <- factor(bw$race)
bw_train <- bw[seq(1, nrow(bw), by = 2), ]
bw_test <- bw[seq(2, nrow(bw), by = 2), ]

# brute-force AUC: every (success, failure) pair, weighted, ties counted half
auc_pairs <- function(p, y, w = rep(1, length(p))) {
  num <- 0
  den <- 0
  for (i in which(y == 1)) {
    for (j in which(y == 0)) {
      num <- num + w[i] * w[j] * ((p[i] > p[j]) + 0.5 * (p[i] == p[j]))
      den <- den + w[i] * w[j]
    }
  }
  num / den
}

test_that("binomial: held-out dbinom log-likelihood and measures by hand", {
  fit <- gradglm(low ~ age + lwt + smoke, data = bw_train, family = binomial())
  X <- cbind(1, bw_test$age, bw_test$lwt, bw_test$smoke)
  p <- drop(plogis(X %*% coef(fit)))
  y <- bw_test$low
  ev <- evaluate(fit, bw_test)
  expect_s3_class(ev, "gradglm_evaluation")
  ll <- sum(dbinom(y, 1, p, log = TRUE))
  expect_equal(ev$loglik, ll, tolerance = 1e-10)
  expect_equal(unname(ev$measures["nll"]), -ll / 94, tolerance = 1e-10)
  dev <- -2 * sum(y * log(p) + (1 - y) * log(1 - p))
  expect_equal(ev$deviance, dev, tolerance = 1e-10)
  expect_equal(unname(ev$measures["mean_deviance"]), dev / 94, tolerance = 1e-10)
  expect_equal(unname(ev$measures["class"]), mean((p > 0.5) != y), tolerance = 1e-12)
  expect_equal(unname(ev$measures["brier"]), mean((p - y)^2), tolerance = 1e-12)
  expect_equal(unname(ev$measures["auc"]), auc_pairs(p, y), tolerance = 1e-12)
  expect_named(ev$measures, c("nll", "mean_deviance", "class", "auc", "brier"))
  expect_equal(ev$nobs, 94L)
})

test_that("a factor response keeps the fit's levels in newdata with a single class", {
  tr <- transform(bw_train, lowf = factor(ifelse(low == 1, "yes", "no")))
  fit <- gradglm(lowf ~ lwt, data = tr, family = binomial())
  ones <- bw_test[bw_test$low == 1, ]
  ones$lowf <- factor(rep("yes", nrow(ones)))  # a single level: "yes" would be its first
  p <- unname(predict(fit, ones, type = "response"))
  ev <- evaluate(fit, ones)
  expect_equal(ev$loglik, sum(log(p)), tolerance = 1e-10)
  expect_true(is.na(evaluate(fit, ones, measure = "auc")$measures[["auc"]]))
})

test_that("AUC counts ties half and weights pairs, as the brute force does", {
  # factor predictors only: many tied probabilities
  fit <- gradglm(low ~ race + smoke, data = bw_train, family = binomial())
  p <- unname(predict(fit, bw_test, type = "response"))
  expect_lt(length(unique(p)), 10L)
  ev <- evaluate(fit, bw_test, measure = "auc")
  expect_equal(unname(ev$measures["auc"]), auc_pairs(p, bw_test$low), tolerance = 1e-12)
  expect_named(ev$measures, c("nll", "mean_deviance", "auc"))
  # weighted: the fit's weights expression is evaluated in newdata
  w_train <- bw_train
  w_train$w <- rep(1:3, length.out = nrow(w_train))
  w_test <- bw_test
  w_test$w <- rep(c(2, 1, 3, 1), length.out = nrow(w_test))
  fw <- gradglm(low ~ race + smoke, data = w_train, weights = w, family = binomial())
  pw <- unname(predict(fw, w_test, type = "response"))
  ew <- evaluate(fw, w_test)
  y <- w_test$low
  w <- w_test$w
  expect_equal(unname(ew$measures["auc"]), auc_pairs(pw, y, w), tolerance = 1e-12)
  expect_equal(ew$loglik, sum(w * dbinom(y, 1, pw, log = TRUE)), tolerance = 1e-10)
  expect_equal(unname(ew$measures["nll"]), -ew$loglik / sum(w), tolerance = 1e-12)
  expect_equal(unname(ew$measures["brier"]), sum(w * (pw - y)^2) / sum(w), tolerance = 1e-12)
  expect_equal(unname(ew$measures["class"]), sum(w * ((pw > 0.5) != y)) / sum(w), tolerance = 1e-12)
  # explicit weights override the expression
  e1 <- evaluate(fw, w_test, weights = rep(1, nrow(w_test)))
  expect_equal(e1$loglik, sum(dbinom(y, 1, pw, log = TRUE)), tolerance = 1e-10)
})

test_that("binomial cbind(successes, failures): dbinom with the trials, AUC over trials", {
  set.seed(11)
  n <- 40
  d <- data.frame(x = rnorm(n), size = sample(1:6, n, replace = TRUE), w = sample(1:2, n, TRUE))
  d$s <- rbinom(n, d$size, plogis(0.5 * d$x))
  d$f <- d$size - d$s
  tr <- d[1:25, ]
  te <- d[26:40, ]
  fit <- gradglm(cbind(s, f) ~ x, data = tr, weights = w, family = binomial())
  p <- drop(plogis(cbind(1, te$x) %*% coef(fit)))
  ev <- evaluate(fit, te)
  expect_equal(ev$loglik, sum(te$w * dbinom(te$s, te$size, p, log = TRUE)), tolerance = 1e-10)
  expect_equal(unname(ev$measures["nll"]), -ev$loglik / sum(te$w * te$size), tolerance = 1e-12)
  dev <- sum(binomial()$dev.resids(te$s / te$size, p, te$w * te$size))
  expect_equal(ev$deviance, dev, tolerance = 1e-10)
  # one observation per trial
  long_p <- rep(p, te$size)
  long_y <- unlist(lapply(seq_len(nrow(te)), function(i) rep(c(1, 0), c(te$s[i], te$f[i]))))
  long_w <- rep(te$w, te$size)
  expect_equal(unname(ev$measures["auc"]), auc_pairs(long_p, long_y, long_w), tolerance = 1e-12)
  expect_equal(unname(ev$measures["brier"]), sum(long_w * (long_p - long_y)^2) / sum(long_w),
               tolerance = 1e-12)
  # on the training data: the fit's own logLik and deviance
  et <- evaluate(fit)
  expect_equal(et$loglik, as.numeric(logLik(fit)), tolerance = 1e-10)
  expect_equal(et$deviance, deviance(fit), tolerance = 1e-10)
})

test_that("poisson: dpois log-likelihood, deviance, mse and mae by hand", {
  wb <- warpbreaks
  tr <- wb[c(TRUE, FALSE, TRUE), ]
  te <- wb[c(FALSE, TRUE, FALSE), ]
  fit <- gradglm(breaks ~ wool + tension, data = tr, family = poisson())
  X <- model.matrix(~ wool + tension, te)
  mu <- drop(exp(X %*% coef(fit)))
  y <- te$breaks
  ev <- evaluate(fit, te)
  expect_equal(ev$loglik, sum(dpois(y, mu, log = TRUE)), tolerance = 1e-10)
  expect_equal(ev$deviance, 2 * sum(y * log(y / mu) - (y - mu)), tolerance = 1e-10)
  expect_equal(unname(ev$measures["mse"]), mean((y - mu)^2), tolerance = 1e-10)
  expect_equal(unname(ev$measures["mae"]), mean(abs(y - mu)), tolerance = 1e-10)
  expect_named(ev$measures, c("nll", "mean_deviance", "mse", "mae"))
})

test_that("gaussian: dnorm with the fit's ML sigma sqrt(deviance / nobs)", {
  fit <- gradglm(bwt ~ age + lwt + smoke, data = bw_train)
  ref <- lm(bwt ~ age + lwt + smoke, data = bw_train)
  s_ml <- sqrt(sum(residuals(ref)^2) / nrow(bw_train))
  mu <- predict(ref, bw_test)
  y <- bw_test$bwt
  ev <- evaluate(fit, bw_test)
  expect_equal(ev$loglik, sum(dnorm(y, mu, s_ml, log = TRUE)), tolerance = 1e-10)
  expect_equal(ev$deviance, sum((y - mu)^2), tolerance = 1e-10)
  expect_equal(unname(ev$measures["mse"]), mean((y - mu)^2), tolerance = 1e-10)
  expect_equal(unname(ev$measures["mae"]), mean(abs(y - mu)), tolerance = 1e-10)
  # weighted: sd sigma / sqrt(w), sigma from the weighted RSS
  tr <- bw_train
  tr$w <- rep(c(1, 2, 4), length.out = nrow(tr))
  te <- bw_test
  te$w <- rep(c(3, 1), length.out = nrow(te))
  fw <- gradglm(bwt ~ age + lwt, data = tr, weights = w)
  rw <- lm(bwt ~ age + lwt, data = tr, weights = w)
  sw <- sqrt(sum(tr$w * residuals(rw)^2) / nrow(tr))
  mw <- predict(rw, te)
  ew <- evaluate(fw, te)
  expect_equal(ew$loglik, sum(dnorm(te$bwt, mw, sw / sqrt(te$w), log = TRUE)), tolerance = 1e-10)
  expect_equal(unname(ew$measures["mse"]), sum(te$w * (te$bwt - mw)^2) / sum(te$w),
               tolerance = 1e-10)
  # the weights are precisions, each row counted once: nll per row, and
  # weights all equal give the unweighted nll (as they do for the other families)
  expect_equal(unname(ew$measures["nll"]), -ew$loglik / nrow(te), tolerance = 1e-12)
  tr$w2 <- 2
  te$w2 <- 2
  e1 <- evaluate(gradglm(bwt ~ age + lwt, data = tr), te)
  e2 <- evaluate(gradglm(bwt ~ age + lwt, data = tr, weights = w2), te)
  expect_equal(e2$measures, e1$measures, tolerance = 1e-10)
  expect_equal(e2$nll, e1$nll, tolerance = 1e-10)
})

test_that("probabilities outside [0, 1] (a log link) give an infinite nll with a warning", {
  set.seed(3)
  d <- data.frame(x = c(runif(59), 2.2))
  d$y <- rbinom(60, 1, exp(-2 + 1.5 * pmin(d$x, 1)))
  d$y[60] <- 1
  fit <- suppressWarnings(gradglm(y ~ x, data = d[1:48, ], family = binomial(link = "log"), start = c(-2, 0.5)))
  expect_gt(max(predict(fit, d[49:60, ], type = "response")), 1)
  expect_warning(ev <- evaluate(fit, d[49:60, ]), "predicted probabilities of 3 row\\(s\\) lie outside \\[0, 1\\]")
  expect_identical(unname(ev$measures[c("nll", "mean_deviance")]), c(Inf, Inf))
  expect_true(is.finite(ev$measures[["class"]]))
})

test_that("on the training data: -logLik / n and deviance() for glm families", {
  fits <- list(
    gaussian = gradglm(bwt ~ age + lwt + smoke, data = bw),
    gaussian_log = gradglm(bwt ~ age + lwt, data = bw, family = gaussian(link = "log")),
    binomial = gradglm(low ~ age + lwt + race, data = bw, family = binomial()),
    probit = gradglm(low ~ age + lwt, data = bw, family = binomial(link = "probit")),
    poisson = gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson())
  )
  for (nm in names(fits)) {
    fit <- fits[[nm]]
    ev <- evaluate(fit)
    expect_true(ev$training)
    expect_equal(unname(ev$measures["nll"]), -as.numeric(logLik(fit)) / nobs(fit),
                 tolerance = 1e-10, label = nm)
    expect_equal(ev$deviance, deviance(fit), tolerance = 1e-10, label = nm)
  }
  expect_output(print(evaluate(fits$binomial)), "training data \\(optimistic\\)")
})

test_that("location-scale fits: dnorm, Laplace and Student-t densities at newdata", {
  tr <- bw_train
  te <- bw_test
  y <- te$bwt
  X <- cbind(1, te$age, te$lwt)
  # Gaussian with a sigma model
  fit <- gradglm(bwt ~ age + lwt, data = tr, sigma = ~ lwt)
  cf <- coef(fit)
  mu <- drop(X %*% cf[1:3])
  s <- exp(cf[["sigma:(Intercept)"]] + cf[["sigma:lwt"]] * te$lwt)
  ev <- evaluate(fit, te)
  expect_equal(ev$loglik, sum(dnorm(y, mu, s, log = TRUE)), tolerance = 1e-10)
  expect_equal(ev$deviance, -2 * ev$loglik)
  expect_equal(unname(ev$measures["mse"]), mean((y - mu)^2), tolerance = 1e-10)
  # Laplace
  fl <- gradglm(bwt ~ age + lwt, data = tr, family = laplace())
  b <- sigma(fl)
  ml <- drop(X %*% coef(fl)[1:3])
  el <- evaluate(fl, te)
  expect_equal(el$loglik, sum(-log(2 * b) - abs(y - ml) / b), tolerance = 1e-10)
  expect_equal(unname(el$measures["mae"]), mean(abs(y - ml)), tolerance = 1e-10)
  # Student-t, df fixed and estimated
  for (fam in list(student_t(df = 4), student_t())) {
    ft <- gradglm(bwt ~ age + lwt, data = tr, family = fam)
    mt <- drop(X %*% coef(ft)[1:3])
    st <- sigma(ft)
    df <- ft$df
    et <- evaluate(ft, te)
    expect_equal(et$loglik, sum(dt((y - mt) / st, df, log = TRUE) - log(st)), tolerance = 1e-10)
    # on the training data: the fit's maximised log-likelihood
    expect_equal(evaluate(ft)$loglik, as.numeric(logLik(ft)), tolerance = 1e-10)
  }
  expect_equal(evaluate(fl)$loglik, as.numeric(logLik(fl)), tolerance = 1e-10)
})

test_that("multinomial and ordinal: log-probability of the observed class, class, brier", {
  fgl <- MASS::fgl
  tr <- fgl[seq(1, nrow(fgl), by = 2), ]
  te <- fgl[seq(2, nrow(fgl), by = 2), ]
  fit <- gradglm(type ~ Na + Mg, data = tr, family = multinomial())
  B <- coef(fit, matrix = TRUE)  # (L - 1) x p
  eta <- cbind(0, cbind(1, te$Na, te$Mg) %*% t(B))
  P <- exp(eta) / rowSums(exp(eta))
  yi <- match(as.character(te$type), fit$lev)
  Y <- outer(yi, seq_along(fit$lev), "==") * 1
  ev <- evaluate(fit, te)
  expect_equal(ev$loglik, sum(log(P[cbind(seq_along(yi), yi)])), tolerance = 1e-10)
  expect_equal(unname(ev$measures["class"]), mean(max.col(P, "first") != yi), tolerance = 1e-12)
  expect_equal(unname(ev$measures["brier"]), mean(rowSums((P - Y)^2)) / 2, tolerance = 1e-10)
  expect_named(ev$measures, c("nll", "mean_deviance", "class", "brier"))
  expect_equal(evaluate(fit)$loglik, as.numeric(logLik(fit)), tolerance = 1e-10)

  # ordinal (weighted by Freq): P(y <= k) = plogis(zeta_k - x b)
  hs <- MASS::housing
  fo <- gradglm(Sat ~ Infl + Type, data = hs[hs$Cont == "Low", ], weights = Freq,
                family = ordinal())
  te2 <- hs[hs$Cont == "High", ]
  cf <- coef(fo)
  X2 <- model.matrix(~ Infl + Type, te2)[, -1]
  loc <- drop(X2 %*% cf[colnames(X2)])
  zeta <- cf[c("Low|Medium", "Medium|High")]
  cum <- plogis(outer(-loc, zeta, "+"))
  P2 <- cbind(cum, 1) - cbind(0, cum)
  y2 <- as.integer(te2$Sat)
  w2 <- te2$Freq
  eo <- evaluate(fo, te2)
  expect_equal(eo$loglik, sum(w2 * log(P2[cbind(seq_along(y2), y2)])), tolerance = 1e-10)
  expect_equal(unname(eo$measures["nll"]), -eo$loglik / sum(w2), tolerance = 1e-12)
  Y2 <- outer(y2, 1:3, "==") * 1
  expect_equal(unname(eo$measures["brier"]), sum(w2 * rowSums((P2 - Y2)^2)) / sum(w2) / 2,
               tolerance = 1e-10)
  # two classes: the binomial model's Brier score, (p - y)^2
  d2 <- transform(mtcars, amf = factor(am))
  e_bin <- evaluate(gradglm(am ~ wt, data = d2, family = binomial()), d2)
  e_mn <- evaluate(gradglm(amf ~ wt, data = d2, family = multinomial()), d2)
  expect_equal(e_mn$measures[["brier"]], e_bin$measures[["brier"]], tolerance = 1e-8)
  expect_equal(unname(eo$measures["class"]), sum(w2 * (max.col(P2, "first") != y2)) / sum(w2),
               tolerance = 1e-12)
})

test_that("several responses: per-response ML sigma, or predicted sigmas and df", {
  tr <- mtcars[1:20, ]
  te <- mtcars[21:32, ]
  fit <- gradglm(cbind(mpg, qsec) ~ wt, data = tr)
  ref <- lm(cbind(mpg, qsec) ~ wt, data = tr)
  s_ml <- sqrt(colSums(residuals(ref)^2) / 20)
  mu <- predict(ref, te)
  ll <- sum(dnorm(te$mpg, mu[, 1], s_ml[1], log = TRUE)) +
    sum(dnorm(te$qsec, mu[, 2], s_ml[2], log = TRUE))
  ev <- evaluate(fit, te)
  expect_equal(ev$loglik, ll, tolerance = 1e-10)
  expect_equal(unname(ev$measures["mse"]), mean((as.matrix(te[, c("mpg", "qsec")]) - mu)^2),
               tolerance = 1e-10)
  expect_equal(evaluate(fit)$loglik, as.numeric(logLik(fit)), tolerance = 1e-10)

  ft <- gradglm(cbind(mpg, qsec) ~ wt, data = tr, family = student_t(df = 5))
  m_t <- predict(ft, te, type = "response")
  s_t <- predict(ft, te, type = "sigma")
  Yt <- as.matrix(te[, c("mpg", "qsec")])
  expect_equal(evaluate(ft, te)$loglik, sum(dt((Yt - m_t) / s_t, 5, log = TRUE) - log(s_t)),
               tolerance = 1e-10)
})

test_that("rows with missing values are dropped and counted", {
  fit <- gradglm(bwt ~ age + lwt, data = bw_train)
  te <- bw_test
  te$age[1:3] <- NA
  te$bwt[4] <- NA
  ev <- evaluate(fit, te)
  expect_equal(ev$n_dropped, 4L)
  expect_equal(ev$nobs, nrow(te) - 4L)
  expect_equal(ev$loglik, evaluate(fit, bw_test[-(1:4), ])$loglik, tolerance = 1e-12)
  expect_output(print(ev), "4 row\\(s\\) with missing values dropped")
})

test_that("calibration plot: binned probabilities, one curve per class", {
  pdf(NULL)
  on.exit(dev.off())
  fit <- gradglm(low ~ age + lwt + smoke, data = bw_train, family = binomial())
  ev <- evaluate(fit, bw_test)
  pts <- plot(ev, bins = 4)
  p <- predict(fit, bw_test, type = "response")
  bin <- findInterval(p, seq(0, 1, 0.25), rightmost.closed = TRUE, all.inside = TRUE)
  expect_equal(pts$observed, as.vector(tapply(bw_test$low, bin, mean)), tolerance = 1e-12)
  expect_equal(pts$predicted, as.vector(tapply(p, bin, mean)), tolerance = 1e-12)
  fm <- gradglm(type ~ Na + Mg, data = MASS::fgl, family = multinomial())
  pm <- plot(evaluate(fm))
  expect_setequal(unique(pm$class), fm$lev)
  fg <- gradglm(bwt ~ age, data = bw_train)
  expect_error(plot(evaluate(fg, bw_test)), "plot.gradglm_evaluation: .*class probabilities")
  expect_error(plot(ev, bins = 0), "'bins'")
})

test_that("bad input: clear errors naming the argument", {
  fg <- gradglm(bwt ~ age, data = bw_train)
  fb <- gradglm(low ~ age, data = bw_train, family = binomial())
  fm <- gradglm(type ~ Na, data = MASS::fgl, family = multinomial())
  expect_error(evaluate(fg, bw_test, measure = "auc"), "evaluate: 'measure' 'auc' does not apply")
  expect_error(evaluate(fm, MASS::fgl, measure = "auc"), "'measure' 'auc' does not apply")
  expect_error(evaluate(fb, bw_test, measure = "mse"), "'measure' 'mse' does not apply")
  expect_error(evaluate(fg, bw_test, measure = "rmse"), "unknown 'measure' 'rmse'")
  expect_error(evaluate(fg, bw_test, measure = 1), "'measure' must be NULL")
  expect_error(evaluate(fg, as.matrix(bw_test)), "'newdata' must be a data frame")
  expect_error(evaluate(fg, bw_test[0, ]), "'newdata' has no rows")
  expect_error(evaluate(fg, bw_test[, c("age", "lwt")]), "response 'bwt'")
  expect_error(evaluate(fg, bw_test, measures = "mse"), "unknown argument\\(s\\) 'measures'")
  expect_error(evaluate(lm(bwt ~ age, bw)), "'fit' must be a model fitted by gradglm")
  expect_error(evaluate(fg, bw_test, weights = 1:3), "'weights' give 3 values")
  expect_error(evaluate(fg, weights = rep(1, 95)), "'weights' are those of the rows of 'newdata'")
  nd <- MASS::fgl[1:5, ]
  nd$type <- as.character(nd$type)
  nd$type[2] <- "Other"
  expect_error(evaluate(fm, nd), "class\\(es\\) 'Other'")
  wf <- gradglm(bwt ~ age, data = transform(bw_train, w = 1), weights = w)
  expect_error(evaluate(wf, bw_test), "could not evaluate the fit's weights 'w'")
})
