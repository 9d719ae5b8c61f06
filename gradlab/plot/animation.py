"""The animated fit: the data stays put while the fitted line moves, one frame per step.

The animation is drawn on a figure that pyplot does not manage, so Jupyter shows only the
player (as JavaScript HTML, which also works in exported static HTML) and no stray still image.
For that player the still parts are drawn once and only the moving line and title per frame
(as blitting does), and frames are embedded as 256-colour PNGs: 30 frames of 1500 points take
about a second and 0.3 MB, well under the 1 MB a notebook should carry.
"""

from __future__ import annotations

import base64
import functools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.plot._convert import to_numpy, to_series, to_vector
from gradlab.plot._pictures import animated_png, figure_rgba, palette_png, show_with_picture
from gradlab.plot.data import fit_order, scatter_data
from gradlab.plot.style import COLORS

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation

__all__ = ["animate_fit", "show_animation", "animation_png", "save_gif", "FIGSIZE", "DPI"]

FIGSIZE = {"fit": (4.8, 3.4), "fit_and_loss": (8.4, 3.4)}
DPI = 72
APNG_FRAMES = 40  # the animated PNG beside the player: at most this many frames,
APNG_SCALE = 0.8  # its size relative to the player (one palette keeps it near 150 KB)


def _stack_predictions(predictions: Any, n_samples: int) -> np.ndarray:
    """Predictions as an array (frames, samples), from a list of tensors or an array."""
    frames = to_numpy(predictions)
    if frames.ndim == 3 and frames.shape[2] == 1:
        frames = frames[:, :, 0]
    if frames.ndim != 2 or frames.shape[1] != n_samples:
        raise ValueError(
            f"predictions must be one prediction of shape ({n_samples},) or ({n_samples}, 1) "
            f"per frame, but got shape {tuple(to_numpy(predictions).shape)}"
        )
    if frames.shape[0] == 0:
        raise ValueError("predictions is empty: an animation needs at least one frame")
    return frames


