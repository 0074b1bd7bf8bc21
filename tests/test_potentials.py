"""Potentials: gradients (check_grad), inverse maps, Bregman divergences, tiny scales.

Oracles are the textbook formulas written out here (safe at moderate scales) and asymptotic
expansions at scales below the float range; none calls the functions they check.
"""
import numpy as np
import pytest
from scipy.optimize import brentq, check_grad

from dlnfast import potentials as P


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _naive_psi(b, a):
    return 0.5 * np.sum(b * np.arcsinh(b / a) - np.sqrt(b * b + a * a) + a)


@pytest.mark.parametrize("a", [1e-3, 0.3, 1.0, 50.0])
def test_hyperbolic_value_matches_textbook_formula(rng, a):
    b = rng.standard_normal(30) * np.logspace(-4, 2, 30)
    # the textbook form loses ~|β|/a·eps where |β| >> a: relative 1e-12 covers it at these scales
    assert P.hyperbolic_entropy(b, a) == pytest.approx(_naive_psi(b, a), rel=1e-12)
    assert P.hyperbolic_entropy(b, log_scale=np.log(a)) == pytest.approx(_naive_psi(b, a), rel=1e-12)


@pytest.mark.parametrize("a", [1e-2, 1.0, 7.0])
def test_hyperbolic_gradient_check_grad(rng, a):
    scale = rng.uniform(0.5, 2.0, 12) * a  # per-coordinate scale
    for _ in range(5):
        b0 = rng.standard_normal(12) * 3 * a
        err = check_grad(lambda b: P.hyperbolic_entropy(b, scale),
                         lambda b: P.hyperbolic_mirror_map(b, scale), b0)
        # finite differences with step 1.5e-8: error ~ step·max Hessian ≈ 1.5e-8/(2·min a)
        assert err <= 1e-5 * max(1.0, 1.0 / a) * np.sqrt(12)


def test_hyperbolic_maps_hessian_and_conjugate(rng):
    a = rng.uniform(0.01, 3.0, 40)
    b = rng.standard_normal(40) * np.logspace(-6, 3, 40)
    z = P.hyperbolic_mirror_map(b, a)
    np.testing.assert_allclose(z, 0.5 * np.arcsinh(b / a), rtol=1e-14, atol=0)
    np.testing.assert_allclose(P.hyperbolic_inverse_mirror_map(z, a), b, rtol=1e-13)
    np.testing.assert_allclose(P.hyperbolic_hessian(b, a), 0.5 / np.sqrt(b * b + a * a), rtol=1e-14)
    np.testing.assert_allclose(P.hyperbolic_inverse_mirror_map_derivative(z, a),
                               2 * np.sqrt(b * b + a * a), rtol=1e-13)
    # Fenchel–Young equality ψ(β) + ψ*(z) = <β, z> at z = ∇ψ(β)
    assert P.hyperbolic_entropy(b, a) + P.hyperbolic_conjugate(z, a) == pytest.approx(b @ z, rel=1e-12)


def test_woodworth_q_is_twice_psi_and_matches_paper_formula(rng):
    alpha = 0.3
    b = rng.standard_normal(20)
    s = b / alpha**2
    q = alpha**2 * np.sum(2 - np.sqrt(4 + s * s) + s * np.arcsinh(s / 2))
    assert P.woodworth_q(b, alpha) == pytest.approx(q, rel=1e-12)
    assert P.woodworth_q(b, alpha) == pytest.approx(2 * _naive_psi(b, 2 * alpha**2), rel=1e-12)
    err = check_grad(lambda v: P.woodworth_q(v, alpha), lambda v: np.arcsinh(v / (2 * alpha**2)), b)
    assert err <= 1e-4  # FD error ~ 1.5e-8 · 1/(2α²)·sqrt(d)


