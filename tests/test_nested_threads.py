"""Nested parallelism: a default estimator inside parallel workers must not oversubscribe.

Each fit records the thread count it resolves (``_threads.effective_n_threads(None)``, what the
estimator hands to the engine with the default ``n_jobs``) and returns it as its CV score, so
the value measured inside every joblib worker comes back through ``cv_results_``.
"""
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from dlnfast import DiagonalLinearRegressor, _threads

# 50 iterations do not converge, on purpose. The filter is set for the whole test, not inside
# fit: catch_warnings is not thread-safe, and the threading-backend fits run concurrently
# (sklearn's Parallel carries the filters into the loky workers).
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class ThreadRecordingRegressor(DiagonalLinearRegressor):
    """DiagonalLinearRegressor that records the default thread count seen during fit."""

    def fit(self, X, y, sample_weight=None):
        self.resolved_n_threads_ = _threads.effective_n_threads(self.n_jobs)
        return super().fit(X, y, sample_weight)


def resolved_threads_score(estimator, X, y):
    return float(estimator.resolved_n_threads_)


def _threads_seen_in_grid_search(rng, n_jobs):
    X = rng.standard_normal((40, 30))
    y = X[:, :3] @ np.ones(3)
    search = GridSearchCV(ThreadRecordingRegressor(max_iter=50), {"init_scale": [1e-3, 1e-2]}, cv=2,
                          n_jobs=n_jobs, scoring=resolved_threads_score, refit=False)
    search.fit(X, y)
    scores = np.concatenate([search.cv_results_[f"split{k}_test_score"] for k in range(2)])
    assert scores.shape == (4,)
    return scores


def _inner_limit(n_workers):
    # joblib's rule for loky workers (``_prepare_worker_env``): cpu_count // n_jobs, at least 1
    return max(1, joblib.cpu_count() // n_workers)


def test_grid_search_loky_workers_share_the_cores(rng):
    if os.environ.get("OMP_NUM_THREADS"):
        pytest.skip("loky keeps the parent's OMP_NUM_THREADS instead of cpu_count // n_jobs")
    scores = _threads_seen_in_grid_search(rng, n_jobs=2)
    assert scores.max() <= _inner_limit(2)
    assert scores.min() >= 1


def test_grid_search_threading_backend_runs_one_thread_per_worker(rng):
    # threadpoolctl and OMP_NUM_THREADS cannot reach these workers (threads of this process);
    # dlnfast follows joblib's own rule for nesting under threads (sequential inner calls).
    with joblib.parallel_config(backend="threading"):
        scores = _threads_seen_in_grid_search(rng, n_jobs=2)
    np.testing.assert_array_equal(scores, 1.0)


def test_explicit_n_jobs_is_taken_as_is_inside_thread_workers():
    def resolve(n_jobs):
        return _threads.effective_n_threads(n_jobs)

    got = joblib.Parallel(n_jobs=2, backend="threading")(joblib.delayed(resolve)(nj) for nj in (None, 1, 2, 3))
    assert got == [1, 1, 2, 3]


def test_sequential_grid_search_keeps_the_default(rng):
    scores = _threads_seen_in_grid_search(rng, n_jobs=None)
    np.testing.assert_array_equal(scores, _threads.effective_n_threads(None))


def test_default_and_all_cores_follow_joblib_cpu_count():
    # joblib.cpu_count() subtracts cgroup quotas and the affinity mask (os.cpu_count() does not)
    assert 1 <= _threads.effective_n_threads(None) <= joblib.cpu_count()
    assert _threads.effective_n_threads(-1) == joblib.cpu_count()


# threadpoolctl limits an OpenMP runtime; a build without OpenMP (macOS wheels) has none.
needs_openmp = pytest.mark.skipif(not _threads._core.has_openmp, reason="built without OpenMP")


@needs_openmp
def test_threadpool_limits_openmp_limits_the_default():
    with threadpool_limits(limits=1, user_api="openmp"):
        assert _threads.effective_n_threads(None) == 1
    with threadpool_limits(limits=2, user_api="openmp"):
        assert _threads.effective_n_threads(None) <= 2


@needs_openmp
def test_threadpool_limits_applies_to_a_fit(rng):
    X = rng.standard_normal((40, 30))
    y = X[:, :3] @ np.ones(3)
    with threadpool_limits(limits=1, user_api="openmp"):
        model = ThreadRecordingRegressor(max_iter=50).fit(X, y)
    assert model.resolved_n_threads_ == 1


def test_omp_num_threads_in_a_subprocess():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    code = "from dlnfast import _threads; print(_threads.effective_n_threads(None))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


@pytest.mark.parametrize("omp_num_threads, expected", [(None, "cpus"), ("3", 3), ("2,1", 2), ("junk", "cpus")])
def test_without_openmp_n_jobs_still_sizes_the_team(monkeypatch, omp_num_threads, expected):
    # A build without OpenMP (Apple clang) still has the engine's std::thread team: n_jobs is
    # resolved as with OpenMP, None from OMP_NUM_THREADS as the OpenMP runtime would read it.
    monkeypatch.setattr(_threads._core, "has_openmp", False)
    if omp_num_threads is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp_num_threads)
    cpus = joblib.cpu_count()
    assert _threads.effective_n_threads(None) == (cpus if expected == "cpus" else min(cpus, expected))
    assert _threads.effective_n_threads(2) == 2
    assert _threads.effective_n_threads(-1) == cpus
