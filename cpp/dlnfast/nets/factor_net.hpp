// A network held as plain factors θ (K per coordinate, no log-domain storage), for optimisers
// that are not expressible in DiagonalNet's rotated, multiplicative coordinates: adaptive
// methods act on the user's own factors (a diagonal preconditioner is not rotation invariant,
// so Adam on (u, v) differs from Adam on u ± v), and the linear model has no factors at all.
//
//   kind       K   β_j                     ∂β_j/∂θ_kj
//   linear     1   θ                       1
//   pm (D)     2   a^D − b^D               D·a^{D−1}, −D·b^{D−1}
//   uv         2   u·v                     v, u
//   positive   1   u²                      2u
//   product L  L   u¹·u²·…·u^L             Π_{i≠k} u^i  (untied deep layers, DESIGN §10)
//
// Factor gradient of the penalised objective (optim/weight_decay.hpp):
//   G_kj = ∂β_j/∂θ_kj · g_j + λ·θ_kj
// and plain GD (update): θ ← θ − η·G, all factors from the same θ. Factors may change sign
// (Adam steps are not multiplicative), so only non-finite values count as divergence.
//
// Storage: θ is K×d row-major, factor k of coordinate j at θ[k·d + j].
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/optim/weight_decay.hpp"

namespace dlnfast {

enum class FactorKind : int { Linear = 0, PM = 1, UV = 2, Positive = 3, Product = 4 };

class FactorNet {
 public:
  static constexpr int kMaxFactors = 64;
  static constexpr Index kBlock = 1024;

  /// theta: K×d initial factors (copied); depth: D of pm, L of product (ignored otherwise).
  FactorNet(Index d, FactorKind kind, int depth, const double* theta)
      : d_(d), kind_(kind), depth_(depth), K_(n_factors_of(kind, depth)) {
    theta_.assign(theta, theta + K_ * d);
  }

  /// K for a kind and depth; throws std::invalid_argument for an unknown kind or a bad depth.
  static Index n_factors_of(FactorKind kind, int depth) {
    switch (kind) {
      case FactorKind::Linear: case FactorKind::Positive: return 1;
      case FactorKind::PM:
        if (depth < 2 || depth > kMaxFactors) throw std::invalid_argument("depth must be in [2, 64]");
        return 2;
      case FactorKind::UV: return 2;
      case FactorKind::Product:
        if (depth < 1 || depth > kMaxFactors) throw std::invalid_argument("product depth must be in [1, 64]");
        return depth;
      default: throw std::invalid_argument("unknown factor kind");
    }
  }

  Index size() const { return d_; }
  Index n_factors() const { return K_; }
  FactorKind kind() const { return kind_; }
  /// The drivers' D: the automatic step's curvature is λ_max·D²·weight_max(), and weight_max()
  /// already is max_j Σ_k (∂β_j/∂θ_kj)² (so ‖JᵀAJ‖ ≤ λ_max·weight_max).
  int depth() const { return 1; }
  double* factors() { return theta_.data(); }
  const double* factors() const { return theta_.data(); }

  void set_weight_decay(double lambda, double t) {
    if (!(lambda >= 0.0) || !std::isfinite(lambda)) throw std::invalid_argument("weight_decay must be >= 0");
    const bool convex = kind_ == FactorKind::Linear || kind_ == FactorKind::UV || kind_ == FactorKind::Positive ||
                        (kind_ == FactorKind::PM && depth_ == 2);
    if (lambda > 0.0 && !convex) throw std::invalid_argument("weight_decay needs a depth-2 network or linear");
    if (lambda > 0.0 && !(t > 0.0 && std::isfinite(t))) throw std::invalid_argument("weight decay: t must be > 0");
    decay_ = WeightDecay{lambda, t};
  }
  const WeightDecay& weight_decay() const { return decay_; }

