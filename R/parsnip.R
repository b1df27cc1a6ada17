# The "gradglm" engine of parsnip's linear_reg(), logistic_reg(),
# multinom_reg() and mlp(): registered in parsnip's model environment when
# parsnip is loaded (parsnip is suggested, not imported; see .onLoad()).

#' Fit a gradglm model for parsnip's "gradglm" engine
#'
#' The function that parsnip's `"gradglm"` engine calls: it turns
#' tidymodels' argument names into a [gradglm()] call. Use
#' `linear_reg()`, `logistic_reg()`, `multinom_reg()` or `mlp()` with
#' `set_engine("gradglm")` rather than calling it directly; from R, call
#' [gradglm()] itself.
#'
#' The arguments map as follows:
#' * `penalty` (glmnet's lambda) and `mixture` (glmnet's alpha, default 1,
#'   the lasso): `penalty = elastic_net(alpha = mixture, lambda = penalty)`,
#'   or no penalty when `penalty` is `NULL` or 0. For a network, `penalty` is
#'   the weight decay `ridge(lambda = penalty)` and `mixture` must be 0 or
#'   `NULL`.
#' * `hidden_units`, `activation` (parsnip's `"linear"` is `"identity"`) and
#'   `dropout` give `model = mlp(units = , activation = , dropout = )`;
#'   `epochs` and `learn_rate` give `optimizer = opt_adam(max_epochs = ,
#'   learning_rate = )`.
#'
#' Case weights of a workflow (`workflows::add_case_weights()`, frequency or
#' importance weights) are the fit's prior `weights`, as parsnip gives them
#' to glm.
#'
#' The engine takes factors as they are (the fit makes their contrasts), so
#' in a workflow `add_formula()` refuses an interaction with a factor (hardhat:
#' "Interaction terms involving factors or characters ... are not allowed
#' when `indicators = "none"`"). Give such a formula to the model instead,
#' `add_variables(outcomes = y, predictors = c(x, f))` with `add_model(spec,
#' formula = y ~ x * f)`, or make the columns in a recipe
#' (`step_dummy()`, `step_interact()`).
#'
#' Both gradglm and parsnip export a function `mlp()`: gradglm's describes
#' the network of a [gradglm()] fit, parsnip's the model specification.
#' With both packages attached, the one attached last masks the other; write
#' `parsnip::mlp()` for the specification.
#'
#' The engines are registered when parsnip is loaded (or at once, when
#' gradglm is loaded after it); `parsnip::show_engines("logistic_reg")` lists
#' `"gradglm"` then.
#'
#' @param formula,data The model formula and data, as parsnip passes them.
#' @param family `gaussian()`, `binomial()` or `multinomial()`, set by the
#'   engine for the model type.
#' @param penalty,mixture The amount and kind of regularization, as above.
#' @param hidden_units,activation,dropout,epochs,learn_rate For `mlp()`, as above.
#' @param ... Other arguments of [gradglm()] given to `set_engine()` (for
#'   example `optimizer`, `control` or `sigma`).
#' @return A `"gradglm"` fit.
#' @seealso [gradglm()], [elastic_net()], [mlp()], [opt_adam()].
#' @examples
#' fit <- fit_gradglm_engine(mpg ~ wt + hp, data = mtcars, family = gaussian())
#' coef(fit)
#' fit_enet <- fit_gradglm_engine(mpg ~ wt + hp + qsec, data = mtcars, family = gaussian(),
#'                                penalty = 0.1, mixture = 0.5)
#' coef(fit_enet)
#' @export
fit_gradglm_engine <- function(formula, data, family = stats::gaussian(), penalty = NULL, mixture = NULL,
                               hidden_units = NULL, activation = NULL, dropout = NULL, epochs = NULL,
                               learn_rate = NULL, ...) {
  fun <- "fit_gradglm_engine"
  args <- list(...)
  network <- !is.null(hidden_units) || !is.null(activation) || !is.null(dropout) || !is.null(epochs) ||
    !is.null(learn_rate)
  number <- function(x, what, lower = 0) {
    if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < lower) {
      abort(fun, "'", what, "' must be one number of at least ", lower)
    }
    as.numeric(x)
  }
  if (!is.null(penalty)) penalty <- number(penalty, "penalty")
  if (!is.null(mixture)) {
    mixture <- number(mixture, "mixture")
    if (mixture > 1) abort(fun, "'mixture' must be between 0 (ridge) and 1 (lasso)")
  }
  if (network) {
    if (!is.null(mixture) && mixture != 0) {
      abort(fun, "a network's 'penalty' is weight decay (a ridge penalty): 'mixture' must be 0")
    }
    if (!is.null(penalty) && penalty > 0) args$penalty <- ridge(lambda = penalty)
    if (!is.null(activation) && identical(activation, "linear")) activation <- "identity"
    net <- list()
    if (!is.null(hidden_units)) net$units <- hidden_units
    if (!is.null(activation)) net$activation <- activation
    if (!is.null(dropout)) net$dropout <- dropout
    args$model <- do.call(mlp, net)
    if (is.null(args$optimizer)) {
      opt <- list()
      if (!is.null(epochs)) opt$max_epochs <- as.integer(number(epochs, "epochs", 1))
      if (!is.null(learn_rate)) opt$learning_rate <- number(learn_rate, "learn_rate")
      args$optimizer <- do.call(opt_adam, opt)
    }
  } else if (!is.null(penalty) && penalty > 0) {
    args$penalty <- elastic_net(alpha = if (is.null(mixture)) 1 else mixture, lambda = penalty)
  }
  fit <- do.call(gradglm, c(list(formula = formula, data = data, family = family), args))
  fit$call <- match.call()
  fit
}

