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
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/least_squares.hpp"
#include "dlnfast/mirror_net.hpp"
#include "dlnfast/status.hpp"

namespace dlnfast {

struct FlowOptions {
  double tol = 1e-8;         ///< local error tolerance, relative-β units per step
  double t_end = std::numeric_limits<double>::infinity();  ///< stop time (≥ last output time)
  bool stop_at_grad_tol = true;  ///< also stop when ‖g‖∞ ≤ grad_tol·grad_scale
  double grad_tol = 1e-5;
  double grad_scale = 1.0;
  double h0 = 0.0;           ///< first step; ≤ 0: chosen from the initial gradient
  long max_steps = 100000;   ///< accepted + rejected steps
  int n_threads = 1;
};

struct FlowHistory {
  const double* times = nullptr;  ///< increasing output times (≥ 0)
  long n_times = 0;
  double* beta_out = nullptr;     ///< n_times × d, row-major
  double* theta_out = nullptr;    ///< n_times × d or nullptr
  long n_out = 0;                 ///< out: rows written
  long loss_every = 0;            ///< record L every `loss_every` accepted steps (0: never)
  double* loss = nullptr;
  double* loss_time = nullptr;    ///< the times of the recorded losses
  long loss_capacity = 0;
  long n_loss = 0;                ///< out
};

struct FlowResult {
  Status status = Status::Running;
  long n_steps = 0;      ///< accepted steps
  long n_rejected = 0;
  long n_grad = 0;       ///< gradient evaluations (passes over X)
  double t = 0.0;        ///< time reached
  double loss = 0.0;
  double criterion = 0.0;
  double step = 0.0;     ///< last accepted step
  long n_out = 0, n_loss = 0;
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

/// Integrates the flow from the net's θ. On return the net holds θ(t) at the time reached and
/// `beta` = β(θ(t)). Only bad arguments throw (before any work).
template <class T>
FlowResult run_flow(LeastSquares<T>& loss, MirrorNet& net, const FlowOptions& opt, double* beta,
                    FlowHistory& hist, Monitor& monitor) {
  const Index d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (!(opt.tol > 0.0)) throw std::invalid_argument("tol must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  for (long i = 0; i < hist.n_times; ++i) {
    if (!(hist.times[i] >= 0.0) || (i > 0 && !(hist.times[i] > hist.times[i - 1])))
      throw std::invalid_argument("output times must be non-negative and strictly increasing");
  }
  const int nt = std::max(1, opt.n_threads);
  const double t_end = hist.n_times > 0 ? hist.times[hist.n_times - 1] : opt.t_end;

  std::vector<double>& theta = net.theta();
  std::vector<double> k(7 * d), stage(d), btmp(d);
  auto K = [&](int i) { return k.data() + i * d; };

  FlowResult res;
  // k_out = −g(β(th)); returns the loss. One parallel region, one pass over X.
  auto eval = [&](const double* th, double* k_out) -> double {
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
      for (Index j = 0; j < d; ++j) btmp[j] = net.beta_of(j, th[j]);
      loss.accumulate(btmp.data());
      loss.gradient(k_out);
#pragma omp for schedule(static)
      for (Index j = 0; j < d; ++j) k_out[j] = -k_out[j];
    }
    ++res.n_grad;
    return loss.loss();
  };
  // the stopping criterion at the last evaluation (btmp = β there, kk = −g there)
  auto gmax_of = [&](const double* kk) {
    double m = 0.0;
    for (Index j = 0; j < d; ++j) m = std::max(m, net.criterion_term(j, -kk[j], btmp.data()));
    return m;
  };
  auto record = [&](double t) {
    net.beta(beta);
    std::copy(beta, beta + d, hist.beta_out + hist.n_out * d);
    if (hist.theta_out) std::copy(theta.begin(), theta.end(), hist.theta_out + hist.n_out * d);
    ++hist.n_out;
    (void)t;
  };

