# cv_gradglm() and cv_compare(): folds, reproducibility, agreement with
# cross-validation by hand, identical folds across models, stratification,
# and errors.

bw <- MASS::birthwt
bw$race <- factor(bw$race)

test_that("folds partition the rows, with sizes differing by at most one", {
  set.seed(101)
  cv <- cv_gradglm(dist ~ speed, data = cars, nfolds = 7)
  expect_s3_class(cv, "gradglm_cv")
  expect_length(cv$foldid, nrow(cars))
  expect_false(anyNA(cv$foldid))
  expect_setequal(cv$foldid, 1:7)
  sizes <- tabulate(cv$foldid, 7)
  expect_lte(max(sizes) - min(sizes), 1L)
  expect_equal(cv$folds$fold, 1:7)
  expect_equal(cv$folds$nobs, sizes)
  expect_equal(sum(cv$folds$nobs), nrow(cars))
  expect_equal(cv$nfolds, 7L)
  expect_named(cv$summary, c("measure", "mean", "se", "folds"))
  expect_equal(cv$summary$measure, c("nll", "mean_deviance", "mse", "mae"))
  # mean and sd / sqrt(nfolds) of the per-fold values
  expect_equal(cv$summary$mean[3], mean(cv$folds$mse))
  expect_equal(cv$summary$se[3], sd(cv$folds$mse) / sqrt(7))
  # the fit on all rows, with a readable call
  expect_s3_class(cv$fit, "gradglm")
  expect_equal(coef(cv$fit), coef(lm(dist ~ speed, cars)), tolerance = 1e-10)
  expect_identical(cv$fit$call, quote(gradglm(formula = dist ~ speed, data = cars)))
  expect_output(print(cv), "7-fold cross-validation")
})

test_that("the same seed gives the same folds and results; another seed other folds", {
  set.seed(7)
  a <- cv_gradglm(low ~ age + lwt, data = bw, family = binomial(), nfolds = 5)
  set.seed(7)
  b <- cv_gradglm(low ~ age + lwt, data = bw, family = binomial(), nfolds = 5)
  set.seed(8)
  d <- cv_gradglm(low ~ age + lwt, data = bw, family = binomial(), nfolds = 5)
  expect_identical(a$foldid, b$foldid)
  expect_identical(a$folds, b$folds)
  expect_identical(a$summary, b$summary)
  expect_false(identical(a$foldid, d$foldid))
})

test_that("held-out mean deviance of a gaussian model is the PRESS of lm() on the same folds", {
  set.seed(3)
  cv <- cv_gradglm(dist ~ speed + I(speed^2), data = cars, nfolds = 6)  # unequal folds
  press <- nll <- numeric(6)
  for (k in 1:6) {
    train <- cars[cv$foldid != k, ]
    test <- cars[cv$foldid == k, ]
    m <- lm(dist ~ speed + I(speed^2), data = train)
    r <- test$dist - predict(m, test)
    press[k] <- mean(r^2)
    s_ml <- sqrt(mean(residuals(m)^2))
    nll[k] <- -mean(dnorm(r, 0, s_ml, log = TRUE))
  }
  expect_equal(cv$folds$mean_deviance, press, tolerance = 1e-8)
  expect_lt(abs(cv$summary$mean[cv$summary$measure == "mean_deviance"] - mean(press)), 1e-8)
  expect_lt(abs(cv$summary$mean[cv$summary$measure == "mse"] - mean(press)), 1e-8)
  expect_lt(abs(cv$summary$mean[cv$summary$measure == "nll"] - mean(nll)), 1e-8)
  # with folds of equal size, the mean over folds is PRESS / n
  cv5 <- cv_gradglm(dist ~ speed, data = cars, foldid = rep(1:5, 10))
  loo_press <- sum(vapply(1:5, function(k) {
    m <- lm(dist ~ speed, data = cars[rep(1:5, 10) != k, ])
    sum((cars$dist - predict(m, cars))[rep(1:5, 10) == k]^2)
  }, 0))
  expect_lt(abs(cv5$summary$mean[2] - loo_press / 50), 1e-8)
})

