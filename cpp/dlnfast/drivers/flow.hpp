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

/// The integrator's state for one run (run_flow below is its entry point).
template <class Loss>
class FlowIntegrator {
 public:
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  using Vec = Eigen::VectorXd;

  FlowIntegrator(Loss& loss, MirrorNet& net, const FlowOptions& opt, Team& team, RunResult& res)
      : loss_(loss), net_(net), opt_(opt), team_(team), res_(res), d_(loss.n_features()),
        k_(d_, 7), stage_(d_), btmp_(d_), g_(d_) {}

  void run(const double* times, Index n_times, double* theta_out, double* beta, History& hist, Monitor& monitor) {
    std::vector<double>& theta = net_.theta();
    Eigen::Map<Vec> th(theta.data(), d_);
    const double t_end = n_times > 0 ? times[n_times - 1] : opt_.t_end;
    StopRules rules = opt_.stop;
    if (n_times > 0 || !(rules.tol > 0.0)) rules.tol = -1.0;  // integrate to the output times only
    double t = 0.0;
    double cur_loss = eval(theta.data(), 0);
    double crit = criterion();
    Index out_i = 0;
    auto record = [&]() {
      net_.beta(beta);
      double* row = hist.append_row();
      std::copy(beta, beta + d_, row);
      if (theta_out) std::copy(theta.begin(), theta.end(), theta_out + out_i * d_);
      ++out_i;
    };
    while (out_i < n_times && times[out_i] <= 0.0) record();
    hist.record_loss(0, cur_loss, 0.0);
    double h = opt_.h0 > 0.0 ? opt_.h0 : first_step();
    bool last_rejected = false;
    Status status = Status::Running;
    for (Index steps = 0;; ++steps) {
      res_.loss = cur_loss;
      res_.criterion = crit;
      if (std::isfinite(cur_loss) && std::isfinite(crit) && t >= t_end) status = Status::Converged;
      else status = check_stop(rules, steps, cur_loss, crit, monitor);
      if (status != Status::Running) break;
      // land exactly on the next output time (or t_end)
      const double t_next = out_i < n_times ? times[out_i] : t_end;
      const bool hits = t + h >= t_next;
      const double hh = hits ? t_next - t : h;
      const double err = attempt(hh);
      if (err <= 1.0) {
        // accept: θ ← the fifth-order solution (stage 7 was evaluated there: FSAL)
        th = stage_;
        k_.col(0) = k_.col(6);
        t = hits ? t_next : t + hh;
        res_.step = hh;
        ++res_.n_iter;
        cur_loss = last_loss_;
        crit = criterion();
        if (hits && out_i < n_times) record();
        hist.record_loss(res_.n_iter, cur_loss, t);
        double fac = err > 0.0 ? 0.9 * std::pow(err, -0.2) : 5.0;
        fac = std::min(last_rejected ? 1.0 : 5.0, std::max(0.2, fac));
        // a shortened landing step says nothing about the step the controller wanted
        h = hits ? std::max(h, hh * fac) : hh * fac;
        last_rejected = false;
      } else {
        ++res_.n_rejected;
        h = hh * (std::isfinite(err) ? std::max(0.2, 0.9 * std::pow(err, -0.2)) : 0.25);
        last_rejected = true;
        if (!(h > 0.0) || h < 1e-300) {
          status = Status::Diverged;
          break;
        }
      }
    }
    net_.beta(beta);
    res_.status = status;
    res_.t = t;
  }

 private:
  // k_.col(i) = −g(β(th)); returns the loss. One read of X.
  double eval(const double* th, int i) {
    team_.parallel_blocks(d_, RowChunks::kBlock, [&](Index, Index j0, Index j1) {
      for (Index j = j0; j < j1; ++j) btmp_[j] = net_.beta_of(j, th[j]);
    });
    const Evaluation ev = evaluate_full(loss_, net_, btmp_.data(), g_.data(), team_, crit_, rate_);
    k_.col(i) = -Eigen::Map<const Vec>(g_.data(), d_);
    ++res_.n_grad;
    last_crit_ = ev.criterion;
    last_loss_ = ev.loss;
    return ev.loss;
  }
  // the stopping criterion at the last evaluation
  double criterion() const { return last_crit_ / opt_.grad_scale; }

