// Pieces shared by the fitting entry points (src/fit.cpp for GLMs,
// src/fit_dist.cpp for distributional models): rank detection, symmetric
// inverses, standardisation for gradient descent and the trace as a data frame.
#ifndef GRADGLM_FIT_UTILS_H
#define GRADGLM_FIT_UTILS_H

#include <RcppEigen.h>

#include <cstdint>
#include <vector>

#include "model.h"
#include "objective.h"
#include "optimizer.h"

namespace gradglm {

uint64_t splitmix64(uint64_t x);

// Column j is aliased when the part of it orthogonal to the earlier kept
// columns has a norm below tol times its own norm (glm's sequential rule).
std::vector<bool> aliased_from_qr(const MatrixXd& R, const VectorXd& colnorm, double tol);

// Rank detection for the iterative optimizers (a QR of sqrt(w) X, or of a
// count sketch of it for large n).
std::vector<bool> detect_aliased(const MatRef& X, const VecRef& w, double tol, int threads);

MatrixXd select_columns(const MatRef& X, const std::vector<Index>& keep);

// the optimizer settings in the control list R passes (tol, max_iter,
// learning_rate, decay, trace, verbose)
Settings settings_from_control(const Rcpp::List& control);

// the trace as a data frame; gd / sgd / adam add the (scheduled) learning
// rate and, with validation rows, the validation loss
Rcpp::DataFrame trace_frame(const std::vector<TraceRow>& tr, bool with_rate = false, bool validated = false);

// Symmetric inverse of a positive (semi-)definite matrix (lower triangle
// used); a pseudo-inverse when Cholesky fails.
MatrixXd spd_inverse(const MatrixXd& H);

// Adds the standardisation of the columns of X, which hold parameters
// first .. first + X.cols() - 1 of the objective, to `scale` and `shifts`:
// the constant column (if any) acts as the intercept and the other columns
// are centred (when there is an intercept) and scaled to unit spread; without
// an intercept they are only scaled, by their root mean square.
void standardise_columns(const MatRef& X, const VecRef& W, double wsum, Index first, VectorXd& scale,
                         std::vector<InterceptShift>& shifts);

}  // namespace gradglm

#endif
