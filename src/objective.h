// Objectives seen by the optimizers: a value, its gradient and (optionally) a
// positive semi-definite curvature matrix. Optimizers know nothing else.
#ifndef GRADGLM_OBJECTIVE_H
#define GRADGLM_OBJECTIVE_H

#include "eigen.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "likelihood.h"
#include "pass.h"
#include "predictor.h"

namespace gradglm {

typedef Eigen::Ref<const MatrixXd> MatRef;
typedef Eigen::Ref<const VectorXd> VecRef;

// The rows an objective sums over: the response, the prior weights (their
// sum) and the threads of its passes, checked against the predictor's rows
// and outputs and the likelihood's predictors.
struct RowData {
  Response y;
  VecRef w;
  double wsum;
  int threads;
  RowData(const Response& y, const VecRef& w, Index n, int predictor_k, int likelihood_k, int threads);
  // the weight of some rows
  double weight(const std::vector<RowRun>& runs) const;
};

class Objective {
 public:
  virtual ~Objective() {}
  virtual Index dim() const = 0;
  // value at b
  virtual double value(const VectorXd& b) = 0;
  // value and gradient at b
  virtual double value_grad(const VectorXd& b, VectorXd& grad) = 0;
  virtual bool has_curvature() const { return false; }
  // value, gradient and curvature (lower triangle filled at least) at b
  virtual double value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
    (void)H;
    return value_grad(b, grad);
  }
  // a positive semi-definite stand-in for the curvature at b (Fisher's
  // expected information), for when the exact curvature is indefinite;
  // returns false when the objective has none to offer
  virtual bool safe_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
    (void)b;
    (void)grad;
    (void)H;
    return false;
  }
  // amount of arithmetic in one value_grad call, used to pace interrupt checks
  virtual double work() const = 0;
  // the floor of Newton's relative change of the loss where the settings
  // give none (0: none), for an objective that learns its weight sum from
  // its first pass
  virtual double loss_floor() const { return 0.0; }
  // true when a pass reads the data (chunks from a database or files), so that
  // an optimizer should ask for everything it may need in one pass
  virtual bool costly_pass() const { return false; }
  // what makes the loss kinked (not differentiable on a set the optimizer
  // can stop on), for the stop where no step lowers it: null when smooth
  virtual const char* kink() const { return nullptr; }
  // Minibatch access for the stochastic optimizers: the number of rows (0 when
  // the objective has none), the weight of a set of rows, and the sums over
  // those rows of w_i times the unit loss and its gradient, divided by `denom`
  // (grad may be null).
  virtual Index rows() const { return 0; }
  virtual double rows_weight(const std::vector<RowRun>& runs) const {
    (void)runs;
    return 0.0;
  }
  virtual double rows_value_grad(const VectorXd& b, const std::vector<RowRun>& runs, double denom,
                                 VectorXd* grad) {
    (void)b;
    (void)runs;
    (void)denom;
    (void)grad;
    return NAN;
  }
  // a training step's minibatch: as rows_value_grad, but where the model
  // trains differently from how it is evaluated (a network's dropout), in
  // training mode
  virtual double batch_value_grad(const VectorXd& b, const std::vector<RowRun>& runs, double denom,
                                  VectorXd* grad) {
    return rows_value_grad(b, runs, denom, grad);
  }
  // whether batch_value_grad differs from rows_value_grad
  virtual bool trains_differently() const { return false; }
  // after each accepted step: a non-empty message stops the optimizer (for
  // example a likelihood found to be unbounded, with a scale running to 0)
  virtual std::string check(const VectorXd& b) {
    (void)b;
    return std::string();
  }
};

// The objective of a model: the mean loss of a likelihood over the rows, its
// predictors given by a linear predictor,
//   loss(theta) = sum_i w_i l(y_i, eta_i(theta)) / sum_i w_i,
// with its gradient and curvature (observed or Fisher's) from one fused pass
// over the rows: for each block of rows the predictors, the likelihood's
// derivatives in them, and their pull-back through the designs while the
// rows are still in cache. Threads keep their own sums, added at the end.
class ModelObjective : public Objective {
 public:
  // (over the rows of `subset` alone when given: a row sample read where it lies)
  ModelObjective(const LinearPredictor& pred, const Likelihood& lik, const Response& y, const VecRef& w,
                 int threads = 1, const std::vector<RowRun>* subset = nullptr);

