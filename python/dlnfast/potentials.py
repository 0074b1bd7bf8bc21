"""Mirror potentials of diagonal linear networks, evaluated without cancellation or underflow.

Gradient flow on a diagonal linear network is mirror flow ``d/dt ∇Φ(β) = −g(β)`` on the
predictor β for a potential Φ fixed by the parametrisation and the initialisation
(:ref:`ug-parametrizations`). This module evaluates those potentials, their mirror maps ``∇Φ``, the inverse
maps ``∇Φ*`` (mirror coordinates → β), the Hessians and the convex conjugates:

* the hyperbolic entropy ``ψ_a`` (depth-2 networks; Woodworth et al. 2020, Azulay et al. 2021),
  and Woodworth's ``Q_α = 2·ψ_{2α²}``;
* the depth-D potential of ``β = w₊^D − w₋^D`` (Woodworth et al. 2020, D ≥ 3);
* the (relative) entropy of the non-negative network ``x = u ⊙ u`` (Chou, Maly & Rauhut 2023).

Every scale can be given either directly (``scale=``, ``init_scale=``) or as its natural
logarithm (``log_scale=``, ``log_init_scale=``), so that scales below the float64 range
(``1e-400``, or ``α² = (1e-300)²``) are usable: nothing here ever forms ``a`` itself when it
would underflow. Scales may be scalars or per-coordinate arrays (broadcast against β).

References
----------
Woodworth, Gunasekar, Lee, Moroshko, Savarese, Golan, Soudry, Srebro (2020). Kernel and rich
regimes in overparametrized models. COLT.
Azulay, Moroshko, Nacson, Woodworth, Srebro, Globerson, Soudry (2021). On the implicit bias of
initialization shape: beyond infinitesimal mirror descent. ICML.
Pesme & Flammarion (2023). Saddle-to-saddle dynamics in diagonal linear networks. NeurIPS.
Even, Pesme, Gunasekar, Flammarion (2023). (S)GD over diagonal linear networks: implicit bias,
large stepsizes and edge of stability. NeurIPS.
Chou, Maly, Rauhut (2023). More is less: inducing sparsity via overparameterization.
Information and Inference.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "hyperbolic_entropy",
    "hyperbolic_mirror_map",
    "hyperbolic_inverse_mirror_map",
    "hyperbolic_inverse_mirror_map_derivative",
    "hyperbolic_hessian",
    "hyperbolic_conjugate",
    "woodworth_q",
    "depth_potential",
    "depth_mirror_map",
    "depth_inverse_mirror_map",
    "depth_inverse_mirror_map_derivative",
    "depth_hessian",
    "depth_conjugate",
    "positive_entropy",
    "positive_mirror_map",
    "positive_inverse_mirror_map",
    "positive_hessian",
    "positive_conjugate",
]

_LOG2 = np.log(2.0)


def _resolve_log(value, log_value, name):
    """Return log(value) as a float64 array, from exactly one of value / log_value."""
    if (value is None) == (log_value is None):
        raise ValueError(f"give exactly one of `{name}` and `log_{name}`")
    if value is not None:
        v = _to_float_array(value, name)
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise ValueError(
                f"`{name}` must be positive and finite (use `log_{name}` for values below "
                f"the float range); got {value!r}"
            )
        return np.log(v)
    lv = _to_float_array(log_value, f"log_{name}")
    if not np.all(np.isfinite(lv)):
        raise ValueError(f"`log_{name}` must be finite; got {log_value!r}")
    return lv


def _to_float_array(x, name):
    """``x`` as a float64 array; complex, ragged or non-numeric input is a ValueError naming
    ``name`` (numpy would cast complex to real with only a warning)."""
    if np.iscomplexobj(x):
        raise ValueError(f"`{name}` must be real; got complex values")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a real number or array of them; got {x!r}") from exc


def _as_float(x, name):
    arr = _to_float_array(x, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite")
    return arr


def _depth_check(depth):
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 3:
        raise ValueError(f"`depth` must be an integer >= 3 for the depth-D potential; got {depth!r}")
    return int(depth)


# --------------------------------------------------------------------------------------
# Hyperbolic entropy ψ_a
# --------------------------------------------------------------------------------------
def _hyperbolic_split(beta, la):
    """Split coordinates into |β| ≤ a (use t = β/a) and |β| > a (use r = a/|β| ≤ 1).

    Returns (beta, la, big, t, r, lb) broadcast to a common shape; t is only meaningful where
    ``~big`` and r, lb only where ``big``.
    """
    beta, la = np.broadcast_arrays(np.asarray(beta, dtype=np.float64), la)
    ab = np.abs(beta)
    with np.errstate(divide="ignore"):
        lb = np.log(ab)  # -inf at 0
    big = lb > la
    with np.errstate(over="ignore", under="ignore"):
        a_small = np.exp(np.where(big, 0.0, la))
    # where β = 0 and a underflows, t = 0 (not 0/0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(big | (ab == 0), 0.0, beta / a_small)
    with np.errstate(over="ignore", under="ignore"):
        r = np.exp(np.where(big, la - lb, 0.0))
    return beta, la, big, t, r, lb


def hyperbolic_entropy(beta, scale=None, *, log_scale=None):
    r"""Hyperbolic entropy ``ψ_a(β) = ½ Σ [β·arcsinh(β/a) − sqrt(β² + a²) + a]``.

    Parameters
    ----------
    beta : array_like
        Point β; the sum runs over all entries.
    scale : float or array_like, optional
        The scale ``a > 0`` (scalar or per coordinate).
    log_scale : float or array_like, optional
        ``log a`` instead of ``scale``, for scales below the float range.

    Returns
    -------
    float
        ψ_a(β) ≥ 0, zero only at β = 0.

    Notes
    -----
    Evaluated as ``½ β [arcsinh t − t/(sqrt(1+t²)+1)]`` with ``t = β/a`` where ``|β| ≤ a``
    (the ``sqrt(β²+a²) − a`` cancellation removed, :ref:`ug-stable-evaluation`), and as
    ``½|β| [log(|β|/a) + log(1 + sqrt(1+r²)) − sqrt(1+r²) + r]`` with ``r = a/|β|`` where
    ``|β| > a`` (never forms ``β/a``, so ``a`` may be far below the float range).
    As ``a → 0`` its minimisers over ``{Xβ = y}`` tend to minimum-ℓ1 interpolators, as
    ``a → ∞`` to the minimum-ℓ2 one (Woodworth et al. 2020).

    Examples
    --------
    >>> from dlnfast.potentials import hyperbolic_entropy
    >>> round(hyperbolic_entropy([1.0, -2.0], scale=0.5), 6)
    1.726737
    """
    la = _resolve_log(scale, log_scale, "scale")
    beta = _as_float(beta, "beta")
    beta, la, big, t, r, lb = _hyperbolic_split(beta, la)
    s = np.sqrt(1.0 + t * t)
    small_val = 0.5 * beta * (np.arcsinh(t) - t / (s + 1.0))
    sr = np.sqrt(1.0 + r * r)
    with np.errstate(invalid="ignore"):
        big_val = 0.5 * np.abs(beta) * ((lb - la) + np.log1p(sr) - sr + r)
    return float(np.sum(np.where(big, big_val, small_val)))


def hyperbolic_mirror_map(beta, scale=None, *, log_scale=None):
    r"""Mirror map ``∇ψ_a(β) = ½·arcsinh(β/a)`` (elementwise), stable for any ``a``.

    For ``|β| > a`` it is ``½·sign(β)·[log(|β|/a) + log(1 + sqrt(1 + (a/β)²))]``.
    """
    la = _resolve_log(scale, log_scale, "scale")
    beta = _as_float(beta, "beta")
    beta, la, big, t, r, lb = _hyperbolic_split(beta, la)
    with np.errstate(invalid="ignore"):
        big_val = 0.5 * np.sign(beta) * ((lb - la) + np.log1p(np.sqrt(1.0 + r * r)))
    return np.where(big, big_val, 0.5 * np.arcsinh(t))


def hyperbolic_inverse_mirror_map(z, scale=None, *, log_scale=None):
    r"""Inverse mirror map ``β = a·sinh(2z)``, computed as
    ``sign(z)·½·exp(2|z| + log a)·(−expm1(−4|z|))`` (:ref:`ug-tiny-scales`), so that neither ``a`` nor
    ``sinh(2z)`` is formed when either is out of range.
    """
    la = _resolve_log(scale, log_scale, "scale")
    z = _as_float(z, "z")
    az = np.abs(z)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        e, m = np.exp(2.0 * az + la), -np.expm1(-4.0 * az)
        # a beyond the float range at z = 0 was inf·0: there, exp(2|z| + log a + log m) (0 at z = 0)
        mag = np.where(np.isfinite(e), e * m, np.exp(2.0 * az + la + np.log(m)))
        return np.sign(z) * 0.5 * mag


def hyperbolic_inverse_mirror_map_derivative(z, scale=None, *, log_scale=None):
    r"""``dβ/dz = 2a·cosh(2z) = 2·sqrt(β² + a²)`` at ``β = a·sinh(2z)``, the inverse Hessian."""
    la = _resolve_log(scale, log_scale, "scale")
    az = np.abs(_as_float(z, "z"))
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(2.0 * az + la) * (1.0 + np.exp(-4.0 * az))


def hyperbolic_hessian(beta, scale=None, *, log_scale=None):
    r"""Diagonal of ``∇²ψ_a(β) = 1 / (2·sqrt(β² + a²))`` (elementwise)."""
    la = _resolve_log(scale, log_scale, "scale")
    beta = _as_float(beta, "beta")
    beta, la, big, t, r, lb = _hyperbolic_split(beta, la)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        small_val = 0.5 * np.exp(-la) / np.sqrt(1.0 + t * t)
        big_val = 0.5 / (np.abs(beta) * np.sqrt(1.0 + r * r))
    return np.where(big, big_val, small_val)


def hyperbolic_conjugate(z, scale=None, *, log_scale=None):
    r"""Convex conjugate ``ψ_a*(z) = Σ a·sinh²(z)`` (``∇ψ_a* = a·sinh(2z)``), as
    ``Σ ¼·exp(2|z| + log a)·expm1(−2|z|)²``."""
    la = _resolve_log(scale, log_scale, "scale")
    az = np.abs(_as_float(z, "z"))
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        e, m = np.exp(2.0 * az + la), -np.expm1(-2.0 * az)
        # where exp(2|z| + log a) leaves the range (a = 1e155 at z = 0: inf·0), the term in the
        # log domain: exp(2|z| + log a + 2 log m), 0 at z = 0
        terms = np.where(np.isfinite(e), e * m * m, np.exp(2.0 * az + la + 2.0 * np.log(m)))
        return float(np.sum(0.25 * terms))


def woodworth_q(beta, init_scale=None, *, log_init_scale=None):
    r"""Woodworth et al.'s potential ``Q_α(β) = α² Σ q(β/α²)``,
    ``q(z) = 2 − sqrt(4 + z²) + z·arcsinh(z/2)``.

    It equals ``2·ψ_{2α²}(β)`` exactly and is evaluated that way (stable for any α;
    ``log_init_scale = log α``). Gradient flow on ``β = w₊² − w₋²`` from ``w± = α`` converges to
    ``argmin {Q_α(β) : Xβ = y}`` (Woodworth et al. 2020, Theorem 1).
    """
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    return 2.0 * hyperbolic_entropy(beta, log_scale=_LOG2 + 2.0 * la)


# --------------------------------------------------------------------------------------
# Depth-D potential, β = w₊^D − w₋^D from w± = α
# --------------------------------------------------------------------------------------
def _depth_consts(la, depth):
    """log c with c = D(D−2)·α^{D−2}, and p = D/(D−2)."""
    D = depth
    logc = np.log(D * (D - 2.0)) + (D - 2.0) * la
    return logc, D / (D - 2.0)


def _depth_coordinates(theta, init_scale, log_init_scale, depth):
    """(D, log α, log c, p, z = cθ, |z|, L = 2·artanh|z|) for θ inside the domain |z| < 1."""
    D = _depth_check(depth)
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    theta = _as_float(theta, "theta")
    logc, p = _depth_consts(la, D)
    with np.errstate(over="ignore", under="ignore"):
        z = theta * np.exp(logc)
    az = np.abs(z)
    if np.any(az >= 1.0):
        raise ValueError("`theta` (the mirror coordinate) must lie inside the domain "
                         "|D(D-2)·α^(D-2)·θ| < 1")
    return D, la, logc, p, z, az, 2.0 * np.arctanh(az)


def depth_inverse_mirror_map(theta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""Depth-D inverse mirror map: ``β = α^D [(1 − z)^{−p} − (1 + z)^{−p}]``, ``z = cθ``.

    Here ``c = D(D−2)·α^{D−2}`` and ``p = D/(D−2)``; the mirror coordinate θ is ``−∫g dt`` along
    the gradient flow of ``β = w₊^D − w₋^D`` from ``w± = α`` (:ref:`ug-parametrizations`: ``w±^{2−D} = α^{2−D} ±
    D(D−2)·G``), and must satisfy ``|z| < 1``. Computed as
    ``sign(z)·exp(D log α − p·log1p|z| + pL)·(−expm1(−pL))`` with ``L = 2·artanh|z|``: no
    cancellation near 0 and no overflow near the boundary.
    """
    D, la, logc, p, z, az, L = _depth_coordinates(theta, init_scale, log_init_scale, depth)
    with np.errstate(over="ignore", under="ignore"):
        return np.sign(z) * np.exp(D * la - p * np.log1p(az) + p * L) * (-np.expm1(-p * L))


