"""Ops that move, copy or mask elements: ``roll``, ``tril``, ``triu``, ``repeat``,
``repeat_interleave``, ``outer``; and index-driven ones: ``gather``, ``scatter``,
``scatter_add``, ``index_select``. Each backward sends every output element's gradient back
to the input element it came from (adding where one input fed several outputs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.shape import reshape, unsqueeze
from gradlab.tensor import Tensor, _wrap_dim

__all__ = ["roll", "tril", "triu", "repeat", "repeat_interleave", "outer", "gather", "scatter",
           "scatter_add", "index_select"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _ints(args: tuple) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


# -- roll, tril, triu ----------------------------------------------------------------------------


class RollBackward0(Node):
    def backward(self, g: Any) -> Any:
        back = tuple(-s for s in self.shifts)
        if _is_tensor(g):
            return roll(g, back, self.dims)
        if self.dims is None:
            return np.roll(g.reshape(-1), back).reshape(g.shape)
        return np.roll(g, back, self.dims)


def roll(a: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` (the flattened tensor without), wrapping around."""
    x = a._data
    shifts = (int(shifts),) if np.ndim(shifts) == 0 else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        out = np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return record(out, RollBackward0, (a,), shifts=shifts, dims=None)
    dims = (int(dims),) if np.ndim(dims) == 0 else tuple(int(d) for d in dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
    return record(np.roll(x, shifts, dims), RollBackward0, (a,), shifts=shifts, dims=dims)


class TrilBackward0(Node):
    def backward(self, g: Any) -> Any:
        return tril(g, self.diagonal) if _is_tensor(g) else np.tril(g, self.diagonal)


class TriuBackward0(Node):
    def backward(self, g: Any) -> Any:
        return triu(g, self.diagonal) if _is_tensor(g) else np.triu(g, self.diagonal)


def _triangle(a: Tensor, diagonal: int, lower: bool) -> Tensor:
    x = a._data
    name = "tril" if lower else "triu"
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    out = (np.tril if lower else np.triu)(x, int(diagonal))
    return record(out, TrilBackward0 if lower else TriuBackward0, (a,), diagonal=int(diagonal))


def tril(a: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (elements on and below ``diagonal``) of the last two dims."""
    return _triangle(a, diagonal, True)


def triu(a: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (elements on and above ``diagonal``) of the last two dims."""
    return _triangle(a, diagonal, False)


# -- repeat, repeat_interleave, outer -----------------------------------------------------------


class RepeatBackward0(Node):
    def backward(self, g: Any) -> Any:
        # split each dim into (repeats, size) and add the copies up
        shape, reps = self.shape, self.repeats
        lead = len(reps) - len(shape)
        split = []
        for i, r in enumerate(reps):
            split += [r, shape[i - lead]] if i >= lead else [r]
        axes = tuple(range(lead)) + tuple(lead + 2 * j for j in range(len(shape)))
        grouped = g.reshape(tuple(split))
        if _is_tensor(g):
            return grouped.sum(dim=axes) if axes else grouped
        return grouped.sum(axis=axes) if axes else grouped


def repeat(a: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor: ``sizes[i]`` copies along dim i (new leading dims allowed)."""
    reps = _ints(sizes)
    x = a._data
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    out = np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)
    return record(out, RepeatBackward0, (a,), shape=x.shape, repeats=reps)


def repeat_interleave(a: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (of the flattened tensor without).

    As in PyTorch, an int count is ``unsqueeze → expand → clone → view`` (``ViewBackward0``) and
    a tensor of counts an ``index_select`` (``IndexSelectBackward0``).
    """
    if repeats is None:  # repeat_interleave(counts): each index i, counts[i] times
        counts = a._data
        if counts.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype not in (np.int64, np.int32):
            raise NotImplementedError("\"repeat_interleave_cpu\" not implemented for "
                                      f"'{a.dtype._legacy[:-6]}'")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        return Tensor._make(np.repeat(np.arange(counts.size, dtype=counts.dtype), counts))
    if dim is None:
        a = reshape(a, -1)
        dim = 0
    d = _wrap_dim(int(dim), a.ndim)
    if _is_tensor(repeats) and repeats.numel() != 1:
        counts = repeats._data.astype(np.int64)
        if counts.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if (counts < 0).any():
            raise RuntimeError("repeats can not be negative")
        if counts.size != a.shape[d]:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = "
                               f"{a.shape[d]}")
        index = Tensor._make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
        return index_select(a, d, index)
    n = int(repeats.item() if _is_tensor(repeats) else repeats)
    if n < 0:
        raise RuntimeError("repeats can not be negative" if _is_tensor(repeats) else
                           "Repeats must be non-negative")
    shape = list(a.shape)
    expanded = unsqueeze(a, d + 1).expand(*shape[:d + 1], n, *shape[d + 1:])
    shape[d] *= n
    return expanded.clone().view(*shape)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """``a[i] * b[j]`` for 1-D ``a`` and ``b`` (``a.reshape(-1, 1) * b``, ``MulBackward0``)."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D" if a.ndim != 1
                           else f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    return reshape(a, a.shape[0], 1) * b


# -- gather, scatter, index_select ---------------------------------------------------------------


def _index(index: Tensor, name: str) -> np.ndarray:
    if not _is_tensor(index) or index._data.dtype not in (np.int64, np.int32):
        got = index.dtype if _is_tensor(index) else type(index).__name__
        raise RuntimeError(f"{'scatter' if name == 'scatter_add' else name}(): Expected dtype "
                           "int32/int64 for index" + ("" if _is_tensor(index) else f", got {got}"))
    return index._data.astype(np.int64, copy=False)


def _check_src(a: Tensor, src: Tensor) -> None:
    if src._data.dtype != a._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def _along(x: np.ndarray, idx: np.ndarray, d: int) -> tuple:
    """The full index tuple that picks ``x[..., idx[...], ...]`` element by element."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return tuple(grids)


def _check_gather(x: np.ndarray, idx: np.ndarray, d: int, name: str) -> None:
    if idx.ndim != x.ndim and idx.size and x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    for k in range(idx.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {d}")
    bad = (idx < 0) | (idx >= x.shape[d]) if x.ndim else idx != 0
    if bad.any():
        raise RuntimeError(f"index {int(idx[bad].reshape(-1)[0])} is out of bounds for "
                           f"dimension {d} with size {x.shape[d] if x.ndim else 1}")


class GatherBackward0(Node):
    def backward(self, g: Any) -> Any:
        return scatter_add(Tensor._make(np.zeros(self.shape, g._data.dtype)), self.dim,
                           Tensor._make(self.index), g) if _is_tensor(g) else _add_at(
            np.zeros(self.shape, g.dtype), self.index, self.dim, g)


def _add_at(out: np.ndarray, idx: np.ndarray, d: int, src: np.ndarray) -> np.ndarray:
    np.add.at(out, _along(out, idx, d), src[tuple(slice(0, n) for n in idx.shape)])
    return out


def gather(a: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = a[i][index[i][j]]`` along ``dim`` (here for dim 1)."""
    x, idx = a._data, _index(index, "gather")
    d = _wrap_dim(int(dim), x.ndim)
    _check_gather(x, idx, d, "gather")
    out = x[_along(x, idx, d)] if x.ndim else x[()]
    return record(np.asarray(out), GatherBackward0, (a,), shape=x.shape, index=idx, dim=d)


class ScatterBackward0(Node):
    """``scatter(dim, index, src)``: written places get nothing, ``src`` gets their gradient."""

    def backward(self, g: Any) -> tuple:
        idx, d = self.index, self.dim
        gx = gs = None
        if self.needs(0):
            gx = scatter(g, d, Tensor._make(idx), 0.0) if _is_tensor(g) else _put(
                g.copy(), idx, d, 0)
        if self.needs(1):
            gs = gather(g, d, Tensor._make(idx)) if _is_tensor(g) else g[_along(g, idx, d)]
        return gx, gs


class ScatterBackward1(Node):
    def backward(self, g: Any) -> Any:
        return scatter(g, self.dim, Tensor._make(self.index), 0.0) if _is_tensor(g) else _put(
            g.copy(), self.index, self.dim, 0)


def _put(out: np.ndarray, idx: np.ndarray, d: int, values: Any) -> np.ndarray:
    where = _along(out, idx, d)
    out[where] = values if np.ndim(values) == 0 else values[tuple(slice(0, n)
                                                                    for n in idx.shape)]
    return out


def scatter(a: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``a`` with ``src`` (a tensor, or one value) written at ``index`` along ``dim``."""
    if reduce is not None:
        raise NotImplementedError("gradlab's scatter does not take reduce=; use scatter_add")
    src = value if src is None else src
    x, idx = a._data, _index(index, "scatter")
    d = _wrap_dim(int(dim), x.ndim)
    _check_gather(x, idx, d, "scatter")
    if _is_tensor(src):
        _check_src(a, src)
        out = _put(x.copy(), idx, d, src._data)
        return record(out, ScatterBackward0, (a, src), index=idx, dim=d)
    out = _put(x.copy(), idx, d, x.dtype.type(src))
    return record(out, ScatterBackward1, (a,), index=idx, dim=d)


class ScatterAddBackward0(Node):
    def backward(self, g: Any) -> tuple:
        idx, d = self.index, self.dim
        gs = None
        if self.needs(1):
            gs = gather(g, d, Tensor._make(idx)) if _is_tensor(g) else g[_along(g, idx, d)]
        return g, gs


def scatter_add(a: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``a`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    x, idx = a._data, _index(index, "scatter_add")
    d = _wrap_dim(int(dim), x.ndim)
    _check_gather(x, idx, d, "scatter_add")
    _check_src(a, src)
    out = _add_at(x.copy(), idx, d, src._data)
    return record(out, ScatterAddBackward0, (a, src), index=idx, dim=d)


class IndexSelectBackward0(Node):
    def backward(self, g: Any) -> Any:
        if _is_tensor(g):
            return index_add_zeros(g, self.shape, self.dim, self.index)
        out = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(out, (slice(None),) * self.dim + (self.index,), g)
        return out


def index_add_zeros(g: Tensor, shape: tuple, dim: int, index: np.ndarray) -> Tensor:
    """``zeros(shape).index_add(dim, index, g)``, differentiable in ``g``."""
    full = np.broadcast_to(np.expand_dims(index, tuple(k for k in range(g.ndim) if k != dim)),
                           g.shape).astype(np.int64)
    return scatter_add(Tensor._make(np.zeros(shape, g._data.dtype)), dim, Tensor._make(full), g)


def index_select(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices ``index`` (1-D, int64 or int32) of ``a`` along ``dim``."""
    x = a._data
    if not _is_tensor(index) or index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index._data.astype(np.int64).reshape(-1)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _wrap_dim(int(dim), x.ndim)
    size = x.shape[d] if x.ndim else 1
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        if d == 1 and x.ndim > 1:  # PyTorch's kernel for dim 1 words it its own way
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={size}")
        raise IndexError("index out of range in self")
    out = np.take(x, idx, axis=d) if x.ndim else x.reshape(1)[idx].reshape(idx.shape)
    return record(out, IndexSelectBackward0, (a,), shape=x.shape, dim=d, index=idx)
