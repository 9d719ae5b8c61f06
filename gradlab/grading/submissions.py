"""Find the submissions and read them: folders, per-learner folders or an LMS zip download.

Each submission is matched to a learner id from its file or folder name (Canvas, Moodle and
Blackboard download names are recognised). Reading is strict and explains itself: corrupt or
truncated JSON, a file that is not a notebook, or a notebook format other than 4 is reported
with the reason instead of stopping the batch.

Learners write the file names and the messages: ``visible`` makes such text safe to show. Sent
raw to a terminal, ESC starts escape sequences (colours, cursor moves, OSC 52 writes the
clipboard); in a gradebook, an undecodable byte cannot even be encoded. ``visible`` keeps
ordinary text (accents, CJK) as it is and writes everything else as a Python-style escape
(``\\x1b``, ``\\u202e``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assignment import assignment_id
from .zips import IGNORED_PARTS, MAX_NOTEBOOK_BYTES, extract_zip, file_kind

TOO_LARGE = (f"the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MB: clear its outputs (Edit → "
             "Clear Outputs of All Cells), save it and submit again")

LMS_PATTERNS = (
    # Canvas: "smithjane_12345_67890_notebook.ipynb", late: "smithjane_LATE_12345_67890_..."
    re.compile(r"^(?P<learner>[^_]+)(?:_LATE)?_(?P<id>\d+)_\d+_.+$"),
    # Moodle: one folder per learner, "Jane Smith_123456_assignsubmission_file_"
    re.compile(r"^(?P<learner>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_?$"),
    # Blackboard: "Assignment 4_jsmith_attempt_2024-03-01-10-22-33_notebook.ipynb"
    re.compile(r"^.+?_(?P<learner>[^_]+)_attempt_\d{4}(?:-\d\d){5}(?:_.+)?$"),
)
MAX_CELLS = 10_000

# control, format (bidi overrides), surrogate (undecodable bytes), private use, separators
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with control characters and undecodable bytes written as visible escapes."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(char) if unicodedata.category(char) in _HIDDEN else char
                   for char in text)


class InvalidNotebook(ValueError):
    """A submission that cannot be graded, with the reason in words."""


@dataclass
class Submission:
    """One learner's notebook: where it is (or its bytes) and who it belongs to.

    ``notes`` says what the grader noticed while finding it (entries skipped because they
    are not regular files, a name shared with another learner) and goes into the record.
    """

    learner: str
    name: str
    path: str | None = None
    data: bytes | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def read_bytes(self) -> bytes:
        """The notebook file's bytes (from memory when sent to a remote worker).

        The file is opened without following a link and must be a regular file: a link or
        a FIFO planted after the submissions were listed is refused, never read or waited on.
        """
        if self.data is not None:
            return self.data
        if self.path is None:
            raise InvalidNotebook(self.problem or "no notebook found")
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise InvalidNotebook(f"{self.name} is {file_kind(stat.S_IFLNK)}") from None
            raise
        with os.fdopen(fd, "rb") as handle:
            kind = file_kind(os.fstat(fd).st_mode)
            if kind:
                raise InvalidNotebook(f"{self.name} is {kind}")
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise InvalidNotebook(TOO_LARGE)
        return data


def learner_key(name: str, pattern: str | None = None) -> tuple[str, str | None]:
    """Whose a file or folder is, and the LMS's id of that learner when the name has one."""
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    patterns = ([re.compile(pattern)] if pattern else []) + list(LMS_PATTERNS)
    for regex in patterns:
        match = regex.match(name) or regex.match(stem)
        if match and match.groupdict().get("learner"):
            return match.group("learner").strip(), match.groupdict().get("id")
    return stem, None


def learner_id(name: str, pattern: str | None = None) -> str:
    """Whose a file or folder is: ``pattern``'s learner group, an LMS name, or the stem."""
    return visible(learner_key(name, pattern)[0])


@dataclass
class _Found:
    """What the listing found for one learner key, before learners are named."""

    books: list[tuple[str, str]] = field(default_factory=list)  # (name, path)
    skipped: list[str] = field(default_factory=list)
    problem: str | None = None


