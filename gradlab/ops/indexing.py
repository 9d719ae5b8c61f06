"""Indexing and joining: ``x[...]``, ``unbind``, ``split``, ``stack``, ``cat``, ``where``.

Basic indexing (ints, slices, ``None``, ``...``) is applied one dimension at a time, the way
PyTorch does it, so ``M[0, 1:]`` records ``SelectBackward0`` then ``SliceBackward0``; lists,
index tensors and masks record one ``IndexBackward0``. The backward of a selection puts the
gradient into zeros shaped like the input (``embed``). Writing (``x[...] = v``) is in
``inplace.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.joining import (  # noqa: F401  (re-exported: they used to live here)
    SplitBackward0,
    UnbindBackward0,
    cat,
    chunk,
    concat,
    concatenate,
    split,
    stack,
    unbind,
)
from gradlab.ops.shape import as_view, unsqueeze
from gradlab.tensor import _C_NAMES, Tensor, _wrap_dim


class IndexPutBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g[self.key]


def embed(g: Any, shape: tuple, key: Any, accumulate: bool = False) -> Any:
    """Zeros of ``shape`` with ``g`` written (or, with repeats, added) at ``key``."""
    if isinstance(g, Tensor):
        z = np.zeros(shape, dtype=g._data.dtype)
        if accumulate:
            np.add.at(z, key, g._data)
        else:
            z[key] = g._data
        return record(z, IndexPutBackward0, (g,), key=key)
    z = np.zeros(shape, dtype=g.dtype)
    if accumulate:
        np.add.at(z, key, g)
    else:
        z[key] = g
    return z


# -- reading -----------------------------------------------------------------------------------


class SelectBackward0(Node):
    def backward(self, g: Any) -> Any:
        return embed(g, self.shape, self.key)


class SliceBackward0(SelectBackward0):
    pass


class IndexBackward0(Node):
    def backward(self, g: Any) -> Any:
        return embed(g, self.shape, self.key, accumulate=True)


SEQUENCE_INDEX_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[gradlab.tensor(seq)], which will result either in an error "
    "or a different result")
_SEQUENCES = (Tensor, list, tuple, range, str, np.ndarray, slice)


def _key_tuple(key: Any) -> tuple:
    """The entries of ``key``; a short list holding a sequence, slice, None or ``...`` is taken
    as a tuple (with PyTorch's deprecation warning), as NumPy once did."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, (list, str)) and len(key) < 32 and any(
            isinstance(k, _SEQUENCES) or k is None or k is Ellipsis for k in key):
        warnings.warn(SEQUENCE_INDEX_WARNING, UserWarning, stacklevel=4)
        return tuple(key)
    return (key,)


