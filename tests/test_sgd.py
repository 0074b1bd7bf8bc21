"""SGD behaviour: interpolation, reproducibility (threads, pickling), label noise, gain shape."""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, _engine
from dlnfast._parametrizations import make_parametrization
from dlnfast._sampling import seed_from_random_state

from conftest import sparse_problem


def _fit_quiet(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached on purpose
        return model.fit(X, y)


@pytest.mark.parametrize("params", [dict(), dict(shuffle=False), dict(batch_size=4), dict(step_size=0.05),
                                    dict(fit_intercept=True), dict(momentum=0.5, step_size=0.02)],
                         ids=["auto", "replacement", "batch4", "fixed-step", "intercept", "momentum"])
def test_sgd_interpolates_noiseless_data(rng, params):
    X, y, _ = sparse_problem(rng, n=20, d=40)
    y = y + (1.5 if params.get("fit_intercept") else 0.0)
    kw = dict(solver="sgd", init_scale=1e-2, fit_intercept=False, random_state=0, max_iter=400_000, tol=1e-5)
    kw.update(params)
    model = DiagonalLinearRegressor(**kw).fit(X, y)  # a ConvergenceWarning would fail the test
    assert model.n_iter_ < 400_000
    # tol = 1e-5 on ‖∇L‖∞/‖∇L(0)‖∞ at an interpolation problem leaves residuals ~1e-4 of ‖y‖∞.
    assert np.abs(model.predict(X) - y).max() < 1e-3 * np.abs(y).max()


def _engine_sgd(X, y, n_threads, **kw):
    problem = _engine.make_problem(X, y, None, True)
    net = make_parametrization("pm", np.full(X.shape[1], 0.05), None, 2, X.shape[1]).init_network()
    run = _engine.run_sgd(problem, net, step_size=0.01, max_iter=600, tol=0.0, n_threads=n_threads,
                          seed=123, min_parallel_work=1, **kw)
    return run.coef, run.loss_curve


@pytest.mark.parametrize("kw", [dict(batch_size=1), dict(batch_size=8, shuffle=True),
                                dict(batch_size=5, momentum=0.7, nesterov=True, label_noise=0.1)])
def test_sgd_bit_identical_across_thread_counts(rng, kw):
    # min_parallel_work=1 forces a real team of 2 even on this small problem, so the row
    # partition of the residuals and the coordinate partition of the update both change. (A
    # team of 2 on B = 1 is slow on a loaded 2-core machine, ~1 ms per step: few steps.)
    X, y, _ = sparse_problem(rng, n=60, d=37)
    c1, l1 = _engine_sgd(X, y, 1, **kw)
    c2, l2 = _engine_sgd(X, y, 2, **kw)
    assert np.array_equal(c1, c2)
    assert np.array_equal(l1, l2)


def test_sgd_same_seed_same_bits_across_n_jobs_and_pickling(rng):
    X, y, _ = sparse_problem(rng, n=30, d=50)
    params = dict(solver="sgd", init_scale=1e-2, step_size=0.02, batch_size=2, max_iter=5000, tol=0.0,
                  random_state=42)
    a = _fit_quiet(DiagonalLinearRegressor(n_jobs=1, **params), X, y)
    b = _fit_quiet(DiagonalLinearRegressor(n_jobs=2, **params), X, y)
    assert np.array_equal(a.coef_, b.coef_)
    clone = pickle.loads(pickle.dumps(DiagonalLinearRegressor(**params)))
    assert np.array_equal(_fit_quiet(clone, X, y).coef_, a.coef_)
    fitted = pickle.loads(pickle.dumps(a))
    assert np.array_equal(fitted.coef_, a.coef_)
    assert np.array_equal(_fit_quiet(fitted, X, y).coef_, a.coef_)  # refit after unpickling
    other = _fit_quiet(DiagonalLinearRegressor(**{**params, "random_state": 43}), X, y)
    assert not np.array_equal(other.coef_, a.coef_)  # the seed matters


def test_random_state_instance_is_consumed_like_sklearn():
    # An int seeds a RandomState whose first randint(2**31 − 1) is the engine's seed.
    assert seed_from_random_state(0) == np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    rs = np.random.RandomState(5)
    assert seed_from_random_state(rs) != seed_from_random_state(rs)


def test_label_noise_lowers_effective_init_and_sparsifies(rng):
    X, y, beta = sparse_problem(rng, n=20, d=40)
    off = beta == 0

    def fit(noise, steps):
        return _fit_quiet(DiagonalLinearRegressor(solver="sgd", init_scale=0.3, step_size=0.02, label_noise=noise,
                                                  max_iter=steps, tol=0.0, random_state=0, fit_intercept=False),
                          X, y)

    plain_early, plain = fit(0.0, 20_000), fit(0.0, 100_000)
    noisy_early, noisy = fit(0.5, 20_000), fit(0.5, 100_000)
    # Plain SGD interpolates, then its gradients vanish and α_∞ freezes; label noise keeps the
    # gradients alive and α_∞ keeps falling (here by many orders of magnitude).
    assert np.median(plain.effective_init_scale_ / plain_early.effective_init_scale_) > 0.99
    assert np.median(noisy.effective_init_scale_ / noisy_early.effective_init_scale_) < 1e-2
    assert np.all(noisy.effective_init_scale_ <= noisy_early.effective_init_scale_)
    # At α = 0.3 plain SGD lands on a dense interpolator; label noise switches the off-support
    # coordinates off (thresholds are far from both: ~0.1–0.3 against ~1e-4).
    assert np.abs(plain.coef_[off]).max() > 0.05
    assert np.abs(noisy.coef_[off]).max() < 0.01
    assert np.abs(noisy.coef_).sum() < np.abs(plain.coef_).sum()


def test_gain_concentrates_on_support_for_gd_not_sgd(rng):
    # Even et al. 2023: large-step GD's gain sits on the support, SGD's is spread out.
    X, y, beta = sparse_problem(rng, n=20, d=30)
    supp = beta != 0
    gd = DiagonalLinearRegressor(init_scale=0.1, step_size=0.15, max_iter=20_000, tol=1e-6,
                                 fit_intercept=False).fit(X, y)
    sgd = _fit_quiet(DiagonalLinearRegressor(solver="sgd", init_scale=0.1, step_size=0.02, max_iter=50_000,
                                             tol=1e-6, random_state=0, fit_intercept=False), X, y)
    for m in (gd, sgd):
        assert np.all(m.gain_ >= 0) and np.all(np.isfinite(m.gain_))
    ratio_gd = gd.gain_[supp].mean() / gd.gain_[~supp].mean()
    ratio_sgd = sgd.gain_[supp].mean() / sgd.gain_[~supp].mean()
    # Measured: GD ≈ 15 (gain mostly on the 3 support coordinates), SGD ≈ 2 (spread out).
    assert ratio_gd > 3.0 * ratio_sgd
    assert sgd.gain_[~supp].mean() > gd.gain_[~supp].mean()


def test_step_decay_schedule_reported(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    model = _fit_quiet(DiagonalLinearRegressor(solver="sgd", step_size=0.02, step_decay=0.01, max_iter=1000,
                                               tol=0.0, random_state=0, fit_intercept=False), X, y)
    assert model.step_size_ == pytest.approx(0.02 / (1 + 0.01 * 999), rel=1e-14)


def test_sgd_loss_curve_is_per_epoch_and_counts_increases(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    model = _fit_quiet(DiagonalLinearRegressor(solver="sgd", step_size=0.02, batch_size=5, max_iter=400, tol=0.0,
                                               random_state=0, fit_intercept=False), X, y)
    assert model.loss_curve_.shape == (400 // 4 + 1,)  # one entry per epoch (4 steps), ends included
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    inc = int(np.sum(np.diff(model.loss_curve_) > 0))
    assert model.n_loss_increases_ == inc


@pytest.mark.parametrize("params,match", [
    (dict(label_noise=0.1), "label_noise is only available with solver='sgd'"),
    (dict(solver="sgd", momentum=1.0), "momentum"),
    (dict(solver="sgd", batch_size=0), "batch_size"),
])
def test_invalid_parameters(rng, params, match):
    X, y, _ = sparse_problem(rng, n=10, d=5)
    with pytest.raises(ValueError, match=match):
        DiagonalLinearRegressor(**params).fit(X, y)


def test_sgd_divergence_names_the_step(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    with pytest.raises(ValueError, match=r"solver='sgd'.*diverged.*step_size=5\.0"):
        DiagonalLinearRegressor(solver="sgd", step_size=5.0, random_state=0).fit(X, y)


def test_sgd_float32_batch1_fused_path(rng):
    # Batch size 1 at depth 2 takes the fused kernel; its float32 clone reads X as float32.
    from dlnfast._reference import sgd_reference
    X, y, _ = sparse_problem(rng, n=20, d=40, dtype=np.float32)
    params = dict(init_scale=0.1, step_size=0.02, fit_intercept=True)
    model = _fit_quiet(DiagonalLinearRegressor(solver="sgd", max_iter=300, tol=0.0, random_state=1,
                                               snapshot_iters=np.arange(301), **params), X, y)
    ref = sgd_reference(X.astype(np.float64), y.astype(np.float64), n_iter=300, seed=seed_from_random_state(1),
                        shuffle=True, **params)
    assert model.coef_.dtype == np.float32
    assert np.abs(model.coef_path_ - ref).max() / np.abs(ref).max() < 1e-6  # float32 precision promised


@pytest.mark.parametrize("batch_size", [1, 3])
def test_uniform_sample_weight_matches_unweighted(rng, batch_size):
    # Uniform weights give n·w_i = 1 up to one rounding: the same run to ~1e-15.
    X, y, _ = sparse_problem(rng, n=20, d=30)
    params = dict(solver="sgd", step_size=0.02, batch_size=batch_size, max_iter=2000, tol=0.0, random_state=0)
    a = _fit_quiet(DiagonalLinearRegressor(**params), X, y)
    b = DiagonalLinearRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        b.fit(X, y, sample_weight=np.full(20, 3.0))
    assert np.abs(a.coef_ - b.coef_).max() < 1e-12 * np.abs(a.coef_).max()


def test_sgd_progress_callback_can_stop_the_run(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    problem = _engine.make_problem(X, y, None, False)
    net = make_parametrization("pm", np.full(30, 1e-3), None, 2, 30).init_network()
    calls = []

    def progress(it, loss, criterion, elapsed):
        calls.append(it)
        return True  # stop at the first poll

    run = _engine.run_sgd(problem, net, step_size=1e-4, max_iter=10**9, tol=0.0, n_threads=1, progress=progress)
    assert run.result.status.name == "interrupted"
    assert calls and run.result.n_iter < 10**9
