"""Linear programs through diagonal linear networks (Wang, Ghosal & Mazumder 2023)."""
from __future__ import annotations

import dataclasses
import time
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult

from dlnfast._validation import user_repr
from dlnfast.lp import _kernel
from dlnfast.lp._duals import marginals, row_duals
from dlnfast.lp._entropic import elastic_path_following, lp_measures, path_following, polish
from dlnfast.lp._history import Recorder
from dlnfast.lp._options import check_solver_options
from dlnfast.lp._presolve import Presolved, presolve
from dlnfast.lp._standard_form import StandardForm, to_standard_form, validate

_MESSAGES = {
    0: "Optimization terminated successfully.",
    1: "Iteration or time limit reached.",
    2: "The problem is infeasible.",
    3: "The problem is unbounded.",
    4: "Numerical difficulties encountered.",
}


def spectral_norm_sq(A):
    """An upper bound on ‖A‖₂², as the paper's step rule needs: Lanczos (ARPACK's svds, a few
    products with A and Aᵀ, converged to 1e-10) above 100 rows and columns, the exact dense
    norm below; never a dense SVD of a large A."""
    m, n = A.shape
    if min(m, n) == 0 or A.nnz == 0:
        return 1.0
    if min(m, n) <= 100:
        M = A.toarray() if sp.issparse(A) else A
        s = np.linalg.norm(M, 2)
    else:
        from scipy.sparse.linalg import svds

        v0 = np.ones(min(m, n))
        s = svds(A, k=1, return_singular_vectors=False, v0=v0, tol=1e-10)[0]
    # 1e-6 relative margin covers the eigen-solver's tolerance
    return max(float(s) ** 2 * (1 + 1e-6), 1e-300)


def cheap_norm_sq_bound(A):
    """min(‖A‖_F², ‖A‖₁‖A‖∞) ≥ ‖A‖₂², from one pass over the entries (no iteration)."""
    absA = abs(A)
    fro = float(absA.multiply(absA).sum()) if sp.issparse(A) else float((absA ** 2).sum())
    one = float(np.asarray(absA.sum(axis=0)).max(initial=0.0))
    inf = float(np.asarray(absA.sum(axis=1)).max(initial=0.0))
    return max(min(fro, one * inf), 1e-300)


def norm_sq_for(rule, step_size, A):
    """‖A‖₂² only where the step rule uses it: the paper's rule needs an upper bound on it; the
    adaptive rule only its first trial step (a cheap bound is enough: the trial step grows
    ×1.25 per accepted step); a fixed step none."""
    if step_size is not None:
        return 1.0  # unused by the fixed rule
    return spectral_norm_sq(A) if rule == "paper" else cheap_norm_sq_bound(A)


def _diagnose(sf: StandardForm, deadline):
    """Decide infeasible (2) / unbounded (3) / unknown (None) with two auxiliary LPs.

    Phase 1 (elastic): min 1ᵀ(p + q) s.t. Ây + p − q = b̂, all ≥ 0. It is strictly feasible and
    bounded below by 0; an optimum clearly above 0 proves the LP infeasible. Ray LP:
    min ĉᵀd s.t. Âd = 0, 1ᵀd = 1, d ≥ 0 (solved elastically): a feasible ray LP with a negative
    optimum gives an improving ray of a feasible LP, which is then unbounded.
    """
    A, b, c = sf.A, sf.b, sf.c
    m, n = A.shape
    I = sp.eye(m, format="csr")
    A1 = sp.hstack([A, I, -I], format="csr")
    c1 = np.concatenate([np.zeros(n), np.ones(2 * m)])
    left = max(5.0, deadline - time.perf_counter())
    r1 = path_following(A1, b, c1, tol=1e-9, time_limit=left / 2)
    mass = float(c1 @ r1.x)
    bnorm = 1.0 + float(np.abs(b).max(initial=0.0))
    if mass > 1e-6 * bnorm and (r1.status == 0 or float(b @ r1.nu) > 1e-6 * bnorm):
        return 2, (f"the least constraint violation 1ᵀ|Ây − b̂| over y ≥ 0 is {mass:.3e} "
                   f"(scaled standard form), not 0")
    if mass <= 1e-7 * bnorm:
        A2 = sp.vstack([A, sp.csr_matrix(np.ones((1, n)))], format="csr")
        b2 = np.concatenate([np.zeros(m), [1.0]])
        left = max(5.0, deadline - time.perf_counter())
        r2, mass2, _ = elastic_path_following(A2, b2, c, tol=1e-9, time_limit=left)
        ray = float(c @ r2.x)
        if mass2 <= 1e-9 and ray < -1e-7:
            return 3, f"an improving ray d ≥ 0 with Âd = 0, 1ᵀd = 1 and ĉᵀd = {ray:.3e} exists"
        if sf.dropped.get("unbounded_column"):
            return 3, "a variable with negative cost appears in no constraint"
    return None, ""


