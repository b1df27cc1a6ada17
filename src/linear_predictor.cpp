#include "predictor.h"

#include "pass.h"
#include "kernels.h"

#include <algorithm>
#include <stdexcept>

namespace gradglm {

typedef Eigen::Map<const MatrixXd> CMap;
typedef Eigen::Map<MatrixXd> MMap;
typedef Eigen::Map<const VectorXd> CVMap;
typedef Eigen::Map<VectorXd> VMap;

LinearPredictor::LinearPredictor(const std::vector<Design>& designs,
                                 const std::vector<std::pair<int, int>>& blocks,
                                 const std::vector<const double*>& offsets)
    : designs_(designs), offsets_(offsets) {
  if (designs_.empty() || blocks.empty()) throw std::invalid_argument("a model needs a design and a block");
  n_ = designs_[0].rows();
  for (const Design& d : designs_) {
    if (d.rows() != n_) throw std::invalid_argument("the designs have different numbers of rows");
  }
  int first = 0;
  Index offset = 0;
  Index width = 0;
  work_ = 0.0;
  for (const auto& b : blocks) {
    if (b.first < 0 || b.first >= (int)designs_.size() || b.second < 1) {
      throw std::invalid_argument("a block refers to a design that does not exist or gives no predictor");
    }
    PredBlock pb{b.first, first, b.second, offset};
    blocks_.push_back(pb);
    for (int c = 0; c < b.second; ++c) block_of_.push_back((int)blocks_.size() - 1);
    const Index p = designs_[b.first].cols();
    offset += p * b.second;
    first += b.second;
    work_ += double(n_) * double(p * b.second);
  }
  K_ = first;
  dim_ = offset;
  matrix_needed_.assign(designs_.size(), false);
  for (const PredBlock& b : blocks_) {
    if (b.m > 1) matrix_needed_[b.design] = true;
  }
  for (const Design& d : designs_) width += d.cols();
  offsets_.resize(K_, nullptr);
  // (at least 256 rows: a wide design's curvature adds a large p x p matrix per block;
  // at most the rows there are: a pass's buffers are a block long, and a small
  // fit's passes are one block either way)
  block_rows_ = std::min<Index>(std::max<Index>(256, (Index)32768 / std::max<Index>(1, width)),
                                std::max<Index>(1, n_));
}

void LinearPredictor::init(Work& w) const {
  w.buf.resize(designs_.size());
  w.ptr.assign(designs_.size(), nullptr);
  w.ld.assign(designs_.size(), 0);
  w.cols.resize(designs_.size());
  for (size_t d = 0; d < designs_.size(); ++d) w.cols[d].assign(designs_[d].cols(), nullptr);
}

void LinearPredictor::load(Index start, Index len, Work& w) const {
  if (w.buf.size() != designs_.size()) init(w);
  w.start = start;
  w.len = len;
  if ((Index)w.ones.size() < len) w.ones.assign(len, 1.0);
  for (size_t d = 0; d < designs_.size(); ++d) {
    const Design& D = designs_[d];
    D.row_pointers(start, w.ones.data(), w.cols[d].data());
    if (D.contiguous() || matrix_needed_[d]) {
      const BlockMap X = D.block(start, len, w.buf[d]);
      w.ptr[d] = X.data();
      w.ld[d] = X.outerStride();
    } else {
      w.ptr[d] = nullptr;  // (read through the column pointers only)
      w.ld[d] = 0;
    }
  }
}

void LinearPredictor::eta(const VectorXd& theta, const Work& w, double* eta) const {
  const Index len = w.len;
  for (const PredBlock& b : blocks_) {
    const Index p = designs_[b.design].cols();
    if (p == 0) {  // a block without columns (an ordinal model with no predictor): its offset alone
      MMap(eta + (Index)b.first * len, len, b.m).setZero();
    } else if (b.m == 1) {
      matrix_vector_cols(w.cols[b.design].data(), len, p, theta.data() + b.offset, eta + (Index)b.first * len);
    } else {
      const BlockMap X = w.view(b.design, p);
      MMap out(eta + (Index)b.first * len, len, b.m);
      out.noalias() = X * CMap(theta.data() + b.offset, p, b.m);
    }
    for (int c = 0; c < b.m; ++c) {
      const double* off = offsets_[b.first + c];
      if (off) VMap(eta + (Index)(b.first + c) * len, len) += CVMap(off + w.start, len);
    }
  }
}

void LinearPredictor::add_grad(const double* R, Work& w, VectorXd& grad) const {
  const Index len = w.len;
  for (const PredBlock& b : blocks_) {
    const Index p = designs_[b.design].cols();
    if (p == 0) continue;
    if (b.m == 1) {
      add_transposed_product_cols(w.cols[b.design].data(), len, p, R + (Index)b.first * len, grad.data() + b.offset);
    } else {
      const BlockMap X = w.view(b.design, p);
      MMap(grad.data() + b.offset, p, b.m).noalias() += X.transpose() * CMap(R + (Index)b.first * len, len, b.m);
    }
  }
}

// Each pair (k, l), k <= l, adds X_a' diag(c) X_b to the block of H whose
// rows are predictor l's coefficients and whose columns are predictor k's:
// on or below the diagonal, since l's coefficients come after k's (a
// diagonal block: its lower triangle only).
void LinearPredictor::add_curv(const double* C, const std::vector<std::pair<int, int>>& pairs, Work& w,
                               MatrixXd& H) const {
  const Index len = w.len;
  for (size_t q = 0; q < pairs.size(); ++q) {
    const int k = pairs[q].first, l = pairs[q].second;
    const CVMap c(C + (Index)q * len, len);
    const PredBlock& bk = blocks_[block_of_[k]];
    const PredBlock& bl = blocks_[block_of_[l]];
    const Index pk = designs_[bk.design].cols(), pl = designs_[bl.design].cols();
    if (pk == 0 || pl == 0) continue;
    if (k != l && (c.array() == 0.0).all()) continue;
    const Index ck = bk.offset + (k - bk.first) * pk, cl = bl.offset + (l - bl.first) * pl;
    w.scratch.resize(len, pk);
    scale_rows_cols(C + (Index)q * len, w.cols[bk.design].data(), len, pk, w.scratch.data());
    add_cross_product_cols(column_pointers(w.scratch.data(), len, pk, w.scratch_cols), pk, w.cols[bl.design].data(), pl, len,
                           H.data() + ck * H.rows() + cl, H.rows(), k == l);
  }
}

void LinearPredictor::eta_all(const VectorXd& theta, double* out) const { eta_all_rows(*this, theta, out); }

}  // namespace gradglm
