# The minibatch optimizers "sgd" and "adam" (src/optimizer.cpp: stochastic();
# R/optimizer.R: opt_sgd(), opt_adam(); R/fit.R: check_batch_size(),
# check_rate()). Their fits are compared with Newton's on the same model.
#
# Accuracy is measured as the per-observation log-likelihood gap
#   (logLik(newton) - logLik(sgd/adam)) / nobs
# and, for the coefficients, as max |b - b_newton| / SE(newton). Measured with
# the defaults and set.seed(1) (and re-checked with seeds 2-5), over the
# datasets below: largest gap 1.3e-4 (adam, InsectSprays poisson(identity)),
# largest coefficient deviation 0.11 SE (the same fit); every other fit is
# below 0.07 SE. The tests ask for 1e-3 and 0.25 SE.

# a fit's log-likelihood gap to a reference, per observation
loglik_gap <- function(ref, fit) {
  (as.numeric(logLik(ref)) - as.numeric(logLik(fit))) / nobs(ref)
}

# the largest coefficient difference in units of the reference's SEs
se_deviation <- function(ref, fit) {
  max(abs(coef(fit) - coef(ref)) / sqrt(diag(vcov(ref))))
}

# A sgd / adam fit against the Newton fit of the same call: no warning,
# converged, within `gap_tol` in log-likelihood per observation and
# `se_tol` standard errors in every coefficient. `call` is a quoted gradglm()
# call without an optimizer. Returns the fit (invisibly).
expect_near_newton <- function(call, optimizer, label, gap_tol = 1e-3, se_tol = 0.25,
                               seed = 1, env = parent.frame(), epochs_trace = TRUE) {
  rcall <- call
  rcall$optimizer <- "newton"
  ref <- eval(rcall, env)
  ocall <- call
  ocall$optimizer <- optimizer
  set.seed(seed)
  fit <- quiet_fit(eval(ocall, env))
  lab <- paste0(label, " (", if (is.character(optimizer)) optimizer else optimizer$name, ")")
  warns <- attr(fit, "warnings")
  expect(length(warns) == 0L, sprintf("%s warned: %s", lab, paste(warns, collapse = "; ")))
  expect(isTRUE(fit$converged), sprintf("%s did not converge: %s", lab, fit$message))
  gap <- loglik_gap(ref, fit)
  expect(is.finite(gap) && gap < gap_tol,
         sprintf("%s: log-likelihood gap per observation %.3g >= %.3g", lab, gap, gap_tol))
  dev <- se_deviation(ref, fit)
  expect(is.finite(dev) && dev < se_tol,
         sprintf("%s: coefficients %.3g SEs from Newton's (limit %.3g)", lab, dev, se_tol))
  # one trace row per epoch, plus the start (laplace: its smoothing stages
  # and exact finish are stitched together; see the test of its trace)
  tr_iter <- fit$trace$iter
  ok <- if (epochs_trace) identical(tr_iter, 0:fit$iter) else {
    all(diff(tr_iter) >= 0L) && tr_iter[length(tr_iter)] == fit$iter
  }
  expect(ok, sprintf("%s: trace$iter is not 0:%d", lab, fit$iter))
  invisible(fit)
}

birthwt <- MASS::birthwt
birthwt$race <- factor(birthwt$race)

# the models on which the defaults must reach Newton's fit
default_cases <- list(
  "mtcars gaussian" = quote(gradglm(mpg ~ wt + hp + factor(cyl), data = mtcars)),
  "ToothGrowth gaussian" = quote(gradglm(len ~ supp * dose, data = ToothGrowth)),
  "mtcars gaussian(log)" = quote(gradglm(mpg ~ wt + hp, data = mtcars, family = gaussian(link = "log"))),
  "birthwt logit" = quote(gradglm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = birthwt,
                                  family = binomial())),
  "birthwt probit" = quote(gradglm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = birthwt,
                                   family = binomial(link = "probit"))),
  "birthwt cloglog" = quote(gradglm(low ~ age + lwt + race + smoke + ptl + ht + ui, data = birthwt,
                                    family = binomial(link = "cloglog"))),
  "esoph binomial" = quote(gradglm(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, data = esoph,
                                   family = binomial())),
  "warpbreaks poisson" = quote(gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson())),
  "InsectSprays poisson(sqrt)" = quote(gradglm(count ~ spray, data = InsectSprays,
                                               family = poisson(link = "sqrt"))),
  "InsectSprays poisson(identity)" = quote(gradglm(count ~ spray, data = InsectSprays,
                                                   family = poisson(link = "identity"))),
  "Insurance poisson offset" = quote(gradglm(Claims ~ District + Group + Age + offset(log(Holders)),
                                             data = MASS::Insurance, family = poisson())),
  "mtcars binomial" = quote(gradglm(am ~ wt + hp, data = mtcars, family = binomial())),
  "cars gaussian" = quote(gradglm(dist ~ speed, data = cars)),
  "mtcars no intercept" = quote(gradglm(mpg ~ wt + hp - 1, data = mtcars))
)

