# Registrations with suggested packages, made when they are loaded.
.onLoad <- function(libname, pkgname) {
  register_parsnip()
}
