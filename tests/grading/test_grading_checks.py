"""``check()`` and ``check_all()`` in the learner's kernel: verdicts that never raise."""

import json
import subprocess
import sys

import numpy as np
import pytest

import gradlab
from gradlab.grading import check, check_all, clear_results, summary
from gradlab.grading.checks import evaluate
from gradlab.grading.display import Verdict

OPTIONS = dict(points=1, expect=None, calls=None, random=0, like=0, seed=None, rtol=1e-4,
               atol=1e-6, start=None, lr=None, mistakes=())


def verdict(answer, namespace=None, **options):
    """Evaluate a check like check() does and return (result, note)."""
    from gradlab.grading.spec import MISSING

    merged = {**OPTIONS, "expect": MISSING, "start": MISSING, **options}
    return evaluate("t.q1", answer, namespace or {}, **merged)


@pytest.fixture(autouse=True)
def fresh_results():
    clear_results()
    yield
    clear_results()


def test_a_right_answer_passes_with_its_points(capsys):
    grads = np.array([75.0, -12.0])  # noqa: F841 (read by the check through the frame)
    check("t.q1", "grads", expect=[75.0, -12.0], points=2)
    assert capsys.readouterr().out.splitlines()[0] == "✓ t.q1: correct (2/2 points)"


def test_a_wrong_answer_shows_the_learners_value_no_expected_value_and_no_points(capsys):
    grads = np.array([7.0, -1.0])  # noqa: F841
    check("t.q1", "grads", expect=[75.0, -12.0], points=2)
    out = capsys.readouterr().out
    assert "✗ t.q1: not yet right (0/2 points)" in out and "got [ 7., -1.]" in out
    assert "75" not in out and "12" not in out


def test_an_undefined_name_is_not_attempted_yet_and_does_not_raise(capsys):
    check("t.q1", "name_nobody_defined", expect=1.0)
    assert capsys.readouterr().out.strip() == "… t.q1: not attempted yet (0/1 point)"


def test_a_not_implemented_function_is_not_attempted_yet():
    def mse(pred, target):
        raise NotImplementedError

    result, _ = verdict("mse", {"mse": mse}, calls=[(1.0, 2.0)], expect=[1.0])
    assert result.status == "not attempted"


def test_hostile_answers_never_raise_into_the_notebook(capsys):
    class Hostile:
        def __eq__(self, other):
            raise RuntimeError("eq")

        def __repr__(self):
            raise RuntimeError("repr")

        def __array__(self, *args, **kwargs):
            raise RuntimeError("array")

    hostile = Hostile()  # noqa: F841
    check("t.q1", "hostile", expect=1.0)
    check("t.q2", "hostile.nothing", expect=1.0)
    check("bad id", "hostile")
    lines = capsys.readouterr().out
    assert "✗ t.q1: raised an error" in lines and "RuntimeError: array" in lines
    assert "✗ t.q2: raised an error" in lines and "AttributeError" in lines
    assert "this check is miswritten" in lines


def test_a_function_answer_is_called_on_every_input_and_the_first_failure_is_named():
    def total(values):
        return float(sum(values)) if len(values) < 3 else 0.0

    result, _ = verdict("total", {"total": total}, calls=[([1.0],), ([1.0, 2.0],),
                                                           ([1.0, 2.0, 3.0],)],
                        expect=[1.0, 3.0, 6.0])
    assert result.status == "failed"
    assert result.message == "total([1.0, 2.0, 3.0]): got 0.0: not the expected value"


def test_random_calls_are_left_for_grading_in_the_notebook():
    result, note = verdict("f", {"f": lambda x: 2 * x}, calls=[(1.0,)], expect=[2.0], random=5)
    assert result.status == "passed" and note == "5 random inputs are checked when graded"


def test_a_check_without_expect_is_recorded_for_grading(capsys):
    x = 3.0  # noqa: F841
    check("t.q1", "x")
    assert "• t.q1: recorded (1 point, checked when graded)" in capsys.readouterr().out


def test_a_value_instead_of_an_expression_is_accepted():
    result, _ = verdict(np.array([1.0, 2.0]), expect=[1.0, 2.0])
    assert result.status == "passed"


def test_check_all_summarises_the_latest_verdict_of_every_question(capsys):
    a, b = 1.0, 2.0  # noqa: F841
    check("t.q1", "a", expect=1.0, points=2)
    check("t.q2", "b", expect=3.0)
    check("t.q2", "b", expect=2.0)
    capsys.readouterr()
    check_all()
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == ["t.q1", "✓", "correct", "2/2"]
    assert lines[2].split()[:4] == ["t.q2", "✓", "correct", "1/1"]
    assert lines[-1].split() == ["total", "3/3"]
    assert summary().totals() == (3.0, 3.0)


