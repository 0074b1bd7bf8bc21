// Build information: version, OpenMP support, the OpenMP thread limit in force.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <vector>

#include "bindings/bind.hpp"
#include "dlnfast/loss/row_kernels.hpp"
#include "dlnfast/core/team.hpp"

#define DLNFAST_STRINGIFY_(x) #x
#define DLNFAST_STRINGIFY(x) DLNFAST_STRINGIFY_(x)

namespace dlnfast::bindings {
namespace {

// Read every element of X once with n_threads threads (static row split): a bandwidth probe.
template <class T>
double stream_sum(py::array_t<T, py::array::c_style> X, int n_threads, int repeats) {
  const T* p = X.data();
  const std::ptrdiff_t len = X.size();
  double total = 0.0;
  {
    py::gil_scoped_release release;
    const int nt = std::max(1, n_threads);
    std::vector<double> part(nt, 0.0);
#pragma omp parallel num_threads(nt)
    {
      #ifdef _OPENMP
      const int t = omp_get_thread_num();
#else
      const int t = 0;
#endif
      const std::ptrdiff_t a = len * t / nt, b = len * (t + 1) / nt;
      for (int r = 0; r < repeats; ++r) {
        part[t] += detail::stream_sum(p + a, b - a);
#pragma omp barrier
      }
    }
    for (double v : part) total += v;
  }
  return total;
}

}  // namespace

void bind_info(py::module_& m) {
#ifdef VERSION_INFO
  m.attr("__version__") = DLNFAST_STRINGIFY(VERSION_INFO);
#else
  m.attr("__version__") = "dev";
#endif
  m.attr("has_openmp") = dlnfast::has_openmp();
  m.def("omp_max_threads", &dlnfast::omp_max_threads,
        "omp_get_max_threads() (1 without OpenMP): the limit set by OMP_NUM_THREADS or threadpoolctl.");
  m.def("stream_sum", &stream_sum<double>, py::arg("X").noconvert(), py::arg("n_threads"),
        py::arg("repeats") = 1,
        "Sum of X read `repeats` times with n_threads threads, a barrier after each pass "
        "(the benchmarks' bandwidth bound: one full-batch iteration cannot beat one pass).");
  m.def("stream_sum", &stream_sum<float>, py::arg("X").noconvert(), py::arg("n_threads"),
        py::arg("repeats") = 1);
}

}  // namespace dlnfast::bindings
