# Multinomial (softmax) regression: family = multinomial() (R/model-categorical.R,
# R/methods-categorical.R, src/categorical.cpp).
#
# The reference for every fit is the MLE computed here, in R: nnet::multinom at
# reltol = 1e-12, then polished by Newton steps on the exact multinomial
# log-likelihood with its analytic gradient and information (mn_parts()) until
# the gradient is below 1e-10. That the MLE exists is checked on each data set:
# the polish converges in a few steps, the last of them vanishingly small, and
# the information is positive definite. (Under separation the log-likelihood
# keeps rising along a direction, and Newton's step along it does not shrink.)
#
# Newton's fit against the reference, measured at ea30a85 (max over the
# coefficients; relative = |diff| / max(|ref|, 1e-3 SE)):
#   data set                      coef abs  coef rel  SE rel   logLik - ref  logLik - nnet
#   iris Species ~ Sepal.Width    8.2e-07   5.8e-08   4.1e-08  1.3e-13       2.2e-10
#   fgl type ~ RI + Na + Mg + Al  2.5e-11   6.4e-12   1.1e-12  8.5e-14       1.5e-10
#   simulated (n 500, weighted)   2.2e-14   9.2e-13   1.0e-14  9.1e-13       4.8e-12
# The tests ask for 1e-6 (coefficients, relative), 1e-5 (SEs, relative) and a
# log-likelihood not below nnet's (reltol 1e-12) by more than 1e-8.

# ---------------------------------------------------------------------------
# references in R

# the response as an n x L matrix of indicators
mn_indicators <- function(y) {
  Y <- matrix(0, length(y), nlevels(y), dimnames = list(NULL, levels(y)))
  Y[cbind(seq_along(y), as.integer(y))] <- 1
  Y
}

# softmax of (0, eta_1, ..., eta_K) by rows
mn_softmax <- function(eta) {
  e <- cbind(0, eta)
  e <- exp(e - apply(e, 1L, max))
  e / rowSums(e)
}

# The multinomial log-likelihood (without the combinatorial constant) of the
# p x K coefficient matrix B (K = L - 1 classes against the first), with
# Y an n x L matrix of counts (indicators for a factor) and prior weights w:
# its gradient and its information (minus the Hessian, which is Fisher's for
# the canonical link), both in the order of vec(B): all terms of class 2, ...
mn_parts <- function(B, X, Y, w) {
  eta <- X %*% B
  e <- cbind(0, eta)
  m <- apply(e, 1L, max)
  lse <- m + log(rowSums(exp(e - m)))
  P <- exp(e - lse)
  N <- rowSums(Y)
  ll <- sum(w * (rowSums(Y * e) - N * lse))
  R <- w * (Y[, -1L, drop = FALSE] - N * P[, -1L, drop = FALSE])
  p <- ncol(X)
  K <- ncol(B)
  info <- matrix(0, p * K, p * K)
  for (k in seq_len(K)) {
    for (l in seq_len(K)) {
      v <- w * N * P[, k + 1L] * ((k == l) - P[, l + 1L])
      info[(k - 1L) * p + seq_len(p), (l - 1L) * p + seq_len(p)] <- crossprod(X, X * v)
    }
  }
  list(loglik = ll, grad = as.vector(crossprod(X, R)), info = info, probs = P, eta = eta)
}

# Newton's method on mn_parts() from B until the gradient is below 1e-10;
# `iter` counts the steps taken, `step` is the size of the Newton step at the
# point returned (it does not shrink under separation)
mn_polish <- function(B, X, Y, w, max_iter = 25L) {
  iter <- 0L
  repeat {
    pt <- mn_parts(B, X, Y, w)
    s <- solve(pt$info, pt$grad)
    if (max(abs(pt$grad)) < 1e-10 || iter == max_iter) break
    B <- B + matrix(s, nrow(B))
    iter <- iter + 1L
  }
  c(pt, list(B = B, iter = iter, step = max(abs(s))))
}

# The polished MLE of `formula` on `data` (a factor response), with the
# standard errors from the inverse information and nnet's own fit.
mn_reference <- function(formula, data, weights = NULL) {
  mf <- model.frame(formula, data)
  X <- model.matrix(formula, mf)
  y <- model.response(mf)
  w <- if (is.null(weights)) rep(1, nrow(X)) else weights
  d <- data
  d$mn_w_ <- w
  nn <- nnet::multinom(formula, data = d, weights = mn_w_, maxit = 10000L, reltol = 1e-12,
                       MaxNWts = 100000L, trace = FALSE)
  B0 <- t(coef(nn))
  if (nlevels(y) == 2L) B0 <- matrix(coef(nn), ncol = 1L)
  pol <- mn_polish(B0, X, mn_indicators(y), w)
  lev <- levels(y)
  nm <- paste0(rep(lev[-1L], each = ncol(X)), ":", colnames(X))
  list(coef = stats::setNames(as.vector(pol$B), nm), B = pol$B,
       se = stats::setNames(sqrt(diag(solve(pol$info))), nm), info = pol$info,
       loglik = pol$loglik, grad = max(abs(pol$grad)), iter = pol$iter, step = pol$step,
       probs = pol$probs, eta = pol$eta, X = X, y = y, w = w, lev = lev,
       nnet = nn, nnet_loglik = as.numeric(logLik(nn)))
}

# the MLE exists and the polish reached it
expect_mle_exists <- function(ref, label) {
  expect(ref$grad < 1e-10, sprintf("%s: polished gradient %.3g", label, ref$grad))
  expect(ref$iter <= 8L && ref$step < 1e-8,
         sprintf("%s: Newton needed %d steps, the last %.3g (separated?)", label, ref$iter,
                 ref$step))
  ev <- eigen(ref$info, symmetric = TRUE, only.values = TRUE)$values
  expect(min(ev) > 1e-8 * max(ev), sprintf("%s: information nearly singular (%.3g)", label,
                                           min(ev) / max(ev)))
}

# every element: |a - e| <= tol * max(|e|, floor)
expect_rel <- function(actual, expected, tol, floor = 1e-12, label = "") {
  a <- unname(as.numeric(actual))
  e <- unname(as.numeric(expected))
  if (length(a) != length(e)) {
    fail(sprintf("%s: length %d, expected %d", label, length(a), length(e)))
    return(invisible())
  }
  err <- abs(a - e) / pmax(abs(e), floor)
  expect(all(is.finite(err) & err <= tol),
         sprintf("%s: relative error %.3g > %.3g at element %d (%.15g, expected %.15g)", label,
                 max(err), tol, which.max(err), a[which.max(err)], e[which.max(err)]))
}