def find_submissions(source: str | Path, workdir: str | Path | None = None,
                     pattern: str | None = None, notebook_name: str | None = None,
                     skipped: list[str] | None = None) -> list[Submission]:
    """List the submissions in a folder or zip (zips are extracted safely into ``workdir``).

    Only regular files and folders inside ``source`` count: links, devices, FIFOs and
    sockets are never followed or opened, and each one is reported by name in the notes of
    the learner it belongs to (the learner's record says why when nothing else is left).
    Zip members that belong to no learner (a path outside the archive) go to ``skipped``.
    """
    source = Path(source)
    zipped = source.is_file() and zipfile.is_zipfile(source)
    unpacked: dict[str, str] = {}
    if zipped:
        if workdir is None:
            raise ValueError("a zip of submissions needs a workdir to extract into")
        source = extract_zip(source, Path(workdir) / "submissions", unpacked)
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a folder nor a zip of submissions")
    entries = _entries(source)
    if zipped and len(entries) == 1 and entries[0].is_dir(follow_symlinks=False) and not (
            _looks_like_learner(entries[0].name)) and any(
            e.is_dir(follow_symlinks=False) or e.name.endswith(".ipynb")
            for e in _entries(Path(entries[0].path))):
        wrapper = entries[0].name  # the zip wraps everything in one folder
        source = Path(entries[0].path)
        entries = _entries(source)
        unpacked = {name.split("/", 1)[1]: why for name, why in unpacked.items()
                    if name.startswith(wrapper + "/")}
    found: dict[tuple[str, str | None], _Found] = {}
    for entry in entries:
        key = learner_key(entry.name, pattern)
        kind = file_kind(entry.stat(follow_symlinks=False).st_mode)
        if kind is None and entry.is_dir(follow_symlinks=False):
            item = found.setdefault(key, _Found())
            _walk(Path(entry.path), source, item)
            if not item.books:
                item.problem = f"no notebook in the folder {visible(entry.name)}"
        elif kind is None and entry.name.endswith(".ipynb"):
            found.setdefault(key, _Found()).books.append((entry.name, entry.path))
        elif kind is not None and (entry.name.endswith(".ipynb") or os.path.isdir(entry.path)):
            item = found.setdefault(key, _Found())
            item.skipped.append(f"{visible(entry.name)}: {kind}")
    for name, why in sorted(unpacked.items()):
        top = name.replace("\\", "/").split("/")[0]
        if top in ("", ".", ".."):
            if skipped is not None:
                skipped.append(f"zip member {visible(name)}: {why}")
            continue
        found.setdefault(learner_key(top, pattern), _Found()).skipped.append(
            f"{visible(name)}: {why}")
    return [_choose(learner, item, notes, notebook_name)
            for learner, item, notes in _name_learners(found)]


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as listing:
        return sorted((e for e in listing if e.name not in IGNORED_PARTS), key=lambda e: e.name)


def _walk(folder: Path, root: Path, item: _Found) -> None:
    """Notebooks under a learner's folder, never through a link; other odd entries noted."""
    for entry in _entries(folder):
        relative = os.path.relpath(entry.path, root)
        kind = file_kind(entry.stat(follow_symlinks=False).st_mode)
        if kind is not None:
            item.skipped.append(f"{visible(relative)}: {kind}")
        elif entry.is_dir(follow_symlinks=False):
            _walk(Path(entry.path), root, item)
        elif entry.name.endswith(".ipynb"):
            item.books.append((relative, entry.path))


def _name_learners(found: dict[tuple[str, str | None], _Found]
                   ) -> list[tuple[str, _Found, list[str]]]:
    """A distinct, visible learner id per key: names shared by several LMS ids (two Jane
    Smiths) or made equal by escaping get the LMS id (or a number) added, with a note."""
    by_name: dict[str, list[tuple[str, str | None]]] = {}
    for key in found:
        by_name.setdefault(visible(key[0]), []).append(key)
    named = []
    for name, keys in sorted(by_name.items()):
        for number, key in enumerate(sorted(keys, key=lambda k: (k[1] or "", k[0])), start=1):
            if len(keys) == 1:
                named.append((name, found[key], []))
                continue
            learner = f"{name}_{key[1]}" if key[1] and len({k[1] for k in keys}) == len(keys) \
                else f"{name}~{number}"
            others = ", ".join(f"LMS id {k[1]}" if k[1] else f"file name {os.fsencode(k[0])!r}"
                               for k in keys)
            named.append((learner, found[key], [
                f"{len(keys)} learners share the name {name} ({others}): graded apart as "
                f"{learner}"]))
    return sorted(named, key=lambda item: item[0])


def _looks_like_learner(name: str) -> bool:
    return any(regex.match(name) for regex in LMS_PATTERNS[1:2])


def _choose(learner: str, item: _Found, notes: list[str], notebook_name: str | None
            ) -> Submission:
    """One notebook per learner: the one named like the assignment, else the last by name."""
    notes = notes + [f"skipped {text}" for text in item.skipped]
    if not item.books:
        problem = "; ".join([item.problem or "nothing to grade"]
                            + [f"skipped {text}" for text in item.skipped])
        return Submission(learner, learner, problem=problem, notes=notes)
    books = sorted(item.books)
    if notebook_name:
        named = [b for b in books if assignment_id(Path(b[0]).stem).endswith(notebook_name)]
        books = named or books
    name, path = books[-1]
    return Submission(learner, visible(name), path, notes=notes)


def read_submission(data: bytes) -> Any:
    """Parse and validate notebook bytes; raise :class:`InvalidNotebook` with the reason."""
    import nbformat  # lazy: ~0.1-1 s to import, and checks in a learner's kernel never need it

    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(TOO_LARGE)
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
