"""Regression tests for bad and edge inputs at the public boundary (issue 12).

Each input here once hung, crashed with an internal exception, was accepted though invalid or
was rejected though valid; every error must name the parameter.
"""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, gradient_flow, implicit_bias_limit
from dlnfast._parametrizations import MAX_DEPTH


@pytest.fixture
def wide(rng):
    X = rng.standard_normal((4, 6))
    return X, X[:, 0] - 2 * X[:, 3]


# --- 1. depth is capped (each step is O(depth) per coordinate and cannot be interrupted) ---

@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10**9, 2**40])
def test_depth_above_cap_estimator(wide, depth):
    X, y = wide
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(depth=depth).fit(X, y)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10**9, 2**40])
def test_depth_above_cap_functions(wide, depth):
    X, y = wide
    with pytest.raises(ValueError, match="depth"):
        gradient_flow(X, y, [0.0, 1.0], depth=depth)
    with pytest.raises(ValueError, match="depth"):
        implicit_bias_limit(X, y, init_scale=0.1, depth=depth)
    with pytest.raises(ValueError, match="depth"):
        DiagonalLinearRegressor(depth=depth).implicit_bias_limit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_depth_at_cap_runs(wide):
    X, y = wide
    est = DiagonalLinearRegressor(depth=MAX_DEPTH, init_scale=0.5, max_iter=50).fit(X, y)
    assert np.all(np.isfinite(est.coef_))


# --- 2. a degenerate target (‖∇L(0)‖ is rounding noise) is answered at once ---

SOLVERS = ["gd", "sgd", "md", "flow"]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("parametrization", ["pm", "uv", "shape"])
@pytest.mark.parametrize("case", ["constant", "zero", "weighted"])
def test_degenerate_target_answered_at_once(rng, solver, parametrization, case):
    X = rng.random((30, 6))
    y = np.full(30, 3.7) if case != "zero" else np.zeros(30)
    sw = rng.random(30) + 0.1 if case == "weighted" else None
    est = DiagonalLinearRegressor(solver=solver, parametrization=parametrization, random_state=0,
                                  fit_intercept=case != "zero")
    est.fit(X, y, sample_weight=sw)  # a ConvergenceWarning would be an error here
    assert est.n_iter_ == 0
    np.testing.assert_array_equal(est.coef_, 0.0)
    assert est.intercept_ == pytest.approx(0.0 if case == "zero" else 3.7, rel=1e-15)
    np.testing.assert_allclose(est.predict(X), y, rtol=1e-14, atol=0)
    assert est.coef_.shape == (6,) and est.mirror_coef_ is None or est.mirror_coef_.shape == (6,)
    assert est.effective_init_scale_.shape == (6,)


@pytest.mark.parametrize("solver", SOLVERS)
def test_degenerate_target_positive_start_still_trained(rng, solver):
    """positive starts at β₀ = α² ≠ 0, so ∇L(β₀) is a real gradient: the run uses it as the
    stopping scale and converges (to ‖X_cβ‖ ≈ 0) instead of chasing noise."""
    X = rng.random((30, 6))
    est = DiagonalLinearRegressor(solver=solver, parametrization="positive", random_state=0,
                                  init_scale=1e-2).fit(X, np.full(30, -2.0))
    assert est.n_iter_ < 10_000
    np.testing.assert_allclose(est.predict(X), -2.0, atol=1e-5)


@pytest.mark.parametrize("parametrization", ["pm", "uv", "shape"])
def test_degenerate_target_implicit_bias_limit_method(rng, parametrization):
    """A constant y centres to rounding noise, which X_c cannot interpolate ("y is not in the
    range of X" before): the limit is β₀ = 0, as for fit."""
    X = rng.random((8, 20))
    res = DiagonalLinearRegressor(parametrization=parametrization).implicit_bias_limit(X, np.full(8, 3.7))
    assert res.converged
    np.testing.assert_array_equal(res.coef, 0.0)