# covariance matrices: differences in units of sqrt(V_ii V_jj)
expect_vcov_equal <- function(actual, expected, tol, label = "") {
  expect_identical(dimnames(actual), dimnames(expected))
  sd <- sqrt(diag(expected))
  err <- max(abs(actual - expected) / outer(sd, sd))
  expect(is.finite(err) && err <= tol, sprintf("%s: vcov differs by %.3g > %.3g (scaled)", label,
                                               err, tol))
}

# coefficients against the reference, relative to their size or to 1e-3 of
# their standard error when that is larger (as expect_matches_glm() does)
expect_coef_near <- function(fit, ref, tol, label) {
  expect_identical(names(coef(fit)), names(ref$coef))
  expect_rel(coef(fit), ref$coef, tol, floor = 1e-3 * ref$se, label = paste(label, "coefficients"))
}

# evaluate, recording warnings instead of printing them
mn_quiet <- function(expr) {
  warns <- character()
  val <- withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = val, warnings = warns)
}

# Richardson-extrapolated central differences of f (scalar or vector valued)
mn_num_deriv <- function(f, theta, h = 1e-3) {
  cols <- lapply(seq_along(theta), function(j) {
    d <- function(hh) {
      tp <- theta
      tm <- theta
      tp[j] <- tp[j] + hh
      tm[j] <- tm[j] - hh
      (f(tp) - f(tm)) / (2 * hh)
    }
    (4 * d(h / 2) - d(h)) / 3
  })
  do.call(cbind, cols)
}

# ---------------------------------------------------------------------------
# data

# n = 500, 4 classes, two numeric predictors and a three-level factor,
# unequal weights
mn_sim_data <- function() {
  set.seed(20240611)
  n <- 500L
  d <- data.frame(x1 = rnorm(n), x2 = runif(n, -1, 2),
                  f = factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.4, 0.35, 0.25))))
  X <- model.matrix(~ x1 + x2 + f, d)
  B <- cbind(c(0.3, 0.8, -0.5, 0.4, -0.2), c(-0.2, -0.6, 0.7, 0.1, 0.5),
             c(0.1, 0.3, 0.2, -0.6, 0.8))
  P <- mn_softmax(X %*% B)
  d$y <- factor(apply(P, 1L, function(p) sample(c("k1", "k2", "k3", "k4"), 1L, prob = p)))
  d$w <- round(runif(n, 0.2, 3), 2)
  d
}
sim <- mn_sim_data()
fgl <- MASS::fgl

# the three reference problems: formula, data, weights (a column of data)
mn_cases <- list(
  iris = list(formula = Species ~ Sepal.Width, data = iris, weights = NULL),
  fgl = list(formula = type ~ RI + Na + Mg + Al, data = fgl, weights = NULL),
  sim = list(formula = y ~ x1 + x2 + f, data = sim, weights = "w")
)

mn_fit_case <- function(case, optimizer = "newton") {
  args <- list(case$formula, data = case$data, family = multinomial(), optimizer = optimizer)
  if (!is.null(case$weights)) args$weights <- case$data[[case$weights]]
  do.call(gradglm, args)
}

mn_refs <- lapply(mn_cases, function(case) {
  w <- if (is.null(case$weights)) NULL else case$data[[case$weights]]
  mn_reference(case$formula, case$data, w)
})

# ---------------------------------------------------------------------------

test_that("the reference MLEs exist (no separation) and nnet is near them", {
  for (nm in names(mn_refs)) {
    ref <- mn_refs[[nm]]
    expect_mle_exists(ref, nm)
    # the polish moved nnet's answer a little and did not lower its likelihood
    expect_gte(ref$loglik, ref$nnet_loglik - 1e-10)
    expect_lt(max(abs(ref$coef - as.vector(t(coef(ref$nnet))))), 1e-2)
  }
  expect_identical(nlevels(fgl$type), 6L)
  expect_identical(nlevels(sim$y), 4L)
})

test_that("Newton's fit is the MLE: coefficients, SEs, logLik, fitted values", {
  for (nm in names(mn_cases)) {
    ref <- mn_refs[[nm]]
    res <- mn_quiet(mn_fit_case(mn_cases[[nm]]))
    fit <- res$value
    expect(length(res$warnings) == 0L, paste(nm, "warned:", paste(res$warnings, collapse = "; ")))
    expect_true(fit$converged)
    expect_identical(fit$optimizer, "newton")
    expect_coef_near(fit, ref, 1e-6, nm)
    se <- sqrt(diag(vcov(fit)))
    expect_identical(names(se), names(ref$coef))
    expect_rel(se, ref$se, 1e-5, label = paste(nm, "standard errors"))
    ll <- logLik(fit)
    expect_gte(as.numeric(ll), ref$nnet_loglik - 1e-8)
    expect_rel(as.numeric(ll), ref$loglik, 1e-10, label = paste(nm, "logLik"))
    expect_equal(fit$loglik, as.numeric(ll))
    expect_identical(attr(ll, "df"), length(ref$coef))
    expect_identical(nobs(fit), nrow(ref$X))
    # the parts of the fit
    L <- length(ref$lev)
    expect_identical(dim(fit$fitted.values), c(nrow(ref$X), L))
    expect_identical(colnames(fit$fitted.values), ref$lev)
    expect_rel(fit$fitted.values, ref$probs, 1e-5, floor = 1e-3, label = paste(nm, "fitted"))
    expect_identical(dim(fit$linear.predictors), c(nrow(ref$X), L - 1L))
    expect_identical(colnames(fit$linear.predictors), ref$lev[-1L])
    cm <- coef(fit, matrix = TRUE)
    expect_equal(unname(fit$linear.predictors), unname(ref$X %*% t(cm)), tolerance = 1e-12)
    expect_equal(fit$deviance, -2 * fit$loglik)
    # the matrix of coefficients, as nnet::multinom lays it out
    expect_identical(dimnames(cm), dimnames(coef(ref$nnet)))
    expect_identical(as.vector(t(cm)), unname(coef(fit)))
  }
})

