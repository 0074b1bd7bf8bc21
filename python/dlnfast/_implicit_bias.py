"""Where gradient flow on a diagonal linear network lands: the implicit-bias limit.

Gradient flow that interpolates converges to ``argmin {D_Φ(β, β₀) : Xβ = y}`` for the potential Φ
of its parametrisation (:ref:`ug-parametrizations`, :ref:`ug-limits`). This module solves that
problem through its dual in ``n`` variables, ``min_μ F(μ) = Φ*(θ₀ + Xᵀμ) − yᵀμ`` with ``β = ∇Φ*(θ₀ + Xᵀμ)``, by Newton's
method with a backtracking line search, steps capped so the exponentials stay in range, and
continuation in the scale for tiny initialisations.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, validate_params

from dlnfast import _parametrizations
from dlnfast import potentials as _pot
from dlnfast._diagnosis import data_scale_cause, divergence_cause
from dlnfast._newton import Stage, damped_newton, extrapolate, follow_path, scaled_norm, solve_spd, weighted_gram
from dlnfast._validation import MAX_COUNT, check_dense_X_y

__all__ = ["implicit_bias_limit", "ImplicitBiasLimit"]

_TINY = np.finfo(np.float64).tiny
# Largest change of an exponent (log β or log x) in one Newton step: e^20 ≈ 5e8 per step keeps
# every exponential in range and the quadratic model meaningful far from the solution.
_EXP_CAP = 20.0
# Fraction of the distance to the boundary |z| = 1 that one depth-D step may cover.
_BOUNDARY_FRACTION = 0.5


@dataclass(frozen=True)
class ImplicitBiasLimit:
    """Result of :func:`implicit_bias_limit`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        The limit β (x for ``parametrization="positive"``).
    mirror_coef : ndarray of shape (n_features,)
        ``∇Φ(β)`` in the flow's normalisation (``d/dt ∇Φ(β) = −g(β)``), from the dual iterate
        (exact even where β underflows).
    dual_coef : ndarray of shape (n_samples,)
        ν with ``∇Φ(β) − ∇Φ(β₀) = Xᵀν``; gradient flow has ``∫₀^∞ g dt = −Xᵀν``.
    interpolation_residual : float
        ``‖Xβ − y‖ / ‖y‖``.
    mirror_residual : float
        Distance of ``∇Φ(β) − ∇Φ(β₀)`` (evaluated from ``coef`` with :mod:`dlnfast.potentials`,
        falling back to ``mirror_coef`` only where ``coef`` underflows) from ``range(Xᵀ)``,
        relative to its norm: the optimality certificate.
    n_iter : int
        Newton iterations over all continuation stages.
    n_stages : int
        Continuation stages (1 when no continuation was needed).
    converged : bool
    """

    coef: np.ndarray
    mirror_coef: np.ndarray
    dual_coef: np.ndarray
    interpolation_residual: float
    mirror_residual: float
    n_iter: int
    n_stages: int
    converged: bool

    @property
    def certificate(self):
        """max(interpolation_residual, mirror_residual): the answer is the limit to about this
        relative accuracy. Both parts are needed: a dual iterate stuck far from the solution
        still has ∇Φ(β) in range(Xᵀ) (mirror residual at rounding) but does not interpolate."""
        return max(self.interpolation_residual, self.mirror_residual)


# --------------------------------------------------------------------------------------
# The three families of potentials, in flow coordinates θ = ∇Φ(β) (d/dt θ = −g)
# --------------------------------------------------------------------------------------
@dataclass
class MirrorSpec:
    """The mirror geometry of a parametrisation, shared by the limit solver and md/flow.

    kind "hyperbolic": β = a·sinh(rate·θ), log_scale = log a (rate 4 for pm, 2 for uv/shape);
    kind "depth": β = α^D[(1 − cθ)^{−p} − (1 + cθ)^{−p}], log_scale = log α;
    kind "entropic": β = x = exp(4θ + log_scale), log_scale = log x₀ = 2 log α.
    theta0: the initial mirror coordinate ∇Φ(β₀) (flow starts there; the limit is the Bregman
    projection of β₀).
    """

    kind: str
    log_scale: np.ndarray
    rate: float = 2.0
    depth: int = 2
    theta0: np.ndarray = None


class _Hyperbolic:
    def __init__(self, spec):
        self.spec, self.la, self.s = spec, spec.log_scale, spec.rate
        self.z0 = spec.theta0

    def log_magnitude(self):
        return self.la

    def shifted(self, c):
        # β₀ is scaled with a (theta0 fixed): ∇ψ_a(aρ) = ½ arcsinh ρ does not depend on a
        return _Hyperbolic(MirrorSpec("hyperbolic", self.la + c, self.s, 2, self.z0))

    def beta(self, th):
        return _pot.hyperbolic_inverse_mirror_map(0.5 * self.s * th, log_scale=self.la)

    def dbeta(self, th):
        return 0.5 * self.s * _pot.hyperbolic_inverse_mirror_map_derivative(0.5 * self.s * th, log_scale=self.la)

    def conj(self, th):
        return (2.0 / self.s) * _pot.hyperbolic_conjugate(0.5 * self.s * th, log_scale=self.la)

    def max_step(self, th, dth):
        m = self.s * np.max(np.abs(dth))  # β ∝ e^{rate·|θ|}
        return 1.0 if m <= _EXP_CAP else _EXP_CAP / m

    def mirror_from_beta(self, beta, th):
        v = (2.0 / self.s) * _pot.hyperbolic_mirror_map(beta, log_scale=self.la)
        return np.where(np.abs(beta) >= _TINY, v, th)


class _Depth:
    def __init__(self, spec):
        self.spec, self.la, self.depth = spec, spec.log_scale, spec.depth
        self.z0 = spec.theta0
        self.logc = np.log(self.depth * (self.depth - 2.0)) + (self.depth - 2.0) * self.la

    def log_magnitude(self):
        return self.depth * self.la

    def shifted(self, c):
        return _Depth(MirrorSpec("depth", self.la + c / self.depth, 2.0, self.depth, self.z0))

    def beta(self, th):
        return _pot.depth_inverse_mirror_map(th, depth=self.depth, log_init_scale=self.la)

    def dbeta(self, th):
        return _pot.depth_inverse_mirror_map_derivative(th, depth=self.depth, log_init_scale=self.la)

    def conj(self, th):
        return _pot.depth_conjugate(th, depth=self.depth, log_init_scale=self.la)

    def max_step(self, th, dth):
        # move at most a fraction of the way to the boundary |cθ| = 1, coordinatewise
        c = np.exp(self.logc)
        gap = 1.0 - np.abs(th) * c
        speed = np.abs(dth) * c
        with np.errstate(divide="ignore", invalid="ignore"):
            lim = np.where(speed > 0, _BOUNDARY_FRACTION * gap / speed, np.inf)
        return float(min(1.0, np.min(lim)))

    def mirror_from_beta(self, beta, th):
        v = _pot.depth_mirror_map(beta, depth=self.depth, log_init_scale=self.la)
        return np.where(np.abs(beta) >= _TINY, v, th)


class _Entropic:
    def __init__(self, spec):
        self.spec, self.lx0 = spec, spec.log_scale
        self.z0 = spec.theta0

    def log_magnitude(self):
        return self.lx0

    def shifted(self, c):
        return _Entropic(MirrorSpec("entropic", self.lx0 + c, 4.0, 2, self.z0))

    def beta(self, th):
        return _pot.positive_inverse_mirror_map(th, log_init_scale=0.5 * self.lx0)

    def dbeta(self, th):
        return 4.0 * self.beta(th)

    def conj(self, th):
        return _pot.positive_conjugate(th, log_init_scale=0.5 * self.lx0)

    def max_step(self, th, dth):
        m = 4.0 * np.max(np.abs(dth))  # x ∝ e^{4θ}
        return 1.0 if m <= _EXP_CAP else _EXP_CAP / m

    def mirror_from_beta(self, beta, th):
        with np.errstate(divide="ignore"):
            v = _pot.positive_mirror_map(beta, log_init_scale=0.5 * self.lx0)
        return np.where(beta >= _TINY, v, th)


_FAMILIES = {"hyperbolic": _Hyperbolic, "depth": _Depth, "entropic": _Entropic}


# --------------------------------------------------------------------------------------
# Dual Newton
# --------------------------------------------------------------------------------------
class _LimitDual:
    """The dual F(μ) = Φ*(z₀ + Xᵀμ) − yᵀμ of the limit as a :class:`dlnfast._newton.DualObjective`:
    h = Φ* of the mirror family, p = β, Hessian weights dβ/dz, steps capped by the family."""

    # rounding allowance: near the solution F changes by less than its own rounding
    value_slack = 1e-14
    # past a jitter of 1e-3·max diag the dual Hessian is no model of F: give up instead
    max_jitter = 1e-3

    def __init__(self, X, y, ynorm, mirror):
        self.A, self.rhs, self.offset = X, y, mirror.z0
        self.mirror, self.ynorm = mirror, ynorm

    def conjugate(self, z):
        return self.mirror.conj(z)

    def primal(self, z):
        return self.mirror.beta(z)

    def hessian_weights(self, z, p):
        return self.mirror.dbeta(z)

    def step_cap(self, z, dz):
        return self.mirror.max_step(z, dz)

    def residual(self, r):
        return scaled_norm(r) / self.ynorm


class _RowSpace:
    """Least squares in range(Xᵀ) through a Cholesky factor of XXᵀ (n×n, one syrk), with an SVD
    fallback when X has dependent rows: min-norm interpolator and distance to range(Xᵀ)."""

    def __init__(self, X):
        self.X = X
        G = weighted_gram(X, np.ones(X.shape[1]))
        try:
            self.c = scipy.linalg.cho_factor(G, check_finite=False)
            # a Cholesky factor of a near-singular Gram is useless: check its conditioning
            diag = np.abs(np.diag(self.c[0]))
            if diag.min() <= 1e-7 * diag.max():
                raise np.linalg.LinAlgError
            self.U = None
        except np.linalg.LinAlgError:
            self.c = None
            U, sv, _ = np.linalg.svd(X.T, full_matrices=False)
            self.U = U[:, sv > sv[0] * max(X.shape) * np.finfo(float).eps]

    def min_norm(self, y):
        if self.c is not None:
            return self.X.T @ scipy.linalg.cho_solve(self.c, y, check_finite=False)
        return np.linalg.lstsq(self.X, y, rcond=None)[0]

    def project(self, v):
        if self.c is not None:
            return self.X.T @ scipy.linalg.cho_solve(self.c, self.X @ v, check_finite=False)
        return self.U @ (self.U.T @ v)


def _continuation_shifts(u_target):
    """The continuation's log-scale shifts c_k = u_k − u_target, u_k = −1, −2, −4, ... while
    u_k > u_target + 1 (none when the target is already large, u_target ≥ log 1e-2), then 0."""
    shifts = []
    u = -1.0
    while u > u_target + 1.0 and u_target < np.log(1e-2):
        shifts.append(u - u_target)
        u *= 2.0
    return shifts + [0.0]


def _follow_scales(X, y, ynorm, mirror, s0, tol, max_iter):
    """(Hyperbolic and entropic families; depth D: :func:`_depth_follow`.) Newton with continuation
    in the scale: the stages lower every log-scale towards the target
    (s0: the size of the solution), each warm-started by linear extrapolation in log a when that
    is a better start. Returns (μ, z, β, relres, n_iter, ok, last shift, n_stages)."""
    # continuation: shift every log-scale by c ≥ 0, c_k = u_k − u_target, u_k = −1, −2, −4, ...
    u_target = float(np.min(mirror.log_magnitude())) - np.log(s0)
    shifts = _continuation_shifts(u_target)

    total_it = 0

    def stage_mirror(c):
        return mirror.shifted(c) if c > 0 else mirror

    def F(c, v):
        m = stage_mirror(c)
        return m.conj(m.z0 + X.T @ v) - y @ v

    def predictor(history, c, mu):
        # candidates: the plain warm start and μ extrapolated linearly in the shift (the
        # hyperbolic and entropic duals grow like log(1/a)); the one with the lowest F wins
        if not history:
            return mu
        starts = [mu]
        pred = extrapolate(history, c)
        if pred is not None:
            starts.append(pred)
        values = [F(c, v) for v in starts]
        values = [v if np.isfinite(v) else np.inf for v in values]
        return starts[int(np.argmin(values))]

    def solve(c, mu):
        nonlocal total_it
        stage_tol = tol if c == 0 else max(tol, 1e-6)
        out = _newton(X, y, ynorm, stage_mirror(c), mu, stage_tol, max_iter - total_it)
        total_it += out[4]
        return Stage(out[0], out[5], out[4], info=out)

    later = iter(shifts[1:])
    history, last = follow_path(solve, shifts[0],
                                lambda c, stage: next(later, None) if total_it < max_iter else None,
                                np.zeros(X.shape[0]), predictor=predictor)
    mu, z, beta, res, _, ok = last.info
    return mu, z, beta, res, total_it, ok, history[-1][0], len(history)


def _newton(X, y, ynorm, mirror, mu, tol, max_iter):
    """Damped Newton (:func:`dlnfast._newton.damped_newton`) on F(μ) = Φ*(z₀ + Xᵀμ) − yᵀμ.

    Returns (μ, z, β, relres, n_iter, ok); n_iter counts a last step that failed (it cost a
    factorisation).
    """
    out = damped_newton(_LimitDual(X, y, ynorm, mirror), mu, tol=tol, max_iter=max_iter)
    beta, res = out.primal, out.residual
    if beta is None:  # a start outside Φ*'s range: report it as it stands
        beta = mirror.beta(out.z)
        res = scaled_norm(X @ beta - y) / ynorm
    return out.y, out.z, beta, res, out.n_systems, out.converged


# --------------------------------------------------------------------------------------
# Depth D ≥ 3: the scaled dual carried with its boundary distances
# --------------------------------------------------------------------------------------
# z is updated incrementally (w = 1 − |z| exactly) on coordinates with w below this; above it
# w = 1 − |z| is formed directly (relative error ≤ 2e-16/0.5)
_NEAR = 0.5
# |ε| below which the Bregman remainder (1 + ε)^{−q} − 1 + qε is summed as a series
_SERIES = 1e-2


def _bregman_power(eps, q):
    """b(ε) = (1 + ε)^{−q} − 1 + qε ≥ 0 for ε > −1, to full relative precision (it is O(ε²):
    the direct formula cancels, so small |ε| is summed as Σ_{k≥2} binom(−q, k) ε^k)."""
    eps = np.asarray(eps, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        direct = np.expm1(-q * np.log1p(eps)) + q * eps
    small = np.abs(eps) < _SERIES
    if np.any(small):
        e = np.where(small, eps, 0.0)
        coef, term, series = -q, e, np.zeros_like(e)  # binom(−q, 1)·ε
        for k in range(2, 14):  # |ε| < 1e-2: the 13th term is below 1e-22 of the 2nd
            coef *= (-q - k + 1.0) / k
            term = term * e
            series = series + coef * term
        direct = np.where(small, series, direct)
    return direct


class _DepthDual:
    """The depth-D limit's dual in the scaled variable ν (``z = r ⊙ Xᵀν``, ``r_j = c_j/c̄``,
    ``c_j = D(D−2)α_j^{D−2}``, ``c̄ = max c_j``), ``G(ν) = c̄·Φ*(θ) − yᵀν``, ``θ_j = z_j/c_j``:
    ``∇G = Xβ − y``, ``∇²G = X diag(r ⊙ dβ/dz) Xᵀ``.

    On the support of the limit ``1 − |z_j|`` is about α^{D−2}, below the rounding of z itself
    (1e-16) once α^{D−2} < 1e-6: ``1 − |Xᵀν|`` formed from any float64 ν carries an absolute
    error of 1e-16, i.e. a relative one of 1e-16/α^{D−2} in ``w = 1 − |z|`` and (β ∝ w^{−p})
    in β. So the iterate is carried as ``(ν, z, w)``: an anchor z with its exact boundary
    distance w, moved by offsets ``Δz = r ⊙ XᵀΔν`` applied to w directly (``w ← w − sign(z)Δz``,
    exact to the rounding of the offset). With at most n coordinates at the boundary (any
    support of a basis-pursuit vertex) every such w is the boundary distance of a dual point
    within rounding of ν, so nothing is lost; β, dβ/dz and Φ* are evaluated from log w, and the
    line search compares the exact change of G, ``t·∇Gᵀd + Σ_j Bregman remainder_j`` (each
    remainder O(Δz²), summed to relative precision), never two values of G that agree to 1e-30.
    """

    def __init__(self, X, y, ynorm, la, depth):
        self.X, self.y, self.ynorm, self.D = X, y, ynorm, depth
        self.p, self.q = depth / (depth - 2.0), 2.0 / (depth - 2.0)
        self.la = np.asarray(la, dtype=np.float64)
        logc = np.log(depth * (depth - 2.0)) + (depth - 2.0) * self.la
        self.lcbar = float(np.max(logc))
        self.logc = logc
        self.r = np.exp(logc - self.lcbar)
        # c̄·α_j²/(2D): the scale of coordinate j's conjugate in G
        self.logA = self.lcbar + 2.0 * self.la - np.log(2.0 * depth)

    def shifted(self, c):
        """The same dual at α^D·e^c (every log α raised by c/D; r and the state are unchanged)."""
        return _DepthDual(self.X, self.y, self.ynorm, self.la + c / self.D, self.D)

    # --- the state -----------------------------------------------------------------
    def start(self, nu=None):
        n, d = self.X.shape
        if nu is None:
            return np.zeros(n), np.zeros(d), np.ones(d)
        z = self.r * (self.X.T @ nu)
        if np.any(np.abs(z) >= 1.0):
            return None
        return nu, z, 1.0 - np.abs(z)

    @staticmethod
    def move(z, w, dz):
        """(z + dz, its boundary distance), or None outside the domain |z| < 1."""
        s = np.where(z >= 0, 1.0, -1.0)
        zn = z + dz
        near = w < _NEAR
        wn = np.where(near, w - s * dz, 1.0 - np.abs(zn))
        if not np.all(wn > 0) or not np.all(np.isfinite(wn)):
            return None
        zn = np.where(near, s * (1.0 - wn), zn)
        return zn, wn

    # --- evaluation from log w ----------------------------------------------------------
    @staticmethod
    def logs(z, w):
        """log(1 − |z|), log(1 + |z|): from the exact w near the boundary, from z elsewhere (where
        log1p(−|z|) keeps L = log((1 + |z|)/(1 − |z|)) = 2 artanh|z| accurate for tiny z)."""
        az = np.abs(z)
        with np.errstate(divide="ignore"):
            lw = np.where(w < _NEAR, np.log(w), np.log1p(-np.minimum(az, _NEAR)))
        return lw, np.log1p(az)

    def beta(self, z, w):
        lw, lp = self.logs(z, w)
        with np.errstate(over="ignore", under="ignore"):
            # α^D[(1 − |z|)^{−p} − (1 + |z|)^{−p}] = α^D w^{−p}(1 − e^{−pL}), L = log((1 + |z|)/w)
            return np.sign(z) * np.exp(self.D * self.la - self.p * lw) * (-np.expm1(-self.p * (lp - lw)))

    def weights(self, z, w):
        lw, lp = self.logs(z, w)
        with np.errstate(over="ignore", under="ignore"):
            # r ⊙ dβ/dz, dβ/dz = α^D p [w^{−p−1} + (1 + |z|)^{−p−1}]
            return self.r * np.exp(self.D * self.la + np.log(self.p) - (self.p + 1.0) * lw) * (
                1.0 + np.exp(-(self.p + 1.0) * (lp - lw)))

    def value(self, nu, z, w):
        """G(ν) (for choosing between starts; the line search never differences it)."""
        lw, lp = self.logs(z, w)
        with np.errstate(over="ignore", under="ignore"):
            h = np.exp(self.logA) * (np.expm1(-self.q * lw) + np.expm1(-self.q * lp))
        return float(np.sum(h) - self.y @ nu)

    def remainder(self, z, w, dz):
        """The Bregman remainder of c̄Φ* along dz: ``G(ν + Δν) − G(ν) − ∇G(ν)ᵀΔν`` for
        ``dz = r ⊙ XᵀΔν`` (≥ 0), from the relative changes of 1 ∓ z."""
        s = np.where(z >= 0, 1.0, -1.0)
        lw, lp = self.logs(z, w)
        # the two terms of Φ*: (1 − sz)^{−q} with 1 − sz = w moving by −s·dz, (1 + sz)^{−q} by +s·dz
        e1 = -s * dz / w
        e2 = s * dz / np.exp(lp)
        with np.errstate(over="ignore", under="ignore"):
            R = np.exp(self.logA - self.q * lw) * _bregman_power(e1, self.q) + \
                np.exp(self.logA - self.q * lp) * _bregman_power(e2, self.q)
        return float(np.sum(R))

    @staticmethod
    def step_cap(z, w, dz):
        """Largest t ≤ 1 covering at most half of each coordinate's distance to |z| = 1."""
        s = np.where(z >= 0, 1.0, -1.0)
        dist = np.where(s * dz > 0, w, 2.0 - w)
        a = np.abs(dz)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lim = np.where(a > 0, _BOUNDARY_FRACTION * dist / a, np.inf)
        return float(min(1.0, np.min(lim)))

    def residual(self, beta):
        r = self.X @ beta - self.y
        return r, float(scaled_norm(r) / self.ynorm)


