// Quick one-pass checks of R's data for the input validation of R/checks.R.
#include <Rcpp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <vector>

#include "column_scan.h"
#include "deferred.h"
#include "fit_utils.h"
#include "huge_pages.h"
#include "parallel.h"

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
double max_nonwhole(SEXP w_r, SEXP y_r) {
  const gradglm::NumberReader w(w_r), y(y_r);
  if (w.size() != y.size()) Rcpp::stop("max_nonwhole: the vectors differ in length");
  double m = 0.0;
  const R_xlen_t n = y.size();
  for (R_xlen_t i = 0; i < n; ++i) {
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
// (rows a block of weighted_total()'s sums)
constexpr long kSumBlock = 1L << 16;

// the ranges of the design's columns, by a pass of their own on `threads` threads
Rcpp::NumericMatrix scanned_ranges(const gradglm::Design& d, int threads) {
  gradglm::ColumnScan scan(std::vector<gradglm::Design>(1, d));
  scan.run(d.rows(), threads);
  Rcpp::NumericMatrix out(2, (int)d.cols());
  std::copy(scan.ranges().begin(), scan.ranges().end(), out.begin());
  return out;
}

}  // namespace

// Per column of x (a matrix, or a vector as one column): whether every value
// is finite and the largest absolute value (a 2 x ncol matrix). One pass, no
// copy, blocks of rows shared among `threads` threads (src/column_scan.h: the
// scan the fits take in their first pass).
// [[Rcpp::export]]
Rcpp::NumericMatrix column_ranges(const Rcpp::NumericVector& x, int threads = 1) {
  const R_xlen_t len = Rf_xlength(x);
  const int ncol = Rf_isMatrix(x) ? Rf_ncols(x) : 1;
  const R_xlen_t n = ncol > 0 ? len / ncol : 0;
  return scanned_ranges(gradglm::Design::dense(x.begin(), (gradglm::Index)n, ncol), threads);
}

// The same for a design given as a list of columns (gradglm()'s, from the
// model frame): each element a double vector (one column), a double matrix
// (its columns) or NULL (a column of ones), all of n rows. NULL when some
// element is of another type (the caller then takes them one at a time).
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
  return scanned_ranges(gradglm::Design::columns((gradglm::Index)n, cols), threads);
}

// sum(x > 0) without its logical temporary (NA not counted): an integer, as
// sum() of a logical vector gives it (a double beyond the integers' range)
// [[Rcpp::export]]
SEXP count_positive(SEXP x_r) {
  R_xlen_t k = 0;
  const gradglm::NumberReader x(x_r);
  const R_xlen_t n = x.size();
  for (R_xlen_t i = 0; i < n; ++i) k += x[i] > 0.0;
  return k <= INT_MAX ? Rf_ScalarInteger((int)k) : Rf_ScalarReal((double)k);
}

// One pass over a double vector for the checks of weights, offsets and
// responses, in place of R's anyNA(), is.infinite(), min(), max() and
// range(x[x > 0]), each a pass (and most a temporary) of its own: the number
// of missing (NA or NaN), infinite, negative and positive values, the
// smallest and largest finite value (Inf and -Inf when there is none), and
// the smallest and largest finite positive value (likewise).
// [[Rcpp::export]]
Rcpp::NumericVector value_summary(SEXP x_r) {
  const gradglm::NumberReader x(x_r);
  const R_xlen_t n = x.size();
  const double inf = std::numeric_limits<double>::infinity();
  const double big = std::numeric_limits<double>::max();
  R_xlen_t na = 0, infinite = 0, neg = 0, pos = 0, finite_pos = 0;
  // (four lanes of minima and maxima, so that they need not wait for each other)
  double lo[4] = {inf, inf, inf, inf}, hi[4] = {-inf, -inf, -inf, -inf}, plo[4] = {big, big, big, big};
  for (R_xlen_t i = 0; i < n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      if (i + k >= n) break;
      const double v = x[i + k];
      if (!(std::abs(v) < inf)) {  // (rare: NA, NaN, Inf, -Inf)
        if (v != v) {
          ++na;
        } else {
          ++infinite;
          neg += v < 0.0;
          pos += v > 0.0;
        }
        continue;
      }
      // (without branches on the sign, which data of 0s and 1s would mispredict)
      const R_xlen_t is_pos = v > 0.0;
      neg += v < 0.0;
      finite_pos += is_pos;
      lo[k] = std::min(lo[k], v);
      hi[k] = std::max(hi[k], v);
      // v where it is positive, else the largest double
      plo[k] = std::min(plo[k], v * (double)is_pos + big * (double)(1 - is_pos));
    }
  }
  pos += finite_pos;
  const double lo_all = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
  const double hi_all = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
  double plo_all = std::min(std::min(plo[0], plo[1]), std::min(plo[2], plo[3]));
  // (the largest finite positive value is the largest finite value when there is one)
  const double phi = finite_pos ? hi_all : -inf;
  if (!finite_pos) plo_all = inf;
  return Rcpp::NumericVector::create(
      Rcpp::Named("na") = (double)na, Rcpp::Named("infinite") = (double)infinite, Rcpp::Named("negative") = (double)neg,
      Rcpp::Named("positive") = (double)pos, Rcpp::Named("min") = lo_all, Rcpp::Named("max") = hi_all,
      Rcpp::Named("min_positive") = plo_all, Rcpp::Named("max_positive") = phi);
}