def linprog(c, A_ub=None, b_ub=None, A_eq=None, b_eq=None, bounds=(0, None), *, method="newton",
            reg=None, tol=1e-8, maxiter=None, time_limit=None, c0=0.0, step_rule="auto",
            step_size=None, scale=True, n_jobs=None, callback=None, init_scale=None):
    r"""Solve a linear program through the dynamics of a diagonal linear network.

    Same problem and call as :func:`scipy.optimize.linprog`::

        min  cᵀx + c0   s.t.  A_ub x ≤ b_ub,  A_eq x = b_eq,  bounds[j][0] ≤ x_j ≤ bounds[j][1]

    The problem is reduced to the standard form ``min ĉᵀy s.t. Ây = b̂, y ≥ 0`` (shifts, splits of
    free variables, slacks, box rows, Ruiz scaling) and solved there by the DLN dynamics of
    Wang, Ghosal & Mazumder (2023): y = u⊙u, gradient descent on ``f(u) = ½‖Â(u⊙u) − b̂‖²`` from
    ``u₀ = exp(−ĉ/(2λ))``. The flow converges to the *entropic LP*
    ``min ĉᵀy + λ Σ (y log y − y) s.t. Ây = b̂``, which tends to an LP optimum as λ → 0.

    Parameters
    ----------
    c : array_like, shape (n,)
        Cost vector (any sign).
    A_ub, b_ub : array_like or scipy.sparse matrix, shape (p, n) and (p,), optional
        Inequality constraints ``A_ub x ≤ b_ub``.
    A_eq, b_eq : array_like or scipy.sparse matrix, shape (q, n) and (q,), optional
        Equality constraints.
    bounds : pair or sequence of n pairs, default (0, None)
        Bounds per variable as in scipy (``None`` = no bound).
    method : {"newton", "dln", "eg"}, default "newton"
        ``"dln"``: the paper's gradient descent on the factors u (C++ kernel, log-domain state).
        ``"eg"``: exponentiated gradient ``y ← y⊙exp(−4η Âᵀr)`` (mirror descent, no O(η) bias).
        ``"newton"``: exact solve of the entropic LP through its dual,
        ``min_ν λ Σ exp((Âᵀν − ĉ)/λ) − b̂ᵀν``, by Newton's method (where the DLN lands); with
        continuation in λ this is the method that reaches tight LP tolerances.
    reg : float > 0 or None, default None
        λ, the entropic regularisation, in the scaled standard form (``res.certificate`` holds
        that form; with ``scale=False`` and a standard-form input it is the user's own problem).
        ``None``: continuation, λ is driven down until the LP tolerance is met. With ``reg``
        given the entropic LP is the problem solved: it has a unique finite optimum for every
        feasible LP, bounded or not (the entropy grows faster than any linear cost), so an
        unbounded LP gives status 0 and that optimum; status 3 only when a variable with a
        negative cost appears in no constraint (the standard form drops such columns; a
        dropped column with a cost ≥ 0 is returned at its bound, not at exp(−c_j/λ)).
    tol : float, default 1e-8
        With ``reg=None``: relative primal infeasibility, dual infeasibility and duality gap of
        the standard form. With ``reg`` given: ``‖Ây − b̂‖₂ ≤ tol·(1 + ‖b̂‖₂)``.
    maxiter : int, optional
        Iteration budget (GD/EG iterations, or Newton steps). Default 10⁶ for "dln"/"eg",
        10⁴ for "newton" (one budget over every big-M round of the elastic form).
    time_limit : float, optional
        Seconds (default: none for "newton", 600 for "dln"/"eg").
    c0 : float, default 0.0
        Objective constant, added to ``res.fun`` (the ``c0`` of :func:`dlnfast.read_mps`).
    step_rule : {"auto", "adaptive", "paper"}, default "auto"
        DLN/EG step. ``"auto"``: ``"paper"`` with continuation in λ (``reg`` and
        ``init_scale`` not given), ``"adaptive"`` for one run at a given λ. The continuation
        runs each stage with momentum, restarted whenever a step raises f; the adaptive rule
        raises f by design every few steps (its trial step grows until one is undone), which
        restarted the momentum every ~3 steps: with the paper's rule the small netlib
        instances need 4–9× fewer steps, and kb2 and four LPs of scipy's suite are solved
        within the default maxiter (benchmarks/README.md).
        ``"paper"``: ``η = min{1/(4‖Âᵀr‖∞), 1/(5‖Â‖₂²‖u‖∞²)}``, which keeps every
        factor ≥ ½ and f decreasing. ``"adaptive"``: ``η = min{1/(4‖Âᵀr‖∞), s}`` with s grown
        ×1.25 after each step and halved after any step that increases f, which is undone. The
        first term still keeps every factor ≥ ½ and the rollback keeps f monotone, so both
        properties the paper's analysis needs hold, while s tracks the local curvature
        (about ``‖Â diag(u)‖₂²``, often far below ``‖Â‖₂²‖u‖∞²``); about 10× fewer iterations
        in one run without momentum.
    step_size : float > 0, optional
        A fixed step η for "dln"/"eg" (overrides ``step_rule``); a step that would flip a
        factor's sign (2η|Âᵀr|_j ≥ 1), or lets f = ½‖Ây − b̂‖² grow past 4× its initial
        value, stops the run with status 4 and a message naming η. Smaller steps shrink the
        certificate ω = O(η) (:ref:`ug-identities`).
    scale : bool, default True
        Ruiz-equilibrate the standard form (with ``init_scale``: rows only, see there).
    init_scale : float in (0, 1), optional
        The paper's initialisation scale α for "dln"/"eg": ``u₀ = α**c``, i.e.
        ``x₀ = exp(−c/λ)`` with ``λ = 1/(2 log(1/α))``, one run at that λ (no continuation;
        excludes ``reg``), **in the user's units**: the run converges to the entropic LP
        ``min cᵀy + λ Σ (y_j log y_j − y_j) s.t. Ây = b̂, y ≥ 0`` written in the user's own
        standard-form variables, unscaled — y is x itself for an input already in standard
        form (``A_eq``, ``b_eq``, ``x ≥ 0``); otherwise y holds ``x_j − l_j`` (``u_j − x_j`` for
        a variable with only an upper bound), the positive and negative parts of a free
        variable, the slacks ``b_ub − A_ub x`` and the box slacks ``u_j − x_j`` (fixed
        variables are constants). So that this stays exact, presolve is skipped and the
        scaling keeps the entropy: ``scale=True`` equilibrates rows only (which leaves the
        problem unchanged) and scales y by one scalar β, cancelled by a shift of ĉ
        (Ruiz's column scaling would weight the entropy per column: ``Σ y_j log y_j`` would
        become ``Σ y_j/d_j log(y_j/d_j)``, another problem). Row scaling changes the loss
        ``½‖Ây − b̂‖²`` that GD descends, hence the path and, for "dln", the O(η) bias ω, not
        the flow's limit; ``scale=False`` runs the paper's iteration on the user's A and b
        exactly. ``res.reg`` is this λ, ``res.init_scale`` α.
    n_jobs : int or None
        Threads for the C++ kernels (None: OpenMP's limit). Results do not depend on it.
    callback : callable, optional
        ``callback(res)`` with an :class:`~scipy.optimize.OptimizeResult` as scipy's
        ``linprog`` passes: ``x``, ``fun`` (with c0), ``slack``, ``con`` (in the user's
        variables), ``nit``, ``phase`` (2), ``status`` (0 while running), ``message``,
        ``complete`` (False while running), plus ``reg`` (λ) and ``residual`` (the relative
        primal residual of ``res.history``). Granularity: "dln"/"eg" call it at every row of
        ``res.history`` (every 200 iterations at first, see there, and at the end of each λ
        stage); "newton" at its final point (its Newton steps run inside the solver). Every
        method calls it a last time with the final result and ``complete=True``. Its return value is
        ignored; an exception it raises stops the solve and propagates. Calling it does not
        change the iterates (the kernel runs in resumable pieces).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``fun`` (includes c0), ``ineqlin``, ``eqlin``, ``lower``, ``upper`` (each with
        ``marginals`` and ``residual``, as scipy's HiGHS methods: ∂fun/∂b_ub, ∂fun/∂b_eq,
        ∂fun/∂l, ∂fun/∂u, from the final dual ν — the entropic dual with ``reg`` given — and
        postsolved through presolve, see :mod:`dlnfast.lp._duals`), ``status`` (0 optimal, 1 iteration/time limit,
        2 infeasible, 3 unbounded, 4 numerical difficulties), ``message``, ``success``, ``nit``
        (Newton steps, or accepted GD/EG steps; 0 when presolve decides the LP),
        ``slack`` (b_ub − A_ub x), ``con`` (b_eq − A_eq x), ``reg`` (the final λ),
        ``lp_residuals`` (primal, dual, gap of the standard form), ``polished`` (the final
        point is the projection onto the detected optimal face, or the crossover's vertex
        when the λ path stalled short of the tolerance), ``certificate``: for "dln"/"eg",
        the standard form (``A``, ``b``, ``c``), its point ``y``, ``reg`` = λ, ``omega`` = ω and
        ``dual`` = ν with ``λ log y = Âᵀν − ĉ − λω`` exactly: y solves the entropic LP with cost
        ``ĉ + λω`` (ω = 0 for EG) and right-hand side ``Ây`` (:ref:`ug-identities`).
        ``history``: arrays ``nit`` (accepted steps so far), ``reg`` (λ), ``fun`` (objective in
        the user's units, with c0), ``residual`` (‖Ây − b̂‖₂ / (1 + ‖b̂‖₂), the scaled
        standard form's relative primal residual) and ``loss`` (the paper's
        f = ½‖Ây − b̂‖²), one entry per record. "dln"/"eg" record every 200 iterations and
        at the end of each λ stage; at most 1000 records are kept: when full, every other
        one is dropped and the interval doubles (memory never grows with ``maxiter``).
        "newton" records its final point only.

    Notes
    -----
    A presolve (:mod:`dlnfast.lp._presolve`: empty and singleton rows, columns in no row)
    runs first; an LP it decides takes ``nit = 0``, as with scipy's HiGHS.
    Infeasibility and unboundedness are decided, when the main solve does not reach the
    tolerance (for "dln"/"eg" also when it stops at ``maxiter``; with ``reg`` given too), by two
    auxiliary LPs solved by Newton whatever the method: phase 1 ``min 1ᵀt s.t. Ây + Et = b̂``
    and the ray LP ``min ĉᵀd s.t. Âd = 0, 1ᵀd = 1, d ≥ 0``. A time limit that expires is
    status 1 and starts no auxiliary solve. Status 0 is returned only for a point that
    satisfies the user's constraints to ``max(1e-6, 1e3·tol)`` relative to each row's own
    scale; tolerances are unit-free (b̂ and ĉ are scaled to ∞-norm one). "dln" and "eg" with ``reg=None``
    restart each λ stage from ``log y₀ = (Âᵀν − ĉ)/λ``, a valid DLN initialisation with the same
    implicit bias, and polish like "newton"; from the third stage on ν is the previous stage's
    plus a damped secant step along the dual path ν(λ) (the step, from none to the full
    secant, with the smallest starting residual; ~20 % fewer steps on blend, kb2, sc50a). A
    stage that uses ``0.4·maxiter`` attempts without converging is dropped, and the path
    retreats to the last converged stage with the λ cut's square root (4 → 2 → …): after a too
    large cut the basic columns restart collapsed (x_j^4) and the stage crawls (adlittle). Each stage stops
    at a relative feasibility ``0.1·λ`` (its entropic bias is O(λ) anyway) and runs with heavy-ball
    momentum on (log u, ω, Σηr), restarted whenever it would increase f: the state stays an
    affine combination of DLN/EG states, so the certificate identity and the implicit bias
    are unchanged. With ``reg`` or ``init_scale`` given there is no momentum: the run is the
    paper's iteration.

    References
    ----------
    Y. Wang, R. Ghosal, R. Mazumder, "Linear programming using diagonal linear networks",
    arXiv:2310.02535 (2023).

    Examples
    --------
    >>> import dlnfast
    >>> res = dlnfast.linprog([-1, -2], A_ub=[[1, 1]], b_ub=[1])
    >>> round(res.fun, 6)
    -2.0
    """
    t_start = time.perf_counter()
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    if isinstance(step_rule, str) and step_rule == "auto":
        # the continuation's momentum needs steps that never raise f (each raise restarts it):
        # the paper's rule; a single run at a given λ has no momentum: the adaptive rule
        step_rule = "paper" if reg is None and init_scale is None else "adaptive"
    opts = check_solver_options(method=method, reg=reg, tol=tol, maxiter=maxiter,
                                time_limit=time_limit, step_rule=step_rule, step_size=step_size,
                                n_jobs=n_jobs)
    if not isinstance(scale, (bool, np.bool_)):  # "yes", None, 2 passed silently as truthy/falsy
        raise TypeError(f"scale must be a bool (Ruiz-equilibrate the standard form or not), got "
                        f"{user_repr(scale)}")
    if isinstance(c0, (bool, np.bool_)) or not isinstance(c0, Real) or not np.isfinite(c0):
        raise ValueError(f"c0 must be a finite float, got {c0!r}")
    alpha = _check_init_scale(init_scale, method, reg)
    c, A_ub, b_ub, A_eq, b_eq, lo, hi = validate(c, A_ub, b_ub, A_eq, b_eq, bounds)
    if alpha is None:
        pre = presolve(c, A_ub, b_ub, A_eq, b_eq, lo, hi)
    else:  # no presolve: a singleton row turned into a bound would change whose entropy counts
        pre = Presolved(A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, lo=lo, hi=hi,
                        ub_keep=np.arange(b_ub.size), eq_keep=np.arange(b_eq.size))
    sf = to_standard_form(c, pre.A_ub, pre.b_ub, pre.A_eq, pre.b_eq, pre.lo, pre.hi, c0=c0,
                          scale=("rows" if scale else False) if alpha is not None else scale)
    cost = sf.c
    if alpha is not None:
        # λ = 1/(2 log(1/α)) in the user's units is λ̂ = λ/γ in the scaled form, whose
        # entropy differs from the user's by λ̂·log β·Σŷ: shift ĉ to cancel it (then
        # u₀ = exp(−ĉ'/(2λ̂)) is the paper's α^c in the user's units, see the docstring)
        lam_user = 1.0 / (2.0 * -np.log(alpha))
        opts = dataclasses.replace(opts, reg=lam_user / sf.c_scale)
        cost = sf.c + opts.reg * np.log(sf.b_scale)
    deadline = t_start + opts.time_limit

    def point(y, full):
        x = sf.to_original(y)
        fun = _objective(c, x, c0)
        if not full:
            return x, fun, None, None
        with np.errstate(over="ignore", invalid="ignore"):
            return x, fun, b_ub - A_ub @ x, b_eq - A_eq @ x

    recorder = Recorder(point, 1.0 + float(np.linalg.norm(sf.b)), callback)
    if alpha is not None:
        recorder.reg_override = lam_user

    def finish(y, status, message, nit, extra):
        out = _finish(y, status, message, nit, extra)
        if not recorder.rows and y is not None and np.all(np.isfinite(out.x)):
            r = sf.A @ y - sf.b
            recorder.record(y, out.nit, out.get("reg") or np.nan, 0.5 * float(r @ r))
        out.history = recorder.history()
        recorder.finish(out)
        return out

    def _finish(y, status, message, nit, extra):
        nu = extra.pop("_nu", None)
        if status == 0 and y is not None:  # status 0 only for a point checked in the user's units
            bad = _verify(sf.to_original(y), A_ub, b_ub, A_eq, b_eq, lo, hi, opts.tol,
                          xunit=abs(sf.T) @ (sf.col_scale * sf.b_scale))
            if bad:
                status, message = 4, f"{_MESSAGES[4]} The point found fails the check on the " \
                    f"original problem: {bad}."
        x = sf.to_original(y) if y is not None else np.full(c.size, np.nan)
        fun = _objective(c, x, c0) if y is not None else np.nan
        if status == 0 and not np.isfinite(fun):  # c ~ 1e299 at x ~ 1e10: cᵀx beyond the range
            status, message = 4, f"{_MESSAGES[4]} The objective cᵀx + c0 at the point found is " \
                f"{fun}, beyond the float64 range (rescale c)."
        with np.errstate(over="ignore", invalid="ignore"):
            slack = b_ub - A_ub @ x if y is not None else np.full(b_ub.size, np.nan)
            con = b_eq - A_eq @ x if y is not None else np.full(b_eq.size, np.nan)
        out = OptimizeResult(
            x=x, fun=fun, status=status, success=status == 0,
            message=message or _MESSAGES[status], nit=int(nit), method=method, slack=slack, con=con,
        )
        out.update(extra)
        if y is not None:  # dual values as scipy's HiGHS methods return them
            out.update(marginals(pre, c, A_ub, b_ub, A_eq, b_eq, lo, hi, x, *row_duals(sf, nu)))
        return out

    if pre.status:
        return finish(None, pre.status, pre.message, 0, {})
    if sf.status:
        return finish(None, sf.status, sf.message, 0, {})
    trivial = _solve_trivial(sf, opts.reg)
    if trivial is not None:
        return finish(*trivial)
    if method == "newton" and opts.reg is not None:
        return finish(*_unbounded_column(sf, *_solve_entropic(sf, opts, deadline), deadline,
                                         decide_limits=False))
    if method == "newton":
        y, nit, status, msg, extra = _solve_newton(sf, opts, deadline)
    else:
        y, _, nit, status, msg, extra = _solve_dynamics(sf, opts, deadline, recorder, cost)
        if alpha is not None:
            extra.update(reg=lam_user, init_scale=alpha)
        if opts.reg is not None:
            return finish(*_unbounded_column(sf, y, status, msg, nit, extra, deadline,
                                             decide_limits=True))
    return finish(*_conclude(sf, y, nit, status, msg, extra, opts.tol, deadline,
                             decide_limits=method != "newton"))