test_that("lbfgs and gd reach the MLE (tolerances of test-fit-vs-glm.R and test-optimizer.R)", {
  # lbfgs as expect_matches_glm(): coefficients 1e-6, SEs and logLik 1e-5;
  # gd as test-optimizer.R: coefficients 1e-4, logLik 1e-7
  for (nm in names(mn_cases)) {
    ref <- mn_refs[[nm]]
    for (opt in c("lbfgs", "gd")) {
      lab <- paste(nm, opt)
      res <- mn_quiet(mn_fit_case(mn_cases[[nm]], opt))
      fit <- res$value
      expect(length(res$warnings) == 0L,
             paste(lab, "warned:", paste(res$warnings, collapse = "; ")))
      expect(isTRUE(fit$converged), paste(lab, "did not converge"))
      expect_identical(fit$optimizer, opt)
      expect_coef_near(fit, ref, if (opt == "lbfgs") 1e-6 else 1e-4, lab)
      expect_rel(fit$loglik, ref$loglik, if (opt == "lbfgs") 1e-5 else 1e-7,
                 label = paste(lab, "logLik"))
      if (opt == "lbfgs") expect_rel(sqrt(diag(vcov(fit))), ref$se, 1e-5, label = paste(lab, "SEs"))
    }
  }
})

test_that("sgd and adam reach Newton's fit (tolerances of test-stochastic.R)", {
  # per-observation log-likelihood gap below 1e-3, every coefficient within
  # 0.25 of Newton's standard errors, converged without a warning
  for (nm in names(mn_cases)) {
    ref_fit <- mn_fit_case(mn_cases[[nm]])
    se <- sqrt(diag(vcov(ref_fit)))
    for (opt in c("sgd", "adam")) {
      lab <- paste(nm, opt)
      set.seed(1)
      res <- mn_quiet(mn_fit_case(mn_cases[[nm]], opt))
      fit <- res$value
      expect(length(res$warnings) == 0L,
             paste(lab, "warned:", paste(res$warnings, collapse = "; ")))
      expect(isTRUE(fit$converged), paste(lab, "did not converge:", fit$message))
      gap <- (as.numeric(logLik(ref_fit)) - as.numeric(logLik(fit))) / nobs(ref_fit)
      expect(is.finite(gap) && gap < 1e-3, sprintf("%s: logLik gap per observation %.3g", lab, gap))
      dev <- max(abs(coef(fit) - coef(ref_fit)) / se)
      expect(is.finite(dev) && dev < 0.25,
             sprintf("%s: coefficients %.3g SEs from Newton's", lab, dev))
      expect_identical(fit$trace$iter, 0:fit$iter)
    }
  }
  # the seed makes the fit reproducible
  set.seed(7)
  a <- mn_fit_case(mn_cases$fgl, "adam")
  set.seed(7)
  b <- mn_fit_case(mn_cases$fgl, "adam")
  expect_identical(coef(a), coef(b))
})

test_that("two classes: the multinomial fit is the logistic regression", {
  bw <- MASS::birthwt
  bw$lowf <- factor(bw$low, labels = c("normal", "low"))
  g <- glm(low ~ age + lwt + smoke, data = bw, family = binomial,
           control = glm.control(epsilon = 1e-14, maxit = 50))
  fit <- gradglm(lowf ~ age + lwt + smoke, data = bw, family = multinomial())
  expect_identical(names(coef(fit)), paste0("low:", names(coef(g))))
  expect_rel(coef(fit), coef(g), 1e-8, floor = 1e-3, label = "two classes, coefficients")
  expect_rel(sqrt(diag(vcov(fit))), sqrt(diag(vcov(g))), 1e-6, label = "two classes, SEs")
  expect_rel(as.numeric(logLik(fit)), as.numeric(logLik(g)), 1e-12, label = "two classes, logLik")
  expect_identical(dim(coef(fit, matrix = TRUE)), c(1L, 4L))
  expect_rel(fit$fitted.values[, "low"], fitted(g), 1e-7, label = "two classes, fitted")
})

# Equivalent data must give the same fit. Newton stops on a relative change
# of the loss below `tol` (default 1e-8), which leaves fits from different
# starts ~5e-9 apart; with tol = 1e-12 they agree to rounding (~1e-15).
mn_tight <- gradglm_control(tol = 1e-12)

test_that("a counts response equals the expanded factor data with weights (and nnet)", {
  set.seed(11)
  n <- 40L
  d <- data.frame(x = round(rnorm(n), 2), g = factor(sample(c("u", "v"), n, TRUE)))
  d$c1 <- rpois(n, 3) + 1
  d$c2 <- rpois(n, 2 + 2 * (d$x > 0))
  d$c3 <- rpois(n, 2)
  fc <- gradglm(cbind(c1, c2, c3) ~ x + g, data = d, family = multinomial(), control = mn_tight)
  long <- do.call(rbind, lapply(c("c1", "c2", "c3"), function(k) {
    data.frame(x = d$x, g = d$g, y = k, cnt = d[[k]])
  }))
  long$y <- factor(long$y, levels = c("c1", "c2", "c3"))
  long <- long[long$cnt > 0, ]
  fl <- gradglm(y ~ x + g, data = long, weights = cnt, family = multinomial(), control = mn_tight)
  expect_identical(names(coef(fc)), names(coef(fl)))
  expect_rel(coef(fc), coef(fl), 1e-10, floor = 1e-3, label = "counts vs weighted factor")
  expect_vcov_equal(vcov(fc), vcov(fl), 1e-10, label = "counts vs weighted factor, vcov")
  expect_rel(as.numeric(logLik(fc)), as.numeric(logLik(fl)), 1e-12, label = "counts logLik")
  expect_identical(colnames(fc$fitted.values), c("c1", "c2", "c3"))
  # the same fitted probabilities for each covariate row
  expect_rel(fc$fitted.values[, 2], predict(fl, d, type = "probs")[, 2], 1e-8,
             label = "counts fitted")
  # one row per observation in the expanded data: the same fit again
  ex <- long[rep(seq_len(nrow(long)), long$cnt), c("x", "g", "y")]
  fe <- gradglm(y ~ x + g, data = ex, family = multinomial(), control = mn_tight)
  expect_rel(coef(fe), coef(fc), 1e-10, floor = 1e-3, label = "counts vs expanded")
  expect_vcov_equal(vcov(fe), vcov(fc), 1e-10, label = "counts vs expanded, vcov")
  expect_rel(as.numeric(logLik(fe)), as.numeric(logLik(fc)), 1e-12, label = "expanded logLik")
  # nnet takes the same counts response: its log-likelihood (no combinatorial term)
  nn <- nnet::multinom(cbind(c1, c2, c3) ~ x + g, data = d, trace = FALSE, reltol = 1e-12,
                       maxit = 10000L)
  expect_gte(as.numeric(logLik(fc)), as.numeric(logLik(nn)) - 1e-8)
  expect_lt(as.numeric(logLik(fc)) - as.numeric(logLik(nn)), 1e-6)
  # a row whose counts are all zero adds nothing
  d0 <- rbind(d, data.frame(x = 0.3, g = "u", c1 = 0, c2 = 0, c3 = 0))
  f0 <- gradglm(cbind(c1, c2, c3) ~ x + g, data = d0, family = multinomial(), control = mn_tight)
  expect_rel(coef(f0), coef(fc), 1e-10, floor = 1e-3, label = "zero-total row")
  expect_identical(nobs(f0), nobs(fc))
})

