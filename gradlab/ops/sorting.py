"""Ordering along a dimension: ``sort``, ``argsort``, ``topk``, ``median``.

Each picks elements and remembers where they came from (``indices``); the backward sends each
picked element's gradient back to that place. Ties keep their original order: PyTorch's order
for ``sort`` of up to 16 elements per row and for stable sorts; PyTorch's unstable sort of
longer rows, and its ``topk`` and ``median(dim)`` (libstdc++'s selection algorithms), may pick
another of the tied elements. ``median()`` of all elements shares its gradient among ties.
NaN sorts as the largest value, as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.rearrange import scatter
from gradlab.tensor import Tensor, _wrap_dim

__all__ = ["sort", "argsort", "topk", "median"]


def _return_type(name: str) -> type:
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = "gradlab.return_types"
    cls.__repr__ = lambda self: (  # type: ignore[method-assign]
        f"gradlab.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})")
    return cls


ReturnSort, ReturnTopk, ReturnMedian = (_return_type(n) for n in ("sort", "topk", "median"))


def _order(x: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``d`` with NaN largest (first when descending)."""
    moved = np.moveaxis(x, d, -1)
    nan = np.isnan(moved) if moved.dtype.kind == "f" else np.zeros(moved.shape, bool)
    if not descending:
        order = np.argsort(moved, axis=-1, kind="stable")  # numpy puts NaN last already
    else:
        if moved.dtype == np.bool_:
            moved = moved.astype(np.int8)
        key = np.where(nan, 0, moved)
        key = -key if key.dtype.kind == "f" else np.iinfo(np.int64).max - key.astype(np.int64)
        order = np.lexsort((key, ~nan), axis=-1)
    return np.moveaxis(order, -1, d)


class _PickBackward(Node):
    """Each output element came from ``index`` along ``dim``: put its gradient back there."""

    def backward(self, g: Any) -> Any:
        idx, d = self.index, self.dim
        if not self.keepdim and idx.ndim < len(self.shape):
            idx = np.expand_dims(idx, d)
            g = g.unsqueeze(d) if isinstance(g, Tensor) else np.expand_dims(g, d)
        if isinstance(g, Tensor):
            zeros = Tensor._make(np.zeros(self.shape, dtype=g._data.dtype))
            return scatter(zeros, d, Tensor._make(idx), g) if len(self.shape) else g
        out = np.zeros(self.shape, dtype=g.dtype)
        if not len(self.shape):
            return np.asarray(g).reshape(())
        grids = list(np.indices(idx.shape, sparse=True))
        grids[d] = idx
        out[tuple(grids)] = g
        return out


class SortBackward0(_PickBackward):
    pass


class TopkBackward0(_PickBackward):
    pass


class MedianBackward1(_PickBackward):
    pass


class MedianBackward0(Node):
    """The median of all elements: its gradient is shared evenly by every element equal to it
    (PyTorch's ``evenly_distribute_backward``)."""

    def backward(self, g: Any) -> Any:
        mask = self.mask
        share = (mask / mask.sum()).astype(self._meta[0][1])
        return g * share


def _pick(x: np.ndarray, order: np.ndarray, d: int) -> np.ndarray:
    return np.take_along_axis(x, order, axis=d)


def sort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """Values sorted along ``dim`` and the indices they came from (``SortBackward0``)."""
    x = a._data
    if x.ndim == 0:
        values = record(x.copy(), SortBackward0, (a,), index=np.zeros((), np.int64), dim=0,
                        keepdim=True, shape=())
        return ReturnSort(values, Tensor._make(np.zeros((), np.int64)))
    d = _wrap_dim(int(dim), x.ndim)
    order = _order(x, d, descending)
    values = record(_pick(x, order, d), SortBackward0, (a,), index=order, dim=d, keepdim=True,
                    shape=x.shape)
    return ReturnSort(values, Tensor._make(order.astype(np.int64)))


def argsort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``a`` along ``dim``."""
    return sort(a, dim, descending, stable=stable).indices


def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    x = a._data
    d = _wrap_dim(int(dim), x.ndim) if x.ndim else 0
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        values = record(x.copy(), TopkBackward0, (a,), index=np.zeros((), np.int64), dim=0,
                        keepdim=True, shape=())
        return ReturnTopk(values, Tensor._make(np.zeros((), np.int64)))
    order = np.take(_order(x, d, largest), np.arange(k), axis=d)
    values = record(_pick(x, order, d), TopkBackward0, (a,), index=order, dim=d, keepdim=True,
                    shape=x.shape)
    return ReturnTopk(values, Tensor._make(order.astype(np.int64)))


def median(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (the ``(n - 1) // 2``-th smallest value): of all elements, or along
    ``dim`` with its index. NaN, being largest, is the median only where it is in the middle."""
    x = a._data
    if dim is None:
        if x.size == 0:
            return Tensor._make(np.array(np.nan, dtype=x.dtype))
        flat = x.reshape(-1)
        if flat.dtype.kind == "f" and np.isnan(flat).any():  # PyTorch returns NaN
            pos = int(np.flatnonzero(np.isnan(flat))[0])
        else:
            pos = int(np.argsort(flat, kind="stable")[(flat.size - 1) // 2])
        value = flat[pos]
        mask = (x == value) | (np.isnan(x) & np.isnan(value)) if x.dtype.kind == "f" else (
            x == value)
        return record(np.asarray(value), MedianBackward0, (a,), mask=mask)
    if x.ndim == 0:
        values = record(x.copy(), MedianBackward1, (a,), index=np.zeros((), np.int64), dim=0,
                        keepdim=True, shape=())
        return ReturnMedian(values, Tensor._make(np.zeros((), np.int64)))
    d = _wrap_dim(int(dim), x.ndim)
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    order = _order(x, d, False)
    pos = np.take(order, [(x.shape[d] - 1) // 2], axis=d)
    if x.dtype.kind == "f":  # a slice holding NaN has median NaN, at its first NaN
        nan = np.isnan(x)
        first_nan = np.argmax(nan, axis=d)
        pos = np.where(nan.any(axis=d, keepdims=True), np.expand_dims(first_nan, d), pos)
    values = np.take_along_axis(x, pos, axis=d)
    if not keepdim:
        pos, values = np.squeeze(pos, d), np.squeeze(values, d)
    out = record(values, MedianBackward1, (a,), index=pos, dim=d, keepdim=keepdim,
                 shape=x.shape)
    return ReturnMedian(out, Tensor._make(pos.astype(np.int64)))
