"""The unchecked layer for mirror descent and the exact gradient flow (C++ MirrorNet).

Python decides the mirror geometry (:func:`dlnfast._limit.mirror_spec`: the same one the limit
solver uses, so md, flow and the limit cannot disagree about the potential), C++ iterates.
Inputs must already be validated.
"""
from dataclasses import dataclass

import numpy as np

from dlnfast import _core
from dlnfast._limit import MirrorSpec, mirror_spec

_KIND = {"hyperbolic": 0, "depth": 1, "entropic": 2}


def core_spec(spec: MirrorSpec):
    cs = _core.MirrorSpec()
    cs.kind = _KIND[spec.kind]
    cs.rate = float(spec.rate)
    cs.depth = int(spec.depth)
    return cs


def make_spec(parametrization, init_scale, init_shape, depth, n_features, log_init_scale=None):
    """MirrorSpec for validated settings; ``log_init_scale`` overrides ``init_scale``."""
    if log_init_scale is None:
        la = np.log(np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (n_features,)))
    else:
        la = np.broadcast_to(np.asarray(log_init_scale, dtype=np.float64), (n_features,))
    return mirror_spec(parametrization, depth, init_shape, np.array(la, dtype=np.float64))


@dataclass
class MirrorRun:
    coef: np.ndarray
    theta: np.ndarray
    result: object
    loss_curve: np.ndarray
    snapshots: np.ndarray
    times: np.ndarray = None


def run_md(problem, spec, theta, *, step_size, max_iter, tol, n_threads, loss_every=1,
           snapshot_iters=None, progress=None):
    """Mirror descent θ ← θ − ηg in C++ from ``theta`` (updated in place)."""
    d = problem.X.shape[1]
    opts = _core.GDOptions()
    opts.auto_step = step_size == "auto"
    if not opts.auto_step:
        opts.step = float(step_size)
    opts.max_iter = int(max_iter)
    opts.tol = float(tol)
    opts.grad_scale = problem.grad_scale
    opts.n_threads = int(n_threads)
    beta = np.empty(d)
    loss_out = np.empty(max_iter // loss_every + 2) if loss_every else None
    snaps_out = None
    if snapshot_iters is not None:
        snapshot_iters = np.ascontiguousarray(snapshot_iters, dtype=np.int64)
        snaps_out = np.empty((snapshot_iters.shape[0], d))
    res = _core.md(problem.X, problem.y_centred, problem.weights, problem.x_mean, core_spec(spec),
                   np.ascontiguousarray(spec.log_scale, dtype=np.float64), theta, beta, opts,
                   int(loss_every), loss_out, snapshot_iters, snaps_out, progress)
    loss_curve = loss_out[:res.n_loss] if loss_out is not None else np.empty(0)
    snaps = snaps_out[:res.n_snapshots] if snaps_out is not None else None
    return MirrorRun(beta, theta, res, loss_curve, snaps)


def run_flow(problem, spec, theta, *, tol, grad_tol, max_steps, n_threads, times=None,
             t_end=np.inf, loss_every=1, loss_capacity=100_000, progress=None, keep_theta=False):
    """Integrate d θ/dt = −g in C++ from ``theta`` (updated in place).

    With ``times``: integrate to ``times[-1]`` and return β (and θ) there. Without: integrate until
    ``‖g‖∞ ≤ grad_tol·grad_scale`` (or ``t_end``, or ``max_steps``).
    """
    d = problem.X.shape[1]
    opts = _core.FlowOptions()
    opts.tol = float(tol)
    opts.t_end = float(t_end)
    opts.stop_at_grad_tol = True
    opts.grad_tol = float(grad_tol)
    opts.grad_scale = problem.grad_scale
    opts.max_steps = int(max_steps)
    opts.n_threads = int(n_threads)
    beta = np.empty(d)
    beta_out = theta_out = None
    if times is not None:
        times = np.ascontiguousarray(times, dtype=np.float64)
        beta_out = np.empty((times.shape[0], d))
        theta_out = np.empty((times.shape[0], d)) if keep_theta else None
    loss_out = np.empty(loss_capacity) if loss_every else None
    loss_t = np.empty(loss_capacity) if loss_every else None
    res = _core.flow(problem.X, problem.y_centred, problem.weights, problem.x_mean, core_spec(spec),
                     np.ascontiguousarray(spec.log_scale, dtype=np.float64), theta, beta, opts,
                     times, beta_out, theta_out, int(loss_every), loss_out, loss_t, progress)
    curve = loss_out[:res.n_loss] if loss_out is not None else np.empty(0)
    run = MirrorRun(beta, theta, res, curve, None if beta_out is None else beta_out[:res.n_out])
    run.times = None if loss_t is None else loss_t[:res.n_loss]
    run.theta_path = None if theta_out is None else theta_out[:res.n_out]
    return run
