"""The unchecked layer between the estimators and the C++ engine.

Python decides, C++ computes: this module turns validated inputs into the engine's state
(log-factors, centring vectors, normalised weights, options), calls one C++ function per solve
and maps the outputs back. Inputs must already be validated (see ``_validation``).
"""
from dataclasses import dataclass

import numpy as np

from dlnfast import _core, _threads

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


@dataclass
class GDRun:
    coef: np.ndarray
    result: object          # _core.Result (status, n_iter, loss, criterion, step, ...)
    loss_curve: np.ndarray
    snapshots: np.ndarray


def solve_options(*, step_size, step_factor, max_iter, tol, n_threads, grad_scale, target_loss=None,
                  time_limit=None, min_parallel_work=None, **fields):
    """The engine's options object (``_core.SolveOptions``, built by keyword) for the shared
    control layer: stopping (tol, target_loss, max_iter, time_limit) and the step rule;
    ``fields`` are the solver's own options. ``min_parallel_work`` (tests and benchmarks only)
    overrides the multiply-adds per pass below which the engine runs on one thread."""
    auto = step_size == "auto"
    if min_parallel_work is None:
        min_parallel_work = _threads.MIN_PARALLEL_WORK_OVERRIDE
    if min_parallel_work is not None:
        fields["min_parallel_work"] = int(min_parallel_work)
    return _core.SolveOptions(
        auto_step=auto, step=0.0 if auto else float(step_size) * step_factor, max_iter=int(max_iter),
        tol=float(tol), grad_scale=float(grad_scale), n_threads=int(n_threads),
        target_loss=-np.inf if target_loss is None else float(target_loss),
        time_limit=np.inf if time_limit is None else float(time_limit), **fields)


def _snapshot_iters(snapshot_iters):
    return None if snapshot_iters is None else np.ascontiguousarray(snapshot_iters, dtype=np.int64)


def run_gd(problem, network, *, step_size, max_iter, tol, n_threads, loss_every=1,
           snapshot_iters=None, progress=None, momentum=0.0, nesterov=False, step_decay=0.0,
           target_loss=None, time_limit=None, min_parallel_work=None):
    """Run GD in C++ from ``network`` (updated in place to the final state)."""
    opts = solve_options(step_size=step_size, step_factor=network.step_factor, max_iter=max_iter, tol=tol,
                         n_threads=n_threads, grad_scale=problem.grad_scale, target_loss=target_loss,
                         time_limit=time_limit, min_parallel_work=min_parallel_work, depth=int(network.depth),
                         momentum=float(momentum), nesterov=bool(nesterov), step_decay=float(step_decay),
                         loss_every=int(loss_every))
    res = _core.gd(problem.X, problem.y_centred, network.log_w_pos, network.log_w_neg, opts,
                   weights=problem.weights, x_mean=problem.x_mean,
                   snapshot_iters=_snapshot_iters(snapshot_iters), progress=progress)
    if momentum:
        network.record_signs(res.signs)
    # For uv, β = (s² − d²)/4 = w₊² − w₋² in the engine's coordinates: no mapping needed.
    return GDRun(res.coef, res, res.loss_curve, res.snapshots if snapshot_iters is not None else None)


def run_sgd(problem, network, *, step_size, max_iter, tol, n_threads, batch_size=1, shuffle=False,
            seed=0, label_noise=0.0, momentum=0.0, nesterov=False, step_decay=0.0, eval_every=None,
            loss_every=1, snapshot_iters=None, progress=None, target_loss=None, time_limit=None,
            min_parallel_work=None):
    """Run SGD in C++ from ``network`` (updated in place to the final state).

    The full-batch loss and gradient are evaluated every ``eval_every`` steps (default: one
    epoch, ``ceil(n / batch_size)`` steps); ``loss_every`` counts evaluations, and
    ``target_loss`` is tested at evaluations.
    """
    n = problem.X.shape[0]
    if eval_every is None:
        eval_every = -(-n // int(batch_size))
    opts = solve_options(step_size=step_size, step_factor=network.step_factor, max_iter=max_iter, tol=tol,
                         n_threads=n_threads, grad_scale=problem.grad_scale, target_loss=target_loss,
                         time_limit=time_limit, min_parallel_work=min_parallel_work, depth=int(network.depth),
                         momentum=float(momentum), nesterov=bool(nesterov), step_decay=float(step_decay),
                         batch_size=int(batch_size),
                         shuffle=bool(shuffle), seed=int(seed), label_noise=float(label_noise),
                         eval_every=int(eval_every), loss_every=int(loss_every * eval_every))
    res = _core.sgd(problem.X, problem.y_centred, network.log_w_pos, network.log_w_neg, opts,
                    weights=problem.weights, x_mean=problem.x_mean,
                    snapshot_iters=_snapshot_iters(snapshot_iters), progress=progress)
    if momentum:
        network.record_signs(res.signs)
    return GDRun(res.coef, res, res.loss_curve, res.snapshots if snapshot_iters is not None else None)
