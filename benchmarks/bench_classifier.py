"""Full-batch GD on the logistic loss, iterations per second: dlnfast against a numpy loop and a
PyTorch CPU loop (issue 9).

Every figure is a ratio measured in the same run (implementations interleaved, each warmed up
once after a 0.2 s pause, medians of ``--repeats``). Each cell times k iterations of the same
update — β = w₊² − w₋², m = y ⊙ Xβ, g = −Xᵀ(y ⊙ σ(−m))/n, w± ← w±(1 ∓ 2ηg), fixed step — in

* dlnfast: the C++ engine (``_core.gd`` with the logistic MarginLoss, log form, one fused pass
  over X per iteration),
* numpy: two BLAS mat-vecs per iteration (``scipy.special.expit``; BLAS threads limited with
  threadpoolctl), checked to agree with dlnfast,
* torch: the same loop with ``torch.mv`` and ``torch.sigmoid`` (``set_num_threads``).

Usage:  python benchmarks/bench_classifier.py [--sizes 100x1000,1000x10000] [--repeats 3] [--threads 1,2]
"""
import argparse
import os
import platform
import statistics
import time

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from dlnfast import _core
from dlnfast._engine import solve_options
from dlnfast._parametrizations import make_parametrization

try:
    import torch
except ImportError:  # pragma: no cover - optional baseline
    torch = None

STEP = 0.05
ALPHA = 0.1


def _iters_for(n, d):
    return int(max(40, min(10_000, 1.5e8 / (2 * n * d))))  # about 0.15 s of numpy work, >= 40 iterations


def warm(fn, *args):
    time.sleep(0.2)  # let the previous library's worker threads go idle
    fn(*args)
    return fn(*args)


def time_dlnfast(X, s, k, nt):
    net = make_parametrization("pm", ALPHA, None, 2, X.shape[1]).init_network()
    opts = solve_options(step_size=STEP, step_factor=1.0, max_iter=k, tol=0.0, n_threads=nt, grad_scale=1.0,
                         depth=2, loss=1, loss_every=0)
    t = time.perf_counter()
    res = _core.gd(X, s, net.log_w_pos, net.log_w_neg, opts)
    elapsed = time.perf_counter() - t
    assert res.n_iter == k
    return elapsed, np.asarray(res.coef)


def time_numpy(X, s, k, nt):
    n, d = X.shape
    with threadpool_limits(limits=nt):
        wp = np.full(d, ALPHA)
        wn = wp.copy()
        beta = np.zeros(d)
        t = time.perf_counter()
        for _ in range(k):
            g = -(X.T @ (s * expit(-s * (X @ beta)))) / n
            wp *= 1 - 2 * STEP * g
            wn *= 1 + 2 * STEP * g
            beta = wp * wp - wn * wn
        return time.perf_counter() - t, beta


def time_torch(X, s, k, nt):
    torch.set_num_threads(nt)
    Xt, st = torch.from_numpy(X), torch.from_numpy(s)
    n, d = X.shape
    wp = torch.full((d,), ALPHA, dtype=Xt.dtype)
    wn = wp.clone()
    beta = torch.zeros(d, dtype=Xt.dtype)
    t = time.perf_counter()
    for _ in range(k):
        g = -torch.mv(Xt.T, st * torch.sigmoid(-st * torch.mv(Xt, beta))) / n
        wp *= 1 - 2 * STEP * g
        wn *= 1 + 2 * STEP * g
        beta = wp * wp - wn * wn
    return time.perf_counter() - t, beta.numpy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100x1000,1000x10000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in sz.split("x")) for sz in args.sizes.split(",")]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}")
    print(f"# logistic loss, pm depth 2, float64; medians of {args.repeats}; ratios = dlnfast speed / baseline")
    print("| n x d | threads | k | dlnfast it/s | numpy it/s | torch it/s | vs numpy | vs torch | load avg |")
    print("|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n, d in sizes:
        X = rng.standard_normal((n, d))
        s = np.sign(X[:, :5] @ rng.standard_normal(5) + 0.3 * rng.standard_normal(n))
        k = _iters_for(n, d)
        for nt in (int(t) for t in args.threads.split(",")):
            res = {"dln": [], "np": [], "torch": []}
            load = os.getloadavg()[0]
            for _ in range(args.repeats):
                t_d, b_d = warm(time_dlnfast, X, s, k, nt)
                t_n, b_n = warm(time_numpy, X, s, k, nt)
                assert np.abs(b_n - b_d).max() <= 1e-10 * max(np.abs(b_d).max(), 1.0)  # the same iterations
                res["dln"].append(k / t_d)
                res["np"].append(k / t_n)
                if torch is not None:
                    res["torch"].append(k / warm(time_torch, X, s, k, nt)[0])
            med = {key: statistics.median(v) if v else float("nan") for key, v in res.items()}
            print(f"| {n}x{d} | {nt} | {k} | {med['dln']:.0f} | {med['np']:.0f} | {med['torch']:.0f} "
                  f"| {med['dln'] / med['np']:.2f} | {med['dln'] / med['torch']:.2f} "
                  f"| {load:.1f}–{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
