"""Answers as plain data: numbers, strings, lists, dicts and numeric arrays, never pickle.

``capture`` evaluates an answer (calling it on inputs when it is a function) and converts the
result with ``to_plain``; ``encode``/``decode`` carry plain data as JSON, arrays as ``.npy``.
The same code runs in the learner's kernel and in the grading sandbox, so this module imports
only numpy and binds what it uses at import time: later monkeypatching cannot reach it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

_float, _int, _bool, _str, _len, _type = float, int, bool, str, len, type
_isinstance, _callable, _getattr, _eval = isinstance, callable, getattr, eval
_list, _tuple, _dict, _any = list, tuple, dict, any
_ndarray, _generic, _asarray, _array = np.ndarray, np.generic, np.asarray, np.array
_save, _load = np.save, np.load
_b64encode, _b64decode = base64.b64encode, base64.b64decode

NUMERIC_KINDS = "biufc"
MAX_DEPTH = 32
MAX_ELEMENTS = 1_000_000  # numbers in one array answer (8 MB as float64)
MAX_ITEMS = 100_000  # list and dict items in one answer, all levels together
MAX_STRING = 100_000
MAX_MESSAGE = 2_000
MAX_ANSWER_BYTES = 16 << 20  # one answer as sent by the sandbox (JSON, arrays as base64 .npy)


class Unsupported(TypeError):
    """The answer is not data the grader can compare (an object, a generator, ...)."""


@dataclass(frozen=True)
class TensorValue:
    """A tensor answer as data: its values and whether it required grad."""

    array: np.ndarray
    requires_grad: bool = False


def _numeric(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in NUMERIC_KINDS:
        raise Unsupported(f"an array of dtype {array.dtype} cannot be graded (numbers only)")
    if array.size > MAX_ELEMENTS:
        raise Unsupported(f"an array of {array.size} elements is too large to grade")
    return array


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert an answer to plain data; raise :class:`Unsupported` for anything else."""
    return _plain(value, depth, [MAX_ITEMS])


def _count(items: int, budget: list) -> None:
    budget[0] -= items
    if budget[0] < 0:
        raise Unsupported(f"the answer holds more than {MAX_ITEMS} items: too large to grade")


def _plain(value: Any, depth: int, budget: list) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported("the answer is nested too deeply")
    kind = _type(value)
    if value is None or kind in (bool, int, str):
        if kind is str and _len(value) > MAX_STRING:
            raise Unsupported("the answer is a string too long to grade")
        return value
    if kind is float:
        return value
    if _isinstance(value, _generic):
        if value.dtype.kind not in NUMERIC_KINDS:
            return _fail(value)
        return _plain(value.item(), depth + 1, budget)
    if _isinstance(value, _ndarray):
        return _numeric(_array(value.view(_ndarray), copy=True))
    if _callable(_getattr(value, "detach", None)) and _hasattr(value, ("numpy", "__array__")):
        data = value.detach()
        numpy_method = _getattr(data, "numpy", None)
        array = numpy_method() if _callable(numpy_method) else _asarray(data)
        array = _numeric(_array(_asarray(array).view(_ndarray), copy=True))
        return TensorValue(array, _bool(_getattr(value, "requires_grad", False) is True))
    if _isinstance(value, bool):
        return _bool(value)
    if _isinstance(value, int):
        return int.__index__(value)
    if _isinstance(value, float):
        return float.__float__(value)
    if _isinstance(value, (_list, _tuple)):
        _count(_len(value), budget)
        return [_plain(item, depth + 1, budget) for item in _list(value)]
    if _isinstance(value, _dict):
        _count(_len(value), budget)
        items = _list(value.items())
        if [key for key, _ in items if _type(key) is not str]:
            raise Unsupported("only dicts with string keys can be graded")
        return {key: _plain(item, depth + 1, budget) for key, item in items}
    if _hasattr(value, ("__array__",)):
        return _numeric(_array(_asarray(value).view(_ndarray), copy=True))
    return _fail(value)


def _hasattr(value: Any, names: tuple[str, ...]) -> bool:
    return _any(_getattr(value, name, None) is not None for name in names)


def _fail(value: Any) -> Any:
    raise Unsupported(f"an answer of type {_type(value).__name__} cannot be graded")


def encode(plain: Any) -> Any:
    """Plain data to JSON-ready data: arrays become base64 ``.npy``, non-finite floats tagged."""
    if plain is None or _type(plain) in (bool, int, str):
        return plain
    if _type(plain) is float:
        return plain if plain == plain and plain not in (float("inf"), float("-inf")) else {
            "$float": repr(plain)}
    if _isinstance(plain, TensorValue):
        return {"$tensor": _npy(plain.array), "requires_grad": plain.requires_grad}
    if _isinstance(plain, _ndarray):
        return {"$npy": _npy(plain)}
    if _isinstance(plain, (_list, _tuple)):
        return [encode(item) for item in plain]
    if _isinstance(plain, _dict):
        return {"$dict": [[key, encode(item)] for key, item in plain.items()]}
    raise Unsupported(f"cannot encode {_type(plain).__name__}")


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    _save(buffer, _numeric(array), allow_pickle=False)
    return _b64encode(buffer.getvalue()).decode("ascii")


