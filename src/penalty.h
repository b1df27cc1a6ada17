// Penalised fits: the elastic net on any likelihood with curvature.
//
// The objective is glmnet's,
//   F(theta) = (1 / sum w) sum_i w_i loss_i + lambda sum_j f_j [alpha s_j |theta_j|
//              + (1 - alpha) / 2 * r s_j^2 theta_j^2],
// (a group lasso replaces alpha sum_j s_j |theta_j| by alpha sum_g w_g ||s_g theta_g||,
// w_g the square root of the group's number of design columns), with
// per-coefficient penalty factors f_j (0 = unpenalised), standardising
// scales s_j (a coefficient is penalised in the units of its standardised
// column: the weighted standard deviation of the column when its predictor
// has an intercept, else its root mean square; 1 when the columns are taken
// as they are) and r the ridge part's
// scale (glmnet's Gaussian fits scale it by 1 / sd(y)).
//
// It is minimised along a decreasing sequence of lambdas by coordinate
// descent on Newton's quadratic approximation (a proximal Newton method with
// step-halving on F), with warm starts, the sequential strong rule and a KKT
// check at each lambda, the glmnet way. A Gaussian model with the identity
// link is quadratic: its curvature (X'WX, the intercept eliminated) is built
// once and coordinate descent works on it alone ("covariance updates").
#ifndef GRADGLM_PENALTY_H
#define GRADGLM_PENALTY_H

#include "eigen.h"

#include <string>
#include <vector>

#include "objective.h"

namespace gradglm {

struct PenaltySpec {
  double alpha = 1.0;
  std::vector<double> lambda;  // decreasing; empty = a path from lambda_max
  int nlambda = 100;
  double lambda_min_ratio = 1e-4;
  VectorXd factor;  // one per coefficient; 0 = unpenalised
  std::vector<int> group;  // one per coefficient: its group (> 0), or <= 0 for none; empty = no groups
  bool standardize = true;  // penalise in the units of standardised columns (scales computed here)
  double ridge_scale = 1.0;
  double tol = 1e-7;
  long max_sweeps = 100000;
  bool saturated = false;  // the loss is a deviance (0 when saturated): glmnet's path stopping
  // which of glmnet's rules ends a default path of a deviance: 0 the deviance
  // explained grew by < 1e-5 of itself (Gaussian), 1 by < 1e-5 (binomial,
  // multinomial, the others), 2 by < 1e-4 of itself over four lambdas (Poisson)
  int stop_rule = 1;
  bool quadratic = false;  // the loss is quadratic with fixed curvature (Gaussian, identity link)
  bool single = false;     // one lambda: a short path down to it, only its solution kept
};

struct PenaltyPath {
  std::vector<double> lambda, loss, objective, kkt;
  std::vector<int> df, sweeps, converged;
  MatrixXd coef;  // one column per lambda, in the layout of theta
  std::vector<int> constant;  // coefficients of constant columns beside an intercept: kept at 0
  VectorXd scale;             // the standardising scale of each coefficient (1 without)
  double null_loss = NAN, lambda_max = NAN;
  std::string message;
};

// the path (or single fit) from `start` (its penalised coefficients are set
// to 0); a finite intercept_start[k] replaces the start of predictor k's
// intercept. `smoothable` (the Laplace likelihood, or null) is solved by
// smoothing continuation at each lambda.
PenaltyPath penalized_path(ModelObjective& obj, const PenaltySpec& spec, const VectorXd& start,
                           const std::vector<double>& intercept_start, Likelihood* smoothable = nullptr);

// the standardising scale of each coefficient (1 for intercepts, and for
// every coefficient when not standardising)
VectorXd standardising_scales(const LinearPredictor& pred, const VecRef& w, bool standardize);

// the curvature of the ridge part at lambda, per coefficient
VectorXd ridge_curvature(const PenaltySpec& spec, const VectorXd& scale, double lambda);

}  // namespace gradglm

#endif
