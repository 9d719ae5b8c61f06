"""PyTorch's batch norm CPU kernel, step by step (``batch_norm_kernel.cpp``): the batch
statistics of the forward and the backward, for contiguous float32/float64 inputs.

The kernel has two layouts. With one value per channel and sample (an (N, C) input, or
(N, C, 1, 1)) it runs its channels-last code: each thread adds its share of the rows
into per-channel partial sums in the input's precision, and the threads' partial sums are
added in double. Otherwise it walks each channel's planes: every (sample, channel) plane is
reduced in 8 (4) lanes and the planes' sums are added per channel in double. The same
steps, with the fused multiply-adds the compiler makes, give the same bits.
"""

from __future__ import annotations

import numpy as np

from gradlab._numerics.floats import fma32, fma64
from gradlab.nn._layer_norm_cpu import _row_sums, threads


def _thread_chunks(rows: int, serial: bool = False) -> range:
    """Where each thread's share of ``rows`` starts (``at::parallel_for`` with grain 1), or
    one share for all when ``serial``."""
    parts = 1 if serial or rows <= 1 else min(threads(), rows)
    return range(0, rows, max(1, -(-rows // parts)))


def batch_stats(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per channel (dim 1) mean and sum of squared deviations of the float32/float64
    ``xs``, added up as the kernel adds them."""
    dt = xs.dtype.type
    rows, channels = xs.shape[0], xs.shape[1]
    if xs.size == rows * channels:  # one value per channel and sample: channels last
        flat = xs.reshape(rows, channels)
        fma = fma32 if xs.dtype == np.float32 else fma64
        # measured on torch 2.13: no more rows than threads and at most 16 channels: one thread
        starts = _thread_chunks(rows, serial=rows <= threads() and channels <= 16)
        total = np.zeros(channels)
        for start in starts:
            part = np.zeros(channels, xs.dtype)
            for i in range(start, min(rows, start + starts.step)):
                part = flat[i] + part
            total = total + part
        mean = (total / rows).astype(dt)
        total = np.zeros(channels)
        for start in starts:
            part = np.zeros(channels, xs.dtype)
            for i in range(start, min(rows, start + starts.step)):
                centred = flat[i] - mean
                part = fma(centred, centred, part).reshape(part.shape)
            total = total + part
        return mean, total.astype(dt)
    per_channel = np.moveaxis(xs, 1, 0).reshape(channels, -1)
    mean = (np.cumsum(per_channel, axis=1, dtype=np.float64)[:, -1]
            / per_channel.shape[1]).astype(dt)
    centred = per_channel - mean[:, None]
    var_sum = np.cumsum(centred * centred, axis=1, dtype=np.float64)[:, -1].astype(dt)
    return mean, var_sum


def batch_norm_backward(dy: np.ndarray, x: np.ndarray, mean: np.ndarray, invstd: np.ndarray,
                        weight: np.ndarray | None, train: bool,
                        needs: tuple[bool, bool, bool]) -> tuple:
    """Gradients for the input, weight and bias of batch norm over the contiguous
    float32/float64 ``x`` (channels in dim 1); ``mean`` and ``invstd`` per channel: the
    batch's in training, the running ones (invstd computed in double) in evaluation."""
    dt = x.dtype.type
    fma = fma32 if x.dtype == np.float32 else fma64
    batch, channels = x.shape[0], x.shape[1]
    plane = x.size // (batch * channels) if x.size else 0
    n = batch * plane
    w = np.ones(channels, x.dtype) if weight is None else weight.astype(x.dtype).reshape(-1)
    if plane == 1:  # channels last: per-thread partial sums over rows, then added in double
        xv, gv = x.reshape(batch, channels), dy.reshape(batch, channels)
        total_s, total_d = np.zeros(channels), np.zeros(channels)
        starts = _thread_chunks(batch)
        for start in starts:
            part_s, part_d = np.zeros(channels, x.dtype), np.zeros(channels, x.dtype)
            for i in range(start, min(batch, start + starts.step)):
                part_s = part_s + gv[i]
                part_d = fma(xv[i] - mean, gv[i], part_d).reshape(channels)
            total_s, total_d = total_s + part_s, total_d + part_d
        sum_, dotp = total_s.astype(dt), total_d.astype(dt)
        k, grad_mean = dotp * invstd * invstd / dt(n), sum_ / dt(n)
        lanes = 8 if x.dtype == np.float32 else 4
        body = channels - channels % lanes  # whole vectors fuse, the leftover lanes do not
        centred = xv - mean
        fused = fma(-centred, k, gv - grad_mean).reshape(xv.shape)
        plain = gv - grad_mean - centred * k
        if train:
            dx = np.concatenate([fused[:, :body], plain[:, body:]], axis=1) * invstd * w
        else:
            dx = gv * invstd * w
        return (dx.reshape(x.shape) if needs[0] else None,
                dotp * invstd if needs[1] else None, sum_ if needs[2] else None)
    # contiguous planes: each (sample, channel) plane reduced in lanes, added per channel
    xv, gv = x.reshape(batch, channels, plane), dy.reshape(batch, channels, plane)
    centred = xv - mean[:, None]
    planes_s = _row_sums([gv.reshape(-1, plane)]).reshape(batch, channels)
    planes_d = _row_sums([centred.reshape(-1, plane), gv.reshape(-1, plane)])
    planes_d = planes_d.reshape(batch, channels)
    total_s, total_d = np.zeros(channels), np.zeros(channels)
    for i in range(batch):
        total_s, total_d = total_s + planes_s[i], total_d + planes_d[i]
    dx = None
    if needs[0]:
        if train:
            k = (total_d.astype(dt) * invstd * invstd / dt(n))[:, None]
            grad_mean = (total_s / n).astype(dt)[:, None]
            dx = fma(-centred, k, gv - grad_mean).reshape(gv.shape) * invstd[:, None] * w[:, None]
        else:
            dx = gv * invstd[:, None] * w[:, None]
        dx = dx.reshape(x.shape)
    return (dx, (total_d * invstd).astype(dt) if needs[1] else None,
            total_s.astype(dt) if needs[2] else None)
