"""Errors as the learner sees them: in the learner's names, ending at the learner's line.

Names: an error a learner is shown names gradlab the way the learner imported it. After
``import gradlab as torch`` the hint says ``torch.no_grad()``, as the learner's own code does,
and ``gradlab.clamp: ...`` reads ``torch.clamp: ...`` as in PyTorch; otherwise gradlab's names
stay. ``learner_alias`` finds the name once per error, when it is shown (errors are rare and
the lookup is a few dictionary reads; nothing is paid while tensors compute): the global of the
learner's main module (a notebook's namespace, a script) bound to the gradlab module, ``torch``
first if several are. Both ways an uncaught error is shown, IPython's handler below and plain
Python's ``sys.excepthook``, write the message so, and the exception keeps the rewritten
message (``str(error)`` after it was shown says the same); so does ``warnings.formatwarning``
for a warning shown (``rather than torch.tensor(sourceTensor)``). Reprs are not messages: they
keep gradlab's names (``gradlab.float32``), and so do an error the learner's code catches
itself and a warning it records.

Frames: in IPython and Jupyter, tracebacks leave out gradlab's own frames, as PyTorch's (raised
from C++) show none of its internals. ``install()`` runs when gradlab is imported: inside
IPython it registers one handler for exceptions that drops every frame of a file inside the
gradlab package, from the traceback and from the exceptions it chains, then lets IPython show
the rest as usual. An error raised in the learner's own code (a callback or ``forward`` that
gradlab called) keeps the learner's frames. Plain Python prints complete tracebacks.

To study the engine, set the environment variable ``GRADLAB_FULL_TRACEBACK=1`` (in a notebook:
``%env GRADLAB_FULL_TRACEBACK=1``): every frame is shown again, from the next error on.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["install", "learner_traceback", "learner_alias", "in_learner_names",
           "FULL_TRACEBACK_VARIABLE"]

FULL_TRACEBACK_VARIABLE = "GRADLAB_FULL_TRACEBACK"
PACKAGE = str(Path(__file__).resolve().parent) + os.sep
_QUALIFIED = re.compile(r"\bgradlab\.(?=[A-Za-z_])")


def learner_alias() -> str:
    """The name the learner's main module gives gradlab: ``torch``, ``gradlab``, or another."""
    gradlab = sys.modules.get("gradlab")
    namespace = getattr(sys.modules.get("__main__"), "__dict__", {})
    if gradlab is None:
        return "gradlab"
    for name in ("torch", "gradlab"):  # the usual cases: two dictionary reads
        if namespace.get(name) is gradlab:
            return name
    names = [name for name, value in list(namespace.items())
             if value is gradlab and not name.startswith("_")]
    return names[0] if names else "gradlab"


def in_learner_names(text: str, alias: str | None = None) -> str:
    """``text`` with each ``gradlab.<name>`` written ``<alias>.<name>`` (default: see
    ``learner_alias``; the grader passes the name a submission's source gives gradlab)."""
    if "gradlab." not in text:
        return text
    alias = learner_alias() if alias is None else alias
    return text if alias == "gradlab" else _QUALIFIED.sub(alias + ".", text)


def _inside_gradlab(tb: TracebackType) -> bool:
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(PACKAGE)


def learner_traceback(tb: TracebackType | None) -> TracebackType | None:
    """The traceback without gradlab's frames (None if nothing else is left)."""
    kept = []
    while tb is not None:
        if not _inside_gradlab(tb):
            kept.append(tb)
        tb = tb.tb_next
    trimmed = None
    for frame in reversed(kept):
        trimmed = TracebackType(trimmed, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return trimmed


def _trim_chain(error: BaseException, seen: set[int]) -> None:
    """Trim the tracebacks of the exceptions ``error`` chains (``raise ... from``, or raised
    while handling another). One that happened wholly inside gradlab is not shown at all."""
    for attribute in ("__cause__", "__context__"):
        linked = getattr(error, attribute)
        if linked is None or id(linked) in seen:
            continue
        seen.add(id(linked))
        trimmed = learner_traceback(linked.__traceback__)
        if trimmed is None:
            if attribute == "__context__" or error.__cause__ is linked:
                error.__suppress_context__ = True
            continue
        linked.__traceback__ = trimmed
        _trim_chain(linked, seen)


def _speak_learner_names(error: BaseException) -> None:
    """Rewrite ``gradlab.<name>`` in the error's message as the learner's own name for it."""
    if type(error).__str__ is not BaseException.__str__ or not error.args:
        return
    if isinstance(error.args[0], str):
        error.args = (in_learner_names(error.args[0]), *error.args[1:])


def full_traceback_wanted() -> bool:
    return os.environ.get(FULL_TRACEBACK_VARIABLE, "").strip().lower() not in ("", "0", "false")


def _show(shell: Any, etype: type, value: BaseException, tb: TracebackType | None,
          tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: show the traceback without gradlab's frames."""
    _speak_learner_names(value)
    if not full_traceback_wanted():
        trimmed = learner_traceback(tb)
        if trimmed is not None:  # never hide everything: then something else went wrong
            tb = trimmed
            value.__traceback__ = tb
            _trim_chain(value, {id(value)})
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def _excepthook(etype: type, value: BaseException, tb: TracebackType | None) -> None:
    """Plain Python's uncaught errors: the message in the learner's names, every frame kept."""
    _speak_learner_names(value)
    sys.__excepthook__(etype, value, tb)


_FORMATWARNING = warnings.formatwarning


def _formatwarning(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, line: str | None = None) -> str:
    """A warning as shown (in Jupyter and plain Python alike), in the learner's names."""
    return _FORMATWARNING(in_learner_names(str(message)), category, filename, lineno, line)


def install() -> bool:
    """Show errors and warnings the learner's way: warnings through ``warnings.formatwarning``
    (if no one replaced the default); errors through a handler registered with the running
    IPython shell, if any (and if no other custom handler is set), else through plain Python's
    ``sys.excepthook`` (if no one replaced the default). Returns whether the IPython handler is
    installed."""
    if warnings.formatwarning is _FORMATWARNING and _FORMATWARNING.__module__ == "warnings":
        warnings.formatwarning = _formatwarning
    if "IPython" not in sys.modules:
        if sys.excepthook is sys.__excepthook__:
            sys.excepthook = _excepthook
        return False
    try:
        from IPython import get_ipython  # optional dependency (only imported if running)
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    current = getattr(shell, "custom_exceptions", ())
    if current and getattr(shell, "_gradlab_traceback", False) is False:
        return False  # someone else's handler: leave it alone
    shell.set_custom_exc((Exception,), _show)
    shell._gradlab_traceback = True
    return True
