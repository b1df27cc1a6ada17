# The broom tidiers of R/tidiers.R: tidy(), glance() and augment() of gradglm
# fits. First against the package's own methods and stats' glm (no broom
# needed), then against broom's output for the same glm fits.

# The column a tidy() table uses for the block of a row, by model type.
tidy_block_cols <- function(fit) {
  switch(fit$lik_type, location_scale = "component", multinomial = "y.level", ordinal = "coef.type",
         multi_gaussian = "response", multi_location_scale = c("response", "component"), character(0))
}

# A contract in the spirit of modeltests::check_tidy_output(): the columns
# and their types, one row per coefficient in coef()'s order, the (block,
# term) pairs unique, the block columns complete.
expect_tidy_contract <- function(td, fit, conf.int = FALSE) {
  blocks <- tidy_block_cols(fit)
  stats_cols <- c("term", "estimate", "std.error", "statistic", "p.value", if (conf.int) c("conf.low", "conf.high"))
  expected <- if (identical(blocks, "coef.type")) c(stats_cols, blocks) else c(blocks, stats_cols)
  expect_identical(names(td), expected)
  expect_s3_class(td, "data.frame")
  if (requireNamespace("tibble", quietly = TRUE)) expect_s3_class(td, "tbl_df")
  expect_type(td$term, "character")
  for (col in blocks) {
    expect_type(td[[col]], "character")
    expect_false(anyNA(td[[col]]))
  }
  for (col in setdiff(stats_cols, "term")) expect_type(td[[col]], "double")
  expect_equal(nrow(td), length(coef(fit)))
  expect_false(anyNA(td$term))
  key <- do.call(paste, c(unname(as.list(td[c(blocks, "term")])), sep = "\r"))
  expect_false(anyDuplicated(key) > 0L)
}

# the glm-parity cases: gaussian, binomial (logit, probit), poisson with an
# offset and weights
tidy_glm_cases <- function() {
  set.seed(31)
  n <- 80
  d <- data.frame(x = rnorm(n), z = runif(n), f = factor(sample(c("a", "b", "c"), n, TRUE)),
                  w = rep(1:4, length.out = n), expo = runif(n, 1, 3))
  d$y_gauss <- 1 + d$x - 0.5 * (d$f == "b") + rnorm(n)
  d$y_bin <- rbinom(n, 1, plogis(0.3 + 0.8 * d$x - d$z))
  d$y_count <- rpois(n, d$expo * exp(0.2 + 0.4 * d$x))
  list(
    gaussian = list(call = quote(glm(y_gauss ~ x + f, data = d, family = gaussian())), data = d),
    logit = list(call = quote(glm(y_bin ~ x + z, data = d, family = binomial())), data = d),
    probit = list(call = quote(glm(y_bin ~ x + z, data = d, family = binomial(link = "probit"))), data = d),
    poisson = list(call = quote(glm(y_count ~ x + f, data = d, family = poisson(), weights = w,
                                    offset = log(expo))), data = d)
  )
}

