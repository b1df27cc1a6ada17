#include "exact_qr.h"

#include <Rcpp.h>

#include <algorithm>
#include <limits>

#include "interrupts.h"
#include "kernels.h"
#include "parallel.h"
#include "profile.h"
#include "rank.h"

namespace gradglm {

namespace {

// Householder QR of A in place, left as Eigen's HouseholderQR leaves it (R in
// the upper triangle), a panel of 48 columns at a time: the panel factored,
// then its reflectors applied to the columns after it, in pieces of up to
// 1,024 columns, split among `threads` threads when this runs outside a
// parallel region. `stop` is asked between the pieces (a panel of a very
// wide design is 1e10 multiply-adds); false when it ended the QR early (A is
// then unfinished).
bool qr_in_place(Eigen::Ref<MatrixXd> A, int threads, Interrupts& stop) {
  const Index rows = A.rows(), cols = A.cols(), size = std::min(rows, cols), panel_cols = 48;
  VectorXd h(size), temp(cols);
  // (R is asked only by R's thread outside a parallel region, or by the
  // region's thread 0 between the panels: inside a region, the pieces' loop
  // runs in a team of one whose every thread is number 0)
  bool outside = true;
#ifdef _OPENMP
  if (omp_in_parallel()) {
    threads = 1;
    outside = false;
  }
#endif
  for (Index k = 0; k < size; k += panel_cols) {
    const Index bs = std::min(panel_cols, size - k), brows = rows - k, tcols = cols - k - bs;
    Eigen::Block<Eigen::Ref<MatrixXd>> panel = A.block(k, k, brows, bs);
    Eigen::VectorBlock<VectorXd> hk = h.segment(k, bs);
    Eigen::internal::householder_qr_inplace_unblocked(panel, hk, temp.data());
    if (tcols > 0) {
      // (threads for an update of at least a million multiply-adds, each a
      // share of the columns rounded to 8)
      const int T = (double)brows * (double)bs * (double)tcols >= 1e6 ? std::max(1, threads) : 1;
      const Index share = (tcols + T - 1) / T, chunk = std::min<Index>({tcols, (share + 7) / 8 * 8, 1024});
      for_blocks((long)tcols, (long)chunk, T, [&](int, long s, long l) {
        if (outside ? stop.requested() : stop.seen()) return;
        Eigen::Block<Eigen::Ref<MatrixXd>> rest = A.block(k, k + bs + s, brows, l);
        Eigen::internal::apply_block_householder_on_the_left(rest, panel, hk, false);
      });
    }
    if (stop.requested()) return false;
  }
  return true;
}

// Blocks of rows are folded into the triangle [R_X, Q' Z] of the rows folded
// so far, so X is read once and never copied whole. The triangle starts with
// no rows and has min(rows folded, p + r) of them: the first fold is the QR
// of its block alone, and a design with fewer rows than columns (a factor's
// interactions) ends with a trapezoid. Threads fold separate row ranges and
// their triangles are folded together at the end.
class StreamQR {
 public:
  StreamQR(Index p, Index r, int threads, Interrupts& stop)
      : p_(p), w_(p + r), threads_(threads), stop_(&stop), R_(0, p + r), sumsq_(VectorXd::Zero(p + r)) {}

  void fold(const Design& X, const VecRef& w, const MatRef& Z, Index start, Index len) {
    if (stop_->requested()) return;
    const Index m = R_.rows();
    work_.resize(m + len, w_);
    work_.topRows(m) = R_;
    sw_ = w.segment(start, len).cwiseSqrt();
    // (X's rows a piece at a time: a design of columns is copied by pieces)
    for (Index s = 0; s < len; s += 1024) {
      const Index l = std::min<Index>(1024, len - s);
      work_.block(m + s, 0, l, p_) = sw_.segment(s, l).asDiagonal() * X.block(start + s, l, buf_);
    }
    work_.block(m, p_, len, w_ - p_) = sw_.asDiagonal() * Z.middleRows(start, len);
    sumsq_ += work_.bottomRows(len).colwise().squaredNorm().transpose();
    triangularise();
  }

  void fold(const StreamQR& other) {
    const Index m = R_.rows(), mo = other.R_.rows();
    sumsq_ += other.sumsq_;
    if (mo == 0) return;
    work_.resize(m + mo, w_);
    work_.topRows(m) = R_;
    work_.bottomRows(mo) = other.R_;
    triangularise();
  }

