"""Sweeps: per-configuration GD iterations per second of the batched driver (fit_path's engine
call, ``_core.gd_many``; "exact": bit-identical per-configuration kernel, "fused": the fused
multi-configuration kernel per block of rows, ``fit_path(..., exact=False)``) against the same K
configurations fitted one by one (``_core.gd``) and a numpy loop that batches the K configurations
itself (two matrix products per iteration), plus
the machine's matrix-product flop rate (numpy ``X @ B`` at the same shape, same run): a batched
iteration is 4·n·d·K flops, so ``4ndK·(batched it/s)/K`` over that rate is the fraction of the
ceiling reached.

All runs: pm, fixed step η = 1e-3, tol = 0, α spread over [1e-3, 1] across configurations,
float64, no intercept. Medians of ``--repeats`` runs, each about ``--budget`` seconds; the
repeats of the five measurements of a row are interleaved (run 1 of each, then run 2 of each...)
so that a change of the machine's load hits them alike. ``load`` is the 1-minute load average at
the end of the row. ``--busy N`` runs N single-threaded busy processes beside the measurements.

``--flow`` instead times the batched gradient flow (``_core.flow_many``, fit_path's engine call
for ``solver="flow"``: every Runge-Kutta stage one pass over X for all running flows) against
the same K flows integrated one by one (``_core.flow``): per-configuration Dormand-Prince steps
per second. Hyperbolic mirror (pm, depth 2), θ₀ = 0, α spread over [1e-3, 1] and rk_tol over
[1e-9, 1e-6] across configurations (so each has its own step sizes and rejections), tol = 0 and
a fixed number of steps, float64, no intercept; the two runs' results are checked bit-identical.

``--limits`` instead times ``implicit_bias_path`` over 100 scales in [1e-6, 10] at (100, 1000)
against ``implicit_bias_limit`` from scratch at every 10th of them (same run).

Usage:  python benchmarks/bench_sweep.py [--sizes 100x1000,200x2000,1000x10000]
                                        [--ks 8,32,128] [--threads 1,2] [--repeats 3] [--busy 1]
                                        [--methods exact,fused,one-by-one,numpy] [--quiesce 0.05]
        python benchmarks/bench_sweep.py --flow [--sizes 100x1000,1000x10000] [--ks 8,32] [--threads 1]
        python benchmarks/bench_sweep.py --limits
        python benchmarks/bench_sweep.py --pairs [--sizes ...] [--ks 32] [--repeats 7] [--busy 1]

``--pairs`` times the fused mode with 2 threads against 1 thread, in interleaved runs (the order
alternating between repeats): the team forced on for every size (``min_parallel_work = 1``) and
with the default threshold, per-iteration milliseconds and the 2-thread speed-ups.
"""
import argparse
import contextlib
import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from dlnfast import _core

from _common import busy_neighbours, machine_info, quiesce

STEP = 1e-3


def _opts(n_iter, threads, min_work=None):
    o = _core.SolveOptions(auto_step=False, step=STEP, max_iter=int(n_iter), tol=0.0, n_threads=int(threads),
                           loss_every=0)
    if min_work is not None:
        o.min_parallel_work = int(min_work)
    return o


def _starts(K, d):
    alphas = np.logspace(-3, 0, K)
    log_w = np.repeat(np.log(alphas)[:, None], d, axis=1)
    return log_w


def time_batched(X, y, K, n_iter, threads, blocked=False, min_work=None):
    log_w = _starts(K, X.shape[1])
    lp, ln = log_w.copy(), log_w.copy()
    opts = [_opts(n_iter, threads, min_work) for _ in range(K)]
    t = time.perf_counter()
    _core.gd_many(X, y, lp, ln, opts, blocked=blocked)
    return time.perf_counter() - t


def time_blocked(X, y, K, n_iter, threads):
    return time_batched(X, y, K, n_iter, threads, blocked=True)


def time_one_by_one(X, y, K, n_iter, threads):
    log_w = _starts(K, X.shape[1])
    opts = _opts(n_iter, threads)
    t = time.perf_counter()
    for c in range(K):
        _core.gd(X, y, log_w[c].copy(), log_w[c].copy(), opts)
    return time.perf_counter() - t


def time_numpy(X, y, K, n_iter, threads):
    n, d = X.shape
    alphas = np.logspace(-3, 0, K)
    wp = np.repeat(alphas[None, :], d, axis=0)
    wn = wp.copy()
    with threadpool_limits(threads):
        t = time.perf_counter()
        B = wp**2 - wn**2
        for _ in range(n_iter):
            R = X @ B - y[:, None]          # R = X·B − y
            G = (X.T @ R) / n               # G = Xᵀ R / n
            wp *= 1.0 - 2.0 * STEP * G
            wn *= 1.0 + 2.0 * STEP * G
            B = wp**2 - wn**2
        return time.perf_counter() - t


