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


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("s", [1e-18, 1e-100, 1e-300, 1e100, 1e300])
def test_scaling_inequalities_and_cost(s, method):
    c, A, b = _scaled_problem()
    ref = _oracle(-c, A_ub=A, b_ub=b)
    res = dlnfast.linprog(-s * c, A_ub=s * A, b_ub=s * b, method=method)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(res.fun / s, ref.fun, rtol=1e-7)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("s", [1e-300, 1e300])
def test_scaling_the_cost_alone_keeps_x(s, method):
    c, A, b = _scaled_problem()
    ref = _oracle(c, A_eq=A, b_eq=b)
    res = dlnfast.linprog(s * c, A_eq=A, b_eq=b, method=method)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, ref.x, atol=1e-7)


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


# --- 3 and 6. transport: tolerances relative to the mass; invariant under a cost shift -----------

def _ot_problem():
    rng = np.random.default_rng(1)
    a = rng.random(6)
    b = rng.random(7)
    a /= a.sum()
    b /= b.sum()
    return a, b, rng.random((6, 7))


def _sinkhorn_oracle(a, b, M, reg):
    ot = pytest.importorskip("ot")
    return ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", stopThr=1e-13, numItermax=100_000)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mass", [1e-9, 1e-12, 1e-300, 1e9])
def test_transport_marginals_relative_to_the_mass(mass, method):
    a, b, M = _ot_problem()
    reg = 0.1
    res = dlnfast.transport(mass * a, mass * b, M, reg, method=method)
    assert res.status == 0, res.message
    # exact marginal sums, relative to the mass
    assert np.abs(res.plan.sum(axis=1) - mass * a).max() <= 1e-8 * mass
    assert np.abs(res.plan.sum(axis=0) - mass * b).max() <= 1e-8 * mass
    if method == "dln":  # its plan carries the O(η) bias ω: the unit-mass run is the reference
        ref = dlnfast.transport(a, b, M, reg, method=method).plan
        assert np.abs(res.plan / mass - ref).sum() <= 1e-12
    else:
        ref = _sinkhorn_oracle(a, b, M, reg)
        assert np.abs(res.plan / mass - ref).sum() <= 1e-7


@pytest.mark.parametrize("method", METHODS)
def test_transport_zero_mass_gives_the_zero_plan(method):
    a, b, M = _ot_problem()
    res = dlnfast.transport(0 * a, 0 * b, M, 0.1, method=method)
    assert res.status == 0
    assert np.all(res.plan == 0)
    assert res.cost == 0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shift", [-1e3, 1e3, -1e6])
def test_transport_plan_invariant_under_a_cost_shift(shift, method):
    a, b, M = _ot_problem()
    reg = 0.1
    base = dlnfast.transport(a, b, M, reg, method=method)
    res = dlnfast.transport(a, b, M + shift, reg, method=method)
    assert base.status == 0 and res.status == 0, res.message
    assert np.all(np.isfinite(res.plan))
    np.testing.assert_allclose(res.plan, base.plan, atol=1e-12)
    np.testing.assert_allclose(res.cost, base.cost + shift * res.plan.sum(), rtol=1e-9)
    if method != "dln":
        np.testing.assert_allclose(res.plan, _sinkhorn_oracle(a, b, M, reg), atol=1e-8)


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_transport_dual_certificate_survives_mass_and_shift(method):
    a, b, M = _ot_problem()
    reg, mass, shift = 0.1, 1e-10, -1e3
    res = dlnfast.transport(mass * a, mass * b, M + shift, reg, method=method)
    f, g = res.dual
    lhs = reg * np.log(res.plan)
    rhs = f[:, None] + g[None, :] - (M + shift) - reg * res.omega
    assert np.abs(lhs - rhs).max() <= 1e-8 * np.abs(rhs).max()


# --- 4. read_mps on a truncated file ---------------------------------------------------------

_MPS = """NAME          TINY
ROWS
 N  COST
 L  LIM1
 G  LIM2
 E  MYEQN
COLUMNS
    X1        COST         1.0   LIM1         1.0
    X1        LIM2         1.0
    X2        COST         2.0   LIM1         1.0
    X2        MYEQN       -1.0
    X3        COST        -1.0   MYEQN        1.0
RHS
    RHS       LIM1         4.0   LIM2         1.0
    RHS       MYEQN        7.0
BOUNDS
 UP BND       X1           4.0
 LO BND       X2          -1.0
 UP BND       X2           1.0
ENDATA
"""


def test_read_mps_complete_file_matches_highs(tmp_path):
    pytest.importorskip("highspy")
    p = tmp_path / "tiny.mps"
    p.write_text(_MPS)
    prob = dlnfast.read_mps(p)
    c0 = prob.pop("c0")
    ref = _oracle(**prob)
    assert ref.status == 0
    res = dlnfast.linprog(**prob, c0=c0)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.fun, ref.fun + c0, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("cut, section", [("    X2        MYEQN", "COLUMNS"),
                                          ("    X3        COST ", "COLUMNS"),
                                          ("    RHS       MYEQN", "RHS"),
                                          ("ENDATA", "BOUNDS")])
def test_read_mps_truncated_file_raises_naming_file_and_section(tmp_path, cut, section):
    pytest.importorskip("highspy")
    p = tmp_path / "cut.mps"
    p.write_text(_MPS[: _MPS.index(cut)])
    with pytest.raises(ValueError, match=rf"cut\.mps.*section {section}"):
        dlnfast.read_mps(p)


