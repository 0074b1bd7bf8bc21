"""Reduction of a general LP (scipy.optimize.linprog's form) to the standard form of :ref:`ug-lp`.

General form::

    min  cᵀx + c0   s.t.  A_ub x ≤ b_ub,  A_eq x = b_eq,  l ≤ x ≤ u

Standard form (what the DLN dynamics and the entropic Newton solver see)::

    min  ĉᵀy   s.t.  Â y = b̂,  y ≥ 0

with x = shift + T·D_c·y (T has one ±1 per column), Â = D_r·A_std·D_c, b̂ = D_r·b_std / β,
ĉ = D_c·c_std / γ (Ruiz equilibration D_r, D_c and the scalars β, γ make the entries of Â,
b̂ and ĉ of order one, so that one λ schedule fits every instance).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from dlnfast._validation import check_real


@dataclass
class StandardForm:
    """A standard-form LP and the map back to the user's variables."""

    A: sp.csr_matrix          # Â (scaled)
    b: np.ndarray             # b̂ (scaled)
    c: np.ndarray             # ĉ (scaled)
    n_orig: int
    T: sp.csr_matrix          # x = shift + T @ (col_scale * y * b_scale)
    shift: np.ndarray
    col_scale: np.ndarray     # D_c
    row_scale: np.ndarray     # D_r
    b_scale: float            # β
    c_scale: float            # γ
    obj_const: float          # cᵀshift + c0
    status: int = 0           # 2 / 3 when the reduction alone proves infeasible / unbounded
    message: str = ""
    dropped: dict = field(default_factory=dict)
    # rows of [A_eq; A_ub; box rows] kept in Â (empty ones dropped), and how many of each kind
    kept_rows: np.ndarray = None
    n_eq: int = 0
    n_ub: int = 0

    def to_original(self, y):
        """x = shift + T (D_c y β); ±inf, without a warning, where a diverged y (EG with a
        fixed step) leaves the float range in the user's units (b ~ 1e299): the check of the
        point then says so."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.shift + self.T @ (self.col_scale * y * self.b_scale)

    def objective(self, y):
        """Objective of the original problem at the point mapped from y."""
        return float(self.c @ y) * self.c_scale * self.b_scale + self.obj_const


def _float_array(v, name):
    """np.asarray(v, float64), with scipy's TypeError (naming the parameter) for non-numbers;
    complex input refused by name (it would be cast with only a ComplexWarning)."""
    check_real(v, name)
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric (array_like of floats), got {v!r}: {exc}") from None


def _as_matrix(A, n, name):
    if A is None:
        return sp.csr_matrix((0, n))
    if sp.issparse(A):
        check_real(A.dtype.type(0), name)  # a complex sparse matrix would be cast with a warning
        M = sp.csr_matrix(A, dtype=np.float64)
    else:
        M = _float_array(A, name)
        if M.ndim == 1 and M.size == n:
            M = M.reshape(1, n)
        if M.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array or sparse matrix, got ndim={M.ndim}")
        M = sp.csr_matrix(M)
    if M.shape[1] != n:
        raise ValueError(f"{name} must have len(c) = {n} columns, got shape {M.shape}")
    if not np.all(np.isfinite(M.data)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    with np.errstate(over="ignore"):
        row_l1 = np.asarray(abs(M).sum(axis=1)).ravel()
    if not np.all(np.isfinite(row_l1)):  # 1e308 twice in a row: every row check overflowed
        i = int(np.argmax(~np.isfinite(row_l1)))
        raise ValueError(f"{name} is beyond the float64 range: row {i} has Σ_j |a_ij| > 1.8e308; "
                         "rescale that row and its right-hand side")
    return M


def _as_vector(v, m, name):
    if v is None:
        if m:
            raise ValueError(f"{name} is required when its matrix has {m} rows")
        return np.zeros(0)
    v = np.atleast_1d(_float_array(v, name)).ravel()
    if v.size != m:
        raise ValueError(f"{name} must have {m} entries (the rows of its matrix), got {v.size}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return v


def parse_bounds(bounds, n):
    """scipy's bounds (a pair for all, or n pairs; None = unbounded) -> (lower, upper) arrays."""
    if bounds is None:
        return np.zeros(n), np.full(n, np.inf)
    try:
        arr = np.array(bounds, dtype=object)
    except Exception as exc:  # pragma: no cover - numpy accepts nearly anything
        raise ValueError(f"bounds could not be read: {exc}") from None
    if arr.ndim == 1 and arr.size == 2:
        arr = np.tile(arr.reshape(1, 2), (n, 1))
    if arr.ndim != 2 or arr.shape != (n, 2):
        raise ValueError(f"bounds must be a (min, max) pair or {n} such pairs, got shape {arr.shape}")
    try:
        lo = np.array([-np.inf if v is None else float(v) for v in arr[:, 0]])
        hi = np.array([np.inf if v is None else float(v) for v in arr[:, 1]])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bounds must hold real numbers or None; got {bounds!r} ({exc})") from None
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise ValueError("bounds must not contain NaN")
    # a lower bound of +inf or an upper bound of −inf leaves x_j no value: infeasible (status 2,
    # as scipy's HiGHS methods), decided in presolve
    return lo, hi


