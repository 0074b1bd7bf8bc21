"""Property-based fuzzing of the whole public API (issue 12).

Every entry point of ``dlnfast.__all__`` (and ``dlnfast.datasets``) is called with inputs drawn by
hypothesis: mostly valid small problems, with one or two arguments replaced by a bad or extreme
value (NaN, ±inf, 1e±300, wrong shape/dtype/type, sparse, complex, negative or giant counts).
Each call must either

* succeed, warning at most with a ConvergenceWarning, and return finite results of the right
  shape that pass a cheap check against an independent oracle (the gradient criterion recomputed
  in numpy, HiGHS's optimal value, the constraints and marginals of the returned point), or
* raise ValueError/TypeError whose message names one of the entry point's parameters.

Anything else fails the test: another exception type, any other warning (a numpy RuntimeWarning
or ComplexWarning means a silent cast or overflow), a non-finite or mis-shaped result, or a call
still running after ``HANG_S`` seconds (a SIGALRM handler raises inside the call; the engine's
monitor runs Python's signal handlers while the GIL is released, so C++ runs are stopped too).

The number of inputs tried per entry point, and their outcomes, are printed at the end of the
module's run. The CI profile keeps the module near 10–15 s on 2 cores; ``-m slow`` (500 examples per
entry point, ``test_fuzz_slow_*``) runs in 1–2 minutes.
"""
import collections
import itertools
import numbers
import os
import re
import signal
import warnings
from datetime import timedelta

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils._param_validation import Interval, StrOptions

import dlnfast
from dlnfast import (
    DiagonalLinearClassifier,
    DiagonalLinearRegressor,
    basis_pursuit,
    datasets,
    gradient_flow,
    implicit_bias_limit,
    linprog,
    max_margin,
    potentials,
    read_mps,
    transport,
)

HANG_S = 30.0
EXAMPLES = {"fast": int(os.environ.get("DLNFAST_FUZZ_EXAMPLES", "0")) or None}
COUNTS = collections.defaultdict(collections.Counter)


def _settings(n):
    """CI profile with n examples (a deadline per example: slow calls are found, not waited on)."""
    return settings(max_examples=EXAMPLES["fast"] or n, deadline=timedelta(seconds=10),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    derandomize=True, database=None)


