# Links of one's own: a link-glm object under a name of its own (linkfun,
# linkinv, mu.eta and, where it has one, valideta), evaluated by the engine in
# R a block of rows at a time, on one thread. Against glm(..., epsilon =
# 1e-12) as the named links are (check_family_case() in helper-glm.R), and
# its failures as clear errors.

# mu = exp(-exp(-eta)): the log-log link, the complement of cloglog
loglog_link <- function() {
  eps <- .Machine$double.eps
  structure(list(linkfun = function(mu) -log(-log(mu)),
                 linkinv = function(eta) pmin(pmax(exp(-exp(-eta)), eps), 1 - eps),
                 mu.eta = function(eta) pmax(exp(-eta - exp(-eta)), eps),
                 valideta = function(eta) TRUE, name = "loglog"), class = "link-glm")
}

# mu = exp(eta) - 1 (eta = log(1 + mu)), valid for eta > 0 only
log1p_link <- function() {
  structure(list(linkfun = function(mu) log1p(mu), linkinv = function(eta) expm1(eta),
                 mu.eta = function(eta) exp(eta), valideta = function(eta) all(is.finite(eta) & eta > 0),
                 name = "log1p"), class = "link-glm")
}

loglog_data <- function(n = 400, seed = 3) {
  withr::local_seed(seed)
  d <- data.frame(x = rnorm(n), g = factor(sample(c("a", "b", "c"), n, TRUE)))
  d$y <- rbinom(n, 1, exp(-exp(-(0.3 + d$x - 0.5 * (d$g == "b")))))
  d$k <- rbinom(n, 5, exp(-exp(-(0.2 + 0.6 * d$x))))
  d$w <- sample(1:3, n, TRUE)
  d
}

test_that("the fitted means and working weights are the link's own", {
  d <- loglog_data()
  lk <- loglog_link()
  fit <- gradglm(y ~ x, data = d, family = binomial(link = lk))
  eta <- fit$linear.predictors
  mu <- lk$linkinv(eta)
  expect_close(fitted(fit), mu, 1e-15)
  expect_close(fit$weights, lk$mu.eta(eta)^2 / (mu * (1 - mu)), 1e-13)
  expect_close(residuals(fit, "working"), (d$y - mu) / lk$mu.eta(eta), 1e-13)
  expect_identical(fit$family$link, "loglog")
  expect_match(paste(capture.output(print(fit)), collapse = "\n"), "link: loglog")
})

test_that("binomial with a log-log link of one's own matches glm (weights, factor, counts of trials)", {
  d <- loglog_data()
  lk <- loglog_link()
  check_family_case(quote(glm(y ~ x + g, data = d, weights = w, family = binomial(link = lk))),
                    d[1:5, ], "binomial(loglog)")
  check_family_case(quote(glm(cbind(k, 5 - k) ~ x, data = d, family = quasibinomial(link = lk))),
                    d[1:5, ], "quasibinomial(loglog)", optimizers = "newton")
})

test_that("Gamma, poisson and quasi with a link of one's own (restricted domain, valideta) match glm", {
  lk <- log1p_link()
  withr::local_seed(4)
  n <- 300
  d <- data.frame(x = runif(n), off = runif(n, 0, 0.1))
  d$y <- rgamma(n, shape = 3, rate = 3 / expm1(0.4 + d$x + d$off))
  d$cnt <- rpois(n, expm1(0.5 + 1.5 * d$x))
  check_family_case(quote(glm(y ~ x + offset(off), data = d, family = Gamma(link = lk))), d[1:4, ],
                    "Gamma(log1p)")
  check_family_case(quote(glm(cnt ~ x, data = d, family = poisson(link = lk))), d[1:4, ], "poisson(log1p)",
                    optimizers = "newton")
  check_family_case(quote(glm(y ~ x, data = d, family = quasi(link = lk, variance = "mu^2"))), d[1:4, ],
                    "quasi(log1p, mu^2)", optimizers = "newton")
  # functions that stop outside the domain valideta() gives are never called there
  strict <- lk
  strict$linkinv <- function(eta) if (any(eta <= 0)) stop("eta must be positive") else expm1(eta)
  strict$mu.eta <- function(eta) if (any(eta <= 0)) stop("eta must be positive") else exp(eta)
  a <- gradglm(cnt ~ x, data = d, family = poisson(link = strict))
  b <- gradglm(cnt ~ x, data = d, family = poisson(link = lk))
  expect_identical(coef(a), coef(b))
  # stats::power(0.5) for the binomial (a power link the binomial's row does
  # not compute itself: its functions, with their valideta)
  b <- data.frame(x = seq(0.1, 0.9, length.out = 60))
  b$y <- rbinom(60, 1, (0.2 + 0.6 * b$x)^2)
  check_family_case(quote(glm(y ~ x, data = b, family = binomial(link = power(0.5)),
                              start = c(0.3, 0.5))), b[1:3, ], "binomial(power(0.5))", optimizers = "newton")
})

