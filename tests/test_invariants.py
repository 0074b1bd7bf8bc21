"""Invariants of the trained network (hypothesis, small shapes), and the no-copy boundary."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnfast import DiagonalLinearRegressor, _engine
from dlnfast._parametrizations import make_parametrization


def _fit(X, y, **kw):
    model = DiagonalLinearRegressor(init_scale=0.1, step_size=0.01, max_iter=300, tol=0.0, n_jobs=1, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fixed budget on purpose
        return model.fit(X, y)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 8), d=st.integers(2, 12),
       parametrization=st.sampled_from(["pm", "uv"]))
def test_permuting_columns_permutes_coef(seed, n, d, parametrization):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    perm = rng.permutation(d)
    a = _fit(X, y, parametrization=parametrization).coef_
    b = _fit(np.ascontiguousarray(X[:, perm]), y, parametrization=parametrization).coef_
    # The row kernels may sum a dot product in another order after a permutation: rounding only.
    np.testing.assert_allclose(b, a[perm], rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 8), d=st.integers(2, 12))
def test_negating_y_negates_coef(seed, n, d):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    a = _fit(X, y)
    b = _fit(X, -y)
    # pm is symmetric under w₊ ↔ w₋, so −y gives exactly −β (no rounding difference at all).
    np.testing.assert_array_equal(b.coef_, -a.coef_)
    assert b.intercept_ == -a.intercept_


def test_engine_refuses_to_copy_X(rng):
    X = np.asfortranarray(rng.standard_normal((6, 4)))
    problem = _engine.Problem(X, np.zeros(6), None, None, 0.0, 1.0)
    net = make_parametrization("pm", 0.1, None, 2, 4).init_network()
    # .noconvert() at the boundary: a layout that would need a copy is an error, never a silent copy
    with pytest.raises(TypeError):
        _engine.run_gd(problem, net, step_size=0.1, max_iter=1, tol=0.0, n_threads=1)


def test_fortran_X_is_converted_once_by_the_estimator(rng):
    X = rng.standard_normal((20, 6))
    y = X[:, 0]
    a = _fit(X, y).coef_
    b = _fit(np.asfortranarray(X), y).coef_
    np.testing.assert_array_equal(a, b)
