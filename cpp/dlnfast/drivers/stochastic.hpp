// Stochastic gradient descent (mini-batch, optional momentum and label noise) on the factors
// of a DiagonalNet, for any loss with per-sample access (loss/least_squares.hpp's interface).
//
// Step t (β_t from the factors), batch of B sample positions p = t·B + b (core/sampling.hpp):
//   i_b = index(p),  ε_b = noise(p)
//   c_b = n·w_{i_b}·(ℓ'_{i_b}(x̃_{i_b}ᵀβ_t) − σ·ε_b) / B   (least squares: ℓ' = r, σ = label_noise:
//                                                        y_i + σε is the sampled label)
//   g_t = Σ_b c_b x̃_{i_b}                               (x̃ = x − x̄; unbiased: E g_t = ∇L(β_t))
//   η_t = StepRule::at(t, κ_t, max_j D·w^{D−2}|g_t,j|)
//         κ_t = (D²/B) Σ_b n·w_{i_b} Σ_j x̃_{i_b j}²·(w₊^{2D−2} + w₋^{2D−2})_j
//   κ_t is the trace, hence an upper bound, of the batch loss's Gauss–Newton curvature in factor
//   space (a sum of B rank-one terms J x xᵀ J, J = D·diag(w^{D−1})), so 1/κ_t is half its
//   stability limit, as for GD; it is sample dependent (normalised-LMS style) but every
//   identity of DESIGN §3.1 holds for any step sequence.
//   state ← Optim::step(η_t, g_t)       (plain or momentum, optim/)
//
// Every `eval_every` steps (and at the last) the full-batch loss and gradient are evaluated at β_t
// (one read of X, drivers/evaluate.hpp): they feed the history, the stopping rules of
// core/control.hpp and the divergence test. Between evaluations a step touches only its B rows
// of X: O(B·d) and no allocation (batch size 1 included).
//
// Batch size 1 at depth 2 with the plain step (the common research loop) takes a fused path:
// one pass over the coordinates per step (loss/sgd_kernels.hpp), always on the driver thread.
//
// Determinism for any thread count: the stream is drawn by the driver; each c_b is one chunk's
// full dot product; each g_j is summed over b in batch order within one block; the update is per
// coordinate. The steps' passes use the team only when B·d is above the work threshold.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"
#include "dlnfast/core/monitor.hpp"
#include "dlnfast/core/sampling.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/drivers/evaluate.hpp"
#include "dlnfast/loss/sgd_kernels.hpp"
#include "dlnfast/nets/diagonal_net.hpp"
#include "dlnfast/optim/plain.hpp"

namespace dlnfast {

struct StochasticOptions {
  StopRules stop;
  StepRule step;
  double grad_scale = 1.0;
  int n_threads = 1;
  Index batch_size = 1;
  bool shuffle = false;        ///< epoch shuffling (true) or sampling with replacement (false)
  std::uint64_t seed = 0;
  double label_noise = 0.0;    ///< σ ≥ 0
  Index eval_every = 1;        ///< steps between full-batch evaluations (≥ 1)
  Index min_parallel_work = kMinParallelWork;  ///< passes smaller than this run on one thread
};

namespace detail {

/// The value of a loss's virtual constant column (MarginLoss::virtual_column: its intercept
/// column), 0 for a loss without one (least squares centres instead).
template <class Loss>
auto virtual_column(const Loss& loss, int) -> decltype(loss.virtual_column()) {
  return loss.virtual_column();
}
template <class Loss>
double virtual_column(const Loss&, long) { return 0.0; }

/// The bookkeeping both SGD loops share at the top of step t: the outcome of step t − 1 has
/// been read by the caller; here the full-batch evaluation when due, the history and the
/// stopping rules (core/control.hpp). `materialise()` makes β current (the fused path defers
/// it); `snapshot(out)` writes β of the iterate.
template <class Loss>
class SgdCheckpoint {
 public:
  SgdCheckpoint(Loss& loss, const StochasticOptions& opt, History& hist, Monitor& monitor, RunResult& res,
                bool steps_serial)
      : loss_(loss), opt_(opt), hist_(hist), monitor_(monitor), res_(res), steps_serial_(steps_serial),
        g_(loss.n_features()) {}

