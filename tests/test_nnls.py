"""Non-interpolating least squares (n > d, noisy labels): every network converges to the least-
squares solution of its own constraint set (DESIGN §6.5: there is no implicit bias left)."""
import numpy as np
import pytest
from scipy.optimize import nnls

from dlnfast import DiagonalLinearRegressor


def _overdetermined(rng, n=80, d=12):
    X = rng.standard_normal((n, d))
    beta = rng.standard_normal(d)  # mixed signs: the NNLS solution has active constraints
    return X, X @ beta + 0.3 * rng.standard_normal(n)


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_positive_network_converges_to_nnls(rng, solver):
    X, y = _overdetermined(rng)
    ref, _ = nnls(X, y, maxiter=10_000)
    assert np.sum(ref == 0) >= 3  # some constraints active, so this is not plain least squares
    errors = []
    for tol in (1e-5, 1e-8):
        model = DiagonalLinearRegressor(parametrization="positive", solver=solver, init_scale=0.1, tol=tol,
                                        max_iter=2_000_000, fit_intercept=False,
                                        step_size="auto" if solver == "gd" else 1e-2).fit(X, y)
        errors.append(np.abs(model.coef_ - ref).max() / np.abs(ref).max())
    assert np.all(model.coef_ >= 0)
    assert errors[1] <= 1e-6
    assert errors[1] < errors[0]


@pytest.mark.parametrize("parametrization", ["pm", "uv", "shape", "linear"])
def test_signed_networks_converge_to_least_squares(rng, parametrization):
    X, y = _overdetermined(rng)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    model = DiagonalLinearRegressor(parametrization=parametrization, init_scale=0.1, tol=1e-9, max_iter=1_000_000,
                                    fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref, rtol=0, atol=1e-7 * np.abs(ref).max())
