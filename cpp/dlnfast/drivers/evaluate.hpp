// The full gradient with the stopping criterion, as every driver takes it: one evaluation of
// the loss (one read of X) whose coordinate pass also forms the per-block maxima of the
// network's criterion terms and rates.
#pragma once
#include <algorithm>
#include <vector>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_chunks.hpp"

namespace dlnfast {

struct Evaluation {
  double loss = 0.0;
  double criterion = 0.0;  ///< max_j criterion_term (not yet divided by grad_scale)
  double rate = 0.0;       ///< max_j rate: the step rule's rate bound
};

/// L, g = ∇L(β) and the maxima. `crit` and `rate` are per-block scratch (resized here);
/// maxima are order-independent, so the result does not depend on the team.
template <class Loss, class Net>
Evaluation evaluate_full(Loss& loss, const Net& net, const double* beta, double* g, Team& team,
                         std::vector<double>& crit, std::vector<double>& rate) {
  const Index nb = (loss.n_features() + RowChunks::kBlock - 1) / RowChunks::kBlock;
  crit.assign(nb, 0.0);
  rate.assign(nb, 0.0);
  Evaluation ev;
  ev.loss = loss.evaluate(beta, g, team, [&](Index b, Index j0, Index j1) {
    net.block_maxima(j0, j1, g, beta, &crit[b], &rate[b]);
  });
  for (Index b = 0; b < nb; ++b) {
    ev.criterion = std::max(ev.criterion, crit[b]);
    ev.rate = std::max(ev.rate, rate[b]);
  }
  return ev;
}

}  // namespace dlnfast
