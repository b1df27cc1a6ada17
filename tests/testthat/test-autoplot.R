# autoplot(): each ggplot builds without warnings and draws the data that
# plot() draws, checked against the fit (trace, fitted values, residuals,
# predictions, path, cross-validation means) rather than against the helpers
# that compute it.

skip_if_not_installed("ggplot2", "3.4.0")

# Builds `p` and fails on any warning; returns the built plot.
build_quietly <- function(p) {
  expect_true(ggplot2::is_ggplot(p))
  expect_no_warning(b <- ggplot2::ggplot_build(p))
  invisible(b)
}

# The indices of the layers of `p` whose geom is `geom` (e.g. "GeomPoint").
layers_of <- function(p, geom) {
  which(vapply(p$layers, function(l) inherits(l$geom, geom), NA))
}

# The built data of the only layer of `p` with geom `geom`.
only_layer <- function(p, geom) {
  i <- layers_of(p, geom)
  expect_length(i, 1L)
  ggplot2::layer_data(p, i)
}

# The data given to the only layer with geom `geom` (its own, or the plot's).
layer_input <- function(p, geom) {
  i <- layers_of(p, geom)
  expect_length(i, 1L)
  d <- p$layers[[i]]$data
  if (is.data.frame(d)) d else p$data
}

title_of <- function(p) ggplot2::get_labs(p)$title

test_that("autoplot() dispatches to gradglm's methods once ggplot2 is loaded", {
  fit <- gradglm(dist ~ speed, data = cars)
  p <- ggplot2::autoplot(fit)
  expect_true(ggplot2::is_ggplot(p))
  expect_true(is.function(utils::getS3method("autoplot", "gradglm", envir = asNamespace("ggplot2"))))
  for (cls in c("gradglm_comparison", "gradglm_cv_path", "gradglm_cv_comparison")) {
    expect_true(is.function(utils::getS3method("autoplot", cls, envir = asNamespace("ggplot2"))))
  }
})

test_that("the methods are registered whether ggplot2 is loaded before or after gradglm", {
  skip_on_cran()
  rscript <- file.path(R.home("bin"), "Rscript")
  run <- function(code) {
    out <- suppressWarnings(system2(rscript, c("--vanilla", "-e", shQuote(code)), stdout = TRUE,
                                    stderr = TRUE, env = paste0("R_LIBS=", paste(.libPaths(), collapse = ":"))))
    paste(out, collapse = "\n")
  }
  check <- paste0("fit <- gradglm::gradglm(dist ~ speed, data = cars); ",
                  "cat('class:', class(ggplot2::autoplot(fit, which = 'qq'))[1L])")
  after <- run(paste0("loadNamespace('gradglm'); loadNamespace('ggplot2'); ", check))
  before <- run(paste0("loadNamespace('ggplot2'); loadNamespace('gradglm'); ", check))
  expect_match(after, "class: ggplot", fixed = TRUE)
  expect_match(before, "class: ggplot", fixed = TRUE)
})

test_that("the training curve draws the trace: loss and gradient norm panels, log scale", {
  fit <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd")
  tr <- fit$trace
  expect_gt(nrow(tr), 50L)
  p <- ggplot2::autoplot(fit, which = "loss")
  build_quietly(p)
  d <- p$data
  expect_identical(levels(d$curve), c("loss", "gradient norm"))
  expect_equal(d$value[d$curve == "loss"], tr$loss)
  expect_equal(d$iter[d$curve == "loss"], tr$iter)
  expect_equal(d$value[d$curve == "gradient norm"], tr$grad_norm)
  # two panels, the loss above the gradient norm
  expect_identical(nlevels(d$panel), 2L)
  expect_identical(gsub("\n", " ", levels(d$panel)[1L]), "loss (deviance / 2 per unit weight)")
  expect_identical(levels(d$panel)[2L], "gradient norm")
  # more than 50 rows: lines only, on a log10 y scale
  expect_length(layers_of(p, "GeomPoint"), 0L)
  ld <- only_layer(p, "GeomLine")
  loss_rows <- ld$PANEL == 1L
  expect_equal(sort(ld$y[loss_rows]), sort(log10(tr$loss)))
  expect_match(title_of(p), "Training curve (gd, ", fixed = TRUE)
  expect_identical(ggplot2::get_labs(p)$x, "iteration")
  # the default is the training curve
  expect_equal(ggplot2::autoplot(fit)$data, d)
  expect_equal(ggplot2::autoplot(fit, which = 1)$data, d)
})

