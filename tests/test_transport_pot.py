"""dlnfast.transport follows POT's input conventions; oracles are POT's own solvers.

POT's emd/sinkhorn tests (test/test_ot.py, test/test_bregman.py in PythonOT/POT) are not in its
wheel, so they cannot be imported here; these tests check the conventions they exercise:
empty marginals mean uniform, and a sparse M lists the allowed edges (ot.emd).
"""
import numpy as np
import pytest
import scipy.sparse as sp

import dlnfast

ot = pytest.importorskip("ot")


def cloud(n, seed=0):
    x = np.random.RandomState(seed).randn(n, 2)
    return ot.dist(x, x)


def test_empty_marginals_mean_uniform_exact():
    # POT's test_emd_empty: the plan of a point cloud onto itself is I/n, its cost 0
    n = 40
    M = cloud(n)
    res = dlnfast.transport([], [], M, reg=None)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.plan, ot.emd([], [], M), atol=1e-9)
    np.testing.assert_allclose(res.cost, ot.emd2([], [], M), atol=1e-9)


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_empty_marginals_mean_uniform_entropic(method):
    n1, n2 = 7, 9
    rng = np.random.RandomState(1)
    M = ot.dist(rng.randn(n1, 2), rng.randn(n2, 2))
    M /= M.max()
    reg = 0.2
    res = dlnfast.transport([], [], M, reg=reg, method=method, tol=1e-10)
    assert res.status == 0, res.message
    np.testing.assert_allclose(res.plan.sum(axis=1), np.full(n1, 1 / n1), atol=1e-9)
    np.testing.assert_allclose(res.plan.sum(axis=0), np.full(n2, 1 / n2), atol=1e-9)
    # "dln"/"eg" land exactly on the entropic plan of cost M + λω (ω = 0 for EG, DESIGN §3.1)
    cost = M + reg * res.omega if method != "newton" else M
    ref = ot.sinkhorn(res.plan.sum(axis=1), res.plan.sum(axis=0), cost, reg,
                      method="sinkhorn_log", stopThr=1e-13, numItermax=100000)
    np.testing.assert_allclose(res.plan, ref, atol=1e-8)


def sparse_cost(n1, n2, k=2, seed=42):
    """POT's _get_sparse_test_matrices: k random edges per row and per column."""
    rng = np.random.RandomState(seed)
    M = rng.rand(n1, n2)
    mask = np.zeros((n1, n2))
    for i in range(n1):
        mask[i, rng.choice(n2, min(k, n2), replace=False)] = 1
    for j in range(n2):
        mask[rng.choice(n1, min(k, n1), replace=False), j] = 1
    return sp.coo_array(M * mask), M + 1e8 * (1 - mask), mask


@pytest.mark.parametrize("n1, n2", [(20, 20), (15, 25)])
def test_sparse_cost_is_an_edge_list_as_in_ot_emd(n1, n2):
    Ms, Md, mask = sparse_cost(n1, n2)
    a, b = ot.unif(n1), ot.unif(n2)
    ref_sparse, log = ot.emd(a, b, Ms, log=True)
    ref_dense = ot.emd(a, b, Md)  # the same LP with forbidden edges priced at 1e8
    res = dlnfast.transport(a, b, Ms, reg=None)
    assert res.status == 0, res.message
    assert sp.issparse(res.plan)
    P = res.plan.toarray()
    assert np.all(P[mask == 0] == 0)  # only allowed edges carry mass
    np.testing.assert_allclose(P.sum(axis=1), a, atol=1e-9)
    np.testing.assert_allclose(P.sum(axis=0), b, atol=1e-9)
    np.testing.assert_allclose(res.cost, log["cost"], rtol=1e-8)
    np.testing.assert_allclose(res.cost, (ref_dense * Md).sum(), rtol=1e-8)


def test_sparse_cost_needs_exact_ot():
    Ms, _, _ = sparse_cost(5, 5)
    with pytest.raises(ValueError, match="sparse M .* needs reg=None"):
        dlnfast.transport(ot.unif(5), ot.unif(5), Ms, reg=0.1)


