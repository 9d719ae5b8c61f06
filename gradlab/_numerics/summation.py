"""Sums that add floating-point numbers in exactly the order PyTorch's CPU kernel does.

Float addition is not associative, so the last bit of a sum depends on the order of the adds.
numpy adds pairwise; PyTorch (``aten/src/ATen/native/cpu/SumKernel.cpp``) lays the input out
with ``TensorIterator`` and then runs a four-level cascade with four interleaved accumulators
over 32-byte SIMD vectors. This module replays that order with vectorised numpy, so that
gradlab prints ``tensor(1763.8848)`` where PyTorch does, and not ``1763.8846``.

The replay follows PyTorch 2.x on CPU:

* ``TensorIterator`` puts reduced dims first, sorts dims by input stride and merges
  adjacent dims that are contiguous with each other;
* the 2-d inner loop picks one of four kernels (vectorised inner or outer reduction,
  scalar inner or outer) from the two innermost strides and sizes;
* above 32768 elements the work is split over ``get_num_threads()`` threads, which changes
  the order again (a two-pass reduction for a single output, column chunks otherwise).

Inputs of up to 4096 elements run the same kernels once on symbols, which records the order
of the adds as a plan of a few gathers and running sums; later calls with the same shape,
strides and dims only replay the plan (a few microseconds). Integer sums are exact in any
order, so numpy computes them. Float16, bfloat16 and complex sums are not replayed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlab._numerics import cpu
from gradlab._numerics.cpu import _GRAIN_SIZE, _VEC_BYTES
from gradlab._numerics.floats import quiet, restore
from gradlab._numerics.layout import _cast_like_torch, _iter_view, _layout, _to_output
from gradlab._numerics.order import _cascade, _ilp, _serial, _split_columns, _two_pass
from gradlab._numerics.plans import _PLAN_CACHE_SIZE, _direct, _plans, _replay, _trace

_TRACE_LIMIT = 4096  # inputs up to this size are traced once per layout and replayed

# -- putting it together -------------------------------------------------------------------------


def _float_sum(
    x: np.ndarray, reduced: list[bool], keepdims: bool, out_shape: tuple, key: tuple | None
) -> np.ndarray:
    size = x.itemsize
    layout = _layout(x.shape, [s // size for s in x.strides], reduced, keepdims, size)
    perm, sizes, ist, ost = layout
    nred = next((k for k, o in enumerate(ost) if o != 0), len(ost))
    trivial = x.size == 1 or nred == 0  # nothing to add up: torch stores 0 + x
    if trivial and x.size > _TRACE_LIMIT:
        return np.asarray(x.reshape(out_shape) + x.dtype.type(0))
    if x.size <= _TRACE_LIMIT:
        if trivial:
            plan = ([], np.arange(x.size), x.size + 1, None, out_shape, x.dtype)
        else:
            plan = _trace(x, reduced, out_shape, layout, nred) + (out_shape, x.dtype)
        if key is not None:
            if len(_plans) >= _PLAN_CACHE_SIZE:
                _plans.clear()
            _plans[key] = plan
        return _replay(x, plan)
    a = _iter_view(x, perm, sizes)
    if x.size >= _GRAIN_SIZE and cpu.get_num_threads() > 1:
        if nred == len(sizes):
            values = _two_pass(a, ist, cpu.get_num_threads())
        else:
            values = _split_columns(a, sizes, ist, nred, cpu.get_num_threads())
    else:
        values = _serial(a, ist, nred, size)
    values = values + x.dtype.type(0)  # the output starts at +0.0, so -0.0 never survives
    return np.asarray(_to_output(values, x.shape, perm, reduced, out_shape))


# -- public functions ----------------------------------------------------------------------------

_TORCH_NAMES = {"b": "Bool", "u1": "Byte", "i1": "Char", "i2": "Short", "i4": "Int", "i8": "Long"}


def _dims(axis: Any, ndim: int) -> list[bool]:
    """Which dims are reduced; like torch, ``None`` and ``()`` both mean all of them."""
    if axis is None:
        return [True] * ndim
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if not axes:
        return [True] * ndim
    low, high = (-ndim, ndim - 1) if ndim else (-1, 0)
    reduced = [False] * ndim
    for d in axes:
        d = int(d)
        if not low <= d <= high:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{low}, {high}], but got {d})"
            )
        d = d % ndim if ndim else 0
        if ndim and reduced[d]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        if ndim:
            reduced[d] = True
    return reduced




def _direct_sum(x: np.ndarray, axis: Any, keepdims: bool, count: int) -> np.ndarray | None:
    """The sum (divided by ``count`` if not 0: a mean) when x's layout and dims are known to
    add up in one run, else None: the fast path of ``torch_sum`` and ``torch_mean``."""
    try:
        hit = _direct.get((x.shape, x.strides, x.dtype.char, axis, keepdims))
    except TypeError:  # an unhashable axis (a list)
        return None
    if hit is None:
        return None
    index, out_shape, zero = hit
    token = quiet()  # torch gives inf/nan silently
    try:  # the last running sum, as a numpy scalar: its own memory, and cheap arithmetic
        total = np.add.accumulate(x.take(index))[-1] + zero  # take: from x in C order
        if count:
            total = total / zero.dtype.type(count)
    finally:
        restore(token)
    total = np.array(total)  # a 0-d array of its own (reshaping the scalar itself leaked)
    return total.reshape(out_shape) if out_shape else total


def torch_sum(
    x: np.ndarray,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """``torch.from_numpy(x).sum(dim=axis, keepdim=keepdims, dtype=dtype)``, bit for bit.

    Float32/float64 sums add in PyTorch's CPU order, strides included (a transposed or
    broadcast view sums in a different order than its contiguous copy, as in torch).
    Integer and bool inputs give an int64 sum. ``axis=()`` reduces every dim, as in torch.
    """
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    if dtype is None:  # the course's sums: one output whose adds run in one known order
        total = _direct_sum(x, axis, keepdims, 0)
        if total is not None:
            return total
        if (axis is None and x.flags.c_contiguous and x.dtype.char in "fd"
                and _TRACE_LIMIT < x.size  # smaller sums replay a recorded plan
                and (x.size < _GRAIN_SIZE or cpu.get_num_threads() == 1)):
            total = _inner_sum(x)  # every element, one SIMD pass: a few numpy calls
            return total.reshape((1,) * x.ndim) if keepdims else total.reshape(())
    axis_key = tuple(axis) if isinstance(axis, list) else axis
    key: tuple | None = (x.shape, x.strides, x.dtype.char, axis_key, keepdims, dtype)
    try:
        plan = _plans.get(key)
    except TypeError:  # something unhashable: no cache
        key = plan = None
    if plan is not None:
        token = quiet()  # torch gives inf/nan silently
        try:
            return _replay(x, plan)
        finally:
            restore(token)
    reduced = _dims(axis, x.ndim)
    if dtype is not None:
        target = np.dtype(dtype)
    else:
        target = np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype
    if keepdims:
        out_shape = tuple(1 if r else n for n, r in zip(x.shape, reduced))
    else:
        out_shape = tuple(n for n, r in zip(x.shape, reduced) if not r)
    if target.kind != "f" or target.itemsize not in (4, 8):  # exact (ints) or unsupported
        axes = tuple(i for i, r in enumerate(reduced) if r)
        return np.asarray(np.sum(x.astype(target), axis=axes, keepdims=keepdims, dtype=target))
    if x.size == 0:
        return np.zeros(out_shape, target)
    if any(s < 0 or s % x.itemsize for s in x.strides):  # torch would need a copy too
        x = np.ascontiguousarray(x)
    if x.dtype != target:
        x = _cast_like_torch(x, target)
    token = quiet()  # torch gives inf/nan silently
    try:
        total = _float_sum(x, reduced, keepdims, out_shape, key)
    finally:
        restore(token)
    plan = _plans.get(key) if key is not None and dtype is None else None
    if plan is not None and plan[3] is not None and plan[3].shape[0] == 1 and \
            x.dtype == target:  # one run of adds: remembered for the fast path above
        if len(_direct) >= _PLAN_CACHE_SIZE:
            _direct.clear()
        _direct[(x.shape, x.strides, x.dtype.char, axis, keepdims)] = (
            plan[3][0], out_shape, x.dtype.type(0))
    return total


def _inner_sum(x: np.ndarray) -> np.ndarray:
    """The sum of a C-contiguous float array with at least one SIMD vector of elements, on one
    thread: ``vectorized_inner_sum`` over the flat data (4 interleaved vector accumulators,
    then the scalar tail and the lanes left to right), as ``_loop2d`` computes it."""
    flat = x.reshape(-1)
    vec = _VEC_BYTES // x.itemsize
    k = flat.size // vec
    token = quiet()  # torch gives inf/nan silently
    try:
        lanes = _ilp(flat[: k * vec].reshape(k, vec))
        total = np.add.accumulate(np.concatenate([flat[k * vec :], lanes]))[-1:]
        total += x.dtype.type(0)  # the output starts at +0.0, so -0.0 never survives
    finally:
        restore(token)
    return total


def column_sum(x: np.ndarray) -> np.ndarray:
    """``torch.from_numpy(x).sum(0)`` of a matrix, bit for bit: a bias gradient.

    For a C-contiguous float matrix summed on one thread, ``TensorIterator`` walks the rows as
    the reduced dim and the columns as SIMD lanes (``vectorized_outer_sum``: blocks of four
    vectors of columns, the rest four at a time), so the adds are those of ``_cascade`` and
    ``_ilp`` run straight on the matrix; anything else takes the general ``torch_sum``.
    """
    rows, cols = x.shape
    serial = x.size < _GRAIN_SIZE or cpu.get_num_threads() == 1
    if x.dtype.char not in "fd" or not x.flags.c_contiguous or rows < 2 or not serial:
        return torch_sum(x, 0)
    if cols == 1:  # a column vector: one flat sum
        return _inner_sum(x) if rows * x.itemsize >= _VEC_BYTES else torch_sum(x, 0)
    vec = _VEC_BYTES // x.itemsize
    split = cols // (4 * vec) * (4 * vec) if cols >= vec else cols // 4 * 4
    token = quiet()  # torch gives inf/nan silently
    try:
        if split == cols:
            total = _cascade(x)
        elif split == 0:
            total = _ilp(x)
        else:
            total = np.concatenate([_cascade(x[:, :split]), _ilp(x[:, split:])])
        total += x.dtype.type(0)  # the output starts at +0.0, so -0.0 never survives
    finally:
        restore(token)
    return total


def torch_mean(
    x: np.ndarray,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """``torch.mean`` on CPU: the torch-ordered sum, then one division by the count,
    rounded to the result dtype (``sum_out(...).div_(dim_prod)`` in ReduceOps.cpp)."""
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    target = np.dtype(dtype) if dtype is not None else x.dtype
    if target.kind not in "fc":
        which = "Optional" if dtype is not None else "Input"
        name = _TORCH_NAMES.get(target.str[1:] if target.kind != "b" else "b", str(target))
        raise RuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {name}"
        )
    if axis is None:
        count = x.size
        if dtype is None and count:
            total = _direct_sum(x, None, keepdims, count)
            if total is not None:
                return total
    else:
        reduced = _dims(axis, x.ndim)
        count = math.prod([n for n, r in zip(x.shape, reduced) if r])
    total = np.asarray(torch_sum(x, axis, keepdims, dtype), dtype=target)  # a fresh array
    token = quiet()
    try:
        np.divide(total, target.type(count), out=total)
    finally:
        restore(token)
    return total
