"""Plain numpy implementations used as test oracles.

These mirror the C++ engine's *mathematics*, not its code: they update the factors exactly as
written in DESIGN §3 (``w₊ ← w₊(1 − 2ηg)``, ``u ← u − ηv⊙g``), with two numpy mat-vecs per
iteration and explicit centring of X. They favour clarity over speed and
must never be used by the package itself.

Mirrors: :func:`dlnfast._core.gd` (through ``dlnfast._engine.fit_network``).
"""
import numpy as np


def _centre(X, y, fit_intercept):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if fit_intercept:
        return X - X.mean(axis=0), y - y.mean()
    return X, y


def gradient(X, y, beta):
    """∇L(β) = Xᵀ(Xβ − y)/n for L = ‖Xβ − y‖²/(2n)."""
    return X.T @ (X @ beta - y) / X.shape[0]


def gd_reference(X, y, *, parametrization="pm", init_scale=1.0, init_shape=None, step_size,
                 n_iter, fit_intercept=False, depth=2):
    """Run ``n_iter`` fixed-step GD updates on the factors; return the β iterates.

    Returns an array of shape (n_iter + 1, n_features): β_0, …, β_{n_iter}.
    pm (depth D):  β = w₊^D − w₋^D,  w± ← w± ∓ η·D·w±^{D−1}⊙g   (init w± = α·shape±)
    uv:            β = u⊙v,          u ← u − η·v⊙g,  v ← v − η·u⊙g  (simultaneous)
                   init u = α·shape₀, v = α·shape₁ (default shape (√2, 0))
    """
    X, y = _centre(X, y, fit_intercept)
    d = X.shape[1]
    alpha = np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (d,))
    out = np.empty((n_iter + 1, d))
    if parametrization == "pm":
        a, b = (1.0, 1.0) if init_shape is None else init_shape
        wp, wn = alpha * np.asarray(a, float), alpha * np.asarray(b, float)
        out[0] = wp**depth - wn**depth
        for k in range(n_iter):
            g = gradient(X, y, out[k])
            wp, wn = wp - step_size * depth * wp ** (depth - 1) * g, wn + step_size * depth * wn ** (depth - 1) * g
            out[k + 1] = wp**depth - wn**depth
    elif parametrization == "uv":
        a, b = (np.sqrt(2.0), 0.0) if init_shape is None else init_shape
        u, v = alpha * np.asarray(a, float), alpha * np.asarray(b, float)
        out[0] = u * v
        for k in range(n_iter):
            g = gradient(X, y, out[k])
            u, v = u - step_size * v * g, v - step_size * u * g
            out[k + 1] = u * v
    else:
        raise ValueError(f"unknown parametrization {parametrization!r}")
    return out
