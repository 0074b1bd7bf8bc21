// Build information: version, OpenMP support, the OpenMP thread limit in force.
#include <pybind11/pybind11.h>

#include "bindings/bind.hpp"
#include "dlnfast/threads.hpp"

#define DLNFAST_STRINGIFY_(x) #x
#define DLNFAST_STRINGIFY(x) DLNFAST_STRINGIFY_(x)

namespace dlnfast::bindings {

void bind_info(py::module_& m) {
#ifdef VERSION_INFO
  m.attr("__version__") = DLNFAST_STRINGIFY(VERSION_INFO);
#else
  m.attr("__version__") = "dev";
#endif
  m.attr("has_openmp") = dlnfast::has_openmp();
  m.def("omp_max_threads", &dlnfast::omp_max_threads,
        "omp_get_max_threads() (1 without OpenMP): the limit set by OMP_NUM_THREADS or threadpoolctl.");
}

}  // namespace dlnfast::bindings
