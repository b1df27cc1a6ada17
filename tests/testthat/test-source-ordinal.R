# Ordinal (cumulative-link) models fitted by passes over chunked sources and
# partitions: the in-memory fit of the same data (test-ordinal.R checks that
# one against MASS::polr), to 1e-8.

ord_levels <- c("lo", "mid", "hi", "top")

# 2,003 rows as a table holds them (text columns): level "c" of f only from
# row 1,201 and response level "top" only from row 1,101 (both first in the
# second chunk of 1,000 rows, and in the 28th and 31st of 40)
ord_source_data <- function(n = 2003) {
  set.seed(31)
  d <- data.frame(x1 = rnorm(n), x2 = runif(n), f = sample(c("a", "b", "c"), n, TRUE),
                  w = round(runif(n, 0.5, 3)), t = runif(n, -0.5, 0.5))
  early <- seq_len(min(n, 1200))
  d$f[early] <- ifelse(d$f[early] == "c", "a", d$f[early])
  lat <- 0.8 * d$x1 - 0.5 * d$x2 + 0.4 * (d$f == "b") - 0.3 * (d$f == "c") + d$t + stats::rlogis(n)
  d$y <- as.character(cut(lat, c(-Inf, -1, 0, 1, Inf), labels = ord_levels))
  early <- seq_len(min(n, 1100))
  d$y[early] <- ifelse(d$y[early] == "top", "hi", d$y[early])
  d
}

# the same rows as a data frame in memory (an ordered response, a factor)
ord_in_memory <- function(d) {
  d$f <- factor(d$f)
  d$y <- factor(d$y, levels = ord_levels, ordered = TRUE)
  d
}

# the largest differences between two fits (absolute; NA in both counts as none)
ord_fit_gap <- function(a, b) {
  na_gap <- function(x, y) if (is.na(x) && is.na(y)) 0 else abs(x - y)
  c(coef = max(abs(coef(a) - coef(b))),
    se = max(abs(sqrt(diag(vcov(a))) - sqrt(diag(vcov(b))))),
    deviance = abs(deviance(a) - deviance(b)),
    null = na_gap(a$null.deviance, b$null.deviance),
    aic = abs(AIC(a) - AIC(b)),
    loglik = abs(as.numeric(logLik(a)) - as.numeric(logLik(b))))
}

# what must be identical: names, levels, degrees of freedom, observations
ord_expect_same_shape <- function(a, b, info) {
  expect_identical(names(coef(a)), names(coef(b)), info = info)
  expect_identical(a$lev, b$lev, info = info)
  expect_identical(names(a$zeta), names(b$zeta), info = info)
  expect_equal(unname(a$zeta), unname(b$zeta), tolerance = 1e-8, info = info)
  expect_identical(attr(logLik(a), "df"), attr(logLik(b), "df"), info = info)
  expect_equal(c(a$df.residual, a$df.null, nobs(a)), c(b$df.residual, b$df.null, nobs(b)), tolerance = 0, info = info)
  expect_identical(is.na(a$null.deviance), is.na(b$null.deviance), info = info)
}

