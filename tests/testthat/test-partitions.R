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
  expect_error(gradglm(yb ~ x1, data = gradglm_partitions(a = files[1], broken = function() stop("no disk")),
                       family = binomial()),
               "partition 'broken' failed: no disk")
  expect_error(gradglm(yb ~ x1, data = gradglm_partitions(a = files[1],
                                                          dead = function() tools::pskill(Sys.getpid(), tools::SIGKILL)),
                       family = binomial()),
               "partition 'dead' failed \\(its worker\\)")
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
