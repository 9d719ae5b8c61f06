"""Dropout: zero random elements while training, scaling the rest by ``1 / (1 - p)``.

PyTorch's CPU path (``aten/src/ATen/native/Dropout.cpp``, ``_dropout_impl``) draws a noise tensor
``empty_like(input).bernoulli_(1 - p)``, divides it by ``1 - p`` and multiplies: so the graph
shows ``MulBackward0`` and, after the same ``manual_seed``, the mask is PyTorch's bit for bit
(one double uniform per element from the mt19937 stream). The feature variants (``dropout1d``,
``dropout2d``) draw one value per channel instead of per element.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab.nn._ops import legacy_name
from gradlab.nn.module import Module
from gradlab.random import default_generator, fill_like
from gradlab.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "Dropout", "Dropout1d", "Dropout2d"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, shape: tuple[int, ...]) -> Tensor:
    """``empty(shape).bernoulli_(1 - p).div_(1 - p)`` in the input's dtype."""
    dt = input._data.dtype
    if dt.kind != "f":  # PyTorch's div_ on an integer noise tensor refuses the float result
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{legacy_name(dt)}")
    if tuple(shape) == input.shape:  # drawn along the input's memory, as PyTorch draws
        keep = fill_like(input._data, lambda s: default_generator.bernoulli(1.0 - p, s, dt))
    else:
        keep = default_generator.bernoulli(1.0 - p, shape, dt)
    math_t = np.float64 if dt == np.float64 else np.float32  # half computes in float
    scale = math_t(1) / math_t(1.0 - p)  # the kernel multiplies by the reciprocal
    return Tensor._make((keep.astype(math_t) * scale).astype(dt))


def _apply(input: Tensor, p: float, training: bool, inplace: bool, shape: Any) -> Tensor:
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._make(np.zeros((), dtype=input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    noise = _noise(input, p, shape)
    return input.mul_(noise) if inplace else input * noise


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` (training only) and scale the survivors.

    Outside training, or with ``p=0``, the input itself is returned.
    """
    _check_p(p)
    return _apply(input, p, training, inplace, input.shape)


def _feature_noise_shape(input: Tensor) -> tuple[int, ...]:
    """One keep/drop draw per (sample, channel): PyTorch's ``make_feature_noise``."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    if p == 0 or not training or input.numel() == 0:
        return input
    return _apply(input, p, training, inplace, _feature_noise_shape(input))


_DROPOUT2D_3D = (
    "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
    "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
    "This behavior will change in a future release to interpret the input as one without a batch "
    "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
    "switch to using dropout1d instead.")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an optional "
                           "batch dimension (i.e. 2D or 3D inputs).")
    if input.ndim == 3:
        return _feature_dropout(input, p, training, inplace)
    if inplace:  # the same draws, one per channel of the (C, L) input
        if p == 0 or not training or input.numel() == 0:
            return input
        return _apply(input, p, training, True, (input.shape[0], 1))
    return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs with probability ``p``.

    As in PyTorch, a 3-D input is read as (N, C, L), with a warning.
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn(_DROPOUT2D_3D, UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Randomly zero elements with probability ``p`` while ``training``; identity in ``eval()``.

    >>> drop = nn.Dropout(p=0.5)
    >>> drop(gradlab.ones(4))        # survivors are scaled by 1 / (1 - p) = 2
    """

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of a (N, C, L) input while training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of a (N, C, H, W) input while training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace)
