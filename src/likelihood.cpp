#include "likelihood.h"

#include <algorithm>
#include <stdexcept>

namespace gradglm {

ProductLikelihood::ProductLikelihood(std::unique_ptr<Likelihood> base, int responses, int base_columns)
    : Likelihood(base->k() * responses), base_(std::move(base)), R_(responses), m0_(base_columns) {
  if (R_ < 1) throw std::invalid_argument("a product needs at least one response");
  const auto& bp = base_->pairs();
  pair_index_.assign(bp.size(), std::vector<int>(R_));
  for (size_t q = 0; q < bp.size(); ++q) {
    for (int r = 0; r < R_; ++r) {
      pair_index_[q][r] = (int)pairs_.size();
      pairs_.push_back(std::make_pair(bp[q].first * R_ + r, bp[q].second * R_ + r));
    }
  }
}

std::vector<int> ProductLikelihood::log_scale_predictors() const {
  std::vector<int> out;
  for (int k : base_->log_scale_predictors())
    for (int r = 0; r < R_; ++r) out.push_back(k * R_ + r);
  return out;
}

bool ProductLikelihood::fitted_exactly(const Response& y, const RowBlock& rb, Index i, int k, double tiny) const {
  // (response r's predictors of row i, as the base likelihood's row of a block of one)
  const int K0 = base_->k(), r = k % R_;
  std::vector<double> eta(K0);
  for (int a = 0; a < K0; ++a) eta[a] = rb.eta[(Index)(a * R_ + r) * rb.len + i];
  std::vector<double> yr(m0_);
  for (int c = 0; c < m0_; ++c) yr[c] = y.at(rb.start + i, r * m0_ + c);
  const Response one{yr.data(), 1, m0_};
  const RowBlock row{0, 1, eta.data(), rb.w + i};
  return base_->fitted_exactly(one, row, 0, k / R_, tiny);
}

double ProductLikelihood::eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                                     Curv mode) const {
  const int K0 = base_->k();
  const Index len = rb.len;
  const size_t P0 = base_->pairs().size();
  std::vector<double> eta(len * K0), g(grad ? len * K0 : 0), c(curv ? len * P0 : 0);
  double sum = 0.0;
  for (int r = 0; r < R_; ++r) {
    for (int a = 0; a < K0; ++a) {
      const double* src = rb.eta + (Index)(a * R_ + r) * len;
      std::copy(src, src + len, eta.begin() + a * len);
    }
    const Response yr{y.y + (Index)r * m0_ * y.n, y.n, m0_};
    const RowBlock rr{rb.start, len, eta.data(), rb.w};
    sum += base_->eval_block(yr, rr, grad ? g.data() : nullptr, curv ? c.data() : nullptr, mode);
    if (grad) {
      for (int a = 0; a < K0; ++a) std::copy(g.begin() + a * len, g.begin() + (a + 1) * len, grad + (Index)(a * R_ + r) * len);
    }
    if (curv) {
      for (size_t q = 0; q < P0; ++q) {
        std::copy(c.begin() + q * len, c.begin() + (q + 1) * len, curv + (Index)pair_index_[q][r] * len);
      }
    }
  }
  return sum;
}

}  // namespace gradglm
