"""Thread-count resolution, following sklearn's ``_openmp_effective_n_threads``."""
import os

from dlnfast import _core


def effective_n_threads(n_jobs=None):
    """Number of OpenMP threads a solve will use.

    ``n_jobs=None`` uses every core that OpenMP is allowed to use (``OMP_NUM_THREADS`` and
    threadpoolctl limits are honoured through ``omp_get_max_threads``); a positive value is
    taken as is; ``-1`` means all cores and ``-k`` all but ``k - 1``. Without OpenMP it is 1.
    """
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive int or a negative int.")
    if not _core.has_openmp:
        return 1
    cpus = os.cpu_count() or 1
    if n_jobs is None:
        return max(1, min(cpus, _core.omp_max_threads()))
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return int(n_jobs)


# Tests and benchmarks only: when set, the engine shares passes of at least this many
# multiply-adds between threads (instead of its measured threshold), so that thread-invariance
# tests exercise a real team on small problems. None: the engine's own threshold.
MIN_PARALLEL_WORK_OVERRIDE = None
