# Fault injection: an interrupt (a time limit, delivered through the same
# checks as Ctrl-C) in every fitting loop, a child R process killed in the
# middle of a fit, every kind of fit saved and read back in a fresh R session,
# and fits edited by hand, which every method must refuse with a clear error.

# ---------------------------------------------------------------------------
# helpers

# Evaluates `expr` under an elapsed-time limit of `seconds`. R raises the limit
# from R_CheckUserInterrupt(), the function through which compiled code
# services Ctrl-C, so a loop that never calls it runs on past the limit. Rcpp
# prints the limit's error as it turns it into an interrupt: that text is
# captured. Returns how the evaluation ended and how long it took.
run_limited <- function(expr, seconds) {
  outcome <- NULL
  started <- proc.time()[["elapsed"]]
  utils::capture.output(type = "message", {
    setTimeLimit(elapsed = seconds, transient = TRUE)
    outcome <- tryCatch({
      force(expr)
      "finished"
    }, interrupt = function(e) "interrupted", error = function(e) conditionMessage(e),
    finally = setTimeLimit(elapsed = Inf))
  })
  list(outcome = outcome, elapsed = proc.time()[["elapsed"]] - started)
}

# The fit stopped on the limit (not by finishing, nor by another error) and
# soon after it. The fits would run about 40 s if the interrupt were lost;
# the checks are meant to be about 0.1 s of arithmetic apart, which is 1-4 s
# on a busy machine, hence the grace. A limit noticed by the compiled loop
# comes back as an interrupt (Rcpp's); one noticed by R code (before the loop
# or after it returned, or in R called from it) as an error.
expect_interrupted <- function(run, what, seconds, grace = if (nzchar(Sys.getenv("GRADGLM_TEST_SLOW"))) 30 else 10,
                               compiled = TRUE) {
  if (compiled) {
    expect_identical(run$outcome, "interrupted", label = paste0(what, " (ended with: ", run$outcome, ")"))
  } else {
    expect_true(identical(run$outcome, "interrupted") || grepl("time limit", run$outcome),
                label = paste0(what, " (ended with: ", run$outcome, ")"))
  }
  expect_lt(run$elapsed, seconds + grace, label = paste(what, "seconds until it stopped"))
}

# a limit that falls in the long fit's iterations, past its setup: later than
# the whole of a short fit (`seconds` long)
limit_after <- function(seconds) 1.5 * seconds + 0.2

# the same answer, exactly: the session is as it was before the interrupt
expect_same_fit <- function(after, before, what) {
  expect_identical(coef(after), coef(before), label = paste(what, "after the interrupt"))
  if (!is.null(before$loglik)) expect_identical(after$loglik, before$loglik, label = paste(what, "logLik"))
}

# Binomial data whose classes are separated by the first two columns: the
# maximum-likelihood estimate does not exist, so Newton's method, L-BFGS and
# gradient descent with a tiny tol keep lowering the loss for a long time, on
# data made in a fraction of a second.
separated_data <- function(n, p) {
  set.seed(101)
  X <- cbind("(Intercept)" = 1, matrix(stats::rnorm(n * p), n, dimnames = list(NULL, paste0("x", seq_len(p)))))
  list(X = X, y = as.numeric(X[, 2] + X[, 3] > 0))
}

# Iterations (or epochs) for about `seconds` of fitting, from a short fit's
# trace: the interrupted fits would run that long, not for ever, should the
# interrupt be lost (then the test fails instead of hanging).
iterations_for <- function(short, seconds = 40) {
  per_iter <- max(short$trace$time, na.rm = TRUE) / max(1, short$iter)
  as.integer(min(1e8, max(100, ceiling(seconds / max(per_iter, 1e-7)))))
}

# a function source of a data frame, `size` rows per chunk, keeping `cache`
# megabytes of model matrices between passes (0: every pass reads the chunks);
# `reads` counts the chunks read
chunk_source <- function(d, size, cache, reads = new.env()) {
  chunks <- split(d, ceiling(seq_len(nrow(d)) / size))
  i <- 0
  reads$n <- 0
  gradglm_source(function(reset = FALSE) {
    if (reset) {
      i <<- 0
      return(NULL)
    }
    reads$n <- reads$n + 1
    i <<- i + 1
    if (i > length(chunks)) NULL else chunks[[i]]
  }, cache = cache)
}

