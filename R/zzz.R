# Registrations with suggested packages, made when they are loaded: the
# autoplot() methods for ggplot2, sandwich's estfun() and bread(), emmeans'
# recover_data() and emm_basis(), and the parsnip engine.
.onLoad <- function(libname, pkgname) {
  .register_autoplot()
  .register_sandwich()
  .register_emmeans()
  register_parsnip()
}