test_that("ordinal fits from SQLite, CSV files and a function equal the in-memory fits (chunks of 40 and 1,000)", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- ord_source_data()
  dd <- ord_in_memory(d)
  con <- DBI::dbConnect(RSQLite::SQLite(), tempfile(fileext = ".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  files <- c(tempfile(fileext = ".csv"), tempfile(fileext = ".csv"))
  utils::write.csv(d[1:1500, ], files[1], row.names = FALSE)
  utils::write.csv(d[-(1:1500), ], files[2], row.names = FALSE)
  ctl <- gradglm_control(tol = 1e-12)
  refs <- list()
  for (size in c(40, 1000)) {
    # the order of the response's levels: given with the source (SQLite: f's
    # levels by a first pass; CSV: both given, no first pass), or the
    # chunks' ordered factor (a function of the data frame in memory)
    sources <- list(sqlite = gradglm_source(con, "d", chunk_size = size, levels = list(y = ord_levels)),
                    csv = gradglm_source(files, chunk_size = size, levels = list(y = ord_levels, f = c("a", "b", "c"))),
                    fun = function_source(dd, size))
    for (nm in names(sources)) {
      src <- sources[[nm]]
      for (link in c("logit", "probit")) {
        info <- paste(nm, size, link)
        a <- gradglm(y ~ x1 + x2 + f, data = src, family = ordinal(link), weights = w, offset = t, control = ctl)
        if (is.null(refs[[link]])) {
          refs[[link]] <- gradglm(y ~ x1 + x2 + f, data = dd, family = ordinal(link), weights = w, offset = t,
                                  control = ctl)
        }
        b <- refs[[link]]
        expect_true(a$converged, info = info)
        gap <- ord_fit_gap(a, b)
        expect_true(all(gap < 1e-8), info = paste(info, format(gap)))
        ord_expect_same_shape(a, b, info)
        expect_true(is.na(a$null.deviance))  # (with an offset, as in memory)
        expect_equal(a$source$rows, nrow(d), info = info)
      }
      # without an offset: the null deviance (the cut-points alone) from the first pass's class totals
      a <- gradglm(y ~ x1 + f, data = src, family = ordinal("cloglog"), control = ctl)
      b <- gradglm(y ~ x1 + f, data = dd, family = ordinal("cloglog"), control = ctl)
      gap <- ord_fit_gap(a, b)
      expect_true(all(gap < 1e-8), info = paste(nm, size, "cloglog", format(gap)))
      ord_expect_same_shape(a, b, paste(nm, size, "cloglog"))
      expect_false(is.na(a$null.deviance))
    }
  }
  # the chunks of 40 really split the levels: the first 27 chunks lack "top" and "c"
  expect_false(any(d$y[1:1080] == "top") || any(d$f[1:1080] == "c"))
})

test_that("a response with two levels, and a formula without intercept, fit as in memory", {
  d <- ord_source_data(1500)
  dd <- ord_in_memory(d)
  dd$y2 <- factor(ifelse(dd$y > "mid", "high", "low"), levels = c("low", "high"), ordered = TRUE)
  ctl <- gradglm_control(tol = 1e-12)
  a <- gradglm(y2 ~ x1 + f, data = function_source(dd, 100), family = ordinal(), weights = w, control = ctl)
  b <- gradglm(y2 ~ x1 + f, data = dd, family = ordinal(), weights = w, control = ctl)
  expect_true(all(ord_fit_gap(a, b) < 1e-8))
  expect_identical(names(coef(a)), c("x1", "fb", "fc", "low|high"))
  # the cut-points take the intercept's place, with the warning of a fit in memory
  expect_warning(a <- gradglm(y ~ x1 + f - 1, data = function_source(dd, 100), family = ordinal(), control = ctl),
                 "gradglm: an intercept is needed and assumed")
  b <- suppressWarnings(gradglm(y ~ x1 + f - 1, data = dd, family = ordinal(), control = ctl))
  expect_true(all(ord_fit_gap(a, b) < 1e-8))
  expect_identical(names(coef(a)), names(coef(b)))
  # y ~ 1: the cut-points alone
  a <- gradglm(y ~ 1, data = function_source(dd, 100), family = ordinal("probit"), control = ctl)
  b <- gradglm(y ~ 1, data = dd, family = ordinal("probit"), control = ctl)
  expect_true(all(ord_fit_gap(a, b) < 1e-8))
  expect_equal(deviance(a), a$null.deviance, tolerance = 1e-10)
})

test_that("a chunked ordinal fit has the methods of a chunked multinomial fit", {
  skip_if_not_installed("DBI")
  skip_if_not_installed("RSQLite")
  d <- ord_source_data(1500)
  dd <- ord_in_memory(d)
  con <- DBI::dbConnect(RSQLite::SQLite(), tempfile(fileext = ".sqlite"))
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "d", d)
  src <- gradglm_source(con, "d", chunk_size = 400, levels = list(y = ord_levels))
  ctl <- gradglm_control(tol = 1e-12)
  a <- gradglm(y ~ x1 + x2 + f, data = src, family = ordinal(), weights = w, control = ctl)
  b <- gradglm(y ~ x1 + x2 + f, data = dd, family = ordinal(), weights = w, control = ctl)
  expect_true(all(ord_fit_gap(a, b) < 1e-8))
  # summary(): a table of coefficients and one of cut-points
  sa <- summary(a)
  sb <- summary(b)
  expect_equal(sa$location, sb$location, tolerance = 1e-7)
  expect_equal(sa$cutpoints, sb$cutpoints, tolerance = 1e-7)
  expect_output(print(sa), "Intercepts \\(cut-points\\)")
  expect_output(print(a), "lo\\|mid")
  expect_equal(confint(a), confint(b, method = "wald"), tolerance = 1e-7)
  expect_equal(BIC(a), BIC(b), tolerance = 1e-10)
  # predictions for new rows, as in memory
  nd <- dd[c(1, 50, 1300, 1499), ]
  for (type in c("link", "probs")) {
    expect_equal(predict(a, newdata = nd, type = type), predict(b, newdata = nd, type = type), tolerance = 1e-8,
                 info = type)
  }
  expect_identical(predict(a, newdata = nd, type = "class"), predict(b, newdata = nd, type = "class"))
  expect_equal(predict(a, newdata = nd, se.fit = TRUE), predict(b, newdata = nd, se.fit = TRUE), tolerance = 1e-7)
  # ... and for the rows of a source, one column per class
  pr <- predict(a, newdata = src, type = "probs")
  expect_named(pr, ord_levels)
  expect_equal(as.matrix(pr), unname(predict(b, newdata = dd, type = "probs")), tolerance = 1e-8, ignore_attr = TRUE)
  expect_identical(predict(a, newdata = src, type = "class"), as.character(predict(b, newdata = dd, type = "class")))
  # likelihood-ratio tests: the smaller models fitted from the source again
  a1 <- gradglm(y ~ x1, data = src, family = ordinal(), weights = w, control = ctl)
  b1 <- gradglm(y ~ x1, data = dd, family = ordinal(), weights = w, control = ctl)
  tab <- function(x) as.data.frame(x)
  expect_equal(tab(anova(a1, a)), tab(anova(b1, b)), tolerance = 1e-7)
  expect_equal(tab(drop1(a)), tab(drop1(b)), tolerance = 1e-6)
  # what needs the rows says so
  expect_error(residuals(a), "chunked source and keeps no residuals")
  expect_error(fitted(a), "keeps no fitted values")
  expect_error(predict(a, type = "probs"), "give 'newdata'")
})

