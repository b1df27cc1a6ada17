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

// The row of the breakpoint where, in increasing order of tau, the weights
// passed first reach `need` (-1 when they never do): a weighted selection by
// quickselect, in time linear in the number of breakpoints on average (a
// sort of them all was most of a pivot's time). Reorders `breaks`.
Index first_reaching(std::vector<Break>& breaks, double need) {
  auto lo = breaks.begin(), hi = breaks.end();
  const auto by_tau = [](const Break& u, const Break& v) { return u.tau < v.tau; };
  if (need <= 0.0) {  // (the first breakpoint already turns the slope)
    if (lo == hi) return -1;
    return std::min_element(lo, hi, by_tau)->row;
  }
  while (hi - lo > 16) {
    auto mid = lo + (hi - lo) / 2;
    std::nth_element(lo, mid, hi, by_tau);
    double below = 0.0;  // the weight of the breakpoints before mid (tau <= mid's)
    for (auto it = lo; it != mid; ++it) below += it->w;
    if (below >= need) {
      hi = mid;
    } else if (below + mid->w >= need) {
      return mid->row;
    } else {
      need -= below + mid->w;
      lo = mid + 1;
    }
  }
  std::sort(lo, hi, by_tau);
  for (auto it = lo; it != hi; ++it) {
    need -= it->w;
    if (need <= 0.0) return it->row;
  }
  return -1;
}

// the rows of `order`, in that order, whose x's are linearly independent of
// those taken before them (a Gram-Schmidt test); at most p of them
std::vector<Index> independent_rows(const MatRef& X, const std::vector<Index>& order) {
  const Index p = X.cols();
  std::vector<Index> rows;
  MatrixXd Q(p, p);  // orthonormal rows accepted so far
  Index k = 0;
  for (Index i : order) {
    if (k == p) break;
    VectorXd v = X.row(i).transpose();
    const double norm0 = v.norm();
    if (!(norm0 > 0.0)) continue;
    for (int again = 0; again < 2; ++again)
      for (Index j = 0; j < k; ++j) v -= Q.col(j).dot(v) * Q.col(j);
    const double norm1 = v.norm();
    if (norm1 > 1e-8 * norm0) {
      Q.col(k++) = v / norm1;
      rows.push_back(i);
    }
  }
  return rows;
}

// p rows with small |r| whose x's are linearly independent; fewer than p
// when none are left
std::vector<Index> initial_basis(const MatRef& X, const VecRef& c, const VectorXd& r) {
  const Index n = X.rows();
  std::vector<Index> order;
  order.reserve(n);
  for (Index i = 0; i < n; ++i)
    if (c[i] > 0.0) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return std::abs(r[a]) < std::abs(r[b]); });
  return independent_rows(X, order);
}

// The multipliers t of the basis rows that balance the subgradient of the
// others: XB^T (c_B * t) = -sum_{i not in B} c_i sign(r_i) x_i (- g_out, the
// rows left outside a reduced problem). The basis is optimal when |t| <= 1.
// Rows off the basis that r fits exactly (up to rounding: 1e-13 of the
// largest |r| or of `size`, the size of y) take the sign of `hint` instead.
// `sgn`: room for n values.
void balance(const MatRef& X, const VecRef& c, const VectorXd& r, const VectorXd& hint,
             const std::vector<Index>& basis, const std::vector<char>& in_basis,
             const MatrixXd& XB, const VectorXd* g_out, double size, VectorXd& t, VectorXd& sgn) {
  const Index n = X.rows(), p = X.cols();
  const double scale = std::max(r.cwiseAbs().maxCoeff(), size);
  for (Index i = 0; i < n; ++i) {
    double v = 0.0;
    if (!in_basis[i] && c[i] > 0.0) v = std::abs(r[i]) > 1e-13 * scale ? r[i] : hint[i];
    sgn[i] = v > 0.0 ? c[i] : (v < 0.0 ? -c[i] : 0.0);
  }
  VectorXd g = X.transpose() * sgn;
  if (g_out) g += *g_out;
  t = -Eigen::FullPivLU<MatrixXd>(XB.transpose()).solve(g);
  for (Index k = 0; k < p; ++k) t[k] /= c[basis[k]];
}

