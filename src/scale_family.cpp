#include "scale_family.h"

#include <Rcpp.h>

#include <cmath>
#include <stdexcept>

#include "family.h"

namespace gradglm {

namespace {
const double LOG_2PI = 1.8378770664093454836;
const double LOG_2 = 0.69314718055994530942;
// beyond this |z|, z^2 is not formed (it could overflow)
const double BIG_Z = 1e150;
}  // namespace

ScaleFamily::ScaleFamily(int dist_code, int link_code) : link_(link_code) {
  if (dist_code != 1 && dist_code != 4 && dist_code != 5) {
    throw std::invalid_argument("unknown location-scale distribution code " + std::to_string(dist_code));
  }
  if (link_code != 1 && link_code != 5) {
    throw std::invalid_argument("the location link must be identity (1) or log (5)");
  }
  dist_ = static_cast<ScaleDist>(dist_code);
  if (dist_ == ScaleDist::student_t) set_df(1.0);
}

std::string ScaleFamily::name() const {
  const char* d = dist_ == ScaleDist::gaussian ? "gaussian" : dist_ == ScaleDist::laplace ? "laplace" : "student_t";
  return std::string(d) + (link_ == 1 ? "(identity)" : "(log)");
}

void ScaleFamily::set_df(double nu) {
  if (!(nu > 0.0) || !std::isfinite(nu)) throw std::invalid_argument("df must be positive and finite");
  nu_ = nu;
  // C(nu) = lgamma(nu/2) - lgamma((nu+1)/2) + log(nu pi)/2 = lbeta(nu/2, 1/2) + log(nu)/2,
  // accurate for large nu, where the two lgamma terms would cancel
  c0_ = R::lbeta(nu / 2.0, 0.5) + 0.5 * std::log(nu);
  if (nu > 1e4) {
    // asymptotic series: the digamma and trigamma differences cancel here
    const double i1 = 1.0 / nu, i2 = i1 * i1;
    c1_ = -0.25 * i2 + 0.125 * i2 * i2;
    c2_ = 0.5 * i2 * i1 - 0.5 * i2 * i2 * i1;
    inu_ = 3.5 * i2 * i2 * (1.0 - 3.7 * i1);
  } else {
    const double dtri = R::trigamma(nu / 2.0) - R::trigamma((nu + 1.0) / 2.0);
    c1_ = 0.5 * (R::digamma(nu / 2.0) - R::digamma((nu + 1.0) / 2.0)) + 0.5 / nu;
    c2_ = 0.25 * dtri - 0.5 / (nu * nu);
    inu_ = 0.25 * dtri - (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0));
  }
}

double ScaleFamily::linkinv(double eta) const { return link_ == 1 ? eta : safe_exp(eta); }
double ScaleFamily::mu_eta(double eta) const { return link_ == 1 ? 1.0 : safe_exp(eta); }

// Derivatives with respect to mu (stored in the e-slots), s and l.
void ScaleFamily::location_unit(double y, double mu, double s, bool derivs, ScaleUnit& u) const {
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
      const double rho = d > 0.0 ? std::hypot(z, d) : std::abs(z);
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
      const double nu = nu_;
      const bool big = !(std::abs(z) < BIG_Z);
      const double zz = big ? 0.0 : z * z;
      // log1p(z^2 / nu), without forming z^2 when it could overflow
      const double L = big ? 2.0 * (std::log(std::abs(r)) - s) - std::log(nu) : std::log1p(zz / nu);
      u.loss = c0_ + s + 0.5 * (nu + 1.0) * L;
      if (!derivs) return;
      const double q = big ? 0.0 : 1.0 / (nu + zz);  // 1 / (nu + z^2)
      const double frac = big ? 1.0 : zz * q;        // z^2 / (nu + z^2)
      const double g = big ? 1.0 / z : z * q;         // z / (nu + z^2)
      u.de = -(nu + 1.0) * g * inv;
      u.ds = 1.0 - (nu + 1.0) * frac;
      u.dl = nu * c1_ + 0.5 * nu * L - 0.5 * (nu + 1.0) * frac;
      u.hee = (nu + 1.0) * inv * inv * (nu * q - frac) * q;
      u.hes = 2.0 * nu * (nu + 1.0) * inv * g * q;
      u.hss = 2.0 * nu * (nu + 1.0) * frac * q;
      u.hel = nu * inv * g * (q - frac);
      u.hsl = nu * frac * (q - frac);
      u.hll = u.dl + nu * nu * c2_ + 0.5 * frac * (2.0 * nu * q + frac * (1.0 - nu));
      u.fee = (nu + 1.0) / (nu + 3.0) * inv * inv;
      u.fss = 2.0 * nu / (nu + 3.0);
      u.fsl = -2.0 * nu / ((nu + 3.0) * (nu + 1.0));
      u.fll = nu * nu * inu_;
      return;
    }
  }
}

ScaleUnit ScaleFamily::unit(double y, double eta, double s, bool derivs) const {
  ScaleUnit u;
  const double mu = linkinv(eta);
  location_unit(y, mu, s, derivs, u);
  if (!derivs || link_ == 1) return u;
  // log link: mu' = mu'' = mu
  const double m1 = mu;
  u.hee = u.hee * m1 * m1 + u.de * m1;
  u.de *= m1;
  u.hes *= m1;
  u.hel *= m1;
  u.fee *= m1 * m1;
  return u;
}

}  // namespace gradglm