test_that("sgd and adam with their defaults reach Newton's fit on GLMs", {
  for (label in names(default_cases)) {
    for (opt in c("sgd", "adam")) {
      expect_near_newton(default_cases[[label]], opt, label)
    }
  }
})

test_that("longley (condition number ~1e4 in correlation scale): both reach the MLE", {
  # sgd needs many of its cheap full-batch steps here: the default epoch
  # limit allows 200,000 minibatch steps on small data
  call <- quote(gradglm(Employed ~ ., data = longley))
  expect_near_newton(call, "sgd", "longley")
  expect_near_newton(call, "adam", "longley")
  set.seed(1)
  fit <- gradglm(Employed ~ ., data = longley, optimizer = "sgd")
  expect_gt(fit$iter, 20000L)   # more than the former 20,000-step limit allowed
  # an explicit, smaller limit still stops it, with the documented warning
  set.seed(1)
  expect_warning(short <- gradglm(Employed ~ ., data = longley, optimizer = opt_sgd(max_epochs = 20000)),
                 "sgd optimizer did not converge in 20000 epochs")
  expect_false(short$converged)
  expect_identical(short$iter, 20000L)
  expect_match(short$message, "epoch limit")
})

test_that("a Gaussian GLM's sgd and adam fits do not depend on the response's units", {
  # (the loss is measured in units of the dispersion, its stopping rule's
  # tolerance too: a response of 1e-6 stopped at epoch 192 instead of 373)
  set.seed(1)
  d <- data.frame(x1 = runif(500, -2, 2), x2 = rnorm(500))
  y <- 1 + d$x1 + 0.5 * d$x2 + rnorm(500, sd = 0.3)
  for (opt in c("sgd", "adam")) {
    fit_at <- function(s) {
      set.seed(2)
      gradglm(y ~ x1 + x2, data = transform(d, y = y * s), optimizer = opt)
    }
    one <- fit_at(1)
    for (s in c(1e-6, 1e6)) {
      f <- fit_at(s)
      expect_identical(f$iter, one$iter, label = paste(opt, s))
      expect_equal(coef(f) / s, coef(one), tolerance = 1e-8, label = paste(opt, s))
    }
  }
})

test_that("the spec strings and specs with the default settings give the same fit", {
  set.seed(1)
  a <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "adam")
  set.seed(1)
  b <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = opt_adam())
  expect_identical(coef(a), coef(b))
  set.seed(1)
  a <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "sgd")
  set.seed(1)
  b <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = opt_sgd())
  expect_identical(coef(a), coef(b))
  expect_identical(a$optimizer, "sgd")
})

test_that("prior weights and offsets are honoured", {
  w <- rep(1:2, 16)
  wb <- warpbreaks
  wb$ww <- rep(c(1, 0.5, 2), 18)
  wb$off <- rep(c(0, 0.1), 27)
  cases <- list(
    "mtcars gaussian, weights" = quote(gradglm(mpg ~ wt + hp, data = mtcars, weights = w)),
    "mtcars binomial, weights" = quote(gradglm(am ~ wt + hp, data = mtcars, weights = w,
                                               family = binomial())),
    "Insurance, offset argument" = quote(gradglm(Claims ~ District + Group + Age, offset = log(Holders),
                                                 data = MASS::Insurance, family = poisson())),
    "warpbreaks, weights and offset" = quote(gradglm(breaks ~ wool + tension + offset(off), weights = ww,
                                                     data = wb, family = poisson()))
  )
  for (label in names(cases)) {
    for (opt in c("sgd", "adam")) expect_near_newton(cases[[label]], opt, label)
  }
  # the weights matter: the unweighted fit is a different one
  set.seed(1)
  fw <- gradglm(mpg ~ wt + hp, data = mtcars, weights = w, optimizer = "adam")
  set.seed(1)
  f1 <- gradglm(mpg ~ wt + hp, data = mtcars, optimizer = "adam")
  expect_gt(max(abs(coef(fw) - coef(f1)) / sqrt(diag(vcov(f1)))), 0.05)
})

