"""``gradlab.nn``: modules, layers, losses and initialisers with PyTorch's names and printouts.

>>> import gradlab as torch
>>> from gradlab import nn
>>> model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
>>> loss = nn.MSELoss()(model(x), y)       # grad_fn=<MseLossBackward0>
"""

from gradlab.nn import functional, init, utils
from gradlab.nn.activation import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from gradlab.nn.container import ModuleDict, ModuleList, ParameterList, Sequential
from gradlab.nn.dropout import Dropout, Dropout1d, Dropout2d
from gradlab.nn.linear import Flatten, Identity, Linear, Unflatten
from gradlab.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from gradlab.nn.module import Module
from gradlab.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from gradlab.nn.parameter import Parameter
from gradlab.nn.sparse import Embedding

__all__ = [
    "Module", "Parameter", "Linear", "Identity", "Flatten", "Unflatten", "Sequential", "ModuleList",
    "ModuleDict", "ParameterList",
    "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "LogSigmoid",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Dropout1d", "Dropout2d",
    "LeakyReLU", "HuberLoss", "SmoothL1Loss", "Embedding", "GELU", "SiLU", "ELU", "SELU",
    "Softplus", "Hardtanh", "ReLU6", "functional", "init", "utils",
]

# In messages (``torch.typename``) a layer goes by PyTorch's path: torch.nn.modules.<file>.<name>
_TORCH_FILES = {"Flatten": "flatten", "Unflatten": "flatten", "BatchNorm1d": "batchnorm",
                "BatchNorm2d": "batchnorm"}
for _name in __all__:
    _cls = globals()[_name]
    if isinstance(_cls, type) and issubclass(_cls, Module):
        _file = _TORCH_FILES.get(_name, _cls.__module__.rsplit(".", 1)[-1])
        _cls._torch_module = f"gradlab.nn.modules.{_file}"
