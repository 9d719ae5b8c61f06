"""Making tensors: ``tensor``, ``zeros``, ``arange``, ``rand`` ... with PyTorch's dtype inference.

Python floats become the default dtype (float32), Python ints int64, bools bool; numpy arrays
keep their dtype (so ``from_numpy`` of float64 data stays float64, as in PyTorch).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.tensor import Tensor, check_device

_NUMPY_OK = {np.dtype(t) for t in ("float64", "float32", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool")}


def _finish(data: np.ndarray, requires_grad: bool, dev: Any = None) -> Tensor:
    check_device(dev)
    t = Tensor._make(data)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients\n"
                "Hint: write the numbers as floats (4. instead of 4) "
                "or pass dtype=gradlab.float32.")
        t._rg = True
    return t


def _unwrap(data: Any) -> Any:
    """Nested lists may hold tensors (``tensor([w, b])``): use their values."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def _ragged_message(data: Any) -> str:
    level = [data]
    dim = 0
    while level and all(isinstance(x, (list, tuple)) for x in level):
        n = len(level[0])
        for x in level:
            if len(x) != n:
                return f"expected sequence of length {n} at dim {dim or 1} (got {len(x)})"
        level = [y for x in level for y in x]
        dim += 1
    return "expected a rectangular nested sequence of numbers"


def _infer(data: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        if data.dtype not in _NUMPY_OK:
            raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. "
                            "The only supported types are: float64, float32, float16, int64, "
                            "int32, int16, int8, uint8, and bool.")
        return data
    if isinstance(data, (str, bytes, dict, set)) or data is None:
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    try:
        arr = np.asarray(_unwrap(data))
    except ValueError:
        raise ValueError(_ragged_message(data)) from None
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind in "iu":  # Python ints (numpy arrays returned above keep their dtype)
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if isinstance(data, (np.generic,)) or _has_numpy(data):
            return arr
        return arr.astype(_dtype.get_default_dtype().np, copy=False)
    raise TypeError(f"new(): invalid data type '{arr.dtype.type.__name__}'")


def _has_numpy(data: Any) -> bool:
    """Lists of numpy float64 arrays/tensors keep their dtype; Python floats do not."""
    if isinstance(data, np.ndarray):
        return True
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_numpy(data[0])
    return False


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array...).

    >>> gradlab.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() "
            "or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "gradlab.tensor(sourceTensor).", UserWarning, stacklevel=2)
    if dtype is not None:
        dt = _dtype.to_dtype(dtype, "tensor")
        arr = np.array(_unwrap(data) if not isinstance(data, np.ndarray) else data, dtype=dt.np)
    else:
        arr = np.array(_infer(data), copy=True)
    return _finish(arr, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but sharing memory with a numpy array (or returning a tensor) when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype):
        return Tensor._make(_infer(data))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (changes to one show in the other); keeps its dtype."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return Tensor._make(_infer(arr))


def _size(size: tuple, name: str = "zeros") -> tuple[int, ...]:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])``, checked with PyTorch's messages."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list))
    if packed:
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            kind = type(s).__name__
            if len(size) == 1 and not packed:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"not {kind}")
            if i == 0:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                                f"but found element of type {kind} at pos 0")
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got {kind}\"")
        out.append(int(s))
    if any(s < 0 for s in out):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        neg = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {out}")
    return tuple(out)


def _dt(dtype: Any, where: str) -> np.dtype:
    return (_dtype.to_dtype(dtype, where) if dtype is not None else _dtype.get_default_dtype()).np


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_size(size), dtype=_dt(dtype, "zeros")), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_size(size, "ones"), dtype=_dt(dtype, "ones")), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uninitialised in PyTorch; zeros here, so notebooks stay deterministic."""
    return _finish(np.zeros(_size(size, "empty"), dtype=_dt(dtype, "empty")), requires_grad, device)


def _fill_dtype(value: Any) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    return _dtype.get_default_dtype().np


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    dt = _dtype.to_dtype(dtype, "full").np if dtype is not None else _fill_dtype(fill_value)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _finish(np.full(_size((size,), "full"), fill_value, dtype=dt), requires_grad, device)


def _like(a: Tensor, dtype: Any) -> np.dtype:
    return _dtype.to_dtype(dtype).np if dtype is not None else a._data.dtype


def zeros_like(a: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(a._data.shape, dtype=_like(a, dtype)), requires_grad, device)


def ones_like(a: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(a._data.shape, dtype=_like(a, dtype)), requires_grad, device)


def empty_like(a: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return zeros_like(a, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(a: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _finish(np.full(a._data.shape, fill_value, dtype=_like(a, dtype)), requires_grad, device)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to (not including) ``end``."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype, "arange").np
    elif all(isinstance(v, (int, np.integer)) for v in vals):
        dt = np.dtype(np.int64)
    else:
        dt = _dtype.get_default_dtype().np
    n = math.ceil((vals[1] - vals[0]) / vals[2])
    if n < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    out = (vals[0] + vals[2] * np.arange(n, dtype=np.float64)) if dt.kind == "f" else (
        vals[0] + vals[2] * np.arange(n, dtype=np.int64))
    return _finish(out.astype(dt), requires_grad, device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, computed as PyTorch does."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype, "linspace")
    if steps == 1:
        return _finish(np.full(1, start, dtype=dt), requires_grad, device)
    # PyTorch's kernel fills the first half as start + step * i and the second half as
    # end - step * (steps - 1 - i), each with one fused multiply-add: a wider type emulates it.
    wide = np.float64 if dt.itemsize < 8 else np.longdouble
    s, e = dt.type(start), dt.type(end)
    step = wide(dt.type((e - s) / dt.type(steps - 1)))
    idx = np.arange(steps)
    low = step * idx.astype(wide) + wide(s)
    high = wide(e) - step * (steps - 1 - idx).astype(wide)
    out = np.where(idx < steps // 2, low, high)
    return _finish(out.astype(dt), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_dt(dtype, "eye")), requires_grad, device)


# -- random ------------------------------------------------------------------------------------


def _gen(generator: Any) -> Any:
    from gradlab import random

    return generator if generator is not None else random.default_generator


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1); the same numbers as PyTorch after the same ``manual_seed``."""
    out = _gen(generator).uniform(_size(size, "rand"), 0.0, 1.0, _dt(dtype, "rand"))
    return _finish(out, requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples; the same numbers as PyTorch after the same ``manual_seed``."""
    out = _gen(generator).normal(_size(size, "randn"), 0.0, 1.0, _dt(dtype, "randn"))
    return _finish(out, requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    out = _gen(generator).randint(int(low), int(high), _size((size,), "randint")).astype(dt)
    return _finish(out, requires_grad, device)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(_gen(generator).randperm(int(n)).astype(dt), requires_grad, device)


def rand_like(a: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(a.shape, dtype=dtype or a.dtype, requires_grad=requires_grad)


def randn_like(a: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(a.shape, dtype=dtype or a.dtype, requires_grad=requires_grad)


def normal(mean: float, std: float, size: Any, *, generator: Any = None, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    out = _gen(generator).normal(_size((size,), "normal"), float(mean), float(std),
                                 _dt(dtype, "normal"))
    return _finish(out, requires_grad)
