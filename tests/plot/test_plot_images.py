"""The look of the key figures (fit, landscape, animation frame, backward step), pinned by
image comparison against committed baselines.

Regenerate the baselines after an intended change of look with
``GRADLAB_REGENERATE_BASELINES=1 .venv/bin/python -m pytest tests/plot/test_plot_images.py``
and look at the new PNGs in tests/baseline_images/plot/ before committing them.
"""

import base64
import io
import os
import re
import shutil
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.testing import set_font_settings_for_testing
from matplotlib.testing.compare import compare_images
from support import BASELINE_IMAGES

import gradlab
from gradlab import plot

BASELINES = BASELINE_IMAGES / "plot"
REGENERATE = os.environ.get("GRADLAB_REGENERATE_BASELINES") == "1"
TOLERANCE = 2.0  # RMS difference on a 0-255 scale: text antialiasing noise, not a change of look
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


@pytest.fixture(autouse=True)
def course_style_for_testing():
    """Agg, the course style, matplotlib's test font settings; everything restored afterwards."""
    plt.switch_backend("Agg")
    with mpl.rc_context(), plot.use_style():
        set_font_settings_for_testing()
        mpl.rcParams["figure.figsize"] = (6.4, 4.0)
        mpl.rcParams["figure.dpi"] = 80
        yield
    plt.close("all")


def check_image(name: str, png: bytes, tmp_path: Path) -> None:
    actual = tmp_path / name
    actual.write_bytes(png)
    expected = BASELINES / name
    if REGENERATE:
        BASELINES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, expected)
    assert expected.exists(), f"missing baseline {expected}: regenerate (see module docstring)"
    difference = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert difference is None, difference


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def gradient_descent_path(x, y, lr, momentum, steps):
    """(w, b) along plain or momentum gradient descent on the mean squared error, in numpy."""
    params, velocity, path = np.array([1.0, 0.0]), np.zeros(2), [np.array([1.0, 0.0])]
    for _ in range(steps):
        error = params[0] * x + params[1] - y
        grad = np.array([(2 * error * x).mean(), (2 * error).mean()])
        velocity = momentum * velocity + grad
        params = params - lr * velocity
        path.append(params)
    return np.array(path)


def test_thermometer_fit_looks_as_committed(tmp_path):
    t_u, t_c = gradlab.tensor(T_U) * 0.1, gradlab.tensor(T_C)
    w = gradlab.tensor(5.3671, requires_grad=True)
    b = gradlab.tensor(-17.3012, requires_grad=True)
    ax = plot.plot_data(t_u, t_c, w * t_u + b, label="thermometer: w=5.37, b=-17.30")
    check_image("thermometer_fit.png", figure_png(ax.figure), tmp_path)


def test_loss_landscape_with_two_paths_looks_as_committed(tmp_path):
    x, y = 0.1 * np.array(T_U), np.array(T_C)
    paths = {"SGD": gradient_descent_path(x, y, 1e-2, 0.0, 200),
             "momentum": gradient_descent_path(x, y, 1e-2, 0.9, 200)}

    def loss_fn(w, b):
        return ((w * x + b - y) ** 2).mean()

    ax = plot.loss_landscape(loss_fn, (-2, 10), (-30, 10), paths=paths, log=True,
                             resolution=41, levels=20)
    check_image("loss_landscape.png", figure_png(ax.figure), tmp_path)


def test_animated_fit_frame_looks_as_committed(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 3 * x + 2 + rng.normal(0, 0.3, size=200)
    lines = [(3 * k / 4, 2 * k / 4) for k in range(5)]
    predictions = [w * x + b for w, b in lines]
    losses = [((p - y) ** 2).mean() for p in predictions]
    html = plot.animate_fit(x, y, predictions, losses=losses).to_jshtml()
    frames = re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]+)"', html)
    check_image("animated_fit_frame2.png", base64.b64decode(frames[2].replace("\\n", "")),
                tmp_path)


def test_backward_step_of_the_graph_looks_as_committed(tmp_path):
    x = gradlab.tensor(3.0)
    w = gradlab.tensor(4.0, requires_grad=True)
    b = gradlab.tensor(5.0, requires_grad=True)
    y = (w * x + b) * w
    frames = plot.backward_steps(y, names={"w": w, "b": b, "y": y})
    ax = frames[4].to_axes()
    check_image("backward_step4.png", figure_png(ax.figure), tmp_path)
