# Shared helpers for the distributional-regression tests (test-dist-family.R,
# test-dist-fit.R, test-dist-input.R): reference log-densities written from
# R's own densities, their analytic derivatives in R, and a reference fitter
# that maximises the same weighted log-likelihood with optim().
#
# Parameters, in the order of the spec: location coefficients (eta = X beta +
# offset, mu = linkinv(eta)), sigma-model coefficients (log sigma = Z gamma),
# then log(df) when the Student-t df is estimated.

# C++ codes of the scale families and links (src/family.h, R/family.R).
sdist_code <- c(gaussian = 1L, laplace = 4L, student_t = 5L)
slink_code <- c(identity = 1L, log = 5L)

# Every (family, link) pair of the distributional fits.
scale_family_links <- list(
  c("gaussian", "identity"), c("gaussian", "log"),
  c("laplace", "identity"), c("laplace", "log"),
  c("student_t", "identity"), c("student_t", "log")
)

# The C++ hook, with scalars recycled to a common length.
sfe <- function(family, link, y, eta, log_sigma, log_df = 0, smooth = 0) {
  n <- max(length(y), length(eta), length(log_sigma), length(log_df))
  gradglm:::scale_family_eval(sdist_code[[family]], slink_code[[link]],
                              rep_len(as.numeric(y), n), rep_len(as.numeric(eta), n),
                              rep_len(as.numeric(log_sigma), n), rep_len(as.numeric(log_df), n),
                              smooth)
}

ref_linkinv <- function(link, eta) if (link == "log") exp(eta) else eta
ref_mu_eta <- function(link, eta) if (link == "log") exp(eta) else rep_len(1, length(eta))

# Log-density of y given mu, log sigma and log df, from R's densities.
ref_logdens <- function(family, y, mu, log_sigma, log_df = NULL) {
  sigma <- exp(log_sigma)
  switch(family,
    gaussian = dnorm(y, mu, sigma, log = TRUE),
    student_t = dt((y - mu) / sigma, exp(log_df), log = TRUE) - log_sigma,
    laplace = -log(2 * sigma) - abs(y - mu) / sigma,
    stop("ref_logdens: unknown family ", family)
  )
}

# Per-observation negative log-density (the hook's `loss`).
ref_loss <- function(family, link, y, eta, log_sigma, log_df = 0) {
  -ref_logdens(family, y, ref_linkinv(link, eta), log_sigma, log_df)
}

# Analytic first derivatives of the per-observation loss in R:
# d/d eta, d/d log sigma, d/d log df (0 unless student_t).
# Laplace at y == mu takes the subgradient 0.
ref_dloss <- function(family, link, y, eta, log_sigma, log_df = 0) {
  n <- max(length(y), length(eta), length(log_sigma), length(log_df))
  y <- rep_len(y, n); eta <- rep_len(eta, n)
  log_sigma <- rep_len(log_sigma, n); log_df <- rep_len(log_df, n)
  mu <- ref_linkinv(link, eta)
  me <- ref_mu_eta(link, eta)
  sigma <- exp(log_sigma)
  z <- (y - mu) / sigma
  d_l <- numeric(n)
  if (family == "gaussian") {
    d_mu <- -z / sigma
    d_s <- 1 - z^2
  } else if (family == "laplace") {
    d_mu <- -sign(z) / sigma
    d_s <- 1 - abs(z)
  } else if (family == "student_t") {
    nu <- exp(log_df)
    d_mu <- -(nu + 1) * z / (sigma * (nu + z^2))
    d_s <- 1 - (nu + 1) * z^2 / (nu + z^2)
    d_nu <- -0.5 * digamma((nu + 1) / 2) + 0.5 * digamma(nu / 2) + 1 / (2 * nu) +
      0.5 * log1p(z^2 / nu) - (nu + 1) * z^2 / (2 * nu * (nu + z^2))
    d_l <- nu * d_nu
  } else {
    stop("ref_dloss: unknown family ", family)
  }
  list(d_eta = d_mu * me, d_s = d_s, d_l = d_l)
}

# ---------------------------------------------------------------------------
# The weighted negative log-likelihood of a whole model, and its gradient.

# Split a parameter vector theta = (beta, gamma, log df) into its parts.
split_theta <- function(theta, p, q, df) {
  list(beta = theta[seq_len(p)],
       gamma = theta[p + seq_len(q)],
       log_df = if (is.null(df)) theta[p + q + 1L] else log(df))
}

ref_nll <- function(theta, x, y, z, w, offset, family, link = "identity", df = NULL) {
  th <- split_theta(theta, ncol(x), ncol(z), df)
  eta <- drop(x %*% th$beta) + offset
  ls <- drop(z %*% th$gamma)
  # far from the optimum (line searches) dt() may give NaN: that is no optimum
  v <- suppressWarnings(sum(w * ref_loss(family, link, y, eta, ls, th$log_df)))
  if (is.nan(v)) Inf else v
}

