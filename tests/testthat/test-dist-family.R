# The C++ scale families (gradglm:::scale_family_eval) against R's own
# densities (dnorm, dt, the Laplace density from its formula), central finite
# differences, and expected (Fisher) information by numerical integration.
#
# scale_family_eval(dist, link, y, eta, log_sigma, log_df, smooth) returns per
# observation: loss (negative log-density), d_eta, d_s, d_l (first
# derivatives in eta, s = log sigma, l = log df), h_ee, h_es, h_ss, h_el,
# h_sl, h_ll (observed second derivatives) and f_ee, ..., f_ll (expected).

hook_fields <- c("loss", "d_eta", "d_s", "d_l", "h_ee", "h_es", "h_ss", "h_el", "h_sl", "h_ll",
                 "f_ee", "f_es", "f_ss", "f_el", "f_sl", "f_ll")

# A grid of parameter points for a (family, link): standardised residuals
# from -6 to 6 (none at 0, so that Laplace is differentiable there), a few
# scales and, for student_t, a few df.
param_grid <- function(family, link) {
  zs <- c(-6, -2.5, -1, -0.3, 0.05, 0.7, 1.5, 4)
  eta <- if (link == "log") c(-1, 0.3, 2) else c(-3, 0, 10)
  ls <- c(-2, 0, 1.5)
  ldf <- if (family == "student_t") log(c(0.7, 3, 40)) else 0
  g <- expand.grid(z = zs, eta = eta, log_sigma = ls, log_df = ldf)
  mu <- ref_linkinv(link, g$eta)
  g$y <- mu + exp(g$log_sigma) * g$z
  g
}

# finite-difference steps in eta that move the standardised residual by 1e-4
eta_step <- function(link, g) 1e-4 * exp(g$log_sigma) / ref_mu_eta(link, g$eta)

hook_at <- function(family, link, g, smooth = 0) {
  sfe(family, link, g$y, g$eta, g$log_sigma, g$log_df, smooth)
}

test_that("scale_family_eval returns every field, one value per observation", {
  for (fl in scale_family_links) {
    g <- param_grid(fl[1], fl[2])
    got <- hook_at(fl[1], fl[2], g)
    expect_true(all(hook_fields %in% names(got)),
                info = paste(fl, collapse = "/"))
    for (f in hook_fields) expect_length(got[[f]], nrow(g))
  }
})

test_that("the loss is minus R's log-density (dnorm, dt, Laplace formula)", {
  for (fl in scale_family_links) {
    g <- param_grid(fl[1], fl[2])
    got <- hook_at(fl[1], fl[2], g)
    want <- ref_loss(fl[1], fl[2], g$y, g$eta, g$log_sigma, g$log_df)
    expect_close(got$loss, want, 1e-10, floor = 1, label = paste("loss", paste(fl, collapse = "/")))
  }
  # the same values written out independently
  y <- c(-1, 0.5, 3)
  expect_close(sfe("gaussian", "identity", y, 0.2, log(1.7))$loss,
               0.5 * log(2 * pi) + log(1.7) + (y - 0.2)^2 / (2 * 1.7^2), 1e-12, label = "gaussian by hand")
  expect_close(sfe("laplace", "identity", y, 0.2, log(1.7))$loss,
               log(2 * 1.7) + abs(y - 0.2) / 1.7, 1e-12, label = "laplace by hand")
  nu <- 3.5
  expect_close(sfe("student_t", "identity", y, 0.2, log(1.7), log(nu))$loss,
               -(lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * pi) - log(1.7) -
                   (nu + 1) / 2 * log(1 + ((y - 0.2) / 1.7)^2 / nu)), 1e-12, label = "student_t by hand")
  # the log link: mu = exp(eta)
  expect_close(sfe("student_t", "log", y, 0.2, log(1.7), log(nu))$loss,
               -dt((y - exp(0.2)) / 1.7, nu, log = TRUE) + log(1.7), 1e-12, label = "student_t/log")
})