verbose <- nzchar(Sys.getenv("GRADGLM_FAULTS_VERBOSE"))
report <- function(what, run) if (verbose) message(what, ": ", run$outcome, " after ", round(run$elapsed, 2), " s")

# ---------------------------------------------------------------------------
# 1. interrupts

test_that("an interrupt stops Newton's method and gradient descent promptly, and the session fits as before", {
  d <- separated_data(1e4, 100)
  for (opt in list(opt_newton(), opt_gd(learning_rate = 1e-7, decay = 0))) {
    # a few iterations before the interrupt: the reference, and the pace
    short <- gradglm_control(tol = 1e-300, max_iter = 20)
    took <- system.time(before <- suppressWarnings(gradglm_fit(d$X, d$y, family = binomial(), optimizer = opt,
                                                              control = short)))[["elapsed"]]
    long <- gradglm_control(tol = 1e-300, max_iter = iterations_for(before))
    run <- run_limited(gradglm_fit(d$X, d$y, family = binomial(), optimizer = opt, control = long),
                       limit_after(took))
    report(opt$name, run)
    expect_interrupted(run, opt$name, limit_after(took))
    after <- suppressWarnings(gradglm_fit(d$X, d$y, family = binomial(), optimizer = opt, control = short))
    expect_same_fit(after, before, opt$name)
    expect_identical(after$iter, before$iter)
  }
})

test_that("an interrupt stops L-BFGS promptly, and the session fits as before", {
  # (its line search's passes once went unchecked for a whole fit: the
  # interrupt checks now also follow the clock)
  d <- separated_data(1e5, 10)
  short <- gradglm_control(tol = 1e-300, max_iter = 20)
  took <- system.time(before <- suppressWarnings(gradglm_fit(d$X, d$y, family = binomial(), optimizer = "lbfgs",
                                                            control = short)))[["elapsed"]]
  long <- gradglm_control(tol = 1e-300, max_iter = iterations_for(before))
  run <- run_limited(gradglm_fit(d$X, d$y, family = binomial(), optimizer = "lbfgs", control = long),
                     limit_after(took))
  report("lbfgs", run)
  expect_interrupted(run, "lbfgs", limit_after(took))
  after <- suppressWarnings(gradglm_fit(d$X, d$y, family = binomial(), optimizer = "lbfgs", control = short))
  expect_same_fit(after, before, "lbfgs")
})

test_that("an interrupt stops the QR of a design wider than its rows promptly, and the session fits as before", {
  # 2,000 rows and 24,000 columns: one Householder QR of the rows, about
  # 1.9e11 multiply-adds (15 s here on two threads, more than the grace),
  # which looks at the interrupt between panels of columns
  set.seed(103)
  X <- matrix(runif(2000 * 24000), 2000)
  y <- runif(2000)
  run <- run_limited(gradglm_fit(X, y), 1)
  report("wide QR", run)
  expect_interrupted(run, "the wide QR", 1)
  # (afterwards, a fit of fewer rows than columns is lm's, on one thread and on two)
  X <- X[1:500, 1:800]
  y <- y[1:500]
  ref <- stats::lm.fit(X, y)
  for (threads in 1:2) {
    old <- options(gradglm.threads = threads)
    fit <- gradglm_fit(X, y)
    options(old)
    expect_identical(unname(is.na(coef(fit))), unname(is.na(coef(ref))))
    expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-10)
  }
})

