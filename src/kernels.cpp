#include "kernels.h"

#include "eigen.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

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
// a polynomial's loop over its (up to 32) coefficients unrolled, so that they
// are constants and the loop costs nothing
#if defined(__clang__)
#define GRADGLM_UNROLL_POLY _Pragma("unroll")
#elif defined(__GNUC__)
#define GRADGLM_UNROLL_POLY _Pragma("GCC unroll 32")
#else
#define GRADGLM_UNROLL_POLY
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
// (columns of A; both given by pointers to their columns' first rows), summed
// over rows [r0, r1) four at a time in vector
// registers, the last (r1 - r0) % 4 rows one at a time; with `lower`, only
// the entries on or below H's diagonal are added.
template <int I, int J>
__attribute__((target("avx2,fma"))) inline void tile(const double* const* A, const double* const* B, Index r0,
                                                      Index r1, Index i0, Index j0, double* H, Index ldh, bool lower) {
  const double* b[I];
  const double* a[J];
  GRADGLM_UNROLL
  for (int i = 0; i < I; ++i) b[i] = B[i0 + i];
  GRADGLM_UNROLL
  for (int j = 0; j < J; ++j) a[j] = A[j0 + j];
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
__attribute__((target("avx2,fma"))) inline void tile_j(int J, const double* const* A, const double* const* B,
                                                        Index r0, Index r1, Index i0, Index j0, double* H, Index ldh,
                                                        bool lower) {
  switch (J) {
    case 4: tile<I, 4>(A, B, r0, r1, i0, j0, H, ldh, lower); break;
    case 3: tile<I, 3>(A, B, r0, r1, i0, j0, H, ldh, lower); break;
    case 2: tile<I, 2>(A, B, r0, r1, i0, j0, H, ldh, lower); break;
    default: tile<I, 1>(A, B, r0, r1, i0, j0, H, ldh, lower); break;
  }
}

// Wide matrices: the BLAS way. A panel of kKC rows of A and of B is packed
// into buffers, kPackI columns of B (kPackJ of A) side by side, row by row,
// so that the micro-kernel reads both contiguously; it keeps an 8 x 6 tile of
// H in twelve vector registers over the whole panel (outer products: two
// vectors of B's row times each of A's six values), with no horizontal sums.
// The packing is zero-padded past the last column; only H's own entries (on or
// below the diagonal with `lower`) are added.
constexpr int kPackI = 8, kPackJ = 6;
constexpr Index kKC = 96;
// (narrower matrices keep the dot-product tiles below: measured faster up to about 200
// columns, where the panels of those tiles still fit in the core's cache)
constexpr Index kPackedMin = 256;

template <int W>
inline void pack_panel(const double* const* M, Index r0, Index kc, Index c0, Index w, double* dst) {
  for (Index c = 0; c < W; ++c) {
    if (c < w) {
      const double* src = M[c0 + c] + r0;
      for (Index r = 0; r < kc; ++r) dst[r * W + c] = src[r];
    } else {
      for (Index r = 0; r < kc; ++r) dst[r * W + c] = 0.0;
    }
  }
}

__attribute__((target("avx2,fma"))) inline void micro_tile(const double* bp, const double* ap, Index kc,
                                                            double* out) {
  __m256d c0[kPackJ], c1[kPackJ];
  GRADGLM_UNROLL
  for (int j = 0; j < kPackJ; ++j) c0[j] = c1[j] = _mm256_setzero_pd();
  for (Index r = 0; r < kc; ++r) {
    const __m256d b0 = _mm256_loadu_pd(bp + r * kPackI), b1 = _mm256_loadu_pd(bp + r * kPackI + 4);
    GRADGLM_UNROLL
    for (int j = 0; j < kPackJ; ++j) {
      const __m256d a = _mm256_broadcast_sd(ap + r * kPackJ + j);
      c0[j] = _mm256_fmadd_pd(b0, a, c0[j]);
      c1[j] = _mm256_fmadd_pd(b1, a, c1[j]);
    }
  }
  GRADGLM_UNROLL
  for (int j = 0; j < kPackJ; ++j) {
    _mm256_storeu_pd(out + j * kPackI, c0[j]);
    _mm256_storeu_pd(out + j * kPackI + 4, c1[j]);
  }
}

__attribute__((target("avx2,fma"))) void avx2_cross_product_packed(const double* const* A, Index pa,
                                                                    const double* const* B, Index pb, Index len,
                                                                    double* H, Index ldh, bool lower) {
  thread_local std::vector<double> apack, bpack;
  const Index nbj = (pa + kPackJ - 1) / kPackJ, nbi = (pb + kPackI - 1) / kPackI;
  double tile_out[kPackI * kPackJ];
  for (Index r0 = 0; r0 < len; r0 += kKC) {
    const Index kc = std::min(kKC, len - r0);
    apack.resize((size_t)(nbj * kc * kPackJ));
    bpack.resize((size_t)(nbi * kc * kPackI));
    for (Index jb = 0; jb < nbj; ++jb)
      pack_panel<kPackJ>(A, r0, kc, jb * kPackJ, std::min<Index>(kPackJ, pa - jb * kPackJ),
                         apack.data() + jb * kc * kPackJ);
    for (Index ib = 0; ib < nbi; ++ib)
      pack_panel<kPackI>(B, r0, kc, ib * kPackI, std::min<Index>(kPackI, pb - ib * kPackI),
                         bpack.data() + ib * kc * kPackI);
    for (Index ib = 0; ib < nbi; ++ib) {
      const Index i0 = ib * kPackI, wi = std::min<Index>(kPackI, pb - i0);
      for (Index jb = 0; jb < nbj; ++jb) {
        const Index j0 = jb * kPackJ, wj = std::min<Index>(kPackJ, pa - j0);
        if (lower && j0 > i0 + wi - 1) break;  // this tile and those after it: above the diagonal
        micro_tile(bpack.data() + ib * kc * kPackI, apack.data() + jb * kc * kPackJ, kc, tile_out);
        if (wi == kPackI && wj == kPackJ && (!lower || i0 >= j0 + kPackJ - 1)) {
          GRADGLM_UNROLL
          for (int j = 0; j < kPackJ; ++j) {
            double* h = H + (j0 + j) * ldh + i0;
            _mm256_storeu_pd(h, _mm256_add_pd(_mm256_loadu_pd(h), _mm256_loadu_pd(tile_out + j * kPackI)));
            _mm256_storeu_pd(h + 4, _mm256_add_pd(_mm256_loadu_pd(h + 4), _mm256_loadu_pd(tile_out + j * kPackI + 4)));
          }
        } else {
          for (Index j = 0; j < wj; ++j) {
            double* h = H + (j0 + j) * ldh + i0;
            for (Index i = 0; i < wi; ++i) {
              if (!lower || i0 + i >= j0 + j) h[i] += tile_out[j * kPackI + i];
            }
          }
        }
      }
    }
  }
}

__attribute__((target("avx2,fma"))) void avx2_cross_product(const double* const* A, Index pa,
                                                             const double* const* B, Index pb, Index len, double* H,
                                                             Index ldh, bool lower) {
  if (pa >= kPackedMin && pb >= kPackedMin && len >= 16) {
    avx2_cross_product_packed(A, pa, B, pb, len, H, ldh, lower);
    return;
  }
  // rows in panels, so that a panel of A and B stays in cache across its tiles
  const Index panel = std::max<Index>(64, std::min<Index>(len, (Index)(96 * 1024) / std::max<Index>(1, pa + pb)));
  for (Index r0 = 0; r0 < len; r0 += panel) {
    const Index r1 = std::min(len, r0 + panel);
    for (Index j0 = 0; j0 < pa; j0 += 4) {
      const int J = (int)std::min<Index>(4, pa - j0);
      // with `lower`, the tiles that reach the diagonal or below it
      for (Index i0 = lower ? j0 : 0; i0 < pb; i0 += 3) {
        switch (std::min<Index>(3, pb - i0)) {
          case 3: tile_j<3>(J, A, B, r0, r1, i0, j0, H, ldh, lower); break;
          case 2: tile_j<2>(J, A, B, r0, r1, i0, j0, H, ldh, lower); break;
          default: tile_j<1>(J, A, B, r0, r1, i0, j0, H, ldh, lower); break;
        }
      }
    }
  }
}

// out = X b: eight columns at a time added into the rows' sums
__attribute__((target("avx2,fma"))) void avx2_matrix_vector(const double* const* X, Index len, Index p,
                                                             const double* b, double* out) {
  for (Index r = 0; r < len; ++r) out[r] = 0.0;
  Index j = 0;
  for (; j + 8 <= p; j += 8) {
    const double* x[8];
    __m256d bj[8];
    GRADGLM_UNROLL
    for (int k = 0; k < 8; ++k) {
      x[k] = X[j + k];
      bj[k] = _mm256_set1_pd(b[j + k]);
    }
    Index r = 0;
    for (; r + 4 <= len; r += 4) {
      __m256d acc = _mm256_loadu_pd(out + r);
      GRADGLM_UNROLL
      for (int k = 0; k < 8; ++k) acc = _mm256_fmadd_pd(_mm256_loadu_pd(x[k] + r), bj[k], acc);
      _mm256_storeu_pd(out + r, acc);
    }
    for (; r < len; ++r) {
      double s = out[r];
      for (int k = 0; k < 8; ++k) s += x[k][r] * b[j + k];
      out[r] = s;
    }
  }
  for (; j < p; ++j) {
    const double* x = X[j];
    const double bj = b[j];
    for (Index r = 0; r < len; ++r) out[r] += x[r] * bj;
  }
}

// out = diag(c) X, a column at a time
__attribute__((target("avx2,fma"))) void avx2_scale_rows(const double* c, const double* const* X, Index len,
                                                          Index p, double* out) {
  for (Index j = 0; j < p; ++j) {
    const double* x = X[j];
    double* o = out + j * len;
    Index r = 0;
    for (; r + 8 <= len; r += 8) {
      _mm256_storeu_pd(o + r, _mm256_mul_pd(_mm256_loadu_pd(c + r), _mm256_loadu_pd(x + r)));
      _mm256_storeu_pd(o + r + 4, _mm256_mul_pd(_mm256_loadu_pd(c + r + 4), _mm256_loadu_pd(x + r + 4)));
    }
    for (; r < len; ++r) o[r] = c[r] * x[r];
  }
}

// g += X' r: eight columns at a time, each a sum over the rows in a vector register
__attribute__((target("avx2,fma"))) void avx2_add_transposed_product(const double* const* X, Index len, Index p,
                                                                      const double* rv, double* g) {
  Index j = 0;
  for (; j + 8 <= p; j += 8) {
    const double* x[8];
    __m256d acc[8];
    GRADGLM_UNROLL
    for (int k = 0; k < 8; ++k) {
      x[k] = X[j + k];
      acc[k] = _mm256_setzero_pd();
    }
    Index r = 0;
    for (; r + 4 <= len; r += 4) {
      const __m256d rr = _mm256_loadu_pd(rv + r);
      GRADGLM_UNROLL
      for (int k = 0; k < 8; ++k) acc[k] = _mm256_fmadd_pd(_mm256_loadu_pd(x[k] + r), rr, acc[k]);
    }
    double lanes[4];
    for (int k = 0; k < 8; ++k) {
      _mm256_storeu_pd(lanes, acc[k]);
      double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
      for (Index i = r; i < len; ++i) s += x[k][i] * rv[i];
      g[j + k] += s;
    }
  }
  for (; j < p; ++j) {
    const double* x = X[j];
    double s = 0.0;
    for (Index r = 0; r < len; ++r) s += x[r] * rv[r];
    g[j] += s;
  }
}

// exp(x) for -708 <= x <= 708 in each lane (the caller keeps x there): 2^n e^r
// with r = x - n log 2, |r| <= log(2) / 2, e^r by its Taylor polynomial of
// degree 13 (truncation below 1e-17)
__attribute__((target("avx2,fma"))) inline __m256d exp_bounded(__m256d x) {
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634074)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
  static const double c[14] = {1.0,
                               1.0,
                               1.0 / 2,
                               1.0 / 6,
                               1.0 / 24,
                               1.0 / 120,
                               1.0 / 720,
                               1.0 / 5040,
                               1.0 / 40320,
                               1.0 / 362880,
                               1.0 / 3628800,
                               1.0 / 39916800,
                               1.0 / 479001600,
                               1.0 / 6227020800.0};
  __m256d p = _mm256_set1_pd(c[13]);
  GRADGLM_UNROLL_POLY
  for (int k = 12; k >= 0; --k) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c[k]));
  // 2^n from n's bits: n + 1.5 * 2^52 holds n in its low bits
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);
  const __m256i ni = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(n, magic)), _mm256_castpd_si256(magic));
  const __m256i bits = _mm256_slli_epi64(_mm256_add_epi64(ni, _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
}

// exp(x) for x < 708, arguments below -708 taken as -708 (e^-708 is 3e-308)
__attribute__((target("avx2,fma"))) inline __m256d exp_floored(__m256d x) {
  return exp_bounded(_mm256_max_pd(x, _mm256_set1_pd(-708.0)));
}

// log1p(e) for 0 <= e <= 1 in each lane: 2 atanh(s), s = e / (2 + e) <= 1/3, by
// its series 2 s (1 + s^2/3 + s^4/5 + ...) to s^36 (truncation below 1e-18)
__attribute__((target("avx2,fma"))) inline __m256d log1p_unit(__m256d e) {
  const __m256d s = _mm256_div_pd(e, _mm256_add_pd(_mm256_set1_pd(2.0), e));
  const __m256d s2 = _mm256_mul_pd(s, s);
  __m256d q = _mm256_set1_pd(1.0 / 37.0);
  GRADGLM_UNROLL_POLY
  for (int k = 17; k >= 0; --k) q = _mm256_fmadd_pd(q, s2, _mm256_set1_pd(1.0 / (2 * k + 1)));
  return _mm256_mul_pd(_mm256_add_pd(s, s), q);
}

__attribute__((target("avx2,fma"))) bool avx2_logistic_block(const double* y, const double* eta, const double* w,
                                                              Index len, double* grad, double* curv, double& loss) {
  // every |eta| <= 708 (where exp(-|eta|) is a normal number), or the row-by-row
  // code (which follows exp into the subnormal numbers and to 0, as separated
  // classes drive eta, and keeps non-finite values as they are)
  __m256d big_eta = _mm256_setzero_pd();
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
  Index i = 0;
  for (; i + 4 <= len; i += 4) big_eta = _mm256_max_pd(big_eta, _mm256_and_pd(_mm256_loadu_pd(eta + i), abs_mask));
  double lanes[4];
  _mm256_storeu_pd(lanes, big_eta);
  double largest = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
  for (; i < len; ++i) largest = std::max(largest, std::abs(eta[i]));
  // (a NaN fails the test: max_pd passes its second operand, the NaN, on)
  if (!(largest <= 708.0)) return false;
  for (i = 0; i < len; ++i)
    if (eta[i] != eta[i]) return false;
  const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
  const __m256d sign = _mm256_set1_pd(-0.0);
  __m256d acc = _mm256_setzero_pd();
  for (i = 0; i + 4 <= len; i += 4) {
    const __m256d et = _mm256_loadu_pd(eta + i), yy = _mm256_loadu_pd(y + i), ww = _mm256_loadu_pd(w + i);
    const __m256d e = exp_floored(_mm256_or_pd(et, sign));  // exp(-|eta|)
    const __m256d l = log1p_unit(e);
    const __m256d big = _mm256_div_pd(one, _mm256_add_pd(one, e)), small = _mm256_mul_pd(e, big);
    const __m256d pos = _mm256_cmp_pd(et, zero, _CMP_GT_OQ);
    // (1 - y) eta where eta > 0, else -y eta
    const __m256d lin = _mm256_blendv_pd(_mm256_mul_pd(_mm256_sub_pd(zero, yy), et),
                                         _mm256_mul_pd(_mm256_sub_pd(one, yy), et), pos);
    acc = _mm256_fmadd_pd(ww, _mm256_add_pd(l, lin), acc);
    if (grad) {
      const __m256d mu = _mm256_blendv_pd(small, big, _mm256_cmp_pd(et, zero, _CMP_GE_OQ));
      _mm256_storeu_pd(grad + i, _mm256_mul_pd(ww, _mm256_sub_pd(mu, yy)));
      if (curv) _mm256_storeu_pd(curv + i, _mm256_mul_pd(ww, _mm256_mul_pd(big, small)));
    }
  }
  _mm256_storeu_pd(lanes, acc);
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < len; ++i) {
    const double e = std::exp(-std::abs(eta[i])), l = std::log1p(e);
    const double big = 1.0 / (1.0 + e), small = e * big;
    sum += w[i] * (l + (eta[i] > 0.0 ? (1.0 - y[i]) * eta[i] : -y[i] * eta[i]));
    if (grad) {
      grad[i] = w[i] * ((eta[i] >= 0.0 ? big : small) - y[i]);
      if (curv) curv[i] = w[i] * big * small;
    }
  }
  // the saturated part, y log y + (1 - y) log(1 - y), for responses other than
  // 0 and 1: looked for four at a time (a branch on each 0/1 response would be
  // mispredicted half the time)
  __m256d frac = _mm256_setzero_pd();
  for (i = 0; i + 4 <= len; i += 4) {
    const __m256d yy = _mm256_loadu_pd(y + i);
    frac = _mm256_or_pd(frac, _mm256_and_pd(_mm256_cmp_pd(yy, zero, _CMP_GT_OQ), _mm256_cmp_pd(yy, one, _CMP_LT_OQ)));
  }
  const Index from = _mm256_movemask_pd(frac) ? 0 : i;
  for (i = from; i < len; ++i) {
    const double yi = y[i];
    if (yi > 0.0 && yi < 1.0 && w[i] != 0.0) sum += w[i] * (yi * std::log(yi) + (1.0 - yi) * std::log(1.0 - yi));
  }
  loss = sum;
  return true;
}

