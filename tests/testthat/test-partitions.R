# Partitioned fits: each partition read by a worker of the future framework,
# the sums of the workers' passes added (src/chunked_objective.h).

partition_files <- function(d, splits) {
  files <- vapply(seq_along(splits), function(i) tempfile(fileext = ".csv"), "")
  for (i in seq_along(splits)) utils::write.csv(d[splits[[i]], ], files[i], row.names = FALSE)
  files
}

test_that("fits over partitions on a 2-worker multisession plan equal the in-memory fits", {
  skip_on_cran()
  skip_if_not_installed("future")
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  set.seed(21)
  n <- 3003
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), f = sample(c("a", "b", "c"), n, TRUE),
                  w = round(runif(n, 0.5, 3)), t = runif(n, 1, 3))
  d$f[1:1500] <- ifelse(d$f[1:1500] == "c", "a", d$f[1:1500])  # "c" only in the second partition
  d$y <- rpois(n, d$t * exp(0.3 + 0.5 * d$x1 - 0.2 * (d$f == "b")))
  d$yb <- as.integer(d$y > 2)
  d$z <- 1 + d$x1 + exp(0.3 * d$x2) * stats::rt(n, 5)
  d$cls <- sample(c("p", "q", "r"), n, TRUE)
  dd <- d
  dd$f <- factor(dd$f)
  dd$cls <- factor(dd$cls)
  files <- partition_files(d, list(1:1500, 1501:n))
  parts <- gradglm_partitions(a = files[1], b = files[2], chunk_size = 1000)
  expect_output(print(parts), "2 partitions: a, b")
  ctl <- gradglm_control(tol = 1e-12)
  gap <- function(a, b) {
    # (aliased coefficients, NA in both, are compared apart)
    c(max(abs(coef(a) - coef(b)), na.rm = TRUE), max(abs(sqrt(diag(vcov(a))) - sqrt(diag(vcov(b)))), na.rm = TRUE),
      abs(deviance(a) / deviance(b) - 1), abs(AIC(a) / AIC(b) - 1), abs(a$null.deviance / b$null.deviance - 1))
  }
  for (fam in list(gaussian(), binomial(), poisson())) {
    form <- if (fam$family == "binomial") yb ~ x1 + x2 + f else y ~ x1 + x2 + f
    a <- gradglm(form, data = parts, family = fam, weights = w, offset = log(t), control = ctl)
    b <- gradglm(form, data = dd, family = fam, weights = w, offset = log(t), control = ctl)
    expect_true(all(gap(a, b) < 1e-8), info = fam$family)
    expect_equal(a$source$partitions, 2L)
  }
  a <- gradglm(z ~ x1 + f, data = parts, family = student_t(), sigma = ~ x2, control = ctl)
  b <- gradglm(z ~ x1 + f, data = dd, family = student_t(), sigma = ~ x2, control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  # a family whose AIC and Pearson dispersion take a pass at the fitted means
  a <- gradglm(y + 1 ~ x1 + x2 + f, data = parts, family = Gamma(link = "log"), weights = w, control = ctl)
  b <- gradglm(y + 1 ~ x1 + x2 + f, data = dd, family = Gamma(link = "log"), weights = w, control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  expect_equal(a$dispersion, b$dispersion, tolerance = 1e-10)
  a <- gradglm(cls ~ x1 + f, data = parts, family = multinomial(), control = ctl)
  b <- gradglm(cls ~ x1 + f, data = dd, family = multinomial(), control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  # the negative binomial with theta estimated: later passes on the workers
  # fit the GLM at the estimated theta
  a <- gradglm(y ~ x1 + x2 + f, data = parts, family = negative_binomial(), weights = w, offset = log(t),
               control = ctl)
  b <- gradglm(y ~ x1 + x2 + f, data = dd, family = negative_binomial(), weights = w, offset = log(t),
               control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  expect_equal(c(a$theta, a$SE.theta), c(b$theta, b$SE.theta), tolerance = 1e-8)
  # a link of one's own travels to the workers with its R functions
  loglog <- structure(list(linkfun = function(mu) -log(-log(mu)),
                           linkinv = function(eta) pmin(pmax(exp(-exp(-eta)), 1e-16), 1 - 1e-16),
                           mu.eta = function(eta) pmax(exp(-eta - exp(-eta)), 1e-16),
                           valideta = function(eta) TRUE, name = "loglog"), class = "link-glm")
  a <- gradglm(yb ~ x1 + x2 + f, data = parts, family = binomial(link = loglog), weights = w, control = ctl)
  b <- gradglm(yb ~ x1 + x2 + f, data = dd, family = binomial(link = loglog), weights = w, control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  # a column linearly dependent on others is aliased (NA) on the workers too,
  # with the partitions given as one list
  d$x3 <- 2 * d$x1 - d$x2
  dd$x3 <- d$x3
  d$u <- dd$u <- stats::rbinom(n, 10, 0.3)  # (underdispersed counts)
  listed <- gradglm_partitions(lapply(partition_files(d, list(1:1500, 1501:n)), identity), chunk_size = 1000)
  expect_output(print(listed), "2 partitions")
  a <- gradglm(y ~ x1 + x2 + x3 + f, data = listed, family = poisson(), weights = w, control = ctl)
  b <- gradglm(y ~ x1 + x2 + x3 + f, data = dd, family = poisson(), weights = w, control = ctl)
  expect_identical(is.na(coef(a)), is.na(coef(b)))
  expect_true(is.na(coef(a)[["x3"]]))
  expect_true(all(gap(a, b) < 1e-8))
  # a sigma model on underdispersed counts: theta runs away, said as in memory
  # (the rows counted on the workers)
  edge <- sprintf("for %d of the %d observations, large beside their fitted means .*sigma runs to 0", n, n)
  expect_warning(gradglm(u ~ x1, data = dd, family = negative_binomial(), sigma = ~ 1), edge)
  expect_warning(gradglm(u ~ x1, data = listed, family = negative_binomial(), sigma = ~ 1), edge)
  # SQLite partitions: each worker opens its own file
  dbs <- vapply(1:2, function(i) tempfile(fileext = ".sqlite"), "")
  for (i in 1:2) {
    con <- DBI::dbConnect(RSQLite::SQLite(), dbs[i])
    DBI::dbWriteTable(con, "d", if (i == 1) d[1:1500, ] else d[1501:n, ])
    DBI::dbDisconnect(con)
  }
  recipes <- lapply(dbs, function(db) {
    force(db)
    function() gradglm_source(DBI::dbConnect(RSQLite::SQLite(), db), "d", chunk_size = 1000)
  })
  a <- gradglm(yb ~ x1 + x2 + f, data = do.call(gradglm_partitions, recipes), family = binomial(), control = ctl)
  b <- gradglm(yb ~ x1 + x2 + f, data = dd, family = binomial(), control = ctl)
  expect_true(all(gap(a, b) < 1e-8))
  # a partition with other columns, a failing partition and a worker that dies are named
  files3 <- partition_files(d[, setdiff(names(d), "x2")], list(1:100))
  expect_error(gradglm(yb ~ x1, data = gradglm_partitions(a = files[1], c = files3), family = binomial()),
               "the partitions have different columns: 'a' has 'x2' that 'c' lacks")
  # (also when a factor's levels take a pass over every row: only the model's columns are scanned)
  expect_error(gradglm(yb ~ x1 + f, data = gradglm_partitions(a = files[1], c = files3), family = binomial()),
               "the partitions have different columns: 'a' has 'x2' that 'c' lacks")
  expect_error(gradglm(yb ~ x1, data = gradglm_partitions(a = files[1], broken = function() stop("no disk")),
                       family = binomial()),
               "partition 'broken' failed: no disk")
  expect_error(gradglm(yb ~ x1, data = gradglm_partitions(a = files[1],
                                                          dead = function() tools::pskill(Sys.getpid(), tools::SIGKILL)),
                       family = binomial()),
               "partition 'dead' failed \\(its worker\\)")
})

test_that("workers keep their partitions' model matrices between passes, and drop them at the end", {
  skip_on_cran()
  skip_if_not_installed("future")
  set.seed(22)
  n <- 2400
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), f = sample(c("a", "b", "c"), n, TRUE))
  d$yb <- stats::rbinom(n, 1, stats::plogis(0.3 + d$x1 - d$x2))
  d$y <- stats::rnbinom(n, size = 2, mu = exp(0.2 + 0.4 * d$x1))
  dd <- d
  dd$f <- factor(dd$f)
  files <- partition_files(d, split(seq_len(n), rep(1:4, each = n / 4)))
  ctl <- gradglm_control(tol = 1e-12)
  b <- gradglm(yb ~ x1 + x2 + f, data = dd, family = binomial(), control = ctl)
  kept <- function() list(token = gradglm:::partition_store$token, models = length(gradglm:::partition_store$models))
  caches <- function() length(list.files(tempdir(), pattern = "^gradglm-cache-"))
  before <- caches()
  for (plan in c("sequential", "multisession")) {
    old <- if (plan == "sequential") future::plan(future::sequential) else future::plan(future::multisession, workers = 2)
    # four partitions on two workers (two each), 300-row chunks, the last
    # ones in a file (cache = 0.01 megabytes in memory)
    parts <- gradglm_partitions(lapply(files, function(f) gradglm_source(f, chunk_size = 300, cache = 0.01)))
    a <- gradglm(yb ~ x1 + x2 + f, data = parts, family = binomial(), control = ctl)
    expect_lt(max(abs(coef(a) - coef(b))), 1e-8)
    expect_gt(a$source$passes, 3)
    # the partitions' rows read 2.5 times: the first chunk (300 of 600 rows)
    # and every row for the levels of 'f', then every row for the model
    # matrices, which the workers keep; later passes read nothing
    expect_equal(a$source$reads, 2.5, info = plan)
    # a model of numeric columns: the first chunk tells the schema
    num <- gradglm(yb ~ x1 + x2, data = parts, family = binomial(), control = ctl)
    num_mem <- gradglm(yb ~ x1 + x2, data = dd, family = binomial(), control = ctl)
    expect_lt(max(abs(coef(num) - coef(num_mem))), 1e-8)
    expect_equal(num$source$reads, 1.5, info = plan)
    # the negative binomial: later passes at the estimated theta, from the kept matrices
    nb <- gradglm(y ~ x1 + f, data = parts, family = negative_binomial(), control = ctl)
    nb_mem <- gradglm(y ~ x1 + f, data = dd, family = negative_binomial(), control = ctl)
    expect_lt(max(abs(coef(nb) - coef(nb_mem))), 1e-8)
    expect_equal(nb$theta, nb_mem$theta, tolerance = 1e-8)
    expect_equal(nb$source$reads, 2.5, info = plan)
    # nothing is kept after the fit, here and on the workers
    left <- if (plan == "sequential") list(c(kept(), files = caches() - before)) else {
      # (two futures at once: one on each worker)
      fs <- lapply(1:2, function(i) future::future(c(kept(), files = caches(), pid = Sys.getpid()),
                                                   globals = list(kept = kept, caches = caches),
                                                   packages = "gradglm", seed = NULL))
      lapply(fs, future::value)
    }
    if (plan != "sequential") expect_false(left[[1]]$pid == left[[2]]$pid)
    for (w in left) {
      expect_null(w$token)
      expect_equal(w$models, 0)
      expect_equal(w$files, 0)
    }
    # a partition changed between fits is read again (a new fit keeps nothing of the last)
    d2 <- d
    d2$yb[1:600] <- 1 - d2$yb[1:600]
    utils::write.csv(d2[1:600, ], files[1], row.names = FALSE)
    a2 <- gradglm(yb ~ x1 + x2 + f, data = parts, family = binomial(), control = ctl)
    dd2 <- dd
    dd2$yb <- d2$yb
    b2 <- gradglm(yb ~ x1 + x2 + f, data = dd2, family = binomial(), control = ctl)
    expect_lt(max(abs(coef(a2) - coef(b2))), 1e-8)
    utils::write.csv(d[1:600, ], files[1], row.names = FALSE)
    # a partition whose cache cannot hold it whole is read on every pass
    none <- gradglm_partitions(c(lapply(files[1:3], function(f) gradglm_source(f, chunk_size = 300)),
                                 list(gradglm_source(files[4], chunk_size = 300, cache = 0, cache_dir = NULL))))
    a3 <- gradglm(yb ~ x1 + x2 + f, data = none, family = binomial(), control = ctl)
    expect_lt(max(abs(coef(a3) - coef(b))), 1e-8)
    expect_equal(a3$source$reads, (4 * 900 + 3 * 600 + 600 * (a3$source$passes - 1)) / 2400, info = plan)
    future::plan(old)
  }
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  # a partition whose first chunk cannot tell the schema (a column all
  # missing there) is read whole for it, beside those whose first chunk can
  dm <- d
  dm$x2[1:300] <- NA
  mixed <- gradglm_partitions(lapply(partition_files(dm, split(seq_len(n), rep(1:4, each = n / 4))),
                                     function(f) gradglm_source(f, chunk_size = 300)))
  a4 <- gradglm(yb ~ x1 + x2, data = mixed, family = binomial(), control = ctl)
  b4 <- gradglm(yb ~ x1 + x2, data = dm, family = binomial(), control = ctl)
  expect_lt(max(abs(coef(a4) - coef(b4))), 1e-8)
  expect_equal(nobs(a4), n - 300)
  # (the first chunks; partition 1 whole for the schema, and again for the
  # start, whose first chunk has no rows; every row for the model matrices)
  expect_equal(a4$source$reads, (4 * 300 + 600 + 600 + 4 * 600) / 2400)
  # a fit that stops part way keeps nothing either
  resets <- 0
  served <- FALSE
  flaky <- function() {
    gradglm_source(function(reset = FALSE) {
      if (reset) {
        resets <<- resets + 1
        served <<- FALSE
        return(invisible(NULL))
      }
      # (the first pass reads its first chunk, then every row for the levels
      # of 'f'; the second pass, which 'a' has passed and kept, stops)
      if (resets > 2) stop("the disk went away")
      if (served) return(NULL)
      served <<- TRUE
      d[1:600, ]
    })
  }
  expect_error(gradglm(yb ~ x1 + x2 + f, data = gradglm_partitions(a = gradglm_source(files[2], chunk_size = 300, cache = 0.01),
                                                            flaky = flaky), family = binomial()),
               "partition 'flaky' failed: .*the disk went away")
  expect_null(kept()$token)
  expect_equal(caches(), before)
})

test_that("partitions reject what cannot travel to a worker", {
  skip_if_not_installed("future")
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", data.frame(x = 1:3, y = c(0, 1, 1)))
  expect_error(gradglm_partitions(gradglm_source(con, "d")), "cannot travel to a worker")
  expect_error(gradglm_partitions(42), "must be CSV files, a gradglm_source\\(\\) or a function")
  expect_error(gradglm_partitions(), "at least one partition")
})

test_that("partitions say fitted probabilities at 0 or 1, as the fit in memory does", {
  skip_if_not_installed("future")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  set.seed(5)
  d <- data.frame(x = rnorm(300))
  d$y <- as.integer(d$x > 0)
  parts <- gradglm_partitions(a = partition_files(d, list(1:150))[1], b = partition_files(d, list(151:300))[1],
                              chunk_size = 70)
  expect_warning(gradglm(y ~ x, data = parts, family = binomial()),
                 "fitted probabilities numerically 0 or 1 occurred \\(the classes may be separated\\)")
  d$y <- stats::rbinom(300, 1, stats::plogis(d$x))
  parts <- gradglm_partitions(a = partition_files(d, list(1:150))[1], b = partition_files(d, list(151:300))[1],
                              chunk_size = 70)
  expect_no_warning(fp <- gradglm(y ~ x, data = parts, family = binomial()))
  # (drop1() and anova() fit the smaller models over the partitions again)
  d$z <- stats::runif(300)
  parts <- gradglm_partitions(a = partition_files(d, list(1:150))[1], b = partition_files(d, list(151:300))[1],
                              chunk_size = 70)
  fp <- gradglm(y ~ x + z, data = parts, family = binomial())
  fm <- gradglm(y ~ x + z, data = d, family = binomial())
  expect_equal(as.data.frame(drop1(fp, test = "Chisq")), as.data.frame(drop1(fm, test = "Chisq")), tolerance = 1e-6)
  expect_equal(as.data.frame(anova(fp)), as.data.frame(anova(fm)), tolerance = 1e-6)
})

test_that("partitions drop the levels that the subset or the na.action leave unused, as model.frame() does", {
  skip_if_not_installed("future")
  old <- future::plan(future::sequential)
  on.exit(future::plan(old), add = TRUE)
  set.seed(3)
  n <- 600
  d <- data.frame(x = rnorm(n), f = sample(c("a", "b", "c", "d"), n, TRUE))
  d$y <- rpois(n, exp(0.2 + 0.3 * d$x))
  d$f[1:300][d$f[1:300] == "d"] <- "a"
  d$x[d$f == "d"] <- NA  # ("d" only in rows that na.omit drops, all in partition b)
  parts <- gradglm_partitions(a = partition_files(d, list(1:300))[1], b = partition_files(d, list(301:n))[1],
                              chunk_size = 100)
  a <- gradglm(y ~ x + f, data = parts, family = poisson(), subset = f != "c")
  b <- gradglm(y ~ x + f, data = transform(d, f = factor(f)), family = poisson(), subset = f != "c")
  # (before, the partitions kept "c" and "d": two more coefficients, NA)
  expect_identical(names(coef(a)), c("(Intercept)", "x", "fb"))
  expect_equal(coef(a), coef(b), tolerance = 1e-8)
  expect_equal(deviance(a), deviance(b), tolerance = 1e-10)
})
