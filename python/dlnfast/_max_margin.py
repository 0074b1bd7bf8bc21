"""Max-margin directions: the references of the classifier's implicit bias (:ref:`ug-classification`)."""
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog, minimize

from dlnfast._validation import as_real_array, check_real


def _labels(y):
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.number) and not np.all(np.isfinite(y)):
        raise ValueError("`y` must not contain NaN or infinite labels")
    try:
        classes = np.unique(y)
    except TypeError as exc:  # mixed label types ("'<' not supported ...")
        raise TypeError(f"`y` must hold labels of one type; {exc}") from None
    if classes.shape[0] != 2:
        raise ValueError(f"y must hold exactly 2 classes; got {classes.shape[0]}")
    return np.where(y == classes[1], 1.0, -1.0)


def max_margin(X, y, norm="l1"):
    """The max-margin direction b/‖b‖ of linearly separable (X, y), without intercept.

    ``norm="l1"``: b = argmin ‖b‖₁ s.t. y_i⟨x_i, b⟩ ≥ 1, an LP solved by HiGHS
    (scipy.optimize.linprog) in the split b = p − q, p, q ≥ 0.
    ``norm="l2"``: the hard-margin SVM without intercept, min ½‖b‖² s.t. y_i⟨x_i, b⟩ ≥ 1,
    through its dual max Σμ − ½‖Σ μ_i y_i x_i‖², μ ≥ 0 (L-BFGS-B with bounds), b = Σ μ_i y_i x_i,
    polished by solving the KKT system on the active set.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), two classes (the larger one is +1)
    norm : {"l1", "l2"}

    Returns
    -------
    direction : ndarray of shape (n_features,), unit norm in ``norm``
        Its margin min_i y_i⟨x_i, direction⟩ is the max-margin value 1/‖b‖.

    Raises
    ------
    ValueError
        If the data are not linearly separable through the origin, or on bad input.
    """
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2'; got {norm!r}")
    X = as_real_array(X, "X")
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError("X must be a finite 2-d array")
    if sp.issparse(y):
        raise TypeError("`y` must be a dense 1-D array; got a sparse matrix")
    check_real(y, "y")
    if np.ndim(y) != 1:
        raise ValueError(f"`y` must be 1-D; got shape {np.shape(y)}")
    s = _labels(y)
    if s.shape[0] != X.shape[0]:
        raise ValueError(f"y has {s.shape[0]} entries but X has {X.shape[0]} rows")
    A = s[:, None] * X  # rows y_i x_i
    n, d = A.shape
    # ℓ1: min 1ᵀ(p + q) s.t. A(p − q) ≥ 1; infeasible ⇔ not separable through 0
    res = linprog(np.ones(2 * d), A_ub=-np.hstack([A, -A]), b_ub=-np.ones(n), bounds=(0, None), method="highs")
    if res.status == 2:
        raise ValueError("The data (X, y) are not linearly separable (through the origin): no max-margin "
                         "direction.")
    if res.status != 0:
        raise ValueError(f"The max-margin LP failed: {res.message}")
    b1 = res.x[:d] - res.x[d:]
    if norm == "l1":
        return b1 / np.abs(b1).sum()
    K = A @ A.T

    def neg_dual(mu):
        v = K @ mu
        return 0.5 * mu @ v - mu.sum(), v - 1.0

    out = minimize(neg_dual, np.zeros(n), jac=True, method="L-BFGS-B", bounds=[(0, None)] * n,
                   options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12})
    mu = out.x
    # polish on the active set S (μ_S > 0): the KKT system K_SS μ_S = 1 exactly, kept if it is
    # dual feasible (μ_S ≥ 0) and primal feasible (all margins ≥ 1 to rounding)
    S = mu > 1e-8 * max(mu.max(initial=0.0), 1e-300)
    if S.any():
        mu_s = np.linalg.lstsq(K[np.ix_(S, S)], np.ones(int(S.sum())), rcond=None)[0]
        b = A[S].T @ mu_s
        if np.all(mu_s >= 0) and np.min(A @ b) >= 1 - 1e-10:
            return b / np.linalg.norm(b)
    b = A.T @ mu
    return b / np.linalg.norm(b)
