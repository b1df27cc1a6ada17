#include "location_scale.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "negbin.h"
#include "special.h"

namespace gradglm {

namespace {
const double LOG_2PI = 1.8378770664093454836;
const double LOG_2 = 0.69314718055994530942;
// beyond this |z|, z^2 is not formed (it could overflow)
const double BIG_Z = 1e150;

// For the Gamma's shape nu: G(nu) = lgamma(nu) - nu log(nu) + nu, D(nu) =
// psi(nu) - log(nu) and T(nu) = psi'(nu) - 1 / nu, by their asymptotic
// series for large nu (where the differences cancel), else directly.
struct GammaShape {
  double G, D, T;
};
GammaShape gamma_shape(double nu) {
  if (nu > 1e3) {
    const double i = 1.0 / nu, i2 = i * i;
    return GammaShape{0.5 * (LOG_2PI - std::log(nu)) + i / 12.0 - i * i2 / 360.0,
                      -0.5 * i - i2 / 12.0 + i2 * i2 / 120.0,
                      0.5 * i2 + i * i2 / 6.0 - i * i2 * i2 / 30.0};
  }
  return GammaShape{special::lgamma_pos(nu) - nu * std::log(nu) + nu, special::digamma(nu) - std::log(nu),
                    special::trigamma(nu) - 1.0 / nu};
}
}  // namespace

TConstants t_constants(double nu) {
  TConstants t;
  t.nu = nu;
  // C(nu) = lgamma(nu/2) - lgamma((nu+1)/2) + log(nu pi)/2 = lbeta(nu/2, 1/2) + log(nu)/2,
  // accurate for large nu, where the two lgamma terms would cancel
  t.c0 = special::lbeta(nu / 2.0, 0.5) + 0.5 * std::log(nu);
  if (nu > 1e4) {
    // asymptotic series: the digamma and trigamma differences cancel here
    const double i1 = 1.0 / nu, i2 = i1 * i1;
    t.c1 = -0.25 * i2 + 0.125 * i2 * i2;
    t.c2 = 0.5 * i2 * i1 - 0.5 * i2 * i2 * i1;
    t.inu = 3.5 * i2 * i2 * (1.0 - 3.7 * i1);
  } else {
    const double dtri = special::trigamma(nu / 2.0) - special::trigamma((nu + 1.0) / 2.0);
    t.c1 = 0.5 * (special::digamma(nu / 2.0) - special::digamma((nu + 1.0) / 2.0)) + 0.5 / nu;
    t.c2 = 0.25 * dtri - 0.5 / (nu * nu);
    t.inu = 0.25 * dtri - (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0));
  }
  return t;
}

LocationScale::LocationScale(int dist_code, int link_code, double df)
    : Likelihood(2), link_(link_from_code(link_code)) {
  if (dist_code != 1 && !(dist_code >= 4 && dist_code <= 8)) {
    throw std::invalid_argument("unknown location-scale distribution code " + std::to_string(dist_code));
  }
  // (the positive families take their GLM links; a mean outside (0, Inf) has an infinite loss)
  if (dist_code < 6 && link_ != Link::identity && link_ != Link::log) {
    throw std::invalid_argument("the location link must be identity or log");
  }
  dist_ = static_cast<ScaleDist>(dist_code);
  est_df_ = dist_ == ScaleDist::student_t && std::isnan(df);
  if (dist_ == ScaleDist::student_t && !est_df_) {
    if (!(df > 0.0) || !std::isfinite(df)) throw std::invalid_argument("df must be positive and finite");
    tc_ = t_constants(df);
  }
  if (est_df_) k_ = 3;
  dense_pairs();
}

std::string LocationScale::name() const {
  const char* d = dist_ == ScaleDist::gaussian   ? "gaussian"
                  : dist_ == ScaleDist::laplace  ? "laplace"
                  : dist_ == ScaleDist::gamma    ? "Gamma"
                  : dist_ == ScaleDist::student_t ? "student_t"
                  : dist_ == ScaleDist::negative_binomial ? "negative_binomial"
                                                 : "inverse.gaussian";
  return std::string(d) + "(" + link_name(link_) + ")";
}

bool LocationScale::fitted_exactly(const Response& y, const RowBlock& rb, Index i, int k, double tiny) const {
  (void)k;  // (one log-scale: predictor 1)
  if (link_ == Link::custom || !link_valid(link_, rb.eta[i])) return true;
  const double yi = y.at(rb.start + i, 0), mu = linkinv(link_, rb.eta[i]);
  return std::abs(yi - mu) <= 1e-8 * (std::abs(yi) + std::abs(mu)) + tiny;
}

