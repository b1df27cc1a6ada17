# Penalised fits: parity with glmnet along the path, KKT conditions, single
# fits, relaxed fits, penalised distributional models, methods and errors.

pen_data <- function(n = 300, p = 8, seed = 1) {
  set.seed(seed)
  X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, paste0("x", seq_len(p))))
  X[, 2] <- X[, 2] * 5 + 3  # columns on different scales
  X[, 3] <- X[, 3] + X[, 1]  # and correlated
  eta <- drop(X[, 1:4] %*% c(0.8, -0.2, 0.5, 0.3)) - 0.5 * 3 / 5
  list(X = X, eta = eta, n = n, p = p, df = data.frame(X))
}

# relative difference of two coefficient matrices: |a - b| / max(1, |b|)
rel_diff <- function(a, b) max(abs(a - b) / pmax(1, abs(b)))

glmnet_coef <- function(g) as.matrix(rbind(g$a0, as.matrix(g$beta)))

expect_glmnet_parity <- function(family, y, X, weights = NULL, alpha = 1, standardize = TRUE,
                                 pf = NULL, offset = NULL, tol = 1e-5) {
  skip_if_not_installed("glmnet")
  n <- nrow(X)
  w <- if (is.null(weights)) rep(1, n) else weights
  pf_g <- if (is.null(pf)) rep(1, ncol(X)) else pf
  # glmnet's default path (whose first solution is the null model), then the
  # same lambdas given explicitly, each solved to glmnet's tightest threshold
  g0 <- glmnet::glmnet(X, y, family = family, weights = w, alpha = alpha, standardize = standardize,
                       penalty.factor = pf_g, offset = offset)
  g <- glmnet::glmnet(X, y, family = family, weights = w, alpha = alpha, standardize = standardize,
                      penalty.factor = pf_g, offset = offset, lambda = g0$lambda,
                      control = list(thresh = 1e-14, maxit = 1e6))
  fam <- switch(family, gaussian = gaussian(), binomial = binomial(), poisson = poisson())
  spec <- elastic_net(alpha = alpha, lambda = g$lambda, standardize = standardize, penalty_factor = pf,
                      tol = 1e-13)
  fit <- gradglm_fit(cbind("(Intercept)" = 1, X), y, weights = weights, offset = offset, family = fam,
                     penalty = spec)
  expect_equal(length(fit$path$lambda), length(g$lambda))
  d <- rel_diff(coef(fit), glmnet_coef(g))
  expect_lt(d, tol)
  expect_lt(max(fit$path$kkt), 1e-6)
  # df counts the non-zero coefficients as glmnet's, unpenalised ones too
  # (before: only those with a positive penalty factor, 1 less along the path
  # with pf[1] = 0); the first lambda is a tie, where the first coefficient
  # to enter is 0 to rounding in one of the two
  expect_equal(fit$path$df[-1], g$df[-1])
  # glmnet's default path starts at the same lambda_max
  fd <- gradglm_fit(cbind("(Intercept)" = 1, X), y, weights = weights, offset = offset, family = fam,
                    penalty = elastic_net(alpha = alpha, standardize = standardize, penalty_factor = pf))
  expect_equal(fd$path$lambda[1], g0$lambda[1], tolerance = 1e-6)
  expect_true(all(coef(fd)[fd$path$factor > 0, 1] == 0))
  expect_equal(is.na(fd$path$kkt[1]), alpha < 1)  # the null model is a solution there only for alpha = 1
  invisible(d)
}

test_that("gaussian lasso, elastic net and ridge paths equal glmnet's", {
  d <- pen_data()
  y <- d$eta + rnorm(d$n)
  expect_glmnet_parity("gaussian", y, d$X)
  expect_glmnet_parity("gaussian", y, d$X, alpha = 0.3)
  expect_glmnet_parity("gaussian", y, d$X, alpha = 0)
  expect_glmnet_parity("gaussian", y, d$X, standardize = FALSE)
  w <- runif(d$n, 0.2, 3)
  expect_glmnet_parity("gaussian", y, d$X, weights = w, pf = c(0, 1, 2, 1, 1, 0.5, 1, 1))
})

test_that("binomial paths equal glmnet's, with weights, factors and without standardizing", {
  d <- pen_data(seed = 2)
  y <- rbinom(d$n, 1, plogis(d$eta))
  expect_glmnet_parity("binomial", y, d$X)
  expect_glmnet_parity("binomial", y, d$X, alpha = 0.5, standardize = FALSE)
  expect_glmnet_parity("binomial", y, d$X, alpha = 0)
  w <- runif(d$n, 0.2, 3)
  expect_glmnet_parity("binomial", y, d$X, weights = sample(1:3, d$n, TRUE), pf = c(1, 0, 1, 1, 3, 1, 1, 1))
})

test_that("poisson paths equal glmnet's, with an offset", {
  d <- pen_data(seed = 3)
  off <- runif(d$n, -0.5, 0.5)
  y <- rpois(d$n, exp(0.5 * d$eta + off))
  expect_glmnet_parity("poisson", y, d$X)
  expect_glmnet_parity("poisson", y, d$X, alpha = 0.7, offset = off)
  expect_glmnet_parity("poisson", y, d$X, weights = runif(d$n, 0.5, 2), standardize = FALSE)
})

