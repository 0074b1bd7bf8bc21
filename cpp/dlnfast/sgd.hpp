// Stochastic gradient descent (mini-batch, optional momentum and label noise) on the factors
// of a DiagonalNet, for the LeastSquares loss.
//
// Step t (β_t from the factors), batch of B sample positions p = t·B + b (sampling.hpp):
//   i_b = index(p),  ε_b = noise(p)
//   r_b = (x_{i_b} − x̄)ᵀβ_t − ỹ_{i_b} − σ·ε_b         (σ = label_noise: y_i + σε is the label)
//   c_b = n·w_{i_b}·r_b / B                             (w_i = 1/n unweighted: c_b = r_b/B)
//   g_t = Σ_b c_b (x_{i_b} − x̄)                        (unbiased: E g_t = ∇L(β_t))
//   η_t = step/(1 + step_decay·t), or with auto_step
//         η_t = min(1/κ_t, ¼ / max_j D·w^{D−2}|g_t,j|) / (1 + step_decay·t),
//         κ_t = (D²/B) Σ_b n·w_{i_b} Σ_j (x_{i_b j} − x̄_j)²·(w₊^{2D−2} + w₋^{2D−2})_j
//   κ_t is the trace, hence an upper bound, of the batch loss's Gauss–Newton curvature in factor
//   space (a sum of B rank-one terms J x xᵀ J, J = D·diag(w^{D−1})), so 1/κ_t is half its
//   stability limit, as for GD; it is sample dependent (normalised-LMS style) but every
//   identity of DESIGN §3.1 holds for any step sequence. Like GD's rule, the second term keeps
//   every factor within 25 % of itself per step.
//   w± ← w±(1 ∓ η_t·D·w±^{D−2}·g_t)      (DiagonalNet::update), or momentum (momentum.hpp)
//
// Every `eval_every` steps (and at the last) the full-batch loss and gradient are evaluated at β_t
// (one pass over X, LeastSquares): they feed the history, the tol test ‖∇L‖∞ ≤ tol·grad_scale and
// the divergence test. Between evaluations a step touches only its B rows of X: O(B·d) and no
// allocation (batch size 1 included).
//
// Batch size 1 at depth 2 without momentum (the common research loop) takes a fused path: one
// pass over the coordinates per step (sgd_kernels.hpp), always single-threaded.
//
// Determinism for any thread count: the stream is drawn by one thread; each residual r_b is one
// thread's full dot product; each g_j is summed over b in batch order by one thread; the update is
// per coordinate. Threads are used only when B·d is large enough (work_threads): for B·d below
// ~64k per thread the four barriers of a parallel step cost more than they save.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "dlnfast/diagonal_net.hpp"
#include "dlnfast/gd.hpp"
#include "dlnfast/least_squares.hpp"
#include "dlnfast/momentum.hpp"
#include "dlnfast/sampling.hpp"
#include "dlnfast/sgd_kernels.hpp"
#include "dlnfast/status.hpp"
#include "dlnfast/threads.hpp"