// log(x) for normal positive x in each lane: x = 2^k m with sqrt(1/2) <= m <
// sqrt(2), log(x) = k log 2 + 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172,
// the series of atanh to s^27 (truncation below 1e-20)
__attribute__((target("avx2,fma"))) inline __m256d log_normal(__m256d x) {
  const __m256i bits = _mm256_castpd_si256(x);
  const __m256i mant_mask = _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL);
  // m in [1, 2) and k, then m halved (k + 1) where m >= sqrt(2)
  __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, mant_mask),
                                                   _mm256_set1_epi64x(0x3FF0000000000000LL)));
  const __m256i e = _mm256_sub_epi64(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(1023));
  // the exponent as a double: e + 2^52 + 2^51 has e in its low bits
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);
  __m256d k = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(e, _mm256_castpd_si256(magic))), magic);
  const __m256d high = _mm256_cmp_pd(m, _mm256_set1_pd(1.4142135623730950488), _CMP_GE_OQ);
  m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), high);
  k = _mm256_add_pd(k, _mm256_and_pd(high, _mm256_set1_pd(1.0)));
  const __m256d one = _mm256_set1_pd(1.0);
  const __m256d s = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
  const __m256d s2 = _mm256_mul_pd(s, s);
  __m256d q = _mm256_set1_pd(1.0 / 27.0);
  GRADGLM_UNROLL_POLY
  for (int j = 12; j >= 0; --j) q = _mm256_fmadd_pd(q, s2, _mm256_set1_pd(1.0 / (2 * j + 1)));
  const __m256d at = _mm256_mul_pd(_mm256_add_pd(s, s), q);
  // k log 2 in two parts (the first exact for |k| < 2^11)
  return _mm256_fmadd_pd(k, _mm256_set1_pd(6.93147180369123816490e-01),
                         _mm256_fmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), at));
}

