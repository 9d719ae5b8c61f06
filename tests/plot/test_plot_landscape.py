"""gradlab.plot.loss_landscape: contours of loss_fn(w, b) with optimizer paths on top."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.contour import ContourSet

import gradlab
from gradlab import plot
from gradlab.plot.landscape import loss_grid

pytestmark = pytest.mark.usefixtures("headless_plots")

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]




@pytest.fixture
def thermometer_loss():
    """The course's loss on the scaled thermometer data, written with gradlab tensors."""
    t_u = 0.1 * gradlab.tensor(T_U)
    t_c = gradlab.tensor(T_C)

    def loss_fn(w, b):
        return ((w * t_u + b - t_c) ** 2).mean()

    return loss_fn


@pytest.fixture
def sgd_and_adam_paths():
    """Two short optimizer paths in the formats learners produce: tensors, and a list of tuples."""
    sgd = gradlab.tensor([[1.0, 0.0], [1.4, -0.5], [2.0, -2.0], [3.0, -6.0]], requires_grad=True)
    adam = [(1.0, 0.0), (1.2, -1.0), (1.6, -2.5)]
    return {"SGD": sgd, "Adam": adam}


def contour_sets(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def test_loss_grid_calls_loss_fn_at_every_point():
    ws, bs = np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0])
    grid = loss_grid(lambda w, b: gradlab.tensor(w * 100 + b), ws, bs)
    np.testing.assert_allclose(grid, [[10, 110, 210], [20, 120, 220]])


def test_landscape_draws_the_requested_number_of_contour_levels(thermometer_loss):
    ax = plot.loss_landscape(thermometer_loss, (-2, 10), (-30, 10), levels=12, resolution=21)
    filled, lines = contour_sets(ax)
    assert len(filled.levels) == 12
    np.testing.assert_array_equal(lines.levels, filled.levels)
    assert ax.get_xlabel() == "w" and ax.get_ylabel() == "b"
    assert ax.get_xlim() == (-2, 10) and ax.get_ylim() == (-30, 10)


def test_landscape_levels_span_the_losses_on_the_grid(thermometer_loss):
    ax = plot.loss_landscape(thermometer_loss, (0, 10), (-20, 0), levels=5, resolution=11)
    expected = loss_grid(thermometer_loss, np.linspace(0, 10, 11), np.linspace(-20, 0, 11))
    levels = contour_sets(ax)[0].levels
    np.testing.assert_allclose([levels[0], levels[-1]], [expected.min(), expected.max()],
                               rtol=1e-6)


def test_landscape_log_levels_are_evenly_spaced_in_log(thermometer_loss):
    ax = plot.loss_landscape(thermometer_loss, (-2, 10), (-30, 10), levels=8, resolution=15,
                             log=True)
    ratios = np.diff(np.log(contour_sets(ax)[0].levels))
    np.testing.assert_allclose(ratios, ratios[0])


def test_landscape_draws_each_path_with_start_and_end_marked(thermometer_loss,
                                                             sgd_and_adam_paths):
    ax = plot.loss_landscape(thermometer_loss, (-2, 10), (-30, 10), resolution=11,
                             paths=sgd_and_adam_paths)
    by_label = {}
    for line in ax.lines:
        by_label.setdefault(line.get_label(), []).append(line)
    assert sorted(by_label) == ["Adam", "SGD", "_end", "_start"]
    np.testing.assert_allclose(by_label["SGD"][0].get_xydata(),
                               [[1, 0], [1.4, -0.5], [2, -2], [3, -6]], rtol=1e-6)
    starts = [line.get_xydata()[0].tolist() for line in by_label["_start"]]
    ends = [line.get_xydata()[0].tolist() for line in by_label["_end"]]
    assert starts == [[1, 0], [1, 0]]
    np.testing.assert_allclose(ends, [[3, -6], [1.6, -2.5]], rtol=1e-6)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["SGD", "Adam", "start", "end"]
    assert by_label["SGD"][0].get_color() != by_label["Adam"][0].get_color()
    assert sgd_and_adam_paths["SGD"].requires_grad  # the caller's tensor is untouched


def test_landscape_adds_a_loss_colorbar_beside_the_given_axes(thermometer_loss):
    fig, ax = plt.subplots()
    assert plot.loss_landscape(thermometer_loss, (0, 1), (0, 1), resolution=5, ax=ax) is ax
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "loss"


def test_landscape_explains_bad_ranges_and_non_scalar_losses(thermometer_loss):
    with pytest.raises(ValueError, match="low < high"):
        plot.loss_landscape(thermometer_loss, (5, 1), (0, 1))
    with pytest.raises(ValueError, match="single number"):
        plot.loss_landscape(lambda w, b: gradlab.ones(3) * w, (0, 1), (0, 1), resolution=3)
    with pytest.raises(ValueError, match=r"\(w, b\) pairs"):
        plot.loss_landscape(thermometer_loss, (0, 1), (0, 1), resolution=3,
                            paths={"bad": [[1, 2, 3]]})
