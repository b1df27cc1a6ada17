# Shared helpers for the core tests (test-family.R, test-gradient.R,
# test-fit-vs-glm.R, test-optimizer.R, test-input-validation.R).

# glm() at a tight tolerance: the reference every fit is compared against.
glm_tight <- glm.control(epsilon = 1e-12, maxit = 100)

# C++ codes of the families, as in src/family.h and R/family.R.
dist_code <- c(gaussian = 1L, binomial = 2L, poisson = 3L, Gamma = 6L, inverse.gaussian = 7L)
link_code <- c(identity = 1L, logit = 2L, probit = 3L, cloglog = 4L, log = 5L, sqrt = 6L, inverse = 7L,
               cauchit = 8L, "1/mu^2" = 9L)

# Every (family, link) pair gradglm offers (the quasi-families are fitted as
# the distribution of their variance function).
all_family_links <- list(
  c("gaussian", "identity"), c("gaussian", "log"),
  c("binomial", "logit"), c("binomial", "probit"), c("binomial", "cloglog"), c("binomial", "cauchit"),
  c("binomial", "log"),
  c("poisson", "log"), c("poisson", "identity"), c("poisson", "sqrt"),
  c("Gamma", "inverse"), c("Gamma", "identity"), c("Gamma", "log"),
  c("inverse.gaussian", "1/mu^2"), c("inverse.gaussian", "inverse"), c("inverse.gaussian", "identity"),
  c("inverse.gaussian", "log")
)

# The stats family object of a (family, link) pair.
stats_family <- function(family, link) {
  get(family, mode = "function", envir = asNamespace("stats"))(link = link)
}

# Element-wise relative closeness: |actual - expected| <= tol * max(|expected|, floor).
# Unlike expect_equal(tolerance = ) (a mean relative difference over the whole
# vector) every element must be close. NA must sit in the same places.
# `abs_tol` (a scalar or one value per element) adds an absolute allowance.
expect_close <- function(actual, expected, tol, floor = 1e-12, label = NULL, abs_tol = 0) {
  act <- list(lab = if (is.null(label)) deparse(substitute(actual))[1L] else label)
  a <- unname(as.numeric(actual))
  e <- unname(as.numeric(expected))
  if (length(a) != length(e)) {
    fail(sprintf("%s has length %d, expected %d", act$lab, length(a), length(e)))
    return(invisible(actual))
  }
  na_a <- is.na(a)
  na_e <- is.na(e)
  if (!identical(na_a, na_e)) {
    fail(sprintf("%s: NA in positions %s, expected in positions %s", act$lab,
                 paste(which(na_a), collapse = ","), paste(which(na_e), collapse = ",")))
    return(invisible(actual))
  }
  a <- a[!na_a]
  e <- e[!na_e]
  bound <- pmax(tol * pmax(abs(e), floor), rep_len(abs_tol, length(na_a))[!na_a])
  bad <- !(abs(a - e) <= bound | a == e)  # a == e: equal infinities
  if (any(bad)) {
    i <- which(bad)[1L]
    fail(sprintf("%s differs at %d of %d element(s); first: element %d is %.15g, expected %.15g (rel. err. %.3g > %.3g)",
                 act$lab, sum(bad), length(a), which(!na_a)[i], a[i], e[i],
                 abs(a[i] - e[i]) / max(abs(e[i]), floor), tol))
  } else {
    succeed()
  }
  invisible(actual)
}

