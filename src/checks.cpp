// Quick one-pass checks of R's data for the input validation of R/checks.R.
#include <Rcpp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "kernels.h"

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
    const double s = std::abs(w[i] * y[i]);
    // |s - round(s)| from the fraction s - trunc(s) (a conversion to an integer,
    // not a call of the library's rounding); doubles from 2^52 up are whole, and
    // a product that is not finite counts as whole (as NaN did in the max before)
    if (s < 4503599627370496.0) {
      const double f = s - (double)(long long)s;
      m = std::max(m, std::min(f, 1.0 - f));
    }
  }
  return m;
}

namespace {

// whether every value of the column c (n values) is finite (1 or 0) and its
// largest absolute value (src/kernels.h)
void column_range(const double* c, R_xlen_t n, double* o) {
  double bad = 0.0, mx = 0.0;
  gradglm::column_range(c, (gradglm::Index)n, bad, mx);
  o[0] = bad == 0.0 ? 1.0 : 0.0;
  o[1] = mx;
}

}  // namespace

// Per column of x (a matrix, or a vector as one column): whether every value
// is finite and the largest absolute value (a 2 x ncol matrix). One pass, no
// copy, the columns shared among `threads` threads.
// [[Rcpp::export]]
Rcpp::NumericMatrix column_ranges(const Rcpp::NumericVector& x, int threads = 1) {
  const R_xlen_t len = Rf_xlength(x);
  const int ncol = Rf_isMatrix(x) ? Rf_ncols(x) : 1;
  const R_xlen_t n = ncol > 0 ? len / ncol : 0;
  Rcpp::NumericMatrix out(2, ncol);
  const double* p = x.begin();
  double* o = out.begin();
  const int T = std::max(1, std::min(threads, ncol));
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1 && len >= 100000)
#endif
  for (int j = 0; j < ncol; ++j) column_range(p + (R_xlen_t)j * n, n, o + 2 * j);
  (void)T;
  return out;
}

// The same for a design given as a list of columns (gradglm()'s, from the
// model frame): each element a double vector (one column), a double matrix
// (its columns) or NULL (a column of ones), all of n rows; the columns of
// every element shared among the threads. NULL when some element is of
// another type (the caller then takes them one at a time).
// [[Rcpp::export]]
SEXP column_list_ranges(const Rcpp::List& columns, double n, int threads = 1) {
  std::vector<const double*> cols;  // (nullptr: a column of ones)
  for (R_xlen_t e = 0; e < columns.size(); ++e) {
    SEXP col = columns[e];
    if (Rf_isNull(col)) {
      cols.push_back(nullptr);
      continue;
    }
    if (TYPEOF(col) != REALSXP) return R_NilValue;
    const int k = Rf_isMatrix(col) ? Rf_ncols(col) : 1;
    if ((double)Rf_xlength(col) != n * k) return R_NilValue;
    for (int j = 0; j < k; ++j) cols.push_back(REAL(col) + (R_xlen_t)j * (R_xlen_t)n);
  }
  const int ncol = (int)cols.size();
  Rcpp::NumericMatrix out(2, ncol);
  double* o = out.begin();
  const R_xlen_t rows = (R_xlen_t)n;
  const int T = std::max(1, std::min(threads, ncol));
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic) num_threads(T) if (T > 1 && (double)rows * ncol >= 100000)
#endif
  for (int j = 0; j < ncol; ++j) {
    if (cols[j] == nullptr) {
      o[2 * j] = o[2 * j + 1] = 1.0;
    } else {
      column_range(cols[j], rows, o + 2 * j);
    }
  }
  (void)T;
  return out;
}

// sum(x > 0) without its logical temporary (NA not counted): an integer, as
// sum() of a logical vector gives it (a double beyond the integers' range)
// [[Rcpp::export]]
SEXP count_positive(const Rcpp::NumericVector& x) {
  R_xlen_t k = 0;
  for (R_xlen_t i = 0; i < x.size(); ++i) k += x[i] > 0.0;
  return k <= INT_MAX ? Rf_ScalarInteger((int)k) : Rf_ScalarReal((double)k);
}

// sum(w * y) without its temporary: each product in double, the sum in long
// double, as R's sum() adds
// [[Rcpp::export]]
double weighted_total(const Rcpp::NumericVector& w, const Rcpp::NumericVector& y) {
  if (w.size() != y.size()) Rcpp::stop("weighted_total: the vectors differ in length");
  // (four sums side by side, so that the additions in long double need not
  // wait for each other; their rounding is far below a double's)
  long double s[4] = {0.0, 0.0, 0.0, 0.0};
  const R_xlen_t n = y.size();
  R_xlen_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s[0] += w[i] * y[i];
    s[1] += w[i + 1] * y[i + 1];
    s[2] += w[i + 2] * y[i + 2];
    s[3] += w[i + 3] * y[i + 3];
  }
  for (; i < n; ++i) s[0] += w[i] * y[i];
  return (double)((s[0] + s[1]) + (s[2] + s[3]));
}
