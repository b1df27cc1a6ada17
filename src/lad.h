// Weighted least absolute deviations, exactly: minimise
//   F(beta) = sum_i c_i |y_i - x_i beta|,   c_i >= 0,
// the location problem of the Laplace likelihood. A simplex method over
// "basic" solutions (p rows fitted exactly): from a basis, the optimality
// condition is checked with the subgradient; if it fails, one row leaves the
// basis along the edge that decreases F fastest, and the step length is the
// weighted median of the breakpoints along that edge (the exact line
// minimum). Started from a near-optimal basis (a smoothed fit) it needs few
// pivots, and it ends with a certificate of optimality.
#ifndef GRADGLM_LAD_H
#define GRADGLM_LAD_H

#include "eigen.h"

#include <string>
#include <vector>

#include "design.h"

namespace gradglm {

typedef Eigen::Ref<const MatrixXd> MatRef;
typedef Eigen::Ref<const VectorXd> VecRef;

struct LadResult {
  VectorXd beta;
  std::vector<Index> basis;  // rows fitted exactly (p of them)
  bool optimal = false;      // the optimality condition holds
  int pivots = 0;
  std::string message;
};

// beta0: a starting value (the basis is taken from its smallest residuals
// when `basis0` is empty or no longer valid). With one column the answer is a
// weighted median, the midpoint of the two middle values when it is not
// unique (so that an intercept-only fit is median(y)).
LadResult weighted_lad(const MatRef& X, const VecRef& y, const VecRef& c, const VectorXd& beta0,
                       const std::vector<Index>& basis0, int max_pivots);

// Whether weighted_lad() first solves a problem of n rows and p columns on a
// subset of its rows (n >= 20,000 and m = 2 sqrt(p) n^(2/3) <= n / 4), after
// which the start's quality costs little.
bool lad_reduces(Index n, Index p);

// The same with a ridge term:
//   F(beta) = sum_i c_i |y_i - x_i beta| + 1/2 sum_j q_j beta_j^2,   q_j >= 0
// (a quadratic programme, not a linear one: the optimum need not fit p rows
// exactly), by a primal active-set method. Given the set Z of rows fitted
// exactly and the signs of the other residuals, the best point solves
//   q beta - X_Z' v = sum_{i not in Z} c_i s_i x_i,   X_Z beta = y_Z;
// the step towards it stops where another residual reaches zero (that row
// joins Z); at it, a multiplier with |v_i| > c_i sends its row out of Z,
// and none is the certificate of optimality. Z starts from the rows with
// `closeness` up to `zero_tol` (e.g. |residual| / scale of a smoothed fit,
// from `beta0`), the closest first; at most `max_changes` changes of Z (optimal = false when that
// does not reach the certificate). `basis` holds the final Z.
LadResult weighted_lad_ridge(const MatRef& X, const VecRef& y, const VecRef& c, const VecRef& q,
                             const VectorXd& beta0, const VectorXd& closeness, double zero_tol, int max_changes);

}  // namespace gradglm

#endif
