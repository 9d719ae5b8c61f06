"""Arithmetic: ``+ - * / // % **`` and their reflected forms, forward beside backward.

Backward methods receive numpy arrays, or tensors while ``create_graph=True`` builds a graph of
the backward pass itself; they use operators that work on both. The engine sums gradients back
to each input's shape, so broadcasting is undone there, once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import (
    as_tensor_arg,
    call,
    check_broadcast,
    operand_data,
    record,
    result_np_dtype,
    to_float,
    where,
)
from gradlab.tensor import Tensor


def _binary(fn: Any, a: Tensor, b: Any, op: str, floating: bool = False,
            quiet: bool = False) -> tuple[Any, Any]:
    """Compute ``fn(a, b)`` in the promoted dtype; returns ``(b, result)``.

    ``quiet`` marks the ops that can divide by zero: integer ``//`` and ``%`` by zero raise
    PyTorch's ZeroDivisionError, floats give inf or nan without a word.
    """
    b = as_tensor_arg(b, op)
    dt = result_np_dtype(a, b)
    if floating and dt.kind != "f":
        dt = _dtype.get_default_dtype().np
    x, y = operand_data(a, dt), operand_data(b, dt)
    if quiet and dt.kind in "iub" and op in ("//", "%") and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    try:
        out = fn(x, y)  # numpy's inf/nan warnings are filtered for gradlab (see ops/_util.py)
    except ValueError:
        check_broadcast(x, y)
        raise
    if type(out) is not np.ndarray or out.dtype != dt:
        out = np.asarray(out, dtype=dt)
    return b, out


# -- arithmetic --------------------------------------------------------------------------------


class AddBackward0(Node):
    def backward(self, g: Any) -> tuple:
        return g, (g * self.alpha if self.alpha != 1 else g)


def add(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    b, out = _binary(np.add if alpha == 1 else (lambda x, y: x + y * alpha), a, b, "+")
    return record(out, AddBackward0, (a, b), alpha=alpha)


class SubBackward0(Node):
    def backward(self, g: Any) -> tuple:
        return g, (-g * self.alpha if self.alpha != 1 else -g)


def sub(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    if a._data.dtype == np.bool_ and getattr(b, "dtype", None) is _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    b, out = _binary(np.subtract if alpha == 1 else (lambda x, y: x - y * alpha), a, b, "-")
    return record(out, SubBackward0, (a, b), alpha=alpha)


class RsubBackward1(Node):
    def backward(self, g: Any) -> Any:
        return -g * self.alpha if self.alpha != 1 else -g


def rsub(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    """``b - alpha * a`` for a number ``b`` (what ``1 - x`` calls)."""
    b, out = _binary(lambda x, y: y - x * alpha, a, b, "-")
    return record(out, RsubBackward1, (a,), alpha=alpha)


class MulBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return (g * b if self.needs(0) else None), (g * a if self.needs(1) else None)


def mul(a: Tensor, b: Any) -> Tensor:
    b, out = _binary(np.multiply, a, b, "*")
    b_rg = isinstance(b, Tensor) and b._rg
    return record(out, MulBackward0, (a, b), saved=(a if b_rg else None, b if a._rg else None))


class DivBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        ga = g / b if self.needs(0) else None
        gb = -g * a / (b * b) if self.needs(1) else None
        return ga, gb


def div(a: Tensor, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        return floor_divide(a, b) if rounding_mode == "floor" else _trunc_divide(a, b)
    b, out = _binary(np.true_divide, a, b, "/", floating=True, quiet=True)
    b_rg = isinstance(b, Tensor) and b._rg
    return record(out, DivBackward0, (a, b), saved=(a if b_rg else None, b))


def rdiv(a: Tensor, b: Any) -> Tensor:
    """``b / a`` for a number ``b``: PyTorch computes ``a.reciprocal() * b``."""
    return mul(reciprocal(a), b)


def floor_divide(a: Tensor, b: Any) -> Tensor:
    return Tensor._make(_binary(np.floor_divide, a, b, "//", quiet=True)[1])


def _trunc_divide(a: Tensor, b: Any) -> Tensor:
    return Tensor._make(_binary(lambda x, y: np.trunc(x / y).astype(x.dtype), a, b, "/",
                                quiet=True)[1])


class RemainderBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g


class RemainderBackward1(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return g, (-g * call("floor", a / b) if self.needs(1) else None)


def remainder(a: Tensor, b: Any) -> Tensor:
    """``a % b`` with the sign of ``b`` (Python's rule); its gradient is 1 almost everywhere."""
    b, out = _binary(np.remainder, a, b, "%", quiet=True)
    if isinstance(b, Tensor):
        b_rg = b._rg
        return record(out, RemainderBackward1, (a, b), saved=(a if b_rg else None, b if b_rg
                                                                else None))
    return record(out, RemainderBackward0, (a,))


class PowBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        p = self.exponent
        if p == 0:
            return g * 0
        return g * (p * x ** (p - 1)) if p != 2 else g * (2 * x)  # PyTorch's order


class PowBackward1(Node):
    def backward(self, g: Any) -> tuple:
        out, x, y = self.saved_tensors
        gx = g * y * x ** (y - 1) if self.needs(0) else None
        gy = g * where((x == 0) & (y >= 0), 0.0, out * call("log", x)) if self.needs(1) else None
        return gx, gy


class PowBackward2(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        if self.base == 0:
            return g * 0
        return g * out * float(np.log(self.base))


def pow(a: Tensor, exponent: Any) -> Tensor:
    """``a ** exponent`` for a number or a tensor exponent."""
    if isinstance(exponent, Tensor):
        b, out = _binary(np.power, a, exponent, "**", quiet=True)
        return record(out, PowBackward1, (a, b), saved=(a, b), save_out=True)
    if a._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    quiet = not (isinstance(exponent, int) and exponent >= 0)  # the cases that can warn
    _, out = _binary(np.power, a, exponent, "**", quiet=quiet)
    return record(out, PowBackward0, (a,), saved=(a,), exponent=exponent)


def rpow(a: Tensor, base: Any) -> Tensor:
    """``base ** a`` for a number ``base``."""
    _, out = _binary(lambda x, y: np.power(y, x), a, base, "**", quiet=True)
    return record(out, PowBackward2, (a,), save_out=True, base=base)


def square(a: Tensor) -> Tensor:
    return pow(a, 2)


class NegBackward0(Node):
    def backward(self, g: Any) -> Any:
        return -g


def neg(a: Tensor) -> Tensor:
    if a._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return record(np.negative(a._data), NegBackward0, (a,))


class ReciprocalBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return -g * out * out


def reciprocal(a: Tensor) -> Tensor:
    with np.errstate(divide="ignore"):
        return record(np.reciprocal(to_float(a)), ReciprocalBackward0, (a,), save_out=True)