test_that("without an intercept the columns are standardised as glmnet's: by their centred spread", {
  skip_if_not_installed("glmnet")
  set.seed(3)
  d <- data.frame(x1 = rnorm(250), x2 = rnorm(250), x3 = runif(250))
  d$y <- 1 + d$x1 + rnorm(250)
  d$yb <- rbinom(250, 1, plogis(d$x1 + d$x3))
  X <- as.matrix(d[, 1:3])
  for (fam in c("gaussian", "binomial")) {
    y <- d[[if (fam == "gaussian") "y" else "yb"]]
    g0 <- glmnet::glmnet(X, y, family = fam, intercept = FALSE)
    g <- glmnet::glmnet(X, y, family = fam, intercept = FALSE, lambda = g0$lambda[c(5, 20, 40)],
                        control = list(thresh = 1e-14, maxit = 1e6))
    fit <- gradglm_fit(X, y, family = fam, penalty = lasso(lambda = g$lambda, tol = 1e-13))
    expect_lt(rel_diff(coef(fit), as.matrix(g$beta)), 1e-6)
    fd <- gradglm_fit(X, y, family = fam, penalty = lasso())
    expect_equal(fd$path$lambda[1], g0$lambda[1], tolerance = 1e-6)
  }
  # a constant column (which glmnet leaves out) is penalised on its root mean square
  fit <- gradglm(y ~ 0 + x1 + k, data = transform(d, k = 2), penalty = lasso())
  expect_equal(unname(fit$path$scale), c(sqrt(mean((d$x1 - mean(d$x1))^2)), 2))
  expect_true(coef(fit)["k", ncol(coef(fit))] > 0)
})

test_that("a default path ends where glmnet's does, by the family's rule", {
  skip_if_not_installed("glmnet")
  set.seed(2)
  X <- matrix(rnorm(300 * 6), 300, dimnames = list(NULL, paste0("x", 1:6)))
  eta <- 0.3 + drop(X %*% c(0.8, -0.5, 0, 0.4, 0, 0))
  yb <- rbinom(300, 1, plogis(eta))
  yp <- rpois(300, exp(eta / 2))
  ym <- factor(sample(letters[1:3], 300, TRUE))
  off <- runif(300, -0.3, 0.3)
  f2 <- data.frame(x1 = X[, 1], f = factor(sample(c("a", "b", "c"), 300, TRUE)), x2 = X[, 2])
  yg <- 1 + f2$x1 - 0.5 * (f2$f == "b") + rnorm(300)
  X2 <- model.matrix(~ x1 + f + x2, f2)[, -1]
  runs <- list(
    list(gradglm_fit(cbind(1, X), yb, family = binomial(), penalty = lasso()),
         glmnet::glmnet(X, yb, family = "binomial"), 1),
    list(gradglm_fit(cbind(1, X), yb, family = binomial(), penalty = lasso(penalty_factor = c(0, 1, 1, 1, 1, 1))),
         glmnet::glmnet(X, yb, family = "binomial", penalty.factor = c(0, 1, 1, 1, 1, 1)), 1),
    list(gradglm_fit(cbind(1, X), yp, family = poisson(), offset = off, penalty = lasso()),
         glmnet::glmnet(X, yp, family = "poisson", offset = off), 2),
    list(gradglm_fit(cbind(1, X), ym, family = multinomial(), penalty = lasso()),
         glmnet::glmnet(X, ym, family = "multinomial"), 1),
    list(gradglm_fit(X, yb, family = binomial(), penalty = lasso()),
         glmnet::glmnet(X, yb, family = "binomial", intercept = FALSE), 1),
    list(gradglm(yg ~ x1 + f + x2, data = f2, penalty = lasso(penalty_factor = c(x1 = 0, f = 2))),
         glmnet::glmnet(X2, yg, penalty.factor = c(0, 2, 2, 1)), 0))
  for (r in runs) {
    fit <- r[[1]]
    g <- r[[2]]
    expect_equal(length(fit$path$lambda), length(g$lambda))
    # the fraction explained (of the intercept-and-offset model's deviance) is glmnet's
    expect_equal(fit$path$dev.ratio, g$dev.ratio, tolerance = 1e-4)
    # and the rule holds exactly at the last lambda, not before
    dr <- fit$path$dev.ratio
    k <- seq_along(dr)
    grow <- switch(r[[3]] + 1, (dr - c(NA, head(dr, -1))) < 1e-5 * dr, (dr - c(NA, head(dr, -1))) < 1e-5,
                   (dr - c(rep(NA, 4), head(dr, -4))) < 1e-4 * dr)
    stop_at <- k >= 5 & (grow | dr > 0.999)
    expect_equal(which(stop_at %in% TRUE), length(dr))
  }
})

