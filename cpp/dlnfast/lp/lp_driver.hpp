// The iteration loop of the LP dynamics, on the engine's control layer (core/control.hpp:
// stopping order, time limit, Ctrl-C through the Monitor, one Status) and thread team.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/lp/lp_options.hpp"

namespace dlnfast::lp {

namespace detail {

constexpr Index kBlock = 4096;
constexpr double kGrowth = 4.0;  // f above kGrowth × its initial value: diverged

inline void exp2_into(const double* log_u, double* x, Index n, Team& team) {
  team.parallel_blocks(n, kBlock, [&](Index, Index j0, Index j1) {
    for (Index j = j0; j < j1; ++j) x[j] = std::exp(2.0 * log_u[j]);
  });
}

inline double max_abs(const double* v, Index n, Team& team, std::vector<double>& part) {
  part.assign((n + kBlock - 1) / kBlock, 0.0);
  team.parallel_blocks(n, kBlock, [&](Index b, Index j0, Index j1) {
    double m = 0.0;
#pragma omp simd reduction(max : m)
    for (Index j = j0; j < j1; ++j) m = std::max(m, std::abs(v[j]));
    part[b] = m;
  });
  return part.empty() ? 0.0 : *std::max_element(part.begin(), part.end());  // exact, any order
}

// Serial on purpose: m (the number of constraints) is small next to n, and a fixed order
// keeps the loss bit-identical for every thread count.
inline double half_sq_norm(const double* r, Index m) {
  double s = 0.0;
  for (Index i = 0; i < m; ++i) s += r[i] * r[i];
  return 0.5 * s;
}

/// The state of one run (run_lp_dynamics is its entry point).
template <class Update, class Op>
class LpRun {
 public:
  LpRun(const Op& op, double* log_u, double* omega, double* eta_r_sum, double* momentum,
        const LpOptions& opt, Team& team)
      : op_(op), lu_(log_u), om_(omega), er_(eta_r_sum), mom_(momentum), opt_(opt), team_(team),
        n_(op.n_vars()), m_(op.n_rows()), x_(n_), g_(n_), r_(m_), r_new_(m_) {}

  void run(Monitor& monitor, RunResult& res) {
    StopRules rules;
    rules.max_iter = opt_.max_iter;
    rules.tol = opt_.tol;
    rules.time_limit = opt_.time_limit;
    const bool adaptive = opt_.step_rule == LpStepRule::adaptive;
    const bool heavy = mom_ != nullptr;  // momentum on the state (log u, ω, Σηr)
    double km = heavy ? mom_[2 * n_ + m_] : 0.0;  // accepted steps since the last restart
    exp2_into(lu_, x_.data(), n_, team_);
    op_.residual(x_.data(), r_.data(), team_);
    double f = half_sq_norm(r_.data(), m_);
    if (std::isfinite(f)) op_.adjoint(r_.data(), g_.data(), team_);
    // A loss above kGrowth·f₀ is divergence for every rule: the paper's and the adaptive rule
    // keep f decreasing, and a fixed step that lets f grow this far is unstable (EG at a too
    // large η oscillates with ‖r‖ growing long before anything overflows).
    // A run resumed in chunks (Python's callback and history) carries the cap and the adaptive
    // rule's trial step over, so that the chunked run is the unchunked one, bit for bit.
    const double f_cap = opt_.loss_cap > 0.0 ? opt_.loss_cap : kGrowth * f;
    double s = opt_.initial_step;  // the adaptive rule's trial step (0: set on the first iteration)
    Status status = Status::Running;
    Index k = 0;
    for (;; ++k) {
      status = check_stop(rules, k, f, std::sqrt(2.0 * f), monitor);
      if (status != Status::Running) break;
      const double gmax = max_abs(g_.data(), n_, team_, part_);
      const double xmax = max_abs(x_.data(), n_, team_, part_);  // ‖u‖∞²
      if (gmax == 0.0) {  // stationary but not feasible: x hit the boundary of what it can reach
        status = Status::Diverged;
        break;
      }
      // Paper: η ≤ 1/(4‖Aᵀr‖∞) keeps every factor 1 − 2ηg_j ≥ ½; η ≤ 1/(5‖A‖²‖u‖∞²) keeps f
      // decreasing (a bound on the curvature of f along the step).
      const double cap = 1.0 / (4.0 * gmax), smooth = 1.0 / (5.0 * opt_.norm_a_sq * xmax);
      double eta = std::min(cap, smooth);
      if (opt_.step_rule == LpStepRule::fixed) {
        eta = opt_.step_size;
        if (eta * gmax >= Update::step_limit) {
          res.step = eta;  // the step that would flip a factor's sign, for the message
          status = Status::Diverged;
          break;
        }
      } else if (adaptive) {
        if (s == 0.0) s = smooth;
        eta = std::min(cap, s);
      }
      if (adaptive || heavy) save();
      const double beta = km > 0.0 ? km / (km + 3.0) : 0.0;
      const double f_new = advance(eta, beta);
      if (beta > 0.0 && !(f_new <= f)) {
        // Momentum made f grow: restart it (O'Donoghue & Candès) and retry the plain step.
        restore();
        km = 0.0;
        ++res.n_rejected;
        continue;
      }
      if (adaptive && !(f_new <= f)) {
        // Undo the step: f must not increase (and must stay finite). Halve the trial step.
        restore();
        s = 0.5 * eta;
        ++res.n_rejected;
        if (s < 1e-300) {
          status = Status::Diverged;
          break;
        }
        continue;
      }
      if (!(f_new <= f_cap)) {  // also catches NaN / inf
        status = Status::Diverged;
        res.step = eta;
        ++k;
        f = f_new;
        break;
      }
      if (adaptive) s = 1.25 * std::max(s, eta);
      if (heavy) {  // the state before this step becomes the previous one
        std::copy(lu_prev_.begin(), lu_prev_.end(), mom_);
        std::copy(om_prev_.begin(), om_prev_.end(), mom_ + n_);
        std::copy(er_prev_.begin(), er_prev_.end(), mom_ + 2 * n_);
        km += 1.0;
      }
      res.step = eta;
      f = f_new;
      std::swap(r_, r_new_);
      op_.adjoint(r_.data(), g_.data(), team_);
    }
    if (heavy) mom_[2 * n_ + m_] = km;
    res.status = status;
    res.suggested_step = s;  // the adaptive rule's next trial step: resume with initial_step = it
    res.lambda_max = f_cap;  // the divergence cap in force: resume with loss_cap = it
    res.n_iter = k;
    res.loss = f;
    res.criterion = std::sqrt(2.0 * f);
  }