def validate(c, A_ub, b_ub, A_eq, b_eq, bounds):
    c = np.atleast_1d(_float_array(c, "c"))
    if c.ndim != 1:
        raise ValueError(f"c must be 1-D, got shape {c.shape}")
    if c.size == 0:
        raise ValueError("c is empty: the problem has no variables")
    if not np.all(np.isfinite(c)):
        raise ValueError("c must contain only finite values (found NaN or inf)")
    n = c.size
    A_ub = _as_matrix(A_ub, n, "A_ub")
    A_eq = _as_matrix(A_eq, n, "A_eq")
    b_ub = _as_vector(b_ub, A_ub.shape[0], "b_ub")
    b_eq = _as_vector(b_eq, A_eq.shape[0], "b_eq")
    lo, hi = parse_bounds(bounds, n)
    return c, A_ub, b_ub, A_eq, b_eq, lo, hi


def _ruiz(A, n_iter=20):
    """Ruiz equilibration: D_r, D_c with every row and column of D_r A D_c of ∞-norm ≈ 1.

    Works on the CSR arrays directly (row and column maxima by ``np.maximum.reduceat`` over
    the entries in row and in column order): scipy's abs/max/diags products cost ~1 ms per
    sweep in overhead, 25 ms of a 0.2 s netlib solve (scagr7). Same products in the same order
    as ``diag(1/r) M diag(1/c)``, so the scaled matrix is the same to the bit.
    """
    m, n = A.shape
    dr, dc = np.ones(m), np.ones(n)
    M = sp.csr_matrix(A, copy=True)
    M.sum_duplicates()
    val = M.data.astype(np.float64, copy=True)
    rows = np.repeat(np.arange(m), np.diff(M.indptr))
    cols = M.indices
    by_col = np.argsort(cols, kind="stable")
    cstart = np.searchsorted(cols[by_col], np.arange(n))
    rnon = np.diff(M.indptr) > 0
    cnon = np.bincount(cols, minlength=n) > 0

    def seg_max(v, starts, nonempty, size):
        out = np.zeros(size)
        if v.size:
            out[nonempty] = np.maximum.reduceat(v, starts[nonempty])
        return out

    for _ in range(n_iter):
        av = np.abs(val)
        rmax = np.sqrt(seg_max(av, M.indptr[:-1], rnon, m))
        cmax = np.sqrt(seg_max(av[by_col], cstart, cnon, n))
        rmax[rmax == 0] = 1.0
        cmax[cmax == 0] = 1.0
        dr /= rmax
        dc /= cmax
        val = val * (1.0 / rmax)[rows]
        val = val * (1.0 / cmax)[cols]
        if max(abs(rmax - 1).max(initial=0), abs(cmax - 1).max(initial=0)) < 1e-3:
            break
    M.data = val
    return M, dr, dc


