"""LP / OT benchmark: dlnfast (newton, dln, eg) against HiGHS, OR-Tools PDLP and POT.

Usage::

    python benchmarks/bench_lp.py --part all --repeats 3 --threads 2 --dln-time 20

Parts:
  random  standard-form LP, m = 200, n = 1000 (dense Gaussian A, b = A·x_feas, c > 0)
  ot      optimal transport n = 200 (uniform marginals, uniform random cost in [0, 1]),
          exact and entropic (reg = 0.01), plus reg = 1e-4 with the cost shifted by +0.1
  netlib  every instance in ../shared/netlib (else tests/data/netlib) against ANSWERS.csv
  targets issue 15's targets: netlib (default method vs HiGHS, medians of --repeats, right
          status and objective within 1e-6), exact OT 100×100 vs ot.emd, entropic OT at
          reg 0.1 and 0.01 vs ot.sinkhorn

Times are medians over --repeats runs (netlib: one run per solver; say so in the table).
Accuracy: relative objective gap |f − f*| / max(1, |f*|) against HiGHS (random LP), ANSWERS.csv
(netlib) or ot.emd (exact OT); ‖P − P_ref‖₁ against ot.bregman.sinkhorn_log at the same reg
(entropic OT). Not collected by pytest.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")  # numpy backend only

import numpy as np  # noqa: E402
import ot  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from ortools.pdlp import solve_log_pb2, solvers_pb2  # noqa: E402
from ortools.pdlp.python import pdlp  # noqa: E402
from scipy.optimize import linprog as scipy_linprog  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import dlnfast  # noqa: E402

NETLIB = Path(__file__).resolve().parents[1].parent / "shared" / "netlib"
if not (NETLIB / "ANSWERS.csv").is_file():  # a fresh clone: the small instances of the tests
    NETLIB = Path(__file__).resolve().parents[1] / "tests" / "data" / "netlib"


def machine():
    try:
        model = [line.split(":", 1)[1].strip() for line in
                 subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                 if line.startswith("Model name")][0]
    except Exception:  # pragma: no cover
        model = platform.processor()
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def rel(f, ref):
    return abs(f - ref) / max(1.0, abs(ref))


def pdlp_solve(c, A_ub, b_ub, A_eq, b_eq, bounds, eps, threads, c0=0.0, time_limit=600.0):
    n = c.size
    A_ub = sp.csr_matrix(A_ub) if A_ub is not None else sp.csr_matrix((0, n))
    A_eq = sp.csr_matrix(A_eq) if A_eq is not None else sp.csr_matrix((0, n))
    b_ub = np.zeros(0) if b_ub is None else np.asarray(b_ub, float)
    b_eq = np.zeros(0) if b_eq is None else np.asarray(b_eq, float)
    qp = pdlp.QuadraticProgram()
    qp.objective_vector = np.asarray(c, float)
    qp.objective_offset = float(c0)
    qp.constraint_matrix = sp.vstack([A_ub, A_eq], format="csc")
    qp.constraint_lower_bounds = np.concatenate([np.full(b_ub.size, -np.inf), b_eq])
    qp.constraint_upper_bounds = np.concatenate([b_ub, b_eq])
    if isinstance(bounds, tuple):
        bounds = [bounds] * n
    qp.variable_lower_bounds = np.array([-np.inf if l is None else l for l, _ in bounds], float)
    qp.variable_upper_bounds = np.array([np.inf if u is None else u for _, u in bounds], float)
    p = solvers_pb2.PrimalDualHybridGradientParams()
    crit = p.termination_criteria.simple_optimality_criteria
    crit.eps_optimal_relative = eps
    crit.eps_optimal_absolute = eps
    p.termination_criteria.time_sec_limit = time_limit
    p.num_threads = threads
    r = pdlp.primal_dual_hybrid_gradient(qp, p)
    x = np.asarray(r.primal_solution)
    reason = solve_log_pb2.TerminationReason.Name(r.solve_log.termination_reason)
    return float(c @ x) + c0, reason, int(r.solve_log.iteration_count)


def row(cells):
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def bench_random(repeats, threads, dln_time):
    rng = np.random.default_rng(0)
    m, n = 200, 1000
    A = rng.standard_normal((m, n))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    t_h, ref = timed(lambda: scipy_linprog(c, A_eq=A, b_eq=b, method="highs"), repeats)
    f_ref = ref.fun
    print(f"\n### Random LP, standard form, m={m}, n={n}, dense; threads={threads}\n")
    row(["method", "time [s]", "rel. gap vs HiGHS", "status / iterations", "time / PDLP(1e-6)"])
    row(["---"] * 5)
    results = [("scipy HiGHS", t_h, 0.0, f"{ref.status} / {ref.nit}")]
    for eps in (1e-4, 1e-6):
        t, (f, reason, it) = timed(lambda: pdlp_solve(c, None, None, A, b, (0, None), eps, threads), repeats)
        results.append((f"OR-Tools PDLP eps={eps:g}", t, rel(f, f_ref), f"{reason} / {it}"))
    for tol in (1e-6, 1e-8):
        t, r = timed(lambda: dlnfast.linprog(c, A_eq=A, b_eq=b, tol=tol, n_jobs=threads), repeats)
        results.append((f"dlnfast newton tol={tol:g}", t, rel(r.fun, f_ref), f"{r.status} / {r.nit}"))
    for method in ("dln", "eg"):
        t, r = timed(lambda: dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, tol=1e-6,
                                             time_limit=dln_time, n_jobs=threads), 1)
        results.append((f"dlnfast {method} (continuation, ≤{dln_time:g} s)", t,
                        rel(r.fun, f_ref), f"{r.status} / {r.nit}"))
    t_pdlp = [t for name, t, *_ in results if name == "OR-Tools PDLP eps=1e-06"][0]
    for name, t, g, s in results:
        row([name, f"{t:.3f}", f"{g:.1e}", s, f"{t / t_pdlp:.2f}"])


def bench_ot(repeats, threads, dln_time):
    rng = np.random.default_rng(0)
    n = 200
    a = np.full(n, 1.0 / n)
    b = np.full(n, 1.0 / n)
    M = rng.uniform(0.0, 1.0, (n, n))
    print(f"\n### Optimal transport, n={n}, uniform marginals, cost U[0, 1]; threads={threads}\n")
    t_emd, P_emd = timed(lambda: ot.emd(a, b, M), repeats)
    f_emd = float((M * P_emd).sum())
    row(["problem", "method", "time [s]", "accuracy", "status / iterations", "time / PDLP(1e-6)"])
    row(["---"] * 6)
    res = [("exact", "POT ot.emd", t_emd, "0 (reference)", "")]
    # the OT LP for HiGHS and PDLP
    i = np.repeat(np.arange(n), n)
    j = np.tile(np.arange(n), n)
    A = sp.csr_matrix((np.ones(2 * n * n), (np.concatenate([i, n + j]),
                                            np.concatenate([np.arange(n * n)] * 2))),
                      shape=(2 * n, n * n))
    beq = np.concatenate([a, b])
    t_h, rh = timed(lambda: scipy_linprog(M.ravel(), A_eq=A, b_eq=beq, method="highs"), repeats)
    res.append(("exact", "scipy HiGHS", t_h, f"gap {rel(rh.fun, f_emd):.1e}", f"{rh.status}"))
    for eps in (1e-4, 1e-6):
        t, (f, reason, it) = timed(lambda: pdlp_solve(M.ravel(), None, None, A, beq, (0, None), eps, threads), repeats)
        res.append(("exact", f"OR-Tools PDLP eps={eps:g}", t, f"gap {rel(f, f_emd):.1e}", f"{reason} / {it}"))
    t, r = timed(lambda: dlnfast.transport(a, b, M, None), repeats)
    res.append(("exact", "dlnfast reg=None (network simplex)", t, f"gap {rel(r.cost, f_emd):.1e}",
                f"{r.status} / {r.nit}"))

    reg = 0.01
    t_sl, P_ref = timed(lambda: ot.bregman.sinkhorn_log(a, b, M, reg, numItermax=100000, stopThr=1e-9), repeats)
    res.append((f"reg={reg:g}", "POT sinkhorn_log (reference)", t_sl, "0", ""))
    t, P = timed(lambda: ot.sinkhorn(a, b, M, reg, numItermax=100000, stopThr=1e-9), repeats)
    res.append((f"reg={reg:g}", "POT sinkhorn", t, f"‖ΔP‖₁ {np.abs(P - P_ref).sum():.1e}", ""))
    t, r = timed(lambda: dlnfast.transport(a, b, M, reg, n_jobs=threads), repeats)
    res.append((f"reg={reg:g}", "dlnfast newton", t, f"‖ΔP‖₁ {np.abs(r.plan - P_ref).sum():.1e}",
                f"{r.status} / {r.nit}"))
    for method, rule in (("eg", "adaptive"), ("dln", "adaptive"), ("dln", "paper")):
        t, r = timed(lambda: dlnfast.transport(a, b, M, reg, method=method, step_rule=rule, tol=1e-9,
                                               time_limit=dln_time, n_jobs=threads), 1)
        res.append((f"reg={reg:g}", f"dlnfast {method} ({rule} step)", t,
                    f"‖ΔP‖₁ {np.abs(r.plan - P_ref).sum():.1e}", f"{r.status} / {r.nit}"))

    reg, Ms = 1e-4, M + 0.1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, P = timed(lambda: ot.sinkhorn(a, b, Ms, reg), 1)
    ok = np.all(np.isfinite(P)) and abs(P.sum() - 1) < 1e-3
    res.append(("reg=1e-4, M+0.1", "POT sinkhorn", t,
                f"plan sum {np.nansum(P):.3g} ({'valid' if ok else 'INVALID'})", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, P = timed(lambda: ot.bregman.sinkhorn_log(a, b, Ms, reg, numItermax=1000), 1)
    res.append(("reg=1e-4, M+0.1", "POT sinkhorn_log (1000 it)", t,
                f"marginal err {np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum():.1e}", ""))
    f_emd_s = f_emd + 0.1
    t, r = timed(lambda: dlnfast.transport(a, b, Ms, reg, n_jobs=threads), 1)
    res.append(("reg=1e-4, M+0.1", "dlnfast newton", t,
                f"marginal err {r.marginal_error:.1e}, cost gap vs emd {rel(r.cost, f_emd_s):.1e}",
                f"{r.status} / {r.nit}"))
    t_pdlp = [t for p, name, t, *_ in res if name == "OR-Tools PDLP eps=1e-06"][0]
    for p, name, t, acc, s in res:
        row([p, name, f"{t:.3f}", acc, s, f"{t / t_pdlp:.2f}"])


def bench_ot_targets(repeats, threads):
    """Issue 15's OT targets: exact OT 100×100 against ot.emd, entropic OT against ot.sinkhorn."""
    rng = np.random.default_rng(0)
    n = 100
    a = np.full(n, 1.0 / n)
    b = np.full(n, 1.0 / n)
    M = rng.uniform(0.0, 1.0, (n, n))
    print(f"\n### OT targets, n={n}, uniform marginals, cost U[0, 1]; threads={threads}; "
          f"medians of {repeats}; load average {os.getloadavg()[0]:.2f}\n")
    row(["problem", "method", "time [s]", "accuracy", "status / iterations", "time / POT"])
    row(["---"] * 6)
    t_emd, P_emd = timed(lambda: ot.emd(a, b, M), repeats)
    f_emd = float((M * P_emd).sum())
    t, r = timed(lambda: dlnfast.transport(a, b, M, None), repeats)
    row(["exact", "POT ot.emd", f"{t_emd:.4f}", "reference", "", "1.00"])
    row(["exact", "dlnfast reg=None (network simplex)", f"{t:.4f}", f"gap {rel(r.cost, f_emd):.1e}",
         f"{r.status} / {r.nit}", f"{t / t_emd:.2f}"])
    for reg in (1.0, 1e-1, 1e-2):
        t_s, P = timed(lambda: ot.sinkhorn(a, b, M, reg, numItermax=100000, stopThr=1e-9), repeats)
        t, r = timed(lambda: dlnfast.transport(a, b, M, reg, n_jobs=threads), repeats)
        err_s = np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum()
        row([f"reg={reg:g}", "POT sinkhorn (stopThr 1e-9)", f"{t_s:.5f}", f"marginal err {err_s:.1e}",
             "", "1.00"])
        row([f"reg={reg:g}", "dlnfast newton", f"{t:.5f}",
             f"marginal err {r.marginal_error:.1e}, ‖ΔP‖₁ {np.abs(r.plan - P).sum():.1e}",
             f"{r.status} / {r.nit} ({r.sweeps} sweeps)", f"{t / t_s:.2f}"])


