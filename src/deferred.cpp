// The package's lazy double vectors (deferred.h), three ALTREP classes of one
// form (Lazy below): data2 is NULL until R asks for the vector's memory, then
// the whole vector, written once (on huge pages), which every method reads
// from then on; before, R's own methods (subsetting, sum(), serialization's
// regions) read one element or a region through Elt and Get_region.
//   deferred_glm_output: a GLM fit's fitted means, working weights or working
//     residuals. data1: list(eta, y, w, the family (an external pointer),
//     c(kind, threads, canonical, the process id)), let go once written.
//   unit_vector: n ones. data1: n (a double).
//   integer_doubles: integers (or logicals) as doubles. data1: the integers,
//     let go once written.
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

// ---- the form the three classes share ----

// A class C gives cls (its ALTREP class), name(), what() (for inspect()) and, for
// a vector not yet in memory: length(x), elt(x, i), region(x, start, m, buf)
// (m elements, all in range), write(x, out, n) (the whole vector) and
// let_go(x) (after write: what data1 need not keep).
template <class C>
struct Lazy {
  static bool in_memory(SEXP x) { return R_altrep_data2(x) != R_NilValue; }
  // (x of the class, not yet in memory)
  static bool lazy(SEXP x) { return ALTREP(x) && R_altrep_inherits(x, C::cls) && !in_memory(x); }
  static R_xlen_t length(SEXP x) { return in_memory(x) ? Rf_xlength(R_altrep_data2(x)) : C::length(x); }
  static void* dataptr(SEXP x, Rboolean) {
    if (!in_memory(x)) {
      const R_xlen_t n = C::length(x);
      SEXP out = PROTECT(huge_doubles(n));
      C::write(x, REAL(out), n);
      R_set_altrep_data2(x, out);
      C::let_go(x);
      UNPROTECT(1);
    }
    return REAL(R_altrep_data2(x));
  }
  static const void* dataptr_or_null(SEXP x) { return in_memory(x) ? REAL(R_altrep_data2(x)) : nullptr; }
  static double elt(SEXP x, R_xlen_t i) { return in_memory(x) ? REAL(R_altrep_data2(x))[i] : C::elt(x, i); }
  static R_xlen_t region(SEXP x, R_xlen_t start, R_xlen_t len, double* buf) {
    const R_xlen_t m = std::max<R_xlen_t>(0, std::min(len, length(x) - start));
    if (in_memory(x)) {
      const double* d = REAL(R_altrep_data2(x)) + start;
      std::copy(d, d + m, buf);
    } else {
      C::region(x, start, m, buf);
    }
    return m;
  }
  // a copy not yet in memory shares data1 (never modified); one in memory is
  // copied as R copies any other vector (NULL: R's own duplicate)
  static SEXP duplicate(SEXP x, Rboolean) {
    return in_memory(x) ? nullptr : R_new_altrep(C::cls, R_altrep_data1(x), R_NilValue);
  }
  static Rboolean inspect(SEXP x, int, int, int, void (*)(SEXP, int, int, int)) {
    Rprintf(" gradglm %s (%s)\n", C::what(), in_memory(x) ? "in memory" : "not in memory");
    return TRUE;
  }
  static void make(DllInfo* dll) {
    C::cls = R_make_altreal_class(C::name(), "gradglm", dll);
    R_set_altrep_Length_method(C::cls, length);
    R_set_altrep_Duplicate_method(C::cls, duplicate);
    R_set_altrep_Inspect_method(C::cls, inspect);
    R_set_altvec_Dataptr_method(C::cls, dataptr);
    R_set_altvec_Dataptr_or_null_method(C::cls, dataptr_or_null);
    R_set_altreal_Elt_method(C::cls, elt);
    R_set_altreal_Get_region_method(C::cls, region);
  }
};

// ---- deferred GLM outputs ----

void free_family(SEXP p) {
  delete static_cast<Family*>(R_ExternalPtrAddr(p));
  R_ClearExternalPtr(p);
}

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

