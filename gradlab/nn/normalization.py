"""Normalization layers: ``BatchNorm1d``/``BatchNorm2d`` and ``LayerNorm``, with their functions.

Both standardise values with a mean and a variance and then scale and shift them by learned
``weight`` and ``bias``. Batch norm takes the statistics per channel over the batch (and keeps
running averages for ``eval()``); layer norm takes them per sample over the last dimensions.
Forward and backward follow PyTorch's CPU kernels step by step (``_batch_norm_cpu.py``,
``_layer_norm_cpu.py``: the same sums in the same order, the same ``x * alpha + beta``), so
float32 results agree bit for bit; a backward that builds a graph (``create_graph=True``)
uses the textbook formulas. Each records PyTorch's single node:
``NativeBatchNormBackward0`` / ``NativeLayerNormBackward0``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.floats import fma32, fma64
from gradlab.autograd.graph import Node
from gradlab.nn import init
from gradlab.nn._batch_norm_cpu import batch_norm_backward, batch_stats
from gradlab.nn._layer_norm_cpu import layer_norm_backward, rowwise_moments
from gradlab.nn.module import Module
from gradlab.nn.parameter import Parameter
from gradlab.ops._util import record
from gradlab.ops.creation import empty, ones, tensor, zeros
from gradlab.tensor import Tensor, check_device

__all__ = ["batch_norm", "layer_norm", "BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _affine_backward(g: Any, xhat: Any, invstd: Any, w: Any, axes: tuple[int, ...],
                     param_axes: tuple[int, ...], train: bool,
                     needs: tuple[bool, bool, bool]) -> tuple:
    """The gradients of ``y = xhat * w + b`` with ``xhat = (x - mean) * invstd`` standardised
    over ``axes`` (with batch statistics the mean and invstd depend on x too); ``w`` and ``b``
    are broadcast over ``param_axes``."""
    gy = g if w is None else g * w
    gx = gw = gb = None
    if needs[0]:
        if train:
            mean_gy = gy.mean(axis=axes, keepdims=True)
            mean_gy_xhat = (gy * xhat).mean(axis=axes, keepdims=True)
            gx = (gy - mean_gy - xhat * mean_gy_xhat) * invstd
        else:
            gx = gy * invstd
    if needs[1]:
        gw = (g * xhat).sum(axis=param_axes) if param_axes else g * xhat
    if needs[2]:
        gb = g.sum(axis=param_axes) if param_axes else g
    return gx, gw, gb


def _standardise(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """``(x - mean) * invstd`` and ``invstd``, as differentiable tensor operations."""
    centred = x - x.mean(axis=axes, keepdims=True)
    invstd = ((centred * centred).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return centred * invstd, invstd


# -- batch norm ---------------------------------------------------------------------------------


class NativeBatchNormBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, w = self.saved_tensors
        stats = self.channel_shape
        needs = (self.needs(0), self.needs(1), self.needs(2))
        if not _is_tensor(g) and self.exact:  # PyTorch's kernel, bit for bit
            return batch_norm_backward(np.ascontiguousarray(g), np.ascontiguousarray(x),
                                       self.mean, self.kernel_invstd,
                                       None if w is None else w, self.train, needs)
        if _is_tensor(g) and self.train:  # create_graph: statistics as functions of x
            xhat, invstd = _standardise(x, self.axes, self.eps)
        else:
            mean, invstd = self.mean.reshape(stats), self.invstd.reshape(stats)
            xhat = (x - mean) * invstd
        w = None if w is None else w.reshape(stats)
        return _affine_backward(g, xhat, invstd, w, self.axes, self.axes, self.train, needs)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Standardise each channel (dim 1) with the batch's statistics (``training``) or with the
    running ones, then scale by ``weight`` and shift by ``bias``.

    In training the running statistics, when given, move towards the batch's by ``momentum``
    (with the unbiased variance), in place, as PyTorch updates them.
    """
    if training:
        size = input.shape
        count = size[0] if size else 1
        for s in size[2:]:
            count *= s
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"batch_norm(): expected input to have at least 2 dimensions, but "
                           f"got {x.ndim}")
    channels = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    axes = (0,) + tuple(range(2, x.ndim))
    stats = (1, channels) + (1,) * (x.ndim - 2)
    dt = x.dtype if x.dtype == np.float64 else np.dtype(np.float32)  # half computes in float
    xs = x.astype(dt, copy=False)
    if training:
        n = x.size // channels
        mean, var_sum = batch_stats(xs)
        # the variance divides in the input's precision; 1 / sqrt(var + eps) is taken in double
        invstd = (1.0 / np.sqrt((var_sum / dt.type(n)).astype(np.float64) + eps)).astype(dt)
        kernel_invstd = invstd  # the backward's: in evaluation computed in double
        if running_mean is not None:
            _blend(running_mean, mean, momentum)
        if running_var is not None:
            _blend(running_var, var_sum / dt.type(max(n - 1, 1)), momentum, wide=True)
    else:
        mean = running_mean._data.astype(dt)
        invstd = dt.type(1) / np.sqrt(running_var._data.astype(dt) + dt.type(eps))
        kernel_invstd = (1.0 / np.sqrt(running_var._data.astype(np.float64) + eps)).astype(dt)
    fma = fma32 if dt == np.float32 else fma64
    alpha = invstd if weight is None else invstd * weight._data.astype(dt)
    bias_v = np.zeros((), dt) if bias is None else bias._data.astype(dt)
    beta = fma(-mean, alpha, bias_v).reshape(alpha.shape)  # bias - mean * alpha, fused
    out = fma(xs, alpha.reshape(stats), beta.reshape(stats)).reshape(xs.shape)
    out = out.astype(x.dtype, copy=False)
    return record(out, NativeBatchNormBackward0, (input, weight, bias), saved=(input, weight),
                  mean=mean, invstd=invstd, axes=axes, channel_shape=stats, train=training,
                  eps=eps, kernel_invstd=kernel_invstd, exact=bool(x.size) and x.dtype == dt and (
                      weight is None or weight._data.dtype == dt))