bool valid_basis(const std::vector<Index>& basis, Index p, const VecRef& c) {
  if ((Index)basis.size() != p) return false;
  for (Index i : basis)
    if (!(c[i] > 0.0)) return false;
  return true;
}

// The size of the residuals for the simplex's perturbation: their median
// (over rows of positive weight), else their mean, else the size of y.
double residual_scale(const VectorXd& r, const VecRef& c, const VecRef& y) {
  const Index n = r.size();
  std::vector<double> sizes;
  sizes.reserve(n);
  double rsum = 0.0;
  for (Index i = 0; i < n; ++i) {
    if (c[i] > 0.0) {
      sizes.push_back(std::abs(r[i]));
      rsum += std::abs(r[i]);
    }
  }
  double rscale = 0.0;
  if (!sizes.empty()) {
    std::nth_element(sizes.begin(), sizes.begin() + sizes.size() / 2, sizes.end());
    rscale = sizes[sizes.size() / 2];
    if (!(rscale > 0.0)) rscale = rsum / (double)sizes.size();
  }
  if (!(rscale > 0.0)) rscale = 1e-300 + y.cwiseAbs().maxCoeff();
  return rscale;
}

// A reduced problem's part (lad_preprocessed()): the gradient of the rows
// left outside it, the rows' numbers in the whole problem (for their
// perturbations), and the whole problem's residual scale for them.
struct Reduced {
  const VectorXd* g_out = nullptr;
  const std::vector<Index>* ids = nullptr;
  double rscale = 0.0;
};

// The simplex from beta0 (or from basis0, when it is a valid basis).
LadResult lad_simplex(const MatRef& X, const VecRef& y, const VecRef& c, const VectorXd& beta0,
                      const std::vector<Index>& basis0, int max_pivots, const Reduced& red) {
  const VectorXd* g_out = red.g_out;
  const std::vector<Index>* ids = red.ids;
  const Index n = X.rows(), p = X.cols();
  LadResult res;
  // Ties (several rows fitted exactly beyond the p of a basis, common with
  // rounded data) make the simplex degenerate. It runs on y plus a tiny,
  // fixed perturbation that breaks them; the basis it ends with is then used
  // with the original y, and optimality is checked there, with the
  // perturbed signs for rows that the original y fits exactly.
  // (the perturbation's size: 1e-9 of the residuals' median size, which a
  // gross outlier does not set as it sets their mean: a mean of 5e9 beside
  // residuals of about 1 perturbed y by units, another problem)
  VectorXd r = y - X * beta0;
  const double rscale = red.rscale > 0.0 ? red.rscale : residual_scale(r, c, y);
  VectorXd yp(n);
  for (Index i = 0; i < n; ++i) {
    // (a row's perturbation is that of its number in the whole problem)
    const uint64_t id = (uint64_t)(ids ? (*ids)[i] : i);
    const double u = (double)(splitmix64(id) >> 11) * 0x1.0p-53;  // uniform [0, 1)
    yp[i] = y[i] + 1e-9 * rscale * (2.0 * u - 1.0);
  }
  std::vector<Index> basis = valid_basis(basis0, p, c) ? basis0 : initial_basis(X, c, r);
  if ((Index)basis.size() < p) {
    res.message = "the observations with positive weight do not determine the coefficients";
    res.beta = beta0;
    return res;
  }
  std::vector<char> in_basis(n, 0);
  for (Index i : basis) in_basis[i] = 1;
  VectorXd beta(p), t(p), d(p), a(n), rp(n), sgn(n);
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
    // the residuals at the basis's solution: computed afresh every 32 pivots,
    // moved along each edge in between (rp - tau a, one read of X less)
    if (pivot % 32 == 0) {
      VectorXd yB(p);
      for (Index j = 0; j < p; ++j) yB[j] = yp[basis[j]];
      beta = lu.solve(yB);
      rp.noalias() = yp - X * beta;
    }
    balance(X, c, rp, rp, basis, in_basis, XB, g_out, 0.0, t, sgn);
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
    // (the rows outside a reduced problem change F at the constant rate -g_out' d)
    double passed = c[basis[j]] * std::abs(a[basis[j]]) - (g_out ? g_out->dot(d) : 0.0);
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
    const Index enter = first_reaching(breaks, 0.5 * (ahead - passed));
    if (enter < 0) {
      res.message = "the line search along an edge failed";
      stalled = true;
      break;
    }
    rp -= (rp[enter] / a[enter]) * a;
    in_basis[basis[j]] = 0;
    in_basis[enter] = 1;
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
    // (a y that the basis fits exactly, a constant one say, leaves residuals
    // of the rounding of y's size, whose signs are noise: the perturbed ones)
    balance(X, c, r, rp, basis, in_basis, XB, g_out, y.cwiseAbs().maxCoeff(), t, sgn);
    res.optimal = !stalled && t.cwiseAbs().maxCoeff() <= 1.0 + 1e-8;
    if (!stalled && !res.optimal) res.message = "the optimality check failed after the simplex";
  }
  res.beta = beta;
  res.basis = basis;
  return res;
}

