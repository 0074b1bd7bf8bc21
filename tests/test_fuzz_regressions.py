"""Regression tests for what the fuzz suite (tests/test_fuzz.py) and issue 12 found.

Each input here once crashed with an error naming no argument, was cast or accepted silently,
blamed the wrong cause, or stalled; every refusal must name the parameter.
"""
import os
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from dlnfast import (
    DiagonalLinearRegressor,
    basis_pursuit,
    gradient_flow,
    implicit_bias_limit,
    linprog,
    potentials,
    transport,
)
from dlnfast.datasets import make_sparse_regression


@pytest.fixture
def wide(rng):
    X = rng.standard_normal((4, 6))
    return X, X[:, 0] - 2 * X[:, 3]


@pytest.fixture
def ot():
    a = np.array([0.2, 0.3, 0.5])
    b = np.array([0.25, 0.25, 0.25, 0.25])
    M = np.arange(12.0).reshape(3, 4) / 12
    return a, b, M


# --- datasets ---

@pytest.mark.parametrize("kwargs, name", [
    ({"n_samples": True}, "n_samples"), ({"n_features": "x"}, "n_features"),
    ({"n_samples": 1.5}, "n_samples"), ({"n_samples": 10**9, "n_features": 10**9}, "n_samples"),
    ({"n_informative": 2000}, "n_informative"), ({"noise": np.inf}, "noise"), ({"noise": "a"}, "noise"),
    ({"coef_range": (2.0, 0.5)}, "coef_range"), ({"coef_range": (np.nan, 1.0)}, "coef_range"),
    ({"coef_range": (1.0,)}, "coef_range"), ({"random_state": "x"}, "random_state"),
    ({"random_state": 2**40}, "random_state"),
])
def test_make_sparse_regression_refusals_name_the_parameter(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make_sparse_regression(**kwargs)


# --- potentials ---

@pytest.mark.parametrize("call, name", [
    (lambda: potentials.hyperbolic_conjugate(["a"], log_scale=-1.0), "z"),
    (lambda: potentials.hyperbolic_entropy(np.ones(2) + 1j, 1.0), "beta"),
    (lambda: potentials.hyperbolic_conjugate(np.ones(2), scale=1 + 1j), "scale"),
    (lambda: potentials.hyperbolic_mirror_map(np.ones(2), scale="auto"), "scale"),
    (lambda: potentials.hyperbolic_entropy(np.ones(3), np.ones(2)), "scale"),
    (lambda: potentials.depth_inverse_mirror_map(np.zeros(0), np.ones(2), 3), "init_scale"),
    (lambda: potentials.positive_conjugate(np.zeros(3), log_init_scale=np.zeros(2)), "log_init_scale"),
    (lambda: potentials.depth_inverse_mirror_map(np.array([1e6]), 1.0, 3), "theta"),
])
def test_potentials_refusals_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()


def test_depth_hessian_below_the_float_range_is_inf_without_warning():
    """dβ/dθ underflows to 0 for α^D below the float range; the Hessian 1/(dβ/dθ) is then +inf
    (its true value is beyond the range), with no divide-by-zero RuntimeWarning."""
    h = potentials.depth_hessian(np.array([0.0, 1e-3]), log_init_scale=-300.0, depth=4)
    assert h.shape == (2,) and np.all(h > 0) and not np.any(np.isnan(h))


# --- the estimator: every refusal names X, y or sample_weight ---

@pytest.mark.parametrize("X, y, name", [
    ([], [], "X"), (np.zeros((0, 0)), np.zeros(0), "X"), (np.ones((1, 3)), np.ones(1), "X"),
    (np.ones((2, 3, 1)), np.ones(2), "X"), (np.ones((3, 2)), np.ones(4), "y"),
    (np.ones((3, 2)), ["a", "b", "c"], "y"),
])
def test_estimator_shape_errors_name_the_argument(X, y, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        DiagonalLinearRegressor().fit(X, y)


def test_estimator_predict_1d_names_X(wide):
    est = DiagonalLinearRegressor(init_scale=0.1).fit(*wide)
    with pytest.raises(ValueError, match="`X`"):
        est.predict(np.ones(6))


def test_estimator_zero_sample_weights_names_sample_weight(wide):
    X, y = wide
    with pytest.raises(ValueError, match="`sample_weight`"):
        DiagonalLinearRegressor().fit(X, y, sample_weight=np.zeros(4))


@pytest.mark.parametrize("which", ["X", "y"])
def test_estimator_complex_names_the_argument(wide, which):
    """Issue 12, item 6: the message names X (or y) and keeps sklearn's phrase."""
    X, y = wide
    args = (X + 1j, y) if which == "X" else (X, y + 1j)
    with pytest.raises(ValueError, match=f"`{which}` must be real: Complex data not supported"):
        DiagonalLinearRegressor().fit(*args)


def test_estimator_implicit_bias_limit_validates_hyper_parameters(wide):
    """It once accepted fit_intercept=np.float32(1e-8) (truthy) and centred the data silently."""
    X, y = wide
    with pytest.raises(ValueError, match="fit_intercept"):
        DiagonalLinearRegressor(fit_intercept=np.float32(1e-8)).implicit_bias_limit(X, y)


@pytest.mark.parametrize("call", [
    lambda X, y: implicit_bias_limit(X[None], y, init_scale=0.1),
    lambda X, y: gradient_flow(X.ravel(), y, [0.0, 1.0]),
    lambda X, y: DiagonalLinearRegressor().implicit_bias_limit(X[None], y),
])
def test_function_api_shape_errors_name_X(wide, call):
    X, y = wide
    with pytest.raises(ValueError, match="`X`"):
        call(X, y)


def test_function_api_non_numeric_y_names_y(wide):
    X, _ = wide
    with pytest.raises(ValueError, match="`y`"):
        gradient_flow(X, ["a"] * 4, [0.0, 1.0])


# --- LP / OT inputs ---

@pytest.mark.parametrize("kwargs, name", [
    ({"c": np.ones(3) + 0j}, "c"), ({"c": sp.csr_matrix(np.ones(3))}, "c"),
    ({"c": ["a", "b", "c"]}, "c"), ({"A_ub": np.ones((1, 3)) + 1j, "b_ub": [1.0]}, "A_ub"),
    ({"A_ub": sp.csr_matrix(np.ones((1, 3)) + 1j), "b_ub": [1.0]}, "A_ub"),
    ({"A_ub": np.ones((1, 3)), "b_ub": [1.0 + 1j]}, "b_ub"),
    ({"bounds": ("x", 1)}, "bounds"), ({"tol": True}, "tol"), ({"tol": 1e-8 + 0j}, "tol"),
    ({"method": "dln", "reg": 0.1, "maxiter": 2**63}, "maxiter"), ({"maxiter": True}, "maxiter"),
    ({"time_limit": "x"}, "time_limit"), ({"time_limit": np.nan}, "time_limit"),
])
def test_linprog_refusals_name_the_parameter(kwargs, name):
    base = {"c": np.ones(3), "A_eq": np.ones((1, 3)), "b_eq": [1.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning (silent cast) fails the test
        with pytest.raises((ValueError, TypeError), match=rf"(?<!\w){name}(?!\w)"):
            linprog(**{**base, **kwargs})


@pytest.mark.parametrize("X, y, name", [
    (np.ones((2, 3)) + 1j, np.ones(2), "X"), (sp.csr_matrix(np.ones((2, 3)) + 1j), np.ones(2), "X"),
    (np.ones((2, 3)), np.ones(2) + 1j, "y"),
])
def test_basis_pursuit_complex_refused(X, y, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=f"`{name}` must be real"):
            basis_pursuit(X, y)


@pytest.mark.parametrize("change, name", [
    # a sparse M is POT's edge list for exact OT (tests/test_transport_pot.py); with reg it is refused
    ({"M": "sparse"}, "M"), ({"M": "complex"}, "M"), ({"a": "complex"}, "a"), ({"reg": "x"}, "reg"),
    ({"reg": 1 + 1j}, "reg"), ({"reg": True}, "reg"),
    # the examples of issue 12
    ({"method": "newton", "step_size": -1}, "step_size"), ({"method": "newton", "step_size": np.nan}, "step_size"),
    ({"tol": np.inf}, "tol"), ({"method": "dln", "maxiter": 2**63}, "maxiter"),
])
def test_transport_refusals_name_the_parameter(ot, change, name):
    a, b, M = ot
    kw = {"reg": 0.1}
    if change.get("M") == "sparse":
        M = sp.csr_matrix(M)
    elif change.get("M") == "complex":
        M = M + 0j
    elif change.get("a") == "complex":
        a = a + 0j
    else:
        kw.update(change)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=rf"^`?{name}`?\b"):
            transport(a, b, M, **kw)


def test_transport_tol_inf_is_not_status_0(ot):
    """tol=inf once returned the starting plan with status 0: it is refused."""
    with pytest.raises(ValueError, match="tol"):
        transport(*ot, 0.1, method="dln", tol=np.inf)


def test_implicit_bias_limit_accepts_float32_tol(wide):
    """A valid numpy scalar is accepted and gives the float64 answer (issue 12)."""
    X, y = wide
    res = implicit_bias_limit(X, y, init_scale=0.1, tol=np.float32(1e-8))
    assert res.converged
    np.testing.assert_allclose(X @ res.coef, y, atol=1e-7 * np.abs(y).max())


# --- divergence messages tell the cause apart (issue 12, item 2) ---

def test_gradient_flow_nan_in_X_says_nan(wide):
    X, y = wide
    X = X.copy()
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN") as info:
        gradient_flow(X, y, [0.0, 1.0])
    assert "diverged" not in str(info.value) and "tol" not in str(info.value)


SOLVERS = ["gd", "sgd", "md", "flow"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_huge_init_scale_blames_init_scale(wide, solver):
    X, y = wide
    with pytest.raises(ValueError, match="initialisation's scale: init_scale = 1e\\+300") as info:
        DiagonalLinearRegressor(solver=solver, init_scale=1e300, random_state=0).fit(X, y)
    assert "try step_size='auto'" not in str(info.value)


@pytest.mark.parametrize("solver", SOLVERS)
def test_huge_data_blames_the_data_scale(wide, solver):
    X, y = wide
    with pytest.raises(ValueError, match="the data's scale: max\\|X\\| = ") as info:
        DiagonalLinearRegressor(solver=solver, random_state=0).fit(X * 1e200, y)
    assert "try step_size='auto'" not in str(info.value) and "flow_tol" not in str(info.value)


@pytest.mark.parametrize("kwargs, cause", [({"init_scale": 1e300}, "initialisation's scale"),
                                           ({"scale_X": 1e200}, "data's scale")])
def test_gradient_flow_divergence_names_the_cause(wide, kwargs, cause):
    X, y = wide
    X = X * kwargs.pop("scale_X", 1.0)
    with pytest.raises(ValueError, match=cause) as info:
        gradient_flow(X, y, [0.0, 1.0], **kwargs)
    assert "smaller tol" not in str(info.value)


def test_large_but_representable_scales_still_train(wide):
    """No false alarm: X scaled by 1e100 (curvature 1e200) trains by mirror descent and
    interpolates (the residual checked in numpy)."""
    X, y = wide
    est = DiagonalLinearRegressor(solver="md", init_scale=1e-60, fit_intercept=False, max_iter=200_000,
                                  tol=1e-6).fit(X * 1e100, y)
    np.testing.assert_allclose((X * 1e100) @ est.coef_, y, atol=1e-4 * np.abs(y).max())


@pytest.mark.parametrize("solver", ["gd", "md"])
def test_step_divergence_still_names_the_step(rng, solver):
    X = rng.standard_normal((20, 5))
    y = X @ np.array([3.0, -2.0, 0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"diverged.*step_size=1000000\.0.*try step_size"):
        DiagonalLinearRegressor(solver=solver, step_size=1e6, init_scale=0.5).fit(X, y)


# --- solver="flow" with tol below flow_tol no longer stalls (issue 12, item 3) ---

@pytest.mark.parametrize("parametrization", ["shape", "pm", "uv"])
def test_flow_tol_below_flow_tol_converges(rng, parametrization):
    """Azulay's α = 0.25 with tol=1e-8 < flow_tol=1e-7 ran 2,598 steps without converging (the
    integrator's local error kept β noisy above the criterion); flow_tol is now capped at tol/2.
    Oracles: the criterion recomputed in numpy, and the implicit-bias limit (dual Newton)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # not "/": Windows paths
    from conftest import sparse_problem

    X, y, _ = sparse_problem(rng, n=30, d=80)
    est = DiagonalLinearRegressor(solver="flow", parametrization=parametrization, init_scale=0.25,
                                  tol=1e-8, flow_tol=1e-7, max_iter=3000, fit_intercept=False)
    est.fit(X, y)  # a ConvergenceWarning would be an error here
    assert est.n_iter_ < 1000
    g = X.T @ (X @ est.coef_ - y) / len(y)
    g0 = X.T @ y / len(y)
    assert np.abs(g).max() <= 1e-8 * np.abs(g0).max() * 1.01
    limit = est.implicit_bias_limit(X, y).coef
    np.testing.assert_allclose(est.coef_, limit, atol=1e-6 * np.abs(limit).max())


# --- found by the slow fuzz profile ---

def test_implicit_bias_limit_huge_y_blames_the_data_scale(wide):
    """y ~ 1e299: ‖y‖² overflowed inside the Newton solve (RuntimeWarning, then NaN)."""
    X, y = wide
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="the data's scale"):
            implicit_bias_limit(X, y * 1e299, init_scale=1e-60, parametrization="positive")


def test_linprog_c0_string_names_c0():
    with pytest.raises(ValueError, match="c0"):
        linprog([1.0, 2.0], c0="x")


@pytest.mark.parametrize("tol", [1.0, 2**63])
def test_lp_tolerance_at_or_above_one_refused(wide, tol):
    """tol=2**63 once returned status 0 with β = 0 from basis_pursuit (every point passes a
    relative check at 1), where HiGHS finds ‖β‖₁ = 1."""
    X, _ = wide
    with pytest.raises(ValueError, match="tol must be a positive float below 1"):
        basis_pursuit(X, X[:, 0], tol=tol, method="eg")
    with pytest.raises(ValueError, match="tol must be a positive float below 1"):
        transport(np.ones(2) / 2, np.ones(2) / 2, np.eye(2), 0.1, tol=tol)


# --- the entry points of issues 14 and §10 (sharpness, fit_path, implicit_bias_path, CV) ---

@pytest.mark.parametrize("kwargs, name", [
    ({"max_iter": "x"}, "max_iter"), ({"max_iter": 1 + 1j}, "max_iter"), ({"max_iter": np.inf}, "max_iter"),
    ({"max_iter": np.float32(1e-8)}, "max_iter"), ({"tol": np.nan}, "tol"), ({"tol": "x"}, "tol"),
    ({"fit_intercept": "yes"}, "fit_intercept"), ({"weight_decay": np.inf}, "weight_decay"),
])
def test_sharpness_options_are_checked(wide, kwargs, name):
    # max_iter=1e-8 once became int 0: no Lanczos step, and 0.0 was returned silently
    from dlnfast import sharpness
    X, y = wide
    with pytest.raises((ValueError, TypeError), match=name):
        sharpness(X, y, (np.ones(6), np.ones(6)), **kwargs)


def test_fit_path_bad_X_names_X():
    from dlnfast import fit_path
    with pytest.raises(ValueError, match="`X`"):
        fit_path(np.ones((1, 3)), np.ones(1), init_scales=[0.1])
    with pytest.raises(ValueError, match="`X`"):
        fit_path(np.ones(3), np.ones(3), init_scales=[0.1])


@pytest.mark.parametrize("params", [{"parametrization": "linear"}, {"parametrization": "product"},
                                    {"weight_decay": 0.05}, {"sharpness_every": 10}])
def test_fit_path_plain_and_penalised_gd_match_single_fits(wide, params):
    # linear/product crashed in the batched gd driver (a two-branch state was assumed); weight
    # decay and sharpness records were not passed to it
    from dlnfast import fit_path
    X, y = wide
    params = {"solver": "gd", "max_iter": 300, "fit_intercept": False, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = fit_path(X, y, init_scales=[0.1, 0.5], **params)
        for k, a in enumerate([0.1, 0.5]):
            est = DiagonalLinearRegressor(init_scale=a, **params).fit(X, y)
            np.testing.assert_array_equal(path.coefs_[k], est.coef_)
            assert path.n_iter_[k] == est.n_iter_
            if "sharpness_every" in params:
                np.testing.assert_array_equal(path.estimators_[k].sharpness_curve_, est.sharpness_curve_)
    assert path.effective_init_scales_.shape == (2, X.shape[1])
    if params.get("parametrization") in ("linear", "product"):
        assert np.isnan(path.effective_init_scales_).all()  # the estimator's is None


@pytest.mark.parametrize("scales", [[0.1 + 1j], "x", ["a", 0.1]])
def test_implicit_bias_path_bad_scales_name_init_scales(wide, scales):
    from dlnfast import implicit_bias_path
    X, y = wide
    with pytest.raises((ValueError, TypeError), match="init_scales"):
        implicit_bias_path(X, y, scales)


def test_cv_bad_cv_names_cv(wide):
    from dlnfast import DiagonalLinearRegressorCV
    X, y = wide
    with pytest.raises((ValueError, TypeError), match="cv"):
        DiagonalLinearRegressorCV(init_scales=[0.1], cv=np.array([1.0, 2.0])).fit(X, y)
    with pytest.raises(ValueError, match="cv"):  # more folds than samples
        DiagonalLinearRegressorCV(init_scales=[0.1], cv=10).fit(X, y)


def test_cv_sgd_is_reproducible_with_random_state(wide):
    # without random_state every fold and scale drew its own SGD stream: a repeated scale got
    # different held-out errors and two fits chose differently
    from dlnfast import DiagonalLinearRegressorCV
    X, y = wide
    kw = dict(init_scales=[0.01, 0.01, 0.5], cv=2, solver="sgd", max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = DiagonalLinearRegressorCV(**kw).fit(X, y)
        b = DiagonalLinearRegressorCV(**kw).fit(X, y)
    np.testing.assert_array_equal(a.mse_path_[0], a.mse_path_[1])
    np.testing.assert_array_equal(a.mse_path_, b.mse_path_)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize("kwargs, name", [
    ({"sample_weight": ["a"] * 4}, "sample_weight"), ({"sample_weight": np.ones(4) + 1j}, "sample_weight"),
    ({"factors": [np.ones(6) + 1j, np.ones(6)]}, "factors"),
])
def test_sharpness_odd_weights_and_factors_name_them(wide, kwargs, name):
    # strings crashed naming nothing; complex values were cast with a ComplexWarning
    from dlnfast import sharpness
    X, y = wide
    kwargs = {"factors": (np.ones(6), np.ones(6)), **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=name):
            sharpness(X, y, **kwargs)


@pytest.mark.parametrize("kwargs, name", [({"init_shapes": []}, "init_shapes"), ({"configs": []}, "configs"),
                                          ({"init_scales": [0.1], "momenta": []}, "momenta")])
def test_fit_path_empty_grid_names_the_axis(wide, kwargs, name):
    from dlnfast import fit_path
    X, y = wide
    with pytest.raises(ValueError, match=f"`{name}`"):
        fit_path(X, y, **kwargs)


def test_array_parametrization_names_parametrization(wide):
    # an ndarray is unhashable: the membership test raised a TypeError naming nothing
    from dlnfast import implicit_bias_path
    X, y = wide
    for fn in (lambda: implicit_bias_path(X, y, [0.1], parametrization=np.array([1.0, 2.0])),
               lambda: implicit_bias_limit(X, y, init_scale=0.1, parametrization=np.array([1.0, 2.0]))):
        with pytest.raises(ValueError, match="parametrization"):
            fn()


def test_sharpness_overflow_names_the_inputs(wide):
    # X of order 1e300 overflowed: a RuntimeWarning, then scipy's "array must not contain infs or NaNs"
    from dlnfast import sharpness
    X, y = wide
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="`X`"):
            sharpness(X * 1e300, y, (np.ones(6), np.ones(6)))


@pytest.mark.parametrize("kwargs, name", [({"batched": np.array([1.0, 2.0])}, "batched"), ({"exact": "yes"}, "exact"),
                                          ({"weight_decay": np.array([1.0, 2.0])}, "weight_decay")])
def test_fit_path_odd_options_name_them(wide, kwargs, name):
    # an array `batched` (or estimator option) reached a comparison: "truth value ... ambiguous"
    from dlnfast import fit_path
    X, y = wide
    with pytest.raises((ValueError, TypeError), match=name):
        fit_path(X, y, init_scales=[0.1], **kwargs)


# --- the classifier, max_margin and the saddle path (fuzzed from this wave on) ---

@pytest.fixture
def labelled(rng):
    X = rng.standard_normal((8, 3))
    return X, np.where(X @ np.array([1.0, -2.0, 0.5]) > 0, 1, 0)


@pytest.mark.parametrize("change, name", [
    (lambda X, y: (X[None], y, None), "X"),                              # "Found array with dim 3"
    (lambda X, y: (X, y + 0.5 * np.arange(y.size), None), "y"),           # "Unknown label type: continuous"
    (lambda X, y: (X, y, ["a"] * y.size), "sample_weight"),               # "could not convert string to float"
    (lambda X, y: (X, y, np.ones((y.size, 1))), "sample_weight"),         # "Sample weights must be 1D"
    (lambda X, y: (X, y, np.ones(y.size) + 0j), "sample_weight"),         # "Complex data not supported"
])
def test_classifier_refusals_name_the_argument(labelled, change, name):
    from dlnfast import DiagonalLinearClassifier
    X, y, sw = change(*labelled)
    with pytest.raises(ValueError, match=f"`{name}`"):
        DiagonalLinearClassifier(max_iter=10).fit(X, y, sample_weight=sw)


def test_classifier_string_labels_still_fit(labelled):
    from dlnfast import DiagonalLinearClassifier
    X, y = labelled
    clf = DiagonalLinearClassifier(max_iter=50, tol=0.0).fit(X, np.array(["no", "yes"])[y])
    assert list(clf.classes_) == ["no", "yes"]


def test_classifier_predict_3d_names_X(labelled):
    from dlnfast import DiagonalLinearClassifier
    X, y = labelled
    clf = DiagonalLinearClassifier(max_iter=10, tol=0.0).fit(X, y)
    with pytest.raises(ValueError, match="`X`"):
        clf.decision_function(X[None])


def test_max_margin_not_separable_names_the_data(rng):
    from dlnfast import max_margin
    X = np.array([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"\(X, y\) are not linearly separable"):
        max_margin(X, [0, 1])   # both rows on the same side of the origin


@pytest.mark.parametrize("X, y, name", [
    (np.eye(2) + 1j, [0, 1], "X"),                        # was a ComplexWarning and a silent cast
    (np.eye(2), np.array([0.0, 1.0]) + 1j, "y"),
    (np.eye(3), [0.0, 1.0, np.nan], "y"),                 # NaN was a third class
    (np.eye(2), [0.0, np.nan], "y"),                      # ... or the second one
    (np.eye(2), np.array([0, "a"], dtype=object), "y"),   # "'<' not supported"
    (sp.csr_matrix(np.eye(2)), [0, 1], "X"),              # "float() argument must be ..."
])
def test_max_margin_bad_input_names_it(X, y, name):
    from dlnfast import max_margin
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
            max_margin(X, y)


def test_saddle_path_tol_below_the_rounding_noise_refused(rng):
    """tol=1e-200 ran 10,000 zero-length jumps with plateau losses going up (then a RuntimeError)."""
    from dlnfast import saddle_path
    X, y = rng.standard_normal((4, 5)), rng.standard_normal(4)
    with pytest.raises(ValueError, match="tol"):
        saddle_path(X, y, tol=1e-200)
    path = saddle_path(X, y, tol=1e-12)
    assert np.all(np.diff(path.losses) <= 1e-12) and np.all(np.diff(path.jump_times) > 0)


def test_saddle_path_max_jumps_warns_and_returns_the_path_so_far():
    """Was a RuntimeError (an exception type outside the contract)."""
    from sklearn.exceptions import ConvergenceWarning

    from dlnfast import saddle_path
    X = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]])
    y = np.array([1.0, 1.0])
    with pytest.warns(ConvergenceWarning, match="max_jumps=1"):
        path = saddle_path(X, y, max_jumps=1)
    full = saddle_path(X, y)
    assert path.n_jumps == 1
    np.testing.assert_array_equal(path.saddles, full.saddles[:2])


@pytest.mark.parametrize("times", [np.nan, [0.5, np.nan], np.array([1.0]) + 1j, [[0.5], [1.0, 2.0]],
                                   sp.csr_matrix([[1.0]]), "x"])
def test_saddle_path_query_times_are_checked(times):
    """NaN was filed after every jump (the end point, silently); complex was cast with a
    ComplexWarning; ragged lists and sparse matrices raised numpy's unnamed errors."""
    from dlnfast import saddle_path
    path = saddle_path(np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]]), np.array([1.0, 1.0]))
    for method in (path.coef_at, path.loss_at):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises((ValueError, TypeError), match="`times`"):
                method(times)


def test_classifier_huge_init_scale_blames_init_scale(labelled):
    """Said "use a smaller step_size or 'auto'" to a run that used 'auto'."""
    from dlnfast import DiagonalLinearClassifier
    X, y = labelled
    with pytest.raises(ValueError, match="init_scale") as info:
        DiagonalLinearClassifier(init_scale=1e200, max_iter=10).fit(X, y)
    assert "or 'auto'" not in str(info.value)


# --- solver="flow" detects a stall instead of running on (issue 12, item 3) ---

def test_stall_detector_on_a_constructed_criterion_sequence():
    """Fed (step, criterion) pairs as the engine's poll would: a criterion that keeps dropping is
    never stopped; one that stops dropping is stopped one window after its last 1% gain."""
    from dlnfast._regressor import StallDetector
    W = StallDetector.WINDOW
    det = StallDetector()
    steps = np.arange(0, 20 * W, W // 10)
    assert not any(det(int(k), 1.0, 0.5 ** (k / W), 0.0) for k in steps)  # halves per window
    assert det.stalled_at is None
    det = StallDetector()
    def crit(k):  # flat from step 1.2W on
        return max(1.0 - k / (2 * W), 0.4) * (1 + 1e-4 * np.sin(k))
    stop = next(k for k in steps if det(int(k), 1.0, crit(k), 0.0))
    start, best = det.stalled_at
    assert stop - start >= W and stop - start < W + W // 10
    assert abs(best - 0.4) < 1e-3
    # a verbose printer still runs, and its own stop request wins
    seen = []
    det = StallDetector(lambda *a: seen.append(a[0]) or a[0] >= 3)
    assert not det(1, 0.0, 1.0, 0.0) and det(3, 0.0, 1.0, 0.0) and seen == [1, 3] and det.stalled_at is None


def test_flow_stall_stops_with_a_warning_naming_tol_and_flow_tol(rng):
    """tol=1e-22 makes the integrator's tolerance 5e-23, below what float64 resolves: the flow
    crawled (criterion 0.99 after 54,301 steps, 1 s) on to max_iter. Now it stops one window
    after its last progress, warning with the criterion it reached."""
    from sklearn.exceptions import ConvergenceWarning

    from dlnfast._regressor import StallDetector
    X = rng.standard_normal((20, 40))
    y = X[:, :3].sum(axis=1)
    est = DiagonalLinearRegressor(solver="flow", tol=1e-22, init_scale=0.1, max_iter=10**6)
    with pytest.warns(ConvergenceWarning, match=r"stalled.*tol=1e-22.*flow_tol") as rec:
        est.fit(X, y)
    assert len(rec) == 1
    assert StallDetector.WINDOW <= est.n_iter_ < 10**5
    np.testing.assert_array_equal(est.coef_.shape, (40,))
    assert np.all(np.isfinite(est.coef_))
    # a run that keeps progressing is not flagged (it converges)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DiagonalLinearRegressor(solver="flow", tol=1e-10, init_scale=0.1).fit(X, y)


# --- slow-profile findings: potentials at extreme scales, the positive limit off its cone ---

@pytest.mark.parametrize("call", [
    # log α = −500, D = 10: θ = |z|/c with 1/c beyond the float range, |z|·(1/c) at β = 0 was 0·inf
    lambda: potentials.depth_potential(np.array([0.5, -0.3, 1e-3, 0.0]), log_init_scale=-500.0, depth=10),
    lambda: potentials.depth_mirror_map(np.array([0.5, 0.0]), log_init_scale=-500.0, depth=10),
    # α = 1e300: α²·[bracket] with the bracket underflowed was inf·0
    lambda: potentials.depth_potential(np.array([1.26, -1.32, 6.4, 0.0]), 1e300, depth=10),
    lambda: potentials.depth_conjugate(np.array([1e-3, 0.0]), 1e300, depth=10),
])
def test_depth_potentials_at_extreme_scales_are_not_nan(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = np.asarray(call())
    assert not np.any(np.isnan(out))


def test_depth_potential_is_inf_beyond_the_float_range_and_unchanged_inside():
    """Φ_D(β) ≥ θβ(1 − 1/p) ~ |β|/α^{D−2}: beyond the range at log α = −500 (inf, the IEEE
    answer), 0 at β = 0; at moderate α, equal to θβ − Φ*(θ) computed from the documented
    formulas in mpmath."""
    mpmath = pytest.importorskip("mpmath")
    assert potentials.depth_potential(np.array([0.5, -0.3]), log_init_scale=-500.0, depth=10) == np.inf
    assert potentials.depth_potential(np.zeros(3), log_init_scale=-500.0, depth=10) == 0.0
    beta, alpha, D = np.array([0.7, -0.2]), 0.3, 4
    theta = potentials.depth_mirror_map(beta, alpha, depth=D)
    mpmath.mp.dps = 40
    ref = 0
    for t, b in zip(theta, beta):
        c = D * (D - 2) * mpmath.mpf(alpha) ** (D - 2)
        q = mpmath.mpf(2) / (D - 2)
        z = c * mpmath.mpf(t)
        ref += mpmath.mpf(t) * b - alpha ** 2 / (2 * D) * ((1 - z) ** -q + (1 + z) ** -q - 2)
    assert abs(potentials.depth_potential(beta, alpha, depth=D) - float(ref)) <= 1e-12 * abs(float(ref))


def test_positive_limit_off_the_cone_is_refused_at_once(rng):
    """y outside {Xx : x ≥ 0}: Newton's dual is unbounded; it ran all 500 iterations (0.65 s on a
    5×5 problem, 2.3 s loaded) before a ConvergenceWarning. NNLS decides it up front."""
    import time

    import scipy.optimize
    X, y = rng.standard_normal((5, 5)), rng.standard_normal(5)
    assert scipy.optimize.nnls(X, y)[1] > 1e-3  # the oracle: y is not in the cone
    t = time.perf_counter()
    with pytest.raises(ValueError, match="`y` is not in the cone"):
        implicit_bias_limit(X, y, init_scale=1e-30, parametrization="positive")
    assert time.perf_counter() - t < 5.0  # generous on a loaded machine; was ~30 Newton systems per ms x 500
    # inside the cone it still solves
    res = implicit_bias_limit(X, X @ np.abs(rng.standard_normal(5)), init_scale=1e-30, parametrization="positive")
    assert res.converged and np.all(res.coef >= 0)


def test_limit_certificate_does_not_overflow_at_depth_5():
    """θ ~ 1e300 (depth 5, α = 1e-60): ‖v‖² of the mirror residual overflowed in a dot."""
    X = np.random.default_rng(0).standard_normal((5, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        res = implicit_bias_limit(X, X[0], init_scale=1e-60, depth=5, tol=1e-6, max_iter=1)
    assert np.isfinite(res.mirror_residual)


@pytest.mark.parametrize("kw", [
    dict(c=[1.0, 1.0], A_eq=[[1, 1], [1, 1]], b_eq=[1, 2]),      # infeasible
    dict(c=[-1.0, 0.0], A_ub=[[1, -1]], b_ub=[1.0]),             # unbounded along (1, 1)
    dict(c=[1e3, -1e3, 0.5], A_ub=[[1, 1, 1]], b_ub=[1.0]),      # unbounded, large costs
])
@pytest.mark.parametrize("maxiter", [5, 2000])
def test_eg_with_reg_and_free_variables_decides_without_numpy_warnings(kw, maxiter):
    """The slow profile saw 'overflow in exp' from the auxiliary solves of _diagnose on
    linprog(method='eg', reg=1e-3) with free variables (not reproduced on this code: the
    auxiliary path-following runs under np.errstate); the statuses are HiGHS's."""
    import scipy.optimize
    ref = scipy.optimize.linprog(bounds=(None, None), method="highs", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = linprog(**kw, bounds=(None, None), method="eg", reg=1e-3, maxiter=maxiter)
    assert res.status == ref.status


# --- found by the slow profile of this wave ---

@pytest.mark.parametrize("call, name", [
    (lambda: linprog(np.ones(2), method=np.array([1.0, 2.0])), "method"),        # "truth value ... ambiguous"
    (lambda: basis_pursuit(np.eye(2), np.ones(2), method=np.array([1.0, 2.0])), "method"),
    (lambda: linprog(np.ones(2), step_rule=np.array([1.0, 2.0])), "step_rule"),   # found after the merge
])
def test_lp_array_method_names_method(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_saddle_path_huge_y_blames_the_data_scale():
    """y ~ 1e200 overflowed Xᵀ(Xβ − y) with a RuntimeWarning."""
    from dlnfast import saddle_path
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="data's scale"):
            saddle_path(np.eye(2), np.array([1.0, 1e200]))


@pytest.mark.parametrize("init_scale", [1e300, 1e100])
def test_positive_limit_huge_init_scale_names_init_scale(init_scale):
    """x₀ = α²: NaN inside Newton's conjugate at 1e300 ('`x` must be finite', naming no argument),
    an overflowing residual norm at 1e100."""
    X = np.random.default_rng(0).standard_normal((5, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="init_scale"):
            implicit_bias_limit(X, X[:, 0], init_scale=init_scale, parametrization="positive", max_iter=1)
    res = implicit_bias_limit(X, X[:, 0], init_scale=1e50, parametrization="positive")
    assert res.converged
    np.testing.assert_allclose(X @ res.coef, X[:, 0], rtol=1e-6)


def test_sharpness_array_parametrization_names_parametrization():
    """An ndarray reached a dict lookup: "unhashable type: 'numpy.ndarray'" (slow profile)."""
    from dlnfast import sharpness
    with pytest.raises(ValueError, match="`parametrization`"):
        sharpness(np.eye(2), np.ones(2), [np.ones(2)] * 2, parametrization=np.array([1.0, 2.0]))


def test_depth_limit_huge_init_scale_names_init_scale():
    """α^D beyond the float range (D = 5, α = 1e200): β overflowed and potentials said
    "`beta` must be finite", naming no argument of implicit_bias_limit (slow profile)."""
    X = np.random.default_rng(0).standard_normal((5, 5))
    with pytest.raises(ValueError, match="init_scale"):
        implicit_bias_limit(X, X[0], init_scale=1e200, depth=5, tol=1e-6, max_iter=1)


# --- slow-profile findings, fuzz5 (each: the input, what it did, what it does now) ---

def _no_runtime_warning(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn()


@pytest.mark.parametrize("parametrization", ["pm", "uv", "shape"])
def test_hyperbolic_limit_huge_init_scale_names_init_scale(wide, parametrization):
    """init_scale = 1e155 (a = 2α² = 2e310): NaN in the inverse mirror map at z = 0 (inf·0, a
    RuntimeWarning) and then "`beta` must be finite", naming no argument; at 5e153 an overflow
    in the Newton system. Refused up front like the depth-D limit; 1e100 still solves."""
    X, y = wide
    with pytest.raises(ValueError, match="init_scale"):
        _no_runtime_warning(lambda: implicit_bias_limit(X, y, init_scale=1e155, parametrization=parametrization))
    res = _no_runtime_warning(lambda: implicit_bias_limit(X, y, init_scale=1e100, parametrization=parametrization))
    assert res.converged
    np.testing.assert_allclose(X @ res.coef, y, rtol=1e-8, atol=1e-10)
    # the limit a → ∞ is the minimum-ℓ2 interpolator (numpy's pseudo-inverse)
    np.testing.assert_allclose(res.coef, np.linalg.pinv(X) @ y, rtol=1e-6, atol=1e-9)


def test_hyperbolic_potentials_with_the_scale_beyond_the_float_range():
    """log a = 710 (a = 2.2e308 > float max): a·sinh²(z) and a·sinh(2z) at z = 0 were inf·0 = NaN
    with a RuntimeWarning; now 0 there and the value elsewhere (mpmath)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    z = np.array([0.0, 1e-3])
    a = mpmath.e ** 710
    conj = _no_runtime_warning(lambda: potentials.hyperbolic_conjugate(z, log_scale=710.0))
    assert conj == pytest.approx(float(a * mpmath.sinh(mpmath.mpf(1e-3)) ** 2), rel=1e-12)
    beta = _no_runtime_warning(lambda: potentials.hyperbolic_inverse_mirror_map(z, log_scale=710.0))
    assert beta[0] == 0.0
    assert beta[1] == pytest.approx(float(a * mpmath.sinh(2 * mpmath.mpf(1e-3))), rel=1e-12)


def test_positive_potentials_in_the_log_domain():
    """init_scale = 1e200 (x₀ = 1e400): positive_entropy overflowed in exp (inf with a
    RuntimeWarning) and positive_conjugate([1, −1]) was inf − inf = NaN. Now ±inf only where
    the value is beyond the float range, without a warning, and the mpmath value inside it."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = np.array([1.0, 2.0, 0.0])
    assert _no_runtime_warning(lambda: potentials.positive_entropy(x, 1e200)) == np.inf
    assert _no_runtime_warning(lambda: potentials.positive_conjugate(np.array([1.0, -1.0]), 1e200)) == np.inf
    assert _no_runtime_warning(lambda: potentials.positive_conjugate(np.array([0.0, 0.0]), 1e200)) == 0.0

    def entropy(xs, alpha):  # ¼ Σ [x log(x/x₀) − x + x₀], 0·log 0 = 0
        x0 = mpmath.mpf(alpha) ** 2
        return sum((mpmath.mpf(v) * mpmath.log(mpmath.mpf(v) / x0) if v else 0) - v + x0 for v in xs) / 4

    def conjugate(ts, alpha):  # Σ ¼ x₀ (e^{4θ} − 1)
        return sum(mpmath.mpf(alpha) ** 2 * (mpmath.e ** (4 * mpmath.mpf(t)) - 1) for t in ts) / 4

    for alpha in (1e100, 1e-150, 0.3):
        got = _no_runtime_warning(lambda a=alpha: potentials.positive_entropy(x, a))
        assert got == pytest.approx(float(entropy(x, alpha)), rel=1e-12)
    th = np.array([1.0, -1.0, 0.5])
    for alpha in (1e150, 1e-150, 0.3):
        got = _no_runtime_warning(lambda a=alpha: potentials.positive_conjugate(th, a))
        assert got == pytest.approx(float(conjugate(th, alpha)), rel=1e-12)


def test_depth_hessian_at_huge_init_scale_is_not_nan():
    """α = 1e200, D = 10: θ = z/c underflowed to 0 (c ~ 1e1600) and z = θ·c was 0·inf = NaN.
    Now from log(1 − |z|) directly: 0 here (beyond the range), and 1/(dβ/dθ) at moderate α."""
    mpmath = pytest.importorskip("mpmath")
    beta = np.array([1.26, -1.32, 6.4, 0.0])
    h = _no_runtime_warning(lambda: potentials.depth_hessian(beta, 1e200, depth=10))
    assert np.all(h == 0.0)
    mpmath.mp.dps = 40
    for alpha, D in ((0.3, 4), (1e-3, 3), (2.0, 6)):
        a, p = mpmath.mpf(alpha), mpmath.mpf(D) / (D - 2)
        c = D * (D - 2) * a ** (D - 2)
        expect = []
        for b in beta:  # z solves β = α^D[(1 − z)^{−p} − (1 + z)^{−p}] in (−1, 1), by bisection
            lo, hi = mpmath.mpf(-1), mpmath.mpf(1)
            for _ in range(200):
                z = (lo + hi) / 2
                if a ** D * ((1 - z) ** -p - (1 + z) ** -p) < b:
                    lo = z
                else:
                    hi = z
            expect.append(float(1 / (a ** D * c * p * ((1 - z) ** (-p - 1) + (1 + z) ** (-p - 1)))))
        np.testing.assert_allclose(potentials.depth_hessian(beta, alpha, depth=D), expect, rtol=1e-12)


def test_limit_with_y_below_the_square_root_of_the_float_range():
    """y ~ 1e-201: np.linalg.norm(y) underflowed to 0, y was taken as ≡ 0 (absolute residual)
    and the limit 'converged' at once; pm returned β with ‖Xβ − y‖∞/‖y‖∞ = 1.0 and the positive
    network its start x₀ = 1e-120. Norms are now scaled by max|v|."""
    X = np.random.default_rng(1).standard_normal((5, 5))
    y = X @ np.array([1.0, 0.0, 0.0, 2.0, 0.0]) * 1e-201
    res = implicit_bias_limit(X, y, init_scale=1e-60)
    assert res.converged
    assert np.max(np.abs(X @ res.coef - y)) <= 1e-8 * np.max(np.abs(y))
    # the same problem scaled by 1e201 (the limit is scale-equivariant at this tiny α)
    ref = implicit_bias_limit(X, y * 1e201, init_scale=1e-60 * 1e100)
    np.testing.assert_allclose(res.coef * 1e201, ref.coef, rtol=1e-6, atol=1e-9)
    # y outside the cone {Xx : x ≥ 0} (the fuzzed input): refused naming y, not "converged"
    Xf = np.random.default_rng(0).standard_normal((5, 5))
    with pytest.raises(ValueError, match="`y`"):
        implicit_bias_limit(Xf, Xf[0] * 1e-201, init_scale=1e-60, parametrization="positive",
                            tol=1e-6, max_iter=1)


@pytest.mark.parametrize("scale", ["yes", None, 2, 1.5, np.array([1, 2])])
def test_linprog_non_bool_scale_names_scale(scale):
    """scale='yes', None, 2 passed silently as truthy/falsy; an array was numpy's ambiguous truth value."""
    with pytest.raises(TypeError, match="scale"):
        linprog([1.0], bounds=[(0, 1)], scale=scale)
    assert linprog([1.0], bounds=[(0, 1)], scale=np.bool_(False)).status == 0


def test_linprog_objective_beyond_the_float_range_is_status_4():
    """c ~ 1e299 at x ~ 1e10: cᵀx overflowed with a RuntimeWarning and came back as status 0,
    fun = −inf. Now status 4 without a warning; cᵀx with partial sums beyond the range but a
    finite value (c = ±1e299 at x = (1e10, 1e10)) is that value, not NaN."""
    res = _no_runtime_warning(lambda: linprog([-1e299, -1e299], A_ub=[[1, 1]], b_ub=[1e10]))
    assert res.status == 4 and not res.success and res.fun == -np.inf
    assert "beyond the float64 range" in res.message
    ok = _no_runtime_warning(lambda: linprog([1e299, -1e299], A_eq=[[1, -1], [1, 1]], b_eq=[0, 2e10]))
    assert ok.fun == pytest.approx(1e299 * (ok.x[0] - ok.x[1]), abs=1e299 * 1e-6 * 1e10)


def test_linprog_row_norm_overflow_names_the_matrix():
    """Two entries 1e308 in a row: Σ|a_ij| overflowed inside the final check (a RuntimeWarning)
    and the answer was status 0. Now refused naming A_eq / A_ub."""
    with pytest.raises(ValueError, match="A_eq"):
        _no_runtime_warning(lambda: linprog([1.0, 1.0], A_eq=[[1e308, 1e308], [1e308, -1e308]], b_eq=[1.0, 0.0]))
    with pytest.raises(ValueError, match="A_ub"):
        _no_runtime_warning(lambda: linprog([1.0, 1.0], A_ub=[[1e308, 1e308]], b_ub=[1.0]))


def test_linprog_diverged_eg_in_huge_units_warns_nothing():
    """b ~ 1e299 with EG at the paper's fixed step: a recorded point overflowed in
    to_original (RuntimeWarning). Now ±inf quietly, and the answer is decided as before."""
    res = _no_runtime_warning(lambda: linprog(
        [0.12573022, -0.13210486, 0.64042265, 0.10490012],
        A_eq=[[0.64362499, 1.03507242, 0.91585355, 0.1027385], [0.95740428, 0.13358558, 0.82965545, 0.27565562]],
        b_eq=[1.25730221e299, -1.32104863e299], bounds=(None, None), method="eg", tol=1e-6, maxiter=100,
        step_rule="paper"))
    assert res.status in (1, 3, 4)


def test_classifier_max_iter_beyond_the_engine_count_names_max_iter(labelled):
    """max_iter = 2**63 reached pybind11: "incompatible function arguments", naming nothing."""
    from dlnfast import DiagonalLinearClassifier
    X, y = labelled
    for max_iter in (2**63, 10**30):
        with pytest.raises(ValueError, match="max_iter"):
            DiagonalLinearClassifier(max_iter=max_iter).fit(X, y)


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_basis_pursuit_one_huge_entry_is_not_status_0(method):
    """One entry 1e200 in X, y = X[:, 0]: status 0 with row 2 of Xβ = y off by 10% of its scale.
    The standard form's unit for that column is 3e-101, p_j = q_j = 3e-101 cancel in β and
    give the split row a scale of 6e99, against which linprog's check passed. basis_pursuit now
    checks Xβ = y on β itself: status 4 with the row named."""
    X = np.random.default_rng(0).standard_normal((3, 5))
    X[2, 4] = 1e200
    y = X[:, 0]
    kw = {"maxiter": 20_000} if method != "newton" else {}
    res = basis_pursuit(X, y, method=method, tol=1e-6, **kw)
    viol = np.abs(X @ res.x - y) / (np.abs(y) + np.abs(X) @ np.abs(res.x))
    assert res.status == 4 or viol.max() <= 1e-3, f"status {res.status} with relative row residual {viol.max():.3g}"
    if res.status == 4:
        assert not res.success and "Xβ = y" in res.message
    # a well-scaled problem still solves (HiGHS is the oracle)
    import scipy.optimize
    Xw = np.random.default_rng(2).standard_normal((3, 5))
    yw = Xw @ np.array([0.0, 1.5, 0.0, 0.0, -1.0])
    ok = basis_pursuit(Xw, yw, method=method, **kw)
    ref = scipy.optimize.linprog(np.ones(10), A_eq=np.hstack([Xw, -Xw]), b_eq=yw, bounds=(0, None), method="highs")
    assert ok.status == 0 and np.abs(ok.x).sum() == pytest.approx(ref.fun, rel=1e-5)


def test_classifier_predict_proba_with_huge_scores_is_finite(labelled):
    """Three classes with every score ≈ −1e4: σ(s_k) all underflowed and p/Σp was 0/0 (NaN, an
    'invalid value encountered in divide'). Now normalised in the log domain: the softmax of
    log σ(s_k), checked against mpmath; predict_log_proba is finite."""
    mpmath = pytest.importorskip("mpmath")
    from dlnfast import DiagonalLinearClassifier
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 3))
    y = np.arange(12) % 3
    clf = DiagonalLinearClassifier().fit(X, y)
    clf.intercept_ = clf.intercept_ - 1e4
    p = _no_runtime_warning(lambda: clf.predict_proba(X))
    lp = _no_runtime_warning(lambda: clf.predict_log_proba(X))
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1)) and np.all(np.isfinite(lp))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(clf.classes_[np.argmax(p, axis=1)], clf.predict(X))
    mpmath.mp.dps = 30
    s = clf.decision_function(X)[0]
    ls = [-mpmath.log1p(mpmath.e ** (-mpmath.mpf(v))) for v in s]
    ref = [mpmath.e ** v / sum(mpmath.e ** u for u in ls) for v in ls]
    np.testing.assert_allclose(p[0], [float(r) for r in ref], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(lp[0], [float(mpmath.log(r)) for r in ref], rtol=1e-12)
    # two classes: σ(−s), σ(s) (no 1 − p cancellation): scores ±1e4 give exactly 0 and 1
    clf2 = DiagonalLinearClassifier().fit(X, y % 2)
    clf2.intercept_ = clf2.intercept_ + 1e4
    p2 = _no_runtime_warning(lambda: clf2.predict_proba(X))
    assert np.all(p2[:, 1] == 1.0) and np.all(p2[:, 0] >= 0)
    assert np.all(np.isfinite(_no_runtime_warning(lambda: clf2.predict_log_proba(X))))


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_basis_pursuit_tiny_column_keeps_the_other_costs(method):
    """One column of entries 1e-200: Ruiz gave it D_c = 1e200, every other scaled cost became
    ~1e-200 of the largest and any feasible point passed as optimal (‖β‖₁ = 0.84, status 0,
    where HiGHS finds 0.196). The cost is now equilibrated with A when the column scaling alone
    spreads it by more than 1e8."""
    import scipy.optimize
    X = np.array([[0.12573022, -0.13210486, 0.64042265, 0.10490012, 1e-200]])
    y = np.array([0.12573022])
    kw = {"maxiter": 20_000} if method != "newton" else {}
    res = basis_pursuit(X, y, method=method, tol=1e-6, **kw)
    ref = scipy.optimize.linprog(np.ones(8), A_eq=np.hstack([X[:, :4], -X[:, :4]]), b_eq=y,
                                 bounds=(0, None), method="highs")  # the 1e-200 column cannot help
    assert res.status == 0
    assert np.abs(res.x).sum() == pytest.approx(ref.fun, rel=1e-5)


def test_depth_limit_dual_beyond_the_float_range_names_X_and_init_scale():
    """Depth 5, α = 1e-60, X ~ 1e-200: the dual coefficient ~ α^{2−D}/max|X| ~ 1e380 overflowed
    with a RuntimeWarning; now refused naming X and init_scale."""
    X = np.random.default_rng(0).standard_normal((5, 5)) * 1e-200
    with pytest.raises(ValueError, match="init_scale") as info:
        _no_runtime_warning(lambda: implicit_bias_limit(X, X[0] * 1e200, init_scale=1e-60, depth=5,
                                                        tol=1e-6, max_iter=1))
    assert "rescale X" in str(info.value)
