"""netlib instances read, reduced and solved, against their published answers (ANSWERS.csv).

The small instances in tests/data/netlib always run (a fresh clone tests the LP suite on real
problems); the larger set in ../shared/netlib runs too when it is present.
"""
import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog as scipy_linprog

import dlnfast

BUNDLED = Path(__file__).resolve().parent / "data" / "netlib"
# <repo>/../shared/netlib: an optional, larger set beside the clone
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "netlib"

STATUS = {"Optimal": 0, "Infeasible": 2, "Unbounded": 3}


def answers():
    """Rows of ANSWERS.csv with a 'path' to their MPS file: bundled first, then shared extras."""
    rows, seen = [], set()
    for folder in (BUNDLED, SHARED):
        if not (folder / "ANSWERS.csv").is_file():
            continue
        with open(folder / "ANSWERS.csv") as fh:
            for row in csv.DictReader(fh):
                if row["name"] not in seen:
                    seen.add(row["name"])
                    rows.append({**row, "path": folder / f"{row['name']}.mps",
                                 "bundled": folder == BUNDLED})
    return rows


# Measured on the 2-core CI-class machine: these take ≤ ~3 s each with method="newton".
# forplan (0.1–0.3 s) is the crossover's instance: its λ path prices out a column of the
# optimal basis and stalls at a 1.5e-5 relative gap; the crossover's pivots bring it back.
FAST = {"adlittle", "blend", "boeing2", "bore3d", "forest6", "forplan", "kb2", "lotfi", "recipe",
        "sc105", "sc205", "sc50a", "sc50b", "scagr7", "scsd1", "share2b", "stocfor1", "woodinfe"}
# Known failures (strict xfail: fixing one fails the suite until it is removed from here).
KNOWN_FAILURES: dict[str, str] = {}


def cases():
    out = []
    for row in answers():
        marks = [] if row["name"] in FAST else [pytest.mark.slow]
        if row["name"] in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[row["name"]], strict=True))
        out.append(pytest.param(row, id=row["name"], marks=marks))
    return out


def read(row):
    prob = dlnfast.read_mps(row["path"])
    assert set(prob) == {"c", "A_ub", "b_ub", "A_eq", "b_eq", "bounds", "c0"}
    return prob


def test_bundled_instances_are_present_and_small():
    # a fresh clone has them: the suite below never skips
    names = {r["name"] for r in answers() if r["bundled"]}
    assert {"adlittle", "blend", "forest6", "forplan", "kb2", "sc50a", "sc50b"} <= names
    assert all((BUNDLED / f"{n}.mps").is_file() for n in names)
    assert sum((BUNDLED / f"{n}.mps").stat().st_size for n in names) < 1_000_000


@pytest.mark.parametrize("row", [pytest.param(r, id=r["name"]) for r in answers()])
def test_read_mps_gives_the_published_answer_with_highs(row):
    # the reader is checked by solving its output with scipy's HiGHS
    prob = read(row)
    c0 = prob.pop("c0")
    res = scipy_linprog(method="highs", **prob)
    assert res.status == STATUS[row["status"]]
    if row["status"] == "Optimal":
        ref = float(row["objective"])
        assert abs(res.fun + c0 - ref) <= 1e-6 * max(1.0, abs(ref))


@pytest.mark.parametrize("row", cases())
def test_netlib_instance_solved(row):
    prob = read(row)
    check_solved(row, prob, dlnfast.linprog(**prob))


def check_solved(row, prob, res):
    """res has the published status and, for an optimum, objective (1e-6) and feasibility."""
    expected = STATUS[row["status"]]
    assert res.status == expected, res.message
    if expected == 0:
        ref = float(row["objective"])
        assert abs(res.fun - ref) <= 1e-6 * max(1.0, abs(ref))
        x = res.x
        A_ub, A_eq = prob["A_ub"], prob["A_eq"]
        scale = 1.0 + np.abs(x).max()
        assert (A_ub @ x - prob["b_ub"]).max(initial=0.0) <= 1e-6 * scale
        assert np.abs(A_eq @ x - prob["b_eq"]).max(initial=0.0) <= 1e-6 * scale
    else:
        assert not res.success
        assert ("infeasible" if expected == 2 else "unbounded") in res.message


# The paper's dynamics (method "eg" / "dln", default limits: maxiter 10⁶, continuation in λ with
# the paper's step, momentum, the dual predictor, retreat after a stage that hits its cap, and
# the polish) on the six small instances of issue 15: all six right (benchmarks/README.md,
# "Issue 15, session 21"; before, kb2 and adlittle stopped at the limit).
# ≤ ~1 s each on the shared 2-core machine; forest6 (infeasible, decided after the main path
# spends its budget) 2.7–5 s
DYNAMICS_FAST = {"sc50a", "sc50b", "blend", "kb2", "adlittle"}


def dynamics_cases():
    out = []
    for name in ("sc50a", "sc50b", "blend", "forest6", "kb2", "adlittle"):
        marks = [] if name in DYNAMICS_FAST else [pytest.mark.slow]
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.mark.parametrize("method", ["eg", "dln"])
@pytest.mark.parametrize("name", dynamics_cases())
def test_netlib_dynamics(name, method):
    row = next(r for r in answers() if r["name"] == name)
    prob = read(row)
    res = dlnfast.linprog(**prob, method=method)
    check_solved(row, prob, res)


def test_read_mps_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="path: no such file"):
        dlnfast.read_mps(tmp_path / "nope.mps")


def test_forplan_is_certified_by_the_crossover():
    # the λ path alone stalls on forplan (a column of the optimal basis priced out, status 4
    # before the crossover existed); the crossover's vertex is primal and dual feasible in the
    # user's units, checked here against HiGHS's objective and the constraints directly
    row = next(r for r in answers() if r["name"] == "forplan")
    prob = read(row)
    res = dlnfast.linprog(**prob)
    assert res.status == 0, res.message
    assert res.polished
    c0 = prob.pop("c0")
    ref = scipy_linprog(method="highs", **prob)
    assert abs(res.fun - (ref.fun + c0)) <= 1e-8 * abs(ref.fun + c0)
    lo = np.array([b[0] if b[0] is not None else -np.inf for b in prob["bounds"]])
    hi = np.array([b[1] if b[1] is not None else np.inf for b in prob["bounds"]])
    scale = 1.0 + np.abs(res.x).max()
    assert np.all(res.x >= lo - 1e-9 * scale) and np.all(res.x <= hi + 1e-9 * scale)
    assert np.abs(prob["A_eq"] @ res.x - prob["b_eq"]).max(initial=0.0) <= 1e-9 * scale
    assert (prob["A_ub"] @ res.x - prob["b_ub"]).max(initial=0.0) <= 1e-9 * scale
