#include "family.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "kernels.h"
#include "special.h"

namespace gradglm {

namespace {

// y log y + (1 - y) log(1 - y): the saturated binomial log-likelihood, negated
inline double bernoulli_entropy(double y) { return xlogx(y) + xlogx(1.0 - y); }

// the saturated Poisson term y log y - y
inline double poisson_saturated(double y) { return xlogx(y) - y; }

}  // namespace

MeanValues mean_values(Dist dist, double y, double mu, double theta) {
  switch (dist) {
    case Dist::gaussian: {
      const double r = mu - y;
      return MeanValues{0.5 * r * r, r, 1.0, 1.0};
    }
    case Dist::binomial: {
      if (!(mu > 0.0 && mu < 1.0)) return MeanValues{INF, NAN, NAN, NAN};
      const double q = 1.0 - mu;
      const double loss = -y * std::log(mu) - (1.0 - y) * std::log1p(-mu) + bernoulli_entropy(y);
      return MeanValues{loss, (mu - y) / (mu * q), y / (mu * mu) + (1.0 - y) / (q * q), 1.0 / (mu * q)};
    }
    case Dist::poisson: {
      if (!(mu > 0.0)) return MeanValues{INF, NAN, NAN, NAN};
      return MeanValues{mu - y * std::log(mu) + poisson_saturated(y), 1.0 - y / mu, y / (mu * mu), 1.0 / mu};
    }
    case Dist::gamma: {
      // y / mu - 1 - log(y / mu), V(mu) = mu^2; written with r = y / mu so
      // that no power of mu overflows before it is divided
      if (!(mu > 0.0 && y > 0.0)) return MeanValues{INF, NAN, NAN, NAN};
      const double r = y / mu;
      return MeanValues{gamma_unit_dev(y, mu), (1.0 - r) / mu, (2.0 * r - 1.0) / mu / mu, 1.0 / mu / mu};
    }
    case Dist::inverse_gaussian: {
      // (y - mu)^2 / (2 y mu^2), V(mu) = mu^3
      if (!(mu > 0.0 && y > 0.0)) return MeanValues{INF, NAN, NAN, NAN};
      const double t = (y - mu) / mu, r = y / mu;
      return MeanValues{t * t / (2.0 * y), (1.0 - r) / mu / mu, (3.0 * r - 2.0) / mu / mu / mu,
                        1.0 / mu / mu / mu};
    }
    case Dist::negative_binomial: {
      // y log(y / mu) - (y + theta) log((y + theta) / (mu + theta)), V(mu) =
      // mu + mu^2 / theta; the second log as log1p, which keeps its digits
      // where y and mu are close
      if (!(mu > 0.0)) return MeanValues{INF, NAN, NAN, NAN};
      const double a = 1.0 / (1.0 + mu / theta);  // theta / (mu + theta)
      const double loss = (y > 0.0 ? y * (std::log(y) - std::log(mu)) : 0.0) - (y + theta) * std::log1p((y - mu) / (mu + theta));
      const double q = (y + theta) / (mu + theta);
      return MeanValues{loss, a * (mu - y) / mu, y / (mu * mu) - q / (mu + theta), a / mu};
    }
  }
  return MeanValues{NAN, NAN, NAN, NAN};
}

Family::Family(int dist_code, int link_code, bool hand_written, double theta, double power,
               std::shared_ptr<const CustomLink> custom)
    : Likelihood(1), hand_written_(hand_written), theta_(theta), power_(power), custom_(std::move(custom)) {
  if (!(dist_code >= 1 && dist_code <= 3) && !(dist_code >= 6 && dist_code <= 8)) {
    throw std::invalid_argument("unknown distribution code " + std::to_string(dist_code));
  }
  if (dist_code == 8 && !(theta > 0.0 && std::isfinite(theta))) {
    throw std::invalid_argument("the negative binomial needs a positive, finite theta");
  }
  if (link_code < 1 || link_code > 11) {
    throw std::invalid_argument("unknown link code " + std::to_string(link_code));
  }
  if (link_code == 10 && !(std::isfinite(power) && power != 0.0)) {
    throw std::invalid_argument("a power link needs a finite, non-zero lambda");
  }
  if ((link_code == 11) != (custom_ != nullptr)) {
    throw std::invalid_argument("a link of one's own (code 11) needs its functions, and only it");
  }
  dist_ = static_cast<Dist>(dist_code);
  link_ = link_code == 11 ? Link::custom : link_from_code(link_code);
  if (hand_written_ && !custom_) {
    if (dist_ == Dist::binomial && link_ == Link::logit) block_kernel_ = logistic_block;
    if (dist_ == Dist::poisson && link_ == Link::log) block_kernel_ = poisson_log_block;
  }
  dense_pairs();
}

std::string Family::name() const {
  static const char* dists[] = {"", "gaussian", "binomial", "poisson", "", "", "Gamma", "inverse.gaussian",
                                "negative_binomial"};
  return std::string(dists[static_cast<int>(dist_)]) + "(" + link_name(link_) + ")";
}

bool Family::canonical() const {
  return (dist_ == Dist::gaussian && link_ == Link::identity) ||
         (dist_ == Dist::binomial && link_ == Link::logit) ||
         (dist_ == Dist::poisson && link_ == Link::log);
}

bool Family::unit_interval_link() const {
  return link_ == Link::logit || link_ == Link::probit || link_ == Link::cloglog || link_ == Link::cauchit;
}

double Family::reported_mu(double eta) const {
  const double eps = std::numeric_limits<double>::epsilon();
  double mu = linkinv(eta);
  if (unit_interval_link()) mu = std::min(std::max(mu, eps), 1.0 - eps);
  if (link_ == Link::log) mu = std::max(mu, eps);
  return mu;
}

double Family::report_mu_eta(double d) const {
  const double eps = std::numeric_limits<double>::epsilon();
  return (unit_interval_link() || link_ == Link::log) ? std::max(d, eps) : d;
}

double Family::start_mu(double y, double w) const {
  switch (dist_) {
    case Dist::binomial: return (w * y + 0.5) / (w + 1.0);
    case Dist::poisson: return y + 0.1;
    case Dist::gaussian: return y;  // R asks for y > 0 with the log link
    case Dist::gamma:
    case Dist::inverse_gaussian: return y;  // y > 0
    case Dist::negative_binomial: return y + (y == 0.0 ? 1.0 / 6.0 : 0.0);
  }
  return NAN;
}

void Family::link_block(const double* eta, Index len, LinkValues* out) const {
  if (custom_) {
    custom_->values(eta, (long)len, out);
    return;
  }
  for (Index i = 0; i < len; ++i) out[i] = LinkValues{linkinv(eta[i]), mu_eta(eta[i]), NAN};
}

void Family::unit_block(const double* y, const double* eta, Index len, UnitValues* out) const {
  if (custom_) {
    std::vector<LinkValues> v((size_t)len);
    custom_->values(eta, (long)len, v.data());
    for (Index i = 0; i < len; ++i) out[i] = compose(y[i], v[i], true);
    return;
  }
  for (Index i = 0; i < len; ++i) out[i] = unit(y[i], eta[i]);
}

void Family::start_eta_block(const double* y, const double* w, Index len, double* out) const {
  if (custom_) {
    std::vector<double> mu((size_t)len);
    for (Index i = 0; i < len; ++i) mu[i] = start_mu(y[i], w[i]);
    custom_->linkfun(mu.data(), (long)len, out);
    return;
  }
  for (Index i = 0; i < len; ++i) out[i] = start_eta(y[i], w[i]);
}

bool Family::at_boundary(double mu) const {
  const double eps = 10 * std::numeric_limits<double>::epsilon();
  if (dist_ == Dist::binomial) return mu < eps || mu > 1.0 - eps;
  if (dist_ == Dist::poisson) return mu < eps;
  return false;
}

LinkValues Family::lv(double eta) const {
  if (!custom_) return link_values(link_, eta, power_);
  LinkValues v;
  custom_->values(&eta, 1, &v);
  return v;
}

UnitValues Family::composed(double y, double eta, bool need_derivs) const {
  if (!custom_ && !link_valid(link_, eta)) return UnitValues{INF, 0.0, 0.0, 0.0};
  return compose(y, lv(eta), need_derivs);
}

UnitValues Family::compose(double y, const LinkValues& lv, bool need_derivs) const {
  UnitValues u{INF, 0.0, 0.0, 0.0};
  // (a link of one's own marks eta outside its domain by values that are not finite)
  if (custom_ && !(std::isfinite(lv.mu) && std::isfinite(lv.d1) && std::isfinite(lv.d2))) return u;
  const MeanValues mv = mean_values(dist_, y, lv.mu, theta_);
  u.loss = mv.loss;
  if (!need_derivs || !std::isfinite(mv.loss)) return u;
  u.grad = mv.d1 * lv.d1;
  u.weight = mv.info * lv.d1 * lv.d1;
  u.hess = mv.d2 * lv.d1 * lv.d1 + mv.d1 * lv.d2;
  return u;
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
      const double lmu = special::log_pnorm(eta);         // log P(y = 1)
      const double l1mu = special::log_pnorm_upper(eta);  // log P(y = 0)
      u.loss = -y * lmu - (1.0 - y) * l1mu + ent;
      if (need_derivs) {
        const double ldens = special::log_dnorm(eta);
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
    case Link::log: {
      // log(mu) = eta < 0 and log(1 - mu): log(-expm1(eta)) as mu approaches 1
      // (where log-binomial fits often end), log1p(-exp(eta)) for small mu
      if (!(eta < 0.0)) return UnitValues{INF, 0.0, 0.0, 0.0};
      const double q = -std::expm1(eta);  // 1 - mu
      const double l1mu = eta < -0.6931471805599453 ? std::log1p(-std::exp(eta)) : std::log(q);
      u.loss = -y * eta - (1.0 - y) * l1mu + ent;
      if (need_derivs) {
        const double r = std::exp(eta) / q;  // mu / (1 - mu)
        u.grad = (1.0 - y) * r - y;
        u.weight = r;
        u.hess = (1.0 - y) * r / q;
      }
      break;
    }
    default: return composed(y, eta, need_derivs);
  }
  return u;
}

// With d = eta - log(y), the unit deviance mu - y eta + y log(y) - y is
// y (e^d - 1 - d): written so, it keeps its digits where mu and y are large
// and close (counts of 1e9: the terms of the first form are 2e10 each and
// cancel to rounding noise, which stalls a line search), and mu - y is
// y (e^d - 1) likewise.
UnitValues Family::poisson_log_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{0.0, 0.0, 0.0, 0.0};
  const double mu = safe_exp(eta);
  if (y > 0.0 && eta < EXP_CAP) {
    const double d = eta - std::log(y);
    const double em1 = std::expm1(d);
    double excess;  // e^d - 1 - d
    if (std::abs(d) < 1e-2) {
      // its series: expm1(d) - d would lose the leading digits of d
      excess = d * d * (0.5 + d * (1.0 / 6 + d * (1.0 / 24 + d * (1.0 / 120 + d * (1.0 / 720 + d / 5040)))));
    } else {
      excess = em1 - d;
    }
    u.loss = y * excess;
    if (need_derivs) u.grad = y * em1;
  } else {
    u.loss = mu - y * eta + poisson_saturated(y);
    if (need_derivs) u.grad = mu - y;
  }
  if (need_derivs) u.weight = u.hess = mu;
  return u;
}

