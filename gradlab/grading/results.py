"""A submission's record: per-question points, status and feedback, the total, the status.

Everything is decided here, in the grader's process, from plain data: the answers the sandbox
sent and the references the grader holds. A check without a literal ``expect=`` (and every
random input of a function check) is graded against the solution's own value, its reference:
the solution runs once per batch, in the same sandbox as the submissions; if it cannot pass
through its own checks, that is an authoring error.
"""

from __future__ import annotations

from typing import Any

import nbformat

from .._traceback import in_learner_names
from .answers import decode, describe
from .assignment import Assignment
from .diagnose import diagnose_error
from .execute import Execution, execute
from .inputs import expected_of
from .limits import Limits
from .plan import Plan, make_plan
from .score import ERROR, FAILED, CheckResult, score_check, score_question, unwritten_message
from .spec import MISSING, AuthoringError
from .watch import CRASHED, TIMED_OUT

GRADED, INVALID = "graded", "invalid notebook"


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
    if segment in execution.failed:  # a replay skipped some of its cells: not its value
        failure = execution.failed[segment]
        raise AuthoringError(f"{where}: the solution notebook {failure[0]} ({failure[1]})")
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


def _cell_notes(plan: Plan, execution: Execution, segment: int | None) -> tuple[bool | None, list]:
    """Whether the question's own cells were attempted, and a note on the first error."""
    if segment is None:
        return None, []
    errors = [execution.errors[i] for i in plan.segment_cells(segment)
              if i in execution.errors and plan.cells[i]["kind"] == "code"]
    if any(error["type"] == "NotImplementedError" for error in errors):
        return False, []
    if not errors:
        return None, []
    error = errors[0]
    note = f"your code raised {error['type']}: {error['message'][:300]}"
    hint = diagnose_error(error)
    return True, [note + (f" (hint: {hint})" if hint else "")]


def _score_safely(assignment: Assignment, plan: Plan, index: int, captured: dict | None
                  ) -> CheckResult:
    """Score one check; an answer the comparison chokes on (an int too large for a float, ...)
    fails that check only, never the submission."""
    spec = assignment.checks[index]
    try:
        written = plan.literals.get(index)
        if written and captured and "error" not in captured:
            if written["missing"]:
                return CheckResult(spec.question, FAILED, 0.0, spec.points,
                                   unwritten_message(written["missing"]), hidden=spec.hidden)
            if spec.expr in written["values"]:  # the grader's own reading of the source
                captured = {"value": decode(written["values"][spec.expr])}
        return score_check(spec, expected_value(assignment, index), captured,
                           plan.inputs.get(index))
    except (ArithmeticError, ValueError, TypeError, MemoryError, RecursionError) as error:
        detail = describe(error)
        return CheckResult(spec.question, ERROR, 0.0, spec.points,
                           f"the answer could not be compared: {detail['type']}: "
                           f"{detail['message'][:200]}", hidden=spec.hidden)


def score_submission(assignment: Assignment, plan: Plan, execution: Execution) -> dict:
    """Per-question results, total and status of one executed submission."""
    questions, problems = {}, []
    for qid, question in assignment.questions.items():
        segment = plan.segment_of(qid)
        failure = execution.failed.get(segment)
        if failure is None and execution.fatal:
            failure = (CRASHED, execution.fatal)
        attempted, notes = _cell_notes(plan, execution, segment)
        results = []
        for index in question.checks:
            spec, captured = assignment.checks[index], execution.answers.get(index)
            if captured is None and failure:
                results.append(CheckResult(qid, failure[0], 0.0, spec.points, failure[1],
                                           hidden=spec.hidden))
            else:
                results.append(_score_safely(assignment, plan, index, captured))
        scored = score_question(qid, results, attempted, failure[0] if failure else None, notes)
        scored.feedback = [in_learner_names(line, plan.alias) for line in scored.feedback]
        questions[qid] = scored.to_dict()
        if failure:
            problems.append((failure[0], f"{qid} {failure[0]}: {failure[1]}"))
    statuses = {kind for kind, _ in problems}
    status = CRASHED if CRASHED in statuses else TIMED_OUT if TIMED_OUT in statuses else GRADED
    return {"status": status, "reason": "; ".join(text for _, text in problems),
            "questions": questions,
            "total": round(sum(q["points"] for q in questions.values()), 6),
            "max_total": assignment.points, "isolation": execution.isolation,
            "runs": execution.runs}


def invalid_record(assignment: Assignment, reason: str, status: str = INVALID) -> dict:
    """The record of a submission that could not be run: zero points, the reason."""
    questions = {qid: {"question": qid, "status": status, "points": 0.0,
                       "max_points": question.points, "feedback": [reason]}
                 for qid, question in assignment.questions.items()}
    return {"status": status, "reason": reason, "questions": questions, "total": 0.0,
            "max_total": assignment.points, "isolation": "", "runs": 0}


def grader_error(assignment: Assignment, error: BaseException) -> dict:
    """The record when the grader itself failed on a submission (reported, never raised)."""
    detail = describe(error)
    return invalid_record(assignment, f"grader error: {detail['type']}: {detail['message']}",
                          CRASHED)
