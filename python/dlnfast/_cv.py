"""DiagonalLinearRegressorCV: the initialisation scale (and optionally the step) chosen by
cross-validation, like LassoCV (and ElasticNetCV for a second axis)."""
import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from dlnfast._regressor import DiagonalLinearRegressor, _check_weights
from dlnfast._sweep import fit_path
from dlnfast._threads import MAX_N_JOBS
from dlnfast._validation import MAX_COUNT, validate_estimator_data

__all__ = ["DiagonalLinearRegressorCV"]


class DiagonalLinearRegressorCV(RegressorMixin, BaseEstimator):
    """Diagonal linear network whose ``init_scale`` (and optionally ``step_size``) is chosen by
    K-fold cross-validation.

    For each fold, every scale of ``init_scales`` (times every step of ``step_sizes`` when given)
    is trained on the other folds with :func:`~dlnfast.fit_path` (one batched engine call per
    fold: each iteration reads the fold's X once for all configurations) and scored by the mean
    squared error on the held-out fold. The configuration with the lowest mean error over folds
    (the first in grid order on a tie) is refitted on all the data, as
    ``sklearn.linear_model.LassoCV`` does for its penalty.

    Parameters
    ----------
    init_scales : array-like of float > 0, default=None
        The grid of α; None: ``np.logspace(-4, 0, 9)``.
    step_sizes : list of ("auto" or float > 0), default=None
        A grid of steps searched together with ``init_scales`` (their product); None: every fit
        uses ``step_size``. As ``ElasticNetCV`` with a list of ``l1_ratio``, ``mse_path_`` then
        gains an axis.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn (None: 5-fold ``KFold``).
    parametrization, init_shape, depth, solver, step_size, max_iter, tol, fit_intercept, momentum, n_jobs
        As for :class:`~dlnfast.DiagonalLinearRegressor` (shared by every fit).
    random_state : int, RandomState instance or None, default=None
        Seeds ``solver="sgd"``: an int gives every fit (each scale, fold, and the refit) the same
        sample stream, so the scales are compared under equal noise and the result is reproducible.

    Attributes
    ----------
    init_scale_ : float
        The chosen α.
    step_size_ : "auto" or float
        The chosen step (``step_size`` when ``step_sizes`` is None).
    init_scales_ : ndarray of shape (n_scales,)
    mse_path_ : ndarray of shape (n_scales, n_folds), or (n_scales, n_steps, n_folds) with ``step_sizes``
        Held-out mean squared error per configuration and fold (NaN where the fit diverged;
        such a configuration is never chosen).
    best_estimator_ : DiagonalLinearRegressor
        Refitted on all data with ``init_scale_`` and ``step_size_``.
    coef_, intercept_, n_iter_, effective_init_scale_, n_features_in_
        Those of ``best_estimator_``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import DiagonalLinearRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 30)); y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(60)
    >>> model = DiagonalLinearRegressorCV(init_scales=[0.1, 0.5, 1.0], cv=3).fit(X, y)
    >>> model.mse_path_.shape
    (3, 3)
    """

    _parameter_constraints = {
        "init_scales": [None, "array-like"],
        "step_sizes": [None, "array-like"],
        "cv": ["cv_object"],
        "parametrization": [StrOptions({"pm", "uv", "shape", "positive"})],
        "init_shape": [None, tuple, list],
        "depth": [Interval(numbers.Integral, 2, None, closed="left")],
        "solver": [StrOptions({"gd", "sgd", "md", "flow"})],
        "step_size": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 0, MAX_COUNT, closed="both")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_jobs": [None, Interval(numbers.Integral, None, MAX_N_JOBS, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, init_scales=None, step_sizes=None, cv=None, parametrization="pm", init_shape=None,
                 depth=2, solver="gd",
                 step_size="auto", max_iter=100_000, tol=1e-4, fit_intercept=True, momentum=0.0, n_jobs=None,
                 random_state=None):
        self.init_scales = init_scales
        self.step_sizes = step_sizes
        self.cv = cv
        self.parametrization = parametrization
        self.init_shape = init_shape
        self.depth = depth
        self.solver = solver
        self.step_size = step_size
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.momentum = momentum
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _shared_params(self):
        return dict(parametrization=self.parametrization, init_shape=self.init_shape, depth=self.depth,
                    solver=self.solver, step_size=self.step_size, max_iter=self.max_iter, tol=self.tol,
                    fit_intercept=self.fit_intercept, momentum=self.momentum, n_jobs=self.n_jobs,
                    random_state=self.random_state)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate ``init_scales`` (× ``step_sizes``) on (X, y), then refit the best on all of it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Used in training and in the held-out error (weighted mean).

        Returns
        -------
        self
        """
        X, y = validate_estimator_data(self, X, y, dtype=[np.float64, np.float32], order="C", y_numeric=True,
                             ensure_min_samples=2)
        sample_weight = _check_weights(sample_weight, X)
        scales = np.logspace(-4, 0, 9) if self.init_scales is None else np.asarray(self.init_scales, dtype=float)
        if scales.ndim != 1 or scales.size == 0 or not np.all(np.isfinite(scales)) or not np.all(scales > 0):
            raise ValueError("`init_scales` must be a non-empty 1-d array of finite floats > 0; "
                             f"got {self.init_scales!r}")
        steps = self._check_steps()
        try:
            folds = list(check_cv(self.cv).split(X, y))
        except (TypeError, ValueError) as exc:  # an odd iterable, more splits than samples
            raise type(exc)(f"`cv`: {exc}") from exc
        params = self._shared_params()
        axes = dict(init_scales=list(scales))
        if steps is not None:
            del params["step_size"]
            axes["step_sizes"] = steps
        n_steps = 1 if steps is None else len(steps)
        mse = np.empty((scales.size * n_steps, len(folds)))  # rows: the grid, the step varying fastest
        for f, (train, test) in enumerate(folds):
            sw = None if sample_weight is None else sample_weight[train]
            path = fit_path(X[train], y[train], sample_weight=sw, **axes, **params)
            pred = path.coefs_ @ X[test].T + path.intercepts_[:, None]
            err = (pred - y[test]) ** 2
            wt = None if sample_weight is None else sample_weight[test]
            mse[:, f] = np.average(err, axis=1, weights=wt) if wt is None or wt.sum() > 0 else err.mean(axis=1)
        self.init_scales_ = scales
        self.mse_path_ = mse if steps is None else mse.reshape(scales.size, n_steps, len(folds))
        mean = np.where(np.isnan(mse).any(axis=1), np.inf, mse.mean(axis=1))
        best = int(np.argmin(mean))
        self.init_scale_ = float(scales[best // n_steps])
        self.step_size_ = self.step_size if steps is None else steps[best % n_steps]
        params["step_size"] = self.step_size_
        self.best_estimator_ = DiagonalLinearRegressor(init_scale=self.init_scale_, **params).fit(
            X, y, sample_weight=sample_weight)
        for name in ("coef_", "intercept_", "n_iter_", "effective_init_scale_"):
            setattr(self, name, getattr(self.best_estimator_, name))
        return self

    def _check_steps(self):
        """``step_sizes`` as a list of "auto"/floats > 0, or None."""
        if self.step_sizes is None:
            return None
        bad = ValueError(f"`step_sizes` must be a non-empty list of 'auto' or finite floats > 0; got "
                         f"{self.step_sizes!r}")
        if isinstance(self.step_sizes, (str, bytes)) or np.ndim(self.step_sizes) != 1 or len(self.step_sizes) == 0:
            raise bad
        steps = []
        for s in self.step_sizes:
            if isinstance(s, str) and s == "auto":
                steps.append("auto")
            elif isinstance(s, numbers.Real) and not isinstance(s, (bool, np.bool_)) and np.isfinite(s) and s > 0:
                steps.append(float(s))
            else:
                raise bad
        return steps

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_`` with the refitted network."""
        check_is_fitted(self)
        X = validate_estimator_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_ + self.intercept_
