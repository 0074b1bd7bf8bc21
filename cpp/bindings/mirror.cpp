// Bindings for mirror descent (run_gd driving a MirrorNet, dlnfast/mirror_net.hpp) and the
// exact gradient flow (dlnfast/flow.hpp). GDOptions/GDResult/Status come from bind_gd.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/flow.hpp"
#include "dlnfast/gd.hpp"
#include "dlnfast/mirror_net.hpp"

namespace dlnfast::bindings {
namespace {

/// The mirror geometry of one network, as one argument.
struct MirrorSpecArgs {
  int kind = 0;          ///< MirrorKind
  double rate = 2.0;     ///< s of the hyperbolic map
  int depth = 2;
};

MirrorNet make_net(const MirrorSpecArgs& spec, const DArray& log_scale, const DArray& theta, py::ssize_t d) {
  check_len(log_scale, d, "log_scale");
  check_len(theta, d, "theta");
  if (spec.kind < 0 || spec.kind > 2) throw std::invalid_argument("unknown mirror kind");
  return MirrorNet(d, static_cast<MirrorKind>(spec.kind), log_scale.data(), spec.rate, spec.depth, theta.data());
}

template <class T>
GDResult md(py::array_t<T, py::array::c_style> X, DArray y, std::optional<DArray> weights,
            std::optional<DArray> x_mean, const MirrorSpecArgs& spec, DArray log_scale, DArray theta,
            DArray beta, const GDOptions& options, long loss_every, std::optional<DArray> loss_out,
            std::optional<LArray> snapshot_iters, std::optional<DArray> snapshots_out, py::object progress) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
  const py::ssize_t n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  check_len(beta, d, "beta");
  GDHistory hist = make_history(loss_every, loss_out, snapshot_iters, snapshots_out, d);
  LeastSquares<T> loss(X.data(), n, d, y.data(), optional_ptr(weights, n, "weights"),
                       optional_ptr(x_mean, d, "x_mean"));
  MirrorNet net = make_net(spec, log_scale, theta, d);
  Monitor monitor = make_monitor(progress);
  const double* w = optional_ptr(weights, n, "weights");
  const double* xm = optional_ptr(x_mean, d, "x_mean");
  GDResult res;
  {
    py::gil_scoped_release release;
    GDOptions opts = options;
    if (opts.auto_step) {
      // the trace bound of MirrorNet::set_curvature needs λ_max and diag(XᵀWX) (centred)
      if (!(opts.lambda_max > 0.0)) opts.lambda_max = loss.lambda_max(std::max(1, opts.n_threads));
      // diag_j = Σ_i w_i (x_ij − x̄_j)²: one serial pass over X, once per fit
      std::vector<double> diag(d, 0.0);
      for (py::ssize_t i = 0; i < n; ++i) {
        const T* row = X.data() + i * d;
        const double wi = w ? w[i] : 1.0 / double(n);
        for (py::ssize_t j = 0; j < d; ++j) {
          const double v = double(row[j]) - (xm ? xm[j] : 0.0);
          diag[j] += wi * v * v;
        }
      }
      net.set_curvature(opts.lambda_max, diag.data());
    }
    res = run_gd(loss, net, opts, beta.mutable_data(), hist, monitor);
    std::copy(net.theta().begin(), net.theta().end(), theta.mutable_data());
  }
  raise_if_python_error();
  res.n_loss = hist.n_loss;
  res.n_loss_increases = hist.n_loss_increases;
  res.n_snapshots = hist.n_snapshots;
  return res;
}

template <class T>
FlowResult flow(py::array_t<T, py::array::c_style> X, DArray y, std::optional<DArray> weights,
                std::optional<DArray> x_mean, const MirrorSpecArgs& spec, DArray log_scale, DArray theta,
                DArray beta, const FlowOptions& options, std::optional<DArray> times,
                std::optional<DArray> beta_out, std::optional<DArray> theta_out, long loss_every,
                std::optional<DArray> loss_out, std::optional<DArray> loss_time_out, py::object progress) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
  const py::ssize_t n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  check_len(beta, d, "beta");
  FlowHistory hist;
  if (times) {
    if (times->ndim() != 1) throw std::invalid_argument("times must be 1-dimensional");
    const py::ssize_t m = times->shape(0);
    auto ok = [&](const std::optional<DArray>& a) {
      return a && a->ndim() == 2 && a->shape(0) == m && a->shape(1) == d;
    };
    if (!ok(beta_out)) throw std::invalid_argument("beta_out must have shape (len(times), n_features)");
    if (theta_out && !ok(theta_out)) throw std::invalid_argument("theta_out must have shape (len(times), n_features)");
    hist.times = times->data();
    hist.n_times = m;
    hist.beta_out = beta_out->mutable_data();
    hist.theta_out = theta_out ? theta_out->mutable_data() : nullptr;
  }
  hist.loss_every = loss_every;
  if (loss_out) {
    hist.loss = loss_out->mutable_data();
    hist.loss_capacity = loss_out->shape(0);
    if (loss_time_out) {
      check_len(*loss_time_out, loss_out->shape(0), "loss_time_out");
      hist.loss_time = loss_time_out->mutable_data();
    }
  }
  LeastSquares<T> loss(X.data(), n, d, y.data(), optional_ptr(weights, n, "weights"),
                       optional_ptr(x_mean, d, "x_mean"));
  MirrorNet net = make_net(spec, log_scale, theta, d);
  Monitor monitor = make_monitor(progress);
  FlowResult res;
  {
    py::gil_scoped_release release;
    res = run_flow(loss, net, options, beta.mutable_data(), hist, monitor);
    std::copy(net.theta().begin(), net.theta().end(), theta.mutable_data());
  }
  raise_if_python_error();
  return res;
}

