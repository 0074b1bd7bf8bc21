"""Synthetic data sets for examples, tests and the demo."""
import numpy as np
from sklearn.utils import check_random_state


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
    if not (0 <= n_informative <= n_features):
        raise ValueError(f"n_informative must be in [0, n_features={n_features}], got {n_informative}.")
    if n_samples < 1 or n_features < 1:
        raise ValueError("n_samples and n_features must be >= 1.")
    rs = check_random_state(random_state)
    X = rs.standard_normal((n_samples, n_features))
    coef = np.zeros(n_features)
    support = rs.choice(n_features, n_informative, replace=False)
    coef[support] = rs.choice([-1.0, 1.0], n_informative) * rs.uniform(*coef_range, n_informative)
    y = X @ coef + noise * rs.standard_normal(n_samples)
    return X, y, coef
