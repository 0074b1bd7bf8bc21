"""The C++ SGD iterates against the numpy reference (dlnfast._reference.sgd_reference), which
draws its samples from the numpy specification of the stream (dlnfast._sampling)."""
import warnings

import numpy as np
import pytest

from dlnfast import DiagonalLinearRegressor
from dlnfast._reference import sgd_reference
from dlnfast._sampling import sample_indices, seed_from_random_state, splitmix64, standard_normal

from conftest import sparse_problem

N_ITER = 300

CASES = [
    dict(parametrization="pm"),
    dict(parametrization="pm", shuffle=False),
    dict(parametrization="pm", batch_size=5),
    dict(parametrization="pm", batch_size=7, shuffle=False),  # batches straddle epochs
    dict(parametrization="pm", batch_size=3, label_noise=0.3),
    dict(parametrization="pm", step_decay=0.01),
    dict(parametrization="pm", depth=3, init_scale=0.3),
    dict(parametrization="pm", momentum=0.6),
    dict(parametrization="pm", momentum=0.6, nesterov=True, batch_size=2),
    dict(parametrization="pm", fit_intercept=True, batch_size=2),
    dict(parametrization="uv"),
    dict(parametrization="uv", batch_size=4, shuffle=False, label_noise=0.2),
    dict(parametrization="uv", momentum=0.8, nesterov=True),
]


def _fit_path(X, y, n_iter, random_state, **params):
    model = DiagonalLinearRegressor(solver="sgd", max_iter=n_iter, tol=0.0, random_state=random_state,
                                    snapshot_iters=np.arange(n_iter + 1), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter is reached on purpose
        model.fit(X, y)
    return model


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_sgd_iterates_match_reference(rng, case):
    X, y, _ = sparse_problem(rng, n=20, d=40)
    params = dict(init_scale=0.1, step_size=0.02, fit_intercept=False, batch_size=1, shuffle=True)
    params.update(case)
    if params["fit_intercept"]:
        y = y + 2.0
    model = _fit_path(X, y, N_ITER, 7, **params)
    ref = sgd_reference(X, y, n_iter=N_ITER, seed=seed_from_random_state(7), **params)
    assert model.coef_path_.shape == ref.shape
    # Same arithmetic up to rounding (the engine multiplies w(1 − 2ηg), the reference subtracts
    # 2ηwg; centring and dot products round differently): agreement is ~1e-15 relative.
    rel = np.abs(model.coef_path_ - ref).max(axis=1) / np.abs(ref).max(axis=1).clip(1e-300)
    assert rel[1:].max() < 1e-12
    assert np.abs(ref[-1]).max() > 0.1  # the run moved


def test_sgd_float32_matches_reference(rng):
    X, y, _ = sparse_problem(rng, n=20, d=40, dtype=np.float32)
    params = dict(init_scale=0.1, step_size=0.02, fit_intercept=False, batch_size=2)
    model = _fit_path(X, y, N_ITER, 3, **params)
    assert model.coef_.dtype == np.float32
    ref = sgd_reference(X.astype(np.float64), y.astype(np.float64), n_iter=N_ITER, seed=seed_from_random_state(3),
                        shuffle=True, **params)
    # float32 X is read as float32 and accumulated in float64: the reference on the same values
    # agrees to float64 rounding; float32 precision is what we promise.
    assert np.abs(model.coef_path_ - ref).max() / np.abs(ref).max() < 1e-6


def test_splitmix64_known_values():
    # The published SplitMix64 sequence from state 0 (Vigna's splitmix64.c): state += G; mix.
    G = 0x9E3779B97F4A7C15
    got = splitmix64(np.array([0, G, 2 * G % 2**64], dtype=np.uint64))
    assert [int(v) for v in got] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


@pytest.mark.parametrize("n", [1, 2, 7, 50])
def test_shuffled_stream_is_a_permutation_per_epoch(n):
    idx = sample_indices(11, n, np.arange(4 * n), shuffle=True).reshape(4, n)
    for epoch in idx:
        assert sorted(epoch.tolist()) == list(range(n))
    if n >= 7:
        assert not np.array_equal(idx[0], idx[1])  # epochs are reshuffled


def test_stream_statistics():
    # Loose sanity checks of the generator (not a randomness test suite): with 2e5 draws the
    # index frequencies are within 5σ of uniform and the noise has mean 0 and variance 1.
    n, m = 10, 200_000
    counts = np.bincount(sample_indices(5, n, np.arange(m)), minlength=n)
    sd = np.sqrt(m * (1 / n) * (1 - 1 / n))
    assert np.abs(counts - m / n).max() < 5 * sd
    z = standard_normal(5, np.arange(m))
    assert abs(z.mean()) < 5 / np.sqrt(m)
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2.0 / m)


def test_fused_path_moves_state_to_exponent_storage_exactly(rng):
    # Batch size 1 keeps the factors as plain doubles while they lie in [2^−450, 2^450]; here
    # α = 1e-130 starts inside, and the shrinking branches leave the window (down to ~1e-200),
    # so the state moves to the m·2^e storage mid-run. The iterates must not notice: the
    # reference (plain floats, still normal at these scales: w² ≥ 1e-300) agrees to rounding.
    X, y, _ = sparse_problem(rng, n=20, d=40)
    params = dict(init_scale=1e-130, step_size=0.03, fit_intercept=False, batch_size=1, shuffle=True)
    model = _fit_path(X, y, 2000, 0, **params)
    wp, wn = model.weights_
    assert min(wp.min(), wn.min()) < 2.0**-450  # the switch happened
    ref = sgd_reference(X, y, n_iter=2000, seed=seed_from_random_state(0), **params)
    rel = np.abs(model.coef_path_ - ref).max(axis=1) / np.abs(ref).max(axis=1).clip(1e-300)
    assert rel[1:].max() < 1e-12
