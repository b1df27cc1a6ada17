// Optimizers: each minimises an Objective and records a trace. They know
// nothing of families or models.
#ifndef GRADGLM_OPTIMIZER_H
#define GRADGLM_OPTIMIZER_H

#include "eigen.h"

#include <chrono>
#include <functional>
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
  double learning_rate = NAN;  // sgd / adam: the epoch's scheduled rate
  double val_loss = NAN;       // sgd / adam: loss on the validation rows
};

class Progress;

struct Result {
  VectorXd coef;
  double loss = 0.0;
  double grad_norm = 0.0;
  bool converged = false;
  int iter = 0;
  std::vector<TraceRow> trace;
  MatrixXd curvature;  // newton: the objective's curvature at `coef`
  VectorXd gradient;   // newton: the objective's gradient at `coef`
  std::string message; // why it stopped, when it did not converge
  // how it stopped, for R to read: "flat" (no step lowers a smooth loss
  // although the gradient is above the bound), "kink" (the same on a kinked
  // loss), "precision" (no step lowers it, the gradient within the bound:
  // converged), else "" (converged by the rule, or stopped as `message` says)
  std::string stop;
  bool diverged = false; // stopped by the objective's check (e.g. an unbounded likelihood)
  bool rate_too_large = false;  // sgd / adam: the loss became non-finite or stayed above its start
  int best_epoch = -1;          // sgd / adam with validation: the epoch whose parameters were kept
  bool validated = false;       // sgd / adam: a validation loss was recorded
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
//   plateau      (sgd / adam) rate halved whenever the training loss has not
//                improved for half the patience
enum class Schedule { constant = 1, inverse = 2, exponential = 3, step = 4, cosine = 5, plateau = 6 };

// The non-smooth part of a penalty, separable by coordinate, for the
// proximal first-order optimizers: l1_j |theta_j| + l2_j theta_j^2 / 2 in
// the optimizer's coordinates.
struct Prox {
  VectorXd l1, l2;
  // theta <- argmin_u (u - theta)^2 / (2 step_j) + l1_j |u| + l2_j u^2 / 2
  void apply(VectorXd& theta, const VectorXd& step) const {
    for (Index j = 0; j < theta.size(); ++j) {
      const double t = step[j], a = t * l1[j], v = theta[j];
      const double z = v > a ? v - a : (v < -a ? v + a : 0.0);
      theta[j] = z / (1.0 + t * l2[j]);
    }
  }
  void apply(VectorXd& theta, double step) const { apply(theta, VectorXd::Constant(theta.size(), step)); }
  double value(const VectorXd& theta) const {
    return l1.dot(theta.cwiseAbs()) + 0.5 * l2.dot(theta.cwiseAbs2());
  }
};

struct Settings {
  double tol = 1e-8;           // newton: relative change in loss; gd: gradient norm
  int max_iter = 100;
  double learning_rate = 1.0;  // gd: initial learning rate
  double decay = 1e-3;         // gd: the schedule's decay
  Schedule schedule = Schedule::inverse;
  int memory = 10;             // lbfgs: number of correction pairs kept
  double loss_floor = 0.0;     // newton: |f_new - f| / (|f_new| + loss_floor) is the relative change
  bool final_step = false;     // newton: one more step after convergence (cheap models)
  // newton: the full step's loss, gradient and curvature from one pass (for
  // models whose full steps are nearly always accepted: a canonical GLM); the
  // exact steps after chord steps always are
  bool fuse_full_step = false;
  bool record_trace = true;
  bool verbose = false;
  Progress* progress = nullptr;  // drawn when verbose (not owned)
  // sgd / adam (max_iter counts epochs)
  bool adam = false;
  int batch_size = 32;
  double momentum = 0.0;       // sgd
  bool nesterov = false;       // sgd
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // adam
  double validation = 0.0;     // share of the rows held out
  int patience = 10;           // epochs without improvement before stopping
  double grad_scale = 1.0;     // the gradient's unit (1 / dispersion for a Gaussian GLM)
  // gd, lbfgs: the unit of the gradient norm in the stopping rule and the
  // trace (for a GLM with a free dispersion, 1 / sqrt(dispersion * Fisher
  // weight) at the start: a rule that does not depend on the units of y)
  double stop_scale = 1.0;
  const Prox* prox = nullptr;  // gd / sgd / adam: a penalty's proximal step after each update
  bool keep_start_if_worse = false;  // sgd / adam: return the start (not an error) when the loss ends above it
};

// Calls Rcpp::checkUserInterrupt() after roughly every 0.1 s of arithmetic.
class Interrupter {
 public:
  // R's interrupt (Ctrl-C, or a time limit) is looked at after about 2e8
  // units of arithmetic, and at least every 0.1 s of wall time: the clock is
  // read every 16th tick, so that small steps (minibatches of a narrow
  // design) cost nothing extra and long ones are not waited for.
  void tick(double work) {
    done_ += work;
    if (done_ > 2e8 || ((++calls_ & 15u) == 0u && std::chrono::steady_clock::now() >= next_)) {
      done_ = 0.0;
      next_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      Rcpp::checkUserInterrupt();
    }
  }

