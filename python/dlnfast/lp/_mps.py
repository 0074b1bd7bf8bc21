"""Read an MPS file into scipy.optimize.linprog keyword arguments (uses highspy)."""
from __future__ import annotations

import gzip
import os

import numpy as np
import scipy.sparse as sp

_SECTIONS = {"NAME", "ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "SOS", "ENDATA", "OBJSENSE",
             "OBJSENS", "OBJNAME", "QUADOBJ", "QSECTION", "QMATRIX", "QCMATRIX", "CSECTION",
             "INDICATORS", "LAZYCONS", "USERCUTS"}


def _check_complete(path):
    """Raise ValueError unless the file reaches its ENDATA line.

    highspy reads a file cut off mid-section (a truncated download, a full disk) without a
    word and returns the LP of the part that is there: a different problem.
    """
    opener = gzip.open if path.endswith(".gz") else open
    section = None
    with opener(path, "rt", errors="replace") as f:
        for line in f:
            if not line or line[0] in " \t*\n\r":
                continue
            word = line.split(None, 1)[0].upper()
            if word in _SECTIONS:
                section = word
                if word == "ENDATA":
                    return
    where = f"in section {section}" if section else "before any section"
    raise ValueError(f"path: {path!r} is truncated or incomplete: it ends {where} "
                     "without an ENDATA line")


def read_mps(path):
    """Read a linear program from an MPS file.

    Parameters
    ----------
    path : str or os.PathLike
        The MPS (fixed or free format) file.

    Returns
    -------
    problem : dict
        Keyword arguments for :func:`dlnfast.linprog` and :func:`scipy.optimize.linprog`:
        ``c``, ``A_ub``, ``b_ub``, ``A_eq``, ``b_eq`` (scipy.sparse CSR matrices and float64
        arrays), ``bounds`` (a list of ``(lower, upper)`` pairs, ``None`` for no bound), plus
        ``c0``, the objective constant (scipy's linprog has no such argument: pop it and add
        it to ``res.fun`` yourself; :func:`dlnfast.linprog` takes it, so
        ``dlnfast.linprog(**read_mps(path))`` works as is).

    Notes
    -----
    A row ``lo ≤ aᵀx ≤ hi`` becomes an equality if ``lo == hi``, else ``aᵀx ≤ hi`` and/or
    ``−aᵀx ≤ −lo``. A maximisation problem is turned into minimisation of ``−cᵀx − c0``.
    Requires the optional dependency ``highspy`` (``pip install dlnfast[mps]``).

    Examples
    --------
    >>> prob = read_mps("afiro.mps")                           # doctest: +SKIP
    >>> res = dlnfast.linprog(**prob)                          # doctest: +SKIP
    """
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("read_mps needs highspy: pip install highspy (or dlnfast[mps])") from exc
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"path: no such file {path!r}")
    _check_complete(path)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.readModel(path)
    if status == highspy.HighsStatus.kError:
        raise ValueError(f"path: highspy could not read {path!r} as MPS")
    lp = h.getLp()
    n, m = lp.num_col_, lp.num_row_
    mat = lp.a_matrix_
    A = sp.csc_matrix((np.asarray(mat.value_, dtype=np.float64), np.asarray(mat.index_),
                       np.asarray(mat.start_)), shape=(m, n)).tocsr()
    if mat.format_ == highspy.MatrixFormat.kRowwise:  # pragma: no cover - readModel gives CSC
        A = sp.csr_matrix((np.asarray(mat.value_), np.asarray(mat.index_),
                           np.asarray(mat.start_)), shape=(m, n))
    c = np.asarray(lp.col_cost_, dtype=np.float64)
    c0 = float(lp.offset_)
    if lp.sense_ == highspy.ObjSense.kMaximize:
        c, c0 = -c, -c0
    inf = highspy.kHighsInf
    rlo = np.asarray(lp.row_lower_, dtype=np.float64)
    rhi = np.asarray(lp.row_upper_, dtype=np.float64)
    lo = np.asarray(lp.col_lower_, dtype=np.float64)
    hi = np.asarray(lp.col_upper_, dtype=np.float64)
    eq = rlo == rhi
    up = ~eq & (rhi < inf)
    low = ~eq & (rlo > -inf)
    A_eq, b_eq = A[eq], rlo[eq]
    A_ub = sp.vstack([A[up], -A[low]], format="csr")
    b_ub = np.concatenate([rhi[up], -rlo[low]])
    bounds = [(None if l <= -inf else float(l), None if u >= inf else float(u)) for l, u in zip(lo, hi)]
    return {"c": c, "A_ub": A_ub, "b_ub": b_ub, "A_eq": A_eq, "b_eq": b_eq, "bounds": bounds,
            "c0": c0}
