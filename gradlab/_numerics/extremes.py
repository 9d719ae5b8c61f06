"""Which of two tied zeros (-0.0 or 0.0) PyTorch's max and min return, and so their sign.

``-0.0 == 0.0``, so a maximum is only ambiguous in its sign, and PyTorch's CPU kernels settle
it by their walk: a scalar step keeps the running value on a tie (``std::max``), a SIMD step
(``_mm256_max_ps``) takes the new one, and wide inputs go through vectors. ``max()`` over
everything walks the contiguous data (``reduce_all``); ``amax`` walks TensorIterator's layout
(``binary_kernel_reduce_vec``). Only a zero result with zeros of both signs needs the walk;
everything else is numpy's answer. Above 32768 elements the threads' split counts too
(modelled for a reduction to one value over contiguous data).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradlab._numerics.cpu import _GRAIN_SIZE, _VEC_BYTES, get_num_threads
from gradlab._numerics.layout import _iter_view, _layout


def _step(a: np.ndarray, b: np.ndarray, largest: bool, vector: bool) -> np.ndarray:
    """One step of the kernel: ``max_impl(a, b)`` keeps ``a`` on a tie, ``maximum`` takes
    ``b``; either gives NaN if one side is NaN."""
    if vector:
        out = np.where(a > b if largest else a < b, a, b)
    else:
        out = np.where(a < b if largest else b < a, b, a)
    return np.where(np.isnan(a) | np.isnan(b), np.asarray(np.nan, out.dtype), out)


def _fold(v: np.ndarray, largest: bool, vector: bool) -> np.ndarray:
    """``_step`` folded along axis 0: the first (scalar) or last (vector) extreme element."""
    ext = np.max(v, axis=0) if largest else np.min(v, axis=0)
    hit = v == ext
    pick = (v.shape[0] - 1 - np.argmax(hit[::-1], axis=0)) if vector else np.argmax(hit, axis=0)
    out = np.take_along_axis(v, pick[None], axis=0)[0]
    return np.where(np.isnan(ext), ext, out)


def _ambiguous(x: np.ndarray, out: np.ndarray) -> bool:
    return x.dtype.kind == "f" and x.dtype.itemsize >= 4 and bool(
        (out == 0).any() and (np.signbit(x) & (x == 0)).any() and (~np.signbit(x) & (x == 0)).any())


# -- max() and min() over everything: reduce_all on the contiguous data ---------------------------


def _reduce_all(v: np.ndarray, largest: bool) -> np.ndarray:
    width = _VEC_BYTES // v.itemsize
    if v.size < width:
        return _fold(v, largest, True)
    body = v.size - v.size % width
    acc = _fold(v[:body].reshape(-1, width), largest, True)
    tail = v.size - body
    if tail:
        acc[:tail] = _step(acc[:tail], v[body:], largest, True)
    if v.dtype == np.float32:  # the float kernel halves the vector: 128-bit, 64-bit, 32-bit swaps
        lanes = np.arange(width)
        step = width // 2
        while step:
            acc = _step(acc, acc[lanes ^ step], largest, True)
            step //= 2
        return acc[0]
    return _fold(acc, largest, True)


def max_all(x: np.ndarray, largest: bool = True) -> np.ndarray:
    """``x.max()`` / ``x.min()``, with PyTorch's signed zero."""
    out = np.asarray(np.max(x) if largest else np.min(x))
    if not _ambiguous(x, out):
        return out
    parts = _split(np.ascontiguousarray(x).reshape(-1), lambda part: _reduce_all(part, largest))
    return np.asarray(_fold(parts, largest, False))