// The Poisson rows with the log link as Family::poisson_log_unit() writes
// them, in vector registers: mu = e^eta; where y > 0, with d = eta - log(y),
// the loss y (e^d - 1 - d) (its series where |d| < 1e-2) and the gradient
// y (e^d - 1); where y = 0, loss and gradient mu; the curvature mu.
__attribute__((target("avx2,fma"))) bool avx2_poisson_log_block(const double* y, const double* eta, const double* w,
                                                                 Index len, double* grad, double* curv, double& loss) {
  // where the kernel's exp and log hold (else the row-by-row code, which caps
  // eta and follows the standard library's functions to the ends of their
  // ranges): -708 <= eta < EXP_CAP (680), and y = 0 or 1e-12 <= y < Inf, so
  // that d = eta - log(y) < 708 (below -708, e^d - 1 is -1 in doubles)
  for (Index i = 0; i < len; ++i) {
    const double et = eta[i], yi = y[i];
    if (!(et >= -708.0 && et < 680.0)) return false;
    if (!(yi == 0.0 || (yi >= 1e-12 && yi <= 1.7976931348623157e308))) return false;
  }
  const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
  __m256d acc = _mm256_setzero_pd();
  Index i = 0;
  for (; i + 4 <= len; i += 4) {
    const __m256d et = _mm256_loadu_pd(eta + i), yy = _mm256_loadu_pd(y + i), ww = _mm256_loadu_pd(w + i);
    const __m256d pos = _mm256_cmp_pd(yy, zero, _CMP_GT_OQ);
    const __m256d mu = exp_bounded(et);
    // (log of 1 where y = 0: its lanes are not used)
    const __m256d d = _mm256_sub_pd(et, log_normal(_mm256_blendv_pd(one, yy, pos)));
    const __m256d em1_direct = _mm256_sub_pd(exp_floored(d), one);
    // e^d - 1 - d by its series where |d| < 1e-2, where e^d - 1 - d would lose d's digits
    __m256d ser = _mm256_set1_pd(1.0 / 5040);
    ser = _mm256_fmadd_pd(ser, d, _mm256_set1_pd(1.0 / 720));
    ser = _mm256_fmadd_pd(ser, d, _mm256_set1_pd(1.0 / 120));
    ser = _mm256_fmadd_pd(ser, d, _mm256_set1_pd(1.0 / 24));
    ser = _mm256_fmadd_pd(ser, d, _mm256_set1_pd(1.0 / 6));
    ser = _mm256_fmadd_pd(ser, d, _mm256_set1_pd(0.5));
    ser = _mm256_mul_pd(_mm256_mul_pd(d, d), ser);
    const __m256d small = _mm256_cmp_pd(_mm256_and_pd(d, abs_mask), _mm256_set1_pd(1e-2), _CMP_LT_OQ);
    const __m256d excess = _mm256_blendv_pd(_mm256_sub_pd(em1_direct, d), ser, small);
    const __m256d em1 = _mm256_blendv_pd(em1_direct, _mm256_add_pd(d, ser), small);
    const __m256d unit_loss = _mm256_blendv_pd(mu, _mm256_mul_pd(yy, excess), pos);
    // (a row of weight 0 adds nothing: its values are finite here)
    acc = _mm256_fmadd_pd(ww, unit_loss, acc);
    if (grad) {
      _mm256_storeu_pd(grad + i, _mm256_mul_pd(ww, _mm256_blendv_pd(mu, _mm256_mul_pd(yy, em1), pos)));
      if (curv) _mm256_storeu_pd(curv + i, _mm256_mul_pd(ww, mu));
    }
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, acc);
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < len; ++i) {
    const double mu = std::exp(eta[i]), yi = y[i];
    double ul = mu, g = mu;
    if (yi > 0.0) {
      const double d = eta[i] - std::log(yi), em1 = std::expm1(d);
      ul = yi * (std::abs(d) < 1e-2
                     ? d * d * (0.5 + d * (1.0 / 6 + d * (1.0 / 24 + d * (1.0 / 120 + d * (1.0 / 720 + d / 5040)))))
                     : em1 - d);
      g = yi * em1;
    }
    sum += w[i] * ul;
    if (grad) {
      grad[i] = w[i] * g;
      if (curv) curv[i] = w[i] * mu;
    }
  }
  loss = sum;
  return true;
}