// sum(w * y) without its temporary: each product in double, the sum in long
// double, as R's sum() adds; blocks of rows on `threads` threads, each
// block's sum added in long double in the blocks' order
// [[Rcpp::export]]
double weighted_total(SEXP w_r, SEXP y_r, int threads = 1) {
  const gradglm::NumberReader w(w_r), y(y_r);
  if (w.size() != y.size()) Rcpp::stop("weighted_total: the vectors differ in length");
  const R_xlen_t n = y.size();
  const long B = kSumBlock;
  std::vector<long double> part((size_t)((n + B - 1) / B), 0.0L);
  gradglm::for_blocks((long)n, B, gradglm::threads_for((long)n, threads), [&](int, long start, long len) {
    // (four sums side by side, so that the additions in long double need not
    // wait for each other; their rounding is far below a double's)
    long double s[4] = {0.0L, 0.0L, 0.0L, 0.0L};
    std::vector<double> wb, yb;
    const double *wp = w.rows(start, len, wb), *yp = y.rows(start, len, yb);
    long i = 0;
    for (; i + 4 <= len; i += 4) {
      s[0] += wp[i] * yp[i];
      s[1] += wp[i + 1] * yp[i + 1];
      s[2] += wp[i + 2] * yp[i + 2];
      s[3] += wp[i + 3] * yp[i + 3];
    }
    for (; i < len; ++i) s[0] += wp[i] * yp[i];
    part[(size_t)(start / B)] = (s[0] + s[1]) + (s[2] + s[3]);
  });
  long double total = 0.0L;
  for (const long double v : part) total += v;
  return (double)total;
}

// The sums of a chunk's response that a chunked fit adds up (chunk_sums() in
// R/fit-source.R), in one pass and without R's temporaries: the number of
// positive weights, sum(w), sum(w * y), sum(w * y^2), sum(w * offset) (0
// without an offset), and sum(w * (y - m)^2) about the chunk's weighted mean
// m = sum(w * y) / sum(w) (0 when sum(w) is 0). The products are rounded as
// R rounds them and summed in long double as R's sum() sums, so that the
// results are R's to the last bit.
// [[Rcpp::export]]
Rcpp::NumericVector response_sums(const Rcpp::NumericVector& y, const Rcpp::NumericVector& w, SEXP offset) {
  const R_xlen_t n = y.size();
  if (w.size() != n) Rcpp::stop("response_sums: y and w differ in length");
  const double* off = nullptr;
  if (!Rf_isNull(offset)) {
    if (TYPEOF(offset) != REALSXP || Rf_xlength(offset) != n) Rcpp::stop("response_sums: a bad offset");
    off = REAL(offset);
  }
  R_xlen_t ok = 0;
  long double sw = 0.0L, swy = 0.0L, swyy = 0.0L, swo = 0.0L;
  for (R_xlen_t i = 0; i < n; ++i) {
    const double wi = w[i], yi = y[i];
    ok += wi > 0.0;
    sw += wi;
    swy += (double)(wi * yi);
    swyy += (double)(wi * (double)(yi * yi));
    if (off) swo += (double)(wi * off[i]);
  }
  const double wk = (double)sw, sk = (double)swy;
  long double ss = 0.0L;
  if (wk > 0.0) {
    const double m = sk / wk;
    for (R_xlen_t i = 0; i < n; ++i) {
      const double d = y[i] - m;
      ss += (double)(w[i] * (double)(d * d));
    }
  }
  return Rcpp::NumericVector::create((double)ok, wk, sk, (double)swyy, (double)swo, (double)ss);
}