test_that("tidy() of GLM fits is summary()'s table with confint()'s limits, and matches glm", {
  for (nm in names(tidy_glm_cases())) {
    case <- tidy_glm_cases()[[nm]]
    d <- case$data
    p <- fit_pair(case$call)
    fit <- p$gradglm
    td <- tidy(fit, conf.int = TRUE, conf.level = 0.9)
    expect_tidy_contract(td, fit, conf.int = TRUE)
    s <- coef(summary(fit))
    expect_identical(td$term, rownames(s))
    expect_equal(unname(as.matrix(td[c("estimate", "std.error", "statistic", "p.value")])), unname(s),
                 tolerance = 1e-12)
    expect_equal(td$std.error, unname(sqrt(diag(vcov(fit)))), tolerance = 1e-12)
    ci <- confint(fit, level = 0.9)
    expect_equal(td$conf.low, unname(ci[, 1L]), tolerance = 1e-12)
    expect_equal(td$conf.high, unname(ci[, 2L]), tolerance = 1e-12)
    # and the numbers of glm itself: t statistics for the Gaussian, z otherwise
    sg <- coef(summary(p$glm_ref))
    expect_equal(unname(as.matrix(td[c("estimate", "std.error", "statistic", "p.value")])), unname(sg),
                 tolerance = 1e-6, label = nm)
    # (profile limits: glm's confint() interpolates a spline through a grid of
    # refits, so it is close, not exact; test-methods.R checks the exact roots)
    ref <- unname(suppressWarnings(suppressMessages(confint(p$glm_ref, level = 0.9))))
    expect_lt(max(abs(as.matrix(td[c("conf.low", "conf.high")]) - ref) / abs(ref)), 2e-3, label = nm)
    expect_equal(unname(as.matrix(tidy(fit, conf.int = TRUE, conf.level = 0.9, conf.method = "wald")[c("conf.low", "conf.high")])),
                 unname(confint.default(p$glm_ref, level = 0.9)), tolerance = 1e-6, label = nm)
    # exponentiate: exp() of the estimate and limits, nothing else
    te <- tidy(fit, conf.int = TRUE, conf.level = 0.9, exponentiate = TRUE)
    expect_equal(te$estimate, exp(td$estimate), tolerance = 1e-14)
    expect_equal(te$conf.low, exp(td$conf.low), tolerance = 1e-14)
    expect_equal(te$conf.high, exp(td$conf.high), tolerance = 1e-14)
    expect_identical(te[c("term", "std.error", "statistic", "p.value")], td[c("term", "std.error", "statistic", "p.value")])
    expect_identical(names(tidy(fit)), c("term", "estimate", "std.error", "statistic", "p.value"))
  }
})

test_that("tidy() keeps aliased coefficients as rows of NA, as broom does for glm", {
  d <- data.frame(x = 1:10, y = c(2, 4, 3, 6, 5, 8, 9, 7, 11, 10))
  d$x2 <- 2 * d$x
  fit <- gradglm(y ~ x + x2, data = d)
  td <- tidy(fit, conf.int = TRUE)
  expect_identical(td$term, c("(Intercept)", "x", "x2"))
  expect_true(is.na(td$estimate[3L]))
  expect_true(all(is.na(unlist(td[3L, c("std.error", "statistic", "p.value", "conf.low", "conf.high")]))))
  expect_false(anyNA(unlist(td[1:2, -1L])))
})

test_that("glance() of GLM fits has glm's numbers and the optimizer's record", {
  for (nm in names(tidy_glm_cases())) {
    case <- tidy_glm_cases()[[nm]]
    d <- case$data
    p <- fit_pair(case$call)
    fit <- p$gradglm
    gl <- glance(fit)
    expect_identical(names(gl), c("null.deviance", "df.null", "logLik", "AIC", "BIC", "deviance", "df.residual",
                                  "nobs", "optimizer", "iterations", "converged"))
    expect_equal(nrow(gl), 1L)
    expect_identical(vapply(gl, typeof, ""), c(null.deviance = "double", df.null = "integer", logLik = "double",
                                               AIC = "double", BIC = "double", deviance = "double",
                                               df.residual = "integer", nobs = "integer", optimizer = "character",
                                               iterations = "integer", converged = "logical"))
    g <- p$glm
    expect_equal(unlist(gl[c("null.deviance", "logLik", "AIC", "BIC", "deviance")]),
                 c(null.deviance = g$null.deviance, logLik = as.numeric(logLik(g)), AIC = AIC(g), BIC = BIC(g),
                   deviance = deviance(g)), tolerance = 1e-8, label = nm)
    expect_identical(c(gl$df.null, gl$df.residual, gl$nobs), c(g$df.null, g$df.residual, nobs(g)))
    expect_identical(gl$optimizer, fit$optimizer)
    expect_identical(gl$iterations, as.integer(fit$iter))
    expect_true(gl$converged)
  }
  # an optimizer that does not converge says so
  fit <- suppressWarnings(gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "gd", max_iter = 3))
  expect_false(glance(fit)$converged)
  expect_identical(glance(fit)$iterations, 3L)
  expect_identical(glance(fit)$optimizer, "gd")
})

