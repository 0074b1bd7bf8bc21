"""A small presolve of the general LP, and the postsolve of its dual values.

Three textbook reductions, repeated until nothing changes (what scipy's HiGHS presolve decides
without an iteration, so that ``nit = 0`` there too):

* a row with no free column left: ``0 = b_i − Σ a_ij x_j`` (resp. ``≤``) holds or the LP is
  infeasible; the row goes;
* a singleton row ``a·x_j = r`` fixes ``x_j = r/a``; ``a·x_j ≤ r`` tightens a bound of x_j;
  the row goes (infeasible when the bound leaves [l_j, u_j] empty);
* a column in no remaining row is set to the bound its cost prefers (``clip(0, l, u)`` for a
  zero cost); a column whose cost pulls it to an infinite bound stays (the LP is unbounded if
  the rest is feasible: decided by the solve, or here when nothing else is left).

Fixed columns stay in the problem with ``l_j = u_j`` (the standard form shifts them out), so x
keeps the user's length. Tolerances are relative to each row's own scale
``|b_i| + Σ_j |a_ij x_j|``, never absolute.

Postsolve of the duals (scipy's sign conventions, see :mod:`dlnfast.lp._duals`): a removed row
with no free column has dual 0; an equality singleton that fixed x_j takes x_j's whole reduced
cost ``(c − Aᵀy)_j / a``; an inequality singleton takes ``min((c − Aᵀy)_j / a, 0)``: the
marginal of the bound it set when the cost pushes x_j onto it, else 0. Rows are restored
in the reverse order of their removal, so each reduced cost uses every row removed after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

_RTOL = 1e-9


@dataclass
class Presolved:
    """The reduced LP (same columns; rows ``eq_keep``/``ub_keep`` of the user's) and its record."""

    A_ub: sp.csr_matrix
    b_ub: np.ndarray
    A_eq: sp.csr_matrix
    b_eq: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    ub_keep: np.ndarray
    eq_keep: np.ndarray
    status: int = 0            # 2 / 3 when presolve alone decides
    message: str = ""
    solved: bool = False       # every column fixed and every row removed: x = lo
    removed: list = field(default_factory=list)   # (kind, row, col, coef) in removal order


def _close(u, v):
    return abs(u - v) <= _RTOL * max(abs(u), abs(v))


def presolve(c, A_ub, b_ub, A_eq, b_eq, lo, hi):
    """Apply the reductions above; returns :class:`Presolved` (status 2 for an infeasible LP)."""
    lo, hi = lo.copy(), hi.copy()
    n = c.size
    A = sp.vstack([A_eq, A_ub], format="csr")
    b = np.concatenate([b_eq, b_ub])
    n_eq = b_eq.size
    is_eq = np.arange(b.size) < n_eq
    active = np.ones(b.size, dtype=bool)
    absA = abs(A)
    removed = []

    def infeasible(what):
        return _finish(A_ub, b_ub, A_eq, b_eq, lo, hi, active, n_eq, removed, 2,
                       f"The problem is infeasible: {what} (found in presolve).")

    empty = (lo == np.inf) | (hi == -np.inf)
    if np.any(empty):
        j = int(np.flatnonzero(empty)[0])
        return infeasible(f"x[{j}] has bounds ({lo[j]}, {hi[j]}), which no real number satisfies")
    if np.any(lo > hi):
        return infeasible(f"bounds of x[{int(np.flatnonzero(lo > hi)[0])}] have lower > upper")
    while True:
        changed = False
        fixed = lo == hi
        xfix = np.where(fixed, lo, 0.0)
        free_ind = (~fixed).astype(float)
        count = np.rint(sp.csr_matrix(A != 0, dtype=float) @ free_ind).astype(int)
        rhs = b - A @ xfix
        scale = np.abs(b) + absA @ np.abs(xfix)
        for i in np.flatnonzero(active & (count <= 1)):
            if count[i] == 0:
                bad = abs(rhs[i]) if is_eq[i] else -rhs[i]
                if bad > _RTOL * scale[i]:
                    return infeasible(f"row {i - n_eq if not is_eq[i] else i} of "
                                      f"{'A_eq' if is_eq[i] else 'A_ub'} has no free variable "
                                      f"left and cannot hold")
                active[i] = False
                removed.append(("empty", i, -1, 0.0))
                changed = True
                continue
            row = slice(A.indptr[i], A.indptr[i + 1])
            cols, vals = A.indices[row], A.data[row]
            live = np.flatnonzero((vals != 0) & ~fixed[cols])
            if live.size != 1:  # a column of the row was fixed earlier in this sweep
                changed = True
                continue
            j, a = int(cols[live[0]]), float(vals[live[0]])
            v = rhs[i] / a
            if is_eq[i]:
                if (v < lo[j] and not _close(v, lo[j])) or (v > hi[j] and not _close(v, hi[j])):
                    return infeasible(f"row {i} of A_eq fixes x[{j}] = {v:.6g} outside its bounds")
                lo[j] = hi[j] = min(max(v, lo[j]), hi[j])
                removed.append(("eq", i, j, a))
            else:
                side = "hi" if a > 0 else "lo"
                if side == "hi" and v < hi[j]:
                    hi[j] = v
                    removed.append(("ub_hi", i, j, a))
                elif side == "lo" and v > lo[j]:
                    lo[j] = v
                    removed.append(("ub_lo", i, j, a))
                else:
                    removed.append(("empty", i, -1, 0.0))  # redundant: dual 0
                if lo[j] > hi[j]:
                    if not _close(lo[j], hi[j]):
                        return infeasible(f"row {i - n_eq} of A_ub leaves x[{j}] no value "
                                          f"within its bounds")
                    lo[j] = hi[j] = (lo[j] + hi[j]) / 2
            active[i] = False
            fixed[j] = lo[j] == hi[j]
            changed = True
        # columns in no active row: the bound the cost prefers
        in_rows = np.asarray(abs(A[active]).sum(axis=0)).ravel() > 0 if active.any() \
            else np.zeros(n, dtype=bool)
        for j in np.flatnonzero(~in_rows & (lo != hi)):
            target = lo[j] if c[j] > 0 else hi[j] if c[j] < 0 else min(max(0.0, lo[j]), hi[j])
            if np.isfinite(target):
                lo[j] = hi[j] = target
                changed = True
        if not changed:
            break
    out = _finish(A_ub, b_ub, A_eq, b_eq, lo, hi, active, n_eq, removed, 0, "")
    if not active.any():
        if np.all(lo == hi):
            out.solved = True
        else:  # the columns left in no row have their cost pulling them to an infinite bound
            out.status, out.message = 3, ("The problem is unbounded: a variable with no "
                                          "constraint left has its cost pulling it to an "
                                          "infinite bound (found in presolve).")
    return out


def _finish(A_ub, b_ub, A_eq, b_eq, lo, hi, active, n_eq, removed, status, message):
    eq_keep = np.flatnonzero(active[:n_eq])
    ub_keep = np.flatnonzero(active[n_eq:])
    return Presolved(A_ub=A_ub[ub_keep], b_ub=b_ub[ub_keep], A_eq=A_eq[eq_keep],
                     b_eq=b_eq[eq_keep], lo=lo, hi=hi, ub_keep=ub_keep, eq_keep=eq_keep,
                     status=status, message=message, removed=removed)


def postsolve_duals(pre, c, A_ub, A_eq, y_ub_kept, y_eq_kept):
    """Duals of the user's rows from those of the reduced rows (rules in the module docstring)."""
    n_eq = A_eq.shape[0]
    y_eq = np.zeros(n_eq)
    y_ub = np.zeros(A_ub.shape[0])
    y_eq[pre.eq_keep] = y_eq_kept
    y_ub[pre.ub_keep] = y_ub_kept
    if not pre.removed:
        return y_ub, y_eq
    AeqT, AubT = A_eq.T.tocsr(), A_ub.T.tocsr()
    fixed_by_eq = {j for kind, _, j, _ in pre.removed if kind == "eq"}
    for kind, i, j, a in reversed(pre.removed):
        if kind == "empty":
            continue
        r = float(c[j] - (AeqT[j] @ y_eq)[0] - (AubT[j] @ y_ub)[0])
        if kind == "eq":
            y_eq[i] = r / a
        elif j not in fixed_by_eq:
            # the row owns x_j's bound marginal r when r has a ≤ row's sign (y ≤ 0): then the
            # cost pushes x_j onto this (tightest, restored first) bound
            y_ub[i - n_eq] = min(r / a, 0.0)
    return y_ub, y_eq
