// What every binding shares: array aliases, argument checks, options built by keyword, the
// double/float overload helper and the result object (status, counts, histories as arrays).
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/history.hpp"

namespace dlnfast::bindings {
namespace py = pybind11;

using DArray = py::array_t<double, py::array::c_style>;
using IArray = py::array_t<std::int64_t, py::array::c_style>;
template <class T>
using Matrix = py::array_t<T, py::array::c_style>;

inline void check_len(const DArray& a, py::ssize_t n, const char* name) {
  if (a.ndim() != 1 || a.shape(0) != n) throw std::invalid_argument(std::string(name) + " has the wrong length");
}

inline const double* optional_ptr(const std::optional<DArray>& a, py::ssize_t n, const char* name) {
  if (!a) return nullptr;
  check_len(*a, n, name);
  return a->data();
}

template <class T>
void check_matrix(const Matrix<T>& X) {
  if (X.ndim() != 2) throw std::invalid_argument("X must be 2-dimensional");
}

/// Gives an options class a keyword constructor: Opt(max_iter=10, tol=0.0) sets exactly those
/// fields (registered with def_readwrite beforehand) and rejects unknown names.
template <class Opt>
void def_keyword_init(py::class_<Opt>& cls) {
  cls.def(py::init([](py::kwargs kwargs) {
            Opt opt;
            py::object obj = py::cast(opt);
            for (auto item : kwargs) {
              const std::string key = py::str(item.first);
              if (!py::hasattr(obj, key.c_str()))
                throw py::type_error(std::string(py::str(py::type::of(obj).attr("__name__"))) +
                                     "() got an unexpected keyword argument '" + key + "'");
              obj.attr(key.c_str()) = item.second;
            }
            return obj.cast<Opt>();
          }),
          "Options by keyword; every field not given keeps its default.");
}

/// Registers the float64 and float32 instantiations of one solver under one name.
template <class F64, class F32, class... Extra>
void def_dtypes(py::module_& m, const char* name, F64 f64, F32 f32, const Extra&... extra) {
  m.def(name, f64, extra...);
  m.def(name, f32, extra...);
}

/// What a solve returns to Python: the driver's RunResult and the run's arrays. (Hidden like
/// pybind11's own types, whose arrays it holds.)
#if defined(_MSC_VER)
#define DLNFAST_HIDDEN
#else
#define DLNFAST_HIDDEN __attribute__((visibility("hidden")))
#endif
struct DLNFAST_HIDDEN Output {
  RunResult run;
  Index n_loss_increases = 0;
  DArray coef, loss_curve, loss_times, snapshots, signs, theta_path;
  DArray factor_path;  ///< recorded factors, one row per entry of factor_iters (optim/recording.hpp)
  IArray factor_iters;
};

/// Copies recorded factor rows (row_size values each) and their iterations out.
inline void take_factor_path(Output& out, const std::vector<double>& rows, const std::vector<Index>& iters,
                             Index row_size) {
  const auto r = static_cast<py::ssize_t>(iters.size());
  out.factor_path = DArray({r, static_cast<py::ssize_t>(row_size)});
  std::copy(rows.begin(), rows.end(), out.factor_path.mutable_data());
  out.factor_iters = IArray(r);
  std::copy(iters.begin(), iters.end(), out.factor_iters.mutable_data());
}

inline DArray to_array(const std::vector<double>& v) {
  DArray a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

/// Copies the history out (it is sized by what was recorded, never by max_iter).
inline void take_history(Output& out, const History& hist, bool with_times = false) {
  out.loss_curve = to_array(hist.losses());
  if (with_times) out.loss_times = to_array(hist.loss_times());
  out.n_loss_increases = hist.n_loss_increases();
  const Index d = hist.dim(), s = hist.n_snapshots();
  out.snapshots = DArray({static_cast<py::ssize_t>(s), static_cast<py::ssize_t>(d)});
  std::copy(hist.snapshots().begin(), hist.snapshots().end(), out.snapshots.mutable_data());
}

inline History make_history(Index loss_every, const std::optional<IArray>& snapshot_iters, Index d) {
  if (loss_every < 0) throw std::invalid_argument("loss_every must be >= 0");
  if (!snapshot_iters) return History(loss_every, nullptr, 0, d);
  if (snapshot_iters->ndim() != 1) throw std::invalid_argument("snapshot_iters must be 1-dimensional");
  return History(loss_every, snapshot_iters->data(), snapshot_iters->shape(0), d);
}

}  // namespace dlnfast::bindings
