"""Plain numpy oracle for training on explicit factors: GD, momentum and the adaptive methods,
with weight decay, for every parametrisation (test oracle; never used by the package).

It mirrors :func:`dlnfast._core.factor_gd` / ``factor_sgd`` (adaptive methods, the linear model)
and, for GD/momentum with weight decay, :func:`dlnfast._core.gd` / ``sgd``, but shares no code
with them: the factors are the user's own (u, v), (w₊, w₋), u or θ, the Jacobian of β is written
out per parametrisation, and the updates are the textbook ones (:ref:`ug-training-adaptive`):

    G = ∂β/∂θ ⊙ g + λθ                               (g = ∇L(β), λ = weight_decay)
    gd        θ ← θ − ηG
    momentum  v ← μv − ηG(θ [+ μv for Nesterov]),  θ ← θ + v
    adam      m ← β₁m + (1−β₁)G, s ← β₂s + (1−β₂)G², θ ← θ − η (m/(1−β₁ᵗ)) / (√(s/(1−β₂ᵗ)) + ε)
    adagrad   s ← s + G²,            θ ← θ − ηG/(√s + ε)
    rmsprop   s ← β₂s + (1−β₂)G²,    θ ← θ − ηG/(√s + ε)
    adagrad_norm  b ← b + ‖G‖²,      θ ← θ − ηG/(√b + ε)
"""
import numpy as np


def beta_and_jacobian(parametrization, theta, depth=2):
    """(β, J) with J[k] = ∂β/∂θ[k] (same shape as θ: K × d)."""
    if parametrization == "linear":
        return theta[0].copy(), np.ones_like(theta)
    if parametrization == "pm":
        a, b = theta
        return a**depth - b**depth, np.stack([depth * a ** (depth - 1), -depth * b ** (depth - 1)])
    if parametrization == "uv":
        u, v = theta
        return u * v, np.stack([v, u])
    if parametrization == "positive":
        return theta[0] ** 2, 2.0 * theta
    if parametrization == "product":
        beta = np.prod(theta, axis=0)
        jac = np.stack([np.prod(np.delete(theta, k, axis=0), axis=0) for k in range(theta.shape[0])])
        return beta, jac
    raise ValueError(f"unknown parametrization {parametrization!r}")


def factor_reference(X, y, theta0, *, parametrization, step_size, n_iter, optimizer="gd", depth=2,
                     weight_decay=0.0, momentum=0.0, nesterov=False, beta_1=0.9, beta_2=0.999,
                     epsilon=1e-8, batch_size=None, seed=0, shuffle=False, fit_intercept=False,
                     return_factors=False):
    """Run ``n_iter`` fixed-step updates from the factors ``theta0`` (K × d); return the β
    iterates, shape (n_iter + 1, d) (and the factor iterates, (n_iter + 1, K, d), when
    ``return_factors``). ``batch_size=None`` is the full batch; otherwise the sample stream of
    :mod:`dlnfast._sampling` (as ``_reference.sgd_reference``)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if fit_intercept:
        X, y = X - X.mean(axis=0), y - y.mean()
    n, d = X.shape
    theta = np.array(theta0, dtype=np.float64, ndmin=2)
    if batch_size is not None:
        from dlnfast._sampling import sample_indices

        idx = sample_indices(seed, n, np.arange(n_iter * batch_size), shuffle).reshape(n_iter, batch_size)
    vel, m, s = (np.zeros_like(theta) for _ in range(3))
    b = 0.0
    betas = np.empty((n_iter + 1, d))
    factors = np.empty((n_iter + 1,) + theta.shape)
    betas[0], _ = beta_and_jacobian(parametrization, theta, depth)
    factors[0] = theta
    for k in range(n_iter):
        point = theta + momentum * vel if (optimizer == "momentum" and nesterov) else theta
        beta, jac = beta_and_jacobian(parametrization, point, depth)
        if batch_size is None:
            g = X.T @ (X @ beta - y) / n
        else:
            Xb = X[idx[k]]
            g = Xb.T @ (Xb @ beta - y[idx[k]]) / batch_size
        G = jac * g + weight_decay * point
        t = k + 1
        if optimizer == "gd":
            theta = theta - step_size * G
        elif optimizer == "momentum":
            vel = momentum * vel - step_size * G
            theta = theta + vel
        elif optimizer == "adam":
            m = beta_1 * m + (1 - beta_1) * G
            s = beta_2 * s + (1 - beta_2) * G**2
            theta = theta - step_size * (m / (1 - beta_1**t)) / (np.sqrt(s / (1 - beta_2**t)) + epsilon)
        elif optimizer == "adagrad":
            s = s + G**2
            theta = theta - step_size * G / (np.sqrt(s) + epsilon)
        elif optimizer == "rmsprop":
            s = beta_2 * s + (1 - beta_2) * G**2
            theta = theta - step_size * G / (np.sqrt(s) + epsilon)
        elif optimizer == "adagrad_norm":
            b = b + np.sum(G**2)
            theta = theta - step_size * G / (np.sqrt(b) + epsilon)
        else:
            raise ValueError(f"unknown optimizer {optimizer!r}")
        betas[k + 1], _ = beta_and_jacobian(parametrization, theta, depth)
        factors[k + 1] = theta
    return (betas, factors) if return_factors else betas
