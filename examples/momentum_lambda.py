"""Momentum: runs with equal λ = γ/(1 − μ)² land close together (Papazov et al. 2024).

Heavy-ball GD on a diagonal network with step γ and momentum μ behaves like a flow governed by
the single number λ = γ/(1 − μ)². For μ ∈ {0, 0.5, 0.9} and a range of λ we train to
convergence and measure how far the solution moved from the small-step (gradient-flow) one.
Left: against λ, the three curves coincide. Right: the same runs against the raw step γ — they
do not.

n = 20, d = 40, 3-sparse, α = 0.1, full batch. Run:  python examples/momentum_lambda.py
(saves momentum_lambda.png; about 8 s here)
"""
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from dlnfast import DiagonalLinearRegressor  # noqa: E402

ALPHA = 0.1
MOMENTA = (0.0, 0.5, 0.9)
LAMBDAS = np.geomspace(0.01, 0.15, 7)


def main():
    rng = np.random.default_rng(20231128)
    X = rng.standard_normal((20, 40))
    beta = np.zeros(40)
    beta[[3, 17, 31]] = [1.5, -1.0, 0.7]
    y = X @ beta

    def solve(step, mu):
        model = DiagonalLinearRegressor(init_scale=ALPHA, step_size=step, momentum=mu, max_iter=400_000, tol=1e-7,
                                        fit_intercept=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y).coef_

    flow = solve(1e-3, 0.0)  # small step, no momentum: close to gradient flow
    dist = {}
    for mu in MOMENTA:
        dist[mu] = np.array([np.linalg.norm(solve(lam * (1 - mu) ** 2, mu) - flow) / np.linalg.norm(flow)
                             for lam in LAMBDAS])
        print(f"mu={mu}: " + " ".join(f"λ={lam:.3f}:{d:.2e}" for lam, d in zip(LAMBDAS, dist[mu])))
    spread = max(np.max(np.abs(dist[mu] - dist[0.0])) for mu in MOMENTA)
    print(f"largest gap between momenta at equal λ: {spread:.2e} (distances up to {dist[0.0].max():.2e})")

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for mu in MOMENTA:
        axes[0].plot(LAMBDAS, dist[mu], "o-", label=f"μ = {mu}")
        axes[1].plot(LAMBDAS * (1 - mu) ** 2, dist[mu], "o-", label=f"μ = {mu}")
    axes[0].set_xlabel("λ = γ / (1 − μ)²")
    axes[1].set_xlabel("step γ")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("‖β − β_flow‖ / ‖β_flow‖")
        ax.legend(fontsize=8)
    axes[0].set_title("equal λ: the momenta agree", fontsize=9)
    axes[1].set_title("equal γ: they do not", fontsize=9)
    fig.suptitle(f"Heavy-ball GD, n=20, d=40, 3-sparse, α={ALPHA}", fontsize=10)
    fig.tight_layout()
    fig.savefig("momentum_lambda.png", dpi=120)
    print("saved momentum_lambda.png")


if __name__ == "__main__":
    main()
