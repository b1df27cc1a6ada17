# Chunked data sources: the first pass (columns, types, levels, rows), the
# conversion of each chunk to the whole data's schema, and the chunked
# objective of the engine (src/chunked_objective.h) against the in-memory fit.

chunk_data <- function(n = 503) {
  set.seed(1)
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), f = sample(c("a", "b", "c"), n, TRUE), w = runif(n, 0.5, 2))
  early <- seq_len(floor(0.6 * n))
  d$f[early] <- ifelse(d$f[early] == "c", "a", d$f[early])  # level "c" only in the last 40% of rows
  d$y <- rpois(n, exp(0.3 + 0.5 * d$x1 - 0.2 * (d$f == "b")))
  d$yb <- as.integer(d$y > 1)
  d
}

# (in the session's temporary directory, removed with it)
temp_path <- function(ext) tempfile(fileext = ext)

# the rows of d in two CSV files (the first 1,500 rows and the others)
two_csv_files <- function(d) {
  files <- c(temp_path(".csv"), temp_path(".csv"))
  utils::write.csv(d[1:1500, ], files[1], row.names = FALSE)
  utils::write.csv(d[-(1:1500), ], files[2], row.names = FALSE)
  files
}


test_that("the first pass learns rows, types and levels that appear only in later chunks", {
  d <- chunk_data()
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  for (src in list(function_source(d, 50), gradglm_source(csv, chunk_size = 50))) {
    sc <- source_scan(src)
    expect_s3_class(sc, "gradglm_schema")
    expect_equal(sc$n, nrow(d))
    expect_equal(sc$chunks, 11L)
    expect_equal(sc$levels$f, c("a", "b", "c"))
    expect_equal(unname(sc$types[c("x1", "f", "y")]), c("numeric", "factor", "numeric"))
    # every chunk converted to the schema has all levels
    seen <- 0
    gradglm:::source_each(src, function(chunk, k) {
      fr <- gradglm:::source_frame(chunk, sc, k)
      expect_equal(levels(fr$f), c("a", "b", "c"))
      seen <<- seen + nrow(fr)
    }, "test")
    expect_equal(seen, nrow(d))
  }
  # a factor keeps its levels' order; a character column's are sorted
  d2 <- data.frame(g = factor(c("q", "p", "q"), levels = c("q", "p")), h = c("z", "y", "x"))
  sc2 <- source_scan(function_source(d2, 2))
  expect_equal(sc2$levels, list(g = c("q", "p"), h = c("x", "y", "z")))
  # levels that no row uses are dropped, as model.frame() drops them for glm()
  d2$g <- factor(c("q", "p", "q"), levels = c("r", "q", "s", "p"))
  expect_equal(source_scan(function_source(d2, 1))$levels$g, c("q", "p"))
  # a file of several chunks and a second file
  csv2 <- temp_path(".csv")
  utils::write.csv(d[1:10, ], csv2, row.names = FALSE)
  expect_equal(source_scan(gradglm_source(c(csv, csv2), chunk_size = 100))$n, nrow(d) + 10)
  expect_output(print(gradglm_source(csv)), "1 CSV file")
})

test_that("the chunked objective equals the in-memory fit's, whatever the chunk size", {
  d <- chunk_data()
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  dd <- d
  dd$f <- factor(dd$f)
  for (fam in list(poisson(), binomial(), gaussian())) {
    form <- if (fam$family == "binomial") yb ~ x1 + x2 + f else y ~ x1 * x2 + f
    ref <- suppressWarnings(gradglm(form, data = dd, family = fam, weights = w,
                                    control = gradglm_control(tol = 1e-12)))
    th <- unname(coef(ref))
    one <- NULL
    for (src in list(gradglm_source(csv, chunk_size = 1000), gradglm_source(csv, chunk_size = 7),
                     function_source(d, 50))) {
      m <- suppressWarnings(gradglm:::source_model(src, form, fam, weights = "w"))
      r <- suppressWarnings(gradglm:::chunked_pass(m$open, m$next_spec, th, "observed", 1L))
      # the loss is the deviance's half per unit weight; the gradient vanishes at the fit
      expect_equal(2 * r$weight_sum * r$value, deviance(ref), tolerance = 1e-12)
      expect_equal(r$weight_sum, sum(d$w))
      expect_lt(max(abs(r$gradient)), 1e-12)
      if (is.null(one)) {
        one <- r
      } else {
        expect_equal(r$hessian, one$hessian, tolerance = 1e-12)
      }
      # Fisher's curvature away from the optimum too
      f <- suppressWarnings(gradglm:::chunked_pass(m$open, m$next_spec, th + 0.01, "fisher", 1L))
      f1 <- suppressWarnings(gradglm:::chunked_pass(m$open, m$next_spec, th + 0.01, "observed", 1L))
      expect_equal(f$value, f1$value, tolerance = 1e-14)
      expect_true(all(is.finite(f$hessian)))
    }
  }
})

test_that("a chunked SQLite query gives the same objective as its CSV file", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- chunk_data()
  db <- temp_path(".sqlite")
  con <- DBI::dbConnect(RSQLite::SQLite(), db)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "rows", d)
  src <- gradglm_source(con, "rows", chunk_size = 60)
  expect_output(print(src), "SELECT")
  sc <- source_scan(src)
  expect_equal(sc$n, nrow(d))
  expect_equal(sc$chunks, 9L)
  expect_equal(sc$levels$f, c("a", "b", "c"))
  dd <- d
  dd$f <- factor(dd$f)
  ref <- gradglm(y ~ x1 + f, data = dd, family = poisson(), control = gradglm_control(tol = 1e-12))
  m <- gradglm:::source_model(gradglm_source(con, "SELECT y, x1, f FROM rows WHERE x2 >= 0", chunk_size = 45),
                              y ~ x1 + f, poisson())
  r <- gradglm:::chunked_pass(m$open, m$next_spec, unname(coef(ref)), "observed", 1L)
  expect_equal(2 * r$weight_sum * r$value, deviance(ref), tolerance = 1e-12)
  expect_lt(max(abs(r$gradient)), 1e-12)
  # the pass leaves no result set open (RSQLite warns when a query finds one)
  expect_silent(n_rows <- DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM rows")$n)
  expect_equal(n_rows, nrow(d))
  expect_error(gradglm_source(con, "nosuchtable"), "no table")
  expect_error(source_scan(gradglm_source(con, "SELECT nonsense FROM rows")), "the query of the first pass failed")
  # a pass stopped by an error in the middle closes its result set too
  m2 <- gradglm:::source_model(gradglm_source(con, "rows", chunk_size = 45), y ~ x1 + f, poisson())
  expect_error(gradglm:::chunked_pass(m2$open, function() stop("stopped in chunk"), 0, "none", 1L), "stopped in chunk")
  m2$close()
  expect_silent(DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM rows"))
})

test_that("bad sources and failing chunks give clear errors", {
  d <- chunk_data(40)
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  expect_error(gradglm_source(csv, chunk_size = 0), "'chunk_size' must be one whole number of at least 1")
  expect_error(gradglm_source(csv, chunk_size = 2.5), "'chunk_size'")
  expect_error(gradglm_source(c(csv, "no-such-file.csv")), "not found: 'no-such-file.csv'")
  expect_error(gradglm_source(csv, header = FALSE), "sets 'header' itself")
  expect_error(gradglm_source(function() NULL), "argument 'reset'")
  expect_error(gradglm_source(42), "DBI connection")
  expect_error(gradglm_source(csv, query = "x"), "'query' is for a DBI connection")
  # a function that fails on its third chunk
  i <- 0
  bad <- gradglm_source(function(reset = FALSE) {
    if (reset) {
      i <<- 0
      return(NULL)
    }
    i <<- i + 1
    if (i == 3) stop("disk on fire")
    if (i > 5) NULL else d[(8 * i - 7):(8 * i), ]
  })
  expect_error(source_scan(bad), "reading chunk 3 of the first pass failed: disk on fire")
  expect_error(source_scan(gradglm_source(function(reset = FALSE) if (reset) NULL else NULL)), "no rows")
  expect_error(source_scan(gradglm_source(function(reset = FALSE) if (reset) NULL else 1:3)), "not a data frame")
  expect_error(source_scan(function_source(d, 10), columns = c("x1", "nope")), "'nope' not in the data")
  # a level that the first pass did not see, met in a later pass
  sc <- source_scan(function_source(d[d$f != "b", ], 10))
  expect_error(gradglm:::source_frame(d, sc, 4L), "level\\(s\\) 'b' in chunk 4")
  # a column that changes type between chunks
  d3 <- data.frame(x = c(1, 2, 3, 4))
  j <- 0
  mixed <- gradglm_source(function(reset = FALSE) {
    if (reset) {
      j <<- 0
      return(NULL)
    }
    j <<- j + 1
    switch(j, data.frame(x = c(1, 2)), data.frame(x = c("a", "b")), NULL)
  })
  expect_error(source_scan(mixed),
               "'x' is numeric in earlier chunks but has the value \"a\" in chunk 2: give it one type in every chunk")
  # a formula variable that is not a column of the source
  expect_error(gradglm:::source_model(function_source(d, 10), y ~ x1 + nothere), "uses 'nothere', not among")
  # chunks whose rows all have missing values are passed over; none left is an error
  d4 <- d
  d4$x2[1:20] <- NA
  d4$allna <- NA_real_
  m4 <- gradglm:::source_model(function_source(d4, 10), y ~ x1 + x2, poisson())
  ref <- gradglm(y ~ x1 + x2, data = d4, family = poisson())
  r4 <- gradglm:::chunked_pass(m4$open, m4$next_spec, unname(coef(ref)), "none", 1L)
  expect_equal(r4$chunks, 2)
  expect_equal(2 * r4$weight_sum * r4$value, deviance(ref), tolerance = 1e-12)
  m5 <- gradglm:::source_model(function_source(d4, 10), y ~ allna, poisson())
  expect_error(gradglm:::chunked_pass(m5$open, m5$next_spec, c(0, 0), "none", 1L), "no observation")
})

test_that("Newton's method by passes over chunks gives the in-memory fit", {
  d <- chunk_data(2003)
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  dd <- d
  dd$f <- factor(dd$f)
  ctl <- list(tol = 1e-10, max_iter = 100L, learning_rate = 0.1, decay = 0, trace = FALSE, verbose = FALSE,
              threads = 1L)
  for (fam in list(poisson(), binomial(), gaussian())) {
    form <- if (fam$family == "binomial") yb ~ x1 * x2 + f else y ~ x1 * x2 + f
    ref <- suppressWarnings(gradglm(form, data = dd, family = fam, weights = w,
                                    control = gradglm_control(tol = 1e-12)))
    m <- suppressWarnings(gradglm:::source_model(gradglm_source(csv, chunk_size = 300), form, fam, weights = "w"))
    r <- suppressWarnings(gradglm:::fit_chunked(m$open, m$next_spec, rep(0, length(coef(ref))), ctl))
    expect_true(r$converged)
    expect_equal(r$chunks, 7)
    expect_equal(r$coefficients, unname(coef(ref)), tolerance = 1e-10)
    V <- solve(r$curvature * r$weight_sum) * (if (fam$family == "gaussian") ref$dispersion else 1)
    expect_equal(sqrt(diag(V)), unname(sqrt(diag(vcov(ref)))), tolerance = 1e-10)
    expect_equal(2 * r$weight_sum * r$loss, deviance(ref), tolerance = 1e-12)
  }
  # a multinomial (K = 2 predictors per row) from a function source; its last
  # chunk (3 rows) lacks a class, which it keeps as the whole data has it
  set.seed(4)
  dd$g <- factor(sample(c("a", "b", "c"), nrow(dd), TRUE, prob = c(0.5, 0.3, 0.2)))
  ref <- gradglm(g ~ x1 + f, data = dd, family = multinomial(), control = gradglm_control(tol = 1e-12))
  m <- gradglm:::source_model(function_source(dd, 400), g ~ x1 + f, multinomial())
  r <- gradglm:::fit_chunked(m$open, m$next_spec, rep(0, length(coef(ref))), ctl)
  expect_true(r$converged)
  expect_equal(r$coefficients, unname(as.vector(coef(ref))), tolerance = 1e-8)
  expect_equal(-r$weight_sum * r$loss, as.numeric(logLik(ref)), tolerance = 1e-10)
})

test_that("a Student-t with a sigma model, fitted by passes over chunks, is the in-memory fit", {
  d <- chunk_data(1201)
  d$z <- d$x1 + 0.1 * d$y + stats::rt(nrow(d), 4) * exp(0.3 * d$x2)
  dd <- d
  dd$f <- factor(dd$f)
  ctl <- list(tol = 1e-10, max_iter = 100L, learning_rate = 0.1, decay = 0, trace = FALSE, verbose = FALSE,
              threads = 1L)
  ref <- gradglm(z ~ x1 + f, sigma = ~ x2, data = dd, family = student_t(df = 4), weights = w,
                 control = gradglm_control(tol = 1e-12))
  m <- gradglm:::source_model(function_source(d, 250), z ~ x1 + f, student_t(df = 4), weights = "w", sigma = ~ x2)
  start <- c(rep(0, length(coef(ref)) - 2L), log(stats::sd(d$z)), 0)
  r <- gradglm:::fit_chunked(m$open, m$next_spec, start, ctl)
  expect_true(r$converged)
  expect_equal(r$coefficients, unname(coef(ref)), tolerance = 1e-8)
  expect_equal(-r$weight_sum * r$loss, as.numeric(logLik(ref)), tolerance = 1e-10)
  expect_error(gradglm:::source_model(function_source(d, 250), y ~ x1, poisson(), sigma = ~ x2), "no scale parameter")
})

# ---------------------------------------------------------------------------
# gradglm(data = <source>): the user's path

# the largest differences between a fit from a source and the in-memory fit
fit_gap <- function(a, b) {
  # (aliased coefficients, NA in both, are compared apart)
  c(coef = max(abs(coef(a) - coef(b)), na.rm = TRUE),
    se = max(abs(sqrt(diag(vcov(a))) - sqrt(diag(vcov(b)))), na.rm = TRUE),
    deviance = abs(deviance(a) - deviance(b)) / abs(deviance(b)),
    aic = abs(AIC(a) - AIC(b)) / abs(AIC(b)),
    null = abs(a$null.deviance - b$null.deviance) / abs(b$null.deviance))
}

