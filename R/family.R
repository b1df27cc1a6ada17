# The family registry: one row per family, saying everything the rest of the
# package needs to know about it -- its links, how it checks and encodes the
# response, the likelihood the C++ engine fits (and its codes, mirrored in
# src/family.h, src/location_scale.h and src/categorical.h), the parameter
# blocks of its model, its start, whether its dispersion is free (glm's t and
# F tests), its AIC and its residuals. Code elsewhere asks the row; it never
# compares family names.
#
# A family object is what glm() takes (stats::binomial(), ...) or one of
# gradglm's own (laplace(), student_t(), multinomial(), ordinal()), all of
# class "family"; the registry maps its `family` name to its row.

dist_codes <- c(gaussian = 1L, binomial = 2L, poisson = 3L, laplace = 4L, student_t = 5L, gamma = 6L,
                inverse_gaussian = 7L, negative_binomial = 8L)
link_codes <- c(identity = 1L, logit = 2L, probit = 3L, cloglog = 4L, log = 5L, sqrt = 6L,
                inverse = 7L, cauchit = 8L, "1/mu^2" = 9L, power = 10L)

.registry <- new.env(parent = emptyenv())

# A registry row with its defaults. Fields:
#   name, links (the first is the default), constructor (a function of the
#   link, in `ns`), kind ("glm": one mean and a deviance, inference as glm's;
#   "likelihood": several parameter blocks, Wald and likelihood-ratio
#   inference), free_dispersion (glm's t and F tests), scale_in_likelihood
#   (the dispersion is a parameter of a likelihood, counted in logLik()'s df:
#   gaussian, Gamma, inverse.gaussian; a quasi-family has no likelihood),
#   profile_scale (drop1()/add1() profile the scale out of the likelihood, as
#   glm does for the Gaussian), dist(family) (the engine's distribution code
#   of a GLM row, by default the row's name in `dist_codes`), chunked (fitted
#   from a chunked source: TRUE, FALSE or a function of the family object;
#   chunked_note says which of the family's models it is not, chunked_reason
#   why a family is never), chunk_add(s, resp, family, row) (a GLM row's sums
#   of a chunk's rows, added to `s`, for its AIC), chunk_aic(dev, s, m, res,
#   fitted, row) (its AIC from those sums, or a pass), chunk_null_deviance(s)
#   (the null deviance from the sums, or NULL for a pass), fitted_pass (a
#   chunked fit makes a pass at the fitted means for the AIC and Pearson's
#   dispersion), sigma (a `sigma`
#   model is allowed: "no", "optional" or "always"), closed_form(family),
#   response(y, family, weights, fun), model(family, resp, x, x_sigma, fun),
#   start(...), check_start(family, y, fun), aic(...), mean_range(ybar),
#   boundary (the warning when fitted means reach the edge of their range),
#   check_family(family, fun) (what the link check cannot see: quasi()'s variance);
#   location_scale (a location-scale row's engine distribution `dist`, and
#   has_df, no_validation, heavy_tails: a start that outliers do not drag;
#   discrete: a count response, whose likelihood stays bounded as sigma -> 0;
#   log_scale_floor: the log scale below which the engine's likelihood is not
#   exact in doubles (its exp() cap: -680, or -340 where the loss has
#   sigma^2 in it; none for a discrete family);
#   for a family with a sigma model that is not location-scale, the Gamma's:
#   sd(mu, sigma), start_location(x, y, weights, offset, family, fun),
#   log_cdf(y, mu, sigma, df, lower) and log_density(y, mu, sigma, df);
#   draw(n, mu, sigma, df): n draws at the rows' locations and scales (simulate());
#   simulate(object, ftd, wts, nsim, fun): a GLM row's draws for simulate()
#   at the fitted means ftd and prior weights wts (n * nsim values, or a
#   list of nsim), NULL for a row without a distribution (quasi-families);
#   edge: a warning when the fitted scale sits at the edge of its range, as
#   sums(mu, sigma, used) over rows (a named vector), add(a, b) of two sets
#   of rows' sums (chunks, partitions) and message(sums): the warning or NULL);
#   for evaluate(): outcome ("numeric" or "binary"), eval_loglik(y, trials,
#   mu, wt, fit) (GLM rows) and eval_log_density(z, df) (location-scale rows),
#   precision_weights (a GLM row whose weights are the precisions of its
#   rows, each counted once in eval_loglik(): evaluate()'s nll is per row);
#   power_links (the row's GLM takes stats::power(lambda) links too);
#   own_links (the row's GLM takes a link of one's own: a link-glm object
#   under a name of its own, evaluated by its R functions);
#   lik_params(family) (the engine's extra parameters of a GLM row: the
#   negative binomial's theta); adopt(family) (a family object of another
#   package that this row fits, such as MASS::negative.binomial(theta),
#   returned as the row's own, or NULL); keeps_classes (a class response:
#   each chunk of a source keeps every class of the whole data);
#   needs_intercept (the model's own constants take the intercept's place:
#   a formula without one gets it, assume_intercept()); ordered_response
#   (the response is an ordered factor: over a chunked source, a column
#   whose levels the source orders, source_ordered_response()); whole_line_links
#   (the row's links whose inverse takes every real number to a valid mean,
#   as a network's outputs need; NULL: the row does not say).
new_family_row <- function(name, links, constructor, ns = "gradglm", ...) {
  row <- family_row_defaults(name)
  row[c("links", "constructor", "ns")] <- list(links, constructor, ns)
  extra <- list(...)
  row[names(extra)] <- extra
  row
}

