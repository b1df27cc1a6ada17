// The summaries glm reports of a fitted GLM that need a pass over its n
// fitted means (the deviance, the null deviance, the AIC), in one threaded
// pass for the families that dominate large fits, with R's own formulas
// (stats' dev.resids and aic); R/model-glm.R computes the others.
#include <Rcpp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "deferred.h"

namespace {

// y log(y / mu), 0 for y = 0
inline double ylogy(double y, double mu) { return y > 0.0 ? y * std::log(y / mu) : 0.0; }

// a unit deviance (before the prior weight) of binomial (2), poisson (3) or gaussian (1)
inline double unit_deviance(int dist, double y, double mu) {
  switch (dist) {
    case 1: return (y - mu) * (y - mu);
    case 2: return 2.0 * (ylogy(y, mu) + ylogy(1.0 - y, 1.0 - mu));
    default: {
      // as y log(1 + (y - mu) / mu) - (y - mu): without the cancellation of
      // y log(y / mu) - (y - mu) for large counts
      const double d = y - mu;
      return 2.0 * (y > 0.0 ? y * std::log1p(d / mu) - d : mu);
    }
  }
}

// Stirling's error log(y!) - log(sqrt(2 pi y) (y / e)^y) for a whole y >= 1:
// a table below 1024 (made once, before any thread uses it), the series
// above (its terms below 1e-20 there)
const std::vector<double>& stirling_errors() {
  static const std::vector<double> table = [] {
    std::vector<double> t(1024, 0.0);
    long double lf = 0.0L;  // log(y!)
    for (int k = 1; k < 1024; ++k) {
      lf += std::log((long double)k);
      t[k] = (double)(lf - ((long double)k + 0.5L) * std::log((long double)k) + (long double)k -
                      0.918938533204672741780329736406L);
    }
    return t;
  }();
  return table;
}

inline double stirling_error(double y, const std::vector<double>& table) {
  if (y < 1024.0) return table[(size_t)y];
  const double y2 = y * y;
  return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * y2)) / y2) / y2) / y;
}

}  // namespace

// For gaussian (dist 1), binomial (2) and poisson (3) fits: the deviance at
// mu (NA unless `deviance`), the null deviance at the constant null_mu (NA when null_mu is NA), and
// -2 log-likelihood where it is cheap here (binomial with 0/1 responses,
// unit weights and one trial each: the deviance, and `binary` = 1; other
// binomial fits by stats' binomial()$aic; poisson with whole counts; else NA,
// for R's family$aic).
//
// stats' binomial()$aic is -2 sum (w_i / m_i) log dbinom(k_i; N_i, mu_i) over
// the rows with m_i > 0, where m_i is the number of trials when some row has
// more than one, else the prior weight, N_i = round(m_i) and k_i =
// round(m_i y_i). With d the unit deviance at k/N and Stirling's errors
// s(N) - s(k) - s(N - k) = S,
//   -2 log dbinom(k; N, mu) = N d(k / N, mu) + log(2 pi k (N - k) / N) - 2 S
// (the last two terms only for 0 < k < N, where the binomial coefficient is
// not 1), the same split as for the poisson, which keeps the digits of large N.
// A fit's deferred fitted means (deferred.h) are read from its predictors,
// without computing the vector.
// [[Rcpp::export]]
Rcpp::NumericVector glm_sums(SEXP y_r, SEXP mu,
                             SEXP w_r, const Rcpp::NumericVector& trials, int dist, double null_mu,
                             int threads = 1, bool deviance = true) {
  // (an integer response, its integers; unit weights, without their memory: deferred.h)
  const gradglm::NumberReader Y(y_r), w(w_r);
  const R_xlen_t n = Y.size();
  const gradglm::NumberReader M(mu, "glm_sums: mu must be double");
  // (binomial trials: one per row, or none for one trial each)
  if (M.size() != n || w.size() != n || (dist == 2 && trials.size() != n && trials.size() != 0) || dist < 1 ||
      dist > 3) {
    throw std::invalid_argument("glm_sums: y, mu, weights (and trials) must have the same length");
  }
  std::vector<double> wb;
  const double *W = w.rows(0, n, wb),
               *Tr = dist == 2 && trials.size() ? trials.begin() : nullptr;
  const bool with_null = !ISNAN(null_mu);
  // (binomial 0/1 responses: their null unit deviances are two constants)
  const double null0 = dist == 2 && with_null ? unit_deviance(2, 0.0, null_mu) : 0.0;
  const double null1 = dist == 2 && with_null ? unit_deviance(2, 1.0, null_mu) : 0.0;
  const bool need_ud = deviance || dist == 3;
  const std::vector<double>& table = stirling_errors();
  // (binomial: m is the number of trials when some row has more than one)
  bool by_trials = false;
  if (Tr) {
    for (R_xlen_t i = 0; i < n && !by_trials; ++i) by_trials = Tr[i] > 1.0;
  }
  double dev = 0.0, null_dev = 0.0, minus2ll = 0.0, odd = 0.0, binom_odd = 0.0;
  const int T = std::max(1, threads);
  if (dist == 2) {
    // the rows outside the shortcut's conditions (0/1 responses, unit weights,
    // one trial each), first: without them the binomial -2 log-likelihood
    // (a log a row) is the deviance, and is not summed below
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1 && n >= 100000) reduction(+ : odd)
#endif
    for (R_xlen_t i = 0; i < n; ++i) {
      const double yi = Y[i];
      odd += (W[i] == 1.0 && (!Tr || Tr[i] == 1.0) && (yi == 0.0 || yi == 1.0)) ? 0.0 : 1.0;
    }
  }
  const bool binomial_m2ll = dist == 2 && odd > 0.0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1 && n >= 100000) \
    reduction(+ : dev, null_dev, minus2ll, odd, binom_odd)