template <class T>
void def_both(py::module_& m) {
  m.def("md", &md<T>,
        "Mirror descent theta <- theta - eta*g on a MirrorNet, through run_gd (see dlnfast/mirror_net.hpp). "
        "theta (in: initial, out: final mirror coordinates) and beta (out) are written.",
        py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("weights").noconvert(),
        py::arg("x_mean").noconvert(), py::arg("spec"), py::arg("log_scale").noconvert(),
        py::arg("theta").noconvert(), py::arg("beta").noconvert(), py::arg("options"), py::arg("loss_every"),
        py::arg("loss_out").noconvert(), py::arg("snapshot_iters").noconvert(),
        py::arg("snapshots_out").noconvert(), py::arg("progress"));
  m.def("flow", &flow<T>,
        "Gradient flow d theta/dt = -g by Dormand-Prince 5(4) in mirror coordinates (see dlnfast/flow.hpp). "
        "theta (in/out) and beta (out) are written; beta_out/theta_out receive the trajectory at `times`.",
        py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("weights").noconvert(),
        py::arg("x_mean").noconvert(), py::arg("spec"), py::arg("log_scale").noconvert(),
        py::arg("theta").noconvert(), py::arg("beta").noconvert(), py::arg("options"),
        py::arg("times").noconvert(), py::arg("beta_out").noconvert(), py::arg("theta_out").noconvert(),
        py::arg("loss_every"), py::arg("loss_out").noconvert(), py::arg("loss_time_out").noconvert(),
        py::arg("progress"));
}

}  // namespace

void bind_mirror(py::module_& m) {
  py::class_<MirrorSpecArgs>(m, "MirrorSpec")
      .def(py::init<>())
      .def_readwrite("kind", &MirrorSpecArgs::kind)
      .def_readwrite("rate", &MirrorSpecArgs::rate)
      .def_readwrite("depth", &MirrorSpecArgs::depth);

  py::class_<FlowOptions>(m, "FlowOptions")
      .def(py::init<>())
      .def_readwrite("tol", &FlowOptions::tol)
      .def_readwrite("t_end", &FlowOptions::t_end)
      .def_readwrite("stop_at_grad_tol", &FlowOptions::stop_at_grad_tol)
      .def_readwrite("grad_tol", &FlowOptions::grad_tol)
      .def_readwrite("grad_scale", &FlowOptions::grad_scale)
      .def_readwrite("h0", &FlowOptions::h0)
      .def_readwrite("max_steps", &FlowOptions::max_steps)
      .def_readwrite("n_threads", &FlowOptions::n_threads);

  py::class_<FlowResult>(m, "FlowResult")
      .def_readonly("status", &FlowResult::status)
      .def_readonly("n_steps", &FlowResult::n_steps)
      .def_readonly("n_rejected", &FlowResult::n_rejected)
      .def_readonly("n_grad", &FlowResult::n_grad)
      .def_readonly("t", &FlowResult::t)
      .def_readonly("loss", &FlowResult::loss)
      .def_readonly("criterion", &FlowResult::criterion)
      .def_readonly("step", &FlowResult::step)
      .def_readonly("n_out", &FlowResult::n_out)
      .def_readonly("n_loss", &FlowResult::n_loss);

  def_both<double>(m);
  def_both<float>(m);
}

}  // namespace dlnfast::bindings
