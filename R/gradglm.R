#' Fit a generalized linear model by maximum likelihood
#'
#' `gradglm()` fits the same models as [stats::glm()], from the same formula,
#' data and arguments, with a C++ core: in closed form (QR) for a Gaussian
#' model with the identity link, by Newton's method (the exact curvature,
#' which is glm's Fisher scoring for the canonical links, with Fisher scoring
#' where it is not positive definite, and step-halving) or by gradient
#' descent. The loss that every optimizer
#' minimises is the mean negative log-likelihood of the response given the
#' linear predictor (minus its saturated value, so that twice the loss times
#' the sum of the weights is the deviance).
#'
#' @param formula A model formula, `response ~ terms`, with glm's semantics:
#'   factors and character columns (with their contrasts), interactions,
#'   `poly()`, `I()`, `offset()` terms, `0 +` or `- 1` for no intercept. For
#'   `binomial()` the response may be 0/1, logical, a factor (the first level
#'   is failure, every other level success, as glm reads it; with more than
#'   two levels a warning says so), a proportion with `weights` giving the
#'   trials, or `cbind(successes, failures)`. The formula may also be given
#'   as one string, `"y ~ x"`, as glm takes it.
#' @param data A data frame (or list or environment) holding the variables,
#'   or data read in chunks, a [gradglm_source()] (a database query, CSV
#'   files or a function): the same model is then fitted by passes over the
#'   chunks (Newton's method, one pass per iteration; `"lbfgs"` and `"gd"`
#'   also work, and `"sgd"` and `"adam"` by epochs over the chunks), for
#'   every family but [laplace()]: the GLM families and quasi-families,
#'   [negative_binomial()] (theta fixed or estimated), [student_t()],
#'   `sigma` models, [multinomial()] and [ordinal()] (whose response levels
#'   need an order: see [gradglm_source()]). `weights`, `offset` and `subset`
#'   are then expressions in the source's columns. The fit has everything a
#'   fit from memory has except the vectors with one entry per row
#'   (residuals, fitted values, working weights): `predict()` needs
#'   `newdata`. Its `source` part holds the source, the rows, the passes
#'   made, the reads of the source and the chunks kept in its cache.
#' @param family A family: a name (`"poisson"`), a function (`poisson`) or a
#'   family object (`poisson(link = "sqrt")`). Available, with
#'   their links (the first is the default): `gaussian` (identity, log, inverse),
#'   `binomial` (logit, probit, cloglog, cauchit, log), `poisson` (log,
#'   identity, sqrt), `Gamma` (inverse, identity, log), `inverse.gaussian`
#'   (1/mu^2, inverse, identity, log), the quasi-families `quasibinomial`
#'   (logit, probit, cloglog, cauchit, log), `quasipoisson` (log, identity,
#'   sqrt) and `quasi` (identity, logit, probit, cloglog, cauchit, log, sqrt,
#'   inverse, 1/mu^2; `variance` one of glm's "constant", "mu(1-mu)", "mu",
#'   "mu^2", "mu^3"), for overdispersed counts [negative_binomial()] (log,
#'   sqrt, identity; theta estimated, as `MASS::glm.nb()`, or fixed, as
#'   `MASS::negative.binomial()`, whose family objects are accepted too),
#'   with an estimated scale [laplace()] (identity) and [student_t()]
#'   (identity, log), and for categorical responses [multinomial()] and
#'   [ordinal()] (logit, probit, cloglog, loglog, cauchit). The GLMs of
#'   `gaussian`, `poisson`, `Gamma`, `inverse.gaussian`, `quasipoisson` and
#'   `quasi` also take the power links of [stats::power()].
#'   Several numeric responses, `cbind(y1, y2) ~ x`, are fitted by `gaussian()`
#'   and `student_t()`, one linear model each. The dispersion of `gaussian`,
#'   `Gamma`, `inverse.gaussian` and the quasi-families is estimated as glm
#'   does (Pearson's statistic; t tests in [summary()][summary.gradglm], F
#'   tests in [anova()][anova.gradglm]); a quasi-family has no likelihood, so
#'   its AIC and log-likelihood are `NA`. A link is given by name or as a
#'   [stats::make.link()] object of one of these links, or as
#'   [stats::power()]`(lambda)`. The GLMs of `gaussian`, `binomial`,
#'   `poisson`, `Gamma`, `inverse.gaussian` and the quasi-families also take a
#'   link of one's own: a `link-glm` object under a name of its own with
#'   `linkfun`, `linkinv`, `mu.eta` (the derivative of `linkinv`, checked) and
#'   optionally `valideta`, as [stats::make.link()] builds them. Its functions
#'   are called from R a block of rows at a time and the fit runs on one
#'   thread: the same fits as glm's, slower than with a compiled link.
#' @param weights Optional prior weights (non-negative), evaluated in `data`.
#' @param subset Optional expression selecting the rows to use.
#' @param na.action What to do with missing values: [stats::na.omit()] (the
#'   default of `options("na.action")`), [stats::na.exclude()] (fitted values
#'   and residuals are padded with `NA`) or [stats::na.fail()].
#' @param offset Optional known part of the linear predictor, evaluated in
#'   `data`; adds to any `offset()` terms of the formula.
#' @param start Optional starting coefficients, one per column of the model
#'   matrix.
#' @param optimizer `"auto"`, `"exact"`, `"newton"`, `"lbfgs"`, `"gd"`,
#'   `"sgd"` or `"adam"`, or a specification such as [opt_lbfgs()] or
#'   [opt_adam()]; see [gradglm_fit()].
#' @param control Settings made by [gradglm_control()].
#' @param model Either the predictor of the model, [linear()] (linear
#'   predictors, as glm) or a feedforward network made by [mlp()]; or, as in
#'   [stats::glm()], `TRUE` / `FALSE`: keep the model frame in the fitted
#'   object (it is kept for a network).
#' @param x,y Logical: keep the model matrix and the response in the fitted
#'   object.
#' @param contrasts Optional named list of contrasts for factors, as in
#'   [stats::glm()] (for example `list(tension = "contr.sum")`); the ones used
#'   are stored in the fit and reused by `predict()`.
#' @param sigma A one-sided formula for log(sigma), the log of the scale, as
#'   its own linear model (for example `~ x1`), fitted jointly with the mean
#'   by maximum likelihood: a heteroskedastic (distributional) regression. It
#'   is evaluated in the same `data`, `subset` and `na.action` as `formula`.
#'   For `laplace()` and `student_t()` the default `NULL` means `~ 1` (a
#'   constant scale); for `gaussian()`, `NULL` keeps the classical glm fit and
#'   `sigma = ~ 1` gives the distributional one (the scale as a parameter with
#'   a standard error). For `Gamma()` and `inverse.gaussian()` likewise
#'   (`NULL`: glm's fit with its Pearson dispersion); there sigma is the
#'   square root of the dispersion, `Var(y) = sigma^2 mu^2` (the Gamma's
#'   coefficient of variation; its shape is `1 / sigma^2`) and `sigma^2 mu^3`,
#'   so that `sigma = ~ 1` estimates the dispersion by maximum likelihood and
#'   `sigma = ~ x` lets it depend on covariates. For [negative_binomial()]
#'   sigma is `1 / sqrt(theta)` (`Var(y) = mu + sigma^2 mu^2`), so that theta
#'   can depend on covariates. Not available for `binomial()`, `poisson()`
#'   and the quasi-families. `weights` multiply each row's log-likelihood
#'   here (frequency weights), where glm's classical Gaussian, Gamma and
#'   inverse Gaussian fits take them as precisions (`Var(y)` divided by the
#'   weight): with weights other than 0 and 1, `sigma = ~ 1` then has glm's
#'   mean coefficients but another scale and log-likelihood (and `anova()`
#'   does not compare the two kinds of fit).
#' @param penalty `NULL` (maximum likelihood), or a penalty made by [lasso()],
#'   [ridge()], [elastic_net()] or [group_lasso()] (penalised maximum
#'   likelihood, glmnet's objective): with `lambda = NULL` a regularization
#'   path, with one `lambda` a single fit with the usual methods; see
#'   [penalties].
#' @param ... Settings for [gradglm_control()], as `glm()` passes `...` to
#'   `glm.control()` (for example `max_iter = 200`, or glm's `maxit = 200`
#'   and `epsilon`). Also glm's `method`: `"glm.fit"` (accepted; gradglm's
#'   own engine fits the model, chosen by `optimizer`) or `"model.frame"`
#'   (the model frame is returned, nothing is fitted); and glm's
#'   `singular.ok`: `FALSE` makes aliased coefficients an error. glm's
#'   `etastart` and `mustart` are refused (give `start`).
#' @return An object of class `"gradglm"`: a list with glm's parts
#'   (`coefficients`, `residuals` (working), `fitted.values`, `linear.predictors`,
#'   `deviance`, `null.deviance`, `aic`, `df.residual`, `df.null`, `rank`, `iter`,
#'   `converged`, `prior.weights`, `weights` (working), `y`, `family`, `call`,
#'   `formula`, `terms`, `model`, `xlevels`, `contrasts`, `offset`, `na.action`,
#'   `control`; a GLM's `fitted.values`, `residuals` and `weights` are
#'   computed from `linear.predictors` when they are first read, and are
#'   ordinary numeric vectors from then on) and `optimizer`, `trace` (a data
#'   frame of `iter`, `loss`,
#'   `grad_norm`, `step` and `time`; gd, sgd and adam add the scheduled
#'   `learning_rate`, and sgd / adam with a validation share `val_loss`; see
#'   [opt_sgd()]), `message` (why the optimizer stopped), `best_epoch` (sgd /
#'   adam with validation), `loglik`, `npar` (the number of estimated
#'   parameters), `cov.unscaled` and `dispersion`, and what every fit has:
#'   `kind` (`"glm"` for a generalized linear model with glm's inference,
#'   `"likelihood"` for a model with several parameter blocks), `lik_type`
#'   and `blocks`, one entry per parameter block (its `name`, the `parameter`
#'   it sets, its `link`, the positions `coef` of its coefficients, its design
#'   `columns` and, from a formula, its `terms`, `xlevels` and `contrasts`).
#'
#'   A distributional fit (a `sigma` model, or `laplace()` / `student_t()`)
#'   has the blocks `location`, `sigma` and, when the Student-t df is
#'   estimated, `log_df`. Its `coefficients` hold the
#'   location coefficients, then the sigma-model coefficients named
#'   `"sigma:<term>"` (log scale), then `"log(df)"` when the Student-t df is
#'   estimated; `cov.unscaled` is their joint covariance (the inverse observed
#'   information; the expected one for the Laplace); `sigma` holds the fitted
#'   scale of each observation, `df` the Student-t df, `loglik` the maximised
#'   log-likelihood and `deviance` minus twice it.
#' @seealso [gradglm_fit()], [gradglm_control()], and the methods
#'   `summary()`, `predict()`, `plot()`, `anova()`, `confint()`.
#' @examples
#' fit <- gradglm(am ~ wt + hp, data = mtcars, family = binomial())
#' summary(fit)
#'
#' # a Gamma regression (the clotting times of ?glm), and overdispersed counts
#' clotting <- data.frame(u = c(5, 10, 15, 20, 30, 40, 60, 80, 100),
#'                        lot1 = c(118, 58, 42, 35, 27, 25, 21, 19, 18))
#' summary(gradglm(lot1 ~ log(u), data = clotting, family = Gamma))
#' qp <- gradglm(count ~ spray, data = InsectSprays, family = quasipoisson)
#' anova(qp, test = "F")
#'
#' # the same model by gradient descent, and its training curve
#' fit_gd <- gradglm(am ~ wt + hp, data = mtcars, family = binomial(), optimizer = "gd")
#' cbind(newton = coef(fit), gd = coef(fit_gd))
#'
#' # counts with a factor
#' gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson)
#'
#' # a heteroskedastic Gaussian model: log(sigma) linear in speed
#' gradglm(dist ~ speed, data = cars, sigma = ~ speed)
#' @export
gradglm <- function(formula, data, family = gaussian(), weights, subset, na.action, offset,
                    start = NULL, optimizer = "auto", control = gradglm_control(),
                    model = TRUE, x = FALSE, y = TRUE, contrasts = NULL, sigma = NULL, penalty = NULL, ...) {
  fun <- "gradglm"
  call <- match.call()
  if (missing(formula)) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  formula <- model_formula(formula, fun, parent.frame())
  if (length(formula) != 3L) abort(fun, "'formula' has no response: write it as response ~ terms")
  fam <- resolve_family(family, fun)  # early, clear errors
  network <- NULL
  if (inherits(model, "gradglm_model")) {
    network <- as_network(model, fun)
    model <- TRUE
  } else if (!is.logical(model) || length(model) != 1L || is.na(model)) {
    abort(fun, "'model' must be linear(), a network made by mlp(), or TRUE / FALSE (keep the model frame)")
  }
  if (!is.null(sigma)) check_sigma_formula(sigma, fam, fun)
  uses_sigma <- !is.null(sigma) || fam$row$sigma == "always"
  if (uses_sigma && is.null(sigma)) sigma <- ~1
  control <- as_control(control, fun)
  glm_args <- glm_dots(names(match.call(expand.dots = FALSE)$...), list(...), fun)
  if (length(glm_args$settings)) {
    # (glm's epsilon and maxit in the call replace the control's tol and max_iter)
    base <- unclass(control)
    base[glm_aliases[intersect(names(glm_args$settings), names(glm_aliases))]] <- NULL
    control <- do.call(gradglm_control, utils::modifyList(base, glm_args$settings))
  }
  if (missing(data)) data <- environment(formula)
  if (inherits(data, c("gradglm_source", "gradglm_partitions"))) {
    # data read in chunks: the same model, fitted by passes over the rows
    if (identical(glm_args$method, "model.frame")) abort(fun, "method = \"model.frame\" is for data in memory")
    if (!is.null(network)) abort(fun, "a network (model = mlp()) is fitted from data in memory, not from a chunked source")
    if (!is.null(penalty)) abort(fun, "a penalised fit needs data in memory; a chunked source is fitted by maximum likelihood")
    if (isTRUE(x)) abort(fun, "'x = TRUE' keeps the model matrix, one row per observation: not for a chunked source")
    seen <- character(0)  # a warning of every chunk of every pass is given once
    fit <- withCallingHandlers(source_fit(formula, data, family, weights = if (!missing(weights)) substitute(weights),
                      subset = if (!missing(subset)) substitute(subset),
                      offset = if (!missing(offset)) substitute(offset),
                      na_fun = resolve_na_action(if (missing(na.action)) NULL else substitute(na.action), NULL,
                                                 parent.frame(), fun),
                      start = start, optimizer = optimizer, control = control, contrasts = contrasts,
                      sigma = if (uses_sigma) sigma, env = parent.frame(), fun = fun),
                      warning = function(w) {
                        if (conditionMessage(w) %in% seen) invokeRestart("muffleWarning")
                        seen <<- c(seen, conditionMessage(w))
                      })
    fit$call <- call
    # (the terms live where the formula was written, as model.frame() makes
    # them in memory: refits by the call, as drop1()'s, look there for the source)
    environment(fit$terms) <- environment(formula)
    fit$formula <- stats::formula(fit$terms)
    if (!glm_args$singular_ok) check_singular_ok(fit, fun)
    return(new_gradglm(fit))
  }
  if (uses_sigma) check_sigma_variables(sigma, data, fun)
  if (!is.null(contrasts) && !is.list(contrasts)) {
    abort(fun, "'contrasts' must be a named list, such as list(f = \"contr.sum\")")
  }

  # The model frame, built with na.pass; the na.action then runs only when
  # something is missing, so that a frame with nothing to omit is not copied.
  mf <- match.call(expand.dots = FALSE)
  keep <- match(c("formula", "data", "subset", "weights", "offset"), names(mf), 0L)
  mf <- mf[c(1L, keep)]
  mf$formula <- formula  # (the formula read from a string has the caller's environment)
  mf$drop.unused.levels <- FALSE  # dropped below, after the na.action
  mf$na.action <- quote(stats::na.pass)
  mf[[1L]] <- quote(stats::model.frame)
  if (uses_sigma) {
    # one frame for both models, so that subset and na.action apply to both;
    # each model then takes its own terms from it
    mt <- tryCatch(stats::terms(formula, data = data), error = function(e) model_frame_error(e, fun))
    mf$formula <- joint_formula(mt, sigma)
  }
  na_fun <- resolve_na_action(if (missing(na.action)) NULL else substitute(na.action), data,
                              parent.frame(), fun)
  mf <- tryCatch(apply_na_action(eval(mf, parent.frame()), na_fun),
                 error = function(e) model_frame_error(e, fun))
  # unused factor levels are dropped, as glm() does, except a categorical
  # response's: its family warns about empty classes
  mf <- drop_unused_levels(mf, keep = if (isTRUE(fam$row$keeps_classes)) 1L)
  if (identical(glm_args$method, "model.frame")) return(mf)  # (as glm(method = "model.frame"))
  if (nrow(mf) == 0L) {
    abort(fun, "no observations are left after 'subset' and 'na.action' (missing values?)")
  }
  if (uses_sigma) {
    mt_all <- attr(mf, "terms")
    mt <- terms_from_joint(mt, mt_all)
  } else {
    mt <- attr(mf, "terms")
  }
  factors <- frame_has_factors(mf)
  check_factor_levels(mf, mt, factors, fun)
  check_offset_terms(mf, mt, fun)
  mt <- assume_intercept(mt, fam, fun)

  Y <- stats::model.response(mf, "any")
  X <- tryCatch(design_from_frame(mt, mf, contrasts),
                error = function(e) abort(fun, "could not build the model matrix: ", conditionMessage(e)))
  w <- stats::model.weights(mf)
  if (!is.null(w) && !is.numeric(w)) abort(fun, "'weights' must be numeric")
  off <- stats::model.offset(mf)
  if (!is.null(off)) offset_length_check(off, nrow(mf), fun)
  X <- check_design(X, fun, what = "the model matrix", values = FALSE, empty_ok = TRUE)  # (values: see fit_core())

  Z <- NULL
  if (uses_sigma) {
    mt_sigma <- terms_from_joint(stats::terms(sigma, data = data), mt_all)
    Z <- tryCatch(design_from_frame(mt_sigma, mf, contrasts[names(contrasts) %in% all.vars(sigma)]),
                  error = function(e) abort(fun, "could not build the sigma model matrix: ",
                                            conditionMessage(e)))
    Z <- check_design(Z, fun, what = "the sigma model matrix")
  }
  fit <- fit_core(X, Y, w, off, fam, optimizer, control, start, x_sigma = Z,
                  intercept = attr(mt, "intercept") > 0L, fun = fun, penalty = penalty,
                  term_labels = attr(mt, "term.labels"), network = network, x_values = "the model matrix")
  fit$call <- call
  fit$formula <- stats::formula(mt)
  fit$terms <- mt
  fit$model <- if (model) mf else NULL
  fit$x <- if (x) as.matrix(X) else NULL
  if (!y) fit$y <- NULL
  fit$xlevels <- get_xlevels(mt, mf, factors)
  fit$contrasts <- X$contrasts
  fit$na.action <- attr(mf, "na.action")
  fit$method <- "gradglm"
  # each block keeps what predict() needs to rebuild its design
  first <- names(fit$blocks)[1L]
  fit$blocks[[first]][c("terms", "xlevels", "contrasts")] <- list(mt, fit$xlevels, fit$contrasts)
  if (uses_sigma) {
    fit$sigma_formula <- stats::formula(mt_sigma)
    fit$sigma_terms <- mt_sigma
    fit$sigma_xlevels <- stats::.getXlevels(mt_sigma, mf)
    fit$sigma_contrasts <- Z$contrasts
    fit$blocks$sigma[c("terms", "xlevels", "contrasts", "formula")] <-
      list(mt_sigma, fit$sigma_xlevels, fit$sigma_contrasts, fit$sigma_formula)
    if (x) fit$x_sigma <- as.matrix(Z)
  }
  if (!glm_args$singular_ok) check_singular_ok(fit, fun)
  new_gradglm(fit)
}

