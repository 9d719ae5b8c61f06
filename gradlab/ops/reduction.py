"""Reductions (sum, mean, var, std, norm, max, min, argmax...) over all elements or some dims.

Their backward spreads the output gradient back over the reduced dimensions: ``expand_back``
re-inserts the reduced dimensions and broadcasts to the input's shape.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics import extremes
from gradlab._numerics.summation import torch_mean, torch_sum
from gradlab.autograd.graph import Node
from gradlab.ops._util import call, record
from gradlab.ops.arithmetic import mul_scalar
from gradlab.ops.indexing import where_either as where
from gradlab.ops.pointwise import maximum, minimum
from gradlab.tensor import Tensor, _wrap_dim

ReturnMax = namedtuple("max", ["values", "indices"])
ReturnMin = namedtuple("min", ["values", "indices"])
for _cls in (ReturnMax, ReturnMin):
    _cls.__module__ = "gradlab.return_types"
    _cls.__repr__ = lambda self: (  # type: ignore[method-assign]
        f"gradlab.return_types.{type(self).__name__}(\nvalues={self.values!r},\n"
        f"indices={self.indices!r})"
    )


def dims_of(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, an int, or a sequence of ints) to sorted non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return dims if ndim else ()
    d = _wrap_dim(int(dim), ndim)  # a 0-d tensor takes dim 0 or -1, as in PyTorch
    return (d,) if ndim else ()


def expand_back(g: Any, shape: tuple, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
    """Broadcast a reduced gradient back to the input ``shape``."""
    if dims is not None and not keepdim and dims:
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(tuple(kept))
    if isinstance(g, Tensor):
        return g.expand(shape)
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def _count(shape: tuple, dims: tuple[int, ...] | None) -> int:
    return math.prod(shape) if dims is None else math.prod(shape[d] for d in dims)


def _kw(dim: Any, axis: Any, keepdim: bool, keepdims: Any) -> tuple[Any, bool]:
    """PyTorch also accepts numpy's ``axis``/``keepdims`` spellings."""
    return (axis if dim is None else dim), (bool(keepdims) if keepdims is not None else keepdim)


# -- sum and mean --------------------------------------------------------------------------------


class SumBackward0(Node):
    def backward(self, g: Any) -> Any:
        return expand_back(g, self.shape, None, False)


class SumBackward1(Node):
    def backward(self, g: Any) -> Any:
        return expand_back(g, self.shape, self.dims, self.keepdim)


def sum(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        axis: Any = None, keepdims: Any = None) -> Tensor:
    """Sum of all elements, or over ``dim`` (an int or a tuple of ints)."""
    dim, keepdim = _kw(dim, axis, keepdim, keepdims)
    x = a._data
    out_dt = _dtype.to_dtype(dtype).np if dtype is not None else (
        x.dtype if x.dtype.kind == "f" else np.dtype(np.int64))
    dims = dims_of(dim, x.ndim)
    if out_dt.kind == "f" and x.size:
        out = torch_sum(x.astype(out_dt, copy=False), axis=dims, keepdims=keepdim)
    else:
        out = np.sum(x, axis=dims, keepdims=keepdim, dtype=out_dt)
    if dims is None:
        return record(out, SumBackward0, (a,), shape=x.shape)
    return record(out, SumBackward1, (a,), shape=x.shape, dims=dims, keepdim=keepdim)


class MeanBackward0(Node):
    def backward(self, g: Any) -> Any:
        if isinstance(g, Tensor):
            return expand_back(g, self.shape, None, False) / self.n
        out = np.empty(self.shape, dtype=g.dtype)  # g expanded, each element divided by n
        np.divide(g, self.n, out=out)
        return out


class MeanBackward1(Node):
    def backward(self, g: Any) -> Any:
        return expand_back(g, self.shape, self.dims, self.keepdim) / self.n


def mean(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: Any = None) -> Tensor:
    """Average of all elements, or over ``dim``."""
    dim, keepdim = _kw(dim, axis, keepdim, keepdims)
    x = a._data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
        if x.dtype.kind != "f":
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               "either a floating point or complex dtype. Got: "
                               f"{_dtype.to_dtype(dtype)._legacy[:-6]}")
    if x.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {a.dtype._legacy[:-6]}\n"
                           "Hint: call .float() first.")
    dims = dims_of(dim, x.ndim)
    if x.size:
        out = torch_mean(x, axis=dims, keepdims=keepdim)  # quiet about inf and nan itself
    n = x.size if dims is None else _count(x.shape, dims)
    if not x.size:  # nothing to add: an empty mean is nan (0 / 0), without numpy's warning
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sum(x, axis=dims, keepdims=keepdim, dtype=x.dtype) / x.dtype.type(n)
    if dims is None:
        return record(out, MeanBackward0, (a,), shape=x.shape, n=n)
    return record(out, MeanBackward1, (a,), shape=x.shape, dims=dims, keepdim=keepdim, n=n)


