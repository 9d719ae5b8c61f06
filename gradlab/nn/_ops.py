"""The operations ``gradlab.nn`` adds to the engine, each forward beside its backward node.

Node names are PyTorch's (``AddmmBackward0``, ``NllLossBackward0``...), and the formulas follow
PyTorch's CPU kernels (the same float operations in the same order), so values agree to the
last bit where the kernels allow. Backward methods get numpy arrays, or tensors under
``create_graph=True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.summation import column_sum, torch_mean, torch_sum
from gradlab.autograd.grad_mode import no_grad
from gradlab.autograd.graph import Node
from gradlab.ops import reduction as ops
from gradlab.ops._util import call, record
from gradlab.tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


def legacy_name(dt: np.dtype) -> str:
    """PyTorch's short type name in messages: ``Float``, ``Double``, ``Long``..."""
    return _dtype.FROM_NUMPY[dt]._legacy[:-6]


def reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """``apply_loss_reduction``: the elementwise losses, or their mean or sum computed by the
    engine's own reductions (so ``mse_loss(x, y)`` equals ``((x - y) ** 2).mean()``)."""
    if reduction == "none":
        return loss
    if loss.dtype.kind == "f" and loss.size:  # what ops.mean / ops.sum compute, minus a node
        return torch_mean(loss) if reduction == "mean" else torch_sum(loss)
    with no_grad():
        total = (ops.mean if reduction == "mean" else ops.sum)(Tensor._make(loss))
    return total._data


def check_floating(dt: np.dtype, kernel: str) -> np.dtype:
    """``dt``; PyTorch's dispatch error for a float-only kernel given integers or bools."""
    if dt.kind not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{legacy_name(dt)}\'')
    return dt


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _clamp_min(x: Any, low: float) -> Any:
    return x.clamp(min=low) if _is_tensor(x) else np.maximum(x, x.dtype.type(low))


def _sigmoid(x: Any) -> Any:
    return x.sigmoid() if _is_tensor(x) else 1 / (1 + np.exp(-x))


def _log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x))`` computed stably: ``min(x, 0) - log1p(exp(-|x|))``."""
    if _is_tensor(x):
        return x.clamp(max=0) - (1 + (-x.abs()).exp()).log()
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


# -- products ---------------------------------------------------------------------------------


class AddmmBackward0(Node):
    def backward(self, g: Any) -> tuple:
        mat1, mat2 = self.saved_tensors
        gb = g
        if self.needs(0) and type(g) is np.ndarray and self.bias_shape == g.shape[1:]:
            gb = column_sum(g)  # the bias was broadcast over the rows: PyTorch's sum_to
        g1 = _mm(g, mat2.swapaxes(-1, -2)) if self.needs(1) else None
        g2 = None
        if self.needs(2):  # as PyTorch: a transposed mat2 (a Linear weight) gets (g.T @ mat1).T,
            # so that the weight's gradient is contiguous like the weight
            g2 = (_mm(g.swapaxes(-1, -2), mat1).swapaxes(-1, -2) if self.mat2_transposed
                  else _mm(mat1.swapaxes(-1, -2), g))
        return gb, g1, g2


def _mm(a: Any, b: Any) -> Any:
    """``a @ b``; a product over one term is a plain product, as in PyTorch's kernel (and
    without the BLAS call, whose zeros lose their sign)."""
    if a.shape[-1] == 1 and type(a) is np.ndarray and type(b) is np.ndarray:
        return np.multiply(a, b)
    return a @ b


def addmm(bias: Tensor, mat1: Tensor, mat2: Tensor) -> Tensor:
    """``bias + mat1 @ mat2`` in one operation: what ``nn.Linear`` runs on a batch."""
    a, b = mat1._data, mat2._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{legacy_name(a.dtype)} and {legacy_name(b.dtype)}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})\nHint: a Linear layer expects inputs whose last "
            "dimension is in_features; check x.shape against the layer.")
    bd = bias._data
    if bd.dtype != a.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{legacy_name(bd.dtype)} and {legacy_name(b.dtype)}")
    out = _mm(a, b)
    out += bd
    return record(out, AddmmBackward0, (bias, mat1, mat2),
                  saved=(mat1 if mat2._rg else None, mat2 if mat1._rg else None),
                  bias_shape=bd.shape, mat2_transposed=b.strides[0] == b.itemsize < b.strides[1])


# -- scalar arithmetic with PyTorch's C++-side node names -------------------------------------


class DivBackward1(Node):
    def backward(self, g: Any) -> Any:
        return g / self.other


def div_scalar(a: Tensor, other: float) -> Tensor:
    """``a / number`` as PyTorch's C++ code records it (``DivBackward1``)."""
    return record(a._data / a._data.dtype.type(other), DivBackward1, (a,), other=other)


class LogSigmoidBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        if _is_tensor(x):
            return g * (-x).sigmoid()
        z = np.exp(-np.abs(x))  # sigmoid(-x), accurate on both sides (PyTorch's kernel)
        return g * np.where(x < 0, 1 - z / (1 + z), z / (1 + z))


def log_sigmoid(a: Tensor) -> Tensor:
    x = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
    return record(_log_sigmoid(x).astype(x.dtype, copy=False), LogSigmoidBackward0, (a,),
                  saved=(a,))


# -- regression losses --------------------------------------------------------------------------


class MseLossBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, t = self.saved_tensors
        grad = self.norm * (x - t) * g
        return grad, (-grad if self.needs(1) else None)


def mse_loss(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """Mean squared error of tensors of the same shape (``MseLossBackward0``)."""
    dt = check_floating(_dtype.result_type(input, target).np, "mse_cpu")
    x, t = input._data.astype(dt, copy=False), target._data.astype(dt, copy=False)
    d = x - t
    out = reduce(d * d, reduction)
    norm = 2.0 / x.size if reduction == "mean" else 2.0
    return record(out, MseLossBackward0, (input, target), saved=(input, target), norm=norm)


# -- binary classification losses -------------------------------------------------------------


class BinaryCrossEntropyBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, t = self.saved_tensors
        w, n = self.weight, self.n
        gx = gt = None
        if self.needs(0):
            gx = g * (x - t) / _clamp_min((1 - x) * x, 1e-12)
            gx = gx * w if w is not None else gx
            gx = gx / n if n else gx
        if self.needs(1):
            gt = -call("log", x / (1 - x)) * g
            gt = gt * w if w is not None else gt
            gt = gt / n if n else gt
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None,
                         reduction: str) -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x``, logs clamped at -100."""
    x, t = input._data, target._data.astype(input._data.dtype, copy=False)
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1\n"
                           "Hint: BCELoss takes probabilities; pass raw scores to "
                           "BCEWithLogitsLoss instead (or apply sigmoid first).")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    low = x.dtype.type(-100)
    with np.errstate(divide="ignore"):
        loss = (t - 1) * np.maximum(np.log1p(-x), low) - t * np.maximum(np.log(x), low)
    w = None if weight is None else np.broadcast_to(weight._data.astype(x.dtype), x.shape)
    if w is not None:
        loss = loss * w
    return record(reduce(loss, reduction), BinaryCrossEntropyBackward0, (input, target),
                  saved=(input, target), weight=w, n=x.size if reduction == "mean" else 0)


class BinaryCrossEntropyWithLogitsBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, t = self.saved_tensors
        w, pw, n = self.weight, self.pos_weight, self.n
        gx = gt = None
        if self.needs(0):
            if pw is None:
                gx = (_sigmoid(x) - t) * g
            else:
                tpw = pw * t
                gx = ((tpw + 1 - t) * _sigmoid(x) - tpw) * g
            gx = gx * w if w is not None else gx
            gx = gx / n if n else gx
        if self.needs(1):
            if pw is None:
                gt = -x * g
            else:
                gt = (_log_sigmoid(-x) - _log_sigmoid(x) * pw) * g
            gt = gt * w if w is not None else gt
            gt = gt / n if n else gt
        return gx, gt


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None,
                                     pos_weight: Tensor | None, reduction: str) -> Tensor:
    """Sigmoid and binary cross entropy in one stable step, on raw scores ``x``.

    As in PyTorch the loss has the target's dtype (its kernel updates ``1 - target`` in place).
    """
    out_dtype = target._data.dtype
    x = input._data
    t = target._data.astype(x.dtype, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(x.dtype, copy=False)
    w = None if weight is None else weight._data.astype(x.dtype, copy=False)
    log_sig = _log_sigmoid(x)
    if pw is not None:
        log_sig = log_sig * ((pw - 1) * t + 1)
    loss = (1 - t) * x - log_sig
    if w is not None:
        loss = loss * w
    return record(reduce(loss.astype(out_dtype, copy=False), reduction),
                  BinaryCrossEntropyWithLogitsBackward0,
                  (input, target), saved=(input, target), weight=w, pos_weight=pw,
                  n=loss.size if reduction == "mean" else 0)


# -- classification over C classes --------------------------------------------------------------


class NllLossBackward0(Node):
    def backward(self, g: Any) -> Any:
        if self.reduction == "none" and self.class_dim < self.selector.ndim:
            g = g.unsqueeze(self.class_dim) if _is_tensor(g) else np.expand_dims(
                g, self.class_dim)
        return self.selector * g


class NllLoss2DBackward0(NllLossBackward0):
    """The same derivative, for inputs with spatial dimensions (N, C, H, W)."""


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
             reduction: str, node: type[Node] = NllLossBackward0) -> Tensor:
    """Minus the input at each target class (log-probabilities in, ``NllLossBackward0``)."""
    x, tgt = input._data, target._data
    if x.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    cdim = 1 if x.ndim >= 2 else 0
    if x.ndim >= 2 and (tgt.ndim == 0 or x.shape[0] != tgt.shape[0]):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({tgt.shape[0] if tgt.ndim else 0}).")
    if x.ndim == 1 and tgt.ndim == 1 and tgt.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                         f"{tgt.shape[0]}")
    tgt = tgt.reshape(()) if x.ndim == 1 and tgt.ndim == 1 else tgt
    if x.ndim <= 2 and tgt.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    expected = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if tgt.shape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(tgt.shape)}")
    if tgt.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{legacy_name(tgt.dtype)}\nHint: class labels are integers; "
                           "use .long() on the target.")
    n_classes = x.shape[cdim]
    tgt = tgt.astype(np.int64)
    valid = tgt != ignore_index
    bad = valid & ((tgt < 0) | (tgt >= n_classes))
    if bad.any():
        raise IndexError(f"Target {tgt[bad].reshape(-1)[0]} is out of bounds.")
    safe = np.where(valid, tgt, 0)
    moved = np.moveaxis(x, cdim, -1)
    picked = np.take_along_axis(moved, safe[..., None], -1)[..., 0]
    if weight is None:
        w = valid.astype(x.dtype)
    else:
        if weight._data.shape != (n_classes,):
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight._data.shape)}")
        if weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {legacy_name(x.dtype)} but found "
                               f"{legacy_name(weight._data.dtype)}")
        w = np.where(valid, weight._data.astype(x.dtype)[safe], x.dtype.type(0))
    losses = -picked * w
    if reduction == "none":
        out, coef = losses, -w
    elif reduction == "sum":
        out, coef = reduce(losses, "sum"), -w
    else:
        total = reduce(w, "sum")
        with np.errstate(invalid="ignore", divide="ignore"):
            out, coef = reduce(losses, "sum") / total, -w / total
    selector = np.zeros_like(moved)  # ignored targets get +0, as PyTorch's zero-filled grad
    coef = np.where(valid, coef, 0).astype(x.dtype)
    np.put_along_axis(selector, safe[..., None], coef[..., None], -1)
    selector = np.moveaxis(selector, -1, cdim)
    return record(np.asarray(out, dtype=x.dtype), node, (input,),
                  selector=selector, reduction=reduction, class_dim=cdim)


# -- leaky relu and the robust regression losses -------------------------------------------------


class LeakyReluBackward0(Node):
    def backward(self, g: Any) -> Any:
        (x,) = self.saved_tensors
        return g * _slopes(x, self.negative_slope)


class LeakyReluBackward1(Node):
    """In place: the slope is read off the saved result, whose sign is the input's."""

    def backward(self, g: Any) -> Any:
        (out,) = self.saved_tensors
        return g * _slopes(out, self.negative_slope)


