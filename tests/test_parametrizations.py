"""The parametrisation classes against the factor dynamics of DESIGN §3, written out here.

Oracles: the initial factors (α·(a, b)), β as the product of the reported factors, and the
mirror geometry derived from the factor flow: at initialisation β(θ₀) = β₀ and
dβ/dθ = the factor-space metric (pm: 4(w₊² + w₋²); uv: u² + v²; shape: the sum of the four
squares; positive: 4x; depth D: D²(w₊^{2D−2} + w₋^{2D−2})), since d/dt θ = −g.
"""
import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor, gradient_flow, implicit_bias_limit
from dlnfast._parametrizations import PARAMETRIZATIONS, make_parametrization

D = 7


@pytest.fixture
def init(rng):
    alpha = rng.uniform(0.05, 2.0, D)
    a, b = rng.uniform(0.2, 2.0, D), rng.uniform(0.2, 2.0, D)
    return alpha, a, b


def test_registry_names():
    assert sorted(PARAMETRIZATIONS) == ["linear", "pm", "positive", "product", "shape", "uv"]
    for name, cls in PARAMETRIZATIONS.items():
        assert cls.name == name


@pytest.mark.parametrize("name, factors", [
    ("pm", lambda al, a, b: (al * a, al * b)),
    ("uv", lambda al, a, b: (al * a, al * b)),
    ("shape", lambda al, a, b: (al * a, al * b, al * a, al * b)),
])
def test_initial_factors(init, name, factors):
    alpha, a, b = init
    got = make_parametrization(name, alpha, (a, b), 2, D).init_network().weights()
    want = factors(alpha, a, b)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-14)


@pytest.mark.parametrize("name, default", [("pm", (1.0, 1.0)), ("uv", (np.sqrt(2.0), 0.0)), ("shape", (1.0, 1.0))])
def test_default_start(init, name, default):
    alpha, _, _ = init
    net = make_parametrization(name, alpha, None, 2, D).init_network()
    ref = make_parametrization(name, alpha, default, 2, D).init_network()
    for g, w in zip(net.weights(), ref.weights()):
        np.testing.assert_array_equal(g, w)
    (u,) = make_parametrization("positive", alpha, None, 2, D).init_network().weights()
    np.testing.assert_allclose(u, alpha, rtol=1e-15)


@pytest.mark.parametrize("name, depth, beta", [
    ("pm", 2, lambda f: f[0] ** 2 - f[1] ** 2),
    ("pm", 3, lambda f: f[0] ** 3 - f[1] ** 3),
    ("uv", 2, lambda f: f[0] * f[1]),
    ("shape", 2, lambda f: f[0] * f[1] - f[2] * f[3]),
    ("positive", 2, lambda f: f[0] ** 2),
])
def test_factors_multiply_to_the_engine_beta(rng, init, name, depth, beta):
    # Any engine state (log-factors, signs as momentum may leave them): the reported factors
    # give the β the engine computes, w₊^D − w₋^D.
    alpha, a, b = init
    shape = None if name == "positive" else (a, b)
    net = make_parametrization(name, alpha, shape, depth, D).init_network()
    net.log_w_pos = net.log_w_pos + rng.uniform(-1, 1, D)
    if name != "positive":
        net.log_w_neg = net.log_w_neg + rng.uniform(-1, 1, D)
    net.record_signs(rng.choice([-1.0, 1.0], 2 * D))
    wp, wn = np.exp(net.log_w_pos) * net.sign_pos, np.exp(net.log_w_neg) * net.sign_neg
    np.testing.assert_allclose(beta(net.weights()), wp ** depth - wn ** depth, rtol=1e-12, atol=1e-300)


def _beta_of_theta(spec, theta):
    """β(θ) of a MirrorSpec, from its definition (DESIGN §3)."""
    scale = np.exp(spec.log_scale)
    if spec.kind == "hyperbolic":
        return scale * np.sinh(spec.rate * theta)
    if spec.kind == "entropic":
        return np.exp(4.0 * theta + spec.log_scale)
    Dp = spec.depth
    c, p = Dp * (Dp - 2.0) * scale ** (Dp - 2), Dp / (Dp - 2.0)
    return scale ** Dp * ((1 - c * theta) ** -p - (1 + c * theta) ** -p)


