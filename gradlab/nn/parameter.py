"""``Parameter``: a tensor a ``Module`` registers as one of its learnable weights.

A parameter is an ordinary leaf tensor that requires grad, plus a flag for ``Module``: assigning
one as an attribute (``self.w = nn.Parameter(...)``) registers it, so ``parameters()`` finds it
and the optimizer can update it. It shares memory with the tensor it was made from, exactly
like ``torch.nn.Parameter``; operations on it give plain tensors. ``zero_grads`` is the one
``zero_grad`` of ``Module`` and ``Optimizer``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from gradlab.tensor import Tensor

__all__ = ["Parameter", "zero_grads"]


class Parameter(Tensor):
    """A learnable tensor: a leaf that requires grad and that modules register on assignment.

    >>> w = nn.Parameter(gradlab.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor._make(np.empty(0, dtype=np.float32))
        if not isinstance(data, Tensor):  # PyTorch's Parameter calls data.detach() first
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'\n"
                                 "Hint: wrap the values first, e.g. "
                                 "nn.Parameter(gradlab.tensor(...)).")
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        Tensor._init(self, data._data, bool(requires_grad), None)
        self._vc = data._vc  # the same memory, so the same version counter (as detach())

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self._data.copy(), self._rg))


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(data), requires_grad)


def zero_grads(params: Iterable[Tensor], set_to_none: bool) -> None:
    """``zero_grad``: each ``.grad`` to ``None``, or detached and filled with zeros in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()
