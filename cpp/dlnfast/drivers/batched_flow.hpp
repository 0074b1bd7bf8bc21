// The exact gradient flow (drivers/flow.hpp) for K configurations that share X and advance
// together: each configuration is its own FlowStepper (own θ, step size, error control, output
// times, stopping), and every Runge–Kutta stage evaluates the gradients of all configurations
// still integrating in one batched pass over X (loss/batched_least_squares.hpp).
//
//   loop:  P = {c : stepper c wants an evaluation}      (a stopped run leaves P for good)
//          L_c, g_c = ∇L(point_c) for all c ∈ P          one read of X for all of them
//          stepper_c.absorb(L_c, crit_c)                 exactly as run_flow, per configuration
//
// Configurations do not wait for each other: one may be at stage 3 of a step while another is
// at stage 6 of a rejected one; each pass takes every configuration's next point. In the exact
// mode of BatchedLeastSquares each (L_c, g_c) is bit-identical to LeastSquares's, and the
// criterion maxima come from the same blocks, so each run's sequence of points and its result are
// bit-identical to run_flow on that configuration alone (tests/test_sweep.py). Shared: the team
// and the monitor (Ctrl-C and time_limit stop every configuration).
#pragma once
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/drivers/flow.hpp"
#include "dlnfast/loss/batched_least_squares.hpp"
#include "dlnfast/loss/row_chunks.hpp"
#include "dlnfast/nets/mirror_net.hpp"

namespace dlnfast {

/// Integrates K flows from their networks' θ (no output times: each to its tol, t_end,
/// target_loss or max_iter). betas[c] (length d) receives β_c at the time reached; results[c]
/// its RunResult (t included), hists[c] its loss record with times. n_threads and
/// min_parallel_work are taken from opts[0] (the team is shared). Only bad arguments throw.
template <class T>
void run_flow_many(BatchedLeastSquares<T>& loss, std::vector<MirrorNet>& nets, const std::vector<FlowOptions>& opts,
                   double* const* betas, std::vector<History>& hists, Monitor& monitor,
                   std::vector<RunResult>& results) {
  const Index K = static_cast<Index>(nets.size());
  const Index d = loss.n_features();
  if (static_cast<Index>(opts.size()) != K || static_cast<Index>(hists.size()) != K)
    throw std::invalid_argument("one network, options and history per configuration");
  for (Index c = 0; c < K; ++c) check_flow_args(nets[c], d, opts[c], nullptr, 0);
  results.assign(K, RunResult{});
  if (K == 0) return;
  const Index nb = loss.hook_blocks();  // blocks of the evaluation's per-block maxima
  // a pass costs n·d multiply-adds per configuration: the team's threshold applies to the batch
  Team::run(work_threads(opts[0].n_threads, loss.work() * K, opts[0].min_parallel_work), [&](Team& team) {
    std::vector<FlowStepper> runs;
    runs.reserve(K);
    for (Index c = 0; c < K; ++c) {
      runs.emplace_back(nets[c], opts[c], nullptr, 0, nullptr, betas[c], hists[c], results[c]);
      runs.back().begin(team);
    }
    std::vector<double> crit(static_cast<std::size_t>(K * nb)), rate(static_cast<std::size_t>(K * nb)), losses;
    std::vector<const double*> bptr;
    std::vector<double*> gptr;
    std::vector<Index> active;
    for (;;) {
      active.clear();
      for (Index c = 0; c < K; ++c)
        if (runs[c].wants_eval()) active.push_back(c);
      const Index m = static_cast<Index>(active.size());
      if (m == 0) break;
      bptr.resize(m);
      gptr.resize(m);
      losses.resize(m);
      for (Index i = 0; i < m; ++i) {
        bptr[i] = runs[active[i]].point();
        gptr[i] = runs[active[i]].grad();
      }
      std::fill(crit.begin(), crit.begin() + m * nb, 0.0);
      std::fill(rate.begin(), rate.begin() + m * nb, 0.0);
      loss.evaluate(m, bptr.data(), gptr.data(), losses.data(), team, [&](Index i, Index b, Index j0, Index j1) {
        nets[active[i]].block_maxima(j0, j1, gptr[i], bptr[i], &crit[i * nb + b], &rate[i * nb + b]);
      });
      for (Index i = 0; i < m; ++i) {
        double ev_crit = 0.0;
        for (Index b = 0; b < nb; ++b) ev_crit = std::max(ev_crit, crit[i * nb + b]);
        runs[active[i]].absorb(losses[i], ev_crit, team, monitor);
      }
    }
  });
  for (Index c = 0; c < K; ++c) results[c].elapsed = monitor.elapsed();
}

}  // namespace dlnfast
