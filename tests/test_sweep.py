"""fit_path (batched sweeps) and implicit_bias_path.

Oracles: the K separate fits of DiagonalLinearRegressor (the single-configuration engine path,
which the batched driver must reproduce bit for bit: same kernel, same row chunks, same summation
order), the numpy reference gd_reference (iterate by iterate), and implicit_bias_limit solved from
scratch at each scale.
"""
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from dlnfast import DiagonalLinearRegressor, fit_path, implicit_bias_limit, implicit_bias_path
from dlnfast._reference import gd_reference

from conftest import sparse_problem


def _alone(X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return DiagonalLinearRegressor(**params).fit(X, y, sample_weight=sample_weight)


def _path(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit_path(X, y, **kw)


def _assert_same(path, i, est):
    """Row i of the path is the separate fit, bit for bit."""
    np.testing.assert_array_equal(path.coefs_[i], est.coef_)
    assert path.intercepts_[i] == float(est.intercept_)
    assert path.n_iter_[i] == est.n_iter_
    np.testing.assert_array_equal(path.loss_curves_[i], est.loss_curve_)
    np.testing.assert_array_equal(path.effective_init_scales_[i], est.effective_init_scale_)
    assert path.estimators_[i].coef_.dtype == est.coef_.dtype


@pytest.mark.parametrize("solver", ["gd", "md"])
@pytest.mark.parametrize("parametrization", ["pm", "uv"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_path_equals_separate_fits(rng, solver, parametrization, dtype, fit_intercept, weighted):
    X, y, _ = sparse_problem(rng, n=25, d=40, dtype=dtype)
    y = y + 0.5
    sw = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else None
    common = dict(solver=solver, parametrization=parametrization, fit_intercept=fit_intercept, tol=1e-4,
                  max_iter=400)
    scales, steps = [1e-2, 0.3, 1.0], ["auto", 0.02]
    path = _path(X, y, init_scales=scales, step_sizes=steps, sample_weight=sw, **common)
    assert path.batched_.all()
    assert len(path.configs_) == 6
    for i, cfg in enumerate(path.configs_):
        assert cfg == {"init_scale": scales[i // 2], "step_size": steps[i % 2]}
        _assert_same(path, i, _alone(X, y, sample_weight=sw, **common, **cfg))


def _assert_same_flow(path, i, est):
    _assert_same(path, i, est)
    assert path.estimators_[i].flow_time_ == est.flow_time_
    np.testing.assert_array_equal(path.estimators_[i].mirror_coef_, est.mirror_coef_)


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_flow_path_equals_separate_flows(rng, parametrization, dtype, fit_intercept, weighted):
    # K flows of different scales, shapes and tolerances advance in one batch (one pass over X per
    # Runge-Kutta stage for all): each keeps its own step size, rejections and stopping, and
    # ends bit-identical to its own fit
    X, y, _ = sparse_problem(rng, n=25, d=40, dtype=dtype)
    y = y + 0.5
    sw = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else None
    common = dict(solver="flow", parametrization=parametrization, fit_intercept=fit_intercept, max_iter=300)
    configs = [{"init_scale": 1e-2, "tol": 1e-4}, {"init_scale": 0.3, "tol": 1e-3, "flow_tol": 1e-5},
               {"init_scale": 1.0, "tol": 1e-5}, {"init_scale": 0.05, "init_shape": (1.0, 2.0), "tol": 1e-4},
               {"init_scale": 1e-3, "tol": 1e-6, "max_iter": 15}]
    path = _path(X, y, configs=configs, sample_weight=sw, **common)
    assert path.batched_.all()
    for i, cfg in enumerate(configs):
        _assert_same_flow(path, i, _alone(X, y, sample_weight=sw, **{**common, **cfg}))
    assert path.status_[4] == "max_iter" and path.n_iter_[4] <= 15  # max_iter counts rejected steps too
    assert len(set(path.n_iter_)) > 2  # the flows did stop at different steps


def test_flow_path_threads_and_max_time(rng):
    # the batch's bits do not depend on the thread count; max_time (t_end) is per configuration
    X, y, _ = sparse_problem(rng, n=40, d=50)
    configs = [{"init_scale": 0.1}, {"init_scale": 0.01, "max_time": 5.0}, {"init_scale": 0.5, "tol": 1e-6}]
    common = dict(solver="flow", fit_intercept=True, max_iter=400, tol=1e-5)
    paths = [_path(X, y, configs=configs, n_jobs=nj, **common) for nj in (1, 2)]
    for p in paths:
        assert p.batched_.all()
    np.testing.assert_array_equal(paths[0].coefs_, paths[1].coefs_)
    np.testing.assert_array_equal(paths[0].n_iter_, paths[1].n_iter_)
    for a, b in zip(paths[0].loss_curves_, paths[1].loss_curves_):
        np.testing.assert_array_equal(a, b)
    assert paths[0].estimators_[1].flow_time_ == 5.0
    for i, cfg in enumerate(configs):
        _assert_same_flow(paths[0], i, _alone(X, y, **{**common, **cfg}))


def test_momentum_init_shape_and_stopping_per_configuration(rng):
    # explicit configurations: different momenta, shapes and budgets; the batched run stops each
    # where its own fit stops (the short ones leave the batch early)
    X, y, _ = sparse_problem(rng, n=30, d=60)
    configs = [{"init_scale": 0.1, "momentum": 0.5, "max_iter": 7},
               {"init_scale": 0.01, "momentum": 0.9, "nesterov": True, "max_iter": 300},
               {"init_scale": 0.1, "momentum": 0.3, "init_shape": (1.0, 2.0), "max_iter": 60, "tol": 1e-2}]
    path = _path(X, y, configs=configs, fit_intercept=False)
    assert path.batched_.all() and path.n_iter_[0] == 7
    for i, cfg in enumerate(configs):
        _assert_same(path, i, _alone(X, y, fit_intercept=False, **cfg))
    assert path.status_[0] == "max_iter"


def test_fit_path_follows_the_numpy_reference(rng):
    # independent oracle: fixed-step GD iterates by numpy, for three scales at once
    X, y, _ = sparse_problem(rng, n=20, d=30)
    scales, eta, n_iter = [0.05, 0.5, 1.0], 0.01, 50
    path = _path(X, y, init_scales=scales, step_sizes=[eta], parametrization="uv", max_iter=n_iter, tol=0.0,
                 fit_intercept=False)
    for i, a in enumerate(scales):
        ref = gd_reference(X, y, parametrization="uv", init_scale=a, step_size=eta, n_iter=n_iter)[-1]
        np.testing.assert_allclose(path.coefs_[i], ref, rtol=1e-10, atol=1e-12)


def test_diverged_configuration_does_not_disturb_the_others(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    path = _path(X, y, init_scales=[0.5], step_sizes=[0.01, 50.0], fit_intercept=False, max_iter=200)
    assert path.status_[1] == "diverged"
    assert np.isnan(path.coefs_[1]).all()
    _assert_same(path, 0, _alone(X, y, init_scale=0.5, step_size=0.01, fit_intercept=False, max_iter=200))


def test_degenerate_target_falls_back_to_the_estimators_rescue(rng):
    # constant y with an intercept: ∇L(0) is rounding noise, which fit answers with 0 iterations
    X, _, _ = sparse_problem(rng, n=20, d=30)
    y = np.full(20, 3.0)
    path = _path(X, y, init_scales=[0.1, 1.0])
    for i, a in enumerate([0.1, 1.0]):
        _assert_same(path, i, _alone(X, y, init_scale=a))
    assert (path.n_iter_ == 0).all() and np.allclose(path.intercepts_, 3.0)


def test_threads_bit_identical(rng, real_team):
    X, y, _ = sparse_problem(rng, n=64, d=2100)  # two coordinate blocks, several row chunks
    kw = dict(init_scales=[1e-2, 0.1, 1.0], max_iter=60, tol=0.0)
    one, two = _path(X, y, n_jobs=1, **kw), _path(X, y, n_jobs=2, **kw)
    np.testing.assert_array_equal(one.coefs_, two.coefs_)
    for a, b in zip(one.loss_curves_, two.loss_curves_):
        np.testing.assert_array_equal(a, b)
    md1, md2 = _path(X, y, n_jobs=1, solver="md", **kw), _path(X, y, n_jobs=2, solver="md", **kw)
    np.testing.assert_array_equal(md1.coefs_, md2.coefs_)


def test_unbatchable_configurations_run_alone(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    path = _path(X, y, random_states=[0, 1], solver="sgd", max_iter=200, fit_intercept=False)
    assert not path.batched_.any()
    for i, seed in enumerate([0, 1]):
        _assert_same(path, i, _alone(X, y, solver="sgd", random_state=seed, max_iter=200, fit_intercept=False))
    unbatched = _path(X, y, init_scales=[0.1, 1.0], batched=False, fit_intercept=False, max_iter=100)
    batched = _path(X, y, init_scales=[0.1, 1.0], fit_intercept=False, max_iter=100)
    assert not unbatched.batched_.any() and batched.batched_.all()
    np.testing.assert_array_equal(unbatched.coefs_, batched.coefs_)


def test_max_iter_warning_and_bad_input(rng):
    X, y, _ = sparse_problem(rng, n=20, d=30)
    with pytest.warns(ConvergenceWarning, match="2 of 2 configurations stopped at max_iter"):
        fit_path(X, y, init_scales=[1e-3, 1e-2], max_iter=3)
    with pytest.raises(ValueError, match="either `configs`"):
        fit_path(X, y, init_scales=[1.0], configs=[{"init_scale": 1.0}])
    with pytest.raises(TypeError, match="`init_scales` must be a list"):
        fit_path(X, y, init_scales=0.1)
    with pytest.raises(TypeError, match="`configs` must be a list of dicts"):
        fit_path(X, y, configs={"init_scale": 1.0})
    with pytest.raises(ValueError, match="grid is empty"):
        fit_path(X, y, init_scales=[])
    with pytest.raises(ValueError, match="init_scale"):
        fit_path(X, y, init_scales=[-1.0])
    with pytest.raises(ValueError, match="init_scales"):
        implicit_bias_path(X, y, [0.1, -1.0])


def test_dask_backend_returns_the_local_result(rng):
    distributed = pytest.importorskip("dask.distributed")
    X, y, _ = sparse_problem(rng, n=20, d=30)
    kw = dict(configs=[{"init_scale": 0.1}, {"init_scale": 1.0}, {"solver": "sgd", "random_state": 3},
                       {"solver": "md", "init_scale": 0.5}], fit_intercept=False, max_iter=150)
    local = _path(X, y, **kw)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            remote = _path(X, y, **kw)
    np.testing.assert_array_equal(local.coefs_, remote.coefs_)
    np.testing.assert_array_equal(local.n_iter_, remote.n_iter_)
    assert local.status_ == remote.status_


@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_implicit_bias_path_equals_the_limit_at_each_scale(rng, parametrization):
    X, y, _ = sparse_problem(rng, n=15, d=40)
    scales = np.logspace(-6, 1, 15)[::-1][[3, 0, 7, 1, 14, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13]]  # any order
    path = implicit_bias_path(X, y, scales, parametrization=parametrization)
    for k, a in enumerate(scales):
        ref = implicit_bias_limit(X, y, init_scale=a, parametrization=parametrization).coef
        # both solve X β = y to ‖r‖ ≤ 1e-10‖y‖ on a strictly convex problem: the solutions agree
        # to about the conditioning times that
        np.testing.assert_allclose(path[k], ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())


def test_demo_sweep_moves_from_basis_pursuit_to_min_l2(rng, capsys):
    # the demo's figure on a small instance: oracles HiGHS (basis pursuit) and lstsq (min-ℓ2)
    from dlnfast.__main__ import _basis_pursuit, sweep

    X, y, _ = sparse_problem(rng, n=20, d=60)
    bp, l2 = _basis_pursuit(X, y), np.linalg.lstsq(X, y, rcond=None)[0]
    lam = np.linalg.eigvalsh(X @ X.T / X.shape[0])[-1]
    path, limits = sweep(X, y, bp, lam, alphas=[1e-4, 1e-2, 1.0, 10.0])
    to_bp = [np.linalg.norm(b - bp) for b in limits]
    to_l2 = [np.linalg.norm(b - l2) for b in limits]
    assert to_bp == sorted(to_bp) and to_l2 == sorted(to_l2, reverse=True)
    assert to_bp[0] < 1e-2 * np.linalg.norm(bp) and to_l2[-1] < 1e-3 * np.linalg.norm(l2)
    assert "faster" in capsys.readouterr().out


@pytest.mark.parametrize("solver", ["gd", "md"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_products_equal_separate_fits_up_to_rounding(rng, solver, fit_intercept, dtype):
    # exact=False (the fused kernel) sums each x_iᵀβ_c over the columns in order and each
    # gradient over the rows in order (by row partitions for X above 8 MB, partitions then added
    # in order), one multiply-add at a time, instead of the single kernel's order (vector lanes,
    # row quads). Both are sums of the same n·d products (float32 X is widened exactly to
    # float64), and any order of a sum of m terms errs by at most γ_m·Σ|terms|, so one gradient
    # differs by at most 2γ_{n+d}·(|X|ᵀ|W|(|X||β| + |ỹ|)), about (n+d)·u ≈ 3e-14 relative here. The 300
    # iterations of these contracting dynamics (step below 1/λ_max) add such differences at most
    # linearly and do not amplify them: 300·3e-14 ≈ 1e-11, asserted as rtol 1e-9 (a factor 100
    # for the loss landscape's conditioning). n = 42 gives two row partitions, the last ending in
    # a padded row quad; 3 configurations leave 5 padded lanes of the 8-wide vector; d = 90 a
    # partial tile of columns.
    X, y, _ = sparse_problem(rng, n=42, d=90, dtype=dtype)
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    common = dict(solver=solver, fit_intercept=fit_intercept, tol=0.0, max_iter=300)
    path = _path(X, y, init_scales=[0.05, 0.5, 1.0], sample_weight=sw, exact=False, **common)
    assert path.batched_.all()
    for i, a in enumerate([0.05, 0.5, 1.0]):
        est = _alone(X, y, sample_weight=sw, init_scale=a, **common)
        assert path.n_iter_[i] == est.n_iter_ == 300
        assert path.coefs_[i].dtype == est.coef_.dtype
        np.testing.assert_allclose(path.coefs_[i], est.coef_, rtol=1e-9, atol=1e-12 * np.abs(est.coef_).max())
        np.testing.assert_allclose(path.loss_curves_[i], est.loss_curve_, rtol=1e-9)
    # and not bit-identical in float64 (float32 coefficients round the difference away): the
    # fused kernel did run
    assert dtype == np.float32 or not all(
        np.array_equal(path.coefs_[i], _alone(X, y, sample_weight=sw, init_scale=a, **common).coef_)
        for i, a in enumerate([0.05, 0.5, 1.0]))


def test_blocked_row_partitions_equal_separate_fits_up_to_rounding(rng, real_team):
    # X of 8.8 MB (above the split mode's 8 MB) and 3 configurations: the forward and backward
    # products run per block of rows inside four row partitions, whose partial gradients are
    # added in order. Bound as
    # above: (n+d)·u ≈ 2.3e-13 per gradient, 40 iterations ≈ 1e-11, asserted as rtol 1e-9. The
    # same with 1 and 2 threads, and whatever configurations share the batch.
    X, y, _ = sparse_problem(rng, n=1100, d=1000)
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    scales = [0.05, 0.5, 1.0]
    common = dict(fit_intercept=True, tol=0.0, max_iter=40)
    one = _path(X, y, init_scales=scales, sample_weight=sw, exact=False, n_jobs=1, **common)
    two = _path(X, y, init_scales=scales, sample_weight=sw, exact=False, n_jobs=2, **common)
    np.testing.assert_array_equal(one.coefs_, two.coefs_)
    alone = _path(X, y, init_scales=scales[1:2], sample_weight=sw, exact=False, n_jobs=2, **common)
    np.testing.assert_array_equal(alone.coefs_[0], one.coefs_[1])
    # 80 configurations make the partials (d × 80) costlier than a second read of X: the split
    # mode runs (columns for the backward product), and sums each gradient as the partitions do
    many = _path(X, y, init_scales=np.r_[scales, np.logspace(-2, 0, 77)], sample_weight=sw, exact=False,
                 n_jobs=2, max_iter=5, tol=0.0, fit_intercept=True)
    few = _path(X, y, init_scales=scales, sample_weight=sw, exact=False, n_jobs=2, max_iter=5, tol=0.0,
                fit_intercept=True)
    np.testing.assert_array_equal(many.coefs_[:3], few.coefs_)
    for i, a in enumerate(scales):
        est = _alone(X, y, sample_weight=sw, init_scale=a, **common)
        np.testing.assert_allclose(one.coefs_[i], est.coef_, rtol=1e-9, atol=1e-12 * np.abs(est.coef_).max())
        np.testing.assert_allclose(one.loss_curves_[i], est.loss_curve_, rtol=1e-9)
        assert not np.array_equal(one.coefs_[i], est.coef_)


def test_blocked_products_thread_invariant(rng, real_team):
    # d = 2100: several tasks of columns for the backward product; n = 64: four row partitions
    X, y, _ = sparse_problem(rng, n=64, d=2100)
    kw = dict(init_scales=[1e-2, 0.1, 1.0, 0.3, 3e-2], max_iter=40, tol=0.0, exact=False)
    np.testing.assert_array_equal(_path(X, y, n_jobs=1, **kw).coefs_, _path(X, y, n_jobs=2, **kw).coefs_)


def test_blocked_products_independent_of_batch(rng):
    # a configuration's fused-kernel result does not depend on which others share its batch
    # (each x_iᵀβ_c and each G_c sums only its own column's products)
    X, y, _ = sparse_problem(rng, n=50, d=300)
    kw = dict(max_iter=60, tol=0.0, exact=False)
    many = _path(X, y, init_scales=[1e-2, 0.1, 1.0, 0.3, 3e-2, 0.05], **kw)
    for i, a in enumerate([1e-2, 0.1, 1.0, 0.3, 3e-2, 0.05]):
        one = _path(X, y, init_scales=[a], **kw)
        np.testing.assert_array_equal(many.coefs_[i], one.coefs_[0])


def _gd_options(threads, max_iter=3):
    from dlnfast import _core

    return _core.SolveOptions(auto_step=False, step=1e-3, max_iter=max_iter, tol=0.0, n_threads=threads,
                              loss_every=1)


@pytest.mark.parametrize("blocked", [False, True])
def test_batched_setup_on_two_threads_equals_single_fits(rng, blocked):
    # K·d = 24000 coordinates: the networks are built from the log-weights, and read back into
    # them, on a team of two (bindings/batched.cpp, for_configs) even at the default threshold;
    # every row equals _core.gd on that row alone (exact), and 1 thread equals 2 (both modes)
    from dlnfast import _core

    X, y, _ = sparse_problem(rng, n=20, d=4000)
    K = 6
    log_w = np.log(np.logspace(-2, 0, K))[:, None] + rng.uniform(-0.5, 0.5, (K, X.shape[1]))
    out = {}
    for threads in (1, 2):
        lp, ln = log_w.copy(), log_w.copy() - 0.1
        res = _core.gd_many(X, y, lp, ln, [_gd_options(threads) for _ in range(K)], blocked=blocked)
        out[threads] = (np.array([r.coef for r in res]), lp, ln)
    for a, b in zip(out[1], out[2]):
        np.testing.assert_array_equal(a, b)
    if not blocked:
        for c in range(K):
            lp, ln = log_w[c].copy(), log_w[c].copy() - 0.1
            alone = _core.gd(X, y, lp, ln, _gd_options(2))
            np.testing.assert_array_equal(out[2][0][c], alone.coef)
            np.testing.assert_array_equal(out[2][1][c], lp)
            np.testing.assert_array_equal(out[2][2][c], ln)


def test_batched_setup_error_from_a_worker_is_raised(rng):
    # a bad log-weight in one row (built on the team's worker or the caller) raises the single
    # driver's ValueError, not a crash
    from dlnfast import _core

    X, y, _ = sparse_problem(rng, n=20, d=4000)
    K = 6
    for bad in (0, K - 1):
        lp = np.full((K, X.shape[1]), np.log(0.1))
        lp[bad, 17] = np.nan
        with pytest.raises(ValueError, match="finite or -inf") as batched:
            _core.gd_many(X, y, lp, lp.copy(), [_gd_options(2) for _ in range(K)], blocked=True)
        with pytest.raises(ValueError) as alone:
            _core.gd(X, y, lp[bad].copy(), lp[bad].copy(), _gd_options(2))
        assert str(batched.value) == str(alone.value)