def _blend(running: Tensor, batch: np.ndarray, momentum: float, wide: bool = False) -> None:
    """``running = momentum * batch + (1 - momentum) * running`` in place (a new version), as
    the kernel does it: in the buffer's precision, except that a ``wide`` (variance) batch
    term is multiplied and added in double."""
    dt = running._data.dtype.type
    m = dt(momentum)
    kept = (dt(1) - m) * running._data
    if wide:
        new = np.float64(m) * batch.astype(np.float64) + kept.astype(np.float64)
    else:
        new = m * batch.astype(dt) + kept
    running._data[...] = new.astype(dt)
    running._vc[0] += 1


class _BatchNorm(Module):
    _expected_dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        check_device(device)
        dt = _dtype.to_dtype(dtype) if dtype is not None else None
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dt))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dt))
            self.register_buffer("running_var", ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in self._expected_dims:
            wanted = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(f"expected {wanted} input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average over all batches seen
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None,
                          self.running_var if track else None, self.weight, self.bias,
                          use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C.

    >>> bn = nn.BatchNorm1d(3)      # training: batch statistics, running averages updated
    >>> bn.eval()                   # evaluation: the running averages are used instead
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel C."""

    _expected_dims = (4,)


# -- layer norm ---------------------------------------------------------------------------------


class NativeLayerNormBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, w = self.saved_tensors
        needs = (self.needs(0), self.needs(1), self.needs(2))
        if not _is_tensor(g) and self.exact:  # PyTorch's kernel, bit for bit
            size = math.prod(x.shape[x.ndim - len(self.axes):])
            rows = (-1, size)
            dx, dw, db = layer_norm_backward(
                np.ascontiguousarray(g.reshape(rows)), np.ascontiguousarray(x.reshape(rows)),
                self.mean.reshape(-1), self.rstd.reshape(-1),
                None if w is None else w.reshape(-1), needs)
            shape = x.shape[x.ndim - len(self.axes):]
            return (None if dx is None else dx.reshape(x.shape),
                    None if dw is None or not needs[1] else dw.reshape(shape),
                    None if db is None or not needs[2] else db.reshape(shape))
        if _is_tensor(g):  # create_graph: statistics as functions of x
            xhat, rstd = _standardise(x, self.axes, self.eps)
        else:
            xhat, rstd = (x - self.mean) * self.rstd, self.rstd
        leading = tuple(range(g.ndim - len(self.axes)))
        return _affine_backward(g, xhat, rstd, w, self.axes, leading, True, needs)


def layer_norm(input: Tensor, normalized_shape: Sequence[int] | int,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Standardise each sample over its last ``len(normalized_shape)`` dimensions, then scale
    by ``weight`` and shift by ``bias`` (both shaped ``normalized_shape``)."""
    shape = ((normalized_shape,) if isinstance(normalized_shape, numbers.Integral)
             else tuple(normalized_shape))
    x = input._data
    k = len(shape)
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(x.shape)}")
    axes = tuple(range(x.ndim - k, x.ndim))
    dt = x.dtype if x.dtype == np.float64 else np.dtype(np.float32)
    xs = x.astype(dt, copy=False)
    rows = np.ascontiguousarray(xs.reshape(-1, math.prod(shape)))
    stats = x.shape[:x.ndim - k] + (1,) * k
    if rows.size and x.dtype == dt:  # PyTorch's kernel, bit for bit
        mean, var = rowwise_moments(rows)
        mean, var = mean.reshape(stats), var.reshape(stats)
    else:  # float16 (computed in float32) and empty inputs
        mean = xs.mean(axis=axes, keepdims=True, dtype=np.float64).astype(dt)
        var = ((xs - mean) ** 2).mean(axis=axes, keepdims=True, dtype=np.float64).astype(dt)
    rstd = dt.type(1) / np.sqrt(var + dt.type(eps))
    fma = fma32 if dt == np.float32 else fma64
    centred = xs + -mean
    out = centred * rstd  # then * weight + bias in one fused multiply-add
    if weight is not None:
        b = bias._data.astype(dt) if bias is not None else np.zeros((), dt)
        out = fma(out, weight._data.astype(dt), b).reshape(out.shape)
    elif bias is not None:  # the compiler drops the * 1 and fuses the rest
        out = fma(centred, rstd, bias._data.astype(dt)).reshape(out.shape)
    return record(out.astype(x.dtype, copy=False), NativeLayerNormBackward0,
                  (input, weight, bias), saved=(input, weight), mean=mean, rstd=rstd,
                  axes=axes, eps=eps, exact=bool(rows.size) and x.dtype == dt and (
                      weight is None or weight._data.dtype == dt))


class LayerNorm(Module):
    """Layer normalization over the last dimensions given by ``normalized_shape``.

    >>> ln = nn.LayerNorm(3)        # each row of a (N, 3) input gets mean 0 and variance 1
    """

    def __init__(self, normalized_shape: Sequence[int] | int, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        dt = _dtype.to_dtype(dtype) if dtype is not None else None
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
