// The exact gradient flow of a diagonal network, integrated in mirror coordinates:
//
//   dθ/dt = −g(β(θ)),   β(θ) = ∇Φ*(θ)   (MirrorNet),   θ(0) = θ₀,
//
// which is gradient flow on the factors, exactly (DESIGN §3), and the η → 0 limit of GD with
// t = kη. Integrated by the Dormand–Prince 5(4) embedded Runge–Kutta pair (FSAL: six gradients
// per accepted step) with the standard step controller h ← h·min(5, max(0.2, 0.9·err^{−1/5})).
//
// Error norm: err = max_j |ê_j|·ρ_j / tol, ê the embedded error estimate of θ and
// ρ_j = |d log|β_j| / dθ_j| (MirrorNet::log_rate): the local error is controlled in relative-β
// units, whatever the scale (θ ~ log(1/α) is large for tiny α, so a relative test on θ would be
// meaningless there). Steps are shortened to land exactly on each requested output time; a
// depth-D stage leaving the domain |cθ| < 1 rejects the step.
//
// Each gradient is one fused pass over X (LeastSquares, deterministic for any thread count).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/drivers/evaluate.hpp"
#include "dlnfast/nets/mirror_net.hpp"

namespace dlnfast {

struct FlowOptions {
  StopRules stop;            ///< max_iter counts accepted + rejected steps; tol is the gradient
                             ///< criterion (≤ 0: integrate to the last output time / t_end only)
  double rk_tol = 1e-8;      ///< local error tolerance, relative-β units per step
  double t_end = std::numeric_limits<double>::infinity();  ///< stop time (≥ last output time)
  double grad_scale = 1.0;
  double h0 = 0.0;           ///< first step; ≤ 0: chosen from the initial gradient
  int n_threads = 1;
  Index min_parallel_work = kMinParallelWork;  ///< passes smaller than this run on one thread
};

namespace detail {
// Dormand & Prince (1980), RK5(4)7FM.
constexpr double kC[7] = {0.0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1.0, 1.0};
constexpr double kA[7][6] = {
    {0, 0, 0, 0, 0, 0},
    {1.0 / 5, 0, 0, 0, 0, 0},
    {3.0 / 40, 9.0 / 40, 0, 0, 0, 0},
    {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0},
    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
// b − b̂ (fifth- minus fourth-order weights)
constexpr double kE[7] = {71.0 / 57600, 0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40};
}  // namespace detail

/// One run of the integrator as a state machine driven by gradient evaluations, so that the
/// single driver (run_flow below) and the batched one (drivers/batched_flow.hpp) share every
/// per-run decision: stage combination, error norm, step controller, acceptance, landing on the
/// output times and stopping. The driver's loop is
///
///   begin();  while (wants_eval()) { L, g at point() into grad(); absorb(L, criterion) }
///
/// point() is β at the stage to evaluate (length d), grad() where ∇L there goes; absorb takes
/// the loss and the criterion maximum of that evaluation (evaluate_full's). The sequence of
/// points, and so the result, depends on nothing but this run's evaluations.
class FlowStepper {
 public:
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  using Vec = Eigen::VectorXd;

  /// `times` (n_times, may be null), `theta_out` (may be null) and `beta` as for run_flow.
  FlowStepper(MirrorNet& net, const FlowOptions& opt, const double* times, Index n_times, double* theta_out,
              double* beta, History& hist, RunResult& res)
      : net_(net), opt_(opt), times_(times), n_times_(n_times), theta_out_(theta_out), beta_(beta),
        hist_(hist), res_(res), d_(net.size()), k_(d_, 7), stage_(d_), btmp_(d_), g_(d_) {}

  /// The first evaluation point: β(θ₀).
  void begin(Team& team) {
    t_end_ = n_times_ > 0 ? times_[n_times_ - 1] : opt_.t_end;
    rules_ = opt_.stop;
    if (n_times_ > 0 || !(rules_.tol > 0.0)) rules_.tol = -1.0;  // integrate to the output times only
    set_point(net_.theta().data(), team);
    s_ = 0;
    wants_ = true;
  }
  bool wants_eval() const { return wants_; }
  const double* point() const { return btmp_.data(); }
  double* grad() { return g_.data(); }

