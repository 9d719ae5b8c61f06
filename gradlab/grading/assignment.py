"""A solution notebook read as an assignment: its questions, their cells and their checks.

The solution notebook is the single source: answer cells hold ``### BEGIN SOLUTION`` regions,
the check cell after them holds the ``check(...)`` calls of one question.

How the course names a notebook's three files is decided here too: a lesson ``NN_topic``, its
solution ``NN_solutions_topic`` and the learner's exercise ``NN_exercises_topic`` (the kind
comes first, so JupyterLab's short tab labels tell them apart). The assignment's id is the
lesson's name, the kind word left out. Names that do not follow the convention (an
instructor's own ``hw3.ipynb``) keep their name everywhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .spec import (
    MISSING,
    AuthoringError,
    CheckSpec,
    is_check_source,
    parse_checks,
    solution_regions,
)

ROLE_ANSWER, ROLE_CHECK, ROLE_OTHER = "answer", "check", "other"

# The kind word as a whole ``_``-separated part of a file's stem: "04_solutions_no_grad".
_KIND = re.compile(r"(?:(?<=_)|^)(solutions|exercises)(?=_|$)")


def assignment_id(stem: str) -> str:
    """The assignment a notebook belongs to: its stem without the kind word."""
    match = _KIND.search(stem)
    if match is None:
        return stem
    before, after = stem[: match.start()], stem[match.end() :]
    if before.endswith("_") and after.startswith("_"):
        after = after[1:]
    return (before + after).strip("_") or stem


def exercise_stem(solution_stem: str) -> str:
    """The exercise notebook's stem for a solution notebook's: ``solutions`` → ``exercises``."""
    return _KIND.sub("exercises", solution_stem, count=1)


@dataclass
class CellRole:
    """What a solution cell is for: its id, its role, and (for check cells) its checks."""

    index: int
    id: str
    role: str
    question: str | None = None
    checks: list[int] = field(default_factory=list)


@dataclass
class Question:
    """A graded question: its id, total points and the indices of its checks."""

    id: str
    checks: list[int] = field(default_factory=list)
    points: float = 0.0
    public_points: float = 0.0


@dataclass
class Assignment:
    """Everything the grader knows about one solution notebook."""

    name: str
    notebook: Any
    cells: list[CellRole]
    checks: list[CheckSpec]
    questions: dict[str, Question]
    references: dict[int, Any] | None = None

    @property
    def points(self) -> float:
        """The most a submission can score."""
        return sum(question.points for question in self.questions.values())

    def needs_reference_run(self) -> bool:
        """True when some check compares with the solution's own value (no literal ``expect``)."""
        return any(spec.expect is MISSING or spec.random for spec in self.checks)

    def role_of(self, cell_id: str) -> CellRole | None:
        """The role of the solution cell with this id, if there is one."""
        for cell in self.cells:
            if cell.id == cell_id:
                return cell
        return None


def cell_id(cell: Any, name: str, index: int) -> str:
    """The cell's own id, or a deterministic one for notebooks older than nbformat 4.5."""
    existing = cell.get("id")
    if existing:
        return existing
    return hashlib.sha1(f"{name}/{index}".encode()).hexdigest()[:12]


def source_of(cell: Any) -> str:
    """A cell's source as one string (nbformat allows a list of lines on disk)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def parse_assignment(notebook: Any, name: str) -> Assignment:
    """Read the questions, answer cells and checks of a solution notebook."""
    cells, checks, questions, pending = [], [], {}, []
    for index, cell in enumerate(notebook.cells):
        source, ident = source_of(cell), cell_id(cell, name, index)
        where = f"{name}, cell {index + 1}"
        if cell.cell_type != "code":
            cells.append(CellRole(index, ident, ROLE_OTHER))
            continue
        try:
            regions = solution_regions(source)
            check_cell = is_check_source(source)
            if regions and check_cell:
                raise AuthoringError("a cell cannot be both an answer and a check cell")
            specs = parse_checks(source) if check_cell else []
        except AuthoringError as error:
            raise AuthoringError(f"{where}: {error}") from None
        if regions:
            role = CellRole(index, ident, ROLE_ANSWER)
            pending.append(role)
            cells.append(role)
            continue
        if not specs:
            cells.append(CellRole(index, ident, ROLE_OTHER))
            continue
        qids = {spec.question for spec in specs}
        if len(qids) > 1:
            raise AuthoringError(f"{where}: one check cell checks one question, not {sorted(qids)}")
        qid = qids.pop()
        if qid in questions:
            raise AuthoringError(f"{where}: {qid} already has a check cell; put all its checks "
                                 "in one cell")
        question = questions.setdefault(qid, Question(qid))
        role = CellRole(index, ident, ROLE_CHECK, qid)
        for spec in specs:
            role.checks.append(len(checks))
            question.checks.append(len(checks))
            question.points += spec.points
            if not spec.hidden:
                question.public_points += spec.points
            checks.append(spec)
        for answer in pending:
            answer.question = qid
        pending = []
        cells.append(role)
    if pending:
        raise AuthoringError(
            f"{name}, cell {pending[-1].index + 1}: an answer cell needs a check cell after it"
        )
    return Assignment(name, notebook, cells, checks, questions)


def read_notebook(path: str | Path) -> Any:
    """Read a notebook file with nbformat (version 4), raising on anything malformed."""
    import nbformat  # lazy: ~0.1-1 s to import, and checks in a learner's kernel never need it

    return nbformat.read(str(path), as_version=4)


def load_assignment(path: str | Path) -> Assignment:
    """Read a solution notebook file as an assignment named after the file (kind word left out)."""
    path = Path(path)
    return parse_assignment(read_notebook(path), assignment_id(path.stem))


def find_solution(assignment: str, solutions: str | Path = "solutions") -> Path:
    """Resolve ``--assignment``: a notebook path, or a name (or unique prefix) in ``solutions``."""
    candidate = Path(assignment)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        return candidate
    folder = Path(solutions)
    if not folder.is_dir():
        raise FileNotFoundError(f"no solution notebook {assignment!r}: {folder} is not a folder")
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    names_of = {p: (p.stem, assignment_id(p.stem)) for p in notebooks}
    exact = [p for p in notebooks if assignment in names_of[p]]
    matches = exact or [p for p in notebooks
                        if any(name.startswith(assignment) for name in names_of[p])]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in (matches or notebooks)) or "none"
        raise FileNotFoundError(
            f"assignment {assignment!r} matches {len(matches)} notebooks in {folder} ({names})"
        )
    return matches[0]
