// The objective of a network: the mean loss of a likelihood whose K
// predictors a network gives, plus weight decay (a ridge on the weights,
// not the biases),
//   f(theta) = sum_i w_i l(y_i, eta_i(theta)) / sum_i w_i + sum_j d_j theta_j^2 / 2,
// from the same fused pass as a linear model's (src/pass.h). A network has
// no curvature: it is trained by the first-order optimizers. Minibatch
// training steps run with dropout (a new seed for each), every other pass
// without.
#ifndef GRADGLM_NETWORK_OBJECTIVE_H
#define GRADGLM_NETWORK_OBJECTIVE_H

#include <cstdint>
#include <vector>

#include "mlp_predictor.h"
#include "objective.h"

namespace gradglm {

class NetworkObjective : public Objective {
 public:
  // decay: one value per parameter (0 for the biases); seed: dropout's first seed
  NetworkObjective(const MlpPredictor& pred, const Likelihood& lik, const Response& y, const VecRef& w,
                   const VectorXd& decay, int threads, std::uint64_t seed);

  Index dim() const override { return pred_.dim(); }
  double value(const VectorXd& b) override { return pass(b, nullptr, nullptr, 0.0, false); }
  double value_grad(const VectorXd& b, VectorXd& grad) override { return pass(b, &grad, nullptr, 0.0, false); }
  double work() const override { return pred_.work(); }
  const char* kink() const override { return pred_.kinked() ? "the ReLU units make the loss kinked" : nullptr; }
  Index rows() const override { return pred_.n(); }
  double rows_weight(const std::vector<RowRun>& runs) const override { return rows_.weight(runs); }
  double rows_value_grad(const VectorXd& b, const std::vector<RowRun>& runs, double denom,
                         VectorXd* grad) override {
    return pass(b, grad, &runs, denom, false);
  }
  double batch_value_grad(const VectorXd& b, const std::vector<RowRun>& runs, double denom,
                          VectorXd* grad) override {
    return pass(b, grad, &runs, denom, true);
  }
  bool trains_differently() const override { return dropout_ > 0.0; }
  // the mean loss alone (without the weight decay), over all rows
  double loss(const VectorXd& b) {
    return fused_pass(pred_, lik_, rows_.y, rows_.w.data(), b, nullptr, nullptr, Curv::none, nullptr, rows_.wsum,
                      rows_.threads, work_);
  }
  double weight_sum() const { return rows_.wsum; }

 private:
  const MlpPredictor& pred_;
  const Likelihood& lik_;
  RowData rows_;
  VectorXd decay_;
  std::uint64_t seed_;
  double dropout_;
  std::vector<PassWork<MlpPredictor>> work_;
  double pass(const VectorXd& b, VectorXd* grad, const std::vector<RowRun>* runs, double denom, bool train);
};

}  // namespace gradglm

#endif
