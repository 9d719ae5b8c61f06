"""Hints speak the learner's names: after ``import gradlab as torch`` a hint says
``torch.no_grad()``, as the learner's own code does; otherwise ``gradlab.no_grad()``.

The name is looked up when the hint is written (errors are rare, the lookup is cheap): the
global of the learner's main module (a notebook's namespace) bound to the gradlab module,
``torch`` first if several are. Reprs are not hints and keep their PyTorch forms.
"""

from __future__ import annotations

import re
import sys

__all__ = ["learner_alias", "in_learner_names"]

_QUALIFIED = re.compile(r"\bgradlab\.(?=[A-Za-z_])")


def learner_alias() -> str:
    """The name the learner's main module gives gradlab: ``torch``, ``gradlab``, or another."""
    gradlab = sys.modules.get("gradlab")
    namespace = getattr(sys.modules.get("__main__"), "__dict__", {})
    names = [name for name, value in list(namespace.items())
             if value is gradlab and gradlab is not None and not name.startswith("_")]
    if "torch" in names or not names:
        return "torch" if names else "gradlab"
    return "gradlab" if "gradlab" in names else names[0]


def in_learner_names(text: str) -> str:
    """``text`` with each ``gradlab.<name>`` written ``<alias>.<name>`` (see ``learner_alias``)."""
    alias = learner_alias()
    return text if alias == "gradlab" else _QUALIFIED.sub(alias + ".", text)
