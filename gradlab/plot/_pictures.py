"""Stored pictures for viewers that run no scripts: a notebook reads whole before it runs.

JupyterLab shows an untrusted notebook's HTML through its sanitizer (no scripts, no ``data:``
images, no inline SVG) and never runs an SVG output there; nbconvert's HTML, GitHub and VS
Code's preview run nothing at all. What shows everywhere is an ``image/png`` output, and an
animated PNG (APNG) plays in every browser without JavaScript. So an interactive drawing is
published as two outputs: first that picture, then a player whose HTML is built by its own
script. Where scripts run the player appears and hides the picture before it; where they do
not, the player's output is empty and the picture stays.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["animated_png", "figure_rgba", "palette_png", "script_built", "show_with_picture"]

PALETTE_SAMPLE = 12  # frames looked at to choose the shared palette of an animated PNG

# Replaces the player's empty <div> with `html`, scripts included (a Range's fragment runs its
# <script>s once inserted, innerHTML would not), and hides the picture output just before it
# (JupyterLab's and nbconvert's .jp-OutputArea-child, the classic notebook's .output_area).
_BUILD = """<div class="gradlab-player"></div><script>(function () {{
var here = document.currentScript, host = here.previousElementSibling;
host.appendChild(document.createRange().createContextualFragment({html}));
var area = here.closest('.jp-OutputArea-child, .output_area');
var still = area && area.previousElementSibling;
if (still && still.querySelector('img')) still.style.display = 'none';
}})();</script>"""


def script_built(html: str) -> str:
    """HTML showing nothing until its script runs, then ``html`` (and hiding the picture
    published just before it)."""
    # json.dumps makes a JavaScript string; "</" is escaped so it cannot close the <script>.
    return _BUILD.format(html=json.dumps(html).replace("</", "<\\/"))


def figure_rgba(fig: Any) -> np.ndarray:
    """A matplotlib figure drawn with Agg, as an RGBA array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # optional dependency, lazy

    canvas = fig.canvas if hasattr(fig.canvas, "buffer_rgba") else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def animated_png(frames: Sequence[np.ndarray], duration: int | Sequence[int],
                 *, scale: float = 1.0) -> bytes:
    """Frames (RGBA arrays of one size) as an animated PNG that loops; ``duration`` in ms per
    frame. 256 colours of one palette keep it small: Pillow stores only the region that changed."""
    from PIL import Image  # optional dependency (matplotlib's), loaded on first use

    rgb = []
    for rgba in frames:
        image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
        if scale != 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)),
                                 Image.Resampling.LANCZOS)
        rgb.append(image)
    # One palette for all frames (from a sample of them stacked): unchanged pixels stay equal.
    sample = rgb[:: max(1, len(rgb) // PALETTE_SAMPLE)] + rgb[-1:]
    stacked = Image.fromarray(np.concatenate([np.asarray(image) for image in sample]))
    palette = stacked.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    images = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in rgb]
    out = io.BytesIO()
    durations = list(duration) if not isinstance(duration, int) else [duration] * len(images)
    if len(images) == 1:
        images[0].save(out, format="png", optimize=True)
    else:
        images[0].save(out, format="png", save_all=True, append_images=images[1:],
                       duration=durations, loop=0, optimize=True)
    return out.getvalue()


def palette_png(rgba: np.ndarray) -> bytes:
    """An RGBA picture as a 256-colour PNG: plots have few colours, so it is 3-4x smaller."""
    from PIL import Image  # optional dependency (matplotlib's), loaded on first use

    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, format="png")
    return out.getvalue()


def show_with_picture(png: bytes, text: str, player_html: str | None = None) -> None:
    """Publish ``png`` (with ``text`` for plain-text viewers), then, if given, the player."""
    from IPython.display import display  # optional dependency: only Jupyter calls this

    display({"image/png": png, "text/plain": text}, raw=True)
    if player_html is not None:
        display({"text/html": script_built(player_html)}, raw=True)
