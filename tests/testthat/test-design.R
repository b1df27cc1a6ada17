# design_from_frame(): the design as a list of columns must give exactly model.matrix()'s
# matrix (values, NA versus NaN, dimnames, "assign" and "contrasts"), share the frame's plain
# double columns instead of copying them, and fall back to model.matrix() for what it does
# not build itself.

# ---- helpers --------------------------------------------------------------------------------

# The design and model.matrix() of a formula on a data frame (model.frame(...) arguments such
# as na.action, weights or subset pass through `...`).
design_and_mm <- function(formula, data, ca = NULL, ...) {
  mf <- stats::model.frame(formula, data, ...)
  mt <- attr(mf, "terms")
  list(mf = mf, d = design_from_frame(mt, mf, ca),
       mm = stats::model.matrix(mt, mf, contrasts.arg = ca))
}

# Compares the design with model.matrix() by identical(), which tells NA from NaN and checks
# every attribute; on a mismatch the message says what differs.
expect_design_identical <- function(d, mm, label) {
  x <- as.matrix(d)
  same <- identical(x, mm)
  why <- if (same) "" else paste(format(all.equal(x, mm)), collapse = "; ")
  if (same && !identical(is.nan(x), is.nan(mm))) why <- "NA/NaN differ"
  expect(same, sprintf("%s: as.matrix(design) is not identical to model.matrix(): %s",
                       label, why))
  invisible(x)
}

# The fields of the design agree with model.matrix() and with each other.
expect_design_fields <- function(d, mm, label) {
  expect_s3_class(d, "gradglm_design")
  expect_identical(d$names, if (is.null(colnames(mm))) character() else colnames(mm),
                   label = paste(label, "names"))
  expect_identical(d$assign, attr(mm, "assign"), label = paste(label, "assign"))
  expect_identical(d$contrasts, attr(mm, "contrasts"), label = paste(label, "contrasts"))
  expect_identical(d$nrow, nrow(mm), label = paste(label, "nrow"))
  expect_identical(d$ncol, ncol(mm), label = paste(label, "ncol"))
  expect_identical(d$intercept, "(Intercept)" %in% colnames(mm)[1L],
                   label = paste(label, "intercept"))
  expect_identical(sum(design_ncol_elements(d)), ncol(mm), label = paste(label, "widths"))
  for (el in d$columns) {
    ok <- is.null(el) || (is.double(el) && (is.null(dim(el)) && length(el) == nrow(mm) ||
                                             is.matrix(el) && nrow(el) == nrow(mm)))
    expect(ok, sprintf("%s: an element is not NULL, a double vector or a double matrix", label))
  }
}

# The whole check for one formula: identical to model.matrix(), consistent fields and, unless
# `fast = FALSE`, built without falling back to model.matrix().
check_design <- function(formula, data, ca = NULL, fast = TRUE, ...) {
  label <- paste(deparse(formula), collapse = " ")
  r <- design_and_mm(formula, data, ca, ...)
  expect_design_identical(r$d, r$mm, label)
  expect_design_fields(r$d, r$mm, label)
  if (fast) {
    expect(is.null(r$d$fallback),
           sprintf("%s: fell back to model.matrix() (%s)", label, format(r$d$fallback)))
  }
  invisible(r)
}

