// Register-blocked kernels of the fused multi-configuration evaluation (the blocked mode of
// loss/batched_least_squares.hpp). The K coefficient vectors are packed side by side, K
// innermost: B is d × Kp row-major (B[j·Kp + c] = β_c[j], Kp a multiple of 8, padding columns
// zero), and so are the residuals C (rows × Kp) and the partial gradients G (d × Kp). For a
// block of rows of X (given by row pointers, already in cache):
//   forward:   R[i][c] += Σ_j x_i[j]·B[j][c]       (MR rows × 8·NV configurations per tile)
//   backward:  G[j][c] += Σ_i x_i[j]·C[i][c]       (MR columns × 8·NV configurations per tile)
// Each tile's MR·NV accumulators are vectors of 8 configurations held in registers while the
// reduction dimension streams past: a scalar of X is broadcast once and multiplies NV vectors of
// B (or C), so there are no horizontal sums and X's scalars are read once per tile row.
//
// Summation order: every R[i][c] is Σ_j in increasing j and every G[j][c] is Σ_i in increasing
// i (row blocks in order), one multiply-add at a time (fused on ISAs with FMA). This is the
// same for every configuration c whatever its position in a vector, its tile or its batch, the
// tile shape or the thread count: a configuration's bits depend only on the ISA and its own
// data. It differs from the single-configuration kernel (row_kernels.hpp), so results equal
// single fits up to rounding only.
//
// ISA: GCC vector extensions (8 doubles = one AVX-512 register, two AVX2 ones), compiled by
// GCC's target_clones (x86-64-v4 = AVX-512, x86-64-v3 = AVX2+FMA, baseline SSE2) behind the
// guard of row_kernels.hpp (glibc/x86-64/GCC only; elsewhere the baseline build). The tiles
// (MR·NV ≤ 24 accumulators + NV operands + 1 broadcast) fit AVX-512's 32 registers; AVX2's 16
// spill part of the tile (not measured: the machines here have AVX-512).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {
namespace detail {

/// Columns of X per forward strip: a strip of B (kBatchStrip × Kp) stays in L2 while every
/// row tile of the block passes over it.
inline constexpr Index kBatchStrip = 128;
/// Configurations per vector.
inline constexpr Index kBatchLanes = 8;

// (the vector type never crosses a call boundary: every helper is inlined into the clones)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
typedef double batch_vec __attribute__((vector_size(64)));

DLNFAST_ALWAYS_INLINE batch_vec batch_load(const double* p) {
  batch_vec v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
DLNFAST_ALWAYS_INLINE void batch_store(double* p, const batch_vec& v) { std::memcpy(p, &v, sizeof(v)); }

// Rows per forward tile / columns per backward tile for NV vectors of configurations.
template <int NV>
inline constexpr int kTileRows = NV == 4 ? 6 : NV == 3 ? 8 : NV == 2 ? 12 : 16;

// R[r][·] (row stride Kp) += Σ_{j∈[j0,j1)} x_r[j]·B[j][·] for MR rows, NV vectors at B + p.
template <int MR, int NV, class T>
DLNFAST_ALWAYS_INLINE void fwd_tile(const T* const* xr, Index j0, Index j1, const double* B, Index Kp, double* R) {
  batch_vec acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = batch_load(R + r * Kp + v * kBatchLanes);
  for (Index j = j0; j < j1; ++j) {
    const double* b = B + j * Kp;
    batch_vec bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = batch_load(b + v * kBatchLanes);
    for (int r = 0; r < MR; ++r) {
      const double x = double(xr[r][j]);
      for (int v = 0; v < NV; ++v) acc[r][v] += x * bv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) batch_store(R + r * Kp + v * kBatchLanes, acc[r][v]);
}

// Backward modes: G += Σ (the sum continues G's), G = Σ (from zero), G = G + Σ (Σ from zero,
// then added: the bits of G = Σ into a buffer and then G += buffer, without the buffer).
enum BwdMode : int { kBwdAccumulate = 0, kBwdStore = 1, kBwdAdd = 2 };

// G[j][·] (row stride Kp) (+)= Σ_{i<rows} x_i[j]·C[i][·] for MR columns j0.., NV vectors at
// C + p, as Mode says.
template <int MR, int NV, int Mode = kBwdAccumulate, class T>
DLNFAST_ALWAYS_INLINE void bwd_tile(const T* const* xr, Index rows, Index j0, const double* C, Index Kp, double* G) {
  batch_vec acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v)
      acc[r][v] = Mode == kBwdAccumulate ? batch_load(G + (j0 + r) * Kp + v * kBatchLanes) : batch_vec{};
  for (Index i = 0; i < rows; ++i) {
    const double* c = C + i * Kp;
    batch_vec cv[NV];
    for (int v = 0; v < NV; ++v) cv[v] = batch_load(c + v * kBatchLanes);
    const T* x = xr[i] + j0;
    for (int r = 0; r < MR; ++r) {
      const double xs = double(x[r]);
      for (int v = 0; v < NV; ++v) acc[r][v] += xs * cv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      double* g = G + (j0 + r) * Kp + v * kBatchLanes;
      batch_store(g, Mode == kBwdAdd ? batch_load(g) + acc[r][v] : acc[r][v]);
    }
}

template <int NV, class T>
DLNFAST_ALWAYS_INLINE void fwd_panel(const T* const* xr, Index rows, Index j0, Index j1, const double* B, Index Kp,
                                     double* R) {
  constexpr int MR = kTileRows<NV>;
  Index i = 0;
  for (; i + MR <= rows; i += MR) fwd_tile<MR, NV>(xr + i, j0, j1, B, Kp, R + i * Kp);
  for (; i < rows; ++i) fwd_tile<1, NV>(xr + i, j0, j1, B, Kp, R + i * Kp);
}

template <int NV, int Mode, class T>
DLNFAST_ALWAYS_INLINE void bwd_panel(const T* const* xr, Index rows, Index j0, Index j1, const double* C, Index Kp,
                                     double* G) {
  constexpr int MR = kTileRows<NV>;
  Index j = j0;
  for (; j + MR <= j1; j += MR) bwd_tile<MR, NV, Mode>(xr, rows, j, C, Kp, G);
  for (; j < j1; ++j) bwd_tile<1, NV, Mode>(xr, rows, j, C, Kp, G);
}

/// R (rows × Kp, row-major) += X_blk·B over the rows `xrows` (row pointers, each of length d).
template <class T>
DLNFAST_ALWAYS_INLINE void batch_forward_impl(const T* const* xrows, Index rows, Index d, const double* B, Index Kp,
                                              double* R) {
  const Index nvec = Kp / kBatchLanes;
  for (Index j0 = 0; j0 < d; j0 += kBatchStrip) {
    const Index j1 = std::min(d, j0 + kBatchStrip);
    // panels of 4 vectors of configurations, then one of the remaining 1–3
    for (Index p = 0; p < nvec; p += 4) {
      const double* Bp = B + p * kBatchLanes;
      double* Rp = R + p * kBatchLanes;
      switch (std::min<Index>(4, nvec - p)) {
        case 4: fwd_panel<4>(xrows, rows, j0, j1, Bp, Kp, Rp); break;
        case 3: fwd_panel<3>(xrows, rows, j0, j1, Bp, Kp, Rp); break;
        case 2: fwd_panel<2>(xrows, rows, j0, j1, Bp, Kp, Rp); break;
        default: fwd_panel<1>(xrows, rows, j0, j1, Bp, Kp, Rp); break;
      }
    }
  }
}

/// G[j0:j1] (G d × Kp, row-major) += X_blk[:, j0:j1]ᵀ·C, C rows × Kp row-major.
template <int Mode = kBwdAccumulate, class T>
DLNFAST_ALWAYS_INLINE void batch_backward_impl(const T* const* xrows, Index rows, Index jb, Index je, const double* C,
                                               Index Kp, double* G) {
  const Index nvec = Kp / kBatchLanes;
  // columns in strips of a few tiles, every panel of configurations per strip, so that the
  // strip's columns of the block stay in L1 while C's panels pass over them
  constexpr Index kCols = 48;
  for (Index j0 = jb; j0 < je; j0 += kCols) {
    const Index j1 = std::min(je, j0 + kCols);
    for (Index p = 0; p < nvec; p += 4) {
      const double* Cp = C + p * kBatchLanes;
      double* Gp = G + p * kBatchLanes;
      switch (std::min<Index>(4, nvec - p)) {
        case 4: bwd_panel<4, Mode>(xrows, rows, j0, j1, Cp, Kp, Gp); break;
        case 3: bwd_panel<3, Mode>(xrows, rows, j0, j1, Cp, Kp, Gp); break;
        case 2: bwd_panel<2, Mode>(xrows, rows, j0, j1, Cp, Kp, Gp); break;
        default: bwd_panel<1, Mode>(xrows, rows, j0, j1, Cp, Kp, Gp); break;
      }
    }
  }
}

/// Rows [jb, je) of B (d × Kp, row-major) from the columns betas[c] (c < m, length d each);
/// columns m..Kp zero. By 8 × 8 tiles: 8 cache lines read (one per column) and 8 written per
/// tile. A copy: the bits do not depend on how the rows are split.
DLNFAST_CLONES static void pack_columns(const double* const* betas, Index m, Index jb, Index je, Index Kp,
                                        double* B) {
  constexpr Index L = kBatchLanes;
  for (Index c0 = 0; c0 < Kp; c0 += L) {
    const Index cn = std::max<Index>(0, std::min(L, m - c0));
    const double* src[L];
    for (Index l = 0; l < L; ++l) src[l] = l < cn ? betas[c0 + l] : nullptr;
    Index j0 = jb;
    if (cn == L) {
      for (; j0 + L <= je; j0 += L)
        for (Index r = 0; r < L; ++r) {
          double* dst = B + (j0 + r) * Kp + c0;
          for (Index l = 0; l < L; ++l) dst[l] = src[l][j0 + r];
        }
    }
    for (Index j = j0; j < je; ++j) {
      double* dst = B + j * Kp + c0;
      for (Index l = 0; l < L; ++l) dst[l] = l < cn ? src[l][j] : 0.0;
    }
  }
}

/// In place over R (rows × Kp): r = R − y_i − shift_c, c = w_i·r; loss[c] += c·r and
/// csum[c] += c in row order (weights == nullptr: w_i = uniform_w).
DLNFAST_ALWAYS_INLINE void batch_residual_impl(double* R, Index rows, Index Kp, const double* y, const double* w,
                                               double uniform_w, const double* shift, double* loss, double* csum) {
  for (Index i = 0; i < rows; ++i) {
    const double yi = y[i], wi = w ? w[i] : uniform_w;
    double* Ri = R + i * Kp;
#pragma omp simd
    for (Index c = 0; c < Kp; ++c) {
      const double r = Ri[c] - yi - shift[c];
      const double cc = wi * r;
      loss[c] += cc * r;
      csum[c] += cc;
      Ri[c] = cc;
    }
  }
}

// v = Σ_k P[k·stride + j·Kp + ·] − x̄_j·s (a row of reduce_partials_impl).
DLNFAST_ALWAYS_INLINE void reduce_partials_row(const double* P, Index nc, Index stride, Index Kp, Index j,
                                               const double* x_mean, const batch_vec& s, batch_vec& v) {
  v = batch_load(P + j * Kp);
  for (Index k = 1; k < nc; ++k) v += batch_load(P + k * stride + j * Kp);
  if (x_mean) v -= x_mean[j] * s;
}

/// g_l[j] = Σ_k P[k·stride + j·Kp + l] (k = 0..nc−1 in order) − x̄_j·sc[l], for j in [j0, j1)
/// and the lanes l < cn of the vector of configurations at P (x_mean == nullptr: no shift).
DLNFAST_ALWAYS_INLINE void reduce_partials_impl(const double* P, Index nc, Index stride, Index Kp, Index j0, Index j1,
                                                const double* x_mean, const double* sc, double* const* g, Index cn) {
  const batch_vec s = batch_load(sc);
  Index j = j0;
  // 8 coordinates at a time, so that each g_l receives 8 consecutive numbers (one cache line)
  // instead of one number per coordinate
  constexpr Index L = kBatchLanes;
  for (; j + L <= j1; j += L) {
    batch_vec v[L];
    for (Index r = 0; r < L; ++r) reduce_partials_row(P, nc, stride, Kp, j + r, x_mean, s, v[r]);
    for (Index l = 0; l < cn; ++l) {
      double* dst = g[l] + j;
      for (Index r = 0; r < L; ++r) dst[r] = v[r][l];
    }
  }
  for (; j < j1; ++j) {
    batch_vec v;
    reduce_partials_row(P, nc, stride, Kp, j, x_mean, s, v);
    for (Index l = 0; l < cn; ++l) g[l][j] = v[l];
  }
}


DLNFAST_CLONES static void batch_residual(double* R, Index rows, Index Kp, const double* y, const double* w,
                                          double uniform_w, const double* shift, double* loss, double* csum) {
  batch_residual_impl(R, rows, Kp, y, w, uniform_w, shift, loss, csum);
}
DLNFAST_CLONES static void reduce_partials(const double* P, Index nc, Index stride, Index Kp, Index j0, Index j1,
                                           const double* x_mean, const double* sc, double* const* g, Index cn) {
  reduce_partials_impl(P, nc, stride, Kp, j0, j1, x_mean, sc, g, cn);
}
DLNFAST_CLONES static void batch_forward(const double* const* xrows, Index rows, Index d, const double* B, Index Kp,
                                         double* R) {
  batch_forward_impl(xrows, rows, d, B, Kp, R);
}
DLNFAST_CLONES static void batch_forward(const float* const* xrows, Index rows, Index d, const double* B, Index Kp,
                                         double* R) {
  batch_forward_impl(xrows, rows, d, B, Kp, R);
}
DLNFAST_CLONES static void batch_backward(const double* const* xrows, Index rows, Index j0, Index j1, const double* C,
                                          Index Kp, double* G) {
  batch_backward_impl(xrows, rows, j0, j1, C, Kp, G);
}
DLNFAST_CLONES static void batch_backward(const float* const* xrows, Index rows, Index j0, Index j1, const double* C,
                                          Index Kp, double* G) {
  batch_backward_impl(xrows, rows, j0, j1, C, Kp, G);
}
/// G[j0:j1] = Σ (add = false) or G + Σ (add = true), Σ summed from zero over the rows: the bits
/// of a zeroed buffer, batch_backward into it and G += buffer (the split mode's partitions).
template <class T>
DLNFAST_ALWAYS_INLINE void batch_backward_fresh_impl(const T* const* xrows, Index rows, Index j0, Index j1,
                                                     const double* C, Index Kp, double* G, bool add) {
  if (add) batch_backward_impl<kBwdAdd>(xrows, rows, j0, j1, C, Kp, G);
  else batch_backward_impl<kBwdStore>(xrows, rows, j0, j1, C, Kp, G);
}
DLNFAST_CLONES static void batch_backward_fresh(const double* const* xrows, Index rows, Index j0, Index j1,
                                                const double* C, Index Kp, double* G, bool add) {
  batch_backward_fresh_impl(xrows, rows, j0, j1, C, Kp, G, add);
}
DLNFAST_CLONES static void batch_backward_fresh(const float* const* xrows, Index rows, Index j0, Index j1,
                                                const double* C, Index Kp, double* G, bool add) {
  batch_backward_fresh_impl(xrows, rows, j0, j1, C, Kp, G, add);
}

#pragma GCC diagnostic pop

}  // namespace detail
}  // namespace dlnfast
