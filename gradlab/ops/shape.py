"""Shape operations: view, reshape, squeeze, unsqueeze, transpose, permute, expand, to, clone.

Views share memory and the version counter with their base, as in PyTorch, so an in-place
change through one is seen (and checked) through the other.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._size import is_dense
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.tensor import Tensor, _wrap_dim, check_device


def as_view(res: Tensor, base: Tensor) -> Tensor:
    """Mark ``res`` as a view of ``base``: same version counter, same ultimate base."""
    if np.shares_memory(res._data, base._data) if res._data.size else True:
        res._vc = base._vc
        res._base = base._base if base._base is not None else base
        if not STATE.enabled and res._base._rg:  # see inplace.check_inplace
            res._made_without_grad = True
            res._rg = True  # as PyTorch reports it; its gradient goes nowhere (accumulator)
        if base._inference:  # a view of an inference tensor is one too
            res._inference = True
    return res


def _as_int(a: Any) -> int | None:
    if isinstance(a, Tensor):
        return a._data.reshape(()).item() if a._data.size == 1 and a._data.dtype.kind in "iu" \
            else None
    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
        return int(a)
    return None


def parse_shape(args: tuple, name: str = "view", arg: str = "size") -> tuple[int, ...]:
    """``view(2, 3)``, ``view((2, 3))`` and ``view([2, 3])`` all mean the shape (2, 3).

    Anything but ints is refused with the message PyTorch's argument parser gives ``name``.
    """
    packed = len(args) == 1 and isinstance(args[0], (tuple, list))
    if packed:
        args = tuple(args[0])
    out = []
    for i, a in enumerate(args):
        value = _as_int(a)
        if value is None:
            kind = type(a).__name__
            if len(args) == 1 and not packed:
                raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, "
                                f"not {kind}")
            if i == 0:
                raise TypeError(f"{name}(): argument '{arg}' (position 1) must be tuple of ints, "
                                f"but found element of type {kind} at pos 0")
            raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got {kind}\"")
        out.append(value)
    return tuple(out)


def _infer(shape: tuple[int, ...], size: int) -> tuple[int, ...]:
    """``shape`` with its ``-1`` filled in, checked as ATen's ``infer_size`` checks it."""
    known, infer = 1, None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if size == known or (infer is not None and known > 0 and size % known == 0):
        if infer is None:
            return shape
        if known == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
        return shape[:infer] + (size // known,) + shape[infer + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")


class ViewBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g.reshape(self.shape)


class UnsafeViewBackward0(ViewBackward0):
    pass


def view(a: Tensor, *shape: Any) -> Tensor:
    """The same memory seen with another shape; fails if the memory layout does not allow it."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise NotImplementedError("view(dtype) is not supported in gradlab")
    if not shape:
        raise TypeError("view() received an invalid combination of arguments - got (), but "
                        "expected one of:\n * (tuple of ints size)\n * (gradlab.dtype dtype)")
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
    if not shape:
        raise TypeError('reshape() missing 1 required positional arguments: "shape"')
    new = _infer(parse_shape(shape, "reshape", "shape"), a._data.size)
    try:
        out = np.reshape(a._data, new, copy=False)
    except ValueError:
        return record(np.reshape(a._data, new), UnsafeViewBackward0, (clone(a),),
                      shape=a._data.shape)
    return as_view(record(out, ViewBackward0, (a,), shape=a._data.shape), a)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    nd = a._data.ndim
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if nd == 0:
        return reshape(a, 1)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return a
    shape = a._data.shape
    return reshape(a, shape[:s] + (-1,) + shape[e + 1:])


def unflatten(a: Tensor, dim: int, sizes: Any) -> Tensor:
    d = _wrap_dim(dim, a._data.ndim)
    shape, sizes = a._data.shape, parse_shape((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    if (known != shape[d] if -1 not in sizes else (known == 0 or shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({shape[d]}) in the input tensor")
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
        wrapped = [_wrap_dim(d, len(shape)) for d in
                   (dim if isinstance(dim, (tuple, list)) else (dim,))]
        for i, d in enumerate(wrapped):
            if d in wrapped[:i]:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims = set(wrapped)
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
        inv = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        return g.permute(inv) if isinstance(g, Tensor) else g.transpose(inv)


class TransposeBackward0(PermuteBackward0):
    pass


class TBackward0(PermuteBackward0):
    pass


def permute(a: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """The dimensions reordered: dimension ``i`` of the result is ``dims[i]`` of ``a``."""
    if not dims and set(kwargs) == {"dims"}:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"permute() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:  # even a 0-d tensor needs an explicit ``permute(())``
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = parse_shape(dims, "permute", "dims")
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
    d0, d1 = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    dims = _swap(nd, d0, d1) if nd else ()
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
    for i in range(lead):
        if sizes[i] == -1:
            raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a leading, "
                               f"non-existing dimension {i}")
    for i, s in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(shape)}")
    if any(s < 0 for s in target):
        raise RuntimeError("numel: integer multiplication overflow")
    return tuple(target)


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying; ``-1`` keeps a dimension."""
    target = expanded_shape(a._data.shape, parse_shape(sizes, "expand", "size"), a.dtype._legacy)
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
    """A copy with its own memory that still records history (``CloneBackward0``).

    As PyTorch's ``preserve_format``: a dense tensor (a transpose too) keeps its strides,
    anything else (an expanded or strided view) becomes C-contiguous.
    """
    order = "K" if is_dense(a._data) else "C"
    return record(np.array(a._data, order=order, copy=True), CloneBackward0, (a,))


def contiguous(a: Tensor, memory_format: Any = None) -> Tensor:
    """``a`` itself if C-contiguous, else a C-ordered copy (strides (n, 1), as in PyTorch)."""
    if a._data.flags.c_contiguous:
        return a
    return record(np.array(a._data, order="C", copy=True), CloneBackward0, (a,))


class ToCopyBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g  # the engine casts it back to the input's dtype


def to_args(args: tuple, dtype: Any = None, device: Any = None) -> _dtype.dtype | None:
    """The dtype ``.to(*args, dtype=..., device=...)`` asks for, ``None`` if it names only a
    device; one parser for ``Tensor.to`` and ``Module.to``. Devices other than the CPU are
    refused."""
    for x in args:
        if isinstance(x, _dtype.dtype) or x in (float, int, bool):
            dtype = x
        elif isinstance(x, Tensor):
            dtype = x.dtype
        else:
            check_device(x)
    check_device(device)
    return None if dtype is None else _dtype.to_dtype(dtype, "to")


def to(a: Tensor, *args: Any, dtype: Any = None, copy: bool = False, **kwargs: Any) -> Tensor:
    """Convert to a dtype (devices other than the CPU are refused)."""
    d = to_args(args, dtype, kwargs.get("device"))
    if d is None:
        return clone(a) if copy else a
    if d.np == a._data.dtype and not copy:
        return a
    out = a._data.astype(d.np)
    if not d.is_floating_point:
        return Tensor._make(out)
    return record(out, ToCopyBackward0, (a,))


def type_as(a: Tensor, other: Tensor) -> Tensor:
    return to(a, other.dtype)
