# anova() for fitted "gradglm" objects: analysis of deviance for a sequence
# of nested models, or for the terms of one model added one at a time.

#' Analysis of deviance for gradglm fits
#'
#' With two or more fitted models, compares them in the order given by
#' likelihood-ratio (deviance) tests: each row after the first shows the
#' change in residual degrees of freedom and in deviance from the row above
#' it, and the test compares that change in deviance, divided by the
#' dispersion of the largest model, with a chi-squared distribution (or, for
#' `test = "F"`, forms an F statistic). The models must be nested, fitted to
#' the same observations, with the same family; the function checks what it
#' can (same response, family and number of observations) but nesting is the
#' caller's responsibility.
#'
#' With a single model fitted by [gradglm()], the terms of its formula are
#' added one at a time, from first to last, and the table shows the
#' reduction in deviance each brings (the sub-models are refitted with
#' [gradglm_fit()] on the leading columns of the design matrix).
#'
#' The numbers are those of [stats::anova.glm()] with the same `test`. When
#' the dispersion is estimated (gaussian, Gamma, inverse.gaussian and the
#' quasi-families: Pearson's estimate) the F test uses the
#' residual degrees of freedom of the largest model for the denominator; when
#' it is known (binomial, Poisson, or given as `dispersion`) the denominator
#' degrees of freedom are infinite.
#'
#' When one of the models has several parameter blocks (a distributional,
#' multinomial, ordinal or multi-response fit, `kind = "likelihood"`), the
#' models are compared by likelihood-ratio tests instead: each row shows the
#' residual degrees of freedom (observations minus parameters), `-2 logLik`,
#' the change in the number of parameters and the likelihood-ratio statistic
#' with its chi-squared p-value. Classical Gaussian fits can take part (their
#' log-likelihood counts the scale), with a location-scale fit only when
#' their prior weights are 0 and 1 (glm's weights are precisions, a `sigma`
#' model's frequencies); models of different families are not
#' nested and get no p-value. A single such model gets the same table for
#' the terms of its formula added one at a time (each smaller model refitted
#' from the fit's call, its `sigma` model, and `df` or `theta` estimated or
#' fixed, as in the fit); every refit must use the same observations. The F
#' and score tests do not apply.
#'
#' @param object A fitted model of class `"gradglm"`.
#' @param ... Further fitted `"gradglm"` models to compare with `object`.
#' @param test The test statistic: `"Chisq"` (likelihood-ratio test; `"LRT"`
#'   is a synonym), `"Rao"` (the score test, as glm's: a
#'   column `Rao` of statistics from the smaller model's working residuals
#'   and weights, with chi-squared p-values), `"F"`, `"Cp"` (a column of
#'   Mallows' Cp, the residual deviance plus twice the dispersion times the
#'   number of coefficients, as glm's), or `"none"` (or `NULL`/`FALSE`) for
#'   no test. By default, as glm's since R 4.4.0: `"Chisq"` where the
#'   dispersion is known (binomial, Poisson, negative binomial, or given as
#'   `dispersion`) and `"F"` where it is estimated; likelihood-ratio tests
#'   (`"Chisq"`) for models with several parameter blocks.
#' @param dispersion The dispersion used to scale deviance differences. If
#'   `NULL`, the one [summary.gradglm()] uses for the largest model.
#' @return An object of class `c("anova", "data.frame")` with columns
#'   `Resid. Df`, `Resid. Dev`, `Df`, `Deviance` (for a single model: `Df`,
#'   `Deviance`, `Resid. Df`, `Resid. Dev`) and, when a test is asked for,
#'   `Pr(>Chi)` or `F` and `Pr(>F)`. It prints as an analysis of deviance
#'   table.
#' @seealso [summary.gradglm()], [logLik.gradglm()][gradglm-extract].
#' @examples
#' fit0 <- gradglm(breaks ~ wool, data = warpbreaks, family = poisson())
#' fit1 <- gradglm(breaks ~ wool + tension, data = warpbreaks,
#'                 family = poisson())
#' fit2 <- gradglm(breaks ~ wool * tension, data = warpbreaks,
#'                 family = poisson())
#' anova(fit0, fit1, fit2)
#'
#' # Terms added sequentially
#' anova(fit2)
#'
#' # A Student-t model: likelihood-ratio tests of its terms, added in turn
#' anova(gradglm(mpg ~ wt + hp + qsec, data = mtcars, family = student_t(df = 4)))
#'
#' # Gaussian models: F test with the estimated dispersion
#' g0 <- gradglm(mpg ~ wt, data = mtcars)
#' g1 <- gradglm(mpg ~ wt + hp + qsec, data = mtcars)
#' anova(g0, g1, test = "F")
#' @importFrom stats anova
#' @export
anova.gradglm <- function(object, ..., test, dispersion = NULL) {
  check_gradglm(object, "anova.gradglm")
  for (f in list(...)) if (inherits(f, "gradglm")) check_gradglm(f, "anova.gradglm", "...")
  stop_if_penalised(object, "anova.gradglm")
  fits <- list(object, ...)
  if (length(fits) == 1L) stop_if_network(object, "anova.gradglm", "an analysis of deviance by terms")
  # (a network in '...' as well: before, anova(glm_fit, network_fit) printed
  # a chi-squared test whose reference does not hold)
  net <- which(vapply(fits, function(f) inherits(f, "gradglm") && is_network_fit(f), NA))
  if (length(net)) {
    abort("anova.gradglm", "a likelihood-ratio test is not available for a network (model = mlp(); model ",
          net[1L], " of the comparison): its weights are not identified (the hidden units can be permuted), ",
          "so the test's chi-squared reference does not hold; compare the models on held-out data ",
          "(evaluate(), cv_compare()) or by AIC()")
  }
  if (!all(vapply(fits, function(f) inherits(f, "gradglm") && is_glm_fit(f), NA)) &&
      any(vapply(fits, function(f) inherits(f, "gradglm") && !is_glm_fit(f), NA))) {
    return(.lik_anova(fits, if (missing(test)) "Chisq" else test))  # likelihood-ratio tests
  }
  # (by default, as glm's since R 4.4: chi-squared where the dispersion is
  # known, F where it is estimated)
  if (missing(test)) {
    test <- if (!is.null(dispersion) || .methods_fixed_dispersion(object$family)) "Chisq" else "F"
  }
  dots <- list(...)
  is_fit <- vapply(dots, inherits, logical(1), what = "gradglm")
  if (length(dots) && !all(is_fit)) {
    bad <- names(dots)[!is_fit]
    bad <- if (length(bad) && any(nzchar(bad))) {
      paste0(" (argument(s) ", paste0("'", bad[nzchar(bad)], "'", collapse = ", "), ")")
    } else {
      ""
    }
    stop("anova.gradglm: every model given in '...' must be a gradglm fit",
         bad, call. = FALSE)
  }
  test <- .methods_anova_test(test)
  if (length(dots)) {
    return(.methods_anova_list(c(list(object), dots), test, dispersion))
  }
  .methods_anova_terms(object, test, dispersion)
}

