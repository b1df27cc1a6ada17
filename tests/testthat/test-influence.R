# Leverages, standardised residuals and Cook's distances against glm's

test_that("hatvalues(), rstandard() and cooks.distance() equal glm's", {
  cases <- list(
    list(f = cbind(ncases, ncontrols) ~ agegp + alcgp, d = esoph, fam = binomial()),
    list(f = breaks ~ wool * tension, d = warpbreaks, fam = poisson()),
    list(f = mpg ~ wt + hp, d = mtcars, fam = gaussian()),
    list(f = am ~ wt, d = mtcars, fam = binomial(link = "probit"))
  )
  for (cs in cases) {
    # (glm's working weights are those of its last iteration's start: polished
    # to epsilon 1e-14, they are those at the optimum)
    ref <- glm(cs$f, data = cs$d, family = cs$fam, control = glm.control(epsilon = 1e-14, maxit = 100))
    fit <- gradglm(cs$f, data = cs$d, family = cs$fam, control = gradglm_control(tol = 1e-12))
    expect_equal(hatvalues(fit), hatvalues(ref), tolerance = 1e-7)
    expect_equal(rstandard(fit), rstandard(ref), tolerance = 1e-7)
    expect_equal(rstandard(fit, type = "pearson"), rstandard(ref, type = "pearson"), tolerance = 1e-7)
    expect_equal(cooks.distance(fit), cooks.distance(ref), tolerance = 1e-7)
    # (a dispersion of one's own: before, it was ignored)
    expect_equal(cooks.distance(fit, dispersion = 2.5), cooks.distance(ref, dispersion = 2.5), tolerance = 1e-7)
  }
  expect_error(cooks.distance(fit, dispersion = -1), "'dispersion' must be a single positive number")
  expect_error(rstandard(fit, type = "working"), "'type' must be one of 'deviance', 'pearson'")
  # weights (one zero) and na.exclude: the rows left out are NA, as in glm
  d <- mtcars
  d$hp[3] <- NA
  w <- rep(1, nrow(d))
  w[5] <- 0
  d$w <- w
  ref <- glm(mpg ~ wt + hp, data = d, weights = w, na.action = na.exclude)
  fit <- gradglm(mpg ~ wt + hp, data = d, weights = w, na.action = na.exclude)
  expect_equal(hatvalues(fit), hatvalues(ref), tolerance = 1e-7)
  # (glm warns that its zero-weight row is not used for the dispersion)
  expect_equal(cooks.distance(fit), suppressWarnings(cooks.distance(ref)), tolerance = 1e-7)
  expect_equal(unname(hatvalues(fit)[3]), 0)
  expect_true(is.na(cooks.distance(fit)[3]))
  expect_false(rownames(d)[5] %in% names(hatvalues(fit)))  # (zero weight: left out, as by glm)
})

