# Distributional fits (gaussian with a sigma model, laplace, student_t with
# fixed or estimated df) against a direct maximisation of the same weighted
# log-likelihood by optim() (ref_fit_optim, helper-dist.R), on real and
# simulated data; recovery of known parameters; the homoskedastic Gaussian
# against glm(); the unbounded likelihood; Laplace's optimality conditions.

# The pieces of a model that the reference fitter needs, from the same
# formulas: X (location), Z (sigma model), y, weights, offset.
model_pieces <- function(formula, sigma, data, weights = NULL) {
  mf <- model.frame(formula, data)
  x <- model.matrix(formula, mf)
  y <- model.response(mf)
  off <- model.offset(mf)
  if (is.null(off)) off <- rep(0, nrow(x))
  z <- if (is.null(sigma)) {
    matrix(1, nrow(x), 1L, dimnames = list(NULL, "(Intercept)"))
  } else {
    model.matrix(sigma, data)
  }
  w <- if (is.null(weights)) rep(1, nrow(x)) else weights
  list(x = x, y = y, z = z, w = w, offset = off)
}

fam_name <- function(family) family$family
fam_df <- function(family) if (family$family == "student_t") family$df else NULL

# Fit with gradglm() (weights taken from the column `.w` of data when
# `weighted`) and with the reference; compare coefficients (1e-5 relative to
# max(|coef|, se)) and logLik (1e-6 absolute). Returns (invisibly) the
# observed discrepancies.
check_against_optim <- function(formula, sigma, data, family, weighted = FALSE,
                                optimizer = "newton", control = gradglm_control(),
                                coef_tol = 1e-5, ll_tol = 1e-6, label = "") {
  fit <- quiet_fit(if (weighted) {
    gradglm(formula, data = data, family = family, sigma = sigma, weights = .w,
            optimizer = optimizer, control = control)
  } else {
    gradglm(formula, data = data, family = family, sigma = sigma, optimizer = optimizer,
            control = control)
  })
  lab <- sprintf("%s [%s, %s]", label, fam_name(family), optimizer)
  pc <- model_pieces(formula, sigma, data, if (weighted) data$.w)
  ref <- ref_fit_optim(pc$x, pc$y, pc$z, pc$w, pc$offset, fam_name(family), df = fam_df(family),
                       link = family$link)
  # the reference is at its optimum: the finite-difference gradient of the
  # objective vanishes there (relative to the size of the objective)
  fd <- num_grad_dist(ref$fn, unname(ref$par), h = 1e-5)
  expect(max(abs(fd) * ref$se) < 1e-6,
         sprintf("%s: reference optimum has FD gradient %s", lab, paste(signif(fd, 3), collapse = ", ")))

  expect_identical(fit$kind, "likelihood")
  expect_s3_class(fit, "gradglm")
  expect(length(attr(fit, "warnings")) == 0L,
         sprintf("%s: gradglm warned: %s", lab, paste(attr(fit, "warnings"), collapse = "; ")))
  expect(isTRUE(fit$converged), sprintf("%s: not converged (iter %s, message '%s')", lab,
                                        format(fit$iter), format(fit$message)))
  expect_identical(names(fit$coefficients), names(ref$par))
  cerr <- expect_coef_close(fit$coefficients, ref$par, ref$se, coef_tol, label = lab)
  llerr <- abs(fit$loglik - ref$loglik)
  expect(llerr <= ll_tol,
         sprintf("%s: loglik %.12g, reference %.12g (difference %.3g > %.3g)", lab, fit$loglik,
                 ref$loglik, llerr, ll_tol))
  # the reported loglik is the weighted log-likelihood at the reported coefficients
  expect_close(fit$loglik, ref_loglik_of_fit(fit, pc$x, pc$y, pc$z, pc$w, pc$offset, fam_name(family),
                                             family$link), 1e-10, label = paste(lab, "loglik recomputed"))
  ll <- logLik(fit)
  expect_equal(as.numeric(ll), fit$loglik)
  expect_equal(attr(ll, "df"), length(ref$par))
  expect_equal(fit$npar, length(ref$par))
  expect_close(fit$aic, -2 * fit$loglik + 2 * length(ref$par), 1e-12, label = paste(lab, "aic"))
  # the blocks index the coefficients
  expect_equal(as.integer(unname(unlist(lapply(fit$blocks, `[[`, "coef")))), seq_along(fit$coefficients))
  expect_identical(names(fit$coefficients)[fit$blocks$sigma$coef], grep("^sigma:", names(ref$par), value = TRUE))
  # fitted values and sigma per observation
  est_df <- fam_name(family) == "student_t" && is.null(fam_df(family))
  th <- split_theta(unname(ref$par), ncol(pc$x), ncol(pc$z), if (est_df) NULL else 1)
  expect_close(fit$sigma, exp(drop(pc$z %*% th$gamma)), 1e-4, label = paste(lab, "sigma"))
  if (optimizer == "newton") {
    # standard errors: the inverse observed information (the reference's is a
    # Hessian differenced from the analytic gradient, good to ~1e-6)
    expect_close(dist_se(fit), ref$se, 1e-6, label = paste(lab, "standard errors"))
  }
  invisible(list(fit = fit, ref = ref, coef_err = cerr, loglik_err = llerr))
}