test_that("a character response equals the factor (gradglm_fit)", {
  X <- cbind("(Intercept)" = 1, Sepal.Width = iris$Sepal.Width)
  ff <- gradglm_fit(X, iris$Species, family = multinomial())
  fch <- gradglm_fit(X, as.character(iris$Species), family = multinomial())
  expect_identical(coef(fch), coef(ff))
  expect_identical(vcov(fch), vcov(ff))
  expect_identical(fch$lev, levels(iris$Species))
  expect_identical(colnames(fch$fitted.values), levels(iris$Species))
  expect_coef_near(ff, mn_refs$iris, 1e-6, "gradglm_fit")
})

test_that("weights = 2 equals duplicated rows", {
  fit2 <- gradglm(type ~ RI + Na + Mg + Al, data = fgl, weights = rep(2, nrow(fgl)),
                  family = multinomial(), control = mn_tight)
  dup <- fgl[rep(seq_len(nrow(fgl)), each = 2L), ]
  fitd <- gradglm(type ~ RI + Na + Mg + Al, data = dup, family = multinomial(), control = mn_tight)
  expect_rel(coef(fit2), coef(fitd), 1e-10, floor = 1e-3, label = "weights 2 vs duplicates")
  expect_vcov_equal(vcov(fit2), vcov(fitd), 1e-10, label = "weights 2 vs duplicates, vcov")
  # the information doubles: the SEs shrink by sqrt(2) from the unweighted fit's
  expect_rel(sqrt(diag(vcov(fit2))), mn_refs$fgl$se / sqrt(2), 1e-5, label = "weights 2 SEs")
  expect_rel(as.numeric(logLik(fit2)), as.numeric(logLik(fitd)), 1e-12,
             label = "weights 2 vs duplicates, logLik")
  expect_rel(as.numeric(logLik(fit2)), 2 * mn_refs$fgl$loglik, 1e-10, label = "weights 2 logLik")
  expect_coef_near(fit2, mn_refs$fgl, 1e-6, "weights = 2")
})

# ---------------------------------------------------------------------------
# the engine: gradglm:::model_eval() on a model specification as run_engine()
# builds it

mn_spec <- function(X, y, w) {
  list(designs = list(X), block_design = 0L, block_m = nlevels(y) - 1L,
       y = as.numeric(as.integer(y) - 1L), weights = as.numeric(w), offsets = list(),
       likelihood = list(type = "multinomial", classes = nlevels(y)))
}

test_that("model_eval: the weighted mean loss, its gradient and curvature (simulated data)", {
  ref <- mn_refs$sim
  spec <- mn_spec(ref$X, ref$y, ref$w)
  sw <- sum(ref$w)
  Y <- mn_indicators(ref$y)
  # away from the MLE, so that the gradient is not ~0
  theta <- ref$coef * 0.8 + 0.05
  ev <- function(th, curv = "none") gradglm:::model_eval(spec, unname(th), curv)
  obs <- ev(theta, "observed")
  pt <- mn_parts(matrix(theta, ncol(ref$X)), ref$X, Y, ref$w)
  # the loss is the weighted mean negative log-likelihood
  expect_rel(obs$loss, -pt$loglik / sw, 1e-13, label = "loss")
  expect_rel(obs$gradient, -pt$grad / sw, 1e-10, floor = 1e-3 * max(abs(pt$grad / sw)),
             label = "gradient vs analytic")
  expect_rel(obs$curvature, pt$info / sw, 1e-10, floor = 1e-3 * max(abs(pt$info / sw)),
             label = "curvature vs analytic")
  # finite differences: of the loss for the gradient, of the gradient for the curvature
  fd_grad <- as.vector(mn_num_deriv(function(th) ev(th)$loss, theta))
  expect_lt(max(abs(obs$gradient - fd_grad)), 1e-9 * max(1, abs(obs$gradient)))
  expect_gt(max(abs(obs$gradient)), 1e-2)
  fd_curv <- mn_num_deriv(function(th) ev(th)$gradient, theta)
  expect_lt(max(abs(obs$curvature - fd_curv)), 1e-8 * max(abs(obs$curvature)))
  expect_true(isSymmetric(obs$curvature))
  # canonical link: the observed curvature is Fisher's
  fis <- ev(theta, "fisher")
  expect_identical(fis$curvature, obs$curvature)
  expect_identical(fis$loss, obs$loss)
  expect_identical(fis$gradient, obs$gradient)
  # "none": the same loss and gradient, no curvature
  none <- ev(theta)
  expect_null(none$curvature)
  expect_identical(none$gradient, obs$gradient)
  # two threads: the same pass
  two <- gradglm:::model_eval(spec, unname(theta), "observed", threads = 2L)
  expect_rel(two$loss, obs$loss, 1e-14, label = "two threads, loss")
  expect_rel(two$gradient, obs$gradient, 1e-12, floor = 1e-6, label = "two threads, gradient")
  expect_rel(two$curvature, obs$curvature, 1e-12, floor = 1e-6, label = "two threads, curvature")
  # at the MLE the gradient vanishes
  expect_lt(max(abs(ev(ref$coef)$gradient)), 1e-12)
  # a zero weight drops the row
  w0 <- ref$w
  w0[1:10] <- 0
  e0 <- gradglm:::model_eval(mn_spec(ref$X, ref$y, w0), unname(theta), "observed")
  e1 <- gradglm:::model_eval(mn_spec(ref$X[-(1:10), ], ref$y[-(1:10)], ref$w[-(1:10)]),
                             unname(theta), "observed")
  expect_rel(e0$loss, e1$loss, 1e-13, label = "zero weights, loss")
  expect_rel(e0$gradient, e1$gradient, 1e-12, floor = 1e-6, label = "zero weights, gradient")
})

