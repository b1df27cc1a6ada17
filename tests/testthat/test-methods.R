# Methods for fitted "gradglm" objects (print, summary, extractors, anova),
# each compared with what stats gives for the same model fitted by glm().

glm_ctl <- glm.control(epsilon = 1e-12, maxit = 100)
tol <- 1e-5

# A data set with a structurally rank-deficient design: mtcars has no car
# with 8 cylinders and 4 gears, so factor(cyl):factor(gear) has an empty cell.
mt <- within(mtcars, {
  cyl_f <- factor(cyl)
  gear_f <- factor(gear)
  make <- as.character(rep(c("a", "b", "c", "d"), 8))
})

# airquality has missing Ozone and Solar.R values.
aq <- airquality

# Lines of printed output from the "Coefficients" heading up to (not
# including) the significance legend or the first blank line after it.
coef_block <- function(object) {
  out <- capture.output(print(summary(object)))
  start <- grep("^Coefficients", out)[1L]
  rest <- out[(start + 1L):length(out)]
  end <- which(grepl("^---", rest) | rest == "")[1L]
  out[start:(start + end - 1L)]
}

# Every model used below, fitted by gradglm() and by glm().
models <- list(
  gaussian = list(
    gg = gradglm(mpg ~ wt + hp + cyl_f, data = mt),
    gl = glm(mpg ~ wt + hp + cyl_f, data = mt, control = glm_ctl)
  ),
  gaussian_weighted = list(
    gg = gradglm(mpg ~ wt + qsec, data = mt, weights = carb),
    gl = glm(mpg ~ wt + qsec, data = mt, weights = carb, control = glm_ctl)
  ),
  logit = list(
    gg = gradglm(am ~ wt + hp, data = mt, family = binomial()),
    gl = glm(am ~ wt + hp, data = mt, family = binomial(), control = glm_ctl)
  ),
  probit_birthwt = list(
    gg = gradglm(low ~ age + lwt + factor(race) + smoke, data = MASS::birthwt,
                 family = binomial(link = "probit")),
    gl = glm(low ~ age + lwt + factor(race) + smoke, data = MASS::birthwt,
             family = binomial(link = "probit"), control = glm_ctl)
  ),
  binomial_cbind = list(
    gg = gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph,
                 family = binomial()),
    gl = glm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph,
             family = binomial(), control = glm_ctl)
  ),
  poisson = list(
    gg = gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson()),
    gl = glm(breaks ~ wool * tension, data = warpbreaks, family = poisson(),
             control = glm_ctl)
  ),
  poisson_sqrt = list(
    gg = gradglm(count ~ spray, data = InsectSprays,
                 family = poisson(link = "sqrt")),
    gl = glm(count ~ spray, data = InsectSprays,
             family = poisson(link = "sqrt"), control = glm_ctl)
  ),
  rank_deficient = list(
    gg = gradglm(mpg ~ cyl_f * gear_f, data = mt),
    gl = glm(mpg ~ cyl_f * gear_f, data = mt, control = glm_ctl)
  ),
  na_exclude = list(
    gg = gradglm(Ozone ~ Temp + Wind + Solar.R, data = aq, family = poisson(),
                 na.action = na.exclude),
    gl = glm(Ozone ~ Temp + Wind + Solar.R, data = aq, family = poisson(),
             na.action = na.exclude, control = glm_ctl)
  )
)

test_that("the rank-deficient fixture really is rank deficient", {
  rd <- models$rank_deficient
  expect_true(anyNA(coef(rd$gl)))
  expect_identical(is.na(coef(rd$gg)), is.na(coef(rd$gl)))
})

# ---------------------------------------------------------------------------
# print

test_that("print.gradglm shows call, coefficients, df, deviances, AIC and optimizer", {
  fit <- models$logit$gg
  out <- capture.output(res <- withVisible(print(fit)))
  expect_false(res$visible)
  expect_identical(res$value, fit)
  txt <- paste(out, collapse = "\n")
  expect_match(txt, "Call:  gradglm(formula = am ~ wt + hp", fixed = TRUE)
  expect_match(txt, "Family: binomial (link: logit)", fixed = TRUE)
  expect_match(txt, "(Intercept)", fixed = TRUE)
  # glm's lines of the degrees of freedom and the deviances, word for word
  gl_out <- capture.output(print(models$logit$gl))
  keep <- function(o) grep("^(Degrees of Freedom|Null Deviance|Residual Deviance)", o, value = TRUE)
  expect_length(keep(out), 3L)
  expect_identical(keep(out), keep(gl_out))
  expect_match(txt, paste0("Optimizer: ", fit$optimizer, ", ", fit$iter,
                           " iterations? \\(converged\\)"))
  # the printed coefficients are the fitted ones
  shown <- capture.output(print(fit, digits = 5))
  line <- shown[grep("(Intercept)", shown, fixed = TRUE) + 1L]
  expect_equal(as.numeric(strsplit(trimws(line), "\\s+")[[1]]),
               unname(signif(coef(models$logit$gl), 5)), tolerance = 1e-4)
})

test_that("print.gradglm shows NA for aliased coefficients and notes missing rows", {
  out <- paste(capture.output(print(models$rank_deficient$gg)), collapse = "\n")
  expect_match(out, "NA")
  out_na <- paste(capture.output(print(models$na_exclude$gg)), collapse = "\n")
  expect_match(out_na, "42 observations deleted due to missingness", fixed = TRUE)
})

test_that("print.gradglm reports non-convergence", {
  fit <- models$logit$gg
  fit$converged <- FALSE
  expect_output(print(fit), "did NOT converge")
})

# ---------------------------------------------------------------------------
# summary

