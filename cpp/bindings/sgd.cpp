// Bindings for stochastic gradient descent on a DiagonalNet (dlnfast/sgd.hpp).
// Must be registered after bind_gd (it reuses Status and GDResult).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/sgd.hpp"

namespace dlnfast::bindings {
namespace {

template <class T>
GDResult sgd(py::array_t<T, py::array::c_style> X, DArray y, std::optional<DArray> weights,
             std::optional<DArray> x_mean, DArray log_w_pos, DArray log_w_neg, DArray beta, int depth,
             const SGDOptions& options, long loss_every, std::optional<DArray> loss_out,
             std::optional<LArray> snapshot_iters, std::optional<DArray> snapshots_out, py::object progress,
             std::optional<DArray> signs_out) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
  const py::ssize_t n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  check_len(log_w_pos, d, "log_w_pos");
  check_len(log_w_neg, d, "log_w_neg");
  check_len(beta, d, "beta");
  if (signs_out && (signs_out->ndim() != 1 || signs_out->shape(0) != 2 * d))
    throw std::invalid_argument("signs_out must have length 2 * n_features");
  GDHistory hist = make_history(loss_every, loss_out, snapshot_iters, snapshots_out, d);
  const double* w = optional_ptr(weights, n, "weights");
  const double* xm = optional_ptr(x_mean, d, "x_mean");
  LeastSquares<T> loss(X.data(), n, d, y.data(), w, xm);
  DiagonalNet net(d, depth, log_w_pos.data(), log_w_neg.data());
  Monitor monitor = make_monitor(progress);
  GDResult res;
  {
    py::gil_scoped_release release;
    res = run_sgd(loss, X.data(), y.data(), w, xm, net, options, beta.mutable_data(), hist, monitor);
    net.log_weights(log_w_pos.mutable_data(), log_w_neg.mutable_data());
    if (signs_out) net.signs(signs_out->mutable_data(), signs_out->mutable_data() + d);
  }
  raise_if_python_error();
  res.n_loss = hist.n_loss;
  res.n_loss_increases = hist.n_loss_increases;
  res.n_snapshots = hist.n_snapshots;
  return res;
}

}  // namespace

void bind_sgd(py::module_& m) {
  py::class_<SGDOptions>(m, "SGDOptions")
      .def(py::init<>())
      .def_readwrite("auto_step", &SGDOptions::auto_step)
      .def_readwrite("step", &SGDOptions::step)
      .def_readwrite("step_decay", &SGDOptions::step_decay)
      .def_readwrite("batch_size", &SGDOptions::batch_size)
      .def_readwrite("shuffle", &SGDOptions::shuffle)
      .def_readwrite("seed", &SGDOptions::seed)
      .def_readwrite("label_noise", &SGDOptions::label_noise)
      .def_readwrite("momentum", &SGDOptions::momentum)
      .def_readwrite("nesterov", &SGDOptions::nesterov)
      .def_readwrite("max_iter", &SGDOptions::max_iter)
      .def_readwrite("eval_every", &SGDOptions::eval_every)
      .def_readwrite("tol", &SGDOptions::tol)
      .def_readwrite("grad_scale", &SGDOptions::grad_scale)
      .def_readwrite("n_threads", &SGDOptions::n_threads)
      .def_readwrite("min_work_per_thread", &SGDOptions::min_work_per_thread);

  const char* doc =
      "Mini-batch SGD (optionally momentum, label noise) on beta = w+^D - w-^D (see dlnfast/sgd.hpp). "
      "X is used in place; log_w_pos/log_w_neg (in: initial, out: final log-factors) and beta (out) "
      "are written. loss_every counts steps and must be a multiple of options.eval_every.";
  m.def("sgd", &sgd<double>, doc, py::arg("X").noconvert(), py::arg("y").noconvert(),
        py::arg("weights").noconvert(), py::arg("x_mean").noconvert(), py::arg("log_w_pos").noconvert(),
        py::arg("log_w_neg").noconvert(), py::arg("beta").noconvert(), py::arg("depth"), py::arg("options"),
        py::arg("loss_every"), py::arg("loss_out").noconvert(), py::arg("snapshot_iters").noconvert(),
        py::arg("snapshots_out").noconvert(), py::arg("progress"),
        py::arg("signs_out").noconvert() = py::none());
  m.def("sgd", &sgd<float>, doc, py::arg("X").noconvert(), py::arg("y").noconvert(),
        py::arg("weights").noconvert(), py::arg("x_mean").noconvert(), py::arg("log_w_pos").noconvert(),
        py::arg("log_w_neg").noconvert(), py::arg("beta").noconvert(), py::arg("depth"), py::arg("options"),
        py::arg("loss_every"), py::arg("loss_out").noconvert(), py::arg("snapshot_iters").noconvert(),
        py::arg("snapshots_out").noconvert(), py::arg("progress"),
        py::arg("signs_out").noconvert() = py::none());
}

}  // namespace dlnfast::bindings