source_data <- function(n = 3003) {
  set.seed(11)
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), f = sample(c("a", "b", "c"), n, TRUE),
                  w = round(runif(n, 0.5, 3)), t = runif(n, 1, 3))
  early <- seq_len(2000)
  d$f[early] <- ifelse(d$f[early] == "c", "a", d$f[early])  # "c" only from the 3rd chunk of 1,000 rows
  d$y <- rpois(n, d$t * exp(0.3 + 0.5 * d$x1 - 0.2 * (d$f == "b") + 0.3 * (d$f == "c")))
  d$yb <- as.integer(d$y > 2)
  d$z <- 1 + d$x1 + exp(0.3 * d$x2) * stats::rt(n, 5)
  d$cls <- sample(c("p", "q", "r"), n, TRUE)
  d
}

test_that("fits from SQLite, CSV files and a function equal the in-memory fits (chunks of 1,000 rows)", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data()
  dd <- d
  dd$f <- factor(dd$f)
  dd$cls <- factor(dd$cls)
  db <- temp_path(".sqlite")
  con <- DBI::dbConnect(RSQLite::SQLite(), db)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  sources <- list(sqlite = gradglm_source(con, "d", chunk_size = 1000),
                  csv = gradglm_source(two_csv_files(d), chunk_size = 1000),
                  fun = function_source(d, 1000),
                  uncached = gradglm_source(con, "SELECT * FROM d", chunk_size = 1000, cache = 0))
  ctl <- gradglm_control(tol = 1e-12)
  models <- list(
    gaussian = list(y ~ x1 * x2 + f, gaussian()),
    binomial = list(yb ~ x1 + x2 + f, binomial()),
    poisson = list(y ~ x1 + x2 + f, poisson()),
    probit = list(yb ~ x1 + f, binomial(link = "probit")))
  for (nm in names(sources)) {
    src <- sources[[nm]]
    for (mod in models) {
      # weights, and an offset both as an argument and as a formula term
      a <- gradglm(mod[[1]], data = src, family = mod[[2]], weights = w, offset = log(t), control = ctl)
      b <- gradglm(mod[[1]], data = dd, family = mod[[2]], weights = w, offset = log(t), control = ctl)
      gap <- fit_gap(a, b)
      expect_true(all(gap < 1e-8), info = paste(nm, mod[[2]]$family, mod[[2]]$link, format(gap)))
      expect_equal(a$df.residual, b$df.residual)
      expect_equal(a$dispersion, b$dispersion, tolerance = 1e-10)
      expect_equal(nobs(a), nobs(b))
    }
    a <- gradglm(z ~ x1 + f, data = src, family = student_t(), sigma = ~ x2, control = ctl)
    b <- gradglm(z ~ x1 + f, data = dd, family = student_t(), sigma = ~ x2, control = ctl)
    expect_true(all(fit_gap(a, b) < 1e-8), info = paste(nm, "student_t"))
    expect_equal(a$df, b$df, tolerance = 1e-8)
    a <- gradglm(cls ~ x1 + f, data = src, family = multinomial(), control = ctl)
    b <- gradglm(cls ~ x1 + f, data = dd, family = multinomial(), control = ctl)
    expect_true(all(fit_gap(a, b) < 1e-8), info = paste(nm, "multinomial"))
    expect_equal(a$lev, b$lev)
  }
  # the cache keeps the chunks between passes: one read of the table
  a <- gradglm(yb ~ x1 + x2, data = sources$sqlite, family = binomial())
  expect_equal(a$source$reads, 1)
  expect_equal(a$source$cached_chunks, 4L)
  expect_gt(a$source$passes, 3L)
  u <- gradglm(yb ~ x1 + x2, data = sources$uncached, family = binomial())
  expect_equal(u$source$reads, u$source$passes)
  expect_equal(coef(u), coef(a), tolerance = 1e-12)
  # chunks whose rows the subset removes (the first two: "c" only from the
  # third) are cached as nothing: after the first pass (for the levels of f),
  # the read of the first three chunks for the start and the pass that fills
  # the cache, later passes read none of the table (they read the first two
  # chunks again before)
  sub <- gradglm(yb ~ x1 + x2, data = sources$sqlite, family = binomial(), subset = f == "c", control = ctl)
  expect_equal(sub$source$reads, 2 + 3000 / 3003)
  expect_gte(sub$source$passes, 2L)
  expect_equal(coef(sub), coef(gradglm(yb ~ x1 + x2, data = dd, family = binomial(), subset = f == "c", control = ctl)),
               tolerance = 1e-10)
  # a small cache in memory alone (cache_dir = NULL) keeps the last chunks only
  # (a chunk's model matrix and response: 1,000 rows x 4 numbers, 32 kB; the last chunk has 3 rows)
  part <- gradglm(yb ~ x1 + x2, data = gradglm_source(con, "d", chunk_size = 1000, cache = 0.05, cache_dir = NULL),
                  family = binomial())
  expect_equal(part$source$cached_chunks, 2L)
  expect_equal(part$source$disk_cache[["chunks"]], 0)
  expect_gt(part$source$reads, 1)
  expect_lt(part$source$reads, part$source$passes - 1)
  expect_equal(coef(part), coef(a), tolerance = 1e-12)
  # with the disk cache (by default in tempdir()) the chunks before those go
  # to a file, read back on later passes: one read of the table, the same fit
  dir <- tempfile("cache-dir-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  disk <- gradglm(yb ~ x1 + x2, data = gradglm_source(con, "d", chunk_size = 1000, cache = 0.05, cache_dir = dir),
                  family = binomial(), weights = w)
  expect_equal(disk$source$reads, 1)
  expect_equal(disk$source$cached_chunks, 4L)
  expect_equal(disk$source$disk_cache[["chunks"]], 2)
  # (two chunks of 1,000 rows: y, weights and two columns, 8 bytes each; a 0/1 response
  # keeps no trials)
  expect_equal(disk$source$disk_cache[["bytes"]], 2 * 1000 * 4 * 8)
  b <- gradglm(yb ~ x1 + x2, data = dd, family = binomial(), weights = w)
  expect_true(all(fit_gap(disk, b) < 1e-8), info = format(fit_gap(disk, b)))
  expect_length(list.files(dir), 0L)  # the file is gone when the fit ends
  # no open result set is left behind
  expect_silent(DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM d"))
})

test_that("glm's other families from a source: the in-memory fit, its Pearson dispersion and AIC", {
  d <- source_data()
  d$g <- rgamma(nrow(d), shape = 3, scale = exp(0.2 + 0.3 * d$x1) / 3)
  dd <- d
  dd$f <- factor(dd$f)
  sources <- list(csv = gradglm_source(two_csv_files(d), chunk_size = 1000), fun = function_source(d, 700))
  ctl <- gradglm_control(tol = 1e-12)
  models <- list(
    list(g ~ x1 + x2 + f, Gamma(link = "log"), TRUE),
    list(g ~ x1 + f, Gamma(), FALSE),
    list(g ~ x1 + x2, inverse.gaussian(link = "log"), TRUE),
    list(y ~ x1 + x2 + f, quasipoisson(), TRUE),
    list(yb ~ x1 + f, quasibinomial(), FALSE),
    list(y ~ x1 + x2 + f, negative_binomial(theta = 2), TRUE))
  for (nm in names(sources)) {
    for (mod in models) {
      lab <- paste(nm, mod[[2]]$family, mod[[2]]$link)
      off <- if (mod[[3]]) quote(log(t))
      a <- eval(bquote(gradglm(.(mod[[1]]), data = sources[[nm]], family = mod[[2]], weights = w, offset = .(off),
                               control = ctl)))
      b <- eval(bquote(gradglm(.(mod[[1]]), data = dd, family = mod[[2]], weights = w, offset = .(off),
                               control = ctl)))
      gap <- fit_gap(a, b)
      quasi <- is.na(AIC(b))
      expect_identical(is.na(AIC(a)), quasi, info = lab)
      expect_true(all(gap[!is.na(gap)] < 1e-8) && sum(is.na(gap)) == quasi, info = paste(lab, format(gap)))
      expect_equal(a$dispersion, b$dispersion, tolerance = 1e-10, info = lab)
      expect_equal(as.numeric(logLik(a)), as.numeric(logLik(b)), tolerance = 1e-10, info = lab)
      expect_equal(attr(logLik(a), "df"), attr(logLik(b), "df"), info = lab)
      expect_equal(summary(a)$coefficients, summary(b)$coefficients, tolerance = 1e-8, info = lab)
    }
  }
})

test_that("sigma models of the Gamma, inverse Gaussian and negative binomial from a source: the in-memory fit", {
  d <- source_data()
  set.seed(13)
  mu <- d$t * exp(0.3 + 0.5 * d$x1 - 0.2 * (d$f == "b"))
  sg <- exp(-0.5 + 0.6 * d$x2)
  d$g <- stats::rgamma(nrow(d), shape = 1 / sg^2, scale = mu * sg^2)
  d$ig <- mu * exp(stats::rnorm(nrow(d), 0, 0.3 * sg))
  d$nb <- stats::rnbinom(nrow(d), size = 1 / sg^2, mu = mu)
  dd <- d
  dd$f <- factor(dd$f)
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  sources <- list(csv = gradglm_source(csv, chunk_size = 1000), fun = function_source(d, 700))
  ctl <- gradglm_control(tol = 1e-12)
  models <- list(list(g ~ x1 + f, Gamma(link = "log")), list(g ~ x1 + f, Gamma()),
                 list(ig ~ x1 + f, inverse.gaussian(link = "log")), list(nb ~ x1 + f, negative_binomial()))
  for (nm in names(sources)) {
    for (mod in models) {
      lab <- paste(nm, mod[[2]]$family, mod[[2]]$link)
      a <- gradglm(mod[[1]], data = sources[[nm]], family = mod[[2]], sigma = ~ x2, weights = w, control = ctl)
      b <- gradglm(mod[[1]], data = dd, family = mod[[2]], sigma = ~ x2, weights = w, control = ctl)
      gap <- fit_gap(a, b)
      expect_true(all(gap < 1e-8), info = paste(lab, format(gap)))
      expect_equal(as.numeric(logLik(a)), as.numeric(logLik(b)), tolerance = 1e-10, info = lab)
      expect_equal(attr(logLik(a), "df"), attr(logLik(b), "df"), info = lab)
      expect_equal(summary(a)$coefficients, summary(b)$coefficients, tolerance = 1e-8, info = lab)
      expect_equal(predict(a, newdata = dd[1:5, ], type = "sigma"), predict(b, newdata = dd[1:5, ], type = "sigma"),
                   tolerance = 1e-8, info = lab)
    }
  }
})

test_that("the negative binomial with theta estimated from a source: the in-memory fit, as glm.nb presents it", {
  d <- source_data()
  set.seed(12)
  d$y <- stats::rnbinom(nrow(d), size = 2.5, mu = d$t * exp(0.3 + 0.5 * d$x1 - 0.2 * (d$f == "b") + 0.3 * (d$f == "c")))
  d$x3 <- 2 * d$x1 - d$x2  # (linearly dependent on x1 and x2: aliased)
  dd <- d
  dd$f <- factor(dd$f)
  # (the function source's chunks go to the disk cache but one)
  small <- function_source(d, 700)
  small$cache <- 0.05
  sources <- list(csv = gradglm_source(two_csv_files(d), chunk_size = 1000), fun = small)
  ctl <- gradglm_control(tol = 1e-12)
  for (nm in names(sources)) {
    for (form in list(y ~ x1 + x2 + f, y ~ x1 + x2 + x3 + f)) {
      lab <- paste(nm, deparse(form))
      a <- gradglm(form, data = sources[[nm]], family = negative_binomial(), weights = w, offset = log(t),
                   control = ctl)
      b <- gradglm(form, data = dd, family = negative_binomial(), weights = w, offset = log(t), control = ctl)
      gap <- fit_gap(a, b)
      expect_true(all(gap < 1e-8), info = paste(lab, format(gap)))
      expect_identical(is.na(coef(a)), is.na(coef(b)), info = lab)
      expect_equal(a$theta, b$theta, tolerance = 1e-8, info = lab)
      expect_equal(a$SE.theta, b$SE.theta, tolerance = 1e-8, info = lab)
      expect_equal(a$twologlik, b$twologlik, tolerance = 1e-10, info = lab)
      expect_equal(as.numeric(logLik(a)), as.numeric(logLik(b)), tolerance = 1e-10, info = lab)
      expect_equal(attr(logLik(a), "df"), attr(logLik(b), "df"), info = lab)
      expect_equal(a$df.residual, b$df.residual, info = lab)
      expect_equal(summary(a)$coefficients, summary(b)$coefficients, tolerance = 1e-8, info = lab)
      expect_equal(family(a)$theta, a$theta)
      expect_true(isTRUE(family(a)$theta_estimated))
      # (x3 is aliased in the second formula: predictions of new rows warn, as predict.lm's)
      expect_equal(suppressWarnings(predict(a, newdata = dd[1:5, ], type = "response")),
                   suppressWarnings(predict(b, newdata = dd[1:5, ], type = "response")), tolerance = 1e-8, info = lab)
    }
  }
  expect_gt(a$source$disk_cache[["chunks"]], 0)
  # counts without overdispersion: theta runs away, and the fit says so as in memory
  set.seed(3)
  dp <- data.frame(x1 = rnorm(3000))
  dp$y <- stats::rpois(3000, exp(-0.5 + 0.2 * dp$x1))
  expect_warning(gradglm(y ~ x1, data = dp, family = negative_binomial()), "no overdispersion")
  expect_warning(gradglm(y ~ x1, data = function_source(dp, 1000), family = negative_binomial()),
                 "theta is estimated as .*large beside the fitted means \\(at most 1.15\\)")
  # and with a sigma model: the rows whose theta runs away beside their means, counted over the chunks
  dp$z <- rnorm(3000)
  edge <- "for 3000 of the 3000 observations, large beside their fitted means \\(at most 1.15\\).*poisson"
  expect_warning(gradglm(y ~ x1, data = dp, family = negative_binomial(), sigma = ~ 1), edge)
  expect_warning(gradglm(y ~ x1, data = function_source(dp, 1000), family = negative_binomial(), sigma = ~ 1), edge)
  expect_warning(gradglm(y ~ x1, data = function_source(dp, 1000), family = negative_binomial(), sigma = ~ z),
                 "of the 3000 observations, large beside their fitted means.*sigma runs to 0")
  # overdispersed counts: no such warning
  dp$y2 <- stats::rnbinom(3000, size = 2, mu = exp(1 + 0.3 * dp$x1))
  expect_no_warning(gradglm(y2 ~ x1, data = function_source(dp, 1000), family = negative_binomial(), sigma = ~ z))
  # an invalid count names its chunk; counts that are all 0 say why theta cannot be estimated
  bad <- dp
  bad$y[2500] <- -1
  expect_error(gradglm(y ~ x1, data = function_source(bad, 1000), family = negative_binomial()),
               "must be counts .*found 1 negative value\\(s\\) \\(chunk 3\\)")
  zero <- dp
  zero$y <- 0
  expect_error(suppressWarnings(gradglm(y ~ x1, data = function_source(zero, 1000), family = negative_binomial())),
               "theta cannot be estimated: .*\\(every response is 0\\); fix it with negative_binomial\\(theta = \\)")
  # glm.nb's theta, polished
  skip_if_not_installed("MASS")
  ref <- MASS::glm.nb(y ~ x1 + x2 + f + offset(log(t)), data = dd, weights = w,
                      control = stats::glm.control(epsilon = 1e-13, maxit = 100))
  a <- gradglm(y ~ x1 + x2 + f, data = sources$csv, family = negative_binomial(), weights = w, offset = log(t),
               control = ctl)
  expect_equal(a$theta, ref$theta, tolerance = 1e-8)
  expect_equal(unname(coef(a)), unname(coef(ref)), tolerance = 1e-8)
  expect_equal(a$twologlik, ref$twologlik, tolerance = 1e-10)
  # (glm.nb's deviance belongs to its last theta step; the deviance at the
  # estimated theta is glm's at that theta)
  at_theta <- stats::glm(y ~ x1 + x2 + f + offset(log(t)), data = dd, weights = w,
                         family = MASS::negative.binomial(a$theta), control = stats::glm.control(epsilon = 1e-13))
  expect_equal(deviance(a), deviance(at_theta), tolerance = 1e-10)
  expect_equal(a$null.deviance, at_theta$null.deviance, tolerance = 1e-10)
})