def _depth_newton(dual, state, tol, max_iter):
    """Damped Newton on G from state (ν, z, w). Returns (state, β, relres, n_systems, converged)."""
    X = dual.X
    nu, z, w = state
    beta = dual.beta(z, w)
    r, res = dual.residual(beta)
    if not np.all(np.isfinite(r)):
        return state, beta, np.inf, 0, False
    for k in range(max_iter):
        if res <= tol:
            return (nu, z, w), beta, res, k, True
        # Jacobi-scaled: the weights span hundreds of orders (support ~α^{−(D−2)}, the rest
        # ~α^D), so a jitter relative to max diag would swamp every direction the support does
        # not reach (a support smaller than n: measured 500 → 65 iterations on a 10×20, 2-sparse
        # noiseless problem at D = 5, α = 1e-8)
        H = weighted_gram(X, dual.weights(z, w))
        dg = np.sqrt(np.maximum(np.diag(H), _TINY))
        d = solve_spd(H / np.outer(dg, dg), -r / dg, max_jitter=_LimitDual.max_jitter)
        if d is not None:
            d = d / dg
        if d is None:
            return (nu, z, w), beta, res, k + 1, False
        slope = float(r @ d)  # ∇Gᵀd < 0
        if not slope < 0:
            return (nu, z, w), beta, res, k + 1, False
        dz = dual.r * (X.T @ d)
        t = dual.step_cap(z, w, dz)
        t_min = _MIN_LINE_STEP * t  # the cap, not the size of d, sets the scale of t
        while t > t_min:
            # Armijo, G(ν + td) − G(ν) = t·slope + R(t) ≤ 1e-4·t·slope, with R ≥ 0 exact
            R = dual.remainder(z, w, t * dz)
            if np.isfinite(R) and R <= -(1.0 - _ARMIJO_DEPTH) * t * slope:
                moved = dual.move(z, w, t * dz)
                if moved is not None:
                    beta_t = dual.beta(*moved)
                    r_t, res_t = dual.residual(beta_t)
                    if np.all(np.isfinite(r_t)):
                        break
            t *= 0.5
        else:
            return (nu, z, w), beta, res, k + 1, False
        nu = nu + t * d
        (z, w), beta, r, res = moved, beta_t, r_t, res_t
    return (nu, z, w), beta, res, max_iter, res <= tol