 private:
  // One update with step η, plus β·(state_k − state_{k−1}) with momentum (the saved state is
  // state_k, mom_ holds state_{k−1}); returns f at the new state (its residual in r_new_).
  // The momentum term is an affine combination of states that all satisfy
  // log u = log u₀ − 2Aᵀ(Σηr) − ω/2, so the new state does too: the certificate stays exact.
  double advance(double eta, double beta) {
    Update::apply(eta, g_.data(), lu_, om_, n_, team_);
    for (Index i = 0; i < m_; ++i) er_[i] += eta * r_[i];
    if (beta > 0.0) {
      const double* plu = mom_;
      const double* pom = mom_ + n_;
      const double* per = mom_ + 2 * n_;
      team_.parallel_blocks(n_, kBlock, [&](Index, Index j0, Index j1) {
        for (Index j = j0; j < j1; ++j) {
          lu_[j] += beta * (lu_prev_[j] - plu[j]);
          om_[j] += beta * (om_prev_[j] - pom[j]);
        }
      });
      for (Index i = 0; i < m_; ++i) er_[i] += beta * (er_prev_[i] - per[i]);
    }
    exp2_into(lu_, x_.data(), n_, team_);
    op_.residual(x_.data(), r_new_.data(), team_);
    return half_sq_norm(r_new_.data(), m_);
  }
  void save() {
    lu_prev_.assign(lu_, lu_ + n_);
    om_prev_.assign(om_, om_ + n_);
    er_prev_.assign(er_, er_ + m_);
  }
  void restore() {
    std::copy(lu_prev_.begin(), lu_prev_.end(), lu_);
    std::copy(om_prev_.begin(), om_prev_.end(), om_);
    std::copy(er_prev_.begin(), er_prev_.end(), er_);
    exp2_into(lu_, x_.data(), n_, team_);
  }

  const Op& op_;
  double *lu_, *om_, *er_, *mom_;
  const LpOptions& opt_;
  Team& team_;
  Index n_, m_;
  std::vector<double> x_, g_, r_, r_new_, part_, lu_prev_, om_prev_, er_prev_;
};

}  // namespace detail

/// Runs the LP dynamics on f(x) = ½‖Ax − b‖², x = exp(2·log_u), from the given state.
///
/// Each iteration: r = Ax − b, g = Aᵀr, η from the step rule (lp_options.hpp), then
/// `Update::apply` (DLN GD: log u += log1p(−2ηg); EG: log u += −2ηg) and Σ ηr += η·r, so that on
/// return log x = log x_start − 4·Aᵀ(Σ ηr) − ω exactly (ω = 0 for EG). Stops (core/control.hpp)
/// when ‖r‖₂ ≤ tol, after max_iter iterations (undone adaptive steps count), after time_limit
/// seconds, as diverged when f exceeds 4× its initial value or is not finite (res.step is then
/// the offending η), or when the monitor says so (Ctrl-C).
///
/// @param op        LP operator (residual, adjoint, rhs, n_rows, n_vars, work)
/// @param log_u     in/out, n_vars: the log-factors
/// @param omega     in/out, n_vars: the certificate ω (accumulated; untouched by EG)
/// @param eta_r_sum in/out, n_rows: Σ η_t r_t (the dual estimate is ν = −4λ·Σ η_t r_t)
///
/// @param momentum  null, or in/out, 2·n_vars + n_rows + 1: heavy-ball momentum on the state
///                  (previous log u, ω, Σηr, then the count of steps since the last restart;
///                  a count of 0 starts without momentum), β_k = k/(k + 3), restarted when a
///                  step with momentum would increase f (the step is redone without it).
template <class Update, class Op>
RunResult run_lp_dynamics(const Op& op, double* log_u, double* omega, double* eta_r_sum, const LpOptions& opt,
                          Monitor& monitor, double* momentum = nullptr) {
  if (opt.n_threads < 1) throw std::invalid_argument("n_threads must be >= 1");
  if (opt.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (!(opt.norm_a_sq > 0.0)) throw std::invalid_argument("norm_a_sq must be > 0");
  if (opt.step_rule == LpStepRule::fixed && !(opt.step_size > 0.0))
    throw std::invalid_argument("step_size must be > 0 with the fixed step rule");
  RunResult res;
  Team::run(work_threads(opt.n_threads, std::max(op.work(), op.n_vars()), opt.min_parallel_work), [&](Team& team) {
    detail::LpRun<Update, Op>(op, log_u, omega, eta_r_sum, momentum, opt, team).run(monitor, res);
  });
  res.elapsed = monitor.elapsed();
  return res;
}

}  // namespace dlnfast::lp
