// Bindings of the entropic LP's damped Newton (dlnfast/lp/entropic_newton.hpp), called by
// dlnfast.lp._entropic. A comes as CSR arrays (validated and made canonical in Python); the
// object keeps A and everything that depends only on its pattern for the whole λ path.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/LU>
#include <Eigen/QR>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "dlnfast/lp/entropic_newton.hpp"

namespace dlnfast::bindings {

namespace {

using lp::EntropicNewton;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

EntropicNewton* make(const IArray& indptr, const IArray& indices, const DArray& data,
                     std::int64_t m, std::int64_t n, std::int64_t n_diag, const std::string& mode) {
  require(m >= 0 && n >= 0, "shape must be non-negative");
  require(indptr.ndim() == 1 && indptr.shape(0) == m + 1, "indptr must have m + 1 entries");
  const std::int64_t nnz = indptr.at(m);
  require(indices.ndim() == 1 && indices.shape(0) == nnz, "indices must have indptr[-1] entries");
  require(data.ndim() == 1 && data.shape(0) == nnz, "data must have indptr[-1] entries");
  for (std::int64_t i = 0; i < m; ++i)
    require(indptr.at(i) <= indptr.at(i + 1) && indptr.at(i) >= 0, "indptr must be non-decreasing from 0");
  return new EntropicNewton(indptr.data(), indices.data(), data.data(), m, n, n_diag, mode);
}

py::tuple stage(EntropicNewton& self, const DArray& b, const DArray& c, double reg, DArray& nu,
                double tol, double stall_tol, int max_steps, double time_left, double max_jitter) {
  require(b.ndim() == 1 && b.shape(0) == self.n_rows(), "b must have A.shape[0] entries");
  require(c.ndim() == 1 && c.shape(0) == self.n_cols(), "c must have A.shape[1] entries");
  require(nu.ndim() == 1 && nu.shape(0) == self.n_rows(), "nu must have A.shape[0] entries");
  require(reg > 0, "reg must be > 0");
  DArray x(self.n_cols());
  double* nup = nu.mutable_data();
  double* xp = x.mutable_data();
  lp::NewtonStageResult r;
  {
    py::gil_scoped_release release;
    r = self.stage(b.data(), c.data(), reg, nup, xp, tol, stall_tol, max_steps, time_left, max_jitter);
  }
  py::object xo = r.overflow ? py::object(py::none()) : py::object(x);
  return py::make_tuple(xo, r.n_steps, r.converged, r.reason, r.residual);
}

// The least-norm least-squares solution of A x = r (A: m×k, C order), by Eigen's complete
// orthogonal decomposition (a pivot counts above eps × the largest, as gelsd's default rcond):
// the polish's projection, without LAPACK's threads.
DArray min_norm_lstsq(const DArray& a, const DArray& r) {
  require(a.ndim() == 2, "A must be 2-D");
  require(r.ndim() == 1 && r.shape(0) == a.shape(0), "r must have A.shape[0] entries");
  const std::int64_t m = a.shape(0), k = a.shape(1);
  DArray x(k);
  if (m == 0 || k == 0) {
    std::fill(x.mutable_data(), x.mutable_data() + k, 0.0);
    return x;
  }
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMat> A(a.data(), m, k);
  Eigen::Map<const Eigen::VectorXd> rv(r.data(), m);
  Eigen::Map<Eigen::VectorXd> xv(x.mutable_data(), k);
  {
    py::gil_scoped_release release;
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod;
    cod.setThreshold(std::numeric_limits<double>::epsilon());
    cod.compute(A);
    xv = cod.solve(rv);
  }
  return x;
}

// B⁻¹ of a dense square matrix (C order) by LU with partial pivoting, or None when B is
// singular to working precision (reciprocal condition estimate below 1e3·ε): the crossover's fresh basis inverse, without LAPACK's threads.
py::object dense_inverse(const DArray& a) {
  require(a.ndim() == 2 && a.shape(0) == a.shape(1), "B must be a square 2-D array");
  const std::int64_t m = a.shape(0);
  DArray out({m, m});
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMat> B(a.data(), m, m);
  Eigen::Map<RowMat> Binv(out.mutable_data(), m, m);
  bool ok = true;
  {
    py::gil_scoped_release release;
    // partial pivoting (blocked: 622×622 in a few ms where full pivoting took 0.1 s), with
    // singularity judged by the reciprocal condition estimate
    Eigen::PartialPivLU<Eigen::MatrixXd> lu(B);
    ok = m == 0 || lu.rcond() > 1e3 * std::numeric_limits<double>::epsilon();
    if (ok) Binv = lu.inverse();
    ok = ok && Binv.allFinite();
  }
  return ok ? py::object(out) : py::object(py::none());
}

}  // namespace

void bind_newton(py::module_& m) {
  py::class_<EntropicNewton>(m, "EntropicNewton",
                             "Damped Newton on the entropic LP's dual, A kept in CSR (internal).")
      .def(py::init(&make), py::arg("indptr").noconvert(), py::arg("indices").noconvert(),
           py::arg("data").noconvert(), py::arg("m"), py::arg("n"), py::arg("n_diag") = 0,
           py::arg("mode") = "auto")
      .def_property_readonly("mode",
                             [](const EntropicNewton& s) {
                               switch (s.mode()) {
                                 case EntropicNewton::Mode::dense: return std::string("dense");
                                 case EntropicNewton::Mode::sparse: return std::string("sparse");
                                 default: return std::string("schur");
                               }
                             })
      .def("stage", &stage, py::arg("b").noconvert(), py::arg("c").noconvert(), py::arg("reg"),
           py::arg("nu").noconvert(), py::arg("tol"), py::arg("stall_tol"), py::arg("max_steps"),
           py::arg("time_left"), py::arg("max_jitter"),
           "One Newton stage at fixed reg from nu (updated in place); returns "
           "(x or None on overflow, steps, converged, reason, residual).");
  m.def("min_norm_lstsq", &min_norm_lstsq, py::arg("A").noconvert(), py::arg("r").noconvert(),
        "Least-norm least-squares solution of A x = r (complete orthogonal decomposition).");
  m.def("dense_inverse", &dense_inverse, py::arg("B").noconvert(),
        "Inverse of a dense square matrix by partial-pivoting LU; None when it is singular.");
}

}  // namespace dlnfast::bindings
