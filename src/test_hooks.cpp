// Internal exports for tests and benchmarks: the likelihoods row by row and
// one loss + gradient pass. None of them fits a model.
#include "eigen.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include "family.h"
#include "location_scale.h"
#include "model_spec.h"
#include "objective.h"
#include "huge_pages.h"
#include "kernels.h"
#include "lad.h"
#include "profile.h"

using namespace gradglm;

// Per-observation loss, gradient and Fisher weight of a GLM family, with mu
// and mu.eta as stats' family objects report them (clamped). With
// composed = TRUE, the distribution in mu composed with the link (the
// reference for the hand-written pairs). `theta`: the negative binomial's;
// `power`: the power link's lambda.
// [[Rcpp::export]]
Rcpp::List family_eval(int dist, int link, const Rcpp::NumericVector& y, const Rcpp::NumericVector& eta,
                       bool composed = false, double theta = NA_REAL, double power = 1.0) {
  const Family family(dist, link, !composed, theta, power);
  const R_xlen_t n = eta.size();
  if (y.size() != n) throw std::invalid_argument("y and eta must have the same length");
  Rcpp::NumericVector loss(n), grad(n), weight(n), hess(n), mu(n), mu_eta(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    const UnitValues u = family.unit(y[i], eta[i]);
    loss[i] = u.loss;
    grad[i] = u.grad;
    weight[i] = u.weight;
    hess[i] = u.hess;
    mu[i] = family.reported_mu(eta[i]);
    mu_eta[i] = family.reported_mu_eta(eta[i]);
  }
  return Rcpp::List::create(Rcpp::Named("loss") = loss, Rcpp::Named("grad") = grad,
                            Rcpp::Named("weight") = weight, Rcpp::Named("hess") = hess,
                            Rcpp::Named("mu") = mu, Rcpp::Named("mu_eta") = mu_eta);
}

// Per-observation loss and derivatives of a location-scale family, for tests.
// [[Rcpp::export]]
Rcpp::List scale_family_eval(int dist, int link, const Rcpp::NumericVector& y, const Rcpp::NumericVector& eta,
                             const Rcpp::NumericVector& log_sigma, const Rcpp::NumericVector& log_df,
                             double smooth = 0.0) {
  const R_xlen_t n = y.size();
  if (eta.size() != n || log_sigma.size() != n || log_df.size() != n) {
    throw std::invalid_argument("y, eta, log_sigma and log_df must have the same length");
  }
  LocationScale fam(dist, link, dist == 5 ? NAN : 1.0);
  fam.set_smooth(smooth);
  const char* names[] = {"loss", "d_eta", "d_s", "d_l", "h_ee", "h_es", "h_ss", "h_el", "h_sl",
                         "h_ll", "f_ee", "f_es", "f_ss", "f_el", "f_sl", "f_ll"};
  std::vector<Rcpp::NumericVector> cols(16);
  for (auto& c : cols) c = Rcpp::NumericVector(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    const TConstants tc = dist == 5 ? t_constants(std::exp(log_df[i])) : TConstants();
    const ScaleUnit u = fam.unit(y[i], eta[i], log_sigma[i], tc, true);
    const double v[] = {u.loss, u.de, u.ds, u.dl, u.hee, u.hes, u.hss, u.hel, u.hsl,
                        u.hll, u.fee, u.fes, u.fss, u.fel, u.fsl, u.fll};
    for (int k = 0; k < 16; ++k) cols[k][i] = v[k];
  }
  Rcpp::List out(16);
  Rcpp::CharacterVector nm(16);
  for (int k = 0; k < 16; ++k) {
    out[k] = cols[k];
    nm[k] = names[k];
  }
  out.attr("names") = nm;
  return out;
}

// One evaluation of a model's mean loss, its gradient and (with curvature =
// "observed" or "fisher") its curvature at theta: a single fused pass over
// the rows. `spec` is the model part of fit_model()'s specification.
// [[Rcpp::export]]
Rcpp::List model_eval(Rcpp::List spec, const Rcpp::NumericVector& theta, std::string curvature = "none",
                      int threads = 1) {
  ModelSpec m = parse_model_spec(spec);
  const LinearPredictor pred(m.designs, m.blocks, m.offsets);
  if (theta.size() != pred.dim()) throw std::invalid_argument("theta has the wrong length");
  ModelObjective obj(pred, *m.lik, m.y, MapVec(m.weights, m.n), threads);
  const MapVec b(theta.begin(), theta.size());
  VectorXd g;
  MatrixXd H;
  const double f = eval_by_name(obj, b, curvature, g, H);
  Rcpp::List out = Rcpp::List::create(Rcpp::Named("loss") = f, Rcpp::Named("gradient") = Rcpp::wrap(g));
  if (H.size()) out["curvature"] = Rcpp::wrap(H);
  return out;
}