test_that("first derivatives equal the analytic ones written in R", {
  for (fl in scale_family_links) {
    g <- param_grid(fl[1], fl[2])
    got <- hook_at(fl[1], fl[2], g)
    want <- ref_dloss(fl[1], fl[2], g$y, g$eta, g$log_sigma, g$log_df)
    lab <- paste(fl, collapse = "/")
    expect_close(got$d_eta, want$d_eta, 1e-10, floor = 1e-3, label = paste("d_eta", lab))
    expect_close(got$d_s, want$d_s, 1e-10, floor = 1e-3, label = paste("d_s", lab))
    if (fl[1] == "student_t") {
      expect_close(got$d_l, want$d_l, 1e-9, floor = 1e-3, label = paste("d_l", lab))
    } else {
      expect_true(all(got$d_l == 0), info = paste("d_l is 0 without df,", lab))
    }
  }
})

test_that("first derivatives equal central finite differences of the loss", {
  for (fl in scale_family_links) {
    g <- param_grid(fl[1], fl[2])
    got <- hook_at(fl[1], fl[2], g)
    lab <- paste(fl, collapse = "/")
    loss_at <- function(eta = g$eta, ls = g$log_sigma, ldf = g$log_df) {
      sfe(fl[1], fl[2], g$y, eta, ls, ldf)$loss
    }
    expect_close(got$d_eta, num_deriv_vec(function(v) loss_at(eta = v), g$eta, step = eta_step(fl[2], g)), 1e-6,
                 floor = 1e-2, label = paste("d_eta vs FD", lab))
    expect_close(got$d_s, num_deriv_vec(function(v) loss_at(ls = v), g$log_sigma), 1e-6,
                 floor = 1e-2, label = paste("d_s vs FD", lab))
    if (fl[1] == "student_t") {
      expect_close(got$d_l, num_deriv_vec(function(v) loss_at(ldf = v), g$log_df), 1e-6,
                   floor = 1e-2, label = paste("d_l vs FD", lab))
    }
    # and the R reference loss gives the same differences (the hook's loss is
    # not differentiated against itself only)
    ref_at <- function(v) ref_loss(fl[1], fl[2], g$y, g$eta, v, g$log_df)
    expect_close(got$d_s, num_deriv_vec(ref_at, g$log_sigma), 1e-6, floor = 1e-2,
                 label = paste("d_s vs FD of R density", lab))
  }
})

test_that("observed second derivatives equal finite differences of the first", {
  for (fl in scale_family_links) {
    g <- param_grid(fl[1], fl[2])
    got <- hook_at(fl[1], fl[2], g)
    lab <- paste(fl, collapse = "/")
    d_at <- function(field, eta = g$eta, ls = g$log_sigma, ldf = g$log_df) {
      sfe(fl[1], fl[2], g$y, eta, ls, ldf)[[field]]
    }
    fd <- function(field, wrt) {
      switch(wrt,
        eta = num_deriv_vec(function(v) d_at(field, eta = v), g$eta, step = eta_step(fl[2], g)),
        s = num_deriv_vec(function(v) d_at(field, ls = v), g$log_sigma),
        l = num_deriv_vec(function(v) d_at(field, ldf = v), g$log_df))
    }
    if (fl[1] == "laplace") {
      # away from y = mu the Laplace loss is linear in mu: h_ee = 0 (exactly,
      # for the identity link; mu'' sign(.) / b for the log link)
      if (fl[2] == "identity") {
        expect_true(all(got$h_ee == 0), info = paste("h_ee is 0,", lab))
      }
      expect_close(got$h_ee, fd("d_eta", "eta"), 1e-6, floor = 1e-2, label = paste("h_ee vs FD", lab))
    } else {
      expect_close(got$h_ee, fd("d_eta", "eta"), 1e-6, floor = 1e-2, label = paste("h_ee vs FD", lab))
    }
    expect_close(got$h_es, fd("d_eta", "s"), 1e-6, floor = 1e-2, label = paste("h_es vs FD(d_eta)", lab))
    expect_close(got$h_es, fd("d_s", "eta"), 1e-6, floor = 1e-2, label = paste("h_es vs FD(d_s)", lab))
    expect_close(got$h_ss, fd("d_s", "s"), 1e-6, floor = 1e-2, label = paste("h_ss vs FD", lab))
    if (fl[1] == "student_t") {
      expect_close(got$h_el, fd("d_eta", "l"), 1e-6, floor = 1e-2, label = paste("h_el vs FD", lab))
      expect_close(got$h_el, fd("d_l", "eta"), 1e-6, floor = 1e-2, label = paste("h_el vs FD(d_l)", lab))
      expect_close(got$h_sl, fd("d_s", "l"), 1e-6, floor = 1e-2, label = paste("h_sl vs FD", lab))
      expect_close(got$h_ll, fd("d_l", "l"), 1e-6, floor = 1e-2, label = paste("h_ll vs FD", lab))
    } else {
      for (f in c("h_el", "h_sl", "h_ll", "f_el", "f_sl", "f_ll")) {
        expect_true(all(got[[f]] == 0), info = paste(f, "is 0 without df,", lab))
      }
    }
  }
})