test_that("summary.gradglm matches summary.glm for every family and link", {
  for (nm in names(models)) {
    s <- summary(models[[nm]]$gg)
    sg <- summary(models[[nm]]$gl)
    expect_s3_class(s, "summary.gradglm")
    expect_identical(colnames(coef(s)), colnames(coef(sg)), label = nm)
    expect_identical(rownames(coef(s)), rownames(coef(sg)), label = nm)
    expect_equal(coef(s), coef(sg), tolerance = tol, label = nm)
    expect_equal(s$dispersion, sg$dispersion, tolerance = tol, label = nm)
    expect_equal(s$cov.unscaled, sg$cov.unscaled, tolerance = tol, label = nm)
    expect_equal(s$cov.scaled, sg$cov.scaled, tolerance = tol, label = nm)
    expect_identical(s$aliased, sg$aliased, label = nm)
    expect_equal(s$df, sg$df, label = nm)
    expect_equal(s$deviance, sg$deviance, tolerance = tol, label = nm)
    expect_equal(s$null.deviance, sg$null.deviance, tolerance = tol, label = nm)
    expect_equal(s$aic, sg$aic, tolerance = tol, label = nm)
    expect_equal(s$df.residual, sg$df.residual, label = nm)
    expect_equal(s$df.null, sg$df.null, label = nm)
    expect_equal(s$deviance.resid, sg$deviance.resid, tolerance = tol, label = nm)
  }
})

test_that("summary uses t tests when the dispersion is estimated and z tests otherwise", {
  expect_identical(colnames(coef(summary(models$gaussian$gg)))[3:4],
                   c("t value", "Pr(>|t|)"))
  expect_identical(colnames(coef(summary(models$poisson$gg)))[3:4],
                   c("z value", "Pr(>|z|)"))
  # a Gaussian dispersion given by the user switches to z tests
  s <- summary(models$gaussian$gg, dispersion = 2)
  sg <- summary(models$gaussian$gl, dispersion = 2)
  expect_identical(colnames(coef(s)), colnames(coef(sg)))
  expect_equal(coef(s), coef(sg), tolerance = tol)
  expect_identical(s$dispersion, 2)
  # and for a Poisson fit an over-dispersion value scales the errors
  s <- summary(models$poisson$gg, dispersion = 3)
  expect_equal(coef(s), coef(summary(models$poisson$gl, dispersion = 3)),
               tolerance = tol)
  expect_error(summary(models$poisson$gg, dispersion = -1), "'dispersion'")
})

test_that("summary(correlation = TRUE) matches summary.glm's correlation", {
  s <- summary(models$probit_birthwt$gg, correlation = TRUE)
  sg <- summary(models$probit_birthwt$gl, correlation = TRUE)
  expect_equal(s$correlation, sg$correlation, tolerance = tol)
  expect_output(print(s), "Correlation of Coefficients:", fixed = TRUE)
  expect_null(summary(models$probit_birthwt$gg)$correlation)
})

# Differences between two printed coefficient blocks: they must have the
# same heading, rows, columns, NAs and significance stars, and numbers equal
# to printing precision (the last printed digit may differ when a value lies
# close to a rounding edge). Returns a character vector of problems.
coef_block_diff <- function(actual, expected) {
  if (length(actual) != length(expected)) return("different number of lines")
  if (!identical(actual[1:2], expected[1:2])) return("different heading")
  rows_a <- strsplit(trimws(actual[-(1:2)]), "\\s+")
  rows_e <- strsplit(trimws(expected[-(1:2)]), "\\s+")
  problems <- character(0)
  for (i in seq_along(rows_e)) {
    a <- rows_a[[i]]
    e <- rows_e[[i]]
    if (length(a) != length(e) || a[1] != e[1]) {
      problems <- c(problems, paste("row", e[1], "differs in layout"))
      next
    }
    num_a <- suppressWarnings(as.numeric(sub("^<", "", a[-1])))
    num_e <- suppressWarnings(as.numeric(sub("^<", "", e[-1])))
    same <- identical(is.na(num_a), is.na(num_e)) &&
      identical(a[-1][is.na(num_a)], e[-1][is.na(num_e)]) &&
      isTRUE(all.equal(num_a, num_e, tolerance = 1e-3))
    if (!same) problems <- c(problems, paste("row", e[1], "differs in its values"))
  }
  problems
}

test_that("summary()'s residual quartiles and symbolic correlations, and anova()'s default test, as glm's", {
  gg <- models$logit$gg
  gl <- models$logit$gl
  block <- function(o, from, to) {
    out <- capture.output(print(summary(o, correlation = TRUE, symbolic.cor = TRUE), show.residuals = TRUE))
    i <- grep(from, out)[1L]
    out[i:(i + to)]
  }
  expect_identical(block(gg, "^Deviance Residuals", 2L), block(gl, "^Deviance Residuals", 2L))
  expect_identical(block(gg, "^Correlation of Coefficients", 6L), block(gl, "^Correlation of Coefficients", 6L))
  expect_false(any(grepl("Deviance Residuals", capture.output(print(summary(gg))))))
  # the default test: chi-squared with a known dispersion, F with an estimated one (R >= 4.4's glm)
  expect_true("Pr(>Chi)" %in% names(anova(models$poisson$gg)))
  g0 <- gradglm(mpg ~ wt, data = mtcars)
  g1 <- gradglm(mpg ~ wt + hp, data = mtcars)
  a <- anova(g0, g1)
  expect_true(all(c("F", "Pr(>F)") %in% names(a)))
  expect_equal(a[2L, "Pr(>F)"], anova(lm(mpg ~ wt, mtcars), lm(mpg ~ wt + hp, mtcars))[2L, "Pr(>F)"], tolerance = 1e-6)
  expect_true("Pr(>Chi)" %in% names(anova(g0, g1, dispersion = 4)))
  expect_false(any(c("F", "Pr(>Chi)") %in% names(anova(g0, g1, test = "none"))))
})

