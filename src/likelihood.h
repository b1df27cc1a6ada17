// Likelihoods with K predictors per row.
//
// A likelihood says, for one row with response y_i and predictors
// eta_i = (eta_i1, ..., eta_iK), its loss (the negative log-likelihood, minus
// its saturated value where one exists), the gradient of the loss in the K
// predictors and its K x K curvature, observed or expected (Fisher's). A GLM
// has K = 1 (the mean); a distributional model K = 2 or 3 (location, log
// sigma, log df); multinomial regression with L classes K = L - 1; an
// ordinal model K = L (the location and the L - 1 cut-points); R independent
// responses R times the K of one.
//
// Likelihoods work on blocks of rows, so that the inner loop over rows is
// inlined and the pass over the data makes one virtual call per block. They
// are called from threaded loops: nothing here may call R.
#ifndef GRADGLM_LIKELIHOOD_H
#define GRADGLM_LIKELIHOOD_H

#include "index.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gradglm {

// which curvature a pass computes
enum class Curv { none = 0, observed = 1, fisher = 2 };

// The response: n rows, m columns, column-major (R's memory, not copied):
// doubles y, or integers yi (a GLM's integer response read as it is, without
// a copy as doubles: y is then nullptr).
struct Response {
  const double* y;
  Index n;
  Index m;
  const int* yi = nullptr;
  double at(Index i, Index c) const { return y ? y[c * n + i] : (double)yi[c * n + i]; }
  // rows [start, start + len) of column c as doubles: y's own, or the
  // integers' converted into buf (room for len)
  const double* rows(Index start, Index len, double* buf, Index c = 0) const {
    if (y) return y + c * n + start;
    const int* v = yi + c * n + start;
    for (Index k = 0; k < len; ++k) buf[k] = (double)v[k];
    return buf;
  }
};

// One block of rows [start, start + len) handed to a likelihood.
//   eta:  len x K predictors, column-major (eta[k * len + i])
//   w:    prior weights of the block's rows (w[i] belongs to row start + i)
// Outputs, each row multiplied by its weight (zero-weight rows give zeros):
//   grad: len x K, w_i d loss_i / d eta_ik
//   curv: len x P, w_i d2 loss_i / d eta_ik d eta_il for the P pairs (k, l) of pairs()
struct RowBlock {
  Index start;
  Index len;
  const double* eta;
  const double* w;
};

class Likelihood {
 public:
  explicit Likelihood(int k) : k_(k) {}
  virtual ~Likelihood() {}

  int k() const { return k_; }
  // the entries (k, l), k <= l, of the curvature that can be non-zero; the
  // curvature of a row is zero elsewhere
  const std::vector<std::pair<int, int>>& pairs() const { return pairs_; }

  // sum of w_i loss_i over the block; grad and curv are filled when not null
  // (curv with the curvature `mode`, which is not none then)
  virtual double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                            Curv mode) const = 0;

  // the observed curvature equals Fisher's (a canonical link): the exact
  // Newton step needs no safe fall-back
  virtual bool canonical() const { return false; }
  // whether the expected information is available
  virtual bool has_fisher() const { return true; }
  // the fit's covariance is the inverse of the "Fisher" curvature even where
  // the observed one is positive definite (the negative binomial's, as
  // MASS::glm.nb reports it)
  virtual bool expected_cov() const { return false; }
  // predictors that are log-scales: a fit whose log-scale runs far below its
  // start for some rows has an unbounded likelihood (the mean fits them exactly)
  virtual std::vector<int> log_scale_predictors() const { return std::vector<int>(); }
  // whether row i of a block has its response at its location's mean, to
  // 1e-8 of their size or within `tiny` (the mean model fits it exactly),
  // for its log-scale predictor k: a scale falling to 0 where this is false
  // is a scale finding its residual, not an unbounded likelihood
  virtual bool fitted_exactly(const Response& y, const RowBlock& rb, Index i, int k, double tiny) const {
    (void)y;
    (void)rb;
    (void)i;
    (void)k;
    (void)tiny;
    return true;
  }
  // Laplace: replace |z| by sqrt(z^2 + smooth^2) (a smooth start); 0 = exact.
  // Not called during a pass.
  virtual void set_smooth(double smooth) { (void)smooth; }
  virtual std::string name() const = 0;
  // evaluating it calls R (a link of the user's own): its passes run on one
  // thread, the calling one
  virtual bool calls_r() const { return false; }
  // after a pass: throws if such a call failed
  virtual void check_r_calls() const {}

 protected:
  // the outputs of row i of a block of len rows, for a row of zero weight
  void zero_row(Index i, Index len, double* grad, double* curv) const {
    if (grad)
      for (int k = 0; k < k_; ++k) grad[k * len + i] = 0.0;
    if (curv)
      for (size_t q = 0; q < pairs_.size(); ++q) curv[q * len + i] = 0.0;
  }
  // all pairs k <= l (a dense curvature)
  void dense_pairs() {
    pairs_.clear();
    for (int a = 0; a < k_; ++a)
      for (int b = a; b < k_; ++b) pairs_.push_back(std::make_pair(a, b));
  }
  int k_;
  std::vector<std::pair<int, int>> pairs_;
};

// R independent responses, each with the likelihood `base` (K0 predictors
// and m0 response columns): K = R K0 predictors ordered parameter by
// parameter (the first parameter of responses 1..R, then the second, ...)
// and R m0 response columns ordered response by response. Its curvature is
// block diagonal across responses.
class ProductLikelihood : public Likelihood {
 public:
  ProductLikelihood(std::unique_ptr<Likelihood> base, int responses, int base_columns);
  double eval_block(const Response& y, const RowBlock& rb, double* grad, double* curv,
                    Curv mode) const override;
  bool canonical() const override { return base_->canonical(); }
  bool has_fisher() const override { return base_->has_fisher(); }
  std::vector<int> log_scale_predictors() const override;
  bool fitted_exactly(const Response& y, const RowBlock& rb, Index i, int k, double tiny) const override;
  void set_smooth(double smooth) override { base_->set_smooth(smooth); }
  std::string name() const override { return base_->name(); }
  bool calls_r() const override { return base_->calls_r(); }
  void check_r_calls() const override { base_->check_r_calls(); }
  int responses() const { return R_; }
  const Likelihood& base() const { return *base_; }

 private:
  std::unique_ptr<Likelihood> base_;
  int R_;
  int m0_;
  // for each base pair and response, the position of the product pair
  std::vector<std::vector<int>> pair_index_;
};

}  // namespace gradglm

#endif