test_that("a fit from a source has glm's methods, except those that need the rows", {
  d <- source_data(2500)
  dd <- d
  dd$f <- factor(dd$f)
  src <- function_source(d, 700)
  a <- gradglm(yb ~ x1 + f, data = src, family = binomial(), subset = x2 > 0.1)
  b <- gradglm(yb ~ x1 + f, data = dd, family = binomial(), subset = x2 > 0.1)
  expect_true(all(fit_gap(a, b) < 1e-7))
  expect_equal(nobs(a), sum(d$x2 > 0.1))
  # (a fit from a source gives Wald limits: a profile would refit over the source;
  # by default with a message, where glm's would be profile limits)
  expect_message(ci <- confint(a), "Wald intervals: a fit from a chunked source is not profiled")
  expect_equal(ci, confint(b, method = "wald"), tolerance = 1e-6)
  expect_silent(confint(a, method = "wald"))
  expect_error(confint(a, method = "profile"), "from data in memory")
  expect_output(print(summary(a)), "Null deviance")
  expect_output(print(a), "Degrees of Freedom|Coefficients")
  expect_equal(predict(a, newdata = dd[1:20, ], type = "response"), predict(b, newdata = dd[1:20, ], type = "response"),
               tolerance = 1e-7)
  a2 <- gradglm(yb ~ x1, data = src, family = binomial(), subset = x2 > 0.1)
  expect_equal(anova(a2, a)$Deviance[2], deviance(a2) - deviance(a), tolerance = 1e-10)
  expect_error(residuals(a), "chunked source and keeps no residuals")
  expect_error(fitted(a), "keeps no fitted values")
  expect_error(predict(a), "give 'newdata'")
  # anova(), drop1(), add1() and step() fit the smaller or larger models from the source again
  b2 <- gradglm(yb ~ x1, data = dd, family = binomial(), subset = x2 > 0.1)
  tab <- function(x) as.data.frame(x)
  expect_equal(tab(anova(a)), tab(anova(b)), tolerance = 1e-6)
  expect_equal(tab(anova(a, test = "Cp")), tab(anova(b, test = "Cp")), tolerance = 1e-6)
  expect_equal(tab(drop1(a, test = "Chisq")), tab(drop1(b, test = "Chisq")), tolerance = 1e-6)
  expect_equal(tab(add1(a2, ~ . + f + x2, test = "Chisq")), tab(add1(b2, ~ . + f + x2, test = "Chisq")), tolerance = 1e-6)
  expect_identical(formula(step(a, trace = 0)), formula(step(b, trace = 0)))
  expect_error(anova(a, test = "Rao"), "score \\(Rao\\) test needs the rows' working residuals")
  expect_error(drop1(a, test = "Rao"), "score \\(Rao\\) test needs the rows' working residuals")
  # (a Gaussian fit: the F test and the scale profiled out of the AIC, as in memory)
  ag <- gradglm(x2 ~ x1 + f, data = src)
  bg <- gradglm(x2 ~ x1 + f, data = dd)
  expect_equal(tab(drop1(ag, test = "F")), tab(drop1(bg, test = "F")), tolerance = 1e-6)
  expect_equal(tab(anova(ag, test = "F")), tab(anova(bg, test = "F")), tolerance = 1e-6)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off(), add = TRUE)
  expect_silent(plot(a))
  expect_error(plot(a, which = "residuals"), "keeps no residuals")
  # without an offset the null deviance comes from the first pass's sums (no pass of its own)
  d$big <- 1e4 + d$x1  # (a mean far from zero: the sum of squares is merged chunk by chunk)
  dd$big <- d$big
  for (mod in list(list(y ~ x1, poisson()), list(yb ~ x1, binomial()), list(big ~ x2, gaussian()),
                   list(big ~ x1, gaussian(link = "log")))) {
    a0 <- gradglm(mod[[1]], data = function_source(d, 700), family = mod[[2]], weights = w)
    b0 <- gradglm(mod[[1]], data = dd, family = mod[[2]], weights = w)
    expect_equal(a0$null.deviance, b0$null.deviance, tolerance = 1e-10, info = mod[[2]]$family)
    # (the start, then one pass per iteration; a weighted binomial's AIC needs one more, and so
    # does Fisher's information where it is not the observed one, gaussian(log); a step halved k
    # times, as one can be at the rounding floor of a near-exact fit, costs k loss passes and a
    # pass for the curvature at the point taken)
    st <- a0$trace$step
    halved <- sum(ifelse(is.na(st) | st >= 1 | st <= 0, 0, -log2(st) + 1))
    expect_equal(a0$source$passes, a0$iter + 1L + (mod[[2]]$family == "binomial") + (mod[[2]]$link == "log" &&
                                                                                      mod[[2]]$family == "gaussian") +
                   halved, info = mod[[2]]$family)
  }
  # L-BFGS and gradient descent by passes reach the same optimum
  l <- gradglm(yb ~ x1 + f, data = src, family = binomial(), subset = x2 > 0.1, optimizer = "lbfgs")
  expect_equal(coef(l), coef(a), tolerance = 1e-6)
  expect_equal(l$optimizer, "lbfgs")
})

test_that("chunked fits stop with clear errors on bad input and failing chunks, and release the source", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data(2500)
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  src <- gradglm_source(con, "d", chunk_size = 1000, cache = 0)
  expect_error(gradglm(yb ~ x1 + nope, data = src, family = binomial()), "'nope'.*not among the source's columns")
  expect_error(gradglm(yb ~ x1, data = src, family = laplace()), "laplace\\(\\) is fitted exactly")
  one_level <- d[, c("x1", "yb")]
  one_level$g <- "only"
  expect_error(gradglm(yb ~ x1 + g, data = function_source(one_level, 1000), family = binomial()),
               "factor 'g' has a single level \\('only'\\) among the source's rows")
  expect_error(gradglm(yb ~ x1, data = src, family = binomial(), optimizer = opt_adam(validation = 0.2)),
               "'validation' holds out rows in memory")
  expect_error(gradglm(yb ~ x1, data = src, family = binomial(), penalty = ridge(0.1)), "needs data in memory")
  expect_error(gradglm(yb ~ x1, data = src, family = binomial(), model = mlp(3)), "network")
  expect_error(gradglm(yb ~ x1, data = src, family = binomial(), x = TRUE), "'x = TRUE' keeps the model matrix")
  expect_error(gradglm(yb ~ x1, data = gradglm_source(con, "SELECT * FROM d WHERE x1 > 100"), family = binomial()),
               "no rows")
  expect_error(gradglm(yb ~ x1, data = src, family = binomial(), subset = x1 > 100), "no observations are left")
  expect_error(gradglm_source(con, "d", chunk_size = 0), "'chunk_size' must be one whole number of at least 1")
  expect_error(gradglm_source(con, "d", cache = -1), "'cache'")
  # terms computed from the whole data are refused; their chunk-wise forms work
  expect_error(gradglm(yb ~ poly(x1, 2), data = src, family = binomial()),
               "'poly\\(x1, 2\\)' computes its columns from the whole data.*raw = TRUE")
  expect_error(gradglm(yb ~ log(scale(x1) + 5), data = src, family = binomial()), "'scale\\(x1\\)'")
  a <- gradglm(yb ~ poly(x1, 2, raw = TRUE), data = src, family = binomial())
  b <- gradglm(yb ~ poly(x1, 2, raw = TRUE), data = d, family = binomial())
  expect_equal(coef(a), coef(b), tolerance = 1e-7)
  # the model matrices get gradglm()'s checks, chunk by chunk
  d3 <- d[1:300, ]
  d3$x2[250] <- Inf
  expect_error(gradglm(yb ~ x1 + x2, data = function_source(d3, 100), family = binomial()),
               "the model matrix \\(chunk 3\\) contains infinite values in column\\(s\\) 'x2'")
  d3$x2 <- d3$x1 * 1e300
  expect_error(gradglm(yb ~ x2, data = function_source(d3, 100), family = binomial()),
               "the model matrix \\(chunk 1\\) has column\\(s\\) 'x2' with values as large as")
  # a first chunk whose classes are separated does not mislead the start
  d4 <- d[1:400, ]
  d4$yb[1:50] <- 1
  a <- gradglm(yb ~ x1 + f, data = function_source(d4, 50), family = binomial())
  b <- gradglm(yb ~ x1 + f, data = transform(d4, f = factor(f)), family = binomial())
  expect_true(a$converged)
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  # an aliased column is NA, as in glm
  d2 <- d
  d2$x3 <- 2 * d2$x1 - d2$x2
  d2$w <- round(runif(nrow(d2), 1, 3))
  for (fam in list(binomial(), gaussian())) {
    a <- gradglm(yb ~ x1 + x2 + x3 + f, data = function_source(d2, 1000), family = fam, weights = w)
    b <- gradglm(yb ~ x1 + x2 + x3 + f, data = d2, family = fam, weights = w)
    expect_identical(is.na(coef(a)), is.na(coef(b)))
    expect_true(is.na(coef(a)[["x3"]]))
    expect_equal(coef(a), coef(b), tolerance = 1e-7)
    expect_equal(vcov(a), vcov(b), tolerance = 1e-6)
    expect_equal(c(a$rank, a$df.residual), c(b$rank, b$df.residual))
    expect_equal(AIC(a), AIC(b), tolerance = 1e-10)
  }
  a <- gradglm(z ~ x1 + x3 + x2, data = function_source(d2, 1000), family = student_t(), sigma = ~ x1)
  b <- gradglm(z ~ x1 + x3 + x2, data = d2, family = student_t(), sigma = ~ x1)
  expect_identical(is.na(coef(a)), is.na(coef(b)))
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_equal(logLik(a), logLik(b), tolerance = 1e-8)
  a <- gradglm(cls ~ x1 + x3 + x2, data = function_source(d2, 1000), family = multinomial())
  b <- gradglm(cls ~ x1 + x3 + x2, data = transform(d2, cls = factor(cls)), family = multinomial())
  expect_identical(is.na(coef(a)), is.na(coef(b)))
  expect_equal(coef(a), coef(b), tolerance = 1e-6)
  expect_equal(vcov(a), vcov(b), tolerance = 1e-5)
  expect_equal(c(a$rank, a$df.residual), c(b$rank, b$df.residual))
  expect_equal(AIC(a), AIC(b), tolerance = 1e-9)
  # a chunk that fails in a later pass: the error names the chunk and the pass
  pass <- 0
  failing <- local({
    chunks <- split(d, ceiling(seq_len(nrow(d)) / 1000))
    i <- 0
    gradglm_source(function(reset = FALSE) {
      if (reset) {
        pass <<- pass + 1
        i <<- 0
        return(NULL)
      }
      i <<- i + 1
      if (pass >= 3 && i == 2) stop("the disk is gone")
      if (i > length(chunks)) NULL else chunks[[i]]
    }, cache = 0)
  })
  expect_error(gradglm(yb ~ x1, data = failing, family = binomial()),
               "reading chunk 2 of the 2nd pass failed: the disk is gone")
  # a level that the first pass did not see (the data changed between passes)
  changing <- local({
    i <- 0
    resets <- 0  # the first chunk's read, the first pass, then the optimizer's passes
    gradglm_source(function(reset = FALSE) {
      if (reset) {
        resets <<- resets + 1
        i <<- 0
        return(NULL)
      }
      i <<- i + 1
      if (i > 2) return(NULL)
      chunk <- d[(i - 1) * 1000 + 1:1000, ]
      if (resets >= 3 && i == 2) chunk$f[5] <- "zz"
      chunk
    }, cache = 0)
  })
  expect_error(gradglm(yb ~ x1 + f, data = changing, family = binomial()),
               "column 'f' has the level\\(s\\) 'zz' in chunk 2 that the first pass did not see")
  # an interrupt in the middle of a pass leaves the connection usable, without an open result set
  calls <- 0
  interrupt_at <- function(x) {
    calls <<- calls + 1
    if (calls == 3) stop(structure(class = c("interrupt", "condition"), list(message = "", call = NULL)))
    rep(1, length(x))
  }
  got <- tryCatch(gradglm(yb ~ x1, data = src, family = binomial(), weights = interrupt_at(x1)),
                  interrupt = function(e) "interrupted")
  expect_equal(got, "interrupted")
  expect_silent(n_rows <- DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM d")$n)
  expect_equal(n_rows, nrow(d))
})

