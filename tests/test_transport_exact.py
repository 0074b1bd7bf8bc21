"""Exact OT (reg=None): the network simplex against ot.emd and scipy's HiGHS on the OT LP.

Every case checks the LP optimality conditions directly (exact marginals, dual feasibility
f_i + g_j ≤ M_ij on every allowed edge, equality on the support, a vertex: the support has no
cycle) besides the optimal cost of two independent solvers.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog as scipy_linprog

import dlnfast

ot = pytest.importorskip("ot")


def highs_cost(a, b, M, mask=None):
    """The OT LP over the allowed edges (mask; all by default), solved by HiGHS."""
    n1, n2 = M.shape
    rows, cols = np.nonzero(np.ones((n1, n2), bool) if mask is None else mask)
    k = rows.size
    A = sp.csr_matrix((np.ones(2 * k), (np.concatenate([rows, n1 + cols]), np.tile(np.arange(k), 2))),
                      shape=(n1 + n2, k))
    r = scipy_linprog(M[rows, cols], A_eq=A, b_eq=np.concatenate([a, b]), method="highs")
    return r


def is_forest(rows, cols, n1):
    """True when the edges (rows[e], n1 + cols[e]) contain no cycle (union-find)."""
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for i, j in zip(rows, cols):
        ri, rj = find(int(i)), find(n1 + int(j))
        if ri == rj:
            return False
        parent[ri] = rj
    return True


def check_optimal(res, a, b, M, mask=None, rtol=1e-9):
    """Status 0, exact marginals, a vertex, dual feasible, complementary slack, the oracles' cost."""
    assert res.status == 0, res.message
    P = res.plan.toarray() if sp.issparse(res.plan) else res.plan
    mass = float(a.sum())
    scale = max(float(np.abs(M).max()), 1e-300)
    assert np.all(P >= 0)
    assert np.abs(P.sum(axis=1) - a).max() <= 1e-14 * max(mass, 1e-300) * 10
    assert np.abs(P.sum(axis=0) - b).max() <= 1e-14 * max(mass, 1e-300) * 10
    allowed = np.ones(M.shape, bool) if mask is None else mask.astype(bool)
    assert np.all(P[~allowed] == 0)
    rows, cols = np.nonzero(P)
    assert rows.size <= M.shape[0] + M.shape[1] - 1
    assert is_forest(rows, cols, M.shape[0])  # a vertex of the transportation polytope
    f, g = res.dual
    slack = M - f[:, None] - g[None, :]
    assert slack[allowed].min() >= -1e-12 * scale * M.shape[0]  # dual feasible
    assert np.abs(slack[P > 0]).max(initial=0.0) <= 1e-12 * scale * M.shape[0]  # compl. slackness
    cost = float((M * P).sum())
    assert res.cost == pytest.approx(cost, rel=1e-12, abs=1e-300)
    h = highs_cost(a, b, M, mask)
    assert h.status == 0
    assert cost == pytest.approx(h.fun, rel=rtol, abs=1e-9 * scale * mass)
    assert cost == pytest.approx(float(a @ f + b @ g), rel=rtol, abs=1e-9 * scale * mass)  # strong duality
    if mask is None:
        assert cost == pytest.approx(ot.emd2(a, b, M), rel=rtol, abs=1e-9 * scale * mass)


def random_marginal(rng, n):
    w = rng.random(n) + 0.05
    return w / w.sum()


@pytest.mark.parametrize("n1, n2, seed", [(1, 1, 0), (1, 7, 1), (6, 1, 2), (8, 8, 3), (13, 40, 4),
                                          (40, 13, 5), (100, 100, 6), (57, 90, 7)])
def test_random_problems_match_emd_and_highs(n1, n2, seed):
    rng = np.random.default_rng(seed)
    a, b = random_marginal(rng, n1), random_marginal(rng, n2)
    b *= a.sum() / b.sum()
    M = rng.normal(size=(n1, n2))  # costs of both signs
    res = dlnfast.transport(a, b, M, None)
    check_optimal(res, a, b, M)
    same = dlnfast.transport(a, b, M, None, method="network_simplex")
    np.testing.assert_array_equal(same.plan, res.plan)


