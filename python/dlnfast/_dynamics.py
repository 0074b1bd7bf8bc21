"""The unchecked layer for mirror descent and the exact gradient flow (C++ MirrorNet).

Python decides the mirror geometry (``Parametrization.mirror_spec`` in ``_parametrizations``: the
same one the limit solver uses, so md, flow and the limit cannot disagree about the potential),
C++ iterates. Inputs must already be validated, except for :func:`gradient_flow` (public).
"""
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from dlnfast import _core, _engine, _flow_path
from dlnfast._diagnosis import divergence_cause
from dlnfast._implicit_bias import MirrorSpec
from dlnfast._parametrizations import make_parametrization
from dlnfast._threads import MAX_N_JOBS, effective_n_threads
from dlnfast._validation import MAX_COUNT, check_dense_X_y, check_real

_KIND = {"hyperbolic": 0, "depth": 1, "entropic": 2}


def core_spec(spec: MirrorSpec):
    return _core.MirrorSpec(kind=_KIND[spec.kind], rate=float(spec.rate), depth=int(spec.depth))


@dataclass
class MirrorRun:
    coef: np.ndarray
    theta: np.ndarray
    result: object
    loss_curve: np.ndarray
    snapshots: np.ndarray
    times: np.ndarray = None       # flow: the times of the loss records
    theta_path: np.ndarray = None  # flow with keep_theta: θ at the output times


def run_md(problem, spec, theta, *, step_size, max_iter, tol, n_threads, loss_every=1,
           snapshot_iters=None, progress=None, target_loss=None, time_limit=None):
    """Mirror descent θ ← θ − ηg in C++ from ``theta`` (updated in place)."""
    opts = _engine.solve_options(step_size=step_size, step_factor=1.0, max_iter=max_iter, tol=tol,
                                 n_threads=n_threads, grad_scale=problem.grad_scale, target_loss=target_loss,
                                 time_limit=time_limit, loss_every=int(loss_every))
    res = _core.md(problem.X, problem.y_centred, theta, np.ascontiguousarray(spec.log_scale, dtype=np.float64),
                   core_spec(spec), opts, weights=problem.weights, x_mean=problem.x_mean,
                   snapshot_iters=_engine._snapshot_iters(snapshot_iters), progress=progress)
    return MirrorRun(res.coef, theta, res, res.loss_curve, res.snapshots if snapshot_iters is not None else None)


def run_flow(problem, spec, theta, *, tol, grad_tol, max_steps, n_threads, times=None,
             t_end=np.inf, loss_every=1, progress=None, keep_theta=False, target_loss=None,
             time_limit=None):
    """Integrate d θ/dt = −g in C++ from ``theta`` (updated in place).

    With ``times``: integrate to ``times[-1]`` and return β (and θ) there. Without: integrate until
    ``‖g‖∞ ≤ grad_tol·grad_scale`` (or ``t_end``, ``target_loss``, ``max_steps``, ``time_limit``).
    The loss history is kept whole (it grows with the run; nothing is cut).
    """
    opts = _engine.solve_options(step_size="auto", step_factor=1.0, max_iter=max_steps, tol=grad_tol,
                                 n_threads=n_threads, grad_scale=problem.grad_scale, target_loss=target_loss,
                                 time_limit=time_limit, loss_every=int(loss_every), rk_tol=float(tol),
                                 t_end=float(t_end))
    if times is not None:
        times = np.ascontiguousarray(times, dtype=np.float64)
    res = _core.flow(problem.X, problem.y_centred, theta, np.ascontiguousarray(spec.log_scale, dtype=np.float64),
                     core_spec(spec), opts, weights=problem.weights, x_mean=problem.x_mean, times=times,
                     keep_theta=bool(keep_theta), progress=progress)
    return MirrorRun(res.coef, theta, res, res.loss_curve, None if times is None else res.snapshots,
                     times=res.loss_times, theta_path=res.theta_path if keep_theta else None)


