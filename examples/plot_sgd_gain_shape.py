"""
The shape of the gain: where GD and SGD shrink the initialisation (Even et al. 2023)
====================================================================================

Even, Pesme, Gunasekar & Flammarion (2023): discrete and stochastic gradient descent on a
diagonal network behave like gradient flow started from a smaller effective scale α∞ ≤ α
(:ref:`ug-identities`). The per-coordinate *gain* log(α²/α∞²), reported by every fit as
``gain_``, tells where the scale was shrunk. Large-step GD concentrates it on the support — the
support's scale shrinks and nothing else, so sparsity does not improve — while SGD spreads it
nearly evenly over all coordinates, an overall smaller scale and hence a sparser solution.

**Set-up.** n = 20, d = 30, a 3-sparse target, α = 0.1, noiseless labels; GD with step 0.13 and
SGD with batch size 1 and step 0.025, both near their largest stable step.

**What it shows.** The bars are the gain per coordinate, red on the support (3 of 30
coordinates, 10 %). For GD the support holds 41 % of the total gain (mean 0.34 on the support,
0.05 off it); for SGD 14 % (0.44 on, 0.31 off): nearly even. SGD's test error ‖β − β*‖² is
0.055 against GD's 0.083 (numbers printed below).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor

N, D, K, ALPHA = 20, 30, 3, 0.1

rng = np.random.default_rng(0)
X = rng.standard_normal((N, D))
beta = np.zeros(D)
support = rng.choice(D, K, replace=False)
beta[support] = [1.2, -0.8, 1.0]
y = X @ beta
models = {
    "GD, step 0.13": DiagonalLinearRegressor(
        init_scale=ALPHA, step_size=0.13, max_iter=50_000, tol=1e-6, fit_intercept=False
    ),
    "SGD (batch 1), step 0.025": DiagonalLinearRegressor(
        solver="sgd", init_scale=ALPHA, step_size=0.025, max_iter=300_000, tol=1e-6, random_state=0, fit_intercept=False
    ),
}
is_supp = np.zeros(D, bool)
is_supp[support] = True

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (name, model) in zip(axes, models.items()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    gain = model.gain_
    share = gain[is_supp].sum() / gain.sum()
    print(
        f"{name}: gain on support {gain[is_supp].mean():.3f} (mean), off support "
        f"{gain[~is_supp].mean():.3f}; support holds {100 * share:.0f}% of the total gain; "
        f"test error {np.sum((model.coef_ - beta) ** 2):.4f}"
    )
    ax.bar(np.arange(D), gain, color=np.where(is_supp, "tab:red", "tab:blue"))
    ax.set_title(f"{name}\nsupport (red) holds {100 * share:.0f}% of the gain", fontsize=9)
    ax.set_xlabel("coordinate")
    ax.set_ylabel("gain log(α²/α∞²)")
fig.suptitle(f"Per-coordinate gain, n={N}, d={D}, {K}-sparse, α={ALPHA}", fontsize=10)
fig.tight_layout()
plt.show()
