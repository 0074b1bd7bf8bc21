// The LP constraint operator for a sparse A given in CSR together with its transpose in CSR.
#pragma once
#include <cstdint>

#include "dlnfast/core/team.hpp"

namespace dlnfast::lp {

/// A view of a CSR matrix (int64 indices), not owned.
struct CsrView {
  const std::int64_t* indptr;
  const std::int64_t* indices;
  const double* data;
  std::int64_t n_rows;
  std::int64_t n_cols;
};

/// r = A x − b from A in CSR, g = Aᵀ r from Aᵀ in CSR (both built once in Python). Each output
/// entry is one thread's sum over its row's nonzeros in storage order: thread-count independent.
class SparseOperator {
 public:
  SparseOperator(CsrView a, CsrView at, const double* b) : a_(a), at_(at), b_(b) {}

  std::int64_t n_rows() const { return a_.n_rows; }
  std::int64_t n_vars() const { return a_.n_cols; }
  const double* rhs() const { return b_; }
  /// Multiply-adds in one residual (or adjoint) pass: the nonzeros of A.
  std::int64_t work() const { return a_.indptr[a_.n_rows]; }

  /// r = A x − b.
  void residual(const double* x, double* r, Team& team) const {
    spmv(a_, x, r, team);
    for (std::int64_t i = 0; i < a_.n_rows; ++i) r[i] -= b_[i];
  }

  /// g = Aᵀ r.
  void adjoint(const double* r, double* g, Team& team) const { spmv(at_, r, g, team); }

 private:
  static void spmv(const CsrView& s, const double* v, double* out, Team& team) {
    team.parallel_blocks(s.n_rows, 256, [&](Index, Index i0, Index i1) {
      for (Index i = i0; i < i1; ++i) {
        double acc = 0.0;
        for (std::int64_t k = s.indptr[i]; k < s.indptr[i + 1]; ++k) acc += s.data[k] * v[s.indices[k]];
        out[i] = acc;
      }
    });
  }
  CsrView a_, at_;
  const double* b_;
};

}  // namespace dlnfast::lp
