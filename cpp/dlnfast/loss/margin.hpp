// The margin losses of binary classification (DESIGN §10) on a dense, row-major X, labels
// y_i ∈ {−1, +1}, sample weights w (Σ w_i = 1):
//
//   m_i = y_i ⟨x̃_i, β⟩,   L(β) = Σ_i w_i ℓ(m_i),   g = ∇L(β) = Σ_i c_i x̃_i
//   exponential  ℓ(m) = e^{−m}                 c_i = −w_i y_i e^{−m_i}
//   logistic     ℓ(m) = log(1 + e^{−m})        c_i = −w_i y_i σ(−m_i)
//
// x̃_i = x_i, or (x_i, c) with a virtual constant column c = intercept_scaling when an intercept
// is fitted (the intercept is coordinate d of β, trained through the network like any other;
// X is never copied or augmented).
//
// Log form. On separable data L → 0 and e^{−m_i} underflows long before L itself does, so
// nothing is ever formed as e^{−m} alone: per row, λ_i = log ℓ(m_i) and ρ_i = ℓ'/ℓ are computed
// in closed form (exponential: λ = −m, ρ = 1), and each row chunk keeps its partial loss and
// gradient scaled by e^{−M_k}, M_k a reference within kRescaleGap of max λ_i over the chunk so
// far (raised, and the partials rescaled, when a row exceeds it by more: a lazy online
// log-sum-exp). While e^{−M_k} is far from the double range's ends the logistic rows are formed
// in plain form times e^{−M_k} (kPlainRange: one exp and one log1p per row). The chunks are combined in chunk order: log L = M + log Σ_k e^{M_k−M}
// l_k, g = Σ_k e^{M_k} G_k. So L and g are exact down to L ≈ 1e-300 (their own double range),
// log L beyond. The gradient weights are thereby softmax(−m) (exponential) and σ(−m)
// (logistic) times L, never e^{−m} alone.
//
// One read of X per evaluation, the same row chunks as every loss (row_chunks.hpp: their number
// depends on n only), partials combined in chunk order: the same bits for any team size.
//
// Curvature (the driver's automatic step): curvature() = λ_max(X̃ᵀWX̃) by power iteration, and
// curvature_at(λ_max) bounds the Hessian Σ w_i ℓ''_i x̃_i x̃_iᵀ at the last evaluated β by
//   min(λ_max · min(cap, max_i ℓ_i),  L · max_i ‖x̃_i‖²)
// (ℓ'' ≤ ℓ for both losses, ℓ'' ≤ ¼ for the logistic: cap = ¼, else ∞). As L → 0 the bound
// shrinks like L, so the automatic step grows like 1/L: GD on the loss-normalised clock, which
// reaches L = 1e-300 in a number of steps that grows like log(1/L), not like 1/L.
//
// The loss-normalised clock (set_normalised(true), DESIGN §10). evaluate() then writes g/L
// instead of g and returns log L instead of L: g/L = Σ_k e^{M_k − log L} G_k is a convex
// combination of the rows' y_i x̃_i (the softmax weights), bounded and exact at any L, including
// far below 1e-300 where g itself underflows. A driver given this loss runs on the clock
// ds = L dt: the flow driver integrates dθ/ds = −∇L/L (the same trajectory as dθ/dt = −∇L,
// reparametrised), and the full-batch driver takes steps η_k/L_k (normalised GD). Stopping
// rules then compare log L with target_loss (pass a log target); curvature_at is divided by L.
//
// Per-sample access (the stochastic driver, drivers/stochastic.hpp): row(i), x_mean() = none,
// sample_weight(i) = n·w_i and derivative(i, p) = ∂ℓ(y_i p)/∂p = −y_i·ℓ'(m_i) at p = ⟨x_i, β⟩, in
// plain (not log) form: a single sample's e^{−m} is formed as such. With an intercept the stored
// rows have d entries and virtual_column() is the (d+1)-th (the stochastic driver appends it).
#pragma once
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"
#include "dlnfast/loss/row_chunks.hpp"
#include "dlnfast/loss/row_kernels.hpp"

