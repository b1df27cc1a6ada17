// Optimizers: each minimises an Objective and records a trace. They know
// nothing of families or models.
#ifndef GRADGLM_OPTIMIZER_H
#define GRADGLM_OPTIMIZER_H

#include <RcppEigen.h>

#include <string>
#include <vector>

#include "objective.h"

namespace gradglm {

struct TraceRow {
  int iter;
  double loss;
  double grad_norm;
  double step;
};

struct Result {
  VectorXd coef;
  double loss = 0.0;
  double grad_norm = 0.0;
  bool converged = false;
  int iter = 0;
  std::vector<TraceRow> trace;
  MatrixXd curvature;  // newton: the objective's curvature at `coef`
  std::string message; // why it stopped, when it did not converge
  bool diverged = false; // stopped by the objective's check (e.g. an unbounded likelihood)
};

struct Settings {
  double tol = 1e-8;           // newton: relative change in loss; gd: gradient norm
  int max_iter = 100;
  double learning_rate = 1.0;  // gd: initial learning rate
  double decay = 1e-3;         // gd: rate_t = learning_rate / (1 + decay * t)
  double loss_floor = 0.0;     // newton: |f_new - f| / (|f_new| + loss_floor) is the relative change
  bool final_step = false;     // newton: one more step after convergence (cheap models)
  bool record_trace = true;
  bool verbose = false;
};

// Calls Rcpp::checkUserInterrupt() after roughly every 0.1 s of arithmetic.
class Interrupter {
 public:
  void tick(double work) {
    done_ += work;
    if (done_ > 2e8) {
      done_ = 0.0;
      Rcpp::checkUserInterrupt();
    }
  }

 private:
  double done_ = 0.0;
};

// Newton's method with the objective's curvature and step-halving whenever a
// step does not decrease the loss. With `approx_curvature` (for example the
// curvature of a subsample fit) the first steps reuse that matrix and cost one
// gradient pass each; the exact curvature is computed only once they stall.
Result newton(Objective& obj, const VectorXd& start, const Settings& s,
              const MatrixXd* approx_curvature = nullptr);

// Full-batch gradient descent: learning rate decaying as rate / (1 + decay t),
// backtracking (Armijo) from min(scheduled rate, 2 x last accepted step), and
// stopping when the gradient norm falls below tol.
Result gradient_descent(Objective& obj, const VectorXd& start, const Settings& s);

}  // namespace gradglm

#endif
