"""In-place operations (``add_``, ``mul_``, ``zero_``, ``x += 1``) with PyTorch's autograd rules.

An in-place op computes the out-of-place result from a snapshot of the old values, writes it
into the tensor's own memory and bumps the version counter, so backward can detect saved
values that changed. Autograd refuses in-place changes to leaves that require grad unless
gradient recording is off (``no_grad``), exactly like PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.indexing import INPLACE_VIEW_LIMIT, cast_error, castable, check_inplace, write
from gradlab.tensor import Tensor


def apply_inplace(self: Tensor, op: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """Run ``op(old_self, *args)`` and store the result in ``self``, rebasing its history."""
    check_inplace(self)
    recording = STATE.enabled and (
        self._rg or any(isinstance(x, Tensor) and x._rg for x in (*args, *kwargs.values())))
    if recording:
        if self._base is not None:
            raise RuntimeError(INPLACE_VIEW_LIMIT)
        old = Tensor._make(self._data.copy(), self.grad_fn, self._output_nr)
        old._rg, old._acc = self._rg, self._acc
    else:
        old = Tensor._make(self._data)
    res = op(old, *args, **kwargs)
    src, dst = res._data.dtype, self._data.dtype
    if src != dst and not castable(src, dst):
        raise cast_error(src, dst)
    if res._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(res._data.shape)}")
    write(self, Ellipsis, res._data)
    self._vc[0] += 1
    node = res.grad_fn
    if node is not None:
        if src != dst:
            node._meta = ((self._data.shape, dst),)
        self.grad_fn, self._rg, self._output_nr = node, True, 0
    return self


def inplace(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Make the in-place method (``add_``) from the out-of-place function (``add``)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(self, op, *args, **kwargs)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place version of ``{op.__name__}``."
    return method


class ZeroBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g * 0


def _zero(a: Tensor) -> Tensor:
    return record(np.zeros_like(a._data), ZeroBackward0, (a,))


class FillBackward2(ZeroBackward0):
    pass


class FillBackward3(Node):
    def backward(self, g: Any) -> tuple:
        return g * 0, g.sum()


def _fill(a: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        out = np.full_like(a._data, value._data)
        return record(out, FillBackward3, (a, value))
    return record(np.full_like(a._data, value), FillBackward2, (a,))


class CopyBackwards(Node):
    def backward(self, g: Any) -> tuple:
        return g * 0, g


def _copy(a: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    data = src._data if isinstance(src, Tensor) else np.asarray(src)
    try:
        out = np.broadcast_to(data, a._data.shape).astype(a._data.dtype)
    except ValueError:
        size_a = a._data.shape[-1] if a.ndim else 1
        raise RuntimeError(f"The size of tensor a ({size_a}) must match "
                           f"the size of tensor b ({data.shape[-1] if data.ndim else 1}) at "
                           "non-singleton dimension 0") from None
    return record(out, CopyBackwards, (a, src))


def _random_fill(kind: str) -> Callable[..., Tensor]:
    def op(a: Tensor, x: float = 0.0, y: float = 1.0, *, generator: Any = None) -> Tensor:
        from gradlab import random

        gen = generator if generator is not None else random.default_generator
        dt = a._data.dtype
        data = gen.uniform(a._data.shape, x, y, dt) if kind == "uniform" else gen.normal(
            a._data.shape, x, y, dt)
        return Tensor._make(np.asarray(data, dtype=dt))

    op.__name__ = kind
    return op


zero_ = inplace(_zero)
fill_ = inplace(_fill)
copy_ = inplace(_copy)
uniform_ = inplace(_random_fill("uniform"))
normal_ = inplace(_random_fill("normal"))