test_that("an interrupt stops SGD and Adam promptly, and a seeded fit afterwards equals one never interrupted", {
  set.seed(102)
  n <- 500
  X <- cbind(1, matrix(rnorm(n * 200), n))
  y <- rbinom(n, 1, 0.5)
  # the same optimizer for a few epochs, or for about 40 seconds
  makers <- list(function(epochs) opt_sgd(learning_rate = 1e-7, schedule = "constant", max_epochs = epochs,
                                          patience = 1e8, tol = 1e-300),
                 function(epochs) opt_adam(learning_rate = 1e-9, schedule = "constant", max_epochs = epochs,
                                           patience = 1e8, tol = 1e-300))
  for (make in makers) {
    few <- make(5)
    set.seed(7)
    took <- system.time(before <- suppressWarnings(gradglm_fit(X, y, family = binomial(), optimizer = few)))
    opt <- make(iterations_for(before))
    run <- run_limited(gradglm_fit(X, y, family = binomial(), optimizer = opt), limit_after(took[["elapsed"]]))
    report(opt$name, run)
    expect_interrupted(run, opt$name, limit_after(took[["elapsed"]]))
    set.seed(7)
    after <- suppressWarnings(gradglm_fit(X, y, family = binomial(), optimizer = few))
    expect_same_fit(after, before, opt$name)
    expect_identical(after$trace$loss, before$trace$loss)
  }
})

test_that("an interrupt stops a network's training promptly, and the session trains as before", {
  set.seed(103)
  n <- 400
  d <- data.frame(matrix(rnorm(n * 40), n))
  d$y <- rbinom(n, 1, 0.5)
  net <- function(epochs) {
    gradglm(y ~ ., data = d, family = binomial(), model = mlp(16),
            optimizer = opt_adam(learning_rate = 1e-9, schedule = "constant", max_epochs = epochs, patience = 1e8,
                                 tol = 1e-300))
  }
  set.seed(8)
  took <- system.time(before <- suppressWarnings(net(5)))[["elapsed"]]
  run <- run_limited(net(iterations_for(before)), limit_after(took))
  report("mlp", run)
  expect_interrupted(run, "mlp with adam", limit_after(took))
  set.seed(8)
  after <- suppressWarnings(net(5))
  expect_same_fit(after, before, "mlp")
  expect_identical(predict(after, newdata = d[1:5, ]), predict(before, newdata = d[1:5, ]))
})

test_that("an interrupt stops a regularization path promptly, and the path is fitted as before", {
  set.seed(104)
  n <- 2000
  d <- data.frame(matrix(rnorm(n * 20), n))
  d$y <- rbinom(n, 1, plogis(d$X1 - d$X2))
  path <- function(lambda) {
    gradglm(y ~ ., data = d, family = binomial(), control = gradglm_control(tol = 1e-13),
            penalty = lasso(lambda = lambda))
  }
  # k lambdas from the largest of the default path down by 1e3: a path of
  # given lambdas does not end early
  top <- gradglm(y ~ ., data = d, family = binomial(), penalty = lasso(nlambda = 5))$path$lambda[1]
  lambdas <- function(k) exp(seq(log(top), log(top / 1e3), length.out = k))
  seconds <- system.time(before <- path(lambdas(200)))[["elapsed"]]
  expect_length(before$path$lambda, 200)
  run <- run_limited(path(lambdas(as.integer(min(1e6, max(1e3, 200 * 40 / max(seconds, 1e-3)))))),
                     limit_after(seconds))
  report("lasso path", run)
  expect_interrupted(run, "lasso path", limit_after(seconds))
  after <- path(lambdas(200))
  expect_identical(after$path$beta, before$path$beta)
  expect_identical(after$path$lambda, before$path$lambda)
})

