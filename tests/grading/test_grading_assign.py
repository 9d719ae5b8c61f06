"""``gradlab assign``: exercise notebooks from solutions, deterministic to the byte."""

import json
import shutil

import nbformat
from support import FX_SOLUTION as SOLUTION
from support import GRADING_FIXTURES as FIXTURES

from gradlab.cli import main
from gradlab.grading import check, clear_results
from gradlab.grading.assign import assign, check_exercises, clear_solutions, exercise_text
from gradlab.grading.checkdata import unpack


def cells_by_id(text):
    return {cell["id"]: cell for cell in json.loads(text)["cells"]}


def source(cell):
    return "".join(cell["source"])


def test_the_committed_fixture_exercise_is_exactly_what_assign_writes():
    assert check_exercises(FIXTURES / "solutions", FIXTURES / "exercises") == []


def test_solution_regions_become_the_stub_at_the_markers_indentation():
    text = "def f(x):\n    y = 2\n    ### BEGIN SOLUTION\n    return x * y\n    ### END SOLUTION"
    assert clear_solutions(text) == ("def f(x):\n    y = 2\n    # YOUR CODE HERE\n"
                                     "    raise NotImplementedError")


def test_the_exercise_has_no_solution_no_hidden_check_and_no_output():
    text = exercise_text(SOLUTION)
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    assert "3 * a**2" not in text and "float(grads.sum())" not in text
    cells = cells_by_id(text)
    stub = "a, b = 5.0, 6.0\n# YOUR CODE HERE\nraise NotImplementedError"
    assert source(cells["q1-answer"]) == stub
    assert source(cells["q1-check"]) == 'check("fx.q1")'
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in cells.values())


def test_check_cells_carry_only_the_question_and_the_public_checks_travel_out_of_sight():
    text = exercise_text(SOLUTION)
    nb = json.loads(text)
    checks = [source(cell) for cell in nb["cells"] if source(cell).startswith("check")]
    assert checks == ['check("fx.q1")', 'check("fx.q2")', 'check("fx.q3")', 'check("fx.q4")',
                      "check_all()"]
    for hidden in ("75.0", "-12.0", "expect", "calls", "grads.sum", "random"):
        assert hidden not in text, hidden
    shipped = unpack(nb["metadata"]["gradlab"]["checks"])
    assert sorted(shipped) == ["fx.q1", "fx.q2", "fx.q3", "fx.q4"]
    assert [item["expr"] for item in shipped["fx.q1"]] == ["grads"]  # the hidden one stays home
    assert shipped["fx.q2"] == [{"expr": "mse", "points": 1.0, "expect": [0.5, 0.0],
                                 "calls": [[[1.0, 2.0], [1.0, 3.0]], [[0.0], [0.0]]]}]
    assert not any(item.get("random") for items in shipped.values() for item in items)


def test_a_learner_check_reads_its_notebook_offline_and_judges(tmp_path, monkeypatch, capsys):
    (tmp_path / "fx.ipynb").write_text(exercise_text(SOLUTION))
    monkeypatch.chdir(tmp_path)
    namespace = {"grads": [75.0, -12.0], "mse": lambda p, t: 0.5 if len(p) == 2 else 0.0}
    clear_results()
    exec('check("fx.q1")\ncheck("fx.q2")\ncheck("fx.q3")', {"check": check, **namespace})
    out = capsys.readouterr().out
    assert "✓ fx.q1: correct (2/2 points)" in out
    assert "✓ fx.q2: correct (1/1 point)" in out
    assert "fx.q3: not attempted yet" in out
    assert "-20" not in out and "-7.0" not in out  # the expected value is never printed
    exec('grads = [150.0, -24.0]\ncheck("fx.q1")', {"check": check})
    assert "looks accumulated" in capsys.readouterr().out


def test_a_learner_check_without_its_notebook_says_where_the_checks_live(tmp_path, monkeypatch,
                                                                         capsys):
    monkeypatch.chdir(tmp_path)
    check("fx.q1")
    assert "found no checks for fx.q1" in capsys.readouterr().out


