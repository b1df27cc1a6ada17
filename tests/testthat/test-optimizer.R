# The optimizers: gradient descent reaches glm's answer, every fit records a
# trace, non-convergence warns, and "auto" picks the exact route.

trace_cols <- c("iter", "loss", "grad_norm", "step", "time")

# a trace is a data.frame of iter/loss/grad_norm/step, with increasing
# iterations, finite losses and non-negative gradient norms
expect_valid_trace <- function(fit, label) {
  tr <- fit$trace
  expect(is.data.frame(tr), paste(label, ": trace is not a data.frame"))
  # gd adds the scheduled learning rate of each iteration
  expect_identical(names(tr), if (identical(fit$optimizer, "gd")) c(trace_cols, "learning_rate") else trace_cols)
  expect(nrow(tr) >= 1L, paste(label, ": empty trace"))
  expect(all(diff(tr$iter) > 0), paste(label, ": trace iterations do not increase"))
  expect(all(is.finite(tr$loss)), paste(label, ": non-finite loss in the trace"))
  expect(all(is.finite(tr$grad_norm) & tr$grad_norm >= 0), paste(label, ": bad grad_norm in the trace"))
  expect(all(is.na(tr$step) | tr$step >= 0), paste(label, ": negative step in the trace"))
  # the last loss is the fit's: half the deviance over the sum of the prior weights
  expect_close(tr$loss[nrow(tr)], fit$deviance / (2 * sum(fit$prior.weights)), 1e-8,
               label = paste(label, ": final trace loss vs deviance"))
}

expect_loss_nonincreasing <- function(fit, label) {
  l <- fit$trace$loss
  # Newton accepts a step that does not increase the loss beyond rounding
  expect(all(diff(l) <= 1e-10 * abs(l[-1])),
         sprintf("%s: the loss increases in the trace (max increase %.3g)", label, max(diff(l))))
}

test_that("gradient descent reaches glm's coefficients within 1e-4 with default settings", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  cases <- list(
    quote(glm(low ~ age + lwt + smoke, data = bw, family = binomial)),
    quote(glm(low ~ age + lwt + smoke, data = bw, family = binomial(link = "probit"))),
    quote(glm(low ~ age + lwt + smoke, data = bw, family = binomial(link = "cloglog"))),
    quote(glm(breaks ~ wool + tension, data = warpbreaks, family = poisson)),
    quote(glm(breaks ~ wool * tension, data = warpbreaks, family = poisson)),
    quote(glm(count ~ spray, data = InsectSprays, family = poisson(link = "sqrt"))),
    quote(glm(mpg ~ wt + hp, data = mtcars)),
    quote(glm(mpg ~ wt + hp + qsec, data = mtcars)),
    quote(glm(mpg ~ wt + hp, data = mtcars, family = gaussian(link = "log"))),
    quote(glm(am ~ wt, data = mtcars, family = binomial))
  )
  for (cl in cases) {
    p <- fit_pair(cl, optimizer = "gd")
    o <- p$gradglm
    lab <- paste(deparse1(cl), "[gd]")
    expect_identical(o$optimizer, "gd")
    expect(isTRUE(o$converged), paste(lab, ": did not converge"))
    expect_close(o$coefficients, coef(p$glm_ref), 1e-4, floor = 1e-3, label = paste(lab, "coefficients"))
    expect_close(o$deviance, deviance(p$glm), 1e-7, label = paste(lab, "deviance"))
    expect_close(o$loglik, as.numeric(logLik(p$glm)), 1e-7, label = paste(lab, "loglik"))
    expect_equal(o$df.residual, p$glm$df.residual)
  }
})

