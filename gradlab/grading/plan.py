"""Line a submission up with its assignment: the learner's cells, the solution's checks.

Check cells in the submission are recognised (by cell id, gradlab metadata or a ``check(...)``
call) and dropped, whatever the learner did to them; the trusted checks of each question are
inserted where its check cell was, else after its answer cell, else before the next
question's checks. Each insertion point closes a *segment*: the cells a question's timeout
covers. Cells after the last checks are not run at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .answers import encode
from .assignment import ROLE_ANSWER, ROLE_CHECK, Assignment, source_of
from .inputs import call_inputs, literal_to_plain
from .spec import NOT_LITERAL, check_cell_question, solution_regions, written_literals
from .submissions import InvalidNotebook

MAX_CHECK_CELL = 64 << 10  # a check cell is one line; a bigger cell is the learner's code
MAX_PARSED_CELL = 256 << 10  # cells read for written-out values (literal= checks)
MAX_CODE_CHARS = 16 << 20  # code a submission may send to its sandbox


@dataclass
class Plan:
    """The cells to run, and for each segment the questions whose checks end it."""

    cells: list[dict]
    segments: dict[int, list[str]] = field(default_factory=dict)
    inputs: dict[int, list] = field(default_factory=dict)
    literals: dict[int, dict] = field(default_factory=dict)
    alias: str = "gradlab"  # what the learner's code calls gradlab (``import gradlab as torch``)

    def segment_cells(self, segment: int) -> list[int]:
        """Indices of the cells in a segment."""
        return [i for i, cell in enumerate(self.cells) if cell["segment"] == segment]

    def segment_of(self, question: str) -> int | None:
        """The segment whose end checks this question."""
        for segment, questions in self.segments.items():
            if question in questions:
                return segment
        return None


def _gradlab_metadata(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("gradlab", {})
    return meta if isinstance(meta, dict) else {}


def _check_question(cell: Any, assignment: Assignment) -> str | None:
    """The question of a submission check cell, or ``None`` when it is not one."""
    meta = _gradlab_metadata(cell)
    if meta.get("role") == "check" and meta.get("question") in assignment.questions:
        return meta["question"]
    role = assignment.role_of(cell.get("id") or "")
    if role is not None and role.role == ROLE_CHECK:
        return role.question
    source = source_of(cell)
    if len(source) > MAX_CHECK_CELL:
        return None
    question = check_cell_question(source)
    if question is None:
        return None  # no check call, or mixed with the learner's own code: the cell is theirs
    return question if question in assignment.questions else ""  # unknown: dropped all the same


def _answer_question(cell: Any, assignment: Assignment) -> str | None:
    meta = _gradlab_metadata(cell)
    if meta.get("role") == "answer" and meta.get("question") in assignment.questions:
        return meta["question"]
    role = assignment.role_of(cell.get("id") or "")
    return role.question if role is not None and role.role == ROLE_ANSWER else None


def given_lines(assignment: Assignment, question: str) -> str | None:
    """The lines the exercise gives above the learner's code in a question's answer cell
    (``params = np.array([w, b])``): the solution's lines above its first solution region,
    when that region is not indented (else they open a block, such as a ``def``)."""
    for role in assignment.cells:
        if role.role == ROLE_ANSWER and role.question == question:
            source = source_of(assignment.notebook.cells[role.index])
            regions = solution_regions(source)
            if regions and not regions[0][2] and regions[0][0] > 0:
                return "\n".join(source.splitlines()[: regions[0][0]])
    return None


def _split_given(source: str, given: str | None) -> list[str]:
    """An answer cell as [its given lines, the rest] when it starts with them unchanged, so
    that a crash in the learner's part replays the given lines; else the cell as it is."""
    if given and source.startswith(given + "\n") and source[len(given) + 1:].strip():
        return [given, source[len(given) + 1:]]
    return [source]