test_that("a weighted fit takes the weights of the held-out rows", {
  d <- cars
  d$w <- rep(c(1, 2, 3), length.out = nrow(d))
  cv <- cv_gradglm(dist ~ speed, data = d, weights = w, foldid = rep(1:4, length.out = 50))
  k <- 2
  fid <- rep(1:4, length.out = 50)
  m <- lm(dist ~ speed, data = d[fid != k, ], weights = w)
  te <- d[fid == k, ]
  expect_equal(cv$folds$mean_deviance[k], sum(te$w * (te$dist - predict(m, te))^2) / sum(te$w),
               tolerance = 1e-10)
})

test_that("cv_compare uses the same folds for every model", {
  set.seed(21)
  fit <- gradglm(low ~ age + lwt + smoke, data = bw, family = binomial())
  cmp <- cv_compare(fitted = fit,
                    listed = list(formula = low ~ age + lwt + smoke, family = binomial()),
                    data = bw, nfolds = 5)
  expect_s3_class(cmp, "gradglm_cv_comparison")
  a <- cmp$folds[cmp$folds$model == "fitted", -1]
  b <- cmp$folds[cmp$folds$model == "listed", -1]
  rownames(a) <- rownames(b) <- NULL
  expect_equal(a, b, tolerance = 1e-12)
  expect_equal(cmp$table$model, c("fitted", "listed"))
  expect_identical(cmp$fits$fitted$call, fit$call)
  expect_identical(cmp$fits$listed$call,
                   quote(gradglm(formula = low ~ age + lwt + smoke, family = binomial(), data = bw)))
  expect_equal(coef(cmp$fits$listed), coef(fit), tolerance = 1e-10)
  expect_equal(cmp$table$nll[1], cmp$table$nll[2], tolerance = 1e-12)
  expect_equal(cmp$table$nll_se[1], sd(a$nll) / sqrt(5), tolerance = 1e-12)
  expect_true(all(c("nll", "nll_se", "mean_deviance", "class", "auc", "auc_se", "brier") %in%
                    names(cmp$table)))
  # the same folds as cv_gradglm() with that foldid
  cv <- cv_gradglm(low ~ age + lwt + smoke, data = bw, family = binomial(), foldid = cmp$foldid)
  expect_equal(cv$folds$nll, a$nll, tolerance = 1e-12)
  # different models, same held-out rows
  cmp2 <- cv_compare(logit = list(formula = low ~ age + lwt, family = binomial()),
                     probit = list(formula = low ~ age + lwt, family = binomial(link = "probit")),
                     data = bw, foldid = cmp$foldid)
  expect_equal(cmp2$folds$nobs[cmp2$folds$model == "logit"],
               cmp2$folds$nobs[cmp2$folds$model == "probit"])
  expect_output(print(cmp2), "Lowest mean negative log-likelihood")
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(cmp2, measure = "auc"))
  expect_error(plot(cmp2, measure = "mse"), "'measure' must be one of")
})

test_that("cv_compare takes weights by name and models of different families", {
  d <- cars
  d$w <- rep(1:2, 25)
  cmp <- cv_compare(gauss = list(formula = dist ~ speed, weights = "w"),
                    laplace = list(formula = dist ~ speed, family = laplace(), weights = ~ w),
                    data = d, foldid = rep(1:5, 10))
  cv <- cv_gradglm(dist ~ speed, data = d, weights = w, foldid = rep(1:5, 10))
  expect_equal(cmp$folds$mse[cmp$folds$model == "gauss"], cv$folds$mse, tolerance = 1e-12)
  expect_true(all(is.finite(cmp$table$mae)))
  expect_error(cv_compare(a = list(formula = dist ~ speed, weights = d$w), data = d, nfolds = 5),
               "'weights' of model 'a' must name a variable")
  # models of different responses (before: a table of measures that do not compare)
  expect_error(cv_compare(a = list(formula = dist ~ speed), b = list(formula = speed ~ dist), data = d, nfolds = 5),
               "the models have different responses \\('dist', 'speed'\\)")
})

