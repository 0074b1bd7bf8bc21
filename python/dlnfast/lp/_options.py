"""The solver options that :func:`dlnfast.linprog` and :func:`dlnfast.transport` share, checked once.

Each error names the parameter it is about. Defaults that depend on the method are resolved here
too, so that both front ends budget a solve the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from dlnfast._threads import effective_n_threads
from dlnfast._validation import MAX_COUNT, user_repr

METHODS = ("newton", "dln", "eg")
STEP_RULES = ("adaptive", "paper")
# default budgets: Newton steps are expensive and few, GD/EG iterations cheap and many
_DEFAULT_MAX_ITER = {"newton": 10_000, "dln": 1_000_000, "eg": 1_000_000}
_DEFAULT_TIME_LIMIT = {"newton": np.inf, "dln": 600.0, "eg": 600.0}


@dataclass(frozen=True)
class SolverOptions:
    """Checked options; ``max_iter`` and ``time_limit`` with the method's defaults filled in."""

    method: str
    reg: float | None
    tol: float
    max_iter: int
    time_limit: float
    step_rule: str
    step_size: float | None
    n_threads: int


def _positive(value, name, what="a positive float"):
    # a bool is not a tolerance (True would be read as 1.0), nor is a complex or a string
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real) \
            or not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be {what}, got {user_repr(value)}")
    return float(value)


def resolve_n_threads(n_jobs):
    """n_jobs → OpenMP threads, as everywhere in dlnfast (``_threads.effective_n_threads``)."""
    if n_jobs is not None and not isinstance(n_jobs, (int, np.integer)):
        raise ValueError(f"n_jobs must be None or a nonzero int, got {n_jobs!r}")
    return effective_n_threads(n_jobs)


def check_solver_options(*, method, reg, tol, maxiter, time_limit, step_rule, step_size, n_jobs):
    """Check the options common to the LP and OT front ends; returns :class:`SolverOptions`."""
    if not isinstance(method, str) or method not in METHODS:  # an array reached an ambiguous `in`
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if reg is not None:
        reg = _positive(reg, "reg", "a positive finite float or None")
    tol = _positive(tol, "tol", "a positive float below 1 (a relative tolerance)")
    if tol >= 1.0:  # every point passes a relative check at 1: status 0 would mean nothing
        raise ValueError(f"tol must be a positive float below 1 (a relative tolerance), got {user_repr(tol)}")
    if maxiter is not None and (not isinstance(maxiter, (int, np.integer)) or isinstance(maxiter, bool)
                                or not 1 <= maxiter <= MAX_COUNT):
        raise ValueError(f"maxiter must be a positive int at most {MAX_COUNT}, got {user_repr(maxiter)}")
    if time_limit is not None:
        if isinstance(time_limit, (bool, np.bool_)) or not isinstance(time_limit, Real) \
                or np.isnan(time_limit) or not time_limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
        time_limit = float(time_limit)
    if not isinstance(step_rule, str) or step_rule not in STEP_RULES:  # an array: ambiguous `in`
        raise ValueError(f"step_rule must be one of {STEP_RULES}, got {step_rule!r}")
    if step_size is not None:
        step_size = _positive(step_size, "step_size", "a positive float or None")
    return SolverOptions(
        method=method, reg=reg, tol=tol,
        max_iter=_DEFAULT_MAX_ITER[method] if maxiter is None else int(maxiter),
        time_limit=_DEFAULT_TIME_LIMIT[method] if time_limit is None else time_limit,
        step_rule=step_rule, step_size=step_size, n_threads=resolve_n_threads(n_jobs),
    )