  double t = 0.0;
  double cur_loss = eval(theta.data(), K(0));
  double crit = gmax_of(K(0)) / opt.grad_scale;
  long out_i = 0;
  while (out_i < hist.n_times && hist.times[out_i] <= 0.0) {
    record(0.0);
    ++out_i;
  }
  if (hist.loss_every > 0 && hist.n_loss < hist.loss_capacity) {
    hist.loss[hist.n_loss] = cur_loss;
    if (hist.loss_time) hist.loss_time[hist.n_loss] = 0.0;
    ++hist.n_loss;
  }
  // first step: the fastest relative change of β is ≈ 0.01·tol^{1/5} per step
  double h = opt.h0;
  if (!(h > 0.0)) {
    double r = 0.0;
    for (Index j = 0; j < d; ++j) r = std::max(r, net.log_rate(j, theta[j]) * std::abs(K(0)[j]));
    h = r > 0.0 ? 0.01 * std::pow(opt.tol, 0.2) / r : 1.0;
  }
  bool last_rejected = false;
  Status status = Status::Running;
  long steps = 0;
  while (status == Status::Running) {
    if (!std::isfinite(cur_loss) || !std::isfinite(crit)) {
      status = Status::Diverged;
      break;
    }
    if (opt.stop_at_grad_tol && hist.n_times == 0 && crit <= opt.grad_tol) {
      status = Status::Converged;
      break;
    }
    if (t >= t_end) {
      status = Status::Converged;
      break;
    }
    if (steps >= opt.max_steps) {
      status = Status::MaxIter;
      break;
    }
    if (monitor.should_stop(res.n_steps, cur_loss, crit)) {
      status = Status::Interrupted;
      break;
    }
    ++steps;
    // land exactly on the next output time (or t_end)
    const double t_next = out_i < hist.n_times ? hist.times[out_i] : t_end;
    bool hits = false;
    double hh = h;
    if (t + hh >= t_next) {
      hh = t_next - t;
      hits = true;
    }
    // stages 2..7
    bool outside = false;
    for (int s = 1; s < 7 && !outside; ++s) {
      for (Index j = 0; j < d; ++j) {
        double acc = 0.0;
        for (int i = 0; i < s; ++i) acc += detail::kA[s][i] * K(i)[j];
        stage[j] = theta[j] + hh * acc;
        if (!(net.gap(j, stage[j]) > 0.0)) outside = true;
      }
      // a non-finite stage (an overshoot: β = a·sinh(sθ) overflowed) rejects the step too
      if (!outside && !std::isfinite(eval(stage.data(), K(s)))) outside = true;
    }
    double err = std::numeric_limits<double>::infinity();
    if (!outside) {
      err = 0.0;
      for (Index j = 0; j < d; ++j) {
        double e = 0.0;
        for (int i = 0; i < 7; ++i) e += detail::kE[i] * K(i)[j];
        // weigh by the larger log-rate of the two ends
        const double rho = std::max(net.log_rate(j, theta[j]), net.log_rate(j, stage[j]));
        const double ej = std::abs(hh * e) * rho / opt.tol;
        err = ej > err ? ej : (std::isnan(ej) ? std::numeric_limits<double>::infinity() : err);
      }
      if (!std::isfinite(err)) err = std::numeric_limits<double>::infinity();
    }
    if (err <= 1.0) {
      // accept: θ ← the fifth-order solution (stage 7 is evaluated at it: FSAL)
      std::copy(stage.begin(), stage.end(), theta.begin());
      std::copy(K(6), K(6) + d, K(0));
      t = hits ? t_next : t + hh;
      res.step = hh;
      ++res.n_steps;
      cur_loss = loss.loss();  // the loss at the last evaluation, which was at the new θ
      crit = gmax_of(K(0)) / opt.grad_scale;
      if (hits && out_i < hist.n_times) {
        record(t);
        ++out_i;
      }
      if (hist.loss_every > 0 && res.n_steps % hist.loss_every == 0 && hist.n_loss < hist.loss_capacity) {
        hist.loss[hist.n_loss] = cur_loss;
        if (hist.loss_time) hist.loss_time[hist.n_loss] = t;
        ++hist.n_loss;
      }
      double fac = err > 0.0 ? 0.9 * std::pow(err, -0.2) : 5.0;
      fac = std::min(last_rejected ? 1.0 : 5.0, std::max(0.2, fac));
      // a shortened landing step says nothing about the step the controller wanted
      h = hits ? std::max(h, hh * fac) : hh * fac;
      last_rejected = false;
    } else {
      ++res.n_rejected;
      const double fac = std::isfinite(err) ? std::max(0.2, 0.9 * std::pow(err, -0.2)) : 0.25;
      h = hh * fac;
      last_rejected = true;
      if (!(h > 0.0) || h < 1e-300) {
        status = Status::Diverged;
        break;
      }
    }
  }
  net.beta(beta);
  res.status = status;
  res.t = t;
  res.loss = cur_loss;
  res.criterion = crit;
  res.n_out = hist.n_out;
  res.n_loss = hist.n_loss;
  return res;
}

}  // namespace dlnfast
