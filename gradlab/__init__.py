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
import importlib as _importlib
from collections.abc import Callable
from numbers import Number as _Number
from typing import Any

from gradlab import (
    _dtype,
    _tensor_methods,  # noqa: F401  (attaches methods and operators to Tensor)
    _traceback,
    autograd,
)
from gradlab._as_torch import install_as_torch, load_ipython_extension, uninstall_as_torch
from gradlab._dtype import (
    bool,
    can_cast,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
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
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from gradlab.ops.creation import (  # noqa: F401  (the legacy types are set by name)
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from gradlab.ops.einsum import einsum
from gradlab.ops.indexing import cat, concat, concatenate, stack, where
from gradlab.ops.joining import hstack, vstack
from gradlab.ops.sampling import (
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from gradlab.random import (
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from gradlab.tensor import Tensor, device, typename

__version__ = "0.1.0"


# The binary functions whose first argument may be a Python number, as in ``torch.add(2., x)``.
_SCALAR_FIRST = frozenset("""add sub subtract mul multiply div divide true_divide pow remainder
floor_divide""".split())
_REFLECTED = {"pow": "__rpow__", "remainder": "__rmod__", "floor_divide": "__rfloordiv__"}


def _tensor_function(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``gradlab.exp(x)``: the method as a function, refusing non-tensors as PyTorch does."""

    scalar_first = name in _SCALAR_FIRST

    @functools.wraps(fn)
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        if scalar_first and isinstance(input, _Number) and args and isinstance(args[0], Tensor):
            # torch.add(2., x): the number becomes a 0-d tensor of the result's dtype
            if name in _REFLECTED:  # these have their own scalar-first forms in PyTorch
                return getattr(args[0], _REFLECTED[name])(input)
            input = tensor(input, dtype=_dtype.result_type(args[0], input))
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return fn(input, *args, **kwargs)

    function.__name__ = name
    return function


# The functions PyTorch also offers at top level (``gradlab.exp(x)``): the rows of the op
# table marked "f" (gradlab/_tensor_methods.py).
globals().update({name: _tensor_function(fn, name)
                  for name, fn in _tensor_methods.FUNCTIONS.items()})


def result_type(tensor: Any, other: Any) -> dtype:
    """The dtype ``tensor op other`` would have (tensors or Python numbers)."""
    return _dtype.result_type(tensor, other)


def get_default_device() -> device:
    """Where new tensors are made: always the CPU in gradlab."""
    return device("cpu")


def is_tensor(obj: Any) -> bool:
    """True for gradlab tensors (and parameters)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def __getattr__(name: str) -> Any:
    """Load the heavier sub-packages (nn, optim, plot, grading...) on first use."""
    if name in ("nn", "optim", "plot", "grading", "utils", "datasets", "cuda", "accelerator",
                "backends", "serialization", "linalg"):
        return _importlib.import_module(f"gradlab.{name}")
    if name in ("save", "load"):  # in gradlab/serialization.py, which needs nn.Parameter
        return getattr(_importlib.import_module("gradlab.serialization"), name)
    raise AttributeError(f"module 'gradlab' has no attribute '{name}'")


# In IPython and Jupyter, errors end at the learner's line (see _traceback; plain Python is
# untouched). GRADLAB_FULL_TRACEBACK=1 shows gradlab's own frames too.
_traceback.install()
