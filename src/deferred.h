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

// The parts of x when it is a deferred output not yet computed in full
// (false otherwise: then x's values are in its memory)
struct DeferredView {
  const Family* fam;
  bool canonical;
  int kind;
  const double* eta;
  const double* y;
  const double* w;
  R_xlen_t n;
  double at(R_xlen_t i) const { return glm_output(*fam, canonical, kind, eta[i], y[i], w[i]); }
};
bool deferred_view(SEXP x, DeferredView* view);

// The values of a double vector or a deferred output, element by element,
// without computing the deferred one's vector; `error` is thrown when it is
// neither
class DoubleReader {
 public:
  DoubleReader(SEXP x, const char* error) : deferred_(deferred_view(x, &view_)) {
    if (!deferred_ && TYPEOF(x) != REALSXP) throw std::invalid_argument(error);
    p_ = deferred_ ? nullptr : REAL(x);
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