test_that("folds are stratified by class for categorical responses", {
  fgl <- MASS::fgl  # classes of 70, 76, 17, 13, 9 and 29 rows
  set.seed(5)
  cv <- cv_gradglm(type ~ Na + Mg, data = fgl, family = multinomial(), nfolds = 5)
  expect_true(cv$stratified)
  tab <- table(cv$foldid, fgl$type)
  expect_true(all(tab > 0))
  # each class is spread as evenly as it can be
  expect_true(all(apply(tab, 2, function(v) max(v) - min(v)) <= 1))
  # a class with fewer rows than folds lands in as many folds as it has rows
  set.seed(6)
  cv10 <- cv_gradglm(type ~ Na, data = fgl, family = multinomial(), nfolds = 10)
  expect_equal(sum(table(cv10$foldid, fgl$type)[, "Head"] > 0), 10L)
  expect_equal(sum(table(cv10$foldid, fgl$type)[, "Tabl"] > 0), 9L)
  # binomial 0/1: both classes in every fold, balanced
  set.seed(7)
  cvb <- cv_gradglm(low ~ lwt, data = bw, family = binomial(), nfolds = 10)
  tb <- table(cvb$foldid, bw$low)
  expect_true(all(apply(tb, 2, function(v) max(v) - min(v)) <= 1))
  expect_true(all(is.finite(cvb$folds$auc)))
  # a numeric response is not stratified
  expect_false(cv_gradglm(dist ~ speed, data = cars, nfolds = 5)$stratified)
})

test_that("warnings of the fold fits come as one warning saying where", {
  set.seed(4)
  msgs <- capture_warnings(cv_gradglm(low ~ age, data = bw, family = binomial(), nfolds = 3,
                                      optimizer = "gd", max_iter = 2))
  fold_msgs <- grep("^cv_gradglm: warnings in the fits on the folds", msgs, value = TRUE)
  expect_length(fold_msgs, 1L)
  expect_match(fold_msgs, "did not converge .*\\[fold 1, fold 2, fold 3\\]")
})

test_that("a fold the model predicts infinitely badly counts in the mean", {
  set.seed(1)
  d <- data.frame(x = rnorm(50))
  d$y <- rpois(50, exp(1 + 0.3 * d$x))
  d$y[7] <- d$y[7] + 0.5  # (a count of probability 0)
  cv <- suppressWarnings(cv_gradglm(y ~ x, data = d, family = poisson(), foldid = rep(1:5, 10)))
  expect_identical(cv$folds$nll[2], Inf)
  expect_identical(cv$summary$mean[cv$summary$measure == "nll"], Inf)
  expect_identical(cv$summary$folds[cv$summary$measure == "nll"], 5L)
  expect_true(all(is.finite(cv$summary$mean[cv$summary$measure %in% c("mse", "mae")])))
})

test_that("rows dropped by subset or missing values are left out of the folds", {
  d <- cars
  d$speed[c(2, 9)] <- NA
  set.seed(9)
  cv <- cv_gradglm(dist ~ speed, data = d, subset = dist > 5, nfolds = 4)
  used <- !is.na(d$speed) & d$dist > 5
  expect_equal(!is.na(cv$foldid), used)
  expect_equal(sum(cv$folds$nobs), sum(used))
  # the foldid of the result can be reused
  cv2 <- cv_gradglm(dist ~ speed, data = d, subset = dist > 5, foldid = cv$foldid)
  expect_equal(cv2$folds, cv$folds)
})

