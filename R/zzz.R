# Registrations with suggested packages, made when they are loaded: the
# autoplot() methods for ggplot2 and the parsnip engine.
.onLoad <- function(libname, pkgname) {
  .register_autoplot()
  register_parsnip()
}
