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
                   n_threads):
    """The kernels' options struct (``step_size`` None or 0: the step rule decides)."""
    extra = {}
    if _threads.MIN_PARALLEL_WORK_OVERRIDE is not None:  # tests only: a real team on small LPs
        extra["min_parallel_work"] = int(_threads.MIN_PARALLEL_WORK_OVERRIDE)
    return _core.LpOptions(update=update, step_rule=step_rule, norm_a_sq=float(norm_a_sq),
                           step_size=float(step_size or 0.0), tol=float(tol), max_iter=int(max_iter),
                           time_limit=float(time_limit), n_threads=int(n_threads), **extra)


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

    def run(self, b, log_u, omega, eta_r_sum, options):
        if self.dense:
            return _core.lp_dense(self.A, b, log_u, omega, eta_r_sum, options)
        return _core.lp_sparse(*self.csr, *self.csr_t, b, log_u, omega, eta_r_sum, options)


def run_dynamics(op, b, c, reg, *, update, step_rule, tol, max_iter, time_limit, n_threads,
                 norm_a_sq, nu0=None, step_size=0.0):
    """One run of DLN GD / EG at λ = reg from log x₀ = (Aᵀν₀ − c)/λ (ν₀ = 0: u₀ = exp(−c/(2λ))).

    Returns (x, ν, ω, result) with log x = (Aᵀν − c − λω)/λ exactly (:ref:`ug-identities`).
    """
    m, n = op.shape
    nu0 = np.zeros(m) if nu0 is None else nu0
    log_u = np.ascontiguousarray((op.rmatvec(nu0) - c) / (2.0 * reg))
    omega = np.zeros(n)
    eta_r = np.zeros(m)
    o = kernel_options(update=update, step_rule=step_rule, norm_a_sq=norm_a_sq,
                       step_size=step_size, tol=tol, max_iter=max_iter, time_limit=time_limit,
                       n_threads=n_threads)
    res = op.run(b, log_u, omega, eta_r, o)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged run is reported as status 4
        x = np.exp(2.0 * log_u)
    nu = nu0 - 4.0 * reg * eta_r
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
