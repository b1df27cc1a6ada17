#include "family.h"

#include <Rcpp.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradglm {

namespace {

const double INF = std::numeric_limits<double>::infinity();

// x * log(x) with the limit 0 at x = 0
inline double xlogx(double x) { return x > 0.0 ? x * std::log(x) : 0.0; }

// y log y + (1 - y) log(1 - y): the saturated binomial log-likelihood, negated
inline double bernoulli_entropy(double y) { return xlogx(y) + xlogx(1.0 - y); }

// the saturated Poisson term y log y - y
inline double poisson_saturated(double y) { return xlogx(y) - y; }

}  // namespace

double sigmoid(double x) {
  if (x >= 0.0) {
    return 1.0 / (1.0 + std::exp(-x));
  }
  const double e = std::exp(x);
  return e / (1.0 + e);
}

double safe_exp(double x) { return std::exp(x < EXP_CAP ? x : EXP_CAP); }

Family::Family(int dist_code, int link_code) {
  if (dist_code < 1 || dist_code > 3) {
    throw std::invalid_argument("unknown distribution code " + std::to_string(dist_code));
  }
  if (link_code < 1 || link_code > 6) {
    throw std::invalid_argument("unknown link code " + std::to_string(link_code));
  }
  dist_ = static_cast<Dist>(dist_code);
  link_ = static_cast<Link>(link_code);
  const bool ok =
      (dist_ == Dist::gaussian && (link_ == Link::identity || link_ == Link::log)) ||
      (dist_ == Dist::binomial &&
       (link_ == Link::logit || link_ == Link::probit || link_ == Link::cloglog)) ||
      (dist_ == Dist::poisson &&
       (link_ == Link::log || link_ == Link::identity || link_ == Link::sqrt));
  if (!ok) throw std::invalid_argument("link not available for this distribution: " + name());
}

std::string Family::name() const {
  static const char* dists[] = {"", "gaussian", "binomial", "poisson"};
  static const char* links[] = {"", "identity", "logit", "probit", "cloglog", "log", "sqrt"};
  return std::string(dists[static_cast<int>(dist_)]) + "(" + links[static_cast<int>(link_)] + ")";
}

bool Family::canonical() const {
  return (dist_ == Dist::gaussian && link_ == Link::identity) ||
         (dist_ == Dist::binomial && link_ == Link::logit) ||
         (dist_ == Dist::poisson && link_ == Link::log);
}

double Family::linkinv(double eta) const {
  switch (link_) {
    case Link::identity: return eta;
    case Link::logit: return sigmoid(eta);
    case Link::probit: return R::pnorm(eta, 0.0, 1.0, 1, 0);
    case Link::cloglog: return -std::expm1(-safe_exp(eta));
    case Link::log:
      return dist_ == Dist::gaussian ? std::exp(std::min(eta, EXP_CAP / 2)) : safe_exp(eta);
    case Link::sqrt: return eta * eta;
  }
  return NAN;
}

double Family::mu_eta(double eta) const {
  switch (link_) {
    case Link::identity: return 1.0;
    case Link::logit: {
      const double e = std::exp(-std::abs(eta));
      return e / ((1.0 + e) * (1.0 + e));
    }
    case Link::probit: return R::dnorm(eta, 0.0, 1.0, 0);
    case Link::cloglog: {
      const double t = safe_exp(eta);
      return std::exp(std::min(eta, EXP_CAP) - t);
    }
    case Link::log:
      return dist_ == Dist::gaussian ? std::exp(std::min(eta, EXP_CAP / 2)) : safe_exp(eta);
    case Link::sqrt: return 2.0 * eta;
  }
  return NAN;
}

double Family::reported_mu(double eta) const {
  const double eps = std::numeric_limits<double>::epsilon();
  double mu = linkinv(eta);
  if (dist_ == Dist::binomial) mu = std::min(std::max(mu, eps), 1.0 - eps);
  if (link_ == Link::log) mu = std::max(mu, eps);
  return mu;
}

double Family::report_mu_eta(double d) const {
  const double eps = std::numeric_limits<double>::epsilon();
  return (dist_ == Dist::binomial || link_ == Link::log) ? std::max(d, eps) : d;
}

double Family::linkfun(double mu) const {
  switch (link_) {
    case Link::identity: return mu;
    case Link::logit: return std::log(mu / (1.0 - mu));
    case Link::probit: return R::qnorm(mu, 0.0, 1.0, 1, 0);
    case Link::cloglog: return std::log(-std::log1p(-mu));
    case Link::log: return std::log(mu);
    case Link::sqrt: return std::sqrt(mu);
  }
  return NAN;
}

double Family::start_eta(double y, double w) const {
  switch (dist_) {
    case Dist::binomial: return linkfun((w * y + 0.5) / (w + 1.0));
    case Dist::poisson: return linkfun(y + 0.1);
    case Dist::gaussian: return linkfun(y);  // R asks for y > 0 with the log link
  }
  return NAN;
}