# Has the model frame a factor or character column besides the response
# (its first)? Without one, neither check_factor_levels() nor
# .getXlevels() has work to do.
frame_has_factors <- function(mf) any(vapply(mf, function(v) is.factor(v) || is.character(v), NA)[-1L])

# stats::.getXlevels(mt, mf), which deparses every variable to find the
# factors: a frame without factor or character predictors (`factors`, from
# frame_has_factors()) has none (an empty named list, or NULL without
# predictors, as .getXlevels() gives)
get_xlevels <- function(mt, mf, factors) {
  if (factors) return(stats::.getXlevels(mt, mf))
  npred <- length(attr(mt, "variables")) - 1L - (attr(mt, "response") > 0L)
  if (npred > 0L) stats::setNames(list(), character(0)) else NULL
}

# gradglm()'s other arguments (`...`, named `dots`, their values `values`):
# the settings of gradglm_control() (glm.control()'s epsilon and maxit
# too, as glm passes them on), and glm()'s method ("glm.fit", or
# "model.frame" to return the model frame) and singular.ok; glm's etastart
# and mustart are refused with the reason.
glm_dots <- function(dots, values, fun) {
  # (`values` is read only after etastart and mustart, which may name columns, are refused)
  out <- list(settings = list(), method = NULL, singular_ok = TRUE)
  if (is.null(dots)) {
    out$settings <- values  # (unnamed: refused by gradglm_control())
    return(out)
  }
  if (any(c("etastart", "mustart") %in% dots)) {
    abort(fun, "glm's 'etastart' and 'mustart' are not taken: a fit starts from glm's own starting means; ",
          "give 'start' (the coefficients) to start elsewhere")
  }
  if ("method" %in% dots) {
    m <- values[["method"]]
    if (!(identical(m, "glm.fit") || identical(m, "model.frame") || identical(m, stats::glm.fit))) {
      abort(fun, "'method' (glm's) must be \"glm.fit\" (gradglm's own engine fits the model) or \"model.frame\" ",
            "(the model frame is returned); choose how the model is fitted with 'optimizer'")
    }
    out$method <- if (is.character(m)) m else "glm.fit"
  }
  if ("singular.ok" %in% dots) {
    s <- values[["singular.ok"]]
    if (!is.logical(s) || length(s) != 1L || is.na(s)) abort(fun, "'singular.ok' must be TRUE or FALSE")
    out$singular_ok <- s
  }
  keep <- !dots %in% c("method", "singular.ok")
  # (the arguments other packages' networks take: nnet's size, neuralnet's
  # hidden, parsnip's hidden_units; before, they were called unknown
  # settings of gradglm_control())
  net <- intersect(dots[keep], c("hidden", "size", "units", "hidden_units", "layers", "activation"))
  if (length(net)) {
    abort(fun, quote_some(net), " is not an argument of ", fun, "(): a feedforward network is ",
          "model = mlp(units = , activation = ), e.g. model = mlp(8) for one hidden layer of 8 units")
  }
  out$settings <- glm_control_names(values[keep], fun)
  out
}