test_that("an sgd fit with a validation share has two loss curves and its best epoch", {
  set.seed(11)
  fit <- gradglm(am ~ wt, data = mtcars, family = binomial(),
                 optimizer = opt_sgd(validation = 0.25, patience = 15))
  tr <- fit$trace
  expect_true("val_loss" %in% names(tr))
  expect_true(is.numeric(fit$best_epoch))
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  d <- p$data
  expect_identical(levels(d$curve), c("training loss", "validation loss", "gradient norm"))
  expect_equal(d$value[d$curve == "training loss"], tr$loss)
  expect_equal(d$value[d$curve == "validation loss"], tr$val_loss)
  # training and validation share the loss panel
  expect_identical(unique(as.character(d$panel[d$curve != "gradient norm"])), levels(d$panel)[1L])
  expect_identical(ggplot2::get_labs(p)$x, "epoch")
  expect_match(title_of(p), "epochs)", fixed = TRUE)
  # the best epoch: a vertical line, and a circle on the validation curve
  vl <- only_layer(p, "GeomVline")
  expect_equal(unique(vl$xintercept), fit$best_epoch)
  expect_match(ggplot2::get_labs(p)$subtitle, paste0("best epoch (", fit$best_epoch, ")"), fixed = TRUE)
  mark <- p$layers[[max(layers_of(p, "GeomPoint"))]]$data
  expect_equal(mark$value, tr$val_loss[tr$iter == fit$best_epoch][1L])
  # the legend's colours are those of the base plot
  cols <- unique(only_layer(p, "GeomLine")$colour)
  expect_setequal(cols, c("black", "dodgerblue3", "firebrick"))
})

# A binomial fit whose trace is replaced by a made-up epoch trace: negative
# losses, or a zero gradient norm, test the choice of scales.
epoch_fit <- function(loss_shift = 0, zero_grad = FALSE) {
  fit <- gradglm(am ~ wt, data = mtcars, family = binomial(), optimizer = "gd")
  e <- 1:20
  tr <- data.frame(iter = e, loss = 0.6 * exp(-e / 6) + 0.02 + loss_shift,
                   grad_norm = 1 / e, val_loss = 0.25 + 0.002 * (e - 8)^2 + loss_shift)
  if (zero_grad) tr$grad_norm[20] <- 0
  fit$optimizer <- "adam"
  fit$trace <- tr
  fit$best_epoch <- 8L
  fit
}

test_that("the loss axis is linear when a loss is not positive, logarithmic otherwise", {
  # positive losses: log10 scale (the layer's y are log10 values)
  fit <- epoch_fit()
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  ld <- only_layer(p, "GeomLine")
  expect_equal(sort(ld$y[ld$PANEL == 1L]), sort(log10(c(fit$trace$loss, fit$trace$val_loss))))
  # 20 rows: lines and points
  expect_length(layers_of(p, "GeomPoint"), 2L)

  # losses below zero: a linear scale; the gradient norm is shown as its log10
  fit <- epoch_fit(loss_shift = -0.3)
  expect_lt(min(fit$trace$loss), 0)
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  ld <- only_layer(p, "GeomLine")
  expect_equal(sort(ld$y[ld$PANEL == 1L]), sort(c(fit$trace$loss, fit$trace$val_loss)))
  expect_equal(p$data$value[p$data$curve == "gradient norm"], log10(fit$trace$grad_norm))
  expect_identical(levels(p$data$panel)[2L], "log10(gradient norm)")

  # a gradient norm of zero cannot be drawn on the log scale: left out
  fit <- epoch_fit(zero_grad = TRUE)
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  g <- p$data$value[p$data$curve == "gradient norm"]
  expect_true(is.na(g[20]))
  expect_equal(g[-20], fit$trace$grad_norm[-20])
})