def layout(assignment: Assignment, submission: Any) -> dict:
    """The learner's side of a plan, from a (validated) submission notebook: their code cells,
    the position of each question's checks, and the values written out for ``literal=`` checks.

    Everything that parses learner text happens here (``planner.py`` runs it in a limited
    process); the result is plain JSON data. Cells larger than a check cell can be are never
    parsed as one, and only cells up to ``MAX_PARSED_CELL`` are read for written-out values.

    An answer cell that starts with the lines the exercise gives is run as two cells, the
    given lines, then the rest (skipped if the given lines raised, as in one cell): when
    the rest hangs or crashes, the replay still runs the given lines for later questions.
    """
    code: list[str] = []
    continued: set[int] = set()
    anchors: dict[str, int] = {}
    after_answer: dict[str, int] = {}
    total = 0
    for cell in submission.cells:
        if cell.get("cell_type") != "code":
            continue
        question = _check_question(cell, assignment)
        if question is not None:
            if question and question not in anchors:
                anchors[question] = len(code)
            continue
        source = source_of(cell)
        total += len(source)
        if total > MAX_CODE_CHARS:
            raise InvalidNotebook(f"the notebook holds more than {MAX_CODE_CHARS >> 20} million "
                                  "characters of code")
        answered = _answer_question(cell, assignment)
        parts = _split_given(source, given_lines(assignment, answered) if answered else None)
        continued.update(range(len(code) + 1, len(code) + len(parts)))
        code += parts
        if answered:
            after_answer[answered] = len(code)
    order = list(assignment.questions)
    points: dict[str, int] = {}
    for question in order:
        if question in anchors:
            points[question] = anchors[question]
        elif question in after_answer:
            points[question] = after_answer[question]
    for number, question in enumerate(order):
        if question not in points:
            later = [points[q] for q in order[number + 1:] if q in points]
            points[question] = min(later) if later else len(code)
    literals = {}
    for question, position in points.items():
        for check in assignment.questions[question].checks:
            names = assignment.checks[check].literal
            if names:
                readable = [text for text in code[:position] if len(text) <= MAX_PARSED_CELL]
                literals[str(check)] = _literals(readable, names)
    return {"code": code, "points": points, "literals": literals,
            "continued": sorted(continued), "alias": gradlab_alias(code)}


_IMPORT = re.compile(r"^[ \t]*import[ \t]+gradlab(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?[ \t]*(?:#.*)?$",
                     re.MULTILINE)


def gradlab_alias(sources: list[str]) -> str:
    """The name the learner's code imports gradlab as: ``torch`` first if it is one of them
    (as ``_traceback.learner_alias`` decides in a kernel), else the first, else gradlab."""
    names = [match[1] or "gradlab" for text in sources if "gradlab" in text
             for match in _IMPORT.finditer(text)]
    return next((name for name in ("torch", "gradlab") if name in names), names[0] if names
                else "gradlab")


def make_plan(assignment: Assignment, submission: Any) -> Plan:
    """Build the run plan of a (validated, trusted or already limited) submission notebook."""
    return assemble(assignment, layout(assignment, submission))


def _literals(sources: list[str], names: list[str]) -> dict:
    """The values the learner wrote out for ``literal=`` names (read from the source, never
    run), and the names they computed instead."""
    found = written_literals(sources, names)
    return {"missing": [name for name in names if found.get(name, NOT_LITERAL) is NOT_LITERAL],
            "values": {name: encode(literal_to_plain(value)) for name, value in found.items()
                       if value is not NOT_LITERAL}}


def assemble(assignment: Assignment, layout: dict) -> Plan:
    """The plan from a layout: the learner's cells with the trusted captures in between."""
    code, points, literals = layout["code"], layout["points"], layout["literals"]
    continued = set(layout.get("continued", ()))
    plan, segment = Plan([]), 0
    alias = layout.get("alias")
    if isinstance(alias, str) and alias.isidentifier() and len(alias) <= 64:
        plan.alias = alias
    by_position: dict[int, list[str]] = {}
    for question in assignment.questions:
        by_position.setdefault(points[question], []).append(question)
    for position in range(len(code) + 1):
        for question in by_position.get(position, []):
            captures = []
            for check in assignment.questions[question].checks:
                spec = assignment.checks[check]
                inputs = call_inputs(spec) if spec.is_function else None
                plan.inputs[check] = inputs
                captures.append({"check": check, "expr": spec.expr,
                                 "calls": None if inputs is None else encode(inputs),
                                 "ncalls": None if inputs is None else len(inputs)})
                if spec.literal:
                    plan.literals[check] = literals.get(str(check)) or {
                        "missing": list(spec.literal), "values": {}}
                    captures[-1]["bind"] = plan.literals[check]["values"]
            plan.cells.append({"kind": "capture", "segment": segment, "captures": captures,
                               "question": question})
            plan.segments.setdefault(segment, []).append(question)
        if by_position.get(position):
            segment += 1
        if position < len(code):
            plan.cells.append({"kind": "code", "segment": segment, "source": code[position]})
            if position in continued:
                plan.cells[-1]["continues"] = True
    plan.cells = [cell for cell in plan.cells if cell["segment"] in plan.segments]
    return plan
