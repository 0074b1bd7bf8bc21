"""Sharpness (top Hessian eigenvalue in the factors) against a dense Hessian that shares nothing
with the Hessian-vector products it checks: torch autograd where torch is installed (the bench
extra), else complex-step gradients of the objective differenced centrally (CI installs no torch)."""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, sharpness
from dlnfast._reference_factors import factor_reference

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

BETA = {
    "pm2": lambda t: t[0] ** 2 - t[1] ** 2,
    "pm3": lambda t: t[0] ** 3 - t[1] ** 3,
    "uv": lambda t: t[0] * t[1],
    "shape": lambda t: t[0] * t[1] - t[2] * t[3],
    "positive": lambda t: t[0] ** 2,
    "linear": lambda t: t[0],
    "product": lambda t: t[0] * t[1] * t[2],
}
K = {"pm2": 2, "pm3": 2, "uv": 2, "shape": 4, "positive": 1, "linear": 1, "product": 3}


def _objective_data(X, y, sample_weight, fit_intercept):
    w = np.full(X.shape[0], 1.0 / X.shape[0]) if sample_weight is None else sample_weight / sample_weight.sum()
    if fit_intercept:
        X = X - w @ X
        y = y - w @ y
    return X, y, w


def _dense_hessian_torch(X, y, w, theta, key, weight_decay):
    Xt, yt, wt = torch.tensor(X), torch.tensor(y), torch.tensor(w)
    shape = theta.shape

    def objective(flat):
        t = flat.reshape(shape)
        r = Xt @ BETA[key](t) - yt
        return 0.5 * (wt * r * r).sum() + 0.5 * weight_decay * (flat * flat).sum()

    return torch.autograd.functional.hessian(objective, torch.tensor(theta.ravel())).numpy()


def _dense_hessian_complex_step(X, y, w, theta, key, weight_decay):
    """H[:, k] = (∇f(θ + δe_k) − ∇f(θ − δe_k))/(2δ), with ∇f by the complex step Im f(θ + ihe_j)/h
    (exact to rounding for any tiny h: f is a polynomial, so analytic). f has degree ≤ 6, so the
    central difference errs by O(δ²·f⁗) ≈ 1e-12 relative at δ = 1e-6·scale."""
    shape, flat = theta.shape, theta.ravel()
    p = flat.size

    def f(v):  # analytic in v: no abs, no conj
        r = X @ BETA[key](v.reshape(shape)) - y
        return 0.5 * np.sum(w * r * r) + 0.5 * weight_decay * np.sum(v * v)

    def grad(v):
        h = 1e-30
        return np.array([f(v + 1j * h * np.eye(p)[j]).imag / h for j in range(p)])

    delta = 1e-6 * max(1.0, float(np.abs(flat).max()))
    H = np.column_stack([(grad(flat + delta * e) - grad(flat - delta * e)) / (2 * delta) for e in np.eye(p)])
    return 0.5 * (H + H.T)


def dense_top_eigenvalue(X, y, theta, key, weight_decay, sample_weight, fit_intercept):
    X, y, w = _objective_data(np.asarray(X, float), np.asarray(y, float), sample_weight, fit_intercept)
    dense = _dense_hessian_torch if torch is not None else _dense_hessian_complex_step
    return float(np.linalg.eigvalsh(dense(X, y, w, theta, key, weight_decay))[-1])


@pytest.mark.skipif(torch is None, reason="compares the two dense oracles; needs torch")
def test_the_two_dense_oracles_agree(rng):
    X, y = rng.standard_normal((6, 4)), rng.standard_normal(6)
    theta = rng.standard_normal((3, 4))
    w = np.full(6, 1 / 6)
    a = _dense_hessian_torch(X, y, w, theta, "product", 0.2)
    b = _dense_hessian_complex_step(X, y, w, theta, "product", 0.2)
    assert np.abs(a - b).max() <= 1e-8 * np.abs(a).max()


