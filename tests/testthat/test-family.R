# The C++ families (gradglm:::family_eval) against stats' family closures and
# against an accurate log-scale reference, over extreme grids of eta.
#
# family_eval(dist, link, y, eta) returns per observation: mu (linkinv),
# mu_eta, loss (half the unit deviance), grad (d loss / d eta) and weight
# (the Fisher weight mu.eta^2 / V(mu)).

fe <- function(family, link, y, eta) {
  if (length(y) == 1L) y <- rep(y, length(eta))
  gradglm:::family_eval(dist_code[[family]], link_code[[link]], as.numeric(y), as.numeric(eta))
}

# the full grid: [-1e3, 1e3], dense near zero, with the branch points of the
# stable log(1 + exp(x)) and the points where stats' closures start to clamp
full_grid <- sort(unique(c(
  seq(-1000, 1000, by = 2.5), seq(-50, 50, by = 0.125),
  c(-745, -709, -700, -680, -37, -36.9, -33.3, -18, 18, 18.01, 33.29, 33.3, 33.31, 36.9, 37,
    340, 680, 700, 709, 710, 745, 1000, -1000, 1e-300, -1e-300, 1e-10, -1e-10, 0)
)))

# eta grid restricted to [lo, hi]
grid_in <- function(lo, hi) full_grid[full_grid >= lo & full_grid <= hi]

# Where stats' linkinv / mu.eta are exact (not clamped at eps and finite).
exact_range <- list(
  identity = c(-1000, 1000), logit = c(-30, 30), probit = c(-8, 8), cloglog = c(-30, 3),
  log = c(-30, 600), sqrt = c(-1000, 1000), inverse = c(-1000, 1000), cauchit = c(-1000, 1000),
  "1/mu^2" = c(1e-10, 1000)
)

test_that("mu and mu.eta agree with stats' linkinv and mu.eta where stats is exact", {
  for (fl in all_family_links) {
    fam <- stats_family(fl[1], fl[2])
    rng <- exact_range[[fl[2]]]
    if (fl[1] == "gaussian" && fl[2] == "log") rng <- c(-30, 300)
    eta <- grid_in(rng[1], rng[2])
    got <- fe(fl[1], fl[2], 0.5, eta)
    lab <- paste(fl, collapse = "/")
    expect_close(got$mu, fam$linkinv(eta), 1e-12, floor = 1e-300, label = paste("mu", lab))
    expect_close(got$mu_eta, fam$mu.eta(eta), 1e-12, floor = 1e-300, label = paste("mu_eta", lab))
  }
})

test_that("mu and mu.eta stay finite, in range and monotone over eta in [-1e3, 1e3]", {
  eta <- full_grid
  for (link in c("logit", "probit", "cloglog")) {
    got <- fe("binomial", link, 0.5, eta)
    expect_false(anyNA(got$mu))
    expect_true(all(got$mu >= 0 & got$mu <= 1))
    expect_true(all(diff(got$mu) >= 0))
    expect_true(all(is.finite(got$mu_eta) & got$mu_eta >= 0))
  }
  got <- fe("poisson", "log", 1, eta)
  expect_true(all(is.finite(got$mu) & got$mu >= 0))
  expect_true(all(diff(got$mu) >= 0))
  expect_true(all(is.finite(got$mu_eta)))
  got <- fe("gaussian", "log", 1, eta)
  expect_true(all(is.finite(got$mu) & got$mu >= 0))
  expect_true(all(is.finite(got$mu_eta)))
})

# Half the unit deviance, its eta-derivative and the Fisher weight from stats'
# closures: the definitions the C++ must reproduce.
stats_unit <- function(family, link, y, eta) {
  fam <- stats_family(family, link)
  y <- rep_len(y, length(eta))
  mu <- fam$linkinv(eta)
  me <- fam$mu.eta(eta)
  v <- fam$variance(mu)
  # y - mu, for the log link without the cancellation of exp(eta) - y near
  # eta = log(y) (the engine keeps those digits)
  r <- if (link == "log") ifelse(y > 0, -y * expm1(eta - log(pmax(y, 1e-300))), y - mu) else y - mu
  list(loss = fam$dev.resids(y, mu, rep(1, length(eta))) / 2,
       grad = -r * me / v,
       weight = me^2 / v,
       # the rounding error of the reference's y - mu (it cancels where mu ~ y)
       grad_rounding = 4 * .Machine$double.eps * (abs(y) + abs(mu)) * abs(me) / v)
}

