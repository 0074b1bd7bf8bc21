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

With ``--squared`` the same three implementations also run the squared loss (g = Xᵀ(Xβ − y)/n,
y = the labels as targets) in the same repeats, interleaved with the logistic ones, so that the
issue's target ("ratios ≥ the squared-loss ratios") is judged within one run rather than across
two scripts run minutes apart (numpy's own speed at 100×1000 moved by 30 % between such runs).

Usage:  python benchmarks/bench_classifier.py [--sizes 100x1000,1000x10000] [--repeats 3] [--threads 1,2] [--squared]
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


def time_dlnfast(X, s, k, nt, loss=1):
    net = make_parametrization("pm", ALPHA, None, 2, X.shape[1]).init_network()
    opts = solve_options(step_size=STEP, step_factor=1.0, max_iter=k, tol=0.0, n_threads=nt, grad_scale=1.0,
                         depth=2, loss=loss, loss_every=0)
    t = time.perf_counter()
    res = _core.gd(X, s, net.log_w_pos, net.log_w_neg, opts)
    elapsed = time.perf_counter() - t
    assert res.n_iter == k
    return elapsed, np.asarray(res.coef)


def time_numpy(X, s, k, nt, loss=1):
    n, d = X.shape
    with threadpool_limits(limits=nt):
        wp = np.full(d, ALPHA)
        wn = wp.copy()
        beta = np.zeros(d)
        t = time.perf_counter()
        for _ in range(k):
            if loss == 0:
                g = X.T @ (X @ beta - s) / n
            else:
                g = -(X.T @ (s * expit(-s * (X @ beta)))) / n
            wp *= 1 - 2 * STEP * g
            wn *= 1 + 2 * STEP * g
            beta = wp * wp - wn * wn
        return time.perf_counter() - t, beta


def time_torch(X, s, k, nt, loss=1):
    torch.set_num_threads(nt)
    Xt, st = torch.from_numpy(X), torch.from_numpy(s)
    n, d = X.shape
    wp = torch.full((d,), ALPHA, dtype=Xt.dtype)
    wn = wp.clone()
    beta = torch.zeros(d, dtype=Xt.dtype)
    t = time.perf_counter()
    for _ in range(k):
        if loss == 0:
            g = torch.mv(Xt.T, torch.mv(Xt, beta) - st) / n
        else:
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
    parser.add_argument("--squared", action="store_true", help="also the squared loss, interleaved")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in sz.split("x")) for sz in args.sizes.split(",")]
    losses = (1, 0) if args.squared else (1,)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}")
    print(f"# logistic loss, pm depth 2, float64; medians of {args.repeats}; ratios = dlnfast speed / baseline")
    extra = " squared: vs numpy | vs torch |" if args.squared else ""
    print(f"| n x d | threads | k | dlnfast it/s | numpy it/s | torch it/s | vs numpy | vs torch |{extra} load avg |")
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if args.squared else "") + "---|")
    rng = np.random.default_rng(0)
    for n, d in sizes:
        X = rng.standard_normal((n, d))
        s = np.sign(X[:, :5] @ rng.standard_normal(5) + 0.3 * rng.standard_normal(n))
        k = _iters_for(n, d)
        for nt in (int(t) for t in args.threads.split(",")):
            res = {(key, loss): [] for key in ("dln", "np", "torch") for loss in losses}
            load = os.getloadavg()[0]
            for _ in range(args.repeats):
                for loss in losses:
                    t_d, b_d = warm(time_dlnfast, X, s, k, nt, loss)
                    t_n, b_n = warm(time_numpy, X, s, k, nt, loss)
                    assert np.abs(b_n - b_d).max() <= 1e-10 * max(np.abs(b_d).max(), 1.0)  # the same iterations
                    res["dln", loss].append(k / t_d)
                    res["np", loss].append(k / t_n)
                    if torch is not None:
                        res["torch", loss].append(k / warm(time_torch, X, s, k, nt, loss)[0])
            med = {key: statistics.median(v) if v else float("nan") for key, v in res.items()}
            row = (f"| {n}x{d} | {nt} | {k} | {med['dln', 1]:.0f} | {med['np', 1]:.0f} | {med['torch', 1]:.0f} "
                   f"| {med['dln', 1] / med['np', 1]:.2f} | {med['dln', 1] / med['torch', 1]:.2f} |")
            if args.squared:
                row += f" {med['dln', 0] / med['np', 0]:.2f} | {med['dln', 0] / med['torch', 0]:.2f} |"
            print(f"{row} {load:.1f}–{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