# Simulated data with weights and an offset.
sim_data <- function(n = 300, seed = 1L, family = "gaussian") {
  set.seed(seed)
  d <- data.frame(x1 = runif(n, -1, 1), x2 = rnorm(n), g = factor(sample(c("a", "b", "c"), n, TRUE)))
  d$o <- runif(n, -0.3, 0.3)
  mu <- 1 + 2 * d$x1 - 0.5 * d$x2 + d$o
  ls <- -0.3 + 0.7 * d$x1 + 0.2 * (d$g == "b")
  eps <- switch(family,
    gaussian = rnorm(n),
    student_t = rt(n, df = 5),
    laplace = rexp(n) - rexp(n))
  d$y <- mu + exp(ls) * eps
  d$ypos <- exp(0.5 + 0.4 * d$x1 + d$o) + 0.3 * exp(ls) * eps  # for the log link
  d$.w <- round(runif(n, 0.2, 3), 1)
  d
}

test_that("gaussian with a sigma model agrees with optim() (cars, mtcars, InsectSprays, simulated)", {
  check_against_optim(dist ~ speed, ~ speed, cars, gaussian(), label = "cars")
  d <- transform(mtcars, .w = gear / 4)
  check_against_optim(mpg ~ wt + hp, ~ wt, d, gaussian(), weighted = TRUE, label = "mtcars weighted")
  check_against_optim(count ~ spray, ~ spray, InsectSprays, gaussian(), label = "InsectSprays")
  d <- sim_data(300, 1L)
  check_against_optim(y ~ x1 + x2 + offset(o), ~ x1 + g, d, gaussian(), weighted = TRUE,
                      label = "simulated, weights + offset")
  check_against_optim(ypos ~ x1 + offset(o), ~ x1, d, gaussian(link = "log"), label = "simulated, log link")
})

test_that("gaussian with sigma ~ group is the per-group mean and root mean square deviation", {
  fit <- gradglm(count ~ spray, data = InsectSprays, family = gaussian(), sigma = ~ spray)
  m <- tapply(InsectSprays$count, InsectSprays$spray, mean)
  s <- tapply(InsectSprays$count, InsectSprays$spray, function(v) sqrt(mean((v - mean(v))^2)))
  expect_close(fit$fitted.values, m[InsectSprays$spray], 1e-8, label = "group means")
  expect_close(fit$sigma, s[InsectSprays$spray], 1e-7, label = "group sigma")
})

