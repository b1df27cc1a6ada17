# Numerical torture: separation, huge counts and weights, responses and
# columns at extreme scales, nearly collinear designs, Student-t at df -> 0.1
# and df -> 1e6, and a scale model driven to its boundary. Every case either
# agrees with a reference (glm() or lm(), on rescaled data where that is exact,
# or a maximum polished by Newton steps on an analytic gradient and Hessian)
# or warns in words that say what happened; nothing may come back NaN.

# ---------------------------------------------------------------------------
# References

# Newton steps (each a least-squares solve on sqrt(W) X: no normal equations)
# for the binomial-logit and Poisson-log likelihoods, written so that nothing
# cancels: 1 - p as plogis(-eta), deviances from log1pexp(+-eta) and
# y log1p((y - mu) / mu) - (y - mu). Returns coef, deviance and the inverse
# Fisher information (from the R of the QR, as glm's).
log1pexp <- function(e) ifelse(e > 0, e + log1p(exp(-e)), log1p(exp(e)))
glm_ref_parts <- function(family, X, y, w, b) {
  e <- drop(X %*% b)
  if (family == "binomial") {
    p <- plogis(e)
    q <- plogis(-e)
    list(dev = 2 * sum(w * (y * log1pexp(-e) + (1 - y) * log1pexp(e))),
         work = w * p * q, score = w * ifelse(y == 1, q, ifelse(y == 0, -p, y - p)))
  } else {
    mu <- exp(e)
    d <- y - mu
    list(dev = 2 * sum(w * ifelse(y > 0, y * log1p(d / mu) - d, mu)), work = w * mu, score = w * d)
  }
}
glm_polish <- function(family, X, y, w, b, steps = 30) {
  for (i in seq_len(steps)) {
    pt <- glm_ref_parts(family, X, y, w, b)
    sw <- sqrt(pt$work)
    step <- qr.coef(qr(sw * X), pt$score / sw)
    b <- b + step
    if (max(abs(step) / pmax(abs(b), 1)) < 1e-15) break
  }
  pt <- glm_ref_parts(family, X, y, w, b)
  list(coef = b, deviance = pt$dev, cov = chol2inv(qr.R(qr(sqrt(pt$work) * X))),
       score = drop(crossprod(X, pt$score)))
}

# The multinomial (baseline-category logit) log-likelihood of B (p x (L-1)),
# and Newton steps on it from B.
mn_loglik <- function(X, Y, B) {
  E <- cbind(0, X %*% B)
  m <- apply(E, 1L, max)
  sum(Y * (E - m - log(rowSums(exp(E - m)))))
}
mn_polish <- function(X, Y, B, steps = 30) {
  p <- ncol(X)
  K <- ncol(Y) - 1L
  for (i in seq_len(steps)) {
    E <- cbind(0, X %*% B)
    P <- exp(E - apply(E, 1L, max))
    P <- P / rowSums(P)
    g <- as.vector(crossprod(X, (Y - P)[, -1L, drop = FALSE]))
    info <- matrix(0, p * K, p * K)
    for (j in seq_len(K)) for (k in seq_len(K)) {
      wjk <- P[, j + 1L] * ((j == k) - P[, k + 1L])
      info[(j - 1L) * p + seq_len(p), (k - 1L) * p + seq_len(p)] <- crossprod(X, wjk * X)
    }
    step <- solve(info, g)
    B <- B + matrix(step, p)
    if (max(abs(step) / pmax(abs(as.vector(B)), 1)) < 1e-15) break
  }
  list(B = B, loglik = mn_loglik(X, Y, B), grad = g)
}

# The Student-t negative log-likelihood of (beta, log sigma) at fixed df
# (without its constant), its gradient and Hessian, and the reference fit:
# optim(BFGS, reltol 1e-15) from `start`, then Newton steps while the
# Hessian is positive definite.
t_parts <- function(th, X, y, nu) {
  p <- ncol(X)
  s <- exp(th[p + 1L])
  z <- drop(y - X %*% th[seq_len(p)]) / s
  A <- nu + z^2
  list(z = z, s = s, A = A, nll = sum(log(s) + (nu + 1) / 2 * log1p(z^2 / nu)))
}
t_nll <- function(th, X, y, nu) t_parts(th, X, y, nu)$nll
t_grad <- function(th, X, y, nu) {
  tp <- t_parts(th, X, y, nu)
  c(crossprod(X, -(nu + 1) * tp$z / (tp$s * tp$A)), sum(1 - (nu + 1) * tp$z^2 / tp$A))
}
t_hess <- function(th, X, y, nu) {
  tp <- t_parts(th, X, y, nu)
  p <- ncol(X)
  u <- tp$z^2
  H <- matrix(0, p + 1L, p + 1L)
  H[seq_len(p), seq_len(p)] <- crossprod(X, (nu + 1) * (nu - u) / (tp$s^2 * tp$A^2) * X)
  H[seq_len(p), p + 1L] <- H[p + 1L, seq_len(p)] <- crossprod(X, 2 * (nu + 1) * nu * tp$z / (tp$s * tp$A^2))
  H[p + 1L, p + 1L] <- sum(2 * (nu + 1) * u * nu / tp$A^2)
  H
}
t_ref <- function(start, X, y, nu) {
  o <- optim(start, t_nll, t_grad, X = X, y = y, nu = nu, method = "BFGS",
             control = list(reltol = 1e-15, maxit = 5000))
  # (from a start already at a maximum, BFGS's first steps can wander off it
  # by rounding: Newton's steps polish the better of the two)
  th <- if (t_nll(o$par, X, y, nu) <= t_nll(start, X, y, nu)) o$par else start
  for (i in 1:20) {
    H <- t_hess(th, X, y, nu)
    if (min(eigen(H, symmetric = TRUE, only.values = TRUE)$values) <= 0) break
    step <- solve(H, t_grad(th, X, y, nu))
    # (a step may raise the likelihood's value by rounding only: the curvature here
    # reaches 3e5, so the last digits of the coefficients move the gradient by 1e-5)
    if (t_nll(th - step, X, y, nu) > t_nll(th, X, y, nu) + 1e-13 * abs(t_nll(th, X, y, nu))) break
    th <- th - step
  }
  H <- t_hess(th, X, y, nu)
  list(par = th, nll = t_nll(th, X, y, nu), grad = t_grad(th, X, y, nu),
       min_eigen = min(eigen(H, symmetric = TRUE, only.values = TRUE)$values))
}

