"""Optimal transport through the DLN dynamics, matrix-free (user guide: :ref:`ug-lp`)."""
from __future__ import annotations

import time
from collections import deque

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult

from dlnfast import _core
from dlnfast._validation import as_real_array, check_real
from dlnfast.lp import _kernel
from dlnfast.lp._entropic import path_following
from dlnfast.lp._options import check_solver_options

_METHODS = ("newton", "network_simplex", "dln", "eg")


def _incidence(n1, n2):
    """The OT constraint matrix without its last (redundant) column-sum row: (n1+n2−1)×(n1·n2)."""
    # built directly in canonical CSR (a COO build and a row slice cost 1.2 ms at 100×100,
    # more than a Newton solve of the entropic problem from a Sinkhorn start)
    src = np.arange(n1 * n2)                                    # row i: columns i·n2 … i·n2 + n2 − 1
    dst = np.arange(n1 * n2).reshape(n1, n2).T[: n2 - 1].ravel()  # row n1 + j: columns j, n2 + j, …
    indices = np.concatenate([src, dst])
    indptr = np.concatenate([np.arange(n1 + 1) * n2, n1 * n2 + np.arange(1, n2) * n1])
    return sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n1 + n2 - 1, n1 * n2))


def transport(a, b, M, reg, *, method="newton", tol=1e-9, maxiter=None, time_limit=None,
              step_rule="adaptive", step_size=None, n_jobs=None, warn=True):
    r"""Entropic (or exact) optimal transport through diagonal-linear-network dynamics.

    Solves ``min_P <M, P> + λ Σ_ij (P_ij log P_ij − P_ij)  s.t.  P1 = a, Pᵀ1 = b, P ≥ 0``
    (``reg = λ``; ``reg=None``: the exact OT linear program). This is the LP of :ref:`ug-lp` with
    A the marginal operator, ``(Aᵀr)_ij = g_i + h_j`` for ``r = (g, h) = (P1 − a, Pᵀ1 − b)``;
    the "dln" and "eg" kernels never build A.

    Parameters
    ----------
    a : array_like, shape (n1,)
        Source marginal, non-negative; empty (``[]``): uniform, as in POT.
    b : array_like, shape (n2,) or (n2, k)
        Target marginal, non-negative, same total mass as ``a`` (relative 1e-8); empty:
        uniform. Two-dimensional (POT's ``ot.sinkhorn`` with several histograms): k target
        marginals, one per column, each solved against ``a`` with the same M; then ``cost``,
        ``status``, ``nit`` and ``marginal_error`` are arrays of length k and ``plan`` has
        shape (k, n1, n2) (see Returns).
    M : array_like or scipy.sparse matrix, shape (n1, n2)
        Cost matrix (finite, any sign). Sparse (POT's ``ot.emd`` convention): only the stored
        entries are allowed edges; needs ``reg=None``, and ``plan`` is then a
        ``scipy.sparse.coo_array`` with M's pattern.
    reg : float > 0 or None
        λ. ``None``: the exact OT linear program, solved by the network simplex (method
        "newton", the default, or "network_simplex"; see Notes).
    method : {"newton", "network_simplex", "dln", "eg"}, default "newton"
        ``"dln"``: gradient descent on P = U⊙U from ``U₀ = exp(−M/(2λ))``,
        ``U ← U⊙(1 − 2η(g_i + h_j))`` (log-domain, C++). ``"eg"``: exponentiated gradient
        ``P ← P⊙exp(−4η(g_i + h_j))``. ``"newton"``: the entropic dual
        ``min λ Σ exp((f_i + g_j − M_ij)/λ) − aᵀf − bᵀg`` solved exactly at λ: Sinkhorn
        sweeps (its alternating exact minimisation) until the marginal error is at most
        ``min(tol, 1e-12)`` of the mass, or, where they contract too slowly to get there
        within 200 sweeps, Newton from the sweeps' (f, g); where exp(−M/λ) underflows,
        Newton with continuation in λ from λ = max(1, max M − min M) (log domain).
        Unlike "dln"/"eg" it builds the sparse marginal operator (2·n1·n2 nonzeros); its
        Newton matrix [[diag(P1), P], [Pᵀ, diag(Pᵀ1)]] is solved through the dense
        (n2−1)² Schur complement diag(Pᵀ1) − Pᵀ diag(P1)⁻¹ P (in C++). With ``reg=None``
        "newton" and "network_simplex" are the same exact solver (see Notes).
    tol : float, default 1e-9
        "dln"/"eg": stop when ``‖(P1 − a, Pᵀ1 − b)‖₂ ≤ tol·(1 + ‖(a, b)‖₂)`` for the
        marginals rescaled to mass one. "newton": the Sinkhorn sweeps stop at a marginal
        error ``‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ ≤ min(tol, 1e-12)·mass``; a Newton stage at
        ``‖P1 − a‖∞ ≤ 1e-10`` (mass one), its quadratic steps overshooting that.
    maxiter, time_limit, step_rule, step_size, n_jobs
        As in :func:`dlnfast.linprog` ("dln": the plan's O(η) bias ω shrinks with step_size).
        With ``reg=None``: ``maxiter`` bounds the simplex pivots (default
        1000·(n1 + n2) + 10⁴, POT's ``numItermax``), ``time_limit`` the seconds (both
        status 1); ``tol``, ``step_rule``, ``step_size`` and ``n_jobs`` are not used (one
        thread, exact to rounding).
    warn : bool, default True
        Warn (sklearn's ``ConvergenceWarning``, a ``UserWarning`` as POT's) where POT warns: a solve
        that stops at ``maxiter`` or
        ``time_limit`` (status 1; POT: "Sinkhorn did not converge…" for ``ot.sinkhorn``,
        "numItermax reached before optimality…" for ``ot.emd``) and numerical trouble
        (status 4; POT: "numerical errors at iteration …"). The status says the same.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``plan`` (n1×n2), ``cost`` = <M, P>, ``status`` (0 converged, 1 iteration/time limit,
        2 infeasible: a sparse M whose edges cannot carry the marginals, 4 numerical
        difficulties), ``success``, ``message``, ``nit`` ("newton": Sinkhorn sweeps plus
        Newton steps, both bounded together by ``maxiter``; "dln"/"eg": accepted iterations;
        simplex pivots with ``reg=None``), ``reg``, for "newton" also ``sweeps`` (the
        Sinkhorn sweeps among ``nit``),
        ``marginal_error`` = ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁; for "dln"/"eg" also ``omega`` (n1×n2):
        the plan is exactly the entropic plan for cost ``M + λω`` and its own marginals;
        for "dln"/"eg" and ``reg=None`` also ``dual = (f, g)``. With ``reg=None`` these are
        the exact OT potentials (POT's ``ot.emd(..., log=True)`` ``'u'``, ``'v'``):
        ``f_i + g_j ≤ M_ij`` on every allowed edge, with equality where the plan is
        positive, ``aᵀf + bᵀg = cost``, centred so that ``aᵀf = bᵀg``.
        With a 2-D ``b``: ``cost`` (k,) — what ``ot.sinkhorn(a, b, M, reg)`` returns for
        such a b — ``plan`` (k, n1, n2), ``status``, ``nit``, ``marginal_error`` (k,),
        ``success`` (all succeeded), ``message`` (the first failure's, if any), and
        ``results``: the k single results.

    Notes
    -----
    Exact OT (``reg=None``) runs a primal network simplex (C++) on the bipartite graph of the
    allowed edges: a spanning-tree basis with node potentials, block-search pricing, the
    strongly-feasible leaving-arc rule (no cycling in degenerate pivots), big-M artificial
    arcs from a root (so a sparse pattern that cannot carry the marginals ends as status 2).
    It returns a vertex of the transportation polytope (at most n1 + n2 − 1 positive entries,
    no cycle) whose marginals are exact to rounding, for float marginals and costs of any
    sign. It starts cold: a warm start (crossover) from the entropic Newton's plan at a
    moderate λ was measured and rejected: it saves 20–40 % of the pivots, but the Newton solve
    at λ = 0.01 alone takes 4.5× (100×100) and 1.5× (500×500) the whole cold simplex
    (benchmarks/README.md), so the entropic path is used only for ``reg > 0``. Ctrl-C stops
    it (KeyboardInterrupt).

    With ``reg > 0`` the solvers see ``a/mass``, ``b/mass`` and ``M − min M`` (the entropic plan is exactly
    invariant under both, since Σ P_ij is fixed by the marginals), so every tolerance is
    relative to the total mass and a constant shift of the costs changes nothing; zero mass
    gives the zero plan. Status 0 only for a finite plan with
    ``‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ ≤ max(1e-6, 1e3·tol)·2·mass``.

    Log-domain state throughout (``reg > 0``), so λ far below the cost scale works: with ``reg=1e-4`` and
    costs in [0.1, 1.1] the kernel exp(−M/λ) underflows to 0 everywhere, which makes
    standard (non-log) Sinkhorn return an all-zero plan; here the plan stays valid.

    References
    ----------
    Y. Wang, R. Ghosal, R. Mazumder, "Linear programming using diagonal linear networks",
    arXiv:2310.02535 (2023).

    Examples
    --------
    >>> import numpy as np, dlnfast
    >>> a = b = np.full(3, 1 / 3)
    >>> M = 1.0 - np.eye(3)
    >>> res = dlnfast.transport(a, b, M, reg=0.05)
    >>> bool(np.allclose(res.plan.sum(axis=1), a))
    True
    """
    if not isinstance(warn, (bool, np.bool_)):
        raise ValueError(f"warn must be a bool, got {warn!r}")
    kwargs = dict(method=method, tol=tol, maxiter=maxiter, time_limit=time_limit,
                  step_rule=step_rule, step_size=step_size, n_jobs=n_jobs)
    if not sp.issparse(b) and np.ndim(b) == 2:
        return _several_targets(a, b, M, reg, warn, kwargs)
    res = _transport(a, b, M, reg, **kwargs)
    if warn:
        _warn_like_pot(res, reg)
    return res