namespace dlnfast {

enum class MarginKind : int { Logistic = 1, Exponential = 2 };

namespace detail {

/// λ = log ℓ and ρ = ℓ'/ℓ (ℓ' the derivative in a = −m) at a = −m, without under- or overflow.
DLNFAST_ALWAYS_INLINE void margin_log_terms(int kind, double a, double* lam, double* rho) {
  if (kind == int(MarginKind::Exponential)) {
    *lam = a;
    *rho = 1.0;
    return;
  }
  // logistic: ℓ = softplus(a) = log1p(e^a), ℓ' = σ(a)
  if (a <= 0.0) {
    const double t = std::exp(a);  // may underflow to 0: q → 1 below
    const double q = t < 1e-5 ? 1.0 - t * (0.5 - t / 3.0) : std::log1p(t) / t;  // log1p(t)/t
    *lam = a + std::log(q);
    *rho = 1.0 / ((1.0 + t) * q);
  } else {
    const double e = std::exp(-a);
    const double sp = a + std::log1p(e);
    *lam = std::log(sp);
    *rho = 1.0 / ((1.0 + e) * sp);
  }
}

// A chunk's partial loss and gradient are kept scaled by e^{−M}; M is raised only when a row's
// log-loss exceeds it by more than kRescaleGap, so the scaled terms stay below e^{kRescaleGap}
// and a chunk rescales its gradient a few times at most (rescaling at every new maximum cost a
// pass over G per group of rows: ~12 % of an evaluation at n = 100, d = 1000).
constexpr double kRescaleGap = 32.0;
// While |M| ≤ kPlainRange (e^{−M} far from over- and underflow: losses down to ~1e-260), a
// logistic row's ℓ·e^{−M} and ℓ'·e^{−M} are formed from ℓ and σ in plain form (one exp and at
// most one log1p per row, no log, no second exp); beyond it from λ − M (log form).
constexpr double kPlainRange = 600.0;

/// Rows [0, rows) of the row-major block X (stride d): adds the rows' scaled loss and gradient to
/// the chunk's running (M, l, G) (see the file comment and kRescaleGap), and raises *amax_io to
/// the largest a = −m seen (λ is increasing in a, so the largest λ is λ(amax)). icol ≠ 0: the
/// virtual column x_id = icol (G and β then have length d + 1).
template <class T>
DLNFAST_ALWAYS_INLINE void margin_rows_impl(const T* X, Index rows, Index d, double icol, const double* beta,
                                            const double* y, const double* weights, double uniform_w, int kind,
                                            double* G, double* M_io, double* l_io, double* amax_io) {
  const Index df = icol != 0.0 ? d + 1 : d;
  const double b_icol = icol != 0.0 ? beta[d] * icol : 0.0;
  const bool logistic = kind == int(MarginKind::Logistic);
  double M = *M_io, l = *l_io, amax = *amax_io;
  double E = std::exp(-M);  // e^{−M}, used on the plain path only
  bool plain = std::abs(M) <= kPlainRange;
  // a group's largest a is `ga`; λ ≤ a for both losses, so nothing to do unless a > M + gap
  auto raise = [&](double ga) {
    if (!(ga > M + kRescaleGap)) return;
    double lam, rho;
    margin_log_terms(kind, ga, &lam, &rho);
    if (!(lam > M + kRescaleGap)) return;
    if (M != -std::numeric_limits<double>::infinity()) {
      const double s = std::exp(M - lam);
      l *= s;
#pragma omp simd
      for (Index j = 0; j < df; ++j) G[j] *= s;
    }
    M = lam;
    E = std::exp(-M);
    plain = std::abs(M) <= kPlainRange;
  };
  // one row at a = −m with weight w and label yi: adds w·ℓ·e^{−M} to l, returns c = ∂/∂p scaled
  auto term = [&](double a, double w, double yi) -> double {
    if (!logistic) {
      const double ex = w * std::exp(a - M);  // exponential: ℓ = ℓ' = e^{a}
      l += ex;
      return -yi * ex;
    }
    if (plain) {
      double ell, sig;
      if (a <= 0.0) {
        const double t = std::exp(a);  // may underflow to 0: the row's share is < e^{−kPlainRange}
        ell = t < 1e-5 ? t * (1.0 - t * (0.5 - t / 3.0)) : std::log1p(t);
        sig = t / (1.0 + t);
      } else {
        const double e = std::exp(-a);
        ell = a + std::log1p(e);
        sig = 1.0 / (1.0 + e);
      }
      l += w * ell * E;
      return -yi * w * sig * E;
    }
    double lam, rho;
    margin_log_terms(kind, a, &lam, &rho);
    const double ex = w * std::exp(lam - M);
    l += ex;
    return -yi * rho * ex;
  };
  Index i = 0;
  for (; i + 4 <= rows; i += 4) {
    const T* x0 = X + i * d;
    const T* x1 = x0 + d;
    const T* x2 = x1 + d;
    const T* x3 = x2 + d;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (Index j = 0; j < d; ++j) {
      const double b = beta[j];
      s0 += double(x0[j]) * b;
      s1 += double(x1[j]) * b;
      s2 += double(x2[j]) * b;
      s3 += double(x3[j]) * b;
    }
    const double s[4] = {s0, s1, s2, s3};
    double a[4], c[4];
    double ga = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < 4; ++k) {
      a[k] = -y[i + k] * (s[k] + b_icol);
      ga = std::max(ga, a[k]);
    }
    amax = std::max(amax, ga);
    raise(ga);
    double csum = 0.0;
    for (int k = 0; k < 4; ++k) {
      c[k] = term(a[k], weights ? weights[i + k] : uniform_w, y[i + k]);
      csum += c[k];
    }
    const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
#pragma omp simd
    for (Index j = 0; j < d; ++j) {
      G[j] += c0 * double(x0[j]) + c1 * double(x1[j]) + c2 * double(x2[j]) + c3 * double(x3[j]);
    }
    if (icol != 0.0) G[d] += csum * icol;
  }
  for (; i < rows; ++i) {
    const T* x0 = X + i * d;
    double s0 = 0.0;
#pragma omp simd reduction(+ : s0)
    for (Index j = 0; j < d; ++j) s0 += double(x0[j]) * beta[j];
    const double a = -y[i] * (s0 + b_icol);
    amax = std::max(amax, a);
    raise(a);
    const double c0 = term(a, weights ? weights[i] : uniform_w, y[i]);
#pragma omp simd
    for (Index j = 0; j < d; ++j) G[j] += c0 * double(x0[j]);
    if (icol != 0.0) G[d] += c0 * icol;
  }
  *M_io = M;
  *l_io = l;
  *amax_io = amax;
}

DLNFAST_CLONES static void margin_rows(const double* X, Index rows, Index d, double icol, const double* beta,
                                       const double* y, const double* weights, double uniform_w, int kind, double* G,
                                       double* M, double* l, double* amax) {
  margin_rows_impl(X, rows, d, icol, beta, y, weights, uniform_w, kind, G, M, l, amax);
}
DLNFAST_CLONES static void margin_rows(const float* X, Index rows, Index d, double icol, const double* beta,
                                       const double* y, const double* weights, double uniform_w, int kind, double* G,
                                       double* M, double* l, double* amax) {
  margin_rows_impl(X, rows, d, icol, beta, y, weights, uniform_w, kind, G, M, l, amax);
}

}  // namespace detail

