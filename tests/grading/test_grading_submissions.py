"""Finding and reading submissions, and the gradebook journal that makes runs resumable."""

import json
import shutil
import zipfile

import pytest
from support import GRADING_FIXTURES as FIXTURES

from gradlab.grading.assignment import load_assignment
from gradlab.grading.gradebook import Gradebook
from gradlab.grading.submissions import (
    InvalidNotebook,
    extract_zip,
    find_submissions,
    learner_id,
    read_submission,
)

SUBMISSIONS = FIXTURES / "submissions"


@pytest.mark.parametrize("name, learner", [
    ("alice.ipynb", "alice"),
    ("smithjane_1001_5001_fx.ipynb", "smithjane"),
    ("doejohn_LATE_1002_5002_fx-1.ipynb", "doejohn"),
    ("Jane Smith_123456_assignsubmission_file_", "Jane Smith"),
    ("Assignment 4_jsmith_attempt_2024-03-01-10-22-33_fx.ipynb", "jsmith"),
])
def test_learner_ids_come_from_lms_names_or_the_file_stem(name, learner):
    assert learner_id(name) == learner


def test_a_custom_pattern_picks_the_learner_group():
    assert learner_id("hw4-s1234567.ipynb", r"hw\d+-(?P<learner>s\d+)") == "s1234567"


@pytest.mark.parametrize("name, reason", [
    ("corrupt-json", "corrupt JSON: Expecting ',' delimiter at line"),
    ("truncated", "truncated: the file ends before the notebook does"),
    ("not-a-notebook", "not a notebook: the file is not UTF-8 text"),
    ("wrong-nbformat-version", "wrong notebook format version 3: gradlab reads version 4"),
])
def test_unreadable_files_are_invalid_with_the_reason(name, reason):
    with pytest.raises(InvalidNotebook) as error:
        read_submission((SUBMISSIONS / f"{name}.ipynb").read_bytes())
    assert str(error.value).startswith(reason)


@pytest.mark.parametrize("data, reason", [
    (b"", "the file is empty"),
    (b"print('hello')", "not a notebook: the file is not JSON"),
    (b'{"cells": []}', "not a notebook: the JSON has no 'nbformat' field"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}',
     "invalid notebook:"),
])
def test_other_non_notebooks_are_invalid_with_the_reason(data, reason):
    with pytest.raises(InvalidNotebook, match=reason):
        read_submission(data)


def test_a_notebook_without_cell_ids_still_reads():
    raw = json.loads((SUBMISSIONS / "correct.ipynb").read_text())
    for cell in raw["cells"]:
        del cell["id"]
    assert len(read_submission(json.dumps(raw).encode()).cells) == len(raw["cells"])


def test_a_folder_of_notebooks_gives_one_learner_per_file():
    found = find_submissions(SUBMISSIONS)
    assert len(found) == len(list(SUBMISSIONS.glob("*.ipynb")))
    assert {s.learner for s in found} >= {"correct", "truncated", "os-exit"}


def test_per_learner_folders_give_one_learner_per_folder(tmp_path):
    for learner, scenario in (("alice", "correct"), ("bob", "partly-correct")):
        (tmp_path / learner).mkdir()
        shutil.copy(SUBMISSIONS / f"{scenario}.ipynb", tmp_path / learner / "fx.ipynb")
    (tmp_path / "bob" / "scratch.ipynb").write_text("{}")
    (tmp_path / "carol").mkdir()
    found = {s.learner: s for s in find_submissions(tmp_path, notebook_name="fx")}
    assert sorted(found) == ["alice", "bob", "carol"]
    assert found["bob"].name == "bob/fx.ipynb"
    assert found["carol"].problem == "no notebook in the folder carol"


def test_lms_zips_are_matched_to_learners(tmp_path):
    canvas = find_submissions(FIXTURES / "canvas-several-learners.zip", tmp_path / "c")
    assert [s.learner for s in canvas] == ["doejohn", "roeann", "smithjane"]
    moodle = find_submissions(FIXTURES / "moodle-several-learners.zip", tmp_path / "m")
    assert [s.learner for s in moodle] == ["Jane Smith", "John Doe"]


def test_zip_extraction_refuses_paths_that_escape(tmp_path):
    target = extract_zip(FIXTURES / "moodle-several-learners.zip", tmp_path / "out")
    assert not (tmp_path / "escape.ipynb").exists()
    assert sorted(p.name for p in target.iterdir()) == ["Jane Smith_1001_assignsubmission_file_",
                                                        "John Doe_1002_assignsubmission_file_"]


def test_a_zip_entry_cannot_unpack_beyond_its_declared_size(tmp_path):
    archive = tmp_path / "lying.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.ipynb", b"x" * 1000)
    data = bytearray(archive.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # shrink the declared size to 10 bytes
        at = data.find(header)
        offset = 22 if header == b"PK\x03\x04" else 24
        data[at + offset: at + offset + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    try:
        extract_zip(archive, tmp_path / "out")
    except zipfile.BadZipFile:
        return  # zipfile itself noticed the lie
    unpacked = tmp_path / "out" / "a.ipynb"  # or refused: the CRC of 10 bytes is wrong
    assert not unpacked.exists() or unpacked.stat().st_size <= 10


def record(learner, total, assignment="fx"):
    return {"learner": learner, "assignment": assignment, "status": "graded", "total": total,
            "questions": {"fx.q1": {"points": total}}}


def test_the_journal_survives_a_cut_line_and_the_csv_follows_it(tmp_path):
    assignment = load_assignment(FIXTURES / "solutions" / "fx.ipynb")
    book = Gradebook(tmp_path / "grades.csv", assignment)
    book.add(record("bob", 2))
    book.add(record("alice", 3))
    with open(tmp_path / "grades.jsonl", "a") as journal:
        journal.write('{"learner": "carol", "assig')  # the grader was killed mid-write
    book = Gradebook(tmp_path / "grades.csv", assignment, tmp_path / "grades.json")
    assert book.graded() == {"alice", "bob"}
    book.add(record("carol", 1))
    book.finish()
    assert (tmp_path / "grades.csv").read_text().splitlines() == [
        "learner,fx.q1,fx.q2,fx.q3,fx.q4,total,status", "alice,3,0,0,0,3,graded",
        "bob,2,0,0,0,2,graded", "carol,1,0,0,0,1,graded"]
    document = json.loads((tmp_path / "grades.json").read_text())
    assert document["max_total"] == 9 and len(document["submissions"]) == 3


def test_a_journal_of_another_assignment_is_refused(tmp_path):
    assignment = load_assignment(FIXTURES / "solutions" / "fx.ipynb")
    (tmp_path / "grades.jsonl").write_text(json.dumps(record("bob", 2, "other")) + "\n")
    with pytest.raises(ValueError, match="holds grades of assignment 'other'"):
        Gradebook(tmp_path / "grades.csv", assignment)
    assert Gradebook(tmp_path / "grades.csv", assignment, fresh=True).graded() == set()
