// The LP constraint operator for a dense, row-major (C-contiguous) A ∈ R^{m×n}.
#pragma once
#include <algorithm>
#include <cstdint>

#include "dlnfast/core/team.hpp"

namespace dlnfast::lp {

/// r = A x − b and g = Aᵀ r for a dense row-major A, not owned (a view of the numpy array).
/// Determinism: each r_i is one row's dot product, each g_j is accumulated by one thread over
/// the rows in order (column blocks of fixed width), so results do not depend on n_threads.
class DenseOperator {
 public:
  DenseOperator(const double* a, const double* b, std::int64_t m, std::int64_t n)
      : a_(a), b_(b), m_(m), n_(n) {}

  std::int64_t n_rows() const { return m_; }
  std::int64_t n_vars() const { return n_; }
  const double* rhs() const { return b_; }
  /// Multiply-adds in one residual (or adjoint) pass.
  std::int64_t work() const { return m_ * n_; }

  /// r = A x − b.
  void residual(const double* x, double* r, Team& team) const {
    team.parallel_blocks(m_, kRows, [&](Index, Index i0, Index i1) {
      for (Index i = i0; i < i1; ++i) {
        const double* row = a_ + i * n_;
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (Index j = 0; j < n_; ++j) s += row[j] * x[j];
        r[i] = s - b_[i];
      }
    });
  }

  /// g = Aᵀ r, over column blocks of kBlock columns (one thread per block, rows in order).
  void adjoint(const double* r, double* g, Team& team) const {
    team.parallel_blocks(n_, kBlock, [&](Index, Index j0, Index j1) {
      double* gb = g + j0;
      for (std::int64_t j = 0; j < j1 - j0; ++j) gb[j] = 0.0;
      for (std::int64_t i = 0; i < m_; ++i) {
        const double ri = r[i];
        if (ri == 0.0) continue;
        const double* row = a_ + i * n_ + j0;
#pragma omp simd
        for (std::int64_t j = 0; j < j1 - j0; ++j) gb[j] += ri * row[j];
      }
    });
  }

 private:
  // 512 doubles = 4 KiB of g per block: stays in L1 while the rows stream through.
  static constexpr std::int64_t kBlock = 512;
  static constexpr std::int64_t kRows = 16;  // rows per chunk of the residual pass
  const double* a_;
  const double* b_;
  std::int64_t m_, n_;
};

}  // namespace dlnfast::lp
