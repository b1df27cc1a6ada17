# Several Gaussian responses, gradglm(cbind(y1, y2) ~ x): one linear model per
# response on a shared design. With the identity link the fit is lm()'s
# "mlm": coefficients, per-response standard errors, t and p values (as
# summary(lm) gives them response by response), predictions and the
# per-response residual variances; the log-likelihood is the sum of the
# responses' lm() log-likelihoods.

# element-wise: |actual - expected| <= tol * max(|expected|, 1)
mr_expect_close <- function(actual, expected, tol, label) {
  a <- unname(as.numeric(actual))
  e <- unname(as.numeric(expected))
  expect_identical(length(a), length(e), label = paste(label, "(length)"))
  expect_identical(is.na(a), is.na(e), label = paste(label, "(NA positions)"))
  ok <- !is.na(e)
  err <- max(c(0, abs(a[ok] - e[ok]) / pmax(abs(e[ok]), 1)))
  expect(is.finite(err) && err <= tol,
         sprintf("%s: max scaled difference %.3g > %.3g", label, err, tol))
}

mr_data <- function() {
  set.seed(7)
  n <- 60
  d <- data.frame(x = rnorm(n), f = factor(sample(letters[1:3], n, TRUE)), z = runif(n),
                  w = runif(n, 0.3, 3), o = rnorm(n, sd = 0.3))
  d$y1 <- 1 + 2 * d$x + c(a = 0, b = 1, c = -1)[as.character(d$f)] + rnorm(n)
  d$y2 <- -1 + 0.5 * d$x + 3 * d$z + rnorm(n, sd = 2)
  d$y3 <- 10 + rnorm(n, sd = 0.5) - d$z
  d
}
mr <- mr_data()
mr_new <- data.frame(x = c(-1, 0, 2.5), f = factor(c("a", "c", "b"), levels = c("a", "b", "c")),
                     z = c(0.1, 0.5, 0.9), o = c(0.2, -0.1, 0))

