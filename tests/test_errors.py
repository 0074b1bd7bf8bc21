"""Every bad input gets a ValueError that names the parameter."""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor


@pytest.fixture
def data(rng):
    X = rng.standard_normal((10, 5))
    return X, X[:, 0] - X[:, 1]


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nonfinite_X(data, value):
    X, y = data
    X = X.copy()
    X[2, 3] = value
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        DiagonalLinearRegressor().fit(X, y)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nonfinite_y(data, value):
    X, y = data
    y = y.copy()
    y[1] = value
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        DiagonalLinearRegressor().fit(X, y)


def test_shape_mismatch(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        DiagonalLinearRegressor().fit(X, y[:-1])


def test_empty_X():
    with pytest.raises(ValueError, match="0 sample"):
        DiagonalLinearRegressor().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match="0 feature"):
        DiagonalLinearRegressor().fit(np.empty((4, 0)), np.zeros(4))


def test_one_sample():
    with pytest.raises(ValueError, match=r"1 sample\(s\).*minimum of 2"):
        DiagonalLinearRegressor().fit(np.ones((1, 3)), np.ones(1))


def test_strings(data):
    X, y = data
    with pytest.raises(ValueError, match="could not convert|dtype"):
        DiagonalLinearRegressor().fit(np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0])


def test_predict_wrong_n_features(data):
    X, y = data
    model = DiagonalLinearRegressor(init_scale=1.0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, "big"])
def test_bad_init_scale(data, value):
    X, y = data
    with pytest.raises(ValueError, match="init_scale"):
        DiagonalLinearRegressor(init_scale=value).fit(X, y)


def test_bad_init_scale_array(data):
    X, y = data
    with pytest.raises(ValueError, match="init_scale"):
        DiagonalLinearRegressor(init_scale=np.ones(4)).fit(X, y)
    with pytest.raises(ValueError, match="init_scale"):
        DiagonalLinearRegressor(init_scale=np.array([1.0, 1.0, 0.0, 1.0, 1.0])).fit(X, y)


@pytest.mark.parametrize("value", [0.0, -0.1, "fast", np.inf])
def test_bad_step_size(data, value):
    X, y = data
    with pytest.raises(ValueError, match="step_size"):
        DiagonalLinearRegressor(step_size=value).fit(X, y)


def test_unknown_parametrization(data):
    X, y = data
    with pytest.raises(ValueError, match="parametrization"):
        DiagonalLinearRegressor(parametrization="xy").fit(X, y)


def test_bad_init_shape(data):
    X, y = data
    with pytest.raises(ValueError, match="init_shape"):
        DiagonalLinearRegressor(init_shape=(1.0,)).fit(X, y)
    with pytest.raises(ValueError, match="init_shape"):
        DiagonalLinearRegressor(init_shape=(-1.0, 1.0)).fit(X, y)


def test_bad_depth_and_max_iter(data):
    X, y = data
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(depth=1).fit(X, y)
    with pytest.raises(ValueError, match="max_iter"):
        DiagonalLinearRegressor(max_iter=-1).fit(X, y)
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(parametrization="uv", depth=3).fit(X, y)


def test_negative_sample_weight(data):
    X, y = data
    with pytest.raises(ValueError, match="[Nn]egative"):
        DiagonalLinearRegressor().fit(X, y, sample_weight=-np.ones(10))


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_huge_step_raises_instead_of_nan(data, parametrization):
    X, y = data
    with pytest.raises(ValueError, match=r"step_size=1000000.0.*try step_size=") as info:
        DiagonalLinearRegressor(parametrization=parametrization, step_size=1e6).fit(X, y)
    # The suggested step must itself run.
    suggested = float(str(info.value).split("try step_size=")[1].split(" ")[0])
    model = DiagonalLinearRegressor(parametrization=parametrization, step_size=suggested, max_iter=50, tol=0.0)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_))
