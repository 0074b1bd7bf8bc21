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
    degenerate: bool = False  # ‖∇L(0)‖∞ is rounding noise: y_c ≈ 0 (constant y), or y_c ⟂ X_c


def noise_level(X, v):
    """A bound on the rounding noise of XᵀWv (W summing to 1) and of the centring before it:
    a few ulps × n × max|X| × max|v|. A gradient below it carries no direction."""
    if X.size == 0 or v.size == 0:
        return 0.0
    # max|X| as max(max X, −min X): two reads of X and no |X| temporary (X is never copied)
    x_abs = max(float(X.max()), -float(X.min()))
    return 16.0 * np.finfo(np.float64).eps * X.shape[0] * x_abs * float(np.max(np.abs(v)))


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
    degenerate = gs <= noise_level(X, y)
    return Problem(X, yc, weights, x_mean, y_mean, gs if gs > 0 else 1.0, degenerate)


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


def _run_factors(solve, problem, network, opts, snapshot_iters, progress):
    """One engine call on the factors (``_core.gd`` or ``_core.sgd``); the network is updated in
    place (log-factors, and the factor signs that momentum can flip)."""
    res = solve(problem.X, problem.y_centred, network.log_w_pos, network.log_w_neg, opts,
                weights=problem.weights, x_mean=problem.x_mean,
                snapshot_iters=_snapshot_iters(snapshot_iters), progress=progress)
    if opts.momentum:
        network.record_signs(res.signs)
    # For uv, β = (s² − d²)/4 = w₊² − w₋² in the engine's coordinates: no mapping needed.
    return GDRun(res.coef, res, res.loss_curve, res.snapshots if snapshot_iters is not None else None)


def run_gd(problem, network, *, step_size, max_iter, tol, n_threads, loss_every=1,
           snapshot_iters=None, progress=None, momentum=0.0, nesterov=False, step_decay=0.0,
           target_loss=None, time_limit=None, min_parallel_work=None, weight_decay=0.0, factor_every=0):
    """Run GD in C++ from ``network`` (updated in place to the final state).

    ``weight_decay`` λ is the penalty (λ/2)·Σ‖factor‖² on the user's factors (optim/weight_decay.hpp;
    the engine's λ_e = λ/step_factor on its own factors); ``factor_every`` > 0 records the
    engine's factors every so many iterations (``result.factor_path``, rows
    [log w₊ | log w₋ | sign w₊ | sign w₋])."""
    opts = solve_options(step_size=step_size, step_factor=network.step_factor, max_iter=max_iter, tol=tol,
                         n_threads=n_threads, grad_scale=problem.grad_scale, target_loss=target_loss,
                         time_limit=time_limit, min_parallel_work=min_parallel_work, depth=int(network.depth),
                         momentum=float(momentum), nesterov=bool(nesterov), step_decay=float(step_decay),
                         loss_every=int(loss_every), weight_decay=float(weight_decay) / network.step_factor,
                         factor_every=int(factor_every))
    return _run_factors(_core.gd, problem, network, opts, snapshot_iters, progress)


def run_sgd(problem, network, *, step_size, max_iter, tol, n_threads, batch_size=1, shuffle=False,
            seed=0, label_noise=0.0, momentum=0.0, nesterov=False, step_decay=0.0, eval_every=None,
            loss_every=1, snapshot_iters=None, progress=None, target_loss=None, time_limit=None,
            min_parallel_work=None, weight_decay=0.0, factor_every=0):
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
                         eval_every=int(eval_every),
                         loss_every=int(min(loss_every * eval_every, 2**62)),
                         weight_decay=float(weight_decay) / network.step_factor, factor_every=int(factor_every))
    return _run_factors(_core.sgd, problem, network, opts, snapshot_iters, progress)
