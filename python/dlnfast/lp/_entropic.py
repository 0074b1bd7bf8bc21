"""Exact solve of the entropic LP through its dual, with continuation in λ (path following).

The entropic LP (where DLN gradient flow from u₀ = exp(−c/(2λ)) lands, :ref:`ug-lp`)::

    min_x  cᵀx + λ Σ_j (x_j log x_j − x_j)   s.t.  Ax = b   (x ≥ 0 implicit)

Its Lagrangian stationarity c − Aᵀν + λ log x = 0 gives x(ν) = exp((Aᵀν − c)/λ), and the dual is
the smooth, unconstrained, convex problem::

    min_ν  φ(ν) = λ Σ_j exp((Aᵀν − c)_j / λ) − bᵀν,
    ∇φ = A x(ν) − b,     ∇²φ = A diag(x(ν)) Aᵀ / λ.

Newton's method with Armijo backtracking on φ solves it (:func:`dlnfast._newton.damped_newton`,
the limit solver's Newton: φ is its entropic family with x₀ = exp(−c/λ)); the step is capped so
that no x_j ends above max(1e8, e^10·max x): exp stays in range, an underflowed x_j may come
straight back. As λ → 0 the entropic solution tends to an
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
import scipy.sparse as sp

from dlnfast._newton import Stage, damped_newton, follow_path

_EXP_MAX = 700.0
# log of the largest x_j a Newton step may create in the scaled problem (x ~ 1 there)
_Z_CAP = float(np.log(1e8))
# a Newton stage that stalls with the relative primal residual below this counts as converged
_STALL_TOL = 1e-8
# relative primal residual at which a Newton stage counts as solved: on the way to an LP
# optimum (reg_final None) each stage only needs to be near the path, since the result is
# certified by the polish or by the LP measures, never by a stage (1e-6 instead of 1e-10:
# 22 271 → 13 777 Newton steps over the 30 netlib instances, benchmarks/README.md); the exact
# entropic solve at the user's λ keeps 1e-10
_STAGE_TOL = 1e-6
_ENTROPIC_TOL = 1e-10
# PathResult.message of a path that stopped short of the LP tolerance without blowing up
_STALLED = "stalled before the LP tolerance"


@dataclass
class PathResult:
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


def _dot(u, v):
    """uᵀv without BLAS: OpenBLAS threads its ddot above 10⁴ entries, and its spinning threads
    on a busy machine made one dot product of a 100×100 transport's c and x cost 30 ms."""
    return float(np.multiply(u, v).sum())


def _lstsq(M, r):
    """Least-norm least-squares solution of M d = r, in C++ (no LAPACK threads: a 488-row
    gelsd took 0.7 s with two spinning OpenBLAS threads on a loaded machine)."""
    from dlnfast import _core

    return _core.min_norm_lstsq(np.ascontiguousarray(M, dtype=np.float64),
                                np.ascontiguousarray(r, dtype=np.float64))


def lp_measures(A, b, c, x, nu, AT=None):
    """Relative primal infeasibility, dual infeasibility and duality gap of (x, ν).

    ``AT``: Aᵀ in CSR when the caller holds one (a path measures every stage: building the
    transposed view each time was a tenth of a median netlib solve)."""
    pfeas = float(np.abs(A @ x - b).max(initial=0.0)) / (1.0 + float(np.abs(b).max(initial=0.0)))
    s = c - (A.T @ nu if AT is None else AT @ nu)
    dfeas = float(np.maximum(-s, 0.0).max(initial=0.0)) / (1.0 + float(np.abs(c).max(initial=0.0)))
    pobj, dobj = _dot(c, x), _dot(b, nu)
    # relative to the objective itself (floored at 1e-6): after scaling, objectives of order
    # 1e-5 are common (forplan), and "1 + |cᵀx|" would hide a 1e-4 relative error there
    gap = abs(pobj - dobj) / max(abs(pobj), abs(dobj), 1e-6)
    return pfeas, dfeas, gap


