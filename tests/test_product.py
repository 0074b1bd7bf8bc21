"""Untied deep layers β = u¹ ⊙ … ⊙ u^L: the invariants of the gradient flow, and GD as its
discretisation (deviation at matched times linear in the step)."""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, _engine, _factors
from dlnfast._product_flow import run_product_flow

SHAPE = np.array([1.0, 1.6, 0.6])  # unequal layers: u^k = α·c_k
ALPHA = 0.4


def _data(rng, n=15, d=25):
    X = rng.standard_normal((n, d))
    return X, X[:, :3] @ np.array([1.0, -0.8, 1.5])


def _flow(X, y, times, tol=1e-11):
    problem = _engine.make_problem(X, y, None, False)
    state = _factors.FactorState("product", 3, ALPHA * SHAPE[:, None] * np.ones((3, X.shape[1])))
    return run_product_flow(problem, state, tol=tol, grad_tol=0.0, max_steps=10**6, times=times)


def test_flow_keeps_the_layer_imbalances(rng):
    X, y = _data(rng)
    times = np.linspace(0.0, 40.0, 9)
    run = _flow(X, y, times)
    f = run.factors_at
    assert f.shape == (9, 3, X.shape[1])
    # (u^i)² − (u^j)² along the run, independently of layer_imbalance (every pair)
    initial = (ALPHA * SHAPE) ** 2
    for i in range(3):
        for j in range(i + 1, 3):
            np.testing.assert_allclose(f[:, i] ** 2 - f[:, j] ** 2, initial[i] - initial[j], rtol=0, atol=1e-8)
    # the factors did move (a coefficient changed sign: one factor crossed 0)
    assert np.abs(f[-1] - f[0]).max() > 0.1
    assert np.any(np.prod(f[-1], axis=0) < 0)


def test_estimator_flow_reports_constant_imbalance_and_interpolates(rng):
    X, y = _data(rng)
    model = DiagonalLinearRegressor(parametrization="product", depth=3, init_scale=ALPHA, init_shape=SHAPE,
                                    solver="flow", flow_tol=1e-11, tol=1e-7, fit_intercept=False).fit(X, y)
    initial = (ALPHA * SHAPE[0]) ** 2 - (ALPHA * SHAPE[1:]) ** 2
    np.testing.assert_allclose(model.layer_imbalance_, initial[:, None] * np.ones((1, X.shape[1])), rtol=0,
                               atol=1e-8)
    assert np.linalg.norm(X @ model.coef_ - y) <= 1e-5 * np.linalg.norm(y)
    assert model.flow_time_ > 0


def test_gd_matches_the_flow_with_deviation_linear_in_the_step(rng):
    X, y = _data(rng)
    T = 8.0
    target = _flow(X, y, [T]).snapshots[0]
    dev = []
    for eta in (0.04, 0.02, 0.01):
        k = int(round(T / eta))
        model = DiagonalLinearRegressor(parametrization="product", depth=3, init_scale=ALPHA, init_shape=SHAPE,
                                        step_size=eta, max_iter=k, tol=0.0, snapshot_iters=[k],
                                        fit_intercept=False)
        with pytest.warns(Warning, match="did not converge"):
            model.fit(X, y)
        dev.append(np.abs(model.coef_path_[0] - target).max())
    # first order: halving η halves the deviation (ratios ≈ 2)
    for a, b in zip(dev, dev[1:]):
        assert 1.7 <= a / b <= 2.3
    assert dev[-1] < 1e-2 * np.abs(target).max()


def test_gd_moves_the_imbalance_by_order_eta(rng):
    X, y = _data(rng)
    initial = (ALPHA * SHAPE[0]) ** 2 - (ALPHA * SHAPE[1:]) ** 2
    drift = []
    for eta in (0.02, 0.01):
        model = DiagonalLinearRegressor(parametrization="product", depth=3, init_scale=ALPHA, init_shape=SHAPE,
                                        step_size=eta, max_iter=int(4 / eta), tol=0.0, fit_intercept=False)
        with pytest.warns(Warning, match="did not converge"):
            model.fit(X, y)
        drift.append(np.abs(model.layer_imbalance_ - initial[:, None]).max())
    assert drift[0] > 0
    assert 1.7 <= drift[0] / drift[1] <= 2.3
