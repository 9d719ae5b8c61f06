"""``check()`` and ``check_all()``: verdicts inside the learner's notebook that never raise.

A learner's notebook says ``check("04.q2")``: the question's public checks come from the
notebook's metadata (see ``checkdata.py``). A solution notebook writes each check in full,
``check("04.q2", "w.grad", expect=[75.0, -12.0])``: the expression is evaluated in the
notebook, compared with ``expect``, and the verdict shown with points and a diagnosis. The
answer is a string so an undefined name reads as "not attempted yet", not as a NameError.
"""

from __future__ import annotations

import sys
from typing import Any

from .answers import capture, describe, to_plain
from .checkdata import find_checks
from .diagnose import diagnose_error
from .display import Summary, Verdict, show
from .score import (
    ERROR,
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    CheckResult,
    score_check,
    score_question,
    unwritten_message,
)
from .spec import MISSING, NOT_LITERAL, AuthoringError, CheckSpec, written_literals

_RESULTS: dict[str, dict[str, CheckResult]] = {}


def clear_results() -> None:
    """Forget every verdict recorded so far (``check_all()`` starts empty)."""
    _RESULTS.clear()


_ASK = object()  # check("03.q1") without an answer: the notebook's own checks


def check(question: str, answer: Any = _ASK, *, points: float = 1, expect: Any = MISSING,
          calls: list | None = None, random: int = 0, like: int = 0, seed: int | None = None,
          rtol: float = 1e-4, atol: float = 1e-6, start: Any = MISSING,
          lr: float | None = None, mistakes: list | tuple = (), factors: list | tuple = (),
          literal: str | list = ()) -> None:
    """Check an answer and show the verdict; never raises into the notebook.

    In a learner's notebook, ``check("03.q1")`` runs the question's public checks, which
    ``gradlab assign`` stored in the notebook's metadata. In a solution notebook (authoring),
    a check is written in full:

    Args:
        question: the question id, such as ``"04.q2"``.
        answer: a Python expression as a string (``"w.grad"``, ``"mse"``), evaluated in the
            notebook; a value is accepted too, but an undefined name then fails before check runs.
        points: what this check is worth.
        expect: the expected value; omitted, the answer is compared with the solution when graded.
        calls: for a function answer, the argument tuples to call it with.
        random: how many more calls, with random inputs shaped like ``calls[like]``, at grading.
        rtol, atol: tolerances of the numeric comparison (as in ``torch.allclose``).
        start: the parameters before an update, so a wrong step can be diagnosed.
        lr: the learning rate, to recognise answers off by exactly that factor.
        mistakes: ``(wrong_value, message)`` pairs: known wrong answers and what to tell.
        factors: ``(factor, message)`` pairs: answers off by a known factor and what to tell.
        literal: names the learner must write out as values (a prediction), not compute.
    """
    try:
        namespace = _caller_namespace()
        if answer is _ASK:
            _check_question(str(question), namespace)
            return
        result, note = evaluate(question, answer, namespace, points=points, expect=expect,
                                calls=calls, random=random, like=like, seed=seed, rtol=rtol,
                                atol=atol, start=start, lr=lr, mistakes=mistakes,
                                factors=factors, literal=literal)
        key = answer if isinstance(answer, str) else repr(type(answer))
        slot = f"{key}|{expect is MISSING}|{calls!r}|{random}"  # one entry per distinct check
        _RESULTS.setdefault(result.question, {})[slot] = result
        show(Verdict(result, note))
    except KeyboardInterrupt:
        raise
    except Exception as error:  # a bug in gradlab must not break the learner's notebook
        detail = describe(error)
        show(Verdict(CheckResult(str(question), ERROR, 0.0, float(points) if isinstance(
            points, (int, float)) else 0.0, f"gradlab could not run this check "
            f"({detail['type']}: {detail['message']})")))


def _check_question(question: str, namespace: dict) -> None:
    """Run the public checks ``gradlab assign`` stored for ``question``; show one verdict."""
    specs = find_checks(question, namespace)
    if specs is None:
        show(Verdict(CheckResult(question, ERROR, 0.0, 0.0,
                                 f"gradlab found no checks for {question}: run this notebook "
                                 "from its own folder, as it was handed out (its checks travel "
                                 "in the notebook file)")))
        return
    results, notes = [], []
    for spec in specs:
        result, note = _evaluate_spec(spec, namespace, prepared=False)
        _RESULTS.setdefault(question, {})[f"{spec.expr}|{spec.line}|{len(results)}"] = result
        results.append(result)
        notes += [note] if note else []
    scored = score_question(question, results)
    wrong = [r for r in results if r.status != PASSED]
    message = "; ".join(dict.fromkeys(r.message for r in wrong if r.message))
    hint = next((r.hint for r in wrong if r.hint), None)
    show(Verdict(CheckResult(question, scored.status, scored.points, scored.max_points,
                             message, hint), "; ".join(notes)))