# A row's defaults. (Made in a frame of their own that holds only the name,
# which the default dist() reads: a closure made in new_family_row() would
# keep that frame, and with it every function of the row a second time, in
# the registry the package's lazy-load database stores and loads.)
family_row_defaults <- function(name) {
  list(name = name, links = NULL, constructor = NULL, ns = NULL, kind = "glm",
       free_dispersion = FALSE, scale_in_likelihood = FALSE, profile_scale = FALSE,
       dist = function(family) dist_codes[[name]], chunked = TRUE,
       sigma = "no", closed_form = function(family) FALSE,
       check_start = function(family, y, fun) invisible(TRUE),
       check_family = function(family, fun) invisible(TRUE),
       mean_range = function(ybar) ybar, boundary = NULL, response_label = NULL,
       outcome = "numeric", eval_loglik = NULL, eval_log_density = NULL, precision_weights = FALSE,
       penalty_model = NULL,
       lik_params = function(family) list(), adopt = NULL, fitted_pass = FALSE, chunked_note = NULL,
       power_links = FALSE, own_links = FALSE, chunk_add = chunk_add_default, chunk_aic = chunk_aic_default,
       chunk_null_deviance = function(s) NULL, simulate = NULL, whole_line_links = NULL)
}

# The built-in rows are made when the package is installed, each an object
# of its own in the namespace (".family_row_<name>"), which the package's
# lazy-load database stores and loads apart; .onLoad() puts a promise of each
# into .registry (lazy_family_rows()). A session thus loads the rows of the
# families it uses: the whole registry took 7-12 ms of a first fit to load,
# the binomial row alone under 1 ms.
register_family <- function(row) assign(paste0(".family_row_", row$name), row, envir = topenv(environment()))

lazy_family_rows <- function(ns = topenv(environment())) {
  for (v in ls(ns, all.names = TRUE, pattern = "^[.]family_row_")) lazy_family_row(v, ns)
  invisible(NULL)
}
lazy_family_row <- function(v, ns) {
  delayedAssign(substring(v, nchar(".family_row_") + 1L), get(v, envir = ns), assign.env = .registry)
}

available_families <- function() {
  nm <- ls(.registry)
  first <- c("gaussian", "binomial", "poisson", "Gamma", "inverse.gaussian", "quasibinomial", "quasipoisson",
             "quasi", "negative_binomial", "laplace", "student_t", "multinomial", "ordinal")
  c(intersect(first, nm), setdiff(nm, first))
}

# The registry row of a family object (which resolve_family() has checked).
family_row <- function(family) get(family$family, envir = .registry)

