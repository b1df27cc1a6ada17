#include "kernels.h"

#include "eigen.h"

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GRADGLM_X86_KERNELS 1
#include <immintrin.h>
#endif

// the tiles' loops over their few columns unrolled, so that the accumulators
// stay in registers
#if defined(__clang__)
#define GRADGLM_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define GRADGLM_UNROLL _Pragma("GCC unroll 16")
#else
#define GRADGLM_UNROLL
#endif

namespace gradglm {

namespace {

typedef Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>> CStrided;
typedef Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> Strided;

void eigen_cross_product(const double* A, Index lda, Index pa, const double* B, Index ldb, Index pb, Index len,
                         double* H, Index ldh, bool lower) {
  const CStrided a(A, len, pa, Eigen::OuterStride<>(lda));
  const CStrided b(B, len, pb, Eigen::OuterStride<>(ldb));
  Strided h(H, pb, pa, Eigen::OuterStride<>(ldh));
  if (lower) {
    h.triangularView<Eigen::Lower>() += b.transpose() * a;
  } else {
    h.noalias() += b.transpose() * a;
  }
}

#ifdef GRADGLM_X86_KERNELS

// One tile of H: rows i0 .. i0 + I - 1 (columns of B), columns j0 .. j0 + J - 1
// (columns of A), summed over rows [r0, r1) four at a time in vector
// registers, the last (r1 - r0) % 4 rows one at a time; with `lower`, only
// the entries on or below H's diagonal are added.
template <int I, int J>
__attribute__((target("avx2,fma"))) inline void tile(const double* A, Index lda, const double* B, Index ldb,
                                                      Index r0, Index r1, Index i0, Index j0, double* H, Index ldh,
                                                      bool lower) {
  const double* b[I];
  const double* a[J];
  GRADGLM_UNROLL
  for (int i = 0; i < I; ++i) b[i] = B + (i0 + i) * ldb;
  GRADGLM_UNROLL
  for (int j = 0; j < J; ++j) a[j] = A + (j0 + j) * lda;
  __m256d acc[I][J];
  GRADGLM_UNROLL
  for (int i = 0; i < I; ++i) {
    GRADGLM_UNROLL
    for (int j = 0; j < J; ++j) acc[i][j] = _mm256_setzero_pd();
  }
  Index r = r0;
  for (; r + 4 <= r1; r += 4) {
    __m256d bv[I];
    GRADGLM_UNROLL
    for (int i = 0; i < I; ++i) bv[i] = _mm256_loadu_pd(b[i] + r);
    GRADGLM_UNROLL
    for (int j = 0; j < J; ++j) {
      const __m256d av = _mm256_loadu_pd(a[j] + r);
      GRADGLM_UNROLL
      for (int i = 0; i < I; ++i) acc[i][j] = _mm256_fmadd_pd(bv[i], av, acc[i][j]);
    }
  }
  double sum[I][J];
  GRADGLM_UNROLL
  for (int i = 0; i < I; ++i) {
    GRADGLM_UNROLL
    for (int j = 0; j < J; ++j) {
      const __m128d lo = _mm256_castpd256_pd128(acc[i][j]), hi = _mm256_extractf128_pd(acc[i][j], 1);
      const __m128d s2 = _mm_add_pd(lo, hi);
      sum[i][j] = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
    }
  }
  for (; r < r1; ++r) {
    for (int i = 0; i < I; ++i)
      for (int j = 0; j < J; ++j) sum[i][j] += b[i][r] * a[j][r];
  }
  for (int j = 0; j < J; ++j) {
    double* h = H + (j0 + j) * ldh + i0;
    for (int i = 0; i < I; ++i) {
      if (!lower || i0 + i >= j0 + j) h[i] += sum[i][j];
    }
  }
}

// a tile of any size up to 3 x 4 (the edges of H)
template <int I>
__attribute__((target("avx2,fma"))) inline void tile_j(int J, const double* A, Index lda, const double* B, Index ldb,
                                                        Index r0, Index r1, Index i0, Index j0, double* H, Index ldh,
                                                        bool lower) {
  switch (J) {
    case 4: tile<I, 4>(A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
    case 3: tile<I, 3>(A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
    case 2: tile<I, 2>(A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
    default: tile<I, 1>(A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
  }
}

__attribute__((target("avx2,fma"))) void avx2_cross_product(const double* A, Index lda, Index pa, const double* B,
                                                             Index ldb, Index pb, Index len, double* H, Index ldh,
                                                             bool lower) {
  // rows in panels, so that a panel of A and B stays in cache across its tiles
  const Index panel = std::max<Index>(64, std::min<Index>(len, (Index)(96 * 1024) / std::max<Index>(1, pa + pb)));
  for (Index r0 = 0; r0 < len; r0 += panel) {
    const Index r1 = std::min(len, r0 + panel);
    for (Index j0 = 0; j0 < pa; j0 += 4) {
      const int J = (int)std::min<Index>(4, pa - j0);
      // with `lower`, the tiles that reach the diagonal or below it
      for (Index i0 = lower ? j0 : 0; i0 < pb; i0 += 3) {
        switch (std::min<Index>(3, pb - i0)) {
          case 3: tile_j<3>(J, A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
          case 2: tile_j<2>(J, A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
          default: tile_j<1>(J, A, lda, B, ldb, r0, r1, i0, j0, H, ldh, lower); break;
        }
      }
    }
  }
}

bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

#endif

}  // namespace

bool simd_kernels() {
#ifdef GRADGLM_X86_KERNELS
  return cpu_has_avx2_fma();
#else
  return false;
#endif
}

void add_cross_product(const double* A, Index lda, Index pa, const double* B, Index ldb, Index pb, Index len,
                       double* H, Index ldh, bool lower) {
  if (len <= 0 || pa <= 0 || pb <= 0) return;
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_cross_product(A, lda, pa, B, ldb, pb, len, H, ldh, lower);
    return;
  }
#endif
  eigen_cross_product(A, lda, pa, B, ldb, pb, len, H, ldh, lower);
}

}  // namespace gradglm
