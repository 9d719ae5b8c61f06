"""Attach the operations in ``gradlab.ops`` to ``Tensor`` as methods and Python operators.

PyTorch binds its operators the same way (generated bindings to one set of functions), so
``x.exp()``, ``gradlab.exp(x)`` and the ``grad_fn`` they record are one and the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.ops import (
    activation,
    arithmetic,
    comparison,
    creation,
    indexing,
    inplace,
    linalg,
    logexp,
    pointwise,
    rearrange,
    reduction,
    sampling,
    scan,
    shape,
    sorting,
    trig,
)
from gradlab.ops._util import Number
from gradlab.tensor import Tensor

AR, P, R, S, I, L, A = arithmetic, pointwise, reduction, shape, indexing, linalg, activation
LE, C, TR = logexp, comparison, trig


def _other(x: Any) -> Any:
    """Operands Python operators accept; ``NotImplemented`` lets Python raise its TypeError."""
    if isinstance(x, (Tensor, Number)):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    return NotImplemented


_OPERANDS = (Tensor, *Number)


def _binop(fn: Any, reflected: Any = None) -> tuple[Any, Any]:
    def forward(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            other = _other(other)
            if other is NotImplemented:
                return NotImplemented
        return fn(self, other)

    def backward(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            other = _other(other)
            if other is NotImplemented:
                return NotImplemented
        if isinstance(other, Tensor):
            return fn(other, self)
        return reflected(self, other) if reflected is not None else fn(self, other)

    return forward, backward


def _iop(fn: Any, ufunc: Any = None) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERANDS):
            other = _other(other)
            if other is NotImplemented:
                return NotImplemented
        if ufunc is not None:
            return inplace.binary_inplace(self, fn, ufunc, other)
        return inplace.apply_inplace(self, fn, other)

    return method


# The one table of operation names: name -> (function, where the name appears), with
#   m  a Tensor method          x.exp()
#   f  a top-level function     gradlab.exp(x)
#   i  an in-place method       x.exp_()   (the out-of-place function applied in place)
# Aliases are rows of their own.
OPS: dict[str, tuple[Callable[..., Any], str]] = {
    # arithmetic
    "add": (AR.add, "mfi"), "sub": (AR.sub, "mfi"), "subtract": (AR.sub, "mfi"),
    "mul": (AR.mul, "mfi"), "multiply": (AR.mul, "mfi"), "div": (AR.div, "mfi"),
    "divide": (AR.div, "mf"), "true_divide": (AR.div, "mf"), "pow": (AR.pow, "mfi"),
    "neg": (AR.neg, "mfi"), "negative": (AR.neg, "mf"), "reciprocal": (AR.reciprocal, "mfi"),
    "square": (AR.square, "mfi"), "floor_divide": (AR.floor_divide, "mf"),
    "remainder": (AR.remainder, "mf"), "fmod": (AR.fmod, "mfi"),
    # pointwise math
    "abs": (P.abs, "mfi"), "absolute": (P.abs, "m"), "exp": (LE.exp, "mfi"),
    "log": (LE.log, "mfi"), "log1p": (LE.log1p, "mfi"), "log2": (LE.log2, "mfi"),
    "log10": (LE.log10, "mfi"), "expm1": (LE.expm1, "mfi"), "exp2": (LE.exp2, "mfi"),
    "sqrt": (P.sqrt, "mfi"),
    "sin": (TR.sin, "mfi"), "cos": (TR.cos, "mfi"), "tan": (TR.tan, "mfi"),
    "asin": (TR.asin, "mfi"), "acos": (TR.acos, "mfi"), "atan": (TR.atan, "mfi"),
    "arcsin": (TR.asin, "mfi"), "arccos": (TR.acos, "mfi"), "arctan": (TR.atan, "mfi"),
    "sinh": (TR.sinh, "mfi"), "cosh": (TR.cosh, "mfi"), "atan2": (TR.atan2, "mfi"),
    "arctan2": (TR.atan2, "mfi"), "rsqrt": (TR.rsqrt, "mfi"), "tanh": (P.tanh, "mfi"),
    "sigmoid": (P.sigmoid, "mfi"), "relu": (P.relu, "mfi"), "clamp": (P.clamp, "mfi"),
    "clip": (P.clip, "mfi"), "maximum": (P.maximum, "mf"), "minimum": (P.minimum, "mf"),
    "sign": (P.sign, "mfi"), "sgn": (P.sgn, "mi"), "floor": (P.floor, "mfi"),
    "ceil": (P.ceil, "mfi"), "round": (P.round, "mfi"), "trunc": (P.trunc, "mfi"),
    # comparisons and tests
    "eq": (C.eq, "mf"), "ne": (C.ne, "mf"), "lt": (C.lt, "mf"), "le": (C.le, "mf"),
    "gt": (C.gt, "mf"), "ge": (C.ge, "mf"), "logical_not": (C.logical_not, "mf"),
    "isnan": (C.isnan, "mf"), "isinf": (C.isinf, "mf"), "isfinite": (C.isfinite, "mf"),
    "logical_and": (C.logical_and, "mf"), "logical_or": (C.logical_or, "mf"),
    "logical_xor": (C.logical_xor, "mf"), "isclose": (C.isclose, "mf"),
    "allclose": (C.allclose, "mf"), "equal": (C.equal, "mf"),
    # reductions
    "sum": (R.sum, "mf"), "mean": (R.mean, "mf"), "var": (R.var, "mf"), "std": (R.std, "mf"),
    "norm": (R.norm, "mf"), "max": (R.max, "mf"), "min": (R.min, "mf"),
    "amax": (R.amax, "mf"), "amin": (R.amin, "mf"), "argmax": (R.argmax, "mf"),
    "argmin": (R.argmin, "mf"), "all": (C.all, "mf"), "any": (C.any, "mf"),
    "softmax": (A.softmax, "mf"), "log_softmax": (A.log_softmax, "mf"),
    "logsumexp": (A.logsumexp, "mf"),
    # shapes
    "view": (S.view, "m"), "reshape": (S.reshape, "mf"), "flatten": (S.flatten, "mf"),
    "unflatten": (S.unflatten, "m"), "squeeze": (S.squeeze, "mf"),
    "unsqueeze": (S.unsqueeze, "mf"), "permute": (S.permute, "mf"),
    "transpose": (S.transpose, "mf"), "swapaxes": (S.transpose, "mf"),
    "swapdims": (S.transpose, "m"), "t": (S.t, "mf"), "expand": (S.expand, "m"),
    "expand_as": (S.expand_as, "m"), "broadcast_to": (S.broadcast_to, "mf"),
    "clone": (S.clone, "mf"), "contiguous": (S.contiguous, "m"), "to": (S.to, "m"),
    "type_as": (S.type_as, "m"), "view_as": (lambda a, o: S.view(a, o.shape), "m"),
    "reshape_as": (lambda a, o: S.reshape(a, o.shape), "m"),
    # indexing and joining
    "unbind": (I.unbind, "mf"), "split": (I.split, "mf"), "chunk": (I.chunk, "mf"),
    "nonzero": (I.nonzero, "mf"), "masked_fill": (I.masked_fill, "mfi"),
    "select": (I.select, "mf"), "narrow": (I.narrow, "mf"),
    # products
    "matmul": (L.matmul, "mf"), "mm": (L.mm, "mf"), "mv": (L.mv, "mf"), "dot": (L.dot, "mf"),
    "bmm": (L.bmm, "mf"), "trace": (L.trace, "mf"), "diag": (L.diag, "mf"),
    "det": (L.det, "mf"), "inverse": (L.inverse, "mf"),
    # scans, orderings, rearrangements and index-driven ops
    "cumsum": (scan.cumsum, "mf"), "cumprod": (scan.cumprod, "mf"), "prod": (scan.prod, "mf"),
    "flip": (scan.flip, "mf"), "roll": (rearrange.roll, "mf"),
    "tril": (rearrange.tril, "mfi"), "triu": (rearrange.triu, "mfi"),
    "repeat": (rearrange.repeat, "m"), "repeat_interleave": (rearrange.repeat_interleave, "mf"),
    "outer": (rearrange.outer, "mf"), "gather": (rearrange.gather, "mf"),
    "scatter": (rearrange.scatter, "mfi"), "scatter_add": (rearrange.scatter_add, "mfi"),
    "index_select": (rearrange.index_select, "mf"), "sort": (sorting.sort, "mf"),
    "argsort": (sorting.argsort, "mf"), "topk": (sorting.topk, "mf"),
    "median": (sorting.median, "mf"), "kthvalue": (sorting.kthvalue, "mf"),
    "mode": (sorting.mode, "mf"), "unique": (sorting.unique, "mf"),
    "count_nonzero": (C.count_nonzero, "mf"), "rsub": (AR.rsub, "f"),
    # in place only
    "zero_": (inplace.zero_, "m"), "fill_": (inplace.fill_, "m"), "copy_": (inplace.copy_, "m"),
    "uniform_": (sampling.uniform_, "m"), "normal_": (sampling.normal_, "m"),
    "bernoulli": (sampling.bernoulli, "mf"), "bernoulli_": (sampling.bernoulli_, "m"),
}

# Where a method words its errors unlike the function of the same name (PyTorch's parser
# lists a method's arguments without self): the method's own function.
METHOD_FORMS = {"clamp": P.clamp_method, "clip": P.clip_method}
METHODS = {name: METHOD_FORMS.get(name, fn) for name, (fn, kinds) in OPS.items() if "m" in kinds}
METHODS.update({name + "_": inplace.inplace(METHOD_FORMS.get(name, fn))
                for name, (fn, kinds) in OPS.items() if "i" in kinds})
FUNCTIONS = {name: fn for name, (fn, kinds) in OPS.items() if "f" in kinds}

OPERATORS = {
    "__add__": _binop(AR.add), "__sub__": _binop(AR.sub, AR.rsub), "__mul__": _binop(AR.mul),
    "__truediv__": _binop(AR.div, AR.rdiv), "__floordiv__": _binop(AR.floor_divide, AR.rfloordiv),
    "__mod__": _binop(AR.remainder, AR.rremainder),
    "__pow__": _binop(AR.pow, AR.rpow), "__and__": _binop(C.bitwise_and),
    "__or__": _binop(C.bitwise_or), "__xor__": _binop(C.bitwise_xor),
}


def _install() -> None:
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, (fwd, rev) in OPERATORS.items():
        setattr(Tensor, name, fwd)
        setattr(Tensor, name.replace("__", "__r", 1), rev)
    for name, fn, ufunc in (("__iadd__", AR.add, np.add), ("__isub__", AR.sub, np.subtract),
                            ("__imul__", AR.mul, np.multiply), ("__itruediv__", AR.div, None),
                            ("__ipow__", AR.pow, None)):
        setattr(Tensor, name, _iop(fn, ufunc))
    for name, fn in (("__eq__", C.eq), ("__ne__", C.ne), ("__lt__", C.lt), ("__le__", C.le),
                     ("__gt__", C.gt), ("__ge__", C.ge)):
        setattr(Tensor, name, _binop(fn)[0])
    Tensor.__matmul__ = lambda a, b: L.matmul(a, b) if isinstance(b, Tensor) else NotImplemented
    Tensor.__rmatmul__ = lambda a, b: L.matmul(Tensor._make(b), a) if isinstance(
        b, np.ndarray) else NotImplemented
    Tensor.__neg__ = AR.neg
    Tensor.__pos__ = lambda a: a
    Tensor.__abs__ = P.abs
    Tensor.__invert__ = C.invert
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
    Tensor.nbytes = property(lambda a: a._data.nbytes, doc="Bytes the elements take.")
    Tensor.itemsize = property(lambda a: a._data.itemsize, doc="Bytes one element takes.")
    Tensor.__array_wrap__ = _array_wrap
    Tensor.cpu = lambda a: a
    Tensor.cuda = _no_cuda
    Tensor.type = _type


def _converter(dt: _dtype.dtype) -> Any:
    def convert(self: Tensor, memory_format: Any = None) -> Tensor:
        return S.to(self, dt)

    convert.__doc__ = f"This tensor as {dt!r} (itself if it already is)."
    return convert


def _array_wrap(self: Tensor, array: np.ndarray, context: Any = None,
                return_scalar: bool = False) -> Tensor:
    """``np.exp(x)`` gives a tensor back, as in PyTorch (bools as uint8, as PyTorch has it)."""
    return Tensor._make(array.astype(np.uint8) if array.dtype == np.bool_ else array)


def _new(kind: str, a: Tensor, *args: Any, dtype: Any = None, **kw: Any) -> Tensor:
    return getattr(creation, kind)(*args, dtype=dtype or a.dtype, **kw)


def _no_cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    raise AssertionError("Torch not compiled with CUDA enabled\n"
                         "Hint: gradlab runs on the CPU; drop .cuda() / .to('cuda').")


def _type(self: Tensor, dtype: Any = None) -> Any:
    if dtype is None:
        return f"gradlab.{self.dtype._legacy}"
    return S.to(self, dtype)


_install()
