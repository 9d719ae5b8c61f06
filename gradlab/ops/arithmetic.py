"""Arithmetic: ``+ - * / // % **`` and their reflected forms, forward beside backward.

Backward methods receive numpy arrays, or tensors while ``create_graph=True`` builds a graph of
the backward pass itself; they use operators that work on both. The engine sums gradients back
to each input's shape, so broadcasting is undone there, once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.floats import quiet as fp_quiet
from gradlab._numerics.floats import restore as fp_restore
from gradlab.autograd.graph import Node
from gradlab.ops._util import (
    as_tensor_arg,
    call,
    check_broadcast,
    operand_data,
    record,
    result_np_dtype,
    to_float,
    wrap_int,
)
from gradlab.ops.indexing import where_either as where
from gradlab.tensor import Tensor


def _binary(fn: Any, a: Tensor, b: Any, op: str, floating: bool = False,
            quiet: bool = False) -> tuple[Any, Any]:
    """Compute ``fn(a, b)`` in the promoted dtype; returns ``(b, result)``.

    ``quiet`` marks the ops that can divide by zero: integer ``//`` and ``%`` by zero raise
    PyTorch's ZeroDivisionError, floats give inf or nan without a word.
    """
    x = a._data
    if not quiet:  # the common cases first: same dtypes, or a float tensor and a Python number
        if isinstance(b, Tensor):
            y = b._data
            fast = y.dtype == x.dtype and (x.dtype.kind == "f" or not floating)
        else:
            y = b
            fast = (type(b) is float or type(b) is int) and x.dtype.kind == "f"
        if fast:
            try:
                out = fn(x, y)
            except (ValueError, OverflowError):
                pass  # the general path below explains or recovers
            else:
                if type(out) is not np.ndarray:
                    out = np.asarray(out)
                if out.dtype == x.dtype:
                    return b, out
    b = as_tensor_arg(b, op)
    dt = result_np_dtype(a, b)
    if floating and dt.kind != "f":
        dt = _dtype.get_default_dtype().np
    x, y = operand_data(a, dt), operand_data(b, dt)
    if quiet and dt.kind in "iub" and op in ("//", "%", "fmod") and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    try:
        if quiet:  # x / 0 is inf or nan, silently, even where the module filter is reset
            token = fp_quiet()
            try:
                out = fn(x, y)
            finally:
                fp_restore(token)
        else:  # numpy's inf/nan warnings are filtered for gradlab (see ops/_util.py)
            out = fn(x, y)
    except ValueError:
        check_broadcast(x, y)
        raise
    except OverflowError:  # uint8 + 300: the int wraps to the tensor's dtype, as in PyTorch
        out = fn(wrap_int(x, dt), wrap_int(y, dt))
    if type(out) is not np.ndarray or out.dtype != dt:
        out = np.asarray(out, dtype=dt)
    return b, out


# -- arithmetic --------------------------------------------------------------------------------


class AddBackward0(Node):
    alpha = 1  # set on the node only when add was given another alpha

    def backward(self, g: Any) -> tuple:
        return g, (g * self.alpha if self.alpha != 1 else g)


def add(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    if alpha == 1:
        b, out = _binary(np.add, a, b, "+")
        return record(out, AddBackward0, (a, b))
    b, out = _binary(lambda x, y: x + y * alpha, a, b, "+")
    return record(out, AddBackward0, (a, b), alpha=alpha)


class SubBackward0(Node):
    alpha = 1  # set on the node only when sub was given another alpha

    def backward(self, g: Any) -> tuple:
        if self.next_functions[1][0] is None:  # x - constant: no gradient for the constant
            return g, None
        return g, (-g * self.alpha if self.alpha != 1 else -g)


def _check_sub(a: Tensor, b: Any) -> None:
    """PyTorch refuses ``-`` when either side is a bool (tensor or Python bool)."""
    bools = (a._data.dtype == np.bool_) + (
        isinstance(b, (bool, np.bool_)) or getattr(b, "dtype", None) is _dtype.bool)
    if bools == 2:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if bools:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    _check_sub(a, b)
    if alpha == 1:
        b, out = _binary(np.subtract, a, b, "-")
        return record(out, SubBackward0, (a, b))
    b, out = _binary(lambda x, y: x - y * alpha, a, b, "-")
    return record(out, SubBackward0, (a, b), alpha=alpha)


class RsubBackward1(Node):
    def backward(self, g: Any) -> Any:
        return -g * self.alpha if self.alpha != 1 else -g


def rsub(a: Tensor, b: Any, *, alpha: Any = 1) -> Tensor:
    """``b - alpha * a`` for a number ``b`` (what ``1 - x`` calls)."""
    _check_sub(a, b)
    b, out = _binary(lambda x, y: y - x * alpha, a, b, "-")
    return record(out, RsubBackward1, (a,), alpha=alpha)


class MulBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors  # each kept only when the other input wants its gradient
        return (None if b is None else g * b), (None if a is None else g * a)


def mul(a: Tensor, b: Any) -> Tensor:
    b, out = _binary(np.multiply, a, b, "*")
    b_rg = isinstance(b, Tensor) and b._rg
    return record(out, MulBackward0, (a, b), saved=(a if b_rg else None, b if a._rg else None))


class DivBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        ga = g / b if self.needs(0) else None
        gb = -g * ((a / b) / b) if self.needs(1) else None
        return ga, gb


def div(a: Tensor, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        return _rounded_divide(a, b, rounding_mode)
    b, out = _binary(np.true_divide, a, b, "/", floating=True, quiet=True)
    b_rg = isinstance(b, Tensor) and b._rg
    return record(out, DivBackward0, (a, b), saved=(a if b_rg else None, b))


def rdiv(a: Tensor, b: Any) -> Tensor:
    """``b / a`` for a number ``b``: PyTorch computes ``a.reciprocal() * b``."""
    return mul(reciprocal(a), b)


class NotImplementedBackward(Node, name="gradlab::autograd::NotImplemented"):
    """What PyTorch records for an op without a derivative: backward through it raises."""

    op = "floor_divide"

    def backward(self, *grads: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def floor_divide(a: Tensor, b: Any) -> Tensor:
    """``a // b``: recorded as ``NotImplemented`` (PyTorch has no derivative for it)."""
    b, out = _binary(np.floor_divide, a, b, "//", quiet=True)
    return record(out, NotImplementedBackward, (a, b), op="floor_divide")


