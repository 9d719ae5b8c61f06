"""``gradlab.nn``: modules, layers, losses and initialisers with PyTorch's names and printouts.

>>> import gradlab as torch
>>> from gradlab import nn
>>> model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
>>> loss = nn.MSELoss()(model(x), y)       # grad_fn=<MseLossBackward0>
"""

from gradlab.nn import functional, init, utils
from gradlab.nn.activation import LeakyReLU, LogSigmoid, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from gradlab.nn.container import ModuleDict, ModuleList, Sequential
from gradlab.nn.dropout import Dropout, Dropout1d, Dropout2d
from gradlab.nn.linear import Flatten, Identity, Linear
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
    "Module", "Parameter", "Linear", "Identity", "Flatten", "Sequential", "ModuleList",
    "ModuleDict",
    "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "LogSigmoid",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "Dropout1d", "Dropout2d",
    "LeakyReLU", "HuberLoss", "SmoothL1Loss", "Embedding", "functional", "init", "utils",
]
