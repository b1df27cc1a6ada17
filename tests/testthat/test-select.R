# Model selection: drop1(), add1(), extractAIC() and stats::step() on gradglm
# fits. GLM fits are compared with the same functions on glm() fits (every
# column of the tables, the path and the AIC of step()); fits with several
# parameter blocks with refits of their sub-models by update().

skip_if_not_installed("MASS")

# birthwt as in MASS's examples: race and ftv (grouped 0, 1, 2+) as factors
bwt <- with(MASS::birthwt, {
  race <- factor(race, labels = c("white", "black", "other"))
  ftv <- factor(ftv)
  levels(ftv)[-(1:2)] <- "2+"
  data.frame(low = factor(low), age, lwt, race, smoke = (smoke > 0), ptl, ht = (ht > 0),
             ui = (ui > 0), ftv)
})
bwt_formula <- low ~ age + lwt + race + smoke + ptl + ht + ui + ftv
# step() refits in the frame that calls it (here expect_same_step()): the data
# are defined at the top level of the file
ins <- MASS::Insurance
cars2 <- transform(mtcars, cyl = factor(cyl))

`%||%` <- function(a, b) if (is.null(a)) b else a

# every column of two anova tables, element by element to `tol`
expect_same_table <- function(actual, expected, tol = 1e-6) {
  expect_s3_class(actual, "anova")
  expect_identical(names(actual), names(expected))
  expect_identical(row.names(actual), row.names(expected))
  for (nm in names(expected)) {
    expect_close(actual[[nm]], expected[[nm]], tol = tol, label = paste("column", nm))
  }
}

# the same model, path and AIC as step() on the glm fit
expect_same_step <- function(fit, gfit, ...) {
  s <- step(fit, trace = 0, ...)
  sg <- step(gfit, trace = 0, ...)
  expect_identical(attr(terms(s), "term.labels"), attr(terms(sg), "term.labels"))
  expect_identical(as.character(s$anova$Step), as.character(sg$anova$Step))
  expect_close(extractAIC(s, k = list(...)$k %||% 2), extractAIC(sg, k = list(...)$k %||% 2),
               tol = 1e-6, label = "final (edf, AIC)")
  expect_close(s$anova$AIC, sg$anova$AIC, tol = 1e-6, label = "AIC along the path")
  expect_close(s$anova[["Resid. Dev"]], sg$anova[["Resid. Dev"]], tol = 1e-6, label = "deviances")
  invisible(s)
}
# no single-term deletion of the final model of step() has a smaller AIC,
# and the AIC it reports is that of the model
expect_step_optimum <- function(s, k = 2) {
  d <- drop1(s, k = k)
  aic <- -2 * as.numeric(logLik(s)) + k * attr(logLik(s), "df")
  expect_equal(d$AIC[1L], aic, tolerance = 1e-10)
  expect_equal(utils::tail(s$anova$AIC, 1L), aic, tolerance = 1e-10)
  expect_true(all(d$AIC[-1L] >= aic - 1e-7, na.rm = TRUE))
}

test_that("logistic regression on birthwt: drop1, add1 and step() agree with glm's", {
  fit <- gradglm(bwt_formula, data = bwt, family = binomial())
  gfit <- glm(bwt_formula, data = bwt, family = binomial())
  expect_same_table(drop1(fit), drop1(gfit))
  expect_same_table(drop1(fit, test = "Chisq"), drop1(gfit, test = "Chisq"))
  expect_same_table(drop1(fit, ~ age + ftv, test = "LRT"), drop1(gfit, ~ age + ftv, test = "LRT"))
  expect_equal(extractAIC(fit), extractAIC(gfit), tolerance = 1e-10)
  expect_equal(extractAIC(fit, k = 5), extractAIC(gfit, k = 5), tolerance = 1e-10)

  s <- expect_same_step(fit, gfit)
  expect_identical(attr(terms(s), "term.labels"), c("lwt", "race", "smoke", "ptl", "ht", "ui"))
  expect_same_step(fit, gfit, k = log(nrow(bwt)))

  null <- gradglm(low ~ 1, data = bwt, family = binomial())
  gnull <- glm(low ~ 1, data = bwt, family = binomial())
  upper <- ~ age + lwt + race + smoke + ptl + ht + ui + ftv
  expect_same_table(add1(null, upper, test = "Chisq"), add1(gnull, upper, test = "Chisq"))
  # forwards, and both ways with interactions in the upper scope
  expect_same_step(null, gnull, scope = upper, direction = "forward")
  expect_same_step(null, gnull,
                   scope = list(lower = ~ 1, upper = ~ (lwt + race + smoke + ht + ui)^2))
})

