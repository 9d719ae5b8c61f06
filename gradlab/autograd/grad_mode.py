"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, and they nest: leaving a block restores
whatever mode was active when it was entered.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from gradlab._state import STATE

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

F = TypeVar("F", bound=Callable[..., Any])




def is_grad_enabled() -> bool:
    """True when new operations are recorded in the autograd graph."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    """True inside an ``inference_mode()`` block."""
    return STATE.inference


class _GradMode:
    """Base for the mode switches: a context manager that is also a decorator."""

    mode = True

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _GradMode:
        return type(self)()


class _NoParamDecorator(_GradMode):
    """A mode that also decorates without parentheses: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Run a block (or a decorated function) without recording operations for autograd.

    >>> with gradlab.no_grad():
    ...     w -= lr * w.grad        # an in-place update autograd would otherwise refuse
    """

    mode = False


class enable_grad(_NoParamDecorator):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradMode):
    """Like ``no_grad``, and tensors made inside are inference tensors (``is_inference()``):
    later, outside the block, they refuse to be saved for backward or changed in place."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode

    def __enter__(self) -> None:
        super().__enter__()
        self._prev_inference = STATE.inference
        STATE.inference = not self.mode

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        STATE.inference = self._prev_inference

    def clone(self) -> inference_mode:
        return inference_mode(not self.mode)


class set_grad_enabled(_GradMode):
    """Set recording on or off: as a function call, a context manager or a decorator.

    ``set_grad_enabled(False)`` takes effect immediately, as in PyTorch; leaving a ``with`` block
    restores the previous mode.
    """

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __enter__(self) -> None:
        STATE.enabled = self.mode

    def __call__(self, fn: F) -> F:
        STATE.enabled = self._prev  # used as a decorator: only the calls change the mode
        return super().__call__(fn)

    def clone(self) -> set_grad_enabled:
        prev = STATE.enabled
        clone = set_grad_enabled(self.mode)
        STATE.enabled = prev
        return clone
