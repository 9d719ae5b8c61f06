"""The backward engine: runs the graph from the outputs to the leaves, without recursion.

``backward()`` and ``autograd.grad()`` (``gradlab/autograd/api.py``) both call ``execute``:
count how many edges lead into each node (an iterative depth-first walk), then run nodes whose
gradients are complete, most recent first (Kahn's algorithm with PyTorch's ordering), summing
gradients that meet at a node. The one place that undoes
broadcasting is ``sum_to``: a gradient shaped like a broadcast result is summed back to the
shape of the tensor it belongs to.
"""

from __future__ import annotations

import heapq
import itertools
import warnings
from heapq import heappop, heappush
from typing import Any

import numpy as np

from gradlab._dtype import FROM_NUMPY
from gradlab._numerics.floats import quiet, restore
from gradlab._numerics.summation import torch_sum
from gradlab.autograd.anomaly_mode import ANOMALY
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import (
    EXEC,
    AccumulateGrad,
    Node,
    check_hook_result,
)
from gradlab.tensor import Tensor

__all__ = ["execute", "sum_to"]


def sum_to(g: Any, shape: tuple, node: Node | None = None, index: int = 0) -> Any:
    """Sum ``g`` over the dimensions that broadcasting added or stretched, to get ``shape``.

    >>> sum_to(np.ones((4, 3)), (1, 3))     # array([[4., 4., 4.]])
    """
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if not shape:  # a 0-d tensor broadcast to g's shape: every dim is summed
        if lead and type(g) is np.ndarray and g.dtype.kind == "f":
            return torch_sum(g)  # the order of sum(dims, keepdim=True) then a view to ()
        axes: tuple = tuple(range(lead))
    else:
        if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
            name = node.name() if node is not None else "backward"
            raise RuntimeError(
                f"Function {name} returned an invalid gradient at index {index} - got "
                f"{list(gshape)} but expected shape compatible with {list(shape)}"
            )
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1
        )
    if axes:  # one sum over every reduced dim, in PyTorch's order, as at::sum_to does
        g = torch_sum(g, axes, keepdims=True) if type(g) is np.ndarray and g.dtype.kind == "f" \
            else g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def _cast(g: Any, np_dtype: np.dtype) -> Any:
    """Gradients take the dtype of the tensor they belong to (as numpy arrays, or tensors)."""
    if type(g) is not np.ndarray:
        if hasattr(g, "_data"):
            if g._data.dtype == np_dtype:
                return g
            return g.to(FROM_NUMPY[np_dtype])
        g = np.asarray(g)
    return g if g.dtype == np_dtype else g.astype(np_dtype)


def _dependencies(roots: list[Node], capture: list | None) -> tuple[dict, set | None]:
    """For each reachable node, ``[edges still to bring it gradients, gradients so far]``
    (an iterative DFS counts the edges).

    With ``capture`` (``autograd.grad``), only nodes from which a captured edge can be reached
    are counted: the rest of the graph is not run at all.
    """
    pending = {n: [0, [None] * len(n._meta)] for n in roots}  # also the set of nodes seen
    stack = list(roots)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                entry = pending.get(nxt)
                if entry is None:
                    pending[nxt] = [1, [None] * len(nxt._meta)]
                    stack.append(nxt)
                else:
                    entry[0] += 1
    if capture is None:
        return pending, None
    parents: dict[Node, list[Node]] = {}
    for node in pending:
        for nxt, _ in node.next_functions:
            if nxt is not None:
                parents.setdefault(nxt, []).append(node)
    needed = {n for n, _ in capture}
    stack = list(needed)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    for node, entry in pending.items():
        entry[0] = sum(1 for p in parents.get(node, ()) if p in needed)
    return pending, needed


