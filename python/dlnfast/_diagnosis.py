"""Why a run diverged: the data's scale, the initialisation's scale, or the step.

A run that produces non-finite values is reported as a ValueError; which knob to change depends
on the cause, and "try a smaller step" is wrong when the step was never the problem:

* the data: the curvature of the loss is λ_max(XᵀX/n) ≤ d·max|x_ij|², and the gradient at 0 is
  about d·max|x_ij|·max|y_i|; when either is beyond the float64 range nothing can train on X as
  given (rescale it);
* the initialisation: in factor space the curvature is about 2·sqrt(β² + a²)·λ_max with a the
  potential's scale (α² for depth 2, α^D for depth D, :ref:`ug-step-sizes`), so an ``init_scale`` for which
  a·λ_max overflows breaks any step;
* otherwise the step (a fixed step above the stability bound, or an integrator tolerance too loose).

Everything is computed in log space from max|X| and max|y| (one read of X, no copy).
"""
import numpy as np

# log of the largest magnitude left for the dynamics: 1e300 leaves a few decades of headroom
# below float64's 1.8e308 for the sums and products of one step
_LOG_LIMIT = np.log(1e300)


def _log_abs_max(a):
    a = np.asarray(a)
    if a.size == 0:
        return -np.inf
    m = max(float(a.max()), -float(a.min()))  # two reads, no |a| temporary
    return np.log(m) if m > 0 else -np.inf


def data_scale_cause(X, y):
    """The data part of :func:`divergence_cause` (for solvers without dynamics: the limit)."""
    return divergence_cause(X, y, -np.inf)


def divergence_cause(X, y, log_init_scale, depth=2):
    """A sentence naming the cause of a divergence, or None when neither the data nor the
    initialisation explains it (then the step or the tolerance does).

    ``log_init_scale``: log α (array or scalar); ``depth``: D (the potential's scale is α^max(D, 2)).
    """
    n, d = X.shape
    lx, ly = _log_abs_max(X), _log_abs_max(y)
    log_curv = 2.0 * lx + np.log(d)              # log of the bound d·max|x|² on λ_max
    log_grad = lx + ly + np.log(d)               # log of the bound on ‖∇L(0)‖∞ scale terms
    log_loss = 2.0 * ly + np.log(n)              # log of the bound on ‖y‖², i.e. L(0)·2n
    if log_curv > _LOG_LIMIT or log_grad > _LOG_LIMIT or log_loss > _LOG_LIMIT:
        return (f"the data's scale: max|X| = {np.exp(lx):.3g} and max|y| = {np.exp(ly):.3g}, so the "
                f"loss's curvature (up to d·max|X|² ≈ 1e{log_curv / np.log(10):.0f}), gradient "
                f"(≈ 1e{log_grad / np.log(10):.0f}) or value (‖y‖² ≈ 1e{log_loss / np.log(10):.0f}) is "
                "beyond the float64 range; rescale X and y (e.g. sklearn's StandardScaler), which "
                "changes no solution up to that scale")
    la = float(np.max(log_init_scale))
    log_a = max(depth, 2) * la
    if log_a + max(log_curv, 0.0) > _LOG_LIMIT or log_a > _LOG_LIMIT:
        bound = np.exp((_LOG_LIMIT - max(log_curv, 0.0)) / max(depth, 2))
        return (f"the initialisation's scale: init_scale = {np.exp(la):.3g} makes the network's "
                f"scale α^{max(depth, 2)} ≈ 1e{log_a / np.log(10):.0f}, and its curvature α^{max(depth, 2)}·λ_max is "
                f"beyond the float64 range; use init_scale below about {bound:.3g}")
    return None
