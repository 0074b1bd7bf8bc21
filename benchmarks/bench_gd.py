"""Full-batch GD iterations per second: dlnfast against a numpy loop and PyTorch CPU loops.

Every figure is a ratio measured in the same run. Each (size, dtype, threads) cell times a fixed
number of iterations of the same update — β = w₊² − w₋², w± ← w±(1 ∓ 2ηg), g = Xᵀ(Xβ − y)/n — in

* dlnfast (the C++ engine, fixed step, tol = 0),
* a numpy loop (two BLAS mat-vecs per iteration; BLAS threads limited with threadpoolctl),
* a PyTorch CPU loop with hand-written gradient (torch.mv), and one with autograd,

and the time to read X once (``dlnfast._core.stream_sum``, same threads): the floor for a
full-batch step, reported as the fraction of that bandwidth the engine reaches.

Usage:  python benchmarks/bench_gd.py [--sizes 100x1000,200x2000,...] [--repeats 5] [--threads 1,2]
Needs the ``bench`` extra for PyTorch (``pip install ".[bench]"``); without torch those columns
are skipped.
"""
import argparse
import platform
import statistics
import subprocess
import time

import numpy as np
from threadpoolctl import threadpool_limits

from dlnfast import _core, _engine

try:
    import torch
except ImportError:  # pragma: no cover - optional baseline
    torch = None

STEP = 1e-3
ALPHA = 1e-3


def _iters_for(n, d):
    # about 0.15 s of numpy work per measurement
    return int(max(5, min(10_000, 1.5e8 / (2 * n * d))))


def quiesce():
    """Let the previous library's worker threads go idle (OpenBLAS, torch and libgomp threads
    spin for a while after a parallel call and would steal the second core from the next one)."""
    time.sleep(0.2)


def warm(fn, *args):
    """Run once untimed (thread pools woken, buffers touched), then return the timed run.

    On this VM an idle second vCPU takes milliseconds to come back, which made the first
    multi-threaded call after a pause up to 2x slower than the steady state users see.
    """
    quiesce()
    fn(*args)
    return fn(*args)


def time_dlnfast(X, y, k, nt):
    problem = _engine.make_problem(X, y, None, fit_intercept=False, n_threads=nt)
    net = _engine.init_network("pm", ALPHA, None, 2, X.shape[1])
    t = time.perf_counter()
    run = _engine.run_gd(problem, net, step_size=STEP, max_iter=k, tol=0.0, n_threads=nt, loss_every=0)
    elapsed = time.perf_counter() - t
    assert run.result.n_iter == k
    return elapsed, run.coef


def time_numpy(X, y, k, nt):
    n, d = X.shape
    with threadpool_limits(limits=nt):
        wp = np.full(d, ALPHA, dtype=X.dtype)
        wn = wp.copy()
        beta = np.zeros(d, dtype=X.dtype)
        yy = y.astype(X.dtype)
        t = time.perf_counter()
        for _ in range(k):
            g = X.T @ (X @ beta - yy) / n
            wp *= 1 - 2 * STEP * g
            wn *= 1 + 2 * STEP * g
            beta = wp * wp - wn * wn
        return time.perf_counter() - t, beta


def time_torch(X, y, k, nt, autograd):
    torch.set_num_threads(nt)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(X.dtype))
    n, d = X.shape
    wp = torch.full((d,), ALPHA, dtype=Xt.dtype)
    wn = wp.clone()
    t = time.perf_counter()
    if autograd:
        wp.requires_grad_(True)
        wn.requires_grad_(True)
        for _ in range(k):
            loss = ((Xt @ (wp * wp - wn * wn) - yt) ** 2).sum() / (2 * n)
            gp, gn = torch.autograd.grad(loss, (wp, wn))
            with torch.no_grad():
                wp -= STEP * gp
                wn -= STEP * gn
    else:
        beta = torch.zeros(d, dtype=Xt.dtype)
        for _ in range(k):
            g = torch.mv(Xt.T, torch.mv(Xt, beta) - yt) / n
            wp *= 1 - 2 * STEP * g
            wn *= 1 + 2 * STEP * g
            beta = wp * wp - wn * wn
    elapsed = time.perf_counter() - t
    with torch.no_grad():
        return elapsed, (wp * wp - wn * wn).numpy()


def time_stream(X, nt):
    # enough passes per call that the call and fork/join overhead does not count
    reps = max(1, int(2e7 // X.size))
    t = time.perf_counter()
    _core.stream_sum(X, nt, reps)
    return (time.perf_counter() - t) / reps


def machine():
    try:
        model = [line.split(":", 1)[1].strip() for line in subprocess.check_output(["lscpu"], text=True).splitlines()
                 if line.startswith("Model name")][0]
    except Exception:  # pragma: no cover
        model = platform.processor()
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100x1000,200x2000,1000x10000,4000x25000")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    print(f"# machine: {machine()}, {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'absent'}, dlnfast OpenMP={_core.has_openmp}")
    print(f"# medians of {args.repeats} runs; iterations per second; ratios = dlnfast speed / baseline speed")
    print("| n x d | dtype | threads | dlnfast it/s | numpy it/s | torch it/s | torch autograd it/s "
          "| vs numpy | vs torch | vs autograd | stream-bound fraction |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n, d in sizes:
        X64 = rng.standard_normal((n, d))
        y = X64[:, :10] @ rng.standard_normal(10)
        for dt in args.dtypes.split(","):
            X = X64 if dt == "float64" else X64.astype(np.float32)
            k = _iters_for(n, d)
            for nt in threads:
                res = {name: [] for name in ("dln", "np", "torch", "autograd", "stream")}
                for _ in range(args.repeats):
                    t_d, b_d = warm(time_dlnfast, X, y, k, nt)
                    res["dln"].append(k / t_d)
                    t_n, b_n = warm(time_numpy, X, y, k, nt)
                    res["np"].append(k / t_n)
                    # the baselines run the same iterations: check they agree
                    slack = 1e-4 if dt == "float32" else 1e-10
                    assert np.abs(b_n - b_d).max() <= 1e-3 * max(np.abs(b_d).max(), 1e-12) + slack
                    if torch is not None:
                        res["torch"].append(k / warm(time_torch, X, y, k, nt, False)[0])
                        res["autograd"].append(k / warm(time_torch, X, y, k, nt, True)[0])
                    res["stream"].append(1.0 / warm(time_stream, X, nt))
                med = {key: statistics.median(v) if v else float("nan") for key, v in res.items()}
                frac = med["dln"] / med["stream"]
                print(f"| {n}x{d} | {dt} | {nt} | {med['dln']:.0f} | {med['np']:.0f} | {med['torch']:.0f} "
                      f"| {med['autograd']:.0f} | {med['dln'] / med['np']:.2f} | {med['dln'] / med['torch']:.2f} "
                      f"| {med['dln'] / med['autograd']:.2f} | {frac:.2f} |", flush=True)


if __name__ == "__main__":
    main()