def depth_inverse_mirror_map_derivative(theta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""``dβ/dθ = α^D·c·p·[(1 − z)^{−p−1} + (1 + z)^{−p−1}]`` (the inverse of the Hessian)."""
    D, la, logc, p, z, az, L = _depth_coordinates(theta, init_scale, log_init_scale, depth)
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(D * la + logc + np.log(p) - (p + 1.0) * np.log1p(-az)) * (
            1.0 + np.exp(-(p + 1.0) * L)
        )


def _depth_solve_w(Lb, p):
    """Solve ``w^{−p} − (2 − w)^{−p} = exp(Lb)`` for ``s = log w ∈ (−∞, 0)`` (w = 1 − |z|).

    ``w^{−p} ∈ [b, b + 1]`` brackets ``s ∈ [−log1p(b)/p, −log(b)/p]``; safeguarded Newton on
    ``G(s) = −p·s + log(1 − r^p) − Lb``, ``r = w/(2 − w)``, which is decreasing in s.
    """
    lo = -np.logaddexp(0.0, Lb) / p
    hi = np.minimum(0.0, -Lb / p)
    # start: large-b asymptote w ≈ b^{-1/p}; small-b: z ≈ b/(2p)
    b_small = Lb < np.log(p)
    with np.errstate(over="ignore"):
        s = np.where(b_small, np.log1p(-np.exp(np.minimum(Lb, np.log(p))) / (2.0 * p)), hi)
    s = np.clip(s, lo, hi)
    for _ in range(100):
        e = -np.expm1(s)  # 1 − w
        lr = s - np.log1p(e)  # log r
        E = np.exp(p * lr)
        one_m_E = -np.expm1(p * lr)
        with np.errstate(divide="ignore", invalid="ignore"):
            G = -p * s + np.log(one_m_E) - Lb
            dG = -p - p * (2.0 / (1.0 + e)) * E / one_m_E
        # keep the bracket: G > 0 means the root is to the right
        lo = np.where(G > 0, s, lo)
        hi = np.where(G <= 0, s, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_new = s - G / dG
        bad = ~np.isfinite(s_new) | (s_new <= lo) | (s_new >= hi)
        s_new = np.where(bad, 0.5 * (lo + hi), s_new)
        if np.all(np.abs(s_new - s) <= 4e-16 * np.maximum(1.0, np.abs(s))):
            s = s_new
            break
        s = s_new
    return s


def _depth_boundary_distance(beta, init_scale, log_init_scale, depth):
    """(D, β, log α, log c, p, β ≠ 0, s = log(1 − |z|)) with β and log α broadcast; s is only
    meaningful where β ≠ 0."""
    D = _depth_check(depth)
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    beta = _as_float(beta, "beta")
    beta, la = np.broadcast_arrays(beta, la)
    logc, p = _depth_consts(la, D)
    ab = np.abs(beta)
    with np.errstate(divide="ignore"):
        Lb = np.log(ab) - D * la
    nz = ab > 0
    return D, beta, la, logc, p, nz, _depth_solve_w(np.where(nz, Lb, 0.0), p)


def depth_mirror_map(beta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""Depth-D mirror map ``θ = ∇Φ_D(β)``: the inverse of :func:`depth_inverse_mirror_map`.

    Solved per coordinate by safeguarded Newton on ``log(1 − |z|)``, which keeps full relative
    precision in the distance to the boundary ``|z| = 1``; the gradient flow satisfies
    ``dθ/dt = −g``.
    """
    D, beta, la, logc, p, nz, s = _depth_boundary_distance(beta, init_scale, log_init_scale, depth)
    # |θ| = |z|/c in log space: |z|·(1/c) was 0·inf = NaN (a RuntimeWarning) where 1/c overflows
    # and |z| = 0 (β = 0 with α^{D−2} below the float range, e.g. log α = −500, D = 10)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        theta = np.copysign(np.exp(np.log(-np.expm1(s)) - logc), beta)
    return np.where(nz, theta, 0.0)


def depth_conjugate(theta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""Conjugate ``Φ_D*(θ) = Σ α²/(2D)·[(1 − z)^{−2/(D−2)} + (1 + z)^{−2/(D−2)} − 2]``,
    ``z = cθ``; its gradient is the inverse mirror map. Evaluated with ``expm1``/``log1p``."""
    D = _depth_check(depth)
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    theta = _as_float(theta, "theta")
    logc, _ = _depth_consts(la, D)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        az = np.exp(np.log(np.abs(theta)) + logc)  # |cθ| in log space: θ = 0 with c = inf was NaN
    if np.any(az >= 1.0):
        return np.inf
    return float(np.sum(_depth_conjugate_terms(az, la, D)))


def _depth_conjugate_terms(az, la, D):
    """α²/(2D)·[(1 − |z|)^{−q} + (1 + |z|)^{−q} − 2], q = 2/(D−2), elementwise, in log space:
    the product α²·[…] was inf·0 = NaN for α = 1e300 (the bracket underflows where |z| is tiny;
    it is then q(q+1)|z|² to rounding)."""
    q = 2.0 / (D - 2.0)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        bracket = np.expm1(-q * np.log1p(-az)) + np.expm1(-q * np.log1p(az))
        log_bracket = np.where(bracket > 0, np.log(np.where(bracket > 0, bracket, 1.0)),
                               np.log(q * (q + 1.0)) + 2.0 * np.log(az))
        return np.exp(2.0 * la - np.log(2.0 * D) + log_bracket)


def depth_potential(beta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""Depth-D potential ``Φ_D(β) = Σ [θβ − Φ_D*(θ)]``, ``θ = ∇Φ_D(β)``.

    Gradient flow on ``β = w₊^D − w₋^D`` from ``w± = α`` satisfies ``d/dt ∇Φ_D(β) = −g(β)``
    and, when it interpolates, converges to ``argmin {Φ_D(β) : Xβ = y}`` (Woodworth et al. 2020,
    Theorem 3). Φ_D ≥ 0 with equality only at 0.

    Parameters
    ----------
    beta : array_like
    init_scale : float or array_like, optional
        α > 0 (per coordinate allowed).
    depth : int
        D ≥ 3.
    log_init_scale : float or array_like, optional
        log α instead of ``init_scale``.
    """
    D = _depth_check(depth)
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    beta = _as_float(beta, "beta")
    theta = depth_mirror_map(beta, depth=D, log_init_scale=la)
    beta_b, la_b = np.broadcast_arrays(beta, la)
    logc, _ = _depth_consts(la_b, D)
    # Φ*(θ) elementwise, with |z| from θ (may lose relative precision only at the boundary)
    # |z| = |θ|·c in log space (|θ| = inf with c = 0 was inf·0 = NaN)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        az = np.minimum(np.exp(np.log(np.abs(theta)) + logc), np.nextafter(1.0, 0.0))
    conj = _depth_conjugate_terms(az, la_b, D)
    with np.errstate(over="ignore", under="ignore"):
        lin = theta * beta_b  # θβ ≥ 0 (θ has the sign of β)
    # θβ beyond the float range: Φ_D = θβ − Φ*(θ) ≥ θβ·(1 − 1/p) is too (inf − inf was NaN)
    with np.errstate(invalid="ignore"):
        terms = np.where(np.isinf(lin), np.inf, lin - conj)
    return float(np.sum(terms))


def depth_hessian(beta, init_scale=None, depth=3, *, log_init_scale=None):
    r"""Diagonal of ``∇²Φ_D(β) = 1 / (dβ/dθ)`` at ``θ = ∇Φ_D(β)``."""
    D, beta, la, logc, p, nz, s = _depth_boundary_distance(beta, init_scale, log_init_scale, depth)
    # from s = log(1 − |z|) directly, not through θ = z/c: θ underflowed to 0 for α = 1e200,
    # D = 10 (c ~ 1e1600) and z = θ·c was 0·inf (found by the fuzz suite)
    s = np.where(nz, s, 0.0)
    w = np.exp(s)
    r = w / (2.0 - w)  # (1 − |z|)/(1 + |z|)
    # log dβ/dθ = D log α + log c + log p − (p + 1)·log(1 − |z|) + log(1 + r^{p+1})
    log_dbeta = D * la + logc + np.log(p) - (p + 1.0) * s + np.log1p(r ** (p + 1.0))
    with np.errstate(over="ignore", under="ignore"):  # 0 or inf beyond the float range
        return np.exp(-log_dbeta)


# --------------------------------------------------------------------------------------
# Entropy of the non-negative network x = u ⊙ u, u₀ = α
# --------------------------------------------------------------------------------------
def positive_entropy(x, init_scale=None, *, log_init_scale=None):
    r"""Entropy of the non-negative network: ``Φ(x) = ¼ Σ [x·log(x/x₀) − x + x₀]``, ``x₀ = α²``.

    Gradient flow on ``x = u ⊙ u`` from ``u₀ = α`` satisfies ``d/dt ¼·log x = −g`` and converges
    to ``argmin {Φ(x) : Xx = y, x ≥ 0}`` (Chou, Maly & Rauhut 2023); the ``+x₀`` makes it the
    Bregman divergence from ``x₀`` (≥ 0). ``x log(x/x₀)`` is evaluated as ``x(log x − 2 log α)``
    so α may be below the float range; ``0·log 0 = 0``.
    """
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    x = _as_float(x, "x")
    if np.any(x < 0):
        raise ValueError("`x` must be non-negative for the entropy of the non-negative network")
    x, la = np.broadcast_arrays(x, la)
    # each term is x₀·h(t), t = log(x/x₀), h(t) = t·eᵗ − eᵗ + 1 ≥ 0, written so that neither x₀
    # (α = 1e200: x₀ = 1e400) nor eᵗ leaves the float range unless the term itself does
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        pos = x > 0
        t = np.where(pos, np.log(np.where(pos, x, 1.0)) - 2.0 * la, -np.inf)
        above = x * (t + np.expm1(-t))  # t > 0: x·(t − 1) + x₀ with x₀ = x·e^{−t}
        tt = np.minimum(t, 0.0)
        h = np.maximum(-np.expm1(tt) + np.where(pos, tt * np.exp(tt), 0.0), 0.0)  # t ≤ 0: h ∈ [0, 1]
        x0 = np.exp(2.0 * la)
        in_range = np.isfinite(x0) & (x0 > 0)
        below = np.where(in_range, x0 * h, np.exp(2.0 * la + np.log(h)))
        terms = np.where(t > 0, above, below)
    return float(0.25 * np.sum(terms))


def positive_mirror_map(x, init_scale=None, *, log_init_scale=None):
    r"""Mirror map ``θ = ∇Φ(x) = ¼·log(x/x₀) = ¼·(log x − 2 log α)`` (``−∞`` at ``x = 0``)."""
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    x = _as_float(x, "x")
    if np.any(x < 0):
        raise ValueError("`x` must be non-negative")
    with np.errstate(divide="ignore"):
        return 0.25 * (np.log(x) - 2.0 * la)


def positive_inverse_mirror_map(theta, init_scale=None, *, log_init_scale=None):
    r"""Inverse mirror map ``x = x₀·exp(4θ) = exp(4θ + 2 log α)``."""
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    theta = _as_float(theta, "theta")
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(4.0 * theta + 2.0 * la)


def positive_hessian(x, init_scale=None, *, log_init_scale=None):
    r"""Diagonal of ``∇²Φ(x) = 1/(4x)`` (independent of α)."""
    _resolve_log(init_scale, log_init_scale, "init_scale")
    x = _as_float(x, "x")
    with np.errstate(divide="ignore"):
        return 0.25 / x


def positive_conjugate(theta, init_scale=None, *, log_init_scale=None):
    r"""Conjugate ``Φ*(θ) = Σ ¼·x₀·(exp(4θ) − 1)`` (``∇Φ* = x₀·exp(4θ)``)."""
    la = _resolve_log(init_scale, log_init_scale, "init_scale")
    theta = _as_float(theta, "theta")
    theta, la = np.broadcast_arrays(theta, la)
    if not theta.size:
        return 0.0
    # the terms ±¼·exp(L_j), L_j = 2 log α + log|exp(4θ_j) − 1| (θ > 0: 4θ + 2 log α +
    # log(1 − e^{−4θ})), summed relative to their largest: x₀ = 1e400 (α = 1e200) with θ of
    # both signs no longer meets inf − inf or 0·inf; ±inf only where the sum is beyond the range
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        tp, tn = np.maximum(theta, 0.0), np.minimum(theta, 0.0)
        L = np.where(theta > 0, 4.0 * tp + 2.0 * la + np.log(-np.expm1(-4.0 * tp)),
                     2.0 * la + np.log(-np.expm1(4.0 * tn)))
        if np.any(np.isnan(L)):
            return float("nan")  # θ or log α NaN
        M = float(np.max(L))
        if M == -np.inf:
            return 0.0  # θ = 0 (or x₀ = 0) everywhere
        if M == np.inf:  # a term alone beyond the range (θ = ±inf or log α = inf)
            s = np.sign(theta[L == np.inf])
            return float("nan") if np.any(s > 0) and np.any(s < 0) else float(s[0] * np.inf)
        inner = float(np.sum(np.sign(theta) * np.exp(L - M)))
        scale = np.exp(M)
        if np.isfinite(scale):
            return 0.25 * inner * scale
        return 0.0 if inner == 0 else float(np.sign(inner) * np.exp(M + np.log(0.25 * abs(inner))))


# --------------------------------------------------------------------------------------
# One shape check for every public function: the argument and a per-coordinate scale must
# broadcast (numpy's own error names neither)
# --------------------------------------------------------------------------------------
def _shapes_checked(fn):
    import functools
    import inspect

    signature = inspect.signature(fn)  # once: computing it per call cost ~0.2 ms (implicit_bias_path)
    params = list(signature.parameters)
    arg, scales = params[0], [p for p in params if p.endswith("scale")]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        value = bound.arguments.get(arg)
        for name in scales:
            scale = bound.arguments.get(name)
            if scale is None or value is None:
                continue
            try:
                np.broadcast_shapes(np.shape(value), np.shape(scale))
            except ValueError:
                raise ValueError(f"`{name}` of shape {np.shape(scale)} does not broadcast against "
                                 f"`{arg}` of shape {np.shape(value)}") from None
        return fn(*args, **kwargs)

    return wrapper


for _name in __all__:
    globals()[_name] = _shapes_checked(globals()[_name])
del _name
