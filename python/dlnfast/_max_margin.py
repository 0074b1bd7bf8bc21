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


def max_margin_kkt(X, y, coef, depth):
    r"""How far a direction is from the KKT conditions of the ℓ_{2/D} max-margin problem (D ≥ 3).

    Gradient flow on a depth-D diagonal network with a margin loss converges in direction to a
    KKT point of

    .. math::

        \min_b f(b) = \sum_j |b_j|^q \quad\text{s.t.}\quad y_i\langle x_i, b\rangle \ge 1,
        \qquad q = 2/D

    (Yun, Krishnan & Mobahi 2021; non-convex for D ≥ 3, so a KKT point is all one can ask for;
    for D = 1, 2 the problem is convex: compare with :func:`max_margin` instead). ``coef`` is
    rescaled to b = coef/γ, γ = min_i y_i⟨x_i, coef⟩, so only its direction matters. The
    stationarity condition on the support, :math:`q|b_j|^{q-1}\operatorname{sign}(b_j) =
    \sum_i \mu_i y_i x_{ij}`, is used multiplied by :math:`b_j`:

    .. math::

        q|b_j|^q = b_j (A^\top\mu)_j \ \text{for every } j, \qquad A = (y_i x_i)_i,\ \mu \ge 0,

    which is the same condition where :math:`b_j \ne 0`, holds trivially where :math:`b_j = 0`
    (:math:`|b|^q` is not differentiable there and imposes nothing for q < 1), and is continuous as
    a coordinate goes to 0 (the unscaled form blows up like :math:`|b_j|^{q-1}` on coordinates that
    training is still shrinking). With :math:`u = q|b|^q` (:math:`\sum u = q f(b)`; at a KKT point
    also :math:`\sum\mu_i = q f(b)`) the residual is

    .. math::

        r(b) = \frac{\lVert u - b \odot A^\top\mu\rVert_2}{\lVert u\rVert_2}
             + \frac{\sum_i \mu_i (m_i - 1)}{q f(b)}, \qquad m_i = y_i\langle x_i, b\rangle \ge 1,

    stationarity plus complementary slackness, scale-free, at the μ ≥ 0 minimising the smooth
    surrogate (the first term squared plus twice the second: a convex QP in μ, solved by
    L-BFGS-B with bounds). r = 0 exactly at a KKT point; it bounds Lyu & Li (2020)'s
    (ε, δ)-KKT gap in this normalisation.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), two classes (the larger one is +1)
    coef : array-like of shape (n_features,)
        A direction that separates (X, y) through the origin.
    depth : int ≥ 3
        D (q = 2/D).

    Returns
    -------
    residual : float ≥ 0

    Raises
    ------
    ValueError
        If ``coef`` does not separate the data, or on bad input.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import max_margin_kkt
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1, 0])
    >>> bool(max_margin_kkt(X, y, [1.0, -1.0], depth=3) < 1e-8)   # symmetric: a KKT point
    True
    >>> bool(max_margin_kkt(X, y, [1.0, -2.0], depth=3) > 0.1)
    True
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError("X must be a finite 2-d array")
    s = _labels(y)
    if s.shape[0] != X.shape[0]:
        raise ValueError(f"y has {s.shape[0]} entries but X has {X.shape[0]} rows")
    coef = np.asarray(coef, dtype=np.float64)
    if coef.shape != (X.shape[1],) or not np.all(np.isfinite(coef)):
        raise ValueError(f"coef must be a finite array of shape ({X.shape[1]},); got shape {coef.shape}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 3:
        raise ValueError(f"depth must be an integer >= 3 (for depth 1 or 2 the problem is convex: use "
                         f"max_margin(X, y, 'l2' or 'l1')); got {depth!r}")
    A = s[:, None] * X
    gamma = float(np.min(A @ coef))
    if not gamma > 0:
        raise ValueError("coef does not separate (X, y) through the origin (min_i y_i<x_i, coef> <= 0): "
                         "no max-margin KKT residual")
    b = coef / gamma
    m = A @ b  # margins, min 1
    q = 2.0 / depth
    u = q * np.abs(b) ** q
    qf = float(u.sum())
    nu2 = float(u @ u)
    M = A * b  # rows b ⊙ y_i x_i: (b ⊙ Aᵀμ) = Mᵀμ
    slack = (m - 1.0) / qf

    def surrogate(mu):
        r = u - M.T @ mu
        return (r @ r) / nu2 + 2.0 * slack @ mu, (-2.0 * (M @ r)) / nu2 + 2.0 * slack

    # start from the multipliers of the tight rows (least squares on them, clipped at 0)
    tight = m <= 1.0 + 1e-9
    mu0 = np.zeros(len(m))
    mu0[tight] = np.clip(np.linalg.lstsq(M[tight].T, u, rcond=None)[0], 0, None)
    mu = minimize(surrogate, mu0, jac=True, method="L-BFGS-B", bounds=[(0, None)] * len(m),
                  options={"maxiter": 10_000, "ftol": 1e-16, "gtol": 1e-13}).x
    return float(np.linalg.norm(u - M.T @ mu) / np.sqrt(nu2) + slack @ mu)
