#include "links.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "special.h"

namespace gradglm {

Link link_from_code(int code) {
  if (code < 1 || code > 10) throw std::invalid_argument("unknown link code " + std::to_string(code));
  return static_cast<Link>(code);
}

std::string link_name(Link link) {
  static const char* names[] = {"",    "identity", "logit",   "probit",  "cloglog",
                                "log", "sqrt",     "inverse", "cauchit", "1/mu^2", "power", "custom"};
  return names[static_cast<int>(link)];
}

double safe_exp(double x) { return std::exp(x < EXP_CAP ? x : EXP_CAP); }

double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

bool link_valid(Link link, double eta) {
  switch (link) {
    case Link::sqrt:
    case Link::inverse_square:
    case Link::power: return eta > 0.0;
    case Link::inverse: return eta != 0.0 && std::isfinite(eta);
    default: return !std::isnan(eta);
  }
}

LinkValues link_values(Link link, double eta, double power) {
  switch (link) {
    case Link::power: {
      // mu = eta^(1 / lambda) for eta > 0
      const double r = 1.0 / power;
      const double mu = std::pow(eta, r);
      const double d1 = r * mu / eta;
      return LinkValues{mu, d1, (r - 1.0) * d1 / eta};
    }
    case Link::identity: return LinkValues{eta, 1.0, 0.0};
    case Link::logit: {
      const double e = std::exp(-std::abs(eta));
      const double big = 1.0 / (1.0 + e), small = e / (1.0 + e);  // sigmoid(|eta|), sigmoid(-|eta|)
      const double mu = eta >= 0.0 ? big : small;
      const double d1 = big * small;
      return LinkValues{mu, d1, d1 * (1.0 - 2.0 * mu)};
    }
    case Link::probit: {
      const double d = special::dnorm(eta);
      return LinkValues{special::pnorm(eta), d, -eta * d};
    }
    case Link::cloglog: {
      const double t = safe_exp(eta);
      const double d1 = std::exp(std::min(eta, EXP_CAP) - t);
      return LinkValues{-std::expm1(-t), d1, d1 * (1.0 - t)};
    }
    case Link::log: {
      const double mu = safe_exp(eta);
      return LinkValues{mu, mu, mu};
    }
    case Link::sqrt: return LinkValues{eta * eta, 2.0 * eta, 2.0};
    case Link::inverse: {
      const double mu = 1.0 / eta;
      return LinkValues{mu, -mu * mu, 2.0 * mu * mu * mu};
    }
    case Link::cauchit: {
      const double q = 1.0 + eta * eta;
      return LinkValues{special::pcauchy(eta), 1.0 / (PI * q), -2.0 * eta / (PI * q * q)};
    }
    case Link::inverse_square: {
      const double mu = 1.0 / std::sqrt(eta);  // eta > 0
      const double d1 = -0.5 * mu / eta;
      return LinkValues{mu, d1, -1.5 * d1 / eta};
    }
    case Link::custom: break;  // evaluated in R a block at a time (CustomLink), never here
  }
  return LinkValues{NAN, NAN, NAN};
}

double linkinv(Link link, double eta, double power) { return link_values(link, eta, power).mu; }
double mu_eta(Link link, double eta, double power) { return link_values(link, eta, power).d1; }

double linkfun(Link link, double mu, double power) {
  switch (link) {
    case Link::power: return std::pow(mu, power);
    case Link::identity: return mu;
    case Link::logit: return std::log(mu / (1.0 - mu));
    case Link::probit: return special::qnorm(mu);
    case Link::cloglog: return std::log(-std::log1p(-mu));
    case Link::log: return std::log(mu);
    case Link::sqrt: return std::sqrt(mu);
    case Link::inverse: return 1.0 / mu;
    case Link::cauchit: return special::qcauchy(mu);
    case Link::inverse_square: return 1.0 / (mu * mu);
    case Link::custom: break;  // evaluated in R (CustomLink), never here
  }
  return NAN;
}

}  // namespace gradglm