test_that("poisson models with an offset: drop1, add1 and step() agree with glm's", {
  fo <- Claims ~ District + Group + Age + offset(log(Holders))
  fit <- gradglm(fo, data = ins, family = poisson())
  gfit <- glm(fo, data = ins, family = poisson())
  expect_same_table(drop1(fit, test = "Chisq"), drop1(gfit, test = "Chisq"))
  upper <- ~ (District + Group + Age)^2
  expect_same_table(add1(fit, upper, test = "Chisq"), add1(gfit, upper, test = "Chisq"))
  expect_same_step(fit, gfit, scope = list(lower = ~ 1, upper = upper))
  # from the offset alone: three terms added, by AIC and by BIC
  null <- gradglm(Claims ~ offset(log(Holders)), data = ins, family = poisson())
  gnull <- glm(Claims ~ offset(log(Holders)), data = ins, family = poisson())
  s <- expect_same_step(null, gnull, scope = list(lower = ~ 1, upper = upper))
  expect_identical(nrow(s$anova), 4L)
  expect_same_step(null, gnull, scope = list(lower = ~ 1, upper = upper), k = log(nrow(ins)))

  # the offset as an argument, and a model without intercept
  wb <- gradglm(breaks ~ wool * tension - 1, data = warpbreaks, family = poisson(),
                offset = rep(log(2), 54))
  gwb <- glm(breaks ~ wool * tension - 1, data = warpbreaks, family = poisson(),
             offset = rep(log(2), 54))
  expect_same_table(drop1(wb, test = "Chisq"), drop1(gwb, test = "Chisq"))
  every <- ~ wool + tension + wool:tension
  expect_same_table(drop1(wb, every), drop1(gwb, every))
  expect_warning(tab <- drop1(wb, test = "F"), "F test")
  expect_same_table(tab, suppressWarnings(drop1(gwb, test = "F")))
})

test_that("gaussian models: F and scaled-deviance tests, step() by AIC and BIC as glm's", {
  fo <- mpg ~ wt + hp + qsec + am + disp + drat + cyl
  fit <- gradglm(fo, data = cars2)
  gfit <- glm(fo, data = cars2)
  for (test in c("none", "F", "Chisq")) {
    expect_same_table(drop1(fit, test = test), drop1(gfit, test = test))
  }
  expect_same_table(drop1(fit, scale = 5, test = "Chisq"), drop1(gfit, scale = 5, test = "Chisq"))
  small <- gradglm(mpg ~ wt, data = cars2)
  gsmall <- glm(mpg ~ wt, data = cars2)
  upper <- ~ wt + hp + qsec + am + disp + drat + cyl
  for (test in c("F", "Chisq")) {
    expect_same_table(add1(small, upper, test = test), add1(gsmall, upper, test = test))
  }
  expect_same_table(add1(small, c("hp", "cyl"), scale = 5), add1(gsmall, c("hp", "cyl"), scale = 5))
  expect_same_step(fit, gfit)
  expect_same_step(fit, gfit, k = log(32))
  expect_same_step(small, gsmall, scope = list(lower = ~ wt, upper = upper))

  # y = FALSE and model = FALSE: the response and design are recovered
  lean <- gradglm(fo, data = cars2, y = FALSE, model = FALSE)
  expect_same_table(drop1(lean, test = "F"), drop1(gfit, test = "F"))
})

