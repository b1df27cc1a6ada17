# Feedforward networks (model = mlp()): gradients, the linear special case,
# what they learn, predictions and errors.

net_data <- function(n = 60, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), f = factor(sample(letters[1:3], n, TRUE)),
                  w = runif(n, 0.5, 2), wi = sample(1:3, n, TRUE), o = rnorm(n, sd = 0.1))
  d$y <- d$x1 - d$x2 + rnorm(n)
  d$yb <- rbinom(n, 1, 0.5)
  d$yc <- rpois(n, 2)
  d$ym <- factor(sample(c("a", "b", "c"), n, TRUE))
  d$yo <- factor(sample(1:4, n, TRUE), ordered = TRUE)
  d
}

# largest |analytic - central difference| of the objective's gradient at
# random weights, relative to max(1, |gradient|). Each coordinate takes the
# closer of two step sizes: a difference across a relu's kink (or a region
# of large third derivative) is off at one of them only.
net_fd_error <- function(fit, training = FALSE) {
  set.seed(3)
  th <- coef(fit) + rnorm(length(coef(fit)), sd = 0.3)
  obj <- function(t) gradglm:::network_objective(fit, t, training)
  g <- obj(th)$gradient
  fd <- function(h) vapply(seq_along(th), function(j) {
    e <- replace(numeric(length(th)), j, h)
    (obj(th + e)$value - obj(th - e)$value) / (2 * h)
  }, 0)
  err <- pmin(abs(fd(1e-5) - g), abs(fd(1e-6) - g))
  max(err) / max(1, abs(g))
}

test_that("gradients of every activation and family match central differences", {
  d <- net_data()
  one <- opt_gd(max_iter = 1)  # a fitted object to evaluate at other weights
  fit_net <- function(act, case) {
    m <- mlp(c(4, 3), activation = act)
    suppressWarnings(switch(case,
      gaussian = gradglm(y ~ x1 + x2 + f + offset(o), data = d, weights = w, model = m, optimizer = one),
      binomial = gradglm(yb ~ x1 + x2 + f, data = d, family = binomial(), weights = wi, model = m, optimizer = one),
      poisson = gradglm(yc ~ x1 + x2 + offset(o), data = d, family = poisson(), model = m, optimizer = one),
      multinomial = gradglm(ym ~ x1 + x2, data = d, family = multinomial(), weights = w, model = m,
                            optimizer = one),
      ordinal = gradglm(yo ~ x1 + x2 + f, data = d, family = ordinal(), weights = w, model = m, optimizer = one),
      student_sigma = gradglm(y ~ x1 + x2, sigma = ~ x1, data = d, family = student_t(), weights = w, model = m,
                              optimizer = one),
      laplace = gradglm(y ~ x1 + x2, data = d, family = laplace(), model = m, optimizer = one),
      decay = gradglm(yb ~ x1 + x2, data = d, family = binomial(), model = m, optimizer = one,
                      penalty = ridge(lambda = 0.1)),
      decay_all = gradglm(y ~ x1 + x2, data = d, optimizer = one, penalty = ridge(lambda = 0.1),
                          model = mlp(c(4, 3), activation = act, decay_biases = TRUE))))
  }
  cases <- c("gaussian", "binomial", "poisson", "multinomial", "ordinal", "student_sigma", "laplace", "decay",
             "decay_all")
  for (act in c("relu", "tanh", "sigmoid", "softplus", "gelu", "identity")) {
    for (case in cases) {
      err <- net_fd_error(fit_net(act, case))
      expect_lt(err, 1e-6, label = paste(act, case))
    }
  }
  # dropout: a training pass is differentiable for its fixed draws
  fit <- suppressWarnings(gradglm(y ~ x1 + x2, data = d, model = mlp(5, dropout = 0.3),
                                  optimizer = opt_adam(max_epochs = 1, learning_rate = 1e-5)))
  expect_lt(net_fd_error(fit, training = TRUE), 1e-6)
  # and drops units: its loss differs from the evaluation pass's
  th <- coef(fit)
  expect_false(isTRUE(all.equal(gradglm:::network_objective(fit, th, TRUE)$value,
                                gradglm:::network_objective(fit, th, FALSE)$value)))
})

test_that("weight decay: the weights, or with decay_biases every parameter", {
  d <- net_data()
  set.seed(1)
  fit <- suppressWarnings(gradglm(y ~ x1 + x2, data = d, model = mlp(3), optimizer = opt_gd(max_iter = 1),
                                  penalty = ridge(lambda = 0.5)))
  th <- coef(fit)
  plain <- gradglm:::network_objective(fit, th)$value
  fit$network$decay_biases <- TRUE
  all <- gradglm:::network_objective(fit, th)$value
  bias <- grepl("(bias)", names(th), fixed = TRUE)
  expect_equal(all - plain, 0.25 * sum(th[bias]^2), tolerance = 1e-12)
  fit$network$decay <- 0
  expect_equal(plain - gradglm:::network_objective(fit, th)$value, 0.25 * sum(th[!bias]^2), tolerance = 1e-12)
})

