"""DiagonalLinearClassifier's md, flow and sgd solvers and the loss-normalised clock, each against an
oracle that shares no code with the engine: numpy loops written here (mirror descent, SGD on the
numpy specification of the sample stream), scipy's solve_ivp on the same ODE, and the exact
discrete identities of DESIGN §3.1 built in numpy from the engine's own iterates."""
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import expit, logsumexp
from sklearn.utils.estimator_checks import parametrize_with_checks

from dlnfast import DiagonalLinearClassifier, _core, max_margin
from dlnfast._engine import solve_options
from dlnfast._sampling import sample_indices, seed_from_random_state


def _separable(rng, n=30, d=20):
    X = rng.standard_normal((n, d))
    s = np.sign(X[:, :3] @ np.array([2.0, -1.0, 1.5]))
    return X, s


def _grad(X, s, beta, loss):
    """∇L(β) of DESIGN §10 (weights 1/n)."""
    m = s * (X @ beta)
    dl = np.exp(-m) if loss == "exponential" else expit(-m)
    return -(X.T @ (s * dl)) / X.shape[0]


def _log_loss(X, s, beta, loss):
    m = s * (X @ beta)
    if loss == "exponential":
        return logsumexp(-m) - np.log(len(m))
    # log ℓ = log softplus(−m), and −m where softplus(−m) ≈ e^{−m} leaves the double range
    sp = np.logaddexp(0.0, -m)
    log_l = np.where(sp > 1e-300, np.log(np.where(sp > 1e-300, sp, 1.0)), -m)
    return logsumexp(log_l) - np.log(len(m))


# ---- the mirror maps β(θ) of DESIGN §3 (flow normalisation dθ/dt = −g) ----
def _beta_of(theta, parametrization, alpha, depth=2):
    if depth >= 3:
        c, p = depth * (depth - 2) * alpha ** (depth - 2), depth / (depth - 2)
        return alpha**depth * ((1 - c * theta) ** -p - (1 + c * theta) ** -p)
    if parametrization == "pm":
        return 2 * alpha**2 * np.sinh(4 * theta)
    return alpha**2 * np.sinh(2 * theta)  # uv from u₀ = √2α, v₀ = 0


def _theta_of(beta, parametrization, alpha):
    if parametrization == "pm":
        return 0.25 * np.arcsinh(beta / (2 * alpha**2))
    return 0.5 * np.arcsinh(beta / alpha**2)


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
@pytest.mark.parametrize("parametrization,depth", [("pm", 2), ("pm", 3), ("uv", 2)])
def test_md_iterates_match_numpy_reference(loss, parametrization, depth):
    rng = np.random.default_rng(21)
    X, s = _separable(rng)
    alpha, eta, K = 0.3, 0.05, 300
    clf = DiagonalLinearClassifier(loss=loss, parametrization=parametrization, depth=depth, init_scale=alpha,
                                   solver="md", step_size=eta, max_iter=K, tol=0.0, fit_intercept=False).fit(X, s)
    theta = np.zeros(X.shape[1])
    for _ in range(K):  # θ ← θ − η ∇L(β(θ))
        theta = theta - eta * _grad(X, s, _beta_of(theta, parametrization, alpha, depth), loss)
    ref = _beta_of(theta, parametrization, alpha, depth)
    assert np.max(np.abs(ref)) > 0.1  # it moved
    np.testing.assert_allclose(clf.coef_[0], ref, rtol=0, atol=1e-12)
    assert clf.n_iter_[0] == K
    np.testing.assert_array_equal(clf.effective_init_scale_, alpha)  # md has no discrete shrinkage


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
@pytest.mark.parametrize("parametrization,batch_size,shuffle,intercept",
                         [("pm", 1, True, False), ("pm", 4, False, False), ("uv", 1, False, False),
                          ("uv", 3, True, False), ("pm", 1, True, True), ("uv", 2, False, True)])
