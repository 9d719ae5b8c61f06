"""Hostile submissions: each attack graded to the score it deserves, nothing left behind.

The fixture notebooks are in ``tests/fixtures/grading/hostile/`` (written by
``make_fixtures.py``), graded once as a batch; the other tests run single sandboxes or the
grader's own pieces (zip extraction, gradebook, comparison) against hostile input.
"""

import csv
import json
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES
from support import namespaces_available, passed_except
from test_grading_batch import assert_graded_as
from test_grading_sandbox import (
    root_only,
    run,
    sandbox_processes,
    value,
)

from gradlab.grading import Limits, grade
from gradlab.grading.answers import TensorValue
from gradlab.grading.compare import compare
from gradlab.grading.diagnose import Context
from gradlab.grading.execute import execute
from gradlab.grading.gradebook import Gradebook
from gradlab.grading.isolate import seccomp_program
from gradlab.grading.plan import Plan
from gradlab.grading.submissions import (
    MAX_NOTEBOOK_BYTES,
    InvalidNotebook,
    extract_zip,
    read_submission,
)

LIMITS = Limits(timeout=5, memory=768 << 20, output=4 << 20)  # generous: CI may be loaded
SECCOMP = os.uname().machine in ("x86_64", "aarch64")
NAMESPACES = namespaces_available()


# scenario: (total out of 9, submission status, question statuses or None)
EXPECTED = {
    "submitted-hangs-first-question": (6, "timed out", passed_except("fx.q1", "timed out")),
    "submitted-crashes-first-question": (6, "crashed", passed_except("fx.q1", "crashed")),
    "submitted-fork-bomb": (6, "graded", passed_except("fx.q2", "failed")),
    "submitted-memory-bomb": (6, "graded", passed_except("fx.q2", "failed")),
    "submitted-spins-in-every-process-it-can-start": (6, "timed out",
                                                      passed_except("fx.q1", "timed out")),
    "submitted-daemonizes-and-ignores-sigterm": (9, "graded", passed_except("", "")),
    "submitted-kills-every-process-it-can": (6, "crashed", passed_except("fx.q2", "crashed")),
    "submitted-floods-stderr-without-newlines": (6, "crashed",
                                                 passed_except("fx.q2", "crashed")),
    "submitted-answers-a-huge-int": (6, "graded", passed_except("fx.q1", "failed")),
    "submitted-spoofs-the-transport": (6, "graded", passed_except("fx.q1", "failed")),
    "submitted-floods-the-event-pipe": (6, "crashed", passed_except("fx.q2", "crashed")),
    "submitted-forges-an-npy-with-a-negative-shape": (9, "graded", passed_except("", "")),
    "submitted-answers-complex-parts-in-a-list": (6, "graded", passed_except("fx.q1", "failed")),
    "submitted-cells-not-a-list": (0, "invalid notebook", None),
    "=HYPERLINK(1)": (9, "graded", passed_except("", "")),
}
NEEDS_ROOT = {"submitted-fork-bomb", "submitted-daemonizes-and-ignores-sigterm",
              "submitted-kills-every-process-it-can"}


