"""scikit-learn classifier for diagonal linear networks (logistic and exponential losses)."""
import numbers
import warnings

import numpy as np
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from dlnfast import _core
from dlnfast._diagnosis import divergence_cause
from dlnfast._dynamics import core_spec
from dlnfast._engine import solve_options
from dlnfast._parametrizations import MAX_DEPTH, make_parametrization
from dlnfast._sampling import seed_from_random_state
from dlnfast._threads import MAX_N_JOBS, effective_n_threads
from dlnfast._validation import MAX_COUNT, check_sample_weight, user_repr, validate_estimator_data

_LOSS_CODE = {"logistic": 1, "exponential": 2}
#: The smallest target_loss: below it L and its gradient leave the double range (log L stays exact).
MIN_TARGET_LOSS = 1e-300
#: log(MIN_TARGET_LOSS): the smallest target_log_loss of the solvers that run on the ordinary clock.
MIN_LOG_TARGET = float(np.log(MIN_TARGET_LOSS))


def normalised_margins(X, y, coef, intercept=0.0):
    """min_i y_i(⟨x_i, β⟩ + b) / ‖β‖ for the ℓ1 and ℓ2 norms (y in {−1, +1}); a dict."""
    m = float(np.min(y * (X @ coef + intercept)))
    out = {}
    for name, p in (("l1", 1), ("l2", 2)):
        nrm = float(np.linalg.norm(coef, p))
        out[name] = m / nrm if nrm > 0 else 0.0
    return out