test_that("distributional families: sigma models, student_t and laplace", {
  cases <- list(
    "cars sigma = ~ speed" = quote(gradglm(dist ~ speed, sigma = ~ speed, data = cars)),
    "cars sigma = ~ speed, weights" = quote(gradglm(dist ~ speed, sigma = ~ speed, data = cars,
                                                    weights = rep(1:2, 25))),
    "stackloss student_t(4)" = quote(gradglm(stack.loss ~ ., data = stackloss, family = student_t(df = 4))),
    "cars student_t(4)" = quote(gradglm(dist ~ speed, data = cars, family = student_t(df = 4))),
    "cars student_t(), df estimated" = quote(gradglm(dist ~ speed, data = cars, family = student_t())),
    "stackloss student_t(), df estimated" = quote(gradglm(stack.loss ~ ., data = stackloss,
                                                          family = student_t())),
    "stackloss laplace" = quote(gradglm(stack.loss ~ ., data = stackloss, family = laplace()))
  )
  for (label in names(cases)) {
    for (opt in c("sgd", "adam")) {
      fit <- expect_near_newton(cases[[label]], opt, label, epochs_trace = !grepl("laplace", label))
      expect_identical(fit$kind, "likelihood")
    }
  }
  # the df is estimated: a log(df) coefficient
  set.seed(1)
  ft <- gradglm(dist ~ speed, data = cars, family = student_t(), optimizer = "adam")
  expect_true("log(df)" %in% names(coef(ft)))
  # laplace ends with the exact LAD finish: Newton's fit to rounding
  ref <- gradglm(stack.loss ~ ., data = stackloss, family = laplace(), optimizer = "newton")
  for (opt in c("sgd", "adam")) {
    set.seed(1)
    fit <- gradglm(stack.loss ~ ., data = stackloss, family = laplace(), optimizer = opt)
    expect_close(coef(fit), coef(ref), tol = 1e-8, label = paste("laplace", opt))
    expect_close(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tol = 1e-10)
  }
})

test_that("a laplace fit by sgd / adam keeps the start row and the epochs' learning rates", {
  # The documented trace of sgd and adam: row 0 is the start, and
  # learning_rate is each epoch's rate. fit_laplace() (src/fit_dist.cpp)
  # stitches the smoothing stages with append_trace(), which drops rows whose
  # step is NaN (the minibatch start row) and builds TraceRow{} without the
  # learning rate.
  for (opt in c("sgd", "adam")) {
    set.seed(1)
    fit <- gradglm(stack.loss ~ ., data = stackloss, family = laplace(), optimizer = opt)
    tr <- fit$trace
    expect_identical(tr$iter[1], 0L, label = paste(opt, "first trace iter"))
    # the epochs of the first smoothing stage ran at the default rate 0.01
    expect_identical(tr$learning_rate[2], 0.01, label = paste(opt, "learning_rate of epoch 1"))
  }
})

test_that("a distributional fit with a validation share keeps its best epoch", {
  set.seed(1)
  fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars,
                 optimizer = opt_adam(validation = 0.2, patience = 20))
  expect_true("val_loss" %in% names(fit$trace))
  expect_true(all(is.finite(fit$trace$val_loss)))
  expect_identical(fit$best_epoch, fit$trace$iter[which.min(fit$trace$val_loss)])
})

test_that("the same seed gives the same fit, another seed another one", {
  fit_seed <- function(seed, opt) {
    set.seed(seed)
    spec <- if (opt == "sgd") opt_sgd(batch_size = 8) else opt_adam(batch_size = 8)
    gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = spec)
  }
  ref <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "newton")
  no_time <- function(tr) tr[setdiff(names(tr), "time")]
  for (opt in c("sgd", "adam")) {
    a <- fit_seed(3, opt)
    b <- fit_seed(3, opt)
    d <- fit_seed(4, opt)
    expect_identical(coef(a), coef(b))
    expect_identical(no_time(a$trace), no_time(b$trace))
    expect_identical(a$iter, b$iter)
    expect_false(identical(coef(a), coef(d)))
    expect_false(identical(no_time(a$trace)$loss, no_time(d$trace)$loss))
    # both still near the MLE
    expect_lt(loglik_gap(ref, a), 1e-3)
    expect_lt(loglik_gap(ref, d), 1e-3)
  }
  # the fit draws from R's generator, and only from it: a fit leaves the
  # stream where the same fit leaves it
  set.seed(5)
  fit_seed(5, "sgd")
  x1 <- runif(1)
  set.seed(5)
  fit_seed(5, "sgd")
  expect_identical(runif(1), x1)
})

