// The extension module `dlnfast._core`. Each bindings file defines one `bind_*` function
// for one part of the engine; this file only calls them.
#include <pybind11/pybind11.h>

#include "bindings/bind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "dlnfast C++ engine (internal; use the dlnfast package instead)";
  dlnfast::bindings::bind_info(m);
  dlnfast::bindings::bind_results(m);  // Status and Result, used by the others
  dlnfast::bindings::bind_solvers(m);
  dlnfast::bindings::bind_factor_solvers(m);
  dlnfast::bindings::bind_lp(m);
  dlnfast::bindings::bind_newton(m);
  dlnfast::bindings::bind_batched(m);
  dlnfast::bindings::bind_network_simplex(m);
}
