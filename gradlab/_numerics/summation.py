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
import os
import platform
import re
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from gradlab._numerics.quiet import quiet, restore

_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE: below this many elements torch stays serial


# -- what this machine's torch would do --------------------------------------------------------


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_capability() -> str:
    """What ``torch.backends.cpu.get_cpu_capability()`` would report on this machine.

    Like torch: ``ATEN_CPU_CAPABILITY`` (``default``, ``avx2``, ``avx512``) wins, otherwise
    AVX512 needs avx512vl+bw+dq and fma, AVX2 needs avx2 and fma.
    """
    machine = platform.machine().lower()
    wanted = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if machine in ("x86_64", "amd64", "i686", "x86"):
        if wanted in ("default", "avx2", "avx512"):
            return wanted.upper()
        flags = _cpu_flags()
        if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
            return "AVX512"
        if {"avx2", "fma"} <= flags:
            return "AVX2"
    return "DEFAULT"


def _sum_vector_bytes() -> int:
    """Width of ``Vectorized<float>`` in the kernel torch's ``sum_stub`` dispatches to.

    On x86 it is 32 bytes whatever the capability: the DEFAULT and AVX2 builds use 32-byte
    vectors, and ``SumKernel.cpp`` registers with ``REGISTER_DISPATCH``, which leaves the
    AVX512 slot empty so AVX512 machines fall back to the AVX2 kernel. ARM (NEON) uses 16.
    """
    machine = platform.machine().lower()
    return 16 if machine in ("aarch64", "arm64") else 32


def _physical_cores() -> int:
    """Physical cores, as cpuinfo counts them for torch's default thread count."""
    siblings = set()
    for entry in (
        os.listdir("/sys/devices/system/cpu") if os.path.isdir("/sys/devices/system/cpu") else ()
    ):
        if re.fullmatch(r"cpu\d+", entry):
            path = f"/sys/devices/system/cpu/{entry}/topology/thread_siblings_list"
            try:
                with open(path, encoding="ascii") as f:
                    siblings.add(f.read().strip())
            except OSError:
                pass
    return len(siblings) or os.cpu_count() or 1


def _default_num_threads() -> int:
    """torch's ``intraop_default_num_threads``: OMP/MKL_NUM_THREADS, else physical cores."""
    count = 0
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        match = re.match(r"\s*(\d+)", os.environ.get(var, ""))
        if match and int(match.group(1)) > 0:
            count = int(match.group(1))
    return count or _physical_cores()


_VEC_BYTES = _sum_vector_bytes()
_num_threads = _default_num_threads()


def get_num_threads() -> int:
    """Threads torch would split a large sum over (``torch.get_num_threads()``)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Mirror ``torch.set_num_threads(n)``: sums above 32768 elements depend on it."""
    global _num_threads
    if int(n) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = int(n)


# -- the adds, in torch's order ------------------------------------------------------------------
# Every helper reduces axis -2 of an array shaped (..., rows, lanes) and keeps the lanes apart,
# as the SIMD lanes and the independent output columns of the C++ loops are kept apart.
# The same code also runs on arrays of ``_Sym`` objects, to record the order for small inputs.