# Normalise the 'test' argument to "Chisq", "F" or "none".
.methods_anova_test <- function(test) {
  if (is.null(test) || isFALSE(test)) {
    return("none")
  }
  if (!is.character(test) || length(test) != 1L || is.na(test)) {
    stop("anova.gradglm: 'test' must be one of \"Chisq\", \"LRT\", \"Rao\", \"F\", \"Cp\" ",
         "or \"none\"", call. = FALSE)
  }
  ok <- c("Chisq", "LRT", "Rao", "F", "Cp", "none")
  hit <- ok[tolower(ok) == tolower(test)]
  if (!length(hit)) {
    stop("anova.gradglm: unknown 'test' \"", test, "\"; use one of ",
         "\"Chisq\", \"LRT\", \"Rao\", \"F\", \"Cp\" or \"none\"", call. = FALSE)
  }
  if (hit == "LRT") "Chisq" else hit
}

# Add the test columns to a deviance table (its columns Df, Deviance or Rao,
# and Resid. Df and Resid. Dev); n: the rows of the data (for Cp)
.methods_anova_add_test <- function(tab, test, scale, df_scale, family, n = NA) {
  if (test == "none") {
    return(tab)
  }
  if (test == "Cp") {
    # Mallows' Cp, as glm's: the residual deviance plus twice the dispersion
    # times the model's number of coefficients
    tab[["Cp"]] <- tab[["Resid. Dev"]] + 2 * scale * (n - tab[["Resid. Df"]])
    return(tab)
  }
  dfs <- tab[["Df"]]
  dev <- tab[[if (test == "Rao") "Rao" else "Deviance"]]
  if (test %in% c("Chisq", "Rao")) {
    tab[["Pr(>Chi)"]] <- .chisq_pvalues(dev / scale, dfs)
  } else {
    if (.methods_fixed_dispersion(family)) {
      warning("anova.gradglm: the F test is not appropriate for the '",
              family$family, "' family, whose dispersion is known; ",
              "use test = \"Chisq\"", call. = FALSE)
    }
    fval <- dev / dfs / scale
    fval[dfs %in% 0] <- NA
    fval[!is.na(fval) & fval < 0] <- NA
    tab[["F"]] <- fval
    tab[["Pr(>F)"]] <- stats::pf(fval, abs(dfs), df_scale, lower.tail = FALSE)
  }
  tab
}

