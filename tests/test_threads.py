"""Threads: results do not depend on the thread count; concurrent fits; Ctrl-C."""
import _thread
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, has_openmp


def _problem(rng, n=400, d=600):
    # n·d large enough that the engine really uses 2 threads (it caps threads for tiny problems)
    X = rng.standard_normal((n, d))
    y = X[:, :10] @ rng.standard_normal(10) + 1.0
    return X, y


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bit_identical_across_thread_counts(rng, parametrization, dtype, real_team):
    X, y = _problem(rng)
    X = X.astype(dtype)
    w = rng.uniform(0.5, 2.0, X.shape[0])
    fits = [DiagonalLinearRegressor(parametrization=parametrization, n_jobs=nj, max_iter=100, tol=0.0)
            for nj in (1, 2, 3)]
    for model in fits:
        with pytest.warns(Warning, match="did not converge"):
            model.fit(X, y, sample_weight=w)
    for other in fits[1:]:
        np.testing.assert_array_equal(fits[0].coef_, other.coef_)
        assert fits[0].intercept_ == other.intercept_
        np.testing.assert_array_equal(fits[0].loss_curve_, other.loss_curve_)


def _concurrent_fits_match_sequential(X, y, n_jobs, n_fits, max_iter):
    def fit(seed):
        model = DiagonalLinearRegressor(init_scale=0.1 * (seed + 1), n_jobs=n_jobs, max_iter=max_iter, tol=0.0)
        return model.fit(X, y).coef_

    # The warnings filter is process-wide (catch_warnings is not thread-safe): set it once here
    # for the ConvergenceWarning that the fixed budget raises.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequential = [fit(s) for s in range(n_fits)]
        with ThreadPoolExecutor(max_workers=n_fits) as pool:
            parallel = list(pool.map(fit, range(n_fits)))
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)


def test_two_python_threads_fit_at_once(rng):
    X, y = _problem(rng, n=200, d=400)
    _concurrent_fits_match_sequential(X, y, n_jobs=1, n_fits=2, max_iter=500)


def test_concurrent_fits_share_the_pool_and_keep_their_bits(rng, real_team):
    # one solve holds the worker pool, a concurrent one runs on its own thread: same bits
    X, y = _problem(rng, n=120, d=300)
    _concurrent_fits_match_sequential(X, y, n_jobs=2, n_fits=4, max_iter=300)


def test_ctrl_c_interrupts_a_long_fit(rng):
    X, y = _problem(rng, n=100, d=300)
    model = DiagonalLinearRegressor(init_scale=1e-300, step_size=1e-6, max_iter=10**9, tol=0.0)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    elapsed = time.perf_counter() - start
    timer.cancel()
    assert elapsed < 1.5  # 0.5 s until the signal, then at most ~0.1 s poll interval + one iteration


def test_reports_openmp():
    assert isinstance(has_openmp, bool)


def _two_thread_fit():
    X, y = _problem(np.random.default_rng(1), n=120, d=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DiagonalLinearRegressor(n_jobs=2, max_iter=200, tol=0.0).fit(X, y).coef_


def _fit_in_child(queue):
    queue.put(_two_thread_fit())


def test_forked_child_can_use_threads_after_the_parent_did(real_team):
    # the parent's worker threads do not exist in a forked child: it must start its own pool
    import multiprocessing

    parent = _two_thread_fit()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    with warnings.catch_warnings():
        # Python ≥ 3.12 warns that fork() in a multi-threaded process may deadlock: that is
        # exactly what this test checks does not happen
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    coef = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    np.testing.assert_array_equal(coef, parent)