test_that("a single lambda gives the path's solution there, with summary() and standard errors", {
  skip_if_not_installed("glmnet")
  d <- pen_data(seed = 4)
  y <- rbinom(d$n, 1, plogis(d$eta))
  g0 <- glmnet::glmnet(d$X, y, family = "binomial")
  g <- glmnet::glmnet(d$X, y, family = "binomial", lambda = g0$lambda, control = list(thresh = 1e-14))
  lam <- g$lambda[20]
  fit <- gradglm(y ~ ., data = cbind(d$df, y = y), family = binomial(), penalty = lasso(lambda = lam, tol = 1e-13))
  expect_lt(rel_diff(coef(fit), glmnet_coef(g)[, 20]), 1e-5)
  s <- summary(fit)
  zero <- coef(fit) == 0
  expect_true(any(zero))
  expect_equal(rownames(s$coefficients), names(coef(fit))[!zero])
  expect_true(all(s$coefficients[, 2] > 0))
  expect_output(print(s), "not selected")
  expect_output(print(s), "ignore that the coefficients were selected")
  # the standard errors: the sandwich of the penalised curvature, here with
  # no ridge part the inverse Fisher information of the support
  X1 <- cbind(1, d$X)[, !zero]
  mu <- plogis(drop(X1 %*% coef(fit)[!zero]))
  V <- solve(crossprod(X1 * sqrt(mu * (1 - mu))))
  expect_equal(unname(s$coefficients[, 2]), unname(sqrt(diag(V))), tolerance = 1e-6)
  # predictions at the selected coefficients
  p <- predict(fit, newdata = d$df[1:5, ], type = "response", se.fit = TRUE)
  expect_equal(unname(p$fit), mu[1:5], tolerance = 1e-8)
  expect_true(all(p$se.fit > 0))
  expect_error(anova(fit), "penalised fit cannot be compared")
})

test_that("relax = TRUE refits the selected coefficients without penalty, as glm", {
  d <- pen_data(seed = 5)
  y <- d$eta + rnorm(d$n)
  dat <- cbind(d$df, y = y)
  fit <- gradglm(y ~ ., data = dat, penalty = lasso(lambda = 0.1, relax = TRUE))
  sel <- fit$penalty$selected
  expect_true(length(sel) >= 1L && length(sel) < d$p)
  ref <- glm(reformulate(sel, "y"), data = dat)
  expect_equal(coef(fit)[names(coef(ref))], coef(ref), tolerance = 1e-10)
  expect_true(all(coef(fit)[setdiff(names(coef(fit)), names(coef(ref)))] == 0))
  expect_equal(summary(fit)$coefficients, summary(ref)$coefficients, tolerance = 1e-8)
  expect_output(print(summary(fit)), "Relaxed lasso")
  expect_equal(unname(predict(fit, newdata = dat[1:3, ])), unname(predict(ref, newdata = dat[1:3, ])),
               tolerance = 1e-10)
})

test_that("a penalised Student-t model: ridge at least as good as a polished optim, lasso meets KKT", {
  d <- pen_data(n = 200, p = 5, seed = 6)
  y <- d$eta + rt(d$n, df = 3)
  dat <- cbind(d$df, y = y)
  lam <- 0.05
  fit <- gradglm(y ~ ., data = dat, family = student_t(df = 3), penalty = ridge(lambda = lam, tol = 1e-16))
  X <- cbind(1, d$X)
  s <- apply(d$X, 2, function(v) sqrt(mean((v - mean(v))^2)))
  obj <- function(th) {
    b <- th[1:6]; ls <- th[7]
    z <- (y - X %*% b) / exp(ls)
    nll <- -mean(dt(z, df = 3, log = TRUE) - ls)
    nll + lam * 0.5 * sum((s * b[-1])^2)
  }
  grad <- function(th) {
    b <- th[1:6]; ls <- th[7]
    z <- drop(y - X %*% b) / exp(ls)
    u <- 4 * z / (3 + z^2)
    c(-colMeans(X * u) / exp(ls) + lam * c(0, s^2 * b[-1]), mean(1 - u * z))
  }
  o <- optim(c(coef(lm(y ~ d$X)), 0), obj, grad, method = "BFGS", control = list(reltol = 1e-15, maxit = 1e4))
  # polish optim's optimum by Newton steps (a Hessian by differences of the gradient)
  th <- o$par
  for (i in 1:4) {
    H <- sapply(seq_along(th), function(j) {
      e <- replace(numeric(length(th)), j, 1e-5)
      (grad(th + e) - grad(th - e)) / 2e-5
    })
    th <- th - solve((H + t(H)) / 2, grad(th))
  }
  expect_lt(max(abs(grad(th))), 1e-10)
  expect_lt(max(abs(grad(unname(coef(fit))))), 1e-8)
  ours <- obj(unname(coef(fit)))
  expect_lte(ours, obj(th) + 1e-10)
  expect_equal(unname(coef(fit)), unname(th), tolerance = 1e-7)
  fl <- gradglm(y ~ ., data = dat, family = student_t(df = 3), penalty = lasso(tol = 1e-14))
  expect_lt(max(fl$path$kkt), 1e-6)
  expect_true(all(fl$path$df <= d$p))
  sig <- grep("sigma", rownames(coef(fl)))
  expect_true(all(coef(fl)[sig, ] != 0))  # the scale is not penalised
})

