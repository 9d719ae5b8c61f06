"""``gradlab.install_as_torch()``: make ``import torch`` (and ``torch.nn``, ``torch.optim``,
``torch.utils.data``...) give gradlab in this process, so a tutorial's cells run as written.

A finder at the front of ``sys.meta_path`` answers every ``torch`` or ``torch.X.Y`` import with
the module ``gradlab`` or ``gradlab.X.Y`` itself (one object under two names); a ``torch``
sub-module gradlab does not have fails as ``No module named 'torch.X'``. The real PyTorch
stays untouched on disk: ``uninstall_as_torch()`` removes the finder and the aliases.
In IPython/Jupyter, ``%load_ext gradlab`` does the same.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["install_as_torch", "uninstall_as_torch", "load_ipython_extension"]

ALREADY_IMPORTED = (
    "gradlab.install_as_torch(): the real PyTorch is already imported in this process ({where}),"
    " so `import torch` cannot be redirected to gradlab any more.\n"
    "Hint: restart the kernel (or Python) and call gradlab.install_as_torch() (or run "
    "%load_ext gradlab) before any `import torch`."
)


def _target(fullname: str) -> str | None:
    if fullname == "torch":
        return "gradlab"
    if fullname.startswith("torch."):
        return "gradlab" + fullname[len("torch"):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already imported gradlab module instead of creating a new one."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the gradlab module is already initialised."""


class TorchToGradlabFinder(importlib.abc.MetaPathFinder):
    """``import torch...`` resolves to ``gradlab...`` (only names gradlab actually has)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        name = _target(fullname)
        if name is None:
            return None
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:  # no such gradlab module: stop here, never fall through to torch
            raise ModuleNotFoundError(f"No module named '{fullname}' (gradlab stands in for "
                                      f"torch here and has no '{name}')", name=fullname)
        return ModuleSpec(fullname, _AliasLoader(name),
                          is_package=found.submodule_search_locations is not None)


def _is_gradlab(module: Any) -> bool:
    name = getattr(module, "__name__", "") or ""
    return name == "gradlab" or name.startswith("gradlab.")


def _real_torch_modules() -> list[str]:
    return sorted(name for name, module in sys.modules.items()
                  if _target(name) is not None and module is not None
                  and not _is_gradlab(module))


def install_as_torch() -> None:
    """Make ``import torch`` and its sub-modules resolve to gradlab in this process.

    Refused, with an explanation, when the real PyTorch was imported first. Calling it again
    does nothing.
    """
    real = _real_torch_modules()
    if real:
        where = getattr(sys.modules[real[0]], "__file__", None) or real[0]
        raise RuntimeError(ALREADY_IMPORTED.format(where=where))
    if not any(isinstance(f, TorchToGradlabFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchToGradlabFinder())
    importlib.import_module("torch")


def uninstall_as_torch() -> None:
    """Undo :func:`install_as_torch`: the finder goes and ``torch`` names are forgotten."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TorchToGradlabFinder)]
    for name in [n for n in sys.modules if _target(n) is not None]:
        if _is_gradlab(sys.modules[name]):
            del sys.modules[name]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext gradlab``: :func:`install_as_torch` for this kernel."""
    install_as_torch()