test_that("student_t with fixed and estimated df agrees with optim()", {
  check_against_optim(dist ~ speed, ~ speed, cars, student_t(df = 4), label = "cars df = 4")
  check_against_optim(dist ~ speed, ~ speed, cars, student_t(), label = "cars df estimated")
  check_against_optim(stack.loss ~ Air.Flow + Water.Temp + Acid.Conc., NULL, stackloss, student_t(),
                      label = "stackloss df estimated")
  check_against_optim(stack.loss ~ Air.Flow + Water.Temp + Acid.Conc., NULL, stackloss, student_t(df = 4),
                      label = "stackloss df = 4")
  if (requireNamespace("MASS", quietly = TRUE)) {
    check_against_optim(log(brain) ~ log(body), NULL, MASS::mammals, student_t(), label = "mammals")
  }
  d <- sim_data(300, 2L, "student_t")
  check_against_optim(y ~ x1 + x2 + offset(o), ~ x1, d, student_t(), weighted = TRUE,
                      label = "simulated t, weights + offset")
  check_against_optim(ypos ~ x1, ~ x1, d, student_t(df = 5, link = "log"), label = "simulated t, log link")
})

test_that("gradient descent reaches the same optimum (1e-5 in coefficients, 1e-6 in logLik)", {
  ctrl <- gradglm_control(tol = 1e-10, max_iter = 50000)
  check_against_optim(dist ~ speed, ~ speed, cars, gaussian(), optimizer = "gd", control = ctrl,
                      label = "cars gd")
  check_against_optim(dist ~ speed, ~ speed, cars, student_t(df = 4), optimizer = "gd", control = ctrl,
                      label = "cars t(4) gd")
  check_against_optim(log(brain) ~ log(body), NULL, MASS::mammals, student_t(), optimizer = "gd",
                      control = ctrl, label = "mammals t gd")
  d <- sim_data(300, 1L)
  check_against_optim(y ~ x1 + x2 + offset(o), ~ x1 + g, d, gaussian(), weighted = TRUE, optimizer = "gd",
                      control = ctrl, label = "simulated gd, weights + offset")
})

test_that("known parameters are recovered within 3 standard errors at n = 200, 2000 and 20000", {
  truth_loc <- c(1, 2)
  truth_sig <- c(-0.5, 0.8)
  sim <- function(n, family, seed) {
    set.seed(seed)
    x <- runif(n, -1, 1)
    eps <- switch(family, gaussian = rnorm(n), student_t = rt(n, df = 5), laplace = rexp(n) - rexp(n))
    data.frame(x = x, y = truth_loc[1] + truth_loc[2] * x + exp(truth_sig[1] + truth_sig[2] * x) * eps)
  }
  cases <- list(
    list(n = 200, family = "gaussian"), list(n = 2000, family = "gaussian"),
    list(n = 200, family = "laplace"), list(n = 2000, family = "laplace"),
    list(n = 200, family = "student_t"), list(n = 2000, family = "student_t"),
    list(n = 20000, family = "student_t")
  )
  se_by_n <- list()
  for (k in seq_along(cases)) {
    cs <- cases[[k]]
    d <- sim(cs$n, cs$family, 100 + k)
    fam <- switch(cs$family, gaussian = gaussian(), laplace = laplace(), student_t = student_t())
    fit <- quiet_fit(gradglm(y ~ x, data = d, family = fam, sigma = ~ x))
    truth <- c(truth_loc, truth_sig, if (cs$family == "student_t") log(5))
    est <- fit$coefficients
    se <- dist_se(fit)
    lab <- sprintf("%s, n = %d", cs$family, cs$n)
    expect(isTRUE(fit$converged), paste(lab, "not converged"))
    expect_length(est, length(truth))
    zs <- (est - truth) / se
    expect(all(is.finite(zs)) && all(abs(zs) < 3),
           sprintf("%s: (estimate - truth) / se = %s", lab, paste(sprintf("%.2f", zs), collapse = ", ")))
    se_by_n[[paste(cs$family, cs$n)]] <- se
  }
  # standard errors shrink like 1 / sqrt(n)
  for (fam in c("gaussian", "laplace", "student_t")) {
    ratio <- se_by_n[[paste(fam, 200)]][1:4] / se_by_n[[paste(fam, 2000)]][1:4]
    expect(all(ratio > sqrt(10) / 1.5 & ratio < sqrt(10) * 1.5),
           sprintf("%s: se(n = 200) / se(n = 2000) = %s, expected about 3.16", fam,
                   paste(signif(ratio, 3), collapse = ", ")))
  }
})

