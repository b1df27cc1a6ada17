// A GLM fit's fitted means, working weights and working residuals as R
// vectors whose values are computed from the linear predictors when they are
// read (an ALTREP class of R's). A large fit then writes one n-vector, its
// predictors, instead of four: the other three cost no memory until they are
// read, and one element or a region of them (sum(), head(), serialization)
// is computed without the whole vector. The first access to the vector's
// memory (REAL(), most of R's arithmetic) computes it in full, once, on the
// fit's threads; from then on it is an ordinary vector. The values are those
// the fit would have written (glm_output(), the one formula of each).
#ifndef GRADGLM_DEFERRED_H
#define GRADGLM_DEFERRED_H

#include <Rcpp.h>

#include <stdexcept>
#include <vector>

#include "family.h"

namespace gradglm {

// which of a GLM's outputs
enum GlmOutput { kFittedMeans = 0, kWorkingWeights = 1, kWorkingResiduals = 2 };

// output `kind` of one row with predictor e, response y and prior weight w,
// as glm reports it: the fitted mean (stats' clamped one), the working
// weight w mu.eta^2 / V(mu) (0 where w is 0) and the working residual
// (y - mu) / mu.eta
inline double glm_output(const Family& fam, bool canonical, int kind, double e, double y, double w) {
  if (kind == kFittedMeans) return fam.reported_mu(e);
  if (kind == kWorkingWeights) {
    // (for a canonical link the Fisher weight mu.eta^2 / V(mu) is mu.eta itself)
    return w == 0.0 ? 0.0 : (canonical ? w * fam.mu_eta(e) : w * fam.unit(y, e).weight);
  }
  return (y - fam.reported_mu(e)) / fam.reported_mu_eta(e);
}

// A deferred output of a fit of `fam` (a link without R functions of the
// user's own): eta, y and w are double vectors of one length, which the
// result keeps (unprotected)
SEXP deferred_glm_output(int kind, SEXP eta, SEXP y, SEXP w, const Family& fam, int threads);

// A double vector of n ones, a fit's unit prior weights (or trials), that
// costs no memory of its own until R asks for its memory (an ALTREP class):
// its elements, regions and sum() are read without it, and the package's C++
// code reads its values from one region of ones that the process shares
// (read_doubles()). On Linux that region maps a few pages of ones again and
// again, read only, so that reading it costs no fresh memory (a fit's first
// 8 MB of fresh memory costs it more than the rest of its unit weights' use);
// elsewhere it is ordinary memory. When R asks for the vector's memory
// (REAL(), to change an element, most arithmetic), the vector is written
// once in full and is from then on an ordinary vector.
SEXP unit_vector(R_xlen_t n);
// whether x is a unit vector whose memory has not been asked for
bool is_unit_vector(SEXP x);
// The values of the double vector x, for reading: a unit vector's from the
// shared region of ones (without writing it), any other's memory (REAL(x)).
// The pointer stays valid while x lives.
const double* read_doubles(SEXP x);

// The integers (or logicals) x as a double vector that costs no memory of
// its own until R asks for its memory (an ALTREP class, as unit_vector()): a
// fit's integer response, which its C++ code reads as integers
// (NumberReader, Response in likelihood.h). NA stays NA. x is kept, not
// copied (R counts the reference, so a change to x copies x first).
SEXP integer_doubles(SEXP x);
// x's integers when x is such a view whose memory has not been asked for
// (nullptr otherwise)
const int* view_integers(SEXP x);

// The values of a numeric vector as doubles, for reading: a double vector's
// own (a unit vector's and an integer view's read without their memory: the
// view's integers converted as they are read), any other's converted (as
// Rcpp's NumericVector converts them) into a vector this keeps
class NumberReader {
 public:
  explicit NumberReader(SEXP x) {
    if (TYPEOF(x) == REALSXP) {
      i_ = view_integers(x);
      d_ = i_ ? nullptr : read_doubles(x);
      n_ = Rf_xlength(x);
    } else {
      kept_ = Rcpp::NumericVector(x);
      d_ = kept_.begin();
      n_ = kept_.size();
    }
  }
  double operator[](R_xlen_t k) const { return d_ ? d_[k] : (i_[k] == NA_INTEGER ? NA_REAL : (double)i_[k]); }
  R_xlen_t size() const { return n_; }
  // elements [start, start + len) as doubles: the vector's own, or the
  // integers' converted into buf
  const double* rows(R_xlen_t start, R_xlen_t len, std::vector<double>& buf) const {
    if (d_) return d_ + start;
    buf.resize((size_t)len);
    for (R_xlen_t k = 0; k < len; ++k) buf[(size_t)k] = (*this)[start + k];
    return buf.data();
  }
  const int* ints() const { return i_; }  // (the view's integers; nullptr for doubles)

 private:
  Rcpp::NumericVector kept_;
  const double* d_ = nullptr;
  const int* i_ = nullptr;
  R_xlen_t n_ = 0;
};

// The parts of x when it is a deferred output not yet computed in full
// (false otherwise: then x's values are in its memory)
struct DeferredView {
  const Family* fam;
  bool canonical;
  int kind;
  const double* eta;
  const double* y;  // (nullptr when the response is integers: yi)
  const int* yi;
  const double* w;
  R_xlen_t n;
  double at(R_xlen_t i) const {
    return glm_output(*fam, canonical, kind, eta[i], y ? y[i] : (double)yi[i], w[i]);
  }
};
bool deferred_view(SEXP x, DeferredView* view);


// The values of a double vector or a deferred output, element by element,
// without computing the deferred one's vector; `error` is thrown when it is
// neither
class DoubleReader {
 public:
  DoubleReader(SEXP x, const char* error) : deferred_(deferred_view(x, &view_)) {
    if (!deferred_ && TYPEOF(x) != REALSXP) throw std::invalid_argument(error);
    p_ = deferred_ ? nullptr : read_doubles(x);
    n_ = Rf_xlength(x);
  }
  double operator[](R_xlen_t i) const { return p_ ? p_[i] : view_.at(i); }
  R_xlen_t size() const { return n_; }

 private:
  DeferredView view_;
  bool deferred_;
  const double* p_;
  R_xlen_t n_;
};

}  // namespace gradglm

#endif