def _objective(c, x, c0):
    """cᵀx + c0 computed as max|c|·((c/max|c|)ᵀx): no partial sum overflows unless the value
    itself is beyond the float range (then ±inf, without a warning)."""
    s = float(np.max(np.abs(c), initial=0.0))
    if s == 0.0 or not np.all(np.isfinite(x)):
        with np.errstate(invalid="ignore"):
            return float(c @ x) + float(c0)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(s * float((c / s) @ x)) + float(c0)


def _check_init_scale(init_scale, method, reg):
    """α for ``init_scale`` (None when not given), with the errors that name it."""
    if init_scale is None:
        return None
    if method not in ("dln", "eg"):
        raise ValueError(f"init_scale applies to method='dln' or 'eg' (the paper's dynamics), "
                         f"got method={method!r}")
    if reg is not None:
        raise ValueError("give init_scale or reg, not both: init_scale = α sets "
                         "λ = 1/(2 log(1/α)) in the user's units")
    if isinstance(init_scale, (bool, np.bool_)) or not isinstance(init_scale, Real) \
            or not (0.0 < init_scale < 1.0):
        raise ValueError(f"init_scale must be a float in (0, 1) (u₀ = init_scale**c), got "
                         f"{init_scale!r}")
    return float(init_scale)


def _unbounded_column(sf, y, status, msg, nit, extra, deadline=np.inf, decide_limits=False):
    """The result of a solve at the user's λ: a feasible point (status 0) proves the LP unbounded
    when a dropped column (in no constraint) has a negative cost; a failed solve (an iteration
    limit with time left, or numerical trouble) runs the auxiliary LPs, which may prove the LP
    infeasible (then so is its entropic problem) or unbounded. ``decide_limits``: an iteration
    limit also runs them (the dynamics, unlike Newton's elastic path, cannot tell an infeasible
    LP from a slow one; a Newton limit is a real budget and is reported as is)."""
    if status == 0 and sf.dropped.get("unbounded_column"):
        return (None, 3, "The problem is unbounded: a variable with negative cost appears in "
                "no constraint.", nit, extra)
    if status == 4 or status == 1 and decide_limits and time.perf_counter() < deadline:
        decided = _decide(sf, deadline)
        if decided is not None:
            return (None, *decided, nit, extra)
    return y, status, msg, nit, extra