# Fit the same model with glm() (tight control) and gradglm(). `call` is a
# quoted glm() call, e.g. quote(glm(y ~ x, data = d, family = binomial)).
# Returns list(glm = , gradglm = ).
#
# glm's Fisher scoring converges only linearly for a non-canonical link, and
# with epsilon = 1e-12 it can stop a few 1e-6 (relative) short of the MLE
# (MASS::birthwt, cloglog: 4e-6 on the intercept, 3e-6 on 'ptl'; its gradient
# there is 300 times larger than gradglm's). The coefficients are therefore
# compared with `glm_ref`: the same glm() continued from its own solution
# until the deviance stops changing (epsilon = 1e-16), which is the MLE to
# ~1e-8. Everything else is compared with `glm` as the issue states it.
fit_pair <- function(call, optimizer = "auto", env = parent.frame(), ...) {
  gcall <- call
  gcall$control <- glm_tight
  rfit <- eval(gcall, env)
  pcall <- call
  pcall$control <- glm.control(epsilon = 1e-16, maxit = 50)
  pcall$start <- unname(coef(rfit))
  ref <- if (anyNA(coef(rfit))) rfit else withCallingHandlers(eval(pcall, env), warning = function(w) {
    # at epsilon = 1e-16 the deviance may jitter at the rounding level
    if (grepl("did not converge", conditionMessage(w))) invokeRestart("muffleWarning")
  })
  ocall <- call
  ocall[[1L]] <- quote(gradglm::gradglm)
  ocall$optimizer <- optimizer
  extra <- list(...)
  for (nm in names(extra)) ocall[[nm]] <- extra[[nm]]
  # gradglm must not warn on these well-posed problems
  warnings <- character()
  ofit <- withCallingHandlers(eval(ocall, env), warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  expect(length(warnings) == 0L,
         sprintf("gradglm (optimizer = \"%s\") warned: %s", optimizer, paste(warnings, collapse = "; ")))
  list(glm = rfit, glm_ref = ref, gradglm = ofit)
}

# Standard errors of a gradglm fit, NA for aliased coefficients.
gradglm_se <- function(fit) {
  se <- rep(NA_real_, length(fit$coefficients))
  names(se) <- names(fit$coefficients)
  ok <- !is.na(fit$coefficients)
  se[ok] <- sqrt(diag(fit$cov.unscaled) * fit$dispersion)
  se
}

# Standard errors of a glm fit, NA for aliased coefficients.
glm_se <- function(fit) {
  v <- withCallingHandlers(summary(fit)$cov.scaled, warning = function(w) {  # non-aliased coefficients
    if (grepl("zero weight", conditionMessage(w))) invokeRestart("muffleWarning")
  })
  se <- rep(NA_real_, length(coef(fit)))
  names(se) <- names(coef(fit))
  se[rownames(v)] <- sqrt(diag(v))
  se
}

# Every glm quantity the issue lists: coefficients (1e-6 relative), standard
# errors, deviance, null deviance, AIC, log-likelihood and residual degrees of
# freedom (1e-5).
# `label` names the case in failure messages.
# `ref`, a glm fit continued to the MLE (see fit_pair()), is the reference
# for the coefficients.
expect_matches_glm <- function(ofit, rfit, coef_tol = 1e-6, tol = 1e-5, label = "", ref = rfit) {
  lab <- function(what) if (nzchar(label)) paste0(label, ": ", what) else what
  expect_s3_class(ofit, "gradglm")
  expect(isTRUE(ofit$converged), lab("gradglm did not converge"))
  expect_identical(names(ofit$coefficients), names(coef(rfit)))
  # coefficients: relative to their size, or to 1e-3 of their standard error
  # when that is larger (a coefficient that is zero up to rounding has no
  # meaningful relative error)
  floor <- 1e-3 * glm_se(rfit)
  floor[is.na(floor)] <- 0
  cf_r <- coef(ref)
  bound <- coef_tol * pmax(abs(cf_r), floor, 1e-12)
  cf_o <- ofit$coefficients
  expect_identical(is.na(unname(cf_o)), is.na(unname(cf_r)))
  ok <- !is.na(cf_r)
  err <- abs(cf_o[ok] - cf_r[ok])
  rel <- err / (bound[ok] / coef_tol)
  expect(all(err <= bound[ok]),
         sprintf("%scoefficients differ from glm: relative error %.3g > %.3g in '%s' (gradglm %.12g, glm %.12g)",
                 if (nzchar(label)) paste0(label, ": ") else "", max(rel), coef_tol, names(cf_r[ok])[which.max(rel)], cf_o[ok][which.max(rel)],
                 cf_r[ok][which.max(rel)]))
  expect_close(gradglm_se(ofit), glm_se(rfit), tol, label = lab("standard errors"))
  expect_close(ofit$deviance, deviance(rfit), tol, label = lab("deviance"))
  expect_close(ofit$null.deviance, rfit$null.deviance, tol, label = lab("null.deviance"))
  expect_close(ofit$aic, rfit$aic, tol, label = lab("aic"))
  expect_close(ofit$loglik, as.numeric(logLik(rfit)), tol, label = lab("loglik"))
  expect(identical(as.numeric(ofit$df.residual), as.numeric(rfit$df.residual)),
         lab(sprintf("df.residual is %s, glm has %s", ofit$df.residual, rfit$df.residual)))
  expect(identical(as.numeric(ofit$df.null), as.numeric(rfit$df.null)),
         lab(sprintf("df.null is %s, glm has %s", ofit$df.null, rfit$df.null)))
  expect(identical(as.numeric(ofit$rank), as.numeric(rfit$rank)),
         lab(sprintf("rank is %s, glm has %s", ofit$rank, rfit$rank)))
  expect_close(ofit$fitted.values, rfit$fitted.values, tol, floor = 1e-8, label = lab("fitted.values"))
  invisible(ofit)
}

# Accurate per-observation loss, gradient and Fisher weight computed in R on
# the log scale (an independent reference for extreme eta, where stats'
# closures clamp): loss = half the unit deviance, grad = d loss / d eta,
# weight = mu.eta^2 / V(mu).
xlogx <- function(x) ifelse(x > 0, x * log(x), 0)

reference_unit <- function(family, link, y, eta) {
  y <- rep_len(as.numeric(y), length(eta))
  if (family == "binomial") {
    ent <- xlogx(y) + xlogx(1 - y)
    if (link == "logit") {
      lmu <- plogis(eta, log.p = TRUE)
      l1mu <- plogis(-eta, log.p = TRUE)
      ldens <- dlogis(eta, log = TRUE)
    } else if (link == "probit") {
      lmu <- pnorm(eta, log.p = TRUE)
      l1mu <- pnorm(eta, lower.tail = FALSE, log.p = TRUE)
      ldens <- dnorm(eta, log = TRUE)
    } else {
      t <- exp(eta)  # -log(1 - mu)
      lmu <- ifelse(eta < -30, eta - t / 2, pexp(t, log.p = TRUE))
      # mu.eta = exp(eta - t); written so that eta - t never cancels
      r1 <- exp(eta - t - lmu)        # mu.eta / mu
      r0 <- t                         # mu.eta / (1 - mu)
      loss <- -ifelse(y > 0, y * lmu, 0) + ifelse(y < 1, (1 - y) * t, 0) + ent
      weight <- exp(2 * eta - t - lmu)
      return(list(loss = loss, grad = -y * r1 + (1 - y) * r0, weight = weight))
    }
    r1 <- exp(ldens - lmu)   # mu.eta / mu
    r0 <- exp(ldens - l1mu)  # mu.eta / (1 - mu)
    loss <- -ifelse(y > 0, y * lmu, 0) - ifelse(y < 1, (1 - y) * l1mu, 0) + ent
    grad <- -y * r1 + (1 - y) * r0
    weight <- exp(2 * ldens - lmu - l1mu)
    return(list(loss = loss, grad = grad, weight = weight))
  }
  stop("reference_unit: only binomial")
}

# Simulated data for the positive families (Gamma, inverse.gaussian).

# Costs (in thousands) of n claims: a numeric covariate, a three-level
# factor, an exposure (offset) and prior weights; y is Gamma with mean mu and
# dispersion 1 / (shape * w), mu given by the inverse link (eta = 1 / mu,
# with offset 0.1 * exposure) or the log link (offset log(exposure)).
cost_data <- function(n = 400, link = c("log", "inverse"), shape = 2, seed = 1) {
  link <- match.arg(link)
  withr::local_seed(seed)
  d <- data.frame(age = runif(n, 0, 2), region = factor(sample(c("north", "south", "west"), n, TRUE)),
                  exposure = runif(n, 0.5, 2), w = runif(n, 0.5, 2))
  eff <- c(north = 0, south = 0.2, west = -0.1)[as.character(d$region)]
  if (link == "log") {
    mu <- exp(0.5 + 0.4 * d$age + eff + log(d$exposure))
  } else {
    mu <- 1 / (0.8 + 0.3 * d$age + eff + 0.1 * d$exposure)
  }
  d$cost <- rgamma(n, shape = shape * d$w, scale = mu / (shape * d$w))
  d
}

# Inverse Gaussian draws with mean mu and shape lambda (Michael, Schucany and
# Haas's transformation of a chi-squared draw).
rinvgauss_msh <- function(n, mu, lambda) {
  mu <- rep_len(mu, n)
  lambda <- rep_len(lambda, n)
  v <- rnorm(n)^2
  x <- mu + mu^2 * v / (2 * lambda) - mu / (2 * lambda) * sqrt(4 * mu * lambda * v + mu^2 * v^2)
  ifelse(runif(n) <= mu / (mu + x), x, mu^2 / x)
}

# n inverse Gaussian responses whose mean is 1 / sqrt(eta) (glm's default
# link, 1/mu^2) of a numeric covariate and a two-level factor
invgauss_data <- function(n = 300, lambda = 20, seed = 2) {
  withr::local_seed(seed)
  d <- data.frame(x = runif(n, 0, 1), g = factor(sample(c("a", "b"), n, TRUE)))
  mu <- 1 / sqrt(0.5 + 1.5 * d$x + 0.5 * (d$g == "b"))
  d$y <- rinvgauss_msh(n, mu, lambda)
  d
}

# `call` (a quoted glm() call) fitted by glm and by gradglm with Newton and
# L-BFGS: everything expect_matches_glm() checks, the dispersion, the
# residuals, predictions with standard errors on `newdata` (and on the
# fitted rows) and the sequential F table. Returns the pair of Newton's.
check_family_case <- function(call, newdata, label, optimizers = c("auto", "newton", "lbfgs"),
                              env = parent.frame(), tol = 1e-5) {
  out <- NULL
  for (opt in optimizers) {
    p <- fit_pair(call, optimizer = opt, env = env)
    o <- p$gradglm
    r <- p$glm
    lab <- sprintf("%s [%s]", label, opt)
    expect_matches_glm(o, r, label = lab, ref = p$glm_ref)
    expect_close(o$dispersion, summary(r)$dispersion, tol, label = paste(lab, "dispersion"))
    expect_close(summary(o)$dispersion, summary(r)$dispersion, tol, label = paste(lab, "summary dispersion"))
    expect_equal(unname(summary(o)$coefficients), unname(summary(r)$coefficients), tolerance = tol,
                 label = paste(lab, "summary table"))
    for (type in c("deviance", "pearson", "working", "response")) {
      expect_equal(residuals(o, type = type), residuals(r, type = type), tolerance = tol,
                   label = paste(lab, type, "residuals"))
    }
    for (type in c("link", "response")) {
      got <- predict(o, newdata = newdata, type = type, se.fit = TRUE)
      want <- predict(r, newdata = newdata, type = type, se.fit = TRUE)
      expect_equal(got$fit, want$fit, tolerance = tol, label = paste(lab, type, "predictions"))
      expect_equal(got$se.fit, want$se.fit, tolerance = tol, label = paste(lab, type, "prediction SEs"))
      expect_equal(got$residual.scale, want$residual.scale, tolerance = tol, label = paste(lab, "residual.scale"))
      got <- predict(o, type = type, se.fit = TRUE)
      want <- predict(r, type = type, se.fit = TRUE)
      expect_equal(got$se.fit, want$se.fit, tolerance = tol, label = paste(lab, type, "fitted SEs"))
    }
    # F tests where the dispersion is estimated, likelihood-ratio tests where it is known
    test <- if (r$family$family %in% c("binomial", "poisson")) "Chisq" else "F"
    expect_equal(anova_table(anova(o, test = test)), anova_table(anova(r, test = test)), tolerance = tol,
                 label = paste(lab, "anova", test))
    if (opt == "newton") out <- p
  }
  invisible(out)
}

# the numbers of an anova table, by glm's column names
anova_table <- function(a) {
  a <- as.data.frame(a)
  keep <- intersect(c("Df", "Deviance", "Resid. Df", "Resid. Dev", "F", "Pr(>F)", "Pr(>Chi)"), names(a))
  unname(as.matrix(a[, keep]))
}
