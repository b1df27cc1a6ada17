# Ordinal (cumulative-link) regression, family = ordinal(), against
# MASS::polr() polished to the exact optimum: polr's estimates are the start
# of Newton steps on the cumulative-link log-likelihood written out below in R
# (analytic gradient and Hessian) until the gradient is below 1e-10. The
# link functions are written from their formulas, P(Y <= k) = F(zeta_k - x b):
#   logit    F(x) = 1 / (1 + exp(-x))      polr method "logistic"
#   probit   F(x) = pnorm(x)               polr method "probit"
#   cloglog  F(x) = 1 - exp(-exp(x))       polr method "cloglog"
#   loglog   F(x) = exp(-exp(-x))          polr method "loglog"
#   cauchit  F(x) = 1/2 + atan(x) / pi     polr method "cauchit"
# so a link of gradglm (or of polr) that were the mirror of its name would
# not reach the polished optimum (or would not give polr's own logLik).

skip_if_not_installed("MASS")

ord_methods <- c(logit = "logistic", probit = "probit", cloglog = "cloglog", loglog = "loglog",
                 cauchit = "cauchit")
ord_codes <- c(logit = 1L, probit = 2L, cloglog = 3L, loglog = 4L, cauchit = 5L)

# distribution function, its upper tail, density and the density's derivative
ord_cdf <- function(link, x) {
  switch(link, logit = plogis(x), probit = pnorm(x), cloglog = -expm1(-exp(x)),
         loglog = exp(-exp(-x)), cauchit = 0.5 + atan(x) / pi)
}
ord_surv <- function(link, x) {
  switch(link, logit = plogis(-x), probit = pnorm(-x), cloglog = exp(-exp(x)),
         loglog = -expm1(-exp(-x)), cauchit = 0.5 - atan(x) / pi)
}
ord_dens <- function(link, x) {
  out <- switch(link, logit = exp(-abs(x)) / (1 + exp(-abs(x)))^2, probit = dnorm(x),
                cloglog = exp(x - exp(x)), loglog = exp(-x - exp(-x)),
                cauchit = 1 / (pi * (1 + x^2)))
  out[!is.finite(x)] <- 0
  out
}
ord_dens_deriv <- function(link, x) {
  slope <- switch(link, logit = -tanh(x / 2), probit = -x, cloglog = 1 - exp(x),
                  loglog = exp(-x) - 1, cauchit = -2 * x / (1 + x^2))
  out <- ord_dens(link, x) * slope
  out[!is.finite(x)] <- 0
  out
}

# The negative log-likelihood (a weighted sum), its gradient and Hessian at
# theta = c(b, zeta), for a design X without intercept and an ordered factor y.
ord_nll <- function(theta, X, y, w, link) {
  p <- ncol(X)
  L <- nlevels(y)
  j <- as.integer(y)
  b <- theta[seq_len(p)]
  zeta <- theta[p + seq_len(L - 1L)]
  eta <- drop(X %*% b)
  cuts <- c(-Inf, zeta, Inf)
  u <- cuts[j + 1L] - eta  # upper end of the observed class
  l <- cuts[j] - eta       # lower end
  # the upper tails where the class lies above the median: no cancellation
  pr <- ifelse(l >= 0, ord_surv(link, l) - ord_surv(link, u), ord_cdf(link, u) - ord_cdf(link, l))
  a <- ord_dens(link, u) / pr   # d log P / du
  bl <- -ord_dens(link, l) / pr  # d log P / dl
  ju <- cbind(-X, outer(j, seq_len(L - 1L), "==") + 0)       # du / dtheta
  jl <- cbind(-X, outer(j - 1L, seq_len(L - 1L), "==") + 0)  # dl / dtheta
  huu <- ord_dens_deriv(link, u) / pr - a^2
  hll <- -ord_dens_deriv(link, l) / pr - bl^2
  hul <- -a * bl
  hess <- crossprod(ju, w * huu * ju) + crossprod(jl, w * hll * jl) +
    crossprod(ju, w * hul * jl) + crossprod(jl, w * hul * ju)
  list(value = -sum(w * log(pr)), gradient = -colSums(w * (a * ju + bl * jl)), hessian = -hess)
}

# Newton with step-halving from theta until the gradient is below tol.
ord_polish <- function(theta, X, y, w, link, tol = 1e-10) {
  cur <- ord_nll(theta, X, y, w, link)
  for (it in 1:100) {
    if (max(abs(cur$gradient)) < tol) break
    step <- solve(cur$hessian, cur$gradient)
    s <- 1
    repeat {
      cand <- theta - s * step
      new <- suppressWarnings(ord_nll(cand, X, y, w, link))
      if (is.finite(new$value) && new$value <= cur$value + 1e-12 * abs(cur$value)) break
      s <- s / 2
      if (s < 1e-12) stop("ord_polish: step-halving failed")
    }
    theta <- cand
    cur <- new
  }
  list(theta = theta, nll = cur$value, gradient = cur$gradient, hessian = cur$hessian,
       vcov = solve(cur$hessian), se = sqrt(diag(solve(cur$hessian))))
}

