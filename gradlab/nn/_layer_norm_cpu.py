"""PyTorch's layer norm CPU kernel, step by step: its row-wise mean and variance
(``moments_utils.h``) and its backward (``layer_norm_kernel.cpp``).

The forward statistics: the kernel runs Welford's update on vectors of 8 floats (4 doubles:
the AVX2 build, which PyTorch also dispatches to on AVX-512 machines), chunks of 16 vectors
merged in a cascade, the leftover elements one at a time and the lanes merged last. The same
steps with the same fused multiply-adds give the same bits; a two-pass mean/variance differs
in the last place. The backward reduces each row in 8 (4) lanes and adds its per-thread
partial sums for the weight and bias gradients as PyTorch's threads do. All rows at once.
"""

from __future__ import annotations

import os

import numpy as np

from gradlab._numerics.floats import fma32, fma64

_CHUNK = 16


def _ceil_log2(x: int) -> int:
    return 1 if x <= 2 else int(x - 1).bit_length()


def rowwise_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (biased) variance of each row of the 2-d float32/float64 array ``x``."""
    dt = x.dtype.type
    fma = fma32 if x.dtype == np.float32 else fma64
    lanes = 8 if x.dtype == np.float32 else 4
    rows, size = x.shape
    n = size // lanes
    depth = _ceil_log2(-(-n // _CHUNK))
    zero = np.zeros((rows, lanes), x.dtype)

    def add(m0_add: int, m1_add: np.ndarray, m2_add: np.ndarray, m0: int, m1: np.ndarray,
            m2: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:  # AddMomentsVec
        total = m0 + m0_add
        c = dt(0) if total == 0 else dt(dt(m0_add) / dt(total))
        delta = m1_add - m1
        c_delta = c * delta
        return total, m1 + c_delta, fma(delta * dt(m0), c_delta, m2 + m2_add)

    stack = [(0, zero, zero) for _ in range(depth)]
    weights = [dt(dt(1) / dt(j + 1)) for j in range(_CHUNK)]
    for i in range(-(-n // _CHUNK)):
        m1, m2 = zero, zero
        count = min(_CHUNK, n - i * _CHUNK)
        for j in range(count):
            start = (i * _CHUNK + j) * lanes
            v = x[:, start:start + lanes]
            delta = v - m1
            m1 = fma(weights[j], delta, m1)
            m2 = fma(delta, v - m1, m2)
        stack[0] = add(count, m1, m2, *stack[0])
        mask, j = i + 1, 1
        while j < depth and mask & 1 == 0:
            stack[j] = add(*stack[j - 1], *stack[j])
            stack[j - 1] = (0, zero, zero)
            mask >>= 1
            j += 1
    for j in range(1, depth):
        stack[0] = add(*stack[j], *stack[0])
    m0, m1, m2 = 0, np.zeros(rows, x.dtype), np.zeros(rows, x.dtype)
    for i in range(n * lanes, size):  # the leftover elements, one by one
        v = x[:, i]
        delta = v - m1
        m0 += 1
        m1 = m1 + delta / dt(m0)
        m2 = m2 + delta * (v - m1)
    for lane in range(lanes):  # AddMoments, scalar, with the compiler's fused multiply-adds
        m1_add, m2_add = stack[0][1][:, lane], stack[0][2][:, lane]
        total = m0 + n
        c = dt(0) if total == 0 else dt(dt(n) / dt(total))
        delta = m1_add - m1
        m1 = fma(c, delta, m1)
        m2 = m2 + fma(delta * delta * c, dt(m0), m2_add)
        m0 = total
    return m1, m2 / dt(size)


def _lanes_sum(acc: np.ndarray) -> np.ndarray:
    """``vec_reduce_all``: float32 lanes added as a tree (AVX2 shuffles), doubles in order."""
    if acc.dtype == np.float32:
        acc = acc[:, :4] + acc[:, 4:]
        acc = acc[:, :2] + acc[:, 2:]
        return acc[:, 0] + acc[:, 1]
    out = acc[:, 0]
    for lane in range(1, acc.shape[1]):
        out = out + acc[:, lane]
    return out


def _row_sums(terms: list[np.ndarray]) -> np.ndarray:
    """Each row's sum of the product of ``terms`` as ``vec::map*_reduce_all`` adds it: one
    accumulator vector, the leftover lanes added (fused) at the end, then across lanes."""
    dt = terms[0].dtype
    lanes = 8 if dt == np.float32 else 4
    rows, size = terms[0].shape
    fma = fma32 if dt == np.float32 else fma64

    def block(start: int, stop: int) -> list[np.ndarray]:
        pad = lanes - (stop - start)
        return [np.pad(t[:, start:stop], ((0, 0), (0, pad))) for t in terms]

    def product(parts: list[np.ndarray]) -> np.ndarray:
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        return out

    if size < lanes:
        acc = product(block(0, size))
        out = acc[:, 0]
        for lane in range(1, size):
            out = out + acc[:, lane]
        return out
    acc = product(block(0, lanes))
    end = size - size % lanes
    for start in range(lanes, end, lanes):
        acc = acc + product(block(start, start + lanes))
    if end < size:
        parts = block(end, size)
        if len(parts) > 1:
            last = fma(product(parts[:-1]), parts[-1], acc).reshape(acc.shape)
        else:
            last = acc + parts[0]
        acc = np.concatenate([last[:, :size - end], acc[:, size - end:]], axis=1)
    return _lanes_sum(acc)


def threads() -> int:
    """How many threads PyTorch splits rows over (its default: the usable cores)."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def layer_norm_backward(dy: np.ndarray, x: np.ndarray, mean: np.ndarray, rstd: np.ndarray,
                        gamma: np.ndarray | None, needs: tuple[bool, bool, bool]) -> tuple:
    """Gradients for x, weight and bias of layer norm over the rows of 2-d ``x``; ``mean`` and
    ``rstd`` per row, ``gamma`` per column (or None)."""
    dt = x.dtype.type
    fma = fma32 if x.dtype == np.float32 else fma64
    rows, size = x.shape
    a, mean = rstd[:, None], mean[:, None]
    dx = dgamma = dbeta = None
    if needs[0]:
        scale = dt(dt(1) / dt(size))
        if gamma is None:
            ds, db = _row_sums([dy, x]), _row_sums([dy])
        else:
            g = np.broadcast_to(gamma, x.shape)
            ds, db = _row_sums([dy, x, g]), _row_sums([dy, g])
        ds, db = ds[:, None], db[:, None]
        b = fma(db, mean, -ds) * a * a * a * scale
        c = fma(-b, mean, -(db * a * scale))
        ady = a * dy if gamma is None else a * dy * gamma
        dx = fma(np.broadcast_to(b, x.shape), x, ady).reshape(x.shape) + c
    if needs[1] or needs[2]:  # per-thread partial sums over consecutive rows, then added
        n_threads = min(threads(), rows) if rows > 1 else 1
        chunk = -(-rows // n_threads)
        xhat = fma(np.broadcast_to(a, x.shape), x, np.broadcast_to(-a * mean, x.shape))
        xhat = xhat.reshape(x.shape)
        dgamma, dbeta = np.zeros(size, x.dtype), np.zeros(size, x.dtype)
        for start in range(0, rows, chunk):
            part_g, part_b = np.zeros(size, x.dtype), np.zeros(size, x.dtype)
            for i in range(start, min(rows, start + chunk)):
                part_g = fma(dy[i], xhat[i], part_g)
                part_b = part_b + dy[i]
            dgamma, dbeta = dgamma + part_g, dbeta + part_b
    return dx, dgamma, dbeta
