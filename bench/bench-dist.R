# Distributional regression: agreement with a direct maximisation of the same
# log-likelihood by optim(BFGS) (the reference of the tests, in
# tests/testthat/helper-dist.R), and time against it, in the same run.
# Run from the package root: Rscript bench/bench-dist.R [lib]
args <- commandArgs(trailingOnly = TRUE)
if (length(args)) .libPaths(c(args[1], .libPaths()))
library(gradglm)
source("tests/testthat/helper-dist.R")

med_time <- function(f, reps = 5L) {
  stats::median(vapply(seq_len(reps), function(i) system.time(f())[["elapsed"]], 0))
}

set.seed(42)
n_sim <- 20000
sim <- data.frame(x = runif(n_sim, -2, 2))
sim$y <- 1 + 2 * sim$x + exp(0.2 + 0.4 * sim$x) * stats::rt(n_sim, df = 5)

cases <- list(
  list(name = "cars: gaussian, sigma ~ speed", formula = dist ~ speed, sigma = ~ speed, data = cars,
       family = gaussian(), ref = "gaussian", df = NULL),
  list(name = "cars: student_t(4)", formula = dist ~ speed, sigma = ~ 1, data = cars,
       family = student_t(df = 4), ref = "student_t", df = 4),
  list(name = "stackloss: student_t, df estimated", formula = stack.loss ~ ., sigma = ~ 1,
       data = stackloss, family = student_t(), ref = "student_t", df = NULL),
  list(name = "stackloss: laplace", formula = stack.loss ~ ., sigma = ~ 1, data = stackloss,
       family = laplace(), ref = "laplace", df = NULL),
  list(name = "cars: laplace, sigma ~ speed", formula = dist ~ speed, sigma = ~ speed, data = cars,
       family = laplace(), ref = "laplace", df = NULL),
  list(name = "simulated n = 20000: student_t, sigma ~ x", formula = y ~ x, sigma = ~ x, data = sim,
       family = student_t(), ref = "student_t", df = NULL)
)

rows <- lapply(cases, function(cs) {
  fit_one <- function(opt) gradglm(cs$formula, data = cs$data, family = cs$family, sigma = cs$sigma,
                                   optimizer = opt)
  fit <- fit_one("newton")
  fit_gd <- fit_one("gd")
  x <- model.matrix(cs$formula, cs$data)
  z <- model.matrix(cs$sigma, cs$data)
  y <- model.response(model.frame(cs$formula, cs$data))
  ref <- ref_fit_optim(x, y, z, family = cs$ref, df = cs$df, polish = FALSE)
  t_fit <- med_time(function() fit_one("newton"))
  t_ref <- med_time(function() ref_fit_optim(x, y, z, family = cs$ref, df = cs$df, polish = FALSE),
                    reps = 1L)
  data.frame(
    model = cs$name,
    `newton - optim, coef` = max(abs(coef(fit) - ref$par) / pmax(1, abs(ref$par))),
    `gd - newton, coef` = max(abs(coef(fit_gd) - coef(fit)) / pmax(1, abs(coef(fit)))),
    `logLik - optim's` = fit$loglik - ref$loglik,
    `time (s)` = t_fit, `optim time / ours` = t_ref / t_fit,
    check.names = FALSE)
})
tab <- do.call(rbind, rows)
op <- options(width = 200)
print(format(tab, digits = 3), row.names = FALSE)
options(op)
