"""The crossover (dlnfast.lp._crossover): pivots from a near-optimal point to an optimal vertex.

Oracle: scipy's HiGHS for the optimum, and the optimality conditions checked here with numpy
(Ax = b, x ≥ 0, c − Aᵀν ≥ 0, cᵀx = bᵀν), sharing nothing with the pivots.
"""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog as scipy_linprog

from dlnfast import _core
from dlnfast.lp._crossover import crossover


def random_lp(seed, m=12, n=30):
    """A feasible, bounded LP min cᵀx s.t. Ax = b, x ≥ 0 (b from a positive x, c dual feasible)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = A.T @ rng.standard_normal(m) + rng.uniform(0.0, 1.0, n)
    return sp.csr_matrix(A), b, c


def assert_optimal(A, b, c, x, nu, ref):
    cs = 1.0 + np.abs(c).max()
    assert np.all(x >= 0)
    assert np.abs(A @ x - b).max() <= 1e-10 * (1.0 + np.abs(b).max())
    assert (c - A.T @ nu).min() >= -1e-10 * cs
    assert abs(c @ x - b @ nu) <= 1e-9 * max(1.0, abs(ref))
    assert abs(c @ x - ref) <= 1e-9 * max(1.0, abs(ref))


@pytest.mark.parametrize("seed", range(6))
def test_a_priced_out_basic_column_comes_back(seed):
    # the path's failure mode: a column of the optimal basis has x ≈ 0 in the start point.
    # Start from HiGHS's vertex with its largest basic column zeroed (Ax = b then fails by
    # that column's share, which the elastic columns carry at the start)
    A, b, c = random_lp(seed)
    ref = scipy_linprog(c, A_eq=A.toarray(), b_eq=b, method="highs")
    assert ref.status == 0
    x0 = ref.x.copy()
    x0[np.argmax(x0)] = 0.0
    out = crossover(A, b, c, 1e4, x0)
    assert out is not None
    x, nu, pivots = out
    assert pivots >= 1
    assert_optimal(A, b, c, x, nu, ref.fun)


def test_from_a_perturbed_interior_point():
    # a strictly positive start near the optimum (as the entropic x is): every column is
    # superbasic, each is moved to 0 or into the basis before the pricing starts
    A, b, c = random_lp(7, m=20, n=60)
    ref = scipy_linprog(c, A_eq=A.toarray(), b_eq=b, method="highs")
    x0 = ref.x + np.random.default_rng(0).uniform(1e-6, 1e-4, c.size)
    x, nu, _ = crossover(A, b, c, 1e4, x0)
    assert_optimal(A, b, c, x, nu, ref.fun)


def test_degenerate_lp_with_redundant_rows_ends_at_an_optimum():
    # a repeated row (B must still be invertible: the elastic column of one copy stays basic at
    # 0) and a degenerate vertex (b = 0 on some rows)
    A, b, c = random_lp(3, m=8, n=20)
    A = sp.vstack([A, A[:2]], format="csr")
    b = np.concatenate([b, b[:2]])
    ref = scipy_linprog(c, A_eq=A.toarray(), b_eq=b, method="highs")
    x, nu, _ = crossover(A, b, c, 1e4, np.zeros(c.size))
    assert_optimal(A, b, c, x, nu, ref.fun)


def test_unbounded_direction_gives_none():
    # min −x₁ s.t. x₁ − x₂ = 0: the ray (1, 1) lowers the cost without end
    A = sp.csr_matrix(np.array([[1.0, -1.0]]))
    assert crossover(A, np.zeros(1), np.array([-1.0, 0.0]), 1e3, np.array([1.0, 1.0])) is None


def test_pivot_limit_gives_none():
    A, b, c = random_lp(1)
    assert crossover(A, b, c, 1e4, np.zeros(c.size), max_pivots=0) is None


def test_infeasible_lp_keeps_elastic_mass():
    # x₁ + x₂ = −1 has no x ≥ 0: the elastic LP's optimum keeps q > 0, so the x returned
    # (elastic part dropped) does not satisfy Ax = b and the caller's measures reject it
    A = sp.csr_matrix(np.array([[1.0, 1.0]]))
    out = crossover(A, np.array([-1.0]), np.array([1.0, 1.0]), 1e3, np.zeros(2))
    assert out is not None
    x, nu, _ = out
    assert abs((A @ x)[0] + 1.0) >= 0.5


def test_dense_inverse_against_numpy_and_singular_is_none():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((40, 40))
    Binv = _core.dense_inverse(B)
    assert np.abs(Binv @ B - np.eye(40)).max() <= 1e-10
    S = B.copy()
    S[:, 3] = S[:, 1] + S[:, 2]
    assert _core.dense_inverse(S) is None
    with pytest.raises(ValueError, match="square"):
        _core.dense_inverse(np.ones((2, 3)))


@pytest.mark.parametrize("seed", [0, 3])
def test_blands_rule_reaches_the_same_optimum(seed, monkeypatch):
    # Bland's rule (smallest entering and leaving index) from the first pivot on
    import dlnfast.lp._crossover as X

    monkeypatch.setattr(X, "_BLAND_AFTER", 0)
    A, b, c = random_lp(seed)
    ref = scipy_linprog(c, A_eq=A.toarray(), b_eq=b, method="highs")
    x, nu, _ = crossover(A, b, c, 1e4, np.zeros(c.size))
    assert_optimal(A, b, c, x, nu, ref.fun)


def test_too_many_rows_is_not_attempted():
    # the dense B⁻¹ of m > 5000 rows is not built
    m = 5001
    A = sp.eye(m, format="csr")
    assert crossover(A, np.ones(m), np.ones(m), 1e3, np.ones(m)) is None
