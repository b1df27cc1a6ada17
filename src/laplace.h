// The Laplace likelihood's fit. Its loss is not differentiable where a
// residual is zero, so the fit runs in two stages: the chosen optimizer on a
// smoothed likelihood (|z| -> sqrt(z^2 + d^2), d decreasing) for a start,
// then an exact finish that alternates the weighted least-absolute-deviations
// simplex for the location (src/lad.h, which certifies optimality) with
// Newton's method for the scale model, until both settle.
#ifndef GRADGLM_LAPLACE_H
#define GRADGLM_LAPLACE_H

#include <functional>
#include <string>
#include <vector>

#include "objective.h"
#include "optimizer.h"

namespace gradglm {

struct LaplaceProblem {
  MatrixXd X;                 // the location design (kept columns), dense
  VectorXd yo;                // y - offset of the location
  Index p = 0, q = 0;         // location coefficients at theta[0, p), scale at theta[p, p + q)
};

// run(theta, settings): the chosen optimizer from theta on the objective as
// it stands (smoothed or not)
typedef std::function<Result(const VectorXd&, const Settings&)> Runner;

// `newton`: the optimizer is Newton's method, whose smoothed stages are
// skipped where the scale is the same on every row at the start and the LAD
// simplex reduces the rows (lad_reduces()): the exact finish then starts
// from `start` itself.
Result fit_laplace(ModelObjective& obj, Likelihood& lik, const LaplaceProblem& lp, const Runner& run,
                   bool stochastic, bool newton, const VectorXd& start, const Settings& s);

}  // namespace gradglm

#endif
