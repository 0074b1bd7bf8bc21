"""The small-initialisation limit of gradient flow as a process: the saddle-to-saddle path.

Pesme & Flammarion (2023): for β = u⊙v trained by gradient flow from u₀ = √2·α, v₀ = 0 (:ref:`ug-saddle`),
the trajectory in accelerated time t̃ = t/log(1/α) converges, as α → 0, to a piecewise-constant
process. It sits on a saddle β_k of the loss, jumps at time t̃_k to the next one, and ends at the
minimum-ℓ1 interpolator (or at a minimiser of L when nothing interpolates). The process is driven by
the dual variable s(t̃) = −∫₀^t̃ ∇L(β(τ)) dτ: a coordinate may be non-zero only while |s_i| = 1, with
the sign of s_i, and on each plateau β minimises L over that sign-constrained face.
"""
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from scipy.optimize import nnls
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, validate_params

from dlnfast._diagnosis import data_scale_cause
from dlnfast._validation import check_dense_X_y, check_times

__all__ = ["SaddlePath", "saddle_path"]

#: The smallest ``tol`` of :func:`saddle_path` (a relative tolerance above the rounding noise).
MIN_TOL = 1e-12


@dataclass
class SaddlePath:
    """The saddle-to-saddle limit process (returned by :func:`saddle_path`).

    Attributes
    ----------
    jump_times : ndarray of shape (n_jumps,)
        Accelerated times t̃_1 < t̃_2 < … at which the process leaves one saddle for the next
        (t̃ = t/log(1/α) for u⊙v from u₀ = √2α, v₀ = 0; t̃_1 = 1/‖∇L(0)‖∞).
    saddles : ndarray of shape (n_jumps + 1, n_features)
        β on each plateau: ``saddles[0] = 0`` (before t̃_1), ``saddles[k]`` on [t̃_k, t̃_{k+1}).
    losses : ndarray of shape (n_jumps + 1,)
        L(β) = ‖Xβ − y‖²/(2n) on each plateau.
    active_sets : list of ndarray of int
        ``active_sets[k]``: the coordinates i with ``|s_i| = 1`` at t̃_k (empty for k = 0): those
        allowed to be non-zero on plateau k. One whose face minimiser is 0 there, with the
        gradient pointing inward, is leaving: ``|s_i|`` drops below 1 during plateau k (deactivation).
    signs : list of ndarray
        ``signs[k]``: s_i (±1) on ``active_sets[k]``: the sign that coordinate may take there.
    duals : ndarray of shape (n_jumps + 1, n_features)
        s(t̃_k) = −∫₀^t̃_k ∇L dτ, in [−1, 1]; ``duals[0] = 0``. The last one certifies the end point:
        it lies in range(Xᵀ), has ‖s‖∞ ≤ 1 and equals sign(β) on the support (ℓ1 optimality).
    coef : ndarray of shape (n_features,)
        The end point (``saddles[-1]``).
    grad_norm : float
        ‖∇L(coef)‖∞ at the end (≤ tol·‖∇L(0)‖∞).
    """

    jump_times: np.ndarray
    saddles: np.ndarray
    losses: np.ndarray
    active_sets: list = field(repr=False)
    signs: list = field(repr=False)
    duals: np.ndarray = field(repr=False)
    coef: np.ndarray = field(repr=False)
    grad_norm: float = 0.0

    @property
    def n_jumps(self):
        return self.jump_times.size

    def coef_at(self, times):
        """The limit process β(t̃) at accelerated times ``times`` (right-continuous)."""
        times = check_times(times)
        k = np.searchsorted(self.jump_times, times, side="right")
        return self.saddles[k]

    def loss_at(self, times):
        """The plateau loss L(β(t̃)) at accelerated times ``times``."""
        times = check_times(times)
        return self.losses[np.searchsorted(self.jump_times, times, side="right")]


