// Register-blocked kernels of the fused multi-configuration evaluation (the blocked mode of
// loss/batched_least_squares.hpp): for a block of rows of X (already in cache) and K
// coefficient vectors β_c,
//   forward:   R[i][c] += Σ_j x_i[j]·β_c[j]          (4 rows × 4 configurations per tile)
//   backward:  G_c[j]  += Σ_i C[i][c]·x_i[j]          (4 configurations × 4 rows per tile)
// Both loop over the columns in strips of kStrip so that a tile's operands stay in L1 while the
// tile is computed; the block of rows is read from memory once for both products.
//
// Summation order: R[i][c] is the sum over strips (in order) of one `omp simd` reduction per
// strip; G_c[j] adds the row quads of the block in order. Neither depends on the tile's other
// rows or configurations, on the thread count, nor on which configurations share the batch;
// only on the ISA (vector width, FMA) and on d. It differs from the single-configuration kernel
// (row_kernels.hpp), so results equal single fits up to rounding only.
//
// ISA: the same source is compiled by GCC's target_clones (x86-64-v4 = AVX-512, x86-64-v3 =
// AVX2+FMA, baseline SSE2) behind the guard of row_kernels.hpp (glibc/x86-64/GCC only; elsewhere
// the baseline build). A 4×4 tile holds 16 vector accumulators plus 8 operands: AVX-512's 32
// registers fit it (checked: the v4 clone's loop is all zmm); AVX2's 16 registers spill some of
// the tile (not measured: the machines here have AVX-512).
#pragma once
#include <algorithm>
#include <cstddef>

#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {
namespace detail {

/// Columns per strip: a 4×kStrip tile of X and of β (or G) is 2 × 8 KiB, in L1.
inline constexpr Index kBatchStrip = 256;

/// R (rows4 × Kp, row-major, row stride Kp) += X_blk·B over the rows given by `xrows` (rows4
/// pointers, a multiple of 4) and the Kp (a multiple of 4) vectors `betas`, each of length d.
template <class T>
DLNFAST_ALWAYS_INLINE void batch_forward_impl(const T* const* xrows, Index rows4, Index d,
                                              const double* const* betas, Index Kp, double* R) {
  for (Index j0 = 0; j0 < d; j0 += kBatchStrip) {
    const Index len = std::min(kBatchStrip, d - j0);
    for (Index c = 0; c < Kp; c += 4) {
      const double* b0 = betas[c] + j0;
      const double* b1 = betas[c + 1] + j0;
      const double* b2 = betas[c + 2] + j0;
      const double* b3 = betas[c + 3] + j0;
      for (Index i = 0; i < rows4; i += 4) {
        const T* x0 = xrows[i] + j0;
        const T* x1 = xrows[i + 1] + j0;
        const T* x2 = xrows[i + 2] + j0;
        const T* x3 = xrows[i + 3] + j0;
        double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        double s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
#pragma omp simd reduction(+ : s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33)
        for (Index j = 0; j < len; ++j) {
          const double a0 = double(x0[j]), a1 = double(x1[j]), a2 = double(x2[j]), a3 = double(x3[j]);
          const double c0 = b0[j], c1 = b1[j], c2 = b2[j], c3 = b3[j];
          s00 += a0 * c0; s01 += a0 * c1; s02 += a0 * c2; s03 += a0 * c3;
          s10 += a1 * c0; s11 += a1 * c1; s12 += a1 * c2; s13 += a1 * c3;
          s20 += a2 * c0; s21 += a2 * c1; s22 += a2 * c2; s23 += a2 * c3;
          s30 += a3 * c0; s31 += a3 * c1; s32 += a3 * c2; s33 += a3 * c3;
        }
        double* r0 = R + i * Kp + c;
        double* r1 = r0 + Kp;
        double* r2 = r1 + Kp;
        double* r3 = r2 + Kp;
        r0[0] += s00; r0[1] += s01; r0[2] += s02; r0[3] += s03;
        r1[0] += s10; r1[1] += s11; r1[2] += s12; r1[3] += s13;
        r2[0] += s20; r2[1] += s21; r2[2] += s22; r2[3] += s23;
        r3[0] += s30; r3[1] += s31; r3[2] += s32; r3[3] += s33;
      }
    }
  }
}

/// G_c += X_blkᵀ·C[:, c] for the Kp vectors `gs` (length d each), C rows4 × Kp row-major.
template <class T>
DLNFAST_ALWAYS_INLINE void batch_backward_impl(const T* const* xrows, Index rows4, Index d, const double* C,
                                               Index Kp, double* const* gs) {
  for (Index j0 = 0; j0 < d; j0 += kBatchStrip) {
    const Index len = std::min(kBatchStrip, d - j0);
    for (Index c = 0; c < Kp; c += 4) {
      double* g0 = gs[c] + j0;
      double* g1 = gs[c + 1] + j0;
      double* g2 = gs[c + 2] + j0;
      double* g3 = gs[c + 3] + j0;
      for (Index i = 0; i < rows4; i += 4) {
        const T* x0 = xrows[i] + j0;
        const T* x1 = xrows[i + 1] + j0;
        const T* x2 = xrows[i + 2] + j0;
        const T* x3 = xrows[i + 3] + j0;
        const double* q0 = C + i * Kp + c;  // C[i][c..c+3]
        const double* q1 = q0 + Kp;
        const double* q2 = q1 + Kp;
        const double* q3 = q2 + Kp;
        const double e00 = q0[0], e01 = q0[1], e02 = q0[2], e03 = q0[3];
        const double e10 = q1[0], e11 = q1[1], e12 = q1[2], e13 = q1[3];
        const double e20 = q2[0], e21 = q2[1], e22 = q2[2], e23 = q2[3];
        const double e30 = q3[0], e31 = q3[1], e32 = q3[2], e33 = q3[3];
#pragma omp simd
        for (Index j = 0; j < len; ++j) {
          const double a0 = double(x0[j]), a1 = double(x1[j]), a2 = double(x2[j]), a3 = double(x3[j]);
          g0[j] += e00 * a0 + e10 * a1 + e20 * a2 + e30 * a3;
          g1[j] += e01 * a0 + e11 * a1 + e21 * a2 + e31 * a3;
          g2[j] += e02 * a0 + e12 * a1 + e22 * a2 + e32 * a3;
          g3[j] += e03 * a0 + e13 * a1 + e23 * a2 + e33 * a3;
        }
      }
    }
  }
}

DLNFAST_CLONES static void batch_forward(const double* const* xrows, Index rows4, Index d,
                                         const double* const* betas, Index Kp, double* R) {
  batch_forward_impl(xrows, rows4, d, betas, Kp, R);
}
DLNFAST_CLONES static void batch_forward(const float* const* xrows, Index rows4, Index d,
                                         const double* const* betas, Index Kp, double* R) {
  batch_forward_impl(xrows, rows4, d, betas, Kp, R);
}
DLNFAST_CLONES static void batch_backward(const double* const* xrows, Index rows4, Index d, const double* C,
                                          Index Kp, double* const* gs) {
  batch_backward_impl(xrows, rows4, d, C, Kp, gs);
}
DLNFAST_CLONES static void batch_backward(const float* const* xrows, Index rows4, Index d, const double* C,
                                          Index Kp, double* const* gs) {
  batch_backward_impl(xrows, rows4, d, C, Kp, gs);
}

}  // namespace detail
}  // namespace dlnfast