test_that("predict() on a source returns the predictions or writes them to a file or a table", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data(2500)
  d$id <- seq_len(nrow(d))
  dd <- d
  dd$f <- factor(dd$f)
  dd$cls <- factor(dd$cls)
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  src <- gradglm_source(con, "d", chunk_size = 700)
  fit <- gradglm(yb ~ x1 + f, data = src, family = binomial())
  ref <- unname(predict(fit, newdata = dd, type = "response"))
  expect_equal(predict(fit, newdata = src, type = "response"), ref, tolerance = 1e-12)
  # (returned, they keep every digit: no round trip through 15-digit text)
  expect_identical(predict(fit, newdata = src), unname(predict(fit, newdata = dd)))
  se <- predict(fit, newdata = src, se.fit = TRUE)
  expect_equal(se$se.fit, unname(predict(fit, newdata = dd, se.fit = TRUE)$se.fit), tolerance = 1e-12)
  # to a CSV file, with an identifier
  out <- temp_path(".csv")
  expect_identical(predict(fit, newdata = src, type = "response", output = out, keep = "id"), out)
  got <- utils::read.csv(out)
  expect_equal(names(got), c("id", "fit"))
  expect_equal(got$id, d$id)
  expect_equal(got$fit, ref, tolerance = 1e-12)
  # into a table of the same database, in one transaction after the pass
  predict(fit, newdata = src, type = "response", output = con, table = "preds", keep = "id")
  tab <- DBI::dbReadTable(con, "preds")
  expect_equal(tab$fit[order(tab$id)], ref, tolerance = 1e-12)
  # class probabilities, one column per class
  mfit <- gradglm(cls ~ x1, data = src, family = multinomial())
  pr <- predict(mfit, newdata = src, type = "probs")
  expect_equal(as.matrix(pr), unname(predict(mfit, newdata = dd, type = "probs")), tolerance = 1e-12,
               ignore_attr = TRUE)
  expect_equal(names(pr), c("p", "q", "r"))
  expect_identical(predict(mfit, newdata = src, type = "class"),
                   as.character(predict(mfit, newdata = dd, type = "class")))
  # a kept column whose type changes from chunk to chunk (numbers, then codes)
  two <- list(data.frame(x1 = c(0.1, 0.2), id = c(1, 2)), data.frame(x1 = c(0.3, 0.4), id = c("A3", "A4")))
  j <- 0
  mixed_ids <- gradglm_source(function(reset = FALSE) {
    if (reset) j <<- 0 else j <<- j + 1
    if (!reset && j <= 2) two[[j]]
  })
  kept <- predict(mfit, newdata = mixed_ids, type = "probs", keep = "id")
  expect_identical(kept$id, c("1", "2", "A3", "A4"))
  expect_equal(as.matrix(kept[c("p", "q", "r")]),
               unname(predict(mfit, newdata = data.frame(x1 = 1:4 / 10), type = "probs")), ignore_attr = TRUE)
  # a failing chunk leaves no output and no temporary file
  before <- list.files(tempdir(), pattern = "^gradglm-predict-")
  bad <- d
  bad$f[2000] <- "zz"
  DBI::dbWriteTable(con, "bad", bad)
  out2 <- temp_path(".csv")
  expect_error(predict(fit, newdata = gradglm_source(con, "bad", chunk_size = 700), output = out2),
               "predicting chunk 3 failed")
  expect_false(file.exists(out2))
  expect_identical(list.files(tempdir(), pattern = "^gradglm-predict-"), before)
  expect_error(predict(fit, newdata = src, output = con), "'table' must name")
  expect_error(predict(fit, newdata = dd, output = out2), "for 'newdata' from a gradglm_source")
})

test_that("levels given with the source spare the first pass; a dplyr table of a database is a source", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data(2500)
  dd <- d
  dd$f <- factor(dd$f)
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  scanned <- gradglm(yb ~ x1 + f, data = gradglm_source(con, "d", chunk_size = 1000, cache = 0), family = binomial())
  given <- gradglm(yb ~ x1 + f, data = gradglm_source(con, "d", chunk_size = 1000, cache = 0,
                                                      levels = list(f = c("a", "b", "c"))), family = binomial(),
                   control = gradglm_control(tol = 1e-12))
  ref <- gradglm(yb ~ x1 + f, data = dd, family = binomial(), control = gradglm_control(tol = 1e-12))
  expect_equal(coef(given), coef(ref), tolerance = 1e-8)
  expect_equal(given$source$reads, given$source$passes)      # no first pass
  expect_equal(scanned$source$reads, scanned$source$passes + 1)
  expect_error(gradglm(yb ~ x1 + f, data = gradglm_source(con, "d", chunk_size = 1000, levels = list(f = c("a", "b"))),
                       family = binomial()),
               "column 'f' has the level\\(s\\) 'c' in chunk 3 that are not among its 'levels'")
  expect_error(gradglm_source(con, "d", levels = c("a", "b")), "'levels' must be a named list")
  skip_if_not_installed("dbplyr")
  tb <- dplyr::filter(dplyr::tbl(con, "d"), x2 > 0.5)
  src <- gradglm_source(tb, chunk_size = 400)
  expect_match(src$query, "WHERE")
  # (a model's columns selected from the dplyr table)
  narrow <- gradglm:::source_for_columns(src, c("yb", "x1", "f"))$query
  expect_match(narrow, "WHERE")
  expect_false(grepl("*", narrow, fixed = TRUE))
  expect_setequal(names(DBI::dbGetQuery(con, narrow)), c("x1", "f", "yb"))
  a <- gradglm(yb ~ x1 + f, data = src, family = binomial(), control = gradglm_control(tol = 1e-12))
  b <- gradglm(yb ~ x1 + f, data = dd[dd$x2 > 0.5, ], family = binomial(), control = gradglm_control(tol = 1e-12))
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
})

test_that("a table is read for the model's columns only; columns a model does not use may be of any type", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data(2500)
  dd <- d
  dd$f <- factor(dd$f)
  ctl <- gradglm_control(tol = 1e-12)
  ref <- gradglm(yb ~ x1 + f, data = dd, family = binomial(), control = ctl)
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  # a column of binary objects, which no model can use (it was fetched and
  # refused by the first pass over the factor's levels)
  DBI::dbWriteTable(con, "d", d)
  DBI::dbExecute(con, "ALTER TABLE d ADD COLUMN blob BLOB")
  DBI::dbExecute(con, "UPDATE d SET blob = randomblob(4)")
  src <- gradglm_source(con, "d", chunk_size = 1000)
  expect_match(src$query, "SELECT \\* FROM")
  expect_identical(gradglm:::source_for_columns(src, c("yb", "f", "x1"))$query,
                   'SELECT `x1`, `f`, `yb` FROM `d`')  # (in the table's order)
  expect_identical(gradglm:::source_for_columns(src, c("yb", "."))$query, src$query)
  fit <- gradglm(yb ~ x1 + f, data = src, family = binomial(), control = ctl)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
  expect_equal(AIC(fit), AIC(ref), tolerance = 1e-10)
  # a column the model uses but the table lacks is named; so is an unusable column the model asks for
  expect_error(gradglm(yb ~ x1 + zz, data = src, family = binomial()), "'zz', not among the source's columns")
  expect_error(gradglm(yb ~ ., data = src, family = binomial()), "column 'blob' is a blob")
  # a table whose name has a space is a table, not a query
  DBI::dbWriteTable(con, "the data", d[c("yb", "x1", "x2", "f")])
  spaced <- gradglm_source(con, "the data", chunk_size = 1000)
  expect_identical(spaced$query, "SELECT * FROM `the data`")
  expect_equal(coef(gradglm(yb ~ x1 + f, data = spaced, family = binomial(), control = ctl)), coef(ref),
               tolerance = 1e-8)
  # a query of the user's is read as written
  q <- gradglm(yb ~ x1 + f, data = gradglm_source(con, "SELECT yb, x1, f FROM d", chunk_size = 1000),
               family = binomial(), control = ctl)
  expect_equal(coef(q), coef(ref), tolerance = 1e-8)
  # a function source's unused columns (a date here) are not checked either
  dated <- d
  dated$when <- as.Date("2020-01-01") + seq_len(nrow(d))
  expect_equal(coef(gradglm(yb ~ x1 + f, data = function_source(dated, 700), family = binomial(), control = ctl)),
               coef(ref), tolerance = 1e-8)
  expect_error(gradglm(yb ~ x1 + f + when, data = function_source(dated, 700), family = binomial()),
               "column 'when' is a Date")
})

test_that("sgd and adam train by epochs over the chunks and reach the in-memory optimum", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- source_data()
  dd <- d
  dd$f <- factor(dd$f)
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  exact <- gradglm(yb ~ x1 + x2 + f, data = dd, family = binomial())
  for (cache in c(256, 0.05, 0)) {  # every chunk cached, some of them, none
    src <- gradglm_source(con, "d", chunk_size = 500, cache = cache)
    set.seed(1)
    fit <- suppressWarnings(gradglm(yb ~ x1 + x2 + f, data = src, family = binomial(),
                                    optimizer = opt_adam(max_epochs = 60)))
    # an epoch is one pass: the first pass (the start's loss), the epochs, the loss at the end, the covariance
    expect_equal(fit$source$passes, fit$iter + 3L)
    expect_lt(deviance(fit), deviance(exact) * (1 + 2e-5))
    expect_lt(max(abs(coef(fit) - coef(exact))), 0.02)
    # the covariance is that of the coefficients reached, close to the optimum's
    expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(exact))), tolerance = 1e-2)
    expect_true(all(c("iter", "loss", "grad_norm", "learning_rate") %in% names(fit$trace)))
    expect_lt(utils::tail(fit$trace$loss, 1), fit$trace$loss[1])
    # reproducible with set.seed()
    set.seed(1)
    again <- suppressWarnings(gradglm(yb ~ x1 + x2 + f, data = src, family = binomial(),
                                      optimizer = opt_adam(max_epochs = 60)))
    expect_identical(coef(again), coef(fit))
  }
  # a chunk of one row (3003 = 2 x 1501 + 1): its row joins a minibatch of the next chunk's rows
  # (a step from one row alone, as long as any other, would throw the fit off)
  set.seed(1)
  tiny <- suppressWarnings(gradglm(yb ~ x1 + x2 + f, data = gradglm_source(con, "d", chunk_size = 1501, cache = 0),
                                   family = binomial(), optimizer = opt_adam(max_epochs = 60)))
  expect_lt(deviance(tiny), deviance(exact) * (1 + 2e-5))
  expect_lt(max(abs(coef(tiny) - coef(exact))), 0.02)
  # plain SGD with momentum, a Gaussian with weights and an offset
  exact_g <- gradglm(z ~ x1 + f, data = dd, weights = w, offset = 0.5 * x2)
  set.seed(2)
  sg <- suppressWarnings(gradglm(z ~ x1 + f, data = gradglm_source(con, "d", chunk_size = 700), weights = w,
                                 offset = 0.5 * x2, optimizer = opt_sgd(momentum = 0.9, max_epochs = 80)))
  expect_lt(deviance(sg), deviance(exact_g) * (1 + 1e-4))
  expect_lt(max(abs(coef(sg) - coef(exact_g))), 0.03)
  # a Student-t with a sigma model
  exact_t <- gradglm(z ~ x1, sigma = ~ x2, data = dd, family = student_t(df = 5))
  set.seed(3)
  st <- suppressWarnings(gradglm(z ~ x1, sigma = ~ x2, data = gradglm_source(con, "d", chunk_size = 700),
                                 family = student_t(df = 5), optimizer = opt_adam(max_epochs = 100)))
  expect_lt(as.numeric(logLik(exact_t) - logLik(st)), 1e-2)
  expect_lt(max(abs(coef(st) - coef(exact_t))), 0.03)
  # a learning rate far too large is an error with advice
  expect_error(gradglm(yb ~ x1, data = gradglm_source(con, "d", chunk_size = 700), family = binomial(),
                       optimizer = opt_sgd(learning_rate = 1e4)), "learning rate 10000 is too large")
})

