"""Plain values and helpers several test files share (fixtures are in conftest.py).

Test files import this as ``support``: pytest puts tests/, the folder of the root conftest.py,
on ``sys.path`` (pyproject.toml's ``pythonpath`` says so too).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS, EXERCISES, SOLUTIONS = ROOT / "notebooks", ROOT / "exercises", ROOT / "solutions"
GRADING_FIXTURES = ROOT / "tests" / "fixtures" / "grading"
BASELINE_IMAGES = ROOT / "tests" / "baseline_images"
# The grading fixtures' assignment: its solution and its four questions.
FX_SOLUTION = GRADING_FIXTURES / "solutions" / "fx.ipynb"
FX_QUESTIONS = ("fx.q1", "fx.q2", "fx.q3", "fx.q4")


def passed_except(question: str, status: str) -> dict[str, str]:
    """Question statuses of a fixture submission: every fx question passed but ``question``."""
    return {q: status if q == question else "passed" for q in FX_QUESTIONS}

# The course's lesson notebooks, in course order.
COURSE = [
    "00_derivatives_by_hand.ipynb",
    "01_tensors_and_requires_grad.ipynb",
    "02_backward_and_the_chain_rule.ipynb",
    "03_accumulation_and_zero_grad.ipynb",
    "04_no_grad_and_a_training_loop.ipynb",
    "05_optimizers.ipynb",
    "06_nn_module_linear_regression.ipynb",
    "07_animated_regression_fit.ipynb",
    "08_build_your_own_autograd.ipynb",
    "09_vectors_and_jacobians.ipynb",
    "10_autograd_pitfalls.ipynb",
    "11_a_neural_network.ipynb",
]


def solution_of(name: str) -> Path:
    """solutions/NN_solutions_topic.ipynb for the lesson NN_topic.ipynb: the kind comes first."""
    return SOLUTIONS / f"{name[:3]}solutions_{name[3:]}"


def exercise_of(name: str) -> Path:
    """exercises/NN_exercises_topic.ipynb for the lesson NN_topic.ipynb."""
    return EXERCISES / f"{name[:3]}exercises_{name[3:]}"


def cell_source(cell: dict) -> str:
    """A notebook cell's source as one string (nbformat allows a list of lines too)."""
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


@functools.cache
def optional_torch() -> ModuleType | None:
    """PyTorch when it is importable, else None: for tests that pin PyTorch's answer and also
    ask PyTorch itself when they can (such tests carry the ``parity`` marker)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@functools.cache
def namespaces_available() -> bool:
    """Root with permission to create mount, pid and network namespaces (probed in a child)."""
    if os.geteuid() != 0:
        return False
    child = os.fork()
    if child == 0:
        import ctypes

        flags = 0x00020000 | 0x20000000 | 0x40000000  # CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(flags) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0


def prints(source: str, lib: ModuleType) -> str:
    """What ``source`` prints with ``torch``, ``nn``, ``optim``, ``F`` and ``data`` from ``lib``."""
    env = {"torch": lib, "nn": lib.nn, "optim": lib.optim, "F": lib.nn.functional,
           "data": lib.utils.data}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, env)
    return out.getvalue()


def pytorch_prints(source: str, torch: ModuleType) -> str:
    """What ``source`` prints under PyTorch, with ``torch`` in names spelled ``gradlab``."""
    for name in ("torch.nn", "torch.optim", "torch.utils.data"):
        importlib.import_module(name)
    return prints(source, torch).replace("torch", "gradlab")
