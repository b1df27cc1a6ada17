#include "categorical.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "special.h"

namespace gradglm {

// ---------------------------------------------------------------------------
// multinomial

Multinomial::Multinomial(int classes, bool symmetric)
    : Likelihood(symmetric ? classes : classes - 1), L_(classes), symmetric_(symmetric) {
  if (classes < 2) throw std::invalid_argument("a multinomial response needs at least 2 classes");
  dense_pairs();
}

double Multinomial::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                               Curv mode) const {
  (void)mode;  // canonical: the observed curvature is Fisher's
  const int K = k_;
  const Index len = rb.len;
  const bool codes = y.m == 1;
  if (!codes && y.m != L_) throw std::invalid_argument("the multinomial response has the wrong number of columns");
  std::vector<double> p(K), yk(K);
  double sum = 0.0;
  for (Index i = 0; i < len; ++i) {
    const double w = rb.w[i];
    const Index row = rb.start + i;
    if (w == 0.0) {
      zero_row(i, len, grad, curv);
      continue;
    }
    // log-sum-exp over (0, eta_1, ..., eta_K) (symmetric: over eta_1, ...,
    // eta_L) after subtracting the largest
    const int shift = symmetric_ ? 0 : 1;  // the class of predictor k is k + shift
    double m = symmetric_ ? -std::numeric_limits<double>::infinity() : 0.0;
    for (int k = 0; k < K; ++k) m = std::max(m, rb.eta[k * len + i]);
    double se = symmetric_ ? 0.0 : std::exp(-m);
    for (int k = 0; k < K; ++k) {
      p[k] = std::exp(rb.eta[k * len + i] - m);
      se += p[k];
    }
    const double lse = m + std::log(se);
    double loss = lse;
    if (codes) {
      const int c = (int)y.y[row];
      for (int k = 0; k < K; ++k) yk[k] = (k + shift == c) ? 1.0 : 0.0;
      if (c >= shift) loss -= rb.eta[(c - shift) * len + i];
    } else {
      if (!symmetric_) loss += xlogx(y.at(row, 0));
      for (int k = 0; k < K; ++k) {
        yk[k] = y.at(row, k + shift);
        loss += xlogx(yk[k]) - yk[k] * rb.eta[k * len + i];
      }
    }
    sum += w * loss;
    if (!grad) continue;
    for (int k = 0; k < K; ++k) {
      p[k] /= se;
      grad[k * len + i] = w * (p[k] - yk[k]);
    }
    if (!curv) continue;
    // H_kl = p_k (delta_kl - p_l), pairs in the order of dense_pairs()
    size_t q = 0;
    for (int a = 0; a < K; ++a)
      for (int b = a; b < K; ++b) curv[(q++) * len + i] = w * p[a] * ((a == b ? 1.0 : 0.0) - p[b]);
  }
  return sum;
}

// ---------------------------------------------------------------------------
// ordinal

Ordinal::Ordinal(int classes, int link_code) : Likelihood(classes), L_(classes) {
  if (classes < 2) throw std::invalid_argument("an ordinal response needs at least 2 classes");
  if (link_code < 1 || link_code > 5) throw std::invalid_argument("unknown ordinal link code");
  link_ = static_cast<CumLink>(link_code);
  // the pairs with a non-zero curvature
  pairs_.push_back(std::make_pair(0, 0));
  c0k_.assign(L_, -1);
  ckk_.assign(L_, -1);
  ckk1_.assign(L_, -1);
  for (int k = 1; k < L_; ++k) {
    c0k_[k] = (int)pairs_.size();
    pairs_.push_back(std::make_pair(0, k));
  }
  for (int k = 1; k < L_; ++k) {
    ckk_[k] = (int)pairs_.size();
    pairs_.push_back(std::make_pair(k, k));
    if (k + 1 < L_) {
      ckk1_[k] = (int)pairs_.size();
      pairs_.push_back(std::make_pair(k, k + 1));
    }
  }
}

double Ordinal::log_cdf(double x) const {
  switch (link_) {
    case CumLink::logit: return -special::log1pexp(-x);
    case CumLink::probit: return special::log_pnorm(x);
    // log(1 - exp(-e^x)); far in the lower tail e^x is tiny: log(t) - t/2 with t = e^x
    case CumLink::cloglog: return x < -30.0 ? x - 0.5 * std::exp(x) : special::log1mexp(std::exp(x));
    case CumLink::loglog: return -std::exp(-x);
    case CumLink::cauchit: return std::log(special::pcauchy(x));
  }
  return NAN;
}