test_that("homoskedastic gaussian (sigma = ~ 1) reproduces glm's coefficients and logLik", {
  cases <- list(
    list(f = dist ~ speed, d = cars),
    list(f = mpg ~ wt + factor(cyl) + hp, d = mtcars),
    list(f = count ~ spray, d = InsectSprays)
  )
  for (cs in cases) {
    g <- glm(cs$f, data = cs$d, family = gaussian())
    for (opt in c("newton", "auto")) {
      fit <- gradglm(cs$f, data = cs$d, family = gaussian(), sigma = ~ 1, optimizer = opt)
      lab <- paste(deparse(cs$f), opt)
      expect_identical(fit$kind, "likelihood")
      p <- length(coef(g))
      expect_identical(names(fit$coefficients), c(names(coef(g)), "sigma:(Intercept)"))
      expect_close(fit$coefficients[1:p], coef(g), 1e-8, floor = 1e-3, label = paste(lab, "coefficients"))
      expect_close(fit$loglik, as.numeric(logLik(g)), 1e-8, label = paste(lab, "logLik"))
      expect_close(as.numeric(logLik(fit)), as.numeric(logLik(g)), 1e-8, label = paste(lab, "logLik()"))
      expect_equal(attr(logLik(fit), "df"), attr(logLik(g), "df"))
      expect_close(fit$aic, AIC(g), 1e-8, label = paste(lab, "AIC"))
      # sigma is the ML estimate sqrt(RSS / n)
      expect_close(fit$coefficients[["sigma:(Intercept)"]], log(sqrt(deviance(g) / nobs(g))), 1e-8,
                   label = paste(lab, "log sigma"))
      # location standard errors: sigma_ML^2 (X'X)^-1
      se_ml <- sqrt(diag(vcov(g)) * (nobs(g) - p) / nobs(g))
      expect_close(dist_se(fit)[1:p], se_ml, 1e-6, label = paste(lab, "se"))
    }
  }
  # with weights the location coefficients are still glm's (weighted least squares)
  d <- transform(mtcars, .w = gear / 4)
  g <- glm(mpg ~ wt + hp, data = d, weights = .w)
  fit <- gradglm(mpg ~ wt + hp, data = d, weights = .w, family = gaussian(), sigma = ~ 1)
  expect_close(fit$coefficients[1:3], coef(g), 1e-8, label = "weighted coefficients")
  # ... and sigma is the frequency-weighted ML estimate sum(w r^2) / sum(w)
  expect_close(fit$coefficients[["sigma:(Intercept)"]],
               log(sqrt(sum(d$.w * residuals(g, "response")^2) / sum(d$.w))), 1e-8,
               label = "weighted log sigma")
  # sigma = NULL keeps the classical fit
  fit0 <- gradglm(dist ~ speed, data = cars, family = gaussian())
  expect_identical(fit0$kind, "glm")
})

