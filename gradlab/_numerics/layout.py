"""``TensorIterator``'s layout of a reduction: dims reordered by stride and coalesced.

Which dims are walked first decides the order of the adds, so ``summation`` asks here how
PyTorch would walk an array (its strides included) before adding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

# -- TensorIterator's layout ---------------------------------------------------------------------


def _contiguous(shape: list[int]) -> list[int]:
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * max(shape[i + 1], 1)
    return strides


def _sort_dims(ndim: int, should_swap: Any) -> list[int]:
    """torch's insertion sort of dims (innermost first) that stops at a decisive comparison."""
    perm = list(range(ndim - 1, -1, -1))
    for i in range(1, ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            cmp = should_swap(perm[d0], perm[d1])
            if cmp > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif cmp < 0:
                break
    return perm


def _layout(
    shape: tuple[int, ...], strides: list[int], reduced: list[bool], keepdims: bool, size: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """The dim order, then sizes, input and output byte strides of the coalesced iterator
    (iterator dim 0 moves fastest).

    Mirrors ``TensorIterator::reduce_op``: the output is contiguous and has stride 0 along
    the reduced dims; ``reorder_dimensions`` puts reduced dims first, then sorts by stride;
    ``coalesce_dimensions`` merges neighbours that are contiguous in both operands.
    """
    if keepdims:
        out = _contiguous([1 if r else s for s, r in zip(shape, reduced)])
        out = [0 if r and s != 1 else o for o, s, r in zip(out, shape, reduced)]
    else:
        kept = iter(_contiguous([s for s, r in zip(shape, reduced) if not r]))
        out = [0 if r else next(kept) for r in reduced]
    ops = ([o * size for o in out], [s * size for s in strides])

    def should_swap(d0: int, d1: int) -> int:
        for k, st in enumerate(ops):
            s0, s1 = st[d0], st[d1]
            if k == 0 and (s0 == 0) != (s1 == 0):  # reduced dims go first
                return 1 if s1 == 0 else -1
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = _sort_dims(len(shape), should_swap)
    sizes = [shape[p] for p in perm]
    ost, ist = ([st[p] for p in perm] for st in ops)
    prev = 0
    for dim in range(1, len(sizes)):
        s0, s1 = sizes[prev], sizes[dim]
        if s0 == 1 or s1 == 1 or (s0 * ist[prev] == ist[dim] and s0 * ost[prev] == ost[dim]):
            if s0 == 1:
                ist[prev], ost[prev] = ist[dim], ost[dim]
            sizes[prev] *= s1
        else:
            prev += 1
            sizes[prev], ist[prev], ost[prev] = s1, ist[dim], ost[dim]
    return perm, sizes[: prev + 1], ist[: prev + 1], ost[: prev + 1]


def _iter_view(x: np.ndarray, perm: list[int], sizes: list[int]) -> np.ndarray:
    """x as the iterator walks it: one numpy axis per iterator dim, the slowest first."""
    return x.transpose(perm[::-1]).reshape(sizes[::-1])


def _to_output(
    values: np.ndarray, shape: tuple, perm: list[int], reduced: list[bool], out_shape: tuple
) -> np.ndarray:
    """Values laid out along the kept iterator dims -> the C-ordered result."""
    kept = [p for p in perm[::-1] if not reduced[p]]
    values = np.reshape(values, [shape[p] for p in kept])
    return values.transpose(np.argsort(kept).tolist()).reshape(out_shape)


def _cast_like_torch(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``Tensor.to(dtype)``: a dense layout keeps its strides, any other gets dense strides
    in the same order (``infer_dense_strides``), which decides the order of the sum."""
    shape, strides = x.shape, [s // x.itemsize for s in x.strides]
    order = sorted((st, n) for st, n in zip(strides, shape) if n > 1)
    expected, dense = 1, True
    for st, n in order:
        dense &= st == expected
        expected *= n
    if not dense:

        def should_swap(d0: int, d1: int) -> int:
            s0, s1 = strides[d0], strides[d1]
            if s0 == 0 or s1 == 0:
                return 0
            return (s0 > s1) - (s0 < s1) or int(shape[d0] > shape[d1])

        dense_strides, step = [0] * x.ndim, 1
        for p in _sort_dims(x.ndim, should_swap):
            dense_strides[p] = step
            step *= max(shape[p], 1)
        strides = dense_strides
    extent = 1 + sum((n - 1) * st for n, st in zip(shape, strides))
    y = as_strided(
        np.empty(extent, dtype), shape, [st * dtype.itemsize for st in strides], writeable=True
    )
    y[...] = x
    return y
