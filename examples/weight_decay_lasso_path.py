"""Weight decay on the factors is the lasso: GD on β = u ⊙ v with the penalty (λ/2)(‖u‖² + ‖v‖²)
converges to ``Lasso(alpha=λ)`` (the factors balance at a minimiser and (λ/2)(u² + v²) ≥ λ|uv|,
with equality there).

For a grid of λ we train the ``uv`` network with ``weight_decay=λ`` and draw its coefficients
(markers) on top of scikit-learn's ``lasso_path`` (lines).

n = 50, d = 20, 4-sparse + noise, with intercept. Run:  python examples/weight_decay_lasso_path.py
(saves weight_decay_lasso_path.png; a few seconds)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import lasso_path  # noqa: E402

from dlnfast import DiagonalLinearRegressor  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 20))
    beta = np.zeros(20)
    beta[:4] = [2.0, -1.5, 1.0, 0.5]
    y = X @ beta + 0.3 * rng.standard_normal(50) + 1.0
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alphas, path, _ = lasso_path(Xc, yc, alphas=100, eps=1e-3)
    grid = np.geomspace(alphas[0] * 0.9, alphas[-1] * 5, 12)
    coefs = []
    for lam in grid:
        model = DiagonalLinearRegressor(parametrization="uv", weight_decay=lam, init_scale=0.1, tol=1e-8,
                                        max_iter=2_000_000).fit(X, y)
        coefs.append(model.coef_)
    coefs = np.array(coefs)
    ref = np.array([lasso_path(Xc, yc, alphas=[lam], tol=1e-12, max_iter=100_000)[1][:, 0] for lam in grid])
    print(f"largest |network − lasso| over the grid: {np.abs(coefs - ref).max():.2e}")
    fig, ax = plt.subplots(figsize=(6, 4))
    for j in range(X.shape[1]):
        line, = ax.plot(alphas, path[j], lw=1)
        ax.plot(grid, coefs[:, j], "o", ms=4, color=line.get_color())
    ax.set_xscale("log")
    ax.set_xlabel("λ (weight decay) = Lasso alpha")
    ax.set_ylabel("coefficient")
    ax.set_title("uv network with weight decay (markers) on lasso_path (lines)")
    fig.tight_layout()
    fig.savefig("weight_decay_lasso_path.png", dpi=120)


if __name__ == "__main__":
    main()
