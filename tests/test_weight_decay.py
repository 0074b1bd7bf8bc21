"""Weight decay: the penalty (λ/2)·Σ‖factor‖² on the factors, checked against scikit-learn's
Lasso (the induced penalty on β, DESIGN §10) and against the numpy oracle's iterates."""
import numpy as np
import pytest
from sklearn.linear_model import Lasso

from dlnfast import DiagonalLinearRegressor
from dlnfast._reference_factors import factor_reference

LAM = 0.1
# parametrisation → (Lasso alpha, positive): the induced penalty on β of (λ/2)Σ‖factor‖²
#   u⊙v: λ‖β‖₁;  w₊² − w₋²: (λ/2)‖β‖₁;  u⊙u: (λ/2)·1ᵀx on x ≥ 0;  u₊⊙v₊ − u₋⊙v₋: λ‖β‖₁
LASSO = {"uv": (LAM, False), "pm": (LAM / 2, False), "positive": (LAM / 2, True), "shape": (LAM, False)}


def _noisy(rng, n=30, d=50):
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[:4] = [1.0, -2.0, 1.5, 0.7]
    return X, X @ beta + 0.1 * rng.standard_normal(n) + 3.0


def _lasso(X, y, alpha, positive):
    return Lasso(alpha=alpha, positive=positive, tol=1e-14, max_iter=1_000_000).fit(X, y)


@pytest.mark.parametrize("parametrization", sorted(LASSO))
def test_gd_with_weight_decay_converges_to_the_lasso(rng, parametrization):
    X, y = _noisy(rng)
    alpha, positive = LASSO[parametrization]
    ref = _lasso(X, y, alpha, positive)
    errors = []
    for tol in (1e-5, 1e-8):
        model = DiagonalLinearRegressor(parametrization=parametrization, weight_decay=LAM, tol=tol,
                                        init_scale=0.1, max_iter=1_000_000).fit(X, y)
        errors.append(np.abs(model.coef_ - ref.coef_).max() / np.abs(ref.coef_).max())
        assert abs(model.intercept_ - ref.intercept_) <= 10 * errors[-1] * abs(ref.intercept_) + 1e-12
    assert errors[1] <= 1e-6
    # the gap shrinks with tol (the criterion is the lasso's gradient mapping: error ∝ tol)
    assert errors[1] <= 1e-2 * errors[0]
    # the lasso is sparse here, and so is the network: the same support
    assert np.array_equal(np.abs(ref.coef_) > 0, np.abs(model.coef_) > 1e-6)
    if positive:
        assert np.all(model.coef_ >= 0)


def test_weight_decay_with_lambda_above_the_threshold_gives_zero(rng):
    X, y = _noisy(rng)
    model = DiagonalLinearRegressor(parametrization="uv", init_scale=0.1, max_iter=100_000, tol=1e-8)
    yc = y - y.mean()
    lam_max = np.abs((X - X.mean(axis=0)).T @ yc).max() / X.shape[0]  # Lasso is 0 for alpha ≥ this
    model.set_params(weight_decay=1.5 * lam_max).fit(X, y)
    assert np.abs(model.coef_).max() <= 1e-8
    np.testing.assert_allclose(model.intercept_, y.mean(), rtol=1e-10)


@pytest.mark.parametrize("parametrization", ["pm", "uv", "positive"])
@pytest.mark.parametrize("solver,momentum,nesterov,batch", [
    ("gd", 0.0, False, None), ("gd", 0.6, False, None), ("gd", 0.6, True, None), ("sgd", 0.0, False, 4),
    ("sgd", 0.5, False, 1),
])
def test_weight_decay_iterates_match_numpy_reference(rng, parametrization, solver, momentum, nesterov, batch):
    X = rng.standard_normal((20, 15))
    y = X[:, :3] @ np.array([1.0, -1.0, 2.0])
    alpha, eta, lam, n_iter = 0.3, 0.02, 0.2, 40
    theta0 = {"pm": np.full((2, 15), alpha), "uv": np.stack([np.full(15, np.sqrt(2) * alpha), np.zeros(15)]),
              "positive": np.full((1, 15), alpha)}[parametrization]
    model = DiagonalLinearRegressor(parametrization=parametrization, init_scale=alpha, solver=solver,
                                    step_size=eta, weight_decay=lam, momentum=momentum, nesterov=nesterov,
                                    batch_size=batch, shuffle=False, random_state=7, max_iter=n_iter, tol=0.0,
                                    snapshot_iters=np.arange(n_iter + 1), fit_intercept=False)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    from dlnfast._sampling import seed_from_random_state

    ref = factor_reference(X, y, theta0, parametrization=parametrization, step_size=eta, n_iter=n_iter,
                           optimizer="momentum" if momentum else "gd", momentum=momentum, nesterov=nesterov,
                           weight_decay=lam, batch_size=batch, seed=seed_from_random_state(7))
    np.testing.assert_allclose(model.coef_path_, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_weight_decay_is_thread_invariant(rng, real_team):
    X, y = _noisy(rng, n=40, d=60)
    fits = [DiagonalLinearRegressor(parametrization="uv", weight_decay=LAM, max_iter=3000, tol=0.0,
                                    n_jobs=n, init_scale=0.1) for n in (1, 2)]
    for m in fits:
        with pytest.warns(Warning, match="did not converge"):
            m.fit(X, y)
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weight_decay=-1.0), "weight_decay"),
    (dict(weight_decay=0.1, solver="md"), "weight_decay"),
    (dict(weight_decay=0.1, solver="flow"), "weight_decay"),
    (dict(weight_decay=0.1, depth=3), "weight_decay needs depth=2"),
    (dict(weight_decay="big"), "weight_decay"),
])
def test_bad_weight_decay(rng, kwargs, match):
    X, y = _noisy(rng, n=10, d=5)
    with pytest.raises((ValueError, TypeError), match=match):
        DiagonalLinearRegressor(**kwargs).fit(X, y)
