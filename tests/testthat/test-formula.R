# Formula-interface arguments beyond those of the core tests.

test_that("the contrasts argument works as in glm and is reused by predict", {
  ctr <- list(tension = "contr.sum", wool = "contr.helmert")
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(), contrasts = ctr)
  ref <- glm(breaks ~ wool + tension, data = warpbreaks, family = poisson(), contrasts = ctr,
             control = glm.control(epsilon = 1e-12))
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
  expect_equal(fit$contrasts, ref$contrasts)
  nd <- data.frame(wool = c("A", "B"), tension = c("L", "H"))
  expect_equal(predict(fit, nd, type = "response"), predict(ref, nd, type = "response"),
               tolerance = 1e-8)
  expect_error(gradglm(breaks ~ wool, data = warpbreaks, contrasts = "contr.sum"),
               "gradglm: 'contrasts' must be a named list")
  # a contrast for a variable not in the model is ignored with glm's (model.matrix()'s) warning
  expect_warning(f2 <- gradglm(breaks ~ wool, data = warpbreaks, contrasts = list(wool = "contr.sum", zz = "contr.sum")),
                 "variable 'zz' is absent, its contrast will be ignored")
  expect_equal(coef(f2), coef(gradglm(breaks ~ wool, data = warpbreaks, contrasts = list(wool = "contr.sum"))))
})
