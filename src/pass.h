// The one fused pass over the rows, for any predictor: for each block of
// rows the predictors eta, the likelihood's loss and derivatives in them,
// and their pull-back to the parameters while the rows are still in cache.
// Threads keep their own sums, added at the end.
//
// A predictor type P provides
//   typename P::Work                       per-thread workspace
//   n(), k(), dim(), block_rows()
//   prepare(theta)                         once per pass, before the threads start
//   load(start, len, work)                 the rows [start, start + len)
//   eta(theta, work, eta)                  len x K predictors of the loaded rows
//   add_grad(R, work, grad)                grad += the pull-back of R (len x K)
//   add_curv(C, pairs, work, H)            H += the pull-back of the curvature
//   init(work)                             a fresh workspace
#ifndef GRADGLM_PASS_H
#define GRADGLM_PASS_H

#include "eigen.h"

#include <algorithm>
#include <vector>

#include "column_scan.h"
#include "design.h"
#include "likelihood.h"
#include "parallel.h"
#include "profile.h"

namespace gradglm {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// A run of consecutive rows [start, start + len): minibatches are lists of runs,
// so that a batch reads X in a few contiguous pieces and is never copied.
struct RowRun {
  Index start;
  Index len;
};

// Threads for one minibatch: its runs are shared among the threads when the
// batch's work pays for starting them (about 4 microseconds here): 2e4
// multiply-adds, counting a row's reads from scattered memory as 100 of them.
// A linear predictor's batch of 32 or 128 rows on 51 columns stays serial and
// one of 1,024 is shared; so is a network's batch of 32 rows when each row
// takes 530 multiply-adds or more. Each thread sums its own runs, so a batch's
// result depends on the thread count by rounding only.
template <class P>
int minibatch_threads(const P& pred, const std::vector<RowRun>& runs, int threads) {
  if (threads < 2 || runs.size() < 2) return 1;
  Index rows = 0;
  for (const RowRun& r : runs) rows += r.len;
  const double per_row = pred.work() / (double)std::max<Index>(1, pred.n()) + 100.0;
  return (double)rows * per_row >= 2e4 ? std::min<int>(threads, (int)runs.size()) : 1;
}

template <class P>
struct PassWork {
  typename P::Work w;
  VectorXd eta, R, C, g;
  MatrixXd h;
  double loss = 0.0;
};

// The loss (and optionally gradient and curvature) at b as sums over the rows
// (all of them, or the runs given, on up to `threads` threads)
// divided by denom. A pass over all rows writes their predictors to eta_out
// (n x K, column-major) when it is given.
template <class P>
double fused_pass(const P& pred, const Likelihood& lik, const Response& y, const double* w, const VectorXd& b,
                  VectorXd* grad, MatrixXd* H, Curv mode, const std::vector<RowRun>* runs, double denom,
                  int threads, std::vector<PassWork<P>>& work, double* eta_out = nullptr,
                  ColumnScan* scan = nullptr) {
  PhaseTimer timer(pass_phase(runs != nullptr, H != nullptr, grad != nullptr));
  const Index n = pred.n(), d = pred.dim(), K = pred.k();
  const Index npairs = (Index)lik.pairs().size();
  Index B = pred.block_rows();
  if (runs) {
    for (const RowRun& r : *runs) B = std::max(B, r.len);
  }
  // (a likelihood that calls R runs on the calling thread alone)
  const int T = lik.calls_r() ? 1 : runs ? minibatch_threads(pred, *runs, threads) : threads;
  pred.prepare(b);
  if ((int)work.size() < T) work.resize(T);
  for (int t = 0; t < T; ++t) {
    PassWork<P>& tw = work[t];
    tw.loss = 0.0;
    if (tw.eta.size() < B * K) tw.eta.resize(B * K);
    if (grad) {
      if (tw.R.size() < B * K) tw.R.resize(B * K);
      tw.g.setZero(d);
    }
    if (H) {
      if (tw.C.size() < B * npairs) tw.C.resize(B * npairs);
      tw.h.setZero(d, d);
    }
  }
  if (runs && lik.calls_r() && K == 1 && y.m == 1 && runs->size() > 1) {
    // a minibatch of a likelihood that calls R: the runs' rows gathered into
    // one block, so that R is called once per batch rather than once per run
    PassWork<P>& tw = work[0];
    Index total = 0;
    for (const RowRun& r : *runs) total += r.len;
    std::vector<double> eta(total), yy(total), ww(total), R(grad ? total : 0), C(H ? total * npairs : 0);
    Index at = 0;
    for (const RowRun& r : *runs) {
      pred.load(r.start, r.len, tw.w);
      pred.eta(b, tw.w, eta.data() + at);
      for (Index k = 0; k < r.len; ++k) yy[at + k] = y.at(r.start + k, 0);
      std::copy(w + r.start, w + r.start + r.len, ww.data() + at);
      at += r.len;
    }
    const Response yb{yy.data(), total, 1};
    const RowBlock rb{0, total, eta.data(), ww.data()};
    tw.loss = lik.eval_block(yb, rb, grad ? R.data() : nullptr, H ? C.data() : nullptr, mode);
    lik.check_r_calls();
    if (grad || H) {
      at = 0;
      std::vector<double> Cr;
      for (const RowRun& r : *runs) {
        // (again: a network's pull-back needs the forward pass of these rows in its workspace)
        pred.load(r.start, r.len, tw.w);
        pred.eta(b, tw.w, tw.eta.data());
        if (grad) pred.add_grad(R.data() + at, tw.w, tw.g);
        if (H) {
          // (a run's curvature: its rows of each pair's column)
          Cr.resize(r.len * npairs);
          for (Index q = 0; q < npairs; ++q)
            std::copy(C.data() + q * total + at, C.data() + q * total + at + r.len, Cr.data() + q * r.len);
          pred.add_curv(Cr.data(), lik.pairs(), tw.w, tw.h);
        }
        at += r.len;
      }
    }
  } else {
    auto body = [&](int t, long start, long len) {
      PassWork<P>& tw = work[t];
      pred.load(start, len, tw.w);
      pred.eta(b, tw.w, tw.eta.data());
      if (eta_out && !runs) {
        for (Index k = 0; k < K; ++k) std::copy(tw.eta.data() + k * len, tw.eta.data() + (k + 1) * len, eta_out + k * n + start);
      }
      const RowBlock rb{(Index)start, (Index)len, tw.eta.data(), w + start};
      tw.loss += lik.eval_block(y, rb, grad ? tw.R.data() : nullptr, H ? tw.C.data() : nullptr, mode);
      if (grad) pred.add_grad(tw.R.data(), tw.w, tw.g);
      if (H) pred.add_curv(tw.C.data(), lik.pairs(), tw.w, tw.h);
      // (the block's columns while they are in cache)
      if (scan) scan->block(t, start, len);
    };
    if (runs) scan = nullptr;  // (only a pass over all rows sees every value)
    if (scan) scan->prepare(T);
    // a curvature build of a wide design runs in rounds of rows, R's
    // interrupt looked at between them
    if (!runs && H && !lik.calls_r()) {
      for_blocks_checked((long)n, (long)B, T, (double)d * (double)d, [] { Rcpp::checkUserInterrupt(); }, body);
    } else {
      for_runs_or_blocks(runs, (long)n, (long)B, T, body);
    }
    if (scan) scan->finish(T);
    lik.check_r_calls();
  }
  double total = 0.0;
  for (int t = 0; t < T; ++t) total += work[t].loss;
  if (grad) {
    *grad = work[0].g;
    for (int t = 1; t < T; ++t) *grad += work[t].g;
    *grad /= denom;
  }
  if (H) {
    *H = work[0].h;
    for (int t = 1; t < T; ++t) *H += work[t].h;
    *H /= denom;
    H->template triangularView<Eigen::StrictlyUpper>() = H->transpose();
  }
  return total / denom;
}

// The predictors of every row at theta, block by block, into out (n x K,
// column-major)
template <class P>
void eta_all_rows(const P& pred, const VectorXd& theta, double* out) {
  typedef Eigen::Map<VectorXd> VMap;
  typedef Eigen::Map<const VectorXd> CVMap;
  pred.prepare(theta);
  typename P::Work w;
  pred.init(w);
  const Index n = pred.n(), B = pred.block_rows(), K = pred.k();
  VectorXd buf;
  for (Index s = 0; s < n; s += B) {
    const Index len = std::min(B, n - s);
    pred.load(s, len, w);
    buf.resize(len * K);
    pred.eta(theta, w, buf.data());
    for (Index k = 0; k < K; ++k) VMap(out + k * n + s, len) = CVMap(buf.data() + k * len, len);
  }
}

}  // namespace gradglm

#endif
