"""gradlab.plot.animate_fit: one frame per prediction, jshtml under 1 MB, GIF through Pillow."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation
from PIL import Image

import gradlab
from gradlab import plot

# Tests that only inspect an animation's figure never render it, which matplotlib warns about.
pytestmark = [pytest.mark.usefixtures("headless_plots"),
              pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")]




def train_line(n_samples: int, steps: int):
    """Notebook 07's scenario: noisy data y = 3x + 2, a line fitted by gradient descent (lr 0.1),
    the prediction of every step kept as a tensor that requires grad."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_samples, 1)).astype(np.float32)
    y = (3 * x + 2 + rng.normal(0, 0.3, size=(n_samples, 1))).astype(np.float32)
    X, Y = gradlab.tensor(x), gradlab.tensor(y)
    w = gradlab.tensor(0.0, requires_grad=True)
    b = gradlab.tensor(0.0, requires_grad=True)
    predictions, losses = [], []
    for _ in range(steps):
        prediction = w * X + b
        loss = ((prediction - Y) ** 2).mean()
        predictions.append(prediction)
        losses.append(loss)
        loss.backward()
        with gradlab.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = None
        b.grad = None
    return X, Y, predictions, losses


@pytest.fixture(scope="module")
def fit_1500_samples_30_steps():
    return train_line(1500, 30)


@pytest.fixture
def fit_20_samples_5_steps():
    return train_line(20, 5)


def test_animate_fit_has_one_frame_per_prediction_and_moves_the_line(fit_20_samples_5_steps):
    X, Y, predictions, losses = fit_20_samples_5_steps
    anim = plot.animate_fit(X, Y, predictions)
    assert isinstance(anim, FuncAnimation)
    fig = anim._fig
    (ax,) = fig.axes
    (line,) = ax.lines
    (points,) = ax.collections
    order = np.argsort(X.numpy()[:, 0])
    seen = []
    for i, frame in enumerate(anim.new_frame_seq()):
        anim._func(frame)
        np.testing.assert_allclose(line.get_ydata(), predictions[i].detach().numpy()[order, 0])
        seen.append(ax.get_title())
    assert seen == [f"step {i}/4" for i in range(5)]
    np.testing.assert_allclose(points.get_offsets(),
                               np.column_stack([X.numpy()[:, 0], Y.numpy()[:, 0]]))


def test_animate_fit_with_losses_shows_the_loss_in_the_title_and_a_falling_curve(
        fit_20_samples_5_steps):
    X, Y, predictions, losses = fit_20_samples_5_steps
    anim = plot.animate_fit(X, Y, predictions, losses=losses)
    fit_ax, loss_ax = anim._fig.axes
    anim._func(3)
    assert fit_ax.get_title() == f"step 3/4   loss {losses[3].item():.4g}"
    curve, dot = loss_ax.lines
    np.testing.assert_allclose(curve.get_ydata(), [loss.item() for loss in losses[:4]])
    np.testing.assert_allclose(dot.get_ydata(), [losses[3].item()])
    assert loss_ax.get_xlabel() == "step" and loss_ax.get_ylabel() == "loss"


def test_animate_fit_figure_is_not_left_in_pyplot(fit_20_samples_5_steps):
    X, Y, predictions, _ = fit_20_samples_5_steps
    plot.animate_fit(X, Y, predictions)
    assert plt.get_fignums() == []  # no stray still image under the player in Jupyter


def test_thirty_frames_of_1500_samples_as_jshtml_stay_under_one_megabyte(
        fit_1500_samples_30_steps):
    X, Y, predictions, losses = fit_1500_samples_30_steps
    with plot.use_style():
        html = plot.animate_fit(X, Y, predictions, losses=losses, interval=150).to_jshtml()
    frames = re.findall(r'frames\[\d+\] = "data:image/png;base64,', html)
    assert len(frames) == 30
    assert len(html.encode()) < 1_000_000
    assert "new Animation(frames" in html  # matplotlib's JavaScript player, self-contained


def test_animation_displays_itself_as_the_javascript_player(fit_20_samples_5_steps):
    X, Y, predictions, _ = fit_20_samples_5_steps
    anim = plot.animate_fit(X, Y, predictions)
    html = anim._repr_html_()
    assert html == anim.to_jshtml()
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 5


def test_save_gif_writes_every_frame_with_pillow(fit_20_samples_5_steps, tmp_path):
    X, Y, predictions, losses = fit_20_samples_5_steps
    anim = plot.animate_fit(X, Y, predictions, losses=losses, interval=250)
    path = plot.save_gif(anim, tmp_path / "fit.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 5
        assert gif.info["duration"] == 250


def test_animate_fit_explains_mismatched_inputs(fit_20_samples_5_steps):
    X, Y, predictions, losses = fit_20_samples_5_steps
    with pytest.raises(ValueError, match="one value per frame: got 4 losses for 5"):
        plot.animate_fit(X, Y, predictions, losses=losses[:4])
    with pytest.raises(ValueError, match=r"predictions must be one prediction of shape \(20,\)"):
        plot.animate_fit(X, Y, [p[:10] for p in predictions])
    with pytest.raises(ValueError, match="at least one frame"):
        plot.animate_fit(X, Y, np.zeros((0, 20)))