# The validation rows as stochastic() draws them: a Fisher-Yates shuffle of
# the rows with R's generator (R_unif_index, as sample.int(k, 1) uses it) and
# the first round(validation * n) of the shuffled order. This mirrors the C++
# code: if the drawing changes, change it here too.
validation_rows <- function(n, validation) {
  order <- seq_len(n) - 1L
  for (i in (n - 1L):1L) {
    j <- sample.int(i + 1L, 1L) - 1L
    tmp <- order[i + 1L]
    order[i + 1L] <- order[j + 1L]
    order[j + 1L] <- tmp
  }
  nval <- max(1L, as.integer(round(validation * n)))
  sort(order[seq_len(nval)]) + 1L
}

test_that("early stopping keeps the coefficients of the best validation epoch", {
  fm <- low ~ age + lwt + race + smoke + ptl + ht + ui
  spec <- function(opt, ...) {
    if (opt == "sgd") opt_sgd(validation = 0.25, patience = 20, ...)
    else opt_adam(validation = 0.25, patience = 20, ...)
  }
  for (opt in c("sgd", "adam")) {
    # seed 2: the best epoch is 13 (sgd) and 39 (adam), not the start
    set.seed(2)
    fit <- gradglm(fm, data = birthwt, family = binomial(), optimizer = spec(opt))
    tr <- fit$trace
    expect_identical(names(tr), c("iter", "loss", "grad_norm", "step", "time", "learning_rate", "val_loss"))
    expect_true(all(is.finite(tr$val_loss)))
    expect_true(fit$converged)
    expect_match(fit$message, "early stopping")
    expect_match(fit$message, "20 epochs")
    best <- fit$best_epoch
    expect_type(best, "integer")
    # the epoch of the lowest validation loss (row 0, the start, counts too)
    expect_identical(best, tr$iter[which.min(tr$val_loss)])
    expect_gt(best, 0L)
    expect_lt(best, fit$iter)
    # it stopped `patience` epochs after the best one (with validation rows a
    # plateau halving does not restart the count)
    expect_identical(fit$iter - best, 20L)

    # the same seed, stopped at the best epoch: the same path, so the same
    # coefficients, now those of the last epoch
    set.seed(2)
    expect_warning(
      fit2 <- gradglm(fm, data = birthwt, family = binomial(), optimizer = spec(opt, max_epochs = best)),
      "did not converge"
    )
    expect_identical(fit2$iter, best)
    expect_identical(fit2$best_epoch, best)
    expect_equal(coef(fit2), coef(fit), tolerance = 0)
    keep <- setdiff(names(tr), "time")
    expect_equal(fit2$trace[keep], tr[seq_len(best + 1L), keep], tolerance = 0, ignore_attr = TRUE)

    # the val_loss of the best epoch is the mean loss of the kept coefficients
    # on the held-out rows (here the rows are redrawn as the C++ code draws them)
    set.seed(2)
    vrows <- validation_rows(nrow(birthwt), 0.25)
    p <- fitted(fit)[vrows]
    y <- birthwt$low[vrows]
    val <- -mean(y * log(p) + (1 - y) * log(1 - p))
    expect_equal(val, tr$val_loss[best + 1L], tolerance = 1e-10)
  }

  # no validation share: no val_loss column and no best epoch
  set.seed(2)
  fit <- gradglm(fm, data = birthwt, family = binomial(), optimizer = "sgd")
  expect_identical(names(fit$trace), c("iter", "loss", "grad_norm", "step", "time", "learning_rate"))
  expect_null(fit$best_epoch)
  expect_false(grepl("early stopping", fit$message))
})

