# The methods' branch for fits of kind "likelihood": several parameter blocks
# (a location model, a linear model of log(sigma) and log(df); the classes of
# a multinomial model; the location and cut-points of an ordinal model),
# fitted jointly by maximum likelihood. Inference is Wald (the joint inverse
# information) and likelihood-ratio; nothing here uses a dispersion. The
# generic methods (print, summary, residuals, predict, plot, anova in
# R/methods-*.R) call these helpers for such fits; they work from the fit's
# blocks.

# ---------------------------------------------------------------------------
# print()

.lik_print <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  if (!is.null(x$call)) {
    cat("\nCall:  ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  cat("\n", .lik_family_line(x, digits), "\n", sep = "")
  cf <- x$coefficients
  for (b in x$blocks) {
    if (!isTRUE(b$split)) {
      .lik_print_coefs(.lik_block_title(x, b), .lik_strip(cf[b$coef], b), digits)
    } else {
      cat("\n", .lik_block_title(x, b), ":\n", sep = "")
      m <- .lik_coef_matrix(x, b)
      # (right-justified: the column names over their numbers)
      if (length(m)) print.default(format(m, digits = digits), print.gap = 2L, quote = FALSE, right = TRUE) else
        cat("(none)\n")
    }
  }
  nat <- .lik_natural_values(x)
  if (length(nat)) {
    cat("\nOn the natural scale: ",
        paste0(names(nat), " = ", vapply(nat, function(v) format(signif(v, digits)), ""), collapse = ", "),
        "\n", sep = "")
  }
  ll <- logLik.gradglm(x)
  # (two more digits than the coefficients', as summary() prints it: -1739.6, not -1740)
  cat("\nLog-likelihood: ", format(signif(as.numeric(ll), digits + 2L)),
      " (df = ", attr(ll, "df"), ")\tAIC: ",
      format(signif(-2 * as.numeric(ll) + 2 * attr(ll, "df"), digits + 2L)), "\n", sep = "")
  cat("Observations: ", nobs.gradglm(x), "; residual degrees of freedom: ", x$df.residual, "\n", sep = "")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat(.methods_fit_line(x), "\n", sep = "")
  .methods_penalty_line(x$penalty)
  .lik_print_message(x)
  cat("\n")
  invisible(x)
}

# ---------------------------------------------------------------------------
# summary()

.lik_summary <- function(object, correlation = FALSE, ...) {
  cf <- object$coefficients
  aliased <- .methods_aliased(object)
  V <- vcov.gradglm(object, complete = FALSE)
  est <- cf[!aliased]
  dv <- diag(V)
  se <- ifelse(is.finite(dv) & dv >= 0, sqrt(pmax(dv, 0)), NaN)
  stat <- est / se
  t_df <- object$t_df
  if (is.null(t_df)) {
    cn <- c("Estimate", "Std. Error", "z value", "Pr(>|z|)")
    tab <- cbind(est, se, stat, 2 * stats::pnorm(-abs(stat)))
  } else {
    # a dispersion estimated from the residuals (several Gaussian responses): t tests
    cn <- c("Estimate", "Std. Error", "t value", "Pr(>|t|)")
    tab <- cbind(est, se, stat, 2 * stats::pt(-abs(stat), t_df))
  }
  dimnames(tab) <- list(names(est), cn)

  # the table of one block, aliased rows put back as NA, its prefix dropped
  part <- function(b) {
    idx <- b$coef
    nm <- names(cf)[idx]
    out <- matrix(NA_real_, length(idx), 4L, dimnames = list(nm, cn))
    ok <- nm[!aliased[idx]]
    out[ok, ] <- tab[ok, , drop = FALSE]
    rownames(out) <- .lik_strip(nm, b)
    out
  }
  # one table per block, or per output of a split block
  tables <- list()
  for (b in object$blocks) {
    tb <- part(b)
    if (isTRUE(b$split)) {
      p <- length(b$columns)
      for (k in seq_along(b$outputs)) {
        t_k <- tb[(k - 1L) * p + seq_len(p), , drop = FALSE]
        rownames(t_k) <- b$columns
        tables[[length(tables) + 1L]] <- list(title = b$output_titles[k], table = t_k)
      }
    } else {
      tables[[length(tables) + 1L]] <- list(title = .lik_block_title(object, b, TRUE), table = tb)
    }
  }
  ll <- logLik.gradglm(object)
  ans <- list(
    call = object$call, family = object$family, kind = object$kind,
    df = object$df, df_estimated = isTRUE(object$df_estimated),
    sigma_label = .lik_sigma_label(object), coefficients = tab,
    blocks = object$blocks, tables = tables,
    natural = .lik_natural_table(object, V), aliased = aliased, cov.unscaled = V,
    loglik = as.numeric(ll), npar = attr(ll, "df"), aic = -2 * as.numeric(ll) + 2 * attr(ll, "df"),
    nobs = nobs.gradglm(object), df.residual = object$df.residual, na.action = object$na.action,
    optimizer = object$optimizer, iter = object$iter, converged = object$converged,
    message = object$message)
  for (b in object$blocks) ans[[b$name]] <- part(b)
  if (isTRUE(correlation)) {
    sd <- sqrt(diag(V))
    ans$correlation <- V / outer(sd, sd)
  }
  class(ans) <- "summary.gradglm"
  ans
}

.lik_print_summary <- function(x, digits = max(3L, getOption("digits") - 3L),
                               signif.stars = getOption("show.signif.stars"), ...) {
  if (!is.null(x$call)) {
    cat("\nCall:\n", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  }
  cat("\n", .lik_family_line(x, digits), "\n", sep = "")
  any_stars <- isTRUE(signif.stars) && any(x$coefficients[, 4L] < 0.1, na.rm = TRUE)
  for (entry in x$tables) {
    tab <- entry$table
    n_alias <- sum(is.na(tab[, 1L]))
    if (n_alias && !is.null(x$penalty)) tab[is.na(tab[, 1L]), 1L] <- 0  # not selected: 0
    cat("\n", entry$title, if (n_alias) {
      if (is.null(x$penalty)) paste0(" (", n_alias, " not defined because of singularities)") else
        paste0(" (", n_alias, " set to 0 at this lambda: not selected)")
    }, ":\n", sep = "")
    if (nrow(tab)) {
      stats::printCoefmat(tab, digits = digits, signif.stars = signif.stars,
                          signif.legend = FALSE, na.print = "NA", ...)
    } else {
      cat("(none)\n")
    }
  }
  if (any_stars) {
    # one legend for all the tables, as printCoefmat() would print it
    leg <- attr(stats::symnum(0.5, corr = FALSE, na = FALSE,
                              cutpoints = c(0, 0.001, 0.01, 0.05, 0.1, 1),
                              symbols = c("***", "**", "*", ".", " ")), "legend")
    cat("---\nSignif. codes:  ", leg, "\n", sep = "")
  }
  nat <- x$natural
  if (!is.null(nat)) {
    cat("\nOn the natural scale (delta-method standard errors):\n")
    print.default(format(nat, digits = digits), quote = FALSE, right = TRUE, print.gap = 2L)
  }
  if (!is.null(x$df) && !isTRUE(x$df_estimated)) {
    cat("\n(Degrees of freedom of the t distribution fixed at ", format(x$df), ")\n", sep = "")
  }
  cat("\nLog-likelihood: ", format(signif(x$loglik, digits + 2L)), " on ", x$npar,
      " parameters,  AIC: ", format(x$aic, digits = max(4L, digits + 1L)), "\n", sep = "")
  cat("Number of observations: ", x$nobs, ";  residual degrees of freedom: ", x$df.residual, "\n", sep = "")
  if (!is.null(x$na.action) && length(x$na.action)) {
    cat("  (", stats::naprint(x$na.action), ")\n", sep = "")
  }
  cat(.methods_fit_line(x), "\n", sep = "")
  .lik_print_message(x)
  .methods_print_correlation(x$correlation, digits)
  cat("\n")
  invisible(x)
}

# ---------------------------------------------------------------------------
# Internal helpers

# the coefficient names of a block without its prefix ("sigma:speed" -> "speed")
.lik_strip <- function(x, b) {
  pre <- b$prefix
  if (is.null(pre) || !nzchar(pre)) return(x)
  if (is.character(x)) return(sub(paste0("^", pre), "", x, fixed = FALSE))
  names(x) <- sub(paste0("^", pre), "", names(x))
  x
}

# the coefficients of a block with several outputs as a matrix, one row per
# output (class, response), one column per design column, as nnet::multinom
# shows them
.lik_coef_matrix <- function(x, b) {
  matrix(x$coefficients[b$coef], nrow = length(b$outputs), byrow = TRUE,
         dimnames = list(b$outputs, b$columns))
}

# "Family: student_t (link: identity), df = 4 (fixed)"
.lik_family_line <- function(x, digits) {
  fam <- x$family
  s <- paste0("Family: ", fam$family, " (link: ", fam$link, ")")
  if (!is.null(x$df)) {
    s <- paste0(s, ", df ", if (isTRUE(x$df_estimated)) {
      paste0("estimated (", paste(format(signif(x$df, digits)), collapse = ", "), ")")
    } else {
      paste0("= ", format(x$df), " (fixed)")
    })
  }
  s
}

# the title of a block's table: the sigma model's names its formula
.lik_block_title <- function(x, b, summary = FALSE) {
  if (identical(b$parameter, "sigma")) return(.lik_sigma_title(.lik_sigma_label(x)))
  if (summary && !is.null(b$summary_title)) b$summary_title else b$title
}

# The sigma model as text: "~ speed", or "~ 1".
.lik_sigma_label <- function(x) {
  b <- x$blocks$sigma
  if (is.null(b)) return(NULL)
  f <- x$sigma_formula
  if (is.null(f) && !is.null(b$terms)) f <- stats::formula(b$terms)
  if (!is.null(f)) {
    rhs <- f[[length(f)]]
    return(paste("~", paste(deparse(rhs, width.cutoff = 500L), collapse = " ")))
  }
  if (.lik_constant_block(x, b)) "~ 1" else "(design matrix)"
}

# "Sigma model coefficients (log scale, sigma ~ speed)"
.lik_sigma_title <- function(label) {
  if (startsWith(label, "~")) {
    paste0("Sigma model coefficients (log scale, sigma ", label, ")")
  } else {
    "Sigma model coefficients (log scale)"
  }
}

# Is the block a constant (its only column the intercept, a single output)?
.lik_constant_block <- function(x, b) {
  length(b$coef) == 1L && identical(b$columns, "(Intercept)") && !is.na(x$coefficients[b$coef])
}

# Named estimates, on their natural scale, of the log-linked parameters that
# are constants (sigma with sigma ~ 1, an estimated df), for print().
.lik_natural_values <- function(x) {
  out <- numeric(0)
  for (b in x$blocks) {
    if (identical(b$link, "log") && .lik_constant_block(x, b)) out[b$parameter] <- exp(x$coefficients[[b$coef]])
  }
  out
}

# The same with delta-method standard errors, for summary().
.lik_natural_table <- function(x, V) {
  est <- .lik_natural_values(x)
  if (!length(est)) return(NULL)
  nm <- vapply(names(est), function(p) names(x$coefficients)[fit_block(x, p)$coef], "")
  se <- est * sqrt(diag(V)[nm])
  out <- cbind(est, se)
  dimnames(out) <- list(names(est), c("Estimate", "Std. Error"))
  out
}

.lik_print_coefs <- function(title, coefs, digits) {
  cat("\n", title, ":\n", sep = "")
  if (length(coefs)) {
    print.default(format(coefs, digits = digits), print.gap = 2L, quote = FALSE)
  } else {
    cat("(none)\n")
  }
}

# The optimizer's message when the fit did not converge.
.lik_print_message <- function(x) {
  msg <- x$message
  if (!isTRUE(x$converged) && is.character(msg) && length(msg) == 1L && nzchar(msg)) {
    cat("Note: ", msg, "\n", sep = "")
  }
}


# ---------------------------------------------------------------------------
# anova(): likelihood-ratio tests between fits, at least one of them of kind
# "likelihood" (the others glm fits with a free dispersion, whose
# log-likelihood counts their scale)

.lik_anova <- function(fits, test) {
  fun <- "anova.gradglm"
  is_fit <- vapply(fits, inherits, logical(1), what = "gradglm")
  if (!all(is_fit)) {
    abort(fun, "every model must be a gradglm fit (argument(s) ",
          paste(which(!is_fit), collapse = ", "), " are not)")
  }
  test <- .methods_anova_test(test)
  if (test %in% c("F", "Rao", "Cp")) {
    abort(fun, "the ", test, " test does not apply to distributional fits; ",
          "use test = \"Chisq\" (likelihood-ratio test)")
  }
  if (length(fits) < 2L) return(.lik_anova_terms(fits[[1L]], test))
  .lik_anova_lrt(fits, test)
}

# One fit of several parameter blocks: the terms of its location model added
# one at a time, first to last, each row a likelihood-ratio test of the model
# with the terms up to it against the model before it (as glm's sequential
# table, by refitting the call; a sigma model, and df or theta estimated or
# fixed, as in the fit itself). Every refit must use the fit's observations.
.lik_anova_terms <- function(object, test) {
  fun <- "anova.gradglm"
  if (is.null(object$terms) || is.null(object$call)) {
    abort(fun, "a single model's table needs gradglm()'s formula and call, which a fit of gradglm_fit() does ",
          "not have; compare two or more fits instead")
  }
  labels <- attr(stats::terms(object), "term.labels")
  nterms <- length(labels)
  n0 <- nobs.gradglm(object)
  subs <- lapply(seq_len(nterms) - 1L, function(i) {
    later <- labels[(i + 1L):nterms]
    sub <- .select_lik_refit(object, paste(later, collapse = " - "), "-", fun)
    if (is.null(sub)) {
      abort(fun, "the model of the terms before '", later[1L], "' cannot be fitted (it has no location ",
            "coefficient); compare fits instead")
    }
    if (nobs.gradglm(sub) != n0) {
      abort(fun, "the number of observations in use changed (", n0, " to ", nobs.gradglm(sub), ") without ",
            "the term(s) ", quote_some(later), ": remove the rows with missing values first")
    }
    sub
  })
  lls <- lapply(c(subs, list(object)), stats::logLik)
  m2ll <- -2 * vapply(lls, as.numeric, numeric(1))
  resdf <- n0 - vapply(lls, function(l) as.numeric(attr(l, "df")), numeric(1))
  tab <- data.frame(c(NA, -diff(resdf)), c(NA, -diff(m2ll)), resdf, m2ll, check.names = FALSE)
  names(tab) <- c("Df", "LR stat", "Resid. Df", "-2 logLik")
  row.names(tab) <- c("NULL", labels)
  if (test == "Chisq") tab[["Pr(>Chi)"]] <- .chisq_pvalues(tab[["LR stat"]], tab$Df)
  sig <- .lik_sigma_label(object)
  heading <- paste0("Likelihood-ratio tests\n\nModel: ", .lik_model_label(object, TRUE),
                    "\n\nTerms added sequentially (first to last)",
                    if (!is.null(sig) && sig != "~ 1") paste0("; the sigma model ", sig, " in every row"), "\n\n")
  structure(tab, heading = heading, class = c("anova", "data.frame"))
}

.lik_anova_lrt <- function(fits, test) {
  fun <- "anova.gradglm"
  k <- length(fits)
  is_dist <- !vapply(fits, is_glm_fit, logical(1))
  fam <- vapply(fits, function(f) f$family$family, character(1))
  # a glm fit takes part with its log-likelihood (which counts an estimated
  # dispersion or theta among its parameters); a quasi-family has none
  bad <- !is_dist & vapply(fits, function(f) is.na(as.numeric(logLik.gradglm(f))), NA)
  if (any(bad)) {
    abort(fun, "classical fits can be compared with distributional fits only when they have a ",
          "log-likelihood; model(s) ", paste(which(bad), collapse = ", "), " are ", quote_some(fam[bad]),
          ", a quasi-family without one")
  }
  n <- vapply(fits, function(f) as.numeric(stats::nobs(f)), numeric(1))
  if (any(n != n[1L])) {
    abort(fun, "the models were not all fitted to the same number of ",
          "observations (", paste(n, collapse = ", "), ")")
  }
  resp <- vapply(fits, .methods_response_label, character(1))
  if (!anyNA(resp) && length(unique(resp)) > 1L) {
    abort(fun, "the models have different responses (",
          paste(unique(resp), collapse = ", "), ")")
  }
  # a classical fit with a free scale takes its prior weights as precisions
  # (glm's Var y = dispersion * V(mu) / w), a location-scale fit as
  # frequencies (each row's log-likelihood times its weight): with weights
  # other than 0 and 1 their log-likelihoods are of different models
  precision <- !is_dist & vapply(fits, function(f) {
    w <- f$prior.weights
    isTRUE(family_row(f$family)$scale_in_likelihood) && !is.null(w) && any(w != 0 & w != 1)
  }, NA)
  ls_fit <- vapply(fits, function(f) identical(f$lik_type, "location_scale"), NA)
  if (any(precision) && any(ls_fit)) {
    abort(fun, "model(s) ", paste(which(precision), collapse = ", "), " (classical ", quote_some(unique(fam[precision])),
          " fits) take their prior weights as precisions (Var(y) = dispersion * V(mu) / w, as glm), and the ",
          "distributional fits as frequencies (each row's log-likelihood times its weight): with weights other than ",
          "0 and 1 these are different models; fit model(s) ", paste(which(precision), collapse = ", "),
          " with sigma = ~ 1 to compare them")
  }
  lls <- lapply(fits, stats::logLik)
  ll <- vapply(lls, as.numeric, numeric(1))
  np <- vapply(lls, function(l) as.numeric(attr(l, "df")), numeric(1))
  resdf <- n - np
  m2ll <- -2 * ll
  dfs <- c(NA, -diff(resdf))
  lr <- c(NA, -diff(m2ll))
  tab <- data.frame(resdf, m2ll, dfs, lr, check.names = FALSE)
  names(tab) <- c("Resid. Df", "-2 logLik", "Df", "LR stat")
  row.names(tab) <- seq_len(k)

  fam_id <- vapply(fits, function(f) .methods_describe_family(f$family),
                   character(1))
  same_family <- length(unique(fam_id)) == 1L
  note <- NULL
  if (test == "Chisq") {
    p <- .chisq_pvalues(lr, dfs)
    if (!same_family) {
      p[] <- NA
      note <- paste0("\nThe models have different families (",
                     paste(unique(fam_id), collapse = " / "),
                     "): they are not nested, so no p-values are given.\n")
    }
    tab[["Pr(>Chi)"]] <- p
  }

  labels <- vapply(seq_len(k), function(i) {
    paste0("Model ", i, ": ", .lik_model_label(fits[[i]], is_dist[i]))
  }, character(1))
  heading <- c("Likelihood ratio test\n",
               paste0(paste(labels, collapse = "\n"), "\n", note))
  structure(tab, heading = heading, class = c("anova", "data.frame"))
}

.lik_model_label <- function(f, is_dist) {
  lab <- if (!is.null(f$terms) || !is.null(f$formula)) {
    paste(deparse(stats::formula(f), width.cutoff = 500L), collapse = " ")
  } else {
    paste0("<gradglm_fit with ", sum(!is.na(f$coefficients)), " parameters>")
  }
  fam <- f$family$family
  if (is_dist) {
    sig <- .lik_sigma_label(f)
    sig <- if (is.null(sig)) NULL else if (startsWith(sig, "~")) paste0("sigma ", sig) else "sigma: design matrix"
    if (!is.null(f$df)) {
      fam <- paste0(fam, if (isTRUE(f$df_estimated)) ", df estimated" else
        paste0(", df = ", format(f$df)))
    }
    paste0(lab, if (!is.null(sig)) paste0(", ", sig), " (", fam, ")")
  } else {
    paste0(lab, " (", fam, ", classical fit)")
  }
}

# ---------------------------------------------------------------------------
# What each model type offers the generic methods: its residual types, its
# prediction types and the functions that compute them, its plots.

type_methods <- function(object) {
  switch(object$lik_type,
    location_scale = list(residual_types = c("response", "pearson", "quantile"), residuals = .ls_residuals,
                          predict_types = c("link", "response", "sigma"), predict = .ls_predict, plot = .ls_plot),
    multinomial = multinomial_methods(),
    ordinal = ordinal_methods(),
    multi_gaussian = multi_gaussian_methods(),
    multi_location_scale = multi_locscale_methods(),
    stop("gradglm: unknown model type '", object$lik_type, "'", call. = FALSE))
}
