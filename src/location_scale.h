// Location-scale likelihoods for distributional regression: the response has
// a location mu = linkinv(eta), a scale sigma = exp(s) and, for the Student-t,
// degrees of freedom nu = exp(l). The loss of one row is its full negative
// log-density. Its predictors are (eta, s) or, when the Student-t df is
// estimated, (eta, s, l): the scales work on the log scale. The distribution
// is written in (mu, s, l) and composed with the location's link by the chain
// rule.
//
// Distribution codes extend those of src/family.h (gaussian = 1) and are
// mirrored in R/family.R.
#ifndef GRADGLM_LOCATION_SCALE_H
#define GRADGLM_LOCATION_SCALE_H

#include <string>
#include <vector>

#include "likelihood.h"
#include "links.h"

namespace gradglm {

// Gamma and the inverse Gaussian are not location-scale families, but the
// same two predictors serve them: the mean's eta and s = log(sigma), sigma
// the square root of the dispersion (the coefficient of variation for the
// Gamma, whose shape is 1 / sigma^2; sigma^2 = phi, Var y = phi mu^3, for
// the inverse Gaussian), as for the Gaussian, whose sigma^2 is its dispersion.
// The negative binomial (8) likewise: sigma = 1 / sqrt(theta), Var y = mu +
// sigma^2 mu^2 (its "Fisher" curvature in s is the observed one, as for the
// NB's theta in src/negbin.h).
enum class ScaleDist { gaussian = 1, laplace = 4, student_t = 5, gamma = 6, inverse_gaussian = 7, negative_binomial = 8 };

// Per-row quantities at (eta, s, l). Second derivatives come twice:
// observed (h_*) and expected under the model (f_*, Fisher's information).
struct ScaleUnit {
  double loss = 0.0;
  double de = 0.0, ds = 0.0, dl = 0.0;
  double hee = 0.0, hes = 0.0, hss = 0.0, hel = 0.0, hsl = 0.0, hll = 0.0;
  double fee = 0.0, fes = 0.0, fss = 0.0, fel = 0.0, fsl = 0.0, fll = 0.0;
};

// Student-t constants that depend on nu alone: C(nu) = lgamma(nu/2) -
// lgamma((nu+1)/2) + log(nu pi)/2, its first two derivatives in nu, and the
// nu-nu Fisher information
struct TConstants {
  double nu = 1.0, c0 = 0.0, c1 = 0.0, c2 = 0.0, inu = 0.0;
};
TConstants t_constants(double nu);

class LocationScale : public Likelihood {
 public:
  // df: the Student-t's fixed df, or NaN to estimate it (a third predictor)
  LocationScale(int dist_code, int link_code, double df);

  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  // (the negative binomial's sigma may run to 0: the Poisson limit, not an
  // unbounded likelihood)
  std::vector<int> log_scale_predictors() const override {
    return dist_ == ScaleDist::negative_binomial ? std::vector<int>() : std::vector<int>(1, 1);
  }
  bool fitted_exactly(const Response& y, const RowBlock& rb, Index i, int k, double tiny) const override;
  void set_smooth(double smooth) override { smooth_ = smooth; }
  std::string name() const override;

  ScaleDist dist() const { return dist_; }
  // a location family in the strict sense (y = mu + sigma e, e of a fixed
  // law: gaussian, laplace, student_t), whose location curvature is about
  // (mu.eta / sigma)^2; the positive families and the negative binomial are
  // written in a mean and a dispersion instead
  bool location_family() const {
    return dist_ == ScaleDist::gaussian || dist_ == ScaleDist::laplace || dist_ == ScaleDist::student_t;
  }
  bool estimates_df() const { return est_df_; }
  Link link() const { return link_; }
  double smooth() const { return smooth_; }

  // loss and (when derivs) its derivatives for one row, at predictors
  // (eta, s) with the Student-t constants tc
  ScaleUnit unit(double y, double eta, double s, const TConstants& tc, bool derivs) const;
  const TConstants& fixed_constants() const { return tc_; }

 private:
  ScaleDist dist_;
  Link link_;
  bool est_df_;
  double smooth_ = 0.0;
  TConstants tc_;  // fixed df
  void location_unit(double y, double mu, double s, const TConstants& tc, bool derivs, ScaleUnit& u) const;
  void positive_unit(double y, double mu, double s, bool derivs, ScaleUnit& u) const;
};

}  // namespace gradglm

#endif