def _split(flat: np.ndarray, reduce: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``reduce`` applied to each thread's stretch of ``flat``, as at::parallel_for cuts it."""
    tasks = min(get_num_threads(), -(-flat.size // _GRAIN_SIZE))
    chunk = -(-flat.size // tasks)
    return np.stack([reduce(flat[i:i + chunk]) for i in range(0, flat.size, chunk)])


# -- amax and amin: binary_kernel_reduce_vec over TensorIterator's layout -------------------------


def _inner(row: np.ndarray, dst: np.ndarray, largest: bool) -> np.ndarray:
    """vectorized_inner_reduction: blocks of four vectors, then the rest one by one."""
    width = 4 * (_VEC_BYTES // row.itemsize)
    body = row.size - row.size % width
    if body:
        acc = _fold(row[:body].reshape(-1, 4, width // 4), largest, True)
        acc = _step(_step(acc[0], acc[1], largest, True), _step(acc[2], acc[3], largest, True),
                    largest, True)
        dst = _step(dst, _fold(acc, largest, False), largest, False)
    return _fold(np.concatenate([dst[None], row[body:]]), largest, False)


def _outer(block: np.ndarray, dst: np.ndarray, largest: bool) -> np.ndarray:
    """vectorized_outer_reduction: rows down columns four vectors wide, then the rest."""
    width = 4 * (_VEC_BYTES // block.itemsize)
    body = block.shape[1] - block.shape[1] % width
    out = _fold(np.concatenate([dst[None], block]), largest, False)
    if body:
        out[:body] = _step(_fold(block[:, :body], largest, True), dst[:body], largest, True)
    return out


def amax(x: np.ndarray, dims: tuple[int, ...], keepdim: bool, largest: bool = True) -> np.ndarray:
    """``x.amax(dims)`` / ``x.amin(dims)`` (``dims`` sorted, all of them for everything)."""
    out = np.asarray((np.max if largest else np.min)(x, axis=dims, keepdims=keepdim))
    if not x.size or not _ambiguous(x, out):
        return out
    reduced = [d in dims for d in range(x.ndim)]
    perm, sizes, ist, ost = _layout(x.shape, [s // x.itemsize for s in x.strides], reduced,
                                    keepdim, x.itemsize)
    if len(sizes) == 1 and sizes[0] > _GRAIN_SIZE and get_num_threads() > 1 and ost[0] == 0:
        # two_pass_reduction: each thread reduces its own stretch, then the threads' results
        return _fold(_split(_iter_view(x, perm, sizes), lambda part: _inner(
            part, np.asarray(-np.inf if largest else np.inf, x.dtype), largest)),
            largest, False).reshape(out.shape)
    sizes, ist, ost = sizes + [1], ist + [0], ost + [0]
    xv = _iter_view(x, perm, sizes[:-1]).reshape(-1, sizes[1], sizes[0])
    kept = [n if o else 1 for n, o in zip(sizes[:-1], ost[:-1])]
    slots = np.broadcast_to(np.arange(int(np.prod(kept))).reshape(kept[::-1]),
                            sizes[:-1][::-1]).reshape(xv.shape)
    acc = np.full(slots.max() + 1, -np.inf if largest else np.inf, dtype=x.dtype)
    item = x.itemsize
    for k in range(xv.shape[0]):
        if ost[0] == 0 and ist[0] == item:  # reducing the contiguous dim
            for j in range(xv.shape[1]):
                s = slots[k, j, 0]
                acc[s] = _inner(xv[k, j], acc[s], largest)
        elif ost[0] == 0 and ost[1] == item and ist[1] == item:  # reducing down columns
            s = slots[k, :, 0]
            acc[s] = _outer(xv[k].T, acc[s], largest)
        else:  # element by element
            for j in range(xv.shape[1]):
                s = slots[k, j]
                if ost[0] == 0:
                    acc[s[0]] = _fold(np.concatenate([acc[s[:1]], xv[k, j]]), largest, False)
                else:
                    acc[s] = _step(acc[s], xv[k, j], largest, False)
    kept_dims = [p for p in perm[::-1] if not reduced[p]]
    values = acc.reshape([x.shape[p] for p in kept_dims]).transpose(np.argsort(kept_dims))
    return values.reshape(out.shape)