@pytest.mark.parametrize("name, depth, with_shape, beta0, metric", [
    ("pm", 2, False, lambda al, a, b: 0 * al, lambda al, a, b: 8 * al ** 2),
    ("pm", 2, True, lambda al, a, b: al ** 2 * (a ** 2 - b ** 2), lambda al, a, b: 4 * al ** 2 * (a ** 2 + b ** 2)),
    ("uv", 2, False, lambda al, a, b: 0 * al, lambda al, a, b: 2 * al ** 2),
    ("uv", 2, True, lambda al, a, b: al ** 2 * a * b, lambda al, a, b: al ** 2 * (a ** 2 + b ** 2)),
    ("shape", 2, True, lambda al, a, b: 0 * al, lambda al, a, b: 2 * al ** 2 * (a ** 2 + b ** 2)),
    ("positive", 2, False, lambda al, a, b: al ** 2, lambda al, a, b: 4 * al ** 2),
    ("pm", 3, False, lambda al, a, b: 0 * al, lambda al, a, b: 2 * 9 * al ** 4),
    ("pm", 4, False, lambda al, a, b: 0 * al, lambda al, a, b: 2 * 16 * al ** 6),
])
def test_mirror_geometry_matches_the_factor_flow(init, name, depth, with_shape, beta0, metric):
    alpha, a, b = init
    if with_shape and name == "uv":
        b = a + 0.5  # a² ≠ b²: a two-signed uv network
    spec = make_parametrization(name, alpha, (a, b) if with_shape else None, depth, D).mirror_spec()
    th0 = spec.theta0
    np.testing.assert_allclose(_beta_of_theta(spec, th0), beta0(alpha, a, b), rtol=1e-12, atol=1e-14)
    h = 1e-6  # central difference: relative error ~h² ≈ 1e-12 plus rounding ~1e-16/h ≈ 1e-10
    slope = (_beta_of_theta(spec, th0 + h) - _beta_of_theta(spec, th0 - h)) / (2 * h)
    np.testing.assert_allclose(slope, metric(alpha, a, b), rtol=1e-8)


def test_warm_start_key():
    p = make_parametrization("pm", 0.01, None, 2, 4)
    assert p.warm_start_key() == make_parametrization("pm", np.full(4, 0.01), None, 2, 4).warm_start_key()
    others = [make_parametrization("pm", 0.02, None, 2, 4), make_parametrization("pm", 0.01, (1.0, 1.0), 2, 4),
              make_parametrization("uv", 0.01, None, 2, 4), make_parametrization("pm", 0.01, None, 3, 4),
              make_parametrization("pm", 0.01, None, 2, 5)]
    for q in others:
        assert q.warm_start_key() != p.warm_start_key()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(name="xy"), ValueError,
     "`parametrization` must be one of 'pm', 'uv', 'shape', 'positive', 'linear', 'product'; got 'xy'"),
    (dict(depth=1), ValueError, "`depth` must be an integer >= 2; got 1"),
    (dict(depth=2.0), ValueError, "`depth` must be an integer >= 2"),
    (dict(name="uv", depth=3), ValueError, "depth=3 is only available for parametrization='pm'"),
    (dict(name="shape", depth=4), ValueError, "'shape' has depth 2"),
    (dict(init_scale=None), ValueError, "exactly one of `init_scale` and `log_init_scale`"),
    (dict(log_init_scale=-3.0), ValueError, "exactly one of `init_scale` and `log_init_scale`"),
    (dict(init_scale=0.0), ValueError, "`init_scale` must be positive"),
    (dict(init_scale=np.nan), ValueError, "`init_scale` must be finite"),
    (dict(init_scale=np.ones(2)), ValueError, r"`init_scale` must be a scalar or an array of shape \(3,\)"),
    (dict(init_scale="big"), TypeError, "`init_scale` must be a float or an array of 3 floats"),
    (dict(init_scale=None, log_init_scale=np.inf), ValueError, "`log_init_scale` must be finite"),
    (dict(init_shape=1.0), ValueError, "`init_shape` must be None or a pair"),
    (dict(init_shape=(1.0, 2.0, 3.0)), ValueError, "`init_shape` must be None or a pair"),
    (dict(init_shape=(1.0, np.ones(2))), ValueError, r"`init_shape` must be a scalar or an array of shape \(3,\)"),
    (dict(init_shape=(1.0, np.nan)), ValueError, "`init_shape` must be finite"),
    (dict(init_shape=(-1.0, 1.0)), ValueError, "`init_shape` for parametrization='pm' must be non-negative"),
    (dict(name="shape", init_shape=(0.0, 0.0)), ValueError, "must not have a = b = 0"),
    (dict(name="positive", init_shape=(1.0, 1.0)), ValueError,
     "init_shape does not apply to parametrization='positive'"),
])
def test_invalid_settings(kwargs, error, match):
    args = dict(name="pm", init_scale=0.1, init_shape=None, depth=2, n_features=3)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        make_parametrization(args.pop("name"), args.pop("init_scale"), args.pop("init_shape"), args.pop("depth"),
                             args.pop("n_features"), **args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(init_shape=(1.0, 0.0)), "must be positive here"),
    (dict(init_shape=(1.0, 1.0), depth=3), "`init_shape` needs depth=2"),
    (dict(name="uv", init_shape=(1.0, -1.0)), "a² ≠ b²"),
])
def test_settings_without_mirror_geometry(kwargs, match):
    # valid for GD on the factors (a one-signed network trains fine), not for md/flow/the limit
    args = dict(name="pm", depth=2)
    args.update(kwargs)
    p = make_parametrization(args["name"], 0.1, args["init_shape"], args["depth"], 3)
    assert p.init_network().log_w_pos.shape == (3,)
    with pytest.raises(ValueError, match=match):
        p.mirror_spec()