// bad += x * 0 (NaN once some value is not finite), max_abs = max(max_abs, |x|)
__attribute__((target("avx2,fma"))) void avx2_column_range(const double* x, Index n, double& bad,
                                                            double& max_abs) {
  const __m256d sign = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
  __m256d b0 = zero, b1 = zero, m0 = zero, m1 = zero;
  Index i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d v0 = _mm256_loadu_pd(x + i), v1 = _mm256_loadu_pd(x + i + 4);
    b0 = _mm256_add_pd(b0, _mm256_mul_pd(v0, zero));
    b1 = _mm256_add_pd(b1, _mm256_mul_pd(v1, zero));
    // (maxpd drops or keeps a NaN depending on its place: max_abs counts only when bad is 0)
    m0 = _mm256_max_pd(m0, _mm256_andnot_pd(sign, v0));
    m1 = _mm256_max_pd(m1, _mm256_andnot_pd(sign, v1));
  }
  double lb[4], lm[4];
  _mm256_storeu_pd(lb, _mm256_add_pd(b0, b1));
  _mm256_storeu_pd(lm, _mm256_max_pd(m0, m1));
  double b = bad + ((lb[0] + lb[1]) + (lb[2] + lb[3])), m = max_abs;
  for (int k = 0; k < 4; ++k) m = std::max(m, lm[k]);
  for (; i < n; ++i) {
    b += x[i] * 0.0;
    m = std::max(m, std::fabs(x[i]));
  }
  bad = b;
  max_abs = m;
}