# The negative log-likelihood with class bounds clamped to [-100, 100], as
# MASS's polr.fit evaluates it: for cauchit F(100) = 0.9968 (not 1), so polr
# optimises (and reports the logLik of) a different function there.
ord_nll_clamped <- function(theta, X, y, w, link) {
  p <- ncol(X)
  j <- as.integer(y)
  cuts <- c(-Inf, theta[-seq_len(p)], Inf)
  eta <- drop(X %*% theta[seq_len(p)])
  -sum(w * log(ord_cdf(link, pmin(100, cuts[j + 1L] - eta)) -
                 ord_cdf(link, pmax(-100, cuts[j] - eta))))
}

# polr, then the polished optimum; `wt` is the name of the weights' column.
# Memoised: several tests share a reference.
ord_cache <- new.env()
ord_reference <- function(formula, data, wt, link, start = NULL) {
  key <- paste(deparse(formula), nrow(data), wt, link, sum(data[[wt]]), sep = "/")
  if (is.null(ord_cache[[key]])) {
    ord_cache[[key]] <- ord_reference_fit(formula, data, wt, link, start)
  }
  ord_cache[[key]]
}
ord_reference_fit <- function(formula, data, wt, link, start) {
  args <- list(formula, data = data, weights = data[[wt]], Hess = TRUE,
               method = ord_methods[[link]])
  if (!is.null(start)) args$start <- start
  # polr's starting values come from glm(binomial) on the weights, which
  # warns about non-integer counts
  pf <- withCallingHandlers(do.call(MASS::polr, args), warning = function(w) {
    if (grepl("non-integer #successes", conditionMessage(w))) invokeRestart("muffleWarning")
  })
  X <- model.matrix(formula, data)[, -1L, drop = FALSE]
  y <- model.response(model.frame(formula, data))
  th <- c(coef(pf), pf$zeta)
  ref <- ord_polish(th, X, y, data[[wt]], link)
  names(ref$theta) <- names(th)
  dimnames(ref$vcov) <- list(names(th), names(th))
  ref$polr <- pf
  ref$polr_theta <- th
  ref$polr_nll_formula <- ord_nll(th, X, y, data[[wt]], link)$value
  ref$polr_nll_clamped <- ord_nll_clamped(th, X, y, data[[wt]], link)
  ref$data <- data
  ref$X <- X
  ref$y <- y
  ref$p <- ncol(X)
  ref
}

# polr's fit moved to the polished optimum, for its predict()
ord_polr_at <- function(ref) {
  pf <- ref$polr
  pf$coefficients <- ref$theta[seq_len(ref$p)]
  pf$zeta <- ref$theta[-seq_len(ref$p)]
  pf
}

ord_expect_close <- function(actual, expected, tol, label) {
  a <- unname(as.numeric(actual))
  e <- unname(as.numeric(expected))
  expect_identical(length(a), length(e), label = paste(label, "(length)"))
  d <- max(abs(a - e))
  expect(is.finite(d) && d <= tol,
         sprintf("%s: max |difference| %.3g > %.3g", label, d, tol))
}

# Everything a fit must share with its polished reference.
ord_check_fit <- function(fit, ref, newdata, label) {
  p <- ref$p
  L <- length(ref$theta) - p + 1L
  nm <- names(ref$theta)
  expect_identical(names(coef(fit)), nm, label = paste(label, "names"))
  ord_expect_close(coef(fit), ref$theta, 1e-5, paste(label, "coefficients"))
  ord_expect_close(fit$zeta, ref$theta[-seq_len(p)], 1e-5, paste(label, "zeta"))
  V <- vcov(fit)
  expect_identical(dimnames(V), list(nm, nm), label = paste(label, "vcov names"))
  ord_expect_close(sqrt(diag(V)), ref$se, 1e-4, paste(label, "SEs"))
  ll <- logLik(fit)
  ord_expect_close(ll, -ref$nll, 1e-6, paste(label, "logLik"))
  expect_identical(as.integer(attr(ll, "df")), length(nm))
  ord_expect_close(AIC(fit), 2 * ref$nll + 2 * length(nm), 1e-6, paste(label, "AIC"))
  ord_expect_close(deviance(fit), 2 * ref$nll, 1e-6, paste(label, "deviance"))

  # summary: a table of coefficients and one of cut-points
  s <- summary(fit)
  est <- ref$theta
  z <- est / ref$se
  tabs <- list(s$location, s$cutpoints)
  idx <- list(seq_len(p), p + seq_len(L - 1L))
  for (k in 1:2) {
    tab <- tabs[[k]]
    i <- idx[[k]]
    expect_identical(rownames(tab), nm[i], label = paste(label, "summary rows"))
    ord_expect_close(tab[, 1L], est[i], 1e-5, paste(label, "summary estimates"))
    ord_expect_close(tab[, 2L], ref$se[i], 1e-4, paste(label, "summary SEs"))
    ord_expect_close(tab[, 3L], z[i], 1e-3, paste(label, "summary z"))
    ord_expect_close(tab[, 4L], 2 * pnorm(-abs(z[i])), 1e-5, paste(label, "summary p"))
  }

  # predictions for new data against polr's predict() at the polished optimum
  pf <- ord_polr_at(ref)
  Xn <- model.matrix(delete.response(terms(ref$polr)), newdata,
                     contrasts.arg = ref$polr$contrasts)[, -1L, drop = FALSE]
  eta_ref <- drop(Xn %*% ref$theta[seq_len(p)])
  pr_ref <- predict(pf, newdata, type = "probs")
  pr <- predict(fit, newdata, type = "probs")
  expect_identical(dim(pr), dim(pr_ref))
  expect_identical(colnames(pr), levels(ref$y))
  ord_expect_close(rowSums(pr), rep(1, nrow(newdata)), 1e-12, paste(label, "probs sum"))
  expect_true(all(pr >= 0 & pr <= 1))
  ord_expect_close(pr, pr_ref, 1e-6, paste(label, "probs vs polr"))
  ord_expect_close(predict(fit, newdata, type = "link"), eta_ref, 1e-5, paste(label, "link"))
  cls <- predict(fit, newdata, type = "class")
  expect_identical(levels(cls), levels(ref$y))
  expect_identical(as.character(cls), as.character(predict(pf, newdata, type = "class")))
  sf <- predict(fit, newdata, type = "link", se.fit = TRUE)
  Vb <- ref$vcov[seq_len(p), seq_len(p), drop = FALSE]
  ord_expect_close(sf$fit, eta_ref, 1e-5, paste(label, "se.fit fit"))
  ord_expect_close(sf$se.fit, sqrt(rowSums((Xn %*% Vb) * Xn)), 1e-4, paste(label, "se.fit"))

  # fitted probabilities of the data themselves
  pr_fit <- fitted(fit)
  ord_expect_close(pr_fit, predict(pf, ref$data, type = "probs"), 1e-6, paste(label, "fitted"))
}

