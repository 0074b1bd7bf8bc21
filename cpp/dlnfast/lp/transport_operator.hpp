// The optimal-transport constraint operator, matrix-free: P ∈ R^{n1×n2} (row-major, x = vec P),
// constraints P1 = a (n1 rows) and Pᵀ1 = b (n2 rows).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "dlnfast/core/team.hpp"

namespace dlnfast::lp {

/// r = [P1 − a; Pᵀ1 − b] and (Aᵀr)_{ij} = r_i + r_{n1+j}, never forming the (n1+n2)×(n1·n2)
/// incidence matrix A. ‖A‖₂² = n1 + n2 (the largest eigenvalue of AAᵀ = [[n2·I, 1],[1, n1·I]]).
/// Column sums are accumulated per column block by one thread over the rows in order.
class TransportOperator {
 public:
  TransportOperator(const double* a, const double* b, std::int64_t n1, std::int64_t n2)
      : n1_(n1), n2_(n2), rhs_(static_cast<std::size_t>(n1 + n2)) {
    std::copy(a, a + n1, rhs_.begin());
    std::copy(b, b + n2, rhs_.begin() + n1);
  }

  std::int64_t n_rows() const { return n1_ + n2_; }
  std::int64_t n_vars() const { return n1_ * n2_; }
  const double* rhs() const { return rhs_.data(); }
  double norm_sq() const { return static_cast<double>(n1_ + n2_); }
  /// Additions in one residual (or adjoint) pass.
  std::int64_t work() const { return n1_ * n2_; }

  /// r = A vec(P) − [a; b].
  void residual(const double* p, double* r, Team& team) const {
    const double* rhs = rhs_.data();
    team.parallel_blocks(n1_, kRows, [&](Index, Index i0, Index i1) {
      for (Index i = i0; i < i1; ++i) {
        const double* row = p + i * n2_;
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (Index j = 0; j < n2_; ++j) s += row[j];
        r[i] = s - rhs[i];
      }
    });
    team.parallel_blocks(n2_, kBlock, [&](Index, Index j0, Index j1) {
      double* cb = r + n1_ + j0;
      for (std::int64_t j = 0; j < j1 - j0; ++j) cb[j] = 0.0;
      for (std::int64_t i = 0; i < n1_; ++i) {
        const double* row = p + i * n2_ + j0;
#pragma omp simd
        for (std::int64_t j = 0; j < j1 - j0; ++j) cb[j] += row[j];
      }
      for (std::int64_t j = j0; j < j1; ++j) r[n1_ + j] -= rhs[n1_ + j];
    });
  }

  /// (Aᵀr)_{ij} = r_i + r_{n1+j}.
  void adjoint(const double* r, double* g, Team& team) const {
    team.parallel_blocks(n1_, kRows, [&](Index, Index i0, Index i1) {
      for (Index i = i0; i < i1; ++i) {
        const double ri = r[i];
        const double* h = r + n1_;
        double* gi = g + i * n2_;
#pragma omp simd
        for (Index j = 0; j < n2_; ++j) gi[j] = ri + h[j];
      }
    });
  }

 private:
  static constexpr std::int64_t kBlock = 512;
  static constexpr std::int64_t kRows = 16;  // rows per chunk
  std::int64_t n1_, n2_;
  std::vector<double> rhs_;
};

}  // namespace dlnfast::lp
