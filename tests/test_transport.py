"""dlnfast.transport against POT (log-domain Sinkhorn at the same reg, and ot.emd)."""
import os
import warnings

import numpy as np

# Our oracles use POT's numpy backend only; without this POT imports torch at import time,
# which takes seconds and fails outright when the installed torch is broken (seen here).
os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
import ot  # noqa: E402
import pytest

import dlnfast


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    n1, n2 = 30, 25
    a = rng.uniform(0.5, 1.5, n1)
    a /= a.sum()
    b = rng.uniform(0.5, 1.5, n2)
    b /= b.sum()
    M = rng.uniform(0.0, 1.0, (n1, n2))
    return a, b, M


def sinkhorn_reference(a, b, M, reg):
    return ot.bregman.sinkhorn_log(a, b, M, reg, numItermax=200_000, stopThr=1e-14)


@pytest.mark.parametrize("reg", [0.1, 0.03])
def test_newton_matches_log_sinkhorn(problem, reg):
    a, b, M = problem
    ref = sinkhorn_reference(a, b, M, reg)
    res = dlnfast.transport(a, b, M, reg)
    assert res.status == 0, res.message
    assert np.abs(res.plan - ref).sum() <= 1e-6
    assert res.cost == pytest.approx(float((M * ref).sum()), rel=1e-6)


@pytest.mark.parametrize("method", ["dln", "eg"])
@pytest.mark.parametrize("reg", [0.1, 0.03])
def test_dynamics_match_log_sinkhorn(problem, method, reg):
    a, b, M = problem
    ref = sinkhorn_reference(a, b, M, reg)
    # the paper's step rule: the DLN's O(η) bias stays below 5e-3 (the adaptive rule's larger
    # steps give 0.014 at reg = 0.03; see the next test for the bias against the step)
    res = dlnfast.transport(a, b, M, reg, method=method, tol=1e-10, step_rule="paper", n_jobs=1)
    assert res.status == 0, res.message
    assert res.marginal_error <= 1e-8
    assert np.abs(res.plan - ref).sum() <= 5e-3
    if method == "eg":  # no discrete bias: the entropic plan itself
        assert np.abs(res.plan - ref).sum() <= 1e-6


def test_dln_plan_error_shrinks_with_the_step(problem):
    # DLN GD lands on the entropic plan for M + λω, ω = O(η): the gap to Sinkhorn shrinks with η
    a, b, M = problem
    reg = 0.1
    ref = sinkhorn_reference(a, b, M, reg)
    errs = []
    for step in (0.02, 0.01, 0.005):  # 0.04 is already past the O(η) regime (error 0.016)
        res = dlnfast.transport(a, b, M, reg, method="dln", step_size=step, tol=1e-10,
                                maxiter=2_000_000, n_jobs=1)
        assert res.status == 0, res.message
        # the certificate: log P = (f_i + g_j − M_ij − λω_ij)/λ exactly
        f, g = res.dual
        lhs = reg * np.log(res.plan)
        rhs = f[:, None] + g[None, :] - M - reg * res.omega
        assert np.abs(lhs - rhs).max() <= 1e-8 * np.abs(rhs).max()
        errs.append(np.abs(res.plan - ref).sum())
    assert errs[0] <= 5e-3
    assert errs[0] > 2 * errs[1] > 4 * errs[2] > 0


def test_tiny_reg_with_shifted_cost_gives_a_valid_plan(problem):
    # reg = 1e-4 and costs in [0.1, 1.1]: exp(−M/reg) underflows to 0 everywhere, standard
    # Sinkhorn breaks down (a zero or non-finite plan); the log-domain solver does not
    a, b, M = problem
    Ms = M + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P_std = ot.sinkhorn(a, b, Ms, 1e-4)
    assert not (np.all(np.isfinite(P_std)) and P_std.sum() > 0.5)
    res = dlnfast.transport(a, b, Ms, 1e-4)
    assert res.status == 0, res.message
    assert np.all(np.isfinite(res.plan)) and res.plan.min() >= 0
    assert res.marginal_error <= 1e-8
    emd_cost = float((Ms * ot.emd(a, b, Ms)).sum())
    assert emd_cost <= res.cost <= emd_cost + 1e-3 * emd_cost


def test_exact_ot_matches_emd(problem):
    a, b, M = problem
    P = ot.emd(a, b, M)
    res = dlnfast.transport(a, b, M, None)
    assert res.status == 0, res.message
    assert res.cost == pytest.approx(float((M * P).sum()), rel=1e-6)


def test_thread_count_does_not_change_the_plan(problem, real_team):
    a, b, M = problem
    big = np.tile(M, (3, 40))  # 90 × 1000 > 2^16 entries (threads used), two column blocks
    bb = np.tile(b, 40) / 40
    a = np.tile(a, 3) / 3
    r1 = dlnfast.transport(a, bb, big, 0.1, method="dln", maxiter=50, n_jobs=1, warn=False)
    r2 = dlnfast.transport(a, bb, big, 0.1, method="dln", maxiter=50, n_jobs=2, warn=False)
    assert np.array_equal(r1.plan, r2.plan)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.ones(2) / 2, np.ones(3) / 3, np.ones((3, 3)), 0.1), {}, "M must have shape"),
        ((np.ones(2) / 2, np.ones(2) / 2, np.ones((2, 2)), -0.1), {}, "reg must be a positive"),
        ((np.ones(2) / 2, np.ones(2), np.ones((2, 2)), 0.1), {}, "same total mass"),
        ((np.array([0.5, np.nan]), np.ones(2) / 2, np.ones((2, 2)), 0.1), {}, "a must contain only finite"),
        ((np.ones(2) / 2, np.ones(2) / 2, np.array([[0.0, np.nan], [1, 0]]), 0.1), {}, "M must contain only finite"),
        ((np.array([]), np.ones(2) / 2, np.ones((0, 2)), 0.1), {}, "a must be a non-empty"),
        ((np.ones(2) / 2, np.ones(2) / 2, np.ones((2, 2)), None), {"method": "dln"}, "needs method='newton'"),
    ],
)
def test_bad_input_raises_value_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dlnfast.transport(*args, **kwargs)
