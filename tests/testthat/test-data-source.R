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

function_source <- function(d, size) {
  chunks <- split(d, ceiling(seq_len(nrow(d)) / size))
  i <- 0
  gradglm_source(function(reset = FALSE) {
    if (reset) {
      i <<- 0
      return(NULL)
    }
    i <<- i + 1
    if (i > length(chunks)) NULL else chunks[[i]]
  })
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
  expect_error(source_scan(mixed), "'x' is numeric in earlier chunks but factor in chunk 2")
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