test_that("model_eval: a response of class proportions (counts) and the FD checks on fgl", {
  # six classes, columns on very different scales (Na ~ 13)
  ref <- mn_refs$fgl
  spec <- mn_spec(ref$X, ref$y, ref$w)
  theta <- ref$coef * 0.9
  ev <- function(th, curv = "none") gradglm:::model_eval(spec, unname(th), curv)
  obs <- ev(theta, "observed")
  fd_grad <- as.vector(mn_num_deriv(function(th) ev(th)$loss, theta, h = 1e-4))
  expect_lt(max(abs(obs$gradient - fd_grad)), 1e-8 * max(abs(obs$gradient)))
  fd_curv <- mn_num_deriv(function(th) ev(th)$gradient, theta, h = 1e-4)
  expect_lt(max(abs(obs$curvature - fd_curv)), 1e-8 * max(abs(obs$curvature)))
  expect_identical(ev(theta, "fisher")$curvature, obs$curvature)

  # proportions with the totals in the weights: the loss is taken against the
  # saturated model (sum y log y is added), gradient and curvature as for counts
  Cn <- cbind(a = c(3, 2, 1, 0, 2, 4), b = c(1, 1, 2, 3, 1, 0), c = c(2, 0, 2, 2, 2, 1))
  N <- rowSums(Cn)
  Xc <- cbind(1, x = c(-1, 0, 1, 2, 0.5, -0.3))
  specc <- list(designs = list(Xc), block_design = 0L, block_m = 2L, y = Cn / N, weights = N,
                offsets = list(),
                likelihood = list(type = "multinomial", classes = 3L, columns = 3L))
  thc <- c(0.1, -0.2, 0.3, 0.4)
  ec <- gradglm:::model_eval(specc, thc, "observed")
  ptc <- mn_parts(matrix(thc, 2L), Xc, Cn, rep(1, nrow(Cn)))
  sat <- sum(ifelse(Cn > 0, Cn * log(Cn / N), 0))
  expect_rel(ec$loss, -(ptc$loglik - sat) / sum(N), 1e-13, label = "proportions, loss")
  expect_rel(ec$gradient, -ptc$grad / sum(N), 1e-12, floor = 1e-3, label = "proportions, gradient")
  expect_rel(ec$curvature, ptc$info / sum(N), 1e-12, floor = 1e-3, label = "proportions, curvature")
})

# ---------------------------------------------------------------------------
# predict()

test_that("predict: link, probs (softmax of link), class (argmax), unseen levels", {
  fit <- mn_fit_case(mn_cases$sim)
  nd <- data.frame(x1 = c(0, 1, -2, 0.4), x2 = c(0.5, -1, 3, 1), f = factor(c("b", "a", "c", "a")))
  Xn <- model.matrix(~ x1 + x2 + f, nd)
  cm <- coef(fit, matrix = TRUE)
  link <- predict(fit, nd, type = "link")
  expect_identical(dimnames(link), list(as.character(1:4), c("k2", "k3", "k4")))
  expect_equal(unname(link), unname(Xn %*% t(cm)), tolerance = 1e-13)
  probs <- predict(fit, nd, type = "probs")
  expect_identical(colnames(probs), c("k1", "k2", "k3", "k4"))
  expect_lt(max(abs(rowSums(probs) - 1)), 1e-15)
  expect_equal(unname(probs), unname(mn_softmax(link)), tolerance = 1e-14)
  cls <- predict(fit, nd, type = "class")
  expect_s3_class(cls, "factor")
  expect_identical(levels(cls), levels(sim$y))
  expect_identical(as.integer(cls), unname(apply(probs, 1L, which.max)))
  # without newdata: the fit's own values
  expect_identical(predict(fit, type = "link"), fit$linear.predictors)
  expect_identical(predict(fit, type = "probs"), fit$fitted.values)
  all_p <- predict(fit, type = "probs")
  expect_lt(max(abs(rowSums(all_p) - 1)), 1e-14)
  expect_identical(as.integer(predict(fit, type = "class")), unname(max.col(all_p, "first")))
  # newdata = the data: the same as without
  expect_equal(predict(fit, sim, type = "probs"), fit$fitted.values, tolerance = 1e-13)
  # a level of a predictor not seen in fitting: an error naming the variable
  bad <- data.frame(x1 = 0, x2 = 0, f = "zz")
  expect_error(predict(fit, bad, type = "probs"), "'zz'.*factor 'f'")
  expect_error(predict(fit, bad, type = "link"), "factor 'f'")
  # se.fit is for the link only
  expect_error(predict(fit, nd, type = "probs", se.fit = TRUE), "link")
  # "response" (glm's word) gives the probabilities, as glmnet's; a wrong type lists the right ones
  expect_identical(predict(fit, nd, type = "response"), probs)
  expect_error(predict(fit, nd, type = "prob2"), "'type' must be one of 'link', 'probs', 'class' for this fit")
  # no rows: an empty matrix, without a warning
  expect_silent(p0 <- predict(fit, nd[0, ], type = "probs"))
  expect_identical(dim(p0), c(0L, 4L))
  # newdata as a named list of variables, as predict.lm takes it
  expect_identical(predict(fit, as.list(nd), type = "probs"), probs)
})

test_that("predict: se.fit of the link equals the delta method with a numerical Jacobian", {
  fit <- mn_fit_case(mn_cases$fgl)
  nd <- fgl[c(3, 50, 100, 150, 200), ]
  p <- predict(fit, nd, type = "link", se.fit = TRUE)
  expect_identical(dim(p$se.fit), dim(p$fit))
  expect_identical(dimnames(p$se.fit), dimnames(p$fit))
  expect_identical(p$fit, predict(fit, nd, type = "link"))
  # the Jacobian of the linear predictors by central differences in the coefficients
  eta_at <- function(b) {
    f2 <- fit
    f2$coefficients[] <- b
    as.vector(predict(f2, nd, type = "link"))
  }
  J <- mn_num_deriv(eta_at, coef(fit), h = 1e-3)
  se_num <- sqrt(diag(J %*% vcov(fit) %*% t(J)))
  expect_rel(as.vector(p$se.fit), se_num, 1e-8, label = "se.fit vs delta method")
  # the fit's own rows
  pa <- predict(fit, type = "link", se.fit = TRUE)
  expect_equal(pa$se.fit[c(3, 50, 100, 150, 200), ], p$se.fit, tolerance = 1e-12,
               ignore_attr = TRUE)
})