// the log link's mean capped at exp(EXP_CAP / 2), so that the squared loss
// and its derivatives stay finite for any eta
UnitValues Family::gaussian_log_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{0.0, 0.0, 0.0, 0.0};
  const double mu = std::exp(std::min(eta, EXP_CAP / 2));
  const double r = mu - y;
  u.loss = 0.5 * r * r;
  if (need_derivs) {
    u.grad = r * mu;
    u.weight = mu * mu;
    u.hess = mu * (2.0 * mu - y);  // may be negative; Newton then falls back to the weight
  }
  return u;
}

// Gamma with the log link from eta: with l = log(y) - eta = log(y / mu), the
// loss y / mu - 1 - log(y / mu) is expm1(l) - l, its gradient 1 - y / mu =
// -expm1(l), the Fisher weight mu.eta^2 / V(mu) = 1 and the observed
// curvature y / mu. Both exponentials are guarded as the Poisson's: eta is
// capped at EXP_CAP (the composition's mean) and l at EXP_CAP (a mean far
// below y gives a huge, finite loss)
UnitValues Family::gamma_log_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{INF, 0.0, 0.0, 0.0};
  if (!(y > 0.0) || std::isnan(eta)) return u;
  const double l = std::min(std::log(y) - std::min(eta, EXP_CAP), EXP_CAP);
  const double e = std::expm1(l);
  u.loss = e - l;
  if (need_derivs && std::isfinite(u.loss)) {
    u.grad = -e;
    u.weight = 1.0;
    u.hess = e + 1.0;
  }
  return u;
}

