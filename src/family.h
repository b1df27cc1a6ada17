// The likelihoods of generalized linear models: one predictor per row (K = 1),
// the mean mu = linkinv(eta) of a distribution whose dispersion is not a
// parameter of the fit (glm's families: gaussian, binomial, poisson, Gamma,
// inverse Gaussian; a quasi-family is fitted as the distribution whose
// variance function it has; the negative binomial with its theta fixed, as
// MASS::negative.binomial(theta)).
//
// A family is a distribution written in its mean, composed with a link by the
// chain rule (`composed()`); the numerically delicate pairs are written by
// hand from eta (binomial with the logit, probit, cloglog and log links, poisson,
// gaussian and Gamma with the log link) and tested against the composition.
// Everything is computed from eta directly, never from clipped probabilities.
// Any link can be composed with any distribution (quasi() allows that); the
// loss is infinite where the mean leaves the distribution's range, and the
// registry in R says which pairs each family offers.
//
// The codes below are mirrored in R/family.R; keep the two in step.
#ifndef GRADGLM_FAMILY_H
#define GRADGLM_FAMILY_H

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "likelihood.h"
#include "links.h"

namespace gradglm {

// (codes 4 and 5 are the location-scale distributions, src/location_scale.h)
// (code 9 is the negative binomial with theta estimated, src/negbin.h)
enum class Dist { gaussian = 1, binomial = 2, poisson = 3, gamma = 6, inverse_gaussian = 7, negative_binomial = 8 };

// The families whose dispersion is free by nature: the first-order
// optimizers measure their loss and gradient in units of it.
inline bool free_dispersion(Dist d) {
  return d == Dist::gaussian || d == Dist::gamma || d == Dist::inverse_gaussian;
}

// Per-observation quantities at one value of eta.
struct UnitValues {
  double loss;    // half the unit deviance: NLL minus its saturated value (>= 0)
  double grad;    // d loss / d eta
  double weight;  // expected curvature E[d2 loss / d eta2] = mu.eta^2 / V(mu) (Fisher)
  double hess;    // observed curvature d2 loss / d eta2 (can be negative for gaussian(log))
};

// A distribution in its mean: the loss, its first two derivatives in mu and
// the Fisher information 1 / V(mu) per unit weight. Infinite loss outside
// the support of mu. `theta` is the negative binomial's (ignored by the
// others).
struct MeanValues {
  double loss, d1, d2, info;
};
MeanValues mean_values(Dist dist, double y, double mu, double theta = NAN);

class Family : public Likelihood {
 public:
  // `hand_written` = false forces the composition everywhere (for tests);
  // `theta` is the negative binomial's fixed theta (> 0), `power` the power
  // link's lambda (not 0), `custom` the link of the user's own (link code 11)
  Family(int dist_code, int link_code, bool hand_written = true, double theta = NAN, double power = 1.0,
         std::shared_ptr<const CustomLink> custom = nullptr);

  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool canonical() const override;
  std::string name() const override;
  bool calls_r() const override { return custom_ != nullptr; }
  void check_r_calls() const override {
    if (custom_) custom_->throw_if_failed();
  }

  // loss, gradient and Fisher weight of one observation; loss is +Inf when
  // eta is outside the link's valid range (for example mu <= 0 for poisson).
  UnitValues unit(double y, double eta) const;
  // loss only (cheaper: used by line searches)
  double unit_loss(double y, double eta) const;
  // the distribution in mu composed with the link (the reference for the
  // hand-written pairs)
  UnitValues composed(double y, double eta, bool need_derivs) const;
  // mean of the response
  double linkinv(double eta) const {
    if (custom_) return lv(eta).mu;
    return gaussian_log() ? std::exp(std::min(eta, EXP_CAP / 2)) : gradglm::linkinv(link_, eta, power_);
  }
  // derivative of the mean with respect to eta
  double mu_eta(double eta) const {
    if (custom_) return lv(eta).d1;
    return gaussian_log() ? std::exp(std::min(eta, EXP_CAP / 2)) : gradglm::mu_eta(link_, eta, power_);
  }
  // mu and mu.eta as stats' link objects report them: the means of the
  // logit, probit, cloglog and cauchit links kept DBL_EPSILON inside (0, 1),
  // the log link's above DBL_EPSILON; mu.eta of those links at least DBL_EPSILON
  double reported_mu(double eta) const;
  double reported_mu_eta(double eta) const { return report_mu_eta(mu_eta(eta)); }
  double report_mu_eta(double mu_eta) const;
  // the link itself, eta = g(mu)
  double linkfun(double mu) const {
    if (!custom_) return gradglm::linkfun(link_, mu, power_);
    double eta;
    custom_->linkfun(&mu, 1, &eta);
    return eta;
  }
  // The same for len rows at a time: a link of one's own is called once per
  // block (these serve the start and the outputs, outside threaded code for
  // such a link); the others give exactly the one-row results.
  void link_block(const double* eta, Index len, LinkValues* out) const;
  void unit_block(const double* y, const double* eta, Index len, UnitValues* out) const;
  // glm's starting eta of rows with responses y and prior weights w
  void start_eta_block(const double* y, const double* w, Index len, double* out) const;
  // glm's default starting linear predictor for one observation with prior
  // weight w: the link of a mean pulled inside the valid range (start_mu)
  double start_eta(double y, double w) const { return linkfun(start_mu(y, w)); }
  double start_mu(double y, double w) const;
  // a fitted mean numerically at the boundary of its range (0 or 1 for the
  // binomial, 0 for the poisson; the positive families have none)
  bool at_boundary(double mu) const;

  Dist dist() const { return dist_; }
  Link link() const { return link_; }
  double theta() const { return theta_; }

 private:
  Dist dist_;
  Link link_;
  bool hand_written_;
  double theta_;
  double power_;
  std::shared_ptr<const CustomLink> custom_;
  // the whole block's rows in one call, for the family-link pairs that have
  // such a form (logistic and Poisson-log regression: kernels.h); null for the others
  bool (*block_kernel_)(const double*, const double*, const double*, Index, double*, double*, double&) = nullptr;
  // the link's values at one eta (a link of the user's own as well)
  LinkValues lv(double eta) const;
  // the distribution in mu composed with the link's values at eta
  UnitValues compose(double y, const LinkValues& lv, bool need_derivs) const;
  // the Gaussian's log link caps the mean at exp(EXP_CAP / 2), keeping mu^2 finite
  bool gaussian_log() const { return dist_ == Dist::gaussian && link_ == Link::log; }
  UnitValues binomial_unit(double y, double eta, bool need_derivs) const;
  UnitValues poisson_log_unit(double y, double eta, bool need_derivs) const;
  UnitValues gaussian_log_unit(double y, double eta, bool need_derivs) const;
  UnitValues gamma_log_unit(double y, double eta, bool need_derivs) const;
  UnitValues negbin_log_unit(double y, double eta, bool need_derivs) const;
  // the links whose mean stats clamps into (0, 1), and the log link
  bool unit_interval_link() const;
  UnitValues unit_impl(double y, double eta, bool need_derivs) const;
};

}  // namespace gradglm

#endif