test_that("print.summary.gradglm prints the same coefficient table as glm", {
  for (nm in c("gaussian", "logit", "poisson", "binomial_cbind", "rank_deficient")) {
    expect_identical(coef_block_diff(coef_block(models[[nm]]$gg),
                                     coef_block(models[[nm]]$gl)),
                     character(0), label = nm)
  }
  # the comparison can fail: a table with one value off by 1% does not pass
  right <- coef_block(models$poisson$gl)
  wrong <- right
  tokens <- strsplit(trimws(wrong[3]), "\\s+")[[1]]
  tokens[2] <- format(as.numeric(tokens[2]) * 1.01)
  wrong[3] <- paste(tokens, collapse = " ")
  expect_length(coef_block_diff(wrong, right), 1L)
  expect_length(coef_block_diff(right[-4], right), 1L)
  # the deviance lines as glm's: both formatted together (5 significant
  # digits here), no digits that are not there
  dev_lines <- function(o) grep("deviance: .* degrees of freedom$", capture.output(print(summary(o))), value = TRUE)
  for (nm in c("gaussian", "logit", "poisson")) {
    expect_identical(dev_lines(models[[nm]]$gg), dev_lines(models[[nm]]$gl), label = nm)
  }
  # (before, each deviance was rounded alone and then padded: "1126.0500")
  expect_identical(dev_lines(gradglm(mpg ~ wt, data = mtcars)), dev_lines(glm(mpg ~ wt, data = mtcars)))
  expect_identical(dev_lines(gradglm(mpg ~ wt + hp, data = mtcars)), dev_lines(glm(mpg ~ wt + hp, data = mtcars)))
})

# ---------------------------------------------------------------------------
# coef, vcov, confint

test_that("coef() matches glm, with NA for aliased coefficients", {
  for (nm in names(models)) {
    expect_equal(coef(models[[nm]]$gg), coef(models[[nm]]$gl),
                 tolerance = 1e-6, label = nm)
  }
  rd <- models$rank_deficient
  expect_equal(coef(rd$gg, complete = FALSE), coef(rd$gl, complete = FALSE),
               tolerance = 1e-6)
  expect_false(anyNA(coef(rd$gg, complete = FALSE)))
})

test_that("vcov() matches vcov.glm, complete = TRUE and FALSE", {
  for (nm in names(models)) {
    expect_equal(vcov(models[[nm]]$gg), vcov(models[[nm]]$gl),
                 tolerance = tol, label = nm)
  }
  rd <- models$rank_deficient
  v <- vcov(rd$gg)
  expect_identical(dim(v), c(length(coef(rd$gl)), length(coef(rd$gl))))
  expect_true(all(is.na(v["cyl_f8:gear_f4", ])))
  v_small <- vcov(rd$gg, complete = FALSE)
  expect_equal(v_small, vcov(rd$gl, complete = FALSE), tolerance = tol)
  expect_false(anyNA(v_small))
})

test_that("confint(method = \"wald\") gives Wald intervals equal to confint.default on glm", {
  for (nm in names(models)) {
    expect_equal(confint(models[[nm]]$gg, method = "wald"), confint.default(models[[nm]]$gl),
                 tolerance = tol, label = nm)
  }
  fit <- models$probit_birthwt$gg
  gl <- models$probit_birthwt$gl
  expect_equal(confint(fit, parm = c("lwt", "smoke"), level = 0.9, method = "wald"),
               confint.default(gl, parm = c("lwt", "smoke"), level = 0.9),
               tolerance = tol)
  expect_equal(confint(fit, parm = 2:3, level = 0.99, method = "wald"),
               confint.default(gl, parm = 2:3, level = 0.99), tolerance = tol)
  expect_identical(colnames(confint(fit, level = 0.9)), c("5 %", "95 %"))
  # intervals for aliased coefficients are NA
  ci <- confint(models$rank_deficient$gg)
  expect_true(all(is.na(ci["cyl_f8:gear_f4", ])))
  expect_false(anyNA(ci[rownames(ci) != "cyl_f8:gear_f4", ]))
  expect_error(confint(fit, parm = "nope"), "'nope'")
  expect_error(confint(fit, parm = 99), "'parm'")
  expect_error(confint(fit, level = 1.5), "'level'")
  expect_error(confint(fit, method = "bootstrap"), "'method' must be")
})