# glm(singular.ok = FALSE): an aliased coefficient is an error
check_singular_ok <- function(fit, fun) {
  if (anyNA(fit$coefficients)) {
    abort(fun, "singular fit encountered: ", quote_some(names(fit$coefficients)[is.na(fit$coefficients)]),
          " aliased (singular.ok = FALSE)")
  }
}

# The na.action of gradglm() as model.frame() would choose it: the argument,
# else the data's "na.action" attribute, else options("na.action").
resolve_na_action <- function(expr, data, env, fun) {
  na <- if (!is.null(expr)) {
    tryCatch(eval(expr, env), error = function(e) abort(fun, "could not evaluate 'na.action': ",
                                                       conditionMessage(e)))
  } else if (!is.null(naa <- attr(data, "na.action")) && mode(naa) != "numeric") {
    naa
  } else {
    getOption("na.action", "na.fail")
  }
  if (is.character(na)) {
    na <- tryCatch(get(na, mode = "function", envir = env),
                   error = function(e) abort(fun, "'na.action' names no function: ", na))
  }
  if (!is.function(na)) abort(fun, "'na.action' must be a function such as na.omit or na.exclude")
  na
}

# The na.action on a frame built with na.pass: skipped when nothing is
# missing (na.omit would copy the whole frame to drop no row).
apply_na_action <- function(mf, na_fun) {
  if (!anyNA(mf, recursive = TRUE)) return(mf)
  na_fun(mf)
}