UnitValues Family::binomial_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{0.0, 0.0, 0.0, 0.0};
  const double ent = bernoulli_entropy(y);
  switch (link_) {
    case Link::logit: {
      // with e = exp(-|eta|): log(1 + exp(eta)) = max(eta, 0) + log1p(e) and
      // log(1 + exp(-eta)) = max(-eta, 0) + log1p(e); one exp and one log1p
      // give the loss -y log(mu) - (1 - y) log(1 - mu) without cancellation
      const double e = std::exp(-std::abs(eta));
      const double l = std::log1p(e);
      u.loss = l + (eta > 0.0 ? (1.0 - y) * eta : -y * eta) + ent;
      if (need_derivs) {
        const double big = 1.0 / (1.0 + e), small = e / (1.0 + e);  // sigmoid(|eta|), sigmoid(-|eta|)
        const double p = eta >= 0.0 ? big : small;
        u.grad = p - y;
        u.weight = u.hess = big * small;
      }
      break;
    }
    case Link::probit: {
      const double lmu = R::pnorm(eta, 0.0, 1.0, 1, 1);   // log P(y = 1)
      const double l1mu = R::pnorm(eta, 0.0, 1.0, 0, 1);  // log P(y = 0)
      u.loss = -y * lmu - (1.0 - y) * l1mu + ent;
      if (need_derivs) {
        const double ldens = R::dnorm(eta, 0.0, 1.0, 1);
        const double r1 = std::exp(ldens - lmu);   // mu.eta / mu
        const double r0 = std::exp(ldens - l1mu);  // mu.eta / (1 - mu)
        u.grad = -y * r1 + (1.0 - y) * r0;
        u.weight = r1 * r0;
        u.hess = y * r1 * (eta + r1) + (1.0 - y) * r0 * (r0 - eta);
      }
      break;
    }
    case Link::cloglog: {
      const double t = safe_exp(eta);  // -log(1 - mu)
      // log(mu) = log(1 - exp(-t)); for tiny t it is log(t) - t/2 = eta - t/2
      const double lmu = t < 1e-8 ? eta - 0.5 * t : std::log(-std::expm1(-t));
      u.loss = -y * lmu + (1.0 - y) * t + ent;
      if (need_derivs) {
        const double r1 = std::exp(std::min(eta, EXP_CAP) - t - lmu);  // mu.eta / mu
        const double r0 = t;                                          // mu.eta / (1 - mu)
        u.grad = -y * r1 + (1.0 - y) * r0;
        u.weight = r1 * r0;
        const double mu = -std::expm1(-t);
        u.hess = y * r1 * (mu > 0.0 ? t / mu - 1.0 : 0.0) + (1.0 - y) * t;
      }
      break;
    }
    default: break;
  }
  return u;
}

UnitValues Family::poisson_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{0.0, 0.0, 0.0, 0.0};
  const double sat = poisson_saturated(y);
  switch (link_) {
    case Link::log: {
      const double mu = safe_exp(eta);
      u.loss = mu - y * eta + sat;
      if (need_derivs) {
        u.grad = mu - y;
        u.weight = u.hess = mu;
      }
      break;
    }
    case Link::identity: {
      if (!(eta > 0.0)) {  // mu = eta must be positive
        u.loss = INF;
        break;
      }
      u.loss = eta - y * std::log(eta) + sat;
      if (need_derivs) {
        u.grad = 1.0 - y / eta;
        u.weight = 1.0 / eta;
        u.hess = y / (eta * eta);
      }
      break;
    }
    case Link::sqrt: {
      if (!(eta > 0.0)) {  // the sqrt link needs eta > 0
        u.loss = INF;
        break;
      }
      u.loss = eta * eta - 2.0 * y * std::log(eta) + sat;
      if (need_derivs) {
        u.grad = 2.0 * eta - 2.0 * y / eta;
        u.weight = 4.0;
        u.hess = 2.0 + 2.0 * y / (eta * eta);
      }
      break;
    }
    default: break;
  }
  return u;
}

UnitValues Family::gaussian_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{0.0, 0.0, 0.0, 0.0};
  if (link_ == Link::identity) {
    const double r = eta - y;
    u.loss = 0.5 * r * r;
    if (need_derivs) {
      u.grad = r;
      u.weight = u.hess = 1.0;
    }
  } else {  // log link; the cap keeps mu^2 finite
    const double mu = std::exp(std::min(eta, EXP_CAP / 2));
    const double r = mu - y;
    u.loss = 0.5 * r * r;
    if (need_derivs) {
      u.grad = r * mu;
      u.weight = mu * mu;
      u.hess = mu * (2.0 * mu - y);  // may be negative; Newton then adds a ridge
    }
  }
  return u;
}

UnitValues Family::unit(double y, double eta) const {
  switch (dist_) {
    case Dist::gaussian: return gaussian_unit(y, eta, true);
    case Dist::binomial: return binomial_unit(y, eta, true);
    case Dist::poisson: return poisson_unit(y, eta, true);
  }
  return UnitValues{NAN, NAN, NAN, NAN};
}

double Family::unit_loss(double y, double eta) const {
  switch (dist_) {
    case Dist::gaussian: return gaussian_unit(y, eta, false).loss;
    case Dist::binomial: return binomial_unit(y, eta, false).loss;
    case Dist::poisson: return poisson_unit(y, eta, false).loss;
  }
  return NAN;
}

}  // namespace gradglm