test_that("the path object: print, coef and predict at any lambda, plot, and clear errors", {
  fit <- gradglm(mpg ~ ., data = mtcars, penalty = lasso())
  expect_output(print(fit), "%Dev")
  B <- coef(fit)
  expect_equal(dim(B), c(11L, length(fit$path$lambda)))
  lam <- fit$path$lambda
  mid <- (lam[10] + lam[11]) / 2
  expect_equal(coef(fit, lambda = mid), (B[, 10] + B[, 11]) / 2, tolerance = 1e-12)
  expect_equal(coef(fit, lambda = lam[5]), B[, 5])
  P <- predict(fit, newdata = mtcars[1:4, ])
  expect_equal(dim(P), c(4L, length(lam)))
  expect_equal(unname(P[, 7]), unname(drop(cbind(1, as.matrix(mtcars[1:4, -1])) %*% B[, 7])), tolerance = 1e-10)
  expect_equal(unname(predict(fit, lambda = lam[3])), unname(drop(cbind(1, as.matrix(mtcars[, -1])) %*% B[, 3])),
               tolerance = 1e-10)
  pdf(NULL)
  on.exit(dev.off())
  expect_silent(plot(fit, which = "path"))
  expect_silent(plot(fit, xvar = "norm"))
  expect_error(summary(fit), "regularization path")
  expect_error(vcov(fit), "regularization path")
  expect_error(logLik(fit), "regularization path")
  expect_error(residuals(fit), "regularization path")
  expect_error(drop1(fit), "regularization path")
  expect_true(all(diff(fit$path$df) >= -1))
  bf <- gradglm(am ~ ., data = mtcars, family = binomial(), penalty = lasso())
  cl <- predict(bf, newdata = mtcars[1:3, ], lambda = bf$path$lambda[10], type = "class")
  expect_true(all(cl %in% c(0, 1)))
  # glmnet's `s` is matched to se.fit by R: it said "'se.fit' is not available along a regularization path"
  # (coef() left `s` in its dots and gave every lambda's coefficients)
  expect_error(coef(fit, s = lam[5]), "given as 'lambda', not 's'")
  expect_error(predict(fit, newdata = mtcars[1:4, ], s = lam[5]),
               "'se.fit' must be TRUE or FALSE \\(an argument 's', glmnet's name for the lambdas")
})

test_that("a path predicts at its 'lambda' for newdata from a chunked source", {
  fit <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso())
  lam <- fit$path$lambda[c(4, 9)]
  csv <- tempfile(fileext = ".csv")
  on.exit(unlink(csv))
  utils::write.csv(mtcars, csv, row.names = FALSE)
  src <- gradglm_source(csv, chunk_size = 7)
  # (lambda was not passed on: every lambda's column came back)
  p <- predict(fit, newdata = src, lambda = lam)
  expect_equal(unname(as.matrix(p)), unname(predict(fit, newdata = mtcars, lambda = lam)), tolerance = 1e-12)
  p1 <- predict(fit, newdata = src, lambda = lam[2])
  expect_equal(unname(p1), unname(predict(fit, newdata = mtcars, lambda = lam[2])), tolerance = 1e-12)
})

test_that("penalty_factor is per term, and 0 leaves a term unpenalised", {
  fit <- gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(),
                 penalty = lasso(penalty_factor = c(tension = 0)))
  B <- coef(fit)
  expect_true(all(B[c("tensionM", "tensionH"), 1] != 0))
  expect_true(all(B["woolB", 1] == 0))
  expect_error(gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(),
                       penalty = lasso(penalty_factor = c(1, 2, 3))),
               "'penalty_factor' has 3 values but the model has 2 terms")
  expect_error(gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson(),
                       penalty = lasso(penalty_factor = c(speed = 1))),
               "'penalty_factor' names no term")
})

test_that("bad penalty settings give clear errors naming the argument", {
  expect_error(lasso(lambda = -1), "lasso: 'lambda' must be non-negative")
  expect_error(lasso(lambda = c(0.1, 0.2)), "'lambda' must be decreasing")
  expect_error(elastic_net(alpha = 1.5), "elastic_net: 'alpha' must be a single number in \\[0, 1\\]")
  expect_error(ridge(penalty_factor = c(1, -1)), "'penalty_factor' must be non-negative")
  expect_error(lasso(lambda_min_ratio = 2), "'lambda_min_ratio'")
  expect_error(lasso(relax = TRUE), "'relax = TRUE' needs a single 'lambda'")
  expect_error(gradglm(mpg ~ wt, data = mtcars, penalty = "lassoo"), "'penalty' must be NULL or a specification")
  expect_error(gradglm(mpg ~ wt + hp, data = mtcars, penalty = lasso(), optimizer = "adam"),
               "coordinate descent")
  expect_error(gradglm(mpg ~ wt + hp, data = mtcars, penalty = lasso(blocks = "sigma")),
               "'blocks' names no parameter block")
})