template <class T>
class MarginLoss {
 public:
  using Scalar = T;

  /// X: n×d row-major (used in place); y: labels ±1 (length n); weights: w (summing to 1) or
  /// nullptr for 1/n; intercept_scaling: 0 (no intercept) or the virtual column's value.
  MarginLoss(const T* X, Index n, Index d, const double* y, const double* weights, MarginKind kind,
             double intercept_scaling)
      : X_(X), n_(n), d_(d), icol_(intercept_scaling), df_(intercept_scaling != 0.0 ? d + 1 : d), y_(y),
        w_(weights), kind_(kind), chunks_(n, 1) {
    if (n <= 0 || d <= 0) throw std::invalid_argument("X must have at least one row and one column");
    if (!std::isfinite(intercept_scaling)) throw std::invalid_argument("intercept_scaling must be finite");
    for (Index i = 0; i < n; ++i)
      if (y[i] != 1.0 && y[i] != -1.0) throw std::invalid_argument("y must hold labels -1 and +1 only");
    const Index nc = chunks_.n_chunks();
    partial_g_.assign(static_cast<std::size_t>(nc * df_), 0.0);
    partial_M_.assign(nc, 0.0);
    partial_l_.assign(nc, 0.0);
    partial_amax_.assign(nc, 0.0);
    factor_.assign(nc, 0.0);
  }

