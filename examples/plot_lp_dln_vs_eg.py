"""
Linear programs by a diagonal network: gap and iterations against α (Wang, Ghosal & Mazumder 2023)
==================================================================================================

Wang, Ghosal & Mazumder (2023) solve the LP ``min cᵀx s.t. Ax = b, x ≥ 0`` by gradient descent on
``x = u ⊙ u`` from ``u₀ = exp(−c/(2λ))``: the flow lands on the entropic LP with regularisation λ,
and for ``c = 1`` the uniform start ``u₀ = α`` is exactly
``u₀ = exp(−c/(2λ))`` with ``λ = 1/(2 log(1/α))`` (:ref:`ug-lp`). A smaller α gives a smaller
λ: a better LP answer, and a longer run. Their Figure 2 shows this trade-off on non-negative basis
pursuit, for the DLN and for exponentiated gradient (EG, mirror descent on the same network).

**Set-up.** Non-negative basis pursuit ``min 1ᵀx s.t. Ax = b, x ≥ 0`` with Gaussian A of size
m × n and ``b = Ax*`` for a non-negative x* with m/10 non-zeros in [0.5, 1.5]. For 6 scales α
from 10⁻¹ to 10⁻³·⁵, :func:`dlnfast.linprog` runs ``method="dln"`` and ``method="eg"`` with
``init_scale=α`` (the paper's ``u₀ = α^c``, i.e. ``λ = 1/(2 log(1/α))`` in the problem's own
units; adaptive step, ``scale=False``: the paper's iteration on A and b as given, stopped
at ``‖Ax − b‖₂ ≤ 10⁻⁶(1 + ‖b‖₂)``). The relative optimality gap is measured against HiGHS
(``scipy.optimize.linprog``). The default size is m = 60, n = 600 (about 8 s of CPU here); the paper's
m = 300, n = 3000 runs with ``DLNFAST_EXAMPLE_FULL=1``.

**What it shows.** At m = 60, n = 600 the gap falls from 1.2 at α = 10⁻¹ (λ = 0.22: the entropy
dominates) to 2.6·10⁻² (DLN) and 1.4·10⁻² (EG) at α = 10⁻³·⁵ (λ = 0.062), while the iterations
grow from under 100 to 12,757 (DLN) and 21,973 (EG) accepted steps: each halving of the gap costs about 2.5× the
iterations. EG ends about twice as close to the optimum as the DLN at the same α — the DLN solves
the entropic LP for the perturbed cost c + λω (:ref:`ug-identities`) — but needs up to 1.7× its
iterations. Numbers are printed below.

**At the paper's size** (m = 300, n = 3000, ``DLNFAST_EXAMPLE_FULL=1``, measured on this project's
2-core machine while it was busy with other work), the same trend: relative gap (iterations)
for DLN / EG at α = 10⁻¹: 1.17 (145) / 1.13 (158); 10⁻¹·⁵: 0.33 (765) / 0.28 (880);
10⁻²: 0.108 (3,223) / 0.081 (3,888); 10⁻²·⁵: 0.038 (11,211) / 0.026 (14,578); 10⁻³: 0.014
(34,131) / 0.0083 (36,366, stopped by the 600 s default time limit of ``linprog``'s dynamics
before its tolerance). The α = 10⁻³·⁵ runs were not completed there (they take over ten minutes
each on that machine).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import linprog as highs_linprog

from dlnfast import linprog

M_ROWS, N_COLS = (300, 3000) if os.environ.get("DLNFAST_EXAMPLE_FULL") else (60, 600)
ALPHAS = np.geomspace(1e-1, 10**-3.5, 6)

rng = np.random.default_rng(0)
A = rng.standard_normal((M_ROWS, N_COLS))
x_star = np.zeros(N_COLS)
x_star[rng.choice(N_COLS, M_ROWS // 10, replace=False)] = rng.uniform(0.5, 1.5, M_ROWS // 10)
b = A @ x_star
c = np.ones(N_COLS)
opt = highs_linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs").fun

gap = {"dln": [], "eg": []}
nit = {"dln": [], "eg": []}
for alpha in ALPHAS:
    reg = 1 / (2 * np.log(1 / alpha))  # u₀ = α^c = exp(−c/(2λ))
    for method in gap:
        res = linprog(c, A_eq=A, b_eq=b, method=method, init_scale=alpha, scale=False, tol=1e-6,
                      maxiter=500_000)
        assert np.isclose(res.reg, reg, rtol=1e-14)  # init_scale's λ, in the problem's units
        gap[method].append((res.fun - opt) / opt)
        nit[method].append(res.nit)
        print(
            f"m={M_ROWS}, n={N_COLS}, α={alpha:.1e} (λ={reg:.3f}) {method}: status {res.status}, "
            f"{res.nit} iterations, relative gap {gap[method][-1]:.2e}"
        )

# %%
# Gap and iterations against α.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for method, label in (("dln", "DLN (GD on u, x = u⊙u)"), ("eg", "EG (mirror descent)")):
    axes[0].loglog(ALPHAS, gap[method], "o-", label=label)
    axes[1].loglog(ALPHAS, nit[method], "o-", label=label)
axes[0].set_ylabel("relative gap (cᵀx − opt) / opt")
axes[1].set_ylabel("iterations")
for ax in axes:
    ax.set_xlabel("init scale α  (λ = 1 / (2 log(1/α)))")
    ax.invert_xaxis()
    ax.legend(fontsize=8)
fig.suptitle(f"Non-negative basis pursuit, m={M_ROWS}, n={N_COLS}", fontsize=10)
fig.tight_layout()
plt.show()