// (GRADGLM_NO_SIMD set in the environment when the package loads: the
// portable code, for tests of it on machines that have AVX2)
bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          std::getenv("GRADGLM_NO_SIMD") == nullptr;
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

// (where the kernels are compiled, true when the processor has them and they did the block)
#ifdef GRADGLM_X86_KERNELS
bool logistic_block(const double* y, const double* eta, const double* w, Index len, double* grad, double* curv,
                    double& loss) {
  return cpu_has_avx2_fma() && avx2_logistic_block(y, eta, w, len, grad, curv, loss);
}

bool poisson_log_block(const double* y, const double* eta, const double* w, Index len, double* grad, double* curv,
                       double& loss) {
  return cpu_has_avx2_fma() && avx2_poisson_log_block(y, eta, w, len, grad, curv, loss);
}
#else
bool logistic_block(const double*, const double*, const double*, Index, double*, double*, double&) { return false; }
bool poisson_log_block(const double*, const double*, const double*, Index, double*, double*, double&) { return false; }
#endif

const double* const* column_pointers(const double* X, Index ld, Index p, std::vector<const double*>& buf) {
  buf.resize((size_t)p);
  for (Index j = 0; j < p; ++j) buf[j] = X + j * ld;
  return buf.data();
}

namespace {

thread_local std::vector<const double*> ptrs_a, ptrs_b;

}  // namespace