class DiagonalLinearClassifier(ClassifierMixin, BaseEstimator):
    """Linear classification through a diagonal linear network trained by gradient descent.

    The decision function is ``X @ coef_ + intercept_`` with β = ``coef_`` a product of factors
    (the regressor's networks), trained by full-batch GD in C++ on a margin loss of
    m_i = y_i⟨x_i, β⟩: ``"logistic"`` L = Σ w_i log(1 + e^{−m_i}), ``"exponential"``
    L = Σ w_i e^{−m_i} (w summing to 1). The loss and its gradient are kept in log form, so
    training reaches losses down to ``target_loss = 1e-300`` on separable data, where the
    direction β/‖β‖ tends to a max-margin direction (ℓ1 for small ``init_scale``, ℓ2 for large;
    Moroshko et al. 2020; see :func:`dlnfast.max_margin`). The automatic step bounds the loss's
    Hessian at the current iterate, which shrinks like L: the step grows like 1/L (GD on the
    loss-normalised clock), so tiny losses cost a number of steps that grows like log(1/L).

    Multiclass targets are fitted one-vs-rest (one network per class).

    Parameters
    ----------
    loss : {"logistic", "exponential"}, default="logistic"
    parametrization : {"pm", "uv", "positive"}, default="pm"
        As in :class:`~dlnfast.DiagonalLinearRegressor` (``"positive"``: β ≥ 0).
    init_scale : float > 0, default=1e-3
    init_shape : None or pair (a, b), default=None
        Scalars only (with ``fit_intercept`` the intercept coordinate starts like the others).
    depth : int, default=2
        D ≥ 3 for ``"pm"`` only.
    solver : {"gd", "sgd", "md", "flow"}, default="gd"
        ``"gd"``: full-batch GD on the factors (heavy ball or Nesterov with ``momentum`` > 0).
        ``"sgd"``: mini-batch SGD on the factors (``batch_size`` samples per step drawn by
        ``shuffle`` from a stream seeded by ``random_state``, the regressor's stream; the full loss
        is evaluated once per epoch for ``tol``, ``target_loss`` and ``loss_curve_``). ``"md"``: mirror
        descent ∇Φ(β) ← ∇Φ(β) − η·∇L(β) with the
        parametrisation's potential (no momentum). ``"flow"``: the exact gradient flow
        d/dt ∇Φ(β) = −∇L(β) (the η → 0 limit of GD), Dormand–Prince 5(4) in mirror coordinates to
        ``flow_tol``; ``max_iter`` counts its steps. With ``target_log_loss`` it is integrated on the
        loss-normalised clock (Notes).
    step_size : "auto" or float > 0, default="auto"
        Unused by ``"flow"``.
    max_iter : int, default=100_000
    tol : float ≥ 0, default=1e-4
        Stop when ‖∇L‖∞/‖∇L(0)‖∞ ≤ tol. On separable data ∇L → 0 with L: use ``tol=0`` with
        ``target_loss`` to train to a given loss. Not used by ``"flow"`` on the loss-normalised clock.
    target_loss : None or float in [1e-300, ∞), default=None
        Stop when L ≤ target_loss.
    target_log_loss : None or float, default=None
        Stop when log L ≤ target_log_loss (natural log; exclusive with ``target_loss``), for
        targets below 1e-300: e.g. ``-1000 * np.log(10)`` for ε = 1e-1000. ``"gd"``, ``"sgd"``
        and ``"md"`` accept values ≥ log(1e-300) ≈ −690.8 (their gradient is formed in the double
        range); ``"flow"`` accepts any value and is then integrated on the loss-normalised clock,
        so that ``tol`` is not used and ``loss_curve_`` underflows to 0 where ``log_loss_`` does not.
    flow_tol : float in (0, 1), default=1e-7
        ``"flow"``: local error tolerance per Runge–Kutta step, in relative-β units.
    batch_size : int or None, default=None
        ``"sgd"``: samples per step (None: 1), capped at n_samples.
    shuffle : bool, default=True
        ``"sgd"``: epoch shuffling (True) or sampling with replacement.
    random_state : int, RandomState instance or None, default=None
        ``"sgd"``: seeds the sample stream.
    fit_intercept : bool, default=True
        The intercept is a virtual constant column of value ``intercept_scaling`` (X is not
        copied), trained through the network like the other coordinates (as liblinear does).
    intercept_scaling : float > 0, default=1.0
    momentum : float in [0, 1), default=0.0
    nesterov : bool, default=False
    n_jobs : int or None, default=None
        Threads of the C++ engine (results identical for any value).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    loss_curve_ : ndarray (binary), or list of ndarray (one per class)
    n_iter_ : ndarray of shape (1,) or (n_classes,)
    log_loss_ : ndarray of shape (1,) or (n_classes,)
        log L at the end of training (finite where L itself underflows).
    margins_ : dict
        ``"l1"`` and ``"l2"``: the normalised training margin min_i y_i(⟨x_i, β⟩ + b)/‖β‖ per
        binary problem (array of shape (1,) or (n_classes,)).
    effective_init_scale_ : ndarray of shape (n_features,) or (n_classes, n_features)
        α_∞ of the discrete run (:ref:`ug-identities`); α itself for ``"md"`` and ``"flow"``.
    n_features_in_ : int

    Notes
    -----
    **The loss-normalised clock.** The flow's path does not depend on how time is parametrised.
    With ds = L dt the mirror coordinate θ = ∇Φ(β) obeys dθ/ds = −∇L/L =
    Σ_i softmax(−m)_i y_i x_i (exponential loss; the logistic weights are σ(−m_i)/L), a bounded
    field computed exactly in log form at any L. Integrated by the same error-controlled
    Runge–Kutta pair, it reaches log L = −2302.6 (ε = 1e-1000) in a few hundred steps, where
    β/‖β‖ is as close to the max-margin limit as the flow gets. Relation to GD: an Euler step of
    size h on this clock is GD (in mirror coordinates) with step η_k = h/L(β_k); the automatic
    step of ``"gd"`` already grows like 1/L (its Hessian bound shrinks with L), i.e. GD is a
    discretisation of this same clock with an O(η) bias in the effective initialisation
    (:ref:`ug-identities`). See :ref:`ug-classification`.
    """

    _parameter_constraints = {
        "loss": [StrOptions(set(_LOSS_CODE))],
        "parametrization": [StrOptions({"pm", "uv", "positive"})],
        "init_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        "init_shape": [None, tuple, list],
        "depth": [Interval(numbers.Integral, 2, MAX_DEPTH, closed="both")],
        "solver": [StrOptions({"gd", "sgd", "md", "flow"})],
        "step_size": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 0, MAX_COUNT, closed="both")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "target_loss": [None, Interval(numbers.Real, MIN_TARGET_LOSS, None, closed="left")],
        "target_log_loss": [None, Interval(numbers.Real, None, None, closed="neither")],
        "flow_tol": [Interval(numbers.Real, 0, 1, closed="neither")],
        "batch_size": [None, Interval(numbers.Integral, 1, MAX_COUNT, closed="both")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(numbers.Real, 0, None, closed="neither")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "n_jobs": [None, Interval(numbers.Integral, -MAX_N_JOBS, MAX_N_JOBS, closed="both")],
    }

    def __init__(self, *, loss="logistic", parametrization="pm", init_scale=1e-3, init_shape=None, depth=2,
                 solver="gd", step_size="auto", max_iter=100_000, tol=1e-4, target_loss=None,
                 target_log_loss=None, flow_tol=1e-7, batch_size=None, shuffle=True, random_state=None,
                 fit_intercept=True, intercept_scaling=1.0, momentum=0.0, nesterov=False, n_jobs=None):
        self.loss = loss
        self.parametrization = parametrization
        self.init_scale = init_scale
        self.init_shape = init_shape
        self.depth = depth
        self.solver = solver
        self.step_size = step_size
        self.max_iter = max_iter
        self.tol = tol
        self.target_loss = target_loss
        self.target_log_loss = target_log_loss
        self.flow_tol = flow_tol
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.momentum = momentum
        self.nesterov = nesterov
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train one network (binary) or one per class (one-vs-rest).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Used in place if C-contiguous float64/float32.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (normalised to sum to 1 in the loss).

        Returns
        -------
        self
        """
        self._check_solver_options()
        X, y = validate_estimator_data(self, X, y, dtype=[np.float64, np.float32], order="C",
                                       y_numeric=False)
        try:
            check_classification_targets(y)
        except ValueError as exc:  # "Unknown label type: continuous..." names no argument
            raise ValueError(f"`y`: {exc}") from None
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(f"DiagonalLinearClassifier needs samples of at least 2 classes in y; got 1 class "
                             f"({self.classes_[0]!r}).")
        weights = None
        sample_weight = check_sample_weight(sample_weight, X)
        if sample_weight is not None:
            weights = np.ascontiguousarray(sample_weight / sample_weight.sum())
        d = X.shape[1]
        n_net = d + 1 if self.fit_intercept else d
        param = make_parametrization(self.parametrization, float(self.init_scale), self.init_shape,
                                     self.depth, n_net)
        spec = param.mirror_spec() if self.solver in ("md", "flow") else None
        n_threads = effective_n_threads(self.n_jobs)
        seed = seed_from_random_state(self.random_state) if self.solver == "sgd" else 0
        problems = [y_idx == 1] if self.classes_.shape[0] == 2 else [y_idx == k for k in range(len(self.classes_))]
        coefs, intercepts, curves, n_iter, scales, res_all = [], [], [], [], [], []
        for positive in problems:
            yk = np.where(positive, 1.0, -1.0)
            res, scale = self._fit_binary(X, yk, weights, param, spec, n_threads, seed)
            beta = np.asarray(res.coef)
            coefs.append(beta[:d])
            intercepts.append(beta[d] * self.intercept_scaling if self.fit_intercept else 0.0)
            curve = np.asarray(res.loss_curve)
            curves.append(np.exp(curve) if self._normalised_clock() else curve)
            n_iter.append(int(res.n_iter))
            scales.append(scale[:d])
            res_all.append(res)
        dtype = X.dtype
        self.coef_ = np.array(coefs, dtype=dtype)
        self.intercept_ = np.array(intercepts, dtype=dtype)
        self.loss_curve_ = curves[0] if len(curves) == 1 else curves
        self.n_iter_ = np.array(n_iter)
        self.log_loss_ = np.array([r.log_loss for r in res_all])
        self.effective_init_scale_ = scales[0] if len(scales) == 1 else np.array(scales)
        margins = [normalised_margins(X, np.where(p, 1.0, -1.0), c, b)
                   for p, c, b in zip(problems, coefs, intercepts)]
        self.margins_ = {k: np.array([m[k] for m in margins]) for k in ("l1", "l2")}
        if self._normalised_clock() and any(r.status == _core.Status.max_iter for r in res_all):
            warnings.warn(f"DiagonalLinearClassifier(solver='flow') did not reach target_log_loss="
                          f"{self.target_log_loss:g} in max_iter={self.max_iter} steps (log L = "
                          f"{max(r.log_loss for r in res_all):.6g}); on data that are not separable L has a "
                          "positive minimum.", ConvergenceWarning, stacklevel=3)  # fit's caller (through _fit_context)
        if self.tol > 0 and not self._normalised_clock() and \
                any(r.status == _core.Status.max_iter for r in res_all):  # tol=0: a fixed budget
            warnings.warn(f"DiagonalLinearClassifier did not converge in max_iter={self.max_iter} iterations "
                          f"(criterion ‖∇L‖∞/‖∇L(0)‖∞ > tol={self.tol:g}). Increase max_iter or tol.",
                          ConvergenceWarning, stacklevel=3)  # the caller of fit (through _fit_context)
        return self

    def _normalised_clock(self):
        """The flow on the loss-normalised clock ds = L dt (asked for by a target_log_loss)."""
        return self.solver == "flow" and self.target_log_loss is not None

    def _check_solver_options(self):
        if self.target_loss is not None and self.target_log_loss is not None:
            raise ValueError("Pass at most one of target_loss and target_log_loss "
                             f"(got {self.target_loss!r} and {self.target_log_loss!r}).")
        if self.target_log_loss is not None and self.solver != "flow" and self.target_log_loss < MIN_LOG_TARGET:
            raise ValueError(f"target_log_loss={self.target_log_loss!r} is below log(1e-300) = "
                             f"{MIN_LOG_TARGET:.4g}, which only solver='flow' reaches (on the "
                             f"loss-normalised clock); got solver={self.solver!r}.")
        if self.momentum and self.solver in ("md", "flow"):
            raise ValueError(f"momentum applies to solver='gd' or 'sgd' only; got solver={self.solver!r}.")

    def _target(self):
        """The engine's target_loss: L, or log L on the normalised clock."""
        if self._normalised_clock():
            return float(self.target_log_loss)
        if self.target_log_loss is not None:
            return float(np.exp(self.target_log_loss))
        return self.target_loss

    def _fit_binary(self, X, yk, weights, param, spec, n_threads, seed):
        """One engine call for labels yk ∈ {−1, +1}: (result, effective init scale)."""
        normalised = self._normalised_clock()
        opts = solve_options(step_size="auto" if self.solver == "flow" else self.step_size,
                             step_factor=1.0 if spec is not None else param.step_factor,
                             max_iter=self.max_iter, tol=0.0 if normalised else self.tol, n_threads=n_threads,
                             grad_scale=1.0, target_loss=self._target(), depth=int(param.depth),
                             momentum=float(self.momentum), nesterov=bool(self.nesterov),
                             loss=_LOSS_CODE[self.loss],
                             intercept_scaling=float(self.intercept_scaling) if self.fit_intercept else 0.0)
        # grad_scale = ‖∇L(0)‖∞ makes tol scale-free (as for the regressor)
        opts.grad_scale = self._grad_scale(X, yk, weights, param)
        if spec is not None:
            theta = spec.theta0.copy()
            log_scale = np.ascontiguousarray(spec.log_scale, dtype=np.float64)
            if self.solver == "md":
                res = _core.md(X, yk, theta, log_scale, core_spec(spec), opts, weights=weights)
            else:
                # as for the regressor: a local error above the gradient tolerance leaves the
                # criterion noisy at that level, never met; cap it at tol/2
                opts.rk_tol = float(min(self.flow_tol, 0.5 * self.tol) if self.tol > 0 and not normalised
                                    else self.flow_tol)
                opts.normalised_clock = normalised
                res = _core.flow(X, yk, theta, log_scale, core_spec(spec), opts, weights=weights)
            self._raise_if_diverged(res, X, yk, param)
            return res, np.broadcast_to(param.scale, (param.n_features,)).astype(np.float64)
        start = param.init_network()
        state = start.copy()
        if self.solver == "sgd":
            n = X.shape[0]
            batch = min(int(self.batch_size or 1), n)
            opts.batch_size = batch
            opts.shuffle = bool(self.shuffle)
            opts.seed = int(seed)
            opts.eval_every = -(-n // batch)  # one epoch between full-loss evaluations
            opts.loss_every = opts.eval_every
            res = _core.sgd(X, yk, state.log_w_pos, state.log_w_neg, opts, weights=weights)
        else:
            res = _core.gd(X, yk, state.log_w_pos, state.log_w_neg, opts, weights=weights)
        self._raise_if_diverged(res, X, yk, param)
        if self.momentum:
            state.record_signs(res.signs)
        return res, param.effective_init_scale(start, state)[0]

    def _raise_if_diverged(self, res, X, yk, param):
        if res.status != _core.Status.diverged:
            return
        # never suggest 'auto' to a run that used it: name the cause when it is the data's or the
        # initialisation's scale (init_scale=1e200 diverged at iteration 0)
        cause = divergence_cause(X, yk, param.log_scale, param.depth)
        if self.solver == "flow":
            hint = f"the cause is {cause}" if cause is not None else f"try a smaller flow_tol than {self.flow_tol:g}"
            raise ValueError(f"The gradient-flow integrator diverged at step {res.n_iter}: {hint}.")
        hint = (f"the cause is {cause}" if cause is not None else
                "try a fixed, smaller step_size" if isinstance(self.step_size, str) else
                "use a smaller step_size or 'auto'")
        raise ValueError(f"Training diverged at iteration {res.n_iter} with "
                         f"step_size={user_repr(self.step_size)}: {hint}.")

    def _grad_scale(self, X, yk, weights, param):
        """‖∇L(0)‖∞ (ℓ'(0) = ½ logistic, 1 exponential), or 1 when it is 0."""
        w = np.full(X.shape[0], 1.0 / X.shape[0]) if weights is None else weights
        c = (0.5 if self.loss == "logistic" else 1.0) * w * yk
        g = np.abs(c @ X).max(initial=0.0)
        if self.fit_intercept:
            g = max(g, abs(float(c.sum())) * self.intercept_scaling)
        return float(g) if g > 0 else 1.0

    def decision_function(self, X):
        """Signed scores: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_estimator_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The class of largest score."""
        s = self.decision_function(X)
        idx = (s > 0).astype(int) if s.ndim == 1 else np.argmax(s, axis=1)
        return self.classes_[idx]

    def _is_logistic(self):
        if self.loss != "logistic":
            raise AttributeError("predict_proba is only available for loss='logistic' (the exponential "
                                 "loss has no probabilistic model).")
        return True

    @available_if(_is_logistic)
    def predict_proba(self, X):
        """Class probabilities (logistic loss only): σ(score) for two classes; one-vs-rest σ's
        normalised to sum to 1 for more."""
        s = self.decision_function(X)
        if s.ndim == 1:
            return np.column_stack([expit(-s), expit(s)])  # 1 − σ(s) = σ(−s), no cancellation
        # normalised in the log domain: σ(s_k) all below the float range (scores ~ −1e3) were
        # 0/0 with a RuntimeWarning (found by the fuzz suite)
        ls = log_expit(s)
        p = np.exp(ls - ls.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    @available_if(_is_logistic)
    def predict_log_proba(self, X):
        """log of :meth:`predict_proba`, computed in the log domain (finite where a probability
        underflows)."""
        s = self.decision_function(X)
        if s.ndim == 1:
            return np.column_stack([log_expit(-s), log_expit(s)])
        ls = log_expit(s)
        return ls - logsumexp(ls, axis=1, keepdims=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