test_that("the closed-form fit's one-row trace is one point per curve", {
  fit <- gradglm(dist ~ speed, data = cars, optimizer = "exact")
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  expect_length(layers_of(p, "GeomLine"), 0L)
  pts <- only_layer(p, "GeomPoint")
  expect_equal(nrow(pts), 2L)   # the loss and the gradient norm
  expect_match(title_of(p), "closed form", fixed = TRUE)
})

test_that("residuals are plotted against fitted values as in plot()", {
  fits <- list(gaussian = gradglm(dist ~ speed, data = cars),
               binomial = gradglm(am ~ wt + hp, data = mtcars, family = binomial()),
               poisson = gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson()))
  for (nm in names(fits)) {
    fit <- fits[[nm]]
    p <- ggplot2::autoplot(fit, which = "residuals")
    build_quietly(p)
    d <- only_layer(p, "GeomPoint")
    expect_equal(d$x, unname(fitted(fit)), info = nm)
    expect_equal(d$y, unname(residuals(fit, type = "deviance")), info = nm)
    expect_identical(ggplot2::get_labs(p)$y, "Deviance residuals")
    # the lowess smooth of the same points, as plot.lm() draws it for glm
    # fits (no robustness iterations: iter.smooth = 0), also of few distinct
    # fitted values (warpbreaks' two factors give 6; before, no smooth)
    if (length(unique(fitted(fit))) >= 2L) {
      sm <- layer_input(p, "GeomPath")
      lw <- stats::lowess(fitted(fit), residuals(fit, type = "deviance"), iter = 0L)
      expect_equal(sm$x, lw$x, info = nm)
      expect_equal(sm$y, lw$y, info = nm)
    } else {
      expect_length(layers_of(p, "GeomPath"), 0L)
    }
    expect_equal(only_layer(p, "GeomHline")$yintercept, 0)
  }
  # Pearson residuals against the linear predictor
  fit <- fits$poisson
  p <- ggplot2::autoplot(fit, which = "residuals", residual_type = "pearson", against = "link")
  build_quietly(p)
  d <- only_layer(p, "GeomPoint")
  expect_equal(d$x, unname(predict(fit, type = "link")))
  expect_equal(d$y, unname(residuals(fit, type = "pearson")))
  expect_identical(ggplot2::get_labs(p)$x, "Linear predictor")
  expect_error(ggplot2::autoplot(fit, which = "residuals", residual_type = "working"), "autoplot.gradglm: 'residual_type' must be one of 'deviance', 'pearson', not 'working'")
})

test_that("the Q-Q plot shows the standardized residuals and the line through their quartiles", {
  fit <- gradglm(dist ~ speed, data = cars)
  p <- ggplot2::autoplot(fit, which = "qq")
  build_quietly(p)
  d <- layer_input(p, "GeomPoint")
  # a Gaussian fit's standardized residuals are lm's
  rs <- stats::rstandard(stats::lm(dist ~ speed, data = cars))
  expect_equal(sort(d$y), unname(sort(rs)), tolerance = 1e-6)
  expect_equal(d$x, stats::qnorm(stats::ppoints(length(rs)))[rank(d$y, ties.method = "first")])
  ab <- only_layer(p, "GeomAbline")
  q <- stats::quantile(rs, c(0.25, 0.75), names = FALSE)
  slope <- diff(q) / diff(stats::qnorm(c(0.25, 0.75)))
  expect_equal(ab$slope, slope, tolerance = 1e-6)
  expect_equal(ab$intercept, q[1L] - slope * stats::qnorm(0.25), tolerance = 1e-6)
  expect_identical(title_of(p), "Normal Q-Q plot")

  fitb <- gradglm(am ~ wt, data = mtcars, family = binomial())
  build_quietly(ggplot2::autoplot(fitb, which = "qq"))
})

