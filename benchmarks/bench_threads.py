"""Default threads against ``n_jobs=1``: every solver, quiet and next to busy neighbours.

Targets (issue): with default settings no solver is slower than with ``n_jobs=1`` by more than
10 % at any size (default ≥ 0.9× ``n_jobs=1``), also on a shared machine; SGD batch 1 with default
settings ≥ 10× a numpy loop at d = 1000; full-batch GD at (4000, 25000) on two threads ≥ 1.6× one
thread on a quiet machine (``--large``).

What is timed: a public call with a fixed amount of work, ``n_jobs=None`` (default) against
``n_jobs=1``, the two alternated within each repeat (ABBA) and each run started after a 0.2 s
pause. Iterations per second = iterations done / wall time of the call. The ratio is the median
over repeats of (default / ``n_jobs=1``) from the pair measured side by side.

* gd, md, momentum (gd, μ = 0.9), flow, sgd batch 1 and batch 10:
  ``DiagonalLinearRegressor(solver=..., n_jobs=..., max_iter=k, tol=0, fit_intercept=False)``
  with a fixed ``step_size`` (flow: ``flow_tol=1e-9``, ``max_iter`` Runge–Kutta steps); the
  ConvergenceWarning of the fixed budget is ignored. X is Gaussian (n, d), y = X[:, :10]·N(0, 1).
* lp: the DLN dynamics kernel that ``dlnfast.linprog(method="dln")`` runs (``lp._kernel.run_dynamics``,
  λ = 0.1, unreachable tol, k iterations, timed by the kernel's own clock) on the feasible
  standard-form LP with A = that X (m = n rows, d variables), b = A·U[0.5, 1.5], c ∈ U[0.1, 1].
  The front end's set-up (standard form, Ruiz scaling, ‖A‖₂ by SVD) is numpy/BLAS work shared by
  both configurations and is left out.
* k: the same for both configs, chosen by timing short runs of each so that the faster one
  iterates for about ``--budget`` s (the slower one at most 10× that).
* contention "busy": two single-threaded processes spinning on pure-Python arithmetic, started
  before the block of measurements and terminated after it (also on Ctrl-C / errors).

Usage:
    python benchmarks/bench_threads.py [--sizes 100x1000,200x2000,1000x10000] [--repeats 5]
        [--budget 0.5] [--contention both] [--solvers gd,md,...] [--large] [--json PATH]
Prints a markdown table (and the machine) on stdout, progress on stderr.
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor
from dlnfast._sampling import sample_indices, seed_from_random_state

from _common import busy_neighbours, calibrate, interleaved_rates, machine_info, paired_ratio

STEP = 1e-3          # fixed factor / mirror step: stable for these data over ~1e5 iterations
MOMENTUM_STEP = 1e-4  # heavy ball: the effective step is η / (1 − μ) = 1e-3
LP_REG = 0.1
LP_TIME_LIMIT = 60.0  # a safeguard only: runs are calibrated to ~budget (the rate uses res.nit)
TARGET = 0.9
SOLVERS = {
    "gd": dict(solver="gd", step_size=STEP),
    "md": dict(solver="md", step_size=STEP),
    "flow": dict(solver="flow", flow_tol=1e-9),
    "sgd-b1": dict(solver="sgd", batch_size=1, random_state=0, step_size=STEP),
    "sgd-b10": dict(solver="sgd", batch_size=10, random_state=0, step_size=STEP),
    "momentum": dict(solver="gd", momentum=0.9, step_size=MOMENTUM_STEP),
    "lp": None,  # dlnfast.linprog(method="dln")
}
DEFAULT, ONE = "default", "n_jobs=1"
TWO_THREADS, ONE_THREAD = "n_jobs=2", "n_jobs=1"
DLN_SGD, DLN_SGD_ONE, NUMPY_SGD = "dlnfast sgd, default n_jobs", "dlnfast sgd, n_jobs=1", "numpy loop, in-place"


def estimator_run(X, y, params):
    """run(n_jobs)(k) -> (n_iter_, seconds) of one fit with a fixed iteration count."""
    def for_jobs(n_jobs):
        def run(k):
            model = DiagonalLinearRegressor(n_jobs=n_jobs, max_iter=k, tol=0.0, fit_intercept=False, **params)
            t = time.perf_counter()
            model.fit(X, y)
            return model.n_iter_, time.perf_counter() - t
        return run
    return for_jobs


def lp_run(A, b, c):
    """run(n_jobs)(k) -> (iterations, seconds) of the DLN dynamics that linprog(method="dln") runs,
    at a fixed λ with an unreachable tol: the kernel itself, timed by its own clock. (The front
    end's set-up — standard form, Ruiz scaling, ‖A‖₂ by SVD — is numpy/BLAS work, the same for
    both n_jobs, and seconds long at (1000, 10000): timed with it, the ratio measures BLAS noise.)"""
    import scipy.sparse as sp

    from dlnfast import _core
    from dlnfast._threads import effective_n_threads
    from dlnfast.lp._kernel import LpOperator, run_dynamics

    op = LpOperator(sp.csr_matrix(A), dense=True)
    norm_a_sq = float(np.linalg.norm(A, 2)) ** 2

    def for_jobs(n_jobs):
        def run(k):
            *_, res = run_dynamics(op, b, c, LP_REG, update=_core.LpUpdate.dln_gd, step_rule=_core.LpStepRule.paper,
                                   tol=1e-300, max_iter=k, time_limit=LP_TIME_LIMIT,
                                   n_threads=effective_n_threads(n_jobs), norm_a_sq=norm_a_sq)
            if res.status not in (_core.Status.max_iter, _core.Status.converged):
                raise RuntimeError(f"LP dynamics stopped: {res.stopped_by}")
            return max(res.n_iter, 1), res.elapsed
        return run
    return for_jobs


def make_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X[:, :10] @ rng.standard_normal(10)
    lp = (X, X @ rng.uniform(0.5, 1.5, d), rng.uniform(0.1, 1.0, d))
    return X, y, lp


def compare(for_jobs, configs, budget, repeats):
    """Calibrate (and so warm) each config, then time them interleaved with one iteration count.

    k lets the faster config iterate for about ``budget`` seconds, but is at most 10× the k of
    the slower one: a config 50× slower iterates for ~10 budgets, not 50 (it still shows as a
    low ratio).
    """
    runs = {label: for_jobs(n_jobs) for label, n_jobs in configs}
    cal = {label: calibrate(run, budget) for label, run in runs.items()}
    ks = [k for k, _ in cal.values()]
    k = min(max(ks), 10 * min(ks))
    rates = interleaved_rates({label: (run, k) for label, run in runs.items()}, repeats)
    a, b = (label for label, _ in configs)
    return {"k": k, "setup_s": {label: s for label, (_, s) in cal.items()}, "rates": rates,
            "median": {label: statistics.median(r) for label, r in rates.items()}, "ratio": paired_ratio(rates, a, b)}


def bench_grid(sizes, solvers, contention, budget, repeats):
    rows = []
    for n, d in sizes:
        X, y, (A, b, c) = make_data(n, d)
        for name in solvers:
            for_jobs = lp_run(A, b, c) if name == "lp" else estimator_run(X, y, SOLVERS[name])
            print(f"# {contention} {n}x{d} {name} ...", file=sys.stderr, flush=True)
            row = {"solver": name, "n": n, "d": d, "contention": contention}
            try:
                row.update(compare(for_jobs, [(DEFAULT, None), (ONE, 1)], budget, repeats))
            except (ValueError, RuntimeError) as exc:  # a diverged fit: report, keep going
                row["error"] = str(exc).splitlines()[0]
            rows.append(row)
    return rows


def bench_sgd_vs_numpy(contention, budget, repeats):
    """SGD batch 1 through the estimator (defaults but a fixed step, no intercept, tol = 0)
    against the in-place numpy loop of bench_sgd.py (same update, same data as there)."""
    from bench_sgd import numpy_sgd  # benchmarks/ is on sys.path when this script runs

    n, d, eta, alpha = 1000, 1000, 1e-4, 1e-2
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = X[:, :5] @ np.ones(5)
    params = dict(solver="sgd", step_size=eta, init_scale=alpha, random_state=0)
    # same update: with shuffle=False the estimator draws the stream sample_indices reads
    check = DiagonalLinearRegressor(shuffle=False, max_iter=2000, tol=0.0, fit_intercept=False, **params).fit(X, y)
    ref = numpy_sgd(X, y, sample_indices(seed_from_random_state(0), n, np.arange(2000)), eta, alpha)
    assert np.abs(check.coef_ - ref).max() <= 1e-9 * np.abs(ref).max(), "estimator and numpy loop disagree"
    idx = rng.integers(0, n, 2 * 10**6)

    def numpy_run(k):
        t = time.perf_counter()
        numpy_sgd(X, y, idx[:k], eta, alpha)
        return k, time.perf_counter() - t

    runs = {DLN_SGD: estimator_run(X, y, params)(None), DLN_SGD_ONE: estimator_run(X, y, params)(1),
            NUMPY_SGD: numpy_run}
    cases = {label: (run, calibrate(run, budget, max_iter=idx.size)[0]) for label, run in runs.items()}
    print(f"# {contention} sgd vs numpy ...", file=sys.stderr, flush=True)
    rates = interleaved_rates(cases, repeats)
    return {"contention": contention, "n": n, "d": d, "rates": rates,
            "median": {label: statistics.median(r) for label, r in rates.items()},
            "ratio": paired_ratio(rates, DLN_SGD, NUMPY_SGD),
            "ratio_n_jobs_1": paired_ratio(rates, DLN_SGD_ONE, NUMPY_SGD)}


def bench_large(budget, repeats):
    n, d = 4000, 25000
    print(f"# quiet {n}x{d} gd 2 vs 1 thread ...", file=sys.stderr, flush=True)
    X, y, _ = make_data(n, d)
    out = compare(estimator_run(X, y, SOLVERS["gd"]), [(TWO_THREADS, 2), (ONE_THREAD, 1)], budget, repeats)
    return {"n": n, "d": d, **out}


SWEEP_SIZES = "50x1000,100x1000,100x2000,200x2000,300x3000,500x4000,1000x10000"


def bench_sweep(sizes, contention, budget, repeats):
    """The engine's work threshold: GD on 2 threads against 1 with every pass shared however
    small (``_threads.MIN_PARALLEL_WORK_OVERRIDE = 1``), by n·d. Below the size where 2 threads
    stop paying, quiet or busy, the engine runs serially (core/team.hpp: kMinParallelWork)."""
    from dlnfast import _threads

    rows = []
    _threads.MIN_PARALLEL_WORK_OVERRIDE = 1
    try:
        for n, d in sizes:
            X, y, _ = make_data(n, d)
            print(f"# {contention} sweep {n}x{d} ...", file=sys.stderr, flush=True)
            out = compare(estimator_run(X, y, SOLVERS["gd"]), [(TWO_THREADS, 2), (ONE_THREAD, 1)], budget, repeats)
            rows.append({"n": n, "d": d, "contention": contention, **out})
    finally:
        _threads.MIN_PARALLEL_WORK_OVERRIDE = None
    return rows


def print_sweep(rows):
    print("\n| GD, every pass shared | n·d | contention | 2 threads it/s | 1 thread it/s | 2 / 1 |")
    print("|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["contention"], r["n"] * r["d"])):
        m = r["median"]
        print(f"| {r['n']}x{r['d']} | {r['n'] * r['d']:.1e} | {r['contention']} | {fmt_rate(m[TWO_THREADS])} "
              f"| {fmt_rate(m[ONE_THREAD])} | {r['ratio']:.2f} |")


def fmt_rate(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def print_grid(rows):
    print(f"| solver | n x d | contention | iterations per run | 1-iteration call ms (default / n_jobs=1) "
          f"| default it/s | n_jobs=1 it/s "
          f"| default / n_jobs=1 | ≥ {TARGET} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (list(SOLVERS).index(r["solver"]), r["n"] * r["d"], r["contention"])):
        head = f"| {r['solver']} | {r['n']}x{r['d']} | {r['contention']} "
        if "error" in r:
            print(head + f"| error: {r['error']} | | | | | |")
            continue
        m = r["median"]
        setup = r["setup_s"]
        print(head + f"| {r['k']} | {1e3 * setup[DEFAULT]:.1f} / {1e3 * setup[ONE]:.1f} "
              f"| {fmt_rate(m[DEFAULT])} | {fmt_rate(m[ONE])} "
              f"| {r['ratio']:.2f} | {'PASS' if r['ratio'] >= TARGET else 'MISS'} |")


def print_targets(sgd_rows, large):
    print("\n| target | contention | measured | |")
    print("|---|---|---|---|")
    for r in sgd_rows:
        m = r["median"]
        print(f"| SGD batch 1, default n_jobs, ≥ 10× numpy loop (n = d = 1000) | {r['contention']} "
              f"| {r['ratio']:.2f}× ({fmt_rate(m[DLN_SGD])} vs {fmt_rate(m[NUMPY_SGD])} steps/s; "
              f"n_jobs=1: {r['ratio_n_jobs_1']:.2f}×, {fmt_rate(m[DLN_SGD_ONE])}) "
              f"| {'PASS' if r['ratio'] >= 10 else 'MISS'} |")
    if large is not None:
        m = large["median"]
        print(f"| GD (4000, 25000), 2 threads ≥ 1.6× 1 thread | none | {large['ratio']:.2f}× "
              f"({fmt_rate(m[TWO_THREADS])} vs {fmt_rate(m[ONE_THREAD])} it/s) "
              f"| {'PASS' if large['ratio'] >= 1.6 else 'MISS'} |")


def parse_sizes(text):
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100x1000,200x2000,1000x10000", help="n x d, comma separated")
    ap.add_argument("--solvers", default=",".join(SOLVERS), help=f"subset of {','.join(SOLVERS)}")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.5, help="seconds of iterations per run")
    ap.add_argument("--contention", choices=("none", "busy", "both"), default="both")
    ap.add_argument("--busy", type=int, default=2, help="number of busy processes for 'busy'")
    ap.add_argument("--large", action="store_true", help="also GD at (4000, 25000), 2 vs 1 thread, quiet (X is 0.8 GB)")
    ap.add_argument("--sweep", nargs="?", const=SWEEP_SIZES, metavar="SIZES",
                    help="only the work-threshold sweep (GD, 2 vs 1 thread, every pass shared) at these sizes")
    ap.add_argument("--json", metavar="PATH", help="save the raw numbers here")
    args = ap.parse_args(argv)
    args.sizes = parse_sizes(args.sizes)
    args.solvers = args.solvers.split(",")
    unknown = set(args.solvers) - set(SOLVERS)
    if unknown:
        ap.error(f"unknown solvers {sorted(unknown)}; choose from {list(SOLVERS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fixed budgets, on purpose
    before = machine_info()
    grid, sgd_rows, sweep = [], [], []
    for contention in (("none", "busy") if args.contention == "both" else (args.contention,)):
        with busy_neighbours(args.busy if contention == "busy" else 0) as pids:
            if pids:
                print(f"# busy processes {pids}", file=sys.stderr, flush=True)
            if args.sweep:
                sweep += bench_sweep(parse_sizes(args.sweep), contention, args.budget, args.repeats)
                continue
            grid += bench_grid(args.sizes, args.solvers, contention, args.budget, args.repeats)
            sgd_rows.append(bench_sgd_vs_numpy(contention, args.budget, args.repeats))
    large = bench_large(args.budget, args.repeats) if args.large and not args.sweep else None
    after = machine_info()
    print(f"machine: {before['cpu']}, {before['cores']} cores (default threads {before['default_threads']}), "
          f"load average {before['load_average']:.2f} before / {after['load_average']:.2f} after, "
          f"{before['date']} to {after['date']}")
    print(f"dlnfast {before['dlnfast']} (OpenMP {before['openmp']}), numpy {before['numpy']}, "
          f"Python {before['python']}; medians of {args.repeats} runs, ~{args.budget:g} s each; "
          f"busy = {args.busy} spinning processes\n")
    if args.sweep:
        print_sweep(sweep)
    else:
        print_grid(grid)
        print_targets(sgd_rows, large)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine_before": before, "machine_after": after, "args": vars(args),
                       "grid": grid, "sgd_vs_numpy": sgd_rows, "large": large, "sweep": sweep}, f, indent=1)


if __name__ == "__main__":
    main()
