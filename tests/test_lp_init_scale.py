"""linprog's init_scale = α (the paper's u₀ = α^c) is exact in the user's units.

Oracles, sharing no code with dlnfast: a numpy loop of the paper's iteration
u ← u⊙(1 − 2ηAᵀ(A(u⊙u) − b)) from u₀ = α^c, and a numpy damped Newton on the dual of the
entropic LP ``min cᵀy + λ Σ (y log y − y) s.t. Ay = b`` with λ = 1/(2 log(1/α)).
"""
import numpy as np
import pytest

import dlnfast


def lp(seed=0, m=4, n=10, spread=2.0):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.2, 1.0, (m, n)) * 10.0 ** rng.uniform(-spread, spread, n)  # columns of 1e±2
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    return c, A, b


def entropic_optimum(A, b, c, lam):
    """argmin cᵀy + λΣ(y log y − y) s.t. Ay = b: y = exp((Aᵀν − c)/λ), ν by damped Newton on
    the concave dual  bᵀν − λΣ exp((Aᵀν − c)/λ)."""
    nu = np.zeros(A.shape[0])

    def dual(v):
        return b @ v - lam * np.exp((A.T @ v - c) / lam).sum()
    for _ in range(500):
        y = np.exp((A.T @ nu - c) / lam)
        g = b - A @ y
        if np.linalg.norm(g) <= 1e-13 * (1 + np.linalg.norm(b)):
            break
        d = np.linalg.solve((A * y) @ A.T / lam, g)
        t = 1.0
        while dual(nu + t * d) < dual(nu) - 1e-16 * abs(dual(nu)) and t > 1e-12:
            t /= 2
        nu = nu + t * d
    return np.exp((A.T @ nu - c) / lam)


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_scale_false_runs_the_papers_iteration_from_alpha_to_the_c(method):
    c, A, b = lp(0, spread=0.3)
    alpha, eta, iters = 0.2, 1e-3, 2000
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, init_scale=alpha, step_size=eta,
                          scale=False, maxiter=iters, tol=1e-14)
    u = alpha ** c
    for _ in range(iters):
        g = A.T @ (A @ (u * u) - b)
        u = u * (1 - 2 * eta * g) if method == "dln" else u * np.exp(-2 * eta * g)
    assert res.status == 1 and res.nit == iters
    np.testing.assert_allclose(res.x, u * u, rtol=1e-10)
    assert res.reg == pytest.approx(1 / (2 * np.log(1 / alpha)), rel=1e-15)
    assert res.init_scale == alpha and np.all(res.history.reg == res.reg)


@pytest.mark.parametrize("scale", [True, False])
def test_eg_converges_to_the_entropic_lp_in_the_users_units(scale):
    # columns in units 1e-2 … 1e2: Ruiz's column scaling would weight the entropy per column
    c, A, b = lp(1)
    alpha = 0.3
    want = entropic_optimum(A, b, c, 1 / (2 * np.log(1 / alpha)))
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", init_scale=alpha, scale=scale,
                          tol=1e-11)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, want, rtol=1e-6, atol=1e-9 * want.max())
    if scale:  # the same λ through reg (Ruiz-scaled problem) lands elsewhere: that is the point
        lam_hat = res.certificate["reg"]
        other = dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", reg=lam_hat, tol=1e-11)
        assert np.abs(other.x - want).max() > 1e-3 * want.max()


def test_general_form_means_the_entropy_of_the_users_slacks():
    # A_ub x ≤ b_ub: the entropy counts x and the slacks s = b_ub − A_ub x, in the user's units
    c, A, b = lp(2, m=3, n=6, spread=1.0)
    b_ub = b * 1.1
    alpha = 0.25
    lam = 1 / (2 * np.log(1 / alpha))
    S = np.hstack([A, np.eye(3)])
    want = entropic_optimum(S, b_ub, np.concatenate([c, np.zeros(3)]), lam)
    res = dlnfast.linprog(c, A_ub=A, b_ub=b_ub, method="eg", init_scale=alpha, tol=1e-11)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.x, want[:6], rtol=1e-6)
    np.testing.assert_allclose(res.slack, want[6:], rtol=1e-6, atol=1e-6 * b_ub.max())
    # DLN GD (adaptive step) lands on the entropic LP of the cost c + λω and the right-hand
    # side it reached (the certificate), in the user's units too: ω = O(η) is per coordinate
    res = dlnfast.linprog(c, A_ub=A, b_ub=b_ub, method="dln", init_scale=alpha, tol=1e-11)
    assert res.status == 0, res.message
    y = np.concatenate([res.x, res.slack])
    omega = res.certificate["omega"]
    assert omega.max() > 1e-3  # a real perturbation: the check below is not the EG one again
    want_dln = entropic_optimum(S, S @ y, np.concatenate([c, np.zeros(3)]) + lam * omega, lam)
    np.testing.assert_allclose(y, want_dln, rtol=1e-8)


def test_init_scale_is_checked():
    c, A, b = lp(3)
    with pytest.raises(ValueError, match="init_scale applies"):
        dlnfast.linprog(c, A_eq=A, b_eq=b, init_scale=0.1)  # method="newton"
    with pytest.raises(ValueError, match="not both"):
        dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", init_scale=0.1, reg=0.1)
    for bad in (0.0, 1.0, 2.0, -0.5, np.nan, True, "0.1"):
        with pytest.raises(ValueError, match="init_scale must be"):
            dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", init_scale=bad)