ref_nll_grad <- function(theta, x, y, z, w, offset, family, link = "identity", df = NULL) {
  th <- split_theta(theta, ncol(x), ncol(z), df)
  eta <- drop(x %*% th$beta) + offset
  ls <- drop(z %*% th$gamma)
  d <- ref_dloss(family, link, y, eta, ls, th$log_df)
  g <- c(drop(crossprod(x, w * d$d_eta)), drop(crossprod(z, w * d$d_s)))
  if (is.null(df)) g <- c(g, sum(w * d$d_l))
  g
}

# Weighted log-likelihood of a distributional fit recomputed from its
# coefficients with the R densities (an independent check of fit$loglik).
ref_loglik_of_fit <- function(fit, x, y, z, w, offset, family, link = "identity") {
  cf <- fit$coefficients
  -ref_nll(unname(cf[!is.na(cf)]), x, y, z, w, offset, family, link,
           df = if (isTRUE(fit$df_estimated)) NULL else fit$df)
}

# ---------------------------------------------------------------------------
# The reference fitter: maximise the weighted log-likelihood with optim(BFGS)
# and the analytic gradient above, tight tolerances, from a least-squares
# start, then again from its own result, then a few Newton steps with the
# Hessian differenced from the analytic gradient (num_hessian: Richardson
# central differences; stats::optimHess's default step of 1e-3 is accurate to
# only ~1e-4 in the standard errors), kept only when they lower the objective
# or shrink the gradient.
#
# Returns list(par (named as gradglm names them), loglik, grad (at par),
# hessian, se, convergence, fn, gr).
ref_fit_optim <- function(x, y, z = NULL, w = NULL, offset = NULL, family = "gaussian",
                          df = NULL, link = "identity", start = NULL, polish = TRUE) {
  x <- as.matrix(x)
  n <- nrow(x)
  if (is.null(z)) z <- matrix(1, n, 1L, dimnames = list(NULL, "(Intercept)"))
  z <- as.matrix(z)
  if (is.null(w)) w <- rep(1, n)
  if (is.null(offset)) offset <- rep(0, n)
  est_df <- family == "student_t" && is.null(df)
  if (family != "student_t") df <- 1  # ignored, but not NULL (no log(df) parameter)
  fn <- function(th) ref_nll(th, x, y, z, w, offset, family, link, if (est_df) NULL else df)
  gr <- function(th) ref_nll_grad(th, x, y, z, w, offset, family, link, if (est_df) NULL else df)

  if (is.null(start)) {
    yl <- if (link == "log") log(pmax(y, 1e-3 * max(abs(y)))) else y
    b0 <- stats::lm.wfit(x, yl - offset, w)$coefficients
    b0[is.na(b0)] <- 0
    eta0 <- drop(x %*% b0) + offset
    r0 <- y - ref_linkinv(link, eta0)
    g0 <- numeric(ncol(z))
    ones <- apply(z, 2L, function(col) all(col == 1))
    s0 <- log(sqrt(sum(w * r0^2) / sum(w)))
    if (any(ones)) g0[which(ones)[1L]] <- s0 else g0 <- stats::lm.wfit(z, rep(s0, n), w)$coefficients
    start <- c(b0, g0, if (est_df) log(10))
  }
  ctrl <- list(reltol = 1e-14, maxit = 10000)
  o <- stats::optim(start, fn, gr, method = "BFGS", control = ctrl)
  o <- stats::optim(o$par, fn, gr, method = "BFGS", control = ctrl)
  par <- o$par
  if (polish && family != "laplace") {
    for (k in 1:8) {
      g <- gr(par)
      H <- num_hessian(gr, par)
      step <- tryCatch(solve(H, g), error = function(e) NULL)
      if (is.null(step) || any(!is.finite(step))) break
      cand <- par - step
      fc <- fn(cand)
      if (is.finite(fc) && (fc < fn(par) || (fc <= fn(par) + 1e-12 * abs(fn(par)) &&
                                             sqrt(sum(gr(cand)^2)) < sqrt(sum(g^2))))) {
        par <- cand
      } else {
        break
      }
    }
  }
  H <- if (family == "laplace") NULL else num_hessian(gr, par)
  se <- if (is.null(H)) NULL else tryCatch(sqrt(diag(solve(H))), error = function(e) NULL)
  nm <- c(colnames(x) %||% paste0("x", seq_len(ncol(x))),
          paste0("sigma:", colnames(z) %||% paste0("z", seq_len(ncol(z)))),
          if (est_df) "log(df)")
  names(par) <- nm
  if (!is.null(se)) names(se) <- nm
  list(par = par, loglik = -fn(par), grad = gr(par), hessian = H, se = se,
       convergence = o$convergence, fn = fn, gr = gr)
}

if (!exists("%||%", mode = "function")) `%||%` <- function(a, b) if (is.null(a)) b else a

# Hessian from Richardson central differences of an analytic gradient,
# symmetrised.
num_hessian <- function(gr, par, h = 1e-4) {
  p <- length(par)
  H <- matrix(0, p, p)
  for (j in seq_len(p)) {
    e <- replace(numeric(p), j, h * max(1, abs(par[j])))
    d1 <- (gr(par + e) - gr(par - e)) / (2 * e[j])
    d2 <- (gr(par + 2 * e) - gr(par - 2 * e)) / (4 * e[j])
    H[, j] <- (4 * d1 - d2) / 3
  }
  (H + t(H)) / 2
}

