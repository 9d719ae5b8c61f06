"""Plots for the course: data and fits, loss curves, loss landscapes, the animated fit, the
autograd graph (and backward running through it), and the learning-rate explorer.

Importing this package is cheap: matplotlib, seaborn and ipywidgets are imported only when a
function that needs them is called. Every function returns what it drew (an Axes, a
FuncAnimation, a widget, a ``GraphDrawing``) so that it can be customised further, and only
``use_style()`` changes global settings.
"""

from gradlab.plot.animation import animate_fit, save_gif, show_animation
from gradlab.plot.backward import backward_steps, trace_backward, watch_backward
from gradlab.plot.data import plot_data, plot_losses
from gradlab.plot.graph import build_graph, to_dot
from gradlab.plot.landscape import loss_landscape
from gradlab.plot.style import use_style
from gradlab.plot.svg import draw_graph
from gradlab.plot.widgets import fit_line, interactive_fit

__all__ = [
    "use_style",
    "plot_data",
    "plot_losses",
    "loss_landscape",
    "animate_fit",
    "save_gif",
    "show_animation",
    "draw_graph",
    "to_dot",
    "build_graph",
    "backward_steps",
    "trace_backward",
    "watch_backward",
    "interactive_fit",
    "fit_line",
]
