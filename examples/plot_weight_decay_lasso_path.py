"""
Weight decay on the factors is the lasso
========================================

Adding weight decay (λ/2)(‖u‖² + ‖v‖²) to the training loss of β = u ⊙ v turns gradient descent
on the factors into a lasso solver: at a minimiser the factors balance, and since
:math:`(u^2 + v^2)/2 ≥ |uv|` with equality there, the penalty they leave on β is λ‖β‖₁. So the network
with ``weight_decay=λ`` converges to ``sklearn.linear_model.Lasso(alpha=λ)``, with no proximal
step anywhere (:ref:`ug-training-weight-decay` gives the other parametrisations' penalties).

**Set-up.** n = 50 Gaussian samples, d = 20 features, a 4-sparse target plus noise of standard
deviation 0.3 and an offset of 1 (``fit_intercept=True``; scikit-learn's path is computed on the
centred data). Twelve values of λ, log-spaced from 0.9 times the smallest λ that zeroes every
coefficient down to 5 times the end of scikit-learn's default path (``eps=1e-3``); for each, the
``uv`` network from α = 0.1 trained by GD to ``tol=1e-8``. Markers: the network's coefficients;
lines: ``lasso_path`` in the same colour; the reference for the printed error is ``lasso_path``
solved at each λ of the grid to ``tol=1e-12``.

**What it shows.** Every marker sits on its lasso line over the whole grid (λ from 1.39 down to
0.0077, printed below): from λ just under 1.54, where the first coefficient enters, to the
nearly unpenalised fit, including the small coefficients off the support that enter below
λ ≈ 0.1. The largest difference between the network and the lasso over the twelve fits and
twenty coefficients is 4·10⁻⁸.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import lasso_path

from dlnfast import DiagonalLinearRegressor

rng = np.random.default_rng(0)
X = rng.standard_normal((50, 20))
beta = np.zeros(20)
beta[:4] = [2.0, -1.5, 1.0, 0.5]
y = X @ beta + 0.3 * rng.standard_normal(50) + 1.0
Xc, yc = X - X.mean(axis=0), y - y.mean()
alphas, path, _ = lasso_path(Xc, yc, alphas=100, eps=1e-3)
grid = np.geomspace(alphas[0] * 0.9, alphas[-1] * 5, 12)

coefs = np.array([
    DiagonalLinearRegressor(parametrization="uv", weight_decay=lam, init_scale=0.1, tol=1e-8,
                            max_iter=2_000_000).fit(X, y).coef_
    for lam in grid
])
ref = np.array([lasso_path(Xc, yc, alphas=[lam], tol=1e-12, max_iter=100_000)[1][:, 0] for lam in grid])
print(f"λ from {grid[0]:.3g} down to {grid[-1]:.3g}; "
      f"largest |network − lasso| over the grid: {np.abs(coefs - ref).max():.2e}")

fig, ax = plt.subplots(figsize=(6, 4))
for j in range(X.shape[1]):
    line, = ax.plot(alphas, path[j], lw=1)
    ax.plot(grid, coefs[:, j], "o", ms=4, color=line.get_color())
ax.set_xscale("log")
ax.set_xlabel("λ (weight decay) = Lasso alpha")
ax.set_ylabel("coefficient")
ax.set_title("uv network with weight decay (markers) on lasso_path (lines)", fontsize=10)
fig.tight_layout()
plt.show()