test_that("confint() of a GLM gives profile-likelihood limits: the roots of the signed root deviance", {
  set.seed(3)
  n <- 200
  d <- data.frame(x = rnorm(n), g = sample(letters[1:3], n, TRUE), t = runif(n, 1, 3))
  d$y <- rpois(n, d$t * exp(0.2 + 0.3 * d$x))
  d$b <- rbinom(n, 1, plogis(-0.3 + 0.8 * d$x))
  d$k <- rbinom(n, 5, plogis(-0.5 + 0.4 * d$x))
  d$z <- rgamma(n, 2, 2 / exp(0.5 + 0.3 * d$x))
  cases <- list(
    poisson_offset = list(y ~ x + g + offset(log(t)), poisson()),
    logistic = list(b ~ x + g, binomial()),
    probit_trials = list(cbind(k, 5 - k) ~ x, binomial(link = "probit")),
    gamma_log = list(z ~ x, Gamma(link = "log")),
    quasibinomial = list(cbind(k, 5 - k) ~ x, quasibinomial()),
    negbin_fixed = list(y ~ x + offset(log(t)), negative_binomial(theta = 4)))
  for (nm in names(cases)) {
    form <- cases[[nm]][[1L]]
    fam <- cases[[nm]][[2L]]
    fit <- gradglm(form, data = d, family = fam)
    ci <- confint(fit, level = 0.9)
    expect_identical(colnames(ci), c("5 %", "95 %"))
    # the reference, built from glm.fit alone: the coefficient held at b (in
    # the offset), the others refitted at epsilon 1e-14; its dispersion as
    # summary.glm's; the limits where the signed root meets qnorm(0.05), qnorm(0.95)
    gfam <- if (nm == "negbin_fixed") MASS::negative.binomial(4) else fam
    ctl <- list(epsilon = 1e-14, maxit = 100)
    g <- glm(form, data = d, family = gfam, control = ctl)
    X <- model.matrix(g)
    y <- g$y
    off <- if (is.null(g$offset)) 0 else g$offset
    # (a negative binomial's dispersion is 1, as summary() of glm.nb has it;
    # glm() with MASS's negative.binomial() family would estimate one)
    disp <- if (nm == "negbin_fixed") 1 else summary(g)$dispersion
    for (j in seq_len(ncol(X))) {
      z <- function(b) {
        fm <- glm.fit(X[, -j, drop = FALSE], y, weights = g$prior.weights, offset = off + X[, j] * b,
                      family = gfam, control = ctl)
        sign(b - coef(g)[[j]]) * sqrt(max(fm$deviance - g$deviance, 0) / disp)
      }
      se <- sqrt(diag(vcov(g)))[[j]]
      lo <- uniroot(function(b) z(b) - qnorm(0.05), coef(g)[[j]] + c(-5, 0) * se, tol = 1e-12)$root
      hi <- uniroot(function(b) z(b) - qnorm(0.95), coef(g)[[j]] + c(0, 5) * se, tol = 1e-12)$root
      expect_equal(unname(ci[j, ]), c(lo, hi), tolerance = 1e-7, label = paste(nm, colnames(X)[j]))
    }
    # MASS's confint() for glm interpolates a spline through a grid of refits: close, not exact
    if (nm != "negbin_fixed") {
      ref <- suppressMessages(confint(g, level = 0.9))
      expect_lt(max(abs(ci - ref) / abs(ref)), 2e-3, label = nm)
    }
  }
  # the Gaussian's profile is quadratic: its limits are Wald's
  fit <- gradglm(z ~ x + g, data = d)
  expect_equal(confint(fit), confint(fit, method = "wald"), tolerance = 1e-8)
  # one coefficient's limits come as a vector, as glm's (also for a model of one coefficient)
  one <- confint(fit, "x")
  expect_null(dim(one))
  expect_identical(names(one), names(suppressMessages(confint(glm(z ~ x + g, data = d), "x"))))
  expect_equal(one, confint(fit)["x", ])
  only <- gradglm(y ~ 1, data = d, family = poisson())
  expect_equal(confint(only), suppressMessages(confint(glm(y ~ 1, data = d, family = poisson()))), tolerance = 1e-3)
  td <- tidy(only, conf.int = TRUE)
  expect_equal(c(td$conf.low, td$conf.high), unname(confint(only)))
  # separated classes: the likelihood is flat beyond the fitted values, the limit is NA with a warning
  ds <- data.frame(x = 1:10, y = rep(0:1, each = 5))
  fs <- suppressWarnings(gradglm(y ~ x, data = ds, family = binomial()))
  expect_warning(ci <- confint(fs, "x"), "profile of 'x'.*limit is NA")
  expect_true(is.na(ci[2L]))
  # profiles need the rows in memory, no penalty, and a GLM or one location model
  pfit <- gradglm(y ~ x, data = d, family = poisson(), penalty = ridge(0.1))
  expect_error(confint(pfit, method = "profile"), "profile-likelihood intervals are for GLM fits and the location")
  expect_equal(confint(pfit), confint(pfit, method = "wald"))
  mfit <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  expect_error(confint(mfit, method = "profile"), "profile-likelihood intervals are for GLM fits and the location")
})

# ---------------------------------------------------------------------------
# logLik, AIC, BIC, nobs, deviance, df.residual

test_that("logLik(), AIC() and BIC() match glm", {
  for (nm in names(models)) {
    ll <- logLik(models[[nm]]$gg)
    llg <- logLik(models[[nm]]$gl)
    expect_s3_class(ll, "logLik")
    expect_equal(as.numeric(ll), as.numeric(llg), tolerance = tol, label = nm)
    expect_equal(attr(ll, "df"), attr(llg, "df"), label = nm)
    expect_equal(attr(ll, "nobs"), attr(llg, "nobs"), label = nm)
    expect_equal(AIC(models[[nm]]$gg), AIC(models[[nm]]$gl), tolerance = tol,
                 label = nm)
    expect_equal(BIC(models[[nm]]$gg), BIC(models[[nm]]$gl), tolerance = tol,
                 label = nm)
  }
  # Gaussian: the scale is a parameter too
  expect_equal(attr(logLik(models$gaussian$gg), "df"), 6)
  expect_equal(attr(logLik(models$rank_deficient$gg), "df"),
               sum(!is.na(coef(models$rank_deficient$gl))) + 1)
  # several models at once
  a <- AIC(models$gaussian$gg, models$gaussian_weighted$gg)
  expect_equal(a$AIC, AIC(models$gaussian$gl, models$gaussian_weighted$gl)$AIC,
               tolerance = tol)
})

test_that("nobs(), deviance(), df.residual() match glm", {
  for (nm in names(models)) {
    expect_identical(as.integer(nobs(models[[nm]]$gg)),
                     as.integer(nobs(models[[nm]]$gl)), label = nm)
    expect_equal(deviance(models[[nm]]$gg), deviance(models[[nm]]$gl),
                 tolerance = tol, label = nm)
    expect_equal(df.residual(models[[nm]]$gg), df.residual(models[[nm]]$gl),
                 label = nm)
  }
  expect_identical(as.integer(nobs(models$na_exclude$gg)), 111L)
})

# ---------------------------------------------------------------------------
# fitted, residuals, weights

test_that("fitted() matches glm, padded for na.exclude", {
  for (nm in names(models)) {
    expect_equal(fitted(models[[nm]]$gg), fitted(models[[nm]]$gl),
                 tolerance = tol, label = nm)
  }
  f <- fitted(models$na_exclude$gg)
  expect_length(f, nrow(aq))
  expect_identical(unname(which(is.na(f))),
                   which(is.na(aq$Ozone) | is.na(aq$Solar.R)))
})