test_that("score (Rao) tests of drop1 and add1 equal glm's", {
  # (the statistics are taken at refits of the smaller models: both sides
  # refit to a tight tolerance, their fits' control)
  ctl <- gradglm_control(tol = 1e-12)
  gctl <- glm.control(epsilon = 1e-14, maxit = 100)
  # logistic (dispersion 1), with factors
  fit <- gradglm(bwt_formula, data = bwt, family = binomial(), control = ctl)
  gfit <- glm(bwt_formula, data = bwt, family = binomial(), control = gctl)
  expect_same_table(drop1(fit, test = "Rao"), drop1(gfit, test = "Rao"))
  null <- gradglm(low ~ 1, data = bwt, family = binomial(), control = ctl)
  gnull <- glm(low ~ 1, data = bwt, family = binomial(), control = gctl)
  upper <- ~ age + lwt + race + smoke + ptl + ht + ui + ftv
  expect_same_table(add1(null, upper, test = "Rao"), add1(gnull, upper, test = "Rao"))
  # poisson with an offset: drop1 (glm's add1 regresses the working residuals
  # with the offset, this one without: compared on a model without one)
  fo <- Claims ~ District + Group + Age + offset(log(Holders))
  expect_same_table(drop1(gradglm(fo, data = ins, family = poisson(), control = ctl), test = "Rao"),
                    drop1(glm(fo, data = ins, family = poisson(), control = gctl), test = "Rao"))
  # with the offset, add1's score of a term is anova()'s score of adding it
  # last (glm's add1() gives 0 here: its regression of the working residuals
  # subtracts the offset from them)
  base <- gradglm(Claims ~ District + offset(log(Holders)), data = ins, family = poisson(), control = ctl)
  a1 <- add1(base, ~ . + Group, test = "Rao")
  av <- anova(glm(Claims ~ District + Group + offset(log(Holders)), data = ins, family = poisson(), control = gctl),
              test = "Rao")
  expect_equal(a1["Group", "Rao score"], av["Group", "Rao"], tolerance = 1e-6)
  expect_gt(a1["Group", "Rao score"], 50)
  wb <- gradglm(breaks ~ wool, data = warpbreaks, family = poisson(), control = ctl)
  gwb <- glm(breaks ~ wool, data = warpbreaks, family = poisson(), control = gctl)
  expect_same_table(add1(wb, ~ . + tension + wool:tension, test = "Rao"),
                    add1(gwb, ~ . + tension + wool:tension, test = "Rao"))
  # estimated dispersions (scaled score), a fixed scale, and no intercept
  g <- gradglm(mpg ~ wt + hp + qsec + cyl, data = cars2, family = Gamma(link = "log"), control = ctl)
  gg <- glm(mpg ~ wt + hp + qsec + cyl, data = cars2, family = Gamma(link = "log"), control = gctl)
  expect_same_table(drop1(g, test = "Rao"), drop1(gg, test = "Rao"))
  expect_same_table(drop1(g, test = "Rao", scale = 0.02), drop1(gg, test = "Rao", scale = 0.02))
  small <- gradglm(mpg ~ wt, data = cars2, control = ctl)
  gsmall <- glm(mpg ~ wt, data = cars2, control = gctl)
  expect_same_table(add1(small, ~ . + hp + qsec + cyl, test = "Rao"), add1(gsmall, ~ . + hp + qsec + cyl, test = "Rao"))
  noint <- gradglm(breaks ~ wool + tension - 1, data = warpbreaks, family = poisson(), control = ctl)
  gnoint <- glm(breaks ~ wool + tension - 1, data = warpbreaks, family = poisson(), control = gctl)
  expect_same_table(drop1(noint, ~ wool + tension, test = "Rao"), drop1(gnoint, ~ wool + tension, test = "Rao"))
})