def test_read_mps_truncated_mid_line_raises(tmp_path):
    pytest.importorskip("highspy")
    p = tmp_path / "midline.mps"
    p.write_text(_MPS[: _MPS.index("X2        MYEQN") + 12])  # "    X2        MY"
    with pytest.raises(ValueError, match=r"midline\.mps.*section COLUMNS"):
        dlnfast.read_mps(p)


# --- 5. a time limit expiring is status 1 (scipy: iteration or time limit), never 4 ------------

def _lp_for_limits():
    rng = np.random.default_rng(0)
    A = rng.random((150, 600))
    return rng.random(600), A, A @ rng.random(600)


@pytest.mark.parametrize("reg", [None, 1e-3])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("time_limit", [1e-6, 1e-4, 3e-3])
def test_linprog_time_limit_is_status_1(time_limit, method, reg):
    c, A, b = _lp_for_limits()
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, reg=reg, time_limit=time_limit)
    assert res.status in (0, 1), res.message
    if res.status == 1:
        assert not res.success


@pytest.mark.parametrize("method", METHODS)
def test_linprog_iteration_limit_is_status_1(method):
    c, A, b = _lp_for_limits()
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, maxiter=1)
    assert res.status == 1, res.message


@pytest.mark.parametrize("method, reg", [("newton", None), ("newton", 1e-3), ("dln", 1e-3),
                                         ("eg", 1e-3)])
@pytest.mark.parametrize("time_limit", [1e-6, 1e-4])
def test_transport_time_limit_is_status_1(time_limit, method, reg):
    rng = np.random.default_rng(0)
    a = np.full(60, 1 / 60)
    with pytest.warns(UserWarning, match="time_limit"):  # POT warns on a limit too
        res = dlnfast.transport(a, a, rng.random((60, 60)), reg, method=method,
                                time_limit=time_limit)
    assert res.status == 1, res.message


# --- 1 (continued). infeasible / unbounded LPs that need the auxiliary problems ----------------

DIAGNOSE_CASES = {
    "infeasible_eq": dict(c=[1, 1], A_eq=[[1, 1], [1, 1]], b_eq=[1, 2]),
    "infeasible_ub": dict(c=[1, 1], A_ub=[[1, 1], [-1, -1]], b_ub=[1, -2]),
    "infeasible_bounds": dict(c=[1, 1], A_ub=[[1, 1]], b_ub=[1], bounds=[(2, None), (0, None)]),
    "unbounded_ray": dict(c=[-1, -1], A_ub=[[1, -1]], b_ub=[1]),
    "unbounded_free": dict(c=[1, 0], A_eq=[[1, -1]], b_eq=[0], bounds=[(None, None)] * 2),
    "unbounded_eq": dict(c=[-1, 0, 0], A_eq=[[1, -1, 0], [0, 0, 1]], b_eq=[0, 1]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(DIAGNOSE_CASES))
def test_infeasible_and_unbounded_decided_for_every_method(name, method):
    kw = DIAGNOSE_CASES[name]
    ref = _oracle(**kw)
    assert ref.status in (2, 3)
    res = dlnfast.linprog(**kw, method=method, time_limit=60)
    assert res.status == ref.status, res.message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["infeasible_eq", "infeasible_ub", "infeasible_bounds"])
def test_infeasible_decided_at_a_given_reg(name, method):
    # the entropic LP at λ is infeasible with the LP: status 2, not a limit or status 4
    kw = DIAGNOSE_CASES[name]
    assert _oracle(**kw).status == 2
    res = dlnfast.linprog(**kw, method=method, reg=0.1, time_limit=60)
    assert res.status == 2, res.message


@pytest.mark.parametrize("s", [1.0, 1e-20, 1e-300])
def test_fixed_variables_infeasibility_is_scale_free(s):
    # every variable fixed: the reduction decides; HiGHS at s = 1 is the oracle (at s = 1e-20
    # its absolute feasibility tolerance would call x1 = 0 ≠ 1e-20 feasible)
    bad = dict(c=[1, 1], A_eq=[[1, 0], [0, 1]], b_eq=[1, 2], bounds=[(0, 0), (2, 2)])
    good = dict(c=[1, 1], A_eq=[[1, 0], [0, 1]], b_eq=[0, 2], bounds=[(0, 0), (2, 2)])
    for kw, expected in ((bad, 2), (good, 0)):
        assert _oracle(**kw).status == expected
        scaled = dict(kw, A_eq=s * np.asarray(kw["A_eq"], float),
                      b_eq=s * np.asarray(kw["b_eq"], float))
        res = dlnfast.linprog(**scaled)
        assert res.status == expected, res.message


@pytest.mark.parametrize("mass", [1.0, 1e-12])
@pytest.mark.parametrize("method", ["dln", "eg"])
def test_transport_status_0_needs_marginals_checked_against_the_mass(method, mass, monkeypatch):
    # a kernel that says "converged" on a plan with twice the mass must not give status 0
    from dlnfast.lp import _transport

    real = _transport._kernel.run_transport

    def doubled(a, b, log_u, omega, eta_r, options):
        r = real(a, b, log_u, omega, eta_r, options)
        log_u += 0.5 * np.log(2.0)
        return r

    a, b, M = _ot_problem()
    good = dlnfast.transport(mass * a, mass * b, M, 0.1, method=method)
    assert good.status == 0
    monkeypatch.setattr(_transport._kernel, "run_transport", doubled)
    with pytest.warns(UserWarning, match="numerical errors"):
        res = dlnfast.transport(mass * a, mass * b, M, 0.1, method=method)
    assert res.status == 4 and not res.success
    assert "marginal check" in res.message
    np.testing.assert_allclose(res.marginal_error, 2 * mass, rtol=1e-6)
