"""Sweeps: many configurations of one estimator on the same data.

:func:`fit_path` fits a grid of :class:`~dlnfast.DiagonalLinearRegressor` configurations. Those
that share X and can advance together (solver ``"gd"``, ``"md"`` or ``"flow"``, the same
parametrisation, depth and mirror geometry; ``init_scale``, ``init_shape``, ``step_size``,
``momentum``, ``tol``, ``flow_tol``, ``max_time``, ``max_iter`` may differ) run as one batch in
the engine (cpp/dlnfast/drivers/batched.hpp, batched_flow.hpp): each iteration (for the flow,
each Runge-Kutta stage) reads X once for all of them, and each result is bit-identical to
fitting that configuration alone. The others (``"sgd"`` seeds, snapshots) are fitted one by one.
Batches and single fits are dispatched through joblib, so
``with joblib.parallel_config(backend="dask"):`` runs them on a Dask cluster unchanged.

:func:`implicit_bias_path` solves the limit of :func:`~dlnfast.implicit_bias_limit` along a grid
of scales by warm-started continuation.
"""
import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from dlnfast import _core, _dynamics, _engine
from dlnfast import _implicit_bias as _ib
from dlnfast._newton import extrapolate
from dlnfast._parametrizations import make_parametrization
from dlnfast._regressor import _FAMILY, DiagonalLinearRegressor, _check_weights
from dlnfast._threads import effective_n_threads
from dlnfast._validation import check_dense_X_y, check_real, user_repr, validate_estimator_data

__all__ = ["PathResult", "fit_path", "implicit_bias_path"]

# The grid axes of fit_path: keyword (plural) → estimator parameter.
_AXES = {"init_scales": "init_scale", "step_sizes": "step_size", "init_shapes": "init_shape",
         "momenta": "momentum", "random_states": "random_state"}


@dataclass
class PathResult:
    """What :func:`fit_path` returns: one row per configuration, in the order of ``configs_``.

    Attributes
    ----------
    configs_ : list of dict
        The grid: the estimator parameters that vary, one dict per configuration.
    coefs_ : ndarray of shape (n_configs, n_features)
    intercepts_ : ndarray of shape (n_configs,)
    n_iter_ : ndarray of int of shape (n_configs,)
    loss_curves_ : list of ndarray
    effective_init_scales_ : ndarray of shape (n_configs, n_features)
        α_∞ per configuration and coordinate (see ``DiagonalLinearRegressor.effective_init_scale_``);
        NaN rows where that is None (adaptive solvers, ``linear``/``product``) or the run diverged.
    status_ : list of str
        How each run ended: "tol", "target_loss", "max_iter", "time_limit" or "diverged".
    batched_ : ndarray of bool of shape (n_configs,)
        Whether the configuration was trained in a batch (one read of X for all per iteration).
    estimators_ : list of DiagonalLinearRegressor
        The fitted estimators (a diverged one keeps the state where it stopped).
    """

    configs_: list
    coefs_: np.ndarray
    intercepts_: np.ndarray
    n_iter_: np.ndarray
    loss_curves_: list
    effective_init_scales_: np.ndarray
    status_: list
    batched_: np.ndarray
    estimators_: list = field(repr=False)


def _grid(axes, configs):
    """The list of configurations: the product of the given axes, or ``configs`` as given."""
    given = {name: v for name, v in axes.items() if v is not None}
    if configs is not None:
        if given:
            raise ValueError("give either `configs` (an explicit list) or grid axes "
                             f"({', '.join(_AXES)}), not both")
        if isinstance(configs, dict) or not all(isinstance(c, dict) for c in configs):
            raise TypeError(f"`configs` must be a list of dicts of estimator parameters; got {user_repr(configs)}")
        out = [dict(c) for c in configs]
    else:
        values = []
        for name, v in given.items():
            if isinstance(v, (str, bytes, dict)) or not hasattr(v, "__len__"):
                raise TypeError(f"`{name}` must be a list of values; got {user_repr(v)}")
            values.append(list(v))
        out = [dict(zip((_AXES[n] for n in given), combo)) for combo in itertools.product(*values)]
    if not out:
        empty = [n for n, v in given.items() if len(v) == 0] or ["configs"]
        raise ValueError(f"the grid is empty (`{empty[0]}` has no values): give at least one configuration")
    return out