housing_f <- Sat ~ Infl + Type + Cont

ord_sim <- function() {
  set.seed(20240611)
  n <- 400
  d <- data.frame(f = factor(sample(c("a", "b", "c"), n, TRUE)), x1 = rnorm(n),
                  x2 = runif(n, -1, 2))
  lat <- c(a = 0, b = 0.7, c = -0.5)[as.character(d$f)] + 0.9 * d$x1 - 0.6 * d$x2 + rlogis(n)
  d$y <- cut(lat, c(-Inf, -1, 0.3, 1.4, Inf), labels = c("none", "low", "mid", "high"),
             ordered_result = TRUE)
  d$w <- rgamma(n, 2, 2) + 0.1
  d
}
sim <- ord_sim()
sim_f <- y ~ f + x1 + x2
sim_new <- data.frame(f = factor(c("a", "b", "c", "b"), levels = c("a", "b", "c")),
                      x1 = c(-2, 0, 1.5, 3), x2 = c(0, 1.7, -0.8, 0.4))

# polr on housing finds no starting values for cauchit: it starts there from
# the logistic estimates divided by 1.8
housing_logit <- MASS::polr(housing_f, data = MASS::housing, weights = Freq)
housing_cauchit_start <- c(coef(housing_logit), housing_logit$zeta) / 1.8

test_that("polr's links are the formulas above (the reference is polr's own model)", {
  # the R log-likelihood at polr's estimate is polr's logLik (for cauchit
  # with polr's clamp at +-100), and polr's estimate is near the polished one
  for (link in names(ord_methods)) {
    ref <- ord_reference(housing_f, MASS::housing, "Freq", link,
                         start = if (link == "cauchit") housing_cauchit_start)
    expect_lt(max(abs(ref$gradient)), 1e-10)
    ord_expect_close(ref$polr_nll_clamped, -logLik(ref$polr), 1e-6,
                     paste(link, "formula logLik at polr's estimate"))
    ord_expect_close(ref$polr_theta, ref$theta, 0.02, paste(link, "polr vs polished"))
    if (link != "cauchit") {
      ord_expect_close(ref$polr_nll_formula, -logLik(ref$polr), 1e-6,
                       paste(link, "unclamped formula logLik at polr's estimate"))
      ord_expect_close(-logLik(ref$polr), ref$nll, 1e-3, paste(link, "polr logLik vs polished"))
    }
  }
  # polr's cauchit logLik is that of the clamped function: 10.6 below the true one
  ref <- ord_reference(housing_f, MASS::housing, "Freq", "cauchit")
  expect_gt(abs(ref$polr_nll_formula + logLik(ref$polr)), 10)
  # and the two Gumbel links are not each other (the test above can tell them apart)
  cl <- ord_reference(housing_f, MASS::housing, "Freq", "cloglog")
  ll <- ord_reference(housing_f, MASS::housing, "Freq", "loglog")
  expect_gt(abs(cl$nll - ll$nll), 1)
})

test_that("housing (Sat ~ Infl + Type + Cont, weights = Freq): every link matches polished polr", {
  nd <- MASS::housing[c(1, 8, 20, 33, 50, 71), ]
  for (link in names(ord_methods)) {
    ref <- ord_reference(housing_f, MASS::housing, "Freq", link,
                         start = if (link == "cauchit") housing_cauchit_start)
    fit <- gradglm(Sat ~ Infl + Type + Cont, data = MASS::housing, weights = Freq,
                   family = ordinal(link = link))
    expect_true(fit$converged)
    expect_identical(fit$family$link, link)
    ord_check_fit(fit, ref, nd, paste("housing", link))
  }
})

