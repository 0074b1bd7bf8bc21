"""The history and the callback of :func:`dlnfast.linprog`: records along the run, bounded memory.

The dynamics run in the C++ kernel in pieces of ``stride`` iterations (`_kernel.run_chunked`,
the same iterates as one call); between pieces, and at the end of each λ stage, one row is
recorded and the user's callback is called. At most ``cap`` rows are kept: when the history is
full every other row is dropped and the stride doubles, so memory never grows with ``maxiter``
and the rows stay evenly spread over the run.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult

FIELDS = ("nit", "reg", "fun", "residual", "loss")


class Recorder:
    """Rows (nit, λ, objective, relative primal residual, loss) and the user's callback.

    ``point(y, full)`` maps a standard-form point to the user's (x, fun, slack, con) (slack
    and con only with ``full``, i.e. for the callback); ``bnorm2`` is
    1 + ‖b̂‖₂ (the residual is ‖Ây − b̂‖₂ / (1 + ‖b̂‖₂), the criterion of ``tol``).
    """

    def __init__(self, point, bnorm2, callback=None, stride=200, cap=1000):
        self.point, self.bnorm2, self.callback = point, bnorm2, callback
        self.stride, self.cap = int(stride), int(cap)
        self.rows = []
        self.reg_override = None  # λ in the user's units (init_scale), recorded instead of λ̂

    def record(self, y, nit, reg, loss, phase=2):
        """One row at the standard-form point y; calls the callback (not complete)."""
        x, fun, slack, con = self.point(y, self.callback is not None)
        reg = reg if self.reg_override is None else self.reg_override
        residual = float(np.sqrt(2.0 * loss)) / self.bnorm2 if np.isfinite(loss) else np.inf
        self.rows.append((int(nit), float(reg), fun, residual, float(loss)))
        if len(self.rows) > self.cap:
            self.rows = self.rows[::2]
            self.stride *= 2
        if self.callback is not None:
            self.callback(OptimizeResult(x=x, fun=fun, slack=slack, con=con, nit=int(nit),
                                         phase=phase, status=0, message="", complete=False,
                                         reg=float(reg), residual=residual))

    def history(self):
        """The rows as an OptimizeResult of arrays (one entry per row, oldest first)."""
        cols = list(zip(*self.rows)) if self.rows else [()] * len(FIELDS)
        return OptimizeResult({name: np.asarray(col, dtype=np.int64 if name == "nit" else float)
                               for name, col in zip(FIELDS, cols)})

    def finish(self, res):
        """The last call, with the final result (``complete=True``)."""
        if self.callback is not None:
            self.callback(OptimizeResult(
                x=res.x, fun=res.fun, slack=res.slack, con=res.con, nit=int(res.nit), phase=2,
                status=int(res.status), message=res.message, complete=True,
                reg=res.get("reg"), residual=self.rows[-1][3] if self.rows else np.nan))
