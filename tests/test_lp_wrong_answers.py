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
