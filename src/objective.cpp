#include "objective.h"

#include <limits>
#include <stdexcept>
#include <vector>

#include "parallel.h"

namespace gradglm {

RowData::RowData(const Response& resp, const VecRef& weights, Index n, int predictor_k, int likelihood_k,
                 int nthreads)
    : y(resp), w(weights) {
  if (y.n != n || w.size() != n) throw std::invalid_argument("y, weights and the predictor have different numbers of rows");
  if (likelihood_k != predictor_k) {
    throw std::invalid_argument("the likelihood and the predictor have different numbers of predictors");
  }
  wsum = w.sum();
  if (!(wsum > 0.0)) throw std::invalid_argument("the weights sum to zero");
  threads = threads_for((long)n, nthreads);
}

double RowData::weight(const std::vector<RowRun>& runs) const {
  double s = 0.0;
  for (const RowRun& r : runs) s += w.segment(r.start, r.len).sum();
  return s;
}

ModelObjective::ModelObjective(const LinearPredictor& pred, const Likelihood& lik, const Response& y,
                               const VecRef& w, int threads, const std::vector<RowRun>* subset)
    : pred_(pred), lik_(lik), rows_(y, w, pred.n(), pred.k(), lik.k(), threads) {
  if (subset && !subset->empty()) {
    subset_ = *subset;
    rows_.wsum = rows_.weight(subset_);
    if (!(rows_.wsum > 0.0)) throw std::invalid_argument("the sampled rows' weights sum to zero");
  }
}

void ModelObjective::set_scale_floors(const VectorXd& b, double below) {
  floors_.clear();
  const std::vector<int> ks = lik_.log_scale_predictors();
  if (ks.empty()) return;
  const Index n = pred_.n();
  MatrixXd eta(n, pred_.k());
  pred_.eta_all(b, eta.data());
  for (int k : ks) {
    const double mean = rows_.w.dot(eta.col(k)) / rows_.wsum;
    floors_.push_back(std::make_pair(k, mean - below));
  }
  // (a residual below 1e-13 of the response's mean size counts as none: a
  // response of 0 fitted exactly leaves the rounding of its mean's terms)
  double ysum = 0.0, wsum = 0.0;
  for (Index c = 0; c < rows_.y.m; ++c) {
    for (Index i = 0; i < n; ++i) {
      if (rows_.w[i] > 0.0 && std::isfinite(rows_.y.at(i, c))) {
        ysum += rows_.w[i] * std::abs(rows_.y.at(i, c));
        wsum += rows_.w[i];
      }
    }
  }
  floor_tiny_ = wsum > 0.0 ? 1e-13 * ysum / wsum : 0.0;
}

std::string ModelObjective::check(const VectorXd& b) {
  if (floors_.empty()) return std::string();
  const Index n = pred_.n(), B = pred_.block_rows(), K = pred_.k();
  LinearPredictor::Work w;
  pred_.init(w);
  VectorXd eta;
  Index low = 0, exact = 0;
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    pred_.load(start, len, w);
    eta.resize(len * K);
    pred_.eta(b, w, eta.data());
    const RowBlock rb{start, len, eta.data(), rows_.w.data() + start};
    for (Index i = 0; i < len; ++i) {
      if (!(rows_.w[start + i] > 0.0)) continue;
      for (size_t q = 0; q < floors_.size(); ++q) {
        const int k = floors_[q].first;
        if (eta[k * len + i] < floors_[q].second) {
          ++low;
          if (lik_.fitted_exactly(rows_.y, rb, i, k, floor_tiny_)) ++exact;
          break;
        }
      }
    }
  }
  // (most of the rows whose scale fell: the location catches up with a
  // falling scale a step or two late, and a row can meet its mean by chance)
  if (low == 0 || 2 * exact <= low) return std::string();
  return "the likelihood is unbounded: the fitted scale of " + std::to_string((long long)low) +
         " observation(s) runs to 0 (the mean model fits them exactly); simplify the sigma model";
}

}  // namespace gradglm
