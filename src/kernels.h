// The curvature's cross-products over a block of rows, the arithmetic that
// dominates an exact fit:
//   H += A' B   (A: len x pa, B: len x pb, column-major with leading dimensions)
// either in full or, for H = X' diag(c) X with A = diag(c) X and B = X, its
// lower triangle only. On x86-64 processors with AVX2 and FMA (checked when
// the package runs, so that the same build runs everywhere) a kernel written
// for them does the work; elsewhere Eigen's products do.
#ifndef GRADGLM_KERNELS_H
#define GRADGLM_KERNELS_H

#include "index.h"

namespace gradglm {

// H (pb x pa, leading dimension ldh) += B' A; with lower = true, A and B have
// the same columns (pa == pb) and only H's lower triangle is updated.
void add_cross_product(const double* A, Index lda, Index pa, const double* B, Index ldb, Index pb, Index len,
                       double* H, Index ldh, bool lower);

// whether the AVX2 kernel is in use (for the benchmarks' profile)
bool simd_kernels();

}  // namespace gradglm

#endif
