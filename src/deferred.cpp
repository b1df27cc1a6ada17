// The deferred outputs of a GLM fit (deferred.h): an ALTREP class of double
// vectors. data1: list(eta, y, w, the family (an external pointer), c(kind,
// threads, canonical, the process id)); data2: the vector computed in full, once something
// has asked for its memory (NULL before). R's own methods (subsetting,
// serialization, sum()) read one element or a region through Elt and
// Get_region, which compute them; R_altrep_data1 is released once the vector
// is computed.
#include "deferred.h"

#include <R_ext/Altrep.h>
#include <R_ext/Rdynload.h>

#include <algorithm>
#include <memory>

#ifndef _WIN32
#include <unistd.h>
#endif

#include "huge_pages.h"
#include "parallel.h"

namespace gradglm {

namespace {

R_altrep_class_t deferred_class;

void free_family(SEXP p) {
  delete static_cast<Family*>(R_ExternalPtrAddr(p));
  R_ClearExternalPtr(p);
}

bool computed(SEXP x) { return R_altrep_data2(x) != R_NilValue; }

int process_id() {
#ifdef _WIN32
  return 0;
#else
  return (int)getpid();
#endif
}

// the parts of a vector not yet computed
DeferredView parts(SEXP x) {
  SEXP d = R_altrep_data1(x);
  const int* info = INTEGER(VECTOR_ELT(d, 4));
  DeferredView v;
  v.fam = static_cast<const Family*>(R_ExternalPtrAddr(VECTOR_ELT(d, 3)));
  v.kind = info[0];
  v.canonical = info[2] != 0;
  v.eta = REAL(VECTOR_ELT(d, 0));
  v.y = REAL(VECTOR_ELT(d, 1));
  v.w = REAL(VECTOR_ELT(d, 2));
  v.n = Rf_xlength(VECTOR_ELT(d, 0));
  return v;
}

R_xlen_t deferred_length(SEXP x) {
  return computed(x) ? Rf_xlength(R_altrep_data2(x)) : Rf_xlength(VECTOR_ELT(R_altrep_data1(x), 0));
}

// the whole vector, computed on the fit's threads
void* deferred_dataptr(SEXP x, Rboolean) {
  if (!computed(x)) {
    const DeferredView v = parts(x);
    const int* info = INTEGER(VECTOR_ELT(R_altrep_data1(x), 4));
    // (in a process forked from the fit's, mclapply()'s, one thread: OpenMP's
    // pool does not survive fork(), and a parallel region would wait forever)
    const int threads = info[3] == process_id() ? info[1] : 1;
    SEXP out = PROTECT(huge_doubles(v.n));
    double* o = REAL(out);
    const R_xlen_t n = v.n;
    const int T = threads_for((long)n, threads);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
#endif
    for (R_xlen_t i = 0; i < n; ++i) o[i] = v.at(i);
    (void)T;
    R_set_altrep_data2(x, out);
    R_set_altrep_data1(x, R_NilValue);
    UNPROTECT(1);
  }
  return REAL(R_altrep_data2(x));
}

const void* deferred_dataptr_or_null(SEXP x) { return computed(x) ? REAL(R_altrep_data2(x)) : nullptr; }

double deferred_elt(SEXP x, R_xlen_t i) { return computed(x) ? REAL(R_altrep_data2(x))[i] : parts(x).at(i); }

R_xlen_t deferred_region(SEXP x, R_xlen_t start, R_xlen_t len, double* buf) {
  const R_xlen_t n = deferred_length(x);
  const R_xlen_t m = std::max<R_xlen_t>(0, std::min(len, n - start));
  if (computed(x)) {
    const double* d = REAL(R_altrep_data2(x)) + start;
    std::copy(d, d + m, buf);
  } else {
    const DeferredView v = parts(x);
    for (R_xlen_t k = 0; k < m; ++k) buf[k] = v.at(start + k);
  }
  return m;
}

// a copy not yet computed shares the parts (they are not modified); a
// computed vector is copied as R copies any other (NULL: R's own duplicate)
SEXP deferred_duplicate(SEXP x, Rboolean) {
  if (computed(x)) return nullptr;
  return R_new_altrep(deferred_class, R_altrep_data1(x), R_NilValue);
}

Rboolean deferred_inspect(SEXP x, int, int, int, void (*)(SEXP, int, int, int)) {
  Rprintf(" gradglm deferred GLM output (%s)\n", computed(x) ? "computed" : "not yet computed");
  return TRUE;
}

}  // namespace

SEXP deferred_glm_output(int kind, SEXP eta, SEXP y, SEXP w, const Family& fam, int threads) {
  if (TYPEOF(eta) != REALSXP || TYPEOF(y) != REALSXP || TYPEOF(w) != REALSXP ||
      Rf_xlength(y) != Rf_xlength(eta) || Rf_xlength(w) != Rf_xlength(eta) || kind < 0 || kind > 2 ||
      fam.calls_r()) {
    throw std::invalid_argument("deferred_glm_output: bad arguments");
  }
  SEXP d = PROTECT(Rf_allocVector(VECSXP, 5));
  SET_VECTOR_ELT(d, 0, eta);
  SET_VECTOR_ELT(d, 1, y);
  SET_VECTOR_ELT(d, 2, w);
  SEXP p = R_MakeExternalPtr(new Family(fam), R_NilValue, R_NilValue);
  SET_VECTOR_ELT(d, 3, p);
  R_RegisterCFinalizerEx(p, free_family, TRUE);
  SEXP info = Rf_allocVector(INTSXP, 4);
  SET_VECTOR_ELT(d, 4, info);
  INTEGER(info)[0] = kind;
  INTEGER(info)[1] = threads;
  INTEGER(info)[2] = fam.canonical() ? 1 : 0;
  INTEGER(info)[3] = process_id();
  SEXP out = R_new_altrep(deferred_class, d, R_NilValue);
  UNPROTECT(1);
  return out;
}

bool deferred_view(SEXP x, DeferredView* view) {
  if (!ALTREP(x) || !R_altrep_inherits(x, deferred_class) || computed(x)) return false;
  *view = parts(x);
  return true;
}

}  // namespace gradglm