test_that("augment() of GLM fits gives predict(), residuals() and stats' influence measures of the glm", {
  for (nm in names(tidy_glm_cases())) {
    case <- tidy_glm_cases()[[nm]]
    d <- case$data
    p <- fit_pair(case$call)
    fit <- p$gradglm
    g <- p$glm_ref
    for (tr in c("deviance", "pearson")) {
      au <- augment(fit, type.residuals = tr)
      mf <- model.frame(fit)
      expect_identical(names(au), c(names(mf), ".fitted", ".resid", ".hat", ".sigma", ".cooksd", ".std.resid"))
      expect_equal(nrow(au), nrow(d))
      expect_equal(au$.fitted, unname(predict(fit)), tolerance = 1e-14)
      expect_equal(au$.resid, unname(residuals(fit, type = tr)), tolerance = 1e-14)
      infl <- influence(g, do.coef = FALSE)
      expect_equal(au$.hat, unname(infl$hat), tolerance = 1e-6, label = paste(nm, ".hat"))
      expect_equal(au$.sigma, unname(infl$sigma), tolerance = 1e-6, label = paste(nm, ".sigma"))
      expect_equal(au$.cooksd, unname(cooks.distance(g)), tolerance = 1e-6, label = paste(nm, ".cooksd"))
      expect_equal(au$.std.resid, unname(rstandard(g, type = tr)), tolerance = 1e-6, label = paste(nm, ".std.resid"))
    }
    ar <- augment(fit, type.predict = "response", se_fit = TRUE)
    pr <- predict(fit, type = "response", se.fit = TRUE)
    expect_identical(names(ar)[match(".fitted", names(ar)) + 0:2], c(".fitted", ".se.fit", ".resid"))
    expect_equal(ar$.fitted, unname(pr$fit), tolerance = 1e-14)
    expect_equal(ar$.se.fit, unname(pr$se.fit), tolerance = 1e-14)
    expect_equal(ar$.se.fit, unname(predict(g, type = "response", se.fit = TRUE)$se.fit), tolerance = 1e-6)
    # new data: .fitted (and .se.fit), .resid only with the response
    nd <- d[c(3, 1, 7), setdiff(names(d), c("y_gauss", "y_bin", "y_count"))]
    rownames(nd) <- NULL
    an <- augment(fit, newdata = nd, se_fit = TRUE)
    pn <- predict(fit, newdata = nd, se.fit = TRUE)
    expect_identical(names(an), c(names(nd), ".fitted", ".se.fit"))
    expect_equal(an$.fitted, unname(pn$fit), tolerance = 1e-14)
    expect_equal(an$.se.fit, unname(pn$se.fit), tolerance = 1e-14)
    expect_equal(an$.fitted, unname(predict(g, newdata = nd)), tolerance = 1e-6)
    # the training rows as new data give the fit's own residuals, of every type
    for (tr in c("deviance", "pearson", "working", "response")) {
      at <- augment(fit, newdata = d, type.residuals = tr)
      expect_equal(at$.resid, unname(residuals(fit, type = tr)), tolerance = 1e-10, label = paste(nm, tr))
    }
  }
})