_ARMIJO_DEPTH = 1e-4
_MIN_LINE_STEP = 1e-14
# (D−2)·log α below which w = 1 − |z| ~ α^{D−2} of the support leaves the normal float64 range
_DEPTH_LOG_FLOOR = -690.0


def _depth_scaled_mirror(beta, theta, la, depth):
    """c̄·∇Φ_D(β) = z(β)/r, with z(β) = sign(β)(1 − w) and log w solved from β
    (:mod:`dlnfast.potentials`); θ (times c_j/r_j) where β underflows."""
    la = np.broadcast_to(np.asarray(la, dtype=np.float64), beta.shape)
    logc = np.log(depth * (depth - 2.0)) + (depth - 2.0) * la
    lcbar = float(np.max(logc))
    ab = np.abs(beta)
    nz = ab >= _TINY
    with np.errstate(divide="ignore"):
        Lb = np.where(nz, np.log(np.where(nz, ab, 1.0)) - depth * la, 0.0)
    lw = _pot._depth_solve_w(Lb, depth / (depth - 2.0))
    zb = np.sign(beta) * (-np.expm1(lw))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        zt = np.clip(np.nan_to_num(theta * np.exp(logc)), -1.0, 1.0)  # |z| < 1 (0·inf: z = 0)
    return np.where(nz, zb, zt) * np.exp(lcbar - logc)


