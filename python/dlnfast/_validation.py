"""Input validation shared by the estimators and the function API.

Checks run once, at the public boundary: the estimator's hyper-parameters through its
``_parameter_constraints``, the function API's scalar options through
``sklearn.utils._param_validation.validate_params``, and the parametrisation settings
(``parametrization``, ``init_scale``, ``init_shape``, ``depth``) through
:func:`dlnfast._parametrizations.make_parametrization` for both. Every error is a ValueError (or
TypeError for wrong types) that names the parameter and says what was expected. Nothing here
copies X unless its dtype or layout forces it.
"""
import re

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.validation import _check_sample_weight, validate_data

#: Largest iteration/step count accepted (max_iter, max_steps, loss_every, batch_size): the
#: engine counts in int64, and 2**62 leaves headroom for its sums (no run gets near it).
MAX_COUNT = 2**62


def user_repr(value):
    """``repr`` of a parameter as the user wrote it: a numpy scalar prints as the Python number
    it stands for (``0.4``, not ``np.float64(0.4)``); anything else as ``repr``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def check_real(value, name):
    """Refuse complex input (numpy would cast it to real with only a ComplexWarning). Reads the
    dtype of an array (no copy); other inputs are converted once to find it."""
    try:
        complex_ = np.iscomplexobj(value)
    except (TypeError, ValueError):  # ragged or odd input: the caller's conversion reports it
        return
    if complex_:
        raise ValueError(f"`{name}` must be real; got complex values")


def check_dense_X_y(X, y):
    """X as a finite C-contiguous float64 matrix with at least one sample and one feature, and y
    as a finite vector of matching length (the function API's data check; the estimator uses
    ``validate_data``). Sparse and complex inputs are refused, naming the parameter."""
    if sp.issparse(X):
        raise TypeError("`X` must be a dense array: sparse matrices are not supported here "
                        "(use X.toarray())")
    if sp.issparse(y):
        raise TypeError("`y` must be a dense 1-D array; got a sparse matrix")
    check_real(X, "X")
    check_real(y, "y")
    X = _named(check_array, "X", X, dtype=np.float64, order="C", input_name="X", ensure_min_samples=0,
               ensure_min_features=0)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"`X` must have at least one sample and one feature; got shape {X.shape}")
    y = _named(check_array, "y", y, dtype=np.float64, ensure_2d=False, input_name="y", ensure_min_samples=0)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"`y` must be a 1-D array of length n_samples={X.shape[0]}; got shape {y.shape}")
    return X, y


def _named(check, name, value, **kwargs):
    """``check(value, **kwargs)`` with a ValueError that does not name ``name`` prefixed by it
    (sklearn's "Expected 2D array, got 1D array instead", numpy's "could not convert string to
    float")."""
    try:
        return check(value, **kwargs)
    except ValueError as exc:
        if _names_input(str(exc), (name,)):
            raise
        raise ValueError(f"`{name}`: {exc}") from exc


def check_snapshot_iters(snapshot_iters):
    """None, or a strictly increasing 1-d array of non-negative iteration counts (int64)."""
    if snapshot_iters is None:
        return None
    arr = np.asarray(snapshot_iters)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError("snapshot_iters must be a 1-d sequence of non-negative integers.")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("snapshot_iters must be strictly increasing.")
    return arr.astype(np.int64)


def _names_input(msg, names):
    """True when ``msg`` names one of ``names`` as a word ("for X", "`y`", "X=")."""
    return any(re.search(rf"(?<![\w.]){n}(?![\w(])", msg) for n in names)


def validate_estimator_data(estimator, X, y="no_validation", **kwargs):
    """sklearn's ``validate_data`` (no copy of a C-contiguous float X), with every error naming
    the argument it is about: complex X or y is refused first ("`X` must be real: Complex data
    not supported", keeping sklearn's phrase that its estimator checks look for), and a
    ValueError of sklearn's that names no argument ("Expected 2D array, got 1D array instead",
    "Found array with 0 sample(s)") is prefixed with the one that fails on its own."""
    has_y = not (isinstance(y, str) and y == "no_validation")
    for name, value in (("X", X), ("y", y)) if has_y else (("X", X),):
        if not sp.issparse(value) and _is_complex(value):
            raise ValueError(f"`{name}` must be real: Complex data not supported")
    try:
        out = validate_data(estimator, X, y, **kwargs)
        # y_numeric converts only object arrays: strings pass through it (a classifier's labels
        # may be strings: it passes y_numeric=False)
        if has_y and kwargs.get("y_numeric", False) \
                and not (np.issubdtype(out[1].dtype, np.number) or out[1].dtype == np.bool_):
            raise ValueError(f"`y` must be numeric; got dtype {out[1].dtype}")
        return out
    except ValueError as exc:
        msg = str(exc)
        if not has_y or _names_input(msg, ("X", "y")):
            if _names_input(msg, ("X", "y")):
                raise
            raise ValueError(f"`X`: {msg}") from exc
        # which argument fails on its own (run only on this error path: no cost to a fit)
        which = "y"
        try:
            check_array(X, accept_sparse=False, dtype=kwargs.get("dtype", "numeric"),
                        ensure_min_samples=kwargs.get("ensure_min_samples", 1))
        except ValueError:
            which = "X"
        raise ValueError(f"`{which}`: {msg}") from exc


def _is_complex(value):
    try:
        return np.iscomplexobj(value)
    except (TypeError, ValueError):
        return False


def as_real_array(value, name, *, ndim=None):
    """``value`` as a dense float64 array (no copy when it already is one), refusing complex,
    sparse, ragged and non-numeric input with a ValueError/TypeError that names ``name``
    (numpy's own messages, "setting an array element with a sequence" or a ComplexWarning
    on a silent cast, name nothing). ``ndim``: the dimensions required after ``atleast_1d``."""
    if sp.issparse(value):
        raise TypeError(f"`{name}` must be a dense array; got a sparse matrix (use .toarray())")
    check_real(value, name)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be an array of real numbers; got {type(value).__name__} "
                         f"({exc})") from None
    if ndim is not None and np.atleast_1d(arr).ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-D; got shape {arr.shape}")
    return arr


def check_sample_weight(sample_weight, X):
    """None, or real non-negative float64 weights of length n_samples with a positive entry
    (every error names ``sample_weight``)."""
    if sample_weight is None:
        return None
    check_real(sample_weight, "sample_weight")
    try:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as exc:  # sklearn's messages do not all name the argument
        raise ValueError(f"`sample_weight`: {exc}") from exc
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight must have at least one positive entry.")
    return sample_weight


def check_times(times, name="times"):
    """Query times as a real float64 array without NaN (searchsorted would file a NaN after every
    jump, silently), naming ``name`` on sparse, complex, ragged or non-numeric input."""
    arr = as_real_array(times, name)
    if np.any(np.isnan(arr)):
        raise ValueError(f"`{name}` must not contain NaN")
    return arr
