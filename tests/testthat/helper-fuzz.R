# Generated odd inputs for gradglm(), as careless users give them: the data
# frames, formulas, families, optimizers, weights and new data of one case are
# drawn from a seed. Used by test-fuzz.R (a fixed set of seeds) and by
# tools/fuzz.R (many more, with each failure saved as a reproducible case).

fuzz_column <- function(kind, n) {
  if (n == 0L) return(fuzz_column(kind, 1L)[0L])
  switch(kind,
    numeric = stats::rnorm(n),
    integer = sample.int(5L, n, replace = TRUE),
    logical = sample(c(TRUE, FALSE), n, replace = TRUE),
    logical_na = sample(c(TRUE, FALSE, NA), n, replace = TRUE),
    factor = factor(sample(letters[1:3], n, replace = TRUE)),
    factor_na = factor(sample(c(letters[1:3], NA), n, replace = TRUE)),
    ordered = factor(sample(c("lo", "mid", "hi"), n, replace = TRUE), levels = c("lo", "mid", "hi"),
                     ordered = TRUE),
    one_level = factor(rep("only", n)),
    unused_levels = factor(rep("a", n), levels = c("a", "b", "c")),
    many_levels = factor(paste0("l", seq_len(n))),
    levels_1e4 = factor(paste0("l", sample.int(1e4, n, replace = TRUE)), levels = paste0("l", 1:1e4)),
    character = sample(c("u", "v"), n, replace = TRUE),
    empty_string = sample(c("", "v"), n, replace = TRUE),
    date = as.Date("2020-01-01") + seq_len(n),
    posixct = as.POSIXct("2020-01-01", tz = "UTC") + 3600 * seq_len(n),
    all_na = rep(NA_real_, n),
    constant = rep(2.5, n),
    near_constant = 1 + stats::rnorm(n) * 1e-15,
    huge = stats::rnorm(n) * 1e300,
    tiny = stats::rnorm(n) * 1e-300,
    scale_1e8 = stats::rnorm(n) * 1e8,
    big_integer = sample(c(.Machine$integer.max, 0L, -.Machine$integer.max), n, replace = TRUE),
    counts_1e9 = stats::rpois(n, 1e9),
    inf = replace(stats::rnorm(n), 1L, Inf),
    nan = replace(stats::rnorm(n), 1L, NaN),
    some_na = replace(stats::rnorm(n), sample.int(n, max(1L, n %/% 4L)), NA),
    complex = complex(real = stats::rnorm(n), imaginary = 1),
    stats::rnorm(n))
}

fuzz_kinds <- c("numeric", "numeric", "numeric", "integer", "logical", "logical_na", "factor", "factor_na",
                "ordered", "one_level", "unused_levels", "many_levels", "levels_1e4", "character",
                "empty_string", "date", "posixct", "all_na", "constant", "near_constant", "huge", "tiny",
                "scale_1e8", "big_integer", "counts_1e9", "inf", "nan", "some_na", "complex")

# The response of a family: a proper one, or (sometimes) an odd one; returns
# list(y, kind)
fuzz_response <- function(family, n, eta) {
  mu <- stats::plogis(eta)
  odd <- stats::runif(1) < 0.2
  pick <- function(...) { alts <- list(...); i <- sample.int(length(alts), 1L); list(alts[[i]], names(alts)[i]) }
  r <- if (!odd) {
    list(switch(family,
      binomial = , quasibinomial = stats::rbinom(n, 1, mu),
      poisson = , quasipoisson = stats::rpois(n, exp(eta / 2)),
      Gamma = , inverse.gaussian = stats::rgamma(n, shape = 2, rate = 2 / exp(eta / 4)),
      negative_binomial = stats::rnbinom(n, size = 2, mu = exp(eta / 2)),
      multinomial = factor(sample(c("p", "q", "r"), n, replace = TRUE)),
      ordinal = factor(sample(c("lo", "mid", "hi"), n, replace = TRUE), levels = c("lo", "mid", "hi"),
                       ordered = TRUE),
      eta + stats::rnorm(n)), "proper")
  } else switch(family,
    Gamma = , inverse.gaussian = pick(zeros = replace(stats::rexp(n), 1L, 0), negative = -stats::rexp(n),
                                      huge = stats::rexp(n) * 1e300, tiny = stats::rexp(n) * 1e-300,
                                      constant = rep(2, n)),
    binomial = , quasibinomial = pick(out_of_range = sample(c(0, 1, 2, -1, NA), n, replace = TRUE),
                    logical = stats::rbinom(n, 1, mu) > 0,
                    two_level_factor = factor(sample(c("no", "yes"), n, replace = TRUE)),
                    character = sample(c("no", "yes"), n, replace = TRUE),
                    all_zero = rep(0, n),
                    proportion = stats::runif(n)),
    negative_binomial = pick(non_integer = stats::runif(n) * 3, negative = -stats::rpois(n, 2) - 1,
                             all_zero = rep(0, n), counts_1e9 = stats::rnbinom(n, size = 5, mu = 1e9),
                             poisson_counts = stats::rpois(n, 3)),
    poisson = , quasipoisson = pick(out_of_range = sample(c(-1, 0.5, NA, 3), n, replace = TRUE),
                   counts_1e9 = stats::rpois(n, 1e9),
                   all_zero = rep(0, n)),
    multinomial = pick(one_class = factor(rep("p", n)),
                       numeric = stats::rnorm(n),
                       unused_class = factor(sample(c("p", "q"), n, replace = TRUE), levels = c("p", "q", "r"))),
    ordinal = pick(unordered = factor(sample(c("lo", "hi"), n, replace = TRUE)),
                   one_class = factor(rep("lo", n), levels = c("lo", "hi"), ordered = TRUE)),
    pick(constant = rep(1, n), huge = stats::rnorm(n) * 1e300, tiny = stats::rnorm(n) * 1e-300,
         scale_1e150 = stats::rnorm(n) * 1e150, all_na = rep(NA_real_, n),
         inf = c(Inf, stats::rnorm(n))[seq_len(n)], character = as.character(stats::rnorm(n)),
         integer = sample.int(3L, n, replace = TRUE)))
  list(y = r[[1L]][seq_len(n)], kind = paste0("response:", family, ":", r[[2L]]))
}

