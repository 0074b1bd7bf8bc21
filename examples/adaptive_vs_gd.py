"""Adaptive methods on over-parametrised linear regression land on another interpolator than GD
(Shah, Basu, Kyrillidis & Sanghavi 2020).

The linear model β = θ (``parametrization="linear"``) from θ = 0 with d > n: GD's updates stay in
range(Xᵀ), so it ends at the minimum-ℓ2 interpolator pinv(X)·y. AdaGrad, RMSProp and Adam
precondition each coordinate differently and leave that span: they interpolate too, but
elsewhere. We plot the distance to pinv(X)·y (left) and the training loss (right) against the
iteration for each solver.

n = 20, d = 100, Gaussian X and y, no intercept. Run:  python examples/adaptive_vs_gd.py
(saves adaptive_vs_gd.png; a few seconds)
"""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from dlnfast import DiagonalLinearRegressor  # noqa: E402

SOLVERS = {"gd": "auto", "adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-3}
N_ITER = 4000


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 100))
    y = rng.standard_normal(20)
    pinv = np.linalg.pinv(X) @ y
    iters = np.unique(np.geomspace(1, N_ITER, 60).astype(int))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for solver, step in SOLVERS.items():
        model = DiagonalLinearRegressor(parametrization="linear", solver=solver, step_size=step, max_iter=N_ITER,
                                        tol=1e-12, snapshot_iters=iters, fit_intercept=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        path = model.coef_path_
        dist = np.linalg.norm(path - pinv, axis=1) / np.linalg.norm(pinv)
        loss = 0.5 * np.mean((path @ X.T - y) ** 2, axis=1)
        print(f"{solver:8s}: {model.n_iter_} iterations, loss {loss[-1]:.1e}, "
              f"‖β − pinv·y‖/‖pinv·y‖ = {dist[-1]:.2e}, ‖β‖/‖pinv·y‖ = {np.linalg.norm(model.coef_) / np.linalg.norm(pinv):.3f}")
        its = model.snapshot_iters_
        axes[0].plot(its, dist, label=solver)
        axes[1].plot(its, loss, label=solver)
    for ax, label in zip(axes, ("‖β − pinv(X)·y‖ / ‖pinv(X)·y‖", "training loss")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel(label)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig("adaptive_vs_gd.png", dpi=120)


if __name__ == "__main__":
    main()