test_that("an interrupt in the passes over a chunked source stops promptly; the source is read afresh after it", {
  set.seed(105)
  n <- 1500
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), f = sample(c("a", "b", "c"), n, TRUE))
  d$y <- rbinom(n, 1, plogis(0.5 * d$x1 - d$x2 + (d$f == "b")))
  ref <- gradglm(y ~ x1 + x2 + f, data = d, family = binomial())
  # cache 0: every pass calls the R function from the compiled loop; 256 MB:
  # after the first pass the chunks' model matrices are kept and reused;
  # 0.01 MB: one chunk in memory, the others in the disk cache's file
  disk_files <- function() list.files(tempdir(), pattern = "^gradglm-cache-")
  for (cache in c(0, 256, 0.01)) {
    reads <- new.env()
    src <- chunk_source(d, 100, cache, reads)
    before <- gradglm(y ~ x1 + x2 + f, data = src, family = binomial())
    expect_equal(unname(coef(before)), unname(coef(ref)), tolerance = 1e-8)
    fits <- list(
      gd = function(iter) gradglm(y ~ x1 + x2 + f, data = src, family = binomial(),
                                  optimizer = opt_gd(learning_rate = 1e-7, decay = 0),
                                  control = gradglm_control(tol = 1e-300, max_iter = iter)),
      adam = function(iter) gradglm(y ~ x1 + x2 + f, data = src, family = binomial(),
                                    optimizer = opt_adam(learning_rate = 1e-9, schedule = "constant", max_epochs = iter,
                                                         patience = 1e8, tol = 1e-300, batch_size = 64))
    )
    for (opt in names(fits)) {
      set.seed(9)
      r0 <- reads$n
      took <- system.time(few <- suppressWarnings(fits[[opt]](5)))[["elapsed"]]
      r1 <- reads$n
      run <- run_limited(fits[[opt]](iterations_for(few)), limit_after(took))
      r2 <- reads$n
      if (verbose) message("chunks read: ", r1 - r0, " by 5 iterations, ", r2 - r1, " until the interrupt")
      # without a cache, the interrupted fit was well into its passes
      if (cache == 0) expect_gt(r2 - r1, r1 - r0)
      what <- paste0(opt, " over chunks (cache ", cache, ")")
      report(what, run)
      # (without a cache the limit is mostly noticed in the R function the
      # compiled passes call, and comes back as an error)
      expect_interrupted(run, what, limit_after(took), compiled = FALSE)
      expect_length(disk_files(), 0L)  # (the disk cache's file is deleted)
      # the interrupted pass left the function in the middle of its chunks
      after <- gradglm(y ~ x1 + x2 + f, data = src, family = binomial())
      expect_same_fit(after, before, paste("chunked fit, cache", cache))
      expect_identical(after$source$passes, before$source$passes)
      if (cache == 0.01) expect_gt(after$source$disk_cache[["chunks"]], 10)
      set.seed(9)
      expect_same_fit(suppressWarnings(fits[[opt]](5)), few, what)
    }
  }
})

test_that("an interrupt stops a query of the package's SQLite reader before its first row; the file reads as before", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  skip_if_not(gradglm:::sqlite_reader_available(), "gradglm was built without SQLite's library")
  path <- tempfile(fileext = ".sqlite")
  con <- DBI::dbConnect(RSQLite::SQLite(), path)
  on.exit({
    DBI::dbDisconnect(con)
    unlink(path)
  }, add = TRUE)
  set.seed(5)
  d <- data.frame(x = rnorm(300))
  d$y <- rbinom(300, 1, plogis(d$x))
  DBI::dbWriteTable(con, "d", d)
  before <- gradglm(y ~ x, data = gradglm_source(con, "d", chunk_size = 100), family = binomial())
  # a query that counts to 2e9 before it returns a row (minutes): SQLite's
  # stepping, in which the reader looks at R's interrupt
  slow <- paste("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000000000)",
                "SELECT i AS x, i % 2 AS y FROM c WHERE i < 0")
  src <- gradglm_source(con, slow, chunk_size = 100)
  expect_false(is.null(r <- gradglm:::sqlite_native_open(src)))
  gradglm:::sqlite_reader_close(r)
  run <- run_limited(gradglm(y ~ x, data = src, family = binomial()), 1)
  report("a long query of the SQLite reader", run)
  expect_interrupted(run, "a long query of the SQLite reader", 1)
  after <- gradglm(y ~ x, data = gradglm_source(con, "d", chunk_size = 100), family = binomial())
  expect_same_fit(after, before, "a fit from the SQLite file")
  expect_equal(DBI::dbGetQuery(con, "SELECT COUNT(*) AS n FROM d")$n, 300)
})

