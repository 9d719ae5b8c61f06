"""Find the submissions and read them: folders, per-learner folders or an LMS zip download.

Each submission is matched to a learner id from its file or folder name (Canvas, Moodle and
Blackboard download names are recognised). Reading is strict and explains itself: corrupt or
truncated JSON, a file that is not a notebook, or a notebook format other than 4 is reported
with the reason instead of stopping the batch.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .names import assignment_id

MAX_NOTEBOOK_BYTES = 64 << 20
MAX_CELLS = 10_000
MAX_ZIP_BYTES = 4 << 30
MAX_ZIP_FILES = 50_000
LMS_PATTERNS = (
    # Canvas: "smithjane_12345_67890_notebook.ipynb", late: "smithjane_LATE_12345_67890_..."
    re.compile(r"^(?P<learner>[^_]+)(?:_LATE)?_\d+_\d+_.+$"),
    # Moodle: one folder per learner, "Jane Smith_123456_assignsubmission_file_"
    re.compile(r"^(?P<learner>.+?)_\d+_assignsubmission_[a-z]+_?$"),
    # Blackboard: "Assignment 4_jsmith_attempt_2024-03-01-10-22-33_notebook.ipynb"
    re.compile(r"^.+?_(?P<learner>[^_]+)_attempt_\d{4}(?:-\d\d){5}(?:_.+)?$"),
)
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


class InvalidNotebook(ValueError):
    """A submission that cannot be graded, with the reason in words."""


@dataclass
class Submission:
    """One learner's notebook: where it is (or its bytes) and who it belongs to."""

    learner: str
    name: str
    path: str | None = None
    data: bytes | None = None
    problem: str | None = None

    def read_bytes(self) -> bytes:
        """The notebook file's bytes (from memory when sent to a remote worker)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise InvalidNotebook(self.problem or "no notebook found")
        path = Path(self.path)
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        return path.read_bytes()


def learner_id(name: str, pattern: str | None = None) -> str:
    """Whose a file or folder is: ``pattern``'s learner group, an LMS name, or the stem."""
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    patterns = ([re.compile(pattern)] if pattern else []) + list(LMS_PATTERNS)
    for regex in patterns:
        match = regex.match(name) or regex.match(stem)
        if match and match.groupdict().get("learner"):
            return match.group("learner").strip()
    return stem


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if p.is_file() and not IGNORED_PARTS & set(p.parts))


def find_submissions(source: str | Path, workdir: str | Path | None = None,
                     pattern: str | None = None, notebook_name: str | None = None
                     ) -> list[Submission]:
    """List the submissions in a folder or zip (zips are extracted safely into ``workdir``)."""
    source = Path(source)
    zipped = source.is_file() and zipfile.is_zipfile(source)
    if zipped:
        if workdir is None:
            raise ValueError("a zip of submissions needs a workdir to extract into")
        source = extract_zip(source, Path(workdir) / "submissions")
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a folder nor a zip of submissions")
    entries = [p for p in source.iterdir() if p.name not in IGNORED_PARTS]
    if zipped and len(entries) == 1 and entries[0].is_dir() and not _looks_like_learner(
            entries[0]) and any(p.is_dir() or p.suffix == ".ipynb" for p in entries[0].iterdir()):
        source = entries[0]  # the zip wraps everything in one folder
        entries = [p for p in source.iterdir() if p.name not in IGNORED_PARTS]
    found: dict[str, list[Submission]] = {}
    for entry in sorted(entries):
        if entry.is_dir():
            learner = learner_id(entry.name, pattern)
            books = _notebooks(entry)
            if not books:
                found.setdefault(learner, []).append(Submission(
                    learner, entry.name, problem=f"no notebook in the folder {entry.name}"))
            for book in books:
                name = str(book.relative_to(source))
                found.setdefault(learner, []).append(Submission(learner, name, str(book)))
        elif entry.suffix == ".ipynb":
            learner = learner_id(entry.name, pattern)
            found.setdefault(learner, []).append(Submission(learner, entry.name, str(entry)))
    return [_choose(options, notebook_name) for _, options in sorted(found.items())]


