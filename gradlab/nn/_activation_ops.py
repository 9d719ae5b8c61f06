"""The smooth activations ``gradlab.nn.functional`` adds: ``gelu``, ``silu``, ``elu`` (with
``selu``), ``softplus`` and ``hardtanh`` (with ``relu6``), each forward beside its backward node.

The formulas are PyTorch's CPU kernels' (``Activation.cpp``, ``GeluKernel``): the same float
operations in the same order, a multiply feeding an add fused as the compiler fuses it. ``exp``,
``expm1``, ``tanh`` and ``erf`` come from numpy and ``math`` where PyTorch uses SLEEF (and oneDNN
for GELU), so results can differ from PyTorch's in the last bits. Backward methods get numpy
arrays, or tensors under ``create_graph=True`` (the same formulas as recorded operations).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlab._numerics.floats import fma32, fma64
from gradlab.autograd.graph import Node
from gradlab.nn._ops import check_floating
from gradlab.ops import indexing, logexp, pointwise
from gradlab.ops._util import record
from gradlab.ops.inplace import apply_inplace
from gradlab.tensor import Tensor

__all__ = ["gelu", "silu", "elu", "selu", "softplus", "hardtanh", "relu6"]

_erf_f64 = np.vectorize(math.erf, otypes=[np.float64])


def _erf(v: np.ndarray) -> np.ndarray:
    """``std::erf`` in ``v``'s precision (PyTorch's float GELU runs oneDNN's own erf, which
    this matches only to about an ulp)."""
    return _erf_f64(v).astype(v.dtype)


_SQRT1_2 = math.sqrt(0.5)
_PDF = 2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5  # M_2_SQRTPI * M_SQRT1_2 * 0.5
_TANH_BETA, _KAPPA = math.sqrt(2) * 2 / math.sqrt(math.pi) * 0.5, 0.044715


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c``, rounded once as the compiled kernel does (a graph under create_graph)."""
    if _is_tensor(a) or _is_tensor(b) or _is_tensor(c):
        return a * b + c
    fma = fma32 if np.result_type(a, b, c) == np.float32 else fma64
    return fma(a, b, c).reshape(np.broadcast(a, b, c).shape)


def _exp(x: Any) -> Any:
    return logexp.exp(x) if _is_tensor(x) else np.exp(x)


def _c(x: Any, value: float) -> Any:
    """A constant in ``x``'s precision (a Python float beside a tensor)."""
    return value if _is_tensor(x) else x.dtype.type(value)


# -- gelu ---------------------------------------------------------------------------------------


class GeluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        if self.approximate == "none":
            if _is_tensor(x):
                raise NotImplementedError("gelu(approximate='none'): gradlab cannot build the "
                                          "graph of its backward (no erf); use "
                                          "approximate='tanh' for higher derivatives")
            cdf = _c(x, 0.5) * (_c(x, 1) + _erf(x * _c(x, _SQRT1_2)))
            pdf = _c(x, _PDF) * np.exp(x * x * _c(x, -0.5))
            return g * _fma(x, pdf, cdf)
        tanh = pointwise.tanh if _is_tensor(x) else np.tanh
        x_sq = x * x
        t = tanh(_c(x, _TANH_BETA) * _fma(_c(x, _KAPPA), x_sq * x, x))
        left = _c(x, 0.5) * x
        three_kappa = _c(x, 3) * _c(x, _KAPPA)
        inner_derivative = _c(x, _TANH_BETA) * _fma(three_kappa, x_sq, _c(x, 1))
        left_derivative = _c(x, 0.5) * (_c(x, 1) + t)
        return g * _fma(left * _fma(-t, t, _c(x, 1)), inner_derivative, left_derivative)


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (the normal CDF), or its tanh approximation (``GeluBackward0``)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = a._data
    check_floating(x.dtype, "GeluKernelImpl")
    half, one = x.dtype.type(0.5), x.dtype.type(1)
    if approximate == "none":
        out = x * half * (one + _erf(x * x.dtype.type(_SQRT1_2)))
    else:
        inner = x.dtype.type(_TANH_BETA) * _fma(x.dtype.type(_KAPPA), x * x * x, x)
        out = half * x * (one + np.tanh(inner))
    return record(out, GeluBackward0, (a,), saved=(a,), approximate=approximate)