test_that("add1 uses the rows complete for the scope, with a warning, as glm's", {
  fit <- gradglm(Ozone ~ Temp, data = airquality, family = poisson())
  gfit <- glm(Ozone ~ Temp, data = airquality, family = poisson())
  expect_warning(tab <- add1(fit, ~ . + Solar.R + Wind, test = "Chisq"), "111/116 rows")
  expect_same_table(tab, suppressWarnings(add1(gfit, ~ . + Solar.R + Wind, test = "Chisq")))
})

test_that("distributional fits: drop1 matches refitted models, step() stops at an optimum", {
  fit <- gradglm(stack.loss ~ ., data = stackloss, family = student_t())
  d <- drop1(fit, test = "Chisq")
  expect_identical(names(d), c("Df", "-2 logLik", "AIC", "LRT", "Pr(>Chi)"))
  expect_equal(d$AIC[1L], AIC(fit), tolerance = 1e-12)
  for (term in c("Air.Flow", "Water.Temp", "Acid.Conc.")) {
    sub <- update(fit, as.formula(paste(". ~ . -", term)))
    expect_equal(d[term, "AIC"], AIC(sub), tolerance = 1e-10)
    expect_equal(d[term, "LRT"], 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(sub))),
                 tolerance = 1e-8)
    expect_equal(d[term, "Df"], attr(logLik(fit), "df") - attr(logLik(sub), "df"))
    expect_equal(d[term, "Pr(>Chi)"], pchisq(d[term, "LRT"], d[term, "Df"], lower.tail = FALSE))
  }
  expect_equal(extractAIC(fit, k = 3), c(6, -2 * as.numeric(logLik(fit)) + 18))
  expect_step_optimum(step(fit, trace = 0))
  expect_step_optimum(step(fit, trace = 0, k = log(21)), k = log(21))
  expect_step_optimum(step(gradglm(stack.loss ~ ., data = stackloss, family = laplace()),
                           trace = 0))

  # a Gaussian model with sigma = ~ 1 has glm's likelihood: glm's selection
  fo <- mpg ~ wt + hp + qsec + am + disp + drat + cyl
  s <- step(gradglm(fo, data = cars2, sigma = ~ 1), trace = 0)
  sg <- step(glm(fo, data = cars2), trace = 0)
  expect_identical(attr(terms(s), "term.labels"), attr(terms(sg), "term.labels"))
  expect_equal(AIC(s), AIC(sg), tolerance = 1e-6)
  expect_equal(s$anova$AIC, sg$anova$AIC, tolerance = 1e-6)
  # a model of sigma is kept as it is
  het <- gradglm(dist ~ speed + I(speed^2), data = cars, sigma = ~ speed)
  sh <- step(het, trace = 0)
  expect_identical(deparse(sh$call$sigma), "~speed")
  expect_step_optimum(sh)
})

test_that("multinomial fits: drop1 and add1 match refitted models, step() stops at an optimum", {
  fgl <- MASS::fgl
  fit <- gradglm(type ~ RI + Na + Mg + Al, data = fgl, family = multinomial())
  d <- drop1(fit, test = "Chisq")
  for (term in c("RI", "Na", "Mg", "Al")) {
    sub <- update(fit, as.formula(paste(". ~ . -", term)))
    expect_equal(d[term, "AIC"], AIC(sub), tolerance = 1e-10)
    expect_equal(d[term, "LRT"], 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(sub))),
                 tolerance = 1e-8)
    expect_equal(d[term, "Df"], 5)
  }
  small <- gradglm(type ~ Na, data = fgl, family = multinomial())
  a <- add1(small, ~ . + Mg + Al, test = "Chisq", k = 3)
  big <- update(small, . ~ . + Al)
  expect_equal(a["Al", "AIC"], -2 * as.numeric(logLik(big)) + 3 * attr(logLik(big), "df"),
               tolerance = 1e-10)
  expect_equal(a["Al", "LRT"], 2 * (as.numeric(logLik(big)) - as.numeric(logLik(small))),
               tolerance = 1e-8)
  s <- step(fit, trace = 0)
  expect_step_optimum(s)
  expect_step_optimum(step(small, scope = list(lower = ~ 1, upper = ~ RI + Na + Mg + Al),
                           trace = 0))
})