test_that("cross-validation of a path: the CV curve of glmnet's fold fits, the 1-SE rule", {
  skip_if_not_installed("glmnet")
  set.seed(7)
  n <- 200
  X <- matrix(rnorm(n * 10), n, 10, dimnames = list(NULL, paste0("x", 1:10)))
  y <- drop(X[, 1:3] %*% c(1, -0.7, 0.4)) + rnorm(n)
  dat <- data.frame(y = y, X)
  folds <- rep_len(1:5, n)
  cv <- cv_gradglm(y ~ ., data = dat, penalty = lasso(tol = 1e-12), foldid = folds, measure = c("mse", "mae"))
  expect_s3_class(cv, "gradglm_cv_path")
  lam <- cv$lambda
  expect_equal(lam, cv$fit$path$lambda)
  # the same curve from glmnet's fits of the folds at the same lambdas
  err <- sapply(1:5, function(k) {
    g <- glmnet::glmnet(X[folds != k, ], y[folds != k], lambda = lam, control = list(thresh = 1e-14))
    colMeans((y[folds == k] - predict(g, X[folds == k, ]))^2)
  })
  expect_equal(unname(cv$cvm[, "mse"]), unname(rowMeans(err)), tolerance = 1e-6)
  expect_equal(unname(cv$cvsd[, "mse"]), unname(apply(err, 1, sd) / sqrt(5)), tolerance = 1e-5)
  i <- which.min(cv$cvm[, "mse"])
  expect_equal(cv$lambda_min, lam[i])
  j <- min(which(cv$cvm[, "mse"] <= cv$cvm[i, "mse"] + cv$cvsd[i, "mse"]))
  expect_equal(cv$lambda_1se, lam[j])
  expect_equal(coef(cv), coef(cv$fit, lambda = cv$lambda_1se))
  expect_equal(coef(cv, s = "lambda_min"), coef(cv$fit, lambda = cv$lambda_min))
  expect_equal(predict(cv, newdata = dat[1:3, ]), predict(cv$fit, newdata = dat[1:3, ], lambda = cv$lambda_1se))
  expect_output(print(cv), "1se")
  pdf(NULL)
  on.exit(dev.off())
  expect_silent(plot(cv))
  # AUC is maximised
  yb <- rbinom(n, 1, plogis(X[, 1]))
  cvb <- cv_gradglm(y ~ ., data = data.frame(y = yb, X), family = binomial(), penalty = lasso(),
                    foldid = folds, measure = "auc")
  expect_equal(cvb$lambda_min, cvb$lambda[which.max(cvb$cvm[, "auc"])])
  expect_error(cv_gradglm(y ~ ., data = dat, penalty = lasso(), nfolds = 2), "'nfolds' must be at least 3")
  expect_error(cv_gradglm(y ~ ., data = dat, penalty = lasso(), foldid = rep(1, n)), "at least 2 folds")
  expect_error(cv_gradglm(y ~ ., data = dat, penalty = lasso(), measure = "auc"), "does not apply")
})

test_that("penalised multinomial, ordinal and sigma models: paths with KKT conditions met", {
  m <- gradglm(Species ~ ., data = iris, family = multinomial(), penalty = lasso(tol = 1e-14, lambda_min_ratio = 0.01))
  expect_lt(max(m$path$kkt), 1e-6)
  expect_equal(nrow(coef(m)), 15L)  # glmnet's symmetric form: a coefficient vector per class
  expect_true(all(coef(m)[-c(1, 6, 11), 1] == 0))
  expect_equal(sum(coef(m)[c(1, 6, 11), 20]), 0)  # intercepts reported summing to zero
  o <- gradglm(Sat ~ Infl + Type + Cont, weights = Freq, data = MASS::housing, family = ordinal(),
               penalty = lasso(tol = 1e-14))
  expect_lt(max(o$path$kkt), 1e-6)
  # the end of the path is close to the unpenalised fit
  ref <- gradglm(Sat ~ Infl + Type + Cont, weights = Freq, data = MASS::housing, family = ordinal())
  expect_equal(tail(o$path$loglik, 1), as.numeric(logLik(ref)), tolerance = 1e-4)
  set.seed(8)
  d <- data.frame(x1 = rnorm(300), x2 = rnorm(300), x3 = rnorm(300))
  d$y <- d$x1 + exp(0.5 * d$x2) * rnorm(300)
  s <- gradglm(y ~ ., data = d, sigma = ~ x2 + x3, penalty = lasso(blocks = c("location", "sigma"), tol = 1e-14))
  expect_lt(max(s$path$kkt), 1e-6)
  expect_true(all(s$path$factor[c("sigma:x2", "sigma:x3")] > 0))
  expect_equal(unname(s$path$factor["sigma:(Intercept)"]), 0)
})

test_that("the group lasso: terms enter together, and equals a proximal-gradient solution", {
  set.seed(11)
  n <- 300
  d <- data.frame(f1 = factor(sample(letters[1:4], n, TRUE)), f2 = factor(sample(LETTERS[1:3], n, TRUE)),
                  x1 = rnorm(n), x2 = rnorm(n))
  d$y <- with(d, 0.8 * (f1 == "b") - 0.5 * (f1 == "d") + x1 + rnorm(n))
  path <- gradglm(y ~ ., data = d, penalty = group_lasso(tol = 1e-14))
  expect_output(print(path), "group lasso")
  B <- coef(path)
  for (ix in list(2:4, 5:6)) {
    expect_true(all(apply(B[ix, , drop = FALSE] != 0, 2, function(z) all(z) || !any(z))))
  }
  expect_lt(max(path$path$kkt), 1e-6)
  # one lambda against FISTA on the same objective, in standardised coordinates
  lam <- 0.05
  fit <- gradglm(y ~ ., data = d, penalty = group_lasso(lambda = lam, tol = 1e-15))
  X <- model.matrix(y ~ ., d)[, -1]
  s <- apply(X, 2, function(v) sqrt(mean((v - mean(v))^2)))
  Z <- scale(X, center = TRUE, scale = s)
  yc <- d$y - mean(d$y)
  groups <- list(1:3, 4:5, 6, 7)
  w <- sqrt(lengths(groups))
  L <- max(eigen(crossprod(Z) / n, symmetric = TRUE, only.values = TRUE)$values)
  u <- v <- numeric(ncol(Z))
  tk <- 1
  for (it in 1:20000) {
    g <- -crossprod(Z, yc - Z %*% v) / n
    z <- v - g / L
    un <- z
    for (k in seq_along(groups)) {
      ix <- groups[[k]]
      nz <- sqrt(sum(z[ix]^2))
      un[ix] <- if (nz > lam * w[k] / L) z[ix] * (1 - lam * w[k] / (L * nz)) else 0
    }
    tn <- (1 + sqrt(1 + 4 * tk^2)) / 2
    v <- un + (tk - 1) / tn * (un - u)
    u <- un
    tk <- tn
  }
  b <- drop(u) / s
  expect_equal(unname(coef(fit)[-1]), unname(b), tolerance = 1e-6)
  expect_equal(unname(coef(fit)[1]), mean(d$y) - sum(colMeans(X) * b), tolerance = 1e-6)
  # a multinomial's term across its classes is one group
  m <- gradglm(Species ~ ., data = iris, family = multinomial(),
               penalty = group_lasso(tol = 1e-14, lambda_min_ratio = 0.01))
  expect_lt(max(m$path$kkt), 1e-6)
  Bm <- coef(m)
  for (v in c("Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width")) {
    rows <- paste0(c("setosa:", "versicolor:", "virginica:"), v)
    expect_true(all(apply(Bm[rows, ] != 0, 2, function(z) all(z) || !any(z))))
  }
  # penalty factors per term
  pf <- gradglm(y ~ ., data = d, penalty = group_lasso(penalty_factor = c(f2 = 0)))
  expect_true(all(coef(pf)[c("f2B", "f2C"), 1] != 0))
})