// One evaluation of a GLM's mean loss and its gradient at beta: a single
// fused pass over X, on `threads` threads. Used by tests (against finite
// differences) and benchmarks.
// [[Rcpp::export]]
Rcpp::List loss_grad_eval(const Rcpp::NumericMatrix& x, const Rcpp::NumericVector& y,
                          const Rcpp::NumericVector& weights, const Rcpp::NumericVector& offset, int dist,
                          int link, const Rcpp::NumericVector& beta, int threads = 1) {
  const Index n = x.nrow(), p = x.ncol();
  if (y.size() != n || weights.size() != n || offset.size() != n || beta.size() != p) {
    throw std::invalid_argument("x, y, weights, offset and beta do not conform");
  }
  const Family family(dist, link);
  const std::vector<Design> designs(1, Design::dense(x.begin(), n, p));
  const std::vector<std::pair<int, int>> blocks(1, std::make_pair(0, 1));
  const std::vector<const double*> offsets(1, offset.begin());
  const LinearPredictor pred(designs, blocks, offsets);
  ModelObjective obj(pred, family, Response{y.begin(), n, 1}, MapVec(weights.begin(), n), std::max(1, threads));
  VectorXd g;
  const double f = obj.value_grad(MapVec(beta.begin(), p), g);
  return Rcpp::List::create(Rcpp::Named("loss") = f, Rcpp::Named("gradient") = Rcpp::wrap(g));
}

namespace gradglm {
Profile& engine_profile() {
  static Profile p;
  return p;
}
}  // namespace gradglm

// The engine's per-phase profile (bench/bench-profile.R): `on` switches
// recording on or off (NA leaves it), `reset` clears what was recorded; returns
// the phases recorded so far (seconds and calls).
// [[Rcpp::export]]
Rcpp::DataFrame engine_profile(int on = NA_LOGICAL, bool reset = false) {
  Profile& p = gradglm::engine_profile();
  if (reset) p.phases.clear();
  if (on != NA_LOGICAL) p.on = on != 0;
  Rcpp::CharacterVector phase;
  Rcpp::NumericVector seconds;
  Rcpp::IntegerVector calls;
  Rcpp::NumericVector faults;
  for (const auto& e : p.phases) {
    phase.push_back(e.first);
    seconds.push_back(e.second.seconds);
    calls.push_back((int)e.second.calls);
    faults.push_back((double)e.second.faults);
  }
  return Rcpp::DataFrame::create(Rcpp::Named("phase") = phase, Rcpp::Named("seconds") = seconds,
                                 Rcpp::Named("calls") = calls, Rcpp::Named("faults") = faults,
                                 Rcpp::Named("stringsAsFactors") = false);
}

// H0 + B' A by the curvature's cross-product kernel (the lower triangle only
// when `lower`), for tests against R's crossprod(); `simd` says which kernel ran.
// [[Rcpp::export]]
Rcpp::List cross_product_eval(const Rcpp::NumericMatrix& A, const Rcpp::NumericMatrix& B, Rcpp::NumericMatrix H0,
                              bool lower) {
  if (A.nrow() != B.nrow() || H0.nrow() != B.ncol() || H0.ncol() != A.ncol() || (lower && A.ncol() != B.ncol())) {
    throw std::invalid_argument("the matrices do not conform");
  }
  Rcpp::NumericMatrix H = Rcpp::clone(H0);
  gradglm::add_cross_product(A.begin(), A.nrow(), A.ncol(), B.begin(), B.nrow(), B.ncol(), A.nrow(), H.begin(),
                             H.nrow(), lower);
  return Rcpp::List::create(Rcpp::Named("H") = H, Rcpp::Named("simd") = gradglm::simd_kernels());
}

namespace {

// the sum of x[0..n) with independent partial sums (in vector registers where
// the processor has AVX2), so that memory, not the additions, sets the pace
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) double read_sum_avx2(const double* x, long n) {
  __m256d a = _mm256_setzero_pd(), b = a, c = a, d = a;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm256_add_pd(a, _mm256_loadu_pd(x + i));
    b = _mm256_add_pd(b, _mm256_loadu_pd(x + i + 4));
    c = _mm256_add_pd(c, _mm256_loadu_pd(x + i + 8));
    d = _mm256_add_pd(d, _mm256_loadu_pd(x + i + 12));
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_add_pd(a, b), _mm256_add_pd(c, d)));
  double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) s += x[i];
  return s;
}
#endif

double read_sum(const double* x, long n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx2")) return read_sum_avx2(x, n);
#endif
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) a[k] += x[i + k];
  for (; i < n; ++i) a[0] += x[i];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

}  // namespace

