// The outcome types every solver returns: Status and Result.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"

namespace dlnfast::bindings {

namespace {
const char* stopped_by(Status s) {
  switch (s) {
    case Status::Converged: return "tol";
    case Status::TargetLoss: return "target_loss";
    case Status::MaxIter: return "max_iter";
    case Status::TimeLimit: return "time_limit";
    case Status::Diverged: return "diverged";
    case Status::Interrupted: return "interrupted";
    default: return "running";
  }
}
}  // namespace

void bind_results(py::module_& m) {
  py::enum_<Status>(m, "Status")
      .value("converged", Status::Converged)
      .value("max_iter", Status::MaxIter)
      .value("diverged", Status::Diverged)
      .value("interrupted", Status::Interrupted)
      .value("time_limit", Status::TimeLimit)
      .value("target_loss", Status::TargetLoss);

  py::class_<Output>(m, "Result", "What a solve returns: its status and counts, and its arrays.")
      .def_property_readonly("status", [](const Output& o) { return o.run.status; })
      .def_property_readonly("stopped_by", [](const Output& o) { return stopped_by(o.run.status); },
                             "Which rule ended the run: 'tol', 'target_loss', 'max_iter', 'time_limit', "
                             "'diverged' or 'interrupted'.")
      .def_property_readonly("n_iter", [](const Output& o) { return o.run.n_iter; })
      .def_property_readonly("loss", [](const Output& o) { return o.run.loss; })
      .def_property_readonly("log_loss", [](const Output& o) { return o.run.log_loss; },
                             "margin losses: log L at the returned beta (finite where L underflows)")
      .def_property_readonly("criterion", [](const Output& o) { return o.run.criterion; })
      .def_property_readonly("step", [](const Output& o) { return o.run.step; })
      .def_property_readonly("lambda_max", [](const Output& o) { return o.run.lambda_max; })
      .def_property_readonly("suggested_step", [](const Output& o) { return o.run.suggested_step; })
      .def_property_readonly("t", [](const Output& o) { return o.run.t; })
      .def_property_readonly("n_rejected", [](const Output& o) { return o.run.n_rejected; })
      .def_property_readonly("n_grad", [](const Output& o) { return o.run.n_grad; })
      .def_property_readonly("elapsed", [](const Output& o) { return o.run.elapsed; })
      .def_readonly("n_loss_increases", &Output::n_loss_increases)
      .def_readonly("coef", &Output::coef)
      .def_readonly("loss_curve", &Output::loss_curve)
      .def_readonly("loss_times", &Output::loss_times)
      .def_readonly("snapshots", &Output::snapshots)
      .def_readonly("signs", &Output::signs)
      .def_readonly("theta_path", &Output::theta_path)
      .def_readonly("factor_path", &Output::factor_path)
      .def_readonly("factor_iters", &Output::factor_iters);
}

}  // namespace dlnfast::bindings
