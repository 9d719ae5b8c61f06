"""Trigonometric and hyperbolic functions (sin, cos, tan, their inverses, sinh, cosh, atan2).

Each derivative is PyTorch's formula (``tools/autograd/derivatives.yaml``), written with
operators that work on numpy arrays and, under ``create_graph=True``, on tensors. Integer
inputs give float32, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab._numerics.floats import rounded
from gradlab.autograd.graph import Node
from gradlab.ops._util import call, record, to_float
from gradlab.ops.arithmetic import _binary
from gradlab.tensor import Tensor


def _unary(fn: Any, a: Tensor) -> np.ndarray:
    """``fn`` of a float view of ``a``, rounded as PyTorch rounds it, without numpy's warnings."""
    return rounded(fn, to_float(a))


class SinBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * call("cos", x)


def sin(a: Tensor) -> Tensor:
    return record(_unary(np.sin, a), SinBackward0, (a,), saved=(a,))


class CosBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * -call("sin", x)


def cos(a: Tensor) -> Tensor:
    return record(_unary(np.cos, a), CosBackward0, (a,), saved=(a,))


class TanBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * (out * out + 1)


def tan(a: Tensor) -> Tensor:
    return record(_unary(np.tan, a), TanBackward0, (a,), save_out=True)


class AsinBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * (-x * x + 1) ** -0.5


def asin(a: Tensor) -> Tensor:
    return record(_unary(np.arcsin, a), AsinBackward0, (a,), saved=(a,))


class AcosBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * -((-x * x + 1) ** -0.5)


def acos(a: Tensor) -> Tensor:
    return record(_unary(np.arccos, a), AcosBackward0, (a,), saved=(a,))


class AtanBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g / (x * x + 1)


def atan(a: Tensor) -> Tensor:
    return record(_unary(np.arctan, a), AtanBackward0, (a,), saved=(a,))


class SinhBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * call("cosh", x)


def sinh(a: Tensor) -> Tensor:
    return record(_unary(np.sinh, a), SinhBackward0, (a,), saved=(a,))


class CoshBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * call("sinh", x)


def cosh(a: Tensor) -> Tensor:
    return record(_unary(np.cosh, a), CoshBackward0, (a,), saved=(a,))


class Atan2Backward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        scale = g / (a * a + b * b)
        return (scale * b if self.needs(0) else None), (scale * -a if self.needs(1) else None)


def atan2(a: Tensor, other: Tensor) -> Tensor:
    """The angle of the point ``(other, a)``: ``atan(a / other)`` in the right quadrant."""
    if not isinstance(other, Tensor):
        raise TypeError("atan2(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    other, out = _binary(np.arctan2, a, other, "atan2", floating=True)
    return record(out, Atan2Backward0, (a, other), saved=(a, other))


class RsqrtBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * (out * out * out) * -0.5


def rsqrt(a: Tensor) -> Tensor:
    """``1 / sqrt(a)``."""
    with np.errstate(divide="ignore", invalid="ignore"):  # float32 math matches PyTorch here
        return record(1 / np.sqrt(to_float(a)), RsqrtBackward0, (a,), save_out=True)
