#include "lad.h"

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <utility>

#include "rank.h"

namespace gradglm {

namespace {

struct Break {
  double tau, w;
  Index row;
};

// weighted median of v with weights wt (> 0): the point where the cumulative
// weight reaches half the total; the midpoint of the two neighbouring values
// when the half is reached exactly
double weighted_median(std::vector<std::pair<double, double>>& vw) {
  std::sort(vw.begin(), vw.end());
  double total = 0.0;
  for (const auto& e : vw) total += e.second;
  const double half = 0.5 * total;
  double cum = 0.0;
  for (size_t k = 0; k < vw.size(); ++k) {
    cum += vw[k].second;
    if (cum >= half * (1.0 - 1e-13)) {
      if (std::abs(cum - half) <= 1e-13 * total && k + 1 < vw.size()) {
        return 0.5 * (vw[k].first + vw[k + 1].first);
      }
      return vw[k].first;
    }
  }
  return vw.back().first;
}

// p rows with small |r| whose x's are linearly independent (greedy, by a
// Gram-Schmidt test on the rows); fewer than p when none are left
std::vector<Index> initial_basis(const MatRef& X, const VecRef& c, const VectorXd& r) {
  const Index n = X.rows(), p = X.cols();
  std::vector<Index> order;
  order.reserve(n);
  for (Index i = 0; i < n; ++i)
    if (c[i] > 0.0) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return std::abs(r[a]) < std::abs(r[b]); });
  std::vector<Index> basis;
  MatrixXd Q(p, p);  // orthonormal rows accepted so far
  Index k = 0;
  for (Index i : order) {
    VectorXd v = X.row(i).transpose();
    const double norm0 = v.norm();
    if (!(norm0 > 0.0)) continue;
    for (int again = 0; again < 2; ++again)
      for (Index j = 0; j < k; ++j) v -= Q.col(j).dot(v) * Q.col(j);
    const double norm1 = v.norm();
    if (norm1 > 1e-8 * norm0) {
      Q.col(k++) = v / norm1;
      basis.push_back(i);
      if (k == p) break;
    }
  }
  return basis;
}

// The multipliers t of the basis rows that balance the subgradient of the
// others: XB^T (c_B * t) = -sum_{i not in B} c_i sign(r_i) x_i. The basis is
// optimal when |t| <= 1. Rows off the basis that r fits exactly (up to
// rounding) take the sign of `hint` instead.
void balance(const MatRef& X, const VecRef& c, const VectorXd& r, const VectorXd& hint,
             const std::vector<Index>& basis, const std::vector<char>& in_basis,
             const MatrixXd& XB, VectorXd& t) {
  const Index n = X.rows(), p = X.cols();
  const double scale = r.cwiseAbs().maxCoeff();
  VectorXd sgn = VectorXd::Zero(n);
  for (Index i = 0; i < n; ++i) {
    if (in_basis[i] || !(c[i] > 0.0)) continue;
    const double v = std::abs(r[i]) > 1e-13 * scale ? r[i] : hint[i];
    sgn[i] = v > 0.0 ? c[i] : (v < 0.0 ? -c[i] : 0.0);
  }
  const VectorXd g = X.transpose() * sgn;
  t = -Eigen::FullPivLU<MatrixXd>(XB.transpose()).solve(g);
  for (Index k = 0; k < p; ++k) t[k] /= c[basis[k]];
}

bool valid_basis(const std::vector<Index>& basis, Index p, const VecRef& c) {
  if ((Index)basis.size() != p) return false;
  for (Index i : basis)
    if (!(c[i] > 0.0)) return false;
  return true;
}

}  // namespace

