"""Hostile input to the grader itself: links, FIFOs, odd names, bad zip members, LMS name
collisions and terminal escapes. Each scenario is a folder or zip named after the hole."""

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES

from gradlab.cli import main
from gradlab.grading import Limits, grade, grade_notebook
from gradlab.grading.submissions import find_submissions, visible
from gradlab.grading.zips import extract_zip

CORRECT = FIXTURES / "submissions" / "correct.ipynb"
PARTLY = FIXTURES / "submissions" / "partly-correct.ipynb"  # 6 of 9
LIMITS = Limits(timeout=6, memory=768 << 20, output=8 << 20)
CLI = ["--assignment", str(SOLUTION), "--timeout", "6", "--memory", "768M", "--workers", "2",
       "--no-progress"]


def totals(records):
    return {r["learner"]: (r["total"], r["status"]) for r in records}


@pytest.fixture
def symlink_to_solution(tmp_path):
    """Links to the solution (file, folder, inside a learner's folder), a FIFO, and honest
    bystanders."""
    root = tmp_path / "symlink-to-solution"
    (root / "eve").mkdir(parents=True)
    shutil.copy(CORRECT, root / "alice.ipynb")
    (root / "mallory.ipynb").symlink_to(SOLUTION)
    (root / "trudy").mkdir()
    (root / "trudy" / "fx.ipynb").symlink_to(SOLUTION)
    (root / "oscar").symlink_to(SOLUTION.parent, target_is_directory=True)
    shutil.copy(PARTLY, root / "eve" / "fx.ipynb")
    (root / "eve" / "zz-solution.ipynb").symlink_to(SOLUTION)  # last by name: would be chosen
    os.mkfifo(root / "fifo.ipynb")
    return root


