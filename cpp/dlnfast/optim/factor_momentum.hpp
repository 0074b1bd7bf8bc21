// Heavy-ball and Nesterov momentum on the plain factors θ of a FactorNet (G = ∇_θ L + λθ):
//
//   heavy ball : v ← μv − ηG(θ),  θ ← θ + v
//   Nesterov   : the state is the look-ahead ŷ = θ + μv (as optim/momentum.hpp):
//                v ← μv − ηG(ŷ),  ŷ ← ŷ + μv − ηG(ŷ); the iterate is θ = ŷ − μv.
// Optimiser interface of optim/plain.hpp.
#pragma once
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/nets/factor_net.hpp"

namespace dlnfast {

class FactorMomentum {
 public:
  FactorMomentum(const FactorNet& net, double momentum, bool nesterov) : mu_(momentum), nesterov_(nesterov) {
    if (!(momentum >= 0.0 && momentum < 1.0)) throw std::invalid_argument("momentum must be in [0, 1)");
    vel_.assign(net.n_factors() * net.size(), 0.0);
  }

  StepStats step(FactorNet& net, double eta, const double* g, double* beta, Team& team) {
    const Index d = net.size(), K = net.n_factors();
    double* th = net.factors();
    double* vel = vel_.data();
    const double mu = mu_;
    const bool nest = nesterov_;
    return net.for_blocks(team, [&](Index j, const double* G) {
      for (Index k = 0; k < K; ++k) {
        const Index i = k * d + j;
        const double v = mu * vel[i] - eta * G[k];
        vel[i] = v;
        th[i] += nest ? mu * v - eta * G[k] : v;
      }
    }, g, beta);
  }
  void renormalise(FactorNet&) {}

  /// β at the iterate θ (Nesterov: ŷ − μv).
  void iterate_beta(const FactorNet& net, const double* beta_state, double* out) const {
    if (!nesterov_) {
      std::copy(beta_state, beta_state + net.size(), out);
      return;
    }
    iterate_.resize(vel_.size());
    const double* th = net.factors();
    for (std::size_t i = 0; i < vel_.size(); ++i) iterate_[i] = th[i] - mu_ * vel_[i];
    for (Index j = 0; j < net.size(); ++j) out[j] = net.beta_of(iterate_.data(), j);
  }

  /// Nesterov: move the state to the iterate θ = ŷ − μv at the end of a run; writes β there.
  void finish(FactorNet& net, double* beta) {
    if (!nesterov_) return;
    double* th = net.factors();
    for (std::size_t i = 0; i < vel_.size(); ++i) th[i] -= mu_ * vel_[i];
    net.beta(beta);
  }

 private:
  double mu_;
  bool nesterov_;
  std::vector<double> vel_;
  mutable std::vector<double> iterate_;
};

}  // namespace dlnfast
