#include "objective.h"

#include <limits>
#include <stdexcept>
#include <vector>

#include "parallel.h"

namespace gradglm {

ModelObjective::ModelObjective(const LinearPredictor& pred, const Likelihood& lik, const Response& y,
                               const VecRef& w, int threads)
    : pred_(pred), lik_(lik), y_(y), w_(w) {
  if (y_.n != pred_.n() || w_.size() != pred_.n()) {
    throw std::invalid_argument("y, weights and the designs have different numbers of rows");
  }
  if (lik_.k() != pred_.k()) {
    throw std::invalid_argument("the likelihood and the linear predictor have different numbers of predictors");
  }
  wsum_ = w_.sum();
  if (!(wsum_ > 0.0)) throw std::invalid_argument("the weights sum to zero");
  threads_ = threads_for((long)pred_.n(), threads);
}

double ModelObjective::rows_weight(const std::vector<RowRun>& runs) const {
  double s = 0.0;
  for (const RowRun& r : runs) s += w_.segment(r.start, r.len).sum();
  return s;
}

void ModelObjective::set_scale_floors(const VectorXd& b, double below) {
  floors_.clear();
  const std::vector<int> ks = lik_.log_scale_predictors();
  if (ks.empty()) return;
  const Index n = pred_.n();
  MatrixXd eta(n, pred_.k());
  pred_.eta_all(b, eta.data());
  for (int k : ks) {
    const double mean = w_.dot(eta.col(k)) / wsum_;
    floors_.push_back(std::make_pair(k, mean - below));
  }
}

std::string ModelObjective::check(const VectorXd& b) {
  if (floors_.empty()) return std::string();
  const Index n = pred_.n(), B = pred_.block_rows(), K = pred_.k();
  LinearPredictor::Work w;
  pred_.init(w);
  VectorXd eta;
  Index low = 0;
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    pred_.load(start, len, w);
    eta.resize(len * K);
    pred_.eta(b, w, eta.data());
    for (Index i = 0; i < len; ++i) {
      if (!(w_[start + i] > 0.0)) continue;
      for (const auto& f : floors_) {
        if (eta[f.first * len + i] < f.second) {
          ++low;
          break;
        }
      }
    }
  }
  if (low == 0) return std::string();
  return "the likelihood is unbounded: the fitted scale of " + std::to_string((long long)low) +
         " observation(s) runs to 0 (the mean model fits them exactly); simplify the sigma model";
}

}  // namespace gradglm