namespace dlnfast {

struct SGDOptions {
  bool auto_step = true;
  double step = 0.0;           ///< fixed step η when !auto_step (> 0)
  double step_decay = 0.0;     ///< η_t = η/(1 + step_decay·t)
  long batch_size = 1;
  bool shuffle = false;        ///< epoch shuffling (true) or sampling with replacement (false)
  std::uint64_t seed = 0;
  double label_noise = 0.0;    ///< σ ≥ 0
  double momentum = 0.0;       ///< μ ∈ [0, 1)
  bool nesterov = false;
  long max_iter = 1000;        ///< steps
  long eval_every = 1;         ///< steps between full-batch evaluations (≥ 1)
  double tol = 1e-5;
  double grad_scale = 1.0;
  int n_threads = 1;
  long min_work_per_thread = 1L << 16;  ///< B·d per thread below which fewer threads are used
};

namespace detail {

/// Inside a parallel region: the full-batch gradient at β into g (chunk partials added in a
/// fixed order, as in run_gd) and this thread's max of the stopping-criterion terms
/// (DiagonalNet::criterion_term: |g_j|, projected for a one-signed coordinate). No barrier at
/// the end: the caller merges the maxima and synchronises.
template <class T>
double full_gradient_max(LeastSquares<T>& loss, const DiagonalNet& net, const double* beta, double* g) {
  loss.accumulate(beta);
  const double sum_c = loss.sum_weighted_residual();
  const Index nb = loss.n_blocks(), B = LeastSquares<T>::kBlock, d = loss.n_features();
  double lg = 0.0;
#pragma omp for schedule(static) nowait
  for (Index b = 0; b < nb; ++b) {
    const Index j0 = b * B, j1 = std::min(d, j0 + B);
    loss.gradient_block(j0, j1, sum_c, g);
    for (Index j = j0; j < j1; ++j) lg = std::max(lg, net.criterion_term(j, g[j], beta));
  }
  return lg;
}

/// Batch size 1, depth 2, no momentum: the fused single-pass step of sgd_kernels.hpp, always on
/// one thread (a team's barriers cost more than a step at any d below ~10⁵, see
/// benchmarks/README.md), so its results never depend on n_threads. Same contract and the same
/// order of checks as the general loop of run_sgd; the full-batch evaluations use
/// work_threads(n_threads, n·d) threads.
template <class T>
GDResult run_sgd_single(LeastSquares<T>& loss, const T* X, const double* y_centred, const double* weights,
                        const double* x_mean, DiagonalNet& net, const SGDOptions& opt, double* beta,
                        GDHistory& hist, Monitor& monitor) {
  const Index n = loss.n_samples(), d = loss.n_features();
  const int nt_eval = work_threads(opt.n_threads, static_cast<long long>(n) * d);
  SampleStream stream(opt.seed, n, opt.shuffle);
  double* mp = net.mantissas();
  double* mn = mp + d;
  const double* sp = net.power_scales();
  const double* sn = sp + d;
  auto row = [&](Index i) { return X + i * d; };
  std::vector<double> gfull(d);  // the full-batch gradient of the evaluations

  GDResult res;
  Status status = Status::Running;
  long t = 0;
  double cur_loss = 0.0, prev_rate = 0.0;
  // Prologue: the first sample's residual ingredients at β_0 (a zero step rewrites the same
  // factors and β bit for bit: m·(1 − 0) = m).
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
  Index i_cur = stream.index(0);
  FusedStepOut cur;
  net.beta(beta);
  if (plain) fused_sgd_step_plain(row(i_cur), row(i_cur), x_mean, d, 0.0, wpl.data(), wnl.data(), &cur);
  else fused_sgd_step(row(i_cur), row(i_cur), x_mean, d, 0.0, mp, mn, sp, sn, beta, &cur);
  bool diverged = false, renorm = false;

  for (;;) {
    if (t > 0) {
      if (diverged) {
        status = Status::Diverged;
        res.suggested_step = prev_rate > 0.0 ? 0.25 / prev_rate : 0.0;
      } else if (renorm && plain) {
        materialise();
        net.assign_plain(wpl.data(), wnl.data());  // exact; β and cur unchanged
        plain = false;
      } else if (renorm) {
        net.renormalise();  // exact; β, and so cur.dot, are unchanged
      }
    }
    const bool eval = (t % opt.eval_every == 0) || t >= opt.max_iter;
    if (eval) {
      materialise();
      double gmax = 0.0;
#pragma omp parallel num_threads(nt_eval)
      {
        const double lg = full_gradient_max(loss, net, beta, gfull.data());
#pragma omp critical(dlnfast_sgd_grad)
        gmax = std::max(gmax, lg);
      }
      cur_loss = loss.loss();
      res.criterion = gmax / opt.grad_scale;
      hist.record_loss(t, cur_loss);
    }
    if (double* row = hist.snapshot_row(t, d)) {
      materialise();
      std::copy(beta, beta + d, row);
    }
    if (status == Status::Running) {
      if (eval && (!std::isfinite(cur_loss) || !std::isfinite(res.criterion))) status = Status::Diverged;
      else if (eval && res.criterion <= opt.tol) status = Status::Converged;
      else if (t >= opt.max_iter) status = Status::MaxIter;
      else if ((eval || t % 256 == 0) && monitor.should_stop(t, cur_loss, res.criterion))
        status = Status::Interrupted;
    }
    if (status != Status::Running) break;

    // Step t on sample i_cur: r = x̃ᵀβ − ỹ_i − σε, c = n·w_i·r (B = 1), g = c·x̃.
    const std::uint64_t pos = static_cast<std::uint64_t>(t);
    const double noise = opt.label_noise > 0.0 ? opt.label_noise * stream.noise(pos) : 0.0;
    const double wi = weights ? weights[i_cur] * double(n) : 1.0;
    const double c = wi * (cur.dot - y_centred[i_cur] - noise);
    const double rate = 2.0 * std::abs(c) * cur.xmax;  // max_j 2|g_j|
    double eta;
    if (opt.auto_step) {
      const double curv = 4.0 * wi * cur.kappa;  // κ_t = D²·n·w_i·Σ x̃_j²(w₊² + w₋²)_j
      const double by_curv = curv > 0.0 ? 1.0 / curv : std::numeric_limits<double>::infinity();
      const double by_rate = rate > 0.0 ? 0.25 / rate : std::numeric_limits<double>::infinity();
      eta = std::min(by_curv, by_rate) / (1.0 + opt.step_decay * double(t));
      if (!std::isfinite(eta)) eta = 0.0;
    } else {
      eta = opt.step / (1.0 + opt.step_decay * double(t));
    }
    res.step = eta;
    prev_rate = rate;
    // The next sample (any row after the last step: its ingredients are then unused).
    const Index i_next = t + 1 < opt.max_iter ? stream.index(pos + 1) : i_cur;
    FusedStepOut next;
    if (plain) {
      fused_sgd_step_plain(row(i_cur), row(i_next), x_mean, d, 2.0 * eta * c, wpl.data(), wnl.data(), &next);
      beta_stale = true;
      renorm = next.lo < kPlainLow || next.hi > kPlainHigh;
    } else {
      fused_sgd_step(row(i_cur), row(i_next), x_mean, d, 2.0 * eta * c, mp, mn, sp, sn, beta, &next);
      renorm = next.lo < DiagonalNet::kLow || next.hi > DiagonalNet::kHigh;
    }
    diverged = !(next.lo > 0.0) || !std::isfinite(next.babs);
    cur = next;
    i_cur = i_next;
    ++t;
  }
  if (plain) {  // hand the state back to the network (exact)
    materialise();
    net.assign_plain(wpl.data(), wnl.data());
  }
  res.status = status;
  res.n_iter = t;
  res.loss = cur_loss;
  return res;
}

}  // namespace detail

/// Runs SGD from the network's current factors; same contract as run_gd (history entries are
/// recorded at evaluations whose step number is a multiple of hist.loss_every, snapshots at
/// any step). On return `beta` holds β at the last iterate.
template <class T>
GDResult run_sgd(LeastSquares<T>& loss, const T* X, const double* y_centred, const double* weights,
                 const double* x_mean, DiagonalNet& net, const SGDOptions& opt, double* beta,
                 GDHistory& hist, Monitor& monitor) {
  const Index n = loss.n_samples(), d = loss.n_features();
  if (net.size() != d) throw std::invalid_argument("network and X disagree on n_features");
  if (opt.max_iter < 0) throw std::invalid_argument("max_iter must be >= 0");
  if (opt.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1");
  if (opt.eval_every < 1) throw std::invalid_argument("eval_every must be >= 1");
  if (!opt.auto_step && !(opt.step > 0.0)) throw std::invalid_argument("step must be > 0");
  if (!(opt.grad_scale > 0.0)) throw std::invalid_argument("grad_scale must be > 0");
  if (!(opt.step_decay >= 0.0)) throw std::invalid_argument("step_decay must be >= 0");
  if (!(opt.label_noise >= 0.0)) throw std::invalid_argument("label_noise must be >= 0");
  if (hist.loss_every < 0) throw std::invalid_argument("loss_every must be >= 0");
  std::unique_ptr<Momentum> mom;
  if (opt.momentum != 0.0) mom = std::make_unique<Momentum>(d, opt.momentum, opt.nesterov);

  const Index B = opt.batch_size;
  if (B == 1 && !mom && net.depth() == 2)
    return detail::run_sgd_single(loss, X, y_centred, weights, x_mean, net, opt, beta, hist, monitor);
  const long long work = static_cast<long long>(B) * d;
  const int nt = static_cast<int>(std::max<long long>(
      1, std::min<long long>(opt.n_threads, work / std::max(1L, opt.min_work_per_thread))));
  const int D = net.depth();
  const double inv_n = 1.0 / double(n);

  SampleStream stream(opt.seed, n, opt.shuffle);
  std::vector<Index> idx(B);
  std::vector<double> c(B), kappa(B, 0.0), noise(B, 0.0), g(d);
  net.beta(beta);

  GDResult res;
  Status status = Status::Running;
  long steps_done = 0;
  double eta = 0.0, cur_loss = 0.0, gmax = 0.0, rate_max = 0.0, prev_rate = 0.0;
  StepStats stats;

#pragma omp parallel num_threads(nt)
  {
    long t = 0;  // every thread counts steps itself: no shared counter to race on
    const int tid = thread_id();
    const int team = nt;
    // This thread's coordinate block for the batch gradient (contiguous, fixed per thread).
    const Index j0 = d * tid / team, j1 = d * (tid + 1) / team;
    for (;;) {
      const bool eval = (t % opt.eval_every == 0) || t >= opt.max_iter;
      if (eval) {
        // Full-batch g = ∇L(β_t) (chunked, deterministic; g is rewritten by the step below),
        // maxima merged per thread.
        const double lg = detail::full_gradient_max(loss, net, beta, g.data());
#pragma omp critical(dlnfast_sgd_grad)
        gmax = std::max(gmax, lg);
#pragma omp barrier
      }
#pragma omp master
      {
        if (t > 0) {
          if (stats.nonfinite || !(stats.min_factor > 0.0)) {
            status = Status::Diverged;
            res.suggested_step = prev_rate > 0.0 ? 0.25 / prev_rate : 0.0;
          } else if (stats.renormalise) {
            if (mom) mom->renormalise(net);
            else net.renormalise();
          }
        }
        if (eval) {
          cur_loss = loss.loss();
          res.criterion = gmax / opt.grad_scale;
          gmax = 0.0;
          hist.record_loss(t, cur_loss);
        }
        if (double* out = hist.snapshot_row(t, d)) {
          if (mom) mom->iterate_beta(net, beta, out);
          else std::copy(beta, beta + d, out);
        }
        if (status == Status::Running) {
          if (eval && (!std::isfinite(cur_loss) || !std::isfinite(res.criterion))) status = Status::Diverged;
          else if (eval && res.criterion <= opt.tol) status = Status::Converged;
          else if (t >= opt.max_iter) status = Status::MaxIter;
          // The monitor reads the clock; every 256 steps keeps that off the O(d) step.
          else if ((eval || t % 256 == 0) && monitor.should_stop(t, cur_loss, res.criterion))
            status = Status::Interrupted;
        }
        if (status == Status::Running) {
          // The batch of step t: positions t·B .. t·B + B − 1 of the stream.
          const std::uint64_t p0 = static_cast<std::uint64_t>(t) * static_cast<std::uint64_t>(B);
          for (Index b = 0; b < B; ++b) {
            idx[b] = stream.index(p0 + b);
            if (opt.label_noise > 0.0) noise[b] = opt.label_noise * stream.noise(p0 + b);
          }
          eta = opt.step / (1.0 + opt.step_decay * double(t));
          res.step = eta;
        }
        stats = StepStats{};
        rate_max = 0.0;
      }
#pragma omp barrier
      if (status != Status::Running) break;

      // r_b = (x_{i_b} − x̄)ᵀβ − ỹ_{i_b} − σε_b ;  c_b = n·w_{i_b}·r_b / B
#pragma omp for schedule(static)
      for (Index b = 0; b < B; ++b) {
        const Index i = idx[b];
        const T* x = X + i * d;
        double s = 0.0;
        if (x_mean) {
#pragma omp simd reduction(+ : s)
          for (Index j = 0; j < d; ++j) s += (double(x[j]) - x_mean[j]) * beta[j];
        } else {
#pragma omp simd reduction(+ : s)
          for (Index j = 0; j < d; ++j) s += double(x[j]) * beta[j];
        }
        const double r = s - y_centred[i] - noise[b];
        const double wi = weights ? weights[i] * double(n) : 1.0;
        c[b] = wi * r / double(B);
        if (opt.auto_step) {
          // Σ_j (x_ij − x̄_j)²·(w₊^{2D−2} + w₋^{2D−2})_j
          double k = 0.0;
          for (Index j = 0; j < d; ++j) {
            const double xj = double(x[j]) - (x_mean ? x_mean[j] : 0.0);
            k += xj * xj * net.curvature_weight(j);
          }
          kappa[b] = wi * k;
        }
      }
      // g_j = Σ_b c_b (x_{i_b j} − x̄_j), b in batch order, over this thread's block [j0, j1).
      {
        double lr = 0.0;
        {
          const T* x = X + idx[0] * d;
          const double c0 = c[0];
          if (x_mean) {
            for (Index j = j0; j < j1; ++j) g[j] = c0 * (double(x[j]) - x_mean[j]);
          } else {
            for (Index j = j0; j < j1; ++j) g[j] = c0 * double(x[j]);
          }
        }
        for (Index b = 1; b < B; ++b) {
          const T* x = X + idx[b] * d;
          const double cb = c[b];
          if (x_mean) {
            for (Index j = j0; j < j1; ++j) g[j] += cb * (double(x[j]) - x_mean[j]);
          } else {
            for (Index j = j0; j < j1; ++j) g[j] += cb * double(x[j]);
          }
        }
        if (opt.auto_step) {
          for (Index j = j0; j < j1; ++j) lr = std::max(lr, net.rate(j, g[j]));
#pragma omp critical(dlnfast_sgd_rate)
          rate_max = std::max(rate_max, lr);
        }
      }
#pragma omp barrier
      if (opt.auto_step) {
#pragma omp master
        {
          double curv = 0.0;
          for (Index b = 0; b < B; ++b) curv += kappa[b];
          curv *= double(D) * D / double(B);
          const double by_curv = curv > 0.0 ? 1.0 / curv : std::numeric_limits<double>::infinity();
          const double by_rate = rate_max > 0.0 ? 0.25 / rate_max : std::numeric_limits<double>::infinity();
          eta = std::min(by_curv, by_rate) / (1.0 + opt.step_decay * double(t));
          if (!std::isfinite(eta)) eta = 0.0;  // zero stochastic gradient: nothing to do this step
          res.step = eta;
          prev_rate = rate_max;
        }
#pragma omp barrier
      }
      if (mom) mom->update(net, eta, g.data(), beta, stats);  // ends with a barrier
      else net.update(eta, g.data(), beta, stats);
      ++t;
#pragma omp master
      steps_done = t;
    }
  }
  if (mom) mom->finish(net, beta);
  res.status = status;
  res.n_iter = steps_done;
  res.loss = cur_loss;
  return res;
}

}  // namespace dlnfast