test_that("an ordinal response over a chunked source needs its levels in order; bad responses are named", {
  d <- ord_source_data(1500)
  csv <- tempfile(fileext = ".csv")
  utils::write.csv(d, csv, row.names = FALSE)
  # text has no order (its levels would be sorted: "hi", "lo", "mid", "top")
  expect_error(gradglm(y ~ x1, data = gradglm_source(csv, chunk_size = 100), family = ordinal()),
               "ordered factor: column 'y' of the source has the levels 'hi', 'lo', 'mid', 'top' but no order.*gradglm_source\\(levels = list\\(y = c\\(...\\)\\)\\)")
  # nor has an unordered factor (an error in memory too)
  du <- ord_in_memory(d)
  du$y <- factor(du$y, ordered = FALSE)
  expect_error(gradglm(y ~ x1, data = function_source(du, 100), family = ordinal()), "no order")
  expect_error(gradglm(y ~ x1, data = du, family = ordinal()), "unordered factor")
  # a response computed from the whole data, or numeric
  expect_error(gradglm(ordered(y) ~ x1, data = gradglm_source(csv, chunk_size = 100), family = ordinal()),
               "a column of the source whose levels it orders, not 'ordered\\(y\\)'")
  expect_error(gradglm(w ~ x1, data = gradglm_source(csv, chunk_size = 100), family = ordinal()),
               "must be an ordered factor, not numeric \\(column 'w'\\)")
  # a level the source's levels do not list (with and without a first pass for f)
  few <- list(y = c("lo", "mid", "hi"))
  expect_error(gradglm(y ~ x1 + f, data = gradglm_source(csv, chunk_size = 100, levels = few), family = ordinal()),
               "column 'y' has the level\\(s\\) 'top' in chunk \\d+ that are not among its 'levels'")
  expect_error(gradglm(y ~ x1, data = gradglm_source(csv, chunk_size = 100, levels = few), family = ordinal()),
               "column 'y' has the level\\(s\\) 'top' in chunk \\d+ that are not among its 'levels'")
  # a single class, as in memory
  d1 <- d
  d1$y <- factor("lo", ordered = TRUE)
  expect_error(gradglm(y ~ x1, data = function_source(d1, 100), family = ordinal()),
               "the response has a single class \\('lo'\\); ordinal\\(\\) needs at least two")
  expect_error(gradglm(y ~ x1, data = d1, family = ordinal()), "the response has a single class")
  # a class without rows of positive weight cannot be dropped once the chunks are built: an error naming it
  # (in memory, a warning and the class dropped)
  src <- gradglm_source(csv, chunk_size = 100, levels = list(y = ord_levels))
  expect_error(gradglm(y ~ x1, data = src, family = ordinal(), subset = y != "mid"),
               "class\\(es\\) 'mid' of the response have no observation with non-zero weight")
  expect_error(gradglm(y ~ x1, data = src, family = ordinal(), weights = ifelse(y == "top", 0, 1)),
               "class\\(es\\) 'top' of the response have no observation with non-zero weight")
  expect_warning(gradglm(y ~ x1, data = ord_in_memory(d), family = ordinal(), subset = y != "mid"), "'mid'.*empty")
  # a level the source's levels list but no row has
  src5 <- gradglm_source(csv, chunk_size = 100, levels = list(y = c(ord_levels, "max")))
  expect_error(gradglm(y ~ x1, data = src5, family = ordinal()), "class\\(es\\) 'max' of the response")
})