test_that("odd penalised fits end in a fit or a clear error", {
  set.seed(12)
  n <- 50
  X <- matrix(rnorm(n * 120), n, 120)
  d <- data.frame(y = X[, 1] - X[, 2] + rnorm(n), X)
  # more columns than rows: a path, and a single fit whose support has a covariance
  path <- gradglm(y ~ ., data = d, penalty = lasso())
  expect_true(max(path$path$df) < n)
  one <- gradglm(y ~ ., data = d, penalty = lasso(lambda = 0.2))
  s <- summary(one)
  expect_true(all(is.finite(s$coefficients[, 2])))
  expect_true(nrow(s$coefficients) < n)
  # constant columns beside the intercept stay at 0
  d2 <- data.frame(y = rnorm(30), a = 1, b = rnorm(30), c = 0)
  expect_equal(unname(coef(gradglm(y ~ ., data = d2, penalty = lasso(lambda = 0.01)))[c("a", "c")]), c(0, 0))
  expect_error(gradglm(y ~ 1, data = d2, penalty = lasso()), "the penalty has nothing to act on")
  # a Student-t whose degrees of freedom run to the Gaussian limit along the path
  expect_silent(st <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, family = student_t(), penalty = lasso()))
  expect_true(all(st$path$converged))
  expect_error(evaluate(st, mtcars), "regularization path")
  expect_error(AIC(st), "regularization path")
  expect_error(step(gradglm(mpg ~ wt + hp, data = mtcars, penalty = lasso(lambda = 0.1)), trace = 0),
               "penalised fit cannot be compared")
  expect_error(gradglm(Species ~ ., data = iris, family = multinomial(),
                       penalty = lasso(lambda = 0.01, relax = TRUE)), "'relax = TRUE' is for")
})

test_that("multinomial paths, ungrouped and grouped, equal glmnet's", {
  skip_if_not_installed("glmnet")
  set.seed(13)
  n <- 400
  p <- 6
  X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, paste0("x", 1:p)))
  X[, 2] <- 3 * X[, 2] + 1
  eta <- cbind(0, X[, 1] - X[, 2] / 3, 0.5 * X[, 3] + X[, 1])
  P <- exp(eta) / rowSums(exp(eta))
  y <- factor(apply(P, 1, function(pr) sample(c("a", "b", "c"), 1, prob = pr)))
  d <- data.frame(y = y, X)
  w <- runif(n, 0.5, 2)
  for (type in c("ungrouped", "grouped")) {
    g0 <- glmnet::glmnet(X, y, family = "multinomial", type.multinomial = type, weights = w)
    g <- glmnet::glmnet(X, y, family = "multinomial", type.multinomial = type, weights = w, lambda = g0$lambda,
                        control = list(thresh = 1e-14))
    pen <- if (type == "grouped") group_lasso(lambda = g0$lambda, tol = 1e-16) else
      lasso(lambda = g0$lambda, tol = 1e-14)
    fit <- gradglm(y ~ ., data = d, weights = w, family = multinomial(), penalty = pen)
    G <- do.call(rbind, lapply(levels(y), function(l) as.matrix(coef(g)[[l]])))
    icpt <- c(1, 8, 15)
    G[icpt, ] <- sweep(G[icpt, ], 2, colMeans(G[icpt, ]))  # glmnet's intercepts, centred as ours
    expect_lt(rel_diff(unname(coef(fit)), unname(G)), 1e-5)
    expect_lt(max(fit$path$kkt), 1e-6)
    # df: the variables with a non-zero coefficient in some class, as glmnet's
    # (before: coefficients over all classes, up to 3 times as many)
    expect_equal(fit$path$df, g$df)
    fd <- gradglm(y ~ ., data = d, weights = w, family = multinomial(),
                  penalty = if (type == "grouped") group_lasso() else lasso())
    expect_equal(fd$path$lambda[1], g0$lambda[1], tolerance = 1e-6)
  }
  # predictions of the path are class probabilities
  pr <- predict(fit, newdata = d[1:4, ], lambda = fit$path$lambda[10], type = "probs")
  expect_equal(unname(rowSums(pr)), rep(1, 4))
  expect_equal(colnames(pr), levels(y))
  # a single fit: summary per class, standard errors in the gauge of centred intercepts
  one <- gradglm(y ~ ., data = d, family = multinomial(), penalty = lasso(lambda = 0.02))
  expect_output(print(summary(one)), "set to 0 at this lambda")
  V <- vcov(one, complete = FALSE)
  expect_true(all(is.finite(diag(V))) && all(diag(V) > 0))
  expect_equal(nrow(V), sum(coef(one) != 0))
})

