// The LP constraint operator for a sparse A given in CSR together with its transpose in CSR.
#pragma once
#include <cstdint>

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
  void residual(const double* x, double* r, int n_threads) const {
    spmv(a_, x, r, n_threads);
    const std::int64_t m = a_.n_rows;
#pragma omp parallel for simd schedule(static) num_threads(n_threads)
    for (std::int64_t i = 0; i < m; ++i) r[i] -= b_[i];
  }

  /// g = Aᵀ r.
  void adjoint(const double* r, double* g, int n_threads) const { spmv(at_, r, g, n_threads); }

 private:
  static void spmv(const CsrView& s, const double* v, double* out, int n_threads) {
#pragma omp parallel for schedule(dynamic, 256) num_threads(n_threads)
    for (std::int64_t i = 0; i < s.n_rows; ++i) {
      double acc = 0.0;
      for (std::int64_t k = s.indptr[i]; k < s.indptr[i + 1]; ++k) acc += s.data[k] * v[s.indices[k]];
      out[i] = acc;
    }
  }
  CsrView a_, at_;
  const double* b_;
};

}  // namespace dlnfast::lp
