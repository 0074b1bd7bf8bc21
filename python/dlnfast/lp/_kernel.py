"""The one place that calls the C++ LP/OT kernels (``_core.lp_dense``, ``lp_sparse``,
``lp_transport``) and turns their options and statuses into Python's.

Everything else in :mod:`dlnfast.lp` speaks in plain words ("dln"/"eg", "paper"/"adaptive",
status codes 0/1/4 as scipy.optimize.linprog), so a change to the bindings touches this file only.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dlnfast import _core, _threads

# status codes of scipy.optimize.linprog that the kernels can produce
OPTIMAL, LIMIT, NUMERICAL = 0, 1, 4


def update_rule(method):
    """The kernel's update for ``method`` ("dln": GD on the factors, "eg": exponentiated gradient)."""
    return _core.LpUpdate.dln_gd if method == "dln" else _core.LpUpdate.exponentiated_gradient


def step_rule(name, step_size=None):
    """The kernel's step rule: "paper" or "adaptive", or a fixed step when ``step_size`` is given."""
    if step_size is not None:
        return _core.LpStepRule.fixed
    return {"paper": _core.LpStepRule.paper, "adaptive": _core.LpStepRule.adaptive}[name]


def kernel_options(*, update, step_rule, norm_a_sq, step_size, tol, max_iter, time_limit,
                   n_threads, initial_step=0.0, loss_cap=0.0):
    """The kernels' options struct (``step_size`` None or 0: the step rule decides;
    ``initial_step``, ``loss_cap`` 0: a fresh run, else a resumed one, see `run_dynamics`)."""
    extra = {}
    if _threads.MIN_PARALLEL_WORK_OVERRIDE is not None:  # tests only: a real team on small LPs
        extra["min_parallel_work"] = int(_threads.MIN_PARALLEL_WORK_OVERRIDE)
    return _core.LpOptions(update=update, step_rule=step_rule, norm_a_sq=float(norm_a_sq),
                           step_size=float(step_size or 0.0), tol=float(tol), max_iter=int(max_iter),
                           time_limit=float(time_limit), n_threads=int(n_threads),
                           initial_step=float(initial_step), loss_cap=float(loss_cap), **extra)


class RunSummary:
    """What a (possibly chunked) run of the dynamics returns: the fields of the kernel's result
    that the front ends read, summed over the chunks."""

    def __init__(self, r):
        self.status, self.n_iter, self.n_rejected = r.status, r.n_iter, r.n_rejected
        self.criterion, self.loss, self.step = r.criterion, r.loss, r.step

    def add(self, r):
        self.status, self.criterion, self.loss = r.status, r.criterion, r.loss
        self.n_iter += r.n_iter
        self.n_rejected += r.n_rejected
        if r.n_iter:
            self.step = r.step


def run_chunked(run, max_iter, time_limit, options, chunk=None, on_chunk=None):
    """``run(options)`` (a kernel call that updates its state in place) in pieces of ``chunk``
    iterations, calling ``on_chunk(summary)`` between them; the same iterates as one call.

    Each piece resumes the last one: the adaptive rule's trial step and the divergence cap come
    back in the kernel's result (``suggested_step``, ``lambda_max``) and go into the next
    piece's options (``initial_step``, ``loss_cap``), so the chunked run is the unchunked one
    bit for bit (tests/test_lp_history.py checks it). ``chunk`` may be a callable returning the
    size of the next piece (the history's stride grows as it thins itself out).
    """
    if on_chunk is None or chunk is None:
        return RunSummary(run(options(max_iter, time_limit, 0.0, 0.0)))
    import time

    t0 = time.perf_counter()
    total, left = None, max_iter
    s0 = cap = 0.0
    while True:
        k = int(chunk() if callable(chunk) else chunk)
        piece = min(max(1, k), left)
        r = run(options(piece, max(0.0, time_limit - (time.perf_counter() - t0)), s0, cap))
        if total is None:
            total = RunSummary(r)
        else:
            total.add(r)
        left -= r.n_iter
        s0, cap = r.suggested_step, r.lambda_max
        # only a piece that used up its own budget goes on (converged, diverged, the run's
        # time limit or its iteration budget end the run)
        if r.status != _core.Status.max_iter or left <= 0:
            return total
        on_chunk(total)


