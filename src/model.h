// The predictor: today a linear model eta = X beta + offset over a design that
// stays in R's memory (Eigen::Ref, no copy). Work is done in blocks of rows so
// that a block of X is still in cache when it is used a second time (fused
// passes: X beta, then X^T r, in one sweep over memory).
#ifndef GRADGLM_MODEL_H
#define GRADGLM_MODEL_H

#include <RcppEigen.h>

namespace gradglm {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
typedef Eigen::Ref<const MatrixXd> MatRef;
typedef Eigen::Ref<const VectorXd> VecRef;

class LinearModel {
 public:
  LinearModel(const MatRef& X, const VecRef& offset) : X_(X), offset_(offset) {}

  Index n() const { return X_.rows(); }
  Index p() const { return X_.cols(); }
  const MatRef& X() const { return X_; }

  // rows processed together: about 256 KiB of X per block
  Index block_rows() const {
    const Index b = (Index)32768 / (p() > 0 ? p() : 1);
    return b < 64 ? 64 : b;
  }

  // eta[start, start + len) = X[rows] beta + offset[rows]
  void eta_block(Index start, Index len, const VectorXd& beta, Eigen::Ref<VectorXd> out) const {
    out.noalias() = X_.middleRows(start, len) * beta;
    out += offset_.segment(start, len);
  }

  // grad += X[rows]^T r
  void add_xt_block(Index start, Index len, const VecRef& r, VectorXd& grad) const {
    grad.noalias() += X_.middleRows(start, len).transpose() * r;
  }

  // H += X[rows]^T diag(w) X[rows], lower triangle at least; scratch is reused
  // between blocks. Non-negative weights take the symmetric rank update of
  // sqrt(w) X; a block with a negative weight (an observed curvature can be
  // negative) takes the general product.
  void add_xtwx_block(Index start, Index len, const VecRef& w, MatrixXd& H, MatrixXd& scratch) const {
    scratch.resize(len, p());
    if ((w.array() >= 0.0).all()) {
      scratch.noalias() = w.cwiseSqrt().asDiagonal() * X_.middleRows(start, len);
      H.selfadjointView<Eigen::Lower>().rankUpdate(scratch.transpose());
    } else {
      scratch.noalias() = w.asDiagonal() * X_.middleRows(start, len);
      H.noalias() += X_.middleRows(start, len).transpose() * scratch;
    }
  }

  // out (length n) = X beta + offset
  void eta(const VectorXd& beta, Eigen::Ref<VectorXd> out) const {
    const Index B = block_rows();
    for (Index s = 0; s < n(); s += B) {
      const Index len = std::min(B, n() - s);
      eta_block(s, len, beta, out.segment(s, len));
    }
  }

 private:
  MatRef X_;
  VecRef offset_;
};

}  // namespace gradglm

#endif