# Compare a fit with lm(): the multi-response lm and one lm per response.
# `rhs` is the right-hand side as a string, `resp` the responses' names;
# data, weights (a vector) and na.action go to the lm() calls.
mr_check_lm <- function(fit, resp, rhs, newdata, label, data, weights = NULL,
                        na.action = "na.omit") {
  mf <- as.formula(paste0("cbind(", paste(resp, collapse = ", "), ") ~ ", rhs))
  ml <- do.call(lm, list(mf, data = data, weights = weights, na.action = na.action))
  # one lm per response on the rows the mlm uses
  used <- !seq_len(nrow(data)) %in% ml$na.action
  singles <- lapply(resp, function(r) {
    do.call(lm, list(as.formula(paste(r, "~", rhs)), data = data[used, ],
                     weights = weights[used]))
  })
  names(singles) <- resp
  p <- nrow(coef(ml))

  # coefficients: the vector response by response, the matrix p x R
  cm <- coef(fit, matrix = TRUE)
  expect_identical(dimnames(cm), dimnames(coef(ml)), label = paste(label, "matrix dimnames"))
  mr_expect_close(cm, coef(ml), 1e-8, paste(label, "coefficients"))
  expect_identical(names(coef(fit)),
                   paste0(rep(resp, each = p), ":", rep(rownames(coef(ml)), length(resp))))
  mr_expect_close(coef(fit), as.vector(coef(ml)), 1e-8, paste(label, "coefficient vector"))

  # summary: one table per response, as summary(lm) response by response
  s <- summary(fit)
  sl <- summary(ml)
  expect_length(s$tables, length(resp))
  for (r in seq_along(resp)) {
    tab <- s$tables[[r]]$table
    ref <- coef(sl[[r]])
    expect_match(s$tables[[r]]$title, resp[r], fixed = TRUE)
    expect_identical(dimnames(tab), dimnames(ref), label = paste(label, resp[r], "table names"))
    lab <- paste(label, resp[r])
    mr_expect_close(tab[, 1L], ref[, 1L], 1e-8, paste(lab, "estimates"))
    mr_expect_close(tab[, 2L], ref[, 2L], 1e-6, paste(lab, "SEs"))
    mr_expect_close(tab[, 3L], ref[, 3L], 1e-6, paste(lab, "t values"))
    mr_expect_close(tab[, 4L], ref[, 4L], 1e-6, paste(lab, "p values"))
    mr_expect_close(fit$dispersion[[r]], sl[[r]]$sigma^2, 1e-8, paste(lab, "dispersion"))
    # the response's block of vcov() is vcov() of its own lm
    idx <- (r - 1L) * p + seq_len(p)
    mr_expect_close(vcov(fit)[idx, idx], vcov(singles[[r]]), 1e-6, paste(lab, "vcov"))
  }
  expect_identical(as.numeric(df.residual(fit)), as.numeric(df.residual(ml)))
  expect_identical(nobs(fit), nobs(singles[[1L]]))

  # log-likelihood: the sum of the responses' lm log-likelihoods
  ll <- logLik(fit)
  ll_ref <- sum(vapply(singles, function(m) as.numeric(logLik(m)), 0))
  mr_expect_close(ll, ll_ref, 1e-10, paste(label, "logLik"))
  expect_identical(as.integer(attr(ll, "df")), as.integer((p + 1L) * length(resp)))
  mr_expect_close(AIC(fit), -2 * ll_ref + 2 * (p + 1) * length(resp), 1e-10, paste(label, "AIC"))

  # fitted values and residuals (padded by na.exclude like lm's)
  expect_identical(dimnames(fitted(fit)), dimnames(fitted(ml)))
  mr_expect_close(fitted(fit), fitted(ml), 1e-8, paste(label, "fitted"))
  mr_expect_close(residuals(fit), residuals(ml), 1e-8, paste(label, "residuals"))
  w <- if (is.null(weights(ml))) 1 else weights(ml)
  pearson <- sweep(residuals(ml) * sqrt(w), 2L, vapply(sl, function(z) z$sigma, 0), "/")
  mr_expect_close(residuals(fit, type = "pearson"), pearson, 1e-8, paste(label, "Pearson"))

  # predictions for new data, with per-response standard errors
  pr <- predict(fit, newdata, se.fit = TRUE)
  ref_fit <- predict(ml, newdata)
  expect_identical(dimnames(pr$fit), dimnames(ref_fit))
  mr_expect_close(pr$fit, ref_fit, 1e-8, paste(label, "predict"))
  mr_expect_close(predict(fit, newdata), ref_fit, 1e-8, paste(label, "predict (no se)"))
  for (r in seq_along(resp)) {
    ps <- predict(singles[[r]], newdata, se.fit = TRUE)
    mr_expect_close(pr$se.fit[, r], ps$se.fit, 1e-6, paste(label, resp[r], "se.fit"))
    mr_expect_close(pr$residual.scale[[r]], ps$residual.scale, 1e-8,
                    paste(label, resp[r], "residual.scale"))
  }
  invisible(list(ml = ml, singles = singles))
}

test_that("mtcars: cbind(mpg, qsec) ~ wt + hp + factor(cyl) is lm's mlm", {
  fit <- gradglm(cbind(mpg, qsec) ~ wt + hp + factor(cyl), data = mtcars)
  expect_identical(fit$optimizer, "exact")
  expect_identical(fit$family$family, "gaussian")
  expect_identical(fit$family$link, "identity")
  nd <- mtcars[c(1, 7, 20), ]
  mr_check_lm(fit, c("mpg", "qsec"), "wt + hp + factor(cyl)", nd, "mtcars", data = mtcars)
})