# Chi-squared p-values of changes `stat` (in deviance or -2 logLik) with
# `dfs` parameters, oriented so that the bigger model gives a positive
# statistic whichever order the models were listed in; NA for no change in
# the parameters or a statistic of the wrong sign.
.chisq_pvalues <- function(stat, dfs) {
  stat <- stat * sign(dfs)
  stat[dfs %in% 0] <- NA
  stat[!is.na(stat) & stat < 0] <- NA
  stats::pchisq(stat, abs(dfs), lower.tail = FALSE)
}

# Dispersion and its degrees of freedom, from the largest model.
.methods_anova_scale <- function(big, dispersion) {
  if (is.null(dispersion)) {
    scale <- .methods_dispersion(big)
    df_scale <- if (.methods_fixed_dispersion(big$family)) Inf else big$df.residual
  } else {
    if (!is.numeric(dispersion) || length(dispersion) != 1L ||
        is.na(dispersion) || dispersion <= 0) {
      stop("anova.gradglm: 'dispersion' must be a single positive number",
           call. = FALSE)
    }
    scale <- dispersion
    df_scale <- Inf
  }
  list(scale = scale, df = df_scale)
}

.methods_describe_family <- function(family) {
  paste0(family$family, ", link: ", family$link)
}

# Several nested models.
.methods_anova_list <- function(fits, test, dispersion) {
  k <- length(fits)
  fam <- lapply(fits, function(f) f$family)
  fam_id <- vapply(fam, .methods_describe_family, character(1))
  if (length(unique(fam_id)) > 1L) {
    stop("anova.gradglm: all models must have the same family and link; got ",
         paste(unique(fam_id), collapse = " / "), call. = FALSE)
  }
  n <- vapply(fits, function(f) as.numeric(stats::nobs(f)), numeric(1))
  if (any(n != n[1L])) {
    stop("anova.gradglm: the models were not all fitted to the same number ",
         "of observations (", paste(n, collapse = ", "), ")", call. = FALSE)
  }
  resp <- vapply(fits, .methods_response_label, character(1))
  if (!anyNA(resp) && length(unique(resp)) > 1L) {
    stop("anova.gradglm: the models have different responses (",
         paste(unique(resp), collapse = ", "), ")", call. = FALSE)
  }

  resdf <- vapply(fits, function(f) as.numeric(f$df.residual), numeric(1))
  # an estimated theta differs between the models, and so do their
  # deviances' scales: the likelihood-ratio statistic compares them
  estimated <- vapply(fits, function(f) isTRUE(f$family$theta_estimated), NA)
  theta_estimated <- any(estimated)
  if (theta_estimated && test %in% c("F", "Rao", "Cp")) {
    stop("anova.gradglm: the ", test, " test does not apply to negative binomial models with an estimated theta; ",
         "use test = \"Chisq\" (likelihood-ratio tests)", call. = FALSE)
  }
  resdev <- vapply(fits, function(f) {
    if (theta_estimated) -2 * as.numeric(stats::logLik(f)) else as.numeric(f$deviance)
  }, numeric(1))
  tab <- data.frame(
    resdf, resdev,
    c(NA, -diff(resdf)),
    c(NA, -diff(resdev)),
    check.names = FALSE
  )
  names(tab) <- c("Resid. Df", "Resid. Dev", "Df", "Deviance")
  row.names(tab) <- seq_len(k)
  if (test == "Rao") {
    # each model against the one before it: the smaller one's working
    # residuals and weights on the larger one's design
    rao <- c(NA, vapply(seq_len(k - 1L), function(i) {
      small <- if (resdf[i] >= resdf[i + 1L]) fits[[i]] else fits[[i + 1L]]
      large <- if (resdf[i] >= resdf[i + 1L]) fits[[i + 1L]] else fits[[i]]
      X <- tryCatch(stats::model.matrix(large), error = function(e) {
        stop("anova.gradglm: the score test needs the larger model's design matrix: ", conditionMessage(e),
             call. = FALSE)
      })
      .select_check_design(large, X, NULL, "anova.gradglm")
      s <- .rao_score(small$residuals, small$weights, X, isTRUE(large$intercept))
      if (resdf[i] < resdf[i + 1L]) -s else s
    }, 0))
    tab[["Rao"]] <- rao
  }
  if (theta_estimated) {
    # (the degrees of freedom of the likelihoods: an estimated theta is one
    # more parameter, which the residual degrees of freedom do not count)
    ll_df <- vapply(fits, function(f) as.numeric(attr(stats::logLik(f), "df")), numeric(1))
    tab[["Df"]] <- c(NA, diff(ll_df))
    tab <- .methods_anova_add_test(tab, test, 1, Inf, fam[[1L]])
    names(tab)[2L] <- "-2 logLik"
    names(tab)[4L] <- "LR stat."
    tab <- cbind(theta = vapply(fits, function(f) f$family$theta, numeric(1)), tab)
    which_theta <- if (all(estimated)) "theta estimated in each model" else {
      paste0("theta estimated in model", if (sum(estimated) > 1L) "s", " ", paste(which(estimated), collapse = ", "),
             ", fixed in model", if (sum(!estimated) > 1L) "s", " ", paste(which(!estimated), collapse = ", "))
    }
    return(structure(tab, heading = c(paste0("Likelihood-ratio tests (", which_theta, ")\n"),
                                      paste0(paste(.methods_anova_labels(fits), collapse = "\n"), "\n")),
                     class = c("anova", "data.frame")))
  }

  big <- fits[[order(resdf)[1L]]]
  sc <- .methods_anova_scale(big, dispersion)
  tab <- .methods_anova_add_test(tab, test, sc$scale, sc$df, fam[[1L]], .methods_anova_rows(big))

  # (as anova.glm's: the last model's line runs straight into the table)
  heading <- c("Analysis of Deviance Table\n", paste(.methods_anova_labels(fits), collapse = "\n"))
  structure(tab, heading = heading, class = c("anova", "data.frame"))
}

