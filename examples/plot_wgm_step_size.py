"""
DLN against exponentiated gradient at a small and a large step (Wang, Ghosal & Mazumder 2023)
=============================================================================================

Wang, Ghosal & Mazumder (2023) train the non-negative network ``x = u ⊙ u`` by gradient descent
on ``u`` (the DLN) and compare it with exponentiated gradient (EG, mirror descent with the entropy
on x). Their Figure 1 plots the loss against the iterations at a small and at a large step: at the
small step the two coincide, at the large one EG is unstable while the DLN still converges. The
two updates are

* DLN: ``u ← u − η∇_u L = u ⊙ (1 − 2ηg)``, i.e. ``x ← x ⊙ (1 − 2ηg)²``;
* EG: ``x ← x ⊙ exp(−4ηg)``,

with ``g = ∇L(x)``. They agree to first order in ``ηg`` — both discretise the same flow
(:ref:`ug-mirror`) — but where a coordinate grows (``g_i < 0``) the exponential overshoots:
``exp(4η|g_i|) > (1 + 2η|g_i|)²``, more and more as ``η|g_i|`` grows.

**Set-up.** The loss of non-negative basis pursuit, ``L(x) = ‖Ax − b‖² / (2m)``, with Gaussian
A of size m × n = 60 × 600 and ``b = Ax*`` for an x* ≥ 0 with 6 non-zeros in [0.5, 1.5] (the
problem of the α page, :ref:`sphx_glr_auto_examples_plot_lp_dln_vs_eg.py`), from ``u = α = 10⁻²``
(``x₀ = 10⁻⁴``, that is λ = 1/(2 log(1/α)) = 0.11 for c = 1). The DLN is
``DiagonalLinearRegressor(parametrization="positive", solver="gd")`` and EG the same network with
``solver="md"`` (its mirror descent is exponentiated gradient), both at a constant step η, no
intercept and ``tol=0`` (5,000 updates each), trained together for 14 steps η = 0.05, 0.10, …,
0.70 by :func:`dlnfast.fit_path`; ``loss_curve_`` records L at every update. (λ_max(AᵀA/m) = 17.2:
these steps are far beyond plain GD's limit 2/λ_max = 0.12 on x, because both updates scale the
gradient by x, which is small off the support of x*.)

**What it shows.** At η = 0.05 the curves lie on top of each other: 1.6·10⁻⁸ (DLN) and
2.1·10⁻⁸ (EG) after 5,000 updates. At η = 0.5 the DLN is below 10⁻²⁸ (machine precision) from
iteration 2,065, while EG falls from 2.26 to 0.037 by iteration 17, then climbs back and locks
into a period-2 oscillation: x alternates between two points (entries differ by up to 1.4) at
the same loss 1.086, for good. Across the steps,
EG converges up to η = 0.40, stalls between 0.45 and 0.65 and diverges at 0.70; the DLN
converges up to η = 0.55, faster as η grows, and at η ≥ 0.60 its first update would flip the sign
of a factor (``2η|g_i| ≥ 1``), which dlnfast refuses (status "diverged", shown as crosses):
past that bound ``(1 − 2ηg)²`` is no longer monotone in g (:ref:`ug-identities`). Numbers are
printed below; the page runs in 3 to 8 s on 2 cores, depending on their load.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dlnfast import fit_path

M_ROWS, N_COLS, ALPHA, N_ITER = 60, 600, 1e-2, 5000
STEPS = np.round(0.05 * np.arange(1, 15), 2)
SHOWN = (0.05, 0.5)

rng = np.random.default_rng(0)
A = rng.standard_normal((M_ROWS, N_COLS))
x_star = np.zeros(N_COLS)
x_star[rng.choice(N_COLS, M_ROWS // 10, replace=False)] = rng.uniform(0.5, 1.5, M_ROWS // 10)
b = A @ x_star
print(f"λ_max(AᵀA/m) = {np.linalg.eigvalsh(A @ A.T / M_ROWS).max():.2f}")

# %%
# Both networks at every step: one batched engine call per solver.
paths = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: every run stops at max_iter
    for solver in ("gd", "md"):
        paths[solver] = fit_path(
            A, b, step_sizes=list(STEPS), parametrization="positive", solver=solver, init_scale=ALPHA,
            max_iter=N_ITER, tol=0, fit_intercept=False,
        )
final = {}
for solver, name in (("gd", "DLN"), ("md", "EG")):
    p = paths[solver]
    final[solver] = np.array([c[-1] if s != "diverged" else np.nan for c, s in zip(p.loss_curves_, p.status_)])
    for eta, loss, status in zip(STEPS, final[solver], p.status_):
        print(f"{name} η={eta:.2f}: {status}, loss after {N_ITER} updates {loss:.2e}")

# %%
# Loss against the iterations at a small and a large step, and the final loss against the step.
LABELS = {"gd": "DLN (GD on u, x = u⊙u)", "md": "EG (mirror descent on x)"}
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, eta in zip(axes[:2], SHOWN):
    k = int(np.flatnonzero(STEPS == eta)[0])
    for solver, style in (("gd", "-"), ("md", "--")):
        ax.semilogy(paths[solver].loss_curves_[k], style, label=LABELS[solver])
    ax.set_title(f"step η = {eta}", fontsize=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss ‖Ax − b‖² / (2m)")
    ax.legend(fontsize=8)
top = 10 * np.nanmax([np.nanmax(f) for f in final.values()])
for solver, marker in (("gd", "o-"), ("md", "s--")):
    axes[2].semilogy(STEPS, final[solver], marker, label=LABELS[solver])
    gone = np.isnan(final[solver])
    axes[2].semilogy(STEPS[gone], np.full(gone.sum(), top), "x", color=axes[2].lines[-1].get_color(), ms=8, mew=2)
axes[2].set_title(f"after {N_ITER} updates (×: diverged)", fontsize=10)
axes[2].set_xlabel("step η")
axes[2].set_ylabel("final loss")
axes[2].legend(fontsize=8)
fig.suptitle(f"Non-negative basis pursuit loss, m={M_ROWS}, n={N_COLS}, u₀ = α = {ALPHA:g}", fontsize=10)
fig.tight_layout()
plt.show()
