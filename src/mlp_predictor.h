// The network predictor: a feedforward network (a multilayer perceptron)
// whose last layer gives the likelihood's K predictors,
//   A_0 = standardised inputs,  A_l = act(A_{l-1} W_l' + b_l)  (hidden layers),
//   eta[, k] = A_L Wout[k, ]' + bout_k + offset_k,
// where an output k may be "connected" (weights from the last hidden layer)
// or not (a bias only: the log-scale of a constant sigma, an ordinal
// model's cut-points), and may have a bias or not (an ordinal location,
// whose level the cut-points carry).
//
// Inputs are standardised without copying X: the first layer's weights are
// those of standardised columns (x - center) / scale, applied to the raw rows
// through effective weights W_1 diag(1 / scale) and bias
// b_1 - W_1 diag(1 / scale) center, computed once per pass (prepare()); each
// block's gradient of the effective weights is mapped back to W_1 and b_1.
//
// Parameters theta, layer by layer: W_l (out x in, column-major) then b_l;
// the output layer's weights only for the connected outputs, its biases only
// for the outputs that have one.
//
// Rows are processed in blocks (about 256 KiB of activations), each layer a
// matrix product over the block's rows; backpropagation (add_grad) uses the
// activations the forward pass of the same block stored in the workspace.
// Output scales s_k (1 unless set): eta[, k] = s_k (A_L Wout[k, ]' + bout_k)
// + offset_k, so that the optimizer works on output weights in units of
// s_k (the response's standard deviation for an identity-link location,
// whose weights would otherwise need the response's size). theta here is in
// those units; param_scale() maps it to the weights of eta itself
// (theta_raw = param_scale .* theta).
// Dropout (training only) zeroes each hidden unit of each row with
// probability `dropout` and scales the others by 1 / (1 - dropout); its
// draws are a hash of (seed, row, layer, unit), so that threads need no
// random number generator and a pass is reproducible from its seed.
#ifndef GRADGLM_MLP_PREDICTOR_H
#define GRADGLM_MLP_PREDICTOR_H

#include "eigen.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "design.h"

namespace gradglm {

enum class Activation { identity = 0, relu = 1, tanh = 2, sigmoid = 3, softplus = 4, gelu = 5 };

struct MlpOutput {
  bool connected;  // weights from the last hidden layer (or the inputs)
  bool bias;       // a bias of its own
};

class MlpPredictor {
 public:
  MlpPredictor(const Design& X, const VectorXd& center, const VectorXd& scale, const std::vector<int>& units,
               Activation act, const std::vector<MlpOutput>& outputs, const std::vector<const double*>& offsets);

  int k() const { return K_; }
  Index n() const { return X_.rows(); }
  Index dim() const { return dim_; }
  Index block_rows() const { return block_rows_; }
  // multiply-adds of one forward pass over all rows
  double work() const { return work_; }
  int layers() const { return (int)units_.size(); }
  // positions in theta of the weights (not biases): those weight decay penalises
  std::vector<bool> weight_mask() const;
  // the output scales (positive and finite, one per output)
  void set_output_scale(const VectorXd& s);
  const VectorXd& output_scale() const { return out_scale_; }
  // per parameter: s_k for output k's weights and bias, 1 elsewhere
  VectorXd param_scale() const;
  // positions in theta of the output layer's weights (not its biases): [first, second)
  std::pair<Index, Index> output_weights() const { return std::make_pair(wout_at_, bout_at_); }

  struct Work {
    Index start = 0, len = 0;
    MatrixXd buf;                 // the block's rows of X, when X is not contiguous
    const double* x = nullptr;
    Index ld = 0;
    std::vector<MatrixXd> A;      // activations of the hidden layers (len x units)
    std::vector<MatrixXd> Z;      // their inputs before the activation
    std::vector<MatrixXd> M;      // dropout multipliers (training only)
    MatrixXd G, D, E, T;          // backpropagation and output scratch
    const double* theta = nullptr;
  };
  void init(Work& w) const { (void)w; }
  void load(Index start, Index len, Work& w) const;
  void eta(const VectorXd& theta, Work& w, double* eta) const;
  void add_grad(const double* R, Work& w, VectorXd& grad) const;
  // never called: a network's objective has no curvature (src/pass.h asks
  // for one only when the objective offers it)
  void add_curv(const double*, const std::vector<std::pair<int, int>>&, Work&, MatrixXd&) const {}
  void prepare(const VectorXd& theta) const;
  // eta of every row at theta, into out (n x K, column-major)
  void eta_all(const VectorXd& theta, double* out) const;
  // eta_all() that also counts, per hidden layer, the units whose activation
  // is the same for every row of positive weight `w` (a ReLU whose input is
  // <= 0 for every row is one: dead, with a zero gradient)
  std::vector<int> eta_all_constant_units(const VectorXd& theta, const double* w, double* out) const;

  // dropout: a share of hidden units zeroed in passes while `training`
  void set_dropout(double rate) { dropout_ = rate; }
  double dropout() const { return dropout_; }
  // ReLU hidden units: the eta of a row is not differentiable where a unit's input is 0
  bool kinked() const { return act_ == Activation::relu && !units_.empty(); }
  void set_training(bool on, std::uint64_t seed) const {
    training_ = on && dropout_ > 0.0;
    seed_ = seed;
  }

 private:
  Design X_;
  VectorXd center_, scale_;
  std::vector<int> units_;
  Activation act_;
  std::vector<MlpOutput> outputs_;
  std::vector<const double*> offsets_;
  std::vector<int> connected_;  // the connected outputs, in order
  int K_;
  Index p_, dim_, block_rows_;
  double work_;
  double dropout_ = 0.0;
  mutable bool training_ = false;
  mutable std::uint64_t seed_ = 0;
  // offsets in theta: of W_l and b_l for the hidden layers, then Wout and bout
  std::vector<Index> w_at_, b_at_;
  Index wout_at_, bout_at_;
  std::vector<Index> bias_pos_;  // per output: its bias's position in theta, -1 if none
  // the first layer's effective weights and bias on the raw inputs (prepare())
  mutable MatrixXd w1_;
  mutable VectorXd b1_;
  VectorXd inv_scale_, center_scaled_;  // 1 / scale and center / scale
  VectorXd out_scale_;                  // s_k of each output

  int in_units(int l) const { return l == 0 ? (int)p_ : units_[l - 1]; }
  void activate(MatrixXd& Z, MatrixXd& A) const;
  // G *= act'(Z) elementwise; A = act(Z) when it is not null
  void scale_by_derivative(const MatrixXd& Z, const MatrixXd* A, MatrixXd& G) const;
  void draw_dropout(MatrixXd& M, Index start, int layer) const;
};

}  // namespace gradglm

#endif