test_that("the scale-location and leverage plots show glm's standardized residuals", {
  fit <- gradglm(dist ~ speed, data = cars, family = poisson(), control = gradglm_control(tol = 1e-12))
  ref <- glm(dist ~ speed, data = cars, family = poisson(), control = glm.control(epsilon = 1e-14))
  p <- ggplot2::autoplot(fit, which = "scale")
  build_quietly(p)
  d <- layer_input(p, "GeomPoint")
  expect_equal(d$y, unname(sqrt(abs(rstandard(ref)))), tolerance = 1e-6)
  expect_identical(title_of(p), "Scale-location")
  p <- ggplot2::autoplot(fit, which = "leverage")
  build_quietly(p)
  d <- layer_input(p, "GeomPoint")
  expect_equal(d$x, unname(hatvalues(ref)), tolerance = 1e-6)
  expect_equal(d$y, unname(rstandard(ref, type = "pearson")), tolerance = 1e-6)
  expect_identical(title_of(p), "Residuals vs leverage")
})

test_that("the fitted curve is the data with predict() over the predictor's range", {
  fits <- list(gradglm(dist ~ speed, data = cars, family = poisson()),
               gradglm(am ~ wt, data = mtcars, family = binomial()))
  for (fit in fits) {
    v <- all.vars(formula(fit))
    dat <- if (v[1L] == "dist") cars else mtcars
    p <- ggplot2::autoplot(fit, which = "fit")
    build_quietly(p)
    pts <- only_layer(p, "GeomPoint")
    expect_equal(pts$x, dat[[v[2L]]])
    expect_equal(pts$y, dat[[v[1L]]])
    cur <- only_layer(p, "GeomLine")
    expect_equal(range(cur$x), range(dat[[v[2L]]]))
    expect_equal(nrow(cur), 200L)
    nd <- stats::setNames(data.frame(cur$x), v[2L])
    expect_equal(cur$y, unname(predict(fit, newdata = nd, type = "response")))
    expect_identical(ggplot2::get_labs(p)$x, v[2L])
    expect_match(title_of(p), fit$family$family, fixed = TRUE)
  }
})

test_that("a sigma model's plots: the +-2 sigma band, standardised and quantile residuals", {
  fit <- gradglm(dist ~ speed, sigma = ~ speed, data = cars)
  for (w in c("loss", "fit", "residuals", "qq")) build_quietly(ggplot2::autoplot(fit, which = w))
  p <- ggplot2::autoplot(fit, which = "fit")
  band <- layer_input(p, "GeomRibbon")
  nd <- data.frame(speed = band$x)
  mu <- unname(predict(fit, newdata = nd, type = "response"))
  sg <- unname(predict(fit, newdata = nd, type = "sigma"))
  expect_equal(band$lo, mu - 2 * sg)
  expect_equal(band$hi, mu + 2 * sg)
  lines <- layer_input(p, "GeomLine")
  expect_setequal(levels(lines$part), c("fitted mean", "mean \u00b1 2 sigma"))
  expect_equal(lines$y[lines$group == "mu"], mu)
  expect_match(title_of(p), "sigma ~ speed", fixed = TRUE)

  p <- ggplot2::autoplot(fit, which = "residuals")
  d <- layer_input(p, "GeomPoint")
  expect_equal(d$x, unname(fitted(fit)))
  expect_equal(d$y, unname((cars$dist - fitted(fit)) / fit$sigma))
  hl <- unlist(lapply(layers_of(p, "GeomHline"), function(i) ggplot2::layer_data(p, i)$yintercept))
  expect_equal(sort(unname(hl)), c(-2, 0, 2))

  p <- ggplot2::autoplot(fit, which = "qq")
  d <- layer_input(p, "GeomPoint")
  expect_equal(sort(d$y), sort(unname(residuals(fit, type = "quantile"))))
  ab <- only_layer(p, "GeomAbline")
  expect_equal(c(ab$intercept, ab$slope), c(0, 1))

  p <- ggplot2::autoplot(fit, which = "loss")
  # (the panel's label is wrapped over lines)
  expect_identical(gsub("\n", " ", levels(p$data$panel)[1L]), "loss (negative log-likelihood)")
  expect_equal(p$data$value[p$data$curve == "loss"], fit$trace$loss)
})