# ---------------------------------------------------------------------------
# 1. Separation

test_that("binomial, complete and quasi-complete separation: a warning that the MLE does not exist, finite coefficients", {
  d <- data.frame(x = c(-3:-1, 1:3), y = c(0, 0, 0, 1, 1, 1))
  expect_warning(glm(y ~ x, family = binomial(), data = d), "numerically 0 or 1")
  dq <- data.frame(x = c(-3:-1, 0, 0, 1:3), y = c(0, 0, 0, 0, 1, 1, 1, 1))  # the ties at 0 overlap
  for (opt in c("newton", "lbfgs")) {
    for (dd in list(d, dq)) {
      expect_warning(fit <- gradglm(y ~ x, data = dd, family = binomial(), optimizer = opt),
                     "classes are separated.*maximum-likelihood estimate does not exist")
      b <- coef(fit)
      expect_true(all(is.finite(b)))
      expect_gt(b[["x"]], 10)                       # large: running off to +Inf
      expect_false(anyNA(fitted(fit)) || anyNA(vcov(fit)) || is.nan(deviance(fit)))
      # the fitted probabilities are on the right side of 1/2 wherever y is 0 or 1 at a distinct x
      sep_rows <- dd$x != 0
      expect_true(all((fitted(fit)[sep_rows] > 0.5) == (dd$y[sep_rows] == 1)))
      # what is left of the deviance is the tied rows' (2 log 2 for dq), not more
      expect_lt(deviance(fit), if (nrow(dd) == 8L) 2 * log(4) + 1e-6 else 1e-6)
    }
  }
})

test_that("binomial, near separation (a finite MLE with a steep slope): as glm, polished", {
  x <- c(seq(-2, -0.05, length.out = 20), seq(0.1, 2, length.out = 20))
  y <- as.numeric(x > 0)
  y[c(20, 21)] <- c(1, 0)                         # the two rows next to 0 swap: they overlap
  X <- cbind(1, x)
  g <- glm(y ~ x, family = binomial(), control = glm.control(epsilon = 1e-15, maxit = 200))
  ref <- glm_polish("binomial", X, y, rep(1, 40), coef(g))
  expect_lt(max(abs(ref$score)), 1e-10)          # the reference is a stationary point
  expect_gt(ref$coef[2], 10)                     # steep, yet finite
  expect_lt(min(pmin(fitted(g), 1 - fitted(g))), 1e-9)
  for (opt in c("newton", "lbfgs")) {
    fit <- expect_no_warning(gradglm(y ~ x, family = binomial(), optimizer = opt))
    expect_close(coef(fit), ref$coef, 1e-8, label = paste("near separation coefficients", opt))
    expect_close(deviance(fit), ref$deviance, 1e-10, label = paste("near separation deviance", opt))
    expect_close(sqrt(diag(vcov(fit))), sqrt(diag(ref$cov)), 1e-6, label = paste("near separation SEs", opt))
  }
})

test_that("multinomial, complete separation: the same warning; near separation: as nnet::multinom, polished", {
  x <- seq(-3, 3, length.out = 30)
  d <- data.frame(x = x, cls = cut(x, c(-Inf, -1, 1, Inf), labels = c("a", "b", "c")))
  expect_warning(fit <- gradglm(cls ~ x, data = d, family = multinomial()),
                 "classes are separated.*maximum-likelihood estimate does not exist")
  expect_true(all(is.finite(coef(fit))))
  expect_false(anyNA(fitted(fit)))
  expect_identical(as.character(predict(fit, type = "class")), as.character(d$cls))

  # near separation: the same three bands, with three rows moved across their borders
  set.seed(9)
  n <- 90
  x <- sort(rnorm(n) * 1.5)
  z <- rnorm(n)
  cl <- ifelse(x < -0.8, "a", ifelse(x > 0.8, "c", "b"))
  cl[c(20, 31, 60, 61)] <- c("b", "a", "c", "b")
  d2 <- data.frame(x, z, cl = factor(cl))
  X <- cbind(1, x, z)
  Y <- outer(as.integer(d2$cl), 1:3, `==`) * 1
  skip_if_not_installed("nnet")
  m <- nnet::multinom(cl ~ x + z, data = d2, trace = FALSE, reltol = 1e-14, maxit = 5000)
  ref <- mn_polish(X, Y, t(coef(m)))
  expect_lt(max(abs(ref$grad)), 1e-9)
  expect_gt(max(abs(ref$B)), 20)                 # steep, yet finite
  w <- character()
  fit <- withCallingHandlers(gradglm(cl ~ x + z, data = d2, family = multinomial()), warning = function(cnd) {
    w <<- c(w, conditionMessage(cnd))
    invokeRestart("muffleWarning")
  })
  # some fitted probabilities are within 1e-10 of 0 or 1, as glm would say; but
  # the MLE exists here, and the certificate of separation must not be claimed
  expect_match(w, "numerically 0 or 1 occurred \\(some classes may be separated\\)", all = TRUE)
  expect_false(any(grepl("does not exist", w)))
  expect_close(t(coef(fit, matrix = TRUE)), ref$B, 1e-8, label = "near separation, multinomial coefficients")
  expect_close(logLik(fit), ref$loglik, 1e-12, label = "near separation, multinomial logLik")
})

