"""Benchmark: reaching the implicit-bias limit (issue 3).

Compressed sensing, n=200, d=2000, 10-sparse β*, y = Xβ*, X Gaussian; α ∈ {1e-3, 1e-10}.
The reference is implicit_bias_limit(..., tol=1e-13) (certified: interpolation residual and
mirror residual printed). For each method: wall time until ‖β − β_lim‖∞ ≤ 1e-6·‖β_lim‖∞
("to 1e-6 relative"), or the accuracy it reaches.

* limit  : dlnfast.implicit_bias_limit (dual Newton), tol=1e-10.
* md     : DiagonalLinearRegressor(solver="md"); one run with snapshots at geometric iteration
           counts; time to the first snapshot within 1e-6 = that iteration × (run time / iterations)
           (mirror descent costs the same per iteration).
* flow   : DiagonalLinearRegressor(solver="flow") with tol ∈ {1e-7, 1e-9} (flow_tol = tol/100):
           the first run within 1e-6, timed whole (≤ 100 000 RK steps).
* gd     : DiagonalLinearRegressor(solver="gd", step_size="auto", ≤ 100 000 its): it converges to the limit for
           its effective scale α_∞ < α, O(step) away, so it is reported with the accuracy it reaches.
* numpy  : a plain numpy small-step GD loop on the pm factors (step 0.1/(λ_max·max|β*|)·…), run
           until 1e-6 or 60 s; the error is recorded every 50 iterations, and md's time to reach
           the numpy loop's final accuracy gives the same-accuracy ratio.
Second table: limit solver vs scipy SLSQP (the naive ψ, analytic gradient and constraint
Jacobian) at d = 200 and 1000 (n = d/10, α = 1e-2).

Run:  python benchmarks/bench_implicit_bias.py [--quick] [--threads 1]
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, implicit_bias_limit

TARGET = 1e-6


def instance(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    idx = rng.choice(d, k, replace=False)
    beta[idx] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    return X, X @ beta


def rel(b, ref):
    return float(np.max(np.abs(b - ref)) / np.max(np.abs(ref)))


def median_time(fn, repeats):
    ts = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def bench_md(X, y, alpha, ref, threads, budget_iter):
    its = np.unique(np.geomspace(10, budget_iter, 120).astype(np.int64))
    m = DiagonalLinearRegressor(solver="md", init_scale=alpha, fit_intercept=False, tol=1e-12,
                                max_iter=budget_iter, n_jobs=threads, snapshot_iters=its, loss_every=10**9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        m.fit(X, y)
        T = time.perf_counter() - t
    per_iter = T / max(m.n_iter_, 1)
    errs = np.array([rel(b, ref) for b in m.coef_path_])
    return its[: len(errs)], errs, per_iter


def time_to(its, errs, per_iter, target):
    ok = np.nonzero(errs <= target)[0]
    return (its[ok[0]] * per_iter, int(its[ok[0]])) if ok.size else (np.inf, None)


def bench_flow(X, y, alpha, ref, threads):
    for tol in [1e-7, 1e-9]:
        m = DiagonalLinearRegressor(solver="flow", init_scale=alpha, fit_intercept=False, tol=tol,
                                    flow_tol=tol / 100, max_iter=100_000, n_jobs=threads, loss_every=10**9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t = time.perf_counter()
            m.fit(X, y)
            T = time.perf_counter() - t
        e = rel(m.coef_, ref)
        if e <= TARGET:
            return T, e, tol, m.n_iter_
    return np.inf, e, tol, m.n_iter_


def bench_gd(X, y, alpha, ref, threads):
    m = DiagonalLinearRegressor(solver="gd", init_scale=alpha, fit_intercept=False, tol=1e-9,
                                max_iter=100_000, n_jobs=threads, loss_every=10**9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        m.fit(X, y)
        T = time.perf_counter() - t
    return T, rel(m.coef_, ref), m.n_iter_


def numpy_gd_loop(X, y, alpha, ref, step, seconds):
    """What users write today: GD on w± with a fixed small step, two mat-vecs per iteration."""
    n, d = X.shape
    wp = np.full(d, alpha)
    wn = np.full(d, alpha)
    t0 = time.perf_counter()
    trace = []  # (elapsed, error)
    k = 0
    while True:
        beta = wp * wp - wn * wn
        if k % 50 == 0:
            e = rel(beta, ref)
            el = time.perf_counter() - t0
            trace.append((el, e))
            if e <= TARGET or el > seconds:
                return np.array(trace), k
        g = X.T @ (X @ beta - y) / n
        wp *= 1.0 - 2.0 * step * g
        wn *= 1.0 + 2.0 * step * g
        k += 1


def naive_psi(b, a):
    return 0.5 * np.sum(b * np.arcsinh(b / a) - np.sqrt(b * b + a * a) + a)


def bench_slsqp(d, repeats):
    n = d // 10
    X, y = instance(n, d, max(2, n // 10), seed=1)
    alpha = 1e-2
    a = 2 * alpha**2  # pm: Φ = ½ψ_{2α²}
    t_lim, res = median_time(lambda: implicit_bias_limit(X, y, init_scale=alpha, tol=1e-10), repeats)
    x0 = np.linalg.lstsq(X, y, rcond=None)[0]
    t = time.perf_counter()
    sq = minimize(lambda b: naive_psi(b, a), x0, jac=lambda b: 0.5 * np.arcsinh(b / a), method="SLSQP",
                  constraints=[{"type": "eq", "fun": lambda b: X @ b - y, "jac": lambda b: X}],
                  options={"ftol": 1e-12, "maxiter": 1000})
    t_sq = time.perf_counter() - t
    return d, n, t_lim, t_sq, rel(sq.x, res.coef), sq.nit, sq.success


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--numpy-seconds", type=float, default=60.0)
    args = ap.parse_args()
    n, d, k = (40, 400, 4) if args.quick else (200, 2000, 10)
    secs = 5.0 if args.quick else args.numpy_seconds
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}; dlnfast threads={args.threads}")
    print(f"# compressed sensing n={n}, d={d}, {k}-sparse; target: 1e-6 relative (max-norm)")
    X, y = instance(n, d, k)
    lam = float(np.linalg.eigvalsh(X @ X.T / n).max())
    rows = []
    for alpha in [1e-3, 1e-10]:
        ref = implicit_bias_limit(X, y, init_scale=alpha, tol=1e-13)
        print(f"\n## alpha={alpha:g}: reference residuals interp={ref.interpolation_residual:.1e} "
              f"mirror={ref.mirror_residual:.1e}, Newton its={ref.n_iter}, stages={ref.n_stages}")
        lim = ref.coef
        t_lim, r = median_time(lambda: implicit_bias_limit(X, y, init_scale=alpha, tol=1e-10), args.repeats)
        e_lim = rel(r.coef, lim)
        its, errs, per_iter = bench_md(X, y, alpha, lim, args.threads, 100_000 if not args.quick else 100_000)
        t_md, k_md = time_to(its, errs, per_iter, TARGET)
        t_flow, e_flow, tol_flow, steps_flow = bench_flow(X, y, alpha, lim, args.threads)
        t_gd, e_gd, it_gd = bench_gd(X, y, alpha, lim, args.threads)
        step = 0.05 / (lam * 4 * np.max(np.abs(lim)))  # small: 1/10 of the auto step at the end
        trace, k_np = numpy_gd_loop(X, y, alpha, lim, step, secs)
        t_np, e_np = trace[-1]
        # md's time to the numpy loop's final accuracy (same-accuracy ratio)
        t_md_same, _ = time_to(its, errs, per_iter, e_np)
        rows.append((alpha, t_lim, e_lim, t_md, k_md, errs.min(), t_flow, e_flow, steps_flow, t_gd, e_gd, it_gd,
                     t_np, e_np, k_np, t_md_same))
        print(f"limit : {t_lim * 1e3:9.1f} ms   error {e_lim:.1e}")
        print(f"md    : {t_md * 1e3:9.1f} ms   to 1e-6 (iteration {k_md}); best {errs.min():.1e}")
        print(f"flow  : {t_flow * 1e3:9.1f} ms   error {e_flow:.1e} (tol {tol_flow:g}, {steps_flow} RK steps)")
        print(f"gd    : {t_gd * 1e3:9.1f} ms   reaches {e_gd:.1e} ({it_gd} its; O(step) bias of α_∞)")
        print(f"numpy : {t_np * 1e3:9.1f} ms   reaches {e_np:.1e} ({k_np} its, step {step:.3g})")
        if np.isfinite(t_md_same):
            print(f"same accuracy ({e_np:.1e}): numpy {t_np:.2f} s vs md {t_md_same * 1e3:.1f} ms -> "
                  f"{t_np / t_md_same:.0f}x; vs limit {t_np / t_lim:.0f}x")
    print("\n## limit solver vs scipy SLSQP (alpha=1e-2, n=d/10)")
    for dd in ([100, 200] if args.quick else [200, 1000]):
        d_, n_, t_lim, t_sq, err, nit, ok = bench_slsqp(dd, args.repeats)
        print(f"d={d_:5d} n={n_:4d}: limit {t_lim * 1e3:8.1f} ms, SLSQP {t_sq:8.2f} s ({nit} its, success={ok}, "
              f"|SLSQP - limit| {err:.1e}) -> {t_sq / t_lim:.0f}x")


if __name__ == "__main__":
    main()
