"""``gradlab.autograd.functional``: Jacobians, Hessians and vector-Jacobian products of a
function, computed as PyTorch computes them (reverse mode, one backward pass per output
element), with PyTorch's argument checks and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.autograd.api import grad as _grad
from gradlab.autograd.grad_mode import enable_grad, set_grad_enabled
from gradlab.autograd.grad_mode import is_grad_enabled as _grad_enabled
from gradlab.tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "vhp", "hvp"]


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was it a tuple, the tensors as a tuple)``; anything but tensors is refused."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = (f"the value at index {i} has type" if is_tuple
                     else f"the given {arg_name} has type")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} {type(el)}.")
    return is_tuple, items


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh leaves to differentiate with respect to (views that keep the graph with
    ``create_graph``)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in inputs)


def _postprocess(res: Any, create_graph: bool) -> Any:
    if isinstance(res, tuple):
        return tuple(_postprocess(r, create_graph) for r in res)
    return res if create_graph else res.detach()


def _unpack(res: tuple, is_tuple: Any) -> Any:
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(el[0] for el in res)
        return res if is_tuple[0] else res[0]
    return res if is_tuple else res[0]


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None,
                   create_graph: bool) -> tuple:
    """``autograd.grad`` over the outputs that require grad; None for every input if none do."""
    pairs = [(o, None if grad_outputs is None else g) for o, g in
             zip(outputs, grad_outputs or (None,) * len(outputs)) if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return _grad(list(outs), list(inputs), None if grad_outputs is None else list(gos),
                 retain_graph=True, create_graph=create_graph, allow_unused=True)


def _zeros_for_none(grads: tuple, inputs: tuple) -> tuple:
    return tuple(Tensor._make(np.zeros_like(t._data)) if g is None else g
                 for g, t in zip(grads, inputs))


def _stack(rows: list[Tensor], shape: tuple) -> Tensor:
    """The rows one above the other, viewed as ``shape`` (kept in the graph if they are)."""
    if not any(r.requires_grad for r in rows):
        return Tensor._make(np.stack([r._data for r in rows]).reshape(shape))
    n = len(rows)
    total = None
    for j, r in enumerate(rows):  # sum_j e_j (outer) row_j: each row lands in place j
        unit = np.zeros((n, 1), dtype=r._data.dtype)
        unit[j] = 1
        term = Tensor._make(unit) * r.reshape(1, -1)
        total = term if total is None else total + term
    return total.view(shape)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs: shape ``output.shape + input.shape`` for each pair."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                       "jacobian")
        result = []
        for out in outputs:
            rows: list[list[Tensor]] = [[] for _ in inputs]
            flat = out.reshape(-1)
            for j in range(out.numel()):
                vj = _zeros_for_none(_autograd_grad((flat[j],), inputs, None, create_graph),
                                     inputs)
                for per_input, v in zip(rows, vj):
                    per_input.append(v)
            result.append(tuple(
                _stack(r, tuple(out.shape) + tuple(inp.shape)) if r else
                Tensor._make(np.zeros(tuple(out.shape) + tuple(inp.shape), inp._data.dtype))
                for r, inp in zip(rows, inputs)))
        return _unpack(_postprocess(tuple(result), create_graph), (out_tuple, in_tuple))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The matrix of second derivatives of a function with a single-element output."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        out_tuple, _ = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac(*inp: Tensor) -> Any:
        return jacobian(single_output, inp, create_graph=True)

    res = jacobian(jac, inputs, create_graph=create_graph)
    return _unpack(res, (in_tuple, in_tuple))


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _preprocess(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                       "vjp")
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _preprocess(v, create_graph, False)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else _grad_enabled()):
        res = _zeros_for_none(_autograd_grad(outputs, inputs, v, create_graph), inputs)
    return (_unpack(_postprocess(outputs, create_graph), out_tuple),
            _unpack(_postprocess(res, create_graph), in_tuple))


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a function with a single-element output."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _preprocess(inputs, create_graph, True)
        out = func(*inputs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with a "
                               "single element")
        grads = _zeros_for_none(_grad([out], list(inputs), create_graph=True,
                                      allow_unused=True), inputs)
        if v is None:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            v = (Tensor._make(np.ones_like(inputs[0]._data)),)
        _, v = _as_tuple(v, "v", "vhp")
        res = _zeros_for_none(_autograd_grad(grads, inputs, v, create_graph), inputs)
    return (_postprocess(out, create_graph), _unpack(_postprocess(res, create_graph), in_tuple))


hvp = vhp  # the Hessian is symmetric: v^T H == (H v)^T