test_that("a network without hidden layers is the GLM", {
  d <- net_data(200)
  for (fam in list(gaussian(), binomial(), poisson())) {
    f <- switch(fam$family, gaussian = y ~ x1 + x2 + f, binomial = yb ~ x1 + x2 + f, poisson = yc ~ x1 + x2)
    d$wt <- if (fam$family == "binomial") d$wi else d$w
    glm_fit <- glm(f, data = d, family = fam, weights = wt, control = glm.control(epsilon = 1e-14, maxit = 100))
    net <- gradglm(f, data = d, family = fam, weights = wt, model = mlp(integer(0)),
                   optimizer = opt_lbfgs(tol = 1e-12, max_iter = 2000))
    expect_equal(-2 * as.numeric(logLik(net)), -2 * as.numeric(logLik(glm_fit)), tolerance = 1e-8)
    expect_equal(unname(fitted(net)), unname(fitted(glm_fit)), tolerance = 1e-6)
    expect_equal(net$network$n_weights, length(coef(glm_fit)))
  }
})

test_that("networks learn what a GLM cannot: spirals, a sine, iris", {
  skip_on_cran()
  # two interleaved spirals
  set.seed(42)
  n <- 2000
  t <- sqrt(runif(n)) * 3 * pi
  cls <- rep(0:1, length.out = n)
  r <- t + 0.5
  sp <- data.frame(x1 = r * cos(t + pi * cls) + rnorm(n, sd = 0.2), x2 = r * sin(t + pi * cls) + rnorm(n, sd = 0.2),
                   y = cls)
  train <- sample(n, 1500)
  glm_acc <- mean((predict(gradglm(y ~ x1 + x2, data = sp[train, ], family = binomial()), sp[-train, ],
                           type = "response") > 0.5) == sp$y[-train])
  set.seed(1)
  # (not converged in 300 epochs, and separated: warnings that are not the point here)
  fit <- suppressWarnings(gradglm(y ~ x1 + x2, data = sp[train, ], family = binomial(), model = mlp(c(32, 32)),
                                  optimizer = opt_adam(learning_rate = 0.01, max_epochs = 300, patience = 30)))
  acc <- mean(predict(fit, sp[-train, ], type = "class") == sp$y[-train])
  expect_gte(acc, 0.97)
  expect_lt(glm_acc, 0.7)
  # y = sin(3x) + noise: held-out mean squared error within 10% of the noise
  # variance (5,000 held-out rows, so that their own noise is close to it)
  set.seed(2)
  s <- data.frame(x = runif(6000, -2, 2))
  s$y <- sin(3 * s$x) + rnorm(6000, sd = 0.3)
  tr <- 1:1000
  set.seed(3)
  fit <- gradglm(y ~ x, data = s[tr, ], model = mlp(c(32, 32), activation = "tanh"),
                 optimizer = opt_adam(learning_rate = 0.01, max_epochs = 1000, patience = 50))
  mse <- mean((predict(fit, s[-tr, ], type = "response") - s$y[-tr])^2)
  expect_lt(mse, 1.1 * 0.3^2)
  # iris, multinomial: held-out accuracy
  set.seed(4)
  tr <- unlist(lapply(split(seq_len(150), iris$Species), sample, 35))
  fit <- suppressWarnings(gradglm(Species ~ ., data = iris[tr, ], family = multinomial(),
                                  model = mlp(16, activation = "tanh"),
                                  optimizer = opt_adam(learning_rate = 0.01, max_epochs = 300, patience = 30)))
  acc <- mean(predict(fit, iris[-tr, ], type = "class") == iris$Species[-tr])
  expect_gte(acc, 0.93)
})

