"""Refitting an estimator: every fitted attribute comes from the last fit, and a warm start
continues only from a state that matches (same solver family, parametrisation and init)."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, _dynamics, _engine

from conftest import sparse_problem

SOLVERS = ["gd", "sgd", "md", "flow"]
# A fixed budget per solver (tol=0 so every run spends it): short, deterministic, finite.
BUDGET = dict(init_scale=1e-2, tol=0.0, max_iter=300, step_size=0.01, random_state=0, fit_intercept=False)


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: the budget is spent on purpose
        return model.fit(X, y)


def _fitted(model):
    return {k: v for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")}


def _assert_same_fitted_attributes(a, b):
    fa, fb = _fitted(a), _fitted(b)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        va, vb = fa[name], fb[name]
        if isinstance(va, tuple):
            assert isinstance(vb, tuple) and len(va) == len(vb), name
            for x, z in zip(va, vb):
                np.testing.assert_array_equal(x, z, err_msg=name)
        elif va is None or vb is None:
            assert va is None and vb is None, name
        else:
            np.testing.assert_array_equal(va, vb, err_msg=name)


@pytest.fixture
def data(rng):
    X, y, _ = sparse_problem(rng, n=15, d=30)
    return X, y


_FAMILY = {"gd": "factors", "sgd": "factors", "md": "mirror", "flow": "mirror"}


@pytest.mark.parametrize("first, second, warm_start", [
    (first, second, warm) for first in SOLVERS for second in SOLVERS for warm in (False, True)
    # within a family a warm start continues (test_warm_start_continues_within_a_family)
    if not (warm and _FAMILY[first] == _FAMILY[second])
])
def test_refit_with_another_solver_equals_a_fresh_fit(data, first, second, warm_start):
    # Nothing of the first fit survives: the refit has exactly the attributes, and the values, of
    # a fresh estimator fitted once. With warm_start that holds across solver families (the state
    # of one family is no start for the other).
    X, y = data
    model = _fit(DiagonalLinearRegressor(solver=first, warm_start=warm_start, **BUDGET), X, y)
    _fit(model.set_params(solver=second), X, y)
    fresh = _fit(DiagonalLinearRegressor(solver=second, **BUDGET), X, y)
    _assert_same_fitted_attributes(model, fresh)


def test_warm_start_gd_after_md_does_not_raise(data):
    # Regression: the md fit left a None network behind and the gd refit read its attributes.
    X, y = data
    model = _fit(DiagonalLinearRegressor(solver="md", warm_start=True, **BUDGET), X, y)
    _fit(model.set_params(solver="gd"), X, y)
    assert model.weights_ is not None and model.mirror_coef_ is None and model.flow_time_ is None


@pytest.mark.parametrize("solver", SOLVERS)
def test_not_applicable_attributes_are_none(data, solver):
    X, y = data
    model = _fit(DiagonalLinearRegressor(solver=solver, **BUDGET), X, y)
    factors = solver in ("gd", "sgd")
    assert (model.weights_ is not None) == factors
    assert (model.mirror_coef_ is None) == factors
    assert (model.flow_time_ is None) == (solver != "flow")
    if solver == "flow":
        assert model.flow_time_ > 0


@pytest.mark.parametrize("solver", ["gd", "md"])
def test_warm_start_continues_within_a_family(data, solver):
    # Fixed steps and no momentum: two warm fits of k updates are one fit of 2k updates. Not bit
    # for bit: the restart recomputes β (and the engine's other derived quantities) from the stored
    # state, which differs from the carried values by rounding (seen: 2.5e-15 relative).
    X, y = data
    params = dict(BUDGET, solver=solver, max_iter=150)
    twice = DiagonalLinearRegressor(warm_start=True, **params)
    _fit(twice, X, y)
    _fit(twice, X, y)
    once = _fit(DiagonalLinearRegressor(**dict(params, max_iter=300)), X, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-12, atol=1e-15)


def test_warm_start_md_then_flow_continues_from_the_mirror_state(data):
    # md and flow share the mirror coordinate: the flow continues from md's θ, so after a
    # converged md fit it has (almost) nothing left to do.
    X, y = data
    model = DiagonalLinearRegressor(solver="md", init_scale=1e-2, tol=1e-6, max_iter=200_000,
                                    fit_intercept=False, warm_start=True).fit(X, y)
    model.set_params(solver="flow", flow_tol=1e-9).fit(X, y)
    cold = DiagonalLinearRegressor(solver="flow", init_scale=1e-2, tol=1e-6, max_iter=200_000, flow_tol=1e-9,
                                   fit_intercept=False).fit(X, y)
    assert model.n_iter_ < cold.n_iter_ / 10


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("change", [
    dict(init_scale=3e-2),
    dict(init_scale=np.linspace(1e-2, 2e-2, 30)),
    dict(init_shape=(1.0, 0.5)),
    dict(parametrization="uv"),
    dict(depth=3),
])
def test_warm_start_from_other_settings_is_a_cold_start(data, solver, change):
    X, y = data
    model = _fit(DiagonalLinearRegressor(solver=solver, warm_start=True, **BUDGET), X, y)
    _fit(model.set_params(**change), X, y)
    fresh = _fit(DiagonalLinearRegressor(solver=solver, **dict(BUDGET, **change)), X, y)
    _assert_same_fitted_attributes(model, fresh)


def test_warm_start_with_other_n_features_is_a_cold_start(data):
    X, y = data
    model = _fit(DiagonalLinearRegressor(warm_start=True, **BUDGET), X, y)
    _fit(model, X[:, :20], y)
    fresh = _fit(DiagonalLinearRegressor(**BUDGET), X[:, :20], y)
    _assert_same_fitted_attributes(model, fresh)


def test_failed_fit_leaves_the_warm_state_intact(data):
    X, y = data
    model = _fit(DiagonalLinearRegressor(warm_start=True, **BUDGET), X, y)
    with pytest.raises(ValueError, match="diverged.*step_size=1000000.0"):
        model.set_params(step_size=1e6).fit(X, y)
    _fit(model.set_params(step_size=BUDGET["step_size"]), X, y)
    reference = DiagonalLinearRegressor(warm_start=True, **BUDGET)
    _fit(reference, X, y)
    _fit(reference, X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


# ---------------------------------------------------------------------------------------------
# target_loss and time_limit
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    (dict(target_loss=-1.0), "target_loss"),
    (dict(target_loss="low"), "target_loss"),
    (dict(time_limit=0.0), "time_limit"),
    (dict(time_limit=-1.0), "time_limit"),
])
def test_stopping_parameters_are_validated(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        DiagonalLinearRegressor(**params).fit(X, y)


class _Stopped:
    """A run result that says what stopped it (the engine's results do after the engine merge)."""

    def __init__(self, result, stopped_by):
        self._result, self.stopped_by = result, stopped_by

    def __getattr__(self, name):
        return getattr(self._result, name)


def _spy(monkeypatch, module, name, stopped_by):
    """Replace ``module.name`` by a wrapper that records the stopping keywords, runs the real
    function without them and reports ``stopped_by``."""
    real = getattr(module, name)
    seen = {}

    def run(*args, target_loss=None, time_limit=None, **kwargs):
        seen.update(target_loss=target_loss, time_limit=time_limit)
        out = real(*args, **kwargs)
        out.result = _Stopped(out.result, stopped_by)
        return out

    monkeypatch.setattr(module, name, run)
    return seen


_RUNS = {"gd": (_engine, "run_gd"), "sgd": (_engine, "run_sgd"), "md": (_dynamics, "run_md"),
         "flow": (_dynamics, "run_flow")}


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limit_reaches_the_engine_and_warns(data, monkeypatch, solver):
    X, y = data
    seen = _spy(monkeypatch, *_RUNS[solver], stopped_by="time_limit")
    model = DiagonalLinearRegressor(solver=solver, time_limit=0.5, **BUDGET)
    with pytest.warns(ConvergenceWarning, match=r"stopped at time_limit=0\.5 s after \d+ .*criterion"):
        model.fit(X, y)
    assert seen == dict(target_loss=None, time_limit=0.5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_target_loss_reaches_the_engine_and_counts_as_converged(data, monkeypatch, solver):
    X, y = data
    seen = _spy(monkeypatch, *_RUNS[solver], stopped_by="target_loss")
    model = DiagonalLinearRegressor(solver=solver, target_loss=1e-4, **dict(BUDGET, tol=1e-3, max_iter=100_000))
    model.fit(X, y)  # filterwarnings=error: no ConvergenceWarning
    assert seen == dict(target_loss=1e-4, time_limit=None)


@pytest.mark.parametrize("solver", SOLVERS)
def test_engine_stops_at_target_loss(data, solver):
    X, y = data
    target = 1e-4
    params = dict(solver=solver, init_scale=1e-2, tol=1e-12, max_iter=1_000_000, fit_intercept=False,
                  random_state=0)
    model = DiagonalLinearRegressor(target_loss=target, **params).fit(X, y)  # no ConvergenceWarning
    loss = 0.5 * np.mean((X @ model.coef_ - y) ** 2)  # recomputed here, not the engine's number
    # rtol 1e-9: the engine evaluates the same loss in another summation order
    assert loss <= target * (1 + 1e-9)
    assert model.n_iter_ < params["max_iter"]
    if solver == "sgd":
        # SGD tests the loss at its full-batch evaluations only: once per epoch
        assert model.n_iter_ % X.shape[0] == 0
        return
    # ... and it stopped at the first iterate that reached it: one step fewer does not
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        shorter = DiagonalLinearRegressor(**{**params, "max_iter": model.n_iter_ - 1}).fit(X, y)
    assert 0.5 * np.mean((X @ shorter.coef_ - y) ** 2) > target


@pytest.mark.parametrize("solver", SOLVERS)
def test_engine_stops_at_time_limit(data, solver):
    X, y = data
    model = DiagonalLinearRegressor(solver=solver, init_scale=1e-30, tol=0.0, max_iter=10**9, step_size=1e-6,
                                    flow_tol=1e-12, fit_intercept=False, random_state=0, time_limit=0.2)
    with pytest.warns(ConvergenceWarning, match="time_limit=0.2 s"):
        model.fit(X, y)
    assert model.n_iter_ < 10**9
