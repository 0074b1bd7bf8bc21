"""The saddle-to-saddle limit process (Pesme & Flammarion 2023; DESIGN §4).

Oracles: basis pursuit from HiGHS (``scipy.optimize.linprog``, shares no code with the path), and
the exact log-domain gradient flow (C++ Dormand–Prince on the mirror coordinates, ``gradient_flow``
with ``parametrization="uv"``) at α = 1e-4, 1e-16, 1e-64, whose jump times and plateaus must
approach the path's as α → 0 with an error of order 1/log(1/α).
"""
import numpy as np
import pytest
from scipy.optimize import linprog

from dlnfast import gradient_flow, saddle_path


def _instance(seed, n=6, d=12):
    """The validated n = 6, d = 12 family: three true features plus noise (d > n)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X[:, :3] @ rng.standard_normal(3) + 0.3 * rng.standard_normal(n)
    return X, y


def _basis_pursuit_highs(X, y):
    """min ‖β‖₁ s.t. Xβ = y by HiGHS, split β = p − q; also whether the optimum is unique
    (strict dual certificate |Xᵀν| < 1 off the support and independent support columns)."""
    n, d = X.shape
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs")
    assert res.status == 0
    beta = res.x[:d] - res.x[d:]
    nu = res.eqlin.marginals
    corr = np.abs(X.T @ nu)
    support = np.abs(beta) > 1e-9
    unique = (corr[~support].max() < 1 - 1e-6
              and np.linalg.matrix_rank(X[:, support]) == support.sum())
    return beta, unique


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("shape", [(6, 12), (10, 40), (3, 5)])
def test_ends_at_basis_pursuit(seed, shape):
    X, y = _instance(seed, *shape)
    path = saddle_path(X, y)
    beta_bp, unique = _basis_pursuit_highs(X, y)
    assert unique  # generic Gaussian data: the premise of the comparison
    assert np.abs(path.coef - beta_bp).max() <= 1e-10 * max(1.0, np.abs(beta_bp).max())
    # the bookkeeping the path reports: first jump at 1/‖∇L(0)‖∞, increasing times, falling losses
    g0 = X.T @ y / X.shape[0]
    assert path.jump_times[0] == pytest.approx(1 / np.abs(g0).max(), rel=1e-14)
    assert np.all(np.diff(path.jump_times) > 0)
    assert np.all(np.diff(path.losses) < 0)
    r = X @ path.saddles[-1] - y
    assert path.losses[-1] == pytest.approx(r @ r / (2 * X.shape[0]), abs=1e-28)
    assert path.losses[-1] < 1e-25
    # each saddle is the least-squares minimiser on its sign-constrained face (KKT, independently)
    for k in range(1, path.n_jumps + 1):
        beta, act, sign = path.saddles[k], path.active_sets[k], path.signs[k]
        g = X.T @ (X @ beta - y) / X.shape[0]
        assert np.all(beta[act] * sign >= 0)
        assert np.all(beta[np.setdiff1d(np.arange(X.shape[1]), act)] == 0)
        on = np.abs(beta) > 0
        assert np.abs(g[on]).max(initial=0) < 1e-12
        assert np.all(sign * g[act] >= -1e-12)


def test_not_interpolating_ends_at_least_squares():
    # n > d, noisy: no interpolator; the process ends at the least-squares solution (pinv)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    path = saddle_path(X, y)
    assert np.abs(path.coef - np.linalg.lstsq(X, y, rcond=None)[0]).max() < 1e-12
    assert path.losses[-1] > 0.1


def _flow_jump_times(path, X, y, log_inv_alpha, grid):
    """Jump times of the exact flow (uv from u₀ = √2α, v₀ = 0) read off its loss in accelerated
    time: jump k is where log L first falls below the mid-point of the plateaus' log-losses (the
    last plateau, L = 0, replaced by L_{K−1}/1000)."""
    coef, _ = gradient_flow(X, y, grid * log_inv_alpha, parametrization="uv",
                            log_init_scale=-log_inv_alpha, tol=1e-10)
    r = coef @ X.T - y
    log_loss = np.log((r * r).sum(axis=1) / (2 * X.shape[0]))
    times, start = [], 0
    logs = np.log(path.losses[:-1])
    for k in range(1, path.n_jumps + 1):
        target = logs[k - 1] - np.log(1e3) if k == path.n_jumps else 0.5 * (logs[k - 1] + logs[k])
        below = log_loss < target
        below[:start] = False
        assert below.any()
        start = int(np.argmax(below))
        times.append(grid[start])
    return np.array(times), coef


def test_flow_jump_times_and_plateaus_converge():
    X, y = _instance(6)
    path = saddle_path(X, y)
    assert path.n_jumps == 6
    grid = np.linspace(0, 1.1 * path.jump_times[-1], 20001)[1:]
    mid = 0.5 * (path.jump_times[:-1] + path.jump_times[1:])   # middle of each finite plateau
    errors, plateau_errors = [], []
    for exponent in (4, 16, 64):
        log_inv_alpha = exponent * np.log(10.0)
        times, coef = _flow_jump_times(path, X, y, log_inv_alpha, grid)
        err = np.abs(times - path.jump_times).max()
        # order 1/log(1/α): err·log(1/α) stays bounded (measured 20.7, 32.6, 32.6)
        assert err * log_inv_alpha < 40
        errors.append(err)
        at_mid = coef[np.searchsorted(grid, mid)]
        plateau_errors.append(np.abs(at_mid - path.saddles[1:-1]).max())
        if exponent == 64:
            # the flow visits the saddles in the path's order: mid-plateau it is nearest saddle k
            for k, beta in enumerate(at_mid, start=1):
                nearest = np.argmin(np.linalg.norm(path.saddles - beta, axis=1))
                assert nearest == k
    # measured: 2.25, 0.88, 0.22 (ratios 2.5 and 4.0; the ideal 1/log(1/α) gives 4 and 4);
    # plateau errors 0.10, 0.015, 6.9e-7
    assert errors[1] < errors[0] / 2 and errors[2] < errors[1] / 2.5
    assert plateau_errors[2] < plateau_errors[1] < plateau_errors[0]
    assert plateau_errors[2] < 1e-3


def test_deactivation_matches_flow():
    # n = 3, d = 5, seed 2 (found by search): coordinate 3 enters at the first jump, is pushed
    # back to 0 at the second (its face minimiser is 0 and the gradient points inward), and
    # re-enters at the last one.
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 5))
    y = rng.standard_normal(3)
    path = saddle_path(X, y)
    nz = [set(np.flatnonzero(b).tolist()) for b in path.saddles]
    assert nz[1] == {3} and 3 not in nz[2] and 3 in nz[-1]
    assert 3 not in path.active_sets[3]  # |s_3| < 1 after plateau 2: it left
    beta_bp, unique = _basis_pursuit_highs(X, y)
    assert unique and np.abs(path.coef - beta_bp).max() < 1e-10
    # the flow at α = 1e-64 agrees mid-plateau: β_3 ≈ saddle value, then ≈ 0, then back
    log_inv_alpha = 64 * np.log(10.0)
    mid = 0.5 * (path.jump_times[:-1] + path.jump_times[1:])
    coef, _ = gradient_flow(X, y, mid * log_inv_alpha, parametrization="uv",
                            log_init_scale=-log_inv_alpha, tol=1e-10)
    assert np.abs(coef - path.saddles[1:-1]).max() < 1e-3
    assert abs(coef[0, 3]) > 0.1 and abs(coef[1, 3]) < 1e-3


def test_degenerate_subproblem_names_coordinates():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 6))
    X[:, 2] = X[:, 0]                      # two identical columns
    y = 3 * X[:, 0] + 0.1 * rng.standard_normal(4)
    with pytest.raises(ValueError, match=r"coordinates \[0, 2\].*no unique minimiser"):
        saddle_path(X, y)


def test_zero_gradient_at_start():
    X = np.array([[1.0, 1.0], [1.0, 1.0]])
    y = np.array([1.0, -1.0])              # y ⟂ range(X): β = 0 is already a minimiser
    path = saddle_path(X, y)
    assert path.n_jumps == 0 and np.all(path.coef == 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"tol": 0.0}, "tol"), ({"tol": 2.0}, "tol"), ({"max_jumps": 0}, "max_jumps"),
    ({"max_jumps": 2.5}, "max_jumps"),
])
def test_bad_parameters(kwargs, match):
    X, y = _instance(0)
    with pytest.raises(ValueError, match=match):
        saddle_path(X, y, **kwargs)


def test_bad_data():
    with pytest.raises(ValueError, match="y"):
        saddle_path(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="X"):
        saddle_path(np.array([[np.nan, 1.0]]), np.ones(1))


def test_coef_at_is_piecewise_constant():
    X, y = _instance(1)
    path = saddle_path(X, y)
    t = path.jump_times
    assert np.all(path.coef_at([0.0, 0.5 * t[0]]) == 0)
    assert np.all(path.coef_at(t) == path.saddles[1:])  # right-continuous
    assert np.all(path.loss_at(t[-1] + 1.0) == path.losses[-1])