# Graded apart, one at a time, with a generous timeout: it is about a crash, not the timeout,
# and on a loaded machine 5 s was too short for it: the event flood pushes 16 MB through the
# pipe before the grader stops it. The fork bomb and the spinning forks are graded with the
# others: their processes end with their question and share one sandbox's CPU.
APART = ("submitted-floods-the-event-pipe",)
GENEROUS = replace(LIMITS, timeout=60)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade the hostile fixtures once (the slow ones apart): the records, and where the
    gradebook of the main batch went."""
    out = tmp_path_factory.mktemp("hostile")
    folders = {"main": out / "main", "apart": out / "apart"}
    for folder in folders.values():
        folder.mkdir()
    for notebook in (FIXTURES / "hostile").glob("*.ipynb"):
        folder = folders["apart" if notebook.stem in APART else "main"]
        shutil.copyfile(notebook, folder / notebook.name)
    records = grade(folders["main"], SOLUTION, out / "grades.csv", workers=2,
                    limits=LIMITS, progress=False)
    records += grade(folders["apart"], SOLUTION, out / "apart.csv", workers=1,
                     limits=GENEROUS, progress=False)
    return {record["learner"]: record for record in records}, out


def test_every_hostile_fixture_is_in_the_table():
    assert sorted(EXPECTED) == sorted(p.stem for p in (FIXTURES / "hostile").glob("*.ipynb"))


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_hostile_submission_gets_the_score_it_deserves(batch, scenario):
    if scenario in NEEDS_ROOT and not NAMESPACES:
        pytest.skip("this attack is only contained with root's namespaces")
    records, _ = batch
    assert_graded_as(records[scenario], EXPECTED[scenario])


def test_a_hang_or_crash_in_the_first_question_keeps_the_setup_for_the_others(batch):
    records, _ = batch
    for scenario in ("submitted-hangs-first-question", "submitted-crashes-first-question"):
        record = records[scenario]
        assert record["runs"] == 2, record
        assert record["reason"].startswith("fx.q1 "), record["reason"]


def test_a_crash_replays_the_cells_before_it_and_skips_the_rest_of_its_question():
    plan = Plan([
        {"kind": "code", "segment": 0, "source": "base = 40"},
        {"kind": "code", "segment": 0, "source": "import os\nos._exit(5)"},
        {"kind": "code", "segment": 0, "source": "base = -1"},
        {"kind": "capture", "segment": 0, "captures": [{"check": 0, "expr": "base",
                                                        "calls": None}]},
        {"kind": "code", "segment": 1, "source": "answer = base + 2"},
        {"kind": "capture", "segment": 1, "captures": [{"check": 1, "expr": "answer",
                                                        "calls": None}]},
    ], {0: ["a"], 1: ["b"]})
    result = execute(plan, LIMITS, {})
    assert result.cuts == {0: 1} and result.failed[0][0] == "crashed"
    assert result.answers == {1: {"value": 42}} and result.runs == 2


def test_failures_are_named_in_the_reason(batch):
    records, _ = batch
    assert records["submitted-floods-the-event-pipe"]["reason"] == (
        "fx.q2 crashed: sent an answer larger than the grader accepts")
    assert records["submitted-floods-stderr-without-newlines"]["reason"] == (
        "fx.q2 crashed: printed more than 4 MB")
    assert records["submitted-cells-not-a-list"]["reason"] == (
        "invalid notebook: 'cells' is not a list of cells")
    feedback = records["submitted-memory-bomb"]["questions"]["fx.q2"]["feedback"]
    assert "MemoryError" in feedback[0]


def test_a_learner_id_that_looks_like_a_formula_is_quoted_in_the_csv(batch):
    _, out = batch
    with open(out / "grades.csv", newline="") as handle:
        learners = [row["learner"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(1)" in learners
    assert not any(name.startswith(("=", "+", "-", "@")) for name in learners)


@pytest.mark.skipif(not SECCOMP, reason="the seccomp filter covers x86_64 and aarch64")
def test_memfd_create_is_refused_so_memory_outside_rlimit_as_cannot_be_held():
    code = ("import os\ntry:\n    os.memfd_create('hog')\n    error = None\n"
            "except OSError as e:\n    error = e.errno")
    assert value(code, "error") == 1  # EPERM


def test_the_sandbox_is_the_oom_killers_first_choice_and_gets_no_new_privileges():
    status = value("text = open('/proc/self/status').read()",
                   "[line for line in text.splitlines() if line.startswith('NoNewPrivs')]")
    assert status == ["NoNewPrivs:\t1"]
    assert value("score = open('/proc/self/oom_score_adj').read().strip()", "score") == "1000"


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_every_seccomp_jump_lands_on_a_return(machine):
    program = seccomp_program(machine)
    assert program[-1] == (0x06, 0, 0, 0x00050001)  # unknown architecture: EPERM
    for position, (code, jt, jf, _) in enumerate(program):
        if code == 0x15:
            for offset in (jt, jf):
                target = position + 1 + offset
                assert target < len(program)
    assert seccomp_program("sparc") is None


def test_raising_the_runners_own_timeout_is_an_error_not_a_timeout():
    result = run("import sys\nraise sys.modules['__main__'].CellTimeout()", "1")
    assert result.timed_out == set() and result.failure is None
    assert [e["type"] for e in result.errors.values()] == ["CellTimeout"]


@root_only
def test_a_daemonized_grandchild_that_ignores_sigterm_is_killed_after_grading():
    code = ("import os, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "if os.fork() == 0:\n    try:\n        os.setsid()\n    except OSError:\n"
            "        pass\n    if os.fork() == 0:\n"
            "        os.closerange(0, 256)\n        time.sleep(300)\n    os._exit(0)\n"
            "time.sleep(0.3)")
    assert value(code, "'done'") == "done"
    assert sandbox_processes() == []


@root_only
def test_a_pure_fork_bomb_is_stopped_and_leaves_nothing():
    result = run("import os\nwhile True:\n    os.fork()", "0")
    assert result.errors or result.failure, result
    assert sandbox_processes() == []


def test_extract_zip_skips_traversal_links_and_clashes_and_cuts_huge_members(tmp_path):
    archive = tmp_path / "hostile.zip"
    notebook = (FIXTURES / "submissions" / "correct.ipynb").read_bytes()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("../../evil.ipynb", notebook)
        zipped.writestr("/absolute/evil.ipynb", notebook)
        zipped.writestr("dave\\..\\..\\evil.ipynb", notebook)
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = 0o120777 << 16
        zipped.writestr(link, "/etc/shadow")
        zipped.writestr("bob/fx.ipynb/inner.ipynb", notebook)
        zipped.writestr("bob/fx.ipynb", notebook)  # clashes with the folder above
        zipped.writestr("carol/notes.txt", "no notebook here")
        zipped.writestr("eve.ipynb", b" " * (MAX_NOTEBOOK_BYTES + (8 << 20)))
        zipped.writestr("junk.bin", b"\0" * (64 << 20))
        zipped.writestr("alice.ipynb", notebook)
    target = extract_zip(archive, tmp_path / "out")
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == ["alice.ipynb", "bob/fx.ipynb/inner.ipynb", "eve.ipynb"]
    assert (target / "carol").is_dir()
    assert (target / "eve.ipynb").stat().st_size == MAX_NOTEBOOK_BYTES + 1
    assert not (tmp_path / "evil.ipynb").exists() and not Path("/evil.ipynb").exists()


def test_notebooks_with_too_many_cells_or_no_cell_list_are_invalid():
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": "pass"}
    base = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}}
    many = dict(base, cells=[dict(cell, id=f"c{i}") for i in range(10_001)])
    with pytest.raises(InvalidNotebook, match="10001 cells, more than 10000"):
        read_submission(json.dumps(many).encode())
    for cells in ({"0": cell}, [1, 2], "cells", None):
        with pytest.raises(InvalidNotebook, match="not a list of cells"):
            read_submission(json.dumps(dict(base, cells=cells)).encode())
    assert read_submission(json.dumps(dict(base, cells=[])).encode()).cells == []


def test_the_gradebook_never_writes_through_a_planted_symlink(tmp_path):
    from gradlab.grading.assignment import load_assignment

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "book"
    out.mkdir()
    (out / "grades.csv.tmp").symlink_to(victim)
    book = Gradebook(out / "grades.csv", load_assignment(SOLUTION), out / "grades.json")
    book.finish()
    assert victim.read_text() == "keep me"
    assert (out / "grades.csv").read_text().startswith("learner,")
    assert sorted(p.name for p in out.iterdir()) == ["grades.csv", "grades.csv.tmp",
                                                     "grades.json"]


HOSTILE_PLAIN = [10**4000, [10**4000, 1], -10**400, [1, "x"], {"a": [None]}, [[]], [], {},
                 np.zeros((0,)), np.zeros((2, 0)), np.array([np.inf, -np.inf]),
                 np.array([2**63], dtype=np.uint64), [True, False], [None, None],
                 np.zeros((1, 1, 1, 2)), np.array([0.0, 1.0]) + 1j, float("nan"),
                 TensorValue(np.array([[75.0, -12.0]])), "75.0", np.array([np.nan, 1.0]),
                 [np.array(75 + 9j), np.array(-12 + 0j)]]
EXPECTED_PLAIN = [75.0, [75.0, -12.0], np.array([75.0, -12.0]), None, "abc", {"a": 1.0},
                  TensorValue(np.array([1.0])), 3, [[1.0, 2.0], [3.0]]]


@pytest.mark.parametrize("expected", EXPECTED_PLAIN, ids=repr)
def test_comparing_hostile_plain_answers_never_raises_and_never_passes(expected):
    context = Context(expr="w.grad", lr=0.1, start=np.array([1.0, 2.0]))
    for actual in HOSTILE_PLAIN:
        outcome = compare(expected, actual, context, mistakes=[([8.0, 2.0], "a mistake")])
        assert not outcome.passed, (expected, actual)


def test_feedback_never_says_the_expected_value_is_none():
    outcome = compare(None, [1.0, 2.0], Context(expr="w.grad", hidden=True))
    assert not outcome.passed and "None" not in outcome.message, outcome.message
