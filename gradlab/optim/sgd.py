"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

The update, exactly as PyTorch's single-tensor CPU path runs it::

    g = -grad if maximize else grad
    g = g + weight_decay * p                        (if weight_decay)
    b = g (first step)  or  b = momentum * b + (1 - dampening) * g
    g = g + momentum * b  (nesterov)  or  g = b
    p = p - lr * g
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.optim.optimizer import (
    Optimizer,
    add_,
    cast,
    check_flags,
    check_options,
    fma,
    mul_,
    scalar,
)
from gradlab.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """``p -= lr * grad``, optionally with momentum.

    >>> optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        check_options(lr, _negative_only=True, momentum=momentum, weight_decay=weight_decay)
        check_flags(differentiable, fused)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Any = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, momentum = scalar(group["lr"]), group["momentum"]
            wd, dampening = group["weight_decay"], group["dampening"]
            for p in self._with_grad(group):
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if wd != 0:
                    g = fma(cast(wd, g), p._data, g)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(np.array(g, copy=True))
                        state["momentum_buffer"] = buf
                    else:
                        mul_(buf, momentum)
                        add_(buf, g, 1 - dampening)
                    g = fma(cast(momentum, g), buf._data, g) if group["nesterov"] else buf._data
                add_(p, g, -lr)
        return loss
