"""The adds of PyTorch's CPU sum kernel (``SumKernel.cpp``), in its order, on numpy arrays.

A four-level cascade with four interleaved accumulators over SIMD vectors; the serial and
threaded iterations over the planes ``TensorIterator`` lays out.
"""

from __future__ import annotations

import numpy as np

from gradlab._numerics.cpu import _GRAIN_SIZE, _VEC_BYTES, _WIDE_VEC_BYTES

# -- the adds, in torch's order ------------------------------------------------------------------
# Every helper reduces axis -2 of an array shaped (..., rows, lanes) and keeps the lanes apart,
# as the SIMD lanes and the independent output columns of the C++ loops are kept apart.
# The same code also runs on arrays of ``_Sym`` objects, to record the order for small inputs.


def _lanes_inner(a: np.ndarray) -> bool:
    """Whether numpy's reduction over axis -2 of ``a`` keeps one accumulator per lane.

    numpy adds pairwise only when the reduced axis is its innermost loop; its iterator makes
    the axis with the smallest stride innermost, so lanes (axis -1) with strictly the smallest
    stride of all axes longer than 1 mean a plain left-to-right sum for every lane.
    """
    if a.ndim < 2 or a.shape[-1] < 2 or a.shape[-2] < 2:
        return False
    inner = abs(a.strides[-1])
    return inner > 0 and all(
        abs(st) > inner for st, n in zip(a.strides[:-1], a.shape[:-1]) if n > 1)


def _seq(a: np.ndarray) -> np.ndarray:
    """((a0 + a1) + a2) + ... over axis -2: one accumulator, left to right."""
    n = a.shape[-2]
    if n == 0:
        return np.zeros(a.shape[:-2] + a.shape[-1:], a.dtype)
    if n == 1:
        return a[..., 0, :].copy()
    if n == 2:
        return a[..., 0, :] + a[..., 1, :]
    if _lanes_inner(a):
        return np.add.reduce(a, axis=-2)
    if n > 16:
        return np.add.accumulate(a, axis=-2)[..., -1, :]
    s = a[..., 0, :] + a[..., 1, :]
    for i in range(2, n):
        s += a[..., i, :]
    return s


def _seq_last(a: np.ndarray) -> np.ndarray:
    """The same over the last axis (accumulate is slow on many short rows: loop those)."""
    n = a.shape[-1]
    if n == 1:
        return a[..., 0]
    rows = a.size // n
    if rows < 64 or rows < 8 * n:
        return np.add.accumulate(a, axis=-1)[..., -1]
    s = a[..., 0] + a[..., 1]
    for i in range(2, n):
        s += a[..., i]
    return s


def _ceil_log2(n: int) -> int:
    return 1 if n <= 2 else (n - 1).bit_length()


