// Declarations of the per-part binding functions called from module.cpp.
#pragma once
#include <pybind11/pybind11.h>

namespace dlnfast::bindings {
namespace py = pybind11;
void bind_info(py::module_& m);
void bind_results(py::module_& m);
void bind_solvers(py::module_& m);
void bind_lp(py::module_& m);
void bind_newton(py::module_& m);
void bind_factor_solvers(py::module_& m);
void bind_batched(py::module_& m);
void bind_network_simplex(py::module_& m);
}  // namespace dlnfast::bindings
