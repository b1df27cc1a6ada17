#include "objective.h"

#include <stdexcept>

namespace gradglm {

GlmObjective::GlmObjective(const LinearModel& model, const VecRef& y, const VecRef& w,
                           const Family& family)
    : model_(model), y_(y), w_(w), family_(family) {
  if (y_.size() != model_.n() || w_.size() != model_.n()) {
    throw std::invalid_argument("y, weights and X have different numbers of rows");
  }
  wsum_ = w_.sum();
  if (!(wsum_ > 0.0)) throw std::invalid_argument("the weights sum to zero");
  eta_.resize(model_.n());
}

double GlmObjective::loss_at_eta(const VectorXd& eta) const {
  double s = 0.0;
  for (Index i = 0; i < eta.size(); ++i) {
    if (w_[i] != 0.0) s += w_[i] * family_.unit_loss(y_[i], eta[i]);
  }
  return s / wsum_;
}

VectorXd GlmObjective::working_weights(const VectorXd& eta) const {
  VectorXd out(eta.size());
  for (Index i = 0; i < eta.size(); ++i) {
    out[i] = w_[i] == 0.0 ? 0.0 : w_[i] * family_.unit(y_[i], eta[i]).weight;
  }
  return out;
}

double GlmObjective::value(const VectorXd& b) {
  model_.eta(b, eta_);
  return loss_at_eta(eta_);
}

double GlmObjective::value_grad(const VectorXd& b, VectorXd& grad) {
  const Index n = model_.n(), B = model_.block_rows();
  grad = VectorXd::Zero(model_.p());
  double s = 0.0;
  r_.resize(B);
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    model_.eta_block(start, len, b, eta_.segment(start, len));
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w_[i] == 0.0) {
        r_[k] = 0.0;
        continue;
      }
      const UnitValues u = family_.unit(y_[i], eta_[i]);
      s += w_[i] * u.loss;
      r_[k] = w_[i] * u.grad;
    }
    model_.add_xt_block(start, len, r_.head(len), grad);
  }
  grad /= wsum_;
  return s / wsum_;
}

double GlmObjective::value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
  const Index n = model_.n(), p = model_.p(), B = model_.block_rows();
  grad = VectorXd::Zero(p);
  H = MatrixXd::Zero(p, p);
  double s = 0.0;
  r_.resize(B);
  ww_.resize(B);
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    model_.eta_block(start, len, b, eta_.segment(start, len));
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w_[i] == 0.0) {
        r_[k] = ww_[k] = 0.0;
        continue;
      }
      const UnitValues u = family_.unit(y_[i], eta_[i]);
      s += w_[i] * u.loss;
      r_[k] = w_[i] * u.grad;
      ww_[k] = w_[i] * (observed_ ? u.hess : u.weight);
    }
    model_.add_xt_block(start, len, r_.head(len), grad);
    model_.add_xtwx_block(start, len, ww_.head(len), H, scratch_);
  }
  grad /= wsum_;
  H /= wsum_;
  H.triangularView<Eigen::StrictlyUpper>() = H.transpose();
  return s / wsum_;
}

bool GlmObjective::scoring_step_from_eta(const VectorXd& eta0, const VecRef& offset, VectorXd& beta) {
  const Index n = model_.n(), p = model_.p(), B = model_.block_rows();
  VectorXd rhs = VectorXd::Zero(p);
  MatrixXd H = MatrixXd::Zero(p, p);
  r_.resize(B);
  ww_.resize(B);
  for (Index start = 0; start < n; start += B) {
    const Index len = std::min(B, n - start);
    for (Index k = 0; k < len; ++k) {
      const Index i = start + k;
      if (w_[i] == 0.0) {
        r_[k] = ww_[k] = 0.0;
        continue;
      }
      const UnitValues u = family_.unit(y_[i], eta0[i]);
      ww_[k] = w_[i] * u.weight;
      // W z = W (eta0 - offset) - w l'(eta0)
      r_[k] = ww_[k] * (eta0[i] - offset[i]) - w_[i] * u.grad;
    }
    model_.add_xt_block(start, len, r_.head(len), rhs);
    model_.add_xtwx_block(start, len, ww_.head(len), H, scratch_);
  }
  Eigen::LDLT<MatrixXd> ldlt(H.selfadjointView<Eigen::Lower>());
  if (ldlt.info() != Eigen::Success) return false;
  beta = ldlt.solve(rhs);
  return beta.allFinite();
}

}  // namespace gradglm