test_that("a multinomial's unpenalised column is reported summing to zero over the classes, as glmnet's", {
  # shifting its coefficients by the same amount in every class changes
  # neither the likelihood nor the penalty: before, they were left where the
  # path's warm starts put them (iris, lambda = 0.02: -7.11, -0.67, 0.04, sum
  # -7.74; glmnet's path below: 0.52 from glmnet's)
  one <- gradglm(Species ~ ., data = iris, family = multinomial(),
                 penalty = lasso(lambda = 0.02, penalty_factor = c(Sepal.Length = 0)))
  b <- coef(one)
  expect_equal(sum(b[grep(":Sepal.Length$", names(b))]), 0, tolerance = 1e-12)
  X <- model.matrix(~ ., iris[, 1:4])
  expect_equal(unname(matrix(one$linear.predictors, ncol = 3)), unname(X %*% matrix(b, ncol = 3)), tolerance = 1e-10)
  expect_true(all(is.finite(sqrt(diag(vcov(one, complete = FALSE))))))
  skip_if_not_installed("glmnet")
  set.seed(17)
  n <- 150
  X <- matrix(rnorm(n * 4), n, 4, dimnames = list(NULL, paste0("x", 1:4)))
  y <- factor(ifelse(X[, 1] + rnorm(n) > 0.5, "a", sample(c("b", "c"), n, TRUE)))
  pf <- c(0, 1, 1, 1)
  g0 <- glmnet::glmnet(X, y, family = "multinomial", penalty.factor = pf)
  g <- glmnet::glmnet(X, y, family = "multinomial", penalty.factor = pf, lambda = g0$lambda,
                      control = list(thresh = 1e-14))
  fit <- gradglm(y ~ ., data = data.frame(y = y, X), family = multinomial(),
                 penalty = lasso(lambda = g0$lambda, penalty_factor = c(x1 = 0), tol = 1e-14))
  G <- do.call(rbind, lapply(levels(y), function(l) as.matrix(coef(g)[[l]])))
  icpt <- c(1, 6, 11)
  G[icpt, ] <- sweep(G[icpt, ], 2, colMeans(G[icpt, ]))
  expect_lt(rel_diff(unname(coef(fit)), unname(G)), 1e-5)
})

test_that("one lambda by proximal gradient descent and proximal Adam", {
  set.seed(14)
  n <- 400
  X <- matrix(rnorm(n * 6), n, 6, dimnames = list(NULL, paste0("x", 1:6)))
  d <- data.frame(y = rbinom(n, 1, plogis(X[, 1] - 0.5 * X[, 2])), X)
  for (pen in list(lasso(lambda = 0.02, tol = 1e-13), elastic_net(0.4, lambda = 0.03, tol = 1e-13))) {
    cd <- gradglm(y ~ ., data = d, family = binomial(), penalty = pen)
    gd <- gradglm(y ~ ., data = d, family = binomial(), penalty = pen, optimizer = "gd",
                  control = gradglm_control(max_iter = 20000, tol = 1e-10))
    expect_equal(gd$optimizer, "gd")
    expect_true(gd$converged)
    expect_equal(coef(gd), coef(cd), tolerance = 1e-6)
    expect_equal(coef(gd) == 0, coef(cd) == 0)
    expect_lt(gd$penalty$kkt, 1e-6)
    expect_equal(gd$penalty$objective, cd$penalty$objective, tolerance = 1e-10)
  }
  set.seed(15)
  # (a KKT violation of half of lambda is said in a warning; before, only penalty$kkt told)
  expect_warning(ad <- gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(lambda = 0.02),
                               optimizer = opt_adam(max_epochs = 300, learning_rate = 0.01)),
                 "the adam fit stopped away from the penalised optimum: its largest violation of the KKT conditions")
  ad2 <- gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(lambda = 0.02), optimizer = "adam")
  expect_lt(ad2$penalty$kkt, 0.1 * 0.02)
  expect_warning(gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(lambda = 0.02), optimizer = "sgd"),
                 "the sgd fit stopped away from the penalised optimum")
  cd1 <- gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(lambda = 0.02, tol = 1e-13))
  expect_lt(ad$penalty$objective - cd1$penalty$objective, 1e-4)
  # a Student-t lasso by proximal gradient descent
  t1 <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, family = student_t(df = 4),
                penalty = lasso(lambda = 0.05, tol = 1e-13))
  t2 <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, family = student_t(df = 4),
                penalty = lasso(lambda = 0.05), optimizer = "gd", control = gradglm_control(max_iter = 50000, tol = 1e-10))
  expect_equal(coef(t2), coef(t1), tolerance = 1e-6)
  expect_error(gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(), optimizer = "adam"),
               "fits one lambda")
  expect_error(gradglm(y ~ ., data = d, family = binomial(), penalty = group_lasso(lambda = 0.1), optimizer = "gd"),
               "fits one lambda")
  expect_error(gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(lambda = 0.1), optimizer = "lbfgs"),
               "does not take a penalty")
})