// Many rows (after Portnoy and Koenker's preprocessing, 1997): the rows that
// the start fits worst, in units of the start's uncertainty at each row
// (sqrt(x_i' G^-1 x_i), G = X' C X), keep the sides of their residuals at
// the optimum. The simplex runs on the m = 2 sqrt(p) n^(2/3) rows nearest the
// start's fit, with the constant gradient of the others (each on its side);
// at its optimum, the rows left out that crossed to the other side are taken
// in, and it runs again. When none crossed, that optimum is the whole
// problem's (the whole objective is at least the reduced one everywhere, and
// equal to it there). The simplex on all rows then starts from its basis:
// the certificate on all rows, and the finish should the reduction fail.
Index reduced_rows(Index n, Index p) {
  return (Index)std::ceil(2.0 * std::sqrt((double)p) * std::pow((double)n, 2.0 / 3.0));
}

LadResult lad_preprocessed(const MatRef& X, const VecRef& y, const VecRef& c, const VectorXd& beta0,
                           const std::vector<Index>& basis0, int max_pivots) {
  const Index n = X.rows(), p = X.cols(), m = reduced_rows(n, p);
  VectorXd beta = beta0;
  std::vector<Index> basis = basis0;
  // (every run with the same perturbation of y: the start's residual scale)
  Reduced whole;
  whole.rscale = residual_scale(y - X * beta, c, y);
  // (a start already optimal on all rows: a few pivots at most)
  if (valid_basis(basis, p, c)) {
    LadResult quick = lad_simplex(X, y, c, beta, basis, std::max<Index>(8, p), whole);
    if (quick.optimal) return quick;
    if (quick.beta.allFinite() && (Index)quick.basis.size() == p) {
      beta = quick.beta;
      basis = quick.basis;
    }
  }
  const VectorXd r = y - X * beta;
  // G in blocks of rows (sqrt(c) X a block at a time), and each row's
  // uncertainty from its Cholesky factor
  MatrixXd G = MatrixXd::Zero(p, p), blk;
  const Index B = 4096;
  for (Index s0 = 0; s0 < n; s0 += B) {
    const Index len = std::min(B, n - s0);
    blk = c.segment(s0, len).cwiseSqrt().asDiagonal() * X.middleRows(s0, len);
    G.selfadjointView<Eigen::Lower>().rankUpdate(blk.transpose());
  }
  const Eigen::LLT<MatrixXd> llt(G.selfadjointView<Eigen::Lower>());
  if (llt.info() != Eigen::Success) return lad_simplex(X, y, c, beta, basis, max_pivots, whole);
  std::vector<std::pair<double, Index>> z;
  z.reserve(n);
  MatrixXd V;
  for (Index s0 = 0; s0 < n; s0 += B) {
    const Index len = std::min(B, n - s0);
    V = llt.matrixL().solve(X.middleRows(s0, len).transpose());
    for (Index k = 0; k < len; ++k) {
      const Index i = s0 + k;
      if (c[i] > 0.0) z.push_back(std::make_pair(std::abs(r[i]) / std::sqrt(V.col(k).squaredNorm() + 1e-300), i));
    }
  }
  if ((Index)z.size() <= m) return lad_simplex(X, y, c, beta, basis, max_pivots, whole);
  std::nth_element(z.begin(), z.begin() + m, z.end());
  // side: +1 or -1 for a row left out (its residual's sign at the start), 0 for one kept
  std::vector<signed char> side(n, 0);
  for (size_t k = m; k < z.size(); ++k) side[z[k].second] = r[z[k].second] > 0.0 ? 1 : -1;
  for (Index i : basis) {
    if (i >= 0 && i < n) side[i] = 0;
  }
  VectorXd g_out = VectorXd::Zero(p);
  for (Index i = 0; i < n; ++i)
    if (side[i] != 0) g_out += (side[i] * c[i]) * X.row(i).transpose();
  for (int round = 0; round < 8; ++round) {
    std::vector<Index> ids;
    for (Index i = 0; i < n; ++i)
      if (c[i] > 0.0 && side[i] == 0) ids.push_back(i);
    const Index k = (Index)ids.size();
    MatrixXd Xr(k, p);
    VectorXd yr(k), cr(k);
    std::vector<Index> basis_r;
    std::vector<Index> at(n, -1);
    for (Index j = 0; j < k; ++j) {
      Xr.row(j) = X.row(ids[j]);
      yr[j] = y[ids[j]];
      cr[j] = c[ids[j]];
      at[ids[j]] = j;
    }
    for (Index i : basis)
      if (i >= 0 && i < n && at[i] >= 0) basis_r.push_back(at[i]);
    Reduced red;
    red.g_out = &g_out;
    red.ids = &ids;
    red.rscale = whole.rscale;
    const LadResult lr = lad_simplex(Xr, yr, cr, beta, basis_r, max_pivots, red);
    if (!lr.optimal || (Index)lr.basis.size() != p) break;
    beta = lr.beta;
    basis.clear();
    for (Index j : lr.basis) basis.push_back(ids[j]);
    // the rows left out that crossed to the other side join the kept rows
    const VectorXd rr = y - X * beta;
    Index crossed = 0;
    for (Index i = 0; i < n; ++i) {
      if (side[i] != 0 && side[i] * rr[i] < 0.0) {
        g_out -= (side[i] * c[i]) * X.row(i).transpose();
        side[i] = 0;
        ++crossed;
      }
    }
    if (crossed == 0) break;
  }
  return lad_simplex(X, y, c, beta, basis, max_pivots, whole);
}

}  // namespace

