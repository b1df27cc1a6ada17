#include "network_objective.h"

#include <stdexcept>

#include "parallel.h"

namespace gradglm {

NetworkObjective::NetworkObjective(const MlpPredictor& pred, const Likelihood& lik, const Response& y,
                                   const VecRef& w, const VectorXd& decay, int threads, std::uint64_t seed)
    : pred_(pred), lik_(lik), y_(y), w_(w), decay_(decay), seed_(seed), dropout_(pred.dropout()) {
  if (y_.n != pred_.n() || w_.size() != pred_.n()) {
    throw std::invalid_argument("y, weights and the inputs have different numbers of rows");
  }
  if (lik_.k() != pred_.k()) throw std::invalid_argument("the likelihood and the network have different numbers of outputs");
  if (decay_.size() != pred_.dim()) throw std::invalid_argument("the weight decay needs one value per parameter");
  wsum_ = w_.sum();
  if (!(wsum_ > 0.0)) throw std::invalid_argument("the weights sum to zero");
  threads_ = threads_for((long)pred_.n(), threads);
}

double NetworkObjective::rows_weight(const std::vector<RowRun>& runs) const {
  double s = 0.0;
  for (const RowRun& r : runs) s += w_.segment(r.start, r.len).sum();
  return s;
}

double NetworkObjective::pass(const VectorXd& b, VectorXd* grad, const std::vector<RowRun>* runs, double denom,
                              bool train) {
  pred_.set_training(train, train ? ++seed_ : 0);
  double f = fused_pass(pred_, lik_, y_, w_.data(), b, grad, nullptr, Curv::none, runs, denom > 0.0 ? denom : wsum_,
                        threads_, work_);
  pred_.set_training(false, 0);
  f += 0.5 * decay_.dot(b.cwiseAbs2());
  if (grad) *grad += decay_.cwiseProduct(b);
  return f;
}

}  // namespace gradglm