def _cascade(a: np.ndarray) -> np.ndarray:
    """``multi_row_sum``: four levels, each flushed every ``2**level_power`` rows.

    (Sums of no rows are left out rather than added as zeros: that changes at most the sign
    of a zero, which the final ``+ 0.0`` of every caller makes positive anyway.)
    """
    n = a.shape[-2]
    step = 1 << max(4, _ceil_log2(n) // 4)
    blocks = n // step
    if blocks == 0:
        return _seq(a)
    lead, lanes = a.shape[:-2], a.shape[-1:]
    acc = _seq(a[..., blocks * step :, :]) if n > blocks * step else None  # after the blocks
    level = _seq(a[..., : blocks * step, :].reshape(lead + (blocks, step) + lanes))
    for _ in range(2):  # levels 1 and 2 are flushed upward after `step` entries each
        groups = level.shape[-2] // step
        if level.shape[-2] > groups * step:
            rest = _seq(level[..., groups * step :, :])
            acc = rest if acc is None else acc + rest
        if groups == 0:
            return acc
        level = _seq(level[..., : groups * step, :].reshape(lead + (groups, step) + lanes))
    last = _seq(level)  # level 3 is never flushed
    return last if acc is None else acc + last


def _ilp(a: np.ndarray) -> np.ndarray:
    """``row_sum``: rows 4i+k go to accumulator k, then acc0 + acc1 + acc2 + acc3."""
    n, lanes = a.shape[-2], a.shape[-1]
    lead, m = a.shape[:-2], a.shape[-2] // 4
    parts = _cascade(a[..., : 4 * m, :].reshape(lead + (m, 4 * lanes)))
    parts = parts.reshape(lead + (4, lanes))
    if n > 4 * m:  # the rows left over join accumulator 0 before the others are added
        parts = np.concatenate([parts[..., :1, :], a[..., 4 * m :, :], parts[..., 1:, :]], -2)
    return np.add.accumulate(parts, axis=-2)[..., -1, :]  # ((acc0 + acc1) + acc2) + acc3


def _loop2d(b: np.ndarray, stride0: int, stride1: int, itemsize: int) -> np.ndarray:
    """The ``cascade_sum`` inner loop on planes ``b`` shaped (..., size1, size0).

    Dim 0 (last axis) is reduced; returns the value stored for each j < size1, in order.
    The byte strides torch sees choose one of the four kernels of ``SumKernel.cpp``.
    """
    size1, size0 = b.shape[-2], b.shape[-1]
    vec = _VEC_BYTES // itemsize
    if stride0 == itemsize and size0 >= vec:  # vectorized_inner_sum
        k = size0 // vec
        lanes = _ilp(b[..., : k * vec].reshape(b.shape[:-1] + (k, vec)))
        return _seq_last(np.concatenate([b[..., k * vec :], lanes], axis=-1))
    cols = b.swapaxes(-1, -2)  # rows: the reduced dim; lanes: the size1 outputs
    if stride1 == itemsize and size1 >= vec:  # vectorized_outer_sum: 4 vectors per pass
        split = size1 // (4 * vec) * (4 * vec)
    elif stride0 < stride1:  # scalar_inner_sum
        split = 0
    else:  # scalar_outer_sum: 4 columns per pass
        split = size1 // 4 * 4
    if split == size1:
        return _cascade(cols)
    if split == 0:
        return _ilp(cols)
    return np.concatenate([_cascade(cols[..., :split]), _ilp(cols[..., split:])], axis=-1)


# -- serial and threaded iteration ---------------------------------------------------------------


def _serial(a: np.ndarray, ist: list[int], nred: int, itemsize: int) -> np.ndarray:
    """``serial_for_each`` over whole planes: one value per output, kept dims in numpy order."""
    ndim = a.ndim
    planes = a if ndim >= 2 else a[None, :]
    w = _loop2d(planes, ist[0], ist[1] if ndim >= 2 else 0, itemsize)
    # stores into one output follow each other: dim 1 fastest, then dim 2, ...
    return _seq_last(w.reshape(w.shape[: ndim - nred] + (-1,)))


def _range_values(a3: np.ndarray, ist0: int, ist1: int, begin: int, end: int) -> np.ndarray:
    """The values one thread of a two-pass reduction stores, in order (``DimCounter`` steps)."""
    _, size1, size0 = a3.shape
    plane = size0 * size1
    values = []
    off = begin
    while off < end:
        p, rest = divmod(off, plane)
        j, i = divmod(rest, size0)
        if i == 0 and j == 0 and end - off >= plane:  # whole planes, one 2-d call each
            k = (end - off) // plane
            block, off = a3[p : p + k], off + k * plane
        else:
            step0, step1 = min(size0 - i, end - off), 1
            if step0 == size0:
                step1 = min(size1 - j, (end - off) // size0)
            block, off = a3[p, j : j + step1, i : i + step0], off + step0 * step1
        values.append(_loop2d(block, ist0, ist1, a3.itemsize).ravel())
    return np.concatenate(values)


def _two_pass(a: np.ndarray, ist: list[int], threads: int) -> np.ndarray:
    """One output, many elements: each thread sums a slice of the flat range into a buffer."""
    numel = a.size
    used = min(threads, -(-numel // _GRAIN_SIZE))
    chunk = -(-numel // used)
    a3 = a.reshape((-1,) + a.shape[-2:]) if a.ndim >= 2 else a.reshape(1, 1, -1)
    buffer = np.zeros(threads, a.dtype)
    for tid in range(used):
        begin, end = tid * chunk, min(numel, (tid + 1) * chunk)
        if begin < end:
            values = _range_values(a3, ist[0], ist[1] if a.ndim >= 2 else 0, begin, end)
            buffer[tid] = _seq_last(values)
    return _serial(buffer, [buffer.itemsize], 1, buffer.itemsize)


def _split_columns(a: np.ndarray, sizes: list[int], ist: list[int], nred: int, threads: int):
    """Many outputs: ``parallel_dim_reduction`` narrows one kept dim per thread.

    Only a split of iterator dim 1 changes the order (it changes which columns the outer
    kernels handle four at a time); splitting an outer dim leaves every plane whole.
    """
    dim = best = len(sizes) - 1
    while dim >= nred:
        if sizes[dim] >= threads:
            best = dim
            break
        if sizes[dim] > sizes[best]:
            best = dim
        dim -= 1
    if best != 1:
        return _serial(a, ist, nred, a.itemsize)
    cols = sizes[1]
    used = min(threads, cols)
    chunk = -(-cols // used)
    per = 128 // a.itemsize if ist[1] == a.itemsize else 1  # 128-byte aligned column blocks
    pieces = []
    for tid in range(used):
        begin, end = tid * chunk, min(cols, (tid + 1) * chunk)
        if begin >= end:
            continue
        begin -= begin % per
        end -= end % per if end != cols else 0
        if begin < end:
            pieces.append(_loop2d(a[..., begin:end, :], ist[0], ist[1], a.itemsize))
    return np.concatenate(pieces, axis=-1)


# -- vec::reduce_all: one row at a time, as softmax sums a row ---------------------------------


def reduce_all_sum(v: np.ndarray) -> np.ndarray:
    """The sum over the last axis in ``vec::reduce_all``'s order (softmax's kernels): a vector
    of lanes added column by column, a partial last vector into its first lanes, then the lanes
    folded in halves (float32) or in order; a row shorter than a vector, left to right."""
    width = _WIDE_VEC_BYTES // v.itemsize
    n = v.shape[-1]
    if n < width:
        return np.add.accumulate(v, axis=-1)[..., -1] if n else np.zeros(v.shape[:-1], v.dtype)
    body = n - n % width
    acc = v[..., :width].copy()
    for start in range(width, body, width):
        acc += v[..., start:start + width]
    acc[..., :n - body] += v[..., body:]
    if v.dtype != np.float32:
        return np.add.accumulate(acc, axis=-1)[..., -1]
    lanes, step = np.arange(width), width // 2
    while step:
        acc = acc + acc[..., lanes ^ step]
        step //= 2
    return acc[..., 0]
