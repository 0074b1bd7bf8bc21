"""The unchecked layer between the estimators and the C++ engine.

Python decides, C++ computes: this module turns validated inputs into the engine's state
(log-factors, centring vectors, normalised weights, options), calls one C++ function per solve
and maps the outputs back. Inputs must already be validated (see ``_validation``).
"""
from dataclasses import dataclass

import numpy as np

from dlnfast import _core

def xt_dot(X, v, n_threads=1):
    """Xᵀv in float64 without copying X, by the engine's own kernel (not BLAS: a BLAS call
    leaves worker threads spinning on the cores the solve that follows needs)."""
    return _core.xt_dot(X, np.ascontiguousarray(v, dtype=np.float64), int(n_threads))


@dataclass
class Network:
    """Engine state of a depth-D two-branch network β = w₊^D − w₋^D, in log-factors.

    ``uv`` networks are stored in the rotated coordinates s = u + v, d = u − v
    (β = (s² − d²)/4, exact): w₊ = |s|/2, w₋ = |d|/2 with the signs of s and d kept here, and
    the engine runs with half the user's step (see cpp/dlnfast/diagonal_net.hpp).

    ``shape`` (four factors, β = u₊⊙v₊ − u₋⊙v₋, Azulay et al. 2021) is also exact in these
    coordinates: with p± = u± + v±, m± = u± − v±, GD with step η multiplies p₊ and m₋ by (1 − ηg)
    and m₊, p₋ by (1 + ηg), so w₊² = (p₊² + m₋²)/4 and w₋² = (m₊² + p₋²)/4 follow the pm update
    with step η/2 and β = w₊² − w₋². Both branches start at (u, v) = α(a, b), hence
    w± = α·sqrt((a² + b²)/2); the four factors are recovered from w±/w±(0) (``shape_init``).

    ``positive`` (x = u⊙u) is pm with the negative branch identically 0.
    """

    parametrization: str
    depth: int
    log_w_pos: np.ndarray
    log_w_neg: np.ndarray
    sign_s: np.ndarray = None  # uv only
    sign_d: np.ndarray = None  # uv only
    shape_init: tuple = None   # shape only: (u₀, v₀, log w₊(0), log w₋(0))
    # Signs of the engine's factors w₊, w₋ (None: all +). Only momentum can make one negative
    # (heavy ball may carry a factor through 0; see cpp/dlnfast/momentum.hpp).
    sign_pos: np.ndarray = None
    sign_neg: np.ndarray = None

    @property
    def step_factor(self):
        return 0.5 if self.parametrization in ("uv", "shape") else 1.0

    def weights(self):
        """The user-facing factors: (w₊, w₋) for pm, (u, v) for uv, (u₊, v₊, u₋, v₋) for shape,
        (u,) for positive (may underflow to 0)."""
        wp, wn = np.exp(self.log_w_pos), np.exp(self.log_w_neg)
        if self.sign_pos is not None:
            wp, wn = wp * self.sign_pos, wn * self.sign_neg
        if self.parametrization == "uv":
            s, d = 2.0 * self.sign_s * wp, 2.0 * self.sign_d * wn
            return (s + d) / 2.0, (s - d) / 2.0
        if self.parametrization == "shape":
            u0, v0, lp0, ln0 = self.shape_init
            rp, rn = np.exp(self.log_w_pos - lp0), np.exp(self.log_w_neg - ln0)
            if self.sign_pos is not None:
                rp, rn = rp * self.sign_pos, rn * self.sign_neg
            p_pos, m_neg = (u0 + v0) * rp, (u0 - v0) * rp
            m_pos, p_neg = (u0 - v0) * rn, (u0 + v0) * rn
            return (p_pos + m_pos) / 2, (p_pos - m_pos) / 2, (p_neg + m_neg) / 2, (p_neg - m_neg) / 2
        if self.parametrization == "positive":
            return (wp,)
        return wp, wn

    def copy(self):
        def c(a):
            return None if a is None else a.copy()

        return Network(self.parametrization, self.depth, self.log_w_pos.copy(), self.log_w_neg.copy(),
                       c(self.sign_s), c(self.sign_d), self.shape_init, c(self.sign_pos), c(self.sign_neg))

    def record_signs(self, signs):
        """Store the engine's factor signs after a momentum run (``signs``: [w₊ | w₋], ±1).

        The engine restarts from the magnitudes (log-factors), so for ``uv`` a flipped rotated
        coordinate is folded into ``sign_s``/``sign_d``; otherwise the signs are kept here
        (β = w₊^D − w₋^D does not depend on them for even D). For ``shape`` the two rotated
        factors of a branch follow the same linear recurrence from zero velocity, so they stay
        proportional and change sign together with w±.
        """
        d = self.log_w_pos.shape[0]
        sp, sn = signs[:d], signs[d:]
        if self.parametrization == "uv":
            self.sign_s = self.sign_s * sp
            self.sign_d = self.sign_d * sn
        else:
            self.sign_pos = sp.copy() if self.sign_pos is None else self.sign_pos * sp
            self.sign_neg = sn.copy() if self.sign_neg is None else self.sign_neg * sn


