// Row-block loops, run on up to `threads` OpenMP threads when the package is
// built with OpenMP (guarded by _OPENMP). The body must not call R.
#ifndef GRADGLM_PARALLEL_H
#define GRADGLM_PARALLEL_H

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <vector>

namespace gradglm {

inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// Number of threads worth using for n rows: small problems stay serial.
inline int threads_for(long n, int requested) {
  if (requested < 1 || n < 20000) return 1;
#ifdef _OPENMP
  return std::min(requested, omp_get_num_procs());
#else
  return 1;
#endif
}

// Calls body(thread, start, len) for consecutive blocks of B rows covering [0, n).
template <typename Body>
void for_blocks(long n, long B, int threads, Body body) {
  const long nblocks = (n + B - 1) / B;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
#endif
  for (long b = 0; b < nblocks; ++b) {
    const long start = b * B;
    body(thread_id(), start, std::min(B, n - start));
  }
  (void)threads;
}

// for_blocks() over [0, n) in rounds of rows of about 2e9 units of work
// (`row_work` a row), check() called between rounds on the calling thread,
// outside the parallel region (R's interrupt: it may throw). Work below two
// rounds is one for_blocks().
template <typename Check, typename Body>
void for_blocks_checked(long n, long B, int threads, double row_work, Check check, Body body) {
  const long unit = B * (threads > 1 ? threads : 1);
  if (!(row_work > 0.0) || (double)n * row_work <= 4e9) {
    for_blocks(n, B, threads, body);
    return;
  }
  const long per = std::max(unit, (long)(2e9 / row_work) / unit * unit);
  for (long r0 = 0; r0 < n; r0 += per) {
    const long len = std::min(per, n - r0);
    for_blocks(len, B, threads, [&](int t, long start, long l) { body(t, r0 + start, l); });
    check();
  }
}

// The sum of body(start, len) over consecutive blocks of B rows covering
// [0, n), on up to `threads` threads.
template <typename Body>
double sum_blocks(long n, long B, int threads, Body body) {
  const long nblocks = (n + B - 1) / B;
  double total = 0.0;
#ifdef _OPENMP
#pragma omp parallel for reduction(+ : total) schedule(static) num_threads(threads) if (threads > 1)
#endif
  for (long b = 0; b < nblocks; ++b) {
    const long start = b * B;
    total += body(start, std::min(B, n - start));
  }
  (void)threads;
  return total;
}

// Calls body(thread, start, len) for each run of rows in `runs` (a minibatch:
// in the order given, on one thread, or shared among `threads` threads in
// consecutive shares) or, when runs is null, for blocks of B rows covering
// [0, n) as for_blocks does.
template <typename Run, typename Body>
void for_runs_or_blocks(const std::vector<Run>* runs, long n, long B, int threads, Body body) {
  if (runs && threads > 1) {
    const long nr = (long)runs->size();
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (long i = 0; i < nr; ++i) body(thread_id(), (long)(*runs)[i].start, (long)(*runs)[i].len);
  } else if (runs) {
    for (const Run& r : *runs) body(0, (long)r.start, (long)r.len);
  } else {
    for_blocks(n, B, threads, body);
  }
}

}  // namespace gradglm

#endif
