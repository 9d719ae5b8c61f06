"""Name the common autograd mistakes from their numeric signature or their error message.

Each rule looks at the expected and the actual values (arrays of numbers, never tensors) and
returns one sentence for the learner, or ``None``. Register your own with
:func:`register_diagnosis`; they run before the built-in rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .answers import TensorValue

CUSTOM_RULES: list[Callable] = []


@dataclass
class Context:
    """What a rule may know besides the two values: the checked expression and check options."""

    expr: str = ""
    lr: float | None = None
    start: np.ndarray | None = None
    rtol: float = 1e-4
    atol: float = 1e-6
    what: str = ""
    factors: list = field(default_factory=list)
    hidden: bool = False
    extra: dict = field(default_factory=dict)


def register_diagnosis(rule: Callable[[np.ndarray, np.ndarray, Context], str | None]) -> Callable:
    """Add a rule ``rule(expected, actual, context) -> message or None`` (usable as decorator)."""
    CUSTOM_RULES.append(rule)
    return rule


def _close(a: float, b: float, rel: float = 2e-3) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b))


def constant_ratio(expected: np.ndarray, actual: np.ndarray) -> float | None:
    """The factor ``r`` with ``actual == r * expected`` everywhere, if there is one."""
    expected, actual = expected.astype(float).ravel(), actual.astype(float).ravel()
    if not (np.all(np.isfinite(expected)) and np.all(np.isfinite(actual))):
        return None
    scale = np.max(np.abs(expected), initial=0.0)
    if scale == 0:
        return None
    mask = np.abs(expected) > 1e-9 * scale
    ratios = actual[mask] / expected[mask]
    ratio = float(np.median(ratios))
    if ratio == 0 or not np.allclose(ratios, ratio, rtol=2e-3, atol=0):
        return None
    if not np.allclose(actual[~mask], 0, atol=1e-6 * abs(ratio) * scale):
        return None
    return ratio


GRADIENT = re.compile(r"grad(?!_fn)")


def known_factors(context: Context) -> list[tuple[float, str]]:
    """The ratios (answer / expected) that are known mistakes of this check, with their words.

    Declared with ``factors=``, or implied by what is checked: an update step (``start=``),
    a gradient (``.grad`` in the expression), a learning rate (``lr=``). The words name the
    mistake's cause, never the factor: a factor the learner could divide by would give the
    expected value away, and any other ratio gets no hint at all.
    """
    what, lr, factors = context.what or f"`{context.expr}`", context.lr, list(context.factors)
    if context.start is not None:
        factors += [
            (-1.0, "your parameters moved the wrong way (gradient ascent): the update is "
                   "`w -= lr * w.grad`, not `w += lr * w.grad`"),
            (2.0, f"{what} moved as if its gradient had accumulated over several backward() "
                  "calls: `.grad` adds up; zero it before each backward()")]
    elif GRADIENT.search(context.expr):
        factors += [
            (2.0, f"{what} looks accumulated: gradients add up in `.grad` across backward() "
                  "calls; call `.grad.zero_()` or `optimizer.zero_grad()` before each backward"),
            (-1.0, f"{what} points the wrong way: check the order in `prediction - target`"),
            (0.5, f"{what} misses a factor of the chain rule: did you differentiate the "
                  "square in the loss?")]
    if lr:
        moved = "step" if context.start is not None else "value"
        factors += [
            (1 / lr, f"the {moved} of {what} is too large: did you forget to multiply by the "
                     "learning rate?"),
            (lr, f"the {moved} of {what} is too small: the gradient itself is not multiplied by "
                 "lr, only the update is")]
    return factors


def ratio_rule(expected: np.ndarray, actual: np.ndarray, context: Context) -> str | None:
    """An answer (or update step) off by a factor that is a known mistake of this check."""
    if context.start is not None and np.shape(context.start) == expected.shape:
        expected, actual = expected - context.start, actual - context.start
    ratio = constant_ratio(expected, actual)
    if ratio is None:
        return None
    for factor, message in known_factors(context):
        if _close(ratio, factor):
            return message
    return None


def partial_rule(expected: np.ndarray, actual: np.ndarray, context: Context) -> str | None:
    """Some entries right, some wrong: say how many and where the first wrong one is."""
    if expected.size < 2:
        return None
    good = np.isclose(actual, expected, rtol=context.rtol, atol=context.atol)
    if not good.any():
        return None
    if context.hidden:
        return "some of the values are right, others are not"
    index = tuple(int(i) for i in np.argwhere(~good)[0])
    return f"{int(good.sum())} of {good.size} values are right; the first wrong one is at {index}"


def diagnose_values(expected: np.ndarray, actual: np.ndarray, context: Context) -> str | None:
    """The first rule (custom ones first) that recognises the mistake, or ``None``."""
    for rule in [*CUSTOM_RULES, ratio_rule, partial_rule]:
        try:
            message = rule(expected, actual, context)
        except Exception:  # a diagnosis must never break a check
            message = None
        if message:
            return message
    return None


def diagnose_shape(expected: np.ndarray, actual: np.ndarray) -> str:
    """Explain a shape mismatch; broadcasting blow-ups get their own sentence."""
    got, want = actual.shape, expected.shape
    if actual.size == expected.size:
        if np.allclose(actual.reshape(want), expected, rtol=1e-4, atol=1e-6):
            return f"the values are right but the shape is {got}, not {want}: reshape or squeeze"
        return f"shape {got} instead of {want} (same number of values): a transpose or reshape?"
    try:
        broadcast = np.broadcast_shapes(want, got) == got and actual.size > expected.size
    except ValueError:
        broadcast = False
    if broadcast:
        return (f"shape {got} instead of {want}: broadcasting blew it up (a (3,) and a (3, 1) "
                "give (3, 3)); check the shapes you combine (view(-1, 1), squeeze) and reduce")
    if actual.ndim < expected.ndim:
        return f"shape {got} instead of {want}: did you reduce (sum/mean) over too many dims?"
    return f"shape {got} instead of {want}"


def diagnose_none(expr: str) -> str:
    """Why an answer is ``None``: for ``.grad``, the usual autograd reasons."""
    if "grad" in expr:
        return ("the gradient is None: backward() has not reached this tensor. Is it a leaf "
                "created with requires_grad=True? Not detached, not rebuilt (w = w - ...) or "
                "replaced through .data, and not a non-leaf (use .retain_grad())? Did you call "
                "loss.backward()?")
    return "got None: did the function forget to `return` its result?"


ERROR_HINTS = [
    ("leaf Variable that requires grad is being used in an in-place operation",
     "you updated a parameter in place while autograd records: put the update inside "
     "`with gradlab.no_grad():`"),
    ("backward through the graph a second time",
     "backward() frees the graph it walks, and this backward() reached a part already freed. "
     "Usually a tensor from an earlier step is carried into this one (a running value, a "
     "hidden state, last step's prediction): `.detach()` it where it is carried over, so each "
     "step has a graph of its own (or recompute the loss). Only if you mean to walk the same "
     "graph twice, pass retain_graph=True to the first backward(), as the message says"),
    ("does not require grad and does not have a grad_fn",
     "the loss is not connected to any tensor with requires_grad=True (created without it, "
     "detached, or computed under no_grad)"),
    ("grad can be implicitly created only for scalar outputs",
     "backward() needs a scalar: reduce with .sum() or .mean(), or pass gradient="),
    ("Can't call numpy() on Tensor that requires grad", "use `.detach().numpy()`"),
    ("could not be broadcast", "two shapes do not broadcast together: print the .shape of each"),
    ("must match the size of tensor", "two shapes do not broadcast together: print the .shape"),
]


def diagnose_error(error: dict) -> str | None:
    """A hint for an exception raised by the learner's code (type and message as data)."""
    message, kind = str(error.get("message", "")), error.get("type", "")
    for fragment, hint in ERROR_HINTS:
        if fragment in message:
            return hint
    if kind == "MemoryError":
        return "the code ran out of memory: is an array much larger than intended?"
    if kind == "RecursionError":
        return "infinite recursion: does a function call itself without a base case?"
    return None


def as_array(value: Any) -> np.ndarray | None:
    """A plain value as a numeric array, or ``None`` when it is not numeric data."""
    if isinstance(value, TensorValue):
        return value.array
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, (str, dict)):
        return None
    if isinstance(value, (int, float)):
        try:
            return np.asarray(value, dtype=float)
        except OverflowError:  # an int beyond float range: a number, but no expected one
            return np.asarray(np.inf if value > 0 else -np.inf)
    if isinstance(value, list):
        parts = [as_array(item) for item in value]
        if any(part is None for part in parts):
            return None
        try:
            stacked = np.stack(parts) if parts else np.zeros(0)
        except (ValueError, TypeError):
            return None
        # complex parts stay complex: a cast to float would drop their imaginary parts
        return stacked if np.iscomplexobj(stacked) else np.asarray(stacked, dtype=float)
    return None
