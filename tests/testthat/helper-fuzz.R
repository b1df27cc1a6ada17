# Generated odd inputs for gradglm(), as careless users give them: the data
# frames, formulas, families, optimizers, weights and new data of one case are
# drawn from a seed. Used by test-fuzz.R (a fixed set of seeds) and by
# tools/fuzz.R (many more, with each failure saved as a reproducible case).

fuzz_column <- function(kind, n) {
  switch(kind,
    numeric = stats::rnorm(n),
    integer = sample.int(5L, n, replace = TRUE),
    logical = sample(c(TRUE, FALSE), n, replace = TRUE),
    factor = factor(sample(letters[1:3], n, replace = TRUE)),
    many_levels = factor(paste0("l", seq_len(n))),
    levels_1e4 = factor(paste0("l", sample.int(1e4, n, replace = TRUE)), levels = paste0("l", 1:1e4)),
    character = sample(c("u", "v"), n, replace = TRUE),
    date = as.Date("2020-01-01") + seq_len(n),
    all_na = rep(NA_real_, n),
    constant = rep(2.5, n),
    huge = stats::rnorm(n) * 1e300,
    tiny = stats::rnorm(n) * 1e-300,
    inf = replace(stats::rnorm(n), 1L, Inf),
    nan = replace(stats::rnorm(n), 1L, NaN),
    some_na = replace(stats::rnorm(n), sample.int(n, max(1L, n %/% 4L)), NA),
    stats::rnorm(n))
}

fuzz_kinds <- c("numeric", "numeric", "numeric", "integer", "logical", "factor", "many_levels", "levels_1e4", "character",
                "date", "all_na", "constant", "huge", "tiny", "inf", "nan", "some_na")

fuzz_response <- function(family, n, eta) {
  mu <- stats::plogis(eta)
  odd <- stats::runif(1) < 0.15
  switch(family,
    binomial = if (odd) sample(c(0, 1, 2, -1, NA), n, replace = TRUE) else stats::rbinom(n, 1, mu),
    poisson = if (odd) sample(c(-1, 0.5, NA, 3), n, replace = TRUE) else stats::rpois(n, exp(eta / 2)),
    multinomial = factor(sample(c("p", "q", "r"), n, replace = TRUE)),
    ordinal = factor(sample(c("lo", "mid", "hi"), n, replace = TRUE), levels = c("lo", "mid", "hi"), ordered = TRUE),
    if (odd) {
      switch(sample.int(4L, 1L), rep(1, n), stats::rnorm(n) * 1e300, rep(NA_real_, n), c(Inf, stats::rnorm(n))[seq_len(n)])
    } else {
      eta + stats::rnorm(n)
    })
}

# one generated case: a list(args = the arguments of gradglm(), newdata)
fuzz_case <- function(seed) {
  set.seed(seed)
  n <- sample(c(1L, 2L, 3L, 5L, 12L, 40L, 120L), 1L)
  k <- sample(1:4, 1L)
  kinds <- sample(fuzz_kinds, k, replace = TRUE)
  d <- as.data.frame(stats::setNames(lapply(kinds, fuzz_column, n = n), paste0("x", seq_len(k))),
                     stringsAsFactors = FALSE)
  if (stats::runif(1) < 0.1 && k > 1L) d$x2 <- d$x1  # a duplicated column
  eta <- if (is.numeric(d$x1) && all(is.finite(d$x1)) && max(abs(d$x1)) < 1e3) d$x1 / 2 else rep(0, n)
  family <- sample(c("gaussian", "gaussian", "binomial", "poisson", "student_t", "laplace", "multinomial",
                     "ordinal"), 1L)
  d$y <- fuzz_response(family, n, eta)
  rhs <- sample(c("x1", "x1 + x2", "x1 * x2", "poly(x1, 2)", "I(x1^2) + x1", "x1 + offset(x2)", ".", "x1 - 1", "1",
                  "log(x1)", "x1 + x3"), 1L)
  if (!"x2" %in% names(d)) rhs <- sub("x2", "x1", rhs)
  args <- list(formula = stats::as.formula(paste("y ~", rhs)), data = d,
               family = switch(family, gaussian = stats::gaussian(), binomial = stats::binomial(),
                               poisson = stats::poisson(), student_t = student_t(), laplace = laplace(),
                               multinomial = multinomial(), ordinal = ordinal()))
  opt <- sample(c("auto", "auto", "newton", "lbfgs", "gd", "sgd", "adam"), 1L)
  args$optimizer <- switch(opt, sgd = opt_sgd(max_epochs = 5), adam = opt_adam(max_epochs = 5), opt)
  if (opt == "gd") args$control <- gradglm_control(max_iter = 200)
  wkind <- sample(c("none", "none", "none", "zeros", "na", "negative", "huge", "uneven"), 1L)
  if (wkind != "none") {
    args$weights <- switch(wkind, zeros = rep(0, n), na = replace(rep(1, n), 1L, NA),
                           negative = replace(rep(1, n), 1L, -1), huge = rep(1e300, n),
                           uneven = stats::runif(n, 0, 3))
  }
  if (family %in% c("gaussian", "student_t", "laplace") && stats::runif(1) < 0.2) args$sigma <- ~ x1
  if (stats::runif(1) < 0.1) args$penalty <- lasso(lambda = 0.1)
  if (stats::runif(1) < 0.05) args$model <- mlp(3)
  newdata <- switch(sample(c("same", "head", "new_level", "na", "missing_col"), 1L),
                    same = d, head = utils::head(d, 2L),
                    new_level = { nd <- utils::head(d, 2L); if (is.factor(nd$x1)) nd$x1 <- factor("zzz"); nd },
                    na = { nd <- utils::head(d, 2L); nd$x1[1L] <- NA; nd },
                    missing_col = utils::head(d[setdiff(names(d), "x1")], 2L))
  list(seed = seed, args = args, newdata = newdata)
}

