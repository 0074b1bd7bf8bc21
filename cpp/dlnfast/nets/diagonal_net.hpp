// The parametrisation: a two-branch diagonal network of depth D,
//
//   β = w₊^D − w₋^D,    w± ≥ 0 (per coordinate),
//
// trained by gradient descent on the factors:
//
//   w± ← w± · (1 ∓ η·D·w±^{D−2}·g)          (D = 2: w± ← w±(1 ∓ 2ηg), DESIGN §3)
//
// The other depth-2 networks are this one in other coordinates, set up by the Python layer:
//   * `pm`       : w± = α (per coordinate).
//   * `uv`       : β = u⊙v with s = u + v, d = u − v gives β = (s² − d²)/4 and
//                  s ← s(1 − ηg), d ← d(1 + ηg); so uv with step η is this network with
//                  w₊ = |s|/2, w₋ = |d|/2 and step η/2 (exact; the signs of s, d never change).
//   * `positive` : x = u⊙u is this network with w₋ = 0 (a branch stored as 0 stays 0).
//
// Storage keeps tiny scales exact (DESIGN §6.1): each factor is w = m·2^e with a double m and an
// integer exponent e, renormalised (m back into [1, 2)) whenever m leaves [2^-100, 2^100]. The
// update itself is then one multiplication, as in the numpy reference, but init_scale = 1e-300
// (or 2^-5000, given as a log) neither underflows nor loses a branch. w^D = m^D·2^{De} is formed
// with the cached power 2^{De}; a β below the double range is 0 in Xβ, as it should be.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_kernels.hpp"
#include "dlnfast/optim/weight_decay.hpp"

namespace dlnfast {

namespace detail {

// The depth-2 update of DiagonalNet (w₊ ← w₊(1 − 2ηg), w₋ ← w₋(1 + 2ηg) on n coordinates from
// j0 of g and β; mp, mn, sp, sn already offset to j0). Branch-free so that it vectorises; each
// coordinate's update does not depend on the block split. Compiled per ISA by target_clones
// (row_kernels.hpp) with floating-point contraction off: every operation stays a correctly
// rounded IEEE operation in the source's order, so every clone gives the bits of the baseline
// (SSE2) build; the vector width only changes which coordinates share an instruction, and the
// reductions (min, max, or) are exact in any order.
DLNFAST_CLONES __attribute__((optimize("fp-contract=off"))) static StepStats diag_update2(
    double eta, double keep, const double* g, double* mp, double* mn, const double* sp, const double* sn,
    double* beta, Index j0, Index n) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double big = std::numeric_limits<double>::max();
  constexpr double lo = 0x1p-100, hi = 0x1p100;  // DiagonalNet::kLow, kHigh
  g += j0;
  beta += j0;
  double min_factor = inf, wmax = 0.0;
  int flags = 0;  // 1: renormalise, 2: non-finite
#pragma omp simd reduction(min : min_factor) reduction(max : wmax) reduction(| : flags)
  for (Index j = 0; j < n; ++j) {
    const double a = 2.0 * eta * g[j];
    const double fp = keep - a, fn = keep + a;
    const double p = mp[j] * fp, q = mn[j] * fn;
    mp[j] = p;
    mn[j] = q;
    const double wp2 = p * p * sp[j], wn2 = q * q * sn[j];
    const double b = wp2 - wn2;  // β = w₊² − w₋²
    beta[j] = b;
    // only live branches (m ≠ 0) count for the sign-flip bound and renormalisation
    min_factor = std::min(min_factor, std::min(p != 0.0 ? fp : inf, q != 0.0 ? fn : inf));
    const bool out_p = (p != 0.0) & ((p < lo) | (p > hi));
    const bool out_q = (q != 0.0) & ((q < lo) | (q > hi));
    flags |= (out_p | out_q) ? 1 : 0;
    flags |= (std::abs(b) <= big) ? 0 : 2;
    wmax = std::max(wmax, wp2 + wn2);
  }
  StepStats st;
  st.min_factor = min_factor;
  st.weight_max = wmax;
  st.renormalise = flags & 1;
  st.nonfinite = flags & 2;
  return st;
}

}  // namespace detail

