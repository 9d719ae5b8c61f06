"""The course's naming convention, decided in one place: the kind comes first in an exercise's
and a solution's file name, and both belong to the assignment named like the lesson."""

from __future__ import annotations

import pytest

from gradlab.grading import assign, find_solution
from gradlab.grading.assignment import assignment_id, exercise_stem


@pytest.mark.parametrize("stem, expected", [
    ("04_solutions_no_grad_and_a_training_loop", "04_no_grad_and_a_training_loop"),
    ("04_exercises_no_grad_and_a_training_loop", "04_no_grad_and_a_training_loop"),
    ("jdoe_12_04_exercises_no_grad", "jdoe_12_04_no_grad"),
    ("hw3", "hw3"),
    ("04-no-grad", "04-no-grad"),
    ("solutions", "solutions"),
    ("04_solutionsX_topic", "04_solutionsX_topic"),
])
def test_assignment_id_is_the_stem_without_its_kind_word(stem, expected):
    assert assignment_id(stem) == expected


@pytest.mark.parametrize("stem, expected", [
    ("03_solutions_accumulation_and_zero_grad", "03_exercises_accumulation_and_zero_grad"),
    ("hw3", "hw3"),
    ("my_solutions", "my_exercises"),
])
def test_exercise_stem_swaps_solutions_for_exercises(stem, expected):
    assert exercise_stem(stem) == expected


def test_assign_writes_kind_first_names_and_find_solution_accepts_the_lesson_name(tmp_path):
    import nbformat

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        nbformat.v4.new_code_cell('check("04.q1", "x")'),
    ]
    nbformat.write(nb, solutions / "04_solutions_no_grad.ipynb")
    nbformat.write(nb, solutions / "hw3.ipynb")
    written = assign(solutions, tmp_path / "exercises")
    assert sorted(p.name for p in written) == ["04_exercises_no_grad.ipynb", "hw3.ipynb"]
    exercise = nbformat.read(tmp_path / "exercises" / "04_exercises_no_grad.ipynb", as_version=4)
    assert exercise.metadata["gradlab"]["assignment"] == "04_no_grad"
    for name in ("04_no_grad", "04_solutions_no_grad", "04"):
        assert find_solution(name, solutions).name == "04_solutions_no_grad.ipynb"