# ---------------------------------------------------------------------------
# separation and bad input

test_that("separation (setosa by the sepals): a warning naming it, finite coefficients", {
  expect_warning(fit <- gradglm(Species ~ Sepal.Length + Sepal.Width, data = iris,
                                family = multinomial()), "separated")
  expect_true(all(is.finite(coef(fit))))
  expect_true(all(is.finite(fit$fitted.values)))
  expect_lt(max(abs(rowSums(fit$fitted.values) - 1)), 1e-14)
  # setosa is fitted with probability ~1 and ~0 elsewhere
  p_setosa <- fit$fitted.values[, "setosa"]
  expect_gt(min(p_setosa[iris$Species == "setosa"]), 1 - 1e-6)
  expect_lt(max(p_setosa[iris$Species != "setosa"]), 1e-6)
  # the well-posed models do not warn (checked above); neither does this one
  expect_no_warning(gradglm(Species ~ Sepal.Width, data = iris, family = multinomial()))
})

test_that("bad input: single class, empty classes, negative counts, NA, exact", {
  one <- iris[iris$Species == "setosa", ]
  expect_error(gradglm(Species ~ Sepal.Width, data = one, family = multinomial()),
               "gradglm: the response has a single class \\('setosa'\\)")
  expect_error(gradglm_fit(cbind(1, one$Sepal.Width), droplevels(one$Species),
                           family = multinomial()),
               "gradglm_fit: .*single class")
  # a class with only zero-weight rows is dropped, with a warning
  w <- as.numeric(iris$Species != "virginica")
  expect_warning(fw <- gradglm(Species ~ Sepal.Width, data = iris, weights = w,
                               family = multinomial()), "'virginica'.*empty.*dropped")
  expect_identical(fw$lev, c("setosa", "versicolor"))
  expect_identical(colnames(fw$fitted.values), c("setosa", "versicolor"))
  two <- droplevels(iris[iris$Species != "virginica", ])
  ft <- gradglm(Species ~ Sepal.Width, data = two, family = multinomial())
  expect_rel(coef(fw), coef(ft), 1e-12, floor = 1e-3, label = "zero-weight class dropped")
  # an unused level of the response (matrix interface) is dropped with a warning
  y4 <- factor(iris$Species, levels = c("setosa", "other", "versicolor", "virginica"))
  X <- cbind("(Intercept)" = 1, Sepal.Width = iris$Sepal.Width)
  expect_warning(f4 <- gradglm_fit(X, y4, family = multinomial()), "'other'.*empty.*dropped")
  expect_identical(f4$lev, levels(iris$Species))
  expect_rel(coef(f4), mn_refs$iris$coef, 1e-6, floor = 1e-3 * mn_refs$iris$se,
             label = "empty level dropped")
  # negative counts
  d <- data.frame(x = 1:6, a = c(3, 2, 1, 0, 2, 1), b = c(1, -1, 2, 3, 1, 2), c = 2)
  expect_error(gradglm(cbind(a, b, c) ~ x, data = d, family = multinomial()),
               "counts .* must be >= 0 \\(found 1 negative\\)")
  # a missing response under na.fail; na.omit drops the row
  ir <- iris
  ir$Species[5] <- NA
  expect_error(gradglm(Species ~ Sepal.Width, data = ir, family = multinomial(),
                       na.action = na.fail),
               "missing values")
  fo <- gradglm(Species ~ Sepal.Width, data = ir, family = multinomial(), na.action = na.omit)
  expect_identical(nobs(fo), 149L)
  # no closed form
  expect_error(gradglm(Species ~ Sepal.Width, data = iris, family = multinomial(),
                       optimizer = "exact"),
               "gradglm: optimizer = \"exact\"")
  # other links and responses
  expect_error(multinomial(link = "probit"), "link 'probit'")
  expect_error(gradglm(Sepal.Width ~ Sepal.Length, data = iris, family = multinomial()),
               "must be a factor")
})

# ---------------------------------------------------------------------------
# methods

test_that("summary: one table per non-baseline class, aligned with coef and vcov", {
  fit <- mn_fit_case(mn_cases$fgl)
  ref <- mn_refs$fgl
  lev <- ref$lev
  s <- summary(fit)
  expect_length(s$tables, length(lev) - 1L)
  V <- vcov(fit)
  expect_identical(rownames(V), names(coef(fit)))
  expect_identical(colnames(V), names(coef(fit)))
  expect_true(isSymmetric(V))
  cm <- coef(fit, matrix = TRUE)
  for (k in seq_along(s$tables)) {
    tb <- s$tables[[k]]
    expect_match(tb$title, lev[k + 1L], fixed = TRUE)
    expect_match(tb$title, lev[1L], fixed = TRUE)
    expect_identical(dimnames(tb$table), list(colnames(ref$X),
                                              c("Estimate", "Std. Error", "z value", "Pr(>|z|)")))
    idx <- paste0(lev[k + 1L], ":", colnames(ref$X))
    expect_identical(unname(tb$table[, "Estimate"]), unname(cm[k, ]))
    expect_equal(unname(tb$table[, "Std. Error"]), unname(sqrt(diag(V)[idx])), tolerance = 1e-14)
    expect_rel(tb$table[, "Std. Error"], ref$se[idx], 1e-5, label = paste("summary SE", k))
    z <- tb$table[, "Estimate"] / tb$table[, "Std. Error"]
    expect_equal(tb$table[, "z value"], z, tolerance = 1e-14)
    expect_equal(tb$table[, "Pr(>|z|)"], 2 * pnorm(-abs(z)), tolerance = 1e-12)
  }
  out <- capture.output(print(s))
  for (l in lev[-1L]) expect_true(any(grepl(paste0("Class '", l, "'"), out, fixed = TRUE)))
  expect_output(print(fit), "Log-likelihood")
})