test_that("an unbounded heteroskedastic likelihood warns 'unbounded' and gives no NaN", {
  set.seed(7)
  d <- data.frame(g = factor(rep(c("a", "b"), each = 12)), y = c(rep(3, 12), rnorm(12, 5, 2)))
  for (fam in list(gaussian(), student_t(df = 4), laplace())) {
    lab <- fam$family
    fit <- quiet_fit(gradglm(y ~ g, data = d, family = fam, sigma = ~ g))
    w <- attr(fit, "warnings")
    expect(any(grepl("unbounded", w)),
           sprintf("%s: no warning mentioning 'unbounded' (warnings: %s)", lab,
                   if (length(w)) paste(w, collapse = "; ") else "none"))
    vals <- c(fit$coefficients, fit$fitted.values, fit$sigma, fit$loglik, fit$linear.predictors)
    expect(!any(is.nan(vals)), paste(lab, ": NaN in the fit"))
    expect_false(any(is.nan(fit$cov.unscaled)))
    # the location of the degenerate group is still its (common) value
    expect_close(fit$fitted.values[d$g == "a"], rep(3, 12), 1e-6, label = paste(lab, "fitted"))
  }
})

test_that("student_t on Gaussian data gives a large finite df and no NaN", {
  sim_gauss <- function(seed) {
    set.seed(seed)
    d <- data.frame(x = runif(2000))
    d$y <- 1 + 2 * d$x + rnorm(2000, sd = 0.5)
    d
  }
  # seed 12: the profile log-likelihood of df increases all the way to
  # infinity (the MLE is the Gaussian); the fit must stop at a large finite df
  d <- sim_gauss(12)
  fit <- quiet_fit(gradglm(y ~ x, data = d, family = student_t()))
  expect(!any(grepl("NaN", attr(fit, "warnings"))), paste("warned:", paste(attr(fit, "warnings"), collapse = "; ")))
  expect_true(isTRUE(fit$converged))
  expect_true(is.finite(fit$df))
  expect_gt(fit$df, 1000)
  expect_false(any(is.nan(c(fit$coefficients, fit$loglik, fit$sigma))))
  expect_false(any(is.nan(fit$cov.unscaled)))
  # the Student-t family nests the Gaussian as df -> Inf: its maximised
  # log-likelihood is (almost) the Gaussian one and the location agrees
  gfit <- gradglm(y ~ x, data = d, family = gaussian(), sigma = ~ 1)
  expect_gt(fit$loglik, gfit$loglik - 1e-4)
  expect_coef_close(fit$coefficients[1:3], gfit$coefficients[1:3], dist_se(gfit)[1:3], 1e-3,
                    label = "t with df -> Inf vs gaussian")
  # seed 11: Gaussian data whose df MLE is finite (about 57), as optim() finds
  check_against_optim(y ~ x, NULL, sim_gauss(11), student_t(), label = "Gaussian data, finite df MLE")
})

# ---------------------------------------------------------------------------
# Laplace: BFGS is not exact for a non-smooth objective, so the fit is checked
# by the optimality conditions of the LAD problem and against the best optim()
# finds from several starts.

test_that("intercept-only laplace is the sample median (odd and even n), b the mean |residual|", {
  set.seed(3)
  for (n in c(15L, 16L, 101L, 200L)) {
    y <- round(rexp(n, 0.2) + rnorm(n), 3)
    fit <- quiet_fit(gradglm(y ~ 1, data = data.frame(y = y), family = laplace()))
    lab <- sprintf("n = %d", n)
    expect_close(fit$coefficients[["(Intercept)"]], median(y), 1e-8, floor = 1, label = paste(lab, "median"))
    expect_close(fit$coefficients[["sigma:(Intercept)"]], log(mean(abs(y - median(y)))), 1e-8,
                 label = paste(lab, "log b"))
    expect(length(attr(fit, "warnings")) == 0L, paste(lab, "warned:", paste(attr(fit, "warnings"), collapse = "; ")))
  }
  # weighted: the weighted median
  y <- c(1, 2, 3, 10, 20)
  fit <- gradglm(y ~ 1, data = data.frame(y = y, .w = c(1, 1, 1, 5, 1)), weights = .w, family = laplace())
  expect_close(fit$coefficients[["(Intercept)"]], 10, 1e-8, label = "weighted median")
})