def test_symlink_to_solution_links_and_fifos_are_never_followed_and_reported_by_name(
        symlink_to_solution, tmp_path):
    records = {r["learner"]: r for r in grade(symlink_to_solution, SOLUTION, tmp_path / "g.csv",
                                              workers=2, limits=LIMITS, progress=False)}
    assert totals(records.values()) == {
        "alice": (9, "graded"), "eve": (6, "graded"), "fifo": (0, "invalid notebook"),
        "mallory": (0, "invalid notebook"), "oscar": (0, "invalid notebook"),
        "trudy": (0, "invalid notebook")}
    assert "mallory.ipynb: a symbolic link, not a regular file" in records["mallory"]["reason"]
    assert "trudy/fx.ipynb: a symbolic link" in records["trudy"]["reason"]
    assert "oscar: a symbolic link" in records["oscar"]["reason"]
    assert "fifo.ipynb: a FIFO, not a regular file" in records["fifo"]["reason"]
    assert records["eve"]["file"] == "eve/fx.ipynb"
    assert records["eve"]["notes"] == [
        "skipped eve/zz-solution.ipynb: a symbolic link, not a regular file"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device file needs root")
def test_a_device_file_in_a_learners_folder_is_skipped_and_reported(tmp_path):
    (tmp_path / "dan").mkdir()
    os.mknod(tmp_path / "dan" / "fx.ipynb", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    [found] = find_submissions(tmp_path)
    assert found.problem == ("no notebook in the folder dan; "
                             "skipped dan/fx.ipynb: a device, not a regular file")


def test_a_link_swapped_in_after_listing_is_refused_when_read(tmp_path):
    shutil.copy(CORRECT, tmp_path / "alice.ipynb")
    [found] = find_submissions(tmp_path)
    (tmp_path / "alice.ipynb").unlink()
    (tmp_path / "alice.ipynb").symlink_to(SOLUTION)
    record = grade(tmp_path, SOLUTION, tmp_path / "out" / "g.csv", limits=LIMITS,
                   progress=False, workers=1)
    assert found.learner == "alice" and record[0]["status"] == "invalid notebook"


def undecodable(folder: Path, raw: bytes, source: Path) -> None:
    with open(os.path.join(os.fsencode(folder), raw), "wb") as handle:
        handle.write(source.read_bytes())


def test_undecodable_names_are_graded_under_a_visible_escape_and_resume(tmp_path):
    root = tmp_path / "undecodable-name"
    root.mkdir()
    undecodable(root, b"caf\xe9.ipynb", CORRECT)
    undecodable(root, b"caf\\xe9.ipynb", PARTLY)  # a name that escapes to the same text
    undecodable(root, b"\xff\xfe.ipynb", CORRECT)
    out = tmp_path / "book" / "g.csv"
    first = grade(root, SOLUTION, out, json_path=out.with_suffix(".json"), workers=2,
                  limits=LIMITS, progress=False)
    assert totals(first) == {"caf\\xe9~1": (6, "graded"), "caf\\xe9~2": (9, "graded"),
                             "\\xff\\xfe": (9, "graded")}
    notes = {r["learner"]: r.get("notes") for r in first}
    for number in (1, 2):
        assert notes[f"caf\\xe9~{number}"] == [
            "2 learners share the name caf\\xe9 (file name b'caf\\\\xe9', file name "
            f"b'caf\\xe9'): graded apart as caf\\xe9~{number}"]
    assert (tmp_path / "book" / "g.csv").read_text().count("\\xff\\xfe,") == 1
    again = grade(root, SOLUTION, out, workers=2, limits=LIMITS, progress=False)
    assert [r["seconds"] for r in again] == [r["seconds"] for r in first]  # nothing regraded


def notebook_bytes(path: Path) -> bytes:
    return path.read_bytes()


@pytest.fixture
def bad_zip_member(tmp_path):
    """A Canvas zip: a member flagged UTF-8 whose name is not, one with a bad CRC, a FIFO and
    a symlink member, one escaping with .., and an honest learner."""
    archive = tmp_path / "bad-zip-member.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("caf\u00e9_1005_5005_fx.ipynb", notebook_bytes(CORRECT))
        zipped.writestr("crc_1006_5006_fx.ipynb", notebook_bytes(CORRECT))
        for name, kind in (("pipe_1007_5007_fx.ipynb", stat.S_IFIFO),
                           ("link_1009_5009_fx.ipynb", stat.S_IFLNK)):
            member = zipfile.ZipInfo(name)
            member.external_attr = (kind | 0o644) << 16
            zipped.writestr(member, str(SOLUTION))
        zipped.writestr("../up_1008_5008_fx.ipynb", notebook_bytes(CORRECT))
        zipped.writestr("doejohn_1002_5002_fx.ipynb", notebook_bytes(PARTLY))
    data = bytearray(archive.read_bytes())
    name = "caf\u00e9".encode()
    assert data.count(name) == 2  # local header and central directory
    data[:] = data.replace(name, b"caf\xe9\xff")  # same length, no longer UTF-8
    body = data.find(b'"cells"', data.find(b"crc_1006"))  # corrupt the stored notebook
    data[body: body + 7] = b'"CELLS"'
    archive.write_bytes(bytes(data))
    return archive


def test_bad_zip_member_is_skipped_and_reported_and_the_others_graded(bad_zip_member, tmp_path):
    skipped = []
    records = grade(bad_zip_member, SOLUTION, tmp_path / "g.csv", workers=2, limits=LIMITS,
                    progress=False, skipped=skipped)
    by_learner = {r["learner"]: r for r in records}
    assert totals(records) == {
        "caf\\xe9\\xff": (9, "graded"), "crc": (0, "invalid notebook"),
        "doejohn": (6, "graded"), "link": (0, "invalid notebook"),
        "pipe": (0, "invalid notebook")}
    assert "crc_1006_5006_fx.ipynb: could not be unpacked: BadZipFile" in by_learner["crc"][
        "reason"]
    assert "pipe_1007_5007_fx.ipynb: a FIFO, not a regular file" in by_learner["pipe"]["reason"]
    assert "link_1009_5009_fx.ipynb: a symbolic link, not a regular file" in by_learner[
        "link"]["reason"]
    assert skipped == ["zip member ../up_1008_5008_fx.ipynb: a path outside the submissions "
                       "(absolute or with ..)"]


@pytest.fixture
def lms_name_collision(tmp_path):
    """A Canvas zip where two learners are both exported as smithjane, one of whom also
    resubmitted, beside a learner with a name of their own."""
    archive = tmp_path / "lms-name-collision.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("smithjane_1001_5001_fx.ipynb", notebook_bytes(CORRECT))
        zipped.writestr("smithjane_1003_5003_fx.ipynb", notebook_bytes(PARTLY))
        zipped.writestr("smithjane_1003_5009_fx-1.ipynb", b"{}")  # a resubmission: same learner
        zipped.writestr("doejohn_1002_5002_fx.ipynb", notebook_bytes(PARTLY))
    return archive


def test_lms_name_collision_keeps_learners_apart_with_their_lms_id(lms_name_collision, tmp_path):
    records = grade(lms_name_collision, SOLUTION, tmp_path / "g.csv", workers=2, limits=LIMITS,
                    progress=False)
    assert totals(records) == {"doejohn": (6, "graded"), "smithjane_1001": (9, "graded"),
                               "smithjane_1003": (6, "graded")}
    found = {s.learner: s for s in find_submissions(lms_name_collision, tmp_path / "x",
                                                    notebook_name="fx")}
    assert found["smithjane_1001"].name == "smithjane_1001_5001_fx.ipynb"
    assert found["smithjane_1003"].name == "smithjane_1003_5003_fx.ipynb"
    note = ("2 learners share the name smithjane (LMS id 1001, LMS id 1003): graded apart as "
            "smithjane_1003")
    assert found["smithjane_1003"].notes == [note]
    assert not found["doejohn"].notes


def test_a_zip_without_bad_names_unpacks_exactly_as_before(tmp_path):
    archive = tmp_path / "plain.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("alice.ipynb", "{}")
    skipped = {}
    target = extract_zip(archive, tmp_path / "out", skipped)
    assert [p.name for p in target.iterdir()] == ["alice.ipynb"] and skipped == {}


def test_visible_escapes_controls_and_undecodable_bytes_but_keeps_letters():
    assert visible("José 李") == "José 李"
    assert visible("a\x1b]52;c;ZXZpbA==\x07b") == "a\\x1b]52;c;ZXZpbA==\\x07b"
    assert visible("caf\udce9") == "caf\\xe9"
    assert visible("rtl\u202egnp.exe\n") == "rtl\\u202egnp.exe\\x0a"
    assert visible("\x9b31m") == "\\x9b31m"


def test_ansi_osc52_stderr_never_reaches_the_terminal_raw(tmp_path, capsys):
    """A learner named with escape sequences, whose code prints them to stdout and stderr
    and raises them in an error: the command's output shows them, escaped."""
    root = tmp_path / "ansi-osc52-stderr"
    root.mkdir()
    osc52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
    notebook = json.loads(CORRECT.read_text())
    for cell in notebook["cells"]:
        if cell["id"] == "q1-answer":
            cell["source"] = (f"import sys, os\nsys.stderr.write({osc52!r} + '\\x1b[2J')\n"
                              f"print({osc52!r})\nraise ValueError({osc52!r})")
    (root / f"{osc52}\x1b[31mred.ipynb").write_text(json.dumps(notebook))
    (root / "\x1b[2Jbroken.ipynb").write_text("{")
    code = main(["grade", str(root), "--out", str(tmp_path / "g.csv"), *CLI])
    captured = capsys.readouterr()
    assert code == 0
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\x07" not in stream
    assert "\\x1b[2Jbroken: invalid notebook" in captured.out
    journal = (tmp_path / "g.jsonl").read_text()
    assert "\x1b" not in (tmp_path / "g.csv").read_text() and "\x1b" not in journal
    records = [json.loads(line) for line in journal.splitlines()]
    assert {r["learner"] for r in records} == {"\\x1b[2Jbroken",
                                               "\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[31mred"}


def replay_notebook(first_answer: str) -> str:
    """Two questions; the second uses ``base``, which the first answer cell's given line sets."""
    import nbformat

    cells = [
        ("setup", "from gradlab.grading import check"),
        ("r1-answer", "base = 40\n" + first_answer),
        ("r1-check", 'check("rp.q1", "answer1", expect=42)'),
        ("r2-answer", "### BEGIN SOLUTION\nanswer2 = base * 2\n### END SOLUTION"),
        ("r2-check", 'check("rp.q2", "answer2", expect=80)'),
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source, id=ident) for ident, source in cells]
    return nbformat.writes(notebook)


@pytest.mark.parametrize("scenario, failure, status", [
    ("crash", "import os\nos._exit(3)", "crashed"),
    ("hang", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass",
     "timed out"),
])
def test_a_crash_replay_reruns_the_given_lines_of_the_crashed_answer_cell(
        tmp_path, scenario, failure, status):
    solution = tmp_path / "rp.ipynb"
    solution.write_text(replay_notebook("### BEGIN SOLUTION\nanswer1 = base + 2\n"
                                        "### END SOLUTION"))
    learner = tmp_path / f"{scenario}.ipynb"
    learner.write_text(replay_notebook(failure).replace(
        "### BEGIN SOLUTION\nanswer2 = base * 2\n### END SOLUTION", "answer2 = base * 2"))
    record = grade_notebook(learner, solution, Limits(timeout=2, memory=768 << 20))
    got = {q: (r["status"], r["points"]) for q, r in record["questions"].items()}
    assert got == {"rp.q1": (status, 0.0), "rp.q2": ("passed", 1.0)}, record["reason"]
    assert record["runs"] == 2


def test_given_lines_that_raise_stop_the_rest_of_their_cell_as_before(tmp_path):
    """Split or not, a cell stops at its first error: the learner's part does not run."""
    broken = "base = 40 // zero"
    solution = tmp_path / "rp.ipynb"
    solution.write_text(replay_notebook("### BEGIN SOLUTION\nanswer1 = 42\n### END SOLUTION"
                                        ).replace("base = 40", broken))
    learner = tmp_path / "learner.ipynb"
    learner.write_text(replay_notebook("answer1 = 42").replace("base = 40", broken))
    record = grade_notebook(learner, solution, Limits(timeout=2, memory=768 << 20))
    assert record["questions"]["rp.q1"]["points"] == 0.0, record["questions"]["rp.q1"]
    assert "NameError" in " ".join(record["questions"]["rp.q1"]["feedback"])


@pytest.fixture
def odd_submissions(tmp_path):
    """Shell metacharacters and dashes in names, a notebook with 100 MB of outputs, one that
    claims full marks in its metadata and outputs, one that is a million empty cells."""
    root = tmp_path / "odd-submissions"
    root.mkdir()
    notebook = json.loads(CORRECT.read_text())
    for name in ("$(touch PWNED).ipynb", "a; touch PWNED #.ipynb", "-rf.ipynb", "`id`.ipynb"):
        shutil.copy(CORRECT, root / name)
    huge = json.loads(json.dumps(notebook))
    code = next(c for c in huge["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (100 << 20)}]
    (root / "huge-outputs.ipynb").write_text(json.dumps(huge))
    claims = json.loads(json.dumps(notebook))
    claims["metadata"]["gradlab"] = {"score": 9, "points": {"fx.q1": 3}}
    claims["metadata"]["nbgrader"] = {"score": 9}
    for cell in claims["cells"]:
        cell["metadata"]["nbgrader"] = {"points": 100, "grade": True}
        if cell.get("metadata", {}).get("gradlab", {}).get("role") == "answer":
            cell["source"] = "# YOUR CODE HERE\nraise NotImplementedError"
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": "✓ correct (9/9 points)"}]
    (root / "claims-full-marks.ipynb").write_text(json.dumps(claims))
    many = json.loads(json.dumps(notebook))
    many["cells"] += [{"cell_type": "raw", "id": f"c{i}", "metadata": {}, "source": ""}
                      for i in range(1_000_000)]
    (root / "million-cells.ipynb").write_text(json.dumps(many, separators=(",", ":")))
    return root


def test_odd_names_huge_notebooks_and_claimed_scores_each_get_a_clear_line(
        odd_submissions, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = {r["learner"]: r for r in grade(odd_submissions, SOLUTION, tmp_path / "g.csv",
                                              workers=2, limits=LIMITS, progress=False)}
    assert totals(records.values()) == {
        "$(touch PWNED)": (9, "graded"), "a; touch PWNED #": (9, "graded"), "-rf": (9, "graded"),
        "`id`": (9, "graded"), "huge-outputs": (0, "invalid notebook"),
        "claims-full-marks": (0, "graded"), "million-cells": (0, "invalid notebook")}
    assert records["huge-outputs"]["reason"].startswith(
        "the file is larger than 64 MB: clear its outputs")
    assert records["million-cells"]["reason"].endswith("cells, more than 10000")
    assert not list(tmp_path.rglob("PWNED")) and not (odd_submissions / "PWNED").exists()