class DiagonalNet {
 public:
  /// log_w_pos, log_w_neg: natural logs of the initial factors (−inf for a branch that is 0).
  DiagonalNet(Index d, int depth, const double* log_w_pos, const double* log_w_neg)
      : d_(d), depth_(depth) {
    if (depth < 2) throw std::invalid_argument("depth must be an integer >= 2");
    m_.assign(2 * d, 0.0);
    e_.assign(2 * d, 0);
    pow_.assign(2 * d, 0.0);
    pow_rate_.assign(2 * d, 0.0);
    for (Index j = 0; j < d; ++j) {
      set_log(j, log_w_pos[j]);
      set_log(d + j, log_w_neg[j]);
    }
    // Invariant along a run: a factor only becomes 0 through a factor of exactly 0, which stops
    // the run as diverged.
    plain_ = depth == 2 && all_live();
  }

  Index size() const { return d_; }
  /// Every factor non-zero (no one-signed coordinate). Invariant along a run: a factor only
  /// becomes 0 through a factor of exactly 0, which stops the run as diverged.
  bool all_live() const {
    for (double m : m_)
      if (m == 0.0) return false;
    return true;
  }
  int depth() const { return depth_; }

  /// Weight decay λ_e on the factors w± (optim/weight_decay.hpp): every update multiplies by
  /// 1 − ηλ_e ∓ η·D·w^{D−2}·g, and the criterion becomes the lasso's gradient mapping with step
  /// t (> 0). Depth 2 only: for D ≥ 3 the induced penalty (λ_e/2)Σ|β|^{2/D} is not convex and
  /// has no such criterion.
  void set_weight_decay(double lambda_e, double t) {
    if (!(lambda_e >= 0.0) || !std::isfinite(lambda_e)) throw std::invalid_argument("weight_decay must be >= 0");
    if (lambda_e > 0.0 && depth_ != 2) throw std::invalid_argument("weight_decay needs depth 2");
    if (lambda_e > 0.0 && !(t > 0.0 && std::isfinite(t))) throw std::invalid_argument("weight decay: t must be > 0");
    decay_ = WeightDecay{lambda_e, t};
    plain_ = depth_ == 2 && all_live() && !decay_.active();
  }
  const WeightDecay& weight_decay() const { return decay_; }

  /// β from the current factors (serial).
  void beta(double* out) const {
    for (Index j = 0; j < d_; ++j) out[j] = power(j) - power(d_ + j);
  }

  /// The curvature weight max_j (w₊^{2D−2} + w₋^{2D−2}) at the current factors (serial).
  double weight_max() const {
    double m = 0.0;
    for (Index j = 0; j < d_; ++j) m = std::max(m, curvature_weight(j));
    return m;
  }

  /// D·max(w₊, w₋)^{D−2}·|g_j|: the factor changes by at most η times this (sign-flip rate).
  /// The stopping criterion's term for coordinate j: |g_j|, or for a one-signed coordinate (one
  /// branch identically 0, e.g. the positive network x = w₊²) the projected-gradient residual
  /// |min(x_j, g_j)| with x_j = |β_j| and g_j the gradient towards larger x_j: at the optimum of
  /// min L s.t. x ≥ 0, g_j ≥ 0 where x_j = 0, so |g_j| itself never goes to 0 there.
  /// With weight decay: the lasso gradient mapping of optim/weight_decay.hpp (μ = λ_e/2), with
  /// the sign constraint of a one-signed coordinate.
  inline double criterion_term(Index j, double gj, const double* beta) const {
    if (decay_.active()) {
      const int sign = !live(d_ + j) ? 1 : (!live(j) ? -1 : 0);
      return WeightDecay::lasso_mapping(beta[j], gj, 0.5 * decay_.lambda, decay_.t, sign);
    }
    if (!live(d_ + j)) return std::abs(std::min(beta[j], gj));       // β = w₊^D ≥ 0
    if (!live(j)) return std::abs(std::min(-beta[j], -gj));          // β = −w₋^D ≤ 0
    return std::abs(gj);
  }

  /// Maxima over [j0, j1) of criterion_term and rate (the drivers' per-block summary).
  /// Depth 2 with both branches live everywhere: |g| and 2|g|, vectorised.
  void block_maxima(Index j0, Index j1, const double* g, const double* beta, double* crit, double* rate_max) const {
    double c = 0.0, r = 0.0;
    if (plain_) {
#pragma omp simd reduction(max : c)
      for (Index j = j0; j < j1; ++j) c = std::max(c, std::abs(g[j]));
      r = 2.0 * c;
    } else {
      for (Index j = j0; j < j1; ++j) {
        c = std::max(c, criterion_term(j, g[j], beta));
        r = std::max(r, rate(j, g[j]));
      }
      r += decay_.lambda;  // the decay moves a factor by ηλ_e relatively too
    }
    *crit = c;
    *rate_max = r;
  }

  /// Nothing to prepare for the automatic step (the curvature is λ_max·D²·weight_max()).
  template <class Loss>
  void prepare_auto_step(Loss&, double, Team&) {}

