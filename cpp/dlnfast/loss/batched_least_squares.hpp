// The least-squares loss of loss/least_squares.hpp evaluated for K coefficient vectors β_1..β_K
// that share X (a sweep over initialisations, steps or momenta): one read of X from memory per
// evaluation for all K.
//
//   for each row chunk k (RowChunks: chunks depend on n only):
//     for each configuration c:  G_{c,k} = Σ_{i∈k} w_i r_{c,i} x_i,  r_c = X_kβ_c − ỹ_k − x̄ᵀβ_c
//   g_c = Σ_k G_{c,k} (k in order) − x̄·Σ_i w_i r_{c,i}
//
// Each (chunk, configuration) pair runs exactly the kernel (detail::fused_rows) and the chunk
// split of LeastSquares::evaluate, and the partial sums are added in the same order, so L_c and
// g_c are bit-identical to evaluating β_c alone. The saving is in memory traffic: a chunk of rows
// (n/16 rows at most 32 chunks, e.g. 25 rows × 1000 columns = 200 KB) is read from memory once
// and then served from cache to the K kernels. A blocked matrix product X_k·[β_1 … β_K] would
// reach a higher flop rate but sums in another order; bit-identity to single fits was chosen.
//
// With `blocked = true` (the fused mode, fit_path(..., exact=False)) the K coefficient vectors
// are packed side by side (B, d × Kp, configurations innermost) and the products are those of
// loss/batched_kernels.hpp (register tiles vectorised across configurations):
//   * split (X up to kSplitBytes, or partials costlier than a second read of X: split_for):
//     R = X_blk·B − Ỹ_blk − shift and C = W R for the rows, block by block within kParts row
//     partitions (a number that depends on n only; the block's size depends on d only, so that
//     it stays in L2), into C (n × Kp); then G = XᵀC by strips of kSplitCols columns, each
//     strip summing the rows of each partition in order and adding the partitions in order,
//     straight into g_c. X is read twice (from cache when small); no partial gradients are kept.
//   * row partitions (otherwise): per block of rows of each partition, R, C and G_p += X_blkᵀ·C
//     while the block is in cache, so X is read from memory once per evaluation for both
//     products and every configuration; the partials G_p (d × Kp each) are summed in partition
//     order.
//   Both modes perform the same operations on each configuration's numbers in the same order
//   (tests/test_sweep.py checks that they give the same bits), so the choice may depend on the
//   number of configurations in the batch.
// No step depends on the thread count or on which configurations share the batch (a
// configuration's bits are those it gets alone in blocked mode), but the summation order
// differs from the single kernel's, so results equal single fits up to rounding (bounded in
// tests/test_sweep.py).
//
// Memory: the partial gradients take K_g × n_parts × d doubles (split: K_g × (n + d)), for
// groups of K_g configurations bounded by kMaxPartialBytes; a larger sweep makes one pass over
// X per group.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/core/interrupt.hpp"
#include "dlnfast/loss/batched_kernels.hpp"
#include "dlnfast/loss/least_squares.hpp"
#include "dlnfast/loss/row_chunks.hpp"
#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {

template <class T>
class BatchedLeastSquares {
 public:
  using Scalar = T;
  /// Bound on the partial gradients kept at once (configurations beyond it go to a later group).
  static constexpr Index kMaxPartialBytes = Index(64) << 20;
  /// Row partitions of the blocked mode (at most; fewer for small n): the units of work shared
  /// between threads, each with its own partial gradients.
  static constexpr Index kParts = 4;
  /// Largest X (bytes) evaluated in split mode (two products, no partial gradients).
  static constexpr Index kSplitBytes = Index(8) << 20;
  /// Columns per task of the split mode's backward product.
  static constexpr Index kSplitCols = 128;

  /// Arguments as for LeastSquares (X used in place, never copied).
  BatchedLeastSquares(const T* X, Index n, Index d, const double* y_centred, const double* weights,
                      const double* x_mean, bool blocked = false)
      : single_(X, n, d, y_centred, weights, x_mean), X_(X), n_(n), d_(d), y_(y_centred), w_(weights),
        x_mean_(x_mean), chunks_(n, d), blocked_(blocked) {
    n_slots_ = blocked ? std::min<Index>(kParts, RowChunks::chunk_count(n)) : chunks_.n_chunks();
    // per configuration: the partials of either blocked mode (split: C and one d-vector)
    const Index per = (blocked ? std::max(n_slots_ * d, n + d) : n_slots_ * d) * Index(sizeof(double));
    group_ = std::max<Index>(1, kMaxPartialBytes / std::max<Index>(per, 1));
    if (blocked) {
      group_ = std::max<Index>(detail::kBatchLanes, group_ / detail::kBatchLanes * detail::kBatchLanes);  // whole vectors
      // rows per block: a multiple of 24 (whole tiles of 6, 8 and 12 rows) with the block
      // (rows × d) about 768 KiB, so that it is still in L2 for the backward product; at least
      // 24 rows so that each pass over the partial gradients (d × Kp) serves 24 rows
      rows_ = std::max<Index>(24, std::min<Index>(96, (Index(768) << 10) / (Index(sizeof(T)) * std::max<Index>(d, 1)) / 24 * 24));
    }
  }

