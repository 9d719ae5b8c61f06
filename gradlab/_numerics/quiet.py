"""Floating-point errors kept quiet for one computation, as PyTorch keeps them (inf and nan
without a warning), at the cost of a context-variable switch rather than ``np.errstate``.

``np.errstate`` builds its settings object on every entry (microseconds: more than the numpy
op it guards on a course-sized tensor). The settings are built once here and switched in and
out with ``quiet()`` / ``restore(token)``, always in a ``try``/``finally``::

    token = quiet()
    try:
        out = x / y
    finally:
        restore(token)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["quiet", "restore"]

try:  # numpy >= 2.0 keeps the error settings in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE = _make_extobj(all="ignore")

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        return _extobj_contextvar.set(_IGNORE)

    def restore(token: Any) -> None:
        _extobj_contextvar.reset(token)

except ImportError:  # older numpy: the public (slower) way

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(token: Any) -> None:
        token.__exit__(None, None, None)
