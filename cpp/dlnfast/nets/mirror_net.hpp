// Mirror-descent state of a diagonal network: the mirror coordinate θ = ∇Φ(β), in the flow's
// normalisation (gradient flow on the factors is d/dt θ = −g exactly, DESIGN §3).
//
//   kind Hyperbolic : β = a·sinh(s·θ)                   (pm: s = 4, a = 2α²; uv, shape: s = 2)
//   kind Depth      : β = α^D[(1 − cθ)^{−p} − (1 + cθ)^{−p}],  c = D(D−2)α^{D−2}, p = D/(D−2)
//   kind Entropic   : β = x = x₀·exp(4θ)                (positive network x = u⊙u, x₀ = α²)
//
// Mirror descent is θ ← θ − η·g(β(θ)) (DESIGN §4): it keeps θ − θ₀ ∈ range(Xᵀ) exactly, so it
// converges to the implicit-bias limit with no O(η) bias. θ is the state, never β: for tiny
// scales (log a = −1000) θ stays O(log(1/a)) while β = a·sinh(sθ) is formed as
// sign(θ)·½·exp(s|θ| + log a)·(−expm1(−2s|θ|)) (DESIGN §6.1), so nothing underflows that matters.
//
// MirrorNet has DiagonalNet's network interface, so the full-batch driver (drivers/full_batch.hpp) runs it: status,
// history, snapshots, Ctrl-C and the automatic step come from the same driver.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast {

enum class MirrorKind : int { Hyperbolic = 0, Depth = 1, Entropic = 2 };

class MirrorNet {
 public:
  /// log_scale: per coordinate, log a (Hyperbolic), log α (Depth) or log x₀ (Entropic).
  /// rate: s of the Hyperbolic map (ignored otherwise). theta0: initial θ (copied).
  MirrorNet(Index d, MirrorKind kind, const double* log_scale, double rate, int depth,
            const double* theta0)
      : d_(d), kind_(kind), s_(rate), depth_(depth), la_(log_scale, log_scale + d),
        theta_(theta0, theta0 + d) {
    if (kind == MirrorKind::Hyperbolic && !(rate > 0.0)) throw std::invalid_argument("rate must be > 0");
    if (kind == MirrorKind::Depth) {
      if (depth < 3) throw std::invalid_argument("the depth mirror needs depth >= 3");
      p_ = double(depth) / double(depth - 2);
      c_.resize(d);
      logc_.resize(d);
      for (Index j = 0; j < d; ++j) {
        logc_[j] = std::log(double(depth) * (depth - 2)) + (depth - 2) * la_[j];
        c_[j] = std::exp(logc_[j]);
        if (!(std::abs(theta_[j]) * c_[j] < 1.0))
          throw std::invalid_argument("initial mirror coordinate outside |cθ| < 1");
      }
    }
    for (Index j = 0; j < d; ++j)
      if (!std::isfinite(la_[j]) || !std::isfinite(theta_[j]))
        throw std::invalid_argument("log_scale and theta0 must be finite");
  }

  Index size() const { return d_; }
  /// the full-batch driver's automatic step is 1/(λ_max·depth()²·weight_max()); a mirror net folds the whole
  /// curvature into weight_max(), so depth() is 1 here.
  int depth() const { return 1; }

  /// Sharper curvature for the automatic step. The md map θ ↦ θ − η·A·β(θ) (A = XᵀWX, centred)
  /// is stable for η < 2/λ_max(H^{½} A H^{½}), H = diag(dβ/dθ), and for a PSD A
  ///   λ_max(H^{½} A H^{½}) ≤ min( λ_max(A)·max_j H_j ,  Σ_j H_j A_jj ).
  /// The trace bound is far smaller in the sparse regime (a few large H_j), where the first one
  /// would slow mirror descent down by up to λ_max(A)/max_j A_jj (≈ d/n for Gaussian X).
  /// With `lambda_max` and `diag` (A_jj) set, weight_max() returns the bound divided by λ_max.
  void set_curvature(double lambda_max, const double* diag) {
    lambda_max_ = lambda_max;
    diag_.assign(diag, diag + d_);
  }
  MirrorKind kind() const { return kind_; }
  const std::vector<double>& theta() const { return theta_; }
  std::vector<double>& theta() { return theta_; }

