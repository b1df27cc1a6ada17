#' @include family.R
NULL

#' Rosenblatt's perceptron
#'
#' Fits a linear classifier `sign(x'b)` by Rosenblatt's mistake-driven rule:
#' the rows are visited in turn and each misclassified row (`y x'b <= 0`,
#' with `y` coded -1 / +1) moves the coefficients by `learning_rate * y x`.
#' An epoch without a mistake ends the fit (converged). On linearly separable
#' data this happens after at most `(R / gamma)^2` mistakes (Novikoff's
#' bound, for `R` the largest norm of a row and `gamma` the margin of a unit
#' separating vector); on data that are not separable (XOR) the rule never
#' settles, and the fit reports it has not converged after `max_epochs`.
#'
#' The perceptron is not a likelihood fit: its criterion,
#' `sum(max(0, -y x'b))`, is zero for every separating `b` and says nothing
#' about probabilities, so the result has no log-likelihood, standard errors
#' or AIC (compare [gradglm()] with `family = binomial()`, the logistic
#' regression, whose loss is a likelihood). In the engine the rule is
#' stochastic gradient descent with batch size one on that criterion. The
#' averaged perceptron (`averaged = TRUE`) reports the mean of the
#' coefficients over every row visited, a more stable classifier when the
#' data are not separable.
#'
#' Columns are used as they are (not standardised): the rule's steps, and
#' its bound, depend on their scale.
#'
#' @param formula A model formula `y ~ terms`; `y` has two classes: a factor
#'   with two levels (the second is the positive class), a logical, or
#'   numbers 0 / 1 or -1 / +1.
#' @param data A data frame (or an environment) with the variables.
#' @param learning_rate The step of each mistake, a positive number. (With a
#'   zero start only the scale of the coefficients depends on it.)
#' @param max_epochs The largest number of passes over the rows.
#' @param averaged Report the average of the coefficients over the visits.
#' @param shuffle Visit the rows in a new random order each epoch (from R's
#'   random number generator) instead of their order in `data`.
#' @param subset,na.action As for [stats::lm()]; rows with missing values are
#'   dropped by default.
#' @return An object of class `"gradglm_perceptron"` with `coefficients`,
#'   `mistakes` (per epoch), `converged`, `epochs`, `scores` (`x'b` of the
#'   rows), `fitted.values` (the predicted classes), `levels`, `terms`,
#'   `xlevels`, `contrasts`, `call`, and `x` and `y` (the design and the
#'   classes as -1 / +1). Methods: `print()`, `predict(type = "class" |
#'   "score")`, `coef()`, `plot(which = "mistakes" | "boundary")`.
#' @seealso [gradglm()] with `family = binomial()` for logistic regression;
#'   [mlp()] for networks of such units.
#' @examples
#' d <- iris[iris$Species != "virginica", ]
#' d$Species <- droplevels(d$Species)
#' p <- perceptron(Species ~ Petal.Length + Sepal.Width, data = d)
#' p
#' table(predict(p, d), d$Species)
#' plot(p, which = "boundary")
#' @export
perceptron <- function(formula, data, learning_rate = 1, max_epochs = 100, averaged = FALSE, shuffle = FALSE,
                       subset, na.action = stats::na.omit) {
  fun <- "perceptron"
  call <- match.call()
  if (missing(formula)) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  formula <- model_formula(formula, fun, parent.frame())
  if (length(formula) != 3L) abort(fun, "'formula' must be a model formula such as y ~ x1 + x2")
  if (!is.numeric(learning_rate) || length(learning_rate) != 1L || !is.finite(learning_rate) || learning_rate <= 0) {
    abort(fun, "'learning_rate' must be a positive number")
  }
  check_count(max_epochs, "'max_epochs'", fun)
  for (a in c("averaged", "shuffle")) {
    v <- get(a)
    if (!is.logical(v) || length(v) != 1L || is.na(v)) abort(fun, "'", a, "' must be TRUE or FALSE")
  }
  if (missing(data)) data <- environment(formula)
  mf <- match.call(expand.dots = FALSE)
  mf <- mf[c(1L, match(c("formula", "data", "subset"), names(mf), 0L))]
  mf$na.action <- na.action
  mf$drop.unused.levels <- TRUE
  mf[[1L]] <- quote(stats::model.frame)
  mf <- tryCatch(eval(mf, parent.frame()), error = function(e) {
    abort(fun, "could not build the model frame: ", conditionMessage(e))
  })
  mt <- attr(mf, "terms")
  cls <- perceptron_classes(stats::model.response(mf, "any"), fun)
  X <- stats::model.matrix(mt, mf)
  if (!ncol(X)) abort(fun, "the model has no columns (an empty right-hand side without an intercept)")
  if (!all(is.finite(X))) abort(fun, "the model matrix has non-finite values")
  n <- nrow(X)
  if (n == 0L) abort(fun, "there are no observations (after removing rows with missing values)")
  # A row whose columns are all 0 (possible without an intercept) has score
  # x'b = 0 whatever b: a mistake of the rule (y x'b <= 0) whose step is 0, so
  # the rule can never correct it, although the engine, seeing no step, would
  # count no mistake there and report convergence.
  zero <- rowSums(X != 0) == 0
  if (all(zero)) {
    abort(fun, "every row of the model matrix is 0, so the score x'b is 0 whatever the coefficients and no ",
          "rule classifies any row; add an intercept or columns that vary")
  }
  y01 <- as.numeric(cls$y > 0)
  res <- fit_perceptron(list(designs = list(X), block_design = 0L, block_m = 1L, y = y01, weights = rep(1, n),
                             offsets = list(NULL), likelihood = list(type = "glm", dist = dist_codes[["binomial"]], link = link_codes[["logit"]]),
                             start = numeric(ncol(X)), learning_rate = as.double(learning_rate),
                             max_epochs = as.integer(max_epochs), averaged = averaged, shuffle = shuffle))
  if (!all(is.finite(res$coefficients))) {
    # (from the zero start the classes do not depend on the rate: it scales every weight)
    abort(fun, "the weights overflowed a double with learning_rate = ", format(learning_rate),
          "; from the zero start the rate only scales the weights, so learning_rate = 1 gives the same classes")
  }
  if (any(zero)) {
    warn(fun, sum(zero), " row", if (sum(zero) > 1) "s" else "", " (", quote_some(rownames(X)[zero]), ") ",
         if (sum(zero) > 1) "have" else "has", " every column 0, so ", if (sum(zero) > 1) "their" else "its",
         " score x'b is 0 whatever the coefficients: a mistake that Rosenblatt's rule cannot correct (its step is ",
         "0), so the fit has not converged; add an intercept (the formula has '0 +' or '- 1')")
    res$converged <- FALSE
    res$mistakes <- res$mistakes + sum(zero)
  }
  coef <- stats::setNames(res$coefficients, colnames(X))
  scores <- stats::setNames(res$scores, rownames(X))
  structure(list(coefficients = coef, mistakes = res$mistakes, converged = res$converged, epochs = res$epochs,
                 scores = scores, criterion = res$criterion * n,
                 fitted.values = perceptron_label(scores, cls$levels),
                 levels = cls$levels, learning_rate = learning_rate, averaged = averaged, shuffle = shuffle,
                 terms = mt, xlevels = stats::.getXlevels(mt, mf), contrasts = attr(X, "contrasts"),
                 x = X, y = cls$y, na.action = attr(mf, "na.action"), call = call),
            class = "gradglm_perceptron")
}