test_that("gradient descent standardises the columns internally (scale-invariant path)", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  bw$lwt_g <- bw$lwt * 453.6  # grams, not pounds
  bw$age_c <- bw$age / 100    # centuries
  a <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "gd")
  b <- gradglm(low ~ age_c + lwt_g + smoke, data = bw, family = binomial, optimizer = "gd")
  expect_true(b$converged)
  # the same path on the standardised scale: the same losses and gradient norms
  # step by step while the gradient is far above the stopping rule (near it, the
  # gradient is a difference of nearly equal sums, rounding moves the last
  # iterations, and the counts may differ by a few), and the same answer
  k <- seq_len(50L)
  expect_lt(max(abs(b$trace$grad_norm[k] / a$trace$grad_norm[k] - 1)), 1e-10)
  expect_lt(max(abs(b$trace$loss[k] / a$trace$loss[k] - 1)), 1e-14)
  expect_lte(abs(a$iter - b$iter), 0.05 * a$iter)
  expect_close(b$coefficients, a$coefficients * c(1, 100, 1 / 453.6, 1), 1e-6,
               label = "rescaled columns, gd")
  mt <- mtcars
  mt$wt_g <- mt$wt * 1e5
  mt$hp_k <- mt$hp / 1e3
  p <- fit_pair(quote(glm(mpg ~ wt_g + hp_k, data = mt)), optimizer = "gd")
  expect_true(p$gradglm$converged)
  expect_close(p$gradglm$coefficients, coef(p$glm), 1e-4, label = "badly scaled gaussian, gd")
  # without an intercept too
  p <- fit_pair(quote(glm(mpg ~ 0 + wt_g + hp_k, data = mt)), optimizer = "gd")
  expect_close(p$gradglm$coefficients, coef(p$glm), 1e-4, label = "no intercept, gd")
})

test_that("every optimizer records a valid trace; the loss never increases for gd and newton", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  fits <- list(
    exact = gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "exact"),
    newton_gauss = gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "newton"),
    gd_gauss = gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd"),
    newton_logit = gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "newton"),
    gd_logit = gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "gd"),
    newton_probit = gradglm(low ~ age + lwt + smoke, data = bw, family = binomial("probit")),
    newton_pois_id = gradglm(count ~ spray, data = InsectSprays, family = poisson("identity")),
    gd_pois_id = gradglm(count ~ spray, data = InsectSprays, family = poisson("identity"),
                         optimizer = "gd"),
    newton_gauss_log = gradglm(mpg ~ wt, data = mtcars, family = gaussian("log"))
  )
  for (nm in names(fits)) {
    fit <- fits[[nm]]
    expect_valid_trace(fit, nm)
    expect(isTRUE(fit$converged), paste(nm, ": did not converge"))
    expect_type(fit$iter, "integer")
    if (nm != "exact") {
      expect_loss_nonincreasing(fit, nm)
      expect_gt(nrow(fit$trace), 1L)
      # the loss went down from the start
      expect_lt(fit$trace$loss[nrow(fit$trace)], fit$trace$loss[1] + 1e-12)
    }
  }
  # the closed form: one row
  expect_equal(nrow(fits$exact$trace), 1L)
  expect_equal(fits$exact$iter, 1L)
  # gd stops when the gradient norm is below tol (default 1e-6)
  expect_lt(utils::tail(fits$gd_logit$trace$grad_norm, 1), 1e-6)
  # newton ends near a zero gradient
  expect_lt(utils::tail(fits$newton_logit$trace$grad_norm, 1), 1e-6)
})

test_that("gd: the first step is the initial learning rate (or less), backtracking keeps it stable", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  ref_b <- glm(low ~ age + lwt + smoke, data = bw, family = binomial, control = glm_tight)
  ref_g <- glm(mpg ~ wt + hp, data = mtcars, control = glm_tight)
  for (lr in c(0.05, 1, 50)) {
    fb <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "gd",
                  control = gradglm_control(learning_rate = lr))
    fg <- gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd",
                  control = gradglm_control(learning_rate = lr))
    for (fit in list(fb, fg)) {
      expect_true(fit$converged)
      expect_lte(fit$trace$step[1], lr)
      expect_loss_nonincreasing(fit, paste("gd learning_rate", lr))
    }
    expect_close(fb$coefficients, coef(ref_b), 1e-4, label = paste("binomial gd learning_rate", lr))
    expect_close(fg$coefficients, coef(ref_g), 1e-4, label = paste("gaussian gd learning_rate", lr))
  }
  # a small learning rate takes more iterations
  slow <- gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd",
                  control = gradglm_control(learning_rate = 0.05))
  expect_gt(slow$iter, gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd")$iter)
  # a tighter tol gets closer
  fit <- gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd", control = gradglm_control(tol = 1e-8))
  expect_true(fit$converged)
  expect_close(fit$coefficients, coef(ref_g), 1e-7, label = "gd tol = 1e-8")
})

test_that("gd stops at machine precision instead of spinning when tol is below the rounding floor", {
  # The Armijo test on the loss cannot see a decrease once |grad|^2 is below
  # the rounding level of the loss (here |grad| ~ 5e-9): gd must then stop
  # (the optimizer's own "cannot be decreased further" rule) rather than
  # take zero-length steps until max_iter.
  ref <- glm(mpg ~ wt + hp, data = mtcars, control = glm_tight)
  warned <- NULL
  fit <- withCallingHandlers(
    gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "gd", control = gradglm_control(tol = 1e-12)),
    warning = function(w) {
      warned <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    }
  )
  expect_null(warned)
  expect_true(fit$converged)
  expect_lt(fit$iter, 1000L)
  expect_close(fit$coefficients, coef(ref), 1e-7, label = "gd tol = 1e-12")
})