@pytest.mark.parametrize("log_a", [-700.0, -921.0, -5000.0])
def test_hyperbolic_below_float_range_matches_asymptotics(rng, log_a):
    # for |β| >> a: ψ = ½ Σ |β| (log(2|β|/a) − 1) + O(a), ∇ψ = ½ sign(β) log(2|β|/a) + O(a²/β²)
    b = rng.standard_normal(10) * np.logspace(-100, 5, 10)
    expect = 0.5 * np.sum(np.abs(b) * (np.log(2 * np.abs(b)) - log_a - 1))
    assert P.hyperbolic_entropy(b, log_scale=log_a) == pytest.approx(expect, rel=1e-13)
    z = P.hyperbolic_mirror_map(b, log_scale=log_a)
    np.testing.assert_allclose(z, 0.5 * np.sign(b) * (np.log(2 * np.abs(b)) - log_a), rtol=1e-14)
    back = P.hyperbolic_inverse_mirror_map(z, log_scale=log_a)
    np.testing.assert_allclose(back, b, rtol=1e-12)  # no underflow although a itself is 0.0
    assert np.all(np.isfinite(P.hyperbolic_hessian(b, log_scale=log_a)))
    # exact zeros stay exact
    assert P.hyperbolic_entropy(np.zeros(3), log_scale=log_a) == 0.0


def _naive_depth_beta(theta, alpha, D):
    z = D * (D - 2) * alpha ** (D - 2) * theta
    p = D / (D - 2)
    return alpha**D * ((1 - z) ** -p - (1 + z) ** -p)


@pytest.mark.parametrize("D", [3, 4, 6])
def test_depth_maps_match_textbook_formula_and_root_finding(rng, D):
    alpha = 0.4
    c = D * (D - 2) * alpha ** (D - 2)
    theta = rng.uniform(-0.999, 0.999, 25) / c
    beta = P.depth_inverse_mirror_map(theta, alpha, D)
    # the textbook form cancels near z = 0 (relative error eps/|z|): absolute tolerance
    np.testing.assert_allclose(beta, _naive_depth_beta(theta, alpha, D), rtol=1e-11, atol=1e-14)
    # inverse by brentq on the textbook formula
    oracle = [brentq(lambda t, bb=bb: _naive_depth_beta(t, alpha, D) - bb, -1 / c * (1 - 1e-15),
                     1 / c * (1 - 1e-15), xtol=1e-15, rtol=1e-15) for bb in beta]
    np.testing.assert_allclose(P.depth_mirror_map(beta, alpha, D), oracle, rtol=1e-9, atol=1e-13)
    # derivative vs central differences of the textbook map, step 1e-7/c
    h = 1e-7 / c
    inner = np.abs(theta) * c < 0.99
    fd = (_naive_depth_beta(theta + h, alpha, D) - _naive_depth_beta(theta - h, alpha, D)) / (2 * h)
    np.testing.assert_allclose(P.depth_inverse_mirror_map_derivative(theta, alpha, D)[inner],
                               fd[inner], rtol=1e-6)


@pytest.mark.parametrize("D", [3, 5])
def test_depth_potential_gradient_check_grad(rng, D):
    alpha = 0.5
    for _ in range(4):
        b0 = rng.standard_normal(8)
        f = lambda b: P.depth_potential(b, alpha, D)  # noqa: E731
        g = lambda b: P.depth_mirror_map(b, alpha, D)  # noqa: E731
        assert check_grad(f, g, b0) <= 1e-5 * np.linalg.norm(g(b0)) + 1e-6
    np.testing.assert_allclose(
        P.depth_hessian(b0, alpha, D),
        1 / P.depth_inverse_mirror_map_derivative(P.depth_mirror_map(b0, alpha, D), alpha, D),
        rtol=1e-14)


def test_depth_large_beta_keeps_precision_near_the_boundary():
    # β/α^D = 1e30 puts 1 − |z| ~ 1e-10: solved in log(1 − |z|), the round trip is exact to ~eps
    alpha, D = 1e-3, 3
    b = np.array([1e21, -3e21]) * alpha**D
    theta = P.depth_mirror_map(b, alpha, D)
    # rtol 1e-5: θ itself stores 1 − |z| ≈ 1e-10 with absolute error eps, i.e. 1e-6 relative,
    # amplified by p = 3 in β
    np.testing.assert_allclose(P.depth_inverse_mirror_map(theta, alpha, D), b, rtol=1e-5)


