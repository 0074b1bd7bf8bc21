// OpenMP helpers. Every parallel region in dlnfast names its thread count with
// num_threads(n); nothing calls omp_set_num_threads.
#pragma once
#ifdef _OPENMP
#include <omp.h>
#endif

namespace dlnfast {

inline bool has_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

inline int omp_max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace dlnfast