  template <class Net, class Materialise, class Snapshot>
  Status at(Index t, const Net& net, double* beta, Team& team, Materialise&& materialise, Snapshot&& snapshot) {
    const bool eval = (t % opt_.eval_every == 0) || t >= opt_.stop.max_iter;
    if (eval) {
      materialise();
      const Evaluation ev = evaluate_full(loss_, net, beta, g_.data(), team, crit_, rate_);
      ++res_.n_grad;
      res_.loss = ev.loss;
      res_.criterion = ev.criterion / opt_.grad_scale;
      hist_.record_loss(t, ev.loss);
      // the steps until the next evaluation run on the driver alone (fused path, or batch
      // passes below the work threshold): let the workers sleep meanwhile
      if (steps_serial_) team.rest();
    }
    if (double* row = hist_.snapshot_row(t)) {
      materialise();
      snapshot(row);
    }
    // the clock is read every 256 steps (or at evaluations): it costs as much as a d = 10 step
    return check_stop(opt_.stop, t, res_.loss, res_.criterion, monitor_, eval, eval || t % 256 == 0);
  }

 private:
  Loss& loss_;
  const StochasticOptions& opt_;
  History& hist_;
  Monitor& monitor_;
  RunResult& res_;
  bool steps_serial_;
  std::vector<double> g_, crit_, rate_;
};

/// Batch size 1, depth 2, plain step: the fused single-pass step of loss/sgd_kernels.hpp on the
/// driver thread (its results never depend on n_threads); full-batch evaluations use the team.
/// (Longer than most functions here on purpose: the prologue, the plain/mantissa switch and the
/// step are one pipeline over shared state — the next sample's ingredients come out of this
/// step's pass — and splitting it would pass that state through every piece.)
template <class Loss>
void run_sgd_fused(Loss& loss, DiagonalNet& net, const StochasticOptions& opt, double* beta, History& hist,
                   Monitor& monitor, Team& team, RunResult& res) {
  using T = typename Loss::Scalar;
  const Index n = loss.n_samples(), d = loss.n_features();
  const double* x_mean = loss.x_mean();
  SampleStream stream(opt.seed, n, opt.shuffle);
  SgdCheckpoint<Loss> checkpoint(loss, opt, hist, monitor, res, /*steps_serial=*/true);
  double* mp = net.mantissas();
  double* mn = mp + d;
  const double* sp = net.power_scales();
  const double* sn = sp + d;
  // While every factor lies in [2^−450, 2^450] (so that w² is a normal double) the factors are
  // held as plain doubles and β is not stored between evaluations: 4 arrays per step instead
  // of 7, same bits (fused_sgd_step_plain). A factor leaving that window moves the state
  // (exactly) back into the network's m·2^e storage for the rest of the run.
  constexpr double kPlainLow = 0x1p-450, kPlainHigh = 0x1p450;
  std::vector<double> wpl(d), wnl(d);
  bool plain = net.to_plain(wpl.data(), wnl.data(), kPlainLow, kPlainHigh);
  bool beta_stale = false;
  auto materialise = [&]() {  // β = w₊² − w₋² from the plain factors, as the kernel forms it
    if (!beta_stale) return;
    for (Index j = 0; j < d; ++j) beta[j] = wpl[j] * wpl[j] - wnl[j] * wnl[j];
    beta_stale = false;
  };
  auto snapshot = [&](double* row) { std::copy(beta, beta + d, row); };
  // Prologue: the first sample's ingredients at β_0 (a zero step rewrites the same factors and
  // β bit for bit: m·(1 − 0) = m).
  Index i_cur = stream.index(0);
  FusedStepOut cur;
  net.beta(beta);
  if (plain) fused_sgd_step_plain(loss.row(i_cur), loss.row(i_cur), x_mean, d, 0.0, wpl.data(), wnl.data(), &cur);
  else fused_sgd_step(loss.row(i_cur), loss.row(i_cur), x_mean, d, 0.0, mp, mn, sp, sn, beta, &cur);
  bool diverged = false, renorm = false;
  double prev_rate = 0.0;
  Status status = Status::Running;
  Index t = 0;
  for (;; ++t) {
    if (t > 0) {
      if (diverged) {
        status = Status::Diverged;
        res.suggested_step = suggested_step(prev_rate);
        break;
      } else if (renorm && plain) {
        materialise();
        net.assign_plain(wpl.data(), wnl.data());  // exact; β and cur unchanged
        plain = false;
      } else if (renorm) {
        net.renormalise();  // exact; β, and so cur.dot, are unchanged
      }
    }
    status = checkpoint.at(t, net, beta, team, materialise, snapshot);
    if (status != Status::Running) break;
    // Step t on sample i_cur: c = n·w_i·(ℓ'(x̃ᵀβ) − σε) (B = 1), g = c·x̃.
    const std::uint64_t pos = static_cast<std::uint64_t>(t);
    const double noise = opt.label_noise > 0.0 ? opt.label_noise * stream.noise(pos) : 0.0;
    const double wi = loss.sample_weight(i_cur);
    const double c = wi * (loss.derivative(i_cur, cur.dot) - noise);
    const double rate = 2.0 * std::abs(c) * cur.xmax;  // max_j 2|g_j|
    // κ_t = D²·n·w_i·Σ x̃_j²(w₊² + w₋²)_j
    double eta = opt.step.at(t, 4.0 * wi * cur.kappa * loss.max_second_derivative(), rate);
    if (!std::isfinite(eta)) eta = 0.0;  // zero stochastic gradient: nothing to do this step
    res.step = eta;
    prev_rate = rate;
    // The next sample (any row after the last step: its ingredients are then unused).
    const Index i_next = t + 1 < opt.stop.max_iter ? stream.index(pos + 1) : i_cur;
    const T* x = loss.row(i_cur);
    const T* xn = loss.row(i_next);
    FusedStepOut next;
    if (plain) {
      fused_sgd_step_plain(x, xn, x_mean, d, 2.0 * eta * c, wpl.data(), wnl.data(), &next);
      beta_stale = true;
      renorm = next.lo < kPlainLow || next.hi > kPlainHigh;
    } else {
      fused_sgd_step(x, xn, x_mean, d, 2.0 * eta * c, mp, mn, sp, sn, beta, &next);
      renorm = next.lo < DiagonalNet::kLow || next.hi > DiagonalNet::kHigh;
    }
    diverged = !(next.lo > 0.0) || !std::isfinite(next.babs);
    cur = next;
    i_cur = i_next;
  }
  if (plain) {  // hand the state back to the network (exact)
    materialise();
    net.assign_plain(wpl.data(), wnl.data());
  }
  res.status = status;
  res.n_iter = t;
}

/// The general mini-batch loop (any batch size, depth and optimiser; any network with
/// curvature_weight(j) and rate(j, g_j): DiagonalNet, nets/factor_net.hpp).
template <class Loss, class Net, class Optim>
void run_sgd_batch(Loss& loss, Net& net, Optim& optim, const StochasticOptions& opt, double* beta,
                   History& hist, Monitor& monitor, Team& team, RunResult& res) {
  using T = typename Loss::Scalar;
  const Index n = loss.n_samples(), d = loss.n_features(), B = opt.batch_size;
  const double* x_mean = loss.x_mean();
  const int D = net.depth();
  Team& step_team = B * d >= opt.min_parallel_work ? team : Team::serial();
  SampleStream stream(opt.seed, n, opt.shuffle);
  SgdCheckpoint<Loss> checkpoint(loss, opt, hist, monitor, res, &step_team != &team);
  std::vector<Index> idx(B);
  std::vector<double> c(B), kappa(B, 0.0), noise(B, 0.0), g(d), rate_blk;
  auto xt = [&](const T* x, Index j) { return double(x[j]) - (x_mean ? x_mean[j] : 0.0); };
  // a loss with a virtual constant column (loss/margin.hpp's intercept): x̃_{i,dw} = icol, the
  // stored rows have dw = d − 1 entries; otherwise dw = d
  const double icol = detail::virtual_column(loss, 0);
  const Index dw = icol != 0.0 ? d - 1 : d;
  net.beta(beta);
  StepStats stats;
  double prev_rate = 0.0;
  Status status = Status::Running;
  Index t = 0;
  for (;; ++t) {
    if (t > 0) {
      if (stats.diverged()) {
        status = Status::Diverged;
        res.suggested_step = suggested_step(prev_rate);
        break;
      } else if (stats.renormalise) {
        optim.renormalise(net);
      }
    }
    status = checkpoint.at(t, net, beta, team, [] {}, [&](double* row) { optim.iterate_beta(net, beta, row); });
    if (status != Status::Running) break;
    // The batch of step t: positions t·B .. t·B + B − 1 of the stream.
    const std::uint64_t p0 = static_cast<std::uint64_t>(t) * static_cast<std::uint64_t>(B);
    for (Index b = 0; b < B; ++b) {
      idx[b] = stream.index(p0 + b);
      if (opt.label_noise > 0.0) noise[b] = opt.label_noise * stream.noise(p0 + b);
    }
    // c_b = n·w_{i_b}·(ℓ'(x̃ᵀβ) − σε_b)/B, and κ_b = n·w_{i_b}·Σ_j x̃_j²·(w₊^{2D−2} + w₋^{2D−2})_j
    step_team.parallel_for(B, [&](Index b) {
      const Index i = idx[b];
      const T* x = loss.row(i);
      double s = 0.0;
      for (Index j = 0; j < dw; ++j) s += xt(x, j) * beta[j];
      if (dw < d) s += icol * beta[dw];
      const double wi = loss.sample_weight(i);
      c[b] = wi * (loss.derivative(i, s) - noise[b]) / double(B);
      if (opt.step.auto_step) {
        double k = 0.0;
        for (Index j = 0; j < dw; ++j) k += xt(x, j) * xt(x, j) * net.curvature_weight(j);
        if (dw < d) k += icol * icol * net.curvature_weight(dw);
        kappa[b] = wi * k;
      }
    });
    // g_j = Σ_b c_b x̃_{i_b j}, b in batch order, per coordinate block; the rate bound per block
    rate_blk.assign((d + RowChunks::kBlock - 1) / RowChunks::kBlock, 0.0);
    step_team.parallel_blocks(d, RowChunks::kBlock, [&](Index blk, Index j0, Index j1) {
      for (Index j = j0; j < j1; ++j) g[j] = 0.0;
      for (Index b = 0; b < B; ++b) {
        const T* x = loss.row(idx[b]);
        const Index j1w = std::min(j1, dw);
        for (Index j = j0; j < j1w; ++j) g[j] += c[b] * xt(x, j);
        if (j1 > dw) g[dw] += c[b] * icol;  // the virtual column is the last coordinate
      }
      double r = 0.0;
      for (Index j = j0; j < j1; ++j) r = std::max(r, net.rate(j, g[j]));
      rate_blk[blk] = r;
    });
    double rate = 0.0, curv = 0.0;
    for (double r : rate_blk) rate = std::max(rate, r);
    for (Index b = 0; b < B; ++b) curv += kappa[b];
    curv *= double(D) * D / double(B) * loss.max_second_derivative();
    double eta = opt.step.at(t, curv, rate);
    if (!std::isfinite(eta)) eta = 0.0;  // zero stochastic gradient: nothing to do this step
    res.step = eta;
    prev_rate = rate;
    stats = optim.step(net, eta, g.data(), beta, step_team);
  }
  optim.finish(net, beta);
  res.status = status;
  res.n_iter = t;
}

}  // namespace detail

/// Runs SGD from the network's current factors (contract of run_full_batch; history entries
/// are recorded at evaluations whose step number is a multiple of the history's loss_every).
template <class Loss, class Net, class Optim>
RunResult run_stochastic(Loss& loss, Net& net, Optim& optim, const StochasticOptions& opt, double* beta,
                         History& hist, Monitor& monitor) {
  const Index d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (opt.stop.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (opt.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
  if (opt.eval_every < 1) throw std::invalid_argument("eval_every must be >= 1");
  if (!opt.step.auto_step && !(opt.step.step > 0.0)) throw std::invalid_argument("step must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  if (!(opt.step.step_decay >= 0.0)) throw std::invalid_argument("step_decay must be >= 0");
  if (!(opt.label_noise >= 0.0)) throw std::invalid_argument("label_noise must be >= 0");
  RunResult res;
  Team::run(work_threads(opt.n_threads, loss.work(), opt.min_parallel_work), [&](Team& team) {
    if constexpr (std::is_same_v<Optim, PlainStep> && std::is_same_v<Net, DiagonalNet>) {
      if (opt.batch_size == 1 && net.depth() == 2 && !net.weight_decay().active() &&
          detail::virtual_column(loss, 0) == 0.0) {  // the fused kernel reads whole stored rows
        detail::run_sgd_fused(loss, net, opt, beta, hist, monitor, team, res);
        return;
      }
    }
    detail::run_sgd_batch(loss, net, optim, opt, beta, hist, monitor, team, res);
  });
  res.elapsed = monitor.elapsed();
  return res;
}

}  // namespace dlnfast