# ranges in which stats' closures compute the deviance, gradient and weight
# without clamping or cancellation (1 - mu must keep its digits)
unit_range <- list(
  "binomial/logit" = c(-15, 15), "binomial/probit" = c(-5, 5), "binomial/cloglog" = c(-30, 2.5),
  "poisson/log" = c(-30, 30), "poisson/identity" = c(1e-10, 1000), "poisson/sqrt" = c(1e-10, 1000),
  "gaussian/identity" = c(-1000, 1000), "gaussian/log" = c(-30, 100),
  "binomial/cauchit" = c(-100, 100), "binomial/log" = c(-30, -0.01),
  "Gamma/inverse" = c(0.01, 100), "Gamma/identity" = c(0.01, 1000), "Gamma/log" = c(-30, 30),
  "inverse.gaussian/1/mu^2" = c(0.01, 100), "inverse.gaussian/inverse" = c(0.01, 100),
  "inverse.gaussian/identity" = c(0.01, 1000), "inverse.gaussian/log" = c(-30, 30)
)
unit_y <- list(binomial = c(0, 0.3, 1), poisson = c(0, 1, 3, 17, 250), gaussian = c(-40, 0, 2.5, 1e3),
               Gamma = c(0.05, 1, 3.7, 250), inverse.gaussian = c(0.05, 1, 3.7, 250))

test_that("loss = dev.resids / 2, grad = -(y - mu) mu.eta / V, weight = mu.eta^2 / V (stats)", {
  for (fl in all_family_links) {
    key <- paste(fl, collapse = "/")
    rng <- unit_range[[key]]
    eta <- grid_in(rng[1], rng[2])
    for (y in unit_y[[fl[1]]]) {
      got <- fe(fl[1], fl[2], y, eta)
      want <- stats_unit(fl[1], fl[2], y, eta)
      lab <- sprintf("%s, y = %g", key, y)
      # the loss is ~0 at the saturated point: compare on the scale of the
      # terms it is made of
      expect_close(got$loss, want$loss, 1e-8, floor = 1e-6, label = paste("loss", lab))
      expect_close(got$grad, want$grad, 1e-8, floor = 1e-10, label = paste("grad", lab),
                   abs_tol = want$grad_rounding)
      expect_close(got$weight, want$weight, 1e-8, floor = 1e-300, label = paste("weight", lab))
    }
  }
})

test_that("binomial loss, grad and weight are accurate over the whole grid (log-scale reference)", {
  for (link in c("logit", "probit", "cloglog")) {
    # cloglog: exp(eta) overflows beyond 709 (the reference is then Inf); the
    # C++ caps exp()'s argument at 680 on purpose, so compare below that
    eta <- if (link == "cloglog") grid_in(-1000, 680) else full_grid
    for (y in c(0, 0.3, 1)) {
      got <- fe("binomial", link, y, eta)
      want <- reference_unit("binomial", link, y, eta)
      lab <- sprintf("binomial/%s, y = %g", link, y)
      # log(1 + e^eta) - y eta cancels where the loss is tiny: allow an
      # absolute error at the rounding level of eta itself
      expect_close(got$loss, want$loss, 1e-9, floor = 1e-10, label = paste("loss", lab),
                   abs_tol = 8 * .Machine$double.eps * (1 + abs(eta)))
      # grad = mu - y for logit loses relative digits where mu ~ y: an absolute
      # error at the rounding level of mu (1e-16) is all that can be asked
      expect_close(got$grad, want$grad, 1e-9, floor = 1e-6, label = paste("grad", lab))
      expect_close(got$weight, want$weight, 1e-9, floor = 1e-290, label = paste("weight", lab))
    }
  }
})

test_that("logit: exact values at a few points", {
  got <- fe("binomial", "logit", c(0, 1, 0, 1, 0.3), c(0, 0, 1000, -1000, -1000))
  expect_equal(got$loss, c(log(2), log(2), 1000, 1000, 0.3 * 1000 + xlogx(0.3) + xlogx(0.7)),
               tolerance = 1e-14)
  expect_equal(got$grad, c(0.5, -0.5, 1, -1, -0.3), tolerance = 1e-14)
  expect_equal(got$weight[1:2], c(0.25, 0.25), tolerance = 1e-14)
  # log(1 + exp(eta)) for large negative eta keeps its digits (no log1p(0) = 0)
  got <- fe("binomial", "logit", 0, -40)
  expect_equal(got$loss, exp(-40), tolerance = 1e-12)
})