  Index dim() const override { return pred_.dim(); }
  double value(const VectorXd& b) override { return pass(b, nullptr, nullptr, Curv::none); }
  double value_grad(const VectorXd& b, VectorXd& grad) override { return pass(b, &grad, nullptr, Curv::none); }
  bool has_curvature() const override { return true; }
  // the observed curvature (can be indefinite away from the optimum)
  double value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    return pass(b, &grad, &H, Curv::observed);
  }
  // Fisher's expected information, where it differs from the observed one
  bool safe_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    if (lik_.canonical() || !lik_.has_fisher()) return false;
    pass(b, &grad, &H, Curv::fisher);
    return true;
  }
  // value, gradient and the expected (Fisher) information per unit weight
  double fisher_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
    return pass(b, &grad, &H, lik_.has_fisher() ? Curv::fisher : Curv::observed);
  }
  double work() const override { return pred_.work(); }
  Index rows() const override { return pred_.n(); }
  double rows_weight(const std::vector<RowRun>& runs) const override { return rows_.weight(runs); }
  double rows_value_grad(const VectorXd& b, const std::vector<RowRun>& runs, double denom,
                         VectorXd* grad) override {
    return pass(b, grad, nullptr, Curv::none, &runs, denom);
  }
  // stops a fit whose scale runs to 0 for some rows (an unbounded
  // likelihood): log-scale predictors below their floor, where the mean
  // model fits most of those rows exactly (elsewhere the scales are finding
  // residuals that an outlier made the start's scale far larger than)
  std::string check(const VectorXd& b) override;
  // floors of the likelihood's log-scale predictors: `below` under their
  // weighted mean at b
  void set_scale_floors(const VectorXd& b, double below);

  double weight_sum() const { return rows_.wsum; }
  // Every later pass over all rows writes their predictors (n x K) to out;
  // eta_written_at(b) says whether the last one that did was at b (so that
  // the fit's predictors need no pass of their own).
  void write_eta_to(double* out) {
    eta_out_ = out;
    eta_at_.resize(0);
  }
  bool eta_written_at(const VectorXd& b) const { return eta_out_ && eta_at_.size() == b.size() && eta_at_ == b; }
  // the next pass over all rows also takes the ranges of scan's columns
  void scan_columns(ColumnScan* scan) { scan_ = scan; }
  const LinearPredictor& predictor() const { return pred_; }
  const Likelihood& likelihood() const { return lik_; }
  const Response& response() const { return rows_.y; }
  const VecRef& weights() const { return rows_.w; }
  int threads() const { return rows_.threads; }

 private:
  const LinearPredictor& pred_;
  const Likelihood& lik_;
  RowData rows_;
  std::vector<std::pair<int, double>> floors_;  // (predictor, floor)
  double floor_tiny_ = 0.0;                      // (a residual counted as none)
  // one pass over the rows (all of them, or the runs given, serially): loss,
  // and optionally gradient and curvature, as sums divided by denom (default:
  // the weight sum)
  double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode,
              const std::vector<RowRun>* runs = nullptr, double denom = 0.0) {
    if (!runs && !subset_.empty()) runs = &subset_;
    double* out = runs ? nullptr : eta_out_;
    if (out) eta_at_.resize(0);  // (until the pass has written every row)
    ColumnScan* scan = runs ? nullptr : scan_;
    const double f = fused_pass(pred_, lik_, rows_.y, rows_.w.data(), b, grad, H, mode, runs,
                                denom > 0.0 ? denom : rows_.wsum, rows_.threads, work_, out, scan);
    if (scan) scan_ = nullptr;
    if (out) eta_at_ = b;
    return f;
  }
  std::vector<PassWork<LinearPredictor>> work_;
  std::vector<RowRun> subset_;
  double* eta_out_ = nullptr;
  VectorXd eta_at_;
  ColumnScan* scan_ = nullptr;
};

// One intercept of a standardised design: b_k gets shift . theta added.
// One evaluation with the curvature named as R names it: "observed",
// "fisher", or anything else for none (loss and gradient only). For the
// objectives that have both curvatures (ModelObjective, ChunkedObjective).
template <class Obj>
double eval_by_name(Obj& obj, const VectorXd& b, const std::string& curvature, VectorXd& grad, MatrixXd& H) {
  if (curvature == "observed") return obj.value_grad_curv(b, grad, H);
  if (curvature == "fisher") return obj.fisher_curvature(b, grad, H);
  return obj.value_grad(b, grad);
}

struct InterceptShift {
  Index k;
  VectorXd shift;  // zero at every intercept position
};

