// Damped Newton on the dual of the entropic LP (the C++ twin of dlnfast._newton.damped_newton
// with the entropic dual of dlnfast.lp._entropic and the stall rules of its newton_stage):
//
//     min_ν  φ(ν) = λ Σ_j exp((Aᵀν − c)_j / λ) − bᵀν,   ∇φ = A x − b,   ∇²φ = A diag(x) Aᵀ / λ.
//
// A is given once, in CSR (as the caller holds it), and kept; an EntropicNewton object lives for
// a whole path in λ, so everything that depends only on A's pattern is set up once:
//   * dense:  H = A diag(x) Aᵀ accumulated column by column into an m×m matrix, Eigen LLT
//             ("auto" takes it only when H's lower triangle is at least half full);
//   * sparse: H's lower pattern, the position of every column's contribution in it, and the
//             fill-reducing (AMD) symbolic analysis of SimplicialLLT are computed once; each
//             Newton step only refills the values and calls factorize;
//   * schur:  the first n_diag rows touch disjoint columns (the source rows of a transport
//             problem), so H = [[D, B], [Bᵀ, C]] with D diagonal; the Newton system is solved
//             through the dense Schur complement C − Bᵀ D⁻¹ B of the remaining rows.
// Single-threaded by construction (Eigen is built with EIGEN_DONT_PARALLELIZE and no BLAS is
// called), so results do not depend on any process-wide thread setting.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlnfast::lp {

struct NewtonStageResult {
  int n_steps = 0;
  bool converged = false;
  bool overflow = false;   // the start is outside the domain: x is not set
  double residual = std::numeric_limits<double>::infinity();
  std::string reason;      // as dlnfast._newton.NewtonResult.reason
};

class EntropicNewton {
 public:
  enum class Mode { dense, sparse, schur };