  inline double rate(Index j, double gj) const {
    if (depth_ == 2) return 2.0 * std::abs(gj);
    const double a = live(j) ? rate_power(j) : 0.0;
    const double b = live(d_ + j) ? rate_power(d_ + j) : 0.0;
    return depth_ * std::max(a, b) * std::abs(gj);
  }

  /// One GD step of size η with gradient g, over coordinate blocks spread on the team; writes
  /// the new β and returns the merged StepStats (blocks merged in order: min/max/or).
  StepStats update(double eta, const double* g, double* beta, Team& team) {
    const Index nb = (d_ + kUpdateBlock - 1) / kUpdateBlock;
    block_stats_.assign(nb, StepStats{});
    team.parallel_blocks(d_, kUpdateBlock, [&](Index blk, Index j0, Index j1) {
      block_stats_[blk] = depth_ == 2 ? update_block2(eta, g, beta, j0, j1) : update_block(eta, g, beta, j0, j1);
    });
    StepStats out;
    for (const StepStats& s : block_stats_) out.merge(s);
    return out;
  }

  /// Serial: bring every m back into [1, 2), moving the rest into the exponent. `companion`
  /// (optional, length 2d, e.g. a momentum velocity stored in the same m-frame as the factors)
  /// is rescaled by the same power of two, which is exact.
  void renormalise(double* companion = nullptr) {
    for (Index k = 0; k < 2 * d_; ++k) {
      const double am = std::abs(m_[k]);  // negative only under momentum (momentum.hpp)
      if (am == 0.0 || (am >= kLow && am <= kHigh)) continue;
      int ex = 0;
      const double fr = std::frexp(m_[k], &ex);  // m = fr·2^ex, |fr| ∈ [½, 1)
      set_parts(k, 2.0 * fr, e_[k] + ex - 1);
      if (companion) companion[k] = std::ldexp(companion[k], 1 - ex);
    }
  }

  /// The factors as plain doubles w = m·2^e (exact), if every live one lies in [lo, hi];
  /// returns false (and leaves the outputs partly written) otherwise.
  bool to_plain(double* w_pos, double* w_neg, double lo, double hi) const {
    for (Index k = 0; k < 2 * d_; ++k) {
      double* out = k < d_ ? w_pos + k : w_neg + (k - d_);
      if (m_[k] == 0.0) {
        *out = 0.0;
        continue;
      }
      const double w = std::ldexp(m_[k], e_[k]);
      if (!(std::abs(w) >= lo && std::abs(w) <= hi)) return false;
      *out = w;
    }
    return true;
  }

  /// Sets the factors from plain doubles, exactly (w = m·2^e with m ∈ [1, 2), or 0).
  void assign_plain(const double* w_pos, const double* w_neg) {
    for (Index k = 0; k < 2 * d_; ++k) {
      const double w = k < d_ ? w_pos[k] : w_neg[k - d_];
      if (w == 0.0) {
        set_parts(k, 0.0, 0);
        continue;
      }
      int ex = 0;
      const double fr = std::frexp(w, &ex);
      set_parts(k, 2.0 * fr, ex - 1);
    }
  }

  // Low-level access for optimisers that keep per-factor state (momentum.hpp). Factor k
  // (k < d: w₊ of coordinate k; k ≥ d: w₋ of coordinate k − d) is w_k = m_k·2^{e_k}.
  double* mantissas() { return m_.data(); }
  const double* mantissas() const { return m_.data(); }
  const double* power_scales() const { return pow_.data(); }  ///< 2^{D·e_k}
  bool live(Index k) const { return m_[k] != 0.0; }
  double power(Index k) const { return ipow(m_[k], depth_) * pow_[k]; }                // w^D
  double rate_power(Index k) const { return ipow(m_[k], depth_ - 2) * pow_rate_[k]; }  // w^{D−2}
  /// w₊^{2D−2} + w₋^{2D−2} of coordinate j: its weight in the factor-space curvature.
  double curvature_weight(Index j) const {
    return power(j) * rate_power(j) + power(d_ + j) * rate_power(d_ + j);
  }
  /// w^D from a mantissa m in factor k's frame (m·2^{e_k})^D.
  double power_of(Index k, double m) const { return ipow(m, depth_) * pow_[k]; }
  double rate_power_of(Index k, double m) const { return ipow(m, depth_ - 2) * pow_rate_[k]; }
  static constexpr double kLow = 0x1p-100, kHigh = 0x1p100;
  static constexpr Index kUpdateBlock = 1024;  ///< renormalisation window for m

