"""``gradlab assign``: turn solution notebooks into the learner's exercise notebooks.

Solution regions become ``# YOUR CODE HERE`` / ``raise NotImplementedError``; a check cell
becomes ``check("03.q1")``, its public checks go to the notebook's metadata (``checkdata``)
and its hidden checks go nowhere; outputs go, cell ids and metadata stay stable: the same
solutions always give the same bytes, so a test can regenerate ``exercises/`` and compare.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .assignment import (
    ROLE_ANSWER,
    ROLE_CHECK,
    assignment_id,
    exercise_stem,
    parse_assignment,
    read_notebook,
    source_of,
)
from .checkdata import pack, spec_to_data
from .spec import solution_regions

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_STUB = "YOUR ANSWER HERE"
VOLATILE_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled",
                     "jp-MarkdownHeadingCollapsed")


def clear_solutions(source: str, stub: tuple[str, ...] = CODE_STUB) -> str:
    """Replace every ``### BEGIN/END SOLUTION`` region by the stub, at the marker's indent."""
    lines = source.splitlines()
    for begin, end, indent in reversed(solution_regions(source)):
        lines[begin : end + 1] = [indent + text for text in stub]
    return "\n".join(lines)


def _clean_metadata(metadata: dict) -> dict:
    return {key: copy.deepcopy(value) for key, value in metadata.items()
            if key not in VOLATILE_METADATA}


def make_exercise(notebook: Any, name: str) -> Any:
    """Return the learner's notebook for a solution notebook (the input is left untouched)."""
    import nbformat  # lazy: ~0.1-1 s to import, and checks in a learner's kernel never need it

    assignment = parse_assignment(notebook, name)
    exercise = nbformat.v4.new_notebook()
    exercise.nbformat_minor = max(5, notebook.get("nbformat_minor", 5))
    exercise.metadata = _clean_metadata(notebook.get("metadata", {}))
    public = {qid: [spec_to_data(assignment.checks[i]) for i in question.checks
                    if not assignment.checks[i].hidden]
              for qid, question in assignment.questions.items()}
    public = {qid: checks for qid, checks in public.items() if checks}
    exercise.metadata["gradlab"] = {"assignment": name, "checks": pack(public)}
    for role, cell in zip(assignment.cells, notebook.cells):
        source = source_of(cell)
        new = nbformat.NotebookNode(
            cell_type=cell.cell_type, id=role.id, metadata=_clean_metadata(cell.get("metadata", {}))
        )
        if "attachments" in cell:
            new.attachments = copy.deepcopy(cell.attachments)
        if cell.cell_type == "code":
            new.outputs, new.execution_count = [], None
        if role.role == ROLE_ANSWER:
            source = clear_solutions(source)
            new.metadata["gradlab"] = {"role": "answer", "question": role.question}
            # The stub raises NotImplementedError; this tag lets JupyterLab's Run All (and nbclient)
            # go on to the check cells, which then say "not attempted yet".
            tags = list(new.metadata.get("tags", []))
            new.metadata["tags"] = tags + ["raises-exception"] * ("raises-exception" not in tags)
        elif role.role == ROLE_CHECK:
            if role.question not in public:
                continue  # only hidden checks: nothing for the learner to run
            source = f'check("{role.question}")'
            new.metadata.update(editable=False, deletable=False)
            new.metadata["gradlab"] = {"role": "check", "question": role.question}
        elif cell.cell_type == "markdown" and solution_regions(source):
            source = clear_solutions(source, (MARKDOWN_STUB,))
        new.source = source
        exercise.cells.append(new)
    nbformat.validate(exercise)
    return exercise


def exercise_text(solution_path: str | Path) -> str:
    """The exact text ``assign`` writes for one solution notebook."""
    import nbformat  # lazy: ~0.1-1 s to import, and checks in a learner's kernel never need it

    path = Path(solution_path)
    return nbformat.writes(make_exercise(read_notebook(path), assignment_id(path.stem)))


def _solution_paths(solutions_dir: Path) -> list[Path]:
    return sorted(p for p in solutions_dir.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def exercise_path(solution: Path, solutions_dir: Path, exercises_dir: Path) -> Path:
    """Where the exercise of ``solution`` goes: the same place under ``exercises_dir``, named
    ``NN_exercises_topic`` for a ``NN_solutions_topic`` (see ``names``)."""
    relative = solution.relative_to(solutions_dir)
    return exercises_dir / relative.with_name(exercise_stem(relative.stem) + relative.suffix)


def assign(solutions_dir: str | Path, exercises_dir: str | Path) -> list[Path]:
    """Write an exercise notebook for every solution notebook; return the files that changed."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions folder {solutions_dir} does not exist")
    changed = []
    for solution in _solution_paths(solutions_dir):
        target = exercise_path(solution, solutions_dir, exercises_dir)
        data = exercise_text(solution).encode("utf-8")
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            changed.append(target)
    return changed


def check_exercises(solutions_dir: str | Path, exercises_dir: str | Path) -> list[str]:
    """List how ``exercises_dir`` differs from what ``assign`` would write (empty: up to date)."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    problems, expected = [], set()
    for solution in _solution_paths(solutions_dir):
        target = exercise_path(solution, solutions_dir, exercises_dir)
        expected.add(target.relative_to(exercises_dir))
        if not target.is_file():
            problems.append(f"missing: {target}")
        elif target.read_bytes() != exercise_text(solution).encode("utf-8"):
            problems.append(f"out of date: {target}")
    if exercises_dir.is_dir():
        for extra in _solution_paths(exercises_dir):
            if extra.relative_to(exercises_dir) not in expected:
                problems.append(f"no solution for: {extra}")
    return problems