# the rows of a fit's data, those of zero weight too (as glm's Cp counts them)
.methods_anova_rows <- function(fit) {
  if (is_source_fit(fit)) return(fit$source$rows)
  r <- fit$residuals
  if (is.null(r)) stop("anova.gradglm: Cp needs the fit's rows (its residuals)", call. = FALSE)
  NROW(r)
}

# "Model i: <formula>" for each fit
.methods_anova_labels <- function(fits) {
  vapply(seq_along(fits), function(i) {
    f <- fits[[i]]
    lab <- if (!is.null(f$terms) || !is.null(f$formula)) {
      paste(deparse(stats::formula(f), width.cutoff = 500L), collapse = " ")
    } else {
      paste0("<gradglm_fit with ", length(f$coefficients), " coefficients>")
    }
    paste0("Model ", i, ": ", lab)
  }, character(1))
}

# The response as text, or NA when the fit has no formula.
.methods_response_label <- function(fit) {
  tt <- fit$terms
  if (is.null(tt) || attr(tt, "response") == 0L) {
    return(NA_character_)
  }
  vars <- attr(tt, "variables")
  paste(deparse(vars[[attr(tt, "response") + 1L]]), collapse = " ")
}

# One model: add the terms one at a time.
.methods_anova_terms <- function(object, test, dispersion) {
  if (is.null(object$terms)) {
    stop("anova.gradglm: a single model must come from gradglm() (it needs ",
         "the model's terms); to compare fits from gradglm_fit() give two ",
         "or more models", call. = FALSE)
  }
  if (isTRUE(object$family$theta_estimated)) {
    warning("anova.gradglm: the tests hold theta at this model's estimate (", format(signif(object$family$theta, 4)),
            "); for likelihood-ratio tests that estimate it in each model, compare fits: anova(fit0, fit1)",
            call. = FALSE)
  }
  tt <- object$terms
  term_labels <- attr(tt, "term.labels")
  nterms <- length(term_labels)

  resdf <- object$df.null
  resdev <- object$null.deviance
  subs <- list()
  if (is_source_fit(object) && nterms > 1L) {
    # (a fit from a chunked source: each smaller model is fitted from the source again)
    if (test == "Rao") {
      stop("anova.gradglm: the score (Rao) test needs the rows' working residuals, which a fit from a chunked ",
           "source does not keep; use test = \"Chisq\" or \"F\"", call. = FALSE)
    }
    for (i in seq_len(nterms - 1L)) {
      sub <- .select_source_refit(object, term_labels[-seq_len(i)], "anova.gradglm")
      resdf <- c(resdf, sub$df.residual)
      resdev <- c(resdev, sub$deviance)
    }
  } else if (nterms > 1L || (test == "Rao" && nterms > 0L)) {
    X <- .select_design(object, "anova.gradglm")
    assign <- attr(X, "assign")
    if (is.null(assign)) {
      stop("anova.gradglm: the design matrix has no 'assign' attribute, so ",
           "its columns cannot be matched to terms", call. = FALSE)
    }
    # (recovered inside the family's support when the fit did not keep it)
    y <- .select_response(object)
    wts <- object$prior.weights
    off <- object$offset
    for (i in seq_len(nterms - 1L)) {
      cols <- assign <= i
      sub <- gradglm_fit(
        X[, cols, drop = FALSE], y, weights = wts, offset = off,
        family = object$family, optimizer = .methods_refit_optimizer(object),
        control = .methods_refit_control(object)
      )
      resdf <- c(resdf, sub$df.residual)
      resdev <- c(resdev, sub$deviance)
      if (test == "Rao") subs[[i]] <- sub
    }
  }
  rao <- if (test == "Rao" && nterms > 0L) .methods_anova_rao_terms(object, X, subs, nterms)
  if (nterms > 0L) {
    resdf <- c(resdf, object$df.residual)
    resdev <- c(resdev, object$deviance)
  }

  tab <- data.frame(
    c(NA, -diff(resdf)),
    c(NA, pmax(0, -diff(resdev))),
    resdf, resdev,
    check.names = FALSE
  )
  names(tab) <- c("Df", "Deviance", "Resid. Df", "Resid. Dev")
  row.names(tab) <- c("NULL", term_labels)
  if (test == "Rao") tab[["Rao"]] <- c(NA, rao)

  sc <- .methods_anova_scale(object, dispersion)
  tab <- .methods_anova_add_test(tab, test, sc$scale, sc$df, object$family, .methods_anova_rows(object))

  heading <- paste0(
    "Analysis of Deviance Table\n\nModel: ",
    .methods_describe_family(object$family),
    "\n\nResponse: ", .methods_response_label(object),
    "\n\nTerms added sequentially (first to last)\n\n"
  )
  structure(tab, heading = heading, class = c("anova", "data.frame"))
}

