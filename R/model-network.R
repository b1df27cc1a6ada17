#' @include family.R
NULL

# The predictor of a model: linear() (blocks of coefficients, the default)
# or mlp() (a feedforward network whose last layer gives the family's K
# predictors). A network is fitted by network_core(), called from fit_core()
# after the family's model (its blocks, likelihood and response) is built:
# the network replaces the blocks' linear predictors, the likelihood and the
# family's summaries (model$finish) stay as they are.

mlp_activations <- c(identity = 0L, relu = 1L, tanh = 2L, sigmoid = 3L, softplus = 4L, gelu = 5L)

#' Predictors of a model: linear or a feedforward network
#'
#' The `model` argument of [gradglm()] says how the rows' inputs give the
#' family's parameters. `linear()` (the default) is the generalized linear
#' model: each parameter is linear in the columns of its design. `mlp()` is a
#' feedforward network (a multilayer perceptron): hidden layers of `units`
#' adaptive basis functions, `act(W x + b)`, and an output layer that is a
#' linear model of the last hidden layer, one output per parameter of the
#' family. Any family can sit on top: a binomial network is a logistic
#' regression on learned features, a [multinomial()] network a softmax
#' classifier, an [ordinal()] network a cumulative-link model, and a
#' [student_t()] or [laplace()] network a robust regression.
#'
#' The network's inputs are the columns of the formula's model matrix (factors
#' as dummies, `poly()` and interactions as for a linear model), without the
#' intercept, standardised internally by their weighted means and standard
#' deviations (the weights are those of standardised inputs; nothing is
#' copied). The parameters whose linear model has terms are outputs of the
#' network: the mean; for a distributional family with `sigma = ~ ...`
#' (any terms), also log sigma, as a second output of the same network (the
#' sigma formula's terms are not inputs: the network sees the formula's
#' inputs). Parameters without terms (a constant sigma, an estimated df, an
#' ordinal model's cut-points) are one bias each.
#'
#' The weights are drawn from R's random number generator (use [set.seed()]
#' for a reproducible fit): He's normal initialisation (standard deviation
#' `sqrt(2 / fan_in)`) for `relu`, `gelu` and `softplus`, Glorot's
#' (`sqrt(2 / (fan_in + fan_out))`) for the others and for the output layer;
#' hidden biases start at 0, the output biases at the fit of the model
#' without inputs (the mean response's link, the class shares, the scale;
#' on a systematic sample of 20,000 rows when there are more).
#'
#' A network is trained by `"adam"` (the default), `"sgd"`, `"lbfgs"` or
#' `"gd"`; Newton's method and the closed form are for linear models. The
#' optimizer works in the response's units: an output whose link is the
#' identity (the mean of a Gaussian, Laplace or Student-t network) is
#' computed as the weighted standard deviation of the response (less its
#' offset) times the output layer's value, and a Gaussian, Gamma or inverse
#' Gaussian network's loss and gradient are measured in units of its
#' dispersion at the start, so that a response of 1e-6 or 1e6 is fitted as
#' one of 1 (the coefficients reported, and the weight decay, are those of
#' the outputs themselves; the scales are kept in `fit$network$output_scale`). A
#' network can give the model without inputs, so one whose mean loss ends
#' above that model's (by 1%, or 5% when that model was fitted to a sample
#' of more than 20,000 rows) is reported as not converged, with a warning:
#' the optimizer's steps did not suit its weights.
#' Training continues from a fitted network with `start = fit` (for example
#' `update(fit, start = fit, optimizer = opt_adam(max_epochs = 50))`; the
#' architecture must be the same).
#' Weight decay is a ridge penalty on the weights (not the biases):
#' `penalty = ridge(lambda = )` adds `lambda / 2` times the sum of the squared
#' weights to the mean loss. The number of weights is not capped; a network
#' with more than `getOption("gradglm.max_weights", 2e7)` of them gets a
#' warning about the memory its training takes (32 bytes per weight).
#'
#' @param units The number of units of each hidden layer: positive whole
#'   numbers (`integer(0)` for no hidden layer: the linear model again).
#' @param activation The hidden layers' activation: `"relu"`, `"tanh"`,
#'   `"sigmoid"`, `"softplus"`, `"gelu"` or `"identity"`.
#' @param init `"auto"`, `"he"` or `"glorot"`: the initialisation of the
#'   hidden layers' weights (`"auto"` chooses by the activation).
#' @param decay_biases Whether weight decay (`penalty = ridge(lambda = )`)
#'   penalises the biases too, as [nnet::nnet()]'s `decay` does (with inputs
#'   standardised as here, `lambda = 2 * decay / n` for a binomial network
#'   and `decay / n` for a Gaussian one, whose loss is half the squared
#'   error; the objective is then nnet's divided by `n` for the binomial
#'   network and by `2 * n` for the Gaussian one, nnet's least squares being
#'   the whole squared error).
#' @param ... Not used: an argument not named above is an error (nnet's
#'   `decay` is `penalty = ridge(lambda = )` of [gradglm()]; `size` is
#'   `units`).
#' @param dropout The share of hidden units dropped (set to 0, the others
#'   scaled by `1 / (1 - dropout)`) in each training step of `"sgd"` or
#'   `"adam"`, from 0 (none) up to but not including 1.
#' @return A model specification, of class `"gradglm_model"`.
#' @seealso [gradglm()], [perceptron()] for Rosenblatt's rule.
#' @examples
#' set.seed(1)
#' n <- 400
#' d <- data.frame(x = runif(n, -2, 2))
#' d$y <- sin(3 * d$x) + rnorm(n, sd = 0.2)
#' fit <- gradglm(y ~ x, data = d, model = mlp(c(16, 16), activation = "tanh"),
#'                optimizer = opt_adam(learning_rate = 0.01, max_epochs = 200))
#' fit
#' @export
mlp <- function(units = c(32, 16), activation = "relu", init = c("auto", "he", "glorot"), dropout = 0, ...,
                decay_biases = FALSE) {
  fun <- "mlp"
  # (decay_biases after `...` is matched only in full: nnet's `decay = `
  # would otherwise be taken as decay_biases, with a message about that)
  extra <- list(...)
  if (length(extra)) {
    nm <- names(extra)
    if (is.null(nm)) nm <- rep("", length(extra))
    hint <- if ("decay" %in% nm) {
      "; weight decay is gradglm()'s 'penalty = ridge(lambda = )' (see ?mlp for nnet's decay)"
    } else if ("size" %in% nm) {
      "; the hidden layers' sizes are 'units'"
    } else {
      ""
    }
    abort(fun, "unknown argument", if (length(extra) > 1L) "s", " ",
          paste0(ifelse(nzchar(nm), paste0("'", nm, "'"), "(unnamed)"), collapse = ", "), hint)
  }
  if (!is.numeric(units) || !is.null(dim(units)) || anyNA(units) || any(units < 1) || any(units != round(units)) ||
      any(!is.finite(units)) || any(units > .Machine$integer.max)) {
    abort(fun, "'units' must be a vector of positive whole numbers (the units of each hidden layer)")
  }
  if (!is.character(activation) || length(activation) != 1L || !activation %in% names(mlp_activations)) {
    abort(fun, "unknown 'activation' ", if (is.character(activation)) paste0("'", activation[1L], "'") else "",
          "; choose one of ", paste0("\"", names(mlp_activations), "\"", collapse = ", "))
  }
  init <- .pick_arg(init, eval(formals(mlp)$init), "init", fun)
  if (!is.numeric(dropout) || length(dropout) != 1L || is.na(dropout) || dropout < 0 || dropout >= 1) {
    abort(fun, "'dropout' must be a number from 0 up to (not including) 1")
  }
  if (!is.logical(decay_biases) || length(decay_biases) != 1L || is.na(decay_biases)) {
    abort(fun, "'decay_biases' must be TRUE or FALSE")
  }
  if (init == "auto") init <- if (activation %in% c("relu", "gelu", "softplus")) "he" else "glorot"
  structure(list(name = "mlp", units = as.integer(units), activation = activation, init = init,
                 dropout = as.double(dropout), decay_biases = decay_biases),
            class = "gradglm_model")
}