def bench_exact_ot(repeats, sizes=(100, 500)):
    """Exact OT (reg=None, the network simplex) against ot.emd, and what a warm start from the
    entropic Newton (crossover) would cost before its first pivot: the Newton solve at λ = 0.01."""
    print(f"\n### exact OT vs ot.emd, uniform marginals, cost U[0, 1], one thread; medians of "
          f"{repeats} (interleaved); load average {os.getloadavg()[0]:.2f} at the start\n")
    row(["n", "ot.emd [s]", "dlnfast reg=None [s]", "ratio", "pivots", "rel. cost gap",
         "newton reg=0.01 alone [s]", "its ratio to the cold simplex"])
    row(["---"] * 8)
    for n in sizes:
        rng = np.random.default_rng(0)
        a = np.full(n, 1.0 / n)
        M = rng.uniform(0.0, 1.0, (n, n))
        t_e, t_d = [], []
        for _ in range(repeats):  # interleaved, so that load drifts hit both alike
            t_e.append(timed(lambda: ot.emd(a, a, M), 1)[0])
            t, r = timed(lambda: dlnfast.transport(a, a, M, None), 1)
            t_d.append(t)
        t_w, _ = timed(lambda: dlnfast.transport(a, a, M, 0.01), repeats)
        te, td = statistics.median(t_e), statistics.median(t_d)
        f_emd = float(ot.emd2(a, a, M))
        row([n, f"{te:.4f}", f"{td:.4f}", f"{td / te:.2f}", r.nit, f"{rel(r.cost, f_emd):.1e}",
             f"{t_w:.4f}", f"{t_w / td:.1f}"])
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