test_that("the trace has one row per epoch and the scheduled learning rates", {
  rate <- 0.05
  decay <- 0.1
  max_epochs <- 40L
  t <- 0:(max_epochs - 1L)
  expected <- list(
    constant = rep(rate, max_epochs),
    inverse = rate / (1 + decay * t),
    exponential = rate * exp(-decay * t),
    step = rate * 0.5^floor(decay * t),
    cosine = rate * (1 + cos(pi * t / max_epochs)) / 2
  )
  for (opt in c("sgd", "adam")) {
    for (sch in names(expected)) {
      spec <- if (opt == "sgd") {
        opt_sgd(learning_rate = rate, schedule = sch, decay = decay, max_epochs = max_epochs)
      } else {
        opt_adam(learning_rate = rate, schedule = sch, decay = decay, max_epochs = max_epochs)
      }
      set.seed(1)
      fit <- quiet_fit(gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = spec))
      tr <- fit$trace
      lab <- paste(opt, sch)
      expect_identical(names(tr), c("iter", "loss", "grad_norm", "step", "time", "learning_rate"))
      expect_identical(tr$iter, 0:fit$iter)
      expect_identical(nrow(tr), fit$iter + 1L)
      expect_true(is.na(tr$learning_rate[1]) && is.na(tr$step[1]))
      expect_true(all(is.finite(unlist(tr[-1, ]))), label = lab)
      expect_true(all(diff(tr$time) >= 0), label = lab)
      expect_close(tr$learning_rate[-1], expected[[sch]][seq_len(fit$iter)], tol = 1e-12, label = lab)
    }
  }

  # plateau (the default): non-increasing, every change a halving, and
  # 10 halvings when that is why it stopped
  for (opt in c("sgd", "adam")) {
    set.seed(1)
    fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = opt)
    r <- fit$trace$learning_rate[-1]
    expect_identical(r[1], 0.01)
    ratio <- r[-1] / r[-length(r)]
    expect_true(all(ratio == 1 | ratio == 0.5))
    # halved at most 10 times; here the fit reaches that floor and then stops
    # on the patience rule
    expect_match(fit$message, "did not improve")
    expect_identical(min(r), 0.01 / 2^10)
    expect_identical(length(unique(r)), 11L)
  }
})

test_that("a learning rate that blows the loss up is an error that says so", {
  set.seed(1)
  expect_error(
    gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson(),
            optimizer = opt_sgd(learning_rate = 50)),
    "learning rate 50 is too large.*opt_sgd\\(learning_rate = 5\\)"
  )
  set.seed(1)
  expect_error(
    gradglm(breaks ~ wool * tension, data = warpbreaks, family = poisson(),
            optimizer = opt_adam(learning_rate = 100)),
    "learning rate 100 is too large.*opt_adam\\(learning_rate = 10\\)"
  )
  set.seed(1)
  expect_error(gradglm(count ~ spray, data = InsectSprays, family = poisson(),
                       optimizer = opt_adam(learning_rate = 100)),
               "too large: the training loss was above its starting value in 10 epochs.*learning_rate = 10")
  set.seed(1)
  expect_error(gradglm(mpg ~ wt + hp, data = mtcars, optimizer = opt_sgd(learning_rate = 50)),
               "too large.*learning_rate")
  # through gradglm_fit() too
  X <- model.matrix(~ wool * tension, data = warpbreaks)
  set.seed(1)
  expect_error(gradglm_fit(X, warpbreaks$breaks, family = poisson(), optimizer = opt_sgd(learning_rate = 50)),
               "^gradglm_fit: the learning rate 50 is too large")
})

test_that("a too-large learning rate on a distributional model is the same error", {
  # cars dist ~ speed, sigma = ~ speed has a bounded likelihood (Newton fits
  # it); a blown-up rate must be reported as such, not as an unbounded
  # likelihood, and must not return the blown-up coefficients
  ref <- gradglm(dist ~ speed, sigma = ~ speed, data = cars, optimizer = "newton")
  expect_true(ref$converged)
  outcome <- function(spec) {
    set.seed(1)
    tryCatch(quiet_fit(gradglm(dist ~ speed, sigma = ~ speed, data = cars, optimizer = spec)),
             error = function(e) e)
  }
  for (case in list(list(opt_sgd(learning_rate = 50), "learning rate 50 is too large"),
                    list(opt_adam(learning_rate = 100), "learning rate 100 is too large"))) {
    res <- outcome(case[[1]])
    lab <- paste0(case[[1]]$name, "(learning_rate = ", case[[1]]$settings$learning_rate, ")")
    if (inherits(res, "error")) {
      expect(grepl(case[[2]], conditionMessage(res)),
             sprintf("%s: error \"%s\", expected one matching \"%s\"", lab, conditionMessage(res), case[[2]]))
    } else {
      fail(sprintf("%s: no error; the fit has logLik %.4g (Newton: %.4g) and warned: %s", lab,
                   as.numeric(logLik(res)), as.numeric(logLik(ref)),
                   paste(attr(res, "warnings"), collapse = "; ")))
    }
  }
})