  /// Natural logs of the current factors' magnitudes (−inf for a zero branch).
  void log_weights(double* log_pos, double* log_neg) const {
    for (Index j = 0; j < d_; ++j) {
      log_pos[j] = log_of(j);
      log_neg[j] = log_of(d_ + j);
    }
  }

  /// Signs of the factors, ±1 (+1 for a zero branch). GD keeps every factor ≥ 0 (a sign change
  /// is a divergence there); heavy-ball momentum can legitimately carry one through 0.
  void signs(double* pos, double* neg) const {
    for (Index j = 0; j < d_; ++j) {
      pos[j] = m_[j] < 0.0 ? -1.0 : 1.0;
      neg[j] = m_[d_ + j] < 0.0 ? -1.0 : 1.0;
    }
  }

  // Depth 2: w₊ ← w₊(1 − 2ηg), w₋ ← w₋(1 + 2ηg) on [j0, j1) (detail::diag_update2).
  StepStats update_block2(double eta, const double* g, double* beta, Index j0, Index j1) {
    return detail::diag_update2(eta, 1.0 - eta * decay_.lambda, g, m_.data() + j0, m_.data() + d_ + j0,
                                pow_.data() + j0, pow_.data() + d_ + j0, beta, j0, j1 - j0);
  }

  // Depth D: w± ← w±(1 ∓ η·D·w±^{D−2}·g) on [j0, j1).
  StepStats update_block(double eta, const double* g, double* beta, Index j0, Index j1) {
    StepStats st;
    const double keep = 1.0 - eta * decay_.lambda;
    for (Index j = j0; j < j1; ++j) {
      const double a = eta * depth_ * g[j];
      for (int side = 0; side < 2; ++side) {
        const Index k = side == 0 ? j : d_ + j;
        if (m_[k] == 0.0) continue;
        const double f = side == 0 ? keep - a * rate_power(k) : keep + a * rate_power(k);
        m_[k] *= f;
        st.min_factor = std::min(st.min_factor, f);
        st.renormalise = st.renormalise || !(m_[k] >= kLow && m_[k] <= kHigh);
      }
      const double b = power(j) - power(d_ + j);
      beta[j] = b;
      st.weight_max = std::max(st.weight_max, curvature_weight(j));
      st.nonfinite = st.nonfinite || !(std::abs(b) <= std::numeric_limits<double>::max());
    }
    return st;
  }

 private:
  double log_of(Index k) const {
    if (m_[k] == 0.0) return -std::numeric_limits<double>::infinity();
    return std::log(std::abs(m_[k])) + e_[k] * std::log(2.0);
  }

  static double ipow(double x, int p) {
    double r = 1.0;
    for (int i = 0; i < p; ++i) r *= x;
    return r;
  }

  void set_log(Index k, double lw) {
    if (std::isnan(lw) || lw == std::numeric_limits<double>::infinity())
      throw std::invalid_argument("initial log-weights must be finite or -inf");
    if (lw == -std::numeric_limits<double>::infinity()) {
      set_parts(k, 0.0, 0);
      return;
    }
    // w = 2^{lw/ln2} = m·2^e with e = floor(lw/ln2), m = 2^{frac} ∈ [1, 2)
    const double l2 = lw / std::log(2.0);
    const double e = std::floor(l2);
    if (std::abs(e) > 1e8) throw std::invalid_argument("initial log-weight out of range (|log w| > 6e7)");
    set_parts(k, std::exp((l2 - e) * std::log(2.0)), static_cast<int>(e));
  }

  void set_parts(Index k, double m, int e) {
    m_[k] = m;
    e_[k] = e;
    // ldexp saturates to 0 or inf outside the double range: a factor too small to matter in β
    // contributes 0, one too large makes β non-finite and the run stops as diverged.
    pow_[k] = std::ldexp(1.0, clamp_exp(static_cast<long long>(depth_) * e));
    pow_rate_[k] = std::ldexp(1.0, clamp_exp(static_cast<long long>(depth_ - 2) * e));
  }
  static int clamp_exp(long long x) { return static_cast<int>(std::max(-100000LL, std::min(100000LL, x))); }

  Index d_;
  int depth_;
  std::vector<double> m_;        // [m₊ (d) | m₋ (d)]
  std::vector<int> e_;           // binary exponents
  std::vector<double> pow_;      // 2^{D·e}
  std::vector<double> pow_rate_; // 2^{(D−2)·e}
  std::vector<StepStats> block_stats_;
  bool plain_ = false;
  WeightDecay decay_;
};

}  // namespace dlnfast