#' @rdname mlp
#' @export
linear <- function() structure(list(name = "linear"), class = "gradglm_model")

#' @export
print.gradglm_model <- function(x, ...) {
  if (identical(x$name, "linear")) {
    cat("<gradglm model: linear predictors>\n")
  } else {
    cat("<gradglm model: feedforward network>\n")
    cat("  hidden layers: ", if (length(x$units)) paste(x$units, collapse = " x ") else "none",
        "  activation: ", x$activation, "  init: ", x$init,
        if (x$dropout > 0) paste0("  dropout: ", format(x$dropout)), "\n", sep = "")
  }
  invisible(x)
}

# a network specification, or NULL for the linear predictor
as_network <- function(model, fun) {
  if (is.null(model)) return(NULL)
  if (!inherits(model, "gradglm_model")) {
    abort(fun, "'model' must be linear() or a network made by mlp()")
  }
  if (identical(model$name, "linear")) NULL else model
}

is_network_fit <- function(object) !is.null(object$network)

# methods that need a linear model's coefficients refuse a network
stop_if_network <- function(object, fun, what) {
  if (is_network_fit(object)) {
    abort(fun, what, " is not available for a network (model = mlp()): its weights are not ",
          "identified (the hidden units can be permuted), so they have no standard errors")
  }
  invisible(TRUE)
}

