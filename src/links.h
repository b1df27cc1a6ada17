// Link functions: a parameter of a distribution (a mean, a probability) is
// set by a linear predictor eta through the inverse link, mu = linkinv(eta).
// Likelihoods compose a distribution's derivatives in mu with the link's
// derivatives in eta by the chain rule, so each link gives mu and its first
// two derivatives. Everything here is plain C++ (safe in threaded loops).
//
// The codes are mirrored in R/family.R (the family registry); keep the two in
// step.
#ifndef GRADGLM_LINKS_H
#define GRADGLM_LINKS_H

#include <string>

namespace gradglm {

enum class Link {
  identity = 1,
  logit = 2,
  probit = 3,
  cloglog = 4,
  log = 5,
  sqrt = 6,
  inverse = 7,
  cauchit = 8,
  inverse_square = 9,  // 1/mu^2
  power = 10,          // eta = mu^lambda (stats::power(lambda)), lambda the functions' `power`
  custom = 11          // a link of the user's own, evaluated by a CustomLink
};

Link link_from_code(int code);
std::string link_name(Link link);

// mu = linkinv(eta) and its first two derivatives in eta
struct LinkValues {
  double mu;
  double d1;  // d mu / d eta
  double d2;  // d2 mu / d eta2
};

// Largest argument passed to exp(): exp(EXP_CAP) ~ 1e295 leaves room to sum
// millions of such terms without overflowing a double.
constexpr double EXP_CAP = 680.0;

double safe_exp(double x);  // exp(x) with the argument capped at EXP_CAP
double sigmoid(double x);   // 1 / (1 + exp(-x)), computed by sign

// A link of the user's own (a link-glm object with functions of its own):
// its owner evaluates it outside the threaded code (a likelihood with such a
// link is fitted on one thread), blocks of rows at a time. An entry whose mu
// or derivatives are not finite is outside the link's domain.
class CustomLink {
 public:
  virtual ~CustomLink() {}
  // mu, d mu / d eta and d2 mu / d eta2 at eta[0..len)
  virtual void values(const double* eta, long len, LinkValues* out) const = 0;
  // eta = g(mu) at mu[0..len)
  virtual void linkfun(const double* mu, long len, double* eta) const = 0;
  // after a pass (outside threaded code): throws std::runtime_error saying
  // which of the link's functions failed (an R error or an interrupt), if one did
  virtual void throw_if_failed() const = 0;
};

// Whether eta lies in the link's domain (sqrt, 1/mu^2 and the power links
// need eta > 0, the inverse link eta != 0). `power` is lambda of the power
// link, ignored by the others.
bool link_valid(Link link, double eta);
LinkValues link_values(Link link, double eta, double power = 1.0);
double linkinv(Link link, double eta, double power = 1.0);
double mu_eta(Link link, double eta, double power = 1.0);
// the link itself, eta = g(mu)
double linkfun(Link link, double mu, double power = 1.0);

}  // namespace gradglm

#endif