def _log_abs(x):
    with np.errstate(divide="ignore"):
        return np.log(np.abs(x))


def init_network(parametrization, init_scale, init_shape, depth, n_features):
    """Initial network for validated (parametrization, init_scale, init_shape, depth)."""
    alpha = np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (n_features,))
    log_alpha = np.log(alpha)
    if parametrization == "pm":
        a, b = (1.0, 1.0) if init_shape is None else init_shape
        lp = log_alpha + _log_abs(np.broadcast_to(np.asarray(a, float), (n_features,)))
        ln = log_alpha + _log_abs(np.broadcast_to(np.asarray(b, float), (n_features,)))
        return Network("pm", depth, np.array(lp, dtype=np.float64), np.array(ln, dtype=np.float64))
    if parametrization == "uv":
        a, b = (np.sqrt(2.0), 0.0) if init_shape is None else init_shape
        u = alpha * np.broadcast_to(np.asarray(a, float), (n_features,))
        v = alpha * np.broadcast_to(np.asarray(b, float), (n_features,))
        s, d = u + v, u - v
        return Network("uv", depth, _log_abs(s / 2.0), _log_abs(d / 2.0), np.sign(s), np.sign(d))
    if parametrization == "shape":
        a, b = (1.0, 1.0) if init_shape is None else init_shape
        u0 = alpha * np.broadcast_to(np.asarray(a, float), (n_features,))
        v0 = alpha * np.broadcast_to(np.asarray(b, float), (n_features,))
        lw = np.array(log_alpha + 0.5 * np.log((np.asarray(a, float) ** 2 + np.asarray(b, float) ** 2) / 2.0)
                      * np.ones(n_features), dtype=np.float64)
        return Network("shape", depth, lw.copy(), lw.copy(), shape_init=(u0, v0, lw.copy(), lw.copy()))
    if parametrization == "positive":
        return Network("positive", depth, np.array(log_alpha, dtype=np.float64),
                       np.full(n_features, -np.inf))
    raise ValueError(f"unknown parametrization {parametrization!r}")


@dataclass
class Problem:
    """Centred, weighted least-squares data for the engine (X itself is never copied)."""

    X: np.ndarray          # C-contiguous float64/float32, used in place
    y_centred: np.ndarray  # float64
    weights: np.ndarray    # float64 summing to 1, or None for 1/n
    x_mean: np.ndarray     # float64 or None (no intercept)
    y_mean: float
    grad_scale: float      # ‖∇L(0)‖∞, or 1 when that is 0


def make_problem(X, y, sample_weight, fit_intercept, n_threads=1):
    n = X.shape[0]
    y = np.asarray(y, dtype=np.float64)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        weights = weights / weights.sum()
    w_eff = np.full(n, 1.0 / n) if weights is None else weights
    if fit_intercept:
        x_mean = xt_dot(X, w_eff, n_threads)
        y_mean = float(w_eff @ y)
    else:
        x_mean, y_mean = None, 0.0
    yc = y - y_mean
    # ∇L(0) = −X_cᵀWỹ = −(XᵀWỹ − x̄·ΣWỹ); ΣWỹ = 0 after centring.
    g0 = xt_dot(X, w_eff * yc, n_threads)
    if x_mean is not None:
        g0 -= x_mean * float(w_eff @ yc)
    gs = float(np.max(np.abs(g0))) if g0.size else 0.0
    return Problem(X, yc, weights, x_mean, y_mean, gs if gs > 0 else 1.0)


def history_buffers(n_records, snapshot_iters, d):
    """Output arrays the engine fills: loss records (capacity ``n_records``, None for none)
    and β snapshots at ``snapshot_iters``. Returns (loss_out, snapshot_iters, snaps_out)."""
    loss_out = np.empty(n_records) if n_records else None
    snaps_out = None
    if snapshot_iters is not None:
        snapshot_iters = np.ascontiguousarray(snapshot_iters, dtype=np.int64)
        snaps_out = np.empty((snapshot_iters.shape[0], d))
    return loss_out, snapshot_iters, snaps_out