class _EntropicDual:
    """φ(ν) = λ Σ exp((Aᵀν − c)/λ) − bᵀν as a :class:`dlnfast._newton.DualObjective`:
    z = Aᵀν, h(z) = λ Σ exp((z − c)/λ), p = x(ν), Hessian A diag(x) Aᵀ / λ."""

    offset = 0.0
    # no rounding allowance in the line search: a stage that cannot decrease φ fails, and the
    # path retreats to a larger λ instead
    value_slack = 0.0
    # jitter up to 10·max diag: the normal matrices of degenerate LPs are singular to rounding,
    # and a heavily damped step still moves the path
    max_jitter = 10.0

    def __init__(self, A, b, c, reg, A_normal=None):
        self.A, self.gram_matrix, self.rhs, self.c, self.reg = A, A_normal, b, c, reg
        self.hessian_divisor = reg
        self._z = self._x = None  # x of the last z evaluated (the line search asks twice)

    def conjugate(self, z):
        e = (z - self.c) / self.reg
        emax = float(np.max(e, initial=-np.inf))
        if not np.isfinite(emax) or emax > _EXP_MAX:
            return np.inf
        self._z, self._x = z, np.exp(e)
        return self.reg * float(self._x.sum())

    def primal(self, z):
        if z is not self._z:
            self.conjugate(z)
        return self._x

    def hessian_weights(self, z, p):
        return p

    def step_cap(self, z, dz):
        # no log x_j may end above max(Z_CAP, max_j log x_j + 10): a column whose x underflowed
        # may jump straight up to O(1), nothing may overflow
        e, de = (z - self.c) / self.reg, dz / self.reg
        ecap = max(_Z_CAP, float(e.max(initial=0.0)) + 10.0)
        grow = de > 0
        if not np.any(grow):
            return 1.0
        return max(min(1.0, float(np.min((ecap - e[grow]) / de[grow]))), 1e-12)

    def residual(self, r):
        return float(np.abs(r).max(initial=0.0))


def newton_engine(A, n_diag=0, mode="auto"):
    """The C++ Newton (``dlnfast._core.EntropicNewton``) for a CSR matrix A, set up once per
    path: A's pattern, the Hessian's pattern and its fill-reducing symbolic factorisation (or,
    with ``n_diag`` rows of disjoint column supports as in transport, the Schur complement on
    those rows) are reused by every Newton step of every stage."""
    from dlnfast import _core

    A = sp.csr_matrix(A)
    A.sum_duplicates()  # canonical: sorted, no duplicate entries
    return _core.EntropicNewton(A.indptr.astype(np.int64), A.indices.astype(np.int64),
                                np.ascontiguousarray(A.data, dtype=np.float64), A.shape[0],
                                A.shape[1], int(n_diag), mode)


def newton_stage(A, b, c, reg, nu, tol, max_steps, deadline, A_normal=None, engine=None):
    """Newton on φ at fixed λ from ν; returns (ν, x, steps, converged); x is None when the warm
    start overflows.

    Converged: ``‖Ax − b‖∞ ≤ tol·(1 + ‖b‖∞)``. ``engine``: a :func:`newton_engine` for this A
    (the C++ Newton, same steps, stall rules and line search); None runs the Python reference
    :func:`dlnfast._newton.damped_newton`. ``A_normal`` (Python only): the same A, dense, used
    to form A diag(x) Aᵀ when A is dense enough that a sparse product is slower (a 200×1000
    dense A: 80 ms sparse vs 5 ms dense per step).
    """
    bnorm = 1.0 + float(np.abs(b).max(initial=0.0))
    if engine is not None:
        nu_c = np.array(nu, dtype=np.float64, copy=True)
        x, steps, conv, reason, res = engine.stage(
            np.ascontiguousarray(b, dtype=np.float64), np.ascontiguousarray(c, dtype=np.float64),
            float(reg), nu_c, tol * bnorm, _STALL_TOL * bnorm, int(max_steps),
            max(deadline - time.perf_counter(), 0.0), _EntropicDual.max_jitter)
        if x is None:
            return nu, None, 0, False
        ok = conv or (reason == "not_descent" and res <= 10 * tol * bnorm)
        return nu_c, x, steps, ok
    history = []

    def monitor(k, rmax):
        history.append(rmax)
        # Stalled below _STALL_TOL (less than halved over 8 steps): the rounding floor of an
        # ill-conditioned normal matrix; accept (the polish fixes the primal residual). No
        # progress over 20 steps further out: give up early so the caller cuts λ less (100
        # wasted steps per failed stage were most of the run time on the random LP).
        if k >= 8 and rmax > 0.5 * history[-9] and rmax <= _STALL_TOL * bnorm:
            return True
        if k >= 30 and rmax > 0.9 * history[-21]:
            return False
        if time.perf_counter() > deadline:
            return False
        return None

    out = damped_newton(_EntropicDual(A, b, c, reg, A_normal), nu, tol=tol * bnorm,
                        max_iter=max_steps, monitor=monitor)
    if out.primal is None:
        return nu, None, 0, False
    # a Newton direction that does not descend: rounding; close enough counts
    ok = out.converged or (out.reason == "not_descent" and out.residual <= 10 * tol * bnorm)
    return out.y, out.primal, out.n_steps, ok