def test_all_zero_sample_weights_error(rng):
    X = rng.random((5, 3))
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        DiagonalLinearRegressor().fit(X, np.ones(5), sample_weight=np.zeros(5))


# --- 3. giant counts are refused at the boundary, naming the parameter (not pybind11's error) ---

@pytest.mark.parametrize("name, value", [("max_iter", 2**63), ("max_iter", 2**62 + 1), ("n_jobs", 2**40),
                                         ("loss_every", 2**63), ("batch_size", 2**63)])
def test_giant_counts_estimator(wide, name, value):
    X, y = wide
    with pytest.raises(ValueError, match=name):
        DiagonalLinearRegressor(**{name: value}).fit(X, y)


@pytest.mark.parametrize("name, value", [("max_steps", 2**63), ("n_jobs", 2**40)])
def test_giant_counts_gradient_flow(wide, name, value):
    X, y = wide
    with pytest.raises(ValueError, match=name):
        gradient_flow(X, y, [0.0, 1.0], **{name: value})


def test_giant_max_iter_implicit_bias_limit(wide):
    X, y = wide
    with pytest.raises(ValueError, match="max_iter"):
        implicit_bias_limit(X, y, init_scale=0.1, max_iter=2**63)


@pytest.mark.parametrize("solver", SOLVERS)
def test_huge_max_iter_allocates_nothing_up_front(wide, solver):
    """max_iter=10**18 once preallocated its history (MemoryError "6.94 EiB"); a fit that
    converges early must just run."""
    X, y = wide
    est = DiagonalLinearRegressor(solver=solver, max_iter=10**18, init_scale=0.1, random_state=0).fit(X, y)
    assert est.n_iter_ < 10**6 and len(est.loss_curve_) <= est.n_iter_ + 2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_large_loss_every_with_sgd(wide):
    """loss_every × (steps per epoch) must not overflow the engine's int64 option."""
    X, y = wide
    est = DiagonalLinearRegressor(solver="sgd", loss_every=2**62, init_scale=0.1, random_state=0,
                                  max_iter=20).fit(X, y)
    assert np.all(np.isfinite(est.coef_))


# --- 4. invalid values refused, valid numpy scalars accepted ---

@pytest.mark.parametrize("max_steps", [-1, 0])
def test_gradient_flow_nonpositive_max_steps(wide, max_steps):
    X, y = wide
    with pytest.raises(ValueError, match="max_steps"):
        gradient_flow(X, y, [0.0, 1.0], max_steps=max_steps)


def test_numpy_scalars_accepted(wide):
    X, y = wide
    ref = implicit_bias_limit(X, y, init_scale=0.1, tol=1e-8).coef
    got = implicit_bias_limit(X, y, init_scale=np.float32(0.1), tol=np.float32(1e-8), max_iter=np.int32(500),
                              depth=np.int64(2)).coef
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)
    est = DiagonalLinearRegressor(init_scale=np.float64(0.1))
    np.testing.assert_allclose(est.implicit_bias_limit(X, y, tol=np.float32(1e-8)).coef,
                               implicit_bias_limit(X - X.mean(0), y - y.mean(), init_scale=0.1, tol=1e-8).coef)
    path, _ = gradient_flow(X, y, np.array([0.0, 1.0], dtype=np.float32), tol=np.float32(1e-8),
                            max_steps=np.int64(10**5), depth=np.int64(2), init_scale=np.float32(0.1))
    assert np.all(np.isfinite(path))


# --- 5. complex inputs refused (not cast to real); sparse X refused, naming X ---