def _depth_rescaled(dual, state, beta, dla):
    """The asymptotic predictor for α → α·e^{dla}: on the coordinates that carry β (|β_j| above
    1e-8 of the largest, near the boundary, at most n of them), β stays put as α → 0 while
    w = 1 − |z| shrinks like α^{D−2}: set ``w_j·e^{(D−2)·dla}`` there, find the Δν that does
    it (least squares through those columns) and move the other coordinates by it. None when
    that does not apply or leaves the domain."""
    nu, z, w = state
    big = (np.abs(beta) > 1e-8 * np.max(np.abs(beta), initial=0.0)) & (w < _NEAR)
    if not np.any(big) or np.count_nonzero(big) > dual.X.shape[0]:
        return None
    s = np.where(z[big] >= 0, 1.0, -1.0)
    shrink = np.exp((dual.D - 2.0) * dla)
    target_dz = s * w[big] * (-np.expm1((dual.D - 2.0) * dla))  # w − w·e^{(D−2)dla}, signed
    A = dual.X[:, big] * dual.r[big]
    dnu = np.linalg.lstsq(A.T, target_dz, rcond=None)[0]
    # w − Δz would cancel when w shrinks by many orders: set w_S itself (the boundary distances
    # define the dual point; ν + Δν is within rounding of it), move the other coordinates by Δz
    rest = ~big
    moved = _DepthDual.move(z[rest], w[rest], (dual.r * (dual.X.T @ dnu))[rest])
    if moved is None:
        return None
    zc, wc = np.empty_like(z), np.empty_like(w)
    zc[rest], wc[rest] = moved
    wc[big] = w[big] * shrink
    zc[big] = s * (1.0 - wc[big])
    return nu + dnu, zc, wc


