"""dlnfast.linprog against HiGHS (scipy.optimize.linprog) and the exact certificate (DESIGN §3.1, §5)."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog as scipy_linprog

import dlnfast


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def random_standard_lp(rng, m, n):
    """A feasible, bounded standard-form LP: b = A x_feas with x_feas > 0, c > 0."""
    A = rng.standard_normal((m, n))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    return c, A, b


def highs(**kw):
    res = scipy_linprog(method="highs", **kw)
    assert res.status == 0
    return res


def rel_gap(a, b):
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("m, n, seed", [(5, 12, 0), (20, 60, 1), (40, 150, 2)])
def test_random_standard_form_matches_highs(m, n, seed):
    c, A, b = random_standard_lp(np.random.default_rng(seed), m, n)
    ref = highs(c=c, A_eq=A, b_eq=b)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b)
    assert res.status == 0, res.message
    assert rel_gap(res.fun, ref.fun) <= 1e-6
    assert np.abs(A @ res.x - b).max() <= 1e-6 * (1 + np.abs(b).max())
    assert res.x.min() >= -1e-9


def test_sparse_input_matches_dense(rng):
    c, A, b = random_standard_lp(rng, 15, 40)
    dense = dlnfast.linprog(c, A_eq=A, b_eq=b)
    sparse = dlnfast.linprog(c, A_eq=sp.csr_matrix(A), b_eq=b)
    assert dense.status == 0 and sparse.status == 0
    np.testing.assert_allclose(sparse.x, dense.x, rtol=0, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_general_form_matches_highs(seed):
    # inequalities, equalities, free / upper-bounded / boxed / fixed variables, costs of any sign
    rng = np.random.default_rng(seed)
    n, p, q = 12, 8, 3
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
    ref = highs(c=c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds)
    res = dlnfast.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, c0=1.5)
    assert res.status == 0, res.message
    assert rel_gap(res.fun - 1.5, ref.fun) <= 1e-6
    assert res.slack.min() >= -1e-6
    assert np.abs(res.con).max() <= 1e-6
    assert np.abs(res.x - ref.x).max() <= 1e-4 * (1 + np.abs(ref.x).max())


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_dynamics_with_continuation_reach_lp_optimum(method, rng):
    c, A, b = random_standard_lp(rng, 6, 15)
    ref = highs(c=c, A_eq=A, b_eq=b)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, n_jobs=1)
    assert res.status == 0, res.message
    assert rel_gap(res.fun, ref.fun) <= 1e-6


def kkt_residual(A, c, y, reg, omega):
    """‖(λ log y + c + λω) − Aᵀν‖ / ‖λ log y + c + λω‖ with ν fitted by least squares.

    Zero iff y = exp((Aᵀν − c − λω)/λ), i.e. y solves min (c + λω)ᵀy + λΣ(y log y − y)
    s.t. Ay = A y (the entropic LP is strictly convex, so its KKT conditions suffice).
    """
    v = reg * np.log(y) + c + reg * omega
    nu = np.linalg.lstsq(A.T, v, rcond=None)[0]
    return np.linalg.norm(A.T @ nu - v) / np.linalg.norm(v)


@pytest.mark.parametrize("step_rule", ["paper", "adaptive"])
@pytest.mark.parametrize("reg", [0.5, 0.1])
def test_dln_certificate_entropic_lp_with_perturbed_cost(step_rule, reg, rng):
    c, A, b = random_standard_lp(rng, 5, 12)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", reg=reg, step_rule=step_rule,
                          scale=False, tol=1e-10, n_jobs=1)
    assert res.status == 0, res.message
    cert = res.certificate
    assert cert["omega"].min() >= 0.0
    assert cert["omega"].max() > 0.0  # the discrete bias is real...
    assert kkt_residual(A, c, cert["y"], reg, cert["omega"]) <= 1e-8  # ...and exactly accounted
    # without ω the point is *not* the entropic optimum for c (O(η) bias)
    assert kkt_residual(A, c, cert["y"], reg, 0.0 * cert["omega"]) > 1e-6
    assert np.abs(A @ res.x - b).max() <= 1e-9


def test_eg_lands_on_the_entropic_lp_without_bias(rng):
    c, A, b = random_standard_lp(rng, 5, 12)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", reg=0.2, scale=False, tol=1e-11)
    assert res.status == 0, res.message
    assert np.all(res.certificate["omega"] == 0.0)
    assert kkt_residual(A, c, res.x, 0.2, 0.0) <= 1e-8


def test_newton_entropic_solution_satisfies_kkt(rng):
    c, A, b = random_standard_lp(rng, 5, 12)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="newton", reg=0.05, scale=False)
    assert res.status == 0, res.message
    assert kkt_residual(A, c, res.x, 0.05, 0.0) <= 1e-8
    assert np.abs(A @ res.x - b).max() <= 1e-8


def test_dln_bias_shrinks_with_the_step(rng):
    # DLN GD lands on the entropic LP for c + λω with ω = O(η): its distance to the exact
    # entropic solution (EG, no bias) must shrink when the fixed step shrinks.
    c, A, b = random_standard_lp(rng, 5, 12)
    reg = 0.2
    exact = dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", reg=reg, scale=False, tol=1e-12).x
    eta = 0.9 / (4 * np.abs(A.T @ (A @ np.exp(-c / reg) - b)).max())
    errs = []
    for step in (eta, eta / 4, eta / 16):
        res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", reg=reg, scale=False, tol=1e-12,
                              step_size=step, maxiter=2_000_000)
        assert res.status == 0, res.message
        errs.append(np.abs(res.x - exact).sum())
    assert errs[0] > 3 * errs[1] > 9 * errs[2] > 0


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_thread_count_does_not_change_result(method, rng, real_team):
    c, A, b = random_standard_lp(rng, 60, 1200)  # > 2^16 entries (threads used), > 2 column blocks
    for A_in in (A, sp.csr_matrix(A)):
        r1 = dlnfast.linprog(c, A_eq=A_in, b_eq=b, method=method, reg=0.5, maxiter=300, n_jobs=1)
        r2 = dlnfast.linprog(c, A_eq=A_in, b_eq=b, method=method, reg=0.5, maxiter=300, n_jobs=2)
        assert r1.nit == r2.nit
        assert np.array_equal(r1.x, r2.x)


def test_paper_step_rule_keeps_loss_decreasing_and_factors_positive(rng):
    c, A, b = random_standard_lp(rng, 5, 12)
    losses = []
    for k in (10, 20, 40, 80):
        res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", reg=0.1, step_rule="paper",
                              maxiter=k, scale=False)
        assert res.status == 1
        assert np.all(res.x > 0)
        losses.append(np.linalg.norm(A @ res.x - b))
    assert all(l1 > l2 for l1, l2 in zip(losses, losses[1:]))


def test_infeasible_detected():
    res = dlnfast.linprog([1, 1], A_ub=[[1, 1]], b_ub=[-1])
    assert res.status == 2 and not res.success
    assert "infeasible" in res.message


def test_infeasible_bounds_detected():
    res = dlnfast.linprog([1, 1], bounds=[(0, 1), (2, 1)])
    assert res.status == 2
    assert "x[1]" in res.message


def test_unbounded_detected():
    res = dlnfast.linprog([-1, 0], A_ub=[[-1, 1]], b_ub=[1])
    assert res.status == 3
    assert "unbounded" in res.message


def test_unbounded_free_column_detected():
    res = dlnfast.linprog([1, -1], A_eq=[[1, 0]], b_eq=[1])
    assert res.status == 3


def test_limits_are_honoured(rng):
    c, A, b = random_standard_lp(rng, 20, 60)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", reg=1e-3, maxiter=5)
    # maxiter bounds the attempts; nit counts the accepted steps among them
    assert res.status == 1 and res.nit + res.step_rejections == 5
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="newton", maxiter=3)
    assert res.status in (1, 4) and res.nit <= 3 + 100


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"c": [1.0, np.nan], "A_eq": [[1, 1]], "b_eq": [1]}, "c must contain only finite"),
        ({"c": [1.0, 1.0], "A_eq": [[1, 1, 1]], "b_eq": [1]}, "A_eq must have len"),
        ({"c": [1.0, 1.0], "A_eq": [[1, 1]], "b_eq": [1, 2]}, "b_eq must have 1 entries"),
        ({"c": [1.0, 1.0], "A_ub": [[1, 1]]}, "b_ub is required"),
        ({"c": [], "A_eq": None}, "c is empty"),
        ({"c": [1.0], "A_eq": [[1]], "b_eq": [1], "reg": -1.0}, "reg must be a positive"),
        ({"c": [1.0], "A_eq": [[1]], "b_eq": [1], "method": "simplex"}, "method must be one of"),
        ({"c": [1.0], "bounds": [(0, 1), (0, 1)]}, "bounds must be"),
        ({"c": [1.0], "A_eq": [[np.inf]], "b_eq": [1]}, "A_eq must contain only finite"),
        ({"c": [1.0], "tol": 0.0}, "tol must be"),
        ({"c": [1.0], "maxiter": 0}, "maxiter must be"),
        ({"c": [1.0], "n_jobs": 0}, "n_jobs"),
        ({"c": [1.0], "n_jobs": 1.5}, "n_jobs must be"),
        ({"c": [1.0], "step_size": -1.0}, "step_size must be"),
    ],
)
def test_bad_input_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dlnfast.linprog(**kwargs)


def test_basis_pursuit_matches_highs(rng):
    X = rng.standard_normal((15, 40))
    beta = np.zeros(40)
    beta[[3, 17, 29]] = [1.5, -2.0, 0.7]
    y = X @ beta
    ref = highs(c=np.ones(80), A_eq=np.hstack([X, -X]), b_eq=y)
    res = dlnfast.basis_pursuit(X, y)
    assert res.status == 0, res.message
    assert rel_gap(np.abs(res.x).sum(), ref.fun) <= 1e-6
    np.testing.assert_allclose(res.x, beta, atol=1e-6)
    with pytest.raises(ValueError, match="y must be 1-D"):
        dlnfast.basis_pursuit(X, y[:-1])


def test_basis_pursuit_dln_approaches_l1_minimum_as_reg_shrinks(rng):
    # the DLN from u0 = exp(-1/(2λ)) interpolates with an ℓ1 excess that shrinks with λ
    X = rng.standard_normal((15, 40))
    beta = np.zeros(40)
    beta[[3, 17, 29]] = [1.5, -2.0, 0.7]
    y = X @ beta
    l1 = highs(c=np.ones(80), A_eq=np.hstack([X, -X]), b_eq=y).fun
    excess = []
    for reg in (0.2, 0.1, 0.05, 0.03):
        res = dlnfast.basis_pursuit(X, y, method="dln", reg=reg, tol=1e-9, n_jobs=1)
        assert res.status == 0, res.message
        assert np.abs(X @ res.x - y).max() <= 1e-7
        excess.append(np.abs(res.x).sum() - l1)
    assert all(e1 > e2 > 0 for e1, e2 in zip(excess, excess[1:]))
    assert excess[-1] <= 0.05 * l1


def test_ctrl_c_interrupts_a_long_run(rng):
    # the kernel polls for signals (GIL re-acquired) at most every 0.1 s
    import _thread
    import threading
    import time

    c, A, b = random_standard_lp(rng, 30, 200)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", reg=1e-4, maxiter=10**9,
                        time_limit=60, n_jobs=1)
    timer.join()
    assert time.perf_counter() - t0 < 5.0


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_sparse_kernel_matches_dense_kernel_and_certificate(method, rng):
    # a 5%-dense A goes to the CSR kernel; forcing each kernel on the same A must agree
    from dlnfast import _core
    from dlnfast.lp._kernel import LpOperator, run_dynamics

    m, n = 40, 600
    A = sp.random(m, n, density=0.05, random_state=1, format="csr") + sp.eye(m, n, format="csr")
    A = sp.csr_matrix(A)
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    update = _core.LpUpdate.dln_gd if method == "dln" else _core.LpUpdate.exponentiated_gradient
    norm_a_sq = float(np.linalg.norm(A.toarray(), 2)) ** 2
    out = {}
    for dense in (True, False):
        op = LpOperator(A, dense=dense)
        assert op.dense == dense
        out[dense] = run_dynamics(op, b, c, 0.2, update=update, step_rule=_core.LpStepRule.paper,
                                  tol=1e-9, max_iter=200_000, time_limit=60, n_threads=1,
                                  norm_a_sq=norm_a_sq)
    (xd, _, _, rd), (xs, nus, oms, rs) = out[True], out[False]
    assert rd.status == _core.Status.converged and rs.status == _core.Status.converged
    np.testing.assert_allclose(xs, xd, rtol=1e-8, atol=1e-12)
    # the CSR run's own certificate: λ log x = Aᵀν − c − λω exactly
    Ad = A.toarray()
    assert kkt_residual(Ad, c, xs, 0.2, oms) <= 1e-8
    res = 0.2 * np.log(xs) - (Ad.T @ nus - c - 0.2 * oms)
    assert np.abs(res).max() <= 1e-9 * (1 + np.abs(c).max())


def test_sparse_kernel_is_thread_count_invariant(rng):
    # large enough (nnz > 2^16) for the driver to use threads at all
    from dlnfast import _core
    from dlnfast.lp._kernel import LpOperator, run_dynamics

    m, n = 200, 20_000
    A = sp.csr_matrix(sp.random(m, n, density=0.02, random_state=2, format="csr")
                      + sp.eye(m, n, format="csr"))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    xs = []
    for threads in (1, 2):
        x, *_ = run_dynamics(LpOperator(A, dense=False), b, c, 0.5,
                             update=_core.LpUpdate.dln_gd, step_rule=_core.LpStepRule.adaptive,
                             tol=0.0, max_iter=50, time_limit=60, n_threads=threads,
                             norm_a_sq=1.0)
        xs.append(x)
    assert np.array_equal(xs[0], xs[1])