test_that("a path has one line per penalised coefficient over log lambda", {
  fit <- gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, penalty = lasso())
  lam <- fit$path$lambda
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  ld <- only_layer(p, "GeomLine")
  pen <- names(fit$path$factor)[fit$path$factor > 0]
  expect_identical(length(unique(ld$group)), length(pen))
  d <- layer_input(p, "GeomLine")
  expect_identical(levels(d$coefficient), pen)
  o <- order(log(lam))   # a line is drawn along increasing x
  for (k in seq_along(pen)) {
    rows <- d$coefficient == pen[k]
    expect_equal(d$h[rows], log(lam))
    expect_equal(d$value[rows], unname(fit$path$beta[pen[k], ]))
    expect_equal(ld$x[ld$group == k], log(lam)[o])
    expect_equal(ld$y[ld$group == k], unname(fit$path$beta[pen[k], o]))
  }
  # the labels: the coefficients not zero at the smallest lambda
  txt <- layer_input(p, "GeomText")
  expect_setequal(txt$label, pen[fit$path$beta[pen, length(lam)] != 0])
  expect_identical(ggplot2::get_labs(p)$x, "log(lambda)")
  expect_identical(ggplot2::autoplot(fit, which = "path")$data, d)

  # the other x axes, and the legend instead of the labels
  p <- ggplot2::autoplot(fit, xvar = "norm", label = FALSE)
  build_quietly(p)
  expect_length(layers_of(p, "GeomText"), 0L)
  d <- p$data
  expect_equal(d$h[d$coefficient == pen[1L]], unname(colSums(abs(fit$path$beta[pen, ]))))
  p <- ggplot2::autoplot(fit, xvar = "dev")
  build_quietly(p)
  expect_equal(p$data$h[p$data$coefficient == pen[1L]], fit$path$dev.ratio)
  expect_error(ggplot2::autoplot(fit, xvar = "time"), "autoplot.gradglm: 'xvar' must be one of 'lambda', 'norm', 'dev', not 'time'")
})

test_that("a cross-validated path: its means with error bars and both lambdas", {
  set.seed(4)
  cv <- cv_gradglm(mpg ~ wt + hp + qsec + drat, data = mtcars, penalty = lasso(), nfolds = 5)
  p <- ggplot2::autoplot(cv)
  build_quietly(p)
  m <- cv$cvm[, cv$select_by]
  se <- cv$cvsd[, cv$select_by]
  pts <- only_layer(p, "GeomPoint")
  expect_equal(pts$x, log(cv$lambda))
  expect_equal(pts$y, unname(m))
  bars <- only_layer(p, "GeomErrorbar")
  expect_equal(bars$x, log(cv$lambda))
  expect_equal(bars$ymin, unname(m - se))
  expect_equal(bars$ymax, unname(m + se))
  expect_equal(sort(only_layer(p, "GeomVline")$xintercept), sort(log(c(cv$lambda_min, cv$lambda_1se))))
  expect_identical(ggplot2::get_labs(p)$y, "deviance per observation")
  expect_match(title_of(p), "5-fold cross-validation", fixed = TRUE)

  p <- ggplot2::autoplot(cv, measure = "mae")
  build_quietly(p)
  expect_equal(only_layer(p, "GeomPoint")$y, unname(cv$cvm[, "mae"]))
  expect_error(ggplot2::autoplot(cv, measure = "auc"),
               "autoplot.gradglm_cv: 'measure' must be one of the measures of the cross-validation", fixed = TRUE)
})

