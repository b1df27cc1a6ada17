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
  for (const Design& d : designs_) width += d.cols();
  offsets_.resize(K_, nullptr);
  // (at least 256 rows: a wide design's curvature adds a large p x p matrix per block)
  block_rows_ = std::max<Index>(256, (Index)32768 / std::max<Index>(1, width));
}

void LinearPredictor::init(Work& w) const {
  w.buf.resize(designs_.size());
  w.ptr.assign(designs_.size(), nullptr);
  w.ld.assign(designs_.size(), 0);
}

void LinearPredictor::load(Index start, Index len, Work& w) const {
  if (w.buf.size() != designs_.size()) init(w);
  w.start = start;
  w.len = len;
  for (size_t d = 0; d < designs_.size(); ++d) {
    const BlockMap X = designs_[d].block(start, len, w.buf[d]);
    w.ptr[d] = X.data();
    w.ld[d] = X.outerStride();
  }
}

void LinearPredictor::eta(const VectorXd& theta, const Work& w, double* eta) const {
  const Index len = w.len;
  for (const PredBlock& b : blocks_) {
    const Index p = designs_[b.design].cols();
    if (p == 0) {  // a block without columns (an ordinal model with no predictor): its offset alone
      MMap(eta + (Index)b.first * len, len, b.m).setZero();
    } else if (b.m == 1) {
      const BlockMap X = w.view(b.design, p);
      matrix_vector(X.data(), X.outerStride(), len, p, theta.data() + b.offset, eta + (Index)b.first * len);
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
    const BlockMap X = w.view(b.design, p);
    if (b.m == 1) {
      add_transposed_product(X.data(), X.outerStride(), len, p, R + (Index)b.first * len, grad.data() + b.offset);
    } else {
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
    const BlockMap Xk = w.view(bk.design, pk);
    const BlockMap Xl = w.view(bl.design, pl);
    w.scratch.resize(len, pk);
    scale_rows(C + (Index)q * len, Xk.data(), Xk.outerStride(), len, pk, w.scratch.data());
    add_cross_product(w.scratch.data(), len, pk, Xl.data(), Xl.outerStride(), pl, len, H.data() + ck * H.rows() + cl,
                      H.rows(), k == l);
  }
}

void LinearPredictor::eta_all(const VectorXd& theta, double* out) const { eta_all_rows(*this, theta, out); }

}  // namespace gradglm
