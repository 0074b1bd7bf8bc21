"""Plain numpy implementations used as test oracles.

These mirror the C++ engine's *mathematics*, not its code: they update the factors exactly as
written in :ref:`ug-parametrizations` (``w₊ ← w₊(1 − 2ηg)``, ``u ← u − ηv⊙g``), with two numpy mat-vecs per
iteration and explicit centring of X. They favour clarity over speed and
must never be used by the package itself. They share no code with what they check: this
module imports nothing from dlnfast (in particular not ``_parametrizations``, whose
initialisations and changes of coordinates it re-derives from :ref:`ug-parametrizations`), so a bug there cannot
hide in the oracle too.

Mirrors: :func:`dlnfast._core.gd` (``gd_reference``) and :func:`dlnfast._core.sgd` (``sgd_reference``).
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


def sgd_reference(X, y, *, parametrization="pm", init_scale=1.0, init_shape=None, depth=2, step_size,
                  n_iter, batch_size=1, shuffle=False, seed=0, label_noise=0.0, momentum=0.0,
                  nesterov=False, step_decay=0.0, fit_intercept=False):
    """Fixed-step (mini-batch) SGD with optional momentum on the factors; return the β iterates.

    Mirrors :func:`dlnfast._core.sgd` (and :func:`dlnfast._core.gd` with ``batch_size=None``, the
    full batch). The sample indices and noise come from :mod:`dlnfast._sampling` (the stream's
    specification). Written in the textbook form, with explicit gradients of β w.r.t. the factors:

        batch I_k, noise ε:   g = X_Iᵀ(X_I β(p) − y_I − σε)/B,   p = w (or w + μv for Nesterov)
        v ← μv − η_k ∇_w L(p),   w ← w + v,   η_k = η/(1 + step_decay·k)

    Returns an array of shape (n_iter + 1, n_features): β_0, …, β_{n_iter} (β at w, not at the
    Nesterov look-ahead).
    """
    from dlnfast._sampling import sample_indices, standard_normal

    X, y = _centre(X, y, fit_intercept)
    n, d = X.shape
    alpha = np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (d,))
    if parametrization == "pm":
        a, b = (1.0, 1.0) if init_shape is None else init_shape
        params = np.stack([alpha * np.asarray(a, float) * np.ones(d), alpha * np.asarray(b, float) * np.ones(d)])

        def beta_of(p):
            return p[0] ** depth - p[1] ** depth

        def grad_of(p, g):  # ∂L/∂w₊ = D w₊^{D−1} g, ∂L/∂w₋ = −D w₋^{D−1} g
            return np.stack([depth * p[0] ** (depth - 1) * g, -depth * p[1] ** (depth - 1) * g])
    elif parametrization == "uv":
        a, b = (np.sqrt(2.0), 0.0) if init_shape is None else init_shape
        params = np.stack([alpha * np.asarray(a, float) * np.ones(d), alpha * np.asarray(b, float) * np.ones(d)])

        def beta_of(p):
            return p[0] * p[1]

        def grad_of(p, g):  # ∂L/∂u = v g, ∂L/∂v = u g
            return np.stack([p[1] * g, p[0] * g])
    else:
        raise ValueError(f"unknown parametrization {parametrization!r}")

    if batch_size is not None:
        positions = np.arange(n_iter * batch_size)
        idx = sample_indices(seed, n, positions, shuffle).reshape(n_iter, batch_size)
        eps = (label_noise * standard_normal(seed, positions) if label_noise > 0
               else np.zeros(positions.shape[0])).reshape(n_iter, batch_size)
    vel = np.zeros_like(params)
    out = np.empty((n_iter + 1, d))
    out[0] = beta_of(params)
    for k in range(n_iter):
        eta = step_size / (1.0 + step_decay * k)
        point = params + momentum * vel if nesterov else params
        beta = beta_of(point)
        if batch_size is None:
            g = gradient(X, y, beta)
        else:
            Xb = X[idx[k]]
            g = Xb.T @ (Xb @ beta - y[idx[k]] - eps[k]) / batch_size
        vel = momentum * vel - eta * grad_of(point, g)
        params = params + vel
        out[k + 1] = beta_of(params)
    return out
