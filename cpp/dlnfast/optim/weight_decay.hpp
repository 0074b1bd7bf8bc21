// Weight decay: the penalty (λ/2)·Σ‖factor‖² added to the training loss, and the stopping
// criterion of the penalised objective.
//
// On the factors θ the penalised objective F(θ) = L(β(θ)) + (λ/2)‖θ‖² has the gradient
// ∇_θ L + λθ, so every first-order step gains the term −ηλθ (DiagonalNet: the factor
// multiplier 1 ∓ η·D·w^{D−2}·g becomes 1 − ηλ ∓ η·D·w^{D−2}·g; FactorNet and the adaptive
// optimisers add λθ to the factor gradient).
//
// Induced penalty on β (DESIGN §10; at any stationary point with β_j ≠ 0 the factors of a
// depth-2 network balance): in the engine's coordinates β = w₊² − w₋² the penalty
// (λ_e/2)(w₊² + w₋²) induces μ|β| with μ = λ_e/2, a convex (lasso) problem
//   min_β L(β) + μ‖β‖₁            (one-signed coordinates: + the constraint β ≥ 0 or β ≤ 0).
// A first-order criterion in the factors vanishes at the origin (a saddle of F whenever the
// lasso solution is not 0), so the criterion is taken in β: the proximal-gradient mapping
//   G_t(β) = (β − prox_{tμ‖·‖₁}(β − t·g)) / t,   t = 1/λ_max(A)
// which is 0 exactly at the lasso solution, equals g + μ·sign(β) where |β| is large and
// tends to 0 with β on coordinates that the lasso sets to 0.
#pragma once
#include <algorithm>
#include <cmath>

#include "dlnfast/core/team.hpp"

namespace dlnfast {

struct WeightDecay {
  double lambda = 0.0;  ///< λ_e ≥ 0 on the factors the optimiser updates
  double t = 0.0;       ///< the gradient mapping's step (1/λ_max), > 0 when lambda > 0

  bool active() const { return lambda > 0.0; }

  /// |G_t(β)_j| for induced penalty μ|β_j|; `sign` = 0 (free), +1 (β ≥ 0) or −1 (β ≤ 0).
  static double lasso_mapping(double beta, double g, double mu, double t, int sign) {
    const double z = beta - t * g;
    double p;
    if (sign > 0) p = std::max(z - t * mu, 0.0);        // prox of μx + ι(x ≥ 0)
    else if (sign < 0) p = std::min(z + t * mu, 0.0);   // prox of −μx + ι(x ≤ 0)
    else p = z > t * mu ? z - t * mu : (z < -t * mu ? z + t * mu : 0.0);  // soft threshold
    return std::abs(beta - p) / t;
  }
};

/// The gradient mapping's step t = 1/λ_max(A) for a loss (λ_max given, or estimated by the
/// loss's deterministic power iteration when ≤ 0). Any t > 0 gives a criterion that is 0 exactly
/// at the solution; 1/λ_max makes it comparable with ‖g‖ where the penalty is inactive.
template <class Loss>
double decay_mapping_step(Loss& loss, int n_threads, double lambda_max) {
  double lm = lambda_max;
  if (!(lm > 0.0)) Team::run(work_threads(n_threads, loss.work()), [&](Team& team) { lm = loss.curvature(team); });
  return lm > 0.0 && std::isfinite(lm) ? 1.0 / lm : 1.0;
}

}  // namespace dlnfast
