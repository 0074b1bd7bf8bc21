"""Helpers for the benchmark scripts: machine description, interleaved timing, busy neighbours.

Used by ``bench_threads.py``. (The older scripts keep their own copies of the first two ideas;
they are not rewritten so that their published tables stay reproducible as they are.)
"""
import contextlib
import datetime
import multiprocessing
import os
import platform
import signal
import statistics
import time

import numpy as np

import dlnfast
from dlnfast import _threads

_SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or platform.machine()


def machine_info():
    """What the reader needs to judge the numbers: CPU, cores, load, versions, date."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "default_threads": _threads.effective_n_threads(None),
        "load_average": os.getloadavg()[0],
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "dlnfast": dlnfast.__version__,
        "openmp": bool(dlnfast.has_openmp),
    }


def quiesce(seconds=0.2):
    """Let worker threads of the previous call go idle (libgomp and OpenBLAS threads spin for a
    while after a parallel region and would steal a core from the next measurement)."""
    time.sleep(seconds)


def calibrate(run, budget, max_iter=10**9):
    """Iteration count for which ``run(k)`` spends about ``budget`` seconds iterating.

    ``run(k) -> (n_iter, seconds)``. The cost of a 1-iteration call (validation, setup; the
    fastest of three) is measured first and left out, so a solver with a large fixed cost still
    iterates for ``budget`` seconds. k grows ×4 until the iterations take a measurable time,
    then is re-estimated from a run at the estimate (up to three times) until that run lands
    within 2× of the budget: on a shared machine one run slowed by a neighbour would otherwise
    fix k far too small. Each re-estimate grows k at most 16×: a run that happened to be faster
    than the 1-iteration call must not turn into a run of ``max_iter`` iterations.
    Returns (k, seconds of the 1-iteration call).
    """
    setup = min(run(1)[1] for _ in range(3))

    def iterating(k):
        return max(run(k)[1] - setup, 1e-9)

    k, spent = 1, 0.0
    while spent < budget / 5 and k < max_iter:
        k = min(max_iter, k * 4)
        spent = iterating(k)
    for _ in range(3):
        k = max(1, min(max_iter, 16 * k, int(k * budget / spent)))
        spent = iterating(k)
        if budget / 2 <= spent <= 2 * budget or k >= max_iter:
            break
    return k, setup


def interleaved_rates(cases, repeats):
    """cases: {label: (run, k)} with ``run(k) -> (n_iter, seconds)``.

    Returns {label: [iterations per second, one per repeat]}. Within a repeat every case runs
    once, in reversed order on odd repeats (ABBA), so load drifting on a shared machine hits all
    cases alike; each run starts after :func:`quiesce`.
    """
    labels = list(cases)
    rates = {label: [] for label in labels}
    for r in range(repeats):
        for label in (labels if r % 2 == 0 else labels[::-1]):
            run, k = cases[label]
            quiesce()
            n_iter, seconds = run(k)
            rates[label].append(n_iter / seconds)
    return rates


def paired_ratio(rates, a, b):
    """Median over repeats of rates[a][r] / rates[b][r] (pairs measured side by side)."""
    return statistics.median(x / y for x, y in zip(rates[a], rates[b]))


def _spin(started):
    """A busy single-threaded neighbour: pure-Python arithmetic until terminated."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    started.set()
    x = 1.0
    while True:
        for _ in range(100_000):
            x = (x * 1.000001 + 0.5) % 1000.0


@contextlib.contextmanager
def _environ(overrides):
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks, unlike the default


@contextlib.contextmanager
def busy_neighbours(count):
    """Run ``count`` single-threaded busy processes for the duration of the block.

    They are spawned (not forked: the parent's OpenMP/BLAS state does not survive a fork) with
    OMP/OpenBLAS/MKL limited to one thread, each is waited for until it spins, and all are
    terminated on exit, also on Ctrl-C, SIGTERM or an exception.
    """
    ctx = multiprocessing.get_context("spawn")
    procs = []
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with _environ(_SINGLE_THREAD_ENV):  # inherited by the spawned interpreters
            for _ in range(count):
                started = ctx.Event()
                proc = ctx.Process(target=_spin, args=(started,), daemon=True)
                proc.start()
                procs.append((proc, started))
        for proc, started in procs:
            if not started.wait(timeout=60):
                raise RuntimeError(f"busy process {proc.pid} did not start")
        yield [proc.pid for proc, _ in procs]
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            proc.join(timeout=10)
        signal.signal(signal.SIGTERM, previous)
