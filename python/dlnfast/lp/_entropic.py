"""Exact solve of the entropic LP through its dual, with continuation in λ (path following).

The entropic LP (where DLN gradient flow from u₀ = exp(−c/(2λ)) lands, DESIGN §5)::

    min_x  cᵀx + λ Σ_j (x_j log x_j − x_j)   s.t.  Ax = b   (x ≥ 0 implicit)

Its Lagrangian stationarity c − Aᵀν + λ log x = 0 gives x(ν) = exp((Aᵀν − c)/λ), and the dual is
the smooth, unconstrained, convex problem::

    min_ν  φ(ν) = λ Σ_j exp((Aᵀν − c)_j / λ) − bᵀν,
    ∇φ = A x(ν) − b,     ∇²φ = A diag(x(ν)) Aᵀ / λ.

Newton's method with Armijo backtracking on φ solves it (the step is capped so that no x_j
ends above max(1e8, e^10·max x): exp stays in range, an underflowed x_j may come straight back). As λ → 0 the entropic solution tends to an
LP optimum; `path_following` divides λ by a factor adapted to how many Newton steps the last
stage took, warm-starting ν (exactly like an interior-point method's path following, with the
entropy in place of the log barrier). At the LP tolerance the iterate is *polished*: the columns
with x_j above a threshold are taken as the optimal face S, x is projected onto {A_S x_S = b} and
ν onto {A_Sᵀν = c_S} (both least-norm corrections), and the pair is accepted only if it passes
the primal, dual and gap tests.

Optimality tests (on the scaled standard form, relative):
    primal ‖Ax − b‖∞ / (1 + ‖b‖∞),  dual ‖(Aᵀν − c)₊‖∞ / (1 + ‖c‖∞),  gap |cᵀx − bᵀν| / max(|cᵀx|, |bᵀν|, 1e-6).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

_EXP_MAX = 700.0
# log of the largest x_j a Newton step may create in the scaled problem (x ~ 1 there)
_Z_CAP = float(np.log(1e8))
# a Newton stage that stalls with the relative primal residual below this counts as converged
_STALL_TOL = 1e-8


@dataclass
class NewtonResult:
    x: np.ndarray
    nu: np.ndarray
    reg: float
    status: int          # 0 optimal (LP tolerance), 1 iteration/time limit, 4 numerical trouble
    nit: int             # Newton steps in total
    stages: int
    polished: bool
    pfeas: float
    dfeas: float
    gap: float
    message: str = ""


def lp_measures(A, b, c, x, nu):
    """Relative primal infeasibility, dual infeasibility and duality gap of (x, ν)."""
    pfeas = float(np.abs(A @ x - b).max(initial=0.0)) / (1.0 + float(np.abs(b).max(initial=0.0)))
    s = c - A.T @ nu
    dfeas = float(np.maximum(-s, 0.0).max(initial=0.0)) / (1.0 + float(np.abs(c).max(initial=0.0)))
    pobj, dobj = float(c @ x), float(b @ nu)
    # relative to the objective itself (floored at 1e-6): after scaling, objectives of order
    # 1e-5 are common (forplan), and "1 + |cᵀx|" would hide a 1e-4 relative error there
    gap = abs(pobj - dobj) / max(abs(pobj), abs(dobj), 1e-6)
    return pfeas, dfeas, gap


def _normal_solve(A, x, rhs):
    """Solve (A diag(x) Aᵀ + δI) d = rhs with a dense Cholesky; δ grows if it fails."""
    # Entries of x below 1e-200·max are dropped: they do not change M in float64, and subnormal
    # numbers make the Cholesky factorisation ~100× slower.
    x = np.where(x > 1e-200 * float(x.max(initial=0.0)), x, 0.0)
    M = A.multiply(x) @ A.T if sp.issparse(A) else (A * x) @ A.T
    M = M.toarray() if sp.issparse(M) else np.asarray(M)
    m = M.shape[0]
    scale = max(float(np.max(np.diag(M), initial=0.0)), 1e-300)
    delta = 1e-13
    while delta < 1e2:
        try:
            cf = sla.cho_factor(M + (delta * scale) * np.eye(m), lower=True, check_finite=False)
            return sla.cho_solve(cf, rhs, check_finite=False)
        except (np.linalg.LinAlgError, sla.LinAlgError):
            delta *= 100.0
    raise np.linalg.LinAlgError("normal matrix not positive definite")


def _phi(A_T_nu, b, c, nu, reg):
    z = (A_T_nu - c) / reg
    zmax = float(np.max(z, initial=-np.inf))
    if not np.isfinite(zmax) or zmax > _EXP_MAX:
        return np.inf, None
    x = np.exp(z)
    return reg * float(x.sum()) - float(b @ nu), x


def newton_stage(A, b, c, reg, nu, tol, max_steps, deadline, A_normal=None):
    """Newton on φ at fixed λ from ν; returns (ν, x, steps, converged).

    ``A_normal``: the same A, dense, used to form A diag(x) Aᵀ when A is dense enough that a
    sparse product is slower (a 200×1000 dense A: 80 ms sparse vs 5 ms dense per step).
    """
    A_normal = A if A_normal is None else A_normal
    AT = A.T
    ATnu = AT @ nu
    f, x = _phi(ATnu, b, c, nu, reg)
    if x is None:  # the warm start overflows: pull it back along the dual (shrink ν toward 0)
        return nu, None, 0, False
    bnorm = 1.0 + float(np.abs(b).max(initial=0.0))
    history = []
    for k in range(max_steps):
        r = A @ x - b
        rmax = float(np.abs(r).max(initial=0.0))
        if rmax <= tol * bnorm:
            return nu, x, k, True
        history.append(rmax)
        # Stalled below _STALL_TOL (less than halved over 8 steps): the rounding floor of an
        # ill-conditioned normal matrix; accept (the polish fixes the primal residual). No
        # progress over 20 steps further out: give up early so the caller cuts λ less (100
        # wasted steps per failed stage were most of the run time on the random LP).
        if k >= 8 and rmax > 0.5 * history[-9] and rmax <= _STALL_TOL * bnorm:
            return nu, x, k, True
        if k >= 30 and rmax > 0.9 * history[-21]:
            return nu, x, k, False
        if time.perf_counter() > deadline:
            return nu, x, k, False
        try:
            d = _normal_solve(A_normal, x, -reg * r)
        except np.linalg.LinAlgError:
            return nu, x, k, False
        ATd = AT @ d
        # Cap the step so that no log x_j ends above max(Z_CAP, max_j log x_j + 10): a column
        # whose x underflowed may jump straight up to O(1), nothing may overflow.
        z = (ATnu - c) / reg
        dz = ATd / reg
        zcap = max(_Z_CAP, float(z.max(initial=0.0)) + 10.0)
        grow = dz > 0
        t = 1.0
        if np.any(grow):
            t = min(1.0, float(np.min((zcap - z[grow]) / dz[grow])))
            t = max(t, 1e-12)
        slope = float(r @ d)  # ∇φ·d < 0 for a descent direction
        if not slope < 0:
            return nu, x, k, float(np.abs(r).max()) <= 10 * tol * bnorm
        while True:
            nu_t = nu + t * d
            f_t, x_t = _phi(ATnu + t * ATd, b, c, nu_t, reg)
            if f_t <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-14:
                return nu, x, k, False
        nu, ATnu, f, x = nu_t, ATnu + t * ATd, f_t, x_t
    r = A @ x - b
    return nu, x, max_steps, float(np.abs(r).max(initial=0.0)) <= tol * bnorm


def polish(A, b, c, x, nu, threshold=1e-9):
    """Project (x, ν) onto the face S = {j : x_j > threshold·max(1, ‖x‖∞)}; None if S is empty."""
    S = np.flatnonzero(x > threshold * max(1.0, float(x.max(initial=0.0))))
    if S.size == 0:
        return None
    AS = A[:, S].toarray() if sp.issparse(A) else A[:, S]
    xs = x[S].copy()
    # x_S ← x_S + A_S⁺ (b − A_S x_S): the least-norm correction onto A_S x_S = b
    dx = sla.lstsq(AS, b - AS @ xs, lapack_driver="gelsd", check_finite=False)[0]
    xs = np.maximum(xs + dx, 0.0)
    xp = np.zeros_like(x)
    xp[S] = xs
    # ν ← ν + (A_Dᵀ)⁺ (c_D − A_Dᵀ ν): reduced costs exactly zero on D ⊇ S. D starts at S and
    # takes in the columns whose reduced cost came out negative (x_j = 0 there, so s_j = 0 keeps
    # complementarity): on a degenerate vertex the least-norm ν otherwise leaves s_j < 0.
    D = S
    cscale = 1.0 + float(np.abs(c).max(initial=0.0))
    for _ in range(5):
        AD = A[:, D].toarray() if sp.issparse(A) else A[:, D]
        dn = sla.lstsq(AD.T, c[D] - AD.T @ nu, lapack_driver="gelsd", check_finite=False)[0]
        nu_p = nu + dn
        neg = np.flatnonzero(c - A.T @ nu_p < -1e-12 * cscale)
        if neg.size == 0:
            break
        D = np.union1d(D, neg)
    return xp, nu_p


def best_polish(A, b, c, x, nu):
    """The best of `polish` over three support thresholds, with the polished or the entropic ν.

    A too low threshold puts columns with s_j > 0 into S (forcing s_j = 0 distorts ν); a too
    high one drops support columns (A_S x_S = b then fails): trying a few is cheap next to a
    Newton step.
    """
    best, best_val = None, np.inf
    for thr in (1e-9, 1e-6, 1e-3):
        pol = polish(A, b, c, x, nu, threshold=thr)
        if pol is None:
            continue
        for cand in (pol, (pol[0], nu)):
            val = max(lp_measures(A, b, c, *cand))
            if val < best_val:
                best, best_val = cand, val
    return best


def path_following(*args, blas_threads=1, **kwargs):
    """Continuation in λ (see `_path_following`), with BLAS limited to `blas_threads`.

    One BLAS thread by default: the normal matrices are small (m ≲ 2000), and a multi-threaded
    OpenBLAS spinning on a busy machine made a 488×488 Cholesky 100× slower (1 s vs 8 ms).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=blas_threads, user_api="blas"), np.errstate(over="ignore", divide="ignore", under="ignore"):
        return _path_following(*args, **kwargs)