test_that("confint() of several responses: lm's t intervals; anova() of one fit adds its terms in turn", {
  fit <- gradglm(cbind(mpg, qsec) ~ wt + cyl, data = mtcars)
  ref <- lm(cbind(mpg, qsec) ~ wt + cyl, data = mtcars)
  expect_equal(confint(fit), confint(ref), tolerance = 1e-10)
  expect_equal(confint(fit, "qsec:wt", level = 0.8), confint(ref, "qsec:wt", level = 0.8), tolerance = 1e-10)
  # anova() of the one fit: its terms added in turn, as the fits made by hand
  a <- anova(fit)
  b <- anova(gradglm(cbind(mpg, qsec) ~ 1, data = mtcars), gradglm(cbind(mpg, qsec) ~ wt, data = mtcars), fit)
  expect_identical(row.names(a), c("NULL", "wt", "cyl"))
  expect_equal(a[["LR stat"]], b[["LR stat"]], tolerance = 1e-10)
  expect_equal(a$Df, c(NA, 2, 2))
  # an offset is one vector for every response: a matrix one is refused with that reason
  O <- cbind(rnorm(32), rnorm(32))
  expect_error(gradglm(cbind(mpg, qsec) ~ wt + offset(O), data = mtcars), "'offset' is a matrix with 2 columns")
  expect_error(gradglm(cbind(mpg, qsec) ~ wt, offset = O, data = mtcars), "'offset' is a matrix with 2 columns")
})

test_that("three responses with a factor: coefficients, summaries, predictions as lm", {
  fit <- gradglm(cbind(y1, y2, y3) ~ x + f + z, data = mr)
  mr_check_lm(fit, c("y1", "y2", "y3"), "x + f + z", mr_new, "sim", data = mr)
  # the coefficients of different responses are uncorrelated here
  V <- vcov(fit)
  expect_true(all(V[1:5, 6:15] == 0))
})

test_that("weights: the weighted mlm", {
  fit <- gradglm(cbind(y1, y2, y3) ~ x + f + z, data = mr, weights = w)
  mr_check_lm(fit, c("y1", "y2", "y3"), "x + f + z", mr_new, "weighted", data = mr,
              weights = mr$w)
})

test_that("NA in one response drops the row for every response (na.omit, na.exclude)", {
  d <- mr
  d$y2[c(3, 17, 40)] <- NA
  d$x[50] <- NA
  for (na in c("na.omit", "na.exclude")) {
    fit <- gradglm(cbind(y1, y2) ~ x + f + z, data = d, weights = w, na.action = na)
    ml <- lm(cbind(y1, y2) ~ x + f + z, data = d, weights = w, na.action = na)
    expect_identical(nobs(fit), 56L)
    expect_identical(fit$na.action, ml$na.action)
    expect_identical(dim(fitted(fit)), dim(fitted(ml)))
    expect_identical(dim(residuals(fit)), c(if (na == "na.omit") 56L else 60L, 2L))
    mr_check_lm(fit, c("y1", "y2"), "x + f + z", mr_new, na, data = d, weights = d$w,
                na.action = na)
    # predictions for the fitted rows, padded like lm's fitted values (predict.mlm
    # without newdata returns the fitted values unpadded)
    expect_identical(dim(predict(fit)), dim(fitted(ml)))
    mr_expect_close(predict(fit), fitted(ml), 1e-8, paste(na, "predict()"))
  }
})

test_that("an offset (in the formula or as an argument) is added to every response", {
  ml <- lm(cbind(y1, y2) ~ x + f + offset(o), data = mr)
  f1 <- gradglm(cbind(y1, y2) ~ x + f + offset(o), data = mr)
  mr_check_lm(f1, c("y1", "y2"), "x + f + offset(o)", mr_new, "offset()", data = mr)
  f2 <- gradglm(cbind(y1, y2) ~ x + f, data = mr, offset = o)
  mr_expect_close(coef(f2, matrix = TRUE), coef(ml), 1e-8, "offset = : coefficients")
  mr_expect_close(fitted(f2), fitted(ml), 1e-8, "offset = : fitted")
  mr_expect_close(predict(f2, mr_new), predict(ml, mr_new), 1e-8, "offset = : predict")
  # with weights too
  mlw <- lm(cbind(y1, y2) ~ x + f + offset(o), data = mr, weights = w)
  f3 <- gradglm(cbind(y1, y2) ~ x + f + offset(o), data = mr, weights = w)
  mr_check_lm(f3, c("y1", "y2"), "x + f + offset(o)", mr_new, "weighted offset()", data = mr,
              weights = mr$w)
})