test_that("ordinal fits over partitions on a 2-worker multisession plan equal the in-memory fits", {
  skip_on_cran()
  skip_if_not_installed("future")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old), add = TRUE)
  d <- ord_source_data()
  dd <- ord_in_memory(d)
  files <- c(tempfile(fileext = ".csv"), tempfile(fileext = ".csv"))
  utils::write.csv(d[1:1000, ], files[1], row.names = FALSE)  # (no "top", no "c")
  utils::write.csv(d[-(1:1000), ], files[2], row.names = FALSE)
  lev <- list(y = ord_levels)
  parts <- gradglm_partitions(a = gradglm_source(files[1], chunk_size = 300, levels = lev),
                              b = gradglm_source(files[2], chunk_size = 300, levels = lev))
  ctl <- gradglm_control(tol = 1e-12)
  for (link in c("logit", "probit")) {
    a <- gradglm(y ~ x1 + x2 + f, data = parts, family = ordinal(link), weights = w, offset = t, control = ctl)
    b <- gradglm(y ~ x1 + x2 + f, data = dd, family = ordinal(link), weights = w, offset = t, control = ctl)
    gap <- ord_fit_gap(a, b)
    expect_true(all(gap < 1e-8), info = paste(link, format(gap)))
    ord_expect_same_shape(a, b, link)
    expect_equal(a$source$partitions, 2L)
  }
  a <- gradglm(y ~ x1 + f, data = parts, family = ordinal(), control = ctl)
  b <- gradglm(y ~ x1 + f, data = dd, family = ordinal(), control = ctl)
  expect_true(all(ord_fit_gap(a, b) < 1e-8))
  expect_false(is.na(a$null.deviance))
  # the partitions must order the levels alike: one read as plain text has no order
  expect_error(gradglm(y ~ x1, data = gradglm_partitions(a = gradglm_source(files[1], levels = lev), b = files[2]),
                       family = ordinal()),
               "no order of them")
  # a class that no partition has with positive weight is named
  expect_error(gradglm(y ~ x1, data = parts, family = ordinal(), subset = y != "lo"),
               "class\\(es\\) 'lo' of the response have no observation")
})