def test_positive_entropy_value_gradient_maps(rng):
    alpha = 0.2
    x = rng.uniform(0, 3, 15)
    x0 = alpha**2
    expect = 0.25 * np.sum(x * np.log(x / x0) - x + x0)
    assert P.positive_entropy(x, alpha) == pytest.approx(expect, rel=1e-13)
    err = check_grad(lambda v: P.positive_entropy(v, alpha), lambda v: P.positive_mirror_map(v, alpha),
                     x + 0.5)
    assert err <= 1e-6
    th = P.positive_mirror_map(x, alpha)
    np.testing.assert_allclose(P.positive_inverse_mirror_map(th, alpha), x, rtol=1e-14)
    np.testing.assert_allclose(P.positive_hessian(x, alpha), 1 / (4 * x), rtol=1e-15)
    assert P.positive_entropy(x, alpha) + P.positive_conjugate(th, alpha) == pytest.approx(x @ th, rel=1e-12)
    # α below the float range: x log(x/x₀) = x (log x − 2 log α)
    assert P.positive_entropy(x, log_init_scale=-800.0) == pytest.approx(
        0.25 * np.sum(x * (np.log(x) + 1600.0) - x), rel=1e-14)
    assert P.positive_entropy(np.zeros(4), alpha) == pytest.approx(4 * 0.25 * x0, rel=1e-15)


def _bregman(f, grad, b, b_ref):
    return f(b) - f(b_ref) - grad(b_ref) @ (b - b_ref)


@pytest.mark.parametrize("kind", ["hyperbolic", "hyperbolic_tiny", "woodworth", "depth3", "depth4", "positive"])
def test_bregman_divergences_are_nonnegative(rng, kind):
    funcs = {
        "hyperbolic": (lambda b: P.hyperbolic_entropy(b, 0.1), lambda b: P.hyperbolic_mirror_map(b, 0.1)),
        "hyperbolic_tiny": (lambda b: P.hyperbolic_entropy(b, log_scale=-900.0),
                            lambda b: P.hyperbolic_mirror_map(b, log_scale=-900.0)),
        "woodworth": (lambda b: P.woodworth_q(b, 0.2), lambda b: np.arcsinh(b / 0.08)),
        "depth3": (lambda b: P.depth_potential(b, 0.3, 3), lambda b: P.depth_mirror_map(b, 0.3, 3)),
        "depth4": (lambda b: P.depth_potential(b, 0.3, 4), lambda b: P.depth_mirror_map(b, 0.3, 4)),
        "positive": (lambda b: P.positive_entropy(np.abs(b), 0.3),
                     lambda b: P.positive_mirror_map(np.abs(b), 0.3)),
    }
    f, g = funcs[kind]
    for _ in range(50):
        b, b_ref = rng.standard_normal(6) * 2, rng.standard_normal(6) * 2
        if kind == "positive":
            b, b_ref = np.abs(b), np.abs(b_ref)
        # rounding of values of size |f| allows −1e-12·(|f(b)| + |f(b_ref)|)
        tol = 1e-12 * (abs(f(b)) + abs(f(b_ref)) + abs(g(b_ref) @ (b - b_ref)))
        assert _bregman(f, g, b, b_ref) >= -tol
        assert _bregman(f, g, b, b) == pytest.approx(0.0, abs=tol)


def test_invalid_scales_raise():
    with pytest.raises(ValueError, match="exactly one of `scale` and `log_scale`"):
        P.hyperbolic_entropy([1.0])
    with pytest.raises(ValueError, match="`scale` must be positive"):
        P.hyperbolic_entropy([1.0], scale=0.0)
    with pytest.raises(ValueError, match="`log_init_scale` must be finite"):
        P.woodworth_q([1.0], log_init_scale=np.inf)
    with pytest.raises(ValueError, match="`depth` must be an integer >= 3"):
        P.depth_potential([1.0], 0.1, depth=2)
    with pytest.raises(ValueError, match="domain"):
        P.depth_inverse_mirror_map([10.0], 0.5, depth=3)
    with pytest.raises(ValueError, match="`x` must be non-negative"):
        P.positive_entropy([-1.0], 0.5)