def _face_minimiser(X, y, active, sign, grad_tol):
    """argmin L over {β_i σ_i ≥ 0 on the active set, β_i = 0 elsewhere}, exactly.

    Non-negative least squares (``scipy.optimize.nnls``) on the columns X_S·diag(σ), then the
    positive part re-solved by least squares on its own columns (removes NNLS's tolerance), and
    a uniqueness check: every minimiser shares the fitted values, hence the gradient, so by
    complementary slackness all are supported on F = {w_i > 0} ∪ {∇_i = 0}; the minimiser is
    unique exactly when X_F has full column rank.
    """
    n, d = X.shape
    beta = np.zeros(d)
    if active.size == 0:
        return beta
    A = X[:, active] * sign
    w, _ = nnls(A, y, maxiter=50 * max(active.size, 10))
    pos = w > 0
    if pos.any():
        w_pos, *_ = np.linalg.lstsq(A[:, pos], y, rcond=None)
        if np.all(w_pos > 0):
            w = np.zeros_like(w)
            w[pos] = w_pos
    beta[active] = sign * w
    grad_face = sign * (X[:, active].T @ (X @ beta - y)) / n
    free = pos | (np.abs(grad_face) <= grad_tol)
    cols = A[:, free]
    if cols.shape[1] > 0:
        sv = np.linalg.svd(cols, compute_uv=False)
        if cols.shape[1] > cols.shape[0] or sv[-1] <= sv[0] * max(cols.shape) * 1e-12:
            raise ValueError(
                "saddle_path: the sign-constrained least-squares sub-problem on coordinates "
                f"{active[free].tolist()} (signs {sign[free].astype(int).tolist()}) has no unique "
                "minimiser (their columns of X are linearly dependent); the limit process is not "
                "determined by the data. Perturb X slightly or remove duplicate/collinear features.")
    return beta


