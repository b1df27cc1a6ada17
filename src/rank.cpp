#include "rank.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "parallel.h"

namespace gradglm {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::vector<bool> aliased_columns(MatrixXd& A, const VectorXd& colnorm, double tol) {
  const Index m = A.rows(), p = A.cols();
  std::vector<bool> aliased(p, true);
  VectorXd work(p);
  Index k = 0;  // columns kept so far: rows k.. of a later column are its part orthogonal to them
  for (Index j = 0; j < p && k < m; ++j) {
    auto tail = A.col(j).segment(k, m - k);
    if (!(colnorm[j] > 0.0) || !(tail.norm() > tol * colnorm[j])) continue;
    aliased[j] = false;
    double tau = 0.0, beta = 0.0;
    tail.makeHouseholderInPlace(tau, beta);
    if (j + 1 < p) {
      A.block(k, j + 1, m - k, p - j - 1).applyHouseholderOnTheLeft(tail.tail(m - k - 1), tau, work.data());
    }
    ++k;
  }
  return aliased;
}

// Small problems: a QR of sqrt(w) X. Large ones: a QR of a count sketch
// S sqrt(w) X with m rows, built in one column-wise pass over X; S X c = 0
// whenever X c = 0, and a random sketch keeps independent columns independent.
std::vector<bool> detect_aliased(const Design& X, const VecRef& w, double tol, int threads,
                                 bool leading_constant) {
  const Index n = X.rows(), p = X.cols();
  if (p == 0) return std::vector<bool>();
  const Index c0 = leading_constant ? 1 : 0;  // (A's column of the constant, first)
  const Index pa = p + c0;
  const Index m = std::max<Index>(20000, 4 * pa * pa);
  MatrixXd A;
  if (n <= m) {
    A.resize(n, pa);
    if (c0) A.col(0) = w.cwiseSqrt();
    for (Index j = 0; j < p; ++j)
      for (Index i = 0; i < n; ++i) A(i, c0 + j) = std::sqrt(w[i]) * X.value(i, j);
  } else {
    std::vector<int32_t> bucket(n);
    VectorXd sw(n);
    for (Index i = 0; i < n; ++i) {
      const uint64_t h = splitmix64((uint64_t)i);
      bucket[i] = (int32_t)(h % (uint64_t)m);
      sw[i] = ((h >> 63) ? -1.0 : 1.0) * std::sqrt(w[i]);
    }
    A = MatrixXd::Zero(m, pa);
    if (c0) {
      for (Index i = 0; i < n; ++i) A(bucket[i], 0) += sw[i];
    }
    // columns are independent: one thread per column at a time
    for_blocks((long)p, 1L, threads_for((long)n, threads), [&](int, long j, long) {
      double* a = A.col(c0 + j).data();
      const double* x = X.col(j);
      if (x) {
        for (Index i = 0; i < n; ++i) a[bucket[i]] += sw[i] * x[i];
      } else {
        for (Index i = 0; i < n; ++i) a[bucket[i]] += sw[i];
      }
    });
  }
  const VectorXd colnorm = A.colwise().norm();
  // (Eigen's blocked QR first: its triangle R = Q' A has the columns' inner
  // products, so the sequential rule on its min(m, p) x p rows costs p^3,
  // not rows x p^2)
  Eigen::HouseholderQR<Eigen::Ref<MatrixXd>> qr(A);
  MatrixXd R = qr.matrixQR().topRows(std::min(A.rows(), pa)).triangularView<Eigen::Upper>();
  std::vector<bool> aliased = aliased_columns(R, colnorm, tol);
  aliased.erase(aliased.begin(), aliased.begin() + c0);
  return aliased;
}

bool scaled_gram_cholesky(const MatrixXd& G, double margin, MatrixXd* L, VectorXd* s) {
  const VectorXd d = G.diagonal().cwiseSqrt();
  if (G.cols() == 0 || !(d.minCoeff() > 0.0) || !d.allFinite()) return false;
  const VectorXd inv = d.cwiseInverse();
  const MatrixXd Gs = G.selfadjointView<Eigen::Lower>();
  const MatrixXd C = inv.asDiagonal() * Gs * inv.asDiagonal();
  Eigen::LLT<MatrixXd> llt(C);
  if (llt.info() != Eigen::Success) return false;
  if (!(llt.matrixLLT().diagonal().minCoeff() > margin)) return false;
  if (L) *L = llt.matrixL();
  if (s) *s = inv;
  return true;
}

bool gram_clearly_full_rank(const MatrixXd& G, double margin) {
  return scaled_gram_cholesky(G, margin, nullptr, nullptr);
}

std::vector<Index> kept_columns(const std::vector<bool>& aliased) {
  std::vector<Index> keep;
  for (size_t j = 0; j < aliased.size(); ++j)
    if (!aliased[j]) keep.push_back((Index)j);
  return keep;
}

}  // namespace gradglm
