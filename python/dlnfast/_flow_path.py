"""Clocks and time averages for the gradient flow of a depth-2 network (small-α analysis).

Two rescalings of flow time t make the small-initialisation limit visible:

* accelerated time (Pesme & Flammarion 2023): for the hyperbolic mirror map β = a·sinh(rate·θ)
  with dθ/dt = −g, a coordinate becomes O(1) once rate·|θ| ≈ log(1/a); so
  ``t̃ = rate·t / log(1/a)``. For u⊙v from u₀ = √2α, v₀ = 0 (a = α², rate 2) this is
  t̃ = t/log(1/α) (:ref:`ug-saddle`); for w₊² − w₋² from α (a = 2α², rate 4), t̃ = 4t/log(1/(2α²)).
* Berthier's lasso clock (Berthier 2025): for u⊙v from u₀ = √ε, v₀ = 0 (a = ε/2, rate 2),
  ``s = 2t/log(1/ε)``; in general ``s = rate·t / log(1/(2a))``. Since g is affine,
  ∫₀ᵗ g(β) dτ = t·g(β̄(t)) with β̄ = (1/t)∫₀ᵗ β, so θ(t) = −t·∇L(β̄): the time average meets
  the lasso's stationarity |∇L(β̄)| ≤ 1/s (with equality and sign on its support) as ε → 0.
  It is the lasso solution at penalty 1/s exactly when s·β̄(s) is coordinatewise monotone.
"""
from dataclasses import dataclass

import numpy as np

__all__ = ["FlowPath", "clock_factors"]


@dataclass
class FlowPath:
    """The output of :func:`dlnfast.gradient_flow` with ``full_output=True``.

    Attributes
    ----------
    coef_path : ndarray of shape (n_times, n_features)
        β at each requested time.
    mirror_path : ndarray of shape (n_times, n_features)
        ∇Φ(β) there (exact even where β underflows).
    times : ndarray of shape (n_times,)
        Flow time t of each row.
    accelerated_times : ndarray of shape (n_times,) or None
        t̃ = rate·t/log(1/a) (u⊙v from √2α: t̃ = t/log(1/α)); None where it is not defined (depth
        D ≥ 3, positive networks, per-coordinate scales, or a ≥ 1).
    average_path : ndarray of shape (n_times, n_features) or None
        With ``time_average=True``: β̄(t) = (1/t)∫₀ᵗ β(τ) dτ (β̄(0) = β(0)).
    lasso_times : ndarray of shape (n_times,) or None
        Berthier's s = rate·t/log(1/(2a)) (u⊙v from u₀ = √ε: s = 2t/log(1/ε)).
    lasso_penalty : ndarray of shape (n_times,) or None
        1/s: the penalty of the lasso min_β ‖Xβ − y‖²/(2n) + (1/s)‖β‖₁ (scikit-learn's
        ``Lasso(alpha=1/s, fit_intercept=False)``) that β̄(t) solves as ε → 0. inf at t = 0.
    """

    coef_path: np.ndarray
    mirror_path: np.ndarray
    times: np.ndarray
    accelerated_times: np.ndarray = None
    average_path: np.ndarray = None
    lasso_times: np.ndarray = None
    lasso_penalty: np.ndarray = None


def clock_factors(spec):
    """(rate/log(1/a), rate/log(1/(2a))) for a hyperbolic spec with one scale a < ½, else None.

    t̃ = first·t and s = second·t. ``None`` means the small-α clocks are not defined here: depth
    D ≥ 3 and positive networks have other time scales, per-coordinate scales have no single
    clock, and a ≥ ½ is not a small initialisation.
    """
    if spec.kind != "hyperbolic":
        return None
    la = np.asarray(spec.log_scale, dtype=np.float64)
    if la.size == 0 or np.ptp(la) != 0.0:
        return None
    log_a = float(la[0])
    if not log_a < -np.log(2.0):
        return None
    return spec.rate / -log_a, spec.rate / -(log_a + np.log(2.0))


def check_clock(spec, what):
    """``clock_factors(spec)`` or a ValueError saying why ``what`` is not available."""
    factors = clock_factors(spec)
    if factors is None:
        raise ValueError(
            f"{what} needs a depth-2 network ('pm', 'uv' or 'shape', depth=2) with one "
            "initialisation scale for every coordinate and a small one (mirror scale a < 1/2, "
            "e.g. init_scale < 0.5 for 'uv'); it is not defined for this parametrization/depth/"
            "init_scale")
    return factors


def time_average(run_chunk, times, n_features, points):
    """(1/t)∫₀ᵗ β at each of ``times`` by the trapezoid rule on a grid of about ``points``
    uniform steps (merged with ``times``), integrated chunk by chunk so memory stays
    O(chunk·d) whatever ``points`` is.

    ``run_chunk(rel_times)`` continues the flow from where the previous call stopped and returns
    β at the times ``rel_times`` (relative to that point).
    """
    t_max = float(times[-1])
    grid = np.union1d(np.linspace(0.0, t_max, int(points) + 1), times)
    chunk = max(1, 2_000_000 // max(n_features, 1))  # ≤ 16 MB of snapshots at a time
    out = np.empty((times.size, n_features))
    integral = np.zeros(n_features)
    prev_t, prev_beta = 0.0, None
    want = np.searchsorted(grid, times)  # grid indices of the requested times
    w = 0
    start = 0.0
    for lo in range(0, grid.size, chunk):
        part = grid[lo:lo + chunk]
        beta = run_chunk(part - start)
        start = float(part[-1])
        for j, t in enumerate(part):
            b = beta[j]
            if prev_beta is not None:
                integral += 0.5 * (t - prev_t) * (b + prev_beta)
            prev_t, prev_beta = float(t), b
            while w < want.size and want[w] == lo + j:
                out[w] = b if t == 0.0 else integral / t
                w += 1
    return out
