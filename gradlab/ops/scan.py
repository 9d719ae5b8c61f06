"""Running and whole products and sums along a dimension: ``cumsum``, ``cumprod``, ``prod``.

Gradients follow PyTorch's formulas (``FunctionsManual.cpp``), zeros included: ``prod``'s
gradient is ``grad * result / input`` when nothing is zero, else the product of all the *other*
elements (built from exclusive running products), so one zero still passes gradient to itself.
Backward methods use these same ops on tensors, so second derivatives work too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.joining import cat
from gradlab.tensor import Tensor, _wrap_dim

__all__ = ["cumsum", "cumprod", "prod"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _has_zero(x: Any) -> bool:
    return bool(((x._data if _is_tensor(x) else x) == 0).any())


def _out_dtype(x: np.ndarray, dtype: Any) -> np.dtype:
    """PyTorch's accumulating ops give int64 for integer and bool inputs unless told."""
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)


def _flip(x: Any, dim: int) -> Any:
    return flip_dim(x, dim) if _is_tensor(x) else np.flip(x, dim)


def _cumsum(x: Any, dim: int) -> Any:
    return cumsum(x, dim) if _is_tensor(x) else np.cumsum(x, axis=dim, dtype=x.dtype)


def _cumprod(x: Any, dim: int) -> Any:
    return cumprod(x, dim) if _is_tensor(x) else np.cumprod(x, axis=dim, dtype=x.dtype)


def _cat_ones_before(x: Any, dim: int) -> Any:
    """``cat([ones, x], dim)`` with a slice of ones of ``x``'s other sizes."""
    shape = list(x.shape)
    shape[dim] = 1
    if _is_tensor(x):
        return cat([Tensor._make(np.ones(shape, dtype=x._data.dtype)), x], dim)
    return np.concatenate([np.ones(shape, dtype=x.dtype), x], axis=dim)


def _narrow(x: Any, dim: int, start: int, length: int) -> Any:
    key = (slice(None),) * dim + (slice(start, start + length),)
    return x[key]


# -- cumsum --------------------------------------------------------------------------------------


class CumsumBackward0(Node):
    def backward(self, g: Any) -> Any:
        # the sum of the gradients of every later position: a reversed running sum
        return _flip(_cumsum(_flip(g, self.dim), self.dim), self.dim)


def cumsum(a: Tensor, dim: Any = None, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim``: ``out[i] = a[0] + ... + a[i]``."""
    if dim is None:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    x = a._data
    d = _wrap_dim(int(dim), x.ndim)
    dt = _out_dtype(x, dtype)
    out = np.cumsum(x.astype(dt, copy=False), axis=d if x.ndim else None, dtype=dt)
    return record(out.reshape(x.shape), CumsumBackward0, (a,), dim=d)


# -- cumprod -------------------------------------------------------------------------------------


class CumprodBackward0(Node):
    """``d out[j] / d x[k] = prod_{i <= j, i != k} x[i]`` (j >= k), summed against the grad."""

    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        d = self.dim
        if x.ndim == 0 or x.shape[d] == 0:
            return g
        # S[k] = g[k] + x[k+1] * S[k+1] (from the end); grad[k] = prod_{i<k} x[i] * S[k]
        n = x.shape[d]
        before = _cumprod(_cat_ones_before(_narrow(x, d, 0, n - 1), d), d)
        parts = [None] * n
        running = None
        for k in range(n - 1, -1, -1):
            gk = _narrow(g, d, k, 1)
            running = gk if running is None else gk + _narrow(x, d, k + 1, 1) * running
            parts[k] = running
        later = cat(parts, d) if _is_tensor(g) else np.concatenate(parts, axis=d)
        return before * later


def cumprod(a: Tensor, dim: Any = None, *, dtype: Any = None) -> Tensor:
    """Running products along ``dim``: ``out[i] = a[0] * ... * a[i]``."""
    if dim is None:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    x = a._data
    d = _wrap_dim(int(dim), x.ndim)
    dt = _out_dtype(x, dtype)
    out = np.cumprod(x.astype(dt, copy=False), axis=d if x.ndim else None, dtype=dt)
    return record(out.reshape(x.shape), CumprodBackward0, (a,), saved=(a,), dim=d)


# -- prod ----------------------------------------------------------------------------------------


def _safe_zeros_grad(g: Any, x: Any, dim: int) -> Any:
    """``g * prod of the other elements``, from exclusive running products both ways."""
    n = x.shape[dim]
    if n == 0:
        return g * x
    normal = _cumprod(_cat_ones_before(_narrow(x, dim, 0, n - 1), dim), dim)
    reverse = _flip(_cumprod(_cat_ones_before(_flip(_narrow(x, dim, 1, n - 1), dim), dim),
                             dim), dim)
    return g * (normal * reverse)


class ProdBackward0(Node):
    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        if x.ndim == 0:
            return g
        if not _has_zero(x):
            return g * (out / x)
        flat = x.reshape(-1)
        return _safe_zeros_grad(g, flat, 0).reshape(x.shape)


class ProdBackward1(Node):
    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        if x.ndim == 0:
            return g
        d = self.dim
        if not self.keepdim:
            g = g.unsqueeze(d) if _is_tensor(g) else np.expand_dims(g, d)
            out = out.unsqueeze(d) if _is_tensor(out) else np.expand_dims(out, d)
        if not _has_zero(x):
            return g * (out / x)
        return _safe_zeros_grad(g, x, d)


def prod(a: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """The product of all elements, or along ``dim`` (``ProdBackward0`` / ``ProdBackward1``)."""
    x = a._data
    dt = _out_dtype(x, dtype)
    xs = x.astype(dt, copy=False)
    if dim is None:
        out = np.asarray(np.prod(xs, dtype=dt))
        return record(out, ProdBackward0, (a,), saved=(a,), save_out=True)
    d = _wrap_dim(int(dim), x.ndim)
    out = np.asarray(np.prod(xs, axis=d if x.ndim else None, keepdims=keepdim and x.ndim > 0,
                             dtype=dt))
    return record(out, ProdBackward1, (a,), saved=(a,), save_out=True, dim=d, keepdim=keepdim)


# -- flip, needed by the backward formulas above (and a public op itself) ------------------------


class FlipBackward0(Node):
    def backward(self, g: Any) -> Any:
        return flip(g, self.dims) if _is_tensor(g) else np.flip(g, self.dims)


def flip(a: Tensor, dims: Any) -> Tensor:
    """The elements in reverse order along each of ``dims`` (a copy, as in PyTorch)."""
    x = a._data
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    wrapped = tuple(_wrap_dim(int(d), x.ndim) for d in dims)
    for k, d in enumerate(wrapped):
        if d in wrapped[:k]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    out = np.flip(x, wrapped).copy() if x.ndim else x.copy()
    return record(out, FlipBackward0, (a,), dims=wrapped)


def flip_dim(a: Tensor, dim: int) -> Tensor:
    return flip(a, (dim,))
