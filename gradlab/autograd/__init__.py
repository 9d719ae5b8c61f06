"""``gradlab.autograd``: the graph, the backward engine, custom Functions and gradcheck."""

from gradlab.autograd import functional
from gradlab.autograd.anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from gradlab.autograd.api import backward, grad  # also attaches Tensor.backward, register_hook...
from gradlab.autograd.function import Function, FunctionCtx
from gradlab.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from gradlab.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from gradlab.autograd.graph import Node
from gradlab.autograd.variable import Variable

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "gradcheck",
    "gradgradcheck", "GradcheckError", "Node", "set_detect_anomaly", "detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "functional", "Variable",
]
