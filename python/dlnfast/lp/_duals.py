"""Dual values of the user's LP in scipy's HiGHS format, from the standard form's dual ν.

scipy.optimize.linprog's HiGHS methods return, for ``min cᵀx s.t. A_ub x ≤ b_ub, A_eq x = b_eq,
l ≤ x ≤ u``, the fields ``ineqlin``, ``eqlin``, ``lower``, ``upper``, each with ``marginals``
(∂fun/∂b_ub ≤ 0, ∂fun/∂b_eq, ∂fun/∂l ≥ 0, ∂fun/∂u ≤ 0) and ``residual`` (b_ub − A_ub x,
b_eq − A_eq x, x − l, u − x), with dual feasibility
``c = A_ubᵀ y_ub + A_eqᵀ y_eq + lower + upper``.

From the standard form (:mod:`._standard_form`): Â = D_r A_std D_c and ĉ = D_c c_std / γ, so
``Âᵀν ≤ ĉ`` is ``A_stdᵀ π ≤ c_std`` with ``π = γ D_r ν`` (the rows of [A_eq; A_ub; box rows]
that Â kept; dropped empty rows have π = 0). π on the A_eq rows is y_eq, on the A_ub rows y_ub
(≤ 0: the slack column has cost 0). The presolved rows get theirs by postsolve
(:func:`._presolve.postsolve_duals`). The bound marginals are the reduced cost
``r = c − A_ubᵀ y_ub − A_eqᵀ y_eq`` on the bound it points to (r > 0: the lower bound, r < 0:
the upper one; a one-sided bound takes r whatever its sign), so dual feasibility holds to
rounding by construction and the duality gap measures the rest.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult

from dlnfast.lp._presolve import postsolve_duals


def row_duals(sf, nu):
    """(y_eq, y_ub) of the rows that reached the standard form, from its dual ν."""
    pi = np.zeros(sf.kept_rows.size)
    if nu is not None and nu.size:
        pi[sf.kept_rows] = sf.c_scale * sf.row_scale * nu
    return pi[:sf.n_eq], pi[sf.n_eq:sf.n_eq + sf.n_ub]


def marginals(pre, c, A_ub, b_ub, A_eq, b_eq, lo, hi, x, y_eq_kept, y_ub_kept):
    """The four fields of scipy's HiGHS result for the user's LP at (x, y)."""
    y_ub, y_eq = postsolve_duals(pre, c, A_ub, A_eq, y_ub_kept, y_eq_kept)
    r = c - A_ub.T @ y_ub - A_eq.T @ y_eq
    has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
    to_lo = has_lo & (~has_hi | (r > 0))
    to_hi = has_hi & ~to_lo
    with np.errstate(invalid="ignore"):
        return {
            "ineqlin": OptimizeResult(residual=b_ub - A_ub @ x, marginals=y_ub),
            "eqlin": OptimizeResult(residual=b_eq - A_eq @ x, marginals=y_eq),
            "lower": OptimizeResult(residual=x - lo, marginals=np.where(to_lo, r, 0.0)),
            "upper": OptimizeResult(residual=hi - x, marginals=np.where(to_hi, r, 0.0)),
        }