# the response as -1 / +1 and the names of the two classes (negative, positive)
perceptron_classes <- function(y, fun) {
  if (is.null(y)) abort(fun, "'formula' has no response")
  if (is.atomic(y) && !is.matrix(y) && length(unique(y[!is.na(y)])) == 1L) {
    abort(fun, "the response has one class only ('", format(y[!is.na(y)][1L]), "'); a perceptron separates two")
  }
  if (is.factor(y) || is.character(y)) {
    y <- factor(y)
    if (nlevels(y) != 2L) {
      abort(fun, "the response must have two classes; it has ", nlevels(y), " (", paste(levels(y), collapse = ", "),
            ")")
    }
    return(list(y = ifelse(as.integer(y) == 2L, 1, -1), levels = levels(y)))
  }
  if (is.logical(y)) return(list(y = ifelse(y, 1, -1), levels = c("FALSE", "TRUE")))
  if (is.numeric(y) && !is.matrix(y)) {
    u <- sort(unique(y))
    if (all(u %in% c(0, 1))) return(list(y = ifelse(y == 1, 1, -1), levels = c("0", "1")))
    if (all(u %in% c(-1, 1))) return(list(y = y, levels = c("-1", "1")))
  }
  abort(fun, "the response must have two classes: a two-level factor, a logical, or numbers 0 / 1 or -1 / +1")
}

perceptron_label <- function(scores, levels) {
  factor(ifelse(scores > 0, levels[2L], levels[1L]), levels = levels)
}