test_that("gd's and L-BFGS's stopping rule does not depend on the units of the response", {
  set.seed(5)
  d <- data.frame(x = rnorm(20))
  d$z <- 3 + 2 * d$x + rnorm(20)
  d$w <- exp(1 + 0.3 * d$x + rnorm(20, sd = 0.2))
  spec <- opt_gd(learning_rate = 0.5, schedule = "constant")
  for (k in c(1e-9, 1e3)) {
    d$zk <- d$z * k
    d$wk <- d$w * k
    a <- gradglm(z ~ x, data = d, optimizer = spec)
    b <- gradglm(zk ~ x, data = d, optimizer = spec)
    # (at 1e-9 the raw gradient was below tol at the start: a "converged" fit with slope 0)
    expect_identical(b$iter, a$iter)
    expect_close(coef(b), coef(a) * k, 1e-10, label = paste("gaussian gd, y times", k))
    expect_close(coef(b), coef(glm(zk ~ x, data = d)), 1e-6, label = paste("gaussian gd vs glm, y times", k))
    expect_equal(b$trace$grad_norm, a$trace$grad_norm, tolerance = 1e-8)
    # the Gaussian's log link by L-BFGS
    a <- gradglm(w ~ x, data = d, family = gaussian(link = "log"), optimizer = "lbfgs")
    b <- gradglm(wk ~ x, data = d, family = gaussian(link = "log"), optimizer = "lbfgs")
    expect_close(coef(b), coef(a) + c(log(k), 0), 1e-8, label = paste("gaussian log lbfgs, y times", k))
  }
})

test_that("opt_gd() takes control's learning rate and decay where it is not given them", {
  # (a fast decay and a short run: only the schedule is compared, not the optimum)
  ctl <- gradglm_control(learning_rate = 0.1, decay = 0.5, max_iter = 50)
  nc <- "the gd optimizer did not converge in 50 iterations"
  expect_warning(a <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd", control = ctl), nc)
  expect_warning(b <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = opt_gd(schedule = "inverse"),
                              control = ctl), nc)
  expect_equal(b$trace$learning_rate[1:3], c(0.1, 0.1 / 1.5, 0.1 / 2))
  cols <- c("iter", "loss", "grad_norm", "step", "learning_rate")
  expect_identical(b$trace[cols], a$trace[cols])
  expect_warning(c2 <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = opt_gd(learning_rate = 2),
                               control = ctl), nc)
  expect_equal(c2$trace$learning_rate[1:2], c(2, 2 / 1.5))
})

test_that("non-convergence warns, naming gradglm, and sets converged = FALSE", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  expect_warning(
    fit <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "gd",
                   control = gradglm_control(max_iter = 2)),
    "gradglm.*converge"
  )
  expect_false(fit$converged)
  expect_equal(fit$iter, 2L)
  expect_valid_trace(fit, "gd max_iter = 2")
  expect_lte(nrow(fit$trace), 3L)
  # settings in ... reach the control, as glm passes ... to glm.control
  expect_warning(fit <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial,
                                optimizer = "gd", max_iter = 3), "gradglm.*converge")
  expect_false(fit$converged)
  expect_equal(fit$iter, 3L)
  # newton too
  expect_warning(
    fit <- gradglm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = bw,
                   family = binomial(link = "cloglog"), optimizer = "newton",
                   control = gradglm_control(max_iter = 1)),
    "gradglm.*converge"
  )
  expect_false(fit$converged)
  # L-BFGS's limit counts glm's start, its first iteration, as Newton's does
  expect_warning(fit <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial, optimizer = "lbfgs",
                                control = gradglm_control(max_iter = 2)), "did not converge in 2 iterations")
  expect_identical(fit$iter, 2L)
  expect_lte(max(fit$trace$iter), 1L)
  # the matrix interface names itself
  X <- cbind(1, bw$age, bw$lwt)
  expect_warning(fit <- gradglm_fit(X, bw$low, family = binomial(), optimizer = "gd",
                                    control = gradglm_control(max_iter = 2)),
                 "gradglm_fit.*converge")
  expect_false(fit$converged)
})

