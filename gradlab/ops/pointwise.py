"""Element-wise math (abs, sqrt, sin, tanh, sigmoid, relu, clamp, maximum, sign, round...).

Each forward function sits beside the node that differentiates it; backward methods work on
numpy arrays and, under ``create_graph=True``, on tensors (see ``gradlab.ops.arithmetic``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.floats import rounded
from gradlab.autograd.graph import Node
from gradlab.ops._util import (
    Number,
    check_broadcast,
    operand_data,
    record,
    result_np_dtype,
    to_float,
)
from gradlab.ops.arithmetic import _binary, mul_scalar
from gradlab.tensor import Tensor

# -- unary math ----------------------------------------------------------------------------------


class AbsBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * (sgn(x) if isinstance(x, Tensor) else np.sign(x))


def abs(a: Tensor) -> Tensor:
    return record(np.abs(a._data), AbsBackward0, (a,), saved=(a,))


class SqrtBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g / mul_scalar(out, 2)


def sqrt(a: Tensor) -> Tensor:
    with np.errstate(invalid="ignore"):
        return record(np.sqrt(to_float(a)), SqrtBackward0, (a,), save_out=True)


class TanhBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return tanh_backward(g, out)


class TanhBackwardBackward0(Node):
    """The derivative of tanh's backward, in a graph built by ``create_graph=True``."""

    def backward(self, gg: Any) -> tuple:
        g, out = self.saved_tensors
        return (tanh_backward(gg, out) if self.needs(0) else None,
                gg * (mul_scalar(out, -2) * g) if self.needs(1) else None)


def tanh_backward(g: Any, out: Any) -> Any:
    """``g * (1 - out ** 2)``; recorded as its own op when ``g`` is part of a graph."""
    if not isinstance(g, Tensor):
        return g * (1 - out * out)
    od = out._data
    return record(g._data * (1 - od * od), TanhBackwardBackward0, (g, out), saved=(g, out))


def tanh(a: Tensor) -> Tensor:
    return record(rounded(np.tanh, to_float(a)), TanhBackward0, (a,), save_out=True)


class SigmoidBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return sigmoid_backward(g, out)


class SigmoidBackwardBackward0(Node):
    """The derivative of sigmoid's backward, in a graph built by ``create_graph=True``."""

    def backward(self, gg: Any) -> tuple:
        g, out = self.saved_tensors
        return (sigmoid_backward(gg, out) if self.needs(0) else None,
                gg * (g * (mul_scalar(out, -2) + 1)) if self.needs(1) else None)


def sigmoid_backward(g: Any, out: Any) -> Any:
    """``g * (1 - out) * out``; recorded as its own op when ``g`` is part of a graph."""
    if not isinstance(g, Tensor):
        return g * (1 - out) * out
    od = out._data
    return record(g._data * (1 - od) * od, SigmoidBackwardBackward0, (g, out), saved=(g, out))


def sigmoid(a: Tensor) -> Tensor:
    x = to_float(a)
    out = (1 / (1 + rounded(np.exp, -x))).astype(x.dtype, copy=False)
    return record(out, SigmoidBackward0, (a,), save_out=True)


class ReluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return threshold_backward(g, out)


class ThresholdBackwardBackward0(Node):
    """The derivative of relu's backward, in a graph built by ``create_graph=True``."""

    def backward(self, gg: Any) -> tuple:
        g, out = self.saved_tensors
        return (threshold_backward(gg, out) if self.needs(0) else None,
                gg * 0 if self.needs(1) else None)


def threshold_backward(g: Any, out: Any) -> Any:
    """``g`` where ``out > 0``, else 0; recorded as its own op when ``g`` is part of a graph."""
    if not isinstance(g, Tensor):
        if g.ndim and g.dtype == out.dtype and g.shape == out.shape and g.dtype.char in "fd":
            # +0.0 where out <= 0, else g's bits (nan included): a bit mask, 3x np.where's speed
            uint = np.uint32 if g.dtype.char == "f" else np.uint64
            keep = np.subtract(out <= 0, uint(1), dtype=uint)  # 0 where out <= 0, else ~0
            return np.bitwise_and(g.view(uint), keep, out=keep).view(g.dtype)
        return np.where(out <= 0, 0, g).astype(g.dtype, copy=False)
    gd = g._data
    return record(np.where(out._data <= 0, 0, gd).astype(gd.dtype, copy=False),
                  ThresholdBackwardBackward0, (g, out), saved=(g, out))


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


