#include "network_objective.h"

#include <stdexcept>

namespace gradglm {

NetworkObjective::NetworkObjective(const MlpPredictor& pred, const Likelihood& lik, const Response& y,
                                   const VecRef& w, const VectorXd& decay, int threads, std::uint64_t seed)
    : pred_(pred), lik_(lik), rows_(y, w, pred.n(), pred.k(), lik.k(), threads), decay_(decay), seed_(seed),
      dropout_(pred.dropout()) {
  if (decay_.size() != pred_.dim()) throw std::invalid_argument("the weight decay needs one value per parameter");
}

double NetworkObjective::pass(const VectorXd& b, VectorXd* grad, const std::vector<RowRun>* runs, double denom,
                              bool train) {
  pred_.set_training(train, train ? ++seed_ : 0);
  double f = fused_pass(pred_, lik_, rows_.y, rows_.w.data(), b, grad, nullptr, Curv::none, runs,
                        denom > 0.0 ? denom : rows_.wsum, rows_.threads, work_);
  pred_.set_training(false, 0);
  f += 0.5 * decay_.dot(b.cwiseAbs2());
  if (grad) *grad += decay_.cwiseProduct(b);
  return f;
}

}  // namespace gradglm