laplace_cases <- list(
  list(label = "stackloss", f = stack.loss ~ Air.Flow + Water.Temp + Acid.Conc., s = NULL, d = stackloss,
       weighted = FALSE),
  list(label = "mtcars weighted", f = mpg ~ wt + hp, s = NULL, d = transform(mtcars, .w = gear / 4),
       weighted = TRUE),
  list(label = "cars, sigma ~ speed", f = dist ~ speed, s = ~ speed, d = cars, weighted = FALSE),
  list(label = "simulated, weights + offset, sigma ~ x1", f = y ~ x1 + x2 + offset(o), s = ~ x1,
       d = sim_data(150, 5L, "laplace"), weighted = TRUE)
)

fit_laplace_case <- function(cs, optimizer = "newton") {
  quiet_fit(if (cs$weighted) {
    gradglm(cs$f, data = cs$d, family = laplace(), sigma = cs$s, weights = .w, optimizer = optimizer)
  } else {
    gradglm(cs$f, data = cs$d, family = laplace(), sigma = cs$s, optimizer = optimizer)
  })
}

test_that("laplace satisfies the optimality conditions of weighted LAD and of its scale model", {
  for (cs in laplace_cases) {
    for (opt in c("newton", "gd")) {
      fit <- fit_laplace_case(cs, opt)
      lab <- paste(cs$label, opt)
      expect(isTRUE(fit$converged), paste(lab, "not converged"))
      expect(length(attr(fit, "warnings")) == 0L, paste(lab, "warned:", paste(attr(fit, "warnings"), collapse = "; ")))
      pc <- model_pieces(cs$f, cs$s, cs$d, if (cs$weighted) cs$d$.w)
      p <- ncol(pc$x)
      beta <- fit$coefficients[fit$blocks$location$coef]
      gam <- fit$coefficients[fit$blocks$sigma$coef]
      r <- pc$y - drop(pc$x %*% beta) - pc$offset
      b <- exp(drop(pc$z %*% gam))
      expect_close(fit$residuals, r, 1e-10, floor = 1, label = paste(lab, "residuals"))
      expect_close(fit$sigma, b, 1e-10, label = paste(lab, "sigma"))
      kkt <- lad_kkt(pc$x, r, pc$w / b, zero_tol = 1e-7 * max(1, abs(pc$y)))
      expect(kkt$n_zero >= p,
             sprintf("%s: %d residual(s) are zero (|r| <= 1e-7), a LAD vertex has at least p = %d; smallest |r|: %s",
                     lab, kkt$n_zero, p, paste(signif(sort(abs(r))[1:p], 3), collapse = ", ")))
      expect(kkt$ok,
             sprintf("%s: subgradient condition fails: max |u| = %.6g (must be <= 1), equation residual %.3g",
                     lab, if (length(kkt$u)) max(abs(kkt$u)) else NA, kkt$eq_resid))
      # the scale model is smooth: its gradient sum w (1 - |r| / b) z vanishes
      gs <- drop(crossprod(pc$z, pc$w * (1 - abs(r) / b)))
      expect(max(abs(gs)) <= 1e-6 * sum(pc$w),
             sprintf("%s: gradient in the sigma coefficients is %s", lab, paste(signif(gs, 3), collapse = ", ")))
      if (is.null(cs$s)) {
        # b is the weighted mean absolute residual
        expect_close(fit$coefficients[["sigma:(Intercept)"]], log(sum(pc$w * abs(r)) / sum(pc$w)), 1e-8,
                     label = paste(lab, "b = weighted mean |r|"))
      }
      expect_close(fit$loglik, -ref_nll(unname(fit$coefficients), pc$x, pc$y, pc$z, pc$w, pc$offset, "laplace"),
                   1e-10, label = paste(lab, "loglik recomputed"))
    }
  }
})