test_that("a cross-validation: one point per fold, the mean and +-1 SE as lines; plot() draws the same", {
  set.seed(5)
  cv <- cv_gradglm(dist ~ speed, data = cars, nfolds = 5)
  p <- ggplot2::autoplot(cv)
  build_quietly(p)
  pts <- only_layer(p, "GeomPoint")
  expect_equal(pts$y, cv$folds$nll)
  expect_equal(as.numeric(pts$x), cv$folds$fold)
  s <- cv$summary[cv$summary$measure == "nll", ]
  hl <- ggplot2::layer_data(p, 3L)
  expect_equal(sort(hl$yintercept), s$mean + c(-1, 1) * s$se)
  expect_equal(ggplot2::layer_data(p, 2L)$yintercept, s$mean)
  expect_equal(only_layer(ggplot2::autoplot(cv, measure = "mse"), "GeomPoint")$y, cv$folds$mse)
  expect_error(ggplot2::autoplot(cv, measure = "nope"),
               "autoplot.gradglm_cv: 'measure' must be one of the measures of the cross-validation", fixed = TRUE)
  # the base plot: the same points, no error, and the same check of 'measure'
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_identical(plot(cv), cv)
  expect_error(plot(cv, measure = "auc"), "plot.gradglm_cv: 'measure' must be one of")
})

test_that("a cross-validated comparison of models: one mean and error bar per model", {
  set.seed(5)
  cmp <- cv_compare(line = list(formula = dist ~ speed), quad = list(formula = dist ~ poly(speed, 2)),
                    data = cars, nfolds = 5)
  p <- ggplot2::autoplot(cmp)
  build_quietly(p)
  pts <- layer_input(p, "GeomPoint")
  expect_identical(as.character(pts$model), cmp$table$model)
  built <- only_layer(p, "GeomPoint")
  expect_equal(built$y, cmp$table$nll)
  expect_equal(as.numeric(built$x), seq_len(nrow(cmp$table)))
  bars <- only_layer(p, "GeomErrorbar")
  expect_equal(bars$ymin, cmp$table$nll - cmp$table$nll_se)
  expect_equal(bars$ymax, cmp$table$nll + cmp$table$nll_se)
  p <- ggplot2::autoplot(cmp, measure = "mse")
  expect_equal(only_layer(p, "GeomPoint")$y, cmp$table$mse)
  expect_error(ggplot2::autoplot(cmp, measure = "nope"),
               "autoplot.gradglm_cv_comparison: 'measure' must be one of", fixed = TRUE)
})

test_that("an optimizer comparison: one curve per optimizer, the distance to the best loss", {
  cmp <- compare_optimizers(am ~ wt + hp, data = mtcars, family = binomial(),
                            optimizers = c("newton", "gd"), max_iter = 300)
  p <- ggplot2::autoplot(cmp)
  build_quietly(p)
  d <- p$data
  expect_identical(levels(d$optimizer), c("newton", "gd"))
  best <- min(unlist(lapply(cmp$traces, function(t) t$loss)))
  margin <- 1e-10 * max(1, abs(best))
  for (i in 1:2) {
    tr <- cmp$traces[[i]]
    rows <- d$optimizer == cmp$table$optimizer[i]
    expect_equal(d$x[rows], tr$iter)
    expect_equal(d$y[rows], tr$loss - (best - margin))
  }
  expect_identical(ggplot2::get_labs(p)$x, "iteration")
  expect_identical(title_of(p), "Loss against iterations")
  # log scale: the built y are log10 values
  ld <- only_layer(p, "GeomLine")
  expect_equal(sort(ld$y), sort(log10(d$y[d$type != "p"])))

  p <- ggplot2::autoplot(cmp, which = "time", log = FALSE)
  build_quietly(p)
  d <- p$data
  expect_equal(d$y[d$optimizer == "gd"], cmp$traces[[2L]]$loss)
  expect_match(ggplot2::get_labs(p)$x, "time (s", fixed = TRUE)
  expect_identical(title_of(p), "Loss against time")

  expect_error(ggplot2::autoplot(cmp, which = c("iterations", "time")),
               "autoplot.gradglm_comparison: 'which' must be one of \"iterations\", \"time\"", fixed = TRUE)
  expect_error(ggplot2::autoplot(cmp, which = "speed"),
               "autoplot.gradglm_comparison: 'which' must be one of", fixed = TRUE)
  expect_error(ggplot2::autoplot(cmp, log = NA),
               "autoplot.gradglm_comparison: 'log' must be TRUE or FALSE", fixed = TRUE)
})

