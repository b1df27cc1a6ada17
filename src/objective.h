// Objectives seen by the optimizers: a value, its gradient and (optionally) a
// positive semi-definite curvature matrix. Optimizers know nothing else.
#ifndef GRADGLM_OBJECTIVE_H
#define GRADGLM_OBJECTIVE_H

#include <RcppEigen.h>

#include "family.h"
#include "model.h"

namespace gradglm {

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
};

// Mean negative log-likelihood (minus its saturated value) of a GLM:
//   loss(beta) = sum_i w_i l(y_i, eta_i) / sum_i w_i,  eta = X beta + offset.
class GlmObjective : public Objective {
 public:
  GlmObjective(const LinearModel& model, const VecRef& y, const VecRef& w, const Family& family,
               int threads = 1);

  Index dim() const override { return model_.p(); }
  double value(const VectorXd& b) override;
  double value_grad(const VectorXd& b, VectorXd& grad) override;
  bool has_curvature() const override { return true; }
  double value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) override;
  double work() const override { return double(model_.n()) * double(model_.p()); }
  // for a canonical link the observed and expected curvatures coincide
  bool safe_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    if (family_.canonical()) return false;
    fisher_curvature(b, grad, H);
    return true;
  }
  // value, gradient and the expected (Fisher) curvature X^T W X / sum(w) at b:
  // the information behind glm's standard errors
  double fisher_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) { return pass(b, &grad, &H, true); }

  // The first Fisher-scoring step from a linear predictor eta0 that need not be
  // of the form X beta (glm's start from mustart): solves
  //   (X^T W X) beta = X^T W z,   z = eta0 - offset - l'(eta0) / l''(eta0).
  // Returns false when the weighted least-squares problem is singular.
  bool scoring_step_from_eta(const VectorXd& eta0, const VecRef& offset, VectorXd& beta);

  // Fisher working weights w_i E[l''(eta_i)] at eta
  void working_weights(const VecRef& eta, Eigen::Ref<VectorXd> out) const;
  double weight_sum() const { return wsum_; }

 private:
  const LinearModel& model_;
  VecRef y_;
  VecRef w_;
  const Family& family_;
  double wsum_;
  int threads_;
  VectorXd eta_;  // linear predictor, length n
  // one pass over the rows: loss, and optionally gradient and curvature
  double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, bool fisher);
};

// b = A theta with A = D + e_k m^T (column scaling, plus an intercept shift in
// row k): lets gradient descent run on standardised columns without copying X.
class RescaledObjective : public Objective {
 public:
  // scale: b_j = theta_j * scale_j (+ for the intercept row: sum_j shift_j theta_j)
  RescaledObjective(Objective& base, const VectorXd& scale, const VectorXd& shift, Index intercept)
      : base_(base), scale_(scale), shift_(shift), intercept_(intercept) {}
  Index dim() const override { return base_.dim(); }
  double value(const VectorXd& theta) override { return base_.value(to_beta(theta)); }
  double value_grad(const VectorXd& theta, VectorXd& grad) override {
    VectorXd gb;
    const double f = base_.value_grad(to_beta(theta), gb);
    grad = to_theta_grad(gb);
    return f;
  }
  double work() const override { return base_.work(); }

  VectorXd to_beta(const VectorXd& theta) const {
    VectorXd b = theta.cwiseProduct(scale_);
    if (intercept_ >= 0) b(intercept_) += shift_.dot(theta);
    return b;
  }
  VectorXd to_theta(const VectorXd& b) const {
    VectorXd theta = b.cwiseQuotient(scale_);
    if (intercept_ >= 0) {
      // b_k = theta_k * scale_k + shift . theta, where shift_k = 0, so the
      // dot product below does not involve theta_k
      theta(intercept_) = (b(intercept_) - shift_.dot(theta)) / scale_(intercept_);
    }
    return theta;
  }
  VectorXd to_theta_grad(const VectorXd& gb) const {
    VectorXd g = gb.cwiseProduct(scale_);
    if (intercept_ >= 0) g += shift_ * gb(intercept_);
    return g;
  }

 private:
  Objective& base_;
  VectorXd scale_;
  VectorXd shift_;
  Index intercept_;
};

}  // namespace gradglm

#endif