test_that("augment() lines its rows up with the data: na.exclude, na.omit, zero weights, row names", {
  aq <- airquality
  fit <- gradglm(Ozone ~ Temp + Wind, data = aq, family = poisson(), na.action = na.exclude)
  g <- glm(Ozone ~ Temp + Wind, data = aq, family = poisson(), na.action = na.exclude)
  used <- !is.na(aq$Ozone)
  a_mf <- augment(fit)                 # the model frame: the rows used
  expect_equal(nrow(a_mf), sum(used))
  expect_equal(a_mf$.fitted, unname(predict(g)[used]), tolerance = 1e-7)
  a_all <- augment(fit, data = aq)     # every row, NA where dropped
  expect_equal(nrow(a_all), nrow(aq))
  expect_identical(is.na(a_all$.fitted), !used)
  expect_identical(is.na(a_all$.hat), !used)
  expect_equal(a_all$.fitted[used], a_mf$.fitted)
  expect_equal(a_all$.cooksd[used], a_mf$.cooksd)
  expect_false(".rownames" %in% names(a_all))  # airquality's row names are 1..n
  fit_omit <- gradglm(Ozone ~ Temp + Wind, data = aq, family = poisson())
  a_omit <- augment(fit_omit, data = aq)  # the dropped rows are left out
  expect_equal(nrow(a_omit), sum(used))
  expect_equal(a_omit$Ozone, aq$Ozone[used])
  expect_identical(a_omit$.rownames, rownames(aq)[used])  # no longer 1..n: kept
  expect_error(augment(fit_omit, data = mtcars), "'data' has 32 rows but the fit has 116")

  # rows of zero prior weight: no leverage, no influence; the others as glm's
  set.seed(4)
  d <- data.frame(x = rnorm(40), w = c(0, 0, rep(1:2, 19)))
  d$y <- rpois(40, exp(0.5 + 0.3 * d$x))
  fit <- gradglm(y ~ x, data = d, family = poisson(), weights = w)
  g <- glm(y ~ x, data = d, family = poisson(), weights = w, control = glm_tight)
  au <- augment(fit)
  infl <- influence(g, do.coef = FALSE)
  keep <- d$w != 0
  expect_identical(au$.hat[!keep], c(0, 0))
  expect_identical(au$.cooksd[!keep], c(0, 0))
  expect_true(all(is.na(au$.std.resid[!keep])))
  expect_equal(au$.hat[keep], unname(infl$hat), tolerance = 1e-6)
  expect_equal(au$.sigma[keep], unname(infl$sigma), tolerance = 1e-6)
  expect_equal(au$.cooksd[keep], unname(cooks.distance(g)), tolerance = 1e-6)  # stats': the rows kept
  expect_equal(au$.std.resid[keep], unname(rstandard(g)), tolerance = 1e-6)
  expect_equal(au$.sigma[!keep], rep(sqrt(deviance(g) / df.residual(g)), 2L), tolerance = 1e-6)

  # row names other than 1..n become .rownames, as broom keeps them
  fit <- gradglm(mpg ~ wt, data = mtcars)
  expect_identical(augment(fit)$.rownames, rownames(mtcars))
  expect_identical(names(augment(fit))[1L], ".rownames")
  expect_identical(augment(fit, newdata = mtcars[1:2, ])$.rownames, rownames(mtcars)[1:2])
})

test_that("tidy() of a Student-t fit with a sigma model labels its blocks and has coef()'s and vcov()'s numbers", {
  fit <- gradglm(dist ~ speed, data = cars, family = student_t(), sigma = ~ speed)
  td <- tidy(fit, conf.int = TRUE)
  expect_tidy_contract(td, fit, conf.int = TRUE)
  expect_identical(td$component, c("location", "location", "sigma", "sigma", "log_df"))
  expect_identical(td$term, c("(Intercept)", "speed", "(Intercept)", "speed", "log(df)"))
  expect_equal(td$estimate, unname(coef(fit)), tolerance = 1e-14)
  expect_equal(td$std.error, unname(sqrt(diag(vcov(fit)))), tolerance = 1e-12)
  expect_equal(td$statistic, td$estimate / td$std.error, tolerance = 1e-12)
  expect_equal(td$p.value, 2 * pnorm(-abs(td$statistic)), tolerance = 1e-12)  # z tests, as summary()
  expect_equal(unname(as.matrix(td[c("conf.low", "conf.high")])), unname(confint(fit)), tolerance = 1e-12)
  # a Gaussian sigma model and a Laplace fit have the component column too
  g <- gradglm(dist ~ speed, data = cars, sigma = ~ speed)
  expect_identical(tidy(g)$component, c("location", "location", "sigma", "sigma"))
  expect_tidy_contract(tidy(g), g)
  l <- gradglm(dist ~ speed, data = cars, family = laplace())
  expect_identical(tidy(l)$component, c("location", "location", "sigma"))
  expect_equal(tidy(l)$std.error, unname(sqrt(diag(vcov(l)))), tolerance = 1e-12)
})