# one generated case: list(args = the arguments of gradglm(), newdata, kinds =
# the kinds of input it contains)
# links of one's own: log-log (mu = exp(-exp(-eta))) and log(1 + mu), valid for eta > 0
fuzz_own_link <- function(kind) {
  eps <- .Machine$double.eps
  lk <- switch(kind,
               loglog = list(linkfun = function(mu) -log(-log(mu)),
                             linkinv = function(eta) pmin(pmax(exp(-exp(-eta)), eps), 1 - eps),
                             mu.eta = function(eta) pmax(exp(-eta - exp(-eta)), eps),
                             valideta = function(eta) TRUE),
               log1p = list(linkfun = function(mu) log1p(mu), linkinv = function(eta) expm1(eta),
                            mu.eta = function(eta) exp(eta), valideta = function(eta) all(is.finite(eta) & eta > 0)))
  structure(c(lk, name = kind), class = "link-glm")
}

fuzz_case <- function(seed) {
  set.seed(seed)
  n <- sample(c(0L, 1L, 2L, 3L, 5L, 12L, 40L, 120L), 1L, prob = c(0.3, 1, 1, 1, 1, 1, 1, 1))
  k <- sample(1:4, 1L)
  kinds <- sample(fuzz_kinds, k, replace = TRUE)
  d <- as.data.frame(stats::setNames(lapply(kinds, fuzz_column, n = n), paste0("x", seq_len(k))),
                     stringsAsFactors = FALSE)
  used <- c(paste0("column:", kinds), paste0("rows:", if (n <= 3L) n else "many"))
  if (stats::runif(1) < 0.1 && k > 1L) { d$x2 <- d$x1; used <- c(used, "column:duplicated") }
  eta <- if (is.numeric(d$x1) && all(is.finite(d$x1)) && max(abs(d$x1), 0) < 1e3) d$x1 / 2 else rep(0, n)
  family <- sample(c("gaussian", "gaussian", "binomial", "poisson", "student_t", "laplace", "multinomial",
                     "ordinal", "Gamma", "inverse.gaussian", "quasipoisson", "quasibinomial",
                     "negative_binomial"), 1L)
  resp <- fuzz_response(family, n, eta)
  d$y <- resp$y
  used <- c(used, resp$kind, paste0("family:", family))
  rhs <- sample(c("x1", "x1 + x2", "x1 * x2", "x1:x2", "poly(x1, 2)", "I(x1^2) + x1", "x1 + offset(x2)", ".",
                  ".^2", "x1 - 1", "0 + x1", "1", "log(x1)", "exp(x1)", "factor(x1)", "x1 + x3", "x1 + y"), 1L)
  used <- c(used, paste0("formula:", rhs))
  if (!"x2" %in% names(d)) rhs <- sub("x2", "x1", rhs)
  # binomial and poisson fits: now and then a link of one's own
  own_link <- family %in% c("binomial", "poisson") && stats::runif(1) < 0.2
  if (own_link) used <- c(used, "link:own")
  args <- list(formula = stats::as.formula(paste("y ~", rhs)), data = d,
               family = switch(family, gaussian = stats::gaussian(),
                               binomial = if (own_link) stats::binomial(link = fuzz_own_link("loglog")) else
                                 stats::binomial(),
                               poisson = if (own_link) stats::poisson(link = fuzz_own_link("log1p")) else
                                 stats::poisson(),
                               student_t = student_t(), laplace = laplace(),
                               multinomial = multinomial(), ordinal = ordinal(),
                               Gamma = {
                                 # (a name for the link: Gamma() deparses the expression it is given)
                                 glink <- if (stats::runif(1) < 0.2) stats::power(1 / 3) else
                                   sample(c("inverse", "log", "identity"), 1L)
                                 stats::Gamma(link = glink)
                               },
                               inverse.gaussian = stats::inverse.gaussian(),
                               quasipoisson = stats::quasipoisson(), quasibinomial = stats::quasibinomial(),
                               negative_binomial = negative_binomial(theta = if (stats::runif(1) < 0.5) 2,
                                                                     link = sample(c("log", "sqrt"), 1L))))
  opt <- sample(c("auto", "auto", "newton", "lbfgs", "gd", "sgd", "adam"), 1L)
  used <- c(used, paste0("optimizer:", opt))
  args$optimizer <- switch(opt, sgd = opt_sgd(max_epochs = 5), adam = opt_adam(max_epochs = 5), opt)
  if (opt == "gd") args$control <- gradglm_control(max_iter = 200)
  wkind <- sample(c("none", "none", "none", "zeros", "na", "negative", "huge", "uneven", "inf", "wrong_length",
                    "character"), 1L)
  used <- c(used, paste0("weights:", wkind))
  if (wkind != "none") {
    args$weights <- switch(wkind, zeros = rep(0, n), na = replace(rep(1, n), 1L, NA),
                           negative = replace(rep(1, n), 1L, -1), huge = rep(1e300, n),
                           uneven = stats::runif(n, 0, 3), inf = replace(rep(1, n), 1L, Inf),
                           wrong_length = rep(1, n + 1L), character = rep("1", n))
  }
  extra <- sample(c("none", "none", "none", "offset", "offset_na", "subset", "na_fail", "na_exclude"), 1L)
  used <- c(used, paste0("argument:", extra))
  switch(extra,
         offset = args$offset <- stats::rnorm(n),
         offset_na = args$offset <- replace(rep(0, n), 1L, NA),
         subset = args$subset <- seq_len(n) %% 2L == 1L,
         na_fail = args$na.action <- stats::na.fail,
         na_exclude = args$na.action <- stats::na.exclude,
         NULL)
  if (family %in% c("gaussian", "student_t", "laplace", "Gamma", "inverse.gaussian", "negative_binomial") &&
      is.null(args$family$theta) && stats::runif(1) < 0.2) {
    args$sigma <- ~ x1
    used <- c(used, "sigma model")
  }
  if (stats::runif(1) < 0.1) {
    args$penalty <- lasso(lambda = 0.1)
    used <- c(used, "penalty")
  }
  if (stats::runif(1) < 0.05) {
    args$model <- mlp(3)
    used <- c(used, "network")
  }
  nkind <- sample(c("same", "head", "new_level", "na", "missing_col", "zero_rows", "character_for_number"), 1L)
  used <- c(used, paste0("newdata:", nkind))
  newdata <- switch(nkind,
                    same = d, head = utils::head(d, 2L),
                    new_level = { nd <- utils::head(d, 2L); if (is.factor(nd$x1)) nd$x1 <- factor(rep("zzz", nrow(nd))); nd },
                    na = { nd <- utils::head(d, 2L); if (nrow(nd)) nd$x1[1L] <- NA; nd },
                    missing_col = utils::head(d[setdiff(names(d), "x1")], 2L),
                    zero_rows = d[0L, , drop = FALSE],
                    character_for_number = { nd <- utils::head(d, 2L); if (is.numeric(nd$x1)) nd$x1 <- as.character(nd$x1); nd })
  list(seed = seed, args = args, newdata = newdata, kinds = unique(used))
}

# A clear error names the function that raises it ("gradglm: ...", "predict: ...")
fuzz_clear_error <- function(msg) grepl("^[A-Za-z_.]+[A-Za-z0-9_.]*: ", msg)

# Time limits of the tests, stretched where the package runs instrumented
# (tools/sanitize.sh sets GRADGLM_TEST_SLOW: sanitizers and valgrind run the
# compiled code several times slower)
test_seconds <- function(seconds) {
  if (nzchar(Sys.getenv("GRADGLM_TEST_SLOW"))) seconds * 20 else seconds
}

# Runs one case within `seconds`: "fit" (checked), "error" (a clear one), or
# what went wrong
fuzz_run <- function(case, seconds = 10) {
  seconds <- test_seconds(seconds)
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
