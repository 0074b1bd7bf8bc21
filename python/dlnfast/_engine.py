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


def init_network(parametrization, init_scale, init_shape, depth, n_features):
    """Initial network for (parametrization, init_scale, init_shape, depth).

    Kept only for ``benchmarks/``, which call it: the package builds networks through
    ``_parametrizations.make_parametrization(...).init_network()``.
    """
    from dlnfast._parametrizations import make_parametrization  # the parametrisations sit above the engine

    return make_parametrization(parametrization, init_scale, init_shape, depth, n_features).init_network()


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