# Factor levels that no row uses are dropped (as model.frame() does with
# drop.unused.levels = TRUE), except in the columns `keep`.
drop_unused_levels <- function(mf, keep = NULL) {
  is_f <- vapply(mf, is.factor, NA)
  is_f[keep] <- FALSE
  for (j in which(is_f)) {
    v <- mf[[j]]
    if (is.factor(v) && length(unique(v[!is.na(v)])) < nlevels(v)) {
      ctr <- attr(v, "contrasts")
      v <- v[, drop = TRUE]
      if (!is.null(ctr) && !is.matrix(ctr)) attr(v, "contrasts") <- ctr
      mf[[j]] <- v
    }
  }
  mf
}

# offset() terms and the offset argument must be numeric
check_offset_terms <- function(mf, mt, fun) {
  idx <- attr(mt, "offset")
  vars <- as.list(attr(mt, "variables"))[-1L]
  for (i in idx) {
    nm <- paste(deparse(vars[[i]], width.cutoff = 500L), collapse = " ")
    v <- mf[[nm]]
    if (!is.null(v) && !is.numeric(v)) abort(fun, "the offset term '", nm, "' must be numeric, not ", class(v)[1L])
  }
  if ("(offset)" %in% names(mf) && !is.numeric(mf[["(offset)"]])) {
    abort(fun, "'offset' must be numeric, not ", class(mf[["(offset)"]])[1L])
  }
  invisible(TRUE)
}

