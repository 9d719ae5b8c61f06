"""gradlab.plot: the course style, data/fit plots and loss curves (headless, Agg)."""

import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

import gradlab
from gradlab import plot

pytestmark = pytest.mark.usefixtures("headless_plots")

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]




@pytest.fixture
def thermometer():
    """The course's thermometer data as tensors, and a model whose prediction requires grad."""
    t_u = gradlab.tensor(T_U)
    t_c = gradlab.tensor(T_C)
    w = gradlab.tensor(0.5367, requires_grad=True)
    b = gradlab.tensor(-17.3012, requires_grad=True)
    return t_u, t_c, w * t_u + b


def test_importing_gradlab_plot_does_not_import_matplotlib():
    code = ("import sys, gradlab, gradlab.plot; "
            "heavy = [m for m in ('matplotlib', 'seaborn', 'ipywidgets', 'PIL') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plot_data_scatters_every_sample_and_draws_prediction_as_one_line(thermometer):
    t_u, t_c, t_p = thermometer
    ax = plot.plot_data(t_u, t_c, t_p, label="thermometer")
    assert isinstance(ax, mpl.axes.Axes)
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([T_U, T_C]))
    (line,) = ax.lines
    x, y = line.get_data()
    assert np.all(np.diff(x) >= 0), "the prediction is drawn sorted by x"
    np.testing.assert_allclose(y, 0.5367 * np.sort(T_U) - 17.3012, rtol=1e-5)
    assert ax.get_title() == "thermometer"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", "prediction"]


def test_plot_data_without_prediction_draws_no_line_and_no_title():
    ax = plot.plot_data(np.array(T_U), T_C)
    assert len(ax.lines) == 0
    assert len(ax.collections[0].get_offsets()) == len(T_U)
    assert ax.get_title() == ""


def test_plot_data_accepts_column_tensors_and_leaves_them_unchanged():
    X = gradlab.tensor(T_U).reshape(-1, 1)
    X.requires_grad_(True)
    before = X.detach().numpy().copy()
    ax = plot.plot_data(X, gradlab.tensor(T_C).reshape(-1, 1))
    assert ax.collections[0].get_offsets().shape == (len(T_U), 2)
    np.testing.assert_array_equal(X.detach().numpy(), before)
    assert X.requires_grad and X.grad is None


def test_plot_data_draws_on_the_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert plot.plot_data(T_U, T_C, ax=right) is right
    assert len(left.collections) == 0 and len(right.collections) == 1


def test_plot_data_rejects_mismatched_lengths_and_several_features():
    with pytest.raises(ValueError, match="same number of samples, got 11 and 10"):
        plot.plot_data(T_U, T_C[:10])
    with pytest.raises(ValueError, match=r"one feature per sample.*\(11, 2\)"):
        plot.plot_data(np.ones((11, 2)), T_C)


def test_plot_losses_accepts_a_list_of_loss_tensors_that_require_grad():
    w = gradlab.tensor(2.0, requires_grad=True)
    losses = [(w * k) ** 2 for k in range(5)]
    ax = plot.plot_losses(losses)
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_ydata(), [0, 4, 16, 36, 64])
    np.testing.assert_array_equal(line.get_xdata(), np.arange(5))
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is None
    assert all(loss.grad_fn is not None for loss in losses)


def test_plot_losses_compares_runs_of_a_dict_with_a_legend_and_log_scale():
    runs = {"lr 1e-2": [4.0, 2.0, 1.0], "lr 1e-3": np.array([4.0, 3.5, 3.1, 2.9])}
    ax = plot.plot_losses(runs, log=True)
    assert [len(line.get_ydata()) for line in ax.lines] == [3, 4]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lr 1e-2", "lr 1e-3"]
    assert ax.get_yscale() == "log"
    assert plot.plot_losses([1.0, 0.5]).get_yscale() == "linear"


def test_use_style_as_context_manager_restores_every_rcparam():
    before = dict(mpl.rcParams)
    with plot.use_style():
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][:2] == ["#0173b2", "#de8f05"]
    assert dict(mpl.rcParams) == before


def test_use_style_called_plainly_stays_in_force_until_restored():
    before = dict(mpl.rcParams)
    style = plot.use_style("talk")
    try:
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["font.size"] > 12  # "talk" scales the notebook's 12 pt up
    finally:
        style.restore()
    assert dict(mpl.rcParams) == before


def test_plot_helpers_leave_rcparams_alone():
    before = dict(mpl.rcParams)
    plot.plot_data(T_U, T_C, T_C)
    plot.plot_losses({"a": [1, 2]})
    assert dict(mpl.rcParams) == before
