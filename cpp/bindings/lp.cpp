// Bindings of the LP dynamics (DLN gradient descent, exponentiated gradient) for dense, sparse
// and transport operators. Arrays are validated and allocated in Python (dlnfast._linprog,
// dlnfast._transport); here we only check shapes, release the GIL and run.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/lp/dense_operator.hpp"
#include "dlnfast/lp/dln_gd.hpp"
#include "dlnfast/lp/eg.hpp"
#include "dlnfast/lp/lp_driver.hpp"
#include "dlnfast/lp/lp_options.hpp"
#include "dlnfast/lp/sparse_operator.hpp"
#include "dlnfast/lp/transport_operator.hpp"

namespace dlnfast::bindings {

namespace {

using lp::LpOptions;
using Arr = DArray;
using IArr = IArray;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

template <class Op>
Output run(const Op& op, Arr& log_u, Arr& omega, Arr& eta_r_sum, const LpOptions& opt,
           std::optional<Arr>& momentum) {
  require(log_u.ndim() >= 1 && log_u.size() == op.n_vars(), "log_u must have n_vars entries");
  require(omega.size() == op.n_vars(), "omega must have n_vars entries");
  require(eta_r_sum.ndim() == 1 && eta_r_sum.size() == op.n_rows(),
          "eta_r_sum must have n_rows entries");
  double* lu = log_u.mutable_data();
  double* om = omega.mutable_data();
  double* er = eta_r_sum.mutable_data();
  double* mom = nullptr;
  if (momentum) {
    require(momentum->ndim() == 1 && momentum->size() == 2 * op.n_vars() + op.n_rows() + 1,
            "momentum must have 2·n_vars + n_rows + 1 entries");
    mom = momentum->mutable_data();
  }
  Monitor monitor = make_monitor(py::none());
  Output out;
  {
    py::gil_scoped_release release;
    if (opt.update == lp::LpUpdate::dln_gd)
      out.run = lp::run_lp_dynamics<lp::DlnGdUpdate>(op, lu, om, er, opt, monitor, mom);
    else
      out.run = lp::run_lp_dynamics<lp::EgUpdate>(op, lu, om, er, opt, monitor, mom);
  }
  raise_if_python_error();
  return out;
}

Output lp_dense(const Arr& a, const Arr& b, Arr& log_u, Arr& omega, Arr& eta_r_sum,
                  const LpOptions& opt, std::optional<Arr> momentum) {
  require(a.ndim() == 2, "A must be 2-D");
  require(b.ndim() == 1 && b.shape(0) == a.shape(0), "b must have A.shape[0] entries");
  lp::DenseOperator op(a.data(), b.data(), a.shape(0), a.shape(1));
  return run(op, log_u, omega, eta_r_sum, opt, momentum);
}

lp::CsrView csr(const IArr& indptr, const IArr& indices, const Arr& data, std::int64_t rows,
                std::int64_t cols, const char* name) {
  require(indptr.ndim() == 1 && indptr.shape(0) == rows + 1,
          std::string(name) + ": indptr must have n_rows + 1 entries");
  require(indices.size() == data.size(), std::string(name) + ": indices and data differ in size");
  const std::int64_t* p = indptr.data();
  require(p[0] == 0 && p[rows] == data.size(), std::string(name) + ": inconsistent indptr");
  const std::int64_t* ix = indices.data();
  for (std::int64_t k = 0; k < indices.size(); ++k)
    require(ix[k] >= 0 && ix[k] < cols, std::string(name) + ": column index out of range");
  for (std::int64_t i = 0; i < rows; ++i)
    require(p[i] <= p[i + 1], std::string(name) + ": indptr must be non-decreasing");
  return lp::CsrView{p, ix, data.data(), rows, cols};
}

Output lp_sparse(const IArr& indptr, const IArr& indices, const Arr& data, const IArr& t_indptr,
                   const IArr& t_indices, const Arr& t_data, const Arr& b, Arr& log_u, Arr& omega,
                   Arr& eta_r_sum, const LpOptions& opt, std::optional<Arr> momentum) {
  const std::int64_t m = b.size(), n = log_u.size();
  lp::SparseOperator op(csr(indptr, indices, data, m, n, "A"),
                        csr(t_indptr, t_indices, t_data, n, m, "A.T"), b.data());
  return run(op, log_u, omega, eta_r_sum, opt, momentum);
}

Output lp_transport(const Arr& a, const Arr& b, Arr& log_u, Arr& omega, Arr& eta_r_sum,
                      const LpOptions& opt, std::optional<Arr> momentum) {
  require(a.ndim() == 1 && b.ndim() == 1, "a and b must be 1-D");
  require(log_u.ndim() == 2 && log_u.shape(0) == a.shape(0) && log_u.shape(1) == b.shape(0),
          "log_u must have shape (len(a), len(b))");
  lp::TransportOperator op(a.data(), b.data(), a.shape(0), b.shape(0));
  return run(op, log_u, omega, eta_r_sum, opt, momentum);
}

}  // namespace

void bind_lp(py::module_& m) {
  py::enum_<lp::LpUpdate>(m, "LpUpdate")
      .value("dln_gd", lp::LpUpdate::dln_gd)
      .value("exponentiated_gradient", lp::LpUpdate::exponentiated_gradient);
  py::enum_<lp::LpStepRule>(m, "LpStepRule")
      .value("paper", lp::LpStepRule::paper)
      .value("adaptive", lp::LpStepRule::adaptive)
      .value("fixed", lp::LpStepRule::fixed);
  py::class_<LpOptions> opts(m, "LpOptions");
  opts
      .def_readwrite("update", &LpOptions::update)
      .def_readwrite("step_rule", &LpOptions::step_rule)
      .def_readwrite("norm_a_sq", &LpOptions::norm_a_sq)
      .def_readwrite("step_size", &LpOptions::step_size)
      .def_readwrite("tol", &LpOptions::tol)
      .def_readwrite("max_iter", &LpOptions::max_iter)
      .def_readwrite("time_limit", &LpOptions::time_limit)
      .def_readwrite("n_threads", &LpOptions::n_threads)
      .def_readwrite("initial_step", &LpOptions::initial_step)
      .def_readwrite("loss_cap", &LpOptions::loss_cap)
      .def_readwrite("min_parallel_work", &LpOptions::min_parallel_work);
  def_keyword_init(opts);
  m.def("lp_dense", &lp_dense, py::arg("A").noconvert(), py::arg("b").noconvert(),
        py::arg("log_u").noconvert(), py::arg("omega").noconvert(),
        py::arg("eta_r_sum").noconvert(), py::arg("options"),
        py::arg("momentum").noconvert() = py::none(),
        "DLN GD / EG on ½‖A(u⊙u) − b‖² for dense row-major A; updates log_u, omega, eta_r_sum in place.");
  m.def("lp_sparse", &lp_sparse, py::arg("indptr").noconvert(), py::arg("indices").noconvert(),
        py::arg("data").noconvert(), py::arg("t_indptr").noconvert(),
        py::arg("t_indices").noconvert(), py::arg("t_data").noconvert(), py::arg("b").noconvert(),
        py::arg("log_u").noconvert(), py::arg("omega").noconvert(),
        py::arg("eta_r_sum").noconvert(), py::arg("options"),
        py::arg("momentum").noconvert() = py::none(),
        "DLN GD / EG for A given in CSR (int64 indices) with its transpose in CSR.");
  m.def("lp_transport", &lp_transport, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("log_u").noconvert(), py::arg("omega").noconvert(),
        py::arg("eta_r_sum").noconvert(), py::arg("options"),
        py::arg("momentum").noconvert() = py::none(),
        "DLN GD / EG for optimal transport, matrix-free (Aᵀr = g_i + h_j); log_u is (n1, n2).");
}

}  // namespace dlnfast::bindings
