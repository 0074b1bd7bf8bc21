"""Where gradient flow on a diagonal linear network lands: the implicit-bias limit.

Gradient flow that interpolates converges to ``argmin {D_Φ(β, β₀) : Xβ = y}`` for the potential Φ
of its parametrisation (DESIGN.md §3–§4). This module solves that problem through its dual in
``n`` variables, ``min_μ F(μ) = Φ*(θ₀ + Xᵀμ) − yᵀμ`` with ``β = ∇Φ*(θ₀ + Xᵀμ)``, by Newton's
method with a backtracking line search, steps capped so the exponentials stay in range, and
continuation in the scale for tiny initialisations.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from sklearn.exceptions import ConvergenceWarning

from dlnfast import potentials as _pot

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


# --------------------------------------------------------------------------------------
# The three families of potentials, in the coordinates the dual Newton works in
# --------------------------------------------------------------------------------------
class _Hyperbolic:
    """Φ = k·ψ_a, dual coordinate z = ∇ψ_a(β) = ½ arcsinh(β/a), reference β₀ = a·ρ.

    The reference is stored relative to the scale (ρ = β₀/a) so that it survives both scale
    shifts and scales below the float range: ∇ψ_a(aρ) = ½ arcsinh(ρ) for every a.
    """

    def __init__(self, la, rho, k):
        self.la, self.rho, self.k = la, rho, k
        self.z0 = np.zeros_like(la) if rho is None else 0.5 * np.arcsinh(rho)

    def log_magnitude(self):
        return self.la

    def shifted(self, c):
        return _Hyperbolic(self.la + c, self.rho, self.k)

    def beta(self, z):
        return _pot.hyperbolic_inverse_mirror_map(z, log_scale=self.la)

    def dbeta(self, z):
        return _pot.hyperbolic_inverse_mirror_map_derivative(z, log_scale=self.la)

    def conj(self, z):
        return _pot.hyperbolic_conjugate(z, log_scale=self.la)

    def max_step(self, z, dz):
        m = np.max(np.abs(dz))
        return 1.0 if m <= 0.5 * _EXP_CAP else 0.5 * _EXP_CAP / m  # β ∝ e^{2|z|}

    def mirror_from_beta(self, beta, z):
        v = _pot.hyperbolic_mirror_map(beta, log_scale=self.la)
        return np.where(np.abs(beta) >= _TINY, v, z)

    def flow(self, z):
        return self.k * z


class _Depth:
    """Depth-D potential, dual coordinate θ (flow normalisation), domain |cθ| < 1."""

    def __init__(self, la, depth):
        self.la, self.depth = la, depth
        self.z0 = np.zeros_like(la)
        self.logc = np.log(depth * (depth - 2.0)) + (depth - 2.0) * la

    def log_magnitude(self):
        return self.depth * self.la

    def shifted(self, c):
        return _Depth(self.la + c / self.depth, self.depth)

    def beta(self, z):
        return _pot.depth_inverse_mirror_map(z, depth=self.depth, log_init_scale=self.la)

    def dbeta(self, z):
        return _pot.depth_inverse_mirror_map_derivative(z, depth=self.depth, log_init_scale=self.la)

    def conj(self, z):
        return _pot.depth_conjugate(z, depth=self.depth, log_init_scale=self.la)

    def max_step(self, z, dz):
        # move at most a fraction of the way to the boundary |c z| = 1, coordinatewise
        c = np.exp(self.logc)
        gap = 1.0 - np.abs(z) * c
        speed = np.abs(dz) * c
        with np.errstate(divide="ignore", invalid="ignore"):
            lim = np.where(speed > 0, _BOUNDARY_FRACTION * gap / speed, np.inf)
        return float(min(1.0, np.min(lim)))

    def mirror_from_beta(self, beta, z):
        v = _pot.depth_mirror_map(beta, depth=self.depth, log_init_scale=self.la)
        return np.where(np.abs(beta) >= _TINY, v, z)

    def flow(self, z):
        return z


class _Entropic:
    """Φ = ¼ Σ (x log(x/x₀) − x + x₀), dual coordinate θ = ¼ log(x/x₀), x₀ = α²."""

    def __init__(self, la):
        self.la = la  # log α
        self.z0 = np.zeros_like(la)

    def log_magnitude(self):
        return 2.0 * self.la

    def shifted(self, c):
        return _Entropic(self.la + 0.5 * c)

    def beta(self, z):
        return _pot.positive_inverse_mirror_map(z, log_init_scale=self.la)

    def dbeta(self, z):
        return 4.0 * self.beta(z)

    def conj(self, z):
        return _pot.positive_conjugate(z, log_init_scale=self.la)

    def max_step(self, z, dz):
        m = np.max(np.abs(dz))
        return 1.0 if 4.0 * m <= _EXP_CAP else _EXP_CAP / (4.0 * m)  # x ∝ e^{4θ}

    def mirror_from_beta(self, beta, z):
        with np.errstate(divide="ignore"):
            v = _pot.positive_mirror_map(beta, log_init_scale=self.la)
        return np.where(beta >= _TINY, v, z)

    def flow(self, z):
        return z


# --------------------------------------------------------------------------------------
# Dual Newton
# --------------------------------------------------------------------------------------
def _solve_spd(H, r):
    """Solve H s = r for the SPD (possibly nearly singular) dual Hessian H = X diag(w) Xᵀ.

    A jitter of 1e-13·max diag keeps Cholesky alive when the weights span hundreds of orders of
    magnitude (tiny scales: off-support weights ~ a); it perturbs only directions whose curvature
    is below rounding, which the line search then handles.
    """
    scale = float(np.max(np.diag(H)))
    if not np.isfinite(scale) or scale <= 0:
        return None
    jitter = 1e-13 * scale
    for _ in range(6):
        try:
            c = scipy.linalg.cho_factor(H + jitter * np.eye(H.shape[0]), check_finite=False)
            s = scipy.linalg.cho_solve(c, r, check_finite=False)
            if np.all(np.isfinite(s)):
                return s
        except np.linalg.LinAlgError:
            pass
        jitter *= 100.0
    return None


def _newton(X, y, ynorm, mirror, mu, tol, max_iter):
    """Damped Newton on F(μ) = Φ*(z₀ + Xᵀμ) − yᵀμ. Returns (μ, z, β, relres, n_iter, ok)."""
    z = mirror.z0 + X.T @ mu
    beta = mirror.beta(z)
    r = X @ beta - y
    res = np.linalg.norm(r) / ynorm
    it = 0
    while res > tol and it < max_iter:
        it += 1
        w = mirror.dbeta(z)
        H = (X * w) @ X.T
        step = _solve_spd(H, -r)
        if step is None:
            return mu, z, beta, res, it, False
        dz = X.T @ step
        t = mirror.max_step(z, dz)
        F0 = mirror.conj(z) - y @ mu
        slope = r @ step  # directional derivative of F, < 0
        # rounding allowance: near the solution F changes by less than its own rounding
        allow = 1e-14 * (abs(mirror.conj(z)) + abs(y @ mu))
        accepted = False
        while t > 1e-14:
            mu_t = mu + t * step
            z_t = z + t * dz
            F1 = mirror.conj(z_t) - y @ mu_t
            if np.isfinite(F1) and F1 <= F0 + 1e-4 * t * slope + allow:
                beta_t = mirror.beta(z_t)
                r_t = X @ beta_t - y
                if np.all(np.isfinite(r_t)):
                    accepted = True
                    break
            t *= 0.5
        if not accepted:
            return mu, z, beta, res, it, False
        mu, z, beta, r = mu_t, z_t, beta_t, r_t
        res = np.linalg.norm(r) / ynorm
    return mu, z, beta, res, it, res <= tol


def _check_2d(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"`X` must be a 2-D array (n_samples, n_features); got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"`y` must be a 1-D array of length n_samples={X.shape[0]}; got shape {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("`X` and `y` must be finite")
    return np.ascontiguousarray(X), y


def _per_coordinate(value, d, name):
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        return np.full(d, float(v))
    if v.shape != (d,):
        raise ValueError(f"`{name}` must be a scalar or an array of shape ({d},); got shape {v.shape}")
    return v.copy()


def _build_mirror(d, la, parametrization, depth, init_shape, init_factors):
    if parametrization not in ("pm", "uv", "positive"):
        raise ValueError(
            f"`parametrization` must be one of 'pm', 'uv', 'positive'; got {parametrization!r}"
        )
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 2:
        raise ValueError(f"`depth` must be an integer >= 2; got {depth!r}")
    depth = int(depth)
    if depth >= 3 and parametrization != "pm":
        raise ValueError("`depth` >= 3 is implemented for parametrization='pm' (β = w₊^D − w₋^D)")
    if init_shape is not None and (depth != 2 or parametrization == "positive"):
        raise ValueError("`init_shape` (four factors u₊v₊ − u₋v₋) needs depth=2 and 'pm' or 'uv'")
    if init_factors is not None and (parametrization != "uv" or init_shape is not None):
        raise ValueError("`init_factors` (u₀, v₀) applies to parametrization='uv' without `init_shape`")
    if parametrization == "positive":
        return _Entropic(la)
    if depth >= 3:
        return _Depth(la, depth)
    if init_shape is not None:
        cu, cv = (_per_coordinate(c, d, "init_shape") for c in _pair(init_shape, "init_shape"))
        s = cu * cu + cv * cv
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ValueError("`init_shape` (c_u, c_v) must be finite and not both zero")
        # β = u₊v₊ − u₋v₋, u± = α c_u, v± = α c_v: ψ with scale α²(c_u² + c_v²), β₀ = 0
        return _Hyperbolic(2.0 * la + np.log(s), None, 1.0)
    if parametrization == "pm":
        return _Hyperbolic(np.log(2.0) + 2.0 * la, None, 0.5)  # Φ = ½ψ_{2α²}
    if init_factors is None:
        return _Hyperbolic(2.0 * la, None, 1.0)  # u₀ = √2α, v₀ = 0: ψ_{α²}
    cu, cv = (_per_coordinate(c, d, "init_factors") for c in _pair(init_factors, "init_factors"))
    delta = np.abs(cu * cu - cv * cv)
    if not np.all(np.isfinite(delta)) or np.any(delta <= 0):
        raise ValueError("`init_factors` (c_u, c_v) must have c_u² ≠ c_v² in every coordinate")
    # a = α²|c_u² − c_v²|/2, reference β₀ = α² c_u c_v = a·(2 c_u c_v / |c_u² − c_v²|)
    la_a = 2.0 * la + np.log(delta / 2.0)
    beta0_over_a = 2.0 * cu * cv / delta
    return _Hyperbolic(la_a, beta0_over_a, 1.0)


def _pair(value, name):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a pair (c_u, c_v) of scalars or arrays") from None
    return a, b


def implicit_bias_limit(
    X,
    y,
    *,
    init_scale=None,
    parametrization="pm",
    depth=2,
    init_shape=None,
    init_factors=None,
    log_init_scale=None,
    tol=1e-10,
    max_iter=500,
):
    r"""Where gradient flow on a diagonal linear network lands: ``argmin {D_Φ(β, β₀) : Xβ = y}``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Must lie in the range of X (an interpolator must exist).
    init_scale : float or array_like of shape (n_features,), optional
        The initialisation scale α > 0 (per coordinate allowed). Exactly one of ``init_scale``
        and ``log_init_scale`` must be given.
    parametrization : {"pm", "uv", "positive"}, default="pm"
        ``"pm"``: ``β = w₊^D − w₋^D`` from ``w± = α``; depth 2 gives ``Φ = ½ψ_{2α²}`` (Woodworth et
        al. 2020). ``"uv"``: ``β = u ⊙ v`` from ``u₀ = √2α, v₀ = 0``, ``Φ = ψ_{α²}`` (Even et al.
        2023). ``"positive"``: ``x = u ⊙ u`` from ``u₀ = α``, the entropy
        ``Φ = ¼ Σ(x log(x/α²) − x)`` over ``x ≥ 0`` (Chou, Maly & Rauhut 2023).
    depth : int, default=2
        D ≥ 3 (with ``"pm"``) uses the depth-D potential (Woodworth et al. 2020).
    init_shape : pair (c_u, c_v), optional
        Four-factor network ``β = u₊⊙v₊ − u₋⊙v₋`` from ``u± = α·c_u, v± = α·c_v`` (Azulay et al.
        2021): ``Φ = ψ_a`` with scale ``a = α²(c_u² + c_v²)`` (not ``α² c_u c_v``), ``β₀ = 0``.
    init_factors : pair (c_u, c_v), optional
        Two-factor ``"uv"`` network from ``u₀ = α·c_u, v₀ = α·c_v`` (``c_u² ≠ c_v²``): ``Φ = ψ_a``
        with ``a = α²|c_u² − c_v²|/2`` and reference point ``β₀ = u₀v₀`` (Bregman divergence).
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

    For depth D ≥ 3 the mirror coordinate lives in ``|D(D−2)α^{D−2}θ| < 1`` and the distance to
    that boundary is resolved to float64 rounding only, so very small α (``α^{D−2} ≲ 1e-12``)
    loses accuracy on large coordinates.

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
    X, y = _check_2d(X, y)
    n, d = X.shape
    la = _pot._resolve_log(init_scale, log_init_scale, "init_scale")
    la = _per_coordinate(la, d, "init_scale")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"`tol` must be a float in (0, 1); got {tol!r}")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"`max_iter` must be a positive integer; got {max_iter!r}")
    mirror = _build_mirror(d, la, parametrization, depth, init_shape, init_factors)

    ynorm = float(np.linalg.norm(y))
    # minimum-ℓ2 interpolator: existence check and the natural scale of the solution
    beta_l2, *_ = np.linalg.lstsq(X, y, rcond=None)
    if np.linalg.norm(X @ beta_l2 - y) > 1e-8 * max(ynorm, _TINY):
        raise ValueError("`y` is not in the range of `X`: no interpolator exists")
    if ynorm == 0.0:
        ynorm = 1.0
    s0 = max(float(np.max(np.abs(beta_l2))), _TINY)

    # continuation: shift every log-scale by c ≥ 0, c_k = u_k − u_target, u_k = −1, −2, −4, ...
    u_target = float(np.min(mirror.log_magnitude())) - np.log(s0)
    shifts = []
    u = -1.0
    while u > u_target + 1.0 and u_target < np.log(1e-2):
        shifts.append(u - u_target)
        u *= 2.0
    shifts.append(0.0)

    mu = np.zeros(n)
    history = []  # (shift, μ) of solved stages, for the predictor
    total_it = 0
    ok = False
    for k, c in enumerate(shifts):
        m = mirror.shifted(c) if c > 0 else mirror
        stage_tol = tol if c == 0 else max(tol, 1e-6)
        if len(history) >= 2:
            (c1, mu1), (c2, mu2) = history[-2], history[-1]
            pred = mu2 + (mu2 - mu1) * (c - c2) / (c2 - c1)
            # keep the prediction only if it is a better start
            Fp = m.conj(m.z0 + X.T @ pred) - y @ pred
            Fm = m.conj(m.z0 + X.T @ mu) - y @ mu
            if np.isfinite(Fp) and Fp < Fm:
                mu = pred
        mu, z, beta, res, it, ok = _newton(X, y, ynorm, m, mu, stage_tol, max_iter - total_it)
        total_it += it
        history.append((c, mu.copy()))
        if total_it >= max_iter:
            break
    if not (ok and c == 0):
        warnings.warn(
            f"implicit_bias_limit did not converge: relative residual {res:.3g} > tol={tol:g} "
            f"after {total_it} Newton iterations"
            + (" (is y in the cone {Xx : x >= 0}?)" if parametrization == "positive" else ""),
            ConvergenceWarning,
            stacklevel=2,
        )
        ok = False
    # certificate, from β itself (z only where β underflows)
    v = mirror.mirror_from_beta(beta, z) - mirror.z0
    Q, _ = np.linalg.qr(X.T)
    vnorm = np.linalg.norm(v)
    mres = float(np.linalg.norm(v - Q @ (Q.T @ v)) / vnorm) if vnorm > 0 else 0.0
    k_flow = getattr(mirror, "k", 1.0)
    return ImplicitBiasLimit(
        coef=beta,
        mirror_coef=mirror.flow(z),
        dual_coef=k_flow * mu,
        interpolation_residual=float(res),
        mirror_residual=mres,
        n_iter=total_it,
        n_stages=len(history),
        converged=bool(ok),
    )
