// The loss: weighted least squares on a dense, row-major X, with implicit centring.
//
//   L(β) = ½ Σ_i w_i (x_iᵀβ − x̄ᵀβ − ỹ_i)²,     Σ_i w_i = 1 (w_i = 1/n unweighted)
//   g(β) = Σ_i w_i r_i x_i − x̄ Σ_i w_i r_i
//
// With x̄ = 0 and ỹ = y this is DESIGN §2's L = ‖Xβ − y‖²/(2n). Centring (fit_intercept) is
// done through x̄ and ỹ = y − ȳ instead of forming X − 1x̄ᵀ, so X is never copied.
//
// Determinism: rows are split into a number of chunks that depends on n only (never on the
// thread count). Each chunk accumulates its partial gradient in row order into its own buffer;
// the buffers are then added in chunk order. Any number of threads gives the same bits.
//
// The member functions marked "inside a parallel region" use orphaned `omp for` worksharing:
// every thread of the enclosing team must call them (with one thread, or outside any region,
// they simply run serially).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "dlnfast/row_kernels.hpp"
#include "dlnfast/threads.hpp"

namespace dlnfast {

using Index = std::ptrdiff_t;

template <class T>
class LeastSquares {
 public:
  /// X: n×d row-major (used in place, never copied); y_centred: ỹ (length n);
  /// weights: w (length n, summing to 1) or nullptr for w_i = 1/n; x_mean: x̄ (length d) or nullptr.
  LeastSquares(const T* X, Index n, Index d, const double* y_centred, const double* weights,
               const double* x_mean)
      : X_(X), n_(n), d_(d), y_(y_centred), w_(weights), x_mean_(x_mean) {
    if (n <= 0 || d <= 0) throw std::invalid_argument("X must have at least one row and one column");
    n_chunks_ = chunk_count(n);
    partial_g_.assign(static_cast<std::size_t>(n_chunks_) * d, 0.0);
    partial_loss_.assign(n_chunks_, 0.0);
    partial_sum_c_.assign(n_chunks_, 0.0);
  }

  /// Number of row chunks: a power of two, about n/16 rows each, at most 32, depending on n only.
  static Index chunk_count(Index n) {
    Index k = 1;
    while (k * 2 <= 32 && k * 2 * 16 <= n) k *= 2;
    return k;
  }

  Index n_samples() const { return n_; }
  Index n_features() const { return d_; }
  Index n_chunks() const { return n_chunks_; }

  /// Inside a parallel region. Phase 1: the chunks' partial gradients and losses at β.
  /// Ends with a barrier (implicit in `omp for`).
  void accumulate(const double* beta) {
    // shift = x̄ᵀβ: every thread computes the same value in the same order (no barrier needed).
    double shift = 0.0;
    if (x_mean_) {
      for (Index j = 0; j < d_; ++j) shift += x_mean_[j] * beta[j];
    }
    accumulate_chunks(beta, y_, shift);
  }

  /// Loss at the β of the last accumulate (chunk partials added in chunk order).
  double loss() const {
    double s = 0.0;
    for (Index k = 0; k < n_chunks_; ++k) s += partial_loss_[k];
    return s;
  }

  /// Σ_i w_i r_i: zero in exact arithmetic when centring; kept for exactness of g.
  double sum_weighted_residual() const {
    double s = 0.0;
    for (Index k = 0; k < n_chunks_; ++k) s += partial_sum_c_[k];
    return s;
  }

  /// g[j0:j1] from the chunk partials, added in chunk order (so the bits do not depend on how
  /// coordinates are split between threads), with the centring term −x̄·Σw r. `sum_c` is
  /// sum_weighted_residual(), computed once by the caller. Streams each partial row-wise.
  void gradient_block(Index j0, Index j1, double sum_c, double* g) const {
    const double* G0 = partial_g_.data();
    for (Index j = j0; j < j1; ++j) g[j] = G0[j];
    for (Index k = 1; k < n_chunks_; ++k) {
      const double* Gk = partial_g_.data() + k * d_;
#pragma omp simd
      for (Index j = j0; j < j1; ++j) g[j] += Gk[j];
    }
    if (x_mean_) {
      for (Index j = j0; j < j1; ++j) g[j] -= x_mean_[j] * sum_c;
    }
  }

