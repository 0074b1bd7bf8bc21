"""
More is less: depth and the ℓ1 limit (Chou, Maly & Rauhut)
==========================================================

Chou, Maly & Rauhut ("More is less: inducing sparsity via overparameterization") show that
gradient flow on the depth-D network ``β = w₊^D − w₋^D`` from ``w± = α`` converges, as α → 0, to
the minimum-ℓ1 interpolator, and that depth helps: for D ≥ 3 the distance to it shrinks
polynomially in α, whereas for D = 2 the scale has to be exponentially small
(:ref:`ug-parametrizations`).

**Set-up.** d = 80 features, n = 25 noiseless Gaussian samples, a 6-sparse target, averaged
over 3 problems. For depths D ∈ {2, 3, 4} and 15 scales α from 10⁻³ to 1,
:func:`dlnfast.implicit_bias_limit` (``depth=D``) gives where the flow lands; the reference is the
minimum-ℓ1 interpolator from :func:`dlnfast.basis_pursuit`. At α = 0.1, D ∈ {3, 4}, the network is
also trained by gradient descent on the first problem (crosses).

**What it shows.** At α = 1 all depths sit at the same distance (0.8) from the minimum-ℓ1
interpolator. As α shrinks, D = 2 barely moves (0.20 at α = 10⁻³; log–log slope 0.2 over
α ≤ 10⁻²: it needs exponentially small α), while D = 3 and D = 4 fall as powers of α (slopes
1.4 and 4.0; 1.1·10⁻⁴ and 3.8·10⁻⁹ at α = 10⁻³). The trained networks at α = 0.1 land within
3·10⁻² (D = 3) and 6·10⁻³ (D = 4) of their flow limits (numbers printed below).
How the gap closes far below these scales (linearly in α^D for D ≥ 3, down to α^D = 10⁻³⁰) is
the subject of :ref:`sphx_glr_auto_examples_plot_depth_gap.py`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, basis_pursuit, implicit_bias_limit

N, D_FEATURES, K, N_PROBLEMS = 25, 80, 6, 3
DEPTHS = (2, 3, 4)
ALPHAS = np.geomspace(1e-3, 1.0, 15)


def problem(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D_FEATURES))
    beta = np.zeros(D_FEATURES)
    beta[rng.choice(D_FEATURES, K, replace=False)] = rng.choice([-1.0, 1.0], K) * rng.uniform(0.5, 1.5, K)
    return X, X @ beta


problems = [problem(p) for p in range(N_PROBLEMS)]
l1 = [basis_pursuit(X, y).x for X, y in problems]
dist = {}
for depth in DEPTHS:
    dist[depth] = np.mean(
        [
            [
                np.linalg.norm(implicit_bias_limit(X, y, init_scale=a, depth=depth).coef - b1) / np.linalg.norm(b1)
                for a in ALPHAS
            ]
            for (X, y), b1 in zip(problems, l1)
        ],
        axis=0,
    )
    small = ALPHAS <= 1e-2
    slope = np.polyfit(np.log(ALPHAS[small]), np.log(dist[depth][small]), 1)[0]
    print(
        f"D={depth}: "
        + " ".join(f"α={a:.0e}:{v:.1e}" for a, v in zip(ALPHAS[::7], dist[depth][::7]))
        + f"; log-log slope over α ≤ 1e-2: {slope:.2f}"
    )

# %%
# Gradient descent on the deep network itself, at α = 0.1.
X, y = problems[0]
trained = {}
for depth in (3, 4):
    model = DiagonalLinearRegressor(depth=depth, init_scale=0.1, tol=1e-7, max_iter=300_000, fit_intercept=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    limit = implicit_bias_limit(X, y, init_scale=0.1, depth=depth).coef
    trained[depth] = np.linalg.norm(model.coef_ - l1[0]) / np.linalg.norm(l1[0])
    print(
        f"D={depth}, α=0.1: GD {model.n_iter_} iterations, distance to ℓ1 {trained[depth]:.2e}, "
        f"to its flow limit {np.linalg.norm(model.coef_ - limit) / np.linalg.norm(limit):.1e}"
    )

fig, ax = plt.subplots(figsize=(6.4, 4.2))
for depth in DEPTHS:
    ax.plot(ALPHAS, dist[depth], "o-", ms=3, label=f"D = {depth}")
for depth, c in zip((3, 4), ("tab:orange", "tab:green")):
    ax.plot(0.1, trained[depth], "x", ms=9, mew=2, c=c)
ax.plot([], [], "kx", label="GD trained (problem 1)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("init scale α")
ax.set_ylabel("‖β_D(α) − β_ℓ1‖ / ‖β_ℓ1‖")
ax.set_title(f"Depth and the ℓ1 limit, n={N}, d={D_FEATURES}, {K}-sparse", fontsize=10)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
