# Wide Gaussian designs: a factor of many levels, fitted by gradglm's closed form against
# lm.fit() (Householder QR) on the same model matrix, in the same process.
#
#   Rscript bench/bench-wide-gaussian.R [quick]
#
# n = 20,000 rows; a factor of L levels plus one numeric column (L + 1 coefficients). Two
# designs per L: of full rank (the semi-normal equations with refinement, used for p >= 200 and
# n >= 2 p), and with one column aliased (x2 = 3 x: the QR, folding blocks of 2 (p + 1) rows).
# gradglm is timed from the formula (its model frame and design included); lm.fit() from the
# prebuilt model matrix (model.matrix() not timed). Reported: elapsed seconds (median of 3 for
# gradglm, one call of lm.fit()), the ratio, and the largest difference of the coefficients.
#
# Then designs with fewer rows than twice their columns, two factors and their interaction on a
# few hundred rows (p up to 10 times n, most columns aliased): one QR of the rows.

quick <- identical(commandArgs(trailingOnly = TRUE)[1], "quick")
suppressPackageStartupMessages(library(gradglm))
n <- 20000
levels_set <- if (quick) c(300, 600) else c(500, 1000, 2000)
cat(sprintf("gradglm %s, R %s, %d threads; n = %d\n", utils::packageVersion("gradglm"),
            getRversion(), gradglm:::engine_threads(), n))
rows <- list()
for (L in levels_set) {
  set.seed(L)
  d <- data.frame(g = factor(sample(L, n, TRUE)), x = rnorm(n))
  d$y <- rnorm(n) + as.integer(d$g) / L + d$x
  d$x2 <- 3 * d$x
  for (aliased in c(FALSE, TRUE)) {
    f <- if (aliased) y ~ g + x + x2 else y ~ g + x
    times <- vapply(1:3, function(i) system.time(fit <<- gradglm(f, data = d))[["elapsed"]], 0)
    X <- model.matrix(f, d)
    t_lm <- system.time(ref <- lm.fit(X, d$y))[["elapsed"]]
    stopifnot(identical(unname(is.na(coef(fit))), unname(is.na(ref$coefficients))))
    diff <- max(abs(coef(fit) - ref$coefficients), na.rm = TRUE)
    rows[[length(rows) + 1L]] <- data.frame(levels = L, p = ncol(X), aliased = aliased,
                                            gradglm = stats::median(times), lm.fit = t_lm,
                                            ratio = t_lm / stats::median(times), max_coef_diff = diff)
  }
}
out <- do.call(rbind, rows)
out$gradglm <- signif(out$gradglm, 3)
out$lm.fit <- signif(out$lm.fit, 3)
out$ratio <- signif(out$ratio, 3)
out$max_coef_diff <- signif(out$max_coef_diff, 2)
print(out, row.names = FALSE)

cat("\nFew rows for the width: y ~ f * g + x, two factors of L levels each\n")
rows <- list()
shapes <- if (quick) list(c(150, 30)) else list(c(150, 40), c(300, 60), c(1000, 40))
for (sh in shapes) {
  m <- sh[1]
  L <- sh[2]
  set.seed(m + L)
  d <- data.frame(f = factor(sample(L, m, TRUE)), g = factor(sample(L, m, TRUE)), x = rnorm(m))
  d$y <- rnorm(m) + d$x
  f <- y ~ f * g + x
  times <- vapply(1:3, function(i) system.time(fit <<- gradglm(f, data = d))[["elapsed"]], 0)
  X <- model.matrix(f, d)
  t_lm <- system.time(ref <- lm.fit(X, d$y))[["elapsed"]]
  stopifnot(identical(unname(is.na(coef(fit))), unname(is.na(ref$coefficients))))
  diff <- max(abs(coef(fit) - ref$coefficients), na.rm = TRUE)
  rows[[length(rows) + 1L]] <- data.frame(n = m, levels = L, p = ncol(X), rank = ref$rank,
                                          gradglm = signif(stats::median(times), 3), lm.fit = signif(t_lm, 3),
                                          ratio = signif(t_lm / stats::median(times), 3),
                                          max_coef_diff = signif(diff, 2))
}
print(do.call(rbind, rows), row.names = FALSE)