@pytest.mark.parametrize("key", sorted(BETA))
@pytest.mark.parametrize("weight_decay,weighted,intercept", [(0.0, False, False), (0.3, True, True)])
def test_sharpness_equals_dense_hessian_eigenvalue(rng, key, weight_decay, weighted, intercept):
    n, d = 15, 9
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    theta = rng.uniform(0.2, 1.2, size=(K[key], d)) * rng.choice([-1.0, 1.0], size=(K[key], d))
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    expected = dense_top_eigenvalue(X, y, theta, key, weight_decay, sw, intercept)
    parametrization = {"pm2": "pm", "pm3": "pm"}.get(key, key)
    got = sharpness(X, y, tuple(theta), parametrization=parametrization, depth=3 if key == "pm3" else 2,
                    weight_decay=weight_decay, sample_weight=sw, fit_intercept=intercept)
    assert abs(got - expected) <= 1e-8 * abs(expected)


@pytest.mark.parametrize("parametrization,solver", [("uv", "gd"), ("pm", "gd"), ("uv", "adam"), ("linear", "gd")])
def test_sharpness_curve_is_the_sharpness_along_the_reference_trajectory(rng, parametrization, solver):
    n, d, eta, n_iter, every = 12, 20, 0.05 if solver == "gd" else 0.01, 60, 20
    X = rng.standard_normal((n, d))
    y = X[:, :2] @ np.array([2.0, -1.0])
    model = DiagonalLinearRegressor(parametrization=parametrization, solver=solver, init_scale=0.5, step_size=eta,
                                    max_iter=n_iter, tol=0.0, sharpness_every=every, fit_intercept=False)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.sharpness_iters_, [0, 20, 40, 60])
    theta0 = {"uv": np.stack([np.full(d, 0.5 * np.sqrt(2)), np.zeros(d)]), "pm": np.full((2, d), 0.5),
              "linear": np.zeros((1, d))}[parametrization]
    _, factors = factor_reference(X, y, theta0, parametrization=parametrization, step_size=eta, n_iter=n_iter,
                                  optimizer=solver, return_factors=True)
    key = {"pm": "pm2"}.get(parametrization, parametrization)
    expected = [dense_top_eigenvalue(X, y, factors[k], key, 0.0, None, False) for k in model.sharpness_iters_]
    np.testing.assert_allclose(model.sharpness_curve_, expected, rtol=1e-8)
    assert model.sharpness_curve_[-1] == pytest.approx(
        sharpness(X, y, model.weights_, parametrization=parametrization), rel=1e-10)


def test_gd_converges_only_where_sharpness_is_below_two_over_eta(rng):
    """A fixed point of GD with step η is stable only if λ_max(H) ≤ 2/η: the minimum a
    converged run reports must satisfy it."""
    X = rng.standard_normal((10, 30))
    y = X[:, :3] @ np.array([1.5, -1.0, 2.0])
    for eta in (0.02, 0.05):
        model = DiagonalLinearRegressor(parametrization="uv", init_scale=0.1, step_size=eta, max_iter=200_000,
                                        tol=1e-8, fit_intercept=False, sharpness_every=200_000).fit(X, y)
        s = sharpness(X, y, model.weights_, parametrization="uv")
        assert s <= 2.0 / eta
        assert model.sharpness_curve_[-1] == pytest.approx(s, rel=1e-10)


@pytest.mark.parametrize("kwargs,match", [
    (dict(factors=(np.ones(3),), parametrization="uv"), "factors"),
    (dict(factors=(np.ones(3), np.ones(3)), parametrization="nope"), "parametrization"),
    (dict(factors=(np.ones(3), np.full(3, np.nan))), "finite"),
    (dict(factors=(np.ones(3), np.ones(3)), weight_decay=-1.0), "weight_decay"),
    (dict(factors=(np.ones(3), np.ones(3)), depth=1), "depth"),
    (dict(factors=(np.ones(3), np.ones(3)), sample_weight=np.ones(2)), "sample_weight"),
])
def test_bad_sharpness_input(kwargs, match):
    X = np.arange(15.0).reshape(5, 3)
    y = np.ones(5)
    with pytest.raises((ValueError, TypeError), match=match):
        sharpness(X, y, **kwargs)


def test_sharpness_every_needs_a_factor_solver():
    with pytest.raises(ValueError, match="sharpness_every"):
        DiagonalLinearRegressor(solver="md", sharpness_every=10).fit(np.eye(3), np.ones(3))