_CLAMP_SIGNATURES = ("(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
                     "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)")
_CLAMP_METHOD_SIGNATURES = ("(Tensor min = None, Tensor max = None)",
                            "(Number min = None, Number max = None)")


def _bounds(name: str, a: Tensor, args: tuple, kwargs: dict,
            method: bool = False) -> tuple[Any, Any]:
    """PyTorch's two overloads: both bounds tensors (or None), or both numbers (or None).

    A 0-d tensor that does not require grad passes for a number, as in PyTorch's argument
    parser; any other mix is PyTorch's TypeError, the keywords listed as its parser lists them.
    """
    lo = args[0] if args else kwargs.get("min")
    hi = args[1] if len(args) > 1 else kwargs.get("max")
    bounds = [b for b in (lo, hi) if b is not None]

    def number(b: Any) -> bool:
        return isinstance(b, Number) or (isinstance(b, Tensor) and b.ndim == 0
                                         and not b.requires_grad)

    ok = len(args) + len(kwargs) <= 2 and set(kwargs) <= {"min", "max"} and not (
        args and "min" in kwargs)
    if ok and all(isinstance(b, Tensor) for b in bounds):
        return lo, hi
    if ok and all(number(b) for b in bounds):
        return tuple(b.item() if isinstance(b, Tensor) else b for b in (lo, hi))
    types = [_type_name(v) for v in args]
    keywords = [f"{k}={_type_name(v)}" for k, v in reversed(kwargs.items())]
    if not method:
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({', '.join(['Tensor', *types, *keywords])}), but expected one of:\n"
                        + "".join(f" * {s}\n" for s in _CLAMP_SIGNATURES))
    # a method call: PyTorch's parser lists neither self nor out, and says why each failed
    got = ", ".join(types + keywords) + (", " if keywords and not types else "")
    why = ""
    if kwargs:
        why = ("      didn't match because some of the keywords were incorrect: "
               + ", ".join(reversed(list(kwargs))) + "\n")
    elif len(args) > 1:
        why = ("      didn't match because some of the arguments have invalid types: ("
               + ", ".join(f"!{t}!" for t in types) + ")\n")
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but "
                    "expected one of:\n" + "".join(f" * {s}\n{why}" for s in
                                                    _CLAMP_METHOD_SIGNATURES))


def _type_name(v: Any) -> str:
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _clamp_op(name: str, method: bool) -> Any:
    def op(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """Limit values to ``[min, max]`` (tensors or numbers); the gradient is zero where a
        bound was applied."""
        return _clamp(a, *_bounds(name.rstrip("_"), a, args, kwargs, method))

    op.__name__ = name
    return op


# gradlab.clamp(x, ...) and x.clamp(...) word a bad call differently, as PyTorch does
clamp, clip = _clamp_op("clamp", False), _clamp_op("clip", False)
clamp_method, clip_method = _clamp_op("clamp", True), _clamp_op("clip", True)


def _clamp(a: Tensor, min: Any, max: Any) -> Tensor:
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
sgn = _zero_grad_op(np.sign, "SgnBackward0")
floor = _zero_grad_op(np.floor, "FloorBackward0")
ceil = _zero_grad_op(np.ceil, "CeilBackward0")
_round0 = _zero_grad_op(np.round, "RoundBackward0")
_round1 = _zero_grad_op(np.round, "RoundBackward1")


def round(a: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even, as PyTorch; ``decimals`` rounds to that many decimal places."""
    if not decimals:
        return _round0(a)
    if a._data.dtype.kind != "f":
        raise NotImplementedError('"round_cpu" not implemented for '
                           f"'{_dtype.FROM_NUMPY[a._data.dtype]._legacy[:-6]}'")
    out = _round1(a)
    out._data[...] = np.round(a._data, int(decimals))
    return out
trunc = _zero_grad_op(np.trunc, "TruncBackward0")