test_that("ordinal fits: drop1 matches refitted models, step() both ways stops at an optimum", {
  house <- MASS::housing
  fit <- gradglm(Sat ~ Infl + Type + Cont, data = house, weights = Freq, family = ordinal())
  d <- drop1(fit, test = "Chisq")
  for (term in c("Infl", "Type", "Cont")) {
    sub <- update(fit, as.formula(paste(". ~ . -", term)))
    expect_equal(d[term, "AIC"], AIC(sub), tolerance = 1e-10)
    expect_equal(d[term, "LRT"], 2 * (as.numeric(logLik(fit)) - as.numeric(logLik(sub))),
                 tolerance = 1e-8)
  }
  one <- gradglm(Sat ~ Infl, data = house, weights = Freq, family = ordinal())
  none <- gradglm(Sat ~ 1, data = house, weights = Freq, family = ordinal())
  expect_equal(drop1(one)["Infl", "AIC"], AIC(none), tolerance = 1e-10)
  # without an intercept (which the cut-points replace, with a warning) the model left is
  # still Sat ~ 1
  expect_warning(noint <- update(one, . ~ . - 1), "an intercept is needed and assumed")
  expect_equal(AIC(noint), AIC(one), tolerance = 1e-10)
  expect_equal(suppressWarnings(drop1(noint))["Infl", "AIC"], AIC(none), tolerance = 1e-10)
  s <- step(one, scope = list(lower = ~ 1, upper = ~ (Infl + Type + Cont)^2), trace = 0)
  expect_true(all(c("Infl", "Type", "Cont") %in% attr(terms(s), "term.labels")))
  expect_step_optimum(s)
  sb <- step(one, scope = list(lower = ~ 1, upper = ~ Infl + Type + Cont), trace = 0, k = log(72))
  expect_step_optimum(sb, k = log(72))
})

test_that("tables of a fit whose data changed since the fit are an error, not a mix of old and new data", {
  # (a fit without its model frame rebuilds its design from the call, from the
  # data as they are now: before, drop1() and anova() paired the fit's response
  # with the changed design, and add1() refitted the model on the changed data,
  # without a word; a changed number of rows was "gradglm_fit: 'y' has 32
  # observations but 'x' has 31 rows")
  d <- transform(mtcars, cyl = factor(cyl))
  fit <- gradglm(mpg ~ wt + hp + cyl, data = d, model = FALSE)
  kept <- gradglm(mpg ~ wt + hp + cyl, data = d)
  ref <- drop1(fit, test = "F")
  expect_same_table(ref, drop1(glm(mpg ~ wt + hp + cyl, data = d), test = "F"))
  d$hp <- rev(d$hp)
  expect_error(drop1(fit), "drop1.gradglm: the model's data have changed since it was fitted: .*'data' \\(d\\)")
  expect_error(anova(fit), "anova.gradglm: the model's data have changed since it was fitted")
  expect_error(anova(update(fit, . ~ wt, data = transform(mtcars, cyl = factor(cyl))), fit, test = "Rao"),
               "anova.gradglm: the model's data have changed since it was fitted")
  expect_error(add1(kept, ~ . + qsec), "add1.gradglm: the model's data have changed since it was fitted")
  # (the kept model frame is the fit's data)
  expect_same_table(drop1(kept, test = "F"), ref)
  d <- transform(mtcars, cyl = factor(cyl), mpg = rev(mpg))
  expect_error(add1(kept, ~ . + qsec), "add1.gradglm: .*the response rebuilt from its call is not the fit's")
  d <- transform(mtcars, cyl = factor(cyl))[-1, ]
  expect_error(drop1(fit), "drop1.gradglm: .*the design rebuilt from its call has 31 rows, the fit 32")
  expect_error(step(fit, trace = 0), "drop1.gradglm: .*has 31 rows, the fit 32")
  # the data as they were: the same tables
  d <- transform(mtcars, cyl = factor(cyl))
  expect_same_table(drop1(fit, test = "F"), ref)
  expect_same_table(add1(kept, ~ . + qsec, test = "F"),
                    add1(glm(mpg ~ wt + hp + cyl, data = d), ~ . + qsec, test = "F"))
})