test_that("simulated data (4 levels, factor + 2 numeric, weights): every link matches", {
  for (link in names(ord_methods)) {
    ref <- ord_reference(sim_f, sim, "w", link)
    expect_lt(max(abs(ref$gradient)), 1e-10)
    fit <- gradglm(y ~ f + x1 + x2, data = sim, weights = w, family = ordinal(link))
    expect_true(fit$converged)
    expect_identical(fit$lev, c("none", "low", "mid", "high"))
    expect_identical(names(coef(fit))[5:7], c("none|low", "low|mid", "mid|high"))
    ord_check_fit(fit, ref, sim_new, paste("sim", link))
  }
})

test_that("every optimizer that converges reaches the polished optimum (logit, sim)", {
  ref <- ord_reference(sim_f, sim, "w", "logit")
  for (opt in c("newton", "lbfgs")) {
    fit <- gradglm(y ~ f + x1 + x2, data = sim, weights = w, family = ordinal(),
                   optimizer = opt)
    expect_identical(fit$optimizer, opt)
    ord_expect_close(coef(fit), ref$theta, 1e-5, paste(opt, "coefficients"))
    ord_expect_close(logLik(fit), -ref$nll, 1e-6, paste(opt, "logLik"))
  }
})

test_that("the engine's loss, gradient and observed curvature match the likelihood", {
  X <- model.matrix(sim_f, sim)[, -1L]
  L <- nlevels(sim$y)
  theta <- c(0.3, -0.4, 0.8, -0.5, -1.1, 0.2, 1.3)
  h <- 1e-5
  for (link in names(ord_codes)) {
    spec <- list(designs = list(X, NULL), block_design = 0:1, block_m = c(1L, L - 1L),
                 y = as.double(as.integer(sim$y) - 1L), weights = sim$w, offsets = list(),
                 likelihood = list(type = "ordinal", classes = L, link = ord_codes[[link]]))
    ev <- function(th) gradglm:::model_eval(spec, th)
    me <- gradglm:::model_eval(spec, theta, curvature = "observed")
    r <- ord_nll(theta, X, sim$y, sim$w, link)
    sw <- sum(sim$w)
    ord_expect_close(me$loss, r$value / sw, 1e-12, paste(link, "loss"))
    ord_expect_close(me$gradient, r$gradient / sw, 1e-10, paste(link, "gradient vs R"))
    ord_expect_close(me$curvature, r$hessian / sw, 1e-10, paste(link, "curvature vs R"))
    fd_g <- vapply(seq_along(theta), function(k) {
      e <- replace(numeric(length(theta)), k, h)
      (ev(theta + e)$loss - ev(theta - e)$loss) / (2 * h)
    }, 0)
    fd_h <- vapply(seq_along(theta), function(k) {
      e <- replace(numeric(length(theta)), k, h)
      (ev(theta + e)$gradient - ev(theta - e)$gradient) / (2 * h)
    }, numeric(length(theta)))
    ord_expect_close(me$gradient, fd_g, 1e-7, paste(link, "gradient vs differences"))
    ord_expect_close(me$curvature, fd_h, 1e-7, paste(link, "curvature vs differences"))
    expect_true(isSymmetric(me$curvature))
  }
  # cut-points out of order: an infinite loss
  spec$likelihood$link <- 1L
  expect_identical(gradglm:::model_eval(spec, c(theta[1:4], 0.5, 0.2, 1))$loss, Inf)
})

test_that("anova() of nested ordinal fits is the likelihood-ratio test", {
  for (link in c("logit", "cloglog")) {
    big <- ord_reference(housing_f, MASS::housing, "Freq", link)
    small <- ord_reference(Sat ~ Infl + Type, MASS::housing, "Freq", link)
    f1 <- gradglm(Sat ~ Infl + Type, data = MASS::housing, weights = Freq, family = ordinal(link))
    f2 <- gradglm(housing_f, data = MASS::housing, weights = Freq, family = ordinal(link))
    a <- anova(f1, f2)
    lr <- 2 * (small$nll - big$nll)
    ord_expect_close(a[["-2 logLik"]], 2 * c(small$nll, big$nll), 1e-6, paste(link, "-2 logLik"))
    expect_identical(as.numeric(a$Df[2]), 1)
    ord_expect_close(a[["LR stat"]][2], lr, 1e-6, paste(link, "LR"))
    ord_expect_close(a[["Pr(>Chi)"]][2], pchisq(lr, 1, lower.tail = FALSE), 1e-9,
                     paste(link, "p"))
    ap <- anova(small$polr, big$polr)
    ord_expect_close(a[["LR stat"]][2], ap[["LR stat."]][2], 1e-3, paste(link, "LR vs polr"))
  }
})

test_that("residuals: response, Pearson and deviance", {
  # unit weights (the Pearson residuals of a weighted fit: see the report)
  fit <- gradglm(y ~ f + x1 + x2, data = sim, family = ordinal("probit"))
  sim$one <- 1
  ref <- ord_reference(sim_f, sim, "one", "probit")
  P <- predict(ord_polr_at(ref), type = "probs")
  Y <- outer(as.integer(sim$y), 1:4, "==") + 0
  r <- residuals(fit, type = "response")
  expect_identical(dim(r), c(400L, 4L))
  ord_expect_close(r, Y - P, 1e-6, "response residuals")
  ord_expect_close(residuals(fit, type = "pearson"), (Y - P) / sqrt(P * (1 - P)), 1e-5,
                   "Pearson residuals")
  ord_expect_close(residuals(fit, type = "deviance"), sqrt(-2 * log(rowSums(Y * P))), 1e-6,
                   "deviance residuals")

  # weighted: the deviance residuals' squares add up to the deviance
  fw <- gradglm(y ~ f + x1 + x2, data = sim, weights = w, family = ordinal("probit"))
  dr <- residuals(fw, type = "deviance")
  expect_length(dr, 400L)
  ord_expect_close(sum(dr^2), deviance(fw), 1e-8, "sum of squared deviance residuals")
  ord_expect_close(sum(dr^2), -2 * as.numeric(logLik(fw)), 1e-8, "deviance residuals vs logLik")
})

