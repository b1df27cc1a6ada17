// The linear predictor: K predictors per row from blocks of coefficients.
// Block b reads design d(b) (n x p_b) and gives m_b consecutive predictors,
//   eta[, first_b + c] = X_d(b) B_b[, c] + offset_(first_b + c),   c = 0 .. m_b - 1,
// with the p_b x m_b coefficient matrix B_b stored column by column in theta
// from position offset_b. Blocks may share a design: the m_b outputs of a
// shared design cost one matrix product (multinomial: eta = X B). Blocks
// cover the predictors in order (block 0 gives the first ones), so a
// predictor's coefficients come after those of every earlier predictor.
//
// Work is done by blocks of rows, so that the rows of each design are still
// in cache for the gradient X' R and the curvature X_a' W_ab X_b that follow
// the likelihood's evaluation in the same pass.
#ifndef GRADGLM_PREDICTOR_H
#define GRADGLM_PREDICTOR_H

#include "eigen.h"

#include <utility>
#include <vector>

#include "design.h"

namespace gradglm {

struct PredBlock {
  int design;    // index of its design
  int first;     // its first predictor
  int m;         // number of predictors it gives
  Index offset;  // position of its first coefficient in theta
};

class LinearPredictor {
 public:
  // offsets: one per predictor, nullptr where there is none
  LinearPredictor(const std::vector<Design>& designs, const std::vector<std::pair<int, int>>& blocks,
                  const std::vector<const double*>& offsets);

  int k() const { return K_; }
  Index n() const { return n_; }
  Index dim() const { return dim_; }
  int ndesigns() const { return (int)designs_.size(); }
  int nblocks() const { return (int)blocks_.size(); }
  const Design& design(int d) const { return designs_[d]; }
  const PredBlock& block(int b) const { return blocks_[b]; }
  int block_of(int k) const { return block_of_[k]; }
  const double* offset(int k) const { return offsets_[k]; }
  // rows processed together: about 256 KiB of the designs per block
  Index block_rows() const { return block_rows_; }
  // multiply-adds of one eta (or one gradient) over all rows
  double work() const { return work_; }

  // per-thread workspace: the rows of each design in the current block, as
  // pointers to each column's first row of the block (the intercept's column
  // of ones in `ones`), read where they lie; and as a matrix (a view of a
  // contiguous design, else the rows gathered into buf) for the designs of
  // blocks of several predictors, whose products are Eigen's
  struct Work {
    Index start = 0, len = 0;
    std::vector<MatrixXd> buf;
    std::vector<const double*> ptr;
    std::vector<Index> ld;
    std::vector<std::vector<const double*>> cols;
    std::vector<double> ones;
    std::vector<const double*> scratch_cols;
    MatrixXd scratch;
    BlockMap view(int d, Index p) const { return BlockMap(ptr[d], len, p, Eigen::OuterStride<>(ld[d])); }
  };
  void init(Work& w) const;
  // makes the rows [start, start + len) of every design available in w
  void load(Index start, Index len, Work& w) const;
  // eta (len x K, column-major) of the loaded rows
  void eta(const VectorXd& theta, const Work& w, double* eta) const;
  // grad += the pull-back of R (len x K): for each block, X' R[, its predictors]
  void add_grad(const double* R, Work& w, VectorXd& grad) const;
  // H (lower triangle) += sum over the pairs (k, l) of X_k' diag(C[, q]) X_l
  void add_curv(const double* C, const std::vector<std::pair<int, int>>& pairs, Work& w, MatrixXd& H) const;
  // eta of every row, into out (n x K, column-major)
  void eta_all(const VectorXd& theta, double* out) const;
  // the fused pass's hook before its threads start (src/pass.h): nothing to prepare
  void prepare(const VectorXd& theta) const { (void)theta; }

 private:
  std::vector<Design> designs_;
  std::vector<PredBlock> blocks_;
  std::vector<const double*> offsets_;
  std::vector<int> block_of_;
  std::vector<bool> matrix_needed_;  // per design: a block of several predictors uses it
  int K_;
  Index n_, dim_, block_rows_;
  double work_;
};

}  // namespace gradglm

#endif
