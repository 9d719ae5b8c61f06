"""Floating-point errors kept quiet for one computation, as PyTorch keeps them (inf and nan
without a warning), at the cost of a context-variable switch rather than ``np.errstate``.

``np.errstate`` builds its settings object on every entry (microseconds: more than the numpy
op it guards on a course-sized tensor). numpy (2.0 and later) keeps its error settings in a
context variable, so the settings are made once here, by the public ``np.seterr`` run inside
an empty ``contextvars.Context``, and that variable is switched in and out with ``quiet()`` /
``restore(token)``, always in a ``try``/``finally``::

    token = quiet()
    try:
        out = x / y
    finally:
        restore(token)
"""

from __future__ import annotations

import contextvars
from typing import Any

import numpy as np

__all__ = ["quiet", "restore"]


def _ignore_all() -> list[tuple[contextvars.ContextVar, Any]]:
    """``np.seterr(all="ignore")`` in a fresh context: the variables it set, with their values."""
    np.seterr(all="ignore")
    return list(contextvars.copy_context().items())


_SET = contextvars.Context().run(_ignore_all)

if len(_SET) == 1:  # numpy's error state is this one context variable
    _VAR, _IGNORE = _SET[0]

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        return _VAR.set(_IGNORE)

    def restore(token: Any) -> None:
        _VAR.reset(token)

else:  # numpy < 2 keeps it per thread: the public (slower) way

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(token: Any) -> None:
        token.__exit__(None, None, None)