def _n_features(X):
    shape = np.shape(X)
    if len(shape) != 2:
        raise ValueError(f"`X` must be 2-dimensional (n_samples, n_features); got shape {shape}")
    return shape[1]


def _batch_key(est):
    """Configurations with equal keys can share one engine call (None: fit alone)."""
    if est.solver not in ("gd", "md", "flow") or est.snapshot_iters is not None or est.verbose or est.warm_start:
        return None
    # the batched driver runs the two-branch networks without a penalty or sharpness records
    if est.parametrization in ("linear", "product") or est.weight_decay != 0 or est.sharpness_every is not None:
        return None
    if est.solver in ("md", "flow"):
        return (est.solver, est.parametrization, est.depth, est.fit_intercept, est.n_jobs)
    return ("gd", est.depth, est.fit_intercept, est.n_jobs, est.momentum > 0)


def _status(res):
    return str(res.stopped_by)


def _fit_alone(est, X, y, sample_weight):
    """One configuration through the estimator's own fit; returns [(estimator, status)].
    Divergence becomes the status "diverged" (the estimator is then left unfitted)."""
    seen = []
    est._report = seen.append  # the run's result, instead of the per-fit warning
    try:
        est.fit(X, y, sample_weight=sample_weight)
    except ValueError as exc:
        if "diverged" not in str(exc):
            raise
        return [(est, "diverged")]
    finally:
        del est._report
    return [(est, _status(seen[0]))]


def _prepare(est, X, y, sample_weight, validated=None):
    """fit() up to the engine call (DiagonalLinearRegressor.fit, step by step). ``validated``: an
    estimator that already validated (X, y), whose input attributes are copied."""
    est._validate_params()
    if validated is None:
        Xv, yv = validate_estimator_data(est, X, y, dtype=[np.float64, np.float32], order="C", y_numeric=True,
                               ensure_min_samples=2)
    else:
        Xv, yv = X, y
        est.n_features_in_ = validated.n_features_in_
        if hasattr(validated, "feature_names_in_"):
            est.feature_names_in_ = validated.feature_names_in_
    param = make_parametrization(est.parametrization, est.init_scale, est.init_shape, est.depth, Xv.shape[1])
    snapshot_iters = est._check_solver_options(param)
    spec = param.mirror_spec() if _FAMILY[est.solver] == "mirror" else None
    key, state = est._initial_state(param, spec)
    return Xv, yv, param, spec, key, state, snapshot_iters


def _fit_batch(ests, X, y, sample_weight, exact=True):
    """Configurations with one batch key in one engine call; returns [(estimator, status)]."""
    first = _prepare(ests[0], X, y, sample_weight)
    # X is validated once (a finiteness check reads all of X); the others share the result
    prepared = [first] + [_prepare(est, first[0], first[1], sample_weight, validated=ests[0]) for est in ests[1:]]
    Xv, yv = prepared[0][0], prepared[0][1]
    sw = _check_weights(sample_weight, Xv)
    n_threads = effective_n_threads(ests[0].n_jobs)
    problem = _engine.make_problem(Xv, yv, sw, ests[0].fit_intercept, n_threads)
    if problem.degenerate:  # the estimator's own rescue of a degenerate target, one by one
        return [pair for est in ests for pair in _fit_alone(est, X, y, sample_weight)]
    d = Xv.shape[1]
    solver = ests[0].solver
    blocked = not exact
    opts = []
    for est, (_, _, _, spec, _, state, _) in zip(ests, prepared):
        # the options _engine.run_gd / _dynamics.run_md build for this estimator (same fields)
        common = dict(step_size=est.step_size, max_iter=est.max_iter, tol=est.tol, n_threads=n_threads,
                      grad_scale=problem.grad_scale, target_loss=est.target_loss, time_limit=est.time_limit,
                      loss_every=int(est.loss_every))
        if solver == "flow":
            # the options DiagonalLinearRegressor._run / _dynamics.run_flow build (same fields)
            rk_tol, t_end = est._flow_limits(spec)
            common.update(step_size="auto", rk_tol=float(rk_tol), t_end=float(t_end))
            opts.append(_engine.solve_options(step_factor=1.0, **common))
        elif solver == "gd":
            opts.append(_engine.solve_options(step_factor=state.step_factor, depth=int(state.depth),
                                              momentum=float(est.momentum), nesterov=bool(est.nesterov),
                                              step_decay=float(est.step_decay), **common))
        else:
            opts.append(_engine.solve_options(step_factor=1.0, **common))
    starts = [p[5].copy() for p in prepared]
    if solver == "gd":
        log_pos = np.stack([p[5].log_w_pos for p in prepared]).astype(np.float64)
        log_neg = np.stack([p[5].log_w_neg for p in prepared]).astype(np.float64)
        results = _core.gd_many(problem.X, problem.y_centred, log_pos, log_neg, opts,
                                weights=problem.weights, x_mean=problem.x_mean, blocked=blocked)
    else:
        spec0 = _dynamics.core_spec(prepared[0][3])
        theta = np.stack([p[5] for p in prepared]).astype(np.float64)
        log_scale = np.stack([np.asarray(p[3].log_scale, dtype=np.float64) * np.ones(d) for p in prepared])
        if solver == "flow":  # always exact (there is no fused flow)
            results = _core.flow_many(problem.X, problem.y_centred, theta, log_scale, spec0.kind, spec0.rate,
                                      spec0.depth, opts, weights=problem.weights, x_mean=problem.x_mean)
        else:
            results = _core.md_many(problem.X, problem.y_centred, theta, log_scale, spec0.kind, spec0.rate,
                                    spec0.depth, opts, weights=problem.weights, x_mean=problem.x_mean,
                                    blocked=blocked)
    out = []
    for c, (est, (_, _, param, _, key, state, snaps), res) in enumerate(zip(ests, prepared, results)):
        if solver == "gd":
            state.log_w_pos[:] = log_pos[c]
            state.log_w_neg[:] = log_neg[c]
            if opts[c].momentum:
                state.record_signs(res.signs)
            run = _engine.GDRun(res.coef, res, res.loss_curve, None)
        else:
            state[:] = theta[c]
            run = _dynamics.MirrorRun(res.coef, state, res, res.loss_curve, None,
                                      times=res.loss_times if solver == "flow" else None)
        if res.status != _core.Status.diverged:  # as fit, which raises there: left unfitted
            est._store_result(Xv.dtype, problem, param, key, starts[c], state, run, snaps)
        out.append((est, _status(res)))
    return out