  /// β_j(θ) (the inverse mirror map), without overflow of its factors. Values below the
  /// normal range are flushed to 0: they change Xβ by less than 1e-308 relative, and subnormal
  /// operands would slow every pass over X by orders of magnitude (tiny scales produce them
  /// in every off-support coordinate).
  inline double beta_of(Index j, double th) const {
    const double b = beta_raw(j, th);
    return std::abs(b) >= std::numeric_limits<double>::min() ? b : 0.0;
  }

  inline double beta_raw(Index j, double th) const {
    switch (kind_) {
      case MirrorKind::Hyperbolic: {
        // a·sinh(sθ) = sign(θ)·½·exp(s|θ| + log a)·(−expm1(−2s|θ|))
        const double x = s_ * std::abs(th);
        return std::copysign(0.5 * std::exp(x + la_[j]) * -std::expm1(-2.0 * x), th);
      }
      case MirrorKind::Depth: {
        // sign(z)·exp(D log α − p·log1p|z| + pL)·(−expm1(−pL)), L = 2·artanh|z|
        const double az = std::abs(th) * c_[j];
        if (!(az < 1.0)) return std::numeric_limits<double>::quiet_NaN();
        const double L = 2.0 * std::atanh(az);
        return std::copysign(std::exp(depth_ * la_[j] - p_ * std::log1p(az) + p_ * L) * -std::expm1(-p_ * L), th);
      }
      default:
        return std::exp(4.0 * th + la_[j]);  // x₀·e^{4θ}
    }
  }

  /// dβ_j/dθ_j > 0 (the inverse of the potential's Hessian).
  inline double dbeta_of(Index j, double th) const {
    switch (kind_) {
      case MirrorKind::Hyperbolic: {
        // s·a·cosh(sθ) = s·½·exp(s|θ| + log a)·(1 + exp(−2s|θ|))
        const double x = s_ * std::abs(th);
        return s_ * 0.5 * std::exp(x + la_[j]) * (1.0 + std::exp(-2.0 * x));
      }
      case MirrorKind::Depth: {
        // α^D·c·p·[(1 − z)^{−p−1} + (1 + z)^{−p−1}]
        const double az = std::abs(th) * c_[j];
        if (!(az < 1.0)) return std::numeric_limits<double>::infinity();
        const double L = 2.0 * std::atanh(az);
        return std::exp(depth_ * la_[j] + logc_[j] + std::log(p_) - (p_ + 1.0) * std::log1p(-az)) *
               (1.0 + std::exp(-(p_ + 1.0) * L));
      }
      default:
        return 4.0 * std::exp(4.0 * th + la_[j]);
    }
  }

  /// A bound on |d log|β| / dθ| near θ: how fast a step in θ changes β relatively. Used to cap
  /// steps (the step rule's rate bound) and to weigh the flow's error estimate in relative-β units.
  inline double log_rate(Index j, double th) const {
    switch (kind_) {
      case MirrorKind::Hyperbolic: return s_;  // d/dθ log(a·cosh sθ) ≤ s, and a·sinh ≤ a·cosh
      case MirrorKind::Depth: {
        const double gap = 1.0 - std::abs(th) * c_[j];
        return gap > 0.0 ? (p_ + 1.0) * c_[j] / gap : std::numeric_limits<double>::infinity();
      }
      default: return 4.0;
    }
  }

  /// Depth: the distance 1 − |cθ| to the domain's boundary (must stay > 0); others: 1.
  inline double gap(Index j, double th) const {
    return kind_ == MirrorKind::Depth ? 1.0 - std::abs(th) * c_[j] : 1.0;
  }

  void beta(double* out) const {
    for (Index j = 0; j < d_; ++j) out[j] = beta_of(j, theta_[j]);
  }

  double weight_max() const {
    double m = 0.0, tr = 0.0;
    for (Index j = 0; j < d_; ++j) {
      const double h = dbeta_of(j, theta_[j]);
      m = std::max(m, h);
      if (!diag_.empty()) tr += h * diag_[j];
    }
    return combine(m, tr);
  }

