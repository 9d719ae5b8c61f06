"""Turning Python data into an array the way ``torch.tensor`` does (its ``tensor_new.cpp``).

The dtype is the promotion of every leaf's: Python floats give the default dtype, ints int64,
bools bool, numpy scalars and arrays and one-element tensors their own dtype. An explicit integer
dtype refuses Python values it cannot hold, as PyTorch does.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.tensor import Tensor

NUMPY_OK = {np.dtype(t) for t in ("float64", "float32", "float16", "int64", "int32", "int16",
                                  "int8", "uint8", "bool")}
_PY_TYPES = (bool, int, float)


def check_numpy(arr: np.ndarray) -> np.ndarray:
    if arr.dtype not in NUMPY_OK:
        raise TypeError(f"can't convert np.ndarray of type numpy.{arr.dtype.type.__name__}. The "
                        "only supported types are: float64, float32, float16, int64, int32, "
                        "int16, int8, uint8, and bool.")
    return arr


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple, range)) or (isinstance(x, np.ndarray) and x.ndim > 0)


def _leaf_dtype(x: Any) -> _dtype.dtype:
    """The dtype of one non-list item, or PyTorch's error for it."""
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return _dtype.FROM_NUMPY[check_numpy(np.asarray(x)).dtype]
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _scan(seq: Any, found: set) -> None:
    """Collect the Python scalar types and the dtypes of everything else in ``seq``."""
    if not len(seq):
        found.add(_dtype.get_default_dtype())  # an empty sequence counts as the default dtype
    for item in seq:
        kind = type(item)
        if kind is float or kind is int or kind is bool:
            found.add(kind)
        elif kind is list or kind is tuple or kind is range:
            _scan(item, found)
        else:
            found.add(_leaf_dtype(item))


def infer_dtype(data: Any) -> _dtype.dtype:
    """The dtype ``torch.tensor(data)`` gives."""
    found: set = set()
    if isinstance(data, (list, tuple, range)):
        _scan(data, found)
    elif type(data) in _PY_TYPES:
        found.add(type(data))
    else:
        found.add(_leaf_dtype(data))
    py = {bool: _dtype.bool, int: _dtype.int64, float: _dtype.get_default_dtype()}
    return functools.reduce(_dtype.promote_types, [py.get(d, d) for d in found])


def _unwrap(data: Any) -> Any:
    """One-element tensors (``tensor([w, b])``) become their values; bigger ones are refused."""
    if isinstance(data, Tensor):
        if data._data.size != 1:  # PyTorch tries float() on a float tensor, index() on others
            if data._data.dtype.kind != "f":
                raise TypeError("only integer tensors of a single element can be converted to an "
                                "index")
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._data.reshape(())
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def _shape_error(data: Any, dt: _dtype.dtype) -> Exception:
    """PyTorch's message for a nested sequence that is not rectangular."""
    sizes, x = [], data
    while _is_seq(x):
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]

    def walk(x: Any, dim: int) -> Exception | None:
        if dim == len(sizes):
            if not _is_seq(x):
                return None
            if dt.is_floating_point:
                return TypeError(f"must be real number, not {type(x).__name__}")
            return TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        if not _is_seq(x):
            return TypeError("not a sequence")
        if len(x) != sizes[dim]:
            return ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                              f"(got {len(x)})")
        return next((e for e in (walk(y, dim + 1) for y in x) if e is not None), None)

    return walk(data, 0) or ValueError("expected a rectangular nested sequence of numbers")


def _build(data: Any, dt: _dtype.dtype) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):
            return np.array(_unwrap(data), dtype=dt.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except ValueError as e:
        if isinstance(data, (list, tuple)) and "sequence" in str(e):
            raise _shape_error(data, dt) from None
        raise


def check_range(values: np.ndarray, dt: _dtype.dtype, type_name: str = "") -> None:
    """c10's ``checked_convert``: Python values an integer dtype cannot hold are refused."""
    if dt.is_floating_point or dt is _dtype.bool or values.size == 0:
        return
    info = np.iinfo(dt.np)
    if values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values < info.min) | (values > info.max)
    elif values.dtype.kind in "iu":
        low = -int(info.max) if info.min == 0 else int(info.min)  # unsigned: -1 wraps to max
        bad = (values < low) | (values > info.max)
    else:
        return
    if bad.any():
        raise RuntimeError(f"value cannot be converted to type {type_name or dt.name} without "
                           "overflow")


def from_data(data: Any, dtype: _dtype.dtype | None = None) -> np.ndarray:
    """A new array holding ``data`` with the dtype ``torch.tensor(data, dtype=dtype)`` has."""
    if isinstance(data, Tensor):
        return np.array(data._data, dtype=None if dtype is None else dtype.np)
    if isinstance(data, np.ndarray):
        return np.array(check_numpy(data), dtype=None if dtype is None else dtype.np)
    natural = infer_dtype(data)
    if dtype is None or dtype.is_floating_point or dtype is _dtype.bool:
        return _build(data, dtype or natural)
    values = _build(data, natural)
    check_range(values, dtype)
    with np.errstate(all="ignore"):
        return values.astype(dtype.np)