def elastic_path_following(A, b, c, big_m=1e3, max_big_m=1e9, **kwargs):
    """`path_following` on the elastic LP  min cᵀx + M·1ᵀ(p + q)  s.t.  Ax + p − q = b.

    The elastic LP is strictly feasible for every b (x = ε1 and p, q > 0 solve it), so its
    entropic dual has a bounded optimum |ν_i| ≲ M even when the LP's feasible set has no
    interior (implied zeros, common in netlib), where the plain dual optimum is at infinity.
    For M above the LP's largest optimal dual |ν*_i| the two LPs share their optima (exact
    penalty). If p + q stays above the tolerance, M grows ×1000 (up to max_big_m).
    Returns (result on the original variables, elastic mass 1ᵀ(p + q), M).
    """
    A = sp.csr_matrix(A)
    m, n = A.shape
    I = sp.eye(m, format="csr")
    Aa = sp.hstack([A, I, -I], format="csr")
    tol = kwargs.get("tol", 1e-9)
    bnorm = 1.0 + float(np.abs(b).max(initial=0.0))
    while True:
        ca = np.concatenate([c, np.full(2 * m, big_m)])
        r = path_following(Aa, b, ca, **kwargs)
        x = r.x[:n]
        mass = float(r.x[n:].sum())
        pf, df, gp = lp_measures(A, b, c, x, r.nu)
        out = NewtonResult(x, r.nu, r.reg, r.status, r.nit, r.stages, r.polished, pf, df, gp,
                           r.message)
        if mass <= tol * bnorm or big_m >= max_big_m or r.status == 1:
            if r.status == 0 and max(pf, df, gp) > tol:
                out.status = 4
                out.message = f"elastic variables carry {mass:.3e} at M = {big_m:.0e}"
            return out, mass, big_m
        big_m *= 1000.0


