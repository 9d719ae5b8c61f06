"""The course's data: the thermometer readings and a seeded ``make_regression`` problem.

``thermometer()`` gives the eleven paired readings the early notebooks fit by hand (``t_c`` in
Celsius, ``t_u`` in unknown units). ``make_regression()`` wraps scikit-learn's generator with
the course's settings and returns float32 tensors ready for gradlab; scikit-learn is imported
only when it is called, so ``import gradlab`` stays light.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradlab.tensor import Tensor

__all__ = ["T_C", "T_U", "Thermometer", "Regression", "thermometer", "make_regression"]

T_C = (0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0)
T_U = (35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4)


class Thermometer(NamedTuple):
    """Readings of the same temperatures: ``t_c`` in degrees Celsius, ``t_u`` in unknown units."""

    t_c: Tensor
    t_u: Tensor


class Regression(NamedTuple):
    """Inputs ``X`` (n_samples × n_features), targets ``y`` (n_samples,), the true ``coef``."""

    X: Tensor
    y: Tensor
    coef: Tensor


def thermometer() -> Thermometer:
    """The thermometer data as float32 tensors of shape (11,).

    >>> t_c, t_u = gradlab.datasets.thermometer()
    >>> model = lambda t_u, w, b: w * t_u + b          # fit t_c ≈ w * t_u + b
    """
    return Thermometer(Tensor._make(np.array(T_C, dtype=np.float32)),
                       Tensor._make(np.array(T_U, dtype=np.float32)))


def make_regression(n_samples: int = 1500, n_features: int = 1, noise: float = 0.3,
                    bias: float = 2.0, random_state: int | None = 0) -> Regression:
    """A noisy linear problem ``y = X @ coef + bias + noise`` from scikit-learn, as tensors.

    The defaults are the course's (1500 samples, 1 feature, noise 0.3, bias 2, seed 0). ``y``
    has shape (n_samples,), as scikit-learn returns it: compare it with a model's (n, 1)
    output only after ``.squeeze()``, or the loss broadcasts (and ``MSELoss`` warns).
    """
    from sklearn.datasets import make_regression as sk_make_regression  # optional, slow: lazy

    X, y, coef = sk_make_regression(n_samples=n_samples, n_features=n_features,
                                    n_informative=n_features, noise=noise, bias=bias,
                                    coef=True, random_state=random_state)
    return Regression(Tensor._make(np.asarray(X, dtype=np.float32)),
                      Tensor._make(np.asarray(y, dtype=np.float32)),
                      Tensor._make(np.atleast_1d(np.asarray(coef, dtype=np.float32))))
