# Methods' pieces for location-scale (distributional) fits: residuals
# standardised by the fitted scale and quantile residuals, predictions of the
# location and of sigma with delta-method standard errors, and the plots of
# the fitted location with its +-2 sigma band. Called by the generic methods
# for fits whose lik_type is "location_scale".

.ls_residuals <- function(object, type = c("response", "pearson", "quantile")) {
  type <- match.arg(type)
  mu <- object$fitted.values
  y <- .ls_response(object)
  res <- switch(type,
    response = y - mu,
    pearson = (y - mu) / ls_sd(object$family, mu, object$sigma),
    quantile = .ls_quantile_resid(object, y)
  )
  res <- as.vector(res)
  names(res) <- names(mu)
  stats::naresid(object$na.action, res)
}

# predict() of a location-scale fit: the location on the link or response
# scale, or sigma, with delta-method standard errors from the joint covariance
.ls_predict <- function(object, newdata = NULL, type = c("link", "response", "sigma"),
                        se.fit = FALSE, na.action = na.pass, ...) {
  type <- match.arg(type)
  cf <- object$coefficients
  idx <- if (type == "sigma") object$blocks$sigma$coef else object$blocks$location$coef
  b <- cf[idx]
  keep <- !is.na(b)

  if (is.null(newdata)) {
    na_act <- object$na.action
    if (!se.fit) {
      out <- switch(type,
        link = object$linear.predictors,
        response = object$fitted.values,
        sigma = object$sigma
      )
      return(stats::napredict(na_act, out))
    }
    if (type == "sigma") {
      X <- .ls_sigma_fitted_design(object)
      lp <- object$sigma.linear.predictors
    } else {
      X <- .pred_fitted_design(.ls_location_object(object))
      lp <- object$linear.predictors
    }
    rn <- names(object$fitted.values)
  } else {
    design <- if (type == "sigma") {
      .ls_sigma_new_design(object, newdata, na.action, ...)
    } else {
      dots <- list(...)
      dots$x_sigma <- NULL
      do.call(.pred_new_design, c(list(.ls_location_object(object),
                                       newdata, na.action), dots))
    }
    X <- design$x
    na_act <- design$na.action
    lp <- drop(X[, keep, drop = FALSE] %*% b[keep]) + design$offset
    rn <- rownames(X)
  }

  fit <- switch(type,
    link = lp,
    response = object$family$linkinv(lp),
    sigma = exp(lp)
  )
  fit <- as.vector(fit)
  names(fit) <- rn
  if (!se.fit) {
    return(stats::napredict(na_act, fit))
  }

  V <- vcov.gradglm(object, complete = FALSE)
  nm <- names(b)[keep]
  Vb <- V[nm, nm, drop = FALSE]
  Xk <- X[, keep, drop = FALSE]
  se <- sqrt(pmax(rowSums((Xk %*% Vb) * Xk), 0))
  se <- switch(type,
    link = se,
    response = se * abs(object$family$mu.eta(lp)),
    sigma = se * fit
  )
  se <- as.vector(se)
  names(se) <- rn
  list(fit = stats::napredict(na_act, fit),
       se.fit = stats::napredict(na_act, se),
       residual.scale = 1)
}

# The response of the fit (recovered from the response residuals if y = FALSE).
.ls_response <- function(object) {
  y <- object$y
  if (is.null(y)) y <- object$fitted.values + object$residuals
  as.vector(y)
}

# qnorm(F(y)) with F the fitted distribution function, from the log of the
# tail probability beyond |z| (the family's log_tail) so that extreme
# observations stay finite
.ls_quantile_resid <- function(object, y) {
  log_cdf <- family_row(object$family)$location_scale$log_cdf
  if (!is.null(log_cdf)) {  # a family that is not location-scale: its own distribution function
    mu <- object$fitted.values
    lo <- log_cdf(y, mu, object$sigma, object$df, TRUE)
    up <- log_cdf(y, mu, object$sigma, object$df, FALSE)
    return(ifelse(lo < up, stats::qnorm(lo, log.p = TRUE), -stats::qnorm(up, log.p = TRUE)))
  }
  z <- (y - object$fitted.values) / object$sigma
  log_tail <- family_row(object$family)$location_scale$log_tail(-abs(z), object$df)
  q <- stats::qnorm(log_tail, log.p = TRUE)  # <= 0
  ifelse(z > 0, -q, q)
}

