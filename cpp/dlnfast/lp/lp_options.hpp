// Options and result of one run of the LP dynamics (DLN gradient descent or exponentiated
// gradient) on  f(u) = ½‖A(u⊙u) − b‖²,  shared by every LP operator (dense, sparse, transport).
// The outcome is the engine's RunResult (core/control.hpp): n_iter, loss = f, criterion = ‖Ax − b‖₂,
// step = the last accepted η, n_rejected (adaptive rule), elapsed; suggested_step = the adaptive
// rule's next trial step and lambda_max = the divergence cap on f (to resume a run, see LpOptions).
#pragma once
#include <cstdint>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast::lp {

/// Which update the driver applies to the log-factors `log u` (x = u⊙u, g = Aᵀr):
/// gradient descent on the factors, u ← u⊙(1 − 2ηg), i.e. log u += log1p(−2ηg)  (Wang et al. 2023);
/// exponentiated gradient (mirror descent with the entropy), x ← x⊙exp(−4ηg), i.e. log u += −2ηg.
enum class LpUpdate : int { dln_gd = 0, exponentiated_gradient = 1 };

/// Step rule. `paper`: η = min{1/(4‖g‖∞), 1/(5‖A‖₂²‖u‖∞²)} (keeps every factor ≥ ½ and f
/// decreasing). `adaptive`: η = min{1/(4‖g‖∞), s}, s grown ×1.25 after each accepted step and
/// halved after a step that increases f, which is undone; both properties are kept by
/// construction. `fixed`: the user's η every step (a factor that would change sign is reported).
enum class LpStepRule : int { paper = 0, adaptive = 1, fixed = 2 };

struct LpOptions {
  LpUpdate update = LpUpdate::dln_gd;
  LpStepRule step_rule = LpStepRule::paper;
  double norm_a_sq = 1.0;     ///< an upper bound on ‖A‖₂² (paper's rule, initial adaptive step)
  double step_size = 0.0;     ///< η for the fixed rule
  double tol = 1e-8;          ///< stop when ‖Ax − b‖₂ ≤ tol (absolute; Python scales it)
  std::int64_t max_iter = 100000;
  double time_limit = 1e300;  ///< seconds
  int n_threads = 1;
  /// Resuming a run (chunks for a callback): the adaptive rule's trial step s to start from
  /// (0: min(1/(4‖g‖∞), 1/(5 norm_a_sq ‖u‖∞²)) as a fresh run) and the divergence cap on f
  /// (0: 4× the f the run starts at). A run returns both (RunResult::suggested_step and
  /// RunResult::lambda_max), so run(k₁) then run(k₂) from them is run(k₁ + k₂) exactly.
  double initial_step = 0.0;
  double loss_cap = 0.0;
  Index min_parallel_work = kMinParallelWork;  ///< passes smaller than this run on one thread
};

}  // namespace dlnfast::lp
