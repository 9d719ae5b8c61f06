"""The holes of issue 13 (items 1, 2, 4), each pinned by a hostile submission named after it.

The fixtures are in ``tests/fixtures/grading/holes/`` (written by ``make_fixtures.py``),
graded once as a batch with honest bystanders; the unit tests below pin the mechanism each
relies on: the grader asks for every result, feedback that gives nothing away, caps before
parsing.
"""

import json
import re
import shutil

import nbformat
import numpy as np
import pytest
from support import FX_QUESTIONS, passed_except
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES
from test_grading_batch import assert_graded_as

from gradlab.grading import Limits, grade, load_assignment, planner
from gradlab.grading import watch as watch_module
from gradlab.grading.plan import MAX_CHECK_CELL, layout
from gradlab.grading.planner import plan_submission
from gradlab.grading.results import compute_references, expected_value
from gradlab.grading.score import score_check
from gradlab.grading.spec import CheckSpec
from gradlab.grading.submissions import InvalidNotebook
from gradlab.grading.watch import FORGED, Watch

HOLES = FIXTURES / "holes"
LIMITS = Limits(timeout=2, memory=768 << 20, output=4 << 20, startup=5)


# scenario: (total out of 9, submission status, question statuses or None)
EXPECTED = {
    # honest, the same buggy mse scores 7 (the hidden random calls fail); forged, less
    "forged-call-results": (6, "graded", passed_except("fx.q2", "failed")),
    "forged-call-results-extra": (6, "graded", passed_except("fx.q2", "failed")),
    "forged-call-results-out-of-order": (6, "graded", passed_except("fx.q2", "failed")),
    "hint-oracle": (3, "graded", {"fx.q1": "passed", "fx.q2": "failed", "fx.q3": "failed",
                                  "fx.q4": "failed"}),
    "huge-list-answer": (6, "crashed", passed_except("fx.q1", "crashed")),
    "crash-replay-loop": (0, "crashed", None),
    "correct": (9, "graded", passed_except("", "")),
    "partly-correct": (None, "graded", None),
}


@pytest.fixture(scope="module")
def holes(tmp_path_factory):
    """Grade every hole fixture in one batch beside honest bystanders: learner -> record."""
    folder = tmp_path_factory.mktemp("holes") / "submissions"
    shutil.copytree(HOLES, folder)
    for honest in ("correct", "partly-correct"):
        shutil.copy(FIXTURES / "submissions" / f"{honest}.ipynb", folder)
    records = grade(folder, SOLUTION, folder.parent / "grades.csv", workers=2, limits=LIMITS,
                    progress=False)
    return {record["learner"]: record for record in records}


def test_every_hole_fixture_is_in_the_table():
    assert sorted(p.stem for p in HOLES.glob("*.ipynb")) == sorted(
        name for name in EXPECTED if name not in ("correct", "partly-correct"))


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_hole_is_closed_and_the_bystanders_keep_their_grades(holes, scenario):
    total, status, questions = EXPECTED[scenario]
    record = holes[scenario]
    if total is None:  # the partly-correct bystander: its usual grade
        total = 6
    assert_graded_as(record, (total, status, questions))


# ---------------------------------------------------------------------------------------------
# item 1: the grader decides what was asked


@pytest.mark.parametrize("scenario", [name for name in EXPECTED if name.startswith("forged")])
def test_forged_call_results_are_scored_wrong_and_said_so(holes, scenario):
    feedback = holes[scenario]["questions"]["fx.q2"]["feedback"]
    assert holes[scenario]["questions"]["fx.q2"]["points"] == 0
    assert all("do not match the calls the grader made" in line for line in feedback), feedback


def watch_of(ncalls):
    cells = [{"kind": "capture", "segment": 0, "question": "q",
              "captures": [{"check": 0, "expr": "f", "calls": [], "ncalls": ncalls},
                           {"check": 1, "expr": "v", "calls": None, "ncalls": None}]}]
    watch = Watch(cells, Limits(), {}, set())
    for event in ({"t": "ready"}, {"t": "start", "cell": 0}):
        watch.event(json.dumps(event).encode())
    return watch


def send(watch, *events):
    for event in events:
        watch.event(json.dumps({"t": "answer", **event}).encode())
    watch.event(json.dumps({"t": "end", "cell": 0, "error": None, "timeout": False}).encode())
    return watch.run.answers


def call(number, value, check=0):
    return {"check": check, "call": number, "result": {"value": value}}


VALUE = {"check": 1, "result": {"value": 7}}


def test_exactly_the_results_asked_for_in_order_are_accepted():
    answers = send(watch_of(2), call(0, 1.0), call(1, 2.0), VALUE)
    assert answers == {0: {"calls": [{"value": 1.0}, {"value": 2.0}]}, 1: {"value": 7}}


@pytest.mark.parametrize("events", [
    [call(0, 1.0), VALUE],  # a call missing
    [call(0, 1.0), call(1, 2.0), call(2, 3.0), VALUE],  # an extra call
    [call(1, 2.0), call(0, 1.0), VALUE],  # out of order
    [call(0, 1.0), call(0, 1.0), call(1, 2.0), VALUE],  # a call twice
    [{"check": 0, "result": {"calls": [{"value": 1.0}]}}, VALUE],  # a list for a function
    [VALUE, call(0, 1.0), call(1, 2.0)],  # the checks swapped
], ids=["missing", "extra", "out-of-order", "repeated", "batched", "swapped-checks"])
def test_missing_extra_or_out_of_order_results_make_the_check_wrong(events):
    answers = send(watch_of(2), *events)
    assert "error" in answers[0]  # scored wrong