#' @export
print.gradglm_perceptron <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat("\nPerceptron", if (x$averaged) " (averaged)", ": classes ", x$levels[1L], " (-1) and ", x$levels[2L],
      " (+1)\n", sep = "")
  cat("\nCoefficients:\n")
  print.default(format(x$coefficients, digits = digits), print.gap = 2L, quote = FALSE)
  m <- x$mistakes
  shown <- if (length(m) > 12L) c(utils::head(m, 6L), NA, utils::tail(m, 5L)) else m
  cat("\nMistakes per epoch: ", paste(ifelse(is.na(shown), "...", format(shown)), collapse = " "), "\n", sep = "")
  cat(if (x$converged) {
    paste0("Converged: no mistake in epoch ", x$epochs, " (", sum(m), " mistakes in all)")
  } else {
    paste0("Did NOT converge in ", x$epochs, " epochs: the classes may not be linearly separable")
  }, "\n", sep = "")
  cat("Training errors of the reported coefficients: ", sum(x$fitted.values != x$levels[1L + (x$y > 0)]), " of ",
      length(x$y), "\n\n", sep = "")
  invisible(x)
}

#' @export
coef.gradglm_perceptron <- function(object, ...) object$coefficients

#' @importFrom stats nobs
#' @export
nobs.gradglm_perceptron <- function(object, ...) length(object$y)

#' @export
logLik.gradglm_perceptron <- function(object, ...) {
  abort("logLik.gradglm_perceptron", "a perceptron has no likelihood: it counts mistakes; ",
        "for a likelihood fit the same formula by gradglm(family = binomial())")
}

#' Predictions of a perceptron
#'
#' @param object A fit by [perceptron()].
#' @param newdata A data frame; `NULL` for the rows of the fit.
#' @param type `"class"` (a factor with the response's two classes) or
#'   `"score"` (`x'b`, positive for the second class).
#' @param ... Unused.
#' @return A factor or a numeric vector, one value per row.
#' @export
predict.gradglm_perceptron <- function(object, newdata = NULL, type = c("class", "score"), ...) {
  type <- .pick_arg(type, c("class", "score"), "type", "predict.gradglm_perceptron")
  if (is.null(newdata)) {
    s <- stats::napredict(object$na.action, object$scores)  # (NA for the rows na.exclude left out)
  } else {
    if (!is.data.frame(newdata)) abort("predict.gradglm_perceptron", "'newdata' must be a data frame")
    tt <- stats::delete.response(object$terms)
    mf <- tryCatch(stats::model.frame(tt, newdata, xlev = object$xlevels, na.action = stats::na.pass),
                   error = function(e) abort("predict.gradglm_perceptron", "could not use 'newdata': ",
                                             conditionMessage(e)))
    X <- stats::model.matrix(tt, mf, contrasts.arg = object$contrasts)
    s <- drop(X %*% object$coefficients)
  }
  if (type == "score") s else perceptron_label(s, object$levels)
}

#' Plot a perceptron: mistakes per epoch, or its decision boundary
#'
#' @param x A fit by [perceptron()].
#' @param which `"mistakes"` (the number of mistakes in each epoch) or
#'   `"boundary"` (the rows of a model with two predictors and an intercept,
#'   coloured by class, and the line `x'b = 0`).
#' @param ... Graphical parameters.
#' @return `x`, invisibly.
#' @export
plot.gradglm_perceptron <- function(x, which = c("mistakes", "boundary"), ...) {
  which <- .plot_which(if (missing(which)) "mistakes" else which, c("mistakes", "boundary"),
                       "plot.gradglm_perceptron", several = FALSE)
  if (which == "mistakes") {
    graphics::plot(seq_along(x$mistakes), x$mistakes, type = "b", pch = 19, cex = 0.6, xlab = "Epoch",
                   ylab = "Mistakes", main = "Perceptron: mistakes per epoch", ...)
    graphics::abline(h = 0, col = "grey70", lty = 3)
    return(invisible(x))
  }
  cf <- x$coefficients
  vars <- setdiff(names(cf), "(Intercept)")
  if (length(vars) != 2L || !all(vars %in% colnames(x$x))) {
    abort("plot.gradglm_perceptron", "which = \"boundary\" needs a model with two numeric predictors")
  }
  b0 <- if ("(Intercept)" %in% names(cf)) cf[["(Intercept)"]] else 0
  cols <- ifelse(x$y > 0, "#D55E00", "#0072B2")
  graphics::plot(x$x[, vars[1L]], x$x[, vars[2L]], col = cols, pch = ifelse(x$y > 0, 17, 19), xlab = vars[1L],
                 ylab = vars[2L], main = "Perceptron: decision boundary", ...)
  b <- cf[vars]
  if (b[[2L]] != 0) {
    graphics::abline(a = -b0 / b[[2L]], b = -b[[1L]] / b[[2L]], lwd = 2)
  } else if (b[[1L]] != 0) {
    graphics::abline(v = -b0 / b[[1L]], lwd = 2)
  }
  graphics::legend("topright", legend = x$levels, col = c("#0072B2", "#D55E00"), pch = c(19, 17), bty = "n")
  invisible(x)
}
