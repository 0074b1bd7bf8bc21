// OpenMP helpers. Every parallel region in dlnfast names its thread count with
// num_threads(n); nothing calls omp_set_num_threads.
#pragma once
#include <algorithm>
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

/// Threads worth using for `work` multiply-adds per pass: below ~64k per thread, the barriers
/// of a parallel iteration cost more than they save (and hurt badly on a loaded machine), so
/// small problems run on fewer threads. Results do not depend on it (see least_squares.hpp).
inline int work_threads(int requested, long long work) {
  constexpr long long kMinWorkPerThread = 1LL << 16;
  const long long cap = std::max(1LL, work / kMinWorkPerThread);
  return static_cast<int>(std::max(1LL, std::min<long long>(requested, cap)));
}

}  // namespace dlnfast
