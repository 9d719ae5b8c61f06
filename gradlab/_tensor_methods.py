"""Attach the operations in ``gradlab.ops`` to ``Tensor`` as methods and Python operators.

PyTorch binds its operators the same way (generated bindings to one set of functions), so
``x.exp()``, ``gradlab.exp(x)`` and the ``grad_fn`` they record are one and the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.ops import (
    activation,
    arithmetic,
    indexing,
    inplace,
    linalg,
    logexp,
    pointwise,
    rearrange,
    reduction,
    scan,
    shape,
    sorting,
)
from gradlab.ops._util import Number
from gradlab.tensor import Tensor

AR, P, R, S, I, L, A = arithmetic, pointwise, reduction, shape, indexing, linalg, activation
LE = logexp


def _other(x: Any) -> Any:
    """Operands Python operators accept; ``NotImplemented`` lets Python raise its TypeError."""
    if isinstance(x, (Tensor, Number)):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    return NotImplemented


def _binop(fn: Any, reflected: Any = None) -> tuple[Any, Any]:
    def forward(self: Tensor, other: Any) -> Any:
        other = _other(other)
        return NotImplemented if other is NotImplemented else fn(self, other)

    def backward(self: Tensor, other: Any) -> Any:
        other = _other(other)
        if other is NotImplemented:
            return NotImplemented
        if isinstance(other, Tensor):
            return fn(other, self)
        return reflected(self, other) if reflected is not None else fn(self, other)

    return forward, backward


def _iop(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        other = _other(other)
        return NotImplemented if other is NotImplemented else inplace.apply_inplace(self, fn, other)

    return method


METHODS = {
    # arithmetic and math
    "add": AR.add, "sub": AR.sub, "subtract": AR.sub, "mul": AR.mul, "multiply": AR.mul,
    "div": AR.div, "divide": AR.div, "true_divide": AR.div, "pow": AR.pow, "neg": AR.neg,
    "negative": AR.neg, "reciprocal": AR.reciprocal, "abs": P.abs, "absolute": P.abs,
    "exp": P.exp, "log": P.log, "log1p": LE.log1p, "log2": LE.log2, "log10": LE.log10,
    "expm1": LE.expm1, "sqrt": P.sqrt, "sin": P.sin, "cos": P.cos, "tanh": P.tanh,
    "sigmoid": P.sigmoid, "relu": P.relu, "square": AR.square, "clamp": P.clamp, "clip": P.clamp,
    "maximum": P.maximum, "minimum": P.minimum, "sign": P.sign, "sgn": P.sgn, "floor": P.floor,
    "ceil": P.ceil, "round": P.round, "trunc": P.trunc, "floor_divide": AR.floor_divide,
    "remainder": AR.remainder, "eq": P.eq, "ne": P.ne, "lt": P.lt, "le": P.le, "gt": P.gt,
    "ge": P.ge, "logical_not": P.logical_not, "isnan": P.isnan, "isinf": P.isinf,
    "isfinite": P.isfinite,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "norm": R.norm, "max": R.max,
    "min": R.min, "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "all": R.all, "any": R.any,
    "softmax": A.softmax, "log_softmax": A.log_softmax, "logsumexp": A.logsumexp,
    # shapes
    "view": S.view, "reshape": S.reshape, "flatten": S.flatten, "unflatten": S.unflatten,
    "squeeze": S.squeeze, "unsqueeze": S.unsqueeze, "permute": S.permute,
    "transpose": S.transpose, "swapaxes": S.transpose, "swapdims": S.transpose, "t": S.t,
    "expand": S.expand, "expand_as": S.expand_as, "broadcast_to": S.broadcast_to,
    "clone": S.clone, "contiguous": S.contiguous, "to": S.to, "type_as": S.type_as,
    "view_as": lambda a, o: S.view(a, o.shape), "reshape_as": lambda a, o: S.reshape(a, o.shape),
    # indexing and joining
    "unbind": I.unbind, "split": I.split, "chunk": I.chunk, "nonzero": I.nonzero,
    "masked_fill": I.masked_fill, "select": I.select,
    # products
    "matmul": L.matmul, "mm": L.mm, "mv": L.mv, "dot": L.dot, "bmm": L.bmm,
    # scans, orderings, rearrangements and index-driven ops
    "cumsum": scan.cumsum, "cumprod": scan.cumprod, "prod": scan.prod, "flip": scan.flip,
    "roll": rearrange.roll, "tril": rearrange.tril, "triu": rearrange.triu,
    "repeat": rearrange.repeat, "repeat_interleave": rearrange.repeat_interleave,
    "outer": rearrange.outer, "gather": rearrange.gather, "scatter": rearrange.scatter,
    "scatter_add": rearrange.scatter_add, "index_select": rearrange.index_select,
    "sort": sorting.sort, "argsort": sorting.argsort, "topk": sorting.topk,
    "median": sorting.median,
    # in place
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_,
    "uniform_": inplace.uniform_, "normal_": inplace.normal_,
}
for _name in ("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "sin", "cos",
              "tanh", "sigmoid", "relu", "square", "clamp", "reciprocal", "floor", "ceil", "round",
              "log1p", "log2", "log10", "expm1",
              "trunc", "sign", "sgn"):
    METHODS[_name + "_"] = inplace.inplace(METHODS[_name])
METHODS["subtract_"], METHODS["multiply_"], METHODS["clip_"] = (
    METHODS["sub_"], METHODS["mul_"], METHODS["clamp_"])
METHODS["masked_fill_"] = inplace.inplace(I.masked_fill)
for _name in ("scatter", "scatter_add", "tril", "triu"):
    METHODS[_name + "_"] = inplace.inplace(METHODS[_name])

OPERATORS = {
    "__add__": _binop(AR.add), "__sub__": _binop(AR.sub, AR.rsub), "__mul__": _binop(AR.mul),
    "__truediv__": _binop(AR.div, AR.rdiv), "__floordiv__": _binop(AR.floor_divide, AR.rfloordiv),
    "__mod__": _binop(AR.remainder, AR.rremainder),
    "__pow__": _binop(AR.pow, AR.rpow), "__and__": _binop(P.bitwise_and),
    "__or__": _binop(P.bitwise_or), "__xor__": _binop(P.bitwise_xor),
}


def _install() -> None:
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, (fwd, rev) in OPERATORS.items():
        setattr(Tensor, name, fwd)
        setattr(Tensor, name.replace("__", "__r", 1), rev)
    for name, fn in (("__iadd__", AR.add), ("__isub__", AR.sub), ("__imul__", AR.mul),
                     ("__itruediv__", AR.div), ("__ipow__", AR.pow)):
        setattr(Tensor, name, _iop(fn))
    for name, fn in (("__eq__", P.eq), ("__ne__", P.ne), ("__lt__", P.lt), ("__le__", P.le),
                     ("__gt__", P.gt), ("__ge__", P.ge)):
        setattr(Tensor, name, _binop(fn)[0])
    Tensor.__matmul__ = lambda a, b: L.matmul(a, b) if isinstance(b, Tensor) else NotImplemented
    Tensor.__rmatmul__ = lambda a, b: L.matmul(Tensor._make(b), a) if isinstance(
        b, np.ndarray) else NotImplemented
    Tensor.__neg__ = AR.neg
    Tensor.__pos__ = lambda a: a
    Tensor.__abs__ = P.abs
    Tensor.__invert__ = lambda a: P.logical_not(a) if a._data.dtype == np.bool_ else Tensor._make(
        np.invert(a._data))
    Tensor.__getitem__ = I.getitem
    Tensor.__setitem__ = inplace.setitem
    Tensor.T = property(S.T, doc="The dimensions reversed (the transpose of a matrix).")
    Tensor.mT = property(S.mT, doc="The last two dimensions swapped.")
    Tensor.H = Tensor.T
    for name, dt in (("float", _dtype.float32), ("double", _dtype.float64),
                     ("half", _dtype.float16), ("long", _dtype.int64), ("int", _dtype.int32),
                     ("short", _dtype.int16), ("bool", _dtype.bool), ("byte", _dtype.uint8)):
        setattr(Tensor, name, _converter(dt))
    Tensor.new_tensor = lambda a, data, **kw: _new("tensor", a, data, **kw)
    Tensor.new_zeros = lambda a, *size, **kw: _new("zeros", a, *size, **kw)
    Tensor.new_ones = lambda a, *size, **kw: _new("ones", a, *size, **kw)
    Tensor.new_empty = lambda a, *size, **kw: _new("empty", a, *size, **kw)
    Tensor.new_full = lambda a, size, value, **kw: _new("full", a, size, value, **kw)
    Tensor.cpu = lambda a: a
    Tensor.cuda = _no_cuda
    Tensor.type = _type


def _converter(dt: _dtype.dtype) -> Any:
    def convert(self: Tensor, memory_format: Any = None) -> Tensor:
        return S.to(self, dt)

    convert.__doc__ = f"This tensor as {dt!r} (itself if it already is)."
    return convert


def _new(kind: str, a: Tensor, *args: Any, dtype: Any = None, **kw: Any) -> Tensor:
    from gradlab.ops import creation

    return getattr(creation, kind)(*args, dtype=dtype or a.dtype, **kw)


def _no_cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise AssertionError("Torch not compiled with CUDA enabled\n"
                         "Hint: gradlab runs on the CPU; drop .cuda() / .to('cuda').")


def _type(self: Tensor, dtype: Any = None) -> Any:
    if dtype is None:
        return f"gradlab.{self.dtype._legacy}"
    return S.to(self, dtype)


_install()