# family given as a string ("binomial"), a function (binomial) or a family
# object (binomial(link = "probit")), as glm() accepts it. Returns the family
# object and its registry row (a "gradglm_resolved_family", which a second
# call returns as it is: gradglm() checks the family first, then fits with it).
resolve_family <- function(family, fun = "gradglm") {
  # (the list for the error messages, made only for them: a small fit's time counts)
  available_list <- function() paste(available_families(), collapse = ", ")
  # a family call that stops (stats' Gamma(link = "logit")) is reported as an error of `fun`
  family <- tryCatch(family, error = function(e) abort(fun, "'family': ", conditionMessage(e)))
  if (inherits(family, "gradglm_resolved_family")) return(family)
  if (is.character(family)) {
    if (length(family) != 1L || is.na(family) || !exists(family, envir = .registry, inherits = FALSE)) {
      abort(fun, "unknown family ", quote_some(family), "; available families: ", available_list())
    }
    row <- get(family, envir = .registry)
    family <- get(row$constructor, mode = "function", envir = asNamespace(row$ns))
  }
  if (is.function(family)) {
    family <- tryCatch(family(), error = function(e) {
      abort(fun, "'family' is a function that gave no family when called without arguments (",
            conditionMessage(e), "); give a family such as binomial(link = \"logit\")")
    })
  }
  if (!inherits(family, "family")) {
    abort(fun, "'family' must be a family name, function or object such as binomial(link = \"logit\"); ",
          "available families: ", available_list())
  }
  family <- adopt_family(family)
  name <- family$family
  if (!is.character(name) || length(name) != 1L || !exists(name, envir = .registry, inherits = FALSE)) {
    abort(fun, "family '", name, "' is not available; available families: ", available_list())
  }
  row <- get(name, envir = .registry)
  if (!is.character(family$link) || length(family$link) != 1L || is.na(family$link)) {
    abort(fun, "'family': its link must be named by a single string")
  }
  if (!family$link %in% row$links && !(isTRUE(row$power_links) && !is.null(power_link_lambda(family))) &&
      !(isTRUE(row$own_links) && is_own_link(family, row))) {
    abort(fun, "link '", family$link, "' is not available for family '", name,
          "'; available links: ", paste(row$links, collapse = ", "),
          if (isTRUE(row$power_links)) ", stats::power(lambda)",
          if (isTRUE(row$own_links)) ", and a link of one's own (a link-glm object with linkfun, linkinv and mu.eta)")
  }
  check_link_functions(family, fun)
  if (is_own_link(family, row)) check_own_link(family, fun)
  row$check_family(family, fun)
  structure(list(family = family, row = row), class = "gradglm_resolved_family")
}

# The lambda of a power link, stats::power(lambda) (named "mu^<lambda>",
# lambda in its functions' environment), when the family's linkinv and
# mu.eta are that link's; else NULL
power_link_lambda <- function(family) {
  if (!is.character(family$link) || length(family$link) != 1L || !startsWith(family$link, "mu^")) return(NULL)
  env <- if (is.function(family$linkfun)) environment(family$linkfun)
  lambda <- if (is.environment(env)) get0("lambda", envir = env, inherits = FALSE)
  if (!is.numeric(lambda) || length(lambda) != 1L || !is.finite(lambda) || lambda == 0) return(NULL)
  ref <- stats::power(lambda)
  eta <- c(0.2, 0.5, 0.9)
  same <- function(a, b) isTRUE(all.equal(as.numeric(a), b, tolerance = 1e-10))
  ok <- is.function(family$linkinv) && is.function(family$mu.eta) &&
    same(family$linkinv(eta), ref$linkinv(eta)) && same(family$mu.eta(eta), ref$mu.eta(eta))
  if (ok) lambda else NULL
}

# The engine's link of a family: list(link = its code) and, for a power link,
# power = lambda; for a link of one's own, code 11 and its R functions. Power
# links and links of one's own are for a GLM's mean (`glm`); elsewhere an error.
engine_link <- function(family, fun = "gradglm", glm = TRUE) {
  if (family$link %in% names(link_codes)) return(list(link = link_codes[[family$link]]))
  row <- family_row(family)
  own <- is_own_link(family, row)
  lambda <- if (!own) power_link_lambda(family)
  if (is.null(lambda) && !own) abort(fun, "link '", family$link, "' is not available")
  if (!glm) {
    abort(fun, if (own) "a link of one's own (" else "the power link ", family$link, if (own) ")",
          " is available for a generalized linear model (one response, no sigma model); here use one of ",
          "the named links")
  }
  if (own) {
    return(list(link = 11L, linkinv = family$linkinv, mu.eta = family$mu.eta, linkfun = family$linkfun,
                valideta = if (is.function(family$valideta)) family$valideta))
  }
  list(link = link_codes[["power"]], power = lambda)
}

# A link of one's own: a family whose link is not one of the engine's names
# (nor a power link, where the registry row computes those), and which
# brings its functions (as a link-glm object gives them). The engine calls
# them in R, a block of rows at a time, on one thread: any link, slower than
# the compiled ones.
is_own_link <- function(family, row = family_row(family)) {
  is.character(family$link) && length(family$link) == 1L && !family$link %in% names(link_codes) &&
    !(isTRUE(row$power_links) && !is.null(power_link_lambda(family))) &&
    is.function(family$linkfun) && is.function(family$linkinv) && is.function(family$mu.eta)
}

