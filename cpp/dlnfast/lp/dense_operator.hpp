// The LP constraint operator for a dense, row-major (C-contiguous) A ∈ R^{m×n}.
#pragma once
#include <algorithm>
#include <cstdint>

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
  void residual(const double* x, double* r, int n_threads) const {
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t i = 0; i < m_; ++i) {
      const double* row = a_ + i * n_;
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (std::int64_t j = 0; j < n_; ++j) s += row[j] * x[j];
      r[i] = s - b_[i];
    }
  }

  /// g = Aᵀ r, over column blocks of kBlock columns (one thread per block, rows in order).
  void adjoint(const double* r, double* g, int n_threads) const {
    const std::int64_t n_blocks = (n_ + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
      const std::int64_t j0 = blk * kBlock, j1 = std::min(n_, j0 + kBlock);
      double* gb = g + j0;
      for (std::int64_t j = 0; j < j1 - j0; ++j) gb[j] = 0.0;
      for (std::int64_t i = 0; i < m_; ++i) {
        const double ri = r[i];
        if (ri == 0.0) continue;
        const double* row = a_ + i * n_ + j0;
#pragma omp simd
        for (std::int64_t j = 0; j < j1 - j0; ++j) gb[j] += ri * row[j];
      }
    }
  }

 private:
  // 512 doubles = 4 KiB of g per block: stays in L1 while the rows stream through.
  static constexpr std::int64_t kBlock = 512;
  const double* a_;
  const double* b_;
  std::int64_t m_, n_;
};

}  // namespace dlnfast::lp
