// R's interrupt (Ctrl-C) seen from code that R must not be jumped out of: C
// libraries' callbacks and OpenMP parallel regions.
#ifndef GRADGLM_INTERRUPTS_H
#define GRADGLM_INTERRUPTS_H

#include <Rcpp.h>
#include <R_ext/Utils.h>

#include <atomic>
#include <chrono>

#include "parallel.h"

namespace gradglm {

namespace interrupt_detail {
inline void check_fn(void*) { R_CheckUserInterrupt(); }
}  // namespace interrupt_detail

// True when the user has interrupted: R_CheckUserInterrupt() runs in a top
// level context of its own, which returns here instead of jumping over the
// caller. R's thread only.
inline bool interrupt_pending() { return !R_ToplevelExec(interrupt_detail::check_fn, nullptr); }

// An interrupt shared by the threads of a parallel region started on R's
// thread: that thread (the region's thread 0) asks R at most every 0.1 s;
// the others read its answer. Work that sees requested() stops early, and the
// caller, after the region, throws R's interrupt with rethrow().
class Interrupts {
 public:
  bool requested() {
    if (hit_.load(std::memory_order_relaxed)) return true;
    if (thread_id() != 0) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return false;
    last_ = now;
    if (interrupt_pending()) hit_.store(true);
    return hit_.load(std::memory_order_relaxed);
  }
  // the answer so far, without asking R (any thread, anywhere)
  bool seen() const { return hit_.load(std::memory_order_relaxed); }
  void rethrow() const {
    if (hit_.load()) throw Rcpp::internal::InterruptedException();
  }

 private:
  std::atomic<bool> hit_{false};
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace gradglm

#endif