test_that("an unordered factor (or numeric) response is an error asking for an ordered one", {
  d <- sim
  d$y <- factor(as.character(sim$y), levels = levels(sim$y))
  expect_error(gradglm(y ~ x1, data = d, family = ordinal()), "must be an ordered factor")
  expect_error(gradglm(y ~ x1, data = d, family = ordinal()), "unordered")
  d$y <- as.integer(sim$y)
  expect_error(gradglm(y ~ x1, data = d, family = ordinal()), "must be an ordered factor")
  # a character response is named as such (before: "not an unordered factor")
  d$y <- as.character(sim$y)
  expect_error(gradglm(y ~ x1, data = d, family = ordinal()), "must be an ordered factor, not character")
})

test_that("an empty response level is dropped with a warning", {
  keep <- sim$y != "low"
  d_drop <- sim[keep, ]
  d_drop$y <- droplevels(d_drop$y)
  ref <- ord_reference(sim_f, d_drop, "w", "logit")
  expect_identical(names(ref$theta)[5:6], c("none|mid", "mid|high"))

  # a level whose observations all have weight 0
  d0 <- sim
  d0$w[!keep] <- 0
  expect_warning(fit0 <- gradglm(y ~ f + x1 + x2, data = d0, weights = w, family = ordinal()),
                 "'low'.*empty")
  expect_identical(fit0$lev, c("none", "mid", "high"))
  expect_identical(names(coef(fit0)), names(ref$theta))
  ord_expect_close(coef(fit0), ref$theta, 1e-5, "zero-weight level: coefficients")
  ord_expect_close(sqrt(diag(vcov(fit0))), ref$se, 1e-4, "zero-weight level: SEs")
  expect_identical(ncol(fitted(fit0)), 3L)

  # a level without observations, through gradglm_fit()
  X <- model.matrix(sim_f, d_drop)[, -1L]
  y5 <- factor(as.character(d_drop$y), levels = c("none", "low", "mid", "high"), ordered = TRUE)
  expect_warning(fit1 <- gradglm_fit(X, y5, weights = d_drop$w, family = ordinal()),
                 "'low'.*empty")
  expect_identical(fit1$lev, c("none", "mid", "high"))
  ord_expect_close(coef(fit1), ref$theta, 1e-5, "empty level (gradglm_fit): coefficients")

  # and through the formula (the level is dropped; see the report on its warning)
  d5 <- d_drop
  d5$y <- y5
  fit2 <- suppressWarnings(gradglm(y ~ f + x1 + x2, data = d5, weights = w, family = ordinal()))
  expect_identical(fit2$lev, c("none", "mid", "high"))
  ord_expect_close(coef(fit2), ref$theta, 1e-5, "empty level (formula): coefficients")
})

test_that("extreme linear predictors (a covariate scaled by 1e3) stay finite", {
  big <- sim
  big$x1 <- sim$x1 * 1e3
  scale <- c(1, 1, 1e3, 1, 1, 1, 1)
  for (link in names(ord_methods)) {
    ref <- ord_reference(sim_f, sim, "w", link)
    # fitting on the scaled covariate: the same model, its coefficient / 1e3
    fit <- gradglm(y ~ f + x1 + x2, data = big, weights = w, family = ordinal(link))
    expect_true(fit$converged)
    ord_expect_close(coef(fit) * scale, ref$theta, 1e-5, paste(link, "scaled fit"))
    ord_expect_close(logLik(fit), -ref$nll, 1e-6, paste(link, "scaled fit logLik"))
    # predicting the scaled rows from the unscaled fit: |eta| in the thousands
    fit0 <- gradglm(y ~ f + x1 + x2, data = sim, weights = w, family = ordinal(link))
    eta <- predict(fit0, big, type = "link")
    expect_true(all(is.finite(eta)))
    expect_gt(max(abs(eta)), 1000)
    pr <- predict(fit0, big, type = "probs")
    expect_true(all(is.finite(pr)) && all(pr >= 0 & pr <= 1))
    ord_expect_close(rowSums(pr), rep(1, nrow(big)), 1e-12, paste(link, "extreme probs sum"))
    Fz <- ord_cdf(link, outer(-eta, coef(fit0)[5:7], `+`))
    ord_expect_close(pr, cbind(Fz, 1) - cbind(0, Fz), 1e-12, paste(link, "extreme probs"))
    cls <- predict(fit0, big, type = "class")
    expect_identical(as.character(cls[eta > 1e3]), rep("high", sum(eta > 1e3)))
    expect_identical(as.character(cls[eta < -1e3]), rep("none", sum(eta < -1e3)))
  }
})

