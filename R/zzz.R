# The process that loaded the package: a fork of it (parallel::mclapply(),
# future's multicore) runs its fits on one thread, see engine_threads().
.gradglm_state <- new.env(parent = emptyenv())

# The family registry's promises of its built-in rows (lazy_family_rows()).
# Registrations with suggested packages, made when they are loaded: the
# autoplot() methods for ggplot2, sandwich's estfun() and bread(), emmeans'
# recover_data() and emm_basis(), and the parsnip engine.
.onLoad <- function(libname, pkgname) {
  .gradglm_state$pid <- Sys.getpid()
  lazy_family_rows()
  .register_autoplot()
  .register_sandwich()
  .register_emmeans()
  register_parsnip()
}

# The mappings kept for the fits' large vectors (src/huge_pages.h) go back
# to the system with the package.
.onUnload <- function(libpath) {
  try(mapped_cache(release = TRUE), silent = TRUE)
}
