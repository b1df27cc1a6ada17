// Objectives of data that is not in memory (DESIGN: the chunked and the
// partitioned data sources). A pass over the rows gives the loss, gradient
// and, when asked, curvature at once; every pass reads the data again, so
// optimizers ask for all they need in one pass (costly_pass()).
//
// ChunkedObjective: every pass asks R for the chunks one at a time: `open()`
// starts a pass and `next()` returns the model spec of the next chunk
// (designs, response, weights, offsets and likelihood, as for the whole data
// in memory) or NULL after the last. Each chunk is passed over by the same
// ModelObjective as data in memory, and the chunks' sums (loss, gradient,
// curvature, each times the chunk's weight) are added up, so the result is
// that of all rows at once. The chunks never sit in memory together.
//
// PartitionedObjective: every pass calls R's `pass(theta, curvature)`, which
// sends theta to the workers that hold the partitions and returns the sums of
// their passes: list(value, gradient, hessian, weight_sum) as the mean over
// the rows' weights, as for one chunked source.
#ifndef GRADGLM_CHUNKED_OBJECTIVE_H
#define GRADGLM_CHUNKED_OBJECTIVE_H

#include "eigen.h"

#include <stdexcept>

#include "objective.h"

namespace gradglm {

class PassObjective : public Objective {
 public:
  explicit PassObjective(Index dim) : dim_(dim) {}
  Index dim() const override { return dim_; }
  double value(const VectorXd& b) override { return counted(b, nullptr, nullptr, Curv::none); }
  double value_grad(const VectorXd& b, VectorXd& grad) override { return counted(b, &grad, nullptr, Curv::none); }
  bool has_curvature() const override { return true; }
  double value_grad_curv(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    return counted(b, &grad, &H, Curv::observed);
  }
  bool safe_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) override {
    if (!fisher_differs_) return false;
    counted(b, &grad, &H, Curv::fisher);
    return true;
  }
  double fisher_curvature(const VectorXd& b, VectorXd& grad, MatrixXd& H) {
    return counted(b, &grad, &H, Curv::fisher);
  }
  // a pass costs about its rows times the coefficients
  double work() const override { return (double)rows_ * (double)dim_; }
  Index rows() const override { return 0; }  // (no row sampling: minibatches need rows in memory)
  bool costly_pass() const override { return true; }
  bool fisher_differs() const { return fisher_differs_; }
  double weight_sum() const { return wsum_; }
  // glm's |dev - dev_old| / (|dev| + 0.1) on the mean loss, as in memory
  double loss_floor() const override { return wsum_ > 0.0 ? 0.1 / (2.0 * wsum_) : 0.0; }
  Index passes() const { return passes_; }
  // rows of positive weight whose fitted mean is numerically at its family's
  // boundary (0 or 1 for the binomial, 0 for the poisson), counted by the
  // last pass with a curvature (a fit's last pass is at its coefficients)
  double n_boundary() const { return n_boundary_; }
  Index chunks() const { return chunks_; }
  Index rows_read() const { return rows_; }

 protected:
  Index dim_;
  Index rows_ = 0, chunks_ = 0;
  double wsum_ = 0.0;
  double n_boundary_ = 0.0;
  bool fisher_differs_ = false;
  // one pass: the mean loss at b, and (when not null) its gradient and curvature
  virtual double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) = 0;

 private:
  Index passes_ = 0;
  double counted(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) {
    if (b.size() != dim_) throw std::invalid_argument("the coefficients do not match the model");
    const double f = pass(b, grad, H, mode);
    ++passes_;
    return f;
  }
};

class ChunkedObjective : public PassObjective {
 public:
  ChunkedObjective(Rcpp::Function open, Rcpp::Function next, Index dim, int threads)
      : PassObjective(dim), open_(open), next_(next), threads_(threads) {}

 protected:
  double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) override;

 private:
  Rcpp::Function open_, next_;
  int threads_;
};

class PartitionedObjective : public PassObjective {
 public:
  PartitionedObjective(Rcpp::Function pass, Index dim) : PassObjective(dim), pass_(pass) {}

 protected:
  double pass(const VectorXd& b, VectorXd* grad, MatrixXd* H, Curv mode) override;

 private:
  Rcpp::Function pass_;
};

}  // namespace gradglm

#endif