// Derivatives with respect to mu (stored in the e-slots), s and l.
void LocationScale::location_unit(double y, double mu, double s, const TConstants& tc, bool derivs,
                                  ScaleUnit& u) const {
  const double r = y - mu;
  const double inv = safe_exp(-s);  // 1 / sigma
  const double z = r * inv;
  switch (dist_) {
    case ScaleDist::gaussian: {
      u.loss = 0.5 * LOG_2PI + s + 0.5 * z * z;
      if (!derivs) return;
      u.de = -z * inv;
      u.ds = 1.0 - z * z;
      u.hee = inv * inv;
      u.hes = 2.0 * z * inv;
      u.hss = 2.0 * z * z;
      u.fee = inv * inv;
      u.fss = 2.0;
      return;
    }
    case ScaleDist::laplace: {
      const double d = smooth_;
      // rho(z) = |z| (exact) or sqrt(z^2 + d^2) (smooth start)
      // (hypot() only where z^2 could overflow: it is the pass's dearest call)
      const double rho = d > 0.0 ? (std::abs(z) < 1e150 ? std::sqrt(z * z + d * d) : std::hypot(z, d)) : std::abs(z);
      u.loss = LOG_2 + s + rho;
      if (!derivs) return;
      const double a = d > 0.0 ? z / rho : (z > 0.0 ? 1.0 : (z < 0.0 ? -1.0 : 0.0));  // rho'
      const double b = d > 0.0 ? (d / rho) * (d / rho) / rho : 0.0;                     // rho''
      u.de = -a * inv;
      u.ds = 1.0 - z * a;
      u.hee = b * inv * inv;
      u.hes = (b * z + a) * inv;
      u.hss = (d > 0.0 ? a * a * (d / rho) * d : 0.0) + z * a;  // z^2 rho'' + z rho'
      u.fee = inv * inv;
      u.fss = 1.0;
      return;
    }
    case ScaleDist::student_t: {
      const double nu = tc.nu;
      const bool big = !(std::abs(z) < BIG_Z);
      const double zz = big ? 0.0 : z * z;
      // log1p(z^2 / nu), without forming z^2 when it could overflow
      const double L = big ? 2.0 * (std::log(std::abs(r)) - s) - std::log(nu) : std::log1p(zz / nu);
      u.loss = tc.c0 + s + 0.5 * (nu + 1.0) * L;
      if (!derivs) return;
      const double q = big ? 0.0 : 1.0 / (nu + zz);  // 1 / (nu + z^2)
      const double frac = big ? 1.0 : zz * q;        // z^2 / (nu + z^2)
      const double g = big ? 1.0 / z : z * q;         // z / (nu + z^2)
      u.de = -(nu + 1.0) * g * inv;
      u.ds = 1.0 - (nu + 1.0) * frac;
      u.dl = nu * tc.c1 + 0.5 * nu * L - 0.5 * (nu + 1.0) * frac;
      u.hee = (nu + 1.0) * inv * inv * (nu * q - frac) * q;
      u.hes = 2.0 * nu * (nu + 1.0) * inv * g * q;
      u.hss = 2.0 * nu * (nu + 1.0) * frac * q;
      u.hel = nu * inv * g * (q - frac);
      u.hsl = nu * frac * (q - frac);
      u.hll = u.dl + nu * nu * tc.c2 + 0.5 * frac * (2.0 * nu * q + frac * (1.0 - nu));
      u.fee = (nu + 1.0) / (nu + 3.0) * inv * inv;
      u.fss = 2.0 * nu / (nu + 3.0);
      u.fsl = -2.0 * nu / ((nu + 3.0) * (nu + 1.0));
      u.fll = nu * nu * tc.inu;
      return;
    }
    case ScaleDist::gamma:
    case ScaleDist::inverse_gaussian:
    case ScaleDist::negative_binomial: return;  // (positive_unit(), negbin_unit())
  }
}

// The positive families in (mu, s): with t = (y - mu) / mu,
//   Gamma, nu = exp(-2 s): loss = G(nu) + nu (t - log1p(t)) + log(y), whose
//     s-derivative is -2 nu A, A = D(nu) + t - log1p(t) (zero in expectation),
//     and expected s-curvature 4 nu^2 T(nu);
//   inverse Gaussian, k = exp(-2 s) = 1 / phi: loss = log(2 pi y^3) / 2 + s +
//     k q / 2, q = t^2 / y (the unit deviance), whose s-derivative 1 - k q
//     has expectation zero and expected s-curvature 2.
// The mean and s are orthogonal: their expected cross curvature is zero.
void LocationScale::positive_unit(double y, double mu, double s, bool derivs, ScaleUnit& u) const {
  if (!(y > 0.0 && mu > 0.0 && std::isfinite(mu)) || std::isnan(s)) {
    u.loss = INF;
    return;
  }
  const double t = (y - mu) / mu;
  const double k = safe_exp(-2.0 * std::max(s, -EXP_CAP / 2.0));
  if (dist_ == ScaleDist::gamma) {
    const double dev = gamma_unit_dev(y, mu);  // r - 1 - log(r), r = y / mu
    const GammaShape g = gamma_shape(k);
    u.loss = g.G + k * dev + std::log(y);
    if (!derivs) return;
    const double A = g.D + dev;
    const double r = y / mu;
    u.de = k * (1.0 - r) / mu;
    u.ds = -2.0 * k * A;
    u.hee = k * (2.0 * r - 1.0) / mu / mu;
    u.hes = -2.0 * k * (1.0 - r) / mu;
    u.hss = 4.0 * k * A + 4.0 * k * k * g.T;
    u.fee = k / mu / mu;
    u.fss = 4.0 * k * k * g.T;
    return;
  }
  const double q = t * t / y;
  u.loss = 0.5 * LOG_2PI + 1.5 * std::log(y) + s + 0.5 * k * q;
  if (!derivs) return;
  const double m3 = mu * mu * mu;
  u.de = -k * (y - mu) / m3;
  u.ds = 1.0 - k * q;
  u.hee = k * (3.0 * y - 2.0 * mu) / (m3 * mu);
  u.hes = 2.0 * k * (y - mu) / m3;
  u.hss = 2.0 * k * q;
  u.fee = k / m3;
  u.fss = 2.0;
}