test_that("no NaN or Inf in loss, grad or weight for eta in [-1e3, 1e3] (binomial, poisson log, gaussian)", {
  cases <- list(
    list("binomial", "logit", c(0, 0.3, 1)), list("binomial", "probit", c(0, 0.3, 1)),
    list("binomial", "cloglog", c(0, 0.3, 1)), list("poisson", "log", c(0, 1, 3, 1e4)),
    list("gaussian", "identity", c(-1e3, 0, 1e3)), list("gaussian", "log", c(-5, 0, 2.5, 1e3)),
    list("binomial", "cauchit", c(0, 0.3, 1)), list("Gamma", "log", c(1e-3, 1, 1e4))
  )
  for (cs in cases) {
    for (y in cs[[3]]) {
      got <- fe(cs[[1]], cs[[2]], y, full_grid)
      lab <- sprintf("%s/%s, y = %g", cs[[1]], cs[[2]], y)
      expect(all(is.finite(got$loss)), paste("non-finite loss:", lab))
      expect(all(is.finite(got$grad)), paste("non-finite grad:", lab))
      expect(all(is.finite(got$weight)), paste("non-finite weight:", lab))
      expect(all(got$loss >= -1e-12), paste("negative loss:", lab))
      expect(all(got$weight >= 0), paste("negative weight:", lab))
    }
  }
})

test_that("the loss is minimised (zero) at the saturated point", {
  # binomial: eta = link(y); poisson log: eta = log(y)
  for (link in c("logit", "probit", "cloglog")) {
    fam <- binomial(link = link)
    y <- c(0.1, 0.3, 0.5, 0.9)
    got <- fe("binomial", link, y, fam$linkfun(y))
    expect_equal(got$loss, rep(0, 4), tolerance = 1e-12)
    expect_equal(got$grad, rep(0, 4), tolerance = 1e-10)
  }
  got <- fe("poisson", "log", c(1, 5, 100), log(c(1, 5, 100)))
  expect_equal(got$loss, rep(0, 3), tolerance = 1e-12)
  for (fl in Filter(function(fl) fl[1] %in% c("Gamma", "inverse.gaussian"), all_family_links)) {
    y <- c(0.2, 1, 7.5)
    got <- fe(fl[1], fl[2], y, stats_family(fl[1], fl[2])$linkfun(y))
    expect_equal(got$loss, rep(0, 3), tolerance = 1e-12)
    expect_equal(got$grad, rep(0, 3), tolerance = 1e-10)
  }
})

test_that("poisson identity and sqrt: loss is +Inf (not NaN) at eta <= 0", {
  eta <- c(-1000, -1, -1e-300, 0)
  for (link in c("identity", "sqrt")) {
    for (y in c(0, 1, 5)) {
      got <- fe("poisson", link, y, eta)
      expect_identical(got$loss, rep(Inf, length(eta)))
      expect_false(anyNA(got$grad))
      expect_false(anyNA(got$weight))
    }
    # and finite just above zero
    got <- fe("poisson", link, 3, c(1e-8, 1e3))
    expect_true(all(is.finite(got$loss)))
  }
})

test_that("family_eval rejects unknown codes", {
  for (d in c(0L, 4L, 5L, 9L)) expect_error(gradglm:::family_eval(d, 1L, 0, 0), "distribution")
  # the negative binomial (8) needs its theta
  for (th in c(NA, 0, -1, Inf)) expect_error(gradglm:::family_eval(8L, 5L, 0, 0, theta = th), "theta")
  for (l in c(0L, 11L)) expect_error(gradglm:::family_eval(1L, l, 0, 0), "link")
  # the power link (10) needs a finite, non-zero lambda
  for (p in c(0, NA, Inf)) expect_error(gradglm:::family_eval(1L, 10L, 0, 1, power = p), "lambda")
  expect_error(gradglm:::family_eval(1L, 1L, c(0, 1), 0), "same length")
})