test_that("an epoch visits the cached chunks in a random order and the rows of each chunk shuffled", {
  d <- source_data(2000)
  m <- source_model(function_source(d, 200), yb ~ x1, stats::binomial())
  seen <- integer(0)
  m$set_progress(function(status) seen <<- c(seen, as.integer(sub(".*chunk ", "", status))))
  epoch <- function(shuffle) {
    seen <<- integer(0)
    m$open(shuffle)
    while (!is.null(m$next_spec())) NULL
    seen
  }
  expect_equal(epoch(FALSE), 1:10)  # the first pass reads the source in its order (and caches it)
  set.seed(1)
  a <- epoch(TRUE)
  b <- epoch(TRUE)
  expect_setequal(a, 1:10)
  expect_length(a, 10L)
  expect_false(identical(a, 1:10) && identical(b, 1:10))
  expect_false(identical(a, b))
  expect_equal(epoch(FALSE), 1:10)  # a pass of the exact optimizers keeps the source's order
  # only some chunks cached: those read again keep the source's order, among the cached ones
  src <- function_source(d, 200)
  src$cache <- 0.02
  src$cache_dir <- NULL
  m2 <- source_model(src, yb ~ x1, stats::binomial())
  m2$set_progress(function(status) seen <<- c(seen, as.integer(sub(".*chunk ", "", status))))
  m <- m2
  epoch(FALSE)
  ncached <- m2$cached()
  expect_gt(ncached, 0L)
  expect_lt(ncached, 10L)
  set.seed(2)
  e <- epoch(TRUE)
  expect_setequal(e, 1:10)
  streamed <- e[e <= 10L - ncached]
  expect_equal(streamed, sort(streamed))
  m2$close()
  # with the disk cache every chunk is cached (the first ones on disk), and
  # an epoch visits them all in a random order
  src$cache_dir <- tempdir()
  m3 <- source_model(src, yb ~ x1, stats::binomial())
  m3$set_progress(function(status) seen <<- c(seen, as.integer(sub(".*chunk ", "", status))))
  m <- m3
  epoch(FALSE)
  expect_equal(m3$cached(), 10L)
  expect_equal(m3$on_disk()[["chunks"]], 10 - ncached)
  set.seed(2)
  e3 <- epoch(TRUE)
  expect_setequal(e3, 1:10)
  expect_false(identical(e3, 1:10))
  m3$release()
})

test_that("the disk cache gives back what it was given, and deletes its file", {
  cache <- gradglm:::disk_cache(tempdir())
  expect_true(file.exists(cache$path))
  n <- 50L
  f <- factor(sample(c("a", "b"), n, TRUE))
  x <- list(y = rnorm(n), k = 1:n, ok = rep(c(TRUE, NA, FALSE), length.out = n), f = f,
            X = matrix(runif(3 * n), n, 3, dimnames = list(NULL, c("a", "b", "c"))),
            frame = data.frame(u = rnorm(n), v = seq_len(n)),
            design = structure(list(columns = list(NULL, rnorm(n)), names = c("(Intercept)", "u"), nrow = n),
                               class = "gradglm_design"),
            small = c(1.5, 2), empty = NULL, fun = function(z) z + 1, text = letters)
  put <- cache$put(x, n)
  # the long numbers went to the file, the rest stayed
  expect_s3_class(put$y, "gradglm_on_disk")
  expect_s3_class(put$X, "gradglm_on_disk")
  expect_s3_class(put$design, "gradglm_design")
  expect_s3_class(put$design$columns[[2L]], "gradglm_on_disk")
  expect_identical(put$small, x$small)
  expect_identical(put$text, x$text)
  expect_equal(cache$bytes(), n * (8 + 4 + 4 + 4 + 3 * 8 + 8 + 4 + 8))
  second <- cache$put(list(y = x$y * 2), n)
  expect_identical(cache$get(put), x)
  expect_identical(cache$get(second)$y, x$y * 2)
  expect_identical(cache$get(put)$f, f)  # (again: it reads where the reference points)
  cache$remove()
  expect_false(file.exists(cache$path))
  expect_error(cache$put(x, n), "no longer written")
  # vectors longer than a read or write (here 7 elements) go in pieces
  pieces <- gradglm:::disk_cache(tempdir(), step = 7)
  on.exit(pieces$remove(), add = TRUE)
  long <- list(a = rnorm(50), b = c(TRUE, FALSE, NA, TRUE, TRUE, FALSE, FALSE, NA, TRUE), c = 1:7)
  expect_identical(pieces$get(pieces$put(long, 7)), long)
  expect_equal(pieces$bytes(), 50 * 8 + 9 * 4 + 7 * 4)
})

test_that("a disk cache that cannot be written is a warning, and the fit reads the source again", {
  d <- source_data(2000)
  dir <- tempfile("gone-")
  dir.create(dir)
  src <- function_source(d, 500)
  src$cache <- 0.02
  src$cache_dir <- dir
  unlink(dir, recursive = TRUE)  # (the directory goes away after the source was made)
  expect_warning(fit <- gradglm(yb ~ x1 + x2, data = src, family = binomial()), "disk cache in .*failed")
  expect_gt(fit$source$reads, 1)
  expect_equal(fit$source$disk_cache[["chunks"]], 0)
  expect_equal(coef(fit), coef(gradglm(yb ~ x1 + x2, data = d, family = binomial())), tolerance = 1e-8)
  expect_error(gradglm_source(function(reset = FALSE) NULL, cache_dir = dir), "'cache_dir' must be NULL or the path")
  expect_error(gradglm_source(function(reset = FALSE) NULL, cache_dir = 1), "'cache_dir' must be NULL or the path")
})

test_that("CSV chunks are whole records: quoted fields with line breaks, commas and quotes", {
  set.seed(7)
  n <- 300
  notes <- c("plain", "two\nlines", "a, b", "say \"hi\"", "three\nline\nbreaks")
  d <- data.frame(x = rnorm(n), note = sample(notes, n, TRUE))
  d$y <- stats::rbinom(n, 1, stats::plogis(d$x + (d$note == "a, b")))
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  expect_gt(length(readLines(csv)), n + 50)  # (many more lines than records)
  ctl <- gradglm_control(tol = 1e-12)
  b <- gradglm(y ~ x + note, data = d, family = binomial(), control = ctl)
  for (size in c(7, 50, 1000)) {
    src <- gradglm_source(csv, chunk_size = size)
    s <- source_scan(src)
    expect_equal(s$n, n, info = size)
    expect_setequal(s$levels$note, notes)
    a <- gradglm(y ~ x + note, data = src, family = binomial(), control = ctl)
    expect_equal(nobs(a), n, info = size)
    expect_equal(coef(a), coef(b), tolerance = 1e-8, info = size)
  }
  # a file without its final newline, read in chunks that start at its last
  # line: no warning (read.csv() of the whole file gives none)
  nonl <- temp_path(".csv")
  cat(paste(c("\"x\",\"y\"", paste(d$x[1:10], d$y[1:10], sep = ",")), collapse = "\n"), file = nonl)
  for (size in c(3, 5, 10)) expect_equal(expect_silent(source_scan(gradglm_source(nonl, chunk_size = size)))$n, 10)
  # a file in another encoding, read in it with fileEncoding
  skip_if_not(isTRUE(l10n_info()[["UTF-8"]]))
  cities <- c("Z\u00fcrich", "Gen\u00e8ve", "Malm\u00f6")
  d2 <- data.frame(x = rnorm(60), city = rep(cities, 20))
  d2$y <- stats::rbinom(60, 1, 0.5)
  f2 <- temp_path(".csv")
  con <- file(f2, "w", encoding = "latin1")
  utils::write.csv(d2, con, row.names = FALSE)
  close(con)
  s2 <- source_scan(gradglm_source(f2, chunk_size = 7, fileEncoding = "latin1"))
  expect_setequal(s2$levels$city, cities)
  a2 <- gradglm(y ~ x + city, data = gradglm_source(f2, chunk_size = 7, fileEncoding = "latin1"), family = binomial(),
                control = ctl)
  expect_equal(coef(a2), coef(gradglm(y ~ x + city, data = d2, family = binomial(), control = ctl)), tolerance = 1e-8)
})

test_that("a CSV file's later chunks are read in the classes of its first chunk", {
  set.seed(8)
  n <- 400
  # a code that looks like a number only in later rows, and an integer
  # column whose later rows have decimals
  d <- data.frame(x = rnorm(n), code = rep(c("a1", "b2", "17", "25"), each = n / 4), k = c(1:200, (1:200) / 4))
  d$y <- stats::rbinom(n, 1, stats::plogis(d$x + (d$code == "17")))
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  src <- gradglm_source(csv, chunk_size = 90)
  # (what read.csv() of the whole file gives: code a character column)
  whole <- utils::read.csv(csv)
  expect_type(whole$code, "character")
  ctl <- gradglm_control(tol = 1e-12)
  a <- gradglm(y ~ x + code + k, data = src, family = binomial(), control = ctl)
  b <- gradglm(y ~ x + code + k, data = whole, family = binomial(), control = ctl)
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  expect_setequal(source_scan(src)$levels$code, c("a1", "b2", "17", "25"))
  # the classes of the first chunk: a number in quotes, or a first record
  # that cannot be told, is guessed in each chunk; none when the user gives
  # classes or numerals
  quoted <- gradglm:::csv_first_record_quoted(csv, list(), "native.enc")
  expect_identical(quoted, c(FALSE, TRUE, FALSE, FALSE))
  expect_identical(gradglm:::csv_classes(whole[1:5, ], list(), quoted), c("numeric", "character", "numeric", "numeric"))
  expect_identical(gradglm:::csv_classes(whole[1:5, ], list(), c(TRUE, TRUE, FALSE, FALSE)),
                   c(NA, "character", "numeric", "numeric"))
  expect_identical(gradglm:::csv_classes(whole[1:5, ], list(), NULL), c(NA, "character", NA, NA))
  expect_null(gradglm:::csv_classes(whole[1:5, ], list(colClasses = "character"), quoted))
  expect_null(gradglm:::csv_classes(whole[1:5, ], list(numerals = "no.loss"), quoted))
  # every field in quotes (as some programs write CSV): read as before
  csv_q <- temp_path(".csv")
  utils::write.table(d, csv_q, sep = ",", row.names = FALSE, quote = TRUE, qmethod = "double")
  writeLines(gsub("(^|,)(-?[0-9][^,]*)(?=,|$)", "\\1\"\\2\"", readLines(csv_q), perl = TRUE), csv_q)
  expect_match(readLines(csv_q, n = 2)[2], '^"-?[0-9.]+","a1","1","[01]"$')
  expect_identical(gradglm:::csv_first_record_quoted(csv_q, list(), "native.enc"), rep(TRUE, 4))
  aq <- gradglm(y ~ x + code + k, data = gradglm_source(csv_q, chunk_size = 90), family = binomial(), control = ctl)
  expect_equal(coef(aq), coef(b), tolerance = 1e-8)
  # text in a later chunk of a numeric column: an error naming the chunk
  bad <- d
  bad$x <- format(bad$x)
  bad$x[350] <- "about 3"
  csv2 <- temp_path(".csv")
  utils::write.csv(bad, csv2, row.names = FALSE)  # (x in quotes: guessed in each chunk)
  expect_error(gradglm(y ~ x, data = gradglm_source(csv2, chunk_size = 90), family = binomial()),
               "column 'x' is not numeric in chunk 4")
  utils::write.csv(bad, csv2, row.names = FALSE, quote = 2L)  # (x without quotes: read as numbers)
  # (before: "scan() expected 'a real', got 'about 3', in a column that is
  # numeric in the file's first chunk", not naming the column)
  expect_error(gradglm(y ~ x, data = gradglm_source(csv2, chunk_size = 90), family = binomial()),
               paste0("reading chunk 4 \\(file ", basename(csv2), "\\) of the .* pass failed: column 'x' is numeric ",
                      "in the file's first chunk but has the value \"about 3\" in its row 350 \\(after the header\\) ",
                      "\\(read.csv\\(\\) of the whole file reads the column as text\\): ",
                      ".*colClasses = c\\(x = \"character\"\\)"))
  # the first chunk is read in the classes of the file's first 1,000 records;
  # a column that turns to text further on in it has the chunk read again
  n3 <- 3000
  d3 <- data.frame(x = rnorm(n3), code = c(rep(c("1", "2", "3"), 500), rep(c("A1", "A2"), 750)))
  d3$y <- stats::rbinom(n3, 1, stats::plogis(d3$x + (d3$code == "A1")))
  csv3 <- temp_path(".csv")
  utils::write.csv(d3, csv3, row.names = FALSE, quote = FALSE)
  expect_identical(gradglm:::csv_probe_classes(csv3, list(), "native.enc", 1000L),
                   list(classes = c("numeric", "numeric", "numeric"), row_col = NULL))
  whole3 <- utils::read.csv(csv3)
  expect_type(whole3$code, "character")
  a3 <- gradglm(y ~ x + code, data = gradglm_source(csv3, chunk_size = 2500), family = binomial(), control = ctl)
  expect_equal(coef(a3), coef(gradglm(y ~ x + code, data = whole3, family = binomial(), control = ctl)),
               tolerance = 1e-8)
  # (where the text comes only in a later chunk, that chunk is named, as before)
  expect_error(gradglm(y ~ x + code, data = gradglm_source(csv3, chunk_size = 700), family = binomial()),
               paste0("reading chunk 3 .* column 'code' is numeric in the file's first chunk but has the value ",
                      "\"A1\" in its row 1501"))
  # (the user's classes are used as given)
  cc <- gradglm(y ~ code, data = gradglm_source(csv, chunk_size = 90, colClasses = c(code = "character")),
                family = binomial(), control = ctl)
  expect_equal(coef(cc), coef(gradglm(y ~ code, data = whole, family = binomial(), control = ctl)), tolerance = 1e-8)
})

