"""
Saddle to saddle: the staircase of a small initialisation (Pesme & Flammarion)
==============================================================================

Pesme & Flammarion ("Saddle-to-saddle dynamics in diagonal linear networks", NeurIPS 2023) show
that gradient flow on ``β = u ⊙ v`` from ``u₀ = √2·α, v₀ = 0``, read in the accelerated time
``t̃ = t/log(1/α)``, converges as α → 0 to a piecewise-constant process: the loss is a
staircase, β sits on a saddle of the loss on each plateau and jumps to the next saddle at times
given by a LARS-like recursion, ending at the minimum-ℓ1 interpolator (:ref:`ug-saddle`).

**Set-up.** n = 6 Gaussian samples, d = 12 features, y = three features plus noise (σ = 0.3;
seed 6, the instance ``tests/test_saddle.py`` checks). :func:`dlnfast.saddle_path` gives the limit
process (black); :func:`dlnfast.gradient_flow` with ``time_scale="accelerated"`` integrates the
exact flow for α = 10⁻⁵, 10⁻¹⁰ and 10⁻³⁰ on the same clock (colours). Top: the loss
L(β) = ‖Xβ − y‖²/(2n) (log scale; the last plateau, loss 0, is drawn at the bottom edge); bottom:
the coordinates that are ever non-zero (solid: α = 10⁻³⁰, dotted: α = 10⁻⁵). Both time axes are
logarithmic.

**What it shows.** The path has 6 jumps, at t̃ = 0.79, 1.87, 2.70, 10.0, 14.8 and 52.1, with
plateau losses 0.65, 0.077, 0.031, 0.021, 0.011, 6.8·10⁻⁴ and finally 0 (the end point is the
minimum-ℓ1 interpolator). The flows follow the staircase more sharply as α shrinks: measuring each
flow's jump where its loss crosses the geometric midpoint of two plateaus, the largest relative
error in the jump times is 0.21, 0.11 and 0.037 for α = 10⁻⁵, 10⁻¹⁰ and 10⁻³⁰, shrinking like
1/log(1/α) (0.087, 0.043, 0.014; numbers printed below). One coordinate enters at each jump
(supports of sizes 1 to 6; none leaves on this instance) and the active ones change value at
every later jump.
"""

import matplotlib.pyplot as plt
import numpy as np

from dlnfast import gradient_flow, saddle_path

rng = np.random.default_rng(6)
X = rng.standard_normal((6, 12))
y = X[:, :3] @ rng.standard_normal(3) + 0.3 * rng.standard_normal(6)

path = saddle_path(X, y)
print("jump times t̃_k:", np.round(path.jump_times, 3))
print("plateau losses:", np.array2string(path.losses, precision=2))

grid = np.geomspace(0.2 * path.jump_times[0], 1.3 * path.jump_times[-1], 800)
flows = {}
for alpha in (1e-5, 1e-10, 1e-30):
    coef, _ = gradient_flow(X, y, grid, parametrization="uv", init_scale=alpha, time_scale="accelerated",
                            tol=1e-9)
    loss = np.sum((coef @ X.T - y) ** 2, axis=1) / (2 * X.shape[0])
    flows[alpha] = coef, loss
    # the flow's k-th jump: where its loss first falls below the geometric midpoint of plateaus
    # k−1 and k (the last one: a factor 1e3 below the last non-zero plateau)
    logs, crossings, start = np.log(path.losses[:-1]), [], 0
    for k in range(1, path.n_jumps + 1):
        target = logs[k - 1] - np.log(1e3) if k == path.n_jumps else 0.5 * (logs[k - 1] + logs[k])
        below = np.flatnonzero(np.log(loss[start:]) < target)
        start += int(below[0]) if below.size else len(grid)
        crossings.append(grid[start] if below.size else np.inf)
    rel = np.abs(np.array(crossings) / path.jump_times - 1)
    print(f"α={alpha:.0e}: jump times {np.round(crossings, 2)}; largest relative error {rel.max():.3f} "
          f"(1/log(1/α) = {1 / np.log(1 / alpha):.3f})")

fig, (ax_loss, ax_coef) = plt.subplots(2, 1, figsize=(6.4, 6.6), sharex=True)
colors = {1e-5: "tab:blue", 1e-10: "tab:orange", 1e-30: "tab:green"}
for alpha, (_coef, loss) in flows.items():
    ax_loss.plot(grid, loss, c=colors[alpha], lw=1.2, label=f"flow, α = {alpha:.0e}")
floor = 1e-2 * path.losses[-2]  # the last plateau (loss 0) drawn at the bottom of the axis
ax_loss.step(grid, np.maximum(path.loss_at(grid), floor), "k", where="post", lw=1.5,
             label="saddle path (α → 0)")
ax_loss.set_yscale("log")
ax_loss.set_ylim(floor, 2 * path.losses[0])
ax_loss.set_ylabel("loss L(β)")
ax_loss.legend(fontsize=8)
limit = path.coef_at(grid)
for j in np.flatnonzero(np.any(path.saddles != 0, axis=0)):
    line, = ax_coef.plot(grid, flows[1e-30][0][:, j], lw=1.2)
    ax_coef.plot(grid, flows[1e-5][0][:, j], lw=0.8, ls=":", c=line.get_color())
    ax_coef.step(grid, limit[:, j], "k", where="post", lw=0.9)
ax_coef.plot([], [], "k", label="saddle path")
ax_coef.plot([], [], "grey", label="flow, α = 1e-30")
ax_coef.plot([], [], "grey", ls=":", label="flow, α = 1e-5")
ax_coef.legend(fontsize=8)
ax_coef.set_xscale("log")
ax_coef.set_xlabel("accelerated time t̃ = t / log(1/α)")
ax_coef.set_ylabel("β_j (coordinates ever non-zero)")
ax_loss.set_title("Saddle-to-saddle dynamics, n = 6, d = 12", fontsize=10)
fig.tight_layout()
plt.show()
