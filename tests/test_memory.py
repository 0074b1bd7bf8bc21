"""Memory: history is sized by what a run records, never by max_iter (issue 8)."""
import tracemalloc

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, gradient_flow

from conftest import sparse_problem


@pytest.mark.parametrize("solver", ["gd", "sgd", "md", "flow"])
def test_huge_max_iter_allocates_no_history_up_front(rng, solver):
    # Converges in ~10³ iterations; max_iter = 10⁹ used to preallocate 8 GB of loss history
    # (numpy buffers: tracemalloc counts them even when their pages are never touched).
    X, y, _ = sparse_problem(rng, n=20, d=40)
    model = DiagonalLinearRegressor(solver=solver, init_scale=0.1, max_iter=10**9, tol=1e-3,
                                    fit_intercept=False, random_state=0)
    tracemalloc.start()
    try:
        model.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.n_iter_ < 10**6
    assert len(model.loss_curve_) >= 2
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_flow_keeps_its_whole_loss_history(rng):
    # more than the 100,000 entries that used to be the flow's silent cap (max_iter counts
    # attempted steps, rejected ones included, so it leaves room for them)
    X, y, _ = sparse_problem(rng, n=4, d=6)
    model = DiagonalLinearRegressor(solver="flow", init_scale=1e-3, flow_tol=1e-14, tol=0.0,
                                    max_iter=200_000, fit_intercept=False)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    assert model.n_iter_ > 100_000
    # one record at t = 0 and one per accepted step
    assert len(model.loss_curve_) == model.n_iter_ + 1
    assert np.all(np.isfinite(model.loss_curve_))


def test_gradient_flow_output_grid_is_independent_of_max_steps(rng):
    X, y, _ = sparse_problem(rng, n=10, d=20)
    times = np.linspace(0.0, 5.0, 7)
    a, _ = gradient_flow(X, y, times, init_scale=1e-2, max_steps=10**9)
    b, _ = gradient_flow(X, y, times, init_scale=1e-2)
    assert a.shape == (7, 20)
    np.testing.assert_array_equal(a, b)