// (called by R_init_gradglm)
// [[Rcpp::init]]
void gradglm_init_deferred(DllInfo* dll) {
  using namespace gradglm;
  deferred_class = R_make_altreal_class("deferred_glm_output", "gradglm", dll);
  R_set_altrep_Length_method(deferred_class, deferred_length);
  R_set_altrep_Duplicate_method(deferred_class, deferred_duplicate);
  R_set_altrep_Inspect_method(deferred_class, deferred_inspect);
  R_set_altvec_Dataptr_method(deferred_class, deferred_dataptr);
  R_set_altvec_Dataptr_or_null_method(deferred_class, deferred_dataptr_or_null);
  R_set_altreal_Elt_method(deferred_class, deferred_elt);
  R_set_altreal_Get_region_method(deferred_class, deferred_region);
}

// [[Rcpp::export]]
bool is_deferred(SEXP x) {
  gradglm::DeferredView v;
  return gradglm::deferred_view(x, &v);
}

// glm's Pearson sum of a fit, sum of working weights x working residuals^2
// over the rows of positive prior weight, read from deferred outputs without
// computing their vectors (any double vectors of one length otherwise)
// [[Rcpp::export]]
double pearson_sum(SEXP working, SEXP residuals, SEXP weights, int threads = 1) {
  using namespace gradglm;
  const char* error = "pearson_sum: the working weights, working residuals and weights must be double vectors of "
                      "one length";
  const DoubleReader W(working, error), R(residuals, error), pw(weights, error);
  const R_xlen_t n = pw.size();
  if (W.size() != n || R.size() != n) throw std::invalid_argument(error);
  long double s = 0.0;  // (as R's sum())
  const int T = threads_for((long)n, threads);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1) reduction(+ : s)
#endif
  for (R_xlen_t i = 0; i < n; ++i) {
    if (!(pw[i] > 0.0)) continue;
    const double r = R[i];
    s += W[i] * r * r;
  }
  (void)T;
  return (double)s;
}