bool lad_reduces(Index n, Index p) { return n >= 20000 && 4 * reduced_rows(n, p) <= n; }

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

  if (lad_reduces(n, p)) return lad_preprocessed(X, y, c, beta0, basis0, max_pivots);
  return lad_simplex(X, y, c, beta0, basis0, max_pivots, Reduced());
}

LadResult weighted_lad_ridge(const MatRef& X, const VecRef& y, const VecRef& c, const VecRef& q,
                             const VectorXd& beta0, const VectorXd& closeness, double zero_tol, int max_changes) {
  const Index n = X.rows(), p = X.cols();
  LadResult res;
  res.beta = beta0;
  // Z: rows close to zero residual (smallest `closeness` first, up to
  // zero_tol), with linearly independent x's
  std::vector<Index> order;
  for (Index i = 0; i < n; ++i)
    if (c[i] > 0.0 && closeness[i] <= zero_tol) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return closeness[a] < closeness[b]; });
  std::vector<char> inZ(n, 0);
  for (Index i : independent_rows(X, order)) inZ[i] = 1;
  std::vector<Index> Z;
  auto collect = [&]() {
    Z.clear();
    for (Index i = 0; i < n; ++i)
      if (inZ[i]) Z.push_back(i);
  };
  collect();
  VectorXd beta = beta0;
  // move onto the rows of Z (a least-norm correction: they are nearly fitted)
  if (!Z.empty()) {
    const Index m = (Index)Z.size();
    MatrixXd XZ(m, p);
    VectorXd rz(m);
    for (Index k = 0; k < m; ++k) {
      XZ.row(k) = X.row(Z[k]);
      rz[k] = y[Z[k]] - X.row(Z[k]).dot(beta);
    }
    beta.noalias() += XZ.transpose() * (XZ * XZ.transpose()).ldlt().solve(rz);
  }
  VectorXd r = y - X * beta;
  std::vector<signed char> sg(n, 1);
  for (Index i = 0; i < n; ++i) sg[i] = r[i] < 0.0 ? -1 : 1;
  VectorXd g(p), a(n), wg = VectorXd::Zero(n);
  std::vector<std::pair<double, Index>> brk;
  for (int change = 0; change <= max_changes; ++change) {
    collect();
    const Index m = (Index)Z.size();
    // g = sum over rows off Z of c_i s_i x_i: updated where a row's term
    // changed (recomputed, with r, every 32 changes against drift)
    if (change % 32 == 0) {
      r.noalias() = y - X * beta;
      for (Index i = 0; i < n; ++i) wg[i] = (!inZ[i] && c[i] > 0.0) ? c[i] * sg[i] : 0.0;
      g.noalias() = X.transpose() * wg;
    } else {
      for (Index i = 0; i < n; ++i) {
        const double wi = (!inZ[i] && c[i] > 0.0) ? c[i] * sg[i] : 0.0;
        if (wi != wg[i]) {
          g.noalias() += (wi - wg[i]) * X.row(i).transpose();
          wg[i] = wi;
        }
      }
    }
    MatrixXd M = MatrixXd::Zero(p + m, p + m);
    VectorXd rhs(p + m);
    M.topLeftCorner(p, p).diagonal() = q;
    for (Index k = 0; k < m; ++k) {
      M.block(0, p + k, p, 1) = -X.row(Z[k]).transpose();
      M.block(p + k, 0, 1, p) = X.row(Z[k]);
      rhs[p + k] = y[Z[k]];
    }
    rhs.head(p) = g;
    Eigen::FullPivLU<MatrixXd> lu(M);
    VectorXd d, v;
    bool ray = false;
    if (lu.isInvertible()) {
      const VectorXd sol = lu.solve(rhs);
      d = sol.head(p) - beta;
      v = sol.tail(m);
    } else {
      // unpenalised directions that Z leaves free: the objective is flat
      // along them (then the step of least norm), or linear, falling along
      // +-d until a residual reaches zero
      VectorXd cur = VectorXd::Zero(p + m);
      cur.head(p) = beta;
      const VectorXd rhs_step = rhs - M * cur;
      Eigen::CompleteOrthogonalDecomposition<MatrixXd> cod(M);
      const VectorXd step = cod.solve(rhs_step);
      if ((M * step - rhs_step).cwiseAbs().maxCoeff() <= 1e-9 * (1.0 + rhs.cwiseAbs().maxCoeff())) {
        d = step.head(p);
        v = step.tail(m);
      } else {
        const MatrixXd ker = lu.kernel();
        Index best = -1;
        double slope = 0.0;
        for (Index k = 0; k < ker.cols(); ++k) {
          const double sk = std::abs(g.dot(ker.col(k).head(p)));
          if (sk > slope) {
            slope = sk;
            best = k;
          }
        }
        if (best < 0) {
          res.message = "the rows fitted exactly do not determine the coefficients";
          break;
        }
        d = ker.col(best).head(p);
        if (g.dot(d) < 0.0) d = -d;
        ray = true;
      }
    }
    if (!d.allFinite()) {
      res.message = "the system of the active set is ill-conditioned";
      break;
    }
    // the exact line minimum of F along d: F is convex and piecewise
    // quadratic in the step t, and its slope jumps by 2 c_i |a_i| where a
    // residual crosses zero. Where none crosses before t = 1, the step ends
    // at the optimum of this active set.
    a.noalias() = X * d;
    double slope = 0.0, curv = 0.0;
    for (Index j = 0; j < p; ++j) {
      slope += q[j] * d[j] * beta[j];
      curv += q[j] * d[j] * d[j];
    }
    brk.clear();
    for (Index i = 0; i < n; ++i) {
      if (inZ[i] || !(c[i] > 0.0) || a[i] == 0.0) continue;
      const double s0 = r[i] != 0.0 ? (r[i] > 0.0 ? 1.0 : -1.0) : (a[i] > 0.0 ? -1.0 : 1.0);
      slope -= c[i] * a[i] * s0;
      const double ti = r[i] / a[i];
      if (ti > 0.0) brk.push_back(std::make_pair(ti, i));
    }
    // (sorted as far as the walk needs: the first 64, then the rest)
    size_t sorted = std::min<size_t>(64, brk.size());
    std::partial_sort(brk.begin(), brk.begin() + sorted, brk.end());
    const bool clear = !ray && (brk.empty() || brk[0].first > 1.0);
    double t = 1.0;
    Index land = -1;
    size_t crossed = 0;
    if (!clear) {
      if (!(slope < 0.0)) {
        res.message = "the step of the active set does not descend";
        break;
      }
      bool found = false;
      for (; crossed < brk.size(); ++crossed) {
        if (crossed == sorted) {
          std::sort(brk.begin() + sorted, brk.end());
          sorted = brk.size();
        }
        const double tk = brk[crossed].first;
        if (slope + curv * tk >= 0.0) {  // the minimum lies before this breakpoint
          t = -slope / curv;
          found = true;
          break;
        }
        const Index i = brk[crossed].second;
        slope += 2.0 * c[i] * std::abs(a[i]);
        if (slope + curv * tk >= 0.0) {  // at it: that residual is zero
          t = tk;
          land = i;
          found = true;
          break;
        }
      }
      if (!found) {
        if (!(curv > 0.0)) {
          res.message = "the objective is unbounded below along the active set";
          break;
        }
        t = -slope / curv;
      }
    }
    beta.noalias() += t * d;
    r.noalias() -= t * a;
    res.pivots = change + 1;
    if (!clear) {
      if (land >= 0) {
        inZ[land] = 1;
        r[land] = 0.0;
      }
      for (Index i = 0; i < n; ++i)
        if (!inZ[i] && r[i] != 0.0) sg[i] = r[i] < 0.0 ? -1 : 1;
      continue;
    }
    // at the optimum of the active set: a multiplier beyond its weight
    // sends its row out, to that side; none is the certificate
    Index out = -1;
    double worst = 1e-9;
    for (Index k = 0; k < m; ++k) {
      const double e = std::abs(v[k]) / c[Z[k]] - 1.0;
      if (e > worst) {
        worst = e;
        out = k;
      }
    }
    if (out < 0) {
      res.optimal = true;
      break;
    }
    inZ[Z[out]] = 0;
    sg[Z[out]] = v[out] > 0.0 ? 1 : -1;
  }
  if (!res.optimal && res.message.empty()) res.message = "the active set did not settle";
  collect();
  res.beta = beta;
  res.basis = Z;
  return res;
}

}  // namespace gradglm