# Sub-models are refitted by an exact route: the optimizer of the full fit
# when it is one ("exact", "newton", "lbfgs"); the first-order ones ("gd",
# "sgd", "adam") are replaced by "auto", whose fit is exact.
.methods_refit_optimizer <- function(object) {
  opt <- object$optimizer
  if (is.null(opt) || opt %in% c("gd", "sgd", "adam", "cd")) "auto" else opt
}

.methods_refit_control <- function(object) {
  ctl <- object$control
  if (is.null(ctl) || .methods_refit_optimizer(object) != object$optimizer) gradglm_control() else ctl
}

# The score (Rao) statistic of adding columns: the weighted sum of squares of
# the smaller model's working residuals r (weights w, its working weights)
# explained by the larger design X, beyond the intercept when the larger
# model has one (as glm's anova() computes it by a weighted least-squares fit)
.rao_score <- function(r, w, X, intercept) {
  ok <- !is.na(r) & w > 0
  r <- r[ok]
  w <- w[ok]
  ss0 <- if (intercept) sum(w * (r - sum(w * r) / sum(w))^2) else sum(w * r^2)
  if (!ncol(X)) return(0)
  ss1 <- sum(w * stats::lm.wfit(X[ok, , drop = FALSE], r, w)$residuals^2)
  ss0 - ss1
}

# Sequential score statistics of a GLM's terms: term i against the model of
# the terms before it (`subs`: the refits of terms 1 .. i, the null model
# computed here), on the design X's columns of terms 1 .. i
.methods_anova_rao_terms <- function(object, X, subs, nterms) {
  assign <- attr(X, "assign")
  intercept <- attr(object$terms, "intercept") > 0L
  y <- .select_response(object)
  wts <- object$prior.weights
  # the null model's working residuals and weights (at the offset alone
  # without an intercept)
  null <- .select_glm_refit(object, X[, assign == 0L, drop = FALSE], y, wts, object$offset)
  r <- null$residuals
  w <- null$weights
  vapply(seq_len(nterms), function(i) {
    s <- .rao_score(r, w, X[, assign <= i, drop = FALSE], intercept)
    if (i < nterms) {
      r <<- subs[[i]]$residuals
      w <<- subs[[i]]$weights
    }
    s
  }, 0)
}