  Index n_samples() const { return n_; }
  Index n_features() const { return df_; }
  Index work() const { return n_ * d_; }

  /// The loss-normalised clock (file comment): evaluate() returns log L and writes g/L.
  void set_normalised(bool on) { normalised_ = on; }
  bool normalised() const { return normalised_; }
  bool has_intercept() const { return icol_ != 0.0; }

  /// L(β) and g = ∇L(β); on_block(b, j0, j1) after g[j0:j1] is final (blocks of RowChunks::kBlock).
  template <class OnBlock>
  double evaluate(const double* beta, double* g, Team& team, OnBlock&& on_block) {
    const Index nc = chunks_.n_chunks();
    const int kind = int(kind_);
    team.parallel_for(nc, [&](Index k) {
      Index r0, r1;
      chunks_.rows_of(k, &r0, &r1);
      double* G = partial_g_.data() + k * df_;
      std::fill(G, G + df_, 0.0);
      double M = -std::numeric_limits<double>::infinity(), l = 0.0;
      double amax = -std::numeric_limits<double>::infinity();
      if (r1 > r0)
        detail::margin_rows(X_ + r0 * d_, r1 - r0, d_, icol_, beta, y_ + r0, w_ ? w_ + r0 : nullptr, 1.0 / double(n_),
                            kind, G, &M, &l, &amax);
      partial_M_[k] = M;
      partial_l_[k] = l;
      partial_amax_[k] = amax;
    });
    double M = -std::numeric_limits<double>::infinity(), amax = M;
    bool finite = true;
    for (Index k = 0; k < nc; ++k) {
      if (std::isnan(partial_M_[k]) || std::isnan(partial_l_[k])) finite = false;
      M = std::max(M, partial_M_[k]);
      amax = std::max(amax, partial_amax_[k]);
    }
    double S = 0.0;
    for (Index k = 0; k < nc; ++k) {
      const bool empty = partial_M_[k] == -std::numeric_limits<double>::infinity();
      S += empty ? 0.0 : std::exp(partial_M_[k] - M) * partial_l_[k];
    }
    double rho_unused;
    detail::margin_log_terms(kind, amax, &log_max_, &rho_unused);  // max_i λ_i = λ(max_i a_i)
    log_loss_ = finite && std::isfinite(M) ? M + std::log(S) : std::numeric_limits<double>::quiet_NaN();
    // g = Σ_k e^{M_k} G_k, or g/L = Σ_k e^{M_k − log L} G_k on the normalised clock
    const double shift = normalised_ && std::isfinite(log_loss_) ? log_loss_ : 0.0;
    for (Index k = 0; k < nc; ++k) {
      const bool empty = partial_M_[k] == -std::numeric_limits<double>::infinity();
      factor_[k] = empty ? 0.0 : std::exp(partial_M_[k] - shift);
    }
    team.parallel_blocks(df_, RowChunks::kBlock, [&](Index b, Index j0, Index j1) {
      for (Index j = j0; j < j1; ++j) g[j] = factor_[0] * partial_g_[j];
      for (Index k = 1; k < nc; ++k) {
        const double f = factor_[k];
        const double* Gk = partial_g_.data() + k * df_;
#pragma omp simd
        for (Index j = j0; j < j1; ++j) g[j] += f * Gk[j];
      }
      on_block(b, j0, j1);
    });
    return normalised_ ? log_loss_ : std::exp(log_loss_);
  }
  double evaluate(const double* beta, double* g, Team& team) { return evaluate(beta, g, team, NoBlockHook{}); }