def _decide(sf, deadline):
    """(2 or 3, message) when the auxiliary LPs decide infeasible / unbounded, else None. They get
    what is left of time_limit (at least 5 s), or 300 s without one."""
    diag_deadline = deadline if np.isfinite(deadline) else time.perf_counter() + 300.0
    diag, why = _diagnose(sf, max(diag_deadline, time.perf_counter() + 5.0))
    if diag == 2:
        return 2, f"The problem is infeasible: {why}."
    if diag == 3:
        return 3, f"The problem is unbounded: {why}."
    return None


def _verify(x, A_ub, b_ub, A_eq, b_eq, lo, hi, tol, xunit=None):
    """'' if x satisfies the user's constraints to a tolerance relative to each row's own scale
    (|b_i| + Σ_j |a_ij x_j|, so units do not matter) above rounding noise, else what fails.

    ``xunit``: what one unit of the scaled standard form is in x (|T| D_c β); a row is also
    accepted within tol·Σ_j |a_ij|·xunit_j, the standard form's own tolerance in the user's
    units (a row with b_i = 0 at x ≈ 0 has no scale of its own: 7.7e-27 off is not a failure).
    """
    rtol = max(1e-6, 1e3 * tol)
    if not np.all(np.isfinite(x)):
        return "x is not finite"
    for name, A, b, eq in (("A_eq x = b_eq", A_eq, b_eq, True), ("A_ub x <= b_ub", A_ub, b_ub, False)):
        if not b.size:
            continue
        r = A @ x - b
        viol = np.abs(r) if eq else np.maximum(r, 0.0)
        absA = abs(A)
        scale = np.abs(b) + absA @ np.abs(x)
        # rounding floor: x is known to about eps·max|x| in every entry (entries that should be
        # 0 come back as ±1e-17 noise), which row i turns into eps·Σ_j|a_ij|·max|x|
        noise = 1e3 * np.finfo(float).eps * np.asarray(absA.sum(axis=1)).ravel() * np.abs(x).max(initial=0.0)
        if xunit is not None:
            noise = noise + tol * (absA @ xunit)
        worst = viol - rtol * scale - noise
        if np.any(worst > 0):
            i = int(np.argmax(worst))
            return f"row {i} of {name} is off by {viol[i]:.3e} (row scale {scale[i]:.3e})"
    sc = np.abs(x)
    low = np.where(np.isfinite(lo), lo - x, 0.0) - rtol * np.where(np.isfinite(lo), np.abs(lo) + sc, 0.0)
    up = np.where(np.isfinite(hi), x - hi, 0.0) - rtol * np.where(np.isfinite(hi), np.abs(hi) + sc, 0.0)
    if np.any(low > 0) or np.any(up > 0):
        return "a bound is violated"
    return ""


