"""``gradlab.backends``: PyTorch's backend switches as a CPU-only build reports them
(``backends.mps.is_available()`` and ``backends.cudnn.is_available()`` are False)."""

from gradlab.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