test_that("laplace at n = 20,000 (the simplex's selection of breakpoints) meets LAD's optimality conditions", {
  # thousands of breakpoints along each edge (the selection's quickselect,
  # not only its sort of the last 16), rounded data with tied residuals,
  # weights and an offset; and a null deviance that is the intercept-only fit's
  set.seed(41)
  n <- 20000L
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), g = factor(sample(letters[1:4], n, TRUE)),
                  o = 0.1 * rnorm(n), .w = sample(1:3, n, TRUE))
  d$y <- round(1 + 2 * d$x1 - d$x2 + as.integer(d$g) / 2 + d$o + rexp(n) * sample(c(-1, 1), n, TRUE), 1)
  for (weighted in c(FALSE, TRUE)) {
    lab <- if (weighted) "weighted" else "unweighted"
    fit <- if (weighted) {
      gradglm(y ~ x1 + x2 + g + offset(o), data = d, family = laplace(), weights = .w)
    } else {
      gradglm(y ~ x1 + x2 + g + offset(o), data = d, family = laplace())
    }
    w <- if (weighted) d$.w else rep(1, n)
    x <- model.matrix(~ x1 + x2 + g, d)
    beta <- fit$coefficients[fit$blocks$location$coef]
    r <- d$y - d$o - drop(x %*% beta)
    expect(isTRUE(fit$converged), paste(lab, "not converged"))
    kkt <- lad_kkt(x, r, w, zero_tol = 1e-9 * max(abs(d$y)))
    expect(kkt$n_zero >= ncol(x), sprintf("%s: %d zero residuals, fewer than p = %d", lab, kkt$n_zero, ncol(x)))
    expect(kkt$ok, sprintf("%s: subgradient condition fails: max |u| = %.6g, equation residual %.3g", lab,
                           if (length(kkt$u)) max(abs(kkt$u)) else NA, kkt$eq_resid))
    # (b, the weighted mean |r|, and the log-likelihood at it)
    b <- sum(w * abs(r)) / sum(w)
    expect_close(fit$loglik, -sum(w) * (log(2 * b) + 1), 1e-10, label = paste(lab, "loglik"))
    null <- if (weighted) {
      gradglm(y ~ 1 + offset(o), data = d, family = laplace(), weights = .w)
    } else {
      gradglm(y ~ 1 + offset(o), data = d, family = laplace())
    }
    expect_close(fit$null.deviance, deviance(null), 1e-10, label = paste(lab, "null deviance"))
    expect(deviance(fit) < fit$null.deviance, paste(lab, "the model does not beat the null model"))
  }
})

