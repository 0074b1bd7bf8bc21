"""Divergence of the LP dynamics is detected and named, for every method and step rule, and
‖A‖₂² is computed only where a step rule needs it (and then without a dense SVD).

Oracles: the definition of divergence (a fixed step far past 2/L, where L is the curvature
of f at the start, makes f grow), numpy's dense 2-norm for ‖A‖₂.
"""
import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import dlnfast
from dlnfast.lp._linprog import cheap_norm_sq_bound, spectral_norm_sq


def lp(seed=0, m=20, n=60, scale=10.0):
    rng = np.random.default_rng(seed)
    A = scale * rng.standard_normal((m, n))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    return c, A, b


@pytest.mark.parametrize("method", ["dln", "eg"])
@pytest.mark.parametrize("eta", [1e-3, 2e-3, 1e-1])
def test_too_large_fixed_step_is_reported_with_the_step(method, eta):
    # scale=False: the step acts on the user's A (‖A‖₂² ≈ 1.4e4), far past stable at these η
    c, A, b = lp()
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, reg=0.5, step_size=eta,
                          scale=False, maxiter=20_000)
    assert res.status == 4, res.message
    assert f"η = {eta:.3e}" in res.message and "step_size" in res.message
    assert not res.success
    # (pytest turns warnings into errors: no numpy overflow warning leaks out of a diverged run)


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_a_stable_fixed_step_is_not_called_divergent(method):
    c, A, b = lp()
    L = np.linalg.norm(A, 2) ** 2
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, reg=0.5, step_size=0.02 / L,
                          scale=False, maxiter=2000)
    assert res.status in (0, 1), res.message


@pytest.mark.parametrize("method", ["dln", "eg"])
@pytest.mark.parametrize("rule", ["paper", "adaptive"])
def test_step_rules_do_not_diverge(method, rule):
    c, A, b = lp(1, 8, 20, 1.0)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, reg=0.5, step_rule=rule,
                          maxiter=20_000)
    assert res.status in (0, 1), res.message


@pytest.mark.parametrize("m, n", [(5, 9), (150, 400)])
def test_norm_bound_matches_the_dense_two_norm(m, n):
    A = sp.random(m, n, density=0.2, random_state=np.random.RandomState(m), format="csr")
    with threadpool_limits(1):  # a threaded dense SVD on a busy machine takes seconds
        exact = np.linalg.norm(A.toarray(), 2) ** 2
    got = spectral_norm_sq(A)  # Lanczos (svds) on the larger one
    assert exact <= got <= exact * (1 + 1e-5)
    cheap = cheap_norm_sq_bound(A)
    assert cheap >= exact * (1 - 1e-12)


@pytest.mark.parametrize("method", ["newton", "eg"])
def test_unbounded_lp_with_reg_gives_the_entropic_optimum(method):
    # min −x1 s.t. x1 = x2, x ≥ 0 is unbounded, but its entropic problem
    # min −t + λ·2(t log t − t) (x1 = x2 = t) has the finite optimum t = exp(1/(2λ))
    reg = 0.1
    res = dlnfast.linprog([-1, 0], A_eq=[[1, -1]], b_eq=[0], reg=reg, method=method,
                          scale=False, tol=1e-12)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, np.exp(1 / (2 * reg)), rtol=1e-6)
    # without reg the LP itself is solved, and it is unbounded
    assert dlnfast.linprog([-1, 0], A_eq=[[1, -1]], b_eq=[0], method=method).status == 3
