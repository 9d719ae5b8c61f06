"""The gradebook on disk: a journal written as each submission finishes, a CSV, a JSON.

``grades.jsonl`` (beside the CSV) gets one line per graded submission, flushed and synced at
once, so an interrupted run loses nothing and the next run skips every learner already in it.
The CSV (one row per learner: a column per question, the total, the status) grows with the
journal and is rewritten sorted at the end; ``--json`` writes everything, feedback included.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from .assignment import Assignment


class Gradebook:
    """Records of one assignment's grading, kept on disk as they arrive."""

    def __init__(self, csv_path: str | Path, assignment: Assignment,
                 json_path: str | Path | None = None, fresh: bool = False) -> None:
        self.csv_path = Path(csv_path)
        self.json_path = Path(json_path) if json_path else None
        self.journal = self.csv_path.with_suffix(".jsonl")
        self.assignment = assignment
        self.questions = list(assignment.questions)
        self.records: dict[str, dict] = {}
        if fresh:
            for path in (self.journal, self.csv_path):
                path.unlink(missing_ok=True)
        self._load()
        self._write_csv()

    def _load(self) -> None:
        if not self.journal.is_file():
            return
        data = self.journal.read_bytes()
        good = data[: data.rfind(b"\n") + 1]  # a line cut short by a kill is dropped
        for line in good.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("assignment") != self.assignment.name:
                raise ValueError(
                    f"{self.journal} holds grades of assignment {record.get('assignment')!r}, "
                    f"not {self.assignment.name!r}: choose another --out, or pass --fresh")
            self.records[record["learner"]] = record
        if len(good) != len(data):
            with open(self.journal, "r+b") as handle:
                handle.truncate(len(good))

    def graded(self) -> set[str]:
        """Learners already in the journal (a resumed run skips them)."""
        return set(self.records)

    def add(self, record: dict) -> None:
        """Append one submission's record to the journal and the CSV, durably."""
        self.records[record["learner"]] = record
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with open(self.journal, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with open(self.csv_path, "a", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerow(self._row(record))

    def _header(self) -> list[str]:
        return ["learner", *self.questions, "total", "status"]

    def _row(self, record: dict) -> list:
        questions = record.get("questions", {})
        points = [f"{questions.get(q, {}).get('points', 0):g}" for q in self.questions]
        return [spreadsheet_safe(record["learner"]), *points, f"{record.get('total', 0):g}",
                record["status"]]

    def _write_csv(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self._header())
        for learner in sorted(self.records):
            writer.writerow(self._row(self.records[learner]))
        _atomic_write(self.csv_path, buffer.getvalue())

    def finish(self) -> list[dict]:
        """Rewrite the CSV sorted by learner, write the JSON file; return the records."""
        self._write_csv()
        records = [self.records[learner] for learner in sorted(self.records)]
        if self.json_path is not None:
            document = {
                "assignment": self.assignment.name,
                "questions": {q: question.points
                              for q, question in self.assignment.questions.items()},
                "max_total": self.assignment.points,
                "submissions": records,
            }
            _atomic_write(self.json_path, json.dumps(document, indent=1, sort_keys=True) + "\n")
        return records


def spreadsheet_safe(text: str) -> str:
    """A learner id as a CSV cell no spreadsheet runs as a formula (``=HYPERLINK(...)``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _atomic_write(path: Path, text: str) -> None:
    """Write a new file beside ``path`` (created exclusively: never through a planted
    symlink) and move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