  /// A (m×n) in CSR: indptr (m+1), indices, data. n_diag > 0 asks for the Schur mode (checked:
  /// each column may have at most one entry in rows [0, n_diag)); mode_hint "auto", "dense",
  /// "sparse" or "schur".
  EntropicNewton(const std::int64_t* indptr, const std::int64_t* indices, const double* data,
                 std::int64_t m, std::int64_t n, std::int64_t n_diag, const std::string& mode_hint)
      : m_(m), n_(n) {
    if (m < 0 || n < 0) throw std::invalid_argument("A has a negative dimension");
    row_ptr_.assign(indptr, indptr + m + 1);
    const std::int64_t nnz = row_ptr_[m];
    col_idx_.assign(indices, indices + nnz);
    val_.assign(data, data + nnz);
    for (std::int64_t k = 0; k < nnz; ++k)
      if (col_idx_[k] < 0 || col_idx_[k] >= n) throw std::invalid_argument("A has a column index out of range");
    // CSC copy (column lists of (row, value)), rows ascending within each column
    ccount_.assign(n + 1, 0);
    for (std::int64_t k = 0; k < nnz; ++k) ++ccount_[col_idx_[k] + 1];
    for (std::int64_t j = 0; j < n; ++j) ccount_[j + 1] += ccount_[j];
    crow_.resize(nnz);
    cval_.resize(nnz);
    std::vector<std::int64_t> next(ccount_.begin(), ccount_.end() - 1);
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t k = row_ptr_[i]; k < row_ptr_[i + 1]; ++k) {
        const std::int64_t p = next[col_idx_[k]]++;
        crow_[p] = i;
        cval_[p] = val_[k];
      }
    choose_mode(n_diag, mode_hint);
  }

  Mode mode() const { return mode_; }
  std::int64_t n_rows() const { return m_; }
  std::int64_t n_cols() const { return n_; }

  /// One stage at fixed λ = reg from ν (length m, overwritten by the last accepted iterate);
  /// x (length n) receives the primal point x(ν). Stops at ‖Ax − b‖∞ ≤ tol (converged), after
  /// max_steps, on a stall (see dlnfast.lp._entropic.newton_stage: less than halved over 8
  /// steps below stall_tol counts as converged, less than 10% gained over 20 steps does not),
  /// at time_left seconds, or when a step cannot be made.
  NewtonStageResult stage(const double* b, const double* c, double reg, double* nu, double* x,
                          double tol, double stall_tol, int max_steps, double time_left,
                          double max_jitter) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const std::int64_t m = m_, n = n_;
    NewtonStageResult out;
    Eigen::Map<Eigen::VectorXd> y(nu, m);
    Eigen::Map<const Eigen::VectorXd> bv(b, m), cv(c, n);
    Eigen::VectorXd z(n), xv(n), r(m), d(m), dz(n), yt(m), zt(n), xt(n), rt(m), rhs(m);
    atx(y.data(), z.data());
    double h = conjugate(z, cv, reg, xv);
    double lin = bv.dot(y);
    if (!std::isfinite(h - lin)) {
      out.overflow = true;
      out.reason = "overflow";
      return out;
    }
    ax(xv.data(), r.data());
    r -= bv;
    double res = r.lpNorm<Eigen::Infinity>();
    std::vector<double> history;
    auto finish = [&](int k, bool conv, const char* why) {
      out.n_steps = k;
      out.converged = conv;
      out.residual = res;
      out.reason = why;
      std::copy(xv.data(), xv.data() + n, x);
      return out;
    };
    for (int k = 0; k < max_steps; ++k) {
      if (res <= tol) return finish(k, true, "converged");
      history.push_back(res);
      if (k >= 8 && res > 0.5 * history[k - 8] && res <= stall_tol) return finish(k, true, "monitor");
      if (k >= 30 && res > 0.9 * history[k - 20]) return finish(k, false, "monitor");
      if (std::chrono::duration<double>(clock::now() - t0).count() > time_left)
        return finish(k, false, "monitor");
      rhs = -reg * r;
      if (!solve_normal(xv, rhs, d, max_jitter)) return finish(k, false, "solve");
      atx(d.data(), dz.data());
      double t = step_cap(z, dz, cv, reg);
      const double slope = r.dot(d);
      if (!(slope < 0)) return finish(k, false, "not_descent");
      const double F0 = h - lin;
      bool accepted = false;
      double ht = 0, lint = 0;
      while (t > 1e-14) {
        yt = y + t * d;
        zt = z + t * dz;
        ht = conjugate(zt, cv, reg, xt);
        lint = bv.dot(yt);
        const double F1 = ht - lint;
        if (std::isfinite(F1) && F1 <= F0 + 1e-4 * t * slope) {
          ax(xt.data(), rt.data());
          rt -= bv;
          if (rt.allFinite()) {
            accepted = true;
            break;
          }
        }
        t *= 0.5;
      }
      if (!accepted) return finish(k, false, "line_search");
      y = yt;
      z.swap(zt);
      xv.swap(xt);
      r.swap(rt);
      h = ht;
      lin = lint;
      res = r.lpNorm<Eigen::Infinity>();
    }
    const bool conv = res <= tol;
    return finish(max_steps, conv, conv ? "converged" : "max_iter");
  }

 private:
  static constexpr double kExpMax = 700.0;

  // z = Aᵀ v (CSR scatter)
  void atx(const double* v, double* z) const {
    std::fill(z, z + n_, 0.0);
    for (std::int64_t i = 0; i < m_; ++i) {
      const double vi = v[i];
      if (vi == 0.0) continue;
      for (std::int64_t k = row_ptr_[i]; k < row_ptr_[i + 1]; ++k) z[col_idx_[k]] += val_[k] * vi;
    }
  }
  // r = A x (CSR gather)
  void ax(const double* xx, double* r) const {
    for (std::int64_t i = 0; i < m_; ++i) {
      double s = 0.0;
      for (std::int64_t k = row_ptr_[i]; k < row_ptr_[i + 1]; ++k) s += val_[k] * xx[col_idx_[k]];
      r[i] = s;
    }
  }

  // h(z) = λ Σ exp((z − c)/λ), x = exp(...); inf when an exponent is above 700 (or not finite)
  static double conjugate(const Eigen::VectorXd& z, const Eigen::Map<const Eigen::VectorXd>& c,
                          double reg, Eigen::VectorXd& x) {
    const std::int64_t n = z.size();
    double emax = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < n; ++j) {
      const double e = (z[j] - c[j]) / reg;
      x[j] = e;
      if (!(e <= emax)) emax = e;  // a NaN makes emax NaN
    }
    if (n > 0 && (!std::isfinite(emax) || emax > kExpMax)) return std::numeric_limits<double>::infinity();
    double s = 0.0;
    for (std::int64_t j = 0; j < n; ++j) {
      x[j] = std::exp(x[j]);
      s += x[j];
    }
    return reg * s;
  }

  // largest t ≤ 1 with no log x_j above max(log 1e8, max_j log x_j + 10)
  static double step_cap(const Eigen::VectorXd& z, const Eigen::VectorXd& dz,
                         const Eigen::Map<const Eigen::VectorXd>& c, double reg) {
    const std::int64_t n = z.size();
    double emax = 0.0;
    for (std::int64_t j = 0; j < n; ++j) emax = std::max(emax, (z[j] - c[j]) / reg);
    const double ecap = std::max(std::log(1e8), emax + 10.0);
    double t = std::numeric_limits<double>::infinity();
    bool grow = false;
    for (std::int64_t j = 0; j < n; ++j) {
      const double de = dz[j] / reg;
      if (de > 0) {
        grow = true;
        t = std::min(t, (ecap - (z[j] - c[j]) / reg) / de);
      }
    }
    if (!grow) return 1.0;
    return std::max(std::min(1.0, t), 1e-12);
  }

  void choose_mode(std::int64_t n_diag, const std::string& hint) {
    if (hint != "auto" && hint != "dense" && hint != "sparse" && hint != "schur")
      throw std::invalid_argument("mode must be 'auto', 'dense', 'sparse' or 'schur', got '" + hint + "'");
    bool schur_ok = n_diag > 0 && n_diag <= m_;
    if (schur_ok)
      for (std::int64_t j = 0; j < n_ && schur_ok; ++j) {
        int in_d = 0;
        for (std::int64_t p = ccount_[j]; p < ccount_[j + 1]; ++p) in_d += crow_[p] < n_diag;
        schur_ok = in_d <= 1;
      }
    if (hint == "schur" && !schur_ok)
      throw std::invalid_argument("mode 'schur' needs n_diag rows with disjoint column supports");
    // number of (row, row) products Σ_j nnz_j (nnz_j + 1) / 2 one Hessian costs
    double pairs = 0.0;
    for (std::int64_t j = 0; j < n_; ++j) {
      const double k = double(ccount_[j + 1] - ccount_[j]);
      pairs += k * (k + 1) / 2;
    }
    Mode mode;
    if (hint == "dense") mode = Mode::dense;
    else if (hint == "sparse") mode = Mode::sparse;
    else if (hint == "schur" || (schur_ok && hint == "auto")) mode = Mode::schur;
    else mode = Mode::dense;
    mode_ = mode;
    if (hint == "auto" && mode != Mode::schur) {
      // sparse unless H's lower triangle (its distinct entries, not the pair count, which
      // counts repeated pairs: boeing2's 0.2·m² pairs fill 13 % of H) is at least half full:
      // on netlib sparse is 1.3–3.4× faster per solve than dense down to m ≈ 50 (scagr7,
      // m = 127: 46 → 22 ms), dense only where H is ~80 % full (israel, klein1: 2×)
      if (pairs < 5e7) {
        build_sparse_pattern();
        const double full = double(m_) * double(m_ + 1) / 2;
        if (double(Hs_.nonZeros()) < 0.5 * full) {
          mode_ = Mode::sparse;
          llt_.analyzePattern(Hs_);
          return;
        }
        Hs_ = Eigen::SparseMatrix<double, Eigen::ColMajor, int>();
        pos_ = std::vector<int>();
        diag_pos_ = std::vector<int>();
      }
      mode_ = Mode::dense;
    }
    if (mode_ == Mode::schur) {
      nd_ = n_diag;
      setup_schur();
    } else if (mode_ == Mode::sparse) {
      build_sparse_pattern();
      llt_.analyzePattern(Hs_);
    } else {
      Hd_.resize(m_, m_);
    }
  }

  // ---------------- sparse ----------------
  // H's lower pattern and every column pair's position in it (the symbolic analysis is the
  // caller's, once the mode is settled)
  void build_sparse_pattern() {
    using Trip = Eigen::Triplet<double, int>;
    std::vector<Trip> trips;
    trips.reserve(std::size_t(m_));
    for (std::int64_t i = 0; i < m_; ++i) trips.emplace_back(int(i), int(i), 0.0);
    for (std::int64_t j = 0; j < n_; ++j)
      for (std::int64_t p = ccount_[j]; p < ccount_[j + 1]; ++p)
        for (std::int64_t q = ccount_[j]; q <= p; ++q) trips.emplace_back(int(crow_[p]), int(crow_[q]), 0.0);
    Hs_.resize(int(m_), int(m_));
    Hs_.setFromTriplets(trips.begin(), trips.end());  // lower triangle, rows ≥ cols
    Hs_.makeCompressed();
    trips.clear();
    trips.shrink_to_fit();
    auto position = [&](std::int64_t row, std::int64_t col) {
      const int* inner = Hs_.innerIndexPtr();
      const int beg = Hs_.outerIndexPtr()[col], end = Hs_.outerIndexPtr()[col + 1];
      return int(std::lower_bound(inner + beg, inner + end, int(row)) - inner);
    };
    pos_.clear();
    for (std::int64_t j = 0; j < n_; ++j)
      for (std::int64_t p = ccount_[j]; p < ccount_[j + 1]; ++p)
        for (std::int64_t q = ccount_[j]; q <= p; ++q) pos_.push_back(position(crow_[p], crow_[q]));
    diag_pos_.resize(m_);
    for (std::int64_t i = 0; i < m_; ++i) diag_pos_[i] = position(i, i);
  }

  // ---------------- schur ----------------
  void setup_schur() {
    const std::int64_t nr = m_ - nd_;
    Dd_.resize(nd_);
    B_.resize(nr, nd_);    // H_RD (rows: the other rows, cols: the diagonal rows)
    C_.resize(nr, nr);
  }

  // weights: x with entries below 1e-200·max x dropped (subnormals slow everything down)
  void weights(const Eigen::VectorXd& x, Eigen::VectorXd& w) const {
    const double xmax = x.size() ? x.maxCoeff() : 0.0;
    w = (x.array() > 1e-200 * xmax).select(x, 0.0);
  }

  // d = (A diag(x) Aᵀ + δ)⁻¹ rhs with the jitter ladder of dlnfast._newton.solve_spd
  bool solve_normal(const Eigen::VectorXd& x, const Eigen::VectorXd& rhs, Eigen::VectorXd& d,
                    double max_jitter) {
    Eigen::VectorXd w;
    weights(x, w);
    if (mode_ == Mode::dense) return solve_dense(w, rhs, d, max_jitter);
    if (mode_ == Mode::sparse) return solve_sparse(w, rhs, d, max_jitter);
    return solve_schur(w, rhs, d, max_jitter);
  }

  bool solve_dense(const Eigen::VectorXd& w, const Eigen::VectorXd& rhs, Eigen::VectorXd& d,
                   double max_jitter) {
    Hd_.setZero();
    for (std::int64_t j = 0; j < n_; ++j) {
      const double wj = w[j];
      if (wj == 0.0) continue;
      for (std::int64_t p = ccount_[j]; p < ccount_[j + 1]; ++p) {
        const double ap = wj * cval_[p];
        const std::int64_t rp = crow_[p];
        for (std::int64_t q = ccount_[j]; q <= p; ++q) Hd_(rp, crow_[q]) += ap * cval_[q];
      }
    }
    const double scale = m_ ? Hd_.diagonal().maxCoeff() : 0.0;
    if (!std::isfinite(scale) || scale <= 0) return false;
    for (double jitter = 1e-13; jitter <= max_jitter * (1 + 1e-9); jitter *= 100.0) {
      Hj_ = Hd_;
      Hj_.diagonal().array() += jitter * scale;
      dllt_.compute(Hj_);  // reads the lower triangle only
      if (dllt_.info() != Eigen::Success) continue;
      d = dllt_.solve(rhs);
      if (d.allFinite()) return true;
    }
    return false;
  }

  bool solve_sparse(const Eigen::VectorXd& w, const Eigen::VectorXd& rhs, Eigen::VectorXd& d,
                    double max_jitter) {
    double* v = Hs_.valuePtr();
    std::fill(v, v + Hs_.nonZeros(), 0.0);
    std::size_t t = 0;
    for (std::int64_t j = 0; j < n_; ++j) {
      const double wj = w[j];
      const std::int64_t beg = ccount_[j], end = ccount_[j + 1];
      if (wj == 0.0) {
        const std::int64_t k = end - beg;
        t += std::size_t(k * (k + 1) / 2);
        continue;
      }
      for (std::int64_t p = beg; p < end; ++p) {
        const double ap = wj * cval_[p];
        for (std::int64_t q = beg; q <= p; ++q) v[pos_[t++]] += ap * cval_[q];
      }
    }
    double scale = 0.0;
    for (std::int64_t i = 0; i < m_; ++i) scale = std::max(scale, v[diag_pos_[i]]);
    if (!std::isfinite(scale) || scale <= 0) return false;
    for (double jitter = 1e-13; jitter <= max_jitter * (1 + 1e-9); jitter *= 100.0) {
      llt_.setShift(jitter * scale);
      llt_.factorize(Hs_);
      if (llt_.info() != Eigen::Success) continue;
      d = llt_.solve(rhs);
      if (d.allFinite()) return true;
    }
    return false;
  }

  bool solve_schur(const Eigen::VectorXd& w, const Eigen::VectorXd& rhs, Eigen::VectorXd& d,
                   double max_jitter) {
    const std::int64_t nd = nd_, nr = m_ - nd_;
    Dd_.setZero();
    B_.setZero();
    C_.setZero();
    for (std::int64_t j = 0; j < n_; ++j) {
      const double wj = w[j];
      if (wj == 0.0) continue;
      const std::int64_t beg = ccount_[j], end = ccount_[j + 1];
      // rows ascending: the (at most one) diagonal-block row comes first
      std::int64_t p0 = beg;
      if (p0 < end && crow_[p0] < nd) {
        const std::int64_t i = crow_[p0];
        const double ai = wj * cval_[p0];
        Dd_[i] += ai * cval_[p0];
        for (std::int64_t p = p0 + 1; p < end; ++p) B_(crow_[p] - nd, i) += ai * cval_[p];
        ++p0;
      }
      for (std::int64_t p = p0; p < end; ++p) {
        const double ap = wj * cval_[p];
        for (std::int64_t q = p0; q <= p; ++q) C_(crow_[p] - nd, crow_[q] - nd) += ap * cval_[q];
      }
    }
    double scale = 0.0;
    if (nd) scale = Dd_.maxCoeff();
    if (nr) scale = std::max(scale, C_.diagonal().maxCoeff());
    if (!std::isfinite(scale) || scale <= 0) return false;
    const auto rd = rhs.head(nd);
    const auto rr = rhs.tail(nr);
    for (double jitter = 1e-13; jitter <= max_jitter * (1 + 1e-9); jitter *= 100.0) {
      const double delta = jitter * scale;
      Eigen::VectorXd dinv = (Dd_.array() + delta).inverse().matrix();
      if (!dinv.allFinite()) continue;
      BD_ = B_ * dinv.asDiagonal();              // B D⁻¹
      S_ = C_;
      S_.diagonal().array() += delta;
      S_.triangularView<Eigen::Lower>() -= BD_ * B_.transpose();
      dllt_.compute(S_);
      if (dllt_.info() != Eigen::Success) continue;
      d.resize(m_);
      d.tail(nr) = dllt_.solve(rr - BD_ * rd);
      d.head(nd) = dinv.asDiagonal() * (rd - B_.transpose() * d.tail(nr));
      if (d.allFinite()) return true;
    }
    return false;
  }

  std::int64_t m_, n_, nd_ = 0;
  Mode mode_ = Mode::dense;
  std::vector<std::int64_t> row_ptr_, col_idx_, ccount_, crow_;
  std::vector<double> val_, cval_;
  // dense
  Eigen::MatrixXd Hd_, Hj_;
  Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> dllt_;
  // sparse
  Eigen::SparseMatrix<double, Eigen::ColMajor, int> Hs_;
  std::vector<int> pos_, diag_pos_;
  Eigen::SimplicialLLT<Eigen::SparseMatrix<double, Eigen::ColMajor, int>, Eigen::Lower,
                       Eigen::AMDOrdering<int>> llt_;
  // schur
  Eigen::VectorXd Dd_;
  Eigen::MatrixXd B_, C_, BD_, S_;
};

}  // namespace dlnfast::lp