test_that("a child R process killed in the middle of a fit dies promptly", {
  skip_on_cran()
  skip_on_os("windows")
  dir <- tempfile("faults-kill-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  script <- file.path(dir, "child.R")
  # the child writes its pid once the data are made, then starts a fit that
  # would run for hours, and marks the file `done` if the fit ever returns
  writeLines(c(
    "args <- commandArgs(trailingOnly = TRUE)",
    "suppressMessages(library(gradglm))",
    "set.seed(1); n <- 2e4; X <- cbind(1, matrix(rnorm(n * 20), n)); y <- as.numeric(X[, 2] > 0)",
    "writeLines(as.character(Sys.getpid()), paste0(args[1], '.tmp')); file.rename(paste0(args[1], '.tmp'), args[1])",
    "fit <- gradglm_fit(X, y, family = binomial(), optimizer = opt_gd(learning_rate = 1e-7, decay = 0),",
    "                   control = gradglm_control(tol = 1e-300, max_iter = 1e9))",
    "writeLines('returned', args[2])"
  ), script)
  libs <- paste(.libPaths(), collapse = .Platform$path.sep)
  rscript <- file.path(R.home("bin"), "Rscript")
  signals <- c(SIGINT = tools::SIGINT, SIGTERM = tools::SIGTERM)
  files <- lapply(names(signals), function(s) c(pid = file.path(dir, paste0(s, ".pid")),
                                                done = file.path(dir, paste0(s, ".done"))))
  names(files) <- names(signals)
  for (s in names(signals)) {
    system2(rscript, c(shQuote(script), shQuote(files[[s]][["pid"]]), shQuote(files[[s]][["done"]])),
            env = paste0("R_LIBS=", shQuote(libs)), wait = FALSE, stdout = FALSE, stderr = FALSE)
  }
  # a process that has exited (a zombie not yet reaped counts as gone)
  alive <- function(pid) {
    stat <- file.path("/proc", pid, "stat")
    if (file.exists(stat)) {
      state <- tryCatch(strsplit(readLines(stat, warn = FALSE), ") ", fixed = TRUE)[[1]][2], error = function(e) "X")
      return(!startsWith(state, "Z") && !startsWith(state, "X"))
    }
    isTRUE(tools::pskill(pid, 0L))
  }
  wait_until <- function(cond, timeout) {
    deadline <- proc.time()[["elapsed"]] + timeout
    while (!cond() && proc.time()[["elapsed"]] < deadline) Sys.sleep(0.05)
    cond()
  }
  pid_of <- function(s) as.integer(readLines(files[[s]][["pid"]]))
  started <- wait_until(function() all(file.exists(vapply(files, `[[`, "", "pid"))), 60)
  if (!started) {
    for (s in names(signals)) if (file.exists(files[[s]][["pid"]])) tools::pskill(pid_of(s), tools::SIGKILL)
    fail("the child R processes did not start within 60 seconds")
    return(invisible())
  }
  pids <- vapply(names(signals), pid_of, 1L)
  on.exit(for (pid in pids) if (alive(pid)) tools::pskill(pid, tools::SIGKILL), add = TRUE)
  expect_true(all(vapply(pids, alive, NA)))
  Sys.sleep(0.5)  # well inside the fit
  for (s in names(signals)) {
    expect_true(tools::pskill(pids[[s]], signals[[s]]), label = paste("sending", s))
  }
  for (s in names(signals)) {
    gone <- wait_until(function() !alive(pids[[s]]), 10)
    expect_true(gone, label = paste("the child given", s, "exited within 10 seconds"))
    expect_false(file.exists(files[[s]][["done"]]), label = paste("the fit of the child given", s, "returned"))
  }
})

# ---------------------------------------------------------------------------
# 2. saved fits, read in a fresh R session

# What a session makes of saved objects: for each, its predictions on its
# newdata (where it has a predict() method), the printed print() and
# summary(), and whether plot() draws. Run in this session and in a fresh one.
# (Self-contained: the fresh session gets it deparsed into a script.)
saved_object_report <- function(objects, newdata) {
  suppressMessages(library(gradglm))
  # the same printing in both sessions (testthat sets these in its own)
  op <- options(useFancyQuotes = FALSE, width = 80, digits = 7, OutDec = ".", scipen = 0)
  on.exit(options(op), add = TRUE)
  text <- function(expr) {
    out <- tryCatch(utils::capture.output(print(expr)), error = function(e) paste("error:", conditionMessage(e)))
    # addresses of environments and byte code differ from session to session
    out[!grepl("<environment|<bytecode", out)]
  }
  lapply(stats::setNames(names(objects), names(objects)), function(nm) {
    x <- objects[[nm]]
    has_method <- function(generic) {
      any(vapply(class(x), function(cl) !is.null(utils::getS3method(generic, cl, optional = TRUE)), NA))
    }
    pred <- if (has_method("predict")) {
      tryCatch(predict(x, newdata = newdata[[nm]]), error = function(e) paste("error:", conditionMessage(e)))
    }
    plotted <- if (has_method("plot")) {
      grDevices::pdf(NULL)
      tryCatch({
        plot(x)
        "drawn"
      }, error = function(e) paste("error:", conditionMessage(e)), finally = grDevices::dev.off())
    } else {
      "no plot() method"
    }
    list(class = class(x), predict = pred, print = text(x), summary = text(summary(x)), plot = plotted)
  })
}

test_that("every kind of fit, saved with saveRDS(), predicts, summarises and plots alike in a fresh R session", {
  skip_on_cran()
  skip_if_not_installed("MASS")
  set.seed(201)
  mt <- mtcars
  mt$cyl <- factor(mt$cyl)
  cars_new <- data.frame(speed = c(4.5, 12, 23.5))
  iris_new <- iris[c(3, 60, 140), ]
  # (warnings of separation and the like are not this test's business)
  objects <- suppressWarnings(list(
    gaussian = gradglm(mpg ~ wt + cyl, data = mt),
    binomial = gradglm(am ~ wt + hp, data = mt, family = binomial()),
    poisson = gradglm(breaks ~ wool + tension, data = warpbreaks, family = poisson()),
    laplace = gradglm(dist ~ speed, data = cars, family = laplace()),
    student_t = gradglm(dist ~ speed, data = cars, family = student_t()),
    sigma = gradglm(dist ~ speed, data = cars, sigma = ~ speed),
    multinomial = gradglm(Species ~ Sepal.Length + Sepal.Width, data = iris, family = multinomial()),
    ordinal = gradglm(Sat ~ Infl + Type + Cont, weights = Freq, data = MASS::housing, family = ordinal()),
    lasso_one = gradglm(mpg ~ wt + hp + qsec + cyl, data = mt, penalty = lasso(lambda = 0.3)),
    lasso_path = gradglm(mpg ~ wt + hp + qsec + cyl, data = mt, penalty = lasso(nlambda = 30)),
    network = gradglm(mpg ~ wt + hp, data = mt, model = mlp(4), optimizer = opt_adam(max_epochs = 30)),
    perceptron = perceptron(Species ~ Sepal.Length + Sepal.Width, data = droplevels(iris[1:100, ])),
    chunked = gradglm(mpg ~ wt + hp + cyl, data = function_source(mt, 10)),
    cv = cv_gradglm(am ~ wt + hp, data = mt, family = binomial(), nfolds = 4),
    cv_path = cv_gradglm(mpg ~ wt + hp + qsec, data = mt, penalty = lasso(nlambda = 20), nfolds = 4)
  ))
  newdata <- list(gaussian = mt[1:4, ], binomial = mt[5:8, ], poisson = warpbreaks[c(1, 20, 50), ],
                  laplace = cars_new, student_t = cars_new, sigma = cars_new, multinomial = iris_new,
                  ordinal = MASS::housing[c(1, 30, 70), ], lasso_one = mt[1:3, ], lasso_path = mt[1:3, ],
                  network = mt[1:5, ], perceptron = iris[c(1, 99), ], chunked = mt[c(2, 9, 30), ],
                  cv = mt[1:2, ], cv_path = mt[1:3, ])
  dir <- tempfile("faults-rds-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  objects_file <- file.path(dir, "objects.rds")
  newdata_file <- file.path(dir, "newdata.rds")
  report_file <- file.path(dir, "report.rds")
  saveRDS(objects, objects_file)
  saveRDS(newdata, newdata_file)
  here <- saved_object_report(objects, newdata)

  child <- function(report, objects_file, newdata_file, report_file) {
    saveRDS(report(readRDS(objects_file), readRDS(newdata_file)), report_file)
  }
  # the fresh session finds the package where this one does
  libs <- .libPaths()
  r_libs <- paste(libs, collapse = .Platform$path.sep)
  # (a plain Rscript: the child is a fresh R session with nothing but the files)
  script <- file.path(dir, "child.R")
  writeLines(c(paste("report <-", paste(deparse(saved_object_report), collapse = "\n")),
               paste("child <-", paste(deparse(child), collapse = "\n")),
               sprintf("child(report, %s, %s, %s)", deparse(objects_file), deparse(newdata_file),
                       deparse(report_file))), script)
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), shQuote(script),
                                  env = paste0("R_LIBS=", shQuote(r_libs)), stdout = TRUE, stderr = TRUE))
  expect_null(attr(out, "status"), label = paste(c("the exit status of Rscript", out), collapse = "\n"))
  there <- readRDS(report_file)
  expect_named(there, names(objects))
  for (nm in names(objects)) {
    a <- here[[nm]]
    b <- there[[nm]]
    expect_identical(b$class, a$class, label = nm)
    if (!is.null(a$predict)) {
      expect_false(is.character(a$predict) && any(startsWith(a$predict, "error:")),
                   label = paste(nm, "predict() here:", paste(a$predict, collapse = " ")))
      expect_equal(b$predict, a$predict, tolerance = 1e-12, label = paste(nm, "predictions in a fresh session"))
    }
    expect_identical(b$plot, a$plot, label = paste(nm, "plot() in a fresh session"))
    # every fit and result draws (a plain cross-validation has no plot() method)
    if (!identical(class(objects[[nm]]), "gradglm_cv")) expect_identical(a$plot, "drawn", label = paste(nm, "plot()"))
    expect_identical(b$print, a$print, label = paste(nm, "print() in a fresh session"))
    expect_identical(b$summary, a$summary, label = paste(nm, "summary() in a fresh session"))
    # summary() works for every single fit; a network and a path say why they have none
    if (inherits(objects[[nm]], "gradglm") && is.null(objects[[nm]]$network) && is.null(objects[[nm]]$path)) {
      expect_false(any(startsWith(a$summary, "error:")), label = paste(nm, "summary()"))
    }
  }
  expect_true(all(vapply(there[c("gaussian", "binomial", "poisson", "laplace", "student_t", "sigma")],
                         function(r) is.numeric(r$predict) && all(is.finite(r$predict)), NA)))
})