test_that("LAD on many rows (the simplex on the rows nearest a start) is optimal from good and poor starts", {
  # 60,000 rows: the simplex runs on the ~11,000 rows that the start fits
  # best for its uncertainty, with the others' gradient fixed by their side,
  # and takes in the rows that cross. Heavy-tailed columns (rows of high
  # leverage) and errors, y rounded (tied residuals), uneven weights, some 0.
  set.seed(43)
  n <- 60000L
  p <- 6L
  X <- cbind(1, matrix(stats::rt(n * (p - 1), 3), n))
  y <- round(drop(X %*% seq_len(p)) + 3 * stats::rt(n, 2), 1)
  cw <- stats::runif(n, 0.5, 2)
  cw[sample(n, 500)] <- 0
  ls <- qr.coef(qr(X), y)
  objective <- NULL
  for (start in list(ls, rep(0, p), 1.5 * ls, -ls)) {
    r <- gradglm:::lad_eval(X, y, cw, start)
    expect_true(r$optimal, label = paste("certified from", paste(signif(start, 3), collapse = " ")))
    res <- y - drop(X %*% r$beta)
    kkt <- lad_kkt(X, res, cw, zero_tol = 1e-9 * max(abs(y)))
    expect_true(kkt$ok, label = sprintf("subgradient condition (max |u| %.6g, equation residual %.3g)",
                                        if (length(kkt$u)) max(abs(kkt$u)) else NA, kkt$eq_resid))
    expect_gte(kkt$n_zero, p)
    # (the optimum's objective, whichever vertex of a tied optimum is reached)
    obj <- sum(cw * abs(res))
    if (is.null(objective)) objective <- obj
    expect_lte(abs(obj - objective), 1e-12 * objective)
  }
  # a sigma model on 30,000 rows: the location's weights c = w / b differ by row
  set.seed(44)
  n <- 30000L
  d <- data.frame(x1 = stats::rt(n, 4), x2 = stats::runif(n), .w = sample(1:3, n, TRUE))
  d$y <- 1 + d$x1 - d$x2 + exp(0.5 + d$x2) * (stats::rexp(n) - stats::rexp(n))
  fit <- gradglm(y ~ x1 + x2, sigma = ~ x2, data = d, family = laplace(), weights = .w)
  expect_true(isTRUE(fit$converged))
  x <- model.matrix(~ x1 + x2, d)
  beta <- fit$coefficients[fit$blocks$location$coef]
  res <- d$y - drop(x %*% beta)
  kkt <- lad_kkt(x, res, d$.w / fit$sigma, zero_tol = 1e-9 * max(abs(d$y)))
  expect_true(kkt$ok, label = "the sigma model's location: subgradient condition")
  gs <- drop(crossprod(model.matrix(~ x2, d), d$.w * (1 - abs(res) / fit$sigma)))
  expect_lte(max(abs(gs)), 1e-6 * sum(d$.w))
  # a constant y, which the location fits exactly (its residuals the rounding
  # of y's size, of no sign): the simplex certifies it, and the scale's fall
  # to 0 is said as such (the certificate once failed on the rounding's signs)
  for (n in c(5000L, 30000L)) {
    d <- data.frame(x = stats::rnorm(n), y = 3)
    expect_warning(gradglm(y ~ x, data = d, family = laplace()), "unbounded: the fitted scale of [0-9]+ observation")
  }
})

laplace_vs_optim_starts <- function(cases) {
  set.seed(21)
  for (cs in cases) {
    fit <- fit_laplace_case(cs, "newton")
    pc <- model_pieces(cs$f, cs$s, cs$d, if (cs$weighted) cs$d$.w)
    ref <- ref_fit_optim(pc$x, pc$y, pc$z, pc$w, pc$offset, "laplace")
    fn <- ref$fn
    starts <- list(unname(ref$par))
    # least squares start, quantile-regression-like perturbations
    for (k in 1:4) starts[[length(starts) + 1L]] <- unname(ref$par) * (1 + rnorm(length(ref$par), sd = 0.05))
    best <- ref$loglik
    for (st in starts) {
      for (m in c("Nelder-Mead", "BFGS")) {
        o <- optim(st, fn, if (m == "BFGS") ref$gr, method = m,
                   control = list(reltol = 1e-14, maxit = if (m == "BFGS") 10000 else 20000))
        o <- optim(o$par, fn, method = "Nelder-Mead", control = list(reltol = 1e-14, maxit = 20000))
        best <- max(best, -o$value)
      }
    }
    expect(fit$loglik >= best - 1e-8,
           sprintf("%s: laplace logLik %.12g is below optim's best %.12g (by %.3g)", cs$label, fit$loglik, best,
                   best - fit$loglik))
  }
}

test_that("homoskedastic laplace's logLik is at least the best optim() finds from several starts", {
  # with sigma ~ 1 the profile log-likelihood is -n log(mean |r|) - n: the
  # global optimum is the (convex) weighted LAD fit
  laplace_vs_optim_starts(Filter(function(cs) is.null(cs$s), laplace_cases))
})

test_that("heteroskedastic laplace's logLik is at least the best optim() finds from several starts", {
  # with a sigma model the joint likelihood is not concave: it can have
  # several local maxima (LAD vertices with their own scale fits); the fit
  # should reach the best one that optim() finds
  laplace_vs_optim_starts(Filter(function(cs) !is.null(cs$s), laplace_cases))
})