def test_function_api_options_are_validated(rng):
    X, y = rng.standard_normal((3, 5)), rng.standard_normal(3)
    with pytest.raises(ValueError, match="'tol' parameter of implicit_bias_limit"):
        implicit_bias_limit(X, y, init_scale=1.0, tol=2.0)
    with pytest.raises(ValueError, match="'max_iter' parameter of implicit_bias_limit"):
        implicit_bias_limit(X, y, init_scale=1.0, max_iter=0)
    with pytest.raises(ValueError, match="'max_steps' parameter of gradient_flow"):
        gradient_flow(X, y, [1.0], max_steps=0)
    with pytest.raises(ValueError, match="'tol' parameter of gradient_flow"):
        gradient_flow(X, y, [1.0], tol=0.0)
    with pytest.raises(ValueError, match="Expected 2D array"):
        gradient_flow(y, y, [1.0])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        implicit_bias_limit(np.full((3, 5), np.nan), y, init_scale=1.0)
    with pytest.raises(TypeError, match="`init_scale` must be a float or an array of 5 floats"):
        gradient_flow(X, y, [1.0], init_scale="big")
    with pytest.raises(ValueError, match="init_shape does not apply to parametrization='positive'"):
        implicit_bias_limit(X, y, init_scale=1.0, parametrization="positive", init_shape=(1.0, 1.0))


def test_gradient_flow_log_init_scale_replaces_init_scale(rng):
    X = rng.standard_normal((4, 6))
    y = X[:, 0]
    a, _ = gradient_flow(X, y, [0.5, 2.0], init_scale=0.1)
    b, _ = gradient_flow(X, y, [0.5, 2.0], init_scale=123.0, log_init_scale=np.log(0.1))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)  # log(0.1) vs 0.1: rounding of one log


def test_estimator_positive_divergence_names_the_right_bound(rng):
    # u ← u(1 − 2ηg): the sign-flip bound is 2·step_size·|g_i| < 1 (DESIGN §3.1)
    X = rng.standard_normal((10, 5))
    y = np.abs(X) @ np.ones(5)
    with pytest.raises(ValueError, match=r"2·step_size·\|g_i\| < 1"):
        DiagonalLinearRegressor(parametrization="positive", step_size=1e6, init_scale=1.0).fit(X, y)