# -- silu, elu, softplus ------------------------------------------------------------------------


class SiluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        s = _c(x, 1) / (_c(x, 1) + _exp(-x))
        return g * s * _fma(x, _c(x, 1) - s, _c(x, 1))


def _silu(a: Tensor) -> Tensor:
    """``x * sigmoid(x)``, computed as ``x / (1 + exp(-x))`` (``SiluBackward0``)."""
    x = a._data
    check_floating(x.dtype, "silu_cpu")
    with np.errstate(over="ignore"):
        out = x / (x.dtype.type(1) + np.exp(-x))
    return record(out, SiluBackward0, (a,), saved=(a,))


class EluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        data = x._data if _is_tensor(x) else x
        neg = g * _c(x, self.input_scale) * _c(x, self.alpha * self.scale) * _exp(
            x * _c(x, self.input_scale))
        pos = g * _c(x, self.scale)
        return indexing.where(Tensor._make(data > 0), pos, neg) if _is_tensor(pos) else (
            np.where(data > 0, pos, neg))


class EluBackward1(EluBackward0):
    """In place: the same gradient, from the input saved before it was overwritten."""


def _elu(a: Tensor, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0,
         node: type[Node] = EluBackward0) -> Tensor:
    """``scale * x`` where positive, ``alpha * scale * (exp(input_scale * x) - 1)`` elsewhere."""
    x = a._data
    check_floating(x.dtype, "elu_cpu")
    dt = x.dtype.type
    with np.errstate(over="ignore"):
        neg = np.expm1(x * dt(input_scale)) * dt(alpha * scale)
    out = np.where(x > 0, x * dt(scale), neg)
    return record(out, node, (a,), saved=(a,), alpha=alpha, scale=scale,
                  input_scale=input_scale)


class SoftplusBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        data = x._data if _is_tensor(x) else x
        z = _exp(x * _c(x, self.beta))
        smooth = g * z / (z + _c(x, 1))
        linear = data * data.dtype.type(self.beta) > data.dtype.type(self.threshold)
        return indexing.where(Tensor._make(linear), g, smooth) if _is_tensor(smooth) else (
            np.where(linear, g, smooth))


def softplus(a: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    x = a._data
    check_floating(x.dtype, "softplus_cpu")
    dt = x.dtype.type
    bx = x * dt(beta)
    with np.errstate(over="ignore"):
        out = np.where(bx > dt(threshold), x, np.log1p(np.exp(bx)) / dt(beta))
    return record(out, SoftplusBackward0, (a,), saved=(a,), beta=beta, threshold=threshold)


# -- hardtanh -----------------------------------------------------------------------------------


class HardtanhBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        data = x._data if _is_tensor(x) else x
        outside = (data <= self.min_val) | (data >= self.max_val)
        if _is_tensor(g):  # a slope of 0 or 1 that still depends on x (its derivative: zero)
            return g * (x * 0.0 + Tensor._make((~outside).astype(data.dtype)))
        return np.where(outside, g.dtype.type(0), g)


def _hardtanh(a: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``; the gradient is zero outside the open interval."""
    x = a._data
    out = np.clip(x, x.dtype.type(min_val), x.dtype.type(max_val)) if x.dtype.kind == "f" else (
        np.clip(x, math.ceil(min_val), math.floor(max_val)).astype(x.dtype))
    return record(out, HardtanhBackward0, (a,), saved=(a,), min_val=min_val, max_val=max_val)


# -- as nn.functional has them ------------------------------------------------------------------

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (``SiluBackward0``)."""
    return apply_inplace(input, _silu) if inplace else _silu(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (``EluBackward0``)."""
    if inplace:
        return apply_inplace(input, _elu, alpha, node=EluBackward1)
    return _elu(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """ELU with the self-normalising constants (``EluBackward0``)."""
    if inplace:
        return apply_inplace(input, _elu, _SELU_ALPHA, _SELU_SCALE, node=EluBackward1)
    return _elu(input, _SELU_ALPHA, _SELU_SCALE)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]`` (``HardtanhBackward0``)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return apply_inplace(input, _hardtanh, min_val, max_val)
    return _hardtanh(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (``HardtanhBackward0``)."""
    return hardtanh(input, 0.0, 6.0, inplace)
