# Optimizer choice. Strings name the methods; "auto" picks the fastest route
# to the exact maximum-likelihood estimate.

optimizers <- c("auto", "exact", "newton", "gd")

resolve_optimizer <- function(optimizer, fam, fun = "gradglm") {
  if (!is.character(optimizer) || length(optimizer) != 1L || is.na(optimizer)) {
    abort(fun, "'optimizer' must be one of ", paste0("\"", optimizers, "\"", collapse = ", "))
  }
  if (!optimizer %in% optimizers) {
    abort(fun, "unknown optimizer '", optimizer, "'; choose one of ",
          paste0("\"", optimizers, "\"", collapse = ", "))
  }
  closed_form <- fam$family$family == "gaussian" && fam$family$link == "identity"
  if (optimizer == "auto") optimizer <- if (closed_form) "exact" else "newton"
  if (optimizer == "exact" && !closed_form) {
    abort(fun, "optimizer = \"exact\" is the closed form of gaussian(link = \"identity\"); ",
          "family ", fam$family$family, "(link = \"", fam$family$link, "\") has none: ",
          "use \"newton\" or \"gd\"")
  }
  optimizer
}

default_max_iter <- function(optimizer) {
  switch(optimizer, newton = 50L, gd = 10000L, 1L)
}

