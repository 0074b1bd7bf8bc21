// The fused single-sample SGD step on a depth-2 network (no momentum): one pass over the
// coordinates updates the factors with the current sample and, in the same pass, computes the
// residual ingredients of the NEXT sample (its row is known in advance: the stream is counter
// based). So a batch-size-1 step reads x_i, x_next, the factors and β once, with no allocation.
//
// For j = 0..d−1 (x̃ = x − x̄, x̄ = 0 without centring; a = 2η·c·x̃_j = 2η·g_j):
//   w₊ ← w₊(1 − a),  w₋ ← w₋(1 + a)                         (mantissas m±, w = m·2^e)
//   β_j = w₊² − w₋²   (= m₊²·2^{2e₊} − m₋²·2^{2e₋})
//   dot   += x̃next_j·β_j                  (next residual: r = dot − ỹ_next − σε)
//   kappa += x̃next_j²·(w₊² + w₋²)_j       (next sample's factor-space curvature, for auto steps)
//   xmax   = max |x̃next_j|                 (next step's max |g_j| = |c|·xmax)
//   lo, hi = min/max of the live mantissas: lo ≤ 0 means a live factor's 1 ∓ a was ≤ 0
//            (divergence, as in DiagonalNet::update; a branch stored as 0 stays 0 and is
//            skipped), lo or hi outside [2^−100, 2^100] asks for renormalisation;
//   babs  += |β_j| (finiteness)
// Like row_kernels.hpp: plain loops vectorised per ISA by target_clones, dispatched at load time;
// the summation order depends on the ISA only (the fused path is always single-threaded).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {
namespace detail {

struct FusedStepOut {
  double dot = 0.0, kappa = 0.0, xmax = 0.0, lo = 0.0, hi = 0.0, babs = 0.0;
};

// One loop for all four variants: kCentred (x̃ = x − x̄) and kPlain (factors as plain doubles
// with no 2^{2e} scales and β not stored, see fused_sgd_step_plain). `if constexpr` keeps each
// instantiation's loop exactly the hand-written one.
template <bool kCentred, bool kPlain, class T>
DLNFAST_ALWAYS_INLINE void fused_step_loop(const T* x, const T* xnext, const double* xmean, Index d,
                                           double two_eta_c, double* mp, double* mn, const double* sp,
                                           const double* sn, double* beta, FusedStepOut* out) {
  double dot = 0.0, kappa = 0.0, xmax = 0.0, babs = 0.0;
  double lo = 1e300, hi = 0.0;
#pragma omp simd reduction(+ : dot, kappa, babs) reduction(max : xmax, hi) reduction(min : lo)
  for (Index j = 0; j < d; ++j) {
    double xj = double(x[j]), xn = double(xnext[j]);
    if constexpr (kCentred) {
      xj -= xmean[j];
      xn -= xmean[j];
    }
    const double a = two_eta_c * xj;
    const double p = mp[j] * (1.0 - a), q = mn[j] * (1.0 + a);
    mp[j] = p;
    mn[j] = q;
    double wp2 = p * p, wn2 = q * q;
    if constexpr (!kPlain) {
      wp2 *= sp[j];
      wn2 *= sn[j];
    }
    const double b = wp2 - wn2;
    if constexpr (!kPlain) beta[j] = b;
    dot += xn * b;
    kappa += xn * xn * (wp2 + wn2);
    xmax = std::max(xmax, std::abs(xn));
    lo = std::min(lo, std::min(p != 0.0 ? p : 1.0, q != 0.0 ? q : 1.0));
    hi = std::max(hi, std::max(p, q));
    babs += std::abs(b);
  }
  *out = FusedStepOut{dot, kappa, xmax, lo, hi, babs};
}

template <bool kPlain, class T>
DLNFAST_ALWAYS_INLINE void fused_step_impl(const T* x, const T* xnext, const double* xmean, Index d,
                                           double two_eta_c, double* mp, double* mn, const double* sp,
                                           const double* sn, double* beta, FusedStepOut* out) {
  if (xmean) fused_step_loop<true, kPlain>(x, xnext, xmean, d, two_eta_c, mp, mn, sp, sn, beta, out);
  else fused_step_loop<false, kPlain>(x, xnext, xmean, d, two_eta_c, mp, mn, sp, sn, beta, out);
}

DLNFAST_CLONES static void fused_sgd_step(const double* x, const double* xnext, const double* xmean, Index d,
                                          double two_eta_c, double* mp, double* mn, const double* sp,
                                          const double* sn, double* beta, FusedStepOut* out) {
  fused_step_impl<false>(x, xnext, xmean, d, two_eta_c, mp, mn, sp, sn, beta, out);
}

DLNFAST_CLONES static void fused_sgd_step(const float* x, const float* xnext, const double* xmean, Index d,
                                          double two_eta_c, double* mp, double* mn, const double* sp,
                                          const double* sn, double* beta, FusedStepOut* out) {
  fused_step_impl<false>(x, xnext, xmean, d, two_eta_c, mp, mn, sp, sn, beta, out);
}

/// The same step on factors held as plain doubles (w₊, w₋), valid while every factor and its
/// square stay in the normal range (run_sgd_fused checks the window): 4 arrays instead of 7
/// (no 2^{2e} scales, and β is not stored: it is formed on the fly for the next residual and
/// materialised only when needed). Scaling by a power of two commutes with rounding in the
/// normal range, so the bits equal those of the mantissa kernel above.
DLNFAST_CLONES static void fused_sgd_step_plain(const double* x, const double* xnext, const double* xmean, Index d,
                                                double two_eta_c, double* wp, double* wn, FusedStepOut* out) {
  fused_step_impl<true>(x, xnext, xmean, d, two_eta_c, wp, wn, nullptr, nullptr, nullptr, out);
}

DLNFAST_CLONES static void fused_sgd_step_plain(const float* x, const float* xnext, const double* xmean, Index d,
                                                double two_eta_c, double* wp, double* wn, FusedStepOut* out) {
  fused_step_impl<true>(x, xnext, xmean, d, two_eta_c, wp, wn, nullptr, nullptr, nullptr, out);
}

}  // namespace detail
}  // namespace dlnfast
