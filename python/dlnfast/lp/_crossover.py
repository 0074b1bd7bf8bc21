"""Crossover: from a near-optimal point of the entropic path to a vertex, by primal simplex pivots.

The λ path prices columns out: a column j whose reduced cost sⱼ = cⱼ − aⱼᵀν stays slightly
positive along the path has xⱼ(ν) = exp(−sⱼ/λ) → 0, so the face guessed from x misses it even
when it is basic at the LP optimum (forplan: one such column, x* = 2.8e-6 in the scaled form,
and every projection onto the guessed face fails the gap test at 7e-4). The polish cannot bring
it back; pivots can.

The crossover works on the elastic LP the path solves::

    min cᵀx + M·1ᵀ(p + q)   s.t.   Ax + p − q = b,   x, p, q ≥ 0,

where a feasible start is free: x = max(x_path, 0) and p − q = b − Ax (one of pᵢ, qᵢ nonzero per
row). The start basis is those elastic columns (B = diag(±1)), the path's positive columns are
*superbasic* (nonbasic at a nonzero value). Each superbasic column is moved, the basics following
so that the rows stay satisfied, in the direction its reduced cost says does not raise the cost,
until it reaches 0 or a basic variable does (then the two swap): a basic feasible point after at
most one move per superbasic column, no worse than the start in cost. Primal simplex pivots
(Dantzig's rule, Bland's after a run of degenerate pivots) then run to dual feasibility.

B⁻¹ is kept dense and updated by a rank-one product per pivot (recomputed from scratch every
`_REFACTOR` pivots); every product is an elementwise numpy operation or a sparse product, so no
threaded BLAS runs (see `dlnfast.lp._entropic._lstsq`). Meant for the path's last step, where
the point is near an optimum and few pivots remain: O(m²) memory and work per pivot.

The result is certified by the same LP measures as the polish (`lp_measures`), never by the
pivots themselves.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

# pivots between two fresh computations of B⁻¹ (rank-one updates lose accuracy slowly): at
# least this many, and at least m/2 (a fresh inverse costs O(m³), a pivot O(m²); gas11,
# m = 622: 6 inverses were 0.1 s of a 0.24 s crossover at 64)
_REFACTOR = 64
# degenerate pivots in a row before Bland's rule (smallest index) replaces Dantzig's
_BLAND_AFTER = 50
# B⁻¹ is dense: above this many rows (200 MB of B⁻¹) the crossover is not attempted
_MAX_ROWS = 5000


def _inverse(B):
    """B⁻¹ (dense) in C++ by partial-pivoting LU, no LAPACK threads; None when B is singular."""
    from dlnfast import _core

    return _core.dense_inverse(np.ascontiguousarray(B, dtype=np.float64))


def crossover(A, b, c, big_m, x, *, max_pivots=None, deadline=np.inf):
    """Primal simplex on the elastic LP from the path's x (see the module docstring).

    ``A`` (m×n, sparse), ``b``, ``c``: the LP min cᵀx s.t. Ax = b, x ≥ 0 whose elastic form has
    penalty ``big_m``. Returns (x, ν, pivots) at an optimal basis of the elastic LP, with x on
    A's n columns (the elastic part is dropped: the caller's LP measures say whether it was 0),
    or None when the pivots do not finish (pivot limit, deadline, an unbounded direction or a
    singular basis) or m > 5000 (the dense B⁻¹ would take more than 200 MB).
    """
    A = sp.csc_matrix(A)
    m, n = A.shape
    if m == 0 or m > _MAX_ROWS:
        return None
    x0 = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    r = b - A @ x0
    # the elastic column per row that carries the residual: +eᵢ (pᵢ) or −eᵢ (qᵢ)
    sign = np.where(r >= 0, 1.0, -1.0)
    # columns 0..n-1: A; n..n+m-1: p (+I); n+m..n+2m-1: q (−I)
    Aa = sp.hstack([A, sp.eye(m, format="csc"), -sp.eye(m, format="csc")], format="csc")
    ATa = Aa.T.tocsr()
    ca = np.concatenate([c, np.full(2 * m, float(big_m))])
    na = n + 2 * m
    xa = np.zeros(na)
    xa[:n] = x0
    basis = np.where(sign > 0, n + np.arange(m), n + m + np.arange(m))
    xa[basis] = np.abs(r)
    in_basis = np.zeros(na, dtype=bool)
    in_basis[basis] = True
    Binv = np.diag(sign)  # B = diag(sign)
    indptr, indices, data = Aa.indptr, Aa.indices, Aa.data
    cscale = 1.0 + float(np.abs(ca).max(initial=0.0))
    dtol = 1e-12 * cscale
    # superbasic columns, largest first (the surest members of the optimal face)
    superbasic = list(np.flatnonzero(x0 > 0)[np.argsort(-x0[x0 > 0], kind="stable")][::-1])
    max_pivots = max_pivots if max_pivots is not None else 20 * (m + n)
    pivots = degenerate = since_refactor = 0

    def column(j):
        lo, hi = indptr[j], indptr[j + 1]
        return (Binv[:, indices[lo:hi]] * data[lo:hi]).sum(axis=1)

    while True:
        if time.perf_counter() > deadline:
            return None
        if superbasic:
            j = int(superbasic.pop())
            if xa[j] <= 0 or in_basis[j]:
                continue
            w = column(j)
            # reduced cost c_j − c_Bᵀ B⁻¹ a_j, from the column just computed (no ν needed)
            sigma = -1.0 if ca[j] - float((ca[basis] * w).sum()) >= 0 else 1.0
        else:
            y = (Binv * ca[basis][:, None]).sum(axis=0)  # ν = B⁻ᵀ c_B
            d = ca - ATa @ y
            d[in_basis] = 0.0
            if degenerate >= _BLAND_AFTER:
                cand = np.flatnonzero(d < -dtol)
                j = int(cand[0]) if cand.size else -1
            else:
                j = int(np.argmin(d))
                j = j if d[j] < -dtol else -1
            if j < 0:
                break  # dual feasible: optimal basis
            sigma = 1.0
            w = column(j)
        # x_B moves by −σ t w as x_j moves by σ t
        mw = sigma * w
        wmax = float(np.abs(w).max(initial=0.0))
        ptol = 1e-9 * max(wmax, 1e-300)
        dec = np.flatnonzero(mw > ptol)
        t_j = xa[j] if sigma < 0 else np.inf  # a decreasing column stops at 0 itself
        if dec.size:
            ratios = np.maximum(xa[basis[dec]], 0.0) / mw[dec]
            tmin = float(ratios.min())
            # among near ties, the largest pivot (stabler B); under Bland's rule the smallest
            # column index, which with the smallest entering index rules out cycling
            near = dec[ratios <= tmin + 1e-12 * max(1.0, tmin)]
            if degenerate >= _BLAND_AFTER and not superbasic:
                leave = int(near[np.argmin(basis[near])])
            else:
                leave = int(near[np.argmax(np.abs(w[near]))])
        else:
            tmin, leave = np.inf, -1
        if t_j <= tmin:
            if not np.isfinite(t_j):
                return None  # an unbounded direction of the elastic LP
            xa[basis] -= sigma * t_j * w
            xa[j] = 0.0
            continue
        if leave < 0 or pivots >= max_pivots:
            return None
        t = tmin
        xa[basis] -= sigma * t * w
        xa[j] += sigma * t
        out = basis[leave]
        xa[out] = 0.0
        in_basis[out], in_basis[j] = False, True
        basis[leave] = j
        degenerate = degenerate + 1 if t <= 0 else 0
        pivots += 1
        since_refactor += 1
        if since_refactor >= max(_REFACTOR, m // 2):
            Binv = _inverse(Aa[:, basis].toarray())
            if Binv is None:
                return None
            # superbasic columns still carry values: x_B = B⁻¹ (b − A_N x_N)
            xa[basis] = 0.0
            xa[basis] = (Binv * (b - Aa @ xa)).sum(axis=1)
            since_refactor = 0
        else:
            # B⁻¹ ← E B⁻¹ with the eta matrix of the pivot on row `leave`
            # (only the rows where w ≠ 0 change; near the slack start w is mostly zero)
            row = Binv[leave] / w[leave]
            nz = np.flatnonzero(w)
            if 4 * nz.size < m:
                Binv[nz] -= np.multiply.outer(w[nz], row)
            else:
                Binv -= np.multiply.outer(w, row)
            Binv[leave] = row
        if not np.all(np.isfinite(Binv[leave])):
            return None
    # fresh B⁻¹ for the final point and duals
    Binv = _inverse(Aa[:, basis].toarray())
    if Binv is None:
        return None
    xa = np.zeros(na)
    xa[basis] = np.maximum((Binv * b).sum(axis=1), 0.0)
    y = (Binv * ca[basis][:, None]).sum(axis=0)
    return xa[:n], y, pivots
