"""``gradlab.nn.functional`` (``F``): layers and losses as plain functions, as in PyTorch.

``nn.Linear`` and ``nn.MSELoss`` call these. Each one checks its arguments the way PyTorch does
(the same errors and warnings), then runs an operation from ``gradlab.nn._ops`` or composes
engine operations in PyTorch's order, so ``grad_fn`` chains match PyTorch's node for node.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab.nn import _ops
from gradlab.nn._activation_ops import elu, gelu, hardtanh, relu6, selu, silu, softplus
from gradlab.nn.dropout import dropout, dropout1d, dropout2d
from gradlab.nn.normalization import batch_norm, layer_norm
from gradlab.nn.sparse import embedding, one_hot
from gradlab.ops import activation, pointwise, shape
from gradlab.ops._util import check_broadcast
from gradlab.ops.arithmetic import mul_scalar
from gradlab.ops.inplace import apply_inplace
from gradlab.tensor import Tensor

__all__ = [
    "linear", "relu", "relu_", "tanh", "sigmoid", "softmax", "log_softmax", "logsigmoid",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss", "dropout", "dropout1d", "dropout2d",
    "batch_norm", "layer_norm", "embedding", "one_hot", "leaky_relu", "leaky_relu_",
    "huber_loss", "smooth_l1_loss", "gelu", "silu", "elu", "selu", "softplus", "hardtanh", "relu6",
]


def _check_tensor(x: Any, fn: str, arg: str = "input", pos: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


# -- layers and activations ---------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, recorded as PyTorch records it.

    A 2-D input with a bias is one ``addmm`` (``AddmmBackward0``); other shapes are viewed as
    2-D around it, and without a bias it is a ``matmul`` (``MmBackward0``...).
    """
    _check_tensor(input, "linear")
    _check_tensor(weight, "linear", "weight", 2)
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    wt = weight.t()
    if bias is None:
        return input @ wt
    if input.ndim == 2:
        return _ops.addmm(bias, input, wt)
    rows = shape.reshape(input, 1 if input.ndim == 1 else -1, input.shape[-1])
    out = _ops.addmm(bias, rows, wt)
    return shape.view(out, *input.shape[:-1], out.shape[-1])


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise (``ReluBackward0``)."""
    _check_tensor(input, "relu")
    return input.relu_() if inplace else pointwise.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere (``LeakyReluBackward0``)."""
    _check_tensor(input, "leaky_relu")
    if inplace:
        return leaky_relu_(input, negative_slope)
    return _ops.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In place; the gradient is read off the result (``LeakyReluBackward1``)."""
    return apply_inplace(input, _ops.leaky_relu, negative_slope, _ops.LeakyReluBackward1)


def tanh(input: Tensor) -> Tensor:
    return pointwise.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    return pointwise.sigmoid(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))`` without overflow (``LogSigmoidBackward0``)."""
    return _ops.log_sigmoid(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """Probabilities along ``dim``: ``exp(x) / exp(x).sum(dim)``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return activation.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """Log-probabilities along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return activation.log_softmax(input, dim, dtype)


# -- the reduction argument ---------------------------------------------------------------------


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """Map PyTorch's deprecated ``size_average``/``reduce`` pair onto ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def _reduction(reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", UserWarning, stacklevel=3)
        reduction = "mean"
    if reduction not in _ops.REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _broadcast(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """``torch.broadcast_tensors``: expand only the operands whose shape must change."""
    if input.shape == target.shape:
        return input, target
    check_broadcast(input._data, target._data)
    size = np.broadcast_shapes(input.shape, target.shape)
    return (input if input.shape == size else input.expand(size),
            target if target.shape == size else target.expand(size))


def _size_of(x: Any) -> Any:
    """``x.size()``, which PyTorch's Python losses call first: a list or number has none."""
    if not isinstance(x, Tensor):
        raise AttributeError(f"'{type(x).__name__}' object has no attribute 'size'\nHint: "
                             "losses take tensors; make one with gradlab.tensor(...).")
    return x.size()


def _warn_size(input: Tensor, target: Tensor) -> None:
    if _size_of(target) != _size_of(input):
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", UserWarning, stacklevel=3)


# -- regression losses --------------------------------------------------------------------------


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``((input - target) ** 2).mean()`` (``MseLossBackward0``).

    Different shapes are broadcast, with PyTorch's warning: a (N, 1) prediction against a (N,)
    target silently compares every prediction with every target.
    """
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    expanded, target = _broadcast(input, target)
    if weight is not None:
        return _weighted_loss((expanded - target) ** 2, weight, input, reduction)
    return _ops.mse_loss(expanded, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``(input - target).abs().mean()``."""
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    expanded, target = _broadcast(input, target)
    loss = (expanded - target).abs()
    if weight is not None:
        return _weighted_loss(loss, weight, input, reduction)
    return loss if reduction == "none" else (loss.mean() if reduction == "mean" else loss.sum())


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared error below ``beta`` (divided by ``beta``), absolute error above it."""
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    expanded, target = _broadcast(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(expanded, target, reduction=reduction)
    return _ops.robust_loss(expanded, target, reduction, "smooth_l1", beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Half the squared error below ``delta``, ``delta`` times the absolute error above it."""
    _warn_size(input, target)
    expanded, target = _broadcast(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _ops.robust_loss(expanded, target, _reduction(reduction), "huber", delta)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = _ops.robust_loss(expanded, target, "none", "huber", delta) * weight
    if reduction not in _ops.REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    return weighted if reduction == "none" else (
        weighted.sum() if reduction == "sum" else weighted.mean())


def _weighted_loss(errors: Tensor, weight: Tensor, input: Tensor, reduction: str) -> Tensor:
    """Per-element weights: the weighted sum, or its ratio to the sum of weights for 'mean'."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.sum() / weight.sum()


# -- binary classification losses -------------------------------------------------------------


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities ``input`` against 0/1 ``target``."""
    if _size_of(target) != _size_of(input):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the "
                         "same size.")
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_ops.legacy_name(target._data.dtype)} but expected "
                           f"{_ops.legacy_name(input._data.dtype)}\nHint: BCELoss wants float "
                           "targets of the input's dtype; convert them with .float().")
    _ops.check_floating(input._data.dtype, "binary_cross_entropy")
    return _ops.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of raw scores: ``sigmoid`` and the loss fused, stable for any x."""
    if _size_of(target) != _size_of(input):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    reduction = _reduction(reduction, size_average, reduce)
    _ops.check_floating(input._data.dtype, "log_sigmoid_cpu")
    if target._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if target._data.dtype.kind != "f":  # PyTorch computes (1 - target).mul_(input) in place
        computed = np.result_type(input._data.dtype, np.float32)
        raise RuntimeError(f"result type {_ops.legacy_name(computed)} can't be cast to the "
                           f"desired output type {_ops.legacy_name(target._data.dtype)}\n"
                           "Hint: BCEWithLogitsLoss wants float targets; use .float().")
    return _ops.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


# -- classification over C classes --------------------------------------------------------------


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities (``NllLossBackward0``)."""
    _check_tensor(input, "nll_loss_nd")
    _check_tensor(target, "nll_loss_nd", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    return _nll_nd(input, target, weight, ignore_index, reduction)


def _nll_nd(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
            reduction: str) -> Tensor:
    """PyTorch's ``nll_loss_nd``: (N, C, d1, d2...) inputs go through the 2-D kernel."""
    if input.ndim <= 2:
        return _ops.nll_loss(input, target, weight, ignore_index, reduction)
    if input.ndim == 4:
        return _ops.nll_loss(input, target, weight, ignore_index, reduction,
                             _ops.NllLoss2DBackward0)
    n, c = input.shape[:2]
    if target.ndim == 0 or target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 1}).")
    if target.shape[1:] != input.shape[2:]:
        raise RuntimeError(f"Expected target size {[n] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    flat_target = Tensor._make(target._data.reshape(n, 1, -1))
    out = _ops.nll_loss(shape.view(input, n, c, 1, -1), flat_target, weight, ignore_index,
                        reduction, _ops.NllLoss2DBackward0)
    return out if reduction != "none" else shape.view(out, n, *target.shape[1:])


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)``: the classifier's loss on raw scores.

    ``target`` holds class indices (int64), or class probabilities shaped like ``input``.
    """
    _check_tensor(input, "cross_entropy_loss")
    _check_tensor(target, "cross_entropy_loss", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    cdim = 0 if input.ndim == 1 else 1
    lsm = activation.log_softmax(input, cdim)
    if target.shape == input.shape:  # PyTorch reads same-shaped targets as probabilities
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {_ops.legacy_name(target._data.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _soft_cross_entropy(lsm, target, weight, reduction, label_smoothing, cdim)
    nll = _nll_nd(lsm, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    return _smoothed(nll, lsm, target, weight, ignore_index, reduction, label_smoothing, cdim)


def _class_weighted(lsm: Tensor, weight: Tensor | None, cdim: int) -> Tensor:
    if weight is None:
        return lsm
    view = [1] * lsm.ndim
    view[cdim] = lsm.shape[cdim]
    return lsm * weight.reshape(view)


def _soft_cross_entropy(lsm: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                        label_smoothing: float, cdim: int) -> Tensor:
    n_classes = lsm.shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = _class_weighted(lsm, weight, cdim) * target
    if reduction == "none":
        return -prod.sum(cdim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    return _ops.div_scalar(total, lsm.numel() / n_classes)


def _smoothed(nll: Tensor, lsm: Tensor, target: Tensor, weight: Tensor | None,
              ignore_index: int, reduction: str, eps: float, cdim: int) -> Tensor:
    """PyTorch's label smoothing: mix the NLL with the mean loss over all classes."""
    n_classes = lsm.shape[cdim]
    ignored = target._data == ignore_index
    smooth = (-(_class_weighted(lsm, weight, cdim).sum(cdim))).masked_fill(
        Tensor._make(ignored), 0.0)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        if weight is None:
            count = Tensor._make(np.asarray((~ignored).sum(), dtype=np.int64))
        else:
            kept = target._data[~ignored]
            count = Tensor._make(_ops.reduce(weight._data[kept], "sum"))
        smooth = smooth.sum() / count
    return mul_scalar(nll, 1 - eps) + mul_scalar(smooth, eps / n_classes)
