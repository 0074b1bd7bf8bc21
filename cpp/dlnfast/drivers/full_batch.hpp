// Full-batch descent: gradient descent on the factors of a DiagonalNet (plain or momentum),
// and mirror descent on a MirrorNet, for any loss of the engine.
//
// Iteration k (β_k from the network's state):
//   L_k, g_k = ∇L(β_k)                (one read of X: the loss's evaluate, drivers/evaluate.hpp)
//   stop?                             (core/control.hpp: non-finite, tol, target_loss, max_iter,
//                                      time_limit, Ctrl-C, in that order; the criterion is
//                                      max_j criterion_term / grad_scale, grad_scale = ‖∇L(0)‖∞)
//   η_k = StepRule::at(k, λ_max·D²·weight_max, max_j rate_j)
//         i.e. the fixed step, or min(1/(λ_max·D²·max_j(w₊^{2D−2} + w₋^{2D−2})), ¼/max_j D·w^{D−2}|g_j|)
//   state ← Optim::step(η_k, g_k)     (plain: w± ← w±(1 ∓ η·D·w±^{D−2}·g); momentum; or
//                                      mirror descent θ ← θ − η·g)
// The first term of the automatic step is half the stability limit 2/‖∇²_w L‖ of the factor
// Hessian (‖JᵀAJ‖ ≤ λ_max·‖J‖², J = D·diag(w₊^{D−1}, −w₋^{D−1}), DESIGN §6.3); it shrinks as β
// grows. The second keeps every factor within [¾, 5/4] per step. The outcome of an update
// (divergence, renormalisation) is read after the next evaluation (one pass fewer; evaluating a
// diverged β is harmless).
//
// Threads: one team for the whole run (core/team.hpp), work_threads(n_threads, n·d) of them;
// the driver thread does the bookkeeping between passes.
#pragma once
#include <cmath>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/drivers/evaluate.hpp"

namespace dlnfast {

namespace detail {
// The curvature scale of the automatic step at the current iterate: λ_max for least squares;
// a loss with curvature_at(λ_max) (loss/margin.hpp) bounds its Hessian at the last evaluation.
template <class Loss>
auto curvature_now(const Loss& loss, double lambda_max, int) -> decltype(loss.curvature_at(lambda_max)) {
  return loss.curvature_at(lambda_max);
}
template <class Loss>
double curvature_now(const Loss&, double lambda_max, long) { return lambda_max; }
}  // namespace detail

struct FullBatchOptions {
  StopRules stop;
  StepRule step;
  double grad_scale = 1.0;   ///< ‖∇L(0)‖∞ (> 0): makes tol scale-free
  double lambda_max = 0.0;   ///< curvature scale for the automatic step; ≤ 0: estimated
  int n_threads = 1;
  Index min_parallel_work = kMinParallelWork;  ///< passes smaller than this run on one thread
};

/// Runs from the network's current state. On return `beta` holds β at the last iterate and
/// the network holds its state. Only bad arguments throw (before any work).
template <class Loss, class Net, class Optim>
RunResult run_full_batch(Loss& loss, Net& net, Optim& optim, const FullBatchOptions& opt, double* beta,
                         History& hist, Monitor& monitor) {
  const Index d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (opt.stop.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (!opt.step.auto_step && !(opt.step.step > 0.0)) throw std::invalid_argument("step must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  if (!(opt.step.step_decay >= 0.0)) throw std::invalid_argument("step_decay must be >= 0");
  RunResult res;
  Team::run(work_threads(opt.n_threads, loss.work(), opt.min_parallel_work), [&](Team& team) {
    const int D = net.depth();
    if (opt.step.auto_step) {
      res.lambda_max = opt.lambda_max > 0.0 ? opt.lambda_max : loss.curvature(team);
      net.prepare_auto_step(loss, res.lambda_max, team);
    }
    std::vector<double> g(d), crit, rate;
    net.beta(beta);
    double weight_max = net.weight_max(), prev_rate = 0.0;
    StepStats stats;
    Status status = Status::Running;
    Index it = 0;
    for (;;) {
      const Evaluation ev = evaluate_full(loss, net, beta, g.data(), team, crit, rate);
      ++res.n_grad;
      if (it > 0) {  // the outcome of the previous update
        if (stats.diverged()) {
          status = Status::Diverged;
          res.suggested_step = suggested_step(prev_rate);
        } else if (stats.renormalise) {
          optim.renormalise(net);  // exact: only the storage of the state changes
        }
        weight_max = stats.weight_max;
      }
      res.loss = ev.loss;
      res.criterion = ev.criterion / opt.grad_scale;
      if (status == Status::Running) {
        hist.record_loss(it, ev.loss);
        if (double* row = hist.snapshot_row(it)) optim.iterate_beta(net, beta, row);
        status = check_stop(opt.stop, it, ev.loss, res.criterion, monitor);
      }
      if (status != Status::Running) break;
      const double curv = detail::curvature_now(loss, res.lambda_max, 0);
      const double eta = opt.step.at(it, curv * D * D * weight_max, ev.rate);
      if (!std::isfinite(eta)) {  // g = 0 exactly
        status = Status::Converged;
        break;
      }
      res.step = eta;
      prev_rate = ev.rate;
      stats = optim.step(net, eta, g.data(), beta, team);
      ++it;
    }
    optim.finish(net, beta);  // Nesterov: report the iterate w, not the look-ahead
    res.status = status;
    res.n_iter = it;
  });
  res.elapsed = monitor.elapsed();
  return res;
}

}  // namespace dlnfast
