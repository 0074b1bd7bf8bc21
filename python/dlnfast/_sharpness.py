"""Sharpness: the top eigenvalue of the Hessian of the training objective with respect to the
factors, by Lanczos iteration on exact Hessian-vector products (no dense Hessian).

For β = β(θ) with θ the K factors per coordinate (K × d), A = X_cᵀWX_c (W the sample weights,
summing to 1; X_c centred when there is an intercept), g = ∇L(β) and λ the weight decay, the
Hessian of F(θ) = L(β(θ)) + (λ/2)‖θ‖² is (:ref:`ug-training-sharpness`)

    H = JᵀAJ + Σ_j g_j ∇²_θ β_j + λI,     J = [diag(∂β/∂θ_1), …, diag(∂β/∂θ_K)],

so H·v costs one product A·(Jv) = X_cᵀ(W(X_c(Jv))): two passes over X (X @ u, then X.T @ r),
plus O(K²d) for the per-coordinate second derivatives ∇²_θ β_j (K × K, e.g. [[0, 1], [1, 0]] for
u⊙v, diag(D(D−1)w₊^{D−2}, −D(D−1)w₋^{D−2}) for w₊^D − w₋^D). Edge of stability: GD with step η
self-stabilises with sharpness ≈ 2/η (Cohen et al. 2021; Even et al. 2023).
"""
from numbers import Integral, Real

import numpy as np
from scipy.linalg import eigh_tridiagonal
from sklearn.utils._param_validation import Interval, validate_params

from dlnfast._validation import MAX_COUNT, check_dense_X_y, check_real

__all__ = ["sharpness"]


def _jacobian_and_second(name, theta, depth):
    """(J, B) with J[k] = ∂β/∂θ_k (K × d) and B[k, l] = ∂²β/∂θ_k∂θ_l (K × K × d)."""
    K, d = theta.shape
    B = np.zeros((K, K, d))
    if name == "linear":
        return np.ones_like(theta), B
    if name == "pm":
        a, b = theta
        B[0, 0] = depth * (depth - 1) * a ** (depth - 2)
        B[1, 1] = -depth * (depth - 1) * b ** (depth - 2)
        return np.stack([depth * a ** (depth - 1), -depth * b ** (depth - 1)]), B
    if name == "uv":
        B[0, 1] = B[1, 0] = 1.0
        return theta[::-1].copy(), B
    if name == "positive":
        B[0, 0] = 2.0
        return 2.0 * theta, B
    if name == "shape":  # β = u₊v₊ − u₋v₋, θ = (u₊, v₊, u₋, v₋)
        B[0, 1] = B[1, 0] = 1.0
        B[2, 3] = B[3, 2] = -1.0
        up, vp, un, vn = theta
        return np.stack([vp, up, -vn, -un]), B
    if name == "product":
        J = np.empty_like(theta)
        for k in range(K):
            J[k] = np.prod(np.delete(theta, k, axis=0), axis=0)
            for m in range(k + 1, K):
                B[k, m] = B[m, k] = np.prod(np.delete(theta, [k, m], axis=0), axis=0)
        return J, B
    raise ValueError(f"unknown parametrization {name!r}")


def _beta(name, theta, depth):
    if name == "linear":
        return theta[0]
    if name == "pm":
        return theta[0] ** depth - theta[1] ** depth
    if name == "uv":
        return theta[0] * theta[1]
    if name == "positive":
        return theta[0] ** 2
    if name == "shape":
        return theta[0] * theta[1] - theta[2] * theta[3]
    return np.prod(theta, axis=0)


class _Data:
    """X (used in place) with implicit centring and weights: the operators X_c and X_cᵀW."""

    def __init__(self, X, y_centred, weights, x_mean):
        self.X, self.y = X, y_centred
        n = X.shape[0]
        self.w = np.full(n, 1.0 / n) if weights is None else weights
        self.x_mean = x_mean

    def xc(self, u):
        out = self.X @ u
        return out - self.x_mean @ u if self.x_mean is not None else out

    def xct_w(self, r):
        wr = self.w * r
        out = self.X.T @ wr
        return out - self.x_mean * wr.sum() if self.x_mean is not None else out


def _top_eigenvalue(matvec, dim, tol, max_iter):
    """Largest eigenvalue of a symmetric operator: Lanczos with full reorthogonalisation from a
    fixed start vector; stops when the Ritz residual |b_m·s_m| ≤ tol·|θ| (θ the top Ritz value)."""
    rng = np.random.default_rng(0)
    q = rng.standard_normal(dim)
    q /= np.linalg.norm(q)
    Q, alpha, beta = [q], [], []
    theta = 0.0
    for m in range(min(dim, max_iter)):
        w = matvec(Q[-1])
        alpha.append(float(Q[-1] @ w))
        Qm = np.array(Q)
        w = w - Qm.T @ (Qm @ w)
        w = w - Qm.T @ (Qm @ w)  # twice is enough (Kahan–Parlett)
        b = float(np.linalg.norm(w))
        vals, vecs = eigh_tridiagonal(np.array(alpha), np.array(beta)) if m else (np.array(alpha), np.ones((1, 1)))
        theta = float(vals[-1])
        scale = max(abs(theta), float(np.max(np.abs(vals))), np.finfo(float).tiny)
        if b * abs(vecs[-1, -1]) <= tol * scale or b <= np.finfo(float).eps * scale:
            return theta
        beta.append(b)
        Q.append(w / b)
    return theta