test_that("every full-batch optimizer and a chunked source reach glm's fit with a link of one's own", {
  d <- loglog_data()
  lk <- loglog_link()
  ref <- glm(y ~ x + g, data = d, family = binomial(link = lk), control = glm.control(epsilon = 1e-14, maxit = 100))
  for (opt in c("newton", "lbfgs", "gd")) {
    fit <- gradglm(y ~ x + g, data = d, family = binomial(link = lk), optimizer = opt)
    expect_close(coef(fit), coef(ref), if (opt == "gd") 1e-4 else 1e-6, label = opt)
  }
  chunks <- split(d, rep(1:4, each = 100))
  i <- 0
  next_chunk <- function(reset = FALSE) {
    if (reset) {
      i <<- 0
      return(NULL)
    }
    i <<- i + 1
    if (i > length(chunks)) NULL else chunks[[i]]
  }
  fit <- gradglm(y ~ x + g, data = gradglm_source(next_chunk), family = binomial(link = lk))
  expect_close(coef(fit), coef(ref), 1e-6, label = "chunked")
  expect_close(deviance(fit), deviance(ref), 1e-10, label = "chunked deviance")
})

test_that("a link of one's own: bad functions, failures and interrupts are clear errors", {
  d <- loglog_data(n = 200)
  wrong <- loglog_link()
  wrong$mu.eta <- function(eta) 2 * exp(-eta - exp(-eta))
  expect_error(gradglm(y ~ x, data = d, family = binomial(link = wrong)),
               "gradglm: 'family': the link's mu.eta\\(\\) is not the derivative of its linkinv\\(\\)")
  short <- loglog_link()
  short$linkinv <- function(eta) 0.5
  expect_error(gradglm(y ~ x, data = d, family = binomial(link = short)),
               "the link's linkinv\\(\\) must return a numeric vector as long as its argument")
  # an error during the fit: the link's message, said as gradglm's
  calls <- 0
  later <- loglog_link()
  later$linkinv <- function(eta) {
    calls <<- calls + 1
    if (calls > 12) stop("no more")
    pmin(pmax(exp(-exp(-eta)), 1e-16), 1 - 1e-16)
  }
  expect_error(gradglm(y ~ x, data = d, family = binomial(link = later)),
               "gradglm: the link's linkinv\\(\\) stopped with an error or was interrupted: no more")
  # a valideta() that accepts nothing: the error says where to look
  never <- loglog_link()
  never$valideta <- function(eta) NA
  expect_error(gradglm(y ~ x, data = d, family = binomial(link = never)),
               "finds no valid start: see its valideta\\(\\) and linkinv\\(\\)")
  # a domain far from 0 (eta > 2): its derivative is checked where valideta() accepts eta
  shifted <- log1p_link()
  shifted$linkinv <- function(eta) expm1(eta - 2)
  shifted$linkfun <- function(mu) log1p(mu) + 2
  shifted$mu.eta <- function(eta) exp(eta - 2)
  shifted$valideta <- function(eta) all(is.finite(eta) & eta > 2)
  shifted$name <- "log1p+2"
  cnt <- rpois(200, expm1(0.5 + d$x[1:200]^2))
  a <- gradglm(cnt ~ I(x^2), data = cbind(d[1:200, ], cnt = cnt), family = poisson(link = shifted))
  b <- gradglm(cnt ~ I(x^2), data = cbind(d[1:200, ], cnt = cnt), family = poisson(link = log1p_link()))
  expect_close(coef(a)[-1], coef(b)[-1], 1e-8)
  expect_close(coef(a)[[1]], coef(b)[[1]] + 2, 1e-8)
  wrong2 <- shifted
  wrong2$mu.eta <- function(eta) 2 * exp(eta - 2)
  expect_error(gradglm(cnt ~ I(x^2), data = cbind(d[1:200, ], cnt = cnt), family = poisson(link = wrong2)),
               "is not the derivative of its linkinv\\(\\) \\(at eta = (3|6|20)\\)")
  # where a link of one's own is not offered
  net <- suppressWarnings(gradglm(y ~ x, data = d, family = binomial(link = loglog_link()), model = mlp(3)))
  expect_true(all(is.finite(coef(net))))
  expect_error(gradglm(x ~ g, data = d, family = gaussian(link = log1p_link()), sigma = ~ 1),
               "a link of one's own \\(log1p\\) is available for a generalized linear model")
  expect_error(gradglm(y ~ x, data = d, family = student_t(link = loglog_link())), "student_t")
  expect_error(gradglm(y ~ x, data = d, family = negative_binomial(link = loglog_link())), "negative_binomial")
  # a time limit stops the fit promptly, and the session goes on
  skip_on_cran()
  big <- loglog_data(n = 2e5)
  t0 <- proc.time()[[3]]
  err <- tryCatch({
    setTimeLimit(elapsed = 0.3, transient = TRUE)
    on.exit(setTimeLimit(), add = TRUE)
    gradglm(y ~ x + g, data = big, family = binomial(link = loglog_link()), optimizer = "gd",
            control = gradglm_control(max_iter = 1e5, tol = 1e-14))
  }, error = conditionMessage)
  setTimeLimit()
  expect_match(err, "time limit")
  expect_lt(proc.time()[[3]] - t0, test_seconds(5))
  expect_s3_class(gradglm(y ~ x, data = d, family = binomial(link = loglog_link())), "gradglm")
})

