#include "mlp_predictor.h"

#include "pass.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gradglm {

namespace {

typedef Eigen::Map<const MatrixXd> CMap;
typedef Eigen::Map<MatrixXd> MMap;
typedef Eigen::Map<const VectorXd> CVMap;
typedef Eigen::Map<VectorXd> VMap;

inline double normal_cdf(double z) { return 0.5 * std::erfc(-z * 0.7071067811865476); }

// splitmix64: a well-mixed 64-bit hash, for dropout's draws
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

MlpPredictor::MlpPredictor(const Design& X, const VectorXd& center, const VectorXd& scale,
                           const std::vector<int>& units, Activation act, const std::vector<MlpOutput>& outputs,
                           const std::vector<const double*>& offsets)
    : X_(X), center_(center), scale_(scale), units_(units), act_(act), outputs_(outputs), offsets_(offsets) {
  p_ = X_.cols();
  K_ = (int)outputs_.size();
  if (p_ < 1) throw std::invalid_argument("a network needs at least one input column");
  if (center_.size() != p_ || scale_.size() != p_) throw std::invalid_argument("center and scale need one value per input");
  if (!(scale_.array() > 0.0).all()) throw std::invalid_argument("every input scale must be positive");
  if (K_ < 1) throw std::invalid_argument("a network needs at least one output");
  for (int u : units_)
    if (u < 1) throw std::invalid_argument("every hidden layer needs at least one unit");
  for (int k = 0; k < K_; ++k)
    if (outputs_[k].connected) connected_.push_back(k);
  if (connected_.empty()) throw std::invalid_argument("no output of the network is connected to its inputs");
  offsets_.resize(K_, nullptr);
  inv_scale_ = scale_.cwiseInverse();
  center_scaled_ = center_.cwiseProduct(inv_scale_);
  out_scale_ = VectorXd::Ones(K_);
  Index pos = 0;
  double per_row = 0.0;
  const int L = layers();
  for (int l = 0; l < L; ++l) {
    const Index in = in_units(l), out = units_[l];
    w_at_.push_back(pos);
    pos += out * in;
    b_at_.push_back(pos);
    pos += out;
    per_row += double(in) * double(out);
  }
  const Index last = in_units(L), Kc = (Index)connected_.size();
  wout_at_ = pos;
  pos += Kc * last;
  per_row += double(Kc) * double(last);
  bout_at_ = pos;
  bias_pos_.assign(K_, -1);
  for (int k = 0; k < K_; ++k)
    if (outputs_[k].bias) bias_pos_[k] = pos++;
  dim_ = pos;
  work_ = per_row * double(X_.rows());
  Index width = p_ + K_;
  for (int u : units_) width += 3 * u;
  block_rows_ = std::min<Index>(512, std::max<Index>(64, (Index)32768 / width));
}

std::vector<bool> MlpPredictor::weight_mask() const {
  std::vector<bool> m(dim_, false);
  for (int l = 0; l < layers(); ++l)
    for (Index j = w_at_[l]; j < b_at_[l]; ++j) m[j] = true;
  for (Index j = wout_at_; j < bout_at_; ++j) m[j] = true;
  return m;
}

void MlpPredictor::set_output_scale(const VectorXd& s) {
  if (s.size() != K_) throw std::invalid_argument("the output scales need one value per output");
  if (!(s.array() > 0.0).all() || !s.allFinite()) throw std::invalid_argument("every output scale must be positive");
  out_scale_ = s;
}

VectorXd MlpPredictor::param_scale() const {
  VectorXd m = VectorXd::Ones(dim_);
  const Index Kc = (Index)connected_.size(), last = in_units(layers());
  for (Index j = 0; j < last; ++j)
    for (Index c = 0; c < Kc; ++c) m[wout_at_ + j * Kc + c] = out_scale_[connected_[c]];
  for (int k = 0; k < K_; ++k)
    if (bias_pos_[k] >= 0) m[bias_pos_[k]] = out_scale_[k];
  return m;
}

void MlpPredictor::prepare(const VectorXd& theta) const {
  const int L = layers();
  const Index out0 = L > 0 ? units_[0] : (Index)connected_.size();
  const CMap W(theta.data() + (L > 0 ? w_at_[0] : wout_at_), out0, p_);
  w1_.noalias() = W * inv_scale_.asDiagonal();
  b1_.resize(out0);
  if (L > 0) {
    b1_ = CVMap(theta.data() + b_at_[0], out0);
  } else {
    for (Index c = 0; c < out0; ++c) {
      const Index bp = bias_pos_[connected_[c]];
      b1_[c] = bp >= 0 ? theta[bp] : 0.0;
    }
  }
  b1_.noalias() -= W * center_scaled_;
}

void MlpPredictor::load(Index start, Index len, Work& w) const {
  const BlockMap Xb = X_.block(start, len, w.buf);
  w.start = start;
  w.len = len;
  w.x = Xb.data();
  w.ld = Xb.outerStride();
}

// Activations by whole blocks, vectorised where Eigen vectorises (exp):
// sigmoid(z) = 1 / (1 + exp(-z)) (exp(-z) = Inf gives 0), tanh(z) =
// 1 - 2 / (exp(2z) + 1) (Inf gives 1), softplus(z) = max(z, 0) + log1p(exp(-|z|)).
void MlpPredictor::activate(MatrixXd& Z, MatrixXd& A) const {
  A.resize(Z.rows(), Z.cols());
  const auto z = Z.array();
  auto a = A.array();
  switch (act_) {
    case Activation::identity:
      a = z;
      break;
    case Activation::relu:
      a = z.max(0.0);
      break;
    case Activation::tanh:
      a = 1.0 - 2.0 / ((2.0 * z).exp() + 1.0);
      break;
    case Activation::sigmoid:
      a = 1.0 / (1.0 + (-z).exp());
      break;
    case Activation::softplus:
      a = z.max(0.0) + (-z.abs()).exp().log1p();
      break;
    case Activation::gelu: {
      const Index m = Z.size();
      const double* zp = Z.data();
      double* ap = A.data();
      for (Index i = 0; i < m; ++i) ap[i] = zp[i] * normal_cdf(zp[i]);
      break;
    }
  }
}

void MlpPredictor::scale_by_derivative(const MatrixXd& Z, const MatrixXd* A, MatrixXd& G) const {
  const auto z = Z.array();
  auto g = G.array();
  switch (act_) {
    case Activation::identity:
      break;
    case Activation::relu:
      g = (z > 0.0).select(g, 0.0);
      break;
    case Activation::tanh:
      if (A) {
        g *= 1.0 - A->array().square();
      } else {
        g *= 1.0 - (1.0 - 2.0 / ((2.0 * z).exp() + 1.0)).square();
      }
      break;
    case Activation::sigmoid:
      if (A) {
        g *= A->array() * (1.0 - A->array());
      } else {
        const auto s = 1.0 / (1.0 + (-z).exp());
        g *= s * (1.0 - s);
      }
      break;
    case Activation::softplus:
      g *= 1.0 / (1.0 + (-z).exp());
      break;
    case Activation::gelu: {
      const Index m = Z.size();
      const double* zp = Z.data();
      double* gp = G.data();
      for (Index i = 0; i < m; ++i) gp[i] *= normal_cdf(zp[i]) + zp[i] * std::exp(-0.5 * zp[i] * zp[i]) * 0.3989422804014327;
      break;
    }
  }
}

// M[i, j] = 1 / (1 - rate) for a kept unit, 0 for a dropped one: a hash of
// (seed, row, layer, unit)
void MlpPredictor::draw_dropout(MatrixXd& M, Index start, int layer) const {
  const double keep = 1.0 - dropout_, up = 1.0 / keep;
  const std::uint64_t base = mix(seed_ ^ ((std::uint64_t)(layer + 1) << 48));
  for (Index j = 0; j < M.cols(); ++j) {
    const std::uint64_t cj = mix(base ^ (std::uint64_t)j);
    for (Index i = 0; i < M.rows(); ++i) {
      const double u = (double)(mix(cj ^ (std::uint64_t)(start + i)) >> 11) * 0x1.0p-53;
      M(i, j) = u < keep ? up : 0.0;
    }
  }
}

void MlpPredictor::eta(const VectorXd& theta, Work& w, double* eta) const {
  const Index len = w.len, Kc = (Index)connected_.size();
  const int L = layers();
  const BlockMap Xb(w.x, len, p_, Eigen::OuterStride<>(w.ld));
  w.theta = theta.data();
  if ((int)w.A.size() < L) {
    w.A.resize(L);
    w.Z.resize(L);
    w.M.resize(L);
  }
  if (L == 0) {
    w.E.resize(len, Kc);
    w.E.noalias() = Xb * w1_.transpose();
    w.E.rowwise() += b1_.transpose();
  } else {
    for (int l = 0; l < L; ++l) {
      MatrixXd& Z = w.Z[l];
      Z.resize(len, units_[l]);
      if (l == 0) {
        Z.noalias() = Xb * w1_.transpose();
        Z.rowwise() += b1_.transpose();
      } else {
        const CMap W(theta.data() + w_at_[l], units_[l], units_[l - 1]);
        Z.noalias() = w.A[l - 1] * W.transpose();
        Z.rowwise() += CVMap(theta.data() + b_at_[l], units_[l]).transpose();
      }
      activate(Z, w.A[l]);
      if (training_) {
        w.M[l].resize(len, units_[l]);
        draw_dropout(w.M[l], w.start, l);
        w.A[l].array() *= w.M[l].array();
      }
    }
    const CMap Wout(theta.data() + wout_at_, Kc, units_[L - 1]);
    w.E.resize(len, Kc);
    w.E.noalias() = w.A[L - 1] * Wout.transpose();
  }
  Index c = 0;
  for (int k = 0; k < K_; ++k) {
    VMap out(eta + (Index)k * len, len);
    const Index bp = bias_pos_[k];
    if (outputs_[k].connected) {
      out = w.E.col(c++);
      if (L > 0 && bp >= 0) out.array() += theta[bp];
    } else {
      out.setConstant(bp >= 0 ? theta[bp] : 0.0);
    }
    if (out_scale_[k] != 1.0) out *= out_scale_[k];
    if (offsets_[k]) out += CVMap(offsets_[k] + w.start, len);
  }
}

void MlpPredictor::add_grad(const double* R, Work& w, VectorXd& grad) const {
  const Index len = w.len, Kc = (Index)connected_.size();
  const int L = layers();
  const double* theta = w.theta;
  const BlockMap Xb(w.x, len, p_, Eigen::OuterStride<>(w.ld));
  // (the gradient in eta_k's units, times s_k for the output's pre-scale value)
  for (int k = 0; k < K_; ++k)
    if (bias_pos_[k] >= 0) grad[bias_pos_[k]] += out_scale_[k] * CVMap(R + (Index)k * len, len).sum();
  w.G.resize(len, Kc);
  for (Index c = 0; c < Kc; ++c) {
    const int k = connected_[c];
    w.G.col(c) = CVMap(R + (Index)k * len, len);
    if (out_scale_[k] != 1.0) w.G.col(c) *= out_scale_[k];
  }
  // the first layer's weights: the gradient of the effective weights on raw
  // inputs, mapped back to those of standardised inputs (and to their biases'
  // shift, whose gradient is the column sums of G)
  auto first_layer = [&](Index at) {
    const Index out0 = w.G.cols();
    w.T.resize(out0, p_);
    w.T.noalias() = w.G.transpose() * Xb;
    MMap gW(grad.data() + at, out0, p_);
    gW.noalias() += w.T * inv_scale_.asDiagonal();
    gW.noalias() -= w.G.colwise().sum().transpose() * center_scaled_.transpose();
  };
  if (L == 0) {
    first_layer(wout_at_);
    return;
  }
  MMap(grad.data() + wout_at_, Kc, units_[L - 1]).noalias() += w.G.transpose() * w.A[L - 1];
  w.D.resize(len, units_[L - 1]);
  w.D.noalias() = w.G * CMap(theta + wout_at_, Kc, units_[L - 1]);
  for (int l = L - 1; l >= 0; --l) {
    // G = dL/dZ_l: back through the activation (and the dropout)
    w.G.swap(w.D);
    scale_by_derivative(w.Z[l], training_ ? nullptr : &w.A[l], w.G);
    if (training_) w.G.array() *= w.M[l].array();
    VMap(grad.data() + b_at_[l], units_[l]) += w.G.colwise().sum().transpose();
    if (l == 0) {
      first_layer(w_at_[0]);
    } else {
      MMap(grad.data() + w_at_[l], units_[l], units_[l - 1]).noalias() += w.G.transpose() * w.A[l - 1];
      w.D.resize(len, units_[l - 1]);
      w.D.noalias() = w.G * CMap(theta + w_at_[l], units_[l], units_[l - 1]);
    }
  }
}

void MlpPredictor::eta_all(const VectorXd& theta, double* out) const {
  set_training(false, 0);
  eta_all_rows(*this, theta, out);
}

std::vector<int> MlpPredictor::eta_all_constant_units(const VectorXd& theta, const double* w, double* out) const {
  set_training(false, 0);
  prepare(theta);
  const int L = layers();
  const Index N = n(), B = block_rows_;
  std::vector<VectorXd> lo(L), hi(L);
  for (int l = 0; l < L; ++l) {
    lo[l] = VectorXd::Constant(units_[l], INFINITY);
    hi[l] = VectorXd::Constant(units_[l], -INFINITY);
  }
  Work wk;
  VectorXd buf;
  for (Index s = 0; s < N; s += B) {
    const Index len = std::min(B, N - s);
    load(s, len, wk);
    buf.resize(len * K_);
    eta(theta, wk, buf.data());
    for (int k = 0; k < K_; ++k) VMap(out + (Index)k * N + s, len) = CVMap(buf.data() + (Index)k * len, len);
    for (Index i = 0; i < len; ++i) {
      if (!(w[s + i] > 0.0)) continue;
      for (int l = 0; l < L; ++l) {
        lo[l] = lo[l].cwiseMin(wk.A[l].row(i).transpose());
        hi[l] = hi[l].cwiseMax(wk.A[l].row(i).transpose());
      }
    }
  }
  std::vector<int> constant(L, 0);
  for (int l = 0; l < L; ++l)
    for (Index j = 0; j < units_[l]; ++j)
      if (!(hi[l][j] > lo[l][j])) ++constant[l];
  return constant;
}

}  // namespace gradglm