# Expected value over y ~ f(. | eta, log_sigma, log_df) of g(hook at y), by
# stats::integrate over the standardised residual z (y = mu + sigma z), split
# at z = 0.
expect_over_y <- function(family, link, eta, log_sigma, log_df, g) {
  mu <- ref_linkinv(link, eta)
  sigma <- exp(log_sigma)
  dens <- switch(family,
    gaussian = function(z) dnorm(z),
    student_t = function(z) dt(z, exp(log_df)),
    laplace = function(z) 0.5 * exp(-abs(z)))
  integrand <- function(z) {
    h <- sfe(family, link, mu + sigma * z, eta, log_sigma, log_df)
    g(h) * dens(z)
  }
  i1 <- integrate(integrand, -Inf, 0, rel.tol = 1e-10, abs.tol = 1e-13, subdivisions = 1000L)$value
  i2 <- integrate(integrand, 0, Inf, rel.tol = 1e-10, abs.tol = 1e-13, subdivisions = 1000L)$value
  i1 + i2
}

test_that("the Fisher information is the expected observed information (numerical integration)", {
  pts <- list(c(eta = 0.4, log_sigma = -0.5), c(eta = 1.2, log_sigma = 0.8))
  for (fl in scale_family_links) {
    ldfs <- if (fl[1] == "student_t") log(c(1.5, 4, 30)) else 0
    for (pt in pts) for (ldf in ldfs) {
      lab <- sprintf("%s/%s at eta = %g, log_sigma = %g, log_df = %.3g", fl[1], fl[2],
                     pt[["eta"]], pt[["log_sigma"]], ldf)
      got <- sfe(fl[1], fl[2], 0, pt[["eta"]], pt[["log_sigma"]], ldf)  # f_* do not depend on y
      got2 <- sfe(fl[1], fl[2], 7.3, pt[["eta"]], pt[["log_sigma"]], ldf)
      for (f in grep("^f_", hook_fields, value = TRUE)) {
        expect_equal(got[[f]], got2[[f]], tolerance = 1e-12, info = paste(f, "free of y,", lab))
      }
      E <- function(g) expect_over_y(fl[1], fl[2], pt[["eta"]], pt[["log_sigma"]], ldf, g)
      # the score has mean zero
      expect_lt(abs(E(function(h) h$d_eta)), 1e-7 * max(1, abs(got$f_ee)))
      expect_lt(abs(E(function(h) h$d_s)), 1e-7)
      scale_abs <- 1e-8 * max(abs(got$f_ee), abs(got$f_ss), 1)
      # f = E[observed]; for Laplace h_ee misses the point mass at y = mu, so
      # its location information is checked as E[score^2] below only
      if (fl[1] != "laplace") {
        expect_close(got$f_ee, E(function(h) h$h_ee), 1e-7, abs_tol = scale_abs, label = paste("f_ee", lab))
      }
      expect_close(got$f_es, E(function(h) h$h_es), 1e-7, abs_tol = scale_abs, label = paste("f_es", lab))
      expect_close(got$f_ss, E(function(h) h$h_ss), 1e-7, abs_tol = scale_abs, label = paste("f_ss", lab))
      # ... and the variance of the score (the information identity)
      expect_close(got$f_ee, E(function(h) h$d_eta^2), 1e-7, abs_tol = scale_abs, label = paste("f_ee = E[d_eta^2]", lab))
      expect_close(got$f_es, E(function(h) h$d_eta * h$d_s), 1e-7, abs_tol = scale_abs,
                   label = paste("f_es = E[d_eta d_s]", lab))
      expect_close(got$f_ss, E(function(h) h$d_s^2), 1e-7, abs_tol = scale_abs, label = paste("f_ss = E[d_s^2]", lab))
      if (fl[1] == "student_t") {
        expect_close(got$f_el, E(function(h) h$h_el), 1e-7, abs_tol = scale_abs, label = paste("f_el", lab))
        expect_close(got$f_sl, E(function(h) h$h_sl), 1e-7, abs_tol = scale_abs, label = paste("f_sl", lab))
        expect_close(got$f_ll, E(function(h) h$h_ll), 1e-7, abs_tol = 1e-9, label = paste("f_ll", lab))
        expect_close(got$f_ll, E(function(h) h$d_l^2), 1e-7, abs_tol = 1e-9, label = paste("f_ll = E[d_l^2]", lab))
      }
      # the information is positive (semi-)definite
      Fm <- matrix(c(got$f_ee, got$f_es, got$f_el, got$f_es, got$f_ss, got$f_sl,
                     got$f_el, got$f_sl, got$f_ll), 3, 3)
      if (fl[1] != "student_t") Fm <- Fm[1:2, 1:2]
      expect_gt(min(eigen(Fm, symmetric = TRUE, only.values = TRUE)$values), 0)
    }
  }
  # closed forms: Gaussian f_ee = mu.eta^2 / sigma^2, f_ss = 2; Laplace
  # f_ee = mu.eta^2 / b^2, f_ss = 1; Student-t f_ee = (nu + 1) / ((nu + 3) sigma^2),
  # f_ss = 2 nu / (nu + 3)
  got <- sfe("gaussian", "log", 0, 0.5, log(2))
  expect_close(c(got$f_ee, got$f_es, got$f_ss), c(exp(1) / 4, 0, 2), 1e-12, abs_tol = 1e-15)
  got <- sfe("laplace", "identity", 0, 0.5, log(2))
  expect_close(c(got$f_ee, got$f_es, got$f_ss), c(1 / 4, 0, 1), 1e-12, abs_tol = 1e-15)
  got <- sfe("student_t", "identity", 0, 0.5, log(2), log(5))
  expect_close(c(got$f_ee, got$f_es, got$f_ss), c(6 / (8 * 4), 0, 10 / 8), 1e-12, abs_tol = 1e-15)
})