def _complex_cases(X, y):
    d = X.shape[1]
    return [
        ("X", lambda: implicit_bias_limit(X + 0j, y, init_scale=0.1)),
        ("y", lambda: implicit_bias_limit(X, y + 1j, init_scale=0.1)),
        ("init_scale", lambda: implicit_bias_limit(X, y, init_scale=np.full(d, 0.1 + 0j))),
        ("init_scale", lambda: implicit_bias_limit(X, y, init_scale=0.1 + 0j)),
        ("init_shape", lambda: implicit_bias_limit(X, y, init_scale=0.1, init_shape=(np.ones(d) + 0j, 1.0))),
        ("X", lambda: gradient_flow(X + 0j, y, [0.0, 1.0])),
        ("y", lambda: gradient_flow(X, y + 0j, [0.0, 1.0])),
        ("times", lambda: gradient_flow(X, y, np.array([0.0, 1.0]) + 0j)),
        ("init_scale", lambda: gradient_flow(X, y, [0.0, 1.0], init_scale=np.full(d, 0.1 + 0j))),
        ("log_init_scale", lambda: gradient_flow(X, y, [0.0, 1.0], log_init_scale=np.full(d, -1 + 0j))),
        ("init_scale", lambda: DiagonalLinearRegressor(init_scale=np.full(d, 0.1 + 0j)).fit(X, y)),
        ("X", lambda: DiagonalLinearRegressor().implicit_bias_limit(X + 0j, y)),
        ("sample_weight", lambda: DiagonalLinearRegressor().implicit_bias_limit(X, y, np.ones(len(y)) + 0j)),
        ("sample_weight", lambda: DiagonalLinearRegressor().fit(X, y, np.ones(len(y)) + 0j)),
    ]


@pytest.mark.parametrize("case", range(14))
def test_complex_refused(wide, case):
    name, call = _complex_cases(*wide)[case]
    with pytest.raises(ValueError, match=f"`{name}` must be real"):
        call()


@pytest.mark.parametrize("call", [
    lambda X, y: implicit_bias_limit(X, y, init_scale=0.1),
    lambda X, y: gradient_flow(X, y, [0.0, 1.0]),
    lambda X, y: DiagonalLinearRegressor().implicit_bias_limit(X, y),
])
def test_sparse_X_refused(wide, call):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = wide
    with pytest.raises(TypeError, match="`X` must be a dense array"):
        call(sparse.csr_matrix(X), y)


# --- 6. empty X: a ValueError naming X (was ZeroDivisionError/IndexError) ---

@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
@pytest.mark.parametrize("entry", ["gradient_flow", "implicit_bias_limit", "estimator_limit"])
def test_empty_X(shape, entry):
    X, y = np.zeros(shape), np.zeros(shape[0])
    call = {"gradient_flow": lambda: gradient_flow(X, y, [0.0, 1.0]),
            "implicit_bias_limit": lambda: implicit_bias_limit(X, y, init_scale=0.1),
            "estimator_limit": lambda: DiagonalLinearRegressor().implicit_bias_limit(X, y)}[entry]
    with pytest.raises(ValueError, match="`X` must have at least one sample and one feature"):
        call()


# --- 7. messages print parameters as users wrote them ---

@pytest.mark.parametrize("solver, step", [("gd", np.float64(1e6)), ("sgd", np.float32(1e6)), ("md", np.float64(1e6))])
def test_divergence_message_prints_numpy_step_as_python_number(rng, solver, step):
    X = rng.standard_normal((20, 5))
    y = X @ np.array([3.0, -2.0, 0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="diverged") as info:
        DiagonalLinearRegressor(solver=solver, step_size=step, init_scale=0.5, random_state=0).fit(X, y)
    assert f"step_size={float(step)!r}" in str(info.value)
    assert "np." not in str(info.value)


def test_parametrization_messages_print_numpy_scalars_as_python_numbers(wide):
    X, y = wide
    with pytest.raises(ValueError, match=r"got -0\.5$"):
        implicit_bias_limit(X, y, init_scale=np.float64(-0.5))
    with pytest.raises(ValueError, match=r"`depth` must be <= 64.*got 65$"):
        gradient_flow(X, y, [0.0, 1.0], depth=np.int64(65))
