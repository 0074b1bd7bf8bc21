// Heavy-ball and Nesterov momentum on the factors of a DiagonalNet.
//
// With G = ∇_w L at the gradient point (∂L/∂w₊ = D·w₊^{D−1}·g, ∂L/∂w₋ = −D·w₋^{D−1}·g):
//
//   heavy ball : v ← μ·v − η·G(w),  w ← w + v            (w_{k+1} = w_k − ηG + μ(w_k − w_{k−1}))
//   Nesterov   : the state is the look-ahead ŷ = w + μ·v (Bengio et al.'s form):
//                v ← μ·v − η·G(ŷ),  ŷ ← ŷ + μ·v − η·G(ŷ)
//                which is v_{k+1} = μv_k − ηG(w_k + μv_k), w_{k+1} = w_k + v_{k+1}; the iterate
//                is recovered as w = ŷ − μ·v (iterate_beta, finish).
//
// Storage: the additive update does not fit the multiplicative m·2^e storage of the factors
// directly, so the velocity is kept in the same frame as its factor: v_k = ν_k·2^{e_k}. The update
// is then done on mantissas (w = m·2^e ⇒ G/2^e = ±D·m·(w^{D−2})·g), and when the network
// renormalises a factor by 2^s, ν is rescaled by the same power of two (exact).
//
// Unlike plain GD (where a factor changing sign means the step broke 2η|g| < 1), heavy ball
// can legitimately carry a factor through 0: on the linear decay w ← w(1 − a) its iteration
// oscillates as soon as a > (1 − √μ)². So signs are allowed (m may be negative; the network
// reports them through DiagonalNet::signs) and only non-finite values count as divergence.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/nets/diagonal_net.hpp"

namespace dlnfast {

/// Optimiser interface of optim/plain.hpp, for DiagonalNet.
class Momentum {
 public:
  Momentum(Index d, double momentum, bool nesterov) : d_(d), mu_(momentum), nesterov_(nesterov) {
    if (!(momentum >= 0.0 && momentum < 1.0)) throw std::invalid_argument("momentum must be in [0, 1)");
    nu_.assign(2 * d, 0.0);
  }

  double momentum() const { return mu_; }
  bool nesterov() const { return nesterov_; }
  double* velocity() { return nu_.data(); }

  /// One momentum step of size η with gradient g (taken at the network's current state), over
  /// coordinate blocks spread on the team; writes β of the new state. Signs may change, so
  /// min_factor stays +inf: only non-finite values count as divergence.
  StepStats step(DiagonalNet& net, double eta, const double* g, double* beta, Team& team) {
    const Index nb = (d_ + kBlock - 1) / kBlock;
    stats_.assign(nb, StepStats{});
    team.parallel_blocks(d_, kBlock, [&](Index blk, Index j0, Index j1) {
      stats_[blk] = step_block(net, eta, g, beta, j0, j1);
    });
    StepStats out;
    for (const StepStats& s : stats_) out.merge(s);
    return out;
  }

  /// Serial: renormalise the network and rescale the velocity with it.
  void renormalise(DiagonalNet& net) { net.renormalise(nu_.data()); }

  /// β at the iterate w (heavy ball: the state; Nesterov: ŷ − μv).
  void iterate_beta(const DiagonalNet& net, const double* beta_state, double* out) const {
    if (!nesterov_) {
      std::copy(beta_state, beta_state + d_, out);
      return;
    }
    const double* m = net.mantissas();
    for (Index j = 0; j < d_; ++j) {
      const double p = m[j] == 0.0 ? 0.0 : net.power_of(j, m[j] - mu_ * nu_[j]);
      const double q = m[d_ + j] == 0.0 ? 0.0 : net.power_of(d_ + j, m[d_ + j] - mu_ * nu_[d_ + j]);
      out[j] = p - q;
    }
  }

  /// Serial, at the end of a run: move a Nesterov state from ŷ to the iterate w = ŷ − μv (and
  /// the velocity with it, so that a warm start continues exactly); writes β of w.
  void finish(DiagonalNet& net, double* beta) {
    if (!nesterov_) return;
    double* m = net.mantissas();
    for (Index k = 0; k < 2 * d_; ++k) {
      if (m[k] != 0.0) m[k] -= mu_ * nu_[k];
    }
    renormalise(net);
    net.beta(beta);
  }

 private:
  static constexpr Index kBlock = 1024;

  StepStats step_block(DiagonalNet& net, double eta, const double* g, double* beta, Index j0, Index j1) {
    StepStats local;
    double* m = net.mantissas();
    double* nu = nu_.data();
    const Index d = d_;
    const double D = net.depth();
    const double mu = mu_;
    const bool nest = nesterov_;
    const double lam = net.weight_decay().lambda;  // weight decay: G gains λ_e·w (optim/weight_decay.hpp)
    for (Index j = j0; j < j1; ++j) {
      double b = 0.0, wsum = 0.0;
      for (int side = 0; side < 2; ++side) {
        const Index k = side == 0 ? j : d + j;
        if (m[k] == 0.0) continue;
        const double mk = m[k];
        // G/2^e = ±D·m·w^{D−2}·g  (+ for w₊, − for w₋)
        const double gk = D * mk * net.rate_power(k) * (side == 0 ? g[j] : -g[j]);
        const double step = lam == 0.0 ? eta * D * mk * net.rate_power(k) * (side == 0 ? g[j] : -g[j])
                                       : eta * (gk + lam * mk);
        const double v = mu * nu[k] - step;                    // v ← μv − ηG
        const double mn = nest ? mk + mu * v - step : mk + v;  // ŷ ← ŷ + μv − ηG  |  w ← w + v
        nu[k] = v;
        m[k] = mn;
        const double amn = std::abs(mn);
        local.renormalise = local.renormalise || !(amn >= DiagonalNet::kLow && amn <= DiagonalNet::kHigh);
        const double p = net.power_of(k, mn);
        b += side == 0 ? p : -p;
        wsum += p * net.rate_power_of(k, mn);
      }
      beta[j] = b;
      local.weight_max = std::max(local.weight_max, wsum);
      local.nonfinite = local.nonfinite || !(std::abs(b) <= std::numeric_limits<double>::max());
    }
    return local;
  }

  Index d_;
  double mu_;
  bool nesterov_;
  std::vector<StepStats> stats_;
  std::vector<double> nu_;  // velocity mantissas, [ν₊ (d) | ν₋ (d)], v_k = ν_k·2^{e_k}
};

}  // namespace dlnfast
