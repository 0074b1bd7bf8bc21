"""The C++ GD iterates against the numpy reference (dlnfast._reference), iterate by iterate."""
import warnings

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor
from dlnfast._reference import gd_reference

from conftest import sparse_problem


def _fit_path(X, y, n_iter, **params):
    model = DiagonalLinearRegressor(step_size=params.pop("step_size"), max_iter=n_iter, tol=0.0,
                                    snapshot_iters=np.arange(n_iter + 1), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(X, y)
    return model


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_iterates_match_reference_float64(rng, parametrization, fit_intercept):
    X, y, _ = sparse_problem(rng, n=25, d=60)
    y = y + 3.0  # a real intercept to centre away
    params = dict(parametrization=parametrization, init_scale=0.05, step_size=0.02, fit_intercept=fit_intercept)
    model = _fit_path(X, y, 100, **params)
    ref = gd_reference(X, y, n_iter=100, **params)
    assert model.coef_path_.shape == ref.shape
    rel = np.abs(model.coef_path_ - ref).max(axis=1) / np.abs(ref).max(axis=1).clip(1e-300)
    assert rel[1:].max() < 1e-12


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_iterates_match_reference_float32(rng, parametrization):
    X, y, _ = sparse_problem(rng, n=25, d=60, dtype=np.float32)
    params = dict(parametrization=parametrization, init_scale=0.05, step_size=0.02, fit_intercept=False)
    model = _fit_path(X, y, 100, **params)
    assert model.coef_.dtype == np.float32
    # The reference runs in float64 on the same float32 data; the engine reads X as float32 and
    # accumulates in float64, so the only float32 rounding left is in y and X themselves, which
    # both sides share: agreement is float64-level, we ask for float32 precision.
    ref = gd_reference(X.astype(np.float64), y.astype(np.float64), n_iter=100, **params)
    rel = np.abs(model.coef_path_ - ref).max() / np.abs(ref).max()
    assert rel < 1e-6


def test_custom_uv_init_matches_reference(rng):
    X, y, _ = sparse_problem(rng, n=20, d=40)
    shape = (rng.uniform(-1, 1, 40), rng.uniform(-1, 1, 40))
    params = dict(parametrization="uv", init_scale=0.3, init_shape=shape, step_size=0.01, fit_intercept=False)
    model = _fit_path(X, y, 100, **params)
    ref = gd_reference(X, y, n_iter=100, **params)
    assert np.abs(model.coef_path_ - ref).max() / np.abs(ref[1:]).max() < 1e-12
    u, v = model.weights_
    assert np.allclose(u * v, model.coef_, rtol=1e-12, atol=1e-15)


def test_depth3_matches_reference(rng):
    X, y, _ = sparse_problem(rng, n=20, d=40)
    params = dict(parametrization="pm", depth=3, init_scale=0.2, step_size=0.05, fit_intercept=False)
    model = _fit_path(X, y, 100, **params)
    ref = gd_reference(X, y, n_iter=100, **params)
    assert np.abs(model.coef_path_ - ref).max() / np.abs(ref[1:]).max() < 1e-12


def test_pm_equals_uv_with_doubled_scale_and_step(rng):
    # DESIGN §3: pm(α, η) and uv(u₀ = 2α, v₀ = 0; 2η) give identical iterates.
    X, y, _ = sparse_problem(rng, n=20, d=50)
    alpha, eta = 0.01, 0.02
    pm = _fit_path(X, y, 200, parametrization="pm", init_scale=alpha, step_size=eta, fit_intercept=False)
    uv = _fit_path(X, y, 200, parametrization="uv", init_scale=alpha, init_shape=(2.0, 0.0), step_size=2 * eta,
                   fit_intercept=False)
    scale = np.abs(pm.coef_path_[1:]).max()
    assert np.abs(pm.coef_path_ - uv.coef_path_).max() / scale < 1e-12


def test_per_feature_init_scale_matches_reference(rng):
    X, y, _ = sparse_problem(rng, n=20, d=40)
    scale = rng.uniform(1e-3, 1e-1, 40)
    for parametrization in ("pm", "uv"):
        params = dict(parametrization=parametrization, init_scale=scale, step_size=0.02, fit_intercept=False)
        model = _fit_path(X, y, 100, **params)
        ref = gd_reference(X, y, n_iter=100, **params)
        assert np.abs(model.coef_path_ - ref).max() / np.abs(ref[1:]).max() < 1e-12