test_that("penalised Laplace fits (exact lasso, ridge and elastic net) and a sweep limit reported", {
  set.seed(3)
  n <- 150
  X <- matrix(rnorm(n * 4), n, 4)
  y <- drop(X %*% c(1, -1, 0, 0)) + rexp(n) - rexp(n)
  d <- data.frame(y = y, X)
  s <- apply(X, 2, function(v) sqrt(mean((v - mean(v))^2)))
  # the best of 20 restarts of Nelder-Mead from least squares
  nelder_mead <- function(f) {
    th <- c(coef(lm(y ~ X)), 0)
    best <- Inf
    for (k in 1:20) {
      o <- optim(th, f, method = "Nelder-Mead", control = list(maxit = 20000, reltol = 1e-16))
      th <- o$par
      best <- min(best, o$value)
    }
    best
  }
  # ridge and elastic net: exact (an active set of rows fitted exactly,
  # certified), so no worse than Nelder-Mead at its best (measured: 1e-9 to
  # 2.5e-7 below it)
  for (alpha in c(0, 0.5)) {
    lam <- 0.05
    obj <- function(th) {
      r <- y - cbind(1, X) %*% th[1:5]
      b <- s * th[2:5]
      mean(abs(r) / exp(th[6]) + th[6] + log(2)) + lam * (alpha * sum(abs(b)) + (1 - alpha) / 2 * sum(b^2))
    }
    fit <- gradglm(y ~ ., data = d, family = laplace(), penalty = elastic_net(alpha, lambda = lam))
    expect_true(fit$converged)
    expect_lte(obj(unname(coef(fit))), nelder_mead(obj) + 1e-12)
    # an exact solution fits some rows exactly (at most one per coefficient)
    zero <- sum(abs(y - cbind(1, X) %*% coef(fit)[1:5]) < 1e-9)
    expect_gte(zero, 1)
    expect_lte(zero, 5)
  }
  # a whole path, each solution certified (reported without a gradient KKT
  # measure: |r| has none at the rows fitted exactly)
  p0 <- gradglm(y ~ ., data = d, family = laplace(), penalty = elastic_net(0.5))
  expect_true(all(p0$path$converged))
  expect_true(all(is.na(p0$path$kkt)))
  # weights and a sigma model, against Nelder-Mead started from the fit and from least squares
  w <- runif(n, 0.5, 2)
  y2 <- drop(X[, 1:2] %*% c(1, -1)) + exp(0.5 * X[, 1]) * (rexp(n) - rexp(n))
  d2 <- data.frame(y = y2, X, w = w)
  sw <- apply(X[, 1:3], 2, function(v) sqrt(sum(w * (v - weighted.mean(v, w))^2) / sum(w)))
  hf <- gradglm(y ~ X1 + X2 + X3, sigma = ~ X1, data = d2, weights = w, family = laplace(),
                penalty = elastic_net(0.3, lambda = 0.1))
  obj2 <- function(th) {
    r <- y2 - cbind(1, X[, 1:3]) %*% th[1:4]
    ls <- th[5] + th[6] * X[, 1]
    b <- sw * th[2:4]
    sum(w * (abs(r) / exp(ls) + ls + log(2))) / sum(w) + 0.1 * (0.3 * sum(abs(b)) + 0.35 * sum(b^2))
  }
  for (th in list(unname(coef(hf)), c(coef(lm(y2 ~ X[, 1:3])), 0, 0))) {
    best <- Inf
    for (k in 1:20) {
      o <- optim(th, obj2, method = "Nelder-Mead", control = list(maxit = 20000, reltol = 1e-16))
      th <- o$par
      best <- min(best, o$value)
    }
    expect_lte(obj2(unname(coef(hf))), best + 1e-12)
  }
  # the lasso: exact (weighted LAD with penalty rows), no worse than Nelder-Mead
  lam <- 0.1
  obj1 <- function(th) {
    r <- y - cbind(1, X) %*% th[1:5]
    mean(abs(r) / exp(th[6]) + th[6] + log(2)) + lam * sum(abs(s * th[2:5]))
  }
  las <- gradglm(y ~ ., data = d, family = laplace(), penalty = lasso(lambda = lam))
  best1 <- nelder_mead(obj1)
  expect_lte(obj1(unname(coef(las))), best1 + 1e-12)
  expect_equal(unname(coef(las)[4]), 0)
  path <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, family = laplace(), penalty = lasso())
  expect_true(all(path$path$converged))
  expect_equal(length(path$path$lambda), 100L)
  expect_warning(f <- gradglm(am ~ ., data = mtcars, family = binomial(), penalty = lasso(lambda = 0.01, max_sweeps = 3)),
                 "coordinate descent did not converge")
  expect_false(f$converged)
})

test_that("a path on a response the null model fits exactly is refused, as glmnet refuses it", {
  # (before: five lambdas near 3e-9, each explaining -Inf of the null deviance)
  set.seed(1)
  d <- data.frame(x1 = rnorm(50), x2 = rnorm(50), y = 0, yg = 3)
  msg <- "the model without predictors fits the response exactly \\(null deviance 0"
  expect_error(gradglm(y ~ x1 + x2, data = d, family = binomial(), penalty = lasso()), msg)
  expect_error(gradglm(yg ~ x1 + x2, data = d, penalty = lasso()), msg)
  # (a single lambda is still a fit: every slope 0)
  f <- gradglm(y ~ x1 + x2, data = d, family = binomial(), penalty = lasso(0.1))
  expect_equal(unname(coef(f)[-1]), c(0, 0))
})
