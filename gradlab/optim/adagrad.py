"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients so far.

The update, in PyTorch's order of float operations (single-tensor CPU path)::

    clr = lr / (1 + (step - 1) * lr_decay)
    s = s + g * g
    p = p + (-clr * g) / (sqrt(s) + eps)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.optim.optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    cast,
    check_flags,
    check_options,
    fma,
    scalar,
    step_state,
)
from gradlab.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.); its state is created for every parameter up front, as in PyTorch.

    >>> optimizer = optim.Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_options(lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        check_flags(differentiable, fused)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._state(p, group)

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_state()
            state["sum"] = Tensor._make(np.full_like(p._data,
                                                     group["initial_accumulator_value"]))
        return state

    def step(self, closure: Any = None) -> Any:
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = scalar(group["lr"]), group["lr_decay"], group["eps"]
            wd = group["weight_decay"]
            for p in self._with_grad(group):
                state = self._state(p, group)
                state["step"]._data += 1
                step = state["step"].item()
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                if wd != 0:
                    g = fma(cast(wd, g), p._data, g)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]
                addcmul_(state_sum, g, g, 1)
                std = np.sqrt(state_sum._data)
                std += cast(eps, g)
                addcdiv_(p, g, std, -clr)
        return loss