def _looks_like_learner(folder: Path) -> bool:
    return any(regex.match(folder.name) for regex in LMS_PATTERNS[1:2])


def _choose(options: list[Submission], notebook_name: str | None) -> Submission:
    """One notebook per learner: the one named like the assignment, else the last by name."""
    if len(options) == 1:
        return options[0]
    if notebook_name:
        named = [s for s in options if assignment_id(Path(s.name).stem).endswith(notebook_name)]
        if named:
            return named[-1]
    return options[-1]


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract the notebooks of a zip, refusing absolute paths, ``..``, links and zip bombs.

    Other files only leave their folders behind (so a learner's folder without a notebook is
    still reported); a notebook is cut at ``MAX_NOTEBOOK_BYTES + 1`` bytes (it is then
    reported as too large), and a member that cannot be written is skipped.
    """
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        if len(members) > MAX_ZIP_FILES:
            raise InvalidNotebook(f"{archive.name} holds more than {MAX_ZIP_FILES} files")
        for info in members:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if info.is_dir() or not parts or parts[0] == "/" or ".." in parts:
                continue
            if IGNORED_PARTS & set(parts) or (info.external_attr >> 28) == 0o12:
                continue
            destination = target.joinpath(*parts)
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                if not parts[-1].endswith(".ipynb"):
                    continue
                size = min(info.file_size, MAX_NOTEBOOK_BYTES + 1)
                total += size
                if total > MAX_ZIP_BYTES:
                    raise InvalidNotebook(
                        f"{archive.name} unpacks to more than {MAX_ZIP_BYTES >> 30} GB")
                with zipped.open(info) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(_Limited(source, size), sink)
            except (OSError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError,
                    EOFError):
                continue  # a name clash, an unsupported compression, a password, a bad CRC
    return target


class _Limited:
    """Reads at most ``limit`` bytes: a zip entry cannot lie about its size."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(size)
        self.left -= len(data)
        return data


def read_submission(data: bytes) -> Any:
    """Parse and validate notebook bytes; raise :class:`InvalidNotebook` with the reason."""
    import nbformat

    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidNotebook("not a notebook: the file is not UTF-8 text") from None
    if not text.strip():
        raise InvalidNotebook("the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        if error.pos <= len(text) - len(text.lstrip()):
            raise InvalidNotebook("not a notebook: the file is not JSON") from None
        if not text.rstrip().endswith("}"):
            raise InvalidNotebook(f"truncated: the file ends before the notebook does ({error.msg} "
                                  f"at {where})") from None
        raise InvalidNotebook(f"corrupt JSON: {error.msg} at {where}") from None
    except RecursionError:
        raise InvalidNotebook("corrupt JSON: nested too deeply") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise InvalidNotebook("not a notebook: the JSON has no 'nbformat' field")
    if raw.get("nbformat") != 4:
        raise InvalidNotebook(
            f"wrong notebook format version {raw.get('nbformat')!r}: gradlab reads version 4 "
            "(open the file in JupyterLab and save it)")
    cells = raw.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise InvalidNotebook("invalid notebook: 'cells' is not a list of cells")
    if len(cells) > MAX_CELLS:
        raise InvalidNotebook(f"invalid notebook: {len(cells)} cells, more than {MAX_CELLS}")
    if isinstance(raw.get("nbformat_minor"), int) and raw["nbformat_minor"] >= 5:
        for number, cell in enumerate(cells):
            if not cell.get("id"):
                cell["id"] = f"cell-{number}"
    try:
        notebook = nbformat.from_dict(raw)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise InvalidNotebook(f"invalid notebook: {str(error.message)[:300]}") from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        raise InvalidNotebook(f"invalid notebook: {type(error).__name__}: {str(error)[:300]}"
                              ) from None
    return notebook
