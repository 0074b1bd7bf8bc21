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
from sklearn.utils._param_validation import Interval, validate_params

from dlnfast import _core, _engine
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
     "n_jobs": [None, Interval(Integral, None, MAX_N_JOBS, closed="right")]},
    prefer_skip_nested_validation=True,
)
def gradient_flow(X, y, times, *, init_scale=1e-3, parametrization="pm", depth=2, init_shape=None,
                  log_init_scale=None, tol=1e-8, fit_intercept=False, max_steps=1_000_000, n_jobs=None):
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

    Returns
    -------
    coef_path : ndarray of shape (n_times, n_features)
        β(t) at each requested time.
    mirror_path : ndarray of shape (n_times, n_features)
        ∇Φ(β(t)) (exact even where β underflows).

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
    n_threads = effective_n_threads(n_jobs)
    problem = _engine.make_problem(X, y, None, fit_intercept, n_threads)
    cause = divergence_cause(problem.X, problem.y_centred, spec_log_alpha, depth_)
    if cause is not None:  # the integrator would diverge at once: say why before any work
        raise ValueError(f"gradient_flow cannot integrate this input: the cause is {cause}")
    theta = spec.theta0.copy()
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
