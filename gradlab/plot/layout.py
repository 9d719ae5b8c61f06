"""A layered (Sugiyama-style) layout for small directed acyclic graphs, in plain Python.

Sources (the output) go on top and the pinned bottom nodes (the leaves) at the bottom; edges
that skip layers get invisible bend points; a few barycentre sweeps order each layer to avoid
crossings, and a few relaxation sweeps pull each node over its neighbours.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

__all__ = ["Layout", "layered_layout"]


@dataclasses.dataclass
class Layout:
    """Node centres, the layer of each node, and each edge's route as a list of points."""

    x: dict[int, float]
    y: dict[int, float]
    layer: dict[int, int]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float


def _layers(nodes: list[int], edges: list[tuple[int, int]], bottom: set[int]) -> dict[int, int]:
    """Longest-path layering from the sources (iterative: no recursion limit)."""
    indegree = {v: 0 for v in nodes}
    children = defaultdict(list)
    for a, b in edges:
        indegree[b] += 1
        children[a].append(b)
    layer = dict.fromkeys(nodes, 0)
    ready = [v for v in nodes if indegree[v] == 0]
    while ready:
        v = ready.pop()
        for c in children[v]:
            layer[c] = max(layer[c], layer[v] + 1)
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    deepest = max(layer.values(), default=0)
    for v in bottom:
        if not children[v]:
            layer[v] = deepest
    return layer


def _crossings(order: list[list[int]], down: dict[int, list[int]]) -> int:
    total = 0
    for upper, lower in zip(order, order[1:], strict=False):
        pos = {v: i for i, v in enumerate(lower)}
        pairs = [(i, pos[c]) for i, v in enumerate(upper) for c in down[v] if c in pos]
        total += sum(1 for a in pairs for b in pairs if a[0] < b[0] and a[1] > b[1])
    return total


def _order(order: list[list[int]], down: dict[int, list[int]], up: dict[int, list[int]]) -> None:
    """Reorder each layer by the mean position of its neighbours; keep the best found."""

    def sweep(layers: range, neighbours: dict[int, list[int]], ref_offset: int) -> None:
        for k in layers:
            ref = {v: i for i, v in enumerate(order[k + ref_offset])}
            keys = {}
            for i, v in enumerate(order[k]):
                near = [ref[n] for n in neighbours[v] if n in ref]
                keys[v] = sum(near) / len(near) if near else i
            order[k].sort(key=lambda v: keys[v])

    best, best_cross = [list(layer) for layer in order], _crossings(order, down)
    for _ in range(6):
        sweep(range(1, len(order)), up, -1)
        sweep(range(len(order) - 2, -1, -1), down, +1)
        cross = _crossings(order, down)
        if cross < best_cross:
            best, best_cross = [list(layer) for layer in order], cross
    order[:] = best


def _place(order: list[list[int]], widths: dict[int, float], down: dict[int, list[int]],
           up: dict[int, list[int]], gap: float) -> dict[int, float]:
    """x of each node: start packed and centred, then move nodes over their neighbours."""
    x: dict[int, float] = {}
    for layer in order:
        total = sum(widths[v] for v in layer) + gap * (len(layer) - 1)
        left = -total / 2
        for v in layer:
            x[v] = left + widths[v] / 2
            left += widths[v] + gap

    def relax(layer: list[int], neighbours: dict[int, list[int]]) -> None:
        want = [sum(x[n] for n in neighbours[v]) / len(neighbours[v]) if neighbours[v] else x[v]
                for v in layer]
        placed: list[float] = []
        for i, v in enumerate(layer):
            lowest = placed[-1] + (widths[layer[i - 1]] + widths[v]) / 2 + gap if i else -1e18
            placed.append(max(want[i], lowest))
        shift = sum(w - p for w, p in zip(want, placed, strict=True)) / len(layer)
        for v, p in zip(layer, placed, strict=True):
            x[v] = p + shift

    for _ in range(8):
        for layer in order[1:]:
            relax(layer, up)
        for layer in reversed(order[:-1]):
            relax(layer, down)
    return x


def layered_layout(
    sizes: dict[int, tuple[float, float]],
    edges: list[tuple[int, int]],
    *,
    bottom: set[int] | None = None,
    gap: float = 28.0,
    layer_gap: float = 46.0,
    margin: float = 16.0,
) -> Layout:
    """Place nodes of the given ``(width, height)`` sizes, edges pointing downwards.

    Nodes in ``bottom`` that have no outgoing edge are put on the lowest layer.
    """
    nodes = list(sizes)
    layer = _layers(nodes, edges, bottom or set())
    widths = {v: sizes[v][0] for v in nodes}
    down: dict[int, list[int]] = defaultdict(list)
    up: dict[int, list[int]] = defaultdict(list)
    chains: list[list[int]] = []
    next_id = max(nodes, default=0) + 1
    for a, b in edges:  # split long edges with invisible bend points
        chain = [a]
        for k in range(layer[a] + 1, layer[b]):
            layer[next_id] = k
            widths[next_id] = 4.0
            chain.append(next_id)
            next_id += 1
        chain.append(b)
        for s, t in zip(chain, chain[1:], strict=False):
            down[s].append(t)
            up[t].append(s)
        chains.append(chain)

    depth = max(layer.values(), default=0) + 1
    order: list[list[int]] = [[] for _ in range(depth)]
    for v in sorted(layer, key=lambda v: (v not in sizes, v)):
        order[layer[v]].append(v)
    _order(order, down, up)
    x = _place(order, widths, down, up, gap)

    tallest = [max((sizes[v][1] for v in row if v in sizes), default=0.0) for row in order]
    row_top, top = [], margin
    for h in tallest:
        row_top.append(top)
        top += h + layer_gap
    y = {v: row_top[layer[v]] + tallest[layer[v]] / 2 for v in layer}
    shift = margin - min(x[v] - widths[v] / 2 for v in layer) if layer else margin
    x = {v: x[v] + shift for v in x}
    width = max((x[v] + widths[v] / 2 for v in layer), default=0.0) + margin

    routes = [[(x[v], y[v]) for v in chain] for chain in chains]
    return Layout(x={v: x[v] for v in sizes}, y={v: y[v] for v in sizes},
                  layer={v: layer[v] for v in sizes}, routes=routes,
                  width=width, height=top - layer_gap + margin)