# ---------------------------------------------------------------------------
# 2. Huge counts

test_that("Poisson counts up to 1e9: coefficients, standard errors and deviance to 1e-8", {
  set.seed(2)
  n <- 60
  x <- runif(n)
  y <- rpois(n, exp(2 + 18.5 * x))
  expect_gt(max(y), 1e8)
  X <- cbind(1, x)
  g <- glm(y ~ x, family = poisson(), control = glm.control(epsilon = 1e-15, maxit = 100))
  ref <- glm_polish("poisson", X, y, rep(1, n), coef(g))
  for (opt in c("auto", "newton")) {
    fit <- expect_no_warning(gradglm(y ~ x, family = poisson(), optimizer = opt))
    expect_close(coef(fit), ref$coef, 1e-8, label = paste("coefficients", opt))
    expect_close(sqrt(diag(vcov(fit))), sqrt(diag(ref$cov)), 1e-8, label = paste("SEs", opt))
    # the deviance (61.2) is a sum of terms that cancel from 1e9: the reference
    # computes it without cancellation (glm's own is off by 5e-10 here)
    expect_close(deviance(fit), ref$deviance, 1e-8, label = paste("deviance", opt))
    expect_close(logLik(fit), logLik(g), 1e-12, label = paste("logLik", opt))
  }
})

test_that("Poisson counts up to 1e9 by L-BFGS: the optimum, or a warning", {
  # (the engine's Poisson loss is computed as y (e^d - 1 - d), d = eta - log y,
  # without the cancellation of mu - y eta + y log y - y, whose rounding at
  # 1e9 once stalled L-BFGS's line search 7.9e-7 from the optimum)
  set.seed(2)
  n <- 60
  x <- runif(n)
  y <- rpois(n, exp(2 + 18.5 * x))
  g <- glm(y ~ x, family = poisson(), control = glm.control(epsilon = 1e-15, maxit = 100))
  ref <- glm_polish("poisson", cbind(1, x), y, rep(1, n), coef(g))
  fit <- gradglm(y ~ x, family = poisson(), optimizer = "lbfgs")
  expect_close(coef(fit), ref$coef, 1e-8)
  expect_close(deviance(fit), ref$deviance, 1e-8)
})

# ---------------------------------------------------------------------------
# 3. Responses at 1e150 and 1e-150

test_that("Gaussian responses at 1e150 and 1e-150: lm on the rescaled data, exactly rescaled", {
  l <- lm(dist ~ speed, data = cars)
  n <- nrow(cars)
  for (s in c(1e150, 1e-150)) {
    d <- data.frame(speed = cars$speed, y = cars$dist * s)
    for (opt in c("auto", "newton", "lbfgs")) {
      lab <- sprintf("scale %g, %s", s, opt)
      fit <- expect_no_warning(gradglm(y ~ speed, data = d, optimizer = opt))
      expect_close(coef(fit) / s, coef(l), 1e-10, label = paste(lab, "coefficients"))
      expect_close(sqrt(diag(vcov(fit))) / s, sqrt(diag(vcov(l))), 1e-10, label = paste(lab, "SEs"))
      expect_close(sigma(fit) / s, sigma(l), 1e-12, label = paste(lab, "sigma"))
      expect_close(deviance(fit) / s^2, deviance(l), 1e-12, label = paste(lab, "deviance"))
      # the density of y * s is the density of y divided by s: logLik shifts by n log(s)
      expect_close(logLik(fit), logLik(l) - n * log(s), 1e-12, label = paste(lab, "logLik"))
    }
    # the scale as a parameter of the likelihood: sigma:(Intercept) shifts by log(s)
    fit <- expect_no_warning(gradglm(y ~ speed, data = d, sigma = ~ 1))
    expect_close(coef(fit)[1:2] / s, coef(l), 1e-8, label = paste(s, "sigma = ~ 1, location"))
    expect_close(coef(fit)[[3]] - log(s), log(sqrt(deviance(l) / n)), 1e-8, label = paste(s, "log sigma"))
    expect_close(logLik(fit), logLik(l) - n * log(s), 1e-12, label = paste(s, "sigma = ~ 1, logLik"))
    # and a Student-t fit is equivariant: the one of the unscaled data, rescaled
    tref <- gradglm(dist ~ speed, data = cars, family = student_t(df = 4))
    tfit <- expect_no_warning(gradglm(y ~ speed, data = d, family = student_t(df = 4)))
    expect_close(coef(tfit)[1:2] / s, coef(tref)[1:2], 1e-8, label = paste(s, "student_t location"))
    expect_close(coef(tfit)[[3]] - log(s), coef(tref)[[3]], 1e-8, label = paste(s, "student_t log sigma"))
  }
})