def test_exercise_cells_keep_the_solution_ids_and_carry_gradlab_metadata():
    cells = cells_by_id(exercise_text(SOLUTION))
    solution_ids = [cell.id for cell in nbformat.read(SOLUTION, as_version=4).cells]
    assert list(cells) == solution_ids
    assert cells["q2-answer"]["metadata"] == {"gradlab": {"role": "answer", "question": "fx.q2"},
                                              "tags": ["raises-exception"]}
    assert cells["q2-check"]["metadata"] == {"deletable": False, "editable": False,
                                             "gradlab": {"role": "check", "question": "fx.q2"}}


def test_answer_cells_are_tagged_so_run_all_goes_on_to_the_checks(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", id="a",
                                          metadata={"tags": ["keep", "raises-exception"]}),
                nbformat.v4.new_code_cell('check("t.1", "x", expect=1)', id="b")]
    (tmp_path / "t.ipynb").write_text(nbformat.writes(nb))
    cells = cells_by_id(exercise_text(tmp_path / "t.ipynb"))
    assert cells["a"]["metadata"]["tags"] == ["keep", "raises-exception"]
    assert "tags" not in cells["b"]["metadata"]


def test_a_check_cell_with_only_hidden_checks_is_left_out(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", id="a"),
                nbformat.v4.new_code_cell('### BEGIN HIDDEN CHECKS\ncheck("h.1", "x")\n'
                                          "### END HIDDEN CHECKS", id="b")]
    (tmp_path / "h.ipynb").write_text(nbformat.writes(nb))
    assert list(cells_by_id(exercise_text(tmp_path / "h.ipynb"))) == ["a"]


def test_volatile_metadata_and_outputs_never_change_the_bytes(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    for number, cell in enumerate(nb.cells):
        cell.metadata["execution"] = {"iopub.execute_input": f"2024-01-0{number % 9 + 1}"}
        if cell.cell_type == "code":
            cell.execution_count = number
            cell.outputs = [nbformat.v4.new_output("stream", text="noise")]
    (tmp_path / "fx.ipynb").write_text(nbformat.writes(nb))
    assert exercise_text(tmp_path / "fx.ipynb") == exercise_text(SOLUTION)


def test_assign_writes_only_what_changed_and_check_reports_every_difference(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(FIXTURES / "solutions", solutions)
    assert [p.name for p in assign(solutions, exercises)] == ["fx.ipynb"]
    assert assign(solutions, exercises) == []
    (exercises / "fx.ipynb").write_text((exercises / "fx.ipynb").read_text() + " ")
    (exercises / "stale.ipynb").write_text("{}")
    (solutions / "new.ipynb").write_bytes(SOLUTION.read_bytes())
    problems = check_exercises(solutions, exercises)
    assert sorted(p.split(":")[0] for p in problems) == ["missing", "no solution for",
                                                         "out of date"]


def test_the_assign_command_writes_and_checks(tmp_path, capsys):
    exercises = tmp_path / "exercises"
    assert main(["assign", str(FIXTURES / "solutions"), str(exercises)]) == 0
    committed = (FIXTURES / "exercises" / "fx.ipynb").read_bytes()
    assert (exercises / "fx.ipynb").read_bytes() == committed
    assert main(["assign", str(FIXTURES / "solutions"), str(exercises), "--check"]) == 0
    (exercises / "fx.ipynb").write_text("{}")
    assert main(["assign", str(FIXTURES / "solutions"), str(exercises), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out


def test_the_assign_command_reports_authoring_errors_without_a_traceback(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1", id="a")]
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "bad.ipynb").write_text(nbformat.writes(nb))
    assert main(["assign", str(tmp_path / "s"), str(tmp_path / "e")]) == 2
    assert "bad, cell 1: line 1: ### BEGIN SOLUTION is never closed" in capsys.readouterr().err