  /// log L at the last evaluation (finite where L itself underflows).
  double log_loss() const { return log_loss_; }

  /// λ_max(X̃ᵀWX̃) by power iteration (deterministic start, at most max_iter passes), and
  /// max_i ‖x̃_i‖² (first pass) for curvature_at.
  double curvature(Team& team, int max_iter = 30, double rtol = 1e-4) {
    using Vec = Eigen::VectorXd;
    Vec v(df_), gv(df_);
    for (Index j = 0; j < df_; ++j) v[j] = 1.0 + 0.1 * double(j % 7);
    v.normalize();
    double est = 0.0;
    for (int it = 0; it < max_iter; ++it) {
      quadratic(v.data(), gv.data(), team, it == 0);
      const double rq = v.dot(gv), ng = gv.norm();
      if (!(ng > 0.0) || !std::isfinite(ng)) return std::max(rq, 0.0);
      v = gv / ng;
      const bool done = it > 0 && std::abs(rq - est) <= rtol * std::abs(rq);
      est = rq;
      if (done) break;
    }
    return est;
  }

  /// diag_j = Σ_i w_i x̃_ij²: the diagonal of X̃ᵀWX̃ (mirror descent's trace bound, nets/mirror_net.hpp;
  /// the Hessian's diagonal is at most max_i ℓ''_i times it). One pass, chunk partials in chunk order.
  void curvature_diag(double* diag, Team& team) {
    const Index nc = chunks_.n_chunks();
    team.parallel_for(nc, [&](Index k) {
      Index r0, r1;
      chunks_.rows_of(k, &r0, &r1);
      double* P = partial_g_.data() + k * df_;
      std::fill(P, P + df_, 0.0);
      for (Index i = r0; i < r1; ++i) {
        const T* x = X_ + i * d_;
        const double wi = w_ ? w_[i] : 1.0 / double(n_);
        for (Index j = 0; j < d_; ++j) P[j] += wi * double(x[j]) * double(x[j]);
        if (icol_ != 0.0) P[d_] += wi * icol_ * icol_;
      }
    });
    std::fill(diag, diag + df_, 0.0);
    for (Index k = 0; k < nc; ++k)
      for (Index j = 0; j < df_; ++j) diag[j] += partial_g_[k * df_ + j];
  }

  // ---- per-sample access for the stochastic driver (see the file comment) ----
  /// The virtual constant column's value (0: none); row(i) holds the other d entries.
  double virtual_column() const { return icol_; }
  const T* row(Index i) const { return X_ + i * d_; }
  const double* x_mean() const { return nullptr; }
  /// n·w_i (1 unweighted).
  double sample_weight(Index i) const { return w_ ? w_[i] * double(n_) : 1.0; }
  /// ∂ℓ(y_i p)/∂p = −y_i·ℓ'(m), m = y_i p: −y e^{−m} (exponential), −y σ(−m) (logistic).
  double derivative(Index i, double prediction) const {
    const double m = y_[i] * prediction;
    if (kind_ == MarginKind::Exponential) return -y_[i] * std::exp(-m);
    return -y_[i] * (m >= 0.0 ? std::exp(-m) / (1.0 + std::exp(-m)) : 1.0 / (1.0 + std::exp(m)));
  }
  /// A bound on ℓ'' for the stochastic driver's automatic step: ¼ (logistic); 1 (exponential:
  /// ℓ'' = e^{−m} ≤ 1 wherever the sampled margin is ≥ 0, as from β = 0 on; a negative margin's
  /// larger curvature is left to the divergence test).
  double max_second_derivative() const { return kind_ == MarginKind::Logistic ? 0.25 : 1.0; }