.ls_sigma_fitted_design <- function(object) {
  fun <- "predict.gradglm"
  if (is.matrix(object$x_sigma)) return(object$x_sigma)
  cn <- object$blocks$sigma$columns
  n <- length(object$fitted.values)
  rn <- names(object$fitted.values)
  if (.lik_constant_block(object, object$blocks$sigma)) {
    return(matrix(1, n, 1L, dimnames = list(rn, cn)))
  }
  st <- object$sigma_terms
  if (is.null(st)) {
    abort(fun, "'se.fit = TRUE' without 'newdata' needs the matrix of the ",
          "sigma model, which this fit did not keep; pass 'newdata' (and ",
          "'x_sigma')")
  }
  env <- environment(st)
  if (is.null(env)) env <- globalenv()
  mf <- object$model
  m <- NULL
  if (!is.null(mf)) {
    # the fit's own frame holds the variables of both models, named as
    # model.frame() names them
    vars <- vapply(as.list(attr(st, "variables"))[-1L], function(v) {
      paste(deparse(v, width.cutoff = 500L), collapse = " ")
    }, "")
    if (all(vars %in% names(mf))) {
      m <- mf
    } else if (all(all.vars(st) %in% names(mf))) {
      m <- tryCatch(stats::model.frame(st, data = mf, na.action = stats::na.pass,
                                       xlev = object$sigma_xlevels),
                    error = function(e) NULL)
    }
  }
  if (is.null(m)) {
    # rebuild from the call, then keep the rows of the fit
    cl <- object$call
    args <- list(formula = st, data = cl$data, subset = cl$subset,
                 na.action = quote(stats::na.pass),
                 xlev = object$sigma_xlevels)
    args <- args[!vapply(args, is.null, logical(1))]
    m <- tryCatch(eval(as.call(c(list(quote(stats::model.frame)), args)), env),
                  error = function(e) {
                    abort(fun, "could not rebuild the data of the sigma model ",
                          "(", conditionMessage(e), "); refit with x = TRUE")
                  })
    if (nrow(m) != n) {
      idx <- match(rn, row.names(m))
      if (is.null(rn) || anyNA(idx)) {
        abort(fun, "could not match the rows of the sigma model to the fit; ",
              "refit with x = TRUE")
      }
      m <- m[idx, , drop = FALSE]
    }
  }
  Z <- stats::model.matrix(st, m, contrasts.arg = object$sigma_contrasts)
  Z <- .ls_match_sigma_columns(Z, cn)
  rownames(Z) <- rn
  Z
}

.ls_sigma_new_design <- function(object, newdata, na.action, ...) {
  fun <- "predict.gradglm"
  cn <- object$blocks$sigma$columns
  st <- object$sigma_terms
  if (is.null(st)) {
    return(.ls_sigma_matrix_design(object, newdata, cn, ...))
  }
  if (!is.data.frame(newdata)) {
    abort(fun, "'newdata' must be a data frame, not ", .pred_describe(newdata))
  }
  env <- environment(st)
  if (is.null(env)) env <- globalenv()
  vars <- all.vars(st)
  missing_vars <- setdiff(vars, names(newdata))
  missing_vars <- missing_vars[!vapply(missing_vars, .pred_is_constant,
                                       logical(1), env = env, rows = .pred_fit_rows(object))]
  if (length(missing_vars)) {
    abort(fun, "'newdata' is missing variable(s) ", quote_some(missing_vars),
          " of the sigma model")
  }
  xlev <- object$sigma_xlevels
  if (length(xlev)) {
    m0 <- stats::model.frame(st, newdata, na.action = stats::na.pass)
    for (nm in names(xlev)) {
      v <- m0[[nm]]
      if (is.null(v)) next
      new_lev <- setdiff(unique(as.character(v[!is.na(v)])), xlev[[nm]])
      if (length(new_lev)) {
        abort(fun, "'newdata' has level(s) ", quote_some(new_lev),
              " of factor '", nm, "' not seen in fitting the sigma model ",
              "(levels: ", quote_some(xlev[[nm]], max = 20L), ")")
      }
    }
  }
  m <- stats::model.frame(st, newdata, na.action = na.action, xlev = xlev)
  Z <- stats::model.matrix(st, m, contrasts.arg = object$sigma_contrasts)
  Z <- .ls_match_sigma_columns(Z, cn)
  off <- stats::model.offset(m)
  if (is.null(off)) off <- rep(0, nrow(Z))
  list(x = Z, offset = as.vector(off), na.action = attr(m, "na.action"))
}

.ls_match_sigma_columns <- function(Z, cn) {
  if (identical(colnames(Z), cn)) return(Z)
  if (all(cn %in% colnames(Z))) return(Z[, cn, drop = FALSE])
  abort("predict.gradglm", "the sigma design built from the data does ",
        "not match the fitted sigma coefficients (",
        paste(setdiff(cn, colnames(Z)), collapse = ", "), ")")
}

