# Median regression: gradglm(family = laplace()) against quantreg::rq(tau = 0.5)
# in the same run. The Laplace likelihood's location is the least absolute
# deviations (LAD) fit, rq's median regression; rq's default method "br"
# (Barrodale-Roberts simplex) and its interior-point methods "fn" and "pfn"
# (Frisch-Newton, with preprocessing) are timed. Agreement: the sum of
# absolute residuals (the objective both minimise) relative to rq "br"'s
# (the exact simplex optimum; a negative difference is a smaller objective).
#
#   Rscript bench/bench-laplace.R          # n = 2e4 and 2e5, p = 10 (about two minutes)
#   Rscript bench/bench-laplace.R quick    # n = 5e3 and 2e4
#
# quantreg is installed from the repository R is configured with when it is
# missing (on R < 4.4 its dependency MatrixModels is taken from the
# repository's archive, at the last version that builds with that R's Matrix).

if (!requireNamespace("quantreg", quietly = TRUE)) {
  lib <- .libPaths()[1L]
  ok <- tryCatch({
    install.packages("quantreg", lib = lib, repos = getOption("repos"))
    requireNamespace("quantreg", quietly = TRUE)
  }, error = function(e) FALSE)
  if (!ok) {
    url <- paste0(getOption("repos")[[1L]], "/src/contrib/Archive/MatrixModels/MatrixModels_0.5-1.tar.gz")
    f <- file.path(tempdir(), basename(url))
    utils::download.file(url, f, quiet = TRUE)
    install.packages(f, lib = lib, repos = NULL, type = "source")
    install.packages("quantreg", lib = lib, repos = getOption("repos"))
  }
}
suppressPackageStartupMessages({
  library(gradglm)
  library(quantreg)
})

quick <- "quick" %in% commandArgs(trailingOnly = TRUE)
sizes <- if (quick) c(5e3, 2e4) else c(2e4, 2e5)
p <- 10L

med_time <- function(f, reps) stats::median(vapply(seq_len(reps), function(i) system.time(f())[["elapsed"]], 0))

cat("# gradglm laplace() against quantreg::rq(tau = 0.5)\n\n")
cat(sprintf("p = %d predictors plus an intercept; Laplace errors of scale 2; %s; quantreg %s\n\n", p,
            R.version.string, utils::packageVersion("quantreg")))
cat("| n | gradglm laplace() | rq \"br\" | rq \"fn\" | rq \"pfn\" | br / gradglm | fn / gradglm | pfn / gradglm | ",
    "objective: gradglm - br (relative) | fn - br | pfn - br |\n", sep = "")
cat("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
for (n in sizes) {
  set.seed(7)
  X <- matrix(rnorm(n * p), n, p)
  colnames(X) <- paste0("x", seq_len(p))
  y <- drop(1 + X %*% rnorm(p)) + 2 * (stats::rexp(n) - stats::rexp(n))
  d <- data.frame(y = y, X)
  reps <- if (n > 1e5) 3L else 5L
  fit <- gradglm(y ~ ., data = d, family = laplace())
  t_g <- med_time(function() gradglm(y ~ ., data = d, family = laplace()), reps)
  fits <- list()
  t_rq <- vapply(c("br", "fn", "pfn"), function(m) {
    fits[[m]] <<- suppressWarnings(rq(y ~ ., data = d, tau = 0.5, method = m))
    med_time(function() suppressWarnings(rq(y ~ ., data = d, tau = 0.5, method = m)), if (m == "br") 1L else reps)
  }, 0)
  xm <- cbind(1, X)
  sad <- function(b) sum(abs(y - drop(xm %*% b)))
  ref <- sad(coef(fits$br))
  rel <- function(b) (sad(b) - ref) / ref
  b_g <- fit$coefficients[fit$blocks$location$coef]
  cat(sprintf("| %g | %.3f | %.3f | %.3f | %.3f | %.1f | %.2f | %.2f | %.1e | %.1e | %.1e |\n", n, t_g, t_rq[["br"]],
              t_rq[["fn"]], t_rq[["pfn"]], t_rq[["br"]] / t_g, t_rq[["fn"]] / t_g, t_rq[["pfn"]] / t_g, rel(b_g),
              rel(coef(fits$fn)), rel(coef(fits$pfn))))
}
cat("\ngradglm's time includes the scale b, its standard errors, the null model and the fitted object;",
    "its location is certified optimal by the simplex's subgradient condition.\n")