test_that("any link composes with any distribution, as quasi() needs (stats' quasi closures)", {
  eta <- seq(-3, 2, by = 0.25)  # (beyond 2 stats' 1 - mu of the cloglog link loses its digits)
  for (v in list(c("constant", "gaussian", 2.5), c("mu(1-mu)", "binomial", 0.3), c("mu", "poisson", 3))) {
    for (link in c("logit", "probit", "cloglog", "cauchit", "inverse")) {
      fam <- do.call(quasi, list(link = link, variance = v[1]))
      y <- as.numeric(v[3])
      mu <- fam$linkinv(eta)
      ok <- eta != 0 & is.finite(mu) & switch(v[1], constant = TRUE, "mu(1-mu)" = mu > 0 & mu < 1, mu = mu > 0)
      yy <- rep(y, sum(ok))
      got <- gradglm:::family_eval(dist_code[[v[2]]], link_code[[link]], yy, eta[ok])
      lab <- sprintf("quasi(%s, %s)", link, v[1])
      expect_close(got$loss, fam$dev.resids(yy, mu[ok], 1) / 2, 1e-9, floor = 1e-6, label = paste("loss", lab))
      expect_close(got$grad, -(y - mu[ok]) * fam$mu.eta(eta[ok]) / fam$variance(mu[ok]), 1e-9, floor = 1e-10,
                   label = paste("grad", lab))
    }
  }
})

test_that("the hand-written pairs equal the composition of distribution and link", {
  cases <- list(c("binomial", "logit", "0.3"), c("binomial", "probit", "0.3"), c("binomial", "cloglog", "0.3"),
                c("binomial", "log", "0.3"), c("binomial", "log", "1"), c("binomial", "log", "0"),
                c("poisson", "log", "3"), c("gaussian", "log", "2.5"), c("Gamma", "log", "3.7"),
                c("Gamma", "log", "0.01"))
  # where the composition keeps its digits (1 - mu computed from mu loses
  # them as mu approaches 1: cloglog beyond eta = 1, log near eta = 0)
  for (cs in cases) {
    rng <- switch(paste(cs[1:2], collapse = "/"), "binomial/log" = c(-20, -0.01), "binomial/cloglog" = c(-5, 1),
                  c(-5, 5))
    eta <- grid_in(rng[1], rng[2])
    y <- rep(as.numeric(cs[3]), length(eta))
    hand <- gradglm:::family_eval(dist_code[[cs[1]]], link_code[[cs[2]]], y, eta)
    comp <- gradglm:::family_eval(dist_code[[cs[1]]], link_code[[cs[2]]], y, eta, composed = TRUE)
    lab <- paste(cs, collapse = "/")
    for (what in c("loss", "grad", "weight", "hess")) {
      expect_close(hand[[what]], comp[[what]], 1e-8, floor = 1e-6, label = paste(what, lab))
    }
  }
  # binomial(log) outside its range (mu >= 1) and Gamma at y <= 0: an infinite loss, not NaN
  expect_identical(fe("binomial", "log", 0.3, c(0, 1e-10, 2))$loss, rep(Inf, 3))
  expect_identical(fe("Gamma", "log", 0, c(-1, 0, 1))$loss, rep(Inf, 3))
  expect_identical(fe("inverse.gaussian", "inverse", 1, c(-1, -1e-300))$loss, rep(Inf, 2))
})

test_that("a row's whole-line links take every real output to a valid mean, its other links do not", {
  # (the registry field behind a network's "no valid weights" error: a
  # network's outputs are any real numbers)
  eta <- c(-8, -1, 0, 1, 8)
  rows <- 0L
  for (nm in gradglm:::available_families()) {
    row <- get(nm, envir = gradglm:::.registry)
    if (is.null(row$whole_line_links)) next
    rows <- rows + 1L
    expect_true(all(row$whole_line_links %in% row$links), info = nm)
    ctor <- get(row$constructor, envir = asNamespace(row$ns))
    for (link in row$links) {
      fam <- ctor(link = link)
      # (every one of the six has a positive mean; inverse.gaussian()'s validmu() takes any)
      mu <- suppressWarnings(fam$linkinv(eta))
      valid <- all(is.finite(mu) & mu > 0) && fam$validmu(mu)
      expect_identical(valid, link %in% row$whole_line_links, info = paste(nm, link))
    }
  }
  expect_identical(rows, 6L)
})

test_that("each built-in registry row is an object of its own, loaded when its family is first used", {
  # (.registry holds a promise of each: a session loads the rows it uses,
  # not the whole registry)
  ns <- asNamespace("gradglm")
  rows <- ls(ns, all.names = TRUE, pattern = "^[.]family_row_")
  names <- substring(rows, nchar(".family_row_") + 1L)
  expect_setequal(names, gradglm:::available_families())
  expect_true(all(c("binomial", "poisson", "gaussian", "multinomial") %in% names))
  for (i in seq_along(rows)) {
    row <- get(names[i], envir = gradglm:::.registry)
    expect_identical(row, get(rows[i], envir = ns), info = names[i])
    expect_identical(row$name, names[i])
  }
})