def _solve_trivial(sf, reg):
    """The answer when the reduction left no variable or no constraint, else None."""
    A, b, cs = sf.A, sf.b, sf.c
    m, n = A.shape
    if n == 0:  # every variable fixed or dropped
        pf = float(np.abs(b).max(initial=0.0))
        if pf > 1e-9:
            return None, 2, "The problem is infeasible (all variables fixed).", 0, {}
        # feasible, but a dropped column (in no constraint) with negative cost grows freely
        if sf.dropped.get("unbounded_column"):
            return (None, 3, "The problem is unbounded: a variable with negative cost appears in "
                    "no constraint.", 0, {})
        return np.zeros(0), 0, "", 0, {"reg": reg}
    if m == 0:  # no constraints left: y = 0 is optimal unless a cost is negative
        if np.any(cs < 0) or sf.dropped.get("unbounded_column"):
            return (None, 3, "The problem is unbounded: a variable with negative cost is free to grow.",
                    0, {})
        return np.zeros(n), 0, "", 0, {"reg": reg}
    return None


def _solve_entropic(sf, opts, deadline):
    """Newton at the user's λ: the exact entropic optimum (no polish, no diagnosis)."""
    A, b, cs = sf.A, sf.b, sf.c
    r = path_following(A, b, cs, reg_final=opts.reg, max_newton=opts.max_iter,
                       time_limit=deadline - time.perf_counter())
    # PathResult statuses are already linprog's (0 optimal, 1 limit, 4 numerical)
    return (r.x, r.status, "" if r.status == 0 else r.message, r.nit,
            {"reg": r.reg, "lp_residuals": (r.pfeas, r.dfeas, r.gap), "polished": False,
             "_nu": r.nu, "certificate": {"A": A, "b": b, "c": cs, "y": r.x, "dual": r.nu, "reg": r.reg,
                             "omega": np.zeros(A.shape[1])}})


