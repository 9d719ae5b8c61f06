"""Drawing an autograd graph: boxes, arrows, gradient labels, no Graphviz needed.

A ``GraphDrawing`` is what ``draw_graph`` returns: Jupyter shows it inline through
``_repr_svg_`` (or its PNG, where no SVG is shown). The same layout can be redrawn with a
``Highlight`` (nodes running or done, gradients written on edges, a caption), which is how the
backward pass is shown step by step; ``to_axes`` draws it with matplotlib instead, for a PNG or
PDF of the graph or a figure beside other plots (sizes in the SVG's pixels, 1 px = 0.75 pt).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradlab.plot._pictures import animated_png, figure_rgba
from gradlab.plot.graph import AutogradGraph, GraphNode, build_graph, node_text
from gradlab.plot.layout import Layout, layered_layout

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["GraphDrawing", "Highlight", "draw_graph", "box_size", "FILL", "CHAR_WIDTH",
           "LINE_HEIGHT"]

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 12
CHAR_WIDTH = 7.3  # DejaVu Sans Mono advances 0.602 em
LINE_HEIGHT = 16
PAD_X, PAD_Y = 10, 6
FILL = {"output": "#fff3c4", "function": "#e8eef7", "leaf": "#d9f2e3"}
STROKE = {"idle": "#5b6770", "active": "#d55e00", "done": "#0173b2"}
PNG_SCALE = 2  # PNG pixels per SVG pixel: sharp on high-density screens
EDGE = {"idle": "#8a96a0", "active": "#d55e00", "done": "#0173b2"}
PX = 0.75  # points per SVG pixel at 96 dpi (to_axes)
MPL_FONT = ["DejaVu Sans Mono", "monospace"]


@dataclasses.dataclass
class Highlight:
    """What one step of a backward animation emphasises on top of the plain drawing."""

    caption: str = ""
    width: float = 0.0  # at least this wide (keeps all frames of an animation the same size)
    active: set[int] = dataclasses.field(default_factory=set)  # nodes running now
    done: set[int] = dataclasses.field(default_factory=set)  # nodes already run
    active_edges: set[int] = dataclasses.field(default_factory=set)  # edges carrying grads now
    done_edges: set[int] = dataclasses.field(default_factory=set)
    edge_labels: dict[int, str] = dataclasses.field(default_factory=dict)  # edge index -> text
    lines: dict[int, list[str]] = dataclasses.field(default_factory=dict)  # node -> new lines


def box_size(lines: list[str]) -> tuple[float, float]:
    """Width and height of a node's box holding these lines."""
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X
    return max(width, 60.0), len(lines) * LINE_HEIGHT + 2 * PAD_Y


def _text_of(node: GraphNode, highlight: Highlight | None) -> list[str]:
    if highlight is not None and node.id in highlight.lines:
        node = dataclasses.replace(node, lines=highlight.lines[node.id])
    return node_text(node)


