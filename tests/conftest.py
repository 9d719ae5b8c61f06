"""Fixtures shared by every test folder: PyTorch as the reference, headless plotting, the grading
probe. Plain shared values (paths, the course list) are in support.py.

Tests that compare with PyTorch carry the ``parity`` marker (``make parity`` runs ``-m parity``);
a test that asks for the ``torch`` fixture without the marker is a collection error.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

# Figures drawn by tests, and by subprocesses they start, never need a display.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch itself, the reference; the test skips where torch is not importable."""
    return pytest.importorskip("torch")


@pytest.fixture
def headless_plots():
    """Draw with Agg, and close every figure the test opened."""
    import matplotlib.pyplot as plt  # only plotting tests pay for matplotlib

    plt.switch_backend("Agg")
    yield
    plt.close("all")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items
                if "torch" in getattr(item, "fixturenames", ())
                and item.get_closest_marker("parity") is None]
    if unmarked:
        raise pytest.UsageError("these tests use PyTorch but lack @pytest.mark.parity:\n  "
                                + "\n  ".join(unmarked))