def test_sgd_iterates_match_numpy_reference(loss, parametrization, batch_size, shuffle, intercept):
    rng = np.random.default_rng(22)
    X0, s = _separable(rng, n=20, d=15)
    X0 = X0 + 0.5  # an offset the intercept has to absorb
    n = X0.shape[0]
    alpha, eta, K = 0.3, 0.05, 400
    clf = DiagonalLinearClassifier(loss=loss, parametrization=parametrization, init_scale=alpha, solver="sgd",
                                   step_size=eta, max_iter=K, tol=0.0, fit_intercept=intercept,
                                   intercept_scaling=2.0, batch_size=batch_size, shuffle=shuffle,
                                   random_state=7).fit(X0, s)
    # the intercept as a trained coordinate on a constant column of value intercept_scaling
    X = np.hstack([X0, np.full((n, 1), 2.0)]) if intercept else X0
    d = X.shape[1]
    # the samples of the numpy specification of the stream (dlnfast._sampling), seeded as sklearn does
    idx = sample_indices(seed_from_random_state(7), n, np.arange(K * batch_size), shuffle=shuffle)
    idx = idx.reshape(K, batch_size)
    if parametrization == "pm":
        a, b = np.full(d, alpha), np.full(d, alpha)  # w₊, w₋
    else:
        a, b = np.full(d, np.sqrt(2) * alpha), np.zeros(d)  # u, v
    for t in range(K):
        beta = a * a - b * b if parametrization == "pm" else a * b
        g = _grad(X[idx[t]], s[idx[t]], beta, loss)  # the batch's mean gradient
        if parametrization == "pm":
            a, b = a - 2 * eta * a * g, b + 2 * eta * b * g
        else:
            a, b = a - eta * b * g, b - eta * a * g
    ref = a * a - b * b if parametrization == "pm" else a * b
    assert np.max(np.abs(ref)) > 0.1
    got = np.append(clf.coef_[0], clf.intercept_[0] / 2.0) if intercept else clf.coef_[0]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    if intercept:
        assert abs(ref[-1]) > 1e-3  # the intercept coordinate moved


def _flow_rhs(X, s, parametrization, alpha, loss, normalised=False):
    def rhs(_, theta):
        beta = _beta_of(theta, parametrization, alpha)
        if not normalised:
            return -_grad(X, s, beta, loss)
        # −∇L/L = Σ_i (ℓ'_i/(n L)) y_i x_i with the weights formed in logs (e^{−m} underflows)
        m = s * (X @ beta)
        log_dl = -m if loss == "exponential" else -np.logaddexp(0.0, m)  # log ℓ' = log σ(−m)
        w = np.exp(log_dl - np.log(len(m)) - _log_loss(X, s, beta, loss))
        return X.T @ (s * w)
    return rhs