test_that("residuals() of every type match residuals.glm", {
  types <- c("deviance", "pearson", "working", "response")
  for (nm in names(models)) {
    for (type in types) {
      expect_equal(residuals(models[[nm]]$gg, type = type),
                   residuals(models[[nm]]$gl, type = type),
                   tolerance = tol, label = paste(nm, type))
    }
  }
  # the default type is "deviance"
  expect_equal(residuals(models$logit$gg),
               residuals(models$logit$gg, type = "deviance"))
  # partial residuals, as glm's (test-predict.R checks them with weights and na.exclude)
  expect_equal(residuals(models$logit$gg, type = "partial"), residuals(models$logit$gl, type = "partial"),
               tolerance = tol)
})

test_that("residuals() are padded with NA in place for na.exclude, not for na.omit", {
  fit <- models$na_exclude$gg
  miss <- which(is.na(aq$Ozone) | is.na(aq$Solar.R))
  for (type in c("deviance", "pearson", "working", "response")) {
    r <- residuals(fit, type = type)
    expect_length(r, nrow(aq))
    expect_identical(unname(which(is.na(r))), miss)
    expect_identical(names(r), rownames(aq))
  }
  omit <- gradglm(Ozone ~ Temp + Wind + Solar.R, data = aq, family = poisson(),
                  na.action = na.omit)
  expect_length(residuals(omit), nrow(aq) - length(miss))
  expect_false(anyNA(residuals(omit, type = "pearson")))
  expect_equal(residuals(omit, type = "pearson"),
               residuals(fit, type = "pearson")[-miss], tolerance = 1e-10)
})

test_that("residuals() work when the response was not kept (y = FALSE)", {
  fit <- gradglm(cbind(ncases, ncontrols) ~ agegp + alcgp, data = esoph,
                 family = binomial(), y = FALSE)
  gl <- models$binomial_cbind$gl
  for (type in c("deviance", "pearson", "working", "response")) {
    expect_equal(residuals(fit, type = type), residuals(gl, type = type),
                 tolerance = tol, label = type)
  }
})

test_that("anova() of a binomial fit that did not keep its response (y = FALSE) is glm's", {
  # (before: the response recovered from the working residuals fell just
  # outside [0, 1] where it is 0 or 1, and the refits of the sequential table
  # stopped: "a binomial response must lie in [0, 1] ... found 4 value(s)
  # outside"; glm's anova() stops there too, "y values must be 0 <= y <= 1",
  # so the reference keeps its response)
  set.seed(21)
  d <- data.frame(x = rnorm(80), g = factor(sample(letters[1:3], 80, TRUE)), m = sample(3:8, 80, TRUE))
  d$k <- rbinom(80, d$m, plogis(-0.3 + 1.5 * d$x))
  d$b <- rbinom(80, 1, plogis(2 * d$x))
  ctl <- gradglm_control(tol = 1e-12)
  for (fo in list(cbind(k, m - k) ~ g + x, b ~ g + x)) {
    fit <- gradglm(fo, data = d, family = binomial(), y = FALSE, control = ctl)
    gl <- glm(fo, data = d, family = binomial(), control = glm_ctl)
    expect_equal(as.data.frame(anova(fit, test = "Chisq")), as.data.frame(anova(gl, test = "Chisq")),
                 tolerance = tol)
  }
})

test_that("zero prior weights are handled as glm handles them", {
  wb <- warpbreaks
  wb$w <- rep(c(0, 1, 2), length.out = nrow(wb))
  fit <- gradglm(breaks ~ wool + tension, data = wb, family = poisson(),
                 weights = w)
  gl <- glm(breaks ~ wool + tension, data = wb, family = poisson(), weights = w,
            control = glm_ctl)
  expect_identical(as.integer(nobs(fit)), as.integer(sum(wb$w != 0)))
  expect_identical(as.integer(attr(logLik(fit), "nobs")), as.integer(sum(wb$w != 0)))
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(gl)), tolerance = tol)
  for (type in c("deviance", "pearson", "working", "response")) {
    expect_equal(residuals(fit, type = type), residuals(gl, type = type),
                 tolerance = tol, label = type)
  }
  expect_equal(coef(summary(fit)), coef(summary(gl)), tolerance = tol)
  expect_equal(weights(fit), weights(gl))
  expect_equal(weights(fit, type = "working"), weights(gl, type = "working"),
               tolerance = tol)
})

# ---------------------------------------------------------------------------
# model.frame, model.matrix, formula, family, terms

test_that("model.frame() returns the stored frame, or rebuilds it when model = FALSE", {
  fit <- models$binomial_cbind$gg
  expect_equal(model.frame(fit), model.frame(models$binomial_cbind$gl))
  nomod <- gradglm(mpg ~ wt + poly(hp, 2) + make, data = mt, weights = carb,
                   model = FALSE)
  expect_null(nomod$model)
  gl <- glm(mpg ~ wt + poly(hp, 2) + make, data = mt, weights = carb,
            control = glm_ctl)
  mf <- model.frame(nomod)
  expect_equal(mf, model.frame(gl), ignore_attr = "terms")
  expect_identical(names(mf), names(model.frame(gl)))
  expect_equal(mf[["(weights)"]], mt$carb)
  # rebuilt with na.exclude and subset as in the call
  sub <- gradglm(Ozone ~ Temp + Wind, data = aq, family = poisson(),
                 subset = Month > 5, na.action = na.exclude, model = FALSE)
  sub_gl <- glm(Ozone ~ Temp + Wind, data = aq, family = poisson(),
                subset = Month > 5, na.action = na.exclude)
  expect_equal(model.frame(sub), model.frame(sub_gl), ignore_attr = "terms")
  expect_identical(nrow(model.frame(sub)), as.integer(nobs(sub_gl)))
  # a sigma model's variables are rebuilt too, as the stored frame holds them
  withsig <- gradglm(mpg ~ wt, data = mt, sigma = ~ hp + make)
  nosig <- update(withsig, model = FALSE)
  expect_null(nosig$model)
  expect_equal(model.frame(nosig), model.frame(withsig), ignore_attr = "terms")
  expect_identical(names(model.frame(nosig)), c("mpg", "wt", "hp", "make"))
  # new data given to model.frame()
  mf2 <- model.frame(models$gaussian$gg, data = mt[1:10, ])
  expect_identical(nrow(mf2), 10L)
})