def test_not_exactly_rational_marginals_and_costs():
    rng = np.random.default_rng(11)
    a = np.sqrt(np.arange(1, 31.0))
    b = np.pi ** -np.linspace(0, 2, 45)
    b *= a.sum() / b.sum()
    M = np.exp(rng.normal(size=(30, 45)))
    check_optimal(dlnfast.transport(a, b, M, None), a, b, M)


@pytest.mark.parametrize("case", ["integer_ties", "identical_rows", "zero_cost", "point_mass",
                                  "zero_rows_cols", "both_point_masses", "permutation"])
def test_degenerate_problems(case):
    rng = np.random.default_rng(3)
    n1, n2 = 20, 25
    a, b = np.full(n1, 1 / n1), np.full(n2, 1 / n2)
    M = rng.random((n1, n2))
    if case == "integer_ties":
        M = rng.integers(0, 3, (n1, n2)).astype(float)
    elif case == "identical_rows":
        M = np.tile(rng.integers(0, 5, n2).astype(float), (n1, 1))
    elif case == "zero_cost":
        n2, b, M = n1, a.copy(), np.zeros((n1, n1))
    elif case == "point_mass":
        a = np.zeros(n1)
        a[4] = 1.0
    elif case == "zero_rows_cols":
        a[::3] = 0
        a /= a.sum()
        b[1::4] = 0
        b /= b.sum()
    elif case == "both_point_masses":
        a, b = np.eye(n1)[2], np.eye(n2)[7]
    elif case == "permutation":  # square, uniform, integer: highly degenerate assignment
        n2, b = n1, a.copy()
        M = rng.integers(0, 4, (n1, n1)).astype(float)
    res = dlnfast.transport(a, b, M, None)
    check_optimal(res, a, b, M)


@pytest.mark.parametrize("mass", [1e-12, 1.0, 1e9])
@pytest.mark.parametrize("shift", [0.0, -1e3, 1e6])
def test_mass_and_cost_shift(mass, shift):
    rng = np.random.default_rng(5)
    a, b = random_marginal(rng, 30), random_marginal(rng, 30)
    M = rng.random((30, 30))
    base = dlnfast.transport(a, b, M, None)
    res = dlnfast.transport(mass * a, mass * b, M + shift, None)
    assert res.status == 0, res.message
    assert np.abs(res.plan.sum(axis=1) - mass * a).max() <= 1e-13 * mass
    assert res.cost == pytest.approx(mass * (base.cost + shift), rel=1e-9, abs=1e-9 * mass)
    f, g = res.dual
    slack = (M + shift) - f[:, None] - g[None, :]
    assert slack.min() >= -1e-12 * max(1.0, abs(shift)) * 30


def test_zero_mass_is_the_zero_plan_with_feasible_potentials():
    M = np.random.default_rng(0).normal(size=(4, 5))
    res = dlnfast.transport(np.zeros(4), np.zeros(5), M, None)
    assert res.status == 0 and np.all(res.plan == 0) and res.cost == 0
    f, g = res.dual
    assert (M - f[:, None] - g[None, :]).min() >= -1e-12


def sparse_pattern(rng, n1, n2, k):
    mask = np.zeros((n1, n2), bool)
    for i in range(n1):
        mask[i, rng.choice(n2, k, replace=False)] = True
    for j in range(n2):
        mask[rng.choice(n1, k, replace=False), j] = True
    return mask


@pytest.mark.parametrize("n1, n2", [(30, 30), (20, 45)])
def test_sparse_feasible_pattern_matches_highs(n1, n2):
    rng = np.random.default_rng(8)
    mask = sparse_pattern(rng, n1, n2, 3)
    M = rng.random((n1, n2)) - 0.3
    a, b = random_marginal(rng, n1), random_marginal(rng, n2)
    res = dlnfast.transport(a, b, sp.coo_array(M * mask), None)
    # a stored explicit zero would be an edge too; M·mask has none where M ≠ 0
    assert sp.issparse(res.plan)
    check_optimal(res, a, b, M, mask=mask)
    # the same LP with forbidden edges priced far out: ot.emd agrees
    P = ot.emd(a, b, np.where(mask, M, 1e6))
    assert res.cost == pytest.approx(float((M * P).sum()), rel=1e-9)


