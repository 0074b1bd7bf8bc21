"""One damped Newton method for the smooth convex duals of dlnfast, and one continuation driver.

Both the implicit-bias limit (:mod:`dlnfast._implicit_bias`, :ref:`ug-limits`) and the entropic LP
(:mod:`dlnfast.lp._entropic`, :ref:`ug-lp`) solve a dual of the same shape::

    min_y  F(y) = h(z) − rhsᵀy,     z = z₀ + Aᵀy,     h convex and separable,
    ∇F = A·p(z) − rhs  with p = ∇h (β or x, the primal point),     ∇²F = A·diag(∇²h(z))·Aᵀ.

(The entropic LP's h is ``λ Σ exp((z − c)/λ)``: the positive network's entropic family of the
limit solver with ``x₀ = exp(−c/λ)``.) A problem is described by a :class:`DualObjective`; the
Newton step solves the n×n system with a jittered Cholesky factorisation, is capped by the
problem (so its exponentials stay in range) and damped by Armijo backtracking on F. Families of
such problems (a scale a or λ driven towards its target) are solved by :func:`follow_path`,
each stage warm-started at the previous one's end, optionally through a predictor.

Examples
--------
The entropic dual of ``min x₁ + 2x₂ + λ Σ(x log x − x) s.t. x₁ + x₂ = 1``, h(z) = λ Σ e^{(z − c)/λ}:

>>> import numpy as np
>>> class Entropic:
...     A = np.array([[1.0, 1.0]]); rhs = np.array([1.0]); offset = 0.0
...     c = np.array([1.0, 2.0]); lam = 0.5; value_slack = 0.0; max_jitter = 1e-3
...     def conjugate(self, z): return self.lam * float(np.exp((z - self.c) / self.lam).sum())
...     def primal(self, z): return np.exp((z - self.c) / self.lam)
...     def hessian_weights(self, z, p): return p / self.lam   # ∇²h = x/λ
...     def step_cap(self, z, dz): return 1.0
...     def residual(self, r): return float(np.abs(r).max())
>>> out = damped_newton(Entropic(), np.zeros(1), tol=1e-12, max_iter=50)
>>> bool(out.converged), np.round(out.primal, 6).tolist()  # x ∝ exp(−c/λ), summing to 1
(True, [0.880797, 0.119203])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.sparse as sp

__all__ = ["scaled_norm", "solve_spd", "weighted_gram", "DualObjective", "NewtonResult", "damped_newton",
           "Stage", "follow_path", "extrapolate"]

# Armijo's sufficient-decrease fraction, and the step below which backtracking gives up
_ARMIJO = 1e-4
_MIN_STEP = 1e-14


def scaled_norm(v):
    """‖v‖₂ computed as m·‖v/m‖₂, m = max|v|: np.linalg.norm squares the entries, so a y of
    entries 1e-201 had norm 0 (and one of 1e160 norm inf); finite whenever ‖v‖ is."""
    v = np.asarray(v, dtype=np.float64).ravel()
    m = float(np.max(np.abs(v), initial=0.0))
    if m == 0.0 or not np.isfinite(m):
        return m
    with np.errstate(over="ignore"):  # ‖v‖ itself beyond the range (√d·m > 1.8e308): inf
        return float(m * np.linalg.norm(v / m))


def solve_spd(H, r, *, max_jitter=1e-3):
    """Solve H s = r for a symmetric positive (semi)definite, possibly nearly singular H.

    Cholesky of ``H + δ·max diag(H)·I`` with δ = 1e-13, 1e-11, ... up to ``max_jitter``: the
    first jitter keeps the factorisation alive when the weights of a dual Hessian span hundreds
    of orders of magnitude and perturbs only directions whose curvature is below rounding (the
    line search handles the rest); larger ones turn the step into a damped gradient step.
    Returns None when no jitter gives a finite solution (or H has no positive diagonal).
    """
    scale = float(np.max(np.diag(H), initial=0.0))
    if not np.isfinite(scale) or scale <= 0:
        return None
    jitter = 1e-13
    eye = np.eye(H.shape[0])
    while jitter <= max_jitter * (1 + 1e-9):
        try:
            c = scipy.linalg.cho_factor(H + (jitter * scale) * eye, lower=True, check_finite=False)
            s = scipy.linalg.cho_solve(c, r, check_finite=False)
            if np.all(np.isfinite(s)):
                return s
        except np.linalg.LinAlgError:
            pass
        jitter *= 100.0
    return None


def weighted_gram(A, w):
    """A·diag(w)·Aᵀ (dense n×n) for w ≥ 0, A dense or scipy.sparse.

    Weights below 1e-200·max w are dropped: they cannot change the product in float64, and
    subnormal numbers make the Cholesky factorisation that follows about 100× slower. A dense A
    goes through one symmetric rank-k update (BLAS syrk: half a general product).
    """
    w = np.where(w > 1e-200 * float(np.max(w, initial=0.0)), w, 0.0)
    if sp.issparse(A):
        return np.asarray((A.multiply(w) @ A.T).toarray())
    H = scipy.linalg.blas.dsyrk(1.0, A * np.sqrt(w))  # upper triangle of (A√w)(A√w)ᵀ
    return np.triu(H) + np.triu(H, 1).T


class DualObjective(Protocol):
    """What :func:`damped_newton` needs from a dual ``F(y) = h(z₀ + Aᵀy) − rhsᵀy``.

    Attributes: ``A`` (n×d, dense or sparse, for A·p and Aᵀd), ``gram_matrix`` (optional: the
    same A in the layout :func:`weighted_gram` is fastest on), ``rhs``, ``offset`` (z₀, an array
    or 0.0), ``value_slack`` (F may rise by ``value_slack·(|h| + |rhsᵀy|)`` in a step: rounding),
    ``max_jitter`` (see :func:`solve_spd`), ``hessian_divisor`` (optional, default 1: the
    Hessian is ``A·diag(w)·Aᵀ / hessian_divisor`` for the weights w below; the entropic LP's
    weights are x and its divisor λ, so that no x/λ is ever formed and rounded).
    """

    A: Any
    rhs: np.ndarray
    offset: Any
    value_slack: float
    max_jitter: float

    def conjugate(self, z) -> float:
        """h(z); inf (or nan) outside the range where it can be evaluated."""

    def primal(self, z) -> np.ndarray:
        """p(z) = ∇h(z)."""

    def hessian_weights(self, z, p) -> np.ndarray:
        """The diagonal of ∇²h(z), times ``hessian_divisor`` (p = p(z) is given)."""

    def step_cap(self, z, dz) -> float:
        """The largest step t ≤ 1 along z + t·dz the problem allows (exponents kept in range)."""

    def residual(self, r) -> float:
        """The stopping measure of the gradient r = A p − rhs (compared with ``tol``)."""


@dataclass
class NewtonResult:
    """Outcome of :func:`damped_newton` at its last accepted iterate."""

    y: np.ndarray
    z: np.ndarray
    primal: np.ndarray | None  # None when the start is outside the domain ("overflow")
    residual: float
    n_steps: int               # accepted steps
    n_systems: int             # Newton systems set up: n_steps plus a last one that failed
    converged: bool
    reason: str                # "converged", "max_iter", "monitor", "overflow", "solve",
                               # "not_descent", "line_search"


def damped_newton(dual: DualObjective, y, *, tol, max_iter, monitor=None):
    """Newton's method with Armijo backtracking on F, from y.

    Stops when ``dual.residual(∇F) ≤ tol`` (converged), after ``max_iter`` steps, when
    ``monitor(k, residual)`` returns True/False (stop, converged or not; None goes on), or when a
    step cannot be made: the start overflows, the Newton system cannot be solved, its solution is
    not a descent direction, or no step ≥ 1e-14 of it decreases F enough.
    """
    A, rhs = dual.A, dual.rhs
    gram = getattr(dual, "gram_matrix", None)
    gram = A if gram is None else gram
    divisor = getattr(dual, "hessian_divisor", 1.0)
    z = dual.offset + A.T @ y
    h = dual.conjugate(z)
    lin = float(rhs @ y)
    if not np.isfinite(h - lin):
        return NewtonResult(y, z, None, np.inf, 0, 0, False, "overflow")
    p = dual.primal(z)
    r = A @ p - rhs
    res = dual.residual(r)

    def stop(k, converged, reason, failed=False):
        return NewtonResult(y, z, p, res, k, k + failed, converged, reason)

    for k in range(max_iter):
        if res <= tol:
            return stop(k, True, "converged")
        verdict = None if monitor is None else monitor(k, res)
        if verdict is not None:
            return stop(k, bool(verdict), "monitor")
        d = solve_spd(weighted_gram(gram, dual.hessian_weights(z, p)), -divisor * r,
                      max_jitter=dual.max_jitter)
        if d is None:
            return stop(k, False, "solve", failed=True)
        dz = A.T @ d
        t = dual.step_cap(z, dz)
        slope = float(r @ d)  # directional derivative of F, < 0 for a descent direction
        if not slope < 0:
            return stop(k, False, "not_descent", failed=True)
        F0 = h - lin
        allow = dual.value_slack * (abs(h) + abs(lin))
        while t > _MIN_STEP:
            y_t, z_t = y + t * d, z + t * dz
            h_t, lin_t = dual.conjugate(z_t), float(rhs @ y_t)
            F1 = h_t - lin_t
            if np.isfinite(F1) and F1 <= F0 + _ARMIJO * t * slope + allow:
                p_t = dual.primal(z_t)
                r_t = A @ p_t - rhs
                if np.all(np.isfinite(r_t)):
                    break
            t *= 0.5
        else:
            return stop(k, False, "line_search", failed=True)
        y, z, h, lin, p, r = y_t, z_t, h_t, lin_t, p_t, r_t
        res = dual.residual(r)
    return stop(max_iter, res <= tol, "converged" if res <= tol else "max_iter")


# --------------------------------------------------------------------------------------
# Continuation
# --------------------------------------------------------------------------------------
@dataclass
class Stage:
    """One solved (or failed) stage of :func:`follow_path`."""

    y: np.ndarray        # where the stage ended: the next stage starts here
    ok: bool
    n_iter: int
    stop: bool = False   # the stage finished the whole path
    info: Any = None     # whatever the caller needs from it (e.g. a NewtonResult)


def extrapolate(history, s):
    """Linear prediction of y at parameter s through the last two stages of ``history``
    ([(s_k, y_k)]); None with fewer than two."""
    if len(history) < 2:
        return None
    (s1, y1), (s2, y2) = history[-2], history[-1]
    return y2 + (y2 - y1) * (s - s2) / (s2 - s1)


def follow_path(solve: Callable, first, advance: Callable, y0, *, predictor: Callable = None):
    """Continuation: solve P(s) for s = ``first``, ``advance(s, stage)``, ... until a stage says
    ``stop`` or ``advance`` returns None, each stage warm-started where the last one ended.

    ``solve(s, y_start) -> Stage``; ``predictor(history, s, y) -> y_start`` (history: the
    (s, y) of every stage so far) replaces the plain warm start y when given.
    Returns (history, the last stage).
    """
    history = []
    s, y = first, y0
    while True:
        start = y if predictor is None else predictor(history, s, y)
        stage = solve(s, start)
        y = stage.y
        history.append((s, y))
        if stage.stop:
            return history, stage
        s = advance(s, stage)
        if s is None:
            return history, stage
