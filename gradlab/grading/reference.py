"""Reference answers: what the solution notebook itself produces for each check.

A check without a literal ``expect=`` (and every random input of a function check) is graded
against the solution's own value. The solution runs once per batch, in the same sandbox as
the submissions; if it cannot pass through its own checks, that is an authoring error.
"""

from __future__ import annotations

from typing import Any

import nbformat

from .assignment import Assignment
from .execute import execute
from .inputs import expected_of
from .limits import Limits
from .plan import make_plan
from .spec import MISSING, AuthoringError


def compute_references(assignment: Assignment, limits: Limits | None = None) -> dict[int, Any]:
    """Run the solution when some check needs it; store and return ``{check: value}``."""
    if assignment.references is not None:
        return assignment.references
    references: dict[int, Any] = {}
    if assignment.needs_reference_run():
        plan = make_plan(assignment, assignment.notebook)
        files = {"solution.ipynb": nbformat.writes(assignment.notebook).encode()}
        execution = execute(plan, limits or Limits(), files)
        for index, spec in enumerate(assignment.checks):
            if spec.expect is not MISSING and not spec.random:
                continue
            references[index] = _reference(spec, execution, plan.segment_of(spec.question), index)
    assignment.references = references
    return references


def _reference(spec: Any, execution: Any, segment: int | None, index: int) -> Any:
    where = f"{spec.question}, check {spec.expr!r}"
    captured = execution.answers.get(index)
    if captured is None:
        failure = execution.failed.get(segment, (None, execution.fatal or "it never ran"))
        raise AuthoringError(f"{where}: the solution notebook did not get there ({failure[1]})")
    if "error" in captured:
        error = captured["error"]
        raise AuthoringError(f"{where}: the solution raised {error['type']}: {error['message']}")
    if not spec.is_function:
        return captured["value"]
    values = []
    for number, result in enumerate(captured["calls"]):
        if "error" in result:
            error = result["error"]
            raise AuthoringError(f"{where}: the solution's call {number + 1} raised "
                                 f"{error['type']}: {error['message']}")
        values.append(result["value"])
    return values


def expected_value(assignment: Assignment, index: int) -> Any:
    """What check ``index`` compares with: its literal ``expect``, else the solution's value."""
    spec = assignment.checks[index]
    references = assignment.references or {}
    if not spec.is_function:
        return expected_of(spec) if spec.expect is not MISSING else references.get(index, MISSING)
    explicit, total = len(spec.calls), len(spec.calls) + spec.random
    solved = list(references.get(index) or [MISSING] * total)
    literal = list(expected_of(spec)) if spec.expect is not MISSING else solved[:explicit]
    return literal + solved[explicit:total]
