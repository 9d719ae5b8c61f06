"""Data types and PyTorch's type-promotion rules.

A ``dtype`` wraps a numpy dtype and prints as ``gradlab.float32``. Promotion follows PyTorch,
not numpy: an integer tensor times ``1.5`` is float32 (numpy would say float64), a Python float
never upcasts a float32 tensor, and a 0-d tensor only counts when it is of a higher category.
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "half", "float", "double", "short", "int", "long", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "to_dtype",
]


class dtype:
    """A tensor element type, e.g. ``gradlab.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_legacy")

    def __init__(self, name: str, np_dtype: np.dtype, legacy: str) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._legacy = legacy  # PyTorch's legacy type name, used in error messages

    @property
    def is_complex(self) -> builtins.bool:
        return False

    def to_real(self) -> dtype:
        return self

    def __repr__(self) -> str:
        return f"gradlab.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = half = dtype("float16", np.float16, "HalfTensor")
float32 = float = dtype("float32", np.float32, "FloatTensor")
float64 = double = dtype("float64", np.float64, "DoubleTensor")
uint8 = dtype("uint8", np.uint8, "ByteTensor")
int8 = dtype("int8", np.int8, "CharTensor")
int16 = short = dtype("int16", np.int16, "ShortTensor")
int32 = int = dtype("int32", np.int32, "IntTensor")
int64 = long = dtype("int64", np.int64, "LongTensor")
bool = dtype("bool", np.bool_, "BoolTensor")

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
FROM_NUMPY: dict[np.dtype, dtype] = {d.np: d for d in ALL}

# Python types and strings are not accepted where PyTorch refuses them; builtins map as in torch.
_PY_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}

_default = float32


def get_default_dtype() -> dtype:
    """The floating dtype of ``gradlab.tensor([1.5])`` and of Python floats in mixed arithmetic."""
    return _default


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64), as ``torch.set_default_dtype``."""
    global _default
    if not isinstance(d, dtype):
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def to_dtype(d: object, where: str = "tensor") -> dtype:
    """Accept a gradlab dtype (or ``float``/``int``/``bool``, as PyTorch does); refuse the rest."""
    if isinstance(d, dtype):
        return d
    if d in _PY_TYPES:
        return _PY_TYPES[d]
    raise TypeError(
        f"{where}(): argument 'dtype' must be gradlab.dtype, not {type(d).__name__}\n"
        "Hint: write dtype=gradlab.float32 (or float64, int64, bool), not a string or numpy dtype."
    )


def _category(d: dtype) -> builtins.int:
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both convert to safely, as ``torch.promote_types``."""
    a, b = to_dtype(a, "promote_types"), to_dtype(b, "promote_types")
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return FROM_NUMPY[np.promote_types(a.np, b.np)]


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10's combine_categories: a lower-priority operand counts only if of a higher category.
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: object) -> dtype:
    """Result dtype of an operation on tensors and Python scalars, by PyTorch's rules.

    Tensors with dimensions outrank 0-d tensors, which outrank Python numbers, unless the
    lower-ranked operand is of a higher category (bool < integer < floating).
    """
    dim_t = zero_t = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:  # type: ignore[attr-defined]
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            if isinstance(x, builtins.bool):
                w = bool
            elif isinstance(x, builtins.int):
                w = int64
            else:
                w = _default
            wrapped = w if wrapped is None else promote_types(wrapped, w)
    return _combine(dim_t, _combine(zero_t, wrapped))  # type: ignore[return-value]


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """PyTorch's canCast: no float to integer, no number to bool."""
    return _category(from_) <= _category(to)


class finfo:
    """The limits of a floating dtype, as ``torch.finfo`` gives them (the default dtype's
    without an argument)."""

    def __init__(self, type: dtype | None = None) -> None:
        d = get_default_dtype() if type is None else type
        if not d.is_floating_point:
            raise TypeError("gradlab.finfo() requires a floating point input type. Use "
                            "gradlab.iinfo to handle 'gradlab.finfo'")
        info = np.finfo(d.np)
        self.bits, self.dtype = builtins.int(info.bits), d.name
        self.eps, self.max, self.min = (builtins.float(v) for v in (info.eps, info.max, info.min))
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = builtins.float(info.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype, as ``torch.iinfo`` gives them."""

    def __init__(self, type: dtype) -> None:
        if type.is_floating_point or type is bool:
            raise TypeError("gradlab.iinfo() requires an integer input type. Use gradlab.finfo "
                            "to handle 'gradlab.iinfo'")
        info = np.iinfo(type.np)
        self.bits, self.min, self.max = (builtins.int(v) for v in (info.bits, info.min, info.max))
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={builtins.float(self.min):g}, max={builtins.float(self.max):g}, " \
               f"dtype={self.dtype})"