test_that("the engine's loss stays finite and exact at |eta| = 1000 (logit, probit, cauchit)", {
  # log P of each class in log space, from R's log.p distribution functions
  log_cdf <- function(link, x) {
    switch(link, logit = plogis(x, log.p = TRUE), probit = pnorm(x, log.p = TRUE),
           cauchit = pcauchy(x, log.p = TRUE))
  }
  log1mexp <- function(a) ifelse(a <= log(2), log(-expm1(-a)), log1p(-exp(-a)))
  log_prob <- function(link, l, u) {
    if (l == -Inf) return(log_cdf(link, u))
    if (u == Inf) return(log_cdf(link, -l))  # symmetric F
    if (l >= 0) {
      sl <- log_cdf(link, -l)
      return(sl + log1mexp(sl - log_cdf(link, -u)))
    }
    fu <- log_cdf(link, u)
    fu + log1mexp(fu - log_cdf(link, l))
  }
  zeta <- c(-0.5, 0.5)
  for (link in c("logit", "probit", "cauchit")) {
    for (eta in c(-1000, 1000)) {
      for (cls in 0:2) {
        spec <- list(designs = list(matrix(1, 1, 1), NULL), block_design = 0:1,
                     block_m = c(1L, 2L), y = as.double(cls), weights = 1, offsets = list(),
                     likelihood = list(type = "ordinal", classes = 3L, link = ord_codes[[link]]))
        me <- gradglm:::model_eval(spec, c(eta, zeta), curvature = "observed")
        cuts <- c(-Inf, zeta, Inf)
        expected <- -log_prob(link, cuts[cls + 1L] - eta, cuts[cls + 2L] - eta)
        lab <- sprintf("%s eta=%g class %d", link, eta, cls)
        expect_true(is.finite(me$loss), label = lab)
        expect_true(all(is.finite(me$gradient)) && all(is.finite(me$curvature)), label = lab)
        ord_expect_close(me$loss, expected, 1e-9 * max(1, abs(expected)), paste(lab, "loss"))
      }
    }
  }
})

test_that("fit$zeta is named as polr names its cut-points", {
  fit <- gradglm(Sat ~ Infl, data = MASS::housing, weights = Freq, family = ordinal())
  pm <- MASS::polr(Sat ~ Infl, data = MASS::housing, weights = Freq)
  expect_identical(names(fit$zeta), names(pm$zeta))
  expect_identical(names(fit$zeta), c("Low|Medium", "Medium|High"))
})

test_that("y ~ 1 fits the cut-points alone: the quantiles of the cumulative proportions", {
  d <- data.frame(y = factor(c(1, 2, 3, 3, 2, 1, 2, 3, 3, 1, 3), ordered = TRUE))
  for (link in c("logit", "probit")) {
    fit <- gradglm(y ~ 1, data = d, family = ordinal(link))
    cum <- cumsum(table(d$y))[1:2] / nrow(d)
    q <- if (link == "logit") qlogis(cum) else qnorm(cum)
    expect_equal(unname(coef(fit)), unname(q), tolerance = 1e-8, info = link)
    expect_identical(names(coef(fit)), c("1|2", "2|3"))
  }
})

test_that("the null deviance is the deviance of the cut-points alone (weighted, and with an empty class)", {
  # (the finish sums the classes' weights, sum_k W_k log(W_k / W), instead of
  # an n x L product: the intercept-only fit by the engine is the reference)
  h <- MASS::housing
  fit <- gradglm(Sat ~ Infl + Type + Cont, data = h, weights = Freq, family = ordinal())
  fnull <- gradglm(Sat ~ 1, data = h, weights = Freq, family = ordinal())
  expect_equal(fit$null.deviance, deviance(fnull), tolerance = 1e-10)
  W <- tapply(h$Freq, h$Sat, sum)
  expect_equal(fit$null.deviance, -2 * sum(W * log(W / sum(W))), tolerance = 1e-12)
  expect_gt(fit$null.deviance, deviance(fit))
  # a class with weight 0 everywhere is dropped; the others' shares remain
  set.seed(5)
  d <- data.frame(x = rnorm(60), y = factor(sample(c("a", "b", "d"), 60, TRUE), levels = c("a", "b", "c", "d"),
                                            ordered = TRUE))
  fit2 <- suppressWarnings(gradglm(y ~ x, data = d, family = ordinal()))
  n_k <- as.numeric(table(droplevels(d$y)))
  expect_equal(fit2$null.deviance, -2 * sum(n_k * log(n_k / 60)), tolerance = 1e-12)
})

test_that("cloglog and loglog stay exact far in their light tails", {
  spec <- function(y, link) {
    list(designs = list(matrix(1, 1, 1), NULL), block_design = 0:1, block_m = c(1L, 2L), y = y,
         weights = 1, offsets = list(), likelihood = list(type = "ordinal", classes = 3L, link = link))
  }
  # cloglog, class 1 at eta = 800: -log F(-0.5 - 800) = 800.5 + exp(-800.5) / 2
  expect_equal(gradglm:::model_eval(spec(0, 3L), c(800, -0.5, 0.5))$loss, 800.5, tolerance = 1e-14)
  expect_equal(gradglm:::model_eval(spec(0, 3L), c(740, -0.5, 0.5))$loss, 740.5, tolerance = 1e-14)
  # loglog, class 3 at eta = -800: -log(1 - F(0.5 + 800)) = 800.5
  expect_equal(gradglm:::model_eval(spec(2, 4L), c(-800, -0.5, 0.5))$loss, 800.5, tolerance = 1e-14)
})

