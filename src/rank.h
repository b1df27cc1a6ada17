// Rank detection: which columns of a design are aliased (linear combinations
// of earlier ones), by glm's sequential rule.
#ifndef GRADGLM_RANK_H
#define GRADGLM_RANK_H

#include "eigen.h"

#include <cstdint>
#include <vector>

#include "design.h"

namespace gradglm {

typedef Eigen::Ref<const VectorXd> VecRef;

uint64_t splitmix64(uint64_t x);

// Column j of A is aliased when the part of it orthogonal to the earlier kept
// columns has a norm of at most tol times colnorm[j] (glm's sequential rule:
// an aliased column is set aside, as glm's QR moves it to the end, and later
// columns are tested against the kept ones alone). Householder reflections
// of the kept columns, applied to the later ones; A (any number of rows, as
// sqrt(w) X or the triangle of its QR) is overwritten. A column of norm 0 is
// aliased, and so is every column once the kept ones fill A's rows.
std::vector<bool> aliased_columns(MatrixXd& A, const VectorXd& colnorm, double tol);

// Rank detection for the iterative optimizers (a QR of sqrt(w) X, or of a
// count sketch of it for large n). With leading_constant, a constant column
// is taken to come before X's (a model whose other parameters act as an
// intercept, as an ordinal model's cut-points): columns that are constant,
// or that add up to a constant with earlier ones, are then aliased.
std::vector<bool> detect_aliased(const Design& X, const VecRef& w, double tol, int threads,
                                 bool leading_constant = false);

// True when every column of a design keeps a part orthogonal to the earlier
// columns of at least `margin` of its norm, from its Gram matrix X' W X (the
// lower triangle) of positive weights. For a sample of rows: rows only add
// information, so the full design is then of full rank as well.
bool gram_clearly_full_rank(const MatrixXd& G, double margin);

// The same test, keeping what it computed: when G is clearly of full rank,
// L (lower) is the Cholesky factor of S G S, S = diag(s) scaling G to a unit
// diagonal (s = 1 / sqrt(diag(G))), so that G^-1 = S (L L')^-1 S.
bool scaled_gram_cholesky(const MatrixXd& G, double margin, MatrixXd* L, VectorXd* s);

// the positions of the columns that are not aliased
std::vector<Index> kept_columns(const std::vector<bool>& aliased);

}  // namespace gradglm

#endif
