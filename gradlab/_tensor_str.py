"""Tensor printing: ``repr``/``str`` of a tensor, character for character as PyTorch prints it.

A port of PyTorch's ``torch/_tensor_str.py`` working on plain numpy arrays, so that the Tensor
only hands over its values, dtype name and autograd fields. The one difference from PyTorch's
text is the namespace: ``dtype=gradlab.float64`` where PyTorch prints ``dtype=torch.float64``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "format_tensor", "format_spec", "set_printoptions", "get_printoptions", "printoptions",
    "PRINT_OPTS",
]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``profile`` ("default", "short", "full") sets a base that the other arguments override;
    an argument left as None keeps its value, except ``sci_mode``: None means "choose
    automatically" and is always applied, exactly as in PyTorch.
    """
    if profile is not None and profile in _PROFILES:  # PyTorch ignores unknown profile names
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options; the previous ones come back on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one layout for every element (integer, fixed or scientific) and its width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating_dtype = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        values = values.reshape(-1)

        if not self.floating_dtype:
            for value in values.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return  # only zeros, nan and inf: nothing to measure
        finite_abs = np.abs(finite).astype(np.float64)
        fmin, fmax = float(finite_abs.min()), float(finite_abs.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = fmax / fmin > 1000.0 or fmax > 1.0e8 or fmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        for value in finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the "." that marks a float
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating_dtype:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized_data(data: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``edgeitems`` from each end of every dimension."""
    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if not edge:
        return data.reshape(-1)[:0]
    for axis, size in enumerate(data.shape):
        if size > 2 * edge:
            keep = np.r_[0:edge, size - edge:size]
            data = np.take(data, keep, axis=axis)
    return data


def _vector_str(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.width() + 2  # the element, a comma and a space
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems

    if summarize and not edge:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        items = ([formatter.format(v) for v in data[:edge].tolist()] + [" ..."]
                 + [formatter.format(v) for v in data[-edge:].tolist()])
    else:
        items = [formatter.format(v) for v in data.tolist()]

    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """The bracketed body; rows of a 3-d tensor are separated by one blank line, 4-d by two."""
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, formatter)

    size, edge = data.shape[0], PRINT_OPTS.edgeitems
    if summarize and size > 2 * edge:
        rows = ([_nested_str(data[i], indent + 1, summarize, formatter) for i in range(edge)]
                + ["..."]
                + [_nested_str(data[i], indent + 1, summarize, formatter)
                   for i in range(size - edge, size)])
    else:
        rows = [_nested_str(data[i], indent + 1, summarize, formatter) for i in range(size)]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(data: np.ndarray, indent: int) -> str:
    if data.size == 0:
        return "[]"
    summarize = data.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized_data(data) if summarize else data)
    return _nested_str(data, indent, summarize, formatter)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    """Append ``, dtype=...`` etc., moving a suffix to its own line when it would pass linewidth.

    Lines break where PyTorch breaks them: ``dtype=gradlab.int32`` is measured as PyTorch's
    ``dtype=torch.int32``, so the text differs from PyTorch's only by the namespace word.
    """
    parts = [tensor_str]
    # PyTorch's own estimate of the last line's length (it counts two characters too many).
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix.replace("=gradlab.", "=torch."))
        if last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
        else:
            parts.append(", " + suffix)
            last_line_len += suffix_len + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    data: np.ndarray,
    *,
    dtype: str,
    default_dtype: str = "float32",
    requires_grad: bool = False,
    grad_fn: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """The repr of a tensor holding ``data``, as PyTorch writes it.

    ``dtype`` is the gradlab dtype name ("float32", "int64", ...), shown as ``dtype=gradlab.x``
    unless it is the default float dtype, int64 or bool (or, for an empty tensor, unless it is
    the default float dtype). ``grad_fn`` is a node name such as "AddBackward0"; without one,
    ``requires_grad=True`` is shown for a leaf that requires grad. Continuation lines are
    indented by ``len(prefix)``.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes = []
    default_complex = "complex128" if default_dtype == "float64" else "complex64"
    if data.size == 0:
        if data.ndim != 1:  # the shape is shown unless it is (0,), as numpy does
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype != default_dtype:  # no element shows whether it is an integer or a float
            suffixes.append(f"dtype=gradlab.{dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype not in (default_dtype, default_complex, "int64", "bool"):
            suffixes.append(f"dtype=gradlab.{dtype}")
        body = _tensor_str(data, indent)

    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def format_spec(data: np.ndarray, spec: str, str_text: str, type_name: str = "Tensor") -> str:
    """What ``format(tensor, spec)`` (and so an f-string) gives, as ``Tensor.__format__``.

    A 0-d plain tensor formats its Python number: ``f"{t:.2f}"`` is ``"3.14"`` and ``f"{t}"``
    is ``"3.140000104904175"`` for a float32 0-d tensor. Any other tensor (and every subclass,
    such as ``Parameter``, named by ``type_name``) gives ``str_text`` (its ``str()``) for an empty
    spec and raises ``TypeError`` for any other spec, exactly as ``object.__format__`` does.
    """
    data = np.asarray(data)
    if data.ndim == 0 and type_name == "Tensor":
        return format(data.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string passed to {type_name}.__format__")
    return str_text