def _problem(n1=6, n2=8, k=3, seed=2):
    rng = np.random.RandomState(seed)
    M = ot.dist(rng.randn(n1, 2), rng.randn(n2, 2))
    M /= M.max()
    a = rng.rand(n1) + 0.2
    a /= a.sum()
    B = rng.rand(n2, k) + 0.2
    B /= B.sum(axis=0)
    return a, B, M


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_several_target_marginals_as_in_ot_sinkhorn(method):
    # POT: b of shape (n2, k) gives the k costs <M, P_k> of the k entropic plans
    a, B, M = _problem()
    reg = 0.1
    want = ot.sinkhorn(a, B, M, reg, stopThr=1e-13, numItermax=100_000)
    res = dlnfast.transport(a, B, M, reg, method=method, tol=1e-11)
    assert res.success and np.all(res.status == 0), res.message
    assert res.cost.shape == (3,) and res.plan.shape == (3, 6, 8) and res.nit.shape == (3,)
    if method != "dln":
        np.testing.assert_allclose(res.cost, want, rtol=1e-7)
    for k in range(3):  # each plan is POT's plan for that column
        # DLN GD's plan is exactly the entropic plan of the cost M + λω (its certificate)
        Mk = M + reg * res.results[k].omega if method == "dln" else M
        pk = ot.sinkhorn(a, B[:, k], Mk, reg, stopThr=1e-13, numItermax=100_000)
        np.testing.assert_allclose(res.plan[k], pk, atol=1e-9)
        np.testing.assert_allclose(res.cost[k], (M * pk).sum(), rtol=1e-7)


def test_several_target_marginals_checked_per_column():
    a, B, M = _problem()
    B[:, 1] *= 2.0
    with pytest.raises(ValueError, match="same total mass"):
        dlnfast.transport(a, B, M, 0.1)
    with pytest.raises(ValueError, match="b must have at least one column"):
        dlnfast.transport(a, np.zeros((8, 0)), M, 0.1)


@pytest.mark.parametrize("method", ["newton", "dln", "eg"])
def test_warns_where_ot_sinkhorn_warns(method):
    a, B, M = _problem()
    b = B[:, 0]
    reg = 0.01
    with pytest.warns(UserWarning, match="did not converge"):
        ot.sinkhorn(a, b, M, reg, numItermax=3)
    # two steps: Newton starts from Sinkhorn sweeps and can finish in three
    with pytest.warns(UserWarning, match="did not converge.*maxiter"):
        res = dlnfast.transport(a, b, M, reg, method=method, maxiter=2)
    assert res.status == 1
    with pytest.warns(UserWarning, match="did not converge"):  # once for k histograms, as POT
        ot.sinkhorn(a, B, M, reg, numItermax=3)
    with pytest.warns(UserWarning, match="did not converge") as rec:
        res = dlnfast.transport(a, B, M, reg, method=method, maxiter=2)
    assert len(rec) == 1 and np.all(res.status == 1)
    # converged: neither warns (pytest turns a stray warning into an error)
    ot.sinkhorn(a, b, M, 0.5, stopThr=1e-12, numItermax=100_000)
    assert dlnfast.transport(a, b, M, 0.5, method=method).status == 0
    res = dlnfast.transport(a, b, M, reg, method=method, maxiter=2, warn=False)  # silenced
    assert res.status == 1
    with pytest.raises(ValueError, match="warn must be a bool"):
        dlnfast.transport(a, b, M, reg, warn="no")


def test_warns_where_ot_emd_warns():
    a, B, M = _problem(20, 20)
    b = B[:, 0]
    with pytest.warns(UserWarning, match="numItermax reached before optimality"):
        ot.emd(a, b, M, numItermax=3)
    with pytest.warns(UserWarning, match="maxiter .*reached before optimality"):
        res = dlnfast.transport(a, b, M, None, maxiter=3)
    assert res.status == 1
    ot.emd(a, b, M)  # converged: no warning from either
    assert dlnfast.transport(a, b, M, None).status == 0