# a link of one's own must give, at a few values, numbers of the right
# length, and mu.eta must be linkinv's derivative (checked by differences
# where both are finite: a wrong derivative would fit silently wrong)
check_own_link <- function(family, fun) {
  # (points where valideta() accepts eta; none found: nothing to check here)
  eta <- c(-0.7, -0.2, 0.3, 0.8, 1.5, -3, -1.5, 3, 6, 20)
  if (is.function(family$valideta)) {
    eta <- eta[vapply(eta, function(e) isTRUE(tryCatch(family$valideta(e), error = function(err) FALSE)), NA)]
    if (!length(eta)) return(invisible(TRUE))
  }
  eta <- utils::head(eta, 5L)
  call <- function(f, what) {
    v <- tryCatch(suppressWarnings(f(eta)), error = function(e) {
      abort(fun, "'family': the link's ", what, "() fails at eta = ", paste(format(eta), collapse = ", "), ": ",
            conditionMessage(e))
    })
    if (!is.numeric(v) || length(v) != length(eta)) {
      abort(fun, "'family': the link's ", what, "() must return a numeric vector as long as its argument")
    }
    as.numeric(v)
  }
  call(family$linkinv, "linkinv")
  d <- call(family$mu.eta, "mu.eta")
  h <- 1e-5
  num <- (call(function(e) family$linkinv(e + h), "linkinv") - call(function(e) family$linkinv(e - h), "linkinv")) /
    (2 * h)
  ok <- is.finite(d) & is.finite(num)
  if (any(ok) && any(abs(num[ok] - d[ok]) > 1e-5 * (1 + abs(d[ok])))) {
    abort(fun, "'family': the link's mu.eta() is not the derivative of its linkinv() (at eta = ",
          format(eta[ok][which.max(abs(num[ok] - d[ok]))]), ")")
  }
  invisible(TRUE)
}

# a family object of another package that a registry row fits, as that
# row's own (MASS::negative.binomial(theta) as negative_binomial(theta))
adopt_family <- function(family) {
  name <- family$family
  if (is.character(name) && length(name) == 1L && exists(name, envir = .registry, inherits = FALSE)) return(family)
  for (f in ls(.registry)) {
    adopt <- get(f, envir = .registry)$adopt
    own <- if (is.function(adopt)) adopt(family)
    if (!is.null(own)) return(own)
  }
  family
}

# The engine computes its named links itself and never calls the family's
# functions: a link object named after one of them (a make.link() or
# link-glm object) must be that link. A link of one's own goes under a name
# of its own.
check_link_functions <- function(family, fun) {
  name <- family$link
  if (!name %in% names(link_codes) || !is.function(family$linkinv) || !is.function(family$mu.eta)) {
    return(invisible(TRUE))
  }
  ref <- link_reference(name)
  # (stats' own functions, as its families make them: nothing to compare)
  if (identical(family$linkinv, ref$linkinv, ignore.environment = TRUE) &&
      identical(family$mu.eta, ref$mu.eta, ignore.environment = TRUE)) {
    return(invisible(TRUE))
  }
  eta <- c(0.2, 0.5, 0.9)  # inside every link's domain
  same <- function(a, b) isTRUE(all.equal(as.numeric(a), b, tolerance = 1e-10))
  if (!same(family$linkinv(eta), ref$linkinv(eta)) || !same(family$mu.eta(eta), ref$mu.eta(eta))) {
    abort(fun, "the family's link is named '", name, "' but its linkinv() or mu.eta() is not make.link(\"", name,
          "\")'s: gradglm computes its named links in compiled code; give a link of one's own a name of ",
          "its own (link-glm's `name`)")
  }
  invisible(TRUE)
}

# stats::make.link(name), made once per link name and session
link_reference <- function(name) {
  ref <- .link_refs[[name]]
  if (is.null(ref)) ref <- .link_refs[[name]] <- stats::make.link(name)
  ref
}
.link_refs <- new.env(parent = emptyenv())

# a family object in stats' format for a family of gradglm's own
make_family <- function(name, link, links, extra = list(), fun = name) {
  if (!is.character(link) || length(link) != 1L || is.na(link)) {
    abort(fun, "'link' must be a single string; available links: ", paste(links, collapse = ", "))
  }
  if (!link %in% links) {
    abort(fun, "link '", link, "' is not available for family '", name, "'; available links: ",
          paste(links, collapse = ", "))
  }
  lk <- if (link %in% c("identity", "log", "logit", "probit", "cloglog", "cauchit")) {
    stats::make.link(link)
  } else {
    list(linkfun = NULL, linkinv = NULL, mu.eta = NULL, valideta = NULL)
  }
  fam <- list(family = name, link = link, linkfun = lk$linkfun, linkinv = lk$linkinv,
              mu.eta = lk$mu.eta, valideta = lk$valideta,
              variance = function(mu) rep.int(1, length(mu)),
              validmu = function(mu) all(is.finite(mu)))
  structure(c(fam, extra), class = "family")
}