#endif
  for (R_xlen_t i = 0; i < n; ++i) {
    const double wi = W[i], yi = Y[i];
    const double ud = need_ud ? unit_deviance(dist, yi, M[i]) : 0.0;
    dev += wi * ud;
    if (with_null) {
      null_dev += wi * (dist == 2 && yi == 0.0 ? null0 : dist == 2 && yi == 1.0 ? null1 : unit_deviance(dist, yi, null_mu));
    }
    if (binomial_m2ll) {
      const double m = by_trials ? Tr[i] : wi;
      if (m > 0.0) {
        const double N = std::nearbyint(m), k = std::nearbyint(m * yi);
        if (N > 0.0) {
          if (!(k >= 0.0 && k <= N && N < 1e15)) {
            binom_odd += 1.0;  // (R's formula decides)
          } else {
            double term = N * unit_deviance(2, k / N, M[i]);
            if (k > 0.0 && k < N) {
              term += std::log(6.283185307179586477 * k * (N - k) / N) -
                      2.0 * (stirling_error(N, table) - stirling_error(k, table) - stirling_error(N - k, table));
            }
            minus2ll += wi / m * term;
          }
        }
      }
    } else if (dist == 3) {
      if (yi >= 0.0 && yi == std::floor(yi) && yi < 1e15) {
        // -log dpois(y; mu) = mu - y log mu + log y!, written as the half unit
        // deviance y log(y / mu) - (y - mu) plus log y! - y log y + y (Stirling's
        // terms), so that counts of 1e9 do not cancel digits away
        const double stirling = yi > 0.0 ? stirling_error(yi, table) + 0.5 * std::log(6.283185307179586477 * yi) : 0.0;
        minus2ll += wi * (ud + 2.0 * stirling);
      } else {
        odd += 1.0;
      }
    }
  }
  (void)T;
  double aic = NA_REAL;
  if (dist == 2) aic = odd == 0.0 ? (deviance ? dev : NA_REAL) : binom_odd == 0.0 ? minus2ll : NA_REAL;
  if (dist == 3 && odd == 0.0) aic = minus2ll;
  return Rcpp::NumericVector::create(Rcpp::Named("deviance") = deviance ? dev : NA_REAL,
                                     Rcpp::Named("null_deviance") = with_null ? null_dev : NA_REAL,
                                     Rcpp::Named("minus2loglik") = aic,
                                     Rcpp::Named("binary") = dist == 2 && odd == 0.0 ? 1.0 : 0.0);
}
