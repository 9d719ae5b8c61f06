"""The autograd graph behind a tensor, as data: ``svg.draw_graph`` draws it, ``to_dot`` writes
Graphviz.

The walk uses only PyTorch's public graph API (``grad_fn``, ``next_functions``, ``name()``,
``variable`` on ``AccumulateGrad``), so it draws gradlab's graphs and PyTorch's alike. Edges point
the way ``backward()`` sends gradients: from the output down to the leaves.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from gradlab.plot._convert import to_numpy

__all__ = ["GraphNode", "GraphEdge", "AutogradGraph", "build_graph", "to_dot", "short_name",
           "format_values"]


@dataclasses.dataclass
class GraphNode:
    """One box: the output tensor, a ``grad_fn`` node, or a leaf's ``AccumulateGrad``."""

    id: int
    kind: str  # "output", "function" or "leaf"
    name: str  # PyTorch's name, e.g. "MulBackward0", "AccumulateGrad"
    label: str | None  # the learner's name for the tensor (from ``names=``), if any
    lines: list[str]  # values, shapes and gradients shown under the name
    ref: Any = dataclasses.field(repr=False, compare=False, default=None)


@dataclasses.dataclass(frozen=True)
class GraphEdge:
    """``source`` passes gradients to ``target`` (``target`` is in ``source.next_functions``)."""

    source: int
    target: int
    input_nr: int  # position in ``source.next_functions``


@dataclasses.dataclass
class AutogradGraph:
    """The nodes and edges reachable from a tensor's ``grad_fn``, in discovery order."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]

    def node(self, id: int) -> GraphNode:
        return self.nodes[id]


def short_name(node: Any) -> str:
    """``node.name()`` without a C++ namespace ("torch::autograd::AccumulateGrad" -> last part)."""
    return str(node.name()).rsplit("::", 1)[-1]


def _number(value: float) -> str:
    """A number close to PyTorch's printing: ``4.`` for whole floats, else up to 4 decimals."""
    if not np.isfinite(value):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e8:
        return f"{value:.0f}."
    if abs(value) >= 1e8 or abs(value) < 1e-3:
        return f"{value:.4e}"
    return f"{value:.4f}".rstrip("0")


def format_values(value: Any, *, limit: int = 4) -> str:
    """A short text for a tensor: its values when it has at most ``limit`` of them, else shape."""
    array = to_numpy(value)
    if array.size > limit:
        return "shape (" + ", ".join(str(s) for s in array.shape) + ")"
    if array.ndim == 0:
        return _number(float(array))
    text = np.array2string(array, separator=", ", formatter={"float_kind": _number})
    return " ".join(text.split())


def _tensor_lines(tensor: Any, show_grad: bool) -> list[str]:
    lines = [format_values(tensor)]
    if show_grad and (tensor.is_leaf or getattr(tensor, "retains_grad", False)):
        grad = tensor.grad
        lines.append("grad " + ("None" if grad is None else format_values(grad)))
    return lines


def _lookup(names: Mapping[str, Any] | None) -> tuple[dict[int, str], dict[int, tuple]]:
    """Names by the id of the tensor, and (name, tensor) by the id of the tensor's grad_fn."""
    by_tensor, by_fn = {}, {}
    for name, tensor in (names or {}).items():
        by_tensor[id(tensor)] = name
        if getattr(tensor, "grad_fn", None) is not None:
            by_fn[id(tensor.grad_fn)] = (name, tensor)
    return by_tensor, by_fn


def build_graph(
    tensor: Any, *, show_grad: bool = True, names: Mapping[str, Any] | None = None
) -> AutogradGraph:
    """Walk ``tensor.grad_fn`` and every ``next_functions`` entry (iteratively, each node once)."""
    by_tensor, by_fn = _lookup(names)
    by_fn.pop(id(getattr(tensor, "grad_fn", None)), None)  # the output box already says it
    out_label = by_tensor.get(id(tensor))
    output = GraphNode(0, "output", "output", out_label, _tensor_lines(tensor, show_grad), tensor)
    nodes, edges = [output], []
    root = getattr(tensor, "grad_fn", None)
    if root is None:
        output.lines.append("leaf" if getattr(tensor, "requires_grad", False) else
                            "requires_grad=False: no graph")
        return AutogradGraph(nodes, edges)

    ids: dict[int, int] = {}  # id() is safe: every node visited stays referenced by its GraphNode

    def visit(node: Any) -> int:
        if id(node) in ids:
            return ids[id(node)]
        ids[id(node)] = len(nodes)
        variable = getattr(node, "variable", None)
        if variable is not None:
            label = by_tensor.get(id(variable))
            nodes.append(GraphNode(len(nodes), "leaf", short_name(node), label,
                                   _tensor_lines(variable, show_grad), node))
        else:
            label, named = by_fn.get(id(node), (None, None))
            lines = [] if named is None else _tensor_lines(named, show_grad)
            nodes.append(GraphNode(len(nodes), "function", short_name(node), label, lines, node))
        queue.append(node)
        return ids[id(node)]

    queue: deque[Any] = deque()
    edges.append(GraphEdge(0, visit(root), 0))
    while queue:
        node = queue.popleft()
        source = ids[id(node)]
        for input_nr, (child, _output_nr) in enumerate(node.next_functions):
            if child is not None:
                edges.append(GraphEdge(source, visit(child), input_nr))
    return AutogradGraph(nodes, edges)


def _dot_quote(text: str) -> str:
    """A Graphviz string literal; line breaks become centred line breaks (``\\n``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


DOT_COLORS = {"output": "#fff3c4", "function": "#e8eef7", "leaf": "#d9f2e3"}


def to_dot(
    tensor: Any, *, show_grad: bool = True, names: Mapping[str, Any] | None = None
) -> str:
    """Graphviz source for the graph behind ``tensor``, for ``dot -Tsvg`` or the graphviz package.

    The same nodes, labels and edges as ``draw_graph``, with the leaves on the bottom rank.
    """
    graph = build_graph(tensor, show_grad=show_grad, names=names)
    lines = ["digraph autograd {", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=11];']
    for node in graph.nodes:
        label = _dot_quote("\n".join(node_text(node)))
        fill = _dot_quote(DOT_COLORS[node.kind])
        lines.append(f"  n{node.id} [label={label}, fillcolor={fill}];")
    for edge in graph.edges:
        lines.append(f"  n{edge.source} -> n{edge.target};")
    leaves = [f"n{node.id}" for node in graph.nodes if node.kind == "leaf"]
    if leaves:
        lines.append("  { rank=sink; " + "; ".join(leaves) + "; }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_text(node: GraphNode) -> list[str]:
    """The lines shown in a node's box: learner's name, PyTorch's name, values, gradient."""
    head = [node.label] if node.label else []
    if node.kind == "output":
        return (head or ["output"]) + node.lines
    return head + [node.name] + node.lines