test_that("the logit under a name of its own gives the compiled logit's fits: Newton, minibatches, a network", {
  ml <- make.link("logit")
  ml$name <- "mylogit"
  withr::local_seed(3)
  n <- 1000
  d <- data.frame(x = rnorm(n), z = rnorm(n))
  d$y <- rbinom(n, 1, plogis(sin(2 * d$x) + d$z))
  a <- gradglm(y ~ x + z, data = d, family = binomial(link = ml))
  b <- gradglm(y ~ x + z, data = d, family = binomial)
  expect_close(coef(a), coef(b), 1e-10)
  expect_close(sqrt(diag(vcov(a))), sqrt(diag(vcov(b))), 1e-8)
  # minibatches: the rows of a batch's runs are gathered, one call of R per batch
  set.seed(1)
  a <- gradglm(y ~ x + z, data = d, family = binomial(link = ml), optimizer = "sgd")
  set.seed(1)
  b <- gradglm(y ~ x + z, data = d, family = binomial, optimizer = "sgd")
  expect_close(coef(a), coef(b), 1e-12)
  set.seed(1)
  a <- suppressWarnings(gradglm(y ~ x + z, data = d, family = binomial(link = ml), model = mlp(8),
                                optimizer = opt_adam(max_epochs = 30)))
  set.seed(1)
  b <- suppressWarnings(gradglm(y ~ x + z, data = d, family = binomial, model = mlp(8),
                                optimizer = opt_adam(max_epochs = 30)))
  expect_close(coef(a), coef(b), 1e-10)
  expect_close(deviance(a), deviance(b), 1e-12)
})