# ---------------------------------------------------------------------------
# 4. Columns at 1e8 and 1e-8 in one design

test_that("columns at 1e8 and 1e-8 in one design: as glm and lm", {
  set.seed(3)
  n <- 200
  a <- rnorm(n) * 1e8
  b <- rnorm(n) * 1e-8
  c0 <- rnorm(n)
  eta <- 0.3 + 1e-8 * a - 0.8e8 * b + 0.5 * c0
  d <- data.frame(a, b, c0, yg = 1 + 2e-8 * a + 3e8 * b + c0 + rnorm(n),
                  yb = rbinom(n, 1, plogis(eta)), yp = rpois(n, exp(eta)))
  cases <- list(list(gaussian(), "yg", c("auto", "newton", "lbfgs")),
                list(binomial(), "yb", c("newton", "lbfgs")),
                list(poisson(), "yp", c("newton", "lbfgs")))
  for (cs in cases) {
    f <- as.formula(paste(cs[[2]], "~ a + b + c0"))
    g <- glm(f, data = d, family = cs[[1]], control = glm.control(epsilon = 1e-15, maxit = 100))
    for (opt in cs[[3]]) {
      lab <- paste(cs[[1]]$family, opt)
      fit <- expect_no_warning(gradglm(f, data = d, family = cs[[1]], optimizer = opt))
      expect_close(coef(fit), coef(g), 1e-8, label = paste(lab, "coefficients"))
      expect_close(sqrt(diag(vcov(fit))), sqrt(diag(vcov(g))), 1e-8, label = paste(lab, "SEs"))
      expect_close(deviance(fit), deviance(g), 1e-10, label = paste(lab, "deviance"))
    }
  }
})

# ---------------------------------------------------------------------------
# 5. Nearly collinear columns

test_that("condition number ~2e12: the near-copy is aliased as lm and glm alias it; fitted values agree", {
  set.seed(4)
  n <- 100
  x1 <- rnorm(n)
  d <- data.frame(x1 = x1, x2 = x1 + 1e-12 * rnorm(n), x3 = rnorm(n))
  expect_gt(kappa(cbind(1, as.matrix(d)), exact = TRUE), 1e12)
  d$y <- 1 + d$x1 + d$x3 + rnorm(n)
  d$yb <- rbinom(n, 1, plogis(0.5 * d$x1 + d$x3))
  l <- lm(y ~ x1 + x2 + x3, data = d)
  expect_identical(unname(is.na(coef(l))), c(FALSE, FALSE, TRUE, FALSE))
  # glm aliases x2 at its default control (QR tolerance 1e-7, as lm and gradglm);
  # the values come from a tight fit without it (at epsilon = 1e-15 glm's QR
  # tolerance would be 1e-18, and it would not alias)
  expect_true(is.na(coef(glm(yb ~ x1 + x2 + x3, data = d, family = binomial()))[["x2"]]))
  g <- glm(yb ~ x1 + x3, data = d, family = binomial(), control = glm.control(epsilon = 1e-15, maxit = 100))
  for (opt in c("auto", "newton", "lbfgs")) {
    fit <- expect_no_warning(gradglm(y ~ x1 + x2 + x3, data = d, optimizer = opt))
    expect_close(coef(fit), coef(l), 1e-8, label = paste("aliased, gaussian", opt))
    expect_close(fitted(fit), fitted(l), 1e-10, floor = 1, label = paste("aliased, gaussian fitted", opt))
    if (opt == "auto") next
    fitb <- expect_no_warning(gradglm(yb ~ x1 + x2 + x3, data = d, family = binomial(), optimizer = opt))
    expect_close(coef(fitb), append(coef(g), NA, 2), 1e-8, label = paste("aliased, binomial", opt))
    expect_close(deviance(fitb), deviance(g), 1e-10, label = paste("aliased, binomial deviance", opt))
  }
})

# Raw powers of x on [1, 2]: condition number 4e9, no column aliased. The
# coefficients are ill-determined; the fitted values and the deviance are
# not: the reference is lm() on the orthogonal polynomial of the same span.
collinear_poly_data <- function() {
  set.seed(5)
  n <- 200
  x <- runif(n, 1, 2)
  data.frame(x = x, y = sin(6 * x) + rnorm(n, sd = 0.1), yb = rbinom(n, 1, plogis(3 * sin(6 * x))))
}