test_that("fitted networks: print, predict, logLik and the methods that refuse them", {
  d <- net_data(120)
  set.seed(5)
  fit <- suppressWarnings(gradglm(y ~ x1 + x2 + f, data = d, model = mlp(c(6, 4), activation = "tanh"),
                                  optimizer = opt_adam(max_epochs = 20)))
  expect_output(print(fit), "Network: 4 inputs -> 6 tanh -> 4 tanh -> mu")
  expect_output(print(fit), "count every weight")
  expect_equal(fit$network$n_weights, 4 * 6 + 6 + 6 * 4 + 4 + 4 + 1)
  expect_equal(length(coef(fit)), fit$network$n_weights)
  expect_equal(attr(logLik(fit), "df"), fit$network$n_weights + 1)  # and the Gaussian's dispersion
  # predictions on new data equal the fitted ones on the same rows
  expect_equal(predict(fit, d), predict(fit), tolerance = 1e-12)
  expect_equal(predict(fit, d[1:5, ], type = "response"), fitted(fit)[1:5], tolerance = 1e-12)
  # a sigma network: two outputs of one network
  fit_s <- suppressWarnings(gradglm(y ~ x1 + x2, sigma = ~ x1, data = d, family = student_t(),
                                    model = mlp(5), optimizer = opt_adam(max_epochs = 5)))
  expect_output(print(fit_s), "-> location, sigma  \\(constant: log_df\\)")
  expect_equal(predict(fit_s, d, type = "sigma"), predict(fit_s, type = "sigma"), tolerance = 1e-12)
  expect_true(all(predict(fit_s, d[1:4, ], type = "sigma") > 0))
  # ordinal and multinomial probabilities
  fit_o <- suppressWarnings(gradglm(yo ~ x1 + x2, data = d, family = ordinal(), model = mlp(3),
                                    optimizer = opt_adam(max_epochs = 5)))
  P <- predict(fit_o, d, type = "probs")
  expect_equal(unname(rowSums(P)), rep(1, nrow(d)), tolerance = 1e-12)
  expect_equal(P, fitted(fit_o), tolerance = 1e-10, ignore_attr = TRUE)
  # summary(): the layers' weights as matrices that hold every coefficient in
  # its place, the inputs' standardisation, residuals, deviances, AIC and BIC,
  # and no standard errors (before: an error)
  sm <- summary(fit)
  expect_s3_class(sm, "summary.gradglm_network")
  expect_identical(names(sm$weights), c("h1", "h2", "output"))
  expect_identical(dim(sm$weights$h1), c(6L, 5L))  # 6 units x (4 inputs + bias)
  expect_identical(dim(sm$weights$h2), c(4L, 7L))
  expect_identical(dim(sm$weights$output), c(1L, 5L))
  cf <- coef(fit)
  expect_equal(sm$weights$h1["h1.3", "x2"], cf[["h1.3:x2"]])
  expect_equal(sm$weights$h2["h2.4", "(bias)"], cf[["h2.4:(bias)"]])
  expect_equal(sm$weights$output["mu", "h2.2"], cf[["mu:h2.2"]])
  expect_equal(sort(unname(unlist(lapply(sm$weights, c)))), sort(unname(cf)))
  expect_identical(sm$layers$weights, c(24L, 24L, 4L))
  expect_identical(sm$layers$biases, c(6L, 4L, 1L))
  expect_equal(sm$layers[["rms weight"]][3], sqrt(mean(cf[paste0("mu:h2.", 1:4)]^2)))
  expect_equal(sm$inputs$scale, fit$network$scale)
  expect_equal(sm$bic, BIC(fit))
  expect_equal(sm$residuals, residuals(fit, type = "deviance"))
  expect_output(print(sm), "Layers .*inputs -> h1 +24 +6.*h1 -> h2 +24 +4.*h2 -> output +4 +1")
  expect_output(print(sm), "Null deviance: .*Residual deviance: .*No standard errors")
  expect_error(summary(fit, correlation = TRUE), "'correlation' is for standard errors, which a network's weights")
  expect_error(summary(fit, dispersion = 2), "'dispersion' is for standard errors")
  # a sigma network's outputs: the constant log_df has a bias and no weights
  ss <- summary(fit_s)
  expect_identical(rownames(ss$weights$output), c("location", "sigma", "log_df"))
  expect_true(all(is.na(ss$weights$output["log_df", -6])))
  expect_equal(ss$weights$output["log_df", "(bias)"], cf_s <- coef(fit_s)[["log_df:(bias)"]])
  expect_output(print(ss), "Residuals \\(standardised by sigma\\)")
  expect_output(print(summary(fit_o)), "inputs -> h1 +6 +3")
  expect_error(vcov(fit), "vcov.gradglm: .* not available for a network")
  expect_error(confint(fit), "confint.gradglm")
  expect_error(predict(fit, d, se.fit = TRUE), "'se.fit' is not available for a network")
  # a likelihood-ratio test against a network, in either place (before, a
  # network second was compared by a chi-squared test)
  lin <- gradglm(y ~ x1 + x2 + f, data = d)
  expect_error(anova(lin, fit), "anova.gradglm: a likelihood-ratio test is not available for a network .*model 2 of")
  expect_error(anova(fit, lin), "anova.gradglm: a likelihood-ratio test is not available for a network .*model 1 of")
  expect_error(anova(fit), "an analysis of deviance by terms is not available for a network")
  # reproducible with set.seed()
  set.seed(9)
  a <- suppressWarnings(gradglm(y ~ x1, data = d, model = mlp(3), optimizer = opt_adam(max_epochs = 3)))
  set.seed(9)
  b <- suppressWarnings(gradglm(y ~ x1, data = d, model = mlp(3), optimizer = opt_adam(max_epochs = 3)))
  expect_identical(coef(a), coef(b))
})

test_that("gradglm_fit() takes a network on a matrix, with or without an intercept column", {
  set.seed(8)
  X <- matrix(rnorm(300), 100, dimnames = list(NULL, c("a", "b", "c")))
  y <- rbinom(100, 1, plogis(X[, 1]))
  f0 <- suppressWarnings(gradglm_fit(X, y, family = binomial(), model = mlp(3), optimizer = opt_adam(max_epochs = 2)))
  expect_equal(f0$network$n_weights, 3 * 3 + 3 + 3)  # no output bias without an intercept column
  expect_false(any(grepl("mu:(bias)", names(coef(f0)), fixed = TRUE)))
  f1 <- suppressWarnings(gradglm_fit(cbind("(Intercept)" = 1, X), y, family = binomial(), model = mlp(3),
                                     optimizer = opt_adam(max_epochs = 2)))
  expect_equal(f1$network$n_weights, 3 * 3 + 3 + 3 + 1)
  expect_equal(predict(f1, cbind(1, X)), predict(f1), tolerance = 1e-12, ignore_attr = TRUE)
})

test_that("a network with nothing to learn keeps its start (the model without inputs)", {
  d <- net_data()
  d$c0 <- 1
  set.seed(2)
  expect_warning(expect_warning(
    fit <- gradglm(y ~ c0, data = d, model = mlp(3), optimizer = opt_adam(max_epochs = 3)),
    "the loss ended above its starting value, so the starting values are returned"),
    "the network's inputs \\('c0'\\) are constant over the 60 observations with non-zero weight")
  expect_equal(unname(fitted(fit)), rep(mean(d$y), nrow(d)), tolerance = 1e-6)
  # (no weights do better there: a full-batch fit that stops at once has converged, and says why it is flat)
  expect_warning(fit <- gradglm(y ~ c0, data = d, model = mlp(3), optimizer = "lbfgs"),
                 "can only fit the model without inputs")
  expect_true(fit$converged)
})