  /// The Hessian bound at the last evaluated β (file comment), from λ_max(X̃ᵀWX̃).
  double curvature_at(double lambda_max) const {
    if (!std::isfinite(log_max_) || !std::isfinite(log_loss_)) return lambda_max;
    const double cap = kind_ == MarginKind::Logistic ? 0.25 : std::numeric_limits<double>::infinity();
    // on the normalised clock the Hessian of the step's objective is ∇²L/L: both bounds divided by L
    const double shift = normalised_ ? log_loss_ : 0.0;
    const double by_max = lambda_max * std::min(std::exp(std::log(cap) - shift), std::exp(log_max_ - shift));
    const double by_trace = row_norm2_max_ > 0.0 ? std::exp(log_loss_ - shift) * row_norm2_max_
                                                 : std::numeric_limits<double>::infinity();
    const double b = std::min(by_max, by_trace);
    return b > 0.0 ? b : lambda_max;
  }

 private:
  // gv = X̃ᵀ W X̃ v, chunked like evaluate (deterministic); with `norms`, also max_i ‖x̃_i‖².
  void quadratic(const double* v, double* gv, Team& team, bool norms) {
    const Index nc = chunks_.n_chunks();
    const double icv = icol_ != 0.0 ? icol_ * v[d_] : 0.0;
    team.parallel_for(nc, [&](Index k) {
      Index r0, r1;
      chunks_.rows_of(k, &r0, &r1);
      double* G = partial_g_.data() + k * df_;
      std::fill(G, G + df_, 0.0);
      double nmax = 0.0;
      for (Index i = r0; i < r1; ++i) {
        const T* x = X_ + i * d_;
        double s = icv, nn = icol_ * icol_;
#pragma omp simd reduction(+ : s, nn)
        for (Index j = 0; j < d_; ++j) {
          s += double(x[j]) * v[j];
          nn += double(x[j]) * double(x[j]);
        }
        const double c = (w_ ? w_[i] : 1.0 / double(n_)) * s;
#pragma omp simd
        for (Index j = 0; j < d_; ++j) G[j] += c * double(x[j]);
        if (icol_ != 0.0) G[d_] += c * icol_;
        nmax = std::max(nmax, nn);
      }
      partial_M_[k] = nmax;
    });
    if (norms) {
      row_norm2_max_ = 0.0;
      for (Index k = 0; k < nc; ++k) row_norm2_max_ = std::max(row_norm2_max_, partial_M_[k]);
    }
    for (Index j = 0; j < df_; ++j) gv[j] = partial_g_[j];
    for (Index k = 1; k < nc; ++k)
      for (Index j = 0; j < df_; ++j) gv[j] += partial_g_[k * df_ + j];
  }

  const T* X_;
  Index n_, d_;
  double icol_;
  Index df_;
  const double* y_;
  const double* w_;
  MarginKind kind_;
  RowChunks chunks_;  // used for its row split only
  std::vector<double> partial_g_, partial_M_, partial_l_, partial_amax_, factor_;
  double log_max_ = std::numeric_limits<double>::quiet_NaN();
  double log_loss_ = std::numeric_limits<double>::quiet_NaN();
  double row_norm2_max_ = 0.0;
  bool normalised_ = false;
};

}  // namespace dlnfast