# -- spread: var, std, norm ------------------------------------------------------------------------


def _correction(unbiased: Any, correction: Any) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _var_parts(a: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
               name: str = "var") -> tuple:
    if isinstance(dim, bool):  # var(False) means unbiased=False in PyTorch's old signature
        dim, unbiased = None, dim
    x = a._data
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = dims_of(dim, x.ndim)
    corr = _correction(unbiased, correction)
    n = _count(x.shape, dims)
    if n - corr <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own word on an empty slice
        var = np.var(x, axis=dims, keepdims=keepdim, ddof=0, dtype=x.dtype) * (
            n / (n - corr) if n - corr > 0 else np.inf)
    return dims, corr, n, np.asarray(var, dtype=x.dtype)


class VarBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        centred = x - x.mean(axis=self.dims, keepdims=True)
        scale = 2.0 / (self.n - self.corr) if self.n != self.corr else float("nan")
        return mul_scalar(expand_back(g, self.shape, self.dims, self.keepdim), scale) * centred


def var(a: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance, with Bessel's correction by default (``correction=1``), as in PyTorch."""
    dims, corr, n, out = _var_parts(a, dim, unbiased, keepdim, correction)
    return record(out, VarBackward0, (a,), saved=(a,), shape=a._data.shape, dims=dims,
                  keepdim=keepdim, n=n, corr=corr)


class StdBackward0(Node):
    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        centred = x - x.mean(axis=self.dims, keepdims=True)
        # PyTorch's std_backward: grad / (2 std), set to 0 where std == 0, then var's backward
        half = where(out == 0, 0.0, g / (2 * out))
        scale = 2.0 / (self.n - self.corr) if self.n != self.corr else float("nan")
        return mul_scalar(expand_back(half, self.shape, self.dims, self.keepdim), scale) * centred


def std(a: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation, the square root of ``var``."""
    dims, corr, n, v = _var_parts(a, dim, unbiased, keepdim, correction, "std")
    return record(np.sqrt(v), StdBackward0, (a,), saved=(a,), save_out=True,
                  shape=a._data.shape, dims=dims, keepdim=keepdim, n=n, corr=corr)


class LinalgVectorNormBackward0(Node):
    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        p, dims, keep = self.p, self.dims, self.keepdim
        norm = expand_back(out, self.shape, dims, keep)
        gx = expand_back(g, self.shape, dims, keep)
        if p == 0:  # PyTorch returns no gradient at all (x.grad stays None)
            return None
        if p == 2:
            return gx * where(norm == 0, 0.0, x / norm)
        if p == 1:
            return gx * call("sign", x)
        if p == float("inf"):
            mask = call("abs", x) == norm
            count = expand_back(mask.sum(axis=dims, keepdims=True), self.shape, dims, True)
            return gx * call("sign", x) * mask / count
        return gx * where(norm == 0, 0.0, x * call("abs", x) ** (p - 2) / norm ** (p - 1))


def norm(a: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """Vector p-norm over all elements or ``dim`` (``p=2`` by default, also 1, inf, any p>0)."""
    p = 2 if p in ("fro", None) else p
    x = a._data
    if x.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {a.dtype._legacy[:-6]}")
    dims = dims_of(dim, x.ndim)
    ax = np.abs(x)
    if p == float("inf"):
        out = np.max(ax, axis=dims, keepdims=keepdim)
    elif p == 0:  # the number of non-zero elements
        out = np.sum(ax != 0, axis=dims, keepdims=keepdim)
    elif p == 1:
        out = np.sum(ax, axis=dims, keepdims=keepdim)
    else:
        out = np.sum(ax ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    out = np.asarray(out, dtype=x.dtype)
    return record(out, LinalgVectorNormBackward0, (a,), saved=(a,), save_out=True,
                  shape=x.shape, dims=dims, keepdim=keepdim, p=p)


# -- max, min, argmax, argmin ----------------------------------------------------------------


class MaxBackward1(Node):
    """max()/min() over everything: the gradient is shared evenly between tied maxima."""

    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        xd, od = (v._data if isinstance(v, Tensor) else v for v in (x, out))
        mask = np.isnan(xd) if np.isnan(od).any() else xd == od  # a NaN maximum: every NaN
        return mask * (g / int(mask.sum()))


class MinBackward1(MaxBackward1):
    pass


class MaxBackward0(Node):
    """max(dim)/min(dim): the gradient goes to the element each index points at."""

    def backward(self, g: Any, _indices_grad: Any = None) -> Any:
        d, shape = self.dim, self.shape
        if not shape:
            return g
        idx = self.indices if self.keepdim else np.expand_dims(self.indices, d)
        positions = np.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(len(shape))])
        onehot = positions == idx
        return expand_back(g, shape, (d,), self.keepdim) * onehot


class MinBackward0(MaxBackward0):
    pass


def _extreme(a: Tensor, dim: Any, keepdim: bool, other: Any, largest: bool) -> Any:
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return maximum(a, other) if largest else minimum(a, other)
    x = a._data
    name = "max" if largest else "min"
    if x.size == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == "
                           "0. Specify the reduction dim with the 'dim' argument.")
    if dim is None:
        out = extremes.max_all(x, largest)
        node = MaxBackward1 if largest else MinBackward1
        return record(np.asarray(out), node, (a,), saved=(a,), save_out=True)
    d = _wrap_dim(int(dim), x.ndim)
    _check_nonempty(name, x, (d,))
    if x.ndim == 0:  # the only element, still recorded as max(dim)
        node = MaxBackward0 if largest else MinBackward0
        res = record(x.copy(), node, (a,), dim=0, keepdim=keepdim, shape=(), indices=None)
        return (ReturnMax if largest else ReturnMin)(res, Tensor._make(np.array(0)))
    idx = (np.argmax if largest else np.argmin)(x, axis=d, keepdims=keepdim)
    values = np.take_along_axis(x, idx if keepdim else np.expand_dims(idx, d), axis=d)
    if not keepdim:
        values = values.squeeze(d)
    node = MaxBackward0 if largest else MinBackward0
    res = record(values, node, (a,), dim=d, keepdim=keepdim, shape=x.shape, indices=idx)
    return (ReturnMax if largest else ReturnMin)(res, Tensor._make(idx.astype(np.int64)))


def max(a: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """Largest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``maximum``."""
    return _extreme(a, dim, keepdim, other, True)


def min(a: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """Smallest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``minimum``."""
    return _extreme(a, dim, keepdim, other, False)


class AmaxBackward0(Node):
    """amax/amin: the gradient is shared evenly between the tied extremes of each slice."""

    def backward(self, g: Any) -> Any:
        out, x = self.saved_tensors
        mask = x == expand_back(out, self.shape, self.dims, self.keepdim)
        count = mask.sum(axis=self.dims, keepdims=True)
        return expand_back(g, self.shape, self.dims, self.keepdim) * mask / count


class AminBackward0(AmaxBackward0):
    pass


def _amax(a: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    x = a._data
    dims = None if dim is None or dim == () or dim == [] else dims_of(dim, x.ndim)
    name = "amax" if largest else "amin"
    if x.size == 0 and dims is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    dims = dims if dims is not None else tuple(range(x.ndim))
    _check_nonempty(name, x, dims)
    out = extremes.amax(x, dims, keepdim, largest)
    node = AmaxBackward0 if largest else AminBackward0
    return record(out, node, (a,), saved=(a,), save_out=True, shape=x.shape, dims=dims,
                  keepdim=keepdim)


def amax(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The largest value over ``dim`` (all dims by default), without indices; ties share the
    gradient evenly."""
    return _amax(a, dim, keepdim, True)


def amin(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim`` (all dims by default); ties share the gradient."""
    return _amax(a, dim, keepdim, False)


def _check_nonempty(name: str, x: np.ndarray, dims: tuple[int, ...]) -> None:
    """A max or min over an empty dimension has no value: PyTorch's IndexError."""
    for d in dims:
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _arg(fn: Any, a: Tensor, dim: Any, keepdim: bool) -> Tensor:
    x = a._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{fn.__name__}(): does not support bool input")
    if x.size == 0 and dim is None:
        raise IndexError(f"{fn.__name__}(): Expected reduction dim to be specified for "
                         "input.numel() == 0.")
    if dim is None:
        out = np.asarray(fn(x.reshape(-1)))
        return Tensor._make(out.reshape((1,) * x.ndim) if keepdim else out.astype(np.int64))
    d = _wrap_dim(int(dim), x.ndim)
    _check_nonempty(fn.__name__, x, (d,))
    return Tensor._make(np.asarray(fn(x, axis=d, keepdims=keepdim), dtype=np.int64))


def argmax(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmax, a, dim, keepdim)


def argmin(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmin, a, dim, keepdim)