test_that("Laplace: h_ee is 0 away from y = mu; smoothing gives a smooth loss with matching derivatives", {
  y <- c(-3, -0.4, 0.9, 5)
  got <- sfe("laplace", "identity", y, 0.5, log(c(0.3, 1, 2, 7)))
  expect_identical(got$h_ee, rep(0, 4))
  # with smooth > 0 every derivative matches finite differences, also at y = mu
  kappa <- 0.5
  g <- expand.grid(z = c(-4, -0.7, -0.1, 0, 0.05, 0.3, 2.5), eta = c(-1, 0.5), log_sigma = c(-1, 0.4))
  for (link in c("identity", "log")) {
    g$y <- ref_linkinv(link, g$eta) + exp(g$log_sigma) * g$z
    g$log_df <- 0
    got <- hook_at("laplace", link, g, smooth = kappa)
    exact <- hook_at("laplace", link, g, smooth = 0)
    at <- function(field, eta = g$eta, ls = g$log_sigma) sfe("laplace", link, g$y, eta, ls, 0, kappa)[[field]]
    lab <- paste("smoothed laplace", link)
    expect_true(all(is.finite(unlist(got[hook_fields]))))
    # sqrt(z^2 + k^2) is within k of |z|
    expect_true(all(abs(got$loss - exact$loss) <= kappa + 1e-12), info = lab)
    expect_true(any(got$loss != exact$loss), info = lab)
    expect_close(got$d_eta, num_deriv_vec(function(v) at("loss", eta = v), g$eta, step = eta_step(link, g)), 1e-6, floor = 1e-2,
                 label = paste("d_eta", lab))
    expect_close(got$d_s, num_deriv_vec(function(v) at("loss", ls = v), g$log_sigma), 1e-6, floor = 1e-2,
                 label = paste("d_s", lab))
    expect_close(got$h_ee, num_deriv_vec(function(v) at("d_eta", eta = v), g$eta, step = eta_step(link, g)), 1e-6, floor = 1e-2,
                 label = paste("h_ee", lab))
    expect_close(got$h_es, num_deriv_vec(function(v) at("d_eta", ls = v), g$log_sigma), 1e-6, floor = 1e-2,
                 label = paste("h_es", lab))
    expect_close(got$h_ss, num_deriv_vec(function(v) at("d_s", ls = v), g$log_sigma), 1e-6, floor = 1e-2,
                 label = paste("h_ss", lab))
    # smoothing has curvature in the location at y = mu
    expect_true(all(got$h_ee[g$z == 0] > 0), info = lab)
  }
})

