"""Grading for gradlab courses: authoring, in-notebook checks, a safe batch grader.

Authoring (in the solution notebook, the single source)
--------------------------------------------------------
A question is an *answer cell* followed by a *check cell*::

    # answer cell: the solution sits between the markers
    def mse(pred, target):
        ### BEGIN SOLUTION
        return ((pred - target) ** 2).mean()
        ### END SOLUTION

    # check cell: only check(...) calls (and imports); one question per check cell
    check("04.q2", "mse", calls=[([1.0, 2.0], [1.0, 3.0]), ([0.0], [0.0])], expect=[0.5, 0.0],
          points=1)
    ### BEGIN HIDDEN CHECKS
    check("04.q2", "mse", calls=[([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])], random=5, points=2)
    ### END HIDDEN CHECKS

``check(question, answer, ...)`` takes the question id (``"04.q2"``), the answer as an
*expression in quotes* (evaluated in the notebook, so an undefined name reads "not attempted
yet") and options: ``points`` (default 1), ``expect`` (a literal: numbers, lists, ``None``,
``np.array([...])``, ``torch.tensor([...])``; omitted, the answer is graded against the
solution's own value), ``calls`` (argument tuples when the answer is a function), ``random``
(more calls with random inputs shaped like ``calls[like]``, graded against the solution),
``rtol``/``atol`` (defaults 1e-4 / 1e-6), ``start`` and ``lr`` (to diagnose a wrong update
step) and ``mistakes`` (``(wrong_value, "what to tell")`` pairs). Checks between
``### BEGIN HIDDEN CHECKS`` and ``### END HIDDEN CHECKS`` never reach learners.

``gradlab assign SOLUTIONS EXERCISES`` (:func:`assign`) writes the learner notebooks, whose
check cells say only ``check("04.q2")``: the public checks travel in the notebook's metadata
(``checkdata``), the hidden ones stay in the solution;
``check()``/``check_all()`` give verdicts in the learner's kernel; ``gradlab grade``
(:func:`grade`) grades submissions in sandboxes. See ``docs/grading.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# imported eagerly (it is light): lazily, the submodule `assign` would shadow the function
from .assign import assign, check_exercises, make_exercise
from .checks import check, check_all, clear_results, summary
from .diagnose import register_diagnosis
from .spec import AuthoringError

_LAZY = {
    "grade": "batch", "grade_notebook": "batch", "grade_submission": "batch",
    "Assignment": "assignment", "load_assignment": "assignment", "find_solution": "assignment",
    "Limits": "limits", "find_submissions": "submissions", "read_submission": "submissions",
    "InvalidNotebook": "submissions", "compute_references": "results",
}

__all__ = ["check", "check_all", "clear_results", "summary", "register_diagnosis",
           "AuthoringError", "assign", "check_exercises", "make_exercise", *_LAZY]


def __getattr__(name: str) -> Any:
    """Import the heavier parts (nbformat, the sandbox, dask) only when they are used."""
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