# Central differences with a Richardson step (error O(h^4)) of a scalar
# function f at the vector theta; `h` relative to max(1, |theta_j|).
num_grad_dist <- function(f, theta, h = 1e-4) {
  vapply(seq_along(theta), function(j) {
    hj <- h * max(1, abs(theta[j]))
    e <- replace(numeric(length(theta)), j, 1)
    d1 <- (f(theta + hj * e) - f(theta - hj * e)) / (2 * hj)
    d2 <- (f(theta + 2 * hj * e) - f(theta - 2 * hj * e)) / (4 * hj)
    (4 * d1 - d2) / 3
  }, 0)
}

# Element-wise central difference (Richardson) of a vectorised function f(v)
# in its argument v (one step per element): step h * max(1, |v|), or the
# absolute steps `step` (one per element) when given.
num_deriv_vec <- function(f, v, h = 1e-4, step = NULL) {
  hv <- if (is.null(step)) h * pmax(1, abs(v)) else rep_len(step, length(v))
  d1 <- (f(v + hv) - f(v - hv)) / (2 * hv)
  d2 <- (f(v + 2 * hv) - f(v - 2 * hv)) / (4 * hv)
  (4 * d1 - d2) / 3
}

# Coefficients of a fit against a reference: |a - e| <= tol * max(|e|, se),
# so that a coefficient near zero is compared on the scale of its standard
# error (absolute), every other one relatively. Reports the worst element.
expect_coef_close <- function(actual, expected, se, tol, label = "") {
  a <- unname(as.numeric(actual))
  e <- unname(as.numeric(expected))
  if (length(a) != length(e)) {
    fail(sprintf("%s: %d coefficients, expected %d", label, length(a), length(e)))
    return(invisible())
  }
  scale <- pmax(abs(e), if (is.null(se)) 0 else unname(se), 1e-12)
  rel <- abs(a - e) / scale
  rel[is.na(rel)] <- Inf
  i <- which.max(rel)
  expect(all(rel <= tol),
         sprintf("%s: coefficients differ from the reference by %.3g (relative to max(|coef|, se)) > %.3g in '%s' (fit %.12g, reference %.12g)",
                 label, max(rel), tol, names(expected)[i] %||% i, a[i], e[i]))
  invisible(max(rel))
}

# Fit with gradglm, muffling and collecting warnings (returned as attribute
# "warnings").
quiet_fit <- function(expr) {
  warns <- character()
  fit <- withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  attr(fit, "warnings") <- warns
  fit
}

# Standard errors of a distributional fit (NA for aliased coefficients).
dist_se <- function(fit) {
  se <- rep(NA_real_, length(fit$coefficients))
  names(se) <- names(fit$coefficients)
  ok <- !is.na(fit$coefficients)
  se[ok] <- sqrt(diag(fit$cov.unscaled) * fit$dispersion)
  se
}

# ---------------------------------------------------------------------------
# Laplace: the location part of a fit is a weighted LAD problem,
# min_beta sum_i c_i |y_i - x_i beta|, c_i = w_i / b_i. Its optimality
# (subgradient) condition at beta: there are u_i in [-1, 1] for the rows with
# zero residual such that
#   sum_{r_i != 0} c_i sign(r_i) x_i = sum_{r_i = 0} c_i u_i x_i.
# Returns list(n_zero, u, eq_resid (relative), ok).
lad_kkt <- function(x, r, cw, zero_tol) {
  x <- as.matrix(x)
  zero <- abs(r) <= zero_tol
  g <- drop(crossprod(x[!zero, , drop = FALSE], cw[!zero] * sign(r[!zero])))
  gscale <- sum(abs(cw) * rowSums(abs(x)))
  if (!any(zero)) {
    return(list(n_zero = 0L, u = numeric(), eq_resid = sqrt(sum(g^2)) / gscale,
                ok = sqrt(sum(g^2)) <= 1e-10 * gscale))
  }
  A <- t(cw[zero] * x[zero, , drop = FALSE])  # p x k
  # least squares (minimum-norm when k > p)
  sv <- svd(A)
  d <- sv$d
  keep <- d > max(d) * 1e-12
  u <- drop(sv$v[, keep, drop = FALSE] %*% ((crossprod(sv$u[, keep, drop = FALSE], g)) / d[keep]))
  eq <- sqrt(sum((A %*% u - g)^2)) / gscale
  list(n_zero = sum(zero), u = u, eq_resid = eq, ok = eq <= 1e-8 && all(abs(u) <= 1 + 1e-8))
}

# the Jacobian of f (a vector function) at x by central differences, steps
# h * max(1, |x_j|)
num_deriv <- function(f, x, h = 1e-5) {
  f0 <- f(x)
  J <- matrix(0, length(f0), length(x))
  for (j in seq_along(x)) {
    e <- replace(numeric(length(x)), j, h * max(1, abs(x[j])))
    J[, j] <- (f(x + e) - f(x - e)) / (2 * e[j])
  }
  J
}