# Degenerate fits said, not reported as converged (before: converged = TRUE,
# silently, with logLik Inf, or at the model without inputs)
net_optimizers <- c("adam", "sgd", "lbfgs", "gd")

test_that("a network fitted exactly (one row) has an infinite log-likelihood and has not converged", {
  d1 <- data.frame(x = 0.5, y = 1.2)
  for (opt in net_optimizers) {
    set.seed(1)
    expect_warning(fit <- gradglm(y ~ x, data = d1, model = mlp(4), optimizer = opt),
                   paste0("gradglm: the fit has not converged: its log-likelihood is Inf at the estimates: the ",
                          "fitted values reproduce every response exactly \\(1 observation with non-zero weight ",
                          "for 13 parameters\\).*fewer parameters \\(a smaller network\\)"))
    expect_false(fit$converged, info = opt)
    expect_identical(as.numeric(logLik(fit)), Inf)
  }
  # other families: the network's inputs do not vary over one row, and it says so
  d1 <- data.frame(x = 0.5, y = 1)
  set.seed(1)
  expect_warning(gradglm(y ~ x, data = d1, family = binomial(), model = mlp(4), optimizer = "lbfgs"),
                 "the network's inputs \\('x'\\) are constant over the 1 observation with non-zero weight")
})

test_that("dead ReLUs (every unit's input negative for every row) are said, and the fit has not converged", {
  d <- net_data()
  # h1 weights 0, biases -100: every unit dead; output weights 1
  dead <- c(numeric(8), rep(-100, 4), rep(1, 4), 0)
  msg <- paste0("the fit has not converged: every unit of hidden layer 1 gives the same value for every row ",
                "\\(dead ReLUs: their input is <= 0 for every row\\).*model without inputs")
  for (opt in net_optimizers) {
    expect_warning(fit <- gradglm(y ~ x1 + x2, data = d, model = mlp(4), optimizer = opt, start = dead), msg)
    expect_false(fit$converged, info = opt)
    expect_equal(unname(coef(fit)[1:16]), dead[1:16])  # (the gradient there is zero)
    expect_warning(fit <- gradglm(y ~ x1 + x2, data = d, family = student_t(), model = mlp(4), optimizer = opt,
                                  start = c(dead, 0, log(5))), msg)
    expect_false(fit$converged, info = opt)
  }
  expect_warning(fit <- gradglm(yb ~ x1 + x2, data = d, family = binomial(), model = mlp(4), start = dead), msg)
  expect_false(fit$converged)
  # all weights zero but one (an output weight): every relu's input is 0
  one <- replace(numeric(17), 13, 1)
  expect_warning(fit <- gradglm(y ~ x1 + x2, data = d, model = mlp(4), optimizer = "lbfgs", start = one), msg)
  expect_false(fit$converged)
  # a dead second layer, named
  set.seed(1)
  ok <- coef(suppressWarnings(gradglm(y ~ x1 + x2, data = d, model = mlp(c(4, 3)),
                                      optimizer = opt_adam(max_epochs = 20))))
  ok[grep("^h2\\.[0-9]:\\(bias\\)", names(ok))] <- -1e3
  expect_warning(fit <- gradglm(y ~ x1 + x2, data = d, model = mlp(c(4, 3)), optimizer = "lbfgs", start = ok),
                 "every unit of hidden layer 2 gives the same value for every row")
  expect_false(fit$converged)
  # zero weights with tanh: every unit is tanh(0) for every row, a stationary point
  expect_warning(fit <- gradglm(y ~ x1 + x2, data = d, model = mlp(4, "tanh"), optimizer = "gd", start = numeric(17)),
                 "every unit of hidden layer 1 gives the same value for every row, so")
  expect_false(fit$converged)
  # a network that learns says none of this
  set.seed(1)
  w <- character(0)
  withCallingHandlers(gradglm(y ~ x1 + x2, data = d, model = mlp(4), optimizer = "lbfgs"),
                      warning = function(e) {
                        w <<- c(w, conditionMessage(e))
                        invokeRestart("muffleWarning")
                      })
  expect_false(any(grepl("same value for every row|log-likelihood is", w)))
})

test_that("a link that takes only some outputs is named when no start is valid", {
  d <- net_data()
  set.seed(1)
  expect_error(gradglm(yb ~ x1, data = d, family = binomial(link = "log"), model = mlp(4)),
               paste0("the adam optimizer could not find valid weights \\(the loss is not finite at the starting ",
                      "values\\): the network's outputs are any real numbers, but binomial\\(\\)'s 'log' link gives ",
                      "a valid mean only for some of them; use link = \"logit\""))
  # weights given as 'start' are named as the cause
  expect_error(gradglm(yc ~ x1, data = d, family = poisson(link = "identity"), model = mlp(2), optimizer = "lbfgs",
                       start = c(numeric(6), -1)),
               "the weights given as 'start' give outputs where it is not")
})

