"""Dual values of dlnfast.linprog (ineqlin, eqlin, lower, upper) against scipy's HiGHS.

Oracles: HiGHS's own marginals on LPs whose dual is unique (random nondegenerate data, and
small LPs solved by hand), and the KKT conditions of the LP (dual feasibility, signs,
complementary slackness, strong duality), which share no code with the postsolve.
"""
import numpy as np
import pytest
from scipy.optimize import linprog as scipy_linprog

import dlnfast

FIELDS = ("ineqlin", "eqlin", "lower", "upper")


def general_lp(seed, n=12, p=8, q=3):
    """Inequalities, equalities, free / one-sided / boxed / fixed variables, any-sign costs."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-1, 1, n)
    A_ub = rng.standard_normal((p, n))
    b_ub = A_ub @ x0 + rng.uniform(0.1, 1.0, p)
    A_eq = rng.standard_normal((q, n))
    b_eq = A_eq @ x0
    c = rng.standard_normal(n)
    bounds = [(x0[j] - 1, x0[j] + 1) for j in range(n)]
    bounds[0] = (None, None)
    bounds[1] = (None, x0[1] + 2)
    bounds[2] = (x0[2] - 3, None)
    bounds[3] = (x0[3], x0[3])
    return dict(c=c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds)


def kkt_errors(lp, res):
    """(dual feasibility, sign violation, complementarity, duality gap), each relative."""
    n = len(lp["c"])
    c = np.asarray(lp["c"], float)
    A_ub, A_eq = (np.asarray(lp.get(k, np.zeros((0, n))), float) for k in ("A_ub", "A_eq"))
    b_ub, b_eq = (np.asarray(lp.get(k, np.zeros(0)), float) for k in ("b_ub", "b_eq"))
    lo = np.array([-np.inf if l is None else l for l, _ in lp["bounds"]])
    hi = np.array([np.inf if u is None else u for _, u in lp["bounds"]])
    y_ub, y_eq = res.ineqlin.marginals, res.eqlin.marginals
    lm, um = res.lower.marginals, res.upper.marginals
    scale = 1.0 + np.abs(c).max()
    feas = np.abs(c - A_ub.T @ y_ub - A_eq.T @ y_eq - lm - um).max() / scale
    sign = max(y_ub.max(initial=0.0), -lm.min(initial=0.0), um.max(initial=0.0)) / scale
    x = res.x
    comp = max(np.abs(y_ub * (b_ub - A_ub @ x)).max(initial=0.0),
               np.abs(lm * np.where(np.isfinite(lo), x - lo, 1.0)).max(),
               np.abs(um * np.where(np.isfinite(hi), hi - x, 1.0)).max()) / scale
    dual_obj = (b_ub @ y_ub + b_eq @ y_eq + lm @ np.where(np.isfinite(lo), lo, 0.0)
                + um @ np.where(np.isfinite(hi), hi, 0.0))
    gap = abs(res.fun - dual_obj) / max(1.0, abs(res.fun))
    return feas, sign, comp, gap


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_marginals_match_highs_on_lps_with_unique_duals(seed):
    lp = general_lp(seed)
    ref = scipy_linprog(method="highs", **lp)
    res = dlnfast.linprog(**lp)
    assert ref.status == 0 and res.status == 0, res.message
    # random data: the optimal vertex is nondegenerate, so x and the duals are unique
    np.testing.assert_allclose(res.x, ref.x, atol=1e-7)
    for key in FIELDS:
        np.testing.assert_allclose(res[key].marginals, ref[key].marginals, atol=1e-7,
                                   err_msg=key)
        np.testing.assert_allclose(res[key].residual, ref[key].residual, atol=1e-7,
                                   err_msg=key)


@pytest.mark.parametrize("seed", [0, 3])
def test_marginals_satisfy_kkt_at_the_lp_optimum(seed):
    lp = general_lp(seed)
    res = dlnfast.linprog(**lp)
    assert res.status == 0, res.message
    feas, sign, comp, gap = kkt_errors(lp, res)
    # dual feasibility holds to rounding by construction (the bounds take the reduced cost)
    assert feas <= 1e-12
    assert sign <= 1e-8 and comp <= 1e-8 and gap <= 1e-8


# small LPs whose dual is worked out by hand; presolve removes their singleton rows, so the
# postsolve of those rows' duals is what is checked
HAND = [  # (LP, expected marginals, decided by presolve alone)
    # min −x1 − x2  s.t. x1 ≤ 1 (singleton), x1 + 2 x2 ≤ 4, x ≥ 0: x = (1, 1.5), y = (−½, −½)
    (dict(c=[-1, -1], A_ub=[[1, 0], [1, 2]], b_ub=[1, 4]), dict(ineqlin=[-0.5, -0.5]), False),
    # min x1 + x2  s.t. 2 x1 = 2 (singleton), −x1 − x2 ≤ −3: x = (1, 2); x2: 1 = −y_ub,
    # x1: 1 = 2 y_eq − y_ub → y_eq = 0
    (dict(c=[1, 1], A_eq=[[2, 0]], b_eq=[2], A_ub=[[-1, -1]], b_ub=[-3]),
     dict(ineqlin=[-1.0], eqlin=[0.0]), True),
    # min −x  s.t. 3x ≤ 6 (singleton), 0 ≤ x ≤ 5: y = −1/3, upper bound inactive
    (dict(c=[-1], A_ub=[[3]], b_ub=[6], bounds=[(0, 5)]), dict(ineqlin=[-1 / 3], upper=[0.0]),
     True),
    # min x  s.t. x = 4 (singleton, fixes x), x ≤ 10: y_eq = 1
    (dict(c=[1], A_eq=[[1]], b_eq=[4], bounds=[(None, 10)]), dict(eqlin=[1.0], upper=[0.0]),
     True),
]


@pytest.mark.parametrize("case", range(len(HAND)))
def test_presolved_rows_get_the_hand_computed_duals(case):
    lp, expected, by_presolve = HAND[case]
    ref = scipy_linprog(method="highs", **lp)
    res = dlnfast.linprog(**lp)
    assert res.status == 0, res.message
    assert (res.nit == 0) == by_presolve
    for key, val in expected.items():
        np.testing.assert_allclose(ref[key].marginals, val, atol=1e-12)  # the hand derivation
        np.testing.assert_allclose(res[key].marginals, val, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_dynamics_marginals_satisfy_kkt(method):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 15))
    b = A @ rng.uniform(0.5, 1.5, 15)
    c = rng.uniform(0.1, 1.0, 15)
    lp = dict(c=c, A_eq=A, b_eq=b, bounds=[(0, None)] * 15)
    res = dlnfast.linprog(**lp, method=method, n_jobs=1)
    ref = scipy_linprog(method="highs", **lp)
    assert res.status == 0, res.message
    feas, sign, comp, gap = kkt_errors(lp, res)
    assert feas <= 1e-12 and sign <= 1e-6 and comp <= 1e-6 and gap <= 1e-6
    np.testing.assert_allclose(res.eqlin.marginals, ref.eqlin.marginals, atol=1e-5)


def test_entropic_marginals_tend_to_highs_as_reg_shrinks():
    lp = general_lp(0)
    ref = scipy_linprog(method="highs", **lp)
    errs = []
    for reg in (1e-1, 1e-2, 1e-3):
        res = dlnfast.linprog(**lp, reg=reg)
        assert res.status == 0, res.message
        errs.append(max(np.abs(res[k].marginals - ref[k].marginals).max() for k in FIELDS))
    assert errs[2] < errs[1] < errs[0]


def test_no_marginals_without_a_point():
    res = dlnfast.linprog([1], A_ub=[[1]], b_ub=[-1])  # x ≥ 0, x ≤ −1: infeasible
    assert res.status == 2
    assert "ineqlin" not in res
