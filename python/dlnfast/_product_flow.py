"""Gradient flow of the untied deep network β = u¹ ⊙ … ⊙ u^L (``parametrization="product"``):

    d/dt u^k = −(Π_{i≠k} u^i) ⊙ g(β),   g = ∇L(β),

integrated by scipy's DOP853 (an error-controlled Dormand–Prince 8(5,3) pair; each right-hand
side is two passes over X: X_c·β, then X_cᵀW·r). The flow conserves (u^i)² − (u^j)² per
coordinate (:ref:`ug-training-product`), which :func:`layer_imbalance` reports and the tests check.

The other networks' flow runs in C++ in mirror coordinates (drivers/flow.hpp); the product
network has no such closed-form mirror map in general, so its flow runs on the factors here.
"""
import time
from dataclasses import dataclass

import numpy as np
from scipy.integrate import DOP853

from dlnfast import _core
from dlnfast._engine import GDRun


def layer_imbalance(factors):
    """(u¹)² − (u^k)² for k = 2, …, L: shape (L − 1, n_features), constant along the flow."""
    factors = np.asarray(factors)
    return factors[0] ** 2 - factors[1:] ** 2


@dataclass
class FlowResult:
    """The fields of ``_core.Result`` that the estimator reads, for a flow run in Python."""

    status: object
    stopped_by: str
    n_iter: int
    loss: float
    criterion: float
    step: float
    t: float
    n_loss_increases: int = 0
    lambda_max: float = 0.0
    suggested_step: float = 0.0
    factor_path: np.ndarray = None
    factor_iters: np.ndarray = None


class _Gradient:
    def __init__(self, problem):
        self.X, self.y, self.x_mean = problem.X, problem.y_centred, problem.x_mean
        n = self.X.shape[0]
        self.w = np.full(n, 1.0 / n) if problem.weights is None else problem.weights

    def __call__(self, beta):
        """(L, g) at β."""
        r = self.X @ beta - self.y
        if self.x_mean is not None:
            r = r - self.x_mean @ beta
        wr = self.w * r
        g = self.X.T @ wr
        if self.x_mean is not None:
            g = g - self.x_mean * wr.sum()
        return 0.5 * float(wr @ r), g


def run_product_flow(problem, state, *, tol, grad_tol, max_steps, loss_every=1, target_loss=None,
                     time_limit=None, times=None, **_ignored):
    """Integrate from ``state`` (``_factors.FactorState`` of a product network, updated in place)
    until ‖g‖∞ ≤ grad_tol·grad_scale (or max_steps, target_loss, time_limit); with ``times``, to
    the last time only, and ``snapshots`` holds β at those times (``factors_at`` the factors)."""
    theta0 = state.factors
    L, d = theta0.shape
    grad = _Gradient(problem)
    start = time.perf_counter()

    def rhs(_, y):
        th = y.reshape(L, d)
        _, g = grad(np.prod(th, axis=0))
        jac = np.stack([np.prod(np.delete(th, k, axis=0), axis=0) for k in range(L)])
        return -(jac * g).ravel()

    scale = max(float(np.max(np.abs(theta0))), np.finfo(float).tiny)
    t_bound = np.inf if times is None or len(times) == 0 else float(times[-1])
    ode = DOP853(rhs, 0.0, theta0.ravel().copy(), t_bound=t_bound, rtol=tol, atol=tol * scale)
    losses, snaps, factors_at = [], [], []
    times = np.asarray([] if times is None else times, dtype=np.float64)
    out_i = 0
    while out_i < times.shape[0] and times[out_i] <= 0.0:
        snaps.append(np.prod(theta0, axis=0))
        factors_at.append(theta0.copy())
        out_i += 1
    steps, status, stopped = 0, _core.Status.max_iter, "max_iter"
    while True:
        beta = np.prod(ode.y.reshape(L, d), axis=0)
        loss, g = grad(beta)
        crit = float(np.max(np.abs(g))) / problem.grad_scale
        if steps % loss_every == 0:
            losses.append(loss)
        if not (np.isfinite(loss) and np.isfinite(crit)):
            status, stopped = _core.Status.diverged, "diverged"
            break
        if times.shape[0] == 0 and crit <= grad_tol:
            status, stopped = _core.Status.converged, "tol"
            break
        if target_loss is not None and loss <= target_loss:
            status, stopped = _core.Status.target_loss, "target_loss"
            break
        if ode.status == "finished":
            status, stopped = _core.Status.converged, "tol"
            break
        if steps >= max_steps:
            break
        if time_limit is not None and time.perf_counter() - start >= time_limit:
            status, stopped = _core.Status.time_limit, "time_limit"
            break
        ode.step()
        steps += 1
        if ode.status == "failed":
            status, stopped = _core.Status.diverged, "diverged"
            break
        if out_i < times.shape[0] and times[out_i] <= ode.t:
            dense = ode.dense_output()
            while out_i < times.shape[0] and times[out_i] <= ode.t:
                th = dense(times[out_i]).reshape(L, d) if times[out_i] < ode.t else ode.y.reshape(L, d)
                snaps.append(np.prod(th, axis=0))
                factors_at.append(th.copy())
                out_i += 1
    state.factors[...] = ode.y.reshape(L, d)
    res = FlowResult(status, stopped, steps, loss, crit, float(ode.step_size or 0.0), float(ode.t),
                     int(np.sum(np.diff(losses) > 0)))
    run = GDRun(beta, res, np.asarray(losses), np.asarray(snaps).reshape(-1, d))
    run.factors_at = np.asarray(factors_at).reshape(-1, L, d)
    return run
