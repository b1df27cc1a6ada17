// The objective of data read in chunks (DESIGN: the chunked data source).
// Every pass asks R for the chunks one at a time: `open()` starts a pass and
// `next()` returns the model spec of the next chunk (designs, response,
// weights, offsets and likelihood, as for the whole data in memory) or NULL
// after the last. Each chunk is passed over by the same ModelObjective as
// data in memory, and the chunks' sums (loss, gradient, curvature, each
// times the chunk's weight) are added up, so the result is that of all rows
// at once. The chunks never sit in memory together.
#ifndef GRADGLM_CHUNKED_OBJECTIVE_H
#define GRADGLM_CHUNKED_OBJECTIVE_H

#include <RcppEigen.h>

#include "objective.h"

namespace gradglm {

class ChunkedObjective : public Objective {
 public:
  ChunkedObjective(Rcpp::Function open, Rcpp::Function next, Index dim, int threads)
      : open_(open), next_(next), dim_(dim), threads_(threads) {}

  Index dim() const override { return dim_; }
  double value(const VectorXd& b) override { return pass(b, nullptr, nullptr, Curv::none); }
  double value_grad(const VectorXd& b, VectorXd& grad) override { return pass(b, &grad, nullptr, Curv::none); }
  bool has_curvature() const override { return true; }
  double value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    return pass(b, &grad, &H, Curv::observed);
  }
  bool safe_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    if (!fisher_differs_) return false;
    pass(b, &grad, &H, Curv::fisher);
    return true;
  }
  double fisher_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) { return pass(b, &grad, &H, Curv::fisher); }
  // a pass costs about its rows times the coefficients
  double work() const override { return (double)rows_ * (double)dim_; }
  Index rows() const override { return 0; }  // (no row sampling: minibatches need rows in memory)
  bool costly_pass() const override { return true; }
  bool fisher_differs() const { return fisher_differs_; }

  double weight_sum() const { return wsum_; }
  Index passes() const { return passes_; }
  Index chunks() const { return chunks_; }

 private:
  Rcpp::Function open_, next_;
  Index dim_;
  int threads_;
  Index rows_ = 0, passes_ = 0, chunks_ = 0;
  double wsum_ = 0.0;
  bool fisher_differs_ = false;
  double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode);
};

}  // namespace gradglm

#endif
