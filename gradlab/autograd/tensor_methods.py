"""The autograd half of ``Tensor``: ``backward``, ``register_hook``, ``retain_grad``.

``gradlab.tensor`` sits below autograd and knows nothing of graphs; these methods walk the
graph, so they live here, beside the engine, and are attached to ``Tensor`` when
``gradlab.autograd`` is imported (as PyTorch's ``torch/_tensor.py`` adds ``backward`` to the
C++ tensor by calling ``torch.autograd.backward``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from gradlab.autograd import api
from gradlab.autograd.graph import AccumulateGrad, RemovableHandle
from gradlab.tensor import Tensor

__all__ = ["backward", "register_hook", "retain_grad", "accumulator"]


def retain_grad(self: Tensor) -> None:
    """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
    if not self._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self._retains:
        return
    self._retains = True
    node = self.grad_fn
    if node._retained is None:
        node._retained = {}
    node._retained[self._output_nr] = weakref.ref(self)


def register_hook(self: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is None:
        if self._hooks is None:
            self._hooks = []
        hooks = self._hooks
    else:
        hooks = self.grad_fn._tensor_hooks(self._output_nr)
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Compute the gradient of this tensor w.r.t. the leaves and add it into their ``.grad``."""
    api.backward(self, gradient, retain_graph, create_graph, inputs)


def accumulator(self: Tensor) -> AccumulateGrad | None:
    """The leaf's ``AccumulateGrad`` node: one per leaf while any graph still refers to it;
    none for a view made under ``no_grad`` (it requires grad, but PyTorch drops its gradient)."""
    if self.__dict__.get("_made_without_grad"):
        return None
    acc = self._acc() if self._acc is not None else None
    if acc is None:
        acc = AccumulateGrad(self)
        self._acc = weakref.ref(acc)
    return acc


Tensor.retain_grad = retain_grad
Tensor.register_hook = register_hook
Tensor.backward = backward
Tensor._accumulator = accumulator
