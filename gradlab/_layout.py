"""Memory layout as PyTorch decides it: which strides a copy or a new tensor "like" an existing
one gets. PyTorch keeps the strides of a dense, non-overlapping tensor (a transpose stays
transposed in ``clone()`` and ``empty_like``) and makes anything else C-contiguous.
"""

from __future__ import annotations

import numpy as np

__all__ = ["memory_order", "is_dense"]


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