  /// β_j from the factors at `th` (K×d, stride d).
  double beta_of(const double* th, Index j) const {
    switch (kind_) {
      case FactorKind::Linear: return th[j];
      case FactorKind::PM: return ipow(th[j], depth_) - ipow(th[d_ + j], depth_);
      case FactorKind::UV: return th[j] * th[d_ + j];
      case FactorKind::Positive: return th[j] * th[j];
      default: {
        double p = 1.0;
        for (Index k = 0; k < K_; ++k) p *= th[k * d_ + j];
        return p;
      }
    }
  }
  void beta(double* out) const {
    for (Index j = 0; j < d_; ++j) out[j] = beta_of(theta_.data(), j);
  }

  /// jac[k] = ∂β_j/∂θ_kj at the current factors.
  void jacobian(Index j, double* jac) const {
    const double* th = theta_.data();
    switch (kind_) {
      case FactorKind::Linear: jac[0] = 1.0; return;
      case FactorKind::PM:
        jac[0] = depth_ * ipow(th[j], depth_ - 1);
        jac[1] = -depth_ * ipow(th[d_ + j], depth_ - 1);
        return;
      case FactorKind::UV: jac[0] = th[d_ + j]; jac[1] = th[j]; return;
      case FactorKind::Positive: jac[0] = 2.0 * th[j]; return;
      default: {  // prefix and suffix products: Π_{i<k} u^i · Π_{i>k} u^i
        double pre = 1.0;
        for (Index k = 0; k < K_; ++k) {
          jac[k] = pre;
          pre *= th[k * d_ + j];
        }
        double suf = 1.0;
        for (Index k = K_ - 1; k >= 0; --k) {
          jac[k] *= suf;
          suf *= th[k * d_ + j];
        }
        return;
      }
    }
  }

  /// G_k = ∂β_j/∂θ_kj·g_j + λθ_kj for the K factors of coordinate j.
  void factor_gradient(Index j, double gj, double* G) const {
    jacobian(j, G);
    for (Index k = 0; k < K_; ++k) G[k] = G[k] * gj + decay_.lambda * theta_[k * d_ + j];
  }

  double curvature_weight(Index j) const {
    double jac[kMaxFactors], s = 0.0;
    jacobian(j, jac);
    for (Index k = 0; k < K_; ++k) s += jac[k] * jac[k];
    return s;
  }
  double weight_max() const {
    double m = 0.0;
    for (Index j = 0; j < d_; ++j) m = std::max(m, curvature_weight(j));
    return m;
  }
  template <class Loss>
  void prepare_auto_step(Loss&, double, Team&) {}

  /// The second-order part of the Hessian of coordinate j, bounded: |g_j|·‖∇²_θ β_j‖_∞ + λ
  /// (‖·‖_∞ the largest absolute row sum). The automatic step min(1/(λ_max·weight_max), ¼/rate)
  /// then bounds both terms of H = JᵀAJ + Σ_j g_j∇²β_j + λI. A relative-change bound (as
  /// DiagonalNet's) would stall additive steps at a factor crossing 0, which the product network
  /// does on its way to a coefficient of the other sign.
  double rate(Index j, double gj) const {
    const double* th = theta_.data();
    double b = 0.0;
    switch (kind_) {
      case FactorKind::Linear: b = 0.0; break;
      case FactorKind::PM:
        b = depth_ * (depth_ - 1) * std::max(ipow(std::abs(th[j]), depth_ - 2), ipow(std::abs(th[d_ + j]), depth_ - 2));
        break;
      case FactorKind::UV: b = 1.0; break;
      case FactorKind::Positive: b = 2.0; break;
      default: {  // row k: Σ_{l≠k} |Π_{i≠k,l} u^i|, by leave-one-out products of the others
        double a[kMaxFactors], jac[kMaxFactors];
        for (Index k = 0; k < K_; ++k) a[k] = std::abs(th[k * d_ + j]);
        for (Index k = 0; k < K_; ++k) {
          double pre = 1.0, row = 0.0;
          for (Index l = 0; l < K_; ++l) {
            jac[l] = pre;
            if (l != k) pre *= a[l];
          }
          double suf = 1.0;
          for (Index l = K_ - 1; l >= 0; --l) {
            if (l != k) row += jac[l] * suf;
            if (l != k) suf *= a[l];
          }
          b = std::max(b, row);
        }
      }
    }
    return b * std::abs(gj) + decay_.lambda;
  }

