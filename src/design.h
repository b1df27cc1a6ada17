// A design: the n x p matrix of one block of a linear predictor, read where
// it lies in R's memory. It is either one dense column-major matrix or a list
// of columns (a data frame's numeric variables used as they are, next to
// columns built for factors and interactions), where a null column stands for
// the intercept's column of ones. Dropping aliased columns only drops
// pointers: nothing is copied.
#ifndef GRADGLM_DESIGN_H
#define GRADGLM_DESIGN_H

#include "eigen.h"

#include <vector>

namespace gradglm {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// rows of a design as a column-major matrix with a leading dimension
typedef Eigen::Map<const MatrixXd, 0, Eigen::OuterStride<>> BlockMap;

class Design {
 public:
  Design() : n_(0) {}
  // a dense column-major n x p matrix
  static Design dense(const double* x, Index n, Index p) {
    Design d;
    d.n_ = n;
    d.cols_.resize(p);
    for (Index j = 0; j < p; ++j) d.cols_[j] = x + j * n;
    d.update();
    return d;
  }
  // columns given one by one; nullptr is a column of ones
  static Design columns(Index n, const std::vector<const double*>& cols) {
    Design d;
    d.n_ = n;
    d.cols_ = cols;
    d.update();
    return d;
  }
  // a single column of ones (an intercept-only block)
  static Design ones(Index n) { return columns(n, std::vector<const double*>(1, nullptr)); }

  Index rows() const { return n_; }
  Index cols() const { return (Index)cols_.size(); }
  const double* col(Index j) const { return cols_[j]; }
  bool is_ones(Index j) const { return cols_[j] == nullptr; }
  bool contiguous() const { return contiguous_; }
  double value(Index i, Index j) const { return cols_[j] ? cols_[j][i] : 1.0; }

  // pointers to row `start` of each column, the intercept's to `ones` (at least
  // as many ones as the block has rows), written to out (cols() of them)
  const double* const* row_pointers(Index start, const double* ones, const double** out) const {
    for (Index j = 0; j < cols(); ++j) out[j] = cols_[j] ? cols_[j] + start : ones;
    return out;
  }

  // the kept columns, in the order given
  Design select(const std::vector<Index>& keep) const {
    std::vector<const double*> c(keep.size());
    for (size_t k = 0; k < keep.size(); ++k) c[k] = cols_[keep[k]];
    return columns(n_, c);
  }

  // rows [start, start + len): a view of the matrix when it is contiguous in
  // memory, else the rows gathered into buf
  BlockMap block(Index start, Index len, MatrixXd& buf) const {
    const Index p = cols();
    if (contiguous_ && p > 0) return BlockMap(cols_[0] + start, len, p, Eigen::OuterStride<>(n_));
    if (buf.rows() < len || buf.cols() != p) buf.resize(std::max(len, buf.rows()), p);
    const Index ld = buf.rows();
    for (Index j = 0; j < p; ++j) {
      double* out = buf.data() + j * ld;
      const double* x = cols_[j];
      if (x) {
        for (Index i = 0; i < len; ++i) out[i] = x[start + i];
      } else {
        for (Index i = 0; i < len; ++i) out[i] = 1.0;
      }
    }
    return BlockMap(buf.data(), len, p, Eigen::OuterStride<>(ld));
  }

  // all rows as one dense matrix (a copy unless contiguous is all that is needed)
  MatrixXd materialise() const {
    MatrixXd out(n_, cols());
    for (Index j = 0; j < cols(); ++j) {
      if (cols_[j]) {
        out.col(j) = Eigen::Map<const VectorXd>(cols_[j], n_);
      } else {
        out.col(j).setOnes();
      }
    }
    return out;
  }

 private:
  Index n_;
  std::vector<const double*> cols_;
  bool contiguous_ = false;
  void update() {
    contiguous_ = !cols_.empty();
    for (size_t j = 0; j < cols_.size() && contiguous_; ++j) {
      contiguous_ = cols_[j] != nullptr && cols_[j] == cols_[0] + (Index)j * n_;
    }
  }
};

}  // namespace gradglm

#endif
