"""max_margin_kkt against stationary points found another way (scipy SLSQP on the ℓ_{2/3} problem,
and a brute-force scan of directions in d = 2), and along the classifier's training at depth 3."""
import numpy as np
import pytest
from scipy.optimize import minimize

from dlnfast import DiagonalLinearClassifier, max_margin_kkt


def _slsqp_kkt_points(A, q, rng, starts=20):
    """Local minimisers of Σ|b_j|^q s.t. A b ≥ 1 from random starts (SLSQP; sparse: a concave
    objective's minima sit on faces of the feasible set)."""
    cons = {"type": "ineq", "fun": lambda b: A @ b - 1, "jac": lambda b: A}
    found = []
    for _ in range(starts):
        res = minimize(lambda b: np.sum(np.abs(b) ** q), 3 * rng.standard_normal(A.shape[1]),
                       jac=lambda b: q * np.abs(b) ** (q - 1) * np.sign(b), method="SLSQP",
                       constraints=[cons], options={"ftol": 1e-15, "maxiter": 1000})
        if res.success and np.min(A @ res.x) > 1 - 1e-9:
            # SLSQP leaves its zero coordinates at ~1e-9 (|b|^q of that is ~1e-5 at q = ½): round them
            found.append(np.where(np.abs(res.x) > 1e-7 * np.abs(res.x).max(), res.x, 0.0))
    return found


@pytest.mark.parametrize("depth", [3, 4])
def test_zero_at_slsqp_stationary_points_positive_elsewhere(depth):
    rng = np.random.default_rng(41)
    X = rng.standard_normal((2, 3))  # two constraints in d = 3: several local minima
    y = np.array([1, 0])
    A = np.array([1.0, -1.0])[:, None] * X
    points = _slsqp_kkt_points(A, 2.0 / depth, rng)
    assert len(points) >= 3
    for b in points:
        assert max_margin_kkt(X, y, b, depth) < 1e-6
        assert max_margin_kkt(X, y, 7.0 * b, depth) < 1e-6  # only the direction matters
        # moved off the stationary point (still separating): clearly positive
        moved = b + 0.1 * np.abs(b).max() * rng.standard_normal(3)
        if np.min(A @ moved) > 0:
            assert max_margin_kkt(X, y, moved, depth) > 1e-3


def test_brute_force_directions_in_two_dimensions():
    # d = 2: directions u(φ) = (cos φ, sin φ); the KKT points of min ‖b‖_q^q s.t. margins ≥ 1 off the
    # axes are the critical points of the normalised margin F(φ) = min_i m_i(u)/‖u‖_q, found here
    # by a fine scan and refinement, independently of the residual's QP
    rng = np.random.default_rng(58)  # a seed whose F has an axis maximum and an off-axis one
    X = rng.standard_normal((6, 2))
    y = (X @ np.array([1.0, 0.7]) > 0).astype(int)
    s = np.where(y == 1, 1.0, -1.0)
    q = 2.0 / 3

    def F(phi):
        u = np.array([np.cos(phi), np.sin(phi)])
        return np.min(s * (X @ u)) / np.sum(np.abs(u) ** q) ** (1 / q)

    phis = np.linspace(0, 2 * np.pi, 20001)[:-1]
    vals = np.array([F(p) for p in phis])
    k = np.where((vals > 0) & (vals >= np.roll(vals, 1)) & (vals >= np.roll(vals, -1)))[0]
    from scipy.optimize import minimize_scalar

    maxima = []
    for i in k:
        if min(abs(np.cos(phis[i])), abs(np.sin(phis[i]))) < 1e-3:
            continue  # an axis direction is trivially stationary for q < 1
        r = minimize_scalar(lambda p: -F(p), bounds=(phis[i - 1], phis[i + 1]), method="bounded",
                            options={"xatol": 1e-12})
        maxima.append(np.array([np.cos(r.x), np.sin(r.x)]))
    assert maxima
    for u in maxima:
        assert max_margin_kkt(X, y, u, 3) < 1e-5
    # directions 0.1 rad either side of a maximum (F still positive, not critical) are far from KKT
    checked = 0
    for u in maxima:
        phi = np.arctan2(u[1], u[0])
        for dphi in (-0.1, 0.1):
            v = np.array([np.cos(phi + dphi), np.sin(phi + dphi)])
            if F(phi + dphi) > 0 and np.min(np.abs(v)) > 1e-2:
                assert max_margin_kkt(X, y, v, 3) > 1e-2
                checked += 1
    assert checked


def test_depth3_classifier_residual_shrinks_with_the_loss():
    # measured 0.53, 0.062, 0.018 (GD at depth 3, α = 0.1)
    rng = np.random.default_rng(31)
    X = rng.standard_normal((20, 10))
    s = np.sign(X[:, :3] @ np.array([2.0, -1.0, 1.5]))
    res = []
    for eps in (1e-2, 1e-5, 1e-20):
        clf = DiagonalLinearClassifier(loss="exponential", depth=3, init_scale=0.1, tol=0.0, target_loss=eps,
                                       fit_intercept=False, max_iter=200_000).fit(X, s)
        res.append(max_margin_kkt(X, s, clf.coef_[0], 3))
    assert all(b < 0.5 * a for a, b in zip(res, res[1:])), res


def test_bad_input():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = [1, 0]
    with pytest.raises(ValueError, match="does not separate"):
        max_margin_kkt(X, y, [-1.0, 1.0], 3)
    with pytest.raises(ValueError, match="depth must be an integer >= 3"):
        max_margin_kkt(X, y, [1.0, -1.0], 2)
    with pytest.raises(ValueError, match="coef must be"):
        max_margin_kkt(X, y, [1.0], 3)
    with pytest.raises(ValueError, match="2 classes"):
        max_margin_kkt(X, [1, 1], [1.0, -1.0], 3)
