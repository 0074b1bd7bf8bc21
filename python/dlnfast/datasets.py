"""Synthetic data sets for examples, tests and the demo."""
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

#: Most entries of X the generator builds (16 GiB of float64): a larger request is a typo, and
#: numpy would answer it with a MemoryError naming no parameter.
MAX_ENTRIES = 2**31


@validate_params(
    {"n_samples": [Interval(Integral, 1, None, closed="left")],
     "n_features": [Interval(Integral, 1, None, closed="left")],
     "n_informative": [Interval(Integral, 0, None, closed="left")],
     "noise": [Interval(Real, 0, None, closed="left")],
     "coef_range": [tuple, list],
     "random_state": ["random_state"]},
    prefer_skip_nested_validation=True,
)
def make_sparse_regression(n_samples=100, n_features=1000, n_informative=5, *, noise=0.0,
                           coef_range=(0.5, 2.0), random_state=None):
    """Compressed-sensing regression: Gaussian X, a sparse β* with random signs, y = Xβ* + noise.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of X (entries i.i.d. N(0, 1)).
    n_informative : int
        Number of non-zero coefficients in β*.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to y.
    coef_range : (float, float), default=(0.5, 2.0)
        Magnitudes of the non-zero coefficients are uniform in this range.
    random_state : int, RandomState instance or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    coef : ndarray of shape (n_features,)
        The planted sparse β*.
    """
    for name, value in (("n_samples", n_samples), ("n_features", n_features), ("n_informative", n_informative)):
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be an int, not a bool; got {value!r}")
    if not (0 <= n_informative <= n_features):
        raise ValueError(f"n_informative must be in [0, n_features={n_features}], got {n_informative}.")
    if n_samples * n_features > MAX_ENTRIES:
        raise ValueError(f"n_samples * n_features must be at most {MAX_ENTRIES} (X is built in memory); "
                         f"got {n_samples} * {n_features}")
    if len(coef_range) != 2 or not all(isinstance(v, Real) and np.isfinite(v) for v in coef_range) \
            or not 0 <= coef_range[0] <= coef_range[1]:
        raise ValueError(f"coef_range must be a pair (low, high) of finite floats with 0 <= low <= high; "
                         f"got {coef_range!r}")
    if not np.isfinite(noise):
        raise ValueError(f"noise must be a finite float >= 0; got {noise!r}")
    rs = check_random_state(random_state)
    X = rs.standard_normal((n_samples, n_features))
    coef = np.zeros(n_features)
    support = rs.choice(n_features, n_informative, replace=False)
    coef[support] = rs.choice([-1.0, 1.0], n_informative) * rs.uniform(*coef_range, n_informative)
    y = X @ coef + noise * rs.standard_normal(n_samples)
    return X, y, coef
