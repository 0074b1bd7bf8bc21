"""linprog's callback and res.history: what they report, that they do not change the run, and
that their memory is bounded.

Oracles: a numpy loop of the paper's iteration u ← u⊙(1 − 2ηAᵀ(A(u⊙u) − b)) from
u₀ = exp(−c/(2λ)) (for the recorded loss and objective), the result itself (for the last
callback), and an unchunked kernel run (for the chunked one).
"""
import numpy as np
import pytest
import scipy.sparse as sp

import dlnfast
from dlnfast.lp import _kernel
from dlnfast.lp._history import Recorder
from dlnfast.lp._linprog import cheap_norm_sq_bound


def lp(seed=0, m=6, n=15):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.2, 1.0, (m, n))
    b = A @ rng.uniform(0.5, 1.5, n)
    c = rng.uniform(0.1, 1.0, n)
    return c, A, b


@pytest.mark.parametrize("momentum", [False, True])
@pytest.mark.parametrize("method", ["dln", "eg"])
@pytest.mark.parametrize("rule", ["adaptive", "paper", "fixed"])
def test_a_chunked_run_is_the_unchunked_run_bit_for_bit(method, rule, momentum):
    c, A, b = lp(1)
    op = _kernel.LpOperator(sp.csr_matrix(A))
    kw = dict(update=_kernel.update_rule(method), step_rule=_kernel.step_rule(rule, 1e-3 if rule == "fixed" else None),
              tol=1e-30, max_iter=3000, time_limit=1e9, n_threads=1,
              norm_a_sq=cheap_norm_sq_bound(sp.csr_matrix(A)), step_size=1e-3 if rule == "fixed" else 0.0,
              momentum=momentum)
    x1, nu1, om1, r1 = _kernel.run_dynamics(op, b, c, 0.3, **kw)
    seen = []
    x2, nu2, om2, r2 = _kernel.run_dynamics(op, b, c, 0.3, chunk=37,
                                            on_chunk=lambda state, s: seen.append(s.n_iter), **kw)
    assert r1.n_iter == 3000 and seen == list(range(37, 3000, 37))  # one hook per piece
    assert np.array_equal(x1, x2) and np.array_equal(nu1, nu2) and np.array_equal(om1, om2)
    assert (r1.n_iter, r1.n_rejected) == (r2.n_iter, r2.n_rejected)
    assert r1.loss == r2.loss


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_history_is_the_papers_iteration(method):
    # standard-form input, scale=False, fixed η and λ: the recorded loss and objective are those
    # of a numpy loop of the paper's update at the recorded iteration numbers
    c, A, b = lp(2)
    lam, eta, iters = 0.5, 2e-3, 3000
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method=method, reg=lam, step_size=eta,
                          scale=False, maxiter=iters, tol=1e-14)
    h = res.history
    assert res.status == 1 and h.nit[-1] == iters == res.nit
    assert np.all(np.diff(h.nit) > 0) and np.all(h.reg == lam)
    u = np.exp(-c / (2 * lam))
    want = {}
    for k in range(iters + 1):
        x = u * u
        r = A @ x - b
        want[k] = (0.5 * r @ r, c @ x)
        g = A.T @ r
        u = u * (1 - 2 * eta * g) if method == "dln" else u * np.exp(-2 * eta * g)
    got_loss = np.array([want[k][0] for k in h.nit])
    got_fun = np.array([want[k][1] for k in h.nit])
    np.testing.assert_allclose(h.loss, got_loss, rtol=1e-9)
    np.testing.assert_allclose(h.fun, got_fun, rtol=1e-11)
    np.testing.assert_allclose(h.residual, np.sqrt(2 * got_loss) / (1 + np.linalg.norm(b)), rtol=1e-9)
    assert np.all(np.diff(h.loss) < 0)  # a stable step: the loss goes down


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_callback_reports_consistent_points_and_ends_with_the_result(method):
    c, A, b = lp(3)
    A_ub, b_ub = A[:2], b[:2] + 1.0
    calls = []
    res = dlnfast.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A[2:], b_eq=b[2:], method=method,
                          c0=2.5, callback=calls.append)
    ref = dlnfast.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A[2:], b_eq=b[2:], method=method, c0=2.5)
    assert res.status == 0
    np.testing.assert_array_equal(res.x, ref.x)  # the callback does not change the run
    assert calls[-1].complete and not any(r.complete for r in calls[:-1])
    for key in ("x", "fun", "slack", "con", "nit", "status"):
        np.testing.assert_array_equal(calls[-1][key], res[key])
    for r in calls[:-1]:  # every intermediate point in the user's variables, self-consistent
        np.testing.assert_allclose(r.fun, c @ r.x + 2.5, rtol=1e-12)
        np.testing.assert_allclose(r.slack, b_ub - A_ub @ r.x, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r.con, b[2:] - A[2:] @ r.x, rtol=1e-12, atol=1e-12)
        assert r.phase == 2 and r.status == 0
    nits = [r.nit for r in calls]
    assert nits == sorted(nits)
    if method != "newton":
        assert len(calls) > 3
        np.testing.assert_array_equal([r.nit for r in calls[:-1]], res.history.nit)


