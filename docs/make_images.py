"""Regenerate the pictures in docs/images/ (the README's picture among them).

Run from the repository root: ``.venv/bin/python docs/make_images.py``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import gradlab  # noqa: E402
from gradlab import plot  # noqa: E402
from gradlab.plot.widgets import fit_line  # noqa: E402

IMAGES = Path(__file__).parent / "images"
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def optimizers_on_the_thermometer(path: Path) -> None:
    """The thermometer fit by three optimizers, and their paths across the loss landscape."""
    x, y = 0.1 * np.array(T_U), np.array(T_C)
    runs = {name: fit_line(x, y, optimizer=name, lr=lr, steps=300, init=(1.0, 0.0))
            for name, lr in (("SGD", 1e-2), ("SGD + momentum", 1e-2), ("Adam", 1e-1))}
    with plot.use_style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained",
                                          width_ratios=(1, 1.25))
        plot.plot_losses({name: run.losses for name, run in runs.items()}, ax=left, log=True)
        left.set_title("loss per step: SGD, momentum and Adam")

        def loss_fn(w, b):
            return ((w * x + b - y) ** 2).mean()

        plot.loss_landscape(loss_fn, (-1, 8), (-25, 5), ax=right, log=True,
                            paths={name: run.path for name, run in runs.items()})
        right.set_title("their paths across the loss landscape")
        fig.savefig(path, dpi=100)
        plt.close(fig)


def backward_step(path: Path) -> None:
    """One frame of backward() running through y = (w * x + b) * w."""
    x = gradlab.tensor(3.0)
    w = gradlab.tensor(4.0, requires_grad=True)
    b = gradlab.tensor(5.0, requires_grad=True)
    y = (w * x + b) * w
    plot.backward_steps(y, names={"w": w, "b": b, "y": y})[4].save(path)


if __name__ == "__main__":
    IMAGES.mkdir(exist_ok=True)
    optimizers_on_the_thermometer(IMAGES / "optimizers.png")
    backward_step(IMAGES / "backward_step.svg")
    print("wrote", *sorted(p.name for p in IMAGES.iterdir()))