def _solve_newton(sf, opts, deadline):
    """Newton with continuation in λ on the elastic form, down to the LP tolerance."""
    r, mass, big_m = elastic_path_following(sf.A, sf.b, sf.c, tol=opts.tol,
                                            max_newton=opts.max_iter,
                                            time_limit=deadline - time.perf_counter())
    extra = {"reg": r.reg, "lp_residuals": (r.pfeas, r.dfeas, r.gap), "polished": r.polished,
             "elastic": {"big_m": big_m, "violation": mass}, "_nu": r.nu}
    return r.x, r.nit, r.status, r.message, extra


def _conclude(sf, y, nit, status, msg, extra, tol, deadline, decide_limits=False):
    """The final (y, status, message, nit, extra) of an LP solve with reg=None: report a limit,
    accept an optimum, or decide infeasible / unbounded with the auxiliary LPs (after an
    iteration limit too with ``decide_limits``, see `_unbounded_column`)."""
    if status == 1 and (not decide_limits or time.perf_counter() >= deadline):
        # a limit was hit: report it, do not start auxiliary solves
        return (y, 1, f"{_MESSAGES[1]} {msg}; residuals (primal, dual, gap) = "
                f"{extra.get('lp_residuals')} above tol = {tol:g}.", nit, extra)
    if status == 0:
        if sf.dropped.get("unbounded_column"):
            return (None, 3, "The problem is unbounded: a variable with negative cost appears in "
                    "no constraint.", nit, extra)
        return y, 0, "", nit, extra
    decided = _decide(sf, deadline)
    if decided is not None:
        return (None, *decided, nit, extra)
    if status == 1:  # an iteration limit on an LP the auxiliary problems could not decide
        return (y, 1, f"{_MESSAGES[1]} {msg}; residuals (primal, dual, gap) = "
                f"{extra.get('lp_residuals')} above tol = {tol:g}.", nit, extra)
    return (y, status, f"{_MESSAGES[status]} {msg}; residuals (primal, dual, gap) = "
            f"{extra.get('lp_residuals')} above tol = {tol:g}.", nit, extra)


