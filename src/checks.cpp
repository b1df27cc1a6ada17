// Quick one-pass checks of R's data for the input validation of R/checks.R.
#include <Rcpp.h>

#include <cmath>

// Index (1-based) of the first column of x whose elements are all 1, or 0.
// [[Rcpp::export]]
int intercept_column(const Rcpp::NumericMatrix& x) {
  const R_xlen_t n = x.nrow();
  for (int j = 0; j < x.ncol(); ++j) {
    const double* c = x.begin() + (R_xlen_t)j * n;
    bool ones = n > 0;
    for (R_xlen_t i = 0; i < n && ones; ++i) ones = c[i] == 1.0;
    if (ones) return j + 1;
  }
  return 0;
}

// max_i |w_i y_i - round(w_i y_i)|: how far the binomial successes are from
// whole numbers (one pass, no temporary vectors)
// [[Rcpp::export]]
double max_nonwhole(const Rcpp::NumericVector& w, const Rcpp::NumericVector& y) {
  double m = 0.0;
  for (R_xlen_t i = 0; i < y.size(); ++i) {
    const double s = w[i] * y[i];
    m = std::max(m, std::abs(s - std::nearbyint(s)));
  }
  return m;
}

// TRUE when no element of x is NA, NaN or infinite: one pass, no copy.
// [[Rcpp::export]]
bool all_finite(const Rcpp::NumericVector& x) {
  // x * 0 is 0 for finite x and NaN for NA, NaN or +-Inf; the sum is NaN
  // exactly when some element is not finite (eight independent sums, so
  // that the additions do not wait on each other; a loop the compiler vectorises)
  const double* p = x.begin();
  const R_xlen_t n = Rf_xlength(x);
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  R_xlen_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += p[i + k] * 0.0;
  }
  for (; i < n; ++i) s[0] += p[i] * 0.0;
  double total = 0.0;
  for (int k = 0; k < 8; ++k) total += s[k];
  return total == 0.0;
}
