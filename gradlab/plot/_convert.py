"""Turning what learners pass (tensors, arrays, lists of either) into fresh numpy arrays.

Every plotting helper goes through here, so a tensor that requires grad, a list of loss tensors
or a plain list all plot the same way, and the caller's objects are never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["to_numpy", "to_vector", "to_series", "to_points", "as_named"]


def to_numpy(value: Any) -> np.ndarray:
    """A float64 copy of ``value``: a tensor (detached first), an array, a number or a list."""
    if hasattr(value, "detach") and callable(value.detach):
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        value = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    elif isinstance(value, (list, tuple)):
        value = [to_numpy(item) for item in value]
    try:
        return np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"expected a tensor, a numpy array or a list of numbers, got {type(value).__name__}"
        ) from err


def to_vector(value: Any, what: str) -> np.ndarray:
    """One value per sample as a 1-D array; a column of shape (n, 1) counts as one feature."""
    array = to_numpy(value)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(
            f"{what} must hold one feature per sample, shape (n,) or (n, 1), "
            f"but got shape {tuple(array.shape)}"
        )
    return array


def to_series(values: Any, what: str = "losses") -> np.ndarray:
    """A 1-D series such as losses: a list of numbers or of one-element tensors, or an array."""
    array = to_numpy(values)
    if array.ndim > 1:
        squeezed = array.reshape(array.shape[0], -1)
        if squeezed.shape[1] != 1:
            raise ValueError(f"{what} must be a sequence of numbers, got shape {array.shape}")
        array = squeezed[:, 0]
    return array.reshape(-1)


def to_points(path: Any, what: str = "path") -> np.ndarray:
    """A path of ``(w, b)`` pairs as an array of shape (steps, 2)."""
    array = to_numpy(path)
    if array.ndim == 1 and array.shape[0] == 2:
        array = array.reshape(1, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(
            f"{what} must be a sequence of (w, b) pairs, shape (steps, 2), "
            f"but got shape {tuple(array.shape)}"
        )
    return array


def as_named(values: Any, default: str) -> dict[str, Any]:
    """A dict name -> values, wrapping a single series under ``default`` (then unnamed)."""
    if isinstance(values, Mapping):
        return dict(values)
    return {default: values}