.ls_sigma_matrix_design <- function(object, newdata, cn, ...) {
  fun <- "predict.gradglm"
  n <- NROW(newdata)
  rn <- if (!is.null(rownames(newdata))) rownames(newdata) else
    as.character(seq_len(n))
  xs <- list(...)$x_sigma
  if (is.null(xs)) {
    if (!.lik_constant_block(object, object$blocks$sigma)) {
      abort(fun, "this fit came from gradglm_fit() with a sigma model; ",
            "give the sigma model's matrix for the new rows as 'x_sigma'")
    }
    return(list(x = matrix(1, n, 1L, dimnames = list(rn, cn)),
                offset = rep(0, n), na.action = NULL))
  }
  if (is.data.frame(xs)) xs <- as.matrix(xs)
  if (!is.numeric(xs)) xs <- as.matrix(xs)
  if (!is.matrix(xs) || !is.numeric(xs) || nrow(xs) != n) {
    abort(fun, "'x_sigma' must be a numeric matrix with one row per row of ",
          "'newdata' (", n, ")")
  }
  if (!is.null(colnames(xs)) && all(cn %in% colnames(xs))) {
    xs <- xs[, cn, drop = FALSE]
  } else if (ncol(xs) == length(cn)) {
    colnames(xs) <- cn
  } else {
    abort(fun, "'x_sigma' has ", ncol(xs), " column(s) but the sigma model ",
          "was fitted with ", length(cn))
  }
  rownames(xs) <- rn
  list(x = xs, offset = rep(0, n), na.action = NULL)
}

.ls_plot_loss <- function(x, ...) {
  dots <- list(...)
  if (is.null(dots$ylab)) dots$ylab <- .plot_loss_ylab[["likelihood"]]
  do.call(.plot_loss, c(list(x), dots))
}

.ls_plot_predictor <- function(x) {
  v <- .plot_single_predictor(x)
  if (is.null(v)) return(NULL)
  st <- x$sigma_terms
  if (is.null(st)) {
    if (!.lik_constant_block(x, x$blocks$sigma)) return(NULL)
  } else {
    if (length(x$sigma_xlevels)) return(NULL)
    if (length(setdiff(all.vars(st), v))) return(NULL)
  }
  v
}

# What the location-and-scale plot shows, for plot() and autoplot(): the
# data (`x`, `y`, finite rows), the fitted location `mu` on a grid of 200
# values of the predictor with the band `lo` to `hi` (+- 2 sigma), the labels
# of the curve and the band, and the axis labels and title. Errors, naming
# `fun`, when the model has not got a single numeric predictor that its sigma
# model shares.
.ls_plot_fit_data <- function(x, fun = "plot.gradglm") {
  v <- .ls_plot_predictor(x)
  xv <- if (!is.null(v)) .plot_raw_predictor(x, v)
  if (is.null(v) || is.null(xv) || !is.numeric(xv) || !is.null(dim(xv))) {
    abort(fun, "'which = \"fit\"' needs a model fitted by ",
          "gradglm() with a single numeric predictor, and a sigma model that ",
          "uses no other variable; use 'which' = \"loss\", \"residuals\" or ",
          "\"qq\" for this model")
  }
  y <- .ls_response(x)
  resp <- attr(x$terms, "response")
  ylab <- if (resp > 0L) {
    deparse(attr(x$terms, "variables")[[resp + 1L]])[1L]
  } else {
    "Response"
  }
  ok <- is.finite(xv) & is.finite(y)
  rng <- range(xv[ok])
  grid <- seq(rng[1L], rng[2L], length.out = 200L)
  nd <- stats::setNames(data.frame(grid), v)
  mu <- as.vector(.ls_predict(x, newdata = nd, type = "response"))
  sg <- as.vector(.ls_predict(x, newdata = nd, type = "sigma"))
  # the Gaussian's location is its mean and its scale its sd; for the Laplace
  # and the Student-t the band is +- 2 scale parameters, not 2 sd
  ls <- family_row(x$family)$location_scale
  labels <- if (!is.null(ls$sd)) {
    c("fitted mean", "mean \u00b1 2 sd")
  } else if (identical(ls$dist, dist_codes[["gaussian"]])) {
    c("fitted mean", "mean \u00b1 2 sigma")
  } else {
    c("fitted location", "location \u00b1 2 scale")
  }
  sd <- ls_sd(x$family, mu, sg)
  list(x = xv[ok], y = y[ok], grid = grid, mu = mu, lo = mu - 2 * sd, hi = mu + 2 * sd,
       labels = labels, xlab = v, ylab = ylab,
       main = paste0("Fitted location and scale (", x$family$family, ", sigma ",
                     .lik_sigma_label(x), ")"))
}

