"""The pieces of the default LP path that speed work touches, each against an independent oracle.

* Ruiz equilibration (`_standard_form._ruiz`, written on the CSR arrays) against a dense numpy
  loop of the textbook iteration: same products in the same order, so equal to the bit.
* The polish (finite termination: guess the optimal face from the entropic point, project onto
  it, accept only a certified pair) on a bundled netlib instance: the certified vertex matches
  HiGHS's optimum and (x, ν) passes the LP optimality conditions, checked here from scratch.
"""
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog as scipy_linprog

import dlnfast
from dlnfast.lp._entropic import best_polish, path_following, support
from dlnfast.lp._standard_form import _ruiz

DATA = Path(__file__).resolve().parent / "data" / "netlib"


def ruiz_dense(M, n_iter=20):
    """Ruiz on a dense array, the plain loop: rows and columns divided by √(their ∞-norm)."""
    M = np.array(M, dtype=float)
    dr, dc = np.ones(M.shape[0]), np.ones(M.shape[1])
    for _ in range(n_iter):
        r = np.sqrt(np.abs(M).max(axis=1, initial=0.0))
        k = np.sqrt(np.abs(M).max(axis=0, initial=0.0))
        r[r == 0] = 1.0
        k[k == 0] = 1.0
        dr /= r
        dc /= k
        M = (M * (1.0 / r)[:, None]) * (1.0 / k)[None, :]
        if max(abs(r - 1).max(initial=0), abs(k - 1).max(initial=0)) < 1e-3:
            break
    return M, dr, dc


@pytest.mark.parametrize("seed", range(12))
def test_ruiz_matches_dense_loop(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 40, 2)
    A = sp.random(m, n, density=rng.uniform(0.02, 0.6), random_state=seed, format="csr")
    # entries over 12 decades, both signs, some empty rows/columns
    A.data = A.data * 10.0 ** rng.uniform(-6, 6, A.data.size) * rng.choice([-1, 1], A.data.size)
    M, dr, dc = _ruiz(A)
    Mr, drr, dcr = ruiz_dense(A.toarray())
    np.testing.assert_array_equal(dr, drr)
    np.testing.assert_array_equal(dc, dcr)
    np.testing.assert_array_equal(M.toarray(), Mr)
    # and it is the scaling it claims: D_r A D_c
    np.testing.assert_allclose(M.toarray(), dr[:, None] * A.toarray() * dc[None, :], rtol=1e-12)


def test_ruiz_duplicate_entries_summed():
    A = sp.csr_matrix((np.array([1.0, 3.0, -8.0]), np.array([0, 0, 1]), np.array([0, 2, 3])),
                      shape=(2, 2))
    M, dr, dc = _ruiz(A)
    Mr, drr, dcr = ruiz_dense(np.array([[4.0, 0.0], [0.0, -8.0]]))
    np.testing.assert_array_equal(M.toarray(), Mr)


def test_polish_certifies_vertex_of_sc50a():
    """sc50a in standard form (equalities, y ≥ 0): the path stops polished; the polished pair
    is primal feasible, dual feasible, complementary, and has HiGHS's optimal value."""
    prob = dlnfast.read_mps(DATA / "sc50a.mps")
    res = dlnfast.linprog(**prob)
    assert res.status == 0 and res.polished
    # the same standard form the solver saw, solved by the path and checked by hand
    from dlnfast.lp._presolve import presolve
    from dlnfast.lp._standard_form import to_standard_form, validate

    c, A_ub, b_ub, A_eq, b_eq, lo, hi = validate(prob["c"], prob.get("A_ub"), prob.get("b_ub"),
                                                 prob.get("A_eq"), prob.get("b_eq"),
                                                 prob.get("bounds", (0, None)))
    pre = presolve(c, A_ub, b_ub, A_eq, b_eq, lo, hi)
    sf = to_standard_form(c, pre.A_ub, pre.b_ub, pre.A_eq, pre.b_eq, pre.lo, pre.hi)
    A, b, cs = sf.A, sf.b, sf.c
    r = path_following(A, b, cs, tol=1e-9)
    assert r.status == 0 and r.polished
    x, nu = r.x, r.nu
    s = cs - A.T @ nu
    assert np.all(x >= 0)
    assert np.abs(A @ x - b).max() <= 1e-9 * (1 + np.abs(b).max())      # primal feasible
    assert s.min() >= -1e-9 * (1 + np.abs(cs).max())                     # dual feasible
    assert abs(s @ x) <= 1e-9 * max(1.0, abs(cs @ x))                     # complementary
    assert abs(cs @ x - b @ nu) <= 1e-9 * max(1e-6, abs(cs @ x))          # no duality gap
    h = scipy_linprog(cs, A_eq=A, b_eq=b, method="highs")
    assert h.status == 0
    assert abs(cs @ x - h.fun) <= 1e-8 * max(1.0, abs(h.fun))
    # a vertex: the columns it uses are linearly independent
    used = np.flatnonzero(x > 0)
    assert np.linalg.matrix_rank(A[:, used].toarray()) == used.size


def test_best_polish_same_face_once():
    """Thresholds that select the same face give one projection, not one per threshold: the
    result equals polishing that face directly."""
    rng = np.random.default_rng(3)
    A = sp.csr_matrix(rng.standard_normal((3, 8)))
    x = np.array([1.0, 0.5, 0.2, 0, 0, 0, 0, 0])  # every threshold picks columns 0..2
    b = A @ x
    c = np.abs(rng.standard_normal(8))
    nu = np.zeros(3)
    faces = {tuple(support(x, t)) for t in (1e-9, 1e-6, 1e-3)}
    assert faces == {(0, 1, 2)}
    xp, _ = best_polish(A, b, c, x, nu)
    np.testing.assert_allclose(A @ xp, b, atol=1e-12)
    np.testing.assert_array_equal(np.flatnonzero(xp), [0, 1, 2])