def rfloordiv(a: Tensor, b: Any) -> Tensor:
    """``b // a`` for a number ``b``."""
    _, out = _binary(lambda x, y: np.floor_divide(y, x), a, b, "//", quiet=True)
    return record(out, NotImplementedBackward, (a,), op="floor_divide")


class DivBackward2(Node):
    """``div(a, b, rounding_mode=...)``: piecewise constant, so the gradient is zero."""

    def backward(self, g: Any) -> tuple:
        return (g * 0 if self.needs(0) else None), (g * 0 if self.needs(1) else None)


def _rounded_divide(a: Tensor, b: Any, mode: str) -> Tensor:
    if mode not in ("floor", "trunc"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{mode}'")
    if mode == "floor":
        b, out = _binary(np.floor_divide, a, b, "//", quiet=True)
    else:
        b, out = _binary(lambda x, y: np.trunc(x / y).astype(x.dtype), a, b, "/", quiet=True)
    return record(out, DivBackward2, (a, b))


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


def rremainder(a: Tensor, b: Any) -> Tensor:
    """``b % a`` for a number ``b``: PyTorch records ``NotImplemented`` (no derivative)."""
    _, out = _binary(lambda x, y: np.remainder(y, x), a, b, "%", quiet=True)
    return record(out, NotImplementedBackward, (a,), op="remainder")


class FmodBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g


class FmodBackward1(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return g, (-g * call("trunc", a / b) if self.needs(1) else None)


def fmod(a: Tensor, b: Any) -> Tensor:
    """``a % b`` with the sign of ``a`` (C's rule, unlike ``%``)."""
    b, out = _binary(np.fmod, a, b, "fmod", quiet=True)
    if isinstance(b, Tensor):
        return record(out, FmodBackward1, (a, b), saved=(a, b) if b._rg else (None, None))
    return record(out, FmodBackward0, (a,))


class MulBackward1(Node):
    """``tensor * number`` inside PyTorch's derivative formulas (Python's ``x * 2`` records
    ``MulBackward0``): seen in the graph a ``create_graph=True`` backward builds."""

    def backward(self, g: Any) -> Any:
        return mul_scalar(g, self.other)


def mul_scalar(t: Any, other: float) -> Any:
    """``t * other`` for a number: a ``MulBackward1`` node for tensors, plain math for arrays."""
    if not isinstance(t, Tensor):
        return t * other
    return record(np.asarray(t._data * other, dtype=t._data.dtype), MulBackward1, (t,),
                  other=other)


class PowBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        p = self.exponent
        if p == 0:
            return g * 0
        # PyTorch's pow_backward, in its order; x ** 1 is x exactly, so x ** 2 skips that power
        return g * mul_scalar(x if p == 2 else x ** (p - 1), p)


class PowBackward1(Node):
    def backward(self, g: Any) -> tuple:
        out, x, y = self.saved_tensors
        gx = gy = None
        if self.needs(0):  # a zero exponent gets a zero gradient, even where x ** -1 is inf
            gx = where(y == 0, 0.0, g * (y * x ** (y - 1)))
        if self.needs(1):
            gy = g * where((x == 0) & (y >= 0), 0.0, out * call("log", x))
        return gx, gy


class PowBackward2(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        if self.base == 0:
            return g * 0
        return g * mul_scalar(out, float(np.log(self.base)))


def _power(x: Any, y: Any) -> Any:
    """``x ** y``; for integers a negative exponent gives what PyTorch's integer kernel gives
    (1 for 1, +-1 for -1, 0 otherwise) where numpy refuses."""
    if np.result_type(x, y).kind not in "iu" or not np.any(np.asarray(y) < 0):
        return np.power(x, y)
    neg = np.asarray(y) < 0
    odd = np.asarray(y) % 2 == 1
    small = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0))
    return np.where(neg, small, np.power(x, np.where(neg, 0, y)))


def pow(a: Tensor, exponent: Any) -> Tensor:
    """``a ** exponent`` for a number or a tensor exponent."""
    if isinstance(exponent, Tensor):
        b, out = _binary(_power, a, exponent, "**", quiet=True)
        return record(out, PowBackward1, (a, b), saved=(a, b), save_out=True)
    if a._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if exponent == 2 and type(exponent) in (int, float) and a._data.dtype.kind == "f":
        out = np.square(a._data)  # x * x, as PyTorch (and np.power, more slowly) computes it
    else:
        quiet = not (isinstance(exponent, int) and exponent >= 0)  # the cases that can warn
        _, out = _binary(np.power, a, exponent, "**", quiet=quiet)
    return record(out, PowBackward0, (a,), saved=(a,), exponent=exponent)


def rpow(a: Tensor, base: Any) -> Tensor:
    """``base ** a`` for a number ``base``."""
    _, out = _binary(lambda x, y: _power(y, x), a, base, "**", quiet=True)
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
        return -g * (out * out)


def reciprocal(a: Tensor) -> Tensor:
    with np.errstate(divide="ignore"):
        return record(np.reciprocal(to_float(a)), ReciprocalBackward0, (a,), save_out=True)