test_that("invalid settings are errors naming the setting", {
  expect_error(opt_sgd(learning_rate = -1), "opt_sgd: 'learning_rate' must be a single positive number")
  expect_error(opt_sgd(learning_rate = 0), "opt_sgd: 'learning_rate'")
  expect_error(opt_adam(learning_rate = 0), "opt_adam: 'learning_rate'")
  expect_error(opt_adam(learning_rate = NA), "opt_adam: 'learning_rate'")
  expect_error(opt_sgd(batch_size = 2.5), "opt_sgd: 'batch_size' must be a positive whole number")
  expect_error(opt_sgd(batch_size = 0), "opt_sgd: 'batch_size'")
  expect_error(opt_adam(batch_size = 0.5), "opt_adam: 'batch_size'")
  expect_error(opt_adam(batch_size = "8"), "opt_adam: 'batch_size'")
  expect_error(opt_sgd(momentum = 1), "opt_sgd: 'momentum' must be a single number in \\[0, 1\\)")
  expect_error(opt_sgd(momentum = -0.1), "opt_sgd: 'momentum'")
  expect_error(opt_adam(beta1 = 1), "opt_adam: 'beta1' must be a single number in \\[0, 1\\)")
  expect_error(opt_adam(beta1 = -0.1), "opt_adam: 'beta1'")
  expect_error(opt_adam(beta2 = 1), "opt_adam: 'beta2'")
  expect_error(opt_adam(beta2 = -0.5), "opt_adam: 'beta2'")
  expect_error(opt_sgd(nesterov = TRUE, momentum = 0), "opt_sgd: 'nesterov = TRUE' needs a 'momentum' above 0")
  expect_error(opt_sgd(nesterov = NA), "opt_sgd: 'nesterov'")
  expect_error(opt_sgd(validation = 1), "opt_sgd: 'validation' must be a single number in \\[0, 1\\)")
  expect_error(opt_adam(validation = -0.1), "opt_adam: 'validation'")
  expect_error(opt_sgd(patience = 0), "opt_sgd: 'patience' must be a positive whole number")
  expect_error(opt_adam(patience = 2.5), "opt_adam: 'patience'")
  expect_error(opt_sgd(schedule = "linear"), "opt_sgd: 'schedule' must be one of .*\"plateau\"")
  expect_error(opt_adam(schedule = c("constant", "step")), "opt_adam: 'schedule'")
  expect_error(opt_gd(schedule = "plateau"), "opt_gd: 'schedule' must be one of")
  expect_error(opt_adam(epsilon = 0), "opt_adam: 'epsilon' must be a single positive number")
  expect_error(opt_adam(epsilon = -1), "opt_adam: 'epsilon'")
  expect_error(opt_sgd(max_epochs = 0), "opt_sgd: 'max_epochs' must be a positive whole number")
  expect_error(opt_adam(max_epochs = 1.5), "opt_adam: 'max_epochs'")
  expect_error(opt_sgd(max_epochs = NA), "opt_sgd: 'max_epochs'")
  expect_error(opt_sgd(decay = -1), "opt_sgd: 'decay'")
  expect_error(opt_adam(tol = 0), "opt_adam: 'tol'")
  # valid boundary values are accepted
  expect_s3_class(opt_sgd(momentum = 0, validation = 0, batch_size = 1, patience = 1, max_epochs = 1),
                  "gradglm_optimizer")
  expect_s3_class(opt_adam(beta1 = 0, beta2 = 0), "gradglm_optimizer")
  expect_s3_class(opt_gd(schedule = "cosine"), "gradglm_optimizer")

  # a batch larger than the data is an error at fit time
  expect_error(gradglm(mpg ~ wt, data = mtcars, optimizer = opt_sgd(batch_size = 33)),
               "gradglm: 'batch_size' \\(33\\) is larger than the number of observations \\(32\\)")
  expect_error(gradglm(dist ~ speed, sigma = ~ 1, data = cars, optimizer = opt_adam(batch_size = 51)),
               "'batch_size' \\(51\\).*\\(50\\)")
  expect_error(gradglm_fit(cbind(1, mtcars$wt), mtcars$mpg, optimizer = opt_adam(batch_size = 40)),
               "gradglm_fit: 'batch_size' \\(40\\).*\\(32\\)")
  # a batch of all the rows is fine
  set.seed(1)
  expect_no_error(quiet_fit(gradglm(mpg ~ wt, data = mtcars, optimizer = opt_sgd(batch_size = 32))))
  # a validation share that leaves nothing to train on
  expect_error(gradglm(mpg ~ wt, data = mtcars[1:3, ], optimizer = opt_sgd(validation = 0.9)),
               "'validation' leaves no rows to train on")
})