test_that("bad or inapplicable 'which' values give the package's errors", {
  fit <- gradglm(dist ~ speed, data = cars)
  msg <- paste0("autoplot.gradglm: 'which' must be one of \"loss\", \"residuals\", \"qq\", \"fit\", \"scale\", ",
                "\"leverage\" (or 1 to 6)")
  expect_error(ggplot2::autoplot(fit, which = "cooks"), msg, fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = 7), msg, fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = NA), msg, fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = character()), msg, fixed = TRUE)
  # one plot per call
  expect_error(ggplot2::autoplot(fit, which = c("loss", "qq")), msg, fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = "path"),
               "autoplot.gradglm: which = \"path\" is for a regularization path", fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = "network"), "are for networks", fixed = TRUE)

  fit2 <- gradglm(mpg ~ wt + hp, data = mtcars)
  expect_error(ggplot2::autoplot(fit2, which = "fit"),
               "autoplot.gradglm: 'which = \"fit\"' needs a model fitted by gradglm() with a single numeric predictor",
               fixed = TRUE)
  het <- gradglm(mpg ~ wt, sigma = ~ hp, data = mtcars)
  expect_error(ggplot2::autoplot(het, which = "fit"),
               "autoplot.gradglm: 'which = \"fit\"' needs a model fitted by gradglm() with a single numeric predictor, and a sigma model",
               fixed = TRUE)
  expect_error(ggplot2::autoplot(het, which = "probs"),
               "autoplot.gradglm: 'which' must be one of \"loss\", \"fit\", \"residuals\", \"qq\"", fixed = TRUE)

  path <- gradglm(mpg ~ wt + hp, data = mtcars, penalty = lasso())
  expect_error(ggplot2::autoplot(path, which = "residuals"),
               "autoplot.gradglm: a regularization path has one plot: which = \"path\"", fixed = TRUE)

  nolog <- fit
  nolog$trace <- NULL
  expect_error(ggplot2::autoplot(nolog, which = "loss"),
               "autoplot.gradglm: 'which = \"loss\"' needs the training trace", fixed = TRUE)
  # without a trace the default is the residual plot
  expect_equal(layer_input(ggplot2::autoplot(nolog), "GeomPoint")$y, unname(residuals(fit)))

  # base-graphics arguments are not taken silently
  expect_error(ggplot2::autoplot(fit, main = "title"),
               "autoplot.gradglm: unused argument: 'main'", fixed = TRUE)
})

test_that("a fit from a chunked source has its training curve and no residual plots", {
  set.seed(6)
  d <- data.frame(x = rnorm(300))
  d$y <- rpois(300, exp(0.5 + 0.4 * d$x))
  src <- function_source(d, 100)
  fit <- gradglm(y ~ x, data = src, family = poisson())
  p <- ggplot2::autoplot(fit)
  build_quietly(p)
  expect_equal(p$data$value[p$data$curve == "loss"], fit$trace$loss)
  expect_error(ggplot2::autoplot(fit, which = "residuals"),
               "autoplot.gradglm: the fit was made from a chunked source and keeps no residuals", fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = "fit"), "chunked source", fixed = TRUE)
  expect_error(ggplot2::autoplot(fit, which = "cooks"), "'which' must be one of", fixed = TRUE)
  expect_identical(gsub("\n", " ", levels(p$data$panel)[1L]), "loss (deviance / 2 per unit weight)")

  # a distributional fit's loss is its negative log-likelihood, as the label says
  d$y <- 1 + d$x + stats::rt(300, 5) * exp(0.2 * d$x)
  chunks <- split(d, rep(1:3, each = 100))
  i <- 0
  fit_t <- gradglm(y ~ x, sigma = ~ x, data = src, family = student_t(df = 5))
  expect_identical(fit_t$kind, "likelihood")
  expect_equal(fit_t$trace$loss[nrow(fit_t$trace)], -fit_t$loglik / 300, tolerance = 1e-8)
  p <- ggplot2::autoplot(fit_t)
  build_quietly(p)
  expect_identical(gsub("\n", " ", levels(p$data$panel)[1L]), "loss (negative log-likelihood)")
})