test_that("bad network input: clear errors naming the argument", {
  d <- net_data()
  expect_error(mlp(c(3, 0)), "mlp: 'units' must be a vector of positive whole numbers")
  expect_error(mlp(2.5), "'units' must be a vector of positive whole numbers")
  expect_error(mlp(3, activation = "swish"), "unknown 'activation' 'swish'; choose one of \"identity\", \"relu\"")
  expect_error(mlp(3, dropout = 1), "'dropout' must be a number from 0 up to")
  expect_error(mlp(3, dropout = -0.1), "'dropout'")
  expect_error(mlp(3, decay_biases = NA), "'decay_biases' must be TRUE or FALSE")
  # (nnet's `decay` was taken as a partial match of decay_biases: "'decay_biases' must be TRUE or FALSE")
  expect_error(mlp(3, decay = 0.01), "mlp: unknown argument 'decay'; weight decay is gradglm\\(\\)'s 'penalty = ridge")
  expect_error(mlp(size = 3), "unknown argument 'size'; the hidden layers' sizes are 'units'")
  expect_error(mlp(3, "tanh", "he", 0, TRUE), "unknown argument \\(unnamed\\)")
  expect_error(mlp(3, foo = 1, bar = 2), "unknown arguments 'foo', 'bar'$")
  expect_identical(mlp(3, decay_biases = TRUE)$decay_biases, TRUE)
  expect_error(gradglm(y ~ x1, data = d, model = mlp(3), optimizer = "newton"),
               "the 'newton' optimizer needs the curvature of a linear model")
  expect_error(gradglm(y ~ x1, data = d, model = mlp(3), optimizer = "exact"), "'exact' optimizer")
  expect_error(gradglm(y ~ x1, data = d, model = mlp(3, dropout = 0.2), optimizer = "lbfgs"),
               "'dropout' is for the minibatch optimizers")
  expect_error(gradglm(y ~ x1, data = d, model = mlp(3), penalty = lasso(lambda = 0.1)),
               "weight decay as penalty = ridge")
  expect_error(gradglm(y ~ 1, data = d, model = mlp(3)), "a network needs inputs")
  expect_error(gradglm(cbind(y, x1) ~ x2, data = d, model = mlp(3)), "a network \\(model = mlp\\(\\)\\) fits one response")
  expect_error(gradglm(cbind(y, x1) ~ x2, data = d, family = student_t(), model = mlp(3)), "fits one response")
  expect_error(gradglm(y ~ x1, data = d, model = "mlp"), "'model' must be linear\\(\\), a network")
  expect_error(gradglm(y ~ x1, data = d, model = mlp(3), start = 1), "'start' for a network must be a fitted network")
  old <- options(gradglm.max_weights = 50)
  on.exit(options(old))
  expect_warning(expect_warning(gradglm(y ~ x1, data = d, model = mlp(20), optimizer = opt_adam(max_epochs = 1)),
                                "did not converge"),
                 "the network has 61 weights, more than 50")
})

test_that("update(start = fit) continues training; plots draw", {
  d <- net_data(150)
  set.seed(6)
  fit <- suppressWarnings(gradglm(y ~ x1 + x2, data = d, model = mlp(5, activation = "tanh"),
                                  optimizer = opt_adam(max_epochs = 5)))
  more <- suppressWarnings(update(fit, start = fit, optimizer = opt_adam(max_epochs = 30)))
  expect_lt(-more$loglik, -fit$loglik)
  # its first epoch starts from the fitted weights: the trace's start is the fit's end
  expect_equal(more$trace$loss[1L], fit$deviance / (2 * sum(fit$prior.weights)), tolerance = 1e-10)
  expect_error(update(fit, start = fit, model = mlp(6)), "'start' is a network of another architecture")
  expect_error(update(fit, start = 1:3), "'start' for a network must be a fitted network of the same architecture or 21")
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(fit, which = "network"))
  expect_invisible(plot(fit, which = "effect", term = "x1"))
  expect_invisible(plot(fit))
  expect_error(plot(fit, which = "effect"), "needs 'term': one of x1, x2")
  expect_error(plot(fit, which = "effect", term = "z"), "'term' must name one variable")
  fit_m <- suppressWarnings(gradglm(ym ~ x1 + f, data = d, family = multinomial(), model = mlp(4),
                                    optimizer = opt_adam(max_epochs = 3)))
  expect_invisible(plot(fit_m, which = "effect", term = "f"))
  expect_error(plot(gradglm(y ~ x1, data = d), which = "network"), "are for networks")
})

