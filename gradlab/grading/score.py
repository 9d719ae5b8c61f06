"""Turn a captured answer and its expected value into points, a status and feedback.

Used twice: by ``check()`` in the learner's kernel and by the batch grader in its own process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .compare import compare, short
from .diagnose import Context, diagnose_error
from .inputs import literal_to_plain
from .spec import MISSING, CheckSpec

PASSED, FAILED, PARTIAL = "passed", "failed", "partial"
NOT_ATTEMPTED, ERROR, PENDING = "not attempted", "error", "pending"
TIMED_OUT, CRASHED = "timed out", "crashed"
UNATTEMPTED_ERRORS = ("NameError", "NotImplementedError")


@dataclass
class CheckResult:
    """The verdict of one check."""

    question: str
    status: str
    points: float
    max_points: float
    message: str = ""
    hint: str | None = None
    hidden: bool = False


@dataclass
class QuestionResult:
    """A question's points (sum of its checks), status and feedback lines."""

    question: str
    status: str
    points: float
    max_points: float
    feedback: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form for the gradebook."""
        return asdict(self)


def unwritten_message(names: list[str]) -> str:
    """Why a ``literal=`` check fails: the prediction was computed, not written out."""
    listed = ", ".join(f"`{name}`" for name in names)
    return (f"write {listed} out as values (your prediction, such as [1.0, 2.0]), not computed "
            "from what the notebook ran")


def context_of(spec: CheckSpec) -> Context:
    """The diagnosis context of a check (its expression, lr, start point and tolerances)."""
    start = None
    if spec.start is not MISSING:
        try:
            start = np.asarray(_array_of(literal_to_plain(spec.start)), dtype=float)
        except (TypeError, ValueError):
            start = None
    what = f"the result of `{spec.expr}(...)`" if spec.is_function else f"`{spec.expr}`"
    return Context(expr=spec.expr, lr=spec.lr, start=start, rtol=spec.rtol, atol=spec.atol,
                   what=what, factors=list(spec.factors), hidden=spec.hidden)


def _array_of(value: Any) -> Any:
    return getattr(value, "array", value)


def _mistakes(spec: CheckSpec) -> list:
    pairs = []
    for item in spec.mistakes or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append((literal_to_plain(item[0]), item[1]))
    return pairs


def _error_result(spec: CheckSpec, error: dict, prefix: str = "") -> CheckResult:
    status = NOT_ATTEMPTED if error.get("type") in UNATTEMPTED_ERRORS else ERROR
    text = f"{prefix}{error.get('type')}: {error.get('message')}"
    if status == NOT_ATTEMPTED:
        text = "not attempted yet" + (f" ({error.get('message')})"
                                      if error.get("type") == "NameError" else "")
    return CheckResult(spec.question, status, 0.0, spec.points, text, diagnose_error(error),
                       spec.hidden)


def score_check(spec: CheckSpec, expected: Any, captured: dict | None,
                inputs: list | None = None) -> CheckResult:
    """Score one check; ``expected`` is plain data (a list per call for function checks)."""
    if not captured:
        return CheckResult(spec.question, NOT_ATTEMPTED, 0.0, spec.points, "not run",
                           hidden=spec.hidden)
    if "error" in captured:
        return _error_result(spec, captured["error"])
    if spec.is_function:
        return _score_calls(spec, expected, captured.get("calls"), inputs or [])
    if expected is MISSING:
        return CheckResult(spec.question, PENDING, 0.0, spec.points,
                           "answer recorded: it is compared with the reference when graded",
                           hidden=spec.hidden)
    outcome = compare(expected, captured.get("value"), context_of(spec), _mistakes(spec))
    status = PASSED if outcome.passed else FAILED
    return CheckResult(spec.question, status, spec.points if outcome.passed else 0.0,
                       spec.points, "correct" if outcome.passed else outcome.message,
                       outcome.hint, spec.hidden)


def _score_calls(spec: CheckSpec, expected: Any, results: Any, inputs: list) -> CheckResult:
    if not isinstance(results, list):
        return CheckResult(spec.question, ERROR, 0.0, spec.points, "no results", None,
                           spec.hidden)
    explicit = len(spec.calls or [])
    expected = list(expected) if isinstance(expected, list) else [MISSING] * len(results)
    if len(results) != len(expected) or (inputs and len(results) != len(inputs)):
        return CheckResult(spec.question, ERROR, 0.0, spec.points,
                           f"{len(results)} results for {len(expected)} calls: every call "
                           "must report its result", None, spec.hidden)
    checked = 0
    for number, result in enumerate(results):
        want = expected[number] if number < len(expected) else MISSING
        shown = _call_text(spec, inputs, number, explicit)
        if "error" in result:
            return _error_result(spec, result["error"], prefix=f"{shown} raised ")
        if want is MISSING:
            continue
        checked += 1
        outcome = compare(want, result.get("value"), context_of(spec), _mistakes(spec))
        if not outcome.passed:
            return CheckResult(spec.question, FAILED, 0.0, spec.points,
                               f"{shown}: {outcome.message}", outcome.hint, spec.hidden)
    if checked == 0:
        return CheckResult(spec.question, PENDING, 0.0, spec.points,
                           f"{len(results)} calls recorded: compared with the reference "
                           "when graded",
                           hidden=spec.hidden)
    later = len(results) - checked
    note = f"correct on {checked} inputs"
    if later:
        note += f" ({later} more checked when graded)"
    return CheckResult(spec.question, PASSED, spec.points, spec.points, note, None, spec.hidden)


def _call_text(spec: CheckSpec, inputs: list, number: int, explicit: int) -> str:
    if number >= explicit:
        return f"{spec.expr}(...) on random input {number - explicit + 1}"
    if spec.hidden or number >= len(inputs):
        return f"{spec.expr}(...) on hidden input {number + 1}"
    arguments = ", ".join(short(arg, 40) for arg in inputs[number])
    return f"{spec.expr}({arguments})"


def score_question(question: str, results: list[CheckResult], attempted: bool | None = None,
                   failure: str | None = None, notes: list[str] | tuple = ()) -> QuestionResult:
    """Add up a question's checks.

    ``attempted`` is False when the learner's cells still raise NotImplementedError, True when
    they ran (or raised another error), None when unknown; ``failure`` is "timed out" or
    "crashed" when the question's cells killed the kernel or ran out of time.
    """
    points = sum(result.points for result in results)
    total = sum(result.max_points for result in results)
    feedback = list(notes)
    for result in results:
        label = "hidden check" if result.hidden else "check"
        line = f"{label}: {result.message}" if result.status != PASSED else f"{label}: passed"
        if result.hint:
            line += f" (hint: {result.hint})"
        feedback.append(line)
    statuses = {result.status for result in results}
    if failure:
        status = failure
    elif statuses <= {PASSED}:
        status = PASSED
    elif statuses <= {PASSED, PENDING}:
        status = PENDING
    elif PASSED in statuses:
        status = PARTIAL
    elif attempted is False or (attempted is None and statuses <= {NOT_ATTEMPTED}):
        status = NOT_ATTEMPTED
    else:
        status = FAILED
    if status == NOT_ATTEMPTED:
        feedback = ["not attempted yet"]
    return QuestionResult(question, status, points, total, feedback)