def bench_netlib_newton(repeats):
    """The default method against HiGHS on every netlib instance, medians of `repeats`."""
    with open(NETLIB / "ANSWERS.csv") as fh:
        answers = list(csv.DictReader(fh))
    print(f"\n### netlib ({NETLIB}), default method vs HiGHS, medians of {repeats}; "
          f"load average {os.getloadavg()[0]:.2f} at the start\n")
    row(["instance", "expected", "HiGHS [s]", "newton status", "gap", "newton [s]", "ratio", "nit"])
    row(["---"] * 8)
    STATUS = {"Optimal": 0, "Infeasible": 2, "Unbounded": 3}
    right, ratios, times = 0, [], []
    for ans in answers:
        name = ans["name"]
        prob = dlnfast.read_mps(NETLIB / f"{name}.mps")
        kw = {k: v for k, v in prob.items() if k != "c0"}
        ref = float(ans["objective"]) if ans["objective"] else None
        t_h, _ = timed(lambda: scipy_linprog(method="highs", **kw), repeats)
        t, r = timed(lambda: dlnfast.linprog(**prob), repeats)
        ok = r.status == STATUS[ans["status"]] and (ref is None or rel(r.fun, ref) <= 1e-6)
        right += ok
        ratios.append(t / t_h)
        times.append(t)
        g = f"{rel(r.fun, ref):.1e}" if (ref is not None and r.status == 0) else "-"
        row([name, f"{ans['status']} ({STATUS[ans['status']]})", f"{t_h:.3f}",
             f"{r.status}{'' if ok else ' WRONG'}", g, f"{t:.2f}", f"{t / t_h:.0f}", r.nit])
    print(f"\nright: {right}/{len(answers)}; median time ratio to HiGHS: "
          f"{statistics.median(ratios):.1f}; max time {max(times):.2f} s; over 5 s: "
          f"{sum(t > 5 for t in times)}; load average {os.getloadavg()[0]:.2f} at the end")


