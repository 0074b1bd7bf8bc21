// Full-batch gradient descent on the factors of a DiagonalNet, for the LeastSquares loss.
//
// Iteration k (β_k from the factors):
//   r = Xβ_k − y, g_k = Xᵀr/n             (one fused pass over X, LeastSquares::accumulate)
//   stop if max_j c_j ≤ tol·grad_scale,  c_j = |g_j|, or the projected-gradient residual
//        |min(|β_j|, ±g_j)| for a one-signed coordinate (a dead branch: positive networks),
//        whose optimum has g_j ≥ 0 at β_j = 0 (Net::criterion_term)       (converged; grad_scale = ‖∇L(0)‖∞ makes tol scale-free)
//   η_k = step, or with auto_step:
//         η_k = min( 1/(λ_max·D²·max_j(w₊^{2D−2} + w₋^{2D−2})),  ¼ / max_j D·w^{D−2}|g_j| )
//   η_k ← η_k / (1 + step_decay·k)         (decaying schedule; step_decay = 0: constant)
//   w± ← w±(1 ∓ η_k·D·w±^{D−2}·g_k)        (DiagonalNet::update)
//   or, with momentum μ > 0, heavy-ball / Nesterov steps on the factors (momentum.hpp).
//
// The first term of the automatic step is half the stability limit 2/‖∇²_w L‖ of the factor
// Hessian (‖JᵀAJ‖ ≤ λ_max·‖J‖², J = D·diag(w₊^{D−1}, −w₋^{D−1}), DESIGN §6.3); it shrinks as β
// grows. The second keeps every factor within [¾, 5/4] per step, far from the sign-flip bound
// of DESIGN §3.1, and bounds the growth rate during the early plateau.
//
// The whole run is one OpenMP parallel region (threads stay alive across iterations; four
// barriers per iteration); one thread (the team's master, i.e. the caller) does the bookkeeping.
// The update's outcome (divergence, renormalisation) is read in the next iteration's bookkeeping,
// which saves a barrier; the gradient pass in between is harmless even on a diverged β.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "dlnfast/diagonal_net.hpp"
#include "dlnfast/least_squares.hpp"
#include "dlnfast/momentum.hpp"
#include "dlnfast/status.hpp"
#include "dlnfast/threads.hpp"

namespace dlnfast {

struct GDOptions {
  bool auto_step = true;
  double step = 0.0;         ///< fixed step η when !auto_step (> 0)
  double lambda_max = 0.0;   ///< λ_max(XᵀWX) for auto_step; ≤ 0: estimated by power iteration
  long max_iter = 1000;
  double tol = 1e-5;
  double grad_scale = 1.0;   ///< ‖∇L(0)‖∞ (> 0)
  int n_threads = 1;
  double step_decay = 0.0;   ///< η_k = η/(1 + step_decay·k) (0: constant)
  double momentum = 0.0;     ///< μ ∈ [0, 1): heavy ball (or Nesterov) on the factors
  bool nesterov = false;
};

/// Optional outputs filled during the run. Arrays are owned by the caller.
struct GDHistory {
  long loss_every = 0;            ///< record L(β_k) when k % loss_every == 0 (0: never)
  double* loss = nullptr;         ///< capacity loss_capacity
  long loss_capacity = 0;
  long n_loss = 0;                ///< out: entries written
  long n_loss_increases = 0;      ///< out: recorded losses larger than the previous record
  const long* snapshot_iters = nullptr;  ///< increasing iteration numbers
  long n_snapshot_iters = 0;
  double* snapshots = nullptr;    ///< n_snapshot_iters × d, row-major
  long n_snapshots = 0;           ///< out: rows written

