"""The autograd graph drawn with matplotlib instead of SVG, from the same layout.

For a PNG or PDF of the graph, a figure beside other plots, or customising with matplotlib:
``draw_graph(loss).to_axes()`` returns the Axes. Sizes are in the SVG's pixels (1 px = 0.75 pt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradlab.plot.svg import EDGE, FILL, LINE_HEIGHT, PAD_Y, STROKE, Highlight, _text_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from gradlab.plot.svg import GraphDrawing

__all__ = ["graph_to_axes"]

PX = 0.75  # points per SVG pixel at 96 dpi
FONT = ["DejaVu Sans Mono", "monospace"]


def graph_to_axes(drawing: GraphDrawing, ax: Axes | None = None) -> Axes:
    """Draw ``drawing`` (boxes, arrows, gradient labels, caption) on ``ax`` or a new figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    hl = drawing.highlight or Highlight()
    lay = drawing.layout
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
    text = {"family": FONT, "size": 12 * PX, "ha": "center"}
    if hl.caption:
        ax.text(width / 2, LINE_HEIGHT * 1.3, hl.caption, weight="bold", va="baseline", **text)

    labels_at = drawing.label_positions()
    for i, points in enumerate(drawing.routes()):
        state = "active" if i in hl.active_edges else "done" if i in hl.done_edges else "idle"
        vertices, codes = [(points[0][0] + shift, points[0][1] + top)], [Path.MOVETO]
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            mid = (y0 + y1) / 2 + top
            vertices += [(x0 + shift, mid), (x1 + shift, mid), (x1 + shift, y1 + top)]
            codes += [Path.CURVE4] * 3
        ax.add_patch(FancyArrowPatch(path=Path(vertices, codes), arrowstyle="-|>",
                                     mutation_scale=12, color=EDGE[state],
                                     lw=(2.5 if state == "active" else 1.5) * PX))
        if i in hl.edge_labels:
            x, y = labels_at[i]
            ax.text(x + shift, y + top, hl.edge_labels[i],
                    va="center", color=EDGE[state], zorder=4,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": EDGE[state]},
                    **text)

    for node in drawing.graph.nodes:
        w, h = drawing.sizes[node.id]
        x = drawing.layout.x[node.id] + shift
        y = drawing.layout.y[node.id] + top
        state = "active" if node.id in hl.active else "done" if node.id in hl.done else "idle"
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=7", zorder=2,
                                    fc=FILL[node.kind], ec=STROKE[state],
                                    lw=(3 if state == "active" else 1.2) * PX))
        for k, line in enumerate(_text_of(node, hl)):
            muted = k == 1 and node.label and node.kind != "output"
            ax.text(x, y - h / 2 + PAD_Y + LINE_HEIGHT * (k + 0.75), line, va="baseline",
                    weight="bold" if k == 0 else "normal", style="italic" if muted else "normal",
                    color="#444" if muted else "black", zorder=3, **text)
    return ax
