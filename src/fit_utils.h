// Pieces of the fitting driver (src/fit.cpp) and its finishers: the settings
// R passes, the trace as a data frame, symmetric inverses and the
// standardisation of designs for the first-order optimizers.
#ifndef GRADGLM_FIT_UTILS_H
#define GRADGLM_FIT_UTILS_H

#include "eigen.h"

#include <vector>

#include "design.h"
#include "objective.h"
#include "optimizer.h"

namespace gradglm {

// the optimizer settings in the control list R passes (tol, max_iter,
// learning_rate, decay, trace, verbose, and those of the optimizer specs)
Settings settings_from_control(const Rcpp::List& control);

// the trace as a data frame; gd / sgd / adam add the (scheduled) learning
// rate and, with validation rows, the validation loss
Rcpp::List trace_frame(const std::vector<TraceRow>& tr, bool with_rate = false, bool validated = false);

// Symmetric inverse of a positive (semi-)definite matrix (lower triangle
// used); a pseudo-inverse when Cholesky fails.
MatrixXd spd_inverse(const MatrixXd& H);

// Adds the standardisation of the columns of X, which hold parameters
// first .. first + X.cols() - 1 of the objective, to `scale` and `shifts`:
// the constant column (if any) acts as the intercept and the other columns
// are centred (when there is an intercept) and scaled to unit spread; without
// an intercept they are only scaled, by their root mean square.
void standardise_columns(const Design& X, const VecRef& W, double wsum, Index first, VectorXd& scale,
                         std::vector<InterceptShift>& shifts);

// Mean Fisher curvature of each predictor over the rows at theta:
// sum_i w_i F_kk,i / sum_i w_i
VectorXd mean_fisher_diagonal(ModelObjective& obj, const VectorXd& theta);

// The first-order optimizers work on b = A theta: standardised columns (one
// intercept shift per predictor) and, where `units` differ from 1, each
// predictor's coefficients measured in units in which its mean curvature is
// about 1 per standardised column.
struct Standardised {
  VectorXd scale;
  std::vector<InterceptShift> shifts;
};
Standardised standardise(const LinearPredictor& pred, const VecRef& w, double wsum, const VectorXd& units);

// Those units, one per predictor, at theta0: the location predictors of a
// likelihood (those before its log-scales) in units of about unit mean
// curvature (for a location-scale model (mu.eta / sigma)^2), a Gaussian GLM in
// units of its dispersion, whose inverse becomes `grad_scale`.
VectorXd first_order_units(ModelObjective& obj, const VectorXd& theta0, double& grad_scale);

// The median of |r_i| over the rows of positive weight w_i (R's median():
// the mean of the two middle values for an even count), by selection in
// linear time; NaN when there are none or one of them is NaN.
double abs_median(const double* r, const double* w, Index n);

}  // namespace gradglm

#endif
