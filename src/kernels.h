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

#include <vector>

namespace gradglm {

// H (pb x pa, leading dimension ldh) += B' A; with lower = true, A and B have
// the same columns (pa == pb) and only H's lower triangle is updated.
void add_cross_product(const double* A, Index lda, Index pa, const double* B, Index ldb, Index pb, Index len,
                       double* H, Index ldh, bool lower);

// out = diag(c) X (X: len x p, leading dimension ldx; out: len x p, leading dimension len)
void scale_rows(const double* c, const double* X, Index ldx, Index len, Index p, double* out);

// out = X b and g += X' r for a block of rows (X: len x p, leading dimension ldx)
void matrix_vector(const double* X, Index ldx, Index len, Index p, const double* b, double* out);
void add_transposed_product(const double* X, Index ldx, Index len, Index p, const double* r, double* g);

// The same with the columns given by pointers to the block's first row of
// each (X[j][r] is row r of column j): columns that lie apart in memory (a
// data frame's variables) are read where they are, without gathering the
// block into a matrix first.
void scale_rows_cols(const double* c, const double* const* X, Index len, Index p, double* out);
void matrix_vector_cols(const double* const* X, Index len, Index p, const double* b, double* out);
void add_transposed_product_cols(const double* const* X, Index len, Index p, const double* r, double* g);
void add_cross_product_cols(const double* const* A, Index pa, const double* const* B, Index pb, Index len, double* H,
                            Index ldh, bool lower);

// pointers to the p columns of X (leading dimension ld), written to buf (resized
// to p); returns buf.data()
const double* const* column_pointers(const double* X, Index ld, Index p, std::vector<const double*>& buf);

// A column's values x[0..n) added to its range: bad + x * 0 summed (NaN once
// some value is not finite, else 0) and max_abs the largest |x| so far
void column_range(const double* x, Index n, double& bad, double& max_abs);

// whether the AVX2 kernel is in use (for the benchmarks' profile)
bool simd_kernels();

// The logistic regression's rows of a block (binomial, logit link): the sum
// of w_i times the unit loss (the deviance / 2, its saturated part included),
// and grad_i = w_i (mu_i - y_i), curv_i = w_i mu_i (1 - mu_i) when they are
// not null, in vector registers (exp and log1p to within a few units in the
// last place). Returns false, having done nothing, where the kernel is not
// available or some eta is not finite (the caller's row-by-row code then runs).
bool logistic_block(const double* y, const double* eta, const double* w, Index len, double* grad, double* curv,
                    double& loss);

// The Poisson rows with the log link (as the row-by-row code writes them:
// the unit loss in the form that keeps its digits for large counts), in
// vector registers, the same contract; false, having done nothing, where the
// kernel is not available or some eta or y is out of its range.
bool poisson_log_block(const double* y, const double* eta, const double* w, Index len, double* grad, double* curv,
                       double& loss);

}  // namespace gradglm

#endif
