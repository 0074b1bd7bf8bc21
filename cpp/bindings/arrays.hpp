// Array types and argument checks shared by the solver bindings (gd, sgd, md/flow).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "dlnfast/gd.hpp"

namespace dlnfast::bindings {
namespace py = pybind11;

using DArray = py::array_t<double, py::array::c_style>;
using LArray = py::array_t<long, py::array::c_style>;

inline void check_len(const DArray& a, py::ssize_t n, const char* name) {
  if (a.ndim() != 1 || a.shape(0) != n) throw std::invalid_argument(std::string(name) + " has the wrong length");
}

inline const double* optional_ptr(const std::optional<DArray>& a, py::ssize_t n, const char* name) {
  if (!a) return nullptr;
  check_len(*a, n, name);
  return a->data();
}

/// The run's history buffers (loss every `loss_every` iterations, β at `snapshot_iters`),
/// owned by the caller's numpy arrays and checked against n_features `d`.
inline GDHistory make_history(long loss_every, std::optional<DArray>& loss_out,
                              const std::optional<LArray>& snapshot_iters,
                              std::optional<DArray>& snapshots_out, py::ssize_t d) {
  GDHistory hist;
  hist.loss_every = loss_every;
  if (loss_out) {
    hist.loss = loss_out->mutable_data();
    hist.loss_capacity = loss_out->shape(0);
  }
  if (snapshot_iters) {
    if (!snapshots_out || snapshots_out->ndim() != 2 || snapshots_out->shape(0) != snapshot_iters->shape(0) ||
        snapshots_out->shape(1) != d)
      throw std::invalid_argument("snapshots_out must have shape (len(snapshot_iters), n_features)");
    hist.snapshot_iters = snapshot_iters->data();
    hist.n_snapshot_iters = snapshot_iters->shape(0);
    hist.snapshots = snapshots_out->mutable_data();
  }
  return hist;
}

}  // namespace dlnfast::bindings