test_that("newton and lbfgs agree with the exact fit", {
  exact <- gradglm(cbind(y1, y2, y3) ~ x + f + z, data = mr, weights = w)
  ml <- lm(cbind(y1, y2, y3) ~ x + f + z, data = mr, weights = w)
  for (opt in c("newton", "lbfgs")) {
    fit <- gradglm(cbind(y1, y2, y3) ~ x + f + z, data = mr, weights = w, optimizer = opt)
    expect_identical(fit$optimizer, opt)
    expect_true(fit$converged)
    mr_expect_close(coef(fit, matrix = TRUE), coef(ml), 1e-8, paste(opt, "coefficients"))
    mr_expect_close(coef(fit), coef(exact), 1e-8, paste(opt, "vs exact"))
    mr_expect_close(sqrt(diag(vcov(fit))), sqrt(diag(vcov(exact))), 1e-6, paste(opt, "SEs"))
    mr_expect_close(fit$dispersion, exact$dispersion, 1e-8, paste(opt, "dispersion"))
    mr_expect_close(logLik(fit), logLik(exact), 1e-10, paste(opt, "logLik"))
    for (r in 1:3) {
      mr_expect_close(summary(fit)$tables[[r]]$table, summary(exact)$tables[[r]]$table, 1e-6,
                      paste(opt, "summary", r))
    }
  }
})

test_that("a log link: each response as its own gaussian(link = 'log') fit", {
  set.seed(11)
  n <- 80
  d <- data.frame(x = rnorm(n), z = runif(n), w = runif(n, 0.5, 2))
  d$p1 <- exp(0.5 + 0.3 * d$x + rnorm(n, sd = 0.1))
  d$p2 <- exp(1 - 0.2 * d$z) + rnorm(n, sd = 0.2)
  fit <- gradglm(cbind(p1, p2) ~ x + z, data = d, weights = w,
                 family = gaussian(link = "log"))
  expect_true(fit$converged)
  expect_identical(fit$family$link, "log")
  g <- list(p1 = gradglm(p1 ~ x + z, data = d, weights = w, family = gaussian(link = "log")),
            p2 = gradglm(p2 ~ x + z, data = d, weights = w, family = gaussian(link = "log")))
  tight <- glm.control(epsilon = 1e-14, maxit = 100)
  m <- list(p1 = glm(p1 ~ x + z, data = d, weights = w, family = gaussian("log"), control = tight),
            p2 = glm(p2 ~ x + z, data = d, weights = w, family = gaussian("log"), control = tight))
  cm <- coef(fit, matrix = TRUE)
  expect_identical(dimnames(cm), list(c("(Intercept)", "x", "z"), c("p1", "p2")))
  for (r in c("p1", "p2")) {
    mr_expect_close(cm[, r], coef(g[[r]]), 1e-8, paste(r, "coefficients vs gradglm"))
    mr_expect_close(cm[, r], coef(m[[r]]), 1e-8, paste(r, "coefficients vs glm"))
    mr_expect_close(fit$dispersion[[r]], summary(m[[r]])$dispersion, 1e-8,
                    paste(r, "dispersion"))
    mr_expect_close(fitted(fit)[, r], fitted(g[[r]]), 1e-8, paste(r, "fitted"))
    mr_expect_close(predict(fit, d[1:5, ], type = "response")[, r],
                    predict(m[[r]], d[1:5, ], type = "response"), 1e-8, paste(r, "predict"))
    mr_expect_close(predict(fit, d[1:5, ], type = "link")[, r],
                    predict(m[[r]], d[1:5, ], type = "link"), 1e-8, paste(r, "predict link"))
  }
  ll <- sum(vapply(g, function(x) as.numeric(logLik(x)), 0))
  mr_expect_close(logLik(fit), ll, 1e-10, "logLik")
})

test_that("input checks: a character matrix response is an error", {
  d <- mr
  d$ch <- as.character(d$y1)
  expect_error(gradglm(cbind(ch, y2) ~ x, data = d), "character")
})

