"""The exact discrete identities of DESIGN §3.1, checked after 10⁵ steps.

The left side uses the engine's final β and its effective initialisation α_K (both from the
C++ state); the right side is built in numpy from the gradients at the engine's iterates.
"""
import warnings

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor

N_STEPS = 100_000


def _run(rng, parametrization, eta):
    n, d = 10, 16
    X = rng.standard_normal((n, d))
    y = X[:, :3] @ np.array([1.0, -0.5, 0.8])
    model = DiagonalLinearRegressor(parametrization=parametrization, init_scale=0.3, step_size=eta,
                                    max_iter=N_STEPS, tol=0.0, fit_intercept=False,
                                    snapshot_iters=np.arange(N_STEPS + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(X, y)
    G = (model.coef_path_[:-1] @ X.T - y) @ X / n  # g_j at β_j, j < K
    return model, G


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_mirror_identity_after_1e5_steps(rng, parametrization):
    eta = 0.01
    model, G = _run(rng, parametrization, eta)
    f = 2.0 if parametrization == "pm" else 1.0  # pm: artanh(2ηg), uv: artanh(ηg)
    alpha = 0.3
    # α_K² = α² Π_j (1 − (fηg_j)²), summed in logs
    log_alpha_k = np.log(alpha) + 0.5 * np.log1p(-(f * eta * G) ** 2).sum(axis=0)
    assert np.max(np.abs(np.log(model.effective_init_scale_) - log_alpha_k)) < 1e-10
    a_k = np.exp(2 * log_alpha_k) * (2.0 if parametrization == "pm" else 1.0)  # pm: 2α_K², uv: α_K²
    lhs = (0.25 if parametrization == "pm" else 0.5) * np.arcsinh(model.coef_ / a_k)
    rhs = -(0.5 if parametrization == "pm" else 1.0) * np.arctanh(f * eta * G).sum(axis=0)
    assert np.max(np.abs(rhs)) > 0.5  # the run moved far from the start
    assert np.max(np.abs(lhs - rhs)) / np.max(np.abs(rhs)) < 1e-10