def flop_rate(X, K, threads, repeats):
    B = np.random.default_rng(1).standard_normal((X.shape[1], K))
    with threadpool_limits(threads):
        X @ B
        reps = max(1, int(2e8 / (2 * X.size * K)))
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(reps):
                X @ B
            times.append((time.perf_counter() - t) / reps)
    return 2 * X.size * K / statistics.median(times)


def _problems(args):
    """(n, d, X, y, K, n_iter) for every size and K of the command line: X standard normal, y from
    its first 5 columns, and iterations so that one fused run takes about ``budget`` s at ~40
    GFLOP/s (at least 5: each call's fixed costs, building K networks and returning their
    log-weights, are in every timing)."""
    rng = np.random.default_rng(0)
    for size in args.sizes.split(","):
        n, d = map(int, size.split("x"))
        X = rng.standard_normal((n, d))
        y = X[:, :5] @ np.ones(5)
        for K in map(int, args.ks.split(",")):
            yield n, d, X, y, K, int(max(5, min(20_000, args.budget * 4e10 / (4 * n * d * K))))


def table_pairs(args):
    """Fused mode, 2 threads against 1, interleaved pairs (order alternating): the team forced
    on (min_parallel_work = 1) and the default threshold, per size. Ratios > 1: 2 threads faster."""
    print("| n x d | K | n·d·K | iterations | 1 thread [ms/it] | 2 forced [ms/it] | 2 default [ms/it] | "
          "forced 2/1 speed-up | default 2/1 speed-up | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    runs = (("one", 1, None), ("forced", 2, 1), ("default", 2, None))
    for n, d, X, y, K, n_iter in _problems(args):
        ts = {name: [] for name, _, _ in runs}
        for r in range(args.repeats):
            for name, threads, mw in (runs if r % 2 == 0 else runs[::-1]):
                quiesce(0.02)
                ts[name].append(time_batched(X, y, K, n_iter, threads, blocked=True, min_work=mw))
        ms = {name: 1e3 * statistics.median(t) / n_iter for name, t in ts.items()}
        print(f"| {n}x{d} | {K} | {n * d * K:.1e} | {n_iter} | {ms['one']:.4f} | {ms['forced']:.4f} | "
              f"{ms['default']:.4f} | {ms['one'] / ms['forced']:.2f} | {ms['one'] / ms['default']:.2f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


def _flow_setup(K, d, n_steps, threads):
    alphas = np.logspace(-3, 0, K)
    rk_tols = np.logspace(-9, -6, K)
    log_scale = np.repeat(np.log(alphas)[:, None], d, axis=1)
    opts = [_core.SolveOptions(max_iter=int(n_steps), tol=0.0, n_threads=int(threads), loss_every=1,
                               rk_tol=float(r)) for r in rk_tols]
    return log_scale, opts


def time_flow_batched(X, y, K, n_steps, threads):
    log_scale, opts = _flow_setup(K, X.shape[1], n_steps, threads)
    theta = np.zeros_like(log_scale)
    t = time.perf_counter()
    res = _core.flow_many(X, y, theta, log_scale, 0, 2.0, 2, opts)
    return time.perf_counter() - t, [r.coef for r in res], sum(r.n_grad for r in res)


def time_flow_alone(X, y, K, n_steps, threads):
    log_scale, opts = _flow_setup(K, X.shape[1], n_steps, threads)
    spec = _core.MirrorSpec(kind=0, rate=2.0, depth=2)
    t = time.perf_counter()
    res = [_core.flow(X, y, np.zeros(X.shape[1]), log_scale[c].copy(), spec, opts[c]) for c in range(K)]
    return time.perf_counter() - t, [r.coef for r in res], sum(r.n_grad for r in res)


def table_flow(args):
    print("| n x d | K | threads | steps | batched steps/s per config | one-by-one | batched vs one-by-one | "
          "gradients per config | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, d, X, y, K, _ in _problems(args):
        # steps so that one batched run takes about `budget` s at ~2 GFLOP/s (6 gradients a step)
        n_steps = int(max(5, min(5_000, args.budget * 2e9 / (6 * 4 * n * d * K))))
        for threads in map(int, args.threads.split(",")):
            ts = {"batched": [], "alone": []}
            for _ in range(args.repeats):
                quiesce(0.05)
                tb, cb, gb = time_flow_batched(X, y, K, n_steps, threads)
                quiesce(0.05)
                ta, ca, ga = time_flow_alone(X, y, K, n_steps, threads)
                assert gb == ga and all(np.array_equal(a, b) for a, b in zip(ca, cb)), "not bit-identical"
                ts["batched"].append(tb)
                ts["alone"].append(ta)
            rates = {name: K * n_steps / statistics.median(t) for name, t in ts.items()}
            print(f"| {n}x{d} | {K} | {threads} | {n_steps} | {rates['batched']:.1f} | {rates['alone']:.1f} | "
                  f"{rates['batched'] / rates['alone']:.2f} | {gb / K:.0f} | {os.getloadavg()[0]:.1f} |",
                  flush=True)


def bench_limits():
    from dlnfast import implicit_bias_limit, implicit_bias_path
    from dlnfast.datasets import make_sparse_regression

    X, y, _ = make_sparse_regression(100, 1000, 5, random_state=0)
    scales = np.logspace(-6, 1, 100)
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        path = implicit_bias_path(X, y, scales)
        ts.append(time.perf_counter() - t)
    t = time.perf_counter()
    ref = [implicit_bias_limit(X, y, init_scale=a).coef for a in scales[::10]]
    t_ref = (time.perf_counter() - t) / len(ref)
    err = max(float(np.abs(p - r).max()) for p, r in zip(path[::10], ref))
    print(f"implicit_bias_path, 100 scales at (100, 1000): median {statistics.median(ts):.3f} s "
          f"({1e3 * statistics.median(ts) / 100:.1f} ms per scale); implicit_bias_limit from scratch: "
          f"{1e3 * t_ref:.0f} ms per scale; max |difference| {err:.1e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100x1000,200x2000,1000x10000")
    ap.add_argument("--ks", default="8,32,128")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=0.3)
    ap.add_argument("--limits", action="store_true")
    ap.add_argument("--flow", action="store_true", help="the batched gradient flow against one-by-one flows")
    ap.add_argument("--methods", default="exact,fused,one-by-one,numpy",
                    help="the table's methods to time (the others print nan): a row at (4000, 25000) in minutes")
    ap.add_argument("--pairs", action="store_true",
                    help="fused mode: 2 threads (forced and default threshold) against 1, interleaved")
    ap.add_argument("--busy", type=int, default=0, help="busy single-threaded processes beside the runs")
    ap.add_argument("--quiesce", type=float, default=0.05,
                    help="seconds of sleep before each timed run of the table (numpy's OpenBLAS threads spin "
                         "~0.1 s after its 2-thread loop and slow the next run; a longer sleep slows 1-thread "
                         "runs instead: see benchmarks/README.md, 'Two-thread scaling')")
    args = ap.parse_args()
    print(machine_info())
    if args.limits:
        bench_limits()
        return
    with busy_neighbours(args.busy) if args.busy else contextlib.nullcontext():
        if args.busy:
            print(f"with {args.busy} busy process(es) beside the measurements")
        if args.pairs:
            table_pairs(args)
        else:
            table_flow(args) if args.flow else table(args)


_METHOD_NAMES = {"batched": "exact", "blocked": "fused", "alone": "one-by-one", "numpy": "numpy"}


def table(args):
    print("| n x d | K | threads | exact it/s per config | fused | one-by-one | numpy batched | "
          "exact vs one-by-one | fused vs one-by-one | fused vs numpy | X@B GFLOP/s | fused fraction of X@B | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, d, X, y, K, n_iter in _problems(args):
        for threads in map(int, args.threads.split(",")):
            methods = tuple((name, fn) for name, fn in (("batched", time_batched), ("blocked", time_blocked),
                                                         ("alone", time_one_by_one), ("numpy", time_numpy))
                            if _METHOD_NAMES[name] in args.methods.split(","))
            ts = {name: [] for name, _ in methods}
            for _ in range(args.repeats):
                for name, fn in methods:
                    quiesce(args.quiesce)
                    ts[name].append(fn(X, y, K, n_iter, threads))
            rates = {name: K * n_iter / statistics.median(t) for name, t in ts.items()}
            nan = float("nan")
            rates = {name: rates.get(name, nan) for name in _METHOD_NAMES}
            fr = flop_rate(X, K, threads, args.repeats)
            frac = 4 * n * d * rates["blocked"] / fr
            print(f"| {n}x{d} | {K} | {threads} | {rates['batched']:.0f} | {rates['blocked']:.0f} | "
                  f"{rates['alone']:.0f} | {rates['numpy']:.0f} | {rates['batched'] / rates['alone']:.2f} | "
                  f"{rates['blocked'] / rates['alone']:.2f} | {rates['blocked'] / rates['numpy']:.2f} | "
                  f"{fr / 1e9:.1f} | {frac:.2f} | {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