test_that("a CSV file with a column of row names gives the in-memory fit of read.csv() of the file", {
  set.seed(12)
  n <- 250
  d <- data.frame(x = rnorm(n), f = sample(c("a", "b", "c"), n, TRUE))
  d$y <- stats::rbinom(n, 1, stats::plogis(0.5 * d$x + (d$f == "b")))
  rownames(d) <- paste0("id", seq_len(n))
  ctl <- gradglm_control(tol = 1e-12)
  # write.table() with sep = ",": the header one field short, the row names
  # in the first field of each record (read.csv() takes them as row names)
  csv <- temp_path(".csv")
  utils::write.table(d, csv, sep = ",")
  whole <- utils::read.csv(csv)
  expect_identical(names(whole), c("x", "f", "y"))
  b <- gradglm(y ~ x + f, data = whole, family = binomial(), control = ctl)
  for (chunk in c(40, 1000)) {
    a <- gradglm(y ~ x + f, data = gradglm_source(csv, chunk_size = chunk), family = binomial(), control = ctl)
    expect_equal(coef(a), coef(b), tolerance = 1e-8)
    expect_equal(deviance(a), deviance(b), tolerance = 1e-8)
    expect_equal(nobs(a), n)
  }
  # (numbers in the first data record after a quoted row name are read as numbers)
  expect_identical(gradglm:::csv_probe_classes(csv, list(), "native.enc", 1000L),
                   list(classes = c("numeric", "character", "numeric"), row_col = 1L))
  # y ~ . is the same model: the row names are not a column
  a <- gradglm(y ~ ., data = gradglm_source(csv, chunk_size = 40), family = binomial(), control = ctl)
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  # the same with the user's classes (the chunks guessed) and with numbers in quotes
  a <- gradglm(y ~ x + f, data = gradglm_source(csv, chunk_size = 40, numerals = "no.loss"), family = binomial(),
               control = ctl)
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  # a column of row names that the user names by its number (write.csv() writes
  # its header in full)
  csv2 <- temp_path(".csv")
  utils::write.csv(d[c("y", "x", "f")], csv2)
  whole2 <- utils::read.csv(csv2, row.names = 1)
  expect_identical(names(whole2), c("y", "x", "f"))
  a <- gradglm(y ~ ., data = gradglm_source(csv2, chunk_size = 40, row.names = 1), family = binomial(), control = ctl)
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  # (without it, the column is a variable, as in read.csv() of the file)
  expect_identical(source_scan(gradglm_source(csv2, chunk_size = 40))$columns, c("X", "y", "x", "f"))
  expect_error(gradglm_source(csv2, row.names = "X"), "'row.names' of the CSV reader must be the number")
  expect_error(gradglm_source(csv2, row.names = NULL), "'row.names' of the CSV reader must be the number")
})

test_that("a file that cannot be opened is an error that leaves no connection in R's table", {
  # R's file() warns before it fails: a handler that stopped it at the
  # warning would leave a half-made connection whose identity R lets the
  # garbage collector free, and a later getConnection() of it (future makes
  # one for every open connection, at every future) could crash R
  before <- getAllConnections()
  gone <- file.path(tempfile("gone-"), "x.bin")
  expect_error(gradglm:::open_file(gone, "wb"), "cannot open file .*x[.]bin")
  withr::with_options(list(warn = 2), expect_error(gradglm:::open_file(gone, "rb"), "cannot open file .*x[.]bin"))
  expect_identical(getAllConnections(), before)
  # a CSV file that went away after its source was made: the error names the
  # chunk, the pass and the reason
  d <- source_data(3000)
  files <- two_csv_files(d)
  src <- gradglm_source(files, chunk_size = 1000)
  unlink(files[2])
  expect_error(gradglm(yb ~ x1 + x2, data = src, family = binomial()),
               "reading chunk 3 [(]file .*[)] of the [a-z0-9]+ pass failed: cannot open file .*No such file")
  expect_identical(getAllConnections(), before)
  # the disk cache in a directory that went away (a warning, and the source read again)
  d <- source_data(2000)
  src <- function_source(d, 500)
  src$cache <- 0.02
  src$cache_dir <- tempfile("gone-")
  expect_warning(gradglm(yb ~ x1 + x2, data = src, family = binomial()), "disk cache in [^(]*failed [(]cannot open file [^(]*[)]: the chunks")
  expect_identical(getAllConnections(), before)
})

test_that("adam over chunks on disk trains as over chunks in memory", {
  d <- source_data(2000)
  fit_with <- function(cache) {
    src <- function_source(d, 250)
    src$cache <- cache
    set.seed(5)
    gradglm(yb ~ x1 + x2, data = src, family = binomial(), optimizer = opt_adam(max_epochs = 3))
  }
  # (three epochs do not converge: a warning)
  mem <- suppressWarnings(fit_with(256))
  disk <- suppressWarnings(fit_with(0.01))
  expect_equal(mem$source$disk_cache[["chunks"]], 0)
  expect_gt(disk$source$disk_cache[["chunks"]], 4)
  expect_equal(disk$source$reads, 1)
  expect_identical(coef(disk), coef(mem))
})

test_that("sgd and adam over partitions are refused with the reason", {
  d <- source_data(2500)
  parts <- gradglm_partitions(function_source(d[1:1250, ], 500), function_source(d[1251:2500, ], 500))
  expect_error(gradglm(yb ~ x1, data = parts, family = binomial(), optimizer = "sgd"),
               "workers would take turns")
})

test_that("a disk cache's remove() leaves alone a connection that has taken its connection's number", {
  d <- gradglm:::disk_cache(tempdir())
  ref <- d$put(list(a = seq(0.5, 10)), 1)
  mine <- d$out
  close(mine)  # (as R's finalizer closes a connection that became garbage)
  other <- file(tempfile(), open = "w")  # (R gives it the lowest free number: the cache's)
  on.exit(close(other), add = TRUE)
  expect_identical(as.integer(other), as.integer(mine))
  d$remove()
  expect_true(isOpen(other))
  expect_false(file.exists(d$path))
  # the cache's own open connection is still closed by remove()
  d2 <- gradglm:::disk_cache(tempdir())
  d2$put(list(a = seq(0.5, 10)), 1)
  n2 <- as.integer(d2$out)
  d2$remove()
  expect_false(n2 %in% as.integer(rownames(showConnections(all = TRUE))[showConnections(all = TRUE)[, "isopen"] == "opened"]))
  expect_false(file.exists(d2$path))
})

test_that("the sums of a chunk's response are R's own, to the last bit", {
  set.seed(11)
  for (i in 1:40) {
    n <- sample(c(0:5, 100, 1001), 1)
    y <- switch(i %% 4 + 1, rbinom(n, 1, 0.3) + 0, runif(n), rpois(n, 3) + 0, rnorm(n, 1e6, 1))
    w <- switch(i %% 3 + 1, rep(1, n), runif(n) * rbinom(n, 1, 0.8), rpois(n, 2) + 0)
    off <- if (i %% 2) rnorm(n)
    got <- gradglm:::response_sums(y, w, off)
    mk <- sum(w * y) / sum(w)
    want <- c(sum(w > 0), sum(w), sum(w * y), sum(w * y^2), if (is.null(off)) 0 else sum(w * off),
              if (sum(w) > 0) sum(w * (y - mk)^2) else 0)
    expect_identical(got, want, info = i)
    # the binomial's: 0/1 responses with unit weights and trials; w y log y + w (1 - y) log(1 - y)
    yb <- if (i %% 4 == 1) pmin(y, 1) else if (i %% 4 == 0) rbinom(n, 1, 0.5) + 0 else y / max(1, y)
    tr <- if (i %% 5 == 0) rpois(n, 3) + 1 else rep(1, n)
    wxlogx <- function(w, x) {
      k <- x > 0 & x != 1
      if (!any(k)) 0 else sum(w[k] * x[k] * log(x[k]))
    }
    want_b <- c(all(w == 1) && all(tr == 1) && all(yb == 0 | yb == 1), any(tr > 1), wxlogx(w, yb) + wxlogx(w, 1 - yb))
    expect_identical(gradglm:::binomial_sums(yb, w, tr), as.double(want_b), info = i)
  }
  expect_identical(gradglm:::binomial_sums(c(0, 1, 0.5), c(1, 1, 1), numeric(0))[1:2], c(0, 0))
  expect_error(gradglm:::response_sums(1:3 + 0, c(1, 1), NULL), "differ in length")
})

test_that("the aliased columns of a chunked fit follow glm's sequential rule without solving systems", {
  # the rule as it was written before: each column against the kept ones by solve()
  by_solve <- function(H, tol = 1e-10) {
    p <- ncol(H)
    out <- logical(p)
    kept <- integer(0)
    d <- diag(H)
    for (j in seq_len(p)) {
      r <- d[j]
      if (length(kept) && r > 0) r <- r - sum(H[j, kept] * solve(H[kept, kept, drop = FALSE], H[kept, j]))
      if (!(r > tol * d[j]) || !(d[j] > 0)) out[j] <- TRUE else kept <- c(kept, j)
    }
    out
  }
  set.seed(12)
  for (i in 1:100) {
    n <- 50
    p <- sample(2:12, 1)
    X <- matrix(rnorm(n * p), n)
    for (j in 2:p) if (runif(1) < 0.3) X[, j] <- X[, sample(j - 1, 1)] * runif(1) + (if (runif(1) < 0.5) X[, 1] else 0)
    if (runif(1) < 0.2) X[, sample(p, 1)] <- 0
    H <- crossprod(X * sqrt(runif(n)))
    expect_identical(gradglm:::aliased_in_order(H), by_solve(H), info = i)
  }
  # columns of very different scales (a logistic fit's nearly separated
  # levels have weights near 0): solve() refused them as singular
  H <- crossprod(cbind(1, c(1e-9, 0, 0, 0), c(0, 2, 1, 3), c(1, 1, 1, 1) * 2))
  expect_error(by_solve(H), "singular")
  expect_identical(gradglm:::aliased_in_order(H), c(FALSE, FALSE, FALSE, TRUE))
})

test_that("a chunked fit says that its curvature is nearly singular, as the fit in memory does", {
  set.seed(4)
  n <- 3000
  d <- data.frame(x = runif(n, 0, 20))
  d$y <- rpois(n, exp(0.05 * d$x))
  src <- function_source(d, 1000)
  f <- y ~ poly(x, 9, raw = TRUE)  # (the chunk-wise form of a polynomial: nearly collinear columns)
  expect_warning(gradglm(f, data = d, family = poisson()), "curvature at the estimates is nearly singular")
  expect_warning(gradglm(f, data = src, family = poisson()), "curvature at the estimates is nearly singular")
  # (a Gaussian fit from chunks solves the normal equations: it warns where the QR in memory need not)
  expect_warning(gradglm(f, data = src), "curvature at the estimates is nearly singular")
  expect_silent(gradglm(y ~ x, data = src, family = poisson()))
})

test_that("chunked fits of degenerate data behave as in memory: a saturated fit, p > n, separation", {
  r <- function(d, ...) {
    csv <- temp_path(".csv")
    utils::write.csv(d, csv, row.names = FALSE)
    gradglm_source(csv, ...)
  }
  # a loss exactly 0 at the optimum (one row; a constant response) converges
  # at once (its relative change was 0 / 0, and the fit ran to the iteration
  # limit); a Gaussian one is glm's exact fit (converged, logLik Inf)
  one <- data.frame(x = 0.3, z = 2, k = 3L)
  for (fam in list(gaussian(), poisson())) {
    a <- expect_silent(gradglm(z ~ 1, data = r(one), family = fam))
    expect_true(a$converged)
    expect_lt(a$iter, 5)
    expect_equal(unname(coef(a)), unname(coef(glm(z ~ 1, data = one, family = fam))), tolerance = 1e-10)
  }
  two <- data.frame(x = c(0.3, 0.5), z = c(2, 2))
  a <- expect_silent(gradglm(z ~ 1, data = r(two), family = gaussian()))
  expect_true(a$converged)
  expect_lt(a$iter, 5)
  # more coefficients than rows: glm's aliased columns, as in memory (it was
  # an error after a needless warning that the fit had not converged)
  set.seed(3)
  n <- 6
  d <- data.frame(matrix(rnorm(n * 9), n))
  d$y <- rpois(n, 3)
  for (fam in list(poisson(), gaussian())) {
    a <- gradglm(y ~ ., data = r(d, chunk_size = 4), family = fam)
    b <- glm(y ~ ., data = d, family = fam)
    expect_identical(is.na(coef(a)), is.na(coef(b)))
    expect_equal(coef(a), coef(b), tolerance = 1e-8)
    expect_equal(coef(a), coef(gradglm(y ~ ., data = d, family = fam)), tolerance = 1e-8)
  }
  # (a model that is not a GLM still needs as many rows as coefficients, and
  # says so before anything else)
  expect_error(expect_no_warning(gradglm(z ~ x, data = r(one), family = student_t())),
               "more coefficients \\(4\\) than observations with non-zero weight \\(1\\)")
  # fitted probabilities at 0 or 1 are said, as glm.fit() and the fit in memory say them
  set.seed(5)
  d <- data.frame(x = rnorm(300))
  d$y <- as.integer(d$x > 0)
  expect_warning(gradglm(y ~ x, data = d, family = binomial()), "fitted probabilities numerically 0 or 1")
  expect_warning(gradglm(y ~ x, data = r(d, chunk_size = 70), family = binomial()),
                 "fitted probabilities numerically 0 or 1 occurred \\(the classes may be separated\\)")
  d$y <- stats::rbinom(300, 1, stats::plogis(d$x))
  expect_no_warning(gradglm(y ~ x, data = r(d, chunk_size = 70), family = binomial()))
})

