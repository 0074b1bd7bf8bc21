"""
Moroshko's phase diagram: init scale and training accuracy decide the max-margin limit
=======================================================================================

Moroshko, Gunasekar, Woodworth, Lee, Srebro & Soudry (NeurIPS 2020) show that for a diagonal
network ``β = w₊² − w₋²`` trained by gradient flow on the exponential loss, the direction
``β/‖β‖`` is decided jointly by the initialisation scale α and the training loss ε reached: the
ℓ2 max-margin direction (the kernel regime) for large α or moderate ε, and the ℓ1 max-margin
direction (the rich regime) only when α is small *and* ε tiny — at accuracies far beyond
ε = 1e-100 for small α.

**Set-up.** A separable problem with n = 30 Gaussian samples in d = 40 dimensions, labelled by
the sign of a 3-sparse direction. For 8 scales α from 10⁻³ to 3 and 10 training losses ε from
10⁻¹ to 10⁻¹⁰⁰⁰, :class:`~dlnfast.DiagonalLinearClassifier` runs the exact gradient flow
(``solver="flow"``) on the loss-normalised clock (``target_log_loss = log ε``,
:ref:`ug-classification`), which reaches ε = 10⁻¹⁰⁰⁰ in a few thousand Runge–Kutta steps. The
references are :func:`dlnfast.max_margin` in ℓ1 (an LP, HiGHS) and ℓ2 (the hard-margin SVM).
The left panel shows the ℓ1 margin gap 1 − γ₁(β)/γ₁* (γ₁ the normalised ℓ1 margin; the LP's
optimal direction need not be unique, its value is), the right one the distance between unit
directions ‖β/‖β‖₂ − b₂‖₂ (the SVM direction is unique).

**What it shows** (numbers printed below). The ℓ2 distance is small only for the largest scale
at moderate accuracy (0.05 at α = 3, ε = 10⁻¹⁰) and grows again as ε shrinks further (0.48 at
ε = 10⁻¹⁰⁰⁰): the kernel regime is transient, every run eventually leaves it. The ℓ1 gap falls
with ε at every α, fastest at intermediate scales (α ≈ 0.1: 0.54 at ε = 10⁻¹, 0.028 at 10⁻¹⁰⁰,
0.010 at 10⁻¹⁰⁰⁰); at the smallest scale (α = 10⁻³) it falls more slowly (0.51 → 0.085 → 0.062),
so on this problem, at these accuracies, a smaller α is *not* closer to the ℓ1 limit: how small ε
must be depends on α, which is Moroshko et al.'s point. Even ε = 10⁻¹⁰⁰ leaves a gap of several
percent everywhere.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from dlnfast import DiagonalLinearClassifier, max_margin

rng = np.random.default_rng(0)
N, D = 30, 40
X = rng.standard_normal((N, D))
y = np.sign(X[:, :3] @ np.array([2.0, -1.0, 1.5]))
b1, b2 = max_margin(X, y, "l1"), max_margin(X, y, "l2")
g1 = np.min(y * (X @ b1))  # the ℓ1 max-margin value (b1 has unit ℓ1 norm)

ALPHAS = np.geomspace(1e-3, 3.0, 8)
LOG10_EPS = np.array([-1, -2, -5, -10, -20, -50, -100, -200, -500, -1000])
dist1 = np.zeros((LOG10_EPS.size, ALPHAS.size))
dist2 = np.zeros_like(dist1)
steps = np.zeros_like(dist1, dtype=int)
t0 = time.perf_counter()
for j, a in enumerate(ALPHAS):
    for i, le in enumerate(LOG10_EPS):
        clf = DiagonalLinearClassifier(loss="exponential", init_scale=a, solver="flow", fit_intercept=False,
                                       target_log_loss=le * np.log(10.0), max_iter=100_000).fit(X, y)
        beta = clf.coef_[0]
        # the ℓ1 max-margin LP can have several optimal vertices (its direction is then not
        # unique); its value γ₁ is: measure the ℓ1 margin gap 1 − γ₁(β)/γ₁*
        dist1[i, j] = 1.0 - clf.margins_["l1"][0] / g1
        dist2[i, j] = np.linalg.norm(beta / np.linalg.norm(beta) - b2)
        steps[i, j] = clf.n_iter_[0]
print(f"{ALPHAS.size * LOG10_EPS.size} flows in {time.perf_counter() - t0:.1f} s "
      f"(at most {steps.max()} Runge-Kutta steps each)")
print("alpha      " + " ".join(f"{a:8.1e}" for a in ALPHAS))
for name, dist in (("l1", dist1), ("l2", dist2)):
    for i, le in enumerate(LOG10_EPS):
        print(f"{name} 1e{le:<5d} " + " ".join(f"{v:8.3f}" for v in dist[i]))

# %%
# The two distances over the (α, log(1/ε)) grid.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
for ax, dist, title in ((axes[0], dist1, "ℓ1 margin gap 1 − γ₁(β)/γ₁*"),
                        (axes[1], dist2, "distance to the ℓ2 max-margin direction")):
    im = ax.imshow(dist, origin="upper", aspect="auto", cmap="viridis")
    ax.set_xticks(range(ALPHAS.size), [f"{a:.0e}" for a in ALPHAS], rotation=45)
    ax.set_yticks(range(LOG10_EPS.size), [f"{-le}" for le in LOG10_EPS])
    ax.set_xlabel("init scale α")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax)
axes[0].set_ylabel("log10(1/ε)")
fig.tight_layout()
plt.show()
