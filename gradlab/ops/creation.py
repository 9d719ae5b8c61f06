"""Making tensors: ``tensor``, ``zeros``, ``arange``, ``eye`` ... with PyTorch's dtype inference
(random ones are ``sampling``'s).

Python floats become the default dtype (float32), Python ints int64, bools bool; numpy arrays
keep their dtype (so ``from_numpy`` of float64 data stays float64, as in PyTorch).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.ops._from_data import check_numpy, check_range, from_data
from gradlab.ops.shape import parse_shape
from gradlab.tensor import _C_NAMES, Tensor, check_device


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


def _type_names(args: tuple) -> str:
    return ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)


def _bad_args(name: str, args: tuple, signature: str) -> TypeError:
    """PyTorch's error for arguments that match none of a function's signatures."""
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({_type_names(args)}), but expected one of:\n * {signature}")


def _check_input(a: Any, name: str) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")


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
    dt = _dtype.to_dtype(dtype, "tensor") if dtype is not None else None
    return _finish(from_data(data, dt), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but sharing memory with a numpy array (or returning a tensor) when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype):
        return Tensor._make(check_numpy(data))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (changes to one show in the other); keeps its dtype."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if any(st < 0 for st in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return Tensor._make(check_numpy(arr))


def _size(size: tuple, name: str = "zeros") -> tuple[int, ...]:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])``, checked with PyTorch's messages."""
    if not size:
        if name in ("rand", "randn"):
            raise _bad_args(name, size, "(tuple of ints size, *, gradlab.dtype dtype = None, ...)")
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    out = list(parse_shape(size, name, "size"))
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


def _fill_value(value: Any) -> tuple[Any, _dtype.dtype]:
    """A ``full`` fill value as a Python number, and the dtype it gives by itself."""
    if isinstance(value, Tensor) and value._data.ndim == 0:
        value = value._data.item()
    if isinstance(value, (bool, np.bool_)):
        return bool(value), _dtype.bool
    if isinstance(value, (int, np.integer)):
        return int(value), _dtype.int64
    if isinstance(value, (float, np.floating)):
        return float(value), _dtype.get_default_dtype()
    raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                    f"{type(value).__name__}")


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    value, dt = _fill_value(fill_value)
    shape = _size((size,), "full")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype, "full")
        check_range(np.asarray(value), dt, f"{dt.name}_t")
    with np.errstate(all="ignore"):
        out = np.full(shape, np.asarray(value).astype(dt.np))
    return _finish(out, requires_grad, device)


def _like(a: Tensor, dtype: Any, name: str) -> np.dtype:
    _check_input(a, name)
    return _dtype.to_dtype(dtype, name).np if dtype is not None else a._data.dtype