def test_a_check_never_reported_is_scored_wrong_not_skipped():
    answers = send(watch_of(2), call(0, 1.0), call(1, 2.0))
    assert answers[1] == FORGED


def test_fewer_results_than_calls_never_score():
    spec = CheckSpec("q", "f", calls=[(1.0,), (2.0,)], expect=[1.0, 2.0])
    result = score_check(spec, [1.0, 2.0], {"calls": [{"value": 1.0}]}, [[1.0], [2.0]])
    assert result.points == 0 and "1 results for 2 calls" in result.message


# ---------------------------------------------------------------------------------------------
# item 2: feedback that teaches without revealing


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def expected_numbers():
    assignment = load_assignment(SOLUTION)
    compute_references(assignment, LIMITS)
    numbers = []
    for index in range(len(assignment.checks)):
        value = expected_value(assignment, index)
        numbers += [float(x) for x in np.ravel(json.loads(json.dumps(
            value, default=lambda v: np.asarray(getattr(v, "array", v)).tolist())))
            if isinstance(x, (int, float))]
    return [x for x in numbers if x != 0]


def test_hint_oracle_feedback_holds_no_number_that_gives_an_expected_value_away(holes):
    record = holes["hint-oracle"]
    text = " ".join(line for q in record["questions"].values() for line in q["feedback"])
    shown = {float(x) for x in NUMBER.findall(text)}
    public = {1.0, 2.0, 3.0, 0.0, 75.0, -12.0}  # the answers given and the public inputs
    for e in expected_numbers():
        for derived in (e, -e, 1 / e, e - 1, 1 - e):
            leaks = [x for x in shown - public if np.isclose(x, derived, rtol=1e-3, atol=1e-6)]
            assert not leaks, (e, leaks, text)
    assert "constant factor" not in text and "expected [" not in text


# ---------------------------------------------------------------------------------------------
# item 4: bounded work outside the sandbox


def test_a_huge_answer_is_refused_by_its_size_before_it_is_parsed(holes, monkeypatch):
    assert "larger than the grader accepts" in holes["huge-list-answer"]["reason"]
    watch, parsed = watch_of(2), []
    monkeypatch.setattr(watch_module.json, "loads", lambda line: parsed.append(line) or {})
    watch.event(b'{"t": "answer", "check": 1, "result": {"value": [' + b"1," * 200_000 + b"1]}}")
    assert parsed == [] and watch.run.failure == "crashed"


# ---------------------------------------------------------------------------------------------
# item 4 (continued): learner code is planned in a limited process; one time budget


def test_crash_replay_loop_stops_when_the_submissions_time_budget_is_spent(holes):
    record = holes["crash-replay-loop"]
    budget = LIMITS.budget(len(FX_QUESTIONS))
    assert f"time budget of {budget:g} s" in record["reason"], record["reason"]
    assert record["seconds"] < budget + 15, record  # the kill and the scoring, not more runs
    statuses = {q["status"] for q in record["questions"].values()}
    assert statuses <= {"crashed", "timed out"} and "timed out" in statuses


def huge_code_cell(mb: float = 4.0) -> bytes:
    """The correct submission with a code cell of about ``mb`` MB (a list of ones) as the fx.q1
    answer."""
    notebook = json.loads((FIXTURES / "submissions" / "correct.ipynb").read_text("utf-8"))
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("gradlab", {}).get("role") == "answer":
            cell["source"] = "grads = [" + "1, " * int(mb * (1 << 20) / 3) + "1]"
            break
    return json.dumps(notebook).encode()


def test_a_huge_code_cell_is_parsed_and_planned_in_a_limited_child_not_the_grader(monkeypatch):
    assignment = load_assignment(SOLUTION)
    plan = plan_submission(assignment, huge_code_cell(), LIMITS)
    assert max(len(cell.get("source", "")) for cell in plan.cells) > 4_000_000

    def greedy_layout(assignment, notebook):  # parsing that wants far more than it may have
        return {"hog": bytearray(planner.PLANNING_MEMORY * 4)}

    monkeypatch.setattr(planner, "layout", greedy_layout)
    with pytest.raises(InvalidNotebook, match="within the grader's limits"):
        plan_submission(assignment, huge_code_cell(), LIMITS)


def test_a_huge_code_cell_costs_its_own_question_only(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "huge-code-cell.ipynb").write_bytes(huge_code_cell())
    shutil.copy(FIXTURES / "submissions" / "correct.ipynb", folder)
    records = {r["learner"]: r for r in grade(folder, SOLUTION, tmp_path / "grades.csv",
                                               workers=2, limits=LIMITS, progress=False)}
    assert_graded_as(records["correct"], (9, "graded", passed_except("", "")))
    huge = records["huge-code-cell"]
    assert huge["total"] == 6 and huge["questions"]["fx.q1"]["points"] == 0, huge


def test_big_cells_are_never_parsed_as_check_cells():
    assignment = load_assignment(SOLUTION)
    text = 'check("fx.q1")\n' + "#" * (MAX_CHECK_CELL + 1)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(text, id="mine")]
    assert layout(assignment, notebook)["code"] == [text]  # kept as the learner's code
