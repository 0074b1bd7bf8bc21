"""
A sweep over α, kernel to rich, and cross-validating it (Woodworth et al. 2020)
================================================================================

Woodworth et al. (2020) show that the initialisation scale α of ``β = w₊² − w₋²`` moves gradient
flow from the minimum-ℓ2 interpolator (α → ∞, the *kernel* regime) to the minimum-ℓ1 one
(α → 0, the *rich* regime; :ref:`ug-limits`). Studying that transition means training the same
network at many scales: the unit of work is a *sweep*. :func:`dlnfast.fit_path` trains a grid of
configurations on the same data in one batched engine call (each iteration reads X once for all
the scales still running), :func:`dlnfast.implicit_bias_path` solves where the flow lands at every
scale by continuation, and :class:`~dlnfast.DiagonalLinearRegressorCV` uses the sweep to choose α
by K-fold cross-validation, as ``LassoCV`` chooses its penalty.

**Set-up.** Sparse regression with n = 40 Gaussian samples, d = 100 features and a 5-sparse
target β* with entries ±1/√5. ``fit_path`` trains 8 scales α from 10⁻²·⁵ to 10 (GD,
``step_size="auto"``, ``tol=1e-6``, no intercept) on noiseless labels; ``implicit_bias_path``
gives the limit on 61 scales from 10⁻⁴ to 10². The population error for isotropic Gaussian inputs
is ‖β − β*‖². Then noise of standard deviation 0.5 is added to the labels and
``DiagonalLinearRegressorCV`` (5 folds, 11 scales from 10⁻⁴ to 10) picks α.

**What it shows.** The trained networks sit on the limit curve: relative distance at most
2.5·10⁻² (at α = 0.1, where GD's effective scale α∞ < α shifts it, :ref:`ug-identities`) and
1.2·10⁻³ at α = 10⁻²·⁵. Their error falls from the minimum-ℓ2 value 0.54 (α ≥ 1) to 0.16 at
α = 0.1, 1.1·10⁻³ at 10⁻² and 7·10⁻⁵ at 10⁻²·⁵, while the iterations to ``tol`` grow from 192
(α ≥ 1) to 2,373 at α = 0.1 and 256,607 at α = 10⁻²·⁵ — 4 to 5 times more per half-decade in the
rich regime: the plateau before it lengthens as α shrinks (:ref:`ug-plateaus`). Each row of the
batched sweep is bit-identical to its own ``DiagonalLinearRegressor`` fit (checked below). With
noisy labels neither extreme is best: the held-out error is 0.89 at α = 10⁻⁴ and 1.24 in the
kernel regime, lowest (0.84) at α ≈ 0.03, the scale the cross-validation picks. The page runs in
3 to 10 s on 2 cores, depending on their load. Numbers are printed below.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, DiagonalLinearRegressorCV, fit_path, implicit_bias_path

N, D, K, SIGMA = 40, 100, 5, 0.5
ALPHAS = np.geomspace(10**-2.5, 10, 8)
FINE = np.geomspace(1e-4, 1e2, 61)

rng = np.random.default_rng(0)
X = rng.standard_normal((N, D))
beta = np.zeros(D)
beta[rng.choice(D, K, replace=False)] = rng.choice([-1.0, 1.0], K) / np.sqrt(K)
y = X @ beta

# %%
# The sweep: 8 scales trained together, and the limit at every scale.
fit = dict(tol=1e-6, max_iter=300_000, fit_intercept=False)
path = fit_path(X, y, init_scales=list(ALPHAS), **fit)
limits = implicit_bias_path(X, y, FINE)
at_alphas = implicit_bias_path(X, y, ALPHAS)
for a, coef, lim, it, status in zip(ALPHAS, path.coefs_, at_alphas, path.n_iter_, path.status_):
    print(
        f"α={a:.1e}: {it:>6} iterations ({status}), error {np.sum((coef - beta) ** 2):.2e}, "
        f"limit's {np.sum((lim - beta) ** 2):.2e}, relative distance to it "
        f"{np.linalg.norm(coef - lim) / np.linalg.norm(lim):.1e}"
    )

# Each batched row is the single fit, bit for bit.
same = [
    np.array_equal(DiagonalLinearRegressor(init_scale=a, **fit).fit(X, y).coef_, coef)
    for a, coef in zip(ALPHAS, path.coefs_)
]
print(f"batched rows bit-identical to single fits: {sum(same)} of {len(same)}")
err_l2 = np.sum((np.linalg.pinv(X) @ y - beta) ** 2)

# %%
# Cross-validating α on noisy labels.
y_noisy = y + SIGMA * rng.standard_normal(N)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the tiniest scales may stop at max_iter
    cv = DiagonalLinearRegressorCV(
        init_scales=np.geomspace(1e-4, 10, 11), cv=5, tol=1e-4, max_iter=200_000, fit_intercept=False
    ).fit(X, y_noisy)
mse = cv.mse_path_.mean(axis=1)
for a, m in zip(cv.init_scales_, mse):
    print(f"CV α={a:.1e}: held-out MSE {m:.3f}")
print(f"chosen α = {cv.init_scale_:.3g}; its population error {np.sum((cv.coef_ - beta) ** 2):.3f}")

# %%
# Error against α with the limit drawn over the trained sweep; iterations; the CV curve.
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
axes[0].loglog(FINE, np.sum((limits - beta) ** 2, axis=1), "-", label="implicit_bias_path (flow's limit)")
axes[0].loglog(ALPHAS, np.sum((path.coefs_ - beta) ** 2, axis=1), "x", ms=8, mew=2, label="fit_path (trained GD)")
axes[0].axhline(err_l2, color="gray", ls=":", label="minimum ℓ2 (pinv)")
axes[0].set_ylabel("population error ‖β − β*‖²")
axes[0].legend(fontsize=8)
axes[1].loglog(ALPHAS, path.n_iter_, "o-")
axes[1].set_ylabel("GD iterations to tol = 1e-6")
spread = cv.mse_path_.std(axis=1)
axes[2].semilogx(cv.init_scales_, mse, "o-", label="mean over 5 folds")
axes[2].fill_between(cv.init_scales_, mse - spread, mse + spread, alpha=0.2, label="± one std")
axes[2].axvline(cv.init_scale_, color="C3", ls="--", label=f"chosen α = {cv.init_scale_:.2g}")
axes[2].set_ylabel(f"held-out MSE (label noise σ = {SIGMA})")
axes[2].legend(fontsize=8)
for ax in axes:
    ax.set_xlabel("init scale α")
fig.suptitle(f"Sparse regression, n={N}, d={D}, {K}-sparse target: rich (left) to kernel (right)", fontsize=10)
fig.tight_layout()
plt.show()
