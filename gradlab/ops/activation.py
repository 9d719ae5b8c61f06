"""Softmax and log-softmax along a dimension, computed stably (shifted by the maximum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.floats import rounded
from gradlab._numerics.order import reduce_all_sum
from gradlab._numerics.summation import torch_sum
from gradlab.autograd.graph import Node
from gradlab.ops._util import call, record
from gradlab.ops.reduction import dims_of
from gradlab.tensor import Tensor, _wrap_dim


def _prepare(a: Tensor, dim: Any, dtype: Any, name: str) -> tuple[np.ndarray, int]:
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    x = a._data if dtype is None else a._data.astype(_dtype.to_dtype(dtype).np)
    d = _wrap_dim(dim, x.ndim)
    if x.dtype.kind != "f":  # PyTorch names the kernel it would have run
        kernel = "lastdim_kernel_impl" if x.ndim == 0 or d == x.ndim - 1 else "kernel_impl"
        raise NotImplementedError(f'"{name}_{kernel}" not implemented for '
                                  f"'{a.dtype._legacy[:-6]}'")
    return x, d


class SoftmaxBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return softmax_backward_data(g, out, self.dim)


class SoftmaxBackwardDataBackward0(Node):
    """The derivative of softmax's backward, in a graph built by ``create_graph=True``."""

    def backward(self, gg: Any) -> tuple:
        g, out = self.saved_tensors
        d = self.dim
        gout = None
        if self.needs(1):  # PyTorch's softmax_double_backward
            gout = (g * gg - (out * g).sum(axis=d, keepdims=True) * gg
                    - g * (out * gg).sum(axis=d, keepdims=True))
        return (softmax_backward_data(gg, out, d) if self.needs(0) else None), gout


def _row_sum(x: np.ndarray, dim: int | None) -> np.ndarray:
    """The sum over ``dim`` in the order PyTorch's softmax kernels add: a vector reduction along
    the last dim, one element after another along any other."""
    if dim is None or x.ndim == 0:
        return x
    if dim == x.ndim - 1:
        return np.expand_dims(reduce_all_sum(x), dim)
    return np.take(np.add.accumulate(x, axis=dim), [-1], axis=dim)


def softmax_backward_data(g: Any, out: Any, dim: int | None) -> Any:
    """``out * (g - sum(g * out))``; recorded as its own op when ``g`` is part of a graph."""
    if not isinstance(g, Tensor):
        return (g - _row_sum(g * out, dim)) * out
    gd, od = g._data, out._data
    return record((gd - _row_sum(gd * od, dim)) * od,
                  SoftmaxBackwardDataBackward0, (g, out), saved=(g, out), dim=dim)


def softmax(a: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, the probabilities a classifier outputs."""
    x, d = _prepare(a, dim, dtype, "softmax")
    if x.ndim == 0:
        return record(np.ones_like(x), SoftmaxBackward0, (a,), save_out=True, dim=None)
    e = rounded(np.exp, x - np.max(x, axis=d, keepdims=True))
    total = _row_sum(e, d)  # the last dim's kernel multiplies by 1 / total; the others divide
    out = e * (1 / total) if d == x.ndim - 1 else e / total
    return record(out, SoftmaxBackward0, (a,), save_out=True, dim=d)


class LogSoftmaxBackward0(Node):
    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return log_softmax_backward_data(g, out, self.dim)


class LogSoftmaxBackwardDataBackward0(Node):
    """The derivative of log_softmax's backward, in a graph built by ``create_graph=True``."""

    def backward(self, gg: Any) -> tuple:
        g, out = self.saved_tensors
        d = self.dim
        gout = -g.sum(axis=d, keepdims=True) * call("exp", out) * gg if self.needs(1) else None
        return (log_softmax_backward_data(gg, out, d) if self.needs(0) else None), gout


def log_softmax_backward_data(g: Any, out: Any, dim: int | None) -> Any:
    """``g - exp(out) * sum(g)``; recorded as its own op when ``g`` is part of a graph."""
    if not isinstance(g, Tensor):
        return g - rounded(np.exp, out) * _row_sum(g, dim)
    gd = g._data
    return record(gd - rounded(np.exp, out._data) * _row_sum(gd, dim),
                  LogSoftmaxBackwardDataBackward0, (g, out), saved=(g, out), dim=dim)


def log_softmax(a: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` without the overflow of computing it in two steps."""
    x, d = _prepare(a, dim, dtype, "log_softmax")
    if x.ndim == 0:
        return record(np.zeros_like(x), LogSoftmaxBackward0, (a,), save_out=True, dim=None)
    shifted = x - np.max(x, axis=d, keepdims=True)
    out = shifted - rounded(np.log, _row_sum(rounded(np.exp, shifted), d))
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


_MISSING: Any = object()  # logsumexp's dim has no default, but PyTorch words its absence


def logsumexp(a: Tensor, dim: Any = _MISSING, keepdim: bool = False) -> Tensor:
    x = a._data if a._data.dtype.kind == "f" else a._data.astype(_dtype.get_default_dtype().np)
    if dim is _MISSING:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' (position 2) must be tuple of ints, not "
                        "NoneType")
    dims = dims_of(dim, x.ndim)
    if dims == () and x.ndim:  # PyTorch reduces everything, then cannot fit the kept dims
        if not keepdim:
            raise RuntimeError("output with shape [] doesn't match the broadcast shape "
                               f"[{', '.join(['1'] * x.ndim)}]")
        dims = tuple(range(x.ndim))
    m = np.max(x, axis=dims, keepdims=True, initial=-np.inf)  # an empty slice gives -inf
    m = np.where(np.isfinite(m), m, 0)
    e = rounded(np.exp, x - m)  # then summed in PyTorch's order, as at::logsumexp sums
    total = torch_sum(e, axis=dims, keepdims=True) if e.size else e.sum(axis=dims, keepdims=True)
    out = rounded(np.log, total) + m
    if not keepdim:
        out = out.squeeze(axis=dims)
    return record(out.astype(x.dtype, copy=False), LogsumexpBackward0, (a,), saved=(a,),
                  save_out=True, dims=dims, keepdim=keepdim)
