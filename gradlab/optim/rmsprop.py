"""RMSprop: divide each step by a running root-mean-square of recent gradients.

The update, in PyTorch's order of float operations (single-tensor CPU path)::

    v = alpha * v + (1 - alpha) * g * g
    avg = sqrt(v - m * m) + eps   with m = m.lerp(g, 1 - alpha)   (centered)
    avg = sqrt(v) + eps                                            (otherwise)
    b = momentum * b + g / avg;  p = p - lr * b                     (momentum > 0)
    p = p + (-lr * g) / avg                                         (otherwise)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.optim.optimizer import (
    Optimizer,
    add_,
    addcdiv_,
    addcmul_,
    cast,
    check_flags,
    check_options,
    fma,
    lerp_,
    mul_,
    scalar,
    step_state,
    zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum.

    >>> optimizer = optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_options(lr, epsilon=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        check_flags(differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _state(self, p: Any, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_state()
            state["square_avg"] = zeros_state(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_state(p)
            if group["centered"]:
                state["grad_avg"] = zeros_state(p)
        return state

    def step(self, closure: Any = None) -> Any:
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = scalar(group["lr"]), group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p in self._with_grad(group):
                state = self._state(p, group)
                g = p.grad._data
                if group["maximize"]:
                    g = -g
                state["step"]._data += 1
                if wd != 0:
                    g = fma(cast(wd, g), p._data, g)
                square_avg = state["square_avg"]
                mul_(square_avg, alpha)
                addcmul_(square_avg, g, g, 1 - alpha)
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    lerp_(grad_avg, g, 1 - alpha)
                    mean = grad_avg._data
                    avg = fma(cast(-1, mean) * mean, mean, square_avg._data)  # addcmul value=-1
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(square_avg._data)
                avg += cast(eps, g)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    mul_(buf, momentum)
                    addcdiv_(buf, g, avg, 1)
                    add_(p, buf._data, -lr)
                else:
                    addcdiv_(p, g, avg, -lr)
        return loss
