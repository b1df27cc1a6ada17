// Likelihoods of the response given the linear predictor eta.
//
// A family is a distribution (negative log-likelihood, its derivative in eta,
// the expected curvature) and a link (mu = linkinv(eta)). Everything is
// computed from eta directly, never from clipped probabilities.
//
// The codes below are mirrored in R/family.R; keep the two in step.
#ifndef GRADGLM_FAMILY_H
#define GRADGLM_FAMILY_H

#include <string>

namespace gradglm {

enum class Dist { gaussian = 1, binomial = 2, poisson = 3 };
enum class Link { identity = 1, logit = 2, probit = 3, cloglog = 4, log = 5, sqrt = 6 };

// Per-observation quantities at one value of eta.
struct UnitValues {
  double loss;    // half the unit deviance: NLL minus its saturated value (>= 0)
  double grad;    // d loss / d eta
  double weight;  // expected curvature E[d2 loss / d eta2] = mu.eta^2 / V(mu) (Fisher)
  double hess;    // observed curvature d2 loss / d eta2 (can be negative for gaussian(log))
};

class Family {
 public:
  Family(int dist_code, int link_code);

  // loss, gradient and Fisher weight of one observation; loss is +Inf when
  // eta is outside the link's valid range (for example mu <= 0 for poisson).
  UnitValues unit(double y, double eta) const;
  // loss only (cheaper: used by line searches)
  double unit_loss(double y, double eta) const;
  // mean of the response
  double linkinv(double eta) const;
  // derivative of the mean with respect to eta
  double mu_eta(double eta) const;
  // mu and mu.eta as stats' family objects report them: kept DBL_EPSILON away
  // from the boundary of the mean's range (binomial, log links)
  double reported_mu(double eta) const;
  double reported_mu_eta(double eta) const { return report_mu_eta(mu_eta(eta)); }
  double report_mu_eta(double mu_eta) const;
  // the link itself, eta = g(mu)
  double linkfun(double mu) const;
  // glm's default starting linear predictor for one observation with prior
  // weight w: the link of a mean pulled inside the valid range
  double start_eta(double y, double w) const;

  bool canonical() const;
  Dist dist() const { return dist_; }
  Link link() const { return link_; }
  std::string name() const;

 private:
  Dist dist_;
  Link link_;
  UnitValues binomial_unit(double y, double eta, bool need_derivs) const;
  UnitValues poisson_unit(double y, double eta, bool need_derivs) const;
  UnitValues gaussian_unit(double y, double eta, bool need_derivs) const;
};

// Numerically stable building blocks.
double sigmoid(double x);      // 1 / (1 + exp(-x)), computed by sign
double safe_exp(double x);     // exp(x) with the argument capped so the result stays finite

// Largest argument passed to exp(): exp(EXP_CAP) ~ 1e295 leaves room to sum
// millions of such terms without overflowing a double.
constexpr double EXP_CAP = 680.0;

}  // namespace gradglm

#endif