  /// The criterion's term: |g_j| (positive, and pm with one branch at 0: the projected residual
  /// |min(x, g)| as in DiagonalNet); with weight decay the gradient of the penalised objective
  /// in β: ridge g + λβ for linear, the lasso mapping of optim/weight_decay.hpp otherwise.
  double criterion_term(Index j, double gj, const double* beta) const {
    int sign = 0;
    if (kind_ == FactorKind::Positive) sign = 1;
    if (kind_ == FactorKind::PM) sign = theta_[d_ + j] == 0.0 ? 1 : (theta_[j] == 0.0 ? -1 : 0);
    if (decay_.active()) {
      if (kind_ == FactorKind::Linear) return std::abs(gj + decay_.lambda * beta[j]);
      const double mu = kind_ == FactorKind::UV ? decay_.lambda : 0.5 * decay_.lambda;
      return WeightDecay::lasso_mapping(beta[j], gj, mu, decay_.t, sign);
    }
    if (sign > 0) return std::abs(std::min(beta[j], gj));
    if (sign < 0) return std::abs(std::min(-beta[j], -gj));
    return std::abs(gj);
  }
  void block_maxima(Index j0, Index j1, const double* g, const double* beta, double* crit, double* rate_max) const {
    double c = 0.0, r = 0.0;
    for (Index j = j0; j < j1; ++j) {
      c = std::max(c, criterion_term(j, g[j], beta));
      r = std::max(r, rate(j, g[j]));
    }
    *crit = c;
    *rate_max = r;
  }

  /// Plain GD: θ ← θ − η·G over coordinate blocks; writes β.
  StepStats update(double eta, const double* g, double* beta, Team& team) {
    return for_blocks(team, [&](Index j, double* G) {
      for (Index k = 0; k < K_; ++k) theta_[k * d_ + j] -= eta * G[k];
    }, g, beta);
  }
  void renormalise() {}

  /// Runs `apply(j, G)` (G: the factor gradient of coordinate j at the current θ; `apply`
  /// updates that coordinate's factors) over coordinate blocks on the team, then writes β_j;
  /// returns the merged StepStats (weight_max of the new factors, non-finite β).
  template <class Apply>
  StepStats for_blocks(Team& team, Apply&& apply, const double* g, double* beta) {
    const Index nb = (d_ + kBlock - 1) / kBlock;
    stats_.assign(nb, StepStats{});
    team.parallel_blocks(d_, kBlock, [&](Index blk, Index j0, Index j1) {
      StepStats st;
      double G[kMaxFactors];
      for (Index j = j0; j < j1; ++j) {
        factor_gradient(j, g[j], G);
        apply(j, G);
        const double b = beta_of(theta_.data(), j);
        beta[j] = b;
        st.weight_max = std::max(st.weight_max, curvature_weight(j));
        st.nonfinite = st.nonfinite || !(std::abs(b) <= std::numeric_limits<double>::max());
      }
      stats_[blk] = st;
    });
    StepStats out;
    for (const StepStats& s : stats_) out.merge(s);
    return out;
  }

 private:
  static double ipow(double x, int p) {
    double r = 1.0;
    for (int i = 0; i < p; ++i) r *= x;
    return r;
  }

  Index d_;
  FactorKind kind_;
  int depth_;
  Index K_ = 1;
  std::vector<double> theta_;
  std::vector<StepStats> stats_;
  WeightDecay decay_;
};

}  // namespace dlnfast
