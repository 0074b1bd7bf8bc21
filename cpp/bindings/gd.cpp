// Bindings for full-batch gradient descent on a DiagonalNet (dlnfast/gd.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/gd.hpp"

namespace dlnfast::bindings {
namespace {

template <class T>
GDResult gd(py::array_t<T, py::array::c_style> X, DArray y, std::optional<DArray> weights,
            std::optional<DArray> x_mean, DArray log_w_pos, DArray log_w_neg, DArray beta,
            int depth, const GDOptions& options, long loss_every, std::optional<DArray> loss_out,
            std::optional<LArray> snapshot_iters, std::optional<DArray> snapshots_out,
            py::object progress, std::optional<DArray> signs_out) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
  const py::ssize_t n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  check_len(log_w_pos, d, "log_w_pos");
  check_len(log_w_neg, d, "log_w_neg");
  check_len(beta, d, "beta");
  if (signs_out && (signs_out->ndim() != 1 || signs_out->shape(0) != 2 * d))
    throw std::invalid_argument("signs_out must have length 2 * n_features");
  GDHistory hist = make_history(loss_every, loss_out, snapshot_iters, snapshots_out, d);
  LeastSquares<T> loss(X.data(), n, d, y.data(), optional_ptr(weights, n, "weights"),
                       optional_ptr(x_mean, d, "x_mean"));
  DiagonalNet net(d, depth, log_w_pos.data(), log_w_neg.data());
  Monitor monitor = make_monitor(progress);
  GDResult res;
  {
    py::gil_scoped_release release;
    res = run_gd(loss, net, options, beta.mutable_data(), hist, monitor);
    net.log_weights(log_w_pos.mutable_data(), log_w_neg.mutable_data());
    if (signs_out) net.signs(signs_out->mutable_data(), signs_out->mutable_data() + d);
  }
  raise_if_python_error();
  res.n_loss = hist.n_loss;
  res.n_loss_increases = hist.n_loss_increases;
  res.n_snapshots = hist.n_snapshots;
  return res;
}

// Xᵀv with the engine's own fused kernel and threads: the same deterministic chunked sum, and
// no BLAS call whose spinning worker threads would then compete with the solve that follows.
template <class T>
DArray xt_dot(py::array_t<T, py::array::c_style> X, DArray v, int n_threads) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
  const py::ssize_t n = X.shape(0), d = X.shape(1);
  check_len(v, n, "v");
  DArray out(d);
  std::vector<double> minus_v(n), zeros(d, 0.0);
  for (py::ssize_t i = 0; i < n; ++i) minus_v[i] = -v.data()[i];
  LeastSquares<T> ls(X.data(), n, d, minus_v.data(), nullptr, nullptr);
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    const int nt = work_threads(n_threads, static_cast<long long>(n) * d);
    // at β = 0 the residual is r = v, so the gradient (with weights 1/n) is Xᵀv/n
#pragma omp parallel num_threads(nt)
    {
      ls.accumulate(zeros.data());
      ls.gradient(o);
    }
    for (py::ssize_t j = 0; j < d; ++j) o[j] *= double(n);
  }
  return out;
}

}  // namespace

void bind_gd(py::module_& m) {
  py::enum_<Status>(m, "Status")
      .value("converged", Status::Converged)
      .value("max_iter", Status::MaxIter)
      .value("diverged", Status::Diverged)
      .value("interrupted", Status::Interrupted);

  py::class_<GDOptions>(m, "GDOptions")
      .def(py::init<>())
      .def_readwrite("auto_step", &GDOptions::auto_step)
      .def_readwrite("step", &GDOptions::step)
      .def_readwrite("lambda_max", &GDOptions::lambda_max)
      .def_readwrite("max_iter", &GDOptions::max_iter)
      .def_readwrite("tol", &GDOptions::tol)
      .def_readwrite("grad_scale", &GDOptions::grad_scale)
      .def_readwrite("n_threads", &GDOptions::n_threads)
      .def_readwrite("step_decay", &GDOptions::step_decay)
      .def_readwrite("momentum", &GDOptions::momentum)
      .def_readwrite("nesterov", &GDOptions::nesterov);

  py::class_<GDResult>(m, "GDResult")
      .def_readonly("status", &GDResult::status)
      .def_readonly("n_iter", &GDResult::n_iter)
      .def_readonly("loss", &GDResult::loss)
      .def_readonly("criterion", &GDResult::criterion)
      .def_readonly("step", &GDResult::step)
      .def_readonly("lambda_max", &GDResult::lambda_max)
      .def_readonly("suggested_step", &GDResult::suggested_step)
      .def_readonly("n_loss", &GDResult::n_loss)
      .def_readonly("n_loss_increases", &GDResult::n_loss_increases)
      .def_readonly("n_snapshots", &GDResult::n_snapshots);

  const char* doc =
      "Full-batch GD on beta = w+^D - w-^D (see dlnfast/gd.hpp). X is used in place; "
      "log_w_pos/log_w_neg (in: initial, out: final log-factors) and beta (out) are written.";
  m.def("xt_dot", &xt_dot<double>, py::arg("X").noconvert(), py::arg("v").noconvert(), py::arg("n_threads"),
        "X^T v in float64 with the engine's kernel (X used in place).");
  m.def("xt_dot", &xt_dot<float>, py::arg("X").noconvert(), py::arg("v").noconvert(), py::arg("n_threads"));
  m.def("gd", &gd<double>, doc, py::arg("X").noconvert(), py::arg("y").noconvert(),
        py::arg("weights").noconvert(), py::arg("x_mean").noconvert(), py::arg("log_w_pos").noconvert(),
        py::arg("log_w_neg").noconvert(), py::arg("beta").noconvert(), py::arg("depth"),
        py::arg("options"), py::arg("loss_every"), py::arg("loss_out").noconvert(),
        py::arg("snapshot_iters").noconvert(), py::arg("snapshots_out").noconvert(), py::arg("progress"),
        py::arg("signs_out").noconvert() = py::none());
  m.def("gd", &gd<float>, doc, py::arg("X").noconvert(), py::arg("y").noconvert(),
        py::arg("weights").noconvert(), py::arg("x_mean").noconvert(), py::arg("log_w_pos").noconvert(),
        py::arg("log_w_neg").noconvert(), py::arg("beta").noconvert(), py::arg("depth"),
        py::arg("options"), py::arg("loss_every"), py::arg("loss_out").noconvert(),
        py::arg("snapshot_iters").noconvert(), py::arg("snapshots_out").noconvert(), py::arg("progress"),
        py::arg("signs_out").noconvert() = py::none());
}

}  // namespace dlnfast::bindings