test_that("raw polynomial, condition number 4e9: the closed form's fitted values and deviance as lm's", {
  d <- collinear_poly_data()
  X <- model.matrix(~ poly(x, 8, raw = TRUE), d)
  kap <- kappa(X, exact = TRUE)
  expect_gt(kap, 1e9)
  ref <- lm(y ~ poly(x, 8), data = d)
  fit <- expect_no_warning(gradglm(y ~ poly(x, 8, raw = TRUE), data = d))
  expect_false(anyNA(coef(fit)))
  # least squares by QR: fitted values perturbed by about kappa * eps (relative to y)
  bound <- kap * .Machine$double.eps * max(abs(d$y))
  expect_lt(max(abs(fitted(fit) - fitted(ref))), bound)
  expect_close(deviance(fit), deviance(ref), kap * .Machine$double.eps, label = "raw polynomial deviance")
})

test_that("raw polynomial, condition number 4e9: Newton and L-BFGS reach the optimum or say they may not", {
  # Newton and L-BFGS work with the curvature X'WX, whose condition number is
  # the design's squared (~1e19 here): they cannot reach lm's or glm's
  # precision, and each fit says so in words
  d <- collinear_poly_data()
  ref <- lm(y ~ poly(x, 8), data = d)
  refb <- glm(yb ~ poly(x, 8), data = d, family = binomial(), control = glm.control(epsilon = 1e-15, maxit = 100))
  for (opt in c("newton", "lbfgs")) {
    for (fam in c("gaussian", "binomial")) {
      f <- if (fam == "gaussian") y ~ poly(x, 8, raw = TRUE) else yb ~ poly(x, 8, raw = TRUE)
      r <- if (fam == "gaussian") ref else refb
      warned <- FALSE
      fit <- withCallingHandlers(gradglm(f, data = d, family = fam, optimizer = opt), warning = function(w) {
        if (grepl("nearly singular.*nearly collinear", conditionMessage(w))) warned <<- TRUE
        invokeRestart("muffleWarning")
      })
      expect_true(warned || abs(deviance(fit) - deviance(r)) < 1e-6 * deviance(r),
                  label = paste(fam, opt, "agrees with the reference or warns"))
      expect_false(anyNA(coef(fit)))
    }
  }
  # a well-conditioned design of the same span is fitted silently and exactly
  for (opt in c("newton", "lbfgs")) {
    fitb <- expect_no_warning(gradglm(yb ~ poly(x, 8), data = d, family = binomial(), optimizer = opt))
    expect_close(deviance(fitb), deviance(refb), 1e-6, label = paste("orthogonal polynomial", opt))
  }
})

# ---------------------------------------------------------------------------
# 6. Student-t at df = 1e6 and df = 0.1

test_that("student_t(df = 1e6): the Gaussian fit moved by exactly what the 1/df term allows", {
  X <- cbind(1, cars$speed)
  y <- cars$dist
  n <- length(y)
  nu <- 1e6
  l <- lm(dist ~ speed, data = cars)
  th_g <- c(unname(coef(l)), log(sqrt(deviance(l) / n)))   # the Gaussian MLE
  # the t negative log-likelihood is the Gaussian one plus Q / nu + O(nu^-2),
  # Q = sum(z^2 / 2 - z^4 / 4 + 1 / 4) (with the constant's -1 / (4 nu) per row):
  # to first order the MLE moves by -H^-1 grad Q / nu and the log-likelihood
  # by -Q / nu (the move changes it only at second order)
  s <- exp(th_g[3])
  z <- drop(y - X %*% th_g[1:2]) / s
  gQ <- c(crossprod(X, -(z - z^3) / s), sum(z^4 - z^2))
  H <- rbind(cbind(crossprod(X) / s^2, 0), c(0, 0, 2 * n))      # X'r = 0 at the MLE
  move <- function(nu) -solve(H, gQ) / nu
  Q <- sum(z^2 / 2 - z^4 / 4 + 1 / 4)
  t_loglik <- function(r, nu) n * (lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * pi)) - r$nll
  # the second-order terms, measured on polished references at nu = 1e4 and
  # 1e5 (they scale as nu^-2: the two estimates of their coefficient agree to
  # O(1/nu), and at nu = 1e6 they are 1e-4 of those at 1e4)
  r4 <- t_ref(th_g, X, y, 1e4)
  r5 <- t_ref(th_g, X, y, 1e5)
  c2_par <- (r4$par - th_g - move(1e4)) * 1e4^2
  expect_lt(max(abs((r5$par - th_g - move(1e5)) * 1e5^2 - c2_par)), 0.01 * max(abs(c2_par)))
  c2_ll <- (t_loglik(r4, 1e4) - (logLik(l) - Q / 1e4)) * 1e4^2
  ref <- t_ref(th_g, X, y, nu)
  expect_lt(max(abs(ref$grad)), 1e-8)
  fit <- expect_no_warning(gradglm(dist ~ speed, data = cars, family = student_t(df = nu)))
  expect_close(coef(fit), ref$par, 1e-8, label = "student_t(df = 1e6) vs polished optim")
  # the difference from the Gaussian fit is the first-order move, up to the
  # second-order term (|c2| / nu^2 ~ 1e-9 here)
  expect_lt(max(abs(coef(fit) - th_g - move(nu))), 2 * max(abs(c2_par)) / nu^2)
  expect_gt(max(abs(coef(fit) - th_g)), 0.5 * max(abs(move(nu))))    # the fits do differ
  # logLik: the Gaussian's minus Q / nu (2.2e-5), plus the measured second order
  expect_close(logLik(fit), logLik(l) - Q / nu + c2_ll / nu^2, 1e-14, label = "student_t(df = 1e6) logLik")
  expect_gt(abs(logLik(fit) - (logLik(l) - Q / nu)), 0.5 * abs(c2_ll) / nu^2)
})