test_that("tidy() of multinomial, ordinal and multi-response fits: classes, cut-points and responses", {
  set.seed(5)
  dm <- data.frame(x = rnorm(200), z = rnorm(200))
  eta <- cbind(0, 0.5 + dm$x, -0.3 + 0.8 * dm$z)
  dm$cls <- factor(apply(exp(eta) / rowSums(exp(eta)), 1L, function(p) sample(c("a", "b", "c"), 1L, prob = p)))
  fit <- gradglm(cls ~ x + z, data = dm, family = multinomial())
  td <- tidy(fit, conf.int = TRUE)
  expect_tidy_contract(td, fit, conf.int = TRUE)
  expect_identical(td$y.level, rep(c("b", "c"), each = 3L))
  expect_identical(td$term, rep(c("(Intercept)", "x", "z"), 2L))
  cm <- coef(fit, matrix = TRUE)
  expect_equal(td$estimate, as.vector(t(cm)), tolerance = 1e-14)
  expect_equal(td$estimate[td$y.level == "c" & td$term == "z"], cm["c", "z"])
  expect_equal(td$std.error, unname(sqrt(diag(vcov(fit)))), tolerance = 1e-12)

  set.seed(7)
  d <- data.frame(x = rnorm(150), z = runif(150))
  d$y <- cut(d$x + d$z + rlogis(150), c(-Inf, -0.5, 0.7, 2, Inf), labels = c("low", "mid", "high", "top"),
             ordered_result = TRUE)
  fo <- gradglm(y ~ x + z, data = d, family = ordinal())
  to <- tidy(fo)
  expect_tidy_contract(to, fo)
  expect_identical(to$coef.type, c("coefficient", "coefficient", "scale", "scale", "scale"))
  expect_identical(to$term, c("x", "z", "low|mid", "mid|high", "high|top"))
  expect_equal(to$estimate, unname(coef(fo)), tolerance = 1e-14)
  expect_equal(to$std.error, unname(sqrt(diag(vcov(fo)))), tolerance = 1e-12)

  fm <- gradglm(cbind(mpg, qsec) ~ wt + hp, data = mtcars)
  tm <- tidy(fm)
  expect_tidy_contract(tm, fm)
  expect_identical(tm$response, rep(c("mpg", "qsec"), each = 3L))
  expect_equal(tm$estimate, unname(coef(fm)), tolerance = 1e-14)
  # t statistics, as summary() and lm() give them for each response
  ref <- coef(summary(lm(qsec ~ wt + hp, data = mtcars)))
  expect_equal(unname(as.matrix(tm[tm$response == "qsec", c("estimate", "std.error", "statistic", "p.value")])),
               unname(ref), tolerance = 1e-8)

  fs <- gradglm(cbind(mpg, qsec) ~ wt, data = mtcars, family = student_t(df = 5))
  ts <- tidy(fs)
  expect_tidy_contract(ts, fs)
  expect_identical(ts$component, c(rep("location", 4L), rep("sigma", 2L)))
  expect_identical(ts$response, c("mpg", "mpg", "qsec", "qsec", "mpg", "qsec"))
  expect_equal(ts$std.error, unname(sqrt(diag(vcov(fs)))), tolerance = 1e-12)
})

