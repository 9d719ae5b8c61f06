"""Comparisons and logic (``== < ~ &``, ``isnan``, ``isclose``...): never differentiable.

Their results are bool tensors (or integers for bitwise ops on integers) with no ``grad_fn``,
computed in the promoted dtype of the operands as PyTorch computes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.ops._util import (
    Number,
    as_tensor_arg,
    check_broadcast,
    operand_data,
    result_np_dtype,
)
from gradlab.ops.arithmetic import _binary
from gradlab.ops.reduction import dims_of
from gradlab.tensor import Tensor

# -- comparisons -----------------------------------------------------------------------------


def _compare(fn: Any, sym: str) -> Any:
    def op(a: Tensor, b: Any) -> Tensor:
        return Tensor._make(_cmp(fn, a, b, sym))

    return op


def _cmp(fn: Any, a: Tensor, b: Any, sym: str) -> np.ndarray:
    b = as_tensor_arg(b, sym)
    dt = result_np_dtype(a, b)
    x, y = operand_data(a, dt), operand_data(b, dt)
    try:
        return np.asarray(fn(x, y))
    except ValueError:
        check_broadcast(x, y)
        raise


eq, ne = _compare(np.equal, "=="), _compare(np.not_equal, "!=")
lt, le = _compare(np.less, "<"), _compare(np.less_equal, "<=")
gt, ge = _compare(np.greater, ">"), _compare(np.greater_equal, ">=")


def logical_not(a: Tensor) -> Tensor:
    return Tensor._make(np.logical_not(a._data))


def _logical(fn: Any) -> Any:
    name = fn.__name__

    def op(a: Tensor, other: Any) -> Tensor:
        """Element-wise truth of both, either or exactly one (non-zero counts as true)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        return Tensor._make(_cmp(fn, a, other, name))

    op.__name__ = name
    return op


logical_and, logical_or = _logical(np.logical_and), _logical(np.logical_or)
logical_xor = _logical(np.logical_xor)


def invert(a: Tensor) -> Tensor:
    """``~a``: logical not for bools, bitwise not for integers, refused for floats."""
    if a._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return Tensor._make(np.invert(a._data))


def bitwise(fn: Any, sym: str) -> Any:
    def op(a: Tensor, b: Any) -> Tensor:
        dt = result_np_dtype(a, b) if isinstance(b, (Tensor, *Number)) else None
        if dt is not None and dt.kind == "f":
            raise NotImplementedError(f'"{fn.__name__}_cpu" not implemented for '
                                      f"'{_dtype.FROM_NUMPY[dt]._legacy[:-6]}'")
        return Tensor._make(_binary(fn, a, b, sym)[1])

    return op


bitwise_and, bitwise_or = bitwise(np.bitwise_and, "&"), bitwise(np.bitwise_or, "|")
bitwise_xor = bitwise(np.bitwise_xor, "^")


def isnan(a: Tensor) -> Tensor:
    return Tensor._make(np.isnan(a._data))


def isinf(a: Tensor) -> Tensor:
    return Tensor._make(np.isinf(a._data))


def isfinite(a: Tensor) -> Tensor:
    return Tensor._make(np.isfinite(a._data))


# -- closeness ---------------------------------------------------------------------------------


def _check_close(name: str, a: Tensor, other: Any, rtol: float, atol: float) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if a.dtype is not other.dtype:
        raise RuntimeError(f"{a.dtype._legacy[:-6]} did not match {other.dtype._legacy[:-6]}")
    for tol, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{tol} must be greater than or equal to zero, but got {value:g}")


def isclose(a: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|a - other| <= atol + rtol * |other|`` element by element, in the tensors' dtype
    (integers and bools measure the error in the default float dtype), as PyTorch does."""
    _check_close("isclose", a, other, rtol, atol)
    x, y = a._data, other._data
    close = _cmp(np.equal, a, other, "isclose")
    if equal_nan:
        close = close | (np.isnan(x) & np.isnan(y))
    if rtol or atol:
        ft = x.dtype if x.dtype.kind == "f" else _dtype.get_default_dtype().np
        if x.dtype == np.bool_:
            x, y = x.astype(ft), y.astype(ft)
        allowed = ft.type(atol) + np.abs(ft.type(rtol) * y.astype(ft, copy=False))
        actual = np.abs(x - y)
        close = close | (np.isfinite(actual) & (actual <= allowed))
    return Tensor._make(np.asarray(close))


def allclose(a: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when every element ``isclose``."""
    _check_close("allclose", a, other, rtol, atol)
    return bool(isclose(a, other, rtol, atol, equal_nan)._data.all())


def equal(a: Tensor, other: Tensor) -> bool:
    """True when both have the same size and the same elements."""
    if not isinstance(other, Tensor):
        raise TypeError("equal(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    return a.shape == other.shape and bool((a._data == other._data).all())


# -- logic over dimensions --------------------------------------------------------------------


def all(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Tensor._make(np.asarray(np.all(a._data, axis=dims_of(dim, a.ndim), keepdims=keepdim)))


def any(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Tensor._make(np.asarray(np.any(a._data, axis=dims_of(dim, a.ndim), keepdims=keepdim)))


def count_nonzero(a: Tensor, dim: Any = None) -> Tensor:
    """How many elements are not zero, over everything or ``dim`` (an int or a tuple)."""
    return Tensor._make(np.asarray(np.count_nonzero(a._data, axis=dims_of(dim, a.ndim)),
                                   dtype=np.int64))
