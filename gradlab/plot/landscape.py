"""The loss landscape of a two-parameter model, with the paths optimizers take across it.

``loss_fn(w, b)`` is evaluated on a grid (one call per point, with plain floats, so the same
function the learner trains with can be passed unchanged) and drawn as filled contours; each
optimizer's sequence of ``(w, b)`` is drawn on top with its start and end marked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.plot._convert import to_numpy, to_points
from gradlab.plot.style import COLORS, PALETTE, axes_or_new

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["loss_landscape", "loss_grid", "landscape_cmap", "PATH_COLORS"]

# The paths take the colours loss curves get (the palette in order), so that plot_losses and
# loss_landscape of the same runs agree; the landscape is a light blue-grey for them to stand out.
PATH_COLORS = PALETTE


def landscape_cmap() -> Any:
    """Light blue-grey (low loss) to slate (high loss): matplotlib's bone_r, 10% to 70%."""
    # optional dependency, loaded on first use (the course extra; see plot/__init__)
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap

    return ListedColormap(mpl.colormaps["bone_r"](np.linspace(0.1, 0.7, 256)), "gradlab_loss")


def _grid_values(value_range: Any, resolution: int, name: str) -> np.ndarray:
    """``(low, high)`` becomes ``resolution`` evenly spaced values; a longer sequence is kept."""
    values = to_numpy(value_range).reshape(-1)
    if values.shape[0] == 2:
        low, high = values
        if not low < high:
            raise ValueError(f"{name} must be (low, high) with low < high, got ({low}, {high})")
        return np.linspace(low, high, resolution)
    if values.shape[0] < 2 or np.any(np.diff(values) <= 0):
        raise ValueError(f"{name} must be (low, high) or an increasing sequence of grid values")
    return values


def loss_grid(
    loss_fn: Callable[[float, float], Any], ws: np.ndarray, bs: np.ndarray
) -> np.ndarray:
    """``loss_fn(w, b)`` at every grid point, as an array of shape (len(bs), len(ws))."""
    losses = np.empty((bs.shape[0], ws.shape[0]))
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            value = to_numpy(loss_fn(float(w), float(b)))
            if value.size != 1:
                raise ValueError(
                    "loss_fn(w, b) must return a single number (a scalar loss), "
                    f"got shape {tuple(value.shape)}"
                )
            losses[i, j] = value.reshape(())
    return losses


def _levels(losses: np.ndarray, levels: Any, log: bool) -> Any:
    finite = losses[np.isfinite(losses)]
    if not np.isscalar(levels) or finite.size == 0:
        return levels
    if log:
        positive = finite[finite > 0]
        if positive.size == 0:
            raise ValueError("log=True needs positive losses somewhere on the grid")
        return np.geomspace(positive.min(), positive.max(), int(levels))
    return np.linspace(finite.min(), finite.max(), int(levels))


def loss_landscape(
    loss_fn: Callable[[float, float], Any],
    w_range: Any,
    b_range: Any,
    *,
    paths: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
    levels: int | Any = 30,
    resolution: int = 61,
    log: bool = False,
) -> Axes:
    """Contours of ``loss_fn(w, b)`` over ``w_range`` x ``b_range``, with optimizer paths on top.

    ``w_range``/``b_range`` are ``(low, high)`` (``resolution`` points each) or explicit grid
    values. ``paths`` maps a name to a sequence of ``(w, b)`` (tensors, arrays or tuples); each
    is drawn as a line with its start (circle) and end (star) marked. ``levels`` is the number
    of contour levels or their values; ``log=True`` spaces them logarithmically, which suits
    losses that span several orders of magnitude. Returns the Axes.
    """
    # optional dependency, loaded on first use (the course extra; see plot/__init__)
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator

    ws = _grid_values(w_range, resolution, "w_range")
    bs = _grid_values(b_range, resolution, "b_range")
    losses = loss_grid(loss_fn, ws, bs)
    contour_levels = _levels(losses, levels, log)

    ax = axes_or_new(ax)
    norm = LogNorm() if log else None
    filled = ax.contourf(ws, bs, np.ma.masked_invalid(losses), levels=contour_levels,
                         cmap=landscape_cmap(), norm=norm)
    ax.contour(ws, bs, np.ma.masked_invalid(losses), levels=filled.levels, colors="#33415c",
               linewidths=0.5, alpha=0.3, norm=norm)
    colorbar = ax.figure.colorbar(
        filled, ax=ax, ticks=LogLocator() if log else None,
        format=FuncFormatter(lambda value, _pos: f"{value:g}") if log else None)
    colorbar.set_label("loss")

    handles = [_draw_path(ax, to_points(path, f"paths[{name!r}]"), name,
                          PATH_COLORS[k % len(PATH_COLORS)])
               for k, (name, path) in enumerate((paths or {}).items())]
    if handles:
        handles.append(Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec=COLORS["start"],
                              mew=1.5, label="start"))
        handles.append(Line2D([], [], ls="", marker="*", ms=13, mfc="#bbbbbb", mec=COLORS["end"],
                              mew=1.0, label="end"))
        ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_xlim(ws[0], ws[-1])
    ax.set_ylim(bs[0], bs[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    return ax


def _draw_path(ax: Axes, points: np.ndarray, name: str, color: str) -> Any:
    """One optimizer's path: a line through every step, a circle at the start, a star at the end.

    Returns the path's line (for the legend); the two markers are lines labelled "_start"
    and "_end", which keeps them out of the legend.
    """
    (line,) = ax.plot(points[:, 0], points[:, 1], "-", marker=".", ms=4, lw=1.8, color=color,
                      label=name, zorder=3)
    ax.plot(points[:1, 0], points[:1, 1], "o", ms=8, mfc="white", mec=COLORS["start"],
            mew=1.5, label="_start", zorder=4)
    ax.plot(points[-1:, 0], points[-1:, 1], "*", ms=14, mfc=color, mec=COLORS["end"],
            mew=1.0, label="_end", zorder=4)
    return line