def _slopes(x: Any, slope: float) -> Any:
    data = x._data if _is_tensor(x) else x
    return np.where(data > 0, data.dtype.type(1), data.dtype.type(slope))


def leaky_relu(a: Tensor, negative_slope: float, node: type[Node] = LeakyReluBackward0) -> Tensor:
    """``x if x > 0 else negative_slope * x``; ``LeakyReluBackward1`` for the in-place form."""
    x = a._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"leaky_relu_cpu" not implemented for '
                                  f"'{legacy_name(x.dtype)}'")
    out = np.where(x > 0, x, x * x.dtype.type(negative_slope))
    if node is LeakyReluBackward1:
        return record(out, node, (a,), save_out=True, negative_slope=negative_slope)
    return record(out, node, (a,), saved=(a,), negative_slope=negative_slope)


class SmoothL1LossBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, t = self.saved_tensors
        diff, beta = x - t, self.beta
        grad = self.norm * g * _clip_slope(diff, beta, 1.0 / beta)
        return grad, (-grad if self.needs(1) else None)


class HuberLossBackward0(Node):
    def backward(self, g: Any) -> tuple:
        x, t = self.saved_tensors
        diff, delta = x - t, self.delta
        grad = self.norm * g * _clip_slope(diff, delta, 1.0)
        return grad, (-grad if self.needs(1) else None)


