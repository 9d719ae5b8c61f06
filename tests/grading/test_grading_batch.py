"""``gradlab grade``: every fixture submission graded to the score it deserves, the gradebook,
resuming, LMS zips, Dask and the command line."""

import csv
import json
import shutil

import pytest
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES
from support import namespaces_available

from gradlab.cli import main
from gradlab.grading import AuthoringError, Limits, grade, grade_notebook

LIMITS = Limits(timeout=6, memory=768 << 20, output=8 << 20)  # generous: CI may be loaded
ALL_PASSED = dict.fromkeys(("fx.q1", "fx.q2", "fx.q3", "fx.q4"), "passed")
NOT_ATTEMPTED = dict.fromkeys(("fx.q1", "fx.q2", "fx.q3", "fx.q4"), "not attempted")


def statuses(q1, q2, q3, q4):
    return {"fx.q1": q1, "fx.q2": q2, "fx.q3": q3, "fx.q4": q4}


# scenario: (total out of 9, submission status, question statuses)
EXPECTED = {
    "correct": (9, "graded", ALL_PASSED),
    "partly-correct": (6, "graded", statuses("passed", "passed", "failed", "failed")),
    "not-attempted": (0, "graded", NOT_ATTEMPTED),
    "hardcodes-public-answers": (4, "graded", statuses("passed", "partial", "not attempted",
                                                       "not attempted")),
    "deletes-check-cells": (9, "graded", ALL_PASSED),
    "edits-check-cells": (3, "graded", statuses("failed", "passed", "failed", "not attempted")),
    "monkeypatches-numpy-and-gradlab": (3, "graded", statuses("failed", "passed", "failed",
                                                              "not attempted")),
    "monkeypatches-builtins": (3, "graded", statuses("failed", "passed", "not attempted",
                                                     "not attempted")),
    "always-true-eq": (0, "graded", statuses("failed", "failed", "failed", "not attempted")),
    "fake-output": (0, "graded", NOT_ATTEMPTED),
    "forges-grader-messages": (9, "graded", ALL_PASSED),
    "sys-exit": (6, "graded", statuses("passed", "failed", "passed", "passed")),
    "os-exit": (6, "crashed", statuses("passed", "crashed", "passed", "passed")),
    "kills-parent": (9, "graded", ALL_PASSED),
    "ignores-sigint": (6, "timed out", statuses("passed", "timed out", "passed", "passed")),
    "forks": (9, "graded", ALL_PASSED),
    "sleeps-forever": (7, "timed out", statuses("passed", "passed", "timed out", "passed")),
    "allocates-without-bound": (6, "graded", statuses("passed", "failed", "passed", "passed")),
    "prints-megabytes": (9, "graded", ALL_PASSED),
    "floods-output": (6, "crashed", statuses("passed", "crashed", "passed", "passed")),
    "reads-the-solutions": (0, "graded", NOT_ATTEMPTED),
    "writes-fake-results-file": (0, "graded", NOT_ATTEMPTED),
    "warnings-on-stderr": (9, "graded", ALL_PASSED),
    "uses-ipython-magics": (9, "graded", ALL_PASSED),
    "imports-gradlab-as-torch": (6, "graded", statuses("failed", "passed", "passed", "passed")),
    "corrupt-json": (0, "invalid notebook", None),
    "truncated": (0, "invalid notebook", None),
    "not-a-notebook": (0, "invalid notebook", None),
    "wrong-nbformat-version": (0, "invalid notebook", None),
}
NEEDS_ROOT = {"reads-the-solutions", "kills-parent", "forks", "writes-fake-results-file"}


NAMESPACES = namespaces_available()