test_that("model.matrix() matches glm's, with contrasts and assign", {
  for (nm in names(models)) {
    expect_equal(model.matrix(models[[nm]]$gg), model.matrix(models[[nm]]$gl),
                 label = nm)
  }
  # from a rebuilt frame, with a character column, poly() and the contrasts
  # in force when the model was fitted (not those in force now)
  op <- options(contrasts = c("contr.sum", "contr.poly"))
  nomod <- gradglm(mpg ~ wt + poly(hp, 2) + make + cyl_f, data = mt, model = FALSE)
  gl <- glm(mpg ~ wt + poly(hp, 2) + make + cyl_f, data = mt, control = glm_ctl)
  options(op)
  mm <- model.matrix(nomod)
  expect_equal(mm, model.matrix(gl))
  expect_identical(attr(mm, "contrasts")$cyl_f, "contr.sum")
  expect_identical(colnames(mm)[5:7], c("make1", "make2", "make3"))
  expect_identical(attr(mm, "assign"), attr(model.matrix(gl), "assign"))
  # stored x is returned as is
  withx <- gradglm(mpg ~ wt + cyl_f, data = mt, x = TRUE)
  expect_identical(model.matrix(withx), withx$x)
})

test_that("formula(), family() and terms() return the model's", {
  fit <- models$probit_birthwt$gg
  gl <- models$probit_birthwt$gl
  expect_equal(formula(fit), formula(gl))
  expect_identical(family(fit)$family, "binomial")
  expect_identical(family(fit)$link, "probit")
  expect_s3_class(family(fit), "family")
  expect_equal(terms(fit), terms(gl))
  # dot formulas are expanded as in glm
  dot <- gradglm(mpg ~ ., data = mtcars[, c("mpg", "wt", "hp")])
  expect_equal(formula(dot), mpg ~ wt + hp, ignore_attr = ".Environment")
})

# ---------------------------------------------------------------------------
# update

test_that("update() refits through the stored call", {
  fit <- gradglm(low ~ age + lwt + smoke, data = MASS::birthwt, family = binomial())
  smaller <- update(fit, . ~ . - lwt)
  expect_s3_class(smaller, "gradglm")
  expect_identical(names(coef(smaller)), c("(Intercept)", "age", "smoke"))
  gl <- glm(low ~ age + smoke, data = MASS::birthwt, family = binomial(),
            control = glm_ctl)
  expect_equal(coef(smaller), coef(gl), tolerance = 1e-6)
  expect_equal(formula(smaller), low ~ age + smoke, ignore_attr = ".Environment")
  # other arguments can be changed too
  probit <- update(fit, family = binomial(link = "probit"))
  expect_identical(family(probit)$link, "probit")
  sub <- update(fit, subset = smoke == 1)
  expect_identical(as.integer(nobs(sub)), sum(MASS::birthwt$smoke == 1))
})

# ---------------------------------------------------------------------------
# anova

anova_numbers <- function(a) {
  a <- as.data.frame(unclass(a), check.names = FALSE)
  a[] <- lapply(a, as.numeric)
  a
}

test_that("anova() on nested models matches anova.glm's likelihood-ratio table", {
  wb0 <- gradglm(breaks ~ wool, data = warpbreaks, family = poisson())
  wb1 <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
  wb2 <- models$poisson$gg
  gl0 <- glm(breaks ~ wool, data = warpbreaks, family = poisson(), control = glm_ctl)
  gl1 <- glm(breaks ~ wool + tension, data = warpbreaks, family = poisson(),
             control = glm_ctl)
  gl2 <- models$poisson$gl
  a <- anova(wb0, wb1, wb2)
  ag <- anova(gl0, gl1, gl2, test = "Chisq")
  expect_s3_class(a, c("anova", "data.frame"), exact = TRUE)
  expect_identical(names(a), names(ag))
  expect_identical(names(a), c("Resid. Df", "Resid. Dev", "Df", "Deviance", "Pr(>Chi)"))
  expect_equal(anova_numbers(a), anova_numbers(ag), tolerance = tol)
  expect_true(all(a[["Pr(>Chi)"]][-1] < 0.01))
  expect_match(attr(a, "heading")[1], "Analysis of Deviance Table")
  expect_match(attr(a, "heading")[2], "Model 2: breaks ~ wool + tension", fixed = TRUE)
  expect_output(print(a), "Pr(>Chi)", fixed = TRUE)
  # the heading and the printed table are glm's (before, a heading ending in
  # "\n" printed an empty line between the models and the table)
  expect_identical(attr(a, "heading"), attr(ag, "heading"))
  expect_identical(capture.output(print(a))[1:6], capture.output(print(ag))[1:6])
  # the order of the models does not matter for the p-values
  rev_a <- anova(wb2, wb1, wb0)
  expect_equal(anova_numbers(rev_a), anova_numbers(anova(gl2, gl1, gl0, test = "Chisq")),
               tolerance = tol)
  # no test
  expect_identical(names(anova(wb0, wb1, test = "none")),
                   c("Resid. Df", "Resid. Dev", "Df", "Deviance"))
  expect_equal(anova_numbers(anova(wb0, wb1, test = NULL)),
               anova_numbers(anova(gl0, gl1)), tolerance = tol)
  # "LRT" is a synonym
  expect_equal(anova(wb0, wb1, test = "LRT"), anova(wb0, wb1, test = "Chisq"))
})

