"""SGD (batch size 1) steps per second: dlnfast against a numpy loop and a PyTorch CPU loop;
and the per-iteration cost of momentum over plain full-batch GD.

All three SGD implementations run the same update on β = w₊² − w₋² (pm, depth 2, no
intercept), the same sample sequence, the same fixed step:

    i = idx[t];  r = x_iᵀβ − y_i;  w₊ ← w₊(1 − 2η r x_i);  w₋ ← w₋(1 + 2η r x_i);  β = w₊² − w₋²

The numpy loop comes in two forms: the direct transcription users write ("naive") and a
careful one (preallocated buffers, in-place operations); the torch loop is the careful form.
Ratios are printed against the careful numpy loop. dlnfast runs its
engine with the full-batch evaluation only at the start and the end ("kernel"); the estimator's
default also evaluates the full loss once per epoch, which costs about one more epoch of work
("estimator path", reported separately).

Usage:  python benchmarks/bench_sgd.py [--repeats 5] [--threads 1]
Prints a table of medians (of --repeats runs, interleaved round-robin) and the ratios measured
in the same run. --threads sets torch's threads, the momentum GD runs' threads and (when > 1)
adds a batch-8 run on a forced team. Results and their reading: benchmarks/README.md.
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


def numpy_sgd_naive(X, y, idx, eta, alpha):
    """The loop as it is usually written (a direct transcription, temporaries allocated)."""
    d = X.shape[1]
    wp, wn = np.full(d, alpha), np.full(d, alpha)
    beta = np.zeros(d)
    for i in idx:
        x = X[i]
        g = (x @ beta - y[i]) * x
        wp = wp * (1 - 2 * eta * g)
        wn = wn * (1 + 2 * eta * g)
        beta = wp**2 - wn**2
    return beta


def numpy_sgd(X, y, idx, eta, alpha):
    """The careful loop: preallocated buffers, in-place operations."""
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
            torch.neg(a, out=t).add_(1.0)
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
                          min_parallel_work=min_work)
    return run.coef


def median_rates(cases, repeats):
    """cases: {name: (fn, n_steps)}; returns {name: median steps/s}. The repeats are run
    round-robin across the cases, so that load drifting on a shared machine hits all alike."""
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (fn, _steps) in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: cases[name][1] / float(np.median(t)) for name, t in times.items()}


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
    # Correctness first: all implementations agree on the first slow_steps steps.
    ref = numpy_sgd(X, y, idx, eta, alpha)
    scale = np.abs(ref).max()
    assert np.abs(numpy_sgd_naive(X, y, idx, eta, alpha) - ref).max() <= 1e-9 * scale
    got = dlnfast_sgd(problem, d, slow_steps, eta, alpha, 1, kernel=True)
    assert np.abs(got - ref).max() <= 1e-9 * scale, "dlnfast and numpy disagree"
    cases = {
        ("numpy loop, naive", 1): (lambda: numpy_sgd_naive(X, y, idx, eta, alpha), slow_steps),
        ("numpy loop, in-place", 1): (lambda: numpy_sgd(X, y, idx, eta, alpha), slow_steps),
    }
    if torch is not None:
        torch.set_num_threads(threads)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        assert np.abs(torch_sgd(Xt, yt, idx, eta, alpha) - ref).max() <= 1e-9 * scale, "torch and numpy disagree"
        cases[("torch loop, in-place", threads)] = (lambda: torch_sgd(Xt, yt, idx, eta, alpha), slow_steps)
    cases[("dlnfast kernel", 1)] = (lambda: dlnfast_sgd(problem, d, fast_steps, eta, alpha, 1, kernel=True),
                                    fast_steps)
    cases[("dlnfast estimator path", 1)] = (
        lambda: dlnfast_sgd(problem, d, fast_steps, eta, alpha, 1, kernel=False), fast_steps)
    if threads > 1:  # batch 1 always runs on one thread; a batch of 8 on a forced team, for scale
        n8 = fast_steps // 20

        def batch8(nt):
            net = _engine.init_network("pm", np.full(d, alpha), None, 2, d)
            _engine.run_sgd(problem, net, step_size=eta, max_iter=n8, tol=0.0, n_threads=nt, batch_size=8,
                            shuffle=False, seed=0, eval_every=n8, loss_every=0, min_parallel_work=1)
        cases[("dlnfast batch 8 (not 1)", 1)] = (lambda: batch8(1), n8)
        cases[("dlnfast batch 8 (not 1)", threads)] = (lambda: batch8(threads), n8)
    rates = median_rates(cases, repeats)
    return n, [(name, nt, rate) for (name, nt), rate in rates.items()]


def bench_momentum(repeats, threads):
    n, d = 2000, 1000
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    y = X[:, :5] @ np.ones(5)
    problem = _engine.make_problem(X, y, None, False)
    iters = 300

    def make(mu, nest):
        def run():
            net = _engine.init_network("pm", np.full(d, 1e-2), None, 2, d)
            _engine.run_gd(problem, net, step_size=1e-3, max_iter=iters, tol=0.0, n_threads=threads, loss_every=1,
                           momentum=mu, nesterov=nest)
        return run, iters

    cases = {"plain GD": make(0.0, False), "heavy ball μ=0.9": make(0.9, False), "Nesterov μ=0.9": make(0.9, True)}
    return (n, d, iters), list(median_rates(cases, repeats).items())


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
        base = rows[1][2]  # the in-place numpy loop
        print(f"\nSGD, batch size 1, n={n}, d={d}")
        print(f"  {'implementation':32s} {'threads':>7s} {'steps/s':>12s} {'× numpy in-place':>17s}")
        for name, nt, rate in rows:
            print(f"  {name:32s} {nt:7d} {rate:12.0f} {rate / base:17.1f}")
    (n, d, iters), rows = bench_momentum(args.repeats, args.threads)
    base = rows[0][1]
    print(f"\nFull-batch GD, n={n}, d={d}, {iters} iterations, {args.threads} thread(s)")
    print(f"  {'variant':32s} {'iter/s':>12s} {'time vs plain':>14s}")
    for name, rate in rows:
        print(f"  {name:32s} {rate:12.1f} {base / rate:14.3f}")


if __name__ == "__main__":
    main()