test_that("several responses with the log link report glm's (expected) standard errors", {
  set.seed(9)
  d <- data.frame(x = runif(80), z = rnorm(80))
  d$p1 <- exp(1 + 0.5 * d$x) + rnorm(80, sd = 0.3)
  d$p2 <- exp(0.5 - 0.2 * d$z) + rnorm(80, sd = 0.3)
  fit <- gradglm(cbind(p1, p2) ~ x + z, data = d, family = gaussian("log"))
  expect_identical(fit$cov_kind, "expected")
  one <- gradglm(p1 ~ x + z, data = d, family = gaussian("log"))
  ref <- glm(p1 ~ x + z, data = d, family = gaussian("log"), control = glm.control(epsilon = 1e-12))
  se <- sqrt(diag(vcov(fit)))[1:3]
  expect_equal(unname(se), unname(sqrt(diag(vcov(one)))), tolerance = 1e-6)
  expect_equal(unname(se), unname(sqrt(diag(vcov(ref)))), tolerance = 1e-6)
})

test_that("sigma() gives one residual standard deviation per response, as for lm", {
  fit <- gradglm(cbind(mpg, qsec) ~ wt + hp, data = mtcars)
  expect_equal(sigma(fit), sigma(lm(cbind(mpg, qsec) ~ wt + hp, data = mtcars)), tolerance = 1e-12)
})

test_that("several responses with a sigma model or a Student-t: each response as fitted alone", {
  set.seed(3)
  n <- 200
  d <- data.frame(x = runif(n), z = rnorm(n))
  d$y1 <- 1 + 2 * d$x + exp(-0.5 + d$x) * rnorm(n)
  d$y2 <- -1 + d$z + exp(0.2 - 0.5 * d$x) * rt(n, 5)
  for (fam in list(gaussian(), student_t(df = 4), student_t())) {
    sig <- if (identical(fam$family, "gaussian")) ~ x else ~ 1
    f <- gradglm(cbind(y1, y2) ~ x + z, sigma = sig, data = d, family = fam)
    g <- lapply(c("y1", "y2"), function(r) {
      gradglm(stats::as.formula(paste(r, "~ x + z")), sigma = sig, data = d, family = fam)
    })
    lab <- fam$family
    q <- length(g[[1]]$blocks$sigma$coef)
    idx <- function(fit, part) fit$blocks[[part]]$coef
    same_order <- c(coef(g[[1]])[idx(g[[1]], "location")], coef(g[[2]])[idx(g[[2]], "location")],
                    coef(g[[1]])[idx(g[[1]], "sigma")], coef(g[[2]])[idx(g[[2]], "sigma")],
                    if (!is.null(g[[1]]$blocks$log_df)) c(coef(g[[1]])[["log(df)"]], coef(g[[2]])[["log(df)"]]))
    expect_equal(unname(coef(f)), unname(same_order), tolerance = 1e-6, info = lab)
    expect_equal(as.numeric(logLik(f)), as.numeric(logLik(g[[1]])) + as.numeric(logLik(g[[2]])),
                 tolerance = 1e-8, info = lab)
    expect_equal(attr(logLik(f), "df"), attr(logLik(g[[1]]), "df") + attr(logLik(g[[2]]), "df"))
    se <- sqrt(diag(vcov(f)))
    se_alone <- sqrt(c(diag(vcov(g[[1]]))[idx(g[[1]], "location")], diag(vcov(g[[2]]))[idx(g[[2]], "location")]))
    expect_equal(unname(se[1:6]), unname(se_alone), tolerance = 1e-5, info = lab)
    expect_equal(unname(f$sigma[, "y1"]), unname(g[[1]]$sigma), tolerance = 1e-6, info = lab)
    p <- predict(f, d[1:4, ], type = "sigma")
    expect_equal(unname(p[, "y2"]), unname(predict(g[[2]], d[1:4, ], type = "sigma")), tolerance = 1e-6)
  }
  h <- gradglm(cbind(y1, y2) ~ x + z, sigma = ~ x, data = d, optimizer = "lbfgs")
  expect_equal(coef(h), coef(gradglm(cbind(y1, y2) ~ x + z, sigma = ~ x, data = d)), tolerance = 1e-7)
  expect_error(gradglm(cbind(y1, y2) ~ x, data = d, family = laplace()), "gradglm: the response must be a vector")
})
