"""Where gradient flow on a diagonal linear network lands: the implicit-bias limit.

Gradient flow that interpolates converges to ``argmin {D_Φ(β, β₀) : Xβ = y}`` for the potential Φ
of its parametrisation (:ref:`ug-parametrizations`, :ref:`ug-limits`). This module solves that problem through its dual in
``n`` variables, ``min_μ F(μ) = Φ*(θ₀ + Xᵀμ) − yᵀμ`` with ``β = ∇Φ*(θ₀ + Xᵀμ)``, by Newton's
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
from dlnfast._newton import Stage, damped_newton, extrapolate, follow_path, weighted_gram
from dlnfast._validation import MAX_COUNT, check_dense_X_y, user_repr

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
        return np.linalg.norm(r) / self.ynorm


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


def _follow_scales(X, y, ynorm, mirror, s0, tol, max_iter):
    """Newton with continuation in the scale: the stages lower every log-scale towards the target
    (s0: the size of the solution), each warm-started by linear extrapolation in log a when that
    is a better start. Returns (μ, z, β, relres, n_iter, ok, last shift, n_stages)."""
    # continuation: shift every log-scale by c ≥ 0, c_k = u_k − u_target, u_k = −1, −2, −4, ...
    u_target = float(np.min(mirror.log_magnitude())) - np.log(s0)
    shifts = []
    u = -1.0
    while u > u_target + 1.0 and u_target < np.log(1e-2):
        shifts.append(u - u_target)
        u *= 2.0
    shifts.append(0.0)

    total_it = 0

    def stage_mirror(c):
        return mirror.shifted(c) if c > 0 else mirror

    def dual_scale(c):
        # depth D: the mirror coordinate is z = cθ with c = D(D−2)α^{D−2}, so the dual that
        # converges as α → 0 is the scaled ν = c·μ (|Xᵀν| < 1, tending to an ℓ1 dual
        # certificate), not μ ~ α^{−(D−2)}. Carry and extrapolate ν between stages; the
        # hyperbolic and entropic duals grow like log(1/a) and are extrapolated as they are.
        m = stage_mirror(c)
        return float(np.exp(m.logc[0])) if isinstance(m, _Depth) else 1.0

    def F(c, v):
        m = stage_mirror(c)
        return m.conj(m.z0 + X.T @ v) - y @ v

    def predictor(history, c, mu):
        # candidates: the plain warm start, the same scaled dual ν carried to the new scale,
        # and ν extrapolated linearly in the shift; the one with the lowest F wins
        if not history:
            return mu
        starts = [mu]
        scale = dual_scale(c)
        if scale != 1.0:
            starts.append(mu * (dual_scale(history[-1][0]) / scale))
        pred = extrapolate([(ci, mi * dual_scale(ci)) for ci, mi in history], c)
        if pred is not None:
            starts.append(pred / scale)
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
        res = np.linalg.norm(X @ beta - y) / ynorm
    return out.y, out.z, beta, res, out.n_systems, out.converged


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
    continuation carries the scaled dual ν = D(D−2)α^{D−2}·μ (which tends to an ℓ1 dual
    certificate as α → 0) from stage to stage. The distance ``1 − |z|`` of the support coordinates,
    about α^{D−2}, is resolved to float64 rounding of z only, so the interpolation residual
    grows like 1e-16/α^{D−2}: measured on a 10×20 Gaussian problem, tol=1e-10 is met down to
    α = 1e-5 (D = 3) and 1e-3 (D = 4); below that the result is returned with
    ``converged=False`` and its residuals (``certificate``) say how accurate it is.

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
    if param.depth >= 3:
        # α^D beyond the float range (depth 5 at init_scale=1e200): β overflowed ("`beta` must be finite")
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

    ynorm = float(np.linalg.norm(y))
    # minimum-ℓ2 interpolator: existence check and the natural scale of the solution
    rows = _RowSpace(X)
    beta_l2 = rows.min_norm(y)
    if np.linalg.norm(X @ beta_l2 - y) > 1e-8 * max(ynorm, _TINY):
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
