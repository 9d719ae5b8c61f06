"""The learning-rate explorer: sliders for learning rate and steps, a choice of optimizer, and a
live re-fit of a line ``y = w * x + b`` drawn next to its loss curve.

The fit is a real gradlab training loop (autograd, ``zero_grad``, ``backward``, ``step``); the
optimizer is made by one small function, ``make_optimizer``, so the choices are easy to change.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import gradlab
from gradlab.optim import SGD, Adam
from gradlab.plot._convert import to_vector
from gradlab.plot.data import fit_order, scatter_data
from gradlab.plot.style import COLORS, plain_log_scale

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["OPTIMIZERS", "FitResult", "make_optimizer", "fit_line", "interactive_fit"]

OPTIMIZERS = ("SGD", "SGD + momentum", "Adam")


def make_optimizer(name: str, params: Sequence[Any], lr: float) -> Any:
    """The ``gradlab.optim`` optimizer called ``name`` (one of ``OPTIMIZERS``) over ``params``."""
    if name == "SGD":
        return SGD(params, lr=lr)
    if name == "SGD + momentum":
        return SGD(params, lr=lr, momentum=0.9)
    if name == "Adam":
        return Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


@dataclasses.dataclass
class FitResult:
    """What one training run produced: the losses, the path of ``(w, b)``, and the last line."""

    losses: list[float]  # loss before each step
    path: list[tuple[float, float]]  # (w, b) before each step, and after the last one
    diverged_at: int | None  # the first step whose loss was not finite, if any

    @property
    def w(self) -> float:
        return self.path[-1][0]

    @property
    def b(self) -> float:
        return self.path[-1][1]


def fit_line(
    X: Any, y: Any, *, optimizer: str = "SGD", lr: float = 0.01, steps: int = 100,
    init: tuple[float, float] = (0.0, 0.0),
) -> FitResult:
    """Fit ``y ≈ w * X + b`` by mean squared error with a gradlab optimizer; stop if it diverges."""
    x = gradlab.tensor(to_vector(X, "X"), dtype=gradlab.float32)
    target = gradlab.tensor(to_vector(y, "y"), dtype=gradlab.float32)
    w = gradlab.tensor(float(init[0]), requires_grad=True)
    b = gradlab.tensor(float(init[1]), requires_grad=True)
    opt = make_optimizer(optimizer, [w, b], lr)
    losses: list[float] = []
    path = [(w.item(), b.item())]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is a result, not a warning
        for step in range(steps):
            loss = ((w * x + b - target) ** 2).mean()
            value = loss.item()
            if not np.isfinite(value):
                return FitResult(losses, path, step)
            losses.append(value)
            opt.zero_grad()
            loss.backward()
            opt.step()
            path.append((w.item(), b.item()))
    return FitResult(losses, path, None)


def _draw(fig: Any, x: np.ndarray, target: np.ndarray, result: FitResult, title: str) -> None:
    fig.clear()
    fit_ax, loss_ax = fig.subplots(1, 2)
    scatter_data(fit_ax, x, target)
    order = fit_order(x)
    fit_ax.plot(x[order], result.w * x[order] + result.b, color=COLORS["fit"], lw=2.5,
                label=f"w={result.w:.3g}, b={result.b:.3g}")
    pad = (target.max() - target.min()) * 0.15 or 1.0
    fit_ax.set_ylim(target.min() - pad, target.max() + pad)
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    fit_ax.legend(loc="upper left", fontsize="small")
    loss_ax.plot(np.arange(len(result.losses)), result.losses, color=COLORS["loss"], lw=2)
    if result.losses and min(result.losses) > 0:
        loss_ax.set_yscale("log")
        plain_log_scale(loss_ax.yaxis)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss")
    fig.suptitle(title)


@functools.cache
def picture_box() -> type:
    """An ``ipywidgets.VBox`` that also shows as a still PNG: its ``.picture()`` (by default
    the PNG of its ``.image`` widget). A notebook stores it, so viewers without the widget's
    live state (an unrun or untrusted notebook, GitHub, nbconvert's HTML) show a plot instead
    of ``VBox(children=...)``."""
    import ipywidgets as widgets  # optional dependency, loaded on first use

    class PictureVBox(widgets.VBox):
        def picture(self) -> bytes | None:
            image = getattr(self, "image", None)
            return image.value if image is not None else None

        def _repr_mimebundle_(self, **kwargs: Any) -> dict:
            bundle = super()._repr_mimebundle_(**kwargs)
            png = self.picture()
            if bundle is not None and png:
                bundle["image/png"] = base64.b64encode(png).decode("ascii")
            return bundle

    return PictureVBox


def interactive_fit(
    X: Any, y: Any, *, lr: float = 0.01, steps: int = 100, optimizer: str = "SGD",
    lr_range: tuple[float, float] = (1e-5, 1.0), max_steps: int = 1000,
    init: tuple[float, float] = (0.0, 0.0),
) -> ipywidgets.VBox:
    """A widget to explore learning rates: sliders for ``lr`` (log scale) and steps, a menu of
    optimizers, and the fitted line with its loss curve, re-fitted whenever a control changes.

    Returns the widget (an ``ipywidgets.VBox``); its ``.result`` is the last ``FitResult`` and
    ``.figure`` the matplotlib Figure it draws on.
    """
    # optional dependencies, loaded on first use (the course extra; see plot/__init__)
    import ipywidgets as widgets
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    x, target = to_vector(X, "X"), to_vector(y, "y")
    if x.shape[0] != target.shape[0]:
        raise ValueError(f"X and y must have the same number of samples, "
                         f"got {x.shape[0]} and {target.shape[0]}")
    low, high = np.log10(lr_range[0]), np.log10(lr_range[1])
    lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=low, max=high, step=0.1,
                                       description="learning rate", readout_format=".1e",
                                       continuous_update=False,
                                       style={"description_width": "initial"})
    steps_slider = widgets.IntSlider(value=steps, min=1, max=max_steps, description="steps",
                                     continuous_update=False)
    menu = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer, description="optimizer")
    image = widgets.Image(format="png")
    fig = Figure(figsize=(9.0, 3.6), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    box = picture_box()([widgets.HBox([menu, lr_slider, steps_slider]), image])

    def refit(_change: Any = None) -> None:
        result = fit_line(x, target, optimizer=menu.value, lr=lr_slider.value,
                          steps=steps_slider.value, init=init)
        name = f"{menu.value}, lr {lr_slider.value:.2g}"
        if result.diverged_at is not None:
            title = f"{name}: diverged at step {result.diverged_at} (learning rate too large)"
        else:
            title = f"{name}: loss {result.losses[-1]:.4g} after {len(result.losses)} steps"
        _draw(fig, x, target, result, title)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        image.value = buffer.getvalue()
        box.result = result

    for control in (lr_slider, steps_slider, menu):
        control.observe(refit, names="value")
    box.controls = {"lr": lr_slider, "steps": steps_slider, "optimizer": menu}
    box.image, box.figure, box.refit = image, fig, refit
    refit()
    return box
