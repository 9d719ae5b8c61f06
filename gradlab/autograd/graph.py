"""The nodes of the autograd graph: ``grad_fn`` objects and the leaves' ``AccumulateGrad``.

Every operation on tensors that require grad creates one ``Node``. It remembers where each of its
inputs came from (``next_functions``), the values its derivative needs (saved tensors, checked
against in-place changes) and the shape and dtype of its outputs, so the engine can undo
broadcasting in one place. Subclasses implement ``backward(*grads)`` for one operation.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab._dtype import FROM_NUMPY
from gradlab.autograd.anomaly_mode import ANOMALY, forward_trace
from gradlab.autograd.grad_mode import STATE
from gradlab.tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "CopyBackwards", "RemovableHandle", "accumulate_grad",
           "check_hook_result", "edge", "record", "NO_EDGE"]

_seq = itertools.count()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling backward."
)

INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `gradlab.no_grad()` instead of "
    "`gradlab.inference_mode()`."
)


CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak."
)


_WARNED = {"cycle": False}


class ExecState:
    """What the running backward pass needs to know: whether it builds a graph of its own."""

    create_graph = False


EXEC = ExecState()


NO_EDGE = (None, 0)


def _entries(values: tuple) -> tuple:
    """Saved values as ``(value, version counter, version, is_output)``: a tensor's counter is
    checked in backward; a plain value (a number, None) has none."""
    entries = []
    for v in values:
        if isinstance(v, Tensor):
            if v._inference:
                raise RuntimeError(INFERENCE_SAVED)
            vc = v._vc
            entries.append((v, vc, vc[0], False))
        else:
            entries.append((v, None, 0, False))
    return tuple(entries)


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Node:
    """A ``grad_fn``: one recorded operation, able to turn output gradients into input gradients."""

    __slots__ = ("next_functions", "_meta", "_saved", "_seq", "_pre_hooks", "_hooks",
                 "_retained", "_trace", "_same", "_metadata", "__weakref__")

    def __init__(self, next_functions: tuple, meta: tuple, same: bool = False) -> None:
        self.next_functions = next_functions  # ((node or None, output_nr), ...) per input
        self._meta = meta                     # ((shape, numpy dtype), ...) per output
        self._saved: tuple | None = ()
        self._seq = next(_seq)
        self._pre_hooks: dict[int, list[Callable]] | None = None
        self._hooks: list[Callable] | None = None
        self._retained: dict[int, Any] | None = None
        self._trace = forward_trace() if ANOMALY.enabled else None
        self._same = same  # every input shaped and typed like the output: nothing to undo

    _name = "Node"

    def __init_subclass__(cls, name: str | None = None, **kwargs: Any) -> None:
        """The one place a node's name is decided: its class name (``MulBackward0``), or the
        ``name=`` given to the class where PyTorch's name is namespaced or not a valid class
        name (``class AccumulateGrad(Node, name="gradlab::autograd::AccumulateGrad")``).
        ``name()`` returns it whole; the class (what ``repr`` and ``grad_fn=<...>`` show) is
        called by its last part."""
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.__name__ = cls.__qualname__ = name.rsplit("::", 1)[-1]
        cls._name = name if name is not None else cls.__name__

    # -- what PyTorch shows ----------------------------------------------------------------
    def name(self) -> str:
        """PyTorch's ``grad_fn.name()``."""
        return self._name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        """A dict of the user's own, kept with the node (PyTorch's ``Node.metadata``)."""
        try:
            return self._metadata
        except AttributeError:
            self._metadata: dict = {}
            return self._metadata

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """How IPython displays a node, as it displays PyTorch's: ``<AddBackward0 at 0x...>``."""
        p.text(f"<{type(self).__name__} at {hex(id(self))}>")

    def __call__(self, *grads: Any) -> tuple:
        return self.apply(*grads)

    def needs(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (PyTorch's ``needs_input_grad``)."""
        return self.next_functions[i][0] is not None

    # -- saved values ----------------------------------------------------------------------
    def save(self, *values: Any) -> None:
        """Keep input tensors (or plain values) for backward, remembering their versions."""
        self._saved = _entries(values)

    def save_output(self, out: Any, *others: Any) -> None:
        """Keep this node's own output (by value: no reference cycle) and other values."""
        self._saved = ((out._data, out._vc, out._vc[0], True),) + _entries(others)

    def rebind_output(self, old: Any, new: Any) -> None:
        """An in-place op computed ``old`` and wrote it into ``new``: a saved output is now
        ``new`` at its current version, so a later in-place change of ``new`` is caught."""
        if self._saved:
            self._saved = tuple(
                (new._data, new._vc, new._vc[0], True) if is_out and vc is old._vc else entry
                for entry in self._saved for _, vc, _, is_out in (entry,))

    @property
    def saved_tensors(self) -> tuple:
        """The saved values: numpy arrays, or tensors while building a graph (create_graph)."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        out = []
        for value, vc, version, is_output in saved:
            if vc is None:
                out.append(value)
                continue
            if vc[0] != version:
                raise RuntimeError(_modified_message(self, value, vc[0], version, is_output))
            if EXEC.create_graph:
                out.append(_as_graph_tensor(value, self) if is_output else value)
            else:
                out.append(value if is_output else value._data)
        return tuple(out)

    def release(self) -> None:
        """Free saved values after backward (nodes that saved nothing stay usable)."""
        if self._saved:
            self._saved = None

    # -- hooks -----------------------------------------------------------------------------
    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its gradients."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return replacement gradients."""
        hooks = self._tensor_hooks(-1)
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def _tensor_hooks(self, output_nr: int) -> list[Callable]:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return self._pre_hooks.setdefault(output_nr, [])

    # -- the derivative --------------------------------------------------------------------
    def apply(self, *grads: Any) -> tuple:
        """Gradients w.r.t. the inputs, one per entry of ``next_functions``."""
        out = self.backward(*grads)
        return out if isinstance(out, tuple) else (out,)

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError


class AccumulateGrad(Node, name="gradlab::autograd::AccumulateGrad"):
    """The node behind a leaf that requires grad: adds incoming gradients into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        super().__init__((), ((variable.shape, variable._data.dtype),))
        self.variable = variable
        self._seq = float("inf")  # like PyTorch: runs as soon as it is ready

    def apply(self, grad: Any) -> tuple:
        leaf = self.variable
        if leaf._hooks:
            for hook in list(leaf._hooks):
                new = hook(_as_tensor(grad))
                if new is not None:
                    check_hook_result(hook, grad, new)
                    grad = new if EXEC.create_graph else new._data
        accumulate_grad(leaf, grad)
        return ()


# -- recording: the one place an operation's result gets its grad_fn ------------------------------


def edge(t: Any) -> tuple[Node | None, int]:
    """Where the gradient for input ``t`` goes: its ``grad_fn``, its accumulator, or nowhere."""
    if isinstance(t, Tensor) and t._rg:
        fn = t.grad_fn
        return (fn, t._output_nr) if fn is not None else (t._accumulator(), 0)
    return NO_EDGE


def record(out: Any, node_cls: type[Node], inputs: tuple, saved: tuple = (),
           save_out: bool = False, **attrs: Any) -> Tensor:
    """Wrap ``out`` in a tensor, with a ``node_cls`` grad_fn when autograd should record it.

    ``saved`` are kept for backward (version-checked), ``save_out`` keeps the result itself,
    and ``attrs`` (a dim, a shape...) are set on the node. When every input that requires grad
    has the result's shape and dtype, the node is marked ``_same``: the engine then has no
    broadcasting to undo and no dtype to restore.
    """
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not STATE.enabled:
        return Tensor._make(out)
    edges = []
    rg = False
    same = True
    shape, dt = out.shape, out.dtype
    for t in inputs:
        if isinstance(t, Tensor) and t._rg:
            rg = True
            fn = t.grad_fn
            edges.append((fn, t._output_nr) if fn is not None else (t._accumulator(), 0))
            d = t._data
            if same and (d.shape != shape or d.dtype != dt):
                same = False
        else:
            edges.append(NO_EDGE)
    if not rg:
        return Tensor._make(out)
    node = node_cls(tuple(edges), ((shape, dt),), same)
    if attrs:
        node.__dict__.update(attrs)
    res = Tensor._make(out, node)
    if save_out:
        node._saved = ((out, res._vc, 0, True),) + _entries(saved)
    elif saved:
        node._saved = _entries(saved)
    return res


def check_hook_result(hook: Callable, old: Any, new: Any) -> None:
    """PyTorch's checks on the gradient a tensor hook returns: a tensor of the same type and
    size as the one it was given."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    name = getattr(hook, "__name__", "<unknown>")
    old_dt = getattr(old, "_data", old).dtype
    if new._data.dtype != old_dt:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"gradlab.{FROM_NUMPY[old_dt]._legacy} got gradlab.{new.dtype._legacy})")
    if new._data.shape != getattr(old, "_data", old).shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def accumulate_grad(t: Any, grad: Any) -> None:
    """Add ``grad`` into ``t.grad``: in place normally, out of place when building a graph."""
    if EXEC.create_graph:
        if t.grad_fn is None and not _WARNED["cycle"]:  # once per process, as TORCH_WARN_ONCE
            _WARNED["cycle"] = True
            warnings.warn(CYCLE_WARNING, UserWarning, stacklevel=5)
        g = _as_tensor(grad)
        t._grad = _graph_copy(g) if t._grad is None else t._grad + g
    elif t._grad is None:
        t._grad = _as_tensor(np.array(grad, dtype=t._data.dtype, copy=True))
    elif t._grad._rg:
        t._grad = t._grad + _as_tensor(grad)
    else:
        t._grad._data += grad
        t._grad._vc[0] += 1


class CopyBackwards(Node, name="gradlab::autograd::CopyBackwards"):
    """``x.copy_(src)``, and a leaf's first gradient under ``create_graph``."""

    def backward(self, g: Any) -> tuple:
        return g * 0, g


def _graph_copy(g: Any) -> Any:
    """A leaf's first gradient under ``create_graph``: a copy that stays differentiable
    (``grad_fn=<CopyBackwards>``, as PyTorch's AccumulateGrad makes it)."""
    return record(np.array(g._data, copy=True), CopyBackwards, (None, g))


def _as_tensor(value: Any) -> Any:
    return value if isinstance(value, Tensor) else Tensor._make(np.asarray(value))


def _as_graph_tensor(data: np.ndarray, node: Node) -> Any:
    """A saved output, rebuilt as a tensor whose history is this very node (for create_graph)."""
    return Tensor._make(data, grad_fn=node)


def _short_name(node: Node) -> str:
    """How PyTorch names a node in this message: ``ReluBackward0`` is ``Relu``, but
    ``LeakyReluBackward1`` is ``LeakyRelu1`` and ``ClampBackward1`` is ``Clamp1``."""
    name = node.name()
    match = re.fullmatch(r"(.*)Backward(\d+)", name)
    if match is None:
        return name
    return match[1] + ("" if match[2] == "0" else match[2])


def _modified_message(node: Node, value: Any, now: int, expected: int, is_output: bool) -> str:
    if is_output:
        data, what = value, f", which is output 0 of {_short_name(node)},"
    else:
        data = value._data
        fn = value.grad_fn
        what = f", which is output {value._output_nr} of {_short_name(fn)}," if fn else ""
    shape = ", ".join(str(s) for s in data.shape)
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [gradlab.{FROM_NUMPY[data.dtype]._legacy} [{shape}]]{what} is at version "
        f"{now}; expected version {expected} instead. " + (
            "Hint: the backtrace further above shows the operation that failed to compute its "
            "gradient. The variable in question was changed in there or anywhere later. Good luck!"
            if ANOMALY.enabled else
            "Hint: enable anomaly detection to find the operation that failed to compute its "
            "gradient, with gradlab.autograd.set_detect_anomaly(True, check_nan=False).")
    )
