"""Edge of stability: GD on a diagonal network with a large step self-stabilises with its
sharpness near 2/η (Cohen et al. 2021; Even et al. 2023; Fojtik et al. 2025).

For three fixed steps η we train β = u ⊙ v by full-batch GD from u = v = α and record the loss
and the sharpness (the top eigenvalue of the Hessian in (u, v), ``sharpness_every``; exact
Hessian-vector products, no dense Hessian). The network is ``parametrization="product"`` with
depth 2 (β = u¹ ⊙ u², plain factors that may change sign under large steps; the ``uv`` network's
log-domain engine stops a run as diverged when a step would flip a factor). Left: loss against
iteration. Right: sharpness, with 2/η dashed: the largest step drives the sharpness down to
2/η and holds it there while the loss decreases non-monotonically (edge of stability); the
smaller steps converge to minima whose sharpness is below 2/η.

n = 40, d = 100, 5-sparse, α = 1, no intercept. Run:  python examples/edge_of_stability.py
(saves edge_of_stability.png; a few seconds)
"""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from dlnfast import DiagonalLinearRegressor  # noqa: E402

STEPS = (0.1, 0.2, 0.25)
N_ITER, EVERY = 3000, 10


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 100))
    beta = np.zeros(100)
    beta[:5] = [2.0, -1.5, 1.0, 3.0, -2.5]
    y = X @ beta
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for eta in STEPS:
        model = DiagonalLinearRegressor(parametrization="product", depth=2, init_scale=1.0, step_size=eta, max_iter=N_ITER,
                                        tol=0.0, sharpness_every=EVERY, fit_intercept=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        late = model.sharpness_curve_[len(model.sharpness_curve_) // 2:]
        print(f"η={eta}: final loss {model.loss_curve_[-1]:.2e}, sharpness in the second half "
              f"{late.min():.2f}–{late.max():.2f}, 2/η = {2 / eta:.2f}, loss increases {model.n_loss_increases_}")
        line, = axes[0].plot(model.loss_curve_, label=f"η = {eta}")
        axes[1].plot(model.sharpness_iters_, model.sharpness_curve_, color=line.get_color())
        axes[1].axhline(2 / eta, color=line.get_color(), ls="--", lw=1)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("training loss")
    axes[0].legend()
    axes[1].set_xlabel("iteration")
    axes[1].set_ylabel("sharpness λ_max(∇²L)  (dashed: 2/η)")
    fig.tight_layout()
    fig.savefig("edge_of_stability.png", dpi=120)


if __name__ == "__main__":
    main()