// What the machine allows (bench/bench-profile.R): seconds to read the
// vector x once (read_sum(): independent partial sums, so that the additions
// never wait for each other and memory sets the pace) and
// to evaluate `evals` logistic rows (loss and gradient) with the pass's own
// kernel on a block that stays in cache (no memory traffic), each on
// `threads` threads, the best of `reps`.
// [[Rcpp::export]]
Rcpp::NumericVector machine_speed(const Rcpp::NumericVector& x, int threads, double evals = 2e7, int reps = 5) {
  const long n = (long)x.size(), m = (long)evals;
  const double* p = x.begin();
  const long B = 1024, blocks = std::max(1L, m / B);
  double best_read = INFINITY, best_compute = INFINITY, sink = 0.0;
  for (int r = 0; r < std::max(1, reps); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    double s = 0.0;
#ifdef _OPENMP
#pragma omp parallel for reduction(+ : s) num_threads(threads) schedule(static)
#endif
    for (long c = 0; c < (n + 4095) / 4096; ++c) {
      const long from = c * 4096;
      s += read_sum(p + from, std::min(n, from + 4096) - from);
    }
    auto t1 = std::chrono::steady_clock::now();
    double c = 0.0;
#ifdef _OPENMP
#pragma omp parallel reduction(+ : c) num_threads(threads)
#endif
    {
      std::vector<double> eta(B), y(B), w(B, 1.0), g(B);
      for (long i = 0; i < B; ++i) {
        eta[i] = (double)(i % 64) / 8.0 - 4.0;
        y[i] = (double)(i % 3 == 0);
      }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
      for (long b = 0; b < blocks; ++b) {
        double loss = 0.0;
        if (!gradglm::logistic_block(y.data(), eta.data(), w.data(), B, g.data(), nullptr, loss)) {
          for (long i = 0; i < B; ++i) loss += std::log1p(std::exp(-std::abs(eta[i])));
        }
        c += loss + g[b % B];
      }
    }
    auto t2 = std::chrono::steady_clock::now();
    sink += s + c;
    best_read = std::min(best_read, std::chrono::duration<double>(t1 - t0).count());
    best_compute = std::min(best_compute, std::chrono::duration<double>(t2 - t1).count());
  }
  (void)threads;
  return Rcpp::NumericVector::create(Rcpp::Named("read") = best_read, Rcpp::Named("compute") = best_compute,
                                     Rcpp::Named("check") = sink);
}

// What an epoch's reads cost on this machine (bench/bench-sgd.R): seconds to
// compute X b for every run of `len` consecutive rows, the runs taken in the
// order of `runs` (0-based run numbers, as an epoch shuffles them), with the
// kernel the minibatch passes use, on one thread; the best of `reps`. No
// likelihood, gradient or step: the floor under an epoch's time.
// [[Rcpp::export]]
Rcpp::NumericVector runs_product_time(const Rcpp::NumericMatrix& x, int len, const Rcpp::IntegerVector& runs,
                                      int reps = 3) {
  const Index n = x.nrow(), p = x.ncol();
  if (len < 1 || len > 4096) throw std::invalid_argument("'len' must be in 1..4096");
  std::vector<const double*> cols(p);
  std::vector<double> b(p, 1.0 / (double)std::max<Index>(1, p)), eta(len);
  double best = INFINITY, sink = 0.0;
  for (int r = 0; r < std::max(1, reps); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (R_xlen_t k = 0; k < runs.size(); ++k) {
      const Index start = (Index)runs[k] * len;
      if (runs[k] < 0 || start >= n) throw std::invalid_argument("a run lies outside the rows");
      const Index m = std::min<Index>(len, n - start);
      for (Index j = 0; j < p; ++j) cols[j] = x.begin() + j * n + start;
      gradglm::matrix_vector_cols(cols.data(), m, p, b.data(), eta.data());
      sink += eta[0];
    }
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return Rcpp::NumericVector::create(Rcpp::Named("seconds") = best, Rcpp::Named("check") = sink);
}

// The mappings kept for reuse by the allocator of the fit's large vectors
// (src/huge_pages.h): how many, their bytes, and the allocations that found
// one (hits) or mapped new memory (misses); release = TRUE gives them all
// back to the system first.
// The exact weighted LAD solver (src/lad.h) from beta0: its coefficients,
// whether it certified them, its basis (1-based rows) and its message.
// [[Rcpp::export]]
Rcpp::List lad_eval(const Eigen::Map<Eigen::MatrixXd>& X, const Eigen::Map<Eigen::VectorXd>& y,
                    const Eigen::Map<Eigen::VectorXd>& c, const Eigen::Map<Eigen::VectorXd>& beta0) {
  if (y.size() != X.rows() || c.size() != X.rows() || beta0.size() != X.cols()) Rcpp::stop("lad_eval: sizes differ");
  const gradglm::LadResult r = gradglm::weighted_lad(X, y, c, beta0, std::vector<Eigen::Index>(), 1000000);
  std::vector<double> basis;
  for (Eigen::Index i : r.basis) basis.push_back((double)i + 1.0);
  return Rcpp::List::create(Rcpp::Named("beta") = Rcpp::wrap(r.beta), Rcpp::Named("optimal") = r.optimal,
                            Rcpp::Named("basis") = basis, Rcpp::Named("message") = r.message);
}

// [[Rcpp::export]]
Rcpp::List mapped_cache(bool release = false) {
  if (release) huge_detail::release_cache();
  const huge_detail::MapCache& c = huge_detail::map_cache();
  return Rcpp::List::create(Rcpp::Named("count") = (double)c.maps.size(), Rcpp::Named("bytes") = (double)c.bytes,
                            Rcpp::Named("hits") = c.hits, Rcpp::Named("misses") = c.misses,
                            Rcpp::Named("can_map") = huge_detail::can_map());
}
