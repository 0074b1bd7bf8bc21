"""Where GD lands: min-ℓ2 for large init, basis pursuit for small init (DESIGN §4, §8)."""
import warnings

import numpy as np
from scipy.optimize import linprog

from dlnfast import DiagonalLinearRegressor


def basis_pursuit(X, y):
    """min ‖β‖₁ s.t. Xβ = y by HiGHS (β = p − q, p, q ≥ 0)."""
    n, d = X.shape
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    assert res.status == 0
    return res.x[:d] - res.x[d:]


def _fit(X, y, alpha, max_iter):
    model = DiagonalLinearRegressor(init_scale=alpha, fit_intercept=False, max_iter=max_iter, tol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)  # small α may stop at max_iter: we measure the error
        model.fit(X, y)
    return model.coef_


def test_large_init_approaches_min_l2(rng):
    X = rng.standard_normal((15, 40))
    y = rng.standard_normal(15)
    target = np.linalg.pinv(X) @ y
    errors = [np.linalg.norm(_fit(X, y, a, 20_000) - target) / np.linalg.norm(target) for a in (1.0, 10.0, 100.0)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3


def test_small_init_approaches_basis_pursuit(rng):
    n, d = 20, 50
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[[3, 17, 31]] = [1.5, -1.0, 0.7]
    y = X @ beta
    target = basis_pursuit(X, y)
    errors = [np.abs(_fit(X, y, a, 200_000) - target).max() for a in (1e-2, 1e-4, 1e-6)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 2e-3
