"""Training on the user's own factors (the engine's FactorNet, cpp/dlnfast/nets/factor_net.hpp).

The diagonal networks of :mod:`dlnfast._parametrizations` run in the engine's rotated,
log-domain coordinates, where GD and momentum are exact. Two things do not fit there and run
here on plain factors instead:

* the adaptive methods (``"adam"``, ``"adagrad"``, ``"rmsprop"``; ``"adagrad_norm"`` for tests and
  research), whose diagonal preconditioner is not rotation invariant, so they must act on the
  factors the user names: (w₊, w₋) for ``pm``, (u, v) for ``uv``, u for ``positive``, θ = β for
  ``linear``;
* the ``linear`` model β = θ itself (GD on it is plain least-squares GD).

Python decides, C++ computes: this module builds the initial factors, the options object
(``_core.FactorOptions``) and maps the outputs back.
"""
from dataclasses import dataclass

import numpy as np

from dlnfast import _core, _threads
from dlnfast._engine import GDRun, _snapshot_iters

#: Adaptive solvers and their engine codes (optim/adaptive.hpp: AdaptiveKind).
ADAPTIVE = {"adam": 0, "adagrad": 1, "rmsprop": 2, "adagrad_norm": 3}
#: ``step_size="auto"`` for the adaptive solvers: PyTorch's defaults (Adam's is also
#: scikit-learn MLP's ``learning_rate_init``). Adaptive steps are not curvature-bounded.
DEFAULT_STEP = {"adam": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2, "adagrad_norm": 1e-1}
#: Parametrisations with plain factors and their engine codes (nets/factor_net.hpp: FactorKind).
KINDS = {"linear": 0, "pm": 1, "uv": 2, "positive": 3, "product": 4}


@dataclass
class FactorState:
    """Plain factors θ (K × d) of a network: the warm-start state of the ``"plain"`` family."""

    name: str
    depth: int
    factors: np.ndarray

    def copy(self):
        return FactorState(self.name, self.depth, self.factors.copy())

    def weights(self):
        """The user-facing factors, one array per factor."""
        return tuple(row.copy() for row in self.factors)


def initial_state(param):
    """The factors at initialisation for a parametrisation object (``_parametrizations``)."""
    name, d = param.name, param.n_features
    if name == "linear":
        return FactorState(name, 1, np.zeros((1, d)))
    if name not in KINDS:
        raise ValueError(f"parametrization={name!r} is not available with the adaptive solvers "
                         f"(use one of {', '.join(map(repr, KINDS))})")
    if hasattr(param, "init_factors"):
        return FactorState(name, param.depth, np.array(param.init_factors(), dtype=np.float64))
    if np.any(param.scale == 0):
        raise ValueError("init_scale underflows to 0 in some coordinate: the adaptive solvers hold plain "
                         "factors (no log-domain storage); use a larger init_scale")
    if name == "positive":
        theta = param.scale[None, :]
    else:  # pm: (w₊, w₋) = α(a, b); uv: (u, v) = α(a, b)
        a, b = param.shape
        theta = np.stack([param.scale * a, param.scale * b])
    return FactorState(name, param.depth, np.array(theta, dtype=np.float64))


def run_factors(problem, state, *, solver, step_size, max_iter, tol, n_threads, loss_every=1,
                snapshot_iters=None, progress=None, target_loss=None, time_limit=None, step_decay=0.0,
                weight_decay=0.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, batch_size=None,
                shuffle=False, seed=0, label_noise=0.0, eval_every=None, factor_every=0,
                momentum=0.0, nesterov=False, min_parallel_work=None):
    """One engine call (``_core.factor_gd`` or ``factor_sgd``) from ``state`` (updated in place).

    ``solver``: "gd"/"sgd" (plain steps, heavy-ball/Nesterov ``momentum`` allowed; ``state``
    linear or product) or a key of ``ADAPTIVE``.
    ``batch_size=None``: full batch (``"sgd"``: 1). Mini-batch runs evaluate the full loss every
    ``eval_every`` steps (default one epoch) and ``loss_every`` counts evaluations, as
    ``_engine.run_sgd``.
    """
    n = problem.X.shape[0]
    optimizer = ADAPTIVE.get(solver, -1)
    if solver == "sgd" and batch_size is None:
        batch_size = 1
    stochastic = batch_size is not None
    if step_size == "auto":
        auto = optimizer < 0
        step = 0.0 if auto else DEFAULT_STEP[solver]
    else:
        auto, step = False, float(step_size)
    fields = {}
    if min_parallel_work is None:
        min_parallel_work = _threads.MIN_PARALLEL_WORK_OVERRIDE
    if min_parallel_work is not None:
        fields["min_parallel_work"] = int(min_parallel_work)
    if stochastic:
        batch_size = min(int(batch_size), n)
        if eval_every is None:
            eval_every = -(-n // batch_size)
        fields.update(batch_size=batch_size, shuffle=bool(shuffle), seed=int(seed),
                      label_noise=float(label_noise), eval_every=int(eval_every),
                      loss_every=int(min(loss_every * eval_every, 2**62)))
    else:
        fields.update(loss_every=int(loss_every))
    opts = _core.FactorOptions(
        max_iter=int(max_iter), tol=float(tol), auto_step=auto, step=step, step_decay=float(step_decay),
        grad_scale=float(problem.grad_scale), n_threads=int(n_threads),
        target_loss=-np.inf if target_loss is None else float(target_loss),
        time_limit=np.inf if time_limit is None else float(time_limit),
        kind=KINDS[state.name], depth=int(state.depth), optimizer=optimizer, beta_1=float(beta_1),
        beta_2=float(beta_2), epsilon=float(epsilon), weight_decay=float(weight_decay),
        factor_every=int(factor_every), momentum=float(momentum), nesterov=bool(nesterov), **fields)
    solve = _core.factor_sgd if stochastic else _core.factor_gd
    res = solve(problem.X, problem.y_centred, state.factors, opts, weights=problem.weights,
                x_mean=problem.x_mean, snapshot_iters=_snapshot_iters(snapshot_iters), progress=progress)
    return GDRun(res.coef, res, res.loss_curve, res.snapshots if snapshot_iters is not None else None)
