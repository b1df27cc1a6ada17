# Families: gradglm uses stats' family objects in R (links, variance, aic) and
# maps each (distribution, link) pair to the codes of the C++ core. These codes
# mirror `enum class Dist` and `enum class Link` in src/family.h.

dist_codes <- c(gaussian = 1L, binomial = 2L, poisson = 3L)
link_codes <- c(identity = 1L, logit = 2L, probit = 3L, cloglog = 4L, log = 5L, sqrt = 6L)
family_links <- list(
  gaussian = c("identity", "log"),
  binomial = c("logit", "probit", "cloglog"),
  poisson  = c("log", "identity", "sqrt"),
  laplace = "identity",
  student_t = c("identity", "log")
)

# family given as a string ("binomial"), a function (binomial) or a family
# object (binomial(link = "probit")), as glm() accepts it.
resolve_family <- function(family, fun = "gradglm") {
  available <- paste(names(family_links), collapse = ", ")
  if (is.character(family)) {
    if (length(family) != 1L || !family %in% names(family_links)) {
      abort(fun, "unknown family ", quote_some(family), "; available families: ", available)
    }
    ns <- if (family %in% c("laplace", "student_t")) asNamespace("gradglm") else asNamespace("stats")
    family <- get(family, mode = "function", envir = ns)
  }
  if (is.function(family)) family <- family()
  if (!inherits(family, "family")) {
    abort(fun, "'family' must be a family name, function or object such as binomial(link = \"logit\"); ",
          "available families: ", available)
  }
  fam <- family$family
  if (!fam %in% names(family_links)) {
    abort(fun, "family '", fam, "' is not available; available families: ", available)
  }
  if (!family$link %in% family_links[[fam]]) {
    abort(fun, "link '", family$link, "' is not available for family '", fam,
          "'; available links: ", paste(family_links[[fam]], collapse = ", "))
  }
  dist <- if (fam %in% names(dist_codes)) dist_codes[[fam]] else scale_dist_codes[[fam]]
  list(family = family, dist = dist, link = link_codes[[family$link]])
}

# glm's default start (the family's `initialize`, computed in C++ by
# Family::start_eta) needs the link of y itself for the Gaussian family.
check_default_start <- function(family, y, fun = "gradglm") {
  if (family$family == "gaussian" && family$link == "log" && any(y <= 0)) {
    abort(fun, "gaussian(link = \"log\") needs a positive response for its default start; supply 'start'")
  }
  invisible(TRUE)
}

# glm's AIC, family$aic(...), with a shortcut for 0/1 data with unit weights,
# where the saturated log-likelihood is zero and -2 log-likelihood is the deviance
family_aic <- function(family, y, trials, mu, weights, dev) {
  if (family$family == "binomial" && all(weights == 1) && all(trials == 1) && all(y == 0 | y == 1)) {
    return(dev)
  }
  family$aic(y, trials, mu, weights, dev)
}