// The negative binomial with the log link from eta: with a = theta / (mu +
// theta), the gradient a (mu - y), the Fisher weight a mu and the observed
// curvature a mu (y + theta) / (mu + theta), which is positive; mu is capped
// as the Poisson's
UnitValues Family::negbin_log_unit(double y, double eta, bool need_derivs) const {
  UnitValues u{INF, 0.0, 0.0, 0.0};
  if (std::isnan(eta)) return u;
  const double mu = safe_exp(eta), th = theta_;
  u.loss = (y > 0.0 ? y * (std::log(y) - std::min(eta, EXP_CAP)) : 0.0) - (y + th) * std::log1p((y - mu) / (mu + th));
  if (need_derivs && std::isfinite(u.loss)) {
    const double a = 1.0 / (1.0 + mu / th);
    u.grad = a * (mu - y);
    u.weight = a * mu;
    u.hess = a * mu * (y + th) / (mu + th);
  }
  return u;
}

UnitValues Family::unit_impl(double y, double eta, bool need_derivs) const {
  if (hand_written_) {
    if (dist_ == Dist::negative_binomial && link_ == Link::log) return negbin_log_unit(y, eta, need_derivs);
    if (dist_ == Dist::gaussian && link_ == Link::log) return gaussian_log_unit(y, eta, need_derivs);
    if (dist_ == Dist::gamma && link_ == Link::log) return gamma_log_unit(y, eta, need_derivs);
    if (dist_ == Dist::binomial &&
        (link_ == Link::logit || link_ == Link::probit || link_ == Link::cloglog || link_ == Link::log)) {
      return binomial_unit(y, eta, need_derivs);
    }
    if (dist_ == Dist::poisson && link_ == Link::log) return poisson_log_unit(y, eta, need_derivs);
  }
  return composed(y, eta, need_derivs);
}

