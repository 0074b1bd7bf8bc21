"""Per-iteration cost of the adaptive optimisers (Adam, AdaGrad) against plain full-batch GD, and
against a PyTorch CPU loop with ``torch.optim.Adam`` on the same factors.

All runs train β = u ⊙ v (``uv``, no intercept) from u = √2·α, v = 0 + 0.1 (so that both
factors move) with a fixed step, full batch, tol = 0 (a fixed number of iterations):

  * ``gd (engine)``   — ``_engine.run_gd``: the two-branch network in log-domain coordinates
                         (the default GD path of ``DiagonalLinearRegressor``);
  * ``gd (factors)``  — ``_factors.run_factors(solver="gd")``: plain GD on (u, v) in the
                         FactorNet that the adaptive methods use (same driver, same pass over X);
  * ``adam``, ``adagrad`` — ``_factors.run_factors`` (``solver="adam"|"adagrad"``);
  * ``torch adam``    — u, v as torch tensors, ``loss = ‖X(u⊙v) − y‖²/(2n)``, ``backward()``,
                         ``torch.optim.Adam.step()`` (torch's own threads set to ``--threads``).

Usage:  python benchmarks/bench_optim.py [--n 2000] [--d 1000] [--repeats 5] [--threads 1]
Prints iterations per second (medians of --repeats runs, interleaved ABBA after a calibration of
each case to about --budget seconds) and the paired ratios measured in the same run.
"""
import argparse
import statistics
import time

import numpy as np

from dlnfast import _engine, _factors
from dlnfast._parametrizations import make_parametrization

from _common import calibrate, interleaved_rates, machine_info, paired_ratio

try:
    import torch
except ImportError:  # pragma: no cover - torch is in the `bench` extra
    torch = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget", type=float, default=0.5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n, d, alpha, eta = args.n, args.d, 0.1, 1e-3
    X = rng.standard_normal((n, d))
    y = X[:, :10] @ rng.standard_normal(10)
    problem = _engine.make_problem(X, y, None, False)
    theta0 = np.stack([np.full(d, np.sqrt(2) * alpha), np.full(d, 0.1)])

    def engine_gd(k):
        param = make_parametrization("uv", alpha, (np.sqrt(2), 0.1 / alpha), 2, d)
        t = time.perf_counter()
        r = _engine.run_gd(problem, param.init_network(), step_size=eta, max_iter=k, tol=0.0,
                           n_threads=args.threads)
        return r.result.n_iter, time.perf_counter() - t

    def factor_run(solver):
        def run(k):
            state = _factors.FactorState("uv", 2, theta0.copy())
            t = time.perf_counter()
            r = _factors.run_factors(problem, state, solver=solver, step_size=eta, max_iter=k, tol=0.0,
                                     n_threads=args.threads)
            return r.result.n_iter, time.perf_counter() - t
        return run

    cases = {"gd (engine)": engine_gd, "gd (factors)": factor_run("gd"), "adam": factor_run("adam"),
             "adagrad": factor_run("adagrad")}
    if torch is not None:
        torch.set_num_threads(args.threads)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

        def torch_adam(k):
            u = torch.tensor(theta0[0], requires_grad=True)
            v = torch.tensor(theta0[1], requires_grad=True)
            opt = torch.optim.Adam([u, v], lr=eta)
            t = time.perf_counter()
            for _ in range(k):
                opt.zero_grad()
                r = Xt @ (u * v) - yt
                loss = (r @ r) / (2 * n)
                loss.backward()
                opt.step()
            return k, time.perf_counter() - t

        cases["torch adam"] = torch_adam
    calibrated = {label: (run, calibrate(run, args.budget)[0]) for label, run in cases.items()}
    rates = interleaved_rates(calibrated, args.repeats)
    print(machine_info())
    print(f"n={n} d={d} float64 threads={args.threads} repeats={args.repeats} (medians; iterations/s)")
    for label, r in rates.items():
        print(f"  {label:14s} {statistics.median(r):10.1f} it/s   ({1e3 / statistics.median(r):.3f} ms/it)")
    print("paired ratios (same run):")
    for a, b in (("adam", "gd (engine)"), ("adagrad", "gd (engine)"), ("adam", "gd (factors)"),
                 ("adagrad", "gd (factors)")):
        print(f"  cost {a} / {b}: {paired_ratio(rates, b, a):.3f}")
    if torch is not None:
        print(f"  speed adam / torch adam: {paired_ratio(rates, 'adam', 'torch adam'):.2f}x")


if __name__ == "__main__":
    main()