test_that("confint, AIC, BIC, anova (likelihood ratio) and the null deviance", {
  fit1 <- mn_fit_case(mn_cases$sim)
  fit0 <- gradglm(y ~ x1, data = sim, weights = w, family = multinomial())
  ll1 <- as.numeric(logLik(fit1))
  ll0 <- as.numeric(logLik(fit0))
  k1 <- length(coef(fit1))
  k0 <- length(coef(fit0))
  expect_identical(c(k1, k0), c(15L, 6L))
  expect_equal(AIC(fit1), -2 * ll1 + 2 * k1, tolerance = 1e-14)
  expect_equal(AIC(fit0), -2 * ll0 + 2 * k0, tolerance = 1e-14)
  expect_equal(fit1$aic, AIC(fit1), tolerance = 1e-14)
  expect_equal(BIC(fit1), -2 * ll1 + log(nobs(fit1)) * k1, tolerance = 1e-14)
  a <- anova(fit0, fit1)
  expect_s3_class(a, "anova")
  expect_equal(a[["LR stat"]][2], 2 * (ll1 - ll0), tolerance = 1e-12)
  expect_identical(a[["Df"]][2], k1 - k0 + 0)
  expect_equal(a[["Pr(>Chi)"]][2], pchisq(2 * (ll1 - ll0), k1 - k0, lower.tail = FALSE),
               tolerance = 1e-12)
  expect_equal(a[["-2 logLik"]], -2 * c(ll0, ll1), tolerance = 1e-14)
  # Wald intervals from the SEs
  ci <- confint(fit1)
  se <- sqrt(diag(vcov(fit1)))
  expect_identical(rownames(ci), names(coef(fit1)))
  expect_equal(unname(ci[, 1]), unname(coef(fit1) - qnorm(0.975) * se), tolerance = 1e-14)
  expect_equal(unname(ci[, 2]), unname(coef(fit1) + qnorm(0.975) * se), tolerance = 1e-14)
  ci2 <- confint(fit1, "k3:x2", level = 0.9)
  expect_equal(unname(ci2[1, ]), unname(coef(fit1)["k3:x2"] + c(-1, 1) * qnorm(0.95) * se["k3:x2"]),
               tolerance = 1e-14)
  # the null deviance is the deviance of the intercept-only model
  fnull <- gradglm(y ~ 1, data = sim, weights = w, family = multinomial(), control = mn_tight)
  expect_rel(fit1$null.deviance, deviance(fnull), 1e-12, label = "null deviance")
  expect_rel(coef(fnull), log(tapply(sim$w, sim$y, sum)[-1] / sum(sim$w[sim$y == "k1"])), 1e-10,
             label = "intercept-only fit")
})

test_that("residuals: response, pearson, deviance", {
  fit <- mn_fit_case(mn_cases$sim)
  Y <- mn_indicators(sim$y)
  P <- fit$fitted.values
  r <- residuals(fit, type = "response")
  expect_equal(unname(r), unname(Y - P), tolerance = 1e-14)
  expect_identical(dimnames(r), dimnames(P))
  expect_identical(residuals(fit), r)  # the default
  rp <- residuals(fit, type = "pearson")
  # weighted as residuals.glm's Pearson residuals, (y - mu) sqrt(w) / sqrt(V(mu))
  expect_equal(unname(rp), unname((Y - P) * sqrt(sim$w) / sqrt(P * (1 - P))), tolerance = 1e-13)
  rd <- residuals(fit, type = "deviance")
  expect_length(rd, nrow(sim))
  # the squared deviance residuals add up to the deviance
  expect_rel(sum(rd^2), deviance(fit), 1e-12, label = "sum of squared deviance residuals")
  expect_rel(rd^2, -2 * sim$w * log(rowSums(Y * P)), 1e-12, label = "deviance residuals")
})

test_that("plot: loss, probs and confusion draw without error", {
  fit <- mn_fit_case(mn_cases$iris)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  for (w in c("loss", "probs", "confusion")) expect_no_error(plot(fit, which = w))
  expect_no_error(plot(fit))
  expect_error(plot(fit, which = "qq"), "'which' must be one or more of")
})

test_that("an offset enters every class's linear predictor, in the fit as in predict()", {
  ir <- iris
  set.seed(1)
  ir$o <- rnorm(150, sd = 0.5)
  fit <- gradglm(Species ~ Sepal.Width + offset(o), data = ir, family = multinomial())
  expect_equal(fit$linear.predictors, predict(fit, newdata = ir, type = "link"), tolerance = 1e-12,
               ignore_attr = TRUE)
  X <- cbind(1, ir$Sepal.Width)
  B <- coef(fit, matrix = TRUE)
  eta <- X %*% t(B) + ir$o
  P <- cbind(1, exp(eta)) / (1 + rowSums(exp(eta)))
  expect_equal(as.numeric(logLik(fit)), sum(log(P[cbind(1:150, as.integer(ir$Species))])), tolerance = 1e-10)
  # the optimum: the gradient of that log-likelihood vanishes
  Y <- outer(as.integer(ir$Species), 1:3, `==`) * 1
  expect_lt(max(abs(crossprod(X, (Y - P)[, -1]))), 1e-6)
})

test_that("through a formula: a character response works and an empty class is warned about", {
  ir <- iris
  ir$sp <- as.character(ir$Species)
  expect_equal(coef(gradglm(sp ~ Sepal.Width, data = ir, family = multinomial())),
               coef(gradglm(Species ~ Sepal.Width, data = ir, family = multinomial())))
  ir$Species <- factor(ir$Species, levels = c(levels(iris$Species), "other"))
  expect_warning(fit <- gradglm(Species ~ Sepal.Width, data = ir, family = multinomial()), "'other'.*empty")
  expect_identical(fit$lev, levels(iris$Species))
})

# ---------------------------------------------------------------------------
# optimizer = "auto": Newton's method or L-BFGS by their costs

mn_wide_data <- function(n, p, L, seed = 1) {
  set.seed(seed)
  x <- sqrt(0.7) * matrix(rnorm(n * p), n, p) + sqrt(0.3) * rnorm(n)
  X <- cbind(1, x)
  B <- rbind(seq(-0.4, 0.4, length.out = L - 1L), matrix(rnorm(p * (L - 1L), sd = 0.5 / sqrt(p)), p, L - 1L))
  eta <- cbind(0, X %*% B)
  P <- exp(eta - apply(eta, 1L, max))
  P <- P / rowSums(P)
  y <- 1L + rowSums(runif(n) > t(apply(P, 1L, cumsum))[, seq_len(L - 1L), drop = FALSE])
  data.frame(y = factor(paste0("c", y), levels = paste0("c", seq_len(L))), x)
}

