"""What every operation shares: turning arguments into tensors, the result dtype.

``record`` (in ``gradlab.autograd.graph``, re-exported here) is the single place where an
operation's result gets its ``grad_fn``: only when gradient recording is on and some input
requires grad, exactly as in PyTorch.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._numerics.floats import rounded
from gradlab.autograd.graph import NO_EDGE, edge, record  # noqa: F401  (ops import them here)
from gradlab.tensor import Tensor

Number = (int, float, bool, np.number, np.bool_)


def as_tensor_arg(x: Any, op: str = "operation") -> Tensor | Any:
    """Accept a tensor or a Python/numpy scalar; convert arrays; refuse everything else."""
    if isinstance(x, Tensor) or isinstance(x, Number):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    raise TypeError(f"unsupported operand type(s) for {op}: 'Tensor' and '{type(x).__name__}'")


def result_np_dtype(a: Tensor, b: Any) -> np.dtype:
    """The numpy dtype of ``a op b`` under PyTorch's promotion (fast paths first)."""
    ad = a._data.dtype
    if isinstance(b, Tensor):
        if b._data.dtype == ad:
            return ad
    elif ad.kind == "f" and isinstance(b, numbers.Real):
        return ad
    return _dtype.result_type(a, b).np


def operand_data(x: Any, dt: np.dtype) -> Any:
    """The raw value of an operand, converted to the computation dtype where needed."""
    if isinstance(x, Tensor):
        d = x._data
        return d if d.dtype == dt else d.astype(dt)
    if isinstance(x, np.generic):
        return x.item()
    return x


def wrap_int(x: Any, dt: np.dtype) -> Any:
    """A Python int cast to an integer dtype the C way (modulo 2**bits): ``uint8`` takes -1 as
    255, as PyTorch does; anything else is returned as is."""
    if isinstance(x, (int, np.integer)) and dt.kind in "iu":
        return np.array(int(x), dtype=np.int64).astype(dt)[()]
    return x


def to_float(x: Tensor) -> np.ndarray:
    """Input data for a function that always gives floats (exp, sqrt...): ints become float32."""
    d = x._data
    return d if d.dtype.kind == "f" else d.astype(_dtype.get_default_dtype().np)


def as_array(x: Any, dt: np.dtype) -> np.ndarray:
    out = np.asarray(x)
    return out if out.dtype == dt else out.astype(dt)


def check_broadcast(a: np.ndarray, b: Any) -> None:
    """Raise PyTorch's message when two shapes cannot be broadcast together."""
    sa, sb = a.shape, getattr(b, "shape", ())
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - i
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {dim}\n"
                f"Hint: shapes {list(sa)} and {list(sb)} do not broadcast; check with .shape "
                "and use reshape/unsqueeze to line them up."
            )


_ROUNDED = frozenset({"exp", "log", "sin", "cos", "tanh", "cosh", "sinh", "log1p", "expm1"})


def call(name: str, x: Any) -> Any:
    """``x.name()`` for a tensor, ``np.name(x)`` for an array (rounded as the forward op rounds
    it): math inside backward methods."""
    if isinstance(x, Tensor):
        return getattr(x, name)()
    fn = getattr(np, name)
    return rounded(fn, x) if name in _ROUNDED and isinstance(x, np.ndarray) else fn(x)


# PyTorch turns overflow and 0/0 into inf and nan without a word; numpy warns, and the warning
# would point into gradlab's own code. Silenced for gradlab's modules only, at no cost per op
# (np.errstate costs microseconds, so it guards only the ops that meet such values most).
NUMPY_FLOAT_WARNINGS = {
    "message": "(overflow|invalid value|divide by zero|underflow) encountered in",
    "category": RuntimeWarning,
    "module": r"gradlab\.",
}
warnings.filterwarnings("ignore", **NUMPY_FLOAT_WARNINGS)