void scale_rows_cols(const double* c, const double* const* X, Index len, Index p, double* out) {
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_scale_rows(c, X, len, p, out);
    return;
  }
#endif
  for (Index j = 0; j < p; ++j) {
    const double* x = X[j];
    double* o = out + j * len;
    for (Index r = 0; r < len; ++r) o[r] = c[r] * x[r];
  }
}

void scale_rows(const double* c, const double* X, Index ldx, Index len, Index p, double* out) {
  scale_rows_cols(c, column_pointers(X, ldx, p, ptrs_a), len, p, out);
}

void matrix_vector_cols(const double* const* X, Index len, Index p, const double* b, double* out) {
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_matrix_vector(X, len, p, b, out);
    return;
  }
#endif
  for (Index r = 0; r < len; ++r) out[r] = 0.0;
  for (Index j = 0; j < p; ++j) {
    const double* x = X[j];
    const double bj = b[j];
    for (Index r = 0; r < len; ++r) out[r] += x[r] * bj;
  }
}

void column_range(const double* x, Index n, double& bad, double& max_abs) {
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_column_range(x, n, bad, max_abs);
    return;
  }
#endif
  double b = bad, m = max_abs;
  for (Index i = 0; i < n; ++i) {
    b += x[i] * 0.0;
    m = std::max(m, std::fabs(x[i]));
  }
  bad = b;
  max_abs = m;
}

