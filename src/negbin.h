// The negative binomial (NB2) with theta estimated: two predictors per row,
// the mean's eta (mu = linkinv(eta)) and l = log(theta), theta the shape, so
// that Var(y) = mu + mu^2 / theta. The loss of a row is its full negative
// log-likelihood. The theta of MASS::glm.nb is this model's l-block (an
// intercept-only design); a theta held fixed is the GLM row of src/family.h.
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

class NegBinomial : public Likelihood {
 public:
  explicit NegBinomial(int link_code);

  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool expected_cov() const override { return true; }
  std::string name() const override { return "negative_binomial(" + link_name(link_) + ")"; }
  Link link() const { return link_; }

  NegBinUnit unit(double y, double eta, double l, bool derivs) const;

 private:
  Link link_;
};

}  // namespace gradglm

#endif