test_that("bad input: clear errors naming the argument", {
  expect_error(cv_gradglm(dist ~ speed, data = cars, nfolds = 2),
               "cv_gradglm: 'nfolds' must be at least 3")
  expect_error(cv_gradglm(dist ~ speed, data = cars, nfolds = 51), "'nfolds' \\(51\\) is larger")
  expect_error(cv_gradglm(dist ~ speed, data = cars, nfolds = 4.5),
               "'nfolds' must be a single whole")
  expect_error(cv_gradglm(dist ~ speed, data = cars, foldid = rep(1, 50)),
               "'foldid' puts every row in a single fold")
  expect_error(cv_gradglm(dist ~ speed, data = cars, foldid = rep(1:5, 4)),
               "'foldid' has length 20 but 'data' has 50 rows")
  expect_error(cv_gradglm(dist ~ speed, data = cars, measure = "auc"),
               "cv_gradglm: 'measure' 'auc' does not apply")
  expect_error(cv_gradglm(type ~ Na, data = MASS::fgl, family = multinomial(), measure = "auc"),
               "'measure' 'auc' does not apply")
  expect_error(cv_gradglm(dist ~ speed, data = cars, measure = "rsq"), "unknown 'measure' 'rsq'")
  # a misspelt argument of its own (before: "model 'model' could not be fitted ...: gradglm_control:
  # unknown setting(s) 'folds'")
  expect_error(cv_gradglm(dist ~ speed, data = cars, folds = 5), "unknown argument 'folds': did you mean 'nfolds'\\?")
  expect_error(cv_gradglm(dist ~ speed, data = cars, foldids = rep(1:5, 10)), "did you mean 'foldid'")
  # (gradglm()'s own arguments pass)
  w <- cv_gradglm(dist ~ speed, data = cars, weights = speed, nfolds = 5)
  expect_s3_class(w, "gradglm_cv")
  expect_error(cv_gradglm(dist ~ speed, data = as.list(cars)), "'data' must be a data frame")
  expect_error(cv_gradglm(dist ~ speed), "'data' is missing")
  expect_error(cv_gradglm(1, data = cars), "'formula' must be a model formula")
  # (a string is read as a formula, as glm() reads it)
  expect_equal(cv_gradglm("dist ~ speed", data = cars, foldid = rep(1:5, 10))$summary,
               cv_gradglm(dist ~ speed, data = cars, foldid = rep(1:5, 10))$summary)
  expect_error(cv_gradglm(dist ~ speed, data = cars, penalty = "lassoo"),
               "'penalty' must be NULL or a specification")
  wts <- runif(50)
  expect_error(cv_gradglm(dist ~ speed, data = cars, weights = wts, nfolds = 5),
               "'weights' \\(wts\\) must be a variable of 'data'")
  expect_error(cv_compare(nfolds = 5), "cv_compare: no models")
  expect_error(cv_compare(a = list(formula = dist ~ speed), data = cars, nfolds = 1),
               "cv_compare: 'nfolds' must be at least 3")
  expect_error(cv_compare(a = list(formula = dist ~ speed), data = cars, foldid = 1:3),
               "cv_compare: 'foldid' has length 3")
  expect_error(cv_compare(a = list(formula = dist ~ speed), data = cars, foldid = rep(2, 50)),
               "'foldid' puts every row in a single fold")
  expect_error(cv_compare(a = list(formula = dist ~ speed),
                          b = list(formula = dist ~ speed, family = laplace()),
                          data = cars, nfolds = 5, measure = "brier"),
               "cv_compare: 'measure' 'brier' does not apply to model 'a'")
  expect_error(cv_compare(a = list(formula = dist ~ speed), data = cars, measure = "x"),
               "unknown 'measure' 'x'")
  expect_error(cv_compare(a = list(formula = dist ~ speed), nfolds = 5), "model 'a' has no data")
  expect_error(cv_compare(a = list(formula = dist ~ speed, data = cars),
                          b = list(formula = mpg ~ wt, data = mtcars), nfolds = 5),
               "the models are fitted to different data")
  expect_error(cv_compare(a = "dist ~ speed", data = cars), "model 'a' must be a list")
  expect_error(cv_compare(a = list(family = gaussian()), data = cars),
               "model 'a' needs a 'formula'")
  # a regularization path: refused before any fit
  d <- data.frame(x1 = rnorm(40), x2 = rnorm(40), y = rnorm(40))
  expect_error(cv_compare(l = list(formula = y ~ x1 + x2, penalty = lasso()), data = d, nfolds = 5),
               "model 'l' is a regularization path")
  expect_error(cv_compare(l = gradglm(y ~ x1 + x2, data = d, penalty = "ridge"), data = d, nfolds = 5),
               "model 'l' is a regularization path")
})