def fit_path(X, y, *, init_scales=None, step_sizes=None, init_shapes=None, momenta=None, random_states=None,
             configs=None, sample_weight=None, batched=True, exact=True, **estimator_params):
    """Fit a grid of :class:`~dlnfast.DiagonalLinearRegressor` configurations on the same data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    init_scales, step_sizes, init_shapes, momenta, random_states : list, optional
        Grid axes (``init_scale`` α, ``step_size`` η, ``init_shape``, ``momentum``,
        ``random_state``); the grid is their product, in row-major order (the last axis varies
        fastest).
    configs : list of dict, optional
        An explicit list of configurations (estimator parameters) instead of axes.
    sample_weight : array-like of shape (n_samples,), optional
    batched : bool, default=True
        Train compatible configurations together (see Notes); False fits each alone.
    exact : bool, default=True
        True: every batched result is bit-identical to its single fit. False: the fused
        multi-configuration kernel, which per block of rows forms R = X_blk·B − Y_blk for all
        configurations at once and adds X_blkᵀ·(W R) to the gradients, with the configurations
        side by side in vector registers (X is read from memory once per iteration, or twice
        from cache when it is small). It sums in another order, so results equal
        the single fits up to rounding (asserted in the tests: relative 1e-9 after 300
        iterations); they are still identical for any thread count and do not depend on which
        configurations share the batch. Measured (``benchmarks/bench_sweep.py``, K = 32, a
        shared 2-core machine): 1.6-3.8× the per-configuration speed of ``exact=True`` and
        2.1-4.4× that of fitting one by one, from (100, 1000) to (1000, 10000). The default stays
        exact: bit-identity with a single fit is what makes a row of the path reproducible by
        ``DiagonalLinearRegressor`` alone; ask for ``exact=False`` when that speed matters more.
        With ``n_jobs`` > 1 the fused batch uses more than one thread only from n·d·K ≈ 2e6
        multiply-adds per pass (below, its passes are too short to share), and while a thread
        is descheduled by a busy machine its passes run on one thread for a while (results are
        the same either way).
    **estimator_params
        The parameters every configuration shares (any of ``DiagonalLinearRegressor``'s).

    Returns
    -------
    PathResult

    Notes
    -----
    Configurations with the same solver (``"gd"``, ``"md"`` or ``"flow"``), depth, ``fit_intercept``,
    ``n_jobs`` (and mirror geometry for ``"md"``/``"flow"``; plain or momentum for ``"gd"``) form one
    batch: an engine call
    that advances them together, each iteration reading X once for all those still running
    (R = X_blk·β_c − y_blk and G_c += X_blkᵀ·(w⊙R) per block of rows, configuration by
    configuration while the block is in cache; with ``exact=False`` all configurations at once).
    Per-configuration step rules, stopping, divergence
    and histories are kept; a configuration that stops costs nothing afterwards. The partial sums
    are formed in the same order as a single fit, so every result is bit-identical to
    ``DiagonalLinearRegressor(**params).fit(X, y)``. Batched ``"flow"`` configurations each keep
    their own Dormand-Prince step size, rejections and stopping; every Runge-Kutta stage evaluates
    the gradients of all those still integrating in one pass over X (always exact: ``exact`` does not
    apply to them; measured as fast as one-by-one flows, 0.86-0.97×, on a quiet machine, like the
    exact GD batch there: ``benchmarks/README.md``). ``"sgd"``, ``snapshot_iters``, ``verbose`` and
    ``warm_start`` configurations
    are fitted one by one.

    Batches and single fits are joblib tasks (``joblib.Parallel`` with the ``n_jobs`` and backend
    of the enclosing ``joblib.parallel_config``; one process-free task at a time by default), so
    ``with joblib.parallel_config(backend="dask"):`` runs them on a Dask cluster. The estimators'
    own ``n_jobs`` is the number of engine threads per task.

    A configuration that diverges gets status "diverged" (no error is raised); one that stops
    at ``max_iter`` gets "max_iter", and one ConvergenceWarning names how many did.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import fit_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 60)); beta = np.zeros(60); beta[:2] = [1.0, -1.0]
    >>> path = fit_path(X, X @ beta, init_scales=[1e-2, 1e-1, 1.0], fit_intercept=False)
    >>> path.coefs_.shape
    (3, 60)
    """
    grid = _grid({"init_scales": init_scales, "step_sizes": step_sizes, "init_shapes": init_shapes,
                  "momenta": momenta, "random_states": random_states}, configs)
    base = DiagonalLinearRegressor(**estimator_params)
    ests = [clone(base).set_params(**cfg) for cfg in grid]
    for name, flag in (("batched", batched), ("exact", exact)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"`{name}` must be a bool; got {user_repr(flag)}")
    for est in ests:
        est._validate_params()  # before _batch_key compares them
    groups, alone = {}, []
    for i, est in enumerate(ests):
        key = _batch_key(est) if batched else None
        if key is None:
            alone.append(i)
        else:
            groups.setdefault(key, []).append(i)
    tasks = []
    for key, idx in groups.items():
        if key[0] in ("md", "flow"):
            sub = {}
            for i in idx:
                spec = make_parametrization(ests[i].parametrization, ests[i].init_scale, ests[i].init_shape,
                                            ests[i].depth, _n_features(X)).mirror_spec()
                sub.setdefault((spec.kind, float(spec.rate), int(spec.depth)), []).append(i)
            tasks.extend(sub.values())
        else:
            tasks.append(idx)
    tasks.extend([i] for i in alone)
    batched_flags = np.zeros(len(ests), dtype=bool)
    for idx in tasks[: len(tasks) - len(alone)]:
        batched_flags[idx] = True

    def run(idx):
        if batched_flags[idx[0]]:
            return delayed(_fit_batch)([ests[i] for i in idx], X, y, sample_weight, exact)
        return delayed(_fit_alone)(ests[idx[0]], X, y, sample_weight)

    outs = Parallel()(run(idx) for idx in tasks)
    fitted, status = [None] * len(ests), [None] * len(ests)
    for idx, out in zip(tasks, outs):
        for i, (est, st) in zip(idx, out):
            fitted[i], status[i] = est, st
    n_max = sum(s == "max_iter" for s in status)
    if n_max:
        warnings.warn(f"fit_path: {n_max} of {len(ests)} configurations stopped at max_iter before tol; "
                      "see PathResult.status_.", ConvergenceWarning, stacklevel=2)
    nan = np.full(_n_features(X), np.nan)
    return PathResult(
        configs_=grid,
        coefs_=np.stack([e.coef_ if hasattr(e, "coef_") else nan for e in fitted]),
        intercepts_=np.array([float(getattr(e, "intercept_", np.nan)) for e in fitted]),
        n_iter_=np.array([int(getattr(e, "n_iter_", 0)) for e in fitted]),
        loss_curves_=[getattr(e, "loss_curve_", np.empty(0)) for e in fitted],
        # NaN rows where the estimator has none (unfitted, adaptive solvers, linear/product: None)
        effective_init_scales_=np.stack([nan if getattr(e, "effective_init_scale_", None) is None
                                         else e.effective_init_scale_ for e in fitted]).astype(np.float64),
        status_=status,
        batched_=batched_flags,
        estimators_=fitted,
    )