# The fit of a network, from fit_core()'s pieces: the family's model (its
# blocks say which parameters are outputs of the network), the response, the
# optimizer and control. Returns the fitted object's parts.
network_core <- function(net, model, ctx, spec, control, penalty, offset_given, y_raw, weights_raw, fun,
                         start = NULL) {
  if (!is.null(model$likelihood$responses) && model$likelihood$responses > 1L) {
    abort(fun, "a network (model = mlp()) fits one response")
  }
  if (spec$name == "auto") spec <- as_optimizer_spec("adam", fun)
  if (!spec$name %in% c("adam", "sgd", "lbfgs", "gd")) {
    abort(fun, "the '", spec$name, "' optimizer needs the curvature of a linear model; a network ",
          "(model = mlp()) is trained by \"adam\" (the default), \"sgd\", \"lbfgs\" or \"gd\"")
  }
  decay <- 0
  if (!is.null(penalty)) {
    if (!identical(penalty$name, "ridge") || length(penalty$lambda) != 1L) {
      abort(fun, "a network takes weight decay as penalty = ridge(lambda = ) with one lambda; ",
            "lasso, elastic net, group lasso and paths are for linear models")
    }
    decay <- penalty$lambda
  }
  if (net$dropout > 0 && !spec$name %in% c("adam", "sgd")) {
    abort(fun, "'dropout' is for the minibatch optimizers \"adam\" and \"sgd\"")
  }
  x <- ctx$x
  n <- ctx$n
  icpt <- design_intercept(x)
  inputs <- setdiff(seq_len(design_ncol(x)), icpt)
  if (!length(inputs)) abort(fun, "a network needs inputs: the formula has no terms")
  input_names <- design_names(x)[inputs]
  out <- network_outputs(model)
  p <- length(inputs)
  sizes <- c(p, net$units)
  n_weights <- sum(sizes[-1L] * sizes[-length(sizes)]) + sum(net$units) +
    sum(out$connected) * sizes[length(sizes)] + sum(out$bias)
  limit <- getOption("gradglm.max_weights", 2e7)
  if (n_weights > limit) {
    warn(fun, "the network has ", n_weights, " weights, more than ", format(limit), " (option ",
         "gradglm.max_weights); its training keeps about ",
         format(structure(8 * 4 * n_weights, class = "object_size"), units = "auto"),
         " of weights, gradients and optimizer state")
  }
  start_given <- !is.null(start)
  start <- if (is.null(start)) {
    network_start(net, sizes, out, model, ctx, control, offset_given, y_raw, weights_raw)
  } else {
    network_given_start(start, net, n_weights, input_names, out$names, fun)
  }
  engine_control <- engine_control_list(control, spec, spec$name, n)
  check_batch_size(engine_control, spec$name, n, fun)
  engine_control$subsample_min <- 200000L
  spec_net <- list(inputs = engine_design(x), input_columns = as.integer(inputs - 1L), units = net$units,
                   activation = mlp_activations[[net$activation]], connected = out$connected, bias = out$bias,
                   dropout = net$dropout, decay = decay, decay_biases = net$decay_biases,
                   scale_output = network_scales_output(out, ctx), start_drawn = !start_given,
                   seed = floor(stats::runif(1L) * 2^31))
  res <- tryCatch(run_engine(model, ctx$resp, if (offset_given) ctx$offset, spec$name, start, engine_control,
                             network = spec_net),
                  error = function(e) abort(fun, conditionMessage(e)))
  check_rate(res, spec$name, engine_control$learning_rate, fun)
  if (!is.finite(res$loss)) abort_network_no_valid_start(res, spec$name, ctx$family, start_given, fun)
  # (decayed biases put a penalty on the model without inputs too)
  if (!(net$decay_biases && decay > 0)) {
    res <- check_network_loss(res, attr(start, "null_loss"), isTRUE(attr(start, "null_sampled")))
  }
  if (!res$converged) warn_not_converged(res, spec$name, fun, network = TRUE)
  warn_best_at_start(res, fun)
  cn <- network_weight_names(input_names, net$units, out)
  coef <- stats::setNames(res$coefficients, cn)
  aliased <- stats::setNames(rep(FALSE, length(cn)), cn)
  ctx$optimizer <- spec$name
  ctx$engine_control <- engine_control
  ctx$network <- TRUE
  fit <- model$finish(res, ctx, coef, aliased)
  fit$coefficients <- coef
  fit$aliased <- aliased
  fit$rank <- length(cn)
  df_res <- ctx$n_ok - length(cn)
  fit$df.residual <- if (df_res > 0) df_res else NA_integer_
  if (model$kind == "glm" && ctx$row$free_dispersion) {
    # the maximum-likelihood dispersion (the weights use up the residual degrees of freedom)
    fit$dispersion <- sum((fit$weights * fit$residuals^2)[ctx$resp$weights > 0]) / ctx$n_ok
  }
  spec_net$inputs <- NULL
  spec_net$center <- res$center
  spec_net$scale <- res$scale
  spec_net$output_scale <- res$output_scale
  fit$network <- c(spec_net, list(init = net$init, input_names = input_names, output_names = out$names,
                                  design_names = design_names(x),
                                  n_weights = length(cn), objective = res$objective))
  list(fit = fit, res = res, spec = spec)
}