// A binomial chunk's sums (chunk_add_binomial()): whether its rows are all
// 0/1 responses with unit weights and trials, whether any has more than one
// trial, and sum(w y log y) + sum(w (1 - y) log(1 - y)) over the responses
// strictly between 0 and 1 (each sum as R's sum() of w * x * log(x)).
// [[Rcpp::export]]
Rcpp::NumericVector binomial_sums(const Rcpp::NumericVector& y, const Rcpp::NumericVector& w,
                                  const Rcpp::NumericVector& trials) {
  const R_xlen_t n = y.size();
  // (no trials: one each)
  const bool ones = trials.size() == 0;
  if (w.size() != n || (!ones && trials.size() != n)) Rcpp::stop("binomial_sums: the vectors differ in length");
  bool simple = true, any_trials = false, inner_y = false, inner_1y = false;
  long double a = 0.0L, b = 0.0L;
  for (R_xlen_t i = 0; i < n; ++i) {
    const double yi = y[i], wi = w[i], ti = ones ? 1.0 : trials[i];
    simple = simple && wi == 1.0 && ti == 1.0 && (yi == 0.0 || yi == 1.0);
    any_trials = any_trials || ti > 1.0;
    if (yi > 0.0 && yi != 1.0) {
      inner_y = true;
      a += (double)((double)(wi * yi) * std::log(yi));
    }
    const double zi = 1.0 - yi;
    if (zi > 0.0 && zi != 1.0) {
      inner_1y = true;
      b += (double)((double)(wi * zi) * std::log(zi));
    }
  }
  const double sa = inner_y ? (double)a : 0.0, sb = inner_1y ? (double)b : 0.0;
  return Rcpp::NumericVector::create(simple ? 1.0 : 0.0, any_trials ? 1.0 : 0.0, sa + sb);
}

// Lets R's garbage collector know that about `bytes` more will be live soon:
// a vector of that size is allocated without being written (no memory is
// touched) and left as garbage. R raises its collection trigger to make room
// for it, so that a chunked fit whose cache grows to that size does not run
// a full collection every time the heap has grown by a fifth (38 collections,
// 1 s of a 2e6 x 20 fit's 6.3 s, in a fresh session). Returns whether R
// could allocate it.
// [[Rcpp::export]]
bool gc_make_room(double bytes) {
  const R_xlen_t n = (R_xlen_t)(bytes / sizeof(double));
  if (!(n > 0)) return true;
  try {
    Rcpp::NumericVector v(Rcpp::no_init(n));
    return v.size() == n;
  } catch (...) {
    return false;  // (no room: R's own collections go on as before)
  }
}

namespace {
// a new double vector of length len (protected once: the caller unprotects),
// on huge pages of its own (src/huge_pages.h)
SEXP fresh_doubles(R_xlen_t len, double*& p) {
  SEXP out = PROTECT(gradglm::huge_doubles(len));
  p = REAL(out);
  return out;
}
}  // namespace

// A fresh double vector of length n, every element `value`: a fit's zero
// offsets (unit weights and trials are unit vectors, src/deferred.h, which
// cost no memory of their own). Its pages are asked for as huge pages before
// they are written (src/huge_pages.h), so that a vector of 1e6 rows costs a
// few page faults instead of 2,048 (rep.int()'s).
// [[Rcpp::export]]
SEXP filled_vector(double n, double value) {
  if (!(n >= 0) || n > (double)R_XLEN_T_MAX) Rcpp::stop("filled_vector: bad length");
  const R_xlen_t len = (R_xlen_t)n;
  double* p;
  SEXP out = fresh_doubles(len, p);
  std::fill(p, p + len, value);
  UNPROTECT(1);
  return out;
}

// as.numeric() of a plain logical, integer or double vector (no class):
// x itself when it is a double vector without attributes, else its values
// as doubles (NA kept) in a fresh vector on huge pages, as filled_vector().
// [[Rcpp::export]]
SEXP double_values(SEXP x) {
  const int type = TYPEOF(x);
  if (OBJECT(x) || (type != REALSXP && type != INTSXP && type != LGLSXP)) {
    Rcpp::stop("double_values: a plain logical, integer or double vector is needed");
  }
  if (type == REALSXP && ATTRIB(x) == R_NilValue) return x;
  const R_xlen_t len = Rf_xlength(x);
  double* p;
  SEXP out = fresh_doubles(len, p);
  if (type == REALSXP) {
    const double* v = REAL(x);
    std::copy(v, v + len, p);
  } else {
    const int* v = type == INTSXP ? INTEGER(x) : LOGICAL(x);
    for (R_xlen_t i = 0; i < len; ++i) p[i] = v[i] == NA_INTEGER ? NA_REAL : (double)v[i];
  }
  UNPROTECT(1);
  return out;
}

// The median of |r| over the rows of positive weight w (R's median(): the
// mean of the two middle values for an even count; NA when there are none or
// one is NA), by selection in linear time: the scale of the heavy-tailed
// starts' reweighting (R/model-scale.R), taken at each of up to 20 steps.
// [[Rcpp::export]]
double abs_median(const Rcpp::NumericVector& r, const Rcpp::NumericVector& w) {
  if (w.size() != r.size()) Rcpp::stop("abs_median: r and w differ in length");
  const double m = gradglm::abs_median(r.begin(), w.begin(), (gradglm::Index)r.size());
  return std::isnan(m) ? NA_REAL : m;
}