def support(x, threshold):
    """The guessed optimal face S = {j : x_j > threshold·max(1, ‖x‖∞)}."""
    return np.flatnonzero(x > threshold * max(1.0, float(x.max(initial=0.0))))


def polish(A, b, c, x, nu, threshold=1e-9, S=None, AT=None, A_csc=None, ptol=np.inf):
    """Project (x, ν) onto the face S = `support` (x, threshold) (or the S given); None if S
    is empty. ``AT`` (Aᵀ, CSR) and ``A_csc`` (A, CSC): the same A in the formats its products
    and column slices are cheapest in, when the caller keeps them. ``ptol``: when the projected
    x misses Ax = b by more than this (relative, as `lp_measures`), the pair can fail the LP
    tolerance whatever ν is: ν is then returned unprojected (its least squares, 3 of the ~4
    dense solves of a polish on netlib, are skipped)."""
    if S is None:
        S = support(x, threshold)
    if S.size == 0:
        return None
    # the products go through the sparse A (no threaded BLAS), the dense copy only to _lstsq
    A = sp.csr_matrix(A)
    cols = A if A_csc is None else A_csc
    AT = A.T if AT is None else AT
    AS = cols[:, S]
    xs = x[S].copy()
    # x_S ← x_S + A_S⁺ (b − A_S x_S): the least-norm correction onto A_S x_S = b
    dx = _lstsq(AS.toarray(), b - AS @ xs)
    xs = np.maximum(xs + dx, 0.0)
    xp = np.zeros_like(x)
    xp[S] = xs
    if np.isfinite(ptol):
        pf = float(np.abs(AS @ xs - b).max(initial=0.0)) / (1.0 + float(np.abs(b).max(initial=0.0)))
        if pf > ptol:
            return xp, nu
    # ν ← ν + (A_Dᵀ)⁺ (c_D − A_Dᵀ ν): reduced costs exactly zero on D ⊇ S. D starts at S and
    # takes in the columns whose reduced cost came out negative (x_j = 0 there, so s_j = 0 keeps
    # complementarity): on a degenerate vertex the least-norm ν otherwise leaves s_j < 0.
    D = S
    cscale = 1.0 + float(np.abs(c).max(initial=0.0))
    for _ in range(5):
        AD = cols[:, D]
        dn = _lstsq(AD.T.toarray(), c[D] - AD.T @ nu)
        nu_p = nu + dn
        neg = np.flatnonzero(c - AT @ nu_p < -1e-12 * cscale)
        if neg.size == 0:
            break
        D = np.union1d(D, neg)
    return xp, nu_p


