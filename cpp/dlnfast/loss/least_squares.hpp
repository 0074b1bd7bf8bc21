// The least-squares loss on a dense, row-major X, with implicit centring and sample weights:
//
//   L(β) = ½ Σ_i w_i (x_iᵀβ − x̄ᵀβ − ỹ_i)²,     Σ_i w_i = 1 (w_i = 1/n unweighted)
//   g(β) = Σ_i w_i r_i x_i − x̄ Σ_i w_i r_i
//
// With x̄ = 0 and ỹ = y this is DESIGN §2's L = ‖Xβ − y‖²/(2n). Centring (fit_intercept) is
// done through x̄ and ỹ = y − ȳ instead of forming X − 1x̄ᵀ, so X is never copied.
//
// The loss interface every driver uses (a logistic or exponential loss is one more file like
// this one, with its own row kernel behind RowChunks):
//   n_samples(), n_features()
//   evaluate(β, g, team[, on_block]) → L        one read of X, deterministic (row_chunks.hpp)
//   curvature(team)                             λ_max of the loss's Hessian in β (auto steps)
//   curvature_diag(diag, team)                  its diagonal (mirror descent's trace bound)
//   Stochastic drivers: row(i), x_mean(), sample_weight(i) (= n·w_i), derivative(i, x̃_iᵀβ)
//   (ℓ' at that sample: the residual r_i).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_chunks.hpp"
#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {

template <class T>
class LeastSquares {
 public:
  using Scalar = T;

  /// X: n×d row-major (used in place, never copied); y_centred: ỹ (length n);
  /// weights: w (length n, summing to 1) or nullptr for w_i = 1/n; x_mean: x̄ (length d) or nullptr.
  LeastSquares(const T* X, Index n, Index d, const double* y_centred, const double* weights,
               const double* x_mean)
      : X_(X), n_(n), d_(d), y_(y_centred), w_(weights), x_mean_(x_mean), chunks_(n, d) {
    if (n <= 0 || d <= 0) throw std::invalid_argument("X must have at least one row and one column");
  }

  Index n_samples() const { return n_; }
  Index n_features() const { return d_; }
  /// Multiply-adds of one evaluation (for work_threads).
  Index work() const { return n_ * d_; }

  /// L(β) and g = ∇L(β) (see RowChunks::evaluate for on_block).
  template <class OnBlock>
  double evaluate(const double* beta, double* g, Team& team, OnBlock&& on_block) {
    return evaluate_target(beta, y_, g, team, on_block);
  }
  double evaluate(const double* beta, double* g, Team& team) { return evaluate(beta, g, team, NoBlockHook{}); }

  /// λ_max(X_cᵀ W X_c) by power iteration (X_c the centred X), at most `max_iter` passes over X
  /// (the Rayleigh quotient is a lower bound whose error is quadratic in the vector's, so a few
  /// dozen passes give it to ~1e-3 even when the top eigenvalues cluster, as for random X),
  /// stopping when the Rayleigh quotient changes by less than `rtol` (relative). Deterministic
  /// start vector, so the estimate is reproducible.
  double curvature(Team& team, int max_iter = 30, double rtol = 1e-4) {
    using Vec = Eigen::VectorXd;
    Vec v(d_), gv(d_);
    for (Index j = 0; j < d_; ++j) v[j] = 1.0 + 0.1 * double(j % 7);
    v.normalize();
    double est = 0.0;
    for (int it = 0; it < max_iter; ++it) {
      // gv = X_cᵀ W X_c v: the gradient of ½‖X_c v‖²_W, i.e. a zero target
      evaluate_target(v.data(), nullptr, gv.data(), team, NoBlockHook{});
      const double rq = v.dot(gv), ng = gv.norm();
      if (!(ng > 0.0) || !std::isfinite(ng)) return std::max(rq, 0.0);
      v = gv / ng;
      const bool done = it > 0 && std::abs(rq - est) <= rtol * std::abs(rq);
      est = rq;
      if (done) break;
    }
    return est;
  }

  /// diag_j = Σ_i w_i (x_ij − x̄_j)²: the diagonal of X_cᵀ W X_c (one pass over X, rows in
  /// chunks, partials added in chunk order).
  void curvature_diag(double* diag, Team& team) {
    const Index nc = chunks_.n_chunks();
    std::vector<double> part(static_cast<std::size_t>(nc * d_), 0.0);
    team.parallel_for(nc, [&](Index k) {
      Index r0, r1;
      chunks_.rows_of(k, &r0, &r1);
      double* P = part.data() + k * d_;
      for (Index i = r0; i < r1; ++i) {
        const T* x = row(i);
        const double wi = w_ ? w_[i] : 1.0 / double(n_);
        for (Index j = 0; j < d_; ++j) {
          const double v = double(x[j]) - (x_mean_ ? x_mean_[j] : 0.0);
          P[j] += wi * v * v;
        }
      }
    });
    std::fill(diag, diag + d_, 0.0);
    for (Index k = 0; k < nc; ++k)
      for (Index j = 0; j < d_; ++j) diag[j] += part[k * d_ + j];
  }

  // ---- per-sample access for stochastic drivers ----
  const T* row(Index i) const { return X_ + i * d_; }
  const double* x_mean() const { return x_mean_; }
  /// n·w_i (1 unweighted): the sample's weight relative to uniform.
  double sample_weight(Index i) const { return w_ ? w_[i] * double(n_) : 1.0; }
  /// ℓ'_i at the centred prediction p = x̃_iᵀβ: the residual p − ỹ_i.
  double derivative(Index i, double prediction) const { return prediction - y_[i]; }
  /// Largest second derivative ℓ'' over samples (1 for least squares): scales curvature bounds.
  static constexpr double max_second_derivative() { return 1.0; }

 private:
  // L and g for the target `target` (null: zero target, used by the power iteration).
  template <class OnBlock>
  double evaluate_target(const double* beta, const double* target, double* g, Team& team, OnBlock&& on_block) {
    // shift = x̄ᵀβ (computed once, by the driver thread)
    const double shift = x_mean_ ? Eigen::Map<const Eigen::VectorXd>(x_mean_, d_).dot(
                                       Eigen::Map<const Eigen::VectorXd>(beta, d_))
                                 : 0.0;
    auto rows = [&](Index, Index r0, Index r1, double* G, double* sum_c) {
      return 0.5 * detail::fused_rows(X_ + r0 * d_, r1 - r0, d_, beta, target ? target + r0 : nullptr, shift,
                                      w_ ? w_ + r0 : nullptr, 1.0 / double(n_), G, sum_c);
    };
    return chunks_.evaluate(team, rows, x_mean_, g, on_block);
  }

  const T* X_;
  Index n_, d_;
  const double* y_;
  const double* w_;
  const double* x_mean_;
  RowChunks chunks_;
};

/// out = Xᵀv with the loss's own kernel and team: the same deterministic chunked sum, and no
/// BLAS call whose spinning worker threads would then compete with the solve that follows.
template <class T>
void xt_dot(const T* X, Index n, Index d, const double* v, double* out, int n_threads) {
  std::vector<double> minus_v(n), zeros(d, 0.0);
  for (Index i = 0; i < n; ++i) minus_v[i] = -v[i];
  LeastSquares<T> ls(X, n, d, minus_v.data(), nullptr, nullptr);
  // at β = 0 the residual is r = v, so the gradient (weights 1/n) is Xᵀv/n
  Team::run(work_threads(n_threads, n * d), [&](Team& team) { ls.evaluate(zeros.data(), out, team); });
  for (Index j = 0; j < d; ++j) out[j] *= double(n);
}

}  // namespace dlnfast
