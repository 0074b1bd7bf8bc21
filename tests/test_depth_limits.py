"""Depth-D implicit-bias limits at small α: the gap to the minimum-ℓ1 interpolator (HiGHS).

Matt & Stöger (2025): for D ≥ 3 the gap closes linearly in the scale of the initial network,
α^D (β = w₊^D − w₋^D from w± = α), i.e. like α^D; for D = 2 far more slowly. The oracle is basis
pursuit from HiGHS (scipy.optimize.linprog), which shares no code with the dual Newton solver.
"""
import warnings

import numpy as np
import pytest
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from dlnfast import implicit_bias_limit


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 20))
    b = np.zeros(20)
    b[:3] = [1.0, -2.0, 1.5]
    y = X @ b + 0.1 * rng.standard_normal(10)
    d = X.shape[1]
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    assert res.status == 0
    return X, y, res.x[:d] - res.x[d:]


def _gaps(X, y, beta_l1, depth, scales):
    gaps = []
    for a in scales:
        out = implicit_bias_limit(X, y, init_scale=a, depth=depth)
        assert out.converged and out.certificate < 1e-9
        gaps.append(np.linalg.norm(out.coef - beta_l1))
    return np.array(gaps)


@pytest.mark.parametrize("depth, scales", [(3, [1e-3, 1e-4, 1e-5]), (4, [1e-2, 3e-3, 1e-3])])
def test_gap_linear_in_initial_network_scale(problem, depth, scales):
    X, y, beta_l1 = problem
    gaps = _gaps(X, y, beta_l1, depth, scales)
    # log-log slope against the initial β scale α^D; measured 1.003/1.000 (D=3), 1.010/1.001 (D=4)
    slopes = np.diff(np.log(gaps)) / np.diff(depth * np.log(scales))
    assert np.all(np.abs(slopes - 1.0) < 0.03)


def test_depth_two_gap_closes_slower(problem):
    X, y, beta_l1 = problem
    scales = [1e-4, 1e-8, 1e-12]
    gaps = _gaps(X, y, beta_l1, 2, scales)
    assert np.all(np.diff(gaps) < 0)            # it does close ...
    slopes = np.diff(np.log(gaps)) / np.diff(2 * np.log(scales))
    assert np.all(slopes < 0.1)                 # ... far below slope 1 (measured 0.052, 0.024)


def test_depth_limits_below_the_old_failure(problem):
    # before the scaled-dual continuation these returned β = 0 (residual 1, converged=False)
    X, y, beta_l1 = problem
    for depth, a in [(3, 1e-5), (3, 3e-6), (4, 1e-4)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # (3, 3e-6), (4, 1e-4): rounding wall
            out = implicit_bias_limit(X, y, init_scale=a, depth=depth)
        assert out.certificate < 1e-7
        assert np.linalg.norm(out.coef - beta_l1) < 1e-7


def test_certificate_flags_a_wrong_answer(problem):
    X, y, beta_l1 = problem
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        out = implicit_bias_limit(X, y, init_scale=1e-4, depth=3, max_iter=3)
    assert not out.converged
    assert np.linalg.norm(out.coef - beta_l1) > 1e-2      # the answer is wrong ...
    assert out.certificate > 1e-3                        # ... and the certificate says so
    # (the old failure, a dual stuck near 0 with β ≈ 0, had mirror_residual 1e-15 but
    # interpolation_residual 1: the certificate takes the larger of the two)
