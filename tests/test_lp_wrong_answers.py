"""Regression tests for the LP/OT front end's silent wrong answers (issue 15).

Every expected status and optimum comes from an independent oracle: scipy.optimize.linprog
(HiGHS) for LPs, exact marginal sums for transport plans.
"""
import numpy as np
import pytest
from scipy.optimize import linprog as scipy_linprog

import dlnfast

METHODS = ["newton", "dln", "eg"]


def _oracle(*args, **kwargs):
    return scipy_linprog(*args, method="highs", **kwargs)


# --- 1. unbounded / infeasible decided for every method ---------------------------------------

UNBOUNDED_CASES = [
    dict(c=[1, -2]),                                            # x2 ≥ 0, cost −2, no constraint
    dict(c=[1], bounds=[(None, 1)]),                            # x ≤ 1 only, cost +1
    dict(c=[-1], bounds=[(None, None)]),                        # free, cost −1
    dict(c=[1, -1, 0], A_eq=[[1, 0, 1]], b_eq=[1]),             # x2 in no constraint
    dict(c=[1, 0], A_ub=[[1, 1]], b_ub=[2], bounds=[(None, 0), (0, None)]),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", range(len(UNBOUNDED_CASES)))
def test_trivially_unbounded_reported_for_every_method(case, method):
    kw = UNBOUNDED_CASES[case]
    ref = _oracle(**kw)
    assert ref.status == 3
    res = dlnfast.linprog(**kw, method=method)
    assert res.status == 3, res.message
    assert not res.success


@pytest.mark.parametrize("method", METHODS)
def test_unbounded_column_with_infeasible_rest_is_infeasible(method):
    kw = dict(c=[1, -1], A_eq=[[1, 0]], b_eq=[-1])  # x1 = −1 impossible with x1 ≥ 0
    assert _oracle(**kw).status == 2
    res = dlnfast.linprog(**kw, method=method)
    assert res.status == 2, res.message


@pytest.mark.parametrize("method", METHODS)
def test_bounded_version_still_optimal(method):
    kw = dict(c=[1, -2], bounds=[(0, None), (0, 3)])
    ref = _oracle(**kw)
    res = dlnfast.linprog(**kw, method=method)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-6, atol=1e-6)


# --- 2. tolerances relative to the problem's scale --------------------------------------------

def _scaled_problem():
    rng = np.random.default_rng(0)
    A = rng.random((3, 6))
    b = A @ rng.random(6)
    c = rng.random(6)
    return c, A, b


@pytest.mark.parametrize("method", ["newton", "dln"])
@pytest.mark.parametrize("s", [1e-18, 1e-100, 1e-300])
def test_scaling_A_and_b_gives_the_same_x(s, method):
    c, A, b = _scaled_problem()
    ref = _oracle(c, A_eq=A, b_eq=b)
    base = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method)
    assert base.status == 0
    np.testing.assert_allclose(base.x, ref.x, atol=1e-6)
    res = dlnfast.linprog(c, A_eq=s * A, b_eq=s * b, method=method)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, base.x, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-7)


@pytest.mark.parametrize("s", [1e-18, 1e-100, 1e-300, 1e100])
def test_scaling_inequalities_and_cost(s):
    c, A, b = _scaled_problem()
    ref = _oracle(-c, A_ub=A, b_ub=b)
    res = dlnfast.linprog(-s * c, A_ub=s * A, b_ub=s * b)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(res.fun / s, ref.fun, rtol=1e-7)


def test_status_0_needs_a_point_verified_in_the_users_units():
    from dlnfast.lp._linprog import _verify

    c, A, b = _scaled_problem()
    ref = _oracle(c, A_eq=A, b_eq=b)
    lo, hi = np.zeros(6), np.full(6, np.inf)
    empty = np.zeros((0, 6)), np.zeros(0)
    import scipy.sparse as sp
    Es = sp.csr_matrix(empty[0])
    for s in (1.0, 1e-300):
        assert _verify(ref.x, Es, empty[1], sp.csr_matrix(s * A), s * b, lo, hi, 1e-8) == ""
        # x scaled by 1 + 1e-3 is off by 1e-3 relative, whatever s
        assert "A_eq" in _verify(ref.x * (1 + 1e-3), Es, empty[1], sp.csr_matrix(s * A), s * b,
                                 lo, hi, 1e-8)
    assert "not finite" in _verify(np.full(6, np.inf), Es, empty[1], sp.csr_matrix(A), b, lo,
                                   hi, 1e-8)
