"""The exact discrete identities of DESIGN §3.1 with stochastic gradients.

The identities hold for ANY gradient sequence: here g_k is the step's mini-batch gradient
(with label noise when asked), rebuilt in numpy from the engine's iterates (snapshots) and the
numpy specification of the sampling stream. The left side uses the engine's final β and its
effective initialisation α_K; the right side sums artanh over the K stochastic steps.
"""
import warnings

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor
from dlnfast._sampling import sample_indices, seed_from_random_state, standard_normal

N_STEPS = 50_000


def _stochastic_gradients(X, y, path, seed, batch_size, shuffle, label_noise):
    n_steps = path.shape[0] - 1
    pos = np.arange(n_steps * batch_size)
    idx = sample_indices(seed, X.shape[0], pos, shuffle).reshape(n_steps, batch_size)
    eps = (label_noise * standard_normal(seed, pos) if label_noise else np.zeros(pos.shape[0])).reshape(idx.shape)
    Xb = X[idx]                                            # (K, B, d)
    r = np.einsum("kbd,kd->kb", Xb, path[:-1]) - y[idx] - eps
    return np.einsum("kb,kbd->kd", r, Xb) / batch_size     # g_k = X_Iᵀ r_I / B


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
@pytest.mark.parametrize("batch_size,shuffle,label_noise,step_decay",
                         [(1, True, 0.0, 0.0), (3, False, 0.5, 0.0), (1, False, 0.0, 1e-3)])
def test_stochastic_mirror_identity(rng, parametrization, batch_size, shuffle, label_noise, step_decay):
    n, d, alpha, eta = 10, 16, 0.3, 0.02
    X = rng.standard_normal((n, d))
    y = X[:, :3] @ np.array([1.0, -0.5, 0.8])
    model = DiagonalLinearRegressor(parametrization=parametrization, solver="sgd", init_scale=alpha, step_size=eta,
                                    batch_size=batch_size, shuffle=shuffle, label_noise=label_noise,
                                    step_decay=step_decay, random_state=3, max_iter=N_STEPS, tol=0.0,
                                    fit_intercept=False, snapshot_iters=np.arange(N_STEPS + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(X, y)
    G = _stochastic_gradients(X, y, model.coef_path_, seed_from_random_state(3), batch_size, shuffle, label_noise)
    steps = eta / (1.0 + step_decay * np.arange(N_STEPS))[:, None]
    f = 2.0 if parametrization == "pm" else 1.0  # pm: artanh(2ηg), uv: artanh(ηg)
    # α_K² = α² Π_k (1 − (fη_k g_k)²), summed in logs
    log_alpha_k = np.log(alpha) + 0.5 * np.log1p(-(f * steps * G) ** 2).sum(axis=0)
    assert np.max(np.abs(np.log(model.effective_init_scale_) - log_alpha_k)) < 1e-10
    assert np.max(np.abs(model.gain_ + 2.0 * (log_alpha_k - np.log(alpha)))) < 1e-10
    a_k = np.exp(2 * log_alpha_k) * (2.0 if parametrization == "pm" else 1.0)  # pm: 2α_K², uv: α_K²
    lhs = (0.25 if parametrization == "pm" else 0.5) * np.arcsinh(model.coef_ / a_k)
    rhs = -(0.5 if parametrization == "pm" else 1.0) * np.arctanh(f * steps * G).sum(axis=0)
    assert np.max(np.abs(rhs)) > 0.5  # the run moved far from the start
    # Both sides are sums of 5·10⁴ terms of size ~1e-2 computed in different orders: rounding
    # leaves ~1e-13 relative, well inside 1e-10.
    assert np.max(np.abs(lhs - rhs)) / np.max(np.abs(rhs)) < 1e-10