test_that("\"auto\" takes L-BFGS for a multinomial model whose curvature costs more than its iterations", {
  # the rule, on the multinomial model's own statement of its curvature's cost
  model_of <- function(p, L) {
    gradglm:::multinomial_model(multinomial(), list(levels = paste0("c", seq_len(L)), counts = FALSE),
                                cbind(1, matrix(0, 2L, p)), "gradglm")
  }
  pick <- function(n, p, L) gradglm:::resolve_optimizer("auto", model_of(p, L), multinomial(), n = n)
  expect_identical(pick(1e4, 20, 5), "newton")      # d = 84: Newton's 4 iterations are cheap
  expect_identical(pick(1e5, 50, 3), "newton")      # d = 102
  expect_identical(pick(1e5, 200, 10), "lbfgs")     # d = 1809: 1.6 times faster (measured)
  expect_identical(pick(1e4, 200, 5), "lbfgs")      # d = 804
  # (explicit choices are kept; the ordinal model states no such cost)
  expect_identical(gradglm:::resolve_optimizer("newton", model_of(200, 10), multinomial(), n = 1e5), "newton")
  ord <- list(closed_form = FALSE, blocks = list(list(coef_names = character(2000))))
  expect_identical(gradglm:::resolve_optimizer("auto", ord, ordinal(), n = 1e5), "newton")

  # in a fit: 1000 rows, 51 columns, 10 classes (459 coefficients, where the
  # factorisation counts too) against the same rows with 5 columns
  d <- mn_wide_data(1000, 50, 10)
  fit <- gradglm(y ~ ., data = d, family = multinomial())
  expect_identical(fit$optimizer, "lbfgs")  # (before: "newton")
  expect_identical(gradglm(y ~ X1 + X2 + X3 + X4 + X5, data = d, family = multinomial())$optimizer, "newton")
})

test_that("\"auto\"'s L-BFGS fit, finished by a Newton step, is Newton's to a tight tolerance", {
  d <- mn_wide_data(1000, 50, 10)
  auto <- mn_quiet(gradglm(y ~ ., data = d, family = multinomial()))
  newton <- gradglm(y ~ ., data = d, family = multinomial(), optimizer = "newton")
  lbfgs <- gradglm(y ~ ., data = d, family = multinomial(), optimizer = "lbfgs")
  expect_length(auto$warnings, 0L)
  fit <- auto$value
  expect_identical(fit$optimizer, "lbfgs")
  expect_true(fit$converged)
  se <- sqrt(diag(vcov(newton)))
  # coefficients within 1e-9 of a standard error of Newton's (L-BFGS alone
  # stops about 1e-6 away: its tolerance is on the gradient), and so the
  # log-likelihood and the predictors
  expect_lt(max(abs(coef(fit) - coef(newton)) / se), 1e-9)
  expect_gt(max(abs(coef(lbfgs) - coef(newton)) / se), 1e-8)
  expect_equal(fit$loglik, newton$loglik, tolerance = 1e-12)
  expect_equal(fit$linear.predictors, newton$linear.predictors, tolerance = 1e-9)
  expect_equal(unname(as.matrix(fit$fitted.values)), unname(as.matrix(newton$fitted.values)), tolerance = 1e-9)
  # the standard errors come from the curvature before the step: within 1e-6
  expect_lt(max(abs(sqrt(diag(vcov(fit))) / se - 1)), 1e-6)
  # the predictors are those of the coefficients after the step
  expect_lt(max(abs(fit$linear.predictors - predict(fit, newdata = d, type = "link"))), 1e-10)
})

test_that("\"auto\"'s L-BFGS on nearly collinear columns is continued by Newton's method to Newton's optimum", {
  d <- mn_wide_data(1000, 50, 10)
  d$near <- d$X1 + 1e-6 * stats::rnorm(1000)
  collect <- function(expr) {
    w <- character(0)
    value <- withCallingHandlers(expr, warning = function(e) {
      w <<- c(w, conditionMessage(e))
      invokeRestart("muffleWarning")
    })
    list(value = value, warnings = w)
  }
  auto <- collect(gradglm(y ~ ., data = d, family = multinomial()))
  newton <- collect(gradglm(y ~ ., data = d, family = multinomial(), optimizer = "newton"))
  # (before: L-BFGS and its one Newton step stopped 8e-4 short of Newton's
  # log-likelihood, reported as converged, with a warning that blamed a
  # first-order optimizer)
  expect_identical(auto$value$optimizer, "newton")
  expect_true(auto$value$converged)
  expect_equal(auto$value$loglik, newton$value$loglik, tolerance = 1e-10)
  expect_identical(auto$warnings, newton$warnings)
  expect_match(auto$warnings, "nearly singular", all = FALSE)
  expect_false(any(grepl("first-order", auto$warnings)))
})

test_that("\"auto\"'s L-BFGS that does not converge is continued by Newton's method", {
  d <- mn_wide_data(1000, 50, 10)
  newton <- gradglm(y ~ ., data = d, family = multinomial(), optimizer = "newton")
  res <- mn_quiet(gradglm(y ~ ., data = d, family = multinomial(), max_iter = 10))
  fit <- res$value
  expect_length(res$warnings, 0L)
  expect_identical(fit$optimizer, "newton")
  expect_true(fit$converged)
  expect_equal(coef(fit), coef(newton), tolerance = 1e-8)
})

test_that("simulate() of a fit to a matrix of counts is a clear error, without a warning of weights first", {
  set.seed(11)
  d <- data.frame(x = rnorm(30))
  d$c1 <- rpois(30, 3) + 1
  d$c2 <- rpois(30, 2)
  d$c3 <- rpois(30, 2)
  fc <- gradglm(cbind(c1, c2, c3) ~ x, data = d, family = multinomial())
  # (before: "prior weights are ignored" warned of the counts' totals, then the error)
  expect_no_warning(expect_error(simulate(fc, 1), "not for a multinomial fit to a matrix of counts"))
})