test_that("multinomial fits: class probabilities and the confusion of classes", {
  fit <- gradglm(Species ~ Sepal.Length, data = iris, family = multinomial())
  for (w in c("loss", "probs", "confusion")) build_quietly(ggplot2::autoplot(fit, which = w))
  p <- ggplot2::autoplot(fit, which = "probs")
  d <- p$data
  P <- fitted(fit)
  ord <- order(iris$Sepal.Length)
  for (k in colnames(P)) {
    expect_equal(d$x[d$class == k], iris$Sepal.Length[ord])
    expect_equal(d$probability[d$class == k], unname(P[ord, k]))
  }
  p <- ggplot2::autoplot(fit, which = "confusion")
  d <- p$data
  pred <- predict(fit, type = "class")
  tab <- table(observed = iris$Species, predicted = factor(pred, levels = levels(iris$Species)))
  for (i in seq_len(nrow(d))) {
    expect_equal(d$count[i], as.vector(tab[as.character(d$observed[i]), as.character(d$predicted[i])]))
  }
  expect_identical(title_of(p), "Observed and predicted classes")
  expect_error(ggplot2::autoplot(fit, which = "probs", predictor = "Petal.Width"),
               "autoplot.gradglm: 'predictor' must name a numeric variable of the model", fixed = TRUE)
})

test_that("several responses: Pearson residuals by response", {
  fit <- gradglm(cbind(mpg, qsec) ~ wt, data = mtcars)
  build_quietly(ggplot2::autoplot(fit, which = "loss"))
  p <- ggplot2::autoplot(fit, which = "residuals")
  build_quietly(p)
  d <- p$data
  expect_identical(levels(d$response), c("mpg", "qsec"))
  r <- residuals(fit, type = "pearson")
  expect_equal(d$y[d$response == "qsec"], unname(r[, "qsec"]))
  expect_equal(d$x[d$response == "mpg"], unname(fitted(fit)[, "mpg"]))

  # rows left out by na.exclude: residuals and fitted values stay paired
  dm <- mtcars
  dm$wt[3] <- NA
  fit <- gradglm(cbind(mpg, qsec) ~ wt, data = dm, na.action = na.exclude)
  p <- ggplot2::autoplot(fit, which = "residuals")
  build_quietly(p)
  d <- p$data
  expect_equal(nrow(d), 2L * (nrow(dm) - 1L))
  r <- residuals(fit, type = "pearson")[, "mpg"]
  expect_equal(d$y[d$response == "mpg"], unname(r[!is.na(r)]))
  expect_equal(d$x[d$response == "mpg"], unname(fit$fitted.values[, "mpg"]))
})

test_that("networks: training curve, diagram and partial dependence", {
  set.seed(7)
  fit <- gradglm(dist ~ speed, data = cars, model = mlp(3))
  for (w in c("loss", "network", "effect")) build_quietly(ggplot2::autoplot(fit, which = w))
  p <- ggplot2::autoplot(fit, which = "network")
  seg <- layer_input(p, "GeomSegment")
  # 1 input -> 3 hidden units -> 1 output: 3 + 3 weights
  expect_equal(nrow(seg), 6L)
  expect_setequal(abs(seg$weight), abs(unname(coef(fit)[c(1:3, 7:9)])))
  p <- ggplot2::autoplot(fit, which = "effect")
  d <- p$data
  expect_equal(range(d$x), range(cars$speed))
  nd <- cars
  nd$speed <- d$x[10]
  expect_equal(d$y[10], mean(predict(fit, newdata = nd, type = "response")))
  expect_error(ggplot2::autoplot(fit, which = "probs"),
               "autoplot.gradglm: 'which' must be one of \"loss\", \"network\", \"effect\"", fixed = TRUE)
})
