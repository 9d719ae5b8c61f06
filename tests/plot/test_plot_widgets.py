"""gradlab.plot.interactive_fit: the learning-rate explorer re-fits and re-draws on every change."""

import numpy as np
import pytest

from gradlab import plot
from gradlab.plot.widgets import OPTIMIZERS, fit_line, make_optimizer

pytestmark = pytest.mark.usefixtures("headless_plots")

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]
# PyTorch 2.13: 100 steps from w = b = 0 on (0.1 * t_u, t_c): final loss, w, b.
TORCH_RESULTS = {
    ("SGD", 1e-2): (22.526229858398438, 2.7297446727752686, -2.3716883659362793),
    ("SGD + momentum", 1e-2): (3.643282175064087, 4.866059303283691, -14.518352508544922),
    ("Adam", 1e-1): (26.827777862548828, 2.4298112392425537, -0.8414711952209473),
}




@pytest.fixture
def scaled_thermometer():
    return 0.1 * np.array(T_U, dtype=np.float32), np.array(T_C, dtype=np.float32)


@pytest.mark.parametrize(("optimizer", "lr"), list(TORCH_RESULTS))
def test_fit_line_follows_pytorch_optimizers(scaled_thermometer, optimizer, lr):
    result = fit_line(*scaled_thermometer, optimizer=optimizer, lr=lr, steps=100)
    loss, w, b = TORCH_RESULTS[(optimizer, lr)]
    np.testing.assert_allclose([result.losses[-1], result.w, result.b], [loss, w, b], rtol=1e-5)
    assert len(result.losses) == 100 and len(result.path) == 101
    assert result.path[0] == (0.0, 0.0) and result.diverged_at is None


def test_fit_line_stops_when_the_loss_diverges():
    result = fit_line(T_U, T_C, optimizer="SGD", lr=1e-2, steps=100)  # unscaled inputs
    assert result.diverged_at is not None and result.diverged_at < 100
    assert len(result.losses) == result.diverged_at
    assert result.losses[-1] > 1e6 * result.losses[0]


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown optimizer 'RMSprop'; choose one of SGD"):
        make_optimizer("RMSprop", [], 0.1)


def test_interactive_fit_is_a_widget_drawing_the_fit_and_its_losses(scaled_thermometer):
    import ipywidgets

    widget = plot.interactive_fit(*scaled_thermometer, lr=1e-2, steps=100)
    assert isinstance(widget, ipywidgets.Widget)
    assert widget.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(widget.controls) == {"lr", "steps", "optimizer"}
    assert list(widget.controls["optimizer"].options) == list(OPTIMIZERS)
    fit_ax, loss_ax = widget.figure.axes
    assert len(loss_ax.lines[0].get_ydata()) == 100
    np.testing.assert_allclose(widget.result.losses[-1], TORCH_RESULTS[("SGD", 1e-2)][0],
                               rtol=1e-5)
    assert widget.figure.get_suptitle().startswith("SGD, lr 0.01: loss 22.53 after 100")


def test_moving_a_control_refits_and_redraws(scaled_thermometer):
    widget = plot.interactive_fit(*scaled_thermometer, lr=1e-2, steps=100)
    first_image, first_result = widget.image.value, widget.result
    widget.controls["optimizer"].value = "SGD + momentum"
    assert widget.result.losses[-1] == pytest.approx(TORCH_RESULTS[("SGD + momentum", 1e-2)][0],
                                                     rel=1e-5)
    assert widget.image.value != first_image and widget.result is not first_result
    widget.controls["steps"].value = 20
    assert len(widget.result.losses) == 20
    assert len(widget.figure.axes[1].lines[0].get_ydata()) == 20


def test_too_large_a_learning_rate_is_shown_as_divergence(scaled_thermometer):
    widget = plot.interactive_fit(*scaled_thermometer, lr=1e-2, steps=200)
    widget.controls["lr"].value = 1.0
    assert widget.result.diverged_at is not None
    assert "diverged at step" in widget.figure.get_suptitle()


def test_interactive_fit_checks_its_inputs():
    with pytest.raises(ValueError, match="unknown optimizer"):
        plot.interactive_fit(T_U, T_C, optimizer="LBFGS")
    with pytest.raises(ValueError, match="same number of samples"):
        plot.interactive_fit(T_U, T_C[:5])
