"""Literals of a check as plain data, and the inputs a function answer is called on.

A function check lists edge cases in ``calls=`` and asks for ``random=N`` more calls shaped
like ``calls[like]``; the random inputs are drawn here, in the grader, from a fixed seed, so
the solution and every submission are called on exactly the same arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .answers import TensorValue
from .spec import MISSING, CheckSpec, TensorLiteral


def literal_to_plain(value: Any) -> Any:
    """Convert a literal parsed from a check (or given in the notebook) to plain data."""
    if isinstance(value, TensorLiteral):
        return TensorValue(np.asarray(value.data), value.requires_grad)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [literal_to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: literal_to_plain(item) for key, item in value.items()}
    return value


def expected_of(spec: CheckSpec) -> Any:
    """The literal expectation of a check as plain data, or ``MISSING``."""
    return MISSING if spec.expect is MISSING else literal_to_plain(spec.expect)


def call_inputs(spec: CheckSpec) -> list[list[Any]]:
    """Every argument list a function check calls the answer with: edge cases, then random."""
    explicit = [[literal_to_plain(arg) for arg in args] for args in spec.calls or []]
    if not spec.random:
        return explicit
    rng = np.random.default_rng(spec.random_seed)
    template = explicit[spec.like]
    return explicit + [[_randomize(arg, rng) for arg in template] for _ in range(spec.random)]


def _randomize(arg: Any, rng: np.random.Generator) -> Any:
    if isinstance(arg, TensorValue):
        return TensorValue(_random_like(arg.array, rng), arg.requires_grad)
    if isinstance(arg, np.ndarray):
        return _random_like(arg, rng)
    if isinstance(arg, float):
        return float(rng.standard_normal())
    if isinstance(arg, list) and _all_numbers(arg) and _has_float(arg):
        try:
            return rng.standard_normal(np.shape(arg)).tolist()
        except ValueError:  # a ragged list keeps its values
            return arg
    return arg


def _random_like(array: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if array.dtype.kind != "f":
        return array
    return rng.standard_normal(array.shape).astype(array.dtype)


def _all_numbers(value: Any) -> bool:
    if isinstance(value, list):
        return all(_all_numbers(item) for item in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_float(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return isinstance(value, float)
