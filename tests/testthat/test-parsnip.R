# The "gradglm" engine of parsnip: fits and predictions equal gradglm()'s own,
# and a tidymodels resampling and tuning run end to end.

test_that("fit_gradglm_engine() maps tidymodels' arguments to gradglm()'s", {
  direct <- gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = elastic_net(alpha = 0.5, lambda = 0.1))
  via <- fit_gradglm_engine(mpg ~ wt + hp + qsec, data = mtcars, penalty = 0.1, mixture = 0.5)
  expect_equal(coef(via), coef(direct), tolerance = 1e-12)
  # mixture defaults to 1 (the lasso), as parsnip's; penalty 0 or NULL is no penalty
  expect_equal(coef(fit_gradglm_engine(mpg ~ wt + hp, data = mtcars, penalty = 0.2)),
               coef(gradglm(mpg ~ wt + hp, data = mtcars, penalty = lasso(lambda = 0.2))), tolerance = 1e-12)
  expect_equal(coef(fit_gradglm_engine(mpg ~ wt + hp, data = mtcars, penalty = 0)),
               coef(glm(mpg ~ wt + hp, data = mtcars)), tolerance = 1e-8)
  expect_error(fit_gradglm_engine(mpg ~ wt, data = mtcars, penalty = -1), "'penalty' must be one number")
  expect_error(fit_gradglm_engine(mpg ~ wt, data = mtcars, penalty = 0.1, mixture = 2), "'mixture' must be between")
  expect_error(fit_gradglm_engine(mpg ~ wt, data = mtcars, hidden_units = 4, penalty = 0.1, mixture = 0.5),
               "weight decay")
  # a network: units, activation ("linear" is "identity"), epochs and learning rate
  set.seed(3)
  net <- suppressWarnings(fit_gradglm_engine(mpg ~ wt + hp, data = mtcars, hidden_units = 3, activation = "linear",
                                             epochs = 20, learn_rate = 0.05, penalty = 0.01))
  set.seed(3)
  same <- suppressWarnings(gradglm(mpg ~ wt + hp, data = mtcars, model = mlp(3, activation = "identity"),
                                   optimizer = opt_adam(max_epochs = 20, learning_rate = 0.05),
                                   penalty = ridge(lambda = 0.01)))
  expect_equal(coef(net), coef(same))
  expect_equal(net$iter, 20L)
})

test_that("logistic_reg(), linear_reg() and multinom_reg() with engine \"gradglm\" equal gradglm()", {
  skip_if_not_installed("parsnip")
  skip_if_not_installed("MASS")
  train <- MASS::Pima.tr
  test <- MASS::Pima.te
  f <- parsnip::fit(parsnip::set_engine(parsnip::logistic_reg(), "gradglm"), type ~ glu + bmi + age, data = train)
  direct <- gradglm(type ~ glu + bmi + age, data = train, family = binomial())
  expect_s3_class(f$fit, "gradglm")
  expect_equal(coef(f$fit), coef(direct), tolerance = 1e-12)
  p <- predict(f, test, type = "prob")
  expect_named(p, c(".pred_No", ".pred_Yes"))
  expect_equal(p$.pred_Yes, unname(predict(direct, test, type = "response")), tolerance = 1e-12)
  expect_equal(p$.pred_No + p$.pred_Yes, rep(1, nrow(test)))
  cls <- predict(f, test)$.pred_class
  expect_identical(levels(cls), levels(train$type))
  expect_identical(as.character(cls), ifelse(p$.pred_Yes >= 0.5, "Yes", "No"))

  # the elastic net, also against glmnet's engine where glmnet is installed
  spec <- parsnip::set_engine(parsnip::linear_reg(penalty = 0.1, mixture = 0.5), "gradglm")
  lr <- parsnip::fit(spec, mpg ~ ., data = mtcars)
  expect_equal(coef(lr$fit), coef(gradglm(mpg ~ ., data = mtcars, penalty = elastic_net(alpha = 0.5, lambda = 0.1))),
               tolerance = 1e-12)
  expect_equal(predict(lr, mtcars)$.pred, unname(predict(lr$fit, mtcars, type = "response")), tolerance = 1e-12)

  # (setosa is nearly separated by the sepals: both fits warn so)
  mn <- suppressWarnings(parsnip::fit(parsnip::set_engine(parsnip::multinom_reg(), "gradglm"),
                                      Species ~ Sepal.Length + Sepal.Width, data = iris))
  direct_mn <- suppressWarnings(gradglm(Species ~ Sepal.Length + Sepal.Width, data = iris, family = multinomial()))
  pm <- predict(mn, iris, type = "prob")
  expect_named(pm, paste0(".pred_", levels(iris$Species)))
  expect_equal(unname(as.matrix(pm)), unname(predict(direct_mn, iris, type = "probs")), tolerance = 1e-12)
  expect_identical(predict(mn, iris)$.pred_class, unname(predict(direct_mn, iris, type = "class")))
})

