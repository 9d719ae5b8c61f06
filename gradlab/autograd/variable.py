"""``gradlab.autograd.Variable``: the wrapper of PyTorch before 0.4, kept as PyTorch keeps it.

Old tutorials write ``Variable(torch.ones(2), requires_grad=True)``; since tensors carry
``requires_grad`` themselves, this simply returns a tensor, and every tensor counts as a
``Variable`` for ``isinstance``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: ``data`` as a new leaf sharing its memory."""

    def __new__(cls, data: Any = None, requires_grad: bool = False,
                volatile: bool = False) -> Tensor:  # type: ignore[misc]
        if data is None:
            data = Tensor._make(np.empty(0, dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad and not data.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return data.detach().requires_grad_(requires_grad)