test_that("the messages of invalid minibatch settings", {
  expect_snapshot(error = TRUE, {
    opt_sgd(learning_rate = 0)
    opt_sgd(batch_size = 2.5)
    opt_adam(beta2 = 1)
    opt_sgd(nesterov = TRUE, momentum = 0)
    opt_adam(validation = 1)
    opt_sgd(patience = 0)
    opt_gd(schedule = "plateau")
    opt_adam(epsilon = 0)
    gradglm(mpg ~ wt, data = mtcars, optimizer = opt_sgd(batch_size = 33))
  })
})

test_that("gradglm_fit() with adam matches gradglm() with the same seed", {
  X <- model.matrix(am ~ wt + hp, data = mtcars)
  set.seed(7)
  a <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "adam")
  set.seed(7)
  b <- gradglm_fit(X, mtcars$am, family = binomial(), optimizer = "adam")
  expect_identical(unname(coef(b)), unname(coef(a)))
  expect_identical(names(coef(b)), colnames(X))
  expect_identical(b$iter, a$iter)
  keep <- setdiff(names(a$trace), "time")
  expect_identical(b$trace[keep], a$trace[keep])
  # a distributional fit through x_sigma
  Z <- model.matrix(~ speed, data = cars)
  Xc <- model.matrix(dist ~ speed, data = cars)
  set.seed(7)
  a <- gradglm(dist ~ speed, sigma = ~ speed, data = cars, optimizer = "sgd")
  set.seed(7)
  b <- gradglm_fit(Xc, cars$dist, x_sigma = Z, optimizer = "sgd")
  expect_identical(unname(coef(b)), unname(coef(a)))
})

test_that("verbose fits show the epochs and the loss", {
  old <- options(cli.progress_show_after = 0, cli.dynamic = FALSE)
  on.exit(options(old), add = TRUE)
  set.seed(1)
  msgs <- capture_messages(
    fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "sgd",
                   control = gradglm_control(verbose = TRUE))
  )
  expect_gt(length(msgs), 0)
  txt <- paste(msgs, collapse = "\n")
  expect_match(txt, "epoch")
  expect_match(txt, "loss")
  # the last line shows the last epoch
  expect_match(txt, paste0("epoch +", fit$iter, "/"))
  # verbose does not change the fit
  set.seed(1)
  quiet <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "sgd")
  expect_identical(coef(quiet), coef(fit))
})

test_that("compare_optimizers() runs sgd and adam to Newton's loss", {
  set.seed(1)
  cmp <- compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(),
                            optimizers = c("newton", "adam", "sgd"))
  tab <- cmp$table
  expect_identical(tab$optimizer, c("newton", "adam", "sgd"))
  expect_true(all(tab$converged))
  expect_true(all(is.finite(tab$loss_gap)))
  expect_lt(max(tab$loss_gap), 1e-3)
  expect_identical(tab$loss_gap[tab$optimizer == "newton"], 0)
  # the epochs are the iterations of the minibatch rows
  expect_identical(tab$iterations[2:3], c(cmp$fits$adam$iter, cmp$fits$sgd$iter))
  expect_identical(names(cmp$traces$adam)[6], "learning_rate")
})

test_that("a step that leaves the likelihood's domain is undone and the rate halved", {
  # poisson(identity): a mean pushed below 0 makes a batch's loss infinite
  ref <- gradglm(count ~ spray, data = InsectSprays, family = poisson("identity"))
  set.seed(1)
  fit <- gradglm(count ~ spray, data = InsectSprays, family = poisson("identity"),
                 optimizer = opt_sgd(learning_rate = 0.05, schedule = "constant"))
  rates <- fit$trace$learning_rate[-1]
  # the constant schedule's rate only changes through such halvings
  expect_lt(min(rates), 0.05)
  ratio <- rates[-1] / rates[-length(rates)]
  expect_true(all(ratio <= 1 & log2(1 / ratio) == round(log2(1 / ratio))))
  expect_true(all(is.finite(fit$trace$loss)))
  # with the default (plateau) schedule the same rate ends at the optimum
  set.seed(1)
  fit2 <- gradglm(count ~ spray, data = InsectSprays, family = poisson("identity"),
                  optimizer = opt_sgd(learning_rate = 0.05))
  expect_lt((as.numeric(logLik(ref)) - as.numeric(logLik(fit2))) / nobs(ref), 1e-3)
})

test_that("anova() of an sgd or adam fit refits its sub-models by the exact route", {
  for (opt in c("sgd", "adam")) {
    set.seed(11)
    fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(), optimizer = opt)
    ref <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson())
    a <- anova(fit)
    b <- anova(ref)
    # the sub-model (wool alone) is the exact Newton fit, whatever optimizer fitted the full model
    expect_equal(a[["Resid. Dev"]][2], b[["Resid. Dev"]][2], tolerance = 1e-10, info = opt)
    expect_identical(gradglm:::.methods_refit_optimizer(fit), "auto")
  }
})