def _caller_namespace() -> dict:
    frame = sys._getframe(2)
    namespace = dict(frame.f_globals)
    if frame.f_locals is not frame.f_globals:
        namespace.update(frame.f_locals)
    return namespace


def evaluate(question: str, answer: Any, namespace: dict, **options: Any) -> tuple:
    """Build the check, capture the answer and score it: ``(CheckResult, note)``."""
    expr = answer if isinstance(answer, str) else "_answer"
    if not isinstance(answer, str):
        namespace = {**namespace, "_answer": answer}
    calls, expect = options.pop("calls"), options.pop("expect")
    plain = {
        "expect": MISSING if expect is MISSING else (
            [to_plain(item) for item in expect] if calls is not None else to_plain(expect)),
        "start": MISSING if options["start"] is MISSING else to_plain(options["start"]),
        "mistakes": [(to_plain(wrong), text) for wrong, text in options["mistakes"]],
    }
    options.update(plain)
    try:
        spec = CheckSpec(question, expr, calls=list(calls) if calls is not None else None,
                         **options)
    except AuthoringError as error:
        return CheckResult(str(question), ERROR, 0.0, 0.0, f"this check is miswritten: {error}"
                           ), ""
    return _evaluate_spec(spec, namespace, prepared=True)


def _evaluate_spec(spec: CheckSpec, namespace: dict, prepared: bool) -> tuple:
    """Capture and score one check; ``prepared``: its call arguments are Python objects."""
    captured = capture(spec.expr, namespace, spec.calls, prepared=prepared)
    unwritten = _not_written_out(spec.literal) if "error" not in captured else []
    if unwritten:
        return CheckResult(spec.question, FAILED, 0.0, spec.points, unwritten_message(unwritten),
                           None, spec.hidden), ""
    inputs = _shown_inputs(spec.calls) if prepared else [list(args) for args in spec.calls or []]
    result = score_check(spec, spec.expect, captured, inputs=inputs)
    previous = _previous_cell_error()
    if result.status != PASSED and isinstance(previous, NotImplementedError):
        result.status, result.message, result.hint = NOT_ATTEMPTED, "not attempted yet", None
    elif result.status != PASSED and previous is not None:
        detail = describe(previous)
        result.message += f" (the cell above raised {detail['type']}: {detail['message']})"
        result.hint = result.hint or diagnose_error(detail)
    note = f"{spec.random} random inputs are checked when graded" if spec.random else ""
    return result, note


def _not_written_out(names: list[str]) -> list[str]:
    """The ``literal=`` names the cells run so far do not assign as written-out values.

    Read from IPython's input history; a name not in it (outside IPython, or cells run
    without history, as nbval does) cannot be told here: the grader reads the source itself.
    """
    if not names:
        return []
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    history = getattr(shell, "user_ns", {}).get("_ih") if shell is not None else None
    if not isinstance(history, list):
        return []
    found = written_literals([text for text in history if isinstance(text, str)], names)
    return [name for name in names if found.get(name, "") is NOT_LITERAL]


def _shown_inputs(calls: list | None) -> list:
    shown = []
    for args in calls or []:
        try:
            shown.append([to_plain(arg) for arg in args])
        except Exception:
            shown.append(["?"])
    return shown


def _previous_cell_error() -> BaseException | None:
    """In IPython, the exception the cell just before this one raised (None elsewhere)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    last = getattr(shell, "last_execution_result", None)
    error = getattr(last, "error_in_exec", None)
    return error if isinstance(error, BaseException) else None


def check_all() -> None:
    """Show a table of every question checked so far in this session, with the total."""
    try:
        show(summary())
    except KeyboardInterrupt:
        raise
    except Exception as error:
        print(f"gradlab could not summarise the checks: {describe(error)['message']}")


def summary() -> Summary:
    """The table ``check_all()`` shows, as an object (rows of question, status, points)."""
    rows = []
    for question in sorted(_RESULTS):
        scored = score_question(question, list(_RESULTS[question].values()))
        message = "" if scored.status == PASSED else next(
            (r.message for r in _RESULTS[question].values() if r.status != PASSED), "")
        rows.append((question, scored.status, scored.points, scored.max_points, message))
    return Summary(rows)