def _path_following(A, b, c, tol=1e-9, reg0=None, reg_min=1e-13, max_newton=2000,
                   time_limit=np.inf, nu0=None, reg_final=None, use_polish=True,
                   blowup=1e9):
    """Continuation in λ for the entropic LP; stops at the LP tolerance (or at reg_final).

    With ``reg_final`` set, returns the exact entropic solution at that λ (no polish).
    """
    deadline = time.perf_counter() + time_limit
    m, n = A.shape
    A = sp.csr_matrix(A) if not sp.issparse(A) else A.tocsr()
    A_normal = A.toarray() if A.nnz > 0.05 * m * n and m * n <= 20_000_000 else None
    nu = np.zeros(m) if nu0 is None else nu0.copy()
    reg = reg0 if reg0 is not None else max(1.0, float(np.abs(c).max(initial=0.0)))
    if reg_final is not None:
        reg = max(reg, reg_final)
    stage_tol = 1e-10
    zeta = 5.0
    nit = stages = 0
    best = None
    x = None
    while True:
        stage_nu, stage_x, steps, ok = newton_stage(A, b, c, reg, nu, stage_tol, 100, deadline,
                                                    A_normal)
        nit += steps
        stages += 1
        if stage_x is None or not ok:
            if time.perf_counter() > deadline or nit >= max_newton:
                break
            # retreat: λ was cut too far (or the warm start overflows); back off and cut less
            if x is None and stage_x is None:
                reg *= 10.0
                if reg > 1e12:
                    break
                continue
            if zeta <= 1.05:
                break
            prev = reg * zeta
            zeta = 1.0 + (zeta - 1.0) / 4.0
            reg = prev / zeta
            continue
        nu, x = stage_nu, stage_x
        if reg_final is not None and reg <= reg_final * (1 + 1e-12):
            pf, df, gp = lp_measures(A, b, c, x, nu)
            return NewtonResult(x, nu, reg, 0, nit, stages, False, pf, df, gp, "entropic optimum")
        if float(x.max(initial=0.0)) > blowup:
            return NewtonResult(x, nu, reg, 4, nit, stages, False, *lp_measures(A, b, c, x, nu),
                                "iterates grow without bound (LP unbounded or infeasible?)")
        pf, df, gp = lp_measures(A, b, c, x, nu)
        if reg_final is None and max(pf, df, gp) <= tol:
            return NewtonResult(x, nu, reg, 0, nit, stages, False, pf, df, gp, "optimal")
        if reg_final is None and use_polish and max(df, gp) <= 1e-3:
            pol = best_polish(A, b, c, x, nu)
            if pol is not None:
                ppf, pdf, pgp = lp_measures(A, b, c, *pol)
                if max(ppf, pdf, pgp) <= tol:
                    return NewtonResult(pol[0], pol[1], reg, 0, nit, stages, True, ppf, pdf, pgp,
                                        "optimal (polished)")
                if best is None or max(ppf, pdf, pgp) < best[0]:
                    best = (max(ppf, pdf, pgp), pol)
        if nit >= max_newton or time.perf_counter() > deadline or reg <= reg_min:
            break
        # adapt the cut: fast stages → cut harder
        zeta = min(zeta * 2.0, 100.0) if steps <= 3 else (max(zeta / 2.0, 1.5) if steps > 12 else zeta)
        reg_next = reg / zeta
        if reg_final is not None:
            reg_next = max(reg_next, reg_final)
        reg = reg_next
    if x is None:
        return NewtonResult(np.zeros(n), nu, reg, 4, nit, stages, False, np.inf, np.inf, np.inf,
                            "Newton failed at the first λ")
    pf, df, gp = lp_measures(A, b, c, x, nu)
    xo, nuo, polished = x, nu, False
    if best is not None and best[0] < max(pf, df, gp):
        xo, nuo = best[1]
        pf, df, gp = lp_measures(A, b, c, xo, nuo)
        polished = True
    limit = time.perf_counter() > deadline or nit >= max_newton
    return NewtonResult(xo, nuo, reg, 1 if limit else 4, nit, stages, polished, pf, df, gp,
                        "time or iteration limit" if limit else "stalled before the LP tolerance")