  /// The single-configuration loss (curvature estimates, the network's auto-step preparation).
  LeastSquares<T>& single() { return single_; }
  Index n_samples() const { return n_; }
  Index n_features() const { return d_; }
  Index work() const { return n_ * d_; }
  /// The fused mode (blocked = true)?
  bool blocked() const { return blocked_; }
  /// Configurations evaluated per pass over X.
  Index group_size() const { return group_; }
  /// Coordinates per block b of evaluate's on_block (the last block may be shorter): the
  /// single kernel's blocks in exact mode; the split backward's strips in blocked mode, so that
  /// the hooks run inside the strip's task while its gradients are in cache, without a pass of
  /// their own. Depends on the mode only.
  Index hook_block() const { return blocked_ ? kSplitCols : RowChunks::kBlock; }
  /// Blocks of on_block per configuration (at most; as many for every configuration).
  Index hook_blocks() const { return (d_ + hook_block() - 1) / hook_block(); }

  /// For m configurations: losses[c] = L(β_c), g_c = ∇L(β_c) into gs[c] (length d each).
  /// on_block(c, b, j0, j1) runs once g_c[j0:j1] is final, for the blocks b < hook_blocks() of
  /// hook_block() coordinates, in any order and on any thread.
  template <class OnBlock>
  void evaluate(Index m, const double* const* betas, double* const* gs, double* losses, Team& team,
                OnBlock&& on_block) {
    const Index nc = n_slots_;
    for (Index c0 = 0; c0 < m; c0 += group_) {
      const Index mg = std::min(group_, m - c0);
      const Index kp = blocked_ ? (mg + detail::kBatchLanes - 1) / detail::kBatchLanes * detail::kBatchLanes
                                : mg;  // configurations padded to whole vectors
      split_ = blocked_ && split_for(kp);
      partial_g_.resize(static_cast<std::size_t>(kp * (split_ ? 1 : nc) * d_));
      partial_loss_.assign(static_cast<std::size_t>(mg * nc), 0.0);
      partial_sum_c_.assign(static_cast<std::size_t>(mg * nc), 0.0);
      shift_.assign(static_cast<std::size_t>(mg), 0.0);
      // shift_c = x̄ᵀβ_c (as LeastSquares::evaluate; one configuration per task, so its bits do
      // not depend on the thread)
      if (x_mean_)
        team.parallel_for(mg, [&](Index c) {
          shift_[c] = Eigen::Map<const Eigen::VectorXd>(x_mean_, d_).dot(
              Eigen::Map<const Eigen::VectorXd>(betas[c0 + c], d_));
        });
      auto part = [&](Index c, Index k) { return partial_g_.data() + (c * nc + k) * d_; };
      if (blocked_) {
        evaluate_blocked(team, mg, kp, betas + c0, gs + c0, c0, on_block);
      } else {
        // pass 1: chunk k's rows for every configuration of the group while they are in cache
        team.parallel_for(nc, [&](Index k) {
          Index r0, r1;
          chunks_.rows_of(k, &r0, &r1);
          for (Index c = 0; c < mg; ++c) {
            double* G = part(c, k);
            std::fill(G, G + d_, 0.0);
            double sum_c = 0.0;
            partial_loss_[c * nc + k] =
                0.5 * detail::fused_rows(X_ + r0 * d_, r1 - r0, d_, betas[c0 + c], y_ + r0, shift_[c],
                                         w_ ? w_ + r0 : nullptr, 1.0 / double(n_), G, &sum_c);
            partial_sum_c_[c * nc + k] = sum_c;
          }
        });
      }
      sum_c_.assign(static_cast<std::size_t>(mg), 0.0);
      for (Index c = 0; c < mg; ++c) {
        double s = 0.0, l = 0.0;
        for (Index k = 0; k < nc; ++k) {
          s += partial_sum_c_[c * nc + k];
          l += partial_loss_[c * nc + k];
        }
        sum_c_[c] = s;
        losses[c0 + c] = l;
      }
      // pass 2: g_c = Σ_k G_{c,k} (k in order) − x̄·Σc, per (configuration, block of
      // coordinates), then the caller's hook (configurations in parallel too: with d ≤ kBlock
      // one block per configuration)
      const Index nb = hook_blocks(), bs = hook_block();
      if (split_) continue;  // the gradients are final and their hooks have run (split mode)
      if (blocked_) {
        // the partials are d × kp (configurations innermost): one task per block of
        // coordinates and vector of 8 configurations sums them lane-wise, then scatters
        const Index nv = kp / detail::kBatchLanes;
        team.parallel_for(nv * nb, [&](Index t) {
          const Index v = t / nb, b = t % nb, j0 = b * bs, j1 = std::min(d_, j0 + bs);
          const Index cv = v * detail::kBatchLanes, cn = std::min(mg - cv, detail::kBatchLanes);
          double* g[detail::kBatchLanes];
          double sc[detail::kBatchLanes] = {};
          for (Index l = 0; l < cn; ++l) {
            g[l] = gs[c0 + cv + l];
            sc[l] = sum_c_[cv + l];
          }
          detail::reduce_partials(partial_g_.data() + cv, nc, d_ * kp, kp, j0, j1, x_mean_, sc, g, cn);
          for (Index l = 0; l < cn; ++l) on_block(c0 + cv + l, b, j0, j1);
        });
        continue;
      }
      team.parallel_for(mg * nb, [&](Index t) {
        const Index c = t / nb, b = t % nb, j0 = b * RowChunks::kBlock, j1 = std::min(d_, j0 + RowChunks::kBlock);
        double* g = gs[c0 + c];
        const double* G0 = part(c, 0);
        for (Index j = j0; j < j1; ++j) g[j] = G0[j];
        for (Index k = 1; k < nc; ++k) {
          const double* Gk = part(c, k);
#pragma omp simd
          for (Index j = j0; j < j1; ++j) g[j] += Gk[j];
        }
        if (x_mean_) {
          const double sc = sum_c_[c];
          for (Index j = j0; j < j1; ++j) g[j] -= x_mean_[j] * sc;
        }
        on_block(c0 + c, b, j0, j1);
      });
    }
  }