def assert_graded_as(record: dict, expected: tuple) -> None:
    """``record`` has the expected total and status and, where given, per-question statuses."""
    total, status, questions = expected
    got = {q: result["status"] for q, result in record["questions"].items()}
    assert (record["total"], record["status"]) == (total, status), (record["reason"], got)
    if questions is not None:
        assert got == questions, record["questions"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade the whole fixture folder once: the records, and where the gradebook went."""
    out = tmp_path_factory.mktemp("gradebook")
    records = grade(FIXTURES / "submissions", SOLUTION, out / "grades.csv",
                    json_path=out / "grades.json", workers=2, limits=LIMITS, progress=False)
    return {record["learner"]: record for record in records}, out


def test_every_fixture_scenario_is_in_the_table():
    assert sorted(EXPECTED) == sorted(p.stem for p in (FIXTURES / "submissions").glob("*.ipynb"))


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_submission_gets_the_score_it_deserves(batch, scenario):
    if scenario in NEEDS_ROOT and not NAMESPACES:
        pytest.skip("this attack is only contained with root's namespaces")
    records, _ = batch
    record = records[scenario]
    assert_graded_as(record, EXPECTED[scenario])
    if EXPECTED[scenario][2] is not None:
        assert record["isolation"] == ("namespaces" if NAMESPACES else "basic")


def test_feedback_names_the_autograd_mistakes(batch):
    records, _ = batch
    feedback = records["partly-correct"]["questions"]
    assert "`grad_wb` looks accumulated" in " ".join(feedback["fx.q3"]["feedback"])
    assert "wrong way (gradient ascent)" in " ".join(feedback["fx.q4"]["feedback"])


def test_feedback_names_gradlab_as_the_submission_imported_it(batch):
    records, _ = batch
    questions = records["imports-gradlab-as-torch"]["questions"]
    q1, q3 = " ".join(questions["fx.q1"]["feedback"]), " ".join(questions["fx.q3"]["feedback"])
    assert "`with torch.no_grad():`" in q1 and "torch.cat(): expected a non-empty list" in q3
    assert "gradlab." not in q1 + q3


def test_hidden_checks_report_without_revealing_their_inputs_or_values(batch):
    records, _ = batch
    [public, hidden] = records["hardcodes-public-answers"]["questions"]["fx.q2"]["feedback"]
    assert public == "check: passed"
    assert hidden == "hidden check: mse(...) on hidden input 1 raised KeyError: 3"


def test_invalid_notebooks_carry_the_reason(batch):
    records, _ = batch
    assert records["wrong-nbformat-version"]["reason"].startswith("wrong notebook format version 3")
    assert records["truncated"]["reason"].startswith("truncated")


def test_failures_say_which_question_and_why(batch):
    records, _ = batch
    late = f"fx.q2 timed out: ran longer than {LIMITS.timeout:g} s"
    assert records["ignores-sigint"]["reason"] == late
    assert records["floods-output"]["reason"] == "fx.q2 crashed: printed more than 8 MB"
    assert "exited with code 0" in records["os-exit"]["reason"]
    assert "MemoryError" in records["allocates-without-bound"]["questions"]["fx.q2"]["feedback"][0]


def test_the_gradebook_has_a_row_per_learner_and_a_column_per_question(batch):
    records, out = batch
    with open(out / "grades.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["learner", "fx.q1", "fx.q2", "fx.q3", "fx.q4", "total", "status"]
    assert [row["learner"] for row in rows] == sorted(EXPECTED)
    partly = next(row for row in rows if row["learner"] == "partly-correct")
    assert partly == {"learner": "partly-correct", "fx.q1": "3", "fx.q2": "3", "fx.q3": "0",
                      "fx.q4": "0", "total": "6", "status": "graded"}
    document = json.loads((out / "grades.json").read_text())
    assert document["questions"] == {"fx.q1": 3, "fx.q2": 3, "fx.q3": 2, "fx.q4": 1}
    assert len(document["submissions"]) == len(EXPECTED)
    journal = (out / "grades.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["learner"] for line in journal) == sorted(EXPECTED)


def test_a_rerun_resumes_and_grades_only_the_learners_not_yet_in_the_journal(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for scenario in ("correct", "partly-correct"):
        shutil.copy(FIXTURES / "submissions" / f"{scenario}.ipynb", folder)
    earlier = {"learner": "correct", "assignment": "fx", "status": "graded", "total": 42,
               "questions": {}}
    (tmp_path / "grades.jsonl").write_text(json.dumps(earlier) + "\n")
    records = grade(folder, SOLUTION, tmp_path / "grades.csv", workers=1, limits=LIMITS,
                    progress=False)
    assert {r["learner"]: r["total"] for r in records} == {"correct": 42, "partly-correct": 6}
    assert len((tmp_path / "grades.jsonl").read_text().splitlines()) == 2


def test_an_lms_zip_is_graded_learner_by_learner(tmp_path):
    records = grade(FIXTURES / "canvas-several-learners.zip", SOLUTION, tmp_path / "g.csv",
                    workers=2, limits=LIMITS, progress=False)
    assert {r["learner"]: (r["total"], r["status"]) for r in records} == {
        "smithjane": (9, "graded"), "doejohn": (6, "graded"), "roeann": (0, "invalid notebook")}


def test_grading_through_a_dask_scheduler_gives_the_same_grades(tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster:
        records = grade(FIXTURES / "moodle-several-learners.zip", SOLUTION, tmp_path / "g.csv",
                        scheduler=cluster.scheduler_address, limits=LIMITS, progress=False)
    assert {r["learner"]: r["total"] for r in records} == {"Jane Smith": 9, "John Doe": 6}


def test_the_solution_scores_full_marks_against_its_own_checks():
    record = grade_notebook(SOLUTION, SOLUTION, LIMITS)
    assert record["total"] == record["max_total"] == 9


def test_a_solution_that_fails_its_own_check_is_an_authoring_error(tmp_path):
    broken = json.loads(SOLUTION.read_text())
    for cell in broken["cells"]:
        if cell["id"] == "q4-answer":
            cell["source"] = "params = undefined_name"
    (tmp_path / "broken.ipynb").write_text(json.dumps(broken))
    with pytest.raises(AuthoringError, match="fx.q4.*the solution raised NameError"):
        grade(tmp_path, tmp_path / "broken.ipynb", tmp_path / "g.csv", limits=LIMITS,
              progress=False)


def test_the_grade_command_writes_csv_and_json_from_per_learner_folders(tmp_path, capsys):
    for learner, scenario in (("alice", "correct"), ("bob", "truncated")):
        (tmp_path / "in" / learner).mkdir(parents=True)
        shutil.copy(FIXTURES / "submissions" / f"{scenario}.ipynb", tmp_path / "in" / learner)
    code = main(["grade", str(tmp_path / "in"), "--assignment", "fx", "--solutions",
                 str(FIXTURES / "solutions"), "--out", str(tmp_path / "grades.csv"), "--json",
                 "--timeout", "2", "--memory", "768M", "--workers", "1", "--no-progress"])
    assert code == 0
    output = capsys.readouterr().out
    assert "2 submissions, 1 graded without problems" in output
    assert "bob: invalid notebook: truncated" in output
    assert json.loads((tmp_path / "grades.json").read_text())["submissions"][0]["total"] == 9


def test_the_grade_command_explains_a_missing_assignment(tmp_path, capsys):
    code = main(["grade", str(tmp_path), "--assignment", "99", "--solutions",
                 str(FIXTURES / "solutions"), "--out", str(tmp_path / "g.csv")])
    assert code == 2 and "assignment '99' matches 0 notebooks" in capsys.readouterr().err


def test_the_command_has_helpful_help(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = capsys.readouterr().out
    for option in ("--assignment", "--out", "--json", "--workers", "--timeout", "--memory",
                   "--scheduler"):
        assert option in text


def test_an_answer_cell_with_a_pasted_check_line_keeps_the_learners_code(tmp_path):
    notebook = json.loads((FIXTURES / "submissions" / "correct.ipynb").read_text())
    for cell in notebook["cells"]:
        if cell["id"] == "q1-answer":
            cell["id"], cell["metadata"] = "my-cell", {}
            cell["source"] += '\ncheck("fx.q1", "grads", expect=[0.0, 0.0], points=100)'
    (tmp_path / "pasted.ipynb").write_text(json.dumps(notebook))
    record = grade_notebook(tmp_path / "pasted.ipynb", SOLUTION, LIMITS)
    assert record["total"] == 9


def tensor_notebook(answer_q1, answer_q2):
    import nbformat

    cells = [
        ("setup", "import gradlab as torch\nfrom gradlab.grading import check"),
        ("t1-answer", "w = torch.tensor([1.0, 0.0], requires_grad=True)\n"
                      "x = torch.tensor([3.0, 4.0])\n" + answer_q1),
        ("t1-check", 'check("tt.q1", "w.grad", expect=torch.tensor([3.0, 4.0]), points=2)'),
        ("t2-answer", answer_q2),
        ("t2-check", 'check("tt.q2", "sq_grad", calls=[(torch.tensor([1.0, 2.0]),)], '
                     "expect=[[2.0, 4.0]])\n### BEGIN HIDDEN CHECKS\n"
                     'check("tt.q2", "sq_grad", calls=[(torch.tensor([1.0, -2.0, 0.5]),)], '
                     "random=3)\n### END HIDDEN CHECKS"),
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source, id=ident) for ident, source in cells]
    return nbformat.writes(notebook)


@pytest.mark.skipif(not hasattr(__import__("gradlab"), "tensor"), reason="engine not built")
def test_tensor_questions_are_graded_and_their_mistakes_diagnosed(tmp_path):
    solution = tmp_path / "tt.ipynb"
    solution.write_text(tensor_notebook(
        "### BEGIN SOLUTION\n(w * x).sum().backward()\n### END SOLUTION",
        "def sq_grad(v):\n    ### BEGIN SOLUTION\n    v = v.detach().requires_grad_(True)\n"
        "    (v ** 2).sum().backward()\n    return v.grad\n    ### END SOLUTION"))
    wrong = tmp_path / "wrong.ipynb"
    wrong.write_text(tensor_notebook(
        "(w * x).sum().backward()\n(w * x).sum().backward()",
        "def sq_grad(v):\n    return v * 2 if v.shape[0] < 3 else v"))
    assert grade_notebook(solution, solution, LIMITS)["total"] == 4
    record = grade_notebook(wrong, solution, LIMITS)
    q1, q2 = record["questions"]["tt.q1"], record["questions"]["tt.q2"]
    assert (q1["points"], q2["points"]) == (0, 1), record
    assert "`w.grad` looks accumulated" in q1["feedback"][0]
    assert q2["feedback"][1].startswith("hidden check: sq_grad(...) on hidden input 1: got")