# One parameter block of a model: `design` (a matrix, a column design from
# gradglm(), or NULL for an intercept-only block), the number of predictors
# it gives (`outputs`, their names, or NULL for one), its coefficient names,
# the parameter it sets and its link.
# A block with several outputs that are separate linear models (the classes
# of a multinomial, the responses of a multi-response model) is `split`: its
# summary gives one table per output, titled by `output_titles`.
model_block <- function(name, design, parameter, link, title, prefix = "", outputs = NULL,
                        coef_names = NULL, summary_title = title, split = FALSE, output_titles = outputs) {
  cn <- if (is.null(design)) "(Intercept)" else design_names(design)
  if (is.null(coef_names)) {
    coef_names <- if (!length(cn)) character(0) else if (is.null(outputs)) paste0(prefix, cn) else
      paste0(prefix, rep(outputs, each = length(cn)), ":", cn)
  }
  list(name = name, design = design, parameter = parameter, link = link, title = title,
       summary_title = summary_title, prefix = prefix, outputs = outputs, m = max(1L, length(outputs)),
       columns = cn, coef_names = coef_names, split = split, output_titles = output_titles)
}

# ---- the sums of a chunked GLM fit (registry fields chunk_add, chunk_aic,
# chunk_null_deviance; used by source_fit())

# sum(w * x * log(x)) over x > 0 (nothing to add for x in {0, 1}, as for most responses)
wxlogx <- function(w, x) {
  k <- x > 0 & x != 1
  if (!any(k)) 0 else sum(w[k] * x[k] * log(x[k]))
}

# A GLM row's sums of a chunk for its AIC (registry field chunk_add): by
# default, where the AIC minus the deviance does not depend on the means, that
# constant, found at any valid mean; nothing for a row whose AIC takes a pass
# at the fitted means (fitted_pass).
chunk_add_default <- function(s, resp, family, row) {
  if (isTRUE(row$fitted_pass)) return(s)
  w <- resp$weights
  s$sum_wylogy <- s$sum_wylogy + wxlogx(w, resp$y)
  mu0 <- rep(1, length(resp$y))
  dev0 <- sum(family$dev.resids(resp$y, mu0, w))
  s$aic_const <- s$aic_const + row$aic(family, resp$y, resp$trials, mu0, w, dev0) - dev0
  s
}

# The AIC of a chunked GLM fit before 2 * rank (registry field chunk_aic):
# from the pass at the fitted means where the row makes one, else the
# deviance plus the constant of chunk_add_default()
chunk_aic_default <- function(dev, s, m, res, fitted, row) {
  if (!is.null(fitted)) return(fitted[["m2ll"]] + 2 * as.integer(row$scale_in_likelihood))
  dev + s$aic_const
}

# the Gaussian's: the log of the weights, and the AIC from the deviance
chunk_add_gaussian <- function(s, resp, family, row) {
  s$sum_logw <- s$sum_logw + sum(log(resp$weights))
  s
}
chunk_aic_gaussian <- function(dev, s, m, res, fitted, row) s$rows * (log(2 * pi * dev / s$rows) + 1) + 2 - s$sum_logw

# the binomial's: 0/1 responses with unit weights have the deviance as AIC;
# otherwise it needs the fitted means (binomial_aic_pass())
chunk_add_binomial <- function(s, resp, family, row) {
  # (in one pass: binomial_sums())
  b <- binomial_sums(as.double(resp$y), as.double(resp$weights), as.double(resp$trials))
  s$binomial_simple <- s$binomial_simple && b[[1L]] == 1
  s$any_trials <- s$any_trials || b[[2L]] == 1
  s$sum_wylogy <- s$sum_wylogy + b[[3L]]
  s
}
chunk_aic_binomial <- function(dev, s, m, res, fitted, row) {
  if (s$binomial_simple) dev + s$aic_const else m$binomial_aic(res$coefficients, s$any_trials)
}

# null deviances from the sums (registry field chunk_null_deviance): the
# deviance at the weighted mean response, without a pass
xlogy1 <- function(x, y) if (x > 0) x * log(y) else 0
chunk_null_gaussian <- function(s) s$ss_y
chunk_null_poisson <- function(s) 2 * (s$sum_wylogy - xlogy1(s$sum_wy, s$sum_wy / s$sum_w))
chunk_null_binomial <- function(s) {
  W <- s$sum_w
  S <- s$sum_wy
  2 * (s$sum_wylogy - xlogy1(S, S / W) - xlogy1(W - S, 1 - S / W))
}