def _solve_dynamics(sf, opts, deadline, recorder, cost=None):
    """DLN GD / EG at a fixed λ, or with continuation in λ (warm-started) and polish; a row of
    ``recorder`` (history, callback) every ``recorder.stride`` iterations and per stage.
    ``cost``: the scaled cost the dynamics start from (default ĉ; init_scale shifts it)."""
    A, b = sf.A, sf.b
    c = sf.c if cost is None else cost
    op = _kernel.LpOperator(A)
    b = np.ascontiguousarray(b)
    bnorm2 = 1.0 + float(np.linalg.norm(b))
    kernel = dict(update=_kernel.update_rule(opts.method),
                  step_rule=_kernel.step_rule(opts.step_rule, opts.step_size),
                  n_threads=opts.n_threads,
                  norm_a_sq=norm_sq_for(opts.step_rule, opts.step_size, A),
                  step_size=opts.step_size)

    def certificate(x, nu, omega, lam):
        return {"A": A, "b": b, "c": c, "y": x, "dual": nu, "reg": lam, "omega": omega}

    done = {"nit": 0}  # accepted steps of the stages before the running one

    def hook(lam):
        def on_chunk(state, summary):
            recorder.record(state()[0], done["nit"] + summary.n_iter - summary.n_rejected, lam,
                            summary.loss)
        return dict(chunk=lambda: recorder.stride, on_chunk=on_chunk)

    if opts.reg is not None:
        x, nu, omega, r = _kernel.run_dynamics(
            op, b, c, opts.reg, tol=opts.tol * bnorm2, max_iter=opts.max_iter,
            time_limit=max(0.0, deadline - time.perf_counter()), **kernel, **hook(opts.reg))
        if np.all(np.isfinite(x)):
            recorder.record(x, r.n_iter - r.n_rejected, opts.reg, r.loss)
        status, msg = _kernel.kernel_status(r)
        if status != _kernel.NUMERICAL and not np.all(np.isfinite(x)):
            status, msg = _kernel.NUMERICAL, (f"the iterates overflow float64 after {r.n_iter} "
                                              f"iterations (x = exp(2 log u) = inf)")
        with np.errstate(all="ignore"):  # a diverged x may hold inf: the measures say so
            meas = lp_measures(A, b, c, x, nu)
        # nit: accepted steps (maxiter bounds the attempts, rejected adaptive steps included)
        return x, nu, r.n_iter - r.n_rejected, status, msg, {
            "reg": opts.reg, "lp_residuals": meas, "polished": False, "_nu": nu,
            "certificate": certificate(x, nu, omega, opts.reg), "step_rejections": r.n_rejected}

    lam, zeta = 1.0, SCHEDULE["zeta"]
    nu = np.zeros(A.shape[0])
    nit = attempts = stages_done = 0
    best = None
    ok, cut = None, zeta  # the last converged stage (λ, ν); the current λ cut
    while True:
        left_t = deadline - time.perf_counter()
        if left_t <= 0 or attempts >= opts.max_iter:
            break
        stage_tol = max(1e-3 * opts.tol, SCHEDULE["kappa"] * lam) * bnorm2
        stage_cap = max(1, SCHEDULE["min_stage"], int(SCHEDULE["stage_frac"] * opts.max_iter))
        x, nu_new, omega, r = _kernel.run_dynamics(
            op, b, c, lam, tol=stage_tol, max_iter=min(stage_cap, opts.max_iter - attempts),
            time_limit=left_t, nu0=nu, momentum=SCHEDULE["momentum"], **kernel, **hook(lam))
        nit += r.n_iter - r.n_rejected
        done["nit"] = nit
        if np.all(np.isfinite(x)):
            recorder.record(x, nit, lam, r.loss)
        attempts += r.n_iter
        kstatus, kmsg = _kernel.kernel_status(r)
        if kstatus != _kernel.NUMERICAL and not np.all(np.isfinite(x)):
            # x = exp(2 log u) overflows in float64 while log u is still finite: the iterates
            # run off along a ray (an unbounded LP) faster than the loss can tell
            kstatus, kmsg = _kernel.NUMERICAL, (f"the iterates overflow float64 after "
                                                f"{r.n_iter} iterations (x = exp(2 log u) = inf)")
        if kstatus == _kernel.NUMERICAL:
            with np.errstate(all="ignore"):  # x may hold inf: the measures say so (inf/nan)
                meas = lp_measures(A, b, c, x, nu_new)
            return x, nu_new, nit, 4, f"{kmsg} (at reg = {lam:.3g})", {
                "reg": lam, "lp_residuals": meas, "polished": False, "_nu": nu_new}
        nu_prev, nu = nu, nu_new
        best = _best_point(best, A, b, c, x, nu, opts.tol)
        extra = {"reg": lam, "lp_residuals": best[4], "polished": best[3], "_nu": best[2],
                 "certificate": certificate(x, nu, omega, lam)}
        if best[0] <= opts.tol:
            return best[1], best[2], nit, 0, "", extra
        if kstatus != _kernel.OPTIMAL and (r.status != _core_status().max_iter
                                           or attempts >= opts.max_iter):
            break
        if SCHEDULE["retreat"] and kstatus != _kernel.OPTIMAL and ok is not None and cut > 1.05:
            # the stage hit its cap: back to the last converged one, with a gentler cut
            cut = cut ** 0.5
            lam, nu = ok[0] / cut, ok[1]
            continue
        if kstatus == _kernel.OPTIMAL:
            ok = (lam, nu)
        lam /= cut
        if stages_done and SCHEDULE["predictor"]:
            nu = _predict_dual(A, b, c, lam, nu, nu_prev, cut)
        stages_done += 1
    if best is None:
        return np.zeros(A.shape[1]), nu, nit, 1, "no iteration was run", {"reg": lam}
    return best[1], best[2], nit, 1, f"stopped at reg = {lam:.3g}", extra


