"""Regression tests for bad and edge inputs at the public boundary (issue 12).

Each input here once hung, crashed with an internal exception, was accepted though invalid or
was rejected though valid; every error must name the parameter.
"""
import numpy as np
import pytest

import dlnfast
from dlnfast import DiagonalLinearRegressor, gradient_flow, implicit_bias_limit
from dlnfast._parametrizations import MAX_DEPTH


@pytest.fixture
def wide(rng):
    X = rng.standard_normal((4, 6))
    return X, X[:, 0] - 2 * X[:, 3]


# --- 1. depth is capped (each step is O(depth) per coordinate and cannot be interrupted) ---

@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10**9, 2**40])
def test_depth_above_cap_estimator(wide, depth):
    X, y = wide
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(depth=depth).fit(X, y)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10**9, 2**40])
def test_depth_above_cap_functions(wide, depth):
    X, y = wide
    with pytest.raises(ValueError, match="depth"):
        gradient_flow(X, y, [0.0, 1.0], depth=depth)
    with pytest.raises(ValueError, match="depth"):
        implicit_bias_limit(X, y, init_scale=0.1, depth=depth)
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(depth=depth).implicit_bias_limit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_depth_at_cap_runs(wide):
    X, y = wide
    est = DiagonalLinearRegressor(depth=MAX_DEPTH, init_scale=0.5, max_iter=50).fit(X, y)
    assert np.all(np.isfinite(est.coef_))