def _solve_to_loss(X, s, parametrization, alpha, loss, log_target, normalised, t_max):
    """θ where the flow's log L first reaches log_target (solve_ivp DOP853 with an event)."""
    def event(_, theta):
        return _log_loss(X, s, _beta_of(theta, parametrization, alpha), loss) - log_target
    event.terminal = True
    # the s-clock field is stiff at tiny losses (its Jacobian grows like the margins): LSODA there
    sol = solve_ivp(_flow_rhs(X, s, parametrization, alpha, loss, normalised), (0, t_max), np.zeros(X.shape[1]),
                    method="LSODA" if normalised else "DOP853", rtol=1e-10 if normalised else 1e-12,
                    atol=1e-12 if normalised else 1e-13, events=event)
    assert sol.status == 1, sol.message  # the event was reached
    return sol.y_events[0][0]


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_flow_lands_on_the_solve_ivp_trajectory(loss, parametrization):
    # The flow stops at the first accepted step with L ≤ target_loss; that point is on the
    # trajectory: solve_ivp's solution of the same ODE, stopped at the same loss, must be there.
    rng = np.random.default_rng(23)
    X, s = _separable(rng, n=20, d=8)
    alpha = 0.5
    clf = DiagonalLinearClassifier(loss=loss, parametrization=parametrization, init_scale=alpha, solver="flow",
                                   flow_tol=1e-10, tol=0.0, target_loss=1e-3, fit_intercept=False).fit(X, s)
    beta = clf.coef_[0]
    log_l = _log_loss(X, s, beta, loss)
    assert log_l <= np.log(1e-3) and abs(clf.log_loss_[0] - log_l) < 1e-10 * abs(log_l)
    theta_ref = _solve_to_loss(X, s, parametrization, alpha, loss, log_l, False, 1e7)
    ref = _beta_of(theta_ref, parametrization, alpha)
    # both sides are integrated to ~1e-10 local error; the event locates the same loss level
    np.testing.assert_allclose(beta, ref, rtol=0, atol=1e-6 * np.abs(ref).max())


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
def test_loss_clock_flow_is_the_same_trajectory(loss):
    # where both clocks are representable (L = 1e-6), the loss-normalised flow ends on the
    # ordinary-clock trajectory (solve_ivp on dθ/dt = −∇L, stopped at the same loss)
    rng = np.random.default_rng(24)
    X, s = _separable(rng, n=20, d=8)
    alpha = 0.5
    clf = DiagonalLinearClassifier(loss=loss, init_scale=alpha, solver="flow", flow_tol=1e-10,
                                   target_log_loss=np.log(1e-6), fit_intercept=False).fit(X, s)
    beta = clf.coef_[0]
    log_l = _log_loss(X, s, beta, loss)
    assert log_l <= np.log(1e-6) and abs(clf.log_loss_[0] - log_l) < 1e-10 * abs(log_l)
    ref = _beta_of(_solve_to_loss(X, s, "pm", alpha, loss, log_l, False, 1e9), "pm", alpha)
    np.testing.assert_allclose(beta, ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    # and the same point as the ordinary-clock engine flow stopped there (directions agree)
    clf_t = DiagonalLinearClassifier(loss=loss, init_scale=alpha, solver="flow", flow_tol=1e-10, tol=0.0,
                                     target_loss=float(np.exp(log_l)), fit_intercept=False).fit(X, s)
    u, v = beta / np.linalg.norm(beta), clf_t.coef_[0] / np.linalg.norm(clf_t.coef_[0])
    assert np.linalg.norm(u - v) < 1e-4


def test_loss_clock_reaches_1e_minus_1000():
    # log L = −2302.6 (ε = 1e-1000): far below the double range of L. Measured: 2,304 RK steps
    # (81 to log L = −10, 249 to −100, 1,130 to −1000): the field −∇L/L is bounded but its
    # Jacobian grows like the margins ~ log(1/L) (the softmax weights sharpen), so explicit steps
    # in s shrink like 1/log(1/L) and the count grows like log(1/ε) (the time clock: like 1/ε)
    rng = np.random.default_rng(25)
    X, s = _separable(rng, n=20, d=30)
    target = -1000 * np.log(10.0)
    clf = DiagonalLinearClassifier(loss="exponential", init_scale=1e-2, solver="flow", target_log_loss=target,
                                   fit_intercept=False, max_iter=5000).fit(X, s)
    beta = clf.coef_[0]
    log_l = _log_loss(X, s, beta, "exponential")
    assert target - 50 < log_l <= target  # stopped at the first step past the target
    assert abs(clf.log_loss_[0] - log_l) < 1e-11 * abs(log_l)
    assert clf.n_iter_[0] < 4000, clf.n_iter_
    # the direction there against solve_ivp on the s-clock (in log form), stopped at the same log L
    theta = _solve_to_loss(X, s, "pm", 1e-2, "exponential", log_l, True, 1e4)
    ref = _beta_of(theta, "pm", 1e-2)
    u, v = beta / np.abs(beta).sum(), ref / np.abs(ref).sum()
    assert np.abs(u - v).sum() < 1e-5
    # closer to the ℓ1 max margin than GD stopped at 1e-300 (the margin gap shrinks with ε)
    g1 = np.min(s * (X @ max_margin(X, s, "l1")))
    gd = DiagonalLinearClassifier(loss="exponential", init_scale=1e-2, tol=0.0, target_loss=1e-300,
                                  fit_intercept=False, max_iter=500_000).fit(X, s)
    assert 1 - clf.margins_["l1"][0] / g1 < 1 - gd.margins_["l1"][0] / g1


def _identity_run(loss, parametrization, solver, eta, n_steps, rng):
    """The engine's iterates (snapshots) and final effective scale for gd or sgd on a margin loss."""
    X, s = _separable(rng, n=10, d=16)
    clf = DiagonalLinearClassifier(loss=loss, parametrization=parametrization, init_scale=0.3, solver=solver,
                                   step_size=eta, max_iter=n_steps, tol=0.0, fit_intercept=False,
                                   random_state=3, shuffle=False).fit(X, s)
    f = 1.0 if parametrization == "pm" else 0.5  # the engine's step factor (uv runs in s, d coordinates)
    opts = solve_options(step_size=eta, step_factor=f, max_iter=n_steps, tol=0.0, n_threads=1, grad_scale=1.0,
                         depth=2, loss=1 if loss == "logistic" else 2)
    from dlnfast._parametrizations import make_parametrization

    net = make_parametrization(parametrization, 0.3, None, 2, X.shape[1]).init_network()
    snaps = np.arange(n_steps + 1, dtype=np.int64)
    if solver == "sgd":
        opts.seed = seed_from_random_state(3)
        opts.eval_every = X.shape[0]
        opts.loss_every = X.shape[0]
        res = _core.sgd(X, s, net.log_w_pos, net.log_w_neg, opts, snapshot_iters=snaps)
        idx = sample_indices(seed_from_random_state(3), X.shape[0], np.arange(n_steps))
        B = res.snapshots[:-1]
        G = -(X[idx] * (s[idx] * (np.exp(-s[idx] * np.einsum("kj,kj->k", X[idx], B)) if loss == "exponential"
                                  else expit(-s[idx] * np.einsum("kj,kj->k", X[idx], B))))[:, None])
    else:
        res = _core.gd(X, s, net.log_w_pos, net.log_w_neg, opts, snapshot_iters=snaps)
        M = s * (res.snapshots[:-1] @ X.T)
        dl = np.exp(-M) if loss == "exponential" else expit(-M)
        G = -(dl * s) @ X / X.shape[0]
    np.testing.assert_array_equal(res.snapshots[-1], clf.coef_[0])  # the same run
    return clf, G


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("loss", ["logistic", "exponential"])
@pytest.mark.parametrize("parametrization", ["pm", "uv"])
def test_discrete_identities_hold_for_margin_losses(solver, loss, parametrization):
    # DESIGN §3.1 depends only on the gradient sequence: with the engine's own gradients g_k
    # (rebuilt in numpy from its iterates and, for sgd, from the stream's sample indices)
    eta, n_steps = 0.05, 20_000
    clf, G = _identity_run(loss, parametrization, solver, eta, n_steps, np.random.default_rng(26))
    f = 2.0 if parametrization == "pm" else 1.0  # pm: artanh(2ηg), uv: artanh(ηg)
    log_alpha_k = np.log(0.3) + 0.5 * np.log1p(-(f * eta * G) ** 2).sum(axis=0)
    assert np.max(np.abs(np.log(clf.effective_init_scale_) - log_alpha_k)) < 1e-10
    a_k = np.exp(2 * log_alpha_k) * (2.0 if parametrization == "pm" else 1.0)
    lhs = (0.25 if parametrization == "pm" else 0.5) * np.arcsinh(clf.coef_[0] / a_k)
    rhs = -(0.5 if parametrization == "pm" else 1.0) * np.arctanh(f * eta * G).sum(axis=0)
    assert np.max(np.abs(rhs)) > 0.5  # the run moved far from the start
    assert np.max(np.abs(lhs - rhs)) / np.max(np.abs(rhs)) < 1e-10


def test_loss_clock_warns_when_the_target_is_out_of_reach():
    # non-separable data: L has a positive minimum (≈ e^{-0.92} here), log L = −10 is never reached
    from sklearn.exceptions import ConvergenceWarning

    rng = np.random.default_rng(30)
    X = rng.standard_normal((50, 3))
    y = (X[:, 0] + rng.standard_normal(50) > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="did not reach target_log_loss=-10"):
        clf = DiagonalLinearClassifier(solver="flow", target_log_loss=-10.0, max_iter=2000).fit(X, y)
    assert clf.log_loss_[0] > -2.0


def test_solver_option_errors():
    X, s = _separable(np.random.default_rng(27), n=10, d=3)
    with pytest.raises(ValueError, match="at most one of target_loss and target_log_loss"):
        DiagonalLinearClassifier(target_loss=1e-3, target_log_loss=-5.0).fit(X, s)
    with pytest.raises(ValueError, match="only solver='flow'"):
        DiagonalLinearClassifier(target_log_loss=-1000.0).fit(X, s)
    with pytest.raises(ValueError, match="momentum"):
        DiagonalLinearClassifier(solver="md", momentum=0.5).fit(X, s)
    with pytest.raises(ValueError, match="target_log_loss"):
        DiagonalLinearClassifier(target_log_loss=np.nan).fit(X, s)


@pytest.mark.parametrize("solver", ["gd", "md", "flow"])
def test_non_separable_with_intercept_converges_to_scipy_minimiser(solver):
    # a finite minimiser exists; at large α every solver ends there (intercept included)
    from scipy.optimize import minimize

    rng = np.random.default_rng(28)
    X = rng.standard_normal((120, 3))
    y = (X @ np.array([1.0, -1.0, 0.5]) + 0.4 + 0.7 * rng.standard_normal(120) > 0).astype(int)
    s = np.where(y == 1, 1.0, -1.0)
    clf = DiagonalLinearClassifier(solver=solver, init_scale=2.0, tol=1e-8, max_iter=200_000).fit(X, y)

    def f(w):
        m = s * (X @ w[:3] + w[3])
        return np.logaddexp(0, -m).mean(), -np.append(X.T @ (s * expit(-m)), (s * expit(-m)).sum()) / len(m)

    ref = minimize(f, np.zeros(4), jac=True, method="BFGS", options={"gtol": 1e-13}).x
    # ‖∇L‖∞ ≤ 1e-8·‖∇L(0)‖∞ and the Hessian's smallest eigenvalue here (~0.05) bound the error
    np.testing.assert_allclose(np.append(clf.coef_[0], clf.intercept_[0]), ref, atol=1e-6)


def _expected_failures(estimator):
    if estimator.solver == "sgd":
        return {"check_sample_weight_equivalence_on_dense_data":
                "SGD draws samples by position: repeating a row changes the stream, weighting it does not"}
    if estimator.solver == "flow":
        return {}  # no step rule: weighted and repeated data give the same ODE and the same steps
    return {"check_sample_weight_equivalence_on_dense_data":
            "early-stopped md: the automatic step's power iteration differs between weighted and repeated data"}


# tol=1e-2 as for gd (test_classifier.py): the checks' blobs are ill-conditioned for plain descent
@parametrize_with_checks([DiagonalLinearClassifier(solver="md", init_scale=0.5, tol=1e-2),
                          DiagonalLinearClassifier(solver="md", loss="exponential", parametrization="uv",
                                                   init_scale=0.5, tol=1e-2),
                          DiagonalLinearClassifier(solver="flow", init_scale=0.5, tol=1e-2),
                          DiagonalLinearClassifier(solver="flow", loss="exponential", init_scale=0.5, tol=1e-2),
                          DiagonalLinearClassifier(solver="sgd", init_scale=0.5, tol=1e-2, max_iter=20_000,
                                                   random_state=0),
                          DiagonalLinearClassifier(solver="sgd", loss="exponential", init_scale=0.5, tol=1e-2,
                                                   fit_intercept=False, max_iter=20_000, random_state=0)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible_solvers(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        check(estimator)


@pytest.mark.parametrize("solver,extra", [("md", {}), ("flow", {"target_log_loss": -50.0}),
                                          ("sgd", {"batch_size": 8, "random_state": 1})])
def test_threads_bit_identical(real_team, solver, extra):
    rng = np.random.default_rng(29)
    X = rng.standard_normal((300, 30))  # 300 rows: 16 row chunks, so a team really splits them
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.standard_normal(300) > 0).astype(int)
    kw = dict(solver=solver, loss="exponential", init_scale=0.1, max_iter=200, tol=0.0, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # flow: a fixed budget of 200 steps, the target is not reached
        fits = [DiagonalLinearClassifier(n_jobs=k, **kw).fit(X, y) for k in (1, 2, 3)]
    for f in fits[1:]:
        np.testing.assert_array_equal(f.coef_, fits[0].coef_)
        np.testing.assert_array_equal(f.intercept_, fits[0].intercept_)
        np.testing.assert_array_equal(f.log_loss_, fits[0].log_loss_)
