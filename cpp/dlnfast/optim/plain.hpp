// The plain step: the network's own update with the step η and gradient g.
//
// Optimiser interface (what drivers/full_batch.hpp and drivers/stochastic.hpp call):
//   StepStats step(net, η, g, β, team)   one update of the network's state; writes β there
//   void renormalise(net)                after StepStats::renormalise (exact, storage only)
//   void iterate_beta(net, β_state, out) β at the iterate (differs from the state for Nesterov)
//   void finish(net, β)                  once, at the end of the run
// Adam/AdaGrad/RMSProp and weight decay are one more file each with this interface.
#pragma once
#include <algorithm>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast {

struct PlainStep {
  template <class Net>
  StepStats step(Net& net, double eta, const double* g, double* beta, Team& team) {
    return net.update(eta, g, beta, team);
  }
  template <class Net>
  void renormalise(Net& net) {
    net.renormalise();
  }
  template <class Net>
  void iterate_beta(const Net& net, const double* beta_state, double* out) const {
    std::copy(beta_state, beta_state + net.size(), out);
  }
  template <class Net>
  void finish(Net&, double*) {}
};

}  // namespace dlnfast