.ls_plot_fit <- function(x, ...) {
  d <- .ls_plot_fit_data(x)
  grid <- d$grid
  lo <- d$lo
  hi <- d$hi
  fin <- c(d$y, lo, hi, d$mu)
  .plot_call(graphics::plot, list(
    x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab,
    ylim = range(fin[is.finite(fin)]), main = d$main),
    list(...))
  okb <- is.finite(lo) & is.finite(hi)
  graphics::polygon(c(grid[okb], rev(grid[okb])), c(lo[okb], rev(hi[okb])),
                    col = grDevices::adjustcolor("firebrick", alpha.f = 0.15),
                    border = NA)
  graphics::lines(grid, lo, col = "firebrick", lty = 2)
  graphics::lines(grid, hi, col = "firebrick", lty = 2)
  graphics::lines(grid, d$mu, col = "firebrick", lwd = 2)
  graphics::legend("topleft", bty = "n", legend = d$labels,
                   col = "firebrick", lty = c(1, 2), lwd = c(2, 1))
  invisible(NULL)
}

.ls_plot_ok <- function(x) {
  w <- x$prior.weights
  if (is.null(w)) rep(TRUE, length(x$fitted.values)) else w > 0
}

# What the standardised residual plot shows, for plot() and autoplot(): the
# residuals (y - mu) / sigma against the fitted values (rows with positive
# weight and finite values), the lowess smooth (NULL for fewer than 10
# distinct fitted values) and the labels.
.ls_plot_residuals_data <- function(x) {
  mu <- x$fitted.values
  r <- (.ls_response(x) - mu) / ls_sd(x$family, mu, x$sigma)
  ok <- .ls_plot_ok(x) & is.finite(r) & is.finite(mu)
  r <- r[ok]
  mu <- mu[ok]
  list(x = mu, y = r, smooth = if (length(unique(mu)) >= 10L) stats::lowess(mu, r),
       xlab = "Fitted values",
       ylab = if (is.null(family_row(x$family)$location_scale$sd)) "Pearson residuals, (y - mu) / sigma" else
         "Pearson residuals, (y - mu) / sd",
       main = "Standardised residuals vs fitted values")
}

.ls_plot_residuals <- function(x, ...) {
  d <- .ls_plot_residuals_data(x)
  .plot_call(graphics::plot, list(
    x = d$x, y = d$y, xlab = d$xlab, ylab = d$ylab, main = d$main), list(...))
  graphics::abline(h = 0, lty = 3, col = "gray40")
  graphics::abline(h = c(-2, 2), lty = 2, col = "gray70")
  if (!is.null(d$smooth)) graphics::lines(d$smooth, col = "firebrick")
  invisible(NULL)
}

# What the Q-Q plot of the quantile residuals shows, for plot() and
# autoplot(): the residuals `y` against their normal quantiles `x`, the line
# of identity and the labels.
.ls_plot_qq_data <- function(x, fun = "plot.gradglm") {
  y <- .ls_response(x)
  rq <- .ls_quantile_resid(x, y)
  rq <- rq[.ls_plot_ok(x) & is.finite(rq)]
  if (!length(rq)) {
    abort(fun, "no finite residuals to draw for ",
          "'which = \"qq\"'")
  }
  q <- stats::qqnorm(rq, plot.it = FALSE)
  list(x = q$x, y = q$y, line = c(intercept = 0, slope = 1),
       xlab = "Theoretical Quantiles", ylab = "Quantile residuals",
       main = paste0("Normal Q-Q plot (", x$family$family, ")"))
}

.ls_plot_qq <- function(x, ...) {
  d <- .ls_plot_qq_data(x)
  .plot_call(stats::qqnorm, list(y = d$y, ylab = d$ylab, main = d$main),
             list(...))
  graphics::abline(d$line[["intercept"]], d$line[["slope"]], lty = 3, col = "gray40")
  invisible(NULL)
}

# The fit seen as a one-block model of its location, for the design helpers
# of predict() (R/methods-predict.R)
.ls_location_object <- function(object) {
  object$coefficients <- object$coefficients[object$blocks$location$coef]
  object$x_sigma <- NULL
  object
}

# plot() of a location-scale fit: "loss", "fit" (the location with a +-2
# sigma band), "residuals" and "qq"
.ls_plot_choices <- c("loss", "fit", "residuals", "qq")

.ls_plot <- function(x, which, explicit, ask, ...) {
  choices <- .ls_plot_choices
  which <- .plot_which(if (is.null(which)) choices else which, choices)
  if (is.null(ask)) ask <- prod(graphics::par("mfcol")) < length(which) && grDevices::dev.interactive()
  if (!explicit) {
    if (!.plot_has_trace(x)) which <- setdiff(which, "loss")
    if (is.null(.ls_plot_predictor(x))) which <- setdiff(which, "fit")
  }
  .plot_pages(which, ask, function(w) {
    switch(w,
      loss = .ls_plot_loss(x, ...),
      fit = .ls_plot_fit(x, ...),
      residuals = .ls_plot_residuals(x, ...),
      qq = .ls_plot_qq(x, ...)
    )
  })
  invisible(x)
}