test_that("student_t(df = 0.1): a polished maximum, the best of many starts", {
  set.seed(1)
  n <- 60
  x <- runif(n, 0, 10)
  y <- 1 + 2 * x + rnorm(n)
  y[1:3] <- y[1:3] + c(30, -40, 60)
  X <- cbind(1, x)
  nu <- 0.1
  fit <- expect_no_warning(gradglm(y ~ x, family = student_t(df = nu)))
  cf <- unname(coef(fit))
  # a line through k points makes the likelihood unbounded (sigma -> 0) when
  # k > n nu / (1 + nu) = 5.5; continuous data put at most 2 points on a line,
  # so it is bounded, but it has many local maxima: polish gradglm's point and
  # those found from the least-squares line and from lines through pairs of points
  own <- t_ref(cf, X, y, nu)
  expect_lt(max(abs(own$grad)), 1e-8)
  expect_gt(own$min_eigen, 0)
  expect_close(cf, own$par, 1e-7, label = "student_t(df = 0.1) vs its polished maximum")
  pairs <- utils::combn(n, 2)[, seq(1, choose(n, 2), by = 7)]
  best <- min(vapply(seq_len(ncol(pairs)), function(k) {
    i <- pairs[1, k]
    j <- pairs[2, k]
    b1 <- (y[j] - y[i]) / (x[j] - x[i])
    optim(c(y[i] - b1 * x[i], b1, 0), t_nll, t_grad, X = X, y = y, nu = nu, method = "BFGS",
          control = list(reltol = 1e-12, maxit = 2000))$value
  }, 0.0), t_ref(c(coef(lm(y ~ x)), 0), X, y, nu)$nll)
  expect_lte(own$nll, best + 1e-9)
  const <- n * (lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * pi))
  expect_close(logLik(fit), const - own$nll, 1e-12, label = "student_t(df = 0.1) logLik")
})

test_that("student_t(df = 0.1) on heavy-tailed data: no false 'unbounded' stop", {
  # (the default start is a robust one: least squares would start the scale
  # 22 units of log above the maximum's, pulled up by values of 1e11)
  set.seed(11)
  n <- 100
  x <- runif(n, 0, 10)
  y <- 1 + 2 * x + 0.5 * rt(n, df = 0.1)
  X <- cbind(1, x)
  fit <- expect_no_warning(gradglm(y ~ x, family = student_t(df = 0.1)))
  ref <- t_ref(unname(coef(fit)), X, y, 0.1)
  expect_close(coef(fit), ref$par, 1e-7)
  expect_lt(ref$nll, 770)   # the maximum found from lines through pairs of points: 769.735
})

test_that("student_t(df = 0.1) on cars: rows on one line make the likelihood unbounded; a warning", {
  # 8 of the 50 cars lie on dist = 8 + 2 speed, more than n nu / (1 + nu) = 4.5:
  # sigma -> 0 on such a line sends the likelihood to infinity, and Newton's
  # local maximum (logLik -264.15) is not an MLE
  expect_identical(sum(cars$dist == 8 + 2 * cars$speed), 8L)
  expect_warning(fit <- gradglm(dist ~ speed, data = cars, family = student_t(df = 0.1)),
                 "likelihood is unbounded: [0-9]+ of the 50 observations lie on one hyperplane.*df = 0.1 more than 4.55")
  expect_false(fit$converged)
  # the line it names: the fit along it (sigma down to 1e-4) has a far larger likelihood
  nll_line <- function(b, log_sigma) -sum(stats::dt((cars$dist - b[1] - b[2] * cars$speed) / exp(log_sigma), 0.1,
                                                    log = TRUE) - log_sigma)
  expect_gt(-nll_line(c(8, 2), log(1e-4)), logLik(fit) + 10)
  # a larger df: at most 8 of 50 on a line stays below n df / (1 + df), no warning
  expect_no_warning(gradglm(dist ~ speed, data = cars, family = student_t(df = 4)))
  # weights: the same rows, each counted twice, are an equivalent fit and say so in weights
  expect_warning(gradglm(dist ~ speed, data = cars, weights = rep(2, 50), family = student_t(df = 0.1)),
                 "observations \\(weight [0-9]+ of 100\\) lie on one hyperplane")
  # R's random numbers are not used by the search
  set.seed(3)
  r1 <- runif(1)
  set.seed(3)
  suppressWarnings(gradglm(dist ~ speed, data = cars, family = student_t(df = 0.1)))
  expect_identical(runif(1), r1)
})

# ---------------------------------------------------------------------------
# 7. A scale model driven to its boundary

