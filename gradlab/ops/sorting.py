"""Ordering along a dimension: ``sort``, ``argsort``, ``topk``, ``kthvalue``, ``mode``,
``median``.

Each picks elements and remembers where they came from (``indices``); the backward sends each
picked element's gradient back to that place. Which of several equal values is picked is
PyTorch's: stable sorts, short rows and ``median(dim)`` keep the original order; elsewhere the
C++ algorithm PyTorch's CPU kernel runs is replayed on the tied rows (``_sort_kernels``).
``median()`` of all elements shares its gradient among ties. NaN sorts as the largest value.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops import _sort_kernels as _kernels
from gradlab.ops._util import record
from gradlab.ops.rearrange import scatter
from gradlab.tensor import Tensor, _wrap_dim

__all__ = ["sort", "argsort", "topk", "kthvalue", "mode", "median", "unique"]


def _return_type(name: str) -> type:
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = "gradlab.return_types"
    cls.__repr__ = lambda self: (  # type: ignore[method-assign]
        f"gradlab.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})")
    return cls


ReturnSort, ReturnTopk, ReturnMedian, ReturnKthvalue, ReturnMode = (
    _return_type(n) for n in ("sort", "topk", "median", "kthvalue", "mode"))


def _rows(x: np.ndarray, d: int) -> np.ndarray:
    """``x`` with ``d`` moved last, as a 2-d array of rows."""
    moved = np.moveaxis(x, d, -1)
    return moved.reshape(-1, moved.shape[-1])


def _unrows(rows: np.ndarray, x: np.ndarray, d: int) -> np.ndarray:
    shape = np.moveaxis(x, d, -1).shape[:-1] + rows.shape[-1:]
    return np.moveaxis(rows.reshape(shape), -1, d)


def _stable_order(rows: np.ndarray, descending: bool) -> np.ndarray:
    """Stable argsort of each row with NaN largest (first when descending)."""
    if not descending:
        return np.argsort(rows, axis=-1, kind="stable")  # numpy puts NaN last already
    if rows.dtype.kind != "f":  # ~v = -v - 1 reverses integers without overflow
        return np.argsort(~(rows.view(np.int8) if rows.dtype == np.bool_ else rows), axis=-1,
                          kind="stable")
    nan = np.isnan(rows)
    return np.lexsort((-np.where(nan, 0, rows), ~nan), axis=-1)


def _ranks(rows: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each element's place among the distinct values of its row, in ``order``'s direction
    (equal values, and all NaNs, share a rank), and which rows hold ties."""
    s = np.take_along_axis(rows, order, axis=-1)
    same = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        same |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    in_order = np.zeros(s.shape, np.int64)
    np.cumsum(~same, axis=1, out=in_order[:, 1:])
    ranks = np.empty_like(in_order)
    np.put_along_axis(ranks, order, in_order, axis=1)
    return ranks, same.any(axis=1)


def _replay(order: np.ndarray, ranks: np.ndarray, rows: Any, run: Any) -> None:
    """Replace ``order[r]`` by what the C++ kernel ``run(keys, items)`` leaves for each row r
    in ``rows``, its keys being the row's ranks and its items the original positions."""
    for r in np.flatnonzero(rows):
        keys, items = ranks[r].tolist(), list(range(ranks.shape[1]))
        run(keys, items)
        order[r, :len(items)] = items


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


class KthvalueBackward0(_PickBackward):
    pass


class ModeBackward0(_PickBackward):
    pass


class MedianBackward0(Node):
    """The median of all elements: its gradient is shared evenly by every element equal to it
    (PyTorch's ``evenly_distribute_backward``)."""

    def backward(self, g: Any) -> Any:
        mask = self.mask
        share = g / int(mask.sum())  # in the gradient's dtype, then written where mask is
        if isinstance(share, Tensor):
            return share * mask.astype(self._meta[0][1])
        return np.where(mask, share, np.zeros((), share.dtype))


def _scalar_pick(a: Tensor, node: type, ret: type) -> Any:
    """A 0-d input: the element itself, index 0 (PyTorch's scalar shortcut)."""
    values = record(a._data.copy(), node, (a,), index=np.zeros((), np.int64), dim=0,
                    keepdim=True, shape=())
    return ret(values, Tensor._make(np.zeros((), np.int64)))


def _picked(a: Tensor, node: type, ret: type, order: np.ndarray, d: int,
            keepdim: bool = True) -> Any:
    """Values at ``order`` (positions along ``d``, rows last) with their indices."""
    x = a._data
    index = _unrows(order, x, d)
    values = np.take_along_axis(x, index, axis=d)
    if not keepdim:
        index, values = np.squeeze(index, d), np.squeeze(values, d)
    out = record(values, node, (a,), index=index, dim=d, keepdim=keepdim, shape=x.shape)
    return ret(out, Tensor._make(index.astype(np.int64)))


def sort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """Values sorted along ``dim`` and the indices they came from (``SortBackward0``).

    Unstable sorts of rows longer than 16 replay ``std::sort`` on the ties, as PyTorch does."""
    x = a._data
    if x.ndim == 0:
        return _scalar_pick(a, SortBackward0, ReturnSort)
    d = _wrap_dim(int(dim), x.ndim)
    rows = _rows(x, d)
    order = _stable_order(rows, descending)
    n = rows.shape[1]
    if not stable and n > 16 and x.strides[d] != 0:  # PyTorch skips rows of one repeated value
        ranks, tied = _ranks(rows, order)
        _replay(order, ranks, tied, lambda k, it: _kernels.sort(k, it, 0, n))
    return _picked(a, SortBackward0, ReturnSort, order, d)