SLOW = settings(max_examples=500, deadline=timedelta(seconds=20),
                suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capture is None or not COUNTS:
        return
    with capture.global_and_fixture_disabled():
        _write_counts(tr)


def _write_counts(tr):
    tr.write_line("")
    tr.write_line("fuzz: inputs tried per entry point (ok / refused with ValueError-TypeError / "
                  "ConvergenceWarning)")
    for name in sorted(COUNTS):
        c = COUNTS[name]
        tr.write_line(f"  {name:32s} {sum(c.values()):6d}  ok {c['ok']:5d}  refused {c['refused']:5d}"
                      f"  warned {c['warned']:5d}")


# ------------------------------------------------------------------------------------------
# The contract
# ------------------------------------------------------------------------------------------
class Hang(Exception):
    """Raised by SIGALRM inside a call that ran past HANG_S."""


def _alarm(signum, frame):
    raise Hang(f"call still running after {HANG_S} s")


def _names_parameter(msg, names):
    """True when the message names one of ``names``: as a word (``X``, ``max_iter``), quoted
    (`a`, 'a'), or at the start of the message; one-letter English words (``a``) only quoted or
    at the start."""
    for name in names:
        n = re.escape(name)
        if re.search(rf"[`'\"]{n}[`'\"]|^{n}\b|\b{n}\s*=", msg):
            return True
        if name not in ("a",) and re.search(rf"(?<![\w.]){n}(?![\w(])", msg):
            return True
    return False


def call(entry, names, fn, check=None):
    """Run ``fn()`` under the contract above; ``check(result, warned)`` is the cheap oracle on a
    success. Returns the result, or None when the call was refused."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_S)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn()
            except (ValueError, TypeError) as exc:
                msg = str(exc)
                assert _names_parameter(msg, names), \
                    f"{entry}: {type(exc).__name__} names no parameter of {names}: {msg!r}"
                COUNTS[entry]["refused"] += 1
                if os.environ.get("DLNFAST_FUZZ_LOG"):
                    with open(os.environ["DLNFAST_FUZZ_LOG"], "a") as f:
                        f.write(f"{entry}\t{type(exc).__name__}\t{msg[:150]!r}\n")
                return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    # sklearn's DataConversionWarning (a column-vector y, ravelled) says what it did: not silent
    other = [w for w in caught if not issubclass(w.category, (ConvergenceWarning, DataConversionWarning))]
    assert not other, f"{entry}: unexpected warning {other[0].category.__name__}: {other[0].message}"
    warned = bool(caught)
    COUNTS[entry]["warned" if warned else "ok"] += 1
    if check is not None:
        check(out, warned)
    return out


def _norm2(v):
    """‖v‖₂ as m·‖v/m‖₂, m = max|v| (np.linalg.norm squares: coef ~ 1e201 overflowed)."""
    v = np.asarray(v, dtype=float).ravel()
    m = np.abs(v).max(initial=0.0)
    return m * np.linalg.norm(v / m) if 0 < m < np.inf else m


def _finite(a, what):
    a = np.asarray(a)
    assert np.all(np.isfinite(a)), f"{what} is not finite: {a}"


# ------------------------------------------------------------------------------------------
# Strategies: mostly valid small inputs, with bad values mixed in
# ------------------------------------------------------------------------------------------
BAD_FLOATS = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-300, 0.0, -0.0, 1e200, 1e-200]
BAD_SCALARS = BAD_FLOATS + [-1.0, 2**63, -(2**63), 10**18, "auto", "x", None, True, 1 + 1j,
                            np.float32(1e-8), np.int64(3), [1.0], np.array([1.0, 2.0])]


def _seeded(s):
    return np.random.default_rng(s)


def pick(options):
    """One of ``options``, uniformly (hypothesis's own sampled_from favours some positions,
    which left most of the valid space untried)."""
    options = list(options)
    return st.integers(0, 2**32 - 1).map(lambda s: options[int(_seeded(s).integers(len(options)))])


def mix(*strategies, weights=None):
    """A draw from one of ``strategies``, chosen with ``weights`` (uniform by default)."""
    w = np.ones(len(strategies)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    return st.integers(0, 2**32 - 1).flatmap(lambda s: strategies[int(_seeded(s).choice(len(strategies), p=w))])


@st.composite
def matrices(draw, n=None, d=None, min_side=0, max_side=6):
    """A float64 matrix, usually Gaussian; sometimes with specials, scaled, or of another kind."""
    n = draw(pick(range(min_side, max_side + 1))) if n is None else n
    d = draw(pick(range(min_side, max_side + 1))) if d is None else d
    seed = draw(st.integers(0, 2**32 - 1))
    M = np.random.default_rng(seed).standard_normal((n, d))
    kind = draw(pick(["plain"] * 36 + ["special", "scaled", "int", "f32", "fortran", "complex",
                                       "sparse", "list", "1d", "3d", "object", "constant_col",
                                       "empty"]))
    if kind == "special" and M.size:
        M[draw(pick(range(0, n))), draw(pick(range(0, d)))] = draw(pick(BAD_FLOATS))
    elif kind == "scaled":
        M = M * draw(pick([1e-200, 1e-100, 1e100, 1e200, 1e300]))
    elif kind == "int":
        M = np.round(M * 3).astype(np.int64)
    elif kind == "f32":
        M = M.astype(np.float32)
    elif kind == "fortran":
        M = np.asfortranarray(M)
    elif kind == "complex":
        M = M + 1j * draw(pick([0.0, 1.0]))
    elif kind == "sparse":
        M = sp.csr_matrix(M)
    elif kind == "list":
        M = M.tolist()
    elif kind == "1d":
        M = M.ravel()
    elif kind == "3d":
        M = M[None]
    elif kind == "object":
        M = M.astype(object)
    elif kind == "empty":
        M = M[:0]
    elif kind == "constant_col" and M.size:
        M[:, 0] = 1.0
    return M


@st.composite
def vectors(draw, size, base=None):
    """A target/weight vector of length ``size`` (the right one usually), sometimes bad."""
    seed = draw(st.integers(0, 2**32 - 1))
    v = np.random.default_rng(seed).standard_normal(size) if base is None else np.array(base, dtype=float)
    kind = draw(pick(["plain"] * 30 + ["special", "short", "long", "2d", "complex",
                                                 "sparse", "constant", "zero", "scaled", "str"]))
    if kind == "special" and v.size:
        v[draw(pick(range(0, size)))] = draw(pick(BAD_FLOATS))
    elif kind == "short":
        v = v[:-1]
    elif kind == "long":
        v = np.append(v, 1.0)
    elif kind == "2d":
        v = v[:, None]
    elif kind == "complex":
        v = v + 0j
    elif kind == "sparse":
        v = sp.csr_matrix(v)
    elif kind == "constant":
        v = np.full(size, 3.7)
    elif kind == "zero":
        v = np.zeros(size)
    elif kind == "scaled":
        v = v * draw(pick([1e-200, 1e200, 1e300]))
    elif kind == "str":
        v = ["a"] * size
    return v


def maybe(strategy, bad=BAD_SCALARS, p_bad=1):
    """Usually a draw from ``strategy``; with weight ``p_bad`` out of 6 an odd value."""
    return mix(strategy, pick(bad), weights=[6 - p_bad, p_bad])


def _bad_kwargs(draw, valid, p=0.3):
    """``valid`` (a dict of parameter → valid strategy) with each entry replaced by an odd value
    with probability p (about one bad parameter per call)."""
    out = {}
    for name, strat in valid.items():
        if draw(pick([False] * max(3, round(len(valid) / p)) + [True])):
            out[name] = draw(pick(BAD_SCALARS))
        else:
            out[name] = draw(strat)
    return out


# ------------------------------------------------------------------------------------------
# Oracles
# ------------------------------------------------------------------------------------------
def _as_data(X, y, sw=None):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()  # a column y, ravelled by the estimator (with a DataConversionWarning)
    w = np.full(len(y), 1.0 / len(y)) if sw is None else np.asarray(sw, dtype=np.float64) / np.sum(sw)
    return X, y, w


def _gradient(X, y, w, beta, fit_intercept):
    """∇L(β) = X_cᵀW(X_cβ − y_c) in numpy (shares no code with the engine)."""
    if fit_intercept:
        X = X - w @ X
        y = y - w @ y
    return X.T @ (w * (X @ beta - y))


def _factor_beta(name, theta, depth):
    """β(θ) of each parametrisation (the formulas of the docs, written out here)."""
    if name == "pm":
        return theta[0] ** depth - theta[1] ** depth
    if name in ("uv", "product", "linear"):
        return np.prod(theta, axis=0)
    if name == "positive":
        return theta[0] ** 2
    return theta[0] * theta[1] - theta[2] * theta[3]  # shape


def _dense_hessian(Xa, ya, w, fit_intercept, name, theta, depth, lam):
    """∇²F(θ) of F = Σ w_i (x_iᵀβ(θ) − y_i)²/2 + (λ/2)‖θ‖² by central second differences of F
    (no derivative formula shared with dlnfast), with the step scaled to each pair."""
    if fit_intercept:
        Xa, ya = Xa - w @ Xa, ya - w @ ya
    K, d = theta.shape
    flat = theta.ravel()

    def F(t):
        t = t.reshape(K, d)
        r = Xa @ _factor_beta(name, t, depth) - ya
        return 0.5 * w @ r ** 2 + 0.5 * lam * t.ravel() @ t.ravel()

    m = flat.size
    h = 1e-4 * (1 + np.abs(flat))
    H = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            ei, ej = np.zeros(m), np.zeros(m)
            ei[i], ej[j] = h[i], h[j]
            H[i, j] = H[j, i] = (F(flat + ei + ej) - F(flat + ei - ej) - F(flat - ei + ej)
                                 + F(flat - ei - ej)) / (4 * h[i] * h[j])
    return H


def _check_sharpness(value, Xa, ya, w, fit_intercept, name, theta, depth, lam, exact):
    """``value`` within the spectrum of the finite-difference Hessian (a Ritz value always is),
    and equal to its top eigenvalue when ``exact``. Only on modest magnitudes, where second
    differences are accurate."""
    mags = [np.abs(Xa).max(initial=0), np.abs(ya).max(initial=0), np.abs(theta).max(initial=0), lam]
    if max(mags) > 10 or min(np.abs(Xa).max(initial=0), 1) < 1e-3 or theta.size > 24:
        return
    H = _dense_hessian(Xa, ya, w, fit_intercept, name, theta, depth, lam)
    ev = np.linalg.eigvalsh(H)
    err = 1e-4 * (1 + np.abs(ev).max())
    assert ev[0] - err <= value <= ev[-1] + err, f"sharpness {value} outside the spectrum [{ev[0]}, {ev[-1]}]"
    if exact:
        assert abs(value - ev[-1]) <= err, f"sharpness {value} but λ_max of the FD Hessian is {ev[-1]}"


# ------------------------------------------------------------------------------------------
# The estimator: fit, predict, score, implicit_bias_limit
# ------------------------------------------------------------------------------------------
EST_NAMES = ["X", "y", "sample_weight", "parametrization", "init_scale", "init_shape", "depth",
             "solver", "step_size", "max_iter", "tol", "fit_intercept", "flow_tol", "warm_start",
             "n_jobs", "verbose", "loss_every", "snapshot_iters", "batch_size", "shuffle",
             "random_state", "momentum", "nesterov", "label_noise", "step_decay", "target_loss",
             "time_limit", "n_samples", "n_features", "weight_decay", "beta_1", "beta_2", "epsilon",
             "sharpness_every", "max_time", "time_scale"]

_EST_VALID = {
    "parametrization": pick(["pm", "uv", "shape", "positive"] * 2 + ["linear", "product"]),
    "init_scale": pick([1e-3, 0.1, 0.5, 1.0, 1e-30]),
    "depth": pick([2] * 8 + [3, 4]),
    "solver": pick(["gd", "sgd", "md", "flow"] * 2 + ["adam", "adagrad", "rmsprop"]),
    "step_size": pick(["auto", "auto", 1e-3, 0.05]),
    "max_iter": pick([0, 1, 50, 3000, 30_000, 30_000]),
    "tol": pick([1e-4, 1e-2, 1e-6]),
    "fit_intercept": pick([False, True]),
    "flow_tol": pick([1e-7, 1e-5]),
    "n_jobs": pick([None, 1, 2, -1]),
    "loss_every": pick([1, 7]),
    "batch_size": pick([1, 3]),
    "momentum": pick([0.0, 0.0, 0.5]),
    "step_decay": pick([0.0, 0.0, 0.01]),
    "label_noise": pick([0.0, 0.0, 0.1]),
    "target_loss": pick([None, None, 1e-3]),
    "random_state": pick([0, 1, None]),
    "weight_decay": pick([0.0] * 4 + [1e-3, 0.1]),
    "beta_1": pick([0.9, 0.9, 0.0, 0.5]),
    "beta_2": pick([0.999, 0.999, 0.9, 0.0]),
    "epsilon": pick([1e-8, 1e-8, 1e-3]),
    "sharpness_every": pick([None] * 4 + [1, 25]),
    "max_time": pick([None] * 6 + [0.5, 20.0]),
    "time_scale": pick(["flow"] * 6 + ["accelerated"]),
}


_EST_MAX_ITERS = (0, 1, 50, 3000, 30_000)


def _opt(params, name):
    """``params[name]`` where it can be compared with ``==``/``in`` (a string, number, None or
    tuple), else a marker equal to nothing: an odd array value (np.array([1.0, 2.0])) has no
    truth value, and ``depth == 3`` on it raised inside the strategy."""
    v = params.get(name)
    return v if v is None or isinstance(v, (str, numbers.Number, tuple)) else _NO_OPTION


_NO_OPTION = object()


def _estimator_params(draw, steer=False):
    """Estimator parameters; ``steer``: fewer odd values and every solver/option combination
    made consistent (so that the success paths, not only the refusals, are exercised)."""
    params = _bad_kwargs(draw, _EST_VALID, p=0.1 if steer else 0.3)
    if _opt(params, "depth") in (3, 4) and (steer or draw(pick([True] * 4 + [False]))):
        params["parametrization"] = "pm"  # depth >= 3 is a pm network
    if steer:
        if _opt(params, "parametrization") in ("linear", "product") and _opt(params, "solver") in ("md", "flow"):
            params["solver"] = "gd"  # no mirror map: factor-training solvers only
        if _opt(params, "solver") == "sgd" and params.get("init_shape") is not None and _opt(params, "depth") != 2:
            params["init_shape"] = None
        if _opt(params, "max_iter") in _EST_MAX_ITERS:
            params["max_iter"] = draw(pick([30_000] * 6 + [3000, 50, 1, 0]))  # budgets that mostly suffice
        if _opt(params, "solver") in ("sgd", "adam", "adagrad", "rmsprop") and _opt(params, "tol") in (1e-4, 1e-6):
            params["tol"] = 1e-2  # stochastic/adaptive criteria are noisy: a reachable tolerance
            if _opt(params, "max_iter") == 30_000:
                params["max_iter"] = 5000
    # options that only combine with some solvers are kept consistent most of the time
    if steer or draw(pick([True] * 9 + [False])):
        if _opt(params, "solver") != "sgd":
            params["label_noise"] = 0.0
        if params.get("solver") not in ("gd", "sgd"):
            params["momentum"] = params["step_decay"] = 0.0
        if _opt(params, "solver") in ("md", "flow"):
            params["weight_decay"], params["sharpness_every"] = 0.0, None
        if _opt(params, "solver") != "flow":
            params["max_time"], params["time_scale"] = None, "flow"
        if _opt(params, "solver") in ("adam", "adagrad", "rmsprop") and _opt(params, "parametrization") == "shape":
            params["parametrization"] = "pm"
        if _opt(params, "depth") != 2 and _opt(params, "parametrization") in ("pm", "product"):
            params["weight_decay"] = 0.0
    if params.get("sharpness_every") is not None and isinstance(params.get("max_iter"), int):
        # a Lanczos run per record: keep the curve short
        params["max_iter"] = min(params["max_iter"], 50 if _opt(params, "sharpness_every") == 1 else 500)
    if draw(pick(range(0, 10))) == 0:
        params["init_shape"] = draw(pick([(1.0, 0.5), (0.5, 2.0), (1.0, 1.0), (0.0, 1.0),
                                                     (-1.0, 1.0), (np.nan, 1.0), "ab", (1.0,)]))
    return params


def _check_fit(est, X, y, sw):
    def check(out, warned):
        assert out is est
        Xa, ya, w = _as_data(X, y, sw)
        d = Xa.shape[1]
        assert est.coef_.shape == (d,) and est.n_features_in_ == d
        _finite(est.coef_, "coef_")
        _finite(est.intercept_, "intercept_")
        pred = call("DiagonalLinearRegressor.predict", ["X"], lambda: est.predict(X))
        assert pred.shape == (Xa.shape[0],)
        _finite(pred, "predict(X)")
        np.testing.assert_allclose(pred, Xa @ est.coef_.astype(np.float64) + est.intercept_,
                                   rtol=1e-5, atol=1e-6 * (1 + np.abs(pred).max()))
        if est.sharpness_every is not None:
            curve = np.asarray(est.sharpness_curve_)
            assert curve.ndim == 1 and curve.size >= 1 and curve.shape == np.shape(est.sharpness_iters_)
            _finite(curve, "sharpness_curve_")
            if np.asarray(X).dtype == np.float64 and est.weights_ is not None \
                    and est.n_iter_ == est.sharpness_iters_[-1]:
                depth = est.depth if est.parametrization == "pm" else 2
                _check_sharpness(curve[-1], Xa, ya, w, est.fit_intercept, est.parametrization,
                                 np.array(est.weights_, dtype=float), depth, est.weight_decay, exact=True)
        converged = not warned and est.n_iter_ < est.max_iter and est.target_loss is None \
            and est.time_limit is None and est.max_time is None  # max_time: stopped at a time, not tol
        if converged and est.n_iter_ > 0:
            # the stopping rule, recomputed in numpy: ‖∇L(β)‖∞ ≤ tol·‖∇L(0)‖∞ (+ rounding noise)
            beta = est.coef_.astype(np.float64)
            g = _gradient(Xa, ya, w, beta, est.fit_intercept)
            g0 = _gradient(Xa, ya, w, np.zeros(d), est.fit_intercept)
            lam = est.weight_decay
            if lam > 0 and est.parametrization == "linear":
                g = g + lam * beta  # ridge
            elif lam > 0:
                # the lasso's proximal-gradient mapping, t = 1/λ_max(X_cᵀWX_c), penalty μ‖β‖₁
                Xc = Xa - w @ Xa if est.fit_intercept else Xa
                t = 1.0 / max(np.linalg.eigvalsh(Xc.T @ (w[:, None] * Xc)).max(), np.finfo(float).tiny)
                mu = lam if est.parametrization in ("uv", "shape") else lam / 2
                z = beta - t * g
                if est.parametrization == "positive":
                    prox = np.maximum(z - t * mu, 0.0)
                else:
                    prox = np.sign(z) * np.maximum(np.abs(z) - t * mu, 0.0)
                g = (beta - prox) / t
            elif est.parametrization == "positive":
                # x ≥ 0: the projected-gradient residual |min(x_j, g_j)| (g_j ≥ 0 where x_j = 0)
                g = np.minimum(beta, g)
            if est.init_shape is not None and np.min(est.init_shape) == 0:
                return  # a one-signed network: its criterion is projected on the sign it has
            noise = 1e-10 * np.abs(Xa).max() * (np.abs(ya).max() + np.abs(Xa @ beta).max())
            if np.asarray(X).dtype == np.float32:
                noise *= 1e7
            assert np.abs(g).max() <= est.tol * np.abs(g0).max() * 1.01 + noise, \
                f"converged but ‖∇L‖∞ = {np.abs(g).max():.3e} > tol·‖∇L(0)‖∞ = {est.tol * np.abs(g0).max():.3e}"
    return check


@st.composite
def estimator_cases(draw):
    if draw(pick([True] * 3 + [False] * 2)):
        # a valid problem (n ≥ 2, float64, finite) with consistent options: the success paths
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n, d = draw(pick(range(3, 9))), draw(pick(range(1, 7)))
        X = rng.standard_normal((n, d))
        noise = draw(pick([0.0, 0.0, 0.1])) * rng.standard_normal(n)
        y = X @ rng.standard_normal(d) * draw(pick([1.0, 1.0, 0.1])) + noise
        sw = None if draw(pick(range(0, 4))) else rng.random(n) + 0.5
        return X, y, sw, _estimator_params(draw, steer=True)
    X = draw(matrices(min_side=1))
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    y = draw(vectors(n))
    sw = None if draw(pick(range(0, 4))) else draw(vectors(n, base=np.abs(np.arange(n, dtype=float)) + 0.5))
    return X, y, sw, _estimator_params(draw)


def _fit_case(case):
    X, y, sw, params = case
    est = DiagonalLinearRegressor(**params)
    out = call("DiagonalLinearRegressor.fit", EST_NAMES, lambda: est.fit(X, y, sample_weight=sw),
               _check_fit(est, X, y, sw))
    if out is not None:
        score = call("DiagonalLinearRegressor.score", ["X", "y", "sample_weight"],
                     lambda: est.score(X, y, sample_weight=sw))
        if score is not None:
            assert np.isfinite(score) or np.var(np.asarray(y, dtype=float)) == 0


@_settings(120)
@given(estimator_cases())
def test_fuzz_estimator_fit_predict(case):
    _fit_case(case)


@SLOW
@given(estimator_cases())
@pytest.mark.slow
def test_fuzz_slow_estimator_fit_predict(case):
    _fit_case(case)


# ------------------------------------------------------------------------------------------
# implicit_bias_limit (function and estimator method)
# ------------------------------------------------------------------------------------------
LIMIT_NAMES = ["X", "y", "init_scale", "parametrization", "depth", "init_shape", "tol", "max_iter",
               "log_init_scale", "sample_weight", "n_samples", "n_features"]


def _check_limit(X, y, fit_intercept=False, sw=None):
    def check(res, warned):
        Xa, ya, w = _as_data(X, y, sw)
        assert res.coef.shape == (Xa.shape[1],)
        _finite(res.coef, "coef")
        assert res.dual_coef.shape == (Xa.shape[0],)
        if res.converged and not warned:
            if fit_intercept:
                Xa, ya = Xa - w @ Xa, ya - w @ ya
            # an interpolator (the limit's constraint), checked in numpy
            r = _norm2(Xa @ res.coef - ya)
            scale = _norm2(ya) + np.linalg.norm(Xa, 2) * _norm2(res.coef)
            if not np.any(ya):
                scale = max(scale, 1.0)  # y ≡ 0: the documented residual is absolute (‖y‖ taken as 1)
            assert r <= 1e-6 * scale + 1e-300, f"converged but ‖Xβ − y‖ = {r:.3e} (scale {scale:.3e})"
    return check


def _mostly_valid(draw, max_side=5, wide=False):
    """(X, y): a valid Gaussian problem four times in five, else the odd inputs of matrices()
    and vectors() (the entry points of this wave are costlier per call than their refusals)."""
    if draw(pick([True] * 4 + [False])):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n = draw(pick(range(2, max_side + 1)))
        d = draw(pick(range(n if wide else 1, max(n, max_side) + 2)))
        X = rng.standard_normal((n, d))
        return X, rng.standard_normal(n) if draw(pick(range(0, 3))) else X[:, 0] - X[:, -1]
    X = _wide(draw) if wide else draw(matrices(min_side=1, max_side=max_side))
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    return X, draw(vectors(n))


def _wide(draw):
    """A matrix with n ≤ d mostly (an interpolator exists), sometimes any shape."""
    if draw(pick([True] * 4 + [False])):
        n = draw(pick(range(1, 5)))
        return draw(matrices(n=n, d=draw(pick(range(n, 7)))))
    return draw(matrices(max_side=6))


def _pm_for_depth(draw, kw):
    if isinstance(kw.get("depth"), int) and kw["depth"] in (3, 5) and draw(pick([True] * 4 + [False])):
        kw["parametrization"] = "pm"  # depth >= 3 is a pm network
    return kw


@st.composite
def limit_cases(draw):
    X = _wide(draw)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    y = draw(vectors(n))
    valid = {"init_scale": pick([1e-3, 0.1, 1.0, 10.0, 1e-60]),
             "parametrization": pick(["pm", "uv", "shape", "positive"]),
             "depth": pick([2, 2, 3, 5]),
             "tol": pick([1e-10, 1e-6]),
             "max_iter": pick([500, 5, 1])}
    return X, y, _pm_for_depth(draw, _bad_kwargs(draw, valid))


def _limit_case(case):
    X, y, kw = case
    call("implicit_bias_limit", LIMIT_NAMES, lambda: implicit_bias_limit(X, y, **kw),
         _check_limit(X, y))


@_settings(120)
@given(limit_cases())
def test_fuzz_implicit_bias_limit(case):
    _limit_case(case)


@SLOW
@given(limit_cases())
@pytest.mark.slow
def test_fuzz_slow_implicit_bias_limit(case):
    _limit_case(case)


@st.composite
def est_limit_cases(draw):
    X = _wide(draw)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    y = draw(vectors(n))
    sw = None if draw(pick(range(0, 4))) else draw(vectors(n, base=np.arange(n, dtype=float) + 0.5))
    params = _bad_kwargs(draw, {k: _EST_VALID[k] for k in ("parametrization", "init_scale", "depth",
                                                           "fit_intercept")})
    params = _pm_for_depth(draw, params)
    tol = draw(maybe(pick([1e-10, 1e-6])))
    return X, y, sw, params, tol


def _est_limit_case(case):
    X, y, sw, params, tol = case
    est = DiagonalLinearRegressor(**params)
    call("DiagonalLinearRegressor.implicit_bias_limit", EST_NAMES + LIMIT_NAMES,
         lambda: est.implicit_bias_limit(X, y, sw, tol=tol),
         _check_limit(X, y, fit_intercept=params["fit_intercept"] is True, sw=sw))


@_settings(80)
@given(est_limit_cases())
def test_fuzz_estimator_implicit_bias_limit(case):
    _est_limit_case(case)


@SLOW
@given(est_limit_cases())
@pytest.mark.slow
def test_fuzz_slow_estimator_implicit_bias_limit(case):
    _est_limit_case(case)


# ------------------------------------------------------------------------------------------
# gradient_flow
# ------------------------------------------------------------------------------------------
FLOW_NAMES = ["X", "y", "times", "init_scale", "parametrization", "depth", "init_shape",
              "log_init_scale", "tol", "fit_intercept", "max_steps", "n_jobs", "n_samples", "n_features"]


@st.composite
def flow_cases(draw):
    X = _wide(draw)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    y = draw(vectors(n))
    times = draw(mix(*[pick([[0.0, 1.0], [0.0, 0.5, 3.0], [2.0], np.array([0.0, 10.0])])] * 5,
                           pick([[], [1.0, 0.5], [-1.0, 1.0], [0.0, np.nan], [0.0, np.inf],
                                            [[0.0, 1.0]], [0.0, 1e300], np.array([0.0, 1.0]) + 1j,
                                            "times", None, 1.0])))
    valid = {"init_scale": pick([1e-3, 0.1, 1.0]),
             "parametrization": pick(["pm", "uv", "shape", "positive"]),
             "depth": pick([2, 2, 3]),
             "tol": pick([1e-8, 1e-5]),
             "fit_intercept": pick([False, True]),
             "max_steps": pick([100_000, 20, 1]),
             "n_jobs": pick([None, 1, 2])}
    kw = _pm_for_depth(draw, _bad_kwargs(draw, valid))
    if draw(pick(range(0, 8))) == 0:
        kw["log_init_scale"] = draw(pick([-2.0, -300.0, np.full(max(1, np.shape(X)[-1] if np.ndim(X) else 1), -3.0),
                                                     np.nan, "x"]))
    return X, y, times, kw


def _flow_case(case):
    X, y, times, kw = case

    def check(out, warned):
        path, mirror = out
        t = np.atleast_1d(np.asarray(times, dtype=float))
        d = np.asarray(X, dtype=float).shape[1]
        assert path.shape == mirror.shape
        assert path.shape[1] == d and path.shape[0] <= t.size
        if not warned:
            assert path.shape[0] == t.size
        _finite(path, "coef_path")

    call("gradient_flow", FLOW_NAMES, lambda: gradient_flow(X, y, times, **kw), check)


@_settings(100)
@given(flow_cases())
def test_fuzz_gradient_flow(case):
    _flow_case(case)


@SLOW
@given(flow_cases())
@pytest.mark.slow
def test_fuzz_slow_gradient_flow(case):
    _flow_case(case)


# ------------------------------------------------------------------------------------------
# linprog and basis_pursuit, against HiGHS
# ------------------------------------------------------------------------------------------
LP_NAMES = ["c", "A_ub", "b_ub", "A_eq", "b_eq", "bounds", "method", "reg", "tol", "maxiter",
            "time_limit", "c0", "step_rule", "step_size", "scale", "n_jobs", "X", "y", "callback",
            "init_scale"]
_LP_OPTS = {"method": pick(["newton", "newton", "dln", "eg"]),
            "tol": pick([1e-8, 1e-6]),
            "maxiter": pick([None, None, 5, 100]),
            "time_limit": pick([None, 5.0]),
            "step_rule": pick(["adaptive", "paper"]),
            "n_jobs": pick([None, 1, 2])}


@st.composite
def lp_cases(draw):
    nv = draw(pick(range(1, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = draw(mix(st.just(rng.standard_normal(nv)), st.just(rng.random(nv) + 0.1),
                       vectors(nv)))
    kw = {"c": c}
    if draw(pick([False, True])):
        m = draw(pick(range(0, 4)))
        kw["A_ub"] = draw(mix(*[st.just(rng.standard_normal((m, nv)))] * 4, matrices(m, nv)))
        kw["b_ub"] = draw(mix(*[st.just(rng.random(m) + 0.5)] * 4, vectors(m)))
    if draw(pick([False, True])):
        m = draw(pick(range(0, 3)))
        A = rng.random((m, nv)) + 0.1
        kw["A_eq"] = draw(mix(*[st.just(A)] * 4, matrices(m, nv)))
        kw["b_eq"] = draw(mix(*[st.just(A @ (rng.random(nv) + 0.1))] * 4, vectors(m)))
    kw["bounds"] = draw(mix(*[pick([(0, None), (0, 1), (-1, 2), (None, None)])] * 4,
                                  pick([[(0, 1)] * nv, [(1, 0)] * nv, (np.nan, 1), (0, np.inf),
                                                   [(0, 1)] * (nv + 1), "x", (0, 1, 2), None,
                                                   [(-np.inf, np.inf)] * nv, (1e300, None)])))
    opts = _bad_kwargs(draw, _LP_OPTS)
    if draw(pick(range(0, 4))) == 0:
        opts["reg"] = draw(maybe(pick([0.1, 1e-3])))
    if draw(pick(range(0, 6))) == 0:
        opts["c0"] = draw(pick([1.0, np.nan, np.inf, "x"]))
    if isinstance(opts.get("method"), str) and opts["method"] in ("dln", "eg") and opts.get("maxiter") is None:
        opts["maxiter"] = 20_000  # keep the first-order methods' runs short
    return kw, opts


def _highs(kw):
    """HiGHS through scipy on the same problem, or None when scipy refuses the input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return scipy.optimize.linprog(method="highs", **kw)
    except Exception:  # noqa: BLE001 - scipy's own refusal is not under test
        return None


def _highs_equilibrated(kw):
    """HiGHS on the same LP with c divided by max|c| and each constraint row (and its b) by its
    max|a_ij|, fun scaled back: the same feasible set and minimisers. HiGHS reads |values|
    ≥ 1e20 as infinite (c = 1.26e299 gave "HiGHS Status 15: Unknown")."""
    try:
        c = np.asarray(kw["c"], dtype=float).ravel()
        new = dict(kw, c=c)
        for a, b in (("A_ub", "b_ub"), ("A_eq", "b_eq")):
            if kw.get(a) is None:
                continue
            A = kw[a].toarray() if sp.issparse(kw[a]) else np.asarray(kw[a], dtype=float)
            A = A.reshape(1, -1) if A.ndim == 1 else A
            rmax = np.abs(A).max(axis=1, initial=0.0)
            r = 1.0 / np.where(rmax > 0, rmax, 1.0)
            new[a], new[b] = A * r[:, None], np.atleast_1d(np.asarray(kw[b], dtype=float)).ravel() * r
    except (TypeError, ValueError):
        return _highs(kw)
    sc = float(np.max(np.abs(c), initial=0.0)) or 1.0
    new["c"] = c / sc
    ref = _highs(new)
    if ref is not None and ref.status == 0:
        ref.fun = ref.fun * sc
    return ref


def _bounds(bounds, nv):
    """(lo, hi) arrays of a scipy-style bounds argument (None = unbounded)."""
    if bounds is None:  # scipy's default: x >= 0
        bounds = (0, None)
    pairs = [bounds] * nv if len(bounds) == 2 and not isinstance(bounds[0], (tuple, list)) else bounds
    lo = np.array([-np.inf if p[0] is None else p[0] for p in pairs], dtype=float)
    hi = np.array([np.inf if p[1] is None else p[1] for p in pairs], dtype=float)
    return lo, hi


def _check_lp(kw, opts):
    def check(res, warned):
        assert res.status in (0, 1, 2, 3, 4)
        if res.status != 0:
            return
        x = res.x
        nv = np.asarray(kw["c"]).size
        assert x.shape == (nv,)
        _finite(x, "x")
        _finite(res.fun, "fun")
        ref = _highs_equilibrated(kw)
        assert ref is not None, "status 0 on an input scipy refuses"
        if ref.status == 2 and "Model error" in ref.message:
            return  # HiGHS reads |values| ≥ 1e20 as infinite (a lower bound 1e300): no oracle
        if opts.get("reg") is not None and ref.status == 3:
            return  # with reg the entropic LP is solved: finite where the LP is unbounded (documented)
        # HiGHS: status 0 optimal, 2 infeasible, 3 unbounded
        assert ref.status == 0, f"dlnfast says optimal, HiGHS says status {ref.status}: {ref.message}"
        tol = max(1e-6, 1e3 * opts.get("tol", 1e-8))
        # feasibility in the user's units: bounds and rows, relative to their scale
        lo, hi = _bounds(kw["bounds"], nv)
        sc = 1 + np.abs(x)
        assert np.all(x >= lo - tol * sc) and np.all(x <= hi + tol * sc), f"x = {x} outside bounds {kw['bounds']}"
        if opts.get("reg") is None and not warned:
            # an LP optimum: HiGHS's objective, relative to the objective's scale
            scale = 1 + np.abs(np.asarray(kw["c"], dtype=float)) @ (np.abs(x) + np.abs(ref.x))
            assert abs(res.fun - float(np.real(opts.get("c0", 0.0))) - ref.fun) <= 1e-4 * scale, \
                f"fun = {res.fun} but HiGHS finds {ref.fun}"
    return check


def _lp_case(case):
    kw, opts = case
    call("linprog", LP_NAMES, lambda: linprog(**kw, **opts), _check_lp(kw, opts))


@_settings(80)
@given(lp_cases())
def test_fuzz_linprog(case):
    _lp_case(case)


@SLOW
@given(lp_cases())
@pytest.mark.slow
def test_fuzz_slow_linprog(case):
    _lp_case(case)


@st.composite
def bp_cases(draw):
    X = draw(matrices(min_side=1, max_side=5))
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    if np.ndim(X) == 2 and not sp.issparse(X) and draw(pick([False, True])):
        # X's first column (a matmul with e₀ was inf·0 = NaN, a RuntimeWarning, for X with an inf)
        y = np.array(np.asarray(X, dtype=complex).real[:, 0]) if np.shape(X)[1] else np.zeros(n)
    else:
        y = draw(vectors(n))
    opts = _bad_kwargs(draw, {"method": _LP_OPTS["method"], "tol": _LP_OPTS["tol"]})
    if isinstance(opts.get("method"), str) and opts["method"] in ("dln", "eg"):
        opts["maxiter"] = 20_000
    return X, y, opts


def _bp_case(case):
    X, y, opts = case

    def check(res, warned):
        if res.status != 0:
            return
        Xa = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
        ya = np.asarray(y, dtype=float)
        assert res.x.shape == (Xa.shape[1],)
        _finite(res.x, "x")
        r = np.abs(Xa @ res.x - ya)
        rtol = max(1e-6, 1e3 * opts.get("tol", 1e-8))  # linprog's own check of a status-0 point
        assert np.all(r <= 2 * rtol * (np.abs(ya) + np.abs(Xa) @ np.abs(res.x)) + 1e-12), f"Xβ ≠ y: {r}"
        # HiGHS drops tiny coefficients (X ~ 1e-101 gave ‖β‖₁ = 0; one entry 1e200 made the rest
        # of X/max|X| vanish, ‖β‖₁ = 0 again): equilibrate rows then columns, R X C γ = R y with
        # β = Cγ and ‖β‖₁ = Σ_j c_j |γ_j| (the same LP, each row and column of ∞-norm one)
        rmax = np.abs(Xa).max(axis=1, initial=0.0)
        rs = 1.0 / np.where(rmax > 0, rmax, 1.0)  # a zero row or column is left as it is
        Xr = Xa * rs[:, None]
        cmax = np.abs(Xr).max(axis=0, initial=0.0)
        cs = 1.0 / np.where(cmax > 0, cmax, 1.0)
        Xs = Xr * cs
        ref = _highs({"c": np.concatenate([cs, cs]), "A_eq": np.hstack([Xs, -Xs]), "b_eq": ya * rs,
                      "bounds": (0, None)})
        if ref is not None and ref.status == 2 and "Model error" in ref.message:
            return  # HiGHS reads |values| ≥ 1e20 as infinite (X ~ 1e300): no oracle
        assert ref is not None and ref.status == 0, "basis_pursuit optimal where HiGHS is not"
        if not warned:
            assert abs(np.abs(res.x).sum() - ref.fun) <= 1e-4 * (1 + ref.fun), \
                f"‖β‖₁ = {np.abs(res.x).sum()} but HiGHS finds {ref.fun}"

    call("basis_pursuit", LP_NAMES, lambda: basis_pursuit(X, y, **opts), check)


@_settings(60)
@given(bp_cases())
def test_fuzz_basis_pursuit(case):
    _bp_case(case)


@SLOW
@given(bp_cases())
@pytest.mark.slow
def test_fuzz_slow_basis_pursuit(case):
    _bp_case(case)


# ------------------------------------------------------------------------------------------
# transport
# ------------------------------------------------------------------------------------------
OT_NAMES = ["a", "b", "M", "reg", "method", "tol", "maxiter", "time_limit", "step_rule",
            "step_size", "n_jobs", "warn"]


@st.composite
def ot_cases(draw):
    n1, n2 = draw(pick(range(1, 5))), draw(pick(range(1, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.random(n1) + 0.1
    b = rng.random(n2) + 0.1
    b *= a.sum() / b.sum()
    a = draw(mix(*[st.just(a)] * 5, vectors(n1)))
    b = draw(mix(*[st.just(b)] * 5, vectors(n2)))
    M = draw(mix(*[st.just(rng.random((n1, n2)))] * 5, matrices(n1, n2)))
    reg = draw(maybe(pick([0.05, 0.5, 1e-3, None])))
    opts = _bad_kwargs(draw, _LP_OPTS)
    if draw(pick(range(0, 5))) == 0:
        opts["step_size"] = draw(maybe(pick([0.01, 0.1])))
    if isinstance(opts.get("method"), str) and opts["method"] in ("dln", "eg") and opts.get("maxiter") is None:
        opts["maxiter"] = 20_000
    return a, b, M, reg, opts


def _ot_case(case):
    a, b, M, reg, opts = case

    def check(res, warned):
        assert res.status in (0, 1, 4)
        if res.status != 0:
            return
        aa, bb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        P = res.plan
        assert P.shape == (aa.size, bb.size)
        _finite(P, "plan")
        assert np.all(P >= 0)
        tol = max(1e-6, 1e3 * opts.get("tol", 1e-9))
        err = np.abs(P.sum(1) - aa).sum() + np.abs(P.sum(0) - bb).sum()
        assert err <= 2 * tol * aa.sum() + 1e-300, f"marginal error {err}"

    call("transport", OT_NAMES, lambda: transport(a, b, M, reg, **opts), check)


@_settings(80)
@given(ot_cases())
def test_fuzz_transport(case):
    _ot_case(case)


@SLOW
@given(ot_cases())
@pytest.mark.slow
def test_fuzz_slow_transport(case):
    _ot_case(case)


# ------------------------------------------------------------------------------------------
# read_mps: mutated copies of a small valid file
# ------------------------------------------------------------------------------------------
_MPS = """NAME          TINY
ROWS
 N  COST
 L  LIM1
 G  LIM2
 E  MYEQN
COLUMNS
    X1        COST         1.0   LIM1         1.0
    X1        LIM2         1.0
    X2        COST         2.0   LIM1         1.0
    X2        MYEQN       -1.0
    X3        COST        -1.0   MYEQN        1.0
RHS
    RHS       LIM1         4.0   LIM2         1.0
    RHS       MYEQN        7.0
BOUNDS
 UP BND       X1           4.0
 LO BND       X2          -1.0
 UP BND       X2           1.0
ENDATA
"""


@st.composite
def mps_texts(draw):
    lines = _MPS.splitlines()
    for _ in range(draw(pick(range(0, 4)))):
        i = draw(pick(range(0, len(lines))))
        op = draw(pick(["drop", "dup", "garble", "number", "truncate"]))
        if op == "drop":
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "garble":
            lines[i] = draw(st.text(alphabet="ABCXYZ0123456789 .-+eE\t", max_size=40))
        elif op == "number":
            lines[i] = re.sub(r"-?\d+\.\d+", draw(pick(["nan", "inf", "1e999", "abc", "1e-400"])),
                              lines[i], count=1)
        elif op == "truncate":
            lines = lines[:i]
        if not lines:
            break
    return "\n".join(lines) + "\n"


def _mps_case(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("mps") / "fuzz.mps"
    path.write_text(text)

    def check(prob, warned):
        assert set(prob) == {"c", "A_ub", "b_ub", "A_eq", "b_eq", "bounds", "c0"}
        nv = prob["c"].size
        assert prob["A_ub"].shape[1] == nv or prob["A_ub"].shape[0] == 0
        assert len(prob["bounds"]) == nv

    call("read_mps", ["path"], lambda: read_mps(path), check)


@_settings(40)
@given(mps_texts())
def test_fuzz_read_mps(tmp_path_factory, text):
    pytest.importorskip("highspy")
    _mps_case(text, tmp_path_factory)


# ------------------------------------------------------------------------------------------
# potentials and datasets
# ------------------------------------------------------------------------------------------
_ELEMENTWISE = {"hyperbolic_mirror_map", "hyperbolic_inverse_mirror_map",
                "hyperbolic_inverse_mirror_map_derivative", "hyperbolic_hessian",
                "depth_inverse_mirror_map", "depth_inverse_mirror_map_derivative", "depth_mirror_map",
                "depth_hessian", "positive_mirror_map", "positive_inverse_mirror_map", "positive_hessian"}


@st.composite
def potential_cases(draw):
    name = draw(pick(sorted(potentials.__all__)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = draw(pick(range(0, 5)))
    arg = draw(mix(*[st.just(rng.standard_normal(size) * draw(pick([0.01, 1.0, 10.0])))] * 4,
                         vectors(max(size, 1)), pick([0.5, np.nan, "x", None, [[1.0]]])))
    if name.startswith("positive") and draw(pick([False, True])):
        try:  # non-negative where it is numeric (sparse, strings, None: left as drawn)
            arg = np.abs(np.asarray(arg, dtype=complex).real) if not (arg is None or sp.issparse(arg)) else arg
        except (TypeError, ValueError):
            pass
    if name.startswith("depth") and name not in ("depth_mirror_map", "depth_potential", "depth_hessian") \
            and isinstance(arg, np.ndarray):
        arg = np.asarray(arg, dtype=complex).real * 1e-3  # inside the domain |cθ| < 1, mostly
    kw = {}
    key = "scale" if name.startswith("hyperbolic") else "init_scale"
    if draw(pick(range(0, 5))):
        kw[key] = draw(maybe(pick([0.1, 1.0, 1e-3, np.full(max(size, 1), 0.5)]), p_bad=2))
    else:
        kw["log_" + key] = draw(maybe(pick([-1.0, -500.0, 2.0]), p_bad=2))
    if draw(pick(range(0, 6))) == 0 and key in kw and "log_" + key not in kw:
        kw["log_" + key] = -1.0  # both given: refused
    if name.startswith("depth"):
        kw["depth"] = draw(maybe(pick([3, 4, 10]), bad=[2, 1, 0, -3, 3.0, 65, 2**40, None, "3", True]))
    return name, arg, kw


def _potential_case(case):
    name, arg, kw = case
    fn = getattr(potentials, name)
    names = ["beta", "z", "theta", "x", "scale", "log_scale", "init_scale", "log_init_scale", "depth"]

    def check(out, warned):
        out = np.asarray(out)
        if name in _ELEMENTWISE:
            # positive_hessian = 1/(4x) does not depend on α: it has the shape of x
            scales = [np.shape(v) for k, v in kw.items() if k.endswith("scale") and name != "positive_hessian"]
            assert out.shape == np.broadcast_shapes(np.shape(arg), *scales)
        else:
            assert out.ndim == 0
        # ±inf is the IEEE answer where the true value is beyond the float range (a·sinh(2z) for
        # z = 400, log 0 = −∞ in the positive mirror map, Φ* = +∞ outside the depth-D domain);
        # NaN never is
        assert not np.any(np.isnan(out)), f"{name}(...) returned NaN: {out}"

    call(f"potentials.{name}", names, lambda: fn(arg, **kw), check)


@_settings(300)
@given(potential_cases())
def test_fuzz_potentials(case):
    _potential_case(case)


@SLOW
@given(potential_cases())
@pytest.mark.slow
def test_fuzz_slow_potentials(case):
    _potential_case(case)


@_settings(60)
@given(st.fixed_dictionaries({
    "n_samples": maybe(pick(range(1, 21))), "n_features": maybe(pick(range(1, 21))),
    "n_informative": maybe(pick(range(0, 6))), "noise": maybe(pick([0.0, 0.1])),
    "coef_range": maybe(pick([(0.5, 2.0), (1.0, 1.0)]),
                        bad=[(2.0, 0.5), (np.nan, 1.0), (0.0, np.inf), "ab", (1.0,), None]),
    "random_state": maybe(pick(range(0, 11)), bad=[-1, 2**40, "x", 1.5]),
}))
def test_fuzz_make_sparse_regression(kw):
    names = list(kw)

    def check(out, warned):
        X, y, coef = out
        assert X.shape == (kw["n_samples"], kw["n_features"]) and y.shape == (kw["n_samples"],)
        assert coef.shape == (kw["n_features"],) and np.count_nonzero(coef) == kw["n_informative"]
        _finite(X, "X")
        _finite(y, "y")
        lo, hi = kw["coef_range"]
        nz = np.abs(coef[coef != 0])
        assert np.all((nz >= lo) & (nz <= hi))
        np.testing.assert_allclose(y, X @ coef, atol=12 * kw["noise"] + 1e-12)

    call("datasets.make_sparse_regression", names, lambda: datasets.make_sparse_regression(**kw), check)


# ------------------------------------------------------------------------------------------
# sharpness: against the spectrum of a finite-difference Hessian
# ------------------------------------------------------------------------------------------
SHARP_NAMES = ["X", "y", "factors", "parametrization", "depth", "weight_decay", "fit_intercept",
               "sample_weight", "tol", "max_iter", "n_samples", "n_features"]
_N_FACTORS = {"pm": 2, "uv": 2, "shape": 4, "positive": 1, "linear": 1}


@st.composite
def sharpness_cases(draw):
    X, y = _mostly_valid(draw, max_side=4)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    d = np.shape(X)[-1] if np.ndim(X) >= 1 else 1
    kw = _bad_kwargs(draw, {"parametrization": pick(["pm", "uv", "shape", "positive", "linear", "product"]),
                            "depth": pick([2, 2, 3]),
                            "weight_decay": pick([0.0, 0.0, 0.1]),
                            "fit_intercept": pick([False, True]),
                            "tol": pick([1e-10, 1e-10, 1e-4]),
                            "max_iter": pick([500, 500, 3, 1])})
    name = kw["parametrization"] if isinstance(kw["parametrization"], str) else "pm"
    K = _N_FACTORS.get(name, draw(pick([1, 2, 3])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    theta = rng.standard_normal((K, d))
    factors = draw(mix(*[st.just(list(theta))] * 6, st.just(theta),
                       pick([list(theta[:, :-1]) if d > 1 else [], list(theta) + [theta[0]], "x", None, 1.0,
                             [np.full(d, np.nan)] * K, [theta[0] + 1j] * K, [["a"] * d] * K])))
    if draw(pick(range(0, 4))) == 0:
        kw["sample_weight"] = draw(vectors(n, base=np.arange(n, dtype=float) + 0.5))
    return X, y, factors, kw


def _sharpness_case(case):
    X, y, factors, kw = case

    def check(value, warned):
        assert np.ndim(value) == 0
        _finite(value, "sharpness")
        Xa, ya, w = _as_data(X, y, kw.get("sample_weight"))
        theta = np.array(factors, dtype=float)
        depth = kw["depth"] if kw["parametrization"] == "pm" else 2
        exact = kw["tol"] <= 1e-8 and kw["max_iter"] >= theta.size
        _check_sharpness(float(value), Xa, ya, w, kw["fit_intercept"] is True, kw["parametrization"], theta,
                         depth, float(kw["weight_decay"]), exact)

    call("sharpness", SHARP_NAMES, lambda: dlnfast.sharpness(X, y, factors, **kw), check)


@_settings(60)
@given(sharpness_cases())
def test_fuzz_sharpness(case):
    _sharpness_case(case)


@SLOW
@given(sharpness_cases())
@pytest.mark.slow
def test_fuzz_slow_sharpness(case):
    _sharpness_case(case)


# ------------------------------------------------------------------------------------------
# fit_path: every row against its own single fit (bit-identical when exact)
# ------------------------------------------------------------------------------------------
PATH_NAMES = EST_NAMES + ["init_scales", "step_sizes", "init_shapes", "momenta", "random_states",
                          "configs", "batched", "exact", "estimator_params"]
_PATH_STATUS = {"tol", "target_loss", "max_iter", "time_limit", "diverged"}


def _is(value, name):
    """value == name for a string value (an odd array value compares elementwise)."""
    return isinstance(value, str) and value == name


@st.composite
def path_cases(draw):
    X, y = _mostly_valid(draw)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    axes = {}
    bad_list = [[], "abc", 0.1, None, [np.nan], [-1.0], [0.1, "x"], {"a": 1}]
    if draw(pick([True] * 5 + [False])):
        axes["init_scales"] = draw(mix(*[pick([[1e-3, 0.1, 1.0], [0.5], [1e-2, 1e-2]])] * 5, pick(bad_list)))
    if draw(pick([False] * 3 + [True])):
        axes["step_sizes"] = draw(mix(*[pick([["auto", 1e-3], [0.05]])] * 5, pick(bad_list)))
    if draw(pick([False] * 4 + [True])):
        axes["init_shapes"] = draw(mix(*[pick([[None, (1.0, 0.5)], [(0.5, 2.0)]])] * 4, pick(bad_list)))
    if draw(pick([False] * 4 + [True])):
        axes["momenta"] = draw(mix(*[pick([[0.0, 0.5], [0.3]])] * 4, pick(bad_list + [[1.5]])))
    if draw(pick([False] * 5 + [True])):
        axes["random_states"] = draw(mix(*[pick([[0, 1], [2]])] * 4, pick(bad_list)))
    if not axes and draw(pick([True, True, False])):
        axes["configs"] = draw(mix(*[pick([[{"init_scale": 0.1}, {"init_scale": 1.0, "solver": "md"}],
                                           [{"solver": "sgd", "random_state": 0}, {"init_scale": 0.5}],
                                           [{"step_size": 1e-3, "momentum": 0.5}]])] * 4,
                                   pick([[], [1], {"init_scale": 1.0}, [{"init_scale": -1.0}], [{"bogus": 1}],
                                         "x"])))
    shared = _bad_kwargs(draw, {"solver": pick(["gd", "gd", "md", "sgd", "adam"]),
                                "parametrization": pick(["pm", "pm", "uv", "positive", "linear"]),
                                "max_iter": pick([0, 1, 200, 3000]),
                                "tol": pick([1e-4, 1e-2]),
                                "fit_intercept": pick([False, True]),
                                "weight_decay": pick([0.0, 0.0, 0.0, 0.05]),
                                "sharpness_every": pick([None] * 5 + [50])}, p=0.15)
    if _is(shared.get("solver"), "md") and _is(shared.get("parametrization"), "linear"):
        shared["parametrization"] = "pm"
    if not (_is(shared.get("solver"), "gd") or _is(shared.get("solver"), "sgd")) and "momenta" in axes \
            and draw(pick([True] * 4 + [False])):
        del axes["momenta"]
    opts = _bad_kwargs(draw, {"batched": pick([True, True, False]), "exact": pick([True, True, False])}, p=0.1)
    sw = None if draw(pick(range(0, 5))) else draw(vectors(n, base=np.arange(n, dtype=float) + 0.5))
    return X, y, axes, shared, opts, sw, draw(st.integers(0, 2**32 - 1))


def _path_case(case):
    X, y, axes, shared, opts, sw, seed = case

    def check(path, warned):
        Xa = np.asarray(X, dtype=np.float64)
        K, d = len(path.configs_), Xa.shape[1]
        assert path.coefs_.shape == (K, d) and path.intercepts_.shape == (K,) and path.n_iter_.shape == (K,)
        assert path.effective_init_scales_.shape == (K, d) and len(path.status_) == K
        assert set(path.status_) <= _PATH_STATUS, path.status_
        ok = np.array([s != "diverged" for s in path.status_])
        _finite(path.coefs_[ok], "coefs_")
        _finite(path.intercepts_[ok], "intercepts_")
        # one configuration, picked at random, refitted alone by the estimator
        k = int(np.random.default_rng(seed).integers(K))
        est = DiagonalLinearRegressor(**{**shared, **path.configs_[k]})
        if est.solver == "sgd" and est.random_state is None:
            return  # a fresh seed per fit: nothing to compare against
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", (ConvergenceWarning, DataConversionWarning))
                est.fit(X, y, sample_weight=sw)
        except ValueError as exc:
            assert path.status_[k] == "diverged", f"configuration {k} fitted in the path, alone: {exc}"
            return
        assert path.status_[k] != "diverged", f"configuration {k} diverged in the path but not alone"
        assert path.n_iter_[k] == est.n_iter_
        if opts.get("exact", True):
            np.testing.assert_array_equal(path.coefs_[k], est.coef_)
            assert path.intercepts_[k] == est.intercept_
        else:
            np.testing.assert_allclose(path.coefs_[k], est.coef_, rtol=1e-6,
                                       atol=1e-9 * (1 + np.abs(est.coef_).max()))

    call("fit_path", PATH_NAMES,
         lambda: dlnfast.fit_path(X, y, sample_weight=sw, **axes, **opts, **shared), check)


@_settings(40)
@given(path_cases())
def test_fuzz_fit_path(case):
    _path_case(case)


@SLOW
@given(path_cases())
@pytest.mark.slow
def test_fuzz_slow_fit_path(case):
    _path_case(case)


# ------------------------------------------------------------------------------------------
# implicit_bias_path: every row against implicit_bias_limit at that scale
# ------------------------------------------------------------------------------------------
@st.composite
def ib_path_cases(draw):
    X, y = _mostly_valid(draw, wide=True)
    scales = draw(mix(*[pick([[1e-3, 0.1, 1.0], [10.0, 1e-6], [0.5], [1e-2, 1e-2, 1.0], np.logspace(-4, 0, 5)])] * 5,
                      pick([[], [0.0], [-1.0], [np.nan], [np.inf], "x", None, [[0.1]], [0.1 + 1j], 0.5])))
    kw = _pm_for_depth(draw, _bad_kwargs(draw, {"parametrization": pick(["pm", "uv", "shape", "positive"]),
                                                "depth": pick([2, 2, 3]),
                                                "tol": pick([1e-10, 1e-6]),
                                                "max_iter": pick([500, 500, 5])}))
    return X, y, scales, kw


def _ib_path_case(case):
    X, y, scales, kw = case

    def check(coefs, warned):
        Xa = np.asarray(X, dtype=np.float64)
        s = np.asarray(scales, dtype=float).ravel()
        assert coefs.shape == (s.size, Xa.shape[1])
        _finite(coefs, "coefs")
        if warned:
            return
        for k, alpha in enumerate(s):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                lim = implicit_bias_limit(X, y, init_scale=alpha, **kw)
            if lim.converged:
                scale = 1e-5 * (1 + np.abs(lim.coef).max())
                np.testing.assert_allclose(coefs[k], lim.coef, rtol=1e-5, atol=scale,
                                           err_msg=f"scale {alpha}: the path and implicit_bias_limit differ")

    call("implicit_bias_path", LIMIT_NAMES + ["init_scales"],
         lambda: dlnfast.implicit_bias_path(X, y, scales, **kw), check)


@_settings(50)
@given(ib_path_cases())
def test_fuzz_implicit_bias_path(case):
    _ib_path_case(case)


@SLOW
@given(ib_path_cases())
@pytest.mark.slow
def test_fuzz_slow_implicit_bias_path(case):
    _ib_path_case(case)


# ------------------------------------------------------------------------------------------
# DiagonalLinearRegressorCV
# ------------------------------------------------------------------------------------------
CV_NAMES = EST_NAMES + ["init_scales", "cv"]


@st.composite
def cv_cases(draw):
    X, y = _mostly_valid(draw, max_side=8)
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    params = _bad_kwargs(draw, {
        "init_scales": pick([[1e-2, 0.1, 1.0], [0.5], [1e-3, 1e-3]]),
        "cv": pick([2, 2, 3]),
        "parametrization": pick(["pm", "pm", "uv", "positive"]),
        "solver": pick(["gd", "gd", "md", "sgd"]),
        "max_iter": pick([1, 200, 2000]),
        "tol": pick([1e-4, 1e-2]),
        "fit_intercept": pick([False, True]),
        "random_state": pick([0, 0, None])}, p=0.2)
    if draw(pick(range(0, 8))) == 0:
        params["init_scales"] = draw(pick([[], [0.0], [np.nan], "x", [[0.1]], [-1.0]]))
    sw = None if draw(pick(range(0, 5))) else draw(vectors(n, base=np.arange(n, dtype=float) + 0.5))
    return X, y, sw, params


def _cv_case(case):
    X, y, sw, params = case
    model = dlnfast.DiagonalLinearRegressorCV(**params)

    def check(out, warned):
        assert out is model
        Xa = np.asarray(X, dtype=np.float64)
        scales = model.init_scales_
        assert model.init_scale_ in scales
        assert model.mse_path_.shape[0] == scales.size
        mse = model.mse_path_
        # the chosen scale has the lowest mean held-out error (a diverged fit: never chosen)
        mean = np.where(np.isnan(mse).any(axis=1), np.inf, mse.mean(axis=1))
        if np.isfinite(mean).any():
            best = [i for i, a in enumerate(scales) if a == model.init_scale_]
            assert min(mean[i] for i in best) <= mean.min() * (1 + 1e-12)
        if model.random_state is not None and model.solver == "sgd":
            # seeded: a repeated scale gets the same held-out errors
            for i, j in itertools.combinations(range(scales.size), 2):
                if scales[i] == scales[j]:
                    np.testing.assert_array_equal(mse[i], mse[j])
        assert model.coef_.shape == (Xa.shape[1],)
        _finite(model.coef_, "coef_")
        _finite(model.intercept_, "intercept_")
        np.testing.assert_array_equal(model.coef_, model.best_estimator_.coef_)
        pred = call("DiagonalLinearRegressorCV.predict", ["X"], lambda: model.predict(X))
        _finite(pred, "predict(X)")
        np.testing.assert_allclose(pred, Xa @ model.coef_.astype(np.float64) + model.intercept_,
                                   rtol=1e-5, atol=1e-6 * (1 + np.abs(pred).max()))

    call("DiagonalLinearRegressorCV.fit", CV_NAMES, lambda: model.fit(X, y, sample_weight=sw), check)


@_settings(30)
@given(cv_cases())
def test_fuzz_regressor_cv(case):
    _cv_case(case)


@SLOW
@given(cv_cases())
@pytest.mark.slow
def test_fuzz_slow_regressor_cv(case):
    _cv_case(case)


# ------------------------------------------------------------------------------------------
# DiagonalLinearClassifier: parameters drawn from its own _parameter_constraints
# ------------------------------------------------------------------------------------------
def _interval_values(c):
    """A few values inside a sklearn Interval (its ends where closed, a point inside, small
    counts for an unbounded integer range)."""
    lo, hi = c.left, c.right
    integral = c.type is numbers.Integral
    if integral:
        a = lo if lo is not None else -2
        a = a if c.closed in ("left", "both") or lo is None else a + 1
        b = hi if hi is not None else a + 50
        b = b if c.closed in ("right", "both") or hi is None else b - 1
        return sorted({a, min(a + 1, b), min(a + 3, b), b if hi is not None else min(a + 10, b)})
    a = 0.0 if lo is None else float(lo)
    if hi is None:
        inside = [a + 1e-3, a + 0.1, a + 1.0]
    else:
        inside = [a + 0.5 * (float(hi) - a), a + 0.1 * (float(hi) - a)]
    ends = ([a] if lo is not None and c.closed in ("left", "both") else []) + \
        ([float(hi)] if hi is not None and c.closed in ("right", "both") else [])
    return inside + ends


def constraint_values(constraints, name):
    """Every valid value of ``name`` this strategy can name from its sklearn constraints: each
    StrOptions option, both booleans, None, points of each Interval."""
    out = []
    for c in constraints[name]:
        if c is None:
            out.append(None)
        elif c == "boolean":
            out += [False, True]
        elif isinstance(c, StrOptions):
            out += sorted(o for o in c.options if o not in c.deprecated)
        elif isinstance(c, Interval):
            out += _interval_values(c)
    return out


def estimator_params_strategy(cls, preferred):
    """{parameter: strategy} for every parameter of ``cls._parameter_constraints``: the values of
    ``preferred`` (cheap, mostly-succeeding ones) where given, plus every string option of the
    constraints (an option added later, e.g. a solver, is drawn without editing this file);
    constraint-derived values for a parameter this file does not know yet."""
    out = {}
    for name in cls._parameter_constraints:
        derived = constraint_values(cls._parameter_constraints, name)
        if name in preferred:
            vals = list(preferred[name]) + [v for v in derived if isinstance(v, str) and v not in preferred[name]]
        else:
            vals = derived or [None]
        out[name] = pick(vals)
    return out


CLF_NAMES = ["X", "y", "sample_weight"] + list(DiagonalLinearClassifier._parameter_constraints)
_CLF_PREFERRED = {
    "init_scale": [1e-3, 0.1, 1.0, 0.5],
    "depth": [2] * 6 + [3],
    # gd (the only solver so far) weighted up; every other option of the constraints is drawn too
    "solver": ["gd"] * 12,
    "step_size": ["auto"] * 3 + [0.5],
    "max_iter": [5000] * 6 + [300, 0, 1],
    "tol": [1e-3, 1e-2, 1e-2, 1e-4, 0.0],
    "target_loss": [None, None, None, 1e-2, 1e-300],
    "intercept_scaling": [1.0, 1.0, 0.5, 3.0],
    "momentum": [0.0, 0.0, 0.0, 0.5],
    "n_jobs": [None, 1, 2],
    "init_shape": [None] * 8 + [(1.0, 0.5), (0.5, 2.0)],
}


@st.composite
def classifier_data(draw):
    """(X, y, sample_weight): labelled by a random hyperplane (separable), with label noise, in
    three classes, or as strings, four times in five; the odd inputs of matrices()/vectors()."""
    if draw(pick([True] * 4 + [False])):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n, d = draw(pick(range(4, 13))), draw(pick(range(1, 6)))
        X = rng.standard_normal((n, d))
        kind = draw(pick(["sep", "sep", "noisy", "multi", "str", "pm1"]))
        if kind == "multi":
            idx = np.argmax(X @ rng.standard_normal((d, 3)), axis=1)
        else:
            s = X @ rng.standard_normal(d) + (0.5 * rng.standard_normal(n) if kind == "noisy" else 0.0)
            idx = (s > 0).astype(int)
        idx[:2] = [0, 1]  # both classes present
        labels = {"str": np.array(["cat", "dog", "emu"]), "pm1": np.array([-1, 1, 3])}.get(kind, np.arange(3))
        y = labels[idx]
        if draw(pick(range(0, 6))) == 0:
            X = draw(pick([X * 1e3, X * 1e-3, X.astype(np.float32), np.asfortranarray(X)]))
    else:
        X = draw(matrices(min_side=1))
        n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
        y = draw(mix(st.just((np.arange(n) % 2).astype(float)), vectors(n)))
    n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
    sw = None if draw(pick(range(0, 4))) else draw(vectors(n, base=np.arange(n, dtype=float) % 3 + 0.5))
    return X, y, sw


@st.composite
def classifier_cases(draw):
    X, y, sw = draw(classifier_data())
    params = _bad_kwargs(draw, estimator_params_strategy(DiagonalLinearClassifier, _CLF_PREFERRED), p=0.2)
    if _opt(params, "depth") == 3 and draw(pick([True] * 4 + [False])):
        params["parametrization"] = "pm"  # depth >= 3 is a pm network
    if _opt(params, "parametrization") == "positive" and draw(pick([True] * 4 + [False])):
        params["init_shape"] = None  # positive networks take per-feature init_scale instead
    return X, y, sw, params


def _margin_loss_gradient(Xa, yk, w, coef, intercept, est):
    """∇_β L of the classifier's margin loss in numpy, β including the intercept coordinate
    (a constant column of value intercept_scaling), and ∇L(0)."""
    if est.fit_intercept:
        Xa = np.column_stack([Xa, np.full(Xa.shape[0], float(est.intercept_scaling))])
        coef = np.append(coef, intercept / est.intercept_scaling)
    m = yk * (Xa @ coef)
    # ℓ'(m): −σ(−m) (logistic), −e^{−m} (exponential)
    dl = -scipy.special.expit(-m) if est.loss == "logistic" else -np.exp(-m)
    dl0 = -0.5 if est.loss == "logistic" else -1.0
    return Xa.T @ (w * yk * dl), Xa.T @ (w * yk * dl0), coef


def _check_classifier(est, X, y, sw):
    def check(out, warned):
        assert out is est
        Xa = np.asarray(X, dtype=np.float64)
        ya = np.asarray(y).ravel()
        n, d = Xa.shape
        classes = np.unique(ya)
        np.testing.assert_array_equal(est.classes_, classes)
        k = classes.size
        rows = 1 if k == 2 else k
        assert est.coef_.shape == (rows, d) and est.intercept_.shape == (rows,)
        _finite(est.coef_, "coef_")
        _finite(est.intercept_, "intercept_")
        dec = call("DiagonalLinearClassifier.decision_function", ["X"], lambda: est.decision_function(X))
        assert dec.shape == ((n,) if k == 2 else (n, k))
        _finite(dec, "decision_function(X)")
        ref = Xa @ est.coef_.astype(np.float64).T + est.intercept_
        np.testing.assert_allclose(dec, ref[:, 0] if k == 2 else ref, rtol=1e-5,
                                   atol=1e-6 * (1 + np.abs(ref).max()))
        pred = call("DiagonalLinearClassifier.predict", ["X"], lambda: est.predict(X))
        expect = classes[(dec > 0).astype(int)] if k == 2 else classes[np.argmax(dec, axis=1)]
        np.testing.assert_array_equal(pred, expect)
        if est.loss == "logistic":
            proba = call("DiagonalLinearClassifier.predict_proba", ["X"], lambda: est.predict_proba(X))
            assert proba.shape == (n, k)
            _finite(proba, "predict_proba(X)")
            assert np.all(proba >= 0) and np.all(proba <= 1)
            eps = np.finfo(proba.dtype).eps  # float32 X: float32 probabilities
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=20 * eps)
            # the most probable class is the predicted one (ties aside)
            top = proba.max(axis=1)
            assert np.all(proba[np.arange(n), np.searchsorted(classes, pred)] >= top * (1 - 20 * eps))
        else:
            assert not hasattr(est, "predict_proba")
        score = call("DiagonalLinearClassifier.score", ["X", "y", "sample_weight"],
                     lambda: est.score(X, y, sample_weight=sw))
        wts = np.ones(n) if sw is None else np.asarray(sw, dtype=float)
        assert abs(score - np.sum(wts * (pred == ya)) / wts.sum()) <= 1e-12
        # Nesterov measures the criterion at its look-ahead point, not at the returned β (seen by
        # the slow profile: 9.65e-3 at β for a 9.55e-3 bound): the numpy check is for the others
        # a run that stopped at target_loss or target_log_loss stopped on the loss, not on tol
        # (seen by the slow profile: target_log_loss=1.0, 4 flow steps, ‖∇L‖∞ = 32·tol·‖∇L(0)‖∞)
        converged = not warned and np.all(est.n_iter_ < est.max_iter) and est.target_loss is None \
            and est.target_log_loss is None and est.tol > 0 and est.init_shape is None \
            and not (est.nesterov and est.momentum > 0)
        if converged and np.all(est.n_iter_ > 0) and Xa.dtype == np.float64 and np.asarray(X).dtype == np.float64:
            # the stopping rule, recomputed in numpy per binary problem: ‖∇L‖∞ ≤ tol·‖∇L(0)‖∞
            w = wts / wts.sum()
            problems = [ya == classes[1]] if k == 2 else [ya == c for c in classes]
            for r, positive in enumerate(problems):
                yk = np.where(positive, 1.0, -1.0)
                g, g0, beta = _margin_loss_gradient(Xa, yk, w, est.coef_[r].astype(float),
                                                    float(est.intercept_[r]), est)
                if est.parametrization == "positive":
                    g = np.minimum(beta, g)  # β ≥ 0: the projected-gradient residual
                noise = 1e-10 * (1 + np.abs(Xa).max()) * (1 + np.abs(g0).max())
                assert np.abs(g).max() <= est.tol * max(np.abs(g0).max(), 0) * 1.01 + noise, \
                    f"class {r}: converged but ‖∇L‖∞ = {np.abs(g).max():.3e} > tol·‖∇L(0)‖∞ = " \
                    f"{est.tol * np.abs(g0).max():.3e}"
    return check


def _classifier_case(case):
    X, y, sw, params = case
    est = DiagonalLinearClassifier(**params)
    call("DiagonalLinearClassifier.fit", CLF_NAMES, lambda: est.fit(X, y, sample_weight=sw),
         _check_classifier(est, X, y, sw))


@_settings(80)
@given(classifier_cases())
def test_fuzz_classifier(case):
    _classifier_case(case)


@SLOW
@given(classifier_cases())
@pytest.mark.slow
def test_fuzz_slow_classifier(case):
    _classifier_case(case)


# ------------------------------------------------------------------------------------------
# max_margin: against an LP of its own (l1) / the primal QP (l2), and random directions
# ------------------------------------------------------------------------------------------
MM_NAMES = ["X", "y", "norm"]


@st.composite
def max_margin_cases(draw):
    if draw(pick([True] * 4 + [False])):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n, d = draw(pick(range(2, 10))), draw(pick(range(1, 5)))
        X = rng.standard_normal((n, d))
        s = X @ rng.standard_normal(d)
        y = np.where(s > 0, 1, 0) if draw(pick(range(0, 5))) else rng.integers(0, 2, n)  # else: maybe not separable
        y[:2] = [0, 1]
        y = draw(pick([y, np.array(["a", "b"])[y], y.astype(float) * 2 - 1]))
    else:
        X = draw(matrices(min_side=1, max_side=5))
        n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
        y = draw(mix(st.just(np.arange(n) % 2), vectors(n), st.just(np.arange(n) % 3)))
    norm = draw(maybe(pick(["l1", "l2"]), bad=["l3", "L1", None, 1, np.inf, ""]))
    return X, y, norm


def _l1_margin_lp(A):
    """max t s.t. A b ≥ t, ‖b‖₁ ≤ 1 (b = p − q): the ℓ1 max margin, another LP than max_margin's."""
    n, d = A.shape
    c = np.zeros(2 * d + 1)
    c[-1] = -1.0
    A_ub = np.vstack([np.hstack([-A, A, np.ones((n, 1))]), np.append(np.ones(2 * d), 0.0)[None]])
    b_ub = np.append(np.zeros(n), 1.0)
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(0, None)] * (2 * d) + [(None, None)],
                                 method="highs")
    return -res.fun


def _l2_margin_qp(A):
    """min ½‖b‖² s.t. A b ≥ 1 by SLSQP on the primal (max_margin solves the dual)."""
    b0 = np.linalg.lstsq(A, np.ones(A.shape[0]), rcond=None)[0] * 2
    res = scipy.optimize.minimize(lambda b: 0.5 * b @ b, b0, jac=lambda b: b, method="SLSQP",
                                  constraints=[{"type": "ineq", "fun": lambda b: A @ b - 1, "jac": lambda b: A}],
                                  options={"ftol": 1e-14, "maxiter": 500})
    return 1.0 / np.linalg.norm(res.x) if res.success and np.min(A @ res.x) >= 1 - 1e-6 else None


def _max_margin_case(case):
    X, y, norm = case

    def check(direction, warned):
        Xa = np.asarray(X, dtype=float)
        labels = np.unique(np.asarray(y))
        assert labels.size == 2
        s = np.where(np.asarray(y) == labels[1], 1.0, -1.0)
        A = s[:, None] * Xa
        assert direction.shape == (Xa.shape[1],)
        _finite(direction, "direction")
        p = 1 if norm == "l1" else 2
        assert abs(np.linalg.norm(direction, p) - 1) <= 1e-9
        margin = np.min(A @ direction)
        assert margin > 0, f"the direction does not separate the data: margin {margin}"
        rng = np.random.default_rng(0)
        for u in rng.standard_normal((64, Xa.shape[1])):
            u /= np.linalg.norm(u, p)
            assert np.min(A @ u) <= margin * (1 + 1e-9) + 1e-12
        ref = _l1_margin_lp(A) if norm == "l1" else _l2_margin_qp(A)
        if ref is not None:
            assert abs(margin - ref) <= 1e-6 * max(ref, np.abs(A).max()), \
                f"{norm} margin {margin} but the reference finds {ref}"

    call("max_margin", MM_NAMES, lambda: max_margin(X, y, norm=norm), check)


@_settings(60)
@given(max_margin_cases())
def test_fuzz_max_margin(case):
    _max_margin_case(case)


@SLOW
@given(max_margin_cases())
@pytest.mark.slow
def test_fuzz_slow_max_margin(case):
    _max_margin_case(case)


# ------------------------------------------------------------------------------------------
# saddle_path and SaddlePath.coef_at / loss_at: the end point against HiGHS's basis pursuit
# (or the normal equations), the plateaus against their own losses
# ------------------------------------------------------------------------------------------
SADDLE_NAMES = ["X", "y", "tol", "max_jumps"]
_BAD_TIMES = [np.nan, [0.0, np.nan], "x", None, [[0.5, 1.0]], np.array([1.0]) + 1j, sp.csr_matrix([[1.0]]),
              [1.0, "a"], -1.0, np.inf, []]


@st.composite
def saddle_cases(draw):
    X, y = _mostly_valid(draw, max_side=5, wide=draw(pick([True, True, False])))
    kw = _bad_kwargs(draw, {"tol": pick([1e-10, 1e-8, 1e-4]), "max_jumps": pick([10_000] * 5 + [1, 2])})
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    times = draw(mix(*[st.just(np.sort(rng.random(4)) * 6), st.just(2.5), st.just(np.zeros((2, 2)))] * 3,
                     pick(_BAD_TIMES)))
    return X, y, kw, times


def _saddle_case(case):
    X, y, kw, times = case

    def check(path, warned):
        Xa, ya = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        n, d = Xa.shape
        J = path.n_jumps
        assert path.jump_times.shape == (J,) and path.saddles.shape == (J + 1, d)
        assert path.losses.shape == (J + 1,) and path.duals.shape == (J + 1, d)
        for a in (path.jump_times, path.saddles, path.losses, path.duals, path.coef):
            _finite(a, "saddle path")
        assert np.all(np.diff(path.jump_times) > 0) and np.all(path.jump_times > 0)
        np.testing.assert_array_equal(path.saddles[0], 0.0)
        np.testing.assert_array_equal(path.coef, path.saddles[-1])
        assert np.all(np.abs(path.duals) <= 1 + 1e-12)
        # plateau losses recomputed in numpy; the loss never increases along the process
        L = np.array([np.sum((Xa @ b - ya) ** 2) / (2 * n) for b in path.saddles])
        np.testing.assert_allclose(path.losses, L, rtol=1e-9, atol=1e-12 * (1 + L[0]))
        assert np.all(np.diff(L) <= 1e-9 * (1 + L[0]))
        if warned:  # stopped at max_jumps: coef is the last saddle reached, not the end point
            assert J == kw["max_jumps"]
            return
        # the end point: stationary (a least-squares minimiser)
        g = Xa.T @ (Xa @ path.coef - ya) / n
        g0 = np.abs(Xa.T @ ya / n).max()
        assert np.abs(g).max() <= kw["tol"] * g0 * 1.01 + 1e-12 * (1 + g0), \
            f"end point not stationary: ‖∇L‖∞ = {np.abs(g).max():.3e}"
        if np.linalg.matrix_rank(Xa) == n and g0 > 0:
            # y in range(X): it interpolates, with the ℓ1 norm of HiGHS's basis pursuit. The
            # stopping rule bounds the residual only through X: Xᵀr = n·g, so ‖r‖₂ ≤
            # n·√d·tol·‖∇L(0)‖∞/σ_min(X) (tol=1e-4 with two nearly collinear columns left
            # ‖r‖∞ = 0.014, slow profile); 1e-6 where that bound is tighter
            sigma_min = np.linalg.svd(Xa, compute_uv=False)[-1]
            bound = max(1e-6 * (1 + np.abs(ya).max()), n * np.sqrt(d) * kw["tol"] * g0 / sigma_min)
            r = np.abs(Xa @ path.coef - ya).max()
            assert r <= bound, f"full-row-rank X but ‖Xβ − y‖∞ = {r} > {bound}"
            ref = _highs({"c": np.ones(2 * d), "A_eq": np.hstack([Xa, -Xa]), "b_eq": ya, "bounds": (0, None)})
            if ref is not None and ref.status == 0 and kw["tol"] <= 1e-8:
                assert abs(np.abs(path.coef).sum() - ref.fun) <= 1e-5 * (1 + ref.fun), \
                    f"‖β‖₁ = {np.abs(path.coef).sum()} but HiGHS's minimum is {ref.fun}"
        # coef_at / loss_at at the given times, against a search written here
        def check_at(beta, tt=None):
            tt = np.asarray(times, dtype=float)
            k = np.array([np.sum(path.jump_times <= t) for t in tt.ravel()], dtype=int).reshape(tt.shape)
            np.testing.assert_array_equal(beta, path.saddles[k])
        out = call("SaddlePath.coef_at", ["times"], lambda: path.coef_at(times), lambda b, w: check_at(b))
        lo = call("SaddlePath.loss_at", ["times"], lambda: path.loss_at(times))
        if out is not None:
            assert lo is not None
            np.testing.assert_array_equal(lo, path.losses[np.array(
                [np.sum(path.jump_times <= t) for t in np.asarray(times, dtype=float).ravel()],
                dtype=int).reshape(np.shape(times))])
        # on the jump times themselves: right-continuous
        np.testing.assert_array_equal(path.coef_at(path.jump_times), path.saddles[1:])

    call("saddle_path", SADDLE_NAMES, lambda: dlnfast.saddle_path(X, y, **kw), check)


@_settings(60)
@given(saddle_cases())
def test_fuzz_saddle_path(case):
    _saddle_case(case)


@SLOW
@given(saddle_cases())
@pytest.mark.slow
def test_fuzz_slow_saddle_path(case):
    _saddle_case(case)


# ------------------------------------------------------------------------------------------
# gradient_flow(full_output=True): FlowPath, its clocks, and the time average against
# θ(t) − θ(0) = −t·∇L(β̄(t)) (∇L is affine), in numpy
# ------------------------------------------------------------------------------------------
@st.composite
def flow_path_cases(draw):
    X, y = _mostly_valid(draw, max_side=4, wide=True)
    kw = _pm_for_depth(draw, _bad_kwargs(draw, {
        "init_scale": pick([1e-3, 0.1, 0.5, 1.0]), "parametrization": pick(["pm", "uv", "uv", "positive", "shape"]),
        "depth": pick([2, 2, 2, 3]), "fit_intercept": pick([False, True]),
        "time_average": pick([True, True, False]), "average_points": pick([2000, 200, 1]),
        "time_scale": pick(["flow"]), "max_steps": pick([100_000] * 5 + [3])}, p=0.15))
    if isinstance(kw.get("parametrization"), str) and kw["parametrization"] in ("pm", "uv", "shape") \
            and isinstance(kw.get("depth"), int) and kw["depth"] == 2 and draw(pick(range(0, 3))) == 0:
        kw["time_scale"] = "accelerated"  # defined for depth-2 hyperbolic networks only
    times = draw(mix(*[pick([[0.0, 1.0, 5.0], [0.5, 2.0], [3.0]])] * 5, pick([[], [1.0, 0.5], [np.nan], "x"])))
    return X, y, times, kw


def _trapezoid_error_bound(X, y, times, kw):
    """Per requested time t_i, a bound on |∫₀^{t_i} β − T(β)| per coordinate for the trapezoid
    rule T on FlowPath's grid (uniform steps of t_max/average_points merged with ``times``): the
    Peano kernel of one panel of width h is (τ − a)(b − τ)/2 ≥ 0, whose integral is h³/12, so the
    panel's error is at most h³/12·max|β''| there. max|β''| over a panel is estimated by the
    largest second divided difference of β (sampled by gradient_flow on the same grid) on the
    panel and its neighbours, times 2 (a divided difference is a mean of β'' nearby)."""
    t = np.asarray(times, dtype=float)
    grid = np.union1d(np.linspace(0.0, float(t[-1]), int(kw["average_points"]) + 1), t)
    B, _ = gradient_flow(X, y, grid, **{k: v for k, v in kw.items() if k not in ("time_average", "average_points")})
    h = np.diff(grid)
    slopes = np.diff(B, axis=0) / h[:, None]
    dd = 2.0 * np.abs(np.diff(slopes, axis=0)) / (h[:-1] + h[1:])[:, None]  # at interior nodes
    # panel k spans nodes k, k+1: the second differences at nodes k−1..k+2 (interior ones)
    padded = np.vstack([dd[:1], dd[:1], dd, dd[-1:], dd[-1:]]) if dd.size else np.zeros((h.size + 3, B.shape[1]))
    m = np.max(np.stack([padded[k:k + h.size] for k in range(4)]), axis=0)
    per_panel = h[:, None] ** 3 / 12.0 * 2.0 * m
    cum = np.vstack([np.zeros(B.shape[1]), np.cumsum(per_panel, axis=0)])
    return cum[np.searchsorted(grid, t)]


def _flow_path_case(case):
    X, y, times, kw = case

    def check(fp, warned):
        Xa, ya = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        n, d = Xa.shape
        t = np.asarray(times, dtype=float)
        assert isinstance(fp, dlnfast.FlowPath)
        assert fp.coef_path.shape == (t.size, d) and fp.mirror_path.shape == (t.size, d)
        _finite(fp.coef_path, "coef_path")
        if kw["time_scale"] == "flow":
            np.testing.assert_array_equal(fp.times, t)
        # the pair of full_output=False, bit for bit
        pair = gradient_flow(X, y, times, **{k: v for k, v in kw.items()
                                             if k not in ("time_average", "average_points")})
        np.testing.assert_array_equal(fp.coef_path, pair[0])
        name, alpha = kw["parametrization"], kw["init_scale"]
        if name == "uv" and kw["depth"] == 2 and isinstance(alpha, float) and alpha < 0.5:
            # t̃ = t/log(1/α), s = 2t/log(1/(2α²)) for u⊙v from u₀ = √2α (the docs' formulas)
            np.testing.assert_allclose(fp.accelerated_times, fp.times / np.log(1 / alpha), rtol=1e-12)
            np.testing.assert_allclose(fp.lasso_times, 2 * fp.times / np.log(1 / (2 * alpha ** 2)), rtol=1e-12)
        if kw["time_average"]:
            avg = fp.average_path
            assert avg.shape == (t.size, d)
            _finite(avg, "average_path")
            if fp.times[0] == 0 and kw["average_points"] >= 200:
                # ∇L is affine, so θ(t) − θ(0) = −∫₀ᵗ ∇L(β) = −t·∇L(β̄(t)) (mirror coordinates)
                w = np.full(n, 1.0 / n)
                Xc, yc = (Xa - w @ Xa, ya - w @ ya) if kw["fit_intercept"] else (Xa, ya)
                H = Xc.T @ (w[:, None] * Xc)
                bound = _trapezoid_error_bound(X, y, t, kw)
                for i in range(1, t.size):
                    lhs = fp.mirror_path[i] - fp.mirror_path[0]
                    rhs = -fp.times[i] * (Xc.T @ (w * (Xc @ avg[i] - yc)))
                    # t·β̄ is off by at most the trapezoid bound E_i per coordinate, which H
                    # turns into |H| E_i in t∇L(β̄); 1e-5 for the integrator (flow_tol 1e-7)
                    allowed = np.abs(H) @ bound[i] + 1e-5 * (1 + np.abs(lhs).max())
                    err = np.abs(lhs - rhs)
                    assert np.all(err <= allowed), \
                        f"time average at t={fp.times[i]}: θ(t) − θ(0) + t∇L(β̄) = {err.max():.3e} " \
                        f"(allowed {allowed[np.argmax(err - allowed)]:.3e})"

    call("FlowPath", FLOW_NAMES + ["time_average", "average_points", "time_scale", "full_output"],
         lambda: gradient_flow(X, y, times, full_output=True, **kw), check)


@_settings(30)
@given(flow_path_cases())
def test_fuzz_flow_path(case):
    _flow_path_case(case)


@SLOW
@given(flow_path_cases())
@pytest.mark.slow
def test_fuzz_slow_flow_path(case):
    _flow_path_case(case)


def test_module_level_entries():
    """The two non-callable or argument-free entries of __all__."""
    assert isinstance(dlnfast.__version__, str)
    assert isinstance(dlnfast.has_openmp(), bool) if callable(dlnfast.has_openmp) \
        else isinstance(dlnfast.has_openmp, bool)
    fuzzed = {"DiagonalLinearRegressor", "potentials", "implicit_bias_limit", "gradient_flow",
              "linprog", "read_mps", "transport", "basis_pursuit", "sharpness", "fit_path",
              "implicit_bias_path", "DiagonalLinearRegressorCV", "DiagonalLinearClassifier", "max_margin",
              "saddle_path", "SaddlePath", "FlowPath"}
    # ImplicitBiasLimit and PathResult are the result types of implicit_bias_limit and fit_path
    # (checked there)
    # max_margin_kkt (merged in the same session as this suite's last extension) is not fuzzed yet:
    # listed by name so that any further public name still fails this test
    not_yet_fuzzed = {"max_margin_kkt"}
    assert set(dlnfast.__all__) == fuzzed | not_yet_fuzzed | {"__version__", "has_openmp", "ImplicitBiasLimit",
                                                            "PathResult"}
