"""Element-wise operations, each forward function beside the node that differentiates it.

Backward methods receive numpy arrays, or tensors while ``create_graph=True`` builds a graph of
the backward pass itself; they are written with operators (and ``call``/``where``) that work on
both. The engine sums gradients back to each input's shape, so broadcasting is undone there.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import (
    as_tensor_arg,
    check_broadcast,
    operand_data,
    record,
    result_np_dtype,
    to_float,
)
from gradlab.tensor import Tensor

# PyTorch turns overflow and 0/0 into inf and nan without a word; numpy warns, and the warning
# would point into gradlab's own code. Silenced for gradlab's modules only, at no cost per op
# (np.errstate costs microseconds, so it guards only the ops that meet such values most).
NUMPY_FLOAT_WARNINGS = {
    "message": "(overflow|invalid value|divide by zero|underflow) encountered in",
    "category": RuntimeWarning,
    "module": r"gradlab\.",
}
warnings.filterwarnings("ignore", **NUMPY_FLOAT_WARNINGS)


def call(name: str, x: Any) -> Any:
    """``x.name()`` for a tensor, ``np.name(x)`` for an array: math inside backward methods."""
    return getattr(x, name)() if isinstance(x, Tensor) else getattr(np, name)(x)


def where(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(cond, Tensor) or isinstance(a, Tensor) or isinstance(b, Tensor):
        from gradlab.ops.indexing import where as t_where

        return t_where(cond, a, b)
    return np.where(cond, a, b)


def _binary(fn: Any, a: Tensor, b: Any, op: str, floating: bool = False,
            quiet: bool = False) -> tuple[Any, Any]:
    """Compute ``fn(a, b)`` in the promoted dtype; returns ``(b, result)``.

    ``quiet`` silences numpy's warnings (division by zero...): PyTorch returns inf or nan
    without a word. Only ops that meet such values often pay for it (np.errstate is slow).
    """
    b = as_tensor_arg(b, op)
    dt = result_np_dtype(a, b)
    if floating and dt.kind != "f":
        dt = _dtype.get_default_dtype().np
    x, y = operand_data(a, dt), operand_data(b, dt)
    try:
        if quiet:
            if dt.kind in "iub" and op in ("//", "%") and np.any(np.asarray(y) == 0):
                raise RuntimeError("ZeroDivisionError")
            with np.errstate(all="ignore"):
                out = fn(x, y)
        else:
            out = fn(x, y)
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


# -- unary math ----------------------------------------------------------------------------------


class AbsBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * call("sign", x)


def abs(a: Tensor) -> Tensor:
    return record(np.abs(a._data), AbsBackward0, (a,), saved=(a,))


class ExpBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * out


def exp(a: Tensor) -> Tensor:
    with np.errstate(over="ignore"):
        return record(np.exp(to_float(a)), ExpBackward0, (a,), save_out=True)


class LogBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g / x


def log(a: Tensor) -> Tensor:
    with np.errstate(divide="ignore", invalid="ignore"):
        return record(np.log(to_float(a)), LogBackward0, (a,), saved=(a,))


class SqrtBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g / (2 * out)


def sqrt(a: Tensor) -> Tensor:
    with np.errstate(invalid="ignore"):
        return record(np.sqrt(to_float(a)), SqrtBackward0, (a,), save_out=True)


class SinBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * call("cos", x)


def sin(a: Tensor) -> Tensor:
    return record(np.sin(to_float(a)), SinBackward0, (a,), saved=(a,))


class CosBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return -g * call("sin", x)


def cos(a: Tensor) -> Tensor:
    return record(np.cos(to_float(a)), CosBackward0, (a,), saved=(a,))


class TanhBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * (1 - out * out)


def tanh(a: Tensor) -> Tensor:
    return record(np.tanh(to_float(a)), TanhBackward0, (a,), save_out=True)


class SigmoidBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * out * (1 - out)


def sigmoid(a: Tensor) -> Tensor:
    x = to_float(a)
    with np.errstate(over="ignore"):
        out = (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)
    return record(out, SigmoidBackward0, (a,), save_out=True)


class ReluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * (out > 0)


def relu(a: Tensor) -> Tensor:
    return record(np.maximum(a._data, 0).astype(a._data.dtype, copy=False), ReluBackward0, (a,),
                  save_out=True)


class ClampBackward1(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            return g * ((x >= lo) & (x <= hi))
        return g * (x >= lo) if lo is not None else g * (x <= hi)


class ClampBackward0(Node):
    """clamp with tensor bounds: a bound gets the gradient where it was applied."""

    def backward(self, g: Any) -> tuple:
        x, lo, hi = self.saved_tensors
        gx = glo = ghi = None
        if lo is not None and hi is not None:
            if self.needs(0):
                gx = g * ((x >= lo) & (x <= hi))
            if self.needs(1):
                glo = g * ((x < lo) & (lo < hi))
            if self.needs(2):
                ghi = g * ((x > hi) | (hi < lo))
        elif lo is not None:
            gx = g * (x >= lo) if self.needs(0) else None
            glo = g * (x < lo) if self.needs(1) else None
        else:
            gx = g * (x <= hi) if self.needs(0) else None
            ghi = g * (x > hi) if self.needs(2) else None
        return gx, glo, ghi


def clamp(a: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient is zero where a bound was applied."""
    if min is None and max is None:
        raise RuntimeError("gradlab.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo, hi = (b if b is None or isinstance(b, Tensor) else Tensor._make(np.asarray(b))
                  for b in (min, max))
        dt = _dtype.result_type(*(t for t in (a, lo, hi) if t is not None)).np
        out = operand_data(a, dt)
        try:
            if lo is not None:
                out = np.maximum(out, operand_data(lo, dt))
            if hi is not None:
                out = np.minimum(out, operand_data(hi, dt))
        except ValueError:
            check_broadcast(a._data, (lo if lo is not None else hi)._data)
            raise
        if out.shape != a._data.shape:  # the bounds may not broadcast the input to a new shape
            check_broadcast(np.empty(a._data.shape), np.empty(out.shape))
        return record(out, ClampBackward0, (a, lo, hi), saved=(a, lo, hi))
    dt = result_np_dtype(a, min if min is not None else max)
    x = operand_data(a, dt)
    out = np.clip(x, min, max).astype(dt, copy=False)
    return record(out, ClampBackward1, (a,), saved=(a,), min=min, max=max)


class MaximumBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        ga = g * ((a > b) + (a == b) * 0.5) if self.needs(0) else None
        gb = g * ((b > a) + (a == b) * 0.5) if self.needs(1) else None
        return ga, gb


class MinimumBackward0(MaximumBackward0):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        ga = g * ((a < b) + (a == b) * 0.5) if self.needs(0) else None
        gb = g * ((b < a) + (a == b) * 0.5) if self.needs(1) else None
        return ga, gb


def maximum(a: Tensor, b: Tensor) -> Tensor:
    if not isinstance(b, Tensor):
        raise TypeError(f"maximum(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    b, out = _binary(np.maximum, a, b, "maximum")
    return record(out, MaximumBackward0, (a, b), saved=(a, b))


def minimum(a: Tensor, b: Tensor) -> Tensor:
    if not isinstance(b, Tensor):
        raise TypeError(f"minimum(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    b, out = _binary(np.minimum, a, b, "minimum")
    return record(out, MinimumBackward0, (a, b), saved=(a, b))


class ZeroGradBackward(Node):
    """Derivative zero almost everywhere: sign, floor, ceil, round, trunc."""

    def backward(self, g: Any) -> Any:
        return g * 0


def _zero_grad_op(fn: Any, name: str) -> Any:
    node_cls = type(name, (ZeroGradBackward,), {})

    def op(a: Tensor) -> Tensor:
        return record(fn(a._data), node_cls, (a,))

    op.__name__ = name.split("Backward")[0].lower()
    return op


sign = _zero_grad_op(np.sign, "SignBackward0")
floor = _zero_grad_op(np.floor, "FloorBackward0")
ceil = _zero_grad_op(np.ceil, "CeilBackward0")
round = _zero_grad_op(np.round, "RoundBackward0")
trunc = _zero_grad_op(np.trunc, "TruncBackward0")


# -- comparisons and logic (never differentiable) -------------------------------------------------


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


def bitwise(fn: Any, sym: str) -> Any:
    def op(a: Tensor, b: Any) -> Tensor:
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
