"""``backward()`` and ``autograd.grad()``: PyTorch's checks of their arguments, the seed
gradients, then one run of the engine (``gradlab/autograd/engine.py``).

Also the autograd half of ``Tensor`` (``backward``, ``register_hook``, ``retain_grad``):
``gradlab.tensor`` sits below autograd and knows nothing of graphs, so these methods are
attached to ``Tensor`` here, when ``gradlab.autograd`` is imported (as PyTorch's
``torch/_tensor.py`` adds ``backward`` to the C++ tensor by calling ``torch.autograd.backward``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.autograd.engine import execute
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import (
    EXEC,
    AccumulateGrad,
    Node,
    RemovableHandle,
    accumulate_grad,
)
from gradlab.tensor import Tensor

__all__ = ["backward", "grad"]


# -- the public entry points -----------------------------------------------------------------


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return [x] if isinstance(x, Tensor) else list(x)


def _grads_list(x: Any) -> list[Any] | None:
    """The seed gradients as a list (``None``: implicit ones); a number is refused as
    PyTorch refuses it, by trying to iterate over it."""
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def _roots(tensors: list[Any], grad_tensors: list[Any] | None,
           create_graph: bool) -> tuple[list, list]:
    """Edges and seed gradients for the outputs we differentiate."""
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif len(grad_tensors) < len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    for g in grad_tensors:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
    edges, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn\n"
                "Hint: create the leaf tensors with requires_grad=True, and do not compute this "
                "tensor inside gradlab.no_grad()."
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones_like(t._data)
        else:
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}."
                )
            if g._data.dtype != t._data.dtype:
                g = g.to(t.dtype)
            g = g if create_graph else g._data
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g)
        edges.append(_edge(t))
        grads.append(g)
    return edges, grads


def _edge(t: Any) -> tuple[Node, int]:
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._accumulator(), 0)


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate into ``.grad`` of the leaves (or of ``inputs``) the gradient of ``tensors``."""
    if grad_tensors is None and not create_graph and getattr(tensors, "_rg", False) and \
            tensors._data.size == 1 and tensors.grad_fn is not None:  # loss.backward()
        seed = tensors._data  # a one of the loss's shape and dtype
        seed = np.array(1, seed.dtype) if not seed.ndim else np.ones_like(seed)
        edges, grads = [(tensors.grad_fn, tensors._output_nr)], [seed]
    else:
        edges, grads = _roots(_as_list(tensors), _grads_list(grad_tensors), create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        execute(edges, grads, retain, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    results = execute(edges, grads, retain, create_graph, capture=[_edge(t) for t in inputs])
    prev_mode, prev_exec = STATE.enabled, EXEC.create_graph
    STATE.enabled = EXEC.create_graph = create_graph
    try:
        for t, g in zip(inputs, results):
            if g is not None:
                if t.grad_fn is None:
                    t._accumulator().apply(g)  # runs the leaf's hooks, like a normal backward
                else:
                    accumulate_grad(t, g)
    finally:
        STATE.enabled, EXEC.create_graph = prev_mode, prev_exec


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned instead of stored in ``.grad``.

    >>> (dx,) = gradlab.autograd.grad(y, x, create_graph=True)   # dx can be differentiated again
    """
    if is_grads_batched:
        raise NotImplementedError("gradlab.autograd.grad: is_grads_batched=True is not supported")
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    edges, grads = _roots(outputs, _grads_list(grad_outputs), create_graph)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    results = execute(edges, grads, retain, create_graph, capture=[_edge(t) for t in inputs])
    out = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if materialize_grads:
                out.append(Tensor._make(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            out.append(None)
        else:
            out.append(g if isinstance(g, Tensor) else Tensor._make(np.array(g, copy=True)))
    return tuple(out)


# -- the methods autograd adds to Tensor ------------------------------------------------------


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


def _tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Compute the gradient of this tensor w.r.t. the leaves and add it into their ``.grad``."""
    backward(self, gradient, retain_graph, create_graph, inputs)


def _accumulator(self: Tensor) -> AccumulateGrad | None:
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
Tensor.backward = _tensor_backward
Tensor._accumulator = _accumulator