test_that("an empty class of an ordered response is dropped with a warning, also through a formula", {
  set.seed(5)
  d <- data.frame(x = rnorm(60))
  d$y <- factor(sample(c("a", "b", "c", "d"), 60, TRUE), levels = c("a", "b", "c", "d", "e"),
                ordered = TRUE)
  expect_warning(fit <- gradglm(y ~ x, data = d, family = ordinal()), "'e'.*empty")
  expect_identical(fit$lev, c("a", "b", "c", "d"))
})

test_that("Pearson residuals of a weighted categorical fit carry sqrt(weights), as the deviance ones do", {
  fit <- gradglm(Sat ~ Infl, data = MASS::housing, weights = Freq, family = ordinal())
  P <- fitted(fit)
  Y <- P + residuals(fit, "response")
  expect_equal(residuals(fit, "pearson"), (Y - P) * sqrt(MASS::housing$Freq) / sqrt(P * (1 - P)))
})

test_that("every optimizer reaches the ordinal MLE (first-order ones within the suite's tolerances)", {
  h <- gradglm(Sat ~ Infl + Type + Cont, data = MASS::housing, weights = Freq, family = ordinal())
  nobs_w <- sum(MASS::housing$Freq)
  for (o in c("lbfgs", "gd", "sgd", "adam")) {
    set.seed(1)
    f <- gradglm(Sat ~ Infl + Type + Cont, data = MASS::housing, weights = Freq, family = ordinal(),
                 optimizer = o, max_iter = 20000)
    expect_true(f$converged, info = o)
    gap <- (as.numeric(logLik(h)) - as.numeric(logLik(f))) / nobs_w
    expect_gt(gap, -1e-12)
    if (o %in% c("lbfgs", "gd")) {
      expect_lt(gap, 1e-12)
      expect_lt(max(abs(coef(f) - coef(h))), if (o == "lbfgs") 1e-6 else 1e-5)
    } else {
      expect_lt(gap, 1e-3)
    }
  }
})

test_that("an ordinal formula without intercept: the intercept is assumed (as polr); a matrix that needs it is an error", {
  expect_warning(a <- gradglm(Sat ~ Infl - 1, data = MASS::housing, weights = Freq, family = ordinal()),
                 "gradglm: an intercept is needed and assumed")
  b <- gradglm(Sat ~ Infl, data = MASS::housing, weights = Freq, family = ordinal())
  expect_equal(coef(a), coef(b))
  expect_equal(attr(logLik(a), "df"), attr(logLik(b), "df"))
  expect_error(gradglm_fit(model.matrix(~ Infl - 1, MASS::housing), MASS::housing$Sat,
                           weights = MASS::housing$Freq, family = ordinal()),
               "gradglm_fit: columns of the design add up to a constant")
})

test_that("a column collinear with the cut-points is aliased, as polr drops it (in memory and chunked)", {
  h <- MASS::housing
  h$k <- 3  # constant: the cut-points' shift
  h$notHigh <- as.numeric(h$Infl != "High")  # 1 - InflHigh: with a constant, dependent
  m <- suppressWarnings(MASS::polr(Sat ~ Infl + Cont, weights = Freq, data = h, control = list(reltol = 1e-14)))
  ctl <- gradglm_control(tol = 1e-12)
  for (fo in list(Sat ~ Infl + k + Cont, Sat ~ Infl + notHigh + Cont)) {
    a <- expect_silent(gradglm(fo, weights = Freq, data = h, family = ordinal(), control = ctl))
    alias_name <- setdiff(names(coef(a)), c(names(coef(m)), names(m$zeta)))
    expect_length(alias_name, 1L)
    expect_true(is.na(coef(a)[[alias_name]]))
    expect_equal(coef(a)[names(coef(m))], coef(m), tolerance = 1e-6)
    expect_equal(a$zeta, m$zeta, tolerance = 1e-6)
    expect_equal(logLik(a)[1], logLik(m)[1], tolerance = 1e-10)
    expect_equal(attr(logLik(a), "df"), 5)
    expect_output(print(summary(a)), "1 not defined because of singularities")
  }
  # the large-data rank check (a sketch of the rows) says the same
  set.seed(5)
  n <- 30000
  d <- data.frame(x = rnorm(n), k = 2)
  d$y <- cut(d$x + rlogis(n), c(-Inf, -1, 0, 1, Inf), ordered_result = TRUE)
  big <- gradglm(y ~ x + k, data = d, family = ordinal())
  expect_true(is.na(coef(big)[["k"]]))
  expect_equal(coef(big)[["x"]], coef(gradglm(y ~ x, data = d, family = ordinal()))[["x"]], tolerance = 1e-8)
  # a chunked fit (a CSV file read in chunks) aliases the same column
  d2 <- d[1:2000, ]
  d2$y <- as.character(d2$y)
  f <- tempfile(fileext = ".csv")
  on.exit(unlink(f), add = TRUE)
  utils::write.csv(d2, f, row.names = FALSE)
  src <- gradglm_source(f, chunk_size = 500, levels = list(y = levels(d$y)))
  ch <- gradglm(y ~ x + k, data = src, family = ordinal(), control = ctl)
  mem <- gradglm(y ~ x + k, data = d[1:2000, ], family = ordinal(), control = ctl)
  expect_true(is.na(coef(ch)[["k"]]))
  expect_equal(coef(ch), coef(mem), tolerance = 1e-7)
})