// b = A theta with A = D + sum_k e_k m_k^T (column scaling, plus a shift of
// each intercept): lets gradient descent run on standardised columns without
// copying X. A model with several linear predictors has one intercept each.
class RescaledObjective : public Objective {
 public:
  RescaledObjective(Objective& base, const VectorXd& scale, const std::vector<InterceptShift>& shifts)
      : base_(base), scale_(scale), shifts_(shifts) {}
  Index dim() const override { return base_.dim(); }
  double value(const VectorXd& theta) override { return base_.value(to_beta(theta)); }
  double value_grad(const VectorXd& theta, VectorXd& grad) override {
    VectorXd gb;
    const double f = base_.value_grad(to_beta(theta), gb);
    grad = to_theta_grad(gb);
    return f;
  }
  double work() const override { return base_.work(); }
  const char* kink() const override { return base_.kink(); }
  std::string check(const VectorXd& theta) override { return base_.check(to_beta(theta)); }
  Index rows() const override { return base_.rows(); }
  double rows_weight(const std::vector<RowRun>& runs) const override { return base_.rows_weight(runs); }
  double rows_value_grad(const VectorXd& theta, const std::vector<RowRun>& runs, double denom,
                         VectorXd* grad) override {
    if (!grad) return base_.rows_value_grad(to_beta(theta), runs, denom, nullptr);
    VectorXd gb;
    const double f = base_.rows_value_grad(to_beta(theta), runs, denom, &gb);
    *grad = to_theta_grad(gb);
    return f;
  }

  VectorXd to_beta(const VectorXd& theta) const {
    VectorXd b = theta.cwiseProduct(scale_);
    for (const InterceptShift& s : shifts_) b(s.k) += s.shift.dot(theta);
    return b;
  }
  VectorXd to_theta(const VectorXd& b) const {
    VectorXd theta = b.cwiseQuotient(scale_);
    // b_k = theta_k * scale_k + shift . theta, where the shifts are zero at
    // every intercept, so the dot products do not involve the theta_k
    for (const InterceptShift& s : shifts_) theta(s.k) = (b(s.k) - s.shift.dot(theta)) / scale_(s.k);
    return theta;
  }
  VectorXd to_theta_grad(const VectorXd& gb) const {
    VectorXd g = gb.cwiseProduct(scale_);
    for (const InterceptShift& s : shifts_) g += s.shift * gb(s.k);
    return g;
  }

 private:
  Objective& base_;
  VectorXd scale_;
  std::vector<InterceptShift> shifts_;
};

// The objective restricted to some of its parameters, the others held at
// their values in `full`: used to optimise one part of a model given the rest.
class PartialObjective : public Objective {
 public:
  PartialObjective(Objective& base, const VectorXd& full, const std::vector<Index>& free)
      : base_(base), full_(full), free_(free) {}
  Index dim() const override { return (Index)free_.size(); }
  double value(const VectorXd& x) override { return base_.value(embed(x)); }
  double value_grad(const VectorXd& x, VectorXd& grad) override {
    VectorXd g;
    const double f = base_.value_grad(embed(x), g);
    grad = pick(g);
    return f;
  }
  bool has_curvature() const override { return base_.has_curvature(); }
  double value_grad_curv(const VectorXd& x, VectorXd& grad, MatrixXd& H) override {
    VectorXd g;
    MatrixXd Hf;
    const double f = base_.value_grad_curv(embed(x), g, Hf);
    grad = pick(g);
    H = pick(Hf);
    return f;
  }
  bool safe_curvature(const VectorXd& x, VectorXd& grad, MatrixXd& H) override {
    VectorXd g;
    MatrixXd Hf;
    if (!base_.safe_curvature(embed(x), g, Hf)) return false;
    grad = pick(g);
    H = pick(Hf);
    return true;
  }
  double work() const override { return base_.work(); }
  const char* kink() const override { return base_.kink(); }
  std::string check(const VectorXd& x) override { return base_.check(embed(x)); }

  VectorXd embed(const VectorXd& x) const {
    VectorXd full = full_;
    for (size_t j = 0; j < free_.size(); ++j) full[free_[j]] = x[j];
    return full;
  }
  VectorXd pick(const VectorXd& v) const {
    VectorXd out(free_.size());
    for (size_t j = 0; j < free_.size(); ++j) out[j] = v[free_[j]];
    return out;
  }
  MatrixXd pick(const MatrixXd& H) const {
    const Index k = (Index)free_.size();
    MatrixXd out(k, k);
    for (Index a = 0; a < k; ++a)
      for (Index b = 0; b < k; ++b) out(a, b) = H(free_[a], free_[b]);
    return out;
  }

 private:
  Objective& base_;
  VectorXd full_;
  std::vector<Index> free_;
};

}  // namespace gradglm

#endif
