"""Stored pictures: every drawing, stepper, animation and widget also shows as a PNG (an
animated one where it moves), so viewers that run no scripts show a picture, not a repr."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

import gradlab as torch  # noqa: E402
from gradlab import plot  # noqa: E402
from gradlab.plot._pictures import animated_png, script_built  # noqa: E402


def frames_of(png: bytes) -> int:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return getattr(image, "n_frames", 1)


@pytest.fixture
def product():
    w = torch.tensor(2.0, requires_grad=True)
    x = torch.tensor(3.0)
    return (w * x + 1) * w, {"w": w, "x": x}


def test_a_graph_drawing_is_also_a_png_shown_at_the_svgs_width(product):
    y, names = product
    drawing = plot.draw_graph(y, names=names)
    png, metadata = drawing._repr_png_()
    assert frames_of(png) == 1
    assert metadata == {"width": round(drawing.width)}
    assert abs(Image.open(io.BytesIO(png)).width - 2 * drawing.width) <= 2
    assert drawing._repr_svg_() == drawing.svg  # the SVG stays, for viewers that show it


def test_backward_steps_play_as_an_animated_png_one_frame_per_step(product):
    y, names = product
    steps = plot.backward_steps(y, names=names)
    assert frames_of(steps.to_png()) == len(steps) > 2
    assert repr(steps) == f"<BackwardSteps: {len(steps)} frames>"


def test_backward_steps_display_a_picture_then_a_player_built_by_script(product, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append(data))
    y, names = product
    plot.backward_steps(y, names=names)._ipython_display_()
    picture, player = shown
    assert set(picture) == {"image/png", "text/plain"}
    assert set(player) == {"text/html"}
    # Without scripts the player is an empty <div>: nothing broken shows.
    assert player["text/html"].startswith('<div class="gradlab-player"></div><script>')
    assert "<svg" not in player["text/html"].split("<script>")[0]


def test_the_animated_fit_is_also_a_light_animated_png():
    x = np.linspace(-1, 1, 300)
    y = 2 * x + 1
    predictions = [w * x for w in np.linspace(0, 2, 90)]
    animation = plot.animate_fit(x, y, predictions, losses=np.linspace(3, 0.1, 90))
    png = animation.to_apng()
    assert 2 < frames_of(png) <= 41
    assert len(png) < 300_000


def test_script_built_html_cannot_close_its_own_script_early():
    player = '<b>x</b><script>alert("</script>")</script>'
    html = script_built(player)
    body = html.split("<script>", 1)[1]
    assert body.count("</script>") == 1 and body.endswith("</script>")
    literal = body[body.index("createContextualFragment(") + 25 : body.index("));\nvar area")]
    assert json.loads(literal.replace("<\\/", "</")) == player


def test_animated_png_of_one_frame_is_a_plain_png():
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    assert frames_of(animated_png([rgba], 0)) == 1
    assert frames_of(animated_png([rgba, rgba + 200], 100)) == 2


def test_the_learning_rate_explorer_carries_its_plot_as_a_still_png():
    pytest.importorskip("ipywidgets")
    box = plot.interactive_fit(np.arange(5.0), 2 * np.arange(5.0), steps=5)
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == box.image.value


def test_watch_backward_carries_the_steps_as_an_animated_png(product):
    pytest.importorskip("ipywidgets")
    y, names = product
    bundle = plot.watch_backward(y, names=names)._repr_mimebundle_()
    assert frames_of(base64.b64decode(bundle["image/png"])) > 2