def test_verdicts_render_as_html_in_jupyter_with_the_text_escaped():
    from gradlab.grading.score import CheckResult

    html = Verdict(CheckResult("t.q1", "failed", 0, 1, "got <b>", "a hint")).__repr__()
    assert "got <b>" in html
    rich = Verdict(CheckResult("t.q1", "failed", 0, 1, "got <b>", "a hint"))._repr_html_()
    assert "got &lt;b&gt;" in rich and "hint: a hint" in rich and "#cf222e" in rich
    assert "<table" in summary()._repr_html_() or "No checks" in summary()._repr_html_()


IPYTHON_SESSION = """
import json
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_cell("import numpy as np\\nfrom gradlab.grading.checks import evaluate, MISSING\\n"
               "from gradlab.grading.display import Verdict\\nimport gradlab as torch\\n"
               "w = np.zeros(2)")
options = ("points=1, expect=[1.0, 2.0], calls=None, random=0, like=0, seed=None, rtol=1e-4, "
           "atol=1e-6, start=MISSING, lr=None, mistakes=()")
verdicts = []
for cell in ("# YOUR CODE HERE\\nraise NotImplementedError",
             "raise RuntimeError('a leaf Variable that requires grad is being used in an "
             "in-place operation.')"):
    shell.run_cell(cell)
    shell.run_cell(f"r = evaluate('t.q1', 'w', globals(), {options})[0]")
    r = shell.user_ns["r"]
    verdicts.append([r.status, r.message, r.hint, str(shell.user_ns["Verdict"](r))])
print(json.dumps(verdicts))
"""


def test_in_ipython_the_cell_above_decides_not_attempted_and_gives_error_hints():
    # a subprocess: an InteractiveShell changes process-wide hooks other tests rely on
    output = subprocess.run([sys.executable, "-c", IPYTHON_SESSION], capture_output=True,
                            text=True, check=True).stdout
    not_attempted, in_place = json.loads(output.strip().splitlines()[-1])
    assert not_attempted[:3] == ["not attempted", "not attempted yet", None]
    assert in_place[0] == "failed" and "the cell above raised RuntimeError" in in_place[1]
    assert "with gradlab.no_grad()" in in_place[2]
    assert "with torch.no_grad()" in in_place[3]  # shown as the session imported gradlab


def test_verdicts_name_gradlab_as_the_learner_imported_it(monkeypatch):
    from gradlab.grading.score import CheckResult

    result = CheckResult("t.q1", "failed", 0, 1, "gradlab.cat(): expected a non-empty list",
                         "update inside `with gradlab.no_grad():`")
    main = sys.modules["__main__"]
    for name in ("torch", "gradlab"):
        monkeypatch.delattr(main, name, raising=False)
    assert "gradlab.no_grad()" in str(Verdict(result))
    monkeypatch.setattr(main, "gl", gradlab, raising=False)
    shown = str(Verdict(result))
    assert "`with gl.no_grad():`" in shown and "gl.cat(): expected" in shown, shown
    assert "gl.cat()" in summary_of(result) and "gradlab." not in summary_of(result)


def summary_of(result):
    from gradlab.grading.display import Summary

    return str(Summary([(result.question, result.status, 0, 1, result.message)]))


def test_importing_the_checks_keeps_nbformat_dask_and_matplotlib_unloaded():
    code = ("import sys, gradlab.grading; "
            "print(sorted(m for m in ('nbformat', 'dask', 'matplotlib', 'tqdm') "
            "if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"


needs_tensors = pytest.mark.skipif(not hasattr(gradlab, "tensor"), reason="engine not built")


@needs_tensors
def test_a_gradient_doubled_by_two_backward_calls_is_diagnosed_on_real_tensors():
    w = gradlab.tensor([1.0, 2.0], requires_grad=True)
    x = gradlab.tensor([3.0, 4.0])
    for _ in range(2):
        (w * x).sum().backward()
    result, _ = verdict("w.grad", {"w": w}, expect=[3.0, 4.0])
    assert result.status == "failed" and "`w.grad` looks accumulated" in result.hint


@needs_tensors
def test_a_non_leaf_gradient_is_none_and_the_hint_names_leaves():
    v = gradlab.tensor([1.0, 2.0], requires_grad=True)
    u = v * 2
    (u * 3).sum().backward()
    with pytest.warns(UserWarning):
        result, _ = verdict("u.grad", {"u": u}, expect=[3.0, 3.0])
    assert result.message == "got None" and "non-leaf" in result.hint


@needs_tensors
def test_a_tensor_expectation_matches_a_tensor_answer():
    w = gradlab.tensor([0.5, 1.5], requires_grad=True)
    result, _ = verdict("w", {"w": w}, expect=gradlab.tensor([0.5, 1.5]))
    assert result.status == "passed"
