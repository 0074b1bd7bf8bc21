// The iteration loop shared by the LP dynamics: step rule, stopping, divergence, cancellation.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/lp/lp_options.hpp"

namespace dlnfast::lp {

/// Smallest per-pass work (multiply-adds, or n_vars) for which the driver uses threads.
inline constexpr std::int64_t kMinParallelWork = std::int64_t{1} << 16;

namespace detail {

inline void exp2_into(const double* log_u, double* x, std::int64_t n, int n_threads) {
#pragma omp parallel for simd schedule(static) num_threads(n_threads)
  for (std::int64_t j = 0; j < n; ++j) x[j] = std::exp(2.0 * log_u[j]);
}

inline double max_abs(const double* v, std::int64_t n, int n_threads) {
  double m = 0.0;
#pragma omp parallel for simd schedule(static) reduction(max : m) num_threads(n_threads)
  for (std::int64_t j = 0; j < n; ++j) m = std::max(m, std::abs(v[j]));
  return m;  // max is exact, hence independent of the thread count
}

// Serial on purpose: m (the number of constraints) is small next to n, and a fixed order
// keeps the loss bit-identical for every thread count.
inline double half_sq_norm(const double* r, std::int64_t m) {
  double s = 0.0;
  for (std::int64_t i = 0; i < m; ++i) s += r[i] * r[i];
  return 0.5 * s;
}

}  // namespace detail

/// Runs the LP dynamics on f(x) = ½‖Ax − b‖², x = exp(2·log_u), from the given state.
///
/// Each iteration: r = Ax − b, g = Aᵀr, η from the step rule (lp_options.hpp), then
/// `Update::apply` (DLN GD: log u += log1p(−2ηg); EG: log u += −2ηg) and Σ ηr += η·r, so that on
/// return log x = log x_start − 4·Aᵀ(Σ ηr) − ω exactly (ω = 0 for EG). Stops when ‖r‖₂ ≤ tol,
/// after max_iter iterations, after time_limit seconds, on a non-finite value, or when
/// `interrupted()` (polled at most every 0.1 s) returns true.
///
/// @param op        LP operator (residual, adjoint, rhs, n_rows, n_vars)
/// @param log_u     in/out, n_vars: the log-factors
/// @param omega     in/out, n_vars: the certificate ω (accumulated; untouched by EG)
/// @param eta_r_sum in/out, n_rows: Σ η_t r_t (the dual estimate is ν = −4λ·Σ η_t r_t)
template <class Update, class Op>
LpResult run_lp_dynamics(const Op& op, double* log_u, double* omega, double* eta_r_sum,
                         const LpOptions& opt, const std::function<bool()>& interrupted) {
  using clock = std::chrono::steady_clock;
  if (opt.n_threads < 1) throw std::invalid_argument("n_threads must be >= 1");
  if (opt.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (!(opt.norm_a_sq > 0.0)) throw std::invalid_argument("norm_a_sq must be > 0");
  if (opt.step_rule == LpStepRule::fixed && !(opt.step_size > 0.0))
    throw std::invalid_argument("step_size must be > 0 with the fixed step rule");
  const std::int64_t n = op.n_vars(), m = op.n_rows();
  // Below kMinParallelWork multiply-adds per pass an iteration takes a few microseconds and
  // ~8 fork/joins cost more than they save (and on an oversubscribed machine every barrier
  // waits for a descheduled thread: 40× slower measured at n = 600). Results do not depend
  // on the thread count, so this changes only the time.
  const int nt = std::max(op.work(), n) < kMinParallelWork ? 1 : opt.n_threads;
  const auto t0 = clock::now();
  auto last_poll = t0;
  auto seconds_since = [](clock::time_point a) {
    return std::chrono::duration<double>(clock::now() - a).count();
  };

  std::vector<double> x(n), g(n), r(m), r_new(m);
  const bool adaptive = opt.step_rule == LpStepRule::adaptive;
  std::vector<double> log_u_prev, omega_prev, eta_r_prev;
  if (adaptive) {
    log_u_prev.resize(n);
    omega_prev.resize(n);
    eta_r_prev.resize(m);
  }

  LpResult res;
  detail::exp2_into(log_u, x.data(), n, nt);
  op.residual(x.data(), r.data(), nt);
  double f = detail::half_sq_norm(r.data(), m);
  if (!std::isfinite(f)) {
    res.status = LpStatus::diverged;
    res.loss = f;
    res.residual_norm = f;
    return res;
  }
  op.adjoint(r.data(), g.data(), nt);
  double s = 0.0;  // adaptive rule's smoothness step, set on the first iteration

  res.status = LpStatus::max_iter;
  std::int64_t k = 0;
  for (; k < opt.max_iter; ++k) {
    if (std::sqrt(2.0 * f) <= opt.tol) {
      res.status = LpStatus::converged;
      break;
    }
    if (seconds_since(last_poll) >= 0.1) {
      last_poll = clock::now();
      if (interrupted && interrupted()) {
        res.status = LpStatus::interrupted;
        break;
      }
      if (seconds_since(t0) >= opt.time_limit) {
        res.status = LpStatus::time_limit;
        break;
      }
    }
    const double gmax = detail::max_abs(g.data(), n, nt);
    const double xmax = detail::max_abs(x.data(), n, nt);  // ‖u‖∞²
    if (gmax == 0.0) {  // stationary but not feasible: x hit the boundary of what it can reach
      res.status = LpStatus::diverged;
      break;
    }
    // Paper: η ≤ 1/(4‖Aᵀr‖∞) keeps every factor 1 − 2ηg_j ≥ ½; η ≤ 1/(5‖A‖²‖u‖∞²) keeps f
    // decreasing (a bound on the curvature of f along the step).
    const double cap = 1.0 / (4.0 * gmax);
    const double smooth = 1.0 / (5.0 * opt.norm_a_sq * xmax);
    double eta;
    if (opt.step_rule == LpStepRule::fixed) {
      eta = opt.step_size;
      if (eta * gmax >= Update::step_limit) {
        res.status = LpStatus::diverged;
        break;
      }
    } else if (adaptive) {
      if (s == 0.0) s = smooth;
      eta = std::min(cap, s);
      std::copy(log_u, log_u + n, log_u_prev.begin());
      std::copy(omega, omega + n, omega_prev.begin());
      std::copy(eta_r_sum, eta_r_sum + m, eta_r_prev.begin());
    } else {
      eta = std::min(cap, smooth);
    }

    Update::apply(eta, g.data(), log_u, omega, n, nt);
    for (std::int64_t i = 0; i < m; ++i) eta_r_sum[i] += eta * r[i];
    detail::exp2_into(log_u, x.data(), n, nt);
    op.residual(x.data(), r_new.data(), nt);
    const double f_new = detail::half_sq_norm(r_new.data(), m);

    if (adaptive && !(f_new <= f)) {
      // Undo the step: f must not increase (and must stay finite). Halve the trial step.
      std::copy(log_u_prev.begin(), log_u_prev.end(), log_u);
      std::copy(omega_prev.begin(), omega_prev.end(), omega);
      std::copy(eta_r_prev.begin(), eta_r_prev.end(), eta_r_sum);
      detail::exp2_into(log_u, x.data(), n, nt);
      s = 0.5 * eta;
      ++res.n_rejected;
      if (s < 1e-300) {
        res.status = LpStatus::diverged;
        break;
      }
      continue;
    }
    if (!std::isfinite(f_new)) {
      res.status = LpStatus::diverged;
      ++k;
      break;
    }
    if (adaptive) s = 1.25 * std::max(s, eta);
    res.last_step = eta;
    f = f_new;
    std::swap(r, r_new);
    op.adjoint(r.data(), g.data(), nt);
  }
  res.n_iter = k;
  // When the loop ends on a rejected/diverged step, r already matches the state in log_u
  // (rollback) or the non-finite state is reported as such.
  res.loss = f;
  res.residual_norm = std::sqrt(2.0 * f);
  res.elapsed = seconds_since(t0);
  return res;
}

}  // namespace dlnfast::lp
