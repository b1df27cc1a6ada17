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

#include <cstdlib>
#include <new>

#ifndef _WIN32
#include <unistd.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
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
  v.eta = read_doubles(VECTOR_ELT(d, 0));
  v.yi = view_integers(VECTOR_ELT(d, 1));
  v.y = v.yi ? nullptr : read_doubles(VECTOR_ELT(d, 1));
  v.w = read_doubles(VECTOR_ELT(d, 2));
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

// ---- unit vectors (deferred.h) ----

R_altrep_class_t unit_class;

// The region of ones the process shares: n ones from p. A larger one
// replaces it when a longer vector asks; the older stay mapped (vectors made
// before may still read them), so that at most twice the longest is mapped.
struct OnesRegion {
  const double* p = nullptr;
  R_xlen_t n = 0;
};
OnesRegion& ones_region() {
  static OnesRegion r;
  return r;
}

// `bytes` of ones, read only, as one page-aligned file of ones (a memfd)
// mapped again and again (at most 1,024 times) into one range of addresses:
// reading it maps the file's few pages, never fresh memory. nullptr where
// that cannot be done.
const double* map_ones(std::size_t bytes) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0 || page_size % (long)sizeof(double) != 0) return nullptr;
  const std::size_t page = (std::size_t)page_size;
  const std::size_t seg = std::max<std::size_t>(std::size_t(1) << 16, (bytes / 1024 + page - 1) / page * page);
  const std::size_t total = (bytes + seg - 1) / seg * seg;
  const int fd = memfd_create("gradglm-ones", MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  void* file = ftruncate(fd, (off_t)seg) == 0 ? mmap(nullptr, seg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (file == MAP_FAILED) {
    close(fd);
    return nullptr;
  }
  std::fill(static_cast<double*>(file), static_cast<double*>(file) + seg / sizeof(double), 1.0);
  munmap(file, seg);
  char* base = static_cast<char*>(mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  bool ok = base != MAP_FAILED;
  for (std::size_t at = 0; ok && at < total; at += seg) {
    ok = mmap(base + at, seg, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED;
  }
  close(fd);  // (the mappings keep the file)
  if (!ok) {
    if (base != MAP_FAILED) munmap(base, total);
    return nullptr;
  }
  return reinterpret_cast<const double*>(base);
#else
  (void)bytes;
  return nullptr;
#endif
}

const double* shared_ones(R_xlen_t n) {
  OnesRegion& r = ones_region();
  if (n <= r.n) return r.p;
  const R_xlen_t m = std::max<R_xlen_t>(n, std::max<R_xlen_t>(2 * r.n, R_xlen_t(1) << 16));
  const double* p = map_ones((std::size_t)m * sizeof(double));
  if (!p) {
    // (ordinary memory, kept for the session as the mapped region would be)
    double* q = static_cast<double*>(std::malloc((std::size_t)m * sizeof(double)));
    if (!q) throw std::bad_alloc();
    std::fill(q, q + m, 1.0);
    p = q;
  }
  r.p = p;
  r.n = m;
  return p;
}

// data1: the length (a double); data2: the vector in memory once asked for
bool unit_in_memory(SEXP x) { return R_altrep_data2(x) != R_NilValue; }

R_xlen_t unit_length(SEXP x) { return (R_xlen_t)REAL(R_altrep_data1(x))[0]; }

void* unit_dataptr(SEXP x, Rboolean) {
  if (!unit_in_memory(x)) {
    const R_xlen_t n = unit_length(x);
    SEXP out = PROTECT(huge_doubles(n));
    std::fill(REAL(out), REAL(out) + n, 1.0);
    R_set_altrep_data2(x, out);
    UNPROTECT(1);
  }
  return REAL(R_altrep_data2(x));
}

const void* unit_dataptr_or_null(SEXP x) { return unit_in_memory(x) ? REAL(R_altrep_data2(x)) : nullptr; }

double unit_elt(SEXP x, R_xlen_t i) { return unit_in_memory(x) ? REAL(R_altrep_data2(x))[i] : 1.0; }

R_xlen_t unit_region(SEXP x, R_xlen_t start, R_xlen_t len, double* buf) {
  const R_xlen_t n = unit_length(x);
  const R_xlen_t m = std::max<R_xlen_t>(0, std::min(len, n - start));
  if (unit_in_memory(x)) {
    const double* d = REAL(R_altrep_data2(x)) + start;
    std::copy(d, d + m, buf);
  } else {
    std::fill(buf, buf + m, 1.0);
  }
  return m;
}

// (NULL: R's own ways, which read the vector's memory)
SEXP unit_sum(SEXP x, Rboolean) { return unit_in_memory(x) ? nullptr : Rf_ScalarReal((double)unit_length(x)); }
int unit_no_na(SEXP x) { return unit_in_memory(x) ? 0 : 1; }
SEXP unit_duplicate(SEXP x, Rboolean) { return unit_in_memory(x) ? nullptr : unit_vector(unit_length(x)); }

Rboolean unit_inspect(SEXP x, int, int, int, void (*)(SEXP, int, int, int)) {
  Rprintf(" gradglm unit vector (%s)\n", unit_in_memory(x) ? "in memory" : "not in memory");
  return TRUE;
}

// ---- integer views (deferred.h) ----

R_altrep_class_t view_class;

// data1: the integers; data2: the doubles in memory once asked for
bool view_in_memory(SEXP x) { return R_altrep_data2(x) != R_NilValue; }

const int* view_ints(SEXP x) { return INTEGER(R_altrep_data1(x)); }

double int_double(int v) { return v == NA_INTEGER ? NA_REAL : (double)v; }

R_xlen_t view_length(SEXP x) { return Rf_xlength(R_altrep_data1(x)); }

void* view_dataptr(SEXP x, Rboolean) {
  if (!view_in_memory(x)) {
    const R_xlen_t n = view_length(x);
    SEXP out = PROTECT(huge_doubles(n));
    const int* v = view_ints(x);
    double* o = REAL(out);
    for (R_xlen_t i = 0; i < n; ++i) o[i] = int_double(v[i]);
    R_set_altrep_data2(x, out);
    R_set_altrep_data1(x, Rf_allocVector(INTSXP, 0));  // (the integers are let go)
    UNPROTECT(1);
  }
  return REAL(R_altrep_data2(x));
}

const void* view_dataptr_or_null(SEXP x) { return view_in_memory(x) ? REAL(R_altrep_data2(x)) : nullptr; }

double view_elt(SEXP x, R_xlen_t i) {
  return view_in_memory(x) ? REAL(R_altrep_data2(x))[i] : int_double(view_ints(x)[i]);
}

R_xlen_t view_region(SEXP x, R_xlen_t start, R_xlen_t len, double* buf) {
  const R_xlen_t n = view_in_memory(x) ? Rf_xlength(R_altrep_data2(x)) : view_length(x);
  const R_xlen_t m = std::max<R_xlen_t>(0, std::min(len, n - start));
  if (view_in_memory(x)) {
    const double* d = REAL(R_altrep_data2(x)) + start;
    std::copy(d, d + m, buf);
  } else {
    const int* v = view_ints(x) + start;
    for (R_xlen_t k = 0; k < m; ++k) buf[k] = int_double(v[k]);
  }
  return m;
}

R_xlen_t view_len(SEXP x) { return view_in_memory(x) ? Rf_xlength(R_altrep_data2(x)) : view_length(x); }

SEXP view_duplicate(SEXP x, Rboolean) {
  return view_in_memory(x) ? nullptr : R_new_altrep(view_class, R_altrep_data1(x), R_NilValue);
}

Rboolean view_inspect(SEXP x, int, int, int, void (*)(SEXP, int, int, int)) {
  Rprintf(" gradglm integers as doubles (%s)\n", view_in_memory(x) ? "in memory" : "not in memory");
  return TRUE;
}

}  // namespace

SEXP integer_doubles(SEXP x) {
  if (TYPEOF(x) != INTSXP && TYPEOF(x) != LGLSXP) throw std::invalid_argument("integer_doubles: integers are needed");
  return R_new_altrep(view_class, x, R_NilValue);
}

const int* view_integers(SEXP x) {
  if (!ALTREP(x) || !R_altrep_inherits(x, view_class) || view_in_memory(x)) return nullptr;
  return view_ints(x);
}

SEXP unit_vector(R_xlen_t n) {
  if (n < 0) throw std::invalid_argument("unit_vector: a negative length");
  SEXP len = PROTECT(Rf_ScalarReal((double)n));
  SEXP out = R_new_altrep(unit_class, len, R_NilValue);
  UNPROTECT(1);
  return out;
}

bool is_unit_vector(SEXP x) { return ALTREP(x) && R_altrep_inherits(x, unit_class) && !unit_in_memory(x); }

const double* read_doubles(SEXP x) {
  if (is_unit_vector(x)) return shared_ones(unit_length(x));
  return REAL(x);
}

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

  unit_class = R_make_altreal_class("unit_vector", "gradglm", dll);
  R_set_altrep_Length_method(unit_class, unit_length);
  R_set_altrep_Duplicate_method(unit_class, unit_duplicate);
  R_set_altrep_Inspect_method(unit_class, unit_inspect);
  R_set_altvec_Dataptr_method(unit_class, unit_dataptr);
  R_set_altvec_Dataptr_or_null_method(unit_class, unit_dataptr_or_null);
  R_set_altreal_Elt_method(unit_class, unit_elt);
  R_set_altreal_Get_region_method(unit_class, unit_region);
  R_set_altreal_Sum_method(unit_class, unit_sum);
  R_set_altreal_No_NA_method(unit_class, unit_no_na);

  view_class = R_make_altreal_class("integer_doubles", "gradglm", dll);
  R_set_altrep_Length_method(view_class, view_len);
  R_set_altrep_Duplicate_method(view_class, view_duplicate);
  R_set_altrep_Inspect_method(view_class, view_inspect);
  R_set_altvec_Dataptr_method(view_class, view_dataptr);
  R_set_altvec_Dataptr_or_null_method(view_class, view_dataptr_or_null);
  R_set_altreal_Elt_method(view_class, view_elt);
  R_set_altreal_Get_region_method(view_class, view_region);
}

// integer (or logical) x as doubles, without a copy (deferred.h);
// view_lazy(x): whether x is such a view whose memory has not been asked for
// (a test hook)
// [[Rcpp::export]]
SEXP integer_view(SEXP x) {
  if (OBJECT(x) || (TYPEOF(x) != INTSXP && TYPEOF(x) != LGLSXP)) {
    Rcpp::stop("integer_view: a plain integer or logical vector is needed");
  }
  return gradglm::integer_doubles(x);
}

// [[Rcpp::export]]
bool view_lazy(SEXP x) { return gradglm::view_integers(x) != nullptr; }

// A vector of n ones that costs no memory until R asks for it (deferred.h);
// unit_weights_lazy(x): whether x is one whose memory has not been asked for (a test hook)
// [[Rcpp::export]]
SEXP unit_weights(double n) {
  if (!(n >= 0) || n > (double)R_XLEN_T_MAX) Rcpp::stop("unit_weights: bad length");
  return gradglm::unit_vector((R_xlen_t)n);
}

// [[Rcpp::export]]
bool unit_weights_lazy(SEXP x) { return gradglm::is_unit_vector(x); }

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