test_that("a group fitted exactly: sigma runs to 0, a warning says the likelihood is unbounded, no NaN", {
  set.seed(6)
  n <- 40
  g <- factor(rep(c("a", "b"), each = n / 2))
  x <- rnorm(n)
  d <- data.frame(g, x, y = ifelse(g == "a", 1 + 2 * x, 1 + 2 * x + rnorm(n)))
  d$y2 <- ifelse(g == "a", 3 - x, 1 + 2 * x + rnorm(n))
  calls <- list(quote(gradglm(y ~ x, data = d, sigma = ~ g, optimizer = opt)),
                quote(gradglm(y2 ~ g * x, data = d, sigma = ~ g, optimizer = opt)),
                quote(gradglm(y2 ~ g * x, data = d, family = student_t(df = 4), sigma = ~ g, optimizer = opt)))
  for (cl in calls) for (opt in c("newton", "lbfgs")) {
    lab <- paste(deparse1(cl[[2]]), opt)
    expect_warning(fit <- eval(cl), "likelihood is unbounded.*scale of 20 observation\\(s\\) runs to 0")
    expect_false(fit$converged)
    b <- coef(fit)
    expect_true(all(is.finite(b)), label = lab)
    expect_false(any(is.nan(vcov(fit))) || any(is.nan(fitted(fit))) || is.nan(logLik(fit)), label = lab)
    # group a's log sigma far below group b's, and group a fitted exactly
    expect_lt(b[["sigma:(Intercept)"]], -8)
    expect_lt(max(abs(residuals(fit)[d$g == "a"])), 1e-6)
  }
})

test_that("a group fitted exactly, by gradient descent: the warning says why", {
  set.seed(6)
  n <- 40
  g <- factor(rep(c("a", "b"), each = n / 2))
  x <- rnorm(n)
  d <- data.frame(g, x, y = ifelse(g == "a", 1 + 2 * x, 1 + 2 * x + rnorm(n)))
  # gradient descent crawls: at its iteration limit the scale of group a has
  # fallen 210-fold, not yet the 1e6-fold that stops Newton and L-BFGS
  expect_warning(fit <- gradglm(y ~ x, data = d, sigma = ~ g, optimizer = "gd"),
                 "likelihood is unbounded: the location model fits 20 observation\\(s\\) exactly")
  expect_false(fit$converged)
  expect_lt(max(abs(residuals(fit)[d$g == "a"])), 1e-3)
  # a group whose scale is truly small (residuals of its own size) is not taken for it
  d$y3 <- ifelse(g == "a", 1 + 2 * x + 1e-3 * rnorm(n), 1 + 2 * x + rnorm(n))
  expect_warning(fit3 <- gradglm(y3 ~ x, data = d, sigma = ~ g, optimizer = opt_gd(), control = gradglm_control(max_iter = 2000)),
                 "did not converge")
  expect_false(isTRUE(grepl("unbounded", fit3$message)))
  # nor one 1e5 times smaller than the other, which gd has not reached at its limit
  d$y4 <- ifelse(g == "a", 1 + 2 * x + 1e-5 * rnorm(n), 1 + 2 * x + rnorm(n))
  expect_warning(fit4 <- gradglm(y4 ~ x, data = d, sigma = ~ g, optimizer = "gd"), "did not converge")
  expect_false(isTRUE(grepl("unbounded", fit4$message)))
  expect_gt(exp(coef(gradglm(y4 ~ x, data = d, sigma = ~ g))[["sigma:(Intercept)"]]), 1e-6)
})

# ---------------------------------------------------------------------------
# 8. A weight of 1e12

# 100 rows, the first of weight 1e12, a binomial and a Poisson response, and
# for each glm's fit polished to its optimum (glm_polish())
heavy_row_cases <- function() {
  set.seed(7)
  n <- 100
  x <- rnorm(n)
  X <- cbind(1, x)
  w <- rep(1, n)
  w[1] <- 1e12
  ys <- list(binomial = rbinom(n, 1, plogis(0.5 + x)), poisson = rpois(n, exp(0.5 + 0.3 * x)))
  lapply(stats::setNames(names(ys), names(ys)), function(fam) {
    y <- ys[[fam]]
    g <- suppressWarnings(glm(y ~ x, weights = w, family = fam, control = glm.control(epsilon = 1e-16, maxit = 200)))
    list(x = x, X = X, w = w, y = y, ref = glm_polish(fam, X, y, w, coef(g)))
  })
}

test_that("one row with weight 1e12: binomial and Poisson by Newton, within what double precision allows", {
  cases <- heavy_row_cases()
  for (fam in names(cases)) {
    x <- cases[[fam]]$x
    X <- cases[[fam]]$X
    w <- cases[[fam]]$w
    y <- cases[[fam]]$y
    ref <- cases[[fam]]$ref
    expect_lt(max(abs(ref$score / colSums(w * abs(X)))), 1e-15)
    fit <- expect_no_warning(gradglm(y ~ x, weights = w, family = fam))
    # a row's score y - mu is known to about eps (in double precision, as
    # 1 - plogis(eta) near 1), so w = 1e12 makes the gradient uncertain by
    # w eps |x|, and the coefficients by |V| times that
    bound <- drop(abs(ref$cov) %*% colSums(w * .Machine$double.eps * abs(X)))
    expect_true(all(abs(coef(fit) - ref$coef) <= bound), label = paste(fam, "coefficients within", format(bound)))
    expect_close(coef(fit), ref$coef, 1e-6, label = paste(fam, "coefficients"))
    expect_close(deviance(fit), ref$deviance, 1e-10, label = paste(fam, "deviance"))
    # standard errors: each row's curvature is known to about eps w max(1, mu)
    # (binomial: p (1 - p) with 1 - p near 0), which moves V = (X'WX)^-1 by
    # |V| dH |V|, and the inverse of X'WX adds a relative error up to p eps kappa(X'WX)
    V <- ref$cov
    e <- drop(X %*% ref$coef)
    mu <- if (fam == "binomial") plogis(e) else exp(e)
    dH <- crossprod(abs(X) * sqrt(.Machine$double.eps * w * pmax(1, mu)))
    se_bound <- 0.5 * diag(abs(V) %*% dH %*% abs(V)) / diag(V) +
      ncol(X) * kappa(solve(V), exact = TRUE) * .Machine$double.eps
    se_err <- abs(sqrt(diag(vcov(fit))) / sqrt(diag(V)) - 1)
    expect_true(all(se_err <= se_bound), label = paste(fam, "SEs within", format(se_bound)))
  }
})