  // first step: the fastest relative change of β is ≈ 0.01·tol^{1/5} per step
  double first_step() const {
    double r = 0.0;
    const std::vector<double>& theta = net_.theta();
    for (Index j = 0; j < d_; ++j) r = std::max(r, net_.log_rate(j, theta[j]) * std::abs(k_(j, 0)));
    return r > 0.0 ? 0.01 * std::pow(opt_.rk_tol, 0.2) / r : 1.0;
  }

  // Stages 2..7 of a step of size hh into stage_ (the fifth-order solution) and k_; returns the
  // error norm (> 1: reject; +inf when a stage left the domain or was not finite).
  double attempt(double hh) {
    const Eigen::Map<const Vec> th(net_.theta().data(), d_);
    for (int s = 1; s < 7; ++s) {
      // stage = θ + h·Σ_{i<s} a_{si} k_i
      const Eigen::Map<const Vec> a(detail::kA[s], s);
      stage_ = th + hh * (k_.leftCols(s) * a);
      for (Index j = 0; j < d_; ++j)
        if (!(net_.gap(j, stage_[j]) > 0.0)) return std::numeric_limits<double>::infinity();
      // a non-finite stage (an overshoot: β = a·sinh(sθ) overflowed) rejects the step too
      if (!std::isfinite(eval(stage_.data(), s))) return std::numeric_limits<double>::infinity();
    }
    const Vec e = k_ * Eigen::Map<const Vec>(detail::kE, 7);
    double err = 0.0;
    for (Index j = 0; j < d_; ++j) {
      // weigh by the larger log-rate of the two ends
      const double rho = std::max(net_.log_rate(j, th[j]), net_.log_rate(j, stage_[j]));
      const double ej = std::abs(hh * e[j]) * rho / opt_.rk_tol;
      if (std::isnan(ej)) return std::numeric_limits<double>::infinity();
      err = std::max(err, ej);
    }
    return std::isfinite(err) ? err : std::numeric_limits<double>::infinity();
  }

  Loss& loss_;
  MirrorNet& net_;
  const FlowOptions& opt_;
  Team& team_;
  RunResult& res_;
  Index d_;
  Mat k_;
  Vec stage_;
  std::vector<double> btmp_, g_, crit_, rate_;
  double last_crit_ = 0.0, last_loss_ = 0.0;
};

/// Integrates the flow from the net's θ. On return the net holds θ(t) at the time reached and
/// `beta` = β(θ(t)). `times` (increasing, may be null) are the output times: β there is
/// appended to the history's rows (and θ to `theta_out`, n_times × d, if not null). The loss is
/// recorded every loss_every accepted steps with its time. Only bad arguments throw.
template <class Loss>
RunResult run_flow(Loss& loss, MirrorNet& net, const FlowOptions& opt, const double* times, Index n_times,
                   double* theta_out, double* beta, History& hist, Monitor& monitor) {
  const Index d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (!(opt.rk_tol > 0.0)) throw std::invalid_argument("tol must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  for (Index i = 0; i < n_times; ++i) {
    if (!(times[i] >= 0.0) || (i > 0 && !(times[i] > times[i - 1])))
      throw std::invalid_argument("output times must be non-negative and strictly increasing");
  }
  RunResult res;
  Team::run(work_threads(opt.n_threads, loss.work(), opt.min_parallel_work), [&](Team& team) {
    FlowIntegrator<Loss> rk(loss, net, opt, team, res);
    rk.run(times, n_times, theta_out, beta, hist, monitor);
  });
  res.elapsed = monitor.elapsed();
  return res;
}

}  // namespace dlnfast