test_that("\"exact\" is only for gaussian identity; \"auto\" resolves to exact or newton", {
  expect_error(gradglm(am ~ wt, data = mtcars, family = binomial, optimizer = "exact"),
               "gradglm.*exact")
  expect_error(gradglm(carb ~ wt, data = mtcars, family = poisson, optimizer = "exact"),
               "gradglm.*exact")
  expect_error(gradglm(mpg ~ wt, data = mtcars, family = gaussian(link = "log"), optimizer = "exact"),
               "gradglm.*exact")
  expect_error(gradglm_fit(cbind(1, mtcars$wt), mtcars$am, family = binomial(), optimizer = "exact"),
               "gradglm_fit.*exact")
  expect_error(gradglm(mpg ~ wt, data = mtcars, optimizer = "bfgs"), "gradglm.*optimizer")
  expect_identical(gradglm(mpg ~ wt, data = mtcars)$optimizer, "exact")
  expect_identical(gradglm(mpg ~ wt, data = mtcars, optimizer = "auto")$optimizer, "exact")
  expect_identical(gradglm(mpg ~ wt, data = mtcars, family = gaussian("log"))$optimizer, "newton")
  expect_identical(gradglm(am ~ wt, data = mtcars, family = binomial)$optimizer, "newton")
  expect_identical(gradglm(carb ~ wt, data = mtcars, family = poisson("sqrt"))$optimizer, "newton")
  expect_identical(gradglm(mpg ~ wt, data = mtcars, optimizer = "gd")$optimizer, "gd")
  expect_identical(gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg)$optimizer, "exact")
})

test_that("a start vector is used and gives the same answer", {
  ref <- glm(breaks ~ wool + tension, data = warpbreaks, family = poisson, control = glm_tight)
  for (opt in c("newton", "gd")) {
    fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson, optimizer = opt,
                   start = c(3, 0, 0, 0))
    expect_true(fit$converged)
    expect_close(fit$coefficients, coef(ref), if (opt == "gd") 1e-4 else 1e-6, label = paste("start", opt))
    # the trace starts at the given start
    mu0 <- exp(rep(3, nrow(warpbreaks)))
    loss0 <- sum(poisson()$dev.resids(warpbreaks$breaks, mu0, 1)) / (2 * nrow(warpbreaks))
    expect_close(fit$trace$loss[1], loss0, 1e-10, label = paste("first trace loss", opt))
  }
  # started at the solution, newton stops at once
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson, optimizer = "newton",
                 start = coef(ref))
  expect_lte(fit$iter, 2L)
  expect_close(fit$coefficients, coef(ref), 1e-8, label = "start at the solution")
  # a start where the loss is infinite (poisson identity: mu <= 0) is an error, not a crash
  expect_error(gradglm(count ~ spray, data = InsectSprays, family = poisson("identity"),
                       start = c(-5, 0, 0, 0, 0, 0)), "gradglm")
})

test_that("trace = FALSE and verbose = TRUE", {
  fit <- gradglm(am ~ wt, data = mtcars, family = binomial, control = gradglm_control(trace = FALSE))
  ref <- gradglm(am ~ wt, data = mtcars, family = binomial)
  expect_equal(fit$coefficients, ref$coefficients, tolerance = 1e-12)
  expect_s3_class(fit$trace, "data.frame")
  expect_identical(names(fit$trace), trace_cols)
  # the progress bar (cli) goes to the message stream once cli's delay has passed
  withr_opts <- options(cli.progress_show_after = 0, cli.dynamic = FALSE)
  on.exit(options(withr_opts), add = TRUE)
  msgs <- capture_messages(gradglm(am ~ wt, data = mtcars, family = binomial,
                                   control = gradglm_control(verbose = TRUE)))
  expect_match(paste(msgs, collapse = ""), "loss")
  expect_silent(gradglm(am ~ wt, data = mtcars, family = binomial))
})

test_that("newton on a large data set (subsample start) matches glm", {
  set.seed(42)
  n <- 250000L
  X <- cbind(1, matrix(rnorm(n * 3), n, 3))
  beta <- c(-0.5, 1, -0.7, 0.3)
  y <- rbinom(n, 1, plogis(drop(X %*% beta)))
  r <- glm.fit(X, y, family = binomial(), control = glm_tight)
  fit <- gradglm_fit(X, y, family = binomial())
  expect_identical(fit$optimizer, "newton")
  expect_true(fit$converged)
  expect_close(fit$coefficients, coef(r), 1e-6, label = "large logistic, newton")
  expect_close(fit$deviance, r$deviance, 1e-8, label = "large logistic deviance")
  expect_loss_nonincreasing(fit, "large logistic")
  yc <- rpois(n, exp(drop(X %*% (beta / 2))))
  r <- glm.fit(X, yc, family = poisson(), control = glm_tight)
  fit <- gradglm_fit(X, yc, family = poisson())
  expect_close(fit$coefficients, coef(r), 1e-6, label = "large poisson, newton")
})