def _clip_slope(diff: Any, bound: float, inner: float) -> Any:
    """``d loss / d diff`` divided by the outer slope: ``diff * inner`` inside ``(-bound,
    bound)``, ``±bound * inner`` outside."""
    return diff.clamp(-bound, bound) * inner if _is_tensor(diff) else (
        np.clip(diff, -bound, bound) * diff.dtype.type(inner))


def robust_loss(input: Tensor, target: Tensor, reduction: str, kind: str, bound: float) -> Tensor:
    """``smooth_l1`` (``0.5 d²/beta`` inside ``beta``) or ``huber`` (``0.5 d²`` inside ``delta``),
    both linear in ``|d|`` outside."""
    dt = check_floating(_dtype.result_type(input, target).np, f"{kind}_cpu")
    if kind == "huber" and input._data.dtype.kind not in "fc":  # the result has input's dtype
        raise RuntimeError(f"result type {legacy_name(dt)} can't be cast to the desired output "
                           f"type {legacy_name(input._data.dtype)}")
    x, t = input._data.astype(dt, copy=False), target._data.astype(dt, copy=False)
    z = np.abs(x - t)
    b, half = dt.type(bound), dt.type(0.5)
    if kind == "smooth_l1":
        loss = np.where(z < b, half * z * z / b, z - half * b)
        node, attrs = SmoothL1LossBackward0, {"beta": bound}
    else:
        loss = np.where(z < b, half * z * z, b * (z - half * b))
        node, attrs = HuberLossBackward0, {"delta": bound}
    norm = 1.0 / x.size if reduction == "mean" else 1.0
    return record(reduce(loss, reduction), node, (input, target), saved=(input, target),
                  norm=norm, **attrs)
