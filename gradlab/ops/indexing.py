"""Indexing and joining: ``x[...]``, ``x[...] = v``, ``unbind``, ``split``, ``stack``, ``cat``.

Basic indexing (ints, slices, ``None``, ``...``) is applied one dimension at a time, the way
PyTorch does it, so ``M[0, 1:]`` records ``SelectBackward0`` then ``SliceBackward0``; lists,
index tensors and masks record one ``IndexBackward0``. The backward of a selection puts the
gradient into zeros shaped like the input (``embed``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import Node
from gradlab.ops._util import edge, record
from gradlab.ops.shape import as_view, unsqueeze
from gradlab.tensor import Tensor, _wrap_dim

INPLACE_VIEW_LIMIT = (
    "gradlab does not support in-place changes to a view of a tensor whose history autograd "
    "records.\nHint: index in one step (y[0, 1] = v instead of y[0][1] = v), or work on a "
    ".clone()."
)


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


def _is_advanced(k: Any) -> bool:
    if isinstance(k, Tensor):
        return k.ndim > 0 or k._data.dtype == np.bool_
    return isinstance(k, (list, np.ndarray, bool, np.bool_))


def _raw_index(k: Any) -> Any:
    if isinstance(k, Tensor):
        if k._data.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data if k.ndim > 0 or k._data.dtype == np.bool_ else int(k._data)
    if isinstance(k, list):
        return np.asarray(k)
    return k


def select(a: Tensor, dim: int, index: int) -> Tensor:
    d = _wrap_dim(dim, a.ndim)
    size = a._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    key = (slice(None),) * d + (int(index),)
    return as_view(record(a._data[key], SelectBackward0, (a,), shape=a._data.shape, key=key), a)


def _slice(a: Tensor, dim: int, s: slice) -> Tensor:
    if s.step is not None and s.step <= 0:
        raise ValueError("step must be greater than zero")
    key = (slice(None),) * dim + (s,)
    return as_view(record(a._data[key], SliceBackward0, (a,), shape=a._data.shape, key=key), a)


def getitem(a: Tensor, key: Any) -> Tensor:
    """``a[key]`` with PyTorch's rules and ``grad_fn`` names."""
    key = key if isinstance(key, tuple) else (key,)
    if any(_is_advanced(k) for k in key):
        raw = tuple(_raw_index(k) for k in key)
        try:
            out = a._data[raw]
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        return record(np.array(out), IndexBackward0, (a,), shape=a._data.shape, key=raw)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
    out, dim = a, 0
    for k in key:
        if k is Ellipsis:
            dim += a.ndim - used
        elif k is None:
            out = unsqueeze(out, dim)
            dim += 1
        elif isinstance(k, slice):
            if k != slice(None):
                out = _slice(out, dim, k)
            dim += 1
        else:
            out = select(out, dim, int(_raw_index(k)))
    if out is a:  # x[:] or x[...] is a view, not the same tensor
        out = as_view(record(a._data[...], SliceBackward0, (a,), shape=a._data.shape,
                             key=(Ellipsis,)), a)
    return out


# -- writing -----------------------------------------------------------------------------------


class CopySlices(Node):
    def backward(self, g: Any) -> tuple:
        key = self.key
        gv = g[key] if self.needs(1) else None
        if not self.needs(0):
            return None, gv
        mask = np.ones(self._meta[0][0], dtype=bool)
        mask[key] = False
        return g * mask, gv


def check_inplace(a: Tensor) -> None:
    """PyTorch's refusals of in-place changes autograd could not account for."""
    if not STATE.enabled:
        return
    if a.grad_fn is None and a._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.\n"
            "Hint: update parameters inside `with gradlab.no_grad():`.")
    base = a._base
    if base is not None and base.grad_fn is None and base._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.")


def castable(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's canCast: no float to integer, no number to bool."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[src.kind] <= order[dst.kind]


def cast_error(src: np.dtype, dst: np.dtype) -> RuntimeError:
    names = {d.np: d._legacy[:-6] for d in _dtype.ALL}
    return RuntimeError(f"result type {names[src]} can't be cast to the desired output type "
                        f"{names[dst]}")


def write(a: Tensor, key: Any, values: Any) -> None:
    """Assign into ``a._data[key]`` with PyTorch's messages for read-only and mis-shaped writes."""
    try:
        a._data[key] = values
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.") from None
        shape = list(np.shape(values))
        raise RuntimeError(f"shape mismatch: value tensor of shape {shape} cannot be broadcast "
                           f"to indexing result of shape {list(a._data[key].shape)}") from None


def setitem(a: Tensor, key: Any, value: Any) -> None:
    """``a[key] = value``; recorded as ``CopySlices`` when autograd is tracking either side."""
    check_inplace(a)
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_raw_index(k) for k in key)
    v_rg = isinstance(value, Tensor) and value._rg
    vdata = value._data if isinstance(value, Tensor) else value  # copy_ semantics: any cast
    recording = STATE.enabled and (a._rg or v_rg)
    if recording:
        if a._base is not None and (a._base._rg or v_rg):
            raise RuntimeError(INPLACE_VIEW_LIMIT)
        node = CopySlices((edge(a), edge(value)), ((a._data.shape, a._data.dtype),))
        node.key = key
    write(a, key, vdata)
    a._vc[0] += 1
    if recording:
        a.grad_fn, a._rg, a._output_nr = node, True, 0