def bench_netlib(threads, dln_time, pdlp_time):
    with open(NETLIB / "ANSWERS.csv") as fh:
        answers = list(csv.DictReader(fh))
    print(f"\n### netlib ({NETLIB}), one run per solver; threads={threads}; "
          f"dln/eg limited to {dln_time:g} s, PDLP to {pdlp_time:g} s\n")
    row(["instance", "expected", "HiGHS [s]", "newton: status, gap, [s]", "PDLP 1e-4: gap, [s]",
         "PDLP 1e-6: gap, [s]", "dln: status, gap, [s]", "eg: status, gap, [s]"])
    row(["---"] * 8)
    STATUS = {"Optimal": 0, "Infeasible": 2, "Unbounded": 3}
    for ans in answers:
        name = ans["name"]
        prob = dlnfast.read_mps(NETLIB / f"{name}.mps")
        c0 = prob["c0"]
        kw = {k: v for k, v in prob.items() if k != "c0"}
        ref = float(ans["objective"]) if ans["objective"] else None

        def fmt(status, f, t):
            g = f"{rel(f, ref):.1e}" if (ref is not None and status == 0) else "-"
            return f"{status}, {g}, {t:.2f}"

        t_h, rh = timed(lambda: scipy_linprog(method="highs", **kw), 1)
        t, r = timed(lambda: dlnfast.linprog(**prob, n_jobs=threads), 1)
        cells = [name, f"{ans['status']} ({STATUS[ans['status']]})", f"{t_h:.2f}", fmt(r.status, r.fun, t)]
        for eps in (1e-4, 1e-6):
            t, (f, reason, _) = timed(lambda: pdlp_solve(**kw, c0=c0, eps=eps, threads=threads,
                                                          time_limit=pdlp_time), 1)
            short = reason.replace("TERMINATION_REASON_", "").lower()
            g = f"{rel(f, ref):.1e}" if ref is not None and short == "optimal" else short
            cells.append(f"{g}, {t:.2f}")
        for method in ("dln", "eg"):
            t, r = timed(lambda: dlnfast.linprog(**prob, method=method, tol=1e-6,
                                                 time_limit=dln_time, n_jobs=threads), 1)
            g = f"{rel(r.fun, ref):.1e}" if (ref is not None and np.isfinite(r.fun)) else "-"
            cells.append(f"{r.status}, {g}, {t:.1f}")
        row(cells)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["random", "ot", "netlib", "all", "targets", "exact-ot"],
                    default="all",
                    help="targets: issue 15's table (netlib default method vs HiGHS, medians of "
                         "--repeats, and the OT 100×100 rows against POT); exact-ot: exact OT "
                         "100×100 and 500×500 against ot.emd")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dln-time", type=float, default=20.0)
    ap.add_argument("--pdlp-time", type=float, default=60.0)
    args = ap.parse_args()
    print(f"machine: {machine()}; dlnfast {dlnfast.__version__}, OpenMP {dlnfast.has_openmp}, "
          f"threads {args.threads}; numpy {np.__version__}; POT {ot.__version__}")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    if args.part == "exact-ot":
        bench_exact_ot(args.repeats)
        return
    if args.part == "targets":
        # no thread limit: dlnfast's default method calls no BLAS in its hot loop
        bench_netlib_newton(args.repeats)
        bench_ot_targets(args.repeats, args.threads)
        bench_exact_ot(args.repeats)
        return
    # one BLAS thread for every solver that uses BLAS (HiGHS does not)
    with threadpool_limits(limits=1, user_api="blas"):
        if args.part in ("random", "all"):
            bench_random(args.repeats, args.threads, args.dln_time)
        if args.part in ("ot", "all"):
            bench_ot(args.repeats, args.threads, args.dln_time)
        if args.part in ("netlib", "all"):
            bench_netlib(args.threads, args.dln_time, args.pdlp_time)


if __name__ == "__main__":
    main()