# The λ schedule of "dln"/"eg" with reg=None. Each stage at λ stops once
# ‖Ây − b̂‖₂ ≤ max(1e-3·tol, kappa·λ)·(1 + ‖b̂‖₂): feasibility beyond the entropic bias, which is
# O(λ), is wasted on a λ that is left anyway (the last stages and the polish get the LP
# tolerance); a stage is capped at stage_frac·maxiter attempts (at least min_stage); λ /= zeta;
# momentum: heavy-ball on (log u, ω, Σηr) with restarts (lp_driver.hpp). Measured on six
# netlib instances, default maxiter 10⁶ (dln): kappa = 0.1 and momentum solve blend (before:
# 2.2e-2 off at the limit) and sc50a (7e-6 off), sc50b in 26k instead of 167k steps, and take
# kb2 from 1.8e-1 to 4e-4 and adlittle from 6.6 to 4e-3 relative error (still at the limit);
# kappa = 1e-2 and 3e-2 did worse on blend, zeta = 2 or 8 worse on all four.
# (Those were measured with the adaptive step; the default with continuation is now the paper's,
# see step_rule="auto".) predictor: each stage after the second starts from the damped secant
# prediction of ν(λ) (`_predict_dual`): with the paper's step blend 68 136 → 53 734 EG steps,
# kb2 426 313 → 346 771, sc50a 7 551 → 5 845, sc50b 6 533 → 6 637 (benchmarks/README.md,
# "Issue 15, session 21").
# retreat: a stage that uses up its cap (stage_frac·maxiter attempts) without converging is
# dropped, and the next one starts from the last converged stage's ν at a λ cut by the square
# root of the last cut (4 → 2 → 1.41 …), which then stays: adlittle's stage at λ = 9.8e-4
# (basic columns collapsed by the ×4 cut) ran out the whole budget; after one retreat to
# λ = 1.95e-3 every stage down to 9.5e-7 converges in 8–15 k steps (solved, 445 000 steps).
# stage_frac 0.25 cut off test_bug_6690's 271 k-step stage; 0.4 leaves it whole.
SCHEDULE = {"zeta": 4.0, "kappa": 0.1, "stage_frac": 0.4, "min_stage": 0, "momentum": True,
            "predictor": True, "retreat": True}


def _start_loss(A, b, c, lam, nu):
    """‖Ax₀ − b‖² at the start x₀ = exp((Aᵀν − c)/λ) a stage would take from ν (exponent
    capped at 700: an overflowing start is just a bad one)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = A @ np.exp(np.minimum((A.T @ nu - c) / lam, 700.0)) - b
        return float(r @ r)


def _predict_dual(A, b, c, lam, nu, nu_prev, zeta):
    """The ν a stage at λ starts from, given the stages' ν at λζ (``nu``) and λζ² (``nu_prev``).

    Near the LP optimum the entropic dual path is ν(λ) ≈ ν* + λν₁, so ν(λ) ≈ ν + (ν − ν_prev)/ζ
    (the secant in λ). Carrying ν over unchanged instead keeps the reduced costs of the last
    λ, which raises every basic x_j to the power ζ at the new start (x_j = 1e-3 → 1e-12 at
    ζ = 4) and leaves the stage to grow it back. Far from that regime the secant overshoots
    (adlittle: start losses 1e45–1e202), so the step along it is damped: the θ in
    {1, ½, …, 2⁻⁷, 0} whose start has the smallest ‖Ax₀ − b‖² (θ = 0: no prediction). The stage
    is still the plain DLN/EG run from x₀ = exp((Aᵀν₀ − c)/λ); only ν₀ changes.
    """
    step = (nu - nu_prev) / zeta
    thetas = [0.5 ** k for k in range(8)] + [0.0]
    losses = [_start_loss(A, b, c, lam, nu + t * step) for t in thetas]
    return nu + thetas[int(np.argmin(losses))] * step


def _core_status():
    from dlnfast import _core
    return _core.Status


def _best_point(best, A, b, c, x, nu, tol):
    """The better of ``best`` and (x, ν) or its polish, as (worst measure, x, ν, polished, measures)."""
    meas = lp_measures(A, b, c, x, nu)
    cand = (max(meas), x, nu, False, meas)
    if max(meas) > tol and max(meas[1:]) <= 1e-3:
        pol = polish(A, b, c, x, nu)
        if pol is not None:
            pm = lp_measures(A, b, c, *pol)
            if max(pm) < cand[0]:
                cand = (max(pm), pol[0], pol[1], True, pm)
    return cand if best is None or cand[0] < best[0] else best
