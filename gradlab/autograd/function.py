"""``gradlab.autograd.Function``: define an operation by writing its forward and backward.

The same shape as PyTorch's ``torch.autograd.Function``, so what a learner writes here works
there::

    class Cube(gradlab.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    y = Cube.apply(x)          # y.grad_fn is a CubeBackward node
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.autograd.grad_mode import STATE, no_grad
from gradlab.autograd.graph import EXEC, FREED_MESSAGE, Node, _modified_message, edge
from gradlab.tensor import Tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` object: carries values from ``forward`` to ``backward``."""

    def __init__(self) -> None:
        self._saved: tuple | None = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors for backward; changing them in place afterwards is detected."""
        self._saved = tuple((t, t._vc[0] if t is not None else 0) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(FREED_MESSAGE)
        for t, version in self._saved:
            if t is not None and t._vc[0] != version:
                raise RuntimeError(_modified_message(self, t, t._vc[0], version, False))
        return tuple(t for t, _ in self._saved)

    def mark_dirty(self, *tensors: Any) -> None:
        """Accepted for compatibility; gradlab's forward runs on its own outputs."""

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(Node):
    """The node a custom Function leaves in the graph; calls the user's ``backward``."""

    def backward(self, *grads: Any) -> tuple:
        ctx = self.ctx
        as_tensors = [g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))
                      for g in grads]
        result = self.function.backward(ctx, *as_tensors)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != self.n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {self.n_args}, got {len(result)})")
        for g in result:
            if g is not None and not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        out = []
        for pos in self.tensor_positions:
            g = result[pos]
            if g is not None and not EXEC.create_graph:
                g = g._data
            out.append(g)
        return tuple(out)

    def release(self) -> None:
        self.ctx._saved = None


_NODE_CLASSES: dict[type, type] = {}


class Function:
    """Base class for operations with a hand-written backward (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = FunctionCtx()
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        record = STATE.enabled and any(ctx.needs_input_grad)
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not record:
            return outputs
        node_cls = _NODE_CLASSES.get(cls)
        if node_cls is None:
            node_cls = type(f"{cls.__name__}Backward", (BackwardCFunction,), {})
            _NODE_CLASSES[cls] = node_cls
        tensors = [o for o in outs if isinstance(o, Tensor)]
        node = node_cls(tuple(edge(args[i]) for i in positions),
                        tuple((o._data.shape, o._data.dtype) for o in tensors))
        node.ctx, node.function, node.n_args = ctx, cls, len(args)
        node.tensor_positions = positions
        non_diff = getattr(ctx, "_non_diff", set())
        wrapped, k = [], 0
        for o in outs:
            if isinstance(o, Tensor):
                if id(o) in non_diff or o._data.dtype.kind != "f":
                    wrapped.append(o)
                else:
                    t = Tensor._make(o._data, node, k)
                    t._vc = o._vc
                    wrapped.append(t)
                k += 1
            else:
                wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)