# log(α^D / max|β_ℓ2|) above which the depth-D limit is its quadratic (kernel) limit to rounding
_KERNEL_LOG_RATIO = 40.0


def _depth_kernel_limit(dual, depth):
    """The limit when every α_j^D exceeds e^40 times the solution: Φ_D is quadratic there to a
    relative O(z²) < 1e-34 (``β_j = 2p·α_j^D·c_j·θ_j·(1 + O(z²))``), so the limit is the weighted
    minimum-ℓ2 interpolator ``argmin Σ β_j²/(α_j^D c_j)``, computed without forming α^D (which
    overflows, and z underflows, for α^D > 1e308). Same return as :func:`_depth_follow`."""
    X, y = dual.X, dual.y
    lwt = depth * dual.la + dual.logc
    top = float(np.max(lwt))
    wt = np.exp(lwt - top)  # α_j^D c_j / max
    G = weighted_gram(X, wt)
    lam = solve_spd(G, y, max_jitter=1e-13)
    if lam is None:
        lam = np.linalg.lstsq(G, y, rcond=None)[0]
    beta = wt * (X.T @ lam)
    res = dual.residual(beta)[1]
    # β = 2p·α^D·c ⊙ Xᵀμ  ⇒  μ = λ / (2p·max α^D c)
    with np.errstate(over="ignore", under="ignore"):
        mu = lam * np.exp(-np.log(2.0 * depth / (depth - 2.0)) - top)
    return mu, X.T @ mu, beta, res, 1, bool(np.isfinite(res)), 1