LadResult weighted_lad(const MatRef& X, const VecRef& y, const VecRef& c, const VectorXd& beta0,
                       const std::vector<Index>& basis0, int max_pivots) {
  const Index n = X.rows(), p = X.cols();
  LadResult res;
  if (p == 0) {  // nothing to fit: the location is the offset alone
    res.beta = VectorXd(0);
    res.optimal = true;
    return res;
  }
  if (p == 1) {
    std::vector<std::pair<double, double>> vw;
    Index best = -1;
    for (Index i = 0; i < n; ++i) {
      const double x = X(i, 0);
      if (c[i] > 0.0 && x != 0.0) vw.push_back(std::make_pair(y[i] / x, c[i] * std::abs(x)));
    }
    if (vw.empty()) {
      res.message = "no observation with positive weight and a non-zero predictor";
      res.beta = beta0;
      return res;
    }
    res.beta = VectorXd::Constant(1, weighted_median(vw));
    double rmin = INFINITY;
    for (Index i = 0; i < n; ++i) {
      const double ri = std::abs(y[i] - X(i, 0) * res.beta[0]);
      if (c[i] > 0.0 && X(i, 0) != 0.0 && ri < rmin) {
        rmin = ri;
        best = i;
      }
    }
    res.basis.assign(1, best);
    res.optimal = true;
    return res;
  }

  // Ties (several rows fitted exactly beyond the p of a basis, common with
  // rounded data) make the simplex degenerate. It runs on y plus a tiny,
  // fixed perturbation that breaks them; the basis it ends with is then used
  // with the original y, and optimality is checked there, with the
  // perturbed signs for rows that the original y fits exactly.
  VectorXd r = y - X * beta0;
  double rscale = 0.0, csum = 0.0;
  for (Index i = 0; i < n; ++i) {
    if (c[i] > 0.0) {
      rscale += std::abs(r[i]);
      csum += 1.0;
    }
  }
  rscale = csum > 0.0 ? rscale / csum : 0.0;
  if (!(rscale > 0.0)) rscale = 1e-300 + y.cwiseAbs().maxCoeff();
  VectorXd yp(n);
  for (Index i = 0; i < n; ++i) {
    const double u = (double)(splitmix64((uint64_t)i) >> 11) * 0x1.0p-53;  // uniform [0, 1)
    yp[i] = y[i] + 1e-9 * rscale * (2.0 * u - 1.0);
  }
  std::vector<Index> basis = valid_basis(basis0, p, c) ? basis0 : initial_basis(X, c, r);
  if ((Index)basis.size() < p) {
    res.message = "the observations with positive weight do not determine the coefficients";
    res.beta = beta0;
    return res;
  }
  std::vector<char> in_basis(n, 0);
  VectorXd beta(p), t(p), d(p), a(n), rp(n);
  std::vector<Break> breaks;
  breaks.reserve(n);
  bool stalled = false;
  for (int pivot = 0;; ++pivot) {
    MatrixXd XB(p, p);
    for (Index j = 0; j < p; ++j) XB.row(j) = X.row(basis[j]);
    Eigen::FullPivLU<MatrixXd> lu(XB);
    if (!lu.isInvertible()) {
      res.message = "a singular basis was reached";
      stalled = true;
      break;
    }
    VectorXd yB(p);
    for (Index j = 0; j < p; ++j) yB[j] = yp[basis[j]];
    beta = lu.solve(yB);
    rp.noalias() = yp - X * beta;
    std::fill(in_basis.begin(), in_basis.end(), 0);
    for (Index i : basis) in_basis[i] = 1;
    balance(X, c, rp, rp, basis, in_basis, XB, t);
    Index j = -1;
    double gain = 0.0;
    for (Index k = 0; k < p; ++k) {
      const double e = c[basis[k]] * (std::abs(t[k]) - 1.0);
      if (std::abs(t[k]) > 1.0 + 1e-10 && e > gain) {
        gain = e;
        j = k;
      }
    }
    if (j < 0) break;
    if (pivot >= max_pivots) {
      res.message = "the simplex iteration limit was reached";
      stalled = true;
      break;
    }
    if (pivot % 16 == 15) Rcpp::checkUserInterrupt();
    // along XB d = sigma e_j, row j leaves the basis and F decreases at rate
    // c_j (|t_j| - 1); the step is the weighted median of the breakpoints
    const double sigma = t[j] > 0.0 ? -1.0 : 1.0;
    VectorXd e = VectorXd::Zero(p);
    e[j] = sigma;
    d = lu.solve(e);
    a.noalias() = X * d;
    breaks.clear();
    double passed = c[basis[j]] * std::abs(a[basis[j]]);
    double ahead = 0.0;
    for (Index i = 0; i < n; ++i) {
      if (in_basis[i] || !(c[i] > 0.0) || a[i] == 0.0) continue;
      const double wi = c[i] * std::abs(a[i]);
      const double tau = rp[i] / a[i];
      if (tau > 0.0) {
        breaks.push_back(Break{tau, wi, i});
        ahead += wi;
      } else {
        passed += wi;
      }
    }
    // slope at tau: (weights passed) - (weights ahead); the minimum is at the
    // first breakpoint where the slope turns non-negative
    std::sort(breaks.begin(), breaks.end(), [](const Break& u, const Break& v) { return u.tau < v.tau; });
    double slope = passed - ahead;
    Index enter = -1;
    for (const Break& b : breaks) {
      slope += 2.0 * b.w;
      if (slope >= 0.0) {
        enter = b.row;
        break;
      }
    }
    if (enter < 0) {
      res.message = "the line search along an edge failed";
      stalled = true;
      break;
    }
    basis[j] = enter;
    ++res.pivots;
  }
  // the solution for the original y from the final basis, and its certificate
  MatrixXd XB(p, p);
  VectorXd yB(p);
  for (Index j = 0; j < p; ++j) {
    XB.row(j) = X.row(basis[j]);
    yB[j] = y[basis[j]];
  }
  Eigen::FullPivLU<MatrixXd> lu(XB);
  if (lu.isInvertible()) {
    beta = lu.solve(yB);
    r.noalias() = y - X * beta;
    std::fill(in_basis.begin(), in_basis.end(), 0);
    for (Index i : basis) in_basis[i] = 1;
    balance(X, c, r, rp, basis, in_basis, XB, t);
    res.optimal = !stalled && t.cwiseAbs().maxCoeff() <= 1.0 + 1e-8;
    if (!stalled && !res.optimal) res.message = "the optimality check failed after the simplex";
  }
  res.beta = beta;
  res.basis = basis;
  return res;
}

}  // namespace gradglm