# model.frame()'s errors, reworded to name gradglm's arguments
model_frame_error <- function(e, fun) {
  msg <- conditionMessage(e)
  if (grepl("(weights)", msg, fixed = TRUE)) {
    abort(fun, "'weights' must be a numeric vector with one value per observation (", msg, ")")
  }
  if (grepl("(offset)", msg, fixed = TRUE)) {
    abort(fun, "'offset' must be a numeric vector with one value per observation (", msg, ")")
  }
  if (grepl("missing values in object", msg, fixed = TRUE)) {
    abort(fun, "the data contain missing values and na.action = na.fail")
  }
  abort(fun, "could not evaluate the model frame: ", msg)
}

# a factor (or character) predictor needs two levels among the rows used
# (`factors`: frame_has_factors())
check_factor_levels <- function(mf, mt, factors, fun) {
  if (!factors) return(invisible(TRUE))
  predictors <- setdiff(names(mf)[-1L], c("(weights)", "(offset)"))
  for (v in predictors) {
    col <- mf[[v]]
    if (!is.factor(col) && !is.character(col)) next
    lev <- unique(as.character(col))
    if (length(lev) < 2L) {
      abort(fun, "factor '", v, "' has a single level (", quote_some(lev),
            ") among the rows used; a factor needs at least two levels")
    }
  }
  invisible(TRUE)
}

