// Options and result of one run of the LP dynamics (DLN gradient descent or exponentiated
// gradient) on  f(u) = ½‖A(u⊙u) − b‖²,  shared by every LP operator (dense, sparse, transport).
#pragma once
#include <cstdint>

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

/// Outcome of a run; the Python layer turns it into scipy's status codes and messages.
enum class LpStatus : int {
  converged = 0,     ///< ‖Ax − b‖₂ ≤ tol
  max_iter = 1,      ///< iteration budget spent
  time_limit = 2,    ///< wall-clock budget spent
  diverged = 3,      ///< non-finite value, or (fixed step) a factor would change sign
  interrupted = 4,   ///< Ctrl-C (the Python error is left set)
};

struct LpOptions {
  LpUpdate update = LpUpdate::dln_gd;
  LpStepRule step_rule = LpStepRule::paper;
  double norm_a_sq = 1.0;     ///< an upper bound on ‖A‖₂² (paper's rule, initial adaptive step)
  double step_size = 0.0;     ///< η for the fixed rule
  double tol = 1e-8;          ///< stop when ‖Ax − b‖₂ ≤ tol (absolute; Python scales it)
  std::int64_t max_iter = 100000;
  double time_limit = 1e300;  ///< seconds
  int n_threads = 1;
};

struct LpResult {
  LpStatus status = LpStatus::max_iter;
  std::int64_t n_iter = 0;
  double loss = 0.0;           ///< f = ½‖Ax − b‖² at the returned state
  double residual_norm = 0.0;  ///< ‖Ax − b‖₂ at the returned state
  double last_step = 0.0;      ///< the last accepted η
  std::int64_t n_rejected = 0; ///< adaptive rule: steps undone because f increased
  double elapsed = 0.0;        ///< seconds
};

}  // namespace dlnfast::lp
