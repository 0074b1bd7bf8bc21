"""Depth-D implicit-bias limits at small α: the gap to the minimum-ℓ1 interpolator (HiGHS), and
the limit itself against a high-precision (mpmath) solve.

Matt & Stöger (2025): for D ≥ 3 the gap closes linearly in the scale of the initial network,
α^D (β = w₊^D − w₋^D from w± = α), i.e. like α^D; for D = 2 far more slowly. The oracles are basis
pursuit from HiGHS (scipy.optimize.linprog) and Newton's method in 60-digit arithmetic on the
Lagrange system (mpmath), neither of which shares code with the dual Newton solver.
"""
import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from dlnfast import implicit_bias_limit


def _instance(n, d):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    b = np.zeros(d)
    b[:3] = [1.0, -2.0, 1.5]
    y = X @ b + 0.1 * rng.standard_normal(n)
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    assert res.status == 0
    return X, y, res.x[:d] - res.x[d:]


@pytest.fixture(scope="module")
def problem():
    return _instance(10, 20)


@pytest.fixture(scope="module")
def wide_problem():
    return _instance(40, 200)


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
    # before the scaled-dual continuation these returned β = 0 (residual 1, converged=False);
    # before the exact boundary distances they stopped at a rounding wall (3e-6, 1e-4: 1e-9)
    X, y, beta_l1 = problem
    for depth, a in [(3, 1e-5), (3, 3e-6), (4, 1e-4)]:
        out = implicit_bias_limit(X, y, init_scale=a, depth=depth)  # no ConvergenceWarning
        assert out.converged and out.certificate < 1e-10
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


@pytest.mark.parametrize("shape", ["problem", "wide_problem"])
@pytest.mark.parametrize("depth, scales", [(3, [1e-8, 1e-12, 1e-30, 1e-100]), (4, [1e-4, 1e-6, 1e-15, 1e-100])])
def test_small_scales_interpolate_to_tol(request, shape, depth, scales):
    # down to α^(D−2) = 1e-12 (and far below): before the boundary distances were carried
    # exactly, the residual grew like 1e-16/α^(D−2) (6e-5 at D=3, α=1e-12; 1e-4 at D=4, α=1e-6)
    X, y, beta_l1 = request.getfixturevalue(shape)
    for a in scales:
        out = implicit_bias_limit(X, y, init_scale=a, depth=depth, tol=1e-10)
        assert out.converged
        assert out.interpolation_residual <= 1e-10 and out.certificate <= 1e-10
        # the gap to basis pursuit is about α^D·C (< 1e-20 here): what is left is HiGHS' own error
        assert np.linalg.norm(out.coef - beta_l1) <= 1e-9 * np.linalg.norm(beta_l1)


def _mp_limit(X, y, alpha, depth, nu0, dps=60):
    """Newton's method in ``dps``-digit arithmetic on X β(ν) = y, β_j = α^D[(1 − z_j)^{−p} −
    (1 + z_j)^{−p}], z = Xᵀν, p = D/(D − 2), backtracking into |z| < 1 while ‖Xβ − y‖ falls."""
    with mp.workdps(dps):
        n, d = X.shape
        Xm, ym = mp.matrix(X.tolist()), mp.matrix(y.tolist())
        aD, p = mp.mpf(alpha) ** depth, mp.mpf(depth) / (depth - 2)

        def beta(nu):
            z = Xm.T * nu
            if any(abs(zj) >= 1 for zj in z):
                return None, None, None
            b = mp.matrix([aD * ((1 - zj) ** (-p) - (1 + zj) ** (-p)) for zj in z])
            db = [aD * p * ((1 - zj) ** (-p - 1) + (1 + zj) ** (-p - 1)) for zj in z]
            return b, db, Xm * b - ym

        nu = mp.matrix([mp.mpf(float(v)) for v in nu0])
        b, db, F = beta(nu)
        for _ in range(80):
            if mp.norm(F) < mp.mpf(10) ** (15 - dps):
                break
            J = mp.matrix(n, n)
            for i in range(n):
                for k in range(n):
                    J[i, k] = mp.fsum(Xm[i, j] * db[j] * Xm[k, j] for j in range(d))
            step, t = mp.lu_solve(J, -F), mp.mpf(1)
            while True:
                nb, ndb, nF = beta(nu + t * step)
                if nb is not None and mp.norm(nF) < mp.norm(F):
                    break
                t /= 2
            nu, b, db, F = nu + t * step, nb, ndb, nF
        assert mp.norm(F) < mp.mpf(10) ** (15 - dps)
        return np.array([float(v) for v in b])