# `sigma` must be a one-sided formula, for a family with a scale
check_sigma_formula <- function(sigma, fam, fun) {
  if (!inherits(sigma, "formula") || length(sigma) != 2L) {
    abort(fun, "'sigma' must be a one-sided formula such as ~ x1 (or ~ 1 for a constant scale)")
  }
  if (fam$row$sigma == "no") {
    abort(fun, "family '", fam$family$family, "' has no scale parameter: a 'sigma' model is for ",
          paste0(sigma_families(), "()", collapse = ", "))
  }
  if ("." %in% all.vars(sigma)) {
    # (terms() of it is R's "'.' in formula and no 'data' argument"; in data, '.' would take the response too)
    abort(fun, "'sigma' cannot use '.': name the variables of the scale model (for example ~ x1 + x2)")
  }
  if (!is.null(attr(stats::terms(sigma), "offset"))) {
    abort(fun, "'sigma' cannot contain offset() terms")
  }
  invisible(TRUE)
}

# every variable of the sigma formula must be found in data (or the
# formula's environment), named in the error otherwise
check_sigma_variables <- function(sigma, data, fun) {
  vars <- all.vars(sigma)
  env <- environment(sigma)
  found <- vapply(vars, function(v) {
    if (is.environment(data)) return(exists(v, envir = data))
    v %in% names(data) || exists(v, envir = env)
  }, logical(1))
  if (!all(found)) {
    abort(fun, "variable(s) ", quote_some(vars[!found]), " of the 'sigma' formula not found in 'data'")
  }
  invisible(TRUE)
}

