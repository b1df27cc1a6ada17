// The package's lazy double vectors: R vectors (ALTREP classes of the
// package's own) that cost no memory of their own until R asks for their
// memory, and are then written in full, once, and from then on ordinary:
//   - a GLM fit's fitted means, working weights and working residuals,
//     computed from the linear predictors when they are read. A large fit then
//     writes one n-vector, its predictors, instead of four; one element or a
//     region (sum(), head(), subsetting) is computed without the whole
//     vector, and the whole vector on the fit's threads. The values are those
//     the fit would have written (glm_output(), the one formula of each);
//   - a fit's unit prior weights (unit_vector());
//   - a fit's integer response as doubles (integer_doubles()).
// NumberReader reads any of them, or any numeric vector, without their memory.
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
// an integer as a double, NA as NA
inline double int_double(int v) { return v == NA_INTEGER ? NA_REAL : (double)v; }


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

// The values of a numeric vector as doubles, element by element, for
// reading: a double vector's own; a deferred output's, an integer view's and
// a unit vector's without their memory (the deferred values computed and the
// integers converted as they are read); any other vector's converted (as
// Rcpp's NumericVector converts them) into a vector this keeps, or, when
// `error` is given, that error thrown
class NumberReader {
 public:
  explicit NumberReader(SEXP x, const char* error = nullptr) {
    if (deferred_view(x, &view_)) {
      n_ = view_.n;
    } else if (TYPEOF(x) == REALSXP) {
      i_ = view_integers(x);
      d_ = i_ ? nullptr : read_doubles(x);
      n_ = Rf_xlength(x);
    } else {
      if (error) throw std::invalid_argument(error);
      kept_ = Rcpp::NumericVector(x);
      d_ = kept_.begin();
      n_ = kept_.size();
    }
  }
  double operator[](R_xlen_t k) const {
    if (d_) return d_[k];
    if (i_) return int_double(i_[k]);
    return view_.at(k);
  }
  R_xlen_t size() const { return n_; }
  // elements [start, start + len) as doubles: the vector's own, or its
  // values written into buf
  const double* rows(R_xlen_t start, R_xlen_t len, std::vector<double>& buf) const {
    if (d_) return d_ + start;
    buf.resize((size_t)len);
    for (R_xlen_t k = 0; k < len; ++k) buf[(size_t)k] = (*this)[start + k];
    return buf.data();
  }

 private:
  Rcpp::NumericVector kept_;
  DeferredView view_;
  const double* d_ = nullptr;
  const int* i_ = nullptr;
  R_xlen_t n_ = 0;
};

}  // namespace gradglm

#endif