test_that("tidy() of a regularization path: coefficient by step, zeros left out unless asked", {
  fit <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, penalty = lasso())
  B <- coef(fit)
  L <- ncol(B)
  all_rows <- tidy(fit, return_zeros = TRUE)
  expect_identical(names(all_rows), c("term", "step", "estimate", "lambda", "dev.ratio"))
  expect_equal(nrow(all_rows), length(B))
  expect_identical(all_rows$term, rep(rownames(B), each = L))
  expect_equal(all_rows$step, rep(seq_len(L), times = nrow(B)))
  expect_equal(all_rows$estimate, as.vector(t(B)))
  expect_equal(all_rows$lambda, rep(fit$path$lambda, times = nrow(B)))
  expect_equal(all_rows$dev.ratio, rep(fit$path$dev.ratio, times = nrow(B)))
  td <- tidy(fit)
  expect_equal(nrow(td), sum(B != 0))
  expect_false(any(td$estimate == 0))
  expect_identical(td$term, rep(rownames(B), each = L)[as.vector(t(B)) != 0])
  # at a step the rows are the non-zero coefficients of coef(fit)[, step]
  s <- 20L
  expect_equal(td$estimate[td$step == s], unname(B[B[, s] != 0, s]))
  expect_equal(tidy(fit, exponentiate = TRUE)$estimate, exp(td$estimate))
  expect_error(tidy(fit, conf.int = TRUE), "'conf.int' is not available along a regularization path")
  expect_error(tidy(fit, return_zeros = NA), "'return_zeros' must be TRUE or FALSE")

  # a family without a deviance reports the log-likelihood; the blocks are labelled
  ft <- gradglm(dist ~ speed, data = cars, family = student_t(df = 4), sigma = ~ speed, penalty = ridge())
  tt <- tidy(ft, return_zeros = TRUE)
  expect_identical(names(tt), c("component", "term", "step", "estimate", "lambda", "logLik"))
  expect_identical(unique(tt$component), c("location", "sigma"))
  expect_equal(tt$logLik, rep(ft$path$loglik, times = nrow(coef(ft))))

  gl <- glance(fit)
  expect_equal(gl$null.deviance, fit$path$null.deviance)
  expect_true(is.na(gl$logLik) && is.na(gl$deviance) && is.na(gl$df.residual))
  expect_type(gl$df.residual, "integer")
  expect_identical(gl$optimizer, "cd")
  expect_identical(gl$nobs, 32L)
  expect_error(augment(fit), "regularization path over")
})

test_that("a single penalised fit is tidied like a fit, without influence measures", {
  fit <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, penalty = lasso(lambda = 1))
  td <- tidy(fit)
  expect_tidy_contract(td, fit)
  expect_equal(td$estimate, unname(coef(fit)))
  selected <- coef(fit) != 0
  expect_true(any(!selected))
  expect_true(all(is.na(td$std.error[!selected])))
  expect_equal(td$std.error[selected], unname(coef(summary(fit))[, 2L]), tolerance = 1e-12)
  au <- augment(fit)
  expect_identical(names(au), c(".rownames", "mpg", "wt", "hp", "qsec", "drat", ".fitted", ".resid"))
})

test_that("glance() and augment() of distributional, categorical and network fits", {
  fit <- gradglm(dist ~ speed, data = cars, family = student_t(), sigma = ~ speed)
  gl <- glance(fit)
  expect_equal(gl$logLik, as.numeric(logLik(fit)))
  expect_equal(gl$AIC, AIC(fit))
  expect_equal(gl$BIC, BIC(fit))
  expect_equal(gl$deviance, deviance(fit))
  expect_identical(gl$df.residual, as.integer(df.residual(fit)))
  au <- augment(fit, se_fit = TRUE)  # residuals: the fit's first type, "response"
  expect_identical(names(au), c("dist", "speed", ".fitted", ".se.fit", ".resid"))
  expect_equal(au$.resid, unname(residuals(fit, type = "response")))
  expect_equal(au$.se.fit, unname(predict(fit, se.fit = TRUE)$se.fit))
  expect_equal(augment(fit, type.predict = "sigma")$.fitted, unname(sigma(fit)))
  for (tr in c("response", "pearson", "quantile")) {
    expect_equal(augment(fit, newdata = cars, type.residuals = tr)$.resid, unname(residuals(fit, type = tr)),
                 tolerance = 1e-10)
  }
  expect_error(augment(fit, type.residuals = "deviance"),
               "'type.residuals' must be one of 'response', 'pearson', 'quantile'")

  fm <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  am <- augment(fm)  # the predicted class, as broom's augment.polr()
  expect_identical(am$.fitted, unname(predict(fm, type = "class")))
  ap <- augment(fm, type.predict = "probs")
  probs <- predict(fm, type = "probs")
  expect_identical(grep("^[.]fitted_", names(ap), value = TRUE), paste0(".fitted_", colnames(probs)))
  expect_equal(ap$.fitted_virginica, unname(probs[, "virginica"]))
  expect_equal(glance(fm)$logLik, as.numeric(logLik(fm)))
  expect_equal(glance(fm)$null.deviance, fm$null.deviance)

  fn <- gradglm(mpg ~ wt + hp, data = mtcars, model = mlp(units = 3))
  expect_error(tidy(fn), "a network \\(model = mlp\\(\\)\\) has no coefficient table")
  gn <- glance(fn)
  expect_equal(gn$logLik, as.numeric(logLik(fn)))
  expect_equal(gn$AIC, AIC(fn))
  an <- augment(fn)
  expect_identical(names(an), c(".rownames", "mpg", "wt", "hp", ".fitted", ".resid"))
  expect_equal(an$.fitted, unname(predict(fn)))
  expect_error(augment(fn, se_fit = TRUE), "'se_fit' is not available for a network")
})