test_that("influence(), rstudent(), dfbeta() and dfbetas() equal glm's", {
  set.seed(4)
  d <- data.frame(y = rpois(150, 3), x = rnorm(150), g = factor(sample(letters[1:3], 150, TRUE)), z = runif(150),
                  w = rep(0:2, 50))
  d$x[7] <- NA
  d$k <- rbinom(150, 4, 0.4)
  d$u <- rgamma(150, 3, 1)
  cases <- list(list(y ~ x + g + z, poisson()), list(cbind(k, 4 - k) ~ x + z, binomial()),
                list(u ~ x + g, Gamma("log")), list(u ~ x + z, gaussian()))
  for (cs in cases) {
    lab <- cs[[2]]$family
    # weights with zeros (rows left out, as by glm) and a missing value (na.exclude: padded as glm pads)
    ref <- glm(cs[[1]], data = d, family = cs[[2]], weights = w, na.action = na.exclude,
               control = glm.control(epsilon = 1e-14, maxit = 100))
    fit <- gradglm(cs[[1]], data = d, family = cs[[2]], weights = w, na.action = na.exclude,
                   control = gradglm_control(tol = 1e-12))
    a <- influence(fit)
    b <- influence(ref)
    expect_identical(names(a), names(b), label = lab)
    for (el in names(b)) expect_equal(a[[el]], b[[el]], tolerance = 1e-7, label = paste(lab, el))
    expect_equal(rstudent(fit), rstudent(ref), tolerance = 1e-7, label = lab)
    expect_equal(dfbeta(fit), dfbeta(ref), tolerance = 1e-7, label = lab)
    expect_equal(dfbetas(fit), dfbetas(ref), tolerance = 1e-7, label = lab)
    # stats' dffits() with the fit's influence() (its default reads glm's qr component)
    expect_equal(dffits(fit, infl = a), dffits(ref), tolerance = 1e-7, label = lab)
    expect_identical(names(influence(fit, do.coef = FALSE)), c("hat", "sigma", "dev.res", "pear.res"))
  }
  # the negative binomial with theta estimated, against glm.nb(), whose
  # rstudent() is scaled by the row-deleted residual scale (as glm's for
  # every family but binomial and poisson)
  d$v <- stats::rnbinom(150, size = 2, mu = exp(1 + 0.4 * d$z))
  ref <- MASS::glm.nb(v ~ x + z, data = d, na.action = na.exclude, control = glm.control(epsilon = 1e-14, maxit = 100))
  fit <- gradglm(v ~ x + z, data = d, family = negative_binomial(), na.action = na.exclude,
                 control = gradglm_control(tol = 1e-12))
  expect_equal(fit$theta, ref$theta, tolerance = 1e-6)
  a <- influence(fit)
  b <- influence(ref)
  for (el in names(b)) expect_equal(a[[el]], b[[el]], tolerance = 1e-6, label = paste("negbin", el))
  expect_equal(rstudent(fit), rstudent(ref), tolerance = 1e-6)
  expect_equal(dfbetas(fit), dfbetas(ref), tolerance = 1e-6)
  expect_equal(cooks.distance(fit), cooks.distance(ref), tolerance = 1e-6)
  expect_error(rstudent(gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))),
               "rstudent: leverages .* not a GLM")
  expect_error(dfbetas(gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso(lambda = 0.1))),
               "dfbetas: .* penalised")
})

test_that("fits that are not GLMs say why they have no leverages", {
  expect_error(hatvalues(gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars, family = student_t(df = 4))),
               "hatvalues: leverages .* not a GLM")
  expect_error(cooks.distance(gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso(lambda = 0.1))),
               "cooks.distance: .* penalised")
  expect_error(rstandard(gradglm(mpg ~ wt, data = mtcars), type = "working"), "rstandard.gradglm: 'type' must be one of 'deviance', 'pearson'")
  # a regularization path keeps no fitted values (before, hatvalues(), dfbeta(), dfbetas() and
  # influence() stopped with "'data' must be of a vector type, was 'NULL'")
  path <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso())
  for (f in list(hatvalues, cooks.distance, rstandard, rstudent, dfbeta, dfbetas, influence)) {
    expect_error(f(path), "leverages and influence measures are computed for unpenalised GLM fits .* penalised")
  }
})

test_that("a gradglm_fit() fit says that it keeps no design matrix, and confint() is Wald for it by default", {
  X <- model.matrix(~ wt + hp, mtcars)
  fit <- gradglm_fit(X, mtcars$am, family = binomial())
  expect_error(rstudent(fit), "rstudent: .* from gradglm_fit\\(\\), which keeps no design matrix")
  expect_equal(confint(fit), confint(fit, method = "wald"))
  expect_error(confint(fit, method = "profile"), "cannot be rebuilt")
})

test_that("leverages take the Cholesky route where the design is well conditioned and the QR where not, both glm's", {
  set.seed(21)
  n <- 400
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n))
  d$y <- rpois(n, exp(0.3 + 0.4 * d$x1))
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)
  for (ill in c(FALSE, TRUE)) {
    # (ill: x2 within 1e-4 of x1, a scaled Cholesky pivot below 1e-3: the QR, as glm's)
    if (ill) d$x2 <- d$x1 + 1e-4 * rnorm(n)
    f <- gradglm(y ~ x1 + x2, data = d, family = poisson(), control = gradglm_control(tol = 1e-14))
    g <- glm(y ~ x1 + x2, data = d, family = poisson(), control = ctl)
    expect_equal(unname(hatvalues(f)), unname(hatvalues(g)), tolerance = if (ill) 1e-6 else 1e-10, label = ill)
    expect_equal(unname(cooks.distance(f)), unname(cooks.distance(g)), tolerance = if (ill) 1e-4 else 1e-8,
                 label = ill)
    expect_equal(unname(dfbeta(f)), unname(dfbeta(g)), tolerance = if (ill) 1e-3 else 1e-8, label = ill)
  }
})