class LpOperator:
    """The standard-form A handed to the C++ kernels: dense row-major or CSR + CSRᵀ."""

    def __init__(self, A, dense=None):
        m, n = A.shape
        if dense is None:
            dense = A.nnz > 0.2 * m * n and m * n <= 50_000_000
        self.dense = dense
        self.shape = (m, n)
        if dense:
            self.A = np.ascontiguousarray(A.toarray(), dtype=np.float64)
        else:
            A = sp.csr_matrix(A, dtype=np.float64)
            A.sort_indices()
            At = A.T.tocsr()
            At.sort_indices()
            self.csr = (A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.copy())
            self.csr_t = (At.indptr.astype(np.int64), At.indices.astype(np.int64), At.data.copy())

    def rmatvec(self, v):
        """Aᵀv."""
        if self.dense:
            return self.A.T @ v
        indptr, indices, data = self.csr_t
        return sp.csr_matrix((data, indices, indptr), shape=(self.shape[1], self.shape[0])) @ v

    def run(self, b, log_u, omega, eta_r_sum, options, momentum=None):
        if self.dense:
            return _core.lp_dense(self.A, b, log_u, omega, eta_r_sum, options, momentum)
        return _core.lp_sparse(*self.csr, *self.csr_t, b, log_u, omega, eta_r_sum, options,
                               momentum)


def run_dynamics(op, b, c, reg, *, update, step_rule, tol, max_iter, time_limit, n_threads,
                 norm_a_sq, nu0=None, step_size=0.0, chunk=None, on_chunk=None,
                 momentum=False):
    """One run of DLN GD / EG at λ = reg from log x₀ = (Aᵀν₀ − c)/λ (ν₀ = 0: u₀ = exp(−c/(2λ))).

    Returns (x, ν, ω, result) with log x = (Aᵀν − c − λω)/λ exactly (:ref:`ug-identities`).
    ``on_chunk(x_fn, summary)`` is called every ``chunk`` iterations (`run_chunked`) with a
    function returning the current (x, ν) — only computed when asked for. ``momentum``:
    heavy-ball momentum on (log u, ω, Σηr) with restarts (lp_driver.hpp); its state lives
    in one buffer carried across the pieces, so chunking still changes nothing.
    """
    m, n = op.shape
    nu0 = np.zeros(m) if nu0 is None else nu0
    log_u = np.ascontiguousarray((op.rmatvec(nu0) - c) / (2.0 * reg))
    omega = np.zeros(n)
    eta_r = np.zeros(m)
    mom = np.zeros(2 * n + m + 1) if momentum else None

    def options(k, t, s0, cap):
        return kernel_options(update=update, step_rule=step_rule, norm_a_sq=norm_a_sq,
                              step_size=step_size, tol=tol, max_iter=k, time_limit=t,
                              n_threads=n_threads, initial_step=s0, loss_cap=cap)

    def state():
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(2.0 * log_u), nu0 - 4.0 * reg * eta_r

    hook = None if on_chunk is None else (lambda summary: on_chunk(state, summary))
    res = run_chunked(lambda o: op.run(b, log_u, omega, eta_r, o, mom), max_iter, time_limit,
                      options, chunk, hook)
    x, nu = state()  # a diverged run is reported as status 4 (overflow warnings silenced)
    return x, nu, omega, res


def run_transport(a, b, log_u, omega, eta_r, options):
    """The matrix-free OT kernel (Aᵀr = g_i + h_j); updates log_u, omega, eta_r in place."""
    return _core.lp_transport(a, b, log_u, omega, eta_r, options)


def kernel_status(r):
    """(status code, message) of a kernel result: 0 converged, 1 a limit, 4 diverged."""
    S = _core.Status
    if r.status == S.converged:
        return OPTIMAL, ""
    if r.status in (S.max_iter, S.time_limit):
        return LIMIT, f"{r.status.name} after {r.n_iter} iterations, ‖Ay − b‖₂ = {r.criterion:.3e}"
    return NUMERICAL, (f"the dynamics diverged at iteration {r.n_iter} with step η = "
                       f"{r.step:.3e} (‖Ay − b‖₂ = {r.criterion:.3e}): a factor would change "
                       f"sign, the loss grew past 4× its initial value, or it overflowed; use a "
                       f"smaller step_size or step_rule='adaptive'")