def _warn_like_pot(res, reg):
    """POT's warnings (ot.sinkhorn, ot.emd) for the same outcomes, as sklearn's
    ConvergenceWarning (a UserWarning, POT's category), like the rest of dlnfast."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    if res.status == 1:
        what = ("transport did not converge. You might want to increase the number of "
                "iterations `maxiter` (or `time_limit`) or the regularization parameter `reg`"
                if reg is not None else
                "maxiter (or time_limit) reached before optimality. Try to increase maxiter")
        warnings.warn(f"{what} ({res.message})", ConvergenceWarning, stacklevel=3)
    elif res.status == 4:
        warnings.warn(f"numerical errors after {res.nit} iterations: {res.message}",
                      ConvergenceWarning, stacklevel=3)


def _several_targets(a, b, M, reg, warn, kwargs):
    """k target marginals (the columns of b) against one a and one M: k solves."""
    B = as_real_array(b, "b")
    if B.shape[1] == 0:
        raise ValueError(f"b must have at least one column (target marginal), got shape {B.shape}")
    results = [_transport(a, B[:, k], M, reg, **kwargs) for k in range(B.shape[1])]
    status = np.array([r.status for r in results])
    bad = [r for r in results if r.status != 0]
    res = OptimizeResult(
        plan=np.stack([r.plan for r in results]), cost=np.array([r.cost for r in results]),
        status=status, success=bool(np.all(status == 0)),
        message=bad[0].message if bad else "Optimization terminated successfully.",
        nit=np.array([r.nit for r in results]), reg=results[0].reg, method=results[0].method,
        marginal_error=np.array([r.marginal_error for r in results]), results=results)
    if warn:
        for r in bad[:1]:  # one warning per call, as POT's one loop over all histograms
            _warn_like_pot(r, reg)
    return res


def _transport(a, b, M, reg, *, method, tol, maxiter, time_limit, step_rule, step_size, n_jobs):
    """One (a, b) pair: the body of :func:`transport`."""
    t0 = time.perf_counter()
    if not isinstance(method, str) or method not in _METHODS:  # an array: an ambiguous `in`
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    exact_only = method == "network_simplex"
    opts = check_solver_options(method="newton" if exact_only else method, reg=reg, tol=tol,
                                maxiter=maxiter, time_limit=time_limit, step_rule=step_rule,
                                step_size=step_size, n_jobs=n_jobs)
    if opts.reg is None and method not in ("newton", "network_simplex"):
        raise ValueError("reg=None (exact OT) needs method='newton' or 'network_simplex'")
    if exact_only and opts.reg is not None:
        raise ValueError(f"method='network_simplex' solves exact OT: it needs reg=None, got reg={reg!r}")
    a, b, M = _check_marginals(a, b, M)
    if sp.issparse(M) and opts.reg is not None:
        raise ValueError("M is sparse (POT's convention: only its stored entries are allowed "
                         "edges): a sparse M (an edge list) needs reg=None (exact OT)")
    if opts.reg is None:
        return _network_simplex(a, b, M, maxiter, opts.time_limit, method, t0)
    n1, n2 = M.shape

    def out(P, status, message, nit, **extra):
        err = float(np.abs(P.sum(axis=1) - a).sum() + np.abs(P.sum(axis=0) - b).sum())
        # status 0 only for a plan whose marginals are checked relative to the mass
        if status == 0 and not (np.all(np.isfinite(P)) and np.all(P >= 0)
                                and err <= max(1e-6, 1e3 * opts.tol) * 2.0 * float(a.sum())):
            status = 4
            message = (f"Numerical difficulties encountered: the plan fails the marginal check "
                       f"(‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ = {err:.3e}, mass {float(a.sum()):.3e}).")
        res = OptimizeResult(plan=P, cost=float((M * P).sum()), status=status,
                             success=status == 0, message=message, nit=int(nit), reg=opts.reg,
                             method=method, marginal_error=err)
        res.update(extra)
        return res

    # Solve for Q = P / mass with marginals of mass one and cost M − min M: the entropic plan
    # is invariant under both (Σ P_ij is fixed by the marginals), so P = mass·Q exactly, and the
    # tolerances (relative to (1 + ‖(a, b)‖)) and exp(−M/λ) no longer depend on the user's units.
    mass = float(a.sum())
    if mass == 0.0:
        return out(np.zeros((n1, n2)), 0, "Optimization terminated successfully (zero mass: "
                   "the zero plan).", 0)
    a_u, b_u = a / mass, b / mass
    shift = float(M.min())
    M_u = M - shift
    if method == "newton":
        deadline = t0 + opts.time_limit
        # the sweeps' marginal error: the user's tol, at most 1e-12 (POT at stopThr 1e-9: ~1e-9)
        start = _sinkhorn(a_u, b_u, M_u, opts.reg, min(opts.tol, 1e-12), opts.max_iter, deadline)
        sweeps = 0
        if start is not None:
            nu0, plan, sweeps, converged = start
            if converged:  # the entropic optimum already: Newton would take 0 steps
                return out(mass * plan, 0, "Optimization terminated successfully.", sweeps,
                           reg_reached=opts.reg, sweeps=sweeps)
            if sweeps >= opts.max_iter or time.perf_counter() > deadline:
                return out(mass * plan, 1, "Iteration or time limit reached during the Sinkhorn sweeps.",
                           sweeps, reg_reached=opts.reg, sweeps=sweeps)
        kw = {} if start is None else {"reg0": opts.reg, "nu0": nu0}
        r = path_following(_incidence(n1, n2), np.concatenate([a_u, b_u[:-1]]), M_u.ravel(),
                           reg_final=opts.reg, time_limit=deadline - time.perf_counter(),
                           max_newton=opts.max_iter - sweeps, n_diag=n1, **kw)
        # PathResult statuses are already ours (0 optimal, 1 limit, 4 numerical)
        msg = "Optimization terminated successfully." if r.status == 0 else r.message
        return out(mass * r.x.reshape(n1, n2), r.status, msg, sweeps + r.nit, reg_reached=r.reg,
                   sweeps=sweeps)

    reg = opts.reg
    log_u = np.ascontiguousarray(-M_u / (2.0 * reg))
    omega = np.zeros((n1, n2))
    eta_r = np.zeros(n1 + n2)
    o = _kernel.kernel_options(
        update=_kernel.update_rule(method),
        step_rule=_kernel.step_rule(opts.step_rule, opts.step_size),
        norm_a_sq=float(n1 + n2),  # ‖A‖₂² of the marginal operator
        step_size=opts.step_size, tol=opts.tol * (1.0 + float(np.sqrt(a_u @ a_u + b_u @ b_u))),
        max_iter=opts.max_iter, time_limit=opts.time_limit, n_threads=opts.n_threads)
    r = _kernel.run_transport(a_u, b_u, log_u, omega, eta_r, o)
    status, msg = _kernel.kernel_status(r)
    # duals of the user's problem: log P = log Q + log mass, cost M = M_u + shift
    f = -4.0 * reg * eta_r[:n1] + reg * np.log(mass) + shift
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run is reported as status 4
        plan = mass * np.exp(2.0 * log_u)
    # nit: accepted steps (maxiter bounds the attempts, rejected adaptive steps included)
    return out(plan, status, msg or "Optimization terminated successfully.",
               r.n_iter - r.n_rejected, omega=omega, dual=(f, -4.0 * reg * eta_r[n1:]))


def _sinkhorn(a, b, M, reg, tol, max_sweeps, deadline, min_sweeps=30, max_total=200):
    """Sinkhorn sweeps on the entropic dual at λ = reg: the whole solve where they converge, else
    Newton's start (instead of the λ path from 1). None where the plain kernel exp(−M/λ)
    underflows or a marginal has a zero (then the λ path starts from λ = 1).

    Returns ``(nu, plan, sweeps, converged)``: the plan u_i K_ij v_j, ν = (f + g_last,
    g − g_last without its last entry) for the incidence without its last row; ``converged``
    when the plan's marginal error ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ is at most ``tol`` (a, b of mass
    one; the column sums are exact after each v-update, so this is ‖P1 − a‖₁). That is tighter
    than the Newton stage's ‖P1 − a‖∞ ≤ 1e-10 (sweeps converge linearly and cost little;
    Newton's quadratic steps overshoot its test). Sweeps go on past ``min_sweeps`` only while
    the contraction of the row error over the last five projects convergence within
    ``max_total`` sweeps; else Newton takes over from ν. Each sweep costs two kernel products
    (the row error is free: K v is the next u-update's product).

    100×100, cost U[0, 1], tol 1e-12: 13 sweeps at reg = 0.1, 136 at reg = 0.01 (0.97× and
    1.1× ``ot.sinkhorn``'s time at stopThr 1e-9, which stops at 2e-11 / 2e-9); before, 30
    sweeps then Newton (0 and 2 steps) took 3.6× / 1.1× (benchmarks/README.md).
    """
    if np.any(a <= 0) or np.any(b <= 0):
        return None
    with np.errstate(under="ignore", over="ignore"):
        K = np.exp(M * (-1.0 / reg))  # M ≥ 0 here (shifted), so K ≤ 1
    if not K.min(initial=1.0) > 1e-250:
        return None
    v = np.ones(b.size)
    Kv = np.einsum("ij,j->i", K, v)  # einsum, not BLAS: no OpenBLAS threads spinning
    errs, converged, sweeps = deque(maxlen=6), False, 0  # the last six row errors
    with np.errstate(all="ignore"):
        while sweeps < max_sweeps:
            u = a / Kv
            v = b / np.einsum("ij,i->j", K, u)
            Kv = np.einsum("ij,j->i", K, v)
            sweeps += 1
            err = float(np.abs(u * Kv - a).sum())
            if not np.isfinite(err):
                return None
            if err <= tol:
                converged = True
                break
            errs.append(err)
            if sweeps >= min_sweeps:
                # rate over the last 5 sweeps; hand over to Newton when the sweeps are slow
                rate = (err / errs[0]) ** 0.2 if errs[0] > 0 else 1.0
                if not rate < 1.0 or sweeps + np.log(tol / err) / np.log(rate) > max_total:
                    break
            if time.perf_counter() > deadline:
                break
        f, g = reg * np.log(u), reg * np.log(v)
    nu = np.concatenate([f + g[-1], (g - g[-1])[:-1]])
    if not np.all(np.isfinite(nu)):
        return None
    return nu, u[:, None] * K * v[None, :], sweeps, converged


def _network_simplex(a, b, M, maxiter, time_limit, method, t0):
    """Exact OT (reg=None) by the network simplex in C++ (dlnfast/lp/network_simplex.hpp):
    a vertex of the transportation polytope, its potentials (f, g) centred so that
    aᵀf = bᵀg, and for a sparse M (POT's ``ot.emd`` convention: a missing entry is a forbidden
    edge, not a zero cost) the plan as a ``scipy.sparse.coo_array`` with M's pattern."""
    n1, n2 = M.shape
    max_pivots = 1000 * (n1 + n2) + 10_000 if maxiter is None else int(maxiter)
    left = max(time_limit - (time.perf_counter() - t0), 0.0)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)  # b may be a column of a 2-D b
    if sp.issparse(M):
        E = M.copy()
        E.sum_duplicates()
        rows, cols, cost = E.row.astype(np.int64), E.col.astype(np.int64), E.data
        flow, f, g, status, nit, art, timed_out, cost_value = _core.network_simplex_edges(
            a, b, rows, cols, np.ascontiguousarray(cost), max_pivots, left)
        plan = sp.coo_array((flow, (rows, cols)), shape=(n1, n2))
        row_sum, col_sum = np.bincount(rows, flow, n1), np.bincount(cols, flow, n2)
    else:
        flow, f, g, status, nit, art, timed_out, cost_value = _core.network_simplex_dense(
            a, b, np.ascontiguousarray(M), max_pivots, left)
        plan = flow.reshape(n1, n2)
        row_sum, col_sum = plan.sum(axis=1), plan.sum(axis=0)
    if status == 3:  # interrupted without a Python error set (none expected): say so
        raise KeyboardInterrupt("transport: network simplex interrupted")
    mass = float(a.sum())
    if mass > 0:  # f_i + g_j is all that is determined; centre: aᵀf = bᵀg
        shift = (float((b * g).sum()) - float((a * f).sum())) / (2.0 * mass)
        f, g = f + shift, g - shift
    if status == 0:
        message = "Optimization terminated successfully."
    elif status == 1:
        what = "time_limit" if timed_out else "maxiter"
        message = (f"The {what} was reached after {nit} pivots before optimality (the plan "
                   f"is not optimal and may miss the marginals, see marginal_error).")
    else:
        message = (f"The problem is infeasible: the allowed edges (M's stored entries) cannot "
                   f"carry the marginals ({art / 2:.3e} of the mass {mass:.3e} has no edge).")
    err = float(np.abs(row_sum - a).sum() + np.abs(col_sum - b).sum())
    return OptimizeResult(plan=plan, cost=cost_value, status=int(status), success=status == 0,
                          message=message, nit=int(nit), reg=None, method=method,
                          marginal_error=err, dual=(f, g))


def _check_marginals(a, b, M):
    """a, b, M as float64 arrays of matching shapes, finite, a ≥ 0, b ≥ 0, equal mass.

    POT's conventions: an empty ``a`` (or ``b``) means uniform weights over M's rows (or
    columns); a scipy.sparse M is kept sparse (its stored entries are the allowed edges).
    """
    if sp.issparse(M):
        check_real(M.dtype.type(0), "M")  # a complex sparse matrix would be cast with a warning
        M = sp.coo_array(M, dtype=np.float64)
    else:
        M = as_real_array(M, "M")
    if M.ndim != 2:
        raise ValueError(f"M must be a 2-D array (n1, n2), got shape {M.shape}")
    a = np.atleast_1d(as_real_array(a, "a"))
    b = np.atleast_1d(as_real_array(b, "b"))
    if a.size == 0:
        a = np.full(M.shape[0], 1.0 / M.shape[0]) if M.shape[0] else a
    if b.size == 0:
        b = np.full(M.shape[1], 1.0 / M.shape[1]) if M.shape[1] else b
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"a must be a non-empty 1-D array, got shape {a.shape}")
    if b.ndim != 1 or b.size == 0:
        raise ValueError(f"b must be a non-empty 1-D array, got shape {b.shape}")
    if M.shape != (a.size, b.size):
        raise ValueError(f"M must have shape (len(a), len(b)) = {(a.size, b.size)}, got {M.shape}")
    for name, v in (("a", a), ("b", b), ("M", M.data if sp.issparse(M) else M)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("a and b must be non-negative")
    if abs(a.sum() - b.sum()) > 1e-8 * max(a.sum(), b.sum(), 1e-300):
        raise ValueError(f"a and b must have the same total mass, got {a.sum()!r} and {b.sum()!r}")
    return a, b, M