struct DeferredOutput {
  static R_altrep_class_t cls;
  static const char* name() { return "deferred_glm_output"; }
  static const char* what() { return "deferred GLM output"; }
  static R_xlen_t length(SEXP x) { return Rf_xlength(VECTOR_ELT(R_altrep_data1(x), 0)); }
  static double elt(SEXP x, R_xlen_t i) { return parts(x).at(i); }
  static void region(SEXP x, R_xlen_t start, R_xlen_t m, double* buf) {
    const DeferredView v = parts(x);
    for (R_xlen_t k = 0; k < m; ++k) buf[k] = v.at(start + k);
  }
  // the whole vector, on the fit's threads
  static void write(SEXP x, double* o, R_xlen_t n) {
    const DeferredView v = parts(x);
    const int* info = INTEGER(VECTOR_ELT(R_altrep_data1(x), 4));
    // (in a process forked from the fit's, mclapply()'s, one thread: OpenMP's
    // pool does not survive fork(), and a parallel region would wait forever)
    const int threads = info[3] == process_id() ? info[1] : 1;
    const int T = threads_for((long)n, threads);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
#endif
    for (R_xlen_t i = 0; i < n; ++i) o[i] = v.at(i);
    (void)T;
  }
  static void let_go(SEXP x) { R_set_altrep_data1(x, R_NilValue); }
};
R_altrep_class_t DeferredOutput::cls;

// ---- unit vectors (deferred.h) ----

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

struct UnitVector {
  static R_altrep_class_t cls;
  static const char* name() { return "unit_vector"; }
  static const char* what() { return "unit vector"; }
  static R_xlen_t length(SEXP x) { return (R_xlen_t)REAL(R_altrep_data1(x))[0]; }
  static double elt(SEXP, R_xlen_t) { return 1.0; }
  static void region(SEXP, R_xlen_t, R_xlen_t m, double* buf) { std::fill(buf, buf + m, 1.0); }
  static void write(SEXP, double* o, R_xlen_t n) { std::fill(o, o + n, 1.0); }
  static void let_go(SEXP) {}
  // (NULL: R's own ways, which read the vector's memory)
  static SEXP sum(SEXP x, Rboolean) {
    return Lazy<UnitVector>::in_memory(x) ? nullptr : Rf_ScalarReal((double)length(x));
  }
  static int no_na(SEXP x) { return Lazy<UnitVector>::in_memory(x) ? 0 : 1; }
};
R_altrep_class_t UnitVector::cls;

// ---- integer views (deferred.h) ----

struct IntegerView {
  static R_altrep_class_t cls;
  static const char* name() { return "integer_doubles"; }
  static const char* what() { return "integers as doubles"; }
  static const int* ints(SEXP x) { return INTEGER(R_altrep_data1(x)); }
  static R_xlen_t length(SEXP x) { return Rf_xlength(R_altrep_data1(x)); }
  static double elt(SEXP x, R_xlen_t i) { return int_double(ints(x)[i]); }
  static void region(SEXP x, R_xlen_t start, R_xlen_t m, double* buf) {
    const int* v = ints(x) + start;
    for (R_xlen_t k = 0; k < m; ++k) buf[k] = int_double(v[k]);
  }
  static void write(SEXP x, double* o, R_xlen_t n) { region(x, 0, n, o); }
  static void let_go(SEXP x) { R_set_altrep_data1(x, R_NilValue); }
};
R_altrep_class_t IntegerView::cls;

}  // namespace

SEXP integer_doubles(SEXP x) {
  if (TYPEOF(x) != INTSXP && TYPEOF(x) != LGLSXP) throw std::invalid_argument("integer_doubles: integers are needed");
  return R_new_altrep(IntegerView::cls, x, R_NilValue);
}

const int* view_integers(SEXP x) { return Lazy<IntegerView>::lazy(x) ? IntegerView::ints(x) : nullptr; }

SEXP unit_vector(R_xlen_t n) {
  if (n < 0) throw std::invalid_argument("unit_vector: a negative length");
  SEXP len = PROTECT(Rf_ScalarReal((double)n));
  SEXP out = R_new_altrep(UnitVector::cls, len, R_NilValue);
  UNPROTECT(1);
  return out;
}

bool is_unit_vector(SEXP x) { return Lazy<UnitVector>::lazy(x); }

const double* read_doubles(SEXP x) {
  if (is_unit_vector(x)) return shared_ones(UnitVector::length(x));
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
  SEXP out = R_new_altrep(DeferredOutput::cls, d, R_NilValue);
  UNPROTECT(1);
  return out;
}

bool deferred_view(SEXP x, DeferredView* view) {
  if (!Lazy<DeferredOutput>::lazy(x)) return false;
  *view = parts(x);
  return true;
}

}  // namespace gradglm

// (called by R_init_gradglm)
// [[Rcpp::init]]
void gradglm_init_deferred(DllInfo* dll) {
  using namespace gradglm;
  Lazy<DeferredOutput>::make(dll);
  Lazy<UnitVector>::make(dll);
  R_set_altreal_Sum_method(UnitVector::cls, UnitVector::sum);
  R_set_altreal_No_NA_method(UnitVector::cls, UnitVector::no_na);
  Lazy<IntegerView>::make(dll);
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
  const NumberReader W(working, error), R(residuals, error), pw(weights, error);
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