test_that("no NaN at extreme values: sigma near 0 or huge, residuals of 1e200, df of 1e-3 and 1e8", {
  resid <- c(0, 1e-300, -1e-8, 1, -1e5, 1e200, -1e200)
  ls <- c(-30, -5, 0, 30)
  for (fl in scale_family_links) {
    ldf <- if (fl[1] == "student_t") log(c(1e-3, 1, 1e8)) else 0
    eta <- if (fl[2] == "log") c(-20, 0, 5) else c(-1e6, 0, 3)
    g <- expand.grid(r = resid, eta = eta, log_sigma = ls, log_df = ldf)
    g$y <- ref_linkinv(fl[2], g$eta) + g$r
    g$y[g$r == 0] <- ref_linkinv(fl[2], g$eta[g$r == 0])
    got <- hook_at(fl[1], fl[2], g)
    lab <- paste(fl, collapse = "/")
    for (f in hook_fields) {
      v <- got[[f]]
      bad <- which(is.nan(v) | is.na(v))
      expect(length(bad) == 0L,
             sprintf("%s: %s is NaN/NA at %d point(s), e.g. r = %g, eta = %g, log_sigma = %g, log_df = %g",
                     lab, f, length(bad), g$r[bad[1]], g$eta[bad[1]], g$log_sigma[bad[1]], g$log_df[bad[1]]))
    }
    # z = r / sigma; for the Gaussian z^2 overflows beyond |z| ~ 1e154 and then
    # loss, d_s and h_ss are +/-Inf in exact arithmetic too; everything else
    # must stay finite
    z <- (g$y - ref_linkinv(fl[2], g$eta)) / exp(g$log_sigma)
    overflow <- if (fl[1] == "gaussian") abs(z) > 1e150 else rep(FALSE, nrow(g))
    for (f in hook_fields) {
      v <- got[[f]]
      may_inf <- overflow & f %in% c("loss", "d_s", "h_ss")
      bad <- which(!is.finite(v) & !may_inf)
      expect(length(bad) == 0L,
             sprintf("%s: %s is not finite at %d point(s), e.g. r = %g, eta = %g, log_sigma = %g, log_df = %g (value %g)",
                     lab, f, length(bad), g$r[bad[1]], g$eta[bad[1]], g$log_sigma[bad[1]], g$log_df[bad[1]],
                     v[bad[1]]))
    }
    if (fl[1] == "gaussian") {
      expect_true(all(got$loss[overflow] == Inf))
      expect_true(all(got$d_s[overflow] == -Inf))
    }
    # where R's densities are finite, the loss equals them (dt is accurate for
    # huge |z| and huge df)
    want <- ref_loss(fl[1], fl[2], g$y, g$eta, g$log_sigma, g$log_df)
    ok <- is.finite(want) & g$y == ref_linkinv(fl[2], g$eta) + g$r | (g$r == 0 & is.finite(want))
    expect_close(got$loss[ok], want[ok], 1e-8, floor = 1, label = paste("extreme loss", lab))
    if (fl[1] == "student_t") {
      # far in the tails d_s -> 1 - (nu + 1) = -nu and d_eta -> 0
      far <- abs(z) > 1e100
      nu <- exp(g$log_df[far])
      expect_close(got$d_s[far], -nu, 1e-8, floor = 1, label = paste("d_s far in the tails", lab))
      expect_true(all(abs(got$d_eta[far]) < 1e-80))
    }
  }
})