test_that("gd and L-BFGS stopped by a flat loss along a large gradient say they did not converge", {
  # (before: the start, or the first point, returned as converged, without a warning)
  set.seed(10)
  n <- 300
  x <- runif(n)
  d1 <- data.frame(y = 1e8 * (2 + x) * rgamma(n, 20, 20), x)
  expect_warning(f1 <- gradglm(y ~ x, d1, family = Gamma("identity"), optimizer = "gd"),
                 "no step lowers the loss although the gradient norm is")
  expect_false(f1$converged)
  # (the message names the bound the stop applied: sqrt(tol), here of gd's default tol 1e-8)
  expect_match(f1$message, "gradient norm is [0-9.e+-]+ \\(above sqrt\\(tol\\) = 0.0001\\)")
  # (a linear model's loss is smooth: flat, and the hint is Newton)
  expect_match(f1$message, "the loss is flat to machine precision along a badly scaled gradient", fixed = TRUE)
  expect_warning(gradglm(y ~ x, d1, family = Gamma("identity"), optimizer = "gd"), "\"newton\" reaches the optimum")
  d2 <- data.frame(y = 1e4 * (2 + x) * rgamma(n, 20, 20), x)
  expect_warning(f2 <- gradglm(y ~ x, d2, family = gaussian("inverse"), optimizer = "lbfgs"),
                 "the lbfgs optimizer did not converge .*no step lowers the loss although the gradient norm is")
  expect_false(f2$converged)
  # nearly collinear columns: L-BFGS stops short (deviance 237.930 against 237.833), and the
  # warning of a nearly singular curvature says so and names the way out
  set.seed(1)
  x1 <- runif(200, 0.5, 1.5)
  d4 <- data.frame(x1 = x1, x2 = runif(200), x3 = x1 + 1e-6 * rnorm(200))
  d4$y <- rpois(200, exp(1 + 0.5 * d4$x1 + d4$x2))
  expect_warning(gradglm(y ~ x1 + x2 + x3, d4, family = poisson, optimizer = "lbfgs"),
                 "nearly singular.*a first-order optimizer stops short of the optimum")
  # at a minimum to machine precision the same stop is convergence
  f3 <- gradglm(y ~ x, transform(d1, y = y / 1e8), family = Gamma("identity"), optimizer = "lbfgs")
  expect_true(f3$converged)
  expect_equal(coef(f3), coef(glm(y ~ x, transform(d1, y = y / 1e8), family = Gamma("identity"),
                                  control = glm.control(epsilon = 1e-14, maxit = 100))), tolerance = 1e-6)
})

test_that("a linear model's exact fit is converged, as glm reports it, whichever optimizer", {
  # (its deviance is 0 and its log-likelihood Inf, or NaN beside zero weights,
  # as glm's: the coefficients are exact; the degenerate-fit rule is for
  # non-finite deviances and networks)
  d1 <- data.frame(x = 0.5, y = 1.2)
  g1 <- glm(y ~ x, data = d1)
  for (opt in c("auto", "newton", "lbfgs", "gd")) {
    fit <- expect_silent(gradglm(y ~ x, data = d1, optimizer = opt))
    expect_identical(fit$converged, g1$converged, info = opt)
    expect_equal(unname(coef(fit))[1], unname(coef(g1))[1], tolerance = 1e-8, info = opt)
  }
  fit <- gradglm(y ~ x, data = d1)
  expect_identical(as.numeric(logLik(fit)), as.numeric(logLik(g1)))
  d <- data.frame(x = 1:5, y = c(2, 1, 4, 3, 5))
  w <- c(1, 0, 0, 0, 0)
  g <- glm(y ~ 1, data = d, weights = w)
  fit <- expect_silent(gradglm(y ~ 1, data = d, weights = w))
  expect_identical(fit$converged, g$converged)
  expect_identical(is.nan(as.numeric(logLik(fit))), is.nan(as.numeric(logLik(g))))
  fit <- expect_silent(gradglm_fit(cbind(1, 2), 3))
  expect_true(fit$converged)
})
