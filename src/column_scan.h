// The columns' ranges that R's checks of a design read (R/checks.R).
#ifndef GRADGLM_COLUMN_SCAN_H
#define GRADGLM_COLUMN_SCAN_H

#include <algorithm>
#include <vector>

#include "design.h"
#include "kernels.h"
#include "parallel.h"

namespace gradglm {

// The ranges of every column of some designs: 1 when all values are finite,
// else 0, and the largest absolute value. Taken during a fit's pass that reads
// the rows anyway (src/pass.h), so that checking the columns costs no read of
// its own, or by a pass of its own (run(): column_ranges() in src/checks.cpp).
// A null column (the intercept's ones) is (1, 1).
class ColumnScan {
 public:
  explicit ColumnScan(const std::vector<Design>& designs) {
    for (const Design& d : designs)
      for (Index j = 0; j < d.cols(); ++j) cols_.push_back(d.col(j));
  }
  bool done() const { return done_; }
  // per-thread sums for a pass on T threads
  void prepare(int T) { part_.assign((size_t)T * 2 * cols_.size(), 0.0); }
  // rows [start, start + len), on thread t
  void block(int t, Index start, Index len) {
    double* o = part_.data() + (size_t)t * 2 * cols_.size();
    for (size_t j = 0; j < cols_.size(); ++j) {
      if (cols_[j]) column_range(cols_[j] + start, len, o[2 * j], o[2 * j + 1]);
    }
  }
  // the threads' sums merged: 2 values per column
  void finish(int T) {
    const size_t m = cols_.size();
    ranges_.assign(2 * m, 1.0);
    for (size_t j = 0; j < m; ++j) {
      if (!cols_[j]) continue;
      double bad = 0.0, mx = 0.0;
      for (int t = 0; t < T; ++t) {
        const double* o = part_.data() + ((size_t)t * m + j) * 2;
        bad += o[0];
        mx = std::max(mx, o[1]);
      }
      ranges_[2 * j] = bad == 0.0 ? 1.0 : 0.0;
      ranges_[2 * j + 1] = mx;
    }
    done_ = true;
  }
  // a pass of its own over rows [0, n), when no pass read them
  void run(Index n, int threads) {
    const int T = threads_for((long)n, threads);
    prepare(T);
    for_blocks((long)n, 4096L, T, [&](int t, long start, long len) { block(t, start, len); });
    finish(T);
  }
  const std::vector<double>& ranges() const { return ranges_; }

 private:
  std::vector<const double*> cols_;
  std::vector<double> part_, ranges_;
  bool done_ = false;
};

}  // namespace gradglm

#endif