def _pre_hooks(node: Node, grads: list[Any]) -> list[Any]:
    """Tensor hooks and ``retain_grad`` of a node's outputs, applied to their finished gradients."""
    for nr, hooks in (node._pre_hooks or {}).items():
        for hook in list(hooks):
            if nr == -1:  # node.register_prehook: the output gradients, as tensors
                new = hook(tuple(g if g is None or isinstance(g, Tensor) else
                                 Tensor._make(np.asarray(g)) for g in grads))
                if new is not None:
                    grads = [g if g is None or EXEC.create_graph else g._data for g in new]
            elif grads[nr] is not None:
                g = grads[nr]
                new = hook(g if isinstance(g, Tensor) else Tensor._make(np.asarray(g)))
                if new is not None:
                    check_hook_result(hook, g, new)
                    grads[nr] = new if EXEC.create_graph else new._data
    for nr, ref in (node._retained or {}).items():
        tensor = ref()
        if tensor is not None and grads[nr] is not None:
            g = grads[nr]
            if not isinstance(g, Tensor):
                g = Tensor._make(np.array(g, copy=True))
            elif tensor._grad is None:
                g = g.clone()  # PyTorch's retain_grad hook keeps a clone
            tensor._grad = g if tensor._grad is None else tensor._grad + g
    return grads


