// A Monitor whose poll re-acquires the GIL to honour Ctrl-C and to call an optional Python
// progress callback. A Python error raised there (KeyboardInterrupt, or the callback's own) is
// left set in the interpreter and the run stops; `raise_if_python_error` rethrows it once the
// solve has returned and the GIL is held again, so no exception crosses an OpenMP region.
#pragma once
#include <pybind11/pybind11.h>

#include "dlnfast/core/monitor.hpp"

namespace dlnfast::bindings {
namespace py = pybind11;

inline Monitor make_monitor(py::object progress, double interval = 0.1) {
  return Monitor(
      [progress](const Progress& p) -> bool {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) return true;
        if (!progress.is_none()) {
          try {
            py::object stop = progress(p.iter, p.loss, p.criterion, p.elapsed);
            return !stop.is_none() && stop.cast<bool>();
          } catch (py::error_already_set& e) {
            e.restore();
            return true;
          }
        }
        return false;
      },
      interval);
}

inline void raise_if_python_error() {
  if (PyErr_Occurred()) throw py::error_already_set();
}

}  // namespace dlnfast::bindings
