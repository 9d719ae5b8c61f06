"""gradlab: PyTorch's autograd, re-implemented on numpy to be read, used and broken.

``import gradlab as torch`` runs PyTorch-style code and prints what PyTorch prints::

    >>> import gradlab as torch
    >>> w = torch.tensor(4.0, requires_grad=True)
    >>> y = w * 3 + 5
    >>> y
    tensor(17., grad_fn=<AddBackward0>)
    >>> y.backward(); w.grad
    tensor(3.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gradlab import (
    _tensor_methods,  # noqa: F401  (attaches methods and operators to Tensor)
    autograd,
)
from gradlab._dtype import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from gradlab._size import Size
from gradlab._tensor_str import printoptions, set_printoptions
from gradlab.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from gradlab.ops import activation, indexing, linalg, pointwise, reduction, shape
from gradlab.ops.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from gradlab.ops.indexing import cat, concat, concatenate, stack, where
from gradlab.random import (
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from gradlab.tensor import Tensor, device

__version__ = "0.1.0"


def _tensor_function(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``gradlab.exp(x)``: the method as a function, refusing non-tensors as PyTorch does."""

    @functools.wraps(fn)
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return fn(input, *args, **kwargs)

    function.__name__ = name
    return function


_FUNCTIONS = {
    "add": pointwise.add, "sub": pointwise.sub, "subtract": pointwise.sub, "mul": pointwise.mul,
    "multiply": pointwise.mul, "div": pointwise.div, "divide": pointwise.div,
    "true_divide": pointwise.div, "pow": pointwise.pow, "neg": pointwise.neg,
    "negative": pointwise.neg, "reciprocal": pointwise.reciprocal, "abs": pointwise.abs,
    "exp": pointwise.exp, "log": pointwise.log, "sqrt": pointwise.sqrt, "sin": pointwise.sin,
    "cos": pointwise.cos, "tanh": pointwise.tanh, "sigmoid": pointwise.sigmoid,
    "relu": pointwise.relu, "square": pointwise.square, "clamp": pointwise.clamp,
    "clip": pointwise.clamp, "maximum": pointwise.maximum, "minimum": pointwise.minimum,
    "sign": pointwise.sign, "floor": pointwise.floor, "ceil": pointwise.ceil,
    "round": pointwise.round, "eq": pointwise.eq, "ne": pointwise.ne, "lt": pointwise.lt,
    "le": pointwise.le, "gt": pointwise.gt, "ge": pointwise.ge, "isnan": pointwise.isnan,
    "isinf": pointwise.isinf, "isfinite": pointwise.isfinite,
    "logical_not": pointwise.logical_not, "floor_divide": pointwise.floor_divide,
    "remainder": pointwise.remainder,
    "sum": reduction.sum, "mean": reduction.mean, "var": reduction.var, "std": reduction.std,
    "norm": reduction.norm, "max": reduction.max, "min": reduction.min,
    "argmax": reduction.argmax, "argmin": reduction.argmin, "all": reduction.all,
    "any": reduction.any, "softmax": activation.softmax, "log_softmax": activation.log_softmax,
    "logsumexp": activation.logsumexp,
    "reshape": shape.reshape, "flatten": shape.flatten, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "permute": shape.permute, "transpose": shape.transpose,
    "swapaxes": shape.transpose, "t": shape.t, "clone": shape.clone,
    "broadcast_to": shape.broadcast_to, "unbind": indexing.unbind, "split": indexing.split,
    "chunk": indexing.chunk, "nonzero": indexing.nonzero, "masked_fill": indexing.masked_fill,
    "select": indexing.select, "matmul": linalg.matmul, "mm": linalg.mm, "mv": linalg.mv,
    "dot": linalg.dot, "bmm": linalg.bmm,
}
globals().update({name: _tensor_function(fn, name) for name, fn in _FUNCTIONS.items()})


def is_tensor(obj: Any) -> bool:
    """True for gradlab tensors (and parameters)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    import numpy as np

    return builtins_bool(np.allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a: Tensor, b: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    import numpy as np

    return Tensor._make(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and builtins_bool((a._data == b._data).all())


def builtins_bool(x: Any) -> Any:
    import builtins

    return builtins.bool(x)


def __getattr__(name: str) -> Any:
    """Load the heavier sub-packages (nn, optim, plot, grading...) on first use."""
    import importlib

    if name in ("nn", "optim", "plot", "grading", "utils", "datasets"):
        return importlib.import_module(f"gradlab.{name}")
    raise AttributeError(f"module 'gradlab' has no attribute '{name}'")