def _item(k: Any) -> Any:
    """One entry of an index: an int, slice, None or Ellipsis, or an array (advanced)."""
    if isinstance(k, Tensor):
        k = k._data
        if k.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if k.dtype == np.uint8:
            warnings.warn("indexing with dtype gradlab.uint8 is now deprecated, please use a "
                          "dtype gradlab.bool instead.", UserWarning, stacklevel=4)
            return k.astype(np.bool_)
        return int(k) if k.ndim == 0 and k.dtype != np.bool_ else k
    if k is None or k is Ellipsis or isinstance(k, slice):
        return k
    if isinstance(k, (bool, np.bool_)):
        return np.asarray(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iuf":
        return int(k)
    if isinstance(k, (list, tuple, np.ndarray)):
        arr = np.asarray(_unwrap(k))
        if arr.size == 0 or (arr.dtype.kind == "f" and not isinstance(k, np.ndarray)):
            arr = arr.astype(np.int64)  # a list of numbers is made a long index, as in PyTorch
        if arr.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    if isinstance(k, str):
        raise TypeError(f"new(): invalid data type '{type(k).__name__}'")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _unwrap(k: Any) -> Any:
    if isinstance(k, Tensor):
        return k._data
    return [_unwrap(x) for x in k] if isinstance(k, (list, tuple)) else k


def split_index(shape: tuple, key: Any) -> tuple[list, tuple, tuple | None]:
    """PyTorch's two steps: ``x[key]`` is ``x[basic][advanced]`` (ints, slices and None first).

    Returns the entries (Ellipsis spelled out as slices), the basic key (a numpy view) and the
    advanced key for its result.
    """
    if not shape and isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    items = []
    for k in _key_tuple(key):  # a loop, not a comprehension: warnings point at the caller
        items.append(_item(k))
    if not shape and any(isinstance(k, slice) for k in items):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    used = sum(1 if not isinstance(k, np.ndarray) else (k.ndim if k.dtype == np.bool_ else 1)
               for k in items if k is not None and k is not Ellipsis)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    basic, adv, dim, advanced = [], [], 0, False
    expanded: list = []
    for i, k in enumerate(items):
        if isinstance(k, np.ndarray) and k.ndim == 0:  # True/False: a new dim, kept or emptied
            basic.append(None)
            adv.append(np.arange(int(k)))
            advanced = True
        elif isinstance(k, np.ndarray):
            n = k.ndim if k.dtype == np.bool_ else 1
            basic += [slice(None)] * n
            adv.append(k)
            dim, advanced = dim + n, True
        elif isinstance(k, int):
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {i} with size {size}")
            basic.append(k)
            dim += 1
        elif k is Ellipsis:  # the first one spans the dims no other entry uses
            span, used = len(shape) - used, len(shape)
            basic += [slice(None)] * span
            adv += [slice(None)] * span
            dim += span
            expanded += [slice(None)] * span
            continue
        else:  # a slice or None
            if isinstance(k, slice) and k.step == 0:
                raise ValueError("slice step cannot be zero")
            basic.append(k)
            adv.append(slice(None))
            dim += k is not None
        expanded.append(k)
    return expanded, tuple(basic) + (Ellipsis,), (tuple(adv) if advanced else None)


def check_advanced(shape: tuple, adv: tuple) -> None:
    """PyTorch's messages for masks of the wrong shape and indices out of range."""
    pos = ordinal = 0
    arrays = []
    for k in adv:
        if isinstance(k, slice):
            pos += 1
        elif k.dtype == np.bool_:
            for j, (m, t) in enumerate(zip(k.shape, shape[pos:])):
                if m != t:
                    raise IndexError(f"The shape of the mask {list(k.shape)} at index {j} does "
                                     "not match the shape of the indexed tensor "
                                     f"{list(shape)} at index {pos + j}")
            pos, ordinal = pos + k.ndim, ordinal + k.ndim
        else:
            n = shape[pos]
            bad = k[(k < -n) | (k >= n)]
            if bad.size:
                raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {ordinal} "
                                 f"with size {n}")
            arrays.append(k.shape)
            pos, ordinal = pos + 1, ordinal + 1
    try:
        np.broadcast_shapes(*arrays)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         f"shapes {', '.join(str(list(s)) for s in arrays)}") from None


def select(a: Tensor, dim: int, index: int) -> Tensor:
    """``a`` at ``index`` along ``dim`` (a view with one dimension fewer)."""
    if not a._data.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, a.ndim)
    size = a._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(a._data.shape)} at dimension {d}")
    key = (slice(None),) * d + (int(index),)
    view = a._data[key + (Ellipsis,)]  # with the Ellipsis numpy returns a 0-d view, not a copy
    return as_view(record(view, SelectBackward0, (a,), shape=a._data.shape, key=key), a)


def _slice(a: Tensor, dim: int, s: slice) -> Tensor:
    if s.step is not None and s.step <= 0:
        raise ValueError("step must be greater than zero")
    key = (slice(None),) * dim + (s,)
    return as_view(record(a._data[key], SliceBackward0, (a,), shape=a._data.shape, key=key), a)


