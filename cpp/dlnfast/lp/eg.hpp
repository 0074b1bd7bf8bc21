// Exponentiated gradient: mirror descent with the entropy, the discrete twin of the DLN flow.
#pragma once
#include <cstdint>

#include "dlnfast/core/team.hpp"

namespace dlnfast::lp {

/// One EG step on f(x) = ½‖Ax − b‖², ∇f = g = Aᵀr:
///   x ← x⊙exp(−4ηg)            i.e.  log u_j += −2η g_j      (x = u⊙u)
/// so log x_k − log x_0 = −4 Σ_t η_t Aᵀr_t ∈ range(Aᵀ) exactly: EG lands on the entropic LP of
/// the unperturbed cost (no ω). The factor 4 matches the DLN flow's time scale.
struct EgUpdate {
  static constexpr bool has_certificate = false;
  /// No sign constraint; the caller still keeps η‖g‖∞ ≤ ¼ (each x_j changes by at most e^{±1}).
  static constexpr double step_limit = 1e300;

  static void apply(double eta, const double* g, double* log_u, double* /*omega*/, std::int64_t n, Team& team) {
    team.parallel_blocks(n, 4096, [&](Index, Index j0, Index j1) {
#pragma omp simd
      for (Index j = j0; j < j1; ++j) log_u[j] -= 2.0 * eta * g[j];
    });
  }
};

}  // namespace dlnfast::lp