  /// The evaluation at point(): loss and criterion maximum; moves to the next point (or stops).
  void absorb(double loss, double crit_max, Team& team, Monitor& monitor) {
    k_.col(s_) = -Eigen::Map<const Vec>(g_.data(), d_);
    ++res_.n_grad;
    last_crit_ = crit_max;
    last_loss_ = loss;
    if (s_ == 0) {  // the start (later steps reuse stage 7: FSAL)
      cur_loss_ = loss;
      crit_ = criterion();
      while (out_i_ < n_times_ && times_[out_i_] <= 0.0) record();
      hist_.record_loss(0, cur_loss_, 0.0);
      h_ = opt_.h0 > 0.0 ? opt_.h0 : first_step();
      next_step(team, monitor);
    } else if (!std::isfinite(loss)) {
      // a non-finite stage (an overshoot: β = a·sinh(sθ) overflowed) rejects the step
      conclude(std::numeric_limits<double>::infinity(), team, monitor);
    } else if (s_ < 6) {
      if (!stage(s_ + 1, team)) conclude(std::numeric_limits<double>::infinity(), team, monitor);
    } else {
      conclude(error_norm(), team, monitor);
    }
  }

 private:
  // btmp_ = β(th)
  void set_point(const double* th, Team& team) {
    team.parallel_blocks(d_, RowChunks::kBlock, [&](Index, Index j0, Index j1) {
      for (Index j = j0; j < j1; ++j) btmp_[j] = net_.beta_of(j, th[j]);
    });
  }
  double criterion() const { return last_crit_ / opt_.grad_scale; }

  void record() {
    net_.beta(beta_);
    double* row = hist_.append_row();
    std::copy(beta_, beta_ + d_, row);
    if (theta_out_) std::copy(net_.theta().begin(), net_.theta().end(), theta_out_ + out_i_ * d_);
    ++out_i_;
  }

  // first step: the fastest relative change of β is ≈ 0.01·tol^{1/5} per step
  double first_step() const {
    double r = 0.0;
    const std::vector<double>& theta = net_.theta();
    for (Index j = 0; j < d_; ++j) r = std::max(r, net_.log_rate(j, theta[j]) * std::abs(k_(j, 0)));
    return r > 0.0 ? 0.01 * std::pow(opt_.rk_tol, 0.2) / r : 1.0;
  }

  // Stage s of the step of size hh_: stage_ = θ + hh·Σ_{i<s} a_{si} k_i, its β the next point;
  // false when the stage left the domain |cθ| < 1.
  bool stage(int s, Team& team) {
    const Eigen::Map<const Vec> th(net_.theta().data(), d_);
    const Eigen::Map<const Vec> a(detail::kA[s], s);
    stage_ = th + hh_ * (k_.leftCols(s) * a);
    for (Index j = 0; j < d_; ++j)
      if (!(net_.gap(j, stage_[j]) > 0.0)) return false;
    set_point(stage_.data(), team);
    s_ = s;
    return true;
  }

  // The error norm of the completed step (> 1: reject; +inf when not finite).
  double error_norm() const {
    const Eigen::Map<const Vec> th(net_.theta().data(), d_);
    const Vec e = k_ * Eigen::Map<const Vec>(detail::kE, 7);
    double err = 0.0;
    for (Index j = 0; j < d_; ++j) {
      // weigh by the larger log-rate of the two ends
      const double rho = std::max(net_.log_rate(j, th[j]), net_.log_rate(j, stage_[j]));
      const double ej = std::abs(hh_ * e[j]) * rho / opt_.rk_tol;
      if (std::isnan(ej)) return std::numeric_limits<double>::infinity();
      err = std::max(err, ej);
    }
    return std::isfinite(err) ? err : std::numeric_limits<double>::infinity();
  }

  // The step of size hh_ ended with error norm err: accept or reject it, then the next step.
  void conclude(double err, Team& team, Monitor& monitor) {
    if (!accept_or_reject(err)) return;
    ++steps_;
    next_step(team, monitor);
  }

