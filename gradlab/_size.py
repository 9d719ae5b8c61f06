"""Where a tensor's elements are: its shape, and the strides PyTorch gives its copies.

``Size`` is the tuple subclass PyTorch returns from ``.shape`` and ``.size()``.

Memory layout is decided as PyTorch decides it: which strides a copy or a new tensor "like" an
existing one gets. PyTorch keeps the strides of a dense, non-overlapping tensor (a transpose
stays transposed in ``clone()`` and ``empty_like``) and makes anything else C-contiguous.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Size", "memory_order", "is_dense"]


def _size_item(i: int, x: Any) -> int:
    """One entry as ``torch.Size`` takes it: anything with ``__index__`` (one-element int tensors
    included), but no floats, strings or float tensors."""
    if type(x).__name__ in ("Tensor", "Parameter") and hasattr(x, "_data"):
        if x._data.size == 1 and x._data.dtype.kind in "iub":
            x = x._data.reshape(()).item()
    try:
        value = operator.index(x)
    except TypeError:
        raise TypeError(f"gradlab.Size() takes an iterable of 'int' (item {i} is "
                        f"'{type(x).__name__}')") from None
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError("Overflow when unpacking long long")
    return value


class Size(tuple):
    """A tensor's shape; a tuple that prints as ``gradlab.Size([2, 3])``."""

    __slots__ = ()

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        items = tuple(sizes)
        for x in items:  # the common case (a numpy shape) is checked by this loop alone
            if type(x) is not int:
                items = tuple(_size_item(i, x) for i, x in enumerate(items))
                break
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        return f"gradlab.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (Size, (tuple(self),))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key: Any) -> Any:  # slices stay Sizes, as in PyTorch
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            "gradlab.Size")
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: Any) -> Any:
        try:
            return Size(tuple(self) * operator.index(n))
        except TypeError:
            return NotImplemented

    __rmul__ = __mul__


# -- memory layout --------------------------------------------------------------------------
def memory_order(like: np.ndarray, dense: bool = True) -> tuple[int, ...] | None:
    """The dims of ``like`` from outermost to innermost in memory when PyTorch would give a
    tensor ``empty_like`` it the same strides (dense, non-overlapping, yet not C-ordered, as a
    transpose is); None when values are filled in the plain logical order.

    PyTorch's random fills walk memory in order, so ``rand_like(x.t())`` or dropout of a
    transposed tensor draws along x's memory: this is what lets gradlab draw the same way.
    With ``dense=False`` (a fill of ``like`` itself, e.g. ``x.t()[::2].uniform_()``) any
    positive strides give the order.
    """
    if like.ndim < 2 or like.flags.c_contiguous:
        return None
    dims = [d for d in range(like.ndim) if like.shape[d] != 1]
    if any(like.strides[d] <= 0 for d in dims):
        return None
    order = sorted(dims, key=lambda d: like.strides[d], reverse=True)
    expected = like.itemsize
    for d in reversed(order):
        if dense and like.strides[d] != expected:
            return None  # gaps or overlaps: PyTorch makes a contiguous tensor instead
        expected *= like.shape[d]
    return tuple(d for d in range(like.ndim) if like.shape[d] == 1) + tuple(order)


def is_dense(like: np.ndarray) -> bool:
    """Dense and non-overlapping (any order of dims): PyTorch's copies keep such strides."""
    return like.flags.c_contiguous or memory_order(like) is not None