test_that("mlp() with engine \"gradglm\" trains the package's network, reproducibly", {
  skip_if_not_installed("parsnip")
  spec <- parsnip::set_mode(parsnip::set_engine(parsnip::mlp(hidden_units = 6, epochs = 30, learn_rate = 0.02),
                                                "gradglm"), "classification")
  set.seed(7)
  f <- suppressWarnings(parsnip::fit(spec, Species ~ ., data = iris))
  set.seed(7)
  direct <- suppressWarnings(gradglm(Species ~ ., data = iris, family = multinomial(), model = mlp(6),
                                     optimizer = opt_adam(max_epochs = 30, learning_rate = 0.02)))
  expect_equal(coef(f$fit), coef(direct))
  p <- predict(f, iris, type = "prob")
  expect_equal(unname(as.matrix(p)), unname(predict(direct, iris, type = "probs")), tolerance = 1e-12)
  reg <- parsnip::set_mode(parsnip::set_engine(parsnip::mlp(hidden_units = 4, epochs = 10), "gradglm"), "regression")
  set.seed(8)
  fr <- suppressWarnings(parsnip::fit(reg, mpg ~ wt + hp, data = mtcars))
  expect_equal(fr$fit$iter, 10L)
  expect_equal(nrow(predict(fr, mtcars)), nrow(mtcars))
})

test_that("a tidymodels workflow resamples and tunes the penalty with the gradglm engine", {
  # (tune's packages ask the system for its time zone when they load, unless TZ is set)
  if (!nzchar(Sys.getenv("TZ"))) withr::local_envvar(TZ = "UTC")
  skip_if_not_installed("parsnip")
  skip_if_not_installed("tune")
  skip_if_not_installed("rsample")
  skip_if_not_installed("yardstick")
  skip_if_not_installed("workflows")
  skip_if_not_installed("MASS")
  d <- MASS::Pima.tr
  set.seed(11)
  folds <- rsample::vfold_cv(d, v = 5)
  spec <- parsnip::set_engine(parsnip::logistic_reg(), "gradglm")
  res <- tune::fit_resamples(spec, type ~ glu + bmi + ped + age, resamples = folds,
                             control = tune::control_resamples(save_pred = TRUE))
  metrics <- tune::collect_metrics(res)
  expect_true(all(c("accuracy", "roc_auc") %in% metrics$.metric))
  expect_equal(unique(metrics$n), 5L)
  # the held-out predictions of the first fold are those of gradglm() fitted to its analysis set
  preds <- tune::collect_predictions(res)
  split <- folds$splits[[1]]
  direct <- gradglm(type ~ glu + bmi + ped + age, data = rsample::analysis(split), family = binomial())
  held <- rsample::assessment(split)
  got <- preds[preds$id == folds$id[1], ]
  got <- got[order(got$.row), ]
  expect_equal(got$.pred_Yes, unname(predict(direct, held[order(as.integer(rownames(held))), ],
                                             type = "response")), tolerance = 1e-10)
  acc <- mean(ifelse(got$.pred_Yes > 0.5, "Yes", "No") == as.character(got$type))
  per_fold <- tune::collect_metrics(res, summarize = FALSE)
  expect_equal(per_fold$.estimate[per_fold$id == folds$id[1] & per_fold$.metric == "accuracy"], acc)

  # tuning the penalty over a grid of three values
  tuned_spec <- parsnip::set_engine(parsnip::logistic_reg(penalty = tune::tune(), mixture = 1), "gradglm")
  grid <- data.frame(penalty = c(1e-4, 1e-2, 0.1))
  tuned <- tune::tune_grid(tuned_spec, type ~ glu + bmi + ped + age, resamples = folds, grid = grid)
  tm <- tune::collect_metrics(tuned)
  expect_setequal(unique(tm$penalty), grid$penalty)
  best <- tune::select_best(tuned, metric = "roc_auc")
  final <- parsnip::fit(tune::finalize_model(tuned_spec, best), type ~ glu + bmi + ped + age, data = d)
  expect_equal(coef(final$fit), coef(gradglm(type ~ glu + bmi + ped + age, data = d, family = binomial(),
                                             penalty = lasso(lambda = best$penalty))), tolerance = 1e-12)
})

test_that("a workflow's case weights reach the gradglm engine, as they reach glm's", {
  # (before: fit() stopped, "Case weights are not enabled by the underlying
  # model implementation")
  skip_if_not_installed("parsnip")
  skip_if_not_installed("workflows")
  skip_if_not_installed("hardhat")
  skip_if_not_installed("MASS")
  d <- MASS::Pima.tr
  set.seed(12)
  d$fw <- hardhat::frequency_weights(sample(1:3, nrow(d), TRUE))
  d$iw <- hardhat::importance_weights(runif(nrow(d)))
  for (w in c("fw", "iw")) {
    d$cw <- d[[w]]
    wf <- function(engine) {
      spec <- parsnip::set_engine(parsnip::logistic_reg(), engine)
      workflows::add_case_weights(workflows::workflow(type ~ glu + bmi + age, spec), cw)
    }
    # (importance weights: both warn of non-integer successes)
    fit <- workflows::extract_fit_engine(suppressWarnings(parsnip::fit(wf("gradglm"), d)))
    ref <- workflows::extract_fit_engine(suppressWarnings(parsnip::fit(wf("glm"), d)))
    expect_equal(coef(fit), coef(ref), tolerance = 1e-7, label = w)
  }
  spec <- parsnip::set_engine(parsnip::linear_reg(penalty = 0.1, mixture = 0.5), "gradglm")
  fit <- workflows::extract_fit_engine(parsnip::fit(
    workflows::add_case_weights(workflows::workflow(glu ~ bmi + age, spec), iw), d))
  expect_equal(coef(fit), coef(gradglm(glu ~ bmi + age, data = d, weights = as.numeric(d$iw),
                                       penalty = elastic_net(alpha = 0.5, lambda = 0.1))), tolerance = 1e-12)
})
