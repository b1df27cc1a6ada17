// The objective of a distributional (location-scale) regression: the mean
// negative log-likelihood of
//   y_i ~ D(mu_i = linkinv(x_i beta + offset_i), sigma_i = exp(z_i gamma), nu = exp(l)),
// over theta = (beta, gamma, [l]) where l = log(df) is a parameter only when
// the Student-t df is estimated.
#ifndef GRADGLM_DIST_OBJECTIVE_H
#define GRADGLM_DIST_OBJECTIVE_H

#include <RcppEigen.h>

#include <string>
#include <vector>

#include "model.h"
#include "objective.h"
#include "scale_family.h"

namespace gradglm {

class DistObjective : public Objective {
 public:
  DistObjective(const MatRef& X, const MatRef& Z, const VecRef& y, const VecRef& w, const VecRef& offset,
                ScaleFamily& family, bool estimate_df, int threads = 1);

  Index dim() const override { return p_ + q_ + (est_df_ ? 1 : 0); }
  Index p() const { return p_; }
  Index q() const { return q_; }
  double value(const VectorXd& theta) override { return pass(theta, nullptr, nullptr, false); }
  double value_grad(const VectorXd& theta, VectorXd& grad) override {
    return pass(theta, &grad, nullptr, false);
  }
  bool has_curvature() const override { return true; }
  // the observed curvature (can be indefinite away from the optimum)
  double value_grad_curv(const VectorXd& theta, VectorXd& grad, MatrixXd& H) override {
    return pass(theta, &grad, &H, false);
  }
  bool safe_curvature(const VectorXd& theta, VectorXd& grad, MatrixXd& H) override {
    pass(theta, &grad, &H, true);
    return true;
  }
  // value, gradient and the expected (Fisher) information per unit weight
  double fisher_curvature(const VectorXd& theta, VectorXd& grad, MatrixXd& H) {
    return pass(theta, &grad, &H, true);
  }
  double work() const override { return double(n_) * double(p_ + q_); }
  Index rows() const override { return n_; }
  double rows_weight(const std::vector<RowRun>& runs) const override {
    double s = 0.0;
    for (const RowRun& r : runs) s += w_.segment(r.start, r.len).sum();
    return s;
  }
  double rows_value_grad(const VectorXd& theta, const std::vector<RowRun>& runs, double denom,
                         VectorXd* grad) override {
    return pass(theta, grad, nullptr, false, &runs, denom);
  }
  // stops a fit whose scale runs to 0 for some observations (an unbounded
  // likelihood): log sigma more than `drop` below the reference
  std::string check(const VectorXd& theta) override;
  void set_scale_floor(double log_sigma_floor) { s_floor_ = log_sigma_floor; }

  double weight_sum() const { return wsum_; }
  // location predictor eta = X beta + offset and log-scale s = Z gamma
  void predictors(const VectorXd& theta, Eigen::Ref<VectorXd> eta, Eigen::Ref<VectorXd> s) const;
  ScaleFamily& family() { return family_; }

 private:
  MatRef X_, Z_;
  VecRef y_, w_, off_;
  ScaleFamily& family_;
  bool est_df_;
  Index n_, p_, q_;
  double wsum_;
  int threads_;
  double s_floor_ = -INFINITY;
  // all rows in parallel blocks, or the runs given, serially; sums divided by
  // denom (default: the weight sum)
  double pass(const VectorXd& theta, VectorXd* grad, MatrixXd* H, bool fisher,
              const std::vector<RowRun>* runs = nullptr, double denom = 0.0);
};

}  // namespace gradglm

#endif
