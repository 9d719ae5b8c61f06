"""``gradlab.autograd``: the graph, the backward engine, custom Functions and gradcheck."""

from gradlab.autograd.engine import backward, grad
from gradlab.autograd.function import Function, FunctionCtx
from gradlab.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from gradlab.autograd.gradcheck import GradcheckError, gradcheck
from gradlab.autograd.graph import Node

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "gradcheck", "GradcheckError", "Node",
    "set_detect_anomaly", "detect_anomaly",
]


class set_detect_anomaly:
    """Accepted for PyTorch compatibility; gradlab's errors already name the failing node."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.mode, self.check_nan = mode, check_nan

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


detect_anomaly = set_detect_anomaly