# A network can give the model without inputs (its output weights at 0, its
# output biases where they started), whose penalty is 0: a trained network
# whose mean loss is above that model's did not reach a minimum, whatever its
# optimizer's stopping rule said. (Adam on a Gaussian response of 1e-6, before
# the output scales, ended 70 times the null model's root mean square error
# from it, called converged: its steps, of the learning rate's size, were far
# larger than the output weights that response needs.) Measured against the
# null model's loss on all rows (1% of it) or, above 20,000 rows, on a
# sample (5%).
check_network_loss <- function(res, null_loss, sampled) {
  if (!isTRUE(is.finite(null_loss)) || !isTRUE(res$converged)) return(res)
  tol <- (if (sampled) 0.05 else 0.01) * abs(null_loss)
  if (res$loss - null_loss > tol) {
    res$converged <- FALSE
    res$message <- paste0(
      "its mean loss, ", format(signif(res$loss, 4)), ", is above that of the model without inputs, ",
      format(signif(null_loss, 4)), ", where its output biases started: it did not reach a minimum; a ",
      "smaller learning rate, or a response rescaled to values near 1, may get there")
  }
  res
}

# A network whose loss is not finite where its optimizer ended (at the
# start: the steps only ever lower a finite loss). Its outputs are any real
# numbers, which a link with a restricted range (binomial's "log", the
# "identity" or "inverse" link of a positive family) does not take.
abort_network_no_valid_start <- function(res, optimizer, family, start_given, fun) {
  ok <- family_row(family)$whole_line_links
  why <- if (start_given) {
    "the weights given as 'start' give outputs where it is not; supply other weights or none"
  } else if (!is.null(ok) && !family$link %in% ok) {
    paste0("the network's outputs are any real numbers, but ", family$family, "()'s '", family$link, "' link ",
           "gives a valid mean only for some of them; use link = \"", ok[1L], "\", which takes every output, ",
           "or supply 'start'")
  } else {
    "check the response and the offset (their range against the family's), or supply 'start'"
  }
  abort(fun, "the ", optimizer, " optimizer could not find valid weights (",
        if (nzchar(res$message)) res$message else "the loss is not finite", "): ", why)
}

