"""``Optimizer``: the base class of SGD, Adam, ... and the float kernels their updates share.

The base class keeps PyTorch's bookkeeping: ``param_groups`` (each a dict of parameters and
their own options), per-parameter ``state``, ``zero_grad``, ``state_dict`` and its errors.

The kernels at the bottom update numpy arrays in place with PyTorch's rounding: its CPU
kernels fuse ``p + alpha * g`` (``add_`` with ``alpha``), ``lerp_`` and ``addcmul_`` into one
multiply-add with a single rounding, and gradlab does the same, so an update from the same
gradient gives the same bits (``sqrt`` aside: PyTorch's vectorised float32 square root may differ
from the correctly rounded one in the last bit).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from gradlab._numerics.floats import fma32, fma64, rounds_twice
from gradlab.autograd.grad_mode import enable_grad
from gradlab.nn.parameter import zero_grads
from gradlab.tensor import Tensor, typename

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option without a default that every parameter group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses implement ``step()``.

    >>> opt = optim.SGD(model.parameters(), lr=0.01)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + typename(params))
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list\n"
                             "Hint: pass model.parameters() of a model that has parameters; "
                             "a generator can only be consumed once.")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add parameters with their own options (say, a smaller ``lr`` for some layers)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor\nHint: optimize the leaf "
                                 "tensors you created (with requires_grad=True), not results "
                                 "computed from them.")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          UserWarning, stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to ``None`` (the default), or to zeros."""
        zero_grads(chain.from_iterable(g["params"] for g in self.param_groups), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters from their ``.grad`` (each optimizer defines how)."""
        raise NotImplementedError

    def _closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _with_grad(self, group: dict[str, Any]) -> list[Tensor]:
        """The group's parameters that received a gradient (the others are skipped)."""
        return [p for p in group["params"] if p.grad is not None]

    # -- saving and loading --------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (options and per-parameter state)."""
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param: Tensor, value: Any, key: Any = None) -> Any:
            if isinstance(value, Tensor):
                if key != "step" and param.is_floating_point():
                    return value.to(param.dtype)
                return value
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        for group, new in zip(groups, saved):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved})


def check_options(lr: Any, *, _negative_only: bool = False, **nonnegative: float) -> None:
    """PyTorch's argument checks: ``Invalid learning rate: -0.1`` and friends.

    Most optimizers test ``not 0.0 <= value`` (which refuses NaN); SGD tests ``value < 0.0``
    (which lets NaN through): ``_negative_only`` picks SGD's form.
    """
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in {"lr": lr, **nonnegative}.items():
        if (value < 0.0) if _negative_only else (not 0.0 <= value):
            raise ValueError("Invalid learning rate: " + str(value) if name == "lr"
                             else f"Invalid {name} value: {value}")


def check_flags(differentiable: bool, fused: bool | None = None) -> None:
    if differentiable:
        raise RuntimeError("gradlab optimizers update parameters outside autograd; "
                           "differentiable=True is not supported")
    if fused:
        raise RuntimeError("`fused=True` is not supported by gradlab: its updates already "
                           "follow PyTorch's single-tensor CPU algorithm")


def to_scalar(value: Any) -> Any:
    """PyTorch's ``_to_scalar``: a 1-element tensor option becomes 0-d; numbers stay as given."""
    return value.squeeze() if isinstance(value, Tensor) and value.ndim != 0 else value


def scalar(value: Any) -> float:
    """A learning rate or beta given as a one-element tensor, as a Python float."""
    return value.item() if isinstance(value, Tensor) else value


# -- the float kernels ------------------------------------------------------------------------
# Each mirrors one in-place PyTorch op on a state or parameter tensor, with PyTorch's rounding.


def cast(value: float, like: np.ndarray) -> Any:
    """A Python number as PyTorch's kernels see it: rounded to the tensor's compute type."""
    return np.float32(value) if like.dtype != np.float64 else np.float64(value)


def fma(a: Any, b: np.ndarray, c: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a * b + c`` rounded once, as the fused multiply-add in PyTorch's CPU kernels.

    For float32 the product is exact in float64, so rounding the float64 sum to float32 is
    correct except where ``rounds_twice`` says; those (rare) elements are redone with the exact
    ``fma32``.
    """
    if c.dtype == np.float64:
        res = fma64(a, b, c)
    elif c.dtype != np.float32:
        res = (np.float32(a) * b.astype(np.float32) + c.astype(np.float32)).astype(c.dtype)
    else:
        total = b.astype(np.float64)
        total *= a
        total += c
        risky = rounds_twice(total)
        fixed = None
        if risky.any():
            fixed = fma32(a[risky] if np.ndim(a) else a, b[risky], c[risky])
        if out is None:
            out = total.astype(np.float32)
        else:
            np.copyto(out, total, casting="same_kind")
        if fixed is not None:
            out[risky] = fixed
        return out
    if out is None:
        return res
    np.copyto(out, res)
    return out


def _bump(t: Tensor) -> None:
    t._vc[0] += 1


def add_(t: Tensor, other: np.ndarray, alpha: float = 1.0) -> None:
    """``t.add_(other, alpha=alpha)``."""
    d = t._data
    if alpha == 1:
        np.add(d, other, out=d)
    else:
        fma(cast(alpha, d), other, d, out=d)
    _bump(t)


def mul_(t: Tensor, value: float) -> None:
    """``t.mul_(value)``."""
    np.multiply(t._data, cast(value, t._data), out=t._data)
    _bump(t)


def lerp_(t: Tensor, end: np.ndarray, weight: float) -> None:
    """``t.lerp_(end, weight)``: PyTorch's two-sided formula, each side one rounding."""
    d = t._data
    w = cast(weight, d)
    diff = np.asarray(end - d)
    if abs(w) < 0.5:
        fma(w, diff, d, out=d)
    else:  # (w - 1) * (end - self) + end, as PyTorch's vectorised kernel
        fma(w - 1, diff, end, out=d)
    _bump(t)


def addcmul_(t: Tensor, t1: np.ndarray, t2: np.ndarray, value: float) -> None:
    """``t.addcmul_(t1, t2, value=value)``: ``t + (value * t1) * t2``, one rounding."""
    d = t._data
    fma(cast(value, d) * t1, t2, d, out=d)
    _bump(t)


def addcdiv_(t: Tensor, t1: np.ndarray, t2: np.ndarray, value: float) -> None:
    """``t.addcdiv_(t1, t2, value=value)``: ``t + (value * t1) / t2``."""
    d = t._data
    step = cast(value, d) * t1
    step /= t2
    np.add(d, step, out=d)
    _bump(t)


def zeros_state(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


def step_state() -> Tensor:
    """The step counter PyTorch keeps per parameter: a float32 scalar tensor."""
    return Tensor._make(np.zeros((), dtype=np.float32))