# The probabilities of a binomial fit as parsnip's two-column table (the
# first level is the failure, as for glm)
parsnip_two_class_probs <- function(x, object) {
  out <- data.frame(1 - x, x)
  names(out) <- object$lvl
  .tidy_frame(out)
}

# The class of a binomial fit: the second level when its probability is at
# least 1/2 (as parsnip's glm engine)
parsnip_two_class <- function(x, object) {
  factor(object$lvl[(x >= 0.5) + 1L], levels = object$lvl)
}

parsnip_class_probs <- function(x, object) {
  out <- as.data.frame(x)
  names(out) <- colnames(x)
  .tidy_frame(out)
}

# The engine's registration: model, modes, arguments, fit and predictions.
register_parsnip_engine <- function() {
  ns <- asNamespace("parsnip")
  models <- ns$get_model_env()
  registered <- function(model) {
    engines <- models[[model]]
    !is.null(engines) && "gradglm" %in% engines$engine
  }
  encoding <- list(predictor_indicators = "none", compute_intercept = FALSE, remove_intercept = FALSE,
                   allow_sparse_x = FALSE)
  fit_value <- function(family) {
    # (parsnip passes case weights as `weights` when a workflow has them, as to glm)
    list(interface = "formula", protect = c("formula", "data", "weights"),
         func = c(pkg = "gradglm", fun = "fit_gradglm_engine"), defaults = list(family = family))
  }
  pred <- function(type, post = NULL) {
    list(pre = NULL, post = post, func = c(fun = "predict"),
         args = list(object = quote(object$fit), newdata = quote(new_data), type = type))
  }
  # tidymodels' argument names are those of fit_gradglm_engine() and of dials' parameters
  args <- function(model, names) {
    for (a in names) {
      ns$set_model_arg(model = model, eng = "gradglm", parsnip = a, original = a,
                       func = list(pkg = "dials", fun = a), has_submodel = FALSE)
    }
  }
  preds <- function(model, mode, values) {
    for (type in names(values)) {
      ns$set_pred(model = model, eng = "gradglm", mode = mode, type = type, value = values[[type]])
    }
  }
  engine <- function(model, mode, family) {
    ns$set_model_engine(model, mode = mode, eng = "gradglm")
    ns$set_dependency(model, eng = "gradglm", pkg = "gradglm", mode = mode)
    ns$set_fit(model = model, eng = "gradglm", mode = mode, value = fit_value(family))
    ns$set_encoding(model = model, eng = "gradglm", mode = mode, options = encoding)
  }
  classes <- list(class = pred("class"), prob = pred("probs", parsnip_class_probs))
  if (!registered("linear_reg")) {
    engine("linear_reg", "regression", quote(stats::gaussian()))
    args("linear_reg", c("penalty", "mixture"))
    preds("linear_reg", "regression", list(numeric = pred("response")))
  }
  if (!registered("logistic_reg")) {
    engine("logistic_reg", "classification", quote(stats::binomial()))
    args("logistic_reg", c("penalty", "mixture"))
    preds("logistic_reg", "classification", list(class = pred("response", parsnip_two_class),
                                                  prob = pred("response", parsnip_two_class_probs)))
  }
  if (!registered("multinom_reg")) {
    engine("multinom_reg", "classification", quote(gradglm::multinomial()))
    args("multinom_reg", c("penalty", "mixture"))
    preds("multinom_reg", "classification", classes)
  }
  if (!registered("mlp")) {
    # a network classifier: any number of classes through the multinomial likelihood
    engine("mlp", "regression", quote(stats::gaussian()))
    engine("mlp", "classification", quote(gradglm::multinomial()))
    args("mlp", c("hidden_units", "penalty", "dropout", "epochs", "activation", "learn_rate"))
    preds("mlp", "regression", list(numeric = pred("response")))
    preds("mlp", "classification", classes)
  }
  invisible(TRUE)
}

# Registers the engine now if parsnip is loaded, else when it is; a failure
# warns and never stops parsnip (or gradglm) from loading.
register_parsnip <- function() {
  register <- function(...) {
    tryCatch(register_parsnip_engine(), error = function(e) {
      warning("gradglm could not register its parsnip engine: ", conditionMessage(e), call. = FALSE)
    })
  }
  if (isNamespaceLoaded("parsnip")) register()
  setHook(packageEvent("parsnip", "onLoad"), register)
  invisible(NULL)
}