test_that("anova() for binomial models matches anova.glm", {
  b0 <- gradglm(cbind(ncases, ncontrols) ~ agegp, data = esoph, family = binomial())
  b1 <- models$binomial_cbind$gg
  g0 <- glm(cbind(ncases, ncontrols) ~ agegp, data = esoph, family = binomial(),
            control = glm_ctl)
  expect_equal(anova_numbers(anova(b0, b1)),
               anova_numbers(anova(g0, models$binomial_cbind$gl, test = "Chisq")),
               tolerance = tol)
})

test_that("anova() for Gaussian models uses the largest model's dispersion", {
  g0 <- gradglm(mpg ~ wt, data = mt)
  g1 <- gradglm(mpg ~ wt + hp, data = mt)
  g2 <- models$gaussian$gg
  l0 <- glm(mpg ~ wt, data = mt, control = glm_ctl)
  l1 <- glm(mpg ~ wt + hp, data = mt, control = glm_ctl)
  l2 <- models$gaussian$gl
  expect_equal(anova_numbers(anova(g0, g1, g2, test = "Chisq")),
               anova_numbers(anova(l0, l1, l2, test = "Chisq")), tolerance = tol)
  a_f <- anova(g0, g1, g2, test = "F")
  expect_identical(names(a_f), c("Resid. Df", "Resid. Dev", "Df", "Deviance",
                                 "F", "Pr(>F)"))
  expect_equal(anova_numbers(a_f), anova_numbers(anova(l0, l1, l2, test = "F")),
               tolerance = tol)
  # and for Gaussian fits the F test is the same as lm's
  expect_equal(a_f[["Pr(>F)"]][3],
               anova(lm(mpg ~ wt, mt), lm(mpg ~ wt + hp, mt),
                     lm(mpg ~ wt + hp + cyl_f, mt))[["Pr(>F)"]][3],
               tolerance = tol)
  # a dispersion given by the user
  expect_equal(anova_numbers(anova(g0, g2, dispersion = 4)),
               anova_numbers(anova(l0, l2, test = "Chisq", dispersion = 4)),
               tolerance = tol)
})

test_that("anova() on one model adds the terms sequentially as anova.glm does", {
  a <- anova(models$poisson$gg)
  ag <- anova(models$poisson$gl, test = "Chisq")
  expect_identical(rownames(a), c("NULL", "wool", "tension", "wool:tension"))
  expect_identical(names(a), names(ag))
  expect_equal(anova_numbers(a), anova_numbers(ag), tolerance = tol)
  expect_match(attr(a, "heading"), "Terms added sequentially", fixed = TRUE)

  b <- anova(models$probit_birthwt$gg)
  expect_equal(anova_numbers(b),
               anova_numbers(anova(models$probit_birthwt$gl, test = "Chisq")),
               tolerance = tol)

  g <- anova(models$gaussian$gg, test = "F")
  expect_equal(anova_numbers(g), anova_numbers(anova(models$gaussian$gl, test = "F")),
               tolerance = tol)

  rd <- anova(models$rank_deficient$gg, test = "Chisq")
  expect_equal(anova_numbers(rd),
               anova_numbers(anova(models$rank_deficient$gl, test = "Chisq")),
               tolerance = tol)
})

test_that("anova() rejects models it cannot compare", {
  wb0 <- gradglm(breaks ~ wool, data = warpbreaks, family = poisson())
  expect_error(anova(wb0, models$poisson$gl), "must be a gradglm fit")
  expect_error(anova(wb0, models$gaussian$gg), "same family")
  expect_error(anova(wb0, gradglm(breaks ~ wool, data = warpbreaks[-1, ],
                                  family = poisson())),
               "same number")
  expect_error(anova(models$gaussian$gg, gradglm(qsec ~ wt, data = mt)),
               "different responses")
  expect_error(anova(wb0, models$poisson$gg, test = "Wald"), "'test'")
  expect_warning(anova(wb0, models$poisson$gg, test = "F"), "not appropriate")
})

# ---------------------------------------------------------------------------
# fits from the matrix interface

test_that("methods work on gradglm_fit() results, and say what they cannot do", {
  X <- model.matrix(~ wt + hp, data = mtcars)
  fit <- gradglm_fit(X, mtcars$am, family = binomial())
  gl <- models$logit$gl
  expect_equal(unname(coef(fit)), unname(coef(gl)), tolerance = 1e-6)
  expect_equal(unname(coef(summary(fit))), unname(coef(summary(gl))), tolerance = tol)
  expect_equal(unname(vcov(fit)), unname(vcov(gl)), tolerance = tol)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(gl)), tolerance = tol)
  expect_equal(unname(residuals(fit, type = "pearson")),
               unname(residuals(gl, type = "pearson")), tolerance = tol)
  expect_output(print(fit), "Degrees of Freedom: 31 Total (i.e. Null);  29 Residual", fixed = TRUE)
  expect_output(print(summary(fit)), "z value")
  expect_error(model.frame(fit), "gradglm_fit")
  expect_error(formula(fit), "gradglm_fit")
  expect_error(terms(fit), "gradglm_fit")
  expect_error(anova(fit), "two or more models")
  # two matrix fits can still be compared
  fit0 <- gradglm_fit(X[, 1:2], mtcars$am, family = binomial())
  gl0 <- glm(am ~ wt, data = mtcars, family = binomial(), control = glm_ctl)
  expect_equal(anova_numbers(anova(fit0, fit)),
               anova_numbers(anova(gl0, gl, test = "Chisq")), tolerance = tol)
})