def _sharpness(data, name, theta, depth, weight_decay, tol, max_iter):
    theta = np.asarray(theta, dtype=np.float64)
    K, d = theta.shape
    J, B = _jacobian_and_second(name, theta, depth)
    g = data.xct_w(data.xc(_beta(name, theta, depth)) - data.y)
    gB = B * g  # K × K × d

    def matvec(v):
        v = v.reshape(K, d)
        Av = data.xct_w(data.xc(np.sum(J * v, axis=0)))  # A·(Jv): two passes over X
        out = J * Av + np.einsum("kld,ld->kd", gB, v) + weight_decay * v
        return out.ravel()

    return _top_eigenvalue(matvec, K * d, tol, max_iter)


def sharpness_path(problem, name, depth, factor_rows, weight_decay=0.0, tol=1e-10, max_iter=500):
    """Sharpness at each factor state in ``factor_rows`` (each K × d) on an engine ``Problem``."""
    data = _Data(problem.X, problem.y_centred, problem.weights, problem.x_mean)
    return np.array([_sharpness(data, name, th, depth, weight_decay, tol, max_iter) for th in factor_rows])


@validate_params(
    {"X": ["array-like", "sparse matrix"], "y": ["array-like"],
     "weight_decay": [Interval(Real, 0, None, closed="left")], "fit_intercept": ["boolean"],
     "tol": [Interval(Real, 0, 1, closed="left")], "max_iter": [Interval(Integral, 1, MAX_COUNT, closed="both")]},
    prefer_skip_nested_validation=True,
)
def sharpness(X, y, factors, *, parametrization="pm", depth=2, weight_decay=0.0, fit_intercept=False,
              sample_weight=None, tol=1e-10, max_iter=500):
    """Top eigenvalue of the Hessian of the training objective with respect to the factors.

    The objective is F(θ) = L(β(θ)) + (λ/2)‖θ‖², L = Σ_i w_i (x_iᵀβ − y_i)²/2 (w_i = 1/n without
    ``sample_weight``; X and y centred when ``fit_intercept``), λ = ``weight_decay``. Computed by
    Lanczos iteration on exact Hessian-vector products, each two passes over X; the dense
    Hessian is never formed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    factors : sequence of K arrays of shape (n_features,)
        The factors, as in ``DiagonalLinearRegressor.weights_``: (w₊, w₋) for ``pm``, (u, v) for
        ``uv``, (u₊, v₊, u₋, v₋) for ``shape``, (u,) for ``positive``, (β,) for ``linear``,
        (u¹, …, u^L) for ``product``.
    parametrization : {"pm", "uv", "shape", "positive", "linear", "product"}, default="pm"
    depth : int, default=2
        D of ``pm`` (β = w₊^D − w₋^D); ignored otherwise (``product``: the number of factors).
    weight_decay : float, default=0.0
    fit_intercept : bool, default=False
    sample_weight : array-like of shape (n_samples,), default=None
    tol : float, default=1e-10
        Relative accuracy of the eigenvalue (Lanczos residual bound).
    max_iter : int, default=500
        Lanczos steps (each one Hessian-vector product).

    Returns
    -------
    float
        λ_max(∇²F(θ)). GD with step η is locally stable only while it is below 2/η.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import sharpness
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]]); y = np.array([1.0, 0.0])
    >>> round(sharpness(X, y, (np.zeros(2),), parametrization="linear"), 12)  # λ_max(XᵀX/n) = 4/2
    2.0
    """
    X, y = check_dense_X_y(X, y)
    expected = {"pm": 2, "uv": 2, "shape": 4, "positive": 1, "linear": 1}
    check_real(factors, "factors")
    try:
        theta = np.array([np.asarray(f, dtype=np.float64) for f in factors])
    except (TypeError, ValueError):
        raise TypeError("`factors` must be a sequence of arrays of shape (n_features,)") from None
    if not isinstance(parametrization, str) or (parametrization not in expected and parametrization != "product"):
        raise ValueError(f"`parametrization` must be one of 'pm', 'uv', 'shape', 'positive', 'linear', "
                         f"'product'; got {parametrization!r}")
    K = expected.get(parametrization, theta.shape[0] if theta.ndim == 2 else -1)
    if theta.ndim != 2 or theta.shape != (K, X.shape[1]) or (parametrization == "product" and K < 1):
        raise ValueError(f"`factors` for parametrization={parametrization!r} must be {K if K > 0 else 'L'} "
                         f"arrays of shape ({X.shape[1]},); got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("`factors` must be finite")
    if not (isinstance(weight_decay, (int, float, np.floating, np.integer)) and 0 <= weight_decay < np.inf):
        raise ValueError(f"`weight_decay` must be a finite real number >= 0; got {weight_decay!r}")
    if not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"`depth` must be an integer >= 2; got {depth!r}")
    w = None
    if sample_weight is not None:
        check_real(sample_weight, "sample_weight")
        try:
            w = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("`sample_weight` must be an array of non-negative floats") from None
        if w.shape != (X.shape[0],) or np.any(w < 0) or not np.any(w > 0) or not np.all(np.isfinite(w)):
            raise ValueError("`sample_weight` must be non-negative, finite, of shape (n_samples,), not all 0")
        w = w / w.sum()
    x_mean, yc = None, y
    if fit_intercept:
        ww = np.full(X.shape[0], 1.0 / X.shape[0]) if w is None else w
        x_mean = ww @ X
        yc = y - ww @ y
    data = _Data(X, yc, w, x_mean)
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            value = _sharpness(data, parametrization, theta, int(depth), float(weight_decay), float(tol),
                               int(max_iter))
        except ValueError:  # eigh_tridiagonal on an overflowed (inf/NaN) tridiagonal matrix
            value = np.nan
    if not np.isfinite(value):
        raise ValueError("the Hessian overflows the float range at these `factors`, `X` and `y`: "
                         "rescale X and y (or the factors)")
    return value
