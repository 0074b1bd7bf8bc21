"""Heavy-ball and Nesterov momentum on the factors (full batch; the stochastic cases are in
test_sgd_reference.py): iterates against the numpy reference, the velocity's exponent frame,
sign changes, and the λ = γ/(1 − μ)² rule of Papazov et al. (2024)."""
import warnings

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor
from dlnfast._reference import sgd_reference

from conftest import sparse_problem


def _fit_path(X, y, n_iter, **params):
    model = DiagonalLinearRegressor(max_iter=n_iter, tol=0.0, snapshot_iters=np.arange(n_iter + 1), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(X, y)
    return model


def _rel_path_error(model, ref):
    assert model.coef_path_.shape == ref.shape
    rel = np.abs(model.coef_path_ - ref).max(axis=1) / np.abs(ref).max(axis=1).clip(1e-300)
    return rel[1:].max()


@pytest.mark.parametrize("parametrization,depth", [("pm", 2), ("pm", 3), ("uv", 2)])
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gd_momentum_matches_reference(rng, parametrization, depth, nesterov, fit_intercept):
    X, y, _ = sparse_problem(rng, n=25, d=60)
    y = y + 2.0
    params = dict(parametrization=parametrization, depth=depth, init_scale=0.2 if depth == 3 else 0.05,
                  step_size=0.01, momentum=0.8, nesterov=nesterov, fit_intercept=fit_intercept)
    model = _fit_path(X, y, 300, **params)
    ref = sgd_reference(X, y, n_iter=300, batch_size=None, **params)
    # Same arithmetic up to rounding (mantissa-frame velocity vs plain velocity): ~1e-15.
    assert _rel_path_error(model, ref) < 1e-12


def test_momentum_velocity_survives_renormalisation(rng):
    # α = 1e-120: the factors grow by ~1e120 while escaping the plateau, so their mantissas are
    # renormalised several times (window 2^±100) and the velocity must be rescaled with them.
    # 1e-120 is still representable with its square, so the plain-float reference is exact too.
    X, y, _ = sparse_problem(rng, n=20, d=40)
    params = dict(init_scale=1e-120, step_size=0.02, momentum=0.9, fit_intercept=False)
    model = _fit_path(X, y, 1500, **params)
    ref = sgd_reference(X, y, n_iter=1500, batch_size=None, **params)
    assert np.abs(ref[-1]).max() > 0.1  # escaped the plateau: renormalisations happened
    assert _rel_path_error(model, ref) < 1e-11  # ~1e-13 measured: longer run, same arithmetic


def _heavy_ball_pm_factors(X, y, alpha, eta, mu, n_iter):
    """Plain numpy heavy ball on (w₊, w₋) of β = w₊² − w₋² (full batch), returning the factors."""
    w = np.full((2, X.shape[1]), alpha)
    v = np.zeros_like(w)
    for _ in range(n_iter):
        g = X.T @ (X @ (w[0] ** 2 - w[1] ** 2) - y) / X.shape[0]
        v = mu * v - eta * np.stack([2 * w[0] * g, -2 * w[1] * g])
        w = w + v
    return w


@pytest.mark.parametrize("n_iter", [15, 40])
def test_momentum_factor_may_cross_zero(rng, n_iter):
    # 2η|g| up to ≈ 0.14 > (1 − √0.5)² ≈ 0.086: heavy ball oscillates through 0 on the decaying
    # factors (‖∇L(0)‖∞ ≈ 1.4 here). That is not a divergence; the engine tracks the signs and weights_ reports them.
    X, y, _ = sparse_problem(rng, n=20, d=40)
    alpha, eta, mu = 0.01, 0.05, 0.5
    w = _heavy_ball_pm_factors(X, y, alpha, eta, mu, n_iter)
    model = _fit_path(X, y, n_iter, init_scale=alpha, step_size=eta, momentum=mu, fit_intercept=False)
    wp, wn = model.weights_
    assert np.any(w < 0)  # the scenario really has a factor below 0
    np.testing.assert_allclose(wp, w[0], rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(wn, w[1], rtol=1e-11, atol=1e-14)
    uv = _fit_path(X, y, n_iter, parametrization="uv", init_scale=alpha, init_shape=(2.0, 0.0), step_size=2 * eta,
                   momentum=mu, fit_intercept=False)
    u, v = uv.weights_
    # uv with u₀ = 2α, v₀ = 0 and step 2η is pm with (α, η) in rotated coordinates (DESIGN §3),
    # momentum included (the rotation is linear): u = w₊ + w₋, v = w₊ − w₋, signs and all.
    np.testing.assert_allclose(u, w[0] + w[1], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(v, w[0] - w[1], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(u * v, uv.coef_, rtol=1e-12, atol=1e-15)


def test_equal_lambda_lands_close():
    # Papazov et al. 2024: heavy ball with step γ and momentum μ follows a flow governed by
    # λ = γ/(1 − μ)². At λ = 0.15 (near GD's stability limit here, so the step matters: the
    # solution moves by ~2e-2 relative against λ = 0.01) the three runs agree to ~5e-3.
    rng = np.random.default_rng(20231128)
    X = rng.standard_normal((20, 40))
    beta = np.zeros(40)
    beta[[3, 17, 31]] = [1.5, -1.0, 0.7]
    y = X @ beta

    def solve(lam, mu):
        return DiagonalLinearRegressor(init_scale=0.1, step_size=lam * (1 - mu) ** 2, momentum=mu, max_iter=100_000,
                                       tol=1e-6, fit_intercept=False).fit(X, y).coef_

    runs = np.array([solve(0.15, mu) for mu in (0.0, 0.5, 0.9)])
    scale = np.abs(runs[0]).max()
    spread = np.abs(runs - runs[0]).max() / scale
    assert spread < 1e-2
    assert np.abs(solve(0.01, 0.0) - runs[0]).max() / scale > 1.5 * spread  # λ itself matters


def test_nesterov_zero_momentum_is_plain_gd(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    plain = _fit_path(X, y, 100, step_size=0.02, fit_intercept=False)
    nest = _fit_path(X, y, 100, step_size=0.02, nesterov=True, fit_intercept=False)
    assert np.array_equal(plain.coef_path_, nest.coef_path_)