test_that("rows of zero weight whose class is dropped have NA residuals, not those of the first class", {
  set.seed(4)
  n <- 150
  d <- data.frame(x1 = rnorm(n))
  d$y <- factor(cut(d$x1 + rnorm(n), c(-Inf, -0.5, 0.3, Inf), labels = c("A", "B", "C")), ordered = TRUE)
  d$w <- ifelse(d$y == "B", 0, 1)
  expect_warning(g <- gradglm(y ~ x1, data = d, weights = w, family = ordinal()), "'B' of the response are empty")
  h <- gradglm(y ~ x1, data = droplevels(d[d$y != "B", ]), family = ordinal())
  b <- d$y == "B"
  # (before: the B rows' residuals were taken against class A, e.g. 0.768 where y is not A)
  for (type in c("deviance", "pearson", "response")) {
    r <- residuals(g, type = type)
    rh <- residuals(h, type = type)
    if (is.matrix(r)) {
      expect_true(all(is.na(r[b, ])))
      expect_equal(unname(r[!b, ]), unname(rh), tolerance = 1e-8)
    } else {
      expect_true(all(is.na(r[b])))
      expect_equal(unname(r[!b]), unname(rh), tolerance = 1e-8)
    }
  }
  expect_warning(m <- gradglm(factor(y, ordered = FALSE) ~ x1, data = d, weights = w, family = multinomial()),
                 "'B' of the response are empty")
  expect_true(all(is.na(residuals(m, type = "response")[b, ])))
  expect_false(anyNA(residuals(m, type = "response")[!b, ]))
})

test_that("separated classes (complete and quasi) are warned about; a strong predictor's finite fit is not", {
  set.seed(3)
  n <- 300
  d <- data.frame(x = rnorm(n))
  # complete: the classes are intervals of x (before: coefficients of thousands, no warning)
  d$ys <- cut(d$x, c(-Inf, -1, 0, 1, Inf), ordered_result = TRUE)
  for (link in c("logit", "probit")) {
    expect_warning(gradglm(ys ~ x, data = d, family = ordinal(link)), "the classes are separated", label = link)
  }
  # cloglog and loglog, three classes: one warning, the separation, which
  # explains the singular curvature (standard errors NA); before, a second
  # warning of "no standard errors"
  set.seed(3)
  d3 <- data.frame(x = rnorm(150))
  d3$y <- cut(d3$x, c(-Inf, -0.5, 0.5, Inf), ordered_result = TRUE)
  for (link in c("cloglog", "loglog")) {
    f <- quiet_fit(gradglm(y ~ x, data = d3, family = ordinal(link)))
    w <- attr(f, "warnings")
    expect_length(w, 1L)
    expect_match(w, "the classes are separated", label = link)
    expect_true(all(is.na(sqrt(diag(vcov(f))))), label = link)
    # four classes: Newton's steps, slow in these links' tails, stop at the
    # iteration limit with rows near a cut-point off the edge; every row
    # strictly inside its class's interval certifies it (before: no warning
    # of separation, but "no standard errors")
    w <- attr(quiet_fit(gradglm(ys ~ x, data = d, family = ordinal(link))), "warnings")
    expect_true(any(grepl("the classes are separated", w)), label = link)
    expect_false(any(grepl("no standard errors", w)), label = link)
  }
  # quasi: z marks the top class alone (before: z's coefficient ~40, no warning)
  d$yq <- cut(d$x + rlogis(n), c(-Inf, -1, 0, 1, Inf), ordered_result = TRUE)
  d$z <- as.numeric(d$yq == levels(d$yq)[4L])
  expect_warning(f <- gradglm(yq ~ x + z, data = d, family = ordinal()), "the classes are separated")
  expect_gt(coef(f)[["z"]], 10)
  # not separated: far-out rows have probabilities numerically 1 at a finite maximum
  set.seed(1)
  m <- 5000
  e <- data.frame(x = 3 * rnorm(m))
  e$y <- cut(5 * e$x + rlogis(m), c(-Inf, -2, 0, 2, Inf), ordered_result = TRUE)
  expect_no_warning(g <- gradglm(y ~ x, data = e, family = ordinal()))
  expect_gt(max(fitted(g)), 1 - 1e-12)
  expect_true(all(is.finite(sqrt(diag(vcov(g))))))
})

test_that("simulate() of an ordinal fit draws ordered factors, which refit", {
  fit <- gradglm(y ~ f + x1, data = sim, family = ordinal())
  s <- simulate(fit, nsim = 2, seed = 7)
  # (before: unordered factors, which ordinal() refuses as a response)
  expect_true(is.ordered(s$sim_1))
  expect_identical(levels(s$sim_1), levels(sim$y))
  d <- cbind(sim, s)
  refit <- gradglm(sim_1 ~ f + x1, data = d, family = ordinal())
  expect_identical(names(coef(refit)), names(coef(fit)))
  expect_identical(simulate(fit, nsim = 2, seed = 7), s)
})