# ---------------------------------------------------------------------------
# 3. fits edited by hand

test_that("a fit edited by hand is refused by every method with an error that names the problem", {
  skip_if_not_installed("MASS")
  if (requireNamespace("ggplot2", quietly = TRUE)) loadNamespace("ggplot2")  # registers autoplot()
  generics <- sub("\\.gradglm$", "", as.character(utils::methods(class = "gradglm")))
  expect_true(all(c("print", "summary", "predict", "plot", "coef", "vcov", "logLik", "residuals", "fitted",
                    "confint", "anova", "tidy", "glance", "augment", "hatvalues") %in% generics))
  generics <- c(generics, "AIC", "BIC")
  generic_fun <- function(g) {
    if (g == "autoplot") return(ggplot2::autoplot)
    get(g, envir = asNamespace("gradglm"), mode = "function")
  }
  call_method <- function(g, fit, data) {
    f <- generic_fun(g)
    if (g %in% c("plot", "autoplot")) {
      grDevices::pdf(NULL)
      on.exit(grDevices::dev.off())
    }
    out <- tryCatch({
      suppressWarnings(switch(g,
        predict = f(fit, newdata = data),
        autoplot = print(f(fit)),
        print = utils::capture.output(f(fit)),
        f(fit)))
      "no error"
    }, error = function(e) conditionMessage(e))
    out
  }
  set.seed(301)
  fits <- list(
    binomial = list(gradglm(am ~ wt + hp, data = mtcars, family = binomial()), mtcars),
    gaussian = list(gradglm(mpg ~ wt + hp, data = mtcars), mtcars),
    sigma = list(gradglm(dist ~ speed, data = cars, sigma = ~ speed), cars),
    multinomial = list(gradglm(Species ~ Sepal.Length, data = iris, family = multinomial()), iris),
    ordinal = list(gradglm(Sat ~ Infl + Type, weights = Freq, data = MASS::housing, family = ordinal()), MASS::housing),
    lasso_one = list(gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso(lambda = 0.3)), mtcars),
    lasso_path = list(gradglm(mpg ~ wt + hp + qsec, data = mtcars, penalty = lasso(nlambda = 10)), mtcars),
    network = list(suppressWarnings(gradglm(mpg ~ wt + hp, data = mtcars, model = mlp(3),
                                            optimizer = opt_adam(max_epochs = 5))), mtcars)
  )
  # R's own messages, which must not reach the user
  internal <- paste("subscript out of bounds", "non-conformable", "argument is of length zero", "\\$ operator",
                    "non-numeric argument", "missing value where", "invalid 'type'", "not a multiple", sep = "|")
  for (nm in names(fits)) {
    fit <- fits[[nm]][[1]]
    data <- utils::head(fits[[nm]][[2]], 4)
    p <- length(fit$coefficients)
    unit <- if (is.null(fit$network)) "parameters" else "weights"
    edits <- list(
      too_short = list(function(f) { f$coefficients <- f$coefficients[-p]; f },
                       paste0("its coefficients have length ", p - 1L, ", the model has ", p, " ", unit)),
      too_long = list(function(f) { f$coefficients <- c(f$coefficients, extra = 0.5); f },
                      paste0("its coefficients have length ", p + 1L, ", the model has ", p, " ", unit)),
      null = list(function(f) { f$coefficients <- NULL; f }, "'coefficients'"),
      null_kept = list(function(f) { f["coefficients"] <- list(NULL); f }, "coefficients are NULL"),
      character = list(function(f) { f$coefficients <- format(f$coefficients); f }, "not character"),
      wrong_blocks = list(function(f) { f$blocks <- "mu"; f }, "'blocks'")
    )
    # a part every fit has, or every single fit, removed
    single <- c("deviance", "fitted.values", "cov.unscaled", "df.residual")
    for (part in c("family", "blocks", "kind", "lik_type", if (is.null(fit$path)) single else "penalty")) {
      edits[[paste0("no_", part)]] <- list(local({
        part <- part
        function(f) {
          f[[part]] <- NULL
          f
        }
      }), paste0("it has no '", part, "' component"))
    }
    # the intact fit is valid for every method (some decline, for their own
    # reasons); one expectation per fit and edit, naming the methods that fail
    refused <- Filter(function(g) grepl("not a valid gradglm fit", call_method(g, fit, data)), generics)
    expect_identical(refused, character(0), label = paste("methods refusing an intact", nm, "fit"))
    for (e in names(edits)) {
      bad <- edits[[e]][[1]](fit)
      problems <- character(0)
      for (g in generics) {
        msg <- call_method(g, bad, data)
        if (!grepl("is not a valid gradglm fit", msg, fixed = TRUE) || !grepl(edits[[e]][[2]], msg, fixed = TRUE) ||
            grepl(internal, msg)) {
          problems <- c(problems, paste0(g, "(): ", msg))
        }
      }
      expect_identical(problems, character(0), label = paste0("methods on a ", nm, " fit edited (", e, ")"))
    }
    # anova() checks every fit it is given, not only the first
    msg <- tryCatch(anova(fit, edits$too_short[[1]](fit)), error = function(e) conditionMessage(e))
    expect_match(msg, "anova.gradglm: '...' is not a valid gradglm fit: its coefficients have length", fixed = TRUE)
  }
  # a path edited so that its coefficient matrix no longer fits the model
  path <- fits$lasso_path[[1]]
  path$path$beta <- path$path$beta[-1, , drop = FALSE]
  expect_error(coef(path), "coef.gradglm: 'object' is not a valid gradglm fit: its path's coefficients", fixed = TRUE)
  expect_error(predict(path, newdata = mtcars[1:2, ]), "predict.gradglm: 'object' is not a valid gradglm fit",
               fixed = TRUE)
  # evaluate() checks the fit too
  bad <- fits$binomial[[1]]
  bad$coefficients <- bad$coefficients[-1]
  expect_error(evaluate(bad, mtcars), "evaluate: 'fit' is not a valid gradglm fit: its coefficients have length 2",
               fixed = TRUE)
})