  const MatrixXd& R() const { return R_; }
  VectorXd colnorm() const { return sumsq_.cwiseSqrt(); }

 private:
  void triangularise() {
    if (!qr_in_place(work_, threads_, *stop_)) return;
    R_ = work_.topRows(std::min(work_.rows(), w_)).triangularView<Eigen::Upper>();
  }
  Index p_, w_;
  int threads_;
  Interrupts* stop_;
  MatrixXd R_, work_, buf_;
  VectorXd sumsq_, sw_;
};

// Solves for the kept columns from the triangle [R_X, Q' Z] of the full
// design: refactoring the kept columns of the triangle gives the triangle of
// the reduced design (Q is orthogonal), without another pass over X.
// (Rfull may have fewer rows than columns: the trapezoid of a design with
// fewer rows than columns.)
void exact_solve(const MatrixXd& Rfull, Index p, const std::vector<Index>& keep, int threads, MatrixXd& B,
                 MatrixXd& cov, MatrixXd& R) {
  const Index w = Rfull.rows(), r = Rfull.cols() - p, k = (Index)keep.size();
  MatrixXd A(w, k + r);
  for (Index j = 0; j < k; ++j) A.col(j) = Rfull.col(keep[j]);
  A.rightCols(r) = Rfull.rightCols(r);
  Interrupts stop;
  if (!qr_in_place(A, threads, stop)) stop.rethrow();
  R = A.topLeftCorner(k, k).triangularView<Eigen::Upper>();
  const MatrixXd qtz = A.block(0, k, k, r);
  const auto Rt = R.triangularView<Eigen::Upper>();
  B = Rt.solve(qtz);
  const MatrixXd Rinv = Rt.solve(MatrixXd::Identity(k, k));
  cov = Rinv * Rinv.transpose();
}

// One step of iterative refinement with the residuals in extended precision:
// e = W (Z - X B) and g = X' e summed in long double (64-bit significands on
// x86), the correction d from R' R d = g with the triangle R of the kept
// columns, B += d. The QR's solution carries an error of about cond(X) eps,
// which rounding decides (on NIST's Longley data one order of the rows gave
// 11 correct digits, another 13); the step, whose residuals carry more digits
// than the solution, multiplies that error by about cond(X)^2 eps (below 1e-2
// for the designs the rank check keeps). About 2 n k operations in long
// double: a small part of the QR's 2 n (p + r)^2.
void refine_extended(const Design& X, const VecRef& W, const MatRef& Z, const std::vector<Index>& keep,
                     const MatrixXd& R, int threads, MatrixXd& B) {
  const Index n = X.rows(), k = (Index)keep.size(), r = Z.cols();
  if (k == 0 || n == 0 || !B.allFinite()) return;
  PhaseTimer timer("exact: refinement in extended precision");
  const Design Xk = X.select(keep);
  const int T = threads_for((long)n, threads);
  const long blk = 1024;
  std::vector<std::vector<long double>> g(T, std::vector<long double>(k * r, 0.0L)), e(T, std::vector<long double>(blk));
  for_blocks((long)n, blk, T, [&](int t, long start, long len) {
    long double* et = e[t].data();
    const double* w = W.data() + start;
    for (Index c = 0; c < r; ++c) {
      const double* z = Z.col(c).data() + start;
      for (long i = 0; i < len; ++i) et[i] = z[i];
      for (Index j = 0; j < k; ++j) {
        const long double bj = B(j, c);
        const double* x = Xk.col(j);
        if (x == nullptr) {
          for (long i = 0; i < len; ++i) et[i] -= bj;
        } else {
          x += start;
          for (long i = 0; i < len; ++i) et[i] -= (long double)x[i] * bj;
        }
      }
      for (long i = 0; i < len; ++i) et[i] *= w[i];
      long double* gt = g[t].data() + c * k;
      for (Index j = 0; j < k; ++j) {
        const double* x = Xk.col(j);
        // (four sums: long double additions in one chain would wait on each other)
        long double s0 = 0.0L, s1 = 0.0L, s2 = 0.0L, s3 = 0.0L;
        long i = 0;
        if (x == nullptr) {
          for (; i + 4 <= len; i += 4) {
            s0 += et[i];
            s1 += et[i + 1];
            s2 += et[i + 2];
            s3 += et[i + 3];
          }
          for (; i < len; ++i) s0 += et[i];
        } else {
          x += start;
          for (; i + 4 <= len; i += 4) {
            s0 += (long double)x[i] * et[i];
            s1 += (long double)x[i + 1] * et[i + 1];
            s2 += (long double)x[i + 2] * et[i + 2];
            s3 += (long double)x[i + 3] * et[i + 3];
          }
          for (; i < len; ++i) s0 += (long double)x[i] * et[i];
        }
        gt[j] += (s0 + s1) + (s2 + s3);
      }
    }
  });
  MatrixXd G(k, r);
  for (Index c = 0; c < r; ++c) {
    for (Index j = 0; j < k; ++j) {
      long double sum = 0.0L;
      for (int t = 0; t < T; ++t) sum += g[t][c * k + j];
      G(j, c) = (double)sum;
    }
  }
  const auto Rt = R.triangularView<Eigen::Upper>();
  const MatrixXd d = Rt.solve(Rt.transpose().solve(G));
  if (d.allFinite()) B += d;
}

}  // namespace

// The Gram matrix X' W X in one blocked pass, its Cholesky factor, then
// refinement steps whose residuals are computed from X itself. Each step
// multiplies the error by about cond(X)^2 eps; the test on the Cholesky pivots
// keeps that below about 1e-9, so that a few steps reach the accuracy of a QR.
bool seminormal_fit(const Design& X, const VecRef& W, const MatRef& Z, int threads, MatrixXd& B, MatrixXd& cov) {
  const Index n = X.rows(), p = X.cols(), r = Z.cols();
  const Index blk = std::max<Index>(256, 32768 / std::max<Index>(1, p));
  const int T = threads_for((long)n, threads);
  std::vector<MatrixXd> G(T, MatrixXd::Zero(p, p)), rhs(T, MatrixXd::Zero(p, r)), scratch(T), res(T);
  // (the block's columns read where they lie: pointers to their first rows, the intercept's to ones)
  std::vector<std::vector<const double*>> cols(T, std::vector<const double*>(p)), wcols(T, std::vector<const double*>(p));
  const std::vector<double> ones(blk, 1.0);
  auto point = [&](int t, long start) { return X.row_pointers(start, ones.data(), cols[t].data()); };
  // (rows in rounds, R's interrupt looked at between them)
  const double row_work = (double)p * (double)(p + r);
  const auto check = [] { Rcpp::checkUserInterrupt(); };
  for_blocks_checked((long)n, (long)blk, T, row_work, check, [&](int t, long start, long len) {
    const double* const* Xb = point(t, start);
    // (W X, and from it X' W X and X' W Z)
    scratch[t].resize(len, p);
    scale_rows_cols(W.data() + start, Xb, len, p, scratch[t].data());
    add_cross_product_cols(column_pointers(scratch[t].data(), len, p, wcols[t]), p, Xb, p, len, G[t].data(), p, true);
    for (Index k = 0; k < r; ++k) {
      add_transposed_product(scratch[t].data(), len, len, p, Z.col(k).data() + start, rhs[t].col(k).data());
    }
  });
  for (int t = 1; t < T; ++t) {
    G[0] += G[t];
    rhs[0] += rhs[t];
  }
  const MatrixXd Gs = G[0].selfadjointView<Eigen::Lower>();
  const VectorXd dg = Gs.diagonal();
  if (!(dg.minCoeff() > 0.0)) return false;
  const VectorXd D = dg.cwiseSqrt().cwiseInverse();
  const Eigen::LLT<MatrixXd> llt(D.asDiagonal() * Gs * D.asDiagonal());
  if (llt.info() != Eigen::Success) return false;
  const MatrixXd L = llt.matrixL();
  if (!(L.diagonal().cwiseAbs2().minCoeff() > 1e-6)) return false;
  auto solve = [&](const MatrixXd& b) -> MatrixXd { return D.asDiagonal() * llt.solve(D.asDiagonal() * b); };
  B = solve(rhs[0]);
  bool settled = false;
  std::vector<MatrixXd> g(T);
  // Settled: a correction at the rounding level of B, or one that no longer
  // shrinks (each step contracts a real error by cond(X)^2 eps, below 1e-9,
  // so a correction that stays put is the residuals' rounding) while below
  // 64 eps sqrt(p) of B. (At p = 2,001 the corrections after the first were
  // 1e-15 to 8e-15 of B, and 4 eps alone failed 8 steps out of 8, leaving
  // the wide design to the QR at 6 times the time.)
  const double eps = std::numeric_limits<double>::epsilon();
  const double floor_rel = 64.0 * eps * std::sqrt((double)p);
  double prev = std::numeric_limits<double>::infinity();
  for (int it = 0; it < 8 && !settled; ++it) {
    // X' W (Z - X B): the residuals from X itself
    for (int t = 0; t < T; ++t) g[t].setZero(p, r);
    for_blocks_checked((long)n, (long)blk, T, (double)p * r, check, [&](int t, long start, long len) {
      const double* const* Xb = point(t, start);
      res[t].resize(len, 1);
      double* e = res[t].data();
      const double* w = W.data() + start;
      for (Index k = 0; k < r; ++k) {
        matrix_vector_cols(Xb, len, p, B.col(k).data(), e);
        const double* z = Z.col(k).data() + start;
        for (Index i = 0; i < len; ++i) e[i] = w[i] * (z[i] - e[i]);
        add_transposed_product_cols(Xb, len, p, e, g[t].col(k).data());
      }
    });
    for (int t = 1; t < T; ++t) g[0] += g[t];
    const MatrixXd d = solve(g[0]);
    B += d;
    // (a correction of exactly 0 has settled, also where B is 0: a response of zeros)
    const double step = d.cwiseAbs().maxCoeff();
    const double rel = step == 0.0 ? 0.0 : step / B.cwiseAbs().maxCoeff();
    settled = rel <= 4 * eps || (rel >= prev / 8 && rel <= floor_rel);
    prev = rel;
  }
  if (!settled || !B.allFinite()) return false;
  const MatrixXd Dm = D.asDiagonal();
  cov = Dm * llt.solve(Dm);
  return true;
}

std::vector<bool> qr_fit(const Design& X, const VecRef& W, const MatRef& Z, double rank_tol, int threads,
                         MatrixXd& B, MatrixXd& cov) {
  const Index n = X.rows(), p = X.cols(), r = Z.cols();
  const int T = threads_for((long)n, threads);
  Interrupts stop;
  std::vector<StreamQR> parts(T, StreamQR(p, r, threads, stop));
  // A block stays in L2 cache where the design is narrow. A wide one takes
  // blocks of up to 2 (p + r) rows (at most 4e6 values): once the triangle
  // is full, each fold re-triangularises it with the block, about
  // 2 (p + r)^2 (p + r + len) operations, so blocks much shorter than p + r
  // cost p / len times the QR of the rows themselves (p = 2,001, n = 2e4:
  // 51 s in blocks of 256 rows). A design of no more than 2 (p + r) rows
  // (p > n among them: a factor's interactions) is one block, the QR of its
  // rows: 2 n (p + r)^2 operations (120 rows x 4,895 columns folded in
  // blocks into a full triangle: 14 s).
  const Index wide = std::min<Index>(2 * (p + r), std::max<Index>(1, 4000000 / (p + r)));
  const Index blk = n <= 2 * (p + r) ? std::max<Index>(1, n) : std::max<Index>({256, 32768 / (p + r), wide});
  const Index round = blk * 64 * T;                          // rows between interrupt checks
  for (Index r0 = 0; r0 < n; r0 += round) {
    const Index rlen = std::min(round, n - r0);
    for_blocks((long)rlen, (long)blk, T, [&](int t, long start, long len) {
      parts[t].fold(X, W, Z, r0 + start, len);
    });
    stop.rethrow();
    Rcpp::checkUserInterrupt();
  }
  for (int t = 1; t < T; ++t) parts[0].fold(parts[t]);
  stop.rethrow();
  const MatrixXd& Rfull = parts[0].R();
  MatrixXd RX = Rfull.leftCols(p);
  std::vector<bool> aliased = aliased_columns(RX, parts[0].colnorm().head(p), rank_tol);
  const std::vector<Index> keep = kept_columns(aliased);
  MatrixXd R;
  exact_solve(Rfull, p, keep, threads, B, cov, R);
  refine_extended(X, W, Z, keep, R, threads, B);
  return aliased;
}

std::vector<bool> least_squares(const Design& X, const VecRef& w, const MatRef& Z, double rank_tol, int threads,
                                Index min_rows, MatrixXd& B, MatrixXd& cov) {
  const Index n = X.rows(), p = X.cols();
  const bool seminormal = (n >= min_rows && n >= 20 * p) || (p >= 200 && n >= 2 * p);
  if (seminormal && seminormal_fit(X, w, Z, threads, B, cov)) return std::vector<bool>(p, false);
  return qr_fit(X, w, Z, rank_tol, threads, B, cov);
}

}  // namespace gradglm
