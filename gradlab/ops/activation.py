"""Softmax and log-softmax along a dimension, computed stably (shifted by the maximum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import call, record
from gradlab.tensor import Tensor, _wrap_dim


def _prepare(a: Tensor, dim: Any, dtype: Any, name: str) -> tuple[np.ndarray, int]:
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    x = a._data if dtype is None else a._data.astype(_dtype.to_dtype(dtype).np)
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                                  f"'{a.dtype._legacy[:-6]}'")
    return x, _wrap_dim(dim, x.ndim)


class SoftmaxBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return out * (g - (g * out).sum(axis=self.dim, keepdims=True))


def softmax(a: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, the probabilities a classifier outputs."""
    x, d = _prepare(a, dim, dtype, "softmax")
    if x.ndim == 0:
        return record(np.ones_like(x), SoftmaxBackward0, (a,), save_out=True, dim=None)
    e = np.exp(x - np.max(x, axis=d, keepdims=True))
    return record(e / e.sum(axis=d, keepdims=True), SoftmaxBackward0, (a,), save_out=True, dim=d)


class LogSoftmaxBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g - call("exp", out) * g.sum(axis=self.dim, keepdims=True)


def log_softmax(a: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` without the overflow of computing it in two steps."""
    x, d = _prepare(a, dim, dtype, "log_softmax")
    if x.ndim == 0:
        return record(np.zeros_like(x), LogSoftmaxBackward0, (a,), save_out=True, dim=None)
    shifted = x - np.max(x, axis=d, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))
    return record(out, LogSoftmaxBackward0, (a,), save_out=True, dim=d)


class LogsumexpBackward0(Node):
    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        if not self.keepdim and self.dims:
            shape = list(x.shape)
            for d in self.dims:
                shape[d] = 1
            out, g = out.reshape(tuple(shape)), g.reshape(tuple(shape))
        return g * call("exp", x - out)


def logsumexp(a: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    from gradlab.ops.reduction import dims_of

    x = a._data if a._data.dtype.kind == "f" else a._data.astype(_dtype.get_default_dtype().np)
    dims = dims_of(dim, x.ndim)
    m = np.max(x, axis=dims, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.exp(x - m).sum(axis=dims, keepdims=True)) + m
    if not keepdim:
        out = out.squeeze(axis=dims)
    return record(out.astype(x.dtype, copy=False), LogsumexpBackward0, (a,), saved=(a,),
                  save_out=True, dims=dims, keepdim=keepdim)
