# How closely gradglm reproduces glm() on data sets shipped with R, for every family and link.
#
#   Rscript bench/bench-accuracy.R
#
# For each model: glm() with a tight tolerance (epsilon = 1e-12) is the reference; gradglm is fitted
# with its default optimizer (exact or newton) and with gradient descent ("gd"). The table gives
# the largest relative difference of the coefficients, of their standard errors, and of the
# deviance, plus the iterations used. A last table scores the Gaussian closed form on Longley's
# data against the certified values of NIST's Statistical Reference Datasets (log relative error
# = number of correct digits). Runs in well under a minute.

suppressPackageStartupMessages(library(gradglm))

rel_diff <- function(a, b) {
  a <- unname(as.numeric(a))
  b <- unname(as.numeric(b))
  max(abs(a - b) / pmax(abs(b), 1e-8))
}

birthwt <- MASS::birthwt
birthwt$race <- factor(birthwt$race, labels = c("white", "black", "other"))

models <- list(
  list("gaussian", "identity", Employed ~ ., longley, "longley"),
  list("gaussian", "log", dist ~ speed, cars, "cars"),
  list("binomial", "logit", low ~ age + lwt + race + smoke + ht + ui, birthwt, "MASS::birthwt"),
  list("binomial", "probit", low ~ age + lwt + race + smoke + ht + ui, birthwt, "MASS::birthwt"),
  list("binomial", "cloglog", cbind(ncases, ncontrols) ~ agegp + tobgp, esoph, "esoph"),
  list("poisson", "log", breaks ~ wool * tension, warpbreaks, "warpbreaks"),
  list("poisson", "identity", count ~ spray, InsectSprays, "InsectSprays"),
  list("poisson", "sqrt", count ~ spray, InsectSprays, "InsectSprays")
)

fam_of <- function(family, link) get(family, mode = "function")(link = link)
se_of <- function(fit) sqrt(diag(vcov(fit)))

rows <- lapply(models, function(m) {
  fam <- fam_of(m[[1]], m[[2]])
  f <- m[[3]]
  d <- m[[4]]
  ref <- glm(f, family = fam, data = d, control = glm.control(epsilon = 1e-12, maxit = 100))
  ours <- gradglm(f, family = fam, data = d)
  gd_warn <- NULL
  gd <- withCallingHandlers(
    gradglm(f, family = fam, data = d, optimizer = "gd"),
    warning = function(w) {
      gd_warn <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    })
  data.frame(
    model = sprintf("%s(%s): `%s`, %s", m[[1]], m[[2]], deparse(f), m[[5]]),
    optimizer = ours$optimizer, iter = ours$iter,
    coef = rel_diff(coef(ours), coef(ref)), se = rel_diff(se_of(ours), se_of(ref)),
    deviance = rel_diff(deviance(ours), deviance(ref)),
    gd_iter = gd$iter, gd_converged = gd$converged,
    gd_coef = rel_diff(coef(gd), coef(ref)),
    stringsAsFactors = FALSE)
})
res <- do.call(rbind, rows)

e <- function(x) formatC(x, format = "e", digits = 1)
cat("Largest relative difference from glm(..., control = glm.control(epsilon = 1e-12)):\n\n")
cat("| model | optimizer (iter) | coefficients | std. errors | deviance | gd: iter | gd: coefficients |\n")
cat("|---|---|--:|--:|--:|--:|--:|\n")
for (i in seq_len(nrow(res))) {
  r <- res[i, ]
  cat(sprintf("| %s | %s (%d) | %s | %s | %s | %d%s | %s |\n", r$model, r$optimizer, r$iter,
              e(r$coef), e(r$se), e(r$deviance), r$gd_iter,
              if (r$gd_converged) "" else " (not converged)", e(r$gd_coef)))
}

# NIST StRD "Longley": certified coefficients, rescaled to the units of R's `longley` data
# (NIST gives Employed, GNP and Population in units, Unemployed and Armed.Forces in tenths of
# R's units).
cert <- c("(Intercept)" = -3482258.63459582 / 1000, GNP.deflator = 15.0618722713733 / 1000,
          GNP = -0.358191792925910E-01, Unemployed = -2.02022980381683 / 100,
          Armed.Forces = -1.03322686717359 / 100, Population = -0.511041056535807E-01,
          Year = 1829.15146461355 / 1000)
ours <- coef(gradglm(Employed ~ ., data = longley))
lm_coef <- coef(lm(Employed ~ ., data = longley))
lre <- function(est, k = names(cert)) pmin(-log10(abs(est[k] - cert[k]) / abs(cert[k])), 15)
cat("\nLongley (NIST StRD), correct digits of each coefficient (log relative error, capped at 15):\n\n")
cat("| coefficient | certified | gradglm | lm |\n|---|--:|--:|--:|\n")
for (k in names(cert)) {
  cat(sprintf("| %s | %.15g | %.1f | %.1f |\n", k, cert[[k]], lre(ours, k), lre(lm_coef, k)))
}
cat(sprintf("\nminimum: gradglm %.1f, lm %.1f digits\n", min(lre(ours)), min(lre(lm_coef))))
