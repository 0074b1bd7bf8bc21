"""DiagonalLinearRegressorCV against GridSearchCV (the oracle: sklearn's own search over
DiagonalLinearRegressor on the same grid and folds) and scikit-learn's estimator checks."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from dlnfast import DiagonalLinearRegressor, DiagonalLinearRegressorCV


@parametrize_with_checks([DiagonalLinearRegressorCV(init_scales=[1e-2, 1.0], cv=3)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cv_picks_what_gridsearch_picks(rng, fit_intercept):
    n, d = 40, 100  # d > n: the scale decides which interpolator-like fit is reached
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[:3] = [2.0, -1.5, 1.0]
    y = X @ beta + 0.3 * rng.standard_normal(n) + (1.0 if fit_intercept else 0.0)
    grid = [1e-3, 1e-2, 0.1, 0.5, 2.0]
    folds = KFold(4, shuffle=True, random_state=0)
    # a budget that the small scales exhaust (their plateaus are long): both searches see the
    # same early-stopped fits, so they must still agree
    params = dict(fit_intercept=fit_intercept, tol=1e-4, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cv = DiagonalLinearRegressorCV(init_scales=grid, cv=folds, **params).fit(X, y)
        search = GridSearchCV(DiagonalLinearRegressor(**params), {"init_scale": grid}, cv=folds,
                              scoring="neg_mean_squared_error").fit(X, y)
    assert np.ptp(cv.mse_path_.mean(axis=1)) > 0.1 * cv.mse_path_.min()  # the grid matters here
    assert cv.init_scale_ == search.best_params_["init_scale"]
    # the whole error path, not just the argmin: each fold's MSE is GridSearchCV's score
    scores = np.stack([-search.cv_results_[f"split{f}_test_score"] for f in range(4)], axis=1)
    np.testing.assert_allclose(cv.mse_path_, scores, rtol=1e-10)
    np.testing.assert_array_equal(cv.coef_, search.best_estimator_.coef_)
    assert cv.mse_path_.shape == (len(grid), 4)


def test_cv_bad_grid(rng):
    X = rng.standard_normal((20, 5))
    with pytest.raises(ValueError, match="init_scales"):
        DiagonalLinearRegressorCV(init_scales=[0.1, -1.0], cv=2).fit(X, X[:, 0])


def test_cv_over_scales_and_steps_picks_what_gridsearch_picks(rng):
    # the step as a second axis: GridSearchCV over the product {init_scale} × {step_size} (its
    # grid order: init_scale outer, step_size inner, as mse_path_'s axes)
    n, d = 40, 100
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[:3] = [2.0, -1.5, 1.0]
    y = X @ beta + 0.3 * rng.standard_normal(n)
    scales, steps = [1e-3, 0.1, 1.0], ["auto", 2e-3]
    folds = KFold(3, shuffle=True, random_state=1)
    # 400 iterations: the small fixed step is still far from converged, so the step matters
    params = dict(fit_intercept=False, tol=1e-4, max_iter=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cv = DiagonalLinearRegressorCV(init_scales=scales, step_sizes=steps, cv=folds, **params).fit(X, y)
        search = GridSearchCV(DiagonalLinearRegressor(**params), {"init_scale": scales, "step_size": steps},
                              cv=folds, scoring="neg_mean_squared_error").fit(X, y)
    assert cv.mse_path_.shape == (3, 2, 3)
    scores = np.stack([-search.cv_results_[f"split{f}_test_score"] for f in range(3)], axis=1)
    np.testing.assert_allclose(cv.mse_path_.reshape(6, 3), scores, rtol=1e-10)
    assert np.ptp(cv.mse_path_.mean(axis=2), axis=1).min() > 0  # the step changes the error
    assert (cv.init_scale_, cv.step_size_) == (search.best_params_["init_scale"], search.best_params_["step_size"])
    np.testing.assert_array_equal(cv.coef_, search.best_estimator_.coef_)
    assert cv.best_estimator_.step_size == cv.step_size_


@pytest.mark.parametrize("steps", [[], ["fast"], [0.1, -1.0], [float("nan")], "auto", [True]])
def test_cv_bad_steps(rng, steps):
    X = rng.standard_normal((20, 5))
    with pytest.raises(ValueError, match="step_sizes"):
        DiagonalLinearRegressorCV(init_scales=[0.1], step_sizes=steps, cv=2).fit(X, X[:, 0])
