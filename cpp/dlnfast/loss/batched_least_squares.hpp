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
// With `blocked = true` (float64 X only) each chunk instead forms R_k = X_k·B − Ỹ_k (B = [β_1 … β_K])
// and G_k = X_kᵀ·(W_k R_k) by two Eigen matrix products (single-threaded inside a chunk; chunks in
// parallel): the flop-rate regime of a GEMM, deterministic for any thread count (the chunks and
// Eigen's blocking depend on the sizes only), but summed in Eigen's order, so it differs from a
// single fit by rounding (bounded in tests/test_sweep.py).
//
// Memory: the partial gradients take K_g × n_chunks × d doubles, for groups of K_g configurations
// bounded by kMaxPartialBytes; a larger sweep makes one pass over X per group.
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
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

  /// Arguments as for LeastSquares (X used in place, never copied).
  BatchedLeastSquares(const T* X, Index n, Index d, const double* y_centred, const double* weights,
                      const double* x_mean, bool blocked = false)
      : single_(X, n, d, y_centred, weights, x_mean), X_(X), n_(n), d_(d), y_(y_centred), w_(weights),
        x_mean_(x_mean), chunks_(n, d), blocked_(blocked) {
    if (blocked && !std::is_same<T, double>::value)
      throw std::invalid_argument("the blocked (matrix-product) evaluation needs float64 X");
    const Index per = chunks_.n_chunks() * d * Index(sizeof(double));
    group_ = std::max<Index>(1, kMaxPartialBytes / std::max<Index>(per, 1));
  }

  /// The single-configuration loss (curvature estimates, the network's auto-step preparation).
  LeastSquares<T>& single() { return single_; }
  Index n_samples() const { return n_; }
  Index n_features() const { return d_; }
  Index work() const { return n_ * d_; }
  /// Configurations evaluated per pass over X.
  Index group_size() const { return group_; }

  /// For m configurations: losses[c] = L(β_c), g_c = ∇L(β_c) into gs[c] (length d each).
  /// on_block(c, b, j0, j1) runs once g_c[j0:j1] is final (as RowChunks::evaluate's on_block).
  template <class OnBlock>
  void evaluate(Index m, const double* const* betas, double* const* gs, double* losses, Team& team,
                OnBlock&& on_block) {
    const Index nc = chunks_.n_chunks();
    team_ = &team;
    for (Index c0 = 0; c0 < m; c0 += group_) {
      const Index mg = std::min(group_, m - c0);
      partial_g_.resize(static_cast<std::size_t>(mg * nc * d_));
      partial_loss_.assign(static_cast<std::size_t>(mg * nc), 0.0);
      partial_sum_c_.assign(static_cast<std::size_t>(mg * nc), 0.0);
      shift_.assign(static_cast<std::size_t>(mg), 0.0);
      // shift_c = x̄ᵀβ_c (the driver thread, as LeastSquares::evaluate)
      if (x_mean_)
        for (Index c = 0; c < mg; ++c)
          shift_[c] = Eigen::Map<const Eigen::VectorXd>(x_mean_, d_).dot(
              Eigen::Map<const Eigen::VectorXd>(betas[c0 + c], d_));
      // partial of configuration c (of the group) and chunk k
      auto part = [&](Index c, Index k) {
        return partial_g_.data() + (blocked_ ? (k * mg + c) : (c * nc + k)) * d_;
      };
      if (blocked_) {
        evaluate_blocked(mg, betas + c0, part);
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
      // pass 2: g_c = Σ_k G_{c,k} − x̄·Σc, block by block, then the caller's hook
      team.parallel_blocks(d_, RowChunks::kBlock, [&](Index b, Index j0, Index j1) {
        for (Index c = 0; c < mg; ++c) {
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
        }
      });
    }
  }

 private:
  // Pass 1 by matrix products: per chunk k, R = X_k·B − ỹ_k − shift, C = W R, G_k = X_kᵀC
  // (d × mg, column c at part(c, k)), loss_c = ½Σ c∘r and Σc in row order.
  template <class Part>
  void evaluate_blocked(Index mg, const double* const* betas, Part&& part) {
    using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
    using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Index nc = chunks_.n_chunks();
    B_.resize(d_, mg);
    for (Index c = 0; c < mg; ++c) B_.col(c) = Eigen::Map<const Eigen::VectorXd>(betas[c], d_);
    team_->parallel_for(nc, [&](Index k) {
      Index r0, r1;
      chunks_.rows_of(k, &r0, &r1);
      const Index rows = r1 - r0;
      Eigen::Map<const RowMat> Xk(reinterpret_cast<const double*>(X_) + r0 * d_, rows, d_);
      Mat R = Xk * B_;  // R = X_k·B
      for (Index c = 0; c < mg; ++c) {
        double loss = 0.0, csum = 0.0;
        for (Index i = 0; i < rows; ++i) {
          const double r = R(i, c) - y_[r0 + i] - shift_[c];
          const double cc = (w_ ? w_[r0 + i] : 1.0 / double(n_)) * r;
          loss += cc * r;
          csum += cc;
          R(i, c) = cc;
        }
        partial_loss_[c * nc + k] = 0.5 * loss;
        partial_sum_c_[c * nc + k] = csum;
      }
      Eigen::Map<Mat> Gk(part(0, k), d_, mg);
      Gk.noalias() = Xk.transpose() * R;  // G_k = X_kᵀ·C
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
  Team* team_ = nullptr;
  Eigen::MatrixXd B_;
  std::vector<double> partial_g_, partial_loss_, partial_sum_c_, shift_, sum_c_;
};

}  // namespace dlnfast