def _depth_follow(X, y, ynorm, log_alpha, depth, s0, tol, max_iter):
    """The depth-D limit by continuation in α (stages as in :func:`_follow_scales`), the state
    (ν, z, w) carried between stages. Returns (μ, θ, β, relres, n_iter, ok, n_stages)."""
    dual = _DepthDual(X, y, ynorm, log_alpha, depth)
    u_target = float(np.min(depth * dual.la)) - np.log(s0)
    if u_target > _KERNEL_LOG_RATIO:
        return _depth_kernel_limit(dual, depth)
    shifts = _continuation_shifts(u_target)

    state = dual.start()
    history = []  # (shift, ν) of the solved stages
    total_it, ok, res, beta = 0, False, np.inf, None
    for c in shifts:
        stage = dual.shifted(c) if c > 0 else dual
        candidates = [state]
        pred = extrapolate(history, c)
        if pred is not None:
            moved = _DepthDual.move(state[1], state[2], stage.r * (X.T @ (pred - state[0])))
            if moved is not None:
                candidates.append((pred,) + moved)
        if history:
            candidates.append(_depth_rescaled(stage, state, beta, (c - history[-1][0]) / depth))
        # the start with the smallest gradient ‖Xβ − y‖: G itself cannot tell them apart at small
        # α (its values agree to 1e-30 while β differs by e^{−Dc})
        values = [np.inf if s is None else stage.residual(stage.beta(s[1], s[2]))[1] for s in candidates]
        values = [v if np.isfinite(v) else np.inf for v in values]
        start = candidates[int(np.argmin(values))]
        stage_tol = tol if c == 0 else max(tol, 1e-6)
        state, beta, res, it, ok = _depth_newton(stage, start, stage_tol, max_iter - total_it)
        total_it += it
        history.append((c, state[0]))
        if total_it >= max_iter:
            break
    nu, z, w = state
    if c != 0:  # out of iterations before the last stage: report β at the target scale
        beta = dual.beta(z, w)
        res = dual.residual(beta)[1]
        ok = False
    theta = z * np.exp(-dual.logc)
    with np.errstate(over="ignore"):
        mu = nu * np.exp(-dual.lcbar)
    if not np.all(np.isfinite(mu)):
        # μ ~ α^{2−D}/max|X| (depth 5, α = 1e-60, X ~ 1e-200: ~1e380) overflowed with a
        # RuntimeWarning (slow fuzz profile)
        raise ValueError(
            "implicit_bias_limit cannot represent this answer: its dual coefficient (dual_coef, of "
            f"size about init_scale^(2-D)/max|X| with max|X| = {float(np.max(np.abs(X))):.3g}) is beyond "
            "the float64 range; rescale X or use a larger init_scale")
    return mu, theta, beta, res, total_it, ok, len(history)