test_that("a large design's batches have batch_size rows (runs of rows are split to fill them)", {
  set.seed(2)
  n <- 300000  # (a design of 4.8 MB: rows shuffled in runs of up to 16)
  big <- data.frame(x = rnorm(n))
  big$y <- rbinom(n, 1, plogis(0.3 + big$x))
  # plain SGD at a tiny rate: each batch's mean gradient is the data's, so the
  # distance moved in the epoch over (rate x gradient norm) counts the steps
  steps <- function(bs) {
    set.seed(1)
    f <- suppressWarnings(gradglm(y ~ x, data = big, family = binomial(),
                                  optimizer = opt_sgd(learning_rate = 1e-9, momentum = 0, batch_size = bs,
                                                      max_epochs = 1)))
    f$trace$step[2] / (1e-9 * f$trace$grad_norm[1])
  }
  # (before: batches of 48 rows for 40 asked, 6250 steps)
  expect_equal(steps(40), n / 40, tolerance = 1e-3)
  expect_equal(steps(25), n / 25, tolerance = 1e-3)
})

test_that("a large minibatch's runs shared between two threads give the one-thread fit", {
  # 30,000 rows (passes run on threads from 20,000): a batch of 512 rows of 12
  # columns is worth two threads, a batch of 32 is not; a network's batch of 64 (32 units) is
  set.seed(21)
  n <- 30000
  d <- data.frame(matrix(rnorm(n * 11), n, 11))
  d$y <- rbinom(n, 1, plogis(0.3 * d$X1 - 0.5 * d$X2 + 0.2 * d$X3))
  fit_on <- function(threads, ...) {
    old <- options(gradglm.threads = threads)
    on.exit(options(old))
    set.seed(5)
    suppressWarnings(gradglm(y ~ ., data = d, family = binomial(), ...))
  }
  for (opt in list(opt_sgd(batch_size = 512, max_epochs = 3), opt_adam(batch_size = 32, max_epochs = 2),
                   opt_adam(batch_size = 512, max_epochs = 3, validation = 0.1))) {
    one <- fit_on(1L, optimizer = opt)
    two <- fit_on(2L, optimizer = opt)
    expect_equal(coef(two), coef(one), tolerance = 1e-10)
    expect_equal(two$trace$loss, one$trace$loss, tolerance = 1e-12)
    expect_equal(nrow(two$trace), nrow(one$trace))
  }
  net1 <- fit_on(1L, model = mlp(32), optimizer = opt_adam(batch_size = 64, max_epochs = 2))
  net2 <- fit_on(2L, model = mlp(32), optimizer = opt_adam(batch_size = 64, max_epochs = 2))
  expect_equal(net2$trace$loss, net1$trace$loss, tolerance = 1e-10)
  expect_equal(unname(fitted(net2)), unname(fitted(net1)), tolerance = 1e-9)
  # the thread count changes the sums' order, not their terms: not every result is identical
  expect_true(is.finite(deviance(net2)))
})

test_that("on data its inputs do not explain, a minibatch fit ending just above its start returns the start, with a warning", {
  # (the start, the class shares or a sigma model's, is already about as good as
  # the model gets; sgd's steps end within their noise above it, which is no
  # sign of a learning rate too large)
  set.seed(3)
  n <- 30000
  d <- data.frame(cls = factor(sample(c("a", "b", "c"), n, TRUE)), x1 = rnorm(n), x2 = rnorm(n), y = rnorm(n))
  expect_warning(f <- gradglm(cls ~ ., data = d, family = multinomial(), optimizer = opt_sgd(),
                              control = gradglm_control(max_iter = 8)),
                 "ended above its starting value, so the starting values are returned")
  expect_false(f$converged)
  cf <- coef(f)
  expect_true(all(cf[grepl(":(x1|x2|y)$", names(cf))] == 0))
  shares <- as.vector(prop.table(table(d$cls)))
  expect_equal(unname(cf[c("b:(Intercept)", "c:(Intercept)")]), log(shares[2:3] / shares[1]), tolerance = 1e-10)
  # with the default epochs: fits, not errors
  expect_s3_class(quiet_fit(gradglm(cls ~ ., data = d, family = multinomial(), optimizer = opt_sgd())), "gradglm")
  expect_s3_class(quiet_fit(gradglm(y ~ x1, sigma = ~ x2, data = d, optimizer = opt_adam())), "gradglm")
})