void matrix_vector(const double* X, Index ldx, Index len, Index p, const double* b, double* out) {
  matrix_vector_cols(column_pointers(X, ldx, p, ptrs_a), len, p, b, out);
}

void add_transposed_product_cols(const double* const* X, Index len, Index p, const double* r, double* g) {
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_add_transposed_product(X, len, p, r, g);
    return;
  }
#endif
  for (Index j = 0; j < p; ++j) {
    const double* x = X[j];
    double s = 0.0;
    for (Index i = 0; i < len; ++i) s += x[i] * r[i];
    g[j] += s;
  }
}

void add_transposed_product(const double* X, Index ldx, Index len, Index p, const double* r, double* g) {
  add_transposed_product_cols(column_pointers(X, ldx, p, ptrs_a), len, p, r, g);
}

void add_cross_product_cols(const double* const* A, Index pa, const double* const* B, Index pb, Index len, double* H,
                            Index ldh, bool lower) {
  if (len <= 0 || pa <= 0 || pb <= 0) return;
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_cross_product(A, pa, B, pb, len, H, ldh, lower);
    return;
  }
#endif
  // (the portable code: the columns gathered into matrices for Eigen's product)
  thread_local Eigen::MatrixXd a, b;
  a.resize(len, pa);
  b.resize(len, pb);
  for (Index j = 0; j < pa; ++j) std::copy(A[j], A[j] + len, a.col(j).data());
  for (Index j = 0; j < pb; ++j) std::copy(B[j], B[j] + len, b.col(j).data());
  eigen_cross_product(a.data(), len, pa, b.data(), len, pb, len, H, ldh, lower);
}

void add_cross_product(const double* A, Index lda, Index pa, const double* B, Index ldb, Index pb, Index len,
                       double* H, Index ldh, bool lower) {
  if (len <= 0 || pa <= 0 || pb <= 0) return;
#ifdef GRADGLM_X86_KERNELS
  if (cpu_has_avx2_fma()) {
    avx2_cross_product(column_pointers(A, lda, pa, ptrs_a), pa, column_pointers(B, ldb, pb, ptrs_b), pb, len, H, ldh,
                       lower);
    return;
  }
#endif
  eigen_cross_product(A, lda, pa, B, ldb, pb, len, H, ldh, lower);
}

}  // namespace gradglm