test_that("parallel = TRUE gives the folds of parallel = FALSE, on background sessions and forks", {
  skip_on_cran()
  skip_if_not_installed("future.apply")
  old_plan <- future::plan()
  on.exit(future::plan(old_plan), add = TRUE)
  set.seed(11)
  n <- 25000  # a fit this large runs its passes on OpenMP threads in this session first
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), x3 = rnorm(n))
  d$y <- rbinom(n, 1, plogis(0.5 * d$x1 - d$x2))
  fit <- gradglm(y ~ ., data = d, family = binomial())
  seq_cv <- cv_gradglm(y ~ ., data = d, family = binomial(), nfolds = 4)
  seq_path <- cv_gradglm(y ~ ., data = d, family = binomial(), foldid = seq_cv$foldid,
                         penalty = lasso(nlambda = 20))
  for (pl in c("multisession", "multicore")) {
    future::plan(pl, workers = 2)
    par_cv <- cv_gradglm(y ~ ., data = d, family = binomial(), foldid = seq_cv$foldid,
                         parallel = TRUE)
    expect_equal(par_cv$folds, seq_cv$folds, tolerance = 1e-12)
    expect_equal(coef(par_cv$fit), coef(fit), tolerance = 1e-12)
    par_path <- cv_gradglm(y ~ ., data = d, family = binomial(), foldid = seq_cv$foldid,
                           penalty = lasso(nlambda = 20), parallel = TRUE)
    expect_equal(par_path$cvm, seq_path$cvm, tolerance = 1e-10)
    expect_identical(par_path$lambda_1se, seq_path$lambda_1se)
  }
  cmp <- function(par) {  # two sgd epochs: not converged, which is not the point here
    suppressWarnings(cv_compare(small = list(formula = y ~ x1, family = binomial()),
               big = list(formula = y ~ x1 + x2, family = binomial(), optimizer = opt_sgd(max_epochs = 2)),
               data = d, foldid = seq_cv$foldid, parallel = par))
  }
  future::plan("multisession", workers = 2)
  set.seed(5)
  a <- cmp(TRUE)
  set.seed(5)
  b <- cmp(TRUE)  # one random-number stream per fold: reproducible
  expect_identical(a$folds, b$folds)
  c0 <- cmp(FALSE)
  expect_equal(a$folds[a$folds$model == "small", ], c0$folds[c0$folds$model == "small", ],
               tolerance = 1e-12)
  # an error in a fold on a worker reaches the caller with its message
  d$g <- factor(ifelse(seq_len(n) == 1L, "z", c("a", "b")[1L + seq_len(n) %% 2L]))
  fid <- rep_len(1:3, n)
  expect_error(suppressMessages(
    cv_gradglm(y ~ x1 + g, data = d, family = binomial(), foldid = fid, parallel = TRUE)),
    "fold 1: the model could not be evaluated on the held-out rows")
})

test_that("parallel must be TRUE or FALSE", {
  expect_error(cv_gradglm(dist ~ speed, data = cars, parallel = "yes"),
               "cv_gradglm: 'parallel' must be TRUE or FALSE")
  expect_error(cv_compare(a = list(formula = dist ~ speed), data = cars, parallel = NA),
               "cv_compare: 'parallel' must be TRUE or FALSE")
})