  // false: the run diverged (finished)
  bool accept_or_reject(double err) {
    if (err <= 1.0) {
      // accept: θ ← the fifth-order solution (stage 7 was evaluated there: FSAL)
      Eigen::Map<Vec>(net_.theta().data(), d_) = stage_;
      k_.col(0) = k_.col(6);
      t_ = hits_ ? t_next_ : t_ + hh_;
      res_.step = hh_;
      ++res_.n_iter;
      cur_loss_ = last_loss_;
      crit_ = criterion();
      if (hits_ && out_i_ < n_times_) record();
      hist_.record_loss(res_.n_iter, cur_loss_, t_);
      double fac = err > 0.0 ? 0.9 * std::pow(err, -0.2) : 5.0;
      fac = std::min(last_rejected_ ? 1.0 : 5.0, std::max(0.2, fac));
      // a shortened landing step says nothing about the step the controller wanted
      h_ = hits_ ? std::max(h_, hh_ * fac) : hh_ * fac;
      last_rejected_ = false;
    } else {
      ++res_.n_rejected;
      h_ = hh_ * (std::isfinite(err) ? std::max(0.2, 0.9 * std::pow(err, -0.2)) : 0.25);
      last_rejected_ = true;
      if (!(h_ > 0.0) || h_ < 1e-300) {
        finish(Status::Diverged);
        return false;
      }
    }
    return true;
  }

  // Stop, or start the next step (a step whose first stage leaves the domain is rejected at once).
  void next_step(Team& team, Monitor& monitor) {
    for (;;) {
      res_.loss = cur_loss_;
      res_.criterion = crit_;
      Status status;
      if (std::isfinite(cur_loss_) && std::isfinite(crit_) && t_ >= t_end_) status = Status::Converged;
      else status = check_stop(rules_, steps_, cur_loss_, crit_, monitor);
      if (status != Status::Running) {
        finish(status);
        return;
      }
      // land exactly on the next output time (or t_end)
      t_next_ = out_i_ < n_times_ ? times_[out_i_] : t_end_;
      hits_ = t_ + h_ >= t_next_;
      hh_ = hits_ ? t_next_ - t_ : h_;
      if (stage(1, team)) return;
      if (!accept_or_reject(std::numeric_limits<double>::infinity())) return;
      ++steps_;
    }
  }

  void finish(Status status) {
    net_.beta(beta_);
    res_.status = status;
    res_.t = t_;
    wants_ = false;
  }

  MirrorNet& net_;
  const FlowOptions& opt_;
  const double* times_;
  Index n_times_;
  double* theta_out_;
  double* beta_;
  History& hist_;
  RunResult& res_;
  Index d_;
  Mat k_;
  Vec stage_;
  std::vector<double> btmp_, g_;
  StopRules rules_;
  double t_end_ = 0.0, t_ = 0.0, h_ = 0.0, hh_ = 0.0, t_next_ = 0.0;
  double cur_loss_ = 0.0, crit_ = 0.0, last_crit_ = 0.0, last_loss_ = 0.0;
  Index out_i_ = 0, steps_ = 0;
  int s_ = 0;
  bool hits_ = false, last_rejected_ = false, wants_ = false;
};

/// The argument checks of run_flow (shared with the batched driver).
inline void check_flow_args(const MirrorNet& net, Index d, const FlowOptions& opt, const double* times,
                            Index n_times) {
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (!(opt.rk_tol > 0.0)) throw std::invalid_argument("tol must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  for (Index i = 0; i < n_times; ++i) {
    if (!(times[i] >= 0.0) || (i > 0 && !(times[i] > times[i - 1])))
      throw std::invalid_argument("output times must be non-negative and strictly increasing");
  }
}

/// Integrates the flow from the net's θ. On return the net holds θ(t) at the time reached and
/// `beta` = β(θ(t)). `times` (increasing, may be null) are the output times: β there is
/// appended to the history's rows (and θ to `theta_out`, n_times × d, if not null). The loss is
/// recorded every loss_every accepted steps with its time. Only bad arguments throw.
template <class Loss>
RunResult run_flow(Loss& loss, MirrorNet& net, const FlowOptions& opt, const double* times, Index n_times,
                   double* theta_out, double* beta, History& hist, Monitor& monitor) {
  check_flow_args(net, loss.n_features(), opt, times, n_times);
  RunResult res;
  Team::run(work_threads(opt.n_threads, loss.work(), opt.min_parallel_work), [&](Team& team) {
    FlowStepper run(net, opt, times, n_times, theta_out, beta, hist, res);
    std::vector<double> crit, rate;
    run.begin(team);
    while (run.wants_eval()) {
      // one read of X (LeastSquares, deterministic for any thread count)
      const Evaluation ev = evaluate_full(loss, net, run.point(), run.grad(), team, crit, rate);
      run.absorb(ev.loss, ev.criterion, team, monitor);
    }
  });
  res.elapsed = monitor.elapsed();
  return res;
}

}  // namespace dlnfast
