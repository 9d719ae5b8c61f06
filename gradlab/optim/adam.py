"""Adam and AdamW: steps scaled by running averages of the gradient and of its square.

The update, in PyTorch's order of float operations (single-tensor CPU path)::

    step += 1
    p = p * (1 - lr * wd)    (AdamW)   or   g = g + wd * p   (Adam with weight_decay)
    m = m.lerp(g, 1 - beta1)
    v = v * beta2 + (1 - beta2) * g * g
    denom = sqrt(v) / sqrt(1 - beta2 ** step) + eps      (amsgrad: sqrt of max(v) so far)
    p = p + (-lr / (1 - beta1 ** step)) * m / denom
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.optim._flat import FlatMoments
from gradlab.optim.optimizer import (
    Optimizer,
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
    to_scalar,
    zeros_state,
)
from gradlab.tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), with optional L2 ``weight_decay``, ``amsgrad`` and ``maximize``.

    >>> optimizer = optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        check_options(lr, epsilon=eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_options(lr, weight_decay=weight_decay)
        if not (all(isinstance(b, float) for b in betas[:2])
                or all(isinstance(b, Tensor) for b in betas[:2])):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas[:2]):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        check_flags(differentiable, fused)
        defaults = {"lr": lr, "betas": tuple(map(to_scalar, betas)), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _state(self, p: Any, amsgrad: bool) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_state()
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_state(p)
        return state

    def step(self, closure: Any = None) -> Any:
        """One Adam update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = scalar(group["lr"]), map(scalar, group["betas"])
            wd, eps, amsgrad = group["weight_decay"], group["eps"], group["amsgrad"]
            params = self._with_grad(group)
            flat = self._flat(group, params, amsgrad)
            if flat is None:
                for p in params:
                    self._update(p, self._state(p, amsgrad), group, lr, beta1, beta2)
                continue
            np.concatenate([p.grad._data.reshape(-1) for p in params], out=flat.grad)
            if group["maximize"]:
                np.negative(flat.grad, out=flat.grad)
            if wd != 0:
                for p, view in zip(params, flat.grads):
                    if group["decoupled_weight_decay"]:
                        mul_(p, 1 - lr * wd)
                    else:
                        fma(cast(wd, view), p._data, view, out=view)
            flat.step(params, lr, beta1, beta2, eps, amsgrad)
        return loss

    def _flat(self, group: dict[str, Any], params: list[Tensor],
              amsgrad: bool) -> FlatMoments | None:
        """The group's moments in flat buffers, made on the first step of float32 parameters;
        ``None`` when the per-parameter update must run (other dtypes, replaced state...)."""
        cache = self.__dict__.setdefault("_flat_moments", {})
        hit = cache.get(id(group))
        if hit is not None and hit[0] is group and hit[1].owns(params, self.state, amsgrad):
            return hit[1]
        if not params or any(p._data.dtype != np.float32 or p.grad._data.dtype != np.float32
                             or self.state.get(p) for p in params):
            return None
        flat = FlatMoments(params, amsgrad)
        for p, state in zip(params, flat.states):
            self.state[p] = state
        cache[id(group)] = (group, flat)
        return flat

    def _update(self, p: Tensor, state: dict[str, Any], group: dict[str, Any], lr: float,
                beta1: float, beta2: float) -> None:
        """One parameter's update, kernel by kernel as PyTorch runs it."""
        wd, eps, amsgrad = group["weight_decay"], group["eps"], group["amsgrad"]
        g = p.grad._data
        if group["maximize"]:
            g = -g
        step_t = state["step"]
        step_t._data += 1
        step_t._vc[0] += 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                mul_(p, 1 - lr * wd)
            else:
                g = fma(cast(wd, g), p._data, g)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, g, 1 - beta1)
        mul_(exp_avg_sq, beta2)
        addcmul_(exp_avg_sq, g, g, 1 - beta2)
        step = step_t.item()
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        second = exp_avg_sq._data
        if amsgrad:
            most = state["max_exp_avg_sq"]
            second = np.maximum(most._data, second, out=most._data)
            most._vc[0] += 1
        denom = np.sqrt(second)
        denom /= cast(bias_correction2_sqrt, g)
        denom += cast(eps, g)
        addcdiv_(p, exp_avg._data, denom, -step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before each step."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
