"""Basis pursuit (minimum-ℓ1 interpolation) as an LP solved by DLN dynamics."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dlnfast._validation import as_real_array, check_real
from dlnfast.lp._linprog import _MESSAGES, linprog


def basis_pursuit(X, y, *, method="newton", reg=None, tol=1e-8, **kwargs):
    r"""Minimum-ℓ1 interpolator: ``min ‖β‖₁ subject to Xβ = y``.

    Solved as the standard-form LP ``min 1ᵀ(p + q) s.t. [X, −X](p; q) = y, p, q ≥ 0`` with
    β = p − q, by :func:`dlnfast.linprog`. With ``method="dln"`` this is gradient descent on
    ``p = u⊙u, q = v⊙v`` from ``u₀ = v₀ = exp(−1/(2λ))``: the DLN of :ref:`ug-parametrizations` (``pm`` with
    ``α = exp(−1/(2λ))``), whose small-initialisation limit is exactly basis pursuit.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
    method, reg, tol, **kwargs
        Passed to :func:`dlnfast.linprog`.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        As :func:`dlnfast.linprog`, with ``x`` = β (n_features,) and ``fun`` = ‖β‖₁. Status 0
        only for a β with ``|Xβ − y|_i ≤ max(1e-6, 1e3·tol)·(|y_i| + Σ_j |x_ij β_j|)`` in every
        row (above rounding noise): linprog checks the split point (p, q), whose row scale
        counts ``|x_ij|(p_j + q_j)`` and so accepts any error that p − q cancels; otherwise
        status 4.

    References
    ----------
    Y. Wang, R. Ghosal, R. Mazumder, arXiv:2310.02535 (2023); S. S. Chen, D. L. Donoho,
    M. A. Saunders, "Atomic decomposition by basis pursuit" (1998).

    Examples
    --------
    >>> import numpy as np, dlnfast
    >>> X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
    >>> res = dlnfast.basis_pursuit(X, X @ np.array([0.0, 1.0, 0.0]))
    >>> np.round(res.x, 6).tolist()
    [0.0, 1.0, 0.0]
    """
    if sp.issparse(X):
        check_real(X.dtype.type(0), "X")
        X = sp.csr_matrix(X, dtype=np.float64)
    else:
        X = as_real_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got shape {X.shape}")
    y = as_real_array(y, "y")
    if y.ndim != 1 or y.size != X.shape[0]:
        raise ValueError(f"y must be 1-D with X.shape[0] = {X.shape[0]} entries, got shape {y.shape}")
    d = X.shape[1]
    A = sp.hstack([X, -X], format="csr") if sp.issparse(X) else np.hstack([X, -X])
    res = linprog(np.ones(2 * d), A_eq=A, b_eq=y, bounds=(0, None), method=method, reg=reg,
                  tol=tol, **kwargs)
    res.x = res.x[:d] - res.x[d:]
    if res.status == 0:
        bad = _check_interpolates(X, y, res.x, tol)
        if bad:
            res.status, res.success = 4, False
            res.message = f"{_MESSAGES[4]} The point found fails the check Xβ = y: {bad}."
    return res


def _check_interpolates(X, y, beta, tol):
    """'' if Xβ = y row by row to max(1e-6, 1e3·tol) of the row's scale |y_i| + Σ_j |x_ij β_j|,
    above a rounding floor eps·(the largest row scale), else which row fails.

    One entry 1e200 in X with y = X[:, 0] was solved with status 0 and ‖Xβ − y‖/‖y‖ = 10: the
    standard form's unit for that column is 3e-101, so p_j = q_j = 3e-101 cancel in β and give
    the split row a scale of 6e99, against which any error passes linprog's check."""
    rtol = max(1e-6, 1e3 * tol)
    with np.errstate(over="ignore", invalid="ignore"):
        viol = np.abs(X @ beta - y)
        scale = np.abs(y) + abs(X) @ np.abs(beta)
        noise = 1e3 * np.finfo(float).eps * float(np.max(scale, initial=0.0))
        worst = viol - rtol * scale - noise
    if not np.all(np.isfinite(worst)):
        return "Xβ is beyond the float range"
    if np.any(worst > 0):
        i = int(np.argmax(worst))
        return f"row {i} is off by {viol[i]:.3e} (row scale {scale[i]:.3e})"
    return ""
