// The negative binomial (NB2) with theta estimated: two predictors per row,
// the mean's eta (mu = linkinv(eta)) and l = log(theta), theta the shape, so
// that Var(y) = mu + mu^2 / theta. The loss of a row is its full negative
// log-likelihood. The theta of MASS::glm.nb is this model's l-block (an
// intercept-only design); a theta held fixed is the GLM row of src/family.h.
// With a sigma model (sigma = 1 / sqrt(theta), the coefficient of variation
// of the gamma mixing the Poisson means) it is a location-scale likelihood
// (src/location_scale.h), whose rows this file's negbin_unit() computes.
//
// Its "Fisher" curvature is the one MASS::glm.nb reports standard errors
// from: the expected information for eta (mu.eta^2 / V(mu)), zero between eta
// and l (their expected cross term), and the observed information for l (its
// expectation has no closed form). The fit's covariance is its inverse.
#ifndef GRADGLM_NEGBIN_H
#define GRADGLM_NEGBIN_H

#include <string>

#include "likelihood.h"
#include "links.h"

namespace gradglm {

// loss and derivatives of one row in (eta, l)
struct NegBinUnit {
  double loss = 0.0;
  double de = 0.0, dl = 0.0;
  double hee = 0.0, hel = 0.0, hll = 0.0;  // observed
  double fee = 0.0;                        // expected, for eta
};

// one row at (eta, l) with the mean's link: also the location-scale form's
// (src/location_scale.cpp, s = log(sigma) = -l / 2)
NegBinUnit negbin_unit(Link link, double y, double eta, double l, bool derivs);

class NegBinomial : public Likelihood {
 public:
  explicit NegBinomial(int link_code);

  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool expected_cov() const override { return true; }
  std::string name() const override { return "negative_binomial(" + link_name(link_) + ")"; }
  Link link() const { return link_; }

  NegBinUnit unit(double y, double eta, double l, bool derivs) const { return negbin_unit(link_, y, eta, l, derivs); }

 private:
  Link link_;
};

}  // namespace gradglm

#endif
