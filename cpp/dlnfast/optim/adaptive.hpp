// Adaptive first-order methods on the factors θ of a FactorNet (DESIGN §10), with
// G = ∇_θ L + λθ the factor gradient of the penalised objective at step t = 1, 2, …:
//
//   Adam          m ← β₁m + (1 − β₁)G,  v ← β₂v + (1 − β₂)G²,
//                 θ ← θ − η·m̂/(√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)   (Kingma & Ba; sklearn MLP)
//   AdaGrad       s ← s + G²,              θ ← θ − η·G/(√s + ε)                  (per factor)
//   RMSProp       s ← β₂s + (1 − β₂)G²,    θ ← θ − η·G/(√s + ε)
//   AdaGrad-norm  b ← b + ‖G‖²,            θ ← θ − η·G/(√b + ε)                  (one scalar: Ward et al.
//                 2019; its update is a multiple of G, so on the linear model it stays in range(Xᵀ))
//
// All operations are per factor except AdaGrad-norm's ‖G‖², summed per coordinate block and
// then over blocks in block order (deterministic for any thread count).
// Optimiser interface of optim/plain.hpp.
#pragma once
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/nets/factor_net.hpp"

namespace dlnfast {

enum class AdaptiveKind : int { Adam = 0, AdaGrad = 1, RMSProp = 2, AdaGradNorm = 3 };

class Adaptive {
 public:
  Adaptive(const FactorNet& net, AdaptiveKind kind, double beta_1, double beta_2, double epsilon)
      : kind_(kind), b1_(beta_1), b2_(beta_2), eps_(epsilon) {
    if (!(beta_1 >= 0.0 && beta_1 < 1.0)) throw std::invalid_argument("beta_1 must be in [0, 1)");
    if (!(beta_2 >= 0.0 && beta_2 < 1.0)) throw std::invalid_argument("beta_2 must be in [0, 1)");
    if (!(epsilon > 0.0) || !std::isfinite(epsilon)) throw std::invalid_argument("epsilon must be > 0");
    if (static_cast<int>(kind) < 0 || static_cast<int>(kind) > 3) throw std::invalid_argument("unknown optimizer");
    const Index n = net.n_factors() * net.size();
    s_.assign(n, 0.0);
    if (kind == AdaptiveKind::Adam) m_.assign(n, 0.0);
  }

  StepStats step(FactorNet& net, double eta, const double* g, double* beta, Team& team) {
    ++t_;
    const Index d = net.size(), K = net.n_factors();
    double* th = net.factors();
    double* s = s_.data();
    switch (kind_) {
      case AdaptiveKind::Adam: {
        double* m = m_.data();
        const double c1 = 1.0 - std::pow(b1_, double(t_)), c2 = 1.0 - std::pow(b2_, double(t_));
        return net.for_blocks(team, [&](Index j, const double* G) {
          for (Index k = 0; k < K; ++k) {
            const Index i = k * d + j;
            m[i] = b1_ * m[i] + (1.0 - b1_) * G[k];
            s[i] = b2_ * s[i] + (1.0 - b2_) * G[k] * G[k];
            th[i] -= eta * (m[i] / c1) / (std::sqrt(s[i] / c2) + eps_);
          }
        }, g, beta);
      }
      case AdaptiveKind::AdaGrad:
        return net.for_blocks(team, [&](Index j, const double* G) {
          for (Index k = 0; k < K; ++k) {
            const Index i = k * d + j;
            s[i] += G[k] * G[k];
            th[i] -= eta * G[k] / (std::sqrt(s[i]) + eps_);
          }
        }, g, beta);
      case AdaptiveKind::RMSProp:
        return net.for_blocks(team, [&](Index j, const double* G) {
          for (Index k = 0; k < K; ++k) {
            const Index i = k * d + j;
            s[i] = b2_ * s[i] + (1.0 - b2_) * G[k] * G[k];
            th[i] -= eta * G[k] / (std::sqrt(s[i]) + eps_);
          }
        }, g, beta);
      default: {  // AdaGrad-norm: ‖G‖² first (block partials in block order), then the step
        const Index nb = (d + FactorNet::kBlock - 1) / FactorNet::kBlock;
        part_.assign(nb, 0.0);
        team.parallel_blocks(d, FactorNet::kBlock, [&](Index blk, Index j0, Index j1) {
          double G[FactorNet::kMaxFactors], acc = 0.0;
          for (Index j = j0; j < j1; ++j) {
            net.factor_gradient(j, g[j], G);
            for (Index k = 0; k < K; ++k) acc += G[k] * G[k];
          }
          part_[blk] = acc;
        });
        for (double p : part_) norm2_ += p;
        const double scale = eta / (std::sqrt(norm2_) + eps_);
        return net.for_blocks(team, [&](Index j, const double* G) {
          for (Index k = 0; k < K; ++k) th[k * d + j] -= scale * G[k];
        }, g, beta);
      }
    }
  }
  void renormalise(FactorNet&) {}
  void iterate_beta(const FactorNet& net, const double* beta_state, double* out) const {
    std::copy(beta_state, beta_state + net.size(), out);
  }
  void finish(FactorNet&, double*) {}

 private:
  AdaptiveKind kind_;
  double b1_, b2_, eps_;
  long long t_ = 0;
  double norm2_ = 0.0;
  std::vector<double> m_, s_, part_;
};

}  // namespace dlnfast
