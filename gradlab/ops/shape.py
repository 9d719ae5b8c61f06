"""Shape operations: view, reshape, squeeze, unsqueeze, transpose, permute, expand, to, clone.

Views share memory and the version counter with their base, as in PyTorch, so an in-place
change through one is seen (and checked) through the other.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.tensor import Tensor, _wrap_dim


def as_view(res: Tensor, base: Tensor) -> Tensor:
    """Mark ``res`` as a view of ``base``: same version counter, same ultimate base."""
    if np.shares_memory(res._data, base._data) if res._data.size else True:
        res._vc = base._vc
        res._base = base._base if base._base is not None else base
    return res


def parse_shape(args: tuple) -> tuple[int, ...]:
    """``view(2, 3)``, ``view((2, 3))`` and ``view([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _infer(shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


class ViewBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g.reshape(self.shape)


class UnsafeViewBackward0(ViewBackward0):
    pass


def view(a: Tensor, *shape: Any) -> Tensor:
    """The same memory seen with another shape; fails if the memory layout does not allow it."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise NotImplementedError("view(dtype) is not supported in gradlab")
    new = _infer(parse_shape(shape), a._data.size)
    try:
        out = np.reshape(a._data, new, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return as_view(record(out, ViewBackward0, (a,), shape=a._data.shape), a)


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """Like ``view`` when the layout allows it, otherwise a copy (``UnsafeViewBackward0``)."""
    new = _infer(parse_shape(shape), a._data.size)
    try:
        out = np.reshape(a._data, new, copy=False)
    except ValueError:
        return record(np.reshape(a._data, new), UnsafeViewBackward0, (clone(a),),
                      shape=a._data.shape)
    return as_view(record(out, ViewBackward0, (a,), shape=a._data.shape), a)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    nd = a._data.ndim
    if nd == 0:
        return reshape(a, 1)
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    shape = a._data.shape
    return reshape(a, shape[:s] + (-1,) + shape[e + 1:])


def unflatten(a: Tensor, dim: int, sizes: Any) -> Tensor:
    d = _wrap_dim(dim, a._data.ndim)
    shape = a._data.shape
    return view(a, shape[:d] + tuple(sizes) + shape[d + 1:])


class SqueezeBackward0(ViewBackward0):
    pass


class SqueezeBackward1(ViewBackward0):
    pass


class SqueezeBackward2(ViewBackward0):
    pass


def squeeze(a: Tensor, dim: Any = None) -> Tensor:
    """Drop dimensions of size one (all of them, or the given ``dim``)."""
    shape = a._data.shape
    if dim is None:
        new, node = tuple(s for s in shape if s != 1), SqueezeBackward0
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_wrap_dim(d, len(shape)) for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
        node = SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1
    return as_view(record(a._data.reshape(new), node, (a,), shape=shape), a)


class UnsqueezeBackward0(ViewBackward0):
    pass


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size one at ``dim``."""
    d = _wrap_dim(dim, a._data.ndim + 1)
    out = np.expand_dims(a._data, d)
    return as_view(record(out, UnsqueezeBackward0, (a,), shape=a._data.shape), a)


class PermuteBackward0(Node):
    def backward(self, g: Any) -> Any:
        inv = tuple(np.argsort(self.dims))
        return g.permute(inv) if isinstance(g, Tensor) else g.transpose(inv)


class TransposeBackward0(PermuteBackward0):
    pass


class TBackward0(PermuteBackward0):
    pass


def permute(a: Tensor, *dims: Any) -> Tensor:
    dims = parse_shape(dims)
    nd = a._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
            f"to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return as_view(record(a._data.transpose(dims), PermuteBackward0, (a,), dims=dims), a)


def _swap(nd: int, d0: int, d1: int) -> tuple[int, ...]:
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return tuple(dims)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = a._data.ndim
    dims = _swap(nd, _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)) if nd else ()
    return as_view(record(a._data.transpose(dims), TransposeBackward0, (a,), dims=dims), a)


def t(a: Tensor) -> Tensor:
    nd = a._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    dims = (1, 0) if nd == 2 else tuple(range(nd))
    return as_view(record(a._data.transpose(dims), TBackward0, (a,), dims=dims), a)


def T(a: Tensor) -> Tensor:
    nd = a._data.ndim
    if nd != 2 and nd != 0:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*gradlab.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.", UserWarning, stacklevel=3)
    return permute(a, tuple(range(nd - 1, -1, -1)))


def mT(a: Tensor) -> Tensor:
    if a._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {a._data.ndim}-D tensor.")
    return transpose(a, -2, -1)


class ExpandBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g  # the engine sums it back to the input's shape


def expanded_shape(shape: tuple, sizes: tuple, legacy: str = "FloatTensor") -> tuple:
    """The shape ``expand(*sizes)`` gives a tensor of ``shape``, or PyTorch's error."""
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(gradlab.{legacy}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i, s in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(shape)}")
    return tuple(target)


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying; ``-1`` keeps a dimension."""
    target = expanded_shape(a._data.shape, parse_shape(sizes), a.dtype._legacy)
    out = np.broadcast_to(a._data, target)
    return as_view(record(out, ExpandBackward0, (a,)), a)


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    return expand(a, other.shape)


def broadcast_to(a: Tensor, shape: Any) -> Tensor:
    return expand(a, tuple(shape))


class CloneBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g


def clone(a: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory that still records history (``CloneBackward0``)."""
    return record(np.array(a._data, copy=True), CloneBackward0, (a,))


def contiguous(a: Tensor, memory_format: Any = None) -> Tensor:
    return a if a._data.flags.c_contiguous else clone(a)


class ToCopyBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g  # the engine casts it back to the input's dtype


def to(a: Tensor, *args: Any, dtype: Any = None, copy: bool = False, **kwargs: Any) -> Tensor:
    """Convert to a dtype (devices other than the CPU are refused)."""
    from gradlab.tensor import check_device, device

    for x in args:
        if isinstance(x, _dtype.dtype) or x in (float, int, bool):
            dtype = x
        elif isinstance(x, Tensor):
            dtype = x.dtype
        else:
            check_device(device(x))
    check_device(kwargs.get("device"))
    if dtype is None:
        return clone(a) if copy else a
    d = _dtype.to_dtype(dtype, "to")
    if d.np == a._data.dtype and not copy:
        return a
    out = a._data.astype(d.np)
    if not d.is_floating_point:
        return Tensor._make(out)
    return record(out, ToCopyBackward0, (a,))


def type_as(a: Tensor, other: Tensor) -> Tensor:
    return to(a, other.dtype)