def execute(
    edges: list[tuple[Node, int]],
    grads: list[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: list[tuple[Node, int]] | None = None,
) -> list[Any]:
    """Run the graph backwards from ``edges`` seeded with ``grads``.

    With ``capture``, record the total gradient arriving at each captured edge and leave the
    leaves' ``.grad`` alone (that is ``autograd.grad``); without it, accumulate into leaves.
    Per node the common case costs the node's own backward and a few list and dictionary
    operations per input: ``pending[node]`` holds the edges still to deliver and the
    gradients summed so far, and a node that became ready alone skips the heap. Each input
    gradient gets the shape and dtype of its tensor on its way (``_fit``); a node recorded
    with ``_same`` (inputs shaped and typed like its output) has nothing to check there.
    """
    roots = list(dict.fromkeys(n for n, _ in edges))
    pending, needed = _dependencies(roots, capture)
    captured: list[Any] = [None] * len(capture or ())
    want: dict[Node, list] = {}
    for i, (node, nr) in enumerate(capture or ()):
        want.setdefault(node, []).append((nr, i))
    for (node, nr), g in zip(edges, grads):
        buf = pending[node][1]
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    tie = itertools.count()  # equal sequence numbers (leaves) run in the order they got ready
    ready = [(-n._seq, next(tie), n, pending[n][1]) for n in roots if not pending[n][0]]
    heapq.heapify(ready)  # the ready node of the latest operation runs first, as in PyTorch
    follow = None  # the one node made ready while the queue was empty: it runs next

    prev_mode, prev_exec = STATE.enabled, EXEC.create_graph
    STATE.enabled = EXEC.create_graph = create_graph
    token = quiet()  # inf and nan gradients pass silently, as in PyTorch
    try:
        while follow is not None or ready:
            if follow is None:
                _, _, node, out_grads = heappop(ready)
            else:
                (node, out_grads), follow = follow, None
            if node._pre_hooks is not None or node._retained is not None:
                out_grads = _pre_hooks(node, out_grads)
            if want and node in want:
                for nr, i in want[node]:
                    captured[i] = out_grads[nr]
            if type(node) is AccumulateGrad:  # a leaf: add into .grad (not for autograd.grad)
                if capture is None and out_grads[0] is not None:
                    _accumulate(node, out_grads)
                continue
            if out_grads[0] is None if len(out_grads) == 1 else _all_none(out_grads):
                in_grads: Any = (None,) * len(node.next_functions)
                same = True
            else:
                if len(out_grads) > 1 or ANOMALY.enabled:
                    in_grads = _run(node, out_grads, create_graph)
                else:  # the common case of _run
                    in_grads = node.backward(out_grads[0])
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                same = node._same
                if node._hooks:
                    in_grads = _post_hooks(node, _validate(node, in_grads, needed), out_grads)
                if not retain_graph:
                    node.release()
            for i, ((nxt, nr), g) in enumerate(zip(node.next_functions, in_grads)):
                if nxt is None or (needed is not None and nxt not in needed):
                    continue
                entry = pending[nxt]
                if g is not None:
                    if not same or type(g) is not np.ndarray:
                        g = _fit(g, nxt._meta[nr], node, i)
                    buf = entry[1]
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                entry[0] -= 1
                if not entry[0]:
                    if not ready and follow is None:
                        follow = (nxt, entry[1])
                        continue
                    if follow is not None:  # two became ready: the queue orders them
                        heappush(ready, (-follow[0]._seq, next(tie), *follow))
                        follow = None
                    heappush(ready, (-nxt._seq, next(tie), nxt, entry[1]))
    finally:
        restore(token)
        STATE.enabled, EXEC.create_graph = prev_mode, prev_exec
    return captured


def _run(node: Node, out_grads: list[Any], create_graph: bool) -> Any:
    """One node's backward: its gradients w.r.t. its inputs, one per ``next_functions``."""
    if len(out_grads) > 1:
        for nr, g in enumerate(out_grads):
            if g is None:  # an unused output of a multi-output node gets zeros
                shape, dt = node._meta[nr]
                out_grads[nr] = _zeros(shape, dt, create_graph)
    if ANOMALY.enabled:
        return _checked(node, out_grads)
    in_grads = node.backward(*out_grads)  # what node.apply does, one call less
    return in_grads if type(in_grads) is tuple else (in_grads,)


def _fit(g: Any, meta: tuple, node: Node, index: int) -> Any:
    """An input's gradient in the dtype and shape of its tensor (undoing broadcasting)."""
    shape, dt = meta
    if type(g) is not np.ndarray or g.dtype != dt:
        if isinstance(g, np.generic) and g.dtype == dt and not shape:
            return g  # numpy's 0-d results are scalars: fine as they are
        g = _cast(g, dt)
    return g if g.shape == shape else sum_to(g, shape, node, index)


def _accumulate(node: AccumulateGrad, out_grads: list[Any]) -> None:
    """A leaf's gradient into its ``.grad``, with the leaf's and the node's hooks."""
    if not (node._hooks or ANOMALY.enabled):
        node.apply(out_grads[0])
        return
    if ANOMALY.enabled:
        _checked(node, out_grads)
    else:
        node.apply(out_grads[0])
    if node._hooks:
        _post_hooks(node, [], out_grads)


def _validate(node: Node, in_grads: Any, needed: set | None) -> list[Any]:
    """Every input gradient fitted to its tensor (for post hooks, which see them so)."""
    out = list(in_grads)
    for i, ((nxt, nr), g) in enumerate(zip(node.next_functions, in_grads)):
        if nxt is None:
            out[i] = None
        elif g is not None and (needed is None or nxt in needed):
            out[i] = _fit(g, nxt._meta[nr], node, i)
    return out


def _post_hooks(node: Node, in_grads: list[Any], out_grads: list[Any]) -> list[Any]:
    """``node.register_hook`` hooks: ``hook(grad_inputs, grad_outputs)``, tensors in and out."""
    def wrap(gs: list[Any]) -> tuple:
        return tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(np.asarray(g))
                     for g in gs)

    for hook in list(node._hooks or ()):
        new = hook(wrap(in_grads), wrap(out_grads))
        if new is not None:
            in_grads = [g if g is None or EXEC.create_graph else g._data for g in new]
    return in_grads


def _checked(node: Node, out_grads: list[Any]) -> tuple:
    """``node.apply`` under anomaly detection: name the forward line of a failing node."""
    try:
        in_grads = node.apply(*out_grads)
    except Exception:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                      f"error:\n{node._trace or '  (created before anomaly detection was on)'}",
                      UserWarning, stacklevel=4)
        raise
    if ANOMALY.check_nan:
        for i, g in enumerate(in_grads):
            data = getattr(g, "_data", g)
            if data is not None and np.isnan(data).any():
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                                   "output.")
    return in_grads


def _all_none(grads: list[Any]) -> bool:
    for g in grads:
        if g is not None:
            return False
    return True


def _zeros(shape: tuple, dt: np.dtype, as_tensor: bool) -> Any:
    z = np.zeros(shape, dtype=dt)
    if as_tensor:
            return Tensor._make(z)
    return z
