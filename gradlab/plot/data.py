"""Plots of the data, a model's predictions on it, and loss curves.

The two pictures every notebook needs: the samples with the fitted line through them, and the
loss falling step by step (several runs side by side when comparing learning rates or optimizers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.plot._convert import as_named, to_series, to_vector
from gradlab.plot.style import COLORS, PALETTE, axes_or_new, plain_log_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_data", "plot_losses"]


def _check_same_length(x: np.ndarray, other: np.ndarray, name: str) -> None:
    if x.shape[0] != other.shape[0]:
        raise ValueError(
            f"X and {name} must have the same number of samples, "
            f"got {x.shape[0]} and {other.shape[0]}"
        )


def scatter_data(ax: Axes, x: np.ndarray, y: np.ndarray) -> Any:
    """The course's scatter of samples: smaller and lighter dots when there are many."""
    many = x.shape[0] > 200
    return ax.scatter(
        x, y, s=10 if many else 36, alpha=0.45 if many else 0.85,
        color=COLORS["data"], edgecolors="none", label="data", zorder=2,
    )


def fit_order(x: np.ndarray) -> np.ndarray:
    """Indices that sort the samples by x, so a prediction draws as one clean line."""
    return np.argsort(x, kind="stable")


def plot_data(
    X: Any, y: Any, y_pred: Any = None, *, label: str | None = None, ax: Axes | None = None
) -> Axes:
    """Scatter the samples ``(X, y)`` and draw the prediction ``y_pred`` as a line through them.

    ``X``, ``y`` and ``y_pred`` may be tensors (also ones that require grad), arrays or lists,
    of shape (n,) or (n, 1). ``label`` becomes the title. Returns the Axes.
    """
    x = to_vector(X, "X")
    target = to_vector(y, "y")
    _check_same_length(x, target, "y")
    prediction = None
    if y_pred is not None:
        prediction = to_vector(y_pred, "y_pred")
        _check_same_length(x, prediction, "y_pred")

    ax = axes_or_new(ax)
    scatter_data(ax, x, target)
    if prediction is not None:
        order = fit_order(x)
        ax.plot(x[order], prediction[order], color=COLORS["fit"], lw=2.5,
                label="prediction", zorder=3)
        ax.legend(loc="best")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if label is not None:
        ax.set_title(label)
    return ax


def plot_losses(losses: Any, *, ax: Axes | None = None, log: bool = False) -> Axes:
    """Draw loss curves: one list (or tensor) of losses, or a dict name -> losses to compare.

    Each entry may be a number or a one-element tensor (``loss`` itself, not only
    ``loss.item()``). A dict gets a legend, its runs coloured as ``loss_landscape`` colours
    the paths of the same dict; ``log=True`` uses a logarithmic loss axis.
    """
    runs = as_named(losses, default="")
    ax = axes_or_new(ax)
    for k, (name, values) in enumerate(runs.items()):
        series = to_series(values, f"losses[{name!r}]" if name else "losses")
        ax.plot(np.arange(series.shape[0]), series, lw=2, label=name or "loss",
                color=PALETTE[k % len(PALETTE)])  # the colours loss_landscape gives the paths
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
        plain_log_scale(ax.yaxis)
    if len(runs) > 1 or "" not in runs:
        ax.legend(loc="best")
    return ax