def narrow(a: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``dim`` from ``start`` on: a view (``SliceBackward0``)."""
    d = _wrap_dim(dim, a.ndim)
    size = a._data.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start = start % size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(a, d, slice(start, start + length))


def getitem(a: Tensor, key: Any) -> Tensor:
    """``a[key]`` with PyTorch's rules and ``grad_fn`` names.

    Ints, slices and None are applied one dimension at a time (``SelectBackward0``,
    ``SliceBackward0``, ``UnsqueezeBackward0``); lists, index tensors and masks then make one
    ``IndexBackward0`` on the result, so ``x[1, :, [0, 1]]`` has PyTorch's shape, not numpy's.
    """
    items, _, adv = split_index(a._data.shape, key)
    bare_slice = isinstance(key, slice)
    out, dim = a, 0
    for k in items:
        if k is None or (isinstance(k, np.ndarray) and k.ndim == 0):
            out = unsqueeze(out, dim)
            dim += 1
        elif isinstance(k, slice):
            # in a tuple (or after ...), PyTorch skips a slice that keeps the whole dim
            whole = k.indices(out._data.shape[dim]) == (0, out._data.shape[dim], 1)
            if bare_slice and k != slice(None) or not whole:
                out = _slice(out, dim, k)
            dim += 1
        elif isinstance(k, np.ndarray):
            dim += k.ndim if k.dtype == np.bool_ else 1
        else:
            out = select(out, dim, k)
    if adv is not None:
        check_advanced(out._data.shape, adv)
        return record(out._data[adv], IndexBackward0, (out,), shape=out._data.shape, key=adv)
    if out is a:  # x[:] is a slice, x[...] an alias: either way a view, not the same tensor
        if bare_slice:
            return as_view(record(a._data[...], SliceBackward0, (a,), shape=a._data.shape,
                                  key=(Ellipsis,)), a)
        return as_view(record(a._data[...], AliasBackward0, (a,)), a)
    return out


class AliasBackward0(Node):
    """``x[...]``, ``x[()]``: the same elements under a new name; the gradient passes as is."""

    def backward(self, g: Any) -> Any:
        return g


class WhereBackward0(Node):
    def backward(self, g: Any) -> tuple:
        c = self.cond
        return (g * c if self.needs(0) else None), (g * ~c if self.needs(1) else None)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """Elements of ``x`` where ``condition`` holds, of ``y`` elsewhere (or, alone, ``nonzero``)."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if x is None and y is None:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_dtype.FROM_NUMPY[cond.dtype]._legacy[:-6]}")
    dt = _dtype.result_type(*[v for v in (x, y)]).np
    xd = x._data.astype(dt, copy=False) if isinstance(x, Tensor) else x
    yd = y._data.astype(dt, copy=False) if isinstance(y, Tensor) else y
    out = np.asarray(np.where(cond, xd, yd), dtype=dt)
    return record(out, WhereBackward0, (x, y), cond=cond)


def where_either(cond: Any, a: Any, b: Any) -> Any:
    """``np.where`` on arrays, ``where`` when any argument is a tensor: for the formulas of
    backward methods, which see arrays, or tensors while ``create_graph`` builds a graph."""
    if isinstance(cond, Tensor) or isinstance(a, Tensor) or isinstance(b, Tensor):
        return where(cond, a, b)
    return np.where(cond, a, b)


def nonzero(a: Tensor, *, as_tuple: bool = False) -> Any:
    idx = np.nonzero(a._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64))


class MaskedFillBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g * ~self.mask


class MaskedFillBackward1(Node):
    def backward(self, g: Any) -> tuple:
        m = self.mask
        return (g * ~m if self.needs(0) else None), ((g * m).sum() if self.needs(1) else None)


def masked_fill(a: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``a`` with ``value`` written where ``mask`` is True (mask and ``a`` broadcast)."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_NAMES[_dtype.FROM_NUMPY[m.dtype].name]}")
    is_tensor = isinstance(value, Tensor)
    if is_tensor and value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    fill = value._data if is_tensor else value
    try:
        np.broadcast_shapes(m.shape, a._data.shape)
    except ValueError:
        k = max(a.ndim, m.ndim)
        sa, sm = (1,) * (k - a.ndim) + a._data.shape, (1,) * (k - m.ndim) + m.shape
        i = max(j for j in range(k) if sa[j] != sm[j] and 1 not in (sa[j], sm[j]))
        raise RuntimeError(f"The size of tensor a ({sm[i]}) must match the size of tensor b "
                           f"({sa[i]}) at non-singleton dimension {i}") from None
    out = np.where(m, np.asarray(fill).astype(a._data.dtype), a._data)
    if is_tensor:
        return record(out, MaskedFillBackward1, (a, value), mask=m)
    return record(out, MaskedFillBackward0, (a,), mask=m)