def implicit_bias_path(X, y, init_scales, *, parametrization="pm", depth=2, init_shape=None, tol=1e-10,
                       max_iter=500):
    """:func:`~dlnfast.implicit_bias_limit` at every scale of ``init_scales``, by continuation.

    The scales are visited from the largest (near the minimum-ℓ2 interpolator) to the smallest;
    each dual Newton solve starts from the previous dual solution extrapolated linearly in
    log α (the dual solution is asymptotically affine in the log-scale), kept only when it has
    the lower dual objective. A scale whose warm-started solve fails is solved from scratch by
    ``implicit_bias_limit``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    init_scales : array-like of float > 0
    parametrization, depth, init_shape, tol, max_iter
        As for :func:`~dlnfast.implicit_bias_limit` (``max_iter``: Newton iterations per scale).

    Returns
    -------
    coefs : ndarray of shape (n_scales, n_features)
        The limit β at each scale, in the order of ``init_scales``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import implicit_bias_path
    >>> X = np.array([[1.0, 2.0, 0.5]]); y = np.array([2.0])
    >>> np.round(implicit_bias_path(X, y, [1e-100, 1e3])[0], 6)   # smallest scale: minimum-ℓ1
    array([0., 1., 0.])
    """
    X, y = check_dense_X_y(X, y)
    X = np.asarray(X, dtype=np.float64)
    check_real(init_scales, "init_scales")
    try:
        scales = np.asarray(init_scales, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`init_scales` must be a non-empty 1-d array of finite floats > 0; got "
                        f"{user_repr(init_scales)}") from None
    if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales)) or not np.all(scales > 0):
        raise ValueError("`init_scales` must be a non-empty 1-d array of finite floats > 0; "
                         f"got {user_repr(init_scales)}")
    n, d = X.shape
    order = np.argsort(-scales, kind="stable")
    ynorm = float(np.linalg.norm(y)) or 1.0
    coefs = np.empty((scales.size, d))
    history = []  # (log α, μ) of the solved scales
    for pos, k in enumerate(order):
        alpha = float(scales[k])
        if pos == 0:
            lim = _ib.implicit_bias_limit(X, y, init_scale=alpha, parametrization=parametrization, depth=depth,
                                          init_shape=init_shape, tol=tol, max_iter=max_iter)
            coefs[k], mu = lim.coef, lim.dual_coef
            history.append((np.log(alpha), mu))
            continue
        spec = make_parametrization(parametrization, alpha, init_shape, depth, d).mirror_spec()
        if spec.kind == "depth":
            # the depth-D solver carries its boundary distances through its own continuation
            # (a float64 warm start would lose them)
            coefs[k] = _ib.implicit_bias_limit(X, y, init_scale=alpha, parametrization=parametrization,
                                               depth=depth, init_shape=init_shape, tol=tol,
                                               max_iter=max_iter).coef
            continue
        mirror = _ib._FAMILIES[spec.kind](spec)
        mu = history[-1][1]
        pred = extrapolate(history, np.log(alpha))
        if pred is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                Fp = mirror.conj(mirror.z0 + X.T @ pred) - y @ pred
                Fm = mirror.conj(mirror.z0 + X.T @ mu) - y @ mu
            if np.isfinite(Fp) and Fp < Fm:
                mu = pred
        mu, _, beta, res, _, ok = _ib._newton(X, y, ynorm, mirror, mu, tol, max_iter)
        if not (ok and res <= tol):
            lim = _ib.implicit_bias_limit(X, y, init_scale=alpha, parametrization=parametrization, depth=depth,
                                          init_shape=init_shape, tol=tol, max_iter=max_iter)
            beta, mu = lim.coef, lim.dual_coef
        coefs[k] = beta
        if history and np.log(alpha) == history[-1][0]:
            continue  # a repeated scale: keep the extrapolation well-posed
        history.append((np.log(alpha), mu))
    return coefs