  /// Record L(β_k) if iteration k is due (and there is room), counting increases.
  void record_loss(long k, double L) {
    if (loss_every <= 0 || k % loss_every != 0 || n_loss >= loss_capacity) return;
    if (n_loss > 0 && L > loss[n_loss - 1]) ++n_loss_increases;
    loss[n_loss++] = L;
  }
  /// The row to fill with β_k when iteration k is the next snapshot, else nullptr (the row
  /// then counts as written).
  double* snapshot_row(long k, long d) {
    if (n_snapshots >= n_snapshot_iters || snapshot_iters[n_snapshots] != k) return nullptr;
    return snapshots + (n_snapshots++) * d;
  }
};

struct GDResult {
  Status status = Status::Running;
  long n_iter = 0;            ///< updates performed
  double loss = 0.0;          ///< L at the returned β
  double criterion = 0.0;     ///< ‖g‖∞ / grad_scale at the returned β (or where it stopped)
  double step = 0.0;          ///< the last step used
  double lambda_max = 0.0;    ///< the λ_max used by auto_step (0 if fixed step)
  double suggested_step = 0.0;///< on divergence: a step that respects the sign-flip bound there
  long n_loss = 0, n_loss_increases = 0, n_snapshots = 0;  ///< copied from GDHistory
};

/// Runs GD from the network's current factors. On return `beta` holds β at the last iterate
/// and the network holds the factors. Only bad arguments throw (before any work).
/// `Net` is a DiagonalNet, or any state with the same interface (size, depth, beta,
/// weight_max, rate, update, renormalise): MirrorNet (mirror_net.hpp) runs mirror descent
/// through this driver, with the same status, history, snapshots and Ctrl-C handling.
template <class T, class Net>
GDResult run_gd(LeastSquares<T>& loss, Net& net, const GDOptions& opt, double* beta,
                GDHistory& hist, Monitor& monitor) {
  const Index d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (opt.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (!opt.auto_step && !(opt.step > 0.0)) throw std::invalid_argument("step must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  if (!(opt.step_decay >= 0.0)) throw std::invalid_argument("step_decay must be >= 0");
  // Momentum acts on the factors of a DiagonalNet (momentum.hpp); other networks (MirrorNet)
  // take plain steps. The if-constexpr helpers below keep Momentum out of their instantiation.
  constexpr bool kFactors = std::is_same_v<Net, DiagonalNet>;
  if (!kFactors && opt.momentum != 0.0)
    throw std::invalid_argument("momentum applies to gradient descent on the factors only");
  std::unique_ptr<Momentum> mom;
  if (opt.momentum != 0.0) mom = std::make_unique<Momentum>(d, opt.momentum, opt.nesterov);
  auto snapshot_beta = [&](const double* b, double* out) {
    if constexpr (kFactors) {
      if (mom) return mom->iterate_beta(net, b, out);
    }
    std::copy(b, b + d, out);
  };
  auto renormalise = [&]() {
    if constexpr (kFactors) {
      if (mom) return mom->renormalise(net);
    }
    net.renormalise();
  };
  const int nt = work_threads(opt.n_threads, loss.n_samples() * d);
  const int D = net.depth();

  GDResult res;
  if (opt.auto_step) {
    res.lambda_max = opt.lambda_max > 0.0 ? opt.lambda_max : loss.lambda_max(nt);
  }
  std::vector<double> g(d);
  net.beta(beta);
  double weight_max = net.weight_max();

  Status status = Status::Running;
  long it = 0;
  double eta = 0.0, cur_loss = 0.0, gmax = 0.0, rate_max = 0.0;
  double prev_rate = 0.0;
  bool plain_criterion = false;
  if constexpr (std::is_same_v<Net, DiagonalNet>) plain_criterion = net.depth() == 2 && net.all_live();
  StepStats stats;

  // Master only: history, then the stopping rules in order (non-finite, tol, max_iter, Ctrl-C).
  auto bookkeeping = [&](long k, double L, const double* b) -> Status {
    hist.record_loss(k, L);
    if (double* row = hist.snapshot_row(k, d)) snapshot_beta(b, row);
    if (!std::isfinite(L) || !std::isfinite(res.criterion)) return Status::Diverged;
    if (res.criterion <= opt.tol) return Status::Converged;
    if (k >= opt.max_iter) return Status::MaxIter;
    if (monitor.should_stop(k, L, res.criterion)) return Status::Interrupted;
    return Status::Running;
  };

#pragma omp parallel num_threads(nt)
  {
    for (;;) {
      // g = ∇L(β_it): chunks in parallel (ends with a barrier), then the partials added per
      // coordinate, with the maxima merged per thread (max is order-independent).
      loss.accumulate(beta);
      {
        const double sum_c = loss.sum_weighted_residual();
        double lg = 0.0, lr = 0.0;
        const Index nb = loss.n_blocks(), B = LeastSquares<T>::kBlock;
#pragma omp for schedule(static) nowait
        for (Index b = 0; b < nb; ++b) {
          const Index j0 = b * B, j1 = std::min(d, j0 + B);
          loss.gradient_block(j0, j1, sum_c, g.data());
          if (plain_criterion) {
            // depth 2, both branches live: criterion |g_j|, rate 2|g_j| (vectorised)
            double m = lg;
#pragma omp simd reduction(max : m)
            for (Index j = j0; j < j1; ++j) m = std::max(m, std::abs(g[j]));
            lg = m;
            lr = std::max(lr, 2.0 * m);
          } else {
            for (Index j = j0; j < j1; ++j) {
              lg = std::max(lg, net.criterion_term(j, g[j], beta));
              lr = std::max(lr, net.rate(j, g[j]));
            }
          }
        }
#pragma omp critical(dlnfast_gd_grad)
        {
          gmax = std::max(gmax, lg);
          rate_max = std::max(rate_max, lr);
        }
      }
#pragma omp barrier
#pragma omp master
      {
        // Outcome of the previous update (it > 0), then the bookkeeping of iteration `it`.
        if (it > 0) {
          if (stats.nonfinite || !(stats.min_factor > 0.0)) {
            status = Status::Diverged;
            res.suggested_step = prev_rate > 0.0 ? 0.25 / prev_rate : 0.0;
          } else if (stats.renormalise) {
            // exact: only the split of w into m·2^e changes (and the velocity's frame with it)
            renormalise();
          }
          weight_max = stats.weight_max;
        }
        cur_loss = loss.loss();
        res.criterion = gmax / opt.grad_scale;
        if (status == Status::Running) status = bookkeeping(it, cur_loss, beta);
        if (status == Status::Running) {
          if (opt.auto_step) {
            const double curv = res.lambda_max * D * D * weight_max;
            const double by_curv = curv > 0.0 ? 1.0 / curv : std::numeric_limits<double>::infinity();
            const double by_rate = rate_max > 0.0 ? 0.25 / rate_max : std::numeric_limits<double>::infinity();
            eta = std::min(by_curv, by_rate);
            if (!std::isfinite(eta)) status = Status::Converged;  // g = 0 exactly
          } else {
            eta = opt.step;
          }
          if (opt.step_decay > 0.0) eta /= 1.0 + opt.step_decay * double(it);
        }
        res.step = eta;
        prev_rate = rate_max;
        stats = StepStats{};
        gmax = 0.0;
        rate_max = 0.0;
      }
#pragma omp barrier
      if (status != Status::Running) break;

      if constexpr (kFactors) {
        if (mom) mom->update(net, eta, g.data(), beta, stats);  // ends with a barrier
        else net.update(eta, g.data(), beta, stats);
      } else {
        net.update(eta, g.data(), beta, stats);  // ends with a barrier
      }
#pragma omp master
      ++it;
    }
  }
  if constexpr (kFactors) {
    if (mom) mom->finish(net, beta);  // Nesterov: report the iterate w, not the look-ahead
  }
  res.status = status;
  res.n_iter = it;
  res.loss = cur_loss;
  return res;
}

}  // namespace dlnfast
