#include "objective.h"

#include <stdexcept>
#include <vector>

#include "parallel.h"

namespace gradglm {

GlmObjective::GlmObjective(const LinearModel& model, const VecRef& y, const VecRef& w,
                           const Family& family, int threads)
    : model_(model), y_(y), w_(w), family_(family) {
  if (y_.size() != model_.n() || w_.size() != model_.n()) {
    throw std::invalid_argument("y, weights and X have different numbers of rows");
  }
  wsum_ = w_.sum();
  if (!(wsum_ > 0.0)) throw std::invalid_argument("the weights sum to zero");
  threads_ = threads_for((long)model_.n(), threads);
  eta_.resize(model_.n());
}

void GlmObjective::working_weights(const VecRef& eta, Eigen::Ref<VectorXd> out) const {
  for (Index i = 0; i < eta.size(); ++i) {
    out[i] = w_[i] == 0.0 ? 0.0 : w_[i] * family_.unit(y_[i], eta[i]).weight;
  }
}

// The fused pass: for each block of rows, eta = X b + offset, then the
// per-row loss, gradient weight r = w l'(eta) and curvature weight, then
// X^T r and X^T W X, while the block is still in cache. Each thread keeps its
// own sums, added up at the end.
double GlmObjective::rows_weight(const std::vector<RowRun>& runs) const {
  double s = 0.0;
  for (const RowRun& r : runs) s += w_.segment(r.start, r.len).sum();
  return s;
}

double GlmObjective::pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, bool fisher,
                          const std::vector<RowRun>* runs, double denom) {
  const Index n = model_.n(), p = model_.p();
  Index B = model_.block_rows();
  if (runs) {
    for (const RowRun& r : *runs) B = std::max(B, r.len);
  }
  const int T = runs ? 1 : threads_;
  std::vector<double> loss(T, 0.0);
  std::vector<VectorXd> g(grad ? T : 0, VectorXd::Zero(p));
  std::vector<MatrixXd> h(H ? T : 0, MatrixXd::Zero(p, p));
  std::vector<VectorXd> r(T, VectorXd(B)), ww(T, VectorXd(B));
  std::vector<MatrixXd> scratch(T);
  const bool derivs = grad != nullptr;
  auto body = [&](int t, long start, long len) {
    model_.eta_block(start, len, b, eta_.segment(start, len));
    double s = 0.0;
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w_[i] == 0.0) {
        r[t][k] = ww[t][k] = 0.0;
        continue;
      }
      if (!derivs) {
        s += w_[i] * family_.unit_loss(y_[i], eta_[i]);
        continue;
      }
      const UnitValues u = family_.unit(y_[i], eta_[i]);
      s += w_[i] * u.loss;
      r[t][k] = w_[i] * u.grad;
      ww[t][k] = w_[i] * (fisher ? u.weight : u.hess);
    }
    loss[t] += s;
    if (grad) model_.add_xt_block(start, len, r[t].head(len), g[t]);
    if (H) model_.add_xtwx_block(start, len, ww[t].head(len), h[t], scratch[t]);
  };
  for_runs_or_blocks(runs, (long)n, (long)B, T, body);
  if (!(denom > 0.0)) denom = wsum_;
  double total = 0.0;
  for (int t = 0; t < T; ++t) total += loss[t];
  if (grad) {
    *grad = g[0];
    for (int t = 1; t < T; ++t) *grad += g[t];
    *grad /= denom;
  }
  if (H) {
    *H = h[0];
    for (int t = 1; t < T; ++t) *H += h[t];
    *H /= denom;
    H->triangularView<Eigen::StrictlyUpper>() = H->transpose();
  }
  return total / denom;
}

double GlmObjective::value(const VectorXd& b) { return pass(b, nullptr, nullptr, false); }

double GlmObjective::value_grad(const VectorXd& b, VectorXd& grad) {
  return pass(b, &grad, nullptr, false);
}

double GlmObjective::value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
  return pass(b, &grad, &H, false);  // the observed curvature
}

bool GlmObjective::scoring_step_from_eta(const VectorXd& eta0, const VecRef& offset, VectorXd& beta) {
  const Index n = model_.n(), p = model_.p(), B = model_.block_rows();
  const int T = threads_;
  std::vector<VectorXd> rhs(T, VectorXd::Zero(p));
  std::vector<MatrixXd> h(T, MatrixXd::Zero(p, p));
  std::vector<VectorXd> r(T, VectorXd(B)), ww(T, VectorXd(B));
  std::vector<MatrixXd> scratch(T);
  for_blocks((long)n, (long)B, T, [&](int t, long start, long len) {
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w_[i] == 0.0) {
        r[t][k] = ww[t][k] = 0.0;
        continue;
      }
      const UnitValues u = family_.unit(y_[i], eta0[i]);
      ww[t][k] = w_[i] * u.weight;
      // W z = W (eta0 - offset) - w l'(eta0)
      r[t][k] = ww[t][k] * (eta0[i] - offset[i]) - w_[i] * u.grad;
    }
    model_.add_xt_block(start, len, r[t].head(len), rhs[t]);
    model_.add_xtwx_block(start, len, ww[t].head(len), h[t], scratch[t]);
  });
  for (int t = 1; t < T; ++t) {
    rhs[0] += rhs[t];
    h[0] += h[t];
  }
  Eigen::LDLT<MatrixXd> ldlt(h[0].selfadjointView<Eigen::Lower>());
  if (ldlt.info() != Eigen::Success) return false;
  beta = ldlt.solve(rhs[0]);
  return beta.allFinite();
}

}  // namespace gradglm
