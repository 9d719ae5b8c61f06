"""Splitting and joining: ``unbind``, ``split``, ``chunk``, ``stack`` and ``cat``.

``unbind`` and ``split`` return several views that share one backward node (``output_nr`` 0,
1, ...), as in PyTorch; ``stack`` and ``cat`` promote their inputs to one dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import Node
from gradlab.ops._util import edge, record
from gradlab.tensor import Tensor, _wrap_dim


class UnbindBackward0(Node):
    def backward(self, *grads: Any) -> Any:
        if isinstance(grads[0], Tensor):
            return stack(list(grads), self.dim)
        if self.dim == 0:  # w, b = params: one array built from the pieces, as np.stack would
            return np.array(grads)
        return np.stack(grads, self.dim)


def _multi_output(a: Tensor, parts: list[np.ndarray], node_cls: type[Node], **attrs: Any) -> tuple:
    """Wrap several outputs of one operation; they share one node, as ``output_nr`` 0, 1, ..."""
    node = None
    if STATE.enabled and a._rg:
        node = node_cls((edge(a),), tuple([(p.shape, p.dtype) for p in parts]))
        node.__dict__.update(attrs)
    vc, base = a._vc, (a._base if a._base is not None else a)
    without_grad = not STATE.enabled and base._rg  # requires grad, refuses in-place changes
    outs = []
    for i, p in enumerate(parts):  # basic slices: views of a's memory, sharing its version
        t = Tensor._make(p, node, i) if node is not None else Tensor._make(p)
        t._vc, t._base = vc, base
        if without_grad:
            t._made_without_grad = t._rg = True
        outs.append(t)
    return tuple(outs)


def _dim_of(a: Tensor, dim: int) -> int:
    """``dim`` wrapped, for operations that need a dimension to exist (not on a 0-d tensor)."""
    if not a._data.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, a._data.ndim)


def unbind(a: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim`` as a tuple; what ``w, b = params`` and iteration use."""
    d = _dim_of(a, dim)
    x = a._data
    if d == 0:  # x[i, ...]: a 0-d array (not a numpy scalar) for a 1-d x
        parts = [x[i, ...] for i in range(x.shape[0])]
    else:
        parts = [x[(slice(None),) * d + (i, Ellipsis)] for i in range(x.shape[d])]
    return _multi_output(a, parts, UnbindBackward0, dim=d)


class SplitBackward0(Node):
    def backward(self, *grads: Any) -> Any:
        return cat(list(grads), self.dim) if isinstance(grads[0], Tensor) else np.concatenate(
            grads, self.dim)


def split(a: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    if not a._data.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, a.ndim)
    n = a._data.shape[d]
    if isinstance(split_size, (list, tuple)):
        sizes = [int(s) for s in split_size]
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
    elif split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    elif split_size == 0:
        if n:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [0]
    else:
        sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
        sizes = sizes or [0]  # an empty dimension still gives one (empty) piece
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    bounds = np.cumsum([0] + sizes)
    parts = [a._data[(slice(None),) * d + (slice(s, e),)] for s, e in zip(bounds, bounds[1:])]
    return _multi_output(a, parts, SplitBackward0, dim=d)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of equal size (the last may be smaller) along ``dim``."""
    if not a._data.ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = a._data.shape[_wrap_dim(dim, a.ndim)]
    if n == 0:
        return split(a, [0] * chunks, dim)
    return split(a, -(-n // chunks), dim)


class StackBackward0(Node):
    def backward(self, g: Any) -> tuple:
        d = self.dim
        return tuple(g[(slice(None),) * d + (i,)] for i in range(len(self.next_functions)))


def _tensor_list(tensors: Any, name: str) -> list[Tensor]:
    """The tensors of a ``cat``/``stack`` argument, refused as PyTorch refuses them."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
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
    """The tensors joined along the existing dimension ``dim``."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("gradlab.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not t._data.ndim:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
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


def vstack(tensors: Any) -> Tensor:
    """Rows on top of each other: 1-d tensors become rows, then ``cat`` along dim 0."""
    tensors = _tensor_list(tensors, "vstack")
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def hstack(tensors: Any) -> Tensor:
    """Side by side: ``cat`` along dim 1, or dim 0 when every tensor is 0-d or 1-d."""
    tensors = _tensor_list(tensors, "hstack")
    tensors = [t.reshape(1) if t.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if all(t.ndim == 1 for t in tensors) else 1)