def history_results(res, loss_out, snaps_out):
    """The filled parts of history_buffers' arrays: (loss_curve, snapshots or None)."""
    loss_curve = loss_out[:res.n_loss] if loss_out is not None else np.empty(0)
    snaps = snaps_out[:res.n_snapshots] if snaps_out is not None else None
    return loss_curve, snaps


@dataclass
class GDRun:
    coef: np.ndarray
    result: object          # _core.GDResult
    loss_curve: np.ndarray
    snapshots: np.ndarray


def run_gd(problem, network, *, step_size, max_iter, tol, n_threads, loss_every=1,
           snapshot_iters=None, progress=None, momentum=0.0, nesterov=False, step_decay=0.0):
    """Run GD in C++ from ``network`` (updated in place to the final state)."""
    d = problem.X.shape[1]
    opts = _core.GDOptions()
    opts.momentum = float(momentum)
    opts.nesterov = bool(nesterov)
    opts.step_decay = float(step_decay)
    opts.auto_step = step_size == "auto"
    if not opts.auto_step:
        opts.step = float(step_size) * network.step_factor
    opts.max_iter = int(max_iter)
    opts.tol = float(tol)
    opts.grad_scale = problem.grad_scale
    opts.n_threads = int(n_threads)
    beta = np.empty(d)
    loss_out, snapshot_iters, snaps_out = history_buffers(
        max_iter // loss_every + 2 if loss_every else 0, snapshot_iters, d)
    signs = np.empty(2 * d) if momentum else None
    res = _core.gd(problem.X, problem.y_centred, problem.weights, problem.x_mean,
                   network.log_w_pos, network.log_w_neg, beta, network.depth, opts,
                   int(loss_every), loss_out, snapshot_iters, snaps_out, progress, signs)
    if signs is not None:
        network.record_signs(signs)
    # For uv, β = (s² − d²)/4 = w₊² − w₋² in the engine's coordinates: no mapping needed.
    loss_curve, snaps = history_results(res, loss_out, snaps_out)
    return GDRun(beta, res, loss_curve, snaps)


def run_sgd(problem, network, *, step_size, max_iter, tol, n_threads, batch_size=1, shuffle=False,
            seed=0, label_noise=0.0, momentum=0.0, nesterov=False, step_decay=0.0, eval_every=None,
            loss_every=1, snapshot_iters=None, progress=None, min_work_per_thread=None):
    """Run SGD in C++ from ``network`` (updated in place to the final state).

    The full-batch loss and gradient are evaluated every ``eval_every`` steps (default: one
    epoch, ``ceil(n / batch_size)`` steps); ``loss_every`` counts evaluations.
    ``min_work_per_thread`` (tests and benchmarks only) overrides the B·d per thread below which
    the engine uses fewer threads than ``n_threads``.
    """
    n, d = problem.X.shape
    opts = _core.SGDOptions()
    opts.auto_step = step_size == "auto"
    if not opts.auto_step:
        opts.step = float(step_size) * network.step_factor
    opts.step_decay = float(step_decay)
    opts.batch_size = int(batch_size)
    opts.shuffle = bool(shuffle)
    opts.seed = int(seed)
    opts.label_noise = float(label_noise)
    opts.momentum = float(momentum)
    opts.nesterov = bool(nesterov)
    opts.max_iter = int(max_iter)
    if eval_every is None:
        eval_every = -(-n // int(batch_size))
    opts.eval_every = int(eval_every)
    opts.tol = float(tol)
    opts.grad_scale = problem.grad_scale
    opts.n_threads = int(n_threads)
    if min_work_per_thread is not None:
        opts.min_work_per_thread = int(min_work_per_thread)
    beta = np.empty(d)
    loss_out, snapshot_iters, snaps_out = history_buffers(
        max_iter // (eval_every * loss_every) + 2 if loss_every else 0, snapshot_iters, d)
    signs = np.empty(2 * d) if momentum else None
    res = _core.sgd(problem.X, problem.y_centred, problem.weights, problem.x_mean,
                    network.log_w_pos, network.log_w_neg, beta, network.depth, opts,
                    int(loss_every * eval_every) if loss_every else 0, loss_out, snapshot_iters, snaps_out,
                    progress, signs)
    if signs is not None:
        network.record_signs(signs)
    loss_curve, snaps = history_results(res, loss_out, snaps_out)
    return GDRun(beta, res, loss_curve, snaps)