# response ~ (location terms) + (sigma terms): the variables of both models,
# for a single model frame
joint_formula <- function(mt, sigma) {
  f <- stats::formula(mt)
  rhs_sigma <- sigma[[2L]]
  f[[3L]] <- call("+", f[[3L]], rhs_sigma)
  environment(f) <- environment(mt)
  f
}

# the variable names of terms, as model.frame names its columns
all_var_names <- function(mt) {
  vapply(as.list(attr(mt, "variables"))[-1L], function(v) paste(deparse(v, width.cutoff = 500L),
                                                                 collapse = " "), "")
}

# One model's terms with what the joint model frame recorded for its
# variables: the data classes, and the "predvars" that let predict() rebuild
# data-dependent bases such as poly() exactly as fitted
terms_from_joint <- function(mt, mt_all) {
  own <- all_var_names(mt)
  idx <- match(own, all_var_names(mt_all))
  pv <- attr(mt_all, "predvars")
  if (!is.null(pv) && !anyNA(idx)) {
    attr(mt, "predvars") <- as.call(c(list(quote(list)), as.list(pv)[-1L][idx]))
  }
  attr(mt, "dataClasses") <- attr(mt_all, "dataClasses")[own]
  mt
}

# The terms of a family that needs an intercept (a registry row's
# needs_intercept): the model's own constants (an ordinal model's cut-points)
# take its place, so a formula without one gets it, with a warning, and its
# factors are coded as with an intercept
assume_intercept <- function(mt, fam, fun) {
  if (isTRUE(fam$row$needs_intercept) && attr(mt, "intercept") == 0L) {
    warn(fun, "an intercept is needed and assumed: the cut-points of ", fam$family$family, "() take its place")
    attr(mt, "intercept") <- 1L
  }
  mt
}
