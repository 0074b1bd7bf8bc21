// Full-batch descent for K configurations that share X: run_full_batch (drivers/full_batch.hpp)
// for each of K (network, optimiser, options) triples, advanced together so that each iteration
// reads X once for all configurations still running (loss/batched_least_squares.hpp).
//
// Iteration (for every running configuration c):
//   L_c, g_c = ∇L(β_c)                         one batched pass over X for all running c
//   stop?  η_c = StepRule_c::at(...)           exactly as run_full_batch, per configuration
//   state_c ← Optim_c::step(η_c, g_c)
// A configuration that stops (tol, target_loss, max_iter, divergence) leaves the running set and
// costs nothing afterwards. Every per-configuration quantity (evaluation, step rule, stopping,
// renormalisation, history) is computed by the same code in the same order as run_full_batch,
// so each result is bit-identical to running that configuration alone (tests/test_sweep.py).
// Shared: the team, the monitor (Ctrl-C and time_limit stop every configuration), and
// λ_max for automatic steps (one power iteration, a deterministic function of X).
#pragma once
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/drivers/full_batch.hpp"
#include "dlnfast/loss/batched_least_squares.hpp"
#include "dlnfast/loss/row_chunks.hpp"

namespace dlnfast {

/// The fused mode's team threshold over the single fits' (kMinParallelWork): its kernels run
/// 5–10× faster per multiply-add than the single kernel, so a pass of equal work is that much
/// shorter, and an iteration has three passes of its own (forward, backward with the maxima,
/// the K updates). Measured (`python benchmarks/bench_sweep.py --pairs`, K = 32, 2 threads /
/// 1 thread, 2-core EPYC VM at load 2.6–3.6 from other processes): n·d·K = 8e5: 0.61–0.74;
/// 3.2e6: 0.77–0.96 (0.124 against ~0.2 ms per iteration, i.e. ~1.6×, when both cores were
/// free, 2026-12-03); 1.3e7: 0.97–1.6; 2.9e7 and up: 1.0–1.8. So 2^21 ≈ 2.1e6.
inline constexpr Index kFusedWorkFactor = 16;

/// Runs K configurations from their networks' current states. betas[c] (length d) receives β_c
/// at its last iterate; results[c] its RunResult. n_threads and min_parallel_work are taken from
/// opts[0] (the team is shared). Only bad arguments throw (before any work).
template <class T, class Net, class Optim>
void run_full_batch_many(BatchedLeastSquares<T>& loss, std::vector<Net>& nets, std::vector<Optim>& optims,
                         const std::vector<FullBatchOptions>& opts, double* const* betas,
                         std::vector<History>& hists, Monitor& monitor, std::vector<RunResult>& results) {
  const Index K = static_cast<Index>(nets.size());
  const Index d = loss.n_features();
  if (static_cast<Index>(optims.size()) != K || static_cast<Index>(opts.size()) != K ||
      static_cast<Index>(hists.size()) != K)
    throw std::invalid_argument("one network, optimiser, options and history per configuration");
  for (Index c = 0; c < K; ++c) {
    const FullBatchOptions& o = opts[c];
    if (nets[c].size() != d) throw std::invalid_argument("network and X disagree on n_features");
    if (o.stop.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
    if (!o.step.auto_step && !(o.step.step > 0.0)) throw std::invalid_argument("step must be > 0");
    if (!(o.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
    if (!(o.step.step_decay >= 0.0)) throw std::invalid_argument("step_decay must be >= 0");
  }
  results.assign(K, RunResult{});
  if (K == 0) return;
  const Index nb = loss.hook_blocks();  // blocks of the evaluation's per-block maxima
  // a pass costs n·d multiply-adds per configuration: the team's threshold applies to the
  // batch, kFusedWorkFactor times higher in the fused mode (see there)
  const Index min_work = loss.blocked() ? opts[0].min_parallel_work * kFusedWorkFactor : opts[0].min_parallel_work;
  Team::run(work_threads(opts[0].n_threads, loss.work() * K, min_work), [&](Team& team) {
    team.adapt_to_contention();  // three short passes per iteration: see Team::adapt_to_contention
    double shared_lambda = 0.0;  // λ_max by power iteration, computed once if some config needs it
    std::vector<double> g(static_cast<std::size_t>(K * d)), crit(static_cast<std::size_t>(K * nb)),
        rate(static_cast<std::size_t>(K * nb)), weight_max(K), prev_rate(K, 0.0), losses(K);
    std::vector<StepStats> stats(K);
    std::vector<Status> status(K, Status::Running);
    std::vector<Index> iter(K, 0), running;
    for (Index c = 0; c < K; ++c) {
      if (opts[c].step.auto_step) {
        if (opts[c].lambda_max > 0.0) {
          results[c].lambda_max = opts[c].lambda_max;
        } else {
          if (!(shared_lambda > 0.0)) shared_lambda = loss.single().curvature(team);
          results[c].lambda_max = shared_lambda;
        }
        nets[c].prepare_auto_step(loss.single(), results[c].lambda_max, team);
      }
      running.push_back(c);
    }
    // per configuration, in parallel (a serial loop here was ~4% of a 19-iteration call at
    // (200, 2000), K = 128, 2 threads)
    team.parallel_for(K, [&](Index c) {
      nets[c].beta(betas[c]);
      weight_max[c] = nets[c].weight_max();
    });
    std::vector<const double*> bptr;
    std::vector<double*> gptr;
    std::vector<double> run_loss;
    bool interrupted = false;
    while (!running.empty()) {
      const Index m = static_cast<Index>(running.size());
      bptr.resize(m);
      gptr.resize(m);
      run_loss.resize(m);
      for (Index i = 0; i < m; ++i) {
        const Index c = running[i];
        bptr[i] = betas[c];
        gptr[i] = g.data() + c * d;
        std::fill(crit.begin() + c * nb, crit.begin() + (c + 1) * nb, 0.0);
        std::fill(rate.begin() + c * nb, rate.begin() + (c + 1) * nb, 0.0);
      }
      loss.evaluate(m, bptr.data(), gptr.data(), run_loss.data(), team, [&](Index i, Index b, Index j0, Index j1) {
        const Index c = running[i];
        nets[c].block_maxima(j0, j1, gptr[i], bptr[i], &crit[c * nb + b], &rate[c * nb + b]);
      });
      std::vector<Index> still;
      for (Index i = 0; i < m; ++i) {
        const Index c = running[i];
        RunResult& res = results[c];
        double ev_crit = 0.0, ev_rate = 0.0;
        for (Index b = 0; b < nb; ++b) {
          ev_crit = std::max(ev_crit, crit[c * nb + b]);
          ev_rate = std::max(ev_rate, rate[c * nb + b]);
        }
        ++res.n_grad;
        const Index it = iter[c];
        if (it > 0) {  // the outcome of the previous update
          if (stats[c].diverged()) {
            status[c] = Status::Diverged;
            res.suggested_step = suggested_step(prev_rate[c]);
          } else if (stats[c].renormalise) {
            optims[c].renormalise(nets[c]);
          }
          weight_max[c] = stats[c].weight_max;
        }
        res.loss = run_loss[i];
        res.criterion = ev_crit / opts[c].grad_scale;
        if (status[c] == Status::Running) {
          hists[c].record_loss(it, run_loss[i]);
          if (double* row = hists[c].snapshot_row(it)) optims[c].iterate_beta(nets[c], betas[c], row);
          status[c] = interrupted ? Status::Interrupted
                                  : check_stop(opts[c].stop, it, run_loss[i], res.criterion, monitor);
          if (status[c] == Status::Interrupted) interrupted = true;
        }
        if (status[c] == Status::Running) {
          const int D = nets[c].depth();
          const double eta = opts[c].step.at(it, res.lambda_max * D * D * weight_max[c], ev_rate);
          if (!std::isfinite(eta)) status[c] = Status::Converged;  // g = 0 exactly
          else {
            res.step = eta;
            prev_rate[c] = ev_rate;
            ++iter[c];
            still.push_back(c);
            continue;
          }
        }
        optims[c].finish(nets[c], betas[c]);  // Nesterov: report the iterate w, not the look-ahead
        res.status = status[c];
        res.n_iter = iter[c];
        res.elapsed = monitor.elapsed();
      }
      // the updates of the configurations that go on, in parallel over configurations (one
      // configuration: over its coordinate blocks); an update's bits do not depend on the team
      if (still.size() == 1) {
        const Index c = still[0];
        stats[c] = optims[c].step(nets[c], results[c].step, g.data() + c * d, betas[c], team);
      } else {
        team.parallel_for(static_cast<Index>(still.size()), [&](Index i) {
          const Index c = still[i];
          stats[c] = optims[c].step(nets[c], results[c].step, g.data() + c * d, betas[c], Team::serial());
        });
      }
      if (interrupted) {  // Ctrl-C stops every configuration at its current iterate
        for (Index c : still) {
          optims[c].finish(nets[c], betas[c]);
          results[c].status = Status::Interrupted;
          results[c].n_iter = iter[c];
          results[c].elapsed = monitor.elapsed();
        }
        still.clear();
      }
      running.swap(still);
    }
  });
}

}  // namespace dlnfast
