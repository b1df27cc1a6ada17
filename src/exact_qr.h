// The closed form of least squares (Gaussian likelihood, identity link): one
// response or several sharing one design,
//   min_B sum_i w_i || z_i - x_i B ||^2,   z_i = y_i - offset_i.
#ifndef GRADGLM_EXACT_QR_H
#define GRADGLM_EXACT_QR_H

#include "eigen.h"

#include <vector>

#include "design.h"

namespace gradglm {

typedef Eigen::Ref<const VectorXd> VecRef;
typedef Eigen::Ref<const MatrixXd> MatRef;

// Semi-normal equations with iterative refinement (half the arithmetic of a
// QR); false for ill-conditioned or rank-deficient designs, where the QR must
// be used. Z is n x R; B (p x R) and cov = (X' W X)^-1 are filled.
bool seminormal_fit(const Design& X, const VecRef& w, const MatRef& Z, int threads, MatrixXd& B, MatrixXd& cov);

// A streaming Householder QR of [sqrt(w) X, sqrt(w) Z] with glm's sequential
// rule for aliased columns; fills B and cov for the kept columns and returns
// the aliased flags.
std::vector<bool> qr_fit(const Design& X, const VecRef& w, const MatRef& Z, double rank_tol, int threads,
                         MatrixXd& B, MatrixXd& cov);

// Least squares by the route that pays: the semi-normal equations for a
// design of many rows (at least `min_rows`, and 20 a column) or a wide one
// (p >= 200, n >= 2p), whose QR costs about 4 times its Gram matrix; else,
// or where X is not clearly of full rank, the QR. The aliased flags, as
// qr_fit()'s (none on the semi-normal route).
std::vector<bool> least_squares(const Design& X, const VecRef& w, const MatRef& Z, double rank_tol, int threads,
                                Index min_rows, MatrixXd& B, MatrixXd& cov);

}  // namespace gradglm

#endif
