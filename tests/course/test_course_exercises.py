"""The exercise notebooks are what ``gradlab assign`` makes of the solutions, an untouched one runs
to the end reading "not attempted yet", and the batch grader scores the solutions full and the
untouched exercises zero. nbval (``make test``) separately re-runs the solutions and compares
their stored outputs.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from support import COURSE, EXERCISES, NOTEBOOKS, SOLUTIONS, exercise_of, solution_of
from support import ROOT as COURSE_ROOT
from support import cell_source as source

from gradlab.grading import Limits, assign, check_exercises, grade, load_assignment

LIMITS = Limits(timeout=30)
by_notebook = pytest.mark.parametrize("name", COURSE)


def output_text(output: dict) -> str:
    if output["output_type"] == "stream":
        return output["text"]
    if output["output_type"] == "error":
        return f"{output['ename']}: {output['evalue']}"
    text = output.get("data", {}).get("text/plain", "")
    return text if isinstance(text, str) else "".join(text)


def role(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("gradlab", {}).get("role")


# ---------------------------------------------------------------------------------------------
# structure


def test_every_course_notebook_has_a_solution_and_an_exercise_named_kind_first():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == COURSE
    for folder, path_of in ((SOLUTIONS, solution_of), (EXERCISES, exercise_of)):
        assert sorted(p.name for p in folder.glob("*.ipynb")) == [path_of(n).name for n in COURSE]


def test_three_to_six_questions_per_notebook_fifty_five_or_more_in_all_with_unique_ids():
    every_id = []
    for name in COURSE:
        questions = list(load_assignment(solution_of(name)).questions)
        assert 3 <= len(questions) <= 6, (name, questions)
        assert all(re.fullmatch(rf"{name[:2]}\.q[1-9]", qid) for qid in questions), questions
        assert questions == [f"{name[:2]}.q{k}" for k in range(1, len(questions) + 1)]
        every_id += questions
    assert len(every_id) >= 55
    assert len(set(every_id)) == len(every_id)


@by_notebook
def test_every_question_has_a_public_check_and_an_answer_cell(name):
    assignment = load_assignment(solution_of(name))
    answered = {cell.question for cell in assignment.cells if cell.role == "answer"}
    for qid, question in assignment.questions.items():
        assert question.public_points > 0, f"{qid} has only hidden checks"
        assert qid in answered, f"{qid} has no answer cell"


@by_notebook
def test_solution_names_its_course_notebook_imports_the_checks_and_ends_with_check_all(name):
    nb = json.loads((solution_of(name)).read_text(encoding="utf-8"))
    assert f"](../notebooks/{name})" in source(nb["cells"][0])
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    first = source(code[0])
    assert first.splitlines()[0] == "%matplotlib inline"
    assert "from gradlab.grading import check, check_all" in first
    assert source(code[-1]).strip() == "check_all()"


@by_notebook
def test_solution_is_stored_executed_with_clean_metadata_and_no_errors(name):
    nb = json.loads((solution_of(name)).read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1))
    for cell in nb["cells"]:
        assert not {"execution", "ExecuteTime"} & set(cell.get("metadata", {})), cell["id"]
    for cell in code:
        assert not any(out["output_type"] == "error" for out in cell["outputs"]), source(cell)
        lines = [line.split("#")[0].rstrip() for line in source(cell).splitlines()]
        assert not [line for line in lines if line][-1].endswith(";"), source(cell)
    checks = [nb["cells"][cell.index] for cell in load_assignment(solution_of(name)).cells
              if cell.role == "check"]
    verdicts = [output_text(out) for cell in checks for out in cell["outputs"]]
    assert verdicts and all(text.startswith("✓") for text in verdicts), verdicts


# ---------------------------------------------------------------------------------------------
# assign


def test_exercises_are_exactly_what_assign_makes_of_the_solutions(tmp_path):
    assert check_exercises(SOLUTIONS, EXERCISES) == []
    fresh = tmp_path / "exercises"
    assign(SOLUTIONS, fresh)
    for name in COURSE:
        expected = exercise_of(name)
        assert (fresh / expected.name).read_bytes() == expected.read_bytes(), name


@by_notebook
def test_exercise_hides_solutions_and_hidden_checks(name):
    solution = (solution_of(name)).read_text(encoding="utf-8")
    exercise = (exercise_of(name)).read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" in solution and "### BEGIN SOLUTION" not in exercise
    assert "HIDDEN CHECKS" not in exercise
    assert "raise NotImplementedError" in exercise
    assert "expect=" not in exercise and "mistakes=" not in exercise
    nb = json.loads(exercise)
    checks = [source(cell) for cell in nb["cells"] if role(cell) == "check"]
    questions = list(load_assignment(solution_of(name)).questions)
    assert checks == [f'check("{qid}")' for qid in questions]


# ---------------------------------------------------------------------------------------------
# an untouched exercise in a kernel


@by_notebook
def test_untouched_exercise_runs_to_the_end_and_every_check_reads_not_attempted(name):
    nb = nbformat.read(exercise_of(name), as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                   record_timing=False,
                   resources={"metadata": {"path": str(EXERCISES)}}).execute()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    for cell in code:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert all(out.ename == "NotImplementedError" for out in errors), [
            output_text(out) for out in errors]
        assert not errors or role(cell) == "answer", cell.source
    checks = [cell for cell in code if role(cell) == "check"]
    assert len(checks) == len(load_assignment(solution_of(name)).questions)
    for cell in checks:
        verdicts = [output_text(out) for out in cell.outputs]
        assert verdicts and all("not attempted yet" in text for text in verdicts), verdicts
    summary = output_text(code[-1].outputs[0])
    assert re.search(r"^total\s+0/\d+$", summary, flags=re.MULTILINE), summary


# ---------------------------------------------------------------------------------------------
# the batch grader


@by_notebook
def test_grader_gives_the_solution_full_marks_and_the_untouched_exercise_zero(name, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(solution_of(name), submissions / "solution.ipynb")
    shutil.copy(exercise_of(name), submissions / "untouched.ipynb")
    assignment = load_assignment(solution_of(name))
    records = grade(submissions, assignment, tmp_path / "grades.csv", workers=2, limits=LIMITS,
                    progress=False)
    by_learner = {record["learner"]: record for record in records}
    assert set(by_learner) == {"solution", "untouched"}
    solved, untouched = by_learner["solution"], by_learner["untouched"]
    assert solved["status"] == untouched["status"] == "graded"
    assert solved["total"] == solved["max_total"] == assignment.points > 0
    assert {q["status"] for q in solved["questions"].values()} == {"passed"}
    assert untouched["total"] == 0
    assert {q["status"] for q in untouched["questions"].values()} == {"not attempted"}


# Typical mistakes, made by editing a line or two of a solution: the grader takes points off the
# question and its feedback names the mistake.
MISTAKES = [
    ("00_derivatives_by_hand.ipynb", "00.q2",
     "dL_dtp = 2 * (model(t_u, w, b) - t_c) / t_u.size",
     "dL_dtp = 2 * (t_c - model(t_u, w, b)) / t_u.size", "sign is flipped"),
    ("00_derivatives_by_hand.ipynb", "00.q3",
     "new_params = params - learning_rate * dloss", "new_params = params - dloss",
     "forget to multiply by the learning rate"),
    ("02_backward_and_the_chain_rule.ipynb", "02.q4",
     "gradient=torch.tensor([0.1, 1.0, 10.0])", "gradient=torch.ones(3)", "out.sum()"),
    ("03_accumulation_and_zero_grad.ipynb", "03.q3",
     "        if params.grad is not None:\n            params.grad.zero_()\n", "",
     "reset it"),
    ("04_no_grad_and_a_training_loop.ipynb", "04.q1",
     "    with torch.no_grad():\n        params -= learning_rate * params.grad\n    return params",
     "    params -= learning_rate * params.grad\n    return params", "torch.no_grad()"),
    ("04_no_grad_and_a_training_loop.ipynb", "04.q2",
     "            params -= learning_rate * params.grad\n    return params",
     "            params += learning_rate * params.grad\n    return params", "wrong way"),
    ("03_accumulation_and_zero_grad.ipynb", "03.q5",
     "    (data_loss + size_penalty).backward()\n",
     "    data_loss.backward()\n    size_penalty.backward()\n", "retain_graph=True"),
    ("05_optimizers.ipynb", "05.q1",
     "        optimizer.step()\n    return params\n    ### END SOLUTION",
     "        optimizer.step()\n        params = params.detach().requires_grad_()\n"
     "    return params\n    ### END SOLUTION", "never updated"),
    ("06_nn_module_linear_regression.ipynb", "06.q5",
     '"D": "eval"}\n### END SOLUTION', '"D": "both"}\n### END SOLUTION',
     "nothing to call backward() on"),
    ("07_animated_regression_fit.ipynb", "07.q3",
     "            param.grad = None\n", "", "reset each param.grad"),
    ("10_autograd_pitfalls.ipynb", "10.q5",
     "    return sum(p.numel() for p in net.parameters() if p.requires_grad)",
     "    return sum(p.numel() for p in net.parameters() if not p.requires_grad)",
     "counts the frozen numbers"),
    ("11_a_neural_network.ipynb", "11.q4",
     "    model.eval()\n    with torch.no_grad():\n        logits = model(X)",
     "    with torch.no_grad():\n        logits = model(X)", "dropout was still on"),
    ("11_a_neural_network.ipynb", "11.q5",
     "        total += loss.item() * len(xb)\n        count += len(xb)",
     "        total += loss.item()\n        count += 1", "weight each batch's loss"),
]


@pytest.mark.parametrize("name, question, right, wrong, hint", MISTAKES,
                         ids=[mistake[1] for mistake in MISTAKES])
def test_a_typical_mistake_loses_points_with_feedback_that_names_it(name, question, right, wrong,
                                                                   hint, tmp_path):
    nb = nbformat.read(solution_of(name), as_version=4)
    edited = [cell for cell in nb.cells if cell.cell_type == "code" and right in cell.source]
    assert len(edited) == 1, f"{right!r} should occur in exactly one cell"
    edited[0].source = edited[0].source.replace(right, wrong)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(nb, submissions / "learner.ipynb")
    [record] = grade(submissions, load_assignment(solution_of(name)), tmp_path / "grades.csv",
                     workers=1, limits=LIMITS, progress=False)
    result = record["questions"][question]
    assert result["points"] < result["max_points"], result
    assert any(hint in line for line in result["feedback"]), result["feedback"]
    earlier = [q for qid, q in record["questions"].items() if qid < question]
    assert all(q["points"] == q["max_points"] for q in earlier), earlier


# Prediction questions: the learner writes the values out. The code to predict is shown, not run,
# so there is nothing to copy; and a value computed in the cell scores nothing even when it is
# right, in the grader as in the notebook.
COPIES = [
    ("01_tensors_and_requires_grad.ipynb", "01.q2",
     'is_leaf = {"p": True, "q": True, "r": False, "s": False, "t": True, "u": False}',
     "is_leaf = dict(p=True, q=True, r=False, s=False, t=True, u=False)"),
    ("02_backward_and_the_chain_rule.ipynb", "02.q2",
     'predicted = {"x": None, "w": 28.0, "g": 14.0}', "predicted = dict(x=None, w=28.0, g=14.0)"),
    ("03_accumulation_and_zero_grad.ipynb", "03.q2",
     "predicted = [4.0, 8.0, 12.0, 0.0, 3.0, 5.0]",
     "predicted = [4.0 * k for k in (1, 2, 3)] + [0.0, 3.0, 5.0]"),
]


@pytest.mark.parametrize("name, question, written, copied", COPIES, ids=[c[1] for c in COPIES])
def test_a_prediction_copied_from_the_notebooks_own_values_scores_nothing(name, question, written,
                                                                        copied, tmp_path):
    nb = nbformat.read(solution_of(name), as_version=4)
    [cell] = [cell for cell in nb.cells if cell.cell_type == "code" and written in cell.source]
    cell.source = cell.source.replace(written, copied)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(nb, submissions / "copier.ipynb")
    [record] = grade(submissions, load_assignment(solution_of(name)), tmp_path / "grades.csv",
                     workers=1, limits=LIMITS, progress=False)
    result = record["questions"][question]
    assert result["points"] == 0, result
    assert any("out as values" in line for line in result["feedback"]), result["feedback"]
    others = [q for qid, q in record["questions"].items() if qid != question]
    assert all(q["points"] == q["max_points"] for q in others), others


# ---------------------------------------------------------------------------------------------
# nothing to copy from the lesson

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
ASSIGNABLE = re.compile(r"[A-Za-z_]\w*(?:\.\w+)*")  # `val_loss`, `params.grad`: a value to set


def printed_numbers(name: str) -> list[float]:
    """Every number the lesson notebook `name` shows in its stored outputs."""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    texts = [output_text(out) for cell in nb["cells"] for out in cell.get("outputs", [])]
    return [float(match) for text in texts for match in NUMBER.findall(
        text if isinstance(text, str) else "".join(text))]


def numbers_in(value) -> list[float] | None:
    """The numbers of an expected value (nested lists, tensors, dicts), None if it has none."""
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=object).ravel()
    found = []
    for item in array:
        if isinstance(item, dict):
            found += numbers_in(list(item.values())) or []
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            found.append(float(item))
    return found or None


def copyable_values(name: str) -> dict[str, list[float]]:
    """Questions whose public checks all read a variable (not a call of the learner's code) and
    compare it with values the lesson prints, within the check's own tolerance: copying the
    printout would pass them. A value with
    at most one decimal (0.1, 12.0) is a result to reason out, not to copy, and needs a
    distinctive partner to count."""
    shown = np.array(printed_numbers(name))
    assignment = load_assignment(solution_of(name))
    found = {}
    for qid, question in assignment.questions.items():
        public = [assignment.checks[k] for k in question.checks if not assignment.checks[k].hidden]
        if any(spec.calls is not None or spec.random or not ASSIGNABLE.fullmatch(spec.expr)
               for spec in public):
            continue
        values = [(v, spec) for spec in public for v in numbers_in(spec.expect) or []]
        distinctive = [v for v, _ in values if round(v, 1) != v]
        if distinctive and all(
            np.any(np.abs(shown - v) <= spec.atol + spec.rtol * abs(v)) for v, spec in values
        ):
            found[qid] = distinctive
    return found


@by_notebook
def test_no_question_passes_with_values_copied_from_the_lessons_printout(name):
    assert copyable_values(name) == {}, f"{name}'s printout answers these questions"


# ---------------------------------------------------------------------------------------------
# what the README promises a learner


def test_the_readme_quotes_the_verdict_and_hint_of_exercise_03_answered_with_two_backwards():
    readme = " ".join((COURSE_ROOT / "README.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'\*"(✗ 03\.q1: [^"]+)"\* and \*"(hint: [^"]+?)[;,]? …"\*', readme)
    assert quoted, "README.md no longer quotes exercise 03's verdict and hint"
    name = exercise_of("03_accumulation_and_zero_grad.ipynb")
    nb = nbformat.read(name, as_version=4)
    answer = next(k for k, cell in enumerate(nb.cells)
                  if cell.metadata.get("gradlab", {}) == {"question": "03.q1", "role": "answer"})
    nb.cells[answer].source = (
        "params = torch.tensor([0.5, -10.0], requires_grad=True)\n"
        "loss = loss_fn(model(t_u, *params), t_c)\n"
        "loss.backward(retain_graph=True)\n"
        "loss.backward()\n"
    )
    nb.cells = nb.cells[: answer + 2]  # up to the question's check cell
    NotebookClient(nb, kernel_name="python3", timeout=120, record_timing=False,
                   resources={"metadata": {"path": str(EXERCISES)}}).execute()
    shown = " ".join("".join(output_text(out) for out in nb.cells[answer + 1].outputs).split())
    for words in quoted.groups():
        assert words.replace("`", "") in shown.replace("`", ""), (words, shown)
