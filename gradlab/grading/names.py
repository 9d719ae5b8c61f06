"""How the course names a notebook's three files, in one place.

A lesson ``NN_topic``, its solution ``NN_solutions_topic`` and the learner's exercise
``NN_exercises_topic``: the kind comes first, so JupyterLab's short tab labels tell them apart.
The assignment's id is the lesson's name, the kind word left out. Names that do not follow the
convention (an instructor's own ``hw3.ipynb``) keep their name everywhere.
"""

from __future__ import annotations

import re

# The kind word as a whole ``_``-separated part of a file's stem: "04_solutions_no_grad".
_KIND = re.compile(r"(?:(?<=_)|^)(solutions|exercises)(?=_|$)")


def assignment_id(stem: str) -> str:
    """The assignment a notebook belongs to: its stem without the kind word."""
    match = _KIND.search(stem)
    if match is None:
        return stem
    before, after = stem[: match.start()], stem[match.end() :]
    if before.endswith("_") and after.startswith("_"):
        after = after[1:]
    return (before + after).strip("_") or stem


def exercise_stem(solution_stem: str) -> str:
    """The exercise notebook's stem for a solution notebook's: ``solutions`` → ``exercises``."""
    return _KIND.sub("exercises", solution_stem, count=1)
