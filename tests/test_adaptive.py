"""Adaptive methods (Adam, AdaGrad, RMSProp) on the factors, and the linear model: iterates vs
the numpy oracle, and where they land on over-parametrised least squares (Shah et al. 2020)."""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, _engine, _factors
from dlnfast._reference_factors import factor_reference
from dlnfast._sampling import seed_from_random_state

ALPHA = 0.3


def _theta0(parametrization, d, depth):
    """The estimator's documented starts, written out independently of _parametrizations."""
    if parametrization == "pm":
        return np.full((2, d), ALPHA)
    if parametrization == "uv":
        return np.stack([np.full(d, np.sqrt(2) * ALPHA), np.zeros(d)])
    if parametrization == "positive":
        return np.full((1, d), ALPHA)
    if parametrization == "product":
        return np.full((depth, d), ALPHA)
    return np.zeros((1, d))  # linear: from 0


NETWORKS = [("pm", 2), ("pm", 3), ("uv", 2), ("positive", 2), ("product", 3), ("linear", 2)]


@pytest.mark.parametrize("solver", ["adam", "adagrad", "rmsprop"])
@pytest.mark.parametrize("parametrization,depth,batch,weight_decay", [
    (p, D, batch, lam) for p, D in NETWORKS for batch, lam in ((None, 0.0), (None, 0.1), (5, 0.0))
    if not (lam and D >= 3)
])
def test_adaptive_iterates_match_numpy_reference(rng, solver, parametrization, depth, batch, weight_decay):
    X = rng.standard_normal((20, 12))
    y = X[:, :3] @ np.array([1.0, -1.0, 2.0]) + 0.5
    # beta_2 = 0.99, not smaller: with 0.95, RMSProp on the product network divides by a √s that
    # has decayed while G passes near 0 (iteration ~30), and a 1e-15 relative change of X moves
    # its iterates by 5e-9 (measured with the oracle alone): the run itself is ill-conditioned there.
    eta, n_iter = 0.01, 40
    model = DiagonalLinearRegressor(parametrization=parametrization, depth=depth, init_scale=ALPHA, solver=solver,
                                    step_size=eta, beta_1=0.8, beta_2=0.99, epsilon=1e-7,
                                    weight_decay=weight_decay, batch_size=batch, shuffle=True, random_state=3,
                                    max_iter=n_iter, tol=0.0, snapshot_iters=np.arange(n_iter + 1))
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    ref = factor_reference(X, y, _theta0(parametrization, 12, depth), parametrization=parametrization,
                           depth=depth, step_size=eta, n_iter=n_iter, optimizer=solver, beta_1=0.8, beta_2=0.99,
                           epsilon=1e-7, weight_decay=weight_decay, batch_size=batch, shuffle=True,
                           seed=seed_from_random_state(3), fit_intercept=True)
    np.testing.assert_allclose(model.coef_path_, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    # the reported factors reproduce β
    factors = np.array(model.weights_)
    beta = {"pm": lambda f: f[0] ** depth - f[1] ** depth, "uv": lambda f: f[0] * f[1],
            "positive": lambda f: f[0] ** 2, "product": lambda f: np.prod(f, axis=0),
            "linear": lambda f: f[0]}[parametrization](factors)
    np.testing.assert_allclose(beta, model.coef_, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("parametrization,depth", [("linear", 2), ("product", 3)])
@pytest.mark.parametrize("solver,batch", [("gd", None), ("sgd", 4)])
@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.7, False), (0.7, True)])
def test_plain_steps_on_linear_and_product_match_numpy_reference(rng, parametrization, depth, solver, batch,
                                                                  momentum, nesterov):
    X = rng.standard_normal((20, 12))
    y = X[:, :3] @ np.array([1.0, -1.0, 2.0])
    eta, n_iter = 0.02, 40
    model = DiagonalLinearRegressor(parametrization=parametrization, depth=depth, init_scale=ALPHA, solver=solver,
                                    step_size=eta, batch_size=batch, shuffle=False, random_state=1, max_iter=n_iter,
                                    momentum=momentum, nesterov=nesterov,
                                    tol=0.0, snapshot_iters=np.arange(n_iter + 1), fit_intercept=False)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    ref = factor_reference(X, y, _theta0(parametrization, 12, depth), parametrization=parametrization, depth=depth,
                           step_size=eta, n_iter=n_iter, batch_size=batch, seed=seed_from_random_state(1),
                           optimizer="momentum" if momentum else "gd", momentum=momentum, nesterov=nesterov)
    np.testing.assert_allclose(model.coef_path_, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_adagrad_norm_iterates_match_numpy_reference(rng):
    X = rng.standard_normal((15, 25))
    y = rng.standard_normal(15)
    problem = _engine.make_problem(X, y, None, False)
    state = _factors.FactorState("uv", 2, np.stack([np.full(25, 0.4), np.full(25, 0.1)]))
    theta0 = state.factors.copy()
    run = _factors.run_factors(problem, state, solver="adagrad_norm", step_size=0.05, max_iter=30, tol=0.0,
                               n_threads=1, snapshot_iters=np.arange(31))
    ref = factor_reference(X, y, theta0, parametrization="uv", step_size=0.05, n_iter=30, optimizer="adagrad_norm")
    np.testing.assert_allclose(run.snapshots, ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_where_adaptive_methods_land_on_the_linear_model(rng):
    """From 0 with d > n: GD stays in range(Xᵀ) and ends at pinv·y; AdaGrad and Adam interpolate
    elsewhere (their diagonal preconditioner leaves the span); AdaGrad-norm, a scalar
    preconditioner, stays in the span and ends at pinv·y too."""
    n, d = 10, 30
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    pinv = np.linalg.pinv(X) @ y
    tol = 1e-12

    def fit(solver, step):
        return DiagonalLinearRegressor(parametrization="linear", solver=solver, step_size=step, tol=tol,
                                       max_iter=500_000, fit_intercept=False).fit(X, y).coef_

    gd = fit("gd", "auto")
    assert np.linalg.norm(gd - pinv) <= 1e-8 * np.linalg.norm(pinv)
    for solver, step in (("adagrad", 0.1), ("adam", 1e-3)):
        beta = fit(solver, step)
        assert np.linalg.norm(X @ beta - y) <= 1e-8 * np.linalg.norm(y)  # an interpolator
        assert np.linalg.norm(beta - pinv) >= 1e-2 * np.linalg.norm(pinv)  # but not the minimum-ℓ2 one
        assert np.linalg.norm(beta) > np.linalg.norm(pinv)
    problem = _engine.make_problem(X, y, None, False)
    state = _factors.FactorState("linear", 1, np.zeros((1, d)))
    run = _factors.run_factors(problem, state, solver="adagrad_norm", step_size=1.0, max_iter=500_000, tol=tol,
                               n_threads=1)
    assert run.result.stopped_by == "tol"
    assert np.linalg.norm(run.coef - pinv) <= 1e-8 * np.linalg.norm(pinv)


def test_adaptive_is_thread_invariant(rng, real_team):
    X = rng.standard_normal((40, 3000))
    y = X[:, :5] @ np.ones(5)
    fits = [DiagonalLinearRegressor(parametrization="uv", solver="adam", step_size=1e-2, max_iter=30, tol=0.0,
                                    n_jobs=n, weight_decay=0.01) for n in (1, 2)]
    for m in fits:
        with pytest.warns(Warning, match="did not converge"):
            m.fit(X, y)
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


def test_adaptive_attributes_and_warm_start(rng):
    X = rng.standard_normal((20, 8))
    y = X @ rng.standard_normal(8)
    model = DiagonalLinearRegressor(parametrization="uv", solver="adam", max_iter=5, tol=0.0, warm_start=True)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    assert model.effective_init_scale_ is None and model.gain_ is None and model.lambda_max_ is None
    assert model.step_size_ == 1e-3  # "auto": Adam's default learning rate
    first = np.array(model.weights_)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)  # continues from the factors (moments restart)
    assert not np.array_equal(np.array(model.weights_), first)
    assert model.n_iter_ == 5


@pytest.mark.parametrize("kwargs,match", [
    (dict(solver="adam", beta_1=1.0), "beta_1"),
    (dict(solver="adam", beta_2=-0.1), "beta_2"),
    (dict(solver="adam", epsilon=0.0), "epsilon"),
    (dict(solver="adam", parametrization="shape"), "shape"),
    (dict(solver="adam", momentum=0.5), "momentum"),
    (dict(parametrization="linear", solver="md"), "linear"),
    (dict(parametrization="product", depth=3, solver="md"), "product"),
    (dict(parametrization="linear", init_shape=(1.0, 1.0)), "init_shape"),
    (dict(parametrization="product", depth=3, init_shape=[1.0, 2.0]), "init_shape"),
    (dict(solver="adam", label_noise=0.1), "label_noise"),
    (dict(solver="nadam"), "solver"),
])
def test_bad_adaptive_options(rng, kwargs, match):
    X = rng.standard_normal((10, 5))
    y = rng.standard_normal(10)
    with pytest.raises((ValueError, TypeError), match=match):
        DiagonalLinearRegressor(**kwargs).fit(X, y)


def test_adam_divergence_is_an_error(rng):
    X = rng.standard_normal((10, 5))
    y = rng.standard_normal(10)
    with pytest.raises(ValueError, match="step_size"):
        DiagonalLinearRegressor(parametrization="linear", solver="gd", step_size=1e3, max_iter=10_000).fit(X, y)


@pytest.mark.parametrize("kwargs", [dict(solver="adam"), dict(parametrization="linear"),
                                    dict(parametrization="uv", weight_decay=0.1)])
def test_constant_target_is_answered_at_once(rng, kwargs):
    X = rng.standard_normal((20, 6))
    y = np.full(20, 3.0)
    model = DiagonalLinearRegressor(**kwargs).fit(X, y)
    assert model.n_iter_ == 0
    assert np.all(model.coef_ == 0)
    assert model.intercept_ == pytest.approx(3.0, rel=1e-14)


def test_float32_adaptive_matches_float64(rng):
    X = rng.standard_normal((30, 10))
    y = X @ rng.standard_normal(10)
    kw = dict(parametrization="uv", solver="adam", step_size=1e-2, max_iter=300, tol=0.0)
    with pytest.warns(Warning, match="did not converge"):
        a = DiagonalLinearRegressor(**kw).fit(X.astype(np.float32), y)
    with pytest.warns(Warning, match="did not converge"):
        b = DiagonalLinearRegressor(**kw).fit(X, y)
    assert a.coef_.dtype == np.float32
    # float32 reads of X, float64 accumulation: the difference is X's rounding (≈ 6e-8 relative)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-5 * np.abs(b.coef_).max())
