"""Input validation shared by the estimators and the function API.

Every error is a ValueError (or TypeError for wrong types) that names the parameter and says
what was expected. Nothing here copies X unless its dtype or layout forces it.
"""
import numbers

import numpy as np


def check_init_scale(init_scale, n_features):
    """A positive finite scalar, or one positive finite value per feature."""
    if isinstance(init_scale, (str, bytes)):
        raise ValueError(f"init_scale must be a positive float or an array of {n_features} positive floats, got {init_scale!r}.")
    arr = np.asarray(init_scale, dtype=np.float64) if not isinstance(init_scale, numbers.Number) else np.float64(init_scale)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_features):
        raise ValueError(
            f"init_scale must be a scalar or have shape ({n_features},) (one value per feature), got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        raise ValueError("init_scale must be positive and finite (every entry).")
    return arr


def check_init_shape(init_shape, parametrization, n_features):
    """None, or a pair (a, b) of scalars/arrays: the factors start at init_scale·(a, b)."""
    if init_shape is None:
        return None
    if parametrization == "positive":
        raise ValueError("init_shape does not apply to parametrization='positive' (x = u⊙u from u = init_scale); "
                         "pass a per-feature init_scale instead.")
    if not isinstance(init_shape, (tuple, list)) or len(init_shape) != 2:
        raise ValueError(
            "init_shape must be None or a pair (a, b): for 'pm' the factors start at "
            "w₊ = init_scale·a, w₋ = init_scale·b; for 'uv' at u = init_scale·a, v = init_scale·b; "
            "for 'shape' both branches of u₊⊙v₊ − u₋⊙v₋ start at (u, v) = init_scale·(a, b)."
        )
    out = []
    for part in init_shape:
        arr = np.asarray(part, dtype=np.float64)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_features):
            raise ValueError(f"each entry of init_shape must be a scalar or have shape ({n_features},), got {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError("init_shape must be finite.")
        if parametrization == "pm" and np.any(arr < 0):
            raise ValueError("init_shape for parametrization='pm' must be non-negative (w± ≥ 0).")
        out.append(arr)
    if parametrization == "shape" and np.any(out[0] ** 2 + out[1] ** 2 == 0):
        raise ValueError("init_shape for parametrization='shape' must not have a = b = 0 (a dead coordinate).")
    return tuple(out)


def check_step_size(step_size):
    if isinstance(step_size, str):
        if step_size != "auto":
            raise ValueError(f"step_size must be 'auto' or a positive float, got {step_size!r}.")
        return step_size
    if not isinstance(step_size, numbers.Real) or isinstance(step_size, bool):
        raise ValueError(f"step_size must be 'auto' or a positive float, got {step_size!r}.")
    if not (np.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be 'auto' or a positive finite float, got {step_size!r}.")
    return float(step_size)


def check_snapshot_iters(snapshot_iters, max_iter):
    if snapshot_iters is None:
        return None
    arr = np.asarray(snapshot_iters)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError("snapshot_iters must be a 1-d sequence of non-negative integers.")
    if np.any(np.diff(arr) <= 0):
        raise ValueError("snapshot_iters must be strictly increasing.")
    return arr.astype(np.int64)