  /// Coordinate blocks for gradient_block (a fixed split: 1024 coordinates = 8 KiB per partial).
  static constexpr Index kBlock = 1024;
  Index n_blocks() const { return (d_ + kBlock - 1) / kBlock; }

  /// Inside a parallel region: g = ∇L at the β of the last accumulate.
  void gradient(double* g) const {
    const double sum_c = x_mean_ ? sum_weighted_residual() : 0.0;
#pragma omp for schedule(static)
    for (Index b = 0; b < n_blocks(); ++b) gradient_block(b * kBlock, std::min(d_, (b + 1) * kBlock), sum_c, g);
  }

  /// λ_max(X_cᵀ W X_c) by power iteration (X_c the centred X), at most `max_iter` passes over X
  /// (the Rayleigh quotient is a lower bound whose error is quadratic in the vector's, so a few
  /// dozen passes give it to ~1e-3 even when the top eigenvalues cluster, as for random X),
  /// stopping when the Rayleigh quotient changes by less than `rtol` (relative). Called outside
  /// any parallel region. Deterministic start vector, so the estimate is reproducible.
  double lambda_max(int n_threads, int max_iter = 30, double rtol = 1e-4) {
    std::vector<double> v(d_), gv(d_);
    double nv = 0.0;
    for (Index j = 0; j < d_; ++j) {
      v[j] = 1.0 + 0.1 * double(j % 7);
      nv += v[j] * v[j];
    }
    for (auto& x : v) x /= std::sqrt(nv);
    double est = 0.0;
    for (int it = 0; it < max_iter; ++it) {
      gram_apply(v.data(), gv.data(), n_threads);
      double rq = 0.0, ng = 0.0;
      for (Index j = 0; j < d_; ++j) {
        rq += v[j] * gv[j];
        ng += gv[j] * gv[j];
      }
      ng = std::sqrt(ng);
      if (!(ng > 0.0) || !std::isfinite(ng)) return std::max(rq, 0.0);
      for (Index j = 0; j < d_; ++j) v[j] = gv[j] / ng;
      const bool done = it > 0 && std::abs(rq - est) <= rtol * std::abs(rq);
      est = rq;
      if (done) break;
    }
    return est;
  }

 private:
  // gv = X_cᵀ W X_c v: the gradient of ½‖X_c v‖²_W, i.e. a zero target, centred by x̄ᵀv.
  void gram_apply(const double* v, double* gv, int n_threads) {
    double shift = 0.0;
    if (x_mean_) {
      for (Index j = 0; j < d_; ++j) shift += x_mean_[j] * v[j];
    }
#pragma omp parallel num_threads(n_threads)
    {
      accumulate_chunks(v, nullptr, shift);
      gradient(gv);
    }
  }

  // Inside a parallel region: chunk k adds its rows' contributions to its own buffer.
  void accumulate_chunks(const double* beta, const double* target, double shift) {
#pragma omp for schedule(static)
    for (Index k = 0; k < n_chunks_; ++k) {
      // Chunks hold whole groups of 4 rows (the kernel's unit), so only the last chunk can end
      // in a slower 1-3 row tail.
      const Index groups = (n_ + 3) / 4;
      const Index r0 = std::min(n_, 4 * (k * groups / n_chunks_));
      const Index r1 = std::min(n_, 4 * ((k + 1) * groups / n_chunks_));
      double* G = partial_g_.data() + k * d_;
      std::fill(G, G + d_, 0.0);
      double sum_c = 0.0;
      partial_loss_[k] = 0.5 * detail::fused_rows(X_ + r0 * d_, r1 - r0, d_, beta,
                                                  target ? target + r0 : nullptr, shift,
                                                  w_ ? w_ + r0 : nullptr, 1.0 / double(n_), G,
                                                  &sum_c);
      partial_sum_c_[k] = sum_c;
    }
  }

  const T* X_;
  Index n_, d_;
  const double* y_;
  const double* w_;
  const double* x_mean_;
  Index n_chunks_;
  std::vector<double> partial_g_, partial_loss_, partial_sum_c_;
};

}  // namespace dlnfast
