// The deterministic two-pass reduction behind every full-batch loss: L(β) and ∇L(β) from one
// read of X.
//
// Pass 1 (rows): X's rows are split into a number of chunks that depends on n only (never on the
// thread count); chunk k runs the loss's row kernel over its rows into its own partial gradient
// G_k, partial loss and partial Σc. Pass 2 (coordinates): g[j0:j1] = Σ_k G_k[j0:j1] (k in order)
// − x̄·Σc, per block of coordinates, followed in the same pass by the caller's `on_block`
// (criterion and rate maxima). Any team size, any schedule: the same bits.
//
// A new loss (logistic, exponential) supplies only its row kernel:
//   rows(k, r0, r1, G, &sum_c) → Σ_{i∈[r0,r1)} ℓ_i,   G += Σ_i c_i x_i,  sum_c += Σ_i c_i.
#pragma once
#include <algorithm>
#include <limits>
#include <vector>

#include "dlnfast/core/interrupt.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast {

class RowChunks {
 public:
  /// Coordinates per block of pass 2 (8 KiB of each partial: stays in L1 while summed).
  static constexpr Index kBlock = 1024;

  RowChunks(Index n, Index d) : n_(n), d_(d), n_chunks_(chunk_count(n)) {
    partial_g_.assign(static_cast<std::size_t>(n_chunks_ * d), 0.0);
    partial_loss_.assign(n_chunks_, 0.0);
    partial_sum_c_.assign(n_chunks_, 0.0);
  }

  /// Number of row chunks: a power of two, about n/16 rows each, at most 32, depending on n only.
  static Index chunk_count(Index n) {
    Index k = 1;
    while (k * 2 <= 32 && k * 2 * 16 <= n) k *= 2;
    return k;
  }
  Index n_chunks() const { return n_chunks_; }
  Index n_blocks() const { return (d_ + kBlock - 1) / kBlock; }

  /// Rows [r0, r1) of chunk k: whole groups of 4 rows (the kernels' unit), so that only the
  /// last chunk can end in a slower 1–3 row tail.
  void rows_of(Index k, Index* r0, Index* r1) const { split_rows(n_, n_chunks_, k, r0, r1); }

  /// Rows [r0, r1) of part k when n rows are split into `parts` parts of whole groups of 4 rows.
  static void split_rows(Index n, Index parts, Index k, Index* r0, Index* r1) {
    const Index groups = (n + 3) / 4;
    *r0 = std::min(n, 4 * (k * groups / parts));
    *r1 = std::min(n, 4 * ((k + 1) * groups / parts));
  }

  /// Both passes (see the file comment); returns L = Σ_k partial losses (chunk order).
  /// x_mean may be null (no centring). on_block(b, j0, j1) runs after g[j0:j1] is final.
  template <class Rows, class OnBlock>
  double evaluate(Team& team, Rows&& rows, const double* x_mean, double* g, OnBlock&& on_block) {
    team.parallel_for(n_chunks_, [&](Index k) {
      // Ctrl-C inside a long pass: skip the remaining chunks (the run stops, see interrupt.hpp)
      if (interrupt_pending()) {
        partial_loss_[k] = std::numeric_limits<double>::quiet_NaN();
        partial_sum_c_[k] = 0.0;
        return;
      }
      Index r0, r1;
      rows_of(k, &r0, &r1);
      double* G = partial_g_.data() + k * d_;
      std::fill(G, G + d_, 0.0);
      double sum_c = 0.0;
      partial_loss_[k] = rows(k, r0, r1, G, &sum_c);
      partial_sum_c_[k] = sum_c;
    });
    double sum_c = 0.0, loss = 0.0;
    for (Index k = 0; k < n_chunks_; ++k) {
      sum_c += partial_sum_c_[k];
      loss += partial_loss_[k];
    }
    team.parallel_blocks(d_, kBlock, [&](Index b, Index j0, Index j1) {
      const double* G0 = partial_g_.data();
      for (Index j = j0; j < j1; ++j) g[j] = G0[j];
      for (Index k = 1; k < n_chunks_; ++k) {
        const double* Gk = partial_g_.data() + k * d_;
#pragma omp simd
        for (Index j = j0; j < j1; ++j) g[j] += Gk[j];
      }
      // centring: g = Σ_i c_i (x_i − x̄) = Σ_i c_i x_i − x̄·Σ_i c_i
      if (x_mean) {
        for (Index j = j0; j < j1; ++j) g[j] -= x_mean[j] * sum_c;
      }
      on_block(b, j0, j1);
    });
    return loss;
  }

 private:
  Index n_, d_, n_chunks_;
  std::vector<double> partial_g_, partial_loss_, partial_sum_c_;
};

/// An on_block that does nothing.
struct NoBlockHook {
  void operator()(Index, Index, Index) const {}
};

}  // namespace dlnfast