test_that("rows of zero weight: edf, nobs and step()'s residual df count the rows in use (glm's count them all)", {
  # (glm: logLik's nobs 32 and extractAIC's edf 4 + 3 = 7, and step()'s
  # Resid. Df 32 - 3 - 7 = 22 for a model with 25; documented)
  d <- transform(mtcars, w = replace(rep(1, 32), c(3, 10, 20), 0))
  fit <- gradglm(mpg ~ wt + hp + qsec, data = d, weights = w, family = Gamma(link = "log"))
  gfit <- glm(mpg ~ wt + hp + qsec, data = d, weights = w, family = Gamma(link = "log"))
  expect_identical(attr(logLik(fit), "nobs"), 29L)
  expect_equal(BIC(fit), -2 * as.numeric(logLik(gfit)) + log(29) * 5, tolerance = 1e-6)
  expect_equal(extractAIC(fit, k = log(29)), c(4, AIC(gfit) + (log(29) - 2) * 4), tolerance = 1e-6)
  s <- step(fit, trace = 0)
  expect_identical(s$anova[["Resid. Df"]][nrow(s$anova)], as.numeric(df.residual(s)))
  # (glm's warns that the rows of zero weight do not count in the dispersion)
  expect_same_table(drop1(fit, test = "F"), suppressWarnings(drop1(gfit, test = "F")))
})

test_that("bad input gives clear errors", {
  fit <- gradglm(mpg ~ wt + hp, data = mtcars)
  expect_error(drop1(fit, ~ wt + foo), "drop1.gradglm: 'scope' names term\\(s\\) 'foo'")
  expect_error(drop1(fit, "bar"), "'bar'")
  expect_error(add1(fit, ~ . + foo), "add1.gradglm: .*'foo'")
  expect_error(add1(fit), "add1.gradglm: 'scope' is missing")
  expect_error(drop1(fit, test = "Wald"), "drop1.gradglm: 'test' must be one of")
  expect_error(drop1(fit, k = -1), "'k' must be")
  # (before: R's "non-numeric argument to binary operator", as glm's)
  expect_error(extractAIC(fit, k = "a"), "extractAIC.gradglm: 'k' must be a single number >= 0")
  expect_error(extractAIC(fit, k = c(2, 3)), "extractAIC.gradglm: 'k' must be")
  tfit <- gradglm(stack.loss ~ ., data = stackloss, family = student_t())
  expect_error(drop1(tfit, test = "F"), "drop1.gradglm: the F test does not apply")
  expect_error(drop1(tfit, test = "Rao"), "drop1.gradglm: the score \\(Rao\\) test is for generalized linear")
  expect_error(add1(tfit, ~ . + I(Air.Flow^2), test = "F"),
               "add1.gradglm: the F test does not apply")
  expect_error(add1(tfit, ~ . + foo), "add1.gradglm: .*'foo'.*not found")
  expect_error(drop1(tfit, ~ foo), "'scope' names term\\(s\\) 'foo'")
  expect_error(drop1(tfit, scale = 2), "'scale' applies to generalized linear models only")
  bare <- gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg)
  expect_error(drop1(bare), "must come from gradglm\\(\\)")
  # a location model left without coefficients cannot be fitted: NA, with a warning
  lap <- gradglm(stack.loss ~ Air.Flow - 1, data = stackloss, family = laplace())
  expect_warning(d <- drop1(lap), "no location coefficient")
  expect_true(is.na(d["Air.Flow", "AIC"]))
})
