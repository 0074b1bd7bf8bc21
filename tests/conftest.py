import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20231128)


def sparse_problem(rng, n=30, d=80, k=3, noise=0.0, dtype=np.float64):
    """Gaussian compressed-sensing instance: X (n, d), k-sparse β*, y = Xβ* (+ noise)."""
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    idx = rng.choice(d, k, replace=False)
    beta[idx] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    y = X @ beta + noise * rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype), beta


@pytest.fixture
def real_team(monkeypatch):
    """Every pass is shared between threads, however small: thread-invariance tests then
    exercise a real team (the engine otherwise runs passes below its threshold on one thread)."""
    from dlnfast import _threads

    monkeypatch.setattr(_threads, "MIN_PARALLEL_WORK_OVERRIDE", 1)


def pytest_configure(config):
    # scipy's test_linprog.py, imported by tests/test_scipy_linprog_suite.py, uses markers of
    # scipy's own conftest; --strict-markers needs them declared (they have no effect here)
    for name in ("fail_slow", "xfail_on_32bit", "xslow"):
        config.addinivalue_line("markers", f"{name}: used by scipy's imported linprog tests")