UnitValues Family::unit(double y, double eta) const { return unit_impl(y, eta, true); }

double Family::unit_loss(double y, double eta) const { return unit_impl(y, eta, false).loss; }

double Family::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                          Curv mode) const {
  const Index len = rb.len;
  // (an integer response: the block's values as doubles, in this thread's buffer)
  thread_local std::vector<double> ybuf;
  if (!y.y && (Index)ybuf.size() < len) ybuf.resize((size_t)len);
  const double* yy = y.rows(rb.start, len, ybuf.data());
  if (block_kernel_) {
    // the whole block in vector registers, where the processor can (a canonical
    // link: the curvature is the Fisher weight either way)
    double sum;
    if (block_kernel_(yy, rb.eta, rb.w, len, grad, curv, sum)) return sum;
  }
  if (!custom_ && dist_ == Dist::gaussian && link_ == Link::identity) {
    // least squares: (eta - y)^2 / 2, its gradient eta - y and curvature 1, in a loop the
    // compiler vectorises (what the row-by-row composition gives, without its calls)
    double sum = 0.0;
    for (Index i = 0; i < len; ++i) {
      const double w = rb.w[i], r = rb.eta[i] - yy[i];
      sum += w == 0.0 ? 0.0 : w * (0.5 * r * r);
      if (grad) grad[i] = w == 0.0 ? 0.0 : w * r;
      if (curv) curv[i] = w;
    }
    return sum;
  }
  // a link of one's own: its values for the whole block in one call
  std::vector<LinkValues> v;
  if (custom_) {
    v.resize((size_t)len);
    custom_->values(rb.eta, (long)len, v.data());
  }
  double sum = 0.0;
  for (Index i = 0; i < len; ++i) {
    const double w = rb.w[i];
    if (w == 0.0) {
      if (grad) grad[i] = 0.0;
      if (curv) curv[i] = 0.0;
      continue;
    }
    if (!grad) {
      sum += w * (custom_ ? compose(yy[i], v[i], false).loss : unit_loss(yy[i], rb.eta[i]));
      continue;
    }
    const UnitValues u = custom_ ? compose(yy[i], v[i], true) : unit(yy[i], rb.eta[i]);
    sum += w * u.loss;
    grad[i] = w * u.grad;
    if (curv) curv[i] = w * (mode == Curv::fisher ? u.weight : u.hess);
  }
  return sum;
}

}  // namespace gradglm
