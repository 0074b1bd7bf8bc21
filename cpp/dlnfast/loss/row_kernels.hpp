// Fused row-block kernels for the least-squares loss: one read of a block of rows of X gives
// both the residuals of those rows and their contribution to the gradient.
//
// These are the only hot loops over X. They are plain loops (auto-vectorised, with
// `omp simd` allowing the reassociation of the dot products) compiled three times by GCC's
// target_clones (x86-64-v4 = AVX-512, x86-64-v3 = AVX2+FMA, baseline SSE2) and dispatched
// once at load time on the running CPU. This is runtime dispatch, not -march=native: the
// shipped binary still runs on any x86-64. The summation order depends only on the ISA chosen,
// never on the thread count, so results stay bit-identical across thread counts.
#pragma once
#include <cstddef>
#include <cstdlib>  // defines __GLIBC__ on glibc systems

#include "dlnfast/core/types.hpp"

// target_clones dispatches through an IFUNC resolver, which needs glibc's dynamic loader: musl
// (musllinux wheels), macOS and Windows get the baseline build. The ISA-level names
// ("arch=x86-64-v3") are accepted by GCC 12 on (manylinux2014's GCC 10 would reject them).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__) && \
    defined(__GLIBC__)
#define DLNFAST_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define DLNFAST_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define DLNFAST_CLONES
#define DLNFAST_ALWAYS_INLINE inline
#endif

namespace dlnfast {
namespace detail {



/// For rows i in [0, rows) of the row-major block X (row stride d):
///   r_i      = x_i·β − target_i − shift                (target = ỹ = y − ȳ, shift = x̄ᵀβ)
///   c_i      = w_i · r_i                              (w = weights, or the scalar `uniform_w`)
///   G       += Σ_i c_i x_i                            (G has length d, accumulated in row order)
///   returns  Σ_i w_i r_i²,  and adds Σ_i c_i to *sum_c
/// With `target == nullptr` the target is zero (power iteration on XᵀWX).
/// Rows are processed four at a time so that β and G are streamed once per four rows.
/// (Always inlined into the per-ISA clones below, so that each clone vectorises it for its ISA.)
template <class T>
DLNFAST_ALWAYS_INLINE double fused_rows_impl(const T* X, Index rows, Index d, const double* beta,
                              const double* target, double shift, const double* weights,
                              double uniform_w, double* G, double* sum_c) {
  double loss = 0.0, csum = 0.0;
  Index i = 0;
  for (; i + 4 <= rows; i += 4) {
    const T* x0 = X + i * d;
    const T* x1 = x0 + d;
    const T* x2 = x1 + d;
    const T* x3 = x2 + d;
    // s_k = x_k · β. (Splitting j into two halves for eight accumulators was measured: no
    // gain, the loop is bound by streaming the rows from L2/memory, not by FMA latency.)
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (Index j = 0; j < d; ++j) {
      const double b = beta[j];
      s0 += double(x0[j]) * b;
      s1 += double(x1[j]) * b;
      s2 += double(x2[j]) * b;
      s3 += double(x3[j]) * b;
    }
    double r[4] = {s0 - shift, s1 - shift, s2 - shift, s3 - shift};
    double c[4];
    for (int k = 0; k < 4; ++k) {
      if (target) r[k] -= target[i + k];
      const double w = weights ? weights[i + k] : uniform_w;
      c[k] = w * r[k];
      loss += c[k] * r[k];
      csum += c[k];
    }
    // G += c_0 x_0 + c_1 x_1 + c_2 x_2 + c_3 x_3
    const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
#pragma omp simd
    for (Index j = 0; j < d; ++j) {
      G[j] += c0 * double(x0[j]) + c1 * double(x1[j]) + c2 * double(x2[j]) + c3 * double(x3[j]);
    }
  }
  for (; i < rows; ++i) {
    const T* x0 = X + i * d;
    double s0 = 0.0;
#pragma omp simd reduction(+ : s0)
    for (Index j = 0; j < d; ++j) s0 += double(x0[j]) * beta[j];
    double r0 = s0 - shift;
    if (target) r0 -= target[i];
    const double w = weights ? weights[i] : uniform_w;
    const double c0 = w * r0;
    loss += c0 * r0;
    csum += c0;
#pragma omp simd
    for (Index j = 0; j < d; ++j) G[j] += c0 * double(x0[j]);
  }
  *sum_c += csum;
  return loss;
}

// Non-template entry points: target_clones needs concrete functions.
DLNFAST_CLONES static double fused_rows(const double* X, Index rows, Index d, const double* beta,
                                        const double* target, double shift, const double* weights,
                                        double uniform_w, double* G, double* sum_c) {
  return fused_rows_impl(X, rows, d, beta, target, shift, weights, uniform_w, G, sum_c);
}

DLNFAST_CLONES static double fused_rows(const float* X, Index rows, Index d, const double* beta,
                                        const double* target, double shift, const double* weights,
                                        double uniform_w, double* G, double* sum_c) {
  return fused_rows_impl(X, rows, d, beta, target, shift, weights, uniform_w, G, sum_c);
}

/// Σ x over a contiguous range: the memory-bandwidth probe that the benchmarks compare one
/// GD iteration against (reading X once is the floor for a full-batch step).
template <class T>
DLNFAST_ALWAYS_INLINE double stream_sum_impl(const T* x, Index len) {
  // Four quarters side by side, so that the adds are not latency-bound: a bandwidth probe.
  const Index q = len / 4;
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
  for (Index i = 0; i < q; ++i) {
    s0 += double(x[i]);
    s1 += double(x[i + q]);
    s2 += double(x[i + 2 * q]);
    s3 += double(x[i + 3 * q]);
  }
  for (Index i = 4 * q; i < len; ++i) s0 += double(x[i]);
  return (s0 + s1) + (s2 + s3);
}
DLNFAST_CLONES static double stream_sum(const double* x, Index len) { return stream_sum_impl(x, len); }
DLNFAST_CLONES static double stream_sum(const float* x, Index len) { return stream_sum_impl(x, len); }

}  // namespace detail
}  // namespace dlnfast