@validate_params(
    {"X": ["array-like"], "y": ["array-like"],
     # below 1e-12 the tolerances sit under the face solves' rounding noise (measured: tol=1e-14
     # gave zero-length jumps and rising plateau losses on 3 of 200 random problems)
     "tol": [Interval(Real, MIN_TOL, 1, closed="left")],
     "max_jumps": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def saddle_path(X, y, *, tol=1e-10, max_jumps=10_000):
    r"""The saddle-to-saddle limit of a small-initialisation diagonal network (α → 0).

    Computes the piecewise-constant process that gradient flow on β = u⊙v from u₀ = √2·α, v₀ = 0
    follows in accelerated time t̃ = t/log(1/α) as α → 0 (Pesme & Flammarion 2023), exactly (no
    integration): a finite list of jump times, saddles, active sets and signs, ending at the
    minimum-ℓ1 interpolator when one exists (otherwise at a minimiser of L).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    tol : float in [1e-12, 1), default=1e-10
        Stop when ‖∇L(β)‖∞ ≤ tol·‖∇L(0)‖∞; also the relative tolerance under which two
        coordinates reach ``|s_i| = 1`` at the same time and under which a gradient entry counts as 0.
    max_jumps : int, default=10000
        Cap on the number of jumps: past it the path so far is returned with a
        ConvergenceWarning (its ``coef`` is then the last saddle reached, not the end point).

    Returns
    -------
    SaddlePath
        ``jump_times``, ``saddles``, ``losses``, ``active_sets``, ``signs``, ``duals``, ``coef``.

    Raises
    ------
    ValueError
        When a sign-constrained sub-problem has no unique minimiser (the message names the
        coordinates), e.g. with duplicate columns of X.

    Notes
    -----
    With g = ∇L(β) = Xᵀ(Xβ − y)/n and s the dual variable (s = 0 at t̃ = 0), each step is

    * δ_i = (1 − s_i)/(−g_i) if g_i < 0, (1 + s_i)/g_i if g_i > 0, ∞ if g_i = 0; Δ = min δ;
    * t̃ ← t̃ + Δ; s ← clip(s − Δ·g, −1, 1); S = {i : s_i = ±1}, σ = s_S;
    * β ← argmin_{β_S σ ≥ 0, β_{S^c} = 0} L(β) (non-negative least squares).

    A coordinate whose sub-problem pushes it to 0 with the gradient pointing inward leaves S at the
    next step (deactivation). The last s is a dual certificate of ℓ1 optimality (s ∈ range(Xᵀ),
    ‖s‖∞ ≤ 1, s = sign β on the support); see :ref:`ug-saddle`.

    References
    ----------
    Pesme, S. & Flammarion, N. (2023). Saddle-to-saddle dynamics in diagonal linear networks.
    NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import saddle_path
    >>> X = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 1.0]]); y = np.array([1.0, 1.0])
    >>> path = saddle_path(X, y)
    >>> path.jump_times               # t̃_1 = 1/‖∇L(0)‖∞ = 1/0.75
    array([1.33333333, 3.        ])
    >>> path.coef                      # the minimum-ℓ1 interpolator
    array([0.5, 1. , 0. ])
    """
    X, y = check_dense_X_y(X, y)
    cause = data_scale_cause(X, y)
    if cause is not None:  # Xᵀ(Xβ − y) would overflow (y ~ 1e200 did, with a RuntimeWarning)
        raise ValueError(f"saddle_path cannot solve this input: the cause is {cause}")
    n, d = X.shape
    max_jumps = int(max_jumps)

    def grad(beta):
        return X.T @ (X @ beta - y) / n

    def loss(beta):
        r = X @ beta - y
        return float(r @ r) / (2 * n)

    beta = np.zeros(d)
    s = np.zeros(d)
    t = 0.0
    g = grad(beta)
    g0 = float(np.abs(g).max())
    jump_times, saddles, losses, duals = [], [beta.copy()], [loss(beta)], [s.copy()]
    active_sets, signs = [np.zeros(0, dtype=np.intp)], [np.zeros(0)]
    if g0 == 0.0:  # β = 0 is already stationary (y ⟂ range(X)): no jump at all
        return SaddlePath(np.zeros(0), np.array(saddles), np.array(losses), active_sets, signs,
                          np.array(duals), beta, 0.0)
    g_tol = tol * g0
    while True:
        g = grad(beta)
        g[np.abs(g) <= g_tol] = 0.0  # rounding noise on the face's stationary coordinates
        if np.abs(g).max() == 0.0:
            break
        if len(jump_times) >= max_jumps:
            warnings.warn(f"saddle_path stopped after max_jumps={max_jumps} jumps before the end point "
                          f"(‖∇L‖∞ = {np.abs(g).max():.3g} > tol·‖∇L(0)‖∞); increase max_jumps",
                          ConvergenceWarning, stacklevel=3)  # 3: the caller of validate_params' wrapper
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(g < 0, (1.0 - s) / -g, np.where(g > 0, (1.0 + s) / g, np.inf))
        step = float(delta.min())
        t += step
        s = np.clip(s - step * g, -1.0, 1.0)
        # coordinates hitting the boundary now (within tol of the first one) join exactly at ±1
        hit = delta <= step + tol * max(1.0, t)
        s[hit] = np.where(s[hit] > 0, 1.0, np.where(s[hit] < 0, -1.0, -np.sign(g[hit])))
        active = np.flatnonzero(np.abs(s) == 1.0)
        sign = s[active].copy()
        beta = _face_minimiser(X, y, active, sign, g_tol)
        jump_times.append(t)
        saddles.append(beta.copy())
        losses.append(loss(beta))
        duals.append(s.copy())
        active_sets.append(active)
        signs.append(sign)
    return SaddlePath(np.array(jump_times), np.array(saddles), np.array(losses), active_sets, signs,
                      np.array(duals), beta, float(np.abs(grad(beta)).max()))
