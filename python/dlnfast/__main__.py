"""Command line: ``python -m dlnfast demo``.

The demo recovers a sparse vector from few Gaussian measurements with a small-initialisation
diagonal linear network, compares the result with basis pursuit (HiGHS, through
scipy.optimize.linprog) and times the C++ engine against the same gradient descent written as a
numpy loop. It then draws the researcher's figure as a table: a sweep over the initialisation
scale α from the rich (sparse) to the kernel regime, trained in one batched call
(:func:`dlnfast.fit_path`) and solved in the limit (:func:`dlnfast.implicit_bias_path`), with
the distance to basis pursuit and to the minimum-ℓ2 interpolator per α, and the sweep's time
against the same grid as numpy loops, measured in the same run.
"""
import argparse
import sys
import time
import warnings

import numpy as np


def _basis_pursuit(X, y):
    from scipy.optimize import linprog

    d = X.shape[1]
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    return res.x[:d] - res.x[d:]


def _numpy_gd(X, y, alpha, step, n_iter):
    """The same GD on β = w₊² − w₋² as a numpy loop (two mat-vecs per iteration)."""
    n = X.shape[0]
    wp = np.full(X.shape[1], alpha)
    wn = wp.copy()
    beta = np.zeros(X.shape[1])
    for _ in range(n_iter):
        g = X.T @ (X @ beta - y) / n
        wp *= 1 - 2 * step * g
        wn *= 1 + 2 * step * g
        beta = wp * wp - wn * wn
    return beta


def demo(n_samples=100, n_features=1000, n_informative=5, init_scale=1e-6, seed=0):
    from dlnfast import DiagonalLinearRegressor, __version__, has_openmp
    from dlnfast._threads import effective_n_threads
    from dlnfast.datasets import make_sparse_regression

    X, y, coef = make_sparse_regression(n_samples, n_features, n_informative, random_state=seed)
    print(f"dlnfast {__version__} (OpenMP: {has_openmp}, threads: {effective_n_threads()})")
    print(f"Compressed sensing: n={n_samples} measurements, d={n_features} unknowns, "
          f"{n_informative}-sparse, init_scale={init_scale:g}")

    t = time.perf_counter()
    bp = _basis_pursuit(X, y)
    t_bp = time.perf_counter() - t

    # A fixed step, so that the numpy loop below runs exactly the same iterations.
    lam = np.linalg.eigvalsh(X @ X.T / n_samples)[-1]
    step = 0.1 / lam
    model = DiagonalLinearRegressor(init_scale=init_scale, step_size=step, max_iter=20_000, tol=1e-5,
                                    fit_intercept=False)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    t_fit = time.perf_counter() - t

    t = time.perf_counter()
    ref = _numpy_gd(X, y, init_scale, step, model.n_iter_)
    t_np = time.perf_counter() - t

    err_bp = np.linalg.norm(model.coef_ - bp) / np.linalg.norm(bp)
    err_true = np.linalg.norm(model.coef_ - coef) / np.linalg.norm(coef)
    same = np.abs(ref - model.coef_).max() / np.abs(ref).max()
    stopped = "converged" if model.n_iter_ < model.max_iter else "stopped at max_iter"
    print(f"GD on the network: {model.n_iter_} iterations in {t_fit:.3f} s ({stopped}, tol={model.tol:g})")
    print(f"  relative error vs basis pursuit (HiGHS, {t_bp:.3f} s): {err_bp:.2e}")
    print(f"  relative error vs the planted sparse vector:        {err_true:.2e}")
    found = np.flatnonzero(np.abs(model.coef_) > 1e-2 * np.abs(model.coef_).max()).tolist()
    print(f"  support found (|β_i| > 1% of max): {found} "
          f"(planted: {np.flatnonzero(coef).tolist()})")
    print(f"numpy loop, same {model.n_iter_} iterations: {t_np:.3f} s -> dlnfast is {t_np / t_fit:.1f}x faster "
          f"(iterates agree to {same:.1e})")
    sweep(X, y, bp, lam)
    return err_bp


def sweep(X, y, bp, lam, alphas=None):
    """α from the rich to the kernel regime: GD by fit_path, the limit by implicit_bias_path."""
    from dlnfast import fit_path, implicit_bias_path

    alphas = np.logspace(-5, 1, 7) if alphas is None else np.asarray(alphas)
    # a fixed step per α (so the numpy loops run the same iterations), inside the stability
    # bound η·λ_max·2·(2α²) < 2 of pm at the start
    configs = [{"init_scale": float(a), "step_size": float(0.1 / (lam * max(1.0, 4 * a * a)))} for a in alphas]
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = fit_path(X, y, configs=configs, max_iter=10_000, tol=1e-5, fit_intercept=False)
    t_path = time.perf_counter() - t
    t = time.perf_counter()
    limits = implicit_bias_path(X, y, alphas)
    t_lim = time.perf_counter() - t
    t = time.perf_counter()
    ref = [_numpy_gd(X, y, c["init_scale"], c["step_size"], int(k)) for c, k in zip(configs, path.n_iter_)]
    t_np = time.perf_counter() - t
    l2 = np.linalg.lstsq(X, y, rcond=None)[0]  # the minimum-ℓ2 interpolator

    def rel(a, b):
        return np.linalg.norm(a - b) / np.linalg.norm(b)

    print(f"\nSweep over α, rich → kernel regime ({len(alphas)} scales, one batched fit_path call; "
          "errors are relative ℓ2 distances):")
    print(f"  {'α':>8} {'iters':>6} {'GD vs BP':>9} {'GD vs ℓ2':>9} {'limit vs BP':>11} {'limit vs ℓ2':>11}")
    for i, a in enumerate(alphas):
        print(f"  {a:8.0e} {path.n_iter_[i]:6d} {rel(path.coefs_[i], bp):9.2e} {rel(path.coefs_[i], l2):9.2e} "
              f"{rel(limits[i], bp):11.2e} {rel(limits[i], l2):11.2e}")
    agree = max(np.abs(r - c).max() / np.abs(r).max() for r, c in zip(ref, path.coefs_))
    print(f"fit_path: {int(path.n_iter_.sum())} iterations over the grid in {t_path:.3f} s; the same grid as "
          f"numpy loops: {t_np:.3f} s -> {t_np / t_path:.1f}x faster (iterates agree to {agree:.1e})")
    print(f"implicit_bias_path: the {len(alphas)} limits in {t_lim:.3f} s")
    return path, limits


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlnfast")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="compressed-sensing recovery vs basis pursuit and a numpy loop")
    p.add_argument("--n-samples", type=int, default=100)
    p.add_argument("--n-features", type=int, default=1000)
    p.add_argument("--n-informative", type=int, default=5)
    p.add_argument("--init-scale", type=float, default=1e-6)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.n_samples, args.n_features, args.n_informative, args.init_scale, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
