"""The authoring format: solution markers, check calls, literals and authoring errors."""

import math

import nbformat
import numpy as np
import pytest
from support import GRADING_FIXTURES as FIXTURES

from gradlab.grading.answers import TensorValue
from gradlab.grading.assignment import find_solution, load_assignment, parse_assignment
from gradlab.grading.inputs import call_inputs, expected_of
from gradlab.grading.spec import (
    MISSING,
    AuthoringError,
    TensorLiteral,
    hidden_lines,
    is_check_source,
    parse_checks,
    solution_regions,
)


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for number, (kind, source) in enumerate(cells):
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(maker(source, id=f"c{number}"))
    return nb


def test_a_check_call_gives_question_expression_points_and_expectation():
    [spec] = parse_checks('check("04.q2", "w.grad", expect=[75.0, -12.0], points=2)')
    assert (spec.question, spec.expr, spec.points, spec.expect) == ("04.q2", "w.grad", 2,
                                                                     [75.0, -12.0])
    assert not spec.hidden and not spec.is_function


def test_an_unquoted_answer_is_read_as_its_source_expression():
    [spec] = parse_checks('check("q.1", w.grad[0] * 2)')
    assert spec.expr == "w.grad[0] * 2"


def test_checks_between_hidden_markers_are_hidden():
    source = ('check("q.1", "a")\n### BEGIN HIDDEN CHECKS\ncheck("q.1", "b")\n'
              "### END HIDDEN CHECKS\ncheck(\"q.1\", \"c\")")
    assert [spec.hidden for spec in parse_checks(source)] == [False, True, False]
    assert hidden_lines(source) == {2, 3, 4}


def test_literals_cover_arrays_tensors_negative_numbers_and_nan():
    [spec] = parse_checks('check("q.1", "x", expect=[np.array([1, 2]), torch.tensor([1.5], '
                          'requires_grad=True), -3, 2 ** 3, float("nan"), None, np.inf])')
    array, tensor, negative, power, nan, none, inf = spec.expect
    assert array.tolist() == [1, 2] and isinstance(tensor, TensorLiteral)
    assert tensor.requires_grad and tensor.data.dtype == np.float32
    assert (negative, power, none, inf) == (-3, 8, None, math.inf) and math.isnan(nan)


def test_torch_tensor_of_ints_is_int64_like_pytorch():
    [spec] = parse_checks('check("q.1", "x", expect=torch.tensor([1, 2]))')
    assert spec.expect.data.dtype == np.int64


@pytest.mark.parametrize("source, message", [
    ('check("q.1", "x", expect=y * 2)', "must be a literal"),
    ('check("q.1", "x", points=-1)', "points must be"),
    ('check("q 1", "x")', "question id"),
    ('check("q.1", "x", colour=1)', "unknown option colour="),
    ('check("q.1", "x +")', "not an expression"),
    ('check("q.1", "f", calls=[(1,), (2,)], expect=[1])', "one output per call"),
    ('check("q.1", "f", random=3)', "random= needs calls="),
    ('x = 1\ncheck("q.1", "x")', "only check(...) calls"),
])
def test_a_miswritten_check_is_an_authoring_error_that_says_why(source, message):
    with pytest.raises(AuthoringError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_checks(source)


def test_solution_regions_report_their_indentation_and_unbalanced_markers_fail():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
    assert solution_regions(source) == [(1, 3, "    ")]
    with pytest.raises(AuthoringError, match="never closed"):
        solution_regions("### BEGIN SOLUTION\nx = 1")
    with pytest.raises(AuthoringError, match="without a BEGIN"):
        solution_regions("x = 1\n### END SOLUTION")


def test_check_cells_are_recognised_by_a_check_call_with_a_string_id():
    assert is_check_source('check("q.1", "x")')
    assert not is_check_source("check_all()")
    assert not is_check_source("def check(a, b): pass")
    assert not is_check_source("this is not python (")


def test_the_fixture_assignment_has_its_questions_points_and_answer_cells():
    assignment = load_assignment(FIXTURES / "solutions" / "fx.ipynb")
    assert list(assignment.questions) == ["fx.q1", "fx.q2", "fx.q3", "fx.q4"]
    assert {q: question.points for q, question in assignment.questions.items()} == {
        "fx.q1": 3, "fx.q2": 3, "fx.q3": 2, "fx.q4": 1}
    assert assignment.questions["fx.q1"].public_points == 2
    answers = {cell.id: cell.question for cell in assignment.cells if cell.role == "answer"}
    assert answers == {"q1-answer": "fx.q1", "q2-answer": "fx.q2", "q3-answer": "fx.q3",
                       "q4-answer": "fx.q4"}
    assert assignment.needs_reference_run()  # fx.q2 has random inputs, fx.q4 no expect


def test_an_answer_cell_without_a_check_cell_after_it_is_an_authoring_error():
    nb = notebook(("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    with pytest.raises(AuthoringError, match="needs a check cell"):
        parse_assignment(nb, "nb")


def test_two_check_cells_for_one_question_are_an_authoring_error():
    nb = notebook(("code", 'check("q.1", "x")'), ("code", 'check("q.1", "y")'))
    with pytest.raises(AuthoringError, match="already has a check cell"):
        parse_assignment(nb, "nb")


def test_one_check_cell_checks_one_question():
    nb = notebook(("code", 'check("q.1", "x")\ncheck("q.2", "y")'))
    with pytest.raises(AuthoringError, match="one question"):
        parse_assignment(nb, "nb")


def test_random_inputs_copy_the_template_call_and_are_reproducible():
    [spec] = parse_checks('check("q.1", "f", calls=[([1.0, 2.0], 3, np.array([[0.5]]), '
                          'torch.tensor([1.0], requires_grad=True))], random=2)')
    first, second = call_inputs(spec), call_inputs(spec)
    assert len(first) == 3
    values, count, matrix, tensor = first[1]
    assert len(values) == 2 and count == 3 and matrix.shape == (1, 1)
    assert isinstance(tensor, TensorValue) and tensor.requires_grad
    assert values != [1.0, 2.0]
    assert np.array_equal(first[2][2], second[2][2])


def test_expected_of_a_check_without_expect_is_missing():
    [spec] = parse_checks('check("q.1", "x")')
    assert expected_of(spec) is MISSING


def test_find_solution_resolves_a_name_or_a_unique_prefix(tmp_path):
    for name in ("04-no-grad", "05-optim"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    assert find_solution("04", tmp_path).name == "04-no-grad.ipynb"
    assert find_solution("05-optim", tmp_path).name == "05-optim.ipynb"
    with pytest.raises(FileNotFoundError, match="matches 0 notebooks"):
        find_solution("06", tmp_path)
    with pytest.raises(FileNotFoundError, match="matches 2 notebooks"):
        find_solution("0", tmp_path)