# Which of the family's K parameters are outputs of the network: those whose
# block has columns besides an intercept (connected, with a bias when the
# block has an intercept column); the others are a bias each (or nothing: an
# ordinal location without columns cannot occur, it always has inputs).
network_outputs <- function(model) {
  connected <- bias <- logical(0)
  nm <- character(0)
  for (b in model$blocks) {
    d <- b$design
    has_icpt <- is.null(d) || design_intercept(d) > 0L
    k <- if (is.null(d)) 0L else design_ncol(d) - as.integer(has_icpt)
    connected <- c(connected, rep(k > 0L, b$m))
    bias <- c(bias, rep(has_icpt, b$m))
    nm <- c(nm, if (!is.null(b$outputs)) b$outputs else b$name)
  }
  list(connected = connected, bias = bias, names = nm)
}

# Whether the first output works in units of the response: a location on
# the response's scale (an identity link) of one response. The engine then
# measures the output's weights and bias in units of the weighted standard
# deviation of what the output fits (the response, less its offset), beside
# the inputs' standardisation; the other outputs' unit is 1. Output weights
# of a response of 1e-6 are of the order of 1e-6, far below the steps of
# "adam" and "sgd" (of the learning rate's size) and the initial weights; in
# these units they are of the order of 1 whatever the response's scale. The
# fit, its weights and its objective are those of the raw weights (the
# engine maps them, and scales the weight decay to match); the scales are
# returned (`output_scale`).
network_scales_output <- function(out, ctx) {
  y <- ctx$resp$y
  identical(ctx$family$link, "identity") && out$connected[1L] && is.numeric(y) && is.null(dim(y))
}

# names of the weights, in the engine's order: per hidden layer l its weights
# "h<l>.<unit>:<input>" (column-major: inputs vary slowest) and biases, then
# the output layer's weights "<output>:h<L>.<unit>" and biases "<output>:(bias)"
network_weight_names <- function(input_names, units, out) {
  prev <- input_names
  nm <- character(0)
  for (l in seq_along(units)) {
    here <- paste0("h", l, ".", seq_len(units[l]))
    nm <- c(nm, paste0(rep(here, times = length(prev)), ":", rep(prev, each = units[l])),
            paste0(here, ":(bias)"))
    prev <- here
  }
  oc <- out$names[out$connected]
  c(nm, paste0(rep(oc, times = length(prev)), ":", rep(prev, each = length(oc))),
    if (any(out$bias)) paste0(out$names[out$bias], ":(bias)"))
}

# Initial weights from R's random number generator (the output layer's in
# the units the engine works in, see network_scales_output()); the output
# biases at the fit of the model without inputs
network_start <- function(net, sizes, out, model, ctx, control, offset_given, y_raw, weights_raw) {
  w <- numeric(0)
  L <- length(net$units)
  for (l in seq_len(L)) {
    fan_in <- sizes[l]
    fan_out <- sizes[l + 1L]
    sd <- if (net$init == "he") sqrt(2 / fan_in) else sqrt(2 / (fan_in + fan_out))
    w <- c(w, stats::rnorm(fan_in * fan_out, sd = sd), numeric(fan_out))
  }
  kc <- sum(out$connected)
  fan_in <- sizes[L + 1L]
  # (column-major, kc x fan_in: the connected outputs vary fastest)
  w <- c(w, stats::rnorm(kc * fan_in, sd = sqrt(2 / (fan_in + kc))))
  b <- network_null_biases(out, ctx, control, offset_given, y_raw, weights_raw)
  structure(c(w, b), null_loss = attr(b, "null_loss"), null_sampled = attr(b, "null_sampled"))
}