test_that("a fit from a chunked source: tidy() and glance() work, augment() needs newdata", {
  d <- mtcars
  src <- function_source(d, 8)
  fit <- gradglm(am ~ wt + hp, data = src, family = binomial())
  mem <- gradglm(am ~ wt + hp, data = d, family = binomial())
  expect_equal(tidy(fit), tidy(mem), tolerance = 1e-6)
  expect_equal(glance(fit)[1:8], glance(mem)[1:8], tolerance = 1e-6)
  expect_error(augment(fit), "chunked source and keeps no fitted values or residuals")
  an <- augment(fit, newdata = d[1:4, ], se_fit = TRUE)
  expect_equal(an$.fitted, unname(predict(mem, newdata = d[1:4, ])), tolerance = 1e-6)
  expect_equal(an$.resid, unname(residuals(mem)[1:4]), tolerance = 1e-6)
})

test_that("the tidiers name the argument in their errors", {
  fit <- gradglm(mpg ~ wt, data = mtcars)
  expect_error(tidy(fit, conf.int = "yes"), "tidy.gradglm: 'conf.int' must be TRUE or FALSE")
  expect_error(tidy(fit, exponentiate = NA), "'exponentiate' must be TRUE or FALSE")
  expect_error(tidy(fit, conf.int = TRUE, conf.level = 95), "'conf.level' must be a single number between 0 and 1")
  expect_error(augment(fit, type.predict = "probs"), "'type.predict' must be one of 'link', 'response'")
  expect_error(augment(fit, type.residuals = "quantile"), "'type.residuals' must be one of 'deviance'")
  expect_error(augment(fit, se_fit = 1), "'se_fit' must be TRUE or FALSE")
  expect_error(augment(fit, newdata = 1:3), "'newdata' must be a data frame")
  expect_error(augment(fit, data = matrix(1:64, 32)), "'data' is a matrix without column names")
  expect_error(augment(fit, newdata = data.frame(hp = 1)), "could not predict for 'newdata'")
  fm <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  expect_error(augment(fm, type.predict = "probs", se_fit = TRUE), "'se_fit' is available for type = \"link\" only")
  # a gradglm_fit() fit has no frame: augment() asks for the data
  X <- model.matrix(~ wt, mtcars)
  ff <- gradglm_fit(X, mtcars$mpg)
  expect_error(augment(ff), "give the data as 'data'")
  expect_equal(augment(ff, data = mtcars)$.fitted, unname(predict(ff)))
})

# ---------------------------------------------------------------------------
# broom's tidiers of the same glm fits

# the columns two tidy frames share, compared: names first, then each column
expect_same_frame <- function(ours, theirs, tol = 1e-6, label = "") {
  expect_identical(names(ours), names(theirs), label = label)
  for (col in names(theirs)) {
    if (is.numeric(theirs[[col]])) {
      expect_equal(as.vector(ours[[col]]), as.vector(theirs[[col]]), tolerance = tol,
                   label = paste(label, col))
    } else {
      expect_identical(as.vector(unclass(ours[[col]])), as.vector(unclass(theirs[[col]])), label = paste(label, col))
    }
  }
}