def zeros_like(a: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    dt = _like(a, dtype, "zeros_like")
    return _finish(np.zeros(a._data.shape, dtype=dt), requires_grad, device)


def ones_like(a: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    dt = _like(a, dtype, "ones_like")
    return _finish(np.ones(a._data.shape, dtype=dt), requires_grad, device)


def empty_like(a: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    _check_input(a, "empty_like")
    return zeros_like(a, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(a: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    dt = _like(a, dtype, "full_like")
    return _finish(np.full(a._data.shape, fill_value, dtype=dt), requires_grad, device)


def _number(v: Any) -> Any:
    """A Python number from a number, numpy scalar or one-element tensor (else ``v`` itself)."""
    if isinstance(v, Tensor) and v._data.size == 1:
        return v._data.reshape(()).item()
    return v.item() if isinstance(v, np.generic) else v


def _is_int(v: Any) -> bool:
    if isinstance(v, Tensor):
        return v._data.size == 1 and v._data.dtype.kind in "iu"
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


_ARANGE = "(Number start, Number end, Number step = 1, *, gradlab.dtype dtype = None, ...)"


def arange(start: Any = None, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to (not including) ``end``, sized as PyTorch sizes it."""
    given = tuple(v for v in (start, end) if v is not None) + ((step,) if step != 1 else ())
    if start is None:
        raise _bad_args("arange", given, _ARANGE)
    if end is None:
        start, end = 0, start
    vals = [_number(v) for v in (start, end, step)]
    if not all(isinstance(v, (int, float)) for v in vals):
        if len(given) == 1:
            raise TypeError(f"arange(): argument 'end' (position 1) must be Number, not "
                            f"{type(given[0]).__name__}")
        raise _bad_args("arange", given, _ARANGE)
    xs, xe, xst = (float(v) for v in vals)
    if not (xst > 0 or xst < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(xs) and math.isfinite(xe)):
        raise RuntimeError(f"unsupported range: {xs:g} -> {xe:g}")
    if not ((xst > 0 and xe >= xs) or (xst < 0 and xe <= xs)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is not None:
        dt = _dtype.to_dtype(dtype, "arange")
    elif all(isinstance(v, int) for v in vals):
        dt = _dtype.int64
    else:
        dt = _dtype.get_default_dtype()
    if dt is _dtype.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if dt.is_floating_point:
        n = math.ceil((xe - xs) / xst)
        out = vals[0] + vals[2] * np.arange(n, dtype=np.float64)
    else:  # start, end and step are first cast to the integer type (truncated), as in C++
        a, b, c = (int(v) for v in vals)
        if dt is _dtype.int64:
            if c == 0:
                raise ValueError("step must be nonzero")
            num = b - a + c - ((c > 0) - (c < 0))
            n = abs(num) // abs(c) * (1 if (num >= 0) == (c > 0) else -1)
        else:
            n = math.ceil((xe - xs) / xst)
        out = a + c * np.arange(n, dtype=np.int64)
    return _finish(out.astype(dt.np), requires_grad, device)


_LINSPACE = "(Number start, Number end, int steps, *, gradlab.dtype dtype = None, ...)"


def linspace(start: Any, end: Any, steps: Any = None, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, computed as PyTorch does."""
    if not _is_int(steps):
        given = (start, end) + ((steps,) if steps is not None else ())
        raise _bad_args("linspace", given, _LINSPACE)
    start, end, steps = _number(start), _number(end), _number(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype, "linspace") if dtype is not None else _dtype.get_default_dtype()
    if dt is _dtype.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if steps == 1:
        return _finish(np.full(1, start, dtype=dt.np), requires_grad, device)
    idx = np.arange(steps)
    if not dt.is_floating_point:  # integer ends, a double step, each value truncated
        s, e = int(start), int(end)
        step = (e - s) / (steps - 1) if steps > 1 else 0.0
        out = np.where(idx < steps // 2, s + step * idx, e - step * (steps - 1 - idx))
        return _finish(out.astype(dt.np), requires_grad, device)
    # PyTorch's kernel fills the first half as start + step * i and the second half as
    # end - step * (steps - 1 - i), each with one fused multiply-add: a wider type emulates it.
    wide = np.float64 if dt.itemsize < 8 else np.longdouble
    s, e = dt.np.type(start), dt.np.type(end)
    step = wide(dt.np.type((e - s) / dt.np.type(steps - 1)))
    low = step * idx.astype(wide) + wide(s)
    high = wide(e) - step * (steps - 1 - idx).astype(wide)
    out = np.where(idx < steps // 2, low, high)
    return _finish(out.astype(dt.np), requires_grad, device)


def logspace(start: Any, end: Any, steps: Any = None, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``, each power taken in double as PyTorch does."""
    if not _is_int(steps):
        given = (start, end) + ((steps,) if steps is not None else ())
        raise _bad_args("logspace", given, _LINSPACE.replace("steps,", "steps, float base = 10.0,"))
    start, end, steps = _number(start), _number(end), _number(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype, "logspace") if dtype is not None else _dtype.get_default_dtype()
    if steps == 1:
        return _finish(np.full(1, float(base) ** float(start)).astype(dt.np), requires_grad, device)
    floating = dt.is_floating_point
    s, e = (float(dt.np.type(v)) if floating else int(v) for v in (start, end))
    b = np.float64(base) if floating else np.float64(np.float32(base))  # ints: a float base
    step, idx = (e - s) / (steps - 1), np.arange(steps)
    powers = np.where(idx < steps // 2, s + step * idx, e - step * (steps - 1 - idx))
    out = np.array([math.pow(b, p) for p in powers.tolist()])  # C's pow: numpy's differs by an ulp
    return _finish(out.astype(dt.np), requires_grad, device)


def eye(n: Any, m: Any = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` by ``m``, square by default)."""
    for name, v in (("n", n), ("m", m)):
        if not _is_int(v) and not (name == "m" and v is None):
            if m is None:
                raise TypeError(f"eye(): argument 'n' (position 1) must be int, not "
                                f"{type(v).__name__}")
            raise _bad_args("eye", (n, m), "(int n, int m, *, gradlab.dtype dtype = None, ...)")
    n, m = _number(n), _number(n if m is None else m)
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, m, dtype=_dt(dtype, "eye")), requires_grad, device)



class _LegacyTensorType(type):
    """``gradlab.FloatTensor`` and friends, PyTorch's old typed constructors: ``FloatTensor(2, 3)``
    (zeros here, uninitialised in PyTorch), ``FloatTensor([1, 2])``; ``isinstance`` checks the
    dtype."""

    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor) and other.dtype is cls._dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        dt = cls._dtype
        if args and all(_is_int(a) for a in args):
            return zeros(*args, dtype=dt)
        if not args:
            return empty(0, dtype=dt)
        (data,) = args
        if isinstance(data, Tensor):
            if data.dtype is not dt:
                def options(d: _dtype.dtype) -> str:
                    return (f"TensorOptions(dtype={_C_NAMES[d.name]}, device=cpu, "
                            "layout=Strided, requires_grad=false (default), pinned_memory=false "
                            "(default), memory_format=(nullopt))")
                raise TypeError(f"expected {options(dt)} (got {options(data.dtype)})")
            return data.detach()
        return tensor(data, dtype=dt)


for _name, _legacy_dt in (("FloatTensor", _dtype.float32), ("DoubleTensor", _dtype.float64),
                   ("HalfTensor", _dtype.float16), ("LongTensor", _dtype.int64),
                   ("IntTensor", _dtype.int32), ("ShortTensor", _dtype.int16),
                   ("CharTensor", _dtype.int8), ("ByteTensor", _dtype.uint8),
                   ("BoolTensor", _dtype.bool)):
    globals()[_name] = _LegacyTensorType(_name, (), {"_dtype": _legacy_dt,
                                                     "__module__": "gradlab"})
