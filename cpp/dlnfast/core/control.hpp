// The control layer every driver shares: the stopping rules in one order, the step rule, and
// divergence with a suggested step. Drivers differ in what an iteration computes, never in
// how it is stopped or how its step is chosen.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "dlnfast/core/interrupt.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast {

/// When a run stops (checked by the driver thread once per iteration, before the update).
struct StopRules {
  Index max_iter = 1000;      ///< iterations (updates, SGD steps, RK steps)
  double tol = 0.0;           ///< stop (Converged) when the criterion is ≤ tol
  double target_loss = -std::numeric_limits<double>::infinity();  ///< stop (TargetLoss) when L ≤ it
  double time_limit = std::numeric_limits<double>::infinity();    ///< seconds (TimeLimit)
};

/// The stopping rules, in the one order used everywhere:
///   non-finite L or criterion → Diverged; criterion ≤ tol → Converged;
///   L ≤ target_loss → TargetLoss; k ≥ max_iter → MaxIter;
///   elapsed ≥ time_limit → TimeLimit; the monitor's poll → Interrupted.
/// `evaluated` is false on iterations where L and the criterion are stale (SGD between
/// full-batch evaluations): only the budget rules apply then. `poll` is false to skip the clock
/// (the cheapest SGD steps poll every 256 steps).
inline Status check_stop(const StopRules& rules, Index k, double L, double criterion, Monitor& monitor,
                         bool evaluated = true, bool poll = true) {
  // an interrupt first: a pass it cut short left a NaN loss that is not a divergence
  if (interrupt_pending() && consume_interrupt()) {
    monitor.poll_now(k, L, criterion);  // lets the caller run its signal handlers
    return Status::Interrupted;
  }
  if (evaluated) {
    if (!std::isfinite(L) || !std::isfinite(criterion)) return Status::Diverged;
    if (criterion <= rules.tol) return Status::Converged;
    if (L <= rules.target_loss) return Status::TargetLoss;
  }
  if (k >= rules.max_iter) return Status::MaxIter;
  if (!poll) return Status::Running;
  if (rules.time_limit < std::numeric_limits<double>::infinity() && monitor.elapsed() >= rules.time_limit)
    return Status::TimeLimit;
  if (monitor.should_stop(k, L, criterion)) return Status::Interrupted;
  return Status::Running;
}

/// How the step of iteration k is chosen.
struct StepRule {
  bool auto_step = true;
  double step = 0.0;        ///< the fixed step η when !auto_step (> 0)
  double step_decay = 0.0;  ///< η_k = η/(1 + step_decay·k) (0: constant)

  /// η_k from the two bounds of the automatic rule (DESIGN §6.3):
  ///   η = min(1/curvature, ¼/rate)
  /// `curvature` bounds the Hessian of the loss in the network's own coordinates, so 1/curvature
  /// is half its stability limit; `rate` bounds how fast one unit of step changes a factor
  /// (relatively), so ¼/rate keeps every factor within 25 % of itself per step, far from the
  /// sign-flip bound of DESIGN §3.1. Returns +inf when both bounds are (a zero gradient).
  double at(Index k, double curvature, double rate) const {
    double eta = step;
    if (auto_step) {
      constexpr double inf = std::numeric_limits<double>::infinity();
      const double by_curv = curvature > 0.0 ? 1.0 / curvature : inf;
      const double by_rate = rate > 0.0 ? 0.25 / rate : inf;
      eta = std::min(by_curv, by_rate);
    }
    if (step_decay > 0.0) eta /= 1.0 + step_decay * double(k);
    return eta;
  }
};

/// On divergence: the step that the automatic rule's rate bound would have allowed at the
/// last update (`rate` as passed to StepRule::at), or 0 if unknown. Tested to run.
inline double suggested_step(double rate) { return rate > 0.0 ? 0.25 / rate : 0.0; }

/// Per-block summary of one update, merged in block order (min/max/or only).
struct StepStats {
  double min_factor = std::numeric_limits<double>::infinity();  ///< smallest live factor 1 ∓ ...
  double weight_max = 0.0;   ///< curvature weight (see the network)
  bool renormalise = false;  ///< some stored value left its window
  bool nonfinite = false;    ///< some β is NaN or ±inf
  void merge(const StepStats& o) {
    min_factor = std::min(min_factor, o.min_factor);
    weight_max = std::max(weight_max, o.weight_max);
    renormalise = renormalise || o.renormalise;
    nonfinite = nonfinite || o.nonfinite;
  }
  /// A live factor reached 0 or changed sign, or β is not finite.
  bool diverged() const { return nonfinite || !(min_factor > 0.0); }
};

/// What every driver returns.
struct RunResult {
  Status status = Status::Running;
  Index n_iter = 0;             ///< updates (SGD steps; flow: accepted RK steps)
  double loss = 0.0;            ///< L at the returned β (or where it stopped)
  double criterion = 0.0;       ///< stopping criterion there (‖g‖∞ / grad_scale, projected)
  double step = 0.0;            ///< the last step used
  double lambda_max = 0.0;      ///< the curvature scale used by the automatic step (0: none)
  double suggested_step = 0.0;  ///< on divergence: a step that respects the bounds there
  double t = 0.0;               ///< flow: the time reached
  Index n_rejected = 0;         ///< flow: rejected steps; LP adaptive rule: undone steps
  Index n_grad = 0;             ///< full-gradient evaluations (passes over X)
  double elapsed = 0.0;         ///< seconds
  double log_loss = std::numeric_limits<double>::quiet_NaN();  ///< margin losses: log L there (NaN: not kept)
};

}  // namespace dlnfast