def _limits(values: np.ndarray, margin: float = 0.08) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (-1.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * margin or 1.0
    return low - pad, high + pad


@functools.cache
def _animation_class() -> type:
    """FuncAnimation with a Jupyter display and compact, quickly drawn jshtml."""
    # optional dependency, loaded on first use (the course extra; see plot/__init__)
    import matplotlib as mpl
    from matplotlib.animation import FuncAnimation, HTMLWriter
    from matplotlib.backends.backend_agg import RendererAgg

    class CompactHTMLWriter(HTMLWriter):
        """HTMLWriter that draws the still parts once and only the moving artists per frame
        (as blitting does), embedding each frame as a palette PNG."""

        def __init__(self, *args: Any, moving: tuple = (), **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.moving = moving
            self.renderer: Any = None
            self.background: Any = None

        def _draw(self) -> np.ndarray:
            fig = self.fig
            if self.renderer is None:
                self.renderer = RendererAgg(int(fig.bbox.width), int(fig.bbox.height), fig.dpi)
                for artist in self.moving:
                    artist.set_visible(False)
                try:
                    fig.draw(self.renderer)
                finally:
                    for artist in self.moving:
                        artist.set_visible(True)
                self.background = self.renderer.copy_from_bbox(fig.bbox)
            self.renderer.restore_region(self.background)
            for artist in self.moving:
                artist.draw(self.renderer)
            return np.asarray(self.renderer.buffer_rgba())

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            if not self.embed_frames or not self.moving:
                return super().grab_frame(**savefig_kwargs)
            frame = palette_png(self._draw())
            self._saved_frames.append(base64.encodebytes(frame).decode("ascii"))
            return None

    class FrameGrabber(CompactHTMLWriter):
        """Keeps each frame as an RGBA array instead of writing a file."""

        def setup(self, *args: Any, **kwargs: Any) -> None:
            super().setup(*args, **kwargs)
            self.frames: list[np.ndarray] = []

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            if self.moving:
                self.frames.append(self._draw().copy())
            else:
                self.frames.append(figure_rgba(self.fig))

        def finish(self) -> None:
            pass

    class FitAnimation(FuncAnimation):
        """A FuncAnimation that shows itself in Jupyter as an interactive JavaScript player,
        with an animated PNG for viewers that run no scripts."""

        moving: tuple = ()  # the artists that change between frames

        def to_apng(self, max_frames: int = APNG_FRAMES, scale: float = APNG_SCALE) -> bytes:
            """The animation as a looping animated PNG (plays with no JavaScript at all): at
            most ``max_frames`` frames, evenly picked, the last one held for two seconds."""
            if not hasattr(self, "_apng"):
                self._apng = animation_png(self, max_frames=max_frames, scale=scale)
            return self._apng

        def _ipython_display_(self) -> None:
            show_with_picture(self.to_apng(), f"<FitAnimation: {self._save_count} frames>",
                              self._repr_html_())

        def to_jshtml(self, fps: float | None = None, embed_frames: bool = True,
                      default_mode: str | None = None) -> str:
            if not hasattr(self, "_html_representation") and embed_frames:
                fps = 1000 / self._interval if fps is None else fps
                mode = default_mode or ("loop" if self._repeat else "once")
                writer = CompactHTMLWriter(fps=fps, embed_frames=True, default_mode=mode,
                                           moving=self.moving)
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp, "animation.html")
                    self.save(str(path), dpi=self._fig.dpi, writer=writer)
                    self._html_representation = path.read_text()
            return super().to_jshtml(fps, embed_frames, default_mode)

        def _repr_html_(self) -> str | None:
            if mpl.rcParams["animation.html"] == "html5":
                return self.to_html5_video()
            return self.to_jshtml()

    FitAnimation.FrameGrabber = FrameGrabber
    return FitAnimation


def animation_png(animation: FuncAnimation, *, max_frames: int = APNG_FRAMES,
                  scale: float = 1.0) -> bytes:
    """Any matplotlib ``FuncAnimation`` as a looping animated PNG: at most ``max_frames``
    frames, evenly picked, the last one held for two seconds."""
    interval = getattr(animation, "_interval", 200)
    writer = _animation_class().FrameGrabber(fps=1000 / interval, embed_frames=True,
                                             moving=tuple(getattr(animation, "moving", ())))
    with tempfile.TemporaryDirectory() as tmp:
        animation.save(str(Path(tmp, "frames.html")), dpi=animation._fig.dpi, writer=writer)
    frames = writer.frames
    every = max(1, -(-len(frames) // max_frames))
    picked = list(range(0, len(frames), every))
    if picked[-1] != len(frames) - 1:
        picked.append(len(frames) - 1)
    durations = [interval * every] * (len(picked) - 1) + [2000]
    return animated_png([frames[i] for i in picked], durations, scale=scale)


class AnimationPlayer:
    """How ``show_animation`` shows an animation: its animated PNG (``.png``), then the
    jshtml player, which replaces the picture where scripts run."""

    def __init__(self, animation: FuncAnimation, png: bytes, default_mode: str) -> None:
        self.animation, self.png, self.default_mode = animation, png, default_mode

    def _ipython_display_(self) -> None:
        show_with_picture(self.png, repr(self),
                          self.animation.to_jshtml(default_mode=self.default_mode))

    def __repr__(self) -> str:
        return f"<AnimationPlayer: {len(self.png) // 1024} KB animated PNG and a player>"


def show_animation(animation: FuncAnimation, *, max_frames: int = APNG_FRAMES,
                   scale: float = 1.0, default_mode: str = "loop") -> AnimationPlayer:
    """Show any matplotlib ``FuncAnimation`` as the course shows the fit: an animated PNG
    that plays with no JavaScript at all (nbconvert's HTML, GitHub, an untrusted notebook),
    and matplotlib's jshtml player where scripts run. ``.png`` holds the animated PNG."""
    return AnimationPlayer(animation, animation_png(animation, max_frames=max_frames,
                                                    scale=scale), default_mode)


def animate_fit(
    X: Any, y: Any, predictions: Any, *, losses: Any = None, interval: int = 200
) -> FuncAnimation:
    """Animate a fit: one frame per entry of ``predictions``; step and loss in the title.

    ``predictions`` is a sequence of predictions for ``X`` (one per training step, tensors or
    arrays). With ``losses`` (one per frame), a second panel draws the loss falling.
    ``interval`` is the delay between frames in milliseconds. Returns a ``FuncAnimation``:
    it displays itself in Jupyter, ``anim.to_jshtml()`` gives the HTML and
    ``save_gif(anim, path)`` writes a GIF.
    """
    # optional dependency, loaded on first use (the course extra; see plot/__init__)
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    x = to_vector(X, "X")
    target = to_vector(y, "y")
    if x.shape[0] != target.shape[0]:
        raise ValueError(f"X and y must have the same number of samples, "
                         f"got {x.shape[0]} and {target.shape[0]}")
    frames = _stack_predictions(predictions, x.shape[0])
    loss_values = None
    if losses is not None:
        loss_values = to_series(losses)
        if loss_values.shape[0] != frames.shape[0]:
            raise ValueError(f"losses must have one value per frame: got {loss_values.shape[0]} "
                             f"losses for {frames.shape[0]} predictions")

    # Not pyplot's, and on the base canvas: nothing redraws between frames except the writer.
    fig = Figure(figsize=FIGSIZE["fit" if loss_values is None else "fit_and_loss"], dpi=DPI)
    axes = fig.subplots(1, 1 if loss_values is None else 2, squeeze=False)[0]
    fit_ax = axes[0]
    scatter_data(fit_ax, x, target)
    order = fit_order(x)
    (line,) = fit_ax.plot(x[order], frames[0][order], color=COLORS["fit"], lw=2.5,
                          label="prediction", zorder=3)
    fit_ax.set_xlim(*_limits(x))
    fit_ax.set_ylim(*_limits(target, margin=0.15))
    fit_ax.set_xlabel("x")
    fit_ax.set_ylabel("y")
    title = fit_ax.set_title("")

    loss_line = loss_dot = None
    if loss_values is not None:
        loss_ax = axes[1]
        (loss_line,) = loss_ax.plot([], [], color=COLORS["loss"], lw=2)
        (loss_dot,) = loss_ax.plot([], [], "o", color=COLORS["loss"], ms=6)
        loss_ax.set_xlim(-0.5, max(frames.shape[0] - 0.5, 1.0))
        low, high = _limits(loss_values)
        loss_ax.set_ylim(max(low, 0.0) if np.nanmin(loss_values) >= 0 else low, high)
        loss_ax.set_xlabel("step")
        loss_ax.set_ylabel("loss")

    def draw_frame(i: int) -> list[Any]:
        line.set_ydata(frames[i][order])
        text = f"step {i}/{frames.shape[0] - 1}"
        if loss_values is not None:
            text += f"   loss {loss_values[i]:.4g}"
            loss_line.set_data(np.arange(i + 1), loss_values[: i + 1])
            loss_dot.set_data([i], [loss_values[i]])
        title.set_text(text)
        return moving

    moving = [line, title]
    if loss_line is not None:
        moving += [loss_line, loss_dot]
    draw_frame(0)
    # Lay out once (constrained layout, with a title as wide as any), not on every frame.
    ConstrainedLayoutEngine().execute(fig)
    anim = _animation_class()(fig, draw_frame, frames=frames.shape[0], interval=interval,
                              repeat=True, blit=False)
    anim.moving = tuple(moving)
    return anim


def save_gif(animation: FuncAnimation, path: str | Path, *, fps: float | None = None) -> Path:
    """Write ``animation`` to a GIF with Pillow (no ffmpeg needed); returns the path."""
    from matplotlib.animation import PillowWriter  # optional dependency, loaded on first use

    if fps is None:
        fps = 1000.0 / getattr(animation, "_interval", 200)
    path = Path(path)
    animation.save(str(path), writer=PillowWriter(fps=fps))
    return path