@validate_params(
    {"X": ["array-like", "sparse matrix"], "y": ["array-like"], "tol": [Interval(Real, 0, 1, closed="neither")],
     "max_iter": [Interval(Integral, 1, MAX_COUNT, closed="both")]},
    prefer_skip_nested_validation=True,
)
def implicit_bias_limit(
    X,
    y,
    *,
    init_scale=None,
    parametrization="pm",
    depth=2,
    init_shape=None,
    log_init_scale=None,
    tol=1e-10,
    max_iter=500,
):
    r"""Where gradient flow on a diagonal linear network lands: ``argmin {D_Φ(β, β₀) : Xβ = y}``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Must lie in the range of X (an interpolator must exist); for ``"positive"``, in the
        cone {Xx : x ≥ 0} (checked by non-negative least squares: a ValueError otherwise).
    init_scale : float or array_like of shape (n_features,), optional
        The initialisation scale α > 0 (per coordinate allowed). Exactly one of ``init_scale``
        and ``log_init_scale`` must be given.
    parametrization : {"pm", "uv", "shape", "positive"}, default="pm"
        ``"pm"``: ``β = w₊^D − w₋^D`` from ``w± = α``; depth 2 gives ``Φ = ½ψ_{2α²}`` (Woodworth et
        al. 2020). ``"uv"``: ``β = u ⊙ v`` from ``u₀ = √2α, v₀ = 0``, ``Φ = ψ_{α²}`` (Even et al.
        2023). ``"shape"``: the four-factor ``β = u₊⊙v₊ − u₋⊙v₋`` of Azulay et al. (2021).
        ``"positive"``: ``x = u ⊙ u`` from ``u₀ = α``, the entropy ``Φ = ¼ Σ(x log(x/α²) − x)``
        over ``x ≥ 0`` (Chou, Maly & Rauhut 2023).
    depth : int, default=2
        D ≥ 3 (with ``"pm"``) uses the depth-D potential (Woodworth et al. 2020); at most 64
        (``MAX_DEPTH``, as for :class:`~dlnfast.DiagonalLinearRegressor`).
    init_shape : pair (a, b), optional
        As in :class:`~dlnfast.DiagonalLinearRegressor`. ``"pm"``: ``w₊ = α·a, w₋ = α·b``
        (a, b > 0): ``Φ = ½ψ`` with scale ``2α²ab`` and reference ``β₀ = α²(a² − b²)``.
        ``"uv"``: ``u₀ = α·a, v₀ = α·b`` (``a² ≠ b²``): ``Φ = ψ`` with scale ``α²|a² − b²|/2`` and
        reference ``β₀ = u₀v₀`` (the limit is the Bregman projection of β₀).
        ``"shape"``: both branches at ``(u, v) = α·(a, b)`` (default (1, 1)): ``Φ = ψ`` with scale
        ``α²(a² + b²)`` — not ``α²ab`` — and ``β₀ = 0``.
    log_init_scale : float or array_like, optional
        ``log α`` instead of ``init_scale``, for α² below the float range (e.g. ``-1000``).
    tol : float, default=1e-10
        Stop when ``‖Xβ − y‖ ≤ tol·‖y‖``.
    max_iter : int, default=500
        Newton iterations over all continuation stages.

    Returns
    -------
    ImplicitBiasLimit
        ``coef`` (β), ``mirror_coef``, ``dual_coef`` and the certificate
        (``interpolation_residual``, ``mirror_residual``).

    Notes
    -----
    The Lagrange conditions ``∇Φ(β) − ∇Φ(β₀) = Xᵀμ``, ``Xβ = y`` are solved through the dual
    ``min_μ F(μ) = Φ*(z₀ + Xᵀμ) − yᵀμ`` (gradient ``Xβ(μ) − y``, Hessian
    ``X diag(dβ/dz) Xᵀ``, n×n) by Newton's method with Armijo backtracking; each step is capped so
    no exponent moves by more than 20 (hyperbolic, entropic) or no coordinate covers more than half
    of its distance to the boundary (depth D). When the scale is much smaller than the solution
    (``a < 1e-2·max|β_ℓ2|``) the scale is lowered in stages (continuation), each warm-started by
    linear extrapolation in ``log a`` — the dual solution is asymptotically affine in ``log a``.
    As α → 0 the limit tends to the minimum-ℓ1 interpolator (non-negative one for "positive").

    For depth D ≥ 3 the mirror coordinate lives in ``|z| < 1``, ``z = D(D−2)α^{D−2}θ``; the
    solver works with the scaled dual ν = D(D−2)α^{D−2}·μ (which tends to an ℓ1 dual
    certificate as α → 0). On the support the distance ``w = 1 − |z|`` is about α^{D−2}, below
    the rounding of z once α^{D−2} < 1e-6, so the iterate carries w itself (an anchor moved by
    exact offsets) and evaluates β, the Hessian and the conjugate from ``log w``; the line search
    uses the exact change of the dual objective (its Bregman remainder). Between continuation
    stages the support's w is rescaled by the asymptotic factor ``(α'/α)^{D−2}``. Measured on
    Gaussian 10×20 and 40×200 problems and against a 60-digit solve: ``tol=1e-10`` is met in
    about 50 Newton iterations from α^{D−2} = 1e-2 down to 1e-299 (below ``(D−2)·log α = −690``
    w leaves the float64 range and the call is refused).

    References
    ----------
    Woodworth et al. (2020), Kernel and rich regimes in overparametrized models. COLT.
    Azulay et al. (2021), On the implicit bias of initialization shape. ICML.
    Even, Pesme, Gunasekar, Flammarion (2023), (S)GD over diagonal linear networks. NeurIPS.
    Chou, Maly, Rauhut (2023), More is less: inducing sparsity via overparameterization.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import implicit_bias_limit
    >>> X = np.array([[1.0, 2.0, 0.5]]); y = np.array([2.0])
    >>> res = implicit_bias_limit(X, y, init_scale=1e-100)
    >>> np.round(res.coef, 8)   # minimum-ℓ1: all weight on the largest column
    array([0., 1., 0.])
    """
    X, y = check_dense_X_y(X, y)
    cause = data_scale_cause(X, y)
    if cause is not None:  # XᵀX or Xᵀy would overflow in the Newton system
        raise ValueError(f"implicit_bias_limit cannot solve this input: the cause is {cause}")
    n, d = X.shape
    param = _parametrizations.make_parametrization(
        parametrization, init_scale, init_shape, depth, d, log_init_scale=log_init_scale)
    spec = param.mirror_spec()
    if spec.kind != "entropic":
        # α^D beyond the float range (depth 5 at init_scale=1e200): β overflowed ("`beta` must be
        # finite"); at depth 2, α²·λ_max beyond it (init_scale=1e155, a = 2α² = 2e310) was NaN
        # in the inverse mirror map, and at 5e153 an overflow in the Newton system
        cause = divergence_cause(X, y, param.log_scale, param.depth)
        if cause is not None:
            raise ValueError(f"implicit_bias_limit cannot solve this input: the cause is {cause}")
    mirror = _FAMILIES[spec.kind](spec)
    if isinstance(mirror, _Entropic) and float(np.max(spec.log_scale)) > np.log(1e100):
        # the positive network starts at x₀ = α²: NaN in Newton at init_scale=1e300, and residual
        # norms ‖Xx − y‖ overflowing at 1e100 (x₀ = 1e200)
        raise ValueError(f"init_scale is too large for parametrization='positive': its start x₀ = α² = "
                         f"exp({float(np.max(spec.log_scale)):.4g}) leaves no float64 range for the solve; use "
                         "init_scale at most 1e50")

    ynorm = scaled_norm(y)  # np.linalg.norm underflowed to 0 for y ~ 1e-201: y ≡ 0 was assumed
    # minimum-ℓ2 interpolator: existence check and the natural scale of the solution
    rows = _RowSpace(X)
    beta_l2 = rows.min_norm(y)
    if scaled_norm(X @ beta_l2 - y) > 1e-8 * max(ynorm, _TINY):
        raise ValueError("`y` is not in the range of `X`: no interpolator exists")
    if parametrization == "positive" and ynorm > 0.0:
        # no x ≥ 0 with Xx = y: the dual is unbounded and Newton ran all max_iter iterations
        # before warning (measured: 0.65 s for a 5×5 problem at init_scale=1e-30, 2.3 s loaded);
        # NNLS decides it in microseconds
        _, dist = scipy.optimize.nnls(X, y, maxiter=50 * max(d, 10))
        if dist > 1e-6 * ynorm:
            raise ValueError("`y` is not in the cone {Xx : x >= 0} of `X` (parametrization='positive'): no "
                             f"non-negative interpolator exists (the closest Xx, x >= 0, is {dist:.3g} "
                             "away)")
    if ynorm == 0.0:
        ynorm = 1.0
    s0 = max(float(np.max(np.abs(beta_l2))), _TINY)

    if spec.kind == "depth":
        lowest = (spec.depth - 2.0) * float(np.min(spec.log_scale))
        if lowest < _DEPTH_LOG_FLOOR:
            raise ValueError(
                f"`init_scale`/`log_init_scale`: the depth-{spec.depth} limit needs α^(D-2) >= 1e-300 "
                f"((D-2)·log α >= {_DEPTH_LOG_FLOOR:g}); got (D-2)·log α = {lowest:.4g}. Below that the "
                f"distance 1 - |z| of the support to the boundary underflows float64; the limit is the "
                f"minimum-ℓ1 interpolator to within about α^D (dlnfast.basis_pursuit)")
        mu, z, beta, res, total_it, ok, n_stages = _depth_follow(X, y, ynorm, spec.log_scale, spec.depth,
                                                                 s0, tol, max_iter)
        c = 0.0
    else:
        mu, z, beta, res, total_it, ok, c, n_stages = _follow_scales(X, y, ynorm, mirror, s0, tol,
                                                                     max_iter)
    if not (ok and c == 0):
        warnings.warn(
            f"implicit_bias_limit did not converge: relative residual {res:.3g} > tol={tol:g} "
            f"after {total_it} Newton iterations"
            + (" (is y in the cone {Xx : x >= 0}?)" if parametrization == "positive" else ""),
            ConvergenceWarning,
            stacklevel=3,  # the caller of validate_params' wrapper
        )
        ok = False
    # certificate, from β itself (z only where β underflows)
    if spec.kind == "depth":
        # θ(β) up to the factor c̄ (θ ~ 1/α^{D−2} would overflow the norm): z(β)/r
        v = _depth_scaled_mirror(beta, z, spec.log_scale, spec.depth)
    else:
        v = mirror.mirror_from_beta(beta, z) - mirror.z0
    vmax = float(np.max(np.abs(v), initial=0.0))
    if 0.0 < vmax < np.inf:  # the ratio below is scale-free: θ ~ 1e300 (depth 5, α = 1e-60) overflowed ‖v‖²
        v = v / vmax
    vnorm = np.linalg.norm(v)
    mres = float(np.linalg.norm(v - rows.project(v)) / vnorm) if vnorm > 0 else 0.0
    return ImplicitBiasLimit(
        coef=beta,
        mirror_coef=z,
        dual_coef=mu,
        interpolation_residual=float(res),
        mirror_residual=mres,
        n_iter=total_it,
        n_stages=n_stages,
        converged=bool(ok),
    )