def best_polish(A, b, c, x, nu, good_enough=0.0, AT=None, A_csc=None, ptol=np.inf):
    """The best of `polish` over three support thresholds, with the polished or the entropic ν.

    A too low threshold puts columns with s_j > 0 into S (forcing s_j = 0 distorts ν); a too
    high one drops support columns (A_S x_S = b then fails): trying a few is cheap next to a
    Newton step. Stops at the first candidate whose worst LP measure is ≤ ``good_enough``.
    ``ptol``: as in `polish` (a face whose projection misses Ax = b by more keeps the entropic ν).
    """
    best, best_val = None, np.inf
    tried = None
    for thr in (1e-9, 1e-6, 1e-3):
        S = support(x, thr)
        # the thresholds often pick the same face: its projection would be the same
        if tried is not None and np.array_equal(S, tried):
            continue
        tried = S
        pol = polish(A, b, c, x, nu, S=S, AT=AT, A_csc=A_csc, ptol=ptol)
        if pol is None:
            continue
        for cand in (pol,) if pol[1] is nu else (pol, (pol[0], nu)):
            val = max(lp_measures(A, b, c, *cand, AT=AT))
            if val < best_val:
                best, best_val = cand, val
        if best_val <= good_enough:
            break
    return best


def path_following(*args, newton="cpp", blas_threads=1, **kwargs):
    """Continuation in λ (see `_path_following`).

    ``newton="cpp"`` (default): the Newton steps run in C++ (:func:`newton_engine`), which
    calls no BLAS and sets no process-wide thread limit. ``newton="python"``: the reference
    :func:`dlnfast._newton.damped_newton`, with BLAS limited to ``blas_threads`` (one by
    default: a multi-threaded OpenBLAS spinning on a busy machine made a 488×488 Cholesky 100×
    slower, 1 s vs 8 ms); that limit is process-wide.
    """
    if newton not in ("cpp", "python"):
        raise ValueError(f"newton must be 'cpp' or 'python', got {newton!r}")
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        if newton == "cpp":
            return _path_following(*args, newton=newton, **kwargs)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return _path_following(*args, newton=newton, **kwargs)


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
    budget = kwargs.pop("max_newton", 2000)
    bnorm = 1.0 + float(np.abs(b).max(initial=0.0))
    nit = 0  # Newton steps over every M tried: one budget for the whole solve
    t_start = time.perf_counter()
    deadline = kwargs.get("time_limit", np.inf) + t_start
    while True:
        ca = np.concatenate([c, np.full(2 * m, big_m)])
        r = path_following(Aa, b, ca, max_newton=budget - nit, **kwargs)
        nit += r.nit
        x = r.x[:n]
        mass = float(r.x[n:].sum())
        pf, df, gp = lp_measures(A, b, c, x, r.nu)
        out = PathResult(x, r.nu, r.reg, r.status, nit, r.stages, r.polished, pf, df, gp,
                           r.message)
        if r.status == 4 and r.message == _STALLED:
            # the path stalled short of the LP tolerance, typically because it priced out a
            # column of the optimal basis (forplan): pivots can bring it back. Not after a
            # blow-up (unbounded or infeasible: the elastic LP has no useful vertex there)
            out = _crossover_result(A, b, c, big_m, out, tol, deadline)
            if out.status == 0:
                return out, 0.0, big_m
        if mass <= tol * bnorm or big_m >= max_big_m or r.status == 1 or nit >= budget:
            if r.status == 0 and max(pf, df, gp) > tol:
                out.status = 4
                out.message = f"elastic variables carry {mass:.3e} at M = {big_m:.0e}"
            return out, mass, big_m
        big_m *= 1000.0


def _crossover_result(A, b, c, big_m, res, tol, deadline):
    """``res`` replaced by the crossover's vertex (`dlnfast.lp._crossover`) from res.x when
    that vertex passes the LP measures at ``tol``; else ``res`` unchanged."""
    from dlnfast.lp._crossover import crossover

    out = crossover(A, b, c, big_m, res.x, deadline=deadline)
    if out is None:
        return res
    x, nu, pivots = out
    pf, df, gp = lp_measures(A, b, c, x, nu)
    if max(pf, df, gp) > tol:
        return res
    return PathResult(x, nu, res.reg, 0, res.nit, res.stages, True, pf, df, gp,
                      f"optimal (crossover, {pivots} pivots)")