test_that("one row with weight 1e12 by L-BFGS and gd: the optimum, or a warning that says why", {
  # their stopping rule is on the gradient of the weight-averaged loss, to
  # which the other 99 rows contribute 1e-12: the Newton step left at the
  # estimates says whether they stopped short
  cases <- heavy_row_cases()
  warned_lbfgs <- 0
  for (fam in names(cases)) for (opt in c("lbfgs", "gd")) {
    x <- cases[[fam]]$x
    w <- cases[[fam]]$w
    y <- cases[[fam]]$y
    ref <- cases[[fam]]$ref$coef
    lab <- paste(fam, opt)
    msgs <- character(0)
    fit <- withCallingHandlers(gradglm(y ~ x, weights = w, family = fam, optimizer = opt),
                               warning = function(w) {
                                 msgs <<- c(msgs, conditionMessage(w))
                                 invokeRestart("muffleWarning")
                               })
    err <- max(abs(coef(fit) - ref) / pmax(abs(ref), sqrt(diag(vcov(fit)))))
    if (length(msgs) == 0L) {
      expect_true(fit$converged, label = lab)
      expect_lt(err, 1e-6, label = paste(lab, "relative error without a warning"))
    } else {
      expect_false(fit$converged, label = lab)
      expect_match(msgs, "did not converge", all = FALSE, label = lab)
      if (opt == "lbfgs") {
        warned_lbfgs <- warned_lbfgs + 1
        expect_match(msgs, "Newton step would still move the coefficients.*weights span 1e\\+12 to 1", all = FALSE,
                     label = lab)
        expect_gt(err, 1e-7, label = paste(lab, "warned, and short of the optimum"))
      }
    }
  }
  # L-BFGS stops 1.5e-5 (binomial) and 3.8e-6 (Poisson) from the optimum: both warn
  expect_identical(warned_lbfgs, 2)
  # equal weights (the same data without the heavy row) never trigger the check
  for (fam in names(cases)) {
    d <- data.frame(x = cases[[fam]]$x, y = cases[[fam]]$y)[-1, ]
    expect_no_warning(fit <- gradglm(y ~ x, data = d, family = fam, optimizer = "lbfgs"))
    expect_true(fit$converged)
  }
})

test_that("half the rows with weight 1e12: the fit of the weights divided by 1e12", {
  set.seed(7)
  n <- 100
  x <- rnorm(n)
  y <- rbinom(n, 1, plogis(0.5 + x))
  w <- rep(1, n)
  w[1:50] <- 1e12
  # the MLE does not change when every weight is divided by the same number;
  # glm itself, started at mustart = (w y + 0.5) / (w + 1), runs off on the raw weights
  g <- glm(y ~ x, weights = w / 1e12, family = binomial(), control = glm.control(epsilon = 1e-15, maxit = 100))
  ref <- glm_polish("binomial", cbind(1, x), y, w / 1e12, coef(g))
  fit <- expect_no_warning(gradglm(y ~ x, weights = w, family = binomial()))
  small <- gradglm(y ~ x, weights = w / 1e12, family = binomial())
  expect_close(coef(fit), coef(small), 1e-8, label = "weights 1e12 vs weights / 1e12")
  expect_close(deviance(fit) / 1e12, ref$deviance, 1e-10, label = "weights 1e12, deviance / 1e12")
  expect_close(sqrt(diag(vcov(fit))) * 1e6, sqrt(diag(ref$cov)), 1e-6, label = "weights 1e12, SEs * 1e6")
  tight <- expect_no_warning(gradglm(y ~ x, weights = w, family = binomial(), optimizer = opt_newton(tol = 1e-12)))
  expect_close(coef(tight), ref$coef, 1e-10, label = "weights 1e12, coefficients (tol = 1e-12)")
})

test_that("the condition number behind the collinearity warning is the 2-norm one, as kappa(exact = TRUE)", {
  set.seed(13)
  cov <- solve(crossprod(matrix(rnorm(400), 40, 10)))
  d <- sqrt(diag(cov))
  expect_equal(gradglm:::warn_ill_conditioned(cov, "gradglm_fit"), kappa(cov / outer(d, d), exact = TRUE),
               tolerance = 1e-10)
  # raw powers of x on [1, 2] up to x^6: beyond the limit (1e12), and said
  x <- seq(1, 2, length.out = 60)
  cov_raw <- chol2inv(qr.R(qr(outer(x, 0:6, "^"))))
  expect_warning(k <- gradglm:::warn_ill_conditioned(cov_raw, "gradglm_fit"), "nearly singular")
  expect_gt(k, 1e12)
})