# Weights to continue from: a fitted network of the same architecture
# (update(fit, start = fit) trains on from where it stopped), or a numeric
# vector of them
network_given_start <- function(start, net, n_weights, input_names, output_names, fun) {
  if (inherits(start, "gradglm")) {
    old <- start$network
    if (is.null(old)) abort(fun, "'start' is a fit without a network; a network starts from a fitted network")
    if (!identical(old$units, net$units) || !identical(old$input_names, input_names) ||
        !identical(old$output_names, output_names) || old$activation != mlp_activations[[net$activation]]) {
      abort(fun, "'start' is a network of another architecture (units, activation, inputs or outputs differ)")
    }
    start <- start$coefficients
  }
  if (!is.numeric(start) || length(start) != n_weights || !all(is.finite(start))) {
    abort(fun, "'start' for a network must be a fitted network of the same architecture or ", n_weights,
          " finite weights")
  }
  unname(as.double(start))
}

# the biases of the outputs that have one, from the model without inputs
# fitted to (a systematic sample of at most 20,000 of) the rows; zeros if
# that fit fails
network_null_biases <- function(out, ctx, control, offset_given, y_raw, weights_raw) {
  nb <- sum(out$bias)
  rows <- if (ctx$n > 20000) unique(round(seq(1, ctx$n, length.out = 20000))) else seq_len(ctx$n)
  pick <- function(v) if (is.null(v)) NULL else if (is.matrix(v)) v[rows, , drop = FALSE] else v[rows]
  one <- intercept_design(length(rows))
  fit0 <- tryCatch(suppressWarnings(fit_core(
    one, pick(y_raw), pick(weights_raw), if (offset_given) pick(ctx$offset), ctx$family, "auto",
    utils::modifyList(control, list(trace = FALSE, verbose = FALSE)), NULL,
    x_sigma = if (!is.null(ctx$x_sigma)) one, intercept = TRUE, fun = ctx$fun)),
    error = function(e) {
      pass_on_time_limit(e)
      NULL
    })
  b <- if (is.null(fit0)) NULL else unname(fit0$coefficients)
  # (its mean loss: the last row of its trace)
  null_loss <- if (length(b) == nb && !anyNA(b) && length(fit0$trace$loss)) {
    utils::tail(fit0$trace$loss, 1L)
  } else {
    NA_real_
  }
  if (length(b) != nb || anyNA(b)) b <- numeric(nb)
  # An estimated df starts at most at 10, the linear model's start: the model
  # without inputs leaves the signal in its residuals, whose light tails can
  # put its df at 1e7, where the likelihood is flat in log df and the
  # network's fit never moves it (a Student-t network stopped at df 3e7,
  # log-likelihood -131.0, where starting at df 4 reaches -105.0).
  is_df <- out$names[out$bias] == "log_df"
  b[is_df] <- pmin(b[is_df], log(10))
  # (the model without inputs' mean loss, for check_network_loss(); on a
  # sample of the rows, an estimate)
  structure(b, null_loss = null_loss, null_sampled = length(rows) < ctx$n)
}

# The objective of a fitted network (mean loss plus weight decay) and its
# gradient at `theta` on the rows it was fitted to: from the same engine
# spec as the fit (for checking the gradient against finite differences).
# With `training`, the pass drops units as a training step with `seed` would.
network_objective <- function(object, theta = stats::coef(object), training = FALSE, seed = 1, reps = 1L,
                              threads = 1L) {
  fun <- "network_objective"
  mf <- object$model
  X <- stats::model.matrix(object$terms, mf, contrasts.arg = object$contrasts)
  fam <- resolve_family(object$family, fun)
  n <- nrow(X)
  w <- stats::model.weights(mf)
  resp <- fam$row$response(stats::model.response(mf, "any"), fam$family, check_weights(w, n, fun), fun)
  x_sigma <- if (!is.null(object$blocks$sigma)) intercept_design(n)
  if (is.null(x_sigma) && fam$row$sigma == "always") x_sigma <- intercept_design(n)
  model <- fam$row$model(fam$family, resp, X, x_sigma, fun)
  net <- object$network
  net$inputs <- X
  off <- stats::model.offset(mf)
  K <- length(net$connected)
  network_value_grad(list(designs = list(NULL), block_design = rep(0L, K), block_m = rep(1L, K),
                          y = if (is.null(resp$engine_y)) resp$y else resp$engine_y, weights = resp$weights,
                          offsets = list(off), likelihood = model$likelihood, network = net),
                     as.double(theta), training, seed, as.integer(reps), as.integer(threads))
}