# A clear error names the function that raises it ("gradglm: ...", "predict: ...")
fuzz_clear_error <- function(msg) grepl("^[A-Za-z_.]+[A-Za-z0-9_.]*: ", msg)

# Runs one case within `seconds`: "fit" (checked), "error" (a clear one), or
# what went wrong
fuzz_run <- function(case, seconds = 10) {
  started <- Sys.time()
  res <- tryCatch({
    setTimeLimit(elapsed = seconds, transient = TRUE)
    on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
    fit <- suppressWarnings(do.call(gradglm, case$args))
    problems <- character(0)
    b <- coef(fit)
    if (is.list(b)) b <- unlist(b)
    b <- suppressWarnings(as.numeric(b))
    aliased <- if (!is.null(fit$aliased)) unlist(fit$aliased) else rep(FALSE, length(b))
    if (length(aliased) != length(b)) aliased <- is.na(b)
    if (any(is.nan(b)) || any(is.na(b) & !aliased)) problems <- c(problems, "NaN/NA coefficient")
    # (a saturated fit of a family with a free dispersion has none to estimate:
    # its standard errors are NaN, as glm's)
    saturated <- isTRUE(fit$df.residual <= 0)
    if (is.null(fit$path) && !isTRUE(fit$kind == "network") && !saturated) {
      se <- tryCatch(suppressWarnings(sqrt(diag(as.matrix(vcov(fit))))), error = function(e) NULL)
      if (!is.null(se) && any(is.nan(se[!is.na(b)]))) problems <- c(problems, "NaN standard error")
    }
    p <- tryCatch(suppressWarnings(predict(fit, newdata = case$newdata)),
                  error = function(e) structure(conditionMessage(e), class = "predict_error"))
    if (inherits(p, "predict_error")) {
      if (!fuzz_clear_error(p)) problems <- c(problems, paste("predict:", p))
    } else if (is.numeric(p) && any(is.nan(p))) {
      # (NaN where the new row's model variables are themselves missing or
      # undefined, as for log() of a negative value, is what glm gives too)
      mf <- tryCatch(suppressWarnings(stats::model.frame(stats::delete.response(stats::terms(fit)),
                                                         case$newdata, na.action = stats::na.pass)),
                     error = function(e) NULL)
      undefined <- if (is.null(mf)) rep(TRUE, NROW(p)) else !stats::complete.cases(mf) |
        !apply(as.matrix(vapply(mf, function(v) if (is.numeric(v)) is.finite(as.numeric(v)) else !is.na(v),
                                logical(nrow(mf)))), 1L, all)
      rows_nan <- if (is.matrix(p)) apply(is.nan(p), 1L, any) else is.nan(p)
      if (any(rows_nan & !undefined)) problems <- c(problems, "NaN prediction")
    }
    if (length(problems)) paste(problems, collapse = "; ") else "fit"
  }, error = function(e) {
    msg <- conditionMessage(e)
    if (grepl("reached elapsed time limit", msg)) "time limit" else if (fuzz_clear_error(msg)) "error" else msg
  }, interrupt = function(e) {
    # (the time limit reaches compiled code as an interrupt; a real one stops the run)
    if (difftime(Sys.time(), started, units = "secs") < seconds) stop("interrupted")
    "time limit"
  })
  setTimeLimit(elapsed = Inf)
  res
}
