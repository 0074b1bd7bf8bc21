"""SGD (batch size 1) steps per second: dlnfast against a numpy loop and a PyTorch CPU loop;
and the per-iteration cost of momentum over plain full-batch GD.

All three SGD implementations run the same update on β = w₊² − w₋² (pm, depth 2, no
intercept), the same sample sequence, the same fixed step:

    i = idx[t];  r = x_iᵀβ − y_i;  w₊ ← w₊(1 − 2η r x_i);  w₋ ← w₋(1 + 2η r x_i);  β = w₊² − w₋²

The numpy and torch loops are written the way a careful user would (preallocated buffers,
in-place operations, no per-step allocation beyond what the library forces). dlnfast runs its
engine with the full-batch evaluation only at the start and the end ("kernel"); the estimator's
default also evaluates the full loss once per epoch, which costs about one more epoch of work
("estimator path", reported separately).

Usage:  python benchmarks/bench_sgd.py [--repeats 5] [--threads 1]
Prints a table of medians (of --repeats runs) and the ratios measured in the same run.
"""
import argparse
import os
import platform
import time

import numpy as np

from dlnfast import _engine

try:
    import torch
except ImportError:  # pragma: no cover - torch is in the `bench` extra
    torch = None


def numpy_sgd(X, y, idx, eta, alpha):
    d = X.shape[1]
    wp, wn = np.full(d, alpha), np.full(d, alpha)
    beta = np.zeros(d)
    a, t = np.empty(d), np.empty(d)
    for i in idx:
        x = X[i]
        r = x.dot(beta) - y[i]
        np.multiply(x, 2.0 * eta * r, out=a)  # a = 2ηg
        np.subtract(1.0, a, out=t)
        wp *= t
        np.add(1.0, a, out=t)
        wn *= t
        np.multiply(wp, wp, out=beta)
        np.multiply(wn, wn, out=t)
        beta -= t
    return beta


def torch_sgd(X, y, idx, eta, alpha):
    d = X.shape[1]
    with torch.no_grad():
        wp = torch.full((d,), alpha, dtype=torch.float64)
        wn = torch.full((d,), alpha, dtype=torch.float64)
        beta = torch.zeros(d, dtype=torch.float64)
        a, t = torch.empty(d, dtype=torch.float64), torch.empty(d, dtype=torch.float64)
        for i in idx.tolist():
            x = X[i]
            r = float(torch.dot(x, beta)) - float(y[i])
            torch.mul(x, 2.0 * eta * r, out=a)
            torch.sub(1.0, a, out=t) if False else torch.neg(a, out=t).add_(1.0)
            wp.mul_(t)
            torch.add(a, 1.0, out=t)
            wn.mul_(t)
            torch.mul(wp, wp, out=beta)
            torch.mul(wn, wn, out=t)
            beta.sub_(t)
    return beta.numpy()


def dlnfast_sgd(problem, d, n_steps, eta, alpha, n_threads, *, kernel, min_work=None):
    net = _engine.init_network("pm", np.full(d, alpha), None, 2, d)
    run = _engine.run_sgd(problem, net, step_size=eta, max_iter=n_steps, tol=0.0, n_threads=n_threads,
                          shuffle=False, seed=0, eval_every=n_steps if kernel else None, loss_every=0,
                          min_work_per_thread=min_work)
    return run.coef


def median_rate(fn, n_steps, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n_steps / float(np.median(times))


def bench_sgd(d, repeats, threads):
    n = 1000
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = X[:, :5] @ np.ones(5)
    eta, alpha = 1e-4, 1e-2
    problem = _engine.make_problem(X, y, None, False)
    from dlnfast._sampling import sample_indices
    fast_steps = 200_000 if d <= 1000 else 40_000
    slow_steps = 20_000 if d <= 1000 else 5_000
    idx = sample_indices(0, n, np.arange(slow_steps))  # the engine's own stream (shuffle=False)
    rows = []
    # Correctness first: all three agree on the first slow_steps steps.
    ref = numpy_sgd(X, y, idx, eta, alpha)
    got = dlnfast_sgd(problem, d, slow_steps, eta, alpha, 1, kernel=True)
    assert np.abs(got - ref).max() <= 1e-9 * max(1e-300, np.abs(ref).max()), "dlnfast and numpy disagree"
    r_np = median_rate(lambda: numpy_sgd(X, y, idx, eta, alpha), slow_steps, repeats)
    rows.append(("numpy loop", 1, r_np))
    if torch is not None:
        torch.set_num_threads(threads)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        tref = torch_sgd(Xt, yt, idx, eta, alpha)
        assert np.abs(tref - ref).max() <= 1e-9 * np.abs(ref).max(), "torch and numpy disagree"
        rows.append(("torch loop", threads,
                     median_rate(lambda: torch_sgd(Xt, yt, idx, eta, alpha), slow_steps, repeats)))
    rows.append(("dlnfast kernel", 1,
                 median_rate(lambda: dlnfast_sgd(problem, d, fast_steps, eta, alpha, 1, kernel=True),
                             fast_steps, repeats)))
    if threads > 1:  # forced team (by default the engine uses 1 thread below 64k B·d per thread)
        n2 = fast_steps // 10
        rows.append(("dlnfast kernel, forced team", threads,
                     median_rate(lambda: dlnfast_sgd(problem, d, n2, eta, alpha, threads, kernel=True, min_work=1),
                                 n2, repeats)))
    rows.append(("dlnfast estimator path", 1,
                 median_rate(lambda: dlnfast_sgd(problem, d, fast_steps, eta, alpha, 1, kernel=False),
                             fast_steps, repeats)))
    return n, rows


def bench_momentum(repeats, threads):
    n, d = 2000, 1000
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    y = X[:, :5] @ np.ones(5)
    problem = _engine.make_problem(X, y, None, False)
    iters = 300
    out = []
    for name, mu, nest in [("plain GD", 0.0, False), ("heavy ball μ=0.9", 0.9, False), ("Nesterov μ=0.9", 0.9, True)]:
        def run():
            net = _engine.init_network("pm", np.full(d, 1e-2), None, 2, d)
            _engine.run_gd(problem, net, step_size=1e-3, max_iter=iters, tol=0.0, n_threads=threads, loss_every=1,
                           momentum=mu, nesterov=nest)
        out.append((name, median_rate(run, iters, repeats)))
    return (n, d, iters), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (shared machine: timings are noisy)")
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}; "
          f"medians of {args.repeats} runs; threads for torch / dlnfast forced team / momentum: {args.threads}")
    for d in (1000, 10_000):
        n, rows = bench_sgd(d, args.repeats, args.threads)
        base = rows[0][2]
        print(f"\nSGD, batch size 1, n={n}, d={d}")
        print(f"  {'implementation':32s} {'threads':>7s} {'steps/s':>12s} {'× numpy':>9s}")
        for name, nt, rate in rows:
            print(f"  {name:32s} {nt:7d} {rate:12.0f} {rate / base:9.1f}")
    (n, d, iters), rows = bench_momentum(args.repeats, args.threads)
    base = rows[0][1]
    print(f"\nFull-batch GD, n={n}, d={d}, {iters} iterations, {args.threads} thread(s)")
    print(f"  {'variant':32s} {'iter/s':>12s} {'time vs plain':>14s}")
    for name, rate in rows:
        print(f"  {name:32s} {rate:12.1f} {base / rate:14.3f}")


if __name__ == "__main__":
    main()
