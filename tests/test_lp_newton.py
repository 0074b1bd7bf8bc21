"""The C++ entropic Newton (dlnfast._core.EntropicNewton, used by linprog/transport's default
method) against the Python reference Newton (dlnfast._newton.damped_newton), the entropic
optimality conditions (x = exp((Aᵀν − c)/λ), Ax = b) and HiGHS for LP optima."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog as scipy_linprog

import dlnfast
from dlnfast.lp._entropic import newton_engine, newton_stage, path_following
from dlnfast.lp._transport import _incidence


def random_lp(seed, m, n, density=None):
    """Feasible, bounded standard form LP (b = A x_feas with x_feas > 0, c > 0); sparse A with
    a given density (each column keeps at least one entry)."""
    rng = np.random.default_rng(seed)
    if density is None:
        A = rng.standard_normal((m, n))
    else:
        A = sp.random(m, n, density=density, random_state=rng, data_rvs=rng.standard_normal).toarray()
        A[rng.integers(0, m, n), np.arange(n)] = 1.0
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    return sp.csr_matrix(A), b, c


def ot_lp(seed, n1, n2):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, n1)
    a /= a.sum()
    b = rng.uniform(0.5, 1.5, n2)
    b /= b.sum()
    return _incidence(n1, n2), np.concatenate([a, b[:-1]]), rng.uniform(0, 1, n1 * n2)


def entropic_kkt(A, b, c, reg, x, nu):
    """‖x − exp((Aᵀν − c)/λ)‖∞ / ‖x‖∞ and ‖Ax − b‖∞ / (1 + ‖b‖∞), computed from scratch."""
    stat = np.abs(x - np.exp((A.T @ nu - c) / reg)).max() / max(np.abs(x).max(), 1e-300)
    prim = np.abs(A @ x - b).max() / (1 + np.abs(b).max())
    return stat, prim


CASES = [("dense", lambda: random_lp(0, 30, 80)), ("sparse", lambda: random_lp(1, 200, 500, 0.01)),
         ("schur", lambda: ot_lp(2, 12, 9))]


@pytest.mark.parametrize("mode, make", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("reg", [1.0, 0.05])
def test_cpp_stage_matches_python_and_kkt(mode, make, reg):
    A, b, c = make()
    n_diag = 12 if mode == "schur" else 0
    eng = newton_engine(A, n_diag=n_diag, mode=mode)
    assert eng.mode == mode
    nu0 = np.zeros(A.shape[0])
    with np.errstate(over="ignore", under="ignore"):
        nu_c, x_c, k_c, ok_c = newton_stage(A, b, c, reg, nu0, 1e-9, 200, np.inf, engine=eng)
        nu_p, x_p, k_p, ok_p = newton_stage(A, b, c, reg, nu0, 1e-9, 200, np.inf)
    assert ok_c and ok_p
    assert np.all(nu0 == 0)  # the caller's warm start is not overwritten
    stat, prim = entropic_kkt(A, b, c, reg, x_c, nu_c)
    assert stat <= 1e-12 and prim <= 1e-9
    # the entropic optimum is unique: both Newtons land on it
    np.testing.assert_allclose(x_c, x_p, rtol=0, atol=1e-8 * np.abs(x_p).max())
    assert abs(k_c - k_p) <= 2  # the same steps, rounding apart


@pytest.mark.parametrize("mode", ["dense", "sparse"])
def test_modes_agree_with_each_other(mode):
    A, b, c = random_lp(3, 60, 150, 0.05)
    ref = newton_engine(A, mode="dense")
    eng = newton_engine(A, mode=mode)
    nu = np.zeros(A.shape[0])
    with np.errstate(over="ignore", under="ignore"):
        _, x1, _, ok1 = newton_stage(A, b, c, 0.1, nu, 1e-11, 200, np.inf, engine=ref)
        _, x2, _, ok2 = newton_stage(A, b, c, 0.1, nu, 1e-11, 200, np.inf, engine=eng)
    assert ok1 and ok2
    np.testing.assert_allclose(x2, x1, rtol=0, atol=1e-9 * np.abs(x1).max())


@pytest.mark.parametrize("make, n_diag", [(lambda: random_lp(4, 20, 60), 0),
                                          (lambda: random_lp(5, 180, 400, 0.02), 0),
                                          (lambda: ot_lp(6, 8, 7), 8)], ids=["dense", "sparse", "ot"])
def test_cpp_path_reaches_the_highs_optimum(make, n_diag):
    A, b, c = make()
    ref = scipy_linprog(c, A_eq=A, b_eq=b, method="highs")
    assert ref.status == 0
    r = path_following(A, b, c, tol=1e-9, newton="cpp", n_diag=n_diag)
    assert r.status == 0, r.message
    assert abs(c @ r.x - ref.fun) <= 1e-7 * max(1.0, abs(ref.fun))
    assert np.abs(A @ r.x - b).max() <= 1e-8 * (1 + np.abs(b).max())


def test_cpp_and_python_paths_agree_at_a_fixed_reg():
    A, b, c = random_lp(7, 25, 70)
    rc = path_following(A, b, c, reg_final=0.02, newton="cpp")
    rp = path_following(A, b, c, reg_final=0.02, newton="python")
    assert rc.status == 0 and rp.status == 0
    np.testing.assert_allclose(rc.x, rp.x, rtol=0, atol=1e-8 * np.abs(rp.x).max())


def test_engine_rejects_bad_input():
    A, b, c = random_lp(8, 5, 10)
    with pytest.raises(ValueError, match="mode"):
        newton_engine(A, mode="fast")
    with pytest.raises(ValueError, match="schur"):
        newton_engine(A, n_diag=3, mode="schur")  # dense rows share columns
    with pytest.raises(ValueError, match="newton"):
        path_following(A, b, c, newton="fortran")
    eng = newton_engine(A)
    with pytest.raises(ValueError, match="b must"):
        eng.stage(np.zeros(4), c, 1.0, np.zeros(5), 1e-9, 1e-8, 10, 1.0, 1.0)


def test_concurrent_calls_are_bit_identical():
    # no process-wide thread limit on the C++ path: calls running at the same time (one of
    # them the Python reference, which sets threadpoolctl's process-wide BLAS limit) give
    # exactly the sequential answers
    from concurrent.futures import ThreadPoolExecutor

    problems = [random_lp(10 + k, 40, 120, 0.1) for k in range(3)]

    def solve(k):
        A, b, c = problems[k]
        return dlnfast.linprog(c, A_eq=A, b_eq=b).x

    def reference(k):
        A, b, c = problems[k]
        return path_following(A, b, c, tol=1e-9, newton="python").x

    seq = [solve(k) for k in range(3)]
    with ThreadPoolExecutor(4) as pool:
        futs = [pool.submit(solve, k % 3) for k in range(6)] + [pool.submit(reference, 0)]
        par = [f.result() for f in futs[:6]]
    for k, x in enumerate(par):
        assert np.array_equal(x, seq[k % 3])


@pytest.mark.parametrize("reg, path", [(0.1, "sweeps"), (0.02, "sweeps"), (0.01, "newton"),
                                       (0.002, "newton"), (1e-3, "lambda path")])
def test_sinkhorn_start_lands_on_the_lambda_path_answer(reg, path):
    # transport at a fixed reg runs Sinkhorn sweeps first: they are the whole solve where they
    # converge fast (marginal error ≤ 1e-12), else Newton continues from them; an underflowing
    # kernel falls back to the λ path from 1. Every way must give the entropic optimum the λ
    # path (no start) reaches.
    from dlnfast.lp._transport import _sinkhorn

    A, rhs, c = ot_lp(11, 9, 8)
    a, b = rhs[:9], np.append(rhs[9:], 1.0 - rhs[9:].sum())
    M = c.reshape(9, 8)
    res = dlnfast.transport(a, b, M, reg)
    ref = path_following(A, rhs, c, reg_final=reg, n_diag=9)
    assert res.status == 0 and ref.status == 0
    np.testing.assert_allclose(res.plan.ravel(), ref.x, rtol=0, atol=1e-8 * ref.x.max())
    # the marginal error from scratch (not the solver's own figure)
    err = np.abs(res.plan.sum(axis=1) - a).sum() + np.abs(res.plan.sum(axis=0) - b).sum()
    assert err == pytest.approx(res.marginal_error, rel=1e-6, abs=1e-15)
    if path == "sweeps":
        assert res.nit == res.sweeps > 0 and err <= 1e-12
    elif path == "newton":  # nit counts the sweeps and the Newton steps after them
        assert res.nit > res.sweeps >= 30 and err <= 1e-8
    else:
        assert res.sweeps == 0 and res.nit > 0
    assert _sinkhorn(np.append(a[:-1], 0.0), b, M, 0.02, 1e-12, 100, np.inf) is None
    assert _sinkhorn(a, b, M + 10.0, 1e-3, 1e-12, 100, np.inf) is None  # exp(−M/λ) underflows


def test_sinkhorn_sweeps_count_against_maxiter():
    # maxiter bounds sweeps and Newton steps together (POT's numItermax counts sweeps)
    A, rhs, c = ot_lp(11, 9, 8)
    a, b = rhs[:9], np.append(rhs[9:], 1.0 - rhs[9:].sum())
    M = c.reshape(9, 8)
    full = dlnfast.transport(a, b, M, 0.02)
    assert full.status == 0 and full.nit > 20
    res = dlnfast.transport(a, b, M, 0.02, maxiter=20, warn=False)
    assert res.status == 1 and res.nit == res.sweeps == 20
    assert res.marginal_error > 1e-12
    res = dlnfast.transport(a, b, M, 0.002, maxiter=32, warn=False)  # 30 sweeps, 2 Newton steps
    assert res.status == 1 and res.nit == 32 and res.sweeps == 30