 private:
  // Split mode for kp configurations (see the file comment): when X stays in cache between the
  // two products, or when the row-partition mode's traffic in partial gradients (each block of
  // rb rows reads and writes G_p, d × kp, unless it fits in L2) exceeds a second read of X.
  // Both modes give the same bits, so the choice may depend on kp.
  bool split_for(Index kp) const {
    if (n_ * d_ * Index(sizeof(T)) <= kSplitBytes) return true;
    const bool g_in_l2 = d_ * kp * Index(sizeof(double)) <= (Index(512) << 10);
    return !g_in_l2 && 2 * kp * Index(sizeof(double)) > rows_ * Index(sizeof(T));
  }

  // Pass 1, fused (see the file comment): partition k's rows block by block into its partials
  // G_k (d × kp at partial_g_ + k·d·kp; the padding configurations' β is zero and their G
  // ignored), loss_c = ½Σ c∘r and Σc in row order.
  template <class OnBlock>
  void evaluate_blocked(Team& team, Index mg, Index kp, const double* const* betas, double* const* gs, Index c0,
                        OnBlock& on_block) {
    const Index nc = n_slots_, rb = rows_;
    // B packed d × kp, configurations innermost (padding columns zero)
    B_.resize(static_cast<std::size_t>(d_ * kp));
    shift_.resize(static_cast<std::size_t>(kp), 0.0);
    // in parallel by strips of rows (a copy: a serial pass here was ~8% of a 2-thread iteration
    // at (200, 2000), K = 128)
    team.parallel_blocks(d_, detail::kBatchStrip, [&](Index, Index j0, Index j1) {
      detail::pack_columns(betas, mg, j0, j1, kp, B_.data());
    });
    // split mode: C for all rows (n × kp), then one partial gradient (d × kp)
    R_.resize(static_cast<std::size_t>((split_ ? n_ : nc * rb) * kp));
    acc_.assign(static_cast<std::size_t>(nc * 2 * kp), 0.0);
    xrows_.resize(static_cast<std::size_t>(split_ ? n_ : nc * rb));
    std::atomic<bool> stop{false};
    team.parallel_for(nc, [&](Index k) {
      if (interrupt_pending()) {  // Ctrl-C inside a long pass (see interrupt.hpp)
        for (Index c = 0; c < mg; ++c) partial_loss_[c * nc + k] = std::numeric_limits<double>::quiet_NaN();
        stop = true;
        return;
      }
      Index r0, r1;
      RowChunks::split_rows(n_, nc, k, &r0, &r1);
      double* G = partial_g_.data() + k * d_ * kp;
      if (!split_) std::fill(G, G + d_ * kp, 0.0);
      double* loss = acc_.data() + k * 2 * kp;  // per configuration Σ c·r, then Σ c
      double* csum = loss + kp;
      const double uniform_w = 1.0 / double(n_);
      for (Index i0 = r0; i0 < r1; i0 += rb) {
        const Index rows = std::min(rb, r1 - i0);
        double* R = split_ ? R_.data() + i0 * kp : R_.data() + k * rb * kp;
        const T** xr = split_ ? xrows_.data() + i0 : xrows_.data() + k * rb;
        for (Index i = 0; i < rows; ++i) xr[i] = X_ + (i0 + i) * d_;
        std::fill(R, R + rows * kp, 0.0);
        detail::batch_forward(xr, rows, d_, B_.data(), kp, R);  // R = X_blk·B
        // C = W(R − Ỹ − shift), in place
        detail::batch_residual(R, rows, kp, y_ + i0, w_ ? w_ + i0 : nullptr, uniform_w, shift_.data(), loss, csum);
        if (!split_) detail::batch_backward(xr, rows, 0, d_, R, kp, G);  // G_k += X_blkᵀ·C
      }
      for (Index c = 0; c < mg; ++c) {
        partial_loss_[c * nc + k] = 0.5 * loss[c];
        partial_sum_c_[c * nc + k] = csum[c];
      }
    });
    if (!split_ || stop) return;
    // split mode, backward: G = XᵀC by strips of columns in parallel (each strip over the rows
    // of every partition, so each G[j][c] is summed exactly as in the row-partition mode), then
    // g_c = G[·][c] − x̄·Σc straight into gs, then the strip's hooks (strip s is hook block s)
    sum_c_.assign(static_cast<std::size_t>(kp), 0.0);
    for (Index c = 0; c < mg; ++c)
      for (Index k = 0; k < nc; ++k) sum_c_[c] += partial_sum_c_[c * nc + k];
    const Index ns = (d_ + kSplitCols - 1) / kSplitCols, nv = kp / detail::kBatchLanes;
    team.parallel_for(ns, [&](Index s) {
      const Index j0 = s * kSplitCols, j1 = std::min(d_, j0 + kSplitCols);
      // partition by partition, as the row-partition mode: G = G_0, then G += G_k in order
      // (each G_k summed from zero in the kernel's registers and added there)
      double* G = partial_g_.data();
      for (Index k = 0; k < nc; ++k) {
        Index r0, r1;
        RowChunks::split_rows(n_, nc, k, &r0, &r1);
        detail::batch_backward_fresh(xrows_.data() + r0, r1 - r0, j0, j1, R_.data() + r0 * kp, kp, G, k > 0);
      }
      for (Index v = 0; v < nv; ++v) {
        const Index cv = v * detail::kBatchLanes, cn = std::min(mg - cv, detail::kBatchLanes);
        if (cn <= 0) break;
        double* g[detail::kBatchLanes];
        for (Index l = 0; l < cn; ++l) g[l] = gs[cv + l];
        detail::reduce_partials(G + cv, 1, 0, kp, j0, j1, x_mean_, sum_c_.data() + cv, g, cn);
        for (Index l = 0; l < cn; ++l) on_block(c0 + cv + l, s, j0, j1);
      }
    });
  }

  LeastSquares<T> single_;
  const T* X_;
  Index n_, d_;
  const double* y_;
  const double* w_;
  const double* x_mean_;
  RowChunks chunks_;
  Index group_ = 1;
  bool blocked_ = false;
  bool split_ = false;  // blocked, X small: forward over row partitions, backward over column strips
  Index n_slots_ = 1;  // partial-sum slots per configuration: row chunks, or partitions (blocked)
  Index rows_ = 4;     // rows per block (blocked)
  std::vector<double> B_, R_, acc_;
  std::vector<const T*> xrows_;
  std::vector<double> partial_g_, partial_loss_, partial_sum_c_, shift_, sum_c_;
};

}  // namespace dlnfast