test_that("tidy(), glance() and augment() agree with broom's for the same glm", {
  skip_if_not_installed("broom")
  for (nm in names(tidy_glm_cases())) {
    case <- tidy_glm_cases()[[nm]]
    d <- case$data
    p <- fit_pair(case$call)
    fit <- p$gradglm
    g <- p$glm_ref
    expect_same_frame(tidy(fit), broom::tidy(g), label = paste(nm, "tidy"))
    # broom's limits for glm are profile-likelihood ones, interpolated by MASS:
    # the other columns agree, the limits closely
    ours <- tidy(fit, conf.int = TRUE, exponentiate = TRUE)
    theirs <- suppressMessages(suppressWarnings(broom::tidy(g, conf.int = TRUE, exponentiate = TRUE)))
    expect_identical(names(ours), names(theirs))
    expect_same_frame(ours[1:5], theirs[1:5], label = paste(nm, "tidy exponentiated"))
    lim <- c("conf.low", "conf.high")
    expect_lt(max(abs(as.matrix(ours[lim]) - as.matrix(theirs[lim])) / as.matrix(theirs[lim])), 2e-3, label = nm)
    if (nm == "gaussian") {  # where the profile is exactly quadratic the limits agree too
      expect_same_frame(ours, theirs, label = "gaussian conf.int")
    }
    gl <- glance(fit)
    bg <- broom::glance(g)
    expect_same_frame(gl[names(bg)], bg, label = paste(nm, "glance"))
    expect_identical(names(gl)[seq_along(bg)], names(bg))
    expect_identical(vapply(gl[names(bg)], typeof, ""), vapply(bg, typeof, ""))

    expect_same_frame(augment(fit), broom::augment(g), label = paste(nm, "augment"))
    expect_same_frame(augment(fit, type.predict = "response", type.residuals = "pearson", se_fit = TRUE),
                      broom::augment(g, type.predict = "response", type.residuals = "pearson", se_fit = TRUE),
                      label = paste(nm, "augment response/pearson/se"))
    nd <- d[c(5, 2, 9), c("x", "z", "f", "w", "expo")]
    rownames(nd) <- NULL
    expect_same_frame(augment(fit, newdata = nd), broom::augment(g, newdata = nd), label = paste(nm, "newdata"))
    expect_same_frame(augment(fit, newdata = nd, se_fit = TRUE, type.predict = "response"),
                      broom::augment(g, newdata = nd, se_fit = TRUE, type.predict = "response"),
                      label = paste(nm, "newdata se"))
    # with the response in newdata gradglm adds .resid, where broom's glm tidier has none
    with_y <- augment(fit, newdata = d[1:3, ])
    expect_identical(setdiff(names(with_y), names(broom::augment(g, newdata = d[1:3, ]))), ".resid")
  }
})

test_that("the blocks are labelled as broom labels those of multinom, polr and glmnet", {
  skip_if_not_installed("broom")
  skip_if_not_installed("nnet")
  fit <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  ref <- nnet::multinom(Species ~ Sepal.Length, data = iris, trace = FALSE, reltol = 1e-14, maxit = 1000)
  bt <- broom::tidy(ref)
  td <- tidy(fit)
  expect_identical(names(td), names(bt))
  expect_identical(td$y.level, bt$y.level)
  expect_identical(td$term, bt$term)
  expect_equal(td$estimate, bt$estimate, tolerance = 1e-4)

  skip_if_not_installed("MASS")
  d <- MASS::housing
  fo <- gradglm(Sat ~ Infl + Type, data = d, weights = Freq, family = ordinal())
  po <- MASS::polr(Sat ~ Infl + Type, data = d, weights = Freq, Hess = TRUE)
  bp <- suppressMessages(broom::tidy(po))
  to <- tidy(fo)
  expect_identical(setdiff(names(to), names(bp)), "p.value")  # broom gives polr p-values on request only
  expect_identical(to$term, bp$term)
  expect_identical(to$coef.type, bp$coef.type)
  expect_equal(to$estimate, bp$estimate, tolerance = 1e-4)

  skip_if_not_installed("glmnet")
  x <- as.matrix(mtcars[c("wt", "hp", "qsec")])
  gn <- glmnet::glmnet(x, mtcars$mpg)
  fp <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso())
  expect_identical(names(tidy(fp)), names(broom::tidy(gn)))
  expect_identical(vapply(tidy(fp), typeof, ""), vapply(broom::tidy(gn), typeof, ""))
})