test_that("an SQLite file is read by the package's reader as DBI reads it; other SQLite databases through DBI", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  skip_if_not(gradglm:::sqlite_reader_available(), "gradglm was built without SQLite's library")
  old <- options(gradglm.sqlite_reader = NULL)
  on.exit(options(old), add = TRUE)
  path <- temp_path(".sqlite")
  con <- DBI::dbConnect(RSQLite::SQLite(), path)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  # every kind of column: integers, reals and text with NULLs, an untyped
  # column NULL in the first chunk, binary objects, and text among reals
  DBI::dbExecute(con, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, u, b BLOB, m REAL)")
  for (k in 1:25) {
    DBI::dbExecute(con, sprintf("INSERT INTO t VALUES (%d, %s, %s, %s, %s, %s)", k,
                                if (k %% 4 == 0) "NULL" else k / 3, if (k %% 5 == 0) "NULL" else sprintf("'L%d'", k %% 3),
                                if (k <= 12) "NULL" else k * 1.5, if (k %% 2) "randomblob(3)" else "NULL",
                                if (k == 17) "'4.5x'" else k + 0.25))
  }
  chunks <- function(reader, query = "t") {
    options(gradglm.sqlite_reader = reader)
    src <- gradglm_source(con, query, chunk_size = 10)
    it <- gradglm:::source_open(src, "1st")
    on.exit(it$close())
    out <- list()
    while (!is.null(ch <- it$next_chunk())) out[[length(out) + 1L]] <- ch
    out
  }
  src <- gradglm_source(con, "t")
  expect_false(is.null(r <- gradglm:::sqlite_native_open(src)))
  gradglm:::sqlite_reader_close(r)
  gradglm:::sqlite_reader_close(r)  # (twice: nothing)
  expect_warning(own <- chunks(TRUE), "column\\(s\\) 'm' of the query mix numbers and text \\(chunk 2\\)")
  expect_warning(dbi <- chunks(FALSE), "mixed type")
  expect_length(own, 3L)
  expect_length(dbi, 3L)
  for (k in 1:3) {
    # (numbers as doubles: a chunked fit reads every numeric column so)
    expect_identical(names(own[[k]]), names(dbi[[k]]))
    expect_identical(nrow(own[[k]]), nrow(dbi[[k]]))
    for (v in c("i", "r", "u", "m")) {
      expect_identical(own[[k]][[v]], if (k == 1 && v == "u") dbi[[k]][[v]] else as.double(dbi[[k]][[v]]),
                       label = paste("column", v, "chunk", k))
    }
    expect_identical(own[[k]]$s, dbi[[k]]$s)
    expect_s3_class(own[[k]]$b, "blob")
    expect_identical(unclass(own[[k]]$b), lapply(dbi[[k]]$b, function(x) x))
  }
  expect_identical(own[[2]]$m[7], 4.5)  # (text read as a number, as SQLite and DBI read it)
  # a query with expressions, and one that returns no rows
  q <- "SELECT i * 2 AS j, s || 'x' AS sx FROM t WHERE i > 3"
  expect_identical(lapply(chunks(TRUE, q), function(ch) lapply(ch, as.vector)),
                   lapply(chunks(FALSE, q), function(ch) list(j = as.double(ch$j), sx = ch$sx)))
  expect_length(chunks(TRUE, "SELECT * FROM t WHERE i > 100"), 0L)
  # the fits agree to the last bit
  d <- source_data(3000)
  DBI::dbWriteTable(con, "d", d)
  fits <- lapply(c(TRUE, FALSE), function(reader) {
    options(gradglm.sqlite_reader = reader)
    gradglm(yb ~ x1 + x2 + f, data = gradglm_source(con, "d", chunk_size = 400), family = binomial())
  })
  expect_identical(coef(fits[[1]]), coef(fits[[2]]))
  expect_identical(vcov(fits[[1]]), vcov(fits[[2]]))
  expect_identical(deviance(fits[[1]]), deviance(fits[[2]]))
  options(gradglm.sqlite_reader = NULL)
  # read through DBI: what only the user's connection sees, or what the
  # reader cannot do
  own_reader <- function(con, query = "d") !is.null(gradglm:::sqlite_native_open(gradglm_source(con, query)))
  expect_true(own_reader(con))
  DBI::dbBegin(con)
  expect_false(own_reader(con))  # (an open transaction)
  DBI::dbRollback(con)
  DBI::dbExecute(con, "CREATE TEMP VIEW v AS SELECT * FROM d")
  expect_false(own_reader(con))  # (a temporary view)
  DBI::dbExecute(con, "DROP VIEW v")
  expect_true(own_reader(con))
  other <- temp_path(".sqlite")
  DBI::dbExecute(con, paste0("ATTACH DATABASE '", other, "' AS other"))
  expect_false(own_reader(con))  # (an attached database)
  DBI::dbExecute(con, "DETACH DATABASE other")
  expect_false(own_reader(con, "SELECT x1, x1 AS x1 FROM d"))  # (two columns of one name)
  expect_false(own_reader(con, "SELECT no_such_function(x1) AS z FROM d"))
  expect_false(own_reader(con, "DELETE FROM d WHERE x1 > 100"))  # (not a query of rows: not run by the reader)
  expect_equal(DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM d")$n, nrow(d))
  options(gradglm.sqlite_reader = FALSE)
  expect_false(own_reader(con))
  options(gradglm.sqlite_reader = NULL)
  mem <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(mem), add = TRUE)
  DBI::dbWriteTable(mem, "d", d)
  expect_false(own_reader(mem))
  if (nzchar(system.file(package = "hms"))) {  # (RSQLite's extended types need the hms package)
    ext <- DBI::dbConnect(RSQLite::SQLite(), path, extended_types = TRUE)
    on.exit(DBI::dbDisconnect(ext), add = TRUE)
    expect_false(own_reader(ext))
  }
  # a source on a closed connection says so, whichever reader it has
  closed <- DBI::dbConnect(RSQLite::SQLite(), path)
  src_closed <- gradglm_source(closed, "d", chunk_size = 400)
  DBI::dbDisconnect(closed)
  expect_error(gradglm(yb ~ x1, data = src_closed, family = binomial()),
               "the source's database connection is no longer valid")
})

test_that("the first pass keeps the order of levels that the source gives or the chunks' ordered factors have", {
  d <- data.frame(x = 1:6, o = factor(c("lo", "hi", "mid", "lo", "hi", "mid"), levels = c("lo", "mid", "hi"),
                                      ordered = TRUE),
                  u = factor(c("q", "p", "q", "p", "q", "p"), levels = c("q", "p")), s = c("b", "a", "c", "a", "b", "c"))
  sc <- source_scan(function_source(d, 2))
  expect_equal(sc$levels, list(o = c("lo", "mid", "hi"), u = c("q", "p"), s = c("a", "b", "c")))
  expect_equal(sc$order, list(o = c("lo", "mid", "hi")))  # (an unordered factor or text has none)
  # the source's levels: their order, in a first pass too, and no other level
  src <- function_source(d, 2)
  src$levels <- list(s = c("c", "b", "a", "z"))
  sc <- source_scan(src)
  expect_equal(sc$levels$s, c("c", "b", "a"))  # (unused levels dropped, as model.frame() drops them)
  expect_equal(sc$order$s, c("c", "b", "a", "z"))
  src$levels <- list(s = c("c", "b"))
  expect_error(source_scan(src), "column 's' has the level\\(s\\) 'a' in chunk 1 that are not among its 'levels'")
  # a column ordered in some chunks only has no order
  chunks <- list(d[1:3, ], transform(d[4:6, ], o = as.character(o)))
  i <- 0
  mixed <- gradglm_source(function(reset = FALSE) {
    if (reset) i <<- 0 else i <<- i + 1
    if (!reset && i <= 2) chunks[[i]]
  })
  expect_null(source_scan(mixed)$order$o)
})

test_that("a chunked multinomial fit whose first chunk lacks a class starts from the class shares", {
  set.seed(8)
  n <- 2003
  d <- data.frame(x1 = rnorm(n), f = sample(c("a", "b", "c"), n, TRUE), g = sample(c("p", "q", "r"), n, TRUE))
  d$g[1:600] <- ifelse(d$g[1:600] == "r", "p", d$g[1:600])  # "r" only from the second chunk of 500 rows
  ctl <- gradglm_control(tol = 1e-12)
  a <- gradglm(g ~ x1 + f, data = function_source(d, 500), family = multinomial(), control = ctl)
  b <- gradglm(g ~ x1 + f, data = transform(d, g = factor(g)), family = multinomial(), control = ctl)
  expect_true(a$converged)
  expect_true(all(fit_gap(a, b) < 1e-8))
  # a class that the subset leaves without rows is dropped, as model.frame() drops it in memory
  a <- gradglm(g ~ x1, data = function_source(d, 500), family = multinomial(), subset = g != "q", control = ctl)
  # (in memory the factor keeps its level "q": dropped there with a warning)
  expect_warning(b <- gradglm(g ~ x1, data = transform(d, g = factor(g)), family = multinomial(),
                              subset = g != "q", control = ctl), "'q' of the response are empty")
  expect_identical(a$lev, c("p", "r"))
  expect_identical(a$lev, b$lev)
  expect_true(all(fit_gap(a, b) < 1e-8))
})

test_that("an ordered factor of the chunks stays ordered: its polynomial contrasts as in memory", {
  set.seed(31)
  n <- 1200
  d <- data.frame(x = rnorm(n), dose = factor(sample(c("low", "mid", "high"), n, TRUE),
                                              levels = c("low", "mid", "high"), ordered = TRUE))
  d$y <- rpois(n, exp(0.2 + 0.3 * d$x + 0.2 * as.integer(d$dose)))
  ref <- gradglm(y ~ x + dose, data = d, family = poisson())
  expect_identical(names(coef(ref)), c("(Intercept)", "x", "dose.L", "dose.Q"))
  src <- function_source(d, 250)
  expect_identical(source_scan(src)$ordered_columns, "dose")
  fit <- gradglm(y ~ x + dose, data = src, family = poisson())
  expect_identical(names(coef(fit)), names(coef(ref)))
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
  expect_equal(predict(fit, newdata = d[1:20, ]), predict(ref, newdata = d[1:20, ]), tolerance = 1e-8)
  # with its levels given (no first pass over the rows): the first chunk says it is ordered
  given <- gradglm_source(function_source(d, 250)$fun, levels = list(dose = c("low", "mid", "high")))
  expect_equal(coef(gradglm(y ~ x + dose, data = given, family = poisson())), coef(ref), tolerance = 1e-8)
  # partitions whose chunks have it ordered
  skip_if_not_installed("future")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  parts <- gradglm_partitions(a = function_source(d[1:700, ], 250), b = function_source(d[701:n, ], 250))
  expect_equal(coef(gradglm(y ~ x + dose, data = parts, family = poisson())), coef(ref), tolerance = 1e-8)
  # an unordered factor stays unordered
  d2 <- within(d, dose <- factor(dose, ordered = FALSE))
  expect_equal(coef(gradglm(y ~ x + dose, data = function_source(d2, 250), family = poisson())),
               coef(gradglm(y ~ x + dose, data = d2, family = poisson())), tolerance = 1e-8)
})

test_that("a chunked fit whose loss is not finite at its start says so, as in memory", {
  set.seed(1)
  n <- 600
  d <- data.frame(x = runif(n))
  d$y <- rbinom(n, 1, exp(-1 - d$x))
  fam <- binomial(link = "log")
  # (mean 1 at zero coefficients: the log of 1 - 1 for every y = 0)
  msg <- "the newton optimizer could not find valid coefficients \\(the loss is not finite at the starting values\\); supply 'start'"
  expect_error(gradglm(y ~ x, data = d, family = fam, start = c(0, 0)), msg)
  expect_error(suppressWarnings(gradglm(y ~ x, data = function_source(d, 100), family = fam, start = c(0, 0))), msg)
  expect_equal(coef(gradglm(y ~ x, data = function_source(d, 100), family = fam, start = c(-1, -0.5))),
               coef(gradglm(y ~ x, data = d, family = fam)), tolerance = 1e-8)
})

test_that("a text column blank in a whole chunk keeps its blanks as a level, as read.csv() of the file", {
  set.seed(2)
  n <- 40
  d <- data.frame(y = rnorm(n), x = c(rep(NA, 10), runif(30)), b = c(rep(NA, 10), sample(c(TRUE, FALSE), 30, TRUE)),
                  g = c(rep("", 10), sample(c("a", "b", "c"), 30, TRUE)), z = rnorm(n))
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE, na = "")
  m <- utils::read.csv(csv, stringsAsFactors = TRUE)
  src <- gradglm_source(csv, chunk_size = 10)
  expect_identical(source_scan(src)$levels$g, c("", "a", "b", "c"))
  # (blanks of a numeric or logical column are missing values)
  for (f in list(y ~ z + g, y ~ x + g, y ~ b + z)) {
    a <- gradglm(f, data = src)
    b <- gradglm(f, data = m)
    expect_equal(coef(a), coef(b), tolerance = 1e-10)
    expect_equal(nobs(a), nobs(b))
  }
})

test_that("levels that the subset or the na.action leave unused are dropped, as in memory", {
  set.seed(13)
  n <- 60
  d <- data.frame(y = rnorm(n), x = runif(n), region = sample(c("east", "north", "south"), n, TRUE))
  d$region[c(5, 25)] <- "west"
  d$y[c(5, 25)] <- NA
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  m <- utils::read.csv(csv, stringsAsFactors = TRUE)
  src <- gradglm_source(csv, chunk_size = 10)
  a <- gradglm(y ~ x + region, data = src, subset = region != "east")
  b <- glm(y ~ x + region, data = m, subset = region != "east")
  expect_identical(names(coef(a)), names(coef(b)))
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  # ("west" only where y is missing)
  a <- gradglm(y ~ x + region, data = src, na.action = na.exclude)
  b <- glm(y ~ x + region, data = m, na.action = na.exclude)
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  expect_identical(names(a$xlevels$region), NULL)
  expect_identical(a$xlevels$region, c("east", "north", "south"))
})

test_that("a source that changes between the passes of a fit is an error that says so", {
  set.seed(7)
  n <- 600
  d <- data.frame(x = runif(n), g = sample(c("a", "b", "c"), n, TRUE))
  d$cnt <- rpois(n, exp(0.5 + 2 * d$x))
  resets <- 0
  i <- 0
  grows <- function(reset = FALSE) {
    if (reset) {
      resets <<- resets + 1
      i <<- 0
      return(NULL)
    }
    i <<- i + 1
    rows <- if (resets >= 3) 700 else 600  # (another 100 rows from the third pass on)
    big <- rbind(d, d[1:100, ])[seq_len(rows), ]
    if (i <= ceiling(rows / 100)) big[(100 * (i - 1) + 1):min(rows, 100 * i), ]
  }
  expect_error(gradglm(cnt ~ x + g, data = gradglm_source(grows, cache = 0, cache_dir = NULL), family = poisson()),
               "the source changed during the fit \\(pass [0-9]+\\): it has 700 rows, where the scan of its columns read 600")
})