def argsort(a: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``a`` along ``dim``."""
    return sort(a, dim, descending, stable=stable).indices


def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) values along ``dim`` and their indices, in the order
    PyTorch's kernel leaves them (``nth_element`` or ``partial_sort``, then ``sort``)."""
    x, k = a._data, int(k)
    d = _wrap_dim(int(dim), x.ndim) if x.ndim else 0
    size = x.shape[d] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        return _scalar_pick(a, TopkBackward0, ReturnTopk)
    rows = _rows(x, d)
    order = _stable_order(rows, largest)
    if k:
        ranks, tied = _ranks(rows, order)

        def run(keys: list, items: list) -> None:
            if k * 64 <= size:
                _kernels.partial_sort(keys, items, 0, k, size)
            else:
                _kernels.nth_element(keys, items, 0, k - 1, size)
                if sorted:
                    _kernels.sort(keys, items, 0, k - 1)

        _replay(order, ranks, tied | (not sorted and k * 64 > size), run)
    return _picked(a, TopkBackward0, ReturnTopk, order[:, :k], d)


def kthvalue(a: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest value along ``dim`` and its index (PyTorch's quickselect decides
    which of several equal values)."""
    x = a._data
    d = _wrap_dim(int(dim), x.ndim) if x.ndim else 0
    size = x.shape[d] if x.ndim else 1
    if x.size == 0 or size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 0 < k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        return _scalar_pick(a, KthvalueBackward0, ReturnKthvalue)
    rows = _rows(x, d)
    order = _stable_order(rows, False)
    ranks, tied = _ranks(rows, order)
    _replay(order, ranks, tied, lambda keys, items: _kernels.quick_select(keys, items, k - 1))
    return _picked(a, KthvalueBackward0, ReturnKthvalue, order[:, k - 1:k], d, keepdim)


def mode(a: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest such) and an index of it: the last
    of its run after PyTorch's ``std::sort`` of the row."""
    x = a._data
    d = _wrap_dim(int(dim), x.ndim) if x.ndim else 0
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    if x.ndim == 0:
        return _scalar_pick(a, ModeBackward0, ReturnMode)
    rows = _rows(x, d)
    picks = np.argmin(rows, axis=1)  # all values distinct: the smallest, once
    distinct = ~_ranks(rows, _stable_order(rows, False))[1]
    if rows.dtype.kind == "f":  # NaN compares false both ways: PyTorch's sort scrambles it
        distinct &= ~np.isnan(rows).any(axis=1)
    for r in np.flatnonzero(~distinct):
        keys, items = rows[r].tolist(), list(range(rows.shape[1]))
        _kernels.sort(keys, items, 0, len(keys))
        run, best = 0, 0
        for i, key in enumerate(keys):
            run += 1
            if i == len(keys) - 1 or key != keys[i + 1]:
                if run > best:
                    best, picks[r] = run, items[i]
                run = 0
    return _picked(a, ModeBackward0, ReturnMode, picks[:, None], d, keepdim)


def median(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (the ``(n - 1) // 2``-th smallest value): of all elements, or along
    ``dim`` with its index. NaN, being largest, is the median only where it is in the middle."""
    x = a._data
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"median_{'cpu' if dim is None else 'out'}\" not implemented"
                                  " for 'Bool'")
    if dim is None:
        if x.size == 0:  # NaN, still recorded as PyTorch records it
            return record(np.array(np.nan, dtype=x.dtype), MedianBackward0, (a,),
                          mask=np.zeros(x.shape, bool))
        flat = x.reshape(-1)
        if flat.dtype.kind == "f" and np.isnan(flat).any():  # PyTorch returns NaN
            value = np.array(np.nan, flat.dtype)
        else:
            nth = (flat.size - 1) // 2
            order = np.argsort(flat, kind="stable")
            value = flat[order[nth]]
            if value == 0 and flat.dtype.kind == "f":  # which zero: -0.0 or 0.0
                keys, items = flat.tolist(), list(range(flat.size))
                _kernels.nth_element(keys, items, 0, nth, flat.size)
                value = flat[items[nth]]
        mask = (x == value) | (np.isnan(x) & np.isnan(value)) if x.dtype.kind == "f" else (
            x == value)
        return record(np.asarray(value), MedianBackward0, (a,), mask=mask)
    if x.ndim == 0:
        return _scalar_pick(a, MedianBackward1, ReturnMedian)
    d = _wrap_dim(int(dim), x.ndim)
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    rows = _rows(x, d)
    pos = _stable_order(rows, False)[:, (rows.shape[1] - 1) // 2]  # ties broken by index
    if x.dtype.kind == "f":  # a slice holding NaN has median NaN, at its first NaN
        nan = np.isnan(rows)
        pos = np.where(nan.any(axis=1), np.argmax(nan, axis=1), pos)
    return _picked(a, MedianBackward1, ReturnMedian, pos[:, None], d, keepdim)


class Unique2Backward0(Node):
    """unique has no derivative in PyTorch: backward through it raises."""

    op = "_unique2"

    def backward(self, g: Any) -> Any:
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


class UniqueDimBackward0(Unique2Backward0):
    op = "unique_dim"


def unique(a: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (always sorted, as PyTorch's CPU kernel gives them), or the distinct
    slices along ``dim``; optionally where each element went and how often each value occurs."""
    x = a._data
    d = None if dim is None else _wrap_dim(dim, x.ndim)
    values, inverse, counts = np.unique(x.reshape(-1) if d is None else x, return_inverse=True,
                                        return_counts=True, axis=d, equal_nan=False)
    node = Unique2Backward0 if d is None else UniqueDimBackward0
    out = [record(values, node, (a,))]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(x.shape if d is None else -1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