def test_history_memory_is_bounded_whatever_maxiter():
    rec = Recorder(lambda y, full: (y, 0.0, None, None), 1.0, stride=10, cap=100)
    k = 0
    while k < 1_000_000:  # driven as the kernel drives it: a record every `stride` iterations
        k += rec.stride
        rec.record(np.zeros(1), k, 1.0, 1.0)
    h = rec.history()
    assert 50 <= len(h.nit) <= 100 and rec.stride >= 10 * 2 ** 9
    steps = np.diff(h.nit)
    assert steps.max() <= 2 * steps.min()  # evenly thinned over the whole run
    assert h.nit[0] <= 2 * steps.min() and h.nit[-1] == k
    # through linprog: a long run keeps at most 1000 rows
    c, A, b = lp(4)
    res = dlnfast.linprog(c, A_eq=A, b_eq=b, method="eg", reg=1e-3, tol=1e-15,
                          maxiter=400_000, scale=False, step_size=1e-3)
    assert res.nit == 400_000 and len(res.history.nit) <= 1000


def test_callback_errors_propagate_and_are_checked():
    c, A, b = lp(5)

    def boom(res):
        if not res.complete:
            raise RuntimeError("stop here")
    with pytest.raises(RuntimeError, match="stop here"):
        dlnfast.linprog(c, A_eq=A, b_eq=b, method="dln", callback=boom)
    with pytest.raises(TypeError, match="callback"):
        dlnfast.linprog(c, A_eq=A, b_eq=b, callback=3)


@pytest.mark.parametrize("method", ["dln", "eg"])
def test_momentum_keeps_the_certificate_identity(method):
    # log x = (Aᵀν − c − λω)/λ exactly (ω = 0 for EG), with momentum as without: the momentum
    # term is an affine combination of states that satisfy it. Checked with numpy on the
    # returned arrays; the run must differ from the plain one (momentum was on).
    c, A, b = lp(6)
    op = _kernel.LpOperator(sp.csr_matrix(A))
    lam = 0.05
    kw = dict(update=_kernel.update_rule(method), step_rule=_kernel.step_rule("adaptive"),
              tol=1e-30, max_iter=5000, time_limit=1e9, n_threads=1,
              norm_a_sq=cheap_norm_sq_bound(sp.csr_matrix(A)))
    x, nu, om, r = _kernel.run_dynamics(op, b, c, lam, momentum=True, **kw)
    x0, _, _, r0 = _kernel.run_dynamics(op, b, c, lam, momentum=False, **kw)
    np.testing.assert_allclose(np.log(x), (A.T @ nu - c - lam * om) / lam, rtol=1e-10, atol=1e-10)
    if method == "eg":
        assert np.all(om == 0)
    assert not np.array_equal(x, x0)
    loss = 0.5 * np.sum((A @ x - b) ** 2)
    assert loss == pytest.approx(r.loss, rel=1e-12)