def test_sparse_explicit_zero_is_an_edge():
    M = sp.coo_array((np.array([0.0, 1.0]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
    res = dlnfast.transport([0.5, 0.5], [0.5, 0.5], M, None)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.plan.toarray(), [[0, 0.5], [0.5, 0]])


def test_sparse_infeasible_pattern_is_status_2():
    # rows 0 and 1 may only reach column 0, which takes half the mass: Hall's condition fails
    rows, cols = np.array([0, 1, 2, 2]), np.array([0, 0, 1, 0])
    M = sp.coo_array((np.ones(4), (rows, cols)), shape=(3, 2))
    a, b = np.full(3, 1 / 3), np.full(2, 1 / 2)
    r = highs_cost(a, b, M.toarray(), mask=M.toarray() > 0)
    assert r.status == 2  # the oracle agrees it is infeasible
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # status 2 is said by the status, not by a warning
        res = dlnfast.transport(a, b, M, None)
    assert res.status == 2 and not res.success
    assert "infeasible" in res.message and "1.667e-01" in res.message  # 1/3 − 1/6 has no edge


def test_maxiter_and_time_limit_are_status_1():
    rng = np.random.default_rng(0)
    a = np.full(80, 1 / 80)
    M = rng.random((80, 80))
    with pytest.warns(UserWarning, match="maxiter"):
        res = dlnfast.transport(a, a, M, None, maxiter=10)
    assert res.status == 1 and res.nit == 10 and "maxiter" in res.message
    with pytest.warns(UserWarning, match="time_limit"):
        res = dlnfast.transport(a, a, M, None, time_limit=1e-7)
    assert res.status == 1 and "time_limit" in res.message
    full = dlnfast.transport(a, a, M, None)
    assert full.status == 0 and full.nit > 10


def test_network_simplex_needs_reg_none():
    with pytest.raises(ValueError, match="network_simplex.*needs reg=None"):
        dlnfast.transport(np.ones(2) / 2, np.ones(2) / 2, np.eye(2), 0.1, method="network_simplex")


def test_ctrl_c_interrupts_a_large_exact_solve():
    import _thread
    import threading
    import time

    n = 1500
    rng = np.random.default_rng(0)
    a = np.full(n, 1 / n)
    M = rng.random((n, n))
    timer = threading.Timer(0.05, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        dlnfast.transport(a, a, M, None)
    timer.join()
    assert time.perf_counter() - t0 < 5.0


def test_several_targets_each_solved_exactly():
    rng = np.random.default_rng(9)
    a = random_marginal(rng, 12)
    B = np.stack([random_marginal(rng, 15) for _ in range(3)], axis=1)  # columns: not contiguous
    M = rng.random((12, 15))
    res = dlnfast.transport(a, B, M, None)
    assert res.plan.shape == (3, 12, 15) and np.all(res.status == 0)
    for k in range(3):
        check_optimal(res.results[k], a, B[:, k], M)
        assert res.cost[k] == pytest.approx(ot.emd2(a, B[:, k], M), rel=1e-9)


def test_one_by_one_negative_cost():
    # (ot.emd 0.9.7 reports this one "infeasible" with cost 0; HiGHS agrees with the plan here)
    res = dlnfast.transport([0.5], [0.5], [[-2.0]], None)
    assert res.status == 0 and res.cost == -1.0
    assert highs_cost(np.array([0.5]), np.array([0.5]), np.array([[-2.0]])).fun == -1.0
    f, g = res.dual
    assert f[0] + g[0] == pytest.approx(-2.0)


@pytest.mark.parametrize("method", ["simplex", np.array(["newton", "dln"]), None])
def test_unknown_method_names_all_methods(method):
    with pytest.raises(ValueError, match="method must be one of .*network_simplex"):
        dlnfast.transport(np.ones(2) / 2, np.ones(2) / 2, np.eye(2), None, method=method)
