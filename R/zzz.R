.onLoad <- function(libname, pkgname) {
  # autoplot() methods for ggplot2, a suggested package
  .register_autoplot()
}
