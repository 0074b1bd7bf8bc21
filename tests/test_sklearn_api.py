"""DiagonalLinearRegressor as a scikit-learn estimator."""
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from dlnfast import DiagonalLinearRegressor


@parametrize_with_checks([DiagonalLinearRegressor(), DiagonalLinearRegressor(parametrization="uv", n_jobs=1)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _data(rng, n=60, d=20):
    X = rng.standard_normal((n, d))
    y = X[:, :4] @ np.array([1.0, -2.0, 0.5, 1.5]) + 4.0
    return X, y


def test_pipeline_gridsearch_and_clone(rng):
    X, y = _data(rng)
    pipe = make_pipeline(StandardScaler(), DiagonalLinearRegressor())
    search = GridSearchCV(pipe, {"diagonallinearregressor__init_scale": [1e-3, 1.0]}, cv=3, n_jobs=2)
    search.fit(X, y)
    assert search.best_score_ > 0.99
    cloned = clone(search.best_estimator_)
    assert cloned.get_params()["diagonallinearregressor__init_scale"] in (1e-3, 1.0)
    assert not hasattr(cloned[-1], "coef_")


def test_pickle_round_trip_predicts_identically(rng):
    X, y = _data(rng)
    model = DiagonalLinearRegressor().fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_array_equal(again.coef_, model.coef_)


def test_intercept_by_centring(rng):
    X, y = _data(rng)
    model = DiagonalLinearRegressor(init_scale=1.0, max_iter=50_000, tol=1e-10).fit(X, y)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    ls = np.linalg.lstsq(Xa, y, rcond=None)[0]  # n > d: the unique least-squares fit
    np.testing.assert_allclose(model.coef_, ls[:-1], rtol=0, atol=1e-7)
    np.testing.assert_allclose(model.intercept_, ls[-1], rtol=0, atol=1e-7)


def test_sample_weight_equals_repetition(rng):
    X, y = _data(rng, n=30, d=8)
    w = rng.integers(0, 3, size=30)
    w[0] = 1
    a = DiagonalLinearRegressor(init_scale=0.5, max_iter=50_000, tol=1e-10).fit(X, y, sample_weight=w)
    b = DiagonalLinearRegressor(init_scale=0.5, max_iter=50_000, tol=1e-10).fit(np.repeat(X, w, axis=0),
                                                                               np.repeat(y, w))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=0, atol=1e-8)


def test_pandas_feature_names(rng):
    pd = pytest.importorskip("pandas")
    X, y = _data(rng, d=5)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    model = DiagonalLinearRegressor().fit(frame, y)
    assert list(model.feature_names_in_) == [f"f{i}" for i in range(5)]
    np.testing.assert_allclose(model.predict(frame), X @ model.coef_ + model.intercept_, rtol=1e-12)


def test_history_and_attributes(rng):
    X, y = _data(rng, n=20, d=50)
    model = DiagonalLinearRegressor(init_scale=0.01, step_size=0.01, max_iter=200, tol=0.0, loss_every=10,
                                    snapshot_iters=[0, 5, 50], fit_intercept=False)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    assert model.n_iter_ == 200
    assert model.loss_curve_.shape == (21,)
    expected = [np.mean((X @ b - y) ** 2) / 2 for b in model.coef_path_]
    np.testing.assert_allclose(model.loss_curve_[[0]], expected[:1], rtol=1e-12)
    assert model.coef_path_.shape == (3, 50)
    np.testing.assert_array_equal(model.coef_path_[0], np.zeros(50))
    wp, wn = model.weights_
    np.testing.assert_allclose(wp**2 - wn**2, model.coef_, rtol=1e-10, atol=1e-15)
    assert np.all(model.effective_init_scale_ <= 0.01) and np.all(model.effective_init_scale_ > 0)
    assert model.step_size_ == pytest.approx(0.01)


def test_convergence_warning_reports_criterion_and_tol(rng):
    X, y = _data(rng, n=20, d=50)
    with pytest.warns(Warning, match=r"criterion .* > tol = 1e-12"):
        DiagonalLinearRegressor(max_iter=5, tol=1e-12).fit(X, y)


def test_float32_kept(rng):
    X, y = _data(rng)
    model = DiagonalLinearRegressor().fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32


def test_warm_start_continues(rng):
    X, y = _data(rng, n=20, d=50)
    full = DiagonalLinearRegressor(step_size=0.01, max_iter=300, tol=0.0, fit_intercept=False)
    with pytest.warns(Warning):
        full.fit(X, y)
    half = DiagonalLinearRegressor(step_size=0.01, max_iter=150, tol=0.0, fit_intercept=False, warm_start=True)
    with pytest.warns(Warning):
        half.fit(X, y)
        half.fit(X, y)
    np.testing.assert_allclose(half.coef_, full.coef_, rtol=1e-12, atol=1e-15)


def test_verbose_prints_progress_and_summary(rng, capsys):
    X, y = _data(rng)
    DiagonalLinearRegressor(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "iter" in out and "converged after" in out
