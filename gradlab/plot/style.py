"""The course look: seaborn's whitegrid theme, the colour-blind palette, DejaVu Sans.

``use_style()`` applies it for the rest of the session (the one helper that changes global
state, on purpose); ``with use_style():`` applies it only inside the block. The colours every
helper uses for data, fitted lines and optimizer paths live here too, so all plots agree.
"""

from __future__ import annotations

from typing import Any

__all__ = ["use_style", "COLORS", "PALETTE", "course_rc", "axes_or_new", "plain_log_scale"]

# seaborn's "colorblind" palette, spelled out so drawing never needs seaborn.
PALETTE = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
    "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
)
COLORS = {
    "data": PALETTE[0],
    "fit": PALETTE[1],
    "loss": PALETTE[3],
    "start": "#222222",
    "end": "#222222",
}


def course_rc(context: str = "notebook", font_scale: float = 1.0) -> dict[str, Any]:
    """The rcParams of the course style (seaborn's whitegrid theme plus a few course choices)."""
    # optional dependencies (the course extra), slow to import: loaded on first use
    import seaborn as sns
    from cycler import cycler

    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context(context, font_scale=font_scale))
    rc.update({
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "font.family": ["sans-serif"],
        "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib: the same everywhere
        "image.cmap": "viridis",
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": "figure",
        "savefig.bbox": None,
        "axes.titleweight": "bold",
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        "animation.html": "jshtml",
    })
    return rc


class use_style:  # a class so that it also works as a context manager
    """Apply the course style now; as a context manager, restore the previous style on exit.

    ``context`` is seaborn's scaling ("paper", "notebook", "talk", "poster").
    """

    def __init__(self, context: str = "notebook", *, font_scale: float = 1.0) -> None:
        import matplotlib as mpl  # optional dependency, loaded on first use

        rc = course_rc(context, font_scale)
        self._saved = {key: mpl.rcParams[key] for key in rc}
        mpl.rcParams.update(rc)

    def __enter__(self) -> use_style:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Put back the rcParams that were in force before this call."""
        import matplotlib as mpl  # optional dependency, loaded on first use

        mpl.rcParams.update(self._saved)

    def __repr__(self) -> str:
        return "<gradlab course style>"


def plain_log_scale(axis: Any) -> None:
    """A logarithmic axis labelled 3, 10, 60 rather than 3x10^0: loss curves read easily."""
    from matplotlib.ticker import LogFormatter  # optional dependency, loaded on first use

    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def axes_or_new(ax: Any = None, figsize: tuple[float, float] | None = None) -> Any:
    """The Axes to draw on: the caller's, or a fresh pyplot one (so Jupyter shows it inline)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # optional dependency, loaded on first use

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