  /// The step rule keeps η·rate ≤ ¼: with rate = log_rate·|g|/8 one step changes log|β| by at most 2
  /// (a factor e²) on the fastest coordinate, and a depth-D step covers at most 1/8 of the gap
  /// to the boundary. No sign-flip bound exists for mirror descent: this only keeps the plateau
  /// phase from overshooting before the curvature bound takes over.
  inline double rate(Index j, double gj) const { return 0.125 * log_rate(j, theta_[j]) * std::abs(gj); }

  /// Maxima over [j0, j1) of criterion_term and rate (see DiagonalNet::block_maxima).
  void block_maxima(Index j0, Index j1, const double* g, const double* beta, double* crit, double* rate_max) const {
    double c = 0.0, r = 0.0;
    for (Index j = j0; j < j1; ++j) {
      c = std::max(c, criterion_term(j, g[j], beta));
      r = std::max(r, rate(j, g[j]));
    }
    *crit = c;
    *rate_max = r;
  }

  /// The trace bound of set_curvature: needs λ_max and the loss's curvature diagonal.
  template <class Loss>
  void prepare_auto_step(Loss& loss, double lambda_max, Team& team) {
    std::vector<double> diag(d_);
    loss.curvature_diag(diag.data(), team);
    set_curvature(lambda_max, diag.data());
  }

  /// Stopping-criterion term (see DiagonalNet::criterion_term): the projected-gradient residual
  /// |min(x_j, g_j)| for the non-negative network, |g_j| otherwise.
  inline double criterion_term(Index j, double gj, const double* beta) const {
    return kind_ == MirrorKind::Entropic ? std::abs(std::min(beta[j], gj)) : std::abs(gj);
  }

  /// θ ← θ − η·g, β = ∇Φ*(θ), over fixed coordinate chunks spread on the team; returns the
  /// merged StepStats (min_factor: the smallest distance to the depth-D domain's boundary;
  /// weight_max: the curvature bound, from per-chunk maxima and traces added in chunk order, so
  /// the step, hence every iterate, does not depend on the thread count).
  StepStats update(double eta, const double* g, double* beta, Team& team) {
    const bool use_trace = !diag_.empty();
    const Index nc = trace_chunks();
    part_.assign(nc, Part{});
    team.parallel_for(nc, [&](Index c) {
      const Index j0 = c * d_ / nc, j1 = (c + 1) * d_ / nc;
      Part& p = part_[c];
      for (Index j = j0; j < j1; ++j) {
        const double th = theta_[j] - eta * g[j];
        theta_[j] = th;
        const double b = beta_of(j, th);
        beta[j] = b;
        p.min_gap = std::min(p.min_gap, gap(j, th));
        const double h = dbeta_of(j, th);
        p.hmax = std::max(p.hmax, h);
        if (use_trace) p.trace += h * diag_[j];
        p.nonfinite = p.nonfinite || !(std::abs(b) <= std::numeric_limits<double>::max());
      }
    });
    StepStats st;
    double hm = 0.0, tr = 0.0;
    for (const Part& p : part_) {
      hm = std::max(hm, p.hmax);
      tr += p.trace;
      st.min_factor = std::min(st.min_factor, p.min_gap);  // ≤ 0: left the depth-D domain
      st.nonfinite = st.nonfinite || p.nonfinite;
    }
    st.weight_max = combine(hm, tr);
    return st;
  }

  void renormalise() {}  // θ needs no renormalisation

 private:
  // Chunks of the update: about 512 coordinates each (a few µs of exp/expm1 work: smaller ones
  // spent more on taking them than they saved, measured at d = 2000 next to busy processes), at
  // most 64; a function of d only, so the trace's summation order is too.
  Index trace_chunks() const { return std::min<Index>(64, std::max<Index>(1, (d_ + 511) / 512)); }

  double combine(double hmax, double trace) const {
    if (diag_.empty() || !(lambda_max_ > 0.0)) return hmax;
    return std::min(hmax, trace / lambda_max_);
  }

  Index d_;
  MirrorKind kind_;
  double s_;
  int depth_;
  double p_ = 0.0;
  std::vector<double> la_, theta_, c_, logc_;
  double lambda_max_ = 0.0;
  std::vector<double> diag_;
  struct Part {
    double hmax = 0.0, trace = 0.0, min_gap = std::numeric_limits<double>::infinity();
    bool nonfinite = false;
  };
  std::vector<Part> part_;
};

}  // namespace dlnfast