test_that("a binomial network at fitted probabilities 0 or 1 warns of that alone", {
  # (the GLM's separation certificate is for linear coefficients; it used to
  # run on the network's weights and warn that their length did not fit)
  set.seed(1)
  n <- 3000
  d <- data.frame(x = rnorm(n) * 5, z = rnorm(n))
  d$y <- rbinom(n, 1, plogis(0.3 + 3 * d$x))
  msgs <- character(0)
  fit <- withCallingHandlers(gradglm(y ~ x + z, data = d, family = binomial, model = mlp(4)),
                             warning = function(w) {
                               msgs <<- c(msgs, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  expect_true(any(grepl("fitted probabilities numerically 0 or 1", msgs)))
  expect_false(any(grepl("sub-multiple|data length", msgs)))
  expect_true(all(is.finite(coef(fit))))
})

test_that("a multinomial network near separation warns once, in its own words", {
  set.seed(1)
  seen <- character(0)
  withCallingHandlers(gradglm(Species ~ ., data = iris, family = multinomial(), model = mlp(8, activation = "tanh")),
                      warning = function(w) {
                        seen <<- c(seen, conditionMessage(w))
                        invokeRestart("muffleWarning")
                      })
  # (the separation check of linear predictors is not run on a network's weights)
  expect_identical(seen, "gradglm: fitted probabilities numerically 0 or 1 occurred (some classes may be separated)")
})

test_that("a Student-t network's estimated df starts where the likelihood is not flat", {
  # (it started at the fit without inputs, df 3e7 here, where log df has no
  # gradient: lbfgs stopped there at log-likelihood -131.0 and reported convergence)
  set.seed(1)
  n <- 200
  d <- data.frame(x1 = rnorm(n), x2 = runif(n))
  d$yt <- sin(2 * d$x1) + d$x2 + 0.3 * rt(n, 3)
  set.seed(4)
  f <- suppressWarnings(gradglm(yt ~ x1 + x2, data = d, family = student_t(), model = mlp(4, "tanh"),
                                optimizer = opt_lbfgs(max_iter = 300)))
  expect_lt(coef(f)[["log_df:(bias)"]], 3)
  expect_gt(as.numeric(logLik(f)), -120)
})

test_that("simulate() draws from a network's fitted distribution; plot() takes numbered plots", {
  set.seed(3)
  n <- 400
  d <- data.frame(x1 = rnorm(n), x2 = runif(n))
  d$yb <- rbinom(n, 1, plogis(2 * d$x1))
  d$yc <- rpois(n, exp(d$x2))
  set.seed(5)
  fb <- gradglm(yb ~ x1 + x2, data = d, family = binomial(), model = mlp(3, "tanh"))
  s <- simulate(fb, nsim = 300, seed = 9)
  expect_identical(dim(s), c(400L, 300L))
  expect_true(all(unlist(s) %in% c(0, 1)))
  # (each row's mean draw is its fitted probability, within 5 standard errors)
  p <- fitted(fb)
  expect_lt(max(abs(rowMeans(s) - p) / sqrt(p * (1 - p) / 300 + 1e-12)), 5)
  expect_identical(simulate(fb, nsim = 2, seed = 9), simulate(fb, nsim = 2, seed = 9))
  fc <- gradglm(yc ~ x1 + x2, data = d, family = poisson(), model = mlp(3, "tanh"))
  expect_equal(mean(as.matrix(simulate(fc, nsim = 200, seed = 1))), mean(fitted(fc)), tolerance = 0.02)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(plot(fb, which = 1))
  expect_error(plot(fb, which = 7), "plot.gradglm: 'which' must be one or more of \"loss\", \"network\", \"effect\"")
  # a stop where no step lowers the loss does not send a network to Newton
  msg <- list(message = "no step lowers the loss although the gradient norm is 0.1 (above sqrt(tol) = 0.0001)",
              stop = "flat", iter = 5L)
  expect_warning(gradglm:::warn_not_converged(msg, "lbfgs", "gradglm", network = TRUE), "\"adam\" or another start")
  expect_warning(gradglm:::warn_not_converged(msg, "lbfgs", "gradglm"), "\"newton\" reaches the optimum")
})

test_that("a network that ends worse than the model without inputs is not called converged", {
  # (a backstop: the fits that ended there, adam on a response of 1e-6, now
  # fit in the response's units; the check itself, on the engine's results)
  res <- list(loss = 1.05, converged = TRUE, message = "")
  out <- gradglm:::check_network_loss(res, null_loss = 1, sampled = FALSE)
  expect_false(out$converged)
  expect_match(out$message, "above that of the model without inputs, 1, where its output biases started")
  # within 1% (5% for a null model fitted to a sample), or not converged already: as it was
  expect_identical(gradglm:::check_network_loss(modifyList(res, list(loss = 1.04)), 1, TRUE),
                   modifyList(res, list(loss = 1.04)))
  expect_identical(gradglm:::check_network_loss(modifyList(res, list(loss = 1.009)), 1, FALSE),
                   modifyList(res, list(loss = 1.009)))
  expect_identical(gradglm:::check_network_loss(modifyList(res, list(converged = FALSE)), 1, FALSE),
                   modifyList(res, list(converged = FALSE)))
  expect_identical(gradglm:::check_network_loss(res, NA_real_, FALSE), res)
  # the null model's loss is negative for a density (a scale below 1): 1% of its size
  expect_false(gradglm:::check_network_loss(modifyList(res, list(loss = -0.98)), -1, FALSE)$converged)
  expect_true(gradglm:::check_network_loss(modifyList(res, list(loss = -0.995)), -1, FALSE)$converged)
})

test_that("a network's fit does not depend on the units of its response", {
  set.seed(3)
  d <- data.frame(x = runif(500), z = rnorm(500))
  d$y <- 1 + sin(4 * d$x) + 0.5 * d$z + rnorm(500) * 0.3
  # (the identity-link output in units of the response's sd, and a Gaussian
  # loss in units of its dispersion: the optimizer takes the same steps at
  # every scale; before, adam on y * 1e-6 ended 70 times the model without
  # inputs' error away and called it converged, and at 1e-4 or 1e6 it fitted
  # about as well as a line. A Laplace loss moves by log(scale) instead, and
  # its stopping rule's tolerance, relative to the loss, with it: the same
  # fit to a few digits, stopped at another epoch)
  for (fam in list(gaussian(), laplace())) {
    for (opt in c("adam", "sgd")) {
      fits <- lapply(c(1, 1e-6, 1e6), function(s) {
        set.seed(1)
        expect_no_warning(f <- gradglm(y ~ x + z, data = transform(d, y = y * s), family = fam,
                                       model = mlp(units = 8), optimizer = opt))
        expect_true(f$converged)
        list(fit = f, s = s)
      })
      one <- fitted(fits[[1]]$fit)
      rmse1 <- sqrt(mean((d$y - one)^2))
      expect_lt(rmse1, 0.33)
      for (k in 2:3) {
        f <- fits[[k]]$fit
        s <- fits[[k]]$s
        lab <- paste(fam$family, opt, s)
        if (fam$family == "gaussian") {
          expect_equal(unname(fitted(f)) / s, unname(one), tolerance = 1e-6, label = lab)
        } else {
          expect_lt(abs(sqrt(mean((d$y - fitted(f) / s)^2)) - rmse1), 1e-3 * rmse1, label = lab)
        }
        # the weights are those of the response's units: predict() and the
        # objective at them are the fit's
        expect_equal(unname(predict(f, newdata = d[1:5, ])), unname(fitted(f)[1:5]), tolerance = 1e-10)
        expect_equal(gradglm:::network_objective(f)$value, f$network$objective, tolerance = 1e-10)
      }
    }
  }
  # an offset: the output's units are those of the response less the offset,
  # so an offset far larger than the signal gives the fit without it
  d$o <- rnorm(500, sd = 1e4)
  set.seed(1)
  f_off <- gradglm(y ~ x + z + offset(o), data = transform(d, y = y + o), model = mlp(units = 8))
  set.seed(1)
  f_none <- gradglm(y ~ x + z, data = d, model = mlp(units = 8))
  expect_equal(unname(fitted(f_off)) - d$o, unname(fitted(f_none)), tolerance = 1e-6)
  expect_true(f_off$converged)
  # L-BFGS and gd on the response of 1e-6: as good a fit as at scale 1
  for (opt in c("lbfgs", "gd")) {
    set.seed(1)
    f <- suppressWarnings(gradglm(y ~ x + z, data = transform(d, y = y * 1e-6), model = mlp(units = 8),
                                  optimizer = opt))
    expect_lt(sqrt(mean((d$y * 1e-6 - fitted(f))^2)) / 1e-6, 0.33, label = opt)
  }
  # weight decay is on the weights of the response's units: the same
  # objective as a network without output scales (update() continues the fit
  # from its raw weights)
  set.seed(1)
  f <- gradglm(y ~ x + z, data = transform(d, y = y * 1e3), model = mlp(units = 8), penalty = ridge(1e-3))
  net <- f$network
  expect_gt(net$output_scale[1], 100)
  f1 <- f
  f1$network$output_scale <- NULL
  expect_equal(gradglm:::network_objective(f1)$value, gradglm:::network_objective(f)$value, tolerance = 1e-12)
  expect_equal(gradglm:::network_objective(f1)$gradient, gradglm:::network_objective(f)$gradient,
               tolerance = 1e-8)
  expect_warning(g <- update(f, start = f, optimizer = opt_adam(max_epochs = 5, learning_rate = 1e-6)),
                 "did not converge in 5 epochs")
  expect_equal(g$network$objective, f$network$objective, tolerance = 1e-4)
})

test_that("the engine computes a network's output scale: the weighted sd of the response less its offset", {
  set.seed(5)
  d <- data.frame(x = runif(300), z = rnorm(300), w = rep(c(0, 1, 2), 100), o = rnorm(300, sd = 3))
  d$y <- 5 + sin(3 * d$x) + d$o + rnorm(300) * 0.2
  d$y[1] <- 1e6  # (weight 0: left out)
  wsd <- function(r, w) {
    ok <- w > 0
    m <- sum(w[ok] * r[ok]) / sum(w[ok])
    sqrt(sum(w[ok] * (r[ok] - m)^2) / sum(w[ok]))
  }
  expect_warning(f <- gradglm(y ~ x + z + offset(o), data = d, weights = w, model = mlp(units = 4),
                              optimizer = opt_adam(max_epochs = 3)), "did not converge in 3 epochs")
  expect_equal(f$network$output_scale, wsd(d$y - d$o, d$w), tolerance = 1e-12)
  # an integer response (read as integers by the engine)
  d$k <- as.integer(round(10 * d$x))
  f <- suppressWarnings(gradglm(k ~ x + z, data = d, model = mlp(units = 4), optimizer = opt_adam(max_epochs = 3)))
  expect_equal(f$network$output_scale, wsd(d$k, rep(1, 300)), tolerance = 1e-12)
  # a link other than the identity, and a location-scale model's second output, keep the unit 1
  f <- suppressWarnings(gradglm(I(k > 5) ~ x + z, data = d, family = binomial(), model = mlp(units = 4),
                                optimizer = opt_adam(max_epochs = 3)))
  expect_identical(f$network$output_scale, 1)
  f <- suppressWarnings(gradglm(y ~ x + z, sigma = ~ 1, data = d, family = laplace(), model = mlp(units = 4),
                                optimizer = opt_adam(max_epochs = 3)))
  expect_equal(f$network$output_scale, c(wsd(d$y, rep(1, 300)), 1), tolerance = 1e-12)
})

test_that("a network's inputs are standardised at any scale; constant means within rounding of their size", {
  set.seed(6)
  d <- data.frame(x = runif(200), z = rnorm(200))
  d$y <- sin(3 * d$x) + 0.5 * d$z + rnorm(200) * 0.2
  fit_at <- function(s) {
    set.seed(1)
    suppressWarnings(gradglm(y ~ x + z, data = transform(d, x = x * s), model = mlp(units = 4),
                             optimizer = opt_adam(max_epochs = 20)))
  }
  one <- fit_at(1)
  # (the scales' squares are those of the deviations over the largest one;
  # before, a column of 1e-150 had an sd below 1e-12 (1 + |mean|) and was
  # taken as constant: the network saw it at 1e-150 and could not use it)
  for (s in c(1e-150, 1e-100, 1e-13, 1e150)) {
    f <- fit_at(s)
    expect_equal(f$network$scale[1] / s, one$network$scale[1], tolerance = 1e-12, label = format(s))
    expect_equal(f$network$center[1] / s, one$network$center[1], tolerance = 1e-12, label = format(s))
    expect_equal(unname(fitted(f)), unname(fitted(one)), tolerance = 1e-8, label = format(s))
  }
  # a column of 1e6 plus noise of 1e-9 is constant up to rounding: scale 1
  d$x <- 1e6 + rnorm(200) * 1e-9
  set.seed(1)
  f <- suppressWarnings(gradglm(y ~ x + z, data = d, model = mlp(units = 4), optimizer = opt_adam(max_epochs = 2)))
  expect_identical(f$network$scale[1], 1)
  expect_gt(f$network$scale[2], 0.5)
})

test_that("L-BFGS stopped at a ReLU network's kink says so, not that the loss is flat", {
  # (the engine reads the kink from the objective: the stop's code is "kink"
  # and the warning's hint is R's, from that code alone)
  res <- list(converged = FALSE, iter = 235L, stop = "kink", message = "no step lowers the loss")
  expect_warning(gradglm:::warn_not_converged(res, "lbfgs", "gradglm", network = TRUE),
                 "did not converge in 235 iterations.*a smooth activation")
  res$stop <- "flat"
  expect_warning(gradglm:::warn_not_converged(res, "lbfgs", "gradglm", network = TRUE), "\"adam\" or another start")
  res$stop <- ""
  expect_warning(gradglm:::warn_not_converged(res, "lbfgs", "gradglm", network = TRUE), "gradglm_control\\(max_iter")
  # a fit: a ReLU network's stop of this kind is named as a kink (this one
  # stops so on this data; the expectation holds for any stop of the kind)
  set.seed(3)
  d <- data.frame(x = runif(500), z = rnorm(500))
  d$y <- 1 + sin(4 * d$x) + 0.5 * d$z + rnorm(500) * 0.3
  set.seed(1)
  msgs <- character(0)
  f <- withCallingHandlers(gradglm(y ~ x + z, data = d, model = mlp(units = 8), optimizer = "lbfgs"),
                           warning = function(w) {
                             msgs <<- c(msgs, conditionMessage(w))
                             invokeRestart("muffleWarning")
                           })
  stalled <- grepl("no step lowers the loss", f$message, fixed = TRUE)
  expect_identical(grepl("the ReLU units make the loss kinked, and at a kink the gradient overstates",
                         f$message, fixed = TRUE), stalled)
  expect_identical(any(grepl("a smooth activation", msgs, fixed = TRUE)), stalled)
  expect_false(any(grepl("badly scaled", c(msgs, f$message))))
  # the same network with tanh units is smooth: never named a kink
  set.seed(1)
  g <- suppressWarnings(gradglm(y ~ x + z, data = d, model = mlp(units = 8, activation = "tanh"),
                                optimizer = opt_lbfgs(max_iter = 50)))
  expect_no_match(g$message, "kink")
})

test_that("a network's response whose spread squares underflow is a clear error; at 1e-150 it fits in units", {
  set.seed(2)
  d <- data.frame(x = runif(100))
  d$y <- sin(3 * d$x) + rnorm(100) * 0.1
  sdw <- sqrt(mean((d$y - mean(d$y))^2))
  o <- opt_adam(max_epochs = 3)
  # (before: "the learning rate 0.01 is too large" at 1e-155 and 1e-160 (the
  # dispersion unit 1 / phi overflowed), and at 1e-170 a fit of output scale
  # 1, its fitted values far from the response, that warned of not converging)
  for (s in c(1e-155, 1e-160, 1e-170)) {
    expect_error(gradglm(y ~ x, data = transform(d, y = y * s), model = mlp(4), optimizer = o),
                 "standard deviation of .*underflow a double; rescale it", label = format(s))
  }
  f <- suppressWarnings(gradglm(y ~ x, data = transform(d, y = y * 1e-150), model = mlp(4), optimizer = o))
  expect_equal(f$network$output_scale / 1e-150, sdw, tolerance = 1e-12)
  # the squares of a spread of 1e150 would overflow without the scaling by the largest deviation
  f <- suppressWarnings(gradglm(y ~ x, data = transform(d, y = y * 1e150), model = mlp(4), optimizer = o))
  expect_equal(f$network$output_scale / 1e150, sdw, tolerance = 1e-12)
  # a constant response, however small, has nothing to scale: unit 1
  f <- suppressWarnings(gradglm(y ~ x, data = transform(d, y = 1e-200), model = mlp(4), optimizer = o))
  expect_identical(f$network$output_scale, 1)
})