class Invalid(ValueError):
    """Data that did not come from :func:`encode` (or was tampered with)."""


def decode(data: Any, depth: int = 0) -> Any:
    """JSON data back to plain data, checking every type; never unpickles."""
    if depth > MAX_DEPTH + 2:
        raise Invalid("nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item, depth + 1) for item in data]
    if type(data) is not dict:
        raise Invalid(f"unexpected {type(data).__name__}")
    if set(data) == {"$float"} and data["$float"] in ("nan", "inf", "-inf"):
        return float(data["$float"])
    if set(data) == {"$npy"}:
        return _array_from(data["$npy"])
    if set(data) == {"$tensor", "requires_grad"} and type(data["requires_grad"]) is bool:
        return TensorValue(_array_from(data["$tensor"]), data["requires_grad"])
    if set(data) == {"$dict"} and type(data["$dict"]) is list:
        pairs = data["$dict"]
        if not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
            raise Invalid("malformed dict")
        return {key: decode(item, depth + 1) for key, item in pairs}
    raise Invalid(f"unexpected keys {sorted(data)[:5]}")


def _array_from(text: Any) -> np.ndarray:
    """Read a ``.npy`` payload: the header is checked against the data before anything is
    allocated, so a forged shape cannot make the grader reserve terabytes."""
    if type(text) is not str:
        raise Invalid("array data is not text")
    try:
        raw = base64.b64decode(text, validate=True)
        stream = io.BytesIO(raw)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, binascii.Error, SyntaxError) as error:
        raise Invalid(f"not a numeric .npy array: {error}") from None
    if type(shape) is not tuple or not all(type(n) is int and n >= 0 for n in shape):
        raise Invalid("not a numeric .npy array: a malformed shape")
    count = math.prod(shape)
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or count > MAX_ELEMENTS:
        raise Invalid("not a numeric .npy array of a gradable size")
    if len(raw) - stream.tell() != count * dtype.itemsize:
        raise Invalid("the .npy data does not match its header")
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell())
    return array.reshape(shape, order="F" if fortran else "C").copy()


def describe(error: BaseException) -> dict:
    """An exception as data: its type name and (shortened) message."""
    try:
        message = _str(error)
    except Exception:  # a hostile __str__
        message = "<message unavailable>"
    return {"type": _type(error).__name__, "message": message[:MAX_MESSAGE]}


def materialize(plain: Any) -> Any:
    """Turn decoded inputs into call arguments: tensors become gradlab tensors when possible."""
    if _isinstance(plain, TensorValue):
        try:
            # lazy: the sandbox loads this file by path, with the standard library and numpy
            # only (runner.py); gradlab, which the learner's code may have broken, comes last
            import gradlab

            return gradlab.tensor(plain.array.copy(), requires_grad=plain.requires_grad)
        except (ImportError, AttributeError):
            return plain.array.copy()
    if _isinstance(plain, _ndarray):
        return plain.copy()
    if _isinstance(plain, _list):
        return [materialize(item) for item in plain]
    if _isinstance(plain, _dict):
        return {key: materialize(item) for key, item in plain.items()}
    return plain


def capture(expr: str, namespace: dict, calls: list | None = None, prepared: bool = False) -> dict:
    """Evaluate ``expr`` in ``namespace`` and return ``{"value"}``, ``{"calls"}`` or ``{"error"}``.

    With ``calls``, the answer must be a function: it is called once per argument tuple.
    ``prepared`` says the arguments are already Python objects (the learner's own kernel);
    otherwise they are decoded plain data and are materialized afresh for every call.
    """
    try:
        value = _eval(expr, namespace)
    except (Exception, SystemExit) as error:
        return {"error": describe(error)}
    if calls is None:
        try:
            return {"value": to_plain(value)}
        except (Exception, SystemExit) as error:
            return {"error": describe(error)}
    if not _callable(value):
        return {"error": {"type": "TypeError",
                          "message": f"{expr} should be a function, not {_type(value).__name__}"}}
    results = []
    for args in calls:
        try:
            arguments = _copy_args(args) if prepared else [materialize(a) for a in args]
            results.append({"value": to_plain(value(*arguments))})
        except (Exception, SystemExit) as error:
            results.append({"error": describe(error)})
    return {"calls": results}


def _copy_args(args: tuple) -> list:
    try:
        return [copy.deepcopy(arg) for arg in args]
    except Exception:
        return _list(args)