def _seq(a: np.ndarray) -> np.ndarray:
    """((a0 + a1) + a2) + ... over axis -2: one accumulator, left to right."""
    n = a.shape[-2]
    if n == 0:
        return np.zeros(a.shape[:-2] + a.shape[-1:], a.dtype)
    if n > 256:
        return np.add.accumulate(a, axis=-2)[..., -1, :]
    if n == 1:
        return a[..., 0, :].copy()
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
    """``multi_row_sum``: four levels, each flushed every ``2**level_power`` rows."""
    n = a.shape[-2]
    step = 1 << max(4, _ceil_log2(n) // 4)
    blocks = n // step
    acc = _seq(a[..., blocks * step :, :])  # the rows after the last full block
    if blocks == 0:
        return acc
    lead, lanes = a.shape[:-2], a.shape[-1:]
    level = _seq(a[..., : blocks * step, :].reshape(lead + (blocks, step) + lanes))
    for _ in range(2):  # levels 1 and 2 are flushed upward after `step` entries each
        groups = level.shape[-2] // step
        acc = acc + _seq(level[..., groups * step :, :])
        level = _seq(level[..., : groups * step, :].reshape(lead + (groups, step) + lanes))
    return acc + _seq(level)  # level 3 is never flushed


def _ilp(a: np.ndarray) -> np.ndarray:
    """``row_sum``: rows 4i+k go to accumulator k, then acc0 + acc1 + acc2 + acc3."""
    n, lanes = a.shape[-2], a.shape[-1]
    lead, m = a.shape[:-2], a.shape[-2] // 4
    parts = _cascade(a[..., : 4 * m, :].reshape(lead + (m, 4 * lanes)))
    parts = parts.reshape(lead + (4, lanes))
    acc = parts[..., 0, :]
    for i in range(4 * m, n):
        acc = acc + a[..., i, :]
    return ((acc + parts[..., 1, :]) + parts[..., 2, :]) + parts[..., 3, :]


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


# -- small inputs: record the order once per layout, then replay it with a few gathers ----------

_TRACE_LIMIT = 4096
_PLAN_CACHE_SIZE = 512
_plans: dict[tuple, tuple] = {}
_direct: dict[tuple, tuple] = {}  # plans that are a single run of adds, by layout and dims


class _Sym:
    """A symbolic number: running the kernels on these records which adds happen, in order."""

    __slots__ = ("left", "right", "leaf")

    def __init__(self, left: Any = None, right: Any = None, leaf: int = -1) -> None:
        self.left, self.right, self.leaf = left, right, leaf

    def __add__(self, other: Any) -> _Sym:
        return self if isinstance(other, int) else _Sym(self, other)  # 0 + x is x

    def __radd__(self, other: Any) -> _Sym:
        return self if isinstance(other, int) else _Sym(other, self)


def _chain(node: _Sym) -> list[_Sym]:
    """((a + b) + c) + d  ->  [a, b, c, d]: a run of adds into one accumulator."""
    ops = []
    while node.leaf < 0:
        ops.append(node.right)
        node = node.left
    ops.append(node)
    return ops[::-1]


def _compile(values: list[_Sym], n_leaves: int) -> tuple:
    """Group the chains by depth: each depth becomes one gather and one sequential sum.

    Slots 0..n-1 of the replay buffer hold the input, slot n holds 0.0 (padding a short
    chain with trailing zeros leaves its sum unchanged), chain results follow.
    """
    slot: dict[int, int] = {}
    depth: dict[int, int] = {}
    levels: dict[int, list] = {}
    stack = [(v, False) for v in values if v.leaf < 0]
    while stack:
        node, ready = stack.pop()
        if id(node) in slot:
            continue
        ops = _chain(node)
        if not ready:
            stack.append((node, True))
            stack.extend((op, False) for op in ops if op.leaf < 0)
            continue
        depth[id(node)] = 1 + max((depth[id(op)] for op in ops if op.leaf < 0), default=0)
        slot[id(node)] = n_leaves + 1 + len(slot)
        row = [op.leaf if op.leaf >= 0 else slot[id(op)] for op in ops]
        levels.setdefault(depth[id(node)], []).append((row, slot[id(node)]))
    plan = []
    for d in sorted(levels):
        width = max(len(row) for row, _ in levels[d])
        gather = np.full((len(levels[d]), width), n_leaves, np.intp)
        for i, (row, _) in enumerate(levels[d]):
            gather[i, : len(row)] = row
        plan.append((gather, np.array([s for _, s in levels[d]], np.intp)))
    final = np.array([v.leaf if v.leaf >= 0 else slot[id(v)] for v in values], np.intp)
    direct = None  # one run of adds per output, no padding: gather from x and sum
    if len(plan) == 1 and np.array_equal(plan[0][1], final) and (plan[0][0] < n_leaves).all():
        direct = plan[0][0]
    return plan, final, n_leaves + 1 + len(slot), direct


def _trace(x: np.ndarray, reduced: list[bool], out_shape: tuple, layout: tuple, nred: int) -> tuple:
    """Run the serial kernels on symbols standing for x's elements (in C order)."""
    perm, sizes, ist, _ = layout
    leaves = np.empty(x.size, object)
    leaves[:] = [_Sym(leaf=i) for i in range(x.size)]
    symbols = _iter_view(leaves.reshape(x.shape), perm, sizes)
    values = _serial(symbols, ist, nred, x.itemsize)
    return _compile(list(_to_output(values, x.shape, perm, reduced, out_shape).ravel()), x.size)


def _replay(x: np.ndarray, plan: tuple) -> np.ndarray:
    """Evaluate a traced plan on x (any strides: the plan indexes x in C order)."""
    levels, final, nslots, direct, out_shape, dtype = plan
    flat = x.reshape(-1)
    if flat.dtype != dtype:
        flat = flat.astype(dtype)
    if direct is not None:
        rows = flat[direct]
        if rows.shape[0] == 1:  # one output: its adds, left to right
            return (np.add.accumulate(rows[0])[-1:] + dtype.type(0)).reshape(out_shape)
        return (_seq_last(rows) + dtype.type(0)).reshape(out_shape)
    buf = np.empty(nslots, dtype)
    buf[: flat.size] = flat
    buf[flat.size] = 0
    for gather, slots in levels:
        m = buf[gather]
        buf[slots] = m[:, 0] + m[:, 1] if m.shape[1] == 2 else _seq_last(m)
    return (buf[final] + dtype.type(0)).reshape(out_shape)


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
    if x.size >= _GRAIN_SIZE and _num_threads > 1:
        if nred == len(sizes):
            values = _two_pass(a, ist, _num_threads)
        else:
            values = _split_columns(a, sizes, ist, nred, _num_threads)
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
        try:
            hit = _direct.get((x.shape, x.strides, x.dtype.char, axis, keepdims))
        except TypeError:  # an unhashable axis (a list)
            hit = None
        if hit is not None:
            index, out_shape, zero = hit
            # [-1:] keeps an array: a numpy scalar reshaped here kept memory alive
            token = quiet()  # torch gives inf/nan silently
            try:
                total = np.add.accumulate(x.reshape(-1)[index])[-1:] + zero
            finally:
                restore(token)
            return total.reshape(out_shape)
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
    else:
        reduced = _dims(axis, x.ndim)
        count = math.prod([n for n, r in zip(x.shape, reduced) if r])
    total = torch_sum(x, axis, keepdims, dtype)
    token = quiet()
    try:
        return np.asarray(total / target.type(count), dtype=target)
    finally:
        restore(token)