@validate_params(
    {"X": ["array-like", "sparse matrix"], "y": ["array-like"], "times": ["array-like"],
     "tol": [Interval(Real, 0, 1, closed="neither")], "fit_intercept": ["boolean"],
     "max_steps": [Interval(Integral, 1, MAX_COUNT, closed="both")],
     "n_jobs": [None, Interval(Integral, None, MAX_N_JOBS, closed="right")],
     "time_scale": [StrOptions({"flow", "accelerated"})], "time_average": ["boolean"],
     "average_points": [Interval(Integral, 1, 10**8, closed="both")], "full_output": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def gradient_flow(X, y, times, *, init_scale=1e-3, parametrization="pm", depth=2, init_shape=None,
                  log_init_scale=None, tol=1e-8, fit_intercept=False, max_steps=1_000_000, n_jobs=None,
                  time_scale="flow", time_average=False, average_points=20_000, full_output=False):
    r"""The exact gradient flow of a diagonal linear network, sampled at ``times``.

    Integrates ``d/dt ∇Φ(β) = −g(β)`` (:ref:`ug-parametrizations`: gradient flow on the factors, exactly) in
    mirror coordinates with an error-controlled Dormand–Prince 5(4) pair in C++, landing exactly
    on each requested time. Gradient descent with step η is this flow at ``t = kη`` up to O(η).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    times : array_like of shape (n_times,)
        Non-negative, strictly increasing.
    init_scale, parametrization, depth, init_shape
        As in :class:`~dlnfast.DiagonalLinearRegressor` (``log_init_scale`` = log α instead of
        ``init_scale``, for α below the float range).
    tol : float, default=1e-8
        Local error tolerance per step, in relative-β units.
    fit_intercept : bool, default=False
        Centre X and y first.
    max_steps : int, default=1_000_000
    n_jobs : int or None
        OpenMP threads (results are bit-identical for any value).
    time_scale : {"flow", "accelerated"}, default="flow"
        How ``times`` are read: flow time t, or accelerated time t̃ = rate·t/log(1/a) of the
        small-initialisation limit (Pesme & Flammarion 2023; for ``uv`` from u₀ = √2α, v₀ = 0,
        t̃ = t/log(1/α), the clock of :func:`dlnfast.saddle_path`). "accelerated" needs a depth-2
        network with one scale for every coordinate.
    time_average : bool, default=False
        Also compute β̄(t) = (1/t)∫₀ᵗ β (needs ``full_output=True``): Berthier's time average,
        which solves the lasso at penalty 1/s, s = 2t/log(1/ε) for u⊙v from u₀ = √ε, as ε → 0.
    average_points : int, default=20000
        Uniform trapezoid steps on [0, max(times)] for the time average (merged with ``times``);
        the quadrature error is O((max(times)/average_points)²).
    full_output : bool, default=False
        Return a :class:`~dlnfast.FlowPath` (β, ∇Φ(β), t, t̃, the time average, s and
        the lasso penalty 1/s) instead of the pair below.

    Returns
    -------
    coef_path : ndarray of shape (n_times, n_features)
        β(t) at each requested time.
    mirror_path : ndarray of shape (n_times, n_features)
        ∇Φ(β(t)) (exact even where β underflows).
    (with ``full_output=True``: one FlowPath holding these and the clocks.)

    References
    ----------
    Woodworth et al. (2020); Azulay et al. (2021); Even, Pesme, Gunasekar, Flammarion (2023).

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import gradient_flow, implicit_bias_limit
    >>> X = np.array([[1.0, 2.0, 0.5]]); y = np.array([2.0])
    >>> path, _ = gradient_flow(X, y, [0.0, 1e3], init_scale=1e-2)
    >>> path[0]                       # β(0) = 0 for w± = α
    array([0., 0., 0.])
    >>> limit = implicit_bias_limit(X, y, init_scale=1e-2).coef
    >>> bool(np.abs(path[-1] - limit).max() < 1e-6)   # the flow lands on its implicit-bias limit
    True
    """
    X, y = check_dense_X_y(X, y)
    check_real(times, "times")
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or np.any(times < 0) or np.any(np.diff(times) <= 0) \
            or not np.all(np.isfinite(times)):
        raise ValueError("times must be a non-empty 1-D array of finite, non-negative, strictly increasing values")
    # log_init_scale, when given, replaces init_scale (whose default is then not a second scale)
    param = make_parametrization(parametrization, init_scale if log_init_scale is None else None, init_shape,
                                 depth, X.shape[1], log_init_scale=log_init_scale)
    spec, spec_log_alpha, depth_ = param.mirror_spec(), param.log_scale, param.depth
    if time_average and not full_output:
        raise ValueError("`time_average=True` needs `full_output=True` (the average is a field of "
                         "the FlowPath it returns)")
    clocks = _flow_path.clock_factors(spec)
    if time_scale == "accelerated":
        times = times / _flow_path.check_clock(spec, "time_scale='accelerated'")[0]
    n_threads = effective_n_threads(n_jobs)
    problem = _engine.make_problem(X, y, None, fit_intercept, n_threads)
    cause = divergence_cause(problem.X, problem.y_centred, spec_log_alpha, depth_)
    if cause is not None:  # the integrator would diverge at once: say why before any work
        raise ValueError(f"gradient_flow cannot integrate this input: the cause is {cause}")
    theta = spec.theta0.copy()
    if full_output:
        return _full_flow(problem, spec, theta, times, clocks, tol, max_steps, n_threads,
                          time_average, average_points)
    run = run_flow(problem, spec, theta, tol=tol, grad_tol=0.0, max_steps=max_steps,
                   n_threads=n_threads, times=times, loss_every=0, keep_theta=True)
    if run.result.status == _core.Status.diverged:
        cause = divergence_cause(problem.X, problem.y_centred, spec_log_alpha, depth_)
        raise ValueError("the gradient-flow integrator diverged (non-finite values): " +
                         (f"the cause is {cause}" if cause else "try a smaller tol"))
    if run.result.status == _core.Status.max_iter:
        warnings.warn(f"gradient_flow stopped after max_steps={max_steps} at t={run.result.t:.6g} < "
                      f"{times[-1]:.6g}; the path is returned up to there", ConvergenceWarning,
                      stacklevel=3)  # 3: the caller of validate_params' wrapper
    return run.snapshots, run.theta_path


def _checked_flow(problem, spec, theta, times, tol, max_steps, n_threads):
    run = run_flow(problem, spec, theta, tol=tol, grad_tol=0.0, max_steps=max_steps,
                   n_threads=n_threads, times=times, loss_every=0, keep_theta=True)
    if run.result.status == _core.Status.diverged:
        raise ValueError("the gradient-flow integrator diverged (non-finite values); try a smaller tol")
    if run.result.status == _core.Status.max_iter:
        raise ValueError(f"gradient_flow ran out of max_steps={max_steps} before t={times[-1]:.6g} "
                         "(full_output=True needs the whole path); increase max_steps")
    return run


def _full_flow(problem, spec, theta, times, clocks, tol, max_steps, n_threads, time_average, points):
    """gradient_flow(..., full_output=True): the path, its clocks and (optionally) its time average."""
    run = _checked_flow(problem, spec, theta.copy(), times, tol, max_steps, n_threads)
    out = _flow_path.FlowPath(run.snapshots, run.theta_path, times.copy())
    if clocks is not None:
        out.accelerated_times = clocks[0] * times
        out.lasso_times = clocks[1] * times
        with np.errstate(divide="ignore"):
            out.lasso_penalty = 1.0 / out.lasso_times
    if time_average:
        def chunk(rel_times):
            return _checked_flow(problem, spec, theta, rel_times, tol, max_steps, n_threads).snapshots
        out.average_path = _flow_path.time_average(chunk, times, problem.X.shape[1], points)
    return out