# -- splitting and joining ------------------------------------------------------------------------


class UnbindBackward0(Node):
    def backward(self, *grads: Any) -> Any:
        return stack(list(grads), self.dim) if isinstance(grads[0], Tensor) else np.stack(
            grads, self.dim)


def _multi_output(a: Tensor, parts: list[np.ndarray], node_cls: type[Node], **attrs: Any) -> tuple:
    """Wrap several outputs of one operation; they share one node, as ``output_nr`` 0, 1, ..."""
    if STATE.enabled and a._rg:
        node = node_cls((edge(a),), tuple((p.shape, p.dtype) for p in parts))
        node.__dict__.update(attrs)
        outs = tuple(Tensor._make(p, node, i) for i, p in enumerate(parts))
    else:
        outs = tuple(Tensor._make(p) for p in parts)
    return tuple(as_view(o, a) for o in outs)


def unbind(a: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim`` as a tuple; what ``w, b = params`` and iteration use."""
    d = _wrap_dim(dim, a.ndim)
    parts = [a._data[(slice(None),) * d + (i,)] for i in range(a._data.shape[d])]
    return _multi_output(a, parts, UnbindBackward0, dim=d)


class SplitBackward0(Node):
    def backward(self, *grads: Any) -> Any:
        return cat(list(grads), self.dim) if isinstance(grads[0], Tensor) else np.concatenate(
            grads, self.dim)


def split(a: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    d = _wrap_dim(dim, a.ndim)
    n = a._data.shape[d]
    sizes = list(split_size) if isinstance(split_size, (list, tuple)) else (
        [split_size] * (n // split_size) + ([n % split_size] if n % split_size else []))
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    bounds = np.cumsum([0] + sizes)
    parts = [a._data[(slice(None),) * d + (slice(s, e),)] for s, e in zip(bounds, bounds[1:])]
    return _multi_output(a, parts, SplitBackward0, dim=d)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    n = a._data.shape[_wrap_dim(dim, a.ndim)]
    return split(a, max(1, -(-n // chunks)), dim)


class StackBackward0(Node):
    def backward(self, g: Any) -> tuple:
        d = self.dim
        return tuple(g[(slice(None),) * d + (i,)] for i in range(len(self.next_functions)))


def stack(tensors: Any, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shapes = [t.shape for t in tensors]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shapes[0])} at entry 0 and {list(s)} at entry {i}")
    d = _wrap_dim(dim, tensors[0].ndim + 1)
    dt = _dtype.result_type(*tensors).np
    out = np.stack([t._data.astype(dt, copy=False) for t in tensors], axis=d)
    return record(out, StackBackward0, tuple(tensors), dim=d)


class CatBackward0(Node):
    def backward(self, g: Any) -> tuple:
        d, bounds = self.dim, self.bounds
        return tuple(g[(slice(None),) * d + (slice(s, e),)] for s, e in zip(bounds, bounds[1:]))


def cat(tensors: Any, dim: int = 0) -> Tensor:
    tensors = [t for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ref = next((t for t in tensors if t.shape != (0,)), tensors[0])
    d = _wrap_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.shape == (0,):
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{t.ndim}")
        for j in range(ref.ndim):
            if j != d and t.shape[j] != ref.shape[j]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[j]} but got size {t.shape[j]} for tensor number {i} in the list.")
    dt = _dtype.result_type(*tensors).np
    parts = [t._data.astype(dt, copy=False) for t in tensors if t.shape != (0,) or ref is t]
    out = np.concatenate(parts, axis=d)
    bounds = list(np.cumsum([0] + [t.shape[d] if t.shape != (0,) else 0 for t in tensors]))
    return record(out, CatBackward0, tuple(tensors), dim=d, bounds=bounds)


concat = concatenate = cat


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


def nonzero(a: Tensor, *, as_tuple: bool = False) -> Any:
    idx = np.nonzero(a._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64))


def masked_fill(a: Tensor, mask: Tensor, value: Any) -> Tensor:
    return where(mask, Tensor._make(np.asarray(value, dtype=a._data.dtype)), a)
