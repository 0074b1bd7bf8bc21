// Gradient descent on the factors of x = u⊙u (Wang, Ghosal & Mazumder 2023), in log-domain.
#pragma once
#include <cmath>
#include <cstdint>

#include "dlnfast/core/team.hpp"

namespace dlnfast::lp {

/// One GD step on f(u) = ½‖A(u⊙u) − b‖², ∇f = 2u⊙g with g = Aᵀr:
///   u ← u⊙(1 − 2ηg)            i.e.  log u_j += log1p(−2η g_j)
/// and the certificate of DESIGN §3.1,  ω_j += −2[log1p(−2ηg_j) + 2ηg_j] ≥ 0, so that
///   log x_k = log x_0 − 4 Σ_t η_t Aᵀr_t − ω_k   exactly (to rounding).
/// The state is log u because u₀ = exp(−c/(2λ)) underflows for c/λ > ~1400 and a factor stored
/// as 0 never grows again. Requires 2η|g_j| < 1 (a factor would otherwise change sign).
struct DlnGdUpdate {
  static constexpr bool has_certificate = true;
  /// Largest η·‖g‖∞ the update tolerates (the caller keeps η‖g‖∞ ≤ ¼, i.e. factors ≥ ½).
  static constexpr double step_limit = 0.5;

  static void apply(double eta, const double* g, double* log_u, double* omega, std::int64_t n, Team& team) {
    team.parallel_blocks(n, 4096, [&](Index, Index j0, Index j1) {
      for (Index j = j0; j < j1; ++j) {
        const double t = -2.0 * eta * g[j];
        const double l = std::log1p(t);
        // log u += log(1 − 2ηg)
        log_u[j] += l;
        // ω += −2[log(1 − 2ηg) + 2ηg]
        omega[j] -= 2.0 * (l - t);
      }
    });
  }
};

}  // namespace dlnfast::lp
