"""``gradlab assign``: exercise notebooks from solutions, deterministic to the byte."""

import json
import shutil

import nbformat
from support import GRADING_FIXTURES as FIXTURES

from gradlab.cli import main
from gradlab.grading.assign import assign, check_exercises, clear_solutions, exercise_text

SOLUTION = FIXTURES / "solutions" / "fx.ipynb"


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
    assert source(cells["q1-check"]) == 'check("fx.q1", "grads", expect=[75.0, -12.0], points=2)'
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in cells.values())


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
