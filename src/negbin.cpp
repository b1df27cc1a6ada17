#include "negbin.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "special.h"

namespace gradglm {

namespace {

// psi(y + theta) - psi(theta) and psi'(y + theta) - psi'(theta): for a small
// whole y as the finite sums of 1 / (theta + j) and -1 / (theta + j)^2, which
// keep their digits for any theta (the differences of the functions cancel
// when theta is large)
void digamma_differences(double y, double theta, double& d1, double& d2) {
  if (y < 64.0 && y == std::floor(y)) {
    d1 = 0.0;
    d2 = 0.0;
    for (int j = 0; j < static_cast<int>(y); ++j) {
      const double r = 1.0 / (theta + j);
      d1 += r;
      d2 -= r * r;
    }
    return;
  }
  d1 = special::digamma(y + theta) - special::digamma(theta);
  d2 = special::trigamma(y + theta) - special::trigamma(theta);
}

}  // namespace

NegBinomial::NegBinomial(int link_code) : Likelihood(2) {
  if (link_code < 1 || link_code > 9) throw std::invalid_argument("unknown link code " + std::to_string(link_code));
  link_ = link_from_code(link_code);
  dense_pairs();
}

// -log f(y) = lbeta(y, theta) + log(y) + theta log1p(mu / theta) + y log1p(theta / mu)
// for y > 0 (lgamma(y + theta) - lgamma(theta) - lgamma(y + 1) = -lbeta(y,
// theta) - log(y)), and theta log1p(mu / theta) for y = 0.
NegBinUnit negbin_unit(Link link, double y, double eta, double l, bool derivs) {
  NegBinUnit u;
  u.loss = INF;
  if (!link_valid(link, eta) || std::isnan(l)) return u;
  const double lc = std::min(std::max(l, -EXP_CAP), EXP_CAP);
  const double th = std::exp(lc);
  const LinkValues lv = link_values(link, eta);
  const double mu = lv.mu;
  const bool log_link = link == Link::log;
  if (!(mu >= 0.0) || (mu == 0.0 && y > 0.0 && !log_link)) return u;
  u.loss = th * std::log1p(mu / th);
  if (y > 0.0) {
    // log((mu + theta) / mu); from eta where the log link's mean is below
    // theta (it may underflow to 0 there)
    const double log_ratio =
        log_link && mu < th ? lc - std::min(eta, EXP_CAP) + std::log1p(mu / th) : std::log1p(th / mu);
    u.loss += special::lbeta(y, th) + std::log(y) + y * log_ratio;
  }
  if (!derivs || !std::isfinite(u.loss)) return u;
  const double a = 1.0 / (1.0 + mu / th);  // theta / (mu + theta)
  const double s = mu + th;
  // in mu: the gradient, observed and expected curvature
  const double dmu = mu > 0.0 ? a * (mu - y) / mu : a;
  const double hmu = (mu > 0.0 ? y / (mu * mu) : 0.0) - (y + th) / (s * s);
  const double imu = mu > 0.0 ? a / mu : 0.0;
  // in theta: the log-likelihood's score S and its derivative
  double d1, d2;
  digamma_differences(y, th, d1, d2);
  const double S = d1 - std::log1p(mu / th) + (mu - y) / s;
  const double dS = d2 + mu / (th * s) - (mu - y) / (s * s);
  if (link == Link::log) {
    // d mu / d eta = d2 mu / d eta2 = mu: the products written without y / mu
    u.de = a * (mu - y);
    u.hee = a * mu * (y + th) / s;
    u.fee = a * mu;
  } else {
    u.de = dmu * lv.d1;
    u.hee = hmu * lv.d1 * lv.d1 + dmu * lv.d2;
    u.fee = imu * lv.d1 * lv.d1;
  }
  u.dl = -th * S;
  u.hll = -th * S - th * th * dS;
  u.hel = lv.d1 * th * (mu - y) / (s * s);
  return u;
}

double NegBinomial::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                               Curv mode) const {
  const Index len = rb.len;
  const double* yy = y.y + rb.start;
  const bool fisher = mode == Curv::fisher;
  double sum = 0.0;
  for (Index i = 0; i < len; ++i) {
    const double w = rb.w[i];
    if (w == 0.0) {
      zero_row(i, len, grad, curv);
      continue;
    }
    const NegBinUnit u = unit(yy[i], rb.eta[i], rb.eta[len + i], grad != nullptr);
    sum += w * u.loss;
    if (!grad) continue;
    grad[i] = w * u.de;
    grad[len + i] = w * u.dl;
    if (curv) {  // pairs (0, 0), (0, 1), (1, 1)
      curv[i] = w * (fisher ? u.fee : u.hee);
      curv[len + i] = fisher ? 0.0 : w * u.hel;
      curv[2 * len + i] = w * u.hll;
    }
  }
  return sum;
}

}  // namespace gradglm
