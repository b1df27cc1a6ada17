# The formula path against the matrix path, in the same run: gradglm() from a
# data frame (model frame, design, fit) against gradglm_fit() on the model
# matrix of the same model, for a logistic regression at n = 1e6 rows and
# p = 50 numeric predictors (`Rscript bench/bench-formula.R 1e5` for a quick
# run). The target: gradglm() at most 1.5 x gradglm_fit(). Also shown: where
# gradglm()'s time goes (model frame, design, fit) and glm()'s model.frame()
# (with na.omit) + model.matrix() for comparison.
suppressPackageStartupMessages(library(gradglm))
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args)) as.numeric(args[1]) else 1e6
p <- 50L
reps <- 5L
set.seed(42)
X <- matrix(rnorm(n * p), n, p, dimnames = list(NULL, paste0("x", seq_len(p))))
beta <- rnorm(p + 1L, sd = 0.1)
y <- rbinom(n, 1, plogis(beta[1] + drop(X %*% beta[-1])))
d <- data.frame(y = y, X)
Xm <- cbind("(Intercept)" = 1, X)
rm(X)
invisible(gc())

time_med <- function(expr, reps) {
  e <- substitute(expr)
  env <- parent.frame()
  t <- vapply(seq_len(reps), function(i) {
    invisible(gc())
    system.time(eval(e, env))[["elapsed"]]
  }, 0)
  stats::median(t)
}

cat(sprintf("n = %g, p = %d, logistic; median of %d runs\n\n", n, p, reps))
t_fit <- time_med(f1 <- gradglm_fit(Xm, y, family = binomial()), reps)
t_formula <- time_med(f2 <- gradglm(y ~ ., data = d, family = binomial()), reps)
# (gradglm() builds its frame with na.pass and runs the na.action only when something is missing;
# glm()'s frame runs na.omit, which copies every column)
t_mf <- time_med(mf <- stats::model.frame(y ~ ., d, na.action = stats::na.pass), reps)
t_mf_omit <- time_med(mf_omit <- stats::model.frame(y ~ ., d), reps)
t_mm <- time_med(stats::model.matrix(attr(mf_omit, "terms"), mf_omit), reps)
t_design <- time_med(gradglm:::design_from_frame(attr(mf, "terms"), mf), reps)
stopifnot(isTRUE(all.equal(unname(coef(f1)), unname(coef(f2)), tolerance = 1e-10)))
tab <- data.frame(
  step = c("gradglm_fit() on the model matrix", "gradglm() from the data frame",
           "  of which: model.frame(na.action = na.pass)", "  of which: design_from_frame() (columns shared)",
           "for comparison: glm()'s model.frame() (na.omit)", "for comparison: model.matrix()"),
  seconds = c(t_fit, t_formula, t_mf, t_design, t_mf_omit, t_mm))
tab$ratio_to_fit <- tab$seconds / t_fit
print(tab, row.names = FALSE, digits = 3)
cat(sprintf("\ntarget gradglm() <= 1.5 x gradglm_fit(): %.2f x  (%s)\n", t_formula / t_fit,
            if (t_formula / t_fit <= 1.5) "met" else "NOT met"))