#: largest growth of the cost's spread (max|ĉ_j| / min nonzero |ĉ_j|) that the column scaling
#: may cause before the cost is equilibrated with A (costs below tol·max|ĉ| are noise to the solver)
_COST_SPREAD = 1e8


def _spread(v):
    """max|v_j| / min nonzero |v_j| (1 for a zero v)."""
    a = np.abs(v)
    a = a[a > 0]
    return float(a.max() / a.min()) if a.size else 1.0


def _unit_scale(v):
    """max |v_i|, or 1 for a zero (or empty) v."""
    vmax = float(np.abs(v).max(initial=0.0))
    return vmax if vmax > 0.0 and np.isfinite(vmax) else 1.0


def to_standard_form(c, A_ub, b_ub, A_eq, b_eq, lo, hi, c0=0.0, scale=True):
    """Build the standard form; detects the infeasibility/unboundedness visible without solving.

    ``scale``: True (Ruiz equilibration of rows and columns, then β, γ), "rows" (rows
    equilibrated, columns left alone, then β, γ: the entropy keeps the user's units, see
    :func:`dlnfast.linprog`'s ``init_scale``) or False (nothing).
    """
    # (Over 80 lines on purpose: one pass of textbook transformations — bounds, fixed, free and
    # boxed columns, slacks, scaling — whose index bookkeeping is shared; split, each piece would
    # take and return the same half-dozen arrays.)
    n = c.size
    status, message = 0, ""
    if np.any(lo > hi):
        j = int(np.flatnonzero(lo > hi)[0])
        status, message = 2, f"The problem is infeasible: bounds of x[{j}] have lower > upper."
    cols, signs, shift = [], [], np.zeros(n)
    box_rows = []  # (new column index of y, width u − l)
    fixed = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
    for j in range(n):
        l, u = lo[j], hi[j]
        if fixed[j]:
            shift[j] = l
        elif np.isfinite(l):
            shift[j] = l
            cols.append(j), signs.append(1.0)
            if np.isfinite(u):
                box_rows.append((len(cols) - 1, u - l))
        elif np.isfinite(u):
            shift[j] = u
            cols.append(j), signs.append(-1.0)
        else:
            cols.append(j), signs.append(1.0)
            cols.append(j), signs.append(-1.0)
    N = len(cols)
    T = sp.csr_matrix((signs, (cols, np.arange(N))), shape=(n, N))
    AeqT = (A_eq @ T).tocsr()
    AubT = (A_ub @ T).tocsr()
    beq = b_eq - A_eq @ shift
    bub = b_ub - A_ub @ shift
    p = AubT.shape[0]
    nb = len(box_rows)
    n_slack = p + nb
    # [AeqT   0   0 ]   [y]     [beq]
    # [AubT   I   0 ] · [s]  =  [bub]
    # [E_box  0   I ]   [w]     [u−l]
    Ebox = sp.csr_matrix((np.ones(nb), (np.arange(nb), [k for k, _ in box_rows])), shape=(nb, N))
    A = sp.bmat([[AeqT, sp.csr_matrix((AeqT.shape[0], n_slack))],
                 [AubT, sp.eye(p, n_slack, format="csr")],
                 [Ebox, sp.csr_matrix(sp.eye(nb, n_slack, k=p))]], format="csr")
    A.sum_duplicates()
    A.eliminate_zeros()
    b = np.concatenate([beq, bub, np.array([w for _, w in box_rows])])
    c_std = np.concatenate([T.T @ c, np.zeros(n_slack)])
    T_full = sp.hstack([T, sp.csr_matrix((n, n_slack))], format="csr")
    obj_const = float(c @ shift) + float(c0)

    # Empty rows: 0 = b_i must hold; drop them.
    row_nnz = np.diff(A.indptr)
    empty = row_nnz == 0
    # relative to each row's own scale |b_i| + Σ_j |a_ij shift_j| (b_i − aᵢᵀshift rounds at that
    # scale), not to 1 + ‖b‖: with A, b in units of 1e-20 a nonzero b_i of an empty row is as
    # infeasible as in units of 1
    row_ref = np.concatenate([np.abs(b_eq) + abs(A_eq) @ np.abs(shift),
                              np.abs(b_ub) + abs(A_ub) @ np.abs(shift),
                              np.abs(b[beq.size + bub.size:])])
    if status == 0 and np.any(np.abs(b[empty]) > 1e-9 * row_ref[empty]):
        status, message = 2, "The problem is infeasible: a constraint with no variables has a nonzero right-hand side."
    keep_rows = ~empty
    # Empty columns: y_j ≥ 0 appears in no constraint; y_j = 0 if c_j ≥ 0, unbounded if c_j < 0.
    col_nnz = np.diff(A.tocsc().indptr)
    empty_cols = col_nnz == 0
    unbounded_col = empty_cols & (c_std < 0)
    keep_cols = ~empty_cols
    A = A[keep_rows][:, keep_cols].tocsr()
    b = b[keep_rows]
    c_std_k = c_std[keep_cols]
    T_k = T_full[:, keep_cols]

    if scale == "rows" and A.shape[0] and A.nnz:
        # rows only (D_c = 1): y keeps the user's units up to the scalar β, so the entropy
        # Σ y log y of the user's standard form is the scaled one's plus a linear term
        # (linprog's init_scale shifts ĉ by λ̂·log β to cancel it)
        rmax = abs(A).max(axis=1).toarray().ravel()
        dr = 1.0 / np.where(rmax > 0, rmax, 1.0)
        dc = np.ones(A.shape[1])
        A = (sp.diags(dr) @ A).tocsr()
        b = dr * b
    elif scale and A.shape[0] and A.nnz:
        A_user = A
        A, dr, dc = _ruiz(A)
        if _spread(dc * c_std_k) > _COST_SPREAD * max(_spread(c_std_k), 1.0):
            # the column scaling alone made some costs negligible next to others (basis
            # pursuit with a column of entries 1e-200: D_c = 1e200 on it, every other scaled
            # cost ~1e-200 of the largest, and any feasible point passed as optimal, ‖β‖₁ =
            # 0.84 for 0.20): equilibrate [A; cᵀ] together, the cost as one more row
            m_rows = A_user.shape[0]
            _, dr_full, dc = _ruiz(sp.vstack([A_user, sp.csr_matrix(c_std_k.reshape(1, -1))]).tocsr())
            dr = dr_full[:m_rows]
            A = (sp.diags(dr) @ A_user @ sp.diags(dc)).tocsr()
        b = dr * b
        c_std_k = dc * c_std_k
    else:
        dr, dc = np.ones(A.shape[0]), np.ones(A.shape[1])
    # β, γ relative to the data, with no floor at 1: b̂ and ĉ of ∞-norm one whatever the units
    # (a floor at 1 left b̂ ~ 1e-150 for A, b scaled by 1e-300, below every absolute tolerance)
    beta = _unit_scale(b) if scale else 1.0
    gamma = _unit_scale(c_std_k) if scale else 1.0
    sf = StandardForm(A=A, b=b / beta, c=c_std_k / gamma, n_orig=n, T=T_k, shift=shift,
                      col_scale=dc, row_scale=dr, b_scale=beta, c_scale=gamma,
                      obj_const=obj_const, status=status, message=message)
    sf.dropped = {"unbounded_column": bool(np.any(unbounded_col))}
    sf.kept_rows, sf.n_eq, sf.n_ub = keep_rows, beq.size, bub.size
    return sf