class _LambdaPath:
    """The continuation in λ of `_path_following`: how each stage is judged, how λ moves.

    λ is divided by a factor ζ adapted to the last stage (fast stages → cut harder); a failed
    stage (λ cut too far, or a warm start that overflows) retreats to a λ between the last
    solved one and the failed one and cuts less from then on.
    """

    def __init__(self, A, b, c, nu0, *, tol, reg_min, max_newton, deadline, reg_final,
                 use_polish, blowup, newton="cpp", n_diag=0):
        m, n = A.shape
        self.A, self.b, self.c = A, b, c
        self.engine = newton_engine(A, n_diag) if newton == "cpp" else None
        self.AT, self.A_csc = A.T.tocsr(), A.tocsc()  # for the measures and the polish
        self.A_normal = (A.toarray() if self.engine is None and A.nnz > 0.05 * m * n
                         and m * n <= 20_000_000 else None)
        self.tol, self.reg_min, self.max_newton, self.deadline = tol, reg_min, max_newton, deadline
        self.reg_final, self.use_polish, self.blowup = reg_final, use_polish, blowup
        self.zeta, self.nit, self.stages = 5.0, 0, 0
        self.x, self.nu, self.best, self.reg = None, nu0, None, None
        self.failed_polish_at = np.inf  # max(df, gap) of the last polish that failed
        self.polished_x = None           # the x the last polish started from

    def out_of_budget(self):
        return time.perf_counter() > self.deadline or self.nit >= self.max_newton

    def solve(self, reg, nu):
        self.reg = reg
        # a stage may not take more steps than the budget has left: nit never exceeds maxiter
        tol = _STAGE_TOL if self.reg_final is None else _ENTROPIC_TOL
        nu_s, x_s, steps, ok = newton_stage(self.A, self.b, self.c, reg, nu, tol,
                                            min(100, max(1, self.max_newton - self.nit)),
                                            self.deadline, self.A_normal, self.engine)
        self.nit += steps
        self.stages += 1
        if x_s is None or not ok:  # keep the last solved stage's ν
            return Stage(nu, False, steps, info=x_s is None)
        self.nu, self.x = nu_s, x_s
        done = self._finished(reg)
        return Stage(nu_s, True, steps, stop=done is not None, info=done)

    def _finished(self, reg):
        """The result if the stage at λ = reg ends the path (target λ, blow-up, LP tolerance)."""
        A, b, c, x, nu = self.A, self.b, self.c, self.x, self.nu
        if self.reg_final is not None and reg <= self.reg_final * (1 + 1e-12):
            return PathResult(x, nu, reg, 0, self.nit, self.stages, False,
                              *lp_measures(A, b, c, x, nu, AT=self.AT), "entropic optimum")
        if float(x.max(initial=0.0)) > self.blowup:
            return PathResult(x, nu, reg, 4, self.nit, self.stages, False,
                              *lp_measures(A, b, c, x, nu, AT=self.AT),
                              "iterates grow without bound (LP unbounded or infeasible?)")
        pf, df, gp = lp_measures(A, b, c, x, nu, AT=self.AT)
        if self.reg_final is None and max(pf, df, gp) <= self.tol:
            return PathResult(x, nu, reg, 0, self.nit, self.stages, False, pf, df, gp, "optimal")
        # polish when (df, gap) is small, and after a failed polish only once they have
        # dropped tenfold: a polish costs several dense least-squares solves (26 ms each at
        # m = 466, 0.5 s per attempt on etamacro against 13 ms per Newton stage there)
        if (self.reg_final is None and self.use_polish and max(df, gp) <= 1e-3
                and max(df, gp) <= 0.1 * self.failed_polish_at):
            done = self._polish(reg)
            if done is not None:
                return done
            self.failed_polish_at = max(df, gp)
        return None

    def _polish(self, reg):
        """The polished result if it passes the LP tolerance; else None (remembering the best)."""
        A, b, c = self.A, self.b, self.c
        self.polished_x = self.x
        pol = best_polish(A, b, c, self.x, self.nu, good_enough=0.1 * self.tol, AT=self.AT,
                          A_csc=self.A_csc, ptol=self.tol)
        if pol is None:
            return None
        ppf, pdf, pgp = lp_measures(A, b, c, *pol, AT=self.AT)
        if max(ppf, pdf, pgp) <= self.tol:
            return PathResult(pol[0], pol[1], reg, 0, self.nit, self.stages, True,
                              ppf, pdf, pgp, "optimal (polished)")
        if self.best is None or max(ppf, pdf, pgp) < self.best[0]:
            self.best = (max(ppf, pdf, pgp), pol)
        return None

    def advance(self, reg, stage):
        """The next λ, or None to stop."""
        if not stage.ok:
            if self.out_of_budget():
                return None
            if self.x is None and stage.info:  # nothing solved yet and the start overflows
                self.reg = reg * 10.0
                return self.reg if self.reg <= 1e12 else None
            if self.zeta <= 1.05:
                return None
            prev = reg * self.zeta
            self.zeta = 1.0 + (self.zeta - 1.0) / 4.0
            return prev / self.zeta
        if self.out_of_budget() or reg <= self.reg_min:
            return None
        steps, z = stage.n_iter, self.zeta
        self.zeta = min(z * 2.0, 100.0) if steps <= 3 else (max(z / 2.0, 1.5) if steps > 12 else z)
        reg_next = reg / self.zeta
        return reg_next if self.reg_final is None else max(reg_next, self.reg_final)

    def result(self):
        """The result of a path that stopped before the LP tolerance: the best point seen."""
        A, b, c, x, nu = self.A, self.b, self.c, self.x, self.nu
        if x is None:
            # the first stage ended unsolved: a limit when the budget ran out (scipy's status 1,
            # not 4: nothing numerical went wrong), else a real failure
            if self.out_of_budget():
                return PathResult(np.zeros(A.shape[1]), nu, self.reg, 1, self.nit, self.stages,
                                  False, np.inf, np.inf, np.inf,
                                  "time or iteration limit before the first λ was solved")
            return PathResult(np.zeros(A.shape[1]), nu, self.reg, 4, self.nit, self.stages,
                              False, np.inf, np.inf, np.inf, "Newton failed at the first λ")
        pf, df, gp = lp_measures(A, b, c, x, nu, AT=self.AT)
        if (self.reg_final is None and self.use_polish and max(df, gp) <= 1e-3
                and self.polished_x is not x):  # the last stage's polish was skipped
            done = self._polish(self.reg)
            if done is not None:
                return done
        xo, nuo, polished = x, nu, False
        if self.best is not None and self.best[0] < max(pf, df, gp):
            xo, nuo = self.best[1]
            pf, df, gp = lp_measures(A, b, c, xo, nuo, AT=self.AT)
            polished = True
        limit = self.out_of_budget()
        return PathResult(xo, nuo, self.reg, 1 if limit else 4, self.nit, self.stages, polished,
                          pf, df, gp,
                          "time or iteration limit" if limit else _STALLED)


