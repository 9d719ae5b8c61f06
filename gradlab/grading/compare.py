"""Compare a learner's answer with the expected one, both plain data, and say what differs.

Feedback never prints the expected value, nor anything it could be worked out from: it says
what the learner's answer is, where a shape or a structure differs, and (through
``diagnose``) which known mistake the answer looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .answers import TensorValue
from .diagnose import Context, as_array, diagnose_none, diagnose_shape, diagnose_values


@dataclass
class Outcome:
    """The verdict of one comparison: passed or not, what differs, and a hint if one fits."""

    passed: bool
    message: str = ""
    hint: str | None = None


def short(value: Any, limit: int = 160) -> str:
    """A one-line rendering of a plain value for feedback."""
    if isinstance(value, TensorValue):
        value = value.array
    if isinstance(value, np.ndarray) and value.ndim == 0:
        text = repr(value.item())
    elif isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=12, separator=", ")
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, TensorValue):
        return "a tensor"
    if isinstance(value, np.ndarray):
        return "an array"
    return {dict: "a dict", list: "a list", str: "a string", bool: "a bool"}.get(
        type(value), type(value).__name__)


def compare(expected: Any, actual: Any, context: Context | None = None,
            mistakes: list | tuple = ()) -> Outcome:
    """Compare plain values with the check's tolerances; a known mistake gets its message."""
    context = context or Context()
    outcome = _compare(expected, actual, context)
    if not outcome.passed:
        for wrong, message in mistakes:
            if _compare(wrong, actual, context).passed:
                return Outcome(False, outcome.message, str(message))
    return outcome


def _compare(expected: Any, actual: Any, context: Context) -> Outcome:
    if expected is None:
        if actual is None:
            return Outcome(True)
        return Outcome(False, f"got {short(actual)}: not the expected value")  # never "None"
    if actual is None:
        return Outcome(False, "got None", diagnose_none(context.expr))
    want = as_array(expected)
    if want is not None:
        return _compare_numbers(expected, want, actual, context)
    if isinstance(expected, dict):
        return _compare_dicts(expected, actual, context)
    if isinstance(expected, list):
        return _compare_lists(expected, actual, context)
    if type(actual) is type(expected) and actual == expected:
        return Outcome(True)
    if type(actual) is not type(expected):
        return Outcome(False, f"got {_kind(actual)}, {short(actual)}: expected {_kind(expected)}")
    return Outcome(False, f"got {short(actual)}: not the expected value")


def _compare_numbers(expected: Any, want: np.ndarray, actual: Any, context: Context) -> Outcome:
    got = as_array(actual)
    if got is None:
        return Outcome(False, f"expected numbers, got {_kind(actual)}: {short(actual)}")
    if type(expected) in (int, float) and got.size == 1:
        got = got.reshape(())
    if got.shape != want.shape:
        return Outcome(False, f"shape {got.shape}, expected {want.shape}",
                       diagnose_shape(want, got))
    if np.iscomplexobj(got) or np.iscomplexobj(want):
        close = np.allclose(got, want, rtol=context.rtol, atol=context.atol)
    else:
        close = np.allclose(got.astype(float), want.astype(float), rtol=context.rtol,
                            atol=context.atol, equal_nan=True)
    if close:
        return Outcome(True)
    hint = diagnose_values(want.astype(float), got.astype(float), context) if not (
        np.iscomplexobj(got) or np.iscomplexobj(want)) else None
    return Outcome(False, f"got {short(got)}: not the expected value", hint)


def _compare_dicts(expected: dict, actual: Any, context: Context) -> Outcome:
    if not isinstance(actual, dict):
        return Outcome(False, f"expected a dict, got {_kind(actual)}")
    if set(actual) != set(expected):
        missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
        return Outcome(False, f"keys differ: missing {missing}, unexpected {extra}")
    for key in expected:
        outcome = _compare(expected[key], actual[key], context)
        if not outcome.passed:
            return Outcome(False, f"[{key!r}]: {outcome.message}", outcome.hint)
    return Outcome(True)


def _compare_lists(expected: list, actual: Any, context: Context) -> Outcome:
    if not isinstance(actual, list):
        return Outcome(False, f"expected a list of {len(expected)}, got {_kind(actual)}")
    if len(actual) != len(expected):
        return Outcome(False, f"expected {len(expected)} items, got {len(actual)}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        outcome = _compare(want, got, context)
        if not outcome.passed:
            return Outcome(False, f"item {index}: {outcome.message}", outcome.hint)
    return Outcome(True)