ScaleUnit LocationScale::unit(double y, double eta, double s, const TConstants& tc, bool derivs) const {
  ScaleUnit u;
  if (dist_ == ScaleDist::negative_binomial) {
    // log(theta) = -2 s: the derivatives in l times -2 per s
    const NegBinUnit v = negbin_unit(link_, y, eta, -2.0 * s, derivs);
    u.loss = v.loss;
    if (!derivs || !std::isfinite(u.loss)) return u;
    u.de = v.de;
    u.ds = -2.0 * v.dl;
    u.hee = v.hee;
    u.hes = -2.0 * v.hel;
    u.hss = 4.0 * v.hll;
    u.fee = v.fee;
    u.fss = 4.0 * v.hll;
    return u;
  }
  if (dist_ == ScaleDist::gamma || dist_ == ScaleDist::inverse_gaussian) {
    if (!link_valid(link_, eta)) {
      u.loss = INF;
      return u;
    }
    const LinkValues lv = link_values(link_, eta);
    positive_unit(y, lv.mu, s, derivs, u);
    if (!derivs || !std::isfinite(u.loss) || link_ == Link::identity) return u;
    u.hee = u.hee * lv.d1 * lv.d1 + u.de * lv.d2;
    u.de *= lv.d1;
    u.hes *= lv.d1;
    u.fee *= lv.d1 * lv.d1;
    return u;
  }
  const LinkValues lv = link_values(link_, eta);
  location_unit(y, lv.mu, s, tc, derivs, u);
  if (!derivs || link_ == Link::identity) return u;
  // the location's link by the chain rule
  u.hee = u.hee * lv.d1 * lv.d1 + u.de * lv.d2;
  u.de *= lv.d1;
  u.hes *= lv.d1;
  u.hel *= lv.d1;
  u.fee *= lv.d1 * lv.d1;
  return u;
}

double LocationScale::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                                 Curv mode) const {
  const Index len = rb.len;
  const double* yy = y.y + rb.start;
  const double* eta = rb.eta;
  const double* sl = rb.eta + len;
  const double* ll = est_df_ ? rb.eta + 2 * len : nullptr;
  const bool fisher = mode == Curv::fisher;
  TConstants tc = tc_;
  double last_l = NAN;  // the df block has one value for every row: its constants are computed once
  double sum = 0.0;
  for (Index i = 0; i < len; ++i) {
    const double w = rb.w[i];
    if (w == 0.0) {
      zero_row(i, len, grad, curv);
      continue;
    }
    if (est_df_ && !(ll[i] == last_l)) {
      const double nu = std::exp(ll[i]);
      if (!(nu > 0.0) || !std::isfinite(nu)) return INF;
      tc = t_constants(nu);
      last_l = ll[i];
    }
    const ScaleUnit u = unit(yy[i], eta[i], sl[i], tc, grad != nullptr);
    sum += w * u.loss;
    if (!grad) continue;
    grad[i] = w * u.de;
    grad[len + i] = w * u.ds;
    if (est_df_) grad[2 * len + i] = w * u.dl;
    if (!curv) continue;
    // pairs in the order of dense_pairs(): (0,0) (0,1) [(0,2)] (1,1) [(1,2) (2,2)]
    if (est_df_) {
      const double v[6] = {fisher ? u.fee : u.hee, fisher ? u.fes : u.hes, fisher ? u.fel : u.hel,
                           fisher ? u.fss : u.hss, fisher ? u.fsl : u.hsl, fisher ? u.fll : u.hll};
      for (int q = 0; q < 6; ++q) curv[q * len + i] = w * v[q];
    } else {
      curv[i] = w * (fisher ? u.fee : u.hee);
      curv[len + i] = w * (fisher ? u.fes : u.hes);
      curv[2 * len + i] = w * (fisher ? u.fss : u.hss);
    }
  }
  return sum;
}

}  // namespace gradglm
