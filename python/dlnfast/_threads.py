"""Thread-count resolution, following sklearn's ``_openmp_effective_n_threads``."""
import functools
import os
import threading

import joblib

from dlnfast import _core

#: Largest positive ``n_jobs`` taken: more threads than any machine has cores is no meaningful
#: request (and the engine counts threads in a C ``int``). Values up to it are taken as is, above
#: the cpu count too (the thread-invariance tests oversubscribe on purpose); negative values are
#: resolved against the cpu count and so never exceed it.
MAX_N_JOBS = 2**15


def effective_n_threads(n_jobs=None):
    """Number of threads a solve will use (the engine's own thread team, sized here).

    ``n_jobs=None`` uses every core that OpenMP is allowed to use (``OMP_NUM_THREADS`` and
    threadpoolctl limits are honoured through ``omp_get_max_threads``); a positive value is
    taken as is; ``-1`` means all cores and ``-k`` all but ``k - 1``. The engine's threads are its
    own (``std::thread``), so a build without OpenMP (macOS wheels: Apple clang has none) resolves
    ``n_jobs`` the same way, except that ``None`` then reads ``OMP_NUM_THREADS`` itself and no
    threadpoolctl limit applies (there is no OpenMP runtime for it to limit).
    "Cores" are joblib's ``cpu_count()``, as in sklearn: the CPUs this process may run on, less
    a cgroup CPU quota (a container limited to 2 CPUs of a 64-core node gets 2, where
    ``os.cpu_count()`` and OpenMP's default would both say 64).

    Nested parallelism: in a worker process of joblib's loky backend (``GridSearchCV(n_jobs=k)``)
    joblib sets ``OMP_NUM_THREADS`` to cpu_count // k, which the rule above honours. In a worker
    *thread* of a thread-based joblib backend (``parallel_config(backend="threading")``) neither
    that variable nor a threadpoolctl limit of the calling thread reaches the worker (OpenMP keeps
    its limit per thread), so ``n_jobs=None`` gives one thread there: the workers already share
    the cores, and joblib itself runs calls nested below threads sequentially.
    """
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive int or a negative int.")
    if n_jobs is not None and n_jobs > MAX_N_JOBS:
        raise ValueError(f"n_jobs must be <= {MAX_N_JOBS} (threads); got {int(n_jobs)}")
    cpus = _cpu_count()
    if n_jobs is None:
        if _in_joblib_thread_worker():
            return 1
        return max(1, min(cpus, _core.omp_max_threads() if _core.has_openmp else _omp_num_threads(cpus)))
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return int(n_jobs)


def _omp_num_threads(default):
    """``OMP_NUM_THREADS`` as OpenMP reads it (its first entry, a positive int), else ``default``."""
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else default


@functools.cache
def _cpu_count():
    # cached for the life of the process, as in sklearn: joblib reads cgroup files (~60 µs)
    return joblib.cpu_count()


def _in_joblib_thread_worker():
    """True in a worker thread of a thread-based joblib backend.

    joblib runs each task under ``parallel_config(backend=<the nested backend>)``; below a
    thread-based backend that is a thread-based backend one nesting level down. The main-thread
    check keeps loky worker processes (whose own main thread sees the same nested backend) on the
    ``OMP_NUM_THREADS`` limit joblib gave them.
    """
    if threading.current_thread() is threading.main_thread():
        return False
    try:
        from joblib.parallel import get_active_backend
    except ImportError:  # pragma: no cover - joblib comes with scikit-learn
        return False
    backend, _ = get_active_backend()
    return bool(getattr(backend, "uses_threads", False)) and (getattr(backend, "nesting_level", 0) or 0) >= 1


# Tests and benchmarks only: when set, the engine shares passes of at least this many
# multiply-adds between threads (instead of its measured threshold), so that thread-invariance
# tests exercise a real team on small problems. None: the engine's own threshold.
MIN_PARALLEL_WORK_OVERRIDE = None
