"""implicit_bias_limit against independent oracles: SLSQP on the textbook potentials, basis
pursuit and non-negative min-ℓ1 from HiGHS (scipy.optimize.linprog), scipy.optimize.nnls, and the
factor gradient flow integrated by scipy's solve_ivp (depth D)."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import linprog, minimize, nnls

from dlnfast import implicit_bias_limit


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def _sparse_instance(rng, n, d, k, nonneg=False):
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    idx = rng.choice(d, k, replace=False)
    vals = rng.uniform(0.5, 2.0, k)
    beta[idx] = vals if nonneg else vals * rng.choice([-1.0, 1.0], k)
    return X, X @ beta, beta


def _basis_pursuit(X, y, nonneg=False, cost=None):
    d = X.shape[1]
    if nonneg:
        res = linprog(np.ones(d) if cost is None else cost, A_eq=X, b_eq=y, bounds=(0, None), method="highs")
        return res.x
    c = np.ones(2 * d) if cost is None else np.r_[cost, cost]
    res = linprog(c, A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    return res.x[:d] - res.x[d:]


def _unique_bp(X, y, nonneg, rng):
    # uniqueness check: the optimum is unchanged under small random perturbations of the cost
    base = _basis_pursuit(X, y, nonneg)
    for _ in range(3):
        other = _basis_pursuit(X, y, nonneg, cost=1 + 1e-4 * rng.uniform(-1, 1, X.shape[1]))
        assert np.max(np.abs(other - base)) <= 1e-7
    return base


def _naive_psi(b, a):
    return 0.5 * np.sum(b * np.arcsinh(b / a) - np.sqrt(b * b + a * a) + a)


def _slsqp(f, grad, X, y, x0, bounds=None):
    res = minimize(f, x0, jac=grad, method="SLSQP", bounds=bounds,
                   constraints=[{"type": "eq", "fun": lambda b: X @ b - y, "jac": lambda b: X}],
                   options={"ftol": 1e-13, "maxiter": 500})
    assert res.success, res.message
    return res.x


# SLSQP reaches ~1e-7 relative on these well-conditioned problems; 1e-5 leaves margin.
SLSQP_RTOL = 1e-5


@pytest.mark.parametrize("alpha", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_limit_matches_slsqp_hyperbolic(rng, alpha, parametrization):
    n, d = 10, 40
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    a = 2 * alpha**2 if parametrization == "pm" else alpha**2
    ref = _slsqp(lambda b: _naive_psi(b, a), lambda b: 0.5 * np.arcsinh(b / a), X, y,
                 np.linalg.lstsq(X, y, rcond=None)[0])
    res = implicit_bias_limit(X, y, init_scale=alpha, parametrization=parametrization)
    assert res.converged
    assert res.interpolation_residual <= 1e-10
    assert res.mirror_residual <= 1e-12  # certificate: ∇Φ(β) ∈ range(Xᵀ) to rounding
    np.testing.assert_allclose(res.coef, ref, rtol=0, atol=SLSQP_RTOL * np.max(np.abs(ref)))


def test_limit_matches_slsqp_general_uv_init_bregman(rng):
    n, d, alpha = 8, 30, 0.7
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    cu, cv = rng.uniform(0.5, 1.5, d), rng.uniform(-1.0, 1.0, d)
    a = alpha**2 * np.abs(cu**2 - cv**2) / 2
    b0 = alpha**2 * cu * cv
    g0 = 0.5 * np.arcsinh(b0 / a)
    f = lambda b: _naive_psi(b, a) - g0 @ b  # noqa: E731  (Bregman divergence up to a constant)
    ref = _slsqp(f, lambda b: 0.5 * np.arcsinh(b / a) - g0, X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    res = implicit_bias_limit(X, y, init_scale=alpha, parametrization="uv", init_shape=(cu, cv))
    assert res.mirror_residual <= 1e-12
    np.testing.assert_allclose(res.coef, ref, rtol=0, atol=SLSQP_RTOL * np.max(np.abs(ref)))


def test_limit_matches_slsqp_unbalanced_pm_bregman(rng):
    # w₊ = αa, w₋ = αb: w₊w₋ is conserved, Φ = ½ψ with scale 2α²ab, reference β₀ = α²(a² − b²)
    n, d, alpha = 8, 30, 0.6
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    a, b = rng.uniform(0.3, 2.0, d), rng.uniform(0.3, 2.0, d)
    s = 2 * alpha**2 * a * b
    g0 = 0.5 * np.arcsinh(alpha**2 * (a * a - b * b) / s)
    f = lambda v: _naive_psi(v, s) - g0 @ v  # noqa: E731
    ref = _slsqp(f, lambda v: 0.5 * np.arcsinh(v / s) - g0, X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    res = implicit_bias_limit(X, y, init_scale=alpha, init_shape=(a, b))
    assert res.mirror_residual <= 1e-12
    np.testing.assert_allclose(res.coef, ref, rtol=0, atol=SLSQP_RTOL * np.max(np.abs(ref)))


def test_shape_scale_is_sum_of_squares_not_product(rng):
    n, d, alpha, cu, cv = 8, 30, 0.5, 1.5, 0.2
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    x0 = np.linalg.lstsq(X, y, rcond=None)[0]
    a_right = alpha**2 * (cu**2 + cv**2)
    a_wrong = alpha**2 * cu * cv
    right = _slsqp(lambda b: _naive_psi(b, a_right), lambda b: 0.5 * np.arcsinh(b / a_right), X, y, x0)
    wrong = _slsqp(lambda b: _naive_psi(b, a_wrong), lambda b: 0.5 * np.arcsinh(b / a_wrong), X, y, x0)
    res = implicit_bias_limit(X, y, init_scale=alpha, parametrization="shape", init_shape=(cu, cv))
    scale = np.max(np.abs(right))
    np.testing.assert_allclose(res.coef, right, rtol=0, atol=SLSQP_RTOL * scale)
    assert np.max(np.abs(res.coef - wrong)) >= 1e-2 * scale  # clearly a different point


def test_pm_equals_uv_with_sqrt2_scale(rng):
    # pm at α has Φ = ½ψ_{2α²}; uv at α' has ψ_{α'²}: same minimiser when α' = √2α
    X = rng.standard_normal((12, 60))
    y = rng.standard_normal(12)
    a = implicit_bias_limit(X, y, init_scale=1e-3, parametrization="pm").coef
    b = implicit_bias_limit(X, y, init_scale=np.sqrt(2) * 1e-3, parametrization="uv").coef
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * np.max(np.abs(a)))


def test_positive_matches_slsqp_entropy(rng):
    n, d, alpha = 8, 30, 0.8
    X = rng.standard_normal((n, d))
    xs = rng.uniform(0.2, 1, d)
    y = X @ xs  # strictly feasible; SLSQP starts there
    x0 = alpha**2
    f = lambda x: 0.25 * np.sum(np.where(x > 0, x * np.log(np.maximum(x, 1e-300) / x0), 0) - x)  # noqa: E731
    g = lambda x: 0.25 * np.log(np.maximum(x, 1e-300) / x0)  # noqa: E731
    ref = _slsqp(f, g, X, y, xs, bounds=[(1e-12, None)] * d)
    res = implicit_bias_limit(X, y, init_scale=alpha, parametrization="positive")
    assert res.converged and np.all(res.coef > 0)
    np.testing.assert_allclose(res.coef, ref, rtol=0, atol=SLSQP_RTOL * np.max(ref))


@pytest.mark.parametrize("scale", [{"init_scale": 1e-100}, {"init_scale": 1e-300}, {"log_init_scale": -1000.0}])
def test_tiny_scale_limit_is_basis_pursuit(rng, scale):
    X, y, _ = _sparse_instance(rng, 25, 80, 4)
    bp = _unique_bp(X, y, False, rng)
    res = implicit_bias_limit(X, y, tol=1e-12, **scale)
    assert res.converged and res.n_stages > 1  # reached through continuation
    # off-support entries are a^{δ} small (δ: strict-complementarity margin), the support solves
    # X_S β_S = y up to tol=1e-12: 1e-8 is the bar
    assert np.max(np.abs(res.coef - bp)) <= 1e-8
    assert np.all(np.isfinite(res.mirror_coef))
    assert res.mirror_residual <= 1e-12


def test_distance_to_basis_pursuit_falls_with_scale(rng):
    X, y, _ = _sparse_instance(rng, 20, 60, 3)
    bp = _unique_bp(X, y, False, rng)
    dist = [np.linalg.norm(implicit_bias_limit(X, y, init_scale=al).coef - bp) for al in [1.0, 1e-1, 1e-2, 1e-4]]
    assert all(d2 < 0.5 * d1 for d1, d2 in zip(dist, dist[1:]))


def test_positive_small_scale_is_min_l1_nonnegative_interpolator(rng):
    X, y, _ = _sparse_instance(rng, 25, 80, 4, nonneg=True)
    ref = _unique_bp(X, y, True, rng)
    for kw in ({"init_scale": 1e-100}, {"log_init_scale": -2000.0}):
        res = implicit_bias_limit(X, y, parametrization="positive", tol=1e-12, **kw)
        assert res.converged and np.all(res.coef >= 0)
        assert np.max(np.abs(res.coef - ref)) <= 1e-8


def test_positive_agrees_with_nnls_overdetermined(rng):
    # n > d, full column rank, y = X x* with x* > 0: nnls interpolates and the interpolator is
    # unique, so every scale lands on it
    X = rng.standard_normal((40, 15))
    xs = rng.uniform(0.2, 2.0, 15)
    y = X @ xs
    ref, rnorm = nnls(X, y)
    assert rnorm <= 1e-10 * np.linalg.norm(y)
    for alpha in [1.0, 1e-3]:
        res = implicit_bias_limit(X, y, init_scale=alpha, parametrization="positive")
        np.testing.assert_allclose(res.coef, ref, rtol=1e-8)


def test_positive_agrees_with_nnls_unique_sparse(rng):
    # n < d, but a row of ones makes the sparse non-negative solution the only one (the feasible
    # polytope is a point, checked by LP in random directions)
    n, d = 15, 40
    X = np.vstack([np.ones(d), rng.standard_normal((n - 1, d))])
    xs = np.zeros(d)
    xs[rng.choice(d, 2, replace=False)] = [1.0, 0.5]
    y = X @ xs
    for _ in range(3):
        c = rng.standard_normal(d)
        lo = linprog(c, A_eq=X, b_eq=y, bounds=(0, None), method="highs").x
        hi = linprog(-c, A_eq=X, b_eq=y, bounds=(0, None), method="highs").x
        assert np.max(np.abs(lo - hi)) <= 1e-9  # feasible set is a single point
    ref, rnorm = nnls(X, y)
    assert rnorm <= 1e-10 * np.linalg.norm(y)
    res = implicit_bias_limit(X, y, init_scale=0.5, parametrization="positive", tol=1e-12)
    np.testing.assert_allclose(res.coef, ref, rtol=0, atol=1e-8)


def _depth_flow(X, y, alpha, D, T):
    n, d = X.shape

    def f(t, w):
        wp, wm = w[:d], w[d:]
        g = X.T @ (X @ (wp**D - wm**D) - y) / n
        return np.r_[-D * wp ** (D - 1) * g, D * wm ** (D - 1) * g]

    sol = solve_ivp(f, (0, T), np.full(2 * d, alpha), method="LSODA", rtol=1e-12, atol=1e-14)
    w = sol.y[:, -1]
    return w[:d] ** D - w[d:] ** D


def test_depth3_limit_matches_integrated_factor_flow(rng):
    n, d, alpha = 6, 15, 0.5
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    flow = _depth_flow(X, y, alpha, 3, 2000.0)
    assert np.linalg.norm(X @ flow - y) <= 1e-7 * np.linalg.norm(y)  # the flow has converged
    res = implicit_bias_limit(X, y, init_scale=alpha, depth=3)
    assert res.mirror_residual <= 1e-10
    np.testing.assert_allclose(res.coef, flow, rtol=0, atol=1e-6 * np.max(np.abs(flow)))


def test_depth3_distance_to_basis_pursuit_falls_with_scale(rng):
    X, y, _ = _sparse_instance(rng, 20, 60, 3)
    bp = _unique_bp(X, y, False, rng)
    dist = []
    for al in [0.3, 1e-1, 1e-2, 1e-3]:
        res = implicit_bias_limit(X, y, init_scale=al, depth=3)
        assert res.converged
        dist.append(np.linalg.norm(res.coef - bp))
    assert all(d2 < 0.5 * d1 for d1, d2 in zip(dist, dist[1:]))


def test_invariants_permutation_and_sign(rng):
    X = rng.standard_normal((10, 30))
    y = rng.standard_normal(10)
    perm = rng.permutation(30)
    base = implicit_bias_limit(X, y, init_scale=0.05).coef
    np.testing.assert_allclose(implicit_bias_limit(X[:, perm], y, init_scale=0.05).coef, base[perm],
                               rtol=0, atol=1e-10 * np.max(np.abs(base)))
    np.testing.assert_allclose(implicit_bias_limit(X, -y, init_scale=0.05).coef, -base,
                               rtol=0, atol=1e-10 * np.max(np.abs(base)))


def test_invalid_arguments_raise(rng):
    X = rng.standard_normal((5, 10))
    y = rng.standard_normal(5)
    with pytest.raises(ValueError, match="exactly one of `init_scale` and `log_init_scale`"):
        implicit_bias_limit(X, y)
    with pytest.raises(ValueError, match="`parametrization` must be one of"):
        implicit_bias_limit(X, y, init_scale=1.0, parametrization="xy")
    with pytest.raises(ValueError, match="`depth` must be an integer >= 2"):
        implicit_bias_limit(X, y, init_scale=1.0, depth=1)
    with pytest.raises(ValueError, match="`depth` >= 3"):
        implicit_bias_limit(X, y, init_scale=1.0, depth=3, parametrization="uv")
    with pytest.raises(ValueError, match="`init_shape` needs depth=2"):
        implicit_bias_limit(X, y, init_scale=1.0, depth=3, init_shape=(1.0, 1.0))
    with pytest.raises(ValueError, match="a² ≠ b²"):
        implicit_bias_limit(X, y, init_scale=1.0, parametrization="uv", init_shape=(1.0, 1.0))
    with pytest.raises(ValueError, match="must be positive here"):
        implicit_bias_limit(X, y, init_scale=1.0, parametrization="pm", init_shape=(1.0, 0.0))
    with pytest.raises(ValueError, match="must be None or a pair"):
        implicit_bias_limit(X, y, init_scale=1.0, parametrization="shape", init_shape=1.0)
    with pytest.raises(ValueError, match="`y` must be a 1-D array"):
        implicit_bias_limit(X, y[:3], init_scale=1.0)
    with pytest.raises(ValueError, match="not in the range"):
        implicit_bias_limit(np.ones((3, 2)), np.array([1.0, 2.0, 3.0]), init_scale=1.0)
    with pytest.raises(ValueError, match="`init_scale` must be a scalar or an array"):
        implicit_bias_limit(X, y, init_scale=np.ones(3))