 private:
  double done_ = 0.0;
  unsigned calls_ = 0u;
  std::chrono::steady_clock::time_point next_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
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

// What SGD and Adam need of the data: the loss over the training rows (at
// the start), the validation loss (with held-out rows), the epochs'
// minibatches, and the loss over all rows (at the end).
class Minibatches {
 public:
  // a minibatch's loss and gradient at any coefficients: the sums over its
  // rows scaled to estimate the mean over the training rows
  typedef std::function<double(const VectorXd& at, VectorXd* grad)> Batch;
  // one minibatch of an epoch, of `rows` rows, `share` of the training rows;
  // returning false ends the epoch
  typedef std::function<bool(const Batch& batch, Index rows, double share)> Step;
  virtual ~Minibatches() {}
  virtual Index dim() const = 0;
  // the mean loss over the training rows, and its gradient when grad is given
  virtual double train_loss(const VectorXd& b, VectorXd* grad) = 0;
  // the same as the training steps see it (a network's dropout)
  virtual bool trains_differently() const { return false; }
  virtual double train_loss_as_trained(const VectorXd& b) { return train_loss(b, nullptr); }
  virtual bool validated() const { return false; }
  virtual double validation_loss(const VectorXd& b) {
    (void)b;
    return NAN;
  }
  // one epoch: step() on each minibatch of the training rows, in a new random order
  virtual void epoch(const Step& step) = 0;
  // after each epoch (see Objective::check)
  virtual std::string check(const VectorXd& b) = 0;
  // the loss over all rows, training and validation, and its gradient
  virtual double loss(const VectorXd& b, VectorXd& grad) = 0;
};

// The rows of an objective held in memory: runs of rows in a new random
// order every epoch, read from memory in place (never copied); a random
// share of the runs held out for validation.
class RowMinibatches : public Minibatches {
 public:
  RowMinibatches(Objective& obj, Index batch_size, double validation);
  Index dim() const override { return obj_.dim(); }
  double train_loss(const VectorXd& b, VectorXd* grad) override {
    return obj_.rows_value_grad(b, train_all_, wtrain_, grad);
  }
  bool trains_differently() const override { return obj_.trains_differently(); }
  double train_loss_as_trained(const VectorXd& b) override {
    return obj_.batch_value_grad(b, train_all_, wtrain_, nullptr);
  }
  bool validated() const override { return !val_runs_.empty(); }
  double validation_loss(const VectorXd& b) override {
    return obj_.rows_value_grad(b, val_runs_, wval_, nullptr);
  }
  void epoch(const Step& step) override;
  std::string check(const VectorXd& b) override { return obj_.check(b); }
  double loss(const VectorXd& b, VectorXd& grad) override { return obj_.value_grad(b, grad); }

 private:
  Objective& obj_;
  Index n_ = 0, c_ = 1, ntrain_ = 0, batch_ = 1;
  double wtrain_ = 0.0, wval_ = 0.0;
  std::vector<Index> order_;
  std::vector<RowRun> val_runs_, train_all_, runs_;
  RowRun run(Index k) const { return RowRun{k * c_, std::min(c_, n_ - k * c_)}; }
};

// Fisher-Yates shuffle with R's generator (set.seed() makes it reproducible)
void shuffle(std::vector<Index>& v);
// the rows 0..n-1 of a design with d columns in a random order, in runs as
// RowMinibatches forms them (single rows while the design is small)
std::vector<RowRun> shuffled_runs(Index n, Index d, Index batch_size);

// Minibatch stochastic gradient descent (plain, momentum or Nesterov) or
// Adam, over epochs. Each epoch visits the rows in a new random order drawn
// from R's random number generator: rows are shuffled one by one when X is
// small, and in runs of a few consecutive rows when it is large (a batch is
// then read from memory in a few contiguous pieces, never copied). The epoch's
// learning rate follows the schedule with t = epoch - 1. It stops when the
// gradient norm averaged over the epoch falls below tol, when the monitored
// loss (validation loss if a share of rows is held out, else training loss)
// has not improved for `patience` epochs (keeping the parameters of the best
// validation epoch), or after max_iter epochs. A loss that becomes non-finite,
// is above its starting value in 10 epochs or ends above it stops it with
// rate_too_large set.
Result stochastic(Objective& obj, const VectorXd& start, const Settings& s);
// the same over any minibatches (the chunks of data read by passes, say)
Result stochastic(Minibatches& data, const VectorXd& start, const Settings& s);

// The optimizers by name: "newton", "lbfgs", "gd", "sgd" and "adam".
// `curvature`, when given, is a curvature to start from (for example that of
// a fit to a sample of rows): Newton's first (chord) steps reuse it, L-BFGS
// takes its inverse as the first inverse Hessian; the others ignore it.
Result optimize(const std::string& name, Objective& obj, const VectorXd& start, const Settings& s,
                const MatrixXd* curvature = nullptr);
// lbfgs, gd, sgd, adam: methods that work on standardised coefficients
bool is_first_order(const std::string& name);
// sgd, adam: minibatches and epochs
bool is_stochastic(const std::string& name);

}  // namespace gradglm

#endif