def _curve(points: list[tuple[float, float]]) -> str:
    """An SVG path through the points, leaving and entering each one vertically."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        mid = (y0 + y1) / 2
        parts.append(f"C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


class GraphDrawing:
    """An autograd graph drawn as SVG; displays inline in Jupyter (``_repr_svg_``)."""

    def __init__(self, graph: AutogradGraph, highlight: Highlight | None = None,
                 layout: Layout | None = None, sizes: dict | None = None) -> None:
        self.graph = graph
        self.highlight = highlight
        self.sizes = sizes or {n.id: box_size(node_text(n)) for n in graph.nodes}
        if layout is None:
            layout = layered_layout(self.sizes, [(e.source, e.target) for e in graph.edges],
                                    bottom={n.id for n in graph.nodes if n.kind == "leaf"})
        self.layout = layout
        self._svg: str | None = None

    def with_highlight(self, highlight: Highlight) -> GraphDrawing:
        """The same drawing (same layout) with other nodes and edges emphasised."""
        return GraphDrawing(self.graph, highlight, self.layout, self.sizes)

    @property
    def svg(self) -> str:
        """The SVG document as text."""
        if self._svg is None:
            self._svg = self._render()
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_png_(self) -> tuple[bytes, dict]:
        """The same drawing as a PNG, shown at the SVG's size: what a viewer that shows no SVG
        shows (an untrusted notebook in JupyterLab, say)."""
        return self.to_png(), {"width": round(self.width)}

    def to_png(self, scale: float = PNG_SCALE) -> bytes:
        """The drawing rendered with matplotlib as PNG bytes, ``scale`` pixels per SVG pixel."""
        return animated_png([self.to_rgba(scale)], 0)

    def to_rgba(self, scale: float = PNG_SCALE) -> Any:
        """The drawing rendered with matplotlib, as an RGBA array."""
        from matplotlib.figure import Figure  # optional dependency, loaded on first use

        fig = Figure(figsize=(self.width / 96, self.height / 96), dpi=96 * scale)
        self.to_axes(fig.add_axes((0, 0, 1, 1)))
        return figure_rgba(fig)

    @property
    def width(self) -> float:
        hl = self.highlight or Highlight()
        return max(self.layout.width, hl.width, len(hl.caption) * CHAR_WIDTH + 32)

    @property
    def height(self) -> float:
        hl = self.highlight or Highlight()
        return self.layout.height + (2 * LINE_HEIGHT if hl.caption else 0)

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def to_axes(self, ax: Axes | None = None) -> Axes:
        """The same drawing (boxes, arrows, gradient labels, caption) made with matplotlib on
        ``ax`` or a new figure, for PNG/PDF or a figure beside other plots: the Axes."""
        # optional dependency, loaded on first use (the course extra; see plot/__init__)
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
        from matplotlib.path import Path as MplPath

        hl = self.highlight or Highlight()
        lay = self.layout
        top = 2 * LINE_HEIGHT if hl.caption else 0
        width = max(lay.width, hl.width)
        height = lay.height + top
        shift = (width - lay.width) / 2
        if ax is None:
            _, ax = plt.subplots(figsize=(width / 96, height / 96), dpi=96)
            ax.set_position((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)  # SVG coordinates: y grows downwards
        ax.set_aspect("equal")
        ax.set_axis_off()
        text = {"family": MPL_FONT, "size": 12 * PX, "ha": "center"}
        if hl.caption:
            ax.text(width / 2, LINE_HEIGHT * 1.3, hl.caption, weight="bold", va="baseline", **text)

        labels_at = self.label_positions()
        for i, points in enumerate(self.routes()):
            state = "active" if i in hl.active_edges else "done" if i in hl.done_edges else "idle"
            vertices, codes = [(points[0][0] + shift, points[0][1] + top)], [MplPath.MOVETO]
            for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
                mid = (y0 + y1) / 2 + top
                vertices += [(x0 + shift, mid), (x1 + shift, mid), (x1 + shift, y1 + top)]
                codes += [MplPath.CURVE4] * 3
            ax.add_patch(FancyArrowPatch(path=MplPath(vertices, codes), arrowstyle="-|>",
                                         mutation_scale=12, color=EDGE[state],
                                         lw=(2.5 if state == "active" else 1.5) * PX))
            if i in hl.edge_labels:
                x, y = labels_at[i]
                ax.text(x + shift, y + top, hl.edge_labels[i],
                        va="center", color=EDGE[state], zorder=4,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": EDGE[state]},
                        **text)

        for node in self.graph.nodes:
            w, h = self.sizes[node.id]
            x = self.layout.x[node.id] + shift
            y = self.layout.y[node.id] + top
            state = "active" if node.id in hl.active else "done" if node.id in hl.done else "idle"
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                        boxstyle="round,pad=0,rounding_size=7", zorder=2,
                                        fc=FILL[node.kind], ec=STROKE[state],
                                        lw=(3 if state == "active" else 1.2) * PX))
            for k, line in enumerate(_text_of(node, hl)):
                muted = k == 1 and node.label and node.kind != "output"
                ax.text(x, y - h / 2 + PAD_Y + LINE_HEIGHT * (k + 0.75), line, va="baseline",
                        weight="bold" if k == 0 else "normal",
                        style="italic" if muted else "normal",
                        color="#444" if muted else "black", zorder=3, **text)
        return ax

    def __repr__(self) -> str:
        return (f"<GraphDrawing: {len(self.graph.nodes)} nodes, "
                f"{len(self.graph.edges)} edges>")

    # -- rendering ---------------------------------------------------------------------
    def _render(self) -> str:
        hl = self.highlight or Highlight()
        lay = self.layout
        top = 2 * LINE_HEIGHT if hl.caption else 0
        width = max(lay.width, hl.width, len(hl.caption) * CHAR_WIDTH + 32)
        shift = (width - lay.width) / 2
        uid = "@UID@"  # replaced below by a hash of the drawing: unique, yet reproducible
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
            f'height="{lay.height + top:.0f}" viewBox="0 0 {width:.0f} {lay.height + top:.0f}" '
            f'font-family="{FONT}" font-size="{FONT_SIZE}" class="gradlab-graph">',
            "<defs>",
        ]
        for state, color in EDGE.items():
            out.append(f'<marker id="arrow-{state}-{uid}" viewBox="0 0 10 10" refX="9" refY="5" '
                       f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                       f'<path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
        out.append("</defs>")
        out.append('<rect width="100%" height="100%" fill="white"/>')
        if hl.caption:
            out.append(f'<text class="caption" x="{width / 2:.1f}" y="{LINE_HEIGHT * 1.3:.1f}" '
                       f'text-anchor="middle" font-weight="bold" fill="#222">'
                       f"{escape(hl.caption)}</text>")
        out.append(f'<g transform="translate({shift:.1f},{top})">')
        out.extend(self._edges(hl, uid))
        out.extend(self._nodes(hl))
        out.extend(self._edge_labels(hl))
        out.append("</g></svg>")
        text = "\n".join(out)
        return text.replace("@UID@", hashlib.sha1(text.encode()).hexdigest()[:8])

    def routes(self) -> list[list[tuple[float, float]]]:
        """Each edge's route, from the bottom of its source box to the top of its target box."""
        lay, sizes = self.layout, self.sizes
        seen: dict[tuple[int, int], int] = {}
        totals: dict[tuple[int, int], int] = {}
        for e in self.graph.edges:
            totals[(e.source, e.target)] = totals.get((e.source, e.target), 0) + 1
        routes = []
        for e, route in zip(self.graph.edges, lay.routes, strict=True):
            key = (e.source, e.target)
            k = seen[key] = seen.get(key, -1) + 1
            dx = (k - (totals[key] - 1) / 2) * 14  # fan out repeated edges (x * x)
            (sx, sy), (tx, ty) = route[0], route[-1]
            start = (sx + dx, sy + sizes[e.source][1] / 2)
            end = (tx + dx, ty - sizes[e.target][1] / 2 - 2)
            routes.append([start, *route[1:-1], end])
        return routes

    def label_positions(self) -> list[tuple[float, float]]:
        """Where each edge's gradient label goes: 70% down the edge's first curve, where edges
        leaving one node have spread apart towards their targets."""
        positions = []
        for (x0, y0), (x1, y1) in (route[:2] for route in self.routes()):
            t, mid = 0.7, (y0 + y1) / 2
            weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
            xs, ys = (x0, x0, x1, x1), (y0, mid, mid, y1)
            positions.append((sum(w * v for w, v in zip(weights, xs, strict=True)),
                              sum(w * v for w, v in zip(weights, ys, strict=True))))
        return positions

    def _edges(self, hl: Highlight, uid: str) -> list[str]:
        out = ['<g class="edges">']
        for i, (e, points) in enumerate(zip(self.graph.edges, self.routes(), strict=True)):
            state = "active" if i in hl.active_edges else "done" if i in hl.done_edges else "idle"
            width = 2.5 if state == "active" else 1.5
            out.append(f'<path class="edge" data-source="{e.source}" data-target="{e.target}" '
                       f'data-state="{state}" d="{_curve(points)}" fill="none" '
                       f'stroke="{EDGE[state]}" stroke-width="{width}" '
                       f'marker-end="url(#arrow-{state}-{uid})"/>')
        out.append("</g>")
        return out

    def _nodes(self, hl: Highlight) -> list[str]:
        out = ['<g class="nodes">']
        for node in self.graph.nodes:
            lines = _text_of(node, hl)
            w, h = self.sizes[node.id]
            x, y = self.layout.x[node.id] - w / 2, self.layout.y[node.id] - h / 2
            state = "active" if node.id in hl.active else "done" if node.id in hl.done else "idle"
            stroke_width = 3 if state == "active" else 1.2
            out.append(f'<g class="node" data-id="{node.id}" data-kind="{node.kind}" '
                       f'data-name="{escape(node.name)}" data-state="{state}">')
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="7" '
                       f'fill="{FILL[node.kind]}" stroke="{STROKE[state]}" '
                       f'stroke-width="{stroke_width}"/>')
            for k, line in enumerate(lines):
                style = ' font-weight="bold"' if k == 0 else ""
                if k == 1 and node.label and node.kind != "output":  # PyTorch's name, muted
                    style = ' fill="#444" font-style="italic"'
                ty = y + PAD_Y + LINE_HEIGHT * (k + 0.75)
                out.append(f'<text x="{x + w / 2:.1f}" y="{ty:.1f}" text-anchor="middle"'
                           f"{style}>{escape(line)}</text>")
            out.append("</g>")
        out.append("</g>")
        return out

    def _edge_labels(self, hl: Highlight) -> list[str]:
        out = ['<g class="edge-labels">']
        for i, (x, y) in enumerate(self.label_positions()):
            if i not in hl.edge_labels:
                continue
            text = hl.edge_labels[i]
            w = len(text) * CHAR_WIDTH + 8
            color = EDGE["active"] if i in hl.active_edges else EDGE["done"]
            out.append(f'<g class="edge-label" data-edge="{i}">'
                       f'<rect x="{x - w / 2:.1f}" y="{y - 9:.1f}" width="{w:.1f}" height="17" '
                       f'rx="4" fill="white" stroke="{color}" stroke-width="1"/>'
                       f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{color}">'
                       f"{escape(text)}</text></g>")
        out.append("</g>")
        return out


def draw_graph(
    tensor: Any, *, show_grad: bool = True, names: Mapping[str, Any] | None = None
) -> GraphDrawing:
    """Draw the autograd graph behind ``tensor`` as SVG (shown inline in Jupyter; no Graphviz).

    Every ``grad_fn`` node shows its PyTorch name; the leaves show their values (or shape) and,
    with ``show_grad``, their ``.grad``. ``names`` maps names to tensors (e.g. ``{"w": w}``) to
    label them. Returns a ``GraphDrawing``: ``.svg`` is the text, ``.save(path)`` writes it,
    ``.graph`` holds the nodes and edges.
    """
    return GraphDrawing(build_graph(tensor, show_grad=show_grad, names=names))
