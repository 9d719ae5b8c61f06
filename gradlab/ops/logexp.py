"""Exponentials and logarithms: exp, log, log1p, log2, log10, expm1, each beside its node.

Overflow to ``inf`` and ``log(0) = -inf`` are results, not errors, as in PyTorch; log2 and
log10 round once from float64 so exact powers give exact answers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlab._numerics.floats import rounded
from gradlab.autograd.graph import Node
from gradlab.ops._util import record, to_float
from gradlab.ops.arithmetic import mul_scalar
from gradlab.tensor import Tensor


class ExpBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * out


def exp(a: Tensor) -> Tensor:
    """``e ** x``; its backward reuses the output (d/dx e^x = e^x)."""
    return record(rounded(np.exp, to_float(a)), ExpBackward0, (a,), save_out=True)


class LogBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g / x


def log(a: Tensor) -> Tensor:
    """The natural logarithm; ``log(0)`` is ``-inf`` and a negative input gives ``nan``."""
    return record(rounded(np.log, to_float(a)), LogBackward0, (a,), saved=(a,))


class Log1PBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g / (x + 1)


def log1p(a: Tensor) -> Tensor:
    """``log(1 + x)``, accurate for tiny ``x``."""
    return record(rounded(np.log1p, to_float(a)), Log1PBackward0, (a,), saved=(a,))


class _LogBaseBackward(Node):
    """d/dx log_b(x) = 1 / (x ln b)."""

    ln_base: float

    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g / mul_scalar(x, self.ln_base)


class Log2Backward0(_LogBaseBackward):
    ln_base = math.log(2.0)


class Log10Backward0(_LogBaseBackward):
    ln_base = math.log(10.0)


def _log_base(fn: Any, node_cls: type[Node], a: Tensor) -> Tensor:
    return record(rounded(fn, to_float(a)), node_cls, (a,), saved=(a,))


def log2(a: Tensor) -> Tensor:
    return _log_base(np.log2, Log2Backward0, a)


def log10(a: Tensor) -> Tensor:
    return _log_base(np.log10, Log10Backward0, a)


class Expm1Backward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * (out + 1)


def expm1(a: Tensor) -> Tensor:
    """``exp(x) - 1``, accurate for tiny ``x``."""
    return record(rounded(np.expm1, to_float(a)), Expm1Backward0, (a,), save_out=True)


class Exp2Backward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * mul_scalar(out, math.log(2.0))


def exp2(a: Tensor) -> Tensor:
    """``2 ** x``; its backward reuses the output (d/dx 2^x = 2^x ln 2)."""
    return record(rounded(np.exp2, to_float(a)), Exp2Backward0, (a,), save_out=True)