@pytest.mark.parametrize("depth, alpha", [(3, 1e-4), (3, 1e-8), (3, 1e-12), (4, 1e-3), (4, 1e-6)])
def test_limit_matches_high_precision_solve(depth, alpha):
    # every coordinate to relative precision, the off-support ones too (1e-11 ... 1e-39 here):
    # basis pursuit would fail this, and so would β with 1 − |z| resolved to float64 rounding
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((3, 6)), rng.standard_normal(3)
    out = implicit_bias_limit(X, y, init_scale=alpha, depth=depth)
    assert out.converged and out.certificate < 1e-10
    # the 60-digit Newton starts from the float64 dual (rounded: 1 − |z| off by up to 1e-4
    # relative) and must converge on its own; measured agreement 8e-14 ... 1.3e-12
    ref = _mp_limit(X, y, alpha, depth, out.dual_coef * depth * (depth - 2) * alpha ** (depth - 2))
    assert np.all(np.abs(out.coef - ref) <= 1e-10 * np.abs(ref))


@pytest.mark.parametrize("depth, alpha", [(3, 1e-12), (4, 1e-6)])
def test_certificate_tracks_the_error_at_small_scales(wide_problem, depth, alpha):
    # stopped after k Newton iterations (mid-continuation or mid-stage) the answer is wrong, and
    # the certificate must say so; where it is small the answer must be right
    X, y, beta_l1 = wide_problem
    seen_wrong = seen_right = False
    for k in range(1, 60, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            out = implicit_bias_limit(X, y, init_scale=alpha, depth=depth, max_iter=k)
        err = np.linalg.norm(out.coef - beta_l1) / np.linalg.norm(beta_l1)
        if out.certificate <= 1e-10:
            assert err <= 1e-9
            seen_right = True
        if err > 1e-6:
            assert out.certificate > 1e-3 and not out.converged
            seen_wrong = True
    assert seen_wrong and seen_right


def test_scale_below_the_float_range_is_refused(problem):
    X, y, _ = problem
    with pytest.raises(ValueError, match="init_scale.*1e-300"):
        implicit_bias_limit(X, y, log_init_scale=-700.0, depth=3)
    with pytest.raises(ValueError, match="init_scale.*1e-300"):
        implicit_bias_limit(X, y, log_init_scale=-400.0, depth=4)
    out = implicit_bias_limit(X, y, log_init_scale=-340.0, depth=4)  # α^(D−2) = e^−680: inside
    assert out.converged and out.certificate < 1e-10


@pytest.mark.parametrize("depth, alpha", [(3, 1e-12), (4, 1e-6), (5, 1e-8)])
def test_support_smaller_than_n(depth, alpha):
    # noiseless and 2-sparse: the support has 2 < n = 10 coordinates, so the dual Hessian's
    # directions outside their span have curvature ~α^D only (before Jacobi scaling of the Newton
    # system, D = 5 stalled at residual 1.1e-10 after 500 iterations; now 65)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 20))
    b = np.zeros(20)
    b[:2] = rng.standard_normal(2)
    y = X @ b
    out = implicit_bias_limit(X, y, init_scale=alpha, depth=depth)
    assert out.converged and out.certificate <= 1e-10 and out.n_iter < 150
    assert np.linalg.norm(out.coef - b) <= 1e-8 * np.linalg.norm(b)  # basis pursuit recovers b