test_that("predict() on a source reads each chunk's columns in the fit's types, as read.csv() of the whole file", {
  set.seed(41)
  same_predictions <- function(x, g) {
    csv <- temp_path(".csv")
    writeLines(c("y,x,g", paste(round(stats::rnorm(length(g)), 2), x, g, sep = ",")), csv)
    d <- utils::read.csv(csv)
    fit <- gradglm(y ~ x + g, data = d)
    expect_equal(unname(predict(fit, newdata = gradglm_source(csv, chunk_size = 4))),
                 unname(predict(fit, newdata = d)), tolerance = 1e-12)
  }
  # (before: "variable 'x' was fitted with type "numeric" but type "character" was supplied")
  # (the first chunk types the file's later chunks: an odd type there, or in a later chunk)
  x <- as.character(round(stats::rnorm(12), 2))
  x[1:4] <- ""
  same_predictions(x, c("a", "b", "c", "a", "a", "b", "", "c", "a", "b", "a", ""))
  x <- as.character(round(stats::rnorm(12), 2))
  x[5:8] <- ""
  same_predictions(x, c("a", "b", "c", "a", "a", "b", "", "c", "a", "b", "a", ""))
  # (before: "variable 'g' was fitted with type "character" but type "numeric" was supplied")
  same_predictions(round(stats::rnorm(12), 2), c("1", "2", "1", "2", "a", "b", "c", "a", "a", "b", "1", "2"))
  same_predictions(round(stats::rnorm(12), 2), c("a", "b", "c", "a", "1", "2", "1", "2", "a", "b", "1", "2"))
  # (before: "... type "character" but type "logical" was supplied")
  same_predictions(round(stats::rnorm(12), 2), c("T", "F", "T", "", "a", "b", "c", "a", "a", "b", "T", "F"))
  same_predictions(round(stats::rnorm(12), 2), c("TRUE", "FALSE", "TRUE", "F", "a", "b", "c", "a", "a", "b", "T", "F"))
})

test_that("predict() on a source: na.action is refused with the reason, terms are passed on, no rows give none", {
  set.seed(8)
  n <- 50
  d <- data.frame(x = runif(n), g = sample(c("a", "b", "c"), n, TRUE))
  d$cnt <- rpois(n, exp(0.5 + d$x))
  d$x[c(3, 30)] <- NA
  csv <- temp_path(".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  m <- utils::read.csv(csv, stringsAsFactors = TRUE)
  src <- gradglm_source(csv, chunk_size = 7)
  fit <- gradglm(cnt ~ x + g, data = src, family = poisson())
  fitm <- gradglm(cnt ~ x + g, data = m, family = poisson())
  expect_error(predict(fit, newdata = src, na.action = na.omit), "'na.action' does not apply to 'newdata' from a gradglm_source")
  expect_length(predict(fit, newdata = src), n)
  expect_error(predict(fit, newdata = m, type = "terms"), "which a fit from a chunked source does not keep")
  a <- predict(fitm, newdata = src, type = "terms", terms = "x")
  b <- predict(fitm, newdata = m, type = "terms", terms = "x")
  expect_equal(unname(unlist(a)), unname(b[, "x"]), tolerance = 1e-12)
  # a source of a header and no rows: no predictions, as predict.glm() of a
  # data frame of no rows (first "argument is of length zero", or "could not
  # write the file"; then the error "'newdata': the source returned no rows")
  empty <- temp_path(".csv")
  writeLines("id,x,g,cnt", empty)
  none <- gradglm_source(empty, chunk_size = 3)
  expect_identical(predict(fit, newdata = none), numeric(0))
  expect_identical(predict(fitm, newdata = none, type = "response"),
                   unname(predict(stats::glm(cnt ~ x + g, data = m, family = poisson()), newdata = m[0, ],
                                  type = "response")))
  expect_identical(predict(fit, newdata = none, se.fit = TRUE), list(fit = numeric(0), se.fit = numeric(0)))
  out <- temp_path(".csv")
  expect_identical(predict(fit, newdata = none, output = out, keep = "id"), out)
  expect_identical(readLines(out), "\"id\",\"fit\"")
  expect_identical(dim(utils::read.csv(out)), c(0L, 2L))
  expect_identical(names(predict(fit, newdata = none, se.fit = TRUE, keep = "id")), c("id", "fit", "se.fit"))
  expect_error(predict(fit, newdata = none, output = out, keep = "ID"), "'keep': column\\(s\\) 'ID' not in the source")
  mfit <- gradglm(g ~ x, data = m, family = multinomial())
  expect_identical(names(predict(mfit, newdata = none, type = "probs")), levels(m$g))
  expect_identical(predict(mfit, newdata = none, type = "class"), character(0))
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), temp_path(".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  predict(fit, newdata = none, output = con, table = "preds", keep = "id")
  expect_identical(DBI::dbListFields(con, "preds"), c("id", "fit"))
  expect_identical(nrow(DBI::dbReadTable(con, "preds")), 0L)
})

test_that("a number in quotes in a later chunk of a CSV file's numeric column is that number, as read.csv() reads it", {
  set.seed(31)
  n <- 40
  d <- data.frame(x1 = round(stats::rnorm(n), 4), x2 = round(stats::runif(n), 4), g = sample(c("a", "b"), n, TRUE))
  d$y <- round(1 + d$x1 - d$x2 + stats::rnorm(n), 4)
  lines <- c("x1,x2,g,y", sprintf("%s,%s,%s,%s", d$x1, d$x2, d$g, d$y))
  # (some fields in quotes in later rows: x1 and y in row 11, x2 in row 29,
  # every field in the last row)
  lines[12] <- sprintf('"%s",%s,%s,"%s"', d$x1[11], d$x2[11], d$g[11], d$y[11])
  lines[30] <- sprintf('%s,"%s","%s",%s', d$x1[29], d$x2[29], d$g[29], d$y[29])
  lines[41] <- sprintf('"%s","%s","%s","%s"', d$x1[40], d$x2[40], d$g[40], d$y[40])
  csv <- temp_path(".csv")
  writeLines(lines, csv)
  whole <- utils::read.csv(csv)
  expect_identical(vapply(whole, class, ""), c(x1 = "numeric", x2 = "numeric", g = "character", y = "numeric"))
  b <- gradglm(y ~ x1 + x2 + g, data = rbind(whole, whole))
  # (before: "reading chunk 3 ... failed: scan() expected 'a real', got '"-0.6893"'")
  for (size in c(1, 3, 5, 100)) {
    a <- gradglm(y ~ x1 + x2 + g, data = gradglm_source(c(csv, csv), chunk_size = size, cache = 0))
    expect_equal(coef(a), coef(b), tolerance = 1e-10)
  }
  expect_equal(predict(a, newdata = gradglm_source(csv, chunk_size = 5)), unname(predict(b, newdata = whole)),
               tolerance = 1e-10)
  # (with row names and the user's separator and decimal mark)
  rn <- temp_path(".csv")
  utils::write.table(d, rn, sep = ";", dec = ",", quote = FALSE)
  rows <- readLines(rn)
  rows[20] <- sub(";([^;]*);", ";\"\\1\";", rows[20])
  expect_match(rows[20], '^19;"-?[0-9,]+";')
  writeLines(rows, rn)
  whole_rn <- utils::read.csv(rn, sep = ";", dec = ",")
  expect_equal(coef(gradglm(y ~ x1 + x2 + g, data = gradglm_source(rn, chunk_size = 4, sep = ";", dec = ","))),
               coef(gradglm(y ~ x1 + x2 + g, data = whole_rn)), tolerance = 1e-10)
  # text in a numeric column: an error naming the column, the value and its
  # row, where it comes before the chunk with the number in quotes or after
  bad <- lines
  bad[8] <- sub("^[^,]*", "oops", bad[8])
  writeLines(bad, csv)
  expect_error(gradglm(y ~ x1 + x2 + g, data = gradglm_source(csv, chunk_size = 5)),
               paste0("reading chunk 2 .* column 'x1' is numeric in the file's first chunk but has the value ",
                      "\"oops\" in its row 7"))
  bad <- lines
  bad[25] <- sub("^[^,]*", "oops", bad[25])
  writeLines(bad, csv)
  expect_error(gradglm(y ~ x1 + x2 + g, data = gradglm_source(csv, chunk_size = 5)),
               "column 'x1' is numeric in earlier chunks but has the value \"oops\" in chunk 5 .*colClasses")
  # (the user's classes: the column is text, as in read.csv())
  typed <- gradglm(y ~ x1 + g, data = gradglm_source(csv, chunk_size = 5, colClasses = c(x1 = "character")))
  expect_equal(coef(typed), coef(gradglm(y ~ x1 + g, data = utils::read.csv(csv, colClasses = c(x1 = "character")))),
               tolerance = 1e-10)
  # a name that is not syntactic is written as R takes it (before: c(my var = "character"))
  odd <- temp_path(".csv")
  writeLines(c("y,my var", paste0(seq_len(20), ",", c(seq_len(14), "oops", 16:20))), odd)
  expect_error(gradglm(y ~ `my var`, data = gradglm_source(odd, chunk_size = 5, check.names = FALSE)),
               "colClasses = c(`my var` = \"character\")", fixed = TRUE)
})

test_that("TRUE and FALSE in some chunks of a text column are levels as written, as read.csv() reads them", {
  set.seed(32)
  write_g <- function(g) {
    csv <- temp_path(".csv")
    writeLines(c("g,y", paste(g, round(stats::rnorm(length(g)), 3), sep = ",")), csv)
    csv
  }
  same_fit <- function(csv) {
    a <- gradglm(y ~ g, data = gradglm_source(csv, chunk_size = 4))
    b <- gradglm(y ~ g, data = utils::read.csv(csv))
    expect_identical(names(coef(a)), names(coef(b)))
    expect_equal(coef(a), coef(b), tolerance = 1e-10)
  }
  # (before: "column 'g' has the level(s) 'TRUE', 'FALSE' in chunk 1 that the
  # first pass did not see")
  same_fit(write_g(c("T", "F", "T", "F", "a", "b", "T", "F")))
  same_fit(write_g(c("TRUE", "FALSE", "TRUE", "FALSE", "a", "b", "a", "b")))
  same_fit(write_g(c("T", "F", "true", "F", "a", "b", "TRUE", "F", "a")))
  same_fit(write_g(c("a", "b", "a", "a", "T", "F", "T", "F")))
  # blanks in a chunk of TRUE and FALSE are the level "" of the text column
  # (before: missing values, and their rows were dropped without a word)
  blank <- write_g(c("a", "b", "a", "", "T", "", "F", "T", "b", "a"))
  same_fit(blank)
  expect_identical(nobs(gradglm(y ~ g, data = gradglm_source(blank, chunk_size = 4))), 10L)
  expect_identical(source_scan(gradglm_source(blank, chunk_size = 4))$levels, list(g = sort(c("", "a", "b", "F", "T"))))
  same_fit(write_g(c("T", "", "F", "T", "a", "b", "", "a")))
  # (blanks in a column of TRUE and FALSE throughout are missing values, as read.csv() reads them)
  logical_blanks <- write_g(c("T", "F", "", "T", "F", "", "T", "F"))
  expect_identical(source_scan(gradglm_source(logical_blanks, chunk_size = 4))$types, c(g = "logical", y = "numeric"))
  expect_identical(nobs(gradglm(y ~ g, data = gradglm_source(logical_blanks, chunk_size = 4))),
                   nobs(gradglm(y ~ g, data = utils::read.csv(logical_blanks))))
  mixed <- gradglm_source(write_g(c("T", "F", "T", "F", "a", "b", "T", "F")), chunk_size = 4)
  expect_identical(source_scan(mixed)$levels, list(g = sort(c("a", "b", "F", "T"))))
  # (a column of TRUE and FALSE throughout stays logical)
  expect_identical(source_scan(gradglm_source(write_g(c("T", "F", "T", "F", "T", "F")), chunk_size = 4))$types,
                   c(g = "logical", y = "numeric"))
  # numbers after TRUE and FALSE: an error that says what to do
  numbers <- gradglm_source(write_g(c("T", "F", "T", "F", "1.5", "2", "1", "3")), chunk_size = 4)
  expect_error(gradglm(y ~ g, data = numbers),
               paste0("column 'g' is logical \\(TRUE/FALSE\\) in chunk 1 but numeric in chunk 2 .*",
                      "colClasses = c\\(g = \"character\"\\)"))
  # chunks of a function: logical in some, text in others, as rbind() of the chunks
  chunks <- list(data.frame(g = c(TRUE, FALSE, TRUE), y = c(1, 2, 4)), data.frame(g = c("a", "b", "a"), y = c(3, 5, 2)),
                 data.frame(g = c(FALSE, TRUE), y = c(1, 7)))
  i <- 0
  src <- gradglm_source(function(reset = FALSE) {
    if (reset) i <<- 0 else i <<- i + 1
    if (!reset && i <= length(chunks)) chunks[[i]]
  })
  expect_equal(coef(gradglm(y ~ g, data = src)), coef(gradglm(y ~ g, data = do.call(rbind, chunks))), tolerance = 1e-10)
})

test_that("empty chunks, in the middle or at the end, do not count as a change of the source", {
  set.seed(9)
  d <- data.frame(x = runif(300), g = sample(c("a", "b"), 300, TRUE))
  d$cnt <- rpois(300, exp(0.5 + d$x))
  i <- 0
  chunks <- list(d[1:100, ], d[0, ], d[101:200, ], d[201:300, ], d[0, ], d[0, ])
  src <- gradglm_source(function(reset = FALSE) {
    if (reset) i <<- 0 else i <<- i + 1
    if (!reset && i <= length(chunks)) chunks[[i]]
  }, cache = 0, cache_dir = NULL)
  a <- gradglm(cnt ~ x + g, data = src, family = poisson())
  b <- gradglm(cnt ~ x + g, data = d, family = poisson())
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  expect_gt(a$source$passes, 2L)
})

test_that("a database source whose connection is gone says so", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- chunk_data()
  db <- temp_path(".sqlite")
  con <- DBI::dbConnect(RSQLite::SQLite(), db)
  DBI::dbWriteTable(con, "rows", d)
  src <- gradglm_source(con, "rows", chunk_size = 60)
  fit <- gradglm(y ~ x1, data = src, family = poisson())
  # (a fit saved and read back in another session holds such a connection: its
  # queries failed with "bad_weak_ptr")
  DBI::dbDisconnect(con)
  expect_error(predict(fit, newdata = src), "the source's database connection is no longer valid")
  expect_error(gradglm(y ~ x1, data = src, family = poisson()), "the source's database connection is no longer valid")
})
