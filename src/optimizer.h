// Optimizers: each minimises an Objective and records a trace. They know
// nothing of families or models.
#ifndef GRADGLM_OPTIMIZER_H
#define GRADGLM_OPTIMIZER_H

#include <RcppEigen.h>

#include <chrono>
#include <string>
#include <vector>

#include "objective.h"

namespace gradglm {

struct TraceRow {
  int iter;
  double loss;
  double grad_norm;
  double step;
  double time;  // seconds since the optimizer started
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
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
};

// Learning-rate schedules of gradient descent: the rate at iteration t is
//   constant     rate
//   inverse      rate / (1 + decay t)
//   exponential  rate exp(-decay t)
//   step         rate / 2^floor(decay t)   (halved every 1 / decay iterations)
//   cosine       rate (1 + cos(pi t / max_iter)) / 2
enum class Schedule { constant = 1, inverse = 2, exponential = 3, step = 4, cosine = 5 };

struct Settings {
  double tol = 1e-8;           // newton: relative change in loss; gd: gradient norm
  int max_iter = 100;
  double learning_rate = 1.0;  // gd: initial learning rate
  double decay = 1e-3;         // gd: the schedule's decay
  Schedule schedule = Schedule::inverse;
  int memory = 10;             // lbfgs: number of correction pairs kept
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

// Limited-memory BFGS with a line search satisfying the strong Wolfe
// conditions; stops when the gradient norm falls below tol or no step lowers
// the loss at machine precision. `h0`, when given, is the initial inverse
// Hessian's inverse (a curvature matrix, for example from a subsample fit);
// otherwise the usual scaling s'y / y'y of the identity.
Result lbfgs(Objective& obj, const VectorXd& start, const Settings& s, const MatrixXd* h0 = nullptr);

// the scheduled learning rate at iteration t
double scheduled_rate(const Settings& s, int t);

// Full-batch gradient descent: learning rate from the schedule (default
// inverse-time decay, rate / (1 + decay t)),
// backtracking (Armijo) from min(scheduled rate, 2 x last accepted step), and
// stopping when the gradient norm falls below tol.
Result gradient_descent(Objective& obj, const VectorXd& start, const Settings& s);

}  // namespace gradglm

#endif