# design_and_mm() that records, instead of showing, the warnings of each of the two calls.
warnings_of_both <- function(formula, data, ca = NULL) {
  mf <- stats::model.frame(formula, data)
  mt <- attr(mf, "terms")
  record <- function(expr) {
    msgs <- character()
    value <- withCallingHandlers(expr, warning = function(w) {
      msgs <<- c(msgs, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
    list(value = value, msgs = msgs)
  }
  d <- record(design_from_frame(mt, mf, ca))
  mm <- record(stats::model.matrix(mt, mf, contrasts.arg = ca))
  list(d = d$value, mm = mm$value, warn_d = d$msgs, warn_mm = mm$msgs)
}

address <- function(x) .Internal(address(x))

# The element holding the design column named `column`.
element_of <- function(d, column) {
  ends <- cumsum(design_ncol_elements(d))
  j <- match(column, d$names)
  d$columns[[which(ends >= j)[1L]]]
}

# The design column `column` is the very object `mf[[var]]` (same address), not a copy.
expect_shared <- function(d, mf, var, column = var) {
  el <- element_of(d, column)
  expect(identical(address(el), address(mf[[var]])),
         sprintf("column '%s' is a copy of the frame's '%s', not the same object", column, var))
}

# ---- the comparison against model.matrix() ----------------------------------------------------

test_that("the comparison helpers can fail", {
  r <- design_and_mm(mpg ~ wt + factor(cyl), mtcars)
  bad <- r$d
  bad$columns[[2L]] <- bad$columns[[2L]] + 0  # same values, but a copy
  expect_failure(expect_shared(bad, r$mf, "wt"))
  bad$columns[[2L]][3L] <- 0
  expect_failure(expect_design_identical(bad, r$mm, "changed value"))
  bad <- r$d
  bad$names[2L] <- "weight"
  expect_failure(expect_design_identical(bad, r$mm, "changed name"))
  bad <- r$d
  bad$contrasts <- NULL
  expect_failure(expect_design_identical(bad, r$mm, "no contrasts"))
  # NA and NaN are told apart
  d <- data.frame(y = 1:2, x = c(NA, 1))
  r <- design_and_mm(y ~ x, d, na.action = stats::na.pass)
  r$d$columns[[2L]] <- c(NaN, 1)
  expect_failure(expect_design_identical(r$d, r$mm, "NaN for NA"))
})

test_that("numeric main effects are the frame's own vectors, not copies", {
  r <- check_design(mpg ~ wt + hp + qsec, mtcars)
  for (v in c("wt", "hp", "qsec")) expect_shared(r$d, r$mf, v)
  expect_null(r$d$columns[[1L]])
  expect_true(r$d$intercept)
  # tracemem() reports any duplication of the column while the design is built
  mf <- r$mf
  if (capabilities("profmem")) {
    tracemem(mf$wt)
    out <- utils::capture.output(d <- design_from_frame(attr(mf, "terms"), mf))
    untracemem(mf$wt)
    expect_identical(out, character())
    expect_shared(d, mf, "wt")
  }
  # I() terms, transformed variables and a numeric used in interactions too
  r <- check_design(mpg ~ I(wt^2) + log(hp) + wt + wt:hp, mtcars)
  expect_shared(r$d, r$mf, "I(wt^2)")
  expect_shared(r$d, r$mf, "log(hp)")
  expect_shared(r$d, r$mf, "wt")
  # a `.` formula
  r <- check_design(mpg ~ ., mtcars)
  for (v in setdiff(names(mtcars), "mpg")) expect_shared(r$d, r$mf, v)
})

test_that("integer columns are converted to double, not shared", {
  df <- data.frame(y = c(1.5, 2, 3, 4.5), i = c(1L, NA, 3L, 4L), x = c(0.1, 0.2, 0.3, 0.4))
  r <- check_design(y ~ i + x, df, na.action = stats::na.pass)
  el <- element_of(r$d, "i")
  expect_type(el, "double")
  expect_identical(el, c(1, NA, 3, 4))
  expect_shared(r$d, r$mf, "x")
})

test_that("matrix variables (poly(), cbind(), ns()) are shared and interact with factors", {
  r <- check_design(Sepal.Length ~ poly(Petal.Length, 2) + Species, iris)
  expect_shared(r$d, r$mf, "poly(Petal.Length, 2)", "poly(Petal.Length, 2)1")
  check_design(Sepal.Length ~ poly(Petal.Length, 3) * Species, iris)
  check_design(Sepal.Length ~ Species:poly(Petal.Width, 2, raw = TRUE), iris)
  check_design(Sepal.Length ~ cbind(Sepal.Width, Petal.Width) * Species, iris)
  check_design(Sepal.Length ~ splines::ns(Petal.Length, 3) + Species, iris)
  check_design(mpg ~ poly(wt, 2):poly(hp, 2) + factor(gear):poly(disp, 2), mtcars)
  df <- data.frame(y = rnorm(6), g = factor(c("a", "b", "c", "a", "b", "c")))
  df$m <- cbind(p = 1:6 / 2, q = (6:1)^2)          # named columns
  df$u <- matrix(c(6:1, 1:6), 6)                    # integer, no column names
  df$one <- matrix((1:6) / 7, 6, 1, dimnames = list(NULL, "z"))  # a single column
  r <- check_design(y ~ m + u + one + m:g + one:g + u:one, df)
  expect_shared(r$d, r$mf, "m", "mp")
})

# ---- factors and contrasts --------------------------------------------------------------------

test_that("factors match model.matrix() on R's data sets", {
  check_design(breaks ~ wool + tension, warpbreaks)
  check_design(breaks ~ wool * tension, warpbreaks)
  check_design(breaks ~ wool:tension, warpbreaks)
  check_design(breaks ~ tension %in% wool, warpbreaks)
  check_design(breaks ~ wool / tension, warpbreaks)
  # esoph: three ordered factors (contr.poly) and a matrix response
  check_design(cbind(ncases, ncontrols) ~ agegp + tobgp + alcgp, esoph)
  check_design(cbind(ncases, ncontrols) ~ agegp + tobgp * alcgp, esoph)
  check_design(cbind(ncases, ncontrols) ~ agegp:tobgp:alcgp, esoph)
  check_design(cbind(ncases, ncontrols) ~ 0 + agegp + unclass(tobgp):alcgp, esoph)
  check_design(Sepal.Length ~ ., iris)
  check_design(Sepal.Length ~ Species * Sepal.Width + Petal.Length:Species, iris)
  check_design(len ~ supp * dose, ToothGrowth)
  check_design(len ~ supp * factor(dose), ToothGrowth)
  # CO2: Plant is an ordered factor with 12 levels, Type and Treatment factors
  check_design(uptake ~ Type * Treatment + conc, CO2)
  check_design(uptake ~ Plant + log(conc), CO2)
  check_design(uptake ~ Type:Treatment:conc, CO2)
  check_design(mpg ~ factor(cyl) * wt + factor(am):factor(vs), mtcars)
})

test_that("MASS::birthwt matches model.matrix()", {
  skip_if_not_installed("MASS")
  bw <- MASS::birthwt
  bw$race <- factor(bw$race, labels = c("white", "black", "other"))
  bw$smoke <- bw$smoke > 0
  bw$ptd <- factor(bw$ptl > 0)
  bw$ftv <- factor(bw$ftv)
  levels(bw$ftv)[-(1:2)] <- "2+"
  r <- check_design(low ~ age + lwt + race + smoke + ptd + ht + ui + ftv, bw)
  expect_identical(element_of(r$d, "age"), as.double(bw$age))
  check_design(low ~ (age + race + smoke)^2 + lwt:ftv, bw)
  check_design(bwt ~ . - low, bw)
  check_design(bwt ~ 0 + race:smoke + age, bw)
})

test_that("characters, logicals and integers are coded as model.matrix() codes them", {
  df <- data.frame(
    y = c(2.1, 3.4, 1.9, 5.2, 4.4, 3.3, 2.8, 4.9),
    ch = c("b", "a", "c", "a", "b", "c", "c", "a"),
    lg = c(TRUE, FALSE, TRUE, TRUE, FALSE, FALSE, TRUE, FALSE),
    int = c(3L, 1L, 4L, 1L, 5L, 9L, 2L, 6L),
    x = c(0.5, 1.5, -0.2, 2.2, 0.9, -1.1, 0.3, 1.7),
    stringsAsFactors = FALSE
  )
  r <- check_design(y ~ ch + lg + int + x, df)
  expect_identical(r$d$contrasts, list(ch = "contr.treatment", lg = "contr.treatment"))
  expect_shared(r$d, r$mf, "x")
  check_design(y ~ ch * lg + int:x, df)
  check_design(y ~ ch:lg:x, df)
  check_design(y ~ I(x > 0) + I(ch == "a") * x, df)
  check_design(y ~ 0 + lg + ch, df)
  check_design(y ~ 0 + ch:x + lg, df)
  check_design(y ~ lg + ch, df, ca = list(lg = "contr.sum", ch = contr.helmert))
})

test_that("given contrasts: names, functions, full and partial matrices, NULL", {
  check_design(breaks ~ wool * tension, warpbreaks, ca = list(tension = "contr.sum"))
  check_design(breaks ~ wool * tension, warpbreaks,
               ca = list(wool = contr.sum, tension = contr.helmert))
  check_design(breaks ~ tension, warpbreaks, ca = list(tension = "contr.SAS"))
  check_design(breaks ~ tension, warpbreaks, ca = list(tension = contr.poly))
  # a full custom matrix with column names, and one with fewer columns than levels - 1
  cm <- matrix(c(1, 0, -1, 0.5, -1, 0.5), 3, dimnames = list(NULL, c("LvH", "Mid")))
  check_design(breaks ~ tension * wool, warpbreaks, ca = list(tension = cm))
  check_design(breaks ~ tension, warpbreaks, ca = list(tension = matrix(c(-1, 0, 1), 3)))
  # a function giving too few columns: contrasts<- completes them
  check_design(breaks ~ tension, warpbreaks,
               ca = list(tension = function(n) matrix(seq_len(n), n)))
  check_design(breaks ~ tension, warpbreaks,
               ca = list(tension = function(n) matrix(seq_len(n), n,
                                                      dimnames = list(NULL, "lin"))))
  # ordered factors with other contrasts, NULL (back to the default) and repeated names
  check_design(cbind(ncases, ncontrols) ~ agegp + alcgp, esoph,
               ca = list(agegp = "contr.treatment", alcgp = contr.sum))
  check_design(cbind(ncases, ncontrols) ~ agegp, esoph, ca = list(agegp = NULL))
  check_design(breaks ~ tension, warpbreaks,
               ca = list(tension = "contr.sum", tension = "contr.helmert"))
})

test_that("contrasts set on the factor itself and in options('contrasts') are used", {
  wb <- warpbreaks
  contrasts(wb$tension) <- contr.sum(3)
  contrasts(wb$wool) <- "contr.helmert"
  r <- check_design(breaks ~ wool * tension, wb)
  expect_identical(r$d$contrasts$wool, "contr.helmert")
  check_design(breaks ~ wool * tension, wb, ca = list(tension = "contr.treatment"))
  contrasts(wb$tension, 1) <- matrix(c(1, 2, 4), 3)
  check_design(breaks ~ wool + tension, wb)
  withr_opts <- options(contrasts = c("contr.sum", "contr.helmert"))
  on.exit(options(withr_opts), add = TRUE)
  check_design(cbind(ncases, ncontrols) ~ agegp * alcgp, esoph)
  check_design(breaks ~ wool * tension, warpbreaks)
})

test_that("a contrast function found by name as model.matrix() finds it", {
  # model.matrix() looks the name up from the stats namespace: the global environment is on
  # that path, a function's local variables are not
  assign("contr_design_test", function(n, contrasts = TRUE) {
    2 * stats::contr.treatment(n, contrasts = contrasts)
  }, envir = globalenv())
  on.exit(rm("contr_design_test", envir = globalenv()), add = TRUE)
  check_design(breaks ~ wool + tension, warpbreaks,
               ca = list(tension = "contr_design_test"))
})

test_that("no intercept: the first factor gets indicators for all its levels", {
  check_design(breaks ~ 0 + wool * tension, warpbreaks)
  check_design(breaks ~ -1 + tension + wool, warpbreaks)
  check_design(mpg ~ 0 + wt + factor(cyl) + factor(gear), mtcars)
  check_design(mpg ~ 0 + wt:factor(cyl) + factor(gear), mtcars)
  check_design(mpg ~ 0 + factor(gear):factor(cyl), mtcars)
  check_design(mpg ~ 0 + wt + hp, mtcars)
  check_design(cbind(ncases, ncontrols) ~ 0 + tobgp:alcgp + agegp, esoph)
})

test_that("interactions of every kind, in model.matrix()'s order and naming", {
  check_design(mpg ~ wt:hp, mtcars)
  check_design(mpg ~ wt * hp * qsec, mtcars)
  check_design(mpg ~ (wt + hp + factor(cyl) + factor(am))^3, mtcars)
  check_design(mpg ~ factor(cyl):factor(gear):factor(carb), mtcars)
  # variables appear in the frame's order, not the order written in the term
  check_design(mpg ~ hp:factor(cyl) + factor(cyl) + wt:hp, mtcars)
  check_design(breaks ~ tension:wool, warpbreaks)
  check_design(uptake ~ conc:Plant, CO2)
})

test_that("intercept-only, empty and offset models", {
  r <- check_design(mpg ~ 1, mtcars)
  expect_identical(r$d$columns, list(NULL))
  expect_true(r$d$intercept)
  r <- check_design(mpg ~ 0, mtcars)
  expect_identical(r$d$ncol, 0L)
  expect_false(r$d$intercept)
  check_design(~ 1, mtcars)
  r <- check_design(mpg ~ wt + offset(log(hp)), mtcars)
  expect_false(any(grepl("offset", r$d$names)))
  check_design(mpg ~ wt, mtcars, offset = log(hp), weights = qsec)
  check_design(mpg ~ wt + factor(gear), mtcars, subset = cyl > 4)
})

test_that("row names: character, compact and after na.omit", {
  check_design(mpg ~ wt, mtcars)                 # character row names
  check_design(Ozone ~ Wind * factor(Month), airquality)  # rows dropped by na.omit
  check_design(Sepal.Length ~ Species, iris)      # automatic row names
})

test_that("missing values: NA and NaN propagate as in model.matrix()", {
  df <- data.frame(
    y = 1:8,
    x = c(NA, NaN, 1, 2, NA, NaN, 3, 4),
    z = c(NaN, NA, NaN, NA, 5, 6, NA, 7),
    f = factor(c(NA, "a", "b", NA, "c", "a", NA, "b")),
    g = factor(c("u", "v", NA, "u", "v", NA, "u", "v"))
  )
  np <- stats::na.pass
  check_design(y ~ x * z, df, na.action = np)
  check_design(y ~ z:x, df, na.action = np)
  check_design(y ~ f * x + g:z, df, na.action = np)
  check_design(y ~ 0 + f:z + g, df, na.action = np)
  check_design(y ~ f:g:x, df, na.action = np)
  check_design(y ~ poly(y, 2):f + cbind(x, z):g, df, na.action = np)
})

test_that("a one-row frame and a factor with many levels", {
  df <- data.frame(y = 2.5, x = 1.5, f = factor("b", levels = c("a", "b", "c")))
  r <- check_design(y ~ x + f, df)
  expect_shared(r$d, r$mf, "x")
  check_design(y ~ x * f, df)
  set.seed(42)
  n <- 2000
  big <- data.frame(y = stats::rnorm(n), x = stats::rnorm(n),
                    g = factor(sample(sprintf("g%03d", 1:250), n, replace = TRUE),
                               levels = sprintf("g%03d", 1:250)),
                    h = factor(sample(c("p", "q", "r"), n, replace = TRUE)))
  r <- check_design(y ~ g * x + h, big)
  expect_identical(r$d$ncol, 1L + 249L + 1L + 2L + 249L)
  check_design(y ~ 0 + g + h:x, big)
  check_design(y ~ g:h, big)
})

test_that("non-syntactic names keep model.matrix()'s backticks", {
  df <- data.frame(y = c(1, 3, 2, 5), `my x` = c(0.1, 0.5, 0.2, 0.9),
                   `the g` = factor(c("a", "b", "a", "b")), check.names = FALSE)
  r <- check_design(y ~ `my x` * `the g`, df)
  expect_shared(r$d, r$mf, "my x", "`my x`")
})

# ---- what falls back ------------------------------------------------------------------------

test_that("what the fast path does not build comes from model.matrix(), with its messages", {
  # a numeric variable of an unusual class is copied as plain values (model.matrix() ignores
  # the class), a factor of an unusual class falls back
  df <- data.frame(y = 1:5, d = as.Date("2024-01-01") + c(0, 3, 9, 1, 4),
                   f = factor(c("a", "b", "a", "c", "b")))
  r <- check_design(y ~ d + f, df)
  expect_identical(element_of(r$d, "d"), as.double(unclass(df$d)))
  class(df$f) <- c("myfactor", "factor")
  r <- check_design(y ~ d + f, df, fast = FALSE)
  expect_type(r$d$fallback, "character")
  expect_length(r$d$columns, 1L)
  # a contrast that is not a plain matrix
  df <- data.frame(y = 1:4, f = factor(c("a", "b", "a", "b")))
  attr(df$f, "contrasts") <- structure(matrix(c(-1, 1), 2), class = "my_contrast")
  r <- check_design(y ~ f, df, fast = FALSE)
  expect_match(r$d$fallback, "contrast")
  # the response on the right-hand side: model.matrix() drops it with warnings
  r <- warnings_of_both(mpg ~ mpg + wt, mtcars)
  expect_match(r$warn_d, "response appeared", all = FALSE)
  expect_identical(r$warn_d, r$warn_mm)
  expect_design_identical(r$d, r$mm, "response on the right")
  # contrasts for a variable not in the model: the same warning, still the fast path
  r <- warnings_of_both(mpg ~ wt + factor(am), mtcars, ca = list(gear = "contr.sum"))
  expect_identical(r$warn_d, "variable 'gear' is absent, its contrast will be ignored")
  expect_identical(r$warn_d, r$warn_mm)
  expect_null(r$d$fallback)
  expect_design_identical(r$d, r$mm, "absent contrast")
  # a contrasts argument that is not a list is ignored by model.matrix() with a warning
  r <- warnings_of_both(breaks ~ tension, warpbreaks, ca = "contr.sum")
  expect_match(r$warn_d, "non-list")
  expect_identical(r$warn_d, r$warn_mm)
  expect_design_identical(r$d, r$mm, "non-list contrasts")
})

test_that("model.matrix()'s errors are its own", {
  mf <- stats::model.frame(y ~ x, data.frame(y = 1:3, x = complex(real = 1:3, imaginary = 1)))
  expect_error(design_from_frame(attr(mf, "terms"), mf), "complex variables")
  mf <- stats::model.frame(y ~ f, data.frame(y = 1:3, f = factor(c("a", "a", "a"))))
  expect_error(design_from_frame(attr(mf, "terms"), mf), "2 or more levels")
  mf <- stats::model.frame(y ~ x, data.frame(y = 1:3, x = c(0.5, 1, 2)))
  expect_error(design_from_frame(attr(mf, "terms"), mf, list(x = "contr.sum")),
               "contrasts apply only to factors")
})

test_that("random formulas on random data agree with model.matrix()", {
  set.seed(20240611)
  n <- 40
  pool <- c("a", "b", "o", "x", "z", "i", "l", "s", "m", "I(x^2)", "log(abs(z))", "I(i > 2)")
  cas <- list(NULL, list(a = "contr.sum"), list(o = "contr.treatment", b = contr.helmert),
              list(s = matrix(c(1, 0, -1), 3)), list(l = "contr.sum", a = contr.poly))
  for (it in 1:150) {
    df <- data.frame(
      y = stats::rnorm(n), x = stats::rnorm(n), z = stats::rnorm(n),
      a = factor(sample(letters[1:3], n, TRUE), levels = letters[1:4]),
      b = factor(sample(c("u", "v"), n, TRUE)),
      o = factor(sample(1:4, n, TRUE), ordered = TRUE),
      i = sample(1:5, n, TRUE), l = sample(c(TRUE, FALSE), n, TRUE),
      s = sample(c("p", "q", "r"), n, TRUE), stringsAsFactors = FALSE
    )
    df$m <- cbind(p = stats::rnorm(n), q = stats::rnorm(n))
    for (v in c("x", "z")) df[[v]][sample(n, 4)] <- c(NA, NaN, NA, NaN)
    df$a[sample(n, 2)] <- NA
    vs <- sample(pool, sample(1:4, 1))
    rhs <- paste(vs, collapse = sample(c(" + ", " * ", ":"), 1))
    if (stats::runif(1) < 0.2) rhs <- paste0("(", rhs, ")^2")
    f <- stats::as.formula(paste("y ~", sample(c("", "0 + "), 1, prob = c(0.7, 0.3)), rhs))
    ca <- sample(cas, 1)[[1L]]
    ca <- ca[names(ca) %in% all.vars(f)]
    if (!length(ca)) ca <- NULL
    check_design(f, df, ca = ca, na.action = stats::na.pass)
  }
})

test_that("the ranges of a design's columns, taken all at once on two threads, are those of each column", {
  set.seed(2)
  n <- 3000
  cols <- list(NULL, rnorm(n), matrix(c(rnorm(n), rep(0, n), runif(n) * 1e-200), n), c(Inf, rnorm(n - 1)),
               c(rnorm(n - 1), NA), rep(0, n))
  each <- do.call(cbind, lapply(cols, function(c) if (is.null(c)) matrix(1, 2, 1) else gradglm:::column_ranges(c)))
  expect_identical(gradglm:::column_list_ranges(cols, n, 2L), each)
  expect_identical(gradglm:::column_list_ranges(cols, n, 1L), each)
  # (another type: the caller takes the elements one at a time)
  expect_null(gradglm:::column_list_ranges(list(1:3), 3, 1L))
  # through gradglm(): the bad column named, after a factor's columns
  d <- data.frame(y = rnorm(60), f = gl(3, 20), x = rnorm(60), z = rnorm(60))
  d$z[7] <- Inf
  expect_error(gradglm(y ~ f + x + z, data = d), "gradglm: the model matrix contains infinite values in column\\(s\\) 'z'")
  d$z[7] <- 1e300
  expect_error(gradglm(y ~ f + x + z, data = d), "gradglm: the model matrix has column\\(s\\) 'z' with values as large as 1e\\+300")
})

test_that("column_ranges() gives each column's finiteness and largest absolute value", {
  set.seed(8)
  for (m in c(1, 3, 7, 8, 9, 16, 17, 1000)) {
    x <- matrix(rnorm(m * 4) * 10^sample(-3:3, m * 4, TRUE), m, 4)
    x[sample(m, 1), 2] <- NaN
    x[sample(m, 1), 3] <- if (m %% 2) Inf else -Inf
    r <- gradglm:::column_ranges(x, 2L)
    expect_identical(r[1L, ], c(1, 0, 0, 1))
    expect_identical(r[2L, c(1, 4)], apply(abs(x[, c(1, 4), drop = FALSE]), 2, max))
    expect_identical(r[2L, 3], Inf)
  }
  expect_identical(gradglm:::column_ranges(matrix(c(-0, 0, -0), 3, 1)), matrix(c(1, 0), 2, 1))
})

test_that("design_times() multiplies the column-list design as its dense matrix", {
  set.seed(1)
  n <- 300
  d <- data.frame(x = rnorm(n), f = factor(sample(letters[1:5], n, TRUE)), g = factor(sample(LETTERS[1:3], n, TRUE)))
  d$y <- rnorm(n)
  for (form in list(y ~ x * f + g, y ~ poly(x, 2) + g, y ~ 0 + f:g)) {
    mf <- model.frame(form, d)
    X <- gradglm:::design_from_frame(attr(mf, "terms"), mf)
    b <- rnorm(gradglm:::design_ncol(X))
    expect_equal(gradglm:::design_times(X, b), unname(drop(model.matrix(form, d) %*% b)), tolerance = 1e-12)
  }
})