double Ordinal::log_surv(double x) const {
  switch (link_) {
    case CumLink::logit: return -special::log1pexp(x);
    case CumLink::probit: return special::log_pnorm_upper(x);
    case CumLink::cloglog: return -std::exp(x);
    case CumLink::loglog: return x > 30.0 ? -x - 0.5 * std::exp(-x) : special::log1mexp(std::exp(-x));
    case CumLink::cauchit: return std::log(special::pcauchy(-x));
  }
  return NAN;
}

double Ordinal::log_dens(double x) const {
  switch (link_) {
    case CumLink::logit: return -std::abs(x) - 2.0 * std::log1p(std::exp(-std::abs(x)));
    case CumLink::probit: return special::log_dnorm(x);
    case CumLink::cloglog: return x - std::exp(x);
    case CumLink::loglog: return -x - std::exp(-x);
    case CumLink::cauchit: return -std::log(PI * (1.0 + x * x));
  }
  return NAN;
}

double Ordinal::dens_slope(double x) const {
  switch (link_) {
    case CumLink::logit: return -std::tanh(0.5 * x);  // 1 - 2 F(x)
    case CumLink::probit: return -x;
    case CumLink::cloglog: return 1.0 - std::exp(x);
    case CumLink::loglog: return std::exp(-x) - 1.0;
    case CumLink::cauchit: return -2.0 * x / (1.0 + x * x);
  }
  return NAN;
}

double Ordinal::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                           Curv mode) const {
  (void)mode;  // the observed curvature (log-concave F: positive semi-definite)
  const Index len = rb.len;
  double sum = 0.0;
  for (Index i = 0; i < len; ++i) {
    const double w = rb.w[i];
    zero_row(i, len, grad, curv);  // the ordinal curvature is sparse: most pairs stay 0
    if (w == 0.0) continue;
    const int j = (int)y.y[rb.start + i];
    const double eta = rb.eta[i];
    // class j lies between cut-points j - 1 and j (predictors j and j + 1)
    const bool has_u = j < L_ - 1, has_l = j > 0;
    const double u = has_u ? rb.eta[(j + 1) * len + i] - eta : INF;
    const double l = has_l ? rb.eta[j * len + i] - eta : -INF;
    double logp;
    if (!has_l) {
      logp = log_cdf(u);
    } else if (!has_u) {
      logp = log_surv(l);
    } else if (!(u > l)) {
      return INF;  // the cut-points are out of order
    } else if (l >= 0.0) {
      const double sl = log_surv(l);
      logp = sl + special::log1mexp(sl - log_surv(u));
    } else {
      const double fu = log_cdf(u);
      logp = fu + special::log1mexp(fu - log_cdf(l));
    }
    if (!(logp > -INF)) return INF;
    sum += -w * logp;
    if (!grad) continue;
    const double ru = has_u ? std::exp(log_dens(u) - logp) : 0.0;  // f(u) / P
    const double rl = has_l ? std::exp(log_dens(l) - logp) : 0.0;  // f(l) / P
    grad[i] = w * (ru - rl);
    if (has_u) grad[(j + 1) * len + i] = -w * ru;
    if (has_l) grad[j * len + i] = w * rl;
    if (!curv) continue;
    const double Luu = has_u ? ru * (ru - dens_slope(u)) : 0.0;
    const double Lll = has_l ? rl * (rl + dens_slope(l)) : 0.0;
    const double Lul = -ru * rl;
    curv[i] = w * (Luu + 2.0 * Lul + Lll);
    if (has_u) {
      curv[c0k_[j + 1] * len + i] = -w * (Luu + Lul);
      curv[ckk_[j + 1] * len + i] = w * Luu;
    }
    if (has_l) {
      curv[c0k_[j] * len + i] = -w * (Lul + Lll);
      curv[ckk_[j] * len + i] = w * Lll;
    }
    if (has_u && has_l) curv[ckk1_[j] * len + i] = w * Lul;
  }
  return sum;
}

}  // namespace gradglm