test_that("variable.names() and case.names() are glm's", {
  d <- warpbreaks[-(1:3), ]
  d$w <- c(0, rep(1, 50))
  d$x2 <- as.numeric(d$wool == "B")  # (aliased with woolB)
  fit <- gradglm(breaks ~ wool + tension + x2, data = d, family = poisson(), weights = w)
  ref <- glm(breaks ~ wool + tension + x2, data = d, family = poisson(), weights = w)
  expect_identical(variable.names(fit), variable.names(ref))
  expect_identical(variable.names(fit, full = TRUE), variable.names(ref, full = TRUE))
  expect_identical(case.names(fit), case.names(ref))
  expect_identical(case.names(fit, full = TRUE), case.names(ref, full = TRUE))
})

test_that("anova(test = \"Rao\") gives glm's score statistics, by terms and between models", {
  set.seed(2)
  n <- 200
  d <- data.frame(x = rnorm(n), g = factor(sample(letters[1:3], n, TRUE)), z = runif(n), w = rep(0:3, 50),
                  t = runif(n, 1, 2))
  d$y <- rpois(n, d$t * exp(0.2 + 0.3 * d$x))
  d$b <- rbinom(n, 1, plogis(d$x))
  d$u <- rgamma(n, 3, 3 / exp(0.2 * d$x))
  tight <- glm.control(epsilon = 1e-14)
  cases <- list(list(y ~ x + g + z + offset(log(t)), poisson()), list(b ~ x * g, binomial()),
                list(u ~ x + g, Gamma("log")), list(u ~ 0 + x + g, gaussian()))
  for (cs in cases) {
    lab <- deparse(cs[[1]])
    fit <- gradglm(cs[[1]], data = d, family = cs[[2]], weights = w, control = gradglm_control(tol = 1e-12))
    ref <- glm(cs[[1]], data = d, family = cs[[2]], weights = w, control = tight)
    a <- anova(fit, test = "Rao")
    b <- suppressWarnings(anova(ref, test = "Rao"))
    expect_equal(a$Rao, b$Rao, tolerance = 1e-7, label = lab)
    expect_equal(a[["Pr(>Chi)"]], b[["Pr(>Chi)"]], tolerance = 1e-7, label = lab)
  }
  ctl <- gradglm_control(tol = 1e-12)
  f0 <- gradglm(y ~ x, data = d, family = poisson(), control = ctl)
  f1 <- update(f0, . ~ . + g)
  f2 <- update(f1, . ~ . + z)
  g0 <- glm(y ~ x, data = d, family = poisson(), control = tight)
  g1 <- update(g0, . ~ . + g)
  g2 <- update(g1, . ~ . + z)
  expect_equal(anova(f0, f1, f2, test = "Rao")[c("Rao", "Pr(>Chi)")], anova(g0, g1, g2, test = "Rao")[c("Rao", "Pr(>Chi)")],
               tolerance = 1e-7, ignore_attr = TRUE)
  # listed from the largest: the statistic is signed as glm signs it
  expect_equal(anova(f2, f0, test = "Rao")$Rao, anova(g2, g0, test = "Rao")$Rao, tolerance = 1e-7)
  expect_error(anova(f0, test = "Wald"), "unknown 'test' \"Wald\"")
  ft <- gradglm(mpg ~ wt, data = mtcars, family = student_t(df = 4))
  expect_error(anova(ft, update(ft, . ~ . + hp), test = "Rao"), "the Rao test does not apply to distributional fits")
  expect_error(anova(ft, update(ft, . ~ . + hp), test = "Cp"), "the Cp test does not apply to distributional fits")
})

test_that("anova(test = \"Cp\") gives glm's Mallows' Cp, by terms and between models", {
  set.seed(5)
  n <- 120
  d <- data.frame(x = rnorm(n), g = factor(sample(letters[1:3], n, TRUE)), w = rep(0:2, 40))
  d$y <- rpois(n, exp(0.3 + 0.4 * d$x))
  d$u <- rgamma(n, 3, 3 / exp(0.2 * d$x))
  ctl <- gradglm_control(tol = 1e-12)
  tight <- glm.control(epsilon = 1e-14)
  for (cs in list(list(y ~ x + g, poisson()), list(u ~ x + g, Gamma("log")), list(u ~ x * g, gaussian()))) {
    fit <- gradglm(cs[[1]], data = d, family = cs[[2]], weights = w, control = ctl)
    ref <- glm(cs[[1]], data = d, family = cs[[2]], weights = w, control = tight)
    # (glm's summary() warns that the rows of zero weight do not count in its dispersion)
    expect_equal(anova(fit, test = "Cp")$Cp, suppressWarnings(anova(ref, test = "Cp"))$Cp, tolerance = 1e-8,
                 label = deparse(cs[[1]]))
    small <- update(fit, . ~ x)
    gsmall <- update(ref, . ~ x)
    expect_equal(anova(small, fit, test = "Cp")$Cp, suppressWarnings(anova(gsmall, ref, test = "Cp"))$Cp, tolerance = 1e-8)
    expect_equal(anova(fit, test = "Cp", dispersion = 2)$Cp, anova(ref, test = "Cp", dispersion = 2)$Cp, tolerance = 1e-8)
  }
})

test_that("a design's columns named \"\" or NA (cbind(1, x)) take the names X<j>, and every method finds them", {
  set.seed(81)
  x <- rnorm(60)
  y <- 1 + 2 * x + rnorm(60)
  f <- gradglm_fit(cbind(1, x), y)
  expect_identical(names(coef(f)), c("X1", "x"))
  s <- summary(f)
  expect_identical(rownames(coef(s)), c("X1", "x"))
  expect_equal(unname(coef(s)[, 2]), unname(summary(lm(y ~ x))$coefficients[, 2]), tolerance = 1e-10)
  expect_identical(rownames(confint(f)), c("X1", "x"))
  X <- cbind(1, x, x^2)
  colnames(X) <- c("a", NA, "")
  expect_identical(names(coef(gradglm_fit(X, y))), c("a", "X2", "X3"))
})