def _path_following(A, b, c, tol=1e-9, reg0=None, reg_min=1e-13, max_newton=2000,
                    time_limit=np.inf, nu0=None, reg_final=None, use_polish=True,
                    blowup=1e9, newton="cpp", n_diag=0):
    """Continuation in λ for the entropic LP; stops at the LP tolerance (or at reg_final).

    With ``reg_final`` set, returns the exact entropic solution at that λ (no polish).
    ``n_diag``: the first n_diag rows of A touch disjoint sets of columns (transport's source
    rows), so the C++ Newton solves its systems through the Schur complement on the others.
    """
    deadline = time.perf_counter() + time_limit
    m, n = A.shape
    A = sp.csr_matrix(A) if not sp.issparse(A) else A.tocsr()
    nu = np.zeros(m) if nu0 is None else nu0.copy()
    reg = reg0 if reg0 is not None else max(1.0, float(np.abs(c).max(initial=0.0)))
    if reg_final is not None:
        reg = max(reg, reg_final)
    path = _LambdaPath(A, b, c, nu, tol=tol, reg_min=reg_min, max_newton=max_newton,
                       deadline=deadline, reg_final=reg_final, use_polish=use_polish,
                       blowup=blowup, newton=newton, n_diag=n_diag)
    _, last = follow_path(path.solve, reg, path.advance, nu)
    return last.info if last.stop else path.result()
